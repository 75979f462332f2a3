"""server.ops.redis_store: reveal's state in a real redis-server, shared, atomic, expiring,
and 503-ready when Redis goes away."""

from __future__ import annotations

import asyncio

import pytest

from server.ops.rate_limit import REPLAYED, RevealLimits, StoreUnavailable
from server.ops.redis_store import PREFIX, RedisRevealStore
from tests.redis_server import RedisServer
from tokens.pow import Challenge

LIMITS = RevealLimits(client_rate=3, value_rate=2, site_rate=60, base_difficulty=20)


def challenge(tag: bytes, expires: int = 2**31 - 1) -> Challenge:
    return Challenge(tag=tag, difficulty=20, expires=expires)


async def test_buckets_are_shared_by_every_store(redis_server: RedisServer) -> None:
    first = RedisRevealStore(LIMITS, redis_server.url)
    second = RedisRevealStore(LIMITS, redis_server.url)  # another worker or instance
    try:
        assert [await first.admit("challenge", "g") for _ in range(2)] == [0, 0]
        assert await second.admit("challenge", "g") == 0
        assert await second.admit("challenge", "g") == 20  # 3 a minute: one every 20 s
        assert await first.admit("challenge", "g") == 20
        assert await first.admit("reveal", "g") == 0  # each route its own bucket
        assert await first.admit("challenge", "h") == 0  # each group too
        ttl = int(redis_server.command(b"TTL", f"{PREFIX}bucket:challenge:g".encode())[1:])
        assert 0 < ttl <= 61  # expires on its own
    finally:
        await first.close()
        await second.close()


async def test_a_challenge_is_spent_once_everywhere(redis_server: RedisServer) -> None:
    stores = [RedisRevealStore(LIMITS, redis_server.url) for _ in range(4)]
    try:
        solved = challenge(b"\x01" * 16)
        outcomes = await asyncio.gather(*(s.spend(solved, b"v" * 16, "g") for s in stores))
        assert sorted(outcomes) == [REPLAYED, REPLAYED, REPLAYED, 0]  # atomic: one wins
        assert await stores[0].recent("g") == (1.0, 1.0)
        key = f"{PREFIX}spent:{solved.tag.hex()}".encode()
        assert int(redis_server.command(b"PTTL", key)[1:]) > 0
    finally:
        for store in stores:
            await store.close()


async def test_value_limit_counts_solved_reveals(redis_server: RedisServer) -> None:
    store = RedisRevealStore(LIMITS, redis_server.url)
    try:
        seed = b"v" * 16
        assert await store.spend(challenge(b"a" * 16), seed, "g") == 0
        assert await store.spend(challenge(b"b" * 16), seed, "h") == 0
        assert await store.spend(challenge(b"c" * 16), seed, "i") == 30  # 2 a minute
        # Refused for the value's limit, the challenge is not spent: it can come back.
        assert await store.spend(challenge(b"c" * 16), b"w" * 16, "i") == 0
        assert await store.recent("i") == (1.0, 3.0)
    finally:
        await store.close()


async def test_difficulty_rises_with_the_groups_reveals(redis_server: RedisServer) -> None:
    store = RedisRevealStore(LIMITS, redis_server.url)
    try:
        assert await store.next_difficulty("g") == 20
        for i in range(7):
            assert await store.spend(challenge(bytes([i]) * 16), bytes([i]) * 16, "g") == 0
        assert await store.next_difficulty("g") == 22  # 7 reveals at 3 a minute: 2 bits
        assert await store.next_difficulty("h") == 20  # another group pays the base
    finally:
        await store.close()


async def test_unreachable_redis_raises_then_recovers(redis_server: RedisServer) -> None:
    store = RedisRevealStore(LIMITS, redis_server.url, timeout=0.5)
    try:
        assert await store.admit("challenge", "g") == 0
        redis_server.stop()
        for call in (
            store.admit("challenge", "g"),
            store.recent("g"),
            store.spend(challenge(b"z" * 16), b"v" * 16, "g"),
        ):
            with pytest.raises(StoreUnavailable):
                await call
        redis_server.start()  # empty again: no persistence
        assert await store.admit("challenge", "g") == 0  # reconnected by itself
        assert await store.spend(challenge(b"z" * 16), b"v" * 16, "g") == 0
    finally:
        await store.close()


async def test_a_restart_between_two_calls_costs_no_failure(redis_server: RedisServer) -> None:
    store = RedisRevealStore(LIMITS, redis_server.url)
    try:
        assert await store.admit("challenge", "g") == 0  # a pooled connection now
        redis_server.stop()
        redis_server.start()  # the pooled connection is dead; Redis answers again
        assert await store.admit("challenge", "g") == 0
        assert await store.recent("g") == (0.0, 0.0)
    finally:
        await store.close()
