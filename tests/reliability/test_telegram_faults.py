"""The outbox sender against a Telegram that fails at random: 429 with retry_after, 500, requests
held past the read timeout, connections dropped without an answer (tests/e2e/fake_telegram.py
`random_faults`, seeded). Each fault comes before the request is processed, so nothing was
delivered; every queued message must then arrive exactly once.

The bot is the real Application (bot/app.py) with its outbox job (bot/notifications.py
send_due, storage/delivery.py), on SQLite, without a rate limiter, so every fault reaches the
sender's own handling. Two things are shortened for speed, and neither changes what is sent:
the HTTP timeouts (so a held request times out in 0.3 s, not 5 s) and the backoff after a
network error (0.02 s doubling, at most 1 s, instead of 2 s doubling, at most 5 minutes).
A message failing for such a passing reason is tried again until it has waited a day
(storage/delivery.py GIVE_UP_AFTER), so here none may be given up: each must arrive.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from telegram.ext import ApplicationBuilder, ContextTypes

import bot.app
from bot import notifications
from bot.app import build_application
from storage.db import make_engine, transaction, upgrade_schema
from storage.models import Outbox
from storage.outbox import enqueue
from storage.settings import Settings
from tests.e2e.conftest import TOKEN
from tests.e2e.fake_telegram import FAULT_KINDS, FakeTelegram
from tests.reliability import summary
from tests.reliability.scale import Scale

READ_TIMEOUT = 0.3
CHATS = 25


class ShortTimeouts(ApplicationBuilder):  # type: ignore[type-arg]
    """The bot's ApplicationBuilder with timeouts short enough for a quick test."""

    def __init__(self) -> None:
        """As ApplicationBuilder, with 0.3 s read and 1 s connect, write and pool timeouts."""
        super().__init__()
        self.read_timeout(READ_TIMEOUT).connect_timeout(1).write_timeout(1).pool_timeout(1)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Engine]:
    """An empty, migrated SQLite store."""
    engine = make_engine(f"sqlite:///{tmp_path / 'faults.db'}")
    upgrade_schema(engine)
    yield engine
    engine.dispose()


def still_due(engine: Engine) -> int:
    """Messages neither sent nor given up."""
    with transaction(engine) as session:
        return len(
            session.execute(
                select(Outbox.id).where(Outbox.sent_at.is_(None), Outbox.failed_at.is_(None))  # type: ignore[union-attr]
            ).all()
        )


def outcome(engine: Engine) -> tuple[set[str], dict[int, int]]:
    """The texts of the messages sent, and the attempts of those given up, by outbox id."""
    with transaction(engine) as session:
        rows = session.execute(select(Outbox)).scalars().all()
        sent = {notifications.render(row.kind, row.payload)[0] for row in rows if row.sent_at}
        given_up = {row.id: row.attempts for row in rows if row.failed_at is not None}
    return sent, given_up


async def test_random_telegram_faults_deliver_every_message_exactly_once(
    store: Engine, scale: Scale, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "1")
    monkeypatch.setattr(bot.app, "ApplicationBuilder", ShortTimeouts)
    monkeypatch.setattr(
        notifications, "backoff", lambda attempts: timedelta(seconds=min(1.0, 0.02 * 2**attempts))
    )
    errors: list[BaseException] = []

    async def collect(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert context.error is not None
        errors.append(context.error)

    async with FakeTelegram(token=TOKEN) as tg:
        for n in range(CHATS):
            tg.user(user_id=8000 + n, first_name=f"U{n}")
        injected = tg.random_faults(
            seed=16, rate=scale.fault_rate, retry_after=0.05, hold=3 * READ_TIMEOUT
        )
        messages = [
            (8000 + n % CHATS, "team_undo", {"by_name": "Fault Test", "count": n}, f"f:{n}")
            for n in range(scale.fault_messages)
        ]
        with transaction(store) as session:
            enqueue(session, messages=messages, now=datetime.now(UTC))
        settings = Settings(
            telegram_bot_token=TOKEN,
            telegram_api_base_url=tg.url,
            telegram_file_base_url=tg.url,
            database_url="sqlite://",
            outbox_interval_seconds=0.02,
            deadlines_interval_seconds=0,
        )
        app = build_application(settings, store, rate_limit=False)
        app.add_error_handler(collect)
        started = time.monotonic()
        async with app:
            await app.start()
            try:
                await tg.wait_for(
                    lambda: still_due(store) == 0,
                    timeout=30 + scale.fault_messages / 5,
                    interval=0.1,
                    description="every message sent or given up",
                )
            finally:
                await app.stop()
        took = time.monotonic() - started
        delivered = Counter(
            message.text or "" for n in range(CHATS) for message in tg.messages(8000 + n)
        )
        failed_calls = [c for c in tg.calls("sendMessage") if c.status != 200]

    sent, given_up = outcome(store)
    assert errors == []
    assert set(delivered) == sent  # every message not given up arrived and is marked sent
    assert given_up == {}
    assert len(sent) == scale.fault_messages
    assert max(delivered.values()) == 1  # and none twice
    assert len(failed_calls) == injected.total()
    assert set(injected) == set(FAULT_KINDS)
    summary.add_row(
        "random Telegram faults on sendMessage",
        {
            "messages": scale.fault_messages,
            "fault rate": scale.fault_rate,
            **{f"faults {kind}": injected[kind] for kind in FAULT_KINDS},
            "delivered once": sum(1 for count in delivered.values() if count == 1),
            "delivered twice": sum(1 for count in delivered.values() if count > 1),
            "given up": len(given_up),
            "took (s)": took,
        },
    )


async def test_a_message_telegram_never_takes_or_that_cannot_be_drawn_holds_up_no_other(
    store: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A group upgraded to a supergroup (ChatMigrated) gets the message at its new id, and a
    payload the bot cannot render is given up alone; the messages claimed with them in the same
    batch go out at once, not after the lease (60 s) and not never."""
    monkeypatch.setenv("PTB_TIMEDELTA", "1")
    async with FakeTelegram(token=TOKEN) as tg:
        tg.user(user_id=8000)
        tg.group(-800)
        supergroup = tg.group(-100800)
        tg.migrate_chat(-800, -100800)
        messages = [
            (-800, "team_undo", {"by_name": "Ravi", "count": 1}, "p:migrated"),
            (8000, "team_bulk", {"by_name": "Ravi", "count": 2}, "p:no-action-in-payload"),
            *((8000, "team_undo", {"by_name": "Ravi", "count": n}, f"p:{n}") for n in range(5)),
        ]
        with transaction(store) as session:
            enqueue(session, messages=messages, now=datetime.now(UTC))
        settings = Settings(
            telegram_bot_token=TOKEN,
            telegram_api_base_url=tg.url,
            telegram_file_base_url=tg.url,
            database_url="sqlite://",
            outbox_interval_seconds=0.05,
            deadlines_interval_seconds=0,
        )
        app = build_application(settings, store, rate_limit=False)
        async with app:
            await app.start()
            try:
                await tg.wait_for(
                    lambda: still_due(store) == 0, timeout=5, description="the batch to go out"
                )
            finally:
                await app.stop()
        assert len(tg.messages(8000)) == 5
        assert [m.text for m in supergroup.messages()] == ["Ravi undid a bulk action on 1 records."]
    assert len(outcome(store)[1]) == 1
    with transaction(store) as session:
        errors = session.execute(select(Outbox.last_error).where(Outbox.failed_at.is_not(None)))  # type: ignore[union-attr]
        assert {error for (error,) in errors} == {"KeyError: 'action'"}
