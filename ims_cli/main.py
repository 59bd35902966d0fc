"""Entry point of the `ims` command. Every command takes --json; an error is one line, exit 2."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any

from pydantic import ValidationError

from ims_domain.errors import ImsDomainError
from ims_domain.gstin import parse_gstin
from ims_domain.money import format_date
from ims_domain.periods import IST, FilingFrequency, ReturnPeriod, StateGroup, state_group_of
from storage.settings import Settings

Command = Callable[[argparse.Namespace], tuple[dict[str, Any], str]]


def gstin_command(args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    """Check a GSTIN: its kind, state and check character."""
    gstin = parse_gstin(args.gstin, strict=args.strict)
    result = {
        "gstin": gstin.value,
        "kind": gstin.kind.value,
        "state_code": gstin.state_code,
        "state": gstin.state_name,
        "pan": gstin.pan,
    }
    state = f"{gstin.state_name} ({gstin.state_code})"
    return result, f"{gstin.value} is a valid {gstin.kind.value} GSTIN of {state}."


def calendar_command(args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    """The GST deadlines of one 2B period for a monthly or quarterly (QRMP) recipient."""
    calendar = Settings().calendar()
    today = _day(args.today, "--today") if args.today else datetime.now(IST).date()
    frequency = FilingFrequency.QUARTERLY if args.qrmp else FilingFrequency.MONTHLY
    group: StateGroup | None = args.state_group
    if args.gstin:
        group = state_group_of(parse_gstin(args.gstin).state_code)
    if frequency is FilingFrequency.QUARTERLY and group is None:
        raise ImsDomainError("a QRMP recipient needs --state-group A|B or --gstin")
    # Default: the latest month whose GSTR-1 window has closed by today.
    period = ReturnPeriod.parse(args.period) if args.period else ReturnPeriod.of(today).previous()
    dates = {
        "gstr1_due": calendar.gstr1_due(period),
        "gstr2b_generated": calendar.gstr2b_generation_date(period, frequency),
        "gstr3b_due": calendar.gstr3b_due(period, frequency, group),
        "specified_pending_until": calendar.pending_deadline(period, frequency, group),
    }
    result = {"period": period.code, "frequency": frequency.value} | {
        key: value.isoformat() if value else None for key, value in dates.items()
    }
    names = {
        "gstr1_due": "Suppliers' GSTR-1 due",
        "gstr2b_generated": "GSTR-2B generated",
        "gstr3b_due": "GSTR-3B due",
        "specified_pending_until": "Credit notes may stay pending until",
    }
    lines = [f"GSTR-2B period {period.label} ({frequency.value} recipient)"]
    for key, label in names.items():
        day = dates[key]
        shown = format_date(day) if day else "not allowed (before Oct-2025)"
        left = f"  ({(day - today).days} days)" if day and day >= today else ""
        lines.append(f"  {label:<36} {shown}{left}")
    return result, "\n".join(lines)


def _day(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ImsDomainError(f"{option} {text!r} is not a date like 2025-11-14") from None


def _one_line(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        return f"setting IMS_{where.upper()}: {first['msg']}"
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ims", description="GST Invoice Management assistant")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    commands = parser.add_subparsers(dest="command", required=True)

    check = commands.add_parser("gstin", help="check a GSTIN")
    check.add_argument("gstin")
    check.add_argument("--strict", action="store_true", help="refuse lower case and spaces")
    check.set_defaults(handler=gstin_command)

    cal = commands.add_parser("calendar", help="GST deadlines of a GSTR-2B period")
    cal.add_argument("--period", help="MMYYYY (default: last month)")
    cal.add_argument("--today", help="YYYY-MM-DD (default: today, IST)")
    cal.add_argument("--qrmp", action="store_true", help="quarterly (QRMP) recipient")
    cal.add_argument("--state-group", type=StateGroup, choices=list(StateGroup))
    cal.add_argument("--gstin", help="the recipient's GSTIN (gives the state group)")
    cal.set_defaults(handler=calendar_command)
    for sub in (check, cal):
        sub.add_argument("--json", action="store_true", default=argparse.SUPPRESS)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one `ims` command; returns the process exit code."""
    args = _parser().parse_args(argv)
    handler: Command = args.handler
    try:
        result, text = handler(args)
    except (ImsDomainError, ValidationError, OSError) as exc:
        print(f"ims {args.command}: {_one_line(exc)}", file=sys.stderr)
        return 2
    print(json.dumps(result, ensure_ascii=False) if args.json else text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
