"""Acting on one record: the rules decide, the version guards, the audit remembers."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, select

from ims_domain.actions import ActionRequest, Decision, decide
from ims_domain.periods import IST
from ims_domain.records import Action, OriginalState, Record
from ims_domain.text_limits import without_nul
from storage.access import ACTING_ROLES, Actor, taxpayer_for
from storage.audit import record_actions
from storage.convert import original_state_of, record_of, reduction_columns
from storage.errors import InvalidInput, NotFound, RuleRefused, StaleRecord
from storage.models import RecordRow, Taxpayer, User, records_table
from storage.periods import first_open_period, period_state
from storage.rulebook import RuleBook
from storage.supplier_alerts import alert_supplier

RECORDS = records_table()


@dataclass(frozen=True)
class ActOutcome:
    """A record's new state after an action, with the engine's decision."""

    record_id: int
    version: int
    action: Action
    previous_action: Action
    decision: Decision


def load_record(session: Session, *, taxpayer: Taxpayer, record_id: int) -> RecordRow:
    """A record of this taxpayer; another taxpayer's record is reported as not found."""
    row = session.get(RecordRow, record_id)
    if row is None or row.taxpayer_id != taxpayer.id:
        raise NotFound("That record is not in this GSTIN's inbox.")
    return row


def original_of(session: Session, *, taxpayer: Taxpayer, record: Record) -> OriginalState | None:
    """The stored state of an amendment's original, if the original is in the store (R5.2)."""
    key = record.original_key
    if key is None:
        return None
    row = session.exec(
        select(RecordRow).where(
            RecordRow.taxpayer_id == taxpayer.id, RecordRow.identity == key.text
        )
    ).first()
    if row is None:
        return None
    assert taxpayer.id is not None
    state = period_state(session, taxpayer_id=taxpayer.id, period=row.counts_in_period)
    return original_state_of(row, gstr3b_filed=bool(state and state.gstr3b_filed_at))


def decision_for(
    session: Session,
    *,
    taxpayer: Taxpayer,
    row: RecordRow,
    request: ActionRequest,
    rulebook: RuleBook,
    now: datetime,
) -> Decision:
    """What the rules engine says about `request` on this stored record now."""
    assert taxpayer.id is not None
    record = record_of(row, taxpayer.gstin)
    state = period_state(session, taxpayer_id=taxpayer.id, period=row.counts_in_period)
    context = rulebook.context(
        taxpayer,
        now=now,
        current_action=Action(row.action),
        gstr3b_filed=bool(state and state.gstr3b_filed_at),
        gstr2b_generated=bool(state and state.gstr2b_generated_at),
        original=original_of(session, taxpayer=taxpayer, record=record),
    )
    return decide(record, request, context)


