"""The deployment's rules configuration that every use case applies: calendar, settings, undo."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from ims_domain.actions import ActionContext
from ims_domain.periods import IST, FilingFrequency, GstCalendar, ReturnPeriod, StateGroup
from ims_domain.records import Action, OriginalState
from ims_domain.settings import RulesSettings
from storage.models import Taxpayer


@dataclass(frozen=True)
class RuleBook:
    """What the rules engine needs besides the records, fixed for the life of the process."""

    calendar: GstCalendar = field(default_factory=GstCalendar)
    settings: RulesSettings = field(default_factory=RulesSettings)
    undo_window: timedelta = timedelta(minutes=10)

    def context(
        self,
        taxpayer: Taxpayer,
        *,
        now: datetime,
        current_action: Action,
        gstr3b_filed: bool,
        gstr2b_generated: bool,
        original: OriginalState | None,
    ) -> ActionContext:
        """The engine's context for one record of `taxpayer` at `now`."""
        return ActionContext(
            today=today_in_india(now),
            frequency=frequency_of(taxpayer),
            state_group=state_group_of_taxpayer(taxpayer),
            current_action=current_action,
            gstr3b_filed=gstr3b_filed,
            gstr2b_generated=gstr2b_generated,
            original=original,
            calendar=self.calendar,
            settings=self.settings,
        )


def today_in_india(now: datetime) -> date:
    """The date in India at the UTC instant `now` (rules count days in IST)."""
    return now.astimezone(IST).date()


def frequency_of(taxpayer: Taxpayer) -> FilingFrequency:
    """The recipient's GSTR-3B frequency."""
    return FilingFrequency(taxpayer.frequency)


def state_group_of_taxpayer(taxpayer: Taxpayer) -> StateGroup | None:
    """The QRMP state group (22nd or 24th), if any."""
    return StateGroup(taxpayer.state_group) if taxpayer.state_group else None


def tax_period_months(period: ReturnPeriod, frequency: FilingFrequency) -> list[ReturnPeriod]:
    """The 2B months one GSTR-3B covers: the month, or the three months of the quarter."""
    if frequency is FilingFrequency.QUARTERLY:
        return list(period.quarter.months)
    return [period]
