"""The IMS download JSON and the IMS action upload (gst-formats.md §4.1-§4.4, §11; R3.7, R4.2,
R4.3, R8.5, R8.6, R8.8, OQ5, OQ9).

The shared sample is read through the `shared_samples` fixture only; every document built here
uses this project's own values.
"""

from __future__ import annotations

import contextlib
import copy
import json
import random
from collections import Counter
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ims_domain.actions import ItcReduction
from ims_domain.formats.common import FileFormat, FormatError
from ims_domain.formats.ims_actions import (
    ActionUpload,
    ActionUploadError,
    UploadedAction,
    build_action_upload,
    parse_action_upload,
)
from ims_domain.formats.ims_json import parse_ims
from ims_domain.formats.ims_writer import write_ims
from ims_domain.formats.jsonio import encode_json
from ims_domain.gstin import STATE_CODES, check_character
from ims_domain.money import TaxAmounts
from ims_domain.periods import ReturnPeriod
from ims_domain.records import (
    Action,
    FilingStatus,
    OriginalRef,
    Record,
    RecordKey,
    RecordKind,
    ReportedRecord,
)
from tests.builders import RECIPIENT, SUPPLIER, record

SAMPLE = "ims/india-compliance_test_ims.json"
# SUPPLIER with a wrong check character: well formed, so only a warning (gst-formats.md §5.3).
BAD_CHECK = SUPPLIER[:14] + ("5" if SUPPLIER[14] != "5" else "6")
OCT_2025 = ReturnPeriod(2025, 10)
SEP_2025 = ReturnPeriod(2025, 9)
D = Decimal


def _invoice(**changes: Any) -> dict[str, Any]:
    """A b2b GETINV record with this project's own values."""
    row: dict[str, Any] = {
        "stin": SUPPLIER,
        "inum": "KA/25-26/0042",
        "idt": "14-10-2025",
        "inv_typ": "R",
        "srcform": "R1",
        "rtnprd": "102025",
        "srcfilstatus": "Filed",
        "val": D("11800.00"),
        "pos": "27",
        "txval": D("10000.00"),
        "iamt": D("1800.00"),
        "camt": D("0"),
        "samt": D("0"),
        "cess": D("0"),
        "action": "N",
        "ispendactblocked": "N",
        "hash": "ab" * 32,
    }
    row.update(changes)
    return {key: value for key, value in row.items() if value is not _DROP}


_DROP = object()


def _note(section: str = "b2bcn", **changes: Any) -> dict[str, Any]:
    row = _invoice(inum=_DROP, idt=_DROP, nt_num="CN-7", nt_dt="02-11-2025", rtnprd="112025")
    if section.endswith("a"):
        row.update(ont_num="CN-6", ont_dt="20-10-2025")
    row.update(changes)
    return {key: value for key, value in row.items() if value is not _DROP}


def _boe(**changes: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "portcd": "INMAA1",
        "boenum": "4412345",
        "boedt": "03-10-2025",
        "itcprd": "102025",
        "txval": D("50000.00"),
        "igst": D("9000.00"),
        "cess": D("0"),
        "action": "N",
        "ispendactblocked": "N",
    }
    row.update(changes)
    return {key: value for key, value in row.items() if value is not _DROP}


def _parse(document: Any) -> Any:
    return parse_ims(encode_json(document), gstin=RECIPIENT)


# --- the shared sample (licensed third-party data: read only) -----------------------------


@pytest.mark.samples
def test_R8_5_sample_every_record_of_every_section_is_read(shared_samples: Path) -> None:
    data = (shared_samples / SAMPLE).read_bytes()
    raw = json.loads(data, parse_float=Decimal)
    parsed = parse_ims(data, gstin=RECIPIENT)

    assert parsed.format is FileFormat.IMS
    assert parsed.gstin == RECIPIENT
    assert parsed.refused == 0
    expected = Counter({section: len(rows) for section, rows in raw.items()})
    assert Counter(item.record.kind.value for item in parsed.records) == expected
    for item, row in zip(parsed.records, [r for rows in raw.values() for r in rows], strict=True):
        rec = item.record
        assert rec.key.supplier == row["stin"]
        assert rec.key.recipient == RECIPIENT
        assert rec.number == str(row.get("inum") or row.get("nt_num")).upper()
        assert rec.taxes.total == row["iamt"] + row["camt"] + row["samt"] + row["cess"]
        assert rec.value == row["val"]
        assert item.portal_action is Action(row["action"])
        assert item.portal_hash == row["hash"]
        assert rec.pending_blocked is (row["ispendactblocked"] == "Y")
        assert rec.supplier_period == ReturnPeriod.parse(row["rtnprd"])
        status = FilingStatus.parse(row["srcfilstatus"])
        assert rec.filing_status is status
        # R1.9: a record not yet filed has no certain 2B period.
        expected_period = rec.supplier_period if status is FilingStatus.FILED else None
        assert rec.two_b_period == expected_period
        assert (rec.original is not None) is rec.kind.is_amendment


