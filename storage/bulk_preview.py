"""Bulk actions confirmed in two steps: exactly the records shown, at the versions shown.

The preview keeps the records the action would change, each with its version. The confirmation
changes only those still at that version and still allowed by the rules; a record that changed
since the member looked, or that arrived since, is left as it is and counted, never changed on a
screen the member did not see. Only the member who looked may confirm, once, within
PREVIEW_LIFETIME.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, delete, exists, insert, literal, not_, select, update
from sqlmodel import Session

from ims_domain.records import Action
from storage.access import ACTING_ROLES, Actor, require_role, taxpayer_for
from storage.bulk import (
    BulkPreview,
    BulkResult,
    apply_where,
    count_of,
    python_allowed,
    totals,
    would_change,
)
from storage.eligibility import C, decided_in_python, eligible_in_sql
from storage.errors import InvalidInput, NotFound
from storage.filters import RecordFilter
from storage.models import BulkPreviewItem, BulkPreviewRow, Taxpayer
from storage.rulebook import RuleBook

PREVIEW_LIFETIME = timedelta(minutes=15)
PREVIEWS = BulkPreviewRow.__table__  # type: ignore[attr-defined]
ITEMS = BulkPreviewItem.__table__  # type: ignore[attr-defined]
OUT_OF_DATE = "This preview is out of date: look at the list again."
APPLIED_ALREADY = "You confirmed this bulk action already."


def keep_bulk_preview(
    session: Session,
    *,
    actor: Actor,
    gstin: str,
    record_filter: RecordFilter,
    action: Action,
    remarks: str | None = None,
    rulebook: RuleBook,
    now: datetime,
) -> BulkPreview:
    """What `action` would change, kept record by record with its version for a confirmation."""
    taxpayer = taxpayer_for(session, actor=actor, gstin=gstin, roles=ACTING_ROLES)
    assert taxpayer.id is not None and actor.user_id is not None
    _forget_out_of_date(session, now=now)
    preview = BulkPreviewRow(
        taxpayer_id=taxpayer.id,
        user_id=actor.user_id,
        action=action.value,
        filters=record_filter.as_json(),
        remarks=remarks,
        created_at=now,
    )
    session.add(preview)
    session.flush()
    assert preview.id is not None
    matching = record_filter.clause(taxpayer.id)
    columns = ["preview_id", "record_id", "version"]
    in_sql = and_(matching, not_(decided_in_python(action)), eligible_in_sql(action))
    session.execute(
        insert(ITEMS).from_select(
            columns, select(literal(preview.id), C.id, C.version).where(in_sql)
        )
    )
    allowed = python_allowed(
        session,
        taxpayer=taxpayer,
        matching=matching,
        action=action,
        remarks=remarks,
        rulebook=rulebook,
        now=now,
    )
    if allowed:
        session.execute(
            insert(ITEMS),
            [
                {"preview_id": preview.id, "record_id": row.id, "version": row.version}
                for row, _ in allowed
            ],
        )
    count, taxes = totals(session, _listed(taxpayer, preview.id))
    return BulkPreview(action, count, taxes, count_of(session, matching) - count, preview.id)


def apply_bulk_preview(
    session: Session, *, actor: Actor, preview_id: int, rulebook: RuleBook, now: datetime
) -> BulkResult:
    """Confirm a kept preview: its action on the records it listed that are still as shown."""
    preview = _claim(session, actor=actor, preview_id=preview_id, now=now)
    taxpayer = session.get(Taxpayer, preview.taxpayer_id)
    assert taxpayer is not None and taxpayer.id is not None
    require_role(session, actor=actor, taxpayer=taxpayer, roles=ACTING_ROLES)
    action = Action(preview.action)
    done = apply_where(
        session,
        taxpayer=taxpayer,
        actor=actor,
        # The version in the condition: a record changed since it was shown is not touched, and
        # PostgreSQL checks this again on a row whose lock it had to wait for.
        matching=_listed(taxpayer, preview_id, at_version=True),
        filters=preview.filters,
        action=action,
        remarks=preview.remarks,
        rulebook=rulebook,
        now=now,
    )
    listed = count_of(session, ITEMS.c.preview_id == preview_id)
    record_filter = RecordFilter.from_json(preview.filters)
    arrived, _ = would_change(
        session,
        taxpayer=taxpayer,
        matching=and_(record_filter.clause(taxpayer.id), not_(_listed(taxpayer, preview_id))),
        action=action,
        rulebook=rulebook,
        now=now,
    )
    session.execute(delete(ITEMS).where(ITEMS.c.preview_id == preview_id))
    return replace(done, changed_since=listed - done.count, arrived_since=arrived)


def _listed(
    taxpayer: Taxpayer, preview_id: int, *, at_version: bool = False
) -> ColumnElement[bool]:
    """The taxpayer's records the preview listed (and still at the version listed)."""
    item = ITEMS.c
    same = [item.preview_id == preview_id, item.record_id == C.id]
    if at_version:
        same.append(item.version == C.version)
    return and_(C.taxpayer_id == taxpayer.id, exists(select(item.record_id).where(*same)))


def _claim(session: Session, *, actor: Actor, preview_id: int, now: datetime) -> BulkPreviewRow:
    """The actor's own preview, marked applied in one conditional statement: once, in time."""
    preview = PREVIEWS.c
    claimed = session.execute(
        update(PREVIEWS)
        .where(
            preview.id == preview_id,
            preview.user_id == actor.user_id,
            preview.applied_at.is_(None),
            preview.created_at > now - PREVIEW_LIFETIME,
        )
        .values(applied_at=now)
    )
    row = session.get(BulkPreviewRow, preview_id)
    if claimed.rowcount == 1 and row is not None:  # type: ignore[attr-defined]
        return row
    if row is not None and row.user_id == actor.user_id and row.applied_at is not None:
        raise InvalidInput(APPLIED_ALREADY)
    raise NotFound(OUT_OF_DATE)


def _forget_out_of_date(session: Session, *, now: datetime) -> None:
    """Delete the previews (and their records) that can no longer be confirmed."""
    # A preview being confirmed right now holds its row lock and is left for a later pass.
    old = (
        session.execute(
            select(PREVIEWS.c.id)
            .where(PREVIEWS.c.created_at <= now - PREVIEW_LIFETIME)
            .with_for_update(skip_locked=True)
        )
        .scalars()
        .all()
    )
    if old:
        session.execute(delete(ITEMS).where(ITEMS.c.preview_id.in_(old)))
        session.execute(delete(PREVIEWS).where(PREVIEWS.c.id.in_(old)))
