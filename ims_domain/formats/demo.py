"""Deterministic, realistic demo data: recipients, suppliers and the IMS records between them.

For demos, load tests and benchmarks. Everything is valid on its own terms: GSTINs carry the
right check character (gst-formats.md §5), document numbers follow CGST rule 46(b) (§6), taxes
split into IGST or CGST + SGST by place of supply (§9) at real rates (§10), 2B periods follow the
supplier's filing date (R6.3, R1.9), and every amendment names an original in the set (R5.2).
The same seed gives the same data, on every machine (random.Random(seed), no clock).
"""

from __future__ import annotations

import math
import random
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from ims_domain.formats.common import paused_gc
from ims_domain.gstin import STATE_CODES, check_character
from ims_domain.money import TaxAmounts
from ims_domain.periods import (
    IST,
    NEW_PENDING_RULES_FROM,
    FinancialYear,
    GstCalendar,
    ReturnPeriod,
    SupplierReturn,
)
from ims_domain.records import (
    Action,
    FilingStatus,
    OriginalRef,
    Record,
    RecordKey,
    RecordKind,
    ReportedRecord,
)

_PAISE = Decimal("0.01")
_ONE = Decimal(1)
_HUNDRED = Decimal(100)
_TWO_HUNDRED = Decimal(200)
_LOW, _HIGH = Decimal(500), Decimal(500000)  # taxable values: ₹500 to ₹5,00,000
_AMENDMENT_FACTORS = tuple(Decimal(p) / 100 for p in (50, 70, 80, 90, 95, 105, 110, 120, 150))
_GST_2_0 = date(2025, 9, 22)  # gst-formats.md §10: 12 % and 28 % mostly gone from here
# Rates and the cumulative percentages that pick them (before and after GST 2.0).
_RATES_BEFORE, _RATES_BEFORE_CUT = (5, 12, 18, 28), (20, 40, 90)
_RATES_AFTER, _RATES_AFTER_CUT = (5, 12, 18, 28, 40), (35, 38, 93, 96)

# States where demo businesses sit, with rough weights (more trade in the big states).
_STATES: tuple[tuple[str, int], ...] = (
    ("27", 18), ("29", 12), ("33", 10), ("24", 10), ("07", 9), ("09", 8), ("36", 6),
    ("19", 6), ("08", 5), ("06", 5), ("32", 4), ("23", 4), ("03", 3), ("37", 3), ("10", 2),
    ("21", 2), ("30", 1), ("04", 1), ("20", 1), ("18", 1),
)  # fmt: skip
_STATE_ABBR = {
    "27": "MH", "29": "KA", "33": "TN", "24": "GJ", "07": "DL", "09": "UP", "36": "TS",
    "19": "WB", "08": "RJ", "06": "HR", "32": "KL", "23": "MP", "03": "PB", "37": "AP",
    "10": "BR", "21": "OD", "30": "GA", "04": "CH", "20": "JH", "18": "AS",
}  # fmt: skip
_PORTS = (
    ("INNSA1", "Nhava Sheva (JNPT)"), ("INMAA1", "Chennai Sea"), ("INMUN1", "Mundra"),
    ("INBOM4", "Mumbai Air Cargo"), ("INDEL4", "Delhi Air Cargo"), ("INBLR4", "Bengaluru Air"),
    ("INCCU1", "Kolkata Sea"), ("INCOK1", "Cochin Sea"),
)  # fmt: skip

