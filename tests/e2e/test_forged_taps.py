"""Forged and malformed button taps, fuzzed through the fake Telegram server.

Every verb the bot knows is tapped with arguments a client could send: real ones, other users'
record ids and GSTINs, and mutated ones (wrong counts, empty, non-numbers, huge and negative
numbers, unknown codes, ':' runs, unicode). Each tap must be answered once, never with the
generic error, and nothing may be logged as a failure: a bad argument is "out of date".
"""

from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from sqlmodel import Session, select

from bot import texts
from bot.app import TAPS
from ims_domain.records import Action, RecordKind
from storage.db import transaction
from storage.models import RecordRow, Taxpayer
from storage.taxpayers import register_taxpayer
from tests.builders import RECIPIENT, SUPPLIER
from tests.e2e.conftest import Running
from tests.e2e.fake_telegram import BotMessage, FakeUser
from tests.e2e.test_bot import APPROVER, OWNER, STRANGER, VIEWER, onboard, said
from tests.integration.store_helpers import CLI, OTHER_RECIPIENT, do_import, invoices

SEED = 20261127
TAPS_PER_VERB = 20  # in the owner's private chat
GROUP_TAPS_PER_VERB = 5  # in a bound group, by the owner and by a stranger

UNICODE = ["²", "١٢", "é", "🧾", "Ⅻ", "\u200b", "ß" * 15, "१०२०२५"]
NUMBERS = ["0", "-1", "-99", "9" * 19, "9" * 40, "1e3", " 1", "1_0", "0x1", "", "x", *UNICODE]
ACTIONS = [*(a.value for a in Action), "X", "a", "", "AA", "é"]
GSTINS = [
    RECIPIENT,
    OTHER_RECIPIENT,
    "07AAPFU0939F1ZX",  # well formed, not registered
    RECIPIENT.lower(),
    "X" * 15,
    "",
    "*",
    *UNICODE,
]
PERIODS = ["102025", "112025", "092025", "132025", "002025", "10202", "Q122025", "*", "", *UNICODE]
STATUSES = ["*", "N", "P", "A", "R", "X", ""]
KINDS = ["*", "I", "D", "C", "E", "B", "Z", ""]
SUPPLIERS = ["*", SUPPLIER, "29AAG-B7383J1Z4", "Z" * 16, ""]
AMOUNTS = ["*", "H", "M", "L", "Q", ""]
SCOPES = [
    "*",
    "1",
    "2",
    "9" * 19,
    "9" * 30,
    "W20251130",
    "W20251399",
    "W99999999",
    "S1700000000000",
    "S99999999999999",
    "S²",
    "Y2025",
    "Y0001",
    "Y²²²²",
    "",
    *UNICODE,
]
CURSORS = ["-", "20251020.5", "99999999.1", "20251020.99999999999999999", "x", "", *UNICODE]
LIST = [STATUSES, KINDS, PERIODS, SUPPLIERS, AMOUNTS, SCOPES]


def arg_pools(own: list[int], others: list[int]) -> dict[str, list[list[str]]]:
    """For each verb, the values each of its arguments is drawn from (real and forged)."""
    records = [str(i) for i in own + others] + NUMBERS
    versions = ["1", "2", "3", *NUMBERS]
    return {
        "db": [],
        "ls": [*LIST, CURSORS],
        "fm": LIST,
        "cd": [records],
        "ac": [records, versions, ACTIONS],
        "cr": [records, versions],
        "rd": [records, versions, ["F", "N", "P", "", "X"]],
        "rm": [records, versions, ACTIONS, ["-", "N", "P", "X", ""]],
        "bk": [*LIST, ACTIONS],
        "by": [["1", "2", "3", *NUMBERS]],
        "un": [["1", "2", "3", *NUMBERS]],
        "gs": [GSTINS],
        "tr": [[str(u) for u in (OWNER, APPROVER, VIEWER, STRANGER)] + NUMBERS],
        "st": [["digest", "team", "reminders", "supplier_alert", "zz", "", *UNICODE]],
        "dd": [],
        "mb": [GSTINS, ["a", "s", "", "x", *UNICODE]],
        "up": [["0123456789abcdef", "", "zz", *UNICODE]],
        "rv": [GSTINS, STATUSES, PERIODS, SCOPES],
        "rt": [GSTINS, PERIODS],
        "xp": [GSTINS],
        "fp": [GSTINS, PERIODS],
        "fy": [GSTINS, PERIODS],
        "fl": [GSTINS],
    }


