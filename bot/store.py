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

from bot import texts
from storage.db import transaction
from storage.errors import UseCaseError
from storage.models import Taxpayer
from storage.taxpayers import active_taxpayer, taxpayers_of

T = TypeVar("T")


async def in_store(engine: Engine, work: Callable[[Session], T]) -> T:
    """Run `work(session)` in one transaction, off the event loop."""

    def run() -> T:
        with transaction(engine) as session:
            return work(session)

    return await asyncio.to_thread(run)


def working_taxpayer(session: Session, user_id: int) -> Taxpayer:
    """The GSTIN the user works on; one who has none, or must pick one, is told so."""
    found = active_taxpayer(session, user_id=user_id)
    if found is None:
        several = bool(taxpayers_of(session, user_id=user_id))
        raise UseCaseError(texts.PICK_GSTIN if several else texts.NO_GSTIN)
    return found[0]
