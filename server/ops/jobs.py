"""Draw and encode off the event loop, once per cache key."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Hashable
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Literal

from aiohttp import web
from PIL import Image

from ..render.encode import CONTENT_TYPES, ImageFormat, encode_image
from ..state import CONFIG, POOL
from .cache import RenderCache, RenderedImage
from .metrics import RENDER_SECONDS, RENDERS_IN_FLIGHT, count_cache_event

__all__ = ["RenderJob", "render_cached", "render_pool"]


@dataclass(frozen=True, slots=True)
class RenderJob:
    """One image to serve: its cache key, its kind (a metrics label), format and drawing.

    ``draw`` may hold protected text, so it stays out of the repr.
    """

    key: Hashable
    kind: Literal["token", "placeholder"]
    format: ImageFormat
    draw: Callable[[], Image.Image] = field(repr=False)


async def render_cached(cache: RenderCache, pool: Executor, job: RenderJob) -> RenderedImage:
    """The encoded image for ``job``; on a miss it is drawn in ``pool``, never on the loop.

    Exceptions of the drawing (such as ``ImageTooLarge``) reach every waiting request.
    """

    async def render() -> RenderedImage:
        with RENDERS_IN_FLIGHT.track_inprogress():
            return await asyncio.get_running_loop().run_in_executor(pool, _draw_and_encode, job)

    image, result = await cache.get(job.key, render)
    count_cache_event(result)
    return image


def _draw_and_encode(job: RenderJob) -> RenderedImage:
    started = time.perf_counter()
    body = encode_image(job.draw(), job.format)
    RENDER_SECONDS.labels(job.kind).observe(time.perf_counter() - started)
    return RenderedImage.from_bytes(body, CONTENT_TYPES[job.format])


async def render_pool(app: web.Application) -> AsyncIterator[None]:
    """The render threads, sized from the config, shut down with the app."""
    pool = ThreadPoolExecutor(max_workers=app[CONFIG].threads, thread_name_prefix="render")
    app[POOL] = pool
    yield
    await asyncio.to_thread(pool.shutdown, wait=True, cancel_futures=True)
