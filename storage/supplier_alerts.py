"""Alerts to a supplier when a buyer rejects or keeps pending one of its documents.

An alert crosses from one taxpayer to another, with text a buyer wrote, so it is bounded: it
goes only to the members of the GSTIN registered here that is the record's own supplier; the
buyer's remark is cut to a length; one record raises at most one alert a day per person (later
changes are merged into the next one); and a supplier's person can mute a buyer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, select, update
from sqlmodel import Session

from ims_domain.money import format_inr
from ims_domain.records import Action, RecordKind
from ims_domain.text_limits import shortened
from storage.convert import rupees
from storage.models import Mute, Outbox, RecordRow, Taxpayer
from storage.outbox import enqueue, member_chats

KIND = "supplier_alert"
ALERTED_ACTIONS = frozenset({Action.REJECT, Action.PENDING})
# Longest buyer's remark an alert quotes; a longer one is cut with an ellipsis (the portal
# keeps the whole remark; the alert only points to it).
REMARKS_SHOWN = 200
# Alerts about one record to one person: at most one in this window; changes within it are
# merged into the next alert, sent when the window ends.
MERGE_WINDOW = timedelta(days=1)
OUTBOX = Outbox.__table__  # type: ignore[attr-defined]
MUTES = Mute.__table__  # type: ignore[attr-defined]
TAXPAYERS = Taxpayer.__table__  # type: ignore[attr-defined]


def alert_supplier(
    session: Session,
    *,
    recipient: Taxpayer,
    row: RecordRow,
    version: int,
    action: Action,
    remarks: str | None,
    now: datetime,
) -> None:
    """After a buyer's action on `row` (now at `version`): queue, merge or withdraw the
    supplier's alert."""
    supplier = _real_supplier(session, recipient=recipient, row=row)
    if supplier is None or supplier.id is None:
        return
    if action not in ALERTED_ACTIONS:
        _withdraw_unsent(session, buyer=recipient.gstin, record_id=row.id, now=now)
        return
    payload = {
        "record_id": row.id,
        "recipient_gstin": recipient.gstin,
        "recipient_name": recipient.legal_name,
        "kind": row.kind,
        "number": row.number,
        "document_date": row.document_date.isoformat(),
        "value": format_inr(rupees(row.value_paise)),
        "tax": format_inr(
            rupees(row.igst_paise + row.cgst_paise + row.sgst_paise + row.cess_paise)
        ),
        "action": action.value,
        "remarks": shown_remarks(remarks),
        "changes": 1,
    }
    muted = _muted_users(session, buyer=recipient.gstin)
    for chat in member_chats(session, taxpayer_id=supplier.id, kind=KIND):
        if chat not in muted:
            key = f"{_prefix(recipient.gstin, row.id, chat)}{version}"
            _queue(session, chat=chat, payload=payload, key=key, now=now)


def shown_remarks(remarks: str | None) -> str | None:
    """A buyer's remark as an alert quotes it: stripped, and cut to REMARKS_SHOWN."""
    text = " ".join((remarks or "").split())
    return shortened(text, REMARKS_SHOWN) if text else None


def _real_supplier(session: Session, *, recipient: Taxpayer, row: RecordRow) -> Taxpayer | None:
    """The GSTIN registered here that is the record's supplier; none for a bill of entry (a
    port or an SEZ unit, which has no supplier view) or for the buyer itself."""
    if RecordKind(row.kind).is_import:
        return None
    supplier = session.execute(
        select(Taxpayer).where(Taxpayer.gstin == row.supplier_gstin)  # type: ignore[arg-type]
    ).scalar()
    if supplier is None or supplier.id == recipient.id:
        return None
    found: Taxpayer = supplier
    return found


def _prefix(buyer: str, record_id: int | None = None, chat: int | None = None) -> str:
    """The start of the dedupe keys of alerts from `buyer` (about a record, to a chat)."""
    parts = [KIND, buyer, *(str(part) for part in (record_id, chat) if part is not None)]
    return ":".join(parts) + ":"


@dataclass(frozen=True)
class _Earlier:
    id: int
    payload: dict[str, Any]
    attempts: int
    sent_at: datetime | None
    failed_at: datetime | None


