"""The one guard against spreadsheet injection, for every CSV and XLSX the product writes.

A spreadsheet runs a cell that starts with `=`, `+`, `-` or `@` as a formula (tab and carriage
return start one in some importers). A text cell that starts so is written with a single quote
before it, which spreadsheets show as text; numbers are written as numbers and never guarded.
Our register reader takes the quote off again, only where the guard put it: before one of those
characters or before another quote (so that a text that itself starts with a quote and one of
them comes back whole).
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_QUOTE = "'"
_AFTER_A_GUARD = frozenset((*FORMULA_STARTS, _QUOTE))


def guarded(text: str) -> str:
    """`text` as a spreadsheet cell: a quote before it when it could start a formula, or when it
    would otherwise read back without its own first quote."""
    if text.startswith(FORMULA_STARTS) or _is_guarded(text):
        return _QUOTE + text
    return text


def unguarded(text: str) -> str:
    """A cell written by `guarded`, as it was before."""
    return text[1:] if _is_guarded(text) else text


def _is_guarded(text: str) -> bool:
    return text.startswith(_QUOTE) and text[1:2] in _AFTER_A_GUARD


def csv_row(values: Iterable[object]) -> list[object]:
    """A row for csv.writer: text guarded, numbers as they are, None as an empty cell."""
    return [_csv_cell(value) for value in values]


def _csv_cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, int | float | Decimal):
        return value
    return guarded(str(value))