_BUSINESS_FIRST = (
    "Sai", "Shree", "Ganesh", "Lakshmi", "Krishna", "Balaji", "Om", "Mahalaxmi", "Apex",
    "Bharat", "Kaveri", "Ganga", "Deccan", "Sahyadri", "Vindhya", "Arihant", "Siddhi", "Navkar",
    "Jai Ambe", "Venkateswara", "Narmada", "Himalaya", "Coromandel", "Konark", "Indus", "Sunrise",
    "Pioneer", "Eastern", "Western", "Royal", "Unique", "Prime", "Star", "Galaxy", "Everest",
    "Annapurna", "Tirupati", "Vishwa", "Surya", "Chandra",
)  # fmt: skip
_BUSINESS_TRADE = (
    "Steel", "Textiles", "Traders", "Pharma", "Electricals", "Agro", "Plastics", "Packaging",
    "Logistics", "Chemicals", "Hardware", "Foods", "Auto Components", "Paper", "Fabrics",
    "Cement", "Polymers", "Spices", "Engineering", "Enterprises", "Tiles", "Papers", "Castings",
    "Garments", "Cables", "Pipes", "Stationers", "Dyes", "Laminates", "Tools",
)  # fmt: skip
_SUFFIX = {
    "C": ("Private Limited", "Pvt Ltd", "Limited", "India Private Limited"),
    "F": ("& Co", "Associates", "LLP", "& Sons", "Brothers"),
    "P": ("Enterprises", "Trading Co", "Agencies", "Stores"),
    "H": ("HUF",),
    "T": ("Trust",),
}
_FIRST_NAMES = (
    "Ramesh", "Suresh", "Priya", "Anita", "Vikram", "Arjun", "Kavita", "Meena", "Rajesh",
    "Sunita", "Deepak", "Lakshmi", "Mohan", "Farhan", "Gurpreet", "Joseph", "Nandini", "Imran",
)  # fmt: skip
_SURNAMES = (
    "Sharma", "Patel", "Reddy", "Iyer", "Nair", "Gupta", "Agarwal", "Shah", "Mehta", "Rao",
    "Singh", "Khan", "Das", "Banerjee", "Kulkarni", "Menon", "Joshi", "Chopra", "Pillai", "Jain",
)  # fmt: skip
_HOLDERS = ("C", "C", "C", "C", "F", "F", "F", "P", "P", "H", "T")
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_REMARKS = {
    Action.REJECT: (
        "Not ordered by us", "Goods not received", "Duplicate of an earlier invoice",
        "Wrong GSTIN: belongs to our branch", "Rate charged is wrong",
    ),
    Action.PENDING: (
        "Awaiting goods receipt", "Price difference under discussion", "Credit note expected",
        "Checking with accounts",
    ),
}  # fmt: skip


@dataclass(frozen=True)
class DemoRecipient:
    """A business whose IMS the demo fills: its GSTIN, name and state (name of the state)."""

    gstin: str
    name: str
    state: str

    @property
    def state_code(self) -> str:
        """The GSTIN's two-digit state code, which is also its place of supply."""
        return self.gstin[:2]


@dataclass(frozen=True)
class DemoSupplier:
    """A supplier that reports documents to the recipients."""

    gstin: str
    name: str


@dataclass(frozen=True)
class DemoData:
    """What demo_records made: the businesses and the records (IMS download view)."""

    recipients: tuple[DemoRecipient, ...]
    suppliers: tuple[DemoSupplier, ...]
    records: tuple[ReportedRecord, ...]

    def records_for(self, gstin: str) -> tuple[ReportedRecord, ...]:
        """The records addressed to one recipient."""
        return tuple(r for r in self.records if r.record.key.recipient == gstin)


@dataclass
class _Supplier:
    gstin: str
    name: str
    quarterly: bool  # QRMP: IFF for months 1-2 (or not), quarterly GSTR-1
    style: int  # how it numbers documents
    counters: dict[str, int]  # next number per series (invoice, credit, debit, eco)


@dataclass
class _Original:
    """A generated original that an amendment may amend later."""

    index: int
    supplier: _Supplier
    recipient: DemoRecipient
    kind: RecordKind
    number: str
    document_date: date
    rate: int
    intra: bool
    cess_percent: int
    supplier_period: ReturnPeriod


