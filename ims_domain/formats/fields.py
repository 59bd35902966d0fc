"""One field of a GST file, read (and written) the same way by every parser: dates, amounts,
GSTINs, periods, state codes, flags and actions. A bad value raises RowError, which refuses its row.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from ims_domain.errors import ImsDomainError
from ims_domain.formats.common import FormatError, RowError, shown
from ims_domain.gstin import GstinError, parse_gstin
from ims_domain.money import PAISE, ZERO, TaxAmounts
from ims_domain.periods import FinancialYear, ReturnPeriod
from ims_domain.records import Action, RowProblem, normalise_number
from ims_domain.text_limits import (
    CODE_MAX,
    DOCUMENT_NUMBER_MAX,
    HASH_MAX,
    NAME_MAX,
    NUL,
    REMARKS_MAX,
    shortened,
    without_nul,
)

_PORT_CODE = re.compile(r"[A-Z0-9]{1,10}")
MAX_AMOUNT = Decimal(10) ** 15  # ₹1,000 lakh crore: anything larger is a broken cell, not money

_ACTION_WORDS = {
    "A": Action.ACCEPT,
    "ACCEPT": Action.ACCEPT,
    "ACCEPTED": Action.ACCEPT,
    "R": Action.REJECT,
    "REJECT": Action.REJECT,
    "REJECTED": Action.REJECT,
    "P": Action.PENDING,
    "PENDING": Action.PENDING,
    "N": Action.NO_ACTION,
    "NOACTION": Action.NO_ACTION,
    "NOACTIONTAKEN": Action.NO_ACTION,
}


def is_blank(value: Any) -> bool:
    """Absent: None, or text that is empty or only spaces."""
    return value is None or (isinstance(value, str) and not value.strip())


def gst_date(value: Any, field_name: str) -> date:
    """A date as GST files write it: DD-MM-YYYY (also DD/MM/YYYY, DD-MMM-YYYY, YYYY-MM-DD)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if is_blank(value):
        raise RowError(field_name, "is missing")
    if not isinstance(value, str):
        raise RowError(field_name, f"{shown(value)} is not a date like 18-10-2025")
    text = value.strip()
    for pattern in ("%d-%m-%Y", "%d/%m/%Y", "%d-%b-%Y", "%Y-%m-%d", "%d.%m.%Y"):
        try:
            return datetime.strptime(text, pattern).date()  # noqa: DTZ007 (a date, no time)
        except ValueError:
            continue
    raise RowError(field_name, f"{shown(text)} is not a date like 18-10-2025")


def gst_date_text(day: date) -> str:
    """DD-MM-YYYY, as GSTN files write dates (strftime would not pad a year before 1000)."""
    return f"{day.day:02d}-{day.month:02d}-{day.year:04d}"


def document_date(value: Any, field_name: str) -> date:
    """A document date inside the GST era (financial year 2017-18 onwards)."""
    day = gst_date(value, field_name)
    try:
        FinancialYear.of(day)
    except ImsDomainError as exc:
        raise RowError(field_name, f"{gst_date_text(day)}: {exc}") from None
    return day


def document_number(value: Any, field_name: str) -> str:
    """A document number as the portal matches it (§6): text or a whole number, upper-cased, of
    at most DOCUMENT_NUMBER_MAX printable characters."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        message = "is missing" if value is None else f"{shown(value)} is not a number"
        raise RowError(field_name, message)
    try:
        number = normalise_number(str(value))
    except ImsDomainError:
        raise RowError(field_name, "is empty") from None
    return capped_number(number, field_name)


def capped_number(number: str, field_name: str) -> str:
    """`number` when it fits the portal's numbers: printable, at most DOCUMENT_NUMBER_MAX long."""
    if not number.isprintable():
        raise RowError(field_name, f"{shown(number)} holds a control character")
    if len(number) > DOCUMENT_NUMBER_MAX:
        raise RowError(
            field_name,
            f"{shown(number)} has {len(number)} characters; document numbers have at most "
            f"{DOCUMENT_NUMBER_MAX} characters on the portal",
        )
    return number


