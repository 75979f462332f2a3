"""deploy/nginx.conf as shipped, in front of two real ``python -m server`` instances on
unix sockets (the fixtures are in conftest.py)."""

from __future__ import annotations

import asyncio
import http.server
import signal
import socketserver
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import aiohttp
import pytest

import tokens
from tests.deploy.conftest import KEY, KEYRING, NO_LIMITS, Proxy
from tests.processes import READY_SECONDS, Load, Response, wait_for


def token_path(text: str, suffix: str = ".png", ttl: int | None = None) -> str:
    return f"/t/{tokens.encode(text, keyring=KEYRING, ttl=ttl)}{suffix}"


async def fetch_from(
    address: str, urls: list[str], headers: dict[str, str] | None = None, at_once: int = 8
) -> list[int]:
    """GET ``urls`` from the loopback ``address`` (another client to nginx), ``at_once``
    at a time: more would meet the instances' render queues (503) before nginx's limit."""
    connector = aiohttp.TCPConnector(local_addr=(address, 0), limit=at_once)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def one(url: str) -> int:
            async with session.get(url, headers=headers) as response:
                await response.read()
                return response.status

        return list(await asyncio.gather(*(one(url) for url in urls)))


def test_second_request_is_a_cache_hit_and_304s_work(start_proxy: Callable[..., Proxy]) -> None:
    proxy = start_proxy()
    path = token_path("jane@example.com")
    first, second = proxy.get(path), proxy.get(path)
    assert (first.status, first.headers["X-Cache-Status"]) == (200, "MISS")
    assert (second.status, second.headers["X-Cache-Status"]) == (200, "HIT")
    assert second.body == first.body and second.headers["ETag"] == first.headers["ETag"]
    assert first.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert first.headers["X-Content-Type-Options"] == "nosniff"

    cached = proxy.get(path, **{"If-None-Match": first.headers["ETag"]})
    assert (cached.status, cached.body, cached.headers["X-Cache-Status"]) == (304, b"", "HIT")
    assert cached.headers["ETag"] == first.headers["ETag"]
    assert proxy.get(path, **{"If-None-Match": '"other"'}).status == 200

    fresh = token_path("bob@example.com", "@2x.webp")  # a conditional miss: 304 all the same
    etag = proxy.instances[0].get(fresh).headers["ETag"]
    answer = proxy.get(fresh, **{"If-None-Match": etag})
    assert (answer.status, answer.headers["X-Cache-Status"]) == (304, "MISS")

    bad = proxy.get("/t/" + "A" * 71 + ".png")  # errors are never cached
    assert (
        bad.status == 404
        and proxy.get("/t/" + "A" * 71 + ".png").headers["X-Cache-Status"] == "MISS"
    )
    assert "X-Cache-Status" not in proxy.get("/").headers  # never cached: a fresh nonce


def test_one_cache_key_per_image(start_proxy: Callable[..., Proxy]) -> None:
    proxy = start_proxy()
    path = token_path("one@example.com")
    assert proxy.get(path).headers["X-Cache-Status"] == "MISS"
    for busted in (path + "?bust=1", path + "?", path + "?a=b&c=d"):
        answer = proxy.get(busted)
        assert (answer.status, answer.headers["X-Cache-Status"]) == (200, "HIT"), busted
    token = path.removeprefix("/t/").removesuffix(".png")
    for spelling in (f"/t/{token}%2epng", f"/t/{token}.PNG", f"/t/{token}@3X.png",
                     f"/t/{token}.Png", f"/t/%41{token[1:]}.png"):  # fmt: skip
        refused = proxy.get(spelling)
        assert refused.status == 400, spelling
        assert b"canonical" in refused.body and "X-Cache-Status" not in refused.headers
    body = urllib.request.Request(proxy.url(path), data=b"x", method="GET")
    with pytest.raises(urllib.error.HTTPError) as refused_body:
        urllib.request.urlopen(body, timeout=10)
    assert refused_body.value.code == 400

    hello = proxy.get("/160x90?text=Hello")
    assert (hello.status, hello.headers["X-Cache-Status"]) == (200, "MISS")
    again = proxy.get("/160x90?bust=7&text=Hello&x=1")
    assert (again.status, again.headers["X-Cache-Status"], again.body) == (200, "HIT", hello.body)
    assert proxy.get("/160x90?text=Other").body != hello.body
    direct = proxy.instances[0].get("/160x90?text=Hello")
    assert direct.body == hello.body  # the service drew what the key says
    assert proxy.get("/160x90.PNG").status == 400
    assert proxy.get("/160x90%2epng").status == 400
    assert proxy.get("/160x90.png?text=a.PNG").status == 200  # the query is text, not a format


