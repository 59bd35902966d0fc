"""The draft GSTR-2B of a period, computed from records and their final actions (R2.2, R4.1-R4.4).

Each record becomes one line with a placement and a signed amount; every total is the exact sum
of its lines, per tax head, per section and overall.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from ims_domain.actions import ItcReduction
from ims_domain.money import NO_TAX, TaxAmounts, sum_taxes
from ims_domain.periods import FilingFrequency, ReturnPeriod, tax_period_last_month
from ims_domain.records import (
    Action,
    OriginalState,
    Record,
    RecordKind,
    is_specified,
    itc_effect,
    reduction_base,
)


class Placement(StrEnum):
    """Where a record's amount goes in the draft."""

    ITC_AVAILABLE = "itc_available"
    ITC_REJECTED = "itc_rejected"
    PENDING = "pending"
    CREDIT_NOTE_REDUCTION = "credit_note_reduction"
    # A rejected credit note: the recipient's ITC is untouched, the supplier's tax rises (R4.4).
    SUPPLIER_ADD_BACK = "supplier_add_back"


class Status(StrEnum):
    """The counted state of a record in the draft."""

    ACCEPTED = "accepted"
    DEEMED = "deemed"
    REJECTED = "rejected"
    PENDING = "pending"
    NO_ACTION = "no_action"


@dataclass(frozen=True)
class Gstr2bEntry:
    """A record with its final action, as input to the draft.

    `period` is the 2B month the record counts in: its own 2B period, or for a record that was
    Pending past its period's GSTR-3B, the first period still open when it was acted on (E1).
    `deemed` marks a no-action record already deemed accepted at generation (R2.3).
    """

    record: Record
    action: Action
    period: ReturnPeriod | None = None
    deemed: bool = False
    original: OriginalState | None = None
    itc_reduction: ItcReduction | None = None

    @property
    def counts_in(self) -> ReturnPeriod | None:
        """The 2B month this entry lands in (None: the supplier has not filed yet, R1.9)."""
        return self.period or self.record.two_b_period


@dataclass(frozen=True)
class Gstr2bLine:
    """One record's place in the draft."""

    record: Record
    status: Status
    placement: Placement
    amount: TaxAmounts


@dataclass(frozen=True)
class SectionTotals:
    """Totals of one IMS section (b2b, b2bcn …)."""

    count: int
    amounts: Mapping[Placement, TaxAmounts]


@dataclass(frozen=True)
class Gstr2bDraft:
    """The draft GSTR-2B of one recipient and 2B period (a quarter for QRMP recipients)."""

    recipient: str
    period: ReturnPeriod
    lines: tuple[Gstr2bLine, ...]

    def total(self, placement: Placement) -> TaxAmounts:
        """The sum of the lines with this placement."""
        return sum_taxes([line.amount for line in self.lines if line.placement is placement])

    @property
    def itc_available(self) -> TaxAmounts:
        """Accepted and deemed-accepted documents that add ITC (R2.2)."""
        return self.total(Placement.ITC_AVAILABLE)

    @property
    def itc_rejected(self) -> TaxAmounts:
        """Rejected documents: no ITC (R2.2)."""
        return self.total(Placement.ITC_REJECTED)

    @property
    def pending(self) -> TaxAmounts:
        """Pending documents, kept out of this 2B (R2.2)."""
        return self.total(Placement.PENDING)

    @property
    def credit_note_reduction(self) -> TaxAmounts:
        """ITC removed by accepted specified records: full or declared (R4.1, R4.2)."""
        return self.total(Placement.CREDIT_NOTE_REDUCTION)

    @property
    def net_itc(self) -> TaxAmounts:
        """ITC available less credit-note reductions: what flows to GSTR-3B Table 4."""
        return self.itc_available - self.credit_note_reduction

    @property
    def counts(self) -> dict[Status, int]:
        """How many records are in each counted state (every state present, zero or more)."""
        found = Counter(line.status for line in self.lines)
        return {status: found[status] for status in Status}

    @property
    def sections(self) -> dict[RecordKind, SectionTotals]:
        """Totals per IMS section, for the sections that have records."""
        grouped: dict[RecordKind, list[Gstr2bLine]] = defaultdict(list)
        for line in self.lines:
            grouped[line.record.kind].append(line)
        return {
            kind: SectionTotals(
                count=len(lines),
                amounts={
                    placement: sum_taxes([x.amount for x in lines if x.placement is placement])
                    for placement in Placement
                },
            )
            for kind, lines in grouped.items()
        }

    @property
    def supplier_add_back(self) -> dict[str, TaxAmounts]:
        """Per supplier, the tax its rejected credit notes add back to its liability (R4.4)."""
        per_supplier: dict[str, TaxAmounts] = defaultdict(lambda: NO_TAX)
        for line in self.lines:
            if line.placement is Placement.SUPPLIER_ADD_BACK:
                per_supplier[line.record.key.supplier] += line.amount
        return dict(per_supplier)