@pytest.mark.samples
def test_sample_problems_are_only_check_character_warnings(shared_samples: Path) -> None:
    """gst-formats.md §5.3, §11.7: the sample's GSTINs fail the checksum: warn, never refuse."""
    parsed = parse_ims((shared_samples / SAMPLE).read_bytes(), gstin=RECIPIENT)
    assert parsed.problems
    for problem in parsed.problems:
        assert not problem.refused
        assert problem.field == "stin"
        assert "check character" in problem.reason
        assert problem.index is not None


@pytest.mark.samples
@pytest.mark.parametrize(
    "wrap",
    [
        lambda doc: {"data": doc},
        lambda doc: {"status_cd": "1", "data": doc},
        lambda doc: {"status_cd": "1", "data": {"data": doc}},
    ],
)
def test_sample_inside_envelopes_reads_the_same(shared_samples: Path, wrap: Any) -> None:
    """gst-formats.md §11.1: envelope depth varies."""
    data = (shared_samples / SAMPLE).read_bytes()
    bare = parse_ims(data, gstin=RECIPIENT)
    wrapped = _parse(wrap(json.loads(data, parse_float=Decimal)))
    assert wrapped.records == bare.records
    assert wrapped.problems == bare.problems


@pytest.mark.samples
def test_sample_round_trips_through_write_ims(shared_samples: Path) -> None:
    parsed = parse_ims((shared_samples / SAMPLE).read_bytes(), gstin=RECIPIENT)
    again = parse_ims(write_ims(parsed.records), gstin=RECIPIENT)
    assert again.records == parsed.records


# --- envelopes and whole-file errors ------------------------------------------------------


@pytest.mark.parametrize(
    "wrap",
    [
        lambda doc: doc,
        lambda doc: {"data": doc},
        lambda doc: {"status_cd": "1", "data": doc},
        lambda doc: {"status_cd": "1", "data": {"data": doc}},
    ],
)
def test_envelope_variants_are_unwrapped(wrap: Any) -> None:
    parsed = _parse(wrap({"b2b": [_invoice()], "b2bcn": [_note()]}))
    assert [item.record.kind for item in parsed.records] == [
        RecordKind.INVOICE,
        RecordKind.CREDIT_NOTE,
    ]
    assert parsed.problems == ()


def test_upper_case_section_codes_are_accepted() -> None:
    parsed = _parse({"B2B": [_invoice()], "B2BCN": [_note()]})
    assert len(parsed.records) == 2


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b'{"b2b": [{"stin": "29AAGCB7383J1Z4", "inum": ', "ends too early"),
        (b'{"b2b": [{"stin": "29AAGCB7383J1Z4", "inum": "X', "not valid JSON"),
        (b"\xff\xfe\x00garbage", "not UTF-8"),
        (b"this is not json", "not valid JSON"),
        (b"[]", "JSON list"),
        (b'[{"b2b": []}]', "JSON list"),
        (b"{}", "empty JSON object"),
        (b"42", "a number"),
        (b'"b2b"', "a text"),
        (b'{"data": {"docdata": {"b2b": []}}}', "no IMS section"),
        (b'{"status_cd": "1", "data": {"token": "abc", "est": "5"}}', "queued"),
        (b'{"status_cd": "0", "error": {"error_cd": "RET191", "message": "x"}}', "RET191"),
        (b'{"b2b": [' + b"1" * 5000 + b"]}", "not valid JSON"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    ],
)
def test_broken_files_raise_format_error_with_a_clear_message(data: bytes, words: str) -> None:
    with pytest.raises(FormatError) as caught:
        parse_ims(data, gstin=RECIPIENT)
    assert words in str(caught.value)
    if "no IMS section" in words or "list" in words or "empty" in words:
        assert "b2b, b2ba" in str(caught.value)  # names what was expected


def test_R8_4_no_data_answer_is_an_empty_download() -> None:
    answer = {"status_cd": "0", "error": {"error_cd": "RET13508", "message": "No data"}}
    parsed = _parse(answer)
    assert parsed.records == ()
    assert parsed.problems == ()
    assert "RET13508" in parsed.notes[0]


def test_a_malformed_recipient_gstin_is_a_format_error() -> None:
    with pytest.raises(FormatError, match="recipient"):
        parse_ims(encode_json({"b2b": [_invoice()]}), gstin="27AAPFU0939")


# --- fields (R8.5, R3.7, R1.9, §1) --------------------------------------------------------


def test_R8_5_fields_map_to_the_record() -> None:
    parsed = _parse({"b2b": [_invoice(remarks="Check rate", trdnm="Bengaluru Traders")]})
    (item,) = parsed.records
    rec = item.record
    assert rec.key == RecordKey.of(
        supplier=SUPPLIER,
        recipient=RECIPIENT,
        kind=RecordKind.INVOICE,
        number="KA/25-26/0042",
        document_date=date(2025, 10, 14),
    )
    assert rec.document_date == date(2025, 10, 14)
    assert (rec.value, rec.taxable_value) == (D("11800.00"), D("10000.00"))
    assert rec.taxes == TaxAmounts.of(igst="1800")
    assert rec.two_b_period == OCT_2025 == rec.supplier_period
    assert rec.filing_status is FilingStatus.FILED
    assert (rec.source_form, rec.invoice_type, rec.place_of_supply) == ("R1", "R", "27")
    assert rec.pending_blocked is False
    assert item.portal_action is Action.NO_ACTION
    assert item.portal_hash == "ab" * 32
    assert item.remarks == "Check rate"
    assert item.supplier_name == "Bengaluru Traders"


