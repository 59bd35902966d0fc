"""The GST calendar driving the due work (issue 7): a quarter of ticks for monthly and QRMP
recipients, due-date overrides, long downtime, two scheduler processes, the close summary.

An injected clock throughout: every tick names its moment, nothing sleeps.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from bot.notifications import render
from ims_domain.actions import ActionRequest
from ims_domain.periods import IST, FilingFrequency, ReturnPeriod
from ims_domain.records import Action, RecordKind, ReportedRecord
from ims_domain.settings import RulesSettings
from storage.access import Actor
from storage.acting import act_on_record
from storage.closing import filing_candidate, mark_gstr3b_filed, unfiled_periods
from storage.db import transaction
from storage.errors import AccessDenied, InvalidInput, NotFound
from storage.models import ActionLog, DueReminder, Outbox, RecordRow, Taxpayer
from storage.reminders import Snoozed, snooze_2b_reminder
from storage.rulebook import RuleBook
from storage.settings import Settings
from storage.taxpayers import register_taxpayer
from tests.builders import DELHI_RECIPIENT, RECIPIENT, record
from tests.integration.store_helpers import (
    CLI,
    NOW,
    OWNER,
    VIEWER,
    do_import,
    invoices,
    messages,
    setup_team,
    tick,
)

RULES = RuleBook()
# R2.7 as the portal applies it, for the tests of the lock: an unmarked GSTR-3B is never taken
# as filed (the default takes it as filed once its due date has passed).
STRICT = RuleBook(settings=RulesSettings(gstr3b_filed_by_due_date=False))
QRMP_A = "29AABCR1718E1ZL"  # Karnataka: QRMP GSTR-3B due on the 22nd (R6.4)
QRMP_B = DELHI_RECIPIENT  # Delhi: due on the 24th
OWNER_A, OWNER_B = 201, 301
SEP, OCT, NOV, DEC = (ReturnPeriod(2025, m) for m in (9, 10, 11, 12))
ROOT = Path(__file__).resolve().parents[2]


def ist(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    """A moment given in IST, as UTC."""
    return datetime(year, month, day, hour, minute, tzinfo=IST).astimezone(UTC)


def ticks(start: date, end: date, hours: tuple[int, ...] = (0, 10, 15)) -> Iterator[datetime]:
    """The moments of a scheduler that woke at these IST hours every day."""
    day = start
    while day <= end:
        for hour in hours:
            yield ist(day.year, day.month, day.day, hour)
        day += timedelta(days=1)


def queued_at(row: Outbox) -> datetime:
    moment = row.next_attempt_at
    return moment if moment.utcoffset() is not None else moment.replace(tzinfo=UTC)


def by_reminder(engine: Engine, kind: str) -> dict[str, list[tuple[int, datetime]]]:
    """Per reminder (its dedupe key less the chat): the chats it was queued to, and when."""
    found: dict[str, list[tuple[int, datetime]]] = {}
    for row in messages(engine, kind):
        found.setdefault(row.dedupe_key.rsplit(":", 1)[0], []).append((row.chat_id, queued_at(row)))
    return found


def mark_filed(engine: Engine, gstin: str, period: ReturnPeriod, now: datetime) -> None:
    with transaction(engine) as session:
        mark_gstr3b_filed(session, actor=CLI, gstin=gstin, period=period, now=now)


def taxpayer_ids(engine: Engine) -> dict[str, int]:
    with transaction(engine) as session:
        return {t.gstin: t.id or 0 for t in session.exec(select(Taxpayer)).all()}


@pytest.fixture
def three(engine: Engine) -> Engine:
    """A monthly recipient and two QRMP recipients (22nd and 24th), each with its owner and
    two invoices in each month of the Oct-Dec 2025 quarter."""
    with transaction(engine) as session:
        register_taxpayer(
            session, actor=CLI, gstin=RECIPIENT, name="Monthly Co", owner_id=OWNER, now=NOW
        )
        for gstin, owner, name in ((QRMP_A, OWNER_A, "Quarterly A"), (QRMP_B, OWNER_B, "B")):
            register_taxpayer(
                session,
                actor=CLI,
                gstin=gstin,
                name=name,
                frequency=FilingFrequency.QUARTERLY,
                owner_id=owner,
                now=NOW,
            )
    for gstin in (RECIPIENT, QRMP_A, QRMP_B):
        for period in (OCT, NOV, DEC):
            records = invoices(2, period=period, recipient=gstin, prefix=f"{period.code}-")
            do_import(engine, records, gstin=gstin)
    return engine


def test_R2_3_R2_7_R6_4_monthly_and_qrmp_recipients_through_a_quarter(three: Engine) -> None:
    """Each reminder and each close exactly once, at its moment; QRMP follows its quarter."""
    ids = taxpayer_ids(three)
    m, a, b = ids[RECIPIENT], ids[QRMP_A], ids[QRMP_B]
    closes: list[tuple[datetime, str, str]] = []
    for now in ticks(date(2025, 11, 1), date(2026, 1, 31)):
        local = now.astimezone(IST)
        if local.day == 19 and local.hour == 15:  # the monthly recipient files GSTR-3B (R2.7)
            mark_filed(three, RECIPIENT, ReturnPeriod.of(local.date()).previous(), now)
        closes += [(now, c.gstin, c.period.code) for c in tick(three, now).closed]
    # Monthly: 14th of the next month, each after the GSTR-3B before it; QRMP: once, for the
    # quarter, on 14-Jan-2026 (R2.3, OQ12).
    assert closes == [
        (ist(2025, 11, 14, 0), RECIPIENT, "102025"),
        (ist(2025, 12, 14, 0), RECIPIENT, "112025"),
        (ist(2026, 1, 14, 0), RECIPIENT, "122025"),
        (ist(2026, 1, 14, 0), QRMP_A, "122025"),
        (ist(2026, 1, 14, 0), QRMP_B, "122025"),
    ]
    reminders = by_reminder(three, "reminder_2b")
    assert reminders == {
        f"remind2b:{m}:102025:3": [(OWNER, ist(2025, 11, 11))],
        f"remind2b:{m}:102025:1": [(OWNER, ist(2025, 11, 13))],
        f"remind2b:{m}:112025:3": [(OWNER, ist(2025, 12, 11))],
        f"remind2b:{m}:112025:1": [(OWNER, ist(2025, 12, 13))],
        f"remind2b:{m}:122025:3": [(OWNER, ist(2026, 1, 11))],
        f"remind2b:{m}:122025:1": [(OWNER, ist(2026, 1, 13))],
        f"remind2b:{a}:122025:3": [(OWNER_A, ist(2026, 1, 11))],
        f"remind2b:{a}:122025:1": [(OWNER_A, ist(2026, 1, 13))],
        f"remind2b:{b}:122025:3": [(OWNER_B, ist(2026, 1, 11))],
        f"remind2b:{b}:122025:1": [(OWNER_B, ist(2026, 1, 13))],
    }
    # A QRMP reminder counts the whole quarter: six invoices of Oct, Nov and Dec.
    quarterly = [r for r in messages(three, "reminder_2b") if r.chat_id == OWNER_A]
    assert {r.payload["count"] for r in quarterly} == {6}
    # GSTR-3B: monthly on the 20th, QRMP on the 22nd (A) or 24th (B), two days before (R6.4).
    assert by_reminder(three, "reminder_3b") == {
        f"remind3b:{m}:102025": [(OWNER, ist(2025, 11, 18))],
        f"remind3b:{m}:112025": [(OWNER, ist(2025, 12, 18))],
        f"remind3b:{m}:122025": [(OWNER, ist(2026, 1, 18))],
        f"remind3b:{a}:122025": [(OWNER_A, ist(2026, 1, 20))],
        f"remind3b:{b}:122025": [(OWNER_B, ist(2026, 1, 22))],
    }
    summaries = Counter(
        (row.chat_id, row.payload["period"]) for row in messages(three, "period_closed")
    )
    assert summaries == {
        (OWNER, "102025"): 1,
        (OWNER, "112025"): 1,
        (OWNER, "122025"): 1,
        (OWNER_A, "122025"): 1,
        (OWNER_B, "122025"): 1,
    }
    quarter_close = next(r for r in messages(three, "period_closed") if r.chat_id == OWNER_B)
    assert (quarter_close.payload["count"], quarter_close.payload["late"]) == (6, False)
    with transaction(three) as session:
        rows = session.exec(select(RecordRow)).all()
        assert {(r.action, r.deemed) for r in rows} == {("A", True)}
        assert len(session.exec(select(ActionLog)).all()) == len(rows) == 18


OVERRIDES = """
[gstr2b]
"102025" = 2025-11-17

