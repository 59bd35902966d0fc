"""Writing messages to the outbox in the caller's transaction; the sender (bot) drains it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, select

from storage.models import GroupBinding, Membership, Mute, Outbox, Role


def enqueue(
    session: Session, *, messages: list[tuple[int, str, dict[str, Any], str]], now: datetime
) -> int:
    """Queue (chat id, kind, payload, dedupe key) messages; a dedupe key seen before is skipped.

    Returns how many were queued (the others had been already)."""
    if not messages:
        return 0
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
    return len(session.execute(statement.returning(Outbox.id), rows).all())


def member_chats(
    session: Session,
    *,
    taxpayer_id: int,
    kind: str,
    exclude: int | None = None,
    groups: bool = False,
    roles: frozenset[Role] | None = None,
) -> list[int]:
    """Who gets a message of `kind` about a GSTIN: its members who did not mute the kind
    (a private chat's id is the user's id), only those with `roles` if given, and with
    `groups` its bound groups."""
    muted = select(Mute.user_id).where(Mute.kind == kind)
    query = select(Membership.user_id).where(
        Membership.taxpayer_id == taxpayer_id,
        Membership.user_id.not_in(muted),  # type: ignore[attr-defined]
    )
    if roles is not None:
        query = query.where(Membership.role.in_([role.value for role in roles]))  # type: ignore[attr-defined]
    chats = [user_id for user_id in session.exec(query).all() if user_id != exclude]
    if groups:
        bound = select(GroupBinding.chat_id).where(GroupBinding.taxpayer_id == taxpayer_id)
        chats += list(session.exec(bound).all())
    return chats
