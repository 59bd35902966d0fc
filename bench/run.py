# ruff: noqa: E402
"""Speed and memory of the store's bulk paths, each against a floor measured in the same run.

    .venv/bin/python bench/run.py [--quick] [--json] [--postgres-url URL] [--repeat N]
                                  [--only import|ims|register|bulk|inbox|bot|fanout ...]

Every figure compares OUR code (the use case the bot and the CLI call) with a FLOOR: the bare
statement that does the same work on the same machine, the same data and a fresh database of the
same schema. `ratio` is ours / floor and `target` the largest ratio allowed (the smallest, for a
figure where higher is better: `better` is "higher"). With --json only a
JSON list is written to stdout; progress goes to stderr. See bench/README.md.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import io
import json
import math
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import python_calamine
from sqlalchemy import Engine, bindparam, func, insert, make_url, select, text

from ims_domain.formats.common import paused_gc
from ims_domain.formats.demo import DemoData, demo_records
from ims_domain.formats.ims_json import parse_ims
from ims_domain.formats.ims_writer import write_ims
from ims_domain.gstin import check_character
from ims_domain.money import TaxAmounts
from ims_domain.periods import FinancialYear, ReturnPeriod
from ims_domain.records import Action, Record, RecordKey, RecordKind, ReportedRecord
from storage.access import Actor
from storage.bulk import apply_bulk
from storage.bulk_preview import apply_bulk_preview, keep_bulk_preview
from storage.convert import content_hash
from storage.db import make_engine, transaction, upgrade_schema
from storage.filters import RecordFilter
from storage.imports import _new_row, import_records
from storage.models import Channel, ImportBatch, Membership, records_table
from storage.queries import InboxCursor, inbox_page
from storage.rulebook import RuleBook
from storage.spreadsheets import parse_register_file, read_first_sheet, write_register_xlsx
from storage.taxpayers import ensure_user, register_taxpayer
from storage.uploads import import_file

RECIPIENT = "27AAPFU0939F1ZV"
NOW = datetime(2025, 11, 5, 6, 30, tzinfo=UTC)  # 12:00 IST, 5-Nov-2025
CLI = Actor.system(Channel.CLI)
OCT_2025 = ReturnPeriod(2025, 10)
RECORDS = records_table()
LOAD_CHUNK = 50_000
MEMORY_LIMIT_MB = 300.0
MB = 1024 * 1024  # VmHWM is in KiB: MB here are MiB, as everywhere in this file
DEMO_SEED = 2025
# Suppliers' states: mostly Maharashtra (the recipient's state: CGST + SGST), else IGST.
SUPPLIER_STATES = ("27", "27", "27", "27", "29", "24", "33", "07", "09", "36", "19", "06")
RATES = (5, 12, 18, 18, 18, 18, 28)
KINDS = (RecordKind.INVOICE,) * 90 + (RecordKind.DEBIT_NOTE,) * 4 + (RecordKind.CREDIT_NOTE,) * 6
PREFIX = {RecordKind.INVOICE: "INV", RecordKind.DEBIT_NOTE: "DN", RecordKind.CREDIT_NOTE: "CN"}
# Inbox: how a year of records is spread over the four states (N, A, R, P).
INBOX_ACTIONS = ("N",) * 45 + ("A",) * 40 + ("R",) * 5 + ("P",) * 10
INBOX_USERS = (5001, 5002, 5003)


def log(message: str) -> None:
    """Progress, on stderr so that --json keeps stdout clean."""
    print(message, file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Figure:
    """One benchmark's result: our figure, the floor's, and the largest ratio allowed (with
    `better="higher"`: the smallest)."""

    name: str
    ours: float
    floor: float
    target: float
    unit: str
    better: str = "lower"

    @property
    def passed(self) -> bool:
        return self.ratio >= self.target if self.better == "higher" else self.ratio <= self.target

    @property
    def ratio(self) -> float:
        return self.ours / self.floor if self.floor else math.inf

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "ours": round(self.ours, 4),
            "floor": round(self.floor, 4),
            "ratio": round(self.ratio, 3),
            "target": self.target,
            "unit": self.unit,
            "better": self.better,
        }


# ---------------------------------------------------------------------------------------------
# Databases: a fresh one per benchmark, SQLite in a temporary folder or PostgreSQL on a server


class Databases:
    """Makes fresh, migrated databases and removes every one of them at the end, even on error."""

    def __init__(self, folder: Path, postgres_url: str | None) -> None:
        self.folder = folder
        self.postgres_url = postgres_url
        self._admin: Engine | None = None
        self._created: list[str] = []

    @contextmanager
    def sqlite(self, label: str) -> Iterator[Engine]:
        path = self.folder / f"{label}-{uuid.uuid4().hex[:8]}.db"
        engine = make_engine(f"sqlite:///{path}")
        upgrade_schema(engine)
        try:
            yield engine
        finally:
            engine.dispose()
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)

    @contextmanager
    def postgresql(self, label: str) -> Iterator[Engine]:
        assert self.postgres_url is not None
        server = make_url(self.postgres_url)
        if self._admin is None:
            self._admin = make_engine(
                server.render_as_string(hide_password=False), isolation_level="AUTOCOMMIT"
            )
        name = f"ims_bench_{uuid.uuid4().hex[:12]}"
        with self._admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        self._created.append(name)
        log(f"  created PostgreSQL database {name} ({label})")
        engine = make_engine(server.set(database=name).render_as_string(hide_password=False))
        try:
            upgrade_schema(engine)
            yield engine
        finally:
            engine.dispose()
            self._drop(name)

    def _drop(self, name: str) -> None:
        assert self._admin is not None
        with self._admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self._created.remove(name)

    def close(self) -> None:
        for name in list(self._created):
            self._drop(name)
        if self._admin is not None:
            self._admin.dispose()


def register(engine: Engine, gstin: str = RECIPIENT) -> int:
    """Register a recipient (the CLI does this before any import); returns its id."""
    with transaction(engine) as session:
        taxpayer = register_taxpayer(session, actor=CLI, gstin=gstin, name="Acme Traders", now=NOW)
        assert taxpayer.id is not None
        return taxpayer.id


def analyze(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(text("ANALYZE"))


# ---------------------------------------------------------------------------------------------
# Data


def supplier_gstins(count: int, rng: random.Random) -> list[str]:
    """`count` distinct, valid regular GSTINs (state code, PAN, entity 1, Z, check character)."""
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    found: dict[str, None] = {}
    while len(found) < count:
        pan = (
            "".join(rng.choices(letters, k=3))
            + rng.choice("CFPH")
            + rng.choice(letters)
            + f"{rng.randrange(10_000):04d}"
            + rng.choice(letters)
        )
        first14 = rng.choice(SUPPLIER_STATES) + pan + "1Z"
        found[first14 + check_character(first14)] = None
    return list(found)


def _amounts(rng: random.Random, supplier: str) -> tuple[int, int, int, int, int]:
    """Taxable value and IGST, CGST, SGST, cess in paise: intra-state CGST+SGST, else IGST."""
    taxable = rng.randrange(50_000, 50_000_000)  # 500 to 5 lakh rupees
    tax = taxable * rng.choice(RATES) // 100
    cess = taxable * 12 // 100 if rng.random() < 0.02 else 0
    if supplier.startswith(RECIPIENT[:2]):
        half = tax // 2
        return taxable, 0, half, half, cess
    return taxable, tax, 0, 0, cess


def _rupees(amount_paise: int) -> Decimal:
    return Decimal(amount_paise).scaleb(-2)


def reported_records(count: int, seed: int = 7) -> list[ReportedRecord]:
    """What one Oct-2025 IMS download of RECIPIENT holds: ~200 suppliers, mostly invoices."""
    rng = random.Random(seed)
    suppliers = supplier_gstins(200, rng)
    names = {gstin: f"Supplier {i} Private Limited" for i, gstin in enumerate(suppliers)}
    weights = [1 / (rank + 1) ** 0.6 for rank in range(len(suppliers))]  # a few big suppliers
    chosen = rng.choices(suppliers, weights=weights, k=count)
    records = []
    for i, supplier in enumerate(chosen):
        kind = rng.choice(KINDS)
        document_date = date(2025, 9, 15) + timedelta(days=rng.randrange(47))
        taxable, igst, cgst, sgst, cess = _amounts(rng, supplier)
        record = Record(
            key=RecordKey.of(
                supplier=supplier,
                recipient=RECIPIENT,
                kind=kind,
                number=f"{PREFIX[kind]}/25-26/{i:07d}",
                document_date=document_date,
            ),
            document_date=document_date,
            value=_rupees(taxable + igst + cgst + sgst + cess),
            taxable_value=_rupees(taxable),
            taxes=TaxAmounts(_rupees(igst), _rupees(cgst), _rupees(sgst), _rupees(cess)),
            two_b_period=OCT_2025,
            place_of_supply=RECIPIENT[:2],
            invoice_type="R",
            supplier_period=OCT_2025,
        )
        portal_hash = hashlib.sha256(record.key.text.encode()).hexdigest()
        records.append(
            ReportedRecord(
                record,
                supplier_name=names[supplier],
                portal_action=Action.NO_ACTION,
                portal_hash=portal_hash,
            )
        )
    return records


def import_rows(
    records: Sequence[ReportedRecord], *, taxpayer_id: int, batch_id: int
) -> list[dict[str, Any]]:
    """The rows `import_records` inserts for these new records, built by its own `_new_row`."""
    recipient = SimpleNamespace(id=taxpayer_id)
    return [
        _new_row(
            recipient=recipient,  # type: ignore[arg-type]  # only its id is read
            identity=item.record.key.text,
            item=item,
            digest=content_hash(item.record),
            batch_id=batch_id,
            now=NOW,
        )
        for item in records
    ]


@dataclass(frozen=True)
class Spread:
    """How synthetic stored records are spread: over which months, suppliers and states."""

    months: tuple[ReturnPeriod, ...]
    suppliers: int
    actions: tuple[str, ...]


BULK_SPREAD = Spread(months=(OCT_2025,), suppliers=200, actions=("N",))
INBOX_SPREAD = Spread(
    months=tuple(ReturnPeriod(2024, 11).shift(n) for n in range(12)),
    suppliers=500,
    actions=INBOX_ACTIONS,
)


def stored_rows(
    taxpayer_id: int, count: int, spread: Spread, *, seed: int
) -> Iterator[list[dict[str, Any]]]:
    """Rows as the store holds them after imports and actions, `LOAD_CHUNK` at a time."""
    rng = random.Random(seed)
    suppliers = supplier_gstins(spread.suppliers, rng)
    for start in range(0, count, LOAD_CHUNK):
        chunk = []
        for i in range(start, min(count, start + LOAD_CHUNK)):
            supplier = suppliers[rng.randrange(len(suppliers))]
            kind = rng.choice(KINDS)
            month = spread.months[rng.randrange(len(spread.months))]
            document_date = date(month.year, month.month, 1 + rng.randrange(28))
            fy = FinancialYear.of(document_date).label
            number = f"{PREFIX[kind]}/{i:08d}"
            taxable, igst, cgst, sgst, cess = _amounts(rng, supplier)
            action = rng.choice(spread.actions)
            acted = action != "N"
            period = month.year * 100 + month.month
            chunk.append(
                {
                    "taxpayer_id": taxpayer_id,
                    "identity": f"{supplier}|{RECIPIENT}|{kind.value}|{number}|{fy}",
                    "supplier_gstin": supplier,
                    "supplier_name": f"Supplier {supplier[2:7]}",
                    "kind": kind.value,
                    "number": number,
                    "document_date": document_date,
                    "financial_year": fy,
                    "value_paise": taxable + igst + cgst + sgst + cess,
                    "taxable_paise": taxable,
                    "igst_paise": igst,
                    "cgst_paise": cgst,
                    "sgst_paise": sgst,
                    "cess_paise": cess,
                    "two_b_period": period,
                    "counts_in_period": period,
                    "source_form": "R1",
                    "filing_status": "filed",
                    "reverse_charge": False,
                    "itc_unavailable": False,
                    "place_of_supply": RECIPIENT[:2],
                    "invoice_type": "R",
                    "supplier_period": period,
                    "action": action,
                    "deemed": False,
                    "action_by": INBOX_USERS[i % len(INBOX_USERS)] if acted else None,
                    "action_at": NOW if acted else None,
                    "action_channel": Channel.BOT.value if acted else None,
                    "portal_action": action,
                    "portal_hash": hashlib.sha256(number.encode()).hexdigest(),
                    "version": 2 if acted else 1,
                    "content_hash": hashlib.sha256(number.encode()).hexdigest(),
                    "created_at": NOW,
                    "updated_at": NOW,
                }
            )
        yield chunk


def load(engine: Engine, count: int, spread: Spread, *, seed: int) -> int:
    """A registered recipient with `count` stored records (bare executemany); returns its id."""
    taxpayer_id = register(engine)
    with transaction(engine) as session:
        for user_id in INBOX_USERS:
            ensure_user(session, user_id=user_id, name=f"Clerk {user_id}", now=NOW)
    loaded = 0
    for chunk in stored_rows(taxpayer_id, count, spread, seed=seed):
        with engine.begin() as connection:
            connection.execute(insert(RECORDS), chunk)
        loaded += len(chunk)
        if loaded % 200_000 == 0:
            log(f"    {loaded:,} rows loaded")
    return taxpayer_id


# ---------------------------------------------------------------------------------------------
# 1. Import


def bench_import(dbs: Databases, count: int, name: str, repeat: int) -> list[Figure]:
    log(f"[{name}] building {count:,} reported records (not timed)")
    records = reported_records(count)
    sha256 = hashlib.sha256(f"bench import {count}".encode()).hexdigest()
    ours, floor = [], []
    for _ in range(repeat):
        ours.append(_import_ours(dbs, records, sha256))
        floor.append(_import_floor(dbs, records, sha256))
        log(f"  ours import_records + commit {ours[-1]:.3f} s; floor insert {floor[-1]:.3f} s")
    del records
    gc.collect()
    return [Figure(name, min(ours), min(floor), 2.0, "s"), _memory_figure(dbs, count, name)]


def _import_ours(dbs: Databases, records: list[ReportedRecord], sha256: str) -> float:
    with dbs.sqlite("import-ours") as engine:
        register(engine)
        gc.collect()
        start = time.perf_counter()
        with transaction(engine) as session:
            result = import_records(
                session,
                actor=CLI,
                gstin=RECIPIENT,
                records=records,
                sha256=sha256,
                file_format="ims",
                now=NOW,
            )
        elapsed = time.perf_counter() - start
        assert result.new == len(records), result
    return elapsed


def _import_floor(dbs: Databases, records: list[ReportedRecord], sha256: str) -> float:
    with dbs.sqlite("import-floor") as engine:
        taxpayer_id = register(engine)
        batch_id = floor_batch(engine, taxpayer_id, sha256)
        rows = import_rows(records, taxpayer_id=taxpayer_id, batch_id=batch_id)
        gc.collect()
        with engine.connect() as connection:
            start = time.perf_counter()
            connection.execute(RECORDS.insert(), rows)
            connection.commit()
            elapsed = time.perf_counter() - start
        del rows
    return elapsed


def floor_batch(engine: Engine, taxpayer_id: int, sha256: str) -> int:
    """The import batch row the floor's records point to (written before the clock starts)."""
    with engine.begin() as connection:
        inserted = connection.execute(
            insert(ImportBatch.__table__).values(  # type: ignore[attr-defined]
                taxpayer_id=taxpayer_id,
                sha256=sha256,
                format="ims",
                new=0,
                changed=0,
                unchanged=0,
                refused=0,
                problems=[],
                created_at=NOW,
            )
        ).inserted_primary_key
    assert inserted is not None
    return int(inserted[0])


