"""The action rules: every decision `decide` makes, by rule ID and worked example."""

from dataclasses import replace
from datetime import date

import pytest

from ims_domain.actions import (
    ActionRequest,
    ItcReduction,
    ReductionMode,
    action_counted_at_generation,
    decide,
    earliest_two_b_period,
    pending_deadline,
)
from ims_domain.money import TaxAmounts
from ims_domain.periods import FilingFrequency, GstCalendar, ReturnPeriod, StateGroup
from ims_domain.records import Action, FilingStatus, RecordKind
from ims_domain.settings import PendingExpiry, RulesSettings
from tests.builders import context, original_state, record

ACCEPT = ActionRequest(Action.ACCEPT)
REJECT = ActionRequest(Action.REJECT)
PENDING = ActionRequest(Action.PENDING)
RESET = ActionRequest(Action.NO_ACTION)

OCT_2025 = ReturnPeriod(2025, 10)
SEP_2025 = ReturnPeriod(2025, 9)


# --- R1: what is in IMS ------------------------------------------------------------------


@pytest.mark.parametrize("request_", [ACCEPT, REJECT, PENDING, RESET])
def test_R1_3_reverse_charge_and_itc_unavailable_documents_take_no_action(
    request_: ActionRequest,
) -> None:
    for doc in (record(reverse_charge=True), record(itc_unavailable=True)):
        decision = decide(doc, request_, context())
        assert not decision.allowed
        assert "R1.3" in decision.rules


def test_R1_3_R1_5_bills_of_entry_before_oct_2025_are_not_in_ims() -> None:
    boe = record(RecordKind.BILL_OF_ENTRY, period=SEP_2025)
    decision = decide(boe, ACCEPT, context(date(2025, 10, 5)))
    assert not decision.allowed
    assert "Oct-2025" in decision.reason


def test_R1_5_bills_of_entry_accept_or_pending_never_reject() -> None:
    for kind in (RecordKind.BILL_OF_ENTRY, RecordKind.SEZ_BILL_OF_ENTRY_AMENDMENT):
        boe = record(kind, supplier="INNSA1")
        assert decide(boe, ACCEPT, context()).allowed
        assert decide(boe, PENDING, context()).allowed
        refused = decide(boe, REJECT, context())
        assert not refused.allowed
        assert refused.reason == "A bill of entry can be accepted or kept pending, never rejected."
        assert refused.rules == ("R1.5",)


def test_R3_8_bill_of_entry_pending_has_no_deadline() -> None:
    """OQ4: no expiry enforced on a pending bill of entry."""
    boe = record(RecordKind.BILL_OF_ENTRY, period=OCT_2025, supplier="INNSA1")
    decision = decide(boe, PENDING, context(date(2027, 1, 1)))
    assert decision.allowed
    assert decision.rules == ("R3.8",)


def test_R1_8_records_before_oct_2024_never_enter_ims() -> None:
    old = record(period=ReturnPeriod(2024, 9), document_date=date(2024, 9, 2))
    decision = decide(old, ACCEPT, context(date(2024, 10, 20)))
    assert not decision.allowed
    assert decision.rules == ("R1.8",)


def test_R1_9_E6_saved_not_filed_can_be_actioned_and_lands_no_earlier_than_today_allows() -> None:
    """E6: a Nov-2025 invoice saved on 3-Dec, not filed: actionable; 2B Nov-2025 at the earliest."""
    saved = replace(
        record(document_date=date(2025, 11, 28), period=None),
        filing_status=FilingStatus.NOT_FILED,
    )
    assert decide(saved, ACCEPT, context(date(2025, 12, 4))).allowed
    calendar = GstCalendar()
    assert earliest_two_b_period(saved, date(2025, 12, 4), calendar) == ReturnPeriod(2025, 11)
    # After the 11th of December a filing can only land in Dec-2025 (R6.3).
    assert earliest_two_b_period(saved, date(2025, 12, 15), calendar) == ReturnPeriod(2025, 12)


# --- R2: actions and their effects ----------------------------------------------------------


def test_R2_4_actions_can_change_in_any_allowed_direction_until_3b() -> None:
    doc = record()
    for current in Action:
        for wanted in (ACCEPT, REJECT, PENDING, RESET):
            assert decide(doc, wanted, context(current_action=current)).allowed


