"""JSON in and out, with every amount an exact Decimal: json would read amounts as floats and
cannot write Decimals at all."""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from ims_domain.formats.common import FormatError
from ims_domain.money import PAISE


def load_json(data: bytes) -> Any:
    """JSON with every number as an exact Decimal or int; a broken file raises FormatError."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FormatError(f"the file is not UTF-8 text (byte {exc.start} is not valid)") from None
    try:
        return json.loads(text, parse_float=_decimal)
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}"
        if exc.pos >= len(text.rstrip()):
            raise FormatError(f"the JSON ends too early ({where}): is the file complete?") from None
        raise FormatError(f"the file is not valid JSON: {exc.msg} at {where}") from None
    except ValueError:  # an integer longer than Python reads (sys.get_int_max_str_digits)
        raise FormatError(
            "the file is not valid JSON: it holds a number too long to read"
        ) from None
    except RecursionError:
        raise FormatError("the JSON is nested too deeply to be a GST file") from None


_ZERO_TEXT, _ZERO = "0.00", Decimal("0.00")


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