def _memory_figure(dbs: Databases, count: int, name: str) -> Figure:
    """Peak RSS of a fresh process that builds `count` records and imports them."""
    path = dbs.folder / f"import-memory-{uuid.uuid4().hex[:8]}.db"
    seen = _run_child(["--memory-child", str(count), str(path)], path)
    log(
        f"  memory: process peak {seen['peak_mb']:.0f} MB; before the import "
        f"{seen['before_mb']:.0f} MB (records built; {seen['start_mb']:.0f} MB at start); "
        f"the import adds {seen['peak_mb'] - seen['before_mb']:.0f} MB"
    )
    return Figure(f"{name}_peak_memory", seen["peak_mb"], MEMORY_LIMIT_MB, 1.0, "MB")


def _run_child(arguments: list[str], database: Path) -> dict[str, float]:
    """Run this script with `arguments` in a fresh interpreter; the JSON it prints."""
    command = [sys.executable, str(Path(__file__).resolve()), *arguments]
    done = subprocess.run(command, capture_output=True, text=True, check=False, cwd=ROOT)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    if done.returncode != 0:
        raise SystemExit(f"memory child failed:\n{done.stderr}")
    seen: dict[str, float] = json.loads(done.stdout)
    return seen


def _maxrss_mb() -> float:
    """The process's peak RSS so far, in MB.

    Linux's VmHWM belongs to this program's own address space. `ru_maxrss` is not used there:
    it keeps the high-water mark of the address space replaced by exec, i.e. the size of the
    benchmark process that forked this one.
    """
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    kib = next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:"))
    return int(kib) / 1024


