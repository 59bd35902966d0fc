"""`ims demo-data`: the demo records written as the files a real deployment receives."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

from ims_domain.formats.common import SupplierViewEntry
from ims_domain.formats.demo import DemoData
from ims_domain.formats.gstr1 import write_gstr1
from ims_domain.formats.gstr2b import write_gstr2b
from ims_domain.formats.ims_writer import write_ims
from ims_domain.formats.register import write_register_csv
from ims_domain.formats.sections import GSTR1_SECTION_OF
from ims_domain.formats.supplier_view import write_supplier_view
from ims_domain.periods import ReturnPeriod
from ims_domain.records import Action, FilingStatus, ReportedRecord
from storage.spreadsheets import write_register_xlsx


def write_demo_files(data: DemoData, out: Path) -> dict[str, int]:
    """Write every format under `out`; returns how many files of each kind were written."""
    written: dict[str, int] = defaultdict(int)

    def save(relative: str, content: bytes, kind: str) -> None:
        path = out / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        written[kind] += 1

    for recipient in data.recipients:
        mine = data.records_for(recipient.gstin)
        save(f"ims/{recipient.gstin}.json", write_ims(mine), "ims")
        by_period: dict[ReturnPeriod, list[ReportedRecord]] = defaultdict(list)
        for reported in mine:
            record = reported.record
            # Pending records are absent from GSTR-2B (R2.2); unfiled ones have no period yet.
            if record.two_b_period and reported.portal_action is not Action.PENDING:
                by_period[record.two_b_period].append(reported)
        for period, records in sorted(by_period.items()):
            content = write_gstr2b(records, gstin=recipient.gstin, period=period)
            save(f"gstr2b/{recipient.gstin}_{period.code}.json", content, "gstr2b")
        books = [r for r in mine if not r.record.kind.is_amendment]
        save(f"register/{recipient.gstin}.csv", write_register_csv(books), "register_csv")
        save(f"register/{recipient.gstin}.xlsx", write_register_xlsx(books), "register_xlsx")

    by_supplier: dict[str, dict[ReturnPeriod, list[ReportedRecord]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for reported in data.records:
        record = reported.record
        if record.kind.is_import or record.supplier_period is None:
            continue
        by_supplier[record.key.supplier][record.supplier_period].append(reported)
    for supplier, periods in by_supplier.items():
        for period, records in sorted(periods.items()):
            content = write_gstr1(records, gstin=supplier, period=period)
            save(f"gstr1/{supplier}_{period.code}.json", content, "gstr1")
        entries = [
            SupplierViewEntry(
                recipient_gstin=r.record.key.recipient,
                section=GSTR1_SECTION_OF[r.record.kind],
                number=r.record.number,
                document_date=r.record.document_date,
                action=r.portal_action or Action.NO_ACTION,
                remarks=r.remarks,
            )
            for records in periods.values()
            for r in records
            if r.record.filing_status is FilingStatus.FILED
        ]
        latest = max(periods)
        save(
            f"supplier_view/{supplier}.json",
            write_supplier_view(entries, gstin=supplier, period=latest),
            "supplier_view",
        )

    manifest = {
        "recipients": [{"gstin": r.gstin, "name": r.name} for r in data.recipients],
        "suppliers": [{"gstin": s.gstin, "name": s.name} for s in data.suppliers],
        "records": len(data.records),
        "files": dict(written),
    }
    save("manifest.json", json.dumps(manifest, indent=2).encode(), "manifest")
    return dict(written)
