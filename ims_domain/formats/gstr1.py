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

Shared helpers for the other return formats (GSTR-2B, supplier view) live here too.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from ims_domain.errors import ImsDomainError
from ims_domain.formats.common import (
    FileFormat,
    FormatError,
    ParsedFile,
    RowError,
    amount,
    flag,
    gst_date,
    gstin_field,
    load_json,
    unwrap,
)
from ims_domain.gstin import GstinError, parse_gstin
from ims_domain.money import ZERO, TaxAmounts
from ims_domain.periods import FinancialYear, ReturnPeriod
from ims_domain.records import (
    FilingStatus,
    OriginalRef,
    Record,
    RecordKey,
    RecordKind,
    ReportedRecord,
    RowProblem,
    normalise_number,
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
# List keys whose members are the documents when counting the rows of a skipped section.
_DOCUMENT_LISTS = ("inv", "nt", "posItms", "docs", "doclist", "boe")


# --- helpers shared with the GSTR-2B and supplier-view parsers ----------------------------------


def rows_text(count: int) -> str:
    """'1 row' or '3 rows'."""
    return f"{count} row" if count == 1 else f"{count} rows"


def count_rows(value: Any) -> int:
    """How many rows a section holds: documents under `inv`/`nt`/… envelopes, else list members.

    An object (like `nil`, `hsn`, `supeco`) counts the rows of each list it holds.
    """
    lists = [v for v in value.values() if isinstance(v, list)] if isinstance(value, Mapping) else []
    if isinstance(value, list):
        lists = [value]
    total = 0
    for rows in lists:
        for row in rows:
            inner = _inner_documents(row)
            total += len(inner) if inner is not None else 1
    return total


def _inner_documents(row: Any) -> list[Any] | None:
    if isinstance(row, Mapping):
        for key in _DOCUMENT_LISTS:
            documents = row.get(key)
            if isinstance(documents, list):
                return documents
    return None


def shown(value: Any) -> str:
    """A value for a message, cut so a huge cell or number cannot flood it."""
    text = repr(value)
    return text if len(text) <= 40 else text[:40] + "…"


def document_number(value: Any, field_name: str) -> str:
    """A document number as the portal matches it (§6): text or a whole number, upper-cased."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        message = "is missing" if value is None else f"{shown(value)} is not a number"
        raise RowError(field_name, message)
    try:
        return normalise_number(str(value))
    except ImsDomainError:
        raise RowError(field_name, "is empty") from None


def document_date(value: Any, field_name: str) -> date:
    """A document date inside the GST era (financial year 2017-18 onwards)."""
    day = gst_date(value, field_name)
    try:
        FinancialYear.of(day)
    except ImsDomainError as exc:
        raise RowError(field_name, f"{day.strftime('%d-%m-%Y')}: {exc}") from None
    return day


def optional_period(value: Any, field_name: str) -> ReturnPeriod | None:
    """A return period MMYYYY, or None when absent."""
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise RowError(field_name, f"{shown(value)} is not a return period like 102025")
    try:
        return ReturnPeriod.parse(str(value))
    except ImsDomainError as exc:
        raise RowError(field_name, str(exc)) from None


def state_code(value: Any, field_name: str = "pos") -> str | None:
    """A place of supply as a 2-character code; an int is zero-padded (§1); None when absent."""
    if value is None or value == "":
        return None
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 100:
        return f"{value:02d}"
    if isinstance(value, str) and value.strip():
        text = value.strip()
        return text.zfill(2) if len(text) == 1 and text.isdigit() else text
    raise RowError(field_name, f"{shown(value)} is not a state code like '29'")


def optional_text(value: Any) -> str | None:
    """A free-text field: stripped, None when absent, empty or not text."""
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def header_gstin(value: Any, label: str, problems: list[RowProblem]) -> str:
    """A file's own GSTIN: refused when malformed, a warning when only its check character is
    wrong."""
    if not isinstance(value, str) or not value.strip():
        raise FormatError(f"the {label} names no GSTIN (its gstin is missing)")
    try:
        return parse_gstin(value).value
    except GstinError as exc:
        if exc.part != "check character":
            raise FormatError(f"the {label}'s gstin is not a GSTIN: {exc}") from None
        problems.append(RowProblem("header", None, "gstin", str(exc), refused=False))
        return value.strip().upper()


def header_period(value: Any, key: str, label: str) -> ReturnPeriod:
    """A file's own return period; a missing or broken one refuses the file."""
    try:
        period = optional_period(value, key)
    except RowError as exc:
        raise FormatError(f"the {label}'s period {key} is wrong: {exc.reason}") from None
    if period is None:
        raise FormatError(f"the {label} has no period ({key} is missing)")
    return period


def load_document(data: bytes) -> Any:
    """`common.load_json`, also refusing (not leaking ValueError on) integers too long to read."""
    try:
        return load_json(data)
    except FormatError:
        raise
    except ValueError:
        raise FormatError("the file holds a number too long to be an amount") from None


def money(value: Any, field_name: str, *, default: Decimal | None = None) -> Decimal:
    """`common.amount`, also refusing (not raising on) lists, objects and numbers too large to be
    exact."""
    if value is not None and not isinstance(value, str | int | Decimal | float):
        raise RowError(field_name, f"{shown(value)} is not an amount")
    try:
        return amount(value, field_name, default=default)
    except ArithmeticError:
        raise RowError(field_name, f"{shown(value)} is too large to be an amount") from None


def tax_amounts(
    source: Mapping[str, Any], keys: tuple[str, str, str, str], prefix: str = ""
) -> TaxAmounts:
    """IGST, CGST, SGST, cess read from `keys` of `source`; a missing head is zero (§1)."""
    igst, cgst, sgst, cess = (money(source.get(key), prefix + key, default=ZERO) for key in keys)
    return TaxAmounts(igst=igst, cgst=cgst, sgst=sgst, cess=cess)


class Collector:
    """What a parser gathers: records, row problems, notes; one bad row never stops the file."""

    def __init__(self) -> None:
        self.records: list[ReportedRecord] = []
        self.problems: list[RowProblem] = []
        self.notes: list[str] = []

    def problem(self, section: str, index: int | None, field_name: str, reason: str) -> None:
        """Refuse a row (or a part of the file that holds no readable row)."""
        self.problems.append(RowProblem(section, index, field_name, reason))

    def row(self, section: str, index: int, build: Callable[[], ReportedRecord | None]) -> None:
        """Build one record; any fault of the row refuses it with its field and reason."""
        try:
            reported = build()
        except RowError as exc:
            self.problem(section, index, exc.field_name, exc.reason)
        except ImsDomainError as exc:
            self.problem(section, index, "document", str(exc))
        except ArithmeticError:
            self.problem(section, index, "document", "an amount is too large to be exact")
        else:
            if reported is not None:
                self.records.append(reported)

    def skipped(self, section: str, value: Any, reason: str) -> None:
        """Note a section read past, with its row count."""
        count = count_rows(value)
        if count:
            self.notes.append(f"{section}: {rows_text(count)} skipped ({reason})")


def envelope_documents(
    collector: Collector, section: str, value: Any, list_keys: tuple[str, ...]
) -> Iterator[tuple[int, Mapping[str, Any], Mapping[str, Any]]]:
    """(index, envelope, document) for each document under the counterparty envelopes; the index
    counts the section's documents from 0 across envelopes."""
    if not isinstance(value, list):
        collector.problem(section, None, section, "is not a list of counterparties")
        return
    index = 0
    for position, envelope in enumerate(value, start=1):
        if not isinstance(envelope, Mapping):
            collector.problem(section, None, f"entry {position}", "is not an object")
            continue
        key = next((k for k in list_keys if k in envelope), list_keys[0])
        documents = envelope.get(key)
        if documents is None:
            continue  # empty members are omitted (§1)
        if not isinstance(documents, list):
            collector.problem(section, None, f"entry {position}.{key}", "is not a list")
            continue
        for document in documents:
            index += 1
            if not isinstance(document, Mapping):
                collector.problem(section, index - 1, "(row)", "is not an object")
                continue
            yield index - 1, envelope, document


def dump_json(document: Any) -> bytes:
    """JSON bytes with every Decimal written as an exact number (json cannot write Decimal)."""
    return _encode(document).encode("utf-8")


def _encode(value: Any) -> str:
    if isinstance(value, Mapping):
        items = (
            f"{json.dumps(str(k), ensure_ascii=False)}: {_encode(v)}" for k, v in value.items()
        )
        return "{" + ", ".join(items) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_encode(v) for v in value) + "]"
    if isinstance(value, Decimal):
        return number_text(value)
    return json.dumps(value, ensure_ascii=False)