def memory_child(count: int, path: str) -> None:
    """Run in a fresh process: register, build the records, import; print the RSS seen."""
    start_mb = _maxrss_mb()
    engine = make_engine(f"sqlite:///{path}")
    upgrade_schema(engine)
    register(engine)
    records = reported_records(count)
    gc.collect()
    before_mb = _maxrss_mb()
    with transaction(engine) as session:
        result = import_records(
            session,
            actor=CLI,
            gstin=RECIPIENT,
            records=records,
            sha256=hashlib.sha256(b"memory").hexdigest(),
            file_format="ims",
            now=NOW,
        )
    assert result.new == count
    peak_mb = _maxrss_mb()
    engine.dispose()
    print(json.dumps({"start_mb": start_mb, "before_mb": before_mb, "peak_mb": peak_mb}))


# ---------------------------------------------------------------------------------------------
# 2. An IMS download JSON file, imported end to end (detection, parsing, import)


def demo_data(count: int) -> DemoData:
    """One recipient's records from 200 suppliers: the demo generator's realistic mix."""
    return demo_records(recipients=1, suppliers=200, records=count, seed=DEMO_SEED)


def bench_ims_file(dbs: Databases, data: bytes, gstin: str, name: str, repeat: int) -> list[Figure]:
    """import_file of an IMS download against json.loads + the bare insert of its rows."""
    count = _expected_records(data, gstin)
    log(f"[{name}] IMS download of {count:,} records, {len(data) / MB:.1f} MB (write_ims)")
    ours, floor = [], []
    for _ in range(repeat):
        ours.append(_ims_file_ours(dbs, data, gstin, count))
        floor.append(_ims_file_floor(dbs, data, gstin))
        log(f"  ours import_file + commit {ours[-1]:.3f} s; floor loads + insert {floor[-1]:.3f} s")
    path = dbs.folder / f"ims-{uuid.uuid4().hex[:8]}.json"
    path.write_bytes(data)
    try:
        memory = _ims_memory_figure(dbs, path, gstin, name)
    finally:
        path.unlink()
    return [Figure(name, min(ours), min(floor), 2.5, "s"), memory]


