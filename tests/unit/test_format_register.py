"""The purchase register template (docs/purchase-register.md): headers, cells, row problems."""

from __future__ import annotations

import contextlib
import re
import string
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ims_domain.formats.common import FileFormat, FormatError, ParsedFile, RowError
from ims_domain.formats.register import (
    parse_register_csv,
    parse_register_rows,
    write_register_csv,
)
from ims_domain.formats.register_columns import COLUMNS, REGISTER_HEADERS
from ims_domain.formats.register_fields import FLOAT_TOLERANCE, KIND_NAMES, cell_amount
from ims_domain.gstin import STATE_CODES, check_character
from ims_domain.money import TaxAmounts
from ims_domain.periods import ReturnPeriod
from ims_domain.records import (
    FilingStatus,
    OriginalRef,
    Record,
    RecordKey,
    RecordKind,
    ReportedRecord,
    RowProblem,
)
from ims_domain.text_limits import NAME_MAX
from tests.builders import RECIPIENT, SUPPLIER

DOCS = Path(__file__).resolve().parents[2] / "docs" / "purchase-register.md"
LOCAL_SUPPLIER = "27AAEFS4321K1Z5"  # Maharashtra, like RECIPIENT
HEADER = [
    "Supplier GSTIN", "Supplier name", "Document type", "Document number", "Document date",
    "Taxable value", "IGST", "CGST", "SGST", "Cess", "Document value", "Place of supply",
    "Reverse charge", "Original number", "Original date", "Return period",
]  # fmt: skip


def row(**cells: object) -> list[object]:
    """A template row with a valid inter-state invoice, overridden by `cells` (by header)."""
    base: dict[str, object] = {
        "Supplier GSTIN": SUPPLIER,
        "Supplier name": "Bharat Steel Pvt Ltd",
        "Document type": "Invoice",
        "Document number": "KA/25-26/0412",
        "Document date": "18-10-2025",
        "Taxable value": "100000.00",
        "IGST": "18000.00",
        "CGST": "",
        "SGST": "",
        "Cess": "",
        "Document value": "118000.00",
        "Place of supply": "27",
        "Reverse charge": "N",
        "Original number": "",
        "Original date": "",
        "Return period": "102025",
    }
    base.update({key.replace("_", " "): value for key, value in cells.items()})
    return [base[name] for name in HEADER]


def parse(*rows: list[object], header: list[object] | None = None) -> ParsedFile:
    return parse_register_rows([header or HEADER, *rows], gstin=RECIPIENT, sheet="Sheet1")


def only_record(parsed: ParsedFile) -> Record:
    assert [p for p in parsed.problems if p.refused] == []
    assert len(parsed.records) == 1
    return parsed.records[0].record


# ---------------------------------------------------------------------------------- headers


def test_a_template_row_becomes_a_register_record_for_the_recipient() -> None:
    parsed = parse(row())
    assert parsed.format is FileFormat.PURCHASE_REGISTER
    assert parsed.gstin == RECIPIENT
    assert parsed.problems == ()
    reported = parsed.records[0]
    assert reported.supplier_name == "Bharat Steel Pvt Ltd"
    assert reported.portal_action is None
    assert reported.record == Record(
        key=RecordKey.of(
            supplier=SUPPLIER,
            recipient=RECIPIENT,
            kind=RecordKind.INVOICE,
            number="KA/25-26/0412",
            document_date=date(2025, 10, 18),
        ),
        document_date=date(2025, 10, 18),
        value=Decimal("118000.00"),
        taxable_value=Decimal("100000.00"),
        taxes=TaxAmounts.of(igst="18000"),
        two_b_period=None,
        source_form="register",
        filing_status=FilingStatus.FILED,
        place_of_supply="27",
        supplier_period=ReturnPeriod(2025, 10),
    )


def test_every_documented_spelling_reads_as_its_column_whatever_case_space_or_unit() -> None:
    for column in COLUMNS:
        for spelling in column.aliases + column.generic:
            variants = {
                spelling,
                spelling.upper(),
                f"  {spelling.lower()} ",
                spelling.replace(" ", "_"),
                f"{spelling} (₹)",
                f"{spelling} in Rs.",
            }
            for variant in variants:
                header = [variant if h == column.header else h for h in HEADER]
                parsed = parse(row(), header=header)
                assert (parsed.problems, parsed.notes) == ((), ()), variant
                assert len(parsed.records) == 1


