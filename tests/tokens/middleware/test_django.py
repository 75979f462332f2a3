"""tokens.middleware.django: configured from settings, around real Django responses."""

from __future__ import annotations

import gzip
from collections.abc import Iterator

import django
import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.middleware.gzip import GZipMiddleware
from django.test import RequestFactory
from django.test.utils import override_settings

import tokens
from tokens.middleware.django import RewriteMiddleware

from .conftest import BASE, PAGE, VALUES, shown

KEY = tokens.generate_key()


@pytest.fixture(scope="module", autouse=True)
def django_settings() -> None:
    if not settings.configured:
        settings.configure(INSTALLED_APPS=["tokens.django"], GLYPHVEIL={"BASE_URL": BASE})
        django.setup()


@pytest.fixture
def site() -> Iterator[tokens.KeyRing]:
    config = {"BASE_URL": BASE, "KEYS": [KEY], "DEFAULTS": {"noise": "low"}}
    with override_settings(GLYPHVEIL=config, GLYPHVEIL_REWRITE={"region": "GB"}):
        yield tokens.KeyRing([KEY])


def answer(response: HttpResponse | StreamingHttpResponse | JsonResponse) -> RewriteMiddleware:
    return RewriteMiddleware(lambda request: response)


def get(middleware: object) -> HttpResponse:
    return middleware(RequestFactory().get("/contact"))  # type: ignore[operator,no-any-return]


def test_html_is_rewritten_with_the_sites_settings(site: tokens.KeyRing) -> None:
    response = HttpResponse(PAGE)
    response["ETag"] = '"v1"'
    done = get(answer(response))
    body = done.content.decode()
    assert shown(body, site) == VALUES
    assert int(done["Content-Length"]) == len(done.content) and done["ETag"] != '"v1"'
    token = body.split("/t/", 1)[1].split(".png", 1)[0]
    assert tokens.decode(token, keyring=site).options.noise == tokens.Noise.LOW


def test_under_gzip_middleware_the_page_is_decompressed_and_rewritten(
    site: tokens.KeyRing,
) -> None:
    def view(request: HttpRequest) -> HttpResponse:
        return HttpResponse(PAGE * 3)

    stack = RewriteMiddleware(GZipMiddleware(view))  # the wrong order, which still works
    request = RequestFactory().get("/", HTTP_ACCEPT_ENCODING="gzip")
    done = stack(request)
    assert done["Content-Encoding"] == "gzip"
    assert shown(gzip.decompress(done.content).decode(), site) == VALUES * 3


def test_opt_out_streams_and_json_pass_unchanged(
    site: tokens.KeyRing, caplog: pytest.LogCaptureFixture
) -> None:
    off = HttpResponse(PAGE)
    off["X-Glyphveil"] = "off"
    done = get(answer(off))
    assert done.content == PAGE.encode() and "X-Glyphveil" not in done
    assert get(answer(JsonResponse({"email": VALUES[0]}))).content.count(b"@") == 1
    with caplog.at_level("INFO", logger="glyphveil.rewrite"):
        streamed = get(answer(StreamingHttpResponse(iter([PAGE.encode()]))))
    assert b"".join(streamed.streaming_content) == PAGE.encode()  # type: ignore[attr-defined]
    assert [r.getMessage() for r in caplog.records] == ["not rewritten: streamed response /contact"]


def test_bad_settings_say_which() -> None:
    with (
        override_settings(GLYPHVEIL={"KEYS": [KEY]}),
        pytest.raises(ImproperlyConfigured, match="BASE_URL"),
    ):
        answer(HttpResponse())
    with (
        override_settings(GLYPHVEIL={"BASE_URL": BASE, "KEYS": [KEY]}),
        override_settings(GLYPHVEIL_REWRITE={"region": "XX"}),
        pytest.raises(ImproperlyConfigured, match="GLYPHVEIL_REWRITE: unknown phone region"),
    ):
        answer(HttpResponse())
    with (
        override_settings(GLYPHVEIL={"BASE_URL": BASE, "KEYS": ["short"]}),
        pytest.raises(ImproperlyConfigured, match="KEYS"),
    ):
        answer(HttpResponse())