def _expected_records(data: bytes, gstin: str) -> int:
    parsed = parse_ims(data, gstin=gstin)
    assert not any(problem.refused for problem in parsed.problems), parsed.problems[:3]
    return len(parsed.records)


def _ims_file_ours(dbs: Databases, data: bytes, gstin: str, count: int) -> float:
    with dbs.sqlite("ims-file-ours") as engine:
        register(engine, gstin)
        gc.collect()
        start = time.perf_counter()
        with transaction(engine) as session:
            result = import_file(
                session, actor=CLI, gstin=gstin, data=data, max_bytes=len(data), now=NOW
            )
        elapsed = time.perf_counter() - start
        assert result.format == "ims" and result.new == count, result
    return elapsed


def _ims_file_floor(dbs: Databases, data: bytes, gstin: str) -> float:
    with dbs.sqlite("ims-file-floor") as engine:
        taxpayer_id = register(engine, gstin)
        batch_id = floor_batch(engine, taxpayer_id, hashlib.sha256(data).hexdigest())
        # The rows the import inserts, from the records the file reads back to (not timed).
        records = parse_ims(data, gstin=gstin).records
        rows = import_rows(records, taxpayer_id=taxpayer_id, batch_id=batch_id)
        del records
        gc.collect()
        with engine.connect() as connection:
            start = time.perf_counter()
            document = json.loads(data)
            connection.execute(RECORDS.insert(), rows)
            connection.commit()
            elapsed = time.perf_counter() - start
        del document, rows
    return elapsed


