"""`ims` commands over the store's use cases. Each returns (JSON-able result, text for people)."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine

from ims_cli.options import amount, day
from ims_domain.actions import ActionRequest, ItcReduction, remarks_too_long
from ims_domain.errors import ImsDomainError
from ims_domain.gstr2b import Gstr2bDraft, Status
from ims_domain.money import TaxAmounts, format_inr
from ims_domain.periods import IST, FilingFrequency, ReturnPeriod, StateGroup
from ims_domain.records import Action, RecordKind
from storage.access import Actor
from storage.acting import act_on_record, find_record_id
from storage.bulk import apply_bulk, preview_bulk
from storage.closing import mark_gstr3b_filed
from storage.db import make_engine, sqlite_file, transaction, upgrade_schema
from storage.deadline_settings import (
    DeadlineSettings,
    change_settings,
    clock_text,
    read_settings,
)
from storage.deadlines import run_due_work
from storage.errors import InvalidInput
from storage.filters import RecordFilter
from storage.models import Channel
from storage.queries import InboxCursor, gstr2b_draft, inbox_page
from storage.settings import Settings
from storage.taxpayers import register_taxpayer

CLI = Actor.system(Channel.CLI)
ACTIONS = {
    "accept": Action.ACCEPT,
    "reject": Action.REJECT,
    "pending": Action.PENDING,
    "reset": Action.NO_ACTION,
}
STATUSES = {
    "no_action": Action.NO_ACTION,
    "accepted": Action.ACCEPT,
    "rejected": Action.REJECT,
    "pending": Action.PENDING,
}
KINDS = {kind.value: kind for kind in RecordKind}

Result = tuple[dict[str, Any], str]


def open_store(settings: Settings) -> Engine:
    """The engine of the configured database, its schema brought up to date first."""
    check_database_folder(settings.database_url)
    engine = make_engine(settings.database_url)
    upgrade_schema(engine)
    return engine


def check_database_folder(url: str) -> None:
    """A SQLite file is created on first use, but only in a folder that exists."""
    path = sqlite_file(url)
    if path is not None and not path.parent.is_dir():
        raise InvalidInput(f"IMS_DATABASE_URL {url}: the folder {path.parent} does not exist")


def taxes_json(taxes: TaxAmounts) -> dict[str, str]:
    """Tax heads as strings with two places, for --json."""
    return {head: f"{amount:.2f}" for head, amount in taxes.as_dict().items()}


def db_upgrade(args: argparse.Namespace, settings: Settings) -> Result:
    """Create or migrate the schema."""
    open_store(settings).dispose()
    return {"database": "up to date"}, "The database schema is up to date."


def taxpayer_add(args: argparse.Namespace, settings: Settings) -> Result:
    """Register a GSTIN, with its first owner if given."""
    frequency = FilingFrequency.QUARTERLY if args.qrmp else FilingFrequency.MONTHLY
    group = StateGroup(args.state_group) if args.state_group else None
    with transaction(open_store(settings)) as session:
        taxpayer = register_taxpayer(
            session,
            actor=CLI,
            gstin=args.gstin,
            name=args.name,
            frequency=frequency,
            state_group=group,
            owner_id=args.owner,
            now=datetime.now(UTC),
        )
        result = {
            "gstin": taxpayer.gstin,
            "name": taxpayer.legal_name,
            "frequency": taxpayer.frequency,
            "state_group": taxpayer.state_group,
            "owner": args.owner,
        }
    owner = f" with owner {args.owner}" if args.owner else ""
    return result, f"Registered {taxpayer.gstin} ({taxpayer.legal_name}), {frequency.value}{owner}."


def taxpayer_settings(args: argparse.Namespace, settings: Settings) -> Result:
    """Show a GSTIN's reminder settings; with options, change them first."""
    changes = {
        "remind_2b": args.remind_2b,
        "remind_3b": args.remind_3b,
        "reminder_time": args.reminder_time,
        "quiet": args.quiet,
        "pending_warn": args.pending_warn,
    }
    with transaction(open_store(settings)) as session:
        if any(value is not None for value in changes.values()):
            current = change_settings(
                session, actor=CLI, gstin=args.gstin, now=datetime.now(UTC), **changes
            )
        else:
            current = read_settings(session, actor=CLI, gstin=args.gstin)
    gstin = args.gstin.strip().upper()
    return {"gstin": gstin, **current.as_json()}, settings_text(gstin, current)


def settings_text(gstin: str, current: DeadlineSettings) -> str:
    """The reminder settings of a GSTIN, for people."""
    days_2b = ", ".join(str(days) for days in current.remind_2b_days)
    quiet = f"{current.quiet_text} IST" if current.quiet_hours else "off"
    return (
        f"{gstin}: reminders at {clock_text(current.reminder_time)} IST, "
        f"{days_2b} days before GSTR-2B and {current.remind_3b_days} days before the GSTR-3B "
        f"due date; Pending windows warned {current.pending_warn_days} days before they end; "
        f"quiet hours {quiet}."
    )


