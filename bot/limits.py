"""Per-user limits on taps and uploads, so one person (or a script) cannot flood the bot.

A token bucket per user and kind: a burst of a full period's allowance, refilled evenly. The
defaults (settings) are far above a person working fast in the week of the 14th; a limited
user is told how long to wait, never ignored. The buckets live in this process: with several
bot workers each applies the limit to the updates it serves.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class _Bucket:
    tokens: float
    updated: float


@dataclass
class RateLimit:
    """`allowance` events per `period` seconds per user (0: no limit)."""

    allowance: int
    period: float
    clock: Callable[[], float] = time.monotonic
    _buckets: dict[int, _Bucket] = field(default_factory=dict)

    def wait_for(self, user_id: int) -> int:
        """Take one event for `user_id`: 0 when allowed, else the whole seconds to wait."""
        if self.allowance <= 0:
            return 0
        now = self.clock()
        bucket = self._buckets.get(user_id)
        if bucket is None:
            bucket = self._buckets[user_id] = _Bucket(float(self.allowance), now)
        rate = self.allowance / self.period
        bucket.tokens = min(float(self.allowance), bucket.tokens + (now - bucket.updated) * rate)
        bucket.updated = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return 0
        return max(1, math.ceil((1 - bucket.tokens) / rate))


@dataclass
class Limits:
    """The bot's limits: taps per minute and uploads per hour, per user."""

    taps: RateLimit
    uploads: RateLimit

    @classmethod
    def of(cls, *, taps_per_minute: int, uploads_per_hour: int) -> Limits:
        """Limits from the deployment's settings."""
        return cls(RateLimit(taps_per_minute, 60.0), RateLimit(uploads_per_hour, 3600.0))
