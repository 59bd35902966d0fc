"""Before `ims run` starts the bot: is the Bot API reachable, and does it take the token?

python-telegram-bot reports a 401 and a 404 alike as InvalidToken, so a mistyped
TELEGRAM_API_BASE_URL would read as a rejected token. One getMe made here tells them apart by
what answers: nothing, something that is not the Bot API, or the Bot API refusing the token.
"""

from __future__ import annotations

from typing import Any

import httpx

from storage.settings import TELEGRAM_API, Settings

TIMEOUT_SECONDS = 10.0


class BotStartError(Exception):
    """The bot cannot start; the message says why, in one line."""


def check_bot_api(settings: Settings, token: str) -> None:
    """Nothing when getMe works; else BotStartError naming the token or the base URL."""
    root = settings.telegram_api_root
    where = (
        f"the Telegram Bot API at {root}"
        if root == TELEGRAM_API
        else f"TELEGRAM_API_BASE_URL {root}"
    )
    try:
        response = httpx.get(f"{root}/bot{token}/getMe", timeout=TIMEOUT_SECONDS)
    except httpx.TimeoutException:
        raise BotStartError(f"cannot reach {where}: no answer in {TIMEOUT_SECONDS:g} s") from None
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        raise BotStartError(f"cannot reach {where}: {_reason(exc)}") from None
    body = _bot_api_answer(response)
    answer = f"HTTP {response.status_code}"
    if body is None:
        raise BotStartError(
            f"{where} is not a Telegram Bot API server (getMe answered {answer}); "
            "it should be the server's address, e.g. http://127.0.0.1:8081"
        )
    if body["ok"] is True:
        return
    answer = f"{answer} {body.get('description') or ''}".strip()
    # Telegram answers 401 for a revoked or mistyped token and 404 for a malformed one.
    if response.status_code in (401, 404):
        raise BotStartError(
            f"the Bot API at {root} rejected TELEGRAM_BOT_TOKEN ({answer}); "
            "check the token with @BotFather"
        )
    raise BotStartError(f"the Bot API at {root} refused getMe ({answer})")


def _bot_api_answer(response: httpx.Response) -> dict[str, Any] | None:
    """The JSON answer when it has the Bot API's shape ({"ok": ..., ...}), else None."""
    try:
        body = response.json()
    except ValueError:
        return None
    if not isinstance(body, dict) or not isinstance(body.get("ok"), bool):
        return None
    if body["ok"] is False and not isinstance(body.get("error_code"), int):
        return None
    return body


def _reason(exc: Exception) -> str:
    """Why a connection failed, e.g. "connection refused" for "[Errno 111] Connection refused"."""
    text = str(exc) or type(exc).__name__
    return text.split("] ", 1)[-1].lower() if text.startswith("[Errno") else text
