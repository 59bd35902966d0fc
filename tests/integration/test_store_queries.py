"""Read use cases: inbox pages (keyset), filters, the dashboard and the draft GSTR-2B."""

from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import Engine, update
from sqlmodel import Session, select

from ims_domain.actions import ActionRequest
from ims_domain.gstr2b import Status
from ims_domain.money import NO_TAX, TaxAmounts, sum_taxes
from ims_domain.periods import ReturnPeriod
from ims_domain.records import Action, OriginalRef, RecordKind, ReportedRecord
from storage.access import Actor
from storage.acting import act_on_record
from storage.db import transaction
from storage.errors import InvalidInput, NotFound
from storage.filters import RecordFilter
from storage.models import PeriodState, Taxpayer
from storage.queries import (
    InboxCursor,
    InboxItem,
    dashboard,
    gstr2b_draft,
    inbox_page,
)
from storage.rulebook import RuleBook
from tests.builders import OCT_2025, RECIPIENT, record
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

NOV_2025 = ReturnPeriod(2025, 11)
OTHER_SUPPLIER = "24AAQCA8719H1ZC"


@pytest.fixture
def team(engine: Engine) -> Engine:
    setup_team(engine)
    return engine


def walk(
    engine: Engine,
    record_filter: RecordFilter | None = None,
    *,
    limit: int = 7,
    actor: Actor | None = None,
    gstin: str = RECIPIENT,
) -> list[InboxItem]:
    """Every item of the inbox, page by page, each page in its own session (as the bot does)."""
    record_filter = record_filter or RecordFilter()
    actor = actor or Actor.user(VIEWER)
    items: list[InboxItem] = []
    cursor: InboxCursor | None = None
    while True:
        with Session(engine) as session:
            page = inbox_page(
                session,
                actor=actor,
                gstin=gstin,
                record_filter=record_filter,
                after=cursor,
                limit=limit,
            )
        assert len(page.items) <= limit
        items.extend(page.items)
        if page.next_cursor is None:
            return items
        assert len(page.items) == limit
        # The cursor travels as text in callback data; the next page starts from the decoded one.
        cursor = InboxCursor.decode(page.next_cursor.encode())


def act(engine: Engine, record_id: int, action: Action, *, user: int = OWNER) -> None:
    with transaction(engine) as session:
        act_on_record(
            session,
            actor=Actor.user(user),
            gstin=RECIPIENT,
            record_id=record_id,
            expected_version=None,
            request=ActionRequest(action),
            rulebook=RuleBook(),
            now=NOW,
        )


def reported(
    number: str,
    *,
    kind: RecordKind = RecordKind.INVOICE,
    supplier: str = "29AAGCB7383J1Z4",
    document_date: date = date(2025, 10, 15),
    period: ReturnPeriod = OCT_2025,
    original: OriginalRef | None = None,
    **taxes: str,
) -> ReportedRecord:
    return ReportedRecord(
        record(
            kind,
            number=number,
            supplier=supplier,
            document_date=document_date,
            period=period,
            original=original,
            **taxes,
        ),
        supplier_name="Some Supplier",
    )


def mixed_inbox(engine: Engine) -> None:
    """Oct invoices, credit notes, Nov invoices and another supplier's invoices with all heads."""
    records = (
        invoices(30)
        + invoices(8, kind=RecordKind.CREDIT_NOTE, prefix="CN", igst="500")
        + invoices(6, period=NOV_2025, prefix="NOV", igst="90")
        + [
            reported(
                f"OS-{i}",
                supplier=OTHER_SUPPLIER,
                document_date=date(2025, 10, 3 + i),
                igst="0",
                cgst="450.50",
                sgst="450.50",
                cess="12.34",
            )
            for i in range(5)
        ]
    )
    do_import(engine, records)


def order_key(item: InboxItem) -> tuple[date, int]:
    return (item.document_date, item.record_id)


# ---------------------------------------------------------------------------------------------
# Pages


@pytest.mark.parametrize("limit", [1, 7, 49, 50, 500])
def test_pages_walk_every_record_once_newest_document_first(team: Engine, limit: int) -> None:
    mixed_inbox(team)
    items = walk(team, limit=limit)
    ids = [item.record_id for item in items]
    assert len(ids) == len(set(ids)) == 49
    assert items == sorted(items, key=order_key, reverse=True)


