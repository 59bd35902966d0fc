"""Keeping secrets (the bot token, the webhook secret) out of every log line.

The token is part of every Bot API URL, so python-telegram-bot and httpx put it in log lines
(ptb logs its API URL at DEBUG, httpx each request URL at INFO) and in exception texts.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote

REDACTED = "[REDACTED]"
# Loggers of the libraries that see the token; they have no handlers of their own today, but a
# handler added to one of them later must redact too.
LIBRARY_LOGGERS = ("telegram", "httpx", "httpcore", "tornado", "apscheduler")
_FORMATTER = logging.Formatter()


class SecretFilter(logging.Filter):
    """Replaces each secret (also URL-encoded) with [REDACTED] in a record's text."""

    def __init__(self, *secrets: str) -> None:
        super().__init__()
        self._spellings: list[str] = []
        for secret in secrets:
            self.add(secret)

    def add(self, secret: str) -> None:
        """Redact `secret` from now on."""
        spellings = {secret, quote(secret, safe=""), quote(secret, safe="").replace("%3A", "%3a")}
        # A bot token is "<bot id>:<secret part>"; the bot id is public, the part after the colon
        # is what must never leak, whatever was done to the colon (encoded, split off).
        _, _, private = secret.partition(":")
        if len(private) >= 8:
            spellings.add(private)
        self._spellings = sorted(
            {*self._spellings, *(s for s in spellings if s)}, key=len, reverse=True
        )

    def redact(self, text: str) -> str:
        """`text` with every secret replaced."""
        for spelling in self._spellings:
            text = text.replace(spelling, REDACTED)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the message, its arguments and the traceback text; never drop the record."""
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: the handler reports it, without the secret
            message = f"{record.msg} {record.args}"
        redacted = self.redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info:
            # The formatted traceback replaces the exception itself, whose text may hold the
            # secret: formatters print exc_text when it is set.
            record.exc_text = _FORMATTER.formatException(record.exc_info)
            record.exc_info = None
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


def _handlers() -> list[logging.Handler]:
    loggers = [logging.getLogger(), *(logging.getLogger(name) for name in LIBRARY_LOGGERS)]
    return [handler for logger in loggers for handler in logger.handlers]


@contextmanager
def redacted_logging(*secrets: str) -> Iterator[SecretFilter]:
    """Install a SecretFilter on every handler of the root and the libraries' loggers for the
    block (their records reach the root's handlers: propagation is switched on)."""
    secret_filter = SecretFilter(*secrets)
    handlers = _handlers()
    for name in LIBRARY_LOGGERS:
        logging.getLogger(name).propagate = True
    for handler in handlers:
        handler.addFilter(secret_filter)
    try:
        yield secret_filter
    finally:
        for handler in handlers:
            handler.removeFilter(secret_filter)
