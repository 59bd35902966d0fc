"""IMS records: kinds, identity, amounts, amendment links, and which are "specified" (R3.2)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

from ims_domain.errors import ImsDomainError
from ims_domain.money import ZERO, TaxAmounts, to_rupees
from ims_domain.periods import FinancialYear, ReturnPeriod


class RecordError(ImsDomainError):
    """A record whose fields contradict each other or the rules."""


class RecordKind(StrEnum):
    """The twelve actionable IMS sections (R1.2, R1.5, R8.3); the value is the API section code."""

    INVOICE = "b2b"
    INVOICE_AMENDMENT = "b2ba"
    DEBIT_NOTE = "b2bdn"
    DEBIT_NOTE_AMENDMENT = "b2bdna"
    CREDIT_NOTE = "b2bcn"
    CREDIT_NOTE_AMENDMENT = "b2bcna"
    ECO_DOCUMENT = "ecom"
    ECO_DOCUMENT_AMENDMENT = "ecoma"
    BILL_OF_ENTRY = "impg"
    BILL_OF_ENTRY_AMENDMENT = "impga"
    SEZ_BILL_OF_ENTRY = "impgsez"
    SEZ_BILL_OF_ENTRY_AMENDMENT = "impgseza"

    @property
    def is_amendment(self) -> bool:
        """True for the `…a` sections, which carry the original's number and date (R5.2)."""
        return self in _ORIGINAL_OF

    @property
    def original_kind(self) -> RecordKind:
        """The kind of the record an amendment amends; an original is its own original kind."""
        return _ORIGINAL_OF.get(self, self)

    @property
    def is_credit_note(self) -> bool:
        """Credit notes and their amendments: accepting them lowers ITC (R4.1)."""
        return self.original_kind is RecordKind.CREDIT_NOTE

    @property
    def is_import(self) -> bool:
        """Bills of Entry (R1.5): accept or pending only, never reject."""
        return self.original_kind in (RecordKind.BILL_OF_ENTRY, RecordKind.SEZ_BILL_OF_ENTRY)

    @property
    def label(self) -> str:
        """How a business owner names this kind."""
        return _LABELS[self]


_ORIGINAL_OF = {
    RecordKind.INVOICE_AMENDMENT: RecordKind.INVOICE,
    RecordKind.DEBIT_NOTE_AMENDMENT: RecordKind.DEBIT_NOTE,
    RecordKind.CREDIT_NOTE_AMENDMENT: RecordKind.CREDIT_NOTE,
    RecordKind.ECO_DOCUMENT_AMENDMENT: RecordKind.ECO_DOCUMENT,
    RecordKind.BILL_OF_ENTRY_AMENDMENT: RecordKind.BILL_OF_ENTRY,
    RecordKind.SEZ_BILL_OF_ENTRY_AMENDMENT: RecordKind.SEZ_BILL_OF_ENTRY,
}

_LABELS = {
    RecordKind.INVOICE: "invoice",
    RecordKind.INVOICE_AMENDMENT: "amended invoice",
    RecordKind.DEBIT_NOTE: "debit note",
    RecordKind.DEBIT_NOTE_AMENDMENT: "amended debit note",
    RecordKind.CREDIT_NOTE: "credit note",
    RecordKind.CREDIT_NOTE_AMENDMENT: "amended credit note",
    RecordKind.ECO_DOCUMENT: "e-commerce document",
    RecordKind.ECO_DOCUMENT_AMENDMENT: "amended e-commerce document",
    RecordKind.BILL_OF_ENTRY: "bill of entry",
    RecordKind.BILL_OF_ENTRY_AMENDMENT: "amended bill of entry",
    RecordKind.SEZ_BILL_OF_ENTRY: "bill of entry (SEZ)",
    RecordKind.SEZ_BILL_OF_ENTRY_AMENDMENT: "amended bill of entry (SEZ)",
}


class Action(StrEnum):
    """The four IMS states (R2.1); the value is the API code. Reset means back to NO_ACTION."""

    NO_ACTION = "N"
    ACCEPT = "A"
    REJECT = "R"
    PENDING = "P"

    @property
    def label(self) -> str:
        """How the state is named on screen."""
        return {"N": "no action", "A": "accepted", "R": "rejected", "P": "pending"}[self.value]