def test_R3_7_pending_blocked_flag_and_its_older_name() -> None:
    parsed = _parse(
        {
            "b2bcn": [
                _note(ispendactblocked="Y"),
                _note(nt_num="CN-8", ispendactblocked=_DROP, ispendactnallwd="Y"),
                _note(nt_num="CN-9", ispendactblocked=_DROP),
            ]
        }
    )
    assert [item.record.pending_blocked for item in parsed.records] == [True, True, None]


def test_R1_9_not_filed_record_has_no_2b_period_and_filed_uses_rtnprd() -> None:
    parsed = _parse(
        {
            "b2b": [
                _invoice(srcfilstatus="Not Filed"),
                _invoice(inum="B", srcfilstatus="FILED"),
                _invoice(inum="C", srcfilstatus="SAVED"),
                _invoice(inum="D", srcfilstatus=_DROP),
            ]
        }
    )
    statuses = [(i.record.filing_status, i.record.two_b_period) for i in parsed.records]
    assert statuses == [
        (FilingStatus.NOT_FILED, None),
        (FilingStatus.FILED, OCT_2025),
        (FilingStatus.NOT_FILED, None),
        (FilingStatus.FILED, OCT_2025),
    ]
    assert all(i.record.supplier_period == OCT_2025 for i in parsed.records)


def test_unknown_filing_status_is_a_warning_and_counts_as_filed() -> None:
    parsed = _parse({"b2b": [_invoice(srcfilstatus="Submitted")]})
    (item,) = parsed.records
    assert item.record.filing_status is FilingStatus.FILED
    (problem,) = parsed.problems
    assert (problem.field, problem.refused) == ("srcfilstatus", False)


def test_pos_as_a_number_is_zero_padded_and_csamt_is_read_as_cess() -> None:
    """gst-formats.md §1 (pos) and §11.3 (tax key names)."""
    row = _invoice(pos=7, cess=_DROP, csamt=D("12.50"), camt=_DROP, samt=_DROP)
    (item,) = _parse({"b2b": [row]}).records
    assert item.record.place_of_supply == "07"
    assert item.record.taxes == TaxAmounts.of(igst="1800", cess="12.50")


def test_omitted_amounts_are_zero_and_missing_val_is_value_plus_tax() -> None:
    """gst-formats.md §1: empty members are omitted."""
    row = _invoice(val=_DROP, camt=_DROP, samt=_DROP, cess=_DROP)
    parsed = _parse({"b2b": [row]})
    (item,) = parsed.records
    assert item.record.value == D("11800.00")
    (problem,) = parsed.problems
    assert (problem.field, problem.refused) == ("val", False)


def test_missing_rtnprd_on_a_filed_record_warns() -> None:
    parsed = _parse({"b2b": [_invoice(rtnprd=_DROP)]})
    assert parsed.records[0].record.two_b_period is None
    assert [(p.field, p.refused) for p in parsed.problems] == [("rtnprd", False)]


def test_amendments_carry_their_original() -> None:
    """R5.2: b2ba oinum/oidt, b2bcna ont_num/ont_dt."""
    parsed = _parse(
        {
            "b2ba": [_invoice(inum="INV-9A", oinum="INV-9", oidt="01-10-2025")],
            "b2bcna": [_note("b2bcna")],
        }
    )
    originals = [item.record.original for item in parsed.records]
    assert originals == [
        OriginalRef("INV-9", date(2025, 10, 1)),
        OriginalRef("CN-6", date(2025, 10, 20)),
    ]


def test_R1_5_bills_of_entry_read_port_code_and_sez_supplier() -> None:
    parsed = _parse(
        {
            "impg": [_boe()],
            "impga": [_boe(boenum="4412346")],
            "impgsez": [_boe(portcd=_DROP, sgstin=SUPPLIER, boenum="7700001")],
            "impgseza": [_boe(boenum="7700002", oboenum="7700001", oboedt="01-10-2025")],
        }
    )
    assert parsed.problems == ()
    boe, amended, sez, sez_amended = (item.record for item in parsed.records)
    assert boe.key.supplier == "INMAA1"
    assert boe.taxes == TaxAmounts.of(igst="9000")
    assert boe.value == D("59000.00")  # no `val` on a BoE: taxable value + tax
    assert boe.two_b_period == OCT_2025  # from `itcprd`
    # Without original keys an amendment amends the same BoE in place.
    assert amended.original == OriginalRef("4412346", date(2025, 10, 3))
    assert sez.key.supplier == SUPPLIER
    assert sez_amended.original == OriginalRef("7700001", date(2025, 10, 1))


