"""The last guard before a message leaves: Telegram refuses a text over 4,096 characters (1,024
for a caption), counted in UTF-16 units after HTML parsing, with a 400 that would leave a screen
blank. A longer message is cut between characters, never inside a tag or an entity; the tags
left open are closed and an ellipsis marks the cut.
"""

from __future__ import annotations

import re
from html import unescape

from ims_domain.text_limits import ELLIPSIS

MESSAGE_MAX = 4096
CAPTION_MAX = 1024
# A tag, an entity, or one character: what a cut must never split.
_TOKEN = re.compile(r"<[^<>]*>|&#?[A-Za-z0-9]+;|.", re.DOTALL)


def fit_message(html: str, limit: int = MESSAGE_MAX) -> str:
    """`html` itself when Telegram takes it, else its start within `limit`, closed and marked."""
    if _utf16_length(html) <= limit:  # never more than what Telegram counts: nothing to do
        return html
    tokens = [(token, _visible_length(token)) for token in _TOKEN.findall(html)]
    if sum(size for _, size in tokens) <= limit:  # only the markup made it look long
        return html
    kept: list[str] = []
    open_tags: list[str] = []
    used, budget = 0, limit - _utf16_length(ELLIPSIS)
    for token, size in tokens:
        if used + size > budget:
            break
        if size == 0 and token.startswith("<"):
            _follow_tag(token, open_tags)
        kept.append(token)
        used += size
    closing = "".join(f"</{tag}>" for tag in reversed(open_tags))
    return "".join(kept).rstrip() + ELLIPSIS + closing


def _visible_length(token: str) -> int:
    """What one token adds to the text Telegram counts: nothing for a tag."""
    if len(token) > 1 and token.startswith("<"):
        return 0
    return _utf16_length(unescape(token) if token.startswith("&") else token)


def _follow_tag(tag: str, open_tags: list[str]) -> None:
    """Keep `open_tags` in step with one opening or closing tag."""
    name = tag.strip("<>/").split(maxsplit=1)[0].lower() if tag.strip("<>/") else ""
    if tag.startswith("</"):
        if open_tags and open_tags[-1] == name:
            open_tags.pop()
    elif name and not tag.endswith("/>"):
        open_tags.append(name)


def _utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2
