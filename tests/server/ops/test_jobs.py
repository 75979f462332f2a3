"""server.ops.jobs: a miss is drawn once, in a render thread or, for an inline job, on the loop."""

from __future__ import annotations

import io
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from PIL import Image

from server.ops.admission import Admission
from server.ops.cache import RenderCache
from server.ops.jobs import RenderJob, cached_image, render_cached


def drawing(threads: list[threading.Thread]) -> Image.Image:
    threads.append(threading.current_thread())
    return Image.new("P", (4, 3))


@pytest.mark.parametrize("inline", [True, False])
async def test_a_miss_is_drawn_once_on_the_loop_or_in_a_render_thread(inline: bool) -> None:
    threads: list[threading.Thread] = []
    admission = Admission(threads=1, limit=4, budget=1_000_000)
    job = RenderJob("key", "placeholder", "png", lambda: drawing(threads), 12, inline=inline)
    cache = RenderCache(2**20)
    with ThreadPoolExecutor(1, thread_name_prefix="render") as pool:
        first = await render_cached(cache, pool, job, admission)
        again = await render_cached(cache, pool, job, admission)
    assert again is first  # a hit: drawn once
    assert Image.open(io.BytesIO(first.body)).size == (4, 3)
    assert len(threads) == 1
    on_loop = threads[0] is threading.current_thread()
    assert on_loop is inline
    assert (admission.admitted, admission.pixels) == (0, 0)  # released either way


async def test_an_inline_job_is_still_admitted() -> None:
    from server.errors import Overloaded

    admission = Admission(threads=1, limit=1, budget=1_000_000)
    admission.admit(1)  # the queue is full
    job = RenderJob("key", "placeholder", "png", lambda: drawing([]), 12, inline=True)
    with ThreadPoolExecutor(1) as pool, pytest.raises(Overloaded):
        await render_cached(RenderCache(2**20), pool, job, admission)


async def test_cached_image_answers_a_hit_without_a_job() -> None:
    from server.ops.metrics import CACHE_EVENTS

    hits = CACHE_EVENTS.labels("hit")
    cache = RenderCache(2**20)
    assert cached_image(cache, "key") is None  # a miss: nothing counted, render_cached follows
    before = hits._value.get()
    admission = Admission(threads=1, limit=4, budget=1_000_000)
    job = RenderJob("key", "placeholder", "png", lambda: drawing([]), 12, inline=True)
    with ThreadPoolExecutor(1) as pool:
        image = await render_cached(cache, pool, job, admission)
    assert hits._value.get() == before
    assert cached_image(cache, "key") is image
    assert hits._value.get() == before + 1


async def test_placeholders_draw_from_their_own_budget() -> None:
    from server.errors import Overloaded

    placeholders = Admission(threads=1, limit=1, budget=1_000_000)
    admission = Admission(threads=1, limit=1, budget=1_000_000, placeholders=placeholders)
    placeholders.admit(1)  # the placeholders' queue is full
    token = RenderJob("t", "token", "png", lambda: drawing([]), 12)
    placeholder = RenderJob("p", "placeholder", "png", lambda: drawing([]), 12)
    with ThreadPoolExecutor(1) as pool:
        assert await render_cached(RenderCache(2**20), pool, token, admission)  # not refused
        with pytest.raises(Overloaded):
            await render_cached(RenderCache(2**20), pool, placeholder, admission)
        admission.admit(1)  # and the other way round
        with pytest.raises(Overloaded):
            await render_cached(RenderCache(2**20), pool, token, admission)


async def test_memory_is_trimmed_once_after_the_last_render() -> None:
    import asyncio

    from server.ops.jobs import MemoryTrimmer

    trims: list[int] = []
    trimmer = MemoryTrimmer(delay=0.05)
    trimmer._malloc_trim = trims.append  # type: ignore[assignment]  # record, do not trim
    admission = Admission(threads=2, limit=4, budget=1_000_000, when_idle=trimmer.renders_done)
    jobs = [RenderJob(n, "token", "png", lambda: drawing([]), 12) for n in range(3)]
    with ThreadPoolExecutor(2) as pool:
        await asyncio.gather(*(render_cached(RenderCache(2**20), pool, j, admission) for j in jobs))
        for _ in range(100):
            if trims:
                break
            await asyncio.sleep(0.02)
    await asyncio.sleep(0.1)
    assert trims == [0]  # once, after the burst, not once per render
