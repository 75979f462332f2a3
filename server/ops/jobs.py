"""Draw and encode off the event loop, once per cache key."""

from __future__ import annotations

import asyncio
import ctypes
import functools
import time
from collections.abc import AsyncIterator, Callable, Hashable
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Literal

from aiohttp import web
from PIL import Image

from ..errors import Overloaded
from ..render.encode import CONTENT_TYPES, ImageFormat, encode_image
from ..state import ADMISSION, CONFIG, POOL
from .admission import Admission
from .cache import RenderCache, RenderedImage
from .metrics import (
    RENDER_SECONDS,
    RENDERS_IN_FLIGHT,
    RENDERS_SHED,
    count_cache_event,
    labelled,
)

__all__ = ["MemoryTrimmer", "RenderJob", "cached_image", "render_cached", "render_pool"]


@dataclass(frozen=True, slots=True)
class RenderJob:
    """One image to serve: its cache key, its kind (a metrics label), format and drawing.

    ``draw`` may hold protected text, so it stays out of the repr.
    """

    key: Hashable
    kind: Literal["token", "placeholder"]
    format: ImageFormat
    draw: Callable[[], Image.Image] = field(repr=False)
    pixels: int = 1  # the output's size, or an upper estimate: what admission counts
    #: Drawn on the event loop instead of a render thread: for images that take about a
    #: millisecond or two, where the hop to a thread and back, and the threads' contention
    #: for the GIL with the loop, cost as much as the drawing.
    inline: bool = False


def cached_image(cache: RenderCache, key: Hashable) -> RenderedImage | None:
    """The image for ``key`` if ``cache`` holds it, counted as a hit; else None (and
    nothing counted: :func:`render_cached` follows). A hit needs no job, task or await."""
    image = cache.lookup(key)
    if image is not None:
        count_cache_event("hit")
    return image


async def render_cached(
    cache: RenderCache,
    pool: Executor,
    job: RenderJob,
    admission: Admission,
    *,
    timeout: float | None = None,
) -> RenderedImage:
    """The encoded image for ``job``; on a miss it is drawn in ``pool``, never on the loop.

    Only a miss asks ``admission``, which raises :class:`Overloaded` at once when the
    process is full. The render then waits for a thread; if every request waiting for
    it goes away first, it is dropped without being drawn. Once drawing, it finishes
    and fills the cache whatever happens to its requests. A request still waiting after
    ``timeout`` seconds gets :class:`Overloaded` too. Exceptions of the drawing (such as
    ``ImageTooLarge``) reach every waiting request.
    """

    try:
        image, result = await cache.get(
            job.key, functools.partial(_render, pool, job, admission), timeout=timeout
        )
    except TimeoutError:
        labelled(RENDERS_SHED, "deadline").inc()
        raise Overloaded("the image was not ready in time: try again shortly") from None
    count_cache_event(result)
    return image


async def _render(pool: Executor, job: RenderJob, admission: Admission) -> RenderedImage:
    """Admit, wait for a thread, draw (an ``inline`` job: draw at once, on the loop).
    The first step of the cache's task, so a refusal comes before any wait, and a task
    cancelled before it starts has taken nothing."""
    root, admission = admission, admission.for_kind(job.kind)
    ticket = admission.admit(job.pixels)  # may raise Overloaded
    started = False
    try:
        with RENDERS_IN_FLIGHT.track_inprogress():
            if job.inline:
                started = True
                return _draw_and_encode(job)
            async with admission.thread():
                started = True
                drawing = asyncio.get_running_loop().run_in_executor(pool, _draw_and_encode, job)
                return await _finish(drawing)
    except asyncio.CancelledError:
        if not started:
            labelled(RENDERS_SHED, "abandoned").inc()
        raise
    finally:
        admission.release(ticket)
        if root.idle and root.when_idle is not None:
            root.when_idle()


async def _finish(drawing: asyncio.Future[RenderedImage]) -> RenderedImage:
    """Await a drawing in its thread to the end: cancelling the task cannot stop the
    thread, and the image it makes is worth keeping for the next request."""
    while True:
        try:
            return await asyncio.shield(drawing)
        except asyncio.CancelledError:
            if (task := asyncio.current_task()) is not None:
                task.uncancel()


def _draw_and_encode(job: RenderJob) -> RenderedImage:
    started = time.perf_counter()
    body = encode_image(job.draw(), job.format)
    labelled(RENDER_SECONDS, job.kind).observe(time.perf_counter() - started)
    return RenderedImage.from_bytes(body, CONTENT_TYPES[job.format])


#: glibc's mallopt() parameter for the most malloc arenas (M_ARENA_MAX, malloc.h).
_M_ARENA_MAX = -8
#: Arenas for the whole process: glibc's default is 8 per core, one per thread that
#: allocates at once, and each keeps its own free memory.
ARENAS = 2


class MemoryTrimmer:
    """Give freed heap memory back to the system a moment after a burst of renders.

    A big render allocates hundreds of megabytes in the render threads' malloc arenas;
    glibc keeps most of it after it is freed, so an idle process stayed five times its
    size before a burst (bench/overload.py, docs/reliability.md). Two measures together
    bring it back within 1.5x: at most :data:`ARENAS` arenas (``mallopt``, set before the
    render threads start), and ``malloc_trim(0)``, which returns the free pages of every
    arena, once the last render in flight has finished and no other has started for
    ``delay`` seconds, on a thread, so the loop never waits. Elsewhere than glibc it
    does nothing.
    """

    def __init__(self, delay: float = 1.0) -> None:
        self.delay = delay
        self._handle: asyncio.TimerHandle | None = None
        self._libc = _glibc()
        self._malloc_trim: Callable[[int], int] | None = None
        if self._libc is not None:
            self._libc.mallopt(_M_ARENA_MAX, ARENAS)
            self._malloc_trim = self._libc.malloc_trim

    def renders_done(self) -> None:
        """The last render in flight finished: trim ``delay`` seconds from now."""
        if self._malloc_trim is None:
            return
        if self._handle is not None:
            self._handle.cancel()
        self._handle = asyncio.get_running_loop().call_later(self.delay, self._trim)

    def _trim(self) -> None:
        self._handle = None
        if self._malloc_trim is not None:
            asyncio.get_running_loop().run_in_executor(None, self._malloc_trim, 0)


def _glibc() -> ctypes.CDLL | None:
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt, libc.malloc_trim  # noqa: B018 (both exist: glibc)
    except (OSError, AttributeError):
        return None
    return libc


async def render_pool(app: web.Application) -> AsyncIterator[None]:
    """The render threads, sized from the config, shut down with the app."""
    config = app[CONFIG]
    budget = config.render_budget_mpx * 1_000_000
    # Placeholders get half the threads (at least one) on top of the token images' own,
    # and the same queue and pixel budget apart from theirs: neither kind can refuse
    # or stall the other.
    placeholder_threads = max(1, config.threads // 2)
    pool = ThreadPoolExecutor(
        max_workers=config.threads + placeholder_threads, thread_name_prefix="render"
    )
    app[POOL] = pool
    app[ADMISSION] = Admission(
        threads=config.threads,
        limit=config.render_limit,
        budget=budget,
        placeholders=Admission(
            threads=placeholder_threads, limit=config.render_limit, budget=budget
        ),
        when_idle=MemoryTrimmer().renders_done if config.malloc_trim else None,
    )
    yield
    await asyncio.to_thread(pool.shutdown, wait=True, cancel_futures=True)
