"""The purchase register: the recipient's own books in our template (docs/purchase-register.md).

One row per document. Columns are found by their header text, which is matched case-, space- and
punctuation-insensitively against a list of spellings, so registers exported from most
accounting tools read without editing. Rows come as cells from a CSV file or a spreadsheet (the
XLSX reader lives in storage.spreadsheets); a bad cell refuses its row, and the rest goes on.

Pure: cells in, records out. Spreadsheet floats are turned into exact Decimals here (see
`_amount`); no float ever reaches a record.
"""

from __future__ import annotations

import csv
import gc
import io
import math
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from itertools import chain, islice
from typing import TypeVar, cast

from ims_domain.errors import ImsDomainError
from ims_domain.formats.common import FileFormat, FormatError, ParsedFile, RowError, gstin_field
from ims_domain.gstin import STATE_CODES, parse_gstin
from ims_domain.money import PAISE, TaxAmounts
from ims_domain.periods import FinancialYear, ReturnPeriod
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
# Title rows allowed above the header: the header must be within the first this many rows.
HEADER_SEARCH_ROWS = 20
# A float cell more than this far from a whole number of paise is a real fraction of a paisa
# (e.g. =B2*18% giving 222.2208), not binary noise (222.22000000000003): the row is refused.
FLOAT_TOLERANCE = Decimal("0.00005")
# Larger amounts (a lakh crore rupees) are typing or unit errors; they also keep Decimal exact.
MAX_AMOUNT = Decimal(10) ** 13
_GST_START = date(2017, 7, 1)
_EXCEL_EPOCH = date(1899, 12, 30)  # Excel's day 0 (serials after 28-Feb-1900)
_NUMBER = re.compile(r"[A-Z0-9/-]{1,16}")  # CGST rule 46(b), gst-formats.md §6
_PORT_CODE = re.compile(r"[A-Z]{2}[A-Z0-9]{4}")  # ICEGATE port code, e.g. INNSA1
_PLAIN_AMOUNT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
# Indian (1,23,456) or international (123,456) digit grouping of the whole-rupee part.
_GROUPED = re.compile(r"[0-9]{1,2}(?:,[0-9]{2})*,[0-9]{3}|[0-9]{1,3}(?:,[0-9]{3})+")
_DMY = re.compile(r"([0-9]{1,2})[-/.]([0-9]{1,2})[-/.]([0-9]{4})")
_YMD = re.compile(r"([0-9]{4})[-/.]([0-9]{1,2})[-/.]([0-9]{1,2})")
_ZERO_TIME = re.compile(r"[T ]0{1,2}:00(?::00(?:\.0+)?)?")
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_QUOTED_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "'")
_MISSING = object()
_HUGE = 10**18
_MEMO_LIMIT = 100_000  # distinct values remembered per file and column kind


@dataclass(frozen=True)
class Column:
    """One template column: its key, its header in our template, and the spellings we accept.

    `aliases` are specific spellings; `generic` ones ("Date", "Total") only count when no
    specific spelling of the same column is in the header row.
    """

    key: str
    header: str
    aliases: tuple[str, ...]
    generic: tuple[str, ...] = ()
    required: bool = False


