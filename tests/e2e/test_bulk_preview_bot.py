"""The bot's "Accept all": the confirmation applies the records shown, at the versions shown."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from storage.bulk_preview import PREVIEWS
from tests.e2e.conftest import Running
from tests.e2e.test_bot import (
    APPROVER,
    OWNER,
    import_download,
    onboard,
    open_card,
    said,
    stored,
    tapped,
)
from tests.integration.store_helpers import invoices


async def test_a_record_changed_after_the_preview_is_left_out_and_keeps_its_action(
    bot: Running,
) -> None:
    users = await onboard(bot)
    priya, ravi = users[OWNER], users[APPROVER]
    await import_download(bot, priya, invoices(4))
    board = await said(bot, priya, "/inbox")
    await tapped(bot, priya, board, "Review no action (4)")
    await tapped(bot, priya, bot.tg.message(OWNER, board.message_id), "Accept all")
    confirm = bot.tg.message(OWNER, board.message_id)
    assert "Accept all 4 records with tax ₹7,200.00?" in (confirm.text or "")
    # Meanwhile Ravi rejects one of the four listed records.
    card = await open_card(bot, ravi, "INV-2")
    await tapped(bot, ravi, card, "❌ Reject")
    assert await tapped(bot, ravi, bot.tg.message(APPROVER, card.message_id), "No remark") == (
        "Rejected"
    )
    await tapped(bot, priya, confirm, "Yes, accept 4")
    summary = bot.tg.message(OWNER, board.message_id)
    assert summary.text == (
        "Accepted: 3 records, tax ₹5,400.00. You can undo this for 10 minutes.\n"
        "1 left out: changed since you looked."
    )
    assert (stored(bot, "INV-2").action, stored(bot, "INV-2").action_by) == ("R", APPROVER)
    assert {stored(bot, f"INV-{i}").action for i in (0, 1, 3)} == {"A"}


async def test_a_confirmation_after_15_minutes_is_refused_as_out_of_date(bot: Running) -> None:
    users = await onboard(bot)
    priya = users[OWNER]
    await import_download(bot, priya, invoices(2))
    board = await said(bot, priya, "/inbox")
    await tapped(bot, priya, board, "Review no action (2)")
    await tapped(bot, priya, bot.tg.message(OWNER, board.message_id), "Accept all")
    with bot.engine.begin() as connection:  # the preview was made 16 minutes ago
        made = connection.execute(select(PREVIEWS.c.created_at)).scalar_one()
        connection.execute(update(PREVIEWS).values(created_at=made - timedelta(minutes=16)))
    toast = await tapped(bot, priya, bot.tg.message(OWNER, board.message_id), "Yes, accept 2")
    assert toast == "This preview is out of date: look at the list again."
    assert {stored(bot, f"INV-{i}").action for i in range(2)} == {"N"}
