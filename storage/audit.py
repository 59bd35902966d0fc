"""The audit trail: the only writer of the action log and the event log, and their reader.

The action log has a row per change of a record's action (by a person, in bulk, by deemed
acceptance, a supplier's edit or the portal); the event log has everything else done to a GSTIN:
registration, members, invites, group bindings, reminder settings, GSTR-3B filing marks. Both are
append-only: migration 0005 adds triggers that refuse UPDATE and DELETE.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, Table, insert, select
from sqlmodel import Session

from storage.access import Actor, taxpayer_for
from storage.models import ActionLog, EventKind, EventLog, RecordRow, Role, User

ACTIONS: Table = ActionLog.__table__  # type: ignore[attr-defined]
EVENTS: Table = EventLog.__table__  # type: ignore[attr-defined]
# The action log's columns, in the order `record_actions_from` expects its query's columns.
ACTION_COLUMNS = (
    "record_id",
    "taxpayer_id",
    "user_id",
    "at",
    "from_action",
    "to_action",
    "channel",
    "remarks",
    "bulk_id",
    "record_version",
)


def record_event(
    session: Session,
    *,
    kind: EventKind,
    taxpayer_id: int,
    actor: Actor,
    details: dict[str, Any],
    now: datetime,
) -> None:
    """Append one event of a GSTIN: what happened, who did it (None: the system), when, how."""
    session.execute(
        insert(EVENTS).values(
            taxpayer_id=taxpayer_id,
            user_id=actor.user_id,
            at=now,
            kind=kind.value,
            channel=actor.channel.value,
            details=details,
        )
    )


def record_actions(session: Session, rows: list[dict[str, Any]]) -> None:
    """Append action-log rows given as values of ACTION_COLUMNS (one statement for all)."""
    if rows:
        session.execute(insert(ACTIONS), rows)


def record_actions_from(session: Session, query: Select[Any]) -> None:
    """Append an action-log row per row of `query`, whose columns are ACTION_COLUMNS in order:
    INSERT … SELECT, so a bulk change of a million records never passes through Python."""
    session.execute(insert(ACTIONS).from_select(ACTION_COLUMNS, query))


@dataclass(frozen=True)
class AuditEntry:
    """One row of the audit trail as a person reads it."""

    at: datetime
    user_id: int | None  # None: the system (the CLI, the scheduler, an import's own changes)
    user_name: str | None
    channel: str
    kind: str  # an EventKind value, or "action" for the action log
    details: dict[str, Any]


ACTION = "action"


def audit_trail(session: Session, *, actor: Actor, gstin: str, limit: int) -> list[AuditEntry]:
    """The newest `limit` events and actions of a GSTIN, newest first (owners only)."""
    taxpayer = taxpayer_for(session, actor=actor, gstin=gstin, roles=frozenset({Role.OWNER}))
    events = session.execute(
        select(EventLog, User.name)  # type: ignore[call-overload]
        .outerjoin(User, User.id == EventLog.user_id)
        .where(EventLog.taxpayer_id == taxpayer.id)
        .order_by(EventLog.at.desc(), EventLog.id.desc())  # type: ignore[union-attr, attr-defined]
        .limit(limit)
    ).all()
    actions = session.execute(
        select(ActionLog, RecordRow.kind, RecordRow.number, RecordRow.supplier_gstin, User.name)  # type: ignore[call-overload]
        .join(RecordRow, RecordRow.id == ActionLog.record_id)
        .outerjoin(User, User.id == ActionLog.user_id)
        .where(ActionLog.taxpayer_id == taxpayer.id)
        .order_by(ActionLog.at.desc(), ActionLog.id.desc())  # type: ignore[union-attr, attr-defined]
        .limit(limit)
    ).all()
    entries = [
        AuditEntry(event.at, event.user_id, name, event.channel, event.kind, event.details)
        for event, name in events
    ] + [
        AuditEntry(
            log.at,
            log.user_id,
            name,
            log.channel,
            ACTION,
            {
                "record_id": log.record_id,
                "kind": kind,
                "number": number,
                "supplier": supplier,
                "from": log.from_action,
                "to": log.to_action,
                "remarks": log.remarks,
                "bulk_id": log.bulk_id,
            },
        )
        for log, kind, number, supplier, name in actions
    ]
    entries.sort(key=lambda entry: entry.at, reverse=True)
    return entries[:limit]