@pytest.mark.parametrize(
    "headers",
    [
        # The portal's GSTR-2B Excel, B2B sheet.
        [
            "GSTIN of supplier", "Trade/Legal name", "Invoice number", "Invoice Date",
            "Taxable Value (₹)", "Integrated Tax(₹)", "Central Tax(₹)", "State/UT Tax(₹)",
            "Cess(₹)", "Invoice Value(₹)", "Place of supply", "Supply Attract Reverse Charge",
        ],
        # A typical accounting export.
        [
            "GSTIN/UIN of Supplier", "Party Name", "Inv No.", "Inv Date", "Taxable Amt",
            "IGST Amount", "CGST Amount", "SGST Amount", "Cess Amount", "Total", "POS", "RCM",
        ],
        [
            "Supplier GSTIN", "Supplier Name", "Doc No", "Invoice Date", "Taxable Value",
            "Integrated Tax", "Central Tax", "State/UT Tax", "CESS", "Invoice Value",
            "Place Of Supply", "Reverse Charge",
        ],
        [
            "gstin", "name", "invoice_no", "date", "taxable_value_in_rs", "IGST", "CGST",
            "SGST/UTGST", "Comp. Cess", "Invoice Amount", "State of supply", "Is RCM",
        ],
    ],
)  # fmt: skip
def test_header_spellings_of_common_exports(headers: list[object]) -> None:
    cells = [SUPPLIER, "Bharat Steel", "KA/25-26/0412", "18-10-2025", "1,00,000.00",
             "18,000.00", "", "", "", "1,18,000.00", "27-Maharashtra", "N"]  # fmt: skip
    record = only_record(parse(cells, header=headers))
    assert record.number == "KA/25-26/0412"
    assert record.taxes == TaxAmounts.of(igst="18000")
    assert record.value == Decimal("118000.00")
    assert record.place_of_supply == "27"


def test_title_rows_above_the_header_are_skipped_and_rows_keep_spreadsheet_numbers() -> None:
    rows: list[list[object]] = [
        ["Sahyadri Traders Pvt Ltd"],
        ["Purchase register", "Oct-2025"],
        [],
        HEADER,
        row(),
        row(Document_number="INV/2", Document_date="31-02-2025"),
    ]
    parsed = parse_register_rows(rows, gstin=RECIPIENT, sheet="Purchases")
    assert len(parsed.records) == 1
    assert parsed.problems == (
        RowProblem("Purchases", 6, "Document date", "'31-02-2025' is not a real date"),
    )


def test_a_header_below_the_search_window_is_not_found() -> None:
    rows: list[list[object]] = [["title"]] * 20 + [HEADER, row()]
    with pytest.raises(FormatError, match="lacks the column"):
        parse_register_rows(rows, gstin=RECIPIENT)


def test_missing_required_columns_are_named_with_the_headers_found() -> None:
    header = ["GSTIN of supplier", "Invoice Date", "Remarks"]
    with pytest.raises(FormatError) as caught:
        parse_register_rows([header, [SUPPLIER, "18-10-2025", "x"]], gstin=RECIPIENT)
    message = str(caught.value)
    for missing in ("Document number", "Taxable value", "IGST (or CGST and SGST)"):
        assert missing in message
    assert "Supplier GSTIN," not in message.split("has:", maxsplit=1)[0]
    assert "'GSTIN of supplier', 'Invoice Date', 'Remarks'" in message


def test_cgst_without_sgst_is_a_missing_column() -> None:
    header = ["Supplier GSTIN", "Invoice No", "Invoice Date", "Taxable Value", "CGST"]
    with pytest.raises(FormatError, match="lacks the column\\(s\\) SGST"):
        parse_register_rows([header], gstin=RECIPIENT)


def test_intra_state_register_needs_no_igst_column() -> None:
    header = ["Supplier GSTIN", "Invoice No", "Invoice Date", "Taxable Value", "CGST", "SGST"]
    cells = [LOCAL_SUPPLIER, "INV-7", "02-10-2025", "1000", "90", "90"]
    record = only_record(parse(cells, header=header))
    assert record.taxes == TaxAmounts.of(cgst="90", sgst="90")
    assert record.value == Decimal("1180.00")  # no value column: taxable + taxes
    assert record.kind is RecordKind.INVOICE  # no type column: invoices


