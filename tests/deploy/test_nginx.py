"""deploy/nginx.conf as shipped, in front of two real ``python -m server`` instances.

The test config is the shipped file with its addresses and paths moved into tmp_path
(every replaced line must still be in the file, so the two cannot drift apart), wrapped
in the main block a distribution's nginx.conf provides.
"""

from __future__ import annotations

import asyncio
import http.server
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest

import tokens
from tests.processes import (
    READY_SECONDS,
    Load,
    Response,
    Service,
    fetch,
    free_port,
    wait_for,
)

SHIPPED = Path(__file__).parents[2] / "deploy" / "nginx.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"  # Debian's, from .ci/apt-packages.txt
KEY = tokens.generate_key()
KEYRING = tokens.KeyRing([KEY])


def site_config(
    shipped: str, *, port: int, upstreams: tuple[int, int], tmp: Path, socket: Path, rate: str
) -> str:
    """The shipped file with this test's ports and paths; fails if a line moved away."""
    replacements = {
        "listen 80;": f"listen 127.0.0.1:{port};",
        "listen [::]:80;": "",
        "/var/cache/nginx/glyphveil": str(tmp / "cache"),
        "server 127.0.0.1:8081 ": f"server 127.0.0.1:{upstreams[0]} ",
        "server 127.0.0.1:8082 ": f"server 127.0.0.1:{upstreams[1]} ",
        "/run/glyphveil-nginx-misses.sock": str(socket),
        "rate=10r/s": f"rate={rate}",
    }
    for old, new in replacements.items():
        assert old in shipped, f"deploy/nginx.conf no longer has {old!r}: update this test"
        shipped = shipped.replace(old, new)
    return shipped