def test_a_page_shows_the_record_and_who_acted_on_it(team: Engine) -> None:
    do_import(team, [reported("X-1", igst="0", cgst="450.50", sgst="450.50", cess="12.34")])
    with Session(team) as session:
        (item,) = inbox_page(
            session, actor=Actor.user(VIEWER), gstin=RECIPIENT, record_filter=RecordFilter()
        ).items
    assert (item.kind, item.number, item.document_date) == (
        RecordKind.INVOICE,
        "X-1",
        date(2025, 10, 15),
    )
    assert item.taxes == TaxAmounts.of(cgst="450.50", sgst="450.50", cess="12.34")
    assert item.value == Decimal("10913.34")
    assert (item.two_b_period, item.counts_in_period) == (OCT_2025, OCT_2025)
    assert (item.action, item.action_by_name, item.version) == (Action.NO_ACTION, None, 1)
    assert item.supplier_name == "Some Supplier"

    act(team, item.record_id, Action.REJECT, user=APPROVER)
    with Session(team) as session:
        (after,) = inbox_page(
            session, actor=Actor.user(OWNER), gstin=RECIPIENT, record_filter=RecordFilter()
        ).items
    assert (after.action, after.action_by_name, after.version) == (Action.REJECT, "user102", 2)
    assert after.action_at == NOW
    assert after.action_channel == "bot"
    assert after.deemed is False


def test_an_empty_inbox_is_one_empty_page(team: Engine) -> None:
    with Session(team) as session:
        page = inbox_page(session, actor=CLI, gstin=RECIPIENT, record_filter=RecordFilter())
    assert (page.items, page.next_cursor) == ([], None)


def test_records_of_one_date_page_by_id_without_gaps(team: Engine) -> None:
    # Every document on one day: the id alone orders them, and the keyset must not skip any.
    do_import(team, [reported(f"D-{i}", document_date=date(2025, 10, 9)) for i in range(23)])
    items = walk(team, limit=5)
    assert [item.record_id for item in items] == sorted(
        (item.record_id for item in items), reverse=True
    )
    assert len({item.record_id for item in items}) == 23


def test_a_page_continues_after_its_cursor_even_when_records_arrive_meanwhile(
    team: Engine,
) -> None:
    do_import(team, invoices(20))
    with Session(team) as session:
        first = inbox_page(
            session, actor=CLI, gstin=RECIPIENT, record_filter=RecordFilter(), limit=10
        )
    assert first.next_cursor is not None
    # A newer document arrives between two taps: keyset paging neither repeats nor skips.
    do_import(team, [reported("LATE-1", document_date=date(2025, 10, 30))])
    with Session(team) as session:
        rest = inbox_page(
            session,
            actor=CLI,
            gstin=RECIPIENT,
            record_filter=RecordFilter(),
            after=first.next_cursor,
            limit=100,
        )
    seen = [i.record_id for i in first.items] + [i.record_id for i in rest.items]
    assert len(seen) == len(set(seen)) == 20
    assert "LATE-1" not in {i.number for i in rest.items}


def test_cursor_text_round_trips() -> None:
    cursor = InboxCursor(date(2025, 10, 20), 1234)
    assert cursor.encode() == "20251020.1234"
    assert InboxCursor.decode("20251020.1234") == cursor


@pytest.mark.parametrize(
    "text",
    [
        "",
        "abc",
        "20251020",
        "20251020.",
        ".1234",
        "20251320.5",
        "20250230.5",
        "2025-10-20.5",
        "20251020.-1",
        "20251020.1.2",
        " 20251020.1",
        "20251020.12345678901234567890",
        "２０２５１０２０.1",
    ],
)
def test_a_cursor_from_garbage_text_is_refused(text: str) -> None:
    with pytest.raises(InvalidInput):
        InboxCursor.decode(text)


@pytest.mark.parametrize("limit", [0, -1, 501])
def test_a_page_size_out_of_range_is_refused(team: Engine, limit: int) -> None:
    with Session(team) as session, pytest.raises(InvalidInput):
        inbox_page(session, actor=CLI, gstin=RECIPIENT, record_filter=RecordFilter(), limit=limit)