def line_for(entry: Gstr2bEntry) -> Gstr2bLine:
    """Place one record by its final action (R2.2), with the amount it contributes."""
    record, original = entry.record, entry.original
    effect = itc_effect(record, original)
    specified = is_specified(record, original)
    if entry.action is Action.PENDING:
        return Gstr2bLine(record, Status.PENDING, Placement.PENDING, effect)
    if entry.action is Action.REJECT:
        if record.kind.is_credit_note:
            return Gstr2bLine(record, Status.REJECTED, Placement.SUPPLIER_ADD_BACK, -effect)
        return Gstr2bLine(record, Status.REJECTED, Placement.ITC_REJECTED, effect)
    if entry.action is Action.ACCEPT:
        status = Status.DEEMED if entry.deemed else Status.ACCEPTED
    else:
        status = Status.NO_ACTION  # deemed accepted when the 2B is generated (R2.3)
    if specified:
        # OQ11: a declaration counts only with an explicit Accept; silence reduces in full.
        declared = entry.itc_reduction if status is Status.ACCEPTED else None
        amount = (declared or ItcReduction.full()).amount(reduction_base(record, original))
        return Gstr2bLine(record, status, Placement.CREDIT_NOTE_REDUCTION, amount)
    return Gstr2bLine(record, status, Placement.ITC_AVAILABLE, effect)


def draft_gstr2b(
    *,
    recipient: str,
    period: ReturnPeriod,
    entries: Iterable[Gstr2bEntry],
    frequency: FilingFrequency = FilingFrequency.MONTHLY,
) -> Gstr2bDraft:
    """The draft 2B of `period` (for QRMP: the quarter containing it) from the given entries.

    Entries of other periods, and of records whose supplier has not filed yet, are left out.
    """
    closing = tax_period_last_month(period, frequency)
    lines = tuple(
        line_for(entry)
        for entry in entries
        if (month := entry.counts_in) is not None
        and tax_period_last_month(month, frequency) == closing
    )
    return Gstr2bDraft(recipient=recipient, period=closing, lines=lines)


def landing_period(own_period: ReturnPeriod, first_open_period: ReturnPeriod) -> ReturnPeriod:
    """The 2B month an action counts in (R2.6, E1).

    A record acted on before its own period's GSTR-3B is filed counts there (after a recompute,
    R2.5). A record still Pending when that 3B was filed stayed in IMS; an action on it counts in
    the first period whose GSTR-3B is not yet filed.
    """
    return max(own_period, first_open_period)


def gstr2b_generation_date(scheduled: date, previous_gstr3b_filed_on: date | None) -> date | None:
    """R2.7, E11: the 2B of M is generated on its scheduled day, or when 3B(M-1) is filed if later.

    None while 3B(M-1) is unfiled: the 2B cannot be generated yet.
    """
    if previous_gstr3b_filed_on is None:
        return None
    return max(scheduled, previous_gstr3b_filed_on)
