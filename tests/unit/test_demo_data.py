"""Demo data: deterministic, valid GSTINs and numbers, real tax splits, a realistic mix."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date
from decimal import Decimal

import pytest

from ims_domain.formats.demo import DemoData, demo_records
from ims_domain.gstin import STATE_CODES, parse_gstin
from ims_domain.periods import NEW_PENDING_RULES_FROM, FinancialYear, ReturnPeriod
from ims_domain.records import Action, FilingStatus, RecordKind

NUMBER = re.compile(r"[A-Z0-9/-]{1,16}")
PORT = re.compile(r"IN[A-Z]{3}[0-9A-Z]")
RATES = (5, 12, 18, 28, 40)
COUNT = 6000


@pytest.fixture(scope="module")
def demo() -> DemoData:
    return demo_records(recipients=7, suppliers=150, records=COUNT, seed=42)


def test_the_same_seed_gives_the_same_data_and_another_seed_other_data(demo: DemoData) -> None:
    again = demo_records(recipients=7, suppliers=150, records=COUNT, seed=42)
    assert again == demo
    other = demo_records(recipients=7, suppliers=150, records=COUNT, seed=43)
    assert other.records != demo.records
    assert other.recipients != demo.recipients


def test_counts_add_up(demo: DemoData) -> None:
    assert len(demo.recipients) == 7
    assert len(demo.suppliers) == 150
    assert len(demo.records) == COUNT
    keys = [r.record.key.text for r in demo.records]
    assert len(set(keys)) == COUNT
    recipients = {r.gstin for r in demo.recipients}
    suppliers = {s.gstin for s in demo.suppliers}
    assert len(recipients | suppliers) == 7 + 150
    for reported in demo.records:
        key = reported.record.key
        assert key.recipient in recipients
        assert key.supplier in suppliers or reported.record.kind is RecordKind.BILL_OF_ENTRY
    assert sum(len(demo.records_for(g)) for g in recipients) == COUNT


def test_gst_formats_5_every_gstin_is_valid_with_a_fitting_pan(demo: DemoData) -> None:
    for business in (*demo.recipients, *demo.suppliers):
        gstin = parse_gstin(business.gstin, strict=True, check_holder_type=True)
        assert gstin.has_ims
    for recipient in demo.recipients:
        assert recipient.state == STATE_CODES[recipient.state_code]
    for reported in demo.records:
        key = reported.record.key
        parse_gstin(key.recipient, strict=True)
        if reported.record.kind is RecordKind.BILL_OF_ENTRY:
            assert PORT.fullmatch(key.supplier)
        else:
            parse_gstin(key.supplier, strict=True)


def test_gst_formats_6_document_numbers_follow_rule_46(demo: DemoData) -> None:
    for reported in demo.records:
        record = reported.record
        numbers = [record.number] + ([record.original.number] if record.original else [])
        for number in numbers:
            assert NUMBER.fullmatch(number), number
            assert number.strip("0")


def test_dates_fall_in_the_financial_year(demo: DemoData) -> None:
    fy = FinancialYear(2025)
    for reported in demo.records:
        assert FinancialYear.of(reported.record.document_date) == fy
    bills = [r.record for r in demo.records if r.record.kind.is_import]
    assert bills
    assert all(bill.document_date >= date(2025, 10, 1) for bill in bills)  # R1.5


def test_gst_formats_9_and_10_tax_split_by_place_of_supply_at_real_rates(demo: DemoData) -> None:
    for reported in demo.records:
        record = reported.record
        taxes, taxable = record.taxes, record.taxable_value
        assert Decimal(500) <= taxable <= Decimal(500000)
        if record.kind.is_import:
            assert record.place_of_supply is None
            assert taxes.cgst == taxes.sgst == 0
            rate_tax = taxes.igst
        elif record.key.supplier[:2] == record.place_of_supply:
            assert taxes.igst == 0
            assert taxes.cgst == taxes.sgst > 0
            rate_tax = taxes.cgst * 2
        else:
            assert taxes.cgst == taxes.sgst == 0
            assert taxes.igst > 0
            rate_tax = taxes.igst
        assert record.place_of_supply in (None, record.key.recipient[:2])
        assert any(abs(rate_tax - taxable * rate / 100) <= Decimal("0.01") for rate in RATES)
        assert abs(record.value - (taxable + taxes.total)) <= Decimal("0.50")
    intra = sum(1 for r in demo.records if r.record.taxes.cgst > 0)
    assert 0.2 * COUNT < intra < 0.8 * COUNT
    assert any(r.record.taxes.cess > 0 for r in demo.records)
    rates_seen = {
        rate
        for r in demo.records
        for rate in RATES
        if abs(r.record.taxes.igst - r.record.taxable_value * rate / 100) <= Decimal("0.01")
        and r.record.taxes.igst > 0
    }
    assert rates_seen == set(RATES)


def test_R5_2_every_amendment_names_a_filed_original_in_the_set_with_another_value(
    demo: DemoData,
) -> None:
    by_key = {r.record.key: r.record for r in demo.records}
    amendments = [r.record for r in demo.records if r.record.kind.is_amendment]
    assert amendments
    for amendment in amendments:
        key = amendment.original_key
        assert key is not None
        original = by_key[key]
        assert original.filing_status is FilingStatus.FILED
        assert amendment.taxable_value != original.taxable_value
        assert amendment.value != original.value
        assert amendment.supplier_period is not None and original.supplier_period is not None
        assert amendment.supplier_period > original.supplier_period


def test_kinds_mix_is_realistic(demo: DemoData) -> None:
    kinds = Counter(r.record.kind for r in demo.records)
    share = {kind: count / COUNT for kind, count in kinds.items()}
    assert 0.80 < share[RecordKind.INVOICE] < 0.90
    assert 0.06 < share[RecordKind.CREDIT_NOTE] < 0.10
    assert 0.025 < share[RecordKind.DEBIT_NOTE] < 0.055
    amendments = sum(count for kind, count in kinds.items() if kind.is_amendment)
    assert amendments == COUNT * 2 // 100
    assert 0.005 < share[RecordKind.ECO_DOCUMENT] < 0.02
    assert 0 < kinds[RecordKind.BILL_OF_ENTRY] < 0.01 * COUNT
    assert kinds[RecordKind.INVOICE_AMENDMENT] > 0


def test_R6_3_R1_9_two_b_periods_follow_filing_and_unfiled_records_have_none(
    demo: DemoData,
) -> None:
    statuses = Counter(r.record.filing_status for r in demo.records)
    assert 0.01 * COUNT < statuses[FilingStatus.NOT_FILED] < 0.15 * COUNT
    late = 0
    for reported in demo.records:
        record = reported.record
        if record.filing_status is FilingStatus.NOT_FILED:
            assert record.two_b_period is None
            continue
        assert record.two_b_period is not None
        if record.kind.is_import:
            assert record.two_b_period == ReturnPeriod.of(record.document_date)
            continue
        assert record.supplier_period is not None
        # Filed after the return period ends: the 2B period is never before the return's.
        assert (
            record.two_b_period >= record.supplier_period >= ReturnPeriod.of(record.document_date)
        )
        late += record.two_b_period > record.supplier_period
    assert late > 0  # some suppliers file after the cut-off


def test_portal_actions_are_mostly_absent_or_no_action(demo: DemoData) -> None:
    actions = Counter(r.portal_action for r in demo.records)
    assert (actions[None] + actions[Action.NO_ACTION]) / COUNT > 0.75
    for action in (Action.ACCEPT, Action.REJECT, Action.PENDING):
        assert actions[action] > 0
    for reported in demo.records:
        record = reported.record
        if record.kind.is_import:
            assert reported.portal_action is not Action.REJECT  # R1.5
        if record.kind.is_credit_note and reported.portal_action is Action.PENDING:
            assert record.two_b_period is not None
            assert record.two_b_period >= NEW_PENDING_RULES_FROM  # R3.2, R3.3
        assert reported.portal_hash is not None and len(reported.portal_hash) == 64


def test_another_financial_year_and_a_small_set() -> None:
    demo = demo_records(recipients=1, suppliers=1, records=40, seed=1, financial_year=2024)
    assert len(demo.records) == 40
    assert {FinancialYear.of(r.record.document_date) for r in demo.records} == {FinancialYear(2024)}
    assert not any(r.record.kind.is_import for r in demo.records)  # before Oct-2025, R1.5
    assert demo_records(recipients=1, suppliers=1, records=0, seed=1).records == ()


def test_demo_data_needs_businesses() -> None:
    with pytest.raises(ValueError, match="at least one"):
        demo_records(recipients=0, suppliers=3, records=10, seed=1)
