"""The application as a whole (server/app.py): routes, settings, health, odd requests."""

from __future__ import annotations

import asyncio
import io
import threading

import pytest
from aiohttp import ClientResponse
from PIL import Image
from yarl import URL

import server.http.token_image
import tokens
from server import create_app
from tests.fetching import fetch

SECRET = "secret.person@example.org"
NOISES = ["none", "low", "medium", "high"]


def without_date(response: ClientResponse) -> list[tuple[str, str]]:
    return [(name, value) for name, value in response.headers.items() if name != "Date"]


def open_image(body: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(body))
    image.load()
    return image


# --- health ----------------------------------------------------------------------------------


async def test_healthz(client) -> None:
    response, body = await fetch(client, "/healthz")
    assert response.status == 200
    assert body == b"ok\n"
    assert response.content_type == "text/plain"
    assert response.headers["Cache-Control"] == "no-cache"
    head, head_body = await fetch(client, "/healthz", "HEAD")
    assert head.status == 200
    assert head_body == b""


async def test_healthz_answers_while_renders_are_queued(
    aiohttp_client, config, keyring, monkeypatch: pytest.MonkeyPatch, scrape
) -> None:
    started, release = threading.Event(), threading.Event()
    real_render = server.http.token_image.render_lines

    def blocked_render(*args, **kwargs):
        started.set()
        if not release.wait(timeout=120):
            raise RuntimeError("the test never released the render")
        return real_render(*args, **kwargs)

    monkeypatch.setattr(server.http.token_image, "render_lines", blocked_render)
    client = await aiohttp_client(create_app(config.with_values(threads=1, render_queue=8)))
    made = [tokens.encode(f"user{i}@example.org", keyring=keyring) for i in range(4)]
    before = (await scrape(client)).value("glyphveil_renders_in_flight")
    tasks = [asyncio.create_task(fetch(client, f"/t/{token}.png")) for token in made]
    try:
        assert await asyncio.to_thread(started.wait, 60)

        async def all_in_flight() -> None:
            # One render holds the only thread; the other three wait for it.
            while (await scrape(client)).value("glyphveil_renders_in_flight") < before + 4:
                await asyncio.sleep(0.01)

        await asyncio.wait_for(all_in_flight(), timeout=60)
        health, body = await asyncio.wait_for(fetch(client, "/healthz"), timeout=60)
        assert health.status == 200
        assert body == b"ok\n"
        assert not any(task.done() for task in tasks)
    finally:
        release.set()
    answers = await asyncio.wait_for(asyncio.gather(*tasks), timeout=120)
    assert [response.status for response, _ in answers] == [200] * 4
    assert len({body for _, body in answers}) == 4
    for _, body in answers:
        assert open_image(body).width > 0
    assert (await scrape(client)).value("glyphveil_renders_in_flight") == before


# --- routes and settings ---------------------------------------------------------------------


async def test_home_page(client) -> None:
    response, body = await fetch(client, "/")
    assert response.status == 200
    assert body


async def test_two_apps_draw_the_same_bytes(aiohttp_client, config, mint) -> None:
    first = await aiohttp_client(create_app(config))
    second = await aiohttp_client(create_app(config))
    for noise in NOISES:
        token = mint(SECRET, noise=noise)
        for suffix in (".png", "@2x.png", "@3x.webp"):
            one, one_body = await fetch(first, f"/t/{token}{suffix}")
            other, other_body = await fetch(second, f"/t/{token}{suffix}")
            assert one.status == other.status == 200
            assert one_body == other_body, (noise, suffix)
            assert one.headers["ETag"] == other.headers["ETag"]


async def test_rotated_key_ring_still_serves_old_tokens(aiohttp_client, config) -> None:
    old_key, new_key = tokens.generate_key(), tokens.generate_key()
    old_ring = tokens.KeyRing([old_key])
    rotated_ring = tokens.KeyRing([new_key, old_key])
    before = await aiohttp_client(create_app(config, old_ring))
    after = await aiohttp_client(create_app(config, rotated_ring))
    old_token = tokens.encode(SECRET, keyring=old_ring)
    old_answer, old_body = await fetch(before, f"/t/{old_token}.png")
    new_answer, new_body = await fetch(after, f"/t/{old_token}.png")
    assert old_answer.status == new_answer.status == 200
    assert old_body == new_body
    # A token made with the new key means nothing to a server that does not hold it.
    response, _ = await fetch(before, f"/t/{tokens.encode(SECRET, keyring=rotated_ring)}.png")
    assert response.status == 404


async def test_app_from_the_environment(aiohttp_client, monkeypatch: pytest.MonkeyPatch) -> None:
    key = tokens.generate_key()
    monkeypatch.setenv("GLYPHVEIL_KEYS", key)
    monkeypatch.setenv("GLYPHVEIL_DENSITIES", "1,2")
    client = await aiohttp_client(create_app())
    token = tokens.encode(SECRET, keyring=tokens.KeyRing([key]))
    assert (await fetch(client, f"/t/{token}@2x.png"))[0].status == 200
    assert (await fetch(client, f"/t/{token}@3x.png"))[0].status == 400


