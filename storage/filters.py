"""The one filter over a GSTIN's records, shared by the inbox, bulk actions and reports."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, and_

from ims_domain.periods import Quarter, ReturnPeriod
from ims_domain.records import Action, RecordKind
from storage.convert import paise, period_number
from storage.eligibility import in_ims
from storage.models import records_table

COLUMNS = records_table().c
T = TypeVar("T")


@dataclass(frozen=True)
class RecordFilter:
    """Which records: every field left as None matches everything."""

    supplier: str | None = None
    kinds: tuple[RecordKind, ...] | None = None
    date_from: date | None = None
    date_to: date | None = None
    period: ReturnPeriod | None = None  # the 2B month the record counts in
    quarter: Quarter | None = None  # the three 2B months of a QRMP recipient's tax period
    status: Action | None = None
    min_value: Decimal | None = None  # document value, rupees
    max_value: Decimal | None = None
    record_ids: tuple[int, ...] | None = None  # exactly these
    batch_id: int | None = None  # the records an import last wrote (a digest's "Review these")
    created_after: datetime | None = None  # first stored after this (a daily digest's Review)

    def clause(self, taxpayer_id: int) -> ColumnElement[bool]:
        """The SQL condition: this taxpayer's records that match every given field."""
        c = COLUMNS
        conditions: list[ColumnElement[bool]] = [c.taxpayer_id == taxpayer_id]
        if self.supplier:
            conditions.append(c.supplier_gstin == self.supplier.strip().upper())
        if self.kinds:
            conditions.append(c.kind.in_([kind.value for kind in self.kinds]))
        if self.date_from:
            conditions.append(c.document_date >= self.date_from)
        if self.date_to:
            conditions.append(c.document_date <= self.date_to)
        if self.period:
            conditions.append(c.counts_in_period == period_number(self.period))
        if self.quarter:
            months = [period_number(month) for month in self.quarter.months]
            conditions.append(c.counts_in_period.in_(months))
        if self.status:
            # A state is an IMS state: documents outside IMS (R1.3, R1.5) stay "no action"
            # forever and are never deemed; they are counted apart, not listed with these.
            conditions.extend([c.action == self.status.value, in_ims()])
        if self.min_value is not None:
            conditions.append(c.value_paise >= paise(self.min_value))
        if self.max_value is not None:
            conditions.append(c.value_paise <= paise(self.max_value))
        if self.record_ids is not None:
            conditions.append(c.id.in_(self.record_ids))
        if self.batch_id is not None:
            conditions.append(c.batch_id == self.batch_id)
        if self.created_after is not None:
            conditions.append(c.created_at > self.created_after)
        return and_(*conditions)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RecordFilter:
        """The filter `as_json` wrote (a kept bulk preview's)."""
        return cls(
            supplier=data.get("supplier"),
            kinds=_read(data, "kinds", lambda kinds: tuple(RecordKind(k) for k in kinds)),
            date_from=_read(data, "date_from", date.fromisoformat),
            date_to=_read(data, "date_to", date.fromisoformat),
            period=_read(data, "period", ReturnPeriod.parse),
            quarter=_read(data, "quarter", lambda code: Quarter.of(ReturnPeriod.parse(code))),
            status=_read(data, "status", Action),
            min_value=_read(data, "min_value", Decimal),
            max_value=_read(data, "max_value", Decimal),
            record_ids=_read(data, "record_ids", tuple),
            batch_id=_read(data, "batch_id", int),
            created_after=_read(data, "created_after", datetime.fromisoformat),
        )

    def as_json(self) -> dict[str, Any]:
        """The filter as JSON-safe values (kept with a bulk action for the audit)."""
        out: dict[str, Any] = {}
        for field in fields(self):
            key, value = field.name, getattr(self, field.name)
            if value is None:
                continue
            if isinstance(value, tuple):
                out[key] = [getattr(v, "value", v) for v in value]
            elif isinstance(value, ReturnPeriod):
                out[key] = value.code
            elif isinstance(value, Quarter):
                out[key] = value.last_month.code
            else:
                out[key] = getattr(value, "value", str(value))
        return out


def _read(data: dict[str, Any], key: str, read: Callable[[Any], T]) -> T | None:
    """`read` of the value under `key`, or None when the filter has no such field."""
    return read(data[key]) if key in data else None