class _Generator:
    def __init__(self, rng: random.Random, financial_year: FinancialYear) -> None:
        self.rng = rng
        self.fy = financial_year
        self.calendar = GstCalendar()
        self.gstins: set[str] = set()
        self.entry_numbers: set[str] = set()  # bills of entry, unique across ports
        self.two_b_cache: dict[tuple[date, SupplierReturn], ReturnPeriod] = {}
        self.fy_cache: dict[int, str] = {}
        state_codes, weights = zip(*_STATES, strict=True)
        self.state_codes: Sequence[str] = state_codes
        self.state_weights: Sequence[int] = weights

    # ------------------------------------------------------------------ businesses

    def state(self) -> str:
        return self.rng.choices(self.state_codes, self.state_weights)[0]

    def business(self, state: str, holders: Sequence[str]) -> tuple[str, str]:
        """A unique GSTIN in `state` and a name whose PAN fits it (5th letter = name initial)."""
        rng = self.rng
        while True:
            holder = rng.choice(holders)
            if holder in ("P", "H"):
                first, surname = rng.choice(_FIRST_NAMES), rng.choice(_SURNAMES)
                if holder == "H":
                    name, initial = f"{first} {surname} HUF", surname[0]
                else:
                    trade = rng.choice(_SUFFIX["P"])
                    name, initial = f"{surname} {trade}", surname[0]
                    if rng.random() < 0.4:
                        name, initial = f"{first} {surname}", surname[0]
            else:
                first = rng.choice(_BUSINESS_FIRST)
                trade = rng.choice(_BUSINESS_TRADE)
                suffix = rng.choice(_SUFFIX.get(holder, ("Trust",)))
                name, initial = f"{first} {trade} {suffix}", first[0]
            pan = (
                "".join(rng.choice("AB" if i == 0 else _LETTERS) for i in range(3))
                + holder
                + initial
                + f"{rng.randrange(10000):04d}"
                + rng.choice(_LETTERS)
            )
            entity = "1" if rng.random() < 0.9 else rng.choice("23")
            first14 = f"{state}{pan}{entity}Z"
            gstin = first14 + check_character(first14)
            if gstin not in self.gstins:
                self.gstins.add(gstin)
                return gstin, name

    def recipients(self, count: int) -> list[DemoRecipient]:
        result = []
        for _ in range(count):
            state = self.state()
            gstin, name = self.business(state, ("C", "C", "C", "F", "F", "P"))
            result.append(DemoRecipient(gstin, name, STATE_CODES[state]))
        return result

    def suppliers(self, count: int, recipient_states: Sequence[str]) -> list[_Supplier]:
        result = []
        for _ in range(count):
            # Two in five sit in a recipient's state, so intra-state supplies are common.
            local = self.rng.random() < 0.4
            state = self.rng.choice(recipient_states) if local else self.state()
            gstin, name = self.business(state, _HOLDERS)
            result.append(
                _Supplier(
                    gstin=gstin,
                    name=name,
                    quarterly=self.rng.random() < 0.3,
                    style=self.rng.randrange(5),
                    counters={},
                )
            )
        return result

    # ------------------------------------------------------------------- documents

    def fy_label(self, day: date) -> str:
        start = day.year if day.month >= 4 else day.year - 1
        label = self.fy_cache.get(start)
        if label is None:
            label = self.fy_cache[start] = FinancialYear(start).label
        return label

    def number(self, supplier: _Supplier, series: str, day: date) -> str:
        """The supplier's next number in a series, in its own style (≤ 16 characters, §6)."""
        number = self._styled_number(supplier, series, day)
        if len(number) > 16:  # only with millions of documents from one supplier
            number = number.replace("/", "")[-16:]
        return number

    def _styled_number(self, supplier: _Supplier, series: str, day: date) -> str:
        sequence = supplier.counters.get(series, 0) + self.rng.randint(1, 3)
        supplier.counters[series] = sequence
        fy = self.fy_label(day)  # "2025-26"
        short = fy[2:]  # "25-26"
        state = _STATE_ABBR.get(supplier.gstin[:2], "IN")
        prefix = {"invoice": "", "credit": "CN", "debit": "DN", "eco": "EC"}[series]
        style = supplier.style
        if style == 0:
            return f"{prefix or state}/{short}/{sequence:04d}"
        if style == 1:
            return f"{prefix or 'INV'}-{sequence:05d}"
        if style == 2:
            return f"{prefix or 'GST'}/{fy[2:4]}{fy[5:]}/{sequence}"
        if style == 3:
            return f"{prefix}{sequence}" if prefix else str(1000 + sequence)
        return f"{prefix or 'TI'}/{sequence:04d}/{short}"

    def document_date(self) -> date:
        first = self.fy.first_day
        return first + timedelta(days=self.rng.randrange((self.fy.last_day - first).days + 1))

    def rate(self, day: date) -> int:
        """A GST rate (§10): after GST 2.0 mostly 5 and 18, a few 40, 12 and 28 still."""
        roll = self.rng.randrange(100)
        if day >= _GST_2_0:
            return _RATES_AFTER[bisect_right(_RATES_AFTER_CUT, roll)]
        return _RATES_BEFORE[bisect_right(_RATES_BEFORE_CUT, roll)]

    def taxable(self, low: float, high: float) -> Decimal:
        """Log-uniform between low and high rupees; a third are whole rupees."""
        rupees = math.exp(self.rng.uniform(math.log(low), math.log(high)))
        if self.rng.random() < 0.33:
            return Decimal(round(rupees))
        return Decimal(round(rupees * 100)) / _HUNDRED

    def filing(
        self, supplier: _Supplier, document_period: ReturnPeriod, late: bool
    ) -> tuple[ReturnPeriod, date, SupplierReturn]:
        """The return that reports a document: its period, filing date and form (R6.1)."""
        rng = self.rng
        if supplier.quarterly:
            if document_period.month % 3 != 0 and rng.random() < 0.6:
                period, form, last_day = document_period, SupplierReturn.IFF, 13
            else:
                period = document_period.quarter.last_month
                form, last_day = SupplierReturn.GSTR1_QUARTERLY, 13
        else:
            period, form, last_day = document_period, SupplierReturn.GSTR1, 11
        filed = period.next().day(1) + timedelta(days=rng.randrange(last_day))
        if late:
            filed += timedelta(days=rng.randint(5, 70))
        return period, filed, form

    def two_b_period(self, filed: date, form: SupplierReturn) -> ReturnPeriod:
        """R6.3 through GstCalendar, at an afternoon IST filing time; cached per (day, form)."""
        key = (filed, form)
        period = self.two_b_cache.get(key)
        if period is None:
            when = datetime(filed.year, filed.month, filed.day, 15, 30, tzinfo=IST)
            period = self.two_b_cache[key] = self.calendar.two_b_period_of_filing(when, form)
        return period

    def action(self, kind: RecordKind, two_b: ReturnPeriod | None) -> Action | None:
        roll = self.rng.random()
        if roll < 0.6:
            return None
        if roll < 0.85:
            return Action.NO_ACTION
        if roll < 0.95:
            return Action.ACCEPT
        if roll < 0.98:
            # R1.5: bills of entry are never rejected.
            return Action.ACCEPT if kind.is_import else Action.REJECT
        # R3.2: a credit note could not be Pending before the Oct-2025 2B period.
        if kind.is_credit_note and (two_b is None or two_b < NEW_PENDING_RULES_FROM):
            return Action.NO_ACTION
        return Action.PENDING

    def remarks(self, action: Action | None) -> str | None:
        choices = _REMARKS.get(action) if action is not None else None
        if choices is None or self.rng.random() < 0.5:
            return None
        return self.rng.choice(choices)

    def entry_number(self) -> str:
        """A 7-digit bill of entry number not used before."""
        while True:
            number = str(self.rng.randrange(1000000, 10000000))
            if number not in self.entry_numbers:
                self.entry_numbers.add(number)
                return number

    def hash(self) -> str:
        return f"{self.rng.getrandbits(256):064x}"


