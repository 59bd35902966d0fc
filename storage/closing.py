"""Period close: deemed acceptance when GSTR-2B is generated (R2.3), GSTR-3B filed (R2.6)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, select
from sqlmodel import Session

from ims_domain.actions import Decision, ItcReduction, action_counted_at_generation
from ims_domain.money import TaxAmounts
from ims_domain.periods import ReturnPeriod
from ims_domain.records import Action
from storage.access import ACTING_ROLES, Actor, taxpayer_for
from storage.acting import original_of
from storage.bulk import build_change, change_decided_rows, record_bulk_audit
from storage.convert import period_number, record_of
from storage.eligibility import AMENDMENTS, CREDIT_NOTE, C, in_ims
from storage.errors import InvalidInput
from storage.models import BulkAction, Channel, RecordRow
from storage.periods import states_for_tax_period
from storage.rulebook import RuleBook, frequency_of, tax_period_months, today_in_india

DEEMED_IN_FULL = Decision(True, "Pending window ended (R3.5).", itc_reduction=ItcReduction.full())


@dataclass(frozen=True)
class DeemedResult:
    """What deemed acceptance changed in one tax period."""

    period: ReturnPeriod
    count: int
    taxes: TaxAmounts


def apply_deemed_acceptance(
    session: Session, *, gstin: str, period: ReturnPeriod, rulebook: RuleBook, now: datetime
) -> DeemedResult:
    """R2.3: at 2B generation, no-action records of the period count as accepted (audited).

    Specified records still Pending after their window are treated as the OQ13 setting says
    (R3.5). Records with an explicit action are never touched. Only the system runs this.
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
    session.execute(
        change.where(
            C.taxpayer_id == taxpayer.id,
            C.counts_in_period.in_(months),
            C.action == Action.NO_ACTION.value,
            in_ims(),
        ).values(itc_reduction=case((C.kind == CREDIT_NOTE, "full"), else_=None))
    )
    generation_day = today_in_india(now)
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
