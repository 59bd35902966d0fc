"""Return periods, financial years, quarters and the GST calendar that places records in time.

Pure: no clock, no I/O. Due dates follow ims-rules.md section 6 and can be overridden per period,
because the government extends them by notification (section 10, "calendar as data").
"""

from __future__ import annotations

import calendar
import functools
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo

from ims_domain.errors import ImsDomainError

# R6.3: every filing cut-off is an IST wall-clock time.
IST = ZoneInfo("Asia/Kolkata")

_MONTH_ABBR = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# Whole financial years 2017-18 (GST began in July 2017) to 2099-00, so every supported period has
# a supported financial year and quarter, and every supported quarter has supported months.
_FIRST_FY = 2017
_LAST_FY = 2099
_PERIOD_CODE = re.compile(r"[0-9]{6}")
_FY_LABEL = re.compile(r"([0-9]{4})-([0-9]{2})")
_DMY = re.compile(r"([0-9]{2})-([0-9]{2})-([0-9]{4})")
_YMD = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")


class PeriodError(ImsDomainError):
    """A period, financial year, quarter, due-date override or filing time is invalid."""


class FilingFrequency(StrEnum):
    """How often the recipient files GSTR-3B: monthly, or quarterly under QRMP."""

    MONTHLY = "monthly"
    QUARTERLY = "quarterly"


class SupplierReturn(StrEnum):
    """The supplier return whose filing time decides a record's 2B period (R6.3)."""

    GSTR1 = "gstr1"
    IFF = "iff"
    GSTR1_QUARTERLY = "gstr1q"
    GSTR5 = "gstr5"
    GSTR6 = "gstr6"

    @property
    def cutoff_day(self) -> int:
        """Last day of M+1 on which a filing still lands in the 2B of M (R6.3)."""
        return 11 if self is SupplierReturn.GSTR1 else 13


class StateGroup(StrEnum):
    """QRMP GSTR-3B due-date group by state (R6.4): A on the 22nd, B on the 24th."""

    A = "A"
    B = "B"


QRMP_STATE_GROUP_A: frozenset[str] = frozenset(
    {"22", "23", "24", "25", "26", "27", "28", "37", "29", "30", "31", "32", "33", "34", "35", "36"}
)


def state_group_of(state_code: str) -> StateGroup:
    """QRMP GSTR-3B group of a two-digit state code (R6.4); every code outside group A is B."""
    code = state_code.strip()
    if len(code) != 2 or not code.isascii() or not code.isdigit():
        raise PeriodError(f"state code {state_code!r} is not two digits like '27'")
    return StateGroup.A if code in QRMP_STATE_GROUP_A else StateGroup.B


def _fy_label(start_year: int) -> str:
    return f"{start_year}-{(start_year + 1) % 100:02d}"


def _fy_problem(start_year: int) -> str | None:
    if not _FIRST_FY <= start_year <= _LAST_FY:
        first, last = _fy_label(_FIRST_FY), _fy_label(_LAST_FY)
        return f"only financial years {first} to {last} are supported"
    return None


def _period_problem(year: int, month: int) -> str | None:
    if not 1 <= month <= 12:
        return f"month {month:02d} is not 01-12"
    return _fy_problem(year if month >= 4 else year - 1)


