"""The draft GSTR-2B: placement of every state (R2.2), reductions (R4.1, R4.2), add-backs (R4.4)."""

from datetime import date
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from ims_domain.actions import ItcReduction
from ims_domain.gstr2b import (
    Gstr2bEntry,
    Placement,
    Status,
    draft_gstr2b,
    gstr2b_generation_date,
    landing_period,
)
from ims_domain.money import NO_TAX, TaxAmounts, sum_taxes
from ims_domain.periods import FilingFrequency, ReturnPeriod
from ims_domain.records import Action, RecordKind
from tests.builders import RECIPIENT, SUPPLIER, original_state, record

OCT, NOV, DEC = ReturnPeriod(2025, 10), ReturnPeriod(2025, 11), ReturnPeriod(2025, 12)


def _draft(*entries: Gstr2bEntry, period: ReturnPeriod = OCT):
    return draft_gstr2b(recipient=RECIPIENT, period=period, entries=entries)


def test_R2_2_every_state_has_its_place() -> None:
    draft = _draft(
        Gstr2bEntry(record(number="A", igst="100"), Action.ACCEPT),
        Gstr2bEntry(record(number="N", igst="200"), Action.NO_ACTION),
        Gstr2bEntry(record(number="D", igst="300"), Action.ACCEPT, deemed=True),
        Gstr2bEntry(record(number="R", igst="400"), Action.REJECT),
        Gstr2bEntry(record(number="P", igst="500"), Action.PENDING),
    )
    assert draft.itc_available == TaxAmounts.of(igst="600")
    assert draft.itc_rejected == TaxAmounts.of(igst="400")
    assert draft.pending == TaxAmounts.of(igst="500")
    assert draft.credit_note_reduction == NO_TAX
    assert draft.counts == {
        Status.ACCEPTED: 1,
        Status.DEEMED: 1,
        Status.REJECTED: 1,
        Status.PENDING: 1,
        Status.NO_ACTION: 1,
    }


def test_R2_3_R2_8_with_no_actions_at_all_everything_is_itc_available() -> None:
    entries = [Gstr2bEntry(record(number=f"I{i}", igst="18"), Action.NO_ACTION) for i in range(7)]
    draft = _draft(*entries)
    assert draft.itc_available == TaxAmounts.of(igst="126")
    assert draft.net_itc == draft.itc_available


def test_R4_1_accepted_credit_note_reduces_in_full_and_OQ11_silence_reduces_in_full() -> None:
    note = record(RecordKind.CREDIT_NOTE, number="CN-1", cgst="450", sgst="450", igst="0")
    nil = ItcReduction.none()
    explicit = _draft(Gstr2bEntry(note, Action.ACCEPT))
    assert explicit.credit_note_reduction == TaxAmounts.of(cgst="450", sgst="450")
    # A declaration stored on a record that was only deemed accepted does not count (OQ11).
    deemed = _draft(Gstr2bEntry(note, Action.ACCEPT, deemed=True, itc_reduction=nil))
    assert deemed.credit_note_reduction == TaxAmounts.of(cgst="450", sgst="450")


def test_R4_2_E8_declared_reduction_goes_to_2b() -> None:
    """E8: CN-52 (IGST 1,800) accepted with 1,000 declared: the 2B reduces 1,000."""
    note = record(RecordKind.CREDIT_NOTE, number="CN-52", igst="1800")
    declared = ItcReduction.partial(TaxAmounts.of(igst="1000"))
    draft = _draft(
        Gstr2bEntry(record(igst="5000"), Action.ACCEPT),
        Gstr2bEntry(note, Action.ACCEPT, itc_reduction=declared),
    )
    assert draft.credit_note_reduction == TaxAmounts.of(igst="1000")
    assert draft.net_itc == TaxAmounts.of(igst="4000")
    nil = _draft(Gstr2bEntry(note, Action.ACCEPT, itc_reduction=ItcReduction.none()))
    assert nil.credit_note_reduction == NO_TAX


def test_R4_4_E7_rejected_credit_note_adds_back_to_the_supplier_only() -> None:
    """E7: CN-40 (IGST 9,000) rejected: recipient's ITC untouched, supplier +9,000."""
    note = record(RecordKind.CREDIT_NOTE, number="CN-40", igst="9000")
    draft = _draft(Gstr2bEntry(note, Action.REJECT))
    assert draft.credit_note_reduction == NO_TAX
    assert draft.itc_rejected == NO_TAX
    assert draft.supplier_add_back == {SUPPLIER: TaxAmounts.of(igst="9000")}


def test_R5_3_E9_downward_amendment_reduces_by_the_difference() -> None:
    lowered = record(RecordKind.INVOICE_AMENDMENT, number="INV-10", igst="12000", period=DEC)
    entry = Gstr2bEntry(lowered, Action.ACCEPT, original=original_state(igst="18000"))
    draft = _draft(entry, period=DEC)
    assert draft.credit_note_reduction == TaxAmounts.of(igst="6000")
    assert draft.net_itc == TaxAmounts.of(igst="-6000")


