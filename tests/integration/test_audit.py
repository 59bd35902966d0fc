"""The audit trail: who did what and when, in two tables nobody can rewrite.

Every use case that writes runs one after another on both backends; after each, every audit row
that existed before is still there, unchanged, and the events it should add are there too.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, Table, select, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from ims_cli.main import main
from ims_domain.actions import ActionRequest
from ims_domain.formats.common import SupplierViewEntry
from ims_domain.formats.gstr1 import write_gstr1
from ims_domain.formats.gstr2b import write_gstr2b
from ims_domain.formats.ims_writer import write_ims
from ims_domain.formats.register import write_register_csv
from ims_domain.formats.supplier_view import write_supplier_view
from ims_domain.records import Action, FilingStatus, RecordKind
from storage.access import Actor
from storage.acting import act_on_record, find_record_id
from storage.audit import ACTIONS, EVENTS
from storage.bulk import apply_bulk, undo_bulk
from storage.closing import mark_gstr3b_filed
from storage.db import transaction
from storage.deadline_settings import change_settings
from storage.deadlines import run_due_work
from storage.exports import export_actions, mark_uploaded
from storage.filters import RecordFilter
from storage.models import EventKind, EventLog, Role
from storage.rulebook import RuleBook
from storage.taxpayers import (
    bind_group,
    create_invite,
    join_with_invite,
    register_taxpayer,
    remove_member,
    toggle_mute,
)
from storage.uploads import import_file
from tests.builders import OCT_2025, RECIPIENT, SUPPLIER
from tests.integration.store_helpers import (
    APPROVER,
    CLI,
    NOW,
    OWNER,
    STRANGER,
    VIEWER,
    do_import,
    invoices,
    setup_team,
)

RULES = RuleBook()
GROUP = -100500
AUDIT_TABLES: tuple[Table, ...] = (ACTIONS, EVENTS)
Rows = dict[str, dict[int, tuple[Any, ...]]]


def audit_rows(engine: Engine) -> Rows:
    """Every row of both audit tables, whole, by table and id."""
    with engine.connect() as connection:
        return {
            table.name: {row.id: tuple(row) for row in connection.execute(select(table))}
            for table in AUDIT_TABLES
        }


def invite_and_join(session: Session, *, user_id: int, role: Role) -> None:
    invite = create_invite(session, actor=Actor.user(OWNER), gstin=RECIPIENT, role=role, now=NOW)
    join_with_invite(session, user_id=user_id, name=f"user{user_id}", code=invite.code, now=NOW)


def send(session: Session, data: bytes, gstin: str = RECIPIENT) -> None:
    import_file(session, actor=CLI, gstin=gstin, data=data, now=NOW)


def reject_first_invoice(session: Session, now: datetime = NOW) -> None:
    record_id = find_record_id(
        session, actor=CLI, gstin=RECIPIENT, supplier=SUPPLIER, kind="b2b", number="INV-0"
    )
    act_on_record(
        session,
        actor=Actor.user(APPROVER),
        gstin=RECIPIENT,
        record_id=record_id,
        expected_version=None,
        request=ActionRequest(Action.REJECT, remarks="wrong rate"),
        rulebook=RULES,
        now=now,
    )


def bulk_and_undo(session: Session) -> None:
    done = apply_bulk(
        session,
        actor=Actor.user(APPROVER),
        gstin=RECIPIENT,
        record_filter=RecordFilter(status=Action.NO_ACTION, kinds=(RecordKind.INVOICE,)),
        action=Action.PENDING,
        rulebook=RULES,
        now=NOW,
    )
    assert done.count > 0
    undo_bulk(
        session,
        actor=Actor.user(APPROVER),
        gstin=RECIPIENT,
        bulk_id=done.bulk_id,
        rulebook=RULES,
        now=NOW + timedelta(minutes=1),
    )


def upload_and_mark(session: Session) -> None:
    upload = export_actions(session, actor=CLI, gstin=RECIPIENT, rulebook=RULES)
    assert upload.files
    mark_uploaded(session, actor=CLI, gstin=RECIPIENT, upload=upload.files[0], now=NOW)


def close_october(session: Session) -> None:
    closed = run_due_work(session, now=datetime(2025, 11, 15, 6, 0, tzinfo=UTC), rulebook=RULES)
    assert [c.period for c in closed.closed if c.gstin == RECIPIENT] == [OCT_2025]


def edited_and_adopted_download() -> bytes:
    """INV-0 edited by its supplier (its action resets); INV-1 accepted on the portal."""
    first, second, *rest = invoices(4)
    edited = replace(first, record=replace(first.record, taxable_value=first.record.value))
    on_portal = replace(second, portal_action=Action.ACCEPT)
    return write_ims([edited, on_portal, *rest])


def gstr1_of_supplier() -> bytes:
    not_filed = [
        replace(
            r, record=replace(r.record, filing_status=FilingStatus.NOT_FILED, two_b_period=None)
        )
        for r in invoices(2, prefix="NEW")
    ]
    return write_gstr1(not_filed, gstin=SUPPLIER, period=OCT_2025)


def supplier_view() -> bytes:
    entry = SupplierViewEntry(RECIPIENT, "b2b", "S-1", date(2025, 10, 3), Action.REJECT, "rate")
    return write_supplier_view([entry], gstin=SUPPLIER, period=OCT_2025)


Step = tuple[str, Callable[[Session], object], list[EventKind], bool]
# Each use case that writes, the events it adds, and whether it adds action-log rows.
STEPS: list[Step] = [
    (
        "register a taxpayer with its owner",
        lambda s: register_taxpayer(
            s, actor=CLI, gstin=RECIPIENT, name="Acme Traders", owner_id=OWNER, now=NOW
        ),
        [EventKind.TAXPAYER_REGISTERED, EventKind.MEMBER_ADDED],
        False,
    ),
    (
        "register a supplier without an owner",
        lambda s: register_taxpayer(s, actor=CLI, gstin=SUPPLIER, name="Sharma", now=NOW),
        [EventKind.TAXPAYER_REGISTERED],
        False,
    ),
    (
        "invite an approver",
        lambda s: invite_and_join(s, user_id=APPROVER, role=Role.APPROVER),
        [EventKind.INVITE_CREATED, EventKind.MEMBER_ADDED, EventKind.INVITE_USED],
        False,
    ),
    (
        "invite a viewer",
        lambda s: invite_and_join(s, user_id=VIEWER, role=Role.VIEWER),
        [EventKind.INVITE_CREATED, EventKind.MEMBER_ADDED, EventKind.INVITE_USED],
        False,
    ),
    (
        "an invite that raises a role",
        lambda s: invite_and_join(s, user_id=VIEWER, role=Role.APPROVER),
        [EventKind.INVITE_CREATED, EventKind.MEMBER_ROLE_CHANGED, EventKind.INVITE_USED],
        False,
    ),
    (
        "remove a member",
        lambda s: remove_member(
            s, actor=Actor.user(OWNER), gstin=RECIPIENT, user_id=VIEWER, now=NOW
        ),
        [EventKind.MEMBER_REMOVED],
        False,
    ),
    (
        "bind a group",
        lambda s: bind_group(s, user_id=OWNER, chat_id=GROUP, now=NOW),
        [EventKind.GROUP_BOUND],
        False,
    ),
    (
        "bind the same group again",
        lambda s: bind_group(s, user_id=OWNER, chat_id=GROUP, now=NOW),
        [],
        False,
    ),
    (
        "change reminder settings",
        lambda s: change_settings(
            s, actor=Actor.user(OWNER), gstin=RECIPIENT, quiet="off", remind_3b="2", now=NOW
        ),
        [EventKind.SETTINGS_CHANGED],
        False,
    ),
    ("toggle a mute", lambda s: toggle_mute(s, user_id=APPROVER, setting="digest"), [], False),
    (
        "import an IMS download",
        lambda s: send(s, write_ims(invoices(4) + invoices(1, kind=RecordKind.CREDIT_NOTE))),
        [],
        False,
    ),
    ("act on one record", reject_first_invoice, [], True),
    ("import an edited download", lambda s: send(s, edited_and_adopted_download()), [], True),
    (
        "import a GSTR-2B",
        lambda s: send(s, write_gstr2b(invoices(4), gstin=RECIPIENT, period=OCT_2025)),
        [],
        False,
    ),
    ("import a GSTR-1", lambda s: send(s, gstr1_of_supplier(), gstin=SUPPLIER), [], False),
    ("import a supplier view", lambda s: send(s, supplier_view(), gstin=SUPPLIER), [], False),
    (
        "import a purchase register",
        lambda s: send(s, write_register_csv(invoices(2, prefix="PR"))),
        [],
        False,
    ),
    ("act again", reject_first_invoice, [], True),
    ("a bulk action and its undo", bulk_and_undo, [], True),
    ("export the actions and mark them uploaded", upload_and_mark, [], False),
    ("deemed acceptance at the period close", close_october, [], True),
    (
        "mark GSTR-3B filed",
        lambda s: mark_gstr3b_filed(
            s, actor=Actor.user(APPROVER), gstin=RECIPIENT, period=OCT_2025, now=NOW
        ),
        [EventKind.GSTR3B_FILED],
        False,
    ),
]


def test_each_use_case_appends_to_the_audit_and_changes_no_earlier_row(engine: Engine) -> None:
    before = audit_rows(engine)
    for name, step, events, acts in STEPS:
        with transaction(engine) as session:
            step(session)
        after = audit_rows(engine)
        for table, rows in before.items():
            kept = {row_id: after[table].get(row_id) for row_id in rows}
            assert kept == rows, f"{name}: an earlier {table} row changed or went"
        added = sorted(set(after[EVENTS.name]) - set(before[EVENTS.name]))
        kind = EVENTS.c.kind.name
        assert [after[EVENTS.name][i][list(EVENTS.c.keys()).index(kind)] for i in added] == [
            event.value for event in events
        ], name
        grew = len(after[ACTIONS.name]) > len(before[ACTIONS.name])
        assert grew == acts, f"{name}: action log grew {grew}, expected {acts}"
        before = after


def events(engine: Engine) -> list[EventLog]:
    with Session(engine) as session:
        return list(session.exec(select(EventLog).order_by(EventLog.id)).scalars())  # type: ignore[call-overload, arg-type]


def test_member_changes_and_invites_say_who_and_when(engine: Engine) -> None:
    setup_team(engine)  # CLI registers two GSTINs with owners; the owner invites two people
    later = NOW + timedelta(hours=1)
    with transaction(engine) as session:
        remove_member(session, actor=Actor.user(OWNER), gstin=RECIPIENT, user_id=VIEWER, now=later)
    seen = [(e.kind, e.user_id, e.channel, e.details.get("user_id")) for e in events(engine)]
    assert seen == [
        ("taxpayer_registered", None, "cli", None),
        ("member_added", None, "cli", OWNER),
        ("taxpayer_registered", None, "cli", None),
        ("member_added", None, "cli", STRANGER),
        ("invite_created", OWNER, "bot", None),
        ("member_added", APPROVER, "bot", APPROVER),
        ("invite_used", APPROVER, "bot", None),
        ("invite_created", OWNER, "bot", None),
        ("member_added", VIEWER, "bot", VIEWER),
        ("invite_used", VIEWER, "bot", None),
        ("member_removed", OWNER, "bot", VIEWER),
    ]
    removed = events(engine)[-1]
    assert removed.at == later
    assert removed.details == {"user_id": VIEWER, "name": f"user{VIEWER}", "role": "viewer"}


def test_an_admin_registering_through_the_bot_is_recorded_as_who(engine: Engine) -> None:
    with transaction(engine) as session:
        register_taxpayer(
            session,
            actor=Actor.system(CLI.channel),
            gstin=RECIPIENT,
            name="Acme",
            owner_id=OWNER,
            admin_id=7,
            now=NOW,
        )
    assert [(e.kind, e.user_id) for e in events(engine)] == [
        ("taxpayer_registered", 7),
        ("member_added", 7),
    ]


def test_a_settings_change_records_what_changed_from_what(engine: Engine) -> None:
    setup_team(engine)
    for quiet in ("22:00-07:00", "22:00-07:00"):  # the second changes nothing: no event
        with transaction(engine) as session:
            change_settings(session, actor=Actor.user(OWNER), gstin=RECIPIENT, quiet=quiet, now=NOW)
    changed = [e for e in events(engine) if e.kind == EventKind.SETTINGS_CHANGED]
    assert [(e.user_id, e.details) for e in changed] == [
        (OWNER, {"quiet": {"from": "21:00-08:00", "to": "22:00-07:00"}})
    ]


@pytest.mark.parametrize("table", AUDIT_TABLES, ids=lambda table: table.name)
def test_audit_rows_cannot_be_updated_or_deleted(engine: Engine, table: Table) -> None:
    setup_team(engine)
    do_import(engine, invoices(1))
    with transaction(engine) as session:
        reject_first_invoice(session)
    before = audit_rows(engine)[table.name]
    assert before
    statements = [f"UPDATE {table.name} SET at = at", f"DELETE FROM {table.name}"]
    if engine.dialect.name == "postgresql":
        statements.append(f"TRUNCATE {table.name}")
    for statement in statements:
        with pytest.raises(IntegrityError, match="append-only"), engine.begin() as connection:
            connection.execute(text(statement))
    assert audit_rows(engine)[table.name] == before


@pytest.fixture
def cli(db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    """Runs `ims` against the test database; returns (exit code, stdout, stderr)."""
    monkeypatch.setenv("IMS_DATABASE_URL", db_url)

    def run(*argv: str) -> tuple[int, str, str]:
        code = main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return run


def test_ims_audit_lists_a_gstins_events_and_actions_newest_first(cli, engine: Engine) -> None:  # type: ignore[no-untyped-def]
    setup_team(engine)  # at NOW: 12:00 IST
    do_import(engine, invoices(1))
    with transaction(engine) as session:
        reject_first_invoice(session, now=NOW + timedelta(hours=1))
        mark_gstr3b_filed(
            session,
            actor=Actor.user(OWNER),
            gstin=RECIPIENT,
            period=OCT_2025,
            now=NOW + timedelta(hours=2),
        )
    code, out, err = cli("audit", "--gstin", RECIPIENT, "--limit", "3")
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        "05-Nov-2025 14:00 IST  user101 (101)            bot           "
        "marked GSTR-3B for Oct-2025 filed",
        "05-Nov-2025 13:00 IST  user102 (102)            bot           "
        f"invoice INV-0 of {SUPPLIER}: no action → rejected — “wrong rate”",
        "05-Nov-2025 12:00 IST  user103 (103)            bot           "
        "joined with invite 2 as viewer",
    ]
    code, out, _ = cli("--json", "audit", "--gstin", RECIPIENT.lower())
    entries = json.loads(out)["entries"]
    assert (code, len(entries)) == (0, 10)  # 2 of the registration, 3 per invite, 2 above
    assert entries[-1] == {
        "at": "2025-11-05T06:30:00+00:00",
        "user_id": None,
        "user": None,
        "channel": "cli",
        "kind": "taxpayer_registered",
        "details": {
            "gstin": RECIPIENT,
            "name": "Acme Traders",
            "frequency": "monthly",
            "state_group": None,
        },
    }
    assert entries[1]["details"] == {
        "record_id": 1,
        "kind": "b2b",
        "number": "INV-0",
        "supplier": SUPPLIER,
        "from": "N",
        "to": "R",
        "remarks": "wrong rate",
        "bulk_id": None,
    }
    assert cli("audit", "--gstin", RECIPIENT, "--limit", "0")[2] == (
        "ims audit: --limit must be at least 1.\n"
    )
    assert cli("audit", "--gstin", "07AAPFU0939F1ZX")[:2] == (2, "")
