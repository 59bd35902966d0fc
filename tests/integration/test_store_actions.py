"""Acting on one record: roles, isolation between GSTINs, rules, versions, audit, alerts."""

import threading
from datetime import timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from ims_domain.actions import ActionRequest, ItcReduction
from ims_domain.money import TaxAmounts
from ims_domain.records import Action, RecordKind
from storage.access import Actor
from storage.acting import ActOutcome, act_on_record
from storage.db import transaction
from storage.errors import AccessDenied, NotFound, RuleRefused, StaleRecord
from storage.models import ActionLog, Channel, Outbox, PeriodState, RecordRow
from storage.rulebook import RuleBook
from storage.taxpayers import register_taxpayer
from tests.builders import RECIPIENT, SUPPLIER
from tests.integration.store_helpers import (
    APPROVER,
    CLI,
    NOW,
    OTHER_RECIPIENT,
    OWNER,
    STRANGER,
    VIEWER,
    do_import,
    invoices,
    setup_team,
)

RULES = RuleBook()


@pytest.fixture
def team(engine: Engine) -> Engine:
    setup_team(engine)
    do_import(engine, invoices(3) + invoices(1, kind=RecordKind.CREDIT_NOTE, prefix="CN"))
    return engine


def ids(engine: Engine, gstin_number_prefix: str = "") -> dict[str, int]:
    with Session(engine) as session:
        return {r.number: r.id for r in session.exec(select(RecordRow)) if r.id}


def act(
    engine: Engine,
    record_id: int,
    action: Action,
    *,
    user: int = APPROVER,
    version: int | None = 1,
    gstin: str = RECIPIENT,
    remarks: str | None = None,
    reduction: ItcReduction | None = None,
    now=NOW,
) -> ActOutcome:
    with transaction(engine) as session:
        return act_on_record(
            session,
            actor=Actor.user(user),
            gstin=gstin,
            record_id=record_id,
            expected_version=version,
            request=ActionRequest(action, reduction, remarks),
            rulebook=RULES,
            now=now,
        )


def test_approver_acts_and_the_audit_remembers(team: Engine) -> None:
    record_id = ids(team)["INV-0"]
    outcome = act(team, record_id, Action.REJECT, remarks="not ordered")
    assert (outcome.action, outcome.previous_action, outcome.version) == (
        Action.REJECT,
        Action.NO_ACTION,
        2,
    )
    with Session(team) as session:
        row = session.get(RecordRow, record_id)
        assert row is not None
        assert (row.action, row.action_by, row.remarks, row.version) == (
            "R",
            APPROVER,
            "not ordered",
            2,
        )
        log = session.exec(select(ActionLog)).one()
        assert (log.from_action, log.to_action, log.user_id, log.channel) == (
            "N",
            "R",
            APPROVER,
            "bot",
        )


def test_viewer_cannot_act(team: Engine) -> None:
    with pytest.raises(AccessDenied, match=r"role .* is viewer"):
        act(team, ids(team)["INV-0"], Action.ACCEPT, user=VIEWER)


def test_member_of_another_gstin_can_neither_see_nor_change(team: Engine) -> None:
    record_id = ids(team)["INV-0"]
    with pytest.raises(NotFound):
        act(team, record_id, Action.ACCEPT, user=STRANGER)
    # Naming their own GSTIN does not reach a record of another GSTIN either.
    with pytest.raises(NotFound, match="not in this GSTIN's inbox"):
        act(team, record_id, Action.ACCEPT, user=STRANGER, gstin=OTHER_RECIPIENT)
    with Session(team) as session:
        assert session.get(RecordRow, record_id).action == "N"  # type: ignore[union-attr]


