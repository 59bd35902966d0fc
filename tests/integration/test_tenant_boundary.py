"""Whose records a file may change: a supplier's return changes only its filer's documents."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from ims_domain.actions import ActionRequest
from ims_domain.formats.gstr1 import write_gstr1
from ims_domain.formats.gstr2b import write_gstr2b
from ims_domain.formats.ims_writer import write_ims
from ims_domain.periods import ReturnPeriod
from ims_domain.records import Action, FilingStatus, RecordKind, ReportedRecord
from storage.access import Actor
from storage.acting import act_on_record
from storage.db import transaction
from storage.errors import AccessDenied, InvalidInput, UseCaseError
from storage.imports import ImportResult
from storage.models import ImportBatch, RecordRow, Role
from storage.queries import record_source
from storage.rulebook import RuleBook
from storage.taxpayers import create_invite, join_with_invite
from storage.uploads import import_file
from tests.builders import RECIPIENT, SUPPLIER
from tests.integration.store_helpers import (
    APPROVER,
    CLI,
    NOW,
    OTHER_RECIPIENT,
    OWNER,
    STRANGER,
    SUPPLIER_OWNER,
    VIEWER,
    invoices,
    setup_supplier,
    setup_team,
)

OCTOBER = ReturnPeriod(2025, 10)


@pytest.fixture
def parties(engine: Engine) -> Engine:
    """RECIPIENT's team (setup_team), and SUPPLIER registered here with its own owner."""
    setup_team(engine)
    setup_supplier(engine)
    return engine


def suppliers_return(
    count: int = 2, *, prefix: str = "INV", igst: str = "1800", filer: str = SUPPLIER
) -> bytes:
    """SUPPLIER's GSTR-1 for October 2025 with `count` invoices to RECIPIENT."""
    saved = [
        replace(
            r, record=replace(r.record, filing_status=FilingStatus.NOT_FILED, two_b_period=None)
        )
        for r in invoices(count, prefix=prefix, igst=igst)
    ]
    return write_gstr1(saved, gstin=filer, period=OCTOBER)


def send(engine: Engine, data: bytes, *, actor: Actor, gstin: str) -> ImportResult:
    with transaction(engine) as session:
        return import_file(session, actor=actor, gstin=gstin, data=data, now=NOW)


def records(engine: Engine) -> dict[str, RecordRow]:
    with Session(engine) as session:
        return {row.number: row for row in session.exec(select(RecordRow))}


def accept(engine: Engine, number: str) -> None:
    with transaction(engine) as session:
        act_on_record(
            session,
            actor=Actor.user(APPROVER),
            gstin=RECIPIENT,
            record_id=records(engine)[number].id or 0,
            expected_version=None,
            request=ActionRequest(Action.ACCEPT),
            rulebook=RuleBook(),
            now=NOW,
        )


@pytest.mark.parametrize("sender", [APPROVER, OWNER, STRANGER])
def test_a_suppliers_return_sent_by_a_member_of_another_gstin_is_refused(
    parties: Engine, sender: int
) -> None:
    """A buyer's approver (or the owner of an unrelated GSTIN) cannot import SUPPLIER's return."""
    gstin = OTHER_RECIPIENT if sender == STRANGER else RECIPIENT
    with pytest.raises(UseCaseError, match=f"filed by {SUPPLIER}"):
        send(parties, suppliers_return(), actor=Actor.user(sender), gstin=gstin)
    assert records(parties) == {}
    with Session(parties) as session:
        assert session.exec(select(ImportBatch)).all() == []


def test_a_suppliers_return_cannot_reset_a_buyers_action(parties: Engine) -> None:
    """The attack: a forged 'edit' of a supplier's invoice resets the buyer's Accept."""
    send(parties, write_ims(invoices(2)), actor=Actor.user(APPROVER), gstin=RECIPIENT)
    accept(parties, "INV-0")
    edited = suppliers_return(prefix="INV", igst="900")  # same numbers, other tax: an "edit"
    with pytest.raises(UseCaseError):
        send(parties, edited, actor=Actor.user(APPROVER), gstin=RECIPIENT)
    row = records(parties)["INV-0"]
    assert (row.action, row.version, row.igst_paise) == ("A", 2, 180_000)


