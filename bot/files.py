"""Files in and out: a document sent to the bot is imported; /export and /report send files."""

from __future__ import annotations

import csv
import hashlib
import io
from datetime import UTC, datetime

from sqlmodel import Session
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update
from telegram.constants import ParseMode
from telegram.ext import ContextTypes

from bot import texts
from bot.callbacks import Callback, encode
from bot.deps import deps_of
from bot.message_fit import CAPTION_MAX, fit_message
from bot.store import in_store, working_taxpayer
from ims_domain.formats.cell_guard import csv_row
from ims_domain.formats.common import FormatError
from storage.access import Actor
from storage.errors import UseCaseError
from storage.exports import export_actions, mark_uploaded
from storage.filters import RecordFilter
from storage.imports import ImportResult
from storage.queries import InboxCursor, inbox_page
from storage.uploads import import_file, require_uploader


async def on_document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Import a file sent as a document; answer with the summary and the refused rows.

    Who may send files is checked before the file is downloaded: a stranger's or a viewer's
    file, a file over the size limit and one past the sender's hourly allowance are refused
    without fetching a byte.
    """
    user, message = update.effective_user, update.effective_message
    if user is None or message is None or message.document is None:
        return
    deps = deps_of(context)
    document = message.document
    name = texts.clip(document.file_name or "the file", texts.NAME_IN_LINE)
    limit = deps.settings.max_file_mb * 1024 * 1024

    try:
        await in_store(deps.engine, lambda s: require_uploader(s, actor=Actor.user(user.id)))
    except UseCaseError as exc:
        await message.reply_text(texts.esc(exc), parse_mode=ParseMode.HTML)
        return
    if document.file_size and document.file_size > limit:
        reason = f"it is larger than {deps.settings.max_file_mb} MB"
        await message.reply_text(
            texts.IMPORT_REFUSED.format(name=name, reason=reason), parse_mode=ParseMode.HTML
        )
        return
    wait = deps.limits.uploads.wait_for(user.id)
    if wait:
        await message.reply_text(texts.TOO_MANY_FILES.format(minutes=texts.duration(wait)))
        return
    progress = await message.reply_text(
        texts.IMPORTING.format(name=name), parse_mode=ParseMode.HTML
    )
    data = bytes(await (await document.get_file()).download_as_bytearray())

    def run(session: Session) -> ImportResult:
        taxpayer = working_taxpayer(session, user.id)
        return import_file(
            session,
            actor=Actor.user(user.id),
            gstin=taxpayer.gstin,
            data=data,
            filename=document.file_name,
            max_bytes=limit,
            now=datetime.now(UTC),
        )

    try:
        result = await in_store(deps.engine, run)
    except (FormatError, UseCaseError) as exc:
        await progress.edit_text(
            fit_message(texts.IMPORT_REFUSED.format(name=name, reason=texts.esc(exc))),
            parse_mode=ParseMode.HTML,
        )
        return
    await progress.edit_text(import_summary(result), parse_mode=ParseMode.HTML)
    refused = [p for p in result.problems if p.refused]
    if refused and not result.duplicate:
        await message.reply_document(
            InputFile(problems_csv(result), filename="refused-rows.csv"),
            caption=fit_message(texts.IMPORT_PROBLEMS_CAPTION, CAPTION_MAX),
        )


def import_summary(result: ImportResult) -> str:
    """The import's outcome in one message."""
    if result.duplicate:
        return texts.IMPORT_DUPLICATE
    lines = [
        texts.IMPORT_DONE.format(
            format=texts.FORMAT_NAMES.get(result.format, result.format),
            new=result.new,
            changed=result.changed,
            unchanged=result.unchanged,
            refused=result.refused,
        )
    ]
    if result.skipped:
        lines.append(texts.IMPORT_SKIPPED.format(count=result.skipped))
    lines += [texts.esc(note) for note in result.notes[:5]]
    return fit_message("\n".join(lines))


def problems_csv(result: ImportResult) -> bytes:
    """The refused rows as CSV: section, row, field, reason."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["section", "row", "field", "reason"])
    for problem in result.problems:
        if problem.refused:
            writer.writerow(
                csv_row((problem.section, problem.index, problem.field, problem.reason))
            )
    return out.getvalue().encode("utf-8-sig")


async def export_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/export: the IMS action upload, with an "I uploaded it" button."""
    user, message = update.effective_user, update.effective_message
    if user is None or message is None:
        return
    try:
        sent = await send_action_files(context, user_id=user.id, chat_id=message.chat_id)
    except UseCaseError as exc:
        await message.reply_text(texts.esc(exc), parse_mode=ParseMode.HTML)
        return
    if not sent:
        await message.reply_text(texts.EXPORT_NOTHING)


