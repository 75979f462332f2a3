"""``GET /t/{token}.png``: parse the name, decode the token, cache or render, respond.

A :class:`~server.errors.RequestError` raised here (a bad URL, an image over the
limits) is answered with a one-line 400 by :func:`server.http.middleware.request_errors`.
"""

from __future__ import annotations

import functools
import logging
import re
import time
from dataclasses import dataclass

from aiohttp import web

from tokens import ExpiredToken, InvalidToken, Payload, decode

from ..errors import RequestError
from ..ops.jobs import RenderJob, render_cached
from ..render.encode import ImageFormat
from ..render.text import render_text
from ..state import CACHE, CONFIG, KEYS, POOL
from .responses import FOREVER, error_response, image_response

__all__ = ["TokenImage", "token_view"]

log = logging.getLogger("glyphveil")

_TOKEN_NAME = re.compile(r"(?P<token>[^@.]*)(?:@(?P<density>[^.]*))?\.(?P<format>[^.]*)")
_TOKEN_FORMATS: dict[str, ImageFormat] = {"png": "png", "webp": "webp"}


@dataclass(frozen=True, slots=True)
class TokenImage:
    """What the last path segment of ``/t/{token}[@2x].{png|webp}`` asks for."""

    token: str
    density: int
    format: ImageFormat

    @classmethod
    def parse(cls, name: str, densities: frozenset[int]) -> TokenImage:
        """Split the segment; a bad format or density is a :class:`RequestError` (400)."""
        match = _TOKEN_NAME.fullmatch(name)
        if match is None:
            raise RequestError("expected /t/{token}.png, /t/{token}@2x.png or .webp")
        fmt = _TOKEN_FORMATS.get(match["format"].lower())
        if fmt is None:
            raise RequestError(f"bad format {match['format'][:16]!r}: use png or webp")
        density = 1
        if match["density"] is not None:
            allowed = ", ".join(f"@{d}x" for d in sorted(densities))
            text = match["density"].lower()
            if not re.fullmatch(r"[1-9]x", text) or int(text[0]) not in densities:
                raise RequestError(f"bad density {match['density'][:16]!r}: use {allowed}")
            density = int(text[0])
        return cls(match["token"], density, fmt)


async def token_view(request: web.Request) -> web.StreamResponse:
    """``GET /t/{token}.png``: the protected text as an image."""
    app = request.app
    config = app[CONFIG]
    wanted = TokenImage.parse(request.match_info["name"], config.densities)
    try:
        payload = decode(wanted.token, keyring=app[KEYS].current)
    except InvalidToken:
        log.info("token rejected: invalid")
        raise web.HTTPNotFound() from None  # the same 404 as a path that does not exist
    except ExpiredToken:
        log.info("token rejected: expired")
        return error_response(410, "token expired")
    seed = payload.seed
    job = RenderJob(
        key=("token", seed, wanted.density, wanted.format),
        kind="token",
        format=wanted.format,
        draw=functools.partial(
            render_text, payload.text, payload.options, seed, wanted.density, config.max_pixels
        ),
    )
    image = await render_cached(app[CACHE], app[POOL], job)  # may raise ImageTooLarge
    return image_response(request, image, max_age=_max_age(payload))


def _max_age(payload: Payload) -> int:
    if payload.expires_at is None:
        return FOREVER
    return max(0, min(FOREVER, int(payload.expires_at.timestamp() - time.time())))
