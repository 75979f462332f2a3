"""tokens.middleware.wsgi around a real WSGI server (wsgiref) on a loopback port."""

from __future__ import annotations

import gzip
import threading
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest

import tokens
from tokens.middleware.wsgi import RewriteMiddleware
from tokens.rewrite import Rewriter

from .conftest import PAGE, VALUES, shown

App = Callable[[dict[str, Any], Any], Iterable[bytes]]


def site(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    """Pages of several kinds, chosen by path."""
    path = environ["PATH_INFO"]
    body = PAGE.encode()
    headers = [("Content-Type", "text/html; charset=utf-8"), ("ETag", '"v1"')]
    if path == "/json":
        headers[0] = ("Content-Type", "application/json")
    elif path == "/gzip":
        body = gzip.compress(body)
        headers.append(("Content-Encoding", "gzip"))
    elif path == "/off":
        headers.append(("X-Glyphveil", "off"))
    start_response("200 OK", [*headers, ("Content-Length", str(len(body)))])
    if path == "/parts":  # a generator, in pieces that cut through a value
        return iter([body[:60], body[60:75], body[75:]])
    return [body]


class Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def serve(rewriter: Rewriter) -> Iterator[Callable[..., str]]:
    servers = []

    def start(**settings: Any) -> str:
        app = RewriteMiddleware(site, rewriter, **settings)
        server = make_server("127.0.0.1", 0, app, handler_class=Quiet)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def get(url: str) -> tuple[dict[str, str], bytes]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return dict(response.headers), response.read()


@pytest.mark.parametrize("path", ["/", "/parts"])
def test_html_is_rewritten_with_length_and_etag_fixed(
    serve: Callable[..., str], keyring: tokens.KeyRing, path: str
) -> None:
    headers, body = get(serve() + path)
    assert shown(body.decode(), keyring) == VALUES
    assert int(headers["Content-Length"]) == len(body)
    assert headers["ETag"] not in ('"v1"', None)


def test_gzip_is_rewritten_and_compressed_again(
    serve: Callable[..., str], keyring: tokens.KeyRing
) -> None:
    headers, body = get(serve() + "/gzip")
    assert headers["Content-Encoding"] == "gzip" and int(headers["Content-Length"]) == len(body)
    assert shown(gzip.decompress(body).decode(), keyring) == VALUES


@pytest.mark.parametrize("path", ["/json", "/off"])
def test_other_types_and_opted_out_answers_pass_unchanged(
    serve: Callable[..., str], path: str
) -> None:
    headers, body = get(serve() + path)
    assert body == PAGE.encode() and headers["ETag"] == '"v1"'
    assert "X-Glyphveil" not in headers


def test_a_body_over_the_limit_passes_unchanged_with_one_log_line(
    serve: Callable[..., str], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level("INFO", logger="glyphveil.rewrite"):
        _, body = get(serve(max_bytes=70) + "/parts")
    assert body == PAGE.encode()
    assert [r.getMessage() for r in caplog.records] == [
        "not rewritten: larger than 70 bytes /parts"
    ]