def test_rules_refusal_changes_nothing(team: Engine) -> None:
    cn = ids(team)["CN-0"]
    too_late = NOW + timedelta(days=60)  # after 20-Dec-2025, the end of the pending window (R3.4)
    with pytest.raises(
        RuleRefused, match="Pending is not allowed for this credit note after 20-Dec-2025"
    ):
        act(team, cn, Action.PENDING, now=too_late)
    with Session(team) as session:
        assert session.get(RecordRow, cn).version == 1  # type: ignore[union-attr]
        assert session.exec(select(ActionLog)).first() is None


def test_R4_2_declared_reduction_is_stored(team: Engine) -> None:
    cn = ids(team)["CN-0"]
    partial = ItcReduction.partial(TaxAmounts.of(igst="1000"))
    act(team, cn, Action.ACCEPT, reduction=partial, remarks="claimed 1,000 only")
    with Session(team) as session:
        row = session.get(RecordRow, cn)
        assert row is not None
        assert (row.itc_reduction, row.decl_igst_paise, row.decl_cgst_paise) == (
            "partial",
            100000,
            0,
        )


def test_stale_version_is_told_who_changed_it(team: Engine) -> None:
    record_id = ids(team)["INV-1"]
    act(team, record_id, Action.ACCEPT, user=APPROVER)
    with pytest.raises(
        StaleRecord, match=r"changed by user102 at 05-Nov 12:00; it is now accepted"
    ):
        act(team, record_id, Action.REJECT, user=OWNER, version=1)


def test_two_actors_at_once_exactly_one_wins(team: Engine) -> None:
    record_id = ids(team)["INV-2"]
    barrier = threading.Barrier(2)
    results: dict[int, object] = {}

    def attempt(user: int, action: Action) -> None:
        barrier.wait()
        try:
            results[user] = act(team, record_id, action, user=user, version=1)
        except StaleRecord as exc:
            results[user] = exc

    threads = [
        threading.Thread(target=attempt, args=(OWNER, Action.ACCEPT)),
        threading.Thread(target=attempt, args=(APPROVER, Action.REJECT)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    winners = [r for r in results.values() if isinstance(r, ActOutcome)]
    losers = [r for r in results.values() if isinstance(r, StaleRecord)]
    assert len(winners) == 1
    assert len(losers) == 1
    assert losers[0].changed_by in {"user101", "user102"}
    with Session(team) as session:
        assert len(session.exec(select(ActionLog)).all()) == 1
        row = session.get(RecordRow, record_id)
        assert row is not None
        assert row.version == 2
        assert row.action == winners[0].action.value


def test_reject_alerts_the_suppliers_people_when_the_supplier_is_registered(team: Engine) -> None:
    with transaction(team) as session:
        register_taxpayer(
            session, actor=CLI, gstin=SUPPLIER, name="Sharma Components", owner_id=555, now=NOW
        )
    act(team, ids(team)["INV-0"], Action.REJECT, remarks="not ordered by us")
    with Session(team) as session:
        alerts = session.exec(select(Outbox).where(Outbox.kind == "supplier_alert")).all()
    assert [a.chat_id for a in alerts] == [555]
    assert alerts[0].payload["remarks"] == "not ordered by us"
    assert alerts[0].payload["recipient_name"] == "Acme Traders"


def test_R2_5_a_change_after_2b_generation_marks_the_period_for_recompute(team: Engine) -> None:
    with transaction(team) as session:
        session.add(PeriodState(taxpayer_id=1, period=202510, gstr2b_generated_at=NOW))
    act(team, ids(team)["INV-0"], Action.REJECT)
    with Session(team) as session:
        state = session.exec(select(PeriodState)).one()
    assert state.changed_after_generation


def test_cli_actions_are_audited_as_cli(team: Engine) -> None:
    with transaction(team) as session:
        act_on_record(
            session,
            actor=CLI,
            gstin=RECIPIENT,
            record_id=ids(team)["INV-0"],
            expected_version=None,
            request=ActionRequest(Action.ACCEPT),
            rulebook=RULES,
            now=NOW,
        )
    with Session(team) as session:
        assert session.exec(select(ActionLog)).one().channel == Channel.CLI.value
