"""`ims` commands over the pure rules: GSTIN checks and the GST calendar."""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import Any

from ims_cli.options import day as parse_day
from ims_domain.errors import ImsDomainError
from ims_domain.gstin import parse_gstin
from ims_domain.money import format_date
from ims_domain.periods import IST, FilingFrequency, ReturnPeriod, StateGroup, state_group_of
from storage.settings import Settings


def gstin(args: argparse.Namespace, settings: Settings) -> tuple[dict[str, Any], str]:
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


def calendar(args: argparse.Namespace, settings: Settings) -> tuple[dict[str, Any], str]:
    """The GST deadlines of one 2B period for a monthly or quarterly (QRMP) recipient."""
    gst_calendar = settings.calendar()
    today = parse_day(args.today, "--today") if args.today else datetime.now(IST).date()
    frequency = FilingFrequency.QUARTERLY if args.qrmp else FilingFrequency.MONTHLY
    group: StateGroup | None = args.state_group
    if args.gstin:
        group = state_group_of(parse_gstin(args.gstin).state_code)
    if frequency is FilingFrequency.QUARTERLY and group is None:
        raise ImsDomainError("a QRMP recipient needs --state-group A|B or --gstin")
    # Default: the latest month whose GSTR-1 window has closed by today.
    period = ReturnPeriod.parse(args.period) if args.period else ReturnPeriod.of(today).previous()
    dates = {
        "gstr1_due": gst_calendar.gstr1_due(period),
        "gstr2b_generated": gst_calendar.gstr2b_generation_date(period, frequency),
        "gstr3b_due": gst_calendar.gstr3b_due(period, frequency, group),
        "specified_pending_until": gst_calendar.pending_deadline(period, frequency, group),
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
