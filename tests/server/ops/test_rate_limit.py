"""server.ops.rate_limit: token buckets, recent counts, the difficulty rule and the memory store."""

from __future__ import annotations

import pytest

from server.ops.rate_limit import (
    MAX_GROUP_BITS,
    MAX_SITE_BITS,
    REPLAYED,
    WINDOW,
    MemoryRevealStore,
    RateLimiter,
    RecentCount,
    RevealLimits,
    difficulty,
)
from tokens.errors import ChallengeLimit
from tokens.pow import Challenge, SpentChallenges


def test_burst_then_refill() -> None:
    limiter = RateLimiter(6)  # one every 10 s, a burst of 6
    assert [limiter.take("a", now=0) for _ in range(6)] == [0] * 6
    assert limiter.take("a", now=0) == 10
    assert limiter.take("a", now=4) == 6  # a refused request spends nothing
    assert limiter.take("a", now=10) == 0
    assert limiter.take("a", now=10) == 10
    assert limiter.take("a", now=1000) == 0  # refilled, capped at the burst
    assert [limiter.take("a", now=1000) for _ in range(6)] == [0] * 5 + [10]


def test_keys_are_independent() -> None:
    limiter = RateLimiter(1)
    assert limiter.take("a", now=0) == 0
    assert limiter.take("a", now=0) == 60
    assert limiter.take("b", now=0) == 0
    assert limiter.take(b"\x00" * 16, now=0) == 0


def test_memory_is_bounded() -> None:
    limiter = RateLimiter(1, max_keys=100)
    for i in range(1000):
        limiter.take(i, now=0)
    assert len(limiter) == 100
    assert limiter.take(999, now=0) == 60  # recent keys are kept
    assert limiter.take(0, now=0) == 0  # the oldest were forgotten


def test_rejects_a_zero_rate() -> None:
    with pytest.raises(ValueError):
        RateLimiter(0)


def test_wait_spends_nothing() -> None:
    limiter = RateLimiter(1)
    assert limiter.wait("a", now=0) == 0
    assert limiter.wait("a", now=0) == 0
    assert limiter.take("a", now=0) == 0
    assert limiter.wait("a", now=30) == 30


def test_recent_count_slides() -> None:
    counts = RecentCount(window=100)
    for _ in range(10):
        counts.add("g", now=50)
    assert counts.count("g", now=99) == 10
    assert counts.count("g", now=150) == 5  # half of the last window still overlaps
    counts.add("g", now=150)
    assert counts.count("g", now=150) == 6
    assert counts.count("g", now=300) == 0  # two windows on: forgotten
    assert counts.count("other", now=50) == 0


LIMITS = RevealLimits(client_rate=10, value_rate=30, site_rate=60, base_difficulty=20)
NORMAL = 60 * WINDOW / 60  # the site's normal reveals in a window


@pytest.mark.parametrize(
    ("group", "site", "bits"),
    [
        (0, 0, 20),  # a visitor alone: the base
        (9, 0, 20),  # a team page revealed: still the base
        (10, 0, 21),  # each client_rate reveals in the window adds a bit
        (35, 0, 23),
        (10_000, 0, 20 + MAX_GROUP_BITS),
        (0, NORMAL - 1, 20),  # the site at its normal rate
        (0, NORMAL, 21),  # at it and above: a bit, then one per doubling
        (0, 4 * NORMAL, 23),
        (0, 1e9, 20 + MAX_SITE_BITS),
        (1e9, 1e9, 20 + MAX_GROUP_BITS + MAX_SITE_BITS),
    ],
)
def test_difficulty_grows_with_harvesting(group: float, site: float, bits: int) -> None:
    assert difficulty(LIMITS, group, site) == bits


def test_difficulty_never_passes_the_challenge_maximum() -> None:
    limits = RevealLimits(base_difficulty=30)
    assert difficulty(limits, 1e9, 1e9) == 32


def challenge(tag: bytes) -> Challenge:
    return Challenge(tag=tag, difficulty=20, expires=2**31)


async def test_memory_store_counts_solved_reveals_per_value() -> None:
    store = MemoryRevealStore(RevealLimits(client_rate=10, value_rate=2))
    assert await store.admit("challenge", "g") == 0
    seed = b"s" * 16
    assert await store.spend(challenge(b"a" * 16), seed, "g") == 0
    assert await store.spend(challenge(b"a" * 16), seed, "g") == REPLAYED
    assert await store.spend(challenge(b"b" * 16), seed, "h") == 0
    wait = await store.spend(challenge(b"c" * 16), seed, "h")
    assert wait == 30  # 2 a minute: the next in 30 s; the challenge is not spent
    assert await store.spend(challenge(b"c" * 16), b"t" * 16, "h") == 0  # another value
    assert await store.recent("g") == (1, 3)
    assert await store.recent("h") == (2, 3)
    assert await store.next_difficulty("g") == 20


async def test_memory_store_refuses_when_the_replay_memory_is_full() -> None:
    store = MemoryRevealStore(RevealLimits(), spent=SpentChallenges(capacity=1))
    assert await store.spend(challenge(b"a" * 16), b"s" * 16, "g") == 0
    with pytest.raises(ChallengeLimit):
        await store.spend(challenge(b"b" * 16), b"s" * 16, "g")
    assert await store.recent("g") == (1, 1)  # the refused one counted nothing


async def test_memory_store_buckets_by_route_and_group() -> None:
    store = MemoryRevealStore(RevealLimits(client_rate=1))
    assert await store.admit("challenge", "g") == 0
    assert await store.admit("challenge", "g") == 60
    assert await store.admit("reveal", "g") == 0
    assert await store.admit("challenge", "h") == 0
