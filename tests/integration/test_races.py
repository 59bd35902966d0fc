"""Writers racing on one PostgreSQL database: nothing a person was told is done gets lost.

SQLite takes one writer at a time, so these races exist only where several connections write at
once. One test holds an import to an exact interleaving; the others run many pairs of writers,
each pair in two threads that start together at a barrier.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from ims_domain.actions import ActionRequest
from ims_domain.records import Action, ReportedRecord
from storage import imports
from storage.access import Actor
from storage.acting import ActOutcome, act_on_record
from storage.bulk import BulkResult
from storage.bulk_preview import apply_bulk_preview, keep_bulk_preview
from storage.db import make_engine, transaction, upgrade_schema
from storage.errors import NotFound, StaleRecord
from storage.exports import export_actions, mark_uploaded
from storage.filters import RecordFilter
from storage.models import (
    ActionLog,
    Channel,
    Invite,
    Membership,
    RecordHistory,
    RecordRow,
    Role,
)
from storage.rulebook import RuleBook
from storage.taxpayers import create_invite, join_with_invite
from tests.builders import RECIPIENT
from tests.integration.store_helpers import (
    APPROVER,
    NOW,
    OWNER,
    do_import,
    invoices,
    setup_team,
)
from tests.storage_fixtures import database_url

pytestmark = pytest.mark.postgresql
RULES = RuleBook()
PAIRS = 24


@pytest.fixture
def pg(tmp_path: Path) -> Iterator[Engine]:
    """A migrated PostgreSQL database with the team of store_helpers (skipped without one)."""
    for url in database_url("postgresql", tmp_path):
        engine = make_engine(url, pool_size=8)
        upgrade_schema(engine)
        setup_team(engine)
        yield engine
        engine.dispose()


def record_id(engine: Engine, number: str) -> tuple[int, int]:
    """The id and version of the record with this number."""
    with Session(engine) as session:
        row = session.exec(select(RecordRow).where(RecordRow.number == number)).one()
        assert row.id is not None
        return row.id, row.version


def reject(engine: Engine, row_id: int, version: int) -> ActOutcome:
    """A person's Reject of the version they saw, in a transaction of its own."""
    with transaction(engine) as session:
        return act_on_record(
            session,
            actor=Actor.user(APPROVER),
            gstin=RECIPIENT,
            record_id=row_id,
            expected_version=version,
            request=ActionRequest(Action.REJECT, remarks="not ours"),
            rulebook=RULES,
            now=NOW,
        )


def newer_download(number: str, change: str) -> list[ReportedRecord]:
    """A download of one record that the portal accepted (`adopt`) or the supplier edited."""
    [item] = [r for r in invoices(PAIRS) if r.record.key.number == number]
    if change == "adopt":
        return [replace(item, portal_action=Action.ACCEPT)]
    [edited] = [r for r in invoices(PAIRS, igst="2100") if r.record.key.number == number]
    return [edited]


def trail(engine: Engine, row_id: int) -> tuple[RecordRow, list[ActionLog]]:
    """The record as stored and its audit rows, oldest first."""
    with Session(engine) as session:
        row = session.get(RecordRow, row_id)
        assert row is not None
        log = session.exec(
            select(ActionLog).where(ActionLog.record_id == row_id).order_by(ActionLog.id)  # type: ignore[arg-type]
        ).all()
        return row, list(log)


@pytest.mark.parametrize("change", ["adopt", "edit"])
def test_a_reject_committed_while_an_import_runs_is_kept_and_audited(
    pg: Engine, monkeypatch: pytest.MonkeyPatch, change: str
) -> None:
    do_import(pg, invoices(PAIRS))
    row_id, version = record_id(pg, "INV-3")
    done: list[ActOutcome] = []
    # The import has read the record (No action, in step with the portal); the Reject commits
    # from another connection before the import writes.
    monkeypatch.setattr(
        imports, "between_read_and_write", lambda: done.append(reject(pg, row_id, version))
    )
    do_import(pg, newer_download("INV-3", change), content=change.encode())
    row, log = trail(pg, row_id)
    steps = [(e.from_action, e.to_action, e.channel, e.record_version) for e in log]
    if change == "adopt":
        # The local Reject is no longer in step with the portal: kept; the portal state moves.
        assert (row.action, row.portal_action, row.version) == ("R", "A", 2)
        assert steps == [("N", "R", "bot", 2)]
    else:
        # R5.1: the supplier's edit resets the Reject it saw, and says so in the audit.
        assert (row.action, row.version, row.igst_paise) == ("N", 3, 210000)
        assert steps == [("N", "R", "bot", 2), ("R", "N", "supplier_edit", 3)]
        with Session(pg) as session:
            kept = session.exec(select(RecordHistory).where(RecordHistory.record_id == row_id))
            assert [(h.version, h.content["action"]) for h in kept] == [(2, "R")]
        with pytest.raises(StaleRecord, match="the supplier's edit"):
            reject(pg, row_id, 2)  # acting on the version the edit replaced
    assert done[0].version == 2


