"""Reading a large JSON row by row (jsonio.stream_lists, ims_json.stream_ims): it must read
exactly what loading the file whole reads, wherever the decoding windows happen to cut it."""

from __future__ import annotations

import json
from collections import Counter
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ims_domain.formats import jsonio
from ims_domain.formats.common import FileFormat, FormatError, ParsedFile
from ims_domain.formats.detect import parse_json_file
from ims_domain.formats.gstr1 import write_gstr1
from ims_domain.formats.ims_json import parse_ims_document, stream_ims
from ims_domain.formats.ims_writer import write_ims
from ims_domain.formats.jsonio import NotStreamable, encode_json, load_json, stream_lists
from ims_domain.periods import ReturnPeriod
from ims_domain.records import RecordKind, ReportedRecord
from tests.builders import RECIPIENT, SUPPLIER, record
from tests.unit.test_format_ims import JSON_VALUES, reported_records

WINDOWS = st.integers(min_value=1, max_value=40)  # bytes decoded at a time
OBJECTS = st.dictionaries(st.text(max_size=6), JSON_VALUES, max_size=6)
WRAPPERS = st.sampled_from(["bare", "data", "api", "deep"])


def _wrapped(document: dict[str, Any], how: str) -> dict[str, Any]:
    if how == "data":
        return {"data": document}
    if how == "api":
        return {"status_cd": "1", "data": document, "chksum": "x"}
    if how == "deep":
        return {"data": {"data": document, "fc": None}}
    return document


def _stream(data: bytes, window: int, **kwargs: Any) -> Any:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(jsonio, "_CHUNK_BYTES", window)
        return stream_lists(data, **kwargs)


def _never(key: str) -> bool:
    return False


def _ignore(key: str, index: int, item: Any) -> None:
    raise AssertionError("nothing is streamed")


@settings(max_examples=300, deadline=None)
@given(OBJECTS, WRAPPERS, WINDOWS, st.booleans())
def test_outline_without_streamed_lists_is_the_whole_document(
    document: dict[str, Any], how: str, window: int, indent: bool
) -> None:
    data = encode_json(_wrapped(document, how), indent=indent)
    outline = _stream(data, window, streamed=_never, on_item=_ignore)
    assert outline == load_json(data)


@settings(max_examples=200, deadline=None)
@given(st.lists(JSON_VALUES, max_size=50), WRAPPERS, WINDOWS)
def test_every_item_of_a_streamed_list_is_handed_over_in_order(
    items: list[Any], how: str, window: int
) -> None:
    data = encode_json(_wrapped({"head": 1, "rows": items, "tail": [2]}, how), indent=True)
    seen: list[tuple[str, int, Any]] = []
    outline = _stream(
        data, window, streamed=lambda key: key == "rows", on_item=lambda *item: seen.append(item)
    )
    assert seen == [
        ("rows", index, item) for index, item in enumerate(load_json(encode_json(items)))
    ]
    body = outline if how == "bare" else outline["data"]
    body = body["data"] if how == "deep" else body
    assert body["rows"] == [item for _, _, item in seen][:32]
    assert body["head"] == 1 and body["tail"] == [2]


@pytest.mark.parametrize(
    "text",
    [
        b"[1, 2]",
        b'"text"',
        b"{} []",
        b'{"a": 1',
        b'{"a": [1, 2',
        b'{"a" 1}',
        b"{'a': 1}",
        b"\xff{}",
    ],
)
def test_what_is_not_one_whole_object_is_not_streamable(text: bytes) -> None:
    with pytest.raises(NotStreamable):
        _stream(text, 3, streamed=lambda key: True, on_item=lambda *item: None)


@settings(max_examples=100, deadline=None)
@given(st.integers(min_value=0, max_value=10**30), WINDOWS)
def test_a_number_cut_by_the_window_is_read_whole(number: int, window: int) -> None:
    data = f'{{"n": {number}, "x": {number}.25}}'.encode()
    outline = _stream(data, window, streamed=_never, on_item=_ignore)
    assert outline == {"n": number, "x": Decimal(f"{number}.25")}


def _parsed_whole(data: bytes) -> ParsedFile:
    return parse_ims_document(load_json(data), gstin=RECIPIENT, consume=True)


