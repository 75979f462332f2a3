"""WSGI: ``app.wsgi_app = RewriteMiddleware(app.wsgi_app, Rewriter(...))`` (Flask), or
wrap any WSGI application the same way.

The body of an HTML answer is gathered (up to ``max_bytes``), rewritten, and sent with
its ``Content-Length`` and ``ETag`` set again; see :mod:`tokens.middleware` for the rules.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from types import TracebackType
from typing import Any, Protocol

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

Headers = list[tuple[str, str]]
ExcInfo = tuple[type[BaseException], BaseException, TracebackType] | tuple[None, None, None]


class StartResponse(Protocol):
    def __call__(
        self, status: str, headers: Headers, exc_info: ExcInfo | None = None, /
    ) -> Callable[[bytes], object]: ...


WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


class RewriteMiddleware:
    """Wraps a WSGI application and rewrites its HTML answers with ``rewriter``."""

    def __init__(
        self, app: WSGIApp, rewriter: Rewriter, *, max_bytes: int = DEFAULT_MAX_BYTES
    ) -> None:
        self.app = app
        self.rewriter = rewriter
        self.max_bytes = max_bytes

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        held: dict[str, Any] = {}

        def hold(status: str, headers: Headers, exc_info: ExcInfo | None = None) -> Any:
            if exc_info is not None and exc_info[0] is not None and "status" in held:
                raise exc_info[1].with_traceback(exc_info[2])
            held.update(status=status, headers=headers, exc_info=exc_info)
            return lambda data: held.setdefault("written", []).append(data)

        body = self.app(environ, hold)
        status, headers = held["status"], held["headers"]
        values = {name.lower(): value for name, value in headers}
        where = log_path(str(environ.get("PATH_INFO", "")))
        code = int(status.split(" ", 1)[0])
        skip = opted_out(values.get(OPT_OUT_HEADER.lower()))
        headers = _without(headers, OPT_OUT_HEADER)  # never sent on, whatever happens
        if skip or not is_html(code, values.get("content-type")):
            write = start_response(status, headers, held["exc_info"])
            for data in held.get("written", []):
                write(data)
            return body
        parts: list[bytes] = list(held.get("written", []))
        size = sum(map(len, parts))
        iterator = iter(body)
        for part in iterator:
            parts.append(part)
            size += len(part)
            if size > self.max_bytes:
                logger.info("not rewritten: larger than %d bytes %s", self.max_bytes, where)
                start_response(status, headers, held["exc_info"])
                return _chain(parts, iterator, body)
        _close(body)
        whole = b"".join(parts)
        done = rewrite_body(
            self.rewriter,
            whole,
            content_type=values.get("content-type"),
            content_encoding=values.get("content-encoding"),
            etag=values.get("etag"),
            where=where,
            max_bytes=self.max_bytes,
        )
        if done is not None:
            whole = done.body
            headers = _without(headers, "content-length", "content-md5", "etag")
            headers.append(("Content-Length", str(len(whole))))
            if done.etag is not None:
                headers.append(("ETag", done.etag))
        start_response(status, headers, held["exc_info"])
        return [whole]


def _without(headers: Headers, *names: str) -> Headers:
    lowered = {name.lower() for name in names}
    return [(name, value) for name, value in headers if name.lower() not in lowered]


def _close(body: Iterable[bytes]) -> None:
    close = getattr(body, "close", None)
    if close is not None:
        close()


def _chain(parts: list[bytes], rest: Iterator[bytes], body: Iterable[bytes]) -> Iterator[bytes]:
    try:
        yield from parts
        yield from rest
    finally:
        _close(body)
