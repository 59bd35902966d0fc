"""Delivering the outbox: render each queued message and send it within Telegram's limits.

The rate limiter (AIORateLimiter) spaces the sends; a 429 is retried after Telegram's
`retry_after`, a network error after a backoff; a chat that blocked the bot is given up and its
member marked, so nothing more is queued for them. A message that fails in any other way is
given up or retried on its own: it never holds up the rest of its batch.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlmodel import Session
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.ext import ContextTypes

from bot import texts
from bot.callbacks import encode
from bot.deps import deps_of
from bot.lists import arrived_code, year_code
from bot.message_fit import fit_message
from bot.reminders import reminder_buttons, review_button
from bot.store import in_store
from ims_domain.money import TaxAmounts
from ims_domain.periods import FinancialYear, ReturnPeriod
from ims_domain.records import Action, RecordKind
from storage.convert import rupees
from storage.deadlines import run_due_work
from storage.delivery import (
    Claimed,
    backoff,
    claim_due,
    follow_migrated_chat,
    give_up,
    mark_sent,
    retry_later,
)
from storage.supplier_alerts import shown_remarks

log = logging.getLogger(__name__)
BATCH = 50
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
MAX_BATCHES_PER_PASS = 40


def render(kind: str, payload: dict[str, Any]) -> tuple[str, InlineKeyboardMarkup | None]:
    """The text and buttons of one queued message, within what Telegram takes."""
    text, markup = _compose(kind, payload)
    return fit_message(text), markup


def _compose(kind: str, payload: dict[str, Any]) -> tuple[str, InlineKeyboardMarkup | None]:
    if kind == "reminder_s16_4":
        return _render_s16_4(payload)
    if kind == "daily_digest":
        return _render_daily_digest(payload)
    if kind == "digest":
        kinds = ", ".join(
            f"{count} {RecordKind(code).label}"
            for code, count in sorted(payload["by_kind"].items())
        )
        count = payload["new"] + payload["changed"]
        recipient = texts.clip(
            payload.get("recipient_name") or payload["recipient_gstin"], texts.NAME_SHOWN
        )
        tax = texts.inr(rupees(payload["tax_paise"]))
        own_download = payload["uploaded_by_gstin"] == payload["recipient_gstin"]
        if own_download:
            first = texts.DIGEST_DOWNLOAD.format(
                count=count, recipient=recipient, kinds=kinds, tax=tax
            )
        else:
            uploader = texts.clip(
                payload.get("uploaded_by_name") or payload["uploaded_by_gstin"], texts.NAME_SHOWN
            )
            first = texts.DIGEST.format(
                uploader=uploader, count=count, recipient=recipient, kinds=kinds, tax=tax
            )
        lines = [first]
        suppliers = payload.get("suppliers", 0)
        if own_download and suppliers > 1:
            top = ", ".join(
                f"{texts.clip(name or gstin, texts.NAME_IN_LINE)} ({number})"
                for gstin, name, number in payload["by_supplier"]
            )
            more = texts.DIGEST_MORE.format(count=suppliers - 5) if suppliers > 5 else ""
            lines.append(texts.DIGEST_SUPPLIERS.format(count=suppliers, top=top, more=more))
        if payload["reset"]:
            lines.append(texts.DIGEST_RESET.format(count=payload["reset"]))
        # Opens exactly the records this upload brought (at most three taps to an action), of
        # the recipient it names, whichever GSTIN the member was working on.
        review = review_button(
            texts.BUTTON_REVIEW_NEW.format(count=payload["new"] + payload["changed"]),
            gstin=payload["recipient_gstin"],
            scope=str(payload["batch_id"]),
        )
        return "\n".join(lines), InlineKeyboardMarkup([[review]])
    if kind == "supplier_alert":
        return _render_supplier_alert(payload)
    if kind == "supplier_view_alert":
        lines = [texts.SUPPLIER_VIEW_ALERT.format(count=payload["count"])]
        for recipient, section, number, day, action, remarks in payload["items"]:
            lines.append(
                texts.SUPPLIER_VIEW_LINE.format(
                    recipient=recipient,
                    verb=texts.ALERT_VERB.get(action, action),
                    section=texts.SECTION_NAMES.get(section, section),
                    number=texts.clip(number, texts.NUMBER_SHOWN),
                    day=texts.day(date.fromisoformat(day)),
                    remarks=texts.SUPPLIER_VIEW_REMARKS.format(
                        remarks=texts.esc(shown_remarks(remarks))
                    )
                    if remarks
                    else "",
                )
            )
        if payload["count"] > len(payload["items"]):
            lines.append(
                texts.SUPPLIER_VIEW_MORE.format(count=payload["count"] - len(payload["items"]))
            )
        lines.append(texts.SUPPLIER_GUIDANCE)
        return "\n".join(lines), None
    if kind in _DEADLINE_KINDS:
        return _render_deadline(kind, payload), reminder_buttons(kind, payload)
    who = texts.clip(payload.get("by_name") or texts.SOMEONE, texts.NAME_SHOWN)
    if kind == "team_bulk":
        done = texts.STATUS_NAME[Action(payload["action"])].lower()
        return texts.TEAM_BULK.format(
            who=who, count=payload["count"], done=done, tax=payload["tax"]
        ), None
    if kind == "team_undo":
        return texts.TEAM_UNDO.format(who=who, count=payload["count"]), None
    raise ValueError(f"no renderer for outbox kind {kind!r}")


def _render_supplier_alert(payload: dict[str, Any]) -> tuple[str, InlineKeyboardMarkup]:
    """A buyer rejected or kept pending one of the supplier's documents (R4.4, R4.6).

    The buyer's words are quoted as code, so a link in them is plain text, never a tap away;
    the button mutes this buyer's alerts.
    """
    note_kind = RecordKind(payload["kind"])
    remarks = shown_remarks(payload.get("remarks"))
    text = texts.SUPPLIER_ALERT.format(
        recipient_name=texts.clip(payload["recipient_name"], texts.NAME_SHOWN),
        recipient=payload["recipient_gstin"],
        verb=texts.ALERT_VERB.get(payload["action"], payload["action"]),
        kind=note_kind.label,
        number=texts.clip(payload["number"], texts.NUMBER_SHOWN),
        day=texts.day(date.fromisoformat(payload["document_date"])),
        value=payload["value"],
        remarks=texts.SUPPLIER_REMARKS.format(remarks=texts.esc(remarks)) if remarks else "",
    )
    if note_kind.is_credit_note and payload["action"] == "R":
        text += texts.SUPPLIER_ALERT_CREDIT_NOTE.format(tax=payload.get("tax", ""))
    if payload.get("changes", 1) > 1:
        text += texts.SUPPLIER_ALERT_MERGED.format(count=payload["changes"])
    mute = InlineKeyboardButton(
        texts.BUTTON_MUTE_BUYER.format(buyer=texts.clipped(payload["recipient_name"], 30)),
        callback_data=encode("mb", payload["recipient_gstin"], "a"),
    )
    return text, InlineKeyboardMarkup([[mute]])


_DEADLINE_KINDS = frozenset({"period_closed", "reminder_2b", "reminder_3b", "reminder_pending"})


def _render_deadline(kind: str, payload: dict[str, Any]) -> str:
    """Period close and reminders before GSTR-2B and GSTR-3B (issue 7)."""
    name, gstin = (
        texts.clip(payload.get("name") or payload["gstin"], texts.NAME_SHOWN),
        payload["gstin"],
    )
    if kind == "reminder_pending":
        return texts.REMINDER_PENDING.format(
            count=payload["count"],
            name=name,
            day=texts.day(date.fromisoformat(payload["deadline"])),
            days=payload["days_left"],
            tax=texts.inr(rupees(payload["tax_paise"])),
            after=texts.PENDING_AFTER.get(payload["treatment"], ""),
        )
    period = ReturnPeriod.parse(payload["period"]).label
    if kind == "period_closed":
        return _render_period_closed(payload, period=period, name=name, gstin=gstin)
    late = texts.REMINDER_LATE if payload.get("late") else ""
    days = texts.days_left(payload["days_left"])
    if kind == "reminder_2b":
        return texts.REMINDER_2B.format(
            late=late,
            days=days,
            period=period,
            day=texts.day(date.fromisoformat(payload["generation_date"])),
            name=name,
            gstin=gstin,
            count=payload["count"],
            tax=texts.inr(rupees(payload["tax_paise"])),
        )
    lines = [
        texts.REMINDER_3B.format(
            late=late,
            days=days,
            period=period,
            day=texts.day(date.fromisoformat(payload["due_date"])),
            name=name,
            gstin=gstin,
        )
    ]
    if payload["pending"]:
        lines.append(
            texts.REMINDER_3B_PENDING.format(
                count=payload["pending"], tax=texts.inr(rupees(payload["pending_tax_paise"]))
            )
        )
    if payload["recompute"]:
        lines.append(texts.REMINDER_3B_RECOMPUTE)
    if payload["not_uploaded"]:
        lines.append(texts.REMINDER_3B_UPLOAD.format(count=payload["not_uploaded"]))
    if len(lines) == 1:
        lines.append(texts.REMINDER_3B_CLEAR)
    return "\n".join(lines)


def _render_period_closed(payload: dict[str, Any], *, period: str, name: str, gstin: str) -> str:
    """Deemed acceptance at 2B generation, with the draft GSTR-2B of the period (R2.3, R2.2)."""
    late = texts.CLOSED_LATE if payload.get("late") else ""
    closed = texts.PERIOD_CLOSED.format(
        period=period,
        name=name,
        gstin=gstin,
        count=payload["count"],
        tax=texts.inr(rupees(payload["tax_paise"])),
    )
    lines = [late + closed]
    if "itc_available" in payload:  # messages queued before the summary was added have none
        available, reduction = _taxes(payload["itc_available"]), _taxes(payload["itc_reduction"])
        lines.append(texts.CLOSED_ITC.format(taxes=texts.tax_line(available)))
        if reduction.total:
            lines.append(
                texts.CLOSED_REDUCTION.format(
                    taxes=texts.tax_line(reduction), net=texts.inr((available - reduction).total)
                )
            )
        if payload["rejected"]:
            lines.append(texts.CLOSED_REJECTED.format(count=payload["rejected"]))
        if payload["pending"]:
            lines.append(
                texts.CLOSED_PENDING.format(
                    count=payload["pending"], tax=texts.inr(rupees(payload["pending_tax_paise"]))
                )
            )
    return "\n".join(lines)


def _taxes(heads: dict[str, int]) -> TaxAmounts:
    """Tax heads in paise, as in a payload, back to amounts."""
    return TaxAmounts(**{head: rupees(amount) for head, amount in heads.items()})


async def run_deadlines(context: ContextTypes.DEFAULT_TYPE) -> None:
    """One pass of the due work (a repeating job): what is due is read from the database."""
    deps = deps_of(context)
    result = await in_store(
        deps.engine,
        lambda s: run_due_work(s, now=datetime.now(UTC), rulebook=deps.rulebook),
    )
    if result.closed or result.reminders or result.digests:
        log.info(
            "due work: %d periods closed, %d reminders, %d daily digests",
            len(result.closed),
            result.reminders,
            result.digests,
        )


async def send_due(context: ContextTypes.DEFAULT_TYPE) -> None:
    """One pass over the outbox (a repeating job): send what is due, record each outcome."""
    deps = deps_of(context)
    # Keep claiming while passes come back full, so a burst drains at the rate limiter's pace
    # rather than one batch per tick (bench: 25 msg/s at 30/s allowed before this).
    for _ in range(MAX_BATCHES_PER_PASS):
        due = await in_store(
            deps.engine, lambda s: claim_due(s, now=datetime.now(UTC), limit=BATCH)
        )
        for message in due:
            await _deliver(context, message)
        if len(due) < BATCH:
            return


async def _deliver(context: ContextTypes.DEFAULT_TYPE, message: Claimed) -> None:
    engine = deps_of(context).engine
    retry_at: datetime | None = None
    blocked = False
    moved_to: int | None = None
    try:
        text, markup = render(message.kind, message.payload)
        # No link previews: queued messages carry text from files and other taxpayers.
        await context.bot.send_message(
            message.chat_id,
            text,
            parse_mode=ParseMode.HTML,
            reply_markup=markup,
            link_preview_options=NO_PREVIEW,
        )
        error = ""
    except RetryAfter as exc:  # Telegram's 429: wait as long as it says
        wait = exc.retry_after
        delay = wait if isinstance(wait, timedelta) else timedelta(seconds=wait)
        retry_at, error = datetime.now(UTC) + delay, str(exc)
    except Forbidden as exc:  # the user blocked the bot, or the bot left the group
        blocked, error = True, str(exc)
    except ChatMigrated as exc:  # a group upgraded to a supergroup: its new id takes it
        moved_to, error = exc.new_chat_id, str(exc)
    except BadRequest as exc:  # Telegram will never take this message there
        error = str(exc)
    except NetworkError as exc:  # timeouts and 5xx: try again later
        retry_at, error = datetime.now(UTC) + backoff(message.attempts), str(exc)
    except TelegramError as exc:  # any other answer (e.g. a revoked token): try again later
        retry_at, error = datetime.now(UTC) + backoff(message.attempts), str(exc)
    except Exception as exc:  # a payload we cannot render: a bug, logged, not retried
        # Caught whatever it is: an error escaping here would end the pass and leave the rest
        # of the claimed batch leased, to be claimed again behind this message, for ever.
        log.exception("outbox message %s cannot be rendered", message.id)
        error = f"{type(exc).__name__}: {exc}"
    now = datetime.now(UTC)

    def record(session: Session) -> None:
        if not error:
            mark_sent(session, message_id=message.id, now=now)
        elif moved_to is not None:
            follow_migrated_chat(
                session, old_chat_id=message.chat_id, new_chat_id=moved_to, now=now
            )
        elif retry_at is not None:
            retry_later(session, message=message, at=retry_at, error=error)
        else:
            give_up(session, message=message, now=now, error=error, blocked=blocked)

    await in_store(engine, record)


def _render_s16_4(payload: dict[str, Any]) -> tuple[str, InlineKeyboardMarkup]:
    """Records near their s.16(4) limit (R3.1, OQ3), with buttons to those of each year."""
    pending = payload["pending"]
    text = texts.REMINDER_S16_4.format(
        count=payload["count"],
        years=", ".join(payload["financial_years"]),
        name=texts.clip(payload.get("name") or payload["gstin"], texts.NAME_SHOWN),
        gstin=payload["gstin"],
        tax=texts.inr(rupees(payload["tax_paise"])),
        pending=texts.S16_4_PENDING.format(count=pending) if pending else "",
        day=texts.day(date.fromisoformat(payload["limit"])),
        days=texts.days_left(payload["days_left"]),
    )
    years = [FinancialYear.parse(code) for code in payload["financial_years"]]
    rows = []
    for year in years:
        named = "" if len(years) == 1 else f" · FY {year.label}"
        row = [
            review_button(
                texts.BUTTON_REVIEW_NO_ACTION + named,
                gstin=payload["gstin"],
                status="N",
                scope=year_code(year),
            )
        ]
        if pending:
            row.append(
                review_button(
                    texts.STATUS_NAME[Action.PENDING] + named,
                    gstin=payload["gstin"],
                    status="P",
                    scope=year_code(year),
                )
            )
        rows.append(row)
    return text, InlineKeyboardMarkup(rows)


def _render_daily_digest(payload: dict[str, Any]) -> tuple[str, InlineKeyboardMarkup]:
    """The records that arrived since a user's previous daily digest of a GSTIN."""
    kinds = ", ".join(
        f"{count} {RecordKind(code).label}" for code, count in sorted(payload["by_kind"].items())
    )
    lines = [
        texts.DAILY_DIGEST.format(
            name=texts.clip(payload.get("name") or payload["gstin"], texts.NAME_SHOWN),
            gstin=payload["gstin"],
            count=payload["count"],
            since=texts.when(datetime.fromisoformat(payload["since"])),
            kinds=kinds,
            tax=texts.inr(rupees(payload["tax_paise"])),
        )
    ]
    top = ", ".join(
        f"{texts.clip(name or gstin, texts.NAME_IN_LINE)} ({count})"
        for gstin, name, count in payload["by_supplier"]
    )
    others = payload["suppliers"] - len(payload["by_supplier"])
    more = texts.DIGEST_MORE.format(count=others) if others > 0 else ""
    lines.append(texts.DAILY_DIGEST_FROM.format(top=top, more=more))
    # Exactly the records it speaks of, of its GSTIN (at most three taps to an action).
    review = review_button(
        texts.BUTTON_REVIEW_NEW.format(count=payload["count"]),
        gstin=payload["gstin"],
        scope=arrived_code(datetime.fromisoformat(payload["since"])),
    )
    return "\n".join(lines), InlineKeyboardMarkup([[review]])
