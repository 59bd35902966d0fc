"""The tenant boundary as people meet it in the bot: whose files, whose alerts, how often."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from sqlmodel import Session, select

from ims_domain.formats.gstr1 import write_gstr1
from ims_domain.periods import ReturnPeriod
from ims_domain.records import FilingStatus
from storage.models import RecordRow
from tests.builders import RECIPIENT, SUPPLIER
from tests.e2e.conftest import Running
from tests.e2e.fake_telegram import BotMessage, FakeUser
from tests.e2e.test_bot import (
    ADMIN,
    APPROVER,
    OWNER,
    STRANGER,
    VIEWER,
    import_download,
    onboard,
    open_card,
    said,
    tapped,
)
from tests.integration.store_helpers import invoices

SUPPLIER_OWNER = 555


def suppliers_return(count: int = 2) -> bytes:
    """SUPPLIER's October GSTR-1, saved not filed: `count` invoices to RECIPIENT."""
    saved = [
        replace(
            r, record=replace(r.record, filing_status=FilingStatus.NOT_FILED, two_b_period=None)
        )
        for r in invoices(count)
    ]
    return write_gstr1(saved, gstin=SUPPLIER, period=ReturnPeriod(2025, 10))


async def with_supplier(bot: Running) -> tuple[dict[int, FakeUser], FakeUser]:
    """Acme's team, and Sharma Components registered here with its own owner."""
    users = await onboard(bot)
    supplier = bot.tg.user(user_id=SUPPLIER_OWNER, first_name="Sharma")
    await said(bot, users[ADMIN], f"/addgstin {SUPPLIER} {SUPPLIER_OWNER} Sharma Components")
    await said(bot, supplier, "/start")
    return users, supplier


async def sent_file(bot: Running, user: FakeUser, data: bytes, name: str) -> BotMessage:
    """Send a file; the bot's last word on it (a summary, or why not)."""
    before = len(user.messages())
    await user.send_document(data, file_name=name)
    return await bot.tg.wait_for(
        lambda: next(
            (m for m in user.messages()[before:] if m.text and not m.text.startswith("Reading")),
            None,
        )
    )


def numbers(bot: Running) -> list[str]:
    with Session(bot.engine) as session:
        return sorted(row.number for row in session.exec(select(RecordRow)))


async def test_a_suppliers_return_reaches_its_buyer_with_its_source_on_the_card(
    bot: Running,
) -> None:
    users, supplier = await with_supplier(bot)
    summary = await sent_file(bot, supplier, suppliers_return(), "gstr1.json")
    assert "Imported GSTR-1" in (summary.text or "") and "2 new" in (summary.text or "")
    card = await open_card(bot, users[OWNER], "INV-0")
    text = bot.tg.message(OWNER, card.message_id).text or ""
    assert f"From Sharma Components ({SUPPLIER}): their GSTR-1, sent here on" in text
    assert "not yet seen on the portal" in text
    # The buyer's own download shows the invoice: the card says no more than the portal does.
    await import_download(bot, users[OWNER], invoices(2))
    card = await open_card(bot, users[OWNER], "INV-0")
    assert "not yet seen on the portal" not in (bot.tg.message(OWNER, card.message_id).text or "")


async def test_a_buyer_cannot_import_its_suppliers_return(bot: Running) -> None:
    users, _ = await with_supplier(bot)
    answer = await sent_file(bot, users[APPROVER], suppliers_return(), "gstr1.json")
    assert f"This GSTR-1 was filed by {SUPPLIER}" in (answer.text or "")
    assert numbers(bot) == []


@pytest.mark.parametrize(
    ("who", "says"),
    [(STRANGER, "not a member of any GSTIN"), (VIEWER, "Viewers cannot import files")],
)
async def test_a_file_from_a_stranger_or_a_viewer_is_refused_before_it_is_downloaded(
    bot: Running, who: int, says: str
) -> None:
    users = await onboard(bot)
    answer = await sent_file(bot, users[who], b'{"b2b": []}', "ims.json")
    assert says in (answer.text or "")
    assert bot.tg.calls("getFile") == []


