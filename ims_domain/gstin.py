"""GSTIN parsing and validation: GSTN's patterns, state codes and the mod-36 check character."""

import re
import string
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Literal, NamedTuple

from ims_domain.errors import ImsDomainError

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"

STATE_CODES: Mapping[str, str] = MappingProxyType(
    {
        "01": "Jammu & Kashmir",
        "02": "Himachal Pradesh",
        "03": "Punjab",
        "04": "Chandigarh",
        "05": "Uttarakhand",
        "06": "Haryana",
        "07": "Delhi",
        "08": "Rajasthan",
        "09": "Uttar Pradesh",
        "10": "Bihar",
        "11": "Sikkim",
        "12": "Arunachal Pradesh",
        "13": "Nagaland",
        "14": "Manipur",
        "15": "Mizoram",
        "16": "Tripura",
        "17": "Meghalaya",
        "18": "Assam",
        "19": "West Bengal",
        "20": "Jharkhand",
        "21": "Odisha",
        "22": "Chhattisgarh",
        "23": "Madhya Pradesh",
        "24": "Gujarat",
        # 25 and 28 are no longer issued, but existing GSTINs still carry them.
        "25": "Daman & Diu (merged into 26)",
        "26": "Dadra & Nagar Haveli and Daman & Diu",
        "27": "Maharashtra",
        "28": "Andhra Pradesh (old code)",
        "29": "Karnataka",
        "30": "Goa",
        "31": "Lakshadweep",
        "32": "Kerala",
        "33": "Tamil Nadu",
        "34": "Puducherry",
        "35": "Andaman & Nicobar Islands",
        "36": "Telangana",
        "37": "Andhra Pradesh",
        "38": "Ladakh",
        "96": "Other Countries",
        "97": "Other Territory",
        "99": "Centre Jurisdiction",
    }
)

GstinPart = Literal[
    "length",
    "characters",
    "state code",
    "PAN",
    "entity code",
    "14th character",
    "check character",
    "format",
]


class GstinKind(StrEnum):
    """The kinds of registration a GSTIN can stand for, told apart by GSTN's patterns."""

    REGULAR = "regular"
    GOVERNMENT = "government"
    ECO = "eco"  # TCS collector / e-commerce operator
    TDS = "tds"
    UIN = "uin"  # UN bodies, embassies
    NRTP = "nrtp"  # non-resident taxable person
    OIDAR = "oidar"  # online services supplied from abroad


# Shown inputs are cut so a whole spreadsheet cell pasted by mistake cannot flood a message.
_MAX_SHOWN = 40
_PAN_KINDS = frozenset({GstinKind.REGULAR, GstinKind.ECO})
_HOLDER_TYPES = "PCHFABTLJGK"
# str.upper() would also turn 'ß' into 'SS' or 'ı' into 'I'; only ASCII letters are upper-cased.
_ASCII_UPPER = str.maketrans(string.ascii_lowercase, string.ascii_uppercase)
_VALUE = {ch: index for index, ch in enumerate(ALPHABET)}

# Characters 13-14 of the UIN, NRTP and OIDAR forms. No other kind allows N, R or S as its 14th
# character, so these tell the kind even when the leading 4 digits are mistyped.
_SPECIAL_SUFFIXES = {
    "UN": GstinKind.UIN,
    "ON": GstinKind.UIN,
    "NR": GstinKind.NRTP,
    "OS": GstinKind.OIDAR,
}
_PAN_SHAPE = re.compile(r"[A-Z]{5}[0-9]{4}[A-Z]")
_GOVERNMENT = re.compile(r"[0-9]{2}[A-Z]{4}[0-9]{5}[A-Z][0-9]Z[0-9]")
_SPECIAL_ID_SHAPE = re.compile(r"[0-9]{2}[A-Z]{3}[0-9]{5}")


class _IdShape(NamedTuple):
    """What characters 3-12 must look like for one kind, and how to explain a mismatch."""

    pattern: re.Pattern[str]
    part: GstinPart
    expected: str
    name: str