def _ims_memory_figure(dbs: Databases, path: Path, gstin: str, name: str) -> Figure:
    """Peak RSS of a fresh process that reads the file from disk and runs import_file."""
    database = dbs.folder / f"ims-memory-{uuid.uuid4().hex[:8]}.db"
    seen = _run_child(["--ims-memory-child", str(path), str(database), gstin], database)
    size_mb = path.stat().st_size / MB
    limit_mb = 3 * size_mb + 150
    log(
        f"  memory: process peak {seen['peak_mb']:.0f} MB against 3 x {size_mb:.1f} + 150 = "
        f"{limit_mb:.0f} MB; {seen['start_mb']:.0f} MB at start, {seen['ready_mb']:.0f} MB "
        f"with the database open, {seen['read_mb']:.0f} MB with the file read"
    )
    return Figure(f"{name}_peak_memory", seen["peak_mb"], limit_mb, 1.0, "MB")


def ims_memory_child(path: str, database: str, gstin: str) -> None:
    """Run in a fresh process: register, read the file, import_file; print the RSS seen."""
    start_mb = _maxrss_mb()
    engine = make_engine(f"sqlite:///{database}")
    upgrade_schema(engine)
    register(engine, gstin)
    gc.collect()
    ready_mb = _maxrss_mb()
    data = Path(path).read_bytes()
    read_mb = _maxrss_mb()
    with transaction(engine) as session:
        result = import_file(
            session, actor=CLI, gstin=gstin, data=data, max_bytes=len(data), now=NOW
        )
    assert result.new > 0, result
    peak_mb = _maxrss_mb()
    engine.dispose()
    print(
        json.dumps(
            {"start_mb": start_mb, "ready_mb": ready_mb, "read_mb": read_mb, "peak_mb": peak_mb}
        )
    )


# ---------------------------------------------------------------------------------------------
# 3. A purchase register XLSX, read


def bench_register_xlsx(
    data: bytes, gstin: str, count: int, name: str, repeat: int
) -> list[Figure]:
    """Reading a register XLSX safely, and parsing it to records, against bare equivalents."""
    log(f"[{name}] register XLSX of {count:,} rows, {len(data) / MB:.1f} MB (not timed)")
    parsed = parse_register_file(data, gstin=gstin)
    assert len(parsed.records) == count, (len(parsed.records), parsed.problems[:3])
    fields = [_record_fields(reported) for reported in parsed.records]  # the floor's input
    del parsed
    read, parse, bare_read, bare_records = [], [], [], []
    for _ in range(repeat):
        read.append(_timed(lambda: read_first_sheet(data)))
        parse.append(_timed(lambda: parse_register_file(data, gstin=gstin)))
        bare_read.append(_timed(lambda: _bare_calamine(data, count)))
        bare_records.append(_timed(lambda: _bare_records(fields)))
        log(
            f"  ours read_first_sheet {read[-1]:.3f} s, parse_register_file {parse[-1]:.3f} s;"
            f" floor calamine {bare_read[-1]:.3f} s, bare records {bare_records[-1]:.3f} s"
        )
    floor = min(bare_read)
    return [
        Figure(name.replace("_read_", "_read_sheet_"), min(read), floor, 1.5, "s"),
        Figure(name.replace("_read_", "_parse_"), min(parse), floor + min(bare_records), 2.0, "s"),
    ]


def _timed(work: Callable[[], object]) -> float:
    gc.collect()
    start = time.perf_counter()
    result = work()
    elapsed = time.perf_counter() - start
    del result
    return elapsed


def _bare_calamine(data: bytes, count: int) -> list[list[Any]]:
    rows: list[list[Any]] = (
        python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        .get_sheet_by_index(0)
        .to_python()
    )
    assert len(rows) == count + 1, len(rows)
    return rows


RecordFields = tuple[tuple[Any, ...], dict[str, Any], tuple[Any, ...], str | None]


def _record_fields(reported: ReportedRecord) -> RecordFields:
    """What building a register record takes, read off a parsed one (the floor's input)."""
    record = reported.record
    key = record.key
    fields = {
        name: getattr(record, name)
        for name in (
            "document_date", "value", "taxable_value", "two_b_period", "source_form",
            "filing_status", "original", "reverse_charge", "place_of_supply", "supplier_period",
        )
    }  # fmt: skip
    taxes = record.taxes
    return (
        (key.supplier, key.recipient, key.kind, key.number, key.financial_year),
        fields,
        (taxes.igst, taxes.cgst, taxes.sgst, taxes.cess),
        reported.supplier_name,
    )


def _bare_records(fields: list[RecordFields]) -> list[ReportedRecord]:
    """The same records built straight from their values: the dataclasses and nothing else
    (with the cycle collector paused, as the parser pauses it)."""
    with paused_gc():
        return [
            ReportedRecord(
                Record(key=RecordKey(*key), taxes=TaxAmounts(*taxes), **rest), supplier_name=name
            )
            for key, rest, taxes, name in fields
        ]


# ---------------------------------------------------------------------------------------------
# 4. Bulk accept