def test_an_expired_token_is_410_from_nginx_right_after_its_expiry(
    start_proxy: Callable[..., Proxy],
) -> None:
    proxy = start_proxy()
    path = token_path("soon@example.com", ttl=3)
    expires = time.time() + 3
    first = proxy.get(path)
    assert (first.status, first.headers["X-Cache-Status"]) == (200, "MISS")
    assert "must-revalidate" in first.headers["Cache-Control"]
    assert proxy.get(path).headers["X-Cache-Status"] == "HIT"
    time.sleep(max(0.0, expires - time.time()) + 1.1)  # past the expiry
    gone = [proxy.get(path) for _ in range(3)]
    assert [answer.status for answer in gone] == [410, 410, 410]
    assert all(answer.headers["Cache-Control"] == "no-store" for answer in gone)


def test_metrics_are_refused(start_proxy: Callable[..., Proxy]) -> None:
    proxy = start_proxy()
    assert proxy.get("/metrics").status == 403
    assert proxy.get("/metrics?x").status == 403
    post = urllib.request.Request(proxy.url("/t/x.png"), data=b"x", method="POST")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(post, timeout=10)
    assert refused.value.code == 403  # GET and HEAD only
    assert proxy.instances[0].get("/metrics").status == 200  # scraped on the instance itself


class ThreadingUnixHTTPServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


class HeaderEcho:
    """An HTTP server on a unix socket that remembers the headers of the last request."""

    def __init__(self, path: Path) -> None:
        self.seen: dict[str, str] = {}
        self.server = ThreadingUnixHTTPServer(str(path), self._handler())
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def _handler(self) -> type[http.server.BaseHTTPRequestHandler]:
        echo = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                echo.seen = dict(self.headers)
                length = int(self.headers.get("Content-Length") or 0)
                echo.seen["body"] = self.rfile.read(length).decode()
                echo.seen["method"] = self.command
                echo.seen["path"] = self.path
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.send_header("Cache-Control", "no-store")
                self.end_headers()

            do_POST = do_GET

            def log_message(self, *args: object) -> None:
                pass

            def address_string(self) -> str:
                return "unix"

        return Handler


def test_client_address_reaches_the_instances(start_proxy: Callable[..., Proxy]) -> None:
    proxy = start_proxy(instances=False)
    echoes = [HeaderEcho(sock) for sock in proxy.sockets]
    try:
        wait_for(lambda: proxy.get("/healthz").status == 200, READY_SECONDS, "nginx answering")
        for echo in echoes:
            echo.seen = {}
        statuses = asyncio.run(
            fetch_from("127.0.0.5", [proxy.url("/t/x.png?q=1")], {"X-Forwarded-For": "203.0.113.9"})
        )
        assert statuses == [200]
        seen = next(echo.seen for echo in echoes if echo.seen)
        assert seen["X-Real-IP"] == "127.0.0.5"
        assert seen["X-Forwarded-For"] == "203.0.113.9, 127.0.0.5"
        assert seen["Host"] == "127.0.0.1"  # $host: the name the client asked for
        assert seen["path"] == "/t/x.png"  # the query string dropped
        assert "X-Glyphveil-Client" not in seen  # nginx's own, for its limits

        for echo in echoes:
            echo.seen = {}
        form = urllib.request.Request(proxy.url("/reveal/challenge"), data=b"token=abc")
        with urllib.request.urlopen(form, timeout=10) as answer:  # reveal posts pass, uncached
            assert answer.status == 200 and "X-Cache-Status" not in answer.headers
        seen = next(echo.seen for echo in echoes if echo.seen)
        assert (seen["method"], seen["body"]) == ("POST", "token=abc")
        assert seen["X-Real-IP"] == "127.0.0.1"
    finally:
        for echo in echoes:
            echo.server.shutdown()
            echo.server.server_close()


def test_every_request_succeeds_with_one_instance_killed(start_proxy: Callable[..., Proxy]) -> None:
    proxy = start_proxy(rates=NO_LIMITS)  # this test is about fail-over, not the limits
    warm = [token_path(f"warm{i}@example.com") for i in range(20)]
    for path in warm:
        assert proxy.get(path).status == 200
    fresh = [token_path(f"user{i}@example.com", ".webp") for i in range(3000)]
    paths = [p for pair in zip(fresh, warm * 150, strict=True) for p in pair]
    with Load(proxy.url(""), lambda: paths, clients=6) as load:
        load.wait_for(300)
        proxy.instances[0].stop(signal.SIGKILL)
        load.wait_for(600)
    assert load.failures == [], load.statuses
    for path in fresh[-5:]:  # misses too: nginx sends them to the instance still up
        assert proxy.get(path + "?again").status == 200


