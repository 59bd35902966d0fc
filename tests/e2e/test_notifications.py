"""Notifications through the outbox, end to end: digests, supplier alerts, team notices, faults."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlmodel import Session, select

from ims_domain.formats.common import SupplierViewEntry
from ims_domain.formats.supplier_view import write_supplier_view
from ims_domain.gstin import check_character
from ims_domain.periods import ReturnPeriod
from ims_domain.records import Action, RecordKind, ReportedRecord
from storage.db import transaction
from storage.models import GroupBinding, Outbox, User
from storage.outbox import enqueue
from tests.builders import record
from tests.e2e.conftest import Running
from tests.e2e.test_bot import (
    ADMIN,
    APPROVER,
    OWNER,
    VIEWER,
    import_download,
    onboard,
    open_card,
    said,
    stored,
    tapped,
)
from tests.integration.store_helpers import invoices

SUPPLIER_OWNER = 555


def texts_to(bot: Running, chat_id: int) -> list[str]:
    return [m.text or "" for m in bot.tg.messages(chat_id)]


async def test_an_upload_of_500_gives_one_digest_per_member(bot: Running) -> None:
    users = await onboard(bot)
    await import_download(bot, users[APPROVER], invoices(500))
    for member in (OWNER, VIEWER):
        digest = await bot.tg.wait_for(
            lambda m=member: (
                [t for t in texts_to(bot, m) if "brought 500 new or changed documents" in t] or None
            )
        )
        assert len(digest) == 1
        assert "500 invoice; tax ₹9,00,000.00" in digest[0]
    # The uploader sees the import summary, not a digest of their own upload.
    assert not [t for t in texts_to(bot, APPROVER) if "brought" in t]


async def test_R4_4_a_reject_reaches_the_supplier_with_remarks_and_guidance(bot: Running) -> None:
    """R6.8: with 3B liability locked, the advice is GSTR-1A before the supplier's own 3B."""
    users = await onboard(bot)
    supplier = bot.tg.user(user_id=SUPPLIER_OWNER, first_name="Sharma")
    await said(bot, users[1], f"/addgstin 29AAGCB7383J1Z4 {SUPPLIER_OWNER} Sharma Components")
    await import_download(bot, users[OWNER], invoices(1))
    card = await open_card(bot, users[OWNER], "INV-0")
    await tapped(bot, users[OWNER], card, "❌ Reject")
    await users[OWNER].reply("not ordered by us")
    alert = await bot.tg.wait_for(supplier.last_message)
    assert (
        "Acme Traders (27AAPFU0939F1ZV) rejected your invoice <code>INV-0</code> of 01-Oct-2025"
        in (alert.text or "")
    )
    assert "Their remarks: <code>not ordered by us</code>" in (alert.text or "")
    assert "GSTR-1A before your GSTR-3B" in (alert.text or "")


async def test_a_429_and_a_500_are_retried_and_the_message_arrives_once(bot: Running) -> None:
    await onboard(bot)
    bot.tg.fail_next("sendMessage", status=429, retry_after=0.2)
    bot.tg.fail_next("sendMessage", status=500)
    payload = {"by_name": "Ravi", "count": 3, "action": "A", "tax": "₹10.00"}
    with transaction(bot.engine) as session:
        enqueue(session, messages=[(OWNER, "team_bulk", payload, "test:1")], now=datetime.now(UTC))
    await bot.tg.wait_for(
        lambda: [t for t in texts_to(bot, OWNER) if "in bulk" in t] or None, timeout=10
    )
    assert len([t for t in texts_to(bot, OWNER) if "in bulk" in t]) == 1
    statuses = [c.status for c in bot.tg.calls("sendMessage") if c.params.get("chat_id") == OWNER]
    assert statuses[-3:] == [429, 500, 200]


async def test_a_blocked_chat_is_given_up_and_marked(bot: Running) -> None:
    users = await onboard(bot)
    users[VIEWER].block()
    await import_download(bot, users[APPROVER], invoices(2))
    await bot.tg.wait_for(lambda: [t for t in texts_to(bot, OWNER) if "brought 2 " in t] or None)

    def viewer_state() -> tuple[object, object] | None:
        with Session(bot.engine) as session:
            user = session.get(User, VIEWER)
            row = session.exec(select(Outbox).where(Outbox.chat_id == VIEWER)).first()
            # Both or nothing: the sender may commit between the two reads.
            done = user and user.blocked_at and row and row.failed_at
            return (user.blocked_at, row.failed_at) if done else None

    blocked_at, failed_at = await bot.tg.wait_for(viewer_state)
    assert blocked_at is not None and failed_at is not None


