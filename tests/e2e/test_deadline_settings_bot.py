"""/settings and /digest through the fake Telegram server: reminder settings, daily digest."""

from __future__ import annotations

from datetime import UTC, datetime, time

from sqlmodel import Session

from storage.access import Actor
from storage.db import transaction
from storage.deadline_settings import DEFAULTS, DeadlineSettings, QuietHours, read_settings
from storage.deadlines import run_due_work
from storage.models import User
from storage.rulebook import RuleBook
from tests.builders import RECIPIENT
from tests.e2e.conftest import Running
from tests.e2e.test_bot import APPROVER, OWNER, VIEWER, import_download, onboard, said, tapped
from tests.integration.store_helpers import invoices

DIGEST_BUTTON = "Daily digest of new records (at the reminder time)"


def stored_settings(bot: Running) -> DeadlineSettings:
    with transaction(bot.engine) as session:
        return read_settings(session, actor=Actor.user(OWNER), gstin=RECIPIENT)


def digest_since(bot: Running, user_id: int) -> datetime | None:
    with Session(bot.engine) as session:
        user = session.get(User, user_id)
        assert user is not None
        return user.daily_digest_since


async def test_settings_are_shown_and_an_owner_changes_them(bot: Running) -> None:
    users = await onboard(bot)
    priya = users[OWNER]
    shown = await said(bot, priya, "/settings")
    assert "Reminders for <b>Acme Traders</b> (27AAPFU0939F1ZV), at 10:00 IST" in (shown.text or "")
    assert "GSTR-2B: 3 and 1 days before it is generated" in (shown.text or "")
    assert "Quiet hours: 21:00-08:00 IST" in (shown.text or "")
    assert "/settings quiet 21:00-08:00 (or off)" in (shown.text or "")
    assert "🔔 Supplier upload digests" in shown.button_texts
    assert f"🔕 {DIGEST_BUTTON}" in shown.button_texts
    saved = await said(bot, priya, "/settings quiet 22:00-07:00")
    assert (saved.text or "").startswith("Saved.")
    assert "Quiet hours: 22:00-07:00 IST" in (saved.text or "")
    saved = await said(bot, priya, "/settings 2b 5,2")
    assert "GSTR-2B: 5 and 2 days before" in (saved.text or "")
    assert stored_settings(bot) == DeadlineSettings(
        remind_2b_days=(5, 2), quiet_hours=QuietHours(time(22), time(7))
    )
    wrong = await said(bot, priya, "/settings time 7pm")
    assert "The reminder time '7pm' is not a time like 10:00" in (wrong.text or "")
    usage = await said(bot, priya, "/settings snooze 5")
    assert (usage.text or "").startswith("Send /settings alone")
    assert stored_settings(bot).reminder_time == time(10)


async def test_a_viewer_sees_the_settings_but_cannot_change_them(bot: Running) -> None:
    users = await onboard(bot)
    meena = users[VIEWER]
    shown = await said(bot, meena, "/settings")
    assert "Owners of this GSTIN can change these." in (shown.text or "")
    refused = await said(bot, meena, "/settings quiet off")
    assert refused.text == "Only an owner of 27AAPFU0939F1ZV can change its reminder settings."
    refused = await said(bot, users[APPROVER], "/settings 3b 1")
    assert "Only an owner" in (refused.text or "")
    assert stored_settings(bot) == DEFAULTS


async def test_the_daily_digest_is_switched_by_command_and_button(bot: Running) -> None:
    users = await onboard(bot)
    priya = users[OWNER]
    switched = await said(bot, priya, "/digest")
    assert (switched.text or "").startswith("Daily digest on")
    assert digest_since(bot, OWNER) is not None
    menu = await said(bot, priya, "/settings")
    assert await tapped(bot, priya, menu, f"🔔 {DIGEST_BUTTON}") == "Daily digest off"
    assert f"🔕 {DIGEST_BUTTON}" in bot.tg.message(OWNER, menu.message_id).button_texts
    assert digest_since(bot, OWNER) is None
    assert await tapped(bot, priya, menu, f"🔕 {DIGEST_BUTTON}") == "Daily digest on"
    assert digest_since(bot, OWNER) is not None
    assert digest_since(bot, VIEWER) is None  # each user switches it for themselves only


async def test_a_daily_digest_arrives_and_opens_exactly_the_new_records(bot: Running) -> None:
    users = await onboard(bot)
    priya = users[OWNER]
    await import_download(bot, users[APPROVER], invoices(1, prefix="OLD"))
    await said(bot, priya, "/digest")
    await import_download(bot, users[APPROVER], invoices(2))
    await said(bot, priya, "/settings quiet off")
    await said(bot, priya, "/settings time 00:00")  # today's digest is due whatever the hour
    with transaction(bot.engine) as session:
        run_due_work(session, now=datetime.now(UTC), rulebook=RuleBook())
    digest = await bot.tg.wait_for(
        lambda: next((m for m in priya.messages() if "Daily digest for" in (m.text or "")), None)
    )
    assert "2 new documents since" in (digest.text or "")
    assert "From Sharma Components (2)." in (digest.text or "")
    await tapped(bot, priya, digest, "Review these 2")
    listing = bot.tg.message(OWNER, digest.message_id)
    assert "New since" in (listing.text or "")
    numbers = sorted(t for t in listing.button_texts if t.startswith("invoice"))
    assert numbers == ["invoice INV-0", "invoice INV-1"]  # not OLD-0, stored before /digest
