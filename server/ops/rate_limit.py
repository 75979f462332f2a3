"""Per-key rate limits for the reveal routes: a token bucket per client or per value.

Each key (a client address, a value's seed) gets ``per_minute`` requests a minute, in a
burst of up to ``per_minute``. Memory is bounded: at most ``max_keys`` buckets, the
least recently used forgotten first (a forgotten key starts again with a full bucket,
so the bound trades a little precision under a flood of distinct keys for memory).
Limits are per process: with several workers, each keeps its own.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass, field

from tokens.pow import SpentChallenges

__all__ = ["RateLimiter", "RevealGuards"]


class RateLimiter:
    """Token buckets by key; :meth:`take` answers 0 (go ahead) or the seconds to wait."""

    def __init__(self, per_minute: int, *, max_keys: int = 65_536) -> None:
        if per_minute < 1:
            raise ValueError("per_minute must be at least 1")
        self.per_minute = per_minute
        self.max_keys = max_keys
        self._rate = per_minute / 60.0  # tokens a second
        self._buckets: OrderedDict[Hashable, tuple[float, float]] = OrderedDict()  # tokens, at

    def __len__(self) -> int:
        return len(self._buckets)

    def take(self, key: Hashable, *, now: float | None = None) -> int:
        """Spend one request of ``key``'s allowance: 0 if allowed, else whole seconds until
        the next one is (nothing is spent then)."""
        current = time.monotonic() if now is None else now
        tokens, at = self._buckets.pop(key, (float(self.per_minute), current))
        tokens = min(float(self.per_minute), tokens + (current - at) * self._rate)
        if tokens >= 1.0:
            self._buckets[key] = (tokens - 1.0, current)
            wait = 0
        else:
            self._buckets[key] = (tokens, current)
            wait = max(1, math.ceil((1.0 - tokens) / self._rate))
        while len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)
        return wait


@dataclass(frozen=True)
class RevealGuards:
    """What the reveal routes remember: challenges per client and per value, and the
    challenges already spent."""

    clients: RateLimiter
    values: RateLimiter
    spent: SpentChallenges = field(default_factory=SpentChallenges)

    @classmethod
    def build(cls, client_rate: int, value_rate: int) -> RevealGuards:
        return cls(RateLimiter(client_rate), RateLimiter(value_rate))
