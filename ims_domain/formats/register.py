"""The purchase register: the recipient's own books in our template (docs/purchase-register.md).

One row per document. Columns are found by their header text (register_columns); rows come as
cells from a CSV file or a spreadsheet (the XLSX reader lives in storage.spreadsheets) and each
cell is read by register_fields. A bad cell refuses its row, and the rest goes on.
"""

from __future__ import annotations

import csv
import io
import operator
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date
from decimal import Decimal
from itertools import chain, islice
from typing import TypeVar, cast

from ims_domain.errors import ImsDomainError
from ims_domain.formats.cell_guard import guarded
from ims_domain.formats.common import FileFormat, FormatError, ParsedFile, RowError, paused_gc
from ims_domain.formats.fields import gst_date_text, gstin_field, is_blank, name_text, yes_no
from ims_domain.formats.register_columns import (
    COLUMNS,
    HEADER_SEARCH_ROWS,
    REGISTER_HEADERS,
    Header,
    count_columns,
    find_header,
)
from ims_domain.formats.register_fields import (
    KIND_NAMES,
    cell_amount,
    cell_date,
    cell_kind,
    cell_number,
    cell_place_of_supply,
    cell_port_code,
    cell_return_period,
    cell_reverse_charge,
    cell_text,
)
from ims_domain.gstin import parse_gstin
from ims_domain.money import ZERO, TaxAmounts
from ims_domain.records import (
    FilingStatus,
    OriginalRef,
    Record,
    RecordKey,
    RecordKind,
    ReportedRecord,
    RowProblem,
)

SOURCE_FORM = "register"
_MISSING = object()
_MEMO_LIMIT = 100_000  # distinct values remembered per file and column kind
_T = TypeVar("_T")
_AMOUNT_KEYS = ("taxable_value", "igst", "cgst", "sgst", "cess", "value")
_Cells = tuple[object, ...]  # one row's cells in _CELL_ORDER
# The order in which _RowReader._record unpacks a row's cells.
_CELL_ORDER = (
    "supplier_gstin", "supplier_name", "document_type", "number", "date",
    "taxable_value", "igst", "cgst", "sgst", "cess", "value",
    "place_of_supply", "reverse_charge", "original_number", "original_date",
    "return_period",
)  # fmt: skip