def bench_bulk(dbs: Databases, backend: str, count: int, name: str, repeat: int) -> Figure:
    make_db = dbs.sqlite if backend == "sqlite" else dbs.postgresql
    ours, floor = [], []
    log(f"[{name}] each run loads {count:,} records in N into a fresh database (not timed)")
    for _ in range(repeat):
        with make_db("bulk-ours") as engine:
            ours.append(_bulk_ours(engine, count))
        with make_db("bulk-floor") as engine:
            floor.append(_bulk_floor(engine, count, BULK_FLOOR))
        log(f"  ours apply_bulk + commit {ours[-1]:.3f} s; floor {floor[-1]:.3f} s")
    if backend == "sqlite":
        # The floor as specified lets SQLite find the rows to update through the (taxpayer_id,
        # identity) unique index, i.e. in random table order; a table scan does it faster.
        with make_db("bulk-floor-scan") as engine:
            scanning = BULK_FLOOR[0].replace("WHERE", "WHERE +"), BULK_FLOOR[1]
            scan = _bulk_floor(engine, count, scanning)
        log(
            f"  note: the floor with a table scan (WHERE +taxpayer_id = ?) takes {scan:.3f} s: "
            f"ours / that = {min(ours) / scan:.2f}"
        )
    return Figure(name, min(ours), min(floor), 2.0, "s")


def _bulk_ours(engine: Engine, count: int) -> float:
    load(engine, count, BULK_SPREAD, seed=11)
    analyze(engine)
    gc.collect()
    start = time.perf_counter()
    with transaction(engine) as session:
        result = apply_bulk(
            session,
            actor=CLI,
            gstin=RECIPIENT,
            record_filter=RecordFilter(),
            action=Action.ACCEPT,
            rulebook=RuleBook(),
            now=NOW,
        )
    elapsed = time.perf_counter() - start
    assert result.count == count, result
    return elapsed


def bench_bulk_confirm(dbs: Databases, backend: str, count: int, name: str, repeat: int) -> Figure:
    make_db = dbs.sqlite if backend == "sqlite" else dbs.postgresql
    ours, floor = [], []
    log(f"[{name}] the bot's Accept all: preview kept (timed apart), then the confirmation")
    for _ in range(repeat):
        with make_db("confirm-ours") as engine:
            ours.append(_bulk_confirm_ours(engine, count))
        with make_db("confirm-floor") as engine:
            floor.append(_bulk_floor(engine, count, BULK_FLOOR))
        log(f"  ours apply_bulk_preview + commit {ours[-1]:.3f} s; floor {floor[-1]:.3f} s")
    return Figure(name, min(ours), min(floor), 2.0, "s")


def _bulk_confirm_ours(engine: Engine, count: int) -> float:
    taxpayer_id = load(engine, count, BULK_SPREAD, seed=11)
    with transaction(engine) as session:  # a member previews and confirms in the bot
        owner = Membership(
            user_id=INBOX_USERS[0], taxpayer_id=taxpayer_id, role="owner", created_at=NOW
        )
        session.add(owner)
    analyze(engine)
    owner = Actor.user(INBOX_USERS[0], Channel.BULK)
    start = time.perf_counter()
    with transaction(engine) as session:
        shown = keep_bulk_preview(
            session,
            actor=owner,
            gstin=RECIPIENT,
            record_filter=RecordFilter(status=Action.NO_ACTION),
            action=Action.ACCEPT,
            rulebook=RuleBook(),
            now=NOW,
        )
    log(f"  the preview (keep_bulk_preview + commit) took {time.perf_counter() - start:.3f} s")
    assert shown.count == count and shown.preview_id is not None, shown
    gc.collect()
    start = time.perf_counter()
    with transaction(engine) as session:
        result = apply_bulk_preview(
            session, actor=owner, preview_id=shown.preview_id, rulebook=RuleBook(), now=NOW
        )
    elapsed = time.perf_counter() - start
    assert (result.count, result.changed_since, result.arrived_since) == (count, 0, 0), result
    return elapsed


BULK_FLOOR = (
    "UPDATE record SET action = 'A', version = version + 1 WHERE taxpayer_id = :taxpayer",
    "INSERT INTO actionlog (record_id, taxpayer_id, user_id, at, from_action, to_action,"
    " channel, remarks, bulk_id, record_version)"
    " SELECT id, taxpayer_id, NULL, :now, 'N', 'A', 'bulk', NULL, 1, version"
    " FROM record WHERE taxpayer_id = :taxpayer",
)


def _bulk_floor(engine: Engine, count: int, statements: tuple[str, str]) -> float:
    taxpayer_id = load(engine, count, BULK_SPREAD, seed=11)
    analyze(engine)
    change = text(statements[0])
    audit = text(statements[1]).bindparams(bindparam("now", NOW, type_=RECORDS.c.action_at.type))
    gc.collect()
    with engine.connect() as connection:
        start = time.perf_counter()
        changed = connection.execute(change, {"taxpayer": taxpayer_id}).rowcount
        connection.execute(audit, {"taxpayer": taxpayer_id})
        connection.commit()
        elapsed = time.perf_counter() - start
    assert changed == count, changed
    return elapsed


# ---------------------------------------------------------------------------------------------
# 5. Inbox pages


@dataclass(frozen=True)
class PageCall:
    kind: str
    record_filter: RecordFilter
    after: InboxCursor | None


NO_ACTION = RecordFilter(status=Action.NO_ACTION)
DEEP = (0.10, 0.25, 0.50, 0.75, 0.90, 0.99)  # fractions of the No-action records skipped


def _page(engine: Engine, call: PageCall) -> InboxCursor | None:
    with transaction(engine) as session:
        page = inbox_page(
            session,
            actor=CLI,
            gstin=RECIPIENT,
            record_filter=call.record_filter,
            after=call.after,
            limit=50,
        )
    return page.next_cursor


