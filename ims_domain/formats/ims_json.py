"""The IMS download JSON (GETINV records, recipient view), read (ims_writer writes it back).

gst-formats.md §4.1 and §4.4. IMS lists are flat: every record carries its supplier (`stin`);
the recipient GSTIN is not in the file, so the caller names it. Envelopes vary (bare sections
object, `{"data": {...}}`, the API's `{"status_cd": ..., "data": {...}}`): the object holding at
least one known section key is read.

Decisions where the sources are silent (each also noted where it is made):

- `srcfilstatus` missing -> Filed (imports never carry it); an unknown spelling -> Filed with a
  warning: the portal knows only Filed / Not Filed, the one integrator variant SAVED is mapped.
- 2B period: a Filed record's `rtnprd` (for imports `itcprd`) is taken as its GSTR-2B period,
  because the download does not say when the supplier filed; Not Filed -> None (R1.9).
- `val` missing -> taxable value + tax (the Bills of Entry model has no `val`); a warning for the
  other sections.
- A section that is not a list is refused as one RowProblem (index None); the rest is read.
- Document numbers outside GSTN's pattern (§6) are kept with a warning; empty ones, longer than
  the portal's 16 characters, or with control characters or `|` (our key separator), are refused.
- Values the portal never sends refuse their row, so that a broken download cannot change a
  stored record: a negative amount, a blank or null amount (an absent one is 0), a `hash` that
  is not a text, a code (`srcform`, `inv_typ`) that is not one, remarks over 500 characters
  (never cut). A NUL in a trade name or remark is removed with a warning; a trade name over its
  cap is shortened (text_limits).
- Bills of Entry: the original of an amendment is read from `oboenum`/`oboedt` (guessed
  spellings, also `orgboenum`, `oboe_num`, `obenum`, ...); without them the amendment amends the
  same BoE (one client model's `impga` has no original keys: customs amends a BoE in place).
- `impgsez` supplier: `sgstin`, `stin` or `ctin` when present, else the port code.
- Unknown keys in the sections object are skipped with a note; ISD sections with an OQ1 note.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar, cast

from ims_domain.errors import ImsDomainError
from ims_domain.formats.common import (
    FileFormat,
    FormatError,
    ParsedFile,
    RowError,
    paused_gc,
    shown,
)
from ims_domain.formats.fields import (
    action_word,
    capped_number,
    code_text,
    flag,
    gst_date,
    gstin_field,
    is_blank,
    name_text,
    optional_period,
    port_code,
    portal_amount,
    portal_hash,
    remarks_text,
    state_code,
)
from ims_domain.formats.jsonio import NotStreamable, load_json, stream_lists, wrapped_bodies
from ims_domain.formats.sections import has_inner_documents
from ims_domain.gstin import GstinError, parse_gstin
from ims_domain.money import ZERO, TaxAmounts
from ims_domain.periods import ReturnPeriod
from ims_domain.records import (
    Action,
    FilingStatus,
    OriginalRef,
    Record,
    RecordKey,
    RecordKind,
    ReportedRecord,
    RowProblem,
)

ACTIONABLE_SECTIONS: tuple[str, ...] = tuple(kind.value for kind in RecordKind)
ISD_SECTIONS = frozenset({"isd", "isda", "isdcn", "isdcna"})
# R8.4: GETINV "no data" answers: an empty download, not a failure.
NO_DATA_CODES = frozenset({"RET13508", "RET13509", "RET13510", "RET11416", "RET11417"})

# gst-formats.md §6: GSTN's pattern for invoice and note numbers (16, not the IMS sheet's 15).
NUMBER_PATTERN = re.compile(r"[A-Za-z0-9/-]{1,16}")
# The keys of IGST, CGST, SGST and cess: Bills of Entry also spell them as GSTR-2B does.
_HEAD_KEYS = (("iamt",), ("camt",), ("samt",), ("cess", "csamt"))
_IMPORT_HEAD_KEYS = (("igst", "iamt"), ("cgst", "camt"), ("sgst", "samt"), ("cess", "csamt"))
_MEMO_LIMIT = 20_000  # distinct field values remembered per file
_MISSING = object()
_T = TypeVar("_T")


@dataclass(frozen=True)
class SectionKeys:
    """The JSON keys of one IMS section: document number/date and the original's."""

    number: str
    date: str
    original_number: tuple[str, ...]
    original_date: tuple[str, ...]


