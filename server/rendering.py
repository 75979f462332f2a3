"""Draw and encode off the event loop, once per cache key."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Hashable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Literal

from PIL import Image

from .cache import RenderCache, RenderedImage
from .encode import CONTENT_TYPES, ImageFormat, encode_image
from .metrics import CACHE_EVENTS, RENDER_SECONDS, RENDERS_IN_FLIGHT

__all__ = ["RenderJob", "render_cached"]


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
    CACHE_EVENTS.labels(result).inc()
    return image


def _draw_and_encode(job: RenderJob) -> RenderedImage:
    started = time.perf_counter()
    body = encode_image(job.draw(), job.format)
    RENDER_SECONDS.labels(job.kind).observe(time.perf_counter() - started)
    return RenderedImage.from_bytes(body, CONTENT_TYPES[job.format])
