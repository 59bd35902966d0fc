"""Hostile files by class, each built from a few dozen valid demo records and a seed.

A file says what a sound import does with it: the rows it left alone (`intact`) are imported
if the file is; each row carrying a hostile value (`marked`) is refused, or at least named in a
problem, when its class asks so; some files are refused as a whole. File n of a class is made
from seed n; a class's variants take turns by seed, so its first files cover all of them.
"""

from __future__ import annotations

import csv
import io
import random
import struct
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Any

from ims_domain.formats.demo import demo_records
from ims_domain.formats.gstr1 import write_gstr1
from ims_domain.formats.gstr2b import write_gstr2b
from ims_domain.formats.ims_writer import write_ims
from ims_domain.formats.jsonio import encode_json, load_json
from ims_domain.formats.register import write_register_csv
from ims_domain.records import RecordKind, ReportedRecord
from storage.spreadsheets import write_register_xlsx

RECORDS = 24
# Keys of an IMS row that make the record's identity: changing one makes another record.
IDENTITY_KEYS = frozenset({"stin", "inum", "idt", "nt_num", "nt_dt", "boenum", "boedt", "portcd"})
AMOUNT_KEYS = ("txval", "iamt", "camt", "samt", "cess", "val")


@dataclass(frozen=True)
class Marked:
    """A row carrying a hostile value: where it is, its identity when that is unchanged, and
    whether a sound import refuses it, or at least names it in a problem."""

    section: str
    index: int
    identity: str | None
    refuse: bool = False
    name: bool = False


@dataclass(frozen=True)
class Hostile:
    """One hostile file and what a sound import does with it."""

    label: str
    data: bytes
    gstin: str  # the recipient it is imported for (registered before)
    intact: frozenset[str] = frozenset()  # identities imported if the file is
    marked: tuple[Marked, ...] = ()
    refuse_file: bool = False  # refused as a whole


@dataclass(frozen=True)
class Base:
    """Valid demo records of one recipient (a new one for each seed)."""

    gstin: str
    records: tuple[ReportedRecord, ...]

    @property
    def sections(self) -> dict[str, list[ReportedRecord]]:
        """The records by IMS section, in the order write_ims lists them."""
        by_kind = {k.value: [r for r in self.records if r.record.kind is k] for k in RecordKind}
        return {section: rows for section, rows in by_kind.items() if rows}

    @property
    def books(self) -> list[ReportedRecord]:
        """The records a purchase register holds (no amendments)."""
        return [r for r in self.records if not r.record.kind.is_amendment]

    def document(self) -> dict[str, Any]:
        """The IMS download as JSON values (amounts as Decimals)."""
        document: dict[str, Any] = load_json(write_ims(self.records))
        return document

    def rows(self, rng: random.Random, count: int) -> list[tuple[str, int]]:
        """`count` distinct (section, index) rows of the IMS download."""
        rows = [(s, index) for s, items in self.sections.items() for index in range(len(items))]
        return rng.sample(rows, min(count, len(rows)))


def base(seed: int) -> Base:
    """A few dozen valid records of one recipient."""
    data = demo_records(recipients=1, suppliers=4, records=RECORDS, seed=seed)
    gstin = data.recipients[0].gstin
    return Base(gstin, data.records_for(gstin))


# --------------------------------------------------------------------------- IMS rows changed

Change = Callable[[dict[str, Any]], str]  # changes a row in place; returns the key it set


def ims_file(
    label: str, source: Base, data: bytes, marked: list[tuple[str, int, bool]], **need: bool
) -> Hostile:
    """A hostile IMS download; `marked` rows are (section, index, identity unchanged), and
    `need` says what each must get (refuse=True, name=True)."""
    chosen = {(section, index) for section, index, _ in marked}
    intact = frozenset(
        item.record.key.text
        for section, items in source.sections.items()
        for index, item in enumerate(items)
        if (section, index) not in chosen
    )
    marks = tuple(
        Marked(s, i, source.sections[s][i].record.key.text if kept else None, **need)
        for s, i, kept in marked
    )
    return Hostile(label, data, source.gstin, intact, marks)