def number_text(value: Decimal) -> str:
    """An amount as GSTN writes it: 1800, 1800.5, 1800.25."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def gst_date_text(day: date) -> str:
    """DD-MM-YYYY."""
    return day.strftime("%d-%m-%Y")


def yes_no(value: bool) -> str:
    """GSTN's Y / N flags."""
    return "Y" if value else "N"


def sample_documents(
    document: Any, sections: Iterable[str], limit: int = 20
) -> Iterator[Mapping[str, Any]]:
    """A few documents of the named GSTR-1-style sections (envelopes with document lists)."""
    if not isinstance(document, Mapping):
        return
    for name in sections:
        value = document.get(name)
        containers = [value] if isinstance(value, list) else []
        if isinstance(value, Mapping):  # Table 15: ecom.b2b, ecoma.b2ba …
            containers = [v for v in value.values() if isinstance(v, list)]
        for container in containers:
            for envelope in container[:limit]:
                inner = _inner_documents(envelope)
                if inner is None:
                    if isinstance(envelope, Mapping):
                        yield envelope
                    continue
                for row in inner[:limit]:
                    if isinstance(row, Mapping):
                        yield row


# --- GSTR-1 -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Shape:
    """Where a record section keeps its documents and which fields name them."""

    list_key: str
    number_key: str
    date_key: str
    original: tuple[str, str] | None
    kind: RecordKind | None  # None: a note, its kind from `ntty`