COLUMNS: tuple[Column, ...] = (
    Column(
        "supplier_gstin",
        "Supplier GSTIN",
        (
            "Supplier GSTIN", "GSTIN of supplier", "GSTIN/UIN of Supplier", "Supplier GSTIN/UIN",
            "Vendor GSTIN", "Party GSTIN", "Seller GSTIN", "GSTIN of the supplier",
            "Supplier GST No", "Party GST No", "CTIN", "STIN", "GSTIN/UIN",
        ),
        ("GSTIN", "GST No", "GST Number"),
        required=True,
    ),
    Column(
        "supplier_name",
        "Supplier name",
        (
            "Supplier name", "Name of supplier", "Supplier trade name", "Supplier legal name",
            "Trade/Legal name", "Trade name", "Legal name", "Party name", "Vendor name",
            "Seller name", "Trade/Legal name of the supplier", "Particulars",
        ),
        ("Name", "Party"),
    ),
    # Not "Voucher type": in the recipient's books a "Debit Note" voucher is its own note, which
    # answers a supplier's credit note; reading it as the supplier's debit note would mislead.
    Column(
        "document_type",
        "Document type",
        (
            "Document type", "Doc type", "Note type", "Type of document", "Section",
        ),
        ("Type",),
    ),
    Column(
        "number",
        "Document number",
        (
            "Document number", "Document No", "Doc No", "Doc Number", "Invoice No",
            "Invoice Number", "Inv No", "Inv Number", "Invoice/Note No", "Invoice/Note Number",
            "Note No", "Note Number", "Bill No", "Bill Number", "Supplier Invoice No",
            "Supplier Invoice Number", "Supplier Inv No", "Bill of entry number", "BOE No",
            "BOE Number", "Reference No", "Ref No",
        ),
        ("Number", "No"),
        required=True,
    ),
    Column(
        "date",
        "Document date",
        (
            "Document date", "Doc date", "Invoice date", "Inv date", "Invoice/Note date",
            "Note date", "Bill date", "Supplier invoice date", "Supplier inv date",
            "Bill of entry date", "BOE date", "Reference date", "Ref date",
        ),
        ("Date",),
        required=True,
    ),
    Column(
        "taxable_value",
        "Taxable value",
        (
            "Taxable value", "Taxable Amt", "Taxable amount", "Taxable", "Assessable value",
            "Taxable val", "Txval",
        ),
        ("Value of supply",),
        required=True,
    ),
    Column(
        "igst",
        "IGST",
        (
            "IGST", "Integrated Tax", "IGST Amount", "IGST Amt", "Integrated Tax Amount",
            "Integrated Tax Amt", "IAMT",
        ),
    ),
    Column(
        "cgst",
        "CGST",
        (
            "CGST", "Central Tax", "CGST Amount", "CGST Amt", "Central Tax Amount",
            "Central Tax Amt", "CAMT",
        ),
    ),
    Column(
        "sgst",
        "SGST",
        (
            "SGST", "State/UT Tax", "SGST/UTGST", "UTGST", "State Tax", "UT Tax", "SGST Amount",
            "SGST Amt", "State/UT Tax Amount", "State Tax Amount", "SGST/UTGST Amount",
            "SAMT",
        ),
    ),
    Column(
        "cess",
        "Cess",
        ("Cess", "Cess Amount", "Cess Amt", "Compensation Cess", "Comp Cess", "CSAMT"),
    ),
    Column(
        "value",
        "Document value",
        (
            "Document value", "Invoice value", "Invoice amount", "Total invoice value",
            "Note value", "Bill amount", "Bill value", "Total value", "Gross amount",
            "Document amount", "Invoice/Note value", "Val",
        ),
        ("Total", "Amount", "Total amount", "Value"),
    ),
    Column(
        "place_of_supply",
        "Place of supply",
        ("Place of supply", "POS", "Place of supply state", "State of supply", "Supply state"),
    ),
    Column(
        "reverse_charge",
        "Reverse charge",
        (
            "Reverse charge", "RCM", "Reverse charge (Y/N)", "Reverse charge applicable",
            "RCM applicable", "Is RCM", "Supply attract reverse charge",
            "Supply attracts reverse charge", "Reverse charge mechanism",
        ),
    ),
    Column(
        "original_number",
        "Original number",
        (
            "Original number", "Original No", "Original document number", "Original document No",
            "Original invoice number", "Original invoice No", "Original Inv No",
            "Original note number", "Original note No", "Orig Inv No", "Original doc No",
            "Original bill of entry number", "OINUM", "ONT_NUM",
        ),
    ),
    Column(
        "original_date",
        "Original date",
        (
            "Original date", "Original document date", "Original invoice date",
            "Original Inv date", "Original note date", "Orig Inv date", "Original doc date",
            "Original bill of entry date", "OIDT", "ONT_DT",
        ),
    ),
    Column(
        "return_period",
        "Return period",
        (
            "Return period", "Supplier return period", "GSTR-1 period", "GSTR1 period",
            "Filing period", "Tax period", "RTNPRD",
        ),
        ("Period",),
    ),
)  # fmt: skip

REGISTER_HEADERS: tuple[str, ...] = tuple(column.header for column in COLUMNS)
_BY_KEY = {column.key: column for column in COLUMNS}
_TAX_KEYS = ("igst", "cgst", "sgst")


