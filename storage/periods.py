"""Per-period state of a recipient: GSTR-2B generated, changed since, GSTR-3B filed (R2.5-R2.7)."""

from __future__ import annotations

from sqlmodel import Session, select

from ims_domain.periods import ReturnPeriod
from storage.convert import period_number
from storage.models import PeriodState, Taxpayer
from storage.rulebook import frequency_of, tax_period_months


def period_state(session: Session, *, taxpayer_id: int, period: int | None) -> PeriodState | None:
    """The stored state of one 2B month, if anything happened in it yet."""
    if period is None:
        return None
    return session.exec(
        select(PeriodState).where(
            PeriodState.taxpayer_id == taxpayer_id, PeriodState.period == period
        )
    ).first()


def filed_periods(session: Session, *, taxpayer_id: int) -> set[int]:
    """The 2B months (YYYYMM) whose GSTR-3B the recipient has filed."""
    query = select(PeriodState.period).where(
        PeriodState.taxpayer_id == taxpayer_id,
        PeriodState.gstr3b_filed_at.is_not(None),  # type: ignore[union-attr]
    )
    return set(session.exec(query).all())


def first_open_period(session: Session, *, taxpayer: Taxpayer, own_period: int) -> int:
    """The first 2B month at or after `own_period` whose GSTR-3B is not filed (R2.6, E1)."""
    assert taxpayer.id is not None
    filed = filed_periods(session, taxpayer_id=taxpayer.id)
    period = ReturnPeriod(own_period // 100, own_period % 100)
    while period_number(period) in filed:
        period = period.next()
    return period_number(period) or own_period


def states_for_tax_period(
    session: Session, *, taxpayer: Taxpayer, period: ReturnPeriod
) -> list[PeriodState]:
    """The state rows of every 2B month one GSTR-3B covers, created when missing."""
    assert taxpayer.id is not None
    rows = []
    for month in tax_period_months(period, frequency_of(taxpayer)):
        number = period_number(month)
        assert number is not None
        state = period_state(session, taxpayer_id=taxpayer.id, period=number)
        if state is None:
            state = PeriodState(taxpayer_id=taxpayer.id, period=number)
            session.add(state)
        rows.append(state)
    session.flush()
    return rows
