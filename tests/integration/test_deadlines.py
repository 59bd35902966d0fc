"""Due work with an injected clock (issue 7): period close and reminders, exactly once."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from bot.notifications import render
from ims_cli.main import main
from ims_domain.periods import IST, ReturnPeriod
from ims_domain.settings import RulesSettings
from storage.access import Actor
from storage.closing import mark_gstr3b_filed
from storage.db import transaction
from storage.deadline_settings import DEFAULTS
from storage.deadlines import TickResult, run_due_work
from storage.models import ActionLog, Outbox, RecordRow
from storage.rulebook import RuleBook
from tests.builders import RECIPIENT
from tests.integration.store_helpers import (
    APPROVER,
    OWNER,
    VIEWER,
    do_import,
    invoices,
    messages,
    setup_team,
    tick,
)

RULES = RuleBook()
MEMBERS = {OWNER, APPROVER, VIEWER}
NOV_2025 = ReturnPeriod(2025, 11)


def ist(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    """A moment of 2025 given in IST, as UTC."""
    return datetime(2025, month, day, hour, minute, tzinfo=IST).astimezone(UTC)


def hourly(start: datetime, end: datetime) -> Iterator[datetime]:
    moment = start
    while moment <= end:
        yield moment
        moment += timedelta(hours=1)


def by_key(rows: list[Outbox]) -> dict[str, set[int]]:
    """Chats per reminder (the dedupe key without its chat)."""
    found: dict[str, set[int]] = {}
    for row in rows:
        found.setdefault(row.dedupe_key.rsplit(":", 1)[0], set()).add(row.chat_id)
    return found


@pytest.fixture
def team(engine: Engine) -> Engine:
    """RECIPIENT with three members and five Oct-2025 invoices without action."""
    setup_team(engine)
    do_import(engine, invoices(5))
    return engine


def test_quiet_hours_are_21_to_8_ist_by_default() -> None:
    assert DEFAULTS.is_quiet(ist(11, 21))
    assert DEFAULTS.is_quiet(ist(12, 7, 59))
    assert not DEFAULTS.is_quiet(ist(12, 8))
    assert not DEFAULTS.is_quiet(ist(11, 20, 59))


def test_R2_3_a_month_of_hourly_ticks_reminds_once_and_closes_once(team: Engine) -> None:
    closed_at = []
    for now in hourly(ist(1, 0), ist(30, 23)):
        result = tick(team, now)
        if result.closed:
            closed_at.append((now, result.closed))
    # Closed once, at the first tick of the generation day (14-Nov-2025), five records deemed.
    assert len(closed_at) == 1
    now, closed = closed_at[0]
    assert now == ist(14, 0)
    assert [(c.gstin, c.period.code, c.count, c.tax_paise) for c in closed] == [
        (RECIPIENT, "102025", 5, 5 * 180000)
    ]
    with transaction(team) as session:
        rows = session.exec(select(RecordRow)).all()
        assert {(r.action, r.deemed) for r in rows} == {("A", True)}
        assert {log.channel for log in session.exec(select(ActionLog)).all()} == {"deemed"}
    # Each 2B reminder went out once to each member, at 10:00 IST 3 days and 1 day before.
    reminders = messages(team, "reminder_2b")
    assert by_key(reminders) == {
        "remind2b:1:102025:3": MEMBERS,
        "remind2b:1:102025:1": MEMBERS,
    }
    first = {r.payload["days_left"]: r for r in reminders}
    assert first[3].next_attempt_at.replace(tzinfo=UTC) == ist(11, 10)
    assert first[1].next_attempt_at.replace(tzinfo=UTC) == ist(13, 10)
    assert all(r.payload["count"] == 5 and not r.payload["late"] for r in reminders)
    assert reminders[0].payload["tax_paise"] == 5 * 180000
    # One 3B reminder, 2 days before 20-Nov.
    three_b = messages(team, "reminder_3b")
    assert by_key(three_b) == {"remind3b:1:102025": MEMBERS}
    assert three_b[0].next_attempt_at.replace(tzinfo=UTC) == ist(18, 10)
    assert three_b[0].payload["days_left"] == 2
    assert three_b[0].payload["recompute"] is False
    # Owners get the summary of the close, after the quiet hours.
    closes = messages(team, "period_closed")
    assert [(m.chat_id, m.payload["count"]) for m in closes] == [(OWNER, 5)]
    assert closes[0].next_attempt_at.replace(tzinfo=UTC) == ist(14, 8)


def test_reminder_due_in_quiet_hours_waits_for_the_morning(team: Engine) -> None:
    # The bot was off from before the 3-day reminder (11-Nov 10:00) until 22:00 that day.
    assert tick(team, ist(11, 22)).reminders == 0
    assert tick(team, ist(12, 7, 59)).reminders == 0
    assert messages(team, "reminder_2b") == []
    assert tick(team, ist(12, 8)).reminders == 3
    sent = messages(team, "reminder_2b")
    assert by_key(sent) == {"remind2b:1:102025:3": MEMBERS}
    assert all(m.payload["late"] for m in sent)  # 22 hours after its moment
    assert tick(team, ist(12, 9)).reminders == 0


def test_R2_3_downtime_across_the_generation_date_closes_once_and_reminds_late(
    team: Engine,
) -> None:
    for now in hourly(ist(1, 0), ist(10, 0)):
        tick(team, now)
    assert messages(team, "reminder_2b") == []
    # Down until 13-Nov 17:00 (7 hours past 10:00): only the nearer 2B reminder goes out, late.
    result = tick(team, ist(13, 17))
    assert result.reminders == 3
    sent = messages(team, "reminder_2b")
    assert by_key(sent) == {"remind2b:1:102025:1": MEMBERS}
    assert all(m.payload["late"] and m.payload["days_left"] == 1 for m in sent)
    # Down again until 19-Nov noon: one tick applies the deemed acceptance, and the 3B reminder
    # (due 18-Nov 10:00) goes out late.
    result = tick(team, ist(19, 12))
    assert [c.count for c in result.closed] == [5]
    three_b = messages(team, "reminder_3b")
    assert by_key(three_b) == {"remind3b:1:102025": MEMBERS}
    assert all(m.payload["late"] for m in three_b)
    for now in hourly(ist(19, 13), ist(30, 23)):
        again = tick(team, now)
        assert again.closed == [] and again.reminders == 0
    assert len(messages(team, "reminder_2b")) == 3
    assert len(messages(team, "period_closed")) == 1


def test_two_ticks_at_the_same_moment_do_nothing_twice(team: Engine) -> None:
    first = tick(team, ist(14, 12))
    assert [c.count for c in first.closed] == [5]
    second = tick(team, ist(14, 12))
    assert second.closed == [] and second.reminders == 0
    first = tick(team, ist(18, 12))
    assert first.reminders == 3
    assert tick(team, ist(18, 12)).reminders == 0
    assert len(messages(team, "reminder_3b")) == 3


def test_two_processes_at_once_do_nothing_twice(team: Engine) -> None:
    if team.dialect.name != "postgresql":
        pytest.skip("SQLite takes one writer at a time; the bot runs its work on one thread")
    barrier = threading.Barrier(2)
    results: list[TickResult] = []
    errors: list[BaseException] = []

    def work(now: datetime) -> None:
        try:
            with transaction(team) as session:
                barrier.wait(timeout=10)
                results.append(run_due_work(session, now=now, rulebook=RULES))
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    for now in (ist(13, 12), ist(14, 12)):
        threads = [threading.Thread(target=work, args=(now,)) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == []
    assert sum(len(r.closed) for r in results) == 1
    assert len(messages(team, "reminder_2b")) == 3
    assert len(messages(team, "period_closed")) == 1
    with transaction(team) as session:
        assert len(session.exec(select(ActionLog)).all()) == 5


def test_R2_7_next_period_closes_only_after_previous_gstr3b_is_filed(team: Engine) -> None:
    """As the portal does it, with the setting gstr3b_filed_by_due_date off."""
    strict = RuleBook(settings=RulesSettings(gstr3b_filed_by_due_date=False))
    do_import(team, invoices(2, period=NOV_2025, prefix="NOV"))
    assert [c.period for c in tick(team, ist(14, 12), strict).closed] == [ReturnPeriod(2025, 10)]
    # 3B of Oct-2025 not filed: no Nov-2025 2B on 14-Dec (E11).
    assert tick(team, ist(14, 12, month=12), strict).closed == []
    with transaction(team) as session:
        mark_gstr3b_filed(
            session,
            actor=Actor.user(OWNER),
            gstin=RECIPIENT,
            period=ReturnPeriod(2025, 10),
            now=ist(15, 9, month=12),
        )
    closed = tick(team, ist(15, 10, month=12), strict).closed
    assert [(c.period, c.count) for c in closed] == [(NOV_2025, 2)]


def test_R2_7_by_default_an_unmarked_gstr3b_counts_as_filed_once_due(team: Engine) -> None:
    """Nobody marked 3B(Oct-2025) filed, but it was due on 20-Nov: the Nov-2025 2B comes on
    14-Dec all the same, so deemed acceptance goes on without /filed every month."""
    do_import(team, invoices(2, period=NOV_2025, prefix="NOV"))
    assert [c.period for c in tick(team, ist(14, 12)).closed] == [ReturnPeriod(2025, 10)]
    closed = tick(team, ist(14, 12, month=12)).closed
    assert [(c.period, c.count) for c in closed] == [(NOV_2025, 2)]


def test_ims_tick_runs_one_pass_at_a_given_moment(
    team: Engine, db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("IMS_DATABASE_URL", db_url)
    assert main(["tick", "--now", "2025-11-14T10:00"]) == 0  # naive: IST
    assert "closed Oct-2025, 5 records deemed accepted" in capsys.readouterr().out
    assert main(["--json", "tick", "--now", "2025-11-14T10:00+05:30"]) == 0
    assert json.loads(capsys.readouterr().out) == {
        "now": "2025-11-14T10:00:00+05:30",
        "closed": [],
        "reminders": 0,
        "digests": 0,
    }
    assert main(["tick", "--now", "soon"]) == 2


def test_deadline_messages_render() -> None:
    text, markup = render(
        "reminder_2b",
        {
            "gstin": RECIPIENT,
            "name": "Acme & Co",
            "period": "102025",
            "generation_date": "2025-11-14",
            "days_left": 3,
            "count": 37,
            "tax_paise": 41230000,
            "late": False,
        },
    )
    assert text.startswith("3 days to GSTR-2B for Oct-2025 (14-Nov-2025)")
    assert "37 documents with ₹4,12,300.00 ITC" in text and "Acme &amp; Co" in text
    assert markup is not None
    assert [[b.callback_data for b in row] for row in markup.inline_keyboard] == [
        [f"v1:rv:{RECIPIENT}:N:102025:*", f"v1:rt:{RECIPIENT}:102025"]
    ]
    text, _ = render(
        "reminder_3b",
        {
            "gstin": RECIPIENT,
            "period": "102025",
            "due_date": "2025-11-20",
            "days_left": 1,
            "pending": 2,
            "pending_tax_paise": 36000,
            "not_uploaded": 4,
            "recompute": True,
            "late": True,
        },
    )
    assert text.startswith("Late reminder (the bot was offline): 1 day to the GSTR-3B due date")
    assert "recompute GSTR-2B" in text and "4 actions are not yet uploaded" in text
    text, _ = render(
        "period_closed",
        {"gstin": RECIPIENT, "name": "Acme", "period": "102025", "count": 5, "tax_paise": 900000},
    )
    assert "5 documents without action were deemed accepted (ITC ₹9,000.00)" in text


def test_a_member_who_muted_reminders_gets_none(team: Engine) -> None:
    from storage.taxpayers import toggle_mute

    with transaction(team) as session:
        assert toggle_mute(session, user_id=VIEWER, setting="reminders")
    for now in hourly(ist(1, 0), ist(30, 23)):
        tick(team, now)
    reminded = {
        row.chat_id for kind in ("reminder_2b", "reminder_3b") for row in messages(team, kind)
    }
    assert VIEWER not in reminded
    assert {OWNER, APPROVER} <= reminded


def test_R3_4_R3_5_a_pending_window_ending_soon_is_reminded_once(team: Engine) -> None:
    """E1: CN-31 of 2B Oct-2025 kept pending may stay so until 20-Dec-2025."""
    from ims_domain.actions import ActionRequest
    from ims_domain.records import Action, RecordKind
    from storage.acting import act_on_record

    do_import(team, invoices(1, kind=RecordKind.CREDIT_NOTE, prefix="CN"))
    with transaction(team) as session:
        note = session.exec(select(RecordRow).where(RecordRow.number == "CN-0")).one()
        act_on_record(
            session,
            actor=Actor.user(OWNER),
            gstin=RECIPIENT,
            record_id=note.id or 0,
            expected_version=None,
            request=ActionRequest(Action.PENDING),
            rulebook=RULES,
            now=ist(5, 12),
        )
    tick(team, ist(14, 12, month=12))  # six days before: not yet
    assert messages(team, "reminder_pending") == []
    tick(team, ist(15, 12, month=12))
    tick(team, ist(16, 12, month=12))
    reminders = messages(team, "reminder_pending")
    assert sorted(r.chat_id for r in reminders) == sorted(MEMBERS)
    text, _ = render("reminder_pending", reminders[0].payload)
    assert "may stay so only until 20-Dec-2025 (5 days)" in text
    assert "count as accepted, with the full ITC reduction" in text