@pytest.mark.bot_settings(upload_limit_per_hour=2)
async def test_files_past_the_hourly_allowance_are_refused_with_the_wait(bot: Running) -> None:
    users = await onboard(bot)
    for n in range(2):
        summary = await import_download(bot, users[APPROVER], invoices(1, prefix=f"F{n}"))
        assert "Imported" in (summary.text or "")
    answer = await sent_file(bot, users[APPROVER], b"{}", "third.json")
    assert answer.text == "You sent many files in a short time: send this one again in 30 minutes."
    assert len(bot.tg.calls("getFile")) == 2  # the third was never fetched
    # Another person has an allowance of their own.
    await users[OWNER].send_document(b'{"b2b": []}', file_name="own.json")
    await bot.tg.wait_for(lambda: len(bot.tg.calls("getFile")) == 3 or None)


@pytest.mark.bot_settings(tap_limit_per_minute=3)
async def test_taps_past_the_allowance_are_answered_with_the_wait(bot: Running) -> None:
    users = await onboard(bot)
    await import_download(bot, users[OWNER], invoices(2))
    board = await said(bot, users[OWNER], "/inbox")
    toasts = []
    for _ in range(4):  # the dashboard's own redraw, tapped four times
        query = await users[OWNER].tap_data(board, "v1:db")
        [answer] = await bot.tg.wait_for(lambda q=query: bot.tg.answers_for(q) or None)
        toasts.append(answer.text)
    assert toasts[:3] == [None, None, None]
    assert toasts[3] == "You are tapping faster than I can follow: try again in 20 s."


async def test_a_link_in_a_buyers_remark_reaches_the_supplier_as_plain_text(bot: Running) -> None:
    users, supplier = await with_supplier(bot)
    await import_download(bot, users[OWNER], invoices(1))
    card = await open_card(bot, users[OWNER], "INV-0")
    await tapped(bot, users[OWNER], card, "❌ Reject")
    await users[OWNER].reply("pay the difference at https://pay.example/x or t.me/scam")
    alert = await bot.tg.wait_for(
        lambda: next((m for m in supplier.messages() if "rejected" in (m.text or "")), None)
    )
    assert (
        "Their remarks: <code>pay the difference at https://pay.example/x or t.me/scam</code>"
        in (alert.text or "")
    )
    [call] = [c for c in bot.tg.calls("sendMessage") if c.params["chat_id"] == SUPPLIER_OWNER][-1:]
    assert call.params["link_preview_options"] == {"is_disabled": True} or json.loads(
        call.params["link_preview_options"]
    ) == {"is_disabled": True}


async def test_a_supplier_mutes_a_buyer_from_an_alert_and_unmutes_it_in_settings(
    bot: Running,
) -> None:
    users, supplier = await with_supplier(bot)
    owner = users[OWNER]
    await import_download(bot, owner, invoices(2))
    for number in ("INV-0", "INV-1"):
        card = await open_card(bot, owner, number)
        await tapped(bot, owner, card, "❌ Reject")
        await tapped(bot, owner, bot.tg.message(OWNER, card.message_id), "No remark")
        if number == "INV-0":
            alert = await bot.tg.wait_for(
                lambda: next((m for m in supplier.messages() if "rejected" in (m.text or "")), None)
            )
            toast = await tapped(bot, supplier, alert, "🔕 Mute alerts from Acme Traders")
            assert toast == "No more alerts from Acme Traders. /settings to switch them on again."
            redrawn = bot.tg.message(SUPPLIER_OWNER, alert.message_id)
            assert redrawn.button_texts == ["🔔 Alerts from Acme Traders are muted: unmute"]
    settings = await said(bot, supplier, "/settings")  # a round trip after the second reject
    assert len([m for m in supplier.messages() if "rejected" in (m.text or "")]) == 1
    toast = await tapped(bot, supplier, settings, "🔔 Alerts from Acme Traders are muted: unmute")
    assert toast == "Alerts from Acme Traders are on again."
    assert not [
        t for t in bot.tg.message(SUPPLIER_OWNER, settings.message_id).button_texts if "Acme" in t
    ]
    assert RECIPIENT  # the buyer muted is Acme Traders, RECIPIENT
