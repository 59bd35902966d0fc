"""A bulk action confirmed after a preview: exactly the records shown, at the versions shown."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from ims_domain.actions import ActionRequest
from ims_domain.periods import Quarter, ReturnPeriod
from ims_domain.records import Action, RecordKind
from storage.access import Actor
from storage.acting import act_on_record
from storage.bulk import BulkPreview, BulkResult, undo_bulk
from storage.bulk_preview import apply_bulk_preview, keep_bulk_preview
from storage.db import transaction
from storage.errors import AccessDenied, InvalidInput, NotFound
from storage.filters import RecordFilter
from storage.models import (
    ActionLog,
    BulkAction,
    BulkPreviewItem,
    BulkPreviewRow,
    Channel,
    RecordRow,
)
from storage.rulebook import RuleBook
from storage.taxpayers import remove_member
from tests.builders import RECIPIENT
from tests.integration.store_helpers import (
    APPROVER,
    NOW,
    OWNER,
    VIEWER,
    do_import,
    invoices,
    setup_team,
)

RULES = RuleBook()
NO_ACTION = RecordFilter(status=Action.NO_ACTION)


@pytest.fixture
def team(engine: Engine) -> Engine:
    setup_team(engine)
    do_import(engine, invoices(6))
    return engine


def preview(
    engine: Engine, user: int = APPROVER, record_filter: RecordFilter = NO_ACTION, now=NOW
) -> BulkPreview:
    with transaction(engine) as session:
        return keep_bulk_preview(
            session,
            actor=Actor.user(user),
            gstin=RECIPIENT,
            record_filter=record_filter,
            action=Action.ACCEPT,
            remarks="checked",
            rulebook=RULES,
            now=now,
        )


def confirm(engine: Engine, preview_id: int, user: int = APPROVER, now=NOW) -> BulkResult:
    with transaction(engine) as session:
        return apply_bulk_preview(
            session,
            actor=Actor.user(user, Channel.BULK),
            preview_id=preview_id,
            rulebook=RULES,
            now=now,
        )


def reject(engine: Engine, number: str, user: int = OWNER) -> None:
    with transaction(engine) as session:
        row = session.exec(select(RecordRow).where(RecordRow.number == number)).one()
        assert row.id is not None
        act_on_record(
            session,
            actor=Actor.user(user),
            gstin=RECIPIENT,
            record_id=row.id,
            expected_version=row.version,
            request=ActionRequest(Action.REJECT),
            rulebook=RULES,
            now=NOW,
        )


def states(engine: Engine) -> dict[str, tuple[str, str | None]]:
    with Session(engine) as session:
        rows = session.exec(select(RecordRow)).all()
        return {r.number: (r.action, r.action_channel) for r in rows}


def count(engine: Engine, table: type) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(table)).one()


def test_confirm_applies_exactly_the_records_previewed_at_their_versions(team: Engine) -> None:
    shown = preview(team)
    assert (shown.count, shown.skipped) == (6, 0) and shown.preview_id is not None
    reject(team, "INV-2")  # a listed record changes by a single action
    do_import(team, invoices(7), content=b"one more")  # INV-6 arrives and matches the filter
    done = confirm(team, shown.preview_id)
    assert (done.count, done.changed_since, done.arrived_since) == (5, 1, 1)
    after = states(team)
    assert after.pop("INV-2") == ("R", "bot")  # the owner's Reject is kept
    assert after.pop("INV-6") == ("N", None)  # arrived after the preview: not touched
    assert set(after.values()) == {("A", "bulk")}
    with Session(team) as session:
        bulk = session.exec(select(BulkAction)).one()
        audit = session.exec(select(ActionLog).where(ActionLog.bulk_id == bulk.id)).all()
    assert bulk.count == 5 and bulk.filters == {"status": "N"}
    assert {(e.from_action, e.to_action, e.channel, e.remarks) for e in audit} == {
        ("N", "A", "bulk", "checked")
    }
    assert len(audit) == 5
    assert count(team, BulkPreviewItem) == 0  # cleaned up once applied
    with transaction(team) as session:
        assert bulk.id is not None
        undone = undo_bulk(
            session,
            actor=Actor.user(APPROVER),
            gstin=RECIPIENT,
            bulk_id=bulk.id,
            rulebook=RULES,
            now=NOW,
        )
    assert undone == 5  # undo works as after any bulk action


def test_only_the_member_who_looked_can_confirm_and_only_once(team: Engine) -> None:
    shown = preview(team)
    assert shown.preview_id is not None
    with pytest.raises(NotFound, match="out of date"):
        confirm(team, shown.preview_id, user=OWNER)
    assert confirm(team, shown.preview_id).count == 6
    with pytest.raises(InvalidInput, match="already"):
        confirm(team, shown.preview_id)
    assert count(team, BulkAction) == 1


def test_a_preview_is_out_of_date_after_15_minutes_and_then_cleaned_up(team: Engine) -> None:
    shown = preview(team)
    assert shown.preview_id is not None and count(team, BulkPreviewItem) == 6
    with pytest.raises(NotFound, match="out of date"):
        confirm(team, shown.preview_id, now=NOW + timedelta(minutes=15))
    assert states(team)["INV-0"] == ("N", None)
    fresh = preview(team, user=OWNER, now=NOW + timedelta(minutes=15))
    with Session(team) as session:
        kept = session.exec(select(BulkPreviewRow.id)).all()
        items = session.exec(select(BulkPreviewItem.preview_id).distinct()).all()
    assert kept == items == [fresh.preview_id]
    assert confirm(team, fresh.preview_id or 0, user=OWNER, now=NOW + timedelta(minutes=29)).count


def test_a_viewer_cannot_preview(team: Engine) -> None:
    with pytest.raises(AccessDenied, match="viewer"):
        preview(team, user=VIEWER)


def test_a_member_who_lost_the_role_cannot_confirm(team: Engine) -> None:
    shown = preview(team, user=APPROVER)
    with transaction(team) as session:
        remove_member(session, actor=Actor.user(OWNER), gstin=RECIPIENT, user_id=APPROVER, now=NOW)
    with pytest.raises(NotFound):
        confirm(team, shown.preview_id or 0)
    assert states(team)["INV-0"] == ("N", None)


def test_rules_are_checked_again_at_confirmation(team: Engine) -> None:
    do_import(team, invoices(1, kind=RecordKind.BILL_OF_ENTRY, prefix="BOE"), content=b"boe")
    with transaction(team) as session:
        shown = keep_bulk_preview(
            session,
            actor=Actor.user(APPROVER),
            gstin=RECIPIENT,
            record_filter=RecordFilter(),
            action=Action.REJECT,
            rulebook=RULES,
            now=NOW,
        )
    assert (shown.count, shown.skipped) == (6, 1)  # R1.5: a bill of entry cannot be rejected
    done = confirm(team, shown.preview_id or 0)
    assert (done.count, done.changed_since, done.arrived_since) == (6, 0, 0)
    assert states(team)["BOE-0"] == ("N", None)


FILTERS = st.builds(
    RecordFilter,
    supplier=st.none() | st.sampled_from(["29AAGCB7383J1Z4"]),
    kinds=st.none() | st.lists(st.sampled_from(RecordKind), min_size=1, max_size=3).map(tuple),
    date_from=st.none() | st.dates(date(2017, 7, 1), date(2030, 1, 1)),
    date_to=st.none() | st.dates(date(2017, 7, 1), date(2030, 1, 1)),
    period=st.none() | st.builds(ReturnPeriod, st.integers(2018, 2030), st.integers(1, 12)),
    quarter=st.none() | st.builds(Quarter, st.integers(2018, 2029), st.integers(1, 4)),
    status=st.none() | st.sampled_from(Action),
    min_value=st.none() | st.decimals(0, 10**9, places=2),
    max_value=st.none() | st.decimals(0, 10**9, places=2),
    record_ids=st.none() | st.lists(st.integers(1, 10**9), max_size=5).map(tuple),
    batch_id=st.none() | st.integers(1, 10**9),
    created_after=st.none() | st.datetimes(timezones=st.just(UTC)),
)


@given(FILTERS)
def test_a_filter_read_back_from_its_json_is_the_same_filter(record_filter: RecordFilter) -> None:
    assert RecordFilter.from_json(record_filter.as_json()) == record_filter


def test_a_filter_json_survives_the_database(team: Engine) -> None:
    record_filter = RecordFilter(
        min_value=Decimal("10.50"), created_after=datetime(2025, 11, 1, tzinfo=UTC)
    )
    shown = preview(team, record_filter=record_filter)
    with Session(team) as session:
        kept = session.get(BulkPreviewRow, shown.preview_id)
        assert kept is not None
        assert RecordFilter.from_json(kept.filters) == record_filter
