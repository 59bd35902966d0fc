"""`ims run`: the Telegram bot, by long polling or behind a webhook."""

from __future__ import annotations

import argparse
import logging

from telegram.error import InvalidToken, NetworkError, TelegramError

from ims_cli.bot_api import BotStartError, check_bot_api
from ims_cli.redaction import redacted_logging
from ims_cli.store_commands import Result, open_store
from ims_cli.webhook import webhook_parameters
from storage.settings import Settings


def run_bot(args: argparse.Namespace, settings: Settings) -> Result:
    """Migrate the database, then serve updates until stopped (Ctrl-C)."""
    # Imported here: the CLI's other commands need no Telegram library loaded.
    from bot.app import build_application  # noqa: PLC0415

    token = settings.telegram_bot_token.get_secret_value() if settings.telegram_bot_token else ""
    if not token:
        raise BotStartError("TELEGRAM_BOT_TOKEN is not set")
    _start_logging()
    with redacted_logging(token) as redaction:
        engine = open_store(settings)
        webhook = None
        if args.webhook_url:
            webhook = webhook_parameters(
                engine,
                base_url=args.webhook_url,
                listen=args.listen,
                port=args.port,
                secret_token=args.secret_token,
            )
            redaction.add(webhook.secret_token)
        check_bot_api(settings, token)
        application = build_application(settings, engine)
        try:
            if webhook is None:
                application.run_polling()
            else:
                application.run_webhook(
                    listen=webhook.listen,
                    port=webhook.port,
                    url_path=webhook.url_path,
                    webhook_url=webhook.webhook_url,
                    secret_token=webhook.secret_token,
                )
        # getMe worked a moment ago: these come from a token revoked or a server lost since, or
        # from a webhook Telegram refuses (ptb's texts may hold the token: never shown).
        except InvalidToken:
            raise BotStartError("Telegram rejected TELEGRAM_BOT_TOKEN") from None
        except NetworkError as exc:
            raise BotStartError(
                f"cannot reach the Telegram Bot API at {settings.telegram_api_root}: "
                f"{redaction.redact(str(exc))}"
            ) from None
        except TelegramError as exc:
            raise BotStartError(f"Telegram refused: {redaction.redact(str(exc))}") from None
    return {"stopped": True}, "Stopped."


def _start_logging() -> None:
    """INFO lines on stderr, less those nobody running the bot needs: httpx logs every request,
    APScheduler every run of a job (the outbox pass, every 2 s), Alembic each step of checking
    the schema. Without them a bot that cannot start says why in one line."""
    logging.basicConfig(
        format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=logging.INFO
    )
    for chatty in ("httpx", "apscheduler", "alembic"):
        logging.getLogger(chatty).setLevel(logging.WARNING)
