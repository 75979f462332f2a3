"""``GET /{W}x{H}...``: parse the placeholder URL, cache or render, respond."""

from __future__ import annotations

import functools

from aiohttp import web

from ..ops.jobs import RenderJob, render_cached
from ..render.placeholder import PlaceholderSpec, render_placeholder
from ..state import CACHE, CONFIG, POOL
from .responses import image_response

__all__ = ["placeholder_view"]


async def placeholder_view(request: web.Request) -> web.StreamResponse:
    """``GET /{W}x{H}[@2x][/{bg}[/{fg}]][.fmt]``: a placeholder image."""
    app = request.app
    limits = app[CONFIG].placeholder_limits
    spec = PlaceholderSpec.parse(request.match_info["spec"], request.query, limits)
    job = RenderJob(
        key=spec,
        kind="placeholder",
        format=spec.format,
        draw=functools.partial(render_placeholder, spec),
    )
    image = await render_cached(app[CACHE], app[POOL], job)
    return image_response(request, image, cors=True)