def inbox_calls(engine: Engine, taxpayer_id: int) -> list[PageCall]:
    """200 page requests: first pages, the next ten pages, deep pages, supplier pages.

    Every cursor is taken from a page served before it, as the bot's "Next" button does. The
    deep ones start from the record at a given fraction of the No-action records (found by an
    OFFSET, not timed) and take the cursor of the page served there.
    """
    c = RECORDS.c
    shallow: list[InboxCursor] = []
    after: InboxCursor | None = None
    for _ in range(10):
        after = _page(engine, PageCall("first", NO_ACTION, after))
        assert after is not None
        shallow.append(after)
    deep: list[InboxCursor] = []
    with engine.connect() as connection:
        pending = connection.execute(
            select(func.count()).where(c.taxpayer_id == taxpayer_id, c.action == "N")
        ).scalar_one()
        for fraction in DEEP:
            document_date, record_id = connection.execute(
                select(c.document_date, c.id)
                .where(c.taxpayer_id == taxpayer_id, c.action == "N")
                .order_by(c.document_date.desc(), c.id.desc())
                .limit(1)
                .offset(int(pending * fraction))
            ).one()
            start = InboxCursor(document_date, record_id)
            cursor = _page(engine, PageCall("deep", NO_ACTION, start))
            deep.append(cursor or start)
        # The five biggest suppliers, the same ranks in every database.
        suppliers = list(
            connection.execute(
                select(c.supplier_gstin)
                .where(c.taxpayer_id == taxpayer_id)
                .group_by(c.supplier_gstin)
                .order_by(func.count().desc(), c.supplier_gstin)
                .limit(5)
            ).scalars()
        )
    calls = [PageCall("first", NO_ACTION, None)] * 40
    calls += [PageCall("next", NO_ACTION, shallow[i % 10]) for i in range(50)]
    calls += [PageCall("deep", NO_ACTION, deep[i % len(deep)]) for i in range(60)]
    calls += [
        PageCall("supplier", RecordFilter(supplier=suppliers[i % 5]), None) for i in range(25)
    ]
    calls += [
        PageCall("supplier", RecordFilter(supplier=suppliers[i % 5], status=Action.NO_ACTION), None)
        for i in range(25)
    ]
    random.Random(3).shuffle(calls)
    return calls


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[math.ceil(0.95 * len(ordered)) - 1]


def _timed_page(engine: Engine, call: PageCall) -> float:
    start = time.perf_counter()
    _page(engine, call)
    return (time.perf_counter() - start) * 1000


def bench_inbox(
    dbs: Databases, backend: str, *, big: int, small: int, name: str, repeat: int
) -> Figure:
    """p95 of the same page requests on `big` and `small` records, the calls interleaved."""
    make_db = dbs.sqlite if backend == "sqlite" else dbs.postgresql
    with make_db(f"inbox-{big}") as big_engine, make_db(f"inbox-{small}") as small_engine:
        plans = []
        for engine, count, seed in ((big_engine, big, 21), (small_engine, small, 22)):
            log(f"[{name}] loading {count:,} records (not timed)")
            taxpayer_id = load(engine, count, INBOX_SPREAD, seed=seed)
            analyze(engine)
            plans.append((engine, inbox_calls(engine, taxpayer_id)))
        for engine, calls in plans:
            for call in calls[:20]:  # warm-up
                _page(engine, call)
        seen: list[dict[str, list[float]]] = [{"all": []}, {"all": []}]
        for _ in range(repeat):
            for index in range(len(plans[0][1])):
                for (engine, calls), latencies in zip(plans, seen, strict=True):
                    elapsed = _timed_page(engine, calls[index])
                    latencies["all"].append(elapsed)
                    latencies.setdefault(calls[index].kind, []).append(elapsed)
    for count, latencies in zip((big, small), seen, strict=True):
        shown = ", ".join(f"{kind} {_p95(values):.2f}" for kind, values in latencies.items())
        median = statistics.median(latencies["all"])
        log(f"  {count:,} records: p95 ms {shown}; median {median:.2f} ms")
    return Figure(name, _p95(seen[0]["all"]), _p95(seen[1]["all"]), 3.0, "ms")


# ---------------------------------------------------------------------------------------------
# Bot: tap-to-edit latency through the fake Telegram server (bench/bot_latency.py)

BOT_USERS = 20


def bench_bot(folder: Path, *, rounds: int, name: str = "bot_tap_p95_20_users") -> Figure:
    """p95 of Accept taps by 20 concurrent users, against a no-op handler in the same harness."""
    # Imported here, not at the top: the memory children import this file and must not pay
    # for python-telegram-bot, aiohttp and the e2e harness.
    from bench.bot_latency import measure  # noqa: PLC0415

    log(f"[{name}] {BOT_USERS} users, {rounds} timed rounds per side (setup not timed)")
    started = time.perf_counter()
    ours, floor = measure(folder, BOT_USERS, rounds, log)
    for label, values in (("ours", ours), ("floor", floor)):
        median = statistics.median(values)
        p95, top = _p95(values), max(values)
        log(f"  {label}: p95 {p95:.1f} ms, median {median:.1f} ms, max {top:.1f} ms")
    log(f"  took {time.perf_counter() - started:.1f} s")
    return Figure(name, _p95(ours), _p95(floor), 3.0, "ms")


# ---------------------------------------------------------------------------------------------
# Outbox fan-out through the rate limiter (bench/fanout.py)


