"""Which records a list shows, carried in callback data: status, kind, period, supplier, amount.

Encoded as six short callback arguments (`N:C:102025:29AAG…:H:*`), so a list, its pages, its
filter menu and its bulk actions all name the same records. Unknown codes raise BadCallback.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal

from bot.callbacks import BadCallback, Callback
from ims_domain.periods import ReturnPeriod
from ims_domain.records import Action, RecordKind
from storage.filters import RecordFilter

ANY = "*"
FIELDS = 6  # callback arguments a list takes
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
    period: str = ANY  # MMYYYY
    supplier: str = ANY
    amount: str = ANY
    batch: str = ANY  # an import batch: the records one upload brought

    def args(self) -> tuple[str, str, str, str, str, str]:
        """The callback arguments that name this list."""
        return (self.status, self.kind, self.period, self.supplier, self.amount, self.batch)

    @classmethod
    def from_tap(cls, tap: Callback, start: int = 0) -> ListSpec:
        """The list named by a tap's arguments `start` … `start + 5`."""
        spec = cls(*(tap.arg(start + i) for i in range(FIELDS)))
        ok = (
            spec.status in (ANY, *STATUSES)
            and spec.kind in (ANY, *KINDS)
            and spec.amount in (ANY, *AMOUNTS)
            and (spec.period == ANY or (len(spec.period) == 6 and spec.period.isdigit()))
            and (spec.supplier == ANY or (spec.supplier.isalnum() and len(spec.supplier) <= 15))
            and (spec.batch == ANY or spec.batch.isdigit())
        )
        if not ok:
            raise BadCallback(f"bad list {spec}")
        return spec

    def with_(self, **changes: str) -> ListSpec:
        """The same list with some fields changed."""
        return replace(self, **changes)

    def record_filter(self) -> RecordFilter:
        """The store's filter for this list."""
        low, high = AMOUNTS.get(self.amount, (None, None))
        return RecordFilter(
            status=STATUSES.get(self.status),
            kinds=KINDS.get(self.kind),
            period=ReturnPeriod.parse(self.period) if self.period != ANY else None,
            supplier=None if self.supplier == ANY else self.supplier,
            min_value=low,
            max_value=high,
            batch_id=None if self.batch == ANY else int(self.batch),
        )

    @property
    def status_action(self) -> Action | None:
        """The status the list is limited to, if any."""
        return STATUSES.get(self.status)
