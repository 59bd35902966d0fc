"""Reminder settings per GSTIN (issue 7): offsets, reminder time, quiet hours, Pending warnings.

A GSTIN without a row of its own uses the defaults. Any member reads them; owners change them.
Times are IST clock times; quiet hours may wrap midnight or be off.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta

from sqlmodel import Session

from ims_domain.periods import IST
from storage.access import ANY_ROLE, Actor, require_role, taxpayer_for
from storage.audit import record_event
from storage.errors import AccessDenied, InvalidInput
from storage.models import DeadlineSettingsRow, EventKind, Role, Taxpayer

MAX_OFFSET_DAYS = 10
MAX_PENDING_WARN_DAYS = 30
QUIET_OFF = "off"
_CLOCK = re.compile(r"([01]?[0-9]|2[0-3]):([0-5][0-9])")


@dataclass(frozen=True)
class QuietHours:
    """From `start` until `end` (IST) nothing is sent; `start` after `end` wraps midnight."""

    start: time
    end: time

    def contains(self, clock: time) -> bool:
        """Whether an IST clock time falls in these quiet hours."""
        if self.start < self.end:
            return self.start <= clock < self.end
        return clock >= self.start or clock < self.end

    @property
    def text(self) -> str:
        """21:00-08:00."""
        return f"{clock_text(self.start)}-{clock_text(self.end)}"


@dataclass(frozen=True)
class DeadlineSettings:
    """When a GSTIN's reminders go out; the defaults are those of issue 7."""

    remind_2b_days: tuple[int, ...] = (3, 1)  # days before the GSTR-2B generation date
    remind_3b_days: int = 2  # days before the GSTR-3B due date
    reminder_time: time = time(10, 0)  # IST
    quiet_hours: QuietHours | None = QuietHours(time(21, 0), time(8, 0))
    pending_warn_days: int = 5  # before a specified record's Pending window ends (R3.4)

    def at(self, day: date) -> datetime:
        """The reminder moment of an IST day, in UTC."""
        return datetime.combine(day, self.reminder_time, IST).astimezone(UTC)

    def is_quiet(self, now: datetime) -> bool:
        """Whether `now` falls in the quiet hours."""
        return self.quiet_hours is not None and self.quiet_hours.contains(
            now.astimezone(IST).time()
        )

    def quiet_end(self, now: datetime) -> datetime:
        """`now`, or the end of the quiet hours it falls in (for messages that may wait)."""
        if self.quiet_hours is None or not self.is_quiet(now):
            return now
        local = now.astimezone(IST)
        end = self.quiet_hours.end
        day = local.date() if local.time() < end else local.date() + timedelta(days=1)
        return datetime.combine(day, end, IST).astimezone(UTC)

    @property
    def quiet_text(self) -> str:
        """21:00-08:00, or off."""
        return self.quiet_hours.text if self.quiet_hours else QUIET_OFF

    def as_json(self) -> dict[str, object]:
        """The settings as the CLI prints them with --json."""
        return {
            "remind_2b": list(self.remind_2b_days),
            "remind_3b": self.remind_3b_days,
            "reminder_time": clock_text(self.reminder_time),
            "quiet": self.quiet_text,
            "pending_warn": self.pending_warn_days,
        }


DEFAULTS = DeadlineSettings()


def clock_text(clock: time) -> str:
    """10:00."""
    return clock.strftime("%H:%M")


def _parse_clock(text: str, what: str = "The reminder time") -> time:
    """HH:MM (IST) or InvalidInput."""
    found = _CLOCK.fullmatch(text.strip())
    if found is None:
        raise InvalidInput(f"{what} {text.strip()!r} is not a time like 10:00 (HH:MM, IST).")
    return time(int(found.group(1)), int(found.group(2)))


def _parse_quiet(text: str) -> QuietHours | None:
    """HH:MM-HH:MM (may wrap midnight), or off; InvalidInput otherwise."""
    if text.strip().lower() == QUIET_OFF:
        return None
    start, dash, end = text.strip().partition("-")
    if not dash:
        raise InvalidInput(f"Quiet hours {text.strip()!r} are not like 21:00-08:00 (IST), or off.")
    quiet = QuietHours(_parse_clock(start, "Quiet hours from"), _parse_clock(end, "Quiet hours to"))
    if quiet.start == quiet.end:
        raise InvalidInput("Quiet hours must end at another time than they start, or be off.")
    return quiet


def _parse_days(text: str, what: str, lowest: int, highest: int) -> tuple[int, ...]:
    """Comma-separated distinct whole days from `lowest` to `highest`, largest first."""
    parts = [part.strip() for part in text.split(",")]
    if not all(part.isascii() and part.isdigit() for part in parts):
        raise InvalidInput(f"{what} {text.strip()!r}: give whole days, e.g. 3,1.")
    days = [int(part) for part in parts]
    if any(not lowest <= d <= highest for d in days):
        raise InvalidInput(f"{what}: each must be from {lowest} to {highest} days.")
    if len(set(days)) != len(days):
        raise InvalidInput(f"{what}: each day may be given once.")
    return tuple(sorted(days, reverse=True))


