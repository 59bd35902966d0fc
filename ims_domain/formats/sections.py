"""The layout GSTR-1, GSTR-2B and the supplier view share (gst-formats.md §2-§4): sections named
b2b, cdnr …, each a list of counterparty envelopes (`ctin`) that hold the documents (`inv`, `nt`).

A parser walks them with a Collector, which keeps what one bad row says and goes on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, TypeVar

from ims_domain.errors import ImsDomainError
from ims_domain.formats.common import FileFormat, ParsedFile, RowError, SupplierViewEntry, shown
from ims_domain.formats.fields import document_date, document_number
from ims_domain.periods import ReturnPeriod
from ims_domain.records import OriginalRef, RecordKind, ReportedRecord, RowProblem

# The GSTR-1 section of each kind a supplier reports; GSTR-2B and the supplier view name them
# the same way.
GSTR1_SECTION_OF = {
    RecordKind.INVOICE: "b2b",
    RecordKind.INVOICE_AMENDMENT: "b2ba",
    RecordKind.DEBIT_NOTE: "cdnr",
    RecordKind.CREDIT_NOTE: "cdnr",
    RecordKind.DEBIT_NOTE_AMENDMENT: "cdnra",
    RecordKind.CREDIT_NOTE_AMENDMENT: "cdnra",
    RecordKind.ECO_DOCUMENT: "ecom",
    RecordKind.ECO_DOCUMENT_AMENDMENT: "ecoma",
}
# The sections whose documents reach a registered recipient's IMS, in GSTR-1's order.
DOCUMENT_SECTIONS = ("b2b", "b2ba", "cdnr", "cdnra", "ecom", "ecoma")
NOTE_SECTIONS = frozenset({"cdnr", "cdnra"})  # their documents are listed under `nt`, not `inv`
# List keys whose members are the documents when counting the rows of a skipped section.
_DOCUMENT_LISTS = ("inv", "nt", "posItms", "docs", "doclist", "boe")
_T = TypeVar("_T")


def is_note(kind: RecordKind) -> bool:
    """A credit or debit note, or an amendment of one (filed under `nt`, not `inv`)."""
    return kind.original_kind in (RecordKind.CREDIT_NOTE, RecordKind.DEBIT_NOTE)


def note_kind(value: Any, field_name: str, *, amendment: bool) -> RecordKind:
    """C -> credit note, D -> debit note (or their amendments)."""
    code = value.strip().upper() if isinstance(value, str) else None
    if code == "C":
        return RecordKind.CREDIT_NOTE_AMENDMENT if amendment else RecordKind.CREDIT_NOTE
    if code == "D":
        return RecordKind.DEBIT_NOTE_AMENDMENT if amendment else RecordKind.DEBIT_NOTE
    raise RowError(field_name, f"{shown(value)} is not C (credit note) or D (debit note)")


def original_ref(doc: Mapping[str, Any], number_key: str, date_key: str) -> OriginalRef:
    """The original document an amendment names under `number_key` and `date_key`."""
    return OriginalRef(
        number=document_number(doc.get(number_key), number_key),
        document_date=document_date(doc.get(date_key), date_key),
    )


def rows_text(count: int) -> str:
    """'1 row' or '3 rows'."""
    return f"{count} row" if count == 1 else f"{count} rows"


def count_rows(value: Any) -> int:
    """How many rows a section holds: documents under `inv`/`nt`/… envelopes, else list members.

    An object (like `nil`, `hsn`, `supeco`) counts the rows of each list it holds.
    """
    lists = [v for v in value.values() if isinstance(v, list)] if isinstance(value, Mapping) else []
    if isinstance(value, list):
        lists = [value]
    total = 0
    for rows in lists:
        for row in rows:
            inner = _inner_documents(row)
            total += len(inner) if inner is not None else 1
    return total


def has_inner_documents(row: Any) -> bool:
    """A GSTR-1-style envelope (a `ctin` with its `inv` or `nt` list), not a flat document."""
    return _inner_documents(row) is not None


def _inner_documents(row: Any) -> list[Any] | None:
    if isinstance(row, Mapping):
        for key in _DOCUMENT_LISTS:
            documents = row.get(key)
            if isinstance(documents, list):
                return documents
    return None


def sample_documents(
    document: Any, sections: Iterable[str], limit: int = 20
) -> Iterator[Mapping[str, Any]]:
    """A few documents of the named sections, to tell one format from another."""
    if not isinstance(document, Mapping):
        return
    for name in sections:
        value = document.get(name)
        containers = [value] if isinstance(value, list) else []
        if isinstance(value, Mapping):  # Table 15: ecom.b2b, ecoma.b2ba …
            containers = [v for v in value.values() if isinstance(v, list)]
        for container in containers:
            for envelope in container[:limit]:
                inner = _inner_documents(envelope)
                if inner is None:
                    if isinstance(envelope, Mapping):
                        yield envelope
                    continue
                for row in inner[:limit]:
                    if isinstance(row, Mapping):
                        yield row


class Collector:
    """What a parser gathers: records, row problems, notes; one bad row never stops the file."""

    def __init__(self) -> None:
        self.records: list[ReportedRecord] = []
        self.problems: list[RowProblem] = []
        self.notes: list[str] = []

    def problem(self, section: str, index: int | None, field_name: str, reason: str) -> None:
        """Refuse a row (or a part of the file that holds no readable row)."""
        self.problems.append(RowProblem(section, index, field_name, reason))

    def attempt(self, section: str, index: int, build: Callable[[], _T]) -> _T | None:
        """What `build` reads from one row; any fault of the row refuses it (None) with its field
        and reason."""
        try:
            return build()
        except RowError as exc:
            self.problem(section, index, exc.field_name, exc.reason)
        except ImsDomainError as exc:
            self.problem(section, index, "document", str(exc))
        except ArithmeticError:
            self.problem(section, index, "document", "an amount is too large to be exact")
        return None

    def row(self, section: str, index: int, build: Callable[[], ReportedRecord]) -> None:
        """Build one record, unless the row is refused."""
        reported = self.attempt(section, index, build)
        if reported is not None:
            self.records.append(reported)

    def skipped(self, section: str, value: Any, reason: str) -> None:
        """Note a section read past, with its row count."""
        count = count_rows(value)
        if count:
            self.notes.append(f"{section}: {rows_text(count)} skipped ({reason})")

    def parsed(
        self,
        file_format: FileFormat,
        *,
        gstin: str,
        period: ReturnPeriod | None,
        supplier_actions: tuple[SupplierViewEntry, ...] = (),
    ) -> ParsedFile:
        """The file as read."""
        return ParsedFile(
            format=file_format,
            records=tuple(self.records),
            problems=tuple(self.problems),
            notes=tuple(self.notes),
            gstin=gstin,
            period=period,
            supplier_actions=supplier_actions,
        )


def envelope_documents(
    collector: Collector,
    section: str,
    value: Any,
    list_keys: tuple[str, ...],
    *,
    parties: str = "counterparties",
) -> Iterator[tuple[int, Mapping[str, Any], Mapping[str, Any]]]:
    """(index, envelope, document) for each document under the `list_keys` of the `parties`'
    envelopes; the index counts the section's documents from 0 across envelopes."""
    if not isinstance(value, list):
        collector.problem(section, None, section, f"is not a list of {parties}")
        return
    index = 0
    for position, envelope in enumerate(value, start=1):
        if not isinstance(envelope, Mapping):
            collector.problem(section, None, f"entry {position}", "is not an object")
            continue
        for key in list_keys:
            documents = envelope.get(key)
            if documents is None:
                continue  # empty members are omitted (§1)
            if not isinstance(documents, list):
                collector.problem(section, None, f"entry {position}.{key}", "is not a list")
                continue
            for document in documents:
                index += 1
                if not isinstance(document, Mapping):
                    collector.problem(section, index - 1, "(row)", "is not an object")
                    continue
                yield index - 1, envelope, document
