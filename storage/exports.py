"""The IMS action upload: what changed here since the portal last knew, as SAVE/RESET files."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import false, func, select, update
from sqlmodel import Session

from ims_domain.formats.ims_actions import (
    ActionUpload,
    ActionUploadResult,
    build_action_upload,
    parse_action_upload,
)
from ims_domain.records import Action, RecordKind, is_specified
from storage.access import ACTING_ROLES, Actor, taxpayer_for
from storage.acting import original_of
from storage.convert import record_of, reduction_of
from storage.eligibility import C, locked
from storage.errors import InvalidInput
from storage.models import RecordRow, records_table
from storage.rulebook import RuleBook

NOT_ON_PORTAL = (
    "the portal has not shown it yet (it came from the supplier's own return): it goes in an "
    "upload made after an IMS download or GSTR-2B lists it"
)


def export_actions(
    session: Session, *, actor: Actor, gstin: str, rulebook: RuleBook
) -> ActionUploadResult:
    """The upload files for every record whose action differs from the portal's (R8.6, R8.8).

    Records locked by a filed GSTR-3B are left out: the portal no longer takes actions on them.
    A deemed acceptance is not an action and is never sent (R8.9). A record the portal has not
    shown yet (known only from a supplier's return) waits, listed as left out (R8.12).
    """
    taxpayer = taxpayer_for(session, actor=actor, gstin=gstin, roles=ACTING_ROLES)
    differs = C.action != func.coalesce(C.portal_action, Action.NO_ACTION.value)
    rows = session.execute(
        select(RecordRow)
        .where(C.taxpayer_id == taxpayer.id, differs, ~locked(), C.deemed == false())
        .order_by(C.id)
    ).scalars()
    uploads, unseen = [], []
    for row in rows:
        record = record_of(row, taxpayer.gstin)
        if row.portal_seen_at is None:
            unseen.append((record, NOT_ON_PORTAL))
            continue
        original = original_of(session, taxpayer=taxpayer, record=record)
        uploads.append(
            ActionUpload(
                record=record,
                action=Action(row.action),
                portal_action=Action(row.portal_action or Action.NO_ACTION.value),
                itc_reduction=reduction_of(row),
                specified=is_specified(record, original),
                remarks=row.remarks,
            )
        )
    result = build_action_upload(
        uploads,
        recipient_gstin=taxpayer.gstin,
        remarks_max_len=rulebook.settings.remarks_max_len,
    )
    return replace(result, skipped=[*unseen, *result.skipped])


@dataclass(frozen=True)
class MarkedUploaded:
    """How many records now have the uploaded action as the portal's, and what was not found."""

    updated: int
    not_found: list[str]


def mark_uploaded(
    session: Session, *, actor: Actor, gstin: str, upload: bytes, now: datetime
) -> MarkedUploaded:
    """After the user uploaded a file on the portal: its actions become the portal's known ones."""
    taxpayer = taxpayer_for(session, actor=actor, gstin=gstin, roles=ACTING_ROLES)
    entries = parse_action_upload(upload)
    if not entries:
        raise InvalidInput("That file holds no IMS actions.")
    table = records_table()
    updated, not_found = 0, []
    for entry in entries:
        kind = RecordKind(entry.section)
        # The number is unique per supplier and kind within a financial year; the upload does not
        # carry the FY, so the newest matching record is the one that was exported.
        row_id = session.execute(
            select(C.id)
            .where(
                C.taxpayer_id == taxpayer.id,
                C.supplier_gstin == entry.supplier,
                C.kind == kind.value,
                C.number == entry.number.upper(),
            )
            .order_by(C.document_date.desc())
            .limit(1)
        ).scalar()
        if row_id is None:
            not_found.append(f"{kind.label} {entry.number} from {entry.supplier}")
            continue
        portal = (entry.action or Action.NO_ACTION).value
        # What the portal now holds, whatever the record's state: nothing read here is relied on,
        # so neither a version check nor a version bump (the action did not change).
        session.execute(
            update(table).where(C.id == row_id).values(portal_action=portal, updated_at=now)
        )
        updated += 1
    return MarkedUploaded(updated, not_found)
