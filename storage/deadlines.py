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

from sqlalchemy import case, func, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session
from sqlmodel import select as orm_select

from ims_domain.periods import IST, FinancialYear, PeriodError, ReturnPeriod
from ims_domain.periods import tax_period_last_month as last_month_of
from ims_domain.records import Action
from storage.closing import apply_deemed_acceptance, closed_period_summary
from storage.convert import paise, period_number
from storage.daily_digest import digest_payload, subscribers
from storage.deadline_settings import DeadlineSettings, settings_for
from storage.eligibility import C, in_ims
from storage.models import DueReminder, PeriodState, Role, Taxpayer
from storage.outbox import enqueue, member_chats
from storage.reminders import reminder_2b_payload, specified_pending_by_window
from storage.rulebook import (
    RuleBook,
    frequency_of,
    state_group_of_taxpayer,
    tax_period_months,
    today_in_india,
)

# Offsets, reminder time and quiet hours are settings per GSTIN (storage.deadline_settings).
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
    digests: int = 0  # daily digest messages queued


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
        result.closed += _close_periods(session, taxpayer, first=first, now=now, rulebook=rulebook)
        settings = settings_for(session, taxpayer)
        if settings.is_quiet(now):
            # Reminders wait for the end of this GSTIN's quiet hours. A 2B reminder whose
            # generation date has come meanwhile is moot and not sent.
            continue
        for remind in (_remind_2b, _remind_3b, _remind_pending_windows, _remind_s16_4):
            result.reminders += remind(session, taxpayer, settings, now=now, rulebook=rulebook)
        result.digests += _daily_digests(session, taxpayer, settings, now=now)
    return result


def _at_ist(day: date, clock: time) -> datetime:
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


def _released_at(
    session: Session, taxpayer: Taxpayer, period: ReturnPeriod, first: int, scheduled: datetime
) -> datetime | None:
    """R2.7, E11: when the 2B of `period` comes: its `scheduled` moment, or the filing of the
    GSTR-3B of the tax period before if later; None while that GSTR-3B is not filed.

    Lenient where the store cannot know: a previous period before the first one with records,
    or one with no PeriodState at all (nothing happened in it here), counts as filed.
    """
    frequency = frequency_of(taxpayer)
    previous = last_month_of(tax_period_months(period, frequency)[0].previous(), frequency)
    if (period_number(previous) or 0) < first:
        return scheduled
    filed = [state.gstr3b_filed_at for state in _states(session, taxpayer, previous)]
    if None in filed:
        return None
    return max([scheduled, *(_aware(moment) for moment in filed if moment is not None)])


def _generated_months(session: Session, taxpayer: Taxpayer) -> set[int]:
    query = orm_select(PeriodState.period).where(
        PeriodState.taxpayer_id == taxpayer.id,
        PeriodState.gstr2b_generated_at.is_not(None),  # type: ignore[union-attr]
    )
    return set(session.exec(query).all())