def with_rows_changed(
    label: str, seed: int, rng: random.Random, changes: list[Change], **need: bool
) -> Hostile:
    """An IMS download with one row changed by each of `changes`."""
    source = base(seed)
    document = source.document()
    marked = []
    for change, (section, index) in zip(changes, source.rows(rng, len(changes)), strict=False):
        key = change(document[section][index])
        marked.append((section, index, key not in IDENTITY_KEYS))
    return ims_file(label, source, encode_json(document), marked, **need)


def setting(key: str | Callable[[dict[str, Any]], str], value: Callable[[Any], Any]) -> Change:
    """A change that sets `key` (or the key picked from the row) to `value(current value)`."""

    def change(row: dict[str, Any]) -> str:
        chosen = key(row) if callable(key) else key
        row[chosen] = value(row.get(chosen))
        return chosen

    return change


def number_key(row: dict[str, Any]) -> str:
    """The row's document number key."""
    return next(k for k in ("inum", "nt_num", "boenum") if k in row)


HOSTILE_SCALARS: tuple[Any, ...] = (
    None, "", "x" * 40, -1, 10**30, "31-02-2025", "1e999", [], {}, "27AAPFU0939F1Z",
    Decimal("0.1"), True, "NaN", "Infinity", "0x10", "１２３",
)  # fmt: skip


def mutated_ims(seed: int, rng: random.Random) -> Hostile:
    """An IMS download with a few fields replaced, retyped or dropped; one in five cut short."""

    def mutate(row: dict[str, Any]) -> str:
        key = rng.choice(sorted(row))
        if rng.random() < 0.2:
            del row[key]
        else:
            row[key] = rng.choice(HOSTILE_SCALARS)
        return key

    hostile = with_rows_changed("mutated IMS", seed, rng, [mutate] * rng.randint(1, 4))
    if rng.random() < 0.2:
        cut = hostile.data[: rng.randint(1, len(hostile.data) - 1)]
        return Hostile("IMS cut short", cut, hostile.gstin, refuse_file=True)
    return hostile


HUGE = (Decimal("1E+30"), 10**40, int("9" * 400), Decimal("1E+999999"), Decimal("1E+20"))


def huge_numbers(seed: int, rng: random.Random) -> Hostile:
    """Amounts of 10^20 rupees and more: in an IMS download (even seeds) or a register CSV."""
    if seed % 2:
        texts = iter(str(value) for value in HUGE)
        return _register_csv("huge numbers (CSV)", seed, rng, lambda: next(texts), amounts=True)

    def amount(row: dict[str, Any]) -> str:
        return rng.choice([k for k in AMOUNT_KEYS if k in row])

    changes = [setting(amount, lambda _, huge=huge: huge) for huge in HUGE]
    return with_rows_changed("huge numbers", seed, rng, changes, refuse=True)


def negative_amounts(seed: int, rng: random.Random) -> Hostile:
    """A negative taxable value, IGST, CGST, SGST and document value, each in a row."""
    changes = [
        setting(key, lambda value: -abs(value or Decimal(100)))
        for key in AMOUNT_KEYS
        if key != "cess"
    ]
    return with_rows_changed("negative amounts", seed, rng, changes, refuse=True)


NON_STRINGS: tuple[Any, ...] = (12345, Decimal("1.5"), True, [1, 2], {"sha": "x"}, 10**30, None)


def non_string_hash(seed: int, rng: random.Random) -> Hostile:
    """Portal `hash` values that are a number, a boolean, a list, an object or null."""
    changes = [setting("hash", lambda _, value=value: value) for value in NON_STRINGS]
    return with_rows_changed("non-string hash", seed, rng, changes)


def overlong_texts(seed: int, rng: random.Random) -> Hostile:
    """A supplier name of 100,000 characters, remarks of a million, a hash of 100,000 and a
    document number of 5,000, each in a row."""
    changes = [
        setting("trdnm", lambda _: "A" * 100_000),
        setting("remarks", lambda _: "R" * 1_000_000),
        setting("hash", lambda _: "f" * 100_000),
        setting(number_key, lambda _: "9" * 5_000),
    ]
    return with_rows_changed("overlong texts", seed, rng, changes)