def _taxes(
    taxable: Decimal, rate: int, intra: bool, cess_percent: int, igst_only: bool = False
) -> TaxAmounts:
    """gst-formats.md §9: CGST = SGST = round(txval × rt × 0.005) intra-state, else IGST."""
    cess = (taxable * cess_percent / _HUNDRED).quantize(_PAISE, ROUND_HALF_UP)
    if intra and not igst_only:
        half = (taxable * rate / _TWO_HUNDRED).quantize(_PAISE, ROUND_HALF_UP)
        return TaxAmounts(cgst=half, sgst=half, cess=cess)
    igst = (taxable * rate / _HUNDRED).quantize(_PAISE, ROUND_HALF_UP)
    return TaxAmounts(igst=igst, cess=cess)


def _value(taxable: Decimal, taxes: TaxAmounts, round_off: bool) -> Decimal:
    total = taxable + taxes.total
    return total.quantize(_ONE, ROUND_HALF_UP) if round_off else total


# Originals by weight (per 985; amendments are the other 2 % of the records).
_ORIGINAL_KINDS: tuple[RecordKind, ...] = (
    RecordKind.INVOICE,
    RecordKind.CREDIT_NOTE,
    RecordKind.DEBIT_NOTE,
    RecordKind.ECO_DOCUMENT,
    RecordKind.BILL_OF_ENTRY,
)
_ORIGINAL_WEIGHTS: tuple[int, ...] = (850, 80, 40, 10, 5)
_AMENDMENT_OF = {
    RecordKind.INVOICE: RecordKind.INVOICE_AMENDMENT,
    RecordKind.CREDIT_NOTE: RecordKind.CREDIT_NOTE_AMENDMENT,
    RecordKind.DEBIT_NOTE: RecordKind.DEBIT_NOTE_AMENDMENT,
    RecordKind.ECO_DOCUMENT: RecordKind.ECO_DOCUMENT_AMENDMENT,
}
_SERIES = {
    RecordKind.INVOICE: "invoice",
    RecordKind.CREDIT_NOTE: "credit",
    RecordKind.DEBIT_NOTE: "debit",
    RecordKind.ECO_DOCUMENT: "eco",
}