def record_filter(args: argparse.Namespace) -> RecordFilter:
    """The filter options shared by inbox and bulk."""
    return RecordFilter(
        supplier=args.supplier,
        kinds=(KINDS[args.kind],) if args.kind else None,
        period=ReturnPeriod.parse(args.period) if args.period else None,
        status=STATUSES[args.status] if args.status else None,
        date_from=day(args.date_from, "--from") if args.date_from else None,
        date_to=day(args.date_to, "--to") if args.date_to else None,
        min_value=amount(args.min_value, "--min-value") if args.min_value else None,
        max_value=amount(args.max_value, "--max-value") if args.max_value else None,
    )


def inbox(args: argparse.Namespace, settings: Settings) -> Result:
    """One page of a GSTIN's records, filtered."""
    after = InboxCursor.decode(args.after) if args.after else None
    with transaction(open_store(settings)) as session:
        page = inbox_page(
            session,
            actor=CLI,
            gstin=args.gstin,
            record_filter=record_filter(args),
            after=after,
            limit=args.limit,
        )
    items = [
        {
            "id": item.record_id,
            "version": item.version,
            "supplier": item.supplier_gstin,
            "supplier_name": item.supplier_name,
            "kind": item.kind.value,
            "number": item.number,
            "date": item.document_date.isoformat(),
            "value": f"{item.value:.2f}",
            "taxes": taxes_json(item.taxes),
            "period": item.counts_in_period.code if item.counts_in_period else None,
            "status": item.action.label,
            "deemed": item.deemed,
            "remarks": item.remarks,
        }
        for item in page.items
    ]
    cursor = page.next_cursor.encode() if page.next_cursor else None
    lines = [
        f"{item.document_date:%d-%b-%Y}  {item.supplier_gstin}  {item.kind.label:<20} "
        f"{item.number:<16} {format_inr(item.taxes.total):>14}  {item.action.label}"
        for item in page.items
    ] or ["No records match."]
    if cursor:
        lines.append(f"More: --after {cursor}")
    return {"items": items, "next": cursor}, "\n".join(lines)


def act(args: argparse.Namespace, settings: Settings) -> Result:
    """Act on one record named by supplier, kind and number."""
    request = ActionRequest(ACTIONS[args.action], _reduction(args.itc_reduction), args.remarks)
    rulebook = settings.rulebook()
    with transaction(open_store(settings)) as session:
        record_id = find_record_id(
            session,
            actor=CLI,
            gstin=args.gstin,
            supplier=args.supplier,
            kind=KINDS[args.kind].value,
            number=args.number,
            financial_year=args.fy,
        )
        outcome = act_on_record(
            session,
            actor=CLI,
            gstin=args.gstin,
            record_id=record_id,
            expected_version=None,
            request=request,
            rulebook=rulebook,
            now=datetime.now(UTC),
        )
    decision = outcome.decision
    result = {
        "record_id": outcome.record_id,
        "version": outcome.version,
        "action": outcome.action.label,
        "previous": outcome.previous_action.label,
        "reason": decision.reason,
        "warnings": list(decision.warnings),
    }
    text = "\n".join(
        [
            f"Done: {outcome.previous_action.label} → {outcome.action.label}. {decision.reason}",
            *decision.warnings,
        ]
    )
    return result, text


def bulk(args: argparse.Namespace, settings: Settings) -> Result:
    """Preview a bulk action, or apply it with --yes; remarks over the limit refuse both."""
    action = ACTIONS[args.action]
    rulebook = settings.rulebook()
    too_long = remarks_too_long(args.remarks, rulebook.settings)
    if too_long is not None:
        raise InvalidInput(too_long)
    now = datetime.now(UTC)
    with transaction(open_store(settings)) as session:
        if not args.yes:
            preview = preview_bulk(
                session,
                actor=CLI,
                gstin=args.gstin,
                record_filter=record_filter(args),
                action=action,
                rulebook=rulebook,
                now=now,
            )
            result = {
                "applied": False,
                "action": action.label,
                "count": preview.count,
                "taxes": taxes_json(preview.taxes),
                "skipped": preview.skipped,
            }
            text = (
                f"Would mark {preview.count} records {action.label} "
                f"(tax {format_inr(preview.taxes.total)}); {preview.skipped} left as they are. "
                "Add --yes to apply."
            )
            return result, text
        done = apply_bulk(
            session,
            actor=CLI,
            gstin=args.gstin,
            record_filter=record_filter(args),
            action=action,
            remarks=args.remarks,
            rulebook=rulebook,
            now=now,
        )
    result = {
        "applied": True,
        "bulk_id": done.bulk_id,
        "action": action.label,
        "count": done.count,
        "taxes": taxes_json(done.taxes),
    }
    return (
        result,
        f"Marked {done.count} records {action.label} (tax {format_inr(done.taxes.total)}).",
    )