def test_empty_rows_are_refused_as_an_empty_register() -> None:
    with pytest.raises(FormatError, match="empty"):
        parse_register_rows([[], ["", None]], gstin=RECIPIENT)


def test_two_specific_spellings_of_one_column_are_ambiguous() -> None:
    header = [*HEADER, "Integrated Tax"]
    with pytest.raises(FormatError, match="two columns for the same thing: IGST"):
        parse(header=header)


def test_two_generic_spellings_of_one_column_leave_it_unread() -> None:
    header = [*HEADER[:10], "Total", "Amount"]
    parsed = parse([*row()[:10], "1", "2"], header=header)
    assert only_record(parsed).value == Decimal("118000.00")  # taxable + taxes
    assert parsed.notes == ("columns not read: 'Total', 'Amount'",)


def test_a_specific_spelling_wins_over_a_generic_one() -> None:
    header = ["Date", "Voucher No", "Supplier GSTIN", "Invoice No", "Invoice Date", "Taxable",
              "IGST", "Total", "Invoice Value"]  # fmt: skip
    cells = ["01-11-2025", "PUR-9", SUPPLIER, "INV-1", "18-10-2025", "100", "18", "x", "118"]
    parsed = parse(cells, header=header)
    record = only_record(parsed)
    assert record.document_date == date(2025, 10, 18)
    assert record.value == Decimal("118.00")
    assert parsed.notes[0] == "columns not read: 'Voucher No', 'Date', 'Total'"


# ------------------------------------------------------------------------------ row faults


@pytest.mark.parametrize(
    ("cells", "field", "reason"),
    [
        ({"Supplier GSTIN": "29AAGCB7383J1Z"}, "Supplier GSTIN", "expected 15"),
        ({"Supplier GSTIN": ""}, "Supplier GSTIN", "GSTIN is missing"),
        ({"Document number": "KA/25-26/04120000"}, "Document number", "at most 16"),
        ({"Document number": "INV 12"}, "Document number", "not a GST document number"),
        ({"Document number": "000"}, "Document number", "all zeros"),
        ({"Document number": "INVß"}, "Document number", "not a GST document number"),
        ({"Document number": ""}, "Document number", "is missing"),
        ({"Document date": "18th Oct"}, "Document date", "not a date like 18-10-2025"),
        ({"Document date": "2017-06-30"}, "Document date", "before GST began"),
        ({"Document date": ""}, "Document date", "is missing"),
        ({"Taxable value": ""}, "Taxable value", "is missing"),
        ({"Taxable value": "ten"}, "Taxable value", "not an amount"),
        ({"IGST": "1,2,3"}, "IGST", "not an amount like 1,23,456.00"),
        ({"IGST": "18.005"}, "IGST", "more than two decimals"),
        ({"CGST": "1e30"}, "CGST", "not an amount"),
        ({"Cess": "-5"}, "Cess", "is negative"),
        ({"Document value": "99999999999999"}, "Document value", "too large"),
        ({"Document type": "Proforma"}, "Document type", "not a document type"),
        ({"Place of supply": "Atlantis"}, "Place of supply", "not a place of supply"),
        ({"Place of supply": "99"}, "Place of supply", "not a place of supply"),
        ({"Reverse charge": "maybe"}, "Reverse charge", "not Y or N"),
        ({"Return period": "132025"}, "Return period", "not a return period"),
        ({"Document type": "Bill of entry", "Supplier GSTIN": "NHAVA SHEVA"},
         "Supplier GSTIN", "not a port code"),
    ],
)  # fmt: skip
def test_each_row_fault_refuses_the_row_naming_row_and_column(
    cells: dict[str, object], field: str, reason: str
) -> None:
    rows: list[list[object]] = [["Purchase register"], HEADER, row(Document_number="OK-1")]
    bad = row(Document_number="BAD-1")
    for name, value in cells.items():
        bad[HEADER.index(name)] = value
    parsed = parse_register_rows([*rows, bad], gstin=RECIPIENT, sheet="Sheet1")
    assert [r.record.number for r in parsed.records] == ["OK-1"]
    refused = [p for p in parsed.problems if p.refused]
    assert len(refused) == 1, parsed.problems
    assert (refused[0].section, refused[0].index, refused[0].field) == ("Sheet1", 4, field)
    assert reason in refused[0].reason


