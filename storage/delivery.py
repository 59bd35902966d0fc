"""The outbox's side of delivery: claim due messages, record what became of them.

Claiming moves a message's next attempt a lease into the future in the same statement that
picks it, so two workers never send the same row: on PostgreSQL the pick uses
`FOR UPDATE SKIP LOCKED`; SQLite has one writer at a time anyway. A worker that dies after
sending but before recording leaves the row to be sent again when the lease ends: the one case
in which a message can arrive twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists, select, update
from sqlmodel import Session

from storage.models import GroupBinding, Mute, Outbox, User

LEASE = timedelta(seconds=60)
# A message that keeps failing for a passing reason (a 429, a 5xx, the network) is given up only
# after MAX_ATTEMPTS tries AND once it has waited GIVE_UP_AFTER: with the backoff capped at five
# minutes, eight tries span four minutes, and a longer Telegram outage would otherwise drop
# every message queued before it.
MAX_ATTEMPTS = 8
GIVE_UP_AFTER = timedelta(hours=24)
OUTBOX = Outbox.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Claimed:
    """A message to send now."""

    id: int
    chat_id: int
    kind: str
    payload: dict[str, Any]
    attempts: int
    created_at: datetime


def claim_due(session: Session, *, now: datetime, limit: int = 50) -> list[Claimed]:
    """Due messages for this worker; they are leased so no other worker takes them.

    One UPDATE … RETURNING picks and leases the rows, so the pick is atomic on SQLite too; on
    PostgreSQL the inner SELECT skips rows another worker holds (FOR UPDATE SKIP LOCKED).
    """
    c = OUTBOX.c
    blocked = select(User.id).where(User.blocked_at.is_not(None))  # type: ignore[union-attr, call-overload]
    due = (
        select(c.id)
        .where(
            c.sent_at.is_(None),
            c.failed_at.is_(None),
            c.next_attempt_at <= now,
            c.chat_id.not_in(blocked),
            # Muted after the message was queued: it is not sent either (/settings).
            ~exists().where(Mute.user_id == c.chat_id, Mute.kind == c.kind),
        )
        .order_by(c.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    rows = session.execute(
        update(OUTBOX)
        .where(c.id.in_(due.scalar_subquery()))
        .values(next_attempt_at=now + LEASE, attempts=c.attempts + 1)
        .returning(c.id, c.chat_id, c.kind, c.payload, c.attempts, c.created_at)
    ).all()
    return sorted((Claimed(*row) for row in rows), key=lambda claimed: claimed.id)


def mark_sent(session: Session, *, message_id: int, now: datetime) -> None:
    """The message reached Telegram."""
    session.execute(
        update(OUTBOX).where(OUTBOX.c.id == message_id).values(sent_at=now, last_error=None)
    )


def retry_later(session: Session, *, message: Claimed, at: datetime, error: str) -> None:
    """Try again at `at` (Telegram's retry_after, or a backoff); give up after MAX_ATTEMPTS tries
    over GIVE_UP_AFTER."""
    values: dict[str, Any] = {"next_attempt_at": at, "last_error": error[:500]}
    if message.attempts >= MAX_ATTEMPTS and at - message.created_at >= GIVE_UP_AFTER:
        values["failed_at"] = at
    session.execute(update(OUTBOX).where(OUTBOX.c.id == message.id).values(values))


def give_up(
    session: Session, *, message: Claimed, now: datetime, error: str, blocked: bool
) -> None:
    """Telegram refuses this message for good; a chat that blocked the bot is marked so."""
    session.execute(
        update(OUTBOX)
        .where(OUTBOX.c.id == message.id)
        .values(failed_at=now, last_error=error[:500])
    )
    if blocked:
        user = session.get(User, message.chat_id)
        if user is not None:
            user.blocked_at = now


def follow_migrated_chat(
    session: Session, *, old_chat_id: int, new_chat_id: int, now: datetime
) -> None:
    """A group became a supergroup with a new id: its bindings and its unsent messages (the
    one that found out included) move there, and those messages go out at once."""
    bindings = GroupBinding.__table__  # type: ignore[attr-defined]
    already = select(bindings.c.taxpayer_id).where(bindings.c.chat_id == new_chat_id)
    # A GSTIN bound to both ids (the group bound again after the upgrade) keeps one binding.
    session.execute(
        bindings.delete().where(
            bindings.c.chat_id == old_chat_id, bindings.c.taxpayer_id.in_(already)
        )
    )
    session.execute(
        update(bindings).where(bindings.c.chat_id == old_chat_id).values(chat_id=new_chat_id)
    )
    c = OUTBOX.c
    session.execute(
        update(OUTBOX)
        .where(c.chat_id == old_chat_id, c.sent_at.is_(None), c.failed_at.is_(None))
        .values(chat_id=new_chat_id, next_attempt_at=now)
    )


def backoff(attempts: int) -> timedelta:
    """Seconds to wait after a network error: 2, 4, 8 … up to 5 minutes."""
    return timedelta(seconds=min(300, 2**attempts))
