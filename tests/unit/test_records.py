"""Record kinds, identity, amounts and the specified-record classes (R1.2, R2.1, R3.2, R5.x)."""

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ims_domain.errors import ImsDomainError
from ims_domain.money import TaxAmounts, format_date, format_inr, to_rupees
from ims_domain.periods import FinancialYear
from ims_domain.records import (
    Action,
    FilingStatus,
    OriginalRef,
    RecordKey,
    RecordKind,
    is_specified,
    itc_effect,
    reduction_base,
)
from tests.builders import RECIPIENT, SUPPLIER, original_state, record


def test_R1_2_R1_5_R8_3_kinds_are_the_twelve_api_sections() -> None:
    assert [kind.value for kind in RecordKind] == [
        "b2b", "b2ba", "b2bdn", "b2bdna", "b2bcn", "b2bcna",
        "ecom", "ecoma", "impg", "impga", "impgsez", "impgseza",
    ]  # fmt: skip
    assert RecordKind.CREDIT_NOTE_AMENDMENT.original_kind is RecordKind.CREDIT_NOTE
    assert RecordKind.SEZ_BILL_OF_ENTRY_AMENDMENT.is_import
    assert RecordKind.CREDIT_NOTE_AMENDMENT.is_credit_note
    assert not RecordKind.DEBIT_NOTE.is_credit_note
    assert {k for k in RecordKind if k.is_amendment} == {
        RecordKind(code) for code in ("b2ba", "b2bdna", "b2bcna", "ecoma", "impga", "impgseza")
    }


def test_R2_1_four_states_with_api_codes() -> None:
    assert [a.value for a in Action] == ["N", "A", "R", "P"]
    assert Action.NO_ACTION.label == "no action"


def test_identity_key_is_case_insensitive_and_per_financial_year() -> None:
    """architecture.md: supplier + recipient + kind + upper(number) + FY of the document date."""
    a = RecordKey.of(
        supplier=SUPPLIER.lower(),
        recipient=RECIPIENT,
        kind=RecordKind.INVOICE,
        number=" inv/1 ",
        document_date=date(2026, 3, 31),
    )
    b = RecordKey.of(
        supplier=SUPPLIER,
        recipient=RECIPIENT,
        kind=RecordKind.INVOICE,
        number="INV/1",
        document_date=date(2025, 4, 1),
    )
    c = RecordKey.of(
        supplier=SUPPLIER,
        recipient=RECIPIENT,
        kind=RecordKind.INVOICE,
        number="INV/1",
        document_date=date(2026, 4, 1),
    )
    assert a == b
    assert a.financial_year == FinancialYear(2025)
    assert a != c  # series restart each April: same number, next FY, another record
    assert a.text == f"{SUPPLIER}|{RECIPIENT}|b2b|INV/1|2025-26"


def test_empty_document_number_is_refused() -> None:
    with pytest.raises(ImsDomainError, match="document number is empty"):
        record(number="  ")


def test_R5_2_amendment_links_to_its_original_by_number_and_date() -> None:
    amended = record(
        RecordKind.CREDIT_NOTE_AMENDMENT,
        number="CN-9A",
        original=OriginalRef(number="cn-9", document_date=date(2025, 3, 30)),
    )
    assert amended.original_key == RecordKey.of(
        supplier=SUPPLIER,
        recipient=RECIPIENT,
        kind=RecordKind.CREDIT_NOTE,
        number="CN-9",
        document_date=date(2025, 3, 30),
    )
    assert record().original_key is None


def test_amendment_needs_an_original_and_an_original_cannot_name_one() -> None:
    with pytest.raises(ImsDomainError, match="not an amendment"):
        record(RecordKind.INVOICE, original=OriginalRef("X", date(2025, 1, 1)))


def test_amounts_are_exact_decimals_and_floats_are_refused() -> None:
    taxes = TaxAmounts.of(igst="0.1") + TaxAmounts.of(igst="0.2")
    assert taxes.igst == Decimal("0.30")
    with pytest.raises(ImsDomainError, match="not a float"):
        to_rupees(0.1)  # type: ignore[arg-type]
    with pytest.raises(ImsDomainError, match="not a number"):
        to_rupees("12,00")
    with pytest.raises(ImsDomainError, match="not a finite"):
        to_rupees("NaN")


def test_filing_status_reads_portal_spellings() -> None:
    assert FilingStatus.parse("Filed") is FilingStatus.FILED
    assert FilingStatus.parse("Not Filed") is FilingStatus.NOT_FILED
    assert FilingStatus.parse("nf") is FilingStatus.NOT_FILED
    with pytest.raises(ImsDomainError, match="'maybe'"):
        FilingStatus.parse("maybe")


def test_indian_money_and_date_formats() -> None:
    assert format_inr(Decimal("123456")) == "₹1,23,456.00"
    assert format_inr(Decimal("12345678.5")) == "₹1,23,45,678.50"
    assert format_inr(Decimal("999")) == "₹999.00"
    assert format_inr(Decimal("-1800")) == "-₹1,800.00"
    assert format_date(date(2025, 11, 14)) == "14-Nov-2025"