def test_the_problem_names_the_column_as_the_file_spells_it() -> None:
    header = ["GSTIN/UIN of Supplier", "Inv No.", "Invoice Date", "Taxable Amt", "IGST Amount"]
    parsed = parse([SUPPLIER, "INV-1", "18-10-2025", "100", "lots"], header=header)
    assert parsed.problems == (
        RowProblem("Sheet1", 2, "IGST Amount", "'lots' is not an amount like 1,23,456.00"),
    )


def test_R5_2_an_amendment_row_needs_its_original_number_and_date() -> None:
    no_number = row(Document_type="Invoice amendment", Original_date="18-10-2025")
    no_date = row(Document_type="Credit note amendment", Original_number="CN/1")
    parsed = parse(no_number, no_date)
    assert parsed.records == ()
    assert [(p.index, p.field) for p in parsed.problems] == [
        (2, "Original number"),
        (3, "Original date"),
    ]
    amended = row(
        Document_type="Invoice amendment",
        Document_number="KA/25-26/0412",
        Original_number="ka/25-26/0412",
        Original_date="18/10/2025",
    )
    record = only_record(parse(amended))
    assert record.kind is RecordKind.INVOICE_AMENDMENT
    assert record.original == OriginalRef("KA/25-26/0412", date(2025, 10, 18))


def test_an_original_on_a_non_amendment_is_ignored_with_a_warning() -> None:
    parsed = parse(row(Original_number="X-1", Original_date="01-10-2025"))
    assert only_record(parsed).original is None
    assert [(p.field, p.refused) for p in parsed.problems] == [("Original number", False)]


def test_a_second_row_for_the_same_document_is_refused() -> None:
    parsed = parse(row(), row(Document_number="ka/25-26/0412", Taxable_value="5"))
    assert len(parsed.records) == 1
    assert parsed.problems == (
        RowProblem(
            "Sheet1",
            3,
            "Document number",
            "the same document as row 2; this row is left out",
        ),
    )


def test_gst_formats_5_3_a_wrong_check_character_only_warns() -> None:
    parsed = parse(row(Supplier_GSTIN="01AABCE2207R1Z5"))
    assert only_record(parsed).key.supplier == "01AABCE2207R1Z5"
    assert parsed.problems[0].field == "Supplier GSTIN"
    assert not parsed.problems[0].refused


@pytest.mark.parametrize(
    ("cells", "field", "reason"),
    [
        ({"IGST": "18", "CGST": "9", "SGST": "9"}, "IGST", "both IGST and CGST/SGST"),
        ({"IGST": "", "CGST": "9", "SGST": "8"}, "SGST", "differ"),
        ({"IGST": "", "CGST": "9", "SGST": "9"}, "CGST", "inter-state supply"),
        ({"Document value": "1"}, "Document value", "less than the taxable value"),
    ],
)
def test_gst_formats_9_tax_split_inconsistencies_warn(
    cells: dict[str, object], field: str, reason: str
) -> None:
    parsed = parse(row(**{k.replace(" ", "_"): v for k, v in cells.items()}))
    assert len(parsed.records) == 1
    assert any(p.field == field and reason in p.reason and not p.refused for p in parsed.problems)


def test_gst_formats_9_intra_state_cgst_and_sgst_do_not_warn() -> None:
    parsed = parse(row(Supplier_GSTIN=LOCAL_SUPPLIER, IGST="", CGST="9000", SGST="9000"))
    assert parsed.problems == ()


def test_blank_rows_are_skipped_and_totals_rows_noted() -> None:
    totals = ["", "", "", "", "", "Total", "36000", "", "", "", "", "", "", "", "", ""]
    parsed = parse(row(), [], ["", None, "  "], row(Document_number="INV-2"), totals)
    assert [r.record.number for r in parsed.records] == ["KA/25-26/0412", "INV-2"]
    assert parsed.problems == ()
    assert parsed.notes == ("1 row(s) without GSTIN, number or date skipped (totals or "
                            "remarks?): row 6",)  # fmt: skip


def test_short_rows_read_missing_cells_as_blank() -> None:
    record = only_record(parse(row()[:7]))
    assert record.value == Decimal("118000.00")
    assert record.place_of_supply is None


