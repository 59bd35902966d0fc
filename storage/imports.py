"""Importing reported records: one transaction, idempotent by file hash and by record identity.

New records are inserted with one executemany; a record whose content changed gets a new
version (the old one goes to history) and its action is reset to No action (R5.1, OQ8); an
unchanged record is left alone. Each recipient's members get one digest per upload. A record
someone changes while the import runs is planned again from its newest state, never overwritten.
"""

from __future__ import annotations

import dataclasses
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Row, RowMapping, func, insert, select, text
from sqlmodel import Session

from ims_domain.formats.common import paused_gc
from ims_domain.records import Action, ReportedRecord, RowProblem
from storage.access import ACTING_ROLES, Actor, taxpayer_for
from storage.audit import record_actions
from storage.convert import content_columns, content_hash, history_snapshot, paise
from storage.models import (
    Channel,
    ImportBatch,
    RecordHistory,
    RecordRow,
    Taxpayer,
    records_table,
)
from storage.outbox import enqueue, member_chats
from storage.portal_sync import (
    SYNC_READ_COLUMNS,
    RecordsChanged,
    apply_portal_sync,
    guard,
    portal_sync,
    write_as_read,
)

RECORDS = records_table()
# Files the portal itself makes: a record in one is known to the portal (`portal_seen_at`).
PORTAL_FORMATS = frozenset({"ims", "gstr2b"})
LOOKUP_CHUNK = 900  # identities per IN (...) query: under every backend's parameter limit
INSERT_CHUNK = 2_000  # new rows per executemany: bounds the row dicts alive at once
ANALYZE_AFTER = 10_000  # new rows after which PostgreSQL's planner statistics are refreshed


def _nothing() -> None:
    """The default pause between reading a recipient's records and writing them: none."""


# Called once per recipient after its records are read and before any is changed; a test puts
# another transaction's commit here to hold the import to the interleaving it checks.
between_read_and_write: Callable[[], None] = _nothing


@dataclass(frozen=True)
class ImportResult:
    """What an import did, counted; `duplicate` when the same file was imported before."""

    batch_id: int
    format: str
    new: int
    changed: int
    unchanged: int
    refused: int
    skipped: int = 0  # records for recipients not registered here
    problems: list[RowProblem] = field(default_factory=list)
    duplicate: bool = False
    notes: tuple[str, ...] = ()  # the parser's notes, e.g. sections skipped


def import_records(
    session: Session,
    *,
    actor: Actor,
    gstin: str,
    records: Sequence[ReportedRecord],
    sha256: str,
    file_format: str,
    filename: str | None = None,
    problems: Sequence[RowProblem] = (),
    now: datetime,
) -> ImportResult:
    """Import the records of one file sent by a member of `gstin` (owner or approver)."""
    importer, batch = open_batch(
        session,
        actor=actor,
        gstin=gstin,
        sha256=sha256,
        file_format=file_format,
        filename=filename,
        now=now,
    )
    if isinstance(batch, ImportResult):
        return batch
    assert batch.id is not None
    all_problems = list(problems)
    by_recipient = _group_by_recipient(records, all_problems)
    recipients = _registered(session, list(by_recipient))
    counts: Counter[str] = Counter()
    for recipient_gstin, reported in by_recipient.items():
        recipient = recipients.get(recipient_gstin)
        if recipient is None:
            # A supplier's GSTR-1 names every buyer; only those registered here are kept.
            counts["skipped"] += len(reported)
            all_problems.append(
                RowProblem(
                    "",
                    None,
                    "recipient",
                    f"{len(reported)} records for {recipient_gstin} skipped: that GSTIN is not "
                    "registered here",
                    refused=False,
                )
            )
            continue
        outcome = _import_for_recipient(
            session,
            recipient,
            reported,
            batch_id=batch.id,
            from_portal=file_format in PORTAL_FORMATS,
            now=now,
        )
        counts.update(outcome)
        _enqueue_digest(
            session, recipient, batch, importer, outcome, exclude=actor.user_id, now=now
        )
    return close_batch(batch, counts, all_problems)


def open_batch(
    session: Session,
    *,
    actor: Actor,
    gstin: str,
    sha256: str,
    file_format: str,
    filename: str | None,
    now: datetime,
) -> tuple[Taxpayer, ImportBatch | ImportResult]:
    """Check the importer's role and start a batch; a file seen before returns its old result."""
    importer = taxpayer_for(session, actor=actor, gstin=gstin, roles=ACTING_ROLES)
    assert importer.id is not None
    earlier = session.exec(  # type: ignore[call-overload]
        select(ImportBatch).where(
            ImportBatch.taxpayer_id == importer.id,  # type: ignore[arg-type]
            ImportBatch.sha256 == sha256,  # type: ignore[arg-type]
        )
    ).first()
    if earlier is not None:
        return importer, _result_of(earlier[0], duplicate=True)
    batch = ImportBatch(
        taxpayer_id=importer.id,
        sha256=sha256,
        format=file_format,
        filename=filename,
        created_by=actor.user_id,
        created_at=now,
    )
    session.add(batch)
    session.flush()
    return importer, batch


