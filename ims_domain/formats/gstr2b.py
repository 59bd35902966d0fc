"""GSTR-2B JSON, the recipient's ITC statement (gst-formats.md §3), before and after IMS.

`docdata` holds the accepted and deemed-accepted documents (told apart nowhere, §3.4), so their
records carry no portal action; `docRejdata` holds the rejected ones (R2.2), read as
`Action.REJECT`, as is any document marked `imsStatus` "R". Pending documents are absent. Every
record's 2B period is the file's own `rtnprd`.

Decisions where the format says nothing:
- The tax layout is told by shape (§3.3): document-level `txval`/`igst`/… (post-IMS) win; without
  them a document's `items[]` are summed (pre-IMS).
- Bills of entry: `impg` has no supplier GSTIN, so the supplier is the port code (`portcode`, also
  `portcd`); `impgsez` takes its envelope's `ctin`. `source_form` is "ICEGATE" for them, "R1" for
  the rest (2B does not name the supplier's form). A BoE without `val` is worth `txval` + tax.
  Amendments (`impga`, `impgseza`/`impgasez`) name their original by `oboenum`/`oboedt` when
  present, else the BoE's own number and date (ICEGATE amends a BoE under its number).
- `cdnra` takes its kind from the amended note's `typ`, else from `onttyp`.
- ISD (`isd`, `isda`) and the rule 37A reversal list (`itcrev`) are skipped with a note (R1.3,
  R1.6); summaries (`itcsumm`, `cpsumm`, `cpSummRej`) are not read.
- Reverse-charge (`rev` Y) and `itcavl` N documents are kept, flagged (R1.3): the store decides
  what to show.
- Row problems are indexed by the document's position in its section, from 0, counting across
  the suppliers' envelopes; rejected sections are labelled "b2b (rejected)".
- Values the portal never writes refuse their row (fields.portal_amount, document_number,
  code_text, port_code): a negative, blank or null amount, items summing past the limit, a
  number over 16 characters; a trade name loses its NUL characters and is capped (warnings).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ims_domain.formats.common import FileFormat, FormatError, ParsedFile, RowError, shown
from ims_domain.formats.fields import (
    code_text,
    document_date,
    document_number,
    flag,
    gst_date_text,
    gstin_field,
    header_period,
    item_totals,
    name_text,
    optional_period,
    optional_text,
    port_code,
    portal_amount,
    state_code,
    tax_amounts,
    yes_no,
)
from ims_domain.formats.jsonio import encode_json, load_json, unwrap, wrapped_bodies
from ims_domain.formats.sections import (
    GSTR1_SECTION_OF,
    Collector,
    envelope_documents,
    is_note,
    note_kind,
    original_ref,
)
from ims_domain.money import ZERO, TaxAmounts
from ims_domain.periods import ReturnPeriod
from ims_domain.records import (
    Action,
    FilingStatus,
    Record,
    RecordKey,
    RecordKind,
    ReportedRecord,
    RowProblem,
)

__all__ = ["looks_like_gstr2b", "parse_gstr2b", "write_gstr2b"]

_HEADS = ("igst", "cgst", "sgst", "cess")
_DOCUMENT_TAX_KEYS = frozenset({"txval", *_HEADS})
_SUMMARY_KEYS = ("docdata", "docRejdata", "itcsumm", "cpsumm", "cpSummRej")
BOE_SOURCE_FORM = "ICEGATE"


@dataclass(frozen=True)
class _Shape:
    """Where a 2B section keeps its documents and which fields name them."""

    list_key: str | None  # None: a flat list of documents (impg)
    number_key: str
    date_key: str
    original: tuple[str, str] | None
    kind: RecordKind | None  # None: a note, its kind from `typ`
    boe: bool = False


_BOE_ORIGINAL = ("oboenum", "oboedt")
_SHAPES: Mapping[str, _Shape] = {
    "b2b": _Shape("inv", "inum", "dt", None, RecordKind.INVOICE),
    "b2ba": _Shape("inv", "inum", "dt", ("oinum", "oidt"), RecordKind.INVOICE_AMENDMENT),
    "cdnr": _Shape("nt", "ntnum", "dt", None, None),
    "cdnra": _Shape("nt", "ntnum", "dt", ("ontnum", "ontdt"), None),
    "ecom": _Shape("inv", "inum", "dt", None, RecordKind.ECO_DOCUMENT),
    "ecoma": _Shape("inv", "inum", "dt", ("oinum", "oidt"), RecordKind.ECO_DOCUMENT_AMENDMENT),
    "impg": _Shape(None, "boenum", "boedt", None, RecordKind.BILL_OF_ENTRY, boe=True),
    "impga": _Shape(
        None, "boenum", "boedt", _BOE_ORIGINAL, RecordKind.BILL_OF_ENTRY_AMENDMENT, boe=True
    ),
    "impgsez": _Shape("boe", "boenum", "boedt", None, RecordKind.SEZ_BILL_OF_ENTRY, boe=True),
    "impgseza": _Shape(
        "boe", "boenum", "boedt", _BOE_ORIGINAL, RecordKind.SEZ_BILL_OF_ENTRY_AMENDMENT, boe=True
    ),
}
_ALIASES = {"impgasez": "impgseza"}
_SKIPPED = {
    "isd": "ISD documents are not actionable in IMS, R1.6",
    "isda": "ISD documents are not actionable in IMS, R1.6",
    "itcrev": "documents marked for rule 37A reversal, never in IMS, R1.3",
}


def looks_like_gstr2b(document: Any) -> bool:
    """A GSTR-2B: inside its `data` wrappers an object with gstin, rtnprd and docdata/itcsumm."""
    body = unwrap(document, required=("gstin", "rtnprd"))
    return body is not None and any(key in body for key in _SUMMARY_KEYS)


def _find_body(document: Any) -> Mapping[str, Any]:
    body = unwrap(document, required=("gstin", "rtnprd"))
    if body is not None:
        return body
    for wrapper in wrapped_bodies(document):
        if "fc" in wrapper:
            raise FormatError(
                f"this GSTR-2B answer is split into {shown(wrapper['fc'])} files: download each "
                "part (file_number 1, 2, …) and send them one by one"
            )
    raise FormatError("this is not a GSTR-2B JSON: it has no gstin and rtnprd")


def parse_gstr2b(data: bytes, *, gstin: str) -> ParsedFile:
    """Read a GSTR-2B JSON of `gstin` (the recipient): one record per document."""
    body = _find_body(load_json(data))
    own = gstin.strip().upper()
    file_gstin = body.get("gstin")
    if not isinstance(file_gstin, str) or file_gstin.strip().upper() != own:
        named = file_gstin.strip().upper() if isinstance(file_gstin, str) else shown(file_gstin)
        raise FormatError(f"this GSTR-2B is for {named[:40]}, not {own}")
    period = header_period(body.get("rtnprd"), "rtnprd", "GSTR-2B")
    reader = _Reader(Collector(), own, period)
    for container, action in (("docdata", None), ("docRejdata", Action.REJECT)):
        sections = body.get(container)
        if sections is None:
            continue
        if not isinstance(sections, Mapping):
            reader.collector.problem(container, None, container, "is not an object of sections")
            continue
        for name, value in sections.items():
            reader.section(str(name), value, action)
    return reader.collector.parsed(FileFormat.GSTR2B, gstin=own, period=period)


class _Reader:
    def __init__(self, collector: Collector, recipient: str, period: ReturnPeriod) -> None:
        self.collector = collector
        self.recipient = recipient
        self.period = period

    def section(self, name: str, value: Any, action: Action | None) -> None:
        label = name if action is None else f"{name} (rejected)"
        shape = _SHAPES.get(_ALIASES.get(name, name))
        if shape is None:
            reason = _SKIPPED.get(name, "not a section the assistant reads")
            if name == "itcrev" and isinstance(value, list):
                # A list of objects keyed by section (b2b, b2ba, cdnr, cdnra): count their rows.
                value = [row for part in value if isinstance(part, Mapping) for row in _rows(part)]
            if isinstance(value, list | Mapping):
                self.collector.skipped(label, value, reason)
            return
        if shape.list_key is None:
            self._flat(label, shape, value, action)
            return
        for index, envelope, doc in envelope_documents(
            self.collector, label, value, (shape.list_key,)
        ):
            self._document(
                label, index=index, shape=shape, doc=doc, envelope=envelope, action=action
            )

    def _flat(self, label: str, shape: _Shape, value: Any, action: Action | None) -> None:
        if not isinstance(value, list):
            self.collector.problem(label, None, label, "is not a list of bills of entry")
            return
        for index, doc in enumerate(value):
            if not isinstance(doc, Mapping):
                self.collector.problem(label, index, "(row)", "is not an object")
                continue
            self._document(label, index=index, shape=shape, doc=doc, envelope=None, action=action)

    def _document(
        self,
        label: str,
        *,
        index: int,
        shape: _Shape,
        doc: Mapping[str, Any],
        envelope: Mapping[str, Any] | None,
        action: Action | None,
    ) -> None:
        def build() -> ReportedRecord:
            supplier = self._supplier(label, index, doc, envelope)
            record = self._record(shape, doc, envelope, supplier)
            portal_action = action
            if optional_text(doc.get("imsStatus")) in ("R", "r"):
                portal_action = Action.REJECT
            return ReportedRecord(
                record=record,
                supplier_name=self._name(label, index, envelope),
                portal_action=portal_action,
            )

        self.collector.row(label, index, build)

    def _name(self, label: str, index: int, envelope: Mapping[str, Any] | None) -> str | None:
        """The supplier's trade name, with a warning for each thing mended in it."""
        if envelope is None:
            return None
        name, reasons = name_text(envelope.get("trdnm"))
        for reason in reasons:
            self.collector.problems.append(RowProblem(label, index, "trdnm", reason, False))
        return name

    def _supplier(
        self, label: str, index: int, doc: Mapping[str, Any], envelope: Mapping[str, Any] | None
    ) -> str:
        if envelope is not None:
            problems = self.collector.problems
            return gstin_field(envelope.get("ctin"), "ctin", problems, (label, index))
        key = "portcode" if "portcode" in doc else "portcd"
        return port_code(doc.get(key), key)

    def _record(
        self,
        shape: _Shape,
        doc: Mapping[str, Any],
        envelope: Mapping[str, Any] | None,
        supplier: str,
    ) -> Record:
        amendment = shape.original is not None
        kind = shape.kind or note_kind(
            doc.get("typ") if "typ" in doc else doc.get("onttyp"), "typ", amendment=amendment
        )
        number = document_number(doc.get(shape.number_key), shape.number_key)
        day = document_date(doc.get(shape.date_key), shape.date_key)
        original = None
        if shape.original is not None:
            number_key, date_key = shape.original
            if shape.boe and number_key not in doc:
                number_key, date_key = shape.number_key, shape.date_key
            original = original_ref(doc, number_key, date_key)
        taxable, taxes = _document_tax(doc)
        value = portal_amount(doc, "val", default=taxable + taxes.total if shape.boe else None)
        supplier_period = None
        if envelope is not None:
            supplier_period = optional_period(envelope.get("supprd"), "supprd")
        itc_available = doc.get("itcavl")
        type_key = "suptyp" if is_note(kind) else "typ"
        return Record(
            key=RecordKey.of(
                supplier=supplier,
                recipient=self.recipient,
                kind=kind,
                number=number,
                document_date=day,
            ),
            document_date=day,
            value=value,
            taxable_value=taxable,
            taxes=taxes,
            two_b_period=self.period,
            source_form=BOE_SOURCE_FORM if shape.boe else "R1",
            filing_status=FilingStatus.FILED,
            original=original,
            reverse_charge=flag(doc.get("rev")) is True,
            itc_unavailable=isinstance(itc_available, str) and itc_available.strip().upper() == "N",
            place_of_supply=state_code(doc.get("pos")),
            invoice_type=code_text(doc.get(type_key), type_key),
            supplier_period=supplier_period,
        )


