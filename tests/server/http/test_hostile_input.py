"""Hostile input through a real ``python -m server``: whatever a client puts in a path,
query or token, the answer is never a 5xx and the process keeps serving.

Hypothesis drives placeholder text over all of Unicode (including text that falls to
a size where FreeType cannot rasterise some glyphs), mutated and truncated tokens, and
random paths for every route's parser, over one keep-alive connection per test.
"""

from __future__ import annotations

import http.client
from collections.abc import Callable, Iterator
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import tokens
from tests.processes import KEY, Service


def fuzz(examples: int) -> settings:
    """Hypothesis settings for requests to a real process: no per-example deadline."""
    return settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


#: Glyphs FreeType fails to rasterise at 1-2 px (hinted Symbola outlines).
RASTER_OVERFLOW = "\u033d\u034a\u0353\u22b2\u22b4\u22c4\u26fa\u279f\u27d7\u298e\u2a1d\U00010182"
UNICODE = st.characters(codec=None, exclude_categories=("Cs",))  # every plane; no surrogates


class Client:
    """GET over one keep-alive connection, reconnecting when the server closes it."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def status(self, path: str) -> int:
        for attempt in range(2):
            try:
                self.conn.request("GET", path)
                response = self.conn.getresponse()
                response.read()
                if response.will_close:
                    self.conn.close()
                return response.status
            except (http.client.RemoteDisconnected, ConnectionError, BrokenPipeError):
                self.conn.close()
                if attempt:
                    raise
        raise AssertionError("unreachable")


@pytest.fixture
def service(spawn: Callable[..., Service]) -> Iterator[Service]:
    service = spawn("--render-timeout", "60")
    yield service
    assert "Traceback" not in service.stderr
    assert service.get("/healthz").status == 200


def encoded(text: str) -> str:
    return quote(text, safe="")


@fuzz(120)
@given(
    size=st.sampled_from(["60x8", "40x12", "90x20", "300x200", "16x300", "600x40"]),
    text=st.text(UNICODE, min_size=1, max_size=256),
)
@example(size="60x8", text=RASTER_OVERFLOW)  # a 500 before text had a 3 px floor
def test_placeholder_text_is_never_a_5xx(service: Service, size: str, text: str) -> None:
    status = Client(service.port).status(f"/{size}?text={encoded(text)}")
    assert status in (200, 400), status


@pytest.fixture
def token() -> str:
    return tokens.encode("jane@example.com", keyring=tokens.KeyRing([KEY]))


BASE64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


@fuzz(300)
@given(data=st.data())
def test_mutated_tokens_are_never_a_5xx(service: Service, token: str, data: st.DataObject) -> None:
    client = Client(service.port)
    cut = data.draw(st.integers(0, len(token)))
    mutated = data.draw(
        st.one_of(
            st.just(token[:cut]),  # truncated
            st.builds(  # one character replaced
                lambda c: token[:cut] + c + token[cut + 1 :], st.sampled_from(BASE64URL)
            ),
            st.builds(lambda extra: token + extra, st.text(st.sampled_from(BASE64URL))),
            st.text(UNICODE, max_size=200),
        )
    )
    suffix = data.draw(st.sampled_from([".png", ".webp", "@2x.png", "@3x.webp", "@9x.png", ".gif"]))
    status = client.status(f"/t/{encoded(mutated)}{suffix}")
    assert status in (200, 400, 404), status
    if status == 200:
        assert mutated == token


@fuzz(400)
@given(
    path=st.one_of(
        st.text(UNICODE, max_size=60),
        st.text(st.sampled_from("0123456789xX@./#-+abcdefghijklmnopstuvwz%é"), max_size=40),
        st.builds(
            lambda w, h, d, rest: f"{w}x{h}@{d}{rest}",
            st.integers(-(10**12), 10**12),
            st.integers(-(10**6), 10**6),
            st.text(st.sampled_from("0123456789x.-"), max_size=4),
            st.text(st.sampled_from("/0123456789abcdefABCDEF.gifpnwebjtransparent"), max_size=30),
        ),
    ),
    query=st.dictionaries(
        st.sampled_from(["text", "font", "w", "h", "bg", "fg", "format", "density", "x"]),
        st.text(UNICODE, max_size=80),
        max_size=4,
    ),
    prefix=st.sampled_from(["/", "/t/", "/metrics/", "/healthz/", "//"]),
)
def test_every_url_parser_is_never_a_5xx(
    service: Service, path: str, query: dict[str, str], prefix: str
) -> None:
    pairs = "&".join(f"{encoded(k)}={encoded(v)}" for k, v in query.items())
    url = prefix + quote(path, safe="/@.x") + ("?" + pairs if pairs else "")
    status = Client(service.port).status(url)
    assert status < 500, (url[:120], status)


@fuzz(150)
@given(form=st.dictionaries(
    st.sampled_from(["w", "h", "bg", "fg", "text", "font", "format", "density"]),
    st.text(UNICODE, max_size=40),
))  # fmt: skip
def test_home_playground_is_never_a_5xx(service: Service, form: dict[str, str]) -> None:
    query = "&".join(f"{k}={encoded(v)}" for k, v in form.items())
    assert Client(service.port).status(f"/?{query}") == 200
