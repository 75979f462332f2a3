"""ASGI: ``app = RewriteMiddleware(app, Rewriter(...))`` (Starlette, FastAPI, Quart, any
ASGI 3 application; Starlette also takes ``app.add_middleware(RewriteMiddleware,
rewriter=Rewriter(...))``).

An HTML answer's ``http.response.start`` is held back until its body has arrived (up to
``max_bytes``, gathered over ``more_body`` messages), then both go out rewritten, with
``content-length`` and ``etag`` set again; see :mod:`tokens.middleware` for the rules.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

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

__all__ = ["RewriteMiddleware"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_OPT_OUT = OPT_OUT_HEADER.lower().encode("latin-1")


class RewriteMiddleware:
    """Wraps an ASGI application and rewrites its HTML answers with ``rewriter``."""

    def __init__(
        self, app: ASGIApp, rewriter: Rewriter, *, max_bytes: int = DEFAULT_MAX_BYTES
    ) -> None:
        self.app = app
        self.rewriter = rewriter
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.app(scope, receive, _Answer(self, scope, send).intercept)


class _Answer:
    """One HTTP answer on its way out: passed through, or held and rewritten."""

    def __init__(self, middleware: RewriteMiddleware, scope: Scope, send: Send) -> None:
        self.middleware = middleware
        self.where = log_path(str(scope.get("path", "")))
        self.send = send
        self.start: Message | None = None
        self.parts: list[bytes] = []
        self.size = 0
        self.passing = True
        self.values: dict[bytes, str] = {}

    async def intercept(self, message: Message) -> None:
        kind = message["type"]
        if kind == "http.response.start":
            headers = [(bytes(k), bytes(v)) for k, v in message.get("headers", [])]
            values = {k.lower(): v.decode("latin-1") for k, v in headers}
            kept = [(k, v) for k, v in headers if k.lower() != _OPT_OUT]
            message = {**message, "headers": kept}
            skip = opted_out(values.get(_OPT_OUT))
            self.passing = skip or not is_html(message["status"], values.get(b"content-type"))
            if self.passing:
                await self.send(message)
            else:
                self.start, self.values = message, values
            return
        if kind != "http.response.body" or self.passing:
            await self.send(message)
            return
        self.parts.append(bytes(message.get("body", b"")))
        self.size += len(self.parts[-1])
        more = bool(message.get("more_body", False))
        if self.size > self.middleware.max_bytes:
            limit = self.middleware.max_bytes
            logger.info("not rewritten: larger than %d bytes %s", limit, self.where)
            await self.flush(more)
            return
        if more:
            return
        await self.finish()

    async def flush(self, more: bool) -> None:
        assert self.start is not None
        self.passing = True
        await self.send(self.start)
        body = b"".join(self.parts)
        await self.send({"type": "http.response.body", "body": body, "more_body": more})

    async def finish(self) -> None:
        assert self.start is not None
        body = b"".join(self.parts)
        done = rewrite_body(
            self.middleware.rewriter,
            body,
            content_type=self.values.get(b"content-type"),
            content_encoding=self.values.get(b"content-encoding"),
            etag=self.values.get(b"etag"),
            where=self.where,
            max_bytes=self.middleware.max_bytes,
        )
        start = self.start
        if done is not None:
            body = done.body
            dropped = (b"content-length", b"content-md5", b"etag")
            headers = [(k, v) for k, v in start["headers"] if k.lower() not in dropped]
            headers.append((b"content-length", str(len(body)).encode("latin-1")))
            if done.etag is not None:
                headers.append((b"etag", done.etag.encode("latin-1")))
            start = {**start, "headers": headers}
        await self.send(start)
        await self.send({"type": "http.response.body", "body": body, "more_body": False})