def test_a_viewer_of_the_filer_cannot_import_its_return(parties: Engine) -> None:
    with transaction(parties) as session:
        invite = create_invite(
            session, actor=Actor.user(SUPPLIER_OWNER), gstin=SUPPLIER, role=Role.VIEWER, now=NOW
        )
        join_with_invite(session, user_id=VIEWER, name="Meena", code=invite.code, now=NOW)
    with pytest.raises(AccessDenied):
        send(parties, suppliers_return(), actor=Actor.user(VIEWER), gstin=SUPPLIER)
    assert records(parties) == {}


def test_the_filers_own_team_imports_its_return_into_the_buyers_inbox(parties: Engine) -> None:
    """Authority comes from the filer, whichever GSTIN the sender happens to be working on."""
    result = send(parties, suppliers_return(), actor=Actor.user(SUPPLIER_OWNER), gstin=SUPPLIER)
    assert (result.format, result.new) == ("gstr1", 2)
    assert {row.taxpayer_id for row in records(parties).values()} == {1}  # RECIPIENT's inbox
    with Session(parties) as session:
        batch = session.exec(select(ImportBatch)).one()
    assert batch.created_by == SUPPLIER_OWNER


def test_the_cli_gstin_must_be_the_returns_filer(parties: Engine) -> None:
    with pytest.raises(InvalidInput, match=f"filed by {SUPPLIER}, not {RECIPIENT}"):
        send(parties, suppliers_return(), actor=CLI, gstin=RECIPIENT)
    assert records(parties) == {}
    assert send(parties, suppliers_return(), actor=CLI, gstin=SUPPLIER).new == 2


def test_records_from_a_suppliers_return_carry_their_source_until_the_portal_shows_them(
    parties: Engine,
) -> None:
    send(parties, suppliers_return(1), actor=Actor.user(SUPPLIER_OWNER), gstin=SUPPLIER)
    row = records(parties)["INV-0"]
    with Session(parties) as session:
        source = record_source(session, actor=Actor.user(OWNER), gstin=RECIPIENT, record_id=row.id)
    assert source.uploaded_by_gstin == SUPPLIER
    assert source.uploaded_by_name == "Sharma Components"
    assert source.file_format == "gstr1"
    assert source.uploaded_at == NOW
    assert source.seen_on_portal is False
    # The buyer's own IMS download shows the same document: now it is known to the portal.
    send(parties, write_ims(invoices(1)), actor=Actor.user(APPROVER), gstin=RECIPIENT)
    with Session(parties) as session:
        source = record_source(session, actor=Actor.user(OWNER), gstin=RECIPIENT, record_id=row.id)
    assert source.seen_on_portal is True


def test_a_record_first_seen_in_a_download_or_gstr2b_is_on_the_portal(parties: Engine) -> None:
    send(parties, write_ims(invoices(1)), actor=Actor.user(APPROVER), gstin=RECIPIENT)
    two_b = write_gstr2b(invoices(1, prefix="TWO"), gstin=RECIPIENT, period=OCTOBER)
    send(parties, two_b, actor=Actor.user(APPROVER), gstin=RECIPIENT)
    with Session(parties) as session:
        for row in records(parties).values():
            source = record_source(
                session, actor=Actor.user(OWNER), gstin=RECIPIENT, record_id=row.id
            )
            assert source.seen_on_portal is True


def test_the_source_of_a_record_is_not_shown_to_a_non_member(parties: Engine) -> None:
    send(parties, suppliers_return(1), actor=Actor.user(SUPPLIER_OWNER), gstin=SUPPLIER)
    row = records(parties)["INV-0"]
    with Session(parties) as session, pytest.raises(UseCaseError):
        record_source(session, actor=Actor.user(STRANGER), gstin=RECIPIENT, record_id=row.id)


def test_a_table_15_record_names_its_supplier_but_other_kinds_must_be_the_filers(
    parties: Engine,
) -> None:
    """An e-commerce operator reports supplies of others (GSTR-1 Table 15); nothing else may."""
    from storage.uploads import foreign_records

    own = invoices(1)[0]
    eco = ReportedRecord(
        replace(own.record, key=replace(own.record.key, kind=RecordKind.ECO_DOCUMENT))
    )
    other = ReportedRecord(
        replace(own.record, key=replace(own.record.key, supplier="24AAQCA8719H1ZC"))
    )
    assert foreign_records([own, eco, other], filer=SUPPLIER) == [other]
    assert foreign_records([eco], filer="24AAQCA8719H1ZC") == []