def test_unknown_and_isd_sections_are_skipped_with_a_note() -> None:
    parsed = _parse({"b2b": [_invoice()], "isd": [{"x": 1}], "b2cs": [{"y": 2}]})
    assert len(parsed.records) == 1
    assert any("isd" in note and "OQ1" in note for note in parsed.notes)
    assert any("b2cs" in note for note in parsed.notes)


def test_a_section_that_is_not_a_list_is_one_refused_problem() -> None:
    parsed = _parse({"b2b": [_invoice()], "b2bcn": {"nt": [_note()]}})
    assert len(parsed.records) == 1
    (problem,) = parsed.problems
    assert (problem.section, problem.index, problem.refused) == ("b2bcn", None, True)


def test_the_same_document_twice_is_a_warning() -> None:
    parsed = _parse({"b2b": [_invoice(), _invoice(inum="ka/25-26/0042")]})
    assert len(parsed.records) == 2
    (problem,) = parsed.problems
    assert (problem.index, problem.field, problem.refused) == (1, "inum", False)


# --- row faults ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("section", "bad", "field"),
    [
        ("b2b", _invoice(inum=_DROP), "inum"),
        ("b2b", _invoice(inum="  "), "inum"),
        ("b2b", _invoice(inum="A|B"), "inum"),
        ("b2b", _invoice(idt="31-02-2025"), "idt"),
        ("b2b", _invoice(idt=_DROP), "idt"),
        ("b2b", _invoice(idt="01-01-2010"), "idt"),  # before GST: no financial year
        ("b2b", _invoice(txval="ten"), "txval"),
        ("b2b", _invoice(val=[1]), "val"),
        ("b2b", _invoice(iamt=D("1.005")), "iamt"),
        ("b2b", _invoice(camt=D("1E+40")), "camt"),
        ("b2b", _invoice(stin="29AAGCB7383"), "stin"),
        ("b2b", _invoice(stin=_DROP), "stin"),
        ("b2b", _invoice(rtnprd="132025"), "rtnprd"),
        ("b2ba", _invoice(oidt="01-10-2025"), "oinum"),
        ("b2ba", _invoice(oinum="INV-1"), "oidt"),
        ("b2bcna", _note("b2bcna", ont_num=_DROP), "ont_num"),
        ("b2bdna", _note("b2bdna", ont_dt="2025/13/45"), "ont_dt"),
        ("ecoma", _invoice(oinum="E-1", oidt="99-99-2025"), "oidt"),
        ("impg", _boe(portcd=_DROP), "portcd"),
        ("impg", _boe(boenum=_DROP), "boenum"),
        ("impgseza", _boe(oboenum="1"), "oboedt"),
        ("b2b", "not a record", "(row)"),
    ],
)
def test_row_faults_refuse_only_that_row(section: str, bad: Any, field: str) -> None:
    good = _boe() if section.startswith("impg") else _invoice(oinum="O-1", oidt="01-10-2025")
    if section.startswith("b2bdn") or section.startswith("b2bcn"):
        good = _note(section)
    parsed = _parse({section: [good, bad]})
    assert len(parsed.records) == 1
    refused = [p for p in parsed.problems if p.refused]
    assert [(p.section, p.index, p.field) for p in refused] == [(section, 1, field)]


def test_nan_literal_is_refused_as_an_amount() -> None:
    data = encode_json({"b2b": [_invoice()]}).replace(b"11800.00", b"NaN")
    parsed = parse_ims(data, gstin=RECIPIENT)
    assert parsed.records == ()
    assert [(p.field, p.refused) for p in parsed.problems] == [("val", True)]


@pytest.mark.parametrize(
    ("row", "field"),
    [
        (_invoice(stin=BAD_CHECK), "stin"),
        (_invoice(inum="INV 17"), "inum"),  # outside GSTN's pattern: kept
        (_invoice(inum="00"), "inum"),
        (_invoice(action="maybe"), "action"),
        (_invoice(pos="Delhi"), "pos"),
    ],
)
def test_doubtful_fields_are_warnings_and_the_row_is_kept(row: dict[str, Any], field: str) -> None:
    parsed = _parse({"b2b": [row]})
    assert len(parsed.records) == 1
    assert [(p.section, p.index, p.field, p.refused) for p in parsed.problems] == [
        ("b2b", 0, field, False)
    ]


# --- write_ims and round trips -------------------------------------------------------------


PAN = st.from_regex(r"[A-Z]{5}[0-9]{4}[A-Z]", fullmatch=True)
STATES = sorted(code for code in STATE_CODES if code not in {"96", "97", "99"})


@st.composite
def gstins(draw: st.DrawFn) -> str:
    first14 = draw(st.sampled_from(STATES)) + draw(PAN) + draw(st.sampled_from("123456789AB"))
    first14 += "Z"
    return first14 + check_character(first14)


NUMBERS = st.from_regex(r"[A-Za-z0-9/-]{1,16}", fullmatch=True)
DATES = st.dates(min_value=date(2017, 4, 1), max_value=date(2040, 3, 31))
PERIODS = DATES.map(ReturnPeriod.of)
MONEY = st.decimals(min_value=0, max_value=10**11, places=2, allow_nan=False)
PORTS = st.from_regex(r"IN[A-Z]{3}[0-9]", fullmatch=True)
TEXT = st.text(st.characters(exclude_characters="\x00"), max_size=30).map(str.strip).filter(bool)


