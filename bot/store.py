"""The bot's way into the store: use cases run in a worker thread, one transaction each.

Handlers are async; the store is synchronous SQLAlchemy. `asyncio.to_thread` keeps the event
loop free while a transaction runs (stack-notes.md: simpler than async sessions, fast enough).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import Engine
from sqlmodel import Session

from storage.db import transaction

T = TypeVar("T")


async def in_store(engine: Engine, work: Callable[[Session], T]) -> T:
    """Run `work(session)` in one transaction, off the event loop."""

    def run() -> T:
        with transaction(engine) as session:
            return work(session)

    return await asyncio.to_thread(run)
