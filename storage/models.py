"""The tables of the store, in one readable module (SQLModel).

Money is kept in integer paise (exact on SQLite and PostgreSQL alike); return periods as an
integer YYYYMM so they sort and range-filter; times as UTC. Records carry a version for
optimistic concurrency; the action log and the event log are append-only (storage.audit writes
them; triggers refuse UPDATE and DELETE).
"""

from __future__ import annotations

from datetime import date, datetime, time
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, ForeignKey, Index, Table, UniqueConstraint
from sqlmodel import Field, SQLModel


class Role(StrEnum):
    """What a member may do for a GSTIN: owners manage, approvers act, viewers look."""

    OWNER = "owner"
    APPROVER = "approver"
    VIEWER = "viewer"


class Channel(StrEnum):
    """How an action reached the store (audit trail)."""

    BOT = "bot"
    BULK = "bulk"
    CLI = "cli"
    DEEMED = "deemed"
    SUPPLIER_EDIT = "supplier_edit"
    SUGGESTION = "suggestion"
    UNDO = "undo"
    PORTAL = "portal"  # an action taken on the portal itself, seen in a fresh IMS download


class EventKind(StrEnum):
    """What an event-log row records (a record's actions go to the action log)."""

    TAXPAYER_REGISTERED = "taxpayer_registered"
    MEMBER_ADDED = "member_added"
    MEMBER_ROLE_CHANGED = "member_role_changed"
    MEMBER_REMOVED = "member_removed"
    INVITE_CREATED = "invite_created"
    INVITE_USED = "invite_used"
    GROUP_BOUND = "group_bound"
    SETTINGS_CHANGED = "settings_changed"
    GSTR3B_FILED = "gstr3b_filed"


class Taxpayer(SQLModel, table=True):
    """A GSTIN registered in this deployment (as recipient, supplier or both)."""

    id: int | None = Field(default=None, primary_key=True)
    gstin: str = Field(unique=True, max_length=15)
    legal_name: str
    trade_name: str | None = None
    frequency: str = "monthly"  # ims_domain.periods.FilingFrequency
    state_group: str | None = None  # "A" or "B" for QRMP (R6.4)
    created_at: datetime


class User(SQLModel, table=True):
    """A Telegram user; the id is Telegram's."""

    __tablename__ = "app_user"  # "user" is reserved in PostgreSQL

    id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    name: str
    language: str = "en"
    # The GSTIN this user is working on in the bot (/gstin picks it).
    active_taxpayer_id: int | None = Field(default=None, foreign_key="taxpayer.id")
    # Set when Telegram says the user blocked the bot; nothing more is sent until they return.
    blocked_at: datetime | None = None
    # Since when the user gets the daily digest of new records (None: off, the default).
    daily_digest_since: datetime | None = None
    created_at: datetime


