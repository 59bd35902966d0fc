"""Reminder settings per GSTIN, the s.16(4) reminder and the daily digest (issue 7).

An injected clock throughout: every tick names its moment, nothing sleeps.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.notifications import render
from ims_cli.main import main
from ims_domain.actions import ActionRequest
from ims_domain.periods import IST
from ims_domain.records import Action, RecordKind, ReportedRecord
from storage.access import Actor
from storage.acting import act_on_record
from storage.bulk import apply_bulk
from storage.daily_digest import toggle_daily_digest
from storage.db import MIGRATIONS, make_engine, transaction, upgrade_schema
from storage.deadline_settings import (
    DEFAULTS,
    DeadlineSettings,
    QuietHours,
    change_settings,
    read_settings,
)
from storage.errors import AccessDenied, InvalidInput, NotFound
from storage.filters import RecordFilter
from storage.models import Mute, Outbox, RecordRow, Role
from storage.taxpayers import create_invite, join_with_invite, toggle_mute
from tests.builders import RECIPIENT, record
from tests.integration.store_helpers import (
    APPROVER,
    CLI,
    OTHER_RECIPIENT,
    OWNER,
    STRANGER,
    VIEWER,
    do_import,
    invoices,
    setup_team,
)
from tests.integration.test_deadlines import MEMBERS, RULES, by_key, messages, tick


def ist(day: int, hour: int, minute: int = 0, *, month: int = 11, year: int = 2025) -> datetime:
    """A moment given in IST, as UTC."""
    return datetime(year, month, day, hour, minute, tzinfo=IST).astimezone(UTC)


def sent_at(row: Outbox) -> datetime:
    moment = row.next_attempt_at
    return moment.replace(tzinfo=UTC) if moment.utcoffset() is None else moment


def change(engine: Engine, user: int = OWNER, gstin: str = RECIPIENT, **values: str) -> None:
    with transaction(engine) as session:
        change_settings(session, actor=Actor.user(user), gstin=gstin, now=ist(5, 12), **values)


@pytest.fixture
def team(engine: Engine) -> Engine:
    """RECIPIENT with three members and five Oct-2025 invoices without action."""
    setup_team(engine)
    do_import(engine, invoices(5))
    return engine


# --- the settings themselves -------------------------------------------------------------


@pytest.mark.parametrize(
    ("quiet", "inside", "outside"),
    [
        (QuietHours(time(21), time(8)), [time(21), time(0), time(7, 59)], [time(8), time(20, 59)]),
        (QuietHours(time(13), time(15)), [time(13), time(14, 59)], [time(12, 59), time(15)]),
    ],
)
def test_quiet_hours_may_wrap_midnight(
    quiet: QuietHours, inside: list[time], outside: list[time]
) -> None:
    assert all(quiet.contains(clock) for clock in inside)
    assert not any(quiet.contains(clock) for clock in outside)


def test_a_message_held_by_quiet_hours_waits_for_their_end() -> None:
    late_night = DeadlineSettings(quiet_hours=QuietHours(time(23, 30), time(6)))
    assert late_night.quiet_end(ist(13, 23, 45)) == ist(14, 6)
    assert late_night.quiet_end(ist(14, 1)) == ist(14, 6)
    assert late_night.quiet_end(ist(14, 22)) == ist(14, 22)
    assert DeadlineSettings(quiet_hours=None).quiet_end(ist(14, 1)) == ist(14, 1)


def test_defaults_until_changed_and_every_member_reads_them(team: Engine) -> None:
    with transaction(team) as session:
        for member in MEMBERS:
            assert read_settings(session, actor=Actor.user(member), gstin=RECIPIENT) == DEFAULTS
        with pytest.raises(NotFound):
            read_settings(session, actor=Actor.user(STRANGER), gstin=RECIPIENT)
    assert DEFAULTS.as_json() == {
        "remind_2b": [3, 1],
        "remind_3b": 2,
        "reminder_time": "10:00",
        "quiet": "21:00-08:00",
        "pending_warn": 5,
    }
    change(team, remind_2b="1,5", quiet="off", reminder_time="7:30")
    with transaction(team) as session:
        current = read_settings(session, actor=Actor.user(VIEWER), gstin=RECIPIENT)
    assert current == DeadlineSettings(
        remind_2b_days=(5, 1), reminder_time=time(7, 30), quiet_hours=None
    )


def test_only_an_owner_changes_them(team: Engine) -> None:
    for user in (APPROVER, VIEWER):
        with pytest.raises(AccessDenied, match="Only an owner of 27AAPFU0939F1ZV"):
            change(team, user, quiet="off")
    # The owner of another GSTIN is told this one does not exist.
    with pytest.raises(NotFound):
        change(team, STRANGER, quiet="off")
    with transaction(team) as session:
        assert read_settings(session, actor=CLI, gstin=RECIPIENT) == DEFAULTS


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"remind_2b": "3,3"}, "each day may be given once"),
        ({"remind_2b": "11"}, "from 1 to 10 days"),
        ({"remind_2b": "0"}, "from 1 to 10 days"),  # on the 14th it is too late (R2.3)
        ({"remind_2b": "three"}, "give whole days"),
        ({"remind_2b": "3,²"}, "give whole days"),
        ({"remind_3b": "2,1"}, "give one number of days"),
        ({"remind_3b": "-1"}, "give whole days"),
        ({"reminder_time": "25:00"}, "not a time like 10:00"),
        ({"quiet": "22:00"}, "not like 21:00-08:00"),
        ({"quiet": "22:00-22:00"}, "must end at another time"),
        ({"reminder_time": "22:30"}, "would fall in the quiet hours 21:00-08:00"),
        ({"pending_warn": "31"}, "from 1 to 30 days"),
    ],
)
def test_invalid_settings_are_refused_clearly(
    team: Engine, values: dict[str, str], message: str
) -> None:
    with pytest.raises(InvalidInput, match=message):
        change(team, **values)


def test_reminder_time_and_quiet_hours_change_together_only_consistently(team: Engine) -> None:
    change(team, quiet="off", reminder_time="22:30")
    with transaction(team) as session:
        assert read_settings(session, actor=CLI, gstin=RECIPIENT).reminder_time == time(22, 30)
    with pytest.raises(InvalidInput, match="quiet hours"):
        change(team, quiet="22:00-06:00")


# --- what goes out, and when -------------------------------------------------------------


def test_R2_3_offsets_and_reminder_time_of_a_gstin_decide_its_reminders(team: Engine) -> None:
    change(team, remind_2b="5,2", remind_3b="0", reminder_time="18:00")
    for day in range(1, 31):
        for hour in (9, 10, 17, 18, 19):
            tick(team, ist(day, hour))
    reminders = messages(team, "reminder_2b")
    assert by_key(reminders) == {"remind2b:1:102025:5": MEMBERS, "remind2b:1:102025:2": MEMBERS}
    moments = {r.payload["days_left"]: sent_at(r) for r in reminders}
    assert moments == {5: ist(9, 18), 2: ist(12, 18)}
    three_b = messages(team, "reminder_3b")
    assert by_key(three_b) == {"remind3b:1:102025": MEMBERS}
    assert {sent_at(r) for r in three_b} == {ist(20, 18)}  # on the due date itself
    text, _ = render("reminder_3b", three_b[0].payload)
    assert text.startswith("Today is the day to the GSTR-3B due date")


def test_two_gstins_with_different_quiet_hours_in_the_same_tick(team: Engine) -> None:
    do_import(team, invoices(2, recipient=OTHER_RECIPIENT), gstin=OTHER_RECIPIENT)
    change(team, STRANGER, gstin=OTHER_RECIPIENT, quiet="23:30-06:00")
    # Offline from before the 3-day reminders (11-Nov 10:00) until 22:00 that day.
    result = tick(team, ist(11, 22))
    assert result.reminders == 1  # only the other GSTIN's: 22:00 is quiet for RECIPIENT alone
    assert by_key(messages(team, "reminder_2b")) == {"remind2b:2:102025:3": {STRANGER}}
    assert tick(team, ist(12, 6)).reminders == 0  # still quiet for RECIPIENT
    assert tick(team, ist(12, 8)).reminders == 3
    assert by_key(messages(team, "reminder_2b")) == {
        "remind2b:2:102025:3": {STRANGER},
        "remind2b:1:102025:3": MEMBERS,
    }
    # At 23:45 on the 12th only RECIPIENT may hear (its quiet hours start at 21:00, the other's at
    # 23:30): nothing is due then, and nothing goes out to either.
    assert tick(team, ist(12, 23, 45)).reminders == 0


def test_changed_offsets_never_resend_a_reminder_of_the_same_period(team: Engine) -> None:
    assert tick(team, ist(11, 10)).reminders == 3  # 3 days before 14-Nov
    change(team, remind_2b="4,1")  # 4 days before was 10-Nov: already covered
    change(team, reminder_time="12:00")  # the 3-day reminder at a later hour: the same one
    assert tick(team, ist(11, 12)).reminders == 0
    change(team, remind_2b="3,2,1", reminder_time="10:00")
    assert tick(team, ist(12, 10)).reminders == 3  # 2 days before: a new reminder
    assert tick(team, ist(13, 10)).reminders == 3
    assert by_key(messages(team, "reminder_2b")) == {
        "remind2b:1:102025:3": MEMBERS,
        "remind2b:1:102025:2": MEMBERS,
        "remind2b:1:102025:1": MEMBERS,
    }
    # The GSTR-3B reminder went out 2 days before; one day before is the same reminder.
    assert tick(team, ist(18, 10)).reminders == 3
    change(team, remind_3b="1")
    assert tick(team, ist(19, 10)).reminders == 0
    assert len(messages(team, "reminder_3b")) == 3


def test_R3_4_pending_window_warning_days_are_a_setting(team: Engine) -> None:
    """E1: CN-0 of 2B Oct-2025 kept Pending may stay so until 20-Dec-2025; warned 10 days before
    instead of 5, and once only although the warning days change again afterwards."""
    do_import(team, invoices(1, kind=RecordKind.CREDIT_NOTE, prefix="CN"))
    with transaction(team) as session:
        act_on_record(
            session,
            actor=Actor.user(OWNER),
            gstin=RECIPIENT,
            record_id=_ids(session, ("CN-0",))[0],
            expected_version=None,
            request=ActionRequest(Action.PENDING),
            rulebook=RULES,
            now=ist(5, 12),
        )
    change(team, pending_warn="10")
    tick(team, ist(9, 12, month=12))
    assert messages(team, "reminder_pending") == []
    tick(team, ist(10, 12, month=12))
    reminders = messages(team, "reminder_pending")
    assert by_key(reminders) == {"pendwin:1:2025-12-20": MEMBERS}
    assert {r.payload["days_left"] for r in reminders} == {10}
    change(team, pending_warn="5")
    tick(team, ist(15, 12, month=12))
    assert len(messages(team, "reminder_pending")) == 3


# --- the s.16(4) limit (R3.1, OQ3) ------------------------------------------------------


def test_R3_1_OQ3_records_near_the_s16_4_limit_are_reminded_once_per_limit(team: Engine) -> None:
    """E10: ITC of a document of FY 2025-26 can be claimed until 30-Nov-2026; warned 60 days
    before, grouped per limit date; nothing is done to the records."""
    # Two documents of FY 2024-25 reported late: limit 30-Nov-2025, inside the window already.
    late = [
        ReportedRecord(
            record(number=f"OLD-{i}", document_date=date(2025, 3, 10 + i)),
            supplier_name="Sharma Components",
        )
        for i in range(2)
    ]
    do_import(team, late)
    kept = ("INV-0", "INV-1", "INV-2")
    with transaction(team) as session:
        apply_bulk(
            session,
            actor=CLI,
            gstin=RECIPIENT,
            record_filter=RecordFilter(record_ids=_ids(session, kept)),
            action=Action.PENDING,
            rulebook=RULES,
            now=ist(5, 11),
        )
        assert toggle_mute(session, user_id=VIEWER, setting="reminders")
    tick(team, ist(5, 12))
    first = messages(team, "reminder_s16_4")
    assert by_key(first) == {"s164:1:2025-11-30": {OWNER, APPROVER}}
    assert first[0].payload == {
        "gstin": RECIPIENT,
        "name": "Acme Traders",
        "limit": "2025-11-30",
        "days_left": 25,
        "financial_years": ["2024-25"],
        "count": 2,
        "pending": 0,
        "tax_paise": 2 * 180000,
    }
    text, markup = render("reminder_s16_4", first[0].payload)
    assert "2 documents of FY 2024-25 of <b>Acme Traders</b>" in text
    assert "only until 30-Nov-2025 (25 days; section 16(4))" in text
    assert markup is not None
    # Opens that year's documents without action, of this GSTIN.
    assert markup.inline_keyboard[0][0].callback_data == f"v1:rv:{RECIPIENT}:N:*:Y2024"
    # 14-Nov: GSTR-2B deems the no-action ones accepted; the three Pending ones stay Pending.
    for moment in (ist(14, 12), ist(30, 9, month=9, year=2026), ist(1, 9, month=10, year=2026)):
        tick(team, moment)
    assert len(messages(team, "reminder_s16_4")) == 2  # FY 2025-26: not before 1-Oct-2026 10:00
    tick(team, ist(1, 10, month=10, year=2026))
    tick(team, ist(15, 12, month=11, year=2026))
    assert by_key(messages(team, "reminder_s16_4")) == {
        "s164:1:2025-11-30": {OWNER, APPROVER},
        "s164:1:2026-11-30": {OWNER, APPROVER},
    }
    second = messages(team, "reminder_s16_4")[-1].payload
    assert (second["count"], second["pending"], second["days_left"]) == (3, 3, 60)
    tick(team, ist(1, 12, month=12, year=2026))  # the limit has passed: never auto-act
    with transaction(team) as session:
        rows = session.exec(select(RecordRow).where(RecordRow.number.in_(kept))).all()  # type: ignore[attr-defined]
        assert {row.action for row in rows} == {"P"}


def _ids(session: Session, numbers: tuple[str, ...]) -> tuple[int, ...]:
    query = select(RecordRow.id).where(RecordRow.number.in_(numbers))  # type: ignore[attr-defined]
    return tuple(i for i in session.exec(query).all() if i is not None)


# --- the daily digest -------------------------------------------------------------------


def switch_digest(engine: Engine, user: int, now: datetime) -> bool:
    with transaction(engine) as session:
        return toggle_daily_digest(session, user_id=user, now=now)


def test_the_daily_digest_is_off_by_default(team: Engine) -> None:
    do_import(team, invoices(2, prefix="NEW"), now=ist(6, 12))
    for day in range(6, 9):
        assert tick(team, ist(day, 10)).digests == 0
    assert messages(team, "daily_digest") == []


def test_the_daily_digest_once_a_day_with_what_is_new_and_one_for_a_gap(team: Engine) -> None:
    assert switch_digest(team, OWNER, ist(5, 13))  # after the five invoices of 5-Nov 12:00
    assert tick(team, ist(6, 10)).digests == 0  # nothing new since it was switched on
    do_import(team, invoices(3, prefix="A"), now=ist(6, 15))
    assert tick(team, ist(6, 16)).digests == 0  # today's digest is done
    assert tick(team, ist(7, 9)).digests == 0  # not yet the reminder time
    assert tick(team, ist(7, 10)).digests == 1
    assert tick(team, ist(7, 11)).digests == 0
    digest = messages(team, "daily_digest")
    assert [(m.chat_id, m.dedupe_key) for m in digest] == [(OWNER, f"daily:1:{OWNER}:2025-11-07")]
    assert digest[0].payload["count"] == 3
    assert digest[0].payload["since"] == ist(6, 10).isoformat()
    text, markup = render("daily_digest", digest[0].payload)
    assert "3 new documents since 06-Nov 10:00 IST: 3 invoice; tax ₹5,400.00." in text
    assert "From Sharma Components (3)." in text
    assert markup is not None
    # Offline from 7-Nov 11:00 until 10-Nov 15:00: one digest covers the whole gap.
    do_import(team, invoices(2, prefix="B"), now=ist(8, 12))
    do_import(team, invoices(2, prefix="C"), now=ist(9, 12))
    assert tick(team, ist(10, 15)).digests == 1
    gap = messages(team, "daily_digest")[-1]
    assert gap.payload["count"] == 4 and gap.payload["since"] == ist(7, 10).isoformat()
    assert tick(team, ist(11, 10)).digests == 0  # nothing new, nothing sent
    assert not switch_digest(team, OWNER, ist(11, 12))
    do_import(team, invoices(1, prefix="D"), now=ist(11, 13))
    assert tick(team, ist(12, 10)).digests == 0
    assert len(messages(team, "daily_digest")) == 2


def test_the_daily_digest_comes_per_gstin_and_waits_for_quiet_hours(team: Engine) -> None:
    with transaction(team) as session:
        invite = create_invite(
            session,
            actor=Actor.user(STRANGER),
            gstin=OTHER_RECIPIENT,
            role=Role.VIEWER,
            now=ist(5, 9),
        )
        join_with_invite(session, user_id=OWNER, name="Priya", code=invite.code, now=ist(5, 9))
    switch_digest(team, OWNER, ist(5, 13))
    switch_digest(team, VIEWER, ist(5, 13))
    do_import(team, invoices(2, prefix="N"), now=ist(6, 12))
    do_import(team, invoices(4, recipient=OTHER_RECIPIENT), gstin=OTHER_RECIPIENT, now=ist(6, 12))
    change(team, reminder_time="08:30")
    change(team, STRANGER, gstin=OTHER_RECIPIENT, quiet="off")
    assert tick(team, ist(6, 22)).digests == 1  # the other GSTIN: no quiet hours, 10:00 is past
    assert tick(team, ist(7, 8)).digests == 0  # RECIPIENT: quiet hours end at 08:00, then 08:30
    assert tick(team, ist(7, 8, 30)).digests == 2
    got = {
        (m.chat_id, m.payload["gstin"], m.payload["count"]) for m in messages(team, "daily_digest")
    }
    assert got == {(OWNER, OTHER_RECIPIENT, 4), (OWNER, RECIPIENT, 2), (VIEWER, RECIPIENT, 2)}


# --- the command line and the schema ------------------------------------------------------


def test_ims_taxpayer_settings_shows_and_changes(
    team: Engine, db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("IMS_DATABASE_URL", db_url)
    assert main(["taxpayer", "settings", "--gstin", RECIPIENT]) == 0
    assert capsys.readouterr().out.strip() == (
        f"{RECIPIENT}: reminders at 10:00 IST, 3, 1 days before GSTR-2B and 2 days before the "
        "GSTR-3B due date; Pending windows warned 5 days before they end; quiet hours "
        "21:00-08:00 IST."
    )
    argv = ["--json", "taxpayer", "settings", "--gstin", RECIPIENT.lower(), "--remind-2b", "4,2"]
    assert main([*argv, "--quiet", "off", "--reminder-time", "21:15", "--remind-3b", "1"]) == 0
    assert json.loads(capsys.readouterr().out) == {
        "gstin": RECIPIENT,
        "remind_2b": [4, 2],
        "remind_3b": 1,
        "reminder_time": "21:15",
        "quiet": "off",
        "pending_warn": 5,
    }
    assert main(["taxpayer", "settings", "--gstin", RECIPIENT, "--quiet", "21:00-08:00"]) == 2
    assert "would fall in the quiet hours" in capsys.readouterr().err
    assert main(["taxpayer", "settings", "--gstin", "27AAPFU0939F1ZX"]) == 2


def test_migration_0002_keeps_muted_reminders_muted(db_url: str) -> None:
    """Whoever muted the reminders before the s.16(4) reminder existed keeps it muted too."""
    engine = make_engine(db_url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
        for kind in ("reminder_2b", "reminder_3b", "reminder_pending"):
            connection.execute(
                sa.text("INSERT INTO mute (user_id, kind) VALUES (7, :kind)"), {"kind": kind}
            )
    upgrade_schema(engine)
    with transaction(engine) as session:
        kinds = set(session.exec(select(Mute.kind).where(Mute.user_id == 7)).all())
    engine.dispose()
    assert "reminder_s16_4" in kinds