async def send_action_files(
    context: ContextTypes.DEFAULT_TYPE, *, user_id: int, chat_id: int
) -> int:
    """Send the working GSTIN's IMS action upload to a chat; how many files it took (0: none)."""
    deps = deps_of(context)

    def run(session: Session):  # type: ignore[no-untyped-def]
        taxpayer = working_taxpayer(session, user_id)
        return taxpayer.gstin, export_actions(
            session, actor=Actor.user(user_id), gstin=taxpayer.gstin, rulebook=deps.rulebook
        )

    gstin, upload = await in_store(deps.engine, run)
    for number, content in enumerate(upload.files, start=1):
        digest = hashlib.sha256(content).hexdigest()[:16]
        button = InlineKeyboardButton(texts.BUTTON_UPLOADED, callback_data=encode("up", digest))
        await context.bot.send_document(
            chat_id,
            InputFile(content, filename=f"ims-actions-{gstin}-{number}.json"),
            caption=fit_message(texts.EXPORT_CAPTION, CAPTION_MAX),
            reply_markup=InlineKeyboardMarkup([[button]]),
        )
    if upload.skipped:  # said aloud: a record left out is an action the portal never gets
        lines = [texts.EXPORT_LEFT_OUT.format(count=len(upload.skipped))]
        lines += [
            texts.EXPORT_LEFT_OUT_LINE.format(
                label=f"{record.kind.label} {texts.clip(record.number, texts.NUMBER_SHOWN)}",
                reason=texts.esc(why),
            )
            for record, why in upload.skipped
        ]
        await context.bot.send_message(
            chat_id, fit_message("\n".join(lines)), parse_mode=ParseMode.HTML
        )
    return len(upload.files)


async def on_uploaded(update: Update, context: ContextTypes.DEFAULT_TYPE, tap: Callback) -> str:
    """The "I uploaded it" tap: the file's actions become the portal's (if still current)."""
    user = update.effective_user
    assert user is not None
    deps = deps_of(context)
    digest = tap.arg(0)

    def run(session: Session) -> int:
        taxpayer = working_taxpayer(session, user.id)
        upload = export_actions(
            session, actor=Actor.user(user.id), gstin=taxpayer.gstin, rulebook=deps.rulebook
        )
        for content in upload.files:
            if hashlib.sha256(content).hexdigest()[:16] == digest:
                marked = mark_uploaded(
                    session,
                    actor=Actor.user(user.id),
                    gstin=taxpayer.gstin,
                    upload=content,
                    now=datetime.now(UTC),
                )
                return marked.updated
        raise UseCaseError(texts.EXPORT_STALE)

    count = await in_store(deps.engine, run)
    text = texts.EXPORT_RECORDED.format(count=count)
    if update.callback_query:
        await update.callback_query.edit_message_reply_markup(reply_markup=None)
    return text


async def report_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/report: the whole inbox as CSV (until the report issue brings Excel)."""
    user, message = update.effective_user, update.effective_message
    if user is None or message is None:
        return
    deps = deps_of(context)

    def run(session: Session) -> tuple[str, bytes]:
        taxpayer = working_taxpayer(session, user.id)
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(
            [
                "supplier_gstin",
                "supplier_name",
                "kind",
                "number",
                "date",
                "value",
                "igst",
                "cgst",
                "sgst",
                "cess",
                "2b_period",
                "status",
                "remarks",
            ]
        )
        after: InboxCursor | None = None
        while True:
            page = inbox_page(
                session,
                actor=Actor.user(user.id),
                gstin=taxpayer.gstin,
                record_filter=RecordFilter(),
                after=after,
                limit=500,
            )
            for item in page.items:
                taxes = item.taxes
                writer.writerow(
                    csv_row(
                        (
                            item.supplier_gstin,
                            item.supplier_name,
                            item.kind.label,
                            item.number,
                            item.document_date.isoformat(),
                            item.value,
                            taxes.igst,
                            taxes.cgst,
                            taxes.sgst,
                            taxes.cess,
                            item.counts_in_period.code if item.counts_in_period else None,
                            item.action.label,
                            item.remarks,
                        )
                    )
                )
            if page.next_cursor is None:
                return taxpayer.gstin, out.getvalue().encode("utf-8-sig")
            after = page.next_cursor

    try:
        gstin, content = await in_store(deps.engine, run)
    except UseCaseError as exc:
        await message.reply_text(texts.esc(exc), parse_mode=ParseMode.HTML)
        return
    await message.reply_document(
        InputFile(content, filename=f"ims-inbox-{gstin}.csv"),
        caption=fit_message(texts.REPORT_CAPTION.format(gstin=gstin), CAPTION_MAX),
    )