def _rows(sections: Mapping[str, Any]) -> list[Any]:
    """The envelopes of every section list in `sections`."""
    return [row for value in sections.values() if isinstance(value, list) for row in value]


def _document_tax(doc: Mapping[str, Any]) -> tuple[Decimal, TaxAmounts]:
    """Post-IMS document-level tax, or the sum of the pre-IMS rate-wise `items` (§3.3)."""
    items = doc.get("items")
    if items is None or _DOCUMENT_TAX_KEYS & doc.keys():
        return portal_amount(doc, "txval", default=ZERO), tax_amounts(doc, _HEADS)
    if not isinstance(items, list):
        raise RowError("items", "is not a list of rate-wise items")
    taxable, taxes = ZERO, TaxAmounts()
    for position, item in enumerate(items):
        where = f"items[{position}]"
        if not isinstance(item, Mapping):
            raise RowError(where, "is not an object")
        taxable += portal_amount(item, "txval", default=ZERO, prefix=f"{where}.")
        taxes = taxes + tax_amounts(item, _HEADS, f"{where}.")
    return taxable, item_totals(taxable, taxes, "items")


# --- writer -------------------------------------------------------------------------------------

_WRITE_SECTION = {
    **GSTR1_SECTION_OF,
    RecordKind.BILL_OF_ENTRY: "impg",
    RecordKind.BILL_OF_ENTRY_AMENDMENT: "impga",
    RecordKind.SEZ_BILL_OF_ENTRY: "impgsez",
    RecordKind.SEZ_BILL_OF_ENTRY_AMENDMENT: "impgseza",
}


