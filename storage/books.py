"""Imports that are not IMS records: the recipient's purchase register, the supplier view."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, bindparam, insert, select, update
from sqlmodel import Session

from ims_domain.formats.common import SupplierViewEntry
from ims_domain.periods import FinancialYear
from ims_domain.records import Action, ReportedRecord, RowProblem
from storage.access import Actor
from storage.convert import content_columns, content_hash
from storage.imports import LOOKUP_CHUNK, ImportResult, close_batch, open_batch
from storage.models import ImportBatch, RegisterEntry, SupplierViewRow, Taxpayer
from storage.outbox import enqueue, member_chats

REGISTER: Table = RegisterEntry.__table__  # type: ignore[attr-defined]
SUPPLIER_VIEW: Table = SupplierViewRow.__table__  # type: ignore[attr-defined]
_REGISTER_COLUMNS = (
    "supplier_gstin", "kind", "number", "document_date", "value_paise", "taxable_paise",
    "igst_paise", "cgst_paise", "sgst_paise", "cess_paise",
)  # fmt: skip


def import_register(
    session: Session,
    *,
    actor: Actor,
    gstin: str,
    records: Sequence[ReportedRecord],
    problems: Sequence[RowProblem],
    sha256: str,
    filename: str | None,
    now: datetime,
) -> ImportResult:
    """Keep the recipient's own books beside IMS, to match them later; idempotent like records."""
    importer, batch = open_batch(
        session,
        actor=actor,
        gstin=gstin,
        sha256=sha256,
        file_format="purchase_register",
        filename=filename,
        now=now,
    )
    if isinstance(batch, ImportResult):
        return batch
    rows = {}
    for reported in records:
        columns = content_columns(reported.record)
        rows[reported.record.key.text] = {
            **{name: columns[name] for name in _REGISTER_COLUMNS},
            "taxpayer_id": importer.id,
            "identity": reported.record.key.text,
            "supplier_name": reported.supplier_name,
            "content_hash": content_hash(reported.record),
            "batch_id": batch.id,
            "updated_at": now,
        }
    counts, _ = _upsert(session, REGISTER, importer.id, rows)
    return close_batch(batch, counts, list(problems))


def import_supplier_view(
    session: Session,
    *,
    actor: Actor,
    gstin: str,
    entries: Sequence[SupplierViewEntry],
    problems: Sequence[RowProblem],
    sha256: str,
    filename: str | None,
    now: datetime,
) -> ImportResult:
    """Keep what recipients did with the supplier's own records (R4.6); changes are counted."""
    importer, batch = open_batch(
        session,
        actor=actor,
        gstin=gstin,
        sha256=sha256,
        file_format="supplier_view",
        filename=filename,
        now=now,
    )
    if isinstance(batch, ImportResult):
        return batch
    rows = {}
    for entry in entries:
        fy = FinancialYear.of(entry.document_date).label
        identity = f"{entry.recipient_gstin}|{entry.section}|{entry.number.upper()}|{fy}"
        rows[identity] = {
            "taxpayer_id": importer.id,
            "identity": identity,
            "recipient_gstin": entry.recipient_gstin,
            "section": entry.section,
            "number": entry.number.upper(),
            "document_date": entry.document_date,
            "action": entry.action.value,
            "remarks": entry.remarks,
            "content_hash": f"{entry.action.value}|{entry.remarks or ''}",
            "batch_id": batch.id,
            "updated_at": now,
        }
    counts, moved = _upsert(
        session, SUPPLIER_VIEW, importer.id, rows, hash_columns=("action", "remarks")
    )
    # The uploader gets the alert too: the summary of an import does not list the rejections.
    _alert_new_refusals(session, importer, batch, moved, now=now)
    return close_batch(batch, counts, list(problems))


def _upsert(
    session: Session,
    table: Table,
    taxpayer_id: int | None,
    rows: dict[str, dict[str, Any]],
    *,
    hash_columns: tuple[str, ...] | None = None,
) -> tuple[Counter[str], list[dict[str, Any]]]:
    """Insert new identities, update changed ones, count unchanged ones (set-based); returns
    the counts and the rows that were new or changed."""
    c = table.c
    known: dict[str, tuple[int, str]] = {}
    identities = list(rows)
    for start in range(0, len(identities), LOOKUP_CHUNK):
        chunk = identities[start : start + LOOKUP_CHUNK]
        columns = [c.identity, c.id, *(c[name] for name in hash_columns or ("content_hash",))]
        for identity, row_id, *values in session.execute(
            select(*columns).where(c.taxpayer_id == taxpayer_id, c.identity.in_(chunk))
        ):
            known[identity] = (row_id, "|".join("" if v is None else str(v) for v in values))
    counts: Counter[str] = Counter()
    new, changed = [], []
    for identity, row in rows.items():
        digest = row.pop("content_hash") if hash_columns else row["content_hash"]
        if identity not in known:
            new.append(row)
        elif known[identity][1] != digest:
            changed.append({**row, "_id": known[identity][0]})
        else:
            counts["unchanged"] += 1
    if new:
        session.execute(insert(table), new)
    if changed:
        assignments: dict[str, Any] = {
            name: bindparam(name) for name in changed[0] if name != "_id"
        }
        session.execute(
            update(table).where(c.id == bindparam("_id")).values(assignments),
            changed,
            execution_options={"synchronize_session": False},
        )
    counts["new"], counts["changed"] = len(new), len(changed)
    return counts, [*new, *changed]


def _alert_new_refusals(
    session: Session,
    supplier: Taxpayer,
    batch: ImportBatch,
    moved: list[dict[str, Any]],
    *,
    now: datetime,
) -> None:
    """R4.6: a supplier view that shows new rejections or pendings alerts the supplier's people,
    one message per upload listing them."""
    refusals = [
        row for row in moved if row["action"] in (Action.REJECT.value, Action.PENDING.value)
    ]
    if not refusals or supplier.id is None:
        return
    payload = {
        "batch_id": batch.id,
        "count": len(refusals),
        "items": [
            [
                row["recipient_gstin"],
                row["section"],
                row["number"],
                row["document_date"].isoformat(),
                row["action"],
                row["remarks"],
            ]
            for row in refusals[:10]
        ],
    }
    messages = [
        (chat, "supplier_view_alert", payload, f"supplier_view_alert:{batch.id}:{chat}")
        for chat in member_chats(session, taxpayer_id=supplier.id, kind="supplier_view_alert")
    ]
    enqueue(session, messages=messages, now=now)
