"""Reading option values; a bad value is an error naming the option and what was expected."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from ims_domain.errors import ImsDomainError


def day(text: str, option: str) -> date:
    """A date given as YYYY-MM-DD."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ImsDomainError(f"{option} {text!r} is not a date like 2025-11-14") from None


def amount(text: str, option: str) -> Decimal:
    """Rupees, e.g. 1800 or 1800.50."""
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite():
        raise ImsDomainError(f"{option} {text!r} is not an amount in rupees like 1800.50")
    return value
