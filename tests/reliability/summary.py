"""The figures of a reliability run, gathered by the tests and printed as markdown tables."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Table:
    """One table of the summary: a title, its columns, and a row per test."""

    title: str
    columns: tuple[str, ...]
    rows: list[tuple[str, ...]] = field(default_factory=list)


TABLES: dict[str, Table] = {}


def add_row(title: str, row: dict[str, Any]) -> None:
    """Add a row to the table `title`; the first row of a table fixes its columns."""
    table = TABLES.setdefault(title, Table(title, tuple(row)))
    table.rows.append(tuple(_cell(row.get(column, "")) for column in table.columns))


def markdown() -> str:
    """Every table gathered so far, as markdown ready to paste into docs/reliability.md."""
    parts = []
    for table in TABLES.values():
        parts.append(f"#### {table.title}\n")
        parts.append("| " + " | ".join(table.columns) + " |")
        parts.append("|" + "---|" * len(table.columns))
        parts += ["| " + " | ".join(row) + " |" for row in table.rows]
        parts.append("")
    return "\n".join(parts)


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value).replace("|", "\\|")