_PAN_ID = _IdShape(_PAN_SHAPE, "PAN", "5 letters, 4 digits, 1 letter", "a PAN")
# From GSTN's patterns. Government has no entry: only a complete match is taken as government.
_ID_SHAPES: Mapping[GstinKind, _IdShape] = {
    GstinKind.REGULAR: _PAN_ID,
    GstinKind.ECO: _PAN_ID,
    GstinKind.TDS: _IdShape(
        re.compile(r"[A-Z]{4}[A-Z0-9][0-9]{4}[A-Z]"),
        "format",
        "4 letters, a letter or digit, 4 digits, 1 letter",
        "a TDS deductor's TAN",
    ),
    GstinKind.UIN: _IdShape(_SPECIAL_ID_SHAPE, "format", "2 digits, 3 letters, 5 digits", "a UIN"),
    GstinKind.NRTP: _IdShape(
        _SPECIAL_ID_SHAPE, "format", "2 digits, 3 letters, 5 digits", "a non-resident's ID"
    ),
    GstinKind.OIDAR: _IdShape(
        _SPECIAL_ID_SHAPE, "format", "2 digits, 3 letters, 5 digits", "an OIDAR ID"
    ),
}
# Kinds whose 13th character numbers the registrations of one PAN or TAN in one state, from 1.
_NUMBERED_KINDS = frozenset({GstinKind.REGULAR, GstinKind.ECO, GstinKind.TDS})
# GSTN's offline tool allows [Z1-9A-J]; C and D never get here because they mean ECO and TDS.
_REGULAR_14TH = "Z123456789ABCDEFGHIJ"


class GstinError(ImsDomainError):
    """A text that is not a valid GSTIN; `part` names what is wrong, `expected` what would fit."""

    def __init__(self, text: str, part: GstinPart, expected: str, problem: str) -> None:
        super().__init__(f"GSTIN {_shown(text)}: {problem}")
        self.text = text
        self.part = part
        self.expected = expected


@dataclass(frozen=True)
class Gstin:
    """A valid GSTIN, as returned by parse_gstin."""

    value: str
    kind: GstinKind

    @property
    def state_code(self) -> str:
        """The first two characters (99 is the centre jurisdiction)."""
        return self.value[:2]

    @property
    def state_name(self) -> str | None:
        """The state or union territory name of the state code."""
        return STATE_CODES.get(self.state_code)

    @property
    def pan(self) -> str | None:
        """The holder's PAN (characters 3-12) for regular and ECO GSTINs, else None."""
        return self.value[2:12] if self.kind in _PAN_KINDS else None

    @property
    def has_ims(self) -> bool:
        """R1.7: TDS deductors, TCS collectors (ECO), non-residents, OIDAR and UIN holders have no
        IMS; normal taxpayers and government departments do. (Composition is not visible in a
        GSTIN.)"""
        return self.kind in (GstinKind.REGULAR, GstinKind.GOVERNMENT)

    def __str__(self) -> str:
        """The normalised 15 characters."""
        return self.value


def check_character(first14: str) -> str:
    """The check character (15th) for the first 14 characters of a GSTIN."""
    if len(first14) != 14:
        raise GstinError(
            first14, "length", "14 characters", f"has {len(first14)} characters, expected 14"
        )
    _require_alphabet(first14, first14)
    total = 0
    for position, ch in enumerate(first14):
        product = _VALUE[ch] * (2 if position % 2 else 1)
        total += product // 36 + product % 36
    # The outer % 36 maps a sum divisible by 36 to '0'; without it such GSTINs would be refused.
    return ALPHABET[(36 - total % 36) % 36]


def parse_gstin(text: str, *, strict: bool = False, check_holder_type: bool = False) -> Gstin:
    """Validate a GSTIN and tell its kind; raise GstinError naming the first wrong part."""
    if strict:
        _refuse_case_and_space(text)
        value = text
    else:
        value = "".join(text.split()).translate(_ASCII_UPPER)
    if len(value) != 15:
        raise GstinError(
            text, "length", "15 characters", f"has {len(value)} characters, expected 15"
        )
    _require_alphabet(text, value)
    kind = _detect_kind(value)
    _check_state_code(text, value, kind)
    _check_id(text, value, kind, check_holder_type)
    _check_entity_code(text, value, kind)
    if kind is GstinKind.REGULAR and value[13] not in _REGULAR_14TH:
        raise GstinError(
            text,
            "14th character",
            "Z, 1-9 or A-J",
            f"14th character is {value[13]!r}, expected Z (or 1-9, A-J)",
        )
    _check_check_character(text, value)
    return Gstin(value, kind)


def is_valid_gstin(text: str) -> bool:
    """Whether the text is a valid GSTIN once spaces and case are normalised."""
    return gstin_problem(text) is None