def header_key(text: str) -> str:
    """A header as we compare it: lower case, letters and digits only, units dropped.

    "Taxable Value (₹)", "taxable value in Rs." and "TAXABLE_VALUE" all become "taxablevalue".
    """
    lowered = text.casefold().replace("₹", " ")
    if "(" in lowered:
        kept = re.sub(r"\([^)]*\)", " ", lowered)
        if re.search(r"[0-9a-z]", kept):
            lowered = kept
    tokens = re.findall(r"[0-9a-z]+", lowered)
    while len(tokens) > 1 and tokens[-1] in {"rs", "inr", "rupees"}:
        tokens.pop()
        if len(tokens) > 1 and tokens[-1] == "in":
            tokens.pop()
    return "".join(tokens)


def value_key(text: str) -> str:
    """A cell value as we compare it: lower case, letters and digits only ("B2B-A" = "b2ba")."""
    return "".join(re.findall(r"[0-9a-z]+", text.casefold()))


def _alias_table() -> dict[str, tuple[str, int]]:
    table: dict[str, tuple[str, int]] = {}
    for column in COLUMNS:
        for rank, names in enumerate((column.aliases, column.generic)):
            for name in names:
                table.setdefault(header_key(name), (column.key, rank))
    return table


_ALIASES = _alias_table()

# Document types: the template's names first (what write_register_csv writes).
KIND_NAMES: dict[RecordKind, str] = {
    RecordKind.INVOICE: "Invoice",
    RecordKind.INVOICE_AMENDMENT: "Invoice amendment",
    RecordKind.DEBIT_NOTE: "Debit note",
    RecordKind.DEBIT_NOTE_AMENDMENT: "Debit note amendment",
    RecordKind.CREDIT_NOTE: "Credit note",
    RecordKind.CREDIT_NOTE_AMENDMENT: "Credit note amendment",
    RecordKind.ECO_DOCUMENT: "ECO document",
    RecordKind.ECO_DOCUMENT_AMENDMENT: "ECO document amendment",
    RecordKind.BILL_OF_ENTRY: "Bill of entry",
    RecordKind.BILL_OF_ENTRY_AMENDMENT: "Bill of entry amendment",
    RecordKind.SEZ_BILL_OF_ENTRY: "SEZ bill of entry",
    RecordKind.SEZ_BILL_OF_ENTRY_AMENDMENT: "SEZ bill of entry amendment",
}
_KIND_EXTRA: dict[RecordKind, tuple[str, ...]] = {
    RecordKind.INVOICE: (
        "Inv", "Tax invoice", "I", "Regular", "Bill", "Purchase", "Purchase invoice",
    ),
    RecordKind.INVOICE_AMENDMENT: ("Revised invoice", "Invoice amended", "Inv amendment"),
    RecordKind.DEBIT_NOTE: ("DN", "D", "Debit", "Debit note received"),
    RecordKind.DEBIT_NOTE_AMENDMENT: ("DNA", "Amended DN", "Debit note amended"),
    RecordKind.CREDIT_NOTE: ("CN", "C", "Credit", "Credit note received"),
    RecordKind.CREDIT_NOTE_AMENDMENT: ("CNA", "Amended CN", "Credit note amended"),
    RecordKind.ECO_DOCUMENT: ("ECO", "E-commerce document", "ECO doc"),
    RecordKind.ECO_DOCUMENT_AMENDMENT: ("E-commerce document amendment", "ECO doc amendment"),
    RecordKind.BILL_OF_ENTRY: ("BOE", "Import", "Import of goods", "Bill of entry (import)"),
    RecordKind.BILL_OF_ENTRY_AMENDMENT: ("BOE amendment", "Amended BOE"),
    RecordKind.SEZ_BILL_OF_ENTRY: ("SEZ BOE", "BOE SEZ", "Import from SEZ"),
    RecordKind.SEZ_BILL_OF_ENTRY_AMENDMENT: ("SEZ BOE amendment", "Amended SEZ BOE"),
}  # fmt: skip


def _kind_table() -> dict[str, RecordKind]:
    table: dict[str, RecordKind] = {}
    for kind in RecordKind:
        for name in (KIND_NAMES[kind], kind.label, kind.value, *_KIND_EXTRA[kind]):
            table.setdefault(value_key(name), kind)
    return table


