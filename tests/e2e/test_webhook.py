"""The real webhook server of the Application, with the secret and path `ims run` stores."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from telegram.ext import ContextTypes

from bot.app import build_application
from ims_cli.webhook import WebhookParameters, webhook_parameters
from storage.db import make_engine, upgrade_schema
from storage.settings import Settings
from tests.e2e.conftest import ADMIN, TOKEN
from tests.e2e.fake_telegram import FakeTelegram, FakeUser

PUBLIC_BASE = "https://bot.example.com"
HEADER = "X-Telegram-Bot-Api-Secret-Token"


@dataclass
class Webhook:
    """A bot serving its webhook on 127.0.0.1, and the fake Telegram it talks to."""

    tg: FakeTelegram
    params: WebhookParameters
    errors: list[BaseException]

    @property
    def local_url(self) -> str:
        """Where a reverse proxy would forward Telegram's requests to."""
        return f"http://{self.params.listen}:{self.params.port}/{self.params.url_path}"

    async def post(self, update: dict[str, Any], *, url: str | None = None, **headers: str) -> int:
        """POST `update` as Telegram would; the HTTP status of the answer."""
        async with (
            aiohttp.ClientSession() as session,
            session.post(url or self.local_url, json=update, headers=headers) as response,
        ):
            return response.status


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_update(user: FakeUser, update_id: int) -> dict[str, Any]:
    """The update Telegram posts when `user` sends /start."""
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": int(time.time()),
            "chat": user.chat_json,
            "from": user.user_json,
            "text": "/start",
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        },
    }


@pytest.fixture
async def webhook(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Webhook]:
    """The Application started as `ims run --webhook-url` starts it, on a free port."""
    monkeypatch.setenv("PTB_TIMEDELTA", "1")
    engine = make_engine(f"sqlite:///{tmp_path / 'bot.db'}")
    upgrade_schema(engine)
    params = webhook_parameters(
        engine, base_url=PUBLIC_BASE, listen="127.0.0.1", port=free_port(), secret_token=None
    )
    async with FakeTelegram(token=TOKEN) as tg:
        settings = Settings(
            telegram_bot_token=TOKEN,
            telegram_api_base_url=tg.url,
            telegram_file_base_url=tg.url,
            admin_ids=str(ADMIN),
            deadlines_interval_seconds=0,
        )
        app = build_application(settings, engine, rate_limit=False)
        errors: list[BaseException] = []

        async def collect(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
            assert context.error is not None
            errors.append(context.error)

        app.add_error_handler(collect)
        async with app:
            assert app.post_init is not None and app.updater is not None
            await app.post_init(app)
            await app.start()
            await app.updater.start_webhook(
                listen=params.listen,
                port=params.port,
                url_path=params.url_path,
                webhook_url=params.webhook_url,
                secret_token=params.secret_token,
            )
            try:
                yield Webhook(tg, params, errors)
            finally:
                await app.updater.stop()
                await app.stop()
    engine.dispose()
    assert errors == [], errors


async def test_an_update_with_the_stored_secret_is_answered(webhook: Webhook) -> None:
    tg, params = webhook.tg, webhook.params
    assert tg.webhook is not None
    assert tg.webhook["url"] == f"{PUBLIC_BASE}/{params.url_path}" == params.webhook_url
    assert tg.webhook["secret_token"] == params.secret_token
    user = tg.user(user_id=101, first_name="Priya")

    status = await webhook.post(start_update(user, 1), **{HEADER: params.secret_token})

    assert status == 200
    reply = await tg.wait_for(user.last_message)
    assert "Hello Priya!" in (reply.text or "")


async def test_a_request_without_the_right_secret_is_refused_unread(webhook: Webhook) -> None:
    tg, params = webhook.tg, webhook.params
    user = tg.user(user_id=101, first_name="Priya")

    assert await webhook.post(start_update(user, 1)) == 403
    assert await webhook.post(start_update(user, 2), **{HEADER: "not-the-secret"}) == 403
    assert await webhook.post(start_update(user, 3), **{HEADER: params.secret_token[:-1]}) == 403
    # Telegram's own update, sent after them, is the only one answered.
    assert await webhook.post(start_update(user, 4), **{HEADER: params.secret_token}) == 200
    await tg.wait_for(user.last_message)
    await asyncio.sleep(0.3)
    assert len(user.messages()) == 1


async def test_a_request_to_another_path_is_not_found(webhook: Webhook) -> None:
    user = webhook.tg.user(user_id=101, first_name="Priya")
    port, secret = webhook.params.port, webhook.params.secret_token
    for path in ("", "telegram", f"{webhook.params.url_path}x"):
        url = f"http://127.0.0.1:{port}/{path}"
        assert await webhook.post(start_update(user, 1), url=url, **{HEADER: secret}) == 404
    await asyncio.sleep(0.3)
    assert user.messages() == []