@dataclass(frozen=True, order=True, slots=True)
class ReturnPeriod:
    """A GST return month, written MMYYYY in GSTN files."""

    year: int
    month: int

    def __post_init__(self) -> None:
        problem = _period_problem(self.year, self.month)
        if problem:
            raise PeriodError(f"return period year={self.year} month={self.month}: {problem}")

    @classmethod
    def parse(cls, text: str) -> ReturnPeriod:
        """Read an MMYYYY code such as '102025'; surrounding whitespace is ignored."""
        code = text.strip()
        if not _PERIOD_CODE.fullmatch(code):
            raise PeriodError(f"return period {text!r} is not MMYYYY: expected 6 digits")
        year, month = int(code[2:]), int(code[:2])
        problem = _period_problem(year, month)
        if problem:
            raise PeriodError(f"return period {text!r} is not MMYYYY: {problem}")
        return cls(year, month)

    @classmethod
    def of(cls, d: date) -> ReturnPeriod:
        """The period containing a calendar date."""
        return cls(d.year, d.month)

    @property
    def code(self) -> str:
        """MMYYYY, e.g. '102025'."""
        return f"{self.month:02d}{self.year:04d}"

    @property
    def label(self) -> str:
        """Human form, e.g. 'Oct-2025' (fixed English names, independent of locale)."""
        return f"{_MONTH_ABBR[self.month - 1]}-{self.year}"

    def __str__(self) -> str:
        return self.code

    @property
    def first_day(self) -> date:
        """First calendar day of the month."""
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        """Last calendar day of the month."""
        return date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])

    def day(self, day: int) -> date:
        """The given day of this month."""
        return date(self.year, self.month, day)

    def shift(self, months: int) -> ReturnPeriod:
        """The period `months` later (earlier when negative)."""
        year, month0 = divmod(self.year * 12 + self.month - 1 + months, 12)
        return ReturnPeriod(year, month0 + 1)

    def next(self) -> ReturnPeriod:
        """The following month (M+1)."""
        return self.shift(1)

    def previous(self) -> ReturnPeriod:
        """The preceding month (M-1)."""
        return self.shift(-1)

    @property
    def financial_year(self) -> FinancialYear:
        """The April-March financial year of the period (gst-formats.md section 7)."""
        return FinancialYear(self.year if self.month >= 4 else self.year - 1)

    @property
    def quarter(self) -> Quarter:
        """The financial-year quarter of the period."""
        return Quarter.of(self)


@dataclass(frozen=True, order=True, slots=True)
class FinancialYear:
    """An Indian financial year, 1 April to 31 March, written '2025-26'."""

    start_year: int

    def __post_init__(self) -> None:
        problem = _fy_problem(self.start_year)
        if problem:
            raise PeriodError(f"financial year starting {self.start_year}: {problem}")

    @property
    def label(self) -> str:
        """E.g. '2025-26'."""
        return _fy_label(self.start_year)

    @classmethod
    def of(cls, d: date) -> FinancialYear:
        """The financial year containing a date."""
        return _financial_year(d.year if d.month >= 4 else d.year - 1)

    @classmethod
    def parse(cls, text: str) -> FinancialYear:
        """Read a label such as '2025-26'."""
        match = _FY_LABEL.fullmatch(text.strip())
        if not match:
            raise PeriodError(f"financial year {text!r} is not YYYY-YY like '2025-26'")
        start, end = int(match[1]), int(match[2])
        if end != (start + 1) % 100:
            raise PeriodError(
                f"financial year {text!r} is not YYYY-YY: {match[2]} should be "
                f"{(start + 1) % 100:02d}, the year after {start}"
            )
        problem = _fy_problem(start)
        if problem:
            raise PeriodError(f"financial year {text!r}: {problem}")
        return cls(start)

    @property
    def first_day(self) -> date:
        """1 April of the start year."""
        return date(self.start_year, 4, 1)

    @property
    def last_day(self) -> date:
        """31 March of the following year."""
        return date(self.start_year + 1, 3, 31)


@functools.lru_cache(maxsize=64)
def _financial_year(start_year: int) -> FinancialYear:
    """One shared object per year: every record's key holds one (100,000 in a large file)."""
    return FinancialYear(start_year)


