"""Hostile files through the store (storage.uploads.import_file), on SQLite and PostgreSQL: a bad
row is refused and never changes a stored record; a bad file writes nothing."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from ims_domain.actions import ActionRequest
from ims_domain.formats.common import FormatError
from ims_domain.formats.gstr2b import write_gstr2b
from ims_domain.formats.ims_writer import write_ims
from ims_domain.formats.jsonio import encode_json, load_json
from ims_domain.records import Action, ReportedRecord
from ims_domain.text_limits import FILE_NAME_MAX, NAME_MAX
from storage.access import Actor
from storage.acting import act_on_record
from storage.bulk import apply_bulk
from storage.db import transaction
from storage.errors import InvalidInput
from storage.filters import RecordFilter
from storage.imports import ImportResult
from storage.models import ActionLog, ImportBatch, RecordRow, RegisterEntry, Taxpayer
from storage.rulebook import RuleBook
from storage.taxpayers import register_taxpayer
from storage.uploads import import_file
from tests.builders import OCT_2025, RECIPIENT, SUPPLIER, record
from tests.integration.store_helpers import APPROVER, CLI, NOW, setup_team

D = Decimal


@pytest.fixture
def team(engine: Engine) -> Engine:
    setup_team(engine)
    return engine


def send(engine: Engine, data: bytes, *, filename: str | None = None) -> ImportResult:
    with transaction(engine) as session:
        return import_file(
            session,
            actor=Actor.user(APPROVER),
            gstin=RECIPIENT,
            data=data,
            filename=filename,
            now=NOW,
        )


def download(*changes: dict[str, Any]) -> bytes:
    """An IMS download of INV-0, INV-1 …, row i spoiled by changes[i]."""
    records = [
        ReportedRecord(record(number=f"INV-{i}"), supplier_name="Sharma", portal_hash="ab" * 32)
        for i in range(len(changes))
    ]
    document = load_json(write_ims(records))
    for row, change in zip(document["b2b"], changes, strict=True):
        row.update(change)
    return encode_json(document)


def stored(engine: Engine) -> dict[str, RecordRow]:
    with Session(engine) as session:
        return {row.number: row for row in session.exec(select(RecordRow))}


HOSTILE = {
    "negative amount": {"iamt": D("-1800.00")},
    "negative value": {"val": D("-1.00")},
    "null tax": {"camt": None},
    "blank tax": {"samt": ""},
    "hash a number": {"hash": 123456},
    "hash a list": {"hash": ["ab"]},
    "hash an object": {"hash": {"h": "ab"}},
}


@pytest.mark.parametrize("change", HOSTILE.values(), ids=HOSTILE.keys())
def test_a_hostile_row_never_resets_an_action(team: Engine, change: dict[str, Any]) -> None:
    """Accepted here, then a download whose row of that record is hostile: the record, its
    version and its action stay as they were, and the row is reported refused."""
    send(team, download({}, {}))
    with transaction(team) as session:
        act_on_record(
            session,
            actor=Actor.user(APPROVER),
            gstin=RECIPIENT,
            record_id=stored(team)["INV-0"].id or 0,
            expected_version=None,
            request=ActionRequest(Action.ACCEPT),
            rulebook=RuleBook(),
            now=NOW,
        )
    before = stored(team)["INV-0"]
    with Session(team) as session:
        log_before = len(session.exec(select(ActionLog)).all())

    # The hostile row also differs in content, so if it were read it would be a supplier edit.
    spoiled = {**change, "txval": change.get("txval", D("9999.00"))}
    result = send(team, download(spoiled, {}))

    after = stored(team)["INV-0"]
    assert (after.version, after.action, after.content_hash, after.igst_paise) == (
        before.version,
        before.action,
        before.content_hash,
        before.igst_paise,
    )
    assert after.action == Action.ACCEPT.value and after.portal_hash == before.portal_hash
    with Session(team) as session:
        assert len(session.exec(select(ActionLog)).all()) == log_before
    refused = [p for p in result.problems if p.refused]
    assert [(p.section, p.index) for p in refused] == [("b2b", 0)]
    assert refused[0].field in change
    assert (result.refused, result.unchanged) == (1, 1)


def test_nul_in_a_name_or_remark_is_removed_and_in_a_number_refuses_the_row(
    team: Engine,
) -> None:
    """PostgreSQL text cannot hold NUL: the row with a NUL number is refused, never the file."""
    result = send(
        team,
        download(
            {"trdnm": "Sharma\x00 Steel", "remarks": "see\x00 mail"},
            {"inum": "INV\x001"},
            {"stin": SUPPLIER[:14] + "\x00"},
        ),
        filename="ims\x00.json",
    )
    rows = stored(team)
    assert list(rows) == ["INV-0"]
    assert rows["INV-0"].supplier_name == "Sharma Steel"
    refused = {(p.index, p.field) for p in result.problems if p.refused}
    assert refused == {(1, "inum"), (2, "stin")}
    warned = {(p.index, p.field) for p in result.problems if not p.refused}
    assert warned == {(0, "trdnm"), (0, "remarks")}
    with Session(team) as session:
        assert session.exec(select(ImportBatch.filename)).one() == "ims.json"


@pytest.mark.parametrize(
    "amount", [D("1E+30"), 99999999999999999999, int("9" * 400), D("9" * 30 + ".5")]
)
def test_an_amount_too_large_refuses_its_row_only(team: Engine, amount: Any) -> None:
    result = send(team, download({"txval": amount}, {}))
    assert list(stored(team)) == ["INV-1"]
    (problem,) = [p for p in result.problems if p.refused]
    assert (problem.index, problem.field) == (0, "txval")
    assert "amount too large" in problem.reason


@pytest.mark.parametrize(
    "data",
    [b"[]", b"[1,2]", b'{"a":1}', b'"text"', b"123", b"null", b"true", b"\xef\xbb\xbf  []",
     b'[{"stin": "29AAGCB7383J1Z4"}]'],
)  # fmt: skip
def test_json_we_do_not_read_is_refused_whole_and_writes_nothing(team: Engine, data: bytes) -> None:
    with pytest.raises(FormatError, match=r"not a file we read\. We read: IMS download"):
        send(team, data)
    with Session(team) as session:
        assert session.exec(select(ImportBatch)).first() is None


def test_a_repeated_section_key_refuses_the_file(team: Engine) -> None:
    text = download({}).decode()
    doubled = text[:-1] + "," + text[1:]  # {"b2b":[…],"b2b":[…]}
    with pytest.raises(FormatError, match="'b2b' twice"):
        send(team, doubled.encode())
    assert stored(team) == {}


def test_a_long_file_name_is_stored_shortened(team: Engine) -> None:
    send(team, download({}), filename="x" * 1000 + ".json")
    with Session(team) as session:
        name = session.exec(select(ImportBatch.filename)).one()
    assert name is not None and len(name) == FILE_NAME_MAX and name.endswith("…")


def test_a_negative_purchase_in_the_register_is_stored_as_a_credit_note(team: Engine) -> None:
    header = "Supplier GSTIN,Supplier name,Document number,Document date,Taxable value,IGST\r\n"
    csv = (header + f'{SUPPLIER},Sharma,CN-9,18-10-2025,"-2,000.00",-360\r\n').encode()
    result = send(team, csv)
    assert result.refused == 0
    with Session(team) as session:
        (book,) = session.exec(select(RegisterEntry)).all()
    assert (book.kind, book.number, book.taxable_paise, book.igst_paise) == (
        "b2bcn",
        "CN-9",
        200_000,
        36_000,
    )
    assert book.supplier_name == "Sharma"


def test_a_taxpayer_name_over_its_cap_is_refused_naming_the_cap(engine: Engine) -> None:
    with transaction(engine) as session, pytest.raises(InvalidInput, match=f"at most {NAME_MAX}"):
        register_taxpayer(session, actor=CLI, gstin=RECIPIENT, name="N" * 201, now=NOW)
    with transaction(engine) as session:
        register_taxpayer(session, actor=CLI, gstin=RECIPIENT, name="Acme\x00 Ltd", now=NOW)
    with Session(engine) as session:
        assert session.exec(select(Taxpayer.legal_name)).one() == "Acme Ltd"


def test_a_bulk_remark_over_the_limit_refuses_the_bulk_action(team: Engine) -> None:
    send(team, download({}, {}))
    with transaction(team) as session, pytest.raises(InvalidInput, match="limited to 200"):
        apply_bulk(
            session,
            actor=Actor.user(APPROVER),
            gstin=RECIPIENT,
            record_filter=RecordFilter(),
            action=Action.REJECT,
            remarks="r" * 201,
            rulebook=RuleBook(),
            now=NOW,
        )
    assert {row.action for row in stored(team).values()} == {"N"}
    with Session(team) as session:
        assert session.exec(select(ActionLog)).first() is None


def test_a_nul_in_a_persons_remark_is_removed(team: Engine) -> None:
    send(team, download({}))
    with transaction(team) as session:
        act_on_record(
            session,
            actor=Actor.user(APPROVER),
            gstin=RECIPIENT,
            record_id=stored(team)["INV-0"].id or 0,
            expected_version=None,
            request=ActionRequest(Action.REJECT, remarks="not\x00 ordered"),
            rulebook=RuleBook(),
            now=NOW,
        )
    assert stored(team)["INV-0"].remarks == "not ordered"


def test_items_that_sum_past_the_limit_refuse_their_row_not_the_import(team: Engine) -> None:
    """Each item below the limit, their sum beyond a 64-bit count of paise: PostgreSQL refused
    the whole import ("bigint out of range") before the sum was checked."""
    records = [record(number="BIG-1"), record(number="OK-1")]
    document = load_json(write_gstr2b(records, gstin=RECIPIENT, period=OCT_2025))
    big = document["data"]["docdata"]["b2b"][0]["inv"][0]
    for key in ("txval", "igst", "cgst", "sgst", "cess"):
        del big[key]
    big["items"] = [{"txval": D("999999999999999.00"), "igst": D("99.00")}] * 100
    result = send(team, encode_json(document))
    assert list(stored(team)) == ["OK-1"]
    (problem,) = [p for p in result.problems if p.refused]
    assert (problem.index, problem.field) == (0, "items")
    assert "amount too large" in problem.reason