def bench_fanout(folder: Path, *, users: int, name: str = "outbox_fanout_1000") -> Figure:
    """Delivery rate of the real outbox sender against the limiter's configured rate."""
    from bench.fanout import PER_USER, RATE, measure  # noqa: PLC0415 (see bench_bot)

    log(f"[{name}] {users} private chats x {PER_USER} queued messages, limiter {RATE:g}/s")
    started = time.perf_counter()
    seen = measure(folder, users, log)
    log(
        f"  {seen.messages} messages in {seen.seconds:.2f} s: {seen.rate:.1f}/s;"
        f" {seen.injected_429} x 429 injected, {seen.outbox_retries} rows re-claimed by the outbox"
    )
    for problem in seen.problems:
        log(f"  CHECK FAILED: {problem}")
    if not seen.problems:
        log("  checks: none lost, none doubled, all rows sent_at, every 429 followed by a success")
    log(f"  took {time.perf_counter() - started:.1f} s")
    # A failed check fails the figure: ours is then reported as 0.
    ours = seen.rate if not seen.problems else 0.0
    return Figure(name, ours, RATE, 0.9, "msg/s", better="higher")


# ---------------------------------------------------------------------------------------------
# Main


GROUPS = ("import", "ims", "register", "bulk", "inbox", "bot", "fanout")


def run(
    quick: bool, postgres_url: str | None, repeat: int, only: tuple[str, ...] = GROUPS
) -> list[Figure]:
    scale = 10 if quick else 1
    bulk = 100_000 // scale
    inbox_big = 100_000 if quick else 1_000_000
    backends = ["sqlite"]
    if postgres_url:
        backends.append("postgresql")
    elif {"bulk", "inbox"} & set(only):
        log("note: no --postgres-url and no IMS_TEST_DATABASE_URL: PostgreSQL rows skipped")
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory(prefix="ims-bench-") as folder, ExitStack() as stack:
        dbs = Databases(Path(folder), postgres_url)
        stack.callback(dbs.close)
        if "import" in only:
            figures += bench_import(dbs, bulk, "import_100k_sqlite", repeat)
        if {"ims", "register"} & set(only):
            # Only the files are kept: no records are alive while a file is read.
            log(f"building {bulk:,} demo records and writing them as files (not timed)")
            demo = demo_data(bulk)
            gstin = demo.recipients[0].gstin
            ims = write_ims(demo.records) if "ims" in only else b""
            xlsx = write_register_xlsx(demo.records) if "register" in only else b""
            del demo
            gc.collect()
            if ims:
                figures += bench_ims_file(dbs, ims, gstin, "import_ims_json_100k_sqlite", repeat)
            if xlsx:
                name = "register_xlsx_read_100k"
                figures += bench_register_xlsx(xlsx, gstin, bulk, name, repeat)
        for backend in backends if "bulk" in only else []:
            name = f"bulk_accept_100k_{backend}"
            figures.append(bench_bulk(dbs, backend, bulk, name, repeat))
            name = f"bulk_confirm_100k_{backend}"
            figures.append(bench_bulk_confirm(dbs, backend, bulk, name, repeat))
        for backend in backends if "inbox" in only else []:
            name = f"inbox_p95_1m_{backend}"
            figures.append(
                bench_inbox(dbs, backend, big=inbox_big, small=10_000, name=name, repeat=repeat)
            )
        if "bot" in only:
            figures.append(bench_bot(Path(folder), rounds=3 if quick else 10 * repeat))
        if "fanout" in only:
            figures.append(bench_fanout(Path(folder), users=10 if quick else 50))
    return figures


def table(figures: list[Figure]) -> str:
    lines = [
        f"{'benchmark':<40} {'ours':>10} {'floor':>10} {'unit':<5} {'ratio':>7} {'target':>8}  ok",
        "-" * 88,
    ]
    for f in figures:
        ok = "yes" if f.passed else "NO"
        target = f"{'>=' if f.better == 'higher' else '<='}{f.target:.1f}"
        lines.append(
            f"{f.name:<40} {f.ours:>10.3f} {f.floor:>10.3f} {f.unit:<5} {f.ratio:>7.2f} "
            f"{target:>8}  {ok}"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="sizes ~10x smaller (smoke check)")
    parser.add_argument("--json", action="store_true", help="print only a JSON list on stdout")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("IMS_TEST_DATABASE_URL"),
        help="server URL for the PostgreSQL rows (default: $IMS_TEST_DATABASE_URL)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        help="runs of each timed part; the fastest counts, the inbox pools every run "
        "(default 3, 1 with --quick)",
    )
    parser.add_argument(
        "--only",
        action="append",
        choices=GROUPS,
        help="run only these benchmarks (repeatable; default all)",
    )
    parser.add_argument("--memory-child", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--ims-memory-child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        count, path = args.memory_child
        memory_child(int(count), path)
        return
    if args.ims_memory_child:
        ims_memory_child(*args.ims_memory_child)
        return
    started = time.perf_counter()
    repeat = args.repeat or (1 if args.quick else 3)
    only = tuple(args.only or GROUPS)
    figures = run(args.quick, args.postgres_url, max(1, repeat), only)
    log(f"total run time {time.perf_counter() - started:.1f} s")
    if args.json:
        print(json.dumps([figure.as_json() for figure in figures], indent=2))
    else:
        print(table(figures))


if __name__ == "__main__":
    main()