def _tax_fields(record: Record, *, boe: bool) -> dict[str, Any]:
    fields: dict[str, Any] = {"txval": record.taxable_value}
    for head, value in record.taxes.as_dict().items():
        if not boe or head in ("igst", "cess") or value:
            fields[head] = value
    return fields


def _boe_document(record: Record, *, port: str | None) -> dict[str, Any]:
    doc: dict[str, Any] = {}
    if port is not None:
        doc["portcode"] = port
    doc["boenum"] = record.number
    doc["boedt"] = gst_date_text(record.document_date)
    if record.original is not None:
        doc["oboenum"] = record.original.number
        doc["oboedt"] = gst_date_text(record.original.document_date)
    doc.update(_tax_fields(record, boe=True))
    if record.value != record.taxable_value + record.taxes.total:
        doc["val"] = record.value
    return doc


def _gst_document(record: Record) -> dict[str, Any]:
    kind = record.kind
    doc: dict[str, Any] = {}
    if is_note(kind):
        note_type = "C" if kind.is_credit_note else "D"
        if record.original is not None:
            doc["onttyp"] = note_type
            doc["ontnum"] = record.original.number
            doc["ontdt"] = gst_date_text(record.original.document_date)
        doc["ntnum"] = record.number
        doc["typ"] = note_type
        if record.invoice_type is not None:
            doc["suptyp"] = record.invoice_type
    else:
        if record.original is not None:
            doc["oinum"] = record.original.number
            doc["oidt"] = gst_date_text(record.original.document_date)
        doc["inum"] = record.number
        if record.invoice_type is not None:
            doc["typ"] = record.invoice_type
    doc["dt"] = gst_date_text(record.document_date)
    doc["val"] = record.value
    if record.place_of_supply is not None:
        doc["pos"] = record.place_of_supply
    doc["rev"] = yes_no(record.reverse_charge)
    doc["itcavl"] = yes_no(not record.itc_unavailable)
    doc.update(_tax_fields(record, boe=False))
    return doc


