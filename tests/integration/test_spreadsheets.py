"""XLSX in and out for the purchase register: round trip, zip bombs, damage, cached formulas."""

from __future__ import annotations

import contextlib
import io
import zipfile
from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
import xlsxwriter  # type: ignore[import-untyped]
from hypothesis import given, settings
from hypothesis import strategies as st

from ims_domain.formats.common import FileFormat, FormatError
from ims_domain.formats.demo import demo_records
from ims_domain.formats.register import write_register_csv
from ims_domain.formats.register_columns import REGISTER_HEADERS
from ims_domain.records import FilingStatus, ReportedRecord
from storage.spreadsheets import (
    parse_register_file,
    read_xlsx_rows,
    write_register_xlsx,
)
from tests.builders import RECIPIENT, SUPPLIER


def as_register(reported: ReportedRecord) -> ReportedRecord:
    """What a register row keeps of a record: no 2B period, no portal state (see the docs)."""
    record = replace(
        reported.record,
        two_b_period=None,
        source_form="register",
        filing_status=FilingStatus.FILED,
        invoice_type=None,
        pending_blocked=None,
    )
    return ReportedRecord(record=record, supplier_name=reported.supplier_name)


def workbook(fill: Callable[[Any, Any], None], **options: object) -> bytes:
    """An xlsx written by xlsxwriter; `fill(workbook, sheet)` writes the cells."""
    output = io.BytesIO()
    book = xlsxwriter.Workbook(output, options)
    sheet = book.add_worksheet("Purchases")
    fill(book, sheet)
    book.close()
    return output.getvalue()


def test_xlsx_round_trip_of_demo_data() -> None:
    demo = demo_records(recipients=1, suppliers=40, records=600, seed=7)
    gstin = demo.recipients[0].gstin
    data = write_register_xlsx(demo.records)
    assert data.startswith(b"PK\x03\x04")
    parsed = parse_register_file(data, gstin=gstin)
    assert parsed.format is FileFormat.PURCHASE_REGISTER
    assert [p for p in parsed.problems if p.refused] == []
    assert list(parsed.records) == [as_register(r) for r in demo.records]


def test_xlsx_cells_come_back_typed() -> None:
    demo = demo_records(recipients=1, suppliers=3, records=5, seed=1)
    sheet, rows = read_xlsx_rows(write_register_xlsx(demo.records))
    assert sheet == "Purchase register"
    assert tuple(rows[0]) == REGISTER_HEADERS
    first = demo.records[0].record
    assert rows[1][0] == first.key.supplier
    assert rows[1][4] == first.document_date
    assert isinstance(rows[1][5], int | float)
    assert Decimal(repr(rows[1][5])).quantize(Decimal("0.01")) == first.taxable_value
    assert rows[1][15] == first.supplier_period.code if first.supplier_period else None


def test_parse_register_file_tells_csv_from_xlsx_by_content() -> None:
    demo = demo_records(recipients=1, suppliers=3, records=20, seed=2)
    gstin = demo.recipients[0].gstin
    from_csv = parse_register_file(write_register_csv(demo.records), gstin=gstin)
    from_xlsx = parse_register_file(write_register_xlsx(demo.records), gstin=gstin)
    assert from_csv.records == from_xlsx.records == tuple(as_register(r) for r in demo.records)


def test_a_sheet_with_title_rows_and_excel_types_reads_with_spreadsheet_row_numbers() -> None:
    def fill(book: Any, sheet: Any) -> None:
        day = book.add_format({"num_format": "dd/mm/yyyy"})
        sheet.write_string(0, 0, "Sahyadri Traders - purchase register")
        headers = ["GSTIN of supplier", "Invoice No", "Invoice Date", "Taxable Value", "IGST",
                   "CGST", "SGST", "Invoice Value", "POS", "RCM"]  # fmt: skip
        sheet.write_row(2, 0, headers)
        sheet.write_string(3, 0, SUPPLIER)
        sheet.write_number(3, 1, 412)
        sheet.write_datetime(3, 2, datetime(2025, 10, 18), day)  # noqa: DTZ001
        sheet.write_number(3, 3, 123456.5)
        sheet.write_number(3, 4, 22222.17)
        sheet.write_number(3, 7, 145678.67)
        sheet.write_number(3, 8, 27)
        sheet.write_boolean(3, 9, False)
        sheet.write_row(4, 0, [SUPPLIER, "INV-2", "not a date", 100, 18])

    parsed = parse_register_file(workbook(fill), gstin=RECIPIENT)
    record = parsed.records[0].record
    assert record.number == "412"
    assert record.document_date == date(2025, 10, 18)
    assert record.taxable_value == Decimal("123456.50")
    assert record.taxes.igst == Decimal("22222.17")
    assert record.value == Decimal("145678.67")
    assert record.place_of_supply == "27"
    assert not record.reverse_charge
    assert [(p.section, p.index, p.field) for p in parsed.problems] == [
        ("Purchases", 5, "Invoice Date")
    ]


