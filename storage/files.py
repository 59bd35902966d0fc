"""Reading a file a person sends (bot or CLI): limits, format detection, parsing."""

from __future__ import annotations

from ims_domain.formats.common import MAX_FILE_BYTES, FormatError, ParsedFile
from ims_domain.formats.detect import (
    formats_we_read,
    looks_like_json,
    not_a_gst_file,
    parse_json_file,
)
from storage.spreadsheets import parse_register_file


def read_upload(data: bytes, *, gstin: str, max_bytes: int = MAX_FILE_BYTES) -> ParsedFile:
    """Parse a JSON, CSV or XLSX file for `gstin`; a file we cannot read raises FormatError."""
    if not data:
        raise FormatError("the file is empty")
    if len(data) > max_bytes:
        raise FormatError(
            f"the file is {len(data) / 1_048_576:.1f} MB; the limit is "
            f"{max_bytes / 1_048_576:.0f} MB"
        )
    kind = not_a_gst_file(data)
    if kind is not None:
        raise FormatError(f"this is {kind}, not a GST file. We read: {formats_we_read()}")
    if looks_like_json(data):
        return parse_json_file(data, gstin=gstin)
    try:
        return parse_register_file(data, gstin=gstin)
    except FormatError as exc:
        raise FormatError(f"{exc}. We read: {formats_we_read()}") from None