class Membership(SQLModel, table=True):
    """A user's role for one GSTIN."""

    __table_args__ = (UniqueConstraint("user_id", "taxpayer_id"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(
        sa_column=Column(BigInteger, ForeignKey("app_user.id"), nullable=False, index=True)
    )
    taxpayer_id: int = Field(foreign_key="taxpayer.id", index=True)
    role: str  # Role
    created_at: datetime


class Mute(SQLModel, table=True):
    """A kind of message (an outbox kind) a user does not want (/settings)."""

    __table_args__ = (UniqueConstraint("user_id", "kind"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(sa_column=Column(BigInteger, nullable=False, index=True))
    kind: str


class GroupBinding(SQLModel, table=True):
    """A Telegram group bound to a GSTIN: it gets the GSTIN's digests (and reminders)."""

    __table_args__ = (UniqueConstraint("chat_id", "taxpayer_id"),)

    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = Field(sa_column=Column(BigInteger, nullable=False, index=True))
    taxpayer_id: int = Field(foreign_key="taxpayer.id")
    bound_by: int = Field(sa_column=Column(BigInteger, nullable=False))
    created_at: datetime


class Invite(SQLModel, table=True):
    """A one-use code that makes its holder a member with a role, until it expires."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, max_length=32)
    taxpayer_id: int = Field(foreign_key="taxpayer.id")
    role: str
    created_by: int | None = Field(default=None, sa_column=Column(BigInteger))
    expires_at: datetime
    used_by: int | None = Field(default=None, sa_column=Column(BigInteger))
    used_at: datetime | None = None


class ImportBatch(SQLModel, table=True):
    """One imported file: idempotent by its sha256 per recipient."""

    __table_args__ = (UniqueConstraint("taxpayer_id", "sha256"),)

    id: int | None = Field(default=None, primary_key=True)
    taxpayer_id: int = Field(foreign_key="taxpayer.id")
    sha256: str = Field(max_length=64)
    format: str
    filename: str | None = None
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    refused: int = 0
    skipped: int = 0
    problems: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON))
    created_by: int | None = Field(default=None, sa_column=Column(BigInteger))
    created_at: datetime


class RecordRow(SQLModel, table=True):
    """One IMS record of a recipient GSTIN, as the supplier last reported it, with its state."""

    __tablename__ = "record"
    __table_args__ = (
        UniqueConstraint("taxpayer_id", "identity"),
        # Inbox pages: filtered by status or supplier, newest document first, keyset on id.
        Index("ix_record_inbox_status", "taxpayer_id", "action", "document_date", "id"),
        Index("ix_record_inbox_supplier", "taxpayer_id", "supplier_gstin", "document_date", "id"),
        Index("ix_record_inbox_all", "taxpayer_id", "document_date", "id"),
        Index("ix_record_period", "taxpayer_id", "counts_in_period", "action"),
    )

    id: int | None = Field(default=None, primary_key=True)
    taxpayer_id: int = Field(foreign_key="taxpayer.id")  # the recipient
    identity: str  # ims_domain RecordKey.text
    supplier_gstin: str = Field(max_length=20)  # a port code for an overseas bill of entry
    supplier_name: str | None = None
    kind: str  # ims_domain RecordKind value: b2b, b2bcn, impg …
    number: str
    document_date: date
    financial_year: str
    value_paise: int = Field(sa_column=Column(BigInteger, nullable=False))
    taxable_paise: int = Field(sa_column=Column(BigInteger, nullable=False))
    igst_paise: int = Field(sa_column=Column(BigInteger, nullable=False))
    cgst_paise: int = Field(sa_column=Column(BigInteger, nullable=False))
    sgst_paise: int = Field(sa_column=Column(BigInteger, nullable=False))
    cess_paise: int = Field(sa_column=Column(BigInteger, nullable=False))
    two_b_period: int | None = None  # YYYYMM; None while the supplier has not filed (R1.9)
    # Where the record counts: its own 2B period, or a later open one after a late action (E1).
    counts_in_period: int | None = None
    source_form: str = "R1"
    filing_status: str = "filed"
    original_number: str | None = None
    original_date: date | None = None
    pending_blocked: bool | None = None
    reverse_charge: bool = False
    itc_unavailable: bool = False
    place_of_supply: str | None = Field(default=None, max_length=2)
    invoice_type: str | None = None
    supplier_period: int | None = None  # the supplier's return period, YYYYMM (`rtnprd`)
    action: str = Field(default="N", max_length=1)  # N A R P
    deemed: bool = False
    action_by: int | None = Field(default=None, sa_column=Column(BigInteger))
    action_at: datetime | None = None
    action_channel: str | None = None
    remarks: str | None = None
    itc_reduction: str | None = None  # full, none, partial (R4.2)
    decl_igst_paise: int | None = Field(default=None, sa_column=Column(BigInteger))
    decl_cgst_paise: int | None = Field(default=None, sa_column=Column(BigInteger))
    decl_sgst_paise: int | None = Field(default=None, sa_column=Column(BigInteger))
    decl_cess_paise: int | None = Field(default=None, sa_column=Column(BigInteger))
    portal_action: str | None = Field(default=None, max_length=1)  # last known on the portal
    portal_hash: str | None = Field(default=None, max_length=128)  # the portal's `hash`, if any
    # When an IMS download or a GSTR-2B first showed this record; None while it is known only
    # from a supplier's own return (its upload is `batch_id`): not yet seen on the portal.
    portal_seen_at: datetime | None = None
    # A bulk action (or deemed acceptance) sets these so it can be undone; any later change
    # clears last_bulk_id, which is how undo knows a record changed since.
    last_bulk_id: int | None = Field(default=None, index=True)
    previous_action: str | None = Field(default=None, max_length=1)
    previous_deemed: bool | None = None
    previous_remarks: str | None = None
    previous_itc_reduction: str | None = None
    previous_action_by: int | None = Field(default=None, sa_column=Column(BigInteger))
    previous_action_at: datetime | None = None
    previous_action_channel: str | None = None
    version: int = 1
    content_hash: str = Field(max_length=64)
    batch_id: int | None = Field(default=None, foreign_key="importbatch.id")
    created_at: datetime
    updated_at: datetime


class SupplierViewRow(SQLModel, table=True):
    """A recipient's last known action on one of a supplier's own records (supplier view, R4.6)."""

    __tablename__ = "supplier_view"

    __table_args__ = (UniqueConstraint("taxpayer_id", "identity"),)

    id: int | None = Field(default=None, primary_key=True)
    taxpayer_id: int = Field(foreign_key="taxpayer.id")  # the supplier
    identity: str  # recipient|section|number|FY
    recipient_gstin: str = Field(max_length=15)
    section: str
    number: str
    document_date: date
    action: str = Field(max_length=1)
    remarks: str | None = None
    batch_id: int | None = Field(default=None, foreign_key="importbatch.id")
    updated_at: datetime


class RegisterEntry(SQLModel, table=True):
    """A document of the recipient's own purchase register, kept apart from IMS records."""

    __tablename__ = "register_entry"

    __table_args__ = (UniqueConstraint("taxpayer_id", "identity"),)

    id: int | None = Field(default=None, primary_key=True)
    taxpayer_id: int = Field(foreign_key="taxpayer.id")  # the recipient
    identity: str  # same identity key as a record, so books and IMS can be matched
    supplier_gstin: str = Field(max_length=20)
    supplier_name: str | None = None
    kind: str
    number: str
    document_date: date
    value_paise: int = Field(sa_column=Column(BigInteger, nullable=False))
    taxable_paise: int = Field(sa_column=Column(BigInteger, nullable=False))
    igst_paise: int = Field(sa_column=Column(BigInteger, nullable=False))
    cgst_paise: int = Field(sa_column=Column(BigInteger, nullable=False))
    sgst_paise: int = Field(sa_column=Column(BigInteger, nullable=False))
    cess_paise: int = Field(sa_column=Column(BigInteger, nullable=False))
    content_hash: str = Field(max_length=64)
    batch_id: int | None = Field(default=None, foreign_key="importbatch.id")
    updated_at: datetime


class RecordHistory(SQLModel, table=True):
    """An earlier version of a record, kept when the supplier changed it (R5.1)."""

    id: int | None = Field(default=None, primary_key=True)
    record_id: int = Field(foreign_key="record.id", index=True)
    version: int
    content: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    replaced_at: datetime
    batch_id: int | None = Field(default=None, foreign_key="importbatch.id")


class ActionLog(SQLModel, table=True):
    """Append-only audit of every change of action: who, when, from, to, how, why."""

    id: int | None = Field(default=None, primary_key=True)
    record_id: int = Field(foreign_key="record.id", index=True)
    taxpayer_id: int = Field(foreign_key="taxpayer.id", index=True)
    user_id: int | None = Field(default=None, sa_column=Column(BigInteger))
    at: datetime
    from_action: str = Field(max_length=1)
    to_action: str = Field(max_length=1)
    channel: str  # Channel
    remarks: str | None = None
    bulk_id: int | None = Field(default=None, index=True)
    record_version: int


class EventLog(SQLModel, table=True):
    """Append-only audit of what happens to a GSTIN besides actions: who, when, what, how."""

    __tablename__ = "event_log"

    id: int | None = Field(default=None, primary_key=True)
    taxpayer_id: int = Field(foreign_key="taxpayer.id", index=True)
    user_id: int | None = Field(default=None, sa_column=Column(BigInteger))  # None: the system
    at: datetime
    kind: str  # EventKind
    channel: str  # Channel
    details: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))


class BulkAction(SQLModel, table=True):
    """One set-based change of many records: a bulk action (undoable) or a deemed acceptance."""

    id: int | None = Field(default=None, primary_key=True)
    taxpayer_id: int = Field(foreign_key="taxpayer.id")
    user_id: int | None = Field(default=None, sa_column=Column(BigInteger))
    channel: str  # Channel.BULK or Channel.DEEMED
    action: str = Field(max_length=1)
    filters: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    count: int
    at: datetime
    undone_at: datetime | None = None


class BulkPreviewRow(SQLModel, table=True):
    """A bulk action shown to a member and kept for their confirmation, for a short while."""

    __tablename__ = "bulk_preview"

    id: int | None = Field(default=None, primary_key=True)
    taxpayer_id: int = Field(foreign_key="taxpayer.id")
    user_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    action: str = Field(max_length=1)
    filters: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))  # RecordFilter
    remarks: str | None = None
    created_at: datetime = Field(index=True)  # out of date, and cleaned up, after a while
    applied_at: datetime | None = None


