"""Callback data: short, versioned, and carrying no authority (every tap is re-checked).

`v1:<verb>:<arg>:<arg>…`, at most 64 bytes (Telegram's limit). The server looks everything up
again from the database: membership, role and record version, on every tap.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from enum import Enum
from typing import TypeVar

from ims_domain.periods import PeriodError, ReturnPeriod

VERSION = "v1"
MAX_BYTES = 64
# ASCII digits only (int() also reads "١٢", "1_0" and " 1"), and short enough for a 64-bit
# column: a longer number overflows the database driver instead of finding nothing.
_NUMBER = re.compile(r"[0-9]{1,18}")
_GSTIN = re.compile(r"[0-9A-Z]{15}")

E = TypeVar("E", bound=Enum)


class BadCallback(ValueError):
    """Callback data we did not write (forged, or from an older bot)."""


@dataclass(frozen=True)
class Callback:
    """A decoded tap: the verb and its arguments as text."""

    verb: str
    args: tuple[str, ...]

    def arg(self, index: int) -> str:
        """An argument as text."""
        try:
            return self.args[index]
        except IndexError:
            raise BadCallback(f"{self.verb} lacks argument {index}") from None

    def int_arg(self, index: int) -> int:
        """An argument that must be a number we write: an id, a version."""
        text = self.arg(index)
        if not _NUMBER.fullmatch(text):
            raise BadCallback(f"argument {index} of {self.verb} is not a number")
        return int(text)

    def choice_arg(self, index: int, choices: Collection[str]) -> str:
        """An argument that must be one of a few codes."""
        text = self.arg(index)
        if text not in choices:
            raise BadCallback(f"argument {index} of {self.verb} is not one of {sorted(choices)}")
        return text

    def enum_arg(self, index: int, kind: type[E], among: Collection[E] | None = None) -> E:
        """An argument naming a member of `kind` by its value (one of `among`, if given)."""
        try:
            member = kind(self.arg(index))
        except ValueError:
            raise BadCallback(f"argument {index} of {self.verb} is not a {kind.__name__}") from None
        if among is not None and member not in among:
            raise BadCallback(f"argument {index} of {self.verb} may not be {member}")
        return member

    def period_arg(self, index: int) -> ReturnPeriod:
        """An argument that must be a return period, MMYYYY."""
        text = self.arg(index)
        try:
            return ReturnPeriod.parse(text)
        except PeriodError:
            raise BadCallback(f"argument {index} of {self.verb} is not a period") from None

    def gstin_arg(self, index: int) -> str:
        """An argument shaped like a GSTIN (whether the user may see it is the use case's)."""
        text = self.arg(index)
        if not _GSTIN.fullmatch(text):
            raise BadCallback(f"argument {index} of {self.verb} is not a GSTIN")
        return text


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