[gstr3b]
"102025" = "25-11-2025"

[gstr3b_qrmp_B]
"122025" = 2026-01-29
"""


def test_R6_1_due_date_overrides_move_the_reminders_and_the_close(
    three: Engine, tmp_path: Path
) -> None:
    """The calendar's TOML overrides (IMS_DUE_DATE_OVERRIDES_FILE) move a GSTR-2B generation
    date and GSTR-3B due dates; reminders and the close follow them (R2.3, R6.4)."""
    overrides = tmp_path / "due-dates.toml"
    overrides.write_text(OVERRIDES, encoding="utf-8")
    rulebook = Settings(
        due_date_overrides_file=overrides, gstr3b_filed_by_due_date=False
    ).rulebook()
    ids = taxpayer_ids(three)
    m, b = ids[RECIPIENT], ids[QRMP_B]
    closes = []
    for now in ticks(date(2025, 11, 1), date(2026, 1, 31)):
        closes += [(now, c.gstin, c.period.code) for c in tick(three, now, rulebook).closed]
    # Oct-2025 2B on 17-Nov instead of the 14th; the 2B of Nov waits for 3B(Oct) (R2.7).
    assert closes[0] == (ist(2025, 11, 17, 0), RECIPIENT, "102025")
    assert (ist(2026, 1, 14, 0), QRMP_B, "122025") in closes
    assert all(gstin != RECIPIENT for _, gstin, _ in closes[1:])
    reminders = by_reminder(three, "reminder_2b")
    assert reminders[f"remind2b:{m}:102025:3"] == [(OWNER, ist(2025, 11, 14))]
    assert reminders[f"remind2b:{m}:102025:1"] == [(OWNER, ist(2025, 11, 16))]
    three_b = by_reminder(three, "reminder_3b")
    assert three_b[f"remind3b:{m}:102025"] == [(OWNER, ist(2025, 11, 23))]  # due 25-Nov
    assert three_b[f"remind3b:{b}:122025"] == [(OWNER_B, ist(2026, 1, 27))]  # due 29-Jan
    due = next(r for r in messages(three, "reminder_3b") if r.chat_id == OWNER_B)
    assert due.payload["due_date"] == "2026-01-29"
    summary = next(r for r in messages(three, "period_closed") if r.chat_id == OWNER)
    assert summary.payload["period"] == "102025"
    assert queued_at(summary) == ist(2025, 11, 17, 8)  # after the quiet hours


@pytest.fixture
def sep_to_nov(engine: Engine) -> Engine:
    """RECIPIENT with its team and invoices of the 2B periods Sep, Oct and Nov 2025 (1, 2, 3)."""
    setup_team(engine)
    for count, period in ((1, SEP), (2, OCT), (3, NOV)):
        do_import(engine, invoices(count, period=period, prefix=period.code))
    return engine


def test_R2_3_long_downtime_closes_every_overdue_period_once_oldest_first(
    sep_to_nov: Engine,
) -> None:
    """The bot was off from 10-Oct to 20-Dec; 3B(Sep) and 3B(Oct) were marked filed with
    `ims filed` meanwhile. One pass closes Sep, Oct and Nov in that order, each summary late."""
    for now in ticks(date(2025, 10, 1), date(2025, 10, 10)):
        assert tick(sep_to_nov, now).closed == []
    mark_filed(sep_to_nov, RECIPIENT, SEP, ist(2025, 10, 20, 18))
    mark_filed(sep_to_nov, RECIPIENT, OCT, ist(2025, 11, 19, 18))
    back = ist(2025, 12, 20, 11)
    closed = tick(sep_to_nov, back).closed
    assert [(c.period, c.count) for c in closed] == [(SEP, 1), (OCT, 2), (NOV, 3)]
    for now in ticks(date(2025, 12, 20), date(2026, 1, 10)):
        assert tick(sep_to_nov, now).closed == []
    summaries = messages(sep_to_nov, "period_closed")
    assert [(s.chat_id, s.payload["period"], s.payload["late"]) for s in summaries] == [
        (OWNER, "092025", True),
        (OWNER, "102025", True),
        (OWNER, "112025", True),
    ]
    text, _ = render("period_closed", summaries[0].payload)
    assert text.startswith("Late notice (the bot was offline): GSTR-2B for Sep-2025")
    with transaction(sep_to_nov) as session:
        claims = session.exec(select(DueReminder).where(DueReminder.kind == "period_close")).all()
        assert sorted(c.dedupe_key for c in claims) == [
            "close:1:092025",
            "close:1:102025",
            "close:1:112025",
        ]
        assert len(session.exec(select(ActionLog)).all()) == 6  # each record deemed once


def test_R2_7_after_downtime_the_sequence_lock_holds_the_rest_back_in_order(
    sep_to_nov: Engine,
) -> None:
    """Only 3B(Oct) was marked filed during the downtime, not 3B(Sep). Sep closes; Oct waits for
    3B(Sep), and Nov waits behind Oct although 3B(Oct) is marked: the portal makes 2Bs in
    order (E11). Once 3B(Sep) is marked, the next pass closes Oct then Nov, not late."""
    mark_filed(sep_to_nov, RECIPIENT, OCT, ist(2025, 11, 19, 18))
    closed = tick(sep_to_nov, ist(2025, 12, 20, 11), STRICT).closed
    assert [c.period for c in closed] == [SEP]
    assert tick(sep_to_nov, ist(2025, 12, 21, 0), STRICT).closed == []
    with transaction(sep_to_nov) as session:
        nov = session.exec(select(RecordRow).where(RecordRow.number.startswith("112025"))).all()  # type: ignore[attr-defined]
        assert {r.action for r in nov} == {"N"}
    mark_filed(sep_to_nov, RECIPIENT, SEP, ist(2025, 12, 21, 9))
    closed = tick(sep_to_nov, ist(2025, 12, 21, 10), STRICT).closed
    assert [(c.period, c.count) for c in closed] == [(OCT, 2), (NOV, 3)]
    late = {s.payload["period"]: s.payload["late"] for s in messages(sep_to_nov, "period_closed")}
    assert late == {"092025": True, "102025": False, "112025": False}


def test_R2_7_an_unmarked_gstr3b_counts_as_filed_after_its_due_date(
    sep_to_nov: Engine, tmp_path: Path
) -> None:
    """Setting gstr3b_filed_by_due_date (the default): nobody marks a GSTR-3B filed, yet each
    2B comes on its 14th, since the 3B before it was due on the 20th; a 3B due date extended
    beyond the 14th holds the next 2B until the end of that day."""
    overrides = tmp_path / "due-dates.toml"
    overrides.write_text('[gstr3b]\n"102025" = 2025-12-16\n', encoding="utf-8")
    rulebook = Settings(due_date_overrides_file=overrides).rulebook()
    closes = [
        (now, c.period)
        for now in ticks(date(2025, 10, 1), date(2026, 1, 10))
        for c in tick(sep_to_nov, now, rulebook).closed
    ]
    assert closes == [
        (ist(2025, 10, 14, 0), SEP),
        (ist(2025, 11, 14, 0), OCT),  # 3B(Sep) was due on 20-Oct
        (ist(2025, 12, 17, 0), NOV),  # 3B(Oct) due on 16-Dec: the 2B of the 14th waits
    ]
    late = {s.payload["period"]: s.payload["late"] for s in messages(sep_to_nov, "period_closed")}
    assert late == {"092025": False, "102025": False, "112025": False}


def test_R2_3_R2_2_period_closed_summary_carries_the_draft_gstr2b(engine: Engine) -> None:
    """Deemed count, ITC available per head, credit-note reduction, rejected and pending."""
    setup_team(engine)
    local = [
        ReportedRecord(record(number=f"LOCAL-{i}", igst="0", cgst="450", sgst="450"))
        for i in range(2)
    ]
    do_import(
        engine,
        invoices(3, prefix="INV")
        + local
        + invoices(1, kind=RecordKind.CREDIT_NOTE, igst="900", prefix="CN")
        + invoices(3, prefix="ACTED"),
    )
    with transaction(engine) as session:
        acted = {
            r.number: r.id
            for r in session.exec(select(RecordRow).where(RecordRow.number.startswith("ACTED")))  # type: ignore[attr-defined]
        }
    for number, action in (("ACTED-0", Action.ACCEPT), ("ACTED-1", Action.REJECT)):
        with transaction(engine) as session:
            act_on_record(
                session,
                actor=Actor.user(OWNER),
                gstin=RECIPIENT,
                record_id=acted[number] or 0,
                expected_version=None,
                request=ActionRequest(action),
                rulebook=RULES,
                now=ist(2025, 11, 5, 12),
            )
    with transaction(engine) as session:
        act_on_record(
            session,
            actor=Actor.user(OWNER),
            gstin=RECIPIENT,
            record_id=acted["ACTED-2"] or 0,
            expected_version=None,
            request=ActionRequest(Action.PENDING),
            rulebook=RULES,
            now=ist(2025, 11, 5, 12),
        )
    assert [c.count for c in tick(engine, ist(2025, 11, 14, 0)).closed] == [6]
    (summary,) = messages(engine, "period_closed")
    payload = summary.payload
    assert json.loads(json.dumps(payload)) == payload  # JSON as stored, paise as integers
    assert payload == {
        "gstin": RECIPIENT,
        "name": "Acme Traders",
        "period": "102025",
        "count": 6,
        "tax_paise": 3 * 180000 + 2 * 90000 + 90000,
        "late": False,
        # Deemed INV-0..2 and accepted ACTED-0 (IGST 1,800 each); LOCAL-0..1 (CGST+SGST 450).
        "itc_available": {"igst": 4 * 180000, "cgst": 2 * 45000, "sgst": 2 * 45000, "cess": 0},
        # The credit note, deemed accepted, reduces ITC in full (R4.1, OQ11).
        "itc_reduction": {"igst": 90000, "cgst": 0, "sgst": 0, "cess": 0},
        "rejected": 1,
        "pending": 1,
        "pending_tax_paise": 180000,
    }
    text, _ = render("period_closed", payload)
    assert text.splitlines() == [
        "GSTR-2B for Oct-2025 of <b>Acme Traders</b> (27AAPFU0939F1ZV) is generated: 6 documents "
        "without action were deemed accepted (ITC ₹8,100.00). Changes now need a recompute of "
        "GSTR-2B on the portal before GSTR-3B.",
        "ITC available: IGST ₹7,200.00 · CGST ₹900.00 · SGST ₹900.00.",
        "ITC reduced by credit notes: IGST ₹900.00; net ITC ₹8,100.00.",
        "1 rejected: no ITC from them.",
        "1 kept Pending (tax ₹1,800.00): left out of this GSTR-2B.",
    ]


def test_R2_6_R2_7_periods_to_mark_filed_are_those_with_a_generated_2b(
    sep_to_nov: Engine,
) -> None:
    """/filed offers the closed periods not yet filed, to owners and approvers; marking one
    lets the next 2B come (R2.7)."""
    tick(sep_to_nov, ist(2025, 10, 14, 0), STRICT)
    tick(sep_to_nov, ist(2025, 11, 14, 0), STRICT)  # held: 3B(Sep) not filed
    with transaction(sep_to_nov) as session:
        offered = unfiled_periods(session, actor=Actor.user(OWNER), gstin=RECIPIENT)
        assert [(c.period, c.label, c.final, c.pending) for c in offered] == [
            (SEP, "Sep-2025", 1, 0)
        ]
        with pytest.raises(AccessDenied):
            unfiled_periods(session, actor=Actor.user(VIEWER), gstin=RECIPIENT)
        with pytest.raises(InvalidInput):
            filing_candidate(session, actor=Actor.user(OWNER), gstin=RECIPIENT, period=OCT)
    mark_filed(sep_to_nov, RECIPIENT, SEP, ist(2025, 11, 15, 9))
    assert [c.period for c in tick(sep_to_nov, ist(2025, 11, 15, 10), STRICT).closed] == [OCT]
    with transaction(sep_to_nov) as session:
        offered = unfiled_periods(session, actor=Actor.user(OWNER), gstin=RECIPIENT)
        assert [c.period for c in offered] == [OCT]


def test_R2_3_remind_me_tomorrow_queues_once_per_message_and_never_past_the_2b(
    sep_to_nov: Engine,
) -> None:
    tick(sep_to_nov, ist(2025, 10, 11))  # the 3-day reminder for Sep-2025 (2B on 14-Oct)

    def snooze(message_id: int, now: datetime, user: int = OWNER, chat: int = OWNER) -> Snoozed:
        with transaction(sep_to_nov) as session:
            return snooze_2b_reminder(
                session,
                actor=Actor.user(user),
                gstin=RECIPIENT,
                period=SEP,
                chat_id=chat,
                message_id=message_id,
                clock=time(10, 0),
                now=now,
                rulebook=RULES,
            ).outcome

    assert snooze(7, ist(2025, 10, 11, 10, 5)) is Snoozed.QUEUED
    assert snooze(7, ist(2025, 10, 11, 10, 6)) is Snoozed.ALREADY
    again = [r for r in messages(sep_to_nov, "reminder_2b") if r.dedupe_key.startswith("snooze")]
    assert [(r.chat_id, queued_at(r), r.payload["days_left"]) for r in again] == [
        (OWNER, ist(2025, 10, 12), 2)
    ]
    # Tomorrow's copy, tapped on the 12th, comes on the 13th; on the 13th there is no tomorrow.
    assert snooze(8, ist(2025, 10, 12, 10, 5)) is Snoozed.QUEUED
    assert snooze(9, ist(2025, 10, 13, 10, 5)) is Snoozed.TOO_LATE
    with pytest.raises(NotFound):  # not a member
        snooze(10, ist(2025, 10, 11, 10, 5), user=999, chat=999)
    with pytest.raises(AccessDenied):  # a group not bound to this GSTIN
        snooze(11, ist(2025, 10, 11, 10, 5), chat=-42)


def _ims_tick(url: str, now: str) -> subprocess.Popen[str]:
    env = {**os.environ, "IMS_DATABASE_URL": url}
    return subprocess.Popen(
        [sys.executable, "-m", "ims_cli.main", "--json", "tick", "--now", now],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.postgresql
def test_R2_3_two_scheduler_processes_on_postgresql_never_do_anything_twice(
    sep_to_nov: Engine, db_url: str
) -> None:
    """Two `ims tick` processes at once, round after round, on one PostgreSQL database."""
    if sep_to_nov.dialect.name != "postgresql":
        pytest.skip("SQLite serves one process; several schedulers need PostgreSQL")
    closed: list[str] = []
    rounds = [
        "2025-10-11T10:00",  # 2B reminder, 3 days before 14-Oct
        "2025-10-13T10:00",  # 1 day before
        "2025-10-14T00:01",  # Sep closes
        "2025-10-18T10:00",  # 3B reminder
        "2025-11-11T10:00",
        "2025-11-14T00:01",  # Oct waits for 3B(Sep) (R2.7) ...
        "2025-11-15T10:00",  # ... marked filed before this round: Oct closes
    ]
    for now in rounds:
        if now.startswith("2025-11-15"):
            mark_filed(sep_to_nov, RECIPIENT, SEP, ist(2025, 11, 15, 9))
        processes = [_ims_tick(db_url, now) for _ in range(2)]
        for process in processes:
            out, err = process.communicate(timeout=120)
            assert process.returncode == 0, err
            closed += [c["period"] for c in json.loads(out)["closed"]]
    assert closed == ["092025", "102025"]
    keys = Counter(
        row.dedupe_key.rsplit(":", 1)[0]
        for kind in ("reminder_2b", "reminder_3b", "period_closed")
        for row in messages(sep_to_nov, kind)
    )
    assert keys == {
        "remind2b:1:092025:3": 3,  # one to each of the three members
        "remind2b:1:092025:1": 3,
        "remind3b:1:092025": 3,
        "remind2b:1:102025:3": 3,
        "close:1:092025": 1,  # to the owner
        "close:1:102025": 1,
    }
    with transaction(sep_to_nov) as session:
        logs = session.exec(select(ActionLog)).all()
        assert Counter(log.record_id for log in logs).most_common(1)[0][1] == 1
        assert len(logs) == 3  # Sep's one record and Oct's two, each deemed once
