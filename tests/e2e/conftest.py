"""The real bot Application, on a real SQLite store, against the fake Telegram server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine
from telegram.ext import ContextTypes

from bot.app import build_application
from storage.db import make_engine, upgrade_schema
from storage.settings import Settings
from tests.e2e.fake_telegram import FakeTelegram

TOKEN = "123456:TEST-TOKEN"
ADMIN = 1


@dataclass
class Running:
    """A running bot: the fake Telegram to play users on, the store, and handler failures."""

    tg: FakeTelegram
    engine: Engine
    errors: list[BaseException]


@pytest.fixture
async def bot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> AsyncIterator[Running]:
    """Start the real Application by long polling; stop it (and check no handler failed)."""
    marker = request.node.get_closest_marker("bot_settings")
    monkeypatch.setenv("PTB_TIMEDELTA", "1")  # ptb 22: retry_after as a timedelta, no warning
    engine = make_engine(f"sqlite:///{tmp_path / 'bot.db'}")
    upgrade_schema(engine)
    async with FakeTelegram(token=TOKEN) as tg:
        settings = Settings(
            telegram_bot_token=TOKEN,
            telegram_api_base_url=tg.url,
            telegram_file_base_url=tg.url,
            admin_ids=str(ADMIN),
            database_url="sqlite://",
            outbox_interval_seconds=0.2,
            # The tests run the due work themselves, at the moment they choose: the bot's own
            # job acts on the real date, so only a test marked bot_settings(
            # deadlines_interval_seconds=N) runs it.
            **{"deadlines_interval_seconds": 0, **(marker.kwargs if marker else {})},
        )
        app = build_application(settings, engine, rate_limit=False)
        errors: list[BaseException] = []

        async def collect(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
            assert context.error is not None
            errors.append(context.error)

        app.add_error_handler(collect)
        async with app:  # post_init runs only under run_polling(): call it as that would
            assert app.post_init is not None
            await app.post_init(app)
            await app.start()
            assert app.updater is not None
            await app.updater.start_polling(poll_interval=0, timeout=1)
            try:
                yield Running(tg, engine, errors)
            finally:
                await app.updater.stop()
                await app.stop()
    engine.dispose()
    assert errors == [], errors
