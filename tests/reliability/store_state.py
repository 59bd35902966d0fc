"""What the kill tests compare: a store's countable state, before, after and in between."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, func, select

from storage.db import make_engine
from storage.models import (
    ActionLog,
    BulkAction,
    ImportBatch,
    Outbox,
    RecordHistory,
    RecordRow,
    RegisterEntry,
    SupplierViewRow,
)


def counts(engine: Engine) -> dict[str, int]:
    """Counts of everything an import or a bulk action writes, and the records' versions."""
    record: Any = RecordRow
    bulk: Any = BulkAction
    queries = {
        "records": select(func.count()).select_from(RecordRow),
        "record versions": select(func.coalesce(func.sum(record.version), 0)),
        "accepted": select(func.count()).where(record.action == "A"),
        "no action": select(func.count()).where(record.action == "N"),
        "history rows": select(func.count()).select_from(RecordHistory),
        "audit rows": select(func.count()).select_from(ActionLog),
        "import batches": select(func.count()).select_from(ImportBatch),
        "bulk rows": select(func.count()).where(bulk.count > 0),
        "records in bulk rows": select(func.coalesce(func.sum(bulk.count), 0)),
        "empty bulk rows": select(func.count()).where(bulk.count == 0),
        "outbox rows": select(func.count()).select_from(Outbox),
        "register entries": select(func.count()).select_from(RegisterEntry),
        "supplier view rows": select(func.count()).select_from(SupplierViewRow),
    }
    with engine.connect() as connection:
        return {
            name: int(connection.execute(query).scalar_one()) for name, query in queries.items()
        }


def counts_at(url: str) -> dict[str, int]:
    """`counts` of the database at `url`."""
    engine = make_engine(url)
    try:
        return counts(engine)
    finally:
        engine.dispose()


def applied(state: dict[str, int]) -> dict[str, int]:
    """The state without the empty bulk rows (a bulk action run again where nothing is left
    to change records one, and changes nothing)."""
    return {name: value for name, value in state.items() if name != "empty bulk rows"}


def difference(seen: dict[str, int], expected: dict[str, int]) -> dict[str, tuple[int, int]]:
    """The counts that differ, as (seen, expected)."""
    return {name: (seen[name], expected[name]) for name in expected if seen[name] != expected[name]}
