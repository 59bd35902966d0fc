"""/settings and /digest: the active GSTIN's reminder settings, and which messages a user gets.

Every member sees the GSTIN's settings; owners change one with a short command such as
`/settings quiet 22:00-07:00` (the use case checks the role). The buttons switch the user's own
messages: mutes, and the daily digest.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import Session
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import ContextTypes

from bot import texts
from bot.callbacks import Callback, encode
from bot.deps import deps_of
from bot.store import in_store, working_taxpayer
from storage.access import Actor
from storage.daily_digest import daily_digest_on, toggle_daily_digest
from storage.deadline_settings import change_settings, clock_text, read_settings
from storage.errors import UseCaseError
from storage.models import Role
from storage.supplier_alerts import muted_buyers, registered_name, toggle_buyer_mute
from storage.taxpayers import (
    MUTABLE_KINDS,
    active_taxpayer,
    ensure_user,
    muted_kinds,
    toggle_mute,
)

# `/settings <name> <value>`: the name a person types, and the use case's argument.
CHANGES = {
    "2b": "remind_2b",
    "3b": "remind_3b",
    "time": "reminder_time",
    "quiet": "quiet",
    "pending": "pending_warn",
}


def _switches(session: Session, user_id: int) -> InlineKeyboardMarkup:
    """The user's own switches: one per mutable kind, and the daily digest."""
    muted = muted_kinds(session, user_id=user_id)
    rows = []
    for setting, name in texts.SETTING_NAMES.items():
        off = set(MUTABLE_KINDS[setting]) <= muted
        label = (texts.SETTING_OFF if off else texts.SETTING_ON).format(name=name)
        rows.append([InlineKeyboardButton(label, callback_data=encode("st", setting))])
    on = daily_digest_on(session, user_id=user_id)
    label = (texts.SETTING_ON if on else texts.SETTING_OFF).format(name=texts.DAILY_DIGEST_SETTING)
    rows.append([InlineKeyboardButton(label, callback_data=encode("dd"))])
    for buyer in muted_buyers(session, user_id=user_id):
        name = texts.clipped(buyer.name or buyer.gstin, 30)
        unmute = texts.BUTTON_UNMUTE_BUYER.format(buyer=name)
        rows.append([InlineKeyboardButton(unmute, callback_data=encode("mb", buyer.gstin, "s"))])
    return InlineKeyboardMarkup(rows)


def _screen(session: Session, user_id: int) -> tuple[str, InlineKeyboardMarkup]:
    """The active GSTIN's reminder settings (if any), then the user's switches."""
    lines = []
    active = active_taxpayer(session, user_id=user_id)
    if active is not None:
        taxpayer, role = active
        current = read_settings(session, actor=Actor.user(user_id), gstin=taxpayer.gstin)
        quiet = f"{current.quiet_text} IST" if current.quiet_hours else texts.QUIET_NONE
        lines.append(
            texts.DEADLINE_SETTINGS.format(
                name=texts.clip(taxpayer.trade_name or taxpayer.legal_name, texts.NAME_SHOWN),
                gstin=taxpayer.gstin,
                time=clock_text(current.reminder_time),
                days_2b=texts.day_list(current.remind_2b_days),
                days_3b=current.remind_3b_days,
                pending=current.pending_warn_days,
                quiet=quiet,
            )
        )
        lines.append(texts.SETTINGS_CHANGE if role is Role.OWNER else texts.SETTINGS_OWNERS_ONLY)
        lines.append("")
    lines.append(texts.SETTINGS_HEAD)
    return "\n".join(lines), _switches(session, user_id)