def test_R2_5_change_after_2b_generation_warns_to_recompute() -> None:
    decision = decide(record(), REJECT, context(date(2025, 11, 17), gstr2b_generated=True))
    assert decision.allowed
    assert "R2.5" in decision.rules
    assert any("recompute" in w for w in decision.warnings)


def test_R2_6_filed_3b_locks_accepted_rejected_and_deemed_records() -> None:
    """R6.5: the action window runs until the recipient files the GSTR-3B of the 2B period."""
    for current in (Action.ACCEPT, Action.REJECT, Action.NO_ACTION):
        ctx = context(date(2025, 11, 25), current_action=current, gstr3b_filed=True)
        for wanted in (ACCEPT, REJECT, PENDING, RESET):
            decision = decide(record(), wanted, ctx)
            assert not decision.allowed
            assert decision.rules == ("R2.6", "R4.5")
    ctx = context(date(2025, 11, 25), current_action=Action.NO_ACTION, gstr3b_filed=True)
    assert "stays deemed accepted" in decide(record(), REJECT, ctx).reason


def test_R2_6_pending_records_stay_actionable_after_3b() -> None:
    ctx = context(date(2025, 11, 25), current_action=Action.PENDING, gstr3b_filed=True)
    assert decide(record(), ACCEPT, ctx).allowed


def test_R2_9_rejecting_an_invoice_carries_gstn_guidance() -> None:
    decision = decide(record(), REJECT, context())
    assert decision.allowed
    assert decision.reason == "Rejecting this invoice means no ITC on it."
    assert "R2.9" in decision.rules


def test_E4_deemed_then_rejected_then_locked() -> None:
    """E4: untouched INV-77 deemed on 14-Nov; rejected 17-Nov (recompute); final after 3B."""
    inv = record(number="INV-77")
    generated = date(2025, 11, 14)
    assert (
        action_counted_at_generation(inv, Action.NO_ACTION, generated, context()) is Action.ACCEPT
    )
    late = decide(inv, REJECT, context(date(2025, 11, 17), gstr2b_generated=True))
    assert late.allowed
    assert "R2.5" in late.rules
    after_3b = context(date(2025, 11, 21), current_action=Action.REJECT, gstr3b_filed=True)
    assert not decide(inv, ACCEPT, after_3b).allowed


# --- R3: pending ---------------------------------------------------------------------------


def test_R3_1_non_specified_records_may_stay_pending_across_periods() -> None:
    """R6.6: only specified records get the one-period deadline; others have none."""
    decision = decide(record(), PENDING, context(date(2026, 5, 1)))
    assert decision.allowed
    assert decision.rules == ("R3.1",)
    assert decision.pending_deadline is None


def test_R3_1_E10_OQ3_warns_before_the_s16_4_limit_and_never_refuses() -> None:
    """E10: INV-90 of 10-Feb-2026 must be claimed by 30-Nov-2026; warn from 60 days before."""
    inv = record(number="INV-90", document_date=date(2026, 2, 10), period=ReturnPeriod(2026, 2))
    assert decide(inv, PENDING, context(date(2026, 9, 1))).warnings == ()
    near = decide(inv, PENDING, context(date(2026, 10, 15)))
    assert near.warnings == ("ITC on this invoice must be claimed by 30-Nov-2026.",)
    late = decide(inv, PENDING, context(date(2026, 12, 1)))
    assert late.allowed
    assert "passed on 30-Nov-2026" in late.warnings[0]


@pytest.mark.parametrize("kind", [RecordKind.CREDIT_NOTE, RecordKind.CREDIT_NOTE_AMENDMENT])
def test_R3_2_old_rule_specified_records_may_not_be_pending(kind: RecordKind) -> None:
    note = record(kind, period=SEP_2025, document_date=date(2025, 9, 15), igst="2000")
    decision = decide(note, PENDING, context(date(2025, 10, 12), original=original_state()))
    assert not decision.allowed
    assert decision.rules == ("R3.2", "R3.6")
    assert "GSTR-2B period Sep-2025 is before Oct-2025" in decision.reason


