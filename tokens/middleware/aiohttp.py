"""aiohttp: ``web.Application(middlewares=[rewrite_middleware(Rewriter(...))])``.

A ``web.Response`` with an HTML body is rewritten before it is sent, its
``Content-Length`` and ``ETag`` set again; a ``StreamResponse`` the handler prepared
itself and a ``FileResponse`` go out as they are, with one log line (rewrite static HTML
with ``glyphveil protect``). See :mod:`tokens.middleware` for the rules.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Awaitable, Callable

from aiohttp import web

from ..rewrite import Rewriter
from . import (
    DEFAULT_MAX_BYTES,
    OPT_OUT_HEADER,
    is_html,
    log_path,
    logger,
    opted_out,
    rewrite_body,
)

__all__ = ["rewrite_middleware"]

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Middleware = Callable[[web.Request, Handler], Awaitable[web.StreamResponse]]


def rewrite_middleware(rewriter: Rewriter, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Middleware:
    """A middleware that rewrites the application's HTML answers with ``rewriter``."""

    @web.middleware
    async def protect(request: web.Request, handler: Handler) -> web.StreamResponse:
        response = await handler(request)
        skip = opted_out(response.headers.get(OPT_OUT_HEADER))
        response.headers.popall(OPT_OUT_HEADER, None)
        if skip or not is_html(response.status, _content_type(response)):
            return response
        if not isinstance(response, web.Response) or response.prepared:
            logger.info("not rewritten: streamed response %s", log_path(request.path))
            return response
        body = response.body
        if not isinstance(body, bytes | bytearray):
            logger.info("not rewritten: the body is not bytes %s", log_path(request.path))
            return response
        if len(body) > max_bytes:
            logger.info("not rewritten: larger than %d bytes %s", max_bytes, log_path(request.path))
            return response
        done = rewrite_body(
            rewriter,
            bytes(body),
            content_type=response.headers.get("Content-Type"),
            content_encoding=response.headers.get("Content-Encoding"),
            etag=response.headers.get("ETag"),
            where=log_path(request.path),
            max_bytes=max_bytes,
        )
        if done is not None:
            response.body = done.body  # sets Content-Length too
            response.headers.popall("Content-MD5", None)
            if done.etag is not None:
                response.headers["ETag"] = done.etag
        return response

    return protect


def _content_type(response: web.StreamResponse) -> str | None:
    """The answer's type; a ``FileResponse`` sets it only when sent, from the file's name."""
    if "Content-Type" in response.headers or not isinstance(response, web.FileResponse):
        return response.headers.get("Content-Type")
    path = getattr(response, "_path", None)
    return mimetypes.guess_type(str(path))[0] if path is not None else None
