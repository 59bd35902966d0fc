"""`ims run` with a short outbox lease: the bot process the outbox kill test starts and kills.

A message claimed by a process that dies is sent again once its lease ends (storage.delivery,
60 s). Here the lease is RELIABILITY_LEASE_SECONDS, so a restart re-sends within seconds and
hundreds of kills fit in a run; the lease changes when an orphaned message is sent again, not
whether. Everything else is the real command, settings from the environment.
"""

from __future__ import annotations

import os
import sys
from datetime import timedelta

import storage.delivery
from ims_cli.main import main

if __name__ == "__main__":
    storage.delivery.LEASE = timedelta(seconds=float(os.environ["RELIABILITY_LEASE_SECONDS"]))
    sys.exit(main(["run"]))
