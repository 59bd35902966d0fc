"""Every message fits Telegram's limit after HTML parsing, stays valid HTML, and shows where it
was cut; values are shortened and escaped before they go into a text."""

from __future__ import annotations

from html import escape

from hypothesis import given, settings
from hypothesis import strategies as st

from bot import texts
from bot.message_fit import CAPTION_MAX, MESSAGE_MAX, fit_message
from tests.e2e.fake_telegram import _utf16_len, _visible_text

# Text as the bot writes it: escaped values (any character, astral ones count twice in UTF-16)
# inside the tags it uses.
_values = st.text(st.characters(exclude_categories=("Cs",)), max_size=300).map(
    lambda text: escape(text, quote=False)
)
_TAGS = ("b", "i", "code")


@st.composite
def messages(draw: st.DrawFn) -> str:
    parts = []
    for value in draw(st.lists(_values, max_size=40)):
        tag = draw(st.sampled_from((None, *_TAGS)))
        parts.append(value if tag is None else f"<{tag}>{value}</{tag}>")
        if draw(st.booleans()):
            parts.append('<a href="https://example.com/x?a=1&amp;b=2">link</a>\n')
    return "".join(parts)


@settings(max_examples=300, deadline=None)
@given(text=messages(), limit=st.sampled_from([MESSAGE_MAX, CAPTION_MAX, 50, 5]))
def test_a_fitted_message_is_valid_html_within_the_limit(text: str, limit: int) -> None:
    fitted = fit_message(text, limit)
    visible = _visible_text(fitted, "HTML", strict_html=True)  # raises on broken HTML
    assert _utf16_len(visible) <= limit
    if _utf16_len(_visible_text(text, "HTML", strict_html=True)) <= limit:
        assert fitted == text
    else:
        assert visible.endswith("…")


def test_a_cut_never_falls_inside_an_entity_or_a_tag() -> None:
    text = "<b>" + "&amp;" * 5000 + "</b>"
    fitted = fit_message(text)
    assert fitted.startswith("<b>&amp;") and fitted.endswith("&amp;…</b>")
    assert _utf16_len(_visible_text(fitted, "HTML", strict_html=True)) == MESSAGE_MAX


def test_markup_alone_does_not_count() -> None:
    text = "<b>x</b>" * 4000  # 32,000 characters, 4,000 visible
    assert fit_message(text) == text


def test_clip_shortens_before_escaping() -> None:
    assert texts.clip("A & B " * 20, 10) == "A &amp; B A &amp;…"
    assert texts.clip("<short>", 10) == "&lt;short&gt;"
