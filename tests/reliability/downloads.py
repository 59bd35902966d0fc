"""The IMS downloads the kill tests work on, and the stores they start from."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine

from ims_domain.formats.demo import demo_records
from ims_domain.formats.ims_writer import write_ims
from ims_domain.records import Action
from storage.access import Actor
from storage.bulk import apply_bulk
from storage.db import transaction
from storage.filters import RecordFilter
from storage.models import Channel, Role
from storage.rulebook import RuleBook
from storage.taxpayers import create_invite, join_with_invite, register_taxpayer
from storage.uploads import import_file

CLI = Actor.system(Channel.CLI)
OWNER, APPROVER = 5001, 5002


@dataclass(frozen=True)
class Downloads:
    """Two IMS downloads of one recipient, a month apart.

    `first` holds 80 % of the records; `second` all of them, a quarter of the earlier ones
    with a new portal hash (the supplier edited them: new versions, history rows, resets).
    """

    gstin: str
    first: bytes
    second: bytes


@functools.cache
def downloads(records: int) -> Downloads:
    """The two downloads with `records` records in the second (the same every run)."""
    data = demo_records(recipients=1, suppliers=max(10, records // 300), records=records, seed=11)
    gstin = data.recipients[0].gstin
    mine = data.records_for(gstin)
    cut = len(mine) * 4 // 5
    edited = [
        dataclasses.replace(
            reported,
            portal_hash=hashlib.sha256(f"{reported.portal_hash}:edited".encode()).hexdigest(),
        )
        if n % 4 == 0
        else reported
        for n, reported in enumerate(mine[:cut])
    ]
    return Downloads(gstin, write_ims(mine[:cut]), write_ims([*edited, *mine[cut:]]))


def fill_store(engine: Engine, files: Downloads, *, accept_all: bool) -> None:
    """The recipient with an owner and an approver, the first download imported; with
    `accept_all` every record the rules allow accepted in bulk (so edits reset them)."""
    now = datetime.now(UTC)
    with transaction(engine) as session:
        register_taxpayer(
            session, actor=CLI, gstin=files.gstin, name="Kill Test Traders", owner_id=OWNER, now=now
        )
        invite = create_invite(
            session, actor=Actor.user(OWNER), gstin=files.gstin, role=Role.APPROVER, now=now
        )
        join_with_invite(session, user_id=APPROVER, name="Ravi", code=invite.code, now=now)
    with transaction(engine) as session:
        import_file(session, actor=CLI, gstin=files.gstin, data=files.first, now=now)
    if accept_all:
        with transaction(engine) as session:
            apply_bulk(
                session,
                actor=CLI,
                gstin=files.gstin,
                record_filter=RecordFilter(),
                action=Action.ACCEPT,
                rulebook=RuleBook(),
                now=now,
            )
