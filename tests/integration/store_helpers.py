"""Helpers for storage tests: a registered recipient with a team, and records to import."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime

from sqlalchemy import Engine
from sqlmodel import Session, func, select

from ims_domain.periods import ReturnPeriod
from ims_domain.records import Action, RecordKind, ReportedRecord
from storage.access import Actor
from storage.db import transaction
from storage.deadlines import TickResult, run_due_work
from storage.imports import ImportResult, import_records
from storage.models import ActionLog, Channel, Outbox, Role
from storage.rulebook import RuleBook
from storage.taxpayers import create_invite, ensure_user, join_with_invite, register_taxpayer
from tests.builders import OCT_2025, RECIPIENT, SUPPLIER, record

NOW = datetime(2025, 11, 5, 6, 30, tzinfo=UTC)  # 12:00 IST, 5-Nov-2025
CLI = Actor.system(Channel.CLI)
OWNER, APPROVER, VIEWER, STRANGER = 101, 102, 103, 999
OTHER_RECIPIENT = "29AABCR1718E1ZL"
SUPPLIER_OWNER = 555


def setup_team(engine: Engine) -> None:
    """RECIPIENT with an owner, an approver and a viewer; OTHER_RECIPIENT owned by STRANGER."""
    with transaction(engine) as session:
        register_taxpayer(
            session, actor=CLI, gstin=RECIPIENT, name="Acme Traders", owner_id=OWNER, now=NOW
        )
        register_taxpayer(
            session, actor=CLI, gstin=OTHER_RECIPIENT, name="Other", owner_id=STRANGER, now=NOW
        )
        ensure_user(session, user_id=OWNER, name=f"user{OWNER}", now=NOW)
        for user, role in ((APPROVER, Role.APPROVER), (VIEWER, Role.VIEWER)):
            invite = create_invite(
                session, actor=Actor.user(OWNER), gstin=RECIPIENT, role=role, now=NOW
            )
            join_with_invite(session, user_id=user, name=f"user{user}", code=invite.code, now=NOW)


def setup_supplier(engine: Engine) -> None:
    """SUPPLIER registered here as Sharma Components, owned by SUPPLIER_OWNER."""
    with transaction(engine) as session:
        register_taxpayer(
            session,
            actor=CLI,
            gstin=SUPPLIER,
            name="Sharma Components",
            owner_id=SUPPLIER_OWNER,
            now=NOW,
        )


def invoices(
    count: int,
    *,
    kind: RecordKind = RecordKind.INVOICE,
    igst: str = "1800",
    period: ReturnPeriod = OCT_2025,
    recipient: str = RECIPIENT,
    prefix: str = "INV",
    portal_action: Action | None = None,
) -> list[ReportedRecord]:
    """`count` reported documents from SUPPLIER to `recipient`."""
    return [
        ReportedRecord(
            record(
                kind,
                number=f"{prefix}-{i}",
                igst=igst,
                period=period,
                document_date=date(2025, 10, 1 + i % 28),
                recipient=recipient,
            ),
            supplier_name="Sharma Components",
            portal_action=portal_action,
        )
        for i in range(count)
    ]


def do_import(
    engine: Engine,
    records: list[ReportedRecord],
    *,
    actor: Actor = CLI,
    gstin: str = RECIPIENT,
    now: datetime = NOW,
    content: bytes | None = None,
) -> ImportResult:
    """Import `records` as one file whose bytes hash to `content` (default: the record keys)."""
    content = content or "".join(r.record.key.text + str(r.record.taxes) for r in records).encode()
    with transaction(engine) as session:
        return import_records(
            session,
            actor=actor,
            gstin=gstin,
            records=records,
            sha256=hashlib.sha256(content).hexdigest(),
            file_format="ims",
            now=now,
        )


def audit_count(session: Session) -> int:
    """Rows in the action log."""
    return session.exec(select(func.count()).select_from(ActionLog)).one()


def tick(engine: Engine, now: datetime, rulebook: RuleBook | None = None) -> TickResult:
    """One pass of the due work at `now`, in a transaction of its own (as `ims tick`)."""
    with transaction(engine) as session:
        return run_due_work(session, now=now, rulebook=rulebook or RuleBook())


def messages(engine: Engine, kind: str) -> list[Outbox]:
    """The outbox rows of one kind, in the order they were queued."""
    with transaction(engine) as session:
        query = select(Outbox).where(Outbox.kind == kind).order_by(Outbox.id)  # type: ignore[arg-type]
        return list(session.exec(query).all())
