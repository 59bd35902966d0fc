"""Bulk actions, undo, deemed acceptance and GSTR-3B filing, on every backend."""

from datetime import timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, func, select

from ims_domain.actions import ActionRequest
from ims_domain.money import TaxAmounts
from ims_domain.periods import ReturnPeriod
from ims_domain.records import Action, RecordKind
from storage.access import Actor
from storage.acting import act_on_record
from storage.bulk import BulkResult, apply_bulk, preview_bulk, undo_bulk
from storage.closing import apply_deemed_acceptance, mark_gstr3b_filed
from storage.db import transaction
from storage.errors import AccessDenied, InvalidInput, NotFound, RuleRefused, UndoRefused
from storage.filters import RecordFilter
from storage.models import ActionLog, Outbox, PeriodState, RecordRow
from storage.rulebook import RuleBook
from tests.builders import RECIPIENT
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
OCT = ReturnPeriod(2025, 10)
EVERYTHING = RecordFilter()


@pytest.fixture
def team(engine: Engine) -> Engine:
    setup_team(engine)
    do_import(
        engine,
        invoices(10)
        + invoices(2, kind=RecordKind.CREDIT_NOTE, prefix="CN", igst="500")
        + invoices(2, kind=RecordKind.BILL_OF_ENTRY, prefix="BOE", igst="700"),
    )
    do_import(engine, invoices(3, recipient=OTHER_RECIPIENT, prefix="OTHER"), gstin=OTHER_RECIPIENT)
    return engine


def bulk(
    engine: Engine,
    action: Action,
    record_filter: RecordFilter = EVERYTHING,
    user: int = APPROVER,
    now=NOW,
) -> BulkResult:
    with transaction(engine) as session:
        return apply_bulk(
            session,
            actor=Actor.user(user),
            gstin=RECIPIENT,
            record_filter=record_filter,
            action=action,
            remarks="bulk",
            rulebook=RULES,
            now=now,
        )


def actions(engine: Engine, gstin_taxpayer: int = 1) -> dict[str, str]:
    with Session(engine) as session:
        rows = session.exec(select(RecordRow).where(RecordRow.taxpayer_id == gstin_taxpayer))
        return {r.number: r.action for r in rows}


def audit_rows(engine: Engine) -> list[ActionLog]:
    with Session(engine) as session:
        return list(session.exec(select(ActionLog).order_by(ActionLog.id)))


def test_preview_counts_and_tax_without_writing(team: Engine) -> None:
    with transaction(team) as session:
        preview = preview_bulk(
            session,
            actor=Actor.user(APPROVER),
            gstin=RECIPIENT,
            record_filter=EVERYTHING,
            action=Action.REJECT,
            rulebook=RULES,
            now=NOW,
        )
    # R1.5: the two bills of entry cannot be rejected; the other 12 can.
    assert (preview.count, preview.skipped) == (12, 2)
    assert preview.taxes == TaxAmounts.of(igst=str(10 * 1800 + 2 * 500))
    assert set(actions(team).values()) == {"N"}


def test_bulk_applies_set_based_with_one_audit_row_each_and_tells_the_team(team: Engine) -> None:
    result = bulk(team, Action.REJECT)
    assert result.count == 12
    assert result.taxes == TaxAmounts.of(igst="19000")
    states = actions(team)
    assert {states[f"BOE-{i}"] for i in range(2)} == {"N"}
    assert {v for k, v in states.items() if not k.startswith("BOE")} == {"R"}
    log = audit_rows(team)
    assert len(log) == 12
    assert {(e.from_action, e.to_action, e.channel, e.user_id, e.bulk_id) for e in log} == {
        ("N", "R", "bulk", APPROVER, result.bulk_id)
    }
    with Session(team) as session:
        notices = session.exec(select(Outbox).where(Outbox.kind == "team_bulk")).all()
        assert sorted(n.chat_id for n in notices) == [OWNER, VIEWER]
        other = session.exec(select(RecordRow).where(RecordRow.taxpayer_id == 2)).all()
        assert {r.action for r in other} == {"N"}  # another GSTIN's records are untouched