def _parse_day_count(text: str, what: str, lowest: int, highest: int) -> int:
    """One whole number of days from `lowest` to `highest`."""
    days = _parse_days(text, what, lowest, highest)
    if len(days) != 1:
        raise InvalidInput(f"{what}: give one number of days, e.g. 2.")
    return days[0]


def settings_for(session: Session, taxpayer: Taxpayer) -> DeadlineSettings:
    """A taxpayer's settings, the defaults where it has none (system use, no access check)."""
    row = session.get(DeadlineSettingsRow, taxpayer.id)
    if row is None:
        return DEFAULTS
    quiet = (
        QuietHours(row.quiet_from, row.quiet_until)
        if row.quiet_from is not None and row.quiet_until is not None
        else None
    )
    return DeadlineSettings(
        remind_2b_days=tuple(row.remind_2b_days),
        remind_3b_days=row.remind_3b_days,
        reminder_time=row.reminder_time,
        quiet_hours=quiet,
        pending_warn_days=row.pending_warn_days,
    )


def read_settings(session: Session, *, actor: Actor, gstin: str) -> DeadlineSettings:
    """The reminder settings of a GSTIN, for any of its members."""
    return settings_for(session, taxpayer_for(session, actor=actor, gstin=gstin, roles=ANY_ROLE))


def change_settings(
    session: Session,
    *,
    actor: Actor,
    gstin: str,
    remind_2b: str | None = None,
    remind_3b: str | None = None,
    reminder_time: str | None = None,
    quiet: str | None = None,
    pending_warn: str | None = None,
    now: datetime,
) -> DeadlineSettings:
    """Change the given settings of a GSTIN (owners only); the others stay as they are."""
    taxpayer = taxpayer_for(session, actor=actor, gstin=gstin, roles=ANY_ROLE)
    try:
        require_role(session, actor=actor, taxpayer=taxpayer, roles=frozenset({Role.OWNER}))
    except AccessDenied:
        raise AccessDenied(
            f"Only an owner of {taxpayer.gstin} can change its reminder settings."
        ) from None
    before = settings = settings_for(session, taxpayer)
    if remind_2b is not None:
        # On the generation day itself the records are already deemed accepted (R2.3).
        days = _parse_days(remind_2b, "GSTR-2B reminders", 1, MAX_OFFSET_DAYS)
        settings = replace(settings, remind_2b_days=days)
    if remind_3b is not None:
        days_3b = _parse_day_count(remind_3b, "The GSTR-3B reminder", 0, MAX_OFFSET_DAYS)
        settings = replace(settings, remind_3b_days=days_3b)
    if reminder_time is not None:
        settings = replace(settings, reminder_time=_parse_clock(reminder_time))
    if quiet is not None:
        settings = replace(settings, quiet_hours=_parse_quiet(quiet))
    if pending_warn is not None:
        warn = _parse_day_count(pending_warn, "The Pending warning", 1, MAX_PENDING_WARN_DAYS)
        settings = replace(settings, pending_warn_days=warn)
    if settings.quiet_hours and settings.quiet_hours.contains(settings.reminder_time):
        raise InvalidInput(
            f"Reminders at {clock_text(settings.reminder_time)} would fall in the quiet hours "
            f"{settings.quiet_hours.text}: pick another time or other quiet hours."
        )
    _store(session, taxpayer, settings, actor=actor, now=now)
    old, new = before.as_json(), settings.as_json()
    changed = {name: {"from": old[name], "to": new[name]} for name in new if old[name] != new[name]}
    if changed:
        assert taxpayer.id is not None
        record_event(
            session,
            kind=EventKind.SETTINGS_CHANGED,
            taxpayer_id=taxpayer.id,
            actor=actor,
            details=changed,
            now=now,
        )
    return settings


def _store(
    session: Session, taxpayer: Taxpayer, settings: DeadlineSettings, *, actor: Actor, now: datetime
) -> None:
    assert taxpayer.id is not None
    row = session.get(DeadlineSettingsRow, taxpayer.id)
    values = {
        "remind_2b_days": list(settings.remind_2b_days),
        "remind_3b_days": settings.remind_3b_days,
        "reminder_time": settings.reminder_time,
        "quiet_from": settings.quiet_hours.start if settings.quiet_hours else None,
        "quiet_until": settings.quiet_hours.end if settings.quiet_hours else None,
        "pending_warn_days": settings.pending_warn_days,
        "updated_by": actor.user_id,
        "updated_at": now,
    }
    if row is None:
        session.add(DeadlineSettingsRow.model_validate({"taxpayer_id": taxpayer.id, **values}))
    else:
        row.sqlmodel_update(values)
    session.flush()
