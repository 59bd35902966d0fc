"""Files in and out of the store: import by content, portal sync, the action upload round trip."""

from dataclasses import replace

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from ims_domain.actions import ActionRequest
from ims_domain.formats.common import FormatError
from ims_domain.formats.gstr1 import write_gstr1
from ims_domain.formats.gstr2b import write_gstr2b
from ims_domain.formats.ims_actions import parse_action_upload
from ims_domain.formats.ims_writer import write_ims
from ims_domain.periods import ReturnPeriod
from ims_domain.records import Action, FilingStatus, RecordKind
from storage.access import Actor
from storage.acting import act_on_record
from storage.db import transaction
from storage.errors import NotFound
from storage.exports import export_actions, mark_uploaded
from storage.imports import ImportResult
from storage.models import ActionLog, ImportBatch, RecordRow
from storage.rulebook import RuleBook
from storage.taxpayers import register_taxpayer
from storage.uploads import import_file
from tests.builders import RECIPIENT, SUPPLIER
from tests.integration.store_helpers import APPROVER, CLI, NOW, STRANGER, invoices, setup_team

RULES = RuleBook()


@pytest.fixture
def team(engine: Engine) -> Engine:
    setup_team(engine)
    return engine


def send(
    engine: Engine, data: bytes, *, user: int = APPROVER, gstin: str = RECIPIENT
) -> ImportResult:
    with transaction(engine) as session:
        return import_file(session, actor=Actor.user(user), gstin=gstin, data=data, now=NOW)


def rows(engine: Engine) -> dict[str, RecordRow]:
    with Session(engine) as session:
        return {r.number: r for r in session.exec(select(RecordRow))}


def act(engine: Engine, number: str, action: Action) -> None:
    with transaction(engine) as session:
        act_on_record(
            session,
            actor=Actor.user(APPROVER),
            gstin=RECIPIENT,
            record_id=rows(engine)[number].id or 0,
            expected_version=None,
            request=ActionRequest(action, remarks="x"),
            rulebook=RULES,
            now=NOW,
        )


def test_each_format_is_told_by_content_and_imported(team: Engine) -> None:
    download = invoices(3)
    assert send(team, write_ims(download)).format == "ims"
    two_b = write_gstr2b(download, gstin=RECIPIENT, period=ReturnPeriod(2025, 10))
    result = send(team, two_b)
    # The same documents from GSTR-2B are not supplier edits: nothing is reset (R5.1, OQ8).
    assert (result.format, result.new, result.changed, result.unchanged) == ("gstr2b", 0, 0, 3)
    filed_later = [
        replace(
            r, record=replace(r.record, filing_status=FilingStatus.NOT_FILED, two_b_period=None)
        )
        for r in invoices(2, prefix="NEW")
    ]
    gstr1 = write_gstr1(filed_later, gstin=SUPPLIER, period=ReturnPeriod(2025, 10))
    with transaction(team) as session:  # a supplier's return is imported by its own team
        register_taxpayer(session, actor=CLI, gstin=SUPPLIER, name="Sharma", owner_id=555, now=NOW)
    result = send(team, gstr1, user=555, gstin=SUPPLIER)
    assert (result.format, result.new) == ("gstr1", 2)


def test_a_file_we_cannot_read_writes_nothing(team: Engine) -> None:
    for data, message in (
        (b"%PDF-1.7 ...", "this is a PDF"),
        (b'{"b2b": [', "ends too early"),
        (b"", "the file is empty"),
        (b'{"hello": 1}', "not a file we read"),
    ):
        with pytest.raises(FormatError, match=message):
            send(team, data)
    with Session(team) as session:
        assert session.exec(select(ImportBatch)).first() is None


def test_size_limit_is_refused_whole(team: Engine) -> None:
    with transaction(team) as session, pytest.raises(FormatError, match="the limit is 1 MB"):
        import_file(
            session,
            actor=Actor.user(APPROVER),
            gstin=RECIPIENT,
            data=b" " * 2_000_000,
            max_bytes=1_048_576,
            now=NOW,
        )


