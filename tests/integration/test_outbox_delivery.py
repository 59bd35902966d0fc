"""The outbox under several workers: every message is claimed and sent exactly once."""

import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import Session, select

from storage.db import transaction
from storage.delivery import GIVE_UP_AFTER, claim_due, give_up, mark_sent, retry_later
from storage.models import Outbox, User
from storage.outbox import enqueue

NOW = datetime(2025, 11, 5, 6, 30, tzinfo=UTC)


def fill(engine: Engine, count: int) -> None:
    with transaction(engine) as session:
        messages = [(1000 + i % 7, "team_undo", {"count": i}, f"k:{i}") for i in range(count)]
        enqueue(session, messages=messages, now=NOW)
        # The same dedupe key again is not queued twice.
        enqueue(session, messages=messages[:10], now=NOW)


def test_two_workers_send_every_message_exactly_once(engine: Engine) -> None:
    fill(engine, 400)
    sent: list[int] = []
    lock = threading.Lock()

    def worker() -> None:
        while True:
            with transaction(engine) as session:
                batch = claim_due(session, now=NOW, limit=25)
            if not batch:
                return
            for message in batch:
                with lock:
                    sent.append(message.payload["count"])
                with transaction(engine) as session:
                    mark_sent(session, message_id=message.id, now=NOW)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(sent) == list(range(400))
    with Session(engine) as session:
        assert all(row.sent_at for row in session.exec(select(Outbox)))


def test_a_claimed_message_is_leased_and_retried_later(engine: Engine) -> None:
    fill(engine, 1)
    with transaction(engine) as session:
        [message] = claim_due(session, now=NOW)
        assert claim_due(session, now=NOW) == []  # leased: no other worker takes it
        retry_later(session, message=message, at=NOW + timedelta(seconds=5), error="429")
    with transaction(engine) as session:
        assert claim_due(session, now=NOW + timedelta(seconds=1)) == []
        [again] = claim_due(session, now=NOW + timedelta(seconds=5))
        assert again.attempts == 2


def fail_until(engine: Engine, end: datetime, *, every: timedelta) -> datetime:
    """The one queued message fails at every try (a network error) until `end`; the last try."""
    at = NOW
    while at < end:
        with transaction(engine) as session:
            claimed = claim_due(session, now=at)
            if not claimed:
                return at
            at += every
            retry_later(session, message=claimed[0], at=at, error="timeout")
    return at


def test_an_outage_of_hours_loses_no_message(engine: Engine) -> None:
    """Eight tries span minutes; a Telegram outage of three hours must not drop the message."""
    fill(engine, 1)
    fail_until(engine, NOW + timedelta(hours=3), every=timedelta(minutes=5))
    with transaction(engine) as session:
        [message] = claim_due(session, now=NOW + timedelta(hours=3, minutes=5))
    assert message.attempts == 37


def test_a_message_failing_for_a_day_is_given_up(engine: Engine) -> None:
    fill(engine, 1)
    last = fail_until(engine, NOW + GIVE_UP_AFTER + timedelta(hours=1), every=timedelta(minutes=10))
    assert last == NOW + GIVE_UP_AFTER  # its last try, then given up
    with transaction(engine) as session:
        assert claim_due(session, now=NOW + timedelta(days=3)) == []


def test_a_blocked_member_gets_nothing_more(engine: Engine) -> None:
    with transaction(engine) as session:
        session.add(User(id=1000, name="Blocked", created_at=NOW))
    fill(engine, 14)  # chats 1000 … 1006, two messages each
    with transaction(engine) as session:
        first = next(m for m in claim_due(session, now=NOW, limit=1) if m.chat_id == 1000)
        give_up(session, message=first, now=NOW, error="Forbidden: bot was blocked", blocked=True)
    with transaction(engine) as session:
        rest = claim_due(session, now=NOW + timedelta(minutes=5))
    assert 1000 not in {m.chat_id for m in rest}
    assert len(rest) == 12