_KINDS = _kind_table()


def _state_name_key(name: str) -> str:
    return value_key(name.replace("&", " and "))


def _state_table() -> dict[str, str]:
    table: dict[str, str] = {}
    for code, name in STATE_CODES.items():
        if code not in {"25", "28", "99"}:  # merged, old or not a place of supply
            table[_state_name_key(name)] = code
    extra = {
        "Orissa": "21", "Pondicherry": "34", "Uttaranchal": "05", "New Delhi": "07",
        "NCT of Delhi": "07", "Daman and Diu": "26", "Dadra and Nagar Haveli": "26",
        "Andaman and Nicobar": "35", "J&K": "01", "Other Country": "96", "Overseas": "96",
    }  # fmt: skip
    for name, code in extra.items():
        table[_state_name_key(name)] = code
    return table


_STATES = _state_table()


@dataclass
class _Header:
    """The header row found: its position, the column of each key, and what was ignored."""

    index: int
    columns: dict[str, int]
    shown: dict[str, str]  # key -> header text as the file writes it
    ignored: list[str]


@dataclass
class _Candidate:
    index: int
    columns: dict[str, int]
    shown: dict[str, str]
    ignored: list[str]
    ambiguous: list[str]
    texts: list[str]

    def missing(self) -> list[str]:
        found = set(self.columns)
        missing = [c.header for c in COLUMNS if c.required and c.key not in found]
        if not found & set(_TAX_KEYS):
            missing.append("IGST (or CGST and SGST)")
        elif "cgst" in found and "sgst" not in found:
            missing.append("SGST")
        elif "sgst" in found and "cgst" not in found:
            missing.append("CGST")
        return missing


def _match_header_row(index: int, cells: Sequence[object]) -> _Candidate:
    chosen: dict[str, tuple[int, int]] = {}  # key -> (rank, column)
    shown: dict[str, str] = {}
    ignored: list[str] = []
    ties: dict[str, list[str]] = {}
    texts: list[str] = []
    for position, cell in enumerate(cells):
        if not isinstance(cell, str) or not cell.strip():
            continue
        text = cell.strip()
        texts.append(text)
        hit = _ALIASES.get(header_key(text))
        if hit is None:
            ignored.append(text)
            continue
        key, rank = hit
        if key not in chosen or rank < chosen[key][0]:
            if key in chosen:
                ignored.append(shown[key])
            chosen[key] = (rank, position)
            shown[key] = text
            ties.pop(key, None)
        elif rank == chosen[key][0]:
            ties.setdefault(key, [shown[key]]).append(text)
        else:
            ignored.append(text)
    ambiguous = []
    for key, names in ties.items():
        if chosen[key][0] == 0:
            ambiguous.append(f"{_BY_KEY[key].header}: {', '.join(repr(t) for t in names)}")
        else:  # two generic spellings ("Total", "Amount"): neither is read
            del chosen[key], shown[key]
            ignored.extend(names)
    columns = {key: position for key, (_, position) in chosen.items()}
    return _Candidate(index, columns, shown, ignored, ambiguous, texts)


def _find_header(head: Sequence[Sequence[object]]) -> _Header:
    """The first row (among the first HEADER_SEARCH_ROWS) holding every required column."""
    best: _Candidate | None = None
    for index, cells in enumerate(head):
        candidate = _match_header_row(index, cells)
        if not candidate.texts:
            continue
        if not candidate.missing():
            if candidate.ambiguous:
                raise FormatError(
                    f"row {index + 1} has two columns for the same thing: "
                    + "; ".join(candidate.ambiguous)
                    + ". Rename or delete one of them."
                )
            return _Header(index, candidate.columns, candidate.shown, candidate.ignored)
        if best is None or len(candidate.columns) > len(best.columns):
            best = candidate
    if best is None:
        raise FormatError(
            "the purchase register is empty: expected a header row with "
            + ", ".join(_required_names())
        )
    found = ", ".join(repr(text) for text in best.texts[:30])
    raise FormatError(
        f"the purchase register lacks the column(s) {', '.join(best.missing())}; "
        f"the best header row (row {best.index + 1}) has: {found}. "
        "See the template in docs/purchase-register.md for the accepted headers."
    )


