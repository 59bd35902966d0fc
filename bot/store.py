"""The bot's way into the store: use cases run in a worker thread, one transaction each.

Handlers are async; the store is synchronous SQLAlchemy. `asyncio.to_thread` keeps the event
loop free while a transaction runs (stack-notes.md: simpler than async sessions, fast enough).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar
from weakref import WeakKeyDictionary

from sqlalchemy import Engine
from sqlmodel import Session

from bot import texts
from storage.db import transaction
from storage.errors import UseCaseError
from storage.models import Taxpayer
from storage.taxpayers import active_taxpayer, taxpayers_of

T = TypeVar("T")


# SQLite takes one writer at a time, and a second writer waits in SQLite's busy handler, which
# sleeps in steps of up to 100 ms. Queueing SQLite work on one thread of our own instead keeps
# taps from waiting on those sleeps; PostgreSQL gets the default pool of threads.
_SQLITE_WORKERS: WeakKeyDictionary[Engine, ThreadPoolExecutor] = WeakKeyDictionary()


def _executor(engine: Engine) -> ThreadPoolExecutor | None:
    if engine.dialect.name != "sqlite":
        return None
    if engine not in _SQLITE_WORKERS:
        _SQLITE_WORKERS[engine] = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite")
    return _SQLITE_WORKERS[engine]


async def in_store(engine: Engine, work: Callable[[Session], T]) -> T:
    """Run `work(session)` in one transaction, off the event loop."""

    def run() -> T:
        with transaction(engine) as session:
            return work(session)

    return await asyncio.get_running_loop().run_in_executor(_executor(engine), run)


def working_taxpayer(session: Session, user_id: int) -> Taxpayer:
    """The GSTIN the user works on; one who has none, or must pick one, is told so."""
    found = active_taxpayer(session, user_id=user_id)
    if found is None:
        several = bool(taxpayers_of(session, user_id=user_id))
        raise UseCaseError(texts.PICK_GSTIN if several else texts.NO_GSTIN)
    return found[0]