class FilingStatus(StrEnum):
    """Whether the supplier has filed the return the record was saved in (R1.9)."""

    FILED = "filed"
    NOT_FILED = "not_filed"

    @classmethod
    def parse(cls, text: str) -> FilingStatus:
        """Read the portal's `srcfilstatus` spellings ("Filed", "Not Filed", "NF", "Y", "N" …)."""
        key = text.strip().upper().replace(" ", "").replace("_", "")
        if key in {"FILED", "F", "Y"}:
            return cls.FILED
        if key in {"NOTFILED", "NF", "N", "SAVED"}:
            return cls.NOT_FILED
        raise RecordError(f"filing status {text!r} is not 'Filed' or 'Not Filed'")


def normalise_number(number: str) -> str:
    """A document number as the portal matches it: trimmed and upper-cased (gst-formats.md §6)."""
    cleaned = number.strip().upper()
    if not cleaned:
        raise RecordError("document number is empty")
    return cleaned


def _upper(text: str) -> str:
    """`text` stripped and upper-cased; the same object when it already is (GSTINs are shared
    by the many records of one supplier)."""
    stripped = text.strip()
    return stripped if stripped.isupper() else stripped.upper()


@dataclass(frozen=True, slots=True)
class RecordKey:
    """The identity of a record (architecture.md): who, to whom, what kind, which number, which FY.

    `supplier` is the supplier's GSTIN; for an overseas Bill of Entry (impg), which has none, it is
    the port code.
    """

    supplier: str
    recipient: str
    kind: RecordKind
    number: str
    financial_year: FinancialYear

    @classmethod
    def of(
        cls, *, supplier: str, recipient: str, kind: RecordKind, number: str, document_date: date
    ) -> RecordKey:
        """The key of a document, its number normalised and its FY taken from its date."""
        return cls(
            supplier=_upper(supplier),
            recipient=_upper(recipient),
            kind=kind,
            number=normalise_number(number),
            financial_year=FinancialYear.of(document_date),
        )

    # One string that is unique per record, for indexes and dedupe keys (computed once: imports
    # use it several times per record).
    text: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        fy = self.financial_year.label
        text = f"{self.supplier}|{self.recipient}|{self.kind.value}|{self.number}|{fy}"
        object.__setattr__(self, "text", text)


@dataclass(frozen=True, slots=True)
class OriginalRef:
    """The original document an amendment amends: its number and date (R5.2)."""

    number: str
    document_date: date


@dataclass(frozen=True, slots=True)
class Record:
    """One document in the recipient's IMS, as the supplier last reported it."""

    key: RecordKey
    document_date: date
    value: Decimal
    taxable_value: Decimal
    taxes: TaxAmounts
    # The month whose GSTR-2B the record falls into (R6.3); None while the supplier has not filed
    # and the period is not yet certain (R1.9).
    two_b_period: ReturnPeriod | None
    source_form: str = "R1"
    filing_status: FilingStatus = FilingStatus.FILED
    original: OriginalRef | None = None
    # The portal's `ispendactblocked`: authoritative when present (R3.7); None when a file lacks it.
    pending_blocked: bool | None = None
    reverse_charge: bool = False
    # 2B `itcavl` = N (place-of-supply rule or s.16(4) passed): never in IMS (R1.3 (e)).
    itc_unavailable: bool = False
    # Echoed back unchanged in the IMS action upload (R8.6): `pos`, `inv_typ`, `rtnprd`.
    place_of_supply: str | None = None
    invoice_type: str | None = None
    supplier_period: ReturnPeriod | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "value", to_rupees(self.value))
        object.__setattr__(self, "taxable_value", to_rupees(self.taxable_value))
        if self.key.kind.is_amendment and self.original is None:
            raise RecordError(f"{self.key.kind.label} {self.key.number} names no original document")
        if not self.key.kind.is_amendment and self.original is not None:
            raise RecordError(f"{self.key.kind.label} {self.key.number} is not an amendment")

    @property
    def kind(self) -> RecordKind:
        """The record's kind (its IMS section)."""
        return self.key.kind

    @property
    def number(self) -> str:
        """The normalised document number."""
        return self.key.number

    @property
    def original_key(self) -> RecordKey | None:
        """The key of the original an amendment links to (R5.2); None for an original."""
        if self.original is None:
            return None
        return RecordKey.of(
            supplier=self.key.supplier,
            recipient=self.key.recipient,
            kind=self.kind.original_kind,
            number=self.original.number,
            document_date=self.original.document_date,
        )


