"""Which records a list shows, carried in callback data: status, kind, period, supplier, amount.

Encoded as six short callback arguments (`N:C:102025:29AAG…:H:*`), so a list, its pages, its
filter menu and its bulk actions all name the same records. Unknown codes raise BadCallback.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from bot.callbacks import BadCallback, Callback
from ims_domain.periods import FinancialYear, PeriodError, ReturnPeriod
from ims_domain.records import Action, RecordKind
from storage.errors import InvalidInput
from storage.filters import RecordFilter
from storage.queries import InboxCursor

ANY = "*"
FIELDS = 6  # callback arguments a list takes
FIRST_PAGE = "-"  # the page argument of a list's first page
QUARTER = "Q"  # period prefix: the QRMP quarter ending in that month
WINDOW = "W"  # scope prefix: specified records whose Pending window ends that day (YYYYMMDD)
ARRIVED = "S"  # scope prefix: records first stored after that moment (Unix milliseconds)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
YEAR = "Y"  # scope prefix: documents dated in the financial year starting that year (YYYY)
# ASCII digits only: str.isdigit() also takes "²", which int() refuses.
_DIGITS = re.compile(r"[0-9]+")
_BATCH = re.compile(r"[0-9]{1,18}")  # an import batch id that fits a 64-bit column
_SUPPLIER = re.compile(r"[0-9A-Za-z]{1,15}")  # a GSTIN, or a port code for a bill of entry
STATUSES = {"N": Action.NO_ACTION, "P": Action.PENDING, "A": Action.ACCEPT, "R": Action.REJECT}
KINDS = {
    "I": (RecordKind.INVOICE, RecordKind.INVOICE_AMENDMENT),
    "D": (RecordKind.DEBIT_NOTE, RecordKind.DEBIT_NOTE_AMENDMENT),
    "C": (RecordKind.CREDIT_NOTE, RecordKind.CREDIT_NOTE_AMENDMENT),
    "E": (RecordKind.ECO_DOCUMENT, RecordKind.ECO_DOCUMENT_AMENDMENT),
    "B": tuple(kind for kind in RecordKind if kind.is_import),
}
# Document value bands (rupees): (from, to), either end open.
AMOUNTS = {
    "H": (Decimal(100000), None),
    "M": (Decimal(10000), Decimal("99999.99")),
    "L": (None, Decimal("9999.99")),
}


@dataclass(frozen=True)
class ListSpec:
    """One list's filter; ANY ("*") leaves a field open."""

    status: str = ANY
    kind: str = ANY
    period: str = ANY  # MMYYYY, a 2B month; Q + MMYYYY, the QRMP quarter ending that month
    supplier: str = ANY
    amount: str = ANY
    # Digits: an import batch (the records one upload brought); W + YYYYMMDD: the specified
    # records whose Pending window ends that day (R3.4), found by the rules, not by SQL;
    # S + Unix milliseconds: the records stored since then (a daily digest); Y + YYYY: the documents
    # of a financial year (a section 16(4) reminder).
    scope: str = ANY

    def args(self) -> tuple[str, str, str, str, str, str]:
        """The callback arguments that name this list."""
        return (self.status, self.kind, self.period, self.supplier, self.amount, self.scope)

    @classmethod
    def from_tap(cls, tap: Callback, start: int = 0) -> ListSpec:
        """The list named by a tap's arguments `start` … `start + 5`."""
        return cls(*(tap.arg(start + i) for i in range(FIELDS))).checked()

    def checked(self) -> ListSpec:
        """This list if every field is one we write; BadCallback otherwise."""
        ok = (
            self.status in (ANY, *STATUSES)
            and self.kind in (ANY, *KINDS)
            and self.amount in (ANY, *AMOUNTS)
            and (self.supplier == ANY or _SUPPLIER.fullmatch(self.supplier) is not None)
            and (
                self.scope == ANY
                or self.batch_id is not None
                or self.window_end is not None
                or self.arrived_after is not None
                or self.financial_year is not None
            )
        )
        try:
            self.period_filter()
        except (PeriodError, ValueError):
            ok = False
        if not ok:
            raise BadCallback(f"bad list {self}")
        return self

    def with_(self, **changes: str) -> ListSpec:
        """The same list with some fields changed."""
        return replace(self, **changes)

    def period_filter(self) -> RecordFilter:
        """The period part of the store's filter: a 2B month, or a QRMP quarter."""
        if self.period == ANY:
            return RecordFilter()
        if self.period.startswith(QUARTER):
            last_month = _month(self.period[1:])
            if last_month.quarter.last_month != last_month:
                raise ValueError(f"{self.period} does not end a quarter")
            return RecordFilter(quarter=last_month.quarter)
        return RecordFilter(period=_month(self.period))

    @property
    def batch_id(self) -> int | None:
        """The import batch the list is limited to, if any."""
        return int(self.scope) if _BATCH.fullmatch(self.scope) else None

    @property
    def window_end(self) -> date | None:
        """The day a Pending window ends, for a list of the records it holds (R3.4)."""
        code = self.scope[1:]
        if not (self.scope.startswith(WINDOW) and _DIGITS.fullmatch(code) and len(code) == 8):
            return None
        try:
            return date(int(code[:4]), int(code[4:6]), int(code[6:]))
        except ValueError:
            return None

    @property
    def arrived_after(self) -> datetime | None:
        """The moment after which the listed records were first stored, if the list says."""
        code = self.scope[1:]
        if not (self.scope.startswith(ARRIVED) and _DIGITS.fullmatch(code) and len(code) <= 14):
            return None
        return _EPOCH + timedelta(milliseconds=int(code))

    @property
    def financial_year(self) -> FinancialYear | None:
        """The financial year whose documents the list shows, if it says."""
        code = self.scope[1:]
        if not (self.scope.startswith(YEAR) and _DIGITS.fullmatch(code) and len(code) == 4):
            return None
        try:
            return FinancialYear(int(code))
        except PeriodError:
            return None

    def record_filter(self, record_ids: tuple[int, ...] | None = None) -> RecordFilter:
        """The store's filter for this list; a Pending-window list must pass its `record_ids`."""
        if self.window_end is not None and record_ids is None:
            raise ValueError(f"list {self} names a Pending window: its records must be given")
        low, high = AMOUNTS.get(self.amount, (None, None))
        year = self.financial_year
        return replace(
            self.period_filter(),
            date_from=year.first_day if year else None,
            date_to=year.last_day if year else None,
            created_after=self.arrived_after,
            status=STATUSES.get(self.status),
            kinds=KINDS.get(self.kind),
            supplier=None if self.supplier == ANY else self.supplier,
            min_value=low,
            max_value=high,
            batch_id=self.batch_id,
            record_ids=record_ids,
        )

    @property
    def status_action(self) -> Action | None:
        """The status the list is limited to, if any."""
        return STATUSES.get(self.status)


