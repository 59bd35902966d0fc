"""The fake Telegram server against a real python-telegram-bot Application and a bare Bot."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from telegram import (
    Bot,
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Update,
)
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.ext import (
    AIORateLimiter,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)
from telegram.request import HTTPXRequest

from tests.e2e.fake_telegram import (
    BOT_USERNAME,
    FAULT_KINDS,
    DefaultApplication,
    DefaultApplicationBuilder,
    FakeTelegram,
)

TOKEN = "123456:TEST-token-for-the-fake"
REJECTED_TOKEN = "999999:REVOKED-token"

KEYBOARD = InlineKeyboardMarkup(
    [
        [
            InlineKeyboardButton("Accept", callback_data="accept:1"),
            InlineKeyboardButton("Reject", callback_data="reject:1"),
        ],
        [InlineKeyboardButton("Help", url="https://example.com/help")],
    ]
)


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/start [payload]: greets with an inline keyboard."""
    assert update.effective_message is not None
    payload = " ".join(context.args or [])
    await update.effective_message.reply_text(
        f"Welcome <b>{payload or 'there'}</b>", parse_mode="HTML", reply_markup=KEYBOARD
    )


async def export(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/export: sends a document with a caption and a button."""
    assert update.effective_message is not None
    await update.effective_message.reply_document(
        b"gstin,amount\n29ABCDE1234F1Z5,1180\n",
        filename="report.csv",
        caption="Your report",
        reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("Done", callback_data="done")]]),
    )


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answers the query and edits the message in place."""
    query = update.callback_query
    assert query is not None
    await query.answer(text=f"Got {query.data}", show_alert=query.data == "reject:1")
    await query.edit_message_text(f"You chose {query.data}")


async def on_document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Downloads the document and replies with its size."""
    message = update.message
    assert message is not None and message.document is not None
    data = await (await message.document.get_file()).download_as_bytearray()
    await message.reply_text(f"{message.document.file_name}: {len(data)} bytes")


async def set_commands(app: DefaultApplication) -> None:
    """post_init: publishes the command menu."""
    await app.bot.set_my_commands([BotCommand("start", "Start"), BotCommand("export", "Export")])


def build_app(builder: DefaultApplicationBuilder) -> DefaultApplication:
    """The demo bot used by these tests."""
    app = builder.post_init(set_commands).build()
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CommandHandler("export", export))
    app.add_handler(CallbackQueryHandler(on_button))
    app.add_handler(MessageHandler(filters.Document.ALL, on_document))
    return app


@asynccontextmanager
async def running(app: DefaultApplication) -> AsyncIterator[list[BaseException]]:
    """Runs ``app`` with polling; yields the list of errors its handlers raised."""
    errors: list[BaseException] = []

    async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert context.error is not None
        errors.append(context.error)

    app.add_error_handler(on_error)
    async with app:  # initialize()/shutdown(); the post_* hooks only run_polling() calls
        if app.post_init:
            await app.post_init(app)
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=1)
        try:
            yield errors
        finally:
            await app.updater.stop()
            await app.stop()
            if app.post_stop:
                await app.post_stop(app)
    if app.post_shutdown:
        await app.post_shutdown(app)


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    """A fresh fake Telegram per test."""
    async with FakeTelegram(token=TOKEN, rejected_tokens={REJECTED_TOKEN}) as fake:
        yield fake


@pytest.fixture
async def bot_errors(tg: FakeTelegram) -> AsyncIterator[list[BaseException]]:
    """The demo bot running against ``tg``; yields the handler errors (tests assert none)."""
    async with running(build_app(tg.application_builder())) as errors:
        yield errors


# --------------------------------------------------------------------------- with an app


async def test_start_replies_with_inline_keyboard(
    tg: FakeTelegram, bot_errors: list[BaseException]
) -> None:
    user = tg.user(user_id=101, first_name="Priya")

    await user.send("/start abc123")
    reply = await tg.wait_for(lambda: tg.last_message(101))

    assert reply.text == "Welcome <b>abc123</b>"
    assert reply.parse_mode == "HTML"
    assert reply.reply_markup == [
        [("Accept", "accept:1"), ("Reject", "reject:1")],
        [("Help", "https://example.com/help")],
    ]
    assert reply.button("Accept") == ("Accept", "accept:1")
    assert [c.method for c in tg.calls()][:3] == ["getMe", "setMyCommands", "deleteWebhook"]
    send = tg.calls("sendMessage")[0]
    assert send.params["chat_id"] == 101
    assert tg.commands == [("start", "Start"), ("export", "Export")]
    assert bot_errors == []


async def test_tap_answers_query_and_edits_message_in_place(
    tg: FakeTelegram, bot_errors: list[BaseException]
) -> None:
    user = tg.user()
    await user.send("/start")
    menu = await tg.wait_for(lambda: tg.last_message(user.chat_id))

    query_id = await user.tap(menu, "Accept")
    await tg.wait_for(lambda: menu.edits)

    answers = tg.answers_for(query_id)
    assert len(answers) == 1
    assert answers[0].text == "Got accept:1"
    assert answers[0].show_alert is False
    assert tg.messages(user.chat_id) == [menu]
    assert menu.text == "You chose accept:1"
    assert menu.reply_markup == []  # editMessageText without reply_markup drops the keyboard
    assert [v.method for v in menu.history] == ["sendMessage", "editMessageText"]
    assert menu.history[0].reply_markup[0][0] == ("Accept", "accept:1")
    with pytest.raises(LookupError):
        await user.tap(menu, "Reject")
    assert bot_errors == []


async def test_forged_callback_data_reaches_the_bot(
    tg: FakeTelegram, bot_errors: list[BaseException]
) -> None:
    user = tg.user()
    await user.send("/start")
    menu = await tg.wait_for(lambda: tg.last_message(user.chat_id))

    query_id = await user.tap_data(menu, "reject:1")
    answers = await tg.wait_for(lambda: tg.answers_for(query_id))

    assert answers[0].show_alert is True
    await tg.wait_for(lambda: menu.text == "You chose reject:1")
    assert bot_errors == []


async def test_document_is_downloaded_and_size_replied(
    tg: FakeTelegram, bot_errors: list[BaseException]
) -> None:
    user = tg.user()
    payload = b'{"invoices": []}' * 100

    sent = await user.send_document(payload, file_name="ims.json")
    reply = await tg.wait_for(lambda: tg.last_message(user.chat_id))

    assert reply.text == f"ims.json: {len(payload)} bytes"
    assert [c.params["file_id"] for c in tg.calls("getFile")] == [sent.file_id]
    assert bot_errors == []


async def test_bot_document_is_recorded(tg: FakeTelegram, bot_errors: list[BaseException]) -> None:
    user = tg.user()
    await user.send("/export")
    document = (await tg.wait_for(lambda: tg.documents(user.chat_id)))[0]

    assert document.file_name == "report.csv"
    assert document.data.startswith(b"gstin,amount")
    assert document.caption == "Your report"
    assert document.reply_markup == [[("Done", "done")]]
    message = tg.last_message(user.chat_id)
    assert message is not None and message.file == document and message.text is None
    assert bot_errors == []


async def test_group_command_with_bot_username(
    tg: FakeTelegram, bot_errors: list[BaseException]
) -> None:
    group = tg.group(chat_id=-500, title="Acme accounts")
    user = tg.user()

    await user.send(f"/start@{BOT_USERNAME} q1", chat=group)
    reply = await tg.wait_for(group.last_message)

    assert reply.text == "Welcome <b>q1</b>"
    assert tg.messages(user.chat_id) == []
    assert bot_errors == []


async def test_rate_limit_is_retried_once(
    tg: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "1")
    limiter = AIORateLimiter(max_retries=1, overall_max_rate=0, group_max_rate=0)
    app = build_app(tg.application_builder().rate_limiter(limiter))
    tg.fail_next("sendMessage", status=429, retry_after=1)
    user = tg.user()

    async with running(app) as errors:
        await user.send("/start")
        await tg.wait_for(lambda: tg.last_message(user.chat_id), timeout=5)

    assert len(tg.messages(user.chat_id)) == 1
    assert [c.status for c in tg.calls("sendMessage")] == [429, 200]
    assert errors == []


@pytest.mark.parametrize(
    ("status", "error"),
    [(403, Forbidden), (500, NetworkError), (400, BadRequest)],
)
async def test_injected_failures_reach_the_error_handler(
    tg: FakeTelegram, status: int, error: type[Exception]
) -> None:
    tg.fail_next("sendMessage", status=status)
    user = tg.user()

    async with running(build_app(tg.application_builder())) as errors:
        await user.send("/start")
        await tg.wait_for(lambda: errors)
        await user.send("/start")
        await tg.wait_for(lambda: tg.last_message(user.chat_id))

    assert type(errors[0]) is error
    if status == 403:
        assert "bot was blocked by the user" in str(errors[0])
    assert len(errors) == 1


async def test_rejected_token_raises_invalid_token(tg: FakeTelegram) -> None:
    app = build_app(tg.application_builder(REJECTED_TOKEN))
    try:
        with pytest.raises(InvalidToken):
            await app.initialize()
    finally:
        await app.bot.shutdown()
    assert [(c.method, c.status) for c in tg.calls()] == [("getMe", 401)]


# --------------------------------------------------------------------------- bare Bot / HTTP


async def test_bot_api_errors_map_to_ptb_exceptions(
    tg: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "1")  # RetryAfter.retry_after as timedelta, no warning
    user = tg.user()
    blocked = tg.user(user_id=202, first_name="Ravi")
    blocked.block()
    async with tg.make_bot() as bot:
        sent = await bot.send_message(101, "hello")
        with pytest.raises(BadRequest, match=r"(?i)chat not found"):
            await bot.send_message(303, "nobody")
        with pytest.raises(Forbidden, match=r"(?i)blocked"):
            await bot.send_message(202, "hi")
        tg.group(-500)
        tg.migrate_chat(-500, -100500)
        with pytest.raises(ChatMigrated) as migrated:
            await bot.send_message(-500, "to the old group")
        assert migrated.value.new_chat_id == -100500
        assert (await bot.send_message(-100500, "to the supergroup")).chat.type == "supergroup"
        with pytest.raises(BadRequest, match=r"(?i)not modified"):
            await bot.edit_message_text("hello", chat_id=101, message_id=sent.message_id)
        with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
            await bot.send_message(101, "a<br>b", parse_mode="HTML")
        with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
            await bot.send_message(101, "<b>open", parse_mode="HTML")
        with pytest.raises(BadRequest, match=r"(?i)too long"):
            await bot.send_message(101, "x" * 4097)
        with pytest.raises(BadRequest, match=r"(?i)BUTTON_DATA_INVALID"):
            await bot.send_message(
                101,
                "k",
                reply_markup=InlineKeyboardMarkup(
                    [[InlineKeyboardButton("b", callback_data="x" * 65)]]
                ),
            )
        with pytest.raises(BadRequest, match=r"(?i)query is too old"):
            await bot.answer_callback_query("nope")
        with pytest.raises(BadRequest, match=r"(?i)method not supported by the fake"):
            await bot.send_poll(101, "q?", ["a", "b"])
        tg.fail_next("sendMessage", status=429, retry_after=0.2)
        with pytest.raises(RetryAfter):
            await bot.send_message(101, "too fast")
        assert await bot.delete_message(101, sent.message_id)
        with pytest.raises(BadRequest, match=r"(?i)not found"):
            await bot.delete_message(101, sent.message_id)
    assert tg.messages(user.chat_id) == []
    assert tg.messages(user.chat_id, include_deleted=True)[0].deleted
    assert tg.calls("sendPoll")[0].status == 400


async def test_edit_reply_markup_and_edit_history(tg: FakeTelegram) -> None:
    tg.user()
    async with tg.make_bot() as bot:
        sent = await bot.send_message(101, "pick", reply_markup=KEYBOARD)
        await bot.edit_message_reply_markup(
            chat_id=101,
            message_id=sent.message_id,
            reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("Undo", callback_data="u")]]),
        )
        edited = await bot.edit_message_text(
            "picked", chat_id=101, message_id=sent.message_id, reply_markup=KEYBOARD
        )
    assert isinstance(edited, type(sent)) and edited.edit_date is not None
    message = tg.message(101, sent.message_id)
    assert [v.text for v in message.history] == ["pick", "pick", "picked"]
    assert [v.reply_markup[0][0][0] for v in message.history] == ["Accept", "Undo", "Accept"]
    assert message.button_texts == ["Accept", "Reject", "Help"]


async def test_get_updates_holds_then_returns_and_honours_offset(tg: FakeTelegram) -> None:
    user = tg.user()
    url = f"{tg.base_url}{TOKEN}/getUpdates"
    async with httpx.AsyncClient() as client:
        started = time.monotonic()
        empty = (await client.post(url, data={"timeout": "0"})).json()
        assert empty == {"ok": True, "result": []}
        assert time.monotonic() - started < 0.5

        held = asyncio.create_task(client.post(url, data={"timeout": "5"}))
        await asyncio.sleep(0.05)
        assert not held.done()
        started = time.monotonic()
        sent = await user.send("/start")
        result = (await held).json()["result"]
        assert time.monotonic() - started < 1
        assert [u["update_id"] for u in result] == [sent.update_id]
        entity = result[0]["message"]["entities"][0]
        assert entity == {"type": "bot_command", "offset": 0, "length": 6}

        again = (await client.post(url, data={"timeout": "0"})).json()["result"]
        assert len(again) == 1  # not confirmed yet
        confirmed = await client.post(url, data={"offset": str(sent.update_id + 1), "timeout": 0})
        assert confirmed.json()["result"] == []
        assert tg.pending_updates == 0

        started = time.monotonic()
        timed_out = (await client.post(url, data={"timeout": "0.2"})).json()["result"]
        assert timed_out == []
        assert 0.15 < time.monotonic() - started < 1

        unknown = await client.post(f"{tg.base_url}{TOKEN}/sendSticker", data={"chat_id": "101"})
        assert unknown.status_code == 400
        assert unknown.json()["description"] == "method not supported by the fake"
        assert (await client.post(f"{tg.base_url}{REJECTED_TOKEN}/getMe")).status_code == 401


async def test_a_webhook_is_recorded_reported_and_blocks_get_updates(tg: FakeTelegram) -> None:
    async with tg.make_bot() as bot:
        assert (await bot.get_webhook_info()).url == ""
        await bot.set_webhook("https://bot.example.com/hook", secret_token="s3cret")
        assert tg.webhook is not None
        assert (tg.webhook["url"], tg.webhook["secret_token"]) == (
            "https://bot.example.com/hook",
            "s3cret",
        )
        assert (await bot.get_webhook_info()).url == "https://bot.example.com/hook"
        with pytest.raises(Conflict, match="webhook is active"):
            await bot.get_updates(timeout=0)
        await bot.delete_webhook()
        assert tg.webhook is None
        assert await bot.get_updates(timeout=0) == ()


async def test_random_faults_are_seeded_counted_and_deliver_nothing(
    tg: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "1")
    tg.user()
    injected = tg.random_faults(seed=3, rate=0.5, retry_after=0.05, hold=0.3)
    raised: Counter[str] = Counter()
    request = HTTPXRequest(read_timeout=0.1)
    async with Bot(TOKEN, base_url=tg.base_url, request=request) as bot:
        for n in range(40):
            try:
                await bot.send_message(101, f"m{n}")
            except RetryAfter:
                raised["429"] += 1
            except TimedOut:
                raised["timeout"] += 1
            except NetworkError as exc:
                raised["drop" if "disconnected" in str(exc) else "500"] += 1
    assert set(injected) == set(FAULT_KINDS)
    assert raised == injected
    delivered = [m.text for m in tg.messages(101)]
    assert len(delivered) == 40 - injected.total()
    assert len(set(delivered)) == len(delivered)
    failed = [c for c in tg.calls("sendMessage") if c.status != 200]
    assert len(failed) == injected.total()


async def test_hand_out_updates_once_splits_updates_between_pollers(tg: FakeTelegram) -> None:
    tg.hand_out_updates_once = True
    user = tg.user()
    sent = [await user.send(f"/start {n}") for n in range(6)]
    url = f"{tg.base_url}{TOKEN}/getUpdates"
    async with httpx.AsyncClient() as client:
        first = (await client.post(url, data={"limit": "4", "timeout": "0"})).json()["result"]
        second = (await client.post(url, data={"timeout": "0"})).json()["result"]
    assert [u["update_id"] for u in first + second] == [s.update_id for s in sent]
    assert len(first) == 4
    assert tg.pending_updates == 0
