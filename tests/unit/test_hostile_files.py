"""Hostile values in the portal files we read: each refuses its row (naming section, index and
field), never the file, and a duplicated JSON key refuses the file whoever reads it.

Every document is written by our own writers (or by hand) and then spoiled one field at a time.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ims_domain.formats.common import FormatError, ParsedFile, SupplierViewEntry
from ims_domain.formats.gstr1 import parse_gstr1, write_gstr1
from ims_domain.formats.gstr2b import parse_gstr2b, write_gstr2b
from ims_domain.formats.ims_actions import ActionUpload, build_action_upload
from ims_domain.formats.ims_json import parse_ims, stream_ims
from ims_domain.formats.ims_writer import write_ims
from ims_domain.formats.jsonio import NotStreamable, encode_json, load_json, stream_lists
from ims_domain.formats.supplier_view import parse_supplier_view, write_supplier_view
from ims_domain.records import Action, RecordKind, ReportedRecord
from ims_domain.text_limits import DOCUMENT_NUMBER_MAX, NAME_MAX
from storage.files import read_upload
from tests.builders import OCT_2025, RECIPIENT, SUPPLIER, record

D = Decimal
Document = dict[str, Any]


def _ims(**changes: Any) -> tuple[bytes, Callable[[bytes], ParsedFile], str]:
    document = load_json(write_ims([ReportedRecord(record(), supplier_name="Sharma")]))
    document["b2b"][0].update(changes)
    return encode_json(document), lambda data: parse_ims(data, gstin=RECIPIENT), "b2b"


def _gstr2b(**changes: Any) -> tuple[bytes, Callable[[bytes], ParsedFile], str]:
    document = load_json(write_gstr2b([record()], gstin=RECIPIENT, period=OCT_2025))
    document["data"]["docdata"]["b2b"][0]["inv"][0].update(changes)
    return encode_json(document), lambda data: parse_gstr2b(data, gstin=RECIPIENT), "b2b"


def _gstr1(item: bool = False, **changes: Any) -> tuple[bytes, Callable[[bytes], ParsedFile], str]:
    document = load_json(write_gstr1([ReportedRecord(record())], gstin=SUPPLIER, period=OCT_2025))
    doc = document["b2b"][0]["inv"][0]
    (doc["itms"][0]["itm_det"] if item else doc).update(changes)
    return encode_json(document), lambda data: parse_gstr1(data, gstin=RECIPIENT), "b2b"


def _supplier_view(**changes: Any) -> tuple[bytes, Callable[[bytes], ParsedFile], str]:
    entry = SupplierViewEntry(RECIPIENT, "b2b", "INV-1", date(2025, 10, 1), Action.ACCEPT, "ok")
    document = load_json(write_supplier_view([entry], gstin=SUPPLIER, period=OCT_2025))
    document["b2b"][0]["inv"][0].update(changes)
    return encode_json(document), lambda data: parse_supplier_view(data, gstin=SUPPLIER), "b2b"


def _read_count(parsed: ParsedFile) -> int:
    return len(parsed.records) + len(parsed.supplier_actions)


HOSTILE_ROWS = [
    # negative amounts
    ("ims", _ims, {"val": D("-11800.00")}, "val"),
    ("ims", _ims, {"txval": D("-1.00")}, "txval"),
    ("ims", _ims, {"iamt": D("-1800.00")}, "iamt"),
    ("ims", _ims, {"camt": D("-0.01")}, "camt"),
    ("ims", _ims, {"samt": "-5"}, "samt"),
    ("ims", _ims, {"cess": D("-1")}, "cess"),
    ("gstr2b", _gstr2b, {"val": D("-1")}, "val"),
    ("gstr2b", _gstr2b, {"txval": D("-1")}, "txval"),
    ("gstr2b", _gstr2b, {"igst": D("-1")}, "igst"),
    ("gstr2b", _gstr2b, {"cess": D("-1")}, "cess"),
    ("gstr1", _gstr1, {"val": D("-1")}, "val"),
    ("gstr1 item", lambda **c: _gstr1(True, **c), {"txval": D("-1")}, "itms[0].txval"),
    ("gstr1 item", lambda **c: _gstr1(True, **c), {"iamt": D("-1")}, "itms[0].iamt"),
    ("gstr1 item", lambda **c: _gstr1(True, **c), {"csamt": D("-1")}, "itms[0].csamt"),
    # blank or null tax fields
    ("ims", _ims, {"iamt": None}, "iamt"),
    ("ims", _ims, {"camt": ""}, "camt"),
    ("ims", _ims, {"txval": None}, "txval"),
    ("ims", _ims, {"val": None}, "val"),
    ("gstr2b", _gstr2b, {"igst": None}, "igst"),
    ("gstr2b", _gstr2b, {"txval": " "}, "txval"),
    ("gstr1 item", lambda **c: _gstr1(True, **c), {"iamt": None}, "itms[0].iamt"),
    # a hash that is not a text
    ("ims", _ims, {"hash": 12345}, "hash"),
    ("ims", _ims, {"hash": ["ab"]}, "hash"),
    ("ims", _ims, {"hash": {"a": "b"}}, "hash"),
    ("ims", _ims, {"hash": True}, "hash"),
    ("ims", _ims, {"hash": "h" * 129}, "hash"),
    # NUL in identifiers
    ("ims", _ims, {"inum": "INV\x001"}, "inum"),
    ("ims", _ims, {"stin": SUPPLIER + "\x00"}, "stin"),
    ("gstr2b", _gstr2b, {"inum": "INV\x001"}, "inum"),
    ("gstr1", _gstr1, {"inum": "INV\x001"}, "inum"),
    ("supplier view", _supplier_view, {"inum": "INV\x001"}, "inum"),
    # amounts too large to be money
    ("ims", _ims, {"val": D("1E+30")}, "val"),
    ("ims", _ims, {"iamt": 99999999999999999999}, "iamt"),
    ("ims", _ims, {"txval": int("9" * 400)}, "txval"),
    ("gstr2b", _gstr2b, {"igst": D("1E+30")}, "igst"),
    ("gstr1 item", lambda **c: _gstr1(True, **c), {"txval": D("9" * 40)}, "itms[0].txval"),
    # document numbers over the portal's 16 characters
    ("ims", _ims, {"inum": "A" * (DOCUMENT_NUMBER_MAX + 1)}, "inum"),
    ("gstr2b", _gstr2b, {"inum": "A" * (DOCUMENT_NUMBER_MAX + 1)}, "inum"),
    ("gstr1", _gstr1, {"inum": "A" * (DOCUMENT_NUMBER_MAX + 1)}, "inum"),
    ("supplier view", _supplier_view, {"inum": "A" * (DOCUMENT_NUMBER_MAX + 1)}, "inum"),
    # remarks a file cannot hold
    ("supplier view", _supplier_view, {"remarks": "r" * 501}, "remarks"),
    ("ims", _ims, {"remarks": "r" * 501}, "remarks"),
    # codes that are not codes
    ("ims", _ims, {"srcform": "R1" * 50}, "srcform"),
    ("ims", _ims, {"inv_typ": "R" * 100}, "inv_typ"),
    ("gstr2b", _gstr2b, {"typ": "R" * 100}, "typ"),
]


@pytest.mark.parametrize(
    ("build", "changes", "field"),
    [pytest.param(build, changes, field, id=f"{name}-{field}-{next(iter(changes.values()))!r:.20}")
     for name, build, changes, field in HOSTILE_ROWS],
)  # fmt: skip
def test_a_hostile_value_refuses_its_row_naming_section_index_and_field(
    build: Callable[..., tuple[bytes, Callable[[bytes], ParsedFile], str]],
    changes: dict[str, Any],
    field: str,
) -> None:
    data, parse, section = build(**changes)
    assert _read_count(parse(build()[0])) == 1  # the unspoiled file reads
    parsed = parse(data)
    assert _read_count(parsed) == 0
    refused = [p for p in parsed.problems if p.refused]
    assert [(p.section, p.index, p.field) for p in refused] == [(section, 0, field)], refused


@pytest.mark.parametrize(
    "changes",
    [{"val": D("1E+30")}, {"iamt": 99999999999999999999}, {"txval": int("9" * 400)}],
)
def test_an_amount_too_large_is_refused_as_such(changes: dict[str, Any]) -> None:
    data, parse, _ = _ims(**changes)
    (problem,) = parse(data).problems
    assert "amount too large" in problem.reason


def test_the_portal_limit_is_named_when_a_number_is_too_long() -> None:
    data, parse, _ = _ims(inum="A" * 17)
    (problem,) = parse(data).problems
    assert f"at most {DOCUMENT_NUMBER_MAX} characters" in problem.reason


def test_a_missing_tax_head_is_still_zero() -> None:
    """The portal omits empty members (gst-formats.md §1): absent is 0, only null is refused."""
    document = load_json(write_ims([ReportedRecord(record())]))
    del document["b2b"][0]["camt"]
    parsed = parse_ims(encode_json(document), gstin=RECIPIENT)
    assert parsed.records[0].record.taxes.cgst == 0
    assert not [p for p in parsed.problems if p.refused]


@pytest.mark.parametrize(("build", "key"), [(_ims, "trdnm"), (_ims, "remarks")])
def test_a_nul_in_a_name_or_remark_is_removed_with_a_warning(
    build: Callable[..., tuple[bytes, Callable[[bytes], ParsedFile], str]], key: str
) -> None:
    data, parse, _ = build(**{key: "Sharma\x00 Steel"})
    parsed = parse(data)
    (item,) = parsed.records
    assert (item.supplier_name if key == "trdnm" else item.remarks) == "Sharma Steel"
    (warning,) = parsed.problems
    assert (warning.field, warning.refused) == (key, False)
    assert "NUL" in warning.reason


def test_gstr2b_trade_name_nul_removed_and_long_name_shortened() -> None:
    document = load_json(write_gstr2b([record()], gstin=RECIPIENT, period=OCT_2025))
    document["data"]["docdata"]["b2b"][0]["trdnm"] = "N\x00" + "x" * 300
    parsed = parse_gstr2b(encode_json(document), gstin=RECIPIENT)
    name = parsed.records[0].supplier_name
    assert name is not None and len(name) == NAME_MAX and name.endswith("…")
    assert "\x00" not in name
    assert {p.field for p in parsed.problems} == {"trdnm"}
    assert not [p for p in parsed.problems if p.refused]


def test_a_long_trade_name_is_shortened_with_an_ellipsis_and_a_warning() -> None:
    data, parse, _ = _ims(trdnm="S" * 500)
    parsed = parse(data)
    (item,) = parsed.records
    assert item.supplier_name == "S" * (NAME_MAX - 1) + "…"
    (warning,) = parsed.problems
    assert (warning.field, warning.refused) == ("trdnm", False)
    assert str(NAME_MAX) in warning.reason


# --- duplicated keys ------------------------------------------------------------------------


_ROW = encode_json(load_json(write_ims([ReportedRecord(record())]))["b2b"][0]).decode()
_OTHER = _ROW.replace('"INV-1"', '"INV-2"')


@pytest.mark.parametrize(
    "text",
    [
        f'{{"b2b": [{_ROW}], "b2b": []}}',
        f'{{"b2b": [], "b2b": [{_ROW}]}}',
        f'{{"b2b": [{_ROW}], "b2b": [{_OTHER}]}}',
        f'{{"data": {{"b2b": [{_ROW}]}}, "data": {{}}}}',
        '{"b2b": [' + _ROW.replace('"iamt":', '"iamt":1.00,"iamt":') + "]}",
    ],
)
def test_a_duplicated_key_refuses_the_whole_file_by_every_reader(text: str) -> None:
    data = text.encode()
    with pytest.raises(FormatError, match="twice") as streamed:
        stream_ims(data, gstin=RECIPIENT)
    with pytest.raises(FormatError, match="twice") as loaded:
        load_json(data)
    assert str(streamed.value) == str(loaded.value)
    with pytest.raises(FormatError, match="twice"):
        read_upload(data, gstin=RECIPIENT)


def test_the_duplicate_message_names_the_key() -> None:
    with pytest.raises(FormatError) as caught:
        load_json(b'{"gstin": "x", "b2b": [], "b2b": []}')
    assert "'b2b'" in str(caught.value)


def _outcome(read: Callable[[], Any]) -> tuple[str, Any]:
    try:
        return "read", read()
    except FormatError as exc:
        return "refused", str(exc)
    except NotStreamable:
        return "not streamable", None


_keys = st.sampled_from(["b2b", "b2ba", "data", "x", "iamt", "inum"])
_leaves = st.none() | st.booleans() | st.integers(-5, 5) | st.text("ab", max_size=2)
_json_values = st.recursive(
    _leaves,
    lambda inner: (
        st.lists(inner, max_size=3) | st.lists(st.tuples(_keys, inner), max_size=4)
    ),  # an object as its (possibly repeated) pairs
    max_leaves=12,
)


def _text_of(value: Any) -> str:
    """JSON text of `value`; a list of (key, value) pairs is an object that may repeat keys."""
    if isinstance(value, list) and value and all(isinstance(v, tuple) for v in value):
        return "{" + ",".join(f"{json.dumps(k)}:{_text_of(v)}" for k, v in value) + "}"
    if isinstance(value, tuple):
        return _text_of(list(value))
    if isinstance(value, list):
        return "[" + ",".join(_text_of(v) for v in value) + "]"
    return json.dumps(value)


@given(pairs=st.lists(st.tuples(_keys, _json_values), max_size=5))
@settings(max_examples=300, deadline=None)
def test_streaming_and_whole_loading_agree_on_duplicated_keys(pairs: list[Any]) -> None:
    """stream_lists and load_json refuse the same files with the same message; on the others
    the rows streamed are exactly those of the lists whole loading keeps."""
    data = _text_of(pairs or [("x", 1)]).encode()
    rows: list[tuple[str, int, Any]] = []
    whole = _outcome(lambda: load_json(data))
    streamed = _outcome(
        lambda: stream_lists(data, streamed=lambda _: True, on_item=lambda *row: rows.append(row))
    )
    assert streamed == whole
    if whole[0] == "read":
        assert rows == list(_list_rows(whole[1]))


def _list_rows(document: dict[str, Any], depth: int = 0) -> Any:
    """(key, index, item) of every list in `document` and its `data` wrappers, as streamed."""
    for key, value in document.items():
        if isinstance(value, list):
            yield from ((key, index, item) for index, item in enumerate(value))
        elif key == "data" and isinstance(value, dict) and depth < 4:
            yield from _list_rows(value, depth + 1)


# --- JSON of a shape we do not read --------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        b"[]", b"[1,2]", b'{"a":1}', b'"text"', b"123", b"-5", b"null", b"true", b"false",
        b"\xef\xbb\xbf[]", b"\xef\xbb\xbf  123", b'  \n\t"x"', b"\r\n null ", b"{}",
        b'[{"a": 1}]', b'[{"Supplier GSTIN": "29AAGCB7383J1Z4", "Document number": "INV-1"}]',
    ],
)  # fmt: skip
def test_json_of_another_shape_is_not_a_file_we_read(data: bytes) -> None:
    with pytest.raises(FormatError) as caught:
        read_upload(data, gstin=RECIPIENT)
    message = str(caught.value)
    assert "not a file we read" in message
    assert "IMS download JSON" in message and "purchase register" in message
    assert "lacks" not in message


def test_a_register_csv_that_starts_with_a_quote_is_still_a_register() -> None:
    header = '"Supplier GSTIN","Document number","Document date","Taxable value","IGST"\r\n'
    csv = (header + f"{SUPPLIER},INV-1,18-10-2025,100.00,18.00\r\n").encode()
    parsed = read_upload(csv, gstin=RECIPIENT)
    assert [r.record.number for r in parsed.records] == ["INV-1"]


def test_gstr1_items_that_sum_past_the_limit_refuse_the_row() -> None:
    document = load_json(write_gstr1([ReportedRecord(record())], gstin=SUPPLIER, period=OCT_2025))
    doc = document["b2b"][0]["inv"][0]
    doc["itms"] = [{"num": 1, "itm_det": {"txval": D("999999999999999.00")}}] * 100
    parsed = parse_gstr1(encode_json(document), gstin=RECIPIENT)
    assert [(p.field, p.refused) for p in parsed.problems] == [("itms", True)]
    assert "amount too large" in parsed.problems[0].reason


def test_the_action_upload_never_cuts_a_remark_over_the_limit() -> None:
    """A remark over the limit can no longer be stored; if one is found it is refused loudly,
    naming the limit, and the record stays out of the upload rather than carry a cut remark."""
    long, short = record(number="LONG-1"), record(number="SHORT-1")
    result = build_action_upload(
        [
            ActionUpload(long, Action.REJECT, Action.NO_ACTION, remarks="r" * 201),
            ActionUpload(short, Action.REJECT, Action.NO_ACTION, remarks="r" * 200),
        ],
        recipient_gstin=RECIPIENT,
        remarks_max_len=200,
    )
    assert [(r.number, "at most 200" in why) for r, why in result.skipped] == [("LONG-1", True)]
    (upload,) = result.files
    sent = load_json(upload)["invdata"]["b2b"]
    assert [(row["inum"], row["remarks"]) for row in sent] == [("SHORT-1", "r" * 200)]


def test_a_gstr2b_port_code_that_is_not_one_refuses_its_row() -> None:
    """The port code becomes the supplier of an overseas bill of entry, a column of 20."""
    boe = record(RecordKind.BILL_OF_ENTRY, number="4412345", supplier="INMAA1")
    document = load_json(write_gstr2b([boe], gstin=RECIPIENT, period=OCT_2025))
    row = document["data"]["docdata"]["impg"][0]
    for bad in ("INMAA1\x00", "X" * 30, True):
        row["portcode"] = bad
        parsed = parse_gstr2b(encode_json(document), gstin=RECIPIENT)
        assert [(p.section, p.index, p.field) for p in parsed.problems] == [("impg", 0, "portcode")]
