"""Real processes for the kill tests: `ims` commands and the bot, started and SIGKILLed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

VENV_BIN = Path(sys.executable).parent
IMS = VENV_BIN / "ims"


def clean_env(**settings: str) -> dict[str, str]:
    """This environment without any IMS_* or Telegram setting, plus `settings`."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("IMS_", "TELEGRAM_"))
    }
    return {**env, **settings}


def run_ims(args: Sequence[str], *, url: str, cwd: Path, timeout: float = 300) -> float:
    """Run `ims ARGS` against the database at `url` to its end; returns how long it took."""
    started = time.monotonic()
    done = subprocess.run(
        [str(IMS), *args],
        env=clean_env(IMS_DATABASE_URL=url),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, f"ims {' '.join(args)} failed: {done.stderr[-2000:]}"
    return time.monotonic() - started


@dataclass(frozen=True)
class Kill:
    """One attempt to kill a process `delay` seconds after its start."""

    delay: float
    landed: bool  # False: the process had already finished


def run_and_kill(args: Sequence[str], *, url: str, cwd: Path, delay: float) -> Kill:
    """Start `ims ARGS` and SIGKILL it after `delay` seconds, unless it ended before."""
    process = subprocess.Popen(
        [str(IMS), *args],
        env=clean_env(IMS_DATABASE_URL=url),
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        process.wait(timeout=delay)
    except subprocess.TimeoutExpired:
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        assert process.stderr is not None
        process.stderr.close()
        return Kill(delay, landed=True)
    assert process.stderr is not None
    error = process.stderr.read().decode(errors="replace")
    process.stderr.close()
    assert process.returncode == 0, f"ims {' '.join(args)} failed: {error[-2000:]}"
    return Kill(delay, landed=False)
