"""GSTIN parsing: vectors from docs section 5.3, the shared vector file, error parts, properties."""

import json
import re
import string
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from ims_domain.errors import ImsDomainError
from ims_domain.gstin import (
    ALPHABET,
    STATE_CODES,
    Gstin,
    GstinError,
    GstinKind,
    check_character,
    gstin_problem,
    is_valid_gstin,
    parse_gstin,
)

# GSTN's patterns (docs section 5.1), used as an independent oracle for the property tests.
GSTN_PATTERNS = {
    GstinKind.REGULAR: r"[0-9]{2}[A-Z]{5}[0-9]{4}[A-Z][1-9A-Z][Z1-9A-J][0-9A-Z]",
    GstinKind.GOVERNMENT: r"[0-9]{2}[A-Z]{4}[0-9]{5}[A-Z][0-9]Z[0-9]",
    GstinKind.ECO: r"[0-9]{2}[A-Z]{5}[0-9]{4}[A-Z][1-9A-Z]C[0-9A-Z]",
    GstinKind.TDS: r"[0-9]{2}[A-Z]{4}[A-Z0-9][0-9]{4}[A-Z][1-9A-Z]D[0-9A-Z]",
    GstinKind.UIN: r"[0-9]{4}[A-Z]{3}[0-9]{5}[UO]N[A-Z0-9]",
    GstinKind.NRTP: r"[0-9]{4}[A-Z]{3}[0-9]{5}NR[0-9A-Z]",
    GstinKind.OIDAR: r"99[0-9]{2}[A-Z]{3}[0-9]{5}OS[0-9A-Z]",
}

# (GSTIN, kind, state name, PAN) from docs section 5.3, plus two government GSTINs built here.
VALID = [
    ("27AAPFU0939F1ZV", GstinKind.REGULAR, "Maharashtra", "AAPFU0939F"),
    ("29AAGCB7383J1Z4", GstinKind.REGULAR, "Karnataka", "AAGCB7383J"),
    ("12GEOPS0823BBZH", GstinKind.REGULAR, "Arunachal Pradesh", "GEOPS0823B"),
    ("24AAQCA8719H1ZC", GstinKind.REGULAR, "Gujarat", "AAQCA8719H"),
    ("12AJIPA1572E1C7", GstinKind.ECO, "Arunachal Pradesh", "AJIPA1572E"),
    ("27AAPFU1049F1Z0", GstinKind.REGULAR, "Maharashtra", "AAPFU1049F"),
    ("38AAPFU0939F1ZS", GstinKind.REGULAR, "Ladakh", "AAPFU0939F"),
    ("07DELA12345B1DE", GstinKind.TDS, "Delhi", None),
    ("0717UNO00157UNO", GstinKind.UIN, "Delhi", None),
    ("9917USA00001NRX", GstinKind.NRTP, "Centre Jurisdiction", None),
    ("9917USA29001OSH", GstinKind.OIDAR, "Centre Jurisdiction", None),
    ("07DELD00005E1Z9", GstinKind.GOVERNMENT, "Delhi", None),
    ("29BLRB00000A0Z2", GstinKind.GOVERNMENT, "Karnataka", None),  # 13th '0' per GSTN's pattern
    # Checksum right and accepted by GSTN's pattern; refused only with the holder-type check.
    ("32REDDY9009U1ZT", GstinKind.REGULAR, "Kerala", "REDDY9009U"),
    ("33CHAND5868I1ZG", GstinKind.REGULAR, "Tamil Nadu", "CHAND5868I"),
    ("07USERR0205A1ZS", GstinKind.REGULAR, "Delhi", "USERR0205A"),
    ("27AAPFU0939F1AA", GstinKind.REGULAR, "Maharashtra", "AAPFU0939F"),  # 14th 'A' is allowed
]

# GSTINs from GSTN's own documentation and public test suites that fail the checksum.
DOCUMENTATION_CHECKSUM_FAILURES = [
    ("01AABCE2207R1Z5", "V"),
    ("24MAYAS0100J1JD", "2"),
    ("20MAYAS0100J1ZX", "E"),
    ("16DEFPS8555D1Z7", "6"),
    ("24AAACJ3770E2ZZ", "V"),
    ("22AAAAA0000A1Z5", "C"),
    ("29ABCDE1234F1Z5", "W"),
    ("29AABCT1332L1Z5", "A"),
]

