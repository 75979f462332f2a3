"""The home page that documents both APIs (placeholder until the page lands)."""

from __future__ import annotations

from aiohttp import web


async def home_view(request: web.Request) -> web.Response:
    """``GET /``: the documentation page."""
    return web.Response(text="glyphveil\n")
