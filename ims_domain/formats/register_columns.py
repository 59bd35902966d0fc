"""The purchase register's columns (docs/purchase-register.md): the template's headers, the
spellings accepted for each, and finding the header row of a file.

Headers are matched case-, space- and punctuation-insensitively, so registers exported from most
accounting tools read without editing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ims_domain.formats.common import FormatError

# Title rows allowed above the header: the header must be within the first this many rows.
HEADER_SEARCH_ROWS = 20


@dataclass(frozen=True)
class Column:
    """One template column: its key, its header in our template, and the spellings we accept.

    `aliases` are specific spellings; `generic` ones ("Date", "Total") only count when no
    specific spelling of the same column is in the header row.
    """

    key: str
    header: str
    aliases: tuple[str, ...]
    generic: tuple[str, ...] = ()
    required: bool = False


COLUMNS: tuple[Column, ...] = (
    Column(
        "supplier_gstin",
        "Supplier GSTIN",
        (
            "Supplier GSTIN", "GSTIN of supplier", "GSTIN/UIN of Supplier", "Supplier GSTIN/UIN",
            "Vendor GSTIN", "Party GSTIN", "Seller GSTIN", "GSTIN of the supplier",
            "Supplier GST No", "Party GST No", "CTIN", "STIN", "GSTIN/UIN",
        ),
        ("GSTIN", "GST No", "GST Number"),
        required=True,
    ),
    Column(
        "supplier_name",
        "Supplier name",
        (
            "Supplier name", "Name of supplier", "Supplier trade name", "Supplier legal name",
            "Trade/Legal name", "Trade name", "Legal name", "Party name", "Vendor name",
            "Seller name", "Trade/Legal name of the supplier", "Particulars",
        ),
        ("Name", "Party"),
    ),
    # Not "Voucher type": in the recipient's books a "Debit Note" voucher is its own note, which
    # answers a supplier's credit note; reading it as the supplier's debit note would mislead.
    Column(
        "document_type",
        "Document type",
        (
            "Document type", "Doc type", "Note type", "Type of document", "Section",
        ),
        ("Type",),
    ),
    Column(
        "number",
        "Document number",
        (
            "Document number", "Document No", "Doc No", "Doc Number", "Invoice No",
            "Invoice Number", "Inv No", "Inv Number", "Invoice/Note No", "Invoice/Note Number",
            "Note No", "Note Number", "Bill No", "Bill Number", "Supplier Invoice No",
            "Supplier Invoice Number", "Supplier Inv No", "Bill of entry number", "BOE No",
            "BOE Number", "Reference No", "Ref No",
        ),
        ("Number", "No"),
        required=True,
    ),
    Column(
        "date",
        "Document date",
        (
            "Document date", "Doc date", "Invoice date", "Inv date", "Invoice/Note date",
            "Note date", "Bill date", "Supplier invoice date", "Supplier inv date",
            "Bill of entry date", "BOE date", "Reference date", "Ref date",
        ),
        ("Date",),
        required=True,
    ),
    Column(
        "taxable_value",
        "Taxable value",
        (
            "Taxable value", "Taxable Amt", "Taxable amount", "Taxable", "Assessable value",
            "Taxable val", "Txval",
        ),
        ("Value of supply",),
        required=True,
    ),
    Column(
        "igst",
        "IGST",
        (
            "IGST", "Integrated Tax", "IGST Amount", "IGST Amt", "Integrated Tax Amount",
            "Integrated Tax Amt", "IAMT",
        ),
    ),
    Column(
        "cgst",
        "CGST",
        (
            "CGST", "Central Tax", "CGST Amount", "CGST Amt", "Central Tax Amount",
            "Central Tax Amt", "CAMT",
        ),
    ),
    Column(
        "sgst",
        "SGST",
        (
            "SGST", "State/UT Tax", "SGST/UTGST", "UTGST", "State Tax", "UT Tax", "SGST Amount",
            "SGST Amt", "State/UT Tax Amount", "State Tax Amount", "SGST/UTGST Amount",
            "SAMT",
        ),
    ),
    Column(
        "cess",
        "Cess",
        ("Cess", "Cess Amount", "Cess Amt", "Compensation Cess", "Comp Cess", "CSAMT"),
    ),
    Column(
        "value",
        "Document value",
        (
            "Document value", "Invoice value", "Invoice amount", "Total invoice value",
            "Note value", "Bill amount", "Bill value", "Total value", "Gross amount",
            "Document amount", "Invoice/Note value", "Val",
        ),
        ("Total", "Amount", "Total amount", "Value"),
    ),
    Column(
        "place_of_supply",
        "Place of supply",
        ("Place of supply", "POS", "Place of supply state", "State of supply", "Supply state"),
    ),
    Column(
        "reverse_charge",
        "Reverse charge",
        (
            "Reverse charge", "RCM", "Reverse charge (Y/N)", "Reverse charge applicable",
            "RCM applicable", "Is RCM", "Supply attract reverse charge",
            "Supply attracts reverse charge", "Reverse charge mechanism",
        ),
    ),
    Column(
        "original_number",
        "Original number",
        (
            "Original number", "Original No", "Original document number", "Original document No",
            "Original invoice number", "Original invoice No", "Original Inv No",
            "Original note number", "Original note No", "Orig Inv No", "Original doc No",
            "Original bill of entry number", "OINUM", "ONT_NUM",
        ),
    ),
    Column(
        "original_date",
        "Original date",
        (
            "Original date", "Original document date", "Original invoice date",
            "Original Inv date", "Original note date", "Orig Inv date", "Original doc date",
            "Original bill of entry date", "OIDT", "ONT_DT",
        ),
    ),
    Column(
        "return_period",
        "Return period",
        (
            "Return period", "Supplier return period", "GSTR-1 period", "GSTR1 period",
            "Filing period", "Tax period", "RTNPRD",
        ),
        ("Period",),
    ),
)  # fmt: skip

REGISTER_HEADERS: tuple[str, ...] = tuple(column.header for column in COLUMNS)
_BY_KEY = {column.key: column for column in COLUMNS}
_TAX_KEYS = ("igst", "cgst", "sgst")


def header_key(text: str) -> str:
    """A header as we compare it: lower case, letters and digits only, units dropped.

    "Taxable Value (₹)", "taxable value in Rs." and "TAXABLE_VALUE" all become "taxablevalue".
    """
    lowered = text.casefold().replace("₹", " ")
    if "(" in lowered:
        kept = re.sub(r"\([^)]*\)", " ", lowered)
        if re.search(r"[0-9a-z]", kept):
            lowered = kept
    tokens = re.findall(r"[0-9a-z]+", lowered)
    while len(tokens) > 1 and tokens[-1] in {"rs", "inr", "rupees"}:
        tokens.pop()
        if len(tokens) > 1 and tokens[-1] == "in":
            tokens.pop()
    return "".join(tokens)


def _alias_table() -> dict[str, tuple[str, int]]:
    table: dict[str, tuple[str, int]] = {}
    for column in COLUMNS:
        for rank, names in enumerate((column.aliases, column.generic)):
            for name in names:
                table.setdefault(header_key(name), (column.key, rank))
    return table


_ALIASES = _alias_table()


@dataclass
class Header:
    """The header row found: its position, the column of each key, and what was ignored."""

    index: int
    columns: dict[str, int]
    shown: dict[str, str]  # key -> header text as the file writes it
    ignored: list[str]


@dataclass
class _Candidate:
    index: int
    columns: dict[str, int]
    shown: dict[str, str]
    ignored: list[str]
    ambiguous: list[str]
    texts: list[str]

    def missing(self) -> list[str]:
        found = set(self.columns)
        missing = [c.header for c in COLUMNS if c.required and c.key not in found]
        if not found & set(_TAX_KEYS):
            missing.append("IGST (or CGST and SGST)")
        elif "cgst" in found and "sgst" not in found:
            missing.append("SGST")
        elif "sgst" in found and "cgst" not in found:
            missing.append("CGST")
        return missing


def _match_header_row(index: int, cells: Sequence[object]) -> _Candidate:
    chosen: dict[str, tuple[int, int]] = {}  # key -> (rank, column)
    shown: dict[str, str] = {}
    ignored: list[str] = []
    ties: dict[str, list[str]] = {}
    texts: list[str] = []
    for position, cell in enumerate(cells):
        if not isinstance(cell, str) or not cell.strip():
            continue
        text = cell.strip()
        texts.append(text)
        hit = _ALIASES.get(header_key(text))
        if hit is None:
            ignored.append(text)
            continue
        key, rank = hit
        if key not in chosen or rank < chosen[key][0]:
            if key in chosen:
                ignored.append(shown[key])
            chosen[key] = (rank, position)
            shown[key] = text
            ties.pop(key, None)
        elif rank == chosen[key][0]:
            ties.setdefault(key, [shown[key]]).append(text)
        else:
            ignored.append(text)
    ambiguous = []
    for key, names in ties.items():
        if chosen[key][0] == 0:
            ambiguous.append(f"{_BY_KEY[key].header}: {', '.join(repr(t) for t in names)}")
        else:  # two generic spellings ("Total", "Amount"): neither is read
            del chosen[key], shown[key]
            ignored.extend(names)
    columns = {key: position for key, (_, position) in chosen.items()}
    return _Candidate(index, columns, shown, ignored, ambiguous, texts)


def find_header(head: Sequence[Sequence[object]]) -> Header:
    """The first row (among the first HEADER_SEARCH_ROWS) holding every required column."""
    best: _Candidate | None = None
    for index, cells in enumerate(head):
        candidate = _match_header_row(index, cells)
        if not candidate.texts:
            continue
        if not candidate.missing():
            if candidate.ambiguous:
                raise FormatError(
                    f"row {index + 1} has two columns for the same thing: "
                    + "; ".join(candidate.ambiguous)
                    + ". Rename or delete one of them."
                )
            return Header(index, candidate.columns, candidate.shown, candidate.ignored)
        if best is None or len(candidate.columns) > len(best.columns):
            best = candidate
    if best is None:
        raise FormatError(
            "the purchase register is empty: expected a header row with "
            + ", ".join(_required_names())
        )
    found = ", ".join(repr(text) for text in best.texts[:30])
    raise FormatError(
        f"the purchase register lacks the column(s) {', '.join(best.missing())}; "
        f"the best header row (row {best.index + 1}) has: {found}. "
        "See the template in docs/purchase-register.md for the accepted headers."
    )


def count_columns(cells: Sequence[object]) -> int:
    """How many template columns a row's texts name: how close it comes to being the header."""
    return len(_match_header_row(0, cells).columns)


def _required_names() -> list[str]:
    return [c.header for c in COLUMNS if c.required] + ["IGST (or CGST and SGST)"]
