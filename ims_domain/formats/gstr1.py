"""GSTR-1 / IFF JSON, a supplier's outward return (gst-formats.md §2): the documents IMS shows.

The filer is the supplier and each record is addressed to the recipient `ctin`; in Table 15
(`ecom.b2b`, `ecoma.b2ba`) the filer is the e-commerce operator, the supplier is `stin` and the
recipient `rtin`. Only the sections that reach a registered recipient's IMS become records (R1.2):
`b2b`, `b2ba`, `cdnr`, `cdnra` and Table 15 `ecom.b2b` / `ecoma.b2ba`. Every other section is
counted and skipped with a note.

Decisions where the format says nothing:
- Reverse-charge documents (`rchrg` Y) are kept with `reverse_charge=True`: R1.3 keeps them out of
  IMS, but the store decides what to show (R1.4 shows them in the supplier's view).
- A GSTR-1 JSON is what a supplier saves or uploads, so records are NOT_FILED, their 2B period is
  unknown (R1.9) and `supplier_period` is `fp`.
- `source_form` is always "R1": an IFF file has the same layout and no reliable marker.
- A GSTR-1 filed by someone other than the `gstin` argument is read (a recipient may import its
  supplier's file); a note says when no record concerns that GSTIN.
- Row problems are indexed by the document's position in its section, from 0 (as the IMS
  parser counts its flat lists), counting across the recipients' envelopes.
- Values a return never holds refuse their row: a negative, blank or null amount (of the document
  or an item), items summing past the limit, a number over 16 characters, an `inv_typ` that is
  not a code.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from typing import Any

from ims_domain.formats.common import FileFormat, FormatError, ParsedFile, RowError
from ims_domain.formats.fields import (
    code_text,
    document_date,
    document_number,
    flag,
    gst_date_text,
    gstin_field,
    header_gstin,
    header_period,
    item_totals,
    portal_amount,
    state_code,
    tax_amounts,
    yes_no,
)
from ims_domain.formats.jsonio import encode_json, load_json, unwrap
from ims_domain.formats.sections import (
    DOCUMENT_SECTIONS,
    GSTR1_SECTION_OF,
    NOTE_SECTIONS,
    Collector,
    envelope_documents,
    is_note,
    note_kind,
    original_ref,
    sample_documents,
)
from ims_domain.money import PAISE, ZERO, TaxAmounts
from ims_domain.periods import ReturnPeriod
from ims_domain.records import (
    FilingStatus,
    Record,
    RecordKey,
    RecordKind,
    ReportedRecord,
)

__all__ = [
    "GSTR1_HEADER_KEYS",
    "GSTR1_SECTIONS",
    "looks_like_gstr1",
    "parse_gstr1",
    "write_gstr1",
]

# Every section the Returns Offline Tool V3.2.4 writes (§2.1); order not significant.
GSTR1_SECTIONS = frozenset(
    {
        "b2b",
        "b2ba",
        "b2cl",
        "b2cla",
        "b2cs",
        "b2csa",
        "nil",
        "exp",
        "expa",
        "cdnr",
        "cdnra",
        "cdnur",
        "cdnura",
        "at",
        "ata",
        "doc_issue",
        "hsn",
        "supeco",
        "supecoa",
        "ecom",
        "ecoma",
        "txpd",
        "txpda",
    }
)
GSTR1_HEADER_KEYS = frozenset({"gstin", "fp", "gt", "cur_gt", "version", "hash"})

# Sections only GSTR-2A has (§3): a 2A carries gstin and fp like a GSTR-1, so they tell it apart.
_GSTR2A_SECTIONS = frozenset({"cdn", "cdna", "isd", "isda", "impg", "impgsez", "tds", "tcs"})
_GSTR2A_ENVELOPE_KEYS = frozenset({"cfs3b", "fldtr1", "flprdr1", "dtcancel"})
_GSTR2A_DOCUMENT_KEYS = frozenset({"aspd", "atyp"})

_NOT_TO_REGISTERED = "not supplies to a registered recipient, so not in IMS"
_SKIP_REASONS = {
    "b2cl": _NOT_TO_REGISTERED,
    "b2cla": _NOT_TO_REGISTERED,
    "b2cs": _NOT_TO_REGISTERED,
    "b2csa": _NOT_TO_REGISTERED,
    "ecom.b2c": _NOT_TO_REGISTERED,
    "ecom.urp2c": _NOT_TO_REGISTERED,
    "ecoma.b2ca": _NOT_TO_REGISTERED,
    "ecoma.urp2ca": _NOT_TO_REGISTERED,
    "cdnur": "notes to unregistered recipients or on exports, so not in IMS",
    "cdnura": "notes to unregistered recipients or on exports, so not in IMS",
    "exp": "exports, so not in IMS",
    "expa": "exports, so not in IMS",
    "nil": "nil-rated, exempt and non-GST totals, not documents",
    "hsn": "HSN summary, not documents",
    "doc_issue": "documents-issued summary, not documents",
    "at": "advances received, not documents in IMS",
    "ata": "advances received, not documents in IMS",
    "txpd": "advances adjusted, not documents in IMS",
    "txpda": "advances adjusted, not documents in IMS",
    "supeco": "Table 14 e-commerce totals, not documents in IMS",
    "supecoa": "Table 14 e-commerce totals, not documents in IMS",
    "ecom.urp2b": "supplies by unregistered suppliers (no supplier GSTIN), so not in IMS",
    "ecoma.urp2ba": "supplies by unregistered suppliers (no supplier GSTIN), so not in IMS",
}
_UNKNOWN_SECTION = "not a section the assistant reads"


@dataclass(frozen=True)
class _Shape:
    """Where a record section keeps its documents and which fields name them."""

    list_key: str
    number_key: str
    date_key: str
    original: tuple[str, str] | None
    kind: RecordKind | None  # None: a note, its kind from `ntty`
    table15: bool = False  # the e-commerce operator files: envelopes name `stin` and `rtin`


_SHAPES = {
    "b2b": _Shape("inv", "inum", "idt", None, RecordKind.INVOICE),
    "b2ba": _Shape("inv", "inum", "idt", ("oinum", "oidt"), RecordKind.INVOICE_AMENDMENT),
    "cdnr": _Shape("nt", "nt_num", "nt_dt", None, None),
    "cdnra": _Shape("nt", "nt_num", "nt_dt", ("ont_num", "ont_dt"), None),
}
_TABLE15_SHAPES = {
    ("ecom", "b2b"): _Shape("inv", "inum", "idt", None, RecordKind.ECO_DOCUMENT, table15=True),
    ("ecoma", "b2ba"): _Shape(
        "inv", "inum", "idt", ("oinum", "oidt"), RecordKind.ECO_DOCUMENT_AMENDMENT, table15=True
    ),
}
_ITEM_KEYS = ("iamt", "camt", "samt", "csamt")


def looks_like_gstr1(document: Any) -> bool:
    """A GSTR-1 / IFF JSON: a gstin + fp header with GSTR-1 sections (not a GSTR-2A, not a 2B, not
    a supplier view)."""
    body = unwrap(document, required=("gstin", "fp"))
    if body is None or _GSTR2A_SECTIONS & body.keys():
        return False
    if "docdata" in body or "itcsumm" in body or "rtnprd" in body:
        return False
    has_section = bool(GSTR1_SECTIONS & body.keys())
    if not has_section and not ({"version", "hash", "gt", "cur_gt"} & body.keys()):
        return False
    for envelope in _first_envelopes(body):
        if _GSTR2A_ENVELOPE_KEYS & envelope.keys():
            return False
        if "stin" in envelope and "ctin" not in envelope and "rtin" not in envelope:
            return False  # an IMS record list (flat, with stin)
    return not any(
        "imsactn" in row or _GSTR2A_DOCUMENT_KEYS & row.keys()
        for row in sample_documents(body, DOCUMENT_SECTIONS)
    )


def looks_like_gstr2a(document: Any) -> bool:
    """A GSTR-2A (the live inward view we do not read): GSTR-1's header with 2A-only marks."""
    body = unwrap(document, required=("gstin", "fp"))
    if body is None:
        return False
    if _GSTR2A_SECTIONS & body.keys():
        return True
    if any(_GSTR2A_ENVELOPE_KEYS & envelope.keys() for envelope in _first_envelopes(body)):
        return True
    return any(
        _GSTR2A_DOCUMENT_KEYS & row.keys() for row in sample_documents(body, DOCUMENT_SECTIONS)
    )