def _latest(session: Session, *, prefix: str, chat: int) -> _Earlier | None:
    c = OUTBOX.c
    row = session.execute(
        select(c.id, c.payload, c.attempts, c.sent_at, c.failed_at)
        .where(c.chat_id == chat, c.kind == KIND, c.dedupe_key.startswith(prefix, autoescape=True))
        .order_by(c.id.desc())
        .limit(1)
    ).first()
    return None if row is None else _Earlier(*row)


def _queue(
    session: Session, *, chat: int, payload: dict[str, Any], key: str, now: datetime
) -> None:
    """Queue an alert now, merge it into an unsent one, or hold it until the window ends."""
    earlier = _latest(session, prefix=key.rsplit(":", 1)[0] + ":", chat=chat)
    due = now
    if earlier is not None and earlier.failed_at is None:
        if earlier.sent_at is None and earlier.attempts == 0:
            merged = {**payload, "changes": earlier.payload.get("changes", 1) + 1}
            c = OUTBOX.c
            # Only while no sender has claimed it (a claim raises attempts): else queue anew.
            result = session.execute(
                update(OUTBOX)
                .where(c.id == earlier.id, c.attempts == 0, c.sent_at.is_(None))
                .values(payload=merged)
            )
            if result.rowcount == 1:  # type: ignore[attr-defined]
                return
        due = max(now, (earlier.sent_at or now) + MERGE_WINDOW)
    enqueue(session, messages=[(chat, KIND, payload, key)], now=due)


def _withdraw_unsent(session: Session, *, buyer: str, record_id: int | None, now: datetime) -> None:
    """The buyer accepted or reset the record before its alert went out: it is not sent."""
    c = OUTBOX.c
    session.execute(
        update(OUTBOX)
        .where(
            c.kind == KIND,
            c.dedupe_key.startswith(_prefix(buyer, record_id), autoescape=True),
            c.sent_at.is_(None),
            c.failed_at.is_(None),
            c.attempts == 0,
        )
        .values(failed_at=now, last_error="withdrawn: the buyer changed the action")
    )


def _mute_kind(buyer: str) -> str:
    return f"buyer:{buyer}"


def _muted_users(session: Session, *, buyer: str) -> set[int]:
    muted = session.execute(select(MUTES.c.user_id).where(MUTES.c.kind == _mute_kind(buyer)))
    return set(muted.scalars())


@dataclass(frozen=True)
class MutedBuyer:
    """A buyer whose alerts a supplier's person muted."""

    gstin: str
    name: str | None


def toggle_buyer_mute(session: Session, *, user_id: int, buyer: str, now: datetime) -> bool:
    """Mute (or unmute) one buyer's alerts for this person; True when now muted.

    Muting also withdraws the alerts from that buyer still waiting to be sent to them.
    """
    kind = _mute_kind(buyer)
    existing = session.execute(
        select(Mute).where(Mute.user_id == user_id, Mute.kind == kind)  # type: ignore[arg-type]
    ).scalar()
    if existing is not None:
        session.delete(existing)
        return False
    session.add(Mute(user_id=user_id, kind=kind))
    c = OUTBOX.c
    session.execute(
        update(OUTBOX)
        .where(
            and_(c.chat_id == user_id, c.kind == KIND),
            c.dedupe_key.startswith(_prefix(buyer), autoescape=True),
            c.sent_at.is_(None),
            c.failed_at.is_(None),
        )
        .values(failed_at=now, last_error="muted: the supplier muted this buyer")
    )
    return True


def muted_buyers(session: Session, *, user_id: int) -> list[MutedBuyer]:
    """The buyers this person muted, with their names where registered here."""
    kinds = session.execute(
        select(MUTES.c.kind).where(MUTES.c.user_id == user_id, MUTES.c.kind.startswith("buyer:"))
    ).scalars()
    gstins = sorted(kind.removeprefix("buyer:") for kind in kinds)
    found = session.execute(
        select(TAXPAYERS.c.gstin, TAXPAYERS.c.legal_name).where(TAXPAYERS.c.gstin.in_(gstins))
    )
    names: dict[str, str] = {gstin: name for gstin, name in found}
    return [MutedBuyer(gstin, names.get(gstin)) for gstin in gstins]


def registered_name(session: Session, *, gstin: str) -> str | None:
    """The name of a GSTIN registered here, if it is."""
    name: str | None = session.execute(
        select(TAXPAYERS.c.legal_name).where(TAXPAYERS.c.gstin == gstin)
    ).scalar()
    return name
