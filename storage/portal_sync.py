"""Bringing an unchanged record up to date with what a newer file says about it (OQ8).

A record whose document did not change may still be better known: a GSTR-2B states its period,
an IMS download the portal's current action and hash. The portal's action is adopted as the
local one when nothing was changed here since the last download; otherwise the local action is
kept (it is what the next upload will send) and only `portal_action` moves, so `prev_status` in
the upload matches the portal (R8.8).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping, bindparam, update
from sqlmodel import Session

from ims_domain.records import Action, FilingStatus, ReportedRecord
from storage.audit import record_actions
from storage.convert import period_number
from storage.models import Channel, Taxpayer, records_table

RECORDS = records_table()
C = RECORDS.c
SYNC_READ_COLUMNS = [
    C.action, C.portal_action, C.two_b_period, C.counts_in_period, C.filing_status,
    C.place_of_supply, C.invoice_type, C.supplier_period, C.pending_blocked, C.itc_unavailable,
    C.reverse_charge, C.version, C.supplier_name, C.portal_seen_at,
]  # fmt: skip


def portal_sync(
    known: RowMapping, item: ReportedRecord, *, from_portal: bool, now: datetime
) -> dict[str, Any]:
    """The columns to update on an unchanged record (empty when nothing is new)."""
    record = item.record
    values: dict[str, Any] = {}
    if from_portal and known["portal_seen_at"] is None:
        values["portal_seen_at"] = now
    if item.portal_hash and not known["portal_hash"]:
        values["portal_hash"] = item.portal_hash
    period = period_number(record.two_b_period)
    if period is not None and period != known["two_b_period"]:
        values["two_b_period"] = period
        if known["counts_in_period"] == known["two_b_period"]:  # not moved by a late action
            values["counts_in_period"] = period
    if record.filing_status is FilingStatus.FILED and known["filing_status"] != "filed":
        values["filing_status"] = FilingStatus.FILED.value
    stated = {
        "place_of_supply": record.place_of_supply,
        "invoice_type": record.invoice_type,
        "supplier_period": period_number(record.supplier_period),
        "pending_blocked": record.pending_blocked,
        "supplier_name": item.supplier_name,
    }
    values.update({k: v for k, v in stated.items() if v is not None and v != known[k]})
    # Only a file that says so sets these; no file un-says them.
    for flag in ("itc_unavailable", "reverse_charge"):
        if getattr(record, flag) and not known[flag]:
            values[flag] = True
    portal = item.portal_action
    if portal is not None and portal.value != known["portal_action"]:
        values["portal_action"] = portal.value
        in_step = known["action"] == (known["portal_action"] or Action.NO_ACTION.value)
        if in_step and portal.value != known["action"]:
            values |= {
                "action": portal.value,
                "deemed": False,
                "action_by": None,
                "action_at": now,
                "action_channel": Channel.PORTAL.value,
                "last_bulk_id": None,
                "version": known["version"] + 1,
                "_from": known["action"],
            }
    if values:
        values |= {
            **guard(known["id"], known["version"], known["portal_action"]),
            "updated_at": now,
        }
    return values


class RecordsChanged(Exception):
    """A record an import was about to write was changed by someone else since it was read."""


def guard(record_id: int, version: int, portal_action: str | None) -> dict[str, Any]:
    """What `write_as_read` checks of a record: its id, version and portal action, as read."""
    return {"_id": record_id, "_version": version, "_portal": portal_action}


def write_as_read(session: Session, rows: list[dict[str, Any]]) -> None:
    """Set the rows' columns on each record still as read (`guard`); else RecordsChanged.

    A person's action moves the version, an upload's mark the portal action (without a
    version): either way the record is not written, and the import plans it again.
    """
    statement = (
        update(RECORDS)
        .where(
            C.id == bindparam("_id"),
            C.version == bindparam("_version"),
            C.portal_action.is_not_distinct_from(bindparam("_portal")),
        )
        .values({name: bindparam(name) for name in rows[0] if name[0] != "_"})
    )
    written = session.execute(statement, rows, execution_options={"synchronize_session": False})
    if written.rowcount != len(rows):  # type: ignore[attr-defined]
        raise RecordsChanged


def apply_portal_sync(
    session: Session, recipient: Taxpayer, updates: list[dict[str, Any]], *, now: datetime
) -> int:
    """Write the updates, grouped by the columns they set; returns how many actions were adopted.

    Each only on a record still as read (`write_as_read`).
    """
    audit = [
        {
            "record_id": values["_id"],
            "taxpayer_id": recipient.id,
            "user_id": None,
            "at": now,
            "from_action": values["_from"],
            "to_action": values["action"],
            "channel": Channel.PORTAL.value,
            "remarks": None,
            "bulk_id": None,
            "record_version": values["version"],
        }
        for values in updates
        if "_from" in values
    ]
    groups: dict[frozenset[str], list[dict[str, Any]]] = defaultdict(list)
    for values in updates:
        row = {name: value for name, value in values.items() if name != "_from"}
        groups[frozenset(row)].append(row)
    for rows in groups.values():
        write_as_read(session, rows)
    record_actions(session, audit)
    return len(audit)