# ---------------------------------------------------------------------------------- values


@pytest.mark.parametrize(
    ("text", "rupees"),
    [
        ("1,23,456.00", "123456.00"),
        ("12,34,567.89", "1234567.89"),
        ("1,00,00,000", "10000000.00"),
        ("123,456.5", "123456.50"),
        ("₹ 1,23,456", "123456.00"),
        ("Rs. 500", "500.00"),
        ("INR 75.5", "75.50"),
        (" 100 ", "100.00"),
        ("100.500", "100.50"),
        (".5", "0.50"),
    ],
)
def test_amounts_with_or_without_indian_commas(text: str, rupees: str) -> None:
    record = only_record(parse(row(Taxable_value=text, Document_value="")))
    assert record.taxable_value == Decimal(rupees)


@pytest.mark.parametrize(
    ("cell", "rupees"),
    [
        (1180.1, "1180.10"),
        (212.40000000000001, "212.40"),
        (0.1 + 0.2, "0.30"),
        (100000, "100000.00"),
        (Decimal("99.9"), "99.90"),
    ],
)
def test_spreadsheet_numbers_become_exact_rupees(cell: object, rupees: str) -> None:
    record = only_record(parse(row(IGST=cell)))
    assert record.taxes.igst == Decimal(rupees)


@settings(max_examples=500)
@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e13, max_value=1e13))
def test_a_float_cell_reads_as_its_shortest_text_would(value: float) -> None:
    """The float fast path decides as Decimal(repr(value)) does: whole paise within
    FLOAT_TOLERANCE, exactly; anything else refused."""
    exact = Decimal(repr(value))
    rounded = exact.quantize(Decimal("0.01"))
    try:
        read = cell_amount(value, "IGST")
    except RowError:
        assert abs(exact - rounded) > FLOAT_TOLERANCE or abs(rounded) >= Decimal(10) ** 13
    else:
        assert read == rounded and read.as_tuple().exponent == -2
        assert abs(exact - read) <= FLOAT_TOLERANCE


@settings(max_examples=300)
@given(st.decimals(min_value=-(10**12), max_value=10**12, places=2))
def test_a_float_cell_holding_paise_reads_exactly(amount: Decimal) -> None:
    assert cell_amount(float(amount), "IGST") == amount


@pytest.mark.parametrize("cell", [222.2208, float("nan"), float("inf"), True, date(2025, 1, 1)])
def test_inexact_or_non_numeric_cells_are_refused(cell: object) -> None:
    parsed = parse(row(IGST=cell))
    assert parsed.records == ()
    assert parsed.problems[0].field == "IGST"


def test_negative_amounts_of_a_credit_note_are_read_as_positive() -> None:
    note = row(
        Document_type="CN",
        Taxable_value="(2,000.00)",
        IGST="-360",
        Document_value="-2,360.00",
    )
    parsed = parse(note)
    record = only_record(parsed)
    assert record.kind is RecordKind.CREDIT_NOTE
    assert (record.taxable_value, record.taxes.igst, record.value) == (
        Decimal("2000.00"),
        Decimal("360.00"),
        Decimal("2360.00"),
    )
    assert "1 credit note row(s) had negative amounts" in parsed.notes[0]


@pytest.mark.parametrize("document_type", ["Invoice", ""])
def test_an_invoice_of_negative_amounts_is_a_credit_note_booked_as_a_negative_purchase(
    document_type: str,
) -> None:
    """A purchase return booked as a negative purchase: a credit note with positive amounts."""
    negative = row(
        Document_type=document_type,
        Taxable_value="-2,000.00",
        IGST="-360",
        Document_value="(2,360.00)",
    )
    parsed = parse(negative)
    (item,) = parsed.records
    assert item.record.kind is RecordKind.CREDIT_NOTE
    assert (item.record.taxable_value, item.record.taxes.igst, item.record.value) == (
        Decimal("2000.00"),
        Decimal("360.00"),
        Decimal("2360.00"),
    )
    (warning,) = parsed.problems
    assert (warning.field, warning.refused) == ("Document type", False)
    assert "read as a credit note" in warning.reason


