"""A local fake Telegram Bot API server and a harness that plays Telegram users.

A real :class:`telegram.ext.Application` is pointed at the fake with::

    async with FakeTelegram(token=TOKEN) as tg:
        app = tg.application_builder().build()   # token + base_url + base_file_url
        user = tg.user(user_id=101, first_name="Priya")
        ...                                      # start the app (see test_fake_telegram.py)
        await user.send("/start")
        message = await tg.wait_for(lambda: tg.last_message(101))
        await user.tap(message, "Accept")

The server (aiohttp, 127.0.0.1, a free port) answers ``/bot<token>/<method>`` the way the
Bot API does: form-encoded or multipart requests whose non-string parameters arrive
JSON-encoded, ``{"ok": true, "result": ...}`` answers with real-shaped Telegram objects and
``{"ok": false, "error_code": ..., "description": ...}`` errors with the HTTP status
python-telegram-bot maps to its exceptions (400 BadRequest, 401 InvalidToken, 403 Forbidden,
429 RetryAfter, 5xx NetworkError). Methods the fake lacks answer 400, never 404 (ptb reads 404
as a bad token). ptb strips "Bad Request: " from descriptions and capitalises the rest, so
match error messages case-insensitively.

Behaviour copied from the real Bot API because bot code trips over it:

* ``editMessageText`` without ``reply_markup`` removes the inline keyboard; an edit that
  changes nothing answers 400 "message is not modified".
* Text longer than 4096 characters (1024 for captions, both counted after HTML parsing),
  empty text, ``callback_data`` longer than 64 bytes and, for ``parse_mode="HTML"``,
  unsupported or unbalanced tags (``<br>``, ``<p>``, an unclosed ``<b>``) answer 400.
  MarkdownV2 is not validated.
* Sending to a chat the harness never created answers 400 "chat not found"; to a user who
  :meth:`FakeUser.block`-ed the bot, 403 "bot was blocked by the user"; to a group that
  :meth:`FakeBotApiServer.migrate_chat` upgraded to a supergroup, 400 with
  ``migrate_to_chat_id`` (ptb: ``ChatMigrated``).
* Answering an unknown callback query id answers 400 "query is too old".
* ``setWebhook`` is recorded in :attr:`FakeBotApiServer.webhook` (``deleteWebhook`` and a
  ``setWebhook`` without ``url`` clear it, ``getWebhookInfo`` reports it); while it is set,
  ``getUpdates`` answers 409 Conflict. The fake never posts updates to the webhook.

Faults for reliability tests: :meth:`FakeBotApiServer.fail_next` queues given errors;
:meth:`FakeBotApiServer.random_faults` makes chosen methods fail at random from a seed (429 with
``retry_after``, 500, a request held past the client's timeout, a connection dropped without an
answer), always before the request is processed, so a failed send delivered nothing. With
``hand_out_updates_once=True`` each update goes to one ``getUpdates`` caller only, as a load
balancer spreads webhook updates over several workers.

State for assertions lives on the server: :meth:`FakeBotApiServer.calls`,
:meth:`~FakeBotApiServer.messages`, :meth:`~FakeBotApiServer.last_message`,
:meth:`~FakeBotApiServer.documents`, :meth:`~FakeBotApiServer.answers_for`,
:attr:`~FakeBotApiServer.commands`. Sent message text is stored (and echoed back) exactly as
the bot sent it, markup included.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import mimetypes
import random
import time
from collections import Counter, defaultdict, deque
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from html.parser import HTMLParser
from types import TracebackType
from typing import Any, Self, TypeVar

from aiohttp import web
from telegram import Bot
from telegram.ext import Application, ApplicationBuilder, ContextTypes, ExtBot, JobQueue

__all__ = [
    "BOT_ID",
    "BOT_USERNAME",
    "FAULT_KINDS",
    "BotMessage",
    "Buttons",
    "Call",
    "CallbackAnswer",
    "DefaultApplication",
    "DefaultApplicationBuilder",
    "FakeBotApiServer",
    "FakeGroup",
    "FakeTelegram",
    "FakeUser",
    "MessageVersion",
    "SentFile",
    "UploadedFile",
    "UserMessage",
]

BOT_ID = 1000
BOT_USERNAME = "ims_test_bot"
DEFAULT_TOKEN = "123456:FAKE-telegram-token"

#: Inline keyboard as rows of ``(button text, callback_data or url)``.
Buttons = list[list[tuple[str, str | None]]]
JSON = dict[str, Any]
T = TypeVar("T")

#: ``ApplicationBuilder`` / ``Application`` with default context types (any rate limiter).
DefaultApplicationBuilder = ApplicationBuilder[
    ExtBot[Any],
    ContextTypes.DEFAULT_TYPE,
    dict[Any, Any],
    dict[Any, Any],
    dict[Any, Any],
    JobQueue[ContextTypes.DEFAULT_TYPE],
]
DefaultApplication = Application[
    ExtBot[Any],
    ContextTypes.DEFAULT_TYPE,
    dict[Any, Any],
    dict[Any, Any],
    dict[Any, Any],
    JobQueue[ContextTypes.DEFAULT_TYPE],
]

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64
MAX_DOWNLOAD = 20 * 1024 * 1024
#: Kinds of :meth:`FakeBotApiServer.random_faults`: 429 with retry_after, 500, a request held
#: past the client's read timeout, and a connection closed without an answer.
FAULT_KINDS = ("429", "500", "timeout", "drop")

#: Parameters that are strings in the Bot API; every other form value is JSON-decoded.
_STRING_PARAMS = frozenset(
    {
        "text",
        "caption",
        "parse_mode",
        "callback_query_id",
        "inline_message_id",
        "file_id",
        "url",
        "document",
        "photo",
        "audio",
        "video",
        "voice",
        "animation",
        "sticker",
        "thumbnail",
        "language_code",
        "emoji",
        "title",
        "description",
        "short_description",
        "name",
        "business_connection_id",
        "message_effect_id",
        "action",
        "secret_token",
        "ip_address",
        "query",
        "question",
        "explanation",
        "first_name",
        "last_name",
        "phone_number",
        "address",
    }
)

#: Tags Telegram accepts with ``parse_mode="HTML"``.
_HTML_TAGS = frozenset(
    {
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "span",
        "tg-spoiler",
        "a",
        "code",
        "pre",
        "blockquote",
        "tg-emoji",
    }
)


# --------------------------------------------------------------------------- records


@dataclass
class Call:
    """One request the bot made: method name as sent, decoded params and the HTTP status."""

    method: str
    params: dict[str, Any]
    token: str
    status: int = 200


@dataclass(frozen=True)
class UploadedFile:
    """A multipart file part as it appears in :attr:`Call.params`."""

    file_name: str | None
    data: bytes
    mime_type: str | None


@dataclass(frozen=True)
class MessageVersion:
    """One state of a bot message: the original send or an edit (``method`` says which)."""

    method: str
    text: str | None
    caption: str | None
    parse_mode: str | None
    reply_markup: Buttons


@dataclass(frozen=True)
class SentFile:
    """A document or photo the bot sent (``kind`` is ``"document"`` or ``"photo"``)."""

    kind: str
    chat_id: int
    message_id: int
    file_id: str
    file_unique_id: str
    file_name: str | None
    data: bytes
    mime_type: str | None
    caption: str | None
    parse_mode: str | None
    reply_markup: Buttons

    @property
    def size(self) -> int:
        """Size of the file in bytes."""
        return len(self.data)


@dataclass
class BotMessage:
    """A message the bot sent; ``text``/``caption``/``reply_markup`` are its current state.

    ``history`` holds every version, the original first; ``edits`` only the edits.
    """

    chat_id: int
    message_id: int
    date: int
    text: str | None
    caption: str | None
    parse_mode: str | None
    reply_markup: Buttons
    raw_reply_markup: JSON | None
    file: SentFile | None = None
    history: list[MessageVersion] = field(default_factory=list)
    deleted: bool = False
    edit_date: int | None = None

    @property
    def edits(self) -> list[MessageVersion]:
        """The versions produced by edits, oldest first."""
        return self.history[1:]

    @property
    def button_texts(self) -> list[str]:
        """Texts of all current buttons, row by row."""
        return [text for row in self.reply_markup for text, _ in row]

    def button(self, text: str) -> tuple[str, str | None]:
        """The current ``(text, callback_data or url)`` button with this text."""
        for row in self.reply_markup:
            for button in row:
                if button[0] == text:
                    return button
        raise LookupError(f"no button {text!r} on message {self.message_id}: {self.button_texts}")


@dataclass(frozen=True)
class CallbackAnswer:
    """An ``answerCallbackQuery`` call."""

    query_id: str
    text: str | None
    show_alert: bool
    url: str | None
    cache_time: int | None


@dataclass(frozen=True)
class UserMessage:
    """A message a fake user sent (queued as an update)."""

    chat_id: int
    message_id: int
    update_id: int
    text: str | None
    file_id: str | None = None


@dataclass(frozen=True)
class _StoredFile:
    file_id: str
    file_unique_id: str
    file_path: str
    data: bytes
    file_name: str | None
    mime_type: str | None


@dataclass(frozen=True)
class _Fault:
    status: int
    description: str
    retry_after: float | None


@dataclass
class _RandomFaults:
    """Seeded random faults for some methods; `injected` counts them by kind."""

    rng: random.Random
    rate: float
    methods: frozenset[str]
    kinds: tuple[str, ...]
    retry_after: float
    hold: float
    injected: Counter[str] = field(default_factory=Counter)

    def draw(self, method: str) -> str | None:
        """The fault this request gets, or None."""
        if method.lower() not in self.methods or self.rng.random() >= self.rate:
            return None
        kind = self.rng.choice(self.kinds)
        self.injected[kind] += 1
        return kind


class ApiError(Exception):
    """Raised by a method handler to answer an error the way the Bot API does."""

    def __init__(self, status: int, description: str, parameters: JSON | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters


def _bad_request(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


# --------------------------------------------------------------------------- helpers


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _decode_param(key: str, value: str) -> Any:
    if key in _STRING_PARAMS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


class _HtmlChecker(HTMLParser):
    """Checks Telegram-HTML tags and collects the visible text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.error: str | None = None
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.error:
            return
        if tag not in _HTML_TAGS:
            self.error = f'Unsupported start tag "{tag}"'
        elif tag == "span" and ("class", "tg-spoiler") not in attrs:
            self.error = 'Tag "span" must have class "tg-spoiler"'
        else:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if not self.error:
            self.stack.pop()

    def handle_endtag(self, tag: str) -> None:
        if self.error:
            return
        if not self.stack:
            self.error = f'Unexpected end tag "{tag}"'
        elif self.stack[-1] != tag:
            self.error = f'Unmatched end tag "{tag}", expected "</{self.stack[-1]}>"'
        else:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def _visible_text(text: str, parse_mode: str | None, *, strict_html: bool) -> str:
    """The text as Telegram would display it; raises 400 for HTML Telegram refuses."""
    if not parse_mode or parse_mode.upper() != "HTML":
        return text
    checker = _HtmlChecker()
    checker.feed(text)
    checker.close()
    if strict_html and checker.error is None and checker.stack:
        checker.error = f'Can\'t find end tag corresponding to start tag "{checker.stack[-1]}"'
    if strict_html and checker.error:
        raise _bad_request(f"can't parse entities: {checker.error}")
    return "".join(checker.parts)


