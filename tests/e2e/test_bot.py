"""The bot driven as users would: commands, files and taps through the fake Telegram server."""

from __future__ import annotations

import asyncio
import re

from sqlmodel import Session, select

from ims_domain.formats.gstr2b import write_gstr2b
from ims_domain.formats.ims_writer import write_ims
from ims_domain.records import RecordKind, ReportedRecord
from storage.models import ActionLog, RecordRow
from tests.builders import OCT_2025, RECIPIENT, record
from tests.e2e.conftest import ADMIN, Running
from tests.e2e.fake_telegram import BotMessage, FakeUser
from tests.integration.store_helpers import invoices

OWNER, APPROVER, VIEWER, STRANGER = 101, 102, 103, 999


async def said(bot: Running, user: FakeUser, text: str) -> BotMessage:
    """Send `text` and wait for the bot's next message to that user."""
    before = len(user.messages())
    await user.send(text)
    return await bot.tg.wait_for(
        lambda: user.messages()[before] if len(user.messages()) > before else None
    )


async def tapped(bot: Running, user: FakeUser, message: BotMessage, button: str) -> str | None:
    """Tap a button; wait for the answer; return its toast text."""
    query = await user.tap(message, button)
    answers = await bot.tg.wait_for(lambda: bot.tg.answers_for(query) or None)
    assert len(answers) == 1  # every tap is answered, once
    return answers[0].text


async def onboard(bot: Running) -> dict[int, FakeUser]:
    """The admin registers Acme with its owner; the owner invites an approver and a viewer."""
    tg = bot.tg
    users = {
        uid: tg.user(user_id=uid, first_name=name)
        for uid, name in (
            (ADMIN, "Admin"),
            (OWNER, "Priya"),
            (APPROVER, "Ravi"),
            (VIEWER, "Meena"),
            (STRANGER, "Sam"),
        )
    }
    reply = await said(bot, users[ADMIN], f"/addgstin {RECIPIENT} {OWNER} Acme Traders")
    assert "Registered <b>Acme Traders</b>" in (reply.text or "")
    for uid, role in ((APPROVER, "approver"), (VIEWER, "viewer")):
        link = await said(bot, users[OWNER], f"/invite {role}")
        code = re.search(r"start=(\S+)", link.text or "")
        assert code, link.text
        joined = await said(bot, users[uid], f"/start {code.group(1)}")
        assert f"You joined as {role}" in (joined.text or "")
    return users


async def import_download(bot: Running, user: FakeUser, records) -> BotMessage:  # type: ignore[no-untyped-def]
    """Send an IMS download (records, or ready bytes) and wait for the summary."""
    before = len(user.messages())
    data = records if isinstance(records, bytes) else write_ims(records)
    await user.send_document(data, file_name="ims.json")
    # The bot answers with one message and edits it from "Reading …" to the summary.
    return await bot.tg.wait_for(
        lambda: next(
            (m for m in user.messages()[before:] if m.text and not m.text.startswith("Reading")),
            None,
        )
    )


async def open_card(bot: Running, user: FakeUser, number: str) -> BotMessage:
    board = await said(bot, user, "/inbox")
    await tapped(
        bot, user, board, next(t for t in board.button_texts if t.startswith("Review no action"))
    )
    await tapped(
        bot,
        user,
        board,
        f"invoice {number}" if not number.startswith("CN") else f"credit note {number}",
    )
    return user.messages()[user.messages().index(board)]


def stored(bot: Running, number: str) -> RecordRow:
    with Session(bot.engine) as session:
        return session.exec(select(RecordRow).where(RecordRow.number == number)).one()


async def test_onboarding_invite_and_team(bot: Running) -> None:
    users = await onboard(bot)
    assert [name for name, _ in bot.tg.commands][:2] == ["inbox", "gstin"]  # setMyCommands
    welcome = await said(bot, users[OWNER], "/start")
    assert "You work on <b>Acme Traders</b>" in (welcome.text or "")
    team = await said(bot, users[OWNER], "/team")
    assert "Ravi — approver" in (team.text or "") and "Meena — viewer" in (team.text or "")
    stranger = await said(bot, users[STRANGER], "/start")
    assert "not a member of any GSTIN" in (stranger.text or "")
    nothing = await said(bot, users[STRANGER], "/inbox")
    assert "Acme" not in (nothing.text or "") and RECIPIENT not in (nothing.text or "")


