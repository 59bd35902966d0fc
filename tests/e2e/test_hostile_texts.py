"""Long and hostile texts, end to end: no screen fails (the fake server answers 400 to a text
over 4,096 characters, as Telegram does), long values are shortened with an ellipsis, a remark is
never cut (one over the limit is asked for again), and the CSV the bot writes cannot run."""

from __future__ import annotations

import csv
import hashlib
import io

from sqlalchemy import update

from ims_domain.gstin import check_character
from ims_domain.records import ReportedRecord
from storage.access import Actor
from storage.db import transaction
from storage.imports import import_records
from storage.models import RecordRow
from tests.builders import RECIPIENT, record
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
from tests.e2e.test_notifications import texts_to
from tests.integration.store_helpers import NOW, invoices

LONG_NAME = "Sharma Steel and Allied Components " * 6  # 210 characters, shortened to 200
SUPPLIERS = [g + check_character(g) for g in (f"29AAGCB73{n:02d}J1Z" for n in range(3))]


def _long_number(i: int) -> str:
    """Longer than any file we read would allow: such a record can come only from the store."""
    return f"{i}-" + "9" * 400


def insert_long_records(bot: Running) -> None:
    """Ten records with long numbers and 200-character supplier names, from three suppliers,
    imported through the store by the approver (the parsers would refuse these numbers)."""
    records = [
        ReportedRecord(
            record(number=_long_number(i), supplier=SUPPLIERS[i % 3]),
            supplier_name=LONG_NAME[:200],
        )
        for i in range(10)
    ]
    with transaction(bot.engine) as session:
        import_records(
            session,
            actor=Actor.user(APPROVER),
            gstin=RECIPIENT,
            records=records,
            sha256=hashlib.sha256(b"long").hexdigest(),
            file_format="ims",
            now=NOW,
        )


async def test_a_list_a_card_and_a_digest_of_long_values_are_shown_shortened(
    bot: Running,
) -> None:
    users = await onboard(bot)
    priya = users[OWNER]
    insert_long_records(bot)

    digest = await bot.tg.wait_for(
        lambda: next((t for t in texts_to(bot, OWNER) if "brought 10 " in t), None)
    )
    assert "From 3 suppliers: " in digest and "…" in digest
    assert LONG_NAME[:200] not in digest

    board = await said(bot, priya, "/inbox")
    toast = await tapped(bot, priya, board, "Review no action (10)")
    assert toast is None or "wrong" not in toast
    listing = bot.tg.message(OWNER, board.message_id)
    assert "No action" in (listing.text or "") and "…" in (listing.text or "")
    assert len(listing.text or "") <= 4096
    button = next(t for t in listing.button_texts if t.startswith("invoice "))
    assert button.endswith("…")

    toast = await tapped(bot, priya, listing, button)
    assert toast is None or "wrong" not in toast
    card = bot.tg.message(OWNER, board.message_id)
    assert "Status: ⏳ No action" in (card.text or "")
    number = button.removeprefix("invoice ").rstrip("…")
    assert number in (card.text or "") and "…" in (card.text or "")
    assert "9" * 100 not in (card.text or "")


async def test_a_remark_over_the_limit_is_asked_again_never_cut(bot: Running) -> None:
    users = await onboard(bot)
    priya = users[OWNER]
    await import_download(bot, priya, invoices(1))
    card = await open_card(bot, priya, "INV-0")
    await tapped(bot, priya, card, "❌ Reject")
    again = await said(bot, priya, "x" * 201)
    assert "201 characters" in (again.text or "") and "at most 200" in (again.text or "")
    row = stored(bot, "INV-0")
    assert (row.action, row.remarks) == ("N", None)  # nothing applied, nothing cut
    await said(bot, priya, "not ordered\x00 by us")
    row = stored(bot, "INV-0")
    assert (row.action, row.remarks) == ("R", "not ordered by us")


async def test_a_stored_remark_over_the_limit_is_left_out_of_the_upload_aloud(
    bot: Running,
) -> None:
    """A remark over the limit can no longer be stored; one found (from before) is never cut:
    its record is left out of the upload and the bot says so, naming the limit."""
    users = await onboard(bot)
    priya = users[OWNER]
    await import_download(bot, priya, invoices(2))
    with transaction(bot.engine) as session:
        session.execute(
            update(RecordRow)
            .where(RecordRow.number == "INV-0")  # type: ignore[arg-type]
            .values(action="R", remarks="r" * 250)
        )
    await said(bot, priya, "/export")
    left_out = await bot.tg.wait_for(
        lambda: next((t for t in texts_to(bot, OWNER) if "left out of the upload" in t), None)
    )
    assert "invoice INV-0" in left_out and "at most 200" in left_out
    assert bot.tg.documents(OWNER) == []  # nothing else to upload


async def test_the_report_csv_guards_text_that_a_spreadsheet_would_run(bot: Running) -> None:
    users = await onboard(bot)
    records = [
        ReportedRecord(record(number=f"INV-{i}"), supplier_name=name)
        for i, name in enumerate(('=HYPERLINK("http://x")', "+91 Traders", "@home", "-cmd"))
    ]
    await import_download(bot, users[OWNER], records)
    await said(bot, users[OWNER], "/report")
    (report,) = await bot.tg.wait_for(lambda: bot.tg.documents(OWNER) or None)
    rows = list(csv.reader(io.StringIO(report.data.decode("utf-8-sig"))))
    names = sorted(row[1] for row in rows[1:])
    assert names == ["'+91 Traders", "'-cmd", '\'=HYPERLINK("http://x")', "'@home"]
    assert {row[5] for row in rows[1:]} == {"11800.00"}  # amounts stay numbers