_INVOICE_KEYS = SectionKeys("inum", "idt", ("oinum",), ("oidt",))
_NOTE_KEYS = SectionKeys("nt_num", "nt_dt", ("ont_num",), ("ont_dt",))
# Guessed spellings: no public sample shows an IMS BoE amendment with its original (module doc).
_BOE_KEYS = SectionKeys(
    "boenum",
    "boedt",
    ("oboenum", "orgboenum", "oboe_num", "obenum", "oboeno"),
    ("oboedt", "orgboedt", "oboe_dt", "obedt"),
)


def section_keys(kind: RecordKind) -> SectionKeys:
    """The number and date keys of a kind's IMS section."""
    original = kind.original_kind
    if original in (RecordKind.INVOICE, RecordKind.ECO_DOCUMENT):
        return _INVOICE_KEYS
    if original in (RecordKind.DEBIT_NOTE, RecordKind.CREDIT_NOTE):
        return _NOTE_KEYS
    return _BOE_KEYS


def parse_ims(data: bytes, *, gstin: str) -> ParsedFile:
    """Read an IMS download / GETINV JSON for recipient `gstin`; only FormatError escapes.

    Read row by row (stream_ims) when it can be; otherwise loaded whole.
    """
    try:
        document, parsed = stream_ims(data, gstin=gstin)
    except NotStreamable:
        return parse_ims_document(load_json(data), gstin=gstin, consume=True)
    return parsed if parsed is not None else parse_ims_document(document, gstin=gstin)


def parse_ims_document(document: Any, *, gstin: str, consume: bool = False) -> ParsedFile:
    """`parse_ims` for JSON already loaded (by the format detector), so it is read only once.

    With `consume`, each row is dropped from its section list (set to None) as soon as it is
    read, so that a large download's JSON and its records are never both held whole: only for a
    document loaded for this call alone.
    """
    recipient = _recipient(gstin)
    try:
        return _parse_document(document, recipient, consume=consume)
    except RecursionError:
        raise FormatError("the JSON is nested too deeply to be a GST file") from None


def looks_like_ims(document: Any) -> bool:
    """An IMS download: flat IMS section lists (or the portal's "no data" answer, R8.4)."""
    return _find_sections(document) is not None or _empty_answer(document) is not None


def _parse_document(document: Any, recipient: str, *, consume: bool) -> ParsedFile:
    sections = _find_sections(document)
    if sections is None:
        empty = _empty_answer(document)
        if empty is not None:
            return ParsedFile(FileFormat.IMS, notes=(empty,), gstin=recipient)
        raise FormatError(_no_sections_message(document))
    reader = _SectionsReader(recipient)
    with paused_gc():  # a download is hundreds of thousands of small acyclic objects
        for raw_key, rows in sections.items():
            reader.read_section(str(raw_key), rows, consume=consume)
    return reader.parsed()


def stream_ims(data: bytes, *, gstin: str) -> tuple[dict[str, Any], ParsedFile | None]:
    """Read an IMS download row by row, never holding its JSON whole (jsonio.stream_lists).

    Returns the outline of the document and, when the IMS section lists were read, the parsed
    file; `(document, None)` when no list was streamed, so the outline is the whole document,
    loaded as load_json would have. Raises NotStreamable when the caller must load the file
    whole (not an object, broken JSON, or a GSTR-1-style section of envelopes).
    """
    reader = _SectionsReader(_recipient(gstin))

    def on_row(key: str, index: int, row: Any) -> None:
        if index == 0 and has_inner_documents(row):
            raise NotStreamable  # GSTR-1-style envelopes (supplier's GSTR-1, supplier view)
        reader.read_row(key, index, row)

    with paused_gc():
        outline = stream_lists(data, streamed=_is_ims_section, on_item=on_row)
    if not reader.streamed:
        return outline, None
    sections = _find_sections(outline)
    if sections is not None:
        for raw_key, rows in sections.items():
            if raw_key not in reader.streamed:
                reader.read_section(str(raw_key), rows, consume=True)
    return outline, reader.parsed()


