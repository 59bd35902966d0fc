"""Due work of the calendar (issue 7): period close (R2.3, R2.7) and reminders before deadlines.

What is due lives in the database: every piece of work is claimed by inserting a `DueReminder`
row with a unique dedupe key inside a SAVEPOINT. A second process (or a repeated tick) fails
that insert and skips the work, so nothing is done twice; a tick after downtime finds the work
not claimed yet and does it once, marking reminders late. The scheduler only wakes this up.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session
from sqlmodel import select as orm_select

from ims_domain.actions import pending_deadline
from ims_domain.periods import IST, PeriodError, ReturnPeriod
from ims_domain.periods import tax_period_last_month as last_month_of
from ims_domain.records import Action, is_specified
from storage.acting import original_of
from storage.closing import apply_deemed_acceptance
from storage.convert import paise, period_number, record_of
from storage.eligibility import AMENDMENTS, CREDIT_NOTE, C, in_ims
from storage.models import DueReminder, PeriodState, RecordRow, Role, Taxpayer
from storage.outbox import enqueue, member_chats
from storage.rulebook import (
    RuleBook,
    frequency_of,
    state_group_of_taxpayer,
    tax_period_months,
    today_in_india,
)

# Defaults of issue 7; per-GSTIN settings are still to come.
REMINDER_2B_OFFSETS_DAYS = (3, 1)  # days before the GSTR-2B generation date
REMINDER_3B_OFFSET_DAYS = 2  # days before the GSTR-3B due date
REMINDER_TIME = time(10, 0)  # IST
QUIET_FROM, QUIET_UNTIL = time(21, 0), time(8, 0)  # IST
LATE_AFTER = timedelta(hours=6)  # a reminder sent this long after its moment says it is late
_LOOK_BACK_MONTHS = 4  # overrides may push a generation date beyond the month after the period
_LOOK_AHEAD_MONTHS = 3  # the current quarter's last month, for QRMP


@dataclass(frozen=True)
class ClosedPeriod:
    """A 2B period closed by this tick: its no-action records became deemed accepted."""

    gstin: str
    period: ReturnPeriod
    count: int
    tax_paise: int


@dataclass
class TickResult:
    """What one pass did."""

    closed: list[ClosedPeriod] = field(default_factory=list)
    reminders: int = 0  # reminder messages queued


def run_due_work(session: Session, *, now: datetime, rulebook: RuleBook) -> TickResult:
    """One pass over every taxpayer: close due periods, queue due reminders (system use case)."""
    if now.utcoffset() is None:
        raise ValueError("run_due_work needs an aware `now` (UTC)")
    result = TickResult()
    taxpayers = session.exec(orm_select(Taxpayer).order_by(Taxpayer.id)).all()  # type: ignore[arg-type]
    for taxpayer in taxpayers:
        first = _first_record_period(session, taxpayer)
        if first is None:
            continue  # nothing imported yet: nothing to close or remind about
        closed = _close_period(session, taxpayer, first=first, now=now, rulebook=rulebook)
        if closed is not None:
            result.closed.append(closed)
        if in_quiet_hours(now):
            # Reminders wait for 08:00 IST. The 1-day 2B reminder (due 10:00 on the 13th) is
            # therefore never pushed past the generation date on the 14th: at worst 08:00 of the
            # 14th is already past it, and then the reminder is moot and not sent.
            continue
        result.reminders += _remind_2b(session, taxpayer, now=now, rulebook=rulebook)
        result.reminders += _remind_3b(session, taxpayer, now=now, rulebook=rulebook)
        result.reminders += _remind_pending_windows(session, taxpayer, now=now, rulebook=rulebook)
    return result


def in_quiet_hours(now: datetime) -> bool:
    """Whether `now` falls in the quiet hours (21:00-08:00 IST)."""
    clock = now.astimezone(IST).time()
    return clock >= QUIET_FROM or clock < QUIET_UNTIL


def _quiet_end(now: datetime) -> datetime:
    """`now`, or the end of the quiet hours it falls in (for messages that may wait)."""
    if not in_quiet_hours(now):
        return now
    local = now.astimezone(IST)
    day = local.date() if local.time() < QUIET_UNTIL else local.date() + timedelta(days=1)
    return datetime.combine(day, QUIET_UNTIL, IST).astimezone(UTC)


def _at_ist(day: date, clock: time = REMINDER_TIME) -> datetime:
    return datetime.combine(day, clock, IST).astimezone(UTC)


def _claim(session: Session, *, taxpayer_id: int, kind: str, key: str, due_at: datetime) -> bool:
    """Insert the dedupe row; False when someone (another tick, process or thread) has it."""
    reminder = DueReminder(taxpayer_id=taxpayer_id, kind=kind, due_at=due_at, dedupe_key=key)
    try:
        with session.begin_nested():
            session.add(reminder)
            session.flush()
    except IntegrityError:
        return False
    return True


def _done(session: Session, key: str, now: datetime) -> None:
    row = session.exec(orm_select(DueReminder).where(DueReminder.dedupe_key == key)).one()
    row.done_at = now
    session.flush()


def _first_record_period(session: Session, taxpayer: Taxpayer) -> int | None:
    value = session.execute(
        select(func.min(C.counts_in_period)).where(C.taxpayer_id == taxpayer.id)
    ).scalar()
    return int(value) if value is not None else None


def _tax_periods(taxpayer: Taxpayer, today: date) -> list[ReturnPeriod]:
    """Recipient tax periods (their last months) around today, oldest first."""
    frequency = frequency_of(taxpayer)
    month = last_month_of(ReturnPeriod.of(today).shift(-_LOOK_BACK_MONTHS), frequency)
    until = ReturnPeriod.of(today).shift(_LOOK_AHEAD_MONTHS)
    periods = []
    while month <= until:
        periods.append(month)
        month = last_month_of(month.next(), frequency)
    return periods


def _states(session: Session, taxpayer: Taxpayer, period: ReturnPeriod) -> list[PeriodState]:
    months = [period_number(m) for m in tax_period_months(period, frequency_of(taxpayer))]
    return list(
        session.exec(
            orm_select(PeriodState).where(
                PeriodState.taxpayer_id == taxpayer.id,
                PeriodState.period.in_(months),  # type: ignore[attr-defined]
            )
        ).all()
    )


def _sums(
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


# ---------------------------------------------------------------------------------------------
# Period close (R2.3, R2.7)


def _previous_filed(session: Session, taxpayer: Taxpayer, period: ReturnPeriod, first: int) -> bool:
    """R2.7: the 2B of `period` comes only once the GSTR-3B of the tax period before is filed.

    Lenient where the store cannot know: a previous period before the first one with records,
    or one with no PeriodState at all (nothing happened in it here), counts as filed.
    """
    frequency = frequency_of(taxpayer)
    previous = last_month_of(tax_period_months(period, frequency)[0].previous(), frequency)
    if (period_number(previous) or 0) < first:
        return True
    states = _states(session, taxpayer, previous)
    return not states or all(state.gstr3b_filed_at is not None for state in states)


def _close_period(
    session: Session, taxpayer: Taxpayer, *, first: int, now: datetime, rulebook: RuleBook
) -> ClosedPeriod | None:
    assert taxpayer.id is not None
    today = today_in_india(now)
    frequency = frequency_of(taxpayer)
    latest = None
    try:
        for period in _tax_periods(taxpayer, today):
            if rulebook.calendar.gstr2b_generation_date(period, frequency) <= today:
                latest = period
    except PeriodError:  # the edge of the supported financial years
        return None
    if latest is None or (period_number(latest) or 0) < first:
        return None
    if any(state.gstr2b_generated_at is not None for state in _states(session, taxpayer, latest)):
        return None
    if not _previous_filed(session, taxpayer, latest, first):
        return None  # sequence lock (R2.7, E11): generated when that GSTR-3B is filed
    key = f"close:{taxpayer.id}:{latest.code}"
    due_at = _at_ist(rulebook.calendar.gstr2b_generation_date(latest, frequency), time(0, 0))
    if not _claim(session, taxpayer_id=taxpayer.id, kind="period_close", key=key, due_at=due_at):
        return None
    deemed = apply_deemed_acceptance(
        session, gstin=taxpayer.gstin, period=latest, rulebook=rulebook, now=now
    )
    _done(session, key, now)
    tax_paise = paise(deemed.taxes.total)
    payload = {
        "gstin": taxpayer.gstin,
        "name": taxpayer.trade_name or taxpayer.legal_name,
        "period": latest.code,
        "count": deemed.count,
        "tax_paise": tax_paise,
    }
    owners = member_chats(
        session, taxpayer_id=taxpayer.id, kind="period_closed", roles=frozenset({Role.OWNER})
    )
    # The close happens at midnight; its summary waits for the end of the quiet hours. A period
    # without any record of this GSTIN is closed silently.
    if _sums(session, taxpayer, latest)[0]:
        enqueue(
            session,
            messages=[(chat, "period_closed", payload, f"{key}:{chat}") for chat in owners],
            now=_quiet_end(now),
        )
    return ClosedPeriod(taxpayer.gstin, latest, deemed.count, tax_paise)


# ---------------------------------------------------------------------------------------------
# Reminders


def _send(
    session: Session,
    taxpayer: Taxpayer,
    *,
    kind: str,
    key: str,
    payload: dict[str, Any],
    now: datetime,
) -> int:
    assert taxpayer.id is not None
    chats = member_chats(session, taxpayer_id=taxpayer.id, kind=kind, groups=True)
    enqueue(session, messages=[(chat, kind, payload, f"{key}:{chat}") for chat in chats], now=now)
    return len(chats)


def _remind_2b(session: Session, taxpayer: Taxpayer, *, now: datetime, rulebook: RuleBook) -> int:
    """Before the next GSTR-2B: the no-action records it will deem accepted (R2.3, R2.8)."""
    assert taxpayer.id is not None
    today = today_in_india(now)
    frequency = frequency_of(taxpayer)
    try:
        upcoming = [
            (p, rulebook.calendar.gstr2b_generation_date(p, frequency))
            for p in _tax_periods(taxpayer, today)
        ]
    except PeriodError:
        return 0
    found = next(((p, on) for p, on in upcoming if on > today), None)
    if found is None:
        return 0
    period, generation = found
    # After downtime several offsets may be overdue: only the latest goes out (marked late),
    # the earlier ones are claimed as superseded so they never go out afterwards.
    due = [
        (offset, _at_ist(generation - timedelta(days=offset)))
        for offset in sorted(REMINDER_2B_OFFSETS_DAYS, reverse=True)
        if _at_ist(generation - timedelta(days=offset)) <= now
    ]
    sent = 0
    for index, (offset, moment) in enumerate(due):
        key = f"remind2b:{taxpayer.id}:{period.code}:{offset}"
        if not _claim(session, taxpayer_id=taxpayer.id, kind="reminder_2b", key=key, due_at=moment):
            continue
        _done(session, key, now)
        if index < len(due) - 1:
            continue  # superseded by a nearer reminder in this same pass
        count, tax_paise = _sums(
            session, taxpayer, period, C.action == Action.NO_ACTION.value, in_ims()
        )
        if count == 0:
            continue  # nothing would be deemed: no message (the claim still stands)
        payload = {
            "gstin": taxpayer.gstin,
            "name": taxpayer.trade_name or taxpayer.legal_name,
            "period": period.code,
            "generation_date": generation.isoformat(),
            "days_left": (generation - today).days,
            "count": count,
            "tax_paise": tax_paise,
            "late": now - moment > LATE_AFTER,
        }
        sent += _send(session, taxpayer, kind="reminder_2b", key=key, payload=payload, now=now)
    return sent


def _remind_3b(session: Session, taxpayer: Taxpayer, *, now: datetime, rulebook: RuleBook) -> int:
    """Before the GSTR-3B due date: pending records, recompute needed (R2.5), not uploaded."""
    assert taxpayer.id is not None
    today = today_in_india(now)
    frequency = frequency_of(taxpayer)
    group = state_group_of_taxpayer(taxpayer)
    sent = 0
    for period in _tax_periods(taxpayer, today):
        try:
            due = rulebook.calendar.gstr3b_due(period, frequency, group)
        except PeriodError:  # a QRMP recipient without a state group: no due date known
            return sent
        moment = _at_ist(due - timedelta(days=REMINDER_3B_OFFSET_DAYS))
        if not moment <= now or today > due:
            continue
        states = _states(session, taxpayer, period)
        if states and all(state.gstr3b_filed_at is not None for state in states):
            continue
        total, _ = _sums(session, taxpayer, period)
        if total == 0:
            continue
        key = f"remind3b:{taxpayer.id}:{period.code}"
        if not _claim(session, taxpayer_id=taxpayer.id, kind="reminder_3b", key=key, due_at=moment):
            continue
        _done(session, key, now)
        pending, pending_tax = _sums(session, taxpayer, period, C.action == Action.PENDING.value)
        not_uploaded, _ = _sums(
            session,
            taxpayer,
            period,
            C.deemed.is_(False),
            C.action != func.coalesce(C.portal_action, Action.NO_ACTION.value),
        )
        payload = {
            "gstin": taxpayer.gstin,
            "name": taxpayer.trade_name or taxpayer.legal_name,
            "period": period.code,
            "due_date": due.isoformat(),
            "days_left": (due - today).days,
            "pending": pending,
            "pending_tax_paise": pending_tax,
            "not_uploaded": not_uploaded,
            "recompute": any(state.changed_after_generation for state in states),
            "late": now - moment > LATE_AFTER,
        }
        sent += _send(session, taxpayer, kind="reminder_3b", key=key, payload=payload, now=now)
    return sent


PENDING_WINDOW_WARN_DAYS = 5  # warn when a specified record's Pending window ends this soon


def _remind_pending_windows(
    session: Session, taxpayer: Taxpayer, *, now: datetime, rulebook: RuleBook
) -> int:
    """R3.4, R3.5: specified records kept Pending whose one-period window ends within five days,
    one reminder per end date; afterwards they count as the OQ13 setting says."""
    assert taxpayer.id is not None
    today = today_in_india(now)
    pending = session.execute(
        select(RecordRow).where(
            C.taxpayer_id == taxpayer.id,
            C.action == Action.PENDING.value,
            C.kind.in_([CREDIT_NOTE, *AMENDMENTS]),
        )
    ).scalars()
    ending: dict[date, list[RecordRow]] = {}
    for row in pending:
        record = record_of(row, taxpayer.gstin)
        original = original_of(session, taxpayer=taxpayer, record=record)
        if not is_specified(record, original):
            continue
        context = rulebook.context(
            taxpayer,
            now=now,
            current_action=Action.PENDING,
            gstr3b_filed=False,
            gstr2b_generated=False,
            original=original,
        )
        deadline = pending_deadline(record, context)
        if deadline is not None and 0 <= (deadline - today).days <= PENDING_WINDOW_WARN_DAYS:
            ending.setdefault(deadline, []).append(row)
    sent = 0
    for deadline, rows in sorted(ending.items()):
        key = f"pendwin:{taxpayer.id}:{deadline.isoformat()}"
        moment = _at_ist(deadline - timedelta(days=PENDING_WINDOW_WARN_DAYS))
        if not _claim(
            session, taxpayer_id=taxpayer.id, kind="reminder_pending", key=key, due_at=moment
        ):
            continue
        _done(session, key, now)
        payload = {
            "gstin": taxpayer.gstin,
            "name": taxpayer.trade_name or taxpayer.legal_name,
            "deadline": deadline.isoformat(),
            "days_left": (deadline - today).days,
            "count": len(rows),
            "tax_paise": sum(
                r.igst_paise + r.cgst_paise + r.sgst_paise + r.cess_paise for r in rows
            ),
            "treatment": rulebook.settings.pending_expiry_treatment.value,
        }
        sent += _send(session, taxpayer, kind="reminder_pending", key=key, payload=payload, now=now)
    return sent