def _required_names() -> list[str]:
    return [c.header for c in COLUMNS if c.required] + ["IGST (or CGST and SGST)"]


# ----------------------------------------------------------------------------------- cells


def _is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _text(value: object) -> str | None:
    """A cell as text; None when blank. A leading apostrophe (Excel's "keep as text") is dropped."""
    if value is None:
        return None
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("'"):
            text = text[1:].strip()
        return text or None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        # Far beyond any number or code; also keeps str() clear of the int digit limit.
        return str(value) if abs(value) < _HUGE else "(a very large number)"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < _HUGE:
            return str(int(value))
        return repr(value)
    if isinstance(value, Decimal):
        if value.is_finite() and abs(value) < _HUGE and value == value.to_integral_value():
            return str(int(value))
        return str(value)
    if isinstance(value, datetime):
        return value.strftime("%d-%m-%Y %H:%M:%S")
    if isinstance(value, date):
        return value.strftime("%d-%m-%Y")
    return str(value).strip() or None


def _amount(value: object, field: str, *, default: Decimal | None = None) -> Decimal:
    """An amount in rupees, exactly, with at most two decimals.

    Text may carry Indian (1,23,456.00) or international (123,456.00) commas, a ₹ / Rs / INR
    sign, or accounting parentheses for a negative. A spreadsheet float is read through its
    shortest repr (Decimal(repr(x)), so 1180.1 is 1180.10, not 1180.0999…) and rounded to paise
    only when within FLOAT_TOLERANCE of a whole paisa; a real fraction of a paisa is refused.
    """
    if _is_blank(value):
        if default is None:
            raise RowError(field, "is missing")
        return default
    if isinstance(value, bool):
        raise RowError(field, f"{value!r} is not an amount")
    number: Decimal
    if isinstance(value, int):
        if abs(value) >= MAX_AMOUNT:
            raise RowError(field, "is too large for an amount in rupees")
        number = Decimal(value)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise RowError(field, f"{value!r} is not an amount")
        number = Decimal(repr(value))
        if abs(number) < MAX_AMOUNT:
            rounded = number.quantize(PAISE)
            if abs(number - rounded) > FLOAT_TOLERANCE:
                raise RowError(
                    field,
                    f"{value!r} has more than two decimals: round it in the sheet"
                    " (e.g. =ROUND(…, 2))",
                )
            number = rounded
    elif isinstance(value, Decimal):
        number = value
    elif isinstance(value, str):
        number = _amount_text(value, field)
    else:
        raise RowError(field, f"{_shown(value)} is not an amount")
    if not number.is_finite():
        raise RowError(field, f"{_shown(value)} is not an amount")
    if abs(number) >= MAX_AMOUNT:
        raise RowError(field, f"{_shown(value)} is too large for an amount in rupees")
    rounded = number.quantize(PAISE)
    if rounded != number:
        raise RowError(field, f"{_shown(value)} has more than two decimals")
    return rounded


def _amount_text(value: str, field: str) -> Decimal:
    text = value.strip().replace("\u00a0", "").replace(" ", "")
    negative = text.startswith("(") and text.endswith(")")
    if negative:
        text = text[1:-1]
    lowered = text.casefold()
    for sign in ("₹", "rs.", "rs", "inr"):
        if lowered.startswith(sign):
            text = text[len(sign) :]
            break
    if "," in text:
        body = text.lstrip("+-")
        whole = body.split(".", 1)[0]
        if not _GROUPED.fullmatch(whole):
            raise RowError(field, f"{_shown(value)} is not an amount like 1,23,456.00")
        text = text.replace(",", "")
    if not _PLAIN_AMOUNT.fullmatch(text):
        raise RowError(field, f"{_shown(value)} is not an amount like 1,23,456.00")
    number = Decimal(text)
    return -number if negative else number


def _shown(value: object) -> str:
    text = repr(value) if not isinstance(value, str) else repr(value.strip())
    return text if len(text) <= 42 else text[:40] + "…'"


def _excel_serial(number: float | int | Decimal, field: str) -> date:
    if not 1 <= number < 2958466:  # 31-Dec-9999
        raise RowError(field, f"{_shown(number)} is not a date like 18-10-2025")
    return _EXCEL_EPOCH + timedelta(days=int(number))