def test_an_upload_marked_while_an_import_runs_counts_as_marked_before_it(
    pg: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    do_import(pg, invoices(PAIRS))
    row_id, version = record_id(pg, "INV-3")
    reject(pg, row_id, version)
    with transaction(pg) as session:
        [upload] = export_actions(
            session, actor=Actor.user(APPROVER), gstin=RECIPIENT, rulebook=RULES
        ).files

    def mark() -> None:
        with transaction(pg) as session:
            mark_uploaded(
                session, actor=Actor.user(APPROVER), gstin=RECIPIENT, upload=upload, now=NOW
            )

    # The import read (Rejected here, not yet on the portal); the upload is marked (the portal
    # holds the Reject, with no new version); the import's download says Accepted.
    monkeypatch.setattr(imports, "between_read_and_write", mark)
    do_import(pg, newer_download("INV-3", "adopt"), content=b"after the upload")
    row, log = trail(pg, row_id)
    # As if the mark came first: in step with the portal, the portal's Accept is adopted.
    assert (row.action, row.portal_action, row.version) == ("A", "A", 3)
    assert [(e.from_action, e.to_action, e.channel) for e in log] == [
        ("N", "R", "bot"),
        ("R", "A", "portal"),
    ]


def race(first: Callable[[], Any], second: Callable[[], Any]) -> list[Any]:
    """Run both at once (a barrier starts them together); each result or the error it raised."""
    barrier = threading.Barrier(2)

    def run(work: Callable[[], Any]) -> Any:
        barrier.wait()
        try:
            return work()
        except Exception as exc:
            return exc

    with ThreadPoolExecutor(2) as pool:
        return list(pool.map(run, [first, second]))


def test_imports_racing_rejects_never_overwrite_one_silently(pg: Engine) -> None:
    do_import(pg, invoices(PAIRS))
    told_done: dict[int, int] = {}
    for i in range(PAIRS):
        number, change = f"INV-{i}", ("adopt", "edit")[i % 2]
        row_id, version = record_id(pg, number)
        _, outcome = race(
            partial(do_import, pg, newer_download(number, change), content=number.encode()),
            partial(reject, pg, row_id, version),
        )
        if isinstance(outcome, ActOutcome):
            told_done[row_id] = outcome.version
        else:
            assert isinstance(outcome, StaleRecord), outcome
    assert told_done, "no Reject went through: the race was not run"
    for i in range(PAIRS):
        row_id, _ = record_id(pg, f"INV-{i}")
        row, log = trail(pg, row_id)
        versions = [e.record_version for e in log]
        assert versions == sorted(set(versions)), f"two writers took one version: {log}"
        assert row.action == (log[-1].to_action if log else "N")
        if row_id in told_done:
            rejected = [e for e in log if e.channel == "bot"]
            assert [e.record_version for e in rejected] == [told_done[row_id]]
            assert rejected[-1] is log[-1] or log[-1].record_version > told_done[row_id]


def test_two_people_using_one_invite_at_once_one_joins_and_the_other_is_told(pg: Engine) -> None:
    for i in range(PAIRS):
        with transaction(pg) as session:
            code = create_invite(
                session, actor=Actor.user(OWNER), gstin=RECIPIENT, role=Role.APPROVER, now=NOW
            ).code
        first, second = 5000 + 2 * i, 5001 + 2 * i
        results = race(partial(join, pg, first, code), partial(join, pg, second, code))
        joined = [r for r in results if not isinstance(r, Exception)]
        refused = [r for r in results if isinstance(r, Exception)]
        assert len(joined) == 1, results
        assert isinstance(refused[0], NotFound) and "already used" in str(refused[0])
        with Session(pg) as session:
            members = session.exec(
                select(Membership.user_id).where(col(Membership.user_id).in_([first, second]))
            ).all()
            invite = session.exec(select(Invite).where(Invite.code == code)).one()
        assert members == [invite.used_by]


def join(engine: Engine, user_id: int, code: str) -> object:
    """A person opens an invite link, in a transaction of their own."""
    with transaction(engine) as session:
        return join_with_invite(session, user_id=user_id, name=f"user{user_id}", code=code, now=NOW)


def test_a_bulk_confirmation_racing_single_actions_loses_no_update(pg: Engine) -> None:
    for i in range(PAIRS):
        do_import(pg, invoices(4, prefix=f"P{i}"), content=f"pair {i}".encode())
        seen = {k: record_id(pg, f"P{i}-{k}") for k in range(4)}
        with transaction(pg) as session:
            shown = keep_bulk_preview(
                session,
                actor=Actor.user(OWNER),
                gstin=RECIPIENT,
                record_filter=RecordFilter(record_ids=tuple(row_id for row_id, _ in seen.values())),
                action=Action.ACCEPT,
                rulebook=RULES,
                now=NOW,
            )
        assert shown.count == 4 and shown.preview_id is not None
        done, singles = race(
            partial(confirm, pg, shown.preview_id),
            partial(reject_each, pg, [seen[1], seen[3]]),
        )
        assert isinstance(done, BulkResult), done
        rejected = {row_id for row_id, outcome in singles if outcome is not None}
        assert (done.count, done.changed_since) == (4 - len(rejected), len(rejected))
        for row_id, _ in seen.values():
            row, log = trail(pg, row_id)
            versions = [e.record_version for e in log]
            assert versions == sorted(set(versions)), f"two writers took one version: {log}"
            if row_id in rejected:
                assert (row.action, log[-1].channel, log[-1].bulk_id) == ("R", "bot", None)
                assert all(e.bulk_id is None for e in log)
            else:
                assert (row.action, log[-1].channel, log[-1].bulk_id) == ("A", "bulk", done.bulk_id)


def confirm(engine: Engine, preview_id: int) -> BulkResult:
    """The owner confirms a kept bulk preview, in a transaction of their own."""
    with transaction(engine) as session:
        return apply_bulk_preview(
            session,
            actor=Actor.user(OWNER, Channel.BULK),
            preview_id=preview_id,
            rulebook=RULES,
            now=NOW,
        )


def reject_each(engine: Engine, seen: list[tuple[int, int]]) -> list[tuple[int, object]]:
    """A person's Rejects of these records, one after the other; None where it was stale."""
    outcomes: list[tuple[int, object]] = []
    for row_id, version in seen:
        try:
            outcomes.append((row_id, reject(engine, row_id, version)))
        except StaleRecord:
            outcomes.append((row_id, None))
    return outcomes