@pytest.mark.parametrize(
    ("cells", "field"),
    [
        ({"Taxable_value": "-2000", "IGST": "360"}, "Taxable value"),  # signs that disagree
        ({"Document_type": "Debit note", "IGST": "-360"}, "IGST"),
        ({"Document_type": "Invoice amendment", "Taxable_value": "-1"}, "Taxable value"),
    ],
)
def test_negative_amounts_outside_credit_notes_are_still_refused(
    cells: dict[str, object], field: str
) -> None:
    parsed = parse(row(Original_number="X-1", Original_date="01-10-2025", **cells))
    assert parsed.records == ()
    assert [(p.field, p.refused) for p in parsed.problems if p.refused] == [(field, True)]


def test_a_supplier_name_loses_its_nul_and_is_shortened_to_its_cap() -> None:
    parsed = parse(row(Supplier_name="Bharat\x00 Steel " + "x" * 400))
    (item,) = parsed.records
    assert item.supplier_name is not None
    assert "\x00" not in item.supplier_name and item.supplier_name.endswith("…")
    assert len(item.supplier_name) == NAME_MAX
    assert {(p.field, p.refused) for p in parsed.problems} == {("Supplier name", False)}


@pytest.mark.parametrize(
    "cell",
    [
        "18-10-2025", "18/10/2025", "18.10.2025", "2025-10-18", "18-Oct-2025", "18 Oct 2025",
        "18/10/25", "2025-10-18 00:00:00", "45948", 45948, 45948.0, date(2025, 10, 18),
        datetime(2025, 10, 18, 0, 0),  # noqa: DTZ001 (a spreadsheet's naive date-time)
    ],
)  # fmt: skip
def test_document_dates_in_every_accepted_form(cell: object) -> None:
    assert only_record(parse(row(Document_date=cell))).document_date == date(2025, 10, 18)


@pytest.mark.parametrize(
    ("cell", "kind"),
    [
        ("", RecordKind.INVOICE), ("Tax Invoice", RecordKind.INVOICE),
        ("b2b", RecordKind.INVOICE), ("Debit Note", RecordKind.DEBIT_NOTE),
        ("D", RecordKind.DEBIT_NOTE), ("credit-note", RecordKind.CREDIT_NOTE),
        ("CN", RecordKind.CREDIT_NOTE), ("ECO document", RecordKind.ECO_DOCUMENT),
        ("SEZ bill of entry", RecordKind.SEZ_BILL_OF_ENTRY),
        ("Bill of entry (SEZ)", RecordKind.SEZ_BILL_OF_ENTRY),
    ],
)  # fmt: skip
def test_document_type_spellings(cell: str, kind: RecordKind) -> None:
    assert only_record(parse(row(Document_type=cell))).kind is kind


def test_every_template_kind_name_reads_back() -> None:
    for kind, name in KIND_NAMES.items():
        cells = row(Document_type=name, Original_number="A-1", Original_date="01-10-2025")
        if kind in (RecordKind.BILL_OF_ENTRY, RecordKind.BILL_OF_ENTRY_AMENDMENT):
            cells[0] = "INNSA1"
        parsed = parse(cells)
        assert [r.record.kind for r in parsed.records] == [kind]


def test_a_bill_of_entry_names_its_port_code() -> None:
    cells = row(Supplier_GSTIN="innsa1", Document_type="BOE", Document_number="4523671")
    record = only_record(parse(cells))
    assert record.key.supplier == "INNSA1"
    assert record.kind is RecordKind.BILL_OF_ENTRY


@pytest.mark.parametrize(
    ("cell", "code"),
    [("29", "29"), ("29-Karnataka", "29"), ("7", "07"), (7.0, "07"), ("Tamil Nadu", "33"),
     ("jammu & kashmir", "01"), ("Orissa", "21"), ("", None)],
)  # fmt: skip
def test_place_of_supply_as_code_or_name(cell: object, code: str | None) -> None:
    assert only_record(parse(row(Place_of_supply=cell))).place_of_supply == code


@pytest.mark.parametrize(
    ("cell", "period"),
    [("102025", ReturnPeriod(2025, 10)), ("12026", ReturnPeriod(2026, 1)),
     (12026, ReturnPeriod(2026, 1)), ("10-2025", ReturnPeriod(2025, 10)),
     ("Oct-2025", ReturnPeriod(2025, 10)), ("October 2025", ReturnPeriod(2025, 10)),
     ("2025-10", ReturnPeriod(2025, 10)), (date(2025, 10, 1), ReturnPeriod(2025, 10)),
     ("", None)],
)  # fmt: skip
def test_return_period_forms(cell: object, period: ReturnPeriod | None) -> None:
    assert only_record(parse(row(Return_period=cell))).supplier_period == period