def _date(value: object, field: str) -> date:
    """A document date: DD-MM-YYYY, DD/MM/YYYY, YYYY-MM-DD, DD-Mon-YYYY, or an Excel date."""
    day = _date_of(value, field)
    if day < _GST_START:
        raise RowError(field, f"{day:%d-%m-%Y} is before GST began (1-Jul-2017)")
    try:
        FinancialYear.of(day)
    except ImsDomainError:
        raise RowError(field, f"{day:%d-%m-%Y} is outside the years GST files cover") from None
    return day


def _date_of(value: object, field: str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, bool) or _is_blank(value):
        raise RowError(field, "is missing" if _is_blank(value) else f"{value!r} is not a date")
    if isinstance(value, int | float):
        if isinstance(value, float) and math.isnan(value):
            raise RowError(field, f"{value!r} is not a date like 18-10-2025")
        return _excel_serial(value, field)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise RowError(field, f"{value!r} is not a date like 18-10-2025")
        return _excel_serial(value, field)
    if not isinstance(value, str):
        raise RowError(field, f"{_shown(value)} is not a date like 18-10-2025")
    text = _ZERO_TIME.sub("", value.strip(), count=1) if ":" in value else value.strip()
    try:
        match = _DMY.fullmatch(text)
        if match:
            return date(int(match[3]), int(match[2]), int(match[1]))
        match = _YMD.fullmatch(text)
        if match:
            return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        raise RowError(field, f"{_shown(value)} is not a real date") from None
    if text.isascii() and text.isdigit() and len(text) == 5:
        return _excel_serial(int(text), field)
    for pattern in ("%d-%b-%Y", "%d %b %Y", "%d-%b-%y", "%d/%m/%y", "%d-%m-%y", "%d.%m.%y"):
        try:
            return datetime.strptime(text, pattern).date()  # noqa: DTZ007 (a date, no time)
        except ValueError:
            continue
    raise RowError(field, f"{_shown(value)} is not a date like 18-10-2025")


def _number(value: object, field: str) -> str:
    text = _text(value)
    if text is None:
        raise RowError(field, "is missing")
    number = text.upper()
    if not text.isascii() or not _NUMBER.fullmatch(number):  # "ß".upper() is "SS"
        raise RowError(
            field,
            f"{_shown(text)} is not a GST document number: at most 16 letters, digits, '-' or '/'",
        )
    if not number.strip("0"):
        raise RowError(field, f"{_shown(text)} is all zeros")
    return number


def _kind(value: object, field: str) -> RecordKind:
    text = _text(value)
    if text is None:
        return RecordKind.INVOICE
    kind = _KINDS.get(value_key(text))
    if kind is None:
        raise RowError(
            field,
            f"{_shown(text)} is not a document type: expected Invoice, Debit note, Credit note"
            " (or an amendment of one), ECO document or Bill of entry",
        )
    return kind


def _place_of_supply(value: object, field: str) -> str | None:
    text = _text(value)
    if text is None:
        return None
    head = re.match(r"[0-9]{1,2}(?![0-9])", text)
    code = head[0].zfill(2) if head else _STATES.get(_state_name_key(text))
    if code is None or code not in STATE_CODES or code == "99":
        raise RowError(
            field, f"{_shown(text)} is not a place of supply: a state code like 29 or a name"
        )
    return code


def _reverse_charge(value: object, field: str) -> bool:
    if isinstance(value, bool):
        return value
    text = _text(value)
    if text is None:
        return False
    key = text.upper()
    if key in {"Y", "YES", "TRUE", "T", "1"}:
        return True
    if key in {"N", "NO", "FALSE", "F", "0"}:
        return False
    raise RowError(field, f"{_shown(text)} is not Y or N")