def test_R3_3_R3_4_E1_credit_note_pending_until_next_3b_due_date() -> None:
    """E1: CN-31 of 2B Oct-2025 may stay pending until 20-Dec-2025, not a day more."""
    note = record(RecordKind.CREDIT_NOTE, number="CN-31")
    on_time = decide(note, PENDING, context(date(2025, 12, 20)))
    assert on_time.allowed
    assert on_time.pending_deadline == date(2025, 12, 20)
    assert on_time.reason == "The credit note may stay pending until 20-Dec-2025."
    late = decide(note, PENDING, context(date(2025, 12, 21)))
    assert not late.allowed
    assert late.reason == "Pending is not allowed for this credit note after 20-Dec-2025."
    assert late.rules == ("R3.4", "R3.5")


def test_R3_4_E2_qrmp_credit_note_pending_until_the_next_quarters_3b() -> None:
    """E2: QRMP recipient, CN of 2B Nov-2025: until 22-Apr-2026 (Maharashtra), 24-Apr (Delhi)."""
    note = record(RecordKind.CREDIT_NOTE, period=ReturnPeriod(2025, 11))
    for group, deadline in ((StateGroup.A, date(2026, 4, 22)), (StateGroup.B, date(2026, 4, 24))):
        ctx = context(date(2026, 4, 1), frequency=FilingFrequency.QUARTERLY, state_group=group)
        assert decide(note, PENDING, ctx).pending_deadline == deadline
        assert pending_deadline(note, ctx) == deadline


def test_R3_4_extended_3b_due_date_extends_the_pending_window() -> None:
    from ims_domain.periods import parse_due_date_overrides

    calendar = GstCalendar(overrides=parse_due_date_overrides('[gstr3b]\n"112025" = 2025-12-27\n'))
    ctx = replace(context(date(2025, 12, 24)), calendar=calendar)
    decision = decide(record(RecordKind.CREDIT_NOTE), PENDING, ctx)
    assert decision.allowed
    assert decision.pending_deadline == date(2025, 12, 27)


def test_R3_5_OQ13_expired_pending_counts_as_deemed_accepted_at_next_generation() -> None:
    note = record(RecordKind.CREDIT_NOTE)
    ctx = context()
    assert action_counted_at_generation(note, Action.PENDING, date(2025, 12, 14), ctx) is (
        Action.PENDING
    )
    assert action_counted_at_generation(note, Action.PENDING, date(2026, 1, 14), ctx) is (
        Action.ACCEPT
    )
    keep = replace(ctx, settings=RulesSettings(pending_expiry_treatment=PendingExpiry.KEEP_PENDING))
    assert action_counted_at_generation(note, Action.PENDING, date(2026, 1, 14), keep) is (
        Action.PENDING
    )
    # An ordinary invoice never expires (R3.1).
    assert action_counted_at_generation(record(), Action.PENDING, date(2027, 1, 14), ctx) is (
        Action.PENDING
    )


@pytest.mark.parametrize(
    ("document_date", "period", "allowed"),
    [
        (date(2025, 9, 15), SEP_2025, False),  # Sep-2025 GSTR-1 filed 11-Oct-2025
        (date(2025, 10, 15), OCT_2025, True),  # Oct-2025 GSTR-1
        (date(2025, 3, 15), OCT_2025, True),  # an old note reported in Oct-2025
        (date(2025, 9, 20), OCT_2025, True),  # Sep-2025 GSTR-1A filed 14-Oct-2025
    ],
)
def test_R3_6_E5_old_or_new_rule_follows_the_2b_period_not_the_document_date(
    document_date: date, period: ReturnPeriod, allowed: bool
) -> None:
    note = record(RecordKind.CREDIT_NOTE, document_date=document_date, period=period)
    assert decide(note, PENDING, context(date(2025, 11, 1))).allowed is allowed


def test_R3_7_portal_flag_is_authoritative_both_ways() -> None:
    blocked_invoice = record(pending_blocked=True)
    decision = decide(blocked_invoice, PENDING, context())
    assert not decision.allowed
    assert decision.rules == ("R3.7",)
    # The flag says Pending is fine even where our own reading (old rule) would refuse it.
    allowed_note = record(RecordKind.CREDIT_NOTE, period=SEP_2025, pending_blocked=False)
    assert decide(allowed_note, PENDING, context(date(2025, 10, 12))).allowed