def close_batch(
    batch: ImportBatch, counts: Counter[str], problems: list[RowProblem]
) -> ImportResult:
    """Store the batch's counts and problems; the import's result."""
    batch.new, batch.changed = counts["new"], counts["changed"]
    batch.unchanged, batch.skipped = counts["unchanged"], counts["skipped"]
    batch.refused = sum(1 for problem in problems if problem.refused)
    batch.problems = [dataclasses.asdict(problem) for problem in problems]
    return _result_of(batch)


def _group_by_recipient(
    records: Sequence[ReportedRecord], problems: list[RowProblem]
) -> dict[str, dict[str, ReportedRecord]]:
    grouped: dict[str, dict[str, ReportedRecord]] = defaultdict(dict)
    for index, reported in enumerate(records):
        key = reported.record.key
        if key.text in grouped[key.recipient]:
            problems.append(
                RowProblem(
                    reported.record.kind.value,
                    index,
                    "number",
                    f"{key.number} appears twice in the file; the later row is used",
                )
            )
        grouped[key.recipient][key.text] = reported
    return grouped


def _registered(session: Session, gstins: list[str]) -> dict[str, Taxpayer]:
    found = session.exec(select(Taxpayer).where(Taxpayer.gstin.in_(gstins)))  # type: ignore[call-overload, attr-defined]
    return {taxpayer.gstin: taxpayer for (taxpayer,) in found}


def _import_for_recipient(
    session: Session,
    recipient: Taxpayer,
    reported: dict[str, ReportedRecord],
    *,
    batch_id: int,
    from_portal: bool,
    now: datetime,
) -> Counter[str]:
    plan = _Plan(_existing(session, recipient.id, list(reported)), from_portal=from_portal)
    seen_at = now if from_portal else None
    new_rows: list[dict[str, Any]] = []
    outcome: Counter[str] = Counter()
    # Counted apart and added to `outcome` once: a Counter update per record costs.
    new_kinds: Counter[str] = Counter()
    new_tax_paise = 0
    # The records and their rows hold no reference cycles, yet the collector would walk every
    # record again and again while the rows are built (about 15 % of a 100,000-record import).
    with paused_gc():
        for identity, item in reported.items():
            digest = content_hash(item.record)
            if identity in plan.known:
                plan.add(identity, item, digest, now=now)
                continue
            new_rows.append(
                _new_row(
                    recipient=recipient,
                    identity=identity,
                    item=item,
                    digest=digest,
                    batch_id=batch_id,
                    seen_at=seen_at,
                    now=now,
                )
            )
            new_kinds[item.record.kind.value] += 1
            new_tax_paise += paise(item.record.taxes.total)
            if len(new_rows) >= INSERT_CHUNK:
                session.execute(insert(RECORDS), new_rows)
                new_rows = []
        if new_rows:
            session.execute(insert(RECORDS), new_rows)
    if new_kinds:
        outcome["new"] += new_kinds.total()
        outcome.update({f"kind:{kind}": count for kind, count in new_kinds.items()})
        outcome["tax_paise"] += new_tax_paise
    if outcome["new"] >= ANALYZE_AFTER and session.get_bind().dialect.name == "postgresql":
        # Without statistics the next import's identity lookups scan every row of the
        # recipient per chunk of 900 (quadratic); autovacuum may take a minute to catch up.
        session.execute(text("ANALYZE record"))
    between_read_and_write()
    try:
        with session.begin_nested():  # a savepoint: a write that finds a changed record is undone
            outcome.update(_write_plan(session, recipient, plan, batch_id=batch_id, now=now))
    except RecordsChanged:
        _lock_and_plan_again(session, plan, reported, taxpayer_id=recipient.id, now=now)
        outcome.update(_write_plan(session, recipient, plan, batch_id=batch_id, now=now))
    return outcome


def _write_plan(
    session: Session, recipient: Taxpayer, plan: _Plan, *, batch_id: int, now: datetime
) -> Counter[str]:
    """The planned supplier edits and portal syncs, each written on a record still as read."""
    outcome: Counter[str] = Counter(unchanged=plan.unchanged)
    edits = [(plan.known[identity].id, *edit) for identity, edit in plan.edits.items()]
    seen_at = now if plan.from_portal else None
    for start in range(0, len(edits), LOOKUP_CHUNK):
        chunk = edits[start : start + LOOKUP_CHUNK]
        outcome.update(
            _apply_supplier_edits(
                session, recipient, chunk, batch_id=batch_id, seen_at=seen_at, now=now
            )
        )
    if plan.syncs:
        synced = list(plan.syncs.values())
        outcome["adopted"] += apply_portal_sync(session, recipient, synced, now=now)
    return outcome