def forged(rng: random.Random, verb: str, pools: list[list[str]]) -> str:
    """Callback data for `verb`: arguments drawn from the pools, then perhaps mutated."""
    args = [rng.choice(pool) for pool in pools]
    mutation = rng.randrange(8)
    if mutation == 0 and args:
        del args[rng.randrange(len(args)) :]  # too few
    elif mutation == 1:
        args += rng.choices(NUMBERS + ACTIONS, k=rng.randint(1, 3))  # too many
    elif mutation == 2 and args:
        args[rng.randrange(len(args))] = ":" * rng.randint(1, 4)  # ':' runs
    elif mutation == 3 and args:
        args[rng.randrange(len(args))] = "".join(
            rng.choice("09AZaz:*-.²é🧾 ") for _ in range(rng.randint(0, 12))
        )
    return ":".join(["v1", verb, *args])


def record_ids(bot: Running, gstin: str) -> list[int]:
    """The ids of a GSTIN's records."""
    with Session(bot.engine) as session:
        rows = session.exec(
            select(RecordRow.id)
            .join(Taxpayer, Taxpayer.id == RecordRow.taxpayer_id)  # type: ignore[arg-type]
            .where(Taxpayer.gstin == gstin)
        ).all()
        return [i for i in rows if i is not None]


@dataclass(frozen=True)
class Scene:
    """Acme with its team and records, a second GSTIN with records, and messages to tap on."""

    owner: FakeUser
    stranger: FakeUser
    board: BotMessage  # the owner's /inbox, in the private chat
    in_group: BotMessage  # the bot's answer to /bind, in Acme's group
    own: list[int]  # Acme's record ids
    others: list[int]  # the other GSTIN's record ids


async def scene(bot: Running) -> Scene:
    users = await onboard(bot)
    with transaction(bot.engine) as session:
        register_taxpayer(
            session,
            actor=CLI,
            gstin=OTHER_RECIPIENT,
            name="Other Co",
            owner_id=STRANGER,
            now=datetime.now(UTC),
        )
    mine = invoices(3) + invoices(2, kind=RecordKind.CREDIT_NOTE, prefix="CN")
    do_import(bot.engine, mine, now=datetime.now(UTC))
    theirs = invoices(2, recipient=OTHER_RECIPIENT, prefix="O")
    do_import(bot.engine, theirs, gstin=OTHER_RECIPIENT, now=datetime.now(UTC))
    group = bot.tg.group(chat_id=-800, title="Acme accounts")
    await users[OWNER].send("/bind", chat=group)
    in_group = await bot.tg.wait_for(lambda: group.messages()[0])
    board = await said(bot, users[OWNER], "/inbox")
    own, others = record_ids(bot, RECIPIENT), record_ids(bot, OTHER_RECIPIENT)
    assert own and others
    return Scene(users[OWNER], users[STRANGER], board, in_group, own, others)


class Tapper:
    """Taps one button after the other, each once its answer came; remembers the taps."""

    def __init__(self, bot: Running) -> None:
        self.bot = bot
        self.queries: dict[str, str] = {}  # callback query id: data

    async def answer(self, user: FakeUser, message: BotMessage, data: str) -> str | None:
        """Tap `data` on `message`; the first answer's text (None: a silent answer)."""
        query = await user.tap_data(message, data)
        self.queries[query] = data
        answers = await self.bot.tg.wait_for(
            lambda: self.bot.tg.answers_for(query) or None, description=f"an answer to {data!r}"
        )
        return answers[0].text

    async def answered_more_than_once(self) -> list[str]:
        """The taps that got a second answer (checked after the last, to leave time for it)."""
        await asyncio.sleep(0.1)
        return [d for q, d in self.queries.items() if len(self.bot.tg.answers_for(q)) != 1]