def test_E9_downward_amendment_after_3b_pending_until_20_feb_2026() -> None:
    """E9: INV-10 lowered from 18,000 to 12,000 in 2B Dec-2025: pending until 20-Feb-2026."""
    lowered = record(
        RecordKind.INVOICE_AMENDMENT,
        number="INV-10A",
        period=ReturnPeriod(2025, 12),
        document_date=date(2025, 12, 20),
        igst="12000",
    )
    original = original_state(Action.ACCEPT, igst="18000", gstr3b_filed=True)
    ctx = context(date(2026, 1, 20), original=original)
    pending = decide(lowered, PENDING, ctx)
    assert pending.specified
    assert pending.pending_deadline == date(2026, 2, 20)
    accepted = decide(lowered, ACCEPT, ctx)
    assert accepted.reason == "Accepting lowers your ITC by ₹6,000.00."


# --- R4: credit notes, declared reductions, remarks --------------------------------------


def test_R4_1_accepting_a_credit_note_lowers_itc_by_its_tax() -> None:
    decision = decide(record(RecordKind.CREDIT_NOTE), ACCEPT, context())
    assert decision.allowed
    assert decision.specified
    assert decision.reason == "Accepting lowers your ITC by ₹1,800.00."
    assert decision.itc_reduction == ItcReduction.full()


def test_R4_1_before_oct_2025_the_full_tax_is_always_removed() -> None:
    note = record(RecordKind.CREDIT_NOTE, period=SEP_2025)
    ctx = context(date(2025, 10, 12))
    assert decide(note, ACCEPT, ctx).itc_reduction == ItcReduction.full()
    nil = ActionRequest(Action.ACCEPT, ItcReduction.none(), remarks="never claimed")
    refused = decide(note, nil, ctx)
    assert not refused.allowed
    assert refused.rules == ("R4.1", "R4.2")


def test_R4_2_E8_declared_partial_reduction() -> None:
    """E8: CN-52 with IGST 1,800; only 1,000 was claimed: declare 1,000 with a remark."""
    note = record(RecordKind.CREDIT_NOTE, number="CN-52", igst="1800")
    partial = ItcReduction.partial(TaxAmounts.of(igst="1000"))
    decision = decide(
        note, ActionRequest(Action.ACCEPT, partial, remarks="claimed 1,000 only"), context()
    )
    assert decision.allowed
    assert decision.itc_reduction == partial
    assert decision.reason == "Accepting lowers your ITC by ₹1,000.00."


def test_R4_2_E8_nil_and_full_declarations() -> None:
    note = record(RecordKind.CREDIT_NOTE, number="CN-52")
    nil = decide(
        note, ActionRequest(Action.ACCEPT, ItcReduction.none(), "never claimed"), context()
    )
    assert nil.itc_reduction == ItcReduction.none()
    assert nil.reason == "Accepting lowers your ITC by ₹0.00."
    everything = ItcReduction.partial(TaxAmounts.of(igst="1800"))
    full = decide(note, ActionRequest(Action.ACCEPT, everything, "all"), context())
    assert full.itc_reduction == ItcReduction.full()


def test_R4_2_declared_amounts_are_clamped_to_the_records_tax() -> None:
    note = record(RecordKind.CREDIT_NOTE, igst="0", cgst="900", sgst="900")
    too_much = ItcReduction.partial(TaxAmounts.of(cgst="2000", sgst="2000", igst="50"))
    decision = decide(note, ActionRequest(Action.ACCEPT, too_much, "x"), context())
    assert decision.allowed
    assert decision.itc_reduction == ItcReduction.full()
    assert decision.warnings == (
        "The declared reduction was lowered to the record's tax: ₹1,800.00.",
    )


def test_R4_2_R8_6_declared_cgst_must_equal_sgst() -> None:
    note = record(RecordKind.CREDIT_NOTE, igst="0", cgst="900", sgst="900")
    skewed = ItcReduction.partial(TaxAmounts.of(cgst="500", sgst="400"))
    decision = decide(note, ActionRequest(Action.ACCEPT, skewed, "x"), context())
    assert not decision.allowed
    assert decision.reason == "Declared CGST (₹500.00) and SGST (₹400.00) must be equal."


def test_R4_2_negative_declaration_is_refused() -> None:
    negative = ItcReduction.partial(TaxAmounts.of(igst="-1"))
    decision = decide(
        record(RecordKind.CREDIT_NOTE), ActionRequest(Action.ACCEPT, negative, "x"), context()
    )
    assert not decision.allowed
    assert "negative" in decision.reason


