"""Writing messages to the outbox in the caller's transaction; the sender (bot) drains it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, select

from storage.models import Membership, Outbox


def enqueue(
    session: Session, *, messages: list[tuple[int, str, dict[str, Any], str]], now: datetime
) -> None:
    """Queue (chat id, kind, payload, dedupe key) messages; a dedupe key seen before is skipped."""
    if not messages:
        return
    rows = [
        {
            "chat_id": chat_id,
            "kind": kind,
            "payload": payload,
            "dedupe_key": dedupe_key,
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for chat_id, kind, payload, dedupe_key in messages
    ]
    dialect = session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    statement = module.insert(Outbox).on_conflict_do_nothing(index_elements=["dedupe_key"])
    session.execute(statement, rows)


def member_chats(session: Session, *, taxpayer_id: int, exclude: int | None = None) -> list[int]:
    """The Telegram ids of a GSTIN's members (a private chat's id is the user's id)."""
    query = select(Membership.user_id).where(Membership.taxpayer_id == taxpayer_id)
    return [user_id for user_id in session.exec(query).all() if user_id != exclude]