def _parse_markup(raw: Any) -> tuple[Buttons, JSON | None]:
    """Turns a ``reply_markup`` param into button rows; validates inline keyboards."""
    if raw is None or raw == "":
        return [], None
    if isinstance(raw, str):
        raw = json.loads(raw)
    if not isinstance(raw, dict):
        raise _bad_request("can't parse reply keyboard markup JSON object")
    rows: Buttons = []
    if "inline_keyboard" in raw:
        for row in raw["inline_keyboard"]:
            out: list[tuple[str, str | None]] = []
            for button in row:
                data = button.get("callback_data")
                if data is not None and len(str(data).encode()) > MAX_CALLBACK_DATA:
                    raise _bad_request("BUTTON_DATA_INVALID")
                value = data if data is not None else button.get("url")
                if value is None and not (set(button) - {"text"}):
                    raise _bad_request(
                        "can't parse inline keyboard button: "
                        "Text buttons are unallowed in the inline keyboard"
                    )
                out.append((button["text"], value))
            rows.append(out)
    elif "keyboard" in raw:
        rows = [
            [(b["text"] if isinstance(b, dict) else str(b), None) for b in row]
            for row in raw["keyboard"]
        ]
    return rows, raw


# --------------------------------------------------------------------------- server


Handler = Callable[[dict[str, Any], dict[str, UploadedFile]], Awaitable[Any]]


