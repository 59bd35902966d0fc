"""What the IMS action upload may carry: never a deemed acceptance, never a record the portal
has not shown yet."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from ims_domain.actions import ActionRequest
from ims_domain.formats.gstr1 import write_gstr1
from ims_domain.formats.ims_actions import parse_action_upload
from ims_domain.formats.ims_writer import write_ims
from ims_domain.records import Action, FilingStatus
from storage.access import Actor
from storage.acting import act_on_record
from storage.closing import apply_deemed_acceptance
from storage.db import transaction
from storage.exports import NOT_ON_PORTAL, export_actions
from storage.models import RecordRow
from storage.rulebook import RuleBook
from storage.uploads import import_file
from tests.builders import OCT_2025, RECIPIENT, SUPPLIER
from tests.integration.store_helpers import (
    APPROVER,
    NOW,
    SUPPLIER_OWNER,
    invoices,
    setup_supplier,
    setup_team,
)

RULES = RuleBook()


@pytest.fixture
def parties(engine: Engine) -> Engine:
    setup_team(engine)
    setup_supplier(engine)
    return engine


def send(engine: Engine, data: bytes, *, user: int, gstin: str) -> None:
    with transaction(engine) as session:
        import_file(session, actor=Actor.user(user), gstin=gstin, data=data, now=NOW)


def accept(engine: Engine, number: str) -> None:
    with transaction(engine) as session:
        row = session.exec(select(RecordRow).where(RecordRow.number == number)).one()
        act_on_record(
            session,
            actor=Actor.user(APPROVER),
            gstin=RECIPIENT,
            record_id=row.id or 0,
            expected_version=None,
            request=ActionRequest(Action.ACCEPT),
            rulebook=RULES,
            now=NOW,
        )


def uploaded_numbers(engine: Engine) -> tuple[list[str], list[tuple[str, str]]]:
    """The numbers the upload sends, and those it leaves out with why."""
    with Session(engine) as session:
        upload = export_actions(
            session, actor=Actor.user(APPROVER), gstin=RECIPIENT, rulebook=RULES
        )
    sent = sorted(item.number for data in upload.files for item in parse_action_upload(data))
    return sent, [(record.number, why) for record, why in upload.skipped]


def test_R8_9_a_deemed_acceptance_is_never_uploaded_as_an_accept(parties: Engine) -> None:
    send(parties, write_ims(invoices(3)), user=APPROVER, gstin=RECIPIENT)
    accept(parties, "INV-0")
    with transaction(parties) as session:
        deemed = apply_deemed_acceptance(
            session, gstin=RECIPIENT, period=OCT_2025, rulebook=RULES, now=NOW
        )
    assert deemed.count == 2
    assert uploaded_numbers(parties) == (["INV-0"], [])


def test_R8_12_a_record_known_only_from_a_suppliers_return_waits_for_the_portal(
    parties: Engine,
) -> None:
    saved = [
        replace(
            r, record=replace(r.record, filing_status=FilingStatus.NOT_FILED, two_b_period=None)
        )
        for r in invoices(2)
    ]
    send(
        parties,
        write_gstr1(saved, gstin=SUPPLIER, period=OCT_2025),
        user=SUPPLIER_OWNER,
        gstin=SUPPLIER,
    )
    accept(parties, "INV-0")
    assert uploaded_numbers(parties) == ([], [("INV-0", NOT_ON_PORTAL)])
    # The buyer's IMS download shows the invoice: now the Accept can go to the portal.
    send(parties, write_ims(invoices(2)), user=APPROVER, gstin=RECIPIENT)
    assert uploaded_numbers(parties) == (["INV-0"], [])