def amount(value: Any, field_name: str, *, default: Decimal | None = None) -> Decimal:
    """An amount in rupees with at most two decimals; missing means `default` (GST omits zeros)."""
    if isinstance(value, Decimal):  # as load_json reads JSON numbers: the usual case, first
        number = value
    else:
        if value is None or value == "":
            if default is None:
                raise RowError(field_name, "is missing")
            return default
        if isinstance(value, bool | float):
            raise RowError(field_name, f"{value!r} is not an exact amount")
        try:
            number = Decimal(value.strip().replace(",", "") if isinstance(value, str) else value)
        except (InvalidOperation, ValueError, TypeError):
            raise RowError(field_name, f"{shown(value)} is not an amount") from None
    if not number.is_finite():
        raise RowError(field_name, f"{shown(value)} is not an amount")
    within_limit(number, field_name, written=value)
    rounded = number.quantize(PAISE)  # below MAX_AMOUNT this is exact in Decimal's 28 digits
    if rounded != number:
        raise RowError(field_name, f"{shown(value)} has more than two decimals")
    return rounded


def within_limit(number: Decimal, field_name: str, *, written: Any = None) -> Decimal:
    """`number` when it is below MAX_AMOUNT (a sum of items too: stored in paise, it must fit a
    64-bit integer); else the row is refused."""
    if abs(number) >= MAX_AMOUNT:
        quoted = shown(number if written is None else written)
        raise RowError(field_name, f"{quoted}: amount too large (the limit is 10^15 rupees)")
    return number


def item_totals(taxable: Decimal, taxes: TaxAmounts, field_name: str) -> TaxAmounts:
    """The taxes summed over a document's items, when each total (and the taxable value) is
    within the limit."""
    for number in (taxable, *taxes.as_dict().values()):
        within_limit(number, field_name)
    return taxes


def portal_amount(
    source: Mapping[str, Any], key: str, *, default: Decimal | None, prefix: str = ""
) -> Decimal:
    """The amount under `key` of a portal file: absent is `default` (the portal omits zeros,
    §1). Present but blank or null, or negative, refuses the row: the portal writes neither."""
    field_name = prefix + key
    if key not in source:
        if default is None:
            raise RowError(field_name, "is missing")
        return default
    value = source[key]
    if is_blank(value):
        raise RowError(field_name, "is blank: the portal writes an amount (0.00 for none)")
    number = amount(value, field_name)
    if number < 0:
        raise RowError(field_name, f"{number} is negative: the portal sends positive amounts")
    return number


def tax_amounts(
    source: Mapping[str, Any], keys: tuple[str, str, str, str], prefix: str = ""
) -> TaxAmounts:
    """IGST, CGST, SGST, cess read from `keys` of a portal file's `source`; a missing head is
    zero (§1)."""
    igst, cgst, sgst, cess = (
        portal_amount(source, key, default=ZERO, prefix=prefix) for key in keys
    )
    return TaxAmounts(igst=igst, cgst=cgst, sgst=sgst, cess=cess)


def gstin_field(
    value: Any, field_name: str, problems: list[RowProblem], where: tuple[str, int]
) -> str:
    """A GSTIN from a file (gst-formats.md §5.3): malformed refuses the row (RowError); a wrong
    check character only warns, because GSTN's own sample files carry such GSTINs."""
    if not isinstance(value, str) or not value.strip():
        raise RowError(field_name, "GSTIN is missing")
    try:
        return parse_gstin(value).value
    except GstinError as exc:
        if exc.part != "check character":
            raise RowError(field_name, str(exc)) from None
        problems.append(RowProblem(where[0], where[1], field_name, str(exc), refused=False))
        return value.strip().upper()


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


def port_code(value: Any, field_name: str) -> str:
    """A customs port code of a bill of entry (INNSA1): 1-10 letters and digits, upper-cased."""
    if is_blank(value):
        raise RowError(field_name, "port code is missing")
    text = str(value).strip().upper() if isinstance(value, str | int) else ""
    if not _PORT_CODE.fullmatch(text) or isinstance(value, bool):
        raise RowError(field_name, f"{shown(value)} is not a port code like INNSA1")
    return text


