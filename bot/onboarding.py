"""Onboarding handlers: /start (and invite deep links), /help, /addgstin, /gstin, /invite, /team,
/bind."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import Session
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import ContextTypes

from bot import texts
from bot.callbacks import Callback, encode
from bot.deps import deps_of
from bot.inbox import unchanged_is_fine
from bot.message_fit import fit_message
from bot.store import in_store, working_taxpayer
from ims_domain.periods import FilingFrequency
from ims_domain.text_limits import shortened
from storage.access import Actor
from storage.errors import UseCaseError
from storage.models import Channel, Role, Taxpayer
from storage.taxpayers import (
    Member,
    active_taxpayer,
    bind_group,
    choose_active,
    create_invite,
    ensure_user,
    join_with_invite,
    list_members,
    register_taxpayer,
    remove_member,
    taxpayers_of,
)


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Greet; with an invite code (deep link /start <code>), join the GSTIN first."""
    user, message = update.effective_user, update.effective_message
    if user is None or message is None:
        return
    deps = deps_of(context)
    now = datetime.now(UTC)
    name = user.first_name or user.full_name
    if context.args:
        code = context.args[0]
        try:
            taxpayer, role = await in_store(
                deps.engine,
                lambda s: join_with_invite(s, user_id=user.id, name=name, code=code, now=now),
            )
        except UseCaseError as exc:
            await message.reply_text(texts.esc(exc), parse_mode=ParseMode.HTML)
            return
        await message.reply_text(
            texts.JOINED.format(
                taxpayer=texts.clip(taxpayer.legal_name, texts.NAME_SHOWN),
                gstin=taxpayer.gstin,
                role=role.value,
            ),
            parse_mode=ParseMode.HTML,
        )
        return

    def greet(session: Session) -> str:
        ensure_user(session, user_id=user.id, name=name, now=now)
        active = active_taxpayer(session, user_id=user.id)
        if active is None:
            if taxpayers_of(session, user_id=user.id):
                return texts.PICK_GSTIN
            return texts.WELCOME_NEW.format(name=texts.clip(name, texts.NAME_SHOWN))
        taxpayer, role = active
        return texts.WELCOME_MEMBER.format(
            name=texts.clip(name, texts.NAME_SHOWN),
            taxpayer=texts.clip(taxpayer.legal_name, texts.NAME_SHOWN),
            gstin=taxpayer.gstin,
            role=role.value,
        )

    await message.reply_text(await in_store(deps.engine, greet), parse_mode=ParseMode.HTML)


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer what owners ask about IMS, with the rule and its date."""
    if update.effective_message:
        await update.effective_message.reply_text(texts.HELP, parse_mode=ParseMode.HTML)


async def add_gstin(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Admins only: /addgstin GSTIN [qrmp] OWNER_ID Name …"""
    user, message = update.effective_user, update.effective_message
    if user is None or message is None:
        return
    deps = deps_of(context)
    if user.id not in deps.settings.admins:
        await message.reply_text(texts.ADMIN_ONLY)
        return
    args = list(context.args or [])
    qrmp = len(args) > 1 and args[1].lower() == "qrmp"
    if qrmp:
        args.pop(1)
    # ASCII digits only: str.isdigit() also takes "²", which int() refuses.
    if len(args) < 3 or not (args[1].isascii() and args[1].isdigit()):
        await message.reply_text(texts.ADDGSTIN_USAGE)
        return
    gstin, owner, name = args[0], int(args[1]), " ".join(args[2:])
    frequency = FilingFrequency.QUARTERLY if qrmp else FilingFrequency.MONTHLY
    try:
        taxpayer = await in_store(
            deps.engine,
            lambda s: register_taxpayer(
                s,
                actor=Actor.system(Channel.BOT),
                gstin=gstin,
                name=name,
                frequency=frequency,
                owner_id=owner,
                admin_id=user.id,
                now=datetime.now(UTC),
            ),
        )
    except UseCaseError as exc:
        await message.reply_text(texts.esc(exc), parse_mode=ParseMode.HTML)
        return
    await message.reply_text(
        texts.ADDGSTIN_DONE.format(
            taxpayer=texts.clip(taxpayer.legal_name, texts.NAME_SHOWN),
            gstin=taxpayer.gstin,
            owner=owner,
        ),
        parse_mode=ParseMode.HTML,
    )