@given(st.decimals(min_value=-(10**12), max_value=10**12, places=2, allow_nan=False))
def test_format_inr_keeps_every_digit(amount: Decimal) -> None:
    text = format_inr(amount)
    assert Decimal(text.replace("₹", "").replace(",", "")) == amount


# --- R3.2: the five classes of specified record -------------------------------------------


def test_R3_2_1_original_credit_note_is_specified() -> None:
    assert is_specified(record(RecordKind.CREDIT_NOTE), None)


@pytest.mark.parametrize("original_action", list(Action))
def test_R3_2_2_credit_note_amendment_raising_value_is_specified_whatever_the_original(
    original_action: Action,
) -> None:
    amended = record(RecordKind.CREDIT_NOTE_AMENDMENT, igst="2000")
    assert is_specified(amended, original_state(original_action, igst="1800"))


def test_R3_2_3_credit_note_amendment_lowering_value_specified_only_if_original_rejected() -> None:
    amended = record(RecordKind.CREDIT_NOTE_AMENDMENT, igst="1000")
    assert is_specified(amended, original_state(Action.REJECT, igst="1800"))
    assert not is_specified(amended, original_state(Action.ACCEPT, igst="1800"))


@pytest.mark.parametrize("kind", [RecordKind.INVOICE_AMENDMENT, RecordKind.DEBIT_NOTE_AMENDMENT])
def test_R3_2_4_downward_invoice_amendment_after_accepted_and_filed_is_specified(
    kind: RecordKind,
) -> None:
    lowered = record(kind, igst="12000")
    assert is_specified(lowered, original_state(Action.ACCEPT, igst="18000", gstr3b_filed=True))
    # Not specified: original's 3B not filed, original rejected, or the value goes up.
    assert not is_specified(
        lowered, original_state(Action.ACCEPT, igst="18000", gstr3b_filed=False)
    )
    assert not is_specified(lowered, original_state(Action.REJECT, igst="18000"))
    assert not is_specified(record(kind, igst="20000"), original_state(igst="18000"))


def test_R3_2_5_downward_eco_amendment_is_specified_under_the_same_condition() -> None:
    lowered = record(RecordKind.ECO_DOCUMENT_AMENDMENT, igst="100")
    assert is_specified(lowered, original_state(Action.ACCEPT, igst="180"))
    assert not is_specified(lowered, original_state(Action.PENDING, igst="180"))


def test_R3_2_deemed_original_counts_as_accepted() -> None:
    """R2.3: an untouched original was deemed accepted when its 2B was generated."""
    lowered = record(RecordKind.INVOICE_AMENDMENT, igst="100")
    assert is_specified(lowered, original_state(Action.NO_ACTION, igst="180"))


def test_R3_2_invoices_debit_notes_eco_and_imports_are_never_specified() -> None:
    for kind in (
        RecordKind.INVOICE,
        RecordKind.DEBIT_NOTE,
        RecordKind.ECO_DOCUMENT,
        RecordKind.BILL_OF_ENTRY,
        RecordKind.SEZ_BILL_OF_ENTRY_AMENDMENT,
    ):
        assert not is_specified(record(kind), original_state(igst="5000"))


def test_OQ7_amendment_without_original_in_store_stands_alone() -> None:
    assert is_specified(record(RecordKind.CREDIT_NOTE_AMENDMENT), None)
    assert not is_specified(record(RecordKind.INVOICE_AMENDMENT), None)
    assert itc_effect(record(RecordKind.INVOICE_AMENDMENT, igst="500"), None).igst == 500


def test_R5_3_amendment_of_accepted_original_carries_the_difference() -> None:
    """E9: INV-10 accepted at IGST 18,000, amended to 12,000: accepting removes 6,000."""
    lowered = record(RecordKind.INVOICE_AMENDMENT, number="INV-10", igst="12000")
    original = original_state(Action.ACCEPT, igst="18000")
    assert itc_effect(lowered, original) == TaxAmounts.of(igst="-6000")
    assert reduction_base(lowered, original) == TaxAmounts.of(igst="6000")


def test_R5_3_amendment_of_rejected_original_brings_the_full_amended_value() -> None:
    amended = record(RecordKind.INVOICE_AMENDMENT, igst="12000")
    assert itc_effect(amended, original_state(Action.REJECT, igst="18000")).igst == 12000
    note = record(RecordKind.CREDIT_NOTE_AMENDMENT, igst="1000")
    assert reduction_base(note, original_state(Action.REJECT, igst="1800")).igst == 1000


def test_R4_1_credit_note_reduction_base_is_its_tax() -> None:
    note = record(RecordKind.CREDIT_NOTE, cgst="450", sgst="450", igst="0")
    assert reduction_base(note, None) == TaxAmounts.of(cgst="450", sgst="450")
    assert itc_effect(note, None) == TaxAmounts.of(cgst="-450", sgst="-450")


def test_R1_6_OQ1_isd_records_are_not_an_actionable_kind() -> None:
    """OQ1 (`ims.isd_actions_enabled = false`): ISD sections are not among the kinds we act on."""
    for section in ("isd", "isda", "isdcn", "isdcna"):
        with pytest.raises(ValueError, match="is not a valid RecordKind"):
            RecordKind(section)