REGULAR_14TH = "Z123456789ABEFGHIJ"  # GSTN's [Z1-9A-J] without C and D, which mean ECO and TDS


def _error(text: str, **options: bool) -> GstinError:
    with pytest.raises(GstinError) as caught:
        parse_gstin(text, **options)
    return caught.value


def _gstn_kinds(value: str) -> set[GstinKind]:
    return {kind for kind, pattern in GSTN_PATTERNS.items() if re.fullmatch(pattern, value)}


# --- check character -------------------------------------------------------------------------


def test_check_character_worked_example() -> None:
    assert check_character("27AAPFU0939F1Z") == "V"


def test_check_character_zero_needs_the_final_mod_36() -> None:
    assert check_character("27AAPFU1049F1Z") == "0"


def test_check_character_refuses_bad_input() -> None:
    with pytest.raises(GstinError) as caught:
        check_character("27AAPFU0939F1")
    assert (caught.value.part, caught.value.expected) == ("length", "14 characters")
    with pytest.raises(GstinError) as caught:
        check_character("27aapfu0939f1z")
    assert caught.value.part == "characters"


def test_doubling_is_a_permutation_so_single_substitutions_are_caught() -> None:
    # The reason the property test below can assert every substitution is detected.
    folded = [(2 * v) // 36 + (2 * v) % 36 for v in range(36)]
    assert sorted(folded) == list(range(36))


# --- own vectors -----------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "kind", "state_name", "pan"), VALID)
def test_valid_gstins(text: str, kind: GstinKind, state_name: str, pan: str | None) -> None:
    gstin = parse_gstin(text)
    assert gstin == Gstin(text, kind)
    assert str(gstin) == text
    assert gstin.state_code == text[:2]
    assert gstin.state_name == state_name
    assert gstin.pan == pan
    assert parse_gstin(text, strict=True) == gstin
    assert is_valid_gstin(text)
    assert gstin_problem(text) is None


@pytest.mark.parametrize(("text", "want"), DOCUMENTATION_CHECKSUM_FAILURES)
def test_documentation_gstins_fail_the_checksum(text: str, want: str) -> None:
    error = _error(text)
    assert error.part == "check character"
    assert error.expected == want
    assert f"expected {want!r}" in str(error)
    assert not is_valid_gstin(text)


def test_documentation_cpsumm_state_00_is_reported_as_state_code() -> None:
    assert _error("00AABCE2207R1Z5").part == "state code"


@pytest.mark.parametrize("text", ["32REDDY9009U1ZT", "33CHAND5868I1ZG", "07USERR0205A1ZS"])
def test_holder_type_check_is_optional(text: str) -> None:
    assert is_valid_gstin(text)
    error = _error(text, check_holder_type=True)
    assert error.part == "PAN"
    assert f"4th letter {text[5]!r}" in str(error)
    assert "P C H F A B T L J G K" in error.expected
    assert gstin_problem(text, check_holder_type=True) == str(error)


def test_holder_type_check_passes_real_holder_types() -> None:
    assert parse_gstin("27AAPFU0939F1ZV", check_holder_type=True).pan == "AAPFU0939F"


def test_mistyped_government_gstin_is_judged_as_regular() -> None:
    # A digit in the PAN is more likely a typo than a government ID with a wrong check character.
    error = _error("07DELD00005E1Z8")
    assert error.part == "PAN"


def test_state_codes_table() -> None:
    expected = {f"{n:02d}" for n in range(1, 39)} | {"96", "97", "99"}
    assert set(STATE_CODES) == expected
    assert STATE_CODES["38"] == "Ladakh"
    assert STATE_CODES["27"] == "Maharashtra"


# --- strict and lenient ----------------------------------------------------------------------


def test_lenient_normalises_spaces_and_case() -> None:
    assert parse_gstin("  27aapfu 0939f1zv\t\n").value == "27AAPFU0939F1ZV"
    assert parse_gstin("27 AAPFU 0939 F1Z V").value == "27AAPFU0939F1ZV"


def test_lenient_upper_cases_ascii_only() -> None:
    # str.upper() would make valid GSTINs of these: 'ß' -> 'SS', long s 'ſ' -> 'S'.
    assert is_valid_gstin("27AASSU0939F1Z1")
    assert "27AAßU0939F1Z1".upper() == "27AASSU0939F1Z1"
    assert _error("27AAßU0939F1Z1").part == "length"
    assert is_valid_gstin("38AAPFU0939F1ZS")
    assert _error("38AAPFU0939F1Zſ").part == "characters"


def test_strict_accepts_exact_gstins() -> None:
    assert parse_gstin("27AAPFU0939F1ZV", strict=True).kind is GstinKind.REGULAR


def test_strict_refuses_lower_case() -> None:
    error = _error("27aapfu0939f1zv", strict=True)
    assert error.part == "characters"
    assert str(error) == (
        "GSTIN 27aapfu0939f1zv: contains lower-case letter 'a' at position 3,"
        " expected capital letters and digits only"
    )


def test_strict_refuses_whitespace_before_counting_length() -> None:
    error = _error(" 27AAPFU0939F1ZV", strict=True)
    assert error.part == "characters"
    assert "whitespace ' ' at position 1" in str(error)
    assert "'\\t' at position 16" in str(_error("27AAPFU0939F1ZV\t", strict=True))


# --- each error part, with its message -------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "options", "part", "expected", "message"),
    [
        (
            "27AAPFU0939F1Z",
            {},
            "length",
            "15 characters",
            "GSTIN 27AAPFU0939F1Z: has 14 characters, expected 15",
        ),
        (
            "27AAPFU0939F1Z#",
            {},
            "characters",
            "digits 0-9 and capital letters A-Z",
            "GSTIN 27AAPFU0939F1Z#: character '#' at position 15 is not allowed,"
            " expected digits 0-9 and capital letters A-Z",
        ),
        (
            "45AAPFU0939F1ZV",
            {},
            "state code",
            "01-38, 96, 97 or 99",
            "GSTIN 45AAPFU0939F1ZV: state code '45' is not a GST state code"
            " (expected 01-38, 96, 97 or 99)",
        ),
        (
            "2717USA29001OSH",
            {},
            "state code",
            "99",
            "GSTIN 2717USA29001OSH: state code '27' must be 99 for an OIDAR GSTIN",
        ),
        (
            "0017UNO00157UNO",
            {},
            "state code",
            "01-38, 96, 97 or 99",
            "GSTIN 0017UNO00157UNO: state code '00' is not a GST state code"
            " (expected 01-38, 96, 97 or 99)",
        ),
        (
            "27AAPF10939F1ZV",
            {},
            "PAN",
            "5 letters, 4 digits, 1 letter",
            "GSTIN 27AAPF10939F1ZV: characters 3-12 are 'AAPF10939F', not a PAN"
            " (expected 5 letters, 4 digits, 1 letter)",
        ),
        (
            "32REDDY9009U1ZT",
            {"check_holder_type": True},
            "PAN",
            "one of P C H F A B T L J G K",
            "GSTIN 32REDDY9009U1ZT: PAN 'REDDY9009U' has 4th letter 'D', which is not a PAN"
            " holder type (expected one of P C H F A B T L J G K)",
        ),
        (
            "27AAPFU0939F0ZV",
            {},
            "entity code",
            "1-9 or A-Z",
            "GSTIN 27AAPFU0939F0ZV: 13th character (entity number) is '0', expected 1-9 or A-Z",
        ),
        (
            "27AAPFU0939F1KV",
            {},
            "14th character",
            "Z, 1-9 or A-J",
            "GSTIN 27AAPFU0939F1KV: 14th character is 'K', expected Z (or 1-9, A-J)",
        ),
        (
            "27AAPFU0939F1ZX",
            {},
            "check character",
            "V",
            "GSTIN 27AAPFU0939F1ZX: check character is 'X', expected 'V'",
        ),
        (
            "07DELA1234BB1DE",
            {},
            "format",
            "4 letters, a letter or digit, 4 digits, 1 letter",
            "GSTIN 07DELA1234BB1DE: characters 3-12 are 'DELA1234BB', not a TDS deductor's TAN"
            " (expected 4 letters, a letter or digit, 4 digits, 1 letter)",
        ),
        (
            "07X7UNO00157UNO",
            {},
            "format",
            "2 digits, 3 letters, 5 digits",
            "GSTIN 07X7UNO00157UNO: characters 3-12 are 'X7UNO00157', not a UIN"
            " (expected 2 digits, 3 letters, 5 digits)",
        ),
        (
            "9917US100001NRX",
            {},
            "format",
            "2 digits, 3 letters, 5 digits",
            "GSTIN 9917US100001NRX: characters 3-12 are '17US100001', not a non-resident's ID"
            " (expected 2 digits, 3 letters, 5 digits)",
        ),
    ],
)
def test_error_parts(
    text: str, options: dict[str, bool], part: str, expected: str, message: str
) -> None:
    error = _error(text, **options)
    assert (error.part, error.expected, str(error)) == (part, expected, message)
    assert error.text == text
    assert isinstance(error, ImsDomainError)
    assert isinstance(error, ValueError)
    assert gstin_problem(text, **options) == message


