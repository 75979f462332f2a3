"""server.http.middleware: the client address behind a trusted proxy."""

from __future__ import annotations

import pytest
from aiohttp import web

from server import Config, create_app
from tests.fetching import fetch


async def whoami(request: web.Request) -> web.Response:
    return web.Response(text=request.remote or "")


async def remote_seen(aiohttp_client, config: Config, headers: dict[str, str]) -> str:
    app = create_app(config)
    app.router.add_get("/whoami", whoami)
    client = await aiohttp_client(app)
    response, body = await fetch(client, "/whoami", headers=headers)
    assert response.status == 200
    return body.decode()


@pytest.mark.parametrize(
    ("header", "seen"),
    [("203.0.113.9", "203.0.113.9"), (" 2001:db8::1 ", "2001:db8::1"), ("", "127.0.0.1")],
)
async def test_a_trusted_proxy_names_the_client(aiohttp_client, config, header, seen) -> None:
    trusting = config.with_values(trusted_proxies=frozenset({"127.0.0.1"}))
    assert await remote_seen(aiohttp_client, trusting, {"X-Real-IP": header}) == seen


@pytest.mark.parametrize("header", ["not an address", "203.0.113.9, 10.0.0.1", "a" * 300])
async def test_a_bad_header_leaves_the_proxy_as_client(aiohttp_client, config, header) -> None:
    trusting = config.with_values(trusted_proxies=frozenset({"127.0.0.1"}))
    assert await remote_seen(aiohttp_client, trusting, {"X-Real-IP": header}) == "127.0.0.1"


async def test_other_peers_cannot_choose_their_address(aiohttp_client, config) -> None:
    assert await remote_seen(aiohttp_client, config, {"X-Real-IP": "203.0.113.9"}) == "127.0.0.1"
    elsewhere = config.with_values(trusted_proxies=frozenset({"10.0.0.7"}))
    assert await remote_seen(aiohttp_client, elsewhere, {"X-Real-IP": "203.0.113.9"}) == "127.0.0.1"


def test_forwarded_client_runs_only_where_a_proxy_is_trusted(config: Config) -> None:
    from server.http.connections import body_deadline
    from server.http.middleware import count_requests, forwarded_client, request_errors

    assert list(create_app(config).middlewares) == [count_requests, body_deadline, request_errors]
    trusting = config.with_values(trusted_proxies=frozenset({"127.0.0.1"}))
    assert list(create_app(trusting).middlewares) == [
        count_requests,
        forwarded_client,
        body_deadline,
        request_errors,
    ]


async def test_unix_trusts_the_socket_and_not_the_tcp_port(config: Config, tmp_path) -> None:
    """``trusted_proxies=unix``: the client named by whoever reaches the unix socket (the
    proxy: the socket's directory decides who can); on the TCP port the header is ignored."""
    import aiohttp

    from tests.processes import free_port

    trusting = config.with_values(trusted_proxies=frozenset({"unix"}))
    app = create_app(trusting)
    app.router.add_get("/whoami", whoami)
    runner = web.AppRunner(app)
    await runner.setup()
    path, port = str(tmp_path / "http.sock"), free_port()
    await web.UnixSite(runner, path).start()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    headers = {"X-Real-IP": "2001:db8::7"}
    try:
        async with aiohttp.ClientSession(connector=aiohttp.UnixConnector(path=path)) as session:
            async with session.get("http://proxy/whoami", headers=headers) as response:
                assert await response.text() == "2001:db8::7"
            async with session.get("http://proxy/whoami") as response:
                assert await response.text() == ""  # no header: the socket's peer, unnamed
        url = f"http://127.0.0.1:{port}/whoami"
        async with aiohttp.ClientSession() as session, session.get(url, headers=headers) as answer:
            assert await answer.text() == "127.0.0.1"
    finally:
        await runner.cleanup()
