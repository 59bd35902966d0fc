"""Two bot workers on one PostgreSQL draining one outbox: every message arrives exactly once."""

from __future__ import annotations

from collections import Counter
from contextlib import AsyncExitStack
from datetime import UTC, datetime
from pathlib import Path

import pytest
from telegram.ext import ContextTypes

from bot.app import build_application
from storage.db import make_engine, transaction, upgrade_schema
from storage.outbox import enqueue
from storage.settings import Settings
from tests.e2e.conftest import TOKEN
from tests.e2e.fake_telegram import FakeTelegram
from tests.storage_fixtures import database_url

pytestmark = pytest.mark.postgresql


async def test_two_workers_on_postgresql_send_every_message_exactly_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "1")
    urls = database_url("postgresql", tmp_path)
    url = next(urls)
    engine = make_engine(url)
    upgrade_schema(engine)
    errors: list[BaseException] = []

    async def collect(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert context.error is not None
        errors.append(context.error)

    try:
        async with FakeTelegram(token=TOKEN) as tg, AsyncExitStack() as stack:
            users = [tg.user(user_id=2000 + n, first_name=f"U{n}") for n in range(10)]
            messages = [
                (users[i % 10].chat_id, "team_undo", {"by_name": "Ravi", "count": i}, f"w:{i}")
                for i in range(300)
            ]
            with transaction(engine) as session:
                enqueue(session, messages=messages, now=datetime.now(UTC))
            for _ in range(2):  # two workers, each its own Application and connection pool
                settings = Settings(
                    telegram_bot_token=TOKEN,
                    telegram_api_base_url=tg.url,
                    telegram_file_base_url=tg.url,
                    database_url=url,
                    outbox_interval_seconds=0.05,
                )
                app = build_application(settings, make_engine(url), rate_limit=False)
                app.add_error_handler(collect)
                await stack.enter_async_context(app)
                await app.start()
                stack.push_async_callback(app.stop)

            def delivered() -> Counter[tuple[int, str]]:
                return Counter(
                    (c.params["chat_id"], c.params["text"])
                    for c in tg.calls("sendMessage")
                    if c.status == 200
                )

            await tg.wait_for(lambda: sum(delivered().values()) >= 300 or None, timeout=30)
            sends = delivered()
            assert len(sends) == 300
            assert max(sends.values()) == 1  # none twice
    finally:
        engine.dispose()
        for _ in urls:  # drops the test database
            pass
    assert errors == []