@pytest.mark.parametrize(("cell", "flag"), [("Y", True), ("yes", True), (True, True),
                                            ("N", False), ("", False), ("No", False)])  # fmt: skip
def test_reverse_charge_flag(cell: object, flag: bool) -> None:
    assert only_record(parse(row(Reverse_charge=cell))).reverse_charge is flag


@pytest.mark.parametrize(
    ("cell", "name"),
    [("'=CN-1", "=CN-1"), ("'+91 Traders", "+91 Traders"), ("'-X", "-X"), ("'@home", "@home"),
     ("''=x", "'=x"), ("'Tis Traders", "'Tis Traders"), ("'", "'"), ("'0412", "'0412")],
)  # fmt: skip
def test_the_quote_of_a_guarded_cell_is_dropped_and_no_other(cell: str, name: str) -> None:
    parsed = parse(row(Supplier_name=cell))
    assert parsed.records[0].supplier_name == name


# ------------------------------------------------------------------------------------- CSV


def csv_bytes(lines: list[str], *, encoding: str = "utf-8", delimiter: str = ",") -> bytes:
    return "\r\n".join(line.replace(",", delimiter) for line in lines).encode(encoding)


TEMPLATE_LINES = [
    ",".join(HEADER),
    f"{SUPPLIER},Café Steel,Invoice,INV-1,18-10-2025,100,18,,,,118,27,N,,,102025",
]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252", "utf-16"])
def test_csv_encodings(encoding: str) -> None:
    parsed = parse_register_csv(csv_bytes(TEMPLATE_LINES, encoding=encoding), gstin=RECIPIENT)
    assert parsed.records[0].supplier_name == "Café Steel"


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_csv_delimiter_is_sniffed(delimiter: str) -> None:
    data = csv_bytes(["Purchase register", *TEMPLATE_LINES], delimiter=delimiter)
    parsed = parse_register_csv(data, gstin=RECIPIENT)
    assert [r.record.number for r in parsed.records] == ["INV-1"]


def test_csv_quoted_indian_amounts() -> None:
    line = f'{SUPPLIER},"Steel, Pipes & Co",Invoice,INV-1,18-10-2025,"1,23,456.00",,,,,,27,N,,,'
    parsed = parse_register_csv(csv_bytes([TEMPLATE_LINES[0], line]), gstin=RECIPIENT)
    reported = parsed.records[0]
    assert reported.supplier_name == "Steel, Pipes & Co"
    assert reported.record.taxable_value == Decimal("123456.00")
    assert reported.record.value == Decimal("123456.00")  # no value given: taxable + taxes


@pytest.mark.parametrize(
    "data",
    [b"", b"   \r\n", b"\x00\x01\x02PK", b"\x81\x8d\x8f\x90\x9d", b"a,b,c\r\n1,2,3"],
)
def test_csv_that_is_not_a_register_is_refused(data: bytes) -> None:
    with pytest.raises(FormatError):
        parse_register_csv(data, gstin=RECIPIENT)


def test_the_documented_example_reads_without_problems() -> None:
    text = DOCS.read_text(encoding="utf-8")
    block = re.search(r"```csv\n(.*?)```", text, re.S)
    assert block is not None
    parsed = parse_register_csv(block[1].encode(), gstin=RECIPIENT)
    assert parsed.problems == ()
    assert [r.record.kind for r in parsed.records] == [
        RecordKind.INVOICE,
        RecordKind.INVOICE,
        RecordKind.CREDIT_NOTE,
        RecordKind.INVOICE_AMENDMENT,
        RecordKind.BILL_OF_ENTRY,
    ]


def test_the_docs_list_every_accepted_header_spelling() -> None:
    text = DOCS.read_text(encoding="utf-8")
    for column in COLUMNS:
        assert f"| {column.header} |" in text
        for spelling in column.aliases + column.generic:
            assert f"`{spelling}`" in text, spelling


# ----------------------------------------------------------------------- writing, property


