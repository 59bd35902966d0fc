"""`ims run` that cannot start: one line naming the token or the base URL, and no token shown."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from urllib.parse import quote

import pytest
from aiohttp import web

from bot.app import build_application
from ims_cli.main import main
from storage.settings import Settings
from tests.e2e.fake_telegram import FakeTelegram

TOKEN = "7654321987:AAHq3kZ-secretPart_0123456789abcdefXYZ"
SECRET_PART = TOKEN.split(":", 1)[1]


@asynccontextmanager
async def rejecting_telegram() -> AsyncIterator[str]:
    """The fake Bot API, refusing the token as Telegram does a revoked one (401)."""
    async with FakeTelegram(token=TOKEN) as tg:
        tg.reject_token(TOKEN)
        yield tg.url


@asynccontextmanager
async def closed_port() -> AsyncIterator[str]:
    """An address where nothing listens."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    yield f"http://127.0.0.1:{port}"


@asynccontextmanager
async def not_the_bot_api() -> AsyncIterator[str]:
    """A web server that answers 404 to every request, as a mistyped address would."""
    runner = web.AppRunner(web.Application(), access_log=None)  # its log is not ours
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


Server = Callable[[], AbstractAsyncContextManager[str]]


CASES = {
    "revoked token": (rejecting_telegram, "rejected TELEGRAM_BOT_TOKEN (HTTP 401", "API_BASE_URL"),
    "closed port": (closed_port, "cannot reach TELEGRAM_API_BASE_URL", "TELEGRAM_BOT_TOKEN"),
    "not the Bot API": (
        not_the_bot_api,
        "is not a Telegram Bot API server (getMe answered HTTP 404)",
        "TOKEN",
    ),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
async def test_ims_run_that_cannot_start_says_why_in_one_line(
    case: tuple[Server, str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    server, cause, not_the_cause = case
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("IMS_DATABASE_URL", f"sqlite:///{tmp_path / 'run.db'}")
    async with server() as url:
        monkeypatch.setenv("TELEGRAM_API_BASE_URL", url)
        # In a thread: the command blocks, and the server answers from this event loop.
        code = await asyncio.wait_for(asyncio.to_thread(main, ["run"]), timeout=30)

    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""
    assert err.startswith("ims run: ") and err.count("\n") == 1, err
    assert cause in err
    assert not_the_cause not in err
    everything = out + err + caplog.text + "".join(str(r.__dict__) for r in caplog.records)
    for spelling in (TOKEN, quote(TOKEN, safe=""), SECRET_PART):
        assert spelling not in everything


@pytest.mark.parametrize("api_suffix", ["", "/", "/bot", "/bot/"])
@pytest.mark.parametrize("file_suffix", ["", "/file/bot/"])
async def test_both_spellings_of_the_base_urls_reach_the_server(
    api_suffix: str, file_suffix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "1")
    async with FakeTelegram(token=TOKEN) as tg:
        settings = Settings(
            telegram_bot_token=TOKEN,
            telegram_api_base_url=tg.url + api_suffix,
            telegram_file_base_url=tg.url + file_suffix,
        )
        app = build_application(settings, engine=None, rate_limit=False)  # type: ignore[arg-type]
        async with app:  # initialize: getMe
            assert app.bot.username == "ims_test_bot"
            assert app.bot.base_file_url == f"{tg.base_file_url}{TOKEN}"
    assert [(call.token, call.status) for call in tg.calls("getMe")] == [(TOKEN, 200)]
