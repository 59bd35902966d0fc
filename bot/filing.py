"""/filed: mark a GSTR-3B as filed from the bot (R2.6), for owners and approvers, asked twice.

Marking a period filed locks its accepted and rejected records; the GSTR-2B the sequence lock
held back (R2.7) is generated at once by running the due work, and the answer says so.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import Session
from telegram import InlineKeyboardButton, Update
from telegram.constants import ParseMode
from telegram.ext import ContextTypes

from bot import texts
from bot.callbacks import Callback, encode
from bot.deps import deps_of
from bot.inbox import Screen, edit
from bot.store import in_store, working_taxpayer
from storage.access import Actor, taxpayer_for
from storage.closing import FilingCandidate, filing_candidate, mark_gstr3b_filed, unfiled_periods
from storage.deadlines import run_due_work
from storage.errors import UseCaseError

MAX_PERIODS = 6  # buttons offered, oldest first: a backlog is filed in order anyway


def _button(label: str, verb: str, *args: object) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=encode(verb, *args))


def periods_screen(session: Session, *, user_id: int, gstin: str) -> Screen:
    """The tax periods whose GSTR-3B may be marked filed, one button each."""
    actor = Actor.user(user_id)
    taxpayer = taxpayer_for(session, actor=actor, gstin=gstin)
    name, gstin = (
        texts.clip(taxpayer.trade_name or taxpayer.legal_name, texts.NAME_SHOWN),
        taxpayer.gstin,
    )
    candidates = unfiled_periods(session, actor=actor, gstin=gstin)
    if not candidates:
        return Screen(texts.FILED_NOTHING.format(name=name, gstin=gstin), [])
    buttons = [
        [_button(candidate.label, "fp", gstin, candidate.period.code)]
        for candidate in candidates[:MAX_PERIODS]
    ]
    return Screen(texts.FILED_CHOOSE.format(name=name, gstin=gstin), buttons)


async def filed_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/filed: pick the tax period whose GSTR-3B was filed on the portal."""
    user, message = update.effective_user, update.effective_message
    if user is None or message is None:
        return

    def load(session: Session) -> Screen:
        gstin = working_taxpayer(session, user.id).gstin
        return periods_screen(session, user_id=user.id, gstin=gstin)

    try:
        screen = await in_store(deps_of(context).engine, load)
    except UseCaseError as exc:
        await message.reply_text(texts.esc(exc), parse_mode=ParseMode.HTML)
        return
    await message.reply_text(screen.text, parse_mode=ParseMode.HTML, reply_markup=screen.markup)


async def on_period(update: Update, context: ContextTypes.DEFAULT_TYPE, tap: Callback) -> str:
    """A period button: say what marking it filed changes, and ask again."""
    user = update.effective_user
    assert user is not None
    gstin, period = tap.gstin_arg(0), tap.period_arg(1)
    candidate = await in_store(
        deps_of(context).engine,
        lambda s: filing_candidate(s, actor=Actor.user(user.id), gstin=gstin, period=period),
    )
    text = texts.FILED_CONFIRM.format(
        period=candidate.label, final=candidate.final, pending=candidate.pending
    )
    buttons = [
        [_button(texts.BUTTON_FILED_YES, "fy", gstin, period.code)],
        [_button(texts.BUTTON_CANCEL, "fl", gstin)],
    ]
    await edit(update, Screen(text, buttons))
    return texts.PLEASE_CONFIRM


async def on_confirm(update: Update, context: ContextTypes.DEFAULT_TYPE, tap: Callback) -> str:
    """The second tap: mark it filed, run the due work at once, and tell what changed."""
    user = update.effective_user
    assert user is not None
    gstin, period = tap.gstin_arg(0), tap.period_arg(1)
    deps = deps_of(context)

    def mark(session: Session) -> FilingCandidate:
        actor = Actor.user(user.id)
        candidate = filing_candidate(session, actor=actor, gstin=gstin, period=period)
        mark_gstr3b_filed(session, actor=actor, gstin=gstin, period=period, now=datetime.now(UTC))
        return candidate

    candidate = await in_store(deps.engine, mark)
    # R2.7: the next GSTR-2B may have waited for this GSTR-3B; the job would find it within
    # minutes, this finds it now.
    due = await in_store(
        deps.engine, lambda s: run_due_work(s, now=datetime.now(UTC), rulebook=deps.rulebook)
    )
    lines = [
        texts.FILED_DONE.format(
            period=candidate.label, final=candidate.final, pending=candidate.pending
        )
    ]
    lines += [
        texts.FILED_NEXT.format(period=closed.period.label, count=closed.count)
        for closed in due.closed
        if closed.gstin == candidate.gstin
    ]
    await edit(update, Screen("\n".join(lines), []))
    return texts.FILED_TOAST


async def on_list(update: Update, context: ContextTypes.DEFAULT_TYPE, tap: Callback) -> str:
    """Cancel: back to the periods, nothing marked."""
    user = update.effective_user
    assert user is not None
    gstin = tap.gstin_arg(0)
    screen = await in_store(
        deps_of(context).engine, lambda s: periods_screen(s, user_id=user.id, gstin=gstin)
    )
    await edit(update, screen)
    return ""