@dataclass(frozen=True, order=True)
class Quarter:
    """A financial-year quarter: 1 = Apr-Jun ... 4 = Jan-Mar; the QRMP tax period."""

    financial_year_start: int
    number: int

    def __post_init__(self) -> None:
        if not 1 <= self.number <= 4:
            raise PeriodError(f"quarter number {self.number} is not 1-4")
        problem = _fy_problem(self.financial_year_start)
        if problem:
            raise PeriodError(f"quarter of financial year {self.financial_year_start}: {problem}")

    @classmethod
    def of(cls, period: ReturnPeriod) -> Quarter:
        """The quarter containing a period."""
        fy = period.financial_year.start_year
        months_into_fy = (period.month - 4) % 12
        return cls(fy, months_into_fy // 3 + 1)

    @property
    def months(self) -> tuple[ReturnPeriod, ReturnPeriod, ReturnPeriod]:
        """The three periods of the quarter, in order."""
        first = ReturnPeriod(self.financial_year_start, 4).shift(3 * (self.number - 1))
        return first, first.next(), first.shift(2)

    @property
    def last_month(self) -> ReturnPeriod:
        """The quarter's last month: the `fp` of quarterly returns and the quarterly 2B."""
        return self.months[2]

    def next(self) -> Quarter:
        """The following quarter."""
        return Quarter.of(self.last_month.next())

    @property
    def label(self) -> str:
        """E.g. 'Oct-Dec 2025' or 'Jan-Mar 2026' (calendar year of the months)."""
        first, _, last = self.months
        return f"{_MONTH_ABBR[first.month - 1]}-{_MONTH_ABBR[last.month - 1]} {last.year}"


def tax_period_last_month(period: ReturnPeriod, frequency: FilingFrequency) -> ReturnPeriod:
    """The last month of the recipient tax period containing `period` (its 2B/3B month)."""
    if frequency is FilingFrequency.MONTHLY:
        return period
    return period.quarter.last_month


# R1.8: only records of 2B period Oct-2024 or later ever appear in IMS.
FIRST_IMS_PERIOD = ReturnPeriod(2024, 10)
# R3.3, R3.6: specified records may be Pending only from 2B period Oct-2025.
NEW_PENDING_RULES_FROM = ReturnPeriod(2025, 10)


def in_ims_era(period: ReturnPeriod) -> bool:
    """Whether records of this 2B period can be in IMS at all (R1.8)."""
    return period >= FIRST_IMS_PERIOD


class DueKind(StrEnum):
    """Kinds of due date that an override can replace; quarterly kinds key on the quarter-end."""

    GSTR1 = "gstr1"
    IFF = "iff"
    GSTR1_QUARTERLY = "gstr1q"
    GSTR2B = "gstr2b"
    GSTR3B = "gstr3b"
    GSTR3B_QRMP_A = "gstr3b_qrmp_A"
    GSTR3B_QRMP_B = "gstr3b_qrmp_B"


_DUE_KINDS = frozenset(kind.value for kind in DueKind)
_QUARTERLY_KINDS = frozenset(
    {DueKind.GSTR1_QUARTERLY, DueKind.GSTR3B_QRMP_A, DueKind.GSTR3B_QRMP_B}
)


def _is_quarter_end(period: ReturnPeriod) -> bool:
    return period.month % 3 == 0


def _override_problem(kind: str, code: str, when: object) -> tuple[str, str | None]:
    """Normalised period code and the problem with one override entry, if any."""
    if kind not in _DUE_KINDS:
        return code, f"unknown due kind; expected one of {', '.join(DueKind)}"
    try:
        period = ReturnPeriod.parse(code)
    except PeriodError as exc:
        return code, str(exc)
    if not isinstance(when, date) or isinstance(when, datetime):
        return period.code, "expected a date, like 2025-11-25 or '25-11-2025'"
    if kind in _QUARTERLY_KINDS and not _is_quarter_end(period):
        return period.code, (
            "a quarterly due date is keyed by the quarter's last month (03/06/09/12)"
        )
    if kind == DueKind.IFF and _is_quarter_end(period):
        return period.code, "IFF is only filed for months 1 and 2 of a quarter (R6.1)"
    if when <= period.last_day:
        return period.code, f"the due date must fall after the end of {period.label}"
    return period.code, None


@dataclass(frozen=True)
class DueDateOverrides:
    """Due dates extended by notification, keyed by (due kind, MMYYYY code of the period)."""

    # Excluded from the hash: a mapping is unhashable; equality still compares it.
    dates: Mapping[tuple[str, str], date] = field(hash=False)

    def __post_init__(self) -> None:
        checked: dict[tuple[str, str], date] = {}
        for (kind, code), when in self.dates.items():
            normal_code, problem = _override_problem(kind, code, when)
            if problem is None and (kind, normal_code) in checked:
                problem = f"period {normal_code} is given twice"
            if problem is not None:
                raise PeriodError(f"due-date override [{kind}] {code!r} = {when!s}: {problem}")
            checked[DueKind(kind), normal_code] = when
        object.__setattr__(self, "dates", MappingProxyType(checked))

    @classmethod
    def empty(cls) -> DueDateOverrides:
        """No overrides: the standard calendar."""
        return cls({})

    def get(self, kind: DueKind, period: ReturnPeriod) -> date | None:
        """The overriding date for this kind and period, if any."""
        return self.dates.get((kind, period.code))


def _override_date(table: str, key: str, value: Any) -> Any:
    """A TOML date, or a 'DD-MM-YYYY' / 'YYYY-MM-DD' string, as a date; anything else unchanged."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    day_first, year_first = _DMY.fullmatch(text), _YMD.fullmatch(text)
    try:
        if day_first:
            return date(int(day_first[3]), int(day_first[2]), int(day_first[1]))
        if year_first:
            return date(int(year_first[1]), int(year_first[2]), int(year_first[3]))
    except ValueError:
        pass  # a well-shaped but impossible date such as 31-02-2026 gets the message below
    raise PeriodError(
        f"due-date override [{table}] {key!r} = {value!r}: not a date; "
        "expected DD-MM-YYYY or YYYY-MM-DD"
    )


def parse_due_date_overrides(text: str) -> DueDateOverrides:
    """Parse TOML text with one table per due kind mapping "MMYYYY" to the extended due date."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PeriodError(f"due-date overrides are not valid TOML: {exc}") from exc
    dates: dict[tuple[str, str], Any] = {}
    for table, entries in document.items():
        if not isinstance(entries, dict):
            raise PeriodError(
                f"due-date overrides: {table!r} = {entries!r} is not a table; "
                f'expected [{table}] with lines like "102025" = 2025-11-25'
            )
        for key, value in entries.items():
            dates[table, key] = _override_date(table, key, value)
    return DueDateOverrides(dates)


def _check_month_day(month_day: tuple[int, int]) -> None:
    try:
        date(2001, *month_day)  # a common year, so the day exists every year
    except (TypeError, ValueError) as exc:
        raise PeriodError(
            f"itc.s16_4_deadline {month_day!r} is not a (month, day) that exists every year"
        ) from exc


@dataclass(frozen=True)
class GstCalendar:
    """Due dates, 2B periods and Pending deadlines; every due date consults the overrides first."""

    overrides: DueDateOverrides = field(default_factory=DueDateOverrides.empty)
    # Setting itc.s16_4_deadline (OQ3): the s.16(4) limit is this day after the FY ends.
    s16_4_month_day: tuple[int, int] = (11, 30)

    def __post_init__(self) -> None:
        _check_month_day(self.s16_4_month_day)

    def _due(self, kind: DueKind, key: ReturnPeriod, day: int) -> date:
        """The override for (kind, key) or else `day` of the month after `key`."""
        override = self.overrides.get(kind, key)
        return key.next().day(day) if override is None else override

    def gstr1_due(self, period: ReturnPeriod) -> date:
        """Monthly GSTR-1 due date: 11th of M+1 (R6.1)."""
        return self._due(DueKind.GSTR1, period, 11)

    def iff_due(self, period: ReturnPeriod) -> date:
        """IFF due date: 13th of M+1, for months 1 and 2 of a quarter only (R6.1)."""
        if _is_quarter_end(period):
            raise PeriodError(
                f"IFF period {period.label} is a quarter's last month; "
                "IFF is only for months 1 and 2 (quarterly GSTR-1 covers month 3)"
            )
        return self._due(DueKind.IFF, period, 13)

    def quarterly_gstr1_due(self, quarter: Quarter) -> date:
        """Quarterly GSTR-1 due date: 13th of the month after the quarter (R6.1)."""
        return self._due(DueKind.GSTR1_QUARTERLY, quarter.last_month, 13)

    def gstr2b_generation_date(self, period: ReturnPeriod, frequency: FilingFrequency) -> date:
        """Scheduled draft 2B date: 14th of M+1, or after the quarter for QRMP (R2.3, R6.2, OQ12).

        The sequence lock (R2.7, E11) can delay the actual generation; that is not modelled here.
        """
        return self._due(DueKind.GSTR2B, tax_period_last_month(period, frequency), 14)

    def gstr3b_due(
        self,
        period: ReturnPeriod,
        frequency: FilingFrequency,
        state_group: StateGroup | None = None,
    ) -> date:
        """GSTR-3B due date of the tax period containing `period` (R6.4)."""
        if frequency is FilingFrequency.MONTHLY:
            return self._due(DueKind.GSTR3B, period, 20)
        if state_group is None:
            raise PeriodError(
                f"QRMP GSTR-3B due date for {period.label} needs the recipient's state group "
                "(A or B, from the GSTIN's state code)"
            )
        kind = DueKind.GSTR3B_QRMP_A if state_group is StateGroup.A else DueKind.GSTR3B_QRMP_B
        day = 22 if state_group is StateGroup.A else 24
        return self._due(kind, period.quarter.last_month, day)

    def two_b_period_of_filing(self, filed_at: datetime, form: SupplierReturn) -> ReturnPeriod:
        """The 2B period a filing lands in, from its IST date and the return's cut-off (R6.3)."""
        if filed_at.utcoffset() is None:
            raise PeriodError(
                f"filing time {filed_at.isoformat()} has no time zone; "
                "expected an aware datetime (cut-offs are in IST)"
            )
        filed_on = filed_at.astimezone(IST).date()
        filing_month = ReturnPeriod.of(filed_on)
        # On or before the cut-off day the filing still belongs to the previous month's window.
        return filing_month if filed_on.day > form.cutoff_day else filing_month.previous()

    def earliest_two_b_period(
        self, document_period: ReturnPeriod, form: SupplierReturn
    ) -> ReturnPeriod:
        """Earliest 2B period of a saved but unfiled record: its return's own period (R1.9, E6).

        A quarterly GSTR-1 is filed for the quarter, so its records land no earlier than the
        quarter's last month.
        """
        if form is SupplierReturn.GSTR1_QUARTERLY:
            return document_period.quarter.last_month
        return document_period

    def filing_cutoff(self, period: ReturnPeriod, form: SupplierReturn) -> date:
        """Last IST day on which a filing still lands in the 2B of `period` (R6.3).

        Fixed by R6.3, so due-date overrides deliberately do not move it.
        """
        return period.next().day(form.cutoff_day)

    def pending_deadline(
        self,
        two_b_period: ReturnPeriod,
        frequency: FilingFrequency,
        state_group: StateGroup | None = None,
    ) -> date | None:
        """Last day a specified record may stay Pending (R3.3, R3.4); None under the old rule."""
        # R3.6: the record's 2B period, not its document date, picks the rule.
        if two_b_period < NEW_PENDING_RULES_FROM:
            return None
        # R3.4: the 3B due date of the recipient tax period after the one holding the record.
        following = tax_period_last_month(two_b_period, frequency).next()
        return self.gstr3b_due(following, frequency, state_group)

    def s16_4_limit(self, document_date: date, annual_return_filed_on: date | None = None) -> date:
        """Last day to claim ITC on a document under s.16(4) (R3.1, E10, OQ3)."""
        fy = FinancialYear.of(document_date)
        month, day = self.s16_4_month_day
        limit = date(fy.last_day.year, month, day)
        if limit <= fy.last_day:  # a Jan-Mar setting falls in the next calendar year
            limit = date(fy.last_day.year + 1, month, day)
        if annual_return_filed_on is None:
            return limit
        if annual_return_filed_on <= fy.last_day:
            raise PeriodError(
                f"annual return filed on {annual_return_filed_on.isoformat()} is not after the "
                f"end of FY {fy.label}, the document's financial year"
            )
        return min(limit, annual_return_filed_on)