# ---------------------------------------------------------------------------------------------
# Filters


def test_each_filter_narrows_to_exactly_the_matching_records_in_order(team: Engine) -> None:
    mixed_inbox(team)
    everything = walk(team, limit=100)
    by_number = {item.number: item for item in everything}
    rejected = [by_number[f"INV-{i}"].record_id for i in range(3)]
    pending = [by_number[f"CN-{i}"].record_id for i in range(2)]
    for record_id in rejected:
        act(team, record_id, Action.REJECT)
    act(team, pending[0], Action.PENDING)
    act(team, pending[1], Action.PENDING)
    everything = walk(team, limit=100)

    cases: list[tuple[RecordFilter, Callable[[InboxItem], bool]]] = [
        (RecordFilter(status=Action.REJECT), lambda i: i.action is Action.REJECT),
        (RecordFilter(status=Action.PENDING), lambda i: i.action is Action.PENDING),
        (RecordFilter(status=Action.NO_ACTION), lambda i: i.action is Action.NO_ACTION),
        # The supplier is matched as the portal writes it, whatever the person typed.
        (
            RecordFilter(supplier=f" {OTHER_SUPPLIER.lower()} "),
            lambda i: i.supplier_gstin == OTHER_SUPPLIER,
        ),
        (
            RecordFilter(kinds=(RecordKind.CREDIT_NOTE,)),
            lambda i: i.kind is RecordKind.CREDIT_NOTE,
        ),
        (RecordFilter(period=NOV_2025), lambda i: i.counts_in_period == NOV_2025),
        (
            RecordFilter(date_from=date(2025, 10, 5), date_to=date(2025, 10, 10)),
            lambda i: date(2025, 10, 5) <= i.document_date <= date(2025, 10, 10),
        ),
        (
            RecordFilter(date_from=date(2025, 10, 25)),
            lambda i: i.document_date >= date(2025, 10, 25),
        ),
        (
            RecordFilter(min_value=Decimal("10500.00"), max_value=Decimal("11000")),
            lambda i: Decimal("10500") <= i.value <= Decimal("11000"),
        ),
        # Bounds are inclusive, to the paisa: 10,913.34 is the other supplier's documents.
        (
            RecordFilter(min_value=Decimal("10913.34")),
            lambda i: i.value >= Decimal("10913.34"),
        ),
        (
            RecordFilter(status=Action.NO_ACTION, supplier=OTHER_SUPPLIER, period=OCT_2025),
            lambda i: i.action is Action.NO_ACTION and i.supplier_gstin == OTHER_SUPPLIER,
        ),
        (RecordFilter(record_ids=tuple(rejected)), lambda i: i.record_id in rejected),
    ]
    for record_filter, matches in cases:
        expected = [item for item in everything if matches(item)]
        assert expected, f"the case {record_filter} should match something"
        assert len(expected) < len(everything), f"the case {record_filter} should narrow"
        assert walk(team, record_filter, limit=4) == expected, record_filter


# ---------------------------------------------------------------------------------------------
# Who sees what


def test_a_member_of_another_gstin_cannot_read_this_one(team: Engine) -> None:
    do_import(team, invoices(3))
    stranger = Actor.user(STRANGER)
    with Session(team) as session:
        with pytest.raises(NotFound):
            inbox_page(session, actor=stranger, gstin=RECIPIENT, record_filter=RecordFilter())
        with pytest.raises(NotFound):
            dashboard(session, actor=stranger, gstin=RECIPIENT, rulebook=RuleBook(), now=NOW)
        with pytest.raises(NotFound):
            gstr2b_draft(session, actor=stranger, gstin=RECIPIENT, period=OCT_2025)


def test_every_member_role_may_read(team: Engine) -> None:
    do_import(team, invoices(3))
    for user in (OWNER, APPROVER, VIEWER):
        actor = Actor.user(user)
        with Session(team) as session:
            page = inbox_page(session, actor=actor, gstin=RECIPIENT, record_filter=RecordFilter())
            board = dashboard(session, actor=actor, gstin=RECIPIENT, rulebook=RuleBook(), now=NOW)
            draft = gstr2b_draft(session, actor=actor, gstin=RECIPIENT.lower(), period=OCT_2025)
        assert (len(page.items), board.count(), len(draft.lines)) == (3, 3, 3)


