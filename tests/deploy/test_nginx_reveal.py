"""Reveal through the shipped nginx, two instances and one real Redis: what one instance
spends, the other refuses, and Redis going away costs reveal only, never an image."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

import tokens
from tests.deploy.conftest import KEYRING, NO_LIMITS, Proxy
from tests.processes import Load, Response, fetch, solved_reveal, wait_for
from tests.redis_server import RedisServer

EMAIL = "jane.doe@example.com"


@pytest.fixture
def instance_env(redis_server: RedisServer) -> dict[str, str]:
    """Both instances reveal, sharing one Redis, at a difficulty a test solves at once."""
    return {
        "GLYPHVEIL_REVEAL": "on",
        "GLYPHVEIL_REVEAL_ORIGINS": "same-origin",
        "GLYPHVEIL_REVEAL_DIFFICULTY": "4",
        "GLYPHVEIL_REVEAL_CLIENT_RATE": "100000",
        "GLYPHVEIL_REDIS_URL": redis_server.url,
    }


def post(proxy: Proxy, path: str, fields: dict[str, str]) -> Response:
    """One form POST through nginx; HTTP errors are answers."""
    return fetch(proxy.url(path), form=fields)


def solved(proxy: Proxy, token: str) -> dict[str, str]:
    return solved_reveal(proxy.url, token)


def test_a_solved_challenge_is_spent_on_both_instances(
    start_proxy: Callable[..., Proxy],
) -> None:
    proxy = start_proxy()
    token = tokens.encode(EMAIL, keyring=KEYRING, revealable=True)
    fields = solved(proxy, token)
    answer = post(proxy, "/reveal", fields)
    assert answer.status == 200 and json.loads(answer.body)["text"] == EMAIL
    # nginx takes turns between the instances: each refuses it, with the same 404.
    replays = [post(proxy, "/reveal", fields) for _ in range(6)]
    assert {r.status for r in replays} == {404}
    assert len({r.body for r in replays}) == 1
    assert post(proxy, "/reveal", solved(proxy, token)).status == 200  # a new one works


def test_redis_stopped_costs_reveal_only_and_it_comes_back(
    start_proxy: Callable[..., Proxy], redis_server: RedisServer
) -> None:
    proxy = start_proxy(rates=NO_LIMITS)  # the load is about Redis, not the fetch limits
    token = tokens.encode(EMAIL, keyring=KEYRING, revealable=True)
    images = [f"/t/{tokens.encode(f'user{i}@example.com', keyring=KEYRING)}.png" for i in range(30)]
    with Load(proxy.url(""), lambda: images, clients=4) as load:
        load.wait_for(40)
        assert post(proxy, "/reveal", solved(proxy, token)).status == 200
        redis_server.stop()
        down = post(proxy, "/reveal/challenge", {"token": token})
        assert down.status == 503 and int(down.headers["Retry-After"]) > 0
        load.wait_for(60)  # images go on meanwhile
        redis_server.start()
        wait_for(
            lambda: post(proxy, "/reveal/challenge", {"token": token}).status == 200,
            30,
            "reveal back once Redis is",
        )
        assert post(proxy, "/reveal", solved(proxy, token)).status == 200
        load.wait_for(40)
    assert load.failures == [] and set(load.statuses) == {"200"}, load.statuses