def _is_ims_section(key: str) -> bool:
    return key.strip().lower() in ACTIONABLE_SECTIONS


class _SectionsReader:
    """Reads IMS section lists, whole or row by row, into records, problems and notes."""

    def __init__(self, recipient: str) -> None:
        self.recipient = recipient
        self.records: list[ReportedRecord] = []
        self.problems: list[RowProblem] = []
        self.notes: list[str] = []
        self.unknown: list[str] = []
        # Where each document was first seen. Its key names its kind, so a repeat is always in
        # the same section: the row index is enough.
        self.seen: dict[str, int] = {}
        self.memo = _Memo()
        self.streamed: set[str] = set()  # keys of the lists read row by row

    def read_section(self, raw_key: str, rows: Any, *, consume: bool) -> None:
        name = raw_key.strip().lower()
        if name not in ACTIONABLE_SECTIONS:
            if name in ISD_SECTIONS:
                self.notes.append(f"{name}: ISD records are not actionable in IMS (OQ1); skipped")
            else:
                self.unknown.append(shown(raw_key))
            return
        if rows is None:
            return
        if not isinstance(rows, list):
            self.problems.append(
                RowProblem(name, None, name, f"expected a list of records, found {_kind_of(rows)}")
            )
            return
        for index, row in enumerate(rows):
            if consume:
                rows[index] = None
            self._read(RecordKind(name), index, row)

    def read_row(self, raw_key: str, index: int, row: Any) -> None:
        """One row of a section list being streamed (the key is an IMS section)."""
        self.streamed.add(raw_key)
        self._read(RecordKind(raw_key.strip().lower()), index, row)

    def _read(self, kind: RecordKind, index: int, row: Any) -> None:
        reported = _parse_row(kind, index, row, self.recipient, self.problems, memo=self.memo)
        if reported is None:
            return
        first = self.seen.get(reported.record.key.text)
        if first is not None:
            name = kind.value
            self.problems.append(
                RowProblem(
                    name,
                    index,
                    section_keys(kind).number,
                    f"the same document is also at {name}[{first}]",
                    refused=False,
                )
            )
        else:
            self.seen[reported.record.key.text] = index
        self.records.append(reported)

    def parsed(self) -> ParsedFile:
        notes = list(self.notes)
        if self.unknown:
            more = f" and {len(self.unknown) - 10} more" if len(self.unknown) > 10 else ""
            notes.append(f"not IMS sections, skipped: {', '.join(self.unknown[:10])}{more}")
        if not self.records and not self.problems:
            notes.append("the file holds no IMS records")
        return ParsedFile(
            FileFormat.IMS,
            records=tuple(self.records),
            problems=tuple(self.problems),
            notes=tuple(notes),
            gstin=self.recipient,
        )


class _Memo:
    """Field values that repeat down a download (suppliers, dates, periods, states, names), read
    once per file and shared by the records that hold them. Only values are kept: a text that
    raises is read again on each row, so every row gets its own error.
    """

    def __init__(self) -> None:
        self._values: dict[tuple[str, str], object] = {}
        self._gstins: dict[tuple[str, str], tuple[str, tuple[str, ...]]] = {}

    def read(self, field_name: str, raw: Any, read: Callable[[Any, str], _T]) -> _T:
        """read(raw, field_name), once per distinct text `raw` of the field."""
        if not isinstance(raw, str):
            return read(raw, field_name)
        key = (field_name, raw)
        found = self._values.get(key, _MISSING)
        if found is _MISSING:
            found = read(raw, field_name)
            if len(self._values) < _MEMO_LIMIT:
                self._values[key] = found
        return cast(_T, found)

    def gstin(
        self, raw: Any, field_name: str, warnings: list[RowProblem], where: tuple[str, int]
    ) -> str:
        """gstin_field, once per distinct text; its warning (wrong check character) every row."""
        if not isinstance(raw, str):
            return gstin_field(raw, field_name, warnings, where)
        key = (field_name, raw)
        found = self._gstins.get(key)
        if found is None:
            notes: list[RowProblem] = []
            value = gstin_field(raw, field_name, notes, where)
            found = (value, tuple(note.reason for note in notes))
            if len(self._gstins) < _MEMO_LIMIT:
                self._gstins[key] = found
        for reason in found[1]:
            warnings.append(RowProblem(where[0], where[1], field_name, reason, refused=False))
        return found[0]


