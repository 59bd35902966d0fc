"""Small builders for domain objects, so each test states only what matters to it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from ims_domain.actions import ActionContext
from ims_domain.money import TaxAmounts
from ims_domain.periods import FilingFrequency, ReturnPeriod, StateGroup
from ims_domain.records import Action, OriginalRef, OriginalState, Record, RecordKey, RecordKind

RECIPIENT = "27AAPFU0939F1ZV"  # Maharashtra: QRMP state group A
DELHI_RECIPIENT = "07AAPFU0939F1ZX"  # Delhi: QRMP state group B
SUPPLIER = "29AAGCB7383J1Z4"  # Karnataka
OCT_2025 = ReturnPeriod(2025, 10)


def record(
    kind: RecordKind = RecordKind.INVOICE,
    *,
    number: str = "INV-1",
    document_date: date = date(2025, 10, 20),
    period: ReturnPeriod | None = OCT_2025,
    igst: str = "1800",
    cgst: str = "0",
    sgst: str = "0",
    cess: str = "0",
    original: OriginalRef | None = None,
    pending_blocked: bool | None = None,
    supplier: str = SUPPLIER,
    recipient: str = RECIPIENT,
    source_form: str = "R1",
    reverse_charge: bool = False,
    itc_unavailable: bool = False,
) -> Record:
    """A record with plausible defaults: an Oct-2025 invoice with IGST 1,800."""
    if kind.is_amendment and original is None:
        original = OriginalRef(number=number, document_date=document_date)
    taxes = TaxAmounts.of(igst=igst, cgst=cgst, sgst=sgst, cess=cess)
    return Record(
        key=RecordKey.of(
            supplier=supplier,
            recipient=recipient,
            kind=kind,
            number=number,
            document_date=document_date,
        ),
        document_date=document_date,
        value=Decimal(10000) + taxes.total,
        taxable_value=Decimal(10000),
        taxes=taxes,
        two_b_period=period,
        original=original,
        pending_blocked=pending_blocked,
        source_form=source_form,
        reverse_charge=reverse_charge,
        itc_unavailable=itc_unavailable,
    )


def original_state(
    action: Action = Action.ACCEPT, *, igst: str = "1800", gstr3b_filed: bool = True
) -> OriginalState:
    """What the store knows about an amendment's original."""
    return OriginalState(action=action, taxes=TaxAmounts.of(igst=igst), gstr3b_filed=gstr3b_filed)


def context(
    today: date = date(2025, 11, 5),
    *,
    frequency: FilingFrequency = FilingFrequency.MONTHLY,
    state_group: StateGroup | None = None,
    current_action: Action = Action.NO_ACTION,
    gstr3b_filed: bool = False,
    gstr2b_generated: bool = False,
    original: OriginalState | None = None,
) -> ActionContext:
    """An action context for a monthly recipient on 5-Nov-2025 unless told otherwise."""
    return ActionContext(
        today=today,
        frequency=frequency,
        state_group=state_group,
        current_action=current_action,
        gstr3b_filed=gstr3b_filed,
        gstr2b_generated=gstr2b_generated,
        original=original,
    )
