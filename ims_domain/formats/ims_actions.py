"""The IMS action upload: the SAVE / RESET request body (gst-formats.md §4.2; R8.6, R8.8, OQ5).

Each record echoes the identifying and amount fields of the download, adds `prev_status` (the
portal's current action) and, in a SAVE, the new `action`. Records going back to "No action"
carry no `action` and go into separate RESET files. Files are split so that each stays within
the configured record count and byte size (OQ5).

Decisions where the sources are silent:

- Only records whose intended action differs from the portal's are sent (R8.8); a changed ITC
  declaration on a record already accepted on the portal is therefore not sent.
- Never `P` on a record with `ispendactblocked` = Y (R8.8) and never `R` on a Bill of Entry
  (R1.5): such items are skipped and reported, the rest of the upload goes on.
- `itcRedReq` / `decl*` only on an Accept of a specified record of 2B period Oct-2025 or later
  (or not yet known): no declaration means full (the portal's default "Yes"); a partial
  declaration of all zeros is sent as nil (`N`). A partial or nil declaration that cannot be
  sent (record not specified, or 2B period before Oct-2025) skips the record: sending a bare
  Accept would reduce the full tax, which is not what was asked.
- A partial declaration that is negative, above the record's tax for a head, or with CGST not
  equal to SGST skips the record (R8.6); the rules engine normalises before this point.
- Remarks go only with Reject or Pending, or with a partial or nil Accept of a specified record,
  from 2B period Oct-2025, and not when the portal blocks them. Remarks that cannot be sent are
  left out with a note. Remarks longer than `remarks_max_len` (OQ9) skip the record rather than
  being cut: a cut remark could say something else.
- `hash` is not echoed (whether SAVE needs it is open, gst-formats.md §12.6). Bills of Entry echo
  only their BoE fields (`portcd` or `sgstin`, `boenum`, `boedt`, `itcprd`, `txval`, `igst`,
  `cess`); the original BoE keys only when the amendment names another BoE.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ims_domain.actions import ItcReduction, ReductionMode
from ims_domain.errors import ImsDomainError
from ims_domain.formats.common import FormatError, RowError
from ims_domain.formats.fields import amount, flag
from ims_domain.formats.ims_json import ACTIONABLE_SECTIONS, section_keys
from ims_domain.formats.ims_writer import record_fields
from ims_domain.formats.jsonio import encode_json, load_json
from ims_domain.money import ZERO, TaxAmounts
from ims_domain.periods import NEW_PENDING_RULES_FROM
from ims_domain.records import Action, Record, RecordKind, ReportedRecord

SAVE = "SAVE"
RESET = "RESET"
DEFAULT_MAX_RECORDS = 500  # OQ5 `api.save_max_records`
DEFAULT_MAX_BYTES = 3_500_000  # OQ5 `api.save_max_bytes` (the portal's limit is 4 MB)
DEFAULT_REMARKS_MAX_LEN = 200  # OQ9 `ims.remarks_max_len`

_IMPORT_ECHO = ("portcd", "sgstin", "boenum", "boedt", "itcprd", "txval", "igst", "cess")
_DECLARED_KEYS = {"igst": "declIgst", "cgst": "declCgst", "sgst": "declSgst", "cess": "declCess"}


class ActionUploadError(ImsDomainError):
    """The upload settings cannot produce any file (e.g. a zero record limit)."""


@dataclass(frozen=True)
class ActionUpload:
    """One record with the action the user wants on the portal.

    `action` NO_ACTION means reset. `portal_action` is the portal's current state (`prev_status`);
    pass NO_ACTION when the download did not say (see `of`). `specified` comes from the rules
    (R3.2); `itc_reduction` is the declaration for an Accept of a specified record (R4.2).
    """

    record: Record
    action: Action
    portal_action: Action
    itc_reduction: ItcReduction | None = None
    specified: bool = False
    remarks: str | None = None
    remarks_blocked: bool = False

    @classmethod
    def of(
        cls,
        reported: ReportedRecord,
        action: Action,
        *,
        itc_reduction: ItcReduction | None = None,
        specified: bool = False,
        remarks: str | None = None,
        remarks_blocked: bool = False,
    ) -> ActionUpload:
        """From a downloaded record: an unknown portal action counts as No action (N)."""
        return cls(
            record=reported.record,
            action=action,
            portal_action=reported.portal_action or Action.NO_ACTION,
            itc_reduction=itc_reduction,
            specified=specified,
            remarks=remarks,
            remarks_blocked=remarks_blocked,
        )


@dataclass(frozen=True)
class ActionUploadResult:
    """The files to upload (SAVE files first, then RESET), the items left out and why, and notes
    on items sent without something that was asked (e.g. a remark the portal blocks)."""

    files: list[bytes]
    skipped: list[tuple[Record, str]] = field(default_factory=list)
    notes: list[tuple[Record, str]] = field(default_factory=list)


@dataclass(frozen=True)
class UploadedAction:
    """One record of an action upload as read back by `parse_action_upload`."""

    request_type: str
    section: str
    supplier: str
    number: str
    # None in a RESET (back to No action).
    action: Action | None
    prev_status: Action
    itc_reduction_requested: bool | None = None
    declared: TaxAmounts | None = None
    remarks: str | None = None


def build_action_upload(
    uploads: Iterable[ActionUpload],
    *,
    recipient_gstin: str,
    max_records: int = DEFAULT_MAX_RECORDS,
    max_bytes: int = DEFAULT_MAX_BYTES,
    remarks_max_len: int = DEFAULT_REMARKS_MAX_LEN,
) -> ActionUploadResult:
    """The SAVE and RESET files for `uploads`, each within `max_records` and `max_bytes`."""
    recipient = recipient_gstin.strip().upper()
    if max_records < 1:
        raise ActionUploadError(f"max_records must be at least 1, not {max_records}")
    smallest = len(_head(recipient, RESET)) + len(b"}}")
    if max_bytes <= smallest:
        raise ActionUploadError(f"max_bytes must be above {smallest}, not {max_bytes}")

    skipped: list[tuple[Record, str]] = []
    notes: list[tuple[Record, str]] = []
    rows: dict[str, list[tuple[str, bytes, Record]]] = {SAVE: [], RESET: []}
    seen: set[str] = set()
    for upload in uploads:
        record = upload.record
        if upload.action is upload.portal_action:
            continue  # R8.8: send only what differs from the portal
        if record.key.recipient != recipient:
            skipped.append((record, f"it belongs to recipient {record.key.recipient}"))
            continue
        identity = f"{record.key.text}|{record.original}"
        if identity in seen:
            skipped.append((record, "it is listed twice in this upload"))
            continue
        seen.add(identity)
        row, problem = _upload_row(upload, remarks_max_len, notes)
        if row is None:
            skipped.append((record, problem))
            continue
        request = RESET if upload.action is Action.NO_ACTION else SAVE
        rows[request].append((record.kind.value, encode_json(row), record))

    files: list[bytes] = []
    for request in (SAVE, RESET):
        files.extend(
            _pack(
                rows[request],
                recipient=recipient,
                request=request,
                max_records=max_records,
                max_bytes=max_bytes,
                skipped=skipped,
            )
        )
    return ActionUploadResult(files=files, skipped=skipped, notes=notes)


def _upload_row(
    upload: ActionUpload, remarks_max_len: int, notes: list[tuple[Record, str]]
) -> tuple[dict[str, Any] | None, str]:
    record = upload.record
    action = upload.action
    if action is Action.PENDING and record.pending_blocked:
        return None, "the portal does not allow Pending for it (ispendactblocked = Y, R8.8)"
    if action is Action.REJECT and record.kind.is_import:
        return None, "a bill of entry can only be accepted or kept pending (R1.5)"

    row = echo_fields(record)
    row["prev_status"] = upload.portal_action.value
    if action is not Action.NO_ACTION:
        row["action"] = action.value

    new_rules = record.two_b_period is None or record.two_b_period >= NEW_PENDING_RULES_FROM
    mode: ReductionMode | None = None
    if action is Action.ACCEPT:
        wanted = upload.itc_reduction
        if upload.specified and new_rules:
            declaration, problem = _declaration(record, wanted or ItcReduction.full(), notes)
            if declaration is None:
                return None, problem
            row.update(declaration)
            mode = ReductionMode.FULL if declaration["itcRedReq"] == "Y" else ReductionMode.NONE
            if any(key in declaration for key in _DECLARED_KEYS.values()):
                mode = ReductionMode.PARTIAL
        elif wanted is not None and wanted.mode is not ReductionMode.FULL:
            why = (
                "its GSTR-2B period is before Oct-2025"
                if upload.specified
                else "it is not a specified record"
            )
            return None, f"a {wanted.mode.value} ITC reduction cannot be declared: {why} (R4.2)"

    remarks = (upload.remarks or "").strip()
    if remarks:
        reason = _remarks_refusal(upload, new_rules, mode)
        if reason is not None:
            notes.append((record, f"remarks not sent: {reason}"))
        elif len(remarks) > remarks_max_len:
            return None, (
                f"its remarks have {len(remarks)} characters; at most {remarks_max_len} are "
                "allowed (OQ9): shorten them"
            )
        else:
            row["remarks"] = remarks
    return row, ""


def echo_fields(record: Record) -> dict[str, Any]:
    """The identifying and amount fields a SAVE/RESET record repeats from the download (R8.6)."""
    fields = record_fields(record)
    if not record.kind.is_import:
        return fields
    echo = {key: fields[key] for key in _IMPORT_ECHO if key in fields}
    original = record.original
    if original is not None and (
        original.number.strip().upper() != record.number
        or original.document_date != record.document_date
    ):
        keys = section_keys(record.kind)
        echo[keys.original_number[0]] = fields[keys.original_number[0]]
        echo[keys.original_date[0]] = fields[keys.original_date[0]]
    return echo


def _declaration(
    record: Record, reduction: ItcReduction, notes: list[tuple[Record, str]]
) -> tuple[dict[str, Any] | None, str]:
    """`itcRedReq` and `decl*` for an accepted specified record (R4.2, R8.6)."""
    if reduction.mode is ReductionMode.FULL:
        return {"itcRedReq": "Y"}, ""
    if reduction.mode is ReductionMode.NONE:
        return {"itcRedReq": "N"}, ""
    declared = reduction.declared
    if declared.any_negative():
        return None, "a declared ITC reduction is negative (R8.6)"
    if declared.cgst != declared.sgst:
        return None, "declared CGST and SGST differ; they must be equal (R8.6)"
    limits = record.taxes.as_dict()
    for head, value in declared.as_dict().items():
        if value > limits[head]:
            return None, (
                f"the declared {head.upper()} {value} is above the record's {limits[head]} (R8.6)"
            )
    if declared.is_zero():
        notes.append((record, "a partial reduction of zero is sent as no reduction (itcRedReq N)"))
        return {"itcRedReq": "N"}, ""
    result: dict[str, Any] = {"itcRedReq": "Y"}
    for head, value in declared.as_dict().items():
        result[_DECLARED_KEYS[head]] = value
    return result, ""


def _remarks_refusal(
    upload: ActionUpload, new_rules: bool, mode: ReductionMode | None
) -> str | None:
    """Why remarks may not go with this record (R4.2, R4.3, R8.6), or None when they may."""
    if upload.remarks_blocked:
        return "the portal blocks remarks on this record"
    if not new_rules:
        return "remarks exist only from GSTR-2B period Oct-2025 (R4.3)"
    if upload.action in (Action.REJECT, Action.PENDING):
        return None
    if upload.action is Action.ACCEPT and mode in (ReductionMode.PARTIAL, ReductionMode.NONE):
        return None
    return "remarks go only with Reject, Pending or a partial or nil ITC reduction (R4.2, R4.3)"


def _head(recipient: str, request: str) -> bytes:
    return (
        b'{"rtin":' + encode_json(recipient) + b',"reqtyp":"' + request.encode() + b'","invdata":{'
    )


def _pack(
    rows: list[tuple[str, bytes, Record]],
    *,
    recipient: str,
    request: str,
    max_records: int,
    max_bytes: int,
    skipped: list[tuple[Record, str]],
) -> list[bytes]:
    """Split rows into files of at most `max_records` records and `max_bytes` bytes each."""
    order = {section: position for position, section in enumerate(ACTIONABLE_SECTIONS)}
    rows = sorted(rows, key=lambda item: order[item[0]])
    head, tail = _head(recipient, request), b"}}"
    empty = len(head) + len(tail)
    chunks: list[list[tuple[str, bytes]]] = []
    current: list[tuple[str, bytes]] = []
    size = empty

    def cost(section: str, data: bytes, chunk: list[tuple[str, bytes]]) -> int:
        if chunk and chunk[-1][0] == section:
            return 1 + len(data)  # ",{...}"
        opening = len(encode_json(section)) + len(b":[]")
        return opening + len(data) + (1 if chunk else 0)

    for section, data, record in rows:
        if empty + cost(section, data, []) > max_bytes:
            skipped.append((record, f"alone it is larger than the {max_bytes}-byte limit (OQ5)"))
            continue
        if current and (
            len(current) >= max_records or size + cost(section, data, current) > max_bytes
        ):
            chunks.append(current)
            current, size = [], empty
        size += cost(section, data, current)
        current.append((section, data))
    if current:
        chunks.append(current)
    return [_assemble(head, tail, chunk) for chunk in chunks]


def _assemble(head: bytes, tail: bytes, chunk: list[tuple[str, bytes]]) -> bytes:
    groups: list[tuple[str, list[bytes]]] = []
    for section, data in chunk:
        if groups and groups[-1][0] == section:
            groups[-1][1].append(data)
        else:
            groups.append((section, [data]))
    body = b",".join(
        encode_json(section) + b":[" + b",".join(items) + b"]" for section, items in groups
    )
    return head + body + tail


# ---------------------------------------------------------------------------------------------
# Reading back


def parse_action_upload(data: bytes) -> list[UploadedAction]:
    """The records of a SAVE or RESET file, to check what an upload would do."""
    document = load_json(data)
    if not isinstance(document, Mapping):
        raise FormatError("an IMS action upload is a JSON object with rtin, reqtyp and invdata")
    request = str(document.get("reqtyp", "")).strip().upper()
    if request not in (SAVE, RESET):
        raise FormatError(f"reqtyp is {document.get('reqtyp')!r}, expected SAVE or RESET")
    invdata = document.get("invdata")
    if not isinstance(invdata, Mapping):
        raise FormatError("invdata is missing or not an object")
    result: list[UploadedAction] = []
    for section, rows in invdata.items():
        if section not in ACTIONABLE_SECTIONS:
            raise FormatError(f"invdata has {section!r}, which is not an IMS section")
        if not isinstance(rows, list):
            raise FormatError(f"invdata {section} is not a list")
        for index, row in enumerate(rows):
            try:
                result.append(_uploaded(request, RecordKind(section), row))
            except (RowError, ImsDomainError, ArithmeticError, TypeError) as exc:
                raise FormatError(f"{section}[{index}]: {exc}") from None
    return result


def _uploaded(request: str, kind: RecordKind, row: Any) -> UploadedAction:
    if not isinstance(row, Mapping):
        raise RowError("(row)", "is not an object")
    supplier_keys: tuple[str, ...] = ("portcd",) if kind.is_import else ("stin",)
    if kind.original_kind is RecordKind.SEZ_BILL_OF_ENTRY:
        supplier_keys = ("sgstin", "stin", "ctin", "portcd")
    supplier = next((str(row[k]) for k in supplier_keys if row.get(k)), None)
    if supplier is None:
        raise RowError(supplier_keys[0], "is missing")
    number_key = section_keys(kind).number
    number = row.get(number_key)
    if not isinstance(number, str | int) or isinstance(number, bool) or not str(number).strip():
        raise RowError(number_key, "is missing")
    prev = row.get("prev_status")
    if prev not in {action.value for action in Action}:
        raise RowError("prev_status", f"{prev!r} is not A, R, P or N")
    raw_action = row.get("action")
    action = None
    if raw_action is not None:
        if raw_action not in {a.value for a in Action}:
            raise RowError("action", f"{raw_action!r} is not A, R, P or N")
        action = Action(raw_action)
    declared = None
    if any(key in row for key in _DECLARED_KEYS.values()):
        declared = TaxAmounts(
            **{
                head: amount(row.get(key), key, default=ZERO)
                for head, key in _DECLARED_KEYS.items()
            }
        )
    remarks = row.get("remarks")
    return UploadedAction(
        request_type=request,
        section=kind.value,
        supplier=supplier,
        number=str(number).strip(),
        action=action,
        prev_status=Action(prev),
        itc_reduction_requested=flag(row.get("itcRedReq")),
        declared=declared,
        remarks=remarks if isinstance(remarks, str) else None,
    )
