"""IMS supplier view (SUPVIEW, gst-formats.md §4.3, R4.6): recipients' actions on the supplier's
own records.

The shape is **unverified** (§12 question 5): GSTR-1 section names (`b2b`, `b2ba`, `cdnr`, `cdnra`,
`ecom`, `ecoma`), a `ctin` envelope per recipient with `inv` or `nt` documents, each carrying the
recipient's action `imsactn` (A/R/P/N) and `remarks`. The file yields `supplier_actions`, never
records.

Decisions where the format says nothing:
- `data` wrappers are unwrapped; an optional header `gstin` must be the supplier's (the `gstin`
  argument); the period comes from `ret_period`, `rtnprd` or `fp` when present.
- Either list key (`inv` or `nt`) is read in any section; a note's number/date is `nt_num`/`nt_dt`
  (also `ntnum`/`dt`), an invoice's `inum`/`idt` (also `dt`).
- An `ecom`/`ecoma` section given as an object of lists (GSTR-1 Table 15 layout) is read too,
  the recipient from `rtin` or `ctin`.
- `imsactn` is read case-insensitively, also spelled out ("Accepted", "No action"); a document
  without it is refused. Document numbers are normalised like record numbers (§6).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from functools import partial
from typing import Any

from ims_domain.formats.common import (
    FileFormat,
    FormatError,
    ParsedFile,
    RowError,
    SupplierViewEntry,
    shown,
)
from ims_domain.formats.fields import (
    action_word,
    document_date,
    document_number,
    gst_date_text,
    gstin_field,
    optional_period,
    remarks_text,
)
from ims_domain.formats.jsonio import encode_json, load_json, wrapped_bodies
from ims_domain.formats.sections import (
    DOCUMENT_SECTIONS,
    NOTE_SECTIONS,
    Collector,
    envelope_documents,
    sample_documents,
)
from ims_domain.periods import ReturnPeriod
from ims_domain.records import Action, RowProblem

__all__ = [
    "looks_like_supplier_view",
    "parse_supplier_view",
    "write_supplier_view",
]

_PERIOD_KEYS = ("ret_period", "rtnprd", "fp")
_HEADER_KEYS = frozenset({"gstin", "rtn_typ", "section", *_PERIOD_KEYS})


def looks_like_supplier_view(document: Any) -> bool:
    """A supplier view: GSTR-1-style sections whose documents carry the recipient's `imsactn`."""
    return any(
        "imsactn" in row
        for body in wrapped_bodies(document)
        for row in sample_documents(body, DOCUMENT_SECTIONS)
    )


def _find_body(document: Any) -> Mapping[str, Any]:
    for body in wrapped_bodies(document):
        if any(name in body for name in DOCUMENT_SECTIONS):
            return body
        if "gstin" in body and any(key in body for key in _PERIOD_KEYS):
            return body  # a header with no document: nothing was actioned
    raise FormatError(
        "this is not an IMS supplier view: it has no b2b, b2ba, cdnr, cdnra, ecom or ecoma section"
    )


def action_code(value: Any) -> Action:
    """The recipient's action `imsactn`: A, R, P or N (or the words)."""
    if value is None:
        raise RowError("imsactn", "is missing")
    action = action_word(value)
    if action is None:
        raise RowError("imsactn", f"{shown(value)} is not A, R, P or N")
    return action


