"""Middlewares that run every HTML answer of a site through :class:`tokens.rewrite.Rewriter`.

One module per framework, each importing only its own: :mod:`tokens.middleware.wsgi`
(Flask, Bottle, any WSGI app), :mod:`tokens.middleware.asgi` (Starlette, FastAPI, any
ASGI app), :mod:`tokens.middleware.aiohttp` and :mod:`tokens.middleware.django`. They
share the rules in this module:

- only ``text/html`` and ``application/xhtml+xml`` answers are rewritten (XHTML with
  its inserted void elements closed), and not ``206 Partial Content``, ``204`` or
  ``304``;
- an answer carrying the header ``X-Glyphveil: off`` is left alone (the header is taken
  out before it leaves), the opt-out per response;
- ``gzip`` and ``deflate`` answers are decompressed, rewritten and compressed again;
  ``br`` too where the ``brotli`` module is installed; any other encoding is passed
  through with one log line;
- answers streamed by the framework (Django's ``StreamingHttpResponse``, aiohttp's
  prepared ``StreamResponse`` and ``FileResponse``) and bodies larger than ``max_bytes``
  (4 MiB by default) are passed through with one log line; WSGI and ASGI bodies that
  arrive in parts are gathered first;
- ``Content-Length`` is set to the new length and a changed body gets a new ``ETag``
  (a digest of the body, weak if the old one was); ``Content-MD5`` is dropped.

Log lines go to the ``glyphveil.rewrite`` logger and never hold a value of the page:
the path they name has any segment with an ``@`` or a run of digits masked
(:func:`log_path`).
"""

from __future__ import annotations

import hashlib
import logging
import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from email.message import Message

from ..rewrite import Rewriter

__all__ = [
    "DEFAULT_MAX_BYTES",
    "HTML_TYPES",
    "OPT_OUT_HEADER",
    "Rewritten",
    "is_html",
    "log_path",
    "logger",
    "opted_out",
    "rewrite_body",
]

#: The header that keeps one answer from being rewritten: ``X-Glyphveil: off``.
OPT_OUT_HEADER = "X-Glyphveil"
HTML_TYPES = ("text/html", "application/xhtml+xml")
DEFAULT_MAX_BYTES = 4 * 1024 * 1024
#: Statuses whose body is not a whole page.
_NOT_PAGES = frozenset({204, 206, 304})

logger = logging.getLogger("glyphveil.rewrite")


@dataclass(frozen=True)
class Rewritten:
    """A rewritten body, and the ``ETag`` that now goes with it (``None``: none before)."""

    body: bytes
    etag: str | None


def _media_type(content_type: str | None) -> tuple[str, str | None]:
    if not content_type:
        return "", None
    message = Message()
    message["content-type"] = content_type
    charset = message.get_param("charset")
    return message.get_content_type(), charset if isinstance(charset, str) else None


_PATH_VALUE = re.compile(r"[^/]*@[^/]*|[^/]*[0-9][0-9 ().%+-]{5,}[0-9][^/]*")


def log_path(path: str) -> str:
    """``path`` for a log line: segments that could hold an address or a number
    (``/users/jane@example.com``, ``/call/+442079460958``) become ``…``; at most 200
    characters."""
    return _PATH_VALUE.sub("…", path[:200])


def is_html(status: int, content_type: str | None) -> bool:
    """Whether an answer with this status and ``Content-Type`` is a page to rewrite."""
    return status not in _NOT_PAGES and _media_type(content_type)[0] in HTML_TYPES


def opted_out(value: str | None) -> bool:
    """Whether the ``X-Glyphveil`` header's value asks to leave the answer alone."""
    return value is not None and value.strip().lower() in ("off", "skip", "no", "false", "0")


def _codec(encoding: str) -> tuple[Callable[[bytes, int], bytes], Callable[[bytes], bytes]] | None:
    if encoding in ("gzip", "x-gzip"):
        return _gunzip, _gzip
    if encoding == "deflate":
        return _inflate, zlib.compress
    if encoding == "br":
        try:
            import brotli  # type: ignore[import-not-found,unused-ignore]
        except ImportError:
            return None
        return (lambda data, _limit: brotli.decompress(data)), brotli.compress
    return None


def _unzipped(data: bytes, wbits: int, limit: int) -> bytes:
    """``data`` decompressed, but never more than ``limit + 1`` bytes of it: a small
    body that would expand without bound stops there (and is then left alone)."""
    return zlib.decompressobj(wbits).decompress(data, limit + 1)


def _gunzip(data: bytes, limit: int) -> bytes:
    return _unzipped(data, 31, limit)


def _gzip(data: bytes) -> bytes:
    compressor = zlib.compressobj(6, zlib.DEFLATED, 31)
    return compressor.compress(data) + compressor.flush()


def _inflate(data: bytes, limit: int) -> bytes:
    try:
        return _unzipped(data, 15, limit)
    except zlib.error:  # raw deflate, as some servers send it
        return _unzipped(data, -15, limit)


def new_etag(old: str | None, body: bytes) -> str | None:
    """An ``ETag`` for the rewritten ``body``, weak if ``old`` was; none if none before."""
    if old is None:
        return None
    digest = hashlib.sha256(body).hexdigest()[:32]
    return f'W/"{digest}"' if old.strip().startswith("W/") else f'"{digest}"'


def rewrite_body(
    rewriter: Rewriter,
    body: bytes,
    *,
    content_type: str | None,
    content_encoding: str | None = None,
    etag: str | None = None,
    where: str = "",
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Rewritten | None:
    """``body`` rewritten, or ``None`` when it stays as it is (no value in it, or an
    encoding this module cannot undo, which is logged)."""
    encoding = (content_encoding or "identity").strip().lower()
    codec = None
    if encoding not in ("identity", ""):
        codec = _codec(encoding)
        if codec is None:
            logger.info("not rewritten: Content-Encoding %s %s", encoding[:32], where)
            return None
        try:
            body = codec[0](body, max_bytes)
        except (zlib.error, OSError, ValueError):
            logger.warning("not rewritten: the %s body does not decompress %s", encoding, where)
            return None
        if len(body) > max_bytes:
            logger.info("not rewritten: over %d bytes decompressed %s", max_bytes, where)
            return None
    media_type, charset = _media_type(content_type)
    try:
        result = rewriter.rewrite(
            body, encoding=charset, xhtml=media_type == "application/xhtml+xml"
        )
    except LookupError:
        logger.warning("not rewritten: unknown charset %s %s", str(charset)[:32], where)
        return None
    if result is body:
        return None
    if codec is not None:
        result = codec[1](result)
    return Rewritten(result, new_etag(etag, result))