def test_each_gstin_sees_only_its_own_records(team: Engine) -> None:
    do_import(team, invoices(4))
    do_import(
        team,
        invoices(6, recipient=OTHER_RECIPIENT, prefix="OTHER"),
        actor=Actor.user(STRANGER),
        gstin=OTHER_RECIPIENT,
    )
    mine = walk(team, limit=3)
    theirs = walk(team, actor=Actor.user(STRANGER), gstin=OTHER_RECIPIENT, limit=3)
    assert {i.number for i in mine} == {f"INV-{i}" for i in range(4)}
    assert {i.number for i in theirs} == {f"OTHER-{i}" for i in range(6)}
    # Asking for RECIPIENT's record ids through OTHER_RECIPIENT's inbox finds nothing.
    leak = RecordFilter(record_ids=tuple(i.record_id for i in mine))
    assert walk(team, leak, actor=Actor.user(STRANGER), gstin=OTHER_RECIPIENT) == []
    with Session(team) as session:
        board = dashboard(session, actor=CLI, gstin=RECIPIENT, rulebook=RuleBook(), now=NOW)
        draft = gstr2b_draft(session, actor=CLI, gstin=RECIPIENT, period=OCT_2025)
    assert board.count() == 4
    assert len(draft.lines) == 4


# ---------------------------------------------------------------------------------------------
# Dashboard


def test_dashboard_totals_match_the_imported_amounts_exactly(team: Engine) -> None:
    mixed_inbox(team)
    everything = walk(team, limit=100)
    by_number = {item.number: item for item in everything}
    for i in range(3):
        act(team, by_number[f"INV-{i}"].record_id, Action.REJECT)
    for i in range(2):
        act(team, by_number[f"CN-{i}"].record_id, Action.PENDING)
    act(team, by_number["OS-0"].record_id, Action.ACCEPT)

    with Session(team) as session:
        board = dashboard(
            session, actor=Actor.user(VIEWER), gstin=RECIPIENT, rulebook=RuleBook(), now=NOW
        )

    invoice, note = RecordKind.INVOICE, RecordKind.CREDIT_NOTE
    heads = TaxAmounts.of(cgst="450.50", sgst="450.50", cess="12.34")
    expected = {
        (Action.NO_ACTION, invoice): (
            27 + 6 + 4,
            TaxAmounts.of(igst=27 * 1800 + 6 * 90) + sum_taxes([heads] * 4),
        ),
        (Action.REJECT, invoice): (3, TaxAmounts.of(igst=3 * 1800)),
        (Action.ACCEPT, invoice): (1, heads),
        (Action.NO_ACTION, note): (6, TaxAmounts.of(igst=6 * 500)),
        (Action.PENDING, note): (2, TaxAmounts.of(igst=2 * 500)),
    }
    assert {(t.action, t.kind): (t.count, t.taxes) for t in board.totals} == expected
    assert board.count() == 49
    assert board.count(action=Action.NO_ACTION) == 43
    assert board.count(kind=note) == 8
    assert board.taxes(action=Action.PENDING, kind=note) == TaxAmounts.of(igst="1000.00")
    assert board.taxes().cess == Decimal("61.70")
    assert board.pending_credit_notes == 2


def test_R2_3_dashboard_counts_what_the_next_2b_will_deem_accepted(team: Engine) -> None:
    mixed_inbox(team)
    everything = walk(team, limit=100)
    by_number = {item.number: item for item in everything}
    act(team, by_number["INV-0"].record_id, Action.REJECT)
    act(team, by_number["CN-0"].record_id, Action.PENDING)

    with Session(team) as session:
        board = dashboard(session, actor=CLI, gstin=RECIPIENT, rulebook=RuleBook(), now=NOW)

    upcoming = board.next_generation
    assert upcoming is not None
    assert (upcoming.period, upcoming.generation_date, upcoming.days_left) == (
        OCT_2025,
        date(2025, 11, 14),
        9,
    )
    # Oct-2025 and still No action: 29 invoices, 7 credit notes, 5 of the other supplier.
    untouched = [
        i
        for i in everything
        if i.counts_in_period == OCT_2025 and i.number not in {"INV-0", "CN-0"}
    ]
    assert upcoming.no_action_count == len(untouched) == 41
    assert upcoming.no_action_taxes == sum_taxes([i.taxes for i in untouched])


