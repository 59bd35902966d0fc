"""Exact rupee amounts per tax head, and how they are shown to an Indian reader."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from ims_domain.errors import ImsDomainError

PAISE = Decimal("0.01")
ZERO = Decimal("0.00")
TAX_HEADS = ("igst", "cgst", "sgst", "cess")


class AmountError(ImsDomainError):
    """An amount that is not a finite number of rupees."""


def to_rupees(value: Decimal | int | str) -> Decimal:
    """Return `value` as a Decimal with two places; floats are refused because they are inexact."""
    if isinstance(value, float | bool):
        raise AmountError(f"amount {value!r} must be a Decimal, an int or a string, not a float")
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError) as exc:
        raise AmountError(f"amount {value!r} is not a number") from exc
    if not amount.is_finite():
        raise AmountError(f"amount {value!r} is not a finite number")
    if not amount:
        return ZERO  # one shared zero: a third of the amounts of a typical download
    return amount.quantize(PAISE, rounding=ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class TaxAmounts:
    """Tax per head (IGST, CGST, SGST, cess) in rupees with two places; may be negative in sums."""

    igst: Decimal = ZERO
    cgst: Decimal = ZERO
    sgst: Decimal = ZERO
    cess: Decimal = ZERO

    def __post_init__(self) -> None:
        for head in TAX_HEADS:
            object.__setattr__(self, head, to_rupees(getattr(self, head)))

    @classmethod
    def of(cls, **heads: Decimal | int | str) -> TaxAmounts:
        """Build from keyword amounts, e.g. `TaxAmounts.of(igst="1800")`."""
        return cls(**{head: to_rupees(amount) for head, amount in heads.items()})

    @property
    def total(self) -> Decimal:
        """Sum of all four heads."""
        return self.igst + self.cgst + self.sgst + self.cess

    def as_dict(self) -> dict[str, Decimal]:
        """The four heads by name, in the portal's order."""
        return {"igst": self.igst, "cgst": self.cgst, "sgst": self.sgst, "cess": self.cess}

    def is_zero(self) -> bool:
        """True when every head is zero."""
        return all(amount == 0 for amount in self.as_dict().values())

    def __add__(self, other: TaxAmounts) -> TaxAmounts:
        return TaxAmounts(*(a + b for a, b in zip(self._values(), other._values(), strict=True)))

    def __sub__(self, other: TaxAmounts) -> TaxAmounts:
        return TaxAmounts(*(a - b for a, b in zip(self._values(), other._values(), strict=True)))

    def __neg__(self) -> TaxAmounts:
        return TaxAmounts(*(-a for a in self._values()))

    def capped_by(self, limit: TaxAmounts) -> TaxAmounts:
        """Each head lowered to at most the same head of `limit`."""
        pairs = zip(self._values(), limit._values(), strict=True)
        return TaxAmounts(*(min(a, b) for a, b in pairs))

    def absolute(self) -> TaxAmounts:
        """Each head without its sign."""
        return TaxAmounts(*(abs(a) for a in self._values()))

    def any_negative(self) -> bool:
        """True when some head is below zero."""
        return any(a < 0 for a in self._values())

    def _values(self) -> tuple[Decimal, Decimal, Decimal, Decimal]:
        return (self.igst, self.cgst, self.sgst, self.cess)


NO_TAX = TaxAmounts()


def sum_taxes(amounts: list[TaxAmounts] | tuple[TaxAmounts, ...]) -> TaxAmounts:
    """The head-by-head sum of `amounts` (zero for none)."""
    total = NO_TAX
    for amount in amounts:
        total = total + amount
    return total


def format_inr(amount: Decimal) -> str:
    """Rupees in Indian digit grouping with two places: ₹1,23,456.00 (negative: -₹50.00)."""
    amount = to_rupees(amount)
    sign = "-" if amount < 0 else ""
    whole, fraction = f"{abs(amount):.2f}".split(".")
    head, tail = whole[:-3], whole[-3:]
    groups: list[str] = []
    while len(head) > 2:
        groups.insert(0, head[-2:])
        head = head[:-2]
    if head:
        groups.insert(0, head)
    grouped = ",".join([*groups, tail])
    return f"{sign}₹{grouped}.{fraction}"


def format_date(day: date) -> str:
    """A date as the portal and Indian readers write it: 14-Nov-2025."""
    return day.strftime("%d-%b-%Y")