def _first_envelopes(body: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    for name in ("b2b", "b2ba", "cdnr", "cdnra"):
        value = body.get(name)
        if isinstance(value, list):
            yield from (e for e in value[:20] if isinstance(e, Mapping))


def parse_gstr1(data: bytes, *, gstin: str) -> ParsedFile:
    """Read a GSTR-1 or IFF JSON: one record per document to a registered recipient."""
    body = unwrap(load_json(data), required=("gstin", "fp"))
    if body is None:
        raise FormatError("this is not a GSTR-1 JSON: it has no gstin and fp header")
    collector = Collector()
    filer = header_gstin(body.get("gstin"), "GSTR-1", collector.problems)
    period = header_period(body.get("fp"), "fp", "GSTR-1")
    reader = _Gstr1Reader(collector, filer, period)
    for key, value in body.items():
        if key in _SHAPES:
            reader.section(key, _SHAPES[key], value)
        elif key in ("ecom", "ecoma"):
            reader.table15(key, value)
        elif key in GSTR1_HEADER_KEYS or not isinstance(value, list | Mapping):
            continue
        else:
            collector.skipped(key, value, _SKIP_REASONS.get(key, _UNKNOWN_SECTION))
    own = gstin.strip().upper()
    if (
        collector.records
        and own != filer
        and not any(
            own in (r.record.key.supplier, r.record.key.recipient) for r in collector.records
        )
    ):
        collector.notes.append(
            f"none of the records in this GSTR-1 (filed by {filer}) is for {own}"
        )
    return collector.parsed(FileFormat.GSTR1, gstin=filer, period=period)


class _Gstr1Reader:
    def __init__(self, collector: Collector, filer: str, period: ReturnPeriod) -> None:
        self.collector = collector
        self.filer = filer
        self.period = period

    def section(self, label: str, shape: _Shape, value: Any) -> None:
        for index, envelope, doc in envelope_documents(
            self.collector, label, value, (shape.list_key,)
        ):
            build = partial(self._record, shape, envelope, doc, (label, index))
            self.collector.row(label, index, build)

    def table15(self, name: str, value: Any) -> None:
        """`ecom` / `ecoma`: an object of Table 15 lists, of which only b2b / b2ba reach IMS."""
        if not isinstance(value, Mapping):
            self.collector.problem(name, None, name, "is not an object of Table 15 lists")
            return
        for table, rows in value.items():
            label = f"{name}.{table}"
            shape = _TABLE15_SHAPES.get((name, table))
            if shape is not None:
                self.section(label, shape, rows)
            elif isinstance(rows, list | Mapping):
                self.collector.skipped(label, rows, _SKIP_REASONS.get(label, _UNKNOWN_SECTION))

    def _parties(
        self, shape: _Shape, envelope: Mapping[str, Any], where: tuple[str, int]
    ) -> tuple[str, str]:
        """Supplier and recipient: the filer to `ctin`, or in Table 15 `stin` to `rtin`."""
        problems = self.collector.problems
        if shape.table15:
            supplier = gstin_field(envelope.get("stin"), "stin", problems, where)
            return supplier, gstin_field(envelope.get("rtin"), "rtin", problems, where)
        return self.filer, gstin_field(envelope.get("ctin"), "ctin", problems, where)

    def _record(
        self,
        shape: _Shape,
        envelope: Mapping[str, Any],
        doc: Mapping[str, Any],
        where: tuple[str, int],
    ) -> ReportedRecord:
        supplier, recipient = self._parties(shape, envelope, where)
        kind = shape.kind or note_kind(
            doc.get("ntty"), "ntty", amendment=shape.original is not None
        )
        number = document_number(doc.get(shape.number_key), shape.number_key)
        day = document_date(doc.get(shape.date_key), shape.date_key)
        original = None if shape.original is None else original_ref(doc, *shape.original)
        value = portal_amount(doc, "val", default=None)
        taxable, taxes = _item_totals(doc.get("itms"))
        record = Record(
            key=RecordKey.of(
                supplier=supplier, recipient=recipient, kind=kind, number=number, document_date=day
            ),
            document_date=day,
            value=value,
            taxable_value=taxable,
            taxes=taxes,
            two_b_period=None,
            source_form="R1",
            filing_status=FilingStatus.NOT_FILED,
            original=original,
            reverse_charge=flag(doc.get("rchrg")) is True,
            place_of_supply=state_code(doc.get("pos")),
            invoice_type=code_text(doc.get("inv_typ"), "inv_typ"),
            supplier_period=self.period,
        )
        return ReportedRecord(record=record)


def _item_totals(items: Any) -> tuple[Decimal, TaxAmounts]:
    """Taxable value and tax summed over `itms[].itm_det`."""
    if not isinstance(items, list) or not items:
        raise RowError("itms", "has no items")
    taxable, taxes = ZERO, TaxAmounts()
    for position, item in enumerate(items):
        where = f"itms[{position}]"
        detail = item.get("itm_det", item) if isinstance(item, Mapping) else None
        if not isinstance(detail, Mapping):
            raise RowError(where, "is not an item with itm_det")
        taxable += portal_amount(detail, "txval", default=ZERO, prefix=f"{where}.")
        taxes = taxes + tax_amounts(detail, _ITEM_KEYS, f"{where}.")
    return taxable, item_totals(taxable, taxes, "itms")


# --- writer -------------------------------------------------------------------------------------


def effective_rate(taxable: Decimal, taxes: TaxAmounts) -> Decimal:
    """The rate (%) of IGST + CGST + SGST on the taxable value, two places; 0 without a base."""
    if taxable == 0:
        return ZERO
    return ((taxes.igst + taxes.cgst + taxes.sgst) * 100 / taxable).quantize(PAISE)


def _gstr1_item(record: Record) -> dict[str, Any]:
    taxes = record.taxes
    detail: dict[str, Any] = {
        "rt": effective_rate(record.taxable_value, taxes),
        "txval": record.taxable_value,
    }
    if taxes.igst:
        detail["iamt"] = taxes.igst
    if taxes.cgst or taxes.sgst:
        detail["camt"] = taxes.cgst
        detail["samt"] = taxes.sgst
    detail["csamt"] = taxes.cess
    return {"num": 1, "itm_det": detail}


def _gstr1_document(record: Record) -> dict[str, Any]:
    kind = record.kind
    note = is_note(kind)
    doc: dict[str, Any] = {}
    if record.original is not None:
        keys = ("ont_num", "ont_dt") if note else ("oinum", "oidt")
        doc[keys[0]] = record.original.number
        doc[keys[1]] = gst_date_text(record.original.document_date)
    if note:
        doc["nt_num"] = record.number
        doc["nt_dt"] = gst_date_text(record.document_date)
        doc["ntty"] = "C" if kind.is_credit_note else "D"
    else:
        doc["inum"] = record.number
        doc["idt"] = gst_date_text(record.document_date)
    doc["val"] = record.value
    if record.place_of_supply is not None:
        doc["pos"] = record.place_of_supply
    doc["rchrg"] = yes_no(record.reverse_charge)
    if record.invoice_type is not None:
        doc["inv_typ"] = record.invoice_type
    doc["itms"] = [_gstr1_item(record)]
    if kind.original_kind is RecordKind.ECO_DOCUMENT:
        doc["flag"] = "N"
    return doc


def write_gstr1(
    records: Iterable[Record | ReportedRecord], *, gstin: str, period: ReturnPeriod
) -> bytes:
    """A GSTR-1 JSON (tool layout) that `parse_gstr1` reads back to the same records.

    Only the kinds GSTR-1 can hold (no bills of entry); records other than Table 15 must be
    supplied by `gstin`, the filer.
    """
    filer = gstin.strip().upper()
    sections: dict[str, dict[tuple[str, ...], list[dict[str, Any]]]] = {}
    for item in records:
        record = item.record if isinstance(item, ReportedRecord) else item
        section = GSTR1_SECTION_OF.get(record.kind)
        if section is None:
            raise FormatError(f"a GSTR-1 cannot hold a {record.kind.label}")
        key = record.key
        if section in ("ecom", "ecoma"):
            envelope: tuple[str, ...] = (key.supplier, key.recipient)
        elif key.supplier != filer:
            raise FormatError(f"{record.number} is supplied by {key.supplier}, not by {filer}")
        else:
            envelope = (key.recipient,)
        sections.setdefault(section, {}).setdefault(envelope, []).append(_gstr1_document(record))
    body: dict[str, Any] = {
        "gstin": filer,
        "fp": period.code,
        "version": "GST3.2.4",
        "hash": "hash",
    }
    for section, envelopes in sections.items():
        list_key = "nt" if section in NOTE_SECTIONS else "inv"
        if section in ("ecom", "ecoma"):
            table = "b2b" if section == "ecom" else "b2ba"
            body[section] = {
                table: [
                    {"stin": stin, "rtin": rtin, "inv": docs}
                    for (stin, rtin), docs in envelopes.items()
                ]
            }
        else:
            body[section] = [{"ctin": ctin, list_key: docs} for (ctin,), docs in envelopes.items()]
    return encode_json(body)
