"""HTTP answers: images with caching headers, and plain one-line errors."""

from __future__ import annotations

from aiohttp import web

from ..ops.cache import RenderedImage

__all__ = ["FOREVER", "error_response", "etag_matches", "image_response", "security_headers"]

#: A year: the most a cache is asked to keep a response.
FOREVER = 31_536_000
_CACHE_FOREVER = f"public, max-age={FOREVER}, immutable"


def image_response(
    request: web.Request, image: RenderedImage, *, max_age: int = FOREVER, cors: bool = False
) -> web.Response:
    """200 with the image, or 304 when the client's ``If-None-Match`` already has it."""
    headers = {
        "ETag": image.etag,
        "Cache-Control": (
            # An expiring token: no cache may serve it past its expiry, stale or not.
            _CACHE_FOREVER if max_age == FOREVER else f"public, max-age={max_age}, must-revalidate"
        ),
    }
    if cors:
        headers["Access-Control-Allow-Origin"] = "*"
    if etag_matches(request, image.etag):
        return web.Response(status=304, headers=headers)
    headers["Content-Type"] = image.content_type
    return web.Response(body=image.body, headers=headers)


def etag_matches(request: web.Request, etag: str) -> bool:
    """Whether the client's ``If-None-Match`` names ``etag`` (quoted) or is ``*``."""
    candidates = request.if_none_match
    if not candidates:
        return False
    value = etag.strip('"')
    return any(c.value == "*" or c.value == value for c in candidates)


def error_response(status: int, reason: str) -> web.Response:
    """A one-line ``text/plain`` error (that no cache keeps: see :func:`security_headers`).

    ``reason`` must never quote protected text.
    """
    return web.Response(status=status, text=reason + "\n")


async def security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """``nosniff`` everywhere, and errors that no cache keeps."""
    response.headers["X-Content-Type-Options"] = "nosniff"
    if response.status >= 400:
        response.headers.setdefault("Cache-Control", "no-store")