def _recipient(gstin: str) -> str:
    if not isinstance(gstin, str) or not gstin.strip():
        raise FormatError("the recipient GSTIN is missing")
    try:
        return parse_gstin(gstin).value
    except GstinError as exc:
        if exc.part == "check character":
            return gstin.strip().upper()
        raise FormatError(f"the recipient {exc}") from None


def _find_sections(document: Any) -> Mapping[str, Any] | None:
    """The object (bare or inside `data` wrappers) that has at least one IMS section key."""
    for body in wrapped_bodies(document):
        if any(str(key).strip().lower() in ACTIONABLE_SECTIONS for key in body):
            return body
    return None


def _empty_answer(document: Any) -> str | None:
    """R8.4: a GETINV error answer whose code means "no data" is an empty download."""
    if not isinstance(document, Mapping):
        return None
    error = document.get("error")
    if isinstance(error, Mapping) and str(error.get("error_cd", "")).upper() in NO_DATA_CODES:
        return f"the portal had no IMS records ({error.get('error_cd')})"
    return None


def _no_sections_message(document: Any) -> str:
    expected = f"an object with IMS sections ({', '.join(ACTIONABLE_SECTIONS)})"
    if isinstance(document, list):
        return f"the file is a JSON list, expected {expected}"
    if not isinstance(document, Mapping):
        return f"the file is {_kind_of(document)}, expected {expected}"
    if not document:
        return f"the file is an empty JSON object, expected {expected}"
    inner = document.get("data") if isinstance(document.get("data"), Mapping) else document
    if isinstance(inner, Mapping) and "token" in inner:
        return (
            "the portal queued this download (token): fetch the file when it is ready and send "
            "that instead"
        )
    error = document.get("error")
    if isinstance(error, Mapping):
        code = str(error.get("error_cd", "?"))[:20]
        message = str(error.get("message", ""))[:200]
        return f"the portal answered with error {code}: {message}".rstrip(": ")
    keys = ", ".join(shown(key) for key in sorted(str(key) for key in document)[:6])
    return f"no IMS section found (keys: {keys}); expected {expected}"


def _kind_of(value: Any) -> str:
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a text"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a true/false value"
    return "a number"


def _parse_row(
    kind: RecordKind,
    index: int,
    row: Any,
    recipient: str,
    problems: list[RowProblem],
    *,
    memo: _Memo,
) -> ReportedRecord | None:
    section = kind.value
    if not isinstance(row, Mapping):
        problems.append(RowProblem(section, index, "(row)", f"is {_kind_of(row)}, not a record"))
        return None
    warnings: list[RowProblem] = []
    try:
        reported = _read_row(kind, index, row, recipient, warnings, memo=memo)
    except RowError as exc:
        problems.append(RowProblem(section, index, exc.field_name, exc.reason))
        return None
    except (ImsDomainError, ArithmeticError, TypeError, ValueError, RecursionError) as exc:
        problems.append(RowProblem(section, index, "(row)", str(exc)[:200] or type(exc).__name__))
        return None
    problems.extend(warnings)
    return reported


