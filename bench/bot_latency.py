"""Tap-to-edit latency of the real bot against the fake Telegram server, and of a no-op bot.

Both Applications poll their own `tests.e2e.fake_telegram.FakeTelegram` at the same time
(`start_polling(poll_interval=0, timeout=1)`); their rounds alternate so that machine noise hits
both alike. In a round, every one of the users gets a fresh card (not timed), then all of them
tap "✅ Accept" at once; a tap's latency runs from queuing its callback update to the moment the
fake server has recorded the editMessageText of that card (a hook on the fake's handler
resolves a future; no polling).
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlmodel import select
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import Application, ApplicationBuilder, CallbackQueryHandler, CommandHandler

from bot.app import build_application
from bot.inbox import card_screen
from bot.store import in_store
from bot.texts import BUTTON_ACCEPT
from storage.access import Actor
from storage.db import make_engine, transaction, upgrade_schema
from storage.imports import import_records
from storage.models import Channel, RecordRow, Role
from storage.settings import Settings
from storage.taxpayers import create_invite, ensure_user, join_with_invite, register_taxpayer
from tests.e2e.fake_telegram import BotMessage, FakeTelegram, FakeUser
from tests.integration.store_helpers import RECIPIENT, invoices

TOKEN = "123456:BENCH-TOKEN"
FIRST_USER = 7001
NOW = datetime(2025, 11, 5, 6, 30, tzinfo=UTC)
CLI = Actor.system(Channel.CLI)
TIMEOUT = 30.0


def setup_store(engine: Engine, users: int, per_user: int) -> dict[int, list[int]]:
    """RECIPIENT with `users` members (the first the owner, the others approvers) and
    `users * per_user` invoices in N; returns each user's record ids."""
    ids = [FIRST_USER + i for i in range(users)]
    with transaction(engine) as session:
        register_taxpayer(
            session, actor=CLI, gstin=RECIPIENT, name="Acme Traders", owner_id=ids[0], now=NOW
        )
        ensure_user(session, user_id=ids[0], name="User 0", now=NOW)
        for index, user_id in enumerate(ids[1:], start=1):
            invite = create_invite(
                session, actor=Actor.user(ids[0]), gstin=RECIPIENT, role=Role.APPROVER, now=NOW
            )
            join_with_invite(
                session, user_id=user_id, name=f"User {index}", code=invite.code, now=NOW
            )
        import_records(
            session,
            actor=CLI,
            gstin=RECIPIENT,
            records=invoices(users * per_user),
            sha256="bench-bot",
            file_format="ims",
            now=NOW,
        )
    with transaction(engine) as session:
        record_ids = sorted(i for i in session.exec(select(RecordRow.id)) if i is not None)
    assert len(record_ids) == users * per_user, len(record_ids)
    return {uid: record_ids[i * per_user : (i + 1) * per_user] for i, uid in enumerate(ids)}


def hook_edits(tg: FakeTelegram) -> dict[tuple[int, int], asyncio.Future[float]]:
    """Resolve `waiters[(chat_id, message_id)]` with the clock once the fake has recorded an
    editMessageText of that message (after its handler returned, before the HTTP answer)."""
    waiters: dict[tuple[int, int], asyncio.Future[float]] = {}
    original = tg._methods["editmessagetext"]

    async def recorded(params: dict[str, Any], files: dict[str, Any]) -> Any:
        result = await original(params, files)
        waiter = waiters.pop((int(params["chat_id"]), int(params["message_id"])), None)
        if waiter is not None and not waiter.done():
            waiter.set_result(time.perf_counter())
        return result

    tg._methods["editmessagetext"] = recorded
    return waiters


@asynccontextmanager
async def polling(app: Application) -> AsyncIterator[None]:  # type: ignore[type-arg]
    """Start `app` as the e2e fixture does (post_init, long polling) and stop it afterwards."""
    async with app:
        if app.post_init is not None:
            await app.post_init(app)
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=1)
        try:
            yield
        finally:
            await app.updater.stop()
            await app.stop()


class Side:
    """One Application on its own fake server, its users, and how to post a card."""

    def __init__(self, tg: FakeTelegram, cards: dict[int, list[int]], accepted: str) -> None:
        self.tg = tg
        self.accepted = accepted
        self.cards = cards
        self.users: list[FakeUser] = [
            tg.user(user_id=uid, first_name=f"User {i}") for i, uid in enumerate(cards)
        ]
        self.waiters = hook_edits(tg)
        self.errors: list[BaseException] = []

    async def post_card(self, user: FakeUser, round_no: int) -> BotMessage:
        before = len(user.messages())
        await user.send(f"/card {self.cards[user.user_id][round_no]}")
        # Not just the next message: the real bot may also send a notification meanwhile.
        return await self.tg.wait_for(
            lambda: next(
                (m for m in user.messages()[before:] if BUTTON_ACCEPT in m.button_texts), None
            ),
            timeout=TIMEOUT,
        )

    async def round(self, round_no: int) -> list[float]:
        """Fresh cards (not timed), then every user taps Accept at once; ms per tap."""
        cards = await asyncio.gather(*(self.post_card(u, round_no) for u in self.users))
        loop = asyncio.get_running_loop()
        futures = []
        for card in cards:
            future: asyncio.Future[float] = loop.create_future()
            self.waiters[(card.chat_id, card.message_id)] = future
            futures.append(future)

        async def tap(user: FakeUser, card: BotMessage, done: asyncio.Future[float]) -> float:
            start = time.perf_counter()
            query = await user.tap(card, BUTTON_ACCEPT)
            latency = (await asyncio.wait_for(done, TIMEOUT) - start) * 1000
            # Not timed: let the handler finish (it answers after the edit), so that its tail
            # does not run into the other side's round.
            await self.tg.wait_for(lambda: self.tg.answers_for(query), timeout=TIMEOUT)
            return latency

        latencies = await asyncio.gather(
            *(tap(u, c, f) for u, c, f in zip(self.users, cards, futures, strict=True))
        )
        if self.errors:
            raise RuntimeError(f"handler failed: {self.errors!r}")
        for card in cards:  # the tap really accepted (not a stale or refused redraw)
            text = self.tg.message(card.chat_id, card.message_id).text or ""
            if self.accepted not in text:
                raise RuntimeError(f"card {card.message_id} not accepted: {text!r}")
        return list(latencies)


