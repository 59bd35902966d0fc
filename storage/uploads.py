"""Importing a file as sent: check the sender, read it, and hand it to the right import.

Every file crosses a tenant boundary, so whose records it may change is decided here: portal
files (IMS download, GSTR-2B), the supplier view and the purchase register change only the
GSTIN they are sent for; a supplier's own return (GSTR-1, IFF, GSTR-1A) reaches its buyers'
inboxes, so it is imported only for its filer, by the filer's own team.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session, select

from ims_domain.formats.common import MAX_FILE_BYTES, FileFormat, ParsedFile
from ims_domain.records import RecordKind, ReportedRecord, RowProblem
from ims_domain.text_limits import FILE_NAME_MAX, fitted
from storage.access import ACTING_ROLES, Actor, taxpayer_for
from storage.books import import_register, import_supplier_view
from storage.errors import AccessDenied, InvalidInput, NotFound
from storage.files import read_upload
from storage.imports import ImportResult, import_records
from storage.models import Membership, Role

# What an e-commerce operator reports for others (GSTR-1 Table 15): the only records of a
# return whose supplier is not the filer.
ECO_KINDS = frozenset({RecordKind.ECO_DOCUMENT, RecordKind.ECO_DOCUMENT_AMENDMENT})


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

    Raises FormatError, before anything is written, for a file that cannot be read at all, and
    a UseCaseError when the sender may not change what the file would change.
    """
    require_uploader(session, actor=actor)  # before reading a byte
    parsed = read_upload(data, gstin=gstin, max_bytes=max_bytes)
    owner = _owner_of(session, actor=actor, gstin=gstin, parsed=parsed)
    sha256 = hashlib.sha256(data).hexdigest()
    filename = (fitted(filename, FILE_NAME_MAX) or None) if filename else None
    result: ImportResult
    if parsed.format is FileFormat.PURCHASE_REGISTER:
        result = import_register(
            session,
            actor=actor,
            gstin=owner,
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
            gstin=owner,
            entries=parsed.supplier_actions,
            problems=parsed.problems,
            sha256=sha256,
            filename=filename,
            now=now,
        )
    else:
        records, problems = _filers_own(parsed)
        result = import_records(
            session,
            actor=actor,
            gstin=owner,
            records=records,
            problems=problems,
            sha256=sha256,
            file_format=parsed.format.value,
            filename=filename,
            now=now,
        )
    return dataclasses.replace(result, notes=parsed.notes)


def require_uploader(session: Session, *, actor: Actor) -> None:
    """A person may send files only as an owner or approver of some GSTIN here."""
    if actor.user_id is None:
        return
    roles = session.exec(select(Membership.role).where(Membership.user_id == actor.user_id)).all()
    if not roles:
        raise NotFound(
            "You are not a member of any GSTIN here, so I cannot import files for you. Ask the "
            "owner of your GSTIN for an invite link."
        )
    if not any(Role(role) in ACTING_ROLES for role in roles):
        raise AccessDenied("Viewers cannot import files. Ask an owner for the approver role.")


def _owner_of(session: Session, *, actor: Actor, gstin: str, parsed: ParsedFile) -> str:
    """The GSTIN whose team may import this file: its filer for a supplier's return."""
    if parsed.format is not FileFormat.GSTR1 or parsed.gstin is None:
        taxpayer_for(session, actor=actor, gstin=gstin, roles=ACTING_ROLES)
        return gstin
    filer = parsed.gstin
    if actor.user_id is None:
        if filer != gstin.strip().upper():
            raise InvalidInput(
                f"This GSTR-1 was filed by {filer}, not {gstin.strip().upper()}: a supplier's "
                f"return is imported for its filer (--gstin {filer})."
            )
        return filer
    try:
        taxpayer_for(session, actor=actor, gstin=filer, roles=ACTING_ROLES)
    except NotFound:
        raise AccessDenied(
            f"This GSTR-1 was filed by {filer}. Only an owner or approver of {filer} can import "
            "it here; a buyer gets the same documents from its IMS download."
        ) from None
    return filer


def _filers_own(parsed: ParsedFile) -> tuple[Sequence[ReportedRecord], list[RowProblem]]:
    """A return's records whose supplier is its filer (or Table 15's); the others refused."""
    problems = list(parsed.problems)
    if parsed.format is not FileFormat.GSTR1 or parsed.gstin is None:
        return parsed.records, problems
    foreign = foreign_records(parsed.records, filer=parsed.gstin)
    if not foreign:
        return parsed.records, problems
    problems += [
        RowProblem(
            reported.record.kind.value,
            None,
            "supplier",
            f"{reported.record.number} names {reported.record.key.supplier} as supplier; a "
            f"return filed by {parsed.gstin} may report only its own documents",
        )
        for reported in foreign
    ]
    excluded = {id(reported) for reported in foreign}
    return [r for r in parsed.records if id(r) not in excluded], problems


def foreign_records(records: Sequence[ReportedRecord], *, filer: str) -> list[ReportedRecord]:
    """Records a return filed by `filer` may not report: another supplier's, outside Table 15."""
    return [
        reported
        for reported in records
        if reported.record.key.supplier != filer and reported.record.kind not in ECO_KINDS
    ]
