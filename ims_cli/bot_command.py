"""`ims run`: the Telegram bot, by long polling or behind a webhook."""

from __future__ import annotations

import argparse
import logging

from telegram.error import InvalidToken, NetworkError

from ims_cli.store_commands import Result, open_store
from storage.settings import Settings


class BotStartError(Exception):
    """The bot cannot start; the message says why, in one line."""


def run_bot(args: argparse.Namespace, settings: Settings) -> Result:
    """Migrate the database, then serve updates until stopped (Ctrl-C)."""
    # Imported here: the CLI's other commands need no Telegram library loaded.
    from bot.app import build_application  # noqa: PLC0415

    if settings.telegram_bot_token is None or not settings.telegram_bot_token.get_secret_value():
        raise BotStartError("TELEGRAM_BOT_TOKEN is not set")
    logging.basicConfig(
        format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=logging.INFO
    )
    # httpx logs every request URL at INFO, and the URL holds the bot token: never log it.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    engine = open_store(settings)
    try:
        application = build_application(settings, engine)
        if args.webhook_url:
            application.run_webhook(
                listen=args.listen,
                port=args.port,
                webhook_url=args.webhook_url,
                secret_token=args.secret_token,
            )
        else:
            application.run_polling()
    except InvalidToken as exc:
        reason = str(exc) if "not set" in str(exc) else "Telegram rejected TELEGRAM_BOT_TOKEN"
        raise BotStartError(reason) from None
    except NetworkError as exc:
        where = settings.telegram_api_base_url or "api.telegram.org"
        raise BotStartError(f"cannot reach the Telegram Bot API at {where}: {exc}") from None
    return {"stopped": True}, "Stopped."