class BulkPreviewItem(SQLModel, table=True):
    """A record a kept bulk preview would change, at the version the member was shown."""

    __tablename__ = "bulk_preview_item"

    # No foreign keys: checking them made keeping a preview of 100,000 records on PostgreSQL
    # take 1.9 s instead of 0.28 s. Items live minutes, are deleted before their preview, and
    # records are never deleted.
    preview_id: int = Field(primary_key=True)
    record_id: int = Field(primary_key=True)
    version: int


class Outbox(SQLModel, table=True):
    """A message to send, written in the same transaction as the change that causes it."""

    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    kind: str
    payload: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    dedupe_key: str = Field(unique=True)
    attempts: int = 0
    next_attempt_at: datetime
    sent_at: datetime | None = None
    failed_at: datetime | None = None  # given up (blocked chat, message Telegram refuses)
    last_error: str | None = None
    created_at: datetime


class PeriodState(SQLModel, table=True):
    """Per recipient and 2B period: generated, changed after generation, GSTR-3B filed."""

    __table_args__ = (UniqueConstraint("taxpayer_id", "period"),)

    id: int | None = Field(default=None, primary_key=True)
    taxpayer_id: int = Field(foreign_key="taxpayer.id")
    period: int  # YYYYMM (for QRMP: the quarter's last month)
    gstr2b_generated_at: datetime | None = None
    changed_after_generation: bool = False
    gstr3b_filed_at: datetime | None = None