def _same(streamed: ParsedFile, whole: ParsedFile) -> None:
    assert streamed.format is whole.format is FileFormat.IMS
    assert streamed.records == whole.records
    assert Counter(streamed.problems) == Counter(whole.problems)
    assert set(streamed.notes) == set(whole.notes)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(reported_records(), max_size=8), WRAPPERS, WINDOWS, st.booleans())
def test_R8_5_a_download_read_row_by_row_reads_what_loading_it_whole_reads(
    records: list[ReportedRecord], how: str, window: int, extras: bool
) -> None:
    document = load_json(write_ims(records))
    if extras:  # what a download may hold beside the lists: a null, an ISD list, a bad section
        document.update({"isd": [{"x": 1}], "impg": None, "b2ba": {"not": "a list"}, "zz": 1})
    data = encode_json(_wrapped(document, how), indent=True)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(jsonio, "_CHUNK_BYTES", window)
        outline, streamed = stream_ims(data, gstin=RECIPIENT)
    whole = _parsed_whole(data)
    if streamed is None:  # no IMS list had a row: the outline is the document itself
        assert outline == load_json(data)
        streamed = parse_ims_document(outline, gstin=RECIPIENT)
    _same(streamed, whole)
    _same(parse_json_file(data, gstin=RECIPIENT), whole)


def test_bad_rows_and_repeats_are_reported_as_when_loaded_whole() -> None:
    one = ReportedRecord(record())
    document = load_json(write_ims([one, one]))
    document["b2b"].append({"stin": "not a gstin", "inum": "X1", "idt": "01-10-2025"})
    document["b2b"].append("not a row")
    data = encode_json(document, indent=True)
    streamed = parse_json_file(data, gstin=RECIPIENT)
    _same(streamed, _parsed_whole(data))
    assert streamed.refused == 2 and len(streamed.records) == 2


def test_a_suppliers_gstr1_is_not_taken_for_a_download() -> None:
    """GSTR-1 also has a b2b list, of envelopes: it is left to the GSTR-1 parser."""
    invoice = record(supplier=SUPPLIER, recipient=RECIPIENT)
    data = write_gstr1([invoice], gstin=SUPPLIER, period=ReturnPeriod(2025, 10))
    parsed = parse_json_file(data, gstin=RECIPIENT)
    assert parsed.format is FileFormat.GSTR1
    assert [item.record.key for item in parsed.records] == [invoice.key]


@pytest.mark.parametrize("cut", [2, 10, 100, 1000])
def test_a_truncated_download_says_so(cut: int) -> None:
    data = write_ims([ReportedRecord(record(number=f"INV-{n}")) for n in range(20)])
    with pytest.raises(FormatError, match="ends too early"):
        parse_json_file(data[:-cut], gstin=RECIPIENT)


def test_a_large_download_is_handed_over_row_by_row() -> None:
    """Rows are read and dropped as they come: the outline keeps only a sample of each list."""
    rows = [ReportedRecord(record(number=f"INV-{n}")) for n in range(200)]
    outline, parsed = stream_ims(write_ims(rows), gstin=RECIPIENT)
    assert parsed is not None and len(parsed.records) == 200
    assert len(outline[RecordKind.INVOICE.value]) == 32
    assert json.loads(write_ims(rows))["b2b"][:32] == json.loads(encode_json(outline["b2b"]))


@pytest.mark.parametrize("wrapped", [False, True])
def test_a_gstr2a_is_refused_with_what_to_send_instead(wrapped: bool) -> None:
    """GSTR-2A lists are envelopes like GSTR-1's: never taken for a download, refused by name."""
    gstr2a = {
        "gstin": RECIPIENT,
        "fp": "102025",
        "b2b": [{"ctin": SUPPLIER, "cfs": "Y", "cfs3b": "Y", "inv": [{"inum": "A1"}]}],
    }
    data = encode_json({"data": gstr2a} if wrapped else gstr2a)
    with pytest.raises(FormatError, match=r"this is a GSTR-2A.*send the GSTR-2B"):
        parse_json_file(data, gstin=RECIPIENT)