@st.composite
def reported_records(draw: st.DrawFn, kinds: list[RecordKind] | None = None) -> ReportedRecord:
    kind = draw(st.sampled_from(kinds or list(RecordKind)))
    if kind.original_kind is RecordKind.BILL_OF_ENTRY:
        supplier = draw(PORTS)
    elif kind.original_kind is RecordKind.SEZ_BILL_OF_ENTRY:
        supplier = draw(st.one_of(gstins(), PORTS))
    else:
        supplier = draw(gstins())
    number = draw(NUMBERS)
    document_date = draw(DATES)
    original = OriginalRef(draw(NUMBERS), draw(DATES)) if kind.is_amendment else None
    if kind.is_import:
        taxes = TaxAmounts(igst=draw(MONEY), cess=draw(MONEY))
    else:
        taxes = TaxAmounts(draw(MONEY), draw(MONEY), draw(MONEY), draw(MONEY))
    status = draw(st.sampled_from(FilingStatus))
    supplier_period = draw(st.none() | PERIODS)
    rec = Record(
        key=RecordKey.of(
            supplier=supplier,
            recipient=RECIPIENT,
            kind=kind,
            number=number,
            document_date=document_date,
        ),
        document_date=document_date,
        value=draw(MONEY),
        taxable_value=draw(MONEY),
        taxes=taxes,
        two_b_period=supplier_period if status is FilingStatus.FILED else None,
        source_form=draw(st.sampled_from(["R1", "GSTR1A", "IFF"])),
        filing_status=status,
        original=original,
        pending_blocked=draw(st.none() | st.booleans()),
        place_of_supply=draw(st.none() | st.sampled_from(["07", "27", "29", "97"])),
        invoice_type=draw(st.none() | st.sampled_from(["R", "SEWP", "SEWOP", "DE", "B2B"])),
        supplier_period=supplier_period,
    )
    return ReportedRecord(
        record=rec,
        supplier_name=draw(st.none() | TEXT),
        portal_action=draw(st.none() | st.sampled_from(Action)),
        portal_hash=draw(st.none() | st.from_regex(r"[0-9a-f]{64}", fullmatch=True)),
        remarks=draw(st.none() | TEXT),
    )


def _by_section(records: list[ReportedRecord]) -> list[ReportedRecord]:
    order = list(RecordKind)
    return sorted(records, key=lambda item: order.index(item.record.kind))


@settings(max_examples=200, deadline=None)
@given(st.lists(reported_records(), max_size=12))
def test_write_ims_then_parse_ims_gives_back_the_records(records: list[ReportedRecord]) -> None:
    parsed = parse_ims(write_ims(records), gstin=RECIPIENT)
    assert list(parsed.records) == _by_section(records)
    assert parsed.refused == 0


def test_write_ims_writes_amounts_with_two_decimals_never_floats() -> None:
    item = ReportedRecord(record(igst="1800.5"))
    text = write_ims([item]).decode()
    assert '"iamt": 1800.50' in text
    assert '"val": 11800.50' in text


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes_raise_nothing_but_format_error(data: bytes) -> None:
    with contextlib.suppress(FormatError):
        parse_ims(data, gstin=RECIPIENT)


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.decimals(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=8,
)
FIELD_NAMES = [
    "stin", "inum", "idt", "nt_num", "nt_dt", "oinum", "oidt", "ont_num", "ont_dt", "boenum",
    "boedt", "portcd", "sgstin", "val", "txval", "iamt", "camt", "samt", "cess", "igst", "pos",
    "rtnprd", "itcprd", "srcfilstatus", "action", "ispendactblocked", "hash", "remarks",
]  # fmt: skip


def _mutate(document: Any, rng: random.Random, value: Any) -> Any:
    """Replace, drop or retype one part of a document built by our own writer."""
    if not isinstance(document, dict) or not document:
        return value
    sections = list(document)
    section = rng.choice(sections)
    choice = rng.randrange(5)
    if choice == 0:
        document[section] = value
    elif choice == 1:
        return {"status_cd": "1", "data": document} if rng.random() < 0.5 else {"data": document}
    else:
        rows = document[section]
        if not isinstance(rows, list) or not rows or not isinstance(rows[0], dict):
            return document
        row = rng.choice(rows)
        if not isinstance(row, dict):
            return document
        name = rng.choice(FIELD_NAMES)
        if choice == 2:
            row.pop(name, None)
        else:
            row[name] = value
    return document


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(reported_records(), min_size=1, max_size=4), st.randoms(), JSON_VALUES)
def test_mutated_documents_raise_nothing_but_format_error(
    records: list[ReportedRecord], rng: random.Random, value: Any
) -> None:
    document = json.loads(write_ims(records), parse_float=Decimal)
    for _ in range(rng.randrange(1, 4)):
        document = _mutate(document, rng, copy.deepcopy(value))
    data = encode_json(document)
    if rng.random() < 0.3:
        data = data[: rng.randrange(len(data) + 1)]
    try:
        parsed = parse_ims(data, gstin=RECIPIENT)
    except FormatError:
        return
    assert parsed.format is FileFormat.IMS