def act_on_record(
    session: Session,
    *,
    actor: Actor,
    gstin: str,
    record_id: int,
    expected_version: int | None,
    request: ActionRequest,
    rulebook: RuleBook,
    now: datetime,
) -> ActOutcome:
    """Apply one action if the actor may, the record is as they saw it, and the rules allow."""
    taxpayer = taxpayer_for(session, actor=actor, gstin=gstin, roles=ACTING_ROLES)
    assert taxpayer.id is not None
    row = load_record(session, taxpayer=taxpayer, record_id=record_id)
    if expected_version is not None and row.version != expected_version:
        raise _stale(session, row)
    request = replace(request, remarks=clean_remarks(request.remarks))
    decision = decision_for(
        session, taxpayer=taxpayer, row=row, request=request, rulebook=rulebook, now=now
    )
    if not decision.allowed:
        raise RuleRefused(decision)

    previous = Action(row.action)
    counts_in = row.counts_in_period
    if previous is Action.PENDING and counts_in is not None:
        # A record kept Pending past its period's GSTR-3B counts in the first open period (E1).
        counts_in = first_open_period(session, taxpayer=taxpayer, own_period=counts_in)
    remarks = request.remarks
    values: dict[str, Any] = {
        "action": request.action.value,
        "deemed": False,
        "action_by": actor.user_id,
        "action_at": now,
        "action_channel": actor.channel.value,
        "remarks": remarks,
        "counts_in_period": counts_in,
        "last_bulk_id": None,
        "version": row.version + 1,
        "updated_at": now,
        **reduction_columns(decision.itc_reduction if request.action is Action.ACCEPT else None),
    }
    # The version in the WHERE clause makes a concurrent writer's change win or lose whole.
    result = session.execute(
        update(RECORDS)
        .where(RECORDS.c.id == row.id, RECORDS.c.version == row.version)
        .values(values)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        session.refresh(row)
        raise _stale(session, row)
    record_actions(
        session,
        [
            {
                "record_id": row.id,
                "taxpayer_id": taxpayer.id,
                "user_id": actor.user_id,
                "at": now,
                "from_action": previous.value,
                "to_action": request.action.value,
                "channel": actor.channel.value,
                "remarks": remarks,
                "bulk_id": None,
                "record_version": row.version + 1,
            }
        ],
    )
    state = period_state(session, taxpayer_id=taxpayer.id, period=counts_in)
    if state is not None and state.gstr2b_generated_at is not None:
        state.changed_after_generation = True  # R2.5: recompute before GSTR-3B
    alert_supplier(
        session,
        recipient=taxpayer,
        row=row,
        version=values["version"],
        action=request.action,
        remarks=remarks,
        now=now,
    )
    assert row.id is not None
    outcome = ActOutcome(row.id, values["version"], request.action, previous, decision)
    session.expire(row)  # the Core UPDATE bypassed the ORM: reload on next use
    return outcome


def clean_remarks(remarks: str | None) -> str | None:
    """A person's remarks as stored: without NUL characters (PostgreSQL text cannot hold them),
    stripped, None when empty. Their length is the rules' to judge (R4.3), never cut here."""
    return without_nul(remarks or "").strip() or None


def _stale(session: Session, row: RecordRow) -> StaleRecord:
    who = None
    if row.action_by is not None:
        user = session.get(User, row.action_by)
        who = user.name if user else str(row.action_by)
    elif row.action_channel:
        who = {"deemed": "deemed acceptance", "supplier_edit": "the supplier's edit"}.get(
            row.action_channel, row.action_channel
        )
    when = row.action_at.astimezone(IST).strftime("%d-%b %H:%M") if row.action_at else None
    by = f" by {who}" if who else ""
    at = f" at {when}" if when else ""
    return StaleRecord(
        f"This record was changed{by}{at}; it is now {Action(row.action).label}.",
        changed_by=who,
        changed_at=row.action_at,
    )


def find_record_id(
    session: Session,
    *,
    actor: Actor,
    gstin: str,
    supplier: str,
    kind: str,
    number: str,
    financial_year: str | None = None,
) -> int:
    """The id of the record a person names by supplier, kind and number (and FY if needed)."""
    taxpayer = taxpayer_for(session, actor=actor, gstin=gstin)
    query = select(RecordRow).where(
        RecordRow.taxpayer_id == taxpayer.id,
        RecordRow.supplier_gstin == supplier.strip().upper(),
        RecordRow.kind == kind,
        RecordRow.number == number.strip().upper(),
    )
    if financial_year:
        query = query.where(RecordRow.financial_year == financial_year)
    rows = session.exec(query).all()
    if not rows:
        raise NotFound(
            f"No {kind} {number.strip().upper()} from {supplier} in {taxpayer.gstin}'s inbox."
        )
    if len(rows) > 1:
        years = ", ".join(sorted(row.financial_year for row in rows))
        raise InvalidInput(f"{number} exists in several financial years ({years}): add --fy.")
    assert rows[0].id is not None
    return rows[0].id