def _return_period(value: object, field: str) -> ReturnPeriod | None:
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return _period(value.year, value.month, value, field)
    text = _text(value)
    if text is None:
        return None
    compact = text.replace(" ", "")
    if compact.isascii() and compact.isdigit() and len(compact) in (5, 6):
        code = compact.zfill(6)  # Excel drops the leading zero of 012026
        return _period(int(code[2:]), int(code[:2]), text, field)
    match = re.fullmatch(r"([0-9]{1,2})[-/.]([0-9]{4})", compact)
    if match:
        return _period(int(match[2]), int(match[1]), text, field)
    match = re.fullmatch(r"([0-9]{4})[-/.]([0-9]{1,2})", compact)
    if match:
        return _period(int(match[1]), int(match[2]), text, field)
    match = re.fullmatch(r"([A-Za-z]{3,9})[-/.,']?([0-9]{2}|[0-9]{4})", compact)
    if match and match[1][:3].lower() in _MONTHS:
        year = int(match[2]) + (2000 if len(match[2]) == 2 else 0)
        return _period(year, _MONTHS.index(match[1][:3].lower()) + 1, text, field)
    raise RowError(field, f"{_shown(text)} is not a return period like 102025 or Oct-2025")


def _period(year: int, month: int, shown: object, field: str) -> ReturnPeriod:
    try:
        return ReturnPeriod(year, month)
    except ImsDomainError:
        raise RowError(
            field, f"{_shown(shown)} is not a return period like 102025 or Oct-2025"
        ) from None


def _port_code(value: object, field: str) -> str:
    """An overseas bill of entry has no supplier GSTIN: the column holds the port code."""
    text = _text(value)
    if text is None:
        raise RowError(field, "port code is missing (a bill of entry names its port)")
    code = text.upper()
    if not text.isascii() or not _PORT_CODE.fullmatch(code):
        raise RowError(field, f"{_shown(text)} is not a port code like INNSA1")
    return code


# ------------------------------------------------------------------------------------ rows


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cycle collector while many small acyclic objects are built.

    Records hold no reference cycles, yet every few thousand allocations the collector scans all
    of them again: about 40 % of the time of reading 100,000 rows. Restored on exit.
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


_T = TypeVar("_T")
_AMOUNT_KEYS = ("taxable_value", "igst", "cgst", "sgst", "cess", "value")
_FAST_AMOUNT = re.compile(r"[0-9]{1,13}(?:\.[0-9]{1,2})?")
_ZERO = Decimal("0.00")


