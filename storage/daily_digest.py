"""The daily digest of new records (issue 7): off by default, each user switches it for themselves.

This module holds the switch, what a digest says and its due work: once a day per user and
GSTIN, after downtime one digest for the gap, claimed once (storage.due_work) and called by
storage.deadlines.run_due_work.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session
from sqlmodel import select as orm_select

from storage.deadline_settings import DeadlineSettings
from storage.due_work import claim, last_claimed, mark_done
from storage.eligibility import C
from storage.models import Membership, Taxpayer, User
from storage.outbox import enqueue
from storage.rulebook import today_in_india
from storage.taxpayers import ensure_user

TOP_SUPPLIERS = 5


def daily_digest_on(session: Session, *, user_id: int) -> bool:
    """Whether the user gets the daily digest."""
    user = session.get(User, user_id)
    return user is not None and user.daily_digest_since is not None


def toggle_daily_digest(session: Session, *, user_id: int, now: datetime) -> bool:
    """Switch the user's daily digest on or off; True when it is now on.

    Switched on, the first digest covers what arrives from this moment.
    """
    user = ensure_user(session, user_id=user_id, now=now)
    user.daily_digest_since = None if user.daily_digest_since is not None else now
    session.flush()
    return user.daily_digest_since is not None


def subscribers(session: Session, taxpayer: Taxpayer) -> list[tuple[int, datetime]]:
    """The members of a GSTIN who get the daily digest, with the moment they switched it on."""
    rows = session.exec(
        orm_select(User.id, User.daily_digest_since)
        .join(Membership, Membership.user_id == User.id)  # type: ignore[arg-type]
        .where(
            Membership.taxpayer_id == taxpayer.id,
            User.daily_digest_since.is_not(None),  # type: ignore[union-attr]
            User.blocked_at.is_(None),  # type: ignore[union-attr]
        )
        .order_by(Membership.id)  # type: ignore[arg-type]
    ).all()
    return [(user_id, since) for user_id, since in rows if since is not None]


def digest_payload(
    session: Session, taxpayer: Taxpayer, *, since: datetime, until: datetime
) -> dict[str, Any] | None:
    """What a digest says about the records that arrived after `since` up to `until`; None
    when nothing arrived."""
    arrived = (C.taxpayer_id == taxpayer.id, C.created_at > since, C.created_at <= until)
    tax = C.igst_paise + C.cgst_paise + C.sgst_paise + C.cess_paise
    count, tax_paise = session.execute(select(func.count(), func.sum(tax)).where(*arrived)).one()
    if not count:
        return None
    by_kind = session.execute(select(C.kind, func.count()).where(*arrived).group_by(C.kind)).all()
    suppliers = session.execute(
        select(C.supplier_gstin, func.max(C.supplier_name), func.count().label("n"))
        .where(*arrived)
        .group_by(C.supplier_gstin)
        .order_by(func.count().desc(), C.supplier_gstin)
    ).all()
    return {
        "gstin": taxpayer.gstin,
        "name": taxpayer.trade_name or taxpayer.legal_name,
        "since": since.isoformat(),
        "count": int(count),
        # PostgreSQL sums BIGINT as NUMERIC; int() makes both backends alike.
        "tax_paise": int(tax_paise or 0),
        "by_kind": {kind: int(n) for kind, n in by_kind},
        "by_supplier": [[gstin, name, int(n)] for gstin, name, n in suppliers[:TOP_SUPPLIERS]],
        "suppliers": len(suppliers),
    }


def queue_daily_digests(
    session: Session, taxpayer: Taxpayer, settings: DeadlineSettings, *, now: datetime
) -> int:
    """Once a day, at the reminder time, each member who asked for it gets the records that
    arrived since their previous digest of this GSTIN; after downtime one digest for the gap."""
    assert taxpayer.id is not None
    today = today_in_india(now)
    moment = settings.at(today)
    if now < moment:
        return 0
    sent = 0
    for user_id, switched_on in subscribers(session, taxpayer):
        key_prefix = f"daily:{taxpayer.id}:{user_id}:"
        previous = last_claimed(
            session, taxpayer, kind="daily_digest", key_prefix=key_prefix, done=True
        )
        key = f"{key_prefix}{today.isoformat()}"
        if not claim(session, taxpayer_id=taxpayer.id, kind="daily_digest", key=key, due_at=moment):
            continue
        mark_done(session, key, now)
        since = max(switched_on, previous) if previous is not None else switched_on
        # To the millisecond, as the digest's Review button names the moment: the list it opens
        # then holds exactly the records the digest counts.
        since = since.replace(microsecond=since.microsecond // 1000 * 1000)
        payload = digest_payload(session, taxpayer, since=since, until=now)
        if payload is None:
            continue  # nothing new: no message (the day is claimed all the same)
        enqueue(session, messages=[(user_id, "daily_digest", payload, key)], now=now)
        sent += 1
    return sent