def test_a_stranger_cannot_import_into_a_gstin(team: Engine) -> None:
    with pytest.raises(NotFound):
        send(team, write_ims(invoices(1)), user=STRANGER)


def test_OQ8_portal_action_is_adopted_when_nothing_changed_here(team: Engine) -> None:
    send(team, write_ims(invoices(2)))
    act(team, "INV-1", Action.REJECT)  # a local change not yet uploaded
    later = [replace(r, portal_action=Action.ACCEPT) for r in invoices(2)]
    result = send(team, write_ims(later))
    assert (result.changed, result.unchanged) == (0, 2)
    stored = rows(team)
    # Accepted on the portal and untouched here: adopted, audited as "portal".
    assert (stored["INV-0"].action, stored["INV-0"].portal_action) == ("A", "A")
    # Rejected here, not yet uploaded: the local intent stays; prev_status follows the portal.
    assert (stored["INV-1"].action, stored["INV-1"].portal_action) == ("R", "A")
    with Session(team) as session:
        log = session.exec(select(ActionLog).where(ActionLog.channel == "portal")).all()
    assert [(e.from_action, e.to_action) for e in log] == [("N", "A")]


def test_R8_6_R8_8_action_upload_round_trip_and_mark_uploaded(team: Engine) -> None:
    download = invoices(3) + invoices(1, kind=RecordKind.CREDIT_NOTE, prefix="CN")
    blocked = invoices(1, prefix="BLK")
    blocked = [replace(r, record=replace(r.record, pending_blocked=True)) for r in blocked]
    send(team, write_ims(download + blocked))
    act(team, "INV-0", Action.REJECT)
    act(team, "INV-1", Action.PENDING)
    act(team, "CN-0", Action.ACCEPT)
    with transaction(team) as session:
        upload = export_actions(
            session, actor=Actor.user(APPROVER), gstin=RECIPIENT, rulebook=RULES
        )
    sent = {
        (u.section, u.number, u.action, u.prev_status)
        for f in upload.files
        for u in parse_action_upload(f)
    }
    assert sent == {
        ("b2b", "INV-0", Action.REJECT, Action.NO_ACTION),
        ("b2b", "INV-1", Action.PENDING, Action.NO_ACTION),
        ("b2bcn", "CN-0", Action.ACCEPT, Action.NO_ACTION),
    }
    cn = next(u for f in upload.files for u in parse_action_upload(f) if u.section == "b2bcn")
    assert cn.itc_reduction_requested is True  # R4.2: a specified record says "reduce ITC"
    with transaction(team) as session:
        marked = mark_uploaded(
            session, actor=Actor.user(APPROVER), gstin=RECIPIENT, upload=upload.files[0], now=NOW
        )
        assert marked.updated == 3
        again = export_actions(session, actor=Actor.user(APPROVER), gstin=RECIPIENT, rulebook=RULES)
    assert again.files == []


def test_every_shared_sample_is_read_or_refused_with_a_reason(shared_samples) -> None:
    """Conformance: each real-shape file is recognised; what we do not read says why."""
    from storage.files import read_upload

    expected = {
        "onyb-gst_gstr1-062025-reference.json": "gstr1",
        "onyb-gst_gstr1-eco-062025-reference.json": "gstr1",
        "india-compliance_test_ims.json": "ims",
        "india-compliance_test_gstr_2b_v1-preIMS.json": "gstr2b",
        "india-compliance_test_gstr_2b_v4_0-postIMS.json": "gstr2b",
    }
    refused = {
        "india-compliance_test_gstr_2a.json": "this is a GSTR-2A",
        "gstin-test-vectors.json": "not a file we read",
    }
    for path in sorted(shared_samples.rglob("*.json")):
        # The 2B samples are for GSTN's documentation GSTIN; read them as that recipient.
        gstin = "01AABCE2207R1Z5" if "gstr_2b" in path.name else RECIPIENT
        if path.name in refused:
            with pytest.raises(FormatError, match=refused[path.name]):
                read_upload(path.read_bytes(), gstin=gstin)
        else:
            assert read_upload(path.read_bytes(), gstin=gstin).format.value == expected[path.name]
