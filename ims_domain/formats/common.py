"""What every GST file parser shares: the result type, the errors, and how values are quoted."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

from ims_domain.errors import ImsDomainError
from ims_domain.periods import ReturnPeriod
from ims_domain.records import Action, ReportedRecord, RowProblem

MAX_FILE_BYTES = 20 * 1024 * 1024  # Telegram's bot download limit; the default size limit


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


def shown(value: Any, width: int = 40) -> str:
    """A value as quoted in a message: text in quotes, a number as written, anything else by its
    repr; cut short so one bad cell cannot flood the message."""
    if isinstance(value, str):
        text = repr(value.strip())  # the parsers strip every text, so the spaces are no fault
    elif isinstance(value, int | Decimal) and not isinstance(value, bool):
        text = str(value)  # 1E+400, not Decimal('1E+400')
    else:
        text = repr(value)
    return text if len(text) <= width else text[: width - 1] + "…"


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cycle collector while many small acyclic objects are built; restored on exit.

    Records hold no reference cycles, yet every few thousand allocations the collector scans all
    of them again. Measured (2 cores, Python 3.11): parse_register_csv of 100,000 demo rows takes
    2.4-2.6 s paused against 3.4-4.5 s collecting; demo_records of 100,000 records 2.4 s against
    3.2-3.3 s.
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()