async def settings_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/settings shows the settings; `/settings quiet 22:00-07:00` (owners) changes one."""
    user, message = update.effective_user, update.effective_message
    if user is None or message is None:
        return
    args = list(context.args or [])
    if args and (len(args) != 2 or args[0].lower() not in CHANGES):
        await message.reply_text(texts.SETTINGS_USAGE)
        return

    def show(session: Session) -> tuple[str, InlineKeyboardMarkup]:
        if not args:
            return _screen(session, user.id)
        change_settings(
            session,
            actor=Actor.user(user.id),
            gstin=working_taxpayer(session, user.id).gstin,
            now=datetime.now(UTC),
            **{CHANGES[args[0].lower()]: args[1]},
        )
        text, markup = _screen(session, user.id)
        return f"{texts.SETTINGS_SAVED}\n{text}", markup

    try:
        text, markup = await in_store(deps_of(context).engine, show)
    except UseCaseError as exc:
        await message.reply_text(texts.esc(exc), parse_mode=ParseMode.HTML)
        return
    await message.reply_text(text, parse_mode=ParseMode.HTML, reply_markup=markup)


async def setting_toggled(update: Update, context: ContextTypes.DEFAULT_TYPE, tap: Callback) -> str:
    """A mute button: mute or unmute that kind, redraw the buttons."""
    user = update.effective_user
    assert user is not None
    setting = tap.choice_arg(0, MUTABLE_KINDS)

    def toggle(session: Session) -> tuple[bool, InlineKeyboardMarkup]:
        ensure_user(session, user_id=user.id, now=datetime.now(UTC))
        muted = toggle_mute(session, user_id=user.id, setting=setting)
        return muted, _switches(session, user.id)

    muted, markup = await in_store(deps_of(context).engine, toggle)
    if update.callback_query:
        await update.callback_query.edit_message_reply_markup(reply_markup=markup)
    return texts.SETTING_MUTED if muted else texts.SETTING_UNMUTED


async def daily_digest_toggled(
    update: Update, context: ContextTypes.DEFAULT_TYPE, tap: Callback
) -> str:
    """The daily digest button: switch it for this user, redraw the buttons."""
    user = update.effective_user
    assert user is not None

    def toggle(session: Session) -> tuple[bool, InlineKeyboardMarkup]:
        on = toggle_daily_digest(session, user_id=user.id, now=datetime.now(UTC))
        return on, _switches(session, user.id)

    on, markup = await in_store(deps_of(context).engine, toggle)
    if update.callback_query:
        await update.callback_query.edit_message_reply_markup(reply_markup=markup)
    return texts.DAILY_DIGEST_TOAST[on]


async def buyer_mute_toggled(
    update: Update, context: ContextTypes.DEFAULT_TYPE, tap: Callback
) -> str:
    """A supplier alert's Mute button (or Unmute under /settings): one buyer's alerts."""
    user, query = update.effective_user, update.callback_query
    assert user is not None
    buyer, where = tap.gstin_arg(0), tap.choice_arg(1, ("a", "s"))

    def toggle(session: Session) -> tuple[bool, str, InlineKeyboardMarkup]:
        ensure_user(session, user_id=user.id, now=datetime.now(UTC))
        muted = toggle_buyer_mute(session, user_id=user.id, buyer=buyer, now=datetime.now(UTC))
        name = registered_name(session, gstin=buyer) or buyer
        if where == "s":
            return muted, name, _switches(session, user.id)
        label = (texts.BUTTON_UNMUTE_BUYER if muted else texts.BUTTON_MUTE_BUYER).format(
            buyer=texts.clipped(name, 30)
        )
        button = InlineKeyboardButton(label, callback_data=encode("mb", buyer, "a"))
        return muted, name, InlineKeyboardMarkup([[button]])

    muted, name, markup = await in_store(deps_of(context).engine, toggle)
    if query is not None:
        await query.edit_message_reply_markup(reply_markup=markup)
    return (texts.BUYER_MUTED if muted else texts.BUYER_UNMUTED).format(buyer=name)


async def digest_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/digest: switch the user's daily digest of new records on or off."""
    user, message = update.effective_user, update.effective_message
    if user is None or message is None:
        return
    on = await in_store(
        deps_of(context).engine,
        lambda s: toggle_daily_digest(s, user_id=user.id, now=datetime.now(UTC)),
    )
    await message.reply_text(texts.DAILY_DIGEST_SWITCHED[on])
