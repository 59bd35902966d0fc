"""Bulk actions on a filter: a preview, a set-based apply with one audit row per record, undo."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Update,
    and_,
    bindparam,
    case,
    func,
    literal,
    not_,
    select,
    update,
)
from sqlmodel import Session

from ims_domain.actions import ActionRequest, Decision, remarks_too_long
from ims_domain.money import TaxAmounts, format_inr
from ims_domain.periods import ReturnPeriod
from ims_domain.records import Action
from storage.access import ACTING_ROLES, Actor, taxpayer_for
from storage.acting import clean_remarks, decision_for
from storage.audit import record_actions_from
from storage.convert import period_number, rupees
from storage.eligibility import CREDIT_NOTE, C, decided_in_python, eligible_in_sql, prefilter
from storage.errors import InvalidInput, NotFound, UndoRefused
from storage.filters import RecordFilter
from storage.models import (
    BulkAction,
    Channel,
    PeriodState,
    RecordRow,
    Taxpayer,
    User,
    records_table,
)
from storage.outbox import enqueue, member_chats
from storage.periods import filed_periods
from storage.rulebook import RuleBook

RECORDS = records_table()


@dataclass(frozen=True)
class BulkPreview:
    """What a bulk action would do: how many records, how much tax, how many it leaves alone."""

    action: Action
    count: int
    taxes: TaxAmounts
    skipped: int
    preview_id: int | None = None  # kept for a confirmation (storage.bulk_preview)


@dataclass(frozen=True)
class BulkResult:
    """What a bulk action did; `bulk_id` is what undo needs."""

    bulk_id: int
    action: Action
    count: int
    taxes: TaxAmounts
    # A confirmed preview: records it listed that changed since (or the rules no longer allow),
    # and records that match its filter now but were not listed. Both are left as they are.
    changed_since: int = 0
    arrived_since: int = 0


def preview_bulk(
    session: Session,
    *,
    actor: Actor,
    gstin: str,
    record_filter: RecordFilter,
    action: Action,
    rulebook: RuleBook,
    now: datetime,
) -> BulkPreview:
    """Count and tax of the records `action` would change; nothing is written."""
    taxpayer = taxpayer_for(session, actor=actor, gstin=gstin, roles=ACTING_ROLES)
    assert taxpayer.id is not None
    matching = record_filter.clause(taxpayer.id)
    count, taxes = would_change(
        session, taxpayer=taxpayer, matching=matching, action=action, rulebook=rulebook, now=now
    )
    return BulkPreview(action, count, taxes, count_of(session, matching) - count)


def would_change(
    session: Session,
    *,
    taxpayer: Taxpayer,
    matching: ColumnElement[bool],
    action: Action,
    rulebook: RuleBook,
    now: datetime,
) -> tuple[int, TaxAmounts]:
    """How many of the `matching` records `action` would change, and their tax."""
    in_sql = and_(matching, not_(decided_in_python(action)), eligible_in_sql(action))
    count, taxes = totals(session, in_sql)
    allowed = python_allowed(
        session,
        taxpayer=taxpayer,
        matching=matching,
        action=action,
        remarks=None,
        rulebook=rulebook,
        now=now,
    )
    for row, _decision in allowed:
        count += 1
        taxes += TaxAmounts(*(rupees(p) for p in _row_taxes(row)))
    return count, taxes


def count_of(session: Session, condition: ColumnElement[bool]) -> int:
    """How many rows meet `condition` (of the table it names)."""
    return int(session.execute(select(func.count()).where(condition)).scalar_one())


def apply_bulk(
    session: Session,
    *,
    actor: Actor,
    gstin: str,
    record_filter: RecordFilter,
    action: Action,
    remarks: str | None = None,
    rulebook: RuleBook,
    now: datetime,
) -> BulkResult:
    """Apply `action` to every matching record the rules allow, in set-based SQL. Remarks over
    the portal's limit refuse the whole bulk action (InvalidInput), never cut."""
    taxpayer = taxpayer_for(session, actor=actor, gstin=gstin, roles=ACTING_ROLES)
    assert taxpayer.id is not None
    return apply_where(
        session,
        taxpayer=taxpayer,
        actor=actor,
        matching=record_filter.clause(taxpayer.id),
        filters=record_filter.as_json(),
        action=action,
        remarks=remarks,
        rulebook=rulebook,
        now=now,
    )


