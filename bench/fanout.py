"""Outbox fan-out: the real bot's sender drains 1,000 queued messages against the fake Telegram.

The Application is `bot.app.build_application(settings, engine, rate_limit=True)`, built with
its AIORateLimiter swapped for one at a test rate (`RATE`/s overall, no group limit, the same
`max_retries=2`), and the outbox job every `INTERVAL` s. All rows are queued before the clock;
the clock runs from the start of the sender's first pass until the fake has recorded the last
distinct message. A few 429s are injected (retry_after 0.2 s): one run of three in a row, more
than the limiter retries, so that the outbox's own `retry_later` path is taken too.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlmodel import select
from telegram.ext import AIORateLimiter, Application

from bot.app import build_application
from bot.notifications import render
from storage.db import make_engine, transaction, upgrade_schema
from storage.models import Outbox
from storage.outbox import enqueue
from storage.settings import Settings
from tests.e2e.fake_telegram import FakeTelegram

TOKEN = "123456:BENCH-TOKEN"
FIRST_USER = 8001
RATE = 100.0  # messages per second, the limiter's overall rate
INTERVAL = 0.05  # settings.outbox_interval_seconds
PER_USER = 20
RETRY_AFTER = 0.2
TIMEOUT = 120.0


@dataclass(frozen=True)
class Fanout:
    """What one fan-out run saw."""

    messages: int
    rate: float  # distinct messages recorded per second, from the first pass to the last one
    seconds: float
    passes: int
    passes_with_work: int
    problems: list[str]
    injected_429: int
    outbox_retries: int  # rows sent on a later claim (attempts > 1)


def _limiter(max_retries: int) -> AIORateLimiter:  # type: ignore[type-arg]
    return AIORateLimiter(
        overall_max_rate=RATE, overall_time_period=1, group_max_rate=0, max_retries=max_retries
    )


class Watch:
    """Hooks on the fake's sendMessage (what it recorded) and on the sender's job (each pass)."""

    def __init__(self, tg: FakeTelegram, wanted: set[tuple[int, int]], text_of: dict[str, int]):
        self.tg, self.wanted, self.text_of = tg, wanted, text_of
        self.seen: set[tuple[int, int]] = set()
        self.done: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self.passes: list[tuple[float, float, int]] = []  # start, end, messages recorded
        # More 429s mid-way: one at 30 % of the messages, two in a row at 60 %.
        self.inject = {len(wanted) * 3 // 10: 1, len(wanted) * 6 // 10: 2}
        self._original = tg._methods["sendmessage"]
        tg._methods["sendmessage"] = self.recorded

    async def recorded(self, params: dict[str, Any], files: dict[str, Any]) -> Any:
        result = await self._original(params, files)
        self.seen.add((int(params["chat_id"]), self.text_of.get(str(params["text"]), -1)))
        if len(self.seen) in self.inject:
            times = self.inject.pop(len(self.seen))
            self.tg.fail_next("sendMessage", retry_after=RETRY_AFTER, times=times)
        if self.wanted <= self.seen and not self.done.done():
            self.done.set_result(time.perf_counter())
        return result

    def wrap(self, send_due: Any) -> Any:
        async def timed_pass(context: Any) -> None:
            start, before = time.perf_counter(), len(self.seen)
            await send_due(context)
            self.passes.append((start, time.perf_counter(), len(self.seen) - before))

        return timed_pass

    async def wait(self) -> float:
        """The moment the last message was recorded, once the pass that sent it has ended
        (so its mark_sent is committed: a pass only starts after the one before has ended)."""
        finished = await asyncio.wait_for(self.done, TIMEOUT)
        deadline = time.perf_counter() + 10
        while not (self.passes and self.passes[-1][0] > finished):
            assert time.perf_counter() < deadline, "the sender stopped"
            await asyncio.sleep(INTERVAL)
        return finished


def _queue(engine: Engine, users: int) -> set[tuple[int, int]]:
    """`users` chats x PER_USER team_undo messages, queued round-robin over the chats."""
    chats = [FIRST_USER + i for i in range(users)]
    wanted = {(chat, n) for chat in chats for n in range(1, PER_USER + 1)}
    with transaction(engine) as session:
        enqueue(
            session,
            messages=[
                (chat, "team_undo", {"by_name": "Ravi", "count": n}, f"fanout-{chat}-{n}")
                for chat, n in sorted(wanted, key=lambda pair: (pair[1], pair[0]))
            ],
            now=datetime.now(UTC),
        )
    return wanted


def _app(tg: FakeTelegram, engine: Engine, errors: list[BaseException]) -> Application:  # type: ignore[type-arg]
    settings = Settings(
        telegram_bot_token=TOKEN,
        telegram_api_base_url=tg.url,
        telegram_file_base_url=tg.url,
        database_url="sqlite://",
        outbox_interval_seconds=INTERVAL,
        deadlines_interval_seconds=0,  # only the sender's job: the one measured
    )
    # build_application's own path with rate_limit=True; only the limiter's rates differ.
    app = build_application(settings, engine, rate_limit=True, rate_limiter=_limiter(2))

    async def collect(update: object, context: Any) -> None:
        errors.append(context.error)

    app.add_error_handler(collect)
    return app


async def _run(folder: Path, users: int, log: Callable[[str], None]) -> Fanout:
    engine = make_engine(f"sqlite:///{folder / 'fanout.db'}")
    try:
        upgrade_schema(engine)
        wanted = _queue(engine, users)  # not timed
        text_of = {render("team_undo", {"by_name": "Ravi", "count": n})[0]: n for _, n in wanted}
        errors: list[BaseException] = []
        async with FakeTelegram(token=TOKEN) as tg:
            for chat in sorted({chat for chat, _ in wanted}):
                tg.user(user_id=chat, first_name=f"User {chat}")
            app = _app(tg, engine, errors)
            watch = Watch(tg, wanted, text_of)
            assert app.job_queue is not None
            [job] = app.job_queue.jobs()
            job.callback = watch.wrap(job.callback)  # the same job, each pass timed
            # Three in a row at the start: the limiter retries twice, then send_due's retry_later.
            tg.fail_next("sendMessage", retry_after=RETRY_AFTER, times=3)
            async with app:
                await app.start()
                try:
                    finished = await watch.wait()
                finally:
                    await app.stop()
        calls = tg.calls("sendMessage")
        problems = _check(tg, calls, wanted, text_of, errors)
        with transaction(engine) as session:
            rows = list(session.exec(select(Outbox)))
        unsent = [r.id for r in rows if r.sent_at is None or r.failed_at is not None]
        if len(rows) != len(wanted) or unsent:
            problems.append(f"{len(rows)} outbox rows; not sent, or given up: {unsent[:5]}")
        attempts = Counter(r.attempts for r in rows)
        seconds = finished - watch.passes[0][0]
        _log_passes(watch.passes, finished, attempts, log)
        return Fanout(
            messages=len(wanted),
            rate=len(wanted) / seconds,
            seconds=seconds,
            passes=len(watch.passes),
            passes_with_work=sum(1 for p in watch.passes if p[2]),
            problems=problems,
            injected_429=sum(c.status == 429 for c in calls),
            outbox_retries=sum(n for a, n in attempts.items() if a > 1),
        )
    finally:
        engine.dispose()


def _log_passes(
    passes: list[tuple[float, float, int]],
    finished: float,
    attempts: Counter[int],
    log: Callable[[str], None],
) -> None:
    """Where the time went: passes that sent, and the idle gaps between passes meanwhile."""
    working = [p for p in passes if p[0] <= finished]
    busy = [end - start for start, end, sent in working if sent]
    gaps = [b[0] - a[1] for a, b in pairwise(working)]
    if busy:
        log(
            f"  {len(busy)} passes sent messages: mean {sum(busy) / len(busy):.3f} s,"
            f" max {max(busy):.3f} s; idle between passes {sum(gaps):.3f} s in all"
            f" (interval {INTERVAL} s, claim_due's default limit 50)"
        )
    log(f"  outbox attempts per row: {dict(sorted(attempts.items()))}")


def _check(
    tg: FakeTelegram,
    calls: list[Any],
    wanted: set[tuple[int, int]],
    text_of: dict[str, int],
    errors: list[BaseException],
) -> list[str]:
    """No loss, no doubles, every 429 followed by a successful send of the same message."""
    problems: list[str] = []
    by_pair: Counter[tuple[int, int]] = Counter()  # messages the fake holds, per (chat, count)
    for chat in {c for c, _ in wanted}:
        for message in tg.messages(chat):
            by_pair[(chat, text_of.get(message.text or "", -1))] += 1
    lost = wanted - set(by_pair)
    doubled = {k: v for k, v in by_pair.items() if v != 1 or k not in wanted}
    if lost:
        problems.append(f"lost {len(lost)}: {sorted(lost)[:5]}")
    if doubled:
        problems.append(f"doubled or unexpected {len(doubled)}: {list(doubled.items())[:5]}")
    ok = [c.status == 200 for c in calls]
    for index, call in enumerate(calls):
        if call.status != 429:
            continue
        key = (call.params.get("chat_id"), call.params.get("text"))
        if not any(
            ok[j] and (c.params.get("chat_id"), c.params.get("text")) == key
            for j, c in enumerate(calls[index + 1 :], start=index + 1)
        ):
            problems.append(f"a 429 on {key} was never followed by a successful send")
    others = [c.status for c in calls if c.status not in (200, 429)]
    if others:
        problems.append(f"other statuses: {Counter(others)}")
    if errors:
        problems.append(f"errors reached the error handler: {errors[:3]!r}")
    if tg.server_errors:
        problems.append(f"fake server errors: {tg.server_errors[:3]!r}")
    return problems


def measure(folder: Path, users: int, log: Callable[[str], None]) -> Fanout:
    """Send `users * PER_USER` queued messages through the real sender; see the module doc."""
    os.environ["PTB_TIMEDELTA"] = "1"  # ptb 22: retry_after as a timedelta, no warning
    # Expected noise: APScheduler skips ticks while a pass runs (max_instances=1), and the
    # limiter logs the injected 429 it gives up on (send_due's retry_later takes it; checked).
    quiet = [logging.getLogger(n) for n in ("apscheduler", "telegram.ext.AIORateLimiter")]
    levels = [logger.level for logger in quiet]
    for logger in quiet:
        logger.setLevel(logging.CRITICAL)
    try:
        return asyncio.run(_run(folder, users, log))
    finally:
        for logger, level in zip(quiet, levels, strict=True):
            logger.setLevel(level)
