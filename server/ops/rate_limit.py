"""Reveal's limits: what they count, the work they ask, and the in-memory store.

Per client group (:func:`server.ops.client_group.client_group`): ``client_rate`` challenges
a minute, and as many reveal requests, each a token bucket with a burst of as many. Per
value (its render seed): ``value_rate`` *solved* reveals a minute, so that nobody can lock
a value for others without doing the work. Every challenge reveals once.

The work grows with harvesting (:func:`difficulty`), as mCaptcha's levels do: the
challenge's zero bits are the base, plus one for every ``client_rate`` reveals the group
made in the last :data:`WINDOW` seconds (at most :data:`MAX_GROUP_BITS`), plus one for
each doubling of the whole site's reveals above its normal rate (at most
:data:`MAX_SITE_BITS`). A visitor who reveals a few values pays the base (about a second
in a browser at 20 bits); a harvester's cost per value doubles every ``client_rate``
values and reaches 2**8 times the base.

:class:`RevealStore` is what the routes talk to. :class:`MemoryRevealStore` keeps the
state in this process (one process only); :mod:`server.ops.redis_store` shares it
between every worker and instance through Redis.
"""

from __future__ import annotations

import math
import time
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass

from tokens.pow import MAX_DIFFICULTY, Challenge, SpentChallenges

from ..errors import ServerError

__all__ = [
    "MAX_GROUP_BITS",
    "MAX_SITE_BITS",
    "REPLAYED",
    "WINDOW",
    "MemoryRevealStore",
    "RateLimiter",
    "RecentCount",
    "RevealLimits",
    "RevealStore",
    "StoreUnavailable",
    "difficulty",
]

#: Seconds over which recent reveals count towards the difficulty (a sliding window).
WINDOW = 600
#: The most bits a group's own recent reveals add: 256 times the base work.
MAX_GROUP_BITS = 8
#: The most bits the site's overall rate adds: 16 times, for every visitor.
MAX_SITE_BITS = 4
#: What :meth:`RevealStore.spend` answers for a challenge that was spent before.
REPLAYED = -1


class StoreUnavailable(ServerError):
    """The shared store (Redis) did not answer: reveal answers 503 until it does."""


@dataclass(frozen=True, slots=True)
class RevealLimits:
    """The reveal settings that the store and :func:`difficulty` use."""

    client_rate: int = 10
    value_rate: int = 30
    site_rate: int = 60
    base_difficulty: int = 20