def _close_periods(
    session: Session, taxpayer: Taxpayer, *, first: int, now: datetime, rulebook: RuleBook
) -> list[ClosedPeriod]:
    """R2.3: close every tax period whose GSTR-2B date has come and that is not closed yet,
    oldest first. After downtime several close in one pass, each once (its own dedupe key).

    R2.7: a period whose previous GSTR-3B is not filed is held back, and so is every later
    one, even one whose own previous GSTR-3B is marked filed: the portal makes 2B(M) only after
    3B(M-1), which needs 2B(M-1), so 2Bs come in order and deeming a later period's records
    first would run ahead of the portal. Held periods close in order on the first pass after
    that GSTR-3B is marked filed (/filed in the bot, `ims filed`); their summary counts as late
    only when it comes long after that release.
    """
    frequency = frequency_of(taxpayer)
    today = today_in_india(now)
    generated = _generated_months(session, taxpayer)
    closed: list[ClosedPeriod] = []
    previous_release = datetime.min.replace(tzinfo=UTC)  # a 2B never comes before the one before
    try:
        period = last_month_of(ReturnPeriod(first // 100, first % 100), frequency)
        while (scheduled := rulebook.calendar.gstr2b_generation_date(period, frequency)) <= today:
            months = {period_number(m) for m in tax_period_months(period, frequency)}
            if not months & generated:
                released = _released_at(
                    session, taxpayer, period, first, _at_ist(scheduled, time(0, 0))
                )
                if released is None:
                    break  # sequence lock (R2.7, E11)
                released = previous_release = max(released, previous_release)
                done = _close(
                    session, taxpayer, period, released=released, now=now, rulebook=rulebook
                )
                if done is None:
                    break  # another process is closing it, and goes on from there in order
                closed.append(done)
            period = last_month_of(period.next(), frequency)
    except PeriodError:  # the edge of the supported financial years
        pass
    return closed


def _close(
    session: Session,
    taxpayer: Taxpayer,
    period: ReturnPeriod,
    *,
    released: datetime,
    now: datetime,
    rulebook: RuleBook,
) -> ClosedPeriod | None:
    """Deemed acceptance of one tax period, and a summary of its draft GSTR-2B for the owners."""
    assert taxpayer.id is not None
    key = f"close:{taxpayer.id}:{period.code}"
    if not _claim(session, taxpayer_id=taxpayer.id, kind="period_close", key=key, due_at=released):
        return None
    deemed = apply_deemed_acceptance(
        session,
        gstin=taxpayer.gstin,
        period=period,
        rulebook=rulebook,
        now=now,
        generation_day=today_in_india(released),
    )
    _done(session, key, now)
    tax_paise = paise(deemed.taxes.total)
    # A period without any record of this GSTIN is closed silently.
    if _sums(session, taxpayer, period)[0]:
        payload = {
            "gstin": taxpayer.gstin,
            "name": taxpayer.trade_name or taxpayer.legal_name,
            "period": period.code,
            "count": deemed.count,
            "tax_paise": tax_paise,
            "late": now - released > LATE_AFTER,
            **closed_period_summary(session, gstin=taxpayer.gstin, period=period),
        }
        owners = member_chats(
            session, taxpayer_id=taxpayer.id, kind="period_closed", roles=frozenset({Role.OWNER})
        )
        # The close happens at midnight; its summary waits for the end of the quiet hours.
        enqueue(
            session,
            messages=[(chat, "period_closed", payload, f"{key}:{chat}") for chat in owners],
            now=settings_for(session, taxpayer).quiet_end(now),
        )
    return ClosedPeriod(taxpayer.gstin, period, deemed.count, tax_paise)


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


def _remind_2b(
    session: Session,
    taxpayer: Taxpayer,
    settings: DeadlineSettings,
    *,
    now: datetime,
    rulebook: RuleBook,
) -> int:
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
    # the earlier ones are claimed as superseded so they never go out afterwards. Offsets
    # changed after a reminder went out never bring back one due before it.
    key_prefix = f"remind2b:{taxpayer.id}:{period.code}:"
    last = _last_claimed(session, taxpayer, kind="reminder_2b", key_prefix=key_prefix)
    due = [
        (offset, moment)
        for offset in settings.remind_2b_days
        if (moment := settings.at(generation - timedelta(days=offset))) <= now
        and (last is None or moment > last)
    ]
    sent = 0
    for index, (offset, moment) in enumerate(due):
        key = f"{key_prefix}{offset}"
        if not _claim(session, taxpayer_id=taxpayer.id, kind="reminder_2b", key=key, due_at=moment):
            continue
        _done(session, key, now)
        if index < len(due) - 1:
            continue  # superseded by a nearer reminder in this same pass
        payload = reminder_2b_payload(
            session,
            taxpayer=taxpayer,
            period=period,
            generation=generation,
            today=today,
            late=now - moment > LATE_AFTER,
        )
        if payload is None:
            continue  # nothing would be deemed: no message (the claim still stands)
        sent += _send(session, taxpayer, kind="reminder_2b", key=key, payload=payload, now=now)
    return sent


def _remind_3b(
    session: Session,
    taxpayer: Taxpayer,
    settings: DeadlineSettings,
    *,
    now: datetime,
    rulebook: RuleBook,
) -> int:
    """Before the GSTR-3B due date: pending records, recompute needed (R2.5), not uploaded.

    One reminder per tax period, whatever its offset: a changed offset never sends it again."""
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
        moment = settings.at(due - timedelta(days=settings.remind_3b_days))
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


def _remind_pending_windows(
    session: Session,
    taxpayer: Taxpayer,
    settings: DeadlineSettings,
    *,
    now: datetime,
    rulebook: RuleBook,
) -> int:
    """R3.4, R3.5: specified records kept Pending whose one-period window ends within the
    GSTIN's warning days (five by default), one reminder per end date; afterwards they count as
    the OQ13 setting says."""
    assert taxpayer.id is not None
    today = today_in_india(now)
    ending = {
        deadline: rows
        for deadline, rows in specified_pending_by_window(
            session, taxpayer=taxpayer, now=now, rulebook=rulebook
        ).items()
        if 0 <= (deadline - today).days <= settings.pending_warn_days
    }
    sent = 0
    for deadline, rows in sorted(ending.items()):
        key = f"pendwin:{taxpayer.id}:{deadline.isoformat()}"
        moment = settings.at(deadline - timedelta(days=settings.pending_warn_days))
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


def _remind_s16_4(
    session: Session,
    taxpayer: Taxpayer,
    settings: DeadlineSettings,
    *,
    now: datetime,
    rulebook: RuleBook,
) -> int:
    """R3.1, OQ3: records still without action or Pending whose s.16(4) limit comes within the
    warning days (itc.s16_4_warn_days), one reminder per limit date; nothing is done to them."""
    assert taxpayer.id is not None
    today = today_in_india(now)
    warn = timedelta(days=rulebook.settings.s16_4_warn_days)
    undecided = (
        C.taxpayer_id == taxpayer.id,
        C.action.in_([Action.NO_ACTION.value, Action.PENDING.value]),
        in_ims(),
    )
    tax = C.igst_paise + C.cgst_paise + C.sgst_paise + C.cess_paise
    per_year = session.execute(
        select(
            C.financial_year,
            func.count(),
            func.sum(case((C.action == Action.PENDING.value, 1), else_=0)),
            func.sum(tax),
        )
        .where(*undecided)
        .group_by(C.financial_year)
    ).all()
    near: dict[date, list[tuple[str, int, int, int]]] = {}
    for year, count, pending, tax_paise in per_year:
        try:
            limit = rulebook.calendar.s16_4_limit(FinancialYear.parse(year).first_day)
        except PeriodError:  # a financial year outside the supported range
            continue
        if today <= limit and settings.at(limit - warn) <= now:
            near.setdefault(limit, []).append((year, int(count), int(pending), int(tax_paise or 0)))
    sent = 0
    for limit, years in sorted(near.items()):
        key = f"s164:{taxpayer.id}:{limit.isoformat()}"
        moment = settings.at(limit - warn)
        if not _claim(
            session, taxpayer_id=taxpayer.id, kind="reminder_s16_4", key=key, due_at=moment
        ):
            continue
        _done(session, key, now)
        payload = {
            "gstin": taxpayer.gstin,
            "name": taxpayer.trade_name or taxpayer.legal_name,
            "limit": limit.isoformat(),
            "days_left": (limit - today).days,
            "financial_years": [year for year, *_ in years],
            "count": sum(count for _, count, _, _ in years),
            "pending": sum(pending for _, _, pending, _ in years),
            "tax_paise": sum(tax_paise for *_, tax_paise in years),
        }
        sent += _send(session, taxpayer, kind="reminder_s16_4", key=key, payload=payload, now=now)
    return sent


# ---------------------------------------------------------------------------------------------
# Daily digest


def _daily_digests(
    session: Session, taxpayer: Taxpayer, settings: DeadlineSettings, *, now: datetime
) -> int:
    """Once a day, at the reminder time, each member who asked for it gets the records that
    arrived since their previous digest of this GSTIN; after downtime one digest for the gap."""
    assert taxpayer.id is not None
    today = today_in_india(now)
    moment = settings.at(today)
    if now < moment:
        return 0
    sent = 0
    for user_id, switched_on in subscribers(session, taxpayer):
        key_prefix = f"daily:{taxpayer.id}:{user_id}:"
        previous = _last_claimed(
            session, taxpayer, kind="daily_digest", key_prefix=key_prefix, done=True
        )
        key = f"{key_prefix}{today.isoformat()}"
        if not _claim(
            session, taxpayer_id=taxpayer.id, kind="daily_digest", key=key, due_at=moment
        ):
            continue
        _done(session, key, now)
        since = max(switched_on, previous) if previous is not None else switched_on
        payload = digest_payload(session, taxpayer, since=since, until=now)
        if payload is None:
            continue  # nothing new: no message (the day is claimed all the same)
        enqueue(session, messages=[(user_id, "daily_digest", payload, key)], now=now)
        sent += 1
    return sent


def _last_claimed(
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
    return _aware(value) if value is not None else None


def _aware(moment: datetime) -> datetime:
    """A stored moment as aware UTC (SQLite may hand it back naive)."""
    return moment if moment.utcoffset() is not None else moment.replace(tzinfo=UTC)