def apply_where(
    session: Session,
    *,
    taxpayer: Taxpayer,
    actor: Actor,
    matching: ColumnElement[bool],
    filters: dict[str, Any],
    action: Action,
    remarks: str | None,
    rulebook: RuleBook,
    now: datetime,
) -> BulkResult:
    """Apply `action` to the `matching` records the rules allow: audited, undoable, told."""
    assert taxpayer.id is not None
    remarks = clean_remarks(remarks)
    too_long = remarks_too_long(remarks, rulebook.settings)
    if too_long is not None:
        raise InvalidInput(too_long)
    bulk = BulkAction(
        taxpayer_id=taxpayer.id,
        user_id=actor.user_id,
        channel=Channel.BULK.value,
        action=action.value,
        filters=filters,
        count=0,
        at=now,
    )
    session.add(bulk)
    session.flush()
    assert bulk.id is not None
    allowed = python_allowed(
        session,
        taxpayer=taxpayer,
        matching=matching,
        action=action,
        remarks=remarks,
        rulebook=rulebook,
        now=now,
    )
    change = build_change(
        session,
        taxpayer=taxpayer,
        bulk_id=bulk.id,
        action=action,
        actor=actor,
        remarks=remarks,
        channel=Channel.BULK,
        now=now,
    )
    # One statement whose WHERE holds every condition it relies on: PostgreSQL checks it again
    # on the newest row when it had to wait for another writer's lock.
    session.execute(
        change.where(matching, not_(decided_in_python(action)), eligible_in_sql(action)).values(
            itc_reduction=case((C.kind == CREDIT_NOTE, "full"), else_=None)
            if action is Action.ACCEPT
            else None
        )
    )
    change_decided_rows(session, change, allowed)
    count, taxes = record_bulk_audit(session, bulk, Channel.BULK, now)
    _notify_team(session, taxpayer, actor, bulk, taxes, kind="team_bulk", now=now)
    return BulkResult(bulk.id, action, count, taxes)


def python_allowed(
    session: Session,
    *,
    taxpayer: Taxpayer,
    matching: ColumnElement[bool],
    action: Action,
    remarks: str | None,
    rulebook: RuleBook,
    now: datetime,
) -> list[tuple[RecordRow, Decision]]:
    """The `matching` rows that only `decide` can judge for `action`, and that it allows."""
    rows = session.execute(
        select(RecordRow).where(matching, decided_in_python(action), prefilter(action))
    ).scalars()
    request = ActionRequest(action, remarks=remarks)
    decided = [
        (
            row,
            decision_for(
                session, taxpayer=taxpayer, row=row, request=request, rulebook=rulebook, now=now
            ),
        )
        for row in rows
    ]
    return [(row, decision) for row, decision in decided if decision.allowed]


def build_change(
    session: Session,
    *,
    taxpayer: Taxpayer,
    bulk_id: int,
    action: Action,
    actor: Actor,
    remarks: str | None,
    channel: Channel,
    now: datetime,
) -> Update:
    """The UPDATE that applies `action`, keeping the previous state for undo."""
    assert taxpayer.id is not None
    filed = filed_periods(session, taxpayer_id=taxpayer.id)
    counts_in: Any = C.counts_in_period
    if filed:
        # A record kept Pending past a filed GSTR-3B counts in the first open period (E1).
        latest = max(filed)
        first_open = period_number(ReturnPeriod(latest // 100, latest % 100).next())
        counts_in = case(
            (and_(C.action == Action.PENDING.value, C.counts_in_period < first_open), first_open),
            else_=C.counts_in_period,
        )
    return update(RECORDS).values(
        previous_action=C.action,
        previous_deemed=C.deemed,
        previous_remarks=C.remarks,
        previous_itc_reduction=C.itc_reduction,
        previous_action_by=C.action_by,
        previous_action_at=C.action_at,
        previous_action_channel=C.action_channel,
        action=action.value,
        deemed=channel is Channel.DEEMED,
        action_by=actor.user_id,
        action_at=now,
        action_channel=channel.value,
        remarks=remarks,
        counts_in_period=counts_in,
        last_bulk_id=bulk_id,
        version=C.version + 1,
        updated_at=now,
    )


def change_decided_rows(
    session: Session, change: Update, allowed: list[tuple[RecordRow, Decision]]
) -> None:
    """Apply the change to rows `decide` allowed, each only if still at the version it saw."""
    if not allowed:
        return
    statement = change.where(C.id == bindparam("_id"), C.version == bindparam("_version")).values(
        itc_reduction=bindparam("_reduction")
    )
    params = [
        {
            "_id": row.id,
            "_version": row.version,
            "_reduction": decision.itc_reduction.mode.value if decision.itc_reduction else None,
        }
        for row, decision in allowed
    ]
    session.execute(statement, params, execution_options={"synchronize_session": False})


def record_bulk_audit(
    session: Session, bulk: BulkAction, channel: Channel, now: datetime
) -> tuple[int, TaxAmounts]:
    """One audit row per changed record (INSERT … SELECT); returns the count and tax changed."""
    assert bulk.id is not None
    changed = C.last_bulk_id == bulk.id
    record_actions_from(
        session,
        select(
            C.id,
            C.taxpayer_id,
            literal(bulk.user_id, type_=C.action_by.type),
            literal(now, type_=C.action_at.type),
            C.previous_action,
            C.action,
            literal(channel.value),
            C.remarks,
            literal(bulk.id),
            C.version,
        ).where(changed),
    )
    count, taxes = totals(session, changed)
    bulk.count = count
    _mark_recompute(session, bulk)
    return count, taxes


def _mark_recompute(session: Session, bulk: BulkAction) -> None:
    """R2.5: periods whose 2B was generated now need a recompute before GSTR-3B."""
    touched = select(C.counts_in_period).where(C.last_bulk_id == bulk.id).distinct()
    session.execute(
        update(PeriodState)
        .where(
            PeriodState.taxpayer_id == bulk.taxpayer_id,  # type: ignore[arg-type]
            PeriodState.period.in_(touched),  # type: ignore[attr-defined]
            PeriodState.gstr2b_generated_at.is_not(None),  # type: ignore[union-attr]
        )
        .values(changed_after_generation=True)
    )


def totals(session: Session, condition: ColumnElement[bool]) -> tuple[int, TaxAmounts]:
    """How many records meet `condition`, and their tax."""
    row = session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(C.igst_paise), 0),
            func.coalesce(func.sum(C.cgst_paise), 0),
            func.coalesce(func.sum(C.sgst_paise), 0),
            func.coalesce(func.sum(C.cess_paise), 0),
        ).where(condition)
    ).one()
    return int(row[0]), TaxAmounts(*(rupees(int(amount)) for amount in row[1:]))


