"""Importing a file as sent: check the sender, read it, and hand it to the right import."""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import datetime

from sqlmodel import Session

from ims_domain.formats.common import MAX_FILE_BYTES, FileFormat
from ims_domain.text_limits import FILE_NAME_MAX, fitted
from storage.access import ACTING_ROLES, Actor, taxpayer_for
from storage.books import import_register, import_supplier_view
from storage.files import read_upload
from storage.imports import ImportResult, import_records


def import_file(
    session: Session,
    *,
    actor: Actor,
    gstin: str,
    data: bytes,
    filename: str | None = None,
    max_bytes: int = MAX_FILE_BYTES,
    now: datetime,
) -> ImportResult:
    """Import one file (IMS, GSTR-2B, GSTR-1, supplier view or purchase register) in one go.

    Raises FormatError, before anything is written, for a file that cannot be read at all.
    """
    taxpayer_for(session, actor=actor, gstin=gstin, roles=ACTING_ROLES)  # before reading a byte
    parsed = read_upload(data, gstin=gstin, max_bytes=max_bytes)
    sha256 = hashlib.sha256(data).hexdigest()
    filename = (fitted(filename, FILE_NAME_MAX) or None) if filename else None
    result: ImportResult
    if parsed.format is FileFormat.PURCHASE_REGISTER:
        result = import_register(
            session,
            actor=actor,
            gstin=gstin,
            records=parsed.records,
            problems=parsed.problems,
            sha256=sha256,
            filename=filename,
            now=now,
        )
    elif parsed.format is FileFormat.SUPPLIER_VIEW:
        result = import_supplier_view(
            session,
            actor=actor,
            gstin=gstin,
            entries=parsed.supplier_actions,
            problems=parsed.problems,
            sha256=sha256,
            filename=filename,
            now=now,
        )
    else:
        result = import_records(
            session,
            actor=actor,
            gstin=gstin,
            records=parsed.records,
            problems=parsed.problems,
            sha256=sha256,
            file_format=parsed.format.value,
            filename=filename,
            now=now,
        )
    return dataclasses.replace(result, notes=parsed.notes)