def test_shed_renders_are_retried_and_never_become_502(start_proxy: Callable[..., Proxy]) -> None:
    """Instances that shed most of a burst of misses (a render queue of 1): every answer
    is a 200 or a 503 with Retry-After, never a 502, and no instance is marked dead; the
    same with one of them killed."""
    proxy = start_proxy(rates=NO_LIMITS, args=("--threads", "1", "--render-queue", "1"))
    paths = [token_path(f"burst{i}@example.com", "@2x.webp") for i in range(96)]
    answers: Counter[str] = Counter()

    async def burst(paths: list[str]) -> None:
        async with aiohttp.ClientSession() as session:

            async def one(path: str) -> None:
                async with session.get(proxy.url(path)) as response:
                    await response.read()
                    retry = response.headers.get("Retry-After")
                    answers[f"{response.status} {retry}" if response.status != 200 else "200"] += 1

            await asyncio.gather(*(one(path) for path in paths))

    asyncio.run(burst(paths))
    assert set(answers) <= {"200", "503 1"}, answers
    assert answers["503 1"] > 0 and answers["200"] > 0, answers  # it did shed, and serve
    assert "no live upstreams" not in proxy.error_log.read_text()
    assert proxy.get(token_path("after@example.com")).status == 200

    answers.clear()  # again, with one instance killed: its share is tried on the other
    proxy.instances[0].stop(signal.SIGKILL)
    asyncio.run(burst([token_path(f"kill{i}@example.com", "@2x.webp") for i in range(96)]))
    assert set(answers) <= {"200", "503 1"}, answers
    assert answers["200"] > 0, answers
    assert proxy.get(token_path("later@example.com")).status == 200


def test_both_instances_reload_keys_under_load_without_a_failed_request(
    start_proxy: Callable[..., Proxy], tmp_path: Path
) -> None:
    """The rotation's service step on gunicorn instances behind nginx, both at once:
    each worker reloads its keys in place, and nginx loses no request on the way."""
    new = tokens.generate_key()
    keys_file = tmp_path / "service.keys"
    keys_file.write_text(KEY + "\n")
    proxy = start_proxy(
        rates=NO_LIMITS,
        args=("--workers", "2"),
        keys={"GLYPHVEIL_KEYS": "", "GLYPHVEIL_KEYS_FILE": str(keys_file)},
    )
    warm = [token_path(f"warm{i}@example.com") for i in range(20)]
    fresh = [token_path(f"user{i}@example.com", "@2x.png") for i in range(3000)]
    paths = [p for pair in zip(fresh, warm * 150, strict=True) for p in pair]
    with Load(proxy.url(""), lambda: paths, clients=6) as load:
        load.wait_for(200)
        keys_file.with_name("new").write_text(f"{KEY}\n{new}\n")
        keys_file.with_name("new").replace(keys_file)
        for instance in proxy.instances:
            instance.send(signal.SIGHUP)
        minted = f"/t/{tokens.encode('new@example.com', keyring=tokens.KeyRing([new]))}.png"
        wait_for(
            lambda: all(i.get(minted).status == 200 for i in proxy.instances),
            READY_SECONDS,
            "reloaded",
        )
        load.wait_for(400)
    assert load.failures == [], load.statuses
    assert proxy.get(minted).status == 200


def test_miss_limits_spare_cached_images_and_other_clients(
    start_proxy: Callable[..., Proxy],
) -> None:
    proxy = start_proxy()  # the shipped miss limit: 10 new token images a second, burst 20
    cached = token_path("cached@example.com")
    assert proxy.get(cached).status == 200
    flood = [proxy.url(token_path(f"scrape{i}@example.com")) for i in range(60)]
    statuses = asyncio.run(fetch_from("127.0.0.2", flood))
    assert statuses.count(200) >= 20 and statuses.count(429) >= 20, statuses
    assert set(statuses) == {200, 429}

    answers = asyncio.run(fetch_from("127.0.0.2", [proxy.url(cached)] * 30))
    assert answers == [200] * 30  # the same client still gets cached images
    others = asyncio.run(
        fetch_from("127.0.0.3", [proxy.url(token_path(f"o{i}@x.org")) for i in range(10)])
    )
    assert others == [200] * 10  # and other clients their new ones
    placeholders = asyncio.run(fetch_from("127.0.0.2", [proxy.url("/150x50?text=p")]))
    assert placeholders == [200]  # placeholders have their own budget

    too_many = asyncio.run(_first_429(proxy))
    assert too_many.headers["Retry-After"] == "1"
    assert too_many.headers["Cache-Control"] == "no-store"
    assert "limiting requests" in proxy.error_log.read_text()