def _row_taxes(row: RecordRow) -> tuple[int, int, int, int]:
    return (row.igst_paise, row.cgst_paise, row.sgst_paise, row.cess_paise)


def undo_bulk(
    session: Session, *, actor: Actor, gstin: str, bulk_id: int, rulebook: RuleBook, now: datetime
) -> int:
    """Put every record of a bulk action back, if within the window and none changed since."""
    taxpayer = taxpayer_for(session, actor=actor, gstin=gstin, roles=ACTING_ROLES)
    bulk = session.get(BulkAction, bulk_id)
    if bulk is None or bulk.taxpayer_id != taxpayer.id or bulk.channel != Channel.BULK.value:
        raise NotFound("That bulk action is not known for this GSTIN.")
    if bulk.undone_at is not None:
        raise UndoRefused("That bulk action was already undone.")
    minutes = int(rulebook.undo_window.total_seconds() // 60)
    if now - bulk.at > rulebook.undo_window:
        raise UndoRefused(
            f"Undo is possible for {minutes} minutes after a bulk action; that has passed."
        )
    mine = C.last_bulk_id == bulk.id
    # Lock the rows (PostgreSQL) so a concurrent single action cannot slip in between.
    still = session.execute(select(C.id).where(mine).with_for_update()).scalars().all()
    if len(still) != bulk.count:
        changed = bulk.count - len(still)
        raise UndoRefused(
            f"{changed} of these {bulk.count} records changed since; undo is refused so that "
            "nothing is lost. Change them one by one."
        )
    record_actions_from(
        session,
        select(
            C.id,
            C.taxpayer_id,
            literal(actor.user_id, type_=C.action_by.type),
            literal(now, type_=C.action_at.type),
            C.action,
            C.previous_action,
            literal(Channel.UNDO.value),
            C.previous_remarks,
            literal(bulk.id),
            C.version + 1,
        ).where(mine),
    )
    # `mine` is checked again on each (locked) row: a record changed since is never put back.
    session.execute(
        update(RECORDS)
        .where(mine)
        .values(
            action=C.previous_action,
            deemed=C.previous_deemed,
            remarks=C.previous_remarks,
            itc_reduction=C.previous_itc_reduction,
            action_by=C.previous_action_by,
            action_at=C.previous_action_at,
            action_channel=C.previous_action_channel,
            last_bulk_id=None,
            version=C.version + 1,
            updated_at=now,
        )
    )
    bulk.undone_at = now
    _notify_team(session, taxpayer, actor, bulk, None, kind="team_undo", now=now)
    return len(still)


def _notify_team(
    session: Session,
    taxpayer: Taxpayer,
    actor: Actor,
    bulk: BulkAction,
    taxes: TaxAmounts | None,
    *,
    kind: str,
    now: datetime,
) -> None:
    """Tell the other members of a bulk action or its undo (one message each)."""
    if bulk.count == 0:
        return
    assert taxpayer.id is not None
    payload = {
        "bulk_id": bulk.id,
        "gstin": taxpayer.gstin,
        "action": bulk.action,
        "count": bulk.count,
        "tax": format_inr(taxes.total) if taxes else None,
        "by_user": actor.user_id,
        "by_name": _name_of(session, actor.user_id),
    }
    messages = [
        (chat, kind, payload, f"{kind}:{bulk.id}:{chat}")
        for chat in member_chats(session, taxpayer_id=taxpayer.id, kind=kind, exclude=actor.user_id)
    ]
    enqueue(session, messages=messages, now=now)


def _name_of(session: Session, user_id: int | None) -> str | None:
    user = session.get(User, user_id) if user_id is not None else None
    return user.name if user else None