class DeadlineSettingsRow(SQLModel, table=True):
    """A GSTIN's reminder settings (storage.deadline_settings); no row means the defaults."""

    __tablename__ = "deadline_settings"

    taxpayer_id: int = Field(foreign_key="taxpayer.id", primary_key=True)
    remind_2b_days: list[int] = Field(sa_column=Column(JSON, nullable=False))
    remind_3b_days: int
    reminder_time: time  # IST
    quiet_from: time | None = None  # IST; both None: no quiet hours
    quiet_until: time | None = None
    pending_warn_days: int
    updated_by: int | None = Field(default=None, sa_column=Column(BigInteger))
    updated_at: datetime


class AwaitedInput(SQLModel, table=True):
    """What a person's next text message answers (a remark, amounts), kept in the store so that
    any bot worker, or the bot after a restart, reads it as the prompt meant."""

    __tablename__ = "awaited_input"

    user_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    kind: str
    payload: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    created_at: datetime


class DueReminder(SQLModel, table=True):
    """Scheduled work (a reminder, a deemed acceptance) with a dedupe key: done exactly once."""

    id: int | None = Field(default=None, primary_key=True)
    taxpayer_id: int = Field(foreign_key="taxpayer.id")
    kind: str
    due_at: datetime
    dedupe_key: str = Field(unique=True)
    done_at: datetime | None = None


class DeploymentValue(SQLModel, table=True):
    """A value made once per deployment and shared by every worker (storage.deployment)."""

    __tablename__ = "deployment_value"

    key: str = Field(primary_key=True, max_length=64)
    value: str
    created_at: datetime


def records_table() -> Table:
    """The Core table of records, for set-based statements (no ORM objects per row)."""
    table: Table = RecordRow.__table__  # type: ignore[attr-defined]
    return table
