"""server.ops.cache: LRU by bytes, single flight per key, and strong ETags."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from server.ops.cache import RenderCache, RenderedImage

Render = Callable[[], Awaitable[RenderedImage]]


class Renderer:
    """Counts its calls; can wait on a gate or fail, to test concurrent callers."""

    def __init__(self, size: int = 100, *, fail: bool = False, gated: bool = False) -> None:
        self.size = size
        self.fail = fail
        self.calls: list[str] = []
        self.started = asyncio.Event()
        self.gate = asyncio.Event()
        if not gated:
            self.gate.set()

    def __call__(self, key: str) -> Render:
        async def render() -> RenderedImage:
            self.calls.append(key)
            self.started.set()
            await self.gate.wait()
            if self.fail:
                raise RuntimeError(f"render of {key} failed")
            body = key.encode().ljust(self.size, b".")[: self.size]
            return RenderedImage.from_bytes(body, "image/png")

        return render


async def test_miss_then_hit() -> None:
    cache, renderer = RenderCache(1000), Renderer()
    first, result = await cache.get("a", renderer("a"))
    assert result == "miss"
    again, result = await cache.get("a", renderer("a"))
    assert result == "hit"
    assert again is first
    assert renderer.calls == ["a"]
    assert len(cache) == 1 and cache.size == 100


async def test_keys_are_separate() -> None:
    cache, renderer = RenderCache(1000), Renderer()
    a, _ = await cache.get(("token", b"a", 1, "png"), renderer("a"))
    b, result = await cache.get(("token", b"a", 2, "png"), renderer("b"))
    assert result == "miss"
    assert a.body != b.body
    assert len(cache) == 2


async def test_lru_eviction_by_total_bytes() -> None:
    cache, renderer = RenderCache(300), Renderer(size=100)
    for key in "abc":
        await cache.get(key, renderer(key))
    assert len(cache) == 3 and cache.size == 300
    assert (await cache.get("a", renderer("a")))[1] == "hit"  # a is now the most recent
    await cache.get("d", renderer("d"))  # over budget: evicts b, the least recently used
    assert len(cache) == 3 and cache.size == 300
    assert renderer.calls == ["a", "b", "c", "d"]
    for key in "acd":
        assert (await cache.get(key, renderer(key)))[1] == "hit", key
    assert (await cache.get("b", renderer("b")))[1] == "miss"  # evicts a (c, d used since)
    assert (await cache.get("a", renderer("a")))[1] == "miss"
    assert cache.size <= cache.max_bytes


async def test_eviction_makes_room_for_a_big_item() -> None:
    cache = RenderCache(300)
    for key in "abc":
        await cache.get(key, Renderer(size=100)(key))
    await cache.get("big", Renderer(size=250)("big"))  # evicts a, b and c
    assert len(cache) == 1 and cache.size == 250
    assert (await cache.get("big", Renderer()("big")))[1] == "hit"


async def test_item_larger_than_the_cache_is_not_stored() -> None:
    cache, small = RenderCache(300), Renderer(size=100)
    await cache.get("a", small("a"))
    huge = Renderer(size=301)
    image, result = await cache.get("huge", huge("huge"))
    assert result == "miss" and len(image.body) == 301
    assert (await cache.get("huge", huge("huge")))[1] == "miss"
    assert huge.calls == ["huge", "huge"]
    # The items already cached were not evicted for it.
    assert (await cache.get("a", small("a")))[1] == "hit"
    assert len(cache) == 1 and cache.size == 100


async def test_item_exactly_the_cache_size_is_stored() -> None:
    cache, renderer = RenderCache(300), Renderer(size=300)
    await cache.get("a", renderer("a"))
    assert (await cache.get("a", renderer("a")))[1] == "hit"
    assert cache.size == 300


async def test_concurrent_gets_render_once() -> None:
    cache, renderer = RenderCache(1000), Renderer(gated=True)
    tasks = [asyncio.create_task(cache.get("a", renderer("a"))) for _ in range(10)]
    await renderer.started.wait()
    await asyncio.sleep(0)  # let every task reach the cache
    renderer.gate.set()
    results = await asyncio.gather(*tasks)
    assert renderer.calls == ["a"]
    assert sorted(result for _, result in results) == ["coalesced"] * 9 + ["miss"]
    assert len({id(image) for image, _ in results}) == 1
    assert (await cache.get("a", renderer("a")))[1] == "hit"


async def test_concurrent_gets_of_different_keys_render_each() -> None:
    cache, renderer = RenderCache(10_000), Renderer(gated=True)
    tasks = [asyncio.create_task(cache.get(k, renderer(k))) for k in "abcab"]
    await renderer.started.wait()
    renderer.gate.set()
    results = await asyncio.gather(*tasks)
    assert sorted(renderer.calls) == ["a", "b", "c"]
    assert [result for _, result in results] == ["miss"] * 3 + ["coalesced"] * 2


async def test_failed_render_reaches_every_waiter_and_is_not_cached() -> None:
    cache, failing = RenderCache(1000), Renderer(gated=True, fail=True)
    tasks = [asyncio.create_task(cache.get("a", failing("a"))) for _ in range(10)]
    await failing.started.wait()
    await asyncio.sleep(0)
    failing.gate.set()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert failing.calls == ["a"]
    assert all(isinstance(r, RuntimeError) and "render of a failed" in str(r) for r in results)
    assert len(cache) == 0 and cache.size == 0

    # The key is free again: the next get renders anew and is cached.
    working = Renderer()
    image, result = await cache.get("a", working("a"))
    assert result == "miss" and working.calls == ["a"]
    assert (await cache.get("a", working("a"))) == (image, "hit")


async def test_failed_render_is_raised_to_a_lone_caller() -> None:
    cache = RenderCache(1000)
    with pytest.raises(RuntimeError, match="render of a failed"):
        await cache.get("a", Renderer(fail=True)("a"))
    assert len(cache) == 0


async def test_a_departing_caller_cancels_nothing() -> None:
    """The first caller going away neither cancels the render nor fails the others."""
    cache, renderer = RenderCache(1000), Renderer(gated=True)
    first = asyncio.create_task(cache.get("a", renderer("a")))
    await renderer.started.wait()
    others = [asyncio.create_task(cache.get("a", renderer("a"))) for _ in range(3)]
    await asyncio.sleep(0)
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    renderer.gate.set()
    results = await asyncio.gather(*others)
    assert [result for _, result in results] == ["coalesced"] * 3
    assert renderer.calls == ["a"]
    assert (await cache.get("a", renderer("a")))[1] == "hit"


async def test_a_render_everyone_left_is_cancelled() -> None:
    """When the last waiter goes, the render task is cancelled (what that stops is up to
    the render: see tests/server/ops/test_jobs.py) and the key is free again."""
    cache, renderer = RenderCache(1000), Renderer(gated=True)
    waiters = [asyncio.create_task(cache.get("a", renderer("a"))) for _ in range(2)]
    await renderer.started.wait()
    assert cache.waiting("a") == 2
    for waiter in waiters:
        waiter.cancel()
    results = await asyncio.gather(*waiters, return_exceptions=True)
    assert all(isinstance(result, asyncio.CancelledError) for result in results)
    await asyncio.sleep(0)
    assert cache.waiting("a") == 0 and len(cache) == 0
    renderer.gate.set()
    assert (await cache.get("a", renderer("a")))[1] == "miss"
    assert renderer.calls == ["a", "a"]


async def test_a_waiter_past_its_timeout_leaves_the_others() -> None:
    cache, renderer = RenderCache(1000), Renderer(gated=True)
    patient = asyncio.create_task(cache.get("a", renderer("a")))
    await renderer.started.wait()
    with pytest.raises(TimeoutError):
        await cache.get("a", renderer("a"), timeout=0.01)
    renderer.gate.set()
    assert (await patient)[1] == "miss"
    assert renderer.calls == ["a"]


async def test_a_lone_waiter_timing_out_frees_the_key() -> None:
    cache, renderer = RenderCache(1000), Renderer(gated=True)
    with pytest.raises(TimeoutError):
        await cache.get("a", renderer("a"), timeout=0.01)
    await asyncio.sleep(0)
    assert cache.waiting("a") == 0
    renderer.gate.set()
    assert (await cache.get("a", renderer("a")))[1] == "miss"
    assert renderer.calls == ["a", "a"]


async def test_zero_bytes_caches_nothing() -> None:
    cache, renderer = RenderCache(0), Renderer(size=10)
    for _ in range(3):
        _, result = await cache.get("a", renderer("a"))
        assert result == "miss"
    assert renderer.calls == ["a"] * 3
    assert len(cache) == 0 and cache.size == 0


async def test_zero_bytes_still_coalesces() -> None:
    cache, renderer = RenderCache(0), Renderer(gated=True)
    tasks = [asyncio.create_task(cache.get("a", renderer("a"))) for _ in range(3)]
    await renderer.started.wait()
    renderer.gate.set()
    results = await asyncio.gather(*tasks)
    assert renderer.calls == ["a"]
    assert sorted(result for _, result in results) == ["coalesced", "coalesced", "miss"]


def test_etag_is_a_quoted_hash_of_the_bytes() -> None:
    image = RenderedImage.from_bytes(b"\x89PNG one", "image/png")
    assert image.body == b"\x89PNG one"
    assert image.content_type == "image/png"
    assert image.etag.startswith('"') and image.etag.endswith('"')
    inner = image.etag[1:-1]
    assert len(inner) >= 16
    assert all(c in "0123456789abcdef" for c in inner)
    assert RenderedImage.from_bytes(b"\x89PNG one", "image/webp").etag == image.etag
    assert RenderedImage.from_bytes(b"\x89PNG two", "image/png").etag != image.etag
    assert RenderedImage.from_bytes(b"", "image/png").etag != image.etag
