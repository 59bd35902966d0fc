"""Hostile files of every class fed through storage.uploads.import_file on both backends: only
FormatError or UseCaseError escape, no file hangs, a refused file leaves the store as it was,
and an imported one holds its good rows and none it refused.

Each file is imported for a recipient of its own (registered just before), so what a file
left behind is told apart from the others.
"""

from __future__ import annotations

import random
import signal
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from types import FrameType
from typing import Any

import pytest
from sqlalchemy import Engine, select

from ims_domain.formats.common import FormatError
from storage.access import Actor
from storage.db import make_engine, transaction, upgrade_schema
from storage.errors import UseCaseError
from storage.imports import ImportResult
from storage.models import Channel, RecordRow, RegisterEntry, Taxpayer
from storage.taxpayers import register_taxpayer
from storage.uploads import import_file
from tests.reliability import summary
from tests.reliability.hostile import CLASSES, Hostile
from tests.reliability.scale import Scale
from tests.reliability.store_state import counts, difference
from tests.storage_fixtures import BACKENDS, database_url

CLI = Actor.system(Channel.CLI)
SECONDS_PER_FILE = 30
LONGEST_TEXT = 1_000  # characters any stored name, number, remark or hash may have


class Hang(BaseException):
    """A file took longer than SECONDS_PER_FILE (a BaseException: no handler swallows it)."""


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Raise Hang in this (the main) thread if the block runs longer than `seconds`."""

    def hang(signum: int, frame: FrameType | None) -> None:
        raise Hang

    previous = signal.signal(signal.SIGALRM, hang)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture(scope="module")
def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """One migrated store per backend for every class (each file has a recipient of its own)."""
    urls = database_url(request.param, tmp_path_factory.mktemp("hostile"))
    engine = make_engine(next(urls))
    upgrade_schema(engine)
    yield engine
    engine.dispose()
    for _ in urls:  # drops a PostgreSQL test database
        pass


# Seeds of different classes must not meet (a seed makes the recipient) and must keep their
# remainders (a class's variants take turns by seed): 6,000 is a multiple of every count.
SEEDS_PER_CLASS = 6_000


@pytest.mark.parametrize("kind", list(CLASSES))
@pytest.mark.parametrize("backend", BACKENDS, indirect=True)
def test_hostile_files_are_refused_whole_or_imported_without_their_bad_rows(
    kind: str, backend: Engine, scale: Scale
) -> None:
    generate, variants = CLASSES[kind]
    files = scale.hostile_files if scale.long else variants
    first = SEEDS_PER_CLASS * (1 + list(CLASSES).index(kind))
    rng = random.Random(f"hostile:{kind}")
    tally: Counter[str] = Counter()
    failures: list[str] = []
    slowest = 0.0
    for n in range(files):
        hostile = generate(first + n, rng)
        started = time.monotonic()
        failures += [f"{hostile.label} #{n}: {why}" for why in feed(backend, hostile, tally)]
        slowest = max(slowest, time.monotonic() - started)
    summary.add_row(
        "hostile files through import_file",
        {
            "class": kind,
            "backend": backend.dialect.name,
            "files": files,
            "refused whole": tally["refused"],
            "imported, some rows refused": tally["rows refused"],
            "imported whole": tally["whole"],
            "rows refused": tally["refused rows"],
            "slowest (s)": slowest,
            "failures": len(failures),
        },
    )
    assert not failures, "\n".join(failures[:20])


def feed(engine: Engine, hostile: Hostile, tally: Counter[str]) -> list[str]:
    """Import one hostile file; what went wrong, if anything."""
    now = datetime.now(UTC)
    with transaction(engine) as session:
        if not session.execute(select(Taxpayer.id).where(Taxpayer.gstin == hostile.gstin)).first():  # type: ignore[arg-type]
            register_taxpayer(session, actor=CLI, gstin=hostile.gstin, name="Hostile Test", now=now)
    before = counts(engine)
    try:
        with deadline(SECONDS_PER_FILE), transaction(engine) as session:
            result = import_file(
                session, actor=CLI, gstin=hostile.gstin, data=hostile.data, now=now
            )
    except (FormatError, UseCaseError):
        tally["refused"] += 1
        after = counts(engine)
        return (
            [f"refused, yet the store changed: {difference(after, before)}"]
            if after != before
            else []
        )
    except Hang:
        return [f"no answer within {SECONDS_PER_FILE} s"]
    except Exception as exc:
        return [f"traceback: {type(exc).__name__}: {str(exc)[:300]}"]
    if hostile.refuse_file:
        return ["imported a file that must be refused"]
    tally["rows refused" if result.refused else "whole"] += 1
    tally["refused rows"] += result.refused
    return check_imported(engine, hostile, result)


def check_imported(engine: Engine, hostile: Hostile, result: ImportResult) -> list[str]:
    """An imported file holds every row it left alone and none it refused; what is stored is
    within bounds."""
    stored = stored_rows(engine, hostile.gstin, register=result.format == "purchase_register")
    identities = {row["identity"] for row in stored}
    problems: list[str] = []
    if len(stored) != result.new + result.changed:
        problems.append(f"{len(stored)} rows stored, the result says {result.new} new")
    missing = hostile.intact - identities
    if missing:
        problems.append(f"rows left alone were not imported: {sorted(missing)[:3]}")
    refused = {(p.section, p.index) for p in result.problems if p.refused}
    named = {(p.section, p.index) for p in result.problems}
    for mark in hostile.marked:
        where = f"{mark.section}[{mark.index}]"
        was_refused = (mark.section, mark.index) in refused
        if mark.refuse and not was_refused:
            problems.append(f"{where} was not refused")
        if mark.name and not named & {(mark.section, mark.index), (mark.section, None)}:
            problems.append(f"{where} passed without a word")
        if was_refused and mark.identity in identities:
            problems.append(f"{where} was refused, yet stored")
    for row in stored:
        problems += out_of_bounds(row)
    return problems


def stored_rows(engine: Engine, gstin: str, *, register: bool) -> list[dict[str, Any]]:
    """The records (or register entries) of one recipient, as column dicts."""
    table: Any = RegisterEntry if register else RecordRow
    with transaction(engine) as session:
        taxpayer = session.execute(select(Taxpayer.id).where(Taxpayer.gstin == gstin)).scalar_one()  # type: ignore[arg-type]
        rows = session.execute(select(table).where(table.taxpayer_id == taxpayer)).scalars()
        return [dict(row.model_dump()) for row in rows]


def out_of_bounds(row: dict[str, Any]) -> list[str]:
    """What in a stored row no sound import would store: negative amounts, a hash that is not
    text, texts beyond LONGEST_TEXT characters."""
    problems = [
        f"{name} is negative ({value})"
        for name, value in row.items()
        if name.endswith("_paise") and isinstance(value, int) and value < 0
    ]
    hash_value = row.get("portal_hash")
    if hash_value is not None and not isinstance(hash_value, str):
        problems.append(f"portal_hash is {type(hash_value).__name__}")
    problems += [
        f"{name} has {len(value):,} characters"
        for name, value in row.items()
        if isinstance(value, str) and len(value) > LONGEST_TEXT and name != "identity"
    ]
    identity = row.get("identity") or ""
    if len(identity) > LONGEST_TEXT:
        problems.append(f"identity has {len(identity):,} characters")
    return problems