async def gstin_menu(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Offer the user's GSTINs as buttons."""
    user, message = update.effective_user, update.effective_message
    if user is None or message is None:
        return
    mine = await in_store(deps_of(context).engine, lambda s: taxpayers_of(s, user_id=user.id))
    if not mine:
        await message.reply_text(texts.NO_GSTIN)
        return
    rows = [
        [InlineKeyboardButton(f"{t.legal_name} · {t.gstin}", callback_data=encode("gs", t.gstin))]
        for t, _ in mine
    ]
    await message.reply_text(texts.GSTIN_MENU, reply_markup=InlineKeyboardMarkup(rows))


async def gstin_chosen(update: Update, context: ContextTypes.DEFAULT_TYPE, tap: Callback) -> str:
    """A GSTIN button: make it the active one (membership re-checked)."""
    user = update.effective_user
    assert user is not None
    gstin = tap.gstin_arg(0)
    taxpayer = await in_store(
        deps_of(context).engine,
        lambda s: choose_active(s, user_id=user.id, gstin=gstin, now=datetime.now(UTC)),
    )
    text = texts.GSTIN_CHOSEN.format(
        taxpayer=texts.clip(taxpayer.legal_name, texts.NAME_SHOWN), gstin=taxpayer.gstin
    )
    if update.callback_query and update.callback_query.message:
        with unchanged_is_fine():  # the same GSTIN tapped again
            await update.callback_query.edit_message_text(text, parse_mode=ParseMode.HTML)
    return taxpayer.gstin


async def invite(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Owners: a one-use, expiring deep link that makes its holder a member with a role."""
    user, message = update.effective_user, update.effective_message
    if user is None or message is None:
        return
    roles = {role.value: role for role in Role}
    wanted = (context.args or [""])[0].lower()
    if wanted not in roles:
        await message.reply_text(texts.INVITE_USAGE)
        return
    deps = deps_of(context)

    def make(session: Session) -> tuple[str, str, datetime]:
        taxpayer = working_taxpayer(session, user.id)
        created = create_invite(
            session,
            actor=Actor.user(user.id),
            gstin=taxpayer.gstin,
            role=roles[wanted],
            now=datetime.now(UTC),
        )
        return taxpayer.gstin, created.code, created.expires_at

    try:
        gstin, code, expires = await in_store(deps.engine, make)
    except UseCaseError as exc:
        await message.reply_text(texts.esc(exc), parse_mode=ParseMode.HTML)
        return
    link = f"https://t.me/{deps.bot_username}?start={code}"
    await message.reply_text(
        texts.INVITE_LINK.format(
            role=wanted, gstin=gstin, expires=texts.day(expires.date()), link=link
        ),
        parse_mode=ParseMode.HTML,
    )


async def team(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """List the members; owners get a Remove button for each other member."""
    user, message = update.effective_user, update.effective_message
    if user is None or message is None:
        return
    deps = deps_of(context)

    def load(session: Session) -> tuple[Taxpayer, Role, list[Member]]:
        taxpayer = working_taxpayer(session, user.id)
        members = list_members(session, actor=Actor.user(user.id), gstin=taxpayer.gstin)
        role = next((m.role for m in members if m.user_id == user.id), Role.VIEWER)
        return taxpayer, role, members

    try:
        taxpayer, role, members = await in_store(deps.engine, load)
    except UseCaseError as exc:
        await message.reply_text(texts.esc(exc), parse_mode=ParseMode.HTML)
        return
    lines = [
        texts.TEAM_HEADER.format(
            taxpayer=texts.clip(taxpayer.legal_name, texts.NAME_SHOWN), gstin=taxpayer.gstin
        )
    ]
    lines += [
        texts.TEAM_LINE.format(name=texts.clip(m.name, texts.NAME_IN_LINE), role=m.role.value)
        for m in members
    ]
    buttons = [
        [
            InlineKeyboardButton(
                texts.REMOVE_BUTTON.format(name=shortened(m.name, texts.NAME_IN_LINE)),
                callback_data=encode("tr", m.user_id),
            )
        ]
        for m in members
        if role is Role.OWNER and m.user_id != user.id
    ]
    await message.reply_text(
        fit_message("\n".join(lines)),
        parse_mode=ParseMode.HTML,
        reply_markup=InlineKeyboardMarkup(buttons) if buttons else None,
    )


async def member_removed(update: Update, context: ContextTypes.DEFAULT_TYPE, tap: Callback) -> str:
    """A Remove button: owners only (re-checked), never the last owner."""
    user = update.effective_user
    assert user is not None
    member = tap.int_arg(0)

    def remove(session: Session) -> None:
        gstin = working_taxpayer(session, user.id).gstin
        remove_member(
            session, actor=Actor.user(user.id), gstin=gstin, user_id=member, now=datetime.now(UTC)
        )

    await in_store(deps_of(context).engine, remove)
    return texts.MEMBER_REMOVED


async def bind(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/bind in a group: an owner binds the group to their active GSTIN."""
    user, message, chat = update.effective_user, update.effective_message, update.effective_chat
    if user is None or message is None or chat is None:
        return
    if chat.type == "private":
        await message.reply_text(texts.BIND_PRIVATE)
        return
    try:
        taxpayer = await in_store(
            deps_of(context).engine,
            lambda s: bind_group(s, user_id=user.id, chat_id=chat.id, now=datetime.now(UTC)),
        )
    except UseCaseError as exc:
        await message.reply_text(texts.esc(exc), parse_mode=ParseMode.HTML)
        return
    await message.reply_text(
        texts.BIND_DONE.format(
            taxpayer=texts.clip(taxpayer.legal_name, texts.NAME_SHOWN), gstin=taxpayer.gstin
        ),
        parse_mode=ParseMode.HTML,
    )


async def private_only(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A command that shows a GSTIN's records, sent in a group: point to the private chat."""
    if update.effective_message:
        await update.effective_message.reply_text(texts.PRIVATE_ONLY)