# --- the action upload (R8.6, R8.8, R4.2, R4.3, OQ5, OQ9) ----------------------------------


def _upload(
    rec: Record,
    action: Action,
    portal: Action = Action.NO_ACTION,
    **extra: Any,
) -> ActionUpload:
    return ActionUpload(record=rec, action=action, portal_action=portal, **extra)


def _sent(uploads: list[ActionUpload], **kwargs: Any) -> tuple[list[UploadedAction], Any]:
    result = build_action_upload(uploads, recipient_gstin=RECIPIENT, **kwargs)
    return [item for data in result.files for item in parse_action_upload(data)], result


def _rows(result: Any) -> list[dict[str, Any]]:
    rows = []
    for data in result.files:
        for section_rows in json.loads(data, parse_float=Decimal)["invdata"].values():
            rows.extend(section_rows)
    return rows


@st.composite
def chosen_actions(draw: st.DrawFn) -> tuple[list[ReportedRecord], list[Action]]:
    records = draw(st.lists(reported_records(), min_size=1, max_size=10))
    keys = set()
    unique = []
    for item in records:
        identity = (item.record.kind, item.record.key.supplier, item.record.number)
        if identity not in keys:
            keys.add(identity)
            unique.append(item)
    return unique, [draw(st.sampled_from(Action)) for _ in unique]


@settings(max_examples=150, deadline=None)
@given(chosen_actions())
def test_R8_8_download_to_upload_round_trip(
    chosen: tuple[list[ReportedRecord], list[Action]],
) -> None:
    """Parse a download, choose actions, build the upload, read it back: exactly the actions
    that differ from the portal's are sent; never P on a blocked record, never R on a BoE."""
    records, actions = chosen
    downloaded = parse_ims(write_ims(records), gstin=RECIPIENT).records
    by_key = dict(zip([r.record.key.text for r in records], actions, strict=True))
    uploads = [ActionUpload.of(item, by_key[item.record.key.text]) for item in downloaded]

    sent, result = _sent(uploads)

    def allowed(upload: ActionUpload) -> bool:
        blocked = upload.action is Action.PENDING and upload.record.pending_blocked
        return not blocked and not (upload.action is Action.REJECT and upload.record.kind.is_import)

    wanted = {
        (u.record.kind.value, u.record.key.supplier, u.record.number, u.action)
        for u in uploads
        if u.action is not u.portal_action and allowed(u)
    }
    got = {(s.section, s.supplier, s.number, s.action or Action.NO_ACTION) for s in sent}
    assert got == wanted
    assert len(sent) == len(wanted)
    portal = {(u.record.kind.value, u.record.key.supplier, u.record.number): u for u in uploads}
    for item in sent:
        upload = portal[(item.section, item.supplier, item.number)]
        assert item.prev_status is upload.portal_action
        assert (item.request_type == "RESET") is (item.action is None)
    refused = {u.record.key.text for u in uploads if u.action is not u.portal_action}
    refused -= {u.record.key.text for u in uploads if allowed(u)}
    assert {rec.key.text for rec, _ in result.skipped} == refused


def test_R8_8_only_changed_records_are_sent() -> None:
    same = record(number="SAME")
    changed = record(number="CHANGED")
    sent, result = _sent(
        [_upload(same, Action.ACCEPT, Action.ACCEPT), _upload(changed, Action.ACCEPT)]
    )
    assert [(s.number, s.action, s.prev_status) for s in sent] == [
        ("CHANGED", Action.ACCEPT, Action.NO_ACTION)
    ]
    assert json.loads(result.files[0])["reqtyp"] == "SAVE"


def test_R8_8_R3_7_never_pending_on_a_blocked_record() -> None:
    blocked = record(RecordKind.CREDIT_NOTE, number="CN-1", pending_blocked=True)
    free = record(RecordKind.CREDIT_NOTE, number="CN-2", pending_blocked=False)
    sent, result = _sent([_upload(blocked, Action.PENDING), _upload(free, Action.PENDING)])
    assert [s.number for s in sent] == ["CN-2"]
    assert [(rec.number, "R8.8" in why) for rec, why in result.skipped] == [("CN-1", True)]
    assert all(row.get("action") != "P" for row in _rows(result) if row["nt_num"] == "CN-1")


def test_R1_5_a_bill_of_entry_is_never_rejected() -> None:
    boe = record(RecordKind.BILL_OF_ENTRY, supplier="INMAA1", number="4412345")
    sent, result = _sent([_upload(boe, Action.REJECT)])
    assert sent == []
    assert "R1.5" in result.skipped[0][1]