class _RowReader:
    """Reads the data rows under a header into records, problems and notes.

    Values that repeat down a register (GSTINs, document types, states, periods) are read once
    per file and remembered, errors included.
    """

    def __init__(self, header: Header, *, recipient: str, sheet: str) -> None:
        self.columns = header.columns
        # All the cells of a row in _CELL_ORDER, taken in one call; an absent column reads
        # the None put after the row's last cell.
        self.width = max(header.columns.values()) + 1
        self.take = operator.itemgetter(*(header.columns.get(key, -1) for key in _CELL_ORDER))
        self.names = {c.key: header.shown.get(c.key) or c.header for c in COLUMNS}
        self.recipient = recipient
        self.sheet = sheet
        self.records: list[ReportedRecord] = []
        self.problems: list[RowProblem] = []
        self.seen: dict[str, int] = {}
        self.negative_notes = 0
        self.skipped_rows: list[int] = []
        self.memo: dict[tuple[str, object], object] = {}
        self.gstins: dict[object, tuple[str, list[str]] | RowError] = {}

    def name(self, key: str) -> str:
        """The column header as the file writes it, or the template's when the column is absent."""
        return self.names[key]

    def remembered(
        self, key: str, raw: object, read: Callable[[object, str], _T], memo: str = ""
    ) -> _T:
        """read(raw, column name), once per distinct text value of the column (and `memo`)."""
        if not isinstance(raw, str):
            return read(raw, self.names[key])
        memo_key = (memo or key, raw)
        found = self.memo.get(memo_key, _MISSING)
        if found is _MISSING:
            try:
                found = read(raw, self.names[key])
            except RowError as exc:
                found = exc
            if len(self.memo) < _MEMO_LIMIT:
                self.memo[memo_key] = found
        if isinstance(found, RowError):
            raise RowError(found.field_name, found.reason)
        return cast(_T, found)

    def read(self, row_number: int, row: Sequence[object]) -> None:
        cells = self._cells(row)
        if all(is_blank(cell) for cell in row):
            return
        if is_blank(cells[0]) and is_blank(cells[3]) and is_blank(cells[4]):
            self.skipped_rows.append(row_number)  # no GSTIN, number or date: totals or remarks
            return
        warnings: list[RowProblem] = []
        try:
            reported = self._record(row_number, cells, warnings)
        except RowError as exc:
            self.problems.append(RowProblem(self.sheet, row_number, exc.field_name, exc.reason))
            return
        except ImsDomainError as exc:  # fields that contradict each other (RecordError)
            self.problems.append(RowProblem(self.sheet, row_number, "row", str(exc)))
            return
        identity = reported.record.key.text
        first = self.seen.get(identity)
        if first is not None:
            self.problems.append(
                RowProblem(
                    self.sheet,
                    row_number,
                    self.name("number"),
                    f"the same document as row {first}; this row is left out",
                )
            )
            return
        self.seen[identity] = row_number
        self.problems.extend(warnings)
        self.records.append(reported)

    def _cells(self, row: Sequence[object]) -> _Cells:
        """The row's cells in _CELL_ORDER (None for a column the file lacks or cuts short)."""
        padding = self.width - len(row)
        padded = [*row, *([None] * padding)] if padding > 0 else [*row]
        padded.append(None)
        return cast(_Cells, self.take(padded))

    def _supplier(
        self, raw: object, kind: RecordKind, warnings: list[RowProblem], where: tuple[str, int]
    ) -> str:
        field = self.names["supplier_gstin"]
        if kind is RecordKind.BILL_OF_ENTRY or kind is RecordKind.BILL_OF_ENTRY_AMENDMENT:
            return self.remembered("supplier_gstin", raw, cell_port_code, memo="port code")
        found = self.gstins.get(raw) if isinstance(raw, str) else None
        if found is None:
            notes: list[RowProblem] = []
            try:
                found = (
                    gstin_field(cell_text(raw), field, notes, where),
                    [n.reason for n in notes],
                )
            except RowError as exc:
                found = exc
            if isinstance(raw, str) and len(self.gstins) < _MEMO_LIMIT:
                self.gstins[raw] = found
        if isinstance(found, RowError):
            raise RowError(found.field_name, found.reason)
        value, reasons = found
        warnings.extend(RowProblem(*where, field, reason, refused=False) for reason in reasons)
        return value

    def _amount(self, raw: object, key: str, default: Decimal | None) -> Decimal:
        return cell_amount(raw, self.names[key], default=default)

    def _record(self, row_number: int, cells: _Cells, warnings: list[RowProblem]) -> ReportedRecord:
        (
            supplier_cell, name_cell, kind_cell, number_cell, date_cell,
            taxable_cell, igst_cell, cgst_cell, sgst_cell, cess_cell, value_cell,
            place_cell, reverse_charge_cell, original_number_cell, original_date_cell,
            period_cell,
        ) = cells  # fmt: skip
        name, remembered = self.name, self.remembered
        where = (self.sheet, row_number)
        kind = remembered("document_type", kind_cell, cell_kind)
        supplier = self._supplier(supplier_cell, kind, warnings, where)
        number = cell_number(number_cell, name("number"))
        document_date = cell_date(date_cell, name("date"))
        taxable = self._amount(taxable_cell, "taxable_value", None)
        igst = self._amount(igst_cell, "igst", ZERO)
        cgst = self._amount(cgst_cell, "cgst", ZERO)
        sgst = self._amount(sgst_cell, "sgst", ZERO)
        cess = self._amount(cess_cell, "cess", ZERO)
        value = None if is_blank(value_cell) else self._amount(value_cell, "value", None)
        amounts = (taxable, igst, cgst, sgst, cess, value or ZERO)
        if min(amounts) < 0:
            kind = self._negative_kind(kind, amounts, warnings, where)
            taxable, igst, cgst, sgst, cess = (abs(a) for a in (taxable, igst, cgst, sgst, cess))
            value = None if value is None else abs(value)
        taxes = TaxAmounts(igst, cgst, sgst, cess)
        if value is None:
            value = taxable + taxes.total
        place = remembered("place_of_supply", place_cell, cell_place_of_supply)
        reverse_charge = remembered("reverse_charge", reverse_charge_cell, cell_reverse_charge)
        period = remembered("return_period", period_cell, cell_return_period)
        original = self._original(original_number_cell, original_date_cell, kind, warnings, where)
        supplier_name, name_warnings = name_text(cell_text(name_cell))
        warnings.extend(
            RowProblem(*where, self.name("supplier_name"), reason, refused=False)
            for reason in name_warnings
        )
        record = Record(
            key=RecordKey.of(
                supplier=supplier,
                recipient=self.recipient,
                kind=kind,
                number=number,
                document_date=document_date,
            ),
            document_date=document_date,
            value=value,
            taxable_value=taxable,
            taxes=taxes,
            two_b_period=None,
            source_form=SOURCE_FORM,
            filing_status=FilingStatus.FILED,
            original=original,
            reverse_charge=reverse_charge,
            place_of_supply=place,
            supplier_period=period,
        )
        self._check_taxes(record, warnings, where)
        return ReportedRecord(record=record, supplier_name=supplier_name)

    def _negative_kind(
        self,
        kind: RecordKind,
        amounts: tuple[Decimal, ...],
        warnings: list[RowProblem],
        where: tuple[str, int],
    ) -> RecordKind:
        """The kind of a row with negative amounts, read as positive: a credit note stays one,
        and an invoice whose amounts are all negative (or zero) is a credit note booked as a
        negative purchase. Anything else is refused naming its first negative amount."""
        if kind is RecordKind.INVOICE and max(amounts) <= 0:
            warnings.append(
                RowProblem(
                    *where,
                    self.name("document_type"),
                    "an invoice with negative amounts: read as a credit note with positive amounts",
                    refused=False,
                )
            )
            kind = RecordKind.CREDIT_NOTE
        if not kind.is_credit_note:
            negative = next(k for k, a in zip(_AMOUNT_KEYS, amounts, strict=True) if a < 0)
            raise RowError(
                self.name(negative),
                "is negative: amounts are written as positive numbers, and the document"
                " type tells a credit note (a row of only negative amounts is one)",
            )
        self.negative_notes += 1
        return kind

    def _original(
        self,
        number_cell: object,
        date_cell: object,
        kind: RecordKind,
        warnings: list[RowProblem],
        where: tuple[str, int],
    ) -> OriginalRef | None:
        if not kind.is_amendment:
            if not (is_blank(number_cell) and is_blank(date_cell)):
                warnings.append(
                    RowProblem(
                        *where,
                        self.name("original_number"),
                        f"ignored: a {kind.label} has no original document (only amendments do)",
                        refused=False,
                    )
                )
            return None
        if is_blank(number_cell):
            raise RowError(
                self.name("original_number"), f"is missing: a {kind.label} names its original"
            )
        if is_blank(date_cell):
            raise RowError(
                self.name("original_date"), f"is missing: a {kind.label} names its original"
            )
        return OriginalRef(
            number=cell_number(number_cell, self.name("original_number")),
            document_date=cell_date(date_cell, self.name("original_date")),
        )

    def _check_taxes(
        self, record: Record, warnings: list[RowProblem], where: tuple[str, int]
    ) -> None:
        """gst-formats.md §9 consistency: warnings only, since real files break them."""
        name, kind, taxes = self.name, record.kind, record.taxes
        supplier, place = record.key.supplier, record.place_of_supply
        taxable, value = record.taxable_value, record.value

        def warn(key: str, reason: str) -> None:
            warnings.append(RowProblem(*where, name(key), reason, refused=False))

        split = taxes.cgst != 0 or taxes.sgst != 0
        if taxes.igst != 0 and split:
            warn("igst", "both IGST and CGST/SGST are charged: a supply is one or the other")
        if taxes.cgst != taxes.sgst:
            warn("sgst", f"CGST {taxes.cgst} and SGST {taxes.sgst} differ: they are equal halves")
        if split and kind.is_import:
            warn("cgst", "a bill of entry carries IGST only")
        elif split and place is not None and supplier[:2] != place:
            warn(
                "cgst",
                f"inter-state supply (supplier in state {supplier[:2]}, place of supply {place})"
                " carries IGST, not CGST and SGST",
            )
        if value < taxable:
            warn("value", f"the document value {value} is less than the taxable value {taxable}")

    def notes(self) -> list[str]:
        notes: list[str] = []
        if self.negative_notes:
            notes.append(
                f"{self.negative_notes} credit note row(s) had negative amounts; read as positive"
                " (IMS shows notes with positive amounts)"
            )
        if self.skipped_rows:
            listed = ", ".join(str(n) for n in self.skipped_rows[:10])
            more = "…" if len(self.skipped_rows) > 10 else ""
            notes.append(
                f"{len(self.skipped_rows)} row(s) without GSTIN, number or date skipped"
                f" (totals or remarks?): row {listed}{more}"
            )
        return notes


