"""Spreadsheet files in and out: XLSX rows for the purchase register, and the template as XLSX.

Reading uses python-calamine (Rust; about 5x faster than openpyxl here). Calamine reads the
values a spreadsheet application last saved ("cached values"): it never evaluates a formula and
never runs a macro. An .xlsm is read like an .xlsx; its vbaProject.bin is neither opened nor
run. A file is opened with the standard zipfile module first and refused when it is not a
workbook or would inflate beyond a limit (a zip bomb), before calamine sees it.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import python_calamine
import xlsxwriter  # type: ignore[import-untyped]  # no stubs or py.typed

from ims_domain.formats.cell_guard import guarded
from ims_domain.formats.common import FormatError, ParsedFile
from ims_domain.formats.register import parse_register_csv, parse_register_rows, register_cells
from ims_domain.formats.register_columns import REGISTER_HEADERS
from ims_domain.records import ReportedRecord

ZIP_MAGIC = b"PK\x03\x04"
EMPTY_ZIP_MAGIC = b"PK\x05\x06"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the old binary .xls (and encrypted .xlsx)
DEFAULT_MAX_UNCOMPRESSED = 200 * 1024 * 1024
# A member inflating more than this many times AND beyond this size is a zip bomb. Sheet XML
# compresses well (20-50x is usual), so the ratio alone would refuse honest large sheets.
MAX_RATIO = 200
RATIO_MIN_BYTES = 10 * 1024 * 1024
MAX_MEMBERS = 10_000  # a workbook has tens of parts; thousands of members is not a workbook
_CHUNK = 1024 * 1024
# Cells a sheet may span (rows x columns from A1): 200,000 rows of 50 columns. Calamine holds a
# sheet as a dense grid, about 32 bytes a cell, before any is converted.
MAX_CELLS = 10_000_000
# A reference attribute (r="..." after white space) beyond column Z, or beyond row 99,999. The
# patterns start with the literal r=" so that the regex engine skips ahead to it (four times
# faster on a large sheet than a leading \s); _references checks the white space before it.
_WIDE_COLUMN = re.compile(rb'r="([A-Z]{2,3})[0-9]')
_FAR_ROW = re.compile(rb'r="[A-Z]{0,3}([0-9]{6,})"')
_SPACE = frozenset(b" \t\n\r\f\v")  # what \s matches in a bytes pattern


def check_workbook_zip(data: bytes, *, max_uncompressed: int = DEFAULT_MAX_UNCOMPRESSED) -> None:
    """Refuse (FormatError) bytes that are not a sound XLSX/XLSM zip or that would inflate too far.

    The declared sizes are checked first (cheap); then every member is inflated in chunks with
    zipfile, counting the bytes it really yields and checking its CRC, so a member lying about
    its size is caught too, without ever holding more than a chunk in memory.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError, OSError,
            ValueError):  # fmt: skip
        raise FormatError(
            "the file is not a valid Excel workbook (.xlsx): it may be damaged or cut short"
        ) from None
    with archive:
        members = archive.infolist()
        if len(members) > MAX_MEMBERS:
            raise FormatError(f"the workbook has {len(members)} parts: not a spreadsheet")
        names = {member.filename for member in members}
        if "[Content_Types].xml" not in names or not any(n.startswith("xl/") for n in names):
            raise FormatError(
                "the file is a zip archive but not an Excel workbook (.xlsx); "
                "save the register as .xlsx or CSV"
            )
        declared = sum(member.file_size for member in members)
        if declared > max_uncompressed:
            raise FormatError(_too_large(declared, max_uncompressed))
        for member in members:
            ratio = member.file_size / max(member.compress_size, 1)
            if ratio > MAX_RATIO and member.file_size > RATIO_MIN_BYTES:
                raise FormatError(
                    f"the workbook part {member.filename!r} inflates {ratio:.0f} times"
                    f" to {member.file_size:,} bytes: refused as a possible zip bomb"
                )
        _inflate_all(archive, members, max_uncompressed)


