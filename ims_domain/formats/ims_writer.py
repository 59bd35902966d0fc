"""The IMS download JSON written back (gst-formats.md §4.1): the records as GETINV lists them.

`parse_ims` reads the file back to the same records; the action upload echoes `record_fields`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ims_domain.formats.fields import gst_date_text, yes_no
from ims_domain.formats.ims_json import ACTIONABLE_SECTIONS, section_keys
from ims_domain.formats.jsonio import encode_json
from ims_domain.records import FilingStatus, Record, RecordKind, ReportedRecord


def write_ims(records: Sequence[ReportedRecord]) -> bytes:
    """An IMS download JSON (bare sections object) that `parse_ims` reads back to `records`.

    `rtnprd` is the record's supplier period, else its 2B period; a Filed record whose 2B period
    differs from its supplier period therefore reads back with the supplier period as 2B period.
    """
    sections: dict[str, list[dict[str, Any]]] = {}
    for kind in RecordKind:
        rows = [ims_row(item) for item in records if item.record.kind is kind]
        if rows:
            sections[kind.value] = rows
    if not sections:
        # Nothing to list: every section empty, so the file still reads as an IMS download.
        sections = {section: [] for section in ACTIONABLE_SECTIONS}
    return encode_json(sections, indent=True)


def ims_row(reported: ReportedRecord) -> dict[str, Any]:
    """One GETINV record as the portal writes it."""
    record = reported.record
    row = record_fields(record)
    if reported.supplier_name:
        row["trdnm"] = reported.supplier_name
    if record.filing_status is FilingStatus.NOT_FILED:
        row["srcfilstatus"] = "Not Filed"
    elif not record.kind.is_import:
        row["srcfilstatus"] = "Filed"
    if reported.portal_action is not None:
        row["action"] = reported.portal_action.value
    if record.pending_blocked is not None:
        row["ispendactblocked"] = yes_no(record.pending_blocked)
    if reported.remarks:
        row["remarks"] = reported.remarks
    if reported.portal_hash:
        row["hash"] = reported.portal_hash
    return row


def record_fields(record: Record) -> dict[str, Any]:
    """The identifying and amount fields of a record, keyed as in its IMS section (§4.1)."""
    kind = record.kind
    keys = section_keys(kind)
    row: dict[str, Any] = {}
    if kind.is_import:
        supplier = record.key.supplier
        if kind.original_kind is RecordKind.SEZ_BILL_OF_ENTRY and len(supplier) == 15:
            row["sgstin"] = supplier
        else:
            row["portcd"] = supplier
    else:
        row["stin"] = record.key.supplier
    row[keys.number] = record.key.number
    row[keys.date] = gst_date_text(record.document_date)
    if record.original is not None:
        row[keys.original_number[0]] = record.original.number
        row[keys.original_date[0]] = gst_date_text(record.original.document_date)
    if record.invoice_type is not None:
        row["inv_typ"] = record.invoice_type
    row["srcform"] = record.source_form
    period = record.supplier_period or record.two_b_period
    if period is not None:
        row["itcprd" if kind.is_import else "rtnprd"] = period.code
    row["val"] = record.value
    if record.place_of_supply is not None:
        row["pos"] = record.place_of_supply
    row["txval"] = record.taxable_value
    taxes = record.taxes
    if kind.is_import:
        row["igst"] = taxes.igst
        if taxes.cgst or taxes.sgst:
            row["camt"] = taxes.cgst
            row["samt"] = taxes.sgst
    else:
        row.update(iamt=taxes.igst, camt=taxes.cgst, samt=taxes.sgst)
    row["cess"] = taxes.cess
    return row