def test_write_register_csv_uses_the_template_headers_and_guards_formulas() -> None:
    parsed = parse(row(Supplier_name='=HYPERLINK("http://x")'))
    data = write_register_csv(parsed.records)
    assert data.startswith(b"\xef\xbb\xbf" + ",".join(REGISTER_HEADERS).encode())
    assert b"'=HYPERLINK" in data
    assert parse_register_csv(data, gstin=RECIPIENT).records == parsed.records


_POS_CODES = sorted(code for code in STATE_CODES if code != "99")
_HOLDERS = "PCHFABTLJG"


@st.composite
def gstins(draw: st.DrawFn) -> str:
    state = draw(st.sampled_from(_POS_CODES))
    letters = st.sampled_from(string.ascii_uppercase)
    pan = (
        "".join(draw(letters) for _ in range(3))
        + draw(st.sampled_from(_HOLDERS))
        + draw(letters)
        + f"{draw(st.integers(0, 9999)):04d}"
        + draw(letters)
    )
    first14 = f"{state}{pan}{draw(st.sampled_from('123456789ABC'))}Z"
    return first14 + check_character(first14)


numbers = st.from_regex(r"\A[A-Z0-9/-]{1,16}\Z").filter(lambda n: n.strip("0") != "")
days = st.dates(date(2017, 7, 1), date(2099, 12, 31))
rupees = st.decimals(min_value=0, max_value=10**12, places=2, allow_nan=False)
names = (
    st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1, max_size=30)
    .map(str.strip)
    .filter(bool)
)


@st.composite
def register_records(draw: st.DrawFn) -> ReportedRecord:
    kind = draw(st.sampled_from(list(RecordKind)))
    overseas = kind in (RecordKind.BILL_OF_ENTRY, RecordKind.BILL_OF_ENTRY_AMENDMENT)
    supplier = draw(st.from_regex(r"\AIN[A-Z]{3}[0-9]\Z")) if overseas else draw(gstins())
    document_date = draw(days)
    original = OriginalRef(draw(numbers), draw(days)) if kind.is_amendment else None
    taxes = TaxAmounts(draw(rupees), draw(rupees), draw(rupees), draw(rupees))
    record = Record(
        key=RecordKey.of(
            supplier=supplier,
            recipient=RECIPIENT,
            kind=kind,
            number=draw(numbers),
            document_date=document_date,
        ),
        document_date=document_date,
        value=draw(rupees),
        taxable_value=draw(rupees),
        taxes=taxes,
        two_b_period=None,
        source_form="register",
        original=original,
        reverse_charge=draw(st.booleans()),
        place_of_supply=draw(st.none() | st.sampled_from(_POS_CODES)),
        supplier_period=draw(
            st.none() | st.builds(ReturnPeriod, st.integers(2018, 2098), st.integers(1, 12))
        ),
    )
    return ReportedRecord(record=record, supplier_name=draw(st.none() | names))


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(register_records(), max_size=6, unique_by=lambda r: r.record.key.text))
def test_write_then_parse_register_csv_gives_the_same_records(
    records: list[ReportedRecord],
) -> None:
    parsed = parse_register_csv(write_register_csv(records), gstin=RECIPIENT)
    assert [p for p in parsed.problems if p.refused] == []
    assert list(parsed.records) == records


@settings(max_examples=300)
@given(st.binary(max_size=400))
def test_random_bytes_raise_nothing_but_format_error(data: bytes) -> None:
    with contextlib.suppress(FormatError):
        parse_register_csv(data, gstin=RECIPIENT)


cells = st.one_of(
    st.none(),
    st.text(max_size=12),
    st.integers(),
    st.floats(),
    st.decimals(),
    st.dates(),
    st.datetimes(),
    st.booleans(),
    st.sampled_from(["18-10-2025", "1,23,456.00", SUPPLIER, "INNSA1", "CN", "27", "Y"]),
)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(cells, max_size=18), max_size=8))
def test_random_cells_under_a_header_never_raise(rows: list[list[object]]) -> None:
    parsed = parse_register_rows([HEADER, *rows], gstin=RECIPIENT)
    assert len(parsed.records) + parsed.refused <= len(rows)


@settings(max_examples=100)
@given(st.text(max_size=300))
def test_random_text_raises_nothing_but_format_error(text: str) -> None:
    with contextlib.suppress(FormatError):
        parse_register_csv((",".join(HEADER) + "\n" + text).encode(), gstin=RECIPIENT)
