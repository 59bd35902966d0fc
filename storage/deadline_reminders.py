"""The reminders before deadlines that the due work queues (issue 7), each claimed once.

GSTR-2B (what it will deem accepted, R2.3), GSTR-3B (pending and not uploaded records, R2.5),
Pending windows of specified records ending soon (R3.4, R3.5) and the s.16(4) limit (R3.1).
storage.deadlines.run_due_work calls them outside the GSTIN's quiet hours; what the 2B and
Pending-window reminders speak of is built in storage.reminders.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import case, func, select
from sqlmodel import Session

from ims_domain.periods import FinancialYear, PeriodError
from ims_domain.records import Action
from storage.deadline_settings import DeadlineSettings
from storage.due_work import (
    LATE_AFTER,
    claim,
    last_claimed,
    mark_done,
    period_states,
    record_sums,
    send_to_members,
    tax_periods,
)
from storage.eligibility import C, in_ims
from storage.models import Taxpayer
from storage.reminders import reminder_2b_payload, specified_pending_by_window
from storage.rulebook import RuleBook, frequency_of, state_group_of_taxpayer, today_in_india


def remind_2b(
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
            for p in tax_periods(taxpayer, today)
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
    last = last_claimed(session, taxpayer, kind="reminder_2b", key_prefix=key_prefix)
    due = [
        (offset, moment)
        for offset in settings.remind_2b_days
        if (moment := settings.at(generation - timedelta(days=offset))) <= now
        and (last is None or moment > last)
    ]
    sent = 0
    for index, (offset, moment) in enumerate(due):
        key = f"{key_prefix}{offset}"
        if not claim(session, taxpayer_id=taxpayer.id, kind="reminder_2b", key=key, due_at=moment):
            continue
        mark_done(session, key, now)
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
        sent += send_to_members(
            session, taxpayer, kind="reminder_2b", key=key, payload=payload, now=now
        )
    return sent


def remind_3b(
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
    for period in tax_periods(taxpayer, today):
        try:
            due = rulebook.calendar.gstr3b_due(period, frequency, group)
        except PeriodError:  # a QRMP recipient without a state group: no due date known
            return sent
        moment = settings.at(due - timedelta(days=settings.remind_3b_days))
        if not moment <= now or today > due:
            continue
        states = period_states(session, taxpayer, period)
        if states and all(state.gstr3b_filed_at is not None for state in states):
            continue
        total, _ = record_sums(session, taxpayer, period)
        if total == 0:
            continue
        key = f"remind3b:{taxpayer.id}:{period.code}"
        if not claim(session, taxpayer_id=taxpayer.id, kind="reminder_3b", key=key, due_at=moment):
            continue
        mark_done(session, key, now)
        pending, pending_tax = record_sums(
            session, taxpayer, period, C.action == Action.PENDING.value
        )
        not_uploaded, _ = record_sums(
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
        sent += send_to_members(
            session, taxpayer, kind="reminder_3b", key=key, payload=payload, now=now
        )
    return sent


def remind_pending_windows(
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
        if not claim(
            session, taxpayer_id=taxpayer.id, kind="reminder_pending", key=key, due_at=moment
        ):
            continue
        mark_done(session, key, now)
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
        sent += send_to_members(
            session, taxpayer, kind="reminder_pending", key=key, payload=payload, now=now
        )
    return sent


def remind_s16_4(
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
        if not claim(
            session, taxpayer_id=taxpayer.id, kind="reminder_s16_4", key=key, due_at=moment
        ):
            continue
        mark_done(session, key, now)
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
        sent += send_to_members(
            session, taxpayer, kind="reminder_s16_4", key=key, payload=payload, now=now
        )
    return sent
