"""``GET /{W}x{H}...``: parse the placeholder URL, cache or render, respond."""

from __future__ import annotations

import functools

from aiohttp import web

from ..ops.jobs import RenderJob, render_cached
from ..render.placeholder import PlaceholderSpec, render_placeholder
from ..state import ADMISSION, CONFIG, PLACEHOLDER_CACHE, POOL
from .responses import image_response

__all__ = ["placeholder_view"]


async def placeholder_view(request: web.Request) -> web.StreamResponse:
    """``GET /{W}x{H}[@2x][/{bg}[/{fg}]][.fmt]``: a placeholder image."""
    app = request.app
    config = app[CONFIG]
    spec = PlaceholderSpec.parse(
        request.match_info["spec"], request.query, config.placeholder_limits
    )
    job = RenderJob(
        key=spec,
        kind="placeholder",
        format=spec.format,
        draw=functools.partial(render_placeholder, spec),
        pixels=spec.pixel_size[0] * spec.pixel_size[1],
    )
    image = await render_cached(
        app[PLACEHOLDER_CACHE], app[POOL], job, app[ADMISSION], timeout=config.render_timeout
    )
    return image_response(request, image, cors=True)
