"""The webhook of `ims run --webhook-url`: where it listens and what it tells Telegram."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

from sqlalchemy import Engine

from ims_domain.errors import ImsDomainError
from storage.db import transaction
from storage.deployment import shared_value

SECRET_TOKEN_KEY = "webhook_secret_token"
PATH_KEY = "webhook_path"
# Telegram's rule for the secret it sends back in X-Telegram-Bot-Api-Secret-Token.
_SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")


@dataclass(frozen=True)
class WebhookParameters:
    """Arguments of Application.run_webhook (and Updater.start_webhook)."""

    listen: str
    port: int
    url_path: str
    webhook_url: str
    secret_token: str


def webhook_parameters(
    engine: Engine, *, base_url: str, listen: str, port: int, secret_token: str | None
) -> WebhookParameters:
    """Listen on `listen`:`port` at a random path; Telegram is told `base_url` + that path.

    The path, and the secret when none is given, are made once and kept in the database, so
    every worker on one database and every restart agree with what Telegram was told.
    """
    base = _public_base(base_url)
    if secret_token is not None and not _SECRET_TOKEN.fullmatch(secret_token):
        raise ImsDomainError(
            "--secret-token must be 1-256 characters, each a letter, a digit, _ or -"
        )
    now = datetime.now(UTC)
    with transaction(engine) as session:
        path = shared_value(session, key=PATH_KEY, make=lambda: secrets.token_urlsafe(24), now=now)
        if secret_token is None:
            secret_token = shared_value(
                session, key=SECRET_TOKEN_KEY, make=lambda: secrets.token_urlsafe(32), now=now
            )
    return WebhookParameters(
        listen=listen,
        port=port,
        url_path=path,
        webhook_url=f"{base}/{path}",
        secret_token=secret_token,
    )


def _public_base(url: str) -> str:
    """The --webhook-url without a trailing slash; Telegram sends updates only over HTTPS."""
    parts = urlsplit(url.strip())
    if parts.scheme != "https" or not parts.hostname or parts.query or parts.fragment:
        raise ImsDomainError(
            f"--webhook-url {url!r} is not a public https:// address like https://bot.example.com"
        )
    return url.strip().rstrip("/")