def test_a_formula_cell_gives_its_cached_value_and_is_never_evaluated() -> None:
    def fill(book: Any, sheet: Any) -> None:
        sheet.write_row(0, 0, ["Supplier GSTIN", "Invoice No", "Invoice Date",
                               "Taxable Value", "IGST", "Invoice Value"])  # fmt: skip
        sheet.write_row(1, 0, [SUPPLIER, "INV-1", "18-10-2025", 1000])
        # The cached values deliberately disagree with the formulas: only a reader that
        # evaluated them would see 180 and 1180.
        sheet.write_formula(1, 4, "=D2*18%", None, 175)
        sheet.write_formula(1, 5, "=D2+E2", None, 1175)
        sheet.write_formula(2, 0, '=WEBSERVICE("http://127.0.0.1:9/x")', None, "")

    _, rows = read_xlsx_rows(workbook(fill))
    assert rows[1][4:6] == [175, 1175]
    parsed = parse_register_file(workbook(fill), gstin=RECIPIENT)
    record = parsed.records[0].record
    assert record.taxes.igst == Decimal("175.00")
    assert record.value == Decimal("1175.00")


def test_an_xlsm_with_a_macro_part_is_read_for_its_values_only() -> None:
    def fill(book: Any, sheet: Any) -> None:
        sheet.write_row(0, 0, ["Supplier GSTIN", "Invoice No", "Invoice Date",
                               "Taxable Value", "IGST"])  # fmt: skip
        sheet.write_row(1, 0, [SUPPLIER, "INV-1", "18-10-2025", 1000, 180])

    data = workbook(fill)
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(buffer, "w") as target:
        for item in source.infolist():
            target.writestr(item, source.read(item))
        target.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0 not really a macro project")
    parsed = parse_register_file(buffer.getvalue(), gstin=RECIPIENT)
    assert [r.record.number for r in parsed.records] == ["INV-1"]


def test_the_first_sheet_with_data_is_read() -> None:
    output = io.BytesIO()
    book = xlsxwriter.Workbook(output)
    book.add_worksheet("Cover")
    sheet = book.add_worksheet("Data")
    sheet.write_row(2, 1, ["x", 1.5, 2])
    book.close()
    name, rows = read_xlsx_rows(output.getvalue())
    assert name == "Data"
    assert rows[2] == [None, "x", 1.5, 2]
    assert rows[0] == rows[1] == [None, None, None, None]


def zip_of(members: dict[str, bytes], *, level: int = 9) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def test_a_zip_bomb_is_refused_before_it_is_read() -> None:
    bomb = zip_of(
        {
            "[Content_Types].xml": b"<Types/>",
            "xl/workbook.xml": b"<workbook/>",
            "xl/worksheets/sheet1.xml": b"\0" * (12 * 1024 * 1024),
        }
    )
    assert len(bomb) < 100_000  # 12 MB of zeros deflate to a few kilobytes
    with pytest.raises(FormatError, match="zip bomb"):
        read_xlsx_rows(bomb)
    with pytest.raises(FormatError, match="zip bomb"):
        parse_register_file(bomb, gstin=RECIPIENT)


def test_a_cell_bomb_spanning_the_whole_grid_is_refused_before_it_is_read() -> None:
    def fill(book: Any, sheet: Any) -> None:
        sheet.write_string(0, 0, "Supplier GSTIN")
        sheet.write_string(1_048_575, 16_383, "far away")  # XFD1048576

    data = workbook(fill)
    assert len(data) < 10_000
    with pytest.raises(FormatError, match="cell bomb"):
        read_xlsx_rows(data)