def gstr2b(args: argparse.Namespace, settings: Settings) -> Result:
    """The draft GSTR-2B of a period."""
    period = ReturnPeriod.parse(args.period)
    with transaction(open_store(settings)) as session:
        draft = gstr2b_draft(session, actor=CLI, gstin=args.gstin, period=period)
    return gstr2b_json(args.gstin, draft), gstr2b_text(draft)


def gstr2b_json(gstin: str, draft: Gstr2bDraft) -> dict[str, Any]:
    """The draft in the shape `ims gstr2b --json` promises."""
    counts = draft.counts
    return {
        "gstin": gstin.strip().upper(),
        "period": draft.period.code,
        "itc_available": taxes_json(draft.itc_available),
        "itc_rejected": taxes_json(draft.itc_rejected),
        "pending": taxes_json(draft.pending),
        "credit_note_reduction": taxes_json(draft.credit_note_reduction),
        "counts": {status.value: counts[status] for status in Status},
    }


def gstr2b_text(draft: Gstr2bDraft) -> str:
    """The draft for a person."""
    counts = draft.counts
    rows = [
        (
            "ITC available",
            draft.itc_available,
            counts[Status.ACCEPTED] + counts[Status.DEEMED] + counts[Status.NO_ACTION],
        ),
        ("ITC rejected", draft.itc_rejected, counts[Status.REJECTED]),
        ("Pending (left out)", draft.pending, counts[Status.PENDING]),
        ("Credit-note reduction", draft.credit_note_reduction, None),
        ("Net ITC", draft.net_itc, None),
    ]
    lines = [f"Draft GSTR-2B {draft.period.label}"]
    for label, taxes, count in rows:
        shown = f"{count} records" if count is not None else ""
        lines.append(f"  {label:<22} {format_inr(taxes.total):>16}  {shown}")
    return "\n".join(lines)


def filed(args: argparse.Namespace, settings: Settings) -> Result:
    """Record that GSTR-3B of a period is filed: its accepted and rejected records lock."""
    period = ReturnPeriod.parse(args.period)
    with transaction(open_store(settings)) as session:
        mark_gstr3b_filed(
            session, actor=CLI, gstin=args.gstin, period=period, now=datetime.now(UTC)
        )
    return {"gstin": args.gstin, "period": period.code, "filed": True}, (
        f"GSTR-3B {period.label} marked filed: its accepted and rejected records are now final."
    )


def _reduction(text: str | None) -> ItcReduction | None:
    if text is None:
        return None
    if text == "full":
        return ItcReduction.full()
    if text == "none":
        return ItcReduction.none()
    parts = text.split(",")
    if len(parts) != 4:
        raise ImsDomainError(f"--itc-reduction {text!r} is not full, none or IGST,CGST,SGST,CESS")
    igst, cgst, sgst, cess = (amount(part, "--itc-reduction") for part in parts)
    return ItcReduction.partial(TaxAmounts(igst, cgst, sgst, cess))


def _moment(text: str | None) -> datetime:
    """--now as an aware datetime: ISO 8601; without an offset it is IST (default: now, UTC)."""
    if text is None:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ImsDomainError(f"--now {text!r} is not a moment like 2025-11-14T10:00") from None
    return moment.replace(tzinfo=IST) if moment.utcoffset() is None else moment


def tick(args: argparse.Namespace, settings: Settings) -> Result:
    """One pass of the due work: close periods whose GSTR-2B is due, queue due reminders."""
    now = _moment(args.now)
    with transaction(open_store(settings)) as session:
        done = run_due_work(session, now=now.astimezone(UTC), rulebook=settings.rulebook())
    result = {
        "now": now.isoformat(),
        "closed": [
            {
                "gstin": c.gstin,
                "period": c.period.code,
                "deemed_accepted": c.count,
                "tax": f"{c.tax_paise / 100:.2f}",
            }
            for c in done.closed
        ],
        "reminders": done.reminders,
        "digests": done.digests,
    }
    lines = [
        f"{c.gstin}: closed {c.period.label}, {c.count} records deemed accepted "
        f"(tax {format_inr(Decimal(c.tax_paise) / 100)})."
        for c in done.closed
    ]
    lines.append(f"{done.reminders} reminder messages and {done.digests} daily digests queued.")
    return result, "\n".join(lines)