async def _first_429(proxy: Proxy) -> Response:
    connector = aiohttp.TCPConnector(local_addr=("127.0.0.4", 0), limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        for i in range(200):
            async with session.get(proxy.url(token_path(f"r{i}@x.org"))) as response:
                body = await response.read()
                if response.status == 429:
                    return Response(429, dict(response.headers), body)
    pytest.fail("no 429 after 200 new images from one client")


#: The test's own way to pretend to be any client address (IPv6 included) over loopback.
AS_CLIENT = {
    "server_tokens off;": "server_tokens off; set_real_ip_from 127.0.0.1; "
    "real_ip_header X-Test-Client; add_header X-Test-Group $glyphveil_client always;"
}


def test_client_groups_are_ipv4_addresses_and_ipv6_64s(start_proxy: Callable[..., Proxy]) -> None:
    proxy = start_proxy(extra=AS_CLIENT)
    groups = {
        "203.0.113.9": "203.0.113.9",
        "2001:db8:1:2:3:4:5:6": "2001:db8:1:2::/64",
        "2001:db8:1:2::6": "2001:db8:1:2::/64",
        "2001:db8:1::6": "2001:db8:1:0::/64",
        "2001:db8:0:0:1:2:3:4": "2001:db8:0:0::/64",
        "2001:db8::1": "2001:db8:0:0::/64",
        "2001:0:0:9:1:2:3:4": "2001:0:0:9::/64",
        "2001::9:0:0:0:1": "2001:0:0:9::/64",  # printed 2001:0:0:9::1
        "2001::1": "2001:0:0:0::/64",
        "0:0:5:6:1:2:3:4": "0:0:5:6::/64",
        "0:0:0:6:1:2:3:4": "0:0:0:6::/64",
        "::1": "0:0:0:0::/64",
        "::ffff:192.0.2.7": "192.0.2.7",
    }
    for address, group in groups.items():
        seen = proxy.get("/healthz", **{"X-Test-Client": address}).headers["X-Test-Group"]
        assert seen == group, address


def test_the_harvest_limit_bounds_token_images_per_client_group(
    start_proxy: Callable[..., Proxy],
) -> None:
    """The shipped limit (300 at once, then one every 2 s) counts every token image a
    client group fetches, cache hits included; other groups are not affected."""
    proxy = start_proxy(extra=AS_CLIENT)
    cached = token_path("team@example.com")
    assert proxy.get(cached).status == 200

    async def fetch_as(client: str, count: int) -> Counter[int]:
        headers = {"X-Test-Client": client}
        async with aiohttp.ClientSession(headers=headers) as session:
            statuses: Counter[int] = Counter()
            for _ in range(count):
                async with session.get(proxy.url(cached)) as response:
                    await response.read()
                    statuses[response.status] += 1
            return statuses

    harvester = asyncio.run(fetch_as("2001:db8:7:7::1", 320))
    assert harvester[200] >= 300 and harvester[429] >= 10, harvester  # the burst, then 429s
    neighbour = asyncio.run(fetch_as("2001:db8:7:7:ffff:1:2:3", 5))  # the same /64
    assert neighbour == Counter({429: 5})
    assert asyncio.run(fetch_as("2001:db8:7:8::1", 5)) == Counter({200: 5})  # the next /64
    assert asyncio.run(fetch_as("198.51.100.7", 5)) == Counter({200: 5})
    assert proxy.get("/150x50", **{"X-Test-Client": "2001:db8:7:7::1"}).status == 200
    limited = proxy.get(cached, **{"X-Test-Client": "2001:db8:7:7::1"})
    assert limited.status == 429 and limited.headers["Retry-After"] == "2"


def test_a_placeholder_flood_never_refuses_a_victims_token_images(
    start_proxy: Callable[..., Proxy],
) -> None:
    """One client asks for 8 big new placeholders a second; another client's new token
    images are all served meanwhile (separate limits in nginx, budgets in the service)."""
    proxy = start_proxy(args=("--threads", "2", "--render-queue", "4"))
    stop = threading.Event()
    flood: Counter[int] = Counter()

    async def attacker() -> None:
        connector = aiohttp.TCPConnector(local_addr=("127.0.0.6", 0), limit=0)
        async with aiohttp.ClientSession(connector=connector) as session:

            async def one(n: int) -> None:
                async with session.get(proxy.url(f"/2000x{1000 + n}.webp")) as response:
                    await response.read()
                    flood[response.status] += 1

            pending: list[asyncio.Task[None]] = []
            n = 0
            while not stop.is_set():
                for _ in range(8):
                    n += 1
                    pending.append(asyncio.create_task(one(n)))
                await asyncio.sleep(1)
            await asyncio.gather(*pending)

    thread = threading.Thread(target=asyncio.run, args=(attacker(),))
    thread.start()
    try:
        time.sleep(1)
        victim = [token_path(f"victim{i}@example.com") for i in range(20)]
        statuses = asyncio.run(fetch_from("127.0.0.7", [proxy.url(p) for p in victim], at_once=4))
    finally:
        stop.set()
        thread.join(timeout=60)
    assert statuses == [200] * 20
    assert sum(flood.values()) > 8 and set(flood) <= {200, 429, 503}, flood
