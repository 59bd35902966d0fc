"""Imports: one transaction, idempotent by file and by record, supplier edits reset (R5.1)."""

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, func, select

from ims_domain.records import Action
from storage.access import Actor
from storage.db import transaction
from storage.errors import AccessDenied, NotFound
from storage.models import ActionLog, ImportBatch, Outbox, RecordHistory, RecordRow
from tests.integration.store_helpers import (
    APPROVER,
    NOW,
    OTHER_RECIPIENT,
    OWNER,
    STRANGER,
    VIEWER,
    do_import,
    invoices,
    setup_team,
)


def count(session: Session, table: type) -> int:
    return session.exec(select(func.count()).select_from(table)).one()


@pytest.fixture
def team(engine: Engine) -> Engine:
    setup_team(engine)
    return engine


def test_R1_1_import_stores_records_and_one_digest_per_member(team: Engine) -> None:
    result = do_import(team, invoices(500), actor=Actor.user(APPROVER))
    assert (result.new, result.changed, result.unchanged, result.refused) == (500, 0, 0, 0)
    with Session(team) as session:
        assert count(session, RecordRow) == 500
        digests = session.exec(select(Outbox).where(Outbox.kind == "digest")).all()
    # One digest per member of the recipient, none to the uploader and none per record.
    assert sorted(d.chat_id for d in digests) == [OWNER, VIEWER]
    assert digests[0].payload["new"] == 500
    assert digests[0].payload["by_kind"] == {"b2b": 500}


def test_same_file_twice_changes_nothing_the_second_time(team: Engine) -> None:
    do_import(team, invoices(20))
    with Session(team) as session:
        before = [(r.id, r.version, r.updated_at) for r in session.exec(select(RecordRow))]
        outbox_before = count(session, Outbox)
    again = do_import(team, invoices(20))
    assert again.duplicate
    assert (again.new, again.changed) == (20, 0)  # the earlier batch's counts, as reported then
    with Session(team) as session:
        assert [(r.id, r.version, r.updated_at) for r in session.exec(select(RecordRow))] == before
        assert count(session, ImportBatch) == 1
        assert count(session, Outbox) == outbox_before


def test_same_records_in_another_file_are_unchanged(team: Engine) -> None:
    do_import(team, invoices(20))
    result = do_import(team, invoices(20), content=b"another file with the same records")
    assert (result.new, result.changed, result.unchanged, result.duplicate) == (0, 0, 20, False)
    with Session(team) as session:
        assert count(session, ImportBatch) == 2
        assert count(session, RecordHistory) == 0


def test_R5_1_OQ8_changed_content_resets_the_action_keeps_history_and_logs(team: Engine) -> None:
    do_import(team, invoices(3, portal_action=Action.ACCEPT))
    edited = invoices(3, igst="2000", portal_action=None)
    result = do_import(team, edited)
    assert (result.new, result.changed, result.unchanged) == (0, 3, 0)
    with Session(team) as session:
        rows = session.exec(select(RecordRow)).all()
        assert {(r.action, r.version, r.igst_paise) for r in rows} == {("N", 2, 200000)}
        history = session.exec(select(RecordHistory)).all()
        assert len(history) == 3
        assert history[0].content["igst_paise"] == 180000
        log = session.exec(select(ActionLog)).all()
        assert {(e.from_action, e.to_action, e.channel) for e in log} == {
            ("A", "N", "supplier_edit")
        }
        digests = session.exec(select(Outbox).where(Outbox.kind == "digest")).all()
        assert {d.payload["reset"] for d in digests if d.payload["changed"]} == {3}


def test_records_for_an_unregistered_recipient_are_skipped_with_a_reason(team: Engine) -> None:
    records = invoices(2) + invoices(3, recipient="24AAQCA8719H1ZC", prefix="X")
    result = do_import(team, records)
    assert (result.new, result.refused, result.skipped) == (2, 0, 3)
    assert result.problems[0].field == "recipient"
    assert "24AAQCA8719H1ZC" in result.problems[0].reason


def test_import_that_fails_half_way_leaves_nothing_behind(
    team: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    do_import(team, invoices(5))

    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full")

    # The failure comes after the records and history are written, before the digest.
    monkeypatch.setattr("storage.imports.enqueue", explode)
    with pytest.raises(RuntimeError, match="disk full"):
        do_import(team, invoices(5, igst="9") + invoices(5, prefix="NEW"))
    with Session(team) as session:
        assert count(session, RecordRow) == 5
        assert count(session, ImportBatch) == 1
        assert count(session, RecordHistory) == 0
        assert {r.igst_paise for r in session.exec(select(RecordRow))} == {180000}


def test_viewers_and_strangers_cannot_import(team: Engine) -> None:
    with pytest.raises(AccessDenied):
        do_import(team, invoices(1), actor=Actor.user(VIEWER))
    with pytest.raises(NotFound):
        do_import(team, invoices(1), actor=Actor.user(STRANGER))
    # A stranger's own GSTIN still cannot carry records into someone else's inbox unseen:
    # records addressed to RECIPIENT land there, and RECIPIENT's members are told (digest).
    result = do_import(team, invoices(1), actor=Actor.user(STRANGER), gstin=OTHER_RECIPIENT)
    assert result.new == 1
    with transaction(team) as session:
        assert session.exec(select(Outbox).where(Outbox.kind == "digest")).first() is not None


def test_import_time_is_stored_in_utc(team: Engine) -> None:
    do_import(team, invoices(1))
    with Session(team) as session:
        stored = session.exec(select(RecordRow)).one().created_at
    assert stored == NOW
    assert stored.utcoffset() is not None