class FakeBotApiServer:
    """An in-process fake of the Telegram Bot API with the state tests assert on."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        rejected_tokens: Iterable[str] = (),
        strict_html: bool = True,
        bot_id: int = BOT_ID,
        bot_username: str = BOT_USERNAME,
        hand_out_updates_once: bool = False,
    ) -> None:
        """Create the fake; :meth:`start` binds it to a free port on 127.0.0.1."""
        self.token = token
        self.hand_out_updates_once = hand_out_updates_once
        self.rejected_tokens: set[str] = set(rejected_tokens)
        self.strict_html = strict_html
        self.bot_user: JSON = {
            "id": bot_id,
            "is_bot": True,
            "first_name": "IMS Test Bot",
            "username": bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }
        #: Commands from ``setMyCommands`` by ``(scope JSON, language_code)``.
        self.commands_by_scope: dict[tuple[str, str], list[tuple[str, str]]] = {}
        #: Exceptions raised inside the fake itself (bugs in the fake); answered with 500.
        self.server_errors: list[BaseException] = []
        self._calls: list[Call] = []
        self._updates: list[JSON] = []
        self._update_ids = itertools.count(1)
        self._update_event = asyncio.Event()
        self._closing = False
        self._chats: dict[int, JSON] = {}
        self._blocked: set[int] = set()
        self._migrated: dict[int, int] = {}
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._bot_messages: dict[int, list[BotMessage]] = defaultdict(list)
        self._user_messages: dict[tuple[int, int], JSON] = {}
        self._deleted_user_messages: set[tuple[int, int]] = set()
        self._files: dict[str, _StoredFile] = {}
        self._files_by_path: dict[str, _StoredFile] = {}
        self._file_ids = itertools.count(1)
        self._sent_files: dict[int, list[SentFile]] = defaultdict(list)
        self._answers: list[CallbackAnswer] = []
        self._answers_by_query: dict[str, list[CallbackAnswer]] = defaultdict(list)
        self._answered: dict[str, asyncio.Event] = {}
        self._callback_queries: set[str] = set()
        self._query_ids = itertools.count(1)
        self._faults: dict[str, deque[_Fault]] = defaultdict(deque)
        self._random_faults: _RandomFaults | None = None
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        #: The parameters of the last ``setWebhook`` (None: no webhook, or deleted since).
        self.webhook: JSON | None = None
        self._methods: dict[str, Handler] = {
            "getme": self._get_me,
            "getupdates": self._get_updates,
            "setwebhook": self._set_webhook,
            "deletewebhook": self._delete_webhook,
            "getwebhookinfo": self._get_webhook_info,
            "setmycommands": self._set_my_commands,
            "getmycommands": self._get_my_commands,
            "deletemycommands": self._delete_my_commands,
            "setmydescription": self._true,
            "setmyshortdescription": self._true,
            "setchatmenubutton": self._true,
            "sendchataction": self._send_chat_action,
            "getchat": self._get_chat,
            "sendmessage": self._send_message,
            "editmessagetext": self._edit_message_text,
            "editmessagecaption": self._edit_message_caption,
            "editmessagereplymarkup": self._edit_message_reply_markup,
            "answercallbackquery": self._answer_callback_query,
            "senddocument": self._send_document,
            "sendphoto": self._send_photo,
            "getfile": self._get_file,
            "deletemessage": self._delete_message,
        }

    # ----------------------------------------------------------------- lifecycle

    async def start(self) -> None:
        """Start serving on 127.0.0.1 at a free port."""
        self._closing = False
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None, shutdown_timeout=1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        """Release held ``getUpdates`` requests and stop serving."""
        self._closing = True
        self._wake()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>`` of the running server."""
        if self._port is None:
            raise RuntimeError("the fake Telegram server is not started")
        return f"http://127.0.0.1:{self._port}"

    @property
    def base_url(self) -> str:
        """Value for ``ApplicationBuilder.base_url``."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        """Value for ``ApplicationBuilder.base_file_url``."""
        return f"{self.url}/file/bot"

    # ----------------------------------------------------------------- configuration

    def fail_next(
        self,
        method: str,
        status: int = 429,
        *,
        retry_after: float = 1,
        description: str | None = None,
        times: int = 1,
    ) -> None:
        """Make the next ``times`` calls of ``method`` fail with ``status``.

        429 carries ``parameters.retry_after`` (ptb raises ``RetryAfter``; floats are allowed
        here for fast tests), 403 defaults to "bot was blocked by the user" (``Forbidden``),
        5xx to "Internal Server Error" (``NetworkError``), 400 to ``BadRequest``.
        """
        if description is None:
            description = {
                400: "Bad Request: injected failure",
                401: "Unauthorized",
                403: "Forbidden: bot was blocked by the user",
                429: f"Too Many Requests: retry after {retry_after:g}",
            }.get(status, "Internal Server Error" if status >= 500 else "injected failure")
        fault = _Fault(status, description, retry_after if status == 429 else None)
        self._faults[method.lower()].extend([fault] * times)

    def random_faults(
        self,
        *,
        seed: int,
        rate: float,
        methods: Iterable[str] = ("sendMessage",),
        kinds: Iterable[str] = FAULT_KINDS,
        retry_after: float = 0.2,
        hold: float = 1.0,
    ) -> Counter[str]:
        """From now on, fail each call of `methods` with probability `rate`, drawn from `seed`.

        The kind is drawn from `kinds` (see :data:`FAULT_KINDS`); "timeout" holds the request
        `hold` seconds (give the client a shorter read timeout) and then answers 504 to nobody.
        Every fault comes before the request is processed: the message was not delivered.
        Returns the live count of faults injected, by kind; ``rate=0`` stops injecting.
        """
        chosen = tuple(kinds)
        unknown = set(chosen) - set(FAULT_KINDS)
        if unknown:
            raise ValueError(f"unknown fault kinds {sorted(unknown)}; known: {FAULT_KINDS}")
        self._random_faults = _RandomFaults(
            rng=random.Random(seed),
            rate=rate,
            methods=frozenset(m.lower() for m in methods),
            kinds=chosen,
            retry_after=retry_after,
            hold=hold,
        )
        return self._random_faults.injected

    def reject_token(self, token: str) -> None:
        """Answer 401 Unauthorized (ptb: ``InvalidToken``) to every request with ``token``."""
        self.rejected_tokens.add(token)

    def register_chat(self, chat: JSON) -> None:
        """Make a chat known so the bot may send to it (the harness does this)."""
        self._chats[int(chat["id"])] = chat

    def migrate_chat(self, chat_id: int, new_chat_id: int) -> None:
        """Upgrade a group to a supergroup with a new id; sends to the old id answer 400 with
        ``migrate_to_chat_id``, as Telegram does."""
        self.register_chat({**self._chats[chat_id], "id": new_chat_id, "type": "supergroup"})
        self._migrated[chat_id] = new_chat_id

    def set_blocked(self, chat_id: int, blocked: bool = True) -> None:
        """Answer 403 "bot was blocked by the user" to sends to ``chat_id``."""
        if blocked:
            self._blocked.add(chat_id)
        else:
            self._blocked.discard(chat_id)

    # ----------------------------------------------------------------- state for tests

    def calls(self, method: str | None = None) -> list[Call]:
        """Every call in order; ``getUpdates`` is left out unless asked for by name."""
        if method is None:
            return [c for c in self._calls if c.method.lower() != "getupdates"]
        return [c for c in self._calls if c.method.lower() == method.lower()]

    def messages(self, chat_id: int, *, include_deleted: bool = False) -> list[BotMessage]:
        """Messages the bot sent to ``chat_id`` (text, documents, photos) in order."""
        return [m for m in self._bot_messages.get(chat_id, []) if include_deleted or not m.deleted]

    def last_message(self, chat_id: int) -> BotMessage | None:
        """The bot's latest (undeleted) message to ``chat_id``, or None."""
        found = self.messages(chat_id)
        return found[-1] if found else None

    def message(self, chat_id: int, message_id: int) -> BotMessage:
        """The bot message with this id (deleted ones included)."""
        for message in self._bot_messages.get(chat_id, []):
            if message.message_id == message_id:
                return message
        raise LookupError(f"no bot message {message_id} in chat {chat_id}")

    def documents(self, chat_id: int) -> list[SentFile]:
        """Documents the bot sent to ``chat_id``."""
        return [f for f in self._sent_files.get(chat_id, []) if f.kind == "document"]

    def photos(self, chat_id: int) -> list[SentFile]:
        """Photos the bot sent to ``chat_id``."""
        return [f for f in self._sent_files.get(chat_id, []) if f.kind == "photo"]

    @property
    def answers(self) -> list[CallbackAnswer]:
        """All ``answerCallbackQuery`` calls in order."""
        return list(self._answers)

    def answers_for(self, query_id: str) -> list[CallbackAnswer]:
        """The answers to one callback query (a correct bot answers exactly once)."""
        return list(self._answers_by_query.get(query_id, ()))

    async def answer_of(self, query_id: str, timeout: float = 5.0) -> CallbackAnswer:
        """Wait (without polling) for the first answer to a callback query and return it."""
        if not self._answers_by_query.get(query_id):
            event = self._answered.setdefault(query_id, asyncio.Event())
            try:
                await asyncio.wait_for(event.wait(), timeout)
            except TimeoutError:
                message = f"callback query {query_id} unanswered after {timeout}s"
                raise AssertionError(message) from None
            finally:
                self._answered.pop(query_id, None)
        return self._answers_by_query[query_id][0]

    @property
    def commands(self) -> list[tuple[str, str]]:
        """``(command, description)`` from ``setMyCommands`` for the default scope."""
        return self.commands_by_scope.get((json.dumps({"type": "default"}), ""), [])

    @property
    def pending_updates(self) -> int:
        """Updates queued and not yet confirmed by the bot (through ``offset``)."""
        return len(self._updates)

    # ----------------------------------------------------------------- update queue

    def enqueue_update(self, payload: JSON) -> int:
        """Queue an update (``{"message": ...}`` etc.); returns its ``update_id``."""
        update_id = next(self._update_ids)
        self._updates.append({"update_id": update_id, **payload})
        self._wake()
        return update_id

    def _wake(self) -> None:
        self._update_event.set()
        self._update_event = asyncio.Event()

    def next_message_id(self, chat_id: int) -> int:
        """Allocate the next message id in a chat (users and bot share the sequence)."""
        counter = self._message_ids.setdefault(chat_id, itertools.count(1))
        return next(counter)

    def store_file(
        self, data: bytes, file_name: str | None, mime_type: str | None, folder: str
    ) -> _StoredFile:
        """Keep file bytes so ``getFile`` and the download URL serve them."""
        n = next(self._file_ids)
        suffix = ""
        if file_name and "." in file_name:
            suffix = "." + file_name.rsplit(".", 1)[1]
        stored = _StoredFile(
            file_id=f"BQACAgFAKE{n:06d}",
            file_unique_id=f"AgADFAKE{n:06d}",
            file_path=f"{folder}/file_{n}{suffix}",
            data=data,
            file_name=file_name,
            mime_type=mime_type,
        )
        self._files[stored.file_id] = stored
        self._files_by_path[stored.file_path] = stored
        return stored

    def store_user_message(self, message: JSON) -> None:
        """Remember a user's message (for ``reply_to_message`` and ``deleteMessage``)."""
        self._user_messages[(message["chat"]["id"], message["message_id"])] = message

    def user_message_json(self, chat_id: int, message_id: int) -> JSON:
        """The ``Message`` object of a message a fake user sent."""
        return self._user_messages[(chat_id, message_id)]

    def new_callback_query_id(self) -> str:
        """A fresh callback query id the bot may answer."""
        query_id = f"{4_000_000_000 + next(self._query_ids)}"
        self._callback_queries.add(query_id)
        return query_id

    def message_json(self, message: BotMessage) -> JSON:
        """The Telegram ``Message`` object for a bot message."""
        out: JSON = {
            "message_id": message.message_id,
            "date": message.date,
            "chat": self._chats[message.chat_id],
            "from": self.bot_user,
        }
        if message.text is not None:
            out["text"] = message.text
        if message.caption is not None:
            out["caption"] = message.caption
        if message.file is not None:
            if message.file.kind == "document":
                out["document"] = self._document_json(message.file.file_id)
            else:
                stored = self._files[message.file.file_id]
                out["photo"] = [
                    {
                        "file_id": stored.file_id,
                        "file_unique_id": stored.file_unique_id,
                        "width": 320,
                        "height": 320,
                        "file_size": len(stored.data),
                    }
                ]
        if message.raw_reply_markup and "inline_keyboard" in message.raw_reply_markup:
            out["reply_markup"] = message.raw_reply_markup
        if message.edit_date is not None:
            out["edit_date"] = message.edit_date
        return out

    def _document_json(self, file_id: str) -> JSON:
        stored = self._files[file_id]
        out: JSON = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
        }
        if stored.file_name is not None:
            out["file_name"] = stored.file_name
        if stored.mime_type is not None:
            out["mime_type"] = stored.mime_type
        return out

    def document_json(self, file_id: str) -> JSON:
        """The Telegram ``Document`` object for a stored file."""
        return self._document_json(file_id)

    # ----------------------------------------------------------------- HTTP

    @staticmethod
    def _error(status: int, description: str, parameters: JSON | None = None) -> web.Response:
        body: JSON = {"ok": False, "error_code": status, "description": description}
        if parameters:
            body["parameters"] = parameters
        return web.json_response(body, status=status)

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        if path.startswith("/file/bot"):
            return self._download(path.removeprefix("/file/bot"))
        if not path.startswith("/bot"):
            return web.json_response({"ok": False, "description": "Not Found"}, status=404)
        token, _, method = path.removeprefix("/bot").partition("/")
        params, files = await self._read_params(request)
        call = Call(method=method, params={**params, **files}, token=token)
        self._calls.append(call)
        if token in self.rejected_tokens:
            call.status = 401
            return self._error(401, "Unauthorized")
        faults = self._faults.get(method.lower())
        if faults:
            fault = faults.popleft()
            call.status = fault.status
            parameters = {"retry_after": fault.retry_after} if fault.retry_after else None
            return self._error(fault.status, fault.description, parameters)
        drawn = self._random_faults.draw(method) if self._random_faults else None
        if drawn is not None:
            return await self._random_fault(drawn, call, request)
        handler = self._methods.get(method.lower())
        if handler is None:
            call.status = 400
            return self._error(400, "method not supported by the fake")
        try:
            result = await handler(params, files)
        except ApiError as exc:
            call.status = exc.status
            return self._error(exc.status, exc.description, exc.parameters)
        except Exception as exc:  # a bug in the fake: surface it to the test
            self.server_errors.append(exc)
            call.status = 500
            return self._error(500, f"fake Telegram server error: {exc!r}")
        return web.json_response({"ok": True, "result": result})

    async def _random_fault(self, kind: str, call: Call, request: web.Request) -> web.Response:
        """Answer with an injected fault; nothing of the request is processed."""
        faults = self._random_faults
        assert faults is not None
        if kind == "429":
            call.status = 429
            return self._error(
                429,
                f"Too Many Requests: retry after {faults.retry_after:g}",
                {"retry_after": faults.retry_after},
            )
        if kind == "500":
            call.status = 500
            return self._error(500, "Internal Server Error")
        call.status = 0  # the client got no answer
        if kind == "timeout":
            await asyncio.sleep(faults.hold)  # the client gave up before this
            return self._error(504, "Gateway Timeout")
        assert request.transport is not None
        request.transport.close()  # "drop": the connection closes without an answer
        raise web.HTTPServiceUnavailable()  # never written: the transport is closed

    @staticmethod
    async def _read_params(request: web.Request) -> tuple[dict[str, Any], dict[str, UploadedFile]]:
        params: dict[str, Any] = {}
        files: dict[str, UploadedFile] = {}
        if request.content_type == "application/json":
            body = await request.json() if request.can_read_body else {}
            return dict(body or {}), files
        for key, value in (await request.post()).items():
            if isinstance(value, web.FileField):
                files[key] = UploadedFile(value.filename, value.file.read(), value.content_type)
            else:
                params[key] = _decode_param(key, str(value))
        return params, files

    def _download(self, rest: str) -> web.Response:
        token, _, file_path = rest.partition("/")
        if token in self.rejected_tokens:
            return self._error(401, "Unauthorized")
        stored = self._files_by_path.get(file_path)
        if stored is None:
            return self._error(404, "Not Found")
        return web.Response(body=stored.data, content_type="application/octet-stream")

    # ----------------------------------------------------------------- param helpers

    def _chat_id(self, params: Mapping[str, Any]) -> int:
        raw = params.get("chat_id")
        if raw is None or raw == "":
            raise _bad_request("chat_id is empty")
        try:
            chat_id = int(raw)
        except (TypeError, ValueError):
            raise _bad_request("chat not found") from None
        if chat_id not in self._chats:
            raise _bad_request("chat not found")
        if chat_id in self._blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if chat_id in self._migrated:
            raise ApiError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": self._migrated[chat_id]},
            )
        return chat_id

    def _target(self, params: Mapping[str, Any]) -> BotMessage:
        if params.get("inline_message_id"):
            raise _bad_request("inline messages are not supported by the fake")
        chat_id = self._chat_id(params)
        try:
            message_id = int(params["message_id"])
        except (KeyError, TypeError, ValueError):
            raise _bad_request("message identifier is not specified") from None
        for message in self._bot_messages.get(chat_id, []):
            if message.message_id == message_id and not message.deleted:
                return message
        if (chat_id, message_id) in self._user_messages:
            raise _bad_request("message can't be edited")
        raise _bad_request("message to edit not found")

    def _checked_text(self, text: Any, parse_mode: str | None) -> str:
        if not isinstance(text, str) or not text.strip():
            raise _bad_request("message text is empty")
        visible = _visible_text(text, parse_mode, strict_html=self.strict_html)
        if not visible.strip():
            raise _bad_request("message text is empty")
        if _utf16_len(visible) > MAX_TEXT:
            raise _bad_request("message is too long")
        return text

    def _checked_caption(self, caption: Any, parse_mode: str | None) -> str | None:
        if caption is None or caption == "":
            return None
        visible = _visible_text(str(caption), parse_mode, strict_html=self.strict_html)
        if _utf16_len(visible) > MAX_CAPTION:
            raise _bad_request("message caption is too long")
        return str(caption)

    def _add_bot_message(
        self,
        chat_id: int,
        method: str,
        *,
        text: str | None,
        caption: str | None,
        parse_mode: str | None,
        markup: tuple[Buttons, JSON | None],
        file: SentFile | None = None,
        message_id: int | None = None,
    ) -> BotMessage:
        buttons, raw = markup
        message = BotMessage(
            chat_id=chat_id,
            message_id=message_id if message_id is not None else self.next_message_id(chat_id),
            date=int(time.time()),
            text=text,
            caption=caption,
            parse_mode=parse_mode,
            reply_markup=buttons,
            raw_reply_markup=raw,
            file=file,
        )
        message.history.append(MessageVersion(method, text, caption, parse_mode, buttons))
        self._bot_messages[chat_id].append(message)
        return message

    # ----------------------------------------------------------------- methods

    async def _true(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> bool:
        if params.get("drop_pending_updates") is True:
            self._updates.clear()
        return True

    async def _get_me(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> JSON:
        return self.bot_user

    async def _set_webhook(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> bool:
        if not params.get("url"):
            return await self._delete_webhook(params, files)
        self.webhook = dict(params)
        return await self._true(params, files)

    async def _delete_webhook(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> bool:
        self.webhook = None
        return await self._true(params, files)

    async def _get_webhook_info(
        self, params: dict[str, Any], files: dict[str, UploadedFile]
    ) -> JSON:
        webhook = self.webhook or {}
        return {
            "url": webhook.get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
            "max_connections": int(webhook.get("max_connections") or 40),
        }

    async def _get_updates(
        self, params: dict[str, Any], files: dict[str, UploadedFile]
    ) -> list[JSON]:
        if self.webhook is not None:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = params.get("offset")
        if isinstance(offset, int) and offset > 0:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        limit = int(params.get("limit") or 100)
        timeout = float(params.get("timeout") or 0)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            if self._updates or self._closing:
                handed = self._updates[:limit]
                if self.hand_out_updates_once:
                    del self._updates[:limit]
                return handed
            remaining = deadline - loop.time()
            if remaining <= 0:
                return []
            event = self._update_event
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), remaining)

    @staticmethod
    def _scope_key(params: Mapping[str, Any]) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        return json.dumps(scope, sort_keys=True), str(params.get("language_code") or "")

    async def _set_my_commands(
        self, params: dict[str, Any], files: dict[str, UploadedFile]
    ) -> bool:
        commands = params.get("commands") or []
        self.commands_by_scope[self._scope_key(params)] = [
            (c["command"], c["description"]) for c in commands
        ]
        return True

    async def _get_my_commands(
        self, params: dict[str, Any], files: dict[str, UploadedFile]
    ) -> list[JSON]:
        stored = self.commands_by_scope.get(self._scope_key(params), [])
        return [{"command": c, "description": d} for c, d in stored]

    async def _delete_my_commands(
        self, params: dict[str, Any], files: dict[str, UploadedFile]
    ) -> bool:
        self.commands_by_scope.pop(self._scope_key(params), None)
        return True

    async def _send_chat_action(
        self, params: dict[str, Any], files: dict[str, UploadedFile]
    ) -> bool:
        self._chat_id(params)
        return True

    async def _get_chat(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> JSON:
        return {
            **self._chats[self._chat_id(params)],
            "accent_color_id": 0,
            "max_reaction_count": 11,
        }

    async def _send_message(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> JSON:
        chat_id = self._chat_id(params)
        parse_mode = params.get("parse_mode") or None
        text = self._checked_text(params.get("text"), parse_mode)
        markup = _parse_markup(params.get("reply_markup"))
        message = self._add_bot_message(
            chat_id, "sendMessage", text=text, caption=None, parse_mode=parse_mode, markup=markup
        )
        return self.message_json(message)

    def _apply_edit(
        self,
        message: BotMessage,
        method: str,
        *,
        text: str | None,
        caption: str | None,
        parse_mode: str | None,
        markup: tuple[Buttons, JSON | None],
    ) -> JSON:
        buttons, raw = markup
        if (text, caption, raw) == (message.text, message.caption, message.raw_reply_markup):
            raise _bad_request(
                "message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message"
            )
        message.text, message.caption, message.parse_mode = text, caption, parse_mode
        message.reply_markup, message.raw_reply_markup = buttons, raw
        message.edit_date = int(time.time())
        message.history.append(MessageVersion(method, text, caption, parse_mode, buttons))
        return self.message_json(message)

    async def _edit_message_text(
        self, params: dict[str, Any], files: dict[str, UploadedFile]
    ) -> JSON:
        message = self._target(params)
        if message.text is None:
            raise _bad_request("there is no text in the message to edit")
        parse_mode = params.get("parse_mode") or None
        text = self._checked_text(params.get("text"), parse_mode)
        return self._apply_edit(
            message,
            "editMessageText",
            text=text,
            caption=None,
            parse_mode=parse_mode,
            markup=_parse_markup(params.get("reply_markup")),
        )

    async def _edit_message_caption(
        self, params: dict[str, Any], files: dict[str, UploadedFile]
    ) -> JSON:
        message = self._target(params)
        if message.file is None:
            raise _bad_request("there is no caption in the message to edit")
        parse_mode = params.get("parse_mode") or None
        return self._apply_edit(
            message,
            "editMessageCaption",
            text=None,
            caption=self._checked_caption(params.get("caption"), parse_mode),
            parse_mode=parse_mode,
            markup=_parse_markup(params.get("reply_markup")),
        )

    async def _edit_message_reply_markup(
        self, params: dict[str, Any], files: dict[str, UploadedFile]
    ) -> JSON:
        message = self._target(params)
        return self._apply_edit(
            message,
            "editMessageReplyMarkup",
            text=message.text,
            caption=message.caption,
            parse_mode=message.parse_mode,
            markup=_parse_markup(params.get("reply_markup")),
        )

    async def _answer_callback_query(
        self, params: dict[str, Any], files: dict[str, UploadedFile]
    ) -> bool:
        query_id = str(params.get("callback_query_id") or "")
        if query_id not in self._callback_queries:
            raise _bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        cache_time = params.get("cache_time")
        answer = CallbackAnswer(
            query_id=query_id,
            text=params.get("text"),
            show_alert=bool(params.get("show_alert", False)),
            url=params.get("url"),
            cache_time=int(cache_time) if cache_time is not None else None,
        )
        self._answers.append(answer)
        self._answers_by_query[query_id].append(answer)
        if query_id in self._answered:
            self._answered[query_id].set()
        return True

    async def _send_file(
        self, kind: str, params: dict[str, Any], files: dict[str, UploadedFile]
    ) -> JSON:
        chat_id = self._chat_id(params)
        upload = files.get(kind)
        if upload is not None:
            mime = upload.mime_type
            if kind == "document" and (not mime or mime == "application/octet-stream"):
                mime = mimetypes.guess_type(upload.file_name or "")[0] or mime
            stored = self.store_file(upload.data, upload.file_name, mime, f"{kind}s")
        else:
            stored_or_none = self._files.get(str(params.get(kind) or ""))
            if stored_or_none is None:
                raise _bad_request("wrong file identifier/HTTP URL specified")
            stored = stored_or_none
        if not stored.data:
            raise _bad_request("file must be non-empty")
        parse_mode = params.get("parse_mode") or None
        caption = self._checked_caption(params.get("caption"), parse_mode)
        buttons, raw = _parse_markup(params.get("reply_markup"))
        message_id = self.next_message_id(chat_id)
        sent = SentFile(
            kind=kind,
            chat_id=chat_id,
            message_id=message_id,
            file_id=stored.file_id,
            file_unique_id=stored.file_unique_id,
            file_name=stored.file_name,
            data=stored.data,
            mime_type=stored.mime_type,
            caption=caption,
            parse_mode=parse_mode,
            reply_markup=buttons,
        )
        self._sent_files[chat_id].append(sent)
        message = self._add_bot_message(
            chat_id,
            "sendDocument" if kind == "document" else "sendPhoto",
            text=None,
            caption=caption,
            parse_mode=parse_mode,
            markup=(buttons, raw),
            file=sent,
            message_id=message_id,
        )
        return self.message_json(message)

    async def _send_document(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> JSON:
        return await self._send_file("document", params, files)

    async def _send_photo(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> JSON:
        return await self._send_file("photo", params, files)

    async def _get_file(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> JSON:
        stored = self._files.get(str(params.get("file_id") or ""))
        if stored is None:
            raise _bad_request("wrong file_id or the file is temporarily unavailable")
        if len(stored.data) > MAX_DOWNLOAD:
            raise _bad_request("file is too big")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
            "file_path": stored.file_path,
        }

    async def _delete_message(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> bool:
        chat_id = self._chat_id(params)
        message_id = int(params.get("message_id") or 0)
        for message in self._bot_messages.get(chat_id, []):
            if message.message_id == message_id and not message.deleted:
                message.deleted = True
                return True
        key = (chat_id, message_id)
        if key in self._user_messages and key not in self._deleted_user_messages:
            self._deleted_user_messages.add(key)
            return True
        raise _bad_request("message to delete not found")


# --------------------------------------------------------------------------- harness


@dataclass
class FakeGroup:
    """A group chat; users post in it with ``user.send(text, chat=group)``."""

    tg: FakeTelegram
    chat_id: int
    title: str
    type: str = "group"

    @property
    def chat_json(self) -> JSON:
        """The Telegram ``Chat`` object."""
        return {"id": self.chat_id, "type": self.type, "title": self.title}

    def messages(self) -> list[BotMessage]:
        """Messages the bot sent to this group."""
        return self.tg.messages(self.chat_id)

    def last_message(self) -> BotMessage | None:
        """The bot's latest message to this group."""
        return self.tg.last_message(self.chat_id)


@dataclass
class FakeUser:
    """A Telegram user talking to the bot in a private chat (or in a :class:`FakeGroup`)."""

    tg: FakeTelegram
    user_id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = "en"

    @property
    def chat_id(self) -> int:
        """The private chat's id (equal to the user id, as in Telegram)."""
        return self.user_id

    @property
    def user_json(self) -> JSON:
        """The Telegram ``User`` object."""
        out: JSON = {"id": self.user_id, "is_bot": False, "first_name": self.first_name}
        if self.last_name:
            out["last_name"] = self.last_name
        if self.username:
            out["username"] = self.username
        if self.language_code:
            out["language_code"] = self.language_code
        return out

    @property
    def chat_json(self) -> JSON:
        """The Telegram ``Chat`` object of the private chat."""
        out: JSON = {"id": self.user_id, "type": "private", "first_name": self.first_name}
        if self.last_name:
            out["last_name"] = self.last_name
        if self.username:
            out["username"] = self.username
        return out

    def messages(self) -> list[BotMessage]:
        """Messages the bot sent to this user's private chat."""
        return self.tg.messages(self.user_id)

    def last_message(self) -> BotMessage | None:
        """The bot's latest message in this user's private chat."""
        return self.tg.last_message(self.user_id)

    def block(self) -> None:
        """Block the bot: its sends to this user answer 403 from now on."""
        self.tg.set_blocked(self.user_id, True)

    def unblock(self) -> None:
        """Unblock the bot."""
        self.tg.set_blocked(self.user_id, False)

    async def _post(self, chat: FakeGroup | None, content: JSON, reply_to: Any) -> UserMessage:
        chat_json = chat.chat_json if chat is not None else self.chat_json
        chat_id = int(chat_json["id"])
        message: JSON = {
            "message_id": self.tg.next_message_id(chat_id),
            "date": int(time.time()),
            "chat": chat_json,
            "from": self.user_json,
            **content,
        }
        if isinstance(reply_to, BotMessage):
            message["reply_to_message"] = self.tg.message_json(reply_to)
        elif isinstance(reply_to, UserMessage):
            message["reply_to_message"] = self.tg.user_message_json(chat_id, reply_to.message_id)
        self.tg.store_user_message(message)
        update_id = self.tg.enqueue_update({"message": message})
        await asyncio.sleep(0)
        document = content.get("document")
        return UserMessage(
            chat_id=chat_id,
            message_id=message["message_id"],
            update_id=update_id,
            text=content.get("text"),
            file_id=document["file_id"] if document else None,
        )

    async def send(
        self,
        text: str,
        *,
        chat: FakeGroup | None = None,
        reply_to: BotMessage | UserMessage | None = None,
    ) -> UserMessage:
        """Send ``text``; a leading ``/command`` gets a ``bot_command`` entity."""
        content: JSON = {"text": text}
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            content["entities"] = [
                {"type": "bot_command", "offset": 0, "length": _utf16_len(command)}
            ]
        return await self._post(chat, content, reply_to)

    async def reply(
        self,
        text: str,
        *,
        chat: FakeGroup | None = None,
        reply_to: BotMessage | UserMessage | None = None,
    ) -> UserMessage:
        """Send plain text (no entities), optionally as a reply to a message."""
        return await self._post(chat, {"text": text}, reply_to)

    async def send_document(
        self,
        data: bytes,
        file_name: str = "ims.json",
        caption: str | None = None,
        *,
        mime_type: str | None = None,
        chat: FakeGroup | None = None,
    ) -> UserMessage:
        """Send a file; the bot can ``getFile`` and download it."""
        mime = mime_type or mimetypes.guess_type(file_name)[0] or "application/octet-stream"
        stored = self.tg.store_file(data, file_name, mime, "documents")
        content: JSON = {"document": self.tg.document_json(stored.file_id)}
        if caption is not None:
            content["caption"] = caption
        return await self._post(chat, content, None)

    async def tap(self, message: BotMessage, button_text: str) -> str:
        """Press the inline button with this text; returns the callback query id."""
        if message.raw_reply_markup is None or "inline_keyboard" not in message.raw_reply_markup:
            raise LookupError(f"message {message.message_id} has no inline keyboard")
        matches = [
            b
            for row in message.raw_reply_markup["inline_keyboard"]
            for b in row
            if b.get("text") == button_text
        ]
        if not matches:
            raise LookupError(
                f"no button {button_text!r} on message {message.message_id}: {message.button_texts}"
            )
        if len(matches) > 1:
            raise LookupError(f"{len(matches)} buttons {button_text!r}: use tap_data()")
        data = matches[0].get("callback_data")
        if data is None:
            raise ValueError(f"button {button_text!r} is not a callback button: {matches[0]}")
        return await self.tap_data(message, data)

    async def tap_data(self, message: BotMessage, data: str) -> str:
        """Send a callback query with raw ``data`` (forged data allowed); returns its id."""
        if message.deleted:
            raise LookupError(f"message {message.message_id} was deleted")
        query_id = self.tg.new_callback_query_id()
        self.tg.enqueue_update(
            {
                "callback_query": {
                    "id": query_id,
                    "from": self.user_json,
                    "message": self.tg.message_json(message),
                    "chat_instance": f"{abs(message.chat_id) * 7919}",
                    "data": data,
                }
            }
        )
        await asyncio.sleep(0)
        return query_id


class FakeTelegram(FakeBotApiServer):
    """The fake server plus the harness: users, groups and waiting on the server state.

    ``async with FakeTelegram(token=...) as tg:`` starts and stops the server. Stop the
    Application before leaving the block.
    """

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        rejected_tokens: Iterable[str] = (),
        strict_html: bool = True,
        bot_id: int = BOT_ID,
        bot_username: str = BOT_USERNAME,
        hand_out_updates_once: bool = False,
    ) -> None:
        """Create the harness (the server starts on ``__aenter__``)."""
        super().__init__(
            token,
            rejected_tokens=rejected_tokens,
            strict_html=strict_html,
            bot_id=bot_id,
            bot_username=bot_username,
            hand_out_updates_once=hand_out_updates_once,
        )
        self._users: dict[int, FakeUser] = {}
        self._groups: dict[int, FakeGroup] = {}

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()
        if exc is None and self.server_errors:
            raise AssertionError(f"the fake Telegram server failed: {self.server_errors!r}")

    def user(
        self,
        user_id: int = 101,
        first_name: str = "Priya",
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "en",
    ) -> FakeUser:
        """A user with a private chat the bot may write to (same id: same user)."""
        if user_id in self._users:
            return self._users[user_id]
        user = FakeUser(self, user_id, first_name, last_name, username, language_code)
        self._users[user_id] = user
        self.register_chat(user.chat_json)
        return user

    def group(
        self, chat_id: int = -500, title: str = "Acme accounts", *, type: str = "group"
    ) -> FakeGroup:
        """A group (or ``type="supergroup"``) chat the bot is a member of."""
        if chat_id in self._groups:
            return self._groups[chat_id]
        group = FakeGroup(self, chat_id, title, type)
        self._groups[chat_id] = group
        self.register_chat(group.chat_json)
        return group

    def application_builder(self, token: str | None = None) -> DefaultApplicationBuilder:
        """``ApplicationBuilder`` with token, ``base_url`` and ``base_file_url`` set."""
        return (
            ApplicationBuilder()
            .token(token or self.token)
            .base_url(self.base_url)
            .base_file_url(self.base_file_url)
        )

    def make_bot(self, token: str | None = None) -> Bot:
        """A bare ``telegram.Bot`` talking to the fake (use as ``async with``)."""
        return Bot(token or self.token, base_url=self.base_url, base_file_url=self.base_file_url)

    async def wait_for(
        self,
        predicate: Callable[[], T | None],
        timeout: float = 5.0,
        *,
        interval: float = 0.005,
        description: str | None = None,
    ) -> T:
        """Poll ``predicate`` until it returns something truthy and return that value.

        A ``LookupError`` (``IndexError``/``KeyError``) from the predicate counts as "not
        yet". On timeout an ``AssertionError`` lists the latest bot calls.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            with contextlib.suppress(LookupError):
                value = predicate()
                if value:
                    return value
            if self.server_errors:
                raise AssertionError(f"the fake Telegram server failed: {self.server_errors!r}")
            if loop.time() >= deadline:
                recent = [(c.method, c.status, c.params) for c in self.calls()[-8:]]
                what = description or getattr(predicate, "__name__", "condition")
                raise AssertionError(
                    f"timed out after {timeout}s waiting for {what}; latest bot calls: {recent}"
                )
            await asyncio.sleep(interval)
