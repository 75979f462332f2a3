"""``GET /{W}x{H}...``: parse the placeholder URL, cache or render, respond."""

from __future__ import annotations

import functools

from aiohttp import web

from ..ops.cache import RenderCache, RenderedImage
from ..ops.jobs import RenderJob, cached_image, render_cached
from ..ops.metrics import count_cache_event
from ..render.encode import CONTENT_TYPES
from ..render.placeholder import PlaceholderSpec, render_placeholder, render_placeholder_svg
from ..state import ADMISSION, CONFIG, PLACEHOLDER_CACHE, POOL
from .responses import image_response

__all__ = ["INLINE_PIXELS", "placeholder_view"]

#: PNG placeholders up to this many pixels (about 2 ms of drawing and encoding) are drawn
#: on the event loop: skipping the hop to a render thread made placeholder misses 12%
#: faster (docs/performance.md). Bigger ones, other formats and every token image go to
#: the render threads, so the loop never stalls for long.
INLINE_PIXELS = 500_000


async def placeholder_view(request: web.Request) -> web.StreamResponse:
    """``GET /{W}x{H}[@2x][/{bg}[/{fg}]][.fmt]``: a placeholder image."""
    app = request.app
    config = app[CONFIG]
    spec = PlaceholderSpec.parse(
        request.match_info["spec"], request.query, config.placeholder_limits
    )
    if spec.format == "svg":
        return image_response(request, await _svg_cached(app[PLACEHOLDER_CACHE], spec), cors=True)
    if (image := cached_image(app[PLACEHOLDER_CACHE], spec)) is None:
        pixels = spec.pixel_size[0] * spec.pixel_size[1]
        job = RenderJob(
            key=spec,
            kind="placeholder",
            format=spec.format,
            draw=functools.partial(render_placeholder, spec),
            pixels=pixels,
            inline=spec.format == "png" and pixels <= INLINE_PIXELS,
        )
        image = await render_cached(
            app[PLACEHOLDER_CACHE], app[POOL], job, app[ADMISSION], timeout=config.render_timeout
        )
    return image_response(request, image, cors=True)


async def _svg_cached(cache: RenderCache, spec: PlaceholderSpec) -> RenderedImage:
    """The SVG placeholder, cached like the others. It is text written on the event loop
    (no pixel buffer, under a millisecond), so it needs no render thread or admission."""
    if (image := cached_image(cache, spec)) is not None:
        return image

    async def write() -> RenderedImage:
        return RenderedImage.from_bytes(render_placeholder_svg(spec), CONTENT_TYPES["svg"])

    image, result = await cache.get(spec, write)
    count_cache_event(result)
    return image
