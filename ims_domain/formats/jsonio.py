"""JSON in and out, with every amount an exact Decimal: json would read amounts as floats and
cannot write Decimals at all.

A key written twice in one object refuses the file: json keeps the last silently, so two "b2b"
sections would lose one of them, and a streaming reader would see both. Both readers here find
the same repeat, as an object closes, and say the same thing.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from ims_domain.formats.common import FormatError, shown
from ims_domain.money import PAISE


def load_json(data: bytes) -> Any:
    """JSON with every number as an exact Decimal or int; a broken file raises FormatError."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FormatError(f"the file is not UTF-8 text (byte {exc.start} is not valid)") from None
    try:
        return json.loads(text, parse_float=_decimal, object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}"
        if exc.pos >= len(text.rstrip()):
            raise FormatError(f"the JSON ends too early ({where}): is the file complete?") from None
        raise FormatError(f"the file is not valid JSON: {exc.msg} at {where}") from None
    except FormatError:  # a repeated key (a ValueError too): its own message
        raise
    except ValueError:  # an integer longer than Python reads (sys.get_int_max_str_digits)
        raise FormatError(
            "the file is not valid JSON: it holds a number too long to read"
        ) from None
    except RecursionError:
        raise FormatError("the JSON is nested too deeply to be a GST file") from None


_ZERO_TEXT, _ZERO = "0.00", Decimal("0.00")


def repeated_key(key: str) -> FormatError:
    """The refusal of a file with `key` twice in one object."""
    return FormatError(
        f"the JSON has the key {shown(key)} twice in one object: a file that says two things "
        "at once cannot be read"
    )


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """An object from its pairs; the first key written again raises repeated_key."""
    document = dict(pairs)
    if len(document) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise repeated_key(key)
            seen.add(key)
    return document


def _decimal(text: str) -> Decimal:
    """A JSON number with a fraction, exactly. GST files write an absent tax as 0.00 (over a third
    of the amounts of a typical IMS download): those share one Decimal, which is immutable."""
    return _ZERO if text == _ZERO_TEXT else Decimal(text)


def unwrap(document: Any, *, required: tuple[str, ...]) -> Mapping[str, Any] | None:
    """The object inside `data` wrappers (API, saved payloads) that has all `required` keys."""
    for body in wrapped_bodies(document):
        if all(key in body for key in required):
            return body
    return None


def wrapped_bodies(document: Any) -> list[Mapping[str, Any]]:
    """The document and the objects nested in its `data` wrappers, outermost first (at most 5)."""
    bodies: list[Mapping[str, Any]] = []
    current = document
    while isinstance(current, Mapping) and len(bodies) < 5:
        bodies.append(current)
        current = current.get("data")
    return bodies


def encode_json(value: Any, *, indent: bool = False) -> bytes:
    """JSON bytes with every Decimal written exactly: two decimals for an amount in whole paise
    (1800.50), anything finer as it is, never through a float. Compact unless `indent`.

    Text is written with ASCII escapes, so any text (even a lone surrogate read from a \\u
    escape) stays writable. Our writers hand only Decimals; a float (from a test) is written as
    json writes it.
    """
    parts: list[str] = []
    _encode(value, parts, "\n" if indent else "", "  " if indent else "")
    if indent:
        parts.append("\n")
    return "".join(parts).encode("utf-8")


def _encode(value: Any, out: list[str], newline: str, step: str, depth: int = 0) -> None:
    if value is None:
        out.append("null")
    elif isinstance(value, bool):
        out.append("true" if value else "false")
    elif isinstance(value, int):
        out.append(str(value))
    elif isinstance(value, Decimal):
        if not value.is_finite():
            raise InvalidOperation(f"{value} is not a finite amount")
        out.append(_decimal_text(value))
    elif isinstance(value, str | float):
        out.append(json.dumps(value))
    elif isinstance(value, Mapping):
        items = [(json.dumps(str(k)) + ":", v) for k, v in value.items()]
        _encode_items(items, "{}", out, newline=newline, step=step, depth=depth)
    elif isinstance(value, list | tuple):
        _encode_items([("", v) for v in value], "[]", out, newline=newline, step=step, depth=depth)
    else:
        raise TypeError(f"cannot write {type(value).__name__} as JSON")