def main_config(tmp: Path, site: Path) -> str:
    """What /etc/nginx/nginx.conf gives the site file, with every path in ``tmp``."""
    user = "user root root;\n" if os.geteuid() == 0 else ""
    temp = "\n".join(
        f"    {kind}_temp_path {tmp / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return f"""{user}daemon off;
worker_processes 1;
pid {tmp / "nginx.pid"};
error_log {tmp / "error.log"} info;
events {{ worker_connections 512; }}
http {{
    access_log {tmp / "access.log"};
{temp}
    include {site};
}}
"""


@dataclass
class Proxy:
    """nginx running the shipped config, and the two instances behind it."""

    proc: subprocess.Popen[bytes]
    port: int
    instances: tuple[Service, ...]
    error_log: Path

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def get(self, path: str, **headers: str) -> Response:
        return fetch(self.url(path), headers=headers)


@pytest.fixture
def start_proxy(tmp_path: Path, spawn: Callable[..., Service]) -> Iterator[Callable[..., Proxy]]:
    """Two instances with the same keys, then nginx in front of them, in the foreground."""
    started: list[subprocess.Popen[bytes]] = []
    socket_dir = Path(tempfile.mkdtemp(prefix="gv-", dir="/tmp"))  # unix socket paths are short

    def start(
        rate: str = "10r/s",
        upstreams: tuple[int, int] | None = None,
        args: tuple[str, ...] = (),
        keys: dict[str, str] | None = None,
    ) -> Proxy:
        """nginx with the shipped limit ``rate``; in front of ``upstreams`` if given,
        else of two new instances started with ``args`` and the ``keys`` variables."""
        instances: tuple[Service, ...] = ()
        if upstreams is None:
            variables = keys or {"GLYPHVEIL_KEYS": KEY}
            instances = (
                spawn("--threads", "2", *args, **variables),
                spawn("--threads", "2", *args, **variables),
            )
            upstreams = (instances[0].port, instances[1].port)
        port = free_port()
        prefix = tmp_path / "nginx"
        prefix.mkdir()
        site = prefix / "glyphveil.conf"
        site.write_text(
            site_config(
                SHIPPED.read_text(),
                port=port,
                upstreams=upstreams,
                tmp=prefix,
                socket=socket_dir / "misses.sock",
                rate=rate,
            )
        )
        conf = prefix / "nginx.conf"
        conf.write_text(main_config(prefix, site))
        command = [NGINX, "-p", str(prefix), "-c", str(conf), "-e", str(prefix / "error.log")]
        check = subprocess.run([*command, "-t"], capture_output=True, text=True, check=False)
        assert check.returncode == 0, check.stderr
        proc = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        started.append(proc)
        proxy = Proxy(proc, port, instances, prefix / "error.log")
        wait_for(lambda: proxy.get("/healthz").status == 200, READY_SECONDS, "nginx answering")
        return proxy

    yield start
    for proc in started:
        proc.send_signal(signal.SIGQUIT)  # graceful: workers finish, then the master exits
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    shutil.rmtree(socket_dir, ignore_errors=True)


def token_path(text: str, suffix: str = ".png") -> str:
    return f"/t/{tokens.encode(text, keyring=KEYRING)}{suffix}"


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
    assert proxy.get("/").headers["X-Cache-Status"] != "HIT"  # the page carries a fresh nonce


def test_metrics_are_refused(start_proxy: Callable[..., Proxy]) -> None:
    proxy = start_proxy()
    assert proxy.get("/metrics").status == 403
    assert proxy.get("/metrics?x").status == 403
    post = urllib.request.Request(proxy.url("/t/x.png"), data=b"x", method="POST")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(post, timeout=10)
    assert refused.value.code == 403  # GET and HEAD only
    assert proxy.instances[0].get("/metrics").status == 200  # scraped on the instance itself


class HeaderEcho:
    """A loopback HTTP server that remembers the headers of the last request."""

    def __init__(self) -> None:
        self.seen: dict[str, str] = {}
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.port = self.server.server_address[1]
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
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.send_header("Cache-Control", "no-store")
                self.end_headers()

            do_POST = do_GET

            def log_message(self, *args: object) -> None:
                pass

        return Handler


def test_client_address_reaches_the_instances(start_proxy: Callable[..., Proxy]) -> None:
    echo = HeaderEcho()
    try:
        proxy = start_proxy(upstreams=(echo.port, echo.port))
        statuses = asyncio.run(
            fetch_from("127.0.0.5", [proxy.url("/t/x.png")], {"X-Forwarded-For": "203.0.113.9"})
        )
        assert statuses == [200]
        assert echo.seen["X-Real-IP"] == "127.0.0.5"
        assert echo.seen["X-Forwarded-For"] == "203.0.113.9, 127.0.0.5"
        assert echo.seen["Host"] == "127.0.0.1"  # $host: the name the client asked for

        form = urllib.request.Request(proxy.url("/reveal/challenge"), data=b"token=abc")
        with urllib.request.urlopen(form, timeout=10) as answer:  # reveal posts pass, uncached
            assert answer.status == 200 and "X-Cache-Status" not in answer.headers
        assert (echo.seen["method"], echo.seen["body"]) == ("POST", "token=abc")
        assert echo.seen["X-Real-IP"] == "127.0.0.1"
    finally:
        echo.server.shutdown()


def test_every_request_succeeds_with_one_instance_killed(start_proxy: Callable[..., Proxy]) -> None:
    proxy = start_proxy(rate="10000r/s")  # this test is about fail-over, not the rate limit
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


def test_both_instances_reload_keys_under_load_without_a_failed_request(
    start_proxy: Callable[..., Proxy], tmp_path: Path
) -> None:
    """The rotation's service step on gunicorn instances behind nginx, both at once:
    their workers are replaced, and nginx must lose no request on the way."""
    new = tokens.generate_key()
    keys_file = tmp_path / "service.keys"
    keys_file.write_text(KEY + "\n")
    proxy = start_proxy(
        rate="10000r/s",
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


def test_rate_limit_on_misses_spares_cached_images(start_proxy: Callable[..., Proxy]) -> None:
    proxy = start_proxy()  # the shipped rate: 10 new images a second, a burst of 20
    cached = token_path("cached@example.com")
    assert proxy.get(cached).status == 200
    flood = [proxy.url(token_path(f"scrape{i}@example.com")) for i in range(60)]
    statuses = asyncio.run(fetch_from("127.0.0.2", flood))
    assert statuses.count(200) >= 20 and statuses.count(429) >= 20, statuses
    assert set(statuses) == {200, 429}

    limited = proxy.get(token_path("scrape0@example.com") + "?n=1")
    assert limited.status in (200, 429)
    answers = asyncio.run(fetch_from("127.0.0.2", [proxy.url(cached)] * 30))
    assert answers == [200] * 30  # the same client still gets cached images
    others = asyncio.run(
        fetch_from("127.0.0.3", [proxy.url(token_path(f"o{i}@x.org")) for i in range(10)])
    )
    assert others == [200] * 10  # and other clients their new ones

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