def tracebacks(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Log records of failures with a traceback."""
    return [
        record.getMessage()
        for record in caplog.records
        if record.levelno >= logging.ERROR and record.exc_info
    ]


# Hundreds of taps by one person: the per-user allowance is not what is tested here.
@pytest.mark.bot_settings(tap_limit_per_minute=0)
async def test_forged_taps_are_answered_once_never_as_a_failure(
    bot: Running, caplog: pytest.LogCaptureFixture
) -> None:
    """A seeded fuzz of every verb, in the owner's private chat and in a bound group."""
    assert set(arg_pools([], [])) == set(TAPS), "a new verb needs its arguments here"
    at = await scene(bot)
    pools = arg_pools(at.own, at.others)
    rng = random.Random(SEED)
    # First each button as the bot writes it, tapped twice (a double tap), then the fuzz.
    taps: list[tuple[FakeUser, BotMessage, str]] = [
        (at.owner, at.board, ":".join(["v1", verb, *args]))
        for verb, args in sorted(well_formed(at.own[0]).items())
        for _ in range(2)
    ]
    for verb in sorted(TAPS):
        pool = pools[verb]
        taps += [(at.owner, at.board, forged(rng, verb, pool)) for _ in range(TAPS_PER_VERB)]
        taps += [
            (rng.choice([at.owner, at.stranger]), at.in_group, forged(rng, verb, pool))
            for _ in range(GROUP_TAPS_PER_VERB)
        ]
    tapper = Tapper(bot)
    toasts = [(data, await tapper.answer(user, message, data)) for user, message, data in taps]
    failed = [data for data, toast in toasts if toast == texts.ERROR]
    assert failed == [], f"{len(failed)} of {len(toasts)} taps failed: {failed[:20]}"
    assert await tapper.answered_more_than_once() == []
    answers = {toast for _, toast in toasts}
    assert texts.UNKNOWN_TAP in answers
    assert len(answers) > 10  # many taps got past the checks into the use cases
    assert tracebacks(caplog) == []


def well_formed(record_id: int) -> dict[str, list[str]]:
    """For each verb, arguments the bot itself could have written."""
    listed = ["N", "*", "*", "*", "*", "*"]
    return {
        "db": [],
        "ls": [*listed, "-"],
        "fm": listed,
        "cd": [str(record_id)],
        "ac": [str(record_id), "1", "A"],
        "cr": [str(record_id), "1"],
        "rd": [str(record_id), "1", "F"],
        "rm": [str(record_id), "1", "R", "-"],
        "bk": [*listed, "A"],
        "by": ["1"],
        "un": ["1"],
        "gs": [RECIPIENT],
        "tr": [str(VIEWER)],
        "st": ["digest"],
        "dd": [],
        "mb": [RECIPIENT, "a"],
        "up": ["0123456789abcdef"],
        "rv": [RECIPIENT, "N", "102025", "*"],
        "rt": [RECIPIENT, "102025"],
        "xp": [RECIPIENT],
        "fp": [RECIPIENT, "102025"],
        "fy": [RECIPIENT, "102025"],
        "fl": [RECIPIENT],
    }


# The file digest of "up" is compared with the files of a fresh export, never parsed: any text
# that is not one of them is a stale file.
UNPARSED = {("up", 0)}


# Hundreds of taps by one person: the per-user allowance is not what is tested here.
@pytest.mark.bot_settings(tap_limit_per_minute=0)
async def test_each_malformed_or_missing_argument_is_answered_out_of_date(
    bot: Running, caplog: pytest.LogCaptureFixture
) -> None:
    at = await scene(bot)
    templates = well_formed(at.own[0])
    assert set(templates) == set(TAPS), "a new verb needs its arguments here"
    tapper, wrong = Tapper(bot), {}
    for verb, args in sorted(templates.items()):
        for index in range(len(args)):
            for bad in ("²", "", ":"):
                if (verb, index) in UNPARSED:
                    continue
                data = ":".join(["v1", verb, *args[:index], bad, *args[index + 1 :]])
                wrong[data] = await tapper.answer(at.owner, at.board, data)
            if index == len(args) - 1:
                data = ":".join(["v1", verb, *args[:index]])  # the last argument missing
                wrong[data] = await tapper.answer(at.owner, at.board, data)
    assert {data: toast for data, toast in wrong.items() if toast != texts.UNKNOWN_TAP} == {}
    assert await tapper.answered_more_than_once() == []
    assert tracebacks(caplog) == []
