"""Memberships and roles: invites, joining, removal; and no use case crosses between GSTINs."""

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from ims_domain.actions import ActionRequest
from ims_domain.periods import ReturnPeriod
from ims_domain.records import Action
from storage.access import Actor
from storage.acting import act_on_record, find_record_id
from storage.bulk import apply_bulk, preview_bulk, undo_bulk
from storage.closing import mark_gstr3b_filed
from storage.db import transaction
from storage.errors import AccessDenied, InvalidInput, NotFound
from storage.filters import RecordFilter
from storage.models import Channel, Role
from storage.queries import dashboard, gstr2b_draft, inbox_page
from storage.rulebook import RuleBook
from storage.taxpayers import (
    create_invite,
    join_with_invite,
    list_members,
    register_taxpayer,
    remove_member,
    taxpayers_of,
)
from tests.builders import RECIPIENT, SUPPLIER
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

RULES = RuleBook()
ME = Actor.user(STRANGER)  # owner of OTHER_RECIPIENT, nothing of RECIPIENT


@pytest.fixture
def team(engine: Engine) -> Engine:
    setup_team(engine)
    do_import(engine, invoices(2))
    return engine


USE_CASES: dict[str, Callable[[Session], object]] = {
    "inbox": lambda s: inbox_page(s, actor=ME, gstin=RECIPIENT, record_filter=RecordFilter()),
    "dashboard": lambda s: dashboard(s, actor=ME, gstin=RECIPIENT, rulebook=RULES, now=NOW),
    "gstr2b": lambda s: gstr2b_draft(s, actor=ME, gstin=RECIPIENT, period=ReturnPeriod(2025, 10)),
    "find": lambda s: find_record_id(
        s, actor=ME, gstin=RECIPIENT, supplier=SUPPLIER, kind="b2b", number="INV-0"
    ),
    "act": lambda s: act_on_record(
        s,
        actor=ME,
        gstin=RECIPIENT,
        record_id=1,
        expected_version=None,
        request=ActionRequest(Action.ACCEPT),
        rulebook=RULES,
        now=NOW,
    ),
    "preview": lambda s: preview_bulk(
        s,
        actor=ME,
        gstin=RECIPIENT,
        record_filter=RecordFilter(),
        action=Action.ACCEPT,
        rulebook=RULES,
        now=NOW,
    ),
    "bulk": lambda s: apply_bulk(
        s,
        actor=ME,
        gstin=RECIPIENT,
        record_filter=RecordFilter(),
        action=Action.ACCEPT,
        rulebook=RULES,
        now=NOW,
    ),
    "undo": lambda s: undo_bulk(s, actor=ME, gstin=RECIPIENT, bulk_id=1, rulebook=RULES, now=NOW),
    "filed": lambda s: mark_gstr3b_filed(
        s, actor=ME, gstin=RECIPIENT, period=ReturnPeriod(2025, 10), now=NOW
    ),
    "members": lambda s: list_members(s, actor=ME, gstin=RECIPIENT),
    "invite": lambda s: create_invite(s, actor=ME, gstin=RECIPIENT, role=Role.OWNER, now=NOW),
    "remove": lambda s: remove_member(s, actor=ME, gstin=RECIPIENT, user_id=VIEWER, now=NOW),
}


@pytest.mark.parametrize("use_case", list(USE_CASES))
def test_a_member_of_another_gstin_gets_nothing_from_any_use_case(
    team: Engine, use_case: str
) -> None:
    with (
        transaction(team) as session,
        pytest.raises(NotFound, match=f"GSTIN {RECIPIENT} is not registered here"),
    ):
        USE_CASES[use_case](session)
    # Their own GSTIN does not open a door to RECIPIENT's records either.
    with transaction(team) as session, pytest.raises(NotFound, match="not in this GSTIN's inbox"):
        act_on_record(
            session,
            actor=ME,
            gstin=OTHER_RECIPIENT,
            record_id=1,
            expected_version=None,
            request=ActionRequest(Action.ACCEPT),
            rulebook=RULES,
            now=NOW,
        )


def test_only_owners_invite_and_remove(team: Engine) -> None:
    with transaction(team) as session, pytest.raises(AccessDenied):
        create_invite(
            session, actor=Actor.user(APPROVER), gstin=RECIPIENT, role=Role.VIEWER, now=NOW
        )
    with transaction(team) as session, pytest.raises(AccessDenied):
        remove_member(session, actor=Actor.user(APPROVER), gstin=RECIPIENT, user_id=VIEWER, now=NOW)
    with transaction(team) as session:
        remove_member(session, actor=Actor.user(OWNER), gstin=RECIPIENT, user_id=VIEWER, now=NOW)
        assert [
            m.user_id for m in list_members(session, actor=Actor.user(OWNER), gstin=RECIPIENT)
        ] == [OWNER, APPROVER]


def test_the_last_owner_stays(team: Engine) -> None:
    with transaction(team) as session, pytest.raises(InvalidInput, match="at least one owner"):
        remove_member(session, actor=Actor.user(OWNER), gstin=RECIPIENT, user_id=OWNER, now=NOW)


def test_invites_are_one_use_and_expire(team: Engine) -> None:
    with transaction(team) as session:
        invite = create_invite(
            session, actor=Actor.user(OWNER), gstin=RECIPIENT, role=Role.APPROVER, now=NOW
        )
        taxpayer, role = join_with_invite(
            session, user_id=777, name="Priya", code=invite.code, now=NOW
        )
        assert (taxpayer.gstin, role) == (RECIPIENT, Role.APPROVER)
    with transaction(team) as session, pytest.raises(NotFound, match="already used"):
        join_with_invite(session, user_id=778, name="Ravi", code=invite.code, now=NOW)
    with transaction(team) as session:
        late = create_invite(
            session, actor=Actor.user(OWNER), gstin=RECIPIENT, role=Role.VIEWER, now=NOW
        )
    with transaction(team) as session, pytest.raises(NotFound, match="expired"):
        join_with_invite(
            session, user_id=778, name="Ravi", code=late.code, now=NOW + timedelta(days=3)
        )


def test_joining_never_lowers_a_role(team: Engine) -> None:
    with transaction(team) as session:
        invite = create_invite(
            session, actor=Actor.user(OWNER), gstin=RECIPIENT, role=Role.VIEWER, now=NOW
        )
        _, role = join_with_invite(
            session, user_id=APPROVER, name="user102", code=invite.code, now=NOW
        )
    assert role is Role.APPROVER


def test_a_user_sees_the_gstins_they_belong_to(team: Engine) -> None:
    with transaction(team) as session:
        register_taxpayer(
            session,
            actor=Actor.system(Channel.CLI),
            gstin=SUPPLIER,
            name="Sharma Components",
            owner_id=OWNER,
            now=NOW,
        )
        mine = taxpayers_of(session, user_id=OWNER)
    assert [(t.gstin, r) for t, r in mine] == [(RECIPIENT, Role.OWNER), (SUPPLIER, Role.OWNER)]


def test_only_the_system_registers_gstins(team: Engine) -> None:
    with transaction(team) as session, pytest.raises(AccessDenied, match="administrator"):
        register_taxpayer(session, actor=Actor.user(OWNER), gstin=SUPPLIER, name="X", now=NOW)