_INVOICE = _Shape("inv", "inum", "idt", None, RecordKind.INVOICE)
_SHAPES = {
    "b2b": _INVOICE,
    "b2ba": _Shape("inv", "inum", "idt", ("oinum", "oidt"), RecordKind.INVOICE_AMENDMENT),
    "cdnr": _Shape("nt", "nt_num", "nt_dt", None, None),
    "cdnra": _Shape("nt", "nt_num", "nt_dt", ("ont_num", "ont_dt"), None),
}
_ECO_SHAPES = {
    ("ecom", "b2b"): _Shape("inv", "inum", "idt", None, RecordKind.ECO_DOCUMENT),
    ("ecoma", "b2ba"): _Shape(
        "inv", "inum", "idt", ("oinum", "oidt"), RecordKind.ECO_DOCUMENT_AMENDMENT
    ),
}
_ITEM_KEYS = ("iamt", "camt", "samt", "csamt")


def note_kind(value: Any, field_name: str, *, amendment: bool) -> RecordKind:
    """C -> credit note, D -> debit note (or their amendments)."""
    code = value.strip().upper() if isinstance(value, str) else None
    if code == "C":
        return RecordKind.CREDIT_NOTE_AMENDMENT if amendment else RecordKind.CREDIT_NOTE
    if code == "D":
        return RecordKind.DEBIT_NOTE_AMENDMENT if amendment else RecordKind.DEBIT_NOTE
    raise RowError(field_name, f"{shown(value)} is not C (credit note) or D (debit note)")


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
        taxable += money(detail.get("txval"), f"{where}.txval", default=ZERO)
        taxes = taxes + tax_amounts(detail, _ITEM_KEYS, f"{where}.")
    return taxable, taxes


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
        for row in sample_documents(body, ("b2b", "b2ba", "cdnr", "cdnra", "ecom", "ecoma"))
    )