def quarter_code(period: ReturnPeriod) -> str:
    """The period field of a list of the QRMP quarter containing `period`."""
    return QUARTER + period.quarter.last_month.code


def window_code(day: date) -> str:
    """The scope field of a list of the specified records whose Pending window ends `day`."""
    return f"{WINDOW}{day:%Y%m%d}"


def _month(code: str) -> ReturnPeriod:
    if not (_DIGITS.fullmatch(code) and len(code) == 6):
        raise ValueError(f"period {code!r} is not MMYYYY")
    return ReturnPeriod.parse(code)


def arrived_code(moment: datetime) -> str:
    """The scope field of a list of the records stored after `moment` (to the millisecond)."""
    return f"{ARRIVED}{(moment - _EPOCH) // timedelta(milliseconds=1)}"


def year_code(year: FinancialYear) -> str:
    """The scope field of a list of the documents of financial year `year`."""
    return f"{YEAR}{year.start_year}"


def page_of(tap: Callback, index: int) -> InboxCursor | None:
    """The page a list tap asks for: None for the first, else where the last one ended."""
    text = tap.arg(index)
    if text == FIRST_PAGE:
        return None
    try:
        return InboxCursor.decode(text)
    except InvalidInput:
        raise BadCallback(f"bad page {text!r}") from None
