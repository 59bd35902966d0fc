"""One cell of a purchase register read into a field: amounts, dates, numbers, document types,
places of supply, flags and periods, in the spellings spreadsheets and accounting tools write.

Spreadsheet floats become exact Decimals here (see `cell_amount`); no float reaches a record.
A bad cell raises RowError, which refuses its row.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime, timedelta
from decimal import Decimal

from ims_domain.errors import ImsDomainError
from ims_domain.formats.cell_guard import unguarded
from ims_domain.formats.common import RowError, shown
from ims_domain.formats.fields import gst_date_text, is_blank
from ims_domain.gstin import STATE_CODES
from ims_domain.money import PAISE
from ims_domain.periods import FinancialYear, ReturnPeriod
from ims_domain.records import RecordKind

# A float cell more than this far from a whole number of paise is a real fraction of a paisa
# (e.g. =B2*18% giving 222.2208), not binary noise (222.22000000000003): the row is refused.
FLOAT_TOLERANCE = Decimal("0.00005")
# Ten lakh crore rupees. Larger amounts are typing or unit errors; below it a float cell still
# holds whole paise exactly (15 significant digits), which GST JSON, read as Decimal, never lacks.
MAX_CELL_AMOUNT = Decimal(10) ** 13
# Below a billion rupees a float's error in paise is under 1e-5 (2**-53 relative): the float
# fast path of cell_amount applies there, with the tolerance counted in paise.
_FLOAT_EXACT = 1e9
_FLOAT_TOLERANCE_PAISE = float(FLOAT_TOLERANCE * 100)
# Most amount cells are plain text like 1180 or 1180.5: read at once, no checks needed.
_PLAIN_SMALL_AMOUNT = re.compile(r"[0-9]{1,13}(?:\.[0-9]{1,2})?")
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
_HUGE = 10**18


def value_key(text: str) -> str:
    """A cell value as we compare it: lower case, letters and digits only ("B2B-A" = "b2ba")."""
    return "".join(re.findall(r"[0-9a-z]+", text.casefold()))


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


def cell_text(value: object) -> str | None:
    """A cell as text; None when blank. The quote our writers put before a text that could start
    a formula is dropped (cell_guard)."""
    if value is None:
        return None
    if isinstance(value, str):
        return unguarded(value.strip()) or None
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
        return gst_date_text(value)
    return str(value).strip() or None


def cell_amount(value: object, field: str, *, default: Decimal | None = None) -> Decimal:
    """An amount in rupees, exactly, with at most two decimals.

    Text may carry Indian (1,23,456.00) or international (123,456.00) commas, a ₹ / Rs / INR
    sign, or accounting parentheses for a negative. A spreadsheet float is read through its
    shortest repr (Decimal(repr(x)), so 1180.1 is 1180.10, not 1180.0999…) and rounded to paise
    only when within FLOAT_TOLERANCE of a whole paisa; a real fraction of a paisa is refused.
    """
    if type(value) is float and -_FLOAT_EXACT < value < _FLOAT_EXACT:
        # The usual spreadsheet cell: in this range a float carries paise to far better than
        # FLOAT_TOLERANCE, so float arithmetic decides as Decimal(repr(value)) would, faster.
        hundredfold = value * 100
        paise = round(hundredfold)
        if abs(hundredfold - paise) <= _FLOAT_TOLERANCE_PAISE:
            return Decimal(paise).scaleb(-2)
    if isinstance(value, str) and _PLAIN_SMALL_AMOUNT.fullmatch(value):
        return Decimal(value).quantize(PAISE)
    if is_blank(value):
        if default is None:
            raise RowError(field, "is missing")
        return default
    if isinstance(value, bool):
        raise RowError(field, f"{value!r} is not an amount")
    number: Decimal
    if isinstance(value, int):
        if abs(value) >= MAX_CELL_AMOUNT:
            raise RowError(field, "amount too large (the limit is 10^13 rupees)")
        return Decimal(value).quantize(PAISE)  # whole rupees below the limit: nothing to check
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise RowError(field, f"{value!r} is not an amount")
        number = Decimal(repr(value))
        if abs(number) < MAX_CELL_AMOUNT:
            rounded = number.quantize(PAISE)
            if abs(number - rounded) > FLOAT_TOLERANCE:
                raise RowError(
                    field,
                    f"{value!r} has more than two decimals: round it in the sheet"
                    " (e.g. =ROUND(…, 2))",
                )
            if abs(rounded) < MAX_CELL_AMOUNT:
                return rounded  # finite, whole paise and below the limit: checked
            number = rounded
    elif isinstance(value, Decimal):
        number = value
    elif isinstance(value, str):
        number = _amount_text(value, field)
    else:
        raise RowError(field, f"{shown(value)} is not an amount")
    if not number.is_finite():
        raise RowError(field, f"{shown(value)} is not an amount")
    if abs(number) >= MAX_CELL_AMOUNT:
        raise RowError(field, f"{shown(value)}: amount too large (the limit is 10^13 rupees)")
    rounded = number.quantize(PAISE)
    if rounded != number:
        raise RowError(field, f"{shown(value)} has more than two decimals")
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
            raise RowError(field, f"{shown(value)} is not an amount like 1,23,456.00")
        text = text.replace(",", "")
    if not _PLAIN_AMOUNT.fullmatch(text):
        raise RowError(field, f"{shown(value)} is not an amount like 1,23,456.00")
    number = Decimal(text)
    return -number if negative else number


def _excel_serial(number: float | int | Decimal, field: str) -> date:
    if not 1 <= number < 2958466:  # 31-Dec-9999
        raise RowError(field, f"{shown(number)} is not a date like 18-10-2025")
    return _EXCEL_EPOCH + timedelta(days=int(number))


def cell_date(value: object, field: str) -> date:
    """A document date: DD-MM-YYYY, DD/MM/YYYY, YYYY-MM-DD, DD-Mon-YYYY, or an Excel date."""
    day = _date_of(value, field)
    if day < _GST_START:
        raise RowError(field, f"{gst_date_text(day)} is before GST began (1-Jul-2017)")
    try:
        FinancialYear.of(day)
    except ImsDomainError:
        raise RowError(
            field, f"{gst_date_text(day)} is outside the years GST files cover"
        ) from None
    return day


def _date_of(value: object, field: str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, bool) or is_blank(value):
        raise RowError(field, "is missing" if is_blank(value) else f"{value!r} is not a date")
    if isinstance(value, int | float):
        if isinstance(value, float) and math.isnan(value):
            raise RowError(field, f"{value!r} is not a date like 18-10-2025")
        return _excel_serial(value, field)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise RowError(field, f"{value!r} is not a date like 18-10-2025")
        return _excel_serial(value, field)
    if not isinstance(value, str):
        raise RowError(field, f"{shown(value)} is not a date like 18-10-2025")
    text = _ZERO_TIME.sub("", value.strip(), count=1) if ":" in value else value.strip()
    try:
        match = _DMY.fullmatch(text)
        if match:
            return date(int(match[3]), int(match[2]), int(match[1]))
        match = _YMD.fullmatch(text)
        if match:
            return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        raise RowError(field, f"{shown(value)} is not a real date") from None
    if text.isascii() and text.isdigit() and len(text) == 5:
        return _excel_serial(int(text), field)
    for pattern in ("%d-%b-%Y", "%d %b %Y", "%d-%b-%y", "%d/%m/%y", "%d-%m-%y", "%d.%m.%y"):
        try:
            return datetime.strptime(text, pattern).date()  # noqa: DTZ007 (a date, no time)
        except ValueError:
            continue
    raise RowError(field, f"{shown(value)} is not a date like 18-10-2025")


def cell_number(value: object, field: str) -> str:
    text = cell_text(value)
    if text is None:
        raise RowError(field, "is missing")
    number = text.upper()
    if not text.isascii() or not _NUMBER.fullmatch(number):  # "ß".upper() is "SS"
        raise RowError(
            field,
            f"{shown(text)} is not a GST document number: at most 16 letters, digits, '-' or '/'",
        )
    if not number.strip("0"):
        raise RowError(field, f"{shown(text)} is all zeros")
    return number


def cell_kind(value: object, field: str) -> RecordKind:
    text = cell_text(value)
    if text is None:
        return RecordKind.INVOICE
    kind = _KINDS.get(value_key(text))
    if kind is None:
        raise RowError(
            field,
            f"{shown(text)} is not a document type: expected Invoice, Debit note, Credit note"
            " (or an amendment of one), ECO document or Bill of entry",
        )
    return kind


def cell_place_of_supply(value: object, field: str) -> str | None:
    text = cell_text(value)
    if text is None:
        return None
    head = re.match(r"[0-9]{1,2}(?![0-9])", text)
    code = head[0].zfill(2) if head else _STATES.get(_state_name_key(text))
    if code is None or code not in STATE_CODES or code == "99":
        raise RowError(
            field, f"{shown(text)} is not a place of supply: a state code like 29 or a name"
        )
    return code


def cell_reverse_charge(value: object, field: str) -> bool:
    if isinstance(value, bool):
        return value
    text = cell_text(value)
    if text is None:
        return False
    key = text.upper()
    if key in {"Y", "YES", "TRUE", "T", "1"}:
        return True
    if key in {"N", "NO", "FALSE", "F", "0"}:
        return False
    raise RowError(field, f"{shown(text)} is not Y or N")


def cell_return_period(value: object, field: str) -> ReturnPeriod | None:
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return _period(value.year, value.month, value, field)
    text = cell_text(value)
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
    raise RowError(field, f"{shown(text)} is not a return period like 102025 or Oct-2025")


def _period(year: int, month: int, written: object, field: str) -> ReturnPeriod:
    try:
        return ReturnPeriod(year, month)
    except ImsDomainError:
        raise RowError(
            field, f"{shown(written)} is not a return period like 102025 or Oct-2025"
        ) from None


def cell_port_code(value: object, field: str) -> str:
    """An overseas bill of entry has no supplier GSTIN: the column holds the port code."""
    text = cell_text(value)
    if text is None:
        raise RowError(field, "port code is missing (a bill of entry names its port)")
    code = text.upper()
    if not text.isascii() or not _PORT_CODE.fullmatch(code):
        raise RowError(field, f"{shown(text)} is not a port code like INNSA1")
    return code
