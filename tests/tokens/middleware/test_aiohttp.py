"""tokens.middleware.aiohttp in a real aiohttp server on a loopback port."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

import tokens
from tokens.middleware.aiohttp import rewrite_middleware
from tokens.rewrite import Rewriter

from .conftest import PAGE, VALUES, shown


def make_app(rewriter: Rewriter, tmp_path: Path) -> web.Application:
    async def page(request: web.Request) -> web.Response:
        return web.Response(text=PAGE, content_type="text/html", headers={"ETag": '"v1"'})

    async def compressed(request: web.Request) -> web.Response:
        return web.Response(
            body=gzip.compress(PAGE.encode()),
            headers={"Content-Type": "text/html", "Content-Encoding": "gzip"},
        )

    async def off(request: web.Request) -> web.Response:
        return web.Response(text=PAGE, content_type="text/html", headers={"X-Glyphveil": "off"})

    async def streamed(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/html"})
        await response.prepare(request)
        await response.write(PAGE.encode())
        return response

    async def as_file(request: web.Request) -> web.FileResponse:
        (tmp_path / "page.html").write_text(PAGE)
        return web.FileResponse(tmp_path / "page.html")

    async def json(request: web.Request) -> web.Response:
        return web.json_response({"email": "jane.doe@example.com"})

    async def auto_gzip(request: web.Request) -> web.Response:
        response = web.Response(text=PAGE, content_type="text/html")
        response.enable_compression()
        return response

    app = web.Application(middlewares=[rewrite_middleware(rewriter)])
    for path, handler in [
        ("/", page),
        ("/gzip", compressed),
        ("/off", off),
        ("/streamed", streamed),
        ("/file", as_file),
        ("/json", json),
        ("/auto-gzip", auto_gzip),
    ]:
        app.router.add_get(path, handler)
    return app


@pytest.fixture
async def client(
    aiohttp_client: object, rewriter: Rewriter, tmp_path: Path
) -> TestClient[web.Request, web.Application]:
    return await aiohttp_client(make_app(rewriter, tmp_path))  # type: ignore[operator,no-any-return]


async def test_html_is_rewritten_with_length_and_etag_fixed(
    client: TestClient[web.Request, web.Application], keyring: tokens.KeyRing
) -> None:
    response = await client.get("/")
    body = await response.read()
    assert shown(body.decode(), keyring) == VALUES
    assert int(response.headers["Content-Length"]) == len(body)
    assert response.headers["ETag"] != '"v1"'


@pytest.mark.parametrize("path", ["/gzip", "/auto-gzip"])
async def test_compressed_answers_are_rewritten(
    client: TestClient[web.Request, web.Application], keyring: tokens.KeyRing, path: str
) -> None:
    response = await client.get(path, headers={"Accept-Encoding": "gzip"})
    assert response.headers["Content-Encoding"] == "gzip"
    assert shown(await response.text(), keyring) == VALUES  # the client decompresses


@pytest.mark.parametrize("path", ["/off", "/json"])
async def test_opted_out_and_other_answers_pass_unchanged(
    client: TestClient[web.Request, web.Application], path: str
) -> None:
    response = await client.get(path)
    assert "X-Glyphveil" not in response.headers
    assert "img" not in await response.text()


@pytest.mark.parametrize("path", ["/streamed", "/file"])
async def test_streamed_answers_pass_with_one_log_line(
    client: TestClient[web.Request, web.Application],
    caplog: pytest.LogCaptureFixture,
    path: str,
) -> None:
    with caplog.at_level("INFO", logger="glyphveil.rewrite"):
        response = await client.get(path)
        assert await response.text() == PAGE
    assert [r.getMessage() for r in caplog.records] == [f"not rewritten: streamed response {path}"]
