"""server.http.reveal: the reveal routes, their 404s, rate limits and no-store answers."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import signal
from collections.abc import AsyncIterator, Awaitable, Callable
from html import escape as html_escape
from pathlib import Path
from urllib.parse import parse_qsl

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

import server.http.reveal
import tokens
from server import Config, create_app
from server.errors import ConfigError
from server.http.reveal import SCRIPT, SCRIPT_PATH, OriginLog, link_for
from server.ops.rate_limit import MemoryRevealStore
from server.state import REVEAL
from tests.browser import launch_chromium
from tests.fetching import fetch
from tests.processes import KEY as PROCESS_KEY
from tests.processes import Load, Response, Service, run_cli, solved_reveal, wait_for
from tests.processes import fetch as fetch_process
from tests.redis_server import RedisServer
from tokens import reveal_button
from tokens.pow import issue, solve, verify

Client = TestClient[web.Request, web.Application]
ClientFactory = Callable[..., Awaitable[Client]]
EMAIL = "jane.doe@example.com"
NOT_FOUND = b"404: Not Found"
FORM = "application/x-www-form-urlencoded"


@pytest.fixture
def reveal_config(config: Config) -> Config:
    return config.with_values(
        reveal=True,
        reveal_difficulty=6,
        reveal_client_rate=1000,
        reveal_origins=frozenset({"https://www.example.com"}),
    )


@pytest.fixture
async def reveal_client(aiohttp_client: ClientFactory, reveal_config: Config) -> Client:
    return await aiohttp_client(create_app(reveal_config))


@pytest.fixture
def revealable(keyring: tokens.KeyRing) -> str:
    return tokens.encode(EMAIL, keyring=keyring, revealable=True)


async def get_challenge(client: Client, token: str) -> str:
    response, body = await fetch(client, "/reveal/challenge", "POST", data={"token": token})
    assert response.status == 200, body
    return str(json.loads(body)["challenge"])


async def reveal(client: Client, token: str) -> tuple[int, bytes, dict[str, str]]:
    challenge = await get_challenge(client, token)
    data = {"token": token, "challenge": challenge, "nonce": str(solve(challenge))}
    response, body = await fetch(client, "/reveal", "POST", data=data)
    return response.status, body, dict(response.headers)


async def test_setting_off_means_no_routes(client: Client, revealable: str) -> None:
    names = {route.name for route in client.app.router.routes()}
    assert not {"reveal", "reveal_challenge", "reveal_script"} & names
    for method, path in [("POST", "/reveal/challenge"), ("POST", "/reveal"), ("GET", "/reveal.js")]:
        response, _ = await fetch(client, path, method, data={"token": revealable})
        assert response.status == 404, path


async def test_reveal_round_trip(reveal_client: Client, revealable: str) -> None:
    response, body = await fetch(
        reveal_client, "/reveal/challenge", "POST", data={"token": revealable}
    )
    assert response.status == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert "Access-Control-Allow-Origin" not in response.headers  # no page asked
    answer = json.loads(body)
    assert answer["difficulty"] == 6 and len(answer["challenge"]) == 48
    nonce = solve(answer["challenge"])
    data = {"token": revealable, "challenge": answer["challenge"], "nonce": str(nonce)}
    response, body = await fetch(reveal_client, "/reveal", "POST", data=data)
    assert response.status == 200
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "ETag" not in response.headers and "Last-Modified" not in response.headers
    assert json.loads(body) == {"text": EMAIL, "href": "mailto:" + EMAIL}
    assert EMAIL not in "".join(f"{k}: {v}" for k, v in response.headers.items())

    # The challenge is spent: the same proof of work does not reveal twice, and the
    # refusal is the 404 of a bad token.
    response, body = await fetch(reveal_client, "/reveal", "POST", data=data)
    assert (response.status, body) == (404, NOT_FOUND)
    assert response.headers["Cache-Control"] == "no-store"


async def test_every_unrevealable_token_gets_the_same_404(
    reveal_client: Client, keyring: tokens.KeyRing, revealable: str
) -> None:
    other = tokens.KeyRing([tokens.generate_key()])
    cases = {
        "garbage": "not-a-token",
        "forged": revealable[:-2] + ("AA" if not revealable.endswith("AA") else "BA"),
        "not revealable": tokens.encode(EMAIL, keyring=keyring),
        "expired": tokens.codec.seal(EMAIL, keyring, ttl=1, now=1_000_000, revealable=True),
        "other key": tokens.encode(EMAIL, keyring=other, revealable=True),
    }
    challenge = issue(revealable, "127.0.0.1", keyring.current, difficulty=6)
    answers = set()
    for why, token in cases.items():
        for path, data in [
            ("/reveal/challenge", {"token": token}),
            ("/reveal", {"token": token, "challenge": challenge, "nonce": str(solve(challenge))}),
        ]:
            response, body = await fetch(reveal_client, path, "POST", data=data)
            assert response.status == 404, (why, path)
            headers = tuple(sorted((k, v) for k, v in response.headers.items() if k != "Date"))
            answers.add((response.status, body, headers))
    assert len(answers) == 1  # byte for byte, whatever was wrong
    # ...and it is the 404 of a bad token on the image route.
    _, body, headers = answers.pop()
    response, image_body = await fetch(reveal_client, "/t/not-a-token.png")
    assert (response.status, image_body) == (404, body)
    assert response.headers["Content-Type"] == dict(headers)["Content-Type"]


async def test_bad_work_and_foreign_challenges_are_refused(
    reveal_client: Client, keyring: tokens.KeyRing, revealable: str
) -> None:
    challenge = await get_challenge(reveal_client, revealable)
    nonce = solve(challenge)
    wrong = next(n for n in range(nonce + 1, nonce + 10_000) if n != solve(challenge, start=n))
    foreign = issue(revealable, "192.0.2.1", keyring.current, difficulty=6)  # another client
    other_token = tokens.encode("joe@example.com", keyring=keyring, revealable=True)
    tampered = challenge[:-1] + ("B" if challenge.endswith("A") else "A")  # 1 in 64 ends in A
    for token, chal, n in [
        (revealable, challenge, wrong),
        (revealable, foreign, solve(foreign)),
        (other_token, challenge, nonce),  # a challenge for another token
        (revealable, tampered, nonce),
    ]:
        data = {"token": token, "challenge": chal, "nonce": str(n)}
        response, body = await fetch(reveal_client, "/reveal", "POST", data=data)
        assert (response.status, body) == (404, NOT_FOUND)  # no oracle: the one 404
    # The real one still works: failures spend nothing.
    data = {"token": revealable, "challenge": challenge, "nonce": str(nonce)}
    response, _ = await fetch(reveal_client, "/reveal", "POST", data=data)
    assert response.status == 200


@pytest.mark.parametrize(
    ("path", "data", "message"),
    [
        ("/reveal/challenge", {}, "'token'"),
        ("/reveal/challenge", {"token": "x" * 600}, "'token'"),
        ("/reveal", {"token": "t", "challenge": "c"}, "'nonce'"),
        ("/reveal", {"token": "t", "challenge": "c", "nonce": "-5"}, "nonce must be"),
        ("/reveal", {"token": "t", "challenge": "c", "nonce": "١٢"}, "nonce must be"),
        ("/reveal", {"token": "t", "challenge": "c", "nonce": str(2**64)}, "nonce must be"),
    ],
)
async def test_malformed_requests_get_a_400(
    reveal_client: Client, path: str, data: dict[str, str], message: str
) -> None:
    response, body = await fetch(reveal_client, path, "POST", data=data)
    assert response.status == 400
    assert message in body.decode()


async def test_client_rate_limit_answers_429(
    aiohttp_client: ClientFactory, reveal_config: Config, revealable: str
) -> None:
    client = await aiohttp_client(create_app(reveal_config.with_values(reveal_client_rate=2)))
    await get_challenge(client, revealable)
    response, _ = await fetch(client, "/reveal/challenge", "POST", data={"token": "junk"})
    assert response.status == 404  # probing counts against the client too
    response, body = await fetch(client, "/reveal/challenge", "POST", data={"token": revealable})
    assert response.status == 429
    assert response.headers["Retry-After"] == "30"  # 2 a minute: the next in 30 s
    assert response.headers["Access-Control-Expose-Headers"] == "Retry-After"
    assert response.headers["Cache-Control"] == "no-store"
    assert body == b"too many requests; retry after 30 s\n"


async def test_value_limit_counts_solved_reveals_not_challenges(
    aiohttp_client: ClientFactory, reveal_config: Config, keyring: tokens.KeyRing
) -> None:
    client = await aiohttp_client(create_app(reveal_config.with_values(reveal_token_rate=1)))
    first = tokens.encode(EMAIL, keyring=keyring, revealable=True)
    same_value = tokens.encode(EMAIL, keyring=keyring, revealable=True, ttl=3600)
    # Asking for challenges without doing the work locks nothing.
    for _ in range(5):
        await get_challenge(client, first)
    status, _, _ = await reveal(client, same_value)
    assert status == 200
    # One solved reveal a minute for this value: the next solved one waits.
    status, body, headers = await reveal(client, first)
    assert (status, headers["Retry-After"]) == (429, "60"), body
    other = tokens.encode("other@example.com", keyring=keyring, revealable=True)
    status, _, _ = await reveal(client, other)
    assert status == 200


async def test_full_replay_memory_answers_429(reveal_client: Client, revealable: str) -> None:
    store = reveal_client.app[REVEAL]
    assert isinstance(store, MemoryRevealStore)
    store.spent.capacity = 1
    status, _, _ = await reveal(reveal_client, revealable)
    assert status == 200
    status, _, headers = await reveal(reveal_client, revealable)
    assert status == 429 and int(headers["Retry-After"]) > 0


async def test_allowed_origins(
    aiohttp_client: ClientFactory,
    reveal_config: Config,
    revealable: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="glyphveil.reveal")
    client = await aiohttp_client(create_app(reveal_config))
    data = {"token": revealable}
    for _ in range(3):
        response, body = await fetch(
            client, "/reveal/challenge", "POST", data=data, headers={"Origin": "https://evil.test"}
        )
        assert (response.status, body) == (404, NOT_FOUND)
        assert "Access-Control-Allow-Origin" not in response.headers
    refusals = [r for r in caplog.records if "evil.test" in r.getMessage()]
    assert len(refusals) == 1 and refusals[0].levelno == logging.INFO  # once a minute
    assert "GLYPHVEIL_REVEAL_ORIGINS" in refusals[0].getMessage()
    response, _ = await fetch(
        client,
        "/reveal/challenge",
        "POST",
        data=data,
        headers={"Origin": "https://www.example.com"},
    )
    assert response.status == 200
    assert response.headers["Access-Control-Allow-Origin"] == "https://www.example.com"
    assert response.headers["Vary"] == "Origin"
    response, _ = await fetch(client, "/reveal/challenge", "POST", data=data)  # not a browser
    assert response.status == 200
    assert "Access-Control-Allow-Origin" not in response.headers


async def test_a_listed_page_can_read_why_its_body_was_refused(
    aiohttp_client: ClientFactory, reveal_config: Config
) -> None:
    """400, 413 and 415 carry the CORS header for a listed origin, so the page's script
    reads the reason instead of the browser reporting a CORS failure."""
    client = await aiohttp_client(create_app(reveal_config))
    origin = {"Origin": "https://www.example.com"}
    for kwargs, status in [
        ({"data": {"nonce": "1"}}, 400),
        ({"data": {"token": "x" * 3000}}, 413),
        ({"data": b"token=x", "headers": {**origin, "Content-Type": "text/plain"}}, 415),
    ]:
        kwargs.setdefault("headers", origin)
        response, _ = await fetch(client, "/reveal/challenge", "POST", **kwargs)
        assert response.status == status
        assert response.headers["Access-Control-Allow-Origin"] == "https://www.example.com"


async def test_same_origin(
    aiohttp_client: ClientFactory, reveal_config: Config, revealable: str
) -> None:
    config = reveal_config.with_values(reveal_origins=frozenset({"same-origin"}))
    client = await aiohttp_client(create_app(config))
    own = f"http://{client.host}:{client.port}"
    for origin, status in [(own, 200), ("http://127.0.0.2:1", 404), ("null", 404)]:
        response, _ = await fetch(
            client,
            "/reveal/challenge",
            "POST",
            data={"token": revealable},
            headers={"Origin": origin},
        )
        assert response.status == status, origin


def test_origin_log_is_bounded_and_once_a_minute() -> None:
    origins = OriginLog(max_origins=3)
    assert origins.refused("https://a.test", now=0)
    assert not origins.refused("https://a.test", now=59)
    assert origins.refused("https://a.test", now=61)
    for name in "bcdef":
        assert origins.refused(f"https://{name}.test", now=62)
    assert origins.refused("https://a.test", now=63)  # forgotten: the memory holds 3


async def test_the_text_is_never_logged_nor_counted(
    reveal_client: Client, revealable: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    status, body, _ = await reveal(reveal_client, revealable)
    assert status == 200 and EMAIL in body.decode()
    _, metrics = await fetch(reveal_client, "/metrics")
    assert b'route="reveal"' in metrics
    for needle in (EMAIL, "jane.doe"):
        assert needle not in caplog.text
        assert needle not in metrics.decode()


async def test_script_is_served_and_cached(reveal_client: Client) -> None:
    response, body = await fetch(reveal_client, "/reveal.js")
    assert response.status == 200 and body == SCRIPT
    assert response.headers["Content-Type"] == "text/javascript; charset=utf-8"
    assert response.headers["Cache-Control"] == "public, max-age=86400"
    etag = response.headers["ETag"]
    response, _ = await fetch(reveal_client, "/reveal.js", headers={"If-None-Match": etag})
    assert response.status == 304
    response, body = await fetch(reveal_client, SCRIPT_PATH)
    assert response.status == 200 and body == SCRIPT
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    response, _ = await fetch(reveal_client, "/reveal.0123456789abcdef.js")
    assert response.status == 404
    for forbidden in (b"eval(", b"new Function", b"innerHTML", b"document.write", b"http"):
        assert forbidden not in SCRIPT.replace(b"https://img.example.com", b"")


@pytest.mark.parametrize(
    ("text", "href"),
    [
        ("jane.doe@example.com", "mailto:jane.doe@example.com"),
        (" Jane+tag@Example.org ", "mailto:Jane+tag@Example.org"),
        ("+1 (555) 010-4477", "tel:+15550104477"),
        ("020 7946 0958", "tel:02079460958"),
        ("£1,299", None),
        ("12", None),
        ("jane@example", None),
        ("a b@example.com", None),
        ('x"@example.com', None),
    ],
)
def test_link_for(text: str, href: str | None) -> None:
    assert link_for(text) == href


# --- end to end: the page script in Chromium, under a strict CSP -------------------------------

VALUES = {  # text: (alt, label)
    "jane.doe@example.com": ("email address", "Show email address"),
    "+1 (555) 010-4477": ("phone number", "Show phone number"),
    "£1,299": ("price", "Show price"),
    "sales@example.org": ("sales email address", "Show sales email address"),
}


def site_page(service: str, keyring: tokens.KeyRing) -> tuple[str, dict[str, str]]:
    """A page with revealable values, one protected value that is not, and the script."""
    items = []
    minted = {}
    for text, (alt, label) in VALUES.items():
        token = tokens.encode(text, keyring=keyring, revealable=True)
        minted[text] = token
        img = f'<img src="{service}/t/{token}.png" alt="{alt}">'
        items.append(f"<li>{reveal_button(img, token, label=label)}</li>")
    fixed = tokens.img_tag(
        "not-revealable@example.com", service, alt="email address", keyring=keyring
    )
    body = "\n".join(items)
    page = (
        "<!doctype html><html lang=en><meta charset=utf-8><title>Team</title>"
        f"<h1>Team</h1><ul>{body}<li>{fixed}</li></ul><p id=after>Below the list</p>"
        f'<script src="{service}/reveal.js" defer></script></html>'
    )
    return page, minted


async def test_reveal_in_chromium_under_a_strict_csp(
    aiohttp_server: Callable[..., Awaitable[TestServer]],
    config: Config,
    keyring: tokens.KeyRing,
    tmp_path: Path,
) -> None:
    from playwright.async_api import async_playwright

    pages: dict[str, str] = {}

    async def page_view(request: web.Request) -> web.Response:
        return web.Response(
            text=pages["/"], content_type="text/html", headers={"Content-Security-Policy": csp}
        )

    site = web.Application()
    site.router.add_get("/", page_view)
    site_server = await aiohttp_server(site)
    site_url = f"http://127.0.0.1:{site_server.port}/"

    service_config = config.with_values(
        reveal=True,
        reveal_difficulty=10,
        reveal_client_rate=3,
        reveal_origins=frozenset({site_url.rstrip("/")}),
    )
    service_server = await aiohttp_server(create_app(service_config))
    service = f"http://127.0.0.1:{service_server.port}"
    html, minted = site_page(service, keyring)
    pages["/"] = html
    csp = (
        f"default-src 'none'; img-src {service}; script-src {service}; connect-src {service};"
        " style-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )

    assert site_url.rsplit(":", 1)[0] + ":" + str(service_server.port) == service  # two origins

    async with async_playwright() as pw:
        browser = await launch_chromium(pw)
        try:
            page = await browser.new_page(viewport={"width": 800, "height": 600})
            problems: list[str] = []
            page.on("pageerror", lambda exc: problems.append(str(exc)))
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            statuses: list[tuple[str, int]] = []
            page.on("response", lambda r: statuses.append((r.url, r.status)))
            sent: list[dict[str, str]] = []
            page.on(
                "request",
                lambda r: (
                    sent.append(dict(parse_qsl(r.post_data or "")))
                    if r.url == service + "/reveal"
                    else None
                ),
            )

            response = await page.goto(site_url, wait_until="load")
            assert response is not None
            served = await response.text()
            await page.wait_for_selector("button.glyphveil-reveal-button")
            shown = await page.evaluate("document.documentElement.outerHTML")
            visible = await page.evaluate("document.body.innerText")
            for text in VALUES:
                for where in (served, shown, visible):
                    assert text not in where and html_escape(text) not in where, text
            assert await page.get_by_role("button").count() == len(VALUES)
            # The images loaded: the buttons wrap real pictures.
            assert await page.eval_on_selector_all(
                "img", "els => els.every(e => e.complete && e.naturalWidth > 0)"
            )

            # Before any click, each button shows a visible "show" hint beside the image.
            hints = page.locator("button.glyphveil-reveal-button .glyphveil-reveal-hint")
            assert await hints.count() == len(VALUES)
            assert await hints.first.is_visible()
            assert await hints.first.text_content() == "show"
            look = "b => [getComputedStyle(b).borderStyle, getComputedStyle(b).cursor]"
            first_button = page.locator("button.glyphveil-reveal-button").first
            assert await first_button.evaluate(look) == ["solid", "pointer"]

            # Keyboard: Tab to the first button (a focus ring), Enter; the link replaces
            # it, focused.
            await page.keyboard.press("Tab")
            assert await page.evaluate("document.activeElement.getAttribute('aria-label')") == (
                "Show email address"
            )
            ring = "() => getComputedStyle(document.activeElement).outlineStyle"
            assert await page.evaluate(ring) == "solid"
            await page.keyboard.press("Enter")
            email = page.get_by_role("link", name="jane.doe@example.com")
            await email.wait_for()
            assert await email.get_attribute("href") == "mailto:jane.doe@example.com"
            assert await page.evaluate("document.activeElement.textContent") == (
                "jane.doe@example.com"
            )

            # Mouse: the phone number becomes a tel: link.
            await page.get_by_role("button", name="Show phone number").click()
            phone = page.get_by_role("link", name="+1 (555) 010-4477")
            await phone.wait_for()
            assert await phone.get_attribute("href") == "tel:+15550104477"

            # Space on a price: plain text, focused so a screen reader reads it.
            await page.get_by_role("button", name="Show price").focus()
            await page.keyboard.press("Space")
            price = page.locator(".glyphveil-revealed", has_text="£1,299")
            await price.wait_for()
            assert await price.evaluate("e => e.tagName") == "SPAN"
            assert await page.evaluate("document.activeElement.textContent") == "£1,299"

            # The fourth request in a minute from this client is answered 429.
            await page.get_by_role("button", name="Show sales email address").click()
            status = page.locator(".glyphveil-status", has_text="Too many requests")
            await status.wait_for()
            # Retry-After counts down from 20 s (a refill of the bucket), whole seconds.
            message = await status.text_content() or ""
            assert re.search(r"try again in (1\d|20) s", message), message
            assert (service + "/reveal/challenge", 429) in statuses
            assert await page.get_by_role("button", name="Show sales email address").count() == 1
            assert "sales@example.org" not in await page.evaluate(
                "document.documentElement.outerHTML"
            )
            await page.screenshot(path=str(tmp_path / "reveal.png"), full_page=True)

            # Without JavaScript the images stay, and there is no dead button.
            context = await browser.new_context(java_script_enabled=False)
            static = await context.new_page()
            await static.goto(site_url, wait_until="load")
            assert await static.get_by_role("button").count() == 0
            assert await static.get_by_role("img").count() == len(VALUES) + 1
            assert await static.eval_on_selector_all(
                "img", "els => els.every(e => e.complete && e.naturalWidth > 0)"
            )
            await context.close()
        finally:
            await browser.close()

    # Each reveal carried a real proof of work for its own token and this client.
    assert len(sent) == 3
    for fields in sent:
        solved = verify(
            fields["challenge"], int(fields["nonce"]), fields["token"], "127.0.0.1", keyring
        )
        assert solved.difficulty == 10
    assert {fields["token"] for fields in sent} == {minted[t] for t in list(VALUES)[:3]}
    # The only console error is the browser's own note of the 429.
    assert all("429" in p for p in problems), problems


async def test_a_page_on_an_unlisted_origin_gets_nothing_and_is_told_where_to_look(
    aiohttp_server: Callable[..., Awaitable[TestServer]],
    config: Config,
    keyring: tokens.KeyRing,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from playwright.async_api import async_playwright

    caplog.set_level(logging.INFO, logger="glyphveil.reveal")
    service_config = config.with_values(
        reveal=True, reveal_difficulty=4, reveal_origins=frozenset({"https://www.example.com"})
    )
    service_server = await aiohttp_server(create_app(service_config))
    service = f"http://127.0.0.1:{service_server.port}"
    html, _ = site_page(service, keyring)

    async def page_view(request: web.Request) -> web.Response:
        return web.Response(text=html, content_type="text/html")

    site = web.Application()
    site.router.add_get("/", page_view)
    site_server = await aiohttp_server(site)
    site_origin = f"http://127.0.0.1:{site_server.port}"

    async with async_playwright() as pw:
        browser = await launch_chromium(pw)
        try:
            page = await browser.new_page()
            warnings: list[str] = []
            page.on("console", lambda m: warnings.append(m.text) if m.type == "warning" else None)
            await page.goto(site_origin + "/", wait_until="load")
            await page.get_by_role("button", name="Show email address").click()
            status = page.locator(".glyphveil-status")
            await status.wait_for()
            assert "see the browser console" in (await status.text_content() or "")
            assert "jane.doe@example.com" not in await page.evaluate(
                "document.documentElement.outerHTML"
            )
        finally:
            await browser.close()
    assert any("GLYPHVEIL_REVEAL_ORIGINS" in w and site_origin in w for w in warnings), warnings
    logged = [r for r in caplog.records if site_origin in r.getMessage()]
    assert len(logged) == 1 and logged[0].levelno == logging.INFO


# --- real processes: gunicorn workers, two instances, one Redis ---------------------------------


def post(service: Service, path: str, fields: dict[str, str]) -> Response:
    """One form POST to a running service; HTTP errors are answers."""
    return fetch_process(service.url(path), form=fields)


def solved(service: Service, token: str) -> dict[str, str]:
    return solved_reveal(service.url, token)


REVEAL_FLAGS = ("--reveal", "on", "--reveal-origins", "same-origin", "--reveal-difficulty", "4")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--reveal", "on"), "GLYPHVEIL_REVEAL=on needs GLYPHVEIL_REVEAL_ORIGINS"),
        ((*REVEAL_FLAGS, "--workers", "2"), "with 2 workers needs GLYPHVEIL_REDIS_URL"),
    ],
)
def test_a_reveal_that_would_not_hold_refuses_to_start(
    tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    result = run_cli(tmp_path, *args, GLYPHVEIL_KEYS=PROCESS_KEY)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr


def test_a_solved_challenge_reveals_once_across_workers_instances_and_reloads(
    spawn: Callable[..., Service], redis_server: RedisServer
) -> None:
    flags = (*REVEAL_FLAGS, "--workers", "2", "--reveal-client-rate", "1000")
    first = spawn(*flags, GLYPHVEIL_REDIS_URL=redis_server.url)
    second = spawn(*flags, GLYPHVEIL_REDIS_URL=redis_server.url)
    keyring = tokens.KeyRing([PROCESS_KEY])
    token = tokens.encode(EMAIL, keyring=keyring, revealable=True)
    fields = solved(first, token)
    answer = post(second, "/reveal", fields)  # solved on one instance, spent on the other
    assert answer.status == 200 and json.loads(answer.body)["text"] == EMAIL
    # Every later use is refused, whichever worker of whichever instance answers.
    for service in (first, second) * 6:
        assert post(service, "/reveal", fields).status == 404
    old = first.wait_children(2)
    first.send(signal.SIGHUP)  # the keys reloaded in place, in the master and both workers
    wait_for(lambda: first.stderr.count("keys reloaded") >= 3, 30, "the keys reloaded")
    for _ in range(6):
        assert post(first, "/reveal", fields).status == 404
    os.kill(old[0], signal.SIGTERM)  # a new worker, its memory empty: Redis still remembers
    wait_for(lambda: old[0] not in first.children(), 30, "the worker replaced")
    wait_for(lambda: len(first.children()) == 2, 30, "two workers again")
    for _ in range(6):
        assert post(first, "/reveal", fields).status == 404
    assert post(first, "/reveal", solved(first, token)).status == 200  # a new one works


def test_client_limits_are_shared_by_two_instances(
    spawn: Callable[..., Service], redis_server: RedisServer
) -> None:
    flags = (*REVEAL_FLAGS, "--workers", "2", "--reveal-client-rate", "4")
    services = [spawn(*flags, GLYPHVEIL_REDIS_URL=redis_server.url) for _ in range(2)]
    token = tokens.encode(EMAIL, keyring=tokens.KeyRing([PROCESS_KEY]), revealable=True)
    statuses = [
        post(services[i % 2], "/reveal/challenge", {"token": token}).status for i in range(6)
    ]
    assert statuses == [200, 200, 200, 200, 429, 429]  # 4 a minute for the client, not 8


def test_redis_stopped_under_load_fails_no_image_and_reveal_recovers(
    spawn: Callable[..., Service], redis_server: RedisServer
) -> None:
    service = spawn(
        *REVEAL_FLAGS,
        "--workers",
        "2",
        "--reveal-client-rate",
        "100000",
        GLYPHVEIL_REDIS_URL=redis_server.url,
    )
    keyring = tokens.KeyRing([PROCESS_KEY])
    images = [f"/t/{tokens.encode(f'user{i}@example.com', keyring=keyring)}.png" for i in range(40)]
    token = tokens.encode(EMAIL, keyring=keyring, revealable=True)
    with Load(service.url(""), lambda: images, clients=4) as load:
        load.wait_for(50)
        assert post(service, "/reveal", solved(service, token)).status == 200
        redis_server.stop()
        down = post(service, "/reveal/challenge", {"token": token})
        assert down.status == 503 and int(down.headers["Retry-After"]) > 0
        assert b"retry after" in down.body
        assert post(service, "/reveal", solved_offline(token)).status == 503
        load.wait_for(100)  # images go on meanwhile
        redis_server.start()
        wait_for(
            lambda: post(service, "/reveal/challenge", {"token": token}).status == 200,
            30,
            "reveal back once Redis is",
        )
        assert post(service, "/reveal", solved(service, token)).status == 200
        load.wait_for(50)
    assert load.failures == [] and set(load.statuses) == {"200"}, load.statuses


def solved_offline(token: str) -> dict[str, str]:
    """A well-formed, solved challenge made here: the route must reach the store to judge it."""
    challenge = issue(token, "127.0.0.1", tokens.KeyRing([PROCESS_KEY]).current, difficulty=4)
    return {"token": token, "challenge": challenge, "nonce": str(solve(challenge))}


# --- request bodies ------------------------------------------------------------------------------


async def test_json_bodies_work_too(reveal_client: Client, revealable: str) -> None:
    response, body = await fetch(
        reveal_client, "/reveal/challenge", "POST", json={"token": revealable}
    )
    assert response.status == 200, body
    challenge = json.loads(body)["challenge"]
    fields = {"token": revealable, "challenge": challenge, "nonce": solve(challenge)}  # a number
    response, body = await fetch(reveal_client, "/reveal", "POST", json=fields)
    assert response.status == 200 and json.loads(body)["text"] == EMAIL


@pytest.mark.parametrize(
    ("kwargs", "status", "message"),
    [
        ({"data": b"token=x", "headers": {"Content-Type": "text/plain"}}, 415, "urlencoded"),
        ({"data": aiohttp.FormData({"token": "x"}, default_to_multipart=True)}, 415, "json"),
        ({"data": {"token": "x" * 3000}}, 413, "over 2048 bytes"),
        ({"data": b"token=%zz&&", "headers": {"Content-Type": FORM}}, 400, "not a valid form"),
        ({"data": b"[1, 2]", "headers": {"Content-Type": "application/json"}}, 400, "JSON"),
        ({"data": b"\xff\xfe", "headers": {"Content-Type": "application/json"}}, 400, "JSON"),
        ({"data": b"[" * 2000, "headers": {"Content-Type": "application/json"}}, 400, "JSON"),
        ({"json": {"token": 7}}, 400, "'token'"),
    ],
)
async def test_bodies_other_than_small_forms_and_json_are_refused(
    reveal_client: Client, kwargs: dict[str, object], status: int, message: str
) -> None:
    for path in ("/reveal/challenge", "/reveal"):
        response, body = await fetch(reveal_client, path, "POST", **kwargs)
        assert response.status == status, (path, body)
        assert message in body.decode()
        assert response.headers["Cache-Control"] == "no-store"


async def test_a_chunked_body_over_the_limit_is_refused(reveal_client: Client) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b"token="
        for _ in range(10):
            yield b"x" * 300

    response, body = await fetch(
        reveal_client, "/reveal", "POST", data=chunks(), headers={"Content-Type": FORM}
    )
    assert (response.status, body) == (413, b"the request body is over 2048 bytes\n")


async def test_a_trickled_body_gets_408_and_the_connection_closes(
    reveal_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(server.http.reveal, "BODY_SECONDS", 0.3)
    reader, writer = await asyncio.open_connection(reveal_client.host, reveal_client.port)
    writer.write(
        b"POST /reveal/challenge HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\n\r\ntoken="
    )
    await writer.drain()
    answer = await asyncio.wait_for(reader.read(), timeout=30)  # until the server closes
    writer.close()
    assert answer.startswith(b"HTTP/1.1 408 ")
    assert answer.endswith(b"the request body took over 0.3 s\n")
    assert b"Connection: close" in answer


@pytest.mark.parametrize(
    ("settings", "same", "other"),
    [
        ({}, ["2001:db8:5:6::1", "2001:db8:5:6:ffff::9"], "2001:db8:5:7::1"),
        ({"client_ipv6_prefix": 48}, ["2001:db8:5:6::1", "2001:db8:5:99::1"], "2001:db8:6::1"),
        ({}, ["198.51.100.7", "::ffff:198.51.100.7"], "198.51.100.8"),
        ({"client_ipv4_prefix": 24}, ["198.51.100.7", "198.51.100.200"], "198.51.101.7"),
    ],
)
async def test_limits_count_client_networks_behind_a_trusted_proxy(
    aiohttp_client: ClientFactory,
    reveal_config: Config,
    revealable: str,
    settings: dict[str, int],
    same: list[str],
    other: str,
) -> None:
    config = reveal_config.with_values(
        reveal_client_rate=2, trusted_proxies=frozenset({"127.0.0.1"}), **settings
    )
    client = await aiohttp_client(create_app(config))

    async def ask(address: str) -> int:
        response, _ = await fetch(
            client,
            "/reveal/challenge",
            "POST",
            data={"token": revealable},
            headers={"X-Real-IP": address},
        )
        return response.status

    assert [await ask(address) for address in same] == [200, 200]
    assert await ask(same[0]) == 429  # one client: its addresses share 2 a minute
    assert await ask(other) == 200


def test_an_embedded_app_refuses_reveal_without_origins(config: Config) -> None:
    with pytest.raises(ConfigError, match="GLYPHVEIL_REVEAL_ORIGINS"):
        create_app(config.with_values(reveal=True))
    with pytest.raises(ConfigError, match="GLYPHVEIL_REDIS_URL"):
        create_app(
            config.with_values(reveal=True, reveal_origins=frozenset({"same-origin"}), workers=2)
        )
