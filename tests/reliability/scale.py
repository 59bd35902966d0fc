"""How much the reliability suite does: a quick run inside the normal suite, or the long run.

The long run is asked for with `pytest tests/reliability --reliability-long` or
IMS_RELIABILITY_LONG=1; IMS_RELIABILITY_KILLS=N changes the number of kills per operation and
backend of either run (e.g. to run what fits in the time there is).
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass

import pytest


@dataclass(frozen=True)
class Scale:
    """The sizes of one run."""

    long: bool
    kills: int  # SIGKILLs per operation and backend
    records: int  # records in the IMS download the kill tests import (and act on in bulk)
    outbox_batch: int  # messages queued before each kill of the bot process
    fault_messages: int  # messages sent through random Telegram faults
    fault_rate: float  # share of sendMessage calls that fail
    tap_users: int  # simulated users tapping cards at once
    tap_seconds: float  # how long they tap
    tap_records: int  # the overlapping records they tap on
    hostile_files: int  # hostile files per class and backend


QUICK = Scale(
    long=False,
    kills=1,
    records=1_000,
    outbox_batch=30,
    fault_messages=60,
    fault_rate=0.3,
    tap_users=10,
    tap_seconds=3,
    tap_records=12,
    hostile_files=2,
)
LONG = Scale(
    long=True,
    kills=200,
    records=10_000,
    outbox_batch=60,
    fault_messages=1_000,
    fault_rate=0.3,
    tap_users=50,
    tap_seconds=60,
    tap_records=36,
    hostile_files=40,
)


# The one backend each kill test runs on in a quick run (the long run takes both): subprocesses
# cost about a second each to start, and the quick run must stay short.
QUICK_KILLS = {"import": "sqlite", "bulk": "postgresql", "outbox": "sqlite"}


def kill_test_runs(scale: Scale, operation: str, backend: str) -> None:
    """Skip a kill test that a quick run leaves to the long one."""
    if not scale.long and QUICK_KILLS[operation] != backend:
        pytest.skip(f"kills of {operation} on {backend}: long run only (--reliability-long)")


def scale_of(config: pytest.Config) -> Scale:
    """The scale asked for by option or environment."""
    long = bool(config.getoption("--reliability-long")) or os.environ.get(
        "IMS_RELIABILITY_LONG", ""
    ) not in ("", "0")
    scale = LONG if long else QUICK
    kills = os.environ.get("IMS_RELIABILITY_KILLS")
    return dataclasses.replace(scale, kills=int(kills)) if kills else scale