def test_R4_2_declaration_only_on_specified_records() -> None:
    nil = ActionRequest(Action.ACCEPT, ItcReduction.none(), "x")
    decision = decide(record(), nil, context())
    assert not decision.allowed
    assert decision.rules == ("R4.2",)
    # Full on an invoice is simply the ordinary accept.
    assert decide(record(), ActionRequest(Action.ACCEPT, ItcReduction.full()), context()).allowed


def test_R4_2_OQ10_partial_or_nil_needs_a_remark_unless_the_setting_is_off() -> None:
    note = record(RecordKind.CREDIT_NOTE)
    bare = ActionRequest(Action.ACCEPT, ItcReduction.none())
    refused = decide(note, bare, context())
    assert not refused.allowed
    assert refused.rules == ("R4.2", "OQ10")
    relaxed = replace(context(), settings=RulesSettings(remark_required_for_partial_or_nil=False))
    assert decide(note, bare, relaxed).allowed


def test_R4_3_OQ9_remarks_are_capped() -> None:
    long = ActionRequest(Action.REJECT, remarks="x" * 201)
    decision = decide(record(), long, context())
    assert not decision.allowed
    assert decision.reason == "Remarks are limited to 200 characters (these have 201)."
    assert decide(record(), ActionRequest(Action.REJECT, remarks="x" * 200), context()).allowed


def test_R4_4_E7_rejecting_a_credit_note_tells_the_supplier_add_back() -> None:
    """E7: CN-40 with IGST 9,000 rejected: ITC kept, 9,000 added back to the supplier's tax.

    OQ2: no supplier period or table is named, only "a later GSTR-3B".
    """
    note = record(RecordKind.CREDIT_NOTE, number="CN-40", igst="9000")
    decision = decide(note, REJECT, context())
    assert decision.allowed
    assert decision.reason == (
        "Rejecting this credit note keeps your ITC; ₹9,000.00 is added back to the supplier's "
        "tax in a later GSTR-3B."
    )
    assert decision.rules == ("R4.4",)


def test_R4_5_E7_after_3b_a_wrong_rejection_is_only_fixed_by_the_supplier() -> None:
    note = record(RecordKind.CREDIT_NOTE, number="CN-40", igst="9000")
    ctx = context(date(2025, 11, 25), current_action=Action.REJECT, gstr3b_filed=True)
    decision = decide(note, ACCEPT, ctx)
    assert not decision.allowed
    assert "supplier re-reporting it" in decision.reason
    # The re-reported note (an amendment, original rejected) can then be accepted (R4.5 (b)).
    again = record(RecordKind.CREDIT_NOTE_AMENDMENT, number="CN-40", igst="9000")
    ctx = context(date(2025, 12, 5), original=original_state(Action.REJECT, igst="9000"))
    accepted = decide(again, ACCEPT, ctx)
    assert accepted.reason == "Accepting lowers your ITC by ₹9,000.00."


def test_R5_6_an_amendment_can_be_acted_on_whatever_its_originals_state() -> None:
    amendment = record(RecordKind.INVOICE_AMENDMENT, igst="2000")
    for state in Action:
        ctx = context(original=original_state(state, igst="1000", gstr3b_filed=False))
        assert decide(amendment, ACCEPT, ctx).allowed


def test_reset_returns_to_no_action() -> None:
    decision = decide(record(), RESET, context(current_action=Action.REJECT))
    assert decision.allowed
    assert decision.reason == "The invoice goes back to no action."


def test_reduction_mode_values_are_stable() -> None:
    assert [m.value for m in ReductionMode] == ["full", "none", "partial"]


def test_R5_3_accepting_a_non_specified_downward_amendment_says_it_lowers_itc() -> None:
    """Original accepted but its 3B not filed: not specified (R3.2 (4)), yet ITC still drops."""
    lowered = record(RecordKind.INVOICE_AMENDMENT, igst="1000")
    ctx = context(original=original_state(Action.ACCEPT, igst="1800", gstr3b_filed=False))
    decision = decide(lowered, ACCEPT, ctx)
    assert not decision.specified
    assert decision.reason == "Accepting lowers your ITC by ₹800.00."