def test_bulk_filters_narrow_the_change(team: Engine) -> None:
    result = bulk(team, Action.ACCEPT, RecordFilter(kinds=(RecordKind.CREDIT_NOTE,)))
    assert result.count == 2
    with Session(team) as session:
        notes = session.exec(select(RecordRow).where(RecordRow.kind == "b2bcn")).all()
    # R4.1: a credit note accepted in bulk reduces ITC in full.
    assert {(n.action, n.itc_reduction) for n in notes} == {("A", "full")}


def test_R3_4_bulk_pending_leaves_credit_notes_past_their_window(team: Engine) -> None:
    late = NOW + timedelta(days=50)  # 25-Dec-2025, after 20-Dec-2025
    result = bulk(team, Action.PENDING, now=late)
    states = actions(team)
    assert result.count == 12  # 10 invoices + 2 bills of entry
    assert {states["CN-0"], states["CN-1"]} == {"N"}
    on_time = bulk(team, Action.PENDING, RecordFilter(kinds=(RecordKind.CREDIT_NOTE,)))
    assert on_time.count == 2


def test_viewer_and_stranger_cannot_bulk(team: Engine) -> None:
    with pytest.raises(AccessDenied):
        bulk(team, Action.ACCEPT, user=VIEWER)
    with pytest.raises(NotFound):
        bulk(team, Action.ACCEPT, user=STRANGER)


def test_undo_restores_every_record_within_the_window(team: Engine) -> None:
    with transaction(team) as session:
        act_on_record(
            session,
            actor=Actor.user(OWNER),
            gstin=RECIPIENT,
            record_id=1,
            expected_version=1,
            request=ActionRequest(Action.PENDING, remarks="checking"),
            rulebook=RULES,
            now=NOW,
        )
    before = actions(team)
    result = bulk(team, Action.REJECT)
    with transaction(team) as session:
        undone = undo_bulk(
            session,
            actor=Actor.user(APPROVER),
            gstin=RECIPIENT,
            bulk_id=result.bulk_id,
            rulebook=RULES,
            now=NOW + timedelta(minutes=9),
        )
    assert undone == result.count
    assert actions(team) == before
    with Session(team) as session:
        first = session.get(RecordRow, 1)
        assert first is not None
        assert (first.remarks, first.action_by) == ("checking", OWNER)
    undo_log = [e for e in audit_rows(team) if e.channel == "undo"]
    assert len(undo_log) == result.count
    with transaction(team) as session, pytest.raises(UndoRefused, match="already undone"):
        undo_bulk(
            session,
            actor=Actor.user(APPROVER),
            gstin=RECIPIENT,
            bulk_id=result.bulk_id,
            rulebook=RULES,
            now=NOW + timedelta(minutes=9),
        )


def test_undo_refuses_when_a_record_changed_since(team: Engine) -> None:
    result = bulk(team, Action.REJECT)
    with transaction(team) as session:
        act_on_record(
            session,
            actor=Actor.user(OWNER),
            gstin=RECIPIENT,
            record_id=3,
            expected_version=None,
            request=ActionRequest(Action.ACCEPT),
            rulebook=RULES,
            now=NOW,
        )
    with (
        transaction(team) as session,
        pytest.raises(UndoRefused, match="1 of these 12 records changed since"),
    ):
        undo_bulk(
            session,
            actor=Actor.user(APPROVER),
            gstin=RECIPIENT,
            bulk_id=result.bulk_id,
            rulebook=RULES,
            now=NOW + timedelta(minutes=1),
        )
    assert actions(team)["INV-2"] == "A"


def test_undo_refuses_after_the_window(team: Engine) -> None:
    result = bulk(team, Action.REJECT)
    with transaction(team) as session, pytest.raises(UndoRefused, match="10 minutes"):
        undo_bulk(
            session,
            actor=Actor.user(APPROVER),
            gstin=RECIPIENT,
            bulk_id=result.bulk_id,
            rulebook=RULES,
            now=NOW + timedelta(minutes=11),
        )


def test_undo_of_another_gstins_bulk_is_not_found(team: Engine) -> None:
    result = bulk(team, Action.REJECT)
    with transaction(team) as session, pytest.raises(NotFound):
        undo_bulk(
            session,
            actor=Actor.user(STRANGER),
            gstin=OTHER_RECIPIENT,
            bulk_id=result.bulk_id,
            rulebook=RULES,
            now=NOW,
        )