class _RowReader:
    """Reads the data rows under a header into records, problems and notes.

    Values that repeat down a register (GSTINs, document types, states, periods) are read once
    per file and remembered, errors included.
    """

    def __init__(self, header: _Header, *, recipient: str, sheet: str) -> None:
        self.columns = header.columns
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

    def cell(self, row: Sequence[object], key: str) -> object:
        position = self.columns.get(key)
        if position is None or position >= len(row):
            return None
        return row[position]

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
        if all(_is_blank(cell) for cell in row):
            return
        cell = self.cell
        if all(_is_blank(cell(row, key)) for key in ("supplier_gstin", "number", "date")):
            self.skipped_rows.append(row_number)  # a totals or remarks line, not a document
            return
        warnings: list[RowProblem] = []
        try:
            reported = self._record(row_number, row, warnings)
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

    def _supplier(
        self, raw: object, kind: RecordKind, warnings: list[RowProblem], where: tuple[str, int]
    ) -> str:
        field = self.names["supplier_gstin"]
        if kind is RecordKind.BILL_OF_ENTRY or kind is RecordKind.BILL_OF_ENTRY_AMENDMENT:
            return self.remembered("supplier_gstin", raw, _port_code, memo="port code")
        found = self.gstins.get(raw) if isinstance(raw, str) else None
        if found is None:
            notes: list[RowProblem] = []
            try:
                found = (gstin_field(_text(raw), field, notes, where), [n.reason for n in notes])
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
        if isinstance(raw, str) and _FAST_AMOUNT.fullmatch(raw):
            return Decimal(raw).quantize(PAISE)
        return _amount(raw, self.names[key], default=default)

    def _record(
        self, row_number: int, row: Sequence[object], warnings: list[RowProblem]
    ) -> ReportedRecord:
        cell, name, remembered = self.cell, self.name, self.remembered
        where = (self.sheet, row_number)
        kind = remembered("document_type", cell(row, "document_type"), _kind)
        supplier = self._supplier(cell(row, "supplier_gstin"), kind, warnings, where)
        number = _number(cell(row, "number"), name("number"))
        document_date = _date(cell(row, "date"), name("date"))
        taxable = self._amount(cell(row, "taxable_value"), "taxable_value", None)
        igst = self._amount(cell(row, "igst"), "igst", _ZERO)
        cgst = self._amount(cell(row, "cgst"), "cgst", _ZERO)
        sgst = self._amount(cell(row, "sgst"), "sgst", _ZERO)
        cess = self._amount(cell(row, "cess"), "cess", _ZERO)
        given_value = cell(row, "value")
        value = None if _is_blank(given_value) else self._amount(given_value, "value", None)
        if taxable < 0 or igst < 0 or cgst < 0 or sgst < 0 or cess < 0 or (value or 0) < 0:
            if not kind.is_credit_note:
                amounts = (taxable, igst, cgst, sgst, cess, value or _ZERO)
                negative = next(k for k, a in zip(_AMOUNT_KEYS, amounts, strict=True) if a < 0)
                raise RowError(
                    name(negative),
                    "is negative: amounts are written as positive numbers, and the document"
                    " type tells a credit note",
                )
            self.negative_notes += 1
            taxable, igst, cgst, sgst, cess = (abs(a) for a in (taxable, igst, cgst, sgst, cess))
            value = None if value is None else abs(value)
        taxes = TaxAmounts(igst, cgst, sgst, cess)
        if value is None:
            value = taxable + taxes.total
        place = remembered("place_of_supply", cell(row, "place_of_supply"), _place_of_supply)
        reverse_charge = remembered("reverse_charge", cell(row, "reverse_charge"), _reverse_charge)
        period = remembered("return_period", cell(row, "return_period"), _return_period)
        original = self._original(row, kind, warnings, where)
        supplier_name = _text(cell(row, "supplier_name"))
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

    def _original(
        self,
        row: Sequence[object],
        kind: RecordKind,
        warnings: list[RowProblem],
        where: tuple[str, int],
    ) -> OriginalRef | None:
        number_cell = self.cell(row, "original_number")
        date_cell = self.cell(row, "original_date")
        if not kind.is_amendment:
            if not (_is_blank(number_cell) and _is_blank(date_cell)):
                warnings.append(
                    RowProblem(
                        *where,
                        self.name("original_number"),
                        f"ignored: a {kind.label} has no original document (only amendments do)",
                        refused=False,
                    )
                )
            return None
        if _is_blank(number_cell):
            raise RowError(
                self.name("original_number"), f"is missing: a {kind.label} names its original"
            )
        if _is_blank(date_cell):
            raise RowError(
                self.name("original_date"), f"is missing: a {kind.label} names its original"
            )
        return OriginalRef(
            number=_number(number_cell, self.name("original_number")),
            document_date=_date(date_cell, self.name("original_date")),
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
            shown = ", ".join(str(n) for n in self.skipped_rows[:10])
            more = "…" if len(self.skipped_rows) > 10 else ""
            notes.append(
                f"{len(self.skipped_rows)} row(s) without GSTIN, number or date skipped"
                f" (totals or remarks?): row {shown}{more}"
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
    header = _find_header(head)
    reader = _RowReader(header, recipient=recipient, sheet=sheet)
    body = chain(head[header.index + 1 :], iterator)
    with paused_gc():
        for row_number, row in enumerate(body, start=header.index + 2):
            reader.read(row_number, row)
    notes = reader.notes()
    if header.ignored:
        shown = ", ".join(repr(text) for text in header.ignored[:20])
        notes.insert(0, f"columns not read: {shown}")
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
            _find_header(head)
        except FormatError as exc:
            score = max(
                (len(_match_header_row(i, r).columns) for i, r in enumerate(head)), default=0
            )
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
        "Y" if record.reverse_charge else "N",
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
        return cell.strftime("%d-%m-%Y")
    # A text starting like a formula is quoted with an apostrophe, so a spreadsheet opening the
    # file shows it as text instead of running it (CSV injection); the reader drops the apostrophe.
    return "'" + cell if cell.startswith(_QUOTED_PREFIXES) else cell


def write_register_csv(records: Iterable[ReportedRecord]) -> bytes:
    """The records as a template CSV: UTF-8 with BOM (so Excel shows names right), CRLF lines."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(REGISTER_HEADERS)
    writer.writerows([_csv_text(cell) for cell in register_cells(r)] for r in records)
    return out.getvalue().encode("utf-8-sig")
