"""Callback data: short, versioned, and carrying no authority (every tap is re-checked).

`v1:<verb>:<arg>:<arg>…`, at most 64 bytes (Telegram's limit). The server looks everything up
again from the database: membership, role and record version, on every tap.
"""

from __future__ import annotations

from dataclasses import dataclass

VERSION = "v1"
MAX_BYTES = 64


class BadCallback(ValueError):
    """Callback data we did not write (forged, or from an older bot)."""


@dataclass(frozen=True)
class Callback:
    """A decoded tap: the verb and its arguments as text."""

    verb: str
    args: tuple[str, ...]

    def int_arg(self, index: int) -> int:
        """An argument that must be a number."""
        try:
            return int(self.args[index])
        except (IndexError, ValueError):
            raise BadCallback(f"argument {index} of {self.verb} is not a number") from None

    def arg(self, index: int) -> str:
        """An argument as text."""
        try:
            return self.args[index]
        except IndexError:
            raise BadCallback(f"{self.verb} lacks argument {index}") from None


def encode(verb: str, *args: object) -> str:
    """Callback data for a button."""
    data = ":".join([VERSION, verb, *(str(a) for a in args)])
    if len(data.encode()) > MAX_BYTES or any(":" in str(a) for a in args):
        raise ValueError(f"callback data {data!r} is too long or has a ':' in an argument")
    return data


def decode(data: str | None, verbs: frozenset[str]) -> Callback:
    """The tap's verb and arguments; anything we did not write raises BadCallback."""
    if not data or len(data.encode()) > MAX_BYTES:
        raise BadCallback("empty or oversized callback data")
    version, _, rest = data.partition(":")
    verb, _, args = rest.partition(":")
    if version != VERSION or verb not in verbs:
        raise BadCallback(f"unknown callback {data!r}")
    return Callback(verb, tuple(args.split(":")) if args else ())