def nul_characters(seed: int, rng: random.Random) -> Hostile:
    """NUL in a name, remarks, a hash and a number of an IMS download (even seeds), or in the
    names and numbers of a register CSV."""
    if seed % 2:
        return _register_csv(
            "NUL characters (CSV)", seed, rng, lambda: "Sharma\x00Traders", amounts=False
        )
    changes = [
        setting(key, lambda value: f"{value or 'note'}\x00") for key in ("trdnm", "remarks", "hash")
    ]
    changes.append(setting(number_key, lambda value: f"{value}\x00"))
    return with_rows_changed("NUL characters", seed, rng, changes)


def duplicate_keys(seed: int, rng: random.Random) -> Hostile:
    """An amount, a name and a number each twice in a row, the later value different (even
    seeds); or a section twice, the later list holding only the first's first row, so that a
    reader keeping the later one drops the others without a word."""
    source = base(seed)
    document = source.document()
    if seed % 2:
        section = next(iter(source.sections))
        document["__again__"] = document[section][:1]
        data = encode_json(document).replace(b'"__again__"', f'"{section}"'.encode())
        shadowed = [(section, index, True) for index in range(1, len(document[section]))]
        return ims_file("duplicate section", source, data, shadowed, name=True)
    marked, again = [], {}
    for n, (section, index) in enumerate(source.rows(rng, 3)):
        row = document[section][index]
        key = ("txval", "trdnm", number_key(row))[n]
        row[f"__again{n}__"] = Decimal("1.00") if key in AMOUNT_KEYS else "ANOTHER-1"
        again[f"__again{n}__"] = key
        marked.append((section, index, key not in IDENTITY_KEYS))
    data = encode_json(document)
    for placeholder, key in again.items():
        data = data.replace(f'"{placeholder}"'.encode(), f'"{key}"'.encode())
    return ims_file("duplicate keys", source, data, marked, name=True)


def deep_nesting(seed: int, rng: random.Random) -> Hostile:
    """JSON nested 100,000 levels deep: a section, a whole file, a row's field, data wrappers."""
    source = base(seed)
    depth = 100_000
    how = ("section", "file", "field", "wrappers")[seed % 4]
    if how == "field":
        document = source.document()
        section = next(iter(source.sections))
        document[section][0]["trdnm"] = "__deep__"
        data = encode_json(document).replace(b'"__deep__"', b"[" * depth + b"]" * depth)
        return ims_file("deep nesting (field)", source, data, [(section, 0, True)])
    data = {
        "section": b'{"b2b": ' + b"[" * depth + b"]" * depth + b"}",
        "file": b"[" * depth + b"]" * depth,
        "wrappers": b'{"data": ' * depth + b"{}" + b"}" * depth,
    }[how]
    return Hostile(f"deep nesting ({how})", data, source.gstin)


# --------------------------------------------------------------------------- other returns


def _anywhere(value: Any, rng: random.Random) -> Any:
    """`value` with one leaf somewhere replaced, retyped or dropped."""
    if isinstance(value, dict) and value:
        key = rng.choice(list(value))
        if rng.random() < 0.2:
            return {k: v for k, v in value.items() if k != key}
        return {**value, key: _anywhere(value[key], rng)}
    if isinstance(value, list) and value:
        index = rng.randrange(len(value))
        return [*value[:index], _anywhere(value[index], rng), *value[index + 1 :]]
    return rng.choice(HOSTILE_SCALARS)


def _mutated(label: str, data: bytes, gstin: str, rng: random.Random) -> Hostile:
    document = load_json(data)
    for _ in range(rng.randint(1, 5)):
        document = _anywhere(document, rng)
    return Hostile(label, encode_json(document), gstin)


def mutated_gstr2b(seed: int, rng: random.Random) -> Hostile:
    """The GSTR-2B of the recipient's busiest period, leaves replaced, retyped or dropped."""
    source = base(seed)
    periods = Counter(r.record.two_b_period for r in source.records if r.record.two_b_period)
    period = periods.most_common(1)[0][0]
    mine = [r for r in source.records if r.record.two_b_period == period]
    data = write_gstr2b(mine, gstin=source.gstin, period=period)
    return _mutated("mutated GSTR-2B", data, source.gstin, rng)


def mutated_gstr1(seed: int, rng: random.Random) -> Hostile:
    """A supplier's GSTR-1 naming the recipient, leaves replaced, retyped or dropped."""
    source = base(seed)
    returns = Counter(
        (r.record.key.supplier, r.record.supplier_period)
        for r in source.records
        if r.record.supplier_period and not r.record.kind.is_import
    )
    (supplier, period), _ = returns.most_common(1)[0]
    mine = [
        r
        for r in source.records
        if (r.record.key.supplier, r.record.supplier_period) == (supplier, period)
    ]
    data = write_gstr1(mine, gstin=supplier, period=period)
    return _mutated("mutated GSTR-1", data, source.gstin, rng)


