"""What every GST file parser shares: the result type, errors, JSON loading, dates, amounts."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from ims_domain.errors import ImsDomainError
from ims_domain.gstin import GstinError, parse_gstin
from ims_domain.periods import ReturnPeriod
from ims_domain.records import Action, ReportedRecord, RowProblem

MAX_FILE_BYTES = 20 * 1024 * 1024  # Telegram's bot download limit; the default size limit
MAX_AMOUNT = Decimal(10) ** 15  # ₹1,000 lakh crore: anything larger is a broken cell, not money


class FileFormat(StrEnum):
    """The files we read, told apart by their content (never by their name)."""

    IMS = "ims"  # IMS download / GETINV records (recipient view)
    GSTR2B = "gstr2b"
    GSTR1 = "gstr1"  # a supplier's GSTR-1 / IFF JSON
    SUPPLIER_VIEW = "supplier_view"  # recipients' actions on a supplier's own records
    PURCHASE_REGISTER = "purchase_register"  # our CSV / XLSX template


FORMAT_NAMES = {
    FileFormat.IMS: "IMS download JSON (from the IMS dashboard or the IMS API)",
    FileFormat.GSTR2B: "GSTR-2B JSON",
    FileFormat.GSTR1: "GSTR-1 or IFF JSON (a supplier's return)",
    FileFormat.SUPPLIER_VIEW: "IMS supplier view JSON",
    FileFormat.PURCHASE_REGISTER: "purchase register CSV or XLSX (our template)",
}


class FormatError(ImsDomainError):
    """The file as a whole cannot be read; nothing of it is imported."""


class RowError(ImsDomainError):
    """One field of one row is wrong: the row is refused, the file goes on."""

    def __init__(self, field_name: str, reason: str):
        super().__init__(f"{field_name}: {reason}")
        self.field_name = field_name
        self.reason = reason


@dataclass(frozen=True)
class SupplierViewEntry:
    """A recipient's action on one of the supplier's own records (supplier view, R4.6)."""

    recipient_gstin: str
    section: str
    number: str
    document_date: date
    action: Action
    remarks: str | None = None


@dataclass(frozen=True)
class ParsedFile:
    """What a parser read: the records, the rows it refused or warns about, and notes."""

    format: FileFormat
    records: tuple[ReportedRecord, ...] = ()
    problems: tuple[RowProblem, ...] = ()
    # Things worth telling that are not row problems, e.g. "b2cs: 12 rows skipped (not in IMS)".
    notes: tuple[str, ...] = ()
    # The file's own GSTIN and period: the recipient for IMS and GSTR-2B, the supplier for GSTR-1.
    gstin: str | None = None
    period: ReturnPeriod | None = None
    supplier_actions: tuple[SupplierViewEntry, ...] = field(default=())

    @property
    def refused(self) -> int:
        """How many rows were refused."""
        return sum(1 for problem in self.problems if problem.refused)


def load_json(data: bytes) -> Any:
    """JSON with every number as an exact Decimal or int; a broken file raises FormatError."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FormatError(f"the file is not UTF-8 text (byte {exc.start} is not valid)") from None
    try:
        return json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}"
        if exc.pos >= len(text.rstrip()):
            raise FormatError(f"the JSON ends too early ({where}): is the file complete?") from None
        raise FormatError(f"the file is not valid JSON: {exc.msg} at {where}") from None
    except RecursionError:
        raise FormatError("the JSON is nested too deeply to be a GST file") from None


def unwrap(document: Any, *, required: tuple[str, ...]) -> Mapping[str, Any] | None:
    """The object inside `data` wrappers (API, saved payloads) that has all `required` keys."""
    current = document
    for _ in range(5):
        if not isinstance(current, Mapping):
            return None
        if all(key in current for key in required):
            return current
        current = current.get("data")
    return None


def gst_date(value: Any, field_name: str) -> date:
    """A date as GST files write it: DD-MM-YYYY (also DD/MM/YYYY, DD-MMM-YYYY, YYYY-MM-DD)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not value.strip():
        raise RowError(field_name, f"{value!r} is not a date like 18-10-2025")
    text = value.strip()
    for pattern in ("%d-%m-%Y", "%d/%m/%Y", "%d-%b-%Y", "%Y-%m-%d", "%d.%m.%Y"):
        try:
            return datetime.strptime(text, pattern).date()  # noqa: DTZ007 (a date, no time)
        except ValueError:
            continue
    raise RowError(field_name, f"{text!r} is not a date like 18-10-2025")


def amount(value: Any, field_name: str, *, default: Decimal | None = None) -> Decimal:
    """An amount in rupees with at most two decimals; missing means `default` (GST omits zeros)."""
    if value is None or value == "":
        if default is None:
            raise RowError(field_name, "is missing")
        return default
    if isinstance(value, bool | float):
        raise RowError(field_name, f"{value!r} is not an exact amount")
    try:
        text = value.strip().replace(",", "") if isinstance(value, str) else value
        number = Decimal(text)
        finite = number.is_finite() and abs(number) < MAX_AMOUNT
        exact = finite and number == number.quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError, TypeError):
        raise RowError(field_name, f"{shown(value)} is not an amount") from None
    if not finite:
        raise RowError(field_name, f"{shown(value)} is not an amount")
    if not exact:
        raise RowError(field_name, f"{shown(value)} has more than two decimals")
    return number.quantize(Decimal("0.01"))


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


def period_field(value: Any, field_name: str) -> ReturnPeriod:
    """A return period MMYYYY from a file."""
    try:
        return ReturnPeriod.parse(str(value))
    except ImsDomainError as exc:
        raise RowError(field_name, str(exc)) from None


def flag(value: Any) -> bool | None:
    """A GST "Y"/"N" flag; None when absent."""
    if value is None or value == "":
        return None
    return str(value).strip().upper() in {"Y", "YES", "TRUE", "1"}


def shown(value: Any, width: int = 40) -> str:
    """A value as quoted in a message, cut short so one bad cell cannot flood it."""
    text = repr(value)
    return text if len(text) <= width else text[: width - 1] + "…"