async def test_a_bulk_action_is_told_to_the_other_members(bot: Running) -> None:
    users = await onboard(bot)
    await import_download(bot, users[OWNER], invoices(3))
    board = await said(bot, users[OWNER], "/inbox")
    await tapped(bot, users[OWNER], board, "Review no action (3)")
    await tapped(bot, users[OWNER], bot.tg.message(OWNER, board.message_id), "Reject all")
    await tapped(bot, users[OWNER], bot.tg.message(OWNER, board.message_id), "Yes, reject 3")
    notice = await bot.tg.wait_for(
        lambda: [t for t in texts_to(bot, APPROVER) if "in bulk" in t] or None
    )
    assert notice == ["Priya marked 3 records rejected in bulk (tax ₹5,400.00)."]
    assert stored(bot, "INV-0").action == "R"


async def test_a_muted_kind_stays_silent(bot: Running) -> None:
    users = await onboard(bot)
    menu = await said(bot, users[VIEWER], "/settings")
    assert await tapped(bot, users[VIEWER], menu, "🔔 Supplier upload digests") == "Muted"
    assert "🔕 Supplier upload digests" in bot.tg.message(VIEWER, menu.message_id).button_texts
    await import_download(bot, users[APPROVER], invoices(2))
    await bot.tg.wait_for(lambda: [t for t in texts_to(bot, OWNER) if "brought 2 " in t] or None)
    await said(bot, users[VIEWER], "/help")  # a round trip, after which a digest would be there
    assert not [t for t in texts_to(bot, VIEWER) if "brought" in t]


async def test_a_bound_group_gets_the_digests(bot: Running) -> None:
    users = await onboard(bot)
    group = bot.tg.group(chat_id=-500, title="Acme accounts")
    before = len(group.messages())
    await users[OWNER].send("/bind", chat=group)
    bound = await bot.tg.wait_for(lambda: group.messages()[before])
    assert "This group now gets the digests of <b>Acme Traders</b>" in (bound.text or "")
    await users[VIEWER].send("/bind", chat=group)
    refused = await bot.tg.wait_for(lambda: group.messages()[before + 1])
    assert "Only an owner" in (refused.text or "")
    await import_download(bot, users[APPROVER], invoices(2))
    digest = await bot.tg.wait_for(
        lambda: [m.text for m in group.messages() if "brought 2 " in (m.text or "")] or None
    )
    assert len(digest) == 1


async def test_a_digest_opens_exactly_the_records_of_its_upload(bot: Running) -> None:
    users = await onboard(bot)
    await import_download(bot, users[APPROVER], invoices(2, prefix="OLD"))
    await import_download(bot, users[APPROVER], invoices(3, prefix="NEW"))
    owner = users[OWNER]
    digest = await bot.tg.wait_for(
        lambda: next((m for m in owner.messages() if "brought 3 " in (m.text or "")), None)
    )
    await tapped(bot, owner, digest, "Review these 3")
    listing = bot.tg.message(OWNER, digest.message_id)
    assert "This upload" in (listing.text or "")
    numbers = sorted(t for t in listing.button_texts if t.startswith("invoice"))
    assert numbers == ["invoice NEW-0", "invoice NEW-1", "invoice NEW-2"]


async def test_a_large_download_is_told_by_supplier(bot: Running) -> None:
    users = await onboard(bot)
    suppliers = [f"29AAGCB73{n:02d}J1Z" for n in range(7)]
    suppliers = [g + check_character(g) for g in suppliers]
    records = [
        ReportedRecord(record(number=f"S{s}-{i}", supplier=gstin), supplier_name=f"Supplier {s}")
        for s, gstin in enumerate(suppliers)
        for i in range(s + 1)
    ]
    await import_download(bot, users[APPROVER], records)
    digest = await bot.tg.wait_for(
        lambda: next((t for t in texts_to(bot, OWNER) if "brought 28 " in t), None)
    )
    assert "From 7 suppliers: Supplier 6 (7), Supplier 5 (6), Supplier 4 (5)" in digest
    assert "and 2 more." in digest


async def test_R4_6_a_supplier_view_with_new_rejections_alerts_the_supplier(bot: Running) -> None:
    users = await onboard(bot)
    supplier = bot.tg.user(user_id=SUPPLIER_OWNER, first_name="Sharma")
    await said(bot, users[1], f"/addgstin 29AAGCB7383J1Z4 {SUPPLIER_OWNER} Sharma Components")
    entries = [
        SupplierViewEntry(
            "27AAPFU0939F1ZV", "b2b", "INV-1", date(2025, 10, 3), Action.REJECT, "wrong rate"
        ),
        SupplierViewEntry("27AAPFU0939F1ZV", "b2b", "INV-2", date(2025, 10, 4), Action.ACCEPT),
    ]
    view = write_supplier_view(entries, gstin="29AAGCB7383J1Z4", period=ReturnPeriod(2025, 10))
    before = len(supplier.messages())
    await supplier.send_document(view, file_name="supplier-view.json")
    alert = await bot.tg.wait_for(
        lambda: next(
            (m for m in supplier.messages()[before:] if "Your buyers" in (m.text or "")), None
        )
    )
    assert (
        "27AAPFU0939F1ZV rejected invoice <code>INV-1</code> of 03-Oct-2025 — "
        "<code>wrong rate</code>" in (alert.text or "")
    )
    assert "INV-2" not in (alert.text or "")
    # The same view again brings no new rejection: no second alert.
    await supplier.send_document(view, file_name="supplier-view.json")
    await bot.tg.wait_for(
        lambda: [m for m in supplier.messages() if "nothing changed" in (m.text or "")] or None
    )
    assert len([m for m in supplier.messages() if "Your buyers" in (m.text or "")]) == 1