def demo_records(
    *, recipients: int, suppliers: int, records: int, seed: int, financial_year: int = 2025
) -> DemoData:
    """`records` documents from `suppliers` suppliers to `recipients` recipients, dated in the
    financial year starting April `financial_year` (default 2025-26); the same seed gives the
    same data.

    Mix: about 85 % invoices, 8 % credit notes, 4 % debit notes, 2 % amendments (each of a filed
    original in the set, with a changed value), 1 % ECO documents and a few bills of entry
    (IGST only, from Oct-2025, R1.5). Most records are filed, their 2B period computed from a
    plausible filing date (R6.3); some recent ones are not filed yet (no 2B period, R1.9).
    Portal actions are mostly absent or N, with some A, R and P.
    """
    if recipients < 1 or suppliers < 1 or records < 0:
        raise ValueError("demo data needs at least one recipient and one supplier")
    with paused_gc():  # hundreds of thousands of small acyclic objects
        return _demo(recipients, suppliers, records, seed, financial_year)


def _demo(
    recipients: int, suppliers: int, records: int, seed: int, financial_year: int
) -> DemoData:
    rng = random.Random(seed)
    fy = FinancialYear(financial_year)
    gen = _Generator(rng, fy)
    demo_recipients = gen.recipients(recipients)
    recipient_states = sorted({r.state_code for r in demo_recipients})
    demo_suppliers = gen.suppliers(suppliers, recipient_states)
    by_state: dict[str, list[_Supplier]] = {}
    for supplier in demo_suppliers:
        by_state.setdefault(supplier.gstin[:2], []).append(supplier)

    amendments = records * 2 // 100
    originals_wanted = records - amendments
    boe_from = max(fy.first_day, date(2025, 10, 1))  # R1.5: imports in IMS from Oct-2025
    fy_last_period = ReturnPeriod.of(fy.last_day)

    out: list[ReportedRecord] = []
    originals: list[_Original] = []
    for drawn in rng.choices(_ORIGINAL_KINDS, _ORIGINAL_WEIGHTS, k=originals_wanted):
        recipient = rng.choice(demo_recipients)
        no_imports = drawn is RecordKind.BILL_OF_ENTRY and boe_from > fy.last_day
        kind = RecordKind.INVOICE if no_imports else drawn
        if kind is RecordKind.BILL_OF_ENTRY:
            out.append(_bill_of_entry(gen, recipient, boe_from))
            continue
        local = by_state.get(recipient.state_code)
        supplier = rng.choice(local) if local and rng.random() < 0.5 else rng.choice(demo_suppliers)
        day = gen.document_date()
        intra = supplier.gstin[:2] == recipient.state_code
        rate = gen.rate(day)
        cess_percent = rng.choice((1, 3, 12, 15)) if rate >= 28 and rng.random() < 0.3 else 0
        taxable = gen.taxable(float(_LOW), float(_HIGH if kind is RecordKind.INVOICE else 50000))
        taxes = _taxes(taxable, rate, intra, cess_percent)
        number = gen.number(supplier, _SERIES[kind], day)
        document_period = ReturnPeriod.of(day)
        # The last two months are still being filed: many of their documents are only saved.
        recent = document_period >= fy_last_period.previous()
        not_filed = rng.random() < (0.3 if recent else 0.01)
        period, filed, form = gen.filing(supplier, document_period, rng.random() < 0.08)
        two_b = None if not_filed else gen.two_b_period(filed, form)
        action = gen.action(kind, two_b)
        record = Record(
            key=RecordKey.of(
                supplier=supplier.gstin,
                recipient=recipient.gstin,
                kind=kind,
                number=number,
                document_date=day,
            ),
            document_date=day,
            value=_value(taxable, taxes, rng.random() < 0.3),
            taxable_value=taxable,
            taxes=taxes,
            two_b_period=two_b,
            source_form="R1",
            filing_status=FilingStatus.NOT_FILED if not_filed else FilingStatus.FILED,
            place_of_supply=recipient.state_code,
            invoice_type="R",
            supplier_period=period,
        )
        if not not_filed and kind in _AMENDMENT_OF:
            originals.append(
                _Original(
                    index=len(out),
                    supplier=supplier,
                    recipient=recipient,
                    kind=kind,
                    number=number,
                    document_date=day,
                    rate=rate,
                    intra=intra,
                    cess_percent=cess_percent,
                    supplier_period=period,
                )
            )
        out.append(
            ReportedRecord(
                record=record,
                supplier_name=supplier.name,
                portal_action=action,
                portal_hash=gen.hash(),
                remarks=gen.remarks(action),
            )
        )

    chosen = rng.sample(originals, min(amendments, len(originals)))
    for original in sorted(chosen, key=lambda o: o.index):
        out.append(_amendment(gen, original, out[original.index].record))
    # Rare: too few filed originals to amend; fill up with invoices so the count holds.
    while len(out) < records:
        out.append(_filler_invoice(gen, demo_recipients, demo_suppliers))

    return DemoData(
        recipients=tuple(demo_recipients),
        suppliers=tuple(DemoSupplier(s.gstin, s.name) for s in demo_suppliers),
        records=tuple(out),
    )


