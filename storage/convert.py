"""Between domain objects (Decimal rupees, ReturnPeriod) and table rows (paise, YYYYMM)."""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol

from ims_domain.actions import ItcReduction, ReductionMode
from ims_domain.money import TaxAmounts
from ims_domain.periods import ReturnPeriod
from ims_domain.records import (
    Action,
    FilingStatus,
    OriginalRef,
    OriginalState,
    Record,
    RecordKey,
    RecordKind,
)
from storage.models import RecordRow


def paise(rupees: Decimal) -> int:
    """Exact paise of a two-place rupee amount."""
    return int(rupees * 100)


def rupees(amount_paise: int) -> Decimal:
    """Rupees with two places from paise."""
    return (Decimal(amount_paise) / 100).quantize(Decimal("0.01"))


def period_number(period: ReturnPeriod | None) -> int | None:
    """A return period as the sortable integer YYYYMM stored in the tables."""
    return None if period is None else period.year * 100 + period.month


def period_of(number: int | None) -> ReturnPeriod | None:
    """The return period of a stored YYYYMM."""
    return None if number is None else ReturnPeriod(number // 100, number % 100)


def content_hash(record: Record) -> str:
    """A hash of the normalised document: what a supplier edit changes (R5.1, OQ8).

    Only the document itself counts (number, date, values, taxes, original), so the same record
    reported by an IMS download, a GSTR-2B and a GSTR-1 hashes the same; the portal's own `hash`
    is kept apart (`portal_hash`).
    """
    parts = [
        record.key.text,
        record.document_date.isoformat(),
        str(record.value),
        str(record.taxable_value),
        *(str(amount) for amount in record.taxes.as_dict().values()),
        record.original.number.upper() if record.original else "",
        record.original.document_date.isoformat() if record.original else "",
    ]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def content_columns(record: Record) -> dict[str, Any]:
    """The columns a supplier's report sets: everything but the recipient's state."""
    taxes = record.taxes
    period = period_number(record.two_b_period)
    return {
        "supplier_gstin": record.key.supplier,
        "kind": record.kind.value,
        "number": record.number,
        "document_date": record.document_date,
        "financial_year": record.key.financial_year.label,
        "value_paise": paise(record.value),
        "taxable_paise": paise(record.taxable_value),
        "igst_paise": paise(taxes.igst),
        "cgst_paise": paise(taxes.cgst),
        "sgst_paise": paise(taxes.sgst),
        "cess_paise": paise(taxes.cess),
        "two_b_period": period,
        "counts_in_period": period,
        "source_form": record.source_form,
        "filing_status": record.filing_status.value,
        "original_number": record.original.number if record.original else None,
        "original_date": record.original.document_date if record.original else None,
        "pending_blocked": record.pending_blocked,
        "reverse_charge": record.reverse_charge,
        "itc_unavailable": record.itc_unavailable,
        "place_of_supply": record.place_of_supply,
        "invoice_type": record.invoice_type,
        "supplier_period": period_number(record.supplier_period),
    }


class _TaxColumns(Protocol):
    igst_paise: int
    cgst_paise: int
    sgst_paise: int
    cess_paise: int


def taxes_of(row: _TaxColumns) -> TaxAmounts:
    """The tax per head of a stored record (an ORM row or a Core result row)."""
    return TaxAmounts(
        rupees(row.igst_paise),
        rupees(row.cgst_paise),
        rupees(row.sgst_paise),
        rupees(row.cess_paise),
    )


def record_of(row: RecordRow, recipient_gstin: str) -> Record:
    """The domain record of a stored row."""
    original = (
        OriginalRef(row.original_number, row.original_date)
        if row.original_number is not None and row.original_date is not None
        else None
    )
    return Record(
        key=RecordKey.of(
            supplier=row.supplier_gstin,
            recipient=recipient_gstin,
            kind=RecordKind(row.kind),
            number=row.number,
            document_date=row.document_date,
        ),
        document_date=row.document_date,
        value=rupees(row.value_paise),
        taxable_value=rupees(row.taxable_paise),
        taxes=taxes_of(row),
        two_b_period=period_of(row.two_b_period),
        source_form=row.source_form,
        filing_status=FilingStatus(row.filing_status),
        original=original,
        pending_blocked=row.pending_blocked,
        reverse_charge=row.reverse_charge,
        itc_unavailable=row.itc_unavailable,
        place_of_supply=row.place_of_supply,
        invoice_type=row.invoice_type,
        supplier_period=period_of(row.supplier_period),
    )


def original_state_of(row: RecordRow, *, gstr3b_filed: bool) -> OriginalState:
    """What an amendment's rules need to know of its stored original."""
    return OriginalState(action=Action(row.action), taxes=taxes_of(row), gstr3b_filed=gstr3b_filed)


def reduction_of(row: RecordRow) -> ItcReduction | None:
    """The ITC reduction declared with a stored Accept, if any."""
    if row.itc_reduction is None:
        return None
    mode = ReductionMode(row.itc_reduction)
    if mode is not ReductionMode.PARTIAL:
        return ItcReduction(mode)
    declared = TaxAmounts(
        rupees(row.decl_igst_paise or 0),
        rupees(row.decl_cgst_paise or 0),
        rupees(row.decl_sgst_paise or 0),
        rupees(row.decl_cess_paise or 0),
    )
    return ItcReduction.partial(declared)


def reduction_columns(reduction: ItcReduction | None) -> dict[str, Any]:
    """The columns that store a declared ITC reduction (all None when there is none)."""
    declared = reduction.declared if reduction and reduction.mode is ReductionMode.PARTIAL else None
    return {
        "itc_reduction": reduction.mode.value if reduction else None,
        "decl_igst_paise": paise(declared.igst) if declared else None,
        "decl_cgst_paise": paise(declared.cgst) if declared else None,
        "decl_sgst_paise": paise(declared.sgst) if declared else None,
        "decl_cess_paise": paise(declared.cess) if declared else None,
    }


def history_snapshot(row: RecordRow) -> dict[str, Any]:
    """A JSON-safe copy of a row's content and state, kept in record history."""
    snapshot: dict[str, Any] = {}
    for name, value in row.model_dump().items():
        snapshot[name] = value.isoformat() if isinstance(value, date | datetime) else value
    return snapshot