def test_R8_6_reset_goes_in_a_reset_file_without_action() -> None:
    rec = record(number="INV-5")
    result = build_action_upload(
        [_upload(rec, Action.NO_ACTION, Action.REJECT), _upload(record(), Action.ACCEPT)],
        recipient_gstin=RECIPIENT,
    )
    save, reset = (json.loads(data, parse_float=Decimal) for data in result.files)
    assert (save["reqtyp"], reset["reqtyp"]) == ("SAVE", "RESET")
    assert save["rtin"] == reset["rtin"] == RECIPIENT
    (row,) = reset["invdata"]["b2b"]
    assert "action" not in row
    assert row["prev_status"] == "R"


def test_R8_6_record_echoes_identifying_and_amount_fields_as_two_decimal_numbers() -> None:
    note = replace(
        record(RecordKind.CREDIT_NOTE, number="CN/25-26/031", igst="360"),
        place_of_supply="29",
        invoice_type="R",
        supplier_period=ReturnPeriod(2025, 11),
        two_b_period=ReturnPeriod(2025, 11),
    )
    result = build_action_upload(
        [_upload(note, Action.REJECT, remarks="Goods not returned")], recipient_gstin=RECIPIENT
    )
    (data,) = result.files
    row = json.loads(data, parse_float=Decimal)["invdata"]["b2bcn"][0]
    assert list(row) == [
        "stin", "nt_num", "nt_dt", "inv_typ", "srcform", "rtnprd", "val", "pos", "txval",
        "iamt", "camt", "samt", "cess", "prev_status", "action", "remarks",
    ]  # fmt: skip
    assert row["rtnprd"] == "112025"
    assert b'"iamt":360.00' in data
    assert b'"txval":10000.00' in data
    assert row["remarks"] == "Goods not returned"


def test_R8_6_amendments_echo_their_original_and_boe_only_boe_fields() -> None:
    amended = record(
        RecordKind.INVOICE_AMENDMENT,
        number="INV-9A",
        original=OriginalRef("INV-9", date(2025, 10, 1)),
    )
    boe = record(RecordKind.BILL_OF_ENTRY_AMENDMENT, supplier="INMAA1", number="4412345")
    result = build_action_upload(
        [_upload(amended, Action.ACCEPT), _upload(boe, Action.ACCEPT)], recipient_gstin=RECIPIENT
    )
    rows = _rows(result)
    assert (rows[0]["oinum"], rows[0]["oidt"]) == ("INV-9", "01-10-2025")
    assert set(rows[1]) == {
        "portcd", "boenum", "boedt", "itcprd", "txval", "igst", "cess", "prev_status", "action"
    }  # fmt: skip


CN = record(RecordKind.CREDIT_NOTE, number="CN-52", igst="1800", cgst="0", sgst="0")


@pytest.mark.parametrize(
    ("reduction", "expected"),
    [
        (None, {"itcRedReq": "Y"}),
        (ItcReduction.full(), {"itcRedReq": "Y"}),
        (ItcReduction.none(), {"itcRedReq": "N"}),
        (
            ItcReduction.partial(TaxAmounts.of(igst="1000")),
            {
                "itcRedReq": "Y",
                "declIgst": D("1000.00"),
                "declCgst": D("0.00"),
                "declSgst": D("0.00"),
                "declCess": D("0.00"),
            },
        ),
    ],
)
def test_R4_2_R8_6_E8_itc_reduction_on_accepted_specified_records(
    reduction: ItcReduction | None, expected: dict[str, Any]
) -> None:
    result = build_action_upload(
        [_upload(CN, Action.ACCEPT, itc_reduction=reduction, specified=True, remarks="Claimed")],
        recipient_gstin=RECIPIENT,
    )
    (row,) = _rows(result)
    declared = {k: v for k, v in row.items() if k == "itcRedReq" or k.startswith("decl")}
    assert declared == expected
    # A remark goes only with a partial or nil declaration (R4.2).
    assert ("remarks" in row) is (expected != {"itcRedReq": "Y"})


def test_R4_2_R8_6_no_itc_fields_elsewhere() -> None:
    cases = [
        _upload(record(number="INV-1"), Action.ACCEPT),  # not specified
        _upload(replace(CN, two_b_period=SEP_2025), Action.ACCEPT, specified=True),  # old rule
        _upload(record(RecordKind.CREDIT_NOTE, number="CN-2"), Action.REJECT, specified=True),
        _upload(
            record(RecordKind.CREDIT_NOTE, number="CN-3"),
            Action.PENDING,
            specified=True,
            itc_reduction=ItcReduction.none(),
        ),
    ]
    rows = _rows(build_action_upload(cases, recipient_gstin=RECIPIENT))
    assert len(rows) == 4
    for row in rows:
        assert not any(key == "itcRedReq" or key.startswith("decl") for key in row)


