"""The claim and the shared reads of the calendar's due work (issue 7).

What is due lives in the database: every piece of work (a period close, a reminder, a daily
digest) is claimed by inserting a `DueReminder` row with a unique dedupe key inside a SAVEPOINT.
A second process (or a repeated tick) fails that insert and skips the work, so nothing is done
twice; a tick after downtime finds the work not claimed yet and does it once, marking reminders
late. The scheduler only wakes this up (storage.deadlines.run_due_work).

This module is shared by storage.deadlines, storage.deadline_reminders and
storage.daily_digest, and imports none of them.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session
from sqlmodel import select as orm_select

from ims_domain.periods import IST, ReturnPeriod
from ims_domain.periods import tax_period_last_month as last_month_of
from storage.convert import period_number
from storage.eligibility import C
from storage.models import DueReminder, PeriodState, Taxpayer
from storage.outbox import enqueue, member_chats
from storage.rulebook import frequency_of, tax_period_months

# Offsets, reminder time and quiet hours are settings per GSTIN (storage.deadline_settings).
LATE_AFTER = timedelta(hours=6)  # a reminder sent this long after its moment says it is late
_LOOK_BACK_MONTHS = 4  # overrides may push a generation date beyond the month after the period
_LOOK_AHEAD_MONTHS = 3  # the current quarter's last month, for QRMP


def claim(session: Session, *, taxpayer_id: int, kind: str, key: str, due_at: datetime) -> bool:
    """Insert the dedupe row; False when someone (another tick, process or thread) has it."""
    reminder = DueReminder(taxpayer_id=taxpayer_id, kind=kind, due_at=due_at, dedupe_key=key)
    try:
        with session.begin_nested():
            session.add(reminder)
            session.flush()
    except IntegrityError:
        return False
    return True


def mark_done(session: Session, key: str, now: datetime) -> None:
    """Mark the claim of `key` as done at `now`."""
    row = session.exec(orm_select(DueReminder).where(DueReminder.dedupe_key == key)).one()
    row.done_at = now
    session.flush()


def last_claimed(
    session: Session, taxpayer: Taxpayer, *, kind: str, key_prefix: str, done: bool = False
) -> datetime | None:
    """The latest due moment (or, with `done`, completion) among claims whose key starts so."""
    claims = DueReminder.__table__.c  # type: ignore[attr-defined]
    value = session.execute(
        select(func.max(claims.done_at if done else claims.due_at)).where(
            claims.taxpayer_id == taxpayer.id,
            claims.kind == kind,
            claims.dedupe_key.startswith(key_prefix, autoescape=True),
        )
    ).scalar()
    return aware(value) if value is not None else None


def aware(moment: datetime) -> datetime:
    """A stored moment as aware UTC (SQLite may hand it back naive)."""
    return moment if moment.utcoffset() is not None else moment.replace(tzinfo=UTC)


def at_ist(day: date, clock: time) -> datetime:
    """A day and a clock time in India as an aware UTC moment."""
    return datetime.combine(day, clock, IST).astimezone(UTC)


def first_record_period(session: Session, taxpayer: Taxpayer) -> int | None:
    """The earliest period (YYYYMM) any record of the GSTIN counts in; None without records."""
    value = session.execute(
        select(func.min(C.counts_in_period)).where(C.taxpayer_id == taxpayer.id)
    ).scalar()
    return int(value) if value is not None else None


def tax_periods(taxpayer: Taxpayer, today: date) -> list[ReturnPeriod]:
    """Recipient tax periods (their last months) around today, oldest first."""
    frequency = frequency_of(taxpayer)
    month = last_month_of(ReturnPeriod.of(today).shift(-_LOOK_BACK_MONTHS), frequency)
    until = ReturnPeriod.of(today).shift(_LOOK_AHEAD_MONTHS)
    periods = []
    while month <= until:
        periods.append(month)
        month = last_month_of(month.next(), frequency)
    return periods


def period_states(session: Session, taxpayer: Taxpayer, period: ReturnPeriod) -> list[PeriodState]:
    """The PeriodState rows of the months of the tax period of `period`."""
    months = [period_number(m) for m in tax_period_months(period, frequency_of(taxpayer))]
    return list(
        session.exec(
            orm_select(PeriodState).where(
                PeriodState.taxpayer_id == taxpayer.id,
                PeriodState.period.in_(months),  # type: ignore[attr-defined]
            )
        ).all()
    )


def record_sums(
    session: Session, taxpayer: Taxpayer, period: ReturnPeriod, *where: Any
) -> tuple[int, int]:
    """Count and total tax (paise) of the records counting in the tax period of `period`."""
    months = [period_number(m) for m in tax_period_months(period, frequency_of(taxpayer))]
    count, tax = session.execute(
        select(
            func.count(),
            func.sum(C.igst_paise + C.cgst_paise + C.sgst_paise + C.cess_paise),
        ).where(C.taxpayer_id == taxpayer.id, C.counts_in_period.in_(months), *where)
    ).one()
    # PostgreSQL sums BIGINT as NUMERIC; int() makes both backends alike.
    return int(count), int(tax or 0)


def send_to_members(
    session: Session,
    taxpayer: Taxpayer,
    *,
    kind: str,
    key: str,
    payload: dict[str, Any],
    now: datetime,
) -> int:
    """Queue one message to every member chat and bound group of the GSTIN; how many."""
    assert taxpayer.id is not None
    chats = member_chats(session, taxpayer_id=taxpayer.id, kind=kind, groups=True)
    enqueue(session, messages=[(chat, kind, payload, f"{key}:{chat}") for chat in chats], now=now)
    return len(chats)