@dataclass
class _Plan:
    """What an import writes to the records it already has, worked out from what it read."""

    known: dict[str, Row[Any]]  # identity -> the columns read of the stored record
    from_portal: bool  # a portal file: its records are known to the portal (`portal_seen_at`)
    edits: dict[str, tuple[ReportedRecord, str]] = field(default_factory=dict)  # item, digest
    syncs: dict[str, dict[str, Any]] = field(default_factory=dict)  # portal_sync's values
    unchanged: int = 0

    def add(self, identity: str, item: ReportedRecord, digest: str, *, now: datetime) -> None:
        """Plan a supplier edit, or count the record unchanged and plan its portal sync."""
        known = self.known[identity]._mapping
        if known["content_hash"] != digest or _portal_says_edited(known, item):
            self.edits[identity] = (item, digest)
            return
        self.unchanged += 1
        values = portal_sync(known, item, from_portal=self.from_portal, now=now)
        if values:
            self.syncs[identity] = values

    def replan(
        self, identity: str, item: ReportedRecord, fresh: Row[Any], *, now: datetime
    ) -> None:
        """Drop what was planned for a record from an older read and plan it from `fresh`."""
        if self.edits.pop(identity, None) is None:
            self.unchanged -= 1
            self.syncs.pop(identity, None)
        self.known[identity] = fresh
        self.add(identity, item, content_hash(item.record), now=now)


def _lock_and_plan_again(
    session: Session,
    plan: _Plan,
    reported: dict[str, ReportedRecord],
    *,
    taxpayer_id: int | None,
    now: datetime,
) -> None:
    """Lock the records the import will write; plan again each one changed since it was read.

    Called when a first write found a record changed since the read: on PostgreSQL only, as on
    SQLite this transaction holds the one write lock from the batch row on, before the first
    read. Read again FOR UPDATE, each row comes back as last committed and stays so until this
    transaction ends, so the plan made from it is written as planned: one re-read is the whole
    retry.
    """
    identities = sorted([*plan.edits, *plan.syncs], key=lambda identity: plan.known[identity].id)
    fresh = _existing(session, taxpayer_id, identities, lock=True)
    for identity in identities:
        if fresh[identity] != plan.known[identity]:
            plan.replan(identity, reported[identity], fresh[identity], now=now)


def _portal_says_edited(known: RowMapping, item: ReportedRecord) -> bool:
    """Two IMS downloads whose `hash` differs: the portal holds a new version (R5.1, OQ8)."""
    return bool(
        known["portal_hash"] and item.portal_hash and known["portal_hash"] != item.portal_hash
    )


def _existing(
    session: Session, taxpayer_id: int | None, identities: list[str], *, lock: bool = False
) -> dict[str, Row[Any]]:
    """The columns an import decides by, of the stored records it names; locked in id order."""
    found: dict[str, Row[Any]] = {}
    c = RECORDS.c
    columns = [c.identity, c.id, c.content_hash, c.portal_hash, *SYNC_READ_COLUMNS]
    for start in range(0, len(identities), LOOKUP_CHUNK):
        chunk = identities[start : start + LOOKUP_CHUNK]
        query = select(*columns).where(c.taxpayer_id == taxpayer_id, c.identity.in_(chunk))
        if lock:
            query = query.order_by(c.id).with_for_update()
        found.update({row[0]: row for row in session.execute(query)})
    return found


def _new_row(
    *,
    recipient: Taxpayer,
    identity: str,
    item: ReportedRecord,
    digest: str,
    batch_id: int,
    seen_at: datetime | None,
    now: datetime,
) -> dict[str, Any]:
    action = (item.portal_action or Action.NO_ACTION).value
    return {
        **content_columns(item.record),
        "taxpayer_id": recipient.id,
        "identity": identity,
        "supplier_name": item.supplier_name,
        "action": action,
        "portal_action": item.portal_action.value if item.portal_action else None,
        "portal_hash": item.portal_hash,
        "portal_seen_at": seen_at,
        "remarks": item.remarks,
        "deemed": False,
        "version": 1,
        "content_hash": digest,
        "batch_id": batch_id,
        "created_at": now,
        "updated_at": now,
    }