def test_R4_2_not_sendable_declarations_skip_the_record() -> None:
    half = ItcReduction.partial(TaxAmounts.of(cgst="100", sgst="50"))
    above = ItcReduction.partial(TaxAmounts.of(igst="5000"))
    old = replace(CN, key=replace(CN.key, number="CN-OLD"), two_b_period=SEP_2025)
    cases = [
        _upload(CN, Action.ACCEPT, specified=True, itc_reduction=half),
        _upload(record(number="CN-X"), Action.ACCEPT, itc_reduction=ItcReduction.none()),
        _upload(replace(CN, key=replace(CN.key, number="CN-B")), Action.ACCEPT, specified=True,
                itc_reduction=above),
        _upload(old, Action.ACCEPT, specified=True, itc_reduction=ItcReduction.none()),
    ]  # fmt: skip
    result = build_action_upload(cases, recipient_gstin=RECIPIENT)
    assert result.files == []
    reasons = [why for _, why in result.skipped]
    assert "CGST and SGST" in reasons[0]
    assert "not a specified record" in reasons[1]
    assert "above" in reasons[2]
    assert "before Oct-2025" in reasons[3]


def test_R4_3_OQ9_remarks_rules() -> None:
    long_text = "x" * 201
    cases = [
        _upload(record(number="R-OK"), Action.REJECT, remarks="Not ours"),
        _upload(record(number="R-BLOCK"), Action.REJECT, remarks="Hidden", remarks_blocked=True),
        _upload(record(number="A-PLAIN"), Action.ACCEPT, remarks="Fine"),
        _upload(record(number="R-OLD", period=SEP_2025), Action.REJECT, remarks="Old"),
        _upload(record(number="R-LONG"), Action.REJECT, remarks=long_text),
        _upload(record(number="P-EXACT"), Action.PENDING, remarks="y" * 200),
    ]
    result = build_action_upload(cases, recipient_gstin=RECIPIENT)
    remarks = {row["inum"]: row.get("remarks") for row in _rows(result)}
    assert remarks == {
        "R-OK": "Not ours",
        "R-BLOCK": None,
        "A-PLAIN": None,
        "R-OLD": None,
        "P-EXACT": "y" * 200,
    }
    assert [(rec.number, "OQ9" in why) for rec, why in result.skipped] == [("R-LONG", True)]
    assert {rec.number for rec, _ in result.notes} == {"R-BLOCK", "A-PLAIN", "R-OLD"}


def test_other_recipient_and_duplicates_are_skipped() -> None:
    other = record(number="X", recipient="07AAPFU0939F1ZX")
    rec = record(number="Y")
    sent, result = _sent(
        [_upload(other, Action.ACCEPT), _upload(rec, Action.ACCEPT), _upload(rec, Action.REJECT)]
    )
    assert [(s.number, s.action) for s in sent] == [("Y", Action.ACCEPT)]
    assert len(result.skipped) == 2


@settings(max_examples=60, deadline=None)
@given(
    st.lists(reported_records(), min_size=1, max_size=30),
    st.integers(min_value=1, max_value=7),
    st.integers(min_value=700, max_value=3000),
)
def test_OQ5_files_respect_max_records_and_max_bytes(
    records: list[ReportedRecord], max_records: int, max_bytes: int
) -> None:
    uploads = []
    seen = set()
    for item in records:
        if item.record.key.text in seen:
            continue
        seen.add(item.record.key.text)
        uploads.append(_upload(item.record, Action.ACCEPT, Action.NO_ACTION))
    result = build_action_upload(
        uploads, recipient_gstin=RECIPIENT, max_records=max_records, max_bytes=max_bytes
    )
    total = 0
    for data in result.files:
        assert len(data) <= max_bytes
        pairs = json.loads(data, object_pairs_hook=list)
        invdata = dict(pairs)["invdata"]
        sections = [name for name, _ in invdata]
        assert len(sections) == len(set(sections))  # grouped: each section once per file
        count = sum(len(rows) for _, rows in invdata)
        assert 1 <= count <= max_records
        total += count
    assert total + len(result.skipped) == len(uploads)
    assert all("OQ5" in why for _, why in result.skipped)


def test_OQ5_defaults_split_a_large_upload() -> None:
    uploads = [_upload(record(number=f"INV-{n}"), Action.ACCEPT) for n in range(1201)]
    result = build_action_upload(uploads, recipient_gstin=RECIPIENT)
    counts = [len(parse_action_upload(data)) for data in result.files]
    assert counts == [500, 500, 201]


def test_OQ5_impossible_limits_are_refused() -> None:
    with pytest.raises(ActionUploadError):
        build_action_upload([], recipient_gstin=RECIPIENT, max_records=0)
    with pytest.raises(ActionUploadError):
        build_action_upload([], recipient_gstin=RECIPIENT, max_bytes=10)


@pytest.mark.parametrize(
    "data",
    [
        b"[]",
        b'{"rtin": "X", "reqtyp": "SEND", "invdata": {}}',
        b'{"rtin": "X", "reqtyp": "SAVE"}',
        b'{"rtin": "X", "reqtyp": "SAVE", "invdata": {"b2cs": []}}',
        b'{"rtin": "X", "reqtyp": "SAVE", "invdata": {"b2b": [{"stin": "A"}]}}',
        b'{"rtin": "X", "reqtyp": "SAVE", "invdata": {"b2b": '
        b'[{"stin": "A", "inum": "1", "prev_status": "Q"}]}}',
        b"{not json",
    ],
)
def test_parse_action_upload_refuses_malformed_files(data: bytes) -> None:
    with pytest.raises(FormatError):
        parse_action_upload(data)