def test_a_wide_but_honest_sheet_is_read() -> None:
    def fill(book: Any, sheet: Any) -> None:
        sheet.write_row(0, 0, [f"c{i}" for i in range(60)])
        sheet.write_number(120_000, 59, 1)

    name, rows = read_xlsx_rows(workbook(fill, constant_memory=True))
    assert (name, len(rows), len(rows[0]), rows[-1][-1]) == ("Purchases", 120_001, 60, 1)


def test_a_workbook_larger_than_the_limit_is_refused() -> None:
    data = write_register_xlsx(demo_records(recipients=1, suppliers=3, records=50, seed=3).records)
    with pytest.raises(FormatError, match="inflates to more than"):
        read_xlsx_rows(data, max_uncompressed=20_000)


def test_a_member_lying_about_its_size_is_caught_while_inflating() -> None:
    honest = zip_of(
        {
            "[Content_Types].xml": b"<Types/>",
            "xl/workbook.xml": b"<workbook/>",
            "xl/worksheets/sheet1.xml": b"<x>" + b"a" * 50_000 + b"</x>",
        }
    )
    # Shrink the declared size of the sheet in the central directory (and local header).
    size = (50_007).to_bytes(4, "little")
    lying = honest.replace(size, (100).to_bytes(4, "little"))
    assert lying != honest
    with pytest.raises(FormatError, match="Bad CRC"):
        read_xlsx_rows(lying)


@pytest.mark.parametrize(
    "data",
    [
        b"Supplier GSTIN;Invoice No\r\n",  # text, not a zip
        b"PK\x03\x04 this is not really a zip",
        b"PK\x05\x06" + b"\0" * 18,  # an empty zip
        zip_of({"readme.txt": b"hello"}),  # a zip that is not a workbook
    ],
)
def test_a_non_workbook_is_refused(data: bytes) -> None:
    with pytest.raises(FormatError):
        read_xlsx_rows(data)


def test_a_truncated_workbook_is_refused() -> None:
    data = write_register_xlsx(demo_records(recipients=1, suppliers=3, records=30, seed=4).records)
    for cut in (len(data) // 2, len(data) - 30, 100):
        with pytest.raises(FormatError, match="damaged or cut short"):
            parse_register_file(data[:cut], gstin=RECIPIENT)


def test_a_corrupted_member_is_refused() -> None:
    data = bytearray(write_register_xlsx(demo_records(recipients=1, suppliers=3, records=30,
                                                      seed=5).records))  # fmt: skip
    start = data.index(b"xl/worksheets/sheet1.xml") + 40  # inside the sheet's deflated bytes
    data[start : start + 20] = bytes(20)
    with pytest.raises(FormatError):
        parse_register_file(bytes(data), gstin=RECIPIENT)


def test_an_old_xls_file_is_refused_with_advice() -> None:
    with pytest.raises(FormatError, match=r"save it as \.xlsx"):
        parse_register_file(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500), gstin=RECIPIENT)


def test_an_empty_workbook_is_refused() -> None:
    with pytest.raises(FormatError, match="no data"):
        read_xlsx_rows(workbook(lambda book, sheet: None))


def test_a_name_that_looks_like_a_formula_stays_text() -> None:
    demo = demo_records(recipients=1, suppliers=2, records=3, seed=6)
    tricky = [replace(r, supplier_name="=1+1") for r in demo.records[:1]]
    tricky.append(replace(demo.records[1], supplier_name="'quoted"))
    _, rows = read_xlsx_rows(write_register_xlsx(tricky))
    assert rows[1][1] == "'=1+1"  # a text cell, guarded like our CSV's
    parsed = parse_register_file(write_register_xlsx(tricky), gstin=demo.recipients[0].gstin)
    assert [r.supplier_name for r in parsed.records] == ["=1+1", "'quoted"]


SMALL_WORKBOOK = write_register_xlsx(
    demo_records(recipients=1, suppliers=2, records=8, seed=8).records
)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, len(SMALL_WORKBOOK) - 1), st.integers(0, 255)), max_size=8),
    st.integers(1, len(SMALL_WORKBOOK)),
)
def test_damaged_workbooks_raise_nothing_but_format_error(
    flips: list[tuple[int, int]], keep: int
) -> None:
    data = bytearray(SMALL_WORKBOOK[:keep])
    for position, value in flips:
        if position < len(data):
            data[position] = value
    with contextlib.suppress(FormatError):
        parse_register_file(bytes(data), gstin=RECIPIENT)
