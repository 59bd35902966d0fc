"""Many members of one GSTIN tapping Accept / Reject / Pending / Reset on the cards of the same
records at once, through two bot workers on one PostgreSQL: no update is lost, every tap is
answered once, and the tap latency is measured.

Two Applications poll one fake Telegram that hands each update to one of them only (as a load
balancer spreads webhook updates). Each user opens cards of a few records of a shared pool
(through /inbox and the card's callback), then taps at random as fast as the answers come;
Reject and Pending ask for a remark first and the user taps "No remark". Afterwards, for each
record the state equals its last audit row, the audit rows chain (each from the state the one
before left, versions one apart), and the actions users were told were done are exactly the
audit rows.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from telegram import Update
from telegram.ext import ContextTypes, TypeHandler

from bot import texts
from bot.app import build_application
from bot.callbacks import encode
from ims_domain.periods import ReturnPeriod
from ims_domain.records import Action, ReportedRecord
from storage.access import Actor
from storage.db import make_engine, transaction, upgrade_schema
from storage.imports import import_records
from storage.models import ActionLog, Channel, RecordRow, Role
from storage.settings import Settings
from storage.taxpayers import create_invite, join_with_invite, register_taxpayer
from tests.builders import RECIPIENT, record
from tests.e2e.conftest import TOKEN
from tests.e2e.fake_telegram import BotMessage, FakeTelegram, FakeUser
from tests.reliability import summary
from tests.reliability.scale import Scale
from tests.storage_fixtures import database_url

pytestmark = pytest.mark.postgresql

OWNER = 6000
CARDS_PER_USER = 4
BUTTONS = {
    texts.BUTTON_ACCEPT: Action.ACCEPT,
    texts.BUTTON_REJECT: Action.REJECT,
    texts.BUTTON_PENDING: Action.PENDING,
    texts.BUTTON_RESET: Action.NO_ACTION,
}


@contextmanager
def team_store(folder: Path, users: int, records: int) -> Iterator[tuple[str, list[int]]]:
    """A PostgreSQL store: the GSTIN, its owner and `users` approvers, `records` invoices of
    last month; yields its URL and the record ids. Dropped afterwards."""
    urls = database_url("postgresql", folder)
    url = next(urls)
    engine = make_engine(url)
    try:
        upgrade_schema(engine)
        yield url, _fill(engine, users, records)
    finally:
        engine.dispose()
        for _ in urls:  # drops the test database
            pass


def _fill(engine: Engine, users: int, records: int) -> list[int]:
    now = datetime.now(UTC)
    period = ReturnPeriod.of(now.date()).shift(-1)
    cli = Actor.system(Channel.CLI)
    with transaction(engine) as session:
        register_taxpayer(
            session, actor=cli, gstin=RECIPIENT, name="Tap Traders", owner_id=OWNER, now=now
        )
        for n in range(1, users + 1):
            invite = create_invite(
                session, actor=Actor.user(OWNER), gstin=RECIPIENT, role=Role.APPROVER, now=now
            )
            join_with_invite(session, user_id=OWNER + n, name=f"User{n}", code=invite.code, now=now)
        reported = [
            ReportedRecord(
                record(
                    number=f"TAP-{n}",
                    document_date=date(period.year, period.month, 1 + n % 28),
                    period=period,
                ),
                supplier_name="Sharma Components",
            )
            for n in range(records)
        ]
        import_records(
            session,
            actor=cli,
            gstin=RECIPIENT,
            records=reported,
            sha256="taps",
            file_format="ims",
            now=now,
        )
        return list(session.execute(select(RecordRow.id).order_by(RecordRow.id)).scalars())  # type: ignore[arg-type]


@asynccontextmanager
async def two_workers(
    tg: FakeTelegram, url: str, errors: list[BaseException], handled: Counter[str]
) -> AsyncIterator[None]:
    """Two bot Applications, each with its own engine, polling the same fake Telegram."""

    async def collect(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert context.error is not None
        errors.append(context.error)

    async with AsyncExitStack() as stack:
        for name in ("worker 1", "worker 2"):
            settings = Settings(
                telegram_bot_token=TOKEN,
                telegram_api_base_url=tg.url,
                telegram_file_base_url=tg.url,
                database_url=url,
                deadlines_interval_seconds=0,
            )
            engine = make_engine(url)
            stack.callback(engine.dispose)
            app = build_application(settings, engine, rate_limit=False)
            app.add_error_handler(collect)

            async def count(
                update: Update, context: ContextTypes.DEFAULT_TYPE, name: str = name
            ) -> None:
                handled[name] += 1

            app.add_handler(TypeHandler(Update, count), group=-2)
            await stack.enter_async_context(app)
            assert app.post_init is not None and app.updater is not None
            await app.post_init(app)
            await app.start()
            stack.push_async_callback(app.stop)
            await app.updater.start_polling(poll_interval=0, timeout=1)
            stack.push_async_callback(app.updater.stop)
        yield


@dataclass
class Taps:
    """What the users did and were told."""

    latencies: list[float] = field(default_factory=list)
    queries: list[str] = field(default_factory=list)
    done: Counter[tuple[int, int, str]] = field(default_factory=Counter)  # (user, record, action)
    refused: Counter[str] = field(default_factory=Counter)

    async def tap(self, tg: FakeTelegram, user: FakeUser, message: BotMessage, data: str) -> str:
        """Tap callback `data` on `message`; wait for its answer; return the toast."""
        started = time.monotonic()
        query = await user.tap_data(message, data)
        self.queries.append(query)
        answer = await tg.answer_of(query, timeout=60)
        self.latencies.append(time.monotonic() - started)
        return answer.text or ""


async def open_cards(
    tg: FakeTelegram, user: FakeUser, records: list[int], taps: Taps
) -> list[tuple[int, int]]:
    """/inbox once per record, each dashboard turned into that record's card."""
    cards = []
    for record_id in records:
        before = len(user.messages())

        def reply(before: int = before) -> BotMessage | None:
            return user.messages()[before] if len(user.messages()) > before else None

        await user.send("/inbox")
        dashboard = await tg.wait_for(reply, timeout=30)
        await taps.tap(tg, user, dashboard, encode("cd", record_id))
        card = tg.message(user.chat_id, dashboard.message_id)
        assert texts.BUTTON_ACCEPT in card.button_texts, card.text
        cards.append((record_id, dashboard.message_id))
    return cards


