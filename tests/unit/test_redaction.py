"""The bot token never reaches a log line: message, arguments, traceback, URL-encoded or not."""

from __future__ import annotations

import logging
import sys
from urllib.parse import quote

import httpx
import pytest
from telegram import Bot
from telegram.error import InvalidToken

from ims_cli.redaction import REDACTED, SecretFilter, redacted_logging

TOKEN = "7654321987:AAHq3kZ-secretPart_0123456789abcdefXYZ"
SECRET_PART = TOKEN.split(":", 1)[1]


def leaks(text: str) -> list[str]:
    """Every spelling of the token found in `text`."""
    spellings = {TOKEN, quote(TOKEN, safe=""), quote(TOKEN, safe="").lower(), SECRET_PART}
    return [spelling for spelling in spellings if spelling in text]


def record_with_token() -> logging.LogRecord:
    url = httpx.URL(f"https://api.telegram.org/bot{quote(TOKEN, safe='')}/getMe")
    try:
        raise InvalidToken(f"The token `{TOKEN}` was rejected by the server.")
    except InvalidToken:
        exc_info = sys.exc_info()
    return logging.LogRecord(
        name="telegram.ext.Application",
        level=logging.ERROR,
        pathname=__file__,
        lineno=1,
        msg=f"Calling bot{TOKEN}/getMe: %s %s",
        args=(url, f"token={TOKEN}"),
        exc_info=exc_info,
    )


def test_the_token_is_redacted_from_message_args_and_traceback() -> None:
    record = record_with_token()
    assert leaks(logging.Formatter().format(record_with_token()))  # the record does hold it

    assert SecretFilter(TOKEN).filter(record) is True
    line = logging.Formatter("%(levelname)s %(name)s: %(message)s").format(record)

    assert leaks(line) == []
    assert line.startswith(
        "ERROR telegram.ext.Application: Calling bot[REDACTED]/getMe: "
        "https://api.telegram.org/bot[REDACTED]/getMe token=[REDACTED]\nTraceback"
    )
    assert "InvalidToken: The token `[REDACTED]` was rejected by the server." in line


def test_a_record_without_a_secret_is_left_as_it_is() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "sent %d messages", (3,), None)
    SecretFilter(TOKEN).filter(record)
    assert (record.msg, record.args) == ("sent %d messages", (3,))


def test_libraries_log_through_the_filter_while_it_is_installed(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    with redacted_logging(TOKEN) as secrets:
        secrets.add("webhook-secret-value")
        Bot(TOKEN)  # python-telegram-bot logs its API URL, token included, at DEBUG
        logging.getLogger("httpx").warning("HTTP Request: %s", f"/bot{TOKEN}/getMe")
        logging.getLogger("telegram.ext").info("secret is %s", "webhook-secret-value")
    logging.getLogger("httpx").warning("after: %s", "no filter now")

    assert "Set Bot API URL: https://api.telegram.org/bot[REDACTED]" in caplog.text
    assert "HTTP Request: /bot[REDACTED]/getMe" in caplog.text
    assert "secret is [REDACTED]" in caplog.text
    assert leaks(caplog.text) == []
    assert "webhook-secret-value" not in caplog.text
    assert all(REDACTED not in record.getMessage() for record in caplog.records[-1:])
