"""Due work of the calendar (issue 7): one pass closes due periods (R2.3, R2.7) and queues due
reminders and daily digests.

Every piece of work is claimed once in the database (storage.due_work); the reminders live in
storage.deadline_reminders, the daily digest in storage.daily_digest. This module is the entry
point the scheduler and the CLI call.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta

from sqlmodel import Session
from sqlmodel import select as orm_select

from ims_domain.periods import PeriodError, ReturnPeriod
from ims_domain.periods import tax_period_last_month as last_month_of
from storage.closing import apply_deemed_acceptance, closed_period_summary
from storage.convert import paise, period_number
from storage.daily_digest import queue_daily_digests
from storage.deadline_reminders import (
    remind_2b,
    remind_3b,
    remind_pending_windows,
    remind_s16_4,
)
from storage.deadline_settings import settings_for
from storage.due_work import (
    LATE_AFTER,
    at_ist,
    aware,
    claim,
    first_record_period,
    mark_done,
    period_states,
    record_sums,
)
from storage.models import PeriodState, Role, Taxpayer
from storage.outbox import enqueue, member_chats
from storage.rulebook import (
    RuleBook,
    frequency_of,
    state_group_of_taxpayer,
    tax_period_months,
    today_in_india,
)


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
        first = first_record_period(session, taxpayer)
        if first is None:
            continue  # nothing imported yet: nothing to close or remind about
        result.closed += _close_periods(session, taxpayer, first=first, now=now, rulebook=rulebook)
        settings = settings_for(session, taxpayer)
        if settings.is_quiet(now):
            # Reminders wait for the end of this GSTIN's quiet hours. A 2B reminder whose
            # generation date has come meanwhile is moot and not sent.
            continue
        for remind in (remind_2b, remind_3b, remind_pending_windows, remind_s16_4):
            result.reminders += remind(session, taxpayer, settings, now=now, rulebook=rulebook)
        result.digests += queue_daily_digests(session, taxpayer, settings, now=now)
    return result


# ---------------------------------------------------------------------------------------------
# Period close (R2.3, R2.7)


def _released_at(
    session: Session,
    taxpayer: Taxpayer,
    period: ReturnPeriod,
    *,
    first: int,
    scheduled: datetime,
    now: datetime,
    rulebook: RuleBook,
) -> datetime | None:
    """R2.7, E11: when the 2B of `period` comes: its `scheduled` moment, or the filing of the
    GSTR-3B of the tax period before if later; None while that GSTR-3B is not filed.

    Lenient where the store cannot know: a previous period before the first one with records,
    or one with no PeriodState at all (nothing happened in it here), counts as filed. A GSTR-3B
    nobody marked filed counts as filed at the end of its due date when the setting
    `gstr3b_filed_by_due_date` says so (the default): most are filed on time, on the portal.
    """
    frequency = frequency_of(taxpayer)
    previous = last_month_of(tax_period_months(period, frequency)[0].previous(), frequency)
    if (period_number(previous) or 0) < first:
        return scheduled
    filed = [state.gstr3b_filed_at for state in period_states(session, taxpayer, previous)]
    if None not in filed:
        return max([scheduled, *(aware(moment) for moment in filed if moment is not None)])
    if not rulebook.settings.gstr3b_filed_by_due_date:
        return None
    try:
        due = rulebook.calendar.gstr3b_due(previous, frequency, state_group_of_taxpayer(taxpayer))
    except PeriodError:  # a QRMP recipient without a state group: no due date to go by
        return None
    assumed = at_ist(due + timedelta(days=1), time(0, 0))
    return max(scheduled, assumed) if assumed <= now else None


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
                    session,
                    taxpayer,
                    period,
                    first=first,
                    scheduled=at_ist(scheduled, time(0, 0)),
                    now=now,
                    rulebook=rulebook,
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
    if not claim(session, taxpayer_id=taxpayer.id, kind="period_close", key=key, due_at=released):
        return None
    deemed = apply_deemed_acceptance(
        session,
        gstin=taxpayer.gstin,
        period=period,
        rulebook=rulebook,
        now=now,
        generation_day=today_in_india(released),
    )
    mark_done(session, key, now)
    tax_paise = paise(deemed.taxes.total)
    # A period without any record of this GSTIN is closed silently.
    if record_sums(session, taxpayer, period)[0]:
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