def _first_envelopes(body: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    for name in ("b2b", "b2ba", "cdnr", "cdnra"):
        value = body.get(name)
        if isinstance(value, list):
            yield from (e for e in value[:20] if isinstance(e, Mapping))


def parse_gstr1(data: bytes, *, gstin: str) -> ParsedFile:
    """Read a GSTR-1 or IFF JSON: one record per document to a registered recipient."""
    document = load_document(data)
    body = unwrap(document, required=("gstin", "fp"))
    if body is None:
        raise FormatError("this is not a GSTR-1 JSON: it has no gstin and fp header")
    collector = Collector()
    filer = header_gstin(body.get("gstin"), "GSTR-1", collector.problems)
    period = header_period(body.get("fp"), "fp", "GSTR-1")
    reader = _Gstr1Reader(collector, filer, period)
    for key, value in body.items():
        if key in _SHAPES:
            reader.section(key, value)
        elif key in ("ecom", "ecoma"):
            reader.eco_tables(key, value)
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
    return ParsedFile(
        format=FileFormat.GSTR1,
        records=tuple(collector.records),
        problems=tuple(collector.problems),
        notes=tuple(collector.notes),
        gstin=filer,
        period=period,
    )


class _Gstr1Reader:
    def __init__(self, collector: Collector, filer: str, period: ReturnPeriod) -> None:
        self.collector = collector
        self.filer = filer
        self.period = period

    def section(self, name: str, value: Any) -> None:
        shape = _SHAPES[name]
        for index, envelope, doc in envelope_documents(
            self.collector, name, value, (shape.list_key,)
        ):
            where = (name, index)

            def build(
                envelope: Mapping[str, Any] = envelope,
                doc: Mapping[str, Any] = doc,
                where: tuple[str, int] = where,
            ) -> ReportedRecord:
                recipient = gstin_field(
                    envelope.get("ctin"), "ctin", self.collector.problems, where
                )
                return self._record(shape, doc, supplier=self.filer, recipient=recipient)

            self.collector.row(name, index, build)

    def eco_tables(self, name: str, value: Any) -> None:
        if not isinstance(value, Mapping):
            self.collector.problem(name, None, name, "is not an object of Table 15 lists")
            return
        for table, rows in value.items():
            label = f"{name}.{table}"
            shape = _ECO_SHAPES.get((name, table))
            if shape is None:
                if isinstance(rows, list | Mapping):
                    self.collector.skipped(label, rows, _SKIP_REASONS.get(label, _UNKNOWN_SECTION))
                continue
            for index, envelope, doc in envelope_documents(
                self.collector, label, rows, (shape.list_key,)
            ):
                where = (label, index)

                def build(
                    envelope: Mapping[str, Any] = envelope,
                    doc: Mapping[str, Any] = doc,
                    where: tuple[str, int] = where,
                    shape: _Shape = shape,
                ) -> ReportedRecord:
                    problems = self.collector.problems
                    supplier = gstin_field(envelope.get("stin"), "stin", problems, where)
                    recipient = gstin_field(envelope.get("rtin"), "rtin", problems, where)
                    return self._record(shape, doc, supplier=supplier, recipient=recipient)

                self.collector.row(label, index, build)

    def _record(
        self, shape: _Shape, doc: Mapping[str, Any], *, supplier: str, recipient: str
    ) -> ReportedRecord:
        kind = shape.kind or note_kind(
            doc.get("ntty"), "ntty", amendment=shape.original is not None
        )
        number = document_number(doc.get(shape.number_key), shape.number_key)
        day = document_date(doc.get(shape.date_key), shape.date_key)
        original = None
        if shape.original is not None:
            number_key, date_key = shape.original
            original = OriginalRef(
                number=document_number(doc.get(number_key), number_key),
                document_date=document_date(doc.get(date_key), date_key),
            )
        value = money(doc.get("val"), "val")
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
            invoice_type=optional_text(doc.get("inv_typ")),
            supplier_period=self.period,
        )
        return ReportedRecord(record=record)


# --- writer -------------------------------------------------------------------------------------

_WRITE_SECTION = {
    RecordKind.INVOICE: "b2b",
    RecordKind.INVOICE_AMENDMENT: "b2ba",
    RecordKind.DEBIT_NOTE: "cdnr",
    RecordKind.CREDIT_NOTE: "cdnr",
    RecordKind.DEBIT_NOTE_AMENDMENT: "cdnra",
    RecordKind.CREDIT_NOTE_AMENDMENT: "cdnra",
    RecordKind.ECO_DOCUMENT: "ecom",
    RecordKind.ECO_DOCUMENT_AMENDMENT: "ecoma",
}


def effective_rate(taxable: Decimal, taxes: TaxAmounts) -> Decimal:
    """The rate (%) of IGST + CGST + SGST on the taxable value, two places; 0 without a base."""
    if taxable == 0:
        return ZERO
    return ((taxes.igst + taxes.cgst + taxes.sgst) * 100 / taxable).quantize(Decimal("0.01"))


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
    is_note = kind.original_kind in (RecordKind.CREDIT_NOTE, RecordKind.DEBIT_NOTE)
    doc: dict[str, Any] = {}
    if record.original is not None:
        keys = ("ont_num", "ont_dt") if is_note else ("oinum", "oidt")
        doc[keys[0]] = record.original.number
        doc[keys[1]] = gst_date_text(record.original.document_date)
    if is_note:
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
        section = _WRITE_SECTION.get(record.kind)
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
        list_key = "nt" if section in ("cdnr", "cdnra") else "inv"
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
    return dump_json(body)
