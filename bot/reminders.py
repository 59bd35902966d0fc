"""The buttons on reminders and what their taps do (issue 7).

A reminder names its GSTIN in every button, since a member may work on several. Each tap checks
membership of that GSTIN again. Records are shown in private chats only: in a bound group a
member's tap on Review or Export is answered with a pointer to their own copy of the reminder
(every member gets one), while "Remind me tomorrow" works there too, for that group.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any, NoReturn

from sqlmodel import Session
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatType
from telegram.ext import ContextTypes

from bot import texts
from bot.callbacks import Callback, encode
from bot.deps import deps_of
from bot.files import send_action_files
from bot.inbox import Screen, edit, list_screen
from bot.lists import ANY, ListSpec, quarter_code, window_code
from bot.store import in_store
from ims_domain.periods import IST, FilingFrequency, ReturnPeriod
from storage.access import Actor, taxpayer_for
from storage.errors import UseCaseError
from storage.models import Taxpayer
from storage.reminders import Snoozed, snooze_2b_reminder
from storage.rulebook import frequency_of
from storage.taxpayers import active_taxpayer, choose_active


def reminder_buttons(kind: str, payload: dict[str, Any]) -> InlineKeyboardMarkup | None:
    """The buttons of a reminder: the records it speaks of, and what to do about them."""
    gstin = payload["gstin"]
    row = []
    if kind == "reminder_2b":
        row = [
            review_button(
                texts.BUTTON_REVIEW_THEM, gstin=gstin, status="N", period=payload["period"]
            ),
            _button(texts.BUTTON_REMIND_TOMORROW, "rt", gstin, payload["period"]),
        ]
    elif kind == "reminder_3b":
        if payload["pending"]:
            label = texts.BUTTON_PENDING_COUNT.format(count=payload["pending"])
            row.append(review_button(label, gstin=gstin, status="P", period=payload["period"]))
        if payload["not_uploaded"]:
            row.append(_button(texts.BUTTON_EXPORT, "xp", gstin))
    elif kind == "reminder_pending":
        window = window_code(date.fromisoformat(payload["deadline"]))
        row = [review_button(texts.BUTTON_REVIEW_THEM, gstin=gstin, status="P", scope=window)]
    return InlineKeyboardMarkup([row]) if row else None


def review_button(
    label: str, *, gstin: str, status: str = ANY, period: str = ANY, scope: str = ANY
) -> InlineKeyboardButton:
    """A button opening a list of `gstin`'s records (on_review), switching to it if need be."""
    return _button(label, "rv", gstin, status, period, scope)


def _button(label: str, verb: str, *args: object) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=encode(verb, *args))


def _in_private_chat(update: Update) -> bool:
    message = update.callback_query.message if update.callback_query else None
    return message is not None and message.chat.type == ChatType.PRIVATE


async def _refuse_in_group(
    context: ContextTypes.DEFAULT_TYPE, user_id: int, gstin: str
) -> NoReturn:
    """In a group: a member is pointed to the private chat; anyone else learns nothing."""
    await in_store(
        deps_of(context).engine,
        lambda s: taxpayer_for(s, actor=Actor.user(user_id), gstin=gstin),
    )
    raise UseCaseError(texts.OPEN_PRIVATELY)


def _switch_to(session: Session, *, user_id: int, gstin: str) -> tuple[Taxpayer, str]:
    """Make the reminder's GSTIN the one the user works on; the toast says so if it changed."""
    before = active_taxpayer(session, user_id=user_id)
    taxpayer = choose_active(session, user_id=user_id, gstin=gstin, now=datetime.now(UTC))
    if before is not None and before[0].id == taxpayer.id:
        return taxpayer, ""
    name = taxpayer.trade_name or taxpayer.legal_name
    return taxpayer, texts.GSTIN_SWITCHED.format(name=name, gstin=taxpayer.gstin)


def _tax_period_code(taxpayer: Taxpayer, period: ReturnPeriod | None) -> str:
    """A list's period field for the tax period of `period`: the quarter for a QRMP recipient."""
    if period is None:
        return ANY
    if frequency_of(taxpayer) is FilingFrequency.QUARTERLY:
        return quarter_code(period)
    return period.code


async def on_review(update: Update, context: ContextTypes.DEFAULT_TYPE, tap: Callback) -> str:
    """A reminder's Review or Pending button: exactly the records it speaks of, as a list."""
    user = update.effective_user
    assert user is not None
    gstin = tap.gstin_arg(0)
    period = None if tap.arg(2) == ANY else tap.period_arg(2)
    spec = ListSpec(status=tap.arg(1), scope=tap.arg(3)).checked()
    if not _in_private_chat(update):
        await _refuse_in_group(context, user.id, gstin)
    deps = deps_of(context)

    def open_list(session: Session) -> tuple[str, Screen]:
        taxpayer, toast = _switch_to(session, user_id=user.id, gstin=gstin)
        listed = spec.with_(period=_tax_period_code(taxpayer, period))
        return toast, list_screen(session, user_id=user.id, spec=listed, after=None, deps=deps)

    toast, screen = await in_store(deps.engine, open_list)
    await edit(update, screen)
    return toast


async def on_export(update: Update, context: ContextTypes.DEFAULT_TYPE, tap: Callback) -> str:
    """A GSTR-3B reminder's Export button: the action file of its GSTIN, as /export sends it."""
    user, query = update.effective_user, update.callback_query
    assert user is not None and query is not None and query.message is not None
    gstin = tap.gstin_arg(0)
    if not _in_private_chat(update):
        await _refuse_in_group(context, user.id, gstin)
    await in_store(deps_of(context).engine, lambda s: _switch_to(s, user_id=user.id, gstin=gstin))
    sent = await send_action_files(context, user_id=user.id, chat_id=query.message.chat.id)
    return texts.EXPORT_SENT if sent else texts.EXPORT_NOTHING


async def on_snooze(update: Update, context: ContextTypes.DEFAULT_TYPE, tap: Callback) -> str:
    """Remind me tomorrow: the same GSTR-2B reminder to this chat, tomorrow at the same time."""
    user, query = update.effective_user, update.callback_query
    assert user is not None and query is not None and query.message is not None
    gstin, period = tap.gstin_arg(0), tap.period_arg(1)
    deps = deps_of(context)
    message = query.message
    # The reminder's own time of day; a message too old to read falls back to now's.
    sent_at = message.date if isinstance(message, Message) else datetime.now(UTC)
    clock = sent_at.astimezone(IST).time().replace(second=0, microsecond=0)
    snooze = await in_store(
        deps.engine,
        lambda s: snooze_2b_reminder(
            s,
            actor=Actor.user(user.id),
            gstin=gstin,
            period=period,
            chat_id=message.chat.id,
            message_id=message.message_id,
            clock=clock,
            now=datetime.now(UTC),
            rulebook=deps.rulebook,
        ),
    )
    if snooze.outcome is Snoozed.QUEUED:
        local = snooze.at.astimezone(IST)
        return texts.SNOOZED.format(day=texts.day(local.date()), time=_clock(local.time()))
    if snooze.outcome is Snoozed.ALREADY:
        return texts.SNOOZED_ALREADY
    if snooze.outcome is Snoozed.TOO_LATE:
        return texts.SNOOZE_TOO_LATE.format(period=period.label, day=texts.day(snooze.generation))
    return texts.SNOOZE_NOTHING_LEFT.format(period=period.label)


def _clock(moment: time) -> str:
    return moment.strftime("%H:%M")