def gstin_problem(text: str, *, check_holder_type: bool = False) -> str | None:
    """None for a valid GSTIN (lenient parse), else the readable reason it is not."""
    try:
        parse_gstin(text, check_holder_type=check_holder_type)
    except GstinError as error:
        return str(error)
    return None


def _shown(text: str) -> str:
    """The raw input for a message: as typed when plain, else quoted with escapes."""
    cut = text[:_MAX_SHOWN]
    if cut and cut == text and cut.isprintable() and cut == cut.strip():
        return cut
    return repr(cut) + ("…" if cut != text else "")


def _refuse_case_and_space(text: str) -> None:
    """Strict mode: the GSTN tool compares as written, so lower case and spaces are errors."""
    for position, ch in enumerate(text, start=1):
        if ch.isspace():
            found = f"whitespace {ch!r}"
        elif ch.islower():
            found = f"lower-case letter {ch!r}"
        else:
            continue
        raise GstinError(
            text,
            "characters",
            "capital letters and digits, no spaces",
            f"contains {found} at position {position}, expected capital letters and digits only",
        )


def _require_alphabet(text: str, value: str) -> None:
    """Every character must be a digit or a capital A-Z."""
    for position, ch in enumerate(value, start=1):
        if ch not in _VALUE:
            raise GstinError(
                text,
                "characters",
                "digits 0-9 and capital letters A-Z",
                f"character {ch!r} at position {position} is not allowed,"
                " expected digits 0-9 and capital letters A-Z",
            )


def _detect_kind(value: str) -> GstinKind:
    """The kind the text is meant to be, from the characters that set GSTN's patterns apart."""
    special = _SPECIAL_SUFFIXES.get(value[12:14])
    if special is not None:
        return special
    if value[13] == "D":
        return GstinKind.TDS
    if value[13] == "C":
        return GstinKind.ECO
    # A digit where a PAN has its 5th letter is either a government ID or a mistyped PAN. Regular
    # GSTINs are far more common, so only a complete, correct government GSTIN is taken as one;
    # anything else is judged by the regular rules, whose errors point at the PAN.
    if _GOVERNMENT.fullmatch(value) and check_character(value[:14]) == value[14]:
        return GstinKind.GOVERNMENT
    return GstinKind.REGULAR


def _check_state_code(text: str, value: str, kind: GstinKind) -> None:
    """The first two characters must be a GST state code; 99 for OIDAR."""
    code = value[:2]
    if kind is GstinKind.OIDAR:
        if code != "99":
            raise GstinError(
                text, "state code", "99", f"state code {code!r} must be 99 for an OIDAR GSTIN"
            )
    elif code not in STATE_CODES:
        raise GstinError(
            text,
            "state code",
            "01-38, 96, 97 or 99",
            f"state code {code!r} is not a GST state code (expected 01-38, 96, 97 or 99)",
        )


def _check_id(text: str, value: str, kind: GstinKind, check_holder_type: bool) -> None:
    """Characters 3-12 must have the shape of the kind's ID (a PAN for regular and ECO)."""
    id_part = value[2:12]
    shape = _ID_SHAPES.get(kind)
    if shape is not None and not shape.pattern.fullmatch(id_part):
        raise GstinError(
            text,
            shape.part,
            shape.expected,
            f"characters 3-12 are {id_part!r}, not {shape.name} (expected {shape.expected})",
        )
    if check_holder_type and kind in _PAN_KINDS and id_part[3] not in _HOLDER_TYPES:
        holder_types = " ".join(_HOLDER_TYPES)
        raise GstinError(
            text,
            "PAN",
            f"one of {holder_types}",
            f"PAN {id_part!r} has 4th letter {id_part[3]!r}, which is not a PAN holder type"
            f" (expected one of {holder_types})",
        )


def _check_entity_code(text: str, value: str, kind: GstinKind) -> None:
    """The 13th character numbers the registrations of one PAN in one state: 1-9, then A-Z."""
    if kind in _NUMBERED_KINDS and value[12] == "0":
        raise GstinError(
            text,
            "entity code",
            "1-9 or A-Z",
            "13th character (entity number) is '0', expected 1-9 or A-Z",
        )


def _check_check_character(text: str, value: str) -> None:
    """The 15th character must be the mod-36 Luhn check character of the first 14."""
    want = check_character(value[:14])
    if value[14] != want:
        raise GstinError(
            text, "check character", want, f"check character is {value[14]!r}, expected {want!r}"
        )
