"""`ims audit`: a GSTIN's audit trail (events and actions), newest first, for people or --json."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from ims_cli.store_commands import CLI, Result, open_store
from ims_domain.periods import IST, ReturnPeriod
from ims_domain.records import Action, RecordKind
from storage.audit import ACTION, AuditEntry, audit_trail
from storage.db import transaction
from storage.errors import InvalidInput
from storage.models import EventKind
from storage.settings import Settings


def audit(args: argparse.Namespace, settings: Settings) -> Result:
    """The newest --limit events and actions of a GSTIN: who, when, what, through which channel."""
    if args.limit < 1:
        raise InvalidInput("--limit must be at least 1.")
    with transaction(open_store(settings)) as session:
        trail = audit_trail(session, actor=CLI, gstin=args.gstin, limit=args.limit)
    entries = [
        {
            "at": entry.at.isoformat(),
            "user_id": entry.user_id,
            "user": entry.user_name,
            "channel": entry.channel,
            "kind": entry.kind,
            "details": entry.details,
        }
        for entry in trail
    ]
    lines = [
        f"{entry.at.astimezone(IST):%d-%b-%Y %H:%M} IST  {_who(entry):<24} {entry.channel:<13} "
        f"{describe(entry)}"
        for entry in trail
    ] or ["Nothing recorded yet."]
    return {"gstin": args.gstin.strip().upper(), "entries": entries}, "\n".join(lines)


def _who(entry: AuditEntry) -> str:
    if entry.user_id is None:
        return "system"
    return f"{entry.user_name} ({entry.user_id})" if entry.user_name else str(entry.user_id)


def _person(details: dict[str, Any]) -> str:
    name = details.get("name")
    return f"{name} ({details['user_id']})" if name else str(details["user_id"])


def _settings(details: dict[str, Any]) -> str:
    changes = ", ".join(
        f"{name} {_setting_text(change['from'])} → {_setting_text(change['to'])}"
        for name, change in details.items()
    )
    return f"changed reminder settings: {changes}"


def _setting_text(value: object) -> str:
    return ",".join(str(v) for v in value) if isinstance(value, list) else str(value)


def _action(details: dict[str, Any]) -> str:
    kind = RecordKind(details["kind"]).label
    change = f"{Action(details['from']).label} → {Action(details['to']).label}"
    remarks = f" — “{details['remarks']}”" if details.get("remarks") else ""
    bulk = f" (bulk {details['bulk_id']})" if details.get("bulk_id") else ""
    return f"{kind} {details['number']} of {details['supplier']}: {change}{remarks}{bulk}"


_DESCRIPTIONS: dict[str, Callable[[dict[str, Any]], str]] = {
    EventKind.TAXPAYER_REGISTERED: lambda d: (
        f"registered {d['gstin']} ({d['name']}), {d['frequency']}"
    ),
    EventKind.MEMBER_ADDED: lambda d: f"added {_person(d)} as {d['role']}",
    EventKind.MEMBER_ROLE_CHANGED: lambda d: (
        f"made {_person(d)} {d['role']} (was {d['previous_role']})"
    ),
    EventKind.MEMBER_REMOVED: lambda d: f"removed {_person(d)}, {d['role']}",
    EventKind.INVITE_CREATED: lambda d: f"created invite {d['invite_id']} for a new {d['role']}",
    EventKind.INVITE_USED: lambda d: f"joined with invite {d['invite_id']} as {d['role']}",
    EventKind.GROUP_BOUND: lambda d: f"bound the group {d['chat_id']}",
    EventKind.SETTINGS_CHANGED: _settings,
    EventKind.GSTR3B_FILED: lambda d: (
        f"marked GSTR-3B for {ReturnPeriod.parse(d['period']).label} filed"
    ),
    ACTION: _action,
}


def describe(entry: AuditEntry) -> str:
    """What happened, in words."""
    return _DESCRIPTIONS[entry.kind](entry.details)