def parse_supplier_view(data: bytes, *, gstin: str) -> ParsedFile:
    """Read the supplier view of `gstin` (the supplier): one entry per actioned document."""
    body = _find_body(load_json(data))
    own = gstin.strip().upper()
    file_gstin = body.get("gstin")
    if file_gstin is not None and (
        not isinstance(file_gstin, str) or file_gstin.strip().upper() != own
    ):
        named = file_gstin.strip().upper() if isinstance(file_gstin, str) else shown(file_gstin)
        raise FormatError(f"this supplier view is for {named[:40]}, not {own}")
    period = None
    for key in _PERIOD_KEYS:
        if body.get(key) not in (None, ""):
            try:
                period = optional_period(body.get(key), key)
            except RowError as exc:
                message = f"the supplier view's period {key} is wrong: {exc.reason}"
                raise FormatError(message) from None
            break
    collector = Collector()
    entries: list[SupplierViewEntry] = []
    for key, value in body.items():
        if key in DOCUMENT_SECTIONS:
            for label, envelopes in _containers(key, value):
                _read_section(collector, entries, key, label, envelopes)
        elif key not in _HEADER_KEYS and isinstance(value, list | Mapping):
            collector.skipped(key, value, "not a section of the supplier view")
    return collector.parsed(
        FileFormat.SUPPLIER_VIEW, gstin=own, period=period, supplier_actions=tuple(entries)
    )


def _containers(section: str, value: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(value, Mapping) and section in ("ecom", "ecoma"):
        for table, rows in value.items():
            yield f"{section}.{table}", rows
    else:
        yield section, value


def _read_section(
    collector: Collector,
    entries: list[SupplierViewEntry],
    section: str,
    label: str,
    value: Any,
) -> None:
    documents = envelope_documents(collector, label, value, ("inv", "nt"), parties="recipients")
    for index, envelope, doc in documents:
        build = partial(_entry, collector.problems, section, (label, index), envelope, doc)
        entry = collector.attempt(label, index, build)
        if entry is not None:
            entries.append(entry)


def _entry(
    problems: list[RowProblem],
    section: str,
    where: tuple[str, int],
    envelope: Mapping[str, Any],
    doc: Mapping[str, Any],
) -> SupplierViewEntry:
    recipient_key = "ctin" if "ctin" in envelope or "rtin" not in envelope else "rtin"
    recipient = gstin_field(envelope.get(recipient_key), recipient_key, problems, where)
    number_key = _first_key(doc, ("inum", "nt_num", "ntnum"))
    date_key = _first_key(doc, ("idt", "nt_dt", "dt"))
    return SupplierViewEntry(
        recipient_gstin=recipient,
        section=section,
        number=document_number(doc.get(number_key), number_key),
        document_date=document_date(doc.get(date_key), date_key),
        action=action_code(doc.get("imsactn")),
        remarks=_remarks(problems, where, doc),
    )


def _remarks(
    problems: list[RowProblem], where: tuple[str, int], doc: Mapping[str, Any]
) -> str | None:
    """The recipient's remarks, with a warning for each thing mended in them."""
    remarks, reasons = remarks_text(doc.get("remarks"), "remarks")
    problems.extend(RowProblem(*where, "remarks", reason, refused=False) for reason in reasons)
    return remarks


def _first_key(doc: Mapping[str, Any], keys: tuple[str, ...]) -> str:
    return next((key for key in keys if key in doc), keys[0])


def write_supplier_view(
    entries: Iterable[SupplierViewEntry], *, gstin: str, period: ReturnPeriod
) -> bytes:
    """A supplier view JSON (the assumed §4.3 shape) that `parse_supplier_view` reads back."""
    sections: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for entry in entries:
        if entry.section not in DOCUMENT_SECTIONS:
            raise FormatError(f"the supplier view has no section {entry.section!r}")
        note = entry.section in NOTE_SECTIONS
        doc: dict[str, Any] = {
            "nt_num" if note else "inum": entry.number,
            "nt_dt" if note else "idt": gst_date_text(entry.document_date),
            "imsactn": entry.action.value,
        }
        if entry.remarks is not None:
            doc["remarks"] = entry.remarks
        recipients = sections.setdefault(entry.section, {})
        recipients.setdefault(entry.recipient_gstin, []).append(doc)
    body: dict[str, Any] = {"gstin": gstin.strip().upper(), "ret_period": period.code}
    for section, recipients in sections.items():
        list_key = "nt" if section in NOTE_SECTIONS else "inv"
        body[section] = [{"ctin": ctin, list_key: docs} for ctin, docs in recipients.items()]
    return encode_json(body)