def _inflate_all(
    archive: zipfile.ZipFile, members: list[zipfile.ZipInfo], max_uncompressed: int
) -> None:
    total = 0
    for member in members:
        if member.is_dir():
            continue
        extent = _SheetExtent() if member.filename.startswith("xl/worksheets/") else None
        try:
            with archive.open(member) as stream:
                while chunk := stream.read(_CHUNK):
                    total += len(chunk)
                    if total > max_uncompressed:
                        raise FormatError(_too_large(total, max_uncompressed))
                    if extent is not None:
                        extent.scan(chunk, member.filename)
        except FormatError:
            raise
        except (
            zipfile.BadZipFile,
            zlib.error,
            OSError,
            EOFError,
            ValueError,
            NotImplementedError,
        ) as exc:
            # BadZipFile also covers a CRC mismatch, i.e. a member whose size was a lie;
            # NotImplementedError an unsupported compression method.
            raise FormatError(
                f"the workbook part {member.filename!r} cannot be read ({exc}):"
                " the file may be damaged"
            ) from None
        except RuntimeError:  # zipfile's "is encrypted, password required"
            raise FormatError(
                "the workbook is password-protected: remove the password and send it again"
            ) from None


class _SheetExtent:
    """The farthest cell a sheet names, to refuse a "cell bomb" before calamine reads it.

    Calamine holds a sheet as a dense grid from its first to its last cell, so two cells at A1
    and XFD1048576 in a tiny file would ask for 17 billion cells. Only references beyond column
    Z or row 99,999 are looked at (rare in a register, so the scan costs little); the grid is
    taken to reach at least Z99999.
    """

    def __init__(self) -> None:
        self.columns = 26
        self.rows = 99_999
        self.tail = b""

    def scan(self, chunk: bytes, name: str) -> None:
        text = self.tail + chunk
        self.tail = text[-24:]  # a reference cut between two chunks is seen whole next time
        for letters in _references(_WIDE_COLUMN, text):
            self.columns = max(self.columns, _column_number(letters))
        for digits in _references(_FAR_ROW, text):
            self.rows = max(self.rows, int(digits))
        if self.columns * self.rows > MAX_CELLS:
            raise FormatError(
                f"the sheet {name!r} spans {self.rows:,} rows by {self.columns:,} columns:"
                " refused (too large to read, or a cell bomb)"
            )


def _references(pattern: re.Pattern[bytes], text: bytes) -> Iterator[bytes]:
    """The first group of each match of `pattern` that follows white space (is an attribute)."""
    for match in pattern.finditer(text):
        start = match.start()
        if start and text[start - 1] in _SPACE:
            yield match[1]


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


def _too_large(size: int, limit: int) -> str:
    shown = f"{limit // (1024 * 1024)} MB" if limit >= 1024 * 1024 else f"{limit:,} bytes"
    return (
        f"the workbook inflates to more than {shown} ({size:,} bytes or more):"
        " refused (too large, or a zip bomb)"
    )


def _python_row(row: list[Any]) -> list[object]:
    """A calamine row as plain values (_python_value); text, the usual cell, is done inline."""
    return [
        (cell if cell.strip() else None) if type(cell) is str else _python_value(cell)
        for cell in row
    ]


def _python_value(value: Any) -> object:
    """A calamine cell as a plain value: str, int, float, bool, date, datetime or None."""
    if isinstance(value, str):
        return value if value.strip() else None
    if isinstance(value, bool):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() and abs(value) < 2**53 else value
    if isinstance(value, datetime | date | int):
        return value
    if isinstance(value, time | timedelta):
        return str(value)
    return None if value is None else str(value)


def read_xlsx_rows(
    data: bytes, *, max_uncompressed: int = DEFAULT_MAX_UNCOMPRESSED
) -> tuple[str, list[list[object]]]:
    """The first sheet holding data: its name and its rows from A1 (so row n is rows[n - 1]).

    Cells are str, int (whole numbers), float, bool, date or datetime; empty cells are None.
    Formulas give the value cached in the file, never a recomputed one; a formula saved without a
    cached value reads as what the writer stored (often 0 or empty).
    """
    name, rows = read_first_sheet(data, max_uncompressed=max_uncompressed)
    return name, [_python_row(row) for row in rows]


