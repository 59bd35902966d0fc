"""Spreadsheet injection: every CSV and XLSX we write guards text that a spreadsheet would run as
a formula, keeps numbers as numbers, and our register reader takes the text back as it was."""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import replace
from decimal import Decimal, InvalidOperation

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.files import problems_csv
from ims_domain.formats.cell_guard import FORMULA_STARTS, csv_row, guarded, unguarded
from ims_domain.formats.register import parse_register_csv, write_register_csv
from ims_domain.records import ReportedRecord, RowProblem
from ims_domain.text_limits import NAME_MAX
from storage.imports import ImportResult
from storage.spreadsheets import parse_register_file, write_register_xlsx
from tests.builders import RECIPIENT, record

_DANGEROUS = st.sampled_from([*FORMULA_STARTS, "'"])
# Names as a reader keeps them: stripped, no NUL, within the name cap. Control characters other
# than tab and CR cannot be held by XLSX's XML at all.
_CHARACTERS = st.characters(exclude_categories=("Cs", "Cc")) | _DANGEROUS
names = (
    st.tuples(st.lists(_DANGEROUS, max_size=3).map("".join), st.text(_CHARACTERS, max_size=40))
    .map(lambda parts: (parts[0] + parts[1]).strip())
    .filter(lambda text: bool(text) and len(text) <= NAME_MAX)
)


def _cells(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def _is_number(cell: str) -> bool:
    try:
        Decimal(cell)
    except InvalidOperation:
        return False
    return True


def _assert_guarded(data: bytes) -> None:
    for row in _cells(data):
        for cell in row:
            assert _is_number(cell) or not cell.startswith(FORMULA_STARTS), cell


@settings(max_examples=150, deadline=None)
@given(name=names)
def test_any_text_round_trips_through_our_csv_and_xlsx_and_no_csv_cell_can_run(
    name: str,
) -> None:
    reported = ReportedRecord(record(), supplier_name=name)
    csv_data = write_register_csv([reported])
    _assert_guarded(csv_data)
    from_csv = parse_register_csv(csv_data, gstin=RECIPIENT)
    from_xlsx = parse_register_file(write_register_xlsx([reported]), gstin=RECIPIENT)
    assert [r.supplier_name for r in from_csv.records] == [name]
    assert [r.supplier_name for r in from_xlsx.records] == [name]


@given(text=st.text(_CHARACTERS | st.sampled_from("\t\r\n")))
def test_unguarded_undoes_guarded_and_a_guarded_text_never_starts_a_formula(text: str) -> None:
    assert unguarded(guarded(text)) == text
    assert not guarded(text).startswith(FORMULA_STARTS)


def test_numbers_stay_numbers_and_texts_that_look_like_them_are_guarded() -> None:
    assert csv_row([Decimal("-500.00"), -3, None, "-500", "=1+1", "@x", "\tx", "ok"]) == [
        Decimal("-500.00"),
        -3,
        "",
        "'-500",
        "'=1+1",
        "'@x",
        "'\tx",
        "ok",
    ]


def test_a_negative_credit_note_amount_is_written_as_a_number() -> None:
    note = replace(record(), taxable_value=Decimal("500.00"))
    row = _cells(write_register_csv([ReportedRecord(note, supplier_name="=cmd|' /C calc'!A0")]))[1]
    assert row[1] == "'=cmd|' /C calc'!A0"
    assert row[5] == "500.00"


def test_the_refused_rows_csv_guards_its_text() -> None:
    result = ImportResult(
        batch_id=1,
        format="ims",
        new=0,
        changed=0,
        unchanged=0,
        refused=1,
        problems=[RowProblem("=b2b", 3, "+iamt", "-5.00 is negative")],
    )
    rows = _cells(problems_csv(result))
    assert rows[1] == ["'=b2b", "3", "'+iamt", "'-5.00 is negative"]
    _assert_guarded(problems_csv(result))


@pytest.mark.parametrize("text", ["=CN-1", "+1", "-1", "@A", "'=x", "''"])
def test_our_xlsx_keeps_guarded_text_as_text(text: str) -> None:
    data = write_register_xlsx([ReportedRecord(record(), supplier_name=text)])
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml")
    assert b"<f>" not in sheet  # no formula anywhere
    assert parse_register_file(data, gstin=RECIPIENT).records[0].supplier_name == text