def _bill_of_entry(gen: _Generator, recipient: DemoRecipient, first_day: date) -> ReportedRecord:
    """An overseas import (impg): port code as supplier, 7-digit number, IGST only (§9)."""
    rng = gen.rng
    port, port_name = rng.choice(_PORTS)
    day = first_day + timedelta(days=rng.randrange((gen.fy.last_day - first_day).days + 1))
    taxable = gen.taxable(20000.0, float(_HIGH))
    rate = rng.choice((5, 18, 18, 28))
    taxes = _taxes(taxable, rate, intra=False, cess_percent=0, igst_only=True)
    record = Record(
        key=RecordKey.of(
            supplier=port,
            recipient=recipient.gstin,
            kind=RecordKind.BILL_OF_ENTRY,
            number=gen.entry_number(),
            document_date=day,
        ),
        document_date=day,
        value=taxable + taxes.total,
        taxable_value=taxable,
        taxes=taxes,
        two_b_period=ReturnPeriod.of(day),
        source_form="ICEGATE",
    )
    action = gen.action(RecordKind.BILL_OF_ENTRY, record.two_b_period)
    return ReportedRecord(
        record=record, supplier_name=port_name, portal_action=action, portal_hash=gen.hash()
    )


def _amendment(gen: _Generator, original: _Original, base: Record) -> ReportedRecord:
    """R5.2: a later return amends a filed original; the value changes, the number mostly not."""
    rng = gen.rng
    kind = _AMENDMENT_OF[original.kind]
    # A changed value that stays within the demo's range (95 or 105 % always does).
    factors = [f for f in _AMENDMENT_FACTORS if _LOW <= base.taxable_value * f <= _HIGH]
    taxable = (base.taxable_value * rng.choice(factors)).quantize(_PAISE, ROUND_HALF_UP)
    taxes = _taxes(taxable, original.rate, original.intra, original.cess_percent)
    number = original.number
    if rng.random() < 0.3:
        number = gen.number(original.supplier, _SERIES[original.kind], original.document_date)
    period = original.supplier_period.shift(rng.randint(1, 3))
    filed = period.next().day(1) + timedelta(days=rng.randrange(11))
    not_filed = rng.random() < 0.05
    two_b = None if not_filed else gen.two_b_period(filed, SupplierReturn.GSTR1)
    record = Record(
        key=RecordKey.of(
            supplier=original.supplier.gstin,
            recipient=original.recipient.gstin,
            kind=kind,
            number=number,
            document_date=original.document_date,
        ),
        document_date=original.document_date,
        value=_value(taxable, taxes, rng.random() < 0.3),
        taxable_value=taxable,
        taxes=taxes,
        two_b_period=two_b,
        source_form="R1",
        filing_status=FilingStatus.NOT_FILED if not_filed else FilingStatus.FILED,
        original=OriginalRef(number=original.number, document_date=original.document_date),
        place_of_supply=original.recipient.state_code,
        invoice_type="R",
        supplier_period=period,
    )
    action = gen.action(kind, two_b)
    return ReportedRecord(
        record=record,
        supplier_name=original.supplier.name,
        portal_action=action,
        portal_hash=gen.hash(),
        remarks=gen.remarks(action),
    )


def _filler_invoice(
    gen: _Generator,
    recipients: Sequence[DemoRecipient],
    suppliers: Sequence[_Supplier],
) -> ReportedRecord:
    """A plain filed invoice (only when too few originals could be amended)."""
    rng = gen.rng
    recipient, supplier = rng.choice(recipients), rng.choice(suppliers)
    day = gen.document_date()
    intra = supplier.gstin[:2] == recipient.state_code
    taxable = gen.taxable(float(_LOW), float(_HIGH))
    taxes = _taxes(taxable, gen.rate(day), intra, 0)
    period, filed, form = gen.filing(supplier, ReturnPeriod.of(day), late=False)
    record = Record(
        key=RecordKey.of(
            supplier=supplier.gstin,
            recipient=recipient.gstin,
            kind=RecordKind.INVOICE,
            number=gen.number(supplier, "invoice", day),
            document_date=day,
        ),
        document_date=day,
        value=taxable + taxes.total,
        taxable_value=taxable,
        taxes=taxes,
        two_b_period=gen.two_b_period(filed, form),
        place_of_supply=recipient.state_code,
        invoice_type="R",
        supplier_period=period,
    )
    return ReportedRecord(record=record, supplier_name=supplier.name, portal_hash=gen.hash())
