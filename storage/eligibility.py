"""Which records a set-based action may touch: the rules of `ims_domain.actions.decide` in SQL.

Bulk actions and deemed acceptance change thousands of rows in one statement, so the common
rules are written here as SQL conditions. Records whose answer depends on more than their own
row (amendments, which look at their original, and credit notes kept Pending, which have a
deadline) are left to `decide` one by one: `decided_in_python` picks them out. A test checks
that both halves together agree with `decide` on every kind of record.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, exists, false, not_, or_, select

from ims_domain.periods import FIRST_IMS_PERIOD, NEW_PENDING_RULES_FROM
from ims_domain.records import Action, RecordKind
from storage.convert import period_number
from storage.models import PeriodState, records_table

C = records_table().c
IMPORTS = [kind.value for kind in RecordKind if kind.is_import]
AMENDMENTS = [kind.value for kind in RecordKind if kind.is_amendment]
CREDIT_NOTE = RecordKind.CREDIT_NOTE.value


def locked() -> ColumnElement[bool]:
    """R2.6: the record's period has its GSTR-3B filed and the record is not Pending."""
    filed = exists(
        select(PeriodState.id).where(  # type: ignore[call-overload]
            PeriodState.taxpayer_id == C.taxpayer_id,
            PeriodState.period == C.counts_in_period,
            PeriodState.gstr3b_filed_at.is_not(None),  # type: ignore[union-attr]
        )
    )
    return and_(C.action != Action.PENDING.value, filed)


def in_ims() -> ColumnElement[bool]:
    """R1.3, R1.5, R1.8: documents that take actions at all."""
    return and_(
        C.reverse_charge == false(),
        C.itc_unavailable == false(),
        or_(C.two_b_period.is_(None), C.two_b_period >= period_number(FIRST_IMS_PERIOD)),
        or_(
            C.kind.not_in(IMPORTS),
            C.two_b_period.is_(None),
            C.two_b_period >= period_number(NEW_PENDING_RULES_FROM),
        ),
    )


def decided_in_python(action: Action) -> ColumnElement[bool]:
    """Rows whose answer needs `decide` itself for `action`."""
    if action is Action.ACCEPT:
        return C.kind.in_(AMENDMENTS)
    if action is Action.PENDING:
        return or_(C.kind.in_(AMENDMENTS), C.kind == CREDIT_NOTE)
    return false()


def eligible_in_sql(action: Action) -> ColumnElement[bool]:
    """Rows `action` may change, among those not `decided_in_python`."""
    base = and_(C.action != action.value, in_ims(), not_(locked()))
    if action is Action.REJECT:
        return and_(base, C.kind.not_in(IMPORTS))  # R1.5
    if action is Action.PENDING:
        # R3.1, R3.7, R3.8: ordinary documents and bills of entry, unless the portal forbids.
        return and_(base, or_(C.pending_blocked.is_(None), C.pending_blocked == false()))
    return base


def prefilter(action: Action) -> ColumnElement[bool]:
    """Cheap conditions every changed row meets; narrows the rows sent to `decide`."""
    return and_(C.action != action.value, in_ims(), not_(locked()))