def test_first_problem_wins() -> None:
    # Wrong length and wrong check character: the length is what the user must fix first.
    assert _error("12GEOPS0823BBZHX").part == "length"
    # Unknown state and wrong check character: the state code is the readable problem.
    assert _error("72AAPFU0939F1ZV").part == "state code"


def test_message_quotes_awkward_input() -> None:
    message = str(_error("27AAPFU0939F1ZX\n"))
    assert message.startswith("GSTIN '27AAPFU0939F1ZX\\n': check character")
    assert "\n" not in message
    assert str(_error("")).startswith("GSTIN '': has 0 characters")


def test_message_cuts_long_input() -> None:
    message = str(_error("A" * 10_000))
    assert len(message) < 120
    assert "…" in message


# --- the shared vector file ------------------------------------------------------------------


def _vectors(shared_samples: Path) -> dict[str, Any]:
    path = shared_samples / "gstin" / "gstin-test-vectors.json"
    vectors: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return vectors


def _described_kind(description: str) -> GstinKind | None:
    """The kind a vector's free-text description names, if any."""
    text = description.lower()
    for pattern, kind in [
        (r"\btds\b", GstinKind.TDS),
        (r"\buin\b", GstinKind.UIN),
        (r"non-resident", GstinKind.NRTP),
        (r"\boidar\b", GstinKind.OIDAR),
        (r"e-commerce|\btcs\b", GstinKind.ECO),
        (r"^regular|^checksum-valid", GstinKind.REGULAR),
    ]:
        if re.search(pattern, text):
            return kind
    return None


