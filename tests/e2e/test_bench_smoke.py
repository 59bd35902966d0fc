"""The benchmarks still run: `bench/run.py --quick` of the bot's sender, as a user of bench/ would.

Only that it completes and its checks hold is asserted (its `ours` is 0 when a message was lost,
doubled or left unsent): speed is the benchmark's business, never a test's.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_outbox_fanout_benchmark_runs_and_its_checks_hold() -> None:
    done = subprocess.run(
        [sys.executable, "bench/run.py", "--quick", "--only", "fanout", "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    (figure,) = json.loads(done.stdout)
    assert figure["name"] == "outbox_fanout_1000"
    assert figure["ours"] > 0, done.stderr[-2000:]