def _read_row(
    kind: RecordKind,
    index: int,
    row: Mapping[str, Any],
    recipient: str,
    warnings: list[RowProblem],
    *,
    memo: _Memo,
) -> ReportedRecord:
    section = kind.value
    where = (section, index)

    def warn(field_name: str, reason: str) -> None:
        warnings.append(RowProblem(section, index, field_name, reason, refused=False))

    keys = section_keys(kind)
    supplier = _supplier(kind, row, warnings, where, memo)
    number = _number(row.get(keys.number), keys.number, warn)
    document_date = memo.read(keys.date, row.get(keys.date), gst_date)
    original: OriginalRef | None = None
    if kind.is_amendment:
        original = _original(
            kind, row, keys=keys, number=number, document_date=document_date, warn=warn
        )

    taxes, taxable_value, value = _amounts(kind, row, warn)
    supplier_period = _period(row, kind, memo)
    status = _filing_status(row.get("srcfilstatus"), warn, memo)
    # The download does not say when the supplier filed, so a Filed record's 2B period is taken
    # to be the supplier's return period `rtnprd` (R6.3 would need the filing date; for a QRMP
    # quarterly GSTR-1 the rtnprd is the quarter's last month, which is also its 2B period).
    # A record not yet filed has no certain 2B period (R1.9).
    two_b_period = supplier_period if status is FilingStatus.FILED else None
    if status is FilingStatus.FILED and supplier_period is None:
        warn("rtnprd", "missing: the GSTR-2B period of this filed record is unknown")

    try:
        key = RecordKey.of(
            supplier=supplier,
            recipient=recipient,
            kind=kind,
            number=number,
            document_date=document_date,
        )
    except ImsDomainError as exc:
        raise RowError(keys.date, str(exc)) from None
    record = Record(
        key=key,
        document_date=document_date,
        value=value,
        taxable_value=taxable_value,
        taxes=taxes,
        two_b_period=two_b_period,
        source_form=memo.read("srcform", row.get("srcform"), code_text) or "R1",
        filing_status=status,
        original=original,
        pending_blocked=_pending_blocked(row),
        place_of_supply=_place_of_supply(row.get("pos"), warn, memo),
        invoice_type=memo.read("inv_typ", row.get("inv_typ"), code_text),
        supplier_period=supplier_period,
    )
    supplier_name, name_warnings = memo.read("trdnm", row.get("trdnm"), _name)
    remarks, remarks_warnings = remarks_text(row.get("remarks"), "remarks")
    for field_name, reasons in (("trdnm", name_warnings), ("remarks", remarks_warnings)):
        for reason in reasons:
            warn(field_name, reason)
    return ReportedRecord(
        record=record,
        supplier_name=supplier_name,
        portal_action=_action(row.get("action"), warn, memo),
        portal_hash=portal_hash(row.get("hash")),
        remarks=remarks,
    )


def _supplier(
    kind: RecordKind,
    row: Mapping[str, Any],
    warnings: list[RowProblem],
    where: tuple[str, int],
    memo: _Memo,
) -> str:
    if kind.original_kind is RecordKind.BILL_OF_ENTRY:
        return port_code(row.get("portcd"), "portcd")
    if kind.original_kind is RecordKind.SEZ_BILL_OF_ENTRY:
        for name in ("sgstin", "stin", "ctin"):
            if not is_blank(row.get(name)):
                return memo.gstin(row.get(name), name, warnings, where)
        return port_code(row.get("portcd"), "portcd")
    return memo.gstin(row.get("stin"), "stin", warnings, where)


def _number(value: Any, field_name: str, warn: Callable[[str, str], None]) -> str:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        value = str(value)  # Bills of Entry: some files write the number as a JSON number
    if not isinstance(value, str) or not value.strip():
        raise RowError(field_name, "document number is missing")
    text = capped_number(value.strip(), field_name)
    if "|" in text:
        raise RowError(field_name, f"{shown(text)} is not a document number")
    if not NUMBER_PATTERN.fullmatch(text):
        warn(field_name, f"{text!r}: GST numbers have 1-16 letters, digits, '-' or '/'")
    elif not text.strip("0"):
        warn(field_name, f"{text!r}: a document number may not be all zeros")
    return text


