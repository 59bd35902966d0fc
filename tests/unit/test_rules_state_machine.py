"""Random sequences of actions, supplier edits, 2B generations and 3B filings (hypothesis).

The model keeps one monthly recipient's records over Sep-Dec 2025 and drives them only through
`decide`, the way every adapter must. After each step it checks the invariants the rules promise:
no forbidden state (R1.5, R3.2, R3.4), a draft 2B equal to an independent sum of its records
(R2.2, R4.1, R4.4), deemed acceptance never touching an explicit action (R2.3), and a period
locked by its GSTR-3B never changing again (R2.6).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from ims_domain.actions import (
    ActionContext,
    ActionRequest,
    action_counted_at_generation,
    decide,
    pending_deadline,
)
from ims_domain.gstr2b import Gstr2bEntry, Placement, draft_gstr2b
from ims_domain.money import NO_TAX, TaxAmounts, sum_taxes
from ims_domain.periods import FilingFrequency, GstCalendar, ReturnPeriod
from ims_domain.records import Action, Record, RecordKind, is_specified
from tests.builders import RECIPIENT, record

PERIODS = [ReturnPeriod(2025, m) for m in (9, 10, 11, 12)]
KINDS = [
    RecordKind.INVOICE,
    RecordKind.DEBIT_NOTE,
    RecordKind.CREDIT_NOTE,
    RecordKind.BILL_OF_ENTRY,
]
CALENDAR = GstCalendar()
_taxes = st.integers(min_value=0, max_value=50_000).map(str)


@dataclass
class Held:
    """One record as the store would hold it."""

    record: Record
    action: Action = Action.NO_ACTION
    deemed: bool = False


class ImsRules(RuleBasedStateMachine):
    """A recipient's IMS over four months, changed only through the rules engine."""

    @initialize(
        specs=st.lists(
            st.tuples(st.sampled_from(KINDS), st.sampled_from(PERIODS), _taxes, _taxes),
            min_size=1,
            max_size=12,
        )
    )
    def start(self, specs: list[tuple[RecordKind, ReturnPeriod, str, str]]) -> None:
        self.today = date(2025, 10, 1)
        self.held: list[Held] = []
        for i, (kind, period, igst, cess) in enumerate(specs):
            doc = record(
                kind,
                number=f"D{i}",
                document_date=period.first_day,
                period=period,
                igst=igst,
                cess=cess,
                supplier="INNSA1" if kind.is_import else "29AAGCB7383J1Z4",
            )
            self.held.append(Held(doc))
        self.generated: set[ReturnPeriod] = set()
        self.filed: set[ReturnPeriod] = set()
        self.locked: dict[str, Action] = {}

    def _context(self, held: Held) -> ActionContext:
        period = held.record.two_b_period
        assert period is not None
        return ActionContext(
            today=self.today,
            frequency=FilingFrequency.MONTHLY,
            current_action=held.action,
            gstr3b_filed=period in self.filed,
            gstr2b_generated=period in self.generated,
            calendar=CALENDAR,
        )

    @rule(days=st.integers(min_value=1, max_value=20))
    def time_passes(self, days: int) -> None:
        self.today += timedelta(days=days)

    @rule(index=st.integers(min_value=0), action=st.sampled_from(list(Action)))
    def person_acts(self, index: int, action: Action) -> None:
        held = self.held[index % len(self.held)]
        ctx = self._context(held)
        decision = decide(held.record, ActionRequest(action, remarks="x"), ctx)
        if not decision.allowed:
            return
        # What the engine allowed must be a state the rules permit.
        assert not (held.record.kind.is_import and action is Action.REJECT)
        if action is Action.PENDING and is_specified(held.record, None):
            deadline = pending_deadline(held.record, ctx)
            assert deadline is not None
            assert self.today <= deadline
        held.action, held.deemed = action, False

    @rule(index=st.integers(min_value=0), igst=_taxes)
    def supplier_edits(self, index: int, igst: str) -> None:
        """R5.1: a new version replaces the old one and drops the recipient's action."""
        held = self.held[index % len(self.held)]
        if held.record.key.text in self.locked:
            return  # a filed GSTR-3B closed the record; changes come as amendments (R5.2)
        held.record = replace(held.record, taxes=TaxAmounts.of(igst=igst))
        held.action, held.deemed = Action.NO_ACTION, False

    @precondition(lambda self: any(self._can_generate(p) for p in PERIODS))
    @rule(data=st.data())
    def gstr2b_is_generated(self, data: st.DataObject) -> None:
        period = data.draw(st.sampled_from([p for p in PERIODS if self._can_generate(p)]))
        day = CALENDAR.gstr2b_generation_date(period, FilingFrequency.MONTHLY)
        before = {id(h): h.action for h in self.held}
        for held in self.held:
            if held.record.two_b_period != period and held.action is not Action.PENDING:
                continue
            counted = action_counted_at_generation(
                held.record, held.action, day, self._context(held)
            )
            if counted is not held.action:
                held.action, held.deemed = counted, True
        self.generated.add(period)
        for held in self.held:
            if before[id(held)] not in (Action.NO_ACTION, Action.PENDING):
                assert held.action is before[id(held)], "deemed acceptance touched an action"
            if before[id(held)] is Action.PENDING and held.action is not Action.PENDING:
                assert is_specified(held.record, None), "only expired specified records convert"

    def _can_generate(self, period: ReturnPeriod) -> bool:
        previous = period.previous()
        return (
            period not in self.generated
            and CALENDAR.gstr2b_generation_date(period, FilingFrequency.MONTHLY) <= self.today
            and (previous not in PERIODS or previous in self.filed)  # R2.7
        )

    @precondition(lambda self: any(p in self.generated and p not in self.filed for p in PERIODS))
    @rule(data=st.data())
    def gstr3b_is_filed(self, data: st.DataObject) -> None:
        period = data.draw(st.sampled_from(sorted(self.generated - self.filed)))
        self.filed.add(period)
        for held in self.held:
            if held.record.two_b_period == period and held.action is not Action.PENDING:
                self.locked[held.record.key.text] = held.action

    @invariant()
    def locked_records_never_change(self) -> None:
        if not hasattr(self, "held"):
            return
        for held in self.held:
            if held.record.key.text in self.locked:
                assert held.action is self.locked[held.record.key.text]

    @invariant()
    def no_forbidden_state(self) -> None:
        for held in getattr(self, "held", []):
            assert not (held.record.kind.is_import and held.action is Action.REJECT)
            period = held.record.two_b_period
            old_rule = period is not None and period < ReturnPeriod(2025, 10)
            if is_specified(held.record, None) and old_rule:
                assert held.action is not Action.PENDING

    @invariant()
    def draft_2b_equals_the_sum_of_its_records(self) -> None:
        for period in PERIODS:
            members = [h for h in getattr(self, "held", []) if h.record.two_b_period == period]
            draft = draft_gstr2b(
                recipient=RECIPIENT,
                period=period,
                entries=[Gstr2bEntry(h.record, h.action, deemed=h.deemed) for h in members],
            )

            def total(kinds_credit: bool, actions: tuple[Action, ...], group=members) -> TaxAmounts:
                return sum_taxes(
                    [
                        h.record.taxes
                        for h in group
                        if h.record.kind.is_credit_note is kinds_credit and h.action in actions
                    ]
                )

            taken = (Action.ACCEPT, Action.NO_ACTION)
            assert draft.itc_available == total(False, taken)
            assert draft.credit_note_reduction == total(True, taken)
            assert draft.itc_rejected == total(False, (Action.REJECT,))
            assert draft.pending == total(False, (Action.PENDING,)) - total(True, (Action.PENDING,))
            add_back = sum_taxes(list(draft.supplier_add_back.values())) or NO_TAX
            assert add_back == total(True, (Action.REJECT,))
            assert sum(draft.counts.values()) == len(members)
            assert draft.total(Placement.ITC_AVAILABLE) == draft.itc_available


ImsRules.TestCase.settings = settings(max_examples=150, stateful_step_count=40, deadline=None)
test_rules_state_machine = ImsRules.TestCase
