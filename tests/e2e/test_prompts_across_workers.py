"""A remark asked for by one bot worker is taken by whichever worker gets the person's text."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine
from telegram.ext import ContextTypes

from bot.app import build_application
from storage.db import make_engine, upgrade_schema
from storage.settings import Settings
from tests.e2e.conftest import ADMIN, TOKEN, Running
from tests.e2e.fake_telegram import FakeTelegram
from tests.e2e.test_bot import OWNER, import_download, onboard, open_card, stored, tapped
from tests.integration.store_helpers import invoices


@asynccontextmanager
async def worker(
    tg: FakeTelegram, engine: Engine, errors: list[BaseException]
) -> AsyncIterator[None]:
    """One bot worker polling the fake Telegram, on the shared store."""
    settings = Settings(
        telegram_bot_token=TOKEN,
        telegram_api_base_url=tg.url,
        telegram_file_base_url=tg.url,
        admin_ids=str(ADMIN),
        database_url="sqlite://",
        outbox_interval_seconds=0.2,
        deadlines_interval_seconds=0,
    )
    app = build_application(settings, engine, rate_limit=False)

    async def collect(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert context.error is not None
        errors.append(context.error)

    app.add_error_handler(collect)
    async with app:
        assert app.post_init is not None
        await app.post_init(app)
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=1)
        try:
            yield
        finally:
            await app.updater.stop()
            await app.stop()


async def test_a_remark_asked_by_one_worker_is_taken_by_another(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first worker asks for the remark and goes away (a restart, or a load balancer that
    sends the next update elsewhere); the second one gets the text and applies it."""
    monkeypatch.setenv("PTB_TIMEDELTA", "1")
    engine = make_engine(f"sqlite:///{tmp_path / 'bot.db'}")
    upgrade_schema(engine)
    errors: list[BaseException] = []
    async with FakeTelegram(token=TOKEN) as tg:
        bot = Running(tg, engine, errors)
        async with worker(tg, engine, errors):
            users = await onboard(bot)
            await import_download(bot, users[OWNER], invoices(1))
            card = await open_card(bot, users[OWNER], "INV-0")
            await tapped(bot, users[OWNER], card, "❌ Reject")
        async with worker(tg, engine, errors):
            await users[OWNER].reply("not ordered by us")
            await tg.wait_for(
                lambda: "Rejected" in (tg.message(OWNER, card.message_id).text or "") or None
            )
    row = stored(bot, "INV-0")
    assert (row.action, row.remarks) == ("R", "not ordered by us")
    engine.dispose()
    assert errors == []
