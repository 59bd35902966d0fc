"""Reminders with buttons and /filed, end to end through the fake Telegram server (issue 7).

The bot runs on the real clock, so the records sit in periods around today: the reminder is
queued by a tick at its (future) moment and then released to the sender at once.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update
from sqlmodel import Session, select

from ims_domain.actions import ActionRequest
from ims_domain.periods import IST, FilingFrequency, ReturnPeriod
from ims_domain.records import Action, RecordKind, ReportedRecord
from ims_domain.settings import RulesSettings
from storage.access import Actor
from storage.acting import act_on_record
from storage.db import transaction
from storage.deadline_settings import DEFAULTS
from storage.deadlines import run_due_work
from storage.models import Outbox, PeriodState
from storage.outbox import enqueue
from storage.rulebook import RuleBook
from tests.builders import RECIPIENT, record
from tests.e2e.conftest import Running
from tests.e2e.fake_telegram import BotMessage
from tests.e2e.test_bot import (
    APPROVER,
    OWNER,
    STRANGER,
    VIEWER,
    import_download,
    onboard,
    said,
    stored,
    tapped,
)

RULES = RuleBook()
STRICT = RuleBook(settings=RulesSettings(gstr3b_filed_by_due_date=False))
GROUP = -700


def today() -> date:
    return datetime.now(UTC).astimezone(IST).date()


def documents(
    count: int, period: ReturnPeriod, prefix: str, kind: RecordKind = RecordKind.INVOICE
) -> list[ReportedRecord]:
    """Documents of the 2B period `period`, dated in it (far from any s.16(4) limit)."""
    return [
        ReportedRecord(
            record(kind, number=f"{prefix}-{i}", period=period, document_date=period.first_day),
            supplier_name="Sharma Components",
        )
        for i in range(count)
    ]


def act(bot: Running, number: str, action: Action) -> None:
    with transaction(bot.engine) as session:
        act_on_record(
            session,
            actor=Actor.user(OWNER),
            gstin=RECIPIENT,
            record_id=stored(bot, number).id or 0,
            expected_version=None,
            request=ActionRequest(action),
            rulebook=RULES,
            now=datetime.now(UTC),
        )


def queue_now(bot: Running, kind: str, payload: dict[str, Any], chat: int = OWNER) -> None:
    with transaction(bot.engine) as session:
        enqueue(
            session, messages=[(chat, kind, payload, f"test:{kind}:{chat}")], now=datetime.now(UTC)
        )


async def delivered(bot: Running, chat: int, words: str) -> BotMessage:
    return await bot.tg.wait_for(
        lambda: next((m for m in bot.tg.messages(chat) if words in (m.text or "")), None)
    )


def snoozed(bot: Running) -> list[Outbox]:
    with Session(bot.engine) as session:
        query = select(Outbox).where(Outbox.dedupe_key.startswith("snooze2b:"))  # type: ignore[attr-defined]
        return list(session.exec(query).all())


async def test_R2_3_a_2b_reminder_reviews_its_records_and_comes_again_tomorrow_once(
    bot: Running,
) -> None:
    users = await onboard(bot)
    owner = users[OWNER]
    group = bot.tg.group(chat_id=GROUP, title="Acme accounts")
    await owner.send("/bind", chat=group)
    await bot.tg.wait_for(lambda: group.messages()[0])
    period = ReturnPeriod.of(today())
    await import_download(
        bot,
        owner,
        documents(3, period, "NOW")
        + documents(1, period, "DONE")
        + documents(2, period.next(), "NEXT"),
    )
    act(bot, "DONE-0", Action.ACCEPT)
    generation = RULES.calendar.gstr2b_generation_date(period, FilingFrequency.MONTHLY)
    moment = datetime.combine(generation - timedelta(days=3), DEFAULTS.reminder_time, IST)
    with transaction(bot.engine) as session:
        assert run_due_work(session, now=moment.astimezone(UTC), rulebook=RULES).reminders == 4
        session.execute(
            update(Outbox)
            .where(Outbox.kind == "reminder_2b")  # type: ignore[arg-type]
            .values(next_attempt_at=datetime.now(UTC))
        )
    reminder = await delivered(bot, OWNER, "to GSTR-2B for")
    assert f"3 days to GSTR-2B for {period.label}" in (reminder.text or "")
    assert "3 documents with ₹5,400.00 ITC have no action" in (reminder.text or "")
    assert reminder.button_texts == ["Review them", "Remind me tomorrow"]

    # Remind me tomorrow: queued once to this chat, tomorrow at the reminder's time of day.
    toast = await tapped(bot, owner, reminder, "Remind me tomorrow")
    assert toast is not None and toast.startswith("I will remind you again tomorrow")
    assert await tapped(bot, owner, reminder, "Remind me tomorrow") == (
        "Already set: this reminder comes again tomorrow."
    )
    (again,) = snoozed(bot)
    sent = datetime.fromtimestamp(reminder.date, UTC).astimezone(IST)
    tomorrow = datetime.combine(today() + timedelta(days=1), sent.time().replace(second=0), IST)
    assert (again.chat_id, again.kind) == (OWNER, "reminder_2b")
    assert again.next_attempt_at.replace(tzinfo=UTC) == DEFAULTS.quiet_end(tomorrow)
    assert again.payload["count"] == 3 and again.payload["late"] is False

    # Review them: exactly the no-action records of that period, in place of the reminder.
    assert await tapped(bot, owner, reminder, "Review them") in (None, "")
    listing = bot.tg.message(OWNER, reminder.message_id)
    assert f"No action · {period.label}" in (listing.text or "")
    assert sorted(t for t in listing.button_texts if t.startswith("invoice")) == [
        "invoice NOW-0",
        "invoice NOW-1",
        "invoice NOW-2",
    ]

    # In the bound group: records never show; a member is pointed to the private chat, anyone
    # else learns nothing; "Remind me tomorrow" works for the group, for members only.
    in_group = await bot.tg.wait_for(
        lambda: next((m for m in group.messages() if "to GSTR-2B" in (m.text or "")), None)
    )
    answers = []
    for user in (owner, users[STRANGER]):
        query = await user.tap(in_group, "Review them")
        (answer,) = await bot.tg.wait_for(lambda q=query: bot.tg.answers_for(q) or None)
        assert answer.show_alert
        answers.append(answer.text or "")
    assert "open this message in your own chat with me" in answers[0]
    assert "not registered" in answers[1] and "NOW-" not in answers[1]
    assert bot.tg.message(GROUP, in_group.message_id).text == in_group.text
    query = await users[STRANGER].tap(in_group, "Remind me tomorrow")
    await bot.tg.wait_for(lambda: bot.tg.answers_for(query) or None)
    assert len(snoozed(bot)) == 1
    toast = await tapped(bot, users[VIEWER], in_group, "Remind me tomorrow")
    assert toast is not None and toast.startswith("I will remind you again tomorrow")
    assert sorted(row.chat_id for row in snoozed(bot)) == [GROUP, OWNER]
    # A digest's Review in the group is answered the same way.
    digest = await bot.tg.wait_for(
        lambda: next((m for m in group.messages() if "brought" in (m.text or "")), None)
    )
    toast = await tapped(bot, owner, digest, digest.button_texts[0])
    assert toast is not None and "open this message in your own chat with me" in toast
    assert bot.tg.message(GROUP, digest.message_id).text == digest.text


async def test_R3_4_a_pending_window_reminder_opens_exactly_those_records(bot: Running) -> None:
    users = await onboard(bot)
    period = ReturnPeriod.of(today())
    await import_download(
        bot,
        users[OWNER],
        documents(2, period, "CN", RecordKind.CREDIT_NOTE)
        + documents(1, period.next(), "LATER", RecordKind.CREDIT_NOTE)
        + documents(1, period, "INV"),
    )
    for number in ("CN-0", "CN-1", "LATER-0", "INV-0"):
        act(bot, number, Action.PENDING)
    # R3.4: a specified record of 2B period M may stay Pending until the 3B due date of M+1.
    deadline = RULES.calendar.pending_deadline(period, FilingFrequency.MONTHLY)
    assert deadline is not None
    payload = {
        "gstin": RECIPIENT,
        "name": "Acme Traders",
        "deadline": deadline.isoformat(),
        "days_left": 5,
        "count": 2,
        "tax_paise": 360000,
        "treatment": "deemed_accept",
    }
    queue_now(bot, "reminder_pending", payload)
    reminder = await delivered(bot, OWNER, "kept pending may stay so")
    await tapped(bot, users[OWNER], reminder, "Review them")
    listing = bot.tg.message(OWNER, reminder.message_id)
    assert f"Pending · Pending window ends {deadline:%d-%b-%Y}" in (listing.text or "")
    assert sorted(t for t in listing.button_texts if t.startswith(("credit", "invoice"))) == [
        "credit note CN-0",
        "credit note CN-1",
    ]
    # The list's bulk action covers the same two records, and only them.
    await tapped(bot, users[OWNER], listing, "Reject all")
    confirm = bot.tg.message(OWNER, reminder.message_id)
    assert "Reject all 2 records" in (confirm.text or "")


async def test_a_3b_reminder_opens_pending_records_and_sends_the_action_file(
    bot: Running,
) -> None:
    users = await onboard(bot)
    period = ReturnPeriod.of(today()).previous()
    await import_download(bot, users[OWNER], documents(3, period, "INV"))
    act(bot, "INV-0", Action.PENDING)
    act(bot, "INV-1", Action.ACCEPT)
    payload = {
        "gstin": RECIPIENT,
        "name": "Acme Traders",
        "period": period.code,
        "due_date": (today() + timedelta(days=2)).isoformat(),
        "days_left": 2,
        "pending": 1,
        "pending_tax_paise": 180000,
        "not_uploaded": 2,
        "recompute": False,
        "late": False,
    }
    queue_now(bot, "reminder_3b", payload)
    queue_now(bot, "reminder_3b", payload, chat=VIEWER)
    reminder = await delivered(bot, OWNER, "to the GSTR-3B due date")
    assert reminder.button_texts == ["Pending (1)", "Export for portal"]
    viewers = await delivered(bot, VIEWER, "to the GSTR-3B due date")
    refused = await tapped(bot, users[VIEWER], viewers, "Export for portal")
    assert refused is not None and "viewer" in refused
    assert await tapped(bot, users[OWNER], reminder, "Export for portal") == (
        "The action file is below."
    )
    (upload,) = await bot.tg.wait_for(lambda: bot.tg.documents(OWNER) or None)
    assert upload.file_name == f"ims-actions-{RECIPIENT}-1.json"
    await tapped(bot, users[OWNER], reminder, "Pending (1)")
    listing = bot.tg.message(OWNER, reminder.message_id)
    assert [t for t in listing.button_texts if t.startswith("invoice")] == ["invoice INV-0"]


def filed_at(bot: Running, period: ReturnPeriod) -> datetime | None:
    with Session(bot.engine) as session:
        state = session.exec(
            select(PeriodState).where(PeriodState.period == period.year * 100 + period.month)
        ).first()
        return state.gstr3b_filed_at if state else None


@pytest.mark.bot_settings(gstr3b_filed_by_due_date=False)  # the lock as the portal applies it
async def test_R2_6_R2_7_filed_asks_twice_marks_and_lets_the_next_2b_come(bot: Running) -> None:
    users = await onboard(bot)
    owner = users[OWNER]
    first, second = ReturnPeriod.of(today()).shift(-3), ReturnPeriod.of(today()).shift(-2)
    await import_download(bot, owner, documents(2, first, "OLD") + documents(3, second, "NEW"))
    act(bot, "OLD-1", Action.REJECT)
    with transaction(bot.engine) as session:
        closed = run_due_work(session, now=datetime.now(UTC), rulebook=STRICT).closed
    # The first period's 2B is generated; the second waits for 3B of the first (R2.7).
    assert [c.period for c in closed] == [first]
    assert stored(bot, "NEW-0").action == "N"
    # The owners' summary of the close and the viewer's upload digest arrive first, so that
    # neither is taken for an answer below.
    await bot.tg.wait_for(
        lambda: [m for m in owner.messages() if "is generated:" in (m.text or "")] or None
    )
    await bot.tg.wait_for(
        lambda: [m for m in users[VIEWER].messages() if "brought" in (m.text or "")] or None
    )

    refused = await said(bot, users[VIEWER], "/filed")
    assert "viewer" in (refused.text or "") and "cannot do this" in (refused.text or "")

    menu = await said(bot, owner, "/filed")
    assert "Which GSTR-3B of <b>Acme Traders</b>" in (menu.text or "")
    assert menu.button_texts == [first.label]
    # A viewer's forged tap on the confirmation marks nothing.
    query = await users[VIEWER].tap_data(menu, f"v1:fy:{RECIPIENT}:{first.code}")
    (answer,) = await bot.tg.wait_for(lambda: bot.tg.answers_for(query) or None)
    assert answer.show_alert and "viewer" in (answer.text or "")
    assert filed_at(bot, first) is None

    assert await tapped(bot, owner, menu, first.label) == "Please confirm"
    confirm = bot.tg.message(OWNER, menu.message_id)
    assert f"Mark GSTR-3B for {first.label} as filed? 2 accepted and rejected documents" in (
        confirm.text or ""
    )
    assert filed_at(bot, first) is None  # asked, not yet marked
    assert await tapped(bot, owner, confirm, "Yes, it is filed") == "Marked filed"
    done = bot.tg.message(OWNER, menu.message_id)
    assert (done.text or "").splitlines() == [
        f"GSTR-3B for {first.label} is marked filed: 2 documents are final now, 0 kept "
        "Pending stay.",
        f"GSTR-2B for {second.label} is generated now (it waited for this GSTR-3B): 3 "
        "documents without action were deemed accepted.",
    ]
    assert filed_at(bot, first) is not None
    assert (stored(bot, "NEW-0").action, stored(bot, "NEW-0").deemed) == ("A", True)
    # R2.6: the period's records are final now.
    row = stored(bot, "OLD-0")
    query = await owner.tap_data(done, f"v1:ac:{row.id}:{row.version}:R")
    (answer,) = await bot.tg.wait_for(lambda: bot.tg.answers_for(query) or None)
    assert "filed" in (answer.text or "")
    assert stored(bot, "OLD-0").action == "A"
    again = await said(bot, owner, "/filed")
    assert again.button_texts == [second.label]


async def test_filed_in_a_group_points_to_the_private_chat(bot: Running) -> None:
    users = await onboard(bot)
    group = bot.tg.group(chat_id=GROUP, title="Acme accounts")
    await users[APPROVER].send("/filed", chat=group)
    answer = await bot.tg.wait_for(lambda: group.messages()[0])
    assert answer.text == "Records are shown in a private chat only: message me directly."


@pytest.mark.bot_settings(deadlines_interval_seconds=0.5)
async def test_R2_3_the_bot_closes_a_due_period_by_itself(bot: Running) -> None:
    """The bot's own job (first run 5 s after start) does the due work on the real clock."""
    users = await onboard(bot)
    owner = users[OWNER]
    period = ReturnPeriod.of(today()).shift(-3)
    await said(bot, owner, "/settings quiet off")  # the summary would wait for 08:00 IST
    await import_download(bot, owner, documents(2, period, "JOB"))
    closed = await bot.tg.wait_for(
        lambda: next(
            (
                m
                for m in owner.messages()
                if period.label in (m.text or "") and "deemed accepted" in (m.text or "")
            ),
            None,
        ),
        timeout=20,
    )
    assert "2 documents without action were deemed accepted" in (closed.text or "")
    assert stored(bot, "JOB-0").action == "A" and stored(bot, "JOB-0").deemed


async def test_R3_1_an_s16_4_reminder_opens_the_documents_of_its_year(bot: Running) -> None:
    users = await onboard(bot)
    owner = users[OWNER]
    await import_download(
        bot,
        owner,
        documents(2, ReturnPeriod(2025, 10), "FY25") + documents(1, ReturnPeriod(2024, 10), "FY24"),
    )
    act(bot, "FY25-1", Action.PENDING)
    payload = {
        "gstin": RECIPIENT,
        "name": "Acme Traders",
        "limit": "2026-11-30",
        "days_left": 3,
        "financial_years": ["2025-26"],
        "count": 2,
        "pending": 1,
        "tax_paise": 360000,
    }
    queue_now(bot, "reminder_s16_4", payload)
    reminder = await delivered(bot, OWNER, "section 16(4)")
    assert reminder.button_texts == ["Review no action", "Pending"]
    await tapped(bot, owner, reminder, "Review no action")
    listing = bot.tg.message(OWNER, reminder.message_id)
    assert "No action · FY 2025-26" in (listing.text or "")
    assert [t for t in listing.button_texts if t.startswith("invoice")] == ["invoice FY25-0"]
