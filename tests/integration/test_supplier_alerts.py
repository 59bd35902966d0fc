"""Alerts to suppliers are bounded: the real supplier only, short remarks, merged, mutable."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine, update
from sqlmodel import Session, select

from ims_domain.actions import ActionRequest
from ims_domain.records import Action, RecordKind, ReportedRecord
from ims_domain.settings import RulesSettings
from storage.access import Actor
from storage.acting import act_on_record
from storage.db import transaction
from storage.models import Outbox, RecordRow
from storage.rulebook import RuleBook
from storage.supplier_alerts import REMARKS_SHOWN, muted_buyers, toggle_buyer_mute
from storage.taxpayers import bind_group
from tests.builders import RECIPIENT, SUPPLIER, record
from tests.integration.store_helpers import (
    APPROVER,
    NOW,
    OWNER,
    SUPPLIER_OWNER,
    do_import,
    invoices,
    setup_supplier,
    setup_team,
)

RULES = RuleBook(settings=RulesSettings(remarks_max_len=1000))


@pytest.fixture
def parties(engine: Engine) -> Engine:
    """RECIPIENT's team; SUPPLIER registered with its owner; two invoices from SUPPLIER."""
    setup_team(engine)
    setup_supplier(engine)
    with transaction(engine) as session:
        bind_group(session, user_id=OWNER, chat_id=-500, now=NOW)
    do_import(engine, invoices(2))
    return engine


def act(
    engine: Engine, number: str, action: Action, *, at: datetime = NOW, remarks: str = "x"
) -> None:
    with transaction(engine) as session:
        row = session.exec(select(RecordRow).where(RecordRow.number == number)).one()
        act_on_record(
            session,
            actor=Actor.user(APPROVER),
            gstin=RECIPIENT,
            record_id=row.id or 0,
            expected_version=None,
            request=ActionRequest(action, remarks=remarks),
            rulebook=RULES,
            now=at,
        )


def alerts(engine: Engine) -> list[Outbox]:
    with Session(engine) as session:
        query = select(Outbox).where(Outbox.kind == "supplier_alert").order_by(Outbox.id)  # type: ignore[arg-type]
        return list(session.exec(query).all())


def sent(engine: Engine, alert: Outbox, at: datetime) -> None:
    with transaction(engine) as session:
        session.execute(
            update(Outbox).where(Outbox.id == alert.id).values(sent_at=at, attempts=1)  # type: ignore[arg-type]
        )


def test_R4_6_a_reject_alerts_only_the_suppliers_own_members(parties: Engine) -> None:
    act(parties, "INV-0", Action.REJECT)
    assert [a.chat_id for a in alerts(parties)] == [SUPPLIER_OWNER]  # no buyer, no group


def test_a_bill_of_entry_never_alerts_the_sez_unit_or_port(parties: Engine) -> None:
    """An SEZ unit registered here is named as the supplier of a bill of entry; it has no
    supplier view, so keeping the bill pending tells it nothing."""
    boe = ReportedRecord(record(RecordKind.SEZ_BILL_OF_ENTRY, number="BOE-1", supplier=SUPPLIER))
    do_import(parties, [boe], content=b"boe")
    act(parties, "BOE-1", Action.PENDING)
    assert alerts(parties) == []


def test_a_long_remark_is_cut_in_the_alert(parties: Engine) -> None:
    act(parties, "INV-0", Action.REJECT, remarks="wrong rate " * 60)
    remarks = alerts(parties)[0].payload["remarks"]
    assert len(remarks) <= REMARKS_SHOWN and remarks.endswith("…")
    assert remarks.startswith("wrong rate wrong rate")


def test_changes_within_a_day_are_merged_into_one_alert(parties: Engine) -> None:
    act(parties, "INV-0", Action.REJECT, remarks="first")
    act(parties, "INV-0", Action.PENDING, at=NOW + timedelta(minutes=1), remarks="second")
    [first] = alerts(parties)
    assert (first.payload["action"], first.payload["remarks"], first.payload["changes"]) == (
        "P",
        "second",
        2,
    )
    sent(parties, first, NOW + timedelta(minutes=2))
    act(parties, "INV-0", Action.REJECT, at=NOW + timedelta(hours=1), remarks="third")
    act(parties, "INV-0", Action.PENDING, at=NOW + timedelta(hours=2), remarks="fourth")
    [_, held] = alerts(parties)
    assert held.next_attempt_at == NOW + timedelta(minutes=2) + timedelta(days=1)
    assert (held.payload["action"], held.payload["remarks"], held.payload["changes"]) == (
        "P",
        "fourth",
        2,
    )
    # A day later the window has passed: the next change is told at once.
    act(parties, "INV-1", Action.REJECT, at=NOW + timedelta(days=2))
    assert alerts(parties)[-1].next_attempt_at == NOW + timedelta(days=2)


def test_an_alert_not_yet_sent_is_withdrawn_when_the_buyer_accepts(parties: Engine) -> None:
    act(parties, "INV-0", Action.REJECT)
    act(parties, "INV-0", Action.ACCEPT, at=NOW + timedelta(seconds=30))
    [withdrawn] = alerts(parties)
    assert withdrawn.failed_at is not None and withdrawn.sent_at is None


def test_a_supplier_can_mute_a_buyer(parties: Engine) -> None:
    act(parties, "INV-0", Action.REJECT)
    with transaction(parties) as session:
        assert toggle_buyer_mute(session, user_id=SUPPLIER_OWNER, buyer=RECIPIENT, now=NOW)
    assert alerts(parties)[0].failed_at is not None  # the waiting one is not sent
    act(parties, "INV-1", Action.REJECT)
    assert len(alerts(parties)) == 1
    with transaction(parties) as session:
        [muted] = muted_buyers(session, user_id=SUPPLIER_OWNER)
        assert (muted.gstin, muted.name) == (RECIPIENT, "Acme Traders")
        assert not toggle_buyer_mute(session, user_id=SUPPLIER_OWNER, buyer=RECIPIENT, now=NOW)
    act(parties, "INV-1", Action.PENDING, at=NOW + timedelta(minutes=5))
    assert alerts(parties)[-1].failed_at is None


def test_a_supplier_not_registered_here_gets_nothing(parties: Engine) -> None:
    stranger = [
        replace(r, record=replace(r.record, key=replace(r.record.key, supplier="24AAQCA8719H1ZC")))
        for r in invoices(1, prefix="X")
    ]
    do_import(parties, stranger, content=b"stranger")
    act(parties, "X-0", Action.REJECT)
    assert alerts(parties) == []