@dataclass(frozen=True)
class OriginalState:
    """What the store knows of an amendment's original when judging the amendment."""

    action: Action
    taxes: TaxAmounts
    # The GSTR-3B covering the original has been filed (R3.2 (4), (5)).
    gstr3b_filed: bool


def _counted_as_accepted(original: OriginalState) -> bool:
    # No action counts as accepted once 2B is generated (R2.3); by the time an amendment arrives
    # after the original's GSTR-3B, an untouched original has been deemed accepted.
    return original.action in (Action.ACCEPT, Action.NO_ACTION)


def itc_effect(record: Record, original: OriginalState | None) -> TaxAmounts:
    """The signed change this record makes to the recipient's ITC if accepted (R4.1, R5.3).

    Invoices, debit notes, ECO documents and bills of entry add their tax; credit notes take it
    away. An amendment whose original was counted as accepted carries the difference; one whose
    original was rejected, pending or is not in the store stands alone with its full value (OQ7).
    """
    sign_taxes = -record.taxes if record.kind.is_credit_note else record.taxes
    if original is None or not record.kind.is_amendment or not _counted_as_accepted(original):
        return sign_taxes
    original_effect = -original.taxes if record.kind.is_credit_note else original.taxes
    return sign_taxes - original_effect


def is_specified(record: Record, original: OriginalState | None) -> bool:
    """R3.2: the five classes of record whose acceptance lowers the recipient's ITC.

    (1) an original credit note; (2) a credit-note amendment that raises the value; (3) one that
    lowers it when the original was rejected; (4) an invoice or debit-note amendment and (5) an
    ECO-document amendment that lowers the value when the original was accepted and the GSTR-3B
    covering it filed. An amendment whose original is not in the store is judged as a stand-alone
    document (OQ7): a credit-note amendment is specified, others are not.
    """
    kind = record.kind
    if kind is RecordKind.CREDIT_NOTE:
        return True
    if kind.is_import or not kind.is_amendment:
        return False
    if original is None:
        return kind.is_credit_note
    # Section 10: the direction of an amendment is judged by its total tax against the original's.
    change = record.taxes.total - original.taxes.total
    if kind.is_credit_note:
        # An unchanged re-report of a rejected note is accepted like a fresh one (R4.5 (b)).
        return change > 0 or original.action is Action.REJECT
    return change < 0 and _counted_as_accepted(original) and original.gstr3b_filed


def reduction_base(record: Record, original: OriginalState | None) -> TaxAmounts:
    """The ITC a specified record removes when accepted in full: the note's tax or the difference.

    Heads where the record adds ITC (an amendment moving tax between heads) count as zero.
    """
    lowered = -itc_effect(record, original)
    return TaxAmounts(*(max(amount, ZERO) for amount in lowered.as_dict().values()))


@dataclass(frozen=True, slots=True)
class ReportedRecord:
    """A record as a file reports it, with what the file says beside the document itself."""

    record: Record
    supplier_name: str | None = None
    # The action the portal holds now (`action` in an IMS download); None when the file lacks it.
    portal_action: Action | None = None
    # The portal's `hash` of this version; None when the file has none (R5.1, OQ8).
    portal_hash: str | None = None
    remarks: str | None = None


@dataclass(frozen=True, slots=True)
class RowProblem:
    """Why one row of a file was refused, or (refused=False) kept with a warning."""

    section: str
    index: int | None
    field: str
    reason: str
    refused: bool = True