# --------------------------------------------------------------------------- register, bytes

FORMULAS = (
    '=HYPERLINK("http://evil.example","x")',
    "=cmd|' /C calc'!A0",
    "+1+1",
    "-2+3",
    "@SUM(1,2)",
)
# Columns of the register template: 1 supplier name, 3 document number, 5 taxable value, 6 IGST.
TEXT_COLUMNS, AMOUNT_COLUMNS = (1, 3), (5, 6)


def _register_csv(
    label: str, seed: int, rng: random.Random, value: Callable[[], str], *, amounts: bool | None
) -> Hostile:
    """A register CSV with `value()` in an amount cell (False: a text cell; None: either) of a
    few rows; a bad amount is refused, a text kept or refused."""
    source = base(seed)
    books = source.books
    rows = list(csv.reader(io.StringIO(write_register_csv(books).decode("utf-8-sig"))))
    columns = {True: AMOUNT_COLUMNS, False: TEXT_COLUMNS, None: AMOUNT_COLUMNS + TEXT_COLUMNS}
    chosen = columns[amounts]
    marked = []
    for n, line in enumerate(rng.sample(range(1, len(rows)), min(5, len(rows) - 1))):
        column = chosen[n % len(chosen)]
        rows[line][column] = value()
        identity = books[line - 1].record.key.text if column != 3 else None
        # Spreadsheet rows count from 1, the header included.
        marked.append(Marked("register", line + 1, identity, refuse=column in AMOUNT_COLUMNS))
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    changed = {mark.index - 2 for mark in marked}
    intact = frozenset(r.record.key.text for n, r in enumerate(books) if n not in changed)
    return Hostile(label, out.getvalue().encode(), source.gstin, intact, tuple(marked))


def csv_formulas(seed: int, rng: random.Random) -> Hostile:
    """Spreadsheet formulas in a register CSV's amounts (refused), names and numbers."""
    formulas = iter(FORMULAS)
    return _register_csv("CSV with formulas", seed, rng, lambda: next(formulas), amounts=None)


def random_bytes(seed: int, rng: random.Random) -> Hostile:
    """Bytes from nowhere, some opening like JSON, a zip, a CSV or a UTF-8 text."""
    head = (b"", b"{", b"[", b"PK\x03\x04", b"Supplier GSTIN,", b"\xef\xbb\xbf")[seed % 6]
    data = head + rng.randbytes(rng.randint(1, 50_000))
    return Hostile("random bytes", data, base(seed).gstin, refuse_file=True)


