"""kill -9 of the bot while it drains the outbox to the fake Telegram, on both backends: after
a restart every queued message is delivered; a message is sent twice only when the kill fell
between Telegram accepting it and the bot marking it sent, and then exactly once more.

The bot is the real `ims run` in a process of its own (tests/reliability/bot_process.py, with a
short lease), against the fake Bot API server in this process. Each round queues a batch of
messages while the running bot is idle, SIGKILLs it after a random delay within the time a
batch takes to drain, records which messages Telegram had accepted that the store had not
marked sent (the window), starts a new bot, and waits until the batch is delivered. The new bot
is the next round's victim.
"""

from __future__ import annotations

import asyncio
import random
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from bot.notifications import render
from storage.db import make_engine, transaction, upgrade_schema
from storage.models import Outbox
from storage.outbox import enqueue
from tests.e2e.conftest import TOKEN
from tests.e2e.fake_telegram import FakeTelegram
from tests.reliability import summary
from tests.reliability.processes import clean_env
from tests.reliability.scale import Scale, kill_test_runs
from tests.storage_fixtures import BACKENDS, database_url

BOT_PROCESS = Path(__file__).with_name("bot_process.py")
CHATS = 20
LEASE_SECONDS = 1.5
Message = tuple[int, str]  # (chat id, text) as Telegram shows it


@contextmanager
def store(backend: str, folder: Path) -> Iterator[tuple[str, Engine]]:
    """An empty, migrated database of `backend` (dropped afterwards) and an engine on it."""
    urls = database_url(backend, folder)
    url = next(urls)
    engine = make_engine(url)
    try:
        upgrade_schema(engine)
        yield url, engine
    finally:
        engine.dispose()
        for _ in urls:  # drops a PostgreSQL test database
            pass


class Bots:
    """Bot processes on one database and one fake Telegram, with their logs kept."""

    def __init__(self, tg: FakeTelegram, url: str, folder: Path) -> None:
        """Nothing starts until `start`."""
        self.env = clean_env(
            IMS_DATABASE_URL=url,
            TELEGRAM_BOT_TOKEN=TOKEN,
            TELEGRAM_API_BASE_URL=tg.url,
            TELEGRAM_FILE_BASE_URL=tg.url,
            IMS_OUTBOX_INTERVAL_SECONDS="0.05",
            IMS_DEADLINES_INTERVAL_SECONDS="0",
            RELIABILITY_LEASE_SECONDS=str(LEASE_SECONDS),
            PTB_TIMEDELTA="1",
        )
        self.folder = folder
        self.started = 0

    async def start(self) -> asyncio.subprocess.Process:
        """A new bot process; its log goes to bot-N.log."""
        self.started += 1
        with (self.folder / f"bot-{self.started}.log").open("wb") as log:
            return await asyncio.create_subprocess_exec(
                sys.executable,
                str(BOT_PROCESS),
                env=self.env,
                cwd=self.folder,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=log,
            )


def queue_batch(engine: Engine, batch: int, size: int, first: int) -> dict[str, Message]:
    """Queue `size` messages; returns each one's dedupe key and how Telegram will show it."""
    messages = [
        (
            7000 + n % CHATS,
            "team_undo",
            {"by_name": "Kill Test", "count": first + n},
            f"k:{batch}:{n}",
        )
        for n in range(size)
    ]
    with transaction(engine) as session:
        assert enqueue(session, messages=messages, now=datetime.now(UTC)) == size
    return {key: (chat, render(kind, payload)[0]) for chat, kind, payload, key in messages}


def marked_sent(engine: Engine, keys: dict[str, Message]) -> set[Message]:
    """The messages of a batch the store has marked sent."""
    with transaction(engine) as session:
        rows = session.execute(
            select(Outbox.dedupe_key, Outbox.sent_at, Outbox.failed_at).where(
                Outbox.dedupe_key.in_(list(keys))  # type: ignore[attr-defined]
            )
        ).all()
    assert all(row.failed_at is None for row in rows), "a message was given up"
    return {keys[row.dedupe_key] for row in rows if row.sent_at is not None}