def test_next_generation_moves_on_once_the_2b_is_generated(team: Engine) -> None:
    mixed_inbox(team)
    with transaction(team) as session:
        taxpayer = session.exec(select(Taxpayer).where(Taxpayer.gstin == RECIPIENT)).one()
        session.add(PeriodState(taxpayer_id=taxpayer.id, period=202510, gstr2b_generated_at=NOW))
    with Session(team) as session:
        board = dashboard(session, actor=CLI, gstin=RECIPIENT, rulebook=RuleBook(), now=NOW)
    upcoming = board.next_generation
    assert upcoming is not None
    assert (upcoming.period, upcoming.generation_date, upcoming.days_left) == (
        NOV_2025,
        date(2025, 12, 14),
        39,
    )
    assert upcoming.no_action_count == 6
    assert upcoming.no_action_taxes == TaxAmounts.of(igst=540)


def test_on_generation_day_the_next_2b_is_today(team: Engine) -> None:
    do_import(team, invoices(2))
    # 18:29 UTC is 23:59 IST on the 14th: still generation day in India (days count in IST).
    late = datetime(2025, 11, 14, 18, 29, tzinfo=UTC)
    with Session(team) as session:
        board = dashboard(session, actor=CLI, gstin=RECIPIENT, rulebook=RuleBook(), now=late)
    assert board.next_generation is not None
    assert (board.next_generation.period, board.next_generation.days_left) == (OCT_2025, 0)
    after_midnight = datetime(2025, 11, 14, 18, 31, tzinfo=UTC)  # 00:01 IST on the 15th
    with Session(team) as session:
        board = dashboard(
            session, actor=CLI, gstin=RECIPIENT, rulebook=RuleBook(), now=after_midnight
        )
    assert board.next_generation is not None
    assert board.next_generation.period == NOV_2025
    assert board.next_generation.no_action_count == 0


def test_an_empty_dashboard(team: Engine) -> None:
    with Session(team) as session:
        board = dashboard(session, actor=CLI, gstin=RECIPIENT, rulebook=RuleBook(), now=NOW)
    assert (board.totals, board.pending_credit_notes, board.count()) == ((), 0, 0)
    assert board.taxes() == NO_TAX
    assert board.next_generation is not None
    assert (board.next_generation.no_action_count, board.next_generation.no_action_taxes) == (
        0,
        NO_TAX,
    )


def make_quarterly(engine: Engine) -> None:
    with transaction(engine) as session:
        session.execute(
            update(Taxpayer)
            .where(Taxpayer.gstin == RECIPIENT)  # type: ignore[arg-type]
            .values(frequency="quarterly", state_group="A")
        )


def test_R2_3_a_quarterly_recipient_waits_for_the_quarter_2b(team: Engine) -> None:
    mixed_inbox(team)
    make_quarterly(team)
    with Session(team) as session:
        board = dashboard(session, actor=CLI, gstin=RECIPIENT, rulebook=RuleBook(), now=NOW)
    upcoming = board.next_generation
    assert upcoming is not None
    assert (upcoming.period, upcoming.generation_date, upcoming.days_left) == (
        ReturnPeriod(2025, 12),
        date(2026, 1, 14),
        70,
    )
    assert upcoming.no_action_count == 49  # Oct and Nov records together


# ---------------------------------------------------------------------------------------------
# Draft GSTR-2B


def test_R2_3_untouched_records_count_as_available_in_the_draft(team: Engine) -> None:
    do_import(team, invoices(12) + invoices(4, period=NOV_2025, prefix="NOV", igst="90"))
    with Session(team) as session:
        draft = gstr2b_draft(session, actor=Actor.user(VIEWER), gstin=RECIPIENT, period=OCT_2025)
    assert (draft.recipient, draft.period) == (RECIPIENT, OCT_2025)
    assert len(draft.lines) == 12
    assert draft.counts[Status.NO_ACTION] == 12
    assert draft.itc_available == TaxAmounts.of(igst=12 * 1800)
    assert draft.net_itc == draft.itc_available
    assert (draft.itc_rejected, draft.pending) == (NO_TAX, NO_TAX)