def _collect_errors(app: Application, errors: list[BaseException]) -> None:  # type: ignore[type-arg]
    async def collect(update: object, context: Any) -> None:
        errors.append(context.error)

    app.add_error_handler(collect)


def ours_app(tg: FakeTelegram, engine: Engine, side: Side) -> Application:  # type: ignore[type-arg]
    """The real bot, plus a benchmark-only /card <record id> that posts that record's card."""
    settings = Settings(
        telegram_bot_token=TOKEN,
        telegram_api_base_url=tg.url,
        telegram_file_base_url=tg.url,
        database_url="sqlite://",
        deadlines_interval_seconds=0,  # no due-work pass in the middle of the taps
    )
    app = build_application(settings, engine, rate_limit=False)

    async def card(update: Update, context: Any) -> None:
        assert update.effective_user and update.effective_message and context.args
        user_id, record_id = update.effective_user.id, int(context.args[0])
        screen = await in_store(
            engine, lambda s: card_screen(s, user_id=user_id, record_id=record_id)
        )
        await update.effective_message.reply_text(
            screen.text, parse_mode=ParseMode.HTML, reply_markup=screen.markup
        )

    app.add_handler(CommandHandler("card", card), group=-2)
    _collect_errors(app, side.errors)
    return app


def floor_app(tg: FakeTelegram, side: Side) -> Application:  # type: ignore[type-arg]
    """Same builder options, no store: /card posts a card; a tap edits it, then answers."""
    app = (
        ApplicationBuilder()
        .token(TOKEN)
        .base_url(tg.url.rstrip("/") + "/bot")
        .base_file_url(tg.url.rstrip("/") + "/file/bot")
        .concurrent_updates(True)
        .build()
    )
    markup = InlineKeyboardMarkup([[InlineKeyboardButton(BUTTON_ACCEPT, callback_data="ac")]])

    async def card(update: Update, context: Any) -> None:
        assert update.effective_message and context.args
        await update.effective_message.reply_text(
            f"<b>Invoice {context.args[0]}</b>", parse_mode=ParseMode.HTML, reply_markup=markup
        )

    async def tapped(update: Update, context: Any) -> None:
        query = update.callback_query
        assert query is not None
        await query.edit_message_text("<b>Accepted</b>", parse_mode=ParseMode.HTML)
        await query.answer("Accepted")

    app.add_handler(CommandHandler("card", card))
    app.add_handler(CallbackQueryHandler(tapped))
    _collect_errors(app, side.errors)
    return app


async def _measure(
    folder: Path, users: int, rounds: int, log: Callable[[str], None]
) -> tuple[list[float], list[float]]:
    engine = make_engine(f"sqlite:///{folder / 'bot.db'}")
    try:
        upgrade_schema(engine)
        cards = setup_store(engine, users, rounds + 1)  # +1: the warm-up round
        floor_cards = {uid: list(range(rounds + 1)) for uid in cards}
        async with FakeTelegram(token=TOKEN) as ours_tg, FakeTelegram(token=TOKEN) as floor_tg:
            ours = Side(ours_tg, cards, "Status: ✅ Accepted by User")
            floor = Side(floor_tg, floor_cards, "Accepted")
            async with (
                polling(ours_app(ours_tg, engine, ours)),
                polling(floor_app(floor_tg, floor)),
            ):
                await ours.round(0)  # warm-up, not counted
                await floor.round(0)
                seen: tuple[list[float], list[float]] = ([], [])
                for round_no in range(1, rounds + 1):
                    first, second = (ours, floor) if round_no % 2 else (floor, ours)
                    for side in (first, second):
                        seen[side is floor].extend(await side.round(round_no))
                log(f"  {rounds} rounds x {users} concurrent taps per side")
                return seen
    finally:
        engine.dispose()


def measure(
    folder: Path, users: int, rounds: int, log: Callable[[str], None]
) -> tuple[list[float], list[float]]:
    """Per-tap latencies in ms: (ours, floor)."""
    os.environ["PTB_TIMEDELTA"] = "1"  # ptb 22: retry_after as a timedelta, no warning
    return asyncio.run(_measure(folder, users, rounds, log))