async def storm(
    tg: FakeTelegram,
    user: FakeUser,
    *,
    cards: list[tuple[int, int]],
    until: float,
    taps: Taps,
    rng: random.Random,
) -> None:
    """Tap actions on the user's cards at random until `until`."""
    while time.monotonic() < until:
        record_id, message_id = rng.choice(cards)
        card = tg.message(user.chat_id, message_id)
        button = rng.choice(list(BUTTONS))
        action = BUTTONS[button]
        toast = await taps.tap(tg, user, card, card.button(button)[1] or "")
        if toast == texts.SEND_REMARK:
            prompt = tg.message(user.chat_id, message_id)
            toast = await taps.tap(tg, user, prompt, prompt.button(texts.BUTTON_SKIP)[1] or "")
        if toast == texts.ACTION_DONE[action]:
            taps.done[(user.user_id, record_id, action.value)] += 1
        elif toast.startswith("This record was changed by"):
            taps.refused["stale"] += 1  # another member acted first: the card shows who
        else:
            taps.refused[toast] += 1


async def test_members_tapping_the_same_records_lose_no_update_and_every_tap_is_answered(
    scale: Scale, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "1")
    rng = random.Random(3)
    errors: list[BaseException] = []
    handled: Counter[str] = Counter()
    taps = Taps()
    with team_store(tmp_path, scale.tap_users, scale.tap_records) as (url, record_ids):
        async with FakeTelegram(token=TOKEN, hand_out_updates_once=True) as tg:
            users = [
                tg.user(user_id=OWNER + n, first_name=f"User{n}")
                for n in range(1, scale.tap_users + 1)
            ]
            async with two_workers(tg, url, errors, handled):
                chosen = [rng.sample(record_ids, CARDS_PER_USER) for _ in users]
                cards = await asyncio.gather(
                    *(
                        open_cards(tg, user, mine, Taps())
                        for user, mine in zip(users, chosen, strict=True)
                    )
                )
                until = time.monotonic() + scale.tap_seconds
                await asyncio.gather(
                    *(
                        storm(
                            tg,
                            user,
                            cards=mine,
                            until=until,
                            taps=taps,
                            rng=random.Random(user.user_id),
                        )
                        for user, mine in zip(users, cards, strict=True)
                    )
                )
            answers = Counter(answer.query_id for answer in tg.answers)
        engine = make_engine(url)
        try:
            audit, final = _audit_and_final(engine)
        finally:
            engine.dispose()

    assert errors == []
    assert texts.ERROR not in taps.refused, taps.refused
    assert all(answers[query] == 1 for query in taps.queries)  # every tap answered, once
    for record_id in record_ids:
        rows = audit.get(record_id, [])
        action, version = final[record_id]
        previous, expected_version = Action.NO_ACTION.value, 1
        for row in rows:  # each change starts from the state the one before left
            assert row.from_action == previous, (record_id, row)
            assert row.record_version == expected_version + 1, (record_id, row)
            previous, expected_version = row.to_action, row.record_version
        assert (action, version) == (previous, expected_version), record_id
    told = +taps.done
    logged = Counter(
        (row.user_id, row.record_id, row.to_action) for rows in audit.values() for row in rows
    )
    assert logged == told  # every action a user was told was done is in the audit, and no other
    quantiles = statistics.quantiles(taps.latencies, n=100)
    summary.add_row(
        "members tapping the same records (PostgreSQL, two bot workers)",
        {
            "users": scale.tap_users,
            "records": scale.tap_records,
            "seconds": scale.tap_seconds,
            "taps": len(taps.queries),
            "taps per second": len(taps.queries) / scale.tap_seconds,
            "answered once": sum(1 for query in taps.queries if answers[query] == 1),
            "actions done": told.total(),
            "audit rows": logged.total(),
            "refused: stale card": taps.refused["stale"],
            "refused: other": taps.refused.total() - taps.refused["stale"],
            "p50 (ms)": 1000 * quantiles[49],
            "p95 (ms)": 1000 * quantiles[94],
            "p99 (ms)": 1000 * quantiles[98],
            "max (ms)": 1000 * max(taps.latencies),
            "updates per worker": " / ".join(str(handled[name]) for name in sorted(handled)),
        },
    )


def _audit_and_final(
    engine: Engine,
) -> tuple[dict[int, list[ActionLog]], dict[int, tuple[str, int]]]:
    """The audit rows of each record in order, and each record's action and version."""
    with transaction(engine) as session:
        audit: dict[int, list[ActionLog]] = {}
        for row in session.execute(select(ActionLog).order_by(ActionLog.id)).scalars():  # type: ignore[arg-type]
            audit.setdefault(row.record_id, []).append(row)
        final = {
            row.id: (row.action, row.version)
            for row in session.execute(select(RecordRow)).scalars()
            if row.id is not None
        }
    return audit, final