def _original(
    kind: RecordKind,
    row: Mapping[str, Any],
    *,
    keys: SectionKeys,
    number: str,
    document_date: date,
    warn: Callable[[str, str], None],
) -> OriginalRef:
    number_key = next((k for k in keys.original_number if not is_blank(row.get(k))), None)
    date_key = next((k for k in keys.original_date if not is_blank(row.get(k))), None)
    if kind.is_import and number_key is None and date_key is None:
        # One client model's impga/impgseza carry no original keys: customs amends a BoE in
        # place, so the amendment names the BoE itself (module doc).
        return OriginalRef(number=number, document_date=document_date)
    if number_key is None:
        raise RowError(keys.original_number[0], "missing: an amendment must name its original")
    if date_key is None:
        raise RowError(keys.original_date[0], "missing: an amendment must name its original")
    original_number = _number(row.get(number_key), number_key, warn)
    original_date = gst_date(row.get(date_key), date_key)
    return OriginalRef(number=original_number, document_date=original_date)


def _amount(row: Mapping[str, Any], names: tuple[str, ...], default: Decimal | None) -> Decimal:
    """The amount under the first of `names` that the row has."""
    name = next((name for name in names if name in row), names[0])
    return portal_amount(row, name, default=default)


def _amounts(
    kind: RecordKind, row: Mapping[str, Any], warn: Callable[[str, str], None]
) -> tuple[TaxAmounts, Decimal, Decimal]:
    head_keys = _IMPORT_HEAD_KEYS if kind.is_import else _HEAD_KEYS
    igst, cgst, sgst, cess = [_amount(row, names, ZERO) for names in head_keys]
    taxable_value = _amount(row, ("txval",), ZERO)
    taxes = TaxAmounts(igst=igst, cgst=cgst, sgst=sgst, cess=cess)
    if "val" in row:
        value = _amount(row, ("val",), None)
    else:
        value = taxable_value + taxes.total
        if not kind.is_import:
            warn("val", "missing: taken as taxable value + tax")
    return taxes, taxable_value, value


def _period(row: Mapping[str, Any], kind: RecordKind, memo: _Memo) -> ReturnPeriod | None:
    names = ("rtnprd", "itcprd") if kind.is_import else ("rtnprd",)
    name = next((n for n in names if not is_blank(row.get(n))), names[0])
    return memo.read(name, row.get(name), optional_period)


def _filing_status(value: Any, warn: Callable[[str, str], None], memo: _Memo) -> FilingStatus:
    if is_blank(value):
        return FilingStatus.FILED  # imports and older files carry no status
    try:
        return memo.read("srcfilstatus", value, _status)
    except ImsDomainError:
        # Only Filed / Not Filed (and one integrator's SAVED) are known; an unknown spelling is
        # more likely a new name for a filed state than for a draft (module doc).
        warn("srcfilstatus", f"{shown(value)} is not 'Filed' or 'Not Filed'; taken as Filed")
        return FilingStatus.FILED


def _status(value: Any, _field_name: str) -> FilingStatus:
    return FilingStatus.parse(str(value))


def _pending_blocked(row: Mapping[str, Any]) -> bool | None:
    for name in ("ispendactblocked", "ispendactnallwd"):
        value = flag(row.get(name))
        if value is not None:
            return value
    return None


def _place_of_supply(value: Any, warn: Callable[[str, str], None], memo: _Memo) -> str | None:
    try:
        return memo.read("pos", value, state_code)
    except RowError as exc:
        warn(exc.field_name, f"{exc.reason}; ignored")
        return None


def _action(value: Any, warn: Callable[[str, str], None], memo: _Memo) -> Action | None:
    if is_blank(value):
        return None
    action = memo.read("action", value, _action_word)
    if action is None:
        warn(
            "action",
            f"{shown(value)} is not A, R, P or N; the portal's action is taken as unknown",
        )
    return action


def _action_word(value: Any, _field_name: str) -> Action | None:
    return action_word(value)


def _name(value: Any, _field_name: str) -> tuple[str | None, tuple[str, ...]]:
    return name_text(value)
