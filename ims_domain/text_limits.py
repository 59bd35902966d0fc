"""How long each stored text may be, and why; what a text over its cap becomes.

An identifier over its cap (a document number, a hash, a code) refuses its row: cut, it would
name another document. A name over its cap is shortened with an ellipsis and a warning: it is
only shown. A remark is never cut, since it goes to the portal: over its cap it is refused.
"""

from __future__ import annotations

# GSTN's pattern for invoice and note numbers is 1-16 characters (gst-formats.md §6); the portal
# refuses longer ones, so a longer number in a portal file or our register is a broken cell.
DOCUMENT_NUMBER_MAX = 16
# GSTN's legal and trade names are at most 99 characters; 200 leaves room for the spelling of a
# register or a person's own, and still fits many names in one 4,096-character message.
NAME_MAX = 200
# The longest remark stored from a file. The portal's own limit (IMS_REMARKS_MAX_LEN, OQ9,
# default 200) is checked where a remark is made or uploaded; a setting may not exceed this.
REMARKS_MAX = 500
# Short codes the portal writes (srcform R1/IFF/R1A, inv_typ R/SEWP/DE …): never near 20.
CODE_MAX = 20
# The portal's `hash` is 64 hex characters; the column holds 128.
HASH_MAX = 128
# The longest file name common file systems keep (255 bytes on ext4 and NTFS).
FILE_NAME_MAX = 255
ELLIPSIS = "…"
NUL = "\x00"  # PostgreSQL text cannot hold it


def shortened(text: str, cap: int) -> str:
    """`text` itself when it fits in `cap` characters, else its start and an ellipsis."""
    if len(text) <= cap:
        return text
    return text[: cap - len(ELLIPSIS)].rstrip() + ELLIPSIS


def without_nul(text: str) -> str:
    """`text` with every NUL character removed."""
    return text.replace(NUL, "") if NUL in text else text


def fitted(text: str, cap: int) -> str:
    """`text` ready to store: NUL characters removed, stripped, shortened to `cap`."""
    return shortened(without_nul(text).strip(), cap)