async def test_file_upload_summary_and_refused_rows(bot: Running) -> None:
    users = await onboard(bot)
    ravi = users[APPROVER]
    summary = await import_download(bot, ravi, invoices(3))
    assert summary.text == (
        "Imported IMS download: 3 new, 0 changed by the supplier, 0 unchanged, 0 refused."
    )
    broken = write_ims(invoices(2, prefix="BAD")).replace(b'"idt": "', b'"idt": "99-', 1)
    summary = await import_download(bot, ravi, broken_records := broken)  # type: ignore[arg-type]
    assert "1 new" in (summary.text or "") and "1 refused" in (summary.text or "")
    refused = await bot.tg.wait_for(lambda: bot.tg.documents(APPROVER) or None)
    assert refused[0].file_name == "refused-rows.csv"
    assert b"idt" in refused[0].data and b"99-01-10-2025" in refused[0].data
    again = await import_download(bot, ravi, broken_records)  # type: ignore[arg-type]
    assert again.text == "You sent this file before; nothing changed."


async def test_accept_reject_and_pending_with_remarks(bot: Running) -> None:
    users = await onboard(bot)
    await import_download(bot, users[OWNER], invoices(3))
    priya = users[OWNER]
    card = await open_card(bot, priya, "INV-2")
    assert "Status: ⏳ No action" in (card.text or "")
    await tapped(bot, priya, card, "❌ Reject")
    card = bot.tg.message(OWNER, card.message_id)
    assert "send a remark" in (card.text or "")
    await priya.reply("not ordered by us")
    await bot.tg.wait_for(
        lambda: "Rejected" in (bot.tg.message(OWNER, card.message_id).text or "") or None
    )
    row = stored(bot, "INV-2")
    assert (row.remarks, row.action_by) == ("not ordered by us", OWNER)
    card = bot.tg.message(OWNER, card.message_id)
    assert "Status: ❌ Rejected by Priya" in (card.text or "") and "not ordered by us" in (
        card.text or ""
    )
    await tapped(bot, priya, card, "⏸ Pending")
    assert (
        await tapped(bot, priya, bot.tg.message(OWNER, card.message_id), "No remark")
        == "Kept pending"
    )
    assert stored(bot, "INV-2").action == "P"
    assert (
        await tapped(bot, priya, bot.tg.message(OWNER, card.message_id), "✅ Accept") == "Accepted"
    )
    assert stored(bot, "INV-2").action == "A"


async def test_R4_4_credit_note_rejection_asks_twice(bot: Running) -> None:
    users = await onboard(bot)
    await import_download(bot, users[OWNER], invoices(1, kind=RecordKind.CREDIT_NOTE, prefix="CN"))
    priya = users[OWNER]
    card = await open_card(bot, priya, "CN-0")
    await tapped(bot, priya, card, "❌ Reject")
    confirm = bot.tg.message(OWNER, card.message_id)
    assert "keeps your ITC, and ₹1,800.00 is added back to Sharma Components's tax" in (
        confirm.text or ""
    )
    assert stored(bot, "CN-0").action == "N"
    await tapped(bot, priya, confirm, "Yes, reject")
    assert (
        await tapped(bot, priya, bot.tg.message(OWNER, card.message_id), "No remark") == "Rejected"
    )
    assert stored(bot, "CN-0").action == "R"


async def test_bulk_accept_then_undo(bot: Running) -> None:
    users = await onboard(bot)
    await import_download(bot, users[OWNER], invoices(4))
    priya = users[OWNER]
    board = await said(bot, priya, "/inbox")
    await tapped(bot, priya, board, "Review no action (4)")
    await tapped(bot, priya, bot.tg.message(OWNER, board.message_id), "Accept all")
    confirm = bot.tg.message(OWNER, board.message_id)
    assert "Accept all 4 records with tax ₹7,200.00?" in (confirm.text or "")
    await tapped(bot, priya, confirm, "Yes, accept 4")
    summary = bot.tg.message(OWNER, board.message_id)
    assert summary.text == "Accepted: 4 records, tax ₹7,200.00. You can undo this for 10 minutes."
    assert {stored(bot, f"INV-{i}").action for i in range(4)} == {"A"}
    await tapped(bot, priya, summary, "Undo")
    assert {stored(bot, f"INV-{i}").action for i in range(4)} == {"N"}


async def test_viewer_is_refused_and_nothing_changes(bot: Running) -> None:
    users = await onboard(bot)
    await import_download(bot, users[OWNER], invoices(1))
    card = await open_card(bot, users[VIEWER], "INV-0")
    toast = await tapped(bot, users[VIEWER], card, "✅ Accept")
    assert toast is not None and "viewer" in toast
    assert stored(bot, "INV-0").action == "N"


async def test_forged_and_foreign_taps_are_refused(bot: Running) -> None:
    users = await onboard(bot)
    await import_download(bot, users[OWNER], invoices(1))
    record_id = stored(bot, "INV-0").id
    # A member of another GSTIN, with a message of their own to tap on.
    await said(bot, users[ADMIN], f"/addgstin 29AABCR1718E1ZL {STRANGER} Other Co")
    own = await said(bot, users[STRANGER], "/inbox")
    for data in (
        f"v1:ac:{record_id}:1:A",
        f"v1:cd:{record_id}",
        "v1:zz:1",
        "garbage",
        f"v1:ac:{record_id}:x:A",
    ):
        query = await users[STRANGER].tap_data(own, data)
        answer = (await bot.tg.wait_for(lambda q=query: bot.tg.answers_for(q) or None))[0]
        assert answer.show_alert, data
        assert "Acme" not in (answer.text or "")
    assert stored(bot, "INV-0").action == "N"