def delivered(tg: FakeTelegram) -> Counter[Message]:
    """How often Telegram accepted each message."""
    return Counter(
        (chat, message.text or "")
        for chat in range(7000, 7000 + CHATS)
        for message in tg.messages(chat)
    )


async def drained(tg: FakeTelegram, engine: Engine, keys: dict[str, Message]) -> None:
    """Wait until every message of the batch is delivered and marked sent."""
    wanted = set(keys.values())

    def done() -> bool:
        return wanted <= set(delivered(tg)) and marked_sent(engine, keys) == wanted

    await tg.wait_for(done, timeout=120, interval=0.05, description="the batch to drain")


@dataclass
class Rounds:
    """The kill rounds of one test: what they share and what they counted."""

    tg: FakeTelegram
    engine: Engine
    bots: Bots
    size: int
    rng: random.Random
    drain: float = 0.0
    tally: Counter[str] = field(default_factory=Counter)

    async def warm_up(self) -> asyncio.subprocess.Process:
        """Start the first bot and time how long a batch takes to drain."""
        bot = await self.bots.start()
        await drained(self.tg, self.engine, queue_batch(self.engine, -1, 1, first=-1))
        keys = queue_batch(self.engine, 0, self.size, first=0)
        started = time.monotonic()
        await drained(self.tg, self.engine, keys)
        self.drain = time.monotonic() - started
        return bot

    async def kill(
        self, victim: asyncio.subprocess.Process, batch: int
    ) -> asyncio.subprocess.Process:
        """Queue a batch, kill the bot within its drain, restart; returns the new bot."""
        keys = queue_batch(self.engine, batch, self.size, first=batch * self.size)
        await asyncio.sleep(self.rng.uniform(0, 1.05 * self.drain))
        victim.kill()
        await victim.wait()
        await asyncio.sleep(0.1)  # a send that reached the fake before the kill is taken in
        tally = self.tally
        tally["kills"] += 1
        before = delivered(self.tg)
        accepted = {message for message in keys.values() if before[message]}
        marked = marked_sent(self.engine, keys)
        assert marked <= accepted, "marked sent, never delivered"
        window = accepted - marked
        phase = "before" if not accepted else "after" if len(marked) == self.size else "sending"
        tally[phase] += 1
        tally["kills in the window"] += bool(window)
        tally["in the window"] += len(window)
        restarted = await self.bots.start()
        await drained(self.tg, self.engine, keys)
        after = delivered(self.tg)
        twice = {message for message in keys.values() if after[message] > 1}
        assert all(after[message] <= 2 for message in keys.values())
        assert twice == window, f"sent twice: {sorted(twice - window)}; in the window: {window}"
        tally["twice"] += len(twice)
        return restarted


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_killed_bot_delivers_every_queued_message_after_a_restart(
    backend: str, scale: Scale, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kill_test_runs(scale, "outbox", backend)
    monkeypatch.setenv("PTB_TIMEDELTA", "1")
    with store(backend, tmp_path) as (url, engine):
        async with FakeTelegram(token=TOKEN) as tg:
            for n in range(CHATS):
                tg.user(user_id=7000 + n, first_name=f"U{n}")
            rounds = Rounds(
                tg, engine, Bots(tg, url, tmp_path), scale.outbox_batch, random.Random(backend)
            )
            victim = await rounds.warm_up()
            try:
                for batch in range(1, scale.kills + 1):
                    victim = await rounds.kill(victim, batch)
            finally:
                victim.kill()
                await victim.wait()
    tally = rounds.tally
    summary.add_row(
        "kill -9 of the bot draining the outbox",
        {
            "backend": backend,
            "kills": tally["kills"],
            "before the batch's first send": tally["before"],
            "while sending": tally["sending"],
            "after the batch was sent": tally["after"],
            "kills in the window": tally["kills in the window"],
            "messages in the window": tally["in the window"],
            "messages sent twice": tally["twice"],
            "messages lost": 0,
            "messages queued": scale.outbox_batch * (scale.kills + 1),
            "batch drain (s)": rounds.drain,
        },
    )