def parse_register_rows(
    rows: Iterable[Sequence[object]], *, gstin: str, sheet: str = "register"
) -> ParsedFile:
    """Read a purchase register from rows of cells (str, int, float, Decimal, date, datetime).

    The header is the first row, within the first HEADER_SEARCH_ROWS, that holds every required
    column; title rows above it are skipped. Every record is addressed to `gstin`, the recipient
    whose books these are. A row's problem names the row as the spreadsheet numbers it (1-based,
    title and header rows included) and the column by its header in the file.
    """
    recipient = parse_gstin(gstin).value
    iterator = iter(rows)
    head = list(islice(iterator, HEADER_SEARCH_ROWS))
    header = find_header(head)
    reader = _RowReader(header, recipient=recipient, sheet=sheet)
    body = chain(head[header.index + 1 :], iterator)
    with paused_gc():
        for row_number, row in enumerate(body, start=header.index + 2):
            reader.read(row_number, row)
    notes = reader.notes()
    if header.ignored:
        listed = ", ".join(repr(text) for text in header.ignored[:20])
        notes.insert(0, f"columns not read: {listed}")
    return ParsedFile(
        format=FileFormat.PURCHASE_REGISTER,
        records=tuple(reader.records),
        problems=tuple(reader.problems),
        notes=tuple(notes),
        gstin=recipient,
    )