def _decimal_text(value: Decimal) -> str:
    """Two decimals for an amount; anything finer is written exactly, never rounded."""
    try:
        whole_paise = value == value.quantize(PAISE)
    except InvalidOperation:  # too many digits to quantize: write it as it is
        whole_paise = False
    return f"{value:.2f}" if whole_paise else str(value)


def _encode_items(
    items: list[tuple[str, Any]],
    brackets: str,
    out: list[str],
    *,
    newline: str,
    step: str,
    depth: int,
) -> None:
    out.append(brackets[0])
    inner = newline + step * (depth + 1)
    for position, (prefix, item) in enumerate(items):
        if position:
            out.append(",")
        out.append(inner)
        out.append(prefix + (" " if prefix and newline else ""))
        _encode(item, out, newline, step, depth + 1)
    if items:
        out.append(newline + step * depth)
    out.append(brackets[1])


# ---------------------------------------------------------------------------------------------
# Streaming: a large download read row by row, never whole (bench: an IMS JSON of 100,000
# records is 46 MB; loaded whole, its objects take three times that beside the file itself).

_CHUNK_BYTES = 1 << 20
_SPACE = re.compile(r"[ \t\n\r]*")
_MAX_WRAPPERS = 4  # `data` objects inside `data` objects, as wrapped_bodies reads them
_NUMBER_GOES_ON = frozenset("0123456789.eE+-")
_SAMPLE_ROWS = 32  # rows of each streamed list kept in the outline, for telling formats apart


class NotStreamable(Exception):
    """The JSON is not an object whose lists can be walked (or it is broken): load it whole."""


def stream_lists(
    data: bytes,
    *,
    streamed: Callable[[str], bool],
    on_item: Callable[[str, int, Any], None],
) -> dict[str, Any]:
    """Walk a JSON object (and the objects in its `data` wrappers) without loading it whole.

    Every list under a key for which `streamed(key)` holds is handed to `on_item(key, index,
    item)` one item at a time; everything else is loaded as usual. Returns the outline: the
    document with each streamed list cut to its first few items, enough to tell formats apart.
    The text is decoded a window at a time, so neither the document nor its whole text is ever
    held. Anything unexpected (not an object, broken JSON, bad UTF-8) raises NotStreamable, and
    the caller loads the file whole, which names the problem.
    """
    text = _Window(data)
    try:
        outline, position = _walk_object(text, 0, streamed, on_item, depth=0)
        if text.skip_to_end(position):
            raise NotStreamable  # something after the object: not valid JSON
    except FormatError:  # a repeated key: refused as load_json refuses it
        raise
    except (ValueError, StopIteration, RecursionError):  # JSON or UTF-8 errors are ValueErrors
        raise NotStreamable from None
    return outline