def difficulty(limits: RevealLimits, group_reveals: float, site_reveals: float) -> int:
    """The zero bits of the next challenge for a group that made ``group_reveals`` in the
    last :data:`WINDOW` seconds, on a site that made ``site_reveals``."""
    group_bits = min(MAX_GROUP_BITS, int(group_reveals // limits.client_rate))
    normal = limits.site_rate * WINDOW / 60
    site_bits = 0
    if site_reveals >= normal:
        site_bits = min(MAX_SITE_BITS, 1 + int(math.log2(site_reveals / normal)))
    return min(MAX_DIFFICULTY, limits.base_difficulty + group_bits + site_bits)


class RevealStore(ABC):
    """Where reveal's counters and spent challenges live. Every method may raise
    :class:`StoreUnavailable`."""

    def __init__(self, limits: RevealLimits) -> None:
        self.limits = limits

    @abstractmethod
    async def admit(self, route: str, group: str) -> int:
        """Spend one of ``group``'s requests a minute on ``route``: 0, or whole seconds
        until the next is allowed (nothing is spent then)."""

    @abstractmethod
    async def recent(self, group: str) -> tuple[float, float]:
        """Reveals in the last :data:`WINDOW` seconds: ``group``'s and the whole site's."""

    @abstractmethod
    async def spend(self, challenge: Challenge, seed: bytes, group: str) -> int:
        """Mark a verified ``challenge`` spent and count the reveal of the value ``seed``
        by ``group``, all or nothing: 0 when done, :data:`REPLAYED` when it was spent
        before, else whole seconds until the value may be revealed again."""

    async def close(self) -> None:  # noqa: B027 - a hook; the memory store holds nothing
        """Release connections; the default holds none."""

    async def next_difficulty(self, group: str) -> int:
        """The zero bits of a new challenge for ``group``."""
        group_reveals, site_reveals = await self.recent(group)
        return difficulty(self.limits, group_reveals, site_reveals)


class RateLimiter:
    """Token buckets by key; :meth:`take` answers 0 (go ahead) or the seconds to wait.

    Each key gets ``per_minute`` requests a minute, in a burst of up to ``per_minute``.
    Memory is bounded: at most ``max_keys`` buckets, the least recently used forgotten
    first (a forgotten key starts again with a full bucket).
    """

    def __init__(self, per_minute: int, *, max_keys: int = 65_536) -> None:
        if per_minute < 1:
            raise ValueError("per_minute must be at least 1")
        self.per_minute = per_minute
        self.max_keys = max_keys
        self._rate = per_minute / 60.0  # tokens a second
        self._buckets: OrderedDict[Hashable, tuple[float, float]] = OrderedDict()  # tokens, at

    def __len__(self) -> int:
        return len(self._buckets)

    def wait(self, key: Hashable, *, now: float | None = None) -> int:
        """What :meth:`take` would answer, without spending anything."""
        current = time.monotonic() if now is None else now
        tokens, at = self._buckets.get(key, (float(self.per_minute), current))
        tokens = min(float(self.per_minute), tokens + (current - at) * self._rate)
        return 0 if tokens >= 1.0 else max(1, math.ceil((1.0 - tokens) / self._rate))

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


class RecentCount:
    """Events by key over the last ``window`` seconds, as a sliding window: this window's
    count plus the previous one's, weighed by how much of it still overlaps. Bounded to
    ``max_keys`` keys, least recently counted forgotten first."""

    def __init__(self, window: float = WINDOW, *, max_keys: int = 65_536) -> None:
        self.window = window
        self.max_keys = max_keys
        self._counts: OrderedDict[Hashable, tuple[int, int, int]] = OrderedDict()

    def _current(self, key: Hashable, index: int) -> tuple[int, int]:
        at, previous, count = self._counts.get(key, (index, 0, 0))
        if at == index:
            return previous, count
        return (count if at == index - 1 else 0), 0

    def add(self, key: Hashable, *, now: float | None = None) -> None:
        current = time.time() if now is None else now
        index = int(current // self.window)
        previous, count = self._current(key, index)
        self._counts.pop(key, None)
        self._counts[key] = (index, previous, count + 1)
        while len(self._counts) > self.max_keys:
            self._counts.popitem(last=False)

    def count(self, key: Hashable, *, now: float | None = None) -> float:
        current = time.time() if now is None else now
        index = int(current // self.window)
        previous, count = self._current(key, index)
        overlap = 1.0 - (current - index * self.window) / self.window
        return count + previous * overlap


class MemoryRevealStore(RevealStore):
    """The state in this process's memory, bounded: for a single process (``make run``)."""

    def __init__(self, limits: RevealLimits, spent: SpentChallenges | None = None) -> None:
        super().__init__(limits)
        self.requests = RateLimiter(limits.client_rate)
        self.values = RateLimiter(limits.value_rate)
        self.spent = SpentChallenges() if spent is None else spent
        self.reveals = RecentCount()

    async def admit(self, route: str, group: str) -> int:
        return self.requests.take((route, group))

    async def recent(self, group: str) -> tuple[float, float]:
        return self.reveals.count(("group", group)), self.reveals.count(("site",))

    async def spend(self, challenge: Challenge, seed: bytes, group: str) -> int:
        if challenge in self.spent:
            return REPLAYED
        wait = self.values.wait(seed)
        if wait:
            return wait
        self.spent.spend(challenge)  # may raise ChallengeLimit: refused, nothing counted
        self.values.take(seed)
        self.reveals.add(("group", group))
        self.reveals.add(("site",))
        return 0
