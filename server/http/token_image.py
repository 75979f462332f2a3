"""``GET /t/{token}.png``: parse the name, verify the token, cache or render, respond.

A :class:`~server.errors.RequestError` raised here (a bad URL, an image over the
limits) is answered with a one-line 400 by :func:`server.http.middleware.request_errors`.
"""

from __future__ import annotations

import functools
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web
from PIL import Image

from tokens import ExpiredToken, InvalidToken, KeyRing, Payload, decode
from tokens.keys import header_key_id

from ..errors import RequestError
from ..ops.jobs import RenderJob, cached_image, render_cached
from ..ops.log_limit import LogLimit
from ..render.encode import ImageFormat
from ..render.lines import render_lines
from ..state import ADMISSION, CACHE, CONFIG, KEYS, POOL, VERIFIED
from .responses import FOREVER, error_response, image_response

__all__ = ["TokenImage", "token_view"]

log = logging.getLogger("glyphveil")

_TOKEN_FORMATS: dict[str, ImageFormat] = {"png": "png", "webp": "webp"}


@dataclass(frozen=True, slots=True)
class TokenImage:
    """What the last path segment of ``/t/{token}[@2x].{png|webp}`` asks for."""

    token: str
    density: int
    format: ImageFormat

    @classmethod
    def parse(cls, name: str, densities: frozenset[int]) -> TokenImage:
        """Split the segment; a bad format or density is a :class:`RequestError` (400).

        The format is what follows the last dot, the density what follows the first
        ``@`` before it; the token is the rest, whatever it holds, so that anything
        wrong with the token itself (``..%2fx``, ``a.b``) meets the one 404 of a bad token.
        """
        stem, dot, ext = name.rpartition(".")
        if not dot:
            raise RequestError("expected /t/{token}.png, /t/{token}@2x.png or .webp")
        fmt = _TOKEN_FORMATS.get(ext.lower())
        if fmt is None:
            raise RequestError(f"bad format {ext[:16]!r}: use png or webp")
        token, at, density_text = stem.partition("@")
        density = 1
        if at:
            allowed = ", ".join(f"@{d}x" for d in sorted(densities))
            text = density_text.lower()
            if not re.fullmatch(r"[1-9]x", text) or int(text[0]) not in densities:
                raise RequestError(f"bad density {density_text[:16]!r}: use {allowed}")
            density = int(text[0])
        return cls(token, density, fmt)


async def token_view(request: web.Request) -> web.StreamResponse:
    """``GET /t/{token}.png``: the protected text as an image."""
    app = request.app
    config = app[CONFIG]
    wanted = TokenImage.parse(request.match_info["name"], config.densities)
    keyring = app[KEYS].current  # once: verify and draw under the same keys
    try:
        token, payload = app[VERIFIED].verify_with_payload(wanted.token, keyring)
    except InvalidToken:
        log.info("token rejected: invalid")
        UNKNOWN_KEYS.report(wanted.token, keyring)
        raise web.HTTPNotFound() from None  # the same 404 as a path that does not exist
    except ExpiredToken:
        log.info("token rejected: expired")
        return error_response(410, "token expired")
    key = ("token", token.seed, wanted.density, wanted.format)
    if (image := cached_image(app[CACHE], key)) is None:
        job = RenderJob(
            key=key,
            kind="token",
            format=wanted.format,
            draw=functools.partial(_draw, wanted, keyring, config.max_pixels, payload),
            pixels=min(config.max_pixels, token.pixels(wanted.density)),
        )
        image = await render_cached(  # may raise ImageTooLarge or Overloaded
            app[CACHE], app[POOL], job, app[ADMISSION], timeout=config.render_timeout
        )
    return image_response(request, image, max_age=_max_age(token.expires_at))


def _draw(
    wanted: TokenImage, keyring: KeyRing, max_pixels: int, payload: Payload | None
) -> Image.Image:
    """Draw the token, on a render thread, from ``payload`` if the request decoded it.

    Only the seed, expiry and image size are kept between requests, so a render for a
    token verified by an earlier request decodes the text anew. The token was verified
    under this very key ring when the request came in; the clock is left out (``now=0``)
    so that a token expiring meanwhile still finishes the render its request accepted.
    """
    if payload is None:
        payload = decode(wanted.token, keyring=keyring, now=0.0)
    return render_lines(
        payload.text,
        payload.options,
        payload.seed,
        wanted.density,
        max_pixels,
        style=payload.style,
    )


class UnknownKeyLog:
    """Says, once a minute at most per key id, that a token names a key this service does
    not hold: the usual cause of every image failing (the site and the service on
    different keys). Only key ids are logged, never the token; the 404 is unchanged.

    Key ids are 16 bits, so the memory is bounded; ``per_minute`` bounds the lines a
    client can cause by forging headers with ever new ids.
    """

    def __init__(
        self,
        *,
        interval: float = 60.0,
        per_minute: int = 10,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._limit = LogLimit(
            interval=interval, per_minute=per_minute, max_subjects=1 << 16, clock=clock
        )

    def report(self, token: str, keyring: KeyRing) -> bool:
        """Log the line for ``token`` if its header names an unknown key; whether it did."""
        key_id = header_key_id(token)
        if key_id is None or key_id in keyring.by_id or not self._limit.allow(key_id):
            return False
        held = ", ".join(k.key_id.hex() for k in keyring.keys)
        log.warning(
            "token sealed with key id %s, which this service does not hold (it holds %s): "
            "do the website and the service use the same GLYPHVEIL_KEYS?",
            key_id.hex(),
            held,
        )
        return True


#: The process's log of unknown key ids.
UNKNOWN_KEYS = UnknownKeyLog()


def _max_age(expires_at: float | None) -> int:
    if expires_at is None:
        return FOREVER
    return max(0, min(FOREVER, int(expires_at - time.time())))
