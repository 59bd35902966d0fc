"""kill -9 at random points of an import and of a bulk action (real `ims` processes), on both
backends: after each kill the store holds all of the operation or none of it, and running the
operation again completes it, applying nothing twice.

Each kill meets a fresh copy of the same store. The operation is first run to its end (timed;
in the long run also a second time, to see that nothing more happens); each kill then comes
after a random delay between 0 and 105 % of the median full run so far, so kills land from
start-up to the last commit.
"""

from __future__ import annotations

import random
import statistics
from collections import Counter
from pathlib import Path

import pytest

from tests.reliability import summary
from tests.reliability.downloads import Downloads, downloads, fill_store
from tests.reliability.processes import run_and_kill, run_ims
from tests.reliability.scale import Scale, kill_test_runs
from tests.reliability.store_state import applied, counts, counts_at, difference
from tests.reliability.stores import Databases, databases
from tests.storage_fixtures import BACKENDS


def operation_args(operation: str, files: Downloads, folder: Path) -> list[str]:
    """The `ims` command of the operation: import the second download, or accept in bulk."""
    if operation == "import":
        path = folder / "ims-download.json"
        path.write_bytes(files.second)
        return ["import", str(path), "--gstin", files.gstin]
    return ["bulk", "--gstin", files.gstin, "--action", "accept", "--yes"]


def outcome_of(state: dict[str, int], before: dict[str, int], complete: dict[str, int]) -> str:
    """ "none" or "all" of the operation is in the store; anything else fails the test."""
    if applied(state) == applied(before):
        return "none"
    assert applied(state) == applied(complete), (
        f"half an operation in the store: {difference(applied(state), applied(complete))}"
    )
    return "all"


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("operation", ["import", "bulk"])
def test_a_killed_operation_is_all_or_nothing_and_completes_when_run_again(
    operation: str, backend: str, scale: Scale, tmp_path: Path
) -> None:
    kill_test_runs(scale, operation, backend)
    files = downloads(scale.records)
    args = operation_args(operation, files, tmp_path)
    rng = random.Random(f"{operation}:{backend}")
    tally: Counter[str] = Counter()
    with databases(backend, tmp_path) as stores:
        with stores.template_engine() as engine:
            fill_store(engine, files, accept_all=operation == "import")
            before = counts(engine)
        first, complete = _run_to_the_end(stores, args, tmp_path, twice=scale.long)
        assert applied(complete) != applied(before)
        durations = [first]  # every full run, so that a slow first one does not skew the kills
        while tally["kills"] < scale.kills:
            assert tally["runs"] < 3 * scale.kills + 3, f"the kills keep missing: {tally}"
            tally["runs"] += 1
            url = stores.copy()
            duration = statistics.median(durations)
            kill = run_and_kill(args, url=url, cwd=tmp_path, delay=rng.uniform(0, 1.05 * duration))
            outcome = outcome_of(counts_at(url), before, complete)
            if kill.landed:
                tally["kills"] += 1
                tally[outcome] += 1
                tally[f"at {min(3, int(4 * kill.delay / duration))}"] += 1
            else:
                assert outcome == "all"
                tally["ended first"] += 1
            took = run_ims(args, url=url, cwd=tmp_path)
            if outcome == "none":
                durations.append(took)
            after = counts_at(url)
            assert applied(after) == applied(complete), difference(applied(after), complete)
            tally["completed"] += 1
            stores.drop(url)
    quarters = " / ".join(str(tally[f"at {q}"]) for q in range(4))
    summary.add_row(
        "kill -9 of `ims import` and `ims bulk --yes`",
        {
            "operation": f"{operation} ({applied(complete)['records']} records)"
            if operation == "import"
            else f"bulk accept ({complete['records in bulk rows']} records)",
            "backend": backend,
            "kills": tally["kills"],
            "none applied": tally["none"],
            "all applied": tally["all"],
            "half applied": 0,
            "kills per quarter of the run": quarters,
            "ended before the kill": tally["ended first"],
            "run again: completed": tally["completed"],
            "applied twice": 0,
            "run (s, median)": statistics.median(durations),
        },
    )


def _run_to_the_end(
    stores: Databases, args: list[str], folder: Path, *, twice: bool
) -> tuple[float, dict[str, int]]:
    """How long the operation takes, and the store it leaves; with `twice`, a second run
    changes nothing (a bulk action run again records an empty bulk action). The quick run
    leaves that to the kills that land after the commit."""
    url = stores.copy()
    duration = run_ims(args, url=url, cwd=folder)
    complete = counts_at(url)
    if twice:
        run_ims(args, url=url, cwd=folder)
        again = counts_at(url)
        assert applied(again) == applied(complete), difference(applied(again), applied(complete))
    stores.drop(url)
    return duration, complete
