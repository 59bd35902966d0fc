"""Values made once for the whole deployment and shared by every worker, e.g. the webhook secret.

Several bot workers on one PostgreSQL must agree on such a value without talking to each other:
the first one to start stores it, every later one (and every restart) reads the stored one.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, select

from storage.models import DeploymentValue


def shared_value(session: Session, *, key: str, make: Callable[[], str], now: datetime) -> str:
    """The value stored under `key`; when there is none yet, `make()` is stored and returned."""
    module = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    # Two workers starting at once both insert; the unique key keeps the first, and the other's
    # insert does nothing (on PostgreSQL it waits for the first to commit, then reads its value).
    session.execute(
        module.insert(DeploymentValue)
        .values(key=key, value=make(), created_at=now)
        .on_conflict_do_nothing(index_elements=["key"])
    )
    return session.exec(select(DeploymentValue.value).where(DeploymentValue.key == key)).one()