def _apply_supplier_edits(
    session: Session,
    recipient: Taxpayer,
    changed: list[tuple[int, ReportedRecord, str]],
    *,
    batch_id: int,
    seen_at: datetime | None,
    now: datetime,
) -> Counter[str]:
    """R5.1: keep the old version in history, take the new content, reset the action.

    The new version is known to the portal only when a portal file brought it (`seen_at`).
    """
    ids = [row_id for row_id, _, _ in changed]
    # Read as they are now, not as a first attempt left them in the session.
    old_rows = {
        row.id: row
        for (row,) in session.execute(
            select(RecordRow)
            .where(RecordRow.id.in_(ids))  # type: ignore[union-attr]
            .execution_options(populate_existing=True)
        )
    }
    history, updates, audit = [], [], []
    outcome: Counter[str] = Counter()
    for row_id, item, digest in changed:
        old = old_rows[row_id]
        action = (item.portal_action or Action.NO_ACTION).value
        history.append(
            {
                "record_id": row_id,
                "version": old.version,
                "content": history_snapshot(old),
                "replaced_at": now,
                "batch_id": batch_id,
            }
        )
        updates.append(
            {
                **content_columns(item.record),
                **guard(row_id, old.version, old.portal_action),
                "supplier_name": item.supplier_name or old.supplier_name,
                "action": action,
                "deemed": False,
                "portal_action": item.portal_action.value
                if item.portal_action
                else old.portal_action,
                "portal_hash": item.portal_hash or old.portal_hash,
                "portal_seen_at": seen_at,
                "remarks": item.remarks,
                "itc_reduction": None,
                "action_by": None,
                "action_at": now if action != old.action else old.action_at,
                "action_channel": Channel.SUPPLIER_EDIT.value
                if action != old.action
                else old.action_channel,
                "last_bulk_id": None,
                "version": old.version + 1,
                "content_hash": digest,
                "batch_id": batch_id,
                "updated_at": now,
            }
        )
        if action != old.action:
            outcome["reset"] += 1
            audit.append(
                {
                    "record_id": row_id,
                    "taxpayer_id": recipient.id,
                    "user_id": None,
                    "at": now,
                    "from_action": old.action,
                    "to_action": action,
                    "channel": Channel.SUPPLIER_EDIT.value,
                    "remarks": None,
                    "bulk_id": None,
                    "record_version": old.version + 1,
                }
            )
        outcome["changed"] += 1
        outcome[f"kind:{item.record.kind.value}"] += 1
        outcome["tax_paise"] += paise(item.record.taxes.total)
    session.execute(insert(RecordHistory.__table__), history)  # type: ignore[attr-defined]
    write_as_read(session, updates)
    record_actions(session, audit)
    return outcome


def _enqueue_digest(
    session: Session,
    recipient: Taxpayer,
    batch: ImportBatch,
    importer: Taxpayer,
    outcome: Counter[str],
    *,
    exclude: int | None,
    now: datetime,
) -> None:
    """One digest per recipient and upload to each of its members (not one per record)."""
    if not (outcome["new"] or outcome["changed"]):
        return
    assert recipient.id is not None
    c = RECORDS.c
    suppliers = session.execute(
        select(c.supplier_gstin, func.max(c.supplier_name), func.count())
        .where(c.taxpayer_id == recipient.id, c.batch_id == batch.id)
        .group_by(c.supplier_gstin)
        .order_by(func.count().desc(), c.supplier_gstin)
    ).all()
    payload = {
        "batch_id": batch.id,
        "recipient_gstin": recipient.gstin,
        "recipient_name": recipient.legal_name,
        "uploaded_by_gstin": importer.gstin,
        "uploaded_by_name": importer.legal_name,
        "file_format": batch.format,
        # A large upload is told by supplier: the five biggest and how many more.
        "suppliers": len(suppliers),
        "by_supplier": [[gstin, name, count] for gstin, name, count in suppliers[:5]],
        "new": outcome["new"],
        "changed": outcome["changed"],
        "reset": outcome["reset"],
        "by_kind": {
            k.removeprefix("kind:"): n for k, n in outcome.items() if k.startswith("kind:")
        },
        "tax_paise": outcome["tax_paise"],
    }
    messages = [
        (chat, "digest", payload, f"digest:{batch.id}:{recipient.id}:{chat}")
        for chat in member_chats(
            session, taxpayer_id=recipient.id, kind="digest", exclude=exclude, groups=True
        )
    ]
    enqueue(session, messages=messages, now=now)


def _result_of(batch: ImportBatch, *, duplicate: bool = False) -> ImportResult:
    assert batch.id is not None
    return ImportResult(
        batch_id=batch.id,
        format=batch.format,
        new=batch.new,
        changed=batch.changed,
        unchanged=batch.unchanged,
        refused=batch.refused,
        skipped=batch.skipped,
        problems=[RowProblem(**problem) for problem in batch.problems],
        duplicate=duplicate,
    )
