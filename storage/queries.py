"""Read-only use cases: the inbox page by page, the dashboard, and the draft GSTR-2B of a period."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Row, func, select, tuple_
from sqlmodel import Session
from sqlmodel import select as orm_select

from ims_domain.gstr2b import Gstr2bDraft, Gstr2bEntry, draft_gstr2b
from ims_domain.money import NO_TAX, TaxAmounts, sum_taxes
from ims_domain.periods import PeriodError, ReturnPeriod, tax_period_last_month
from ims_domain.records import Action, RecordKind
from storage.access import Actor, taxpayer_for
from storage.acting import original_of
from storage.convert import period_number, period_of, record_of, reduction_of, rupees, taxes_of
from storage.eligibility import in_ims
from storage.errors import InvalidInput, NotFound
from storage.filters import RecordFilter
from storage.models import (
    Channel,
    ImportBatch,
    PeriodState,
    RecordRow,
    Taxpayer,
    User,
    records_table,
)
from storage.rulebook import RuleBook, frequency_of, tax_period_months, today_in_india

RECORDS = records_table()
USERS = User.__table__  # type: ignore[attr-defined]
MAX_PAGE = 500  # a page is for a person or a report chunk; more is a mistake, not a request
CREDIT_NOTE_KINDS = (RecordKind.CREDIT_NOTE, RecordKind.CREDIT_NOTE_AMENDMENT)
_CURSOR = re.compile(r"([0-9]{8})\.([0-9]{1,18})")  # ASCII only: \d takes any digit
# How far back the search for the next 2B starts: due-date overrides can push a generation date
# past the month after its period, so the previous quarter's months are looked at too.
_LOOK_BACK_MONTHS = 4
_LOOK_AHEAD_MONTHS = 24


# ---------------------------------------------------------------------------------------------
# Inbox


@dataclass(frozen=True)
class InboxCursor:
    """Where a page ended: the last record's document date and id (keyset, never an offset)."""

    document_date: date
    id: int

    def encode(self) -> str:
        """Short text safe in URLs and Telegram callback data, e.g. '20251020.1234'."""
        return f"{self.document_date:%Y%m%d}.{self.id}"

    @classmethod
    def decode(cls, text: str) -> InboxCursor:
        """The cursor written by `encode`; anything else is refused as invalid input."""
        match = _CURSOR.fullmatch(text) if isinstance(text, str) else None
        if match is None:
            raise InvalidInput(f"page position {text!r} is not valid; open the inbox again.")
        day = match.group(1)
        try:
            document_date = date(int(day[:4]), int(day[4:6]), int(day[6:]))
        except ValueError as exc:
            raise InvalidInput(
                f"page position {text!r} is not valid; open the inbox again."
            ) from exc
        return cls(document_date, int(match.group(2)))


@dataclass(frozen=True)
class InboxItem:
    """One record as an inbox line shows it, with its current state and who set it."""

    record_id: int
    version: int
    supplier_gstin: str
    supplier_name: str | None
    kind: RecordKind
    number: str
    document_date: date
    value: Decimal
    taxable_value: Decimal
    taxes: TaxAmounts
    two_b_period: ReturnPeriod | None
    counts_in_period: ReturnPeriod | None
    action: Action
    deemed: bool
    action_by_name: str | None
    action_at: datetime | None
    action_channel: Channel | None
    remarks: str | None


@dataclass(frozen=True)
class InboxPage:
    """A page of the inbox, newest document first; `next_cursor` is None on the last page."""

    items: list[InboxItem]
    next_cursor: InboxCursor | None


def _after(cursor: InboxCursor) -> ColumnElement[bool]:
    """Records strictly after `cursor` in (document_date DESC, id DESC) order."""
    c = RECORDS.c
    # Row value, not `date < d OR (date = d AND id < i)`: measured on 200k records of one GSTIN,
    # status filter, cursor 80k rows deep. PostgreSQL takes the row value as an Index Cond on
    # ix_record_inbox_status and seeks to the cursor (0.1 ms); the OR form is only a Filter on a
    # backward index scan that reads every newer row first (32 ms). SQLite seeks on
    # (taxpayer_id, action, document_date <= d) for the row value (0.08 ms at any depth); the OR
    # form slows with depth (7.6 ms). Both backends support row values (SQLite since 3.15).
    return tuple_(c.document_date, c.id) < tuple_(cursor.document_date, cursor.id)