def write_gstr2b(
    records: Iterable[Record | ReportedRecord], *, gstin: str, period: ReturnPeriod
) -> bytes:
    """A post-IMS GSTR-2B JSON that `parse_gstr2b` reads back to the same records.

    Records with portal action Reject go to `docRejdata`, the rest to `docdata`; supplier names
    become `trdnm`. Every record must be addressed to `gstin`; its 2B period is `period`.
    """
    own = gstin.strip().upper()
    containers: dict[str, dict[str, dict[tuple[Any, ...], list[dict[str, Any]]]]] = {}
    for item in records:
        reported = item if isinstance(item, ReportedRecord) else ReportedRecord(record=item)
        record = reported.record
        if record.key.recipient != own:
            raise FormatError(f"{record.number} is addressed to {record.key.recipient}, not {own}")
        container = "docRejdata" if reported.portal_action is Action.REJECT else "docdata"
        section = _WRITE_SECTION[record.kind]
        if section in ("impg", "impga"):
            envelope: tuple[Any, ...] = ()
            doc = _boe_document(record, port=record.key.supplier)
        else:
            envelope = (record.key.supplier, reported.supplier_name, record.supplier_period)
            is_boe = record.kind.is_import
            doc = _boe_document(record, port=None) if is_boe else _gst_document(record)
        sections = containers.setdefault(container, {})
        sections.setdefault(section, {}).setdefault(envelope, []).append(doc)
    body: dict[str, Any] = {"gstin": own, "rtnprd": period.code, "version": "1.0"}
    for container, sections in containers.items():
        body[container] = {
            section: _section_json(section, envelopes) for section, envelopes in sections.items()
        }
    return encode_json({"data": body})


def _section_json(
    section: str, envelopes: Mapping[tuple[Any, ...], list[dict[str, Any]]]
) -> list[dict[str, Any]]:
    if section in ("impg", "impga"):
        return [doc for docs in envelopes.values() for doc in docs]
    list_key = _SHAPES[section].list_key or "inv"
    rows = []
    for (supplier, name, supplier_period), docs in envelopes.items():
        envelope: dict[str, Any] = {"ctin": supplier}
        if name is not None:
            envelope["trdnm"] = name
        if supplier_period is not None:
            envelope["supprd"] = supplier_period.code
        envelope[list_key] = docs
        rows.append(envelope)
    return rows