def optional_period(value: Any, field_name: str) -> ReturnPeriod | None:
    """A return period MMYYYY, or None when absent."""
    if is_blank(value):
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise RowError(field_name, f"{shown(value)} is not a return period like 102025")
    # A period written as a JSON number has lost its leading zero (012026 became 12026).
    text = f"{value:06d}" if isinstance(value, int) else value
    try:
        return ReturnPeriod.parse(text)
    except ImsDomainError as exc:
        raise RowError(field_name, str(exc)) from None


def header_period(value: Any, key: str, label: str) -> ReturnPeriod:
    """A file's own return period; a missing or broken one refuses the file."""
    try:
        period = optional_period(value, key)
    except RowError as exc:
        raise FormatError(f"the {label}'s period {key} is wrong: {exc.reason}") from None
    if period is None:
        raise FormatError(f"the {label} has no period ({key} is missing)")
    return period


def state_code(value: Any, field_name: str = "pos") -> str | None:
    """A place of supply as its 2-digit state code; None when absent. A number is zero-padded
    (§1), and "07-Delhi", as some exports write it, is 07."""
    if is_blank(value):
        return None
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 99:
        return f"{value:02d}"
    if isinstance(value, str):
        head = value.split("-", 1)[0].strip()
        if head.isascii() and head.isdigit() and len(head) <= 2:
            return head.zfill(2)
    raise RowError(field_name, f"{shown(value)} is not a state code like '29'")


def optional_text(value: Any) -> str | None:
    """A free-text field: stripped, None when absent or empty; a number is kept as its text."""
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, int | Decimal) and not isinstance(value, bool):
        return str(value)
    return None


def code_text(value: Any, field_name: str) -> str | None:
    """A short code the portal writes (srcform, inv_typ …): printable, at most CODE_MAX long."""
    text = optional_text(value)
    if text is not None and (len(text) > CODE_MAX or not text.isprintable()):
        raise RowError(field_name, f"{shown(text)} is not a code (at most {CODE_MAX} characters)")
    return text


def name_text(value: Any) -> tuple[str | None, tuple[str, ...]]:
    """A trade or legal name, and the warnings reading it gave: NUL characters removed, a name
    over NAME_MAX characters shortened with an ellipsis."""
    text = optional_text(value)
    if text is None:
        return None, ()
    reasons: list[str] = []
    if NUL in text:
        text = without_nul(text).strip()
        reasons.append("NUL characters removed")
    if len(text) > NAME_MAX:
        reasons.append(f"{len(text)} characters, shortened to {NAME_MAX}")
        text = shortened(text, NAME_MAX)
    return text or None, tuple(reasons)


def remarks_text(value: Any, field_name: str) -> tuple[str | None, tuple[str, ...]]:
    """Remarks from a file, and the warnings reading them gave: NUL characters removed; remarks
    over REMARKS_MAX characters refuse the row (never cut: they go back to the portal)."""
    text = optional_text(value)
    if text is None:
        return None, ()
    reasons: tuple[str, ...] = ()
    if NUL in text:
        text = without_nul(text).strip()
        reasons = ("NUL characters removed",)
    if len(text) > REMARKS_MAX:
        raise RowError(
            field_name, f"has {len(text)} characters; remarks have at most {REMARKS_MAX}"
        )
    return text or None, reasons


def portal_hash(value: Any, field_name: str = "hash") -> str | None:
    """The portal's `hash` of a record: a text of at most HASH_MAX printable characters."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        raise RowError(field_name, f"{shown(value)} is not the portal's hash (a text)")
    text = value.strip()
    if len(text) > HASH_MAX or not text.isprintable():
        raise RowError(
            field_name,
            f"{shown(text)} is not the portal's hash (at most {HASH_MAX} printable characters)",
        )
    return text


def flag(value: Any) -> bool | None:
    """A GST "Y"/"N" flag; None when absent."""
    if value is None or value == "":
        return None
    return str(value).strip().upper() in {"Y", "YES", "TRUE", "1"}


def yes_no(value: bool) -> str:
    """A flag as GSTN writes it: Y or N."""
    return "Y" if value else "N"


def action_word(value: Any) -> Action | None:
    """An IMS action as files write it: A, R, P or N, or the word ("Accepted", "No action") in
    any case; None when it is none of them."""
    return _ACTION_WORDS.get(str(value).strip().upper().replace(" ", "").replace("_", ""))
