"""tokens.middleware.asgi, driven with the ASGI messages a server sends and receives."""

from __future__ import annotations

import gzip
from typing import Any

import pytest

import tokens
from tokens.middleware.asgi import RewriteMiddleware
from tokens.rewrite import Rewriter

from .conftest import PAGE, VALUES, shown


async def site(scope: dict[str, Any], receive: Any, send: Any) -> None:
    path = scope["path"]
    body = PAGE.encode()
    headers = [(b"content-type", b"text/html; charset=utf-8"), (b"etag", b'"v1"')]
    if path == "/json":
        headers[0] = (b"content-type", b"application/json")
    if path == "/gzip":
        body = gzip.compress(body)
        headers.append((b"content-encoding", b"gzip"))
    if path == "/off":
        headers.append((b"x-glyphveil", b"off"))
    headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    if path == "/parts":
        for piece in (body[:60], body[60:75]):
            await send({"type": "http.response.body", "body": piece, "more_body": True})
        await send({"type": "http.response.body", "body": body[75:]})
    else:
        await send({"type": "http.response.body", "body": body})


async def call(app: Any, path: str) -> tuple[dict[bytes, bytes], bytes, int]:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "GET", "path": path, "headers": []}
    await app(scope, receive, send)
    start, *bodies = sent
    return dict(start["headers"]), b"".join(m.get("body", b"") for m in bodies), len(bodies)


@pytest.mark.parametrize("path", ["/", "/parts"])
async def test_html_is_rewritten_with_length_and_etag_fixed(
    rewriter: Rewriter, keyring: tokens.KeyRing, path: str
) -> None:
    headers, body, _ = await call(RewriteMiddleware(site, rewriter), path)
    assert shown(body.decode(), keyring) == VALUES
    assert int(headers[b"content-length"]) == len(body)
    assert headers[b"etag"] != b'"v1"'


async def test_gzip_is_rewritten_and_compressed_again(
    rewriter: Rewriter, keyring: tokens.KeyRing
) -> None:
    headers, body, _ = await call(RewriteMiddleware(site, rewriter), "/gzip")
    assert headers[b"content-encoding"] == b"gzip"
    assert shown(gzip.decompress(body).decode(), keyring) == VALUES


@pytest.mark.parametrize("path", ["/json", "/off"])
async def test_other_types_and_opted_out_answers_pass_unchanged(
    rewriter: Rewriter, path: str
) -> None:
    headers, body, _ = await call(RewriteMiddleware(site, rewriter), path)
    assert body == PAGE.encode() and headers[b"etag"] == b'"v1"'
    assert b"x-glyphveil" not in headers


async def test_a_stream_over_the_limit_flows_on_unchanged(
    rewriter: Rewriter, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level("INFO", logger="glyphveil.rewrite"):
        _, body, parts = await call(RewriteMiddleware(site, rewriter, max_bytes=70), "/parts")
    assert body == PAGE.encode() and parts == 2
    assert [r.getMessage() for r in caplog.records] == [
        "not rewritten: larger than 70 bytes /parts"
    ]


async def test_other_scopes_pass_through(rewriter: Rewriter) -> None:
    seen = []

    async def lifespan_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        seen.append(scope["type"])

    await RewriteMiddleware(lifespan_app, rewriter)({"type": "lifespan"}, None, None)  # type: ignore[arg-type]
    assert seen == ["lifespan"]