def test_R2_3_deemed_acceptance_never_touches_an_explicit_action(team: Engine) -> None:
    bulk(team, Action.REJECT, RecordFilter(record_ids=(1, 2)))
    bulk(team, Action.PENDING, RecordFilter(record_ids=(3,)))
    with transaction(team) as session:
        result = apply_deemed_acceptance(
            session, gstin=RECIPIENT, period=OCT, rulebook=RULES, now=NOW
        )
    assert result.count == 11
    states = actions(team)
    assert (states["INV-0"], states["INV-1"], states["INV-2"]) == ("R", "R", "P")
    with Session(team) as session:
        deemed = session.exec(select(RecordRow).where(RecordRow.deemed)).all()
        assert len(deemed) == 11
        assert all(r.action_channel == "deemed" and r.action_by is None for r in deemed)
        log = session.exec(select(ActionLog).where(ActionLog.channel == "deemed")).all()
        assert len(log) == 11
        state = session.exec(select(PeriodState).where(PeriodState.period == 202510)).one()
        assert state.gstr2b_generated_at == NOW


def test_R3_5_OQ13_expired_pending_credit_note_is_deemed_at_the_next_generation(
    team: Engine,
) -> None:
    bulk(team, Action.PENDING, RecordFilter(kinds=(RecordKind.CREDIT_NOTE,)))
    with transaction(team) as session:
        apply_deemed_acceptance(session, gstin=RECIPIENT, period=OCT, rulebook=RULES, now=NOW)
    assert actions(team)["CN-0"] == "P"  # its window is open until 20-Dec-2025
    later = NOW + timedelta(days=70)  # 14-Jan-2026: the Dec-2025 2B
    with transaction(team) as session:
        mark_gstr3b_filed(session, actor=CLI, gstin=RECIPIENT, period=OCT, now=NOW)
        result = apply_deemed_acceptance(
            session, gstin=RECIPIENT, period=ReturnPeriod(2025, 12), rulebook=RULES, now=later
        )
    assert result.count == 2
    with Session(team) as session:
        notes = session.exec(select(RecordRow).where(RecordRow.kind == "b2bcn")).all()
    assert {(n.action, n.deemed, n.itc_reduction) for n in notes} == {("A", True, "full")}


def test_R2_6_filed_3b_locks_the_period_for_single_and_bulk_actions(team: Engine) -> None:
    bulk(team, Action.PENDING, RecordFilter(record_ids=(1,)))
    with transaction(team) as session:
        apply_deemed_acceptance(session, gstin=RECIPIENT, period=OCT, rulebook=RULES, now=NOW)
        mark_gstr3b_filed(session, actor=Actor.user(OWNER), gstin=RECIPIENT, period=OCT, now=NOW)
    with (
        transaction(team) as session,
        pytest.raises(RuleRefused, match="GSTR-3B for this period is filed"),
    ):
        act_on_record(
            session,
            actor=Actor.user(OWNER),
            gstin=RECIPIENT,
            record_id=2,
            expected_version=None,
            request=ActionRequest(Action.REJECT),
            rulebook=RULES,
            now=NOW,
        )
    # Only the pending record can still change, and it then counts in Nov-2025 (E1).
    result = bulk(team, Action.REJECT)
    assert result.count == 1
    with Session(team) as session:
        first = session.get(RecordRow, 1)
        assert first is not None
        assert (first.action, first.counts_in_period) == ("R", 202511)
    with transaction(team) as session, pytest.raises(InvalidInput, match="already marked filed"):
        mark_gstr3b_filed(session, actor=CLI, gstin=RECIPIENT, period=OCT, now=NOW)


def test_viewer_cannot_mark_filed(team: Engine) -> None:
    with transaction(team) as session, pytest.raises(AccessDenied):
        mark_gstr3b_filed(session, actor=Actor.user(VIEWER), gstin=RECIPIENT, period=OCT, now=NOW)
    with Session(team) as session:
        assert session.exec(select(func.count()).select_from(PeriodState)).one() == 0
