"""GSTR-2B, GSTR-1 and supplier-view files (gst-formats.md §2, §3, §4.3): parse, write, detect.

The shared samples are read in place (licensed third-party data: nothing of them is copied here);
everything expected of them is derived from the sample itself. Every other document is written by
our own writers or by hand with made-up values.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ims_domain.formats.common import FormatError, ParsedFile, SupplierViewEntry
from ims_domain.formats.gstr1 import GSTR1_HEADER_KEYS, looks_like_gstr1, parse_gstr1, write_gstr1
from ims_domain.formats.gstr2b import looks_like_gstr2b, parse_gstr2b, write_gstr2b
from ims_domain.formats.jsonio import encode_json as dump_json
from ims_domain.formats.jsonio import load_json
from ims_domain.formats.sections import count_rows, rows_text
from ims_domain.formats.supplier_view import (
    looks_like_supplier_view,
    parse_supplier_view,
    write_supplier_view,
)
from ims_domain.gstin import check_character
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
    RowProblem,
)
from tests.builders import DELHI_RECIPIENT, OCT_2025, RECIPIENT, SUPPLIER, record

POST_IMS = "gstr2b/india-compliance_test_gstr_2b_v4_0-postIMS.json"
PRE_IMS = "gstr2b/india-compliance_test_gstr_2b_v1-preIMS.json"
GSTR1_FULL = "gstr1/onyb-gst_gstr1-062025-reference.json"
GSTR1_ECO = "gstr1/onyb-gst_gstr1-eco-062025-reference.json"

# 2B document sections and the kinds their records take.
_2B_KINDS = {
    "b2b": {RecordKind.INVOICE},
    "b2ba": {RecordKind.INVOICE_AMENDMENT},
    "cdnr": {RecordKind.CREDIT_NOTE, RecordKind.DEBIT_NOTE},
    "cdnra": {RecordKind.CREDIT_NOTE_AMENDMENT, RecordKind.DEBIT_NOTE_AMENDMENT},
    "ecom": {RecordKind.ECO_DOCUMENT},
    "ecoma": {RecordKind.ECO_DOCUMENT_AMENDMENT},
    "impg": {RecordKind.BILL_OF_ENTRY},
    "impgsez": {RecordKind.SEZ_BILL_OF_ENTRY},
}
_GSTR1_KINDS = {
    "b2b": {RecordKind.INVOICE},
    "b2ba": {RecordKind.INVOICE_AMENDMENT},
    "cdnr": {RecordKind.CREDIT_NOTE, RecordKind.DEBIT_NOTE},
    "cdnra": {RecordKind.CREDIT_NOTE_AMENDMENT, RecordKind.DEBIT_NOTE_AMENDMENT},
    "ecom.b2b": {RecordKind.ECO_DOCUMENT},
    "ecoma.b2ba": {RecordKind.ECO_DOCUMENT_AMENDMENT},
}
_PRE_GST_OR_NO_ORIGINAL = {"dt", "oidt", "ontdt", "oinum"}


# --- helpers ------------------------------------------------------------------------------------


def _json(data: bytes) -> Any:
    return load_json(data)


def _bytes(document: Any) -> bytes:
    return dump_json(document)


def _body_2b(document: Any) -> dict[str, Any]:
    while "rtnprd" not in document:
        document = document["data"]
    return document  # type: ignore[no-any-return]


def _documents_2b(section: str, value: list[Any]) -> list[Mapping[str, Any]]:
    if section == "impg":
        return value
    key = {"cdnr": "nt", "cdnra": "nt", "impgsez": "boe"}.get(section, "inv")
    return [doc for envelope in value for doc in envelope.get(key, [])]


def _by_kind(parsed: ParsedFile, kinds: set[RecordKind], action: Action | None) -> int:
    return sum(1 for r in parsed.records if r.record.kind in kinds and r.portal_action is action)


def _refused(parsed: ParsedFile, section: str) -> list[RowProblem]:
    return [p for p in parsed.problems if p.refused and p.section == section]


def _sample(shared_samples: Path, name: str) -> bytes:
    return (shared_samples / name).read_bytes()


def _shift_pre_gst_dates(data: bytes) -> bytes:
    """The 2B samples date documents in 2016, before GST: move them into FY 2019-20."""
    return data.replace(b'-2016"', b'-2019"')


def _items_total(items: list[Mapping[str, Any]], keys: tuple[str, ...]) -> list[Decimal]:
    return [sum((Decimal(str(item.get(k, 0))) for item in items), Decimal(0)) for k in keys]


# --- strategies ---------------------------------------------------------------------------------

_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_DIGITS = "0123456789"
_STATES = [f"{n:02d}" for n in range(1, 38) if n not in (25, 28)]


@st.composite
def gstins(draw: st.DrawFn) -> str:
    """Valid regular GSTINs with a correct check character."""
    first14 = (
        draw(st.sampled_from(_STATES))
        + draw(st.text(_UPPER, min_size=5, max_size=5))
        + draw(st.text(_DIGITS, min_size=4, max_size=4))
        + draw(st.sampled_from(_UPPER))
        + draw(st.sampled_from("123456789ABCDEFGHJ"))
        + "Z"
    )
    return first14 + check_character(first14)


numbers = st.text(_UPPER + _DIGITS + "-/", min_size=1, max_size=16)
port_codes = st.text(_UPPER + _DIGITS, min_size=6, max_size=6)
gst_dates = st.dates(date(2017, 7, 1), date(2030, 12, 31))
amounts = st.decimals(min_value=0, max_value=10**11, places=2)  # the portal's are never negative
periods = st.builds(ReturnPeriod, st.integers(2018, 2030), st.integers(1, 12))
clean_text = (
    st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=30)
    .map(str.strip)
    .filter(bool)
)
places = st.none() | st.sampled_from([*_STATES, "97", "96"])
invoice_types = st.none() | st.sampled_from(["R", "SEWP", "SEWOP", "DE", "CBW"])
taxes = st.builds(TaxAmounts, amounts, amounts, amounts, amounts)
_PORT_KINDS = (RecordKind.BILL_OF_ENTRY, RecordKind.BILL_OF_ENTRY_AMENDMENT)
_GSTR1_RECORD_KINDS = [kind for kind in RecordKind if not kind.is_import]


@st.composite
def reported_2b(draw: st.DrawFn, recipient: str, period: ReturnPeriod) -> ReportedRecord:
    """Any record a GSTR-2B can state, as parse_gstr2b would report it."""
    kind = draw(st.sampled_from(list(RecordKind)))
    boe, port = kind.is_import, kind in _PORT_KINDS
    day = draw(gst_dates)
    number = draw(numbers)
    original = None
    if kind.is_amendment:
        original = OriginalRef(draw(numbers), draw(gst_dates))
    tax, taxable = draw(taxes), draw(amounts)
    value = taxable + tax.total if boe and draw(st.booleans()) else draw(amounts)
    rec = Record(
        key=RecordKey.of(
            supplier=draw(port_codes if port else gstins()),
            recipient=recipient,
            kind=kind,
            number=number,
            document_date=day,
        ),
        document_date=day,
        value=value,
        taxable_value=taxable,
        taxes=tax,
        two_b_period=period,
        source_form="ICEGATE" if boe else "R1",
        filing_status=FilingStatus.FILED,
        original=original,
        reverse_charge=not boe and draw(st.booleans()),
        itc_unavailable=not boe and draw(st.booleans()),
        place_of_supply=None if boe else draw(places),
        invoice_type=None if boe else draw(invoice_types),
        supplier_period=None if port else draw(st.none() | periods),
    )
    return ReportedRecord(
        record=rec,
        supplier_name=None if port else draw(st.none() | clean_text),
        portal_action=draw(st.sampled_from([None, Action.REJECT])),
    )


@st.composite
def reported_gstr1(draw: st.DrawFn, filer: str, period: ReturnPeriod) -> ReportedRecord:
    """Any record a GSTR-1 can state, as parse_gstr1 would report it."""
    kind = draw(st.sampled_from(_GSTR1_RECORD_KINDS))
    eco = kind.original_kind is RecordKind.ECO_DOCUMENT
    day = draw(gst_dates)
    original = OriginalRef(draw(numbers), draw(gst_dates)) if kind.is_amendment else None
    rec = Record(
        key=RecordKey.of(
            supplier=draw(gstins()) if eco else filer,
            recipient=draw(gstins()),
            kind=kind,
            number=draw(numbers),
            document_date=day,
        ),
        document_date=day,
        value=draw(amounts),
        taxable_value=draw(amounts),
        taxes=draw(taxes),
        two_b_period=None,
        source_form="R1",
        filing_status=FilingStatus.NOT_FILED,
        original=original,
        reverse_charge=draw(st.booleans()),
        place_of_supply=draw(places),
        invoice_type=draw(invoice_types),
        supplier_period=period,
    )
    return ReportedRecord(record=rec)


supplier_view_entries = st.builds(
    SupplierViewEntry,
    recipient_gstin=gstins(),
    section=st.sampled_from(["b2b", "b2ba", "cdnr", "cdnra", "ecom", "ecoma"]),
    number=numbers,
    document_date=gst_dates,
    action=st.sampled_from(list(Action)),
    remarks=st.none() | clean_text,
)

_MUTATION_KEYS = [
    "gstin",
    "rtnprd",
    "fp",
    "data",
    "docdata",
    "docRejdata",
    "b2b",
    "cdnr",
    "impg",
    "ctin",
    "stin",
    "rtin",
    "inv",
    "nt",
    "items",
    "itms",
    "itm_det",
    "dt",
    "idt",
    "val",
    "txval",
    "igst",
    "iamt",
    "typ",
    "ntty",
    "imsactn",
    "oinum",
]
_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.decimals(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
    | st.sampled_from(["", "Y", "N", "C", "D", "R", "31-02-2025", "1.005", "ABC", "012016"])
)
json_values = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(_MUTATION_KEYS) | st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)


def _slots(node: Any) -> list[tuple[Any, Any]]:
    """Every (container, key) pair of a JSON document."""
    found: list[tuple[Any, Any]] = []
    stack = [node]
    while stack:
        current = stack.pop()
        pairs = (
            list(current.items())
            if isinstance(current, dict)
            else list(enumerate(current))
            if isinstance(current, list)
            else []
        )
        for key, value in pairs:
            found.append((current, key))
            stack.append(value)
    return found


def _mutate(data: st.DataObject, document: Any, rounds: int) -> Any:
    for _ in range(rounds):
        slots = _slots(document)
        if not slots:
            return data.draw(json_values)
        container, key = data.draw(st.sampled_from(slots))
        if isinstance(container, dict) and data.draw(st.booleans()):
            del container[key]
        else:
            container[key] = data.draw(json_values)
    return document


def _only_format_errors(parse: Callable[[], ParsedFile]) -> None:
    try:
        parsed = parse()
    except FormatError:
        return
    assert isinstance(parsed, ParsedFile)
    for problem in parsed.problems:
        assert isinstance(problem, RowProblem)


# --- GSTR-2B: the shared samples ----------------------------------------------------------------


@pytest.mark.samples
@pytest.mark.parametrize("name", [POST_IMS, PRE_IMS])
def test_R2_2_2b_sample_every_document_is_a_record_or_a_refused_row(
    shared_samples: Path, name: str
) -> None:
    data = _sample(shared_samples, name)
    body = _body_2b(json.loads(data))
    parsed = parse_gstr2b(data, gstin=body["gstin"])
    assert parsed.gstin == body["gstin"]
    assert parsed.period == ReturnPeriod.parse(body["rtnprd"])
    for container, action in (("docdata", None), ("docRejdata", Action.REJECT)):
        for section, value in body.get(container, {}).items():
            if section not in _2B_KINDS:
                continue
            label = section if action is None else f"{section} (rejected)"
            docs = _documents_2b(section, value)
            refused = _refused(parsed, label)
            assert _by_kind(parsed, _2B_KINDS[section], action) + len(refused) == len(docs)
            # The samples date their GST documents in 2016, before GST began (and one ECO
            # amendment names no original): those rows are refused, never the file.
            assert {p.field for p in refused} <= _PRE_GST_OR_NO_ORIGINAL
    assert all(r.record.two_b_period == parsed.period for r in parsed.records)
    assert all(r.record.filing_status is FilingStatus.FILED for r in parsed.records)
    assert any(not p.refused and p.field == "ctin" for p in parsed.problems)  # bad check chars


@pytest.mark.samples
@pytest.mark.parametrize("name", [POST_IMS, PRE_IMS])
def test_R2_2_2b_sample_with_gst_era_dates_parses_every_section(
    shared_samples: Path, name: str
) -> None:
    data = _shift_pre_gst_dates(_sample(shared_samples, name))
    body = _body_2b(json.loads(data))
    parsed = parse_gstr2b(data, gstin=body["gstin"])
    for container, action in (("docdata", None), ("docRejdata", Action.REJECT)):
        for section, value in body.get(container, {}).items():
            if section not in _2B_KINDS:
                continue
            docs = _documents_2b(section, value)
            complete = [d for d in docs if section != "ecoma" or "oinum" in d]
            assert _by_kind(parsed, _2B_KINDS[section], action) == len(complete), section
    assert {p.field for p in parsed.problems if p.refused} <= {"oinum"}


@pytest.mark.samples
def test_R2_2_post_ims_sample_rejected_documents_come_from_docRejdata(
    shared_samples: Path,
) -> None:
    data = _shift_pre_gst_dates(_sample(shared_samples, POST_IMS))
    body = _body_2b(json.loads(data))
    parsed = parse_gstr2b(data, gstin=body["gstin"])
    rejected = [r for r in parsed.records if r.portal_action is Action.REJECT]
    in_rejdata = sum(
        len(_documents_2b(s, v)) for s, v in body["docRejdata"].items() if s in _2B_KINDS
    )
    missing_original = sum(
        1 for d in _documents_2b("ecoma", body["docRejdata"]["ecoma"]) if "oinum" not in d
    )
    assert len(rejected) == in_rejdata - missing_original > 0
    assert {r.portal_action for r in parsed.records} == {None, Action.REJECT}


@pytest.mark.samples
@pytest.mark.parametrize("name", [POST_IMS, PRE_IMS])
def test_R1_6_2b_sample_isd_is_skipped_with_a_note(shared_samples: Path, name: str) -> None:
    data = _sample(shared_samples, name)
    body = _body_2b(json.loads(data))
    parsed = parse_gstr2b(data, gstin=body["gstin"])
    isd_rows = count_rows(body["docdata"]["isd"])
    assert (
        f"isd: {rows_text(isd_rows)} skipped (ISD documents are not actionable in IMS, R1.6)"
        in (parsed.notes)
    )
    assert any(note.startswith("isda:") for note in parsed.notes)
    assert not any(r.record.kind.value.startswith("isd") for r in parsed.records)


@pytest.mark.samples
def test_R1_3_2b_sample_document_fields_are_mapped(shared_samples: Path) -> None:
    data = _shift_pre_gst_dates(_sample(shared_samples, POST_IMS))
    body = _body_2b(json.loads(data))
    parsed = parse_gstr2b(data, gstin=body["gstin"])
    envelope = body["docdata"]["b2b"][0]
    doc = envelope["inv"][0]
    (found,) = [
        r for r in parsed.records if r.record.kind is RecordKind.INVOICE and r.portal_action is None
    ]
    rec = found.record
    assert rec.number == doc["inum"].upper()
    assert rec.key.supplier == envelope["ctin"]
    assert rec.supplier_period == ReturnPeriod.parse(envelope["supprd"])
    assert found.supplier_name == envelope["trdnm"]
    assert rec.itc_unavailable is (doc["itcavl"] == "N")
    assert rec.reverse_charge is (doc["rev"] == "Y")
    assert rec.place_of_supply == doc["pos"]
    assert rec.invoice_type == doc["typ"]
    assert rec.value == Decimal(str(doc["val"]))
    assert [rec.taxable_value, *rec.taxes.as_dict().values()] == [
        Decimal(str(doc[k])) for k in ("txval", "igst", "cgst", "sgst", "cess")
    ]
    (boe,) = [
        r
        for r in parsed.records
        if r.record.kind is RecordKind.BILL_OF_ENTRY and r.portal_action is None
    ]
    assert boe.record.key.supplier == body["docdata"]["impg"][0]["portcode"]


@pytest.mark.samples
def test_pre_ims_sample_document_tax_is_the_sum_of_its_items(shared_samples: Path) -> None:
    data = _shift_pre_gst_dates(_sample(shared_samples, PRE_IMS))
    body = _body_2b(json.loads(data))
    parsed = parse_gstr2b(data, gstin=body["gstin"])
    for section in ("b2b", "b2ba", "cdnr", "cdnra"):
        (doc,) = _documents_2b(section, body["docdata"][section])
        (rec,) = [r.record for r in parsed.records if r.record.kind in _2B_KINDS[section]]
        keys = ("txval", "igst", "cgst", "sgst", "cess")
        assert [rec.taxable_value, *rec.taxes.as_dict().values()] == _items_total(
            doc["items"], keys
        )


@pytest.mark.samples
@pytest.mark.parametrize("name", [POST_IMS, PRE_IMS])
def test_2b_sample_for_another_gstin_is_refused(shared_samples: Path, name: str) -> None:
    file_gstin = _body_2b(json.loads(_sample(shared_samples, name)))["gstin"]
    with pytest.raises(FormatError, match=f"this GSTR-2B is for {file_gstin}, not {RECIPIENT}"):
        parse_gstr2b(_sample(shared_samples, name), gstin=RECIPIENT)


# --- GSTR-1: the shared samples -----------------------------------------------------------------


def _gstr1_record_sections(body: Mapping[str, Any]) -> dict[str, list[Mapping[str, Any]]]:
    found: dict[str, list[Mapping[str, Any]]] = {}
    for section in ("b2b", "b2ba", "cdnr", "cdnra"):
        key = "nt" if section.startswith("cdn") else "inv"
        found[section] = [d for e in body.get(section, []) for d in e[key]]
    for section, table in (("ecom", "b2b"), ("ecoma", "b2ba")):
        found[f"{section}.{table}"] = [
            d for e in body.get(section, {}).get(table, []) for d in e["inv"]
        ]
    return found


def _sample_kind(section: str, doc: Mapping[str, Any]) -> RecordKind:
    """The original kind a GSTR-1 sample document should become."""
    if section.startswith("cdn"):
        return RecordKind.CREDIT_NOTE if doc["ntty"] == "C" else RecordKind.DEBIT_NOTE
    (kind,) = {k.original_kind for k in _GSTR1_KINDS[section]}
    return kind


@pytest.mark.samples
@pytest.mark.parametrize("name", [GSTR1_FULL, GSTR1_ECO])
def test_R1_2_gstr1_sample_every_ims_document_is_a_record(shared_samples: Path, name: str) -> None:
    data = _sample(shared_samples, name)
    body = json.loads(data)
    parsed = parse_gstr1(data, gstin=body["gstin"])
    assert parsed.refused == 0
    assert parsed.gstin == body["gstin"]
    assert parsed.period == ReturnPeriod.parse(body["fp"])
    expected = _gstr1_record_sections(body)
    for section, docs in expected.items():
        assert _by_kind(parsed, _GSTR1_KINDS[section], None) == len(docs), section
    assert len(parsed.records) == sum(len(docs) for docs in expected.values())
    by_number = {(r.record.kind.original_kind, r.record.number): r.record for r in parsed.records}
    for section, docs in expected.items():
        for doc in docs:
            number = doc.get("inum", doc.get("nt_num"))
            rec = by_number[_sample_kind(section, doc), number.upper()]
            details = [item["itm_det"] for item in doc["itms"]]
            keys = ("txval", "iamt", "camt", "samt", "csamt")
            assert [rec.taxable_value, *rec.taxes.as_dict().values()] == _items_total(details, keys)
            assert rec.reverse_charge is (doc.get("rchrg") == "Y")
            assert rec.value == Decimal(str(doc["val"]))


@pytest.mark.samples
@pytest.mark.parametrize("name", [GSTR1_FULL, GSTR1_ECO])
def test_R1_2_gstr1_sample_every_other_section_is_noted_with_its_rows(
    shared_samples: Path, name: str
) -> None:
    data = _sample(shared_samples, name)
    body = json.loads(data)
    parsed = parse_gstr1(data, gstin=body["gstin"])
    expected = []
    for section, value in body.items():
        if section in GSTR1_HEADER_KEYS or section in ("b2b", "b2ba", "cdnr", "cdnra"):
            continue
        if section in ("ecom", "ecoma"):
            for table, rows in value.items():
                if (section, table) not in (("ecom", "b2b"), ("ecoma", "b2ba")):
                    expected.append((f"{section}.{table}", count_rows(rows)))
        else:
            expected.append((section, count_rows(value)))
    assert len(parsed.notes) == len(expected)
    for label, rows in expected:
        assert rows > 0
        assert any(
            note.startswith(f"{label}: {rows_text(rows)} skipped (") for note in parsed.notes
        )


@pytest.mark.samples
def test_R1_9_gstr1_sample_records_are_not_filed_and_have_no_2b_period(
    shared_samples: Path,
) -> None:
    data = _sample(shared_samples, GSTR1_FULL)
    body = json.loads(data)
    parsed = parse_gstr1(data, gstin=body["gstin"])
    for reported in parsed.records:
        rec = reported.record
        assert rec.filing_status is FilingStatus.NOT_FILED
        assert rec.two_b_period is None
        assert rec.supplier_period == ReturnPeriod.parse(body["fp"])
        assert rec.source_form == "R1"
        if rec.kind.original_kind is not RecordKind.ECO_DOCUMENT:
            assert rec.key.supplier == body["gstin"]
    eco_envelope = body["ecom"]["b2b"][0]
    (eco,) = [r.record for r in parsed.records if r.record.kind is RecordKind.ECO_DOCUMENT]
    assert (eco.key.supplier, eco.key.recipient) == (eco_envelope["stin"], eco_envelope["rtin"])


# --- detection ----------------------------------------------------------------------------------


def _classify(document: Any) -> set[str]:
    checks = {
        "gstr2b": looks_like_gstr2b,
        "gstr1": looks_like_gstr1,
        "supplier_view": looks_like_supplier_view,
    }
    return {name for name, check in checks.items() if check(document)}


@pytest.mark.samples
def test_detection_classifies_every_sample(shared_samples: Path) -> None:
    expected = {
        POST_IMS: {"gstr2b"},
        PRE_IMS: {"gstr2b"},
        GSTR1_FULL: {"gstr1"},
        GSTR1_ECO: {"gstr1"},
    }
    files = sorted(shared_samples.glob("*/*.json"))
    assert len(files) >= 4
    for path in files:
        name = str(path.relative_to(shared_samples))
        # IMS download, GSTR-2A and GSTIN vectors are none of these formats.
        assert _classify(load_json(path.read_bytes())) == expected.get(name, set()), name


def test_detection_classifies_our_own_files() -> None:
    entry = SupplierViewEntry(RECIPIENT, "b2b", "INV-1", date(2025, 10, 20), Action.REJECT)
    written = {
        "gstr2b": write_gstr2b([record()], gstin=RECIPIENT, period=OCT_2025),
        "gstr1": write_gstr1([record()], gstin=SUPPLIER, period=OCT_2025),
        "supplier_view": write_supplier_view([entry], gstin=SUPPLIER, period=OCT_2025),
    }
    for name, data in written.items():
        assert _classify(load_json(data)) == {name}


def test_detection_is_not_fooled_by_ims_or_gstr2a_shapes() -> None:
    ims = {"b2b": [{"stin": SUPPLIER, "inum": "A1", "idt": "01-10-2025", "action": "N"}]}
    ims_with_header = {"gstin": RECIPIENT, "fp": "102025", **ims}
    gstr2a = {
        "gstin": RECIPIENT,
        "fp": "102025",
        "b2b": [{"ctin": SUPPLIER, "cfs": "Y", "cfs3b": "Y", "inv": [{"inum": "A1"}]}],
        "cdn": [],
    }
    for document in (ims, ims_with_header, gstr2a, {"data": ims}, [], None, "x", 3):
        assert _classify(document) == set()


@given(json_values)
def test_detection_never_raises(document: Any) -> None:
    _classify(document)


# --- GSTR-2B: rules on our own documents --------------------------------------------------------


def _2b_doc(**doc: Any) -> dict[str, Any]:
    base = {"inum": "INV-7", "typ": "R", "dt": "20-10-2025", "val": 11800, "pos": "27"}
    return base | doc


def _2b_file(docdata: Mapping[str, Any], **extra: Any) -> bytes:
    body = {"gstin": RECIPIENT, "rtnprd": "102025", "version": "1.0", "docdata": docdata}
    return _bytes({"chksum": "x", "data": body | extra})


def _envelope(*docs: Mapping[str, Any], key: str = "inv", **fields: Any) -> dict[str, Any]:
    return {"ctin": SUPPLIER, "trdnm": "Made-up Traders", "supprd": "102025", **fields, key: docs}


def test_R1_3_reverse_charge_and_unavailable_itc_are_flagged_not_dropped() -> None:
    docs = [
        _2b_doc(inum="RC-1", rev="Y", itcavl="Y", txval=10000, igst=1800),
        _2b_doc(inum="NA-1", rev="N", itcavl="N", rsn="C", txval=10000, igst=1800),
        _2b_doc(inum="OK-1", rev="N", itcavl="Y", txval=10000, igst=1800),
    ]
    parsed = parse_gstr2b(_2b_file({"b2b": [_envelope(*docs)]}), gstin=RECIPIENT)
    flags = {
        r.record.number: (r.record.reverse_charge, r.record.itc_unavailable) for r in parsed.records
    }
    assert flags == {"RC-1": (True, False), "NA-1": (False, True), "OK-1": (False, False)}


def test_R2_2_rejected_documents_and_the_imsStatus_alias() -> None:
    accepted = _2b_doc(inum="A-1", txval=10000, igst=1800)
    marked = _2b_doc(inum="M-1", txval=10000, igst=1800, imsStatus="R")
    rejected = _2b_doc(inum="R-1", txval=10000, igst=1800)
    data = _2b_file(
        {"b2b": [_envelope(accepted, marked)]}, docRejdata={"b2b": [_envelope(rejected)]}
    )
    parsed = parse_gstr2b(data, gstin=RECIPIENT)
    actions = {r.record.number: r.portal_action for r in parsed.records}
    assert actions == {"A-1": None, "M-1": Action.REJECT, "R-1": Action.REJECT}


def test_R6_3_every_record_takes_the_2b_period_of_the_file() -> None:
    doc = _2b_doc(txval=10000, igst=1800)
    data = _2b_file({"b2b": [_envelope(doc, supprd="082025")]})
    (reported,) = parse_gstr2b(data, gstin=RECIPIENT).records
    assert reported.record.two_b_period == ReturnPeriod(2025, 10)
    assert reported.record.supplier_period == ReturnPeriod(2025, 8)
    assert reported.supplier_name == "Made-up Traders"


def test_pre_ims_items_are_summed_and_post_ims_document_tax_wins() -> None:
    items = [
        {"num": 1, "rt": 18, "txval": 1000, "igst": 180, "cgst": 0, "sgst": 0, "cess": 10},
        {"num": 2, "rt": 5, "txval": 200.5, "igst": 10.03, "cess": 0},
    ]
    pre = _2b_doc(inum="PRE-1", items=items)
    post = _2b_doc(inum="POST-1", txval=50, igst=9, items=items)
    parsed = parse_gstr2b(_2b_file({"b2b": [_envelope(pre, post)]}), gstin=RECIPIENT)
    by_number = {r.record.number: r.record for r in parsed.records}
    assert by_number["PRE-1"].taxable_value == Decimal("1200.50")
    assert by_number["PRE-1"].taxes == TaxAmounts.of(igst="190.03", cess="10")
    assert by_number["POST-1"].taxes == TaxAmounts.of(igst="9")


def test_R5_2_2b_amendments_carry_their_original() -> None:
    b2ba = _2b_doc(inum="INV-7R", oinum="inv-7", oidt="05-10-2025", txval=1, igst=0)
    note = {"ntnum": "CN-2", "typ": "C", "suptyp": "R", "dt": "21-10-2025", "val": 118}
    cdnra = note | {"onttyp": "C", "ontnum": "CN-1", "ontdt": "02-10-2025", "txval": 100}
    debit = note | {"ntnum": "DN-1", "typ": "D"}
    data = _2b_file(
        {
            "b2ba": [_envelope(b2ba)],
            "cdnra": [_envelope(cdnra, key="nt")],
            "cdnr": [_envelope(debit, key="nt")],
        }
    )
    parsed = parse_gstr2b(data, gstin=RECIPIENT)
    by_kind = {r.record.kind: r.record for r in parsed.records}
    assert by_kind[RecordKind.INVOICE_AMENDMENT].original == OriginalRef("INV-7", date(2025, 10, 5))
    assert by_kind[RecordKind.CREDIT_NOTE_AMENDMENT].original == OriginalRef(
        "CN-1", date(2025, 10, 2)
    )
    assert by_kind[RecordKind.CREDIT_NOTE_AMENDMENT].invoice_type == "R"
    assert RecordKind.DEBIT_NOTE in by_kind


def test_R1_5_bills_of_entry_take_the_port_or_the_sez_supplier() -> None:
    boe = {"portcode": "INABC1", "boenum": 777001, "boedt": "03-10-2025", "txval": 1000}
    data = _2b_file(
        {
            "impg": [boe | {"igst": 180, "isamd": "N"}],
            "impgsez": [{"ctin": SUPPLIER, "trdnm": "SEZ Unit", "boe": [boe | {"igst": 18}]}],
        }
    )
    parsed = parse_gstr2b(data, gstin=RECIPIENT)
    by_kind = {r.record.kind: r for r in parsed.records}
    impg = by_kind[RecordKind.BILL_OF_ENTRY].record
    assert (impg.key.supplier, impg.number, impg.value) == ("INABC1", "777001", Decimal("1180"))
    assert impg.source_form == "ICEGATE"
    assert by_kind[RecordKind.SEZ_BILL_OF_ENTRY].record.key.supplier == SUPPLIER
    assert by_kind[RecordKind.SEZ_BILL_OF_ENTRY].supplier_name == "SEZ Unit"


def test_R1_6_isd_and_unknown_sections_are_noted() -> None:
    isd = {"ctin": SUPPLIER, "doclist": [{"docnum": "1"}, {"docnum": "2"}]}
    data = _2b_file({"isd": [isd], "future": [{"x": 1}]})
    parsed = parse_gstr2b(data, gstin=RECIPIENT)
    assert parsed.records == ()
    assert parsed.notes == (
        "isd: 2 rows skipped (ISD documents are not actionable in IMS, R1.6)",
        "future: 1 row skipped (not a section the assistant reads)",
    )


@pytest.mark.parametrize(
    "wrap",
    [
        lambda body: body,
        lambda body: {"data": body},
        lambda body: {"status_cd": "1", "data": {"chksum": "x", "data": body}},
    ],
)
def test_2b_is_found_inside_any_data_wrapper(wrap: Callable[[Any], Any]) -> None:
    body = {"gstin": RECIPIENT, "rtnprd": "102025", "docdata": {}}
    parsed = parse_gstr2b(_bytes(wrap(body)), gstin=RECIPIENT.lower())
    assert parsed.period == ReturnPeriod(2025, 10)
    assert looks_like_gstr2b(wrap(body))


def test_2b_for_another_gstin_is_refused() -> None:
    data = write_gstr2b([record()], gstin=RECIPIENT, period=OCT_2025)
    with pytest.raises(
        FormatError, match=f"this GSTR-2B is for {RECIPIENT}, not {DELHI_RECIPIENT}"
    ):
        parse_gstr2b(data, gstin=DELHI_RECIPIENT)


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"data": {"fc": 3}}, "split into 3 files"),
        ({"gstin": RECIPIENT}, "not a GSTR-2B"),
        ({"gstin": RECIPIENT, "rtnprd": "132025"}, "rtnprd"),
        ({"gstin": RECIPIENT, "rtnprd": "102025", "docdata": []}, None),
    ],
)
def test_2b_file_level_faults(document: Any, message: str | None) -> None:
    if message is None:
        parsed = parse_gstr2b(_bytes(document), gstin=RECIPIENT)
        assert parsed.problems[0].field == "docdata"
        return
    with pytest.raises(FormatError, match=message):
        parse_gstr2b(_bytes(document), gstin=RECIPIENT)


def test_2b_row_faults_are_refused_rows_and_the_others_survive() -> None:
    base = [record(number=f"INV-{n}") for n in range(6)]
    body = _json(write_gstr2b(base, gstin=RECIPIENT, period=OCT_2025))["data"]
    docs = body["docdata"]["b2b"][0]["inv"]
    docs[0]["dt"] = "31-02-2025"
    docs[1]["igst"] = "eighteen"
    docs[2]["val"] = Decimal("100.005")
    docs[3]["items"] = "junk"  # ignored: document-level tax is present
    docs[4]["dt"] = "01-01-2016"
    body["docdata"]["b2b"].append({"ctin": "29AAGCB7383J1Z", "inv": [dict(docs[5])]})
    parsed = parse_gstr2b(_bytes(body), gstin=RECIPIENT)
    refused = [(p.section, p.index, p.field) for p in parsed.problems if p.refused]
    assert refused == [
        ("b2b", 0, "dt"),
        ("b2b", 1, "igst"),
        ("b2b", 2, "val"),
        ("b2b", 4, "dt"),
        ("b2b", 6, "ctin"),
    ]
    assert [r.record.number for r in parsed.records] == ["INV-3", "INV-5"]
    assert "more than two decimals" in parsed.problems[2].reason


def test_2b_gstin_with_a_wrong_check_character_is_a_warning() -> None:
    body = _json(write_gstr2b([record()], gstin=RECIPIENT, period=OCT_2025))["data"]
    wrong = SUPPLIER[:-1] + ("5" if SUPPLIER[-1] != "5" else "6")
    body["docdata"]["b2b"][0]["ctin"] = wrong
    parsed = parse_gstr2b(_bytes(body), gstin=RECIPIENT)
    assert [r.record.key.supplier for r in parsed.records] == [wrong]
    assert [(p.field, p.refused) for p in parsed.problems] == [("ctin", False)]


@settings(max_examples=75, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data(), st.sampled_from([RECIPIENT, DELHI_RECIPIENT]), periods)
def test_2b_writer_and_parser_round_trip(
    data: st.DataObject, gstin: str, period: ReturnPeriod
) -> None:
    reported = data.draw(st.lists(reported_2b(gstin, period), max_size=12))
    parsed = parse_gstr2b(write_gstr2b(reported, gstin=gstin, period=period), gstin=gstin)
    assert parsed.problems == ()
    assert Counter(parsed.records) == Counter(reported)


# --- GSTR-1: rules on our own documents ---------------------------------------------------------


def _gstr1_invoice(**doc: Any) -> dict[str, Any]:
    item = {"num": 1801, "itm_det": {"rt": 18, "txval": 10000, "iamt": 1800, "csamt": 0}}
    base = {"inum": "S-1", "idt": "18-10-2025", "val": 11800, "pos": "29", "rchrg": "N"}
    return base | {"inv_typ": "R", "itms": [item]} | doc


def _gstr1_file(**sections: Any) -> bytes:
    return _bytes({"gstin": SUPPLIER, "fp": "102025", "version": "GST3.2.4", **sections})


def test_R1_3_gstr1_reverse_charge_is_kept_and_flagged() -> None:
    docs = [_gstr1_invoice(), _gstr1_invoice(inum="S-2", rchrg="Y", inv_typ="CBW")]
    parsed = parse_gstr1(_gstr1_file(b2b=[{"ctin": RECIPIENT, "inv": docs}]), gstin=RECIPIENT)
    flags = {
        r.record.number: (r.record.reverse_charge, r.record.invoice_type) for r in parsed.records
    }
    assert flags == {"S-1": (False, "R"), "S-2": (True, "CBW")}


def test_R5_2_gstr1_notes_and_amendments() -> None:
    item = [{"num": 501, "itm_det": {"rt": 5, "txval": 1000, "camt": 25, "samt": 25}}]
    note = {"nt_num": "CN-1", "nt_dt": "20-10-2025", "ntty": "C", "val": 1050, "itms": item}
    amended = note | {"nt_num": "DN-1R", "ntty": "D", "ont_num": "DN-1", "ont_dt": "02-10-2025"}
    data = _gstr1_file(
        cdnr=[{"ctin": RECIPIENT, "nt": [note]}], cdnra=[{"ctin": RECIPIENT, "nt": [amended]}]
    )
    parsed = parse_gstr1(data, gstin=RECIPIENT)
    by_kind = {r.record.kind: r.record for r in parsed.records}
    assert by_kind[RecordKind.CREDIT_NOTE].taxes == TaxAmounts.of(cgst="25", sgst="25")
    assert by_kind[RecordKind.DEBIT_NOTE_AMENDMENT].original == OriginalRef(
        "DN-1", date(2025, 10, 2)
    )


def test_R1_2_gstr1_table_15_addresses_the_supplier_and_recipient() -> None:
    eco = {"stin": DELHI_RECIPIENT, "rtin": RECIPIENT, "inv": [_gstr1_invoice(flag="N")]}
    parsed = parse_gstr1(_gstr1_file(ecom={"b2b": [eco], "b2c": [{"pos": "29"}]}), gstin=RECIPIENT)
    (reported,) = parsed.records
    assert reported.record.kind is RecordKind.ECO_DOCUMENT
    assert (reported.record.key.supplier, reported.record.key.recipient) == (
        DELHI_RECIPIENT,
        RECIPIENT,
    )
    assert parsed.notes == (
        "ecom.b2c: 1 row skipped (not supplies to a registered recipient, so not in IMS)",
    )


def test_gstr1_notes_a_file_with_nothing_for_the_importer() -> None:
    data = _gstr1_file(b2b=[{"ctin": DELHI_RECIPIENT, "inv": [_gstr1_invoice()]}])
    parsed = parse_gstr1(data, gstin=RECIPIENT)
    assert len(parsed.records) == 1
    assert parsed.notes == (
        f"none of the records in this GSTR-1 (filed by {SUPPLIER}) is for {RECIPIENT}",
    )


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ({"fp": "102025"}, "no gstin and fp"),
        ({"gstin": "27AAPFU0939F1Z", "fp": "102025"}, "not a GSTIN"),
        ({"gstin": SUPPLIER, "fp": "2025-10"}, "fp is wrong"),
        ({"gstin": 7, "fp": "102025"}, "names no GSTIN"),
    ],
)
def test_gstr1_file_level_faults(header: dict[str, Any], message: str) -> None:
    with pytest.raises(FormatError, match=message):
        parse_gstr1(_bytes(header), gstin=RECIPIENT)


def test_gstr1_header_gstin_with_a_wrong_check_character_is_a_warning() -> None:
    wrong = SUPPLIER[:-1] + "5"
    parsed = parse_gstr1(_bytes({"gstin": wrong, "fp": "102025"}), gstin=RECIPIENT)
    assert parsed.gstin == wrong
    assert [(p.section, p.field, p.refused) for p in parsed.problems] == [
        ("header", "gstin", False)
    ]


def test_gstr1_row_faults_are_refused_rows_and_the_others_survive() -> None:
    base = [record(number=f"S-{n}", supplier=SUPPLIER) for n in range(6)]
    body = _json(write_gstr1(base, gstin=SUPPLIER, period=OCT_2025))
    docs = body["b2b"][0]["inv"]
    docs[0]["idt"] = "2025/10/40"
    docs[1]["itms"][0]["itm_det"]["iamt"] = True
    docs[2]["itms"][0]["itm_det"]["txval"] = Decimal("10.125")
    docs[3]["itms"] = []
    body["b2b"].append({"ctin": "not-a-gstin", "inv": [dict(docs[4])]})
    body["cdnr"] = [{"ctin": RECIPIENT, "nt": [{"nt_num": "X", "ntty": "Q"}]}]
    parsed = parse_gstr1(_bytes(body), gstin=RECIPIENT)
    refused = [(p.section, p.index, p.field) for p in parsed.problems if p.refused]
    assert refused == [
        ("b2b", 0, "idt"),
        ("b2b", 1, "itms[0].iamt"),
        ("b2b", 2, "itms[0].txval"),
        ("b2b", 3, "itms"),
        ("b2b", 6, "ctin"),
        ("cdnr", 0, "ntty"),
    ]
    assert [r.record.number for r in parsed.records] == ["S-4", "S-5"]


@settings(max_examples=75, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data(), periods)
def test_gstr1_writer_and_parser_round_trip(data: st.DataObject, period: ReturnPeriod) -> None:
    filer = data.draw(gstins())
    reported = data.draw(st.lists(reported_gstr1(filer, period), max_size=12))
    parsed = parse_gstr1(write_gstr1(reported, gstin=filer, period=period), gstin=filer)
    assert parsed.problems == ()
    assert Counter(parsed.records) == Counter(reported)


def test_gstr1_writer_refuses_what_a_gstr1_cannot_hold() -> None:
    with pytest.raises(FormatError, match="bill of entry"):
        write_gstr1([record(RecordKind.BILL_OF_ENTRY)], gstin=SUPPLIER, period=OCT_2025)
    with pytest.raises(FormatError, match="not by"):
        write_gstr1([record()], gstin=RECIPIENT, period=OCT_2025)


# --- supplier view ------------------------------------------------------------------------------


def test_R4_6_supplier_view_reads_each_recipients_action_and_remark() -> None:
    doc = {"inum": "mh/1", "idt": "18-10-2025", "val": 11800, "imsactn": "R", "remarks": " No PO "}
    note = {"nt_num": "CN-1", "nt_dt": "20-10-2025", "imsactn": "p"}
    view = {
        "status_cd": "1",
        "data": {
            "gstin": SUPPLIER,
            "ret_period": "102025",
            "b2b": [{"ctin": RECIPIENT, "inv": [doc]}],
            "cdnr": [{"ctin": DELHI_RECIPIENT, "nt": [note]}],
        },
    }
    parsed = parse_supplier_view(_bytes(view), gstin=SUPPLIER)
    assert parsed.records == ()
    assert parsed.period == ReturnPeriod(2025, 10)
    assert parsed.supplier_actions == (
        SupplierViewEntry(RECIPIENT, "b2b", "MH/1", date(2025, 10, 18), Action.REJECT, "No PO"),
        SupplierViewEntry(DELHI_RECIPIENT, "cdnr", "CN-1", date(2025, 10, 20), Action.PENDING),
    )


def test_R4_6_supplier_view_row_faults_and_foreign_gstin() -> None:
    docs = [
        {"inum": "A", "idt": "18-10-2025", "imsactn": "X"},
        {"inum": "B", "idt": "18-10-2025"},
        {"inum": "C", "idt": "31-09-2025", "imsactn": "A"},
        {"inum": "D", "idt": "18-10-2025", "imsactn": "A"},
    ]
    envelopes = [{"ctin": RECIPIENT, "inv": docs}, {"ctin": "27AAPFU0939F1Z", "inv": [docs[3]]}]
    parsed = parse_supplier_view(_bytes({"b2b": envelopes}), gstin=SUPPLIER)
    assert [(p.index, p.field) for p in parsed.problems] == [
        (0, "imsactn"),
        (1, "imsactn"),
        (2, "idt"),
        (4, "ctin"),
    ]
    assert [e.number for e in parsed.supplier_actions] == ["D"]
    with pytest.raises(FormatError, match=f"for {RECIPIENT}, not {SUPPLIER}"):
        parse_supplier_view(_bytes({"gstin": RECIPIENT, "b2b": []}), gstin=SUPPLIER)
    with pytest.raises(FormatError, match="not an IMS supplier view"):
        parse_supplier_view(_bytes({"hello": 1}), gstin=SUPPLIER)


@settings(max_examples=75, deadline=None)
@given(st.lists(supplier_view_entries, max_size=12), periods)
def test_R4_6_supplier_view_writer_and_parser_round_trip(
    entries: list[SupplierViewEntry], period: ReturnPeriod
) -> None:
    parsed = parse_supplier_view(
        write_supplier_view(entries, gstin=SUPPLIER, period=period), gstin=SUPPLIER
    )
    assert parsed.problems == ()
    assert parsed.period == period
    assert Counter(parsed.supplier_actions) == Counter(entries)


# --- robustness: only FormatError, whatever the input -------------------------------------------

_PARSERS = [
    lambda data: parse_gstr2b(data, gstin=RECIPIENT),
    lambda data: parse_gstr1(data, gstin=RECIPIENT),
    lambda data: parse_supplier_view(data, gstin=SUPPLIER),
]


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=300) | st.text(max_size=200).map(str.encode))
def test_random_bytes_raise_only_format_errors(data: bytes) -> None:
    for parse in _PARSERS:
        _only_format_errors(lambda parse=parse: parse(data))


def _seed_files(data: st.DataObject) -> list[tuple[Callable[[bytes], ParsedFile], Any]]:
    reported_2b_records = data.draw(
        st.lists(reported_2b(RECIPIENT, OCT_2025), min_size=1, max_size=4)
    )
    reported_r1 = data.draw(st.lists(reported_gstr1(SUPPLIER, OCT_2025), min_size=1, max_size=4))
    entries = data.draw(st.lists(supplier_view_entries, min_size=1, max_size=4))
    return [
        (_PARSERS[0], write_gstr2b(reported_2b_records, gstin=RECIPIENT, period=OCT_2025)),
        (_PARSERS[1], write_gstr1(reported_r1, gstin=SUPPLIER, period=OCT_2025)),
        (_PARSERS[2], write_supplier_view(entries, gstin=SUPPLIER, period=OCT_2025)),
    ]


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(st.data(), st.integers(1, 6))
def test_mutated_documents_raise_only_format_errors(data: st.DataObject, rounds: int) -> None:
    for parse, written in _seed_files(data):
        document = _mutate(data, _json(written), rounds)
        mutated = _bytes(document)
        _only_format_errors(lambda parse=parse, mutated=mutated: parse(mutated))
        _classify(load_json(mutated))


@pytest.mark.parametrize("parse", _PARSERS)
@pytest.mark.parametrize(
    "document",
    [
        {"gstin": RECIPIENT, "rtnprd": "102025", "fp": "102025", "b2b": 10**40},
        {
            "gstin": RECIPIENT,
            "rtnprd": "102025",
            "fp": "102025",
            "docdata": {"b2b": [{"ctin": SUPPLIER, "inv": [_2b_doc(txval=10**40)]}]},
            "b2b": [{"ctin": RECIPIENT, "inv": [_gstr1_invoice(val=Decimal("1E+400"))]}],
        },
    ],
)
def test_huge_amounts_are_refused_rows_not_crashes(
    parse: Callable[[bytes], ParsedFile], document: Any
) -> None:
    _only_format_errors(lambda: parse(_bytes(document)))


@pytest.mark.parametrize("parse", _PARSERS)
def test_an_integer_too_long_to_read_is_a_format_error(
    parse: Callable[[bytes], ParsedFile],
) -> None:
    with pytest.raises(FormatError, match="too long"):
        parse(b'{"gstin": "x", "val": ' + b"7" * 5000 + b"}")
