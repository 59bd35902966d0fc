"""Period close: deemed acceptance when GSTR-2B is generated (R2.3), GSTR-3B filed (R2.6)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import case, select
from sqlmodel import Session

from ims_domain.actions import Decision, ItcReduction, action_counted_at_generation
from ims_domain.gstr2b import Status
from ims_domain.money import TaxAmounts
from ims_domain.periods import FilingFrequency, ReturnPeriod, tax_period_last_month
from ims_domain.records import Action
from storage.access import ACTING_ROLES, Actor, taxpayer_for
from storage.acting import original_of
from storage.audit import record_event
from storage.bulk import build_change, change_decided_rows, record_bulk_audit
from storage.convert import paise, period_number, record_of
from storage.eligibility import AMENDMENTS, CREDIT_NOTE, C, in_ims
from storage.errors import InvalidInput
from storage.models import BulkAction, Channel, EventKind, PeriodState, RecordRow, Taxpayer
from storage.periods import states_for_tax_period
from storage.queries import gstr2b_draft
from storage.rulebook import RuleBook, frequency_of, tax_period_months, today_in_india

DEEMED_IN_FULL = Decision(True, "Pending window ended (R3.5).", itc_reduction=ItcReduction.full())


@dataclass(frozen=True)
class DeemedResult:
    """What deemed acceptance changed in one tax period."""

    period: ReturnPeriod
    count: int
    taxes: TaxAmounts


def apply_deemed_acceptance(
    session: Session,
    *,
    gstin: str,
    period: ReturnPeriod,
    rulebook: RuleBook,
    now: datetime,
    generation_day: date | None = None,
) -> DeemedResult:
    """R2.3: at 2B generation, no-action records of the period count as accepted (audited).

    Specified records still Pending after their window are treated as the OQ13 setting says
    (R3.5), judged on `generation_day` (default: today in India; a period closed late after
    downtime passes the day its 2B was due). Records with an explicit action are never touched.
    Only the system runs this.
    """
    actor = Actor.system(Channel.DEEMED)
    taxpayer = taxpayer_for(session, actor=actor, gstin=gstin)
    assert taxpayer.id is not None
    frequency = frequency_of(taxpayer)
    months = [period_number(m) for m in tax_period_months(period, frequency)]
    bulk = BulkAction(
        taxpayer_id=taxpayer.id,
        channel=Channel.DEEMED.value,
        action=Action.ACCEPT.value,
        filters={"period": period.code},
        count=0,
        at=now,
    )
    session.add(bulk)
    session.flush()
    assert bulk.id is not None
    change = build_change(
        session,
        taxpayer=taxpayer,
        bulk_id=bulk.id,
        action=Action.ACCEPT,
        actor=actor,
        remarks=None,
        channel=Channel.DEEMED,
        now=now,
    )
    # One statement: a record someone acted on meanwhile fails `action == N` when PostgreSQL
    # checks the WHERE again on the newest row, so no action is ever deemed over.
    session.execute(
        change.where(
            C.taxpayer_id == taxpayer.id,
            C.counts_in_period.in_(months),
            C.action == Action.NO_ACTION.value,
            in_ims(),
        ).values(itc_reduction=case((C.kind == CREDIT_NOTE, "full"), else_=None))
    )
    generation_day = generation_day or today_in_india(now)
    expired = []
    candidates = (
        session.execute(
            select(RecordRow).where(
                C.taxpayer_id == taxpayer.id,
                C.action == Action.PENDING.value,
                C.kind.in_([CREDIT_NOTE, *AMENDMENTS]),
                C.counts_in_period <= max(m for m in months if m is not None),
            )
        )
        .scalars()
        .all()
    )
    for row in candidates:
        record = record_of(row, taxpayer.gstin)
        context = rulebook.context(
            taxpayer,
            now=now,
            current_action=Action.PENDING,
            gstr3b_filed=False,
            gstr2b_generated=True,
            original=original_of(session, taxpayer=taxpayer, record=record),
        )
        counted = action_counted_at_generation(record, Action.PENDING, generation_day, context)
        if counted is Action.ACCEPT:
            # OQ11, OQ13: silence on a specified record means the full ITC reduction.
            expired.append((row, DEEMED_IN_FULL))
    change_decided_rows(session, change, expired)
    count, taxes = record_bulk_audit(session, bulk, Channel.DEEMED, now)
    for state in states_for_tax_period(session, taxpayer=taxpayer, period=period):
        state.gstr2b_generated_at = state.gstr2b_generated_at or now
    return DeemedResult(period, count, taxes)


def mark_gstr3b_filed(
    session: Session, *, actor: Actor, gstin: str, period: ReturnPeriod, now: datetime
) -> None:
    """R2.6: the recipient filed GSTR-3B for `period`: its accepted and rejected records lock."""
    taxpayer = taxpayer_for(session, actor=actor, gstin=gstin, roles=ACTING_ROLES)
    states = states_for_tax_period(session, taxpayer=taxpayer, period=period)
    if all(state.gstr3b_filed_at for state in states):
        raise InvalidInput(f"GSTR-3B for {period.label} is already marked filed.")
    for state in states:
        state.gstr3b_filed_at = state.gstr3b_filed_at or now
    assert taxpayer.id is not None
    record_event(
        session,
        kind=EventKind.GSTR3B_FILED,
        taxpayer_id=taxpayer.id,
        actor=actor,
        details={"period": period.code},
        now=now,
    )


def closed_period_summary(session: Session, *, gstin: str, period: ReturnPeriod) -> dict[str, Any]:
    """The draft GSTR-2B of a period just closed, in paise per head, for the owners' summary.

    ITC available, the ITC that credit notes reduce (R4.1, R4.2), and how many records were
    rejected or are kept Pending (left out of this 2B, R2.2). System use: no access check.
    """
    draft = gstr2b_draft(session, actor=Actor.system(Channel.DEEMED), gstin=gstin, period=period)
    counts = draft.counts
    return {
        "itc_available": _heads_in_paise(draft.itc_available),
        "itc_reduction": _heads_in_paise(draft.credit_note_reduction),
        "rejected": counts[Status.REJECTED],
        "pending": counts[Status.PENDING],
        "pending_tax_paise": paise(draft.pending.total),
    }


def _heads_in_paise(taxes: TaxAmounts) -> dict[str, int]:
    return {head: paise(amount) for head, amount in taxes.as_dict().items()}


@dataclass(frozen=True)
class FilingCandidate:
    """A tax period whose GSTR-2B is generated here and whose GSTR-3B is not marked filed yet."""

    gstin: str
    period: ReturnPeriod  # the tax period's last month
    label: str  # Oct-2025, or Oct-Dec 2025 for a QRMP recipient
    final: int  # accepted (or deemed) and rejected records: filing locks them (R2.6)
    pending: int  # they stay in IMS


def unfiled_periods(session: Session, *, actor: Actor, gstin: str) -> list[FilingCandidate]:
    """The tax periods whose GSTR-3B may be marked filed, oldest first (owners and approvers).

    Only periods whose GSTR-2B is generated here: a GSTR-3B needs its 2B, and the 2B held back by
    the sequence lock (R2.7) comes once the GSTR-3B before it is marked filed.
    """
    taxpayer = taxpayer_for(session, actor=actor, gstin=gstin, roles=ACTING_ROLES)
    frequency = frequency_of(taxpayer)
    months = session.execute(
        select(PeriodState.period).where(  # type: ignore[call-overload]
            PeriodState.taxpayer_id == taxpayer.id,
            PeriodState.gstr2b_generated_at.is_not(None),  # type: ignore[union-attr]
            PeriodState.gstr3b_filed_at.is_(None),  # type: ignore[union-attr]
        )
    ).scalars()
    periods = sorted(
        {tax_period_last_month(ReturnPeriod(m // 100, m % 100), frequency) for m in months}
    )
    return [_candidate(session, actor=actor, taxpayer=taxpayer, period=p) for p in periods]


def filing_candidate(
    session: Session, *, actor: Actor, gstin: str, period: ReturnPeriod
) -> FilingCandidate:
    """One tax period offered by `unfiled_periods`, with what marking it filed would lock."""
    for candidate in unfiled_periods(session, actor=actor, gstin=gstin):
        if candidate.period == period:
            return candidate
    raise InvalidInput(
        f"GSTR-3B for {period.label} cannot be marked filed here: it is marked already, or its "
        "GSTR-2B is not generated yet."
    )


def _candidate(
    session: Session, *, actor: Actor, taxpayer: Taxpayer, period: ReturnPeriod
) -> FilingCandidate:
    counts = gstr2b_draft(session, actor=actor, gstin=taxpayer.gstin, period=period).counts
    final = counts[Status.ACCEPTED] + counts[Status.DEEMED] + counts[Status.REJECTED]
    quarterly = frequency_of(taxpayer) is FilingFrequency.QUARTERLY
    label = period.quarter.label if quarterly else period.label
    return FilingCandidate(taxpayer.gstin, period, label, final, counts[Status.PENDING])