def inbox_page(
    session: Session,
    *,
    actor: Actor,
    gstin: str,
    record_filter: RecordFilter,
    after: InboxCursor | None = None,
    limit: int = 50,
) -> InboxPage:
    """One page of a GSTIN's records matching `record_filter`, newest document first."""
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"a page holds 1 to {MAX_PAGE} records, not {limit}.")
    taxpayer = taxpayer_for(session, actor=actor, gstin=gstin)
    assert taxpayer.id is not None
    c = RECORDS.c
    condition = record_filter.clause(taxpayer.id)
    if after is not None:
        condition = condition & _after(after)
    # The user join is a primary-key lookup per returned row, done after the limit.
    query = (
        select(
            c.id,
            c.version,
            c.supplier_gstin,
            c.supplier_name,
            c.kind,
            c.number,
            c.document_date,
            c.value_paise,
            c.taxable_paise,
            c.igst_paise,
            c.cgst_paise,
            c.sgst_paise,
            c.cess_paise,
            c.two_b_period,
            c.counts_in_period,
            c.action,
            c.deemed,
            USERS.c.name.label("action_by_name"),
            c.action_at,
            c.action_channel,
            c.remarks,
        )
        .select_from(RECORDS.outerjoin(USERS, USERS.c.id == c.action_by))
        .where(condition)
        .order_by(c.document_date.desc(), c.id.desc())
        .limit(limit + 1)  # one more than shown tells whether a next page exists
    )
    rows = session.execute(query).all()
    items = [_item_of(row) for row in rows[:limit]]
    next_cursor = None
    if len(rows) > limit:
        last = items[-1]
        next_cursor = InboxCursor(last.document_date, last.record_id)
    return InboxPage(items=items, next_cursor=next_cursor)


def _item_of(row: Row[Any]) -> InboxItem:
    return InboxItem(
        record_id=row.id,
        version=row.version,
        supplier_gstin=row.supplier_gstin,
        supplier_name=row.supplier_name,
        kind=RecordKind(row.kind),
        number=row.number,
        document_date=row.document_date,
        value=rupees(row.value_paise),
        taxable_value=rupees(row.taxable_paise),
        taxes=taxes_of(row),
        two_b_period=period_of(row.two_b_period),
        counts_in_period=period_of(row.counts_in_period),
        action=Action(row.action),
        deemed=bool(row.deemed),
        action_by_name=row.action_by_name,
        action_at=row.action_at,
        action_channel=Channel(row.action_channel) if row.action_channel else None,
        remarks=row.remarks,
    )


@dataclass(frozen=True)
class RecordSource:
    """Where a record's current version came from: which GSTIN's upload, and whether the portal
    has shown it yet (a supplier's own return reaches the buyer before the portal does)."""

    uploaded_by_gstin: str | None
    uploaded_by_name: str | None
    file_format: str | None
    uploaded_at: datetime | None
    seen_on_portal: bool


def record_source(session: Session, *, actor: Actor, gstin: str, record_id: int) -> RecordSource:
    """The source of one of a GSTIN's records, for its members."""
    taxpayer = taxpayer_for(session, actor=actor, gstin=gstin)
    c = RECORDS.c
    batches = ImportBatch.__table__  # type: ignore[attr-defined]
    uploaders = Taxpayer.__table__  # type: ignore[attr-defined]
    row = session.execute(
        select(
            c.portal_seen_at,
            batches.c.format,
            batches.c.created_at,
            uploaders.c.gstin,
            uploaders.c.legal_name,
        )
        .select_from(
            RECORDS.outerjoin(batches, batches.c.id == c.batch_id).outerjoin(
                uploaders, uploaders.c.id == batches.c.taxpayer_id
            )
        )
        .where(c.id == record_id, c.taxpayer_id == taxpayer.id)
    ).first()
    if row is None:
        raise NotFound("That record is not in this GSTIN's inbox.")
    return RecordSource(
        uploaded_by_gstin=row.gstin,
        uploaded_by_name=row.legal_name,
        file_format=row.format,
        uploaded_at=row.created_at,
        seen_on_portal=row.portal_seen_at is not None,
    )


# ---------------------------------------------------------------------------------------------
# Dashboard


@dataclass(frozen=True)
class StatusKindTotals:
    """How many records of one kind are in one state, and their tax as reported (unsigned)."""

    action: Action
    kind: RecordKind
    count: int
    taxes: TaxAmounts


@dataclass(frozen=True)
class NextGeneration:
    """The next GSTR-2B to be generated, and what is still untouched in it (deemed then, R2.3)."""

    period: ReturnPeriod  # for QRMP: the quarter's last month
    generation_date: date
    days_left: int  # from today in India; 0 on the day itself
    no_action_count: int
    no_action_taxes: TaxAmounts


@dataclass(frozen=True)
class Dashboard:
    """A GSTIN's records counted per state and kind, and what the next 2B will deem accepted."""

    totals: tuple[StatusKindTotals, ...]  # documents in IMS
    next_generation: NextGeneration | None
    pending_credit_notes: int
    # Documents outside IMS (R1.3, R1.5: reverse charge, ITC not available, older imports):
    # no action is taken on them; they go to GSTR-2B as they are.
    outside_ims: int = 0

    def _matching(
        self, action: Action | None, kind: RecordKind | None
    ) -> Iterable[StatusKindTotals]:
        return (
            t
            for t in self.totals
            if (action is None or t.action is action) and (kind is None or t.kind is kind)
        )

    def count(self, *, action: Action | None = None, kind: RecordKind | None = None) -> int:
        """Records in `action` and of `kind` (None: any)."""
        return sum(t.count for t in self._matching(action, kind))

    def taxes(self, *, action: Action | None = None, kind: RecordKind | None = None) -> TaxAmounts:
        """Tax of the records in `action` and of `kind` (None: any), as reported."""
        return sum_taxes([t.taxes for t in self._matching(action, kind)])