@pytest.mark.samples
def test_shared_valid_vectors(shared_samples: Path) -> None:
    entries = _vectors(shared_samples)["valid"]
    assert entries
    for entry in entries:
        text, description = entry["gstin"], entry["kind"]
        assert check_character(text[:14]) == entry["verified_check_char"] == text[14]
        gstin = parse_gstin(text, strict=True)
        assert gstin.kind == _described_kind(description), text
        # The file flags the PAN-holder-type outliers in their description.
        if "holder" in description:
            assert _error(text, check_holder_type=True).part == "PAN"
        else:
            parse_gstin(text, check_holder_type=True)


@pytest.mark.samples
def test_shared_synthetic_valid_vectors(shared_samples: Path) -> None:
    entries = _vectors(shared_samples)["synthetic_valid"]
    assert entries
    for entry in entries:
        gstin = parse_gstin(entry["gstin"], strict=True)
        kind = _described_kind(entry["note"])
        if kind is not None:
            assert gstin.kind == kind, entry


@pytest.mark.samples
def test_shared_invalid_vectors(shared_samples: Path) -> None:
    entries = _vectors(shared_samples)["invalid"]
    assert entries
    for entry in entries:
        text, want = entry["gstin"], entry["expected_check_char_for_first14"]
        if want is not None:
            assert check_character(text[:14]) == want
        if text != text.upper():
            # Rejected by GSTN's case-sensitive tool: only strict mode refuses it.
            assert _error(text, strict=True).part == "characters"
            assert is_valid_gstin(text)
            continue
        error = _error(text)
        if len(text) != 15:
            assert error.part == "length", text
        elif text[:2] not in STATE_CODES:
            assert error.part == "state code", text
        else:
            assert (error.part, error.expected) == ("check character", want), text
        assert gstin_problem(text) == str(error)


