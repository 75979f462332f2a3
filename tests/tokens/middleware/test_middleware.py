"""tokens.middleware: the rules every framework's middleware shares."""

from __future__ import annotations

import gzip
import logging
import zlib

import pytest

import tokens
from tokens.middleware import is_html, log_path, new_etag, opted_out, rewrite_body
from tokens.rewrite import Rewriter

from .conftest import PAGE, VALUES, shown


@pytest.mark.parametrize(
    ("status", "content_type", "expected"),
    [
        (200, "text/html; charset=utf-8", True),
        (404, "text/html", True),
        (200, "application/xhtml+xml", True),
        (200, "TEXT/HTML;charset=UTF-8", True),
        (200, "application/json", False),
        (200, "text/plain", False),
        (200, None, False),
        (206, "text/html", False),
        (304, "text/html", False),
    ],
)
def test_only_whole_html_pages(status: int, content_type: str | None, expected: bool) -> None:
    assert is_html(status, content_type) is expected


def test_opt_out_values() -> None:
    assert opted_out("off") and opted_out(" OFF ") and opted_out("skip")
    assert not opted_out(None) and not opted_out("on")


def test_etags_change_with_the_body_and_stay_weak() -> None:
    assert new_etag(None, b"x") is None
    strong, weak = new_etag('"abc"', b"x"), new_etag('W/"abc"', b"x")
    assert strong is not None and strong.startswith('"') and strong != new_etag('"abc"', b"y")
    assert weak is not None and weak.startswith('W/"')


@pytest.mark.parametrize(
    ("encoding", "compress"),
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", lambda data: zlib.compress(data, wbits=-15)),
    ],
)
def test_compressed_bodies_are_rewritten_and_compressed_again(
    rewriter: Rewriter, keyring: tokens.KeyRing, encoding: str, compress: object
) -> None:
    body = compress(PAGE.encode())  # type: ignore[operator]
    done = rewrite_body(
        rewriter, body, content_type="text/html", content_encoding=encoding, etag='"1"'
    )
    assert done is not None and done.etag is not None and done.etag != '"1"'
    plain = gzip.decompress(done.body) if encoding == "gzip" else zlib.decompress(done.body)
    assert shown(plain.decode(), keyring) == VALUES


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
def test_a_body_too_large_once_decompressed_is_passed_through(
    rewriter: Rewriter, caplog: pytest.LogCaptureFixture, encoding: str
) -> None:
    """A few kilobytes that expand to megabytes stop at the limit, unread past it."""
    page = (PAGE + " " * 2_000_000).encode()
    body = gzip.compress(page) if encoding == "gzip" else zlib.compress(page)
    assert len(body) < 10_000
    with caplog.at_level(logging.INFO, logger="glyphveil.rewrite"):
        done = rewrite_body(
            rewriter,
            body,
            content_type="text/html",
            content_encoding=encoding,
            where="/big",
            max_bytes=1_000_000,
        )
    assert done is None
    assert [r.getMessage() for r in caplog.records] == [
        "not rewritten: over 1000000 bytes decompressed /big"
    ]


def test_an_unknown_encoding_is_passed_through_with_one_log_line(
    rewriter: Rewriter, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="glyphveil.rewrite"):
        done = rewrite_body(
            rewriter, b"\x28\xb5", content_type="text/html", content_encoding="zstd", where="/x"
        )
    assert done is None
    assert [r.getMessage() for r in caplog.records] == ["not rewritten: Content-Encoding zstd /x"]


def test_a_broken_body_is_passed_through(
    rewriter: Rewriter, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="glyphveil.rewrite"):
        assert not rewrite_body(
            rewriter, b"nope", content_type="text/html", content_encoding="gzip"
        )
    assert rewrite_body(rewriter, b"<p>a</p>", content_type="text/html; charset=nope") is None
    assert "does not decompress" in caplog.text and "unknown charset nope" in caplog.text
    assert "example" not in caplog.text


def test_br_without_brotli_is_passed_through_with_one_log_line(
    rewriter: Rewriter, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "brotli", None)  # as if it were not installed
    with caplog.at_level(logging.INFO, logger="glyphveil.rewrite"):
        done = rewrite_body(rewriter, b"...", content_type="text/html", content_encoding="br")
    assert done is None
    assert [r.getMessage() for r in caplog.records] == ["not rewritten: Content-Encoding br "]


def test_paths_in_log_lines_hold_no_value() -> None:
    assert log_path("/users/jane@example.com/edit") == "/users/…/edit"
    assert log_path("/call/+44%2020%207946%200958") == "/call/…"
    assert log_path("/blog/2024/hello") == "/blog/2024/hello"


def test_xhtml_answers_get_closed_void_elements(
    rewriter: Rewriter, keyring: tokens.KeyRing
) -> None:
    import xml.etree.ElementTree as ET

    page = (
        b'<?xml version="1.0" encoding="utf-8"?>\n<html xmlns="http://www.w3.org/1999/xhtml">'
        b"<head><title>Contact</title></head><body><p>jane.doe@example.com</p></body></html>"
    )
    done = rewrite_body(rewriter, page, content_type="application/xhtml+xml; charset=utf-8")
    assert done is not None
    ET.fromstring(done.body)  # noqa: S314 - well-formed XML, our own test page
    assert shown(done.body.decode(), keyring) == ["jane.doe@example.com"]
    assert b'decoding="async" />' in done.body
