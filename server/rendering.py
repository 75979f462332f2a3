"""Draw and encode off the event loop, once per cache key."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Hashable
from concurrent.futures import Executor

from PIL import Image

from .cache import RenderCache, RenderedImage
from .encode import CONTENT_TYPES, ImageFormat, encode_image
from .metrics import CACHE_EVENTS, RENDER_SECONDS, RENDERS_IN_FLIGHT

__all__ = ["render_cached"]


async def render_cached(
    cache: RenderCache,
    pool: Executor,
    key: Hashable,
    kind: str,
    draw: Callable[[], Image.Image],
    fmt: ImageFormat,
) -> RenderedImage:
    """The encoded image for ``key``; on a miss ``draw`` runs in ``pool``, never on the loop."""

    async def render() -> RenderedImage:
        with RENDERS_IN_FLIGHT.track_inprogress():
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(pool, _draw_and_encode, kind, draw, fmt)

    image, result = await cache.get(key, render)
    CACHE_EVENTS.labels(result).inc()
    return image


def _draw_and_encode(kind: str, draw: Callable[[], Image.Image], fmt: ImageFormat) -> RenderedImage:
    started = time.perf_counter()
    body = encode_image(draw(), fmt)
    RENDER_SECONDS.labels(kind).observe(time.perf_counter() - started)
    return RenderedImage.from_bytes(body, CONTENT_TYPES[fmt])