@pytest.mark.samples
def test_shared_policy_dependent_vectors(shared_samples: Path) -> None:
    entries = _vectors(shared_samples)["checksum_valid_but_policy_dependent"]
    assert entries
    for entry in entries:
        text = entry["gstin"]
        assert (check_character(text[:14]) == text[14]) is entry["checksum_ok"]
        # Policy: follow GSTN's pattern ([Z1-9A-J] at 14, no holder-type check by default).
        assert parse_gstin(text).kind is GstinKind.REGULAR


# --- properties ------------------------------------------------------------------------------

_LETTERS = string.ascii_uppercase
regular_prefixes = st.builds(
    lambda state, letters, digits, last, entity, fourteenth: (
        state + letters + digits + last + entity + fourteenth
    ),
    st.sampled_from(sorted(STATE_CODES)),
    st.text(_LETTERS, min_size=5, max_size=5),
    st.text(string.digits, min_size=4, max_size=4),
    st.sampled_from(_LETTERS),
    st.sampled_from(ALPHABET[1:]),
    st.sampled_from(REGULAR_14TH),
)
valid_gstins = st.one_of(
    regular_prefixes.map(lambda prefix: prefix + check_character(prefix)),
    st.sampled_from([text for text, *_ in VALID]),
)


@given(regular_prefixes)
def test_any_regular_prefix_with_its_check_character_is_valid(prefix: str) -> None:
    gstin = parse_gstin(prefix + check_character(prefix), strict=True)
    assert gstin.kind is GstinKind.REGULAR
    assert gstin.pan == prefix[2:12]


@given(valid_gstins, st.integers(0, 14), st.sampled_from(ALPHABET))
def test_any_single_substitution_is_detected(text: str, position: int, new: str) -> None:
    assume(text[position] != new)
    changed = text[:position] + new + text[position + 1 :]
    assert check_character(changed[:14]) != changed[14]
    assert not is_valid_gstin(changed)


@pytest.mark.parametrize("text", [text for text, *_ in VALID])
def test_every_single_substitution_of_the_vectors_is_detected(text: str) -> None:
    for position in range(15):
        for new in ALPHABET.replace(text[position], ""):
            assert not is_valid_gstin(text[:position] + new + text[position + 1 :])


# 14 characters shaped like one of GSTN's patterns, or random, completed by a check character.
pattern_prefixes = st.one_of(
    *(
        st.from_regex(pattern, fullmatch=True).map(lambda text: text[:14])
        for pattern in GSTN_PATTERNS.values()
    ),
    st.text(ALPHABET, min_size=14, max_size=14),
)


@given(pattern_prefixes)
def test_agrees_with_gstn_patterns(prefix: str) -> None:
    text = prefix + check_character(prefix)
    kinds = _gstn_kinds(text)
    if kinds and text[:2] in STATE_CODES:
        assert parse_gstin(text).kind in kinds
    else:
        assert not is_valid_gstin(text)


@given(valid_gstins)
def test_lenient_accepts_lower_case_and_spaces(text: str) -> None:
    assert parse_gstin(f" {text[:7].lower()} {text[7:]} ").value == text


@given(
    st.one_of(st.text(), st.text(ALPHABET + "az -#\n", min_size=13, max_size=17)),
    st.booleans(),
    st.booleans(),
)
def test_arbitrary_text_raises_only_gstin_error(text: str, strict: bool, holder: bool) -> None:
    try:
        gstin = parse_gstin(text, strict=strict, check_holder_type=holder)
    except GstinError as error:
        assert str(error).startswith("GSTIN ")
    else:
        assert len(gstin.value) == 15


def test_R1_7_only_normal_and_government_registrations_have_ims() -> None:
    assert parse_gstin("27AAPFU0939F1ZV").has_ims
    for text in ("12AJIPA1572E1C7", "07DELA12345B1DE", "0717UNO00157UNO", "9917USA00001NRX"):
        assert not parse_gstin(text).has_ims, text