def _rezip(data: bytes, change: Callable[[str, bytes], bytes | None]) -> bytes:
    """The workbook with each part changed by `change(name, content)` (None drops the part)."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            content = change(info.filename, source.read(info))
            if content is not None:
                target.writestr(info.filename, content)
    return out.getvalue()


def _half_sheet(name: str, content: bytes) -> bytes:
    return content[: len(content) // 2] if "worksheets" in name else content


def broken_xlsx(seed: int, rng: random.Random) -> Hostile:
    """A register workbook cut short, with bytes flipped, without its sheet or content types,
    or with its sheet XML cut in half."""
    source = base(seed)
    data = write_register_xlsx(source.books)
    how = ("cut", "flipped", "no sheet", "bad xml", "no content types")[seed % 5]
    if how == "cut":
        data = data[: rng.randint(10, len(data) - 10)]
    elif how == "flipped":
        flipped = bytearray(data)
        for _ in range(rng.randint(1, 20)):
            flipped[rng.randrange(len(flipped))] ^= 0xFF
        data = bytes(flipped)
    elif how == "no sheet":
        data = _rezip(data, lambda name, content: None if "worksheets" in name else content)
    elif how == "bad xml":
        data = _rezip(data, _half_sheet)
    else:
        data = _rezip(
            data, lambda name, content: None if name == "[Content_Types].xml" else content
        )
    # A flipped byte may land where no reader looks: such a workbook is whole and may be read.
    return Hostile(f"broken XLSX ({how})", data, source.gstin, refuse_file=how != "flipped")


BOMB_BYTES = 64 * 1_048_576


@cache
def _deflated_sheet() -> tuple[bytes, int]:
    """A 64 MB sheet of one repeated row, raw-deflated (about 200 KB), and its CRC."""
    row = b'<row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c></row>'
    chunk = row * (1_048_576 // len(row))
    chunk += b" " * (1_048_576 - len(chunk))
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    parts, crc = [], 0
    for _ in range(BOMB_BYTES // len(chunk)):
        parts.append(compressor.compress(chunk))
        crc = zlib.crc32(chunk, crc)
    parts.append(compressor.flush())
    return b"".join(parts), crc


def _raw(content: bytes) -> bytes:
    compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
    return compressor.compress(content) + compressor.flush()


def _raw_zip(members: list[tuple[str, bytes, int, int]]) -> bytes:
    """A zip of raw-deflated members (name, data, declared size, CRC), written by hand so that
    a declared size can lie."""
    out, central = io.BytesIO(), []
    for name, data, size, crc in members:
        offset, encoded = out.tell(), name.encode()
        local = (20, 0, 8, 0, 0, crc, len(data), size, len(encoded), 0)
        out.write(struct.pack("<4s5H3L2H", b"PK\x03\x04", *local) + encoded + data)
        entry = (20, 20, 0, 8, 0, 0, crc, len(data), size, len(encoded), 0, 0, 0, 0, 0, offset)
        central.append(struct.pack("<4s6H3L5H2L", b"PK\x01\x02", *entry) + encoded)
    start = out.tell()
    out.write(b"".join(central))
    end = (0, 0, len(central), len(central), out.tell() - start, start, 0)
    out.write(struct.pack("<4s4H2LH", b"PK\x05\x06", *end))
    return out.getvalue()


def zip_bomb(seed: int, rng: random.Random) -> Hostile:
    """A workbook whose sheet inflates to 64 MB (declared as that, as 300 MB, or as 1 KB), a
    sheet whose one cell sits at XFD1048576, or a workbook of 10,001 parts."""
    source = base(seed)
    how = ("ratio", "declared 300 MB", "declared 1 KB", "far cell", "parts")[seed % 5]
    workbook = zipfile.ZipFile(io.BytesIO(write_register_xlsx(source.books)))
    parts = {info.filename: workbook.read(info) for info in workbook.infolist()}
    sheet = "xl/worksheets/sheet1.xml"
    members = [(name, _raw(c), len(c), zlib.crc32(c)) for name, c in parts.items() if name != sheet]
    if how == "parts":
        members += [(f"xl/worksheets/extra{n}.xml", _raw(b""), 0, 0) for n in range(10_001)]
    elif how == "far cell":
        far = parts[sheet].replace(b'r="A1"', b'r="XFD1048576"', 1)
        members.append((sheet, _raw(far), len(far), zlib.crc32(far)))
    else:
        deflated, crc = _deflated_sheet()
        declared = {"ratio": BOMB_BYTES, "declared 300 MB": 300 * 1_048_576}.get(how, 1024)
        members.append((sheet, deflated, declared, crc))
    data = _raw_zip(members)
    return Hostile(f"zip bomb ({how})", data, source.gstin, refuse_file=how != "far cell")


Generate = Callable[[int, random.Random], Hostile]
#: Each class, and how many files cover its variants (a quick run makes that many; a class
#: whose files are random makes two).
CLASSES: dict[str, tuple[Generate, int]] = {
    "mutated IMS JSON": (mutated_ims, 2),
    "mutated GSTR-2B JSON": (mutated_gstr2b, 2),
    "mutated GSTR-1 JSON": (mutated_gstr1, 2),
    "random bytes": (random_bytes, 6),
    "broken XLSX": (broken_xlsx, 5),
    "zip bombs": (zip_bomb, 5),
    "CSV with formulas": (csv_formulas, 1),
    "huge numbers": (huge_numbers, 2),
    "NUL characters": (nul_characters, 2),
    "duplicate JSON keys": (duplicate_keys, 2),
    "deep nesting": (deep_nesting, 4),
    "negative amounts": (negative_amounts, 1),
    "non-string hash": (non_string_hash, 1),
    "overlong texts": (overlong_texts, 1),
}