class _Window:
    """The decoded text of `data`, a window at a time; positions are relative to the window."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.read_to = 0
        self.decoder = codecs.getincrementaldecoder("utf-8-sig")()
        self.text = ""
        # The decoder's scanner reads one value at a position (what raw_decode uses), with our
        # parse_float; typeshed does not list it.
        self.scan = json.JSONDecoder(  # type: ignore[attr-defined]
            parse_float=_decimal, object_pairs_hook=_unique_keys
        ).scan_once

    @property
    def exhausted(self) -> bool:
        return self.read_to >= len(self.data)

    def more(self, position: int, size: int | None = None) -> int:
        """Decode `size` more bytes (a chunk), dropping the text before `position`; the new
        `position`. NotStreamable when the file is read already: it ends too early."""
        if self.exhausted:
            raise NotStreamable
        chunk = self.data[self.read_to : self.read_to + (size or _CHUNK_BYTES)]
        self.read_to += len(chunk)
        self.text = self.text[position:] + self.decoder.decode(chunk, final=self.exhausted)
        return 0

    def skip_space(self, position: int) -> int:
        """The position of the next character that is not white space (more text read as needed);
        NotStreamable when the file ends first."""
        found = self._next_character(position)
        if found is None:
            raise NotStreamable
        return found

    def skip_to_end(self, position: int) -> bool:
        """Whether anything but white space follows `position` (the rest is read)."""
        return self._next_character(position) is not None

    def _next_character(self, position: int) -> int | None:
        while True:
            position = _SPACE.match(self.text, position).end()  # type: ignore[union-attr]
            if position < len(self.text):
                return position
            if self.exhausted:
                return None
            position = self.more(position)

    def expect(self, position: int, characters: str) -> tuple[str, int]:
        """The next non-space character (one of `characters`, or NotStreamable) and what follows."""
        position = self.skip_space(position)
        found = self.text[position]
        if found not in characters:
            raise NotStreamable
        return found, position + 1

    def value(self, position: int) -> tuple[Any, int]:
        """The JSON value at `position` and the position after it, reading more text as needed.

        A value that ends where the window ends may be cut short (a number 12 of 12.5): it
        counts only once a character follows that cannot continue it, or the file is read whole.
        A value larger than the window is read again with twice the text each time, so a large
        value costs at most about twice its reading.
        """
        position = self.skip_space(position)
        size = _CHUNK_BYTES
        while True:
            try:
                value, end = self.scan(self.text, position)
            except (json.JSONDecodeError, StopIteration):
                if self.exhausted:
                    raise
            else:
                if self.exhausted or (
                    end < len(self.text) and self.text[end] not in _NUMBER_GOES_ON
                ):
                    return value, end
            position = self.more(position, size)
            size *= 2


def _walk_object(
    text: _Window,
    position: int,
    streamed: Callable[[str], bool],
    on_item: Callable[[str, int, Any], None],
    *,
    depth: int,
) -> tuple[dict[str, Any], int]:
    """The object opening at `position` (its outline) and the position after it."""
    outline: dict[str, Any] = {}
    repeated: str | None = None  # raised as the object closes, where load_json finds it
    _, position = text.expect(position, "{")
    found, after = text.expect(position, '"}')
    while found == '"':
        key, position = text.value(after - 1)
        if key in outline and repeated is None:
            repeated = key
        _, position = text.expect(position, ":")
        opening, after = text.expect(position, '[{"-0123456789tfn')
        if opening == "[" and streamed(key):
            outline[key], position = _walk_list(text, after, key, on_item)
        elif opening == "{" and key == "data" and depth < _MAX_WRAPPERS:
            outline[key], position = _walk_object(
                text, after - 1, streamed, on_item, depth=depth + 1
            )
        else:
            outline[key], position = text.value(after - 1)
        separator, position = text.expect(position, ",}")
        if separator == "}":
            break
        found, after = text.expect(position, '"')
    else:
        position = after
    if repeated is not None:
        raise repeated_key(repeated)
    return outline, position


def _walk_list(
    text: _Window, position: int, key: str, on_item: Callable[[str, int, Any], None]
) -> tuple[list[Any], int]:
    """The items of the list whose `[` lies before `position`, each handed to on_item."""
    sample: list[Any] = []
    position = text.skip_space(position)
    if text.text[position] == "]":
        return sample, position + 1
    index = 0
    while True:
        item, position = text.value(position)
        if index < _SAMPLE_ROWS:
            sample.append(item)
        on_item(key, index, item)
        del item  # before the next one is read
        index += 1
        separator, position = text.expect(position, ",]")
        if separator == "]":
            return sample, position