async def test_a_double_tap_is_applied_once(bot: Running) -> None:
    users = await onboard(bot)
    await import_download(bot, users[OWNER], invoices(1))
    card = await open_card(bot, users[OWNER], "INV-0")
    first, second = await asyncio.gather(
        users[OWNER].tap(card, "✅ Accept"), users[OWNER].tap(card, "✅ Accept")
    )
    for query in (first, second):
        await bot.tg.wait_for(lambda q=query: bot.tg.answers_for(q) or None)
    row = stored(bot, "INV-0")
    assert (row.action, row.version) == ("A", 2)
    with Session(bot.engine) as session:
        assert len(session.exec(select(ActionLog)).all()) == 1
    toasts = {bot.tg.answers_for(q)[0].text for q in (first, second)}
    assert "Accepted" in toasts
    assert any(t and "changed by Priya" in t for t in toasts)


async def test_lists_filter_by_kind_through_buttons(bot: Running) -> None:
    users = await onboard(bot)
    await import_download(
        bot, users[OWNER], invoices(2) + invoices(1, kind=RecordKind.CREDIT_NOTE, prefix="CN")
    )
    priya = users[OWNER]
    board = await said(bot, priya, "/inbox")
    assert "By kind: Invoice 2 (₹3,600.00) · Credit note 1 (₹1,800.00)" in (board.text or "")
    await tapped(bot, priya, board, "Review no action (3)")
    await tapped(bot, priya, bot.tg.message(OWNER, board.message_id), "Filter")
    await tapped(bot, priya, bot.tg.message(OWNER, board.message_id), "Credit notes")
    listing = bot.tg.message(OWNER, board.message_id)
    assert "No action · Credit notes" in (listing.text or "")
    assert [t for t in listing.button_texts if t.startswith(("invoice", "credit"))] == [
        "credit note CN-0"
    ]


async def test_R4_2_E8_partial_itc_reduction_with_a_remark(bot: Running) -> None:
    users = await onboard(bot)
    await import_download(
        bot, users[OWNER], invoices(1, kind=RecordKind.CREDIT_NOTE, prefix="CN", igst="1800")
    )
    priya = users[OWNER]
    card = await open_card(bot, priya, "CN-0")
    await tapped(bot, priya, card, "✅ Accept")
    prompt = bot.tg.message(OWNER, card.message_id)
    assert "lowers your ITC by ₹1,800.00" in (prompt.text or "")
    await priya.reply("1000,0,0,0")
    await bot.tg.wait_for(lambda: "Now send a remark" in (priya.last_message().text or "") or None)
    await priya.reply("claimed only 1,000")
    await bot.tg.wait_for(lambda: stored(bot, "CN-0").action == "A" or None)
    row = stored(bot, "CN-0")
    assert (row.itc_reduction, row.decl_igst_paise, row.remarks) == (
        "partial",
        100000,
        "claimed only 1,000",
    )


async def test_R1_3_documents_outside_ims_are_shown_apart_on_the_dashboard(bot: Running) -> None:
    """A GSTR-2B brings a reverse-charge invoice too: it is counted outside IMS, not as one
    that will be deemed accepted, and the no-action list does not offer it."""
    users = await onboard(bot)
    priya = users[OWNER]
    two_b = write_gstr2b(
        [
            ReportedRecord(record(number="INV-1", period=OCT_2025)),
            ReportedRecord(record(number="RCM-1", period=OCT_2025, reverse_charge=True)),
        ],
        gstin=RECIPIENT,
        period=OCT_2025,
    )
    await import_download(bot, priya, two_b)
    board = await said(bot, priya, "/inbox")
    assert "Outside IMS: 1 (reverse charge" in (board.text or "")
    await tapped(bot, priya, board, "Review no action (1)")
    listing = bot.tg.message(OWNER, board.message_id)
    assert [t for t in listing.button_texts if t.startswith("invoice")] == ["invoice INV-1"]


async def test_addgstin_with_an_owner_id_that_is_not_ascii_digits_gets_the_usage(
    bot: Running,
) -> None:
    admin = bot.tg.user(user_id=ADMIN, first_name="Admin")
    reply = await said(bot, admin, f"/addgstin {RECIPIENT} ²³ Acme Traders")
    assert (reply.text or "").startswith("Send: /addgstin GSTIN OWNER_TELEGRAM_ID")
