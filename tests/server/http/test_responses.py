"""HTTP headers of images and errors: caching, validators, nosniff (server/responses.py)."""

from __future__ import annotations

import io
import re
import time

import pytest
from aiohttp import ClientResponse
from PIL import Image

import tokens
import tokens.codec
from tests.fetching import fetch
from tokens.options import RenderOptions

SECRET = "secret.person@example.org"
FOREVER = "public, max-age=31536000, immutable"
STRONG_ETAG = re.compile(r'"[!#-~]+"')  # quoted, no W/ prefix


def max_age(response: ClientResponse) -> int:
    match = re.search(r"(?:^|,)\s*max-age=(\d+)\s*(?:,|$)", response.headers["Cache-Control"])
    assert match, response.headers["Cache-Control"]
    return int(match[1])


@pytest.mark.parametrize(
    ("suffix", "content_type"),
    [(".png", "image/png"), ("@2x.png", "image/png"), (".webp", "image/webp")],
)
async def test_image_headers(client, mint, suffix: str, content_type: str) -> None:
    response, body = await fetch(client, f"/t/{mint(SECRET)}{suffix}")
    assert response.status == 200
    assert response.headers["Content-Type"] == content_type
    assert int(response.headers["Content-Length"]) == len(body) > 0
    assert STRONG_ETAG.fullmatch(response.headers["ETag"])
    assert response.headers["Cache-Control"] == FOREVER
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Set-Cookie" not in response.headers
    Image.open(io.BytesIO(body)).verify()


async def test_each_representation_has_its_own_etag(client, mint) -> None:
    token = mint(SECRET)
    etags = set()
    for suffix in (".png", "@2x.png", "@3x.png", ".webp", "@2x.webp"):
        response, _ = await fetch(client, f"/t/{token}{suffix}")
        etags.add(response.headers["ETag"])
    etags.add((await fetch(client, f"/t/{mint('other@example.org')}.png"))[0].headers["ETag"])
    assert len(etags) == 6


@pytest.mark.parametrize("ttl", [60, 600, 86_400])
async def test_expiring_token_is_not_kept_past_its_expiry(client, mint, ttl: int) -> None:
    response, _ = await fetch(client, f"/t/{mint(SECRET, ttl=ttl)}.png")
    assert response.status == 200
    assert 0 < max_age(response) <= ttl
    assert response.headers["Cache-Control"].startswith("public,")


async def test_304_when_the_etag_matches(client, mint) -> None:
    path = f"/t/{mint(SECRET)}@2x.png"
    first, _ = await fetch(client, path)
    etag = first.headers["ETag"]
    response, body = await fetch(client, path, headers={"If-None-Match": etag})
    assert response.status == 304
    assert body == b""
    assert response.headers["ETag"] == etag
    assert response.headers["Cache-Control"] == FOREVER
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    "header",
    ["*", '"{etag}"', '"0000", "{etag}"', 'W/"{etag}"', '"{etag}", "ffff"'],
)
async def test_if_none_match_forms_that_match(client, mint, header: str) -> None:
    path = f"/t/{mint(SECRET)}.webp"
    first, _ = await fetch(client, path)
    etag = first.headers["ETag"].strip('"')
    response, body = await fetch(client, path, headers={"If-None-Match": header.format(etag=etag)})
    assert response.status == 304
    assert body == b""
    assert response.headers["ETag"] == first.headers["ETag"]


@pytest.mark.parametrize(
    "header", ['"0123456789abcdef0123456789abcdef"', '""', "garbage", '"{etag}x"', "{etag}"]
)
async def test_if_none_match_forms_that_do_not_match(client, mint, header: str) -> None:
    path = f"/t/{mint(SECRET)}.png"
    first, first_body = await fetch(client, path)
    etag = first.headers["ETag"].strip('"')
    response, body = await fetch(client, path, headers={"If-None-Match": header.format(etag=etag)})
    assert response.status == 200
    assert body == first_body
    assert response.headers["ETag"] == first.headers["ETag"]


async def test_etag_of_another_density_is_not_a_match(client, mint) -> None:
    token = mint(SECRET)
    one, _ = await fetch(client, f"/t/{token}.png")
    response, body = await fetch(
        client, f"/t/{token}@2x.png", headers={"If-None-Match": one.headers["ETag"]}
    )
    assert response.status == 200
    assert Image.open(io.BytesIO(body)).width > 0


async def test_head_with_matching_etag_is_304(client, mint) -> None:
    path = f"/t/{mint(SECRET)}.png"
    first, _ = await fetch(client, path)
    response, body = await fetch(client, path, "HEAD", headers={"If-None-Match": "*"})
    assert response.status == 304
    assert body == b""
    assert response.headers["ETag"] == first.headers["ETag"]


async def test_head_has_content_length_and_no_body(client, mint) -> None:
    path = f"/t/{mint(SECRET)}@3x.webp"
    head, head_body = await fetch(client, path, "HEAD")
    _, get_body = await fetch(client, path)
    assert head.status == 200
    assert head_body == b""
    assert head.headers["Content-Type"] == "image/webp"
    assert int(head.headers["Content-Length"]) == len(get_body)


def expired(keyring: tokens.KeyRing) -> str:
    return tokens.codec.seal(SECRET, keyring, RenderOptions(), ttl=1, now=time.time() - 100)


@pytest.mark.parametrize(
    ("kind", "status"), [("bad density", 400), ("bad format", 400), ("expired", 410)]
)
async def test_errors_are_plain_uncached_one_liners(
    client, mint, keyring, kind: str, status: int
) -> None:
    path = {
        "bad density": f"/t/{mint(SECRET)}@5x.png",
        "bad format": f"/t/{mint(SECRET)}.bmp",
        "expired": f"/t/{expired(keyring)}.png",
    }[kind]
    response, body = await fetch(client, path)
    assert response.status == status
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "ETag" not in response.headers
    assert int(response.headers["Content-Length"]) == len(body)
    text = body.decode("utf-8")
    assert text.endswith("\n") and text.count("\n") == 1 and len(text) < 200


async def test_not_found_is_plain_uncached(client, mint) -> None:
    response, body = await fetch(client, f"/t/{mint(SECRET)[:-3]}.png")
    assert response.status == 404
    assert response.content_type == "text/plain"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "ETag" not in response.headers
    assert int(response.headers["Content-Length"]) == len(body)


async def test_expired_token_ignores_if_none_match(client, keyring) -> None:
    response, body = await fetch(
        client, f"/t/{expired(keyring)}.png", headers={"If-None-Match": "*"}
    )
    assert response.status == 410
    assert b"expired" in body


async def test_other_routes_are_nosniff(client) -> None:
    for path in ("/", "/healthz", "/metrics", "/300x200.png", "/300x200.nope"):
        response, _ = await fetch(client, path)
        assert response.status < 500
        assert response.headers["X-Content-Type-Options"] == "nosniff", path