def test_R5_3_upward_amendment_adds_the_difference() -> None:
    raised = record(RecordKind.INVOICE_AMENDMENT, igst="2500")
    entry = Gstr2bEntry(raised, Action.ACCEPT, original=original_state(igst="1800"))
    assert _draft(entry).itc_available == TaxAmounts.of(igst="700")


def test_sections_carry_their_own_totals_and_counts() -> None:
    draft = _draft(
        Gstr2bEntry(record(number="I1", igst="100"), Action.ACCEPT),
        Gstr2bEntry(record(number="I2", igst="50"), Action.REJECT),
        Gstr2bEntry(record(RecordKind.DEBIT_NOTE, number="D1", igst="30"), Action.ACCEPT),
    )
    sections = draft.sections
    assert sections[RecordKind.INVOICE].count == 2
    assert sections[RecordKind.INVOICE].amounts[Placement.ITC_AVAILABLE].igst == 100
    assert sections[RecordKind.INVOICE].amounts[Placement.ITC_REJECTED].igst == 50
    assert sections[RecordKind.DEBIT_NOTE].amounts[Placement.ITC_AVAILABLE].igst == 30


def test_R1_9_other_periods_and_unfiled_records_are_left_out() -> None:
    draft = _draft(
        Gstr2bEntry(record(number="OCT"), Action.ACCEPT),
        Gstr2bEntry(record(number="NOV", period=NOV), Action.ACCEPT),
        Gstr2bEntry(record(number="UNFILED", period=None), Action.ACCEPT),
    )
    assert [line.record.number for line in draft.lines] == ["OCT"]


def test_OQ12_qrmp_draft_covers_the_whole_quarter() -> None:
    entries = [Gstr2bEntry(record(number=p.code, period=p), Action.ACCEPT) for p in (OCT, NOV, DEC)]
    entries.append(Gstr2bEntry(record(number="JAN", period=ReturnPeriod(2026, 1)), Action.ACCEPT))
    draft = draft_gstr2b(
        recipient=RECIPIENT, period=NOV, entries=entries, frequency=FilingFrequency.QUARTERLY
    )
    assert draft.period == DEC
    assert len(draft.lines) == 3


def test_E1_pending_credit_note_accepted_later_lands_in_the_open_period() -> None:
    """E1: CN-31 of 2B Oct-2025 pending past 3B(Oct); accepted 5-Dec: reduces the Nov-2025 2B."""
    note = record(RecordKind.CREDIT_NOTE, number="CN-31")
    assert landing_period(OCT, first_open_period=NOV) == NOV
    assert landing_period(OCT, first_open_period=OCT) == OCT  # acted before 3B(Oct): recompute
    entry = Gstr2bEntry(note, Action.ACCEPT, period=landing_period(OCT, first_open_period=NOV))
    assert _draft(entry, period=OCT).lines == ()
    assert _draft(entry, period=NOV).credit_note_reduction == TaxAmounts.of(igst="1800")


def test_R2_7_E11_2b_waits_for_the_previous_3b() -> None:
    """E11: 3B(Oct-2025) unfiled on 14-Dec: no Nov-2025 2B until it is filed.

    R6.7: this and the recompute of R2.5 are the only ties between IMS and GSTR-3B.
    """
    scheduled = date(2025, 12, 14)
    assert gstr2b_generation_date(scheduled, previous_gstr3b_filed_on=None) is None
    assert gstr2b_generation_date(scheduled, date(2025, 12, 18)) == date(2025, 12, 18)
    assert gstr2b_generation_date(scheduled, date(2025, 11, 20)) == scheduled


_amounts = st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False)
_kinds = st.sampled_from([k for k in RecordKind if not k.is_amendment])


@given(st.lists(st.tuples(_kinds, st.sampled_from(list(Action)), _amounts, _amounts), max_size=40))
def test_totals_are_the_exact_sum_of_the_lines(rows: list[tuple]) -> None:
    entries = [
        Gstr2bEntry(record(kind, number=f"D{i}", igst=str(igst), cess=str(cess)), action)
        for i, (kind, action, igst, cess) in enumerate(rows)
        if not (kind.is_import and action is Action.REJECT)
    ]
    draft = _draft(*entries)
    for placement in Placement:
        assert draft.total(placement) == sum_taxes(
            [line.amount for line in draft.lines if line.placement is placement]
        )
    assert sum(draft.counts.values()) == len(entries)
    everything = sum_taxes([line.amount for line in draft.lines])
    assert everything.total == sum((draft.total(p).total for p in Placement), start=Decimal(0))