async def test_placeholders_on(client) -> None:
    response, body = await fetch(client, "/300x200")
    assert response.status == 200
    assert response.headers["Content-Type"] == "image/png"
    image = open_image(body)
    assert (image.format, image.size) == ("PNG", (300, 200))
    response, body = await fetch(client, "/300x200@2x.webp")
    assert response.status == 200
    assert open_image(body).size == (600, 400)


async def test_placeholders_off(aiohttp_client, config, mint) -> None:
    client = await aiohttp_client(create_app(config.with_values(placeholders=False)))
    missing, missing_body = await fetch(client, "/nope")
    for path in ("/300x200", "/300x200.png", "/300x200@2x/ff0000/fff.webp", "/1x1"):
        response, body = await fetch(client, path)
        assert response.status == 404, path
        assert (body, without_date(response)) == (missing_body, without_date(missing))
    response, _ = await fetch(client, f"/t/{mint(SECRET)}.png")
    assert response.status == 200


async def test_densities_setting(aiohttp_client, config, mint) -> None:
    client = await aiohttp_client(create_app(config.with_values(densities=frozenset({1}))))
    token = mint(SECRET)
    for suffix in ("@2x.png", "@3x.png", "@2x.webp"):
        response, body = await fetch(client, f"/t/{token}{suffix}")
        assert response.status == 400, suffix
        assert response.content_type == "text/plain"
        assert b"@1x" in body and body.count(b"\n") == 1
    for suffix in (".png", "@1x.png", ".webp"):
        response, _ = await fetch(client, f"/t/{token}{suffix}")
        assert response.status == 200, suffix


async def test_unmatched_paths_are_one_404(client) -> None:
    missing, missing_body = await fetch(client, "/nope")
    assert missing.status == 404
    assert missing.headers["Cache-Control"] == "no-store"
    for path in ("/nope/", "/tokens/x.png", "/T/x.png", "/healthz/x", "/metrics/x", "/x.png"):
        response, body = await fetch(client, path)
        assert (response.status, body, without_date(response)) == (
            404,
            missing_body,
            without_date(missing),
        ), path


# --- odd requests ----------------------------------------------------------------------------


def odd_paths(token: str) -> list[str | URL]:
    raw = [
        "/t/%",
        "/t/%zz.png",
        "/t/%ff%fe.png",
        "/t/a%0d%0aX-Injected:%20yes@2x.png",
        f"/t/{token}@%0d%0aX-Injected:%20yes.png",
        f"/t/{token}.png%00",
        f"/t/{token}%2epng",
        "/t/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
        "/t//x.png",
    ]
    return [
        "/t/",
        "/t",
        "/t/.png",
        "/t/@2x.png",
        "/t/@.png",
        "/t/%00.png",
        "/t/..%2f..png",
        "/t/../healthz",
        "/t/.",
        "/t/..",
        "/t/é.png",
        "/t/日本語.png",
        "/t/😀@2x.webp",
        "/t/" + "A" * 5000 + ".png",
        "/t/" + "A" * 5000,
        "/t/" + "A" * 400 + "@2x.png",
        "/t/a.b.png",
        "/t/a.png.png",
        "/t/a@2x@3x.png",
        "/t/a@2x.",
        "/t/a b.png",
        "/t/a+b.png",
        "/t/a;b=c.png",
        "/t/a\\b.png",
        f"/t/{token}.png/extra",
        f"/t/{token}@٢x.png",  # an Arabic-Indic digit two
        f"/t/{token}@²x.png",
        f"/t/{token}@2X.PNG",
        f"/t/{token}@99999999999999999999x.png",
        f"/t/{token[:-1]}=.png",
        f"/t/{token}.png?" + "&".join(f"p{i}={'v' * 50}" for i in range(40)),
        "/0x0",
        "/99999999999999999999x1",
        "/300x200@9x.png",
        *[URL(path, encoded=True) for path in raw],
    ]


@pytest.mark.parametrize("method", ["GET", "HEAD"])
async def test_odd_paths_are_never_a_server_error(client, mint, method: str) -> None:
    token = mint(SECRET)
    statuses = set()
    for path in odd_paths(token):
        response, body = await fetch(client, path, method)
        assert response.status < 500, path
        assert "X-Injected" not in response.headers
        if method == "GET" and response.status >= 400:
            assert response.content_type == "text/plain", path
            assert SECRET.encode() not in body
        statuses.add(response.status)
    assert 400 in statuses and 404 in statuses


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"])
async def test_other_methods_are_refused(client, mint, method: str) -> None:
    for path in (f"/t/{mint(SECRET)}.png", "/healthz", "/300x200"):
        response, _ = await fetch(client, path, method, data=b"x")
        assert response.status == 405, (method, path)
        assert response.headers["X-Content-Type-Options"] == "nosniff"