async def test_R4_4_a_rejected_credit_note_tells_the_supplier_its_tax_comes_back(
    bot: Running,
) -> None:
    users = await onboard(bot)
    supplier = bot.tg.user(user_id=SUPPLIER_OWNER, first_name="Sharma")
    await said(bot, users[1], f"/addgstin 29AAGCB7383J1Z4 {SUPPLIER_OWNER} Sharma Components")
    await import_download(bot, users[OWNER], invoices(1, kind=RecordKind.CREDIT_NOTE, prefix="CN"))
    card = await open_card(bot, users[OWNER], "CN-0")
    await tapped(bot, users[OWNER], card, "❌ Reject")
    await tapped(bot, users[OWNER], bot.tg.message(OWNER, card.message_id), "Yes, reject")
    await tapped(bot, users[OWNER], bot.tg.message(OWNER, card.message_id), "No remark")
    alert = await bot.tg.wait_for(supplier.last_message)
    assert "rejected your credit note <code>CN-0</code>" in (alert.text or "")
    assert "The note's tax, ₹1,800.00, is added back to your liability" in (alert.text or "")


async def test_a_group_never_shows_records_and_ignores_chatter(bot: Running) -> None:
    users = await onboard(bot)
    await import_download(bot, users[OWNER], invoices(1))
    group = bot.tg.group(chat_id=-501, title="Mixed company")
    await users[OWNER].send("/inbox", chat=group)
    answer = await bot.tg.wait_for(lambda: group.messages()[0])
    assert answer.text == "Records are shown in a private chat only: message me directly."
    await users[OWNER].reply("hello everyone", chat=group)
    for n in (1, 2):  # two round trips after the chatter: an answer to it would be here by now
        await users[OWNER].send("/help", chat=group)
        await bot.tg.wait_for(lambda n=n: group.messages()[n])
    assert len(group.messages()) == 3  # the chatter got no answer; each /help did


async def test_a_digest_opens_its_own_gstin_while_another_is_being_worked_on(
    bot: Running,
) -> None:
    """An accountant on two GSTINs: the digest of one opens its records, not the other's."""
    users = await onboard(bot)
    owner = users[OWNER]
    other = "29AAGCB7383J1Z" + check_character("29AAGCB7383J1Z")
    reply = await said(bot, users[ADMIN], f"/addgstin {other} {OWNER} Beta Stores")
    assert "Registered <b>Beta Stores</b>" in (reply.text or "")
    menu = await said(bot, owner, "/gstin")
    await tapped(bot, owner, menu, f"Beta Stores · {other}")
    await import_download(bot, users[APPROVER], invoices(2, prefix="ACME"))
    digest = await bot.tg.wait_for(
        lambda: next((m for m in owner.messages() if "brought 2 " in (m.text or "")), None)
    )
    toast = await tapped(bot, owner, digest, "Review these 2")
    assert toast is not None and "Now working on Acme Traders" in toast
    listing = bot.tg.message(OWNER, digest.message_id)
    numbers = sorted(t for t in listing.button_texts if t.startswith("invoice"))
    assert numbers == ["invoice ACME-0", "invoice ACME-1"]


async def test_a_group_upgraded_to_a_supergroup_gets_its_digests_at_the_new_id(
    bot: Running,
) -> None:
    users = await onboard(bot)
    group = bot.tg.group(chat_id=-502, title="Acme accounts")
    await users[OWNER].send("/bind", chat=group)
    await bot.tg.wait_for(lambda: group.messages() or None)
    supergroup = bot.tg.group(chat_id=-100502, title="Acme accounts")
    bot.tg.migrate_chat(-502, -100502)
    await import_download(bot, users[APPROVER], invoices(2))
    digest = await bot.tg.wait_for(
        lambda: [m for m in supergroup.messages() if "brought 2 " in (m.text or "")] or None
    )
    assert len(digest) == 1
    with Session(bot.engine) as session:
        chats = session.exec(select(GroupBinding.chat_id)).all()
    assert chats == [-100502]  # the next digests go there directly