def test_R2_2_actions_place_records_in_the_draft(team: Engine) -> None:
    do_import(team, invoices(5) + invoices(3, kind=RecordKind.CREDIT_NOTE, prefix="CN", igst="500"))
    items = {item.number: item for item in walk(team, limit=100)}
    act(team, items["INV-0"].record_id, Action.REJECT)
    act(team, items["INV-1"].record_id, Action.ACCEPT)
    act(team, items["CN-0"].record_id, Action.PENDING)
    act(team, items["CN-1"].record_id, Action.REJECT)
    with Session(team) as session:
        draft = gstr2b_draft(session, actor=CLI, gstin=RECIPIENT, period=OCT_2025)
    assert draft.counts == {
        Status.ACCEPTED: 1,
        Status.DEEMED: 0,
        Status.REJECTED: 2,
        Status.PENDING: 1,
        Status.NO_ACTION: 4,
    }
    assert draft.itc_available == TaxAmounts.of(igst=4 * 1800)
    assert draft.itc_rejected == TaxAmounts.of(igst=1800)
    assert draft.pending == TaxAmounts.of(igst=-500)  # a note's effect lowers ITC
    assert draft.credit_note_reduction == TaxAmounts.of(igst=500)  # CN-2, untouched: in full
    assert draft.supplier_add_back == {"29AAGCB7383J1Z4": TaxAmounts.of(igst=500)}


def test_R5_3_an_amendment_counts_the_difference_from_its_stored_original(team: Engine) -> None:
    original = reported("INV-9", document_date=date(2025, 10, 2), igst="1800")
    amended = reported(
        "INV-9A",
        kind=RecordKind.INVOICE_AMENDMENT,
        document_date=date(2025, 10, 20),
        original=OriginalRef("INV-9", date(2025, 10, 2)),
        igst="2000",
    )
    do_import(team, [original, amended])
    with Session(team) as session:
        draft = gstr2b_draft(session, actor=CLI, gstin=RECIPIENT, period=OCT_2025)
    # The untouched original counts as accepted, so the amendment adds only the 200 more.
    assert sorted(line.amount.igst for line in draft.lines) == [Decimal(200), Decimal(1800)]
    assert draft.itc_available == TaxAmounts.of(igst=2000)


def test_a_quarterly_draft_holds_the_quarter(team: Engine) -> None:
    do_import(team, invoices(3) + invoices(2, period=NOV_2025, prefix="NOV", igst="90"))
    make_quarterly(team)
    with Session(team) as session:
        draft = gstr2b_draft(session, actor=CLI, gstin=RECIPIENT, period=NOV_2025)
    assert draft.period == ReturnPeriod(2025, 12)
    assert draft.itc_available == TaxAmounts.of(igst=3 * 1800 + 2 * 90)


def test_R1_3_documents_outside_ims_are_counted_apart_and_never_listed_as_no_action(
    team: Engine,
) -> None:
    """Reverse charge and ITC-unavailable documents take no action and are never deemed: the
    dashboard counts them apart, and no state list or 'deemed on the 14th' figure holds them."""
    outside = [
        ReportedRecord(record(number="RCM-1", reverse_charge=True)),
        ReportedRecord(record(number="NOITC-1", itc_unavailable=True)),
    ]
    do_import(team, [ReportedRecord(record(number="INV-1")), *outside])
    with Session(team) as session:
        board = dashboard(session, actor=CLI, gstin=RECIPIENT, rulebook=RuleBook(), now=NOW)
    assert board.outside_ims == 2
    assert board.count() == board.count(action=Action.NO_ACTION) == 1
    assert board.next_generation is not None and board.next_generation.no_action_count == 1
    listed = walk(team, RecordFilter(status=Action.NO_ACTION))
    assert [item.number for item in listed] == ["INV-1"]
    everything = walk(team)
    assert sorted(item.number for item in everything) == ["INV-1", "NOITC-1", "RCM-1"]
