"""What a person's next text message answers: one awaited input per person, in the store.

A prompt (send a remark, send the amounts) is answered by the next text the person sends, and
that text may reach another bot worker than the one that asked, or the bot after a restart: so
what is awaited lives in the database, not in one process's memory. A newer prompt replaces an
older one; an input awaited for longer than AWAIT_FOR is forgotten.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from storage.models import AwaitedInput

AWAIT_FOR = timedelta(hours=12)
TABLE = AwaitedInput.__table__  # type: ignore[attr-defined]


def await_input(
    session: Session, *, user_id: int, kind: str, payload: dict[str, Any], now: datetime
) -> None:
    """From now on the person's next text answers `kind` (replacing what was awaited)."""
    module = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    values = {"user_id": user_id, "kind": kind, "payload": payload, "created_at": now}
    statement = module.insert(TABLE).values(values)
    # One statement, so that two prompts at once on two workers leave the newer one.
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["user_id"],
            set_={"kind": kind, "payload": payload, "created_at": now},
        )
    )


def take_input(
    session: Session, *, user_id: int, now: datetime
) -> tuple[str, dict[str, Any]] | None:
    """What the person's text answers, no longer awaited after this; None when nothing is.

    Taken by one DELETE … RETURNING: of two workers that got two texts at once, one takes it.
    """
    taken = session.execute(
        delete(TABLE)
        .where(TABLE.c.user_id == user_id)
        .returning(TABLE.c.kind, TABLE.c.payload, TABLE.c.created_at)
    ).first()
    if taken is None or now - taken.created_at > AWAIT_FOR:
        return None
    return taken.kind, taken.payload


def drop_input(session: Session, *, user_id: int) -> None:
    """Nothing is awaited from the person any more (Cancel, Back, a button that answered)."""
    session.execute(delete(TABLE).where(TABLE.c.user_id == user_id))