# ------------------------------------------------------------------------------------- CSV

_DELIMITERS = (",", ";", "\t")


def _decode(data: bytes) -> str:
    """CSV text: UTF-8 with or without BOM, UTF-16 with BOM (Excel's "Unicode text"), cp1252."""
    if not data.strip():
        raise FormatError("the file is empty")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            raise FormatError("the file is not valid UTF-16 text") from None
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            try:
                text = data.decode("cp1252")
            except UnicodeDecodeError:
                raise FormatError(
                    "the file is not CSV text (neither UTF-8 nor Windows-1252): save it as "
                    "'CSV UTF-8' or as an Excel workbook"
                ) from None
    if "\x00" in text:
        raise FormatError("the file is not CSV text (it holds NUL bytes): is it a spreadsheet?")
    return text


def _csv_rows(text: str, delimiter: str) -> Iterator[list[str]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    try:
        yield from reader
    except csv.Error as exc:
        raise FormatError(f"the CSV cannot be read at line {reader.line_num}: {exc}") from None


def _sniff(text: str) -> str:
    """The delimiter (comma, semicolon or tab) under which a register header is found."""
    best: tuple[int, FormatError] | None = None
    for delimiter in _DELIMITERS:
        head = list(islice(_csv_rows(text, delimiter), HEADER_SEARCH_ROWS))
        try:
            find_header(head)
        except FormatError as exc:
            score = max((count_columns(row) for row in head), default=0)
            if best is None or score > best[0]:
                best = (score, exc)
            continue
        return delimiter
    assert best is not None
    raise best[1]


def parse_register_csv(data: bytes, *, gstin: str) -> ParsedFile:
    """Read a purchase register CSV (comma, semicolon or tab separated; encoding detected)."""
    text = _decode(data)
    delimiter = _sniff(text)
    return parse_register_rows(_csv_rows(text, delimiter), gstin=gstin, sheet="register")


# ---------------------------------------------------------------------------------- writing

Cell = str | Decimal | date | None


def register_cells(reported: ReportedRecord) -> tuple[Cell, ...]:
    """One record as a template row (REGISTER_HEADERS order), typed: text, Decimal or date.

    The recipient is not a column: a register is one recipient's books.
    """
    record = reported.record
    taxes = record.taxes
    original = record.original
    return (
        record.key.supplier,
        reported.supplier_name,
        KIND_NAMES[record.kind],
        record.number,
        record.document_date,
        record.taxable_value,
        taxes.igst,
        taxes.cgst,
        taxes.sgst,
        taxes.cess,
        record.value,
        record.place_of_supply,
        yes_no(record.reverse_charge),
        None if original is None else original.number,
        None if original is None else original.document_date,
        None if record.supplier_period is None else record.supplier_period.code,
    )


def _csv_text(cell: Cell) -> str:
    if cell is None:
        return ""
    if isinstance(cell, Decimal):
        return f"{cell:.2f}"
    if isinstance(cell, date):
        return gst_date_text(cell)
    return guarded(cell)


def write_register_csv(records: Iterable[ReportedRecord]) -> bytes:
    """The records as a template CSV: UTF-8 with BOM (so Excel shows names right), CRLF lines."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(REGISTER_HEADERS)
    writer.writerows([_csv_text(cell) for cell in register_cells(r)] for r in records)
    return out.getvalue().encode("utf-8-sig")
