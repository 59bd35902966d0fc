"""Which GST file is this? Told from the content, never from the file name."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from ims_domain.formats.common import FORMAT_NAMES, FormatError, ParsedFile
from ims_domain.formats.gstr1 import looks_like_gstr1, looks_like_gstr2a, parse_gstr1
from ims_domain.formats.gstr2b import looks_like_gstr2b, parse_gstr2b
from ims_domain.formats.ims_json import looks_like_ims, parse_ims_document, stream_ims
from ims_domain.formats.jsonio import NotStreamable, load_json
from ims_domain.formats.supplier_view import looks_like_supplier_view, parse_supplier_view

# Signatures of files people send by mistake, so the answer can name what they sent.
_NOT_GST_FILES = {
    b"%PDF": "a PDF",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG photo",
    b"GIF8": "a GIF image",
    b"Rar!": "a RAR archive",
    b"\x1f\x8b": "a gzip archive",
}


def formats_we_read() -> str:
    """The list of files we read, for messages about a file we do not."""
    return "; ".join(FORMAT_NAMES.values())


def not_a_gst_file(data: bytes) -> str | None:
    """What a non-GST file is (a PDF, a photo …) when its signature says so."""
    for signature, name in _NOT_GST_FILES.items():
        if data.startswith(signature):
            return name
    return None


def looks_like_json(data: bytes) -> bool:
    """True when the first character that is not space or a BOM opens a JSON object or list, or
    when the whole file is one JSON text, number, true, false or null (never a register)."""
    head = data[:64].lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if head in (b"{", b"["):
        return True
    if not head or head not in b'"-0123456789tfn':
        return False
    try:
        json.loads(data.decode("utf-8-sig"))
    except (ValueError, RecursionError):  # not UTF-8, or not JSON: a CSV that starts alike
        return False
    return True


def not_ours(document: Any) -> FormatError:
    """The refusal of a JSON that is none of our formats, saying what it is."""
    if isinstance(document, Mapping):
        what = "an object" if document else "an empty object"
    elif isinstance(document, list):
        what = "a list" if document else "an empty list"
    elif isinstance(document, str):
        what = "a text"
    elif document is None or isinstance(document, bool):
        what = json.dumps(document)
    else:
        what = "a number"
    return FormatError(f"this JSON is {what}, not a file we read. We read: {formats_we_read()}")


def parse_json_file(data: bytes, *, gstin: str) -> ParsedFile:
    """Read any of our JSON formats, recognised by their shape.

    The file is first walked as an IMS download, the large one, row by row (ims_json.stream_ims):
    its outline tells the format, and the other formats' parsers load their files themselves.
    """
    try:
        document, streamed = stream_ims(data, gstin=gstin)
    except NotStreamable:  # not an object, broken, or GSTR-1-style lists: loaded whole
        document, streamed = load_json(data), None
    parse = _parser_of(document)
    if parse is not None:
        return parse(data, gstin=gstin)
    if looks_like_gstr2a(document):
        raise FormatError(
            "this is a GSTR-2A, which changes as suppliers file; send the GSTR-2B of the period "
            "or the IMS download instead"
        )
    if streamed is not None:
        return streamed
    if looks_like_ims(document):
        # The document was loaded for this call alone: its rows are dropped as they are read.
        return parse_ims_document(document, gstin=gstin, consume=True)
    raise not_ours(document)


def _parser_of(document: Any) -> Callable[..., ParsedFile] | None:
    """The parser of a JSON that is not an IMS download, told from its document or outline."""
    if looks_like_supplier_view(document):
        return parse_supplier_view
    if looks_like_gstr2b(document):
        return parse_gstr2b
    if looks_like_gstr1(document):
        return parse_gstr1
    return None
