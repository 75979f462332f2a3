"""server.ops.rate_limit: token buckets per key, with bounded memory."""

from __future__ import annotations

import pytest

from server.ops.rate_limit import RateLimiter, RevealGuards


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


def test_guards() -> None:
    guards = RevealGuards.build(2, 5)
    assert (guards.clients.per_minute, guards.values.per_minute) == (2, 5)
    assert len(guards.spent) == 0