def dashboard(
    session: Session, *, actor: Actor, gstin: str, rulebook: RuleBook, now: datetime
) -> Dashboard:
    """Totals per state and kind, the next 2B generation, and credit notes kept pending."""
    taxpayer = taxpayer_for(session, actor=actor, gstin=gstin)
    assert taxpayer.id is not None
    c = RECORDS.c
    ims = in_ims().label("in_ims")
    query = (
        select(
            c.action,
            c.kind,
            ims,
            func.count().label("documents"),
            func.sum(c.igst_paise),
            func.sum(c.cgst_paise),
            func.sum(c.sgst_paise),
            func.sum(c.cess_paise),
        )
        .where(c.taxpayer_id == taxpayer.id)
        .group_by(c.action, c.kind, ims)
        .order_by(c.action, c.kind)
    )
    rows = session.execute(query).all()
    totals = tuple(
        StatusKindTotals(
            Action(action), RecordKind(kind), int(count), _summed(igst, cgst, sgst, cess)
        )
        for action, kind, inside, count, igst, cgst, sgst, cess in rows
        if inside
    )
    pending_credit_notes = sum(
        t.count for t in totals if t.action is Action.PENDING and t.kind in CREDIT_NOTE_KINDS
    )
    return Dashboard(
        totals=totals,
        next_generation=_next_generation(session, taxpayer=taxpayer, rulebook=rulebook, now=now),
        pending_credit_notes=pending_credit_notes,
        outside_ims=sum(int(row.documents) for row in rows if not row.in_ims),
    )


def _summed(*heads: Any) -> TaxAmounts:
    # PostgreSQL sums BIGINT as NUMERIC (a Decimal); int() makes both backends alike.
    return TaxAmounts(*(rupees(int(head or 0)) for head in heads))


def _next_generation(
    session: Session, *, taxpayer: Taxpayer, rulebook: RuleBook, now: datetime
) -> NextGeneration | None:
    """The earliest 2B month not generated yet whose generation date is today or later."""
    assert taxpayer.id is not None
    today = today_in_india(now)
    frequency = frequency_of(taxpayer)
    generated = set(
        session.exec(
            orm_select(PeriodState.period).where(
                PeriodState.taxpayer_id == taxpayer.id,
                PeriodState.gstr2b_generated_at.is_not(None),  # type: ignore[union-attr]
            )
        ).all()
    )
    try:
        month = tax_period_last_month(ReturnPeriod.of(today).shift(-_LOOK_BACK_MONTHS), frequency)
        for _ in range(_LOOK_AHEAD_MONTHS):
            on = rulebook.calendar.gstr2b_generation_date(month, frequency)
            if on >= today and period_number(month) not in generated:
                break
            month = tax_period_last_month(month.next(), frequency)
        else:
            return None
    except PeriodError:  # the edge of the supported financial years: nothing to show
        return None
    months = [period_number(m) for m in tax_period_months(month, frequency)]
    c = RECORDS.c
    count, igst, cgst, sgst, cess = session.execute(
        select(
            func.count(),
            func.sum(c.igst_paise),
            func.sum(c.cgst_paise),
            func.sum(c.sgst_paise),
            func.sum(c.cess_paise),
        ).where(
            c.taxpayer_id == taxpayer.id,
            c.counts_in_period.in_(months),
            c.action == Action.NO_ACTION.value,
            in_ims(),
        )
    ).one()
    return NextGeneration(
        period=month,
        generation_date=on,
        days_left=(on - today).days,
        no_action_count=int(count),
        no_action_taxes=_summed(igst, cgst, sgst, cess) if count else NO_TAX,
    )


# ---------------------------------------------------------------------------------------------
# Draft GSTR-2B


def gstr2b_draft(
    session: Session, *, actor: Actor, gstin: str, period: ReturnPeriod
) -> Gstr2bDraft:
    """The draft GSTR-2B of the tax period containing `period`, from the stored actions."""
    taxpayer = taxpayer_for(session, actor=actor, gstin=gstin)
    assert taxpayer.id is not None
    frequency = frequency_of(taxpayer)
    months = [period_number(m) for m in tax_period_months(period, frequency)]
    rows = session.exec(
        orm_select(RecordRow)
        .where(
            RecordRow.taxpayer_id == taxpayer.id,
            RecordRow.counts_in_period.in_(months),  # type: ignore[union-attr]
        )
        .order_by(RecordRow.id)  # type: ignore[arg-type]
    ).all()
    entries = []
    for row in rows:
        record = record_of(row, taxpayer.gstin)
        entries.append(
            Gstr2bEntry(
                record=record,
                action=Action(row.action),
                period=period_of(row.counts_in_period),
                deemed=row.deemed,
                # One lookup per amendment only; originals are rare beside the invoices.
                original=original_of(session, taxpayer=taxpayer, record=record)
                if record.original is not None
                else None,
                itc_reduction=reduction_of(row),
            )
        )
    return draft_gstr2b(
        recipient=taxpayer.gstin, period=period, entries=entries, frequency=frequency
    )
