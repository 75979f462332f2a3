"""server.http.reveal: the reveal routes, their 404s, rate limits and no-store answers."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

import tokens
from server import Config, create_app
from server.http.reveal import SCRIPT, SCRIPT_PATH, link_for
from server.state import REVEAL
from tests.fetching import fetch
from tokens.pow import issue, solve

Client = TestClient[web.Request, web.Application]
ClientFactory = Callable[..., Awaitable[Client]]
EMAIL = "jane.doe@example.com"


@pytest.fixture
def reveal_config(config: Config) -> Config:
    return config.with_values(reveal=True, reveal_difficulty=6, reveal_client_rate=1000)


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
    assert response.headers["Access-Control-Allow-Origin"] == "*"
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

    # The challenge is spent: the same proof of work does not reveal twice.
    response, body = await fetch(reveal_client, "/reveal", "POST", data=data)
    assert (response.status, body) == (403, b"challenge failed\n")
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
    for token, chal, n in [
        (revealable, challenge, wrong),
        (revealable, foreign, solve(foreign)),
        (other_token, challenge, nonce),  # a challenge for another token
        (revealable, challenge[:-1] + "A", nonce),
    ]:
        data = {"token": token, "challenge": chal, "nonce": str(n)}
        response, body = await fetch(reveal_client, "/reveal", "POST", data=data)
        assert (response.status, body) == (403, b"challenge failed\n")
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


async def test_value_rate_limit_answers_429(
    aiohttp_client: ClientFactory, reveal_config: Config, keyring: tokens.KeyRing
) -> None:
    client = await aiohttp_client(create_app(reveal_config.with_values(reveal_token_rate=1)))
    first = tokens.encode(EMAIL, keyring=keyring, revealable=True)
    same_value = tokens.encode(EMAIL, keyring=keyring, revealable=True, ttl=3600)
    await get_challenge(client, first)
    response, _ = await fetch(client, "/reveal/challenge", "POST", data={"token": same_value})
    assert response.status == 429  # another token of the same value and style
    assert response.headers["Retry-After"] == "60"
    other = tokens.encode("other@example.com", keyring=keyring, revealable=True)
    await get_challenge(client, other)


async def test_full_replay_memory_answers_429(reveal_client: Client, revealable: str) -> None:
    reveal_client.app[REVEAL].spent.capacity = 1
    status, _, _ = await reveal(reveal_client, revealable)
    assert status == 200
    status, _, headers = await reveal(reveal_client, revealable)
    assert status == 429 and int(headers["Retry-After"]) > 0


async def test_allowed_origins(
    aiohttp_client: ClientFactory, reveal_config: Config, revealable: str
) -> None:
    config = reveal_config.with_values(reveal_origins=frozenset({"https://www.example.com"}))
    client = await aiohttp_client(create_app(config))
    data = {"token": revealable}
    response, _ = await fetch(
        client, "/reveal/challenge", "POST", data=data, headers={"Origin": "https://evil.test"}
    )
    assert response.status == 404
    assert "Access-Control-Allow-Origin" not in response.headers
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