def read_first_sheet(
    data: bytes, *, max_uncompressed: int = DEFAULT_MAX_UNCOMPRESSED
) -> tuple[str, list[list[Any]]]:
    """The first sheet holding data, read safely: its name and its rows as calamine gives them.

    The zip is checked first (check_workbook_zip: size, zip bomb, cell bomb).
    """
    check_workbook_zip(data, max_uncompressed=max_uncompressed)
    try:
        workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        try:
            for index in range(len(workbook.sheet_names)):
                sheet = workbook.get_sheet_by_index(index)
                rows = sheet.to_python(skip_empty_area=False)
                if any(_python_value(cell) is not None for row in rows for cell in row):
                    return sheet.name, rows
        finally:
            workbook.close()
    except Exception as exc:  # calamine raises its own error types (and ValueError, OSError)
        raise FormatError(f"the workbook cannot be read: {exc}") from None
    except BaseException as exc:
        # A Rust panic inside calamine surfaces as pyo3's PanicException, a BaseException.
        if type(exc).__name__ != "PanicException":
            raise
        raise FormatError("the workbook cannot be read: it is malformed") from None
    raise FormatError("the workbook has no data: every sheet is empty")


def parse_register_file(data: bytes, *, gstin: str) -> ParsedFile:
    """A purchase register as XLSX/XLSM (told by its zip signature) or CSV (anything else)."""
    if data.startswith((ZIP_MAGIC, EMPTY_ZIP_MAGIC)):
        sheet, rows = read_first_sheet(data, max_uncompressed=DEFAULT_MAX_UNCOMPRESSED)
        # Calamine's cells go to the reader as they are: it reads every cell type calamine
        # gives (text, numbers, dates, times as text), and looks only at its own columns.
        return parse_register_rows(rows, gstin=gstin, sheet=sheet)
    if data.startswith(OLE_MAGIC):
        raise FormatError(
            "this is an old Excel .xls file or a password-protected workbook:"
            " save it as .xlsx (Excel Workbook) or CSV, without a password"
        )
    return parse_register_csv(data, gstin=gstin)


def write_register_xlsx(records: Iterable[ReportedRecord]) -> bytes:
    """The records as a template workbook, streamed row by row (xlsxwriter constant_memory).

    Text goes in as text (write_string: a name starting with '=' stays a name, never a
    formula), guarded like the CSV's so that it stays text when saved as CSV again; amounts as
    numbers shown with Indian grouping, dates as dates.
    """
    output = io.BytesIO()
    workbook = xlsxwriter.Workbook(output, {"constant_memory": True})
    sheet = workbook.add_worksheet("Purchase register")
    bold = workbook.add_format({"bold": True})
    # Indian grouping: 1,23,45,678.00.
    money = workbook.add_format(
        {"num_format": "[>=10000000]##\\,##\\,##\\,##0.00;[>=100000]##\\,##\\,##0.00;##,##0.00"}
    )
    day = workbook.add_format({"num_format": "dd-mm-yyyy"})
    widths = (17, 32, 22, 18, 12, 14, 12, 12, 12, 10, 14, 8, 8, 18, 12, 10)
    for column, width in enumerate(widths):
        sheet.set_column(column, column, width)
    for column, header in enumerate(REGISTER_HEADERS):
        sheet.write_string(0, column, header, bold)
    for row, reported in enumerate(records, start=1):
        for column, cell in enumerate(register_cells(reported)):
            if cell is None:
                continue
            if isinstance(cell, Decimal):
                sheet.write_number(row, column, float(cell), money)
            elif isinstance(cell, date):
                sheet.write_datetime(row, column, datetime.combine(cell, time()), day)
            else:
                sheet.write_string(row, column, guarded(cell))
    sheet.freeze_panes(1, 0)
    workbook.close()
    return output.getvalue()
