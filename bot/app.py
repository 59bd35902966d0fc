"""The one place that builds the Telegram `Application` and runs it (polling or webhook)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime

from sqlalchemy import Engine
from telegram import BotCommand, Update
from telegram.constants import ChatType
from telegram.error import InvalidToken
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot import files, filing, inbox, notifications, onboarding, preferences, reminders, texts
from bot.callbacks import BadCallback, Callback, decode
from bot.deps import Deps, deps_of
from bot.limits import Limits
from bot.store import in_store
from ims_domain.text_limits import shortened
from storage.errors import UseCaseError
from storage.settings import Settings
from storage.taxpayers import ensure_user

log = logging.getLogger(__name__)

TapHandler = Callable[[Update, ContextTypes.DEFAULT_TYPE, Callback], Awaitable[str]]
TAPS: dict[str, TapHandler] = {
    "db": inbox.on_dashboard,
    "ls": inbox.on_list,
    "fm": inbox.on_filter_menu,
    "cd": inbox.on_card,
    "ac": inbox.on_action,
    "cr": inbox.on_confirm_reject,
    "rd": inbox.on_reduction,
    "rm": inbox.on_skip_remark,
    "bk": inbox.on_bulk,
    "by": inbox.on_bulk_yes,
    "un": inbox.on_undo,
    "gs": onboarding.gstin_chosen,
    "tr": onboarding.member_removed,
    "st": preferences.setting_toggled,
    "dd": preferences.daily_digest_toggled,
    "mb": preferences.buyer_mute_toggled,
    "up": files.on_uploaded,
    "rv": reminders.on_review,
    "rt": reminders.on_snooze,
    "xp": reminders.on_export,
    "fp": filing.on_period,
    "fy": filing.on_confirm,
    "fl": filing.on_list,
}
# Taps that may come from a bound group: they check membership and never show records there.
GROUP_TAPS = frozenset({"rv", "rt", "xp"})


async def on_tap(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Every button tap: decode, re-check everything in the use case, and always answer."""
    query = update.callback_query
    if query is None:
        return
    toast, alert = "", False
    try:
        wait = deps_of(context).limits.taps.wait_for(query.from_user.id)
        if wait:
            raise UseCaseError(texts.TOO_MANY_TAPS.format(seconds=wait))
        tap = decode(query.data, frozenset(TAPS))
        private = query.message is not None and query.message.chat.type == ChatType.PRIVATE
        if not private and tap.verb not in GROUP_TAPS:
            raise UseCaseError(texts.PRIVATE_ONLY)  # e.g. a digest's Review button in a group
        toast = await TAPS[tap.verb](update, context, tap)
    except BadCallback:
        toast, alert = texts.UNKNOWN_TAP, True
    except UseCaseError as exc:
        toast, alert = str(exc), True
    except Exception:
        log.exception("tap %r failed", query.data)
        toast, alert = texts.ERROR, True
    finally:
        # The user must never wait on a spinning button, whatever happened above.
        await query.answer(shortened(toast, 200) or None, show_alert=alert)


async def remember_user(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Keep each user's name current (once per process), so cards say who acted."""
    user = update.effective_user
    known: set[int] = context.bot_data.setdefault("known_users", set())
    if user is None or user.id in known:
        return
    name = user.first_name or user.full_name
    deps = context.bot_data["deps"]
    await in_store(
        deps.engine, lambda s: ensure_user(s, user_id=user.id, name=name, now=datetime.now(UTC))
    )
    known.add(user.id)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log any failure without the bot token, and tell the user something went wrong."""
    log.error("update failed: %s", type(context.error).__name__, exc_info=context.error)
    if isinstance(update, Update) and update.effective_message and not update.callback_query:
        await update.effective_message.reply_text(texts.ERROR)


async def _post_init(application: Application) -> None:  # type: ignore[type-arg]
    deps: Deps = application.bot_data["deps"]
    me = await application.bot.get_me()
    application.bot_data["deps"] = replace(deps, bot_username=me.username or "")
    await application.bot.set_my_commands([BotCommand(name, text) for name, text in texts.COMMANDS])


def build_application(
    settings: Settings,
    engine: Engine,
    *,
    rate_limit: bool = True,
    rate_limiter: AIORateLimiter | None = None,
) -> Application:  # type: ignore[type-arg]
    """The bot, wired to the store. `rate_limiter` replaces Telegram's default limits (a test
    rate); `rate_limit=False` only for tests of other things."""
    token = settings.telegram_bot_token.get_secret_value() if settings.telegram_bot_token else ""
    if not token:
        raise InvalidToken("TELEGRAM_BOT_TOKEN is not set")
    builder = ApplicationBuilder().token(token).post_init(_post_init).concurrent_updates(True)
    builder = builder.base_url(settings.telegram_api_root + "/bot")
    if settings.telegram_file_root:
        builder = builder.base_file_url(settings.telegram_file_root + "/file/bot")
    if rate_limit:
        limiter = rate_limiter or AIORateLimiter(max_retries=2)
        builder = builder.rate_limiter(limiter)  # type: ignore[arg-type]
    application = builder.build()
    limits = Limits.of(
        taps_per_minute=settings.tap_limit_per_minute,
        uploads_per_hour=settings.upload_limit_per_hour,
    )
    application.bot_data["deps"] = Deps(engine, settings.rulebook(), settings, limits=limits)
    add = application.add_handler
    # Group -1 runs before the handlers of group 0 and does not stop them.
    add(TypeHandler(Update, remember_user), group=-1)
    # A GSTIN's records are shown in private chats only: a group may hold people who are not
    # members. In groups the bot answers /bind, /help and /start, and ignores everything else.
    private = filters.ChatType.PRIVATE
    add(CommandHandler("start", onboarding.start))
    add(CommandHandler("help", onboarding.help_command))
    add(CommandHandler("bind", onboarding.bind))
    for name, handler in (
        ("addgstin", onboarding.add_gstin),
        ("gstin", onboarding.gstin_menu),
        ("invite", onboarding.invite),
        ("team", onboarding.team),
        ("settings", preferences.settings_command),
        ("digest", preferences.digest_command),
        ("inbox", inbox.inbox_command),
        ("export", files.export_command),
        ("report", files.report_command),
        ("filed", filing.filed_command),
    ):
        add(CommandHandler(name, handler, filters=private))
        add(CommandHandler(name, onboarding.private_only, filters=~private))
    add(CallbackQueryHandler(on_tap))
    add(MessageHandler(private & filters.Document.ALL, files.on_document))
    add(MessageHandler(private & filters.TEXT & ~filters.COMMAND, inbox.on_remark_text))
    application.add_error_handler(on_error)
    assert application.job_queue is not None  # the job-queue extra is a dependency
    # The scheduler only wakes the sender; what is due lives in the outbox table.
    application.job_queue.run_repeating(
        notifications.send_due, interval=settings.outbox_interval_seconds, first=0.5
    )
    # Likewise for deadlines: period close and reminders are claimed in the database (issue 7),
    # so this job, `ims tick` and a second bot process never do the same work twice.
    if settings.deadlines_interval_seconds:
        application.job_queue.run_repeating(
            notifications.run_deadlines, interval=settings.deadlines_interval_seconds, first=5
        )
    return application
