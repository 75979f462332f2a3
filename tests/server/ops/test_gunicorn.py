"""server.ops.gunicorn with real gunicorn: HUP (the keys reloaded in every worker, none
replaced), a worker's exit and SIGTERM under load, keep-alive connections through both,
and new connections spread over the workers.

The metrics directory belongs to the master: a worker that exits (TERM ends one) must
not take it along, or every route fails after it.
"""

from __future__ import annotations

import asyncio
import io
import itertools
import os
import signal
import socket
import threading
import time
import urllib.error
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field

import pytest
from PIL import Image

from server.ops.gunicorn import SharedListener
from tests.processes import (
    STOP_SECONDS,
    Service,
    connections_by_process,
    fetch,
    listen_backlog,
    metric,
    wait_for,
)

PATHS = ("/healthz", "/120x80", "/metrics")  # a hit, and /metrics reads every worker's file


@dataclass
class Load:
    """Requests on fresh connections from a few threads until stopped; every answer counted."""

    service: Service
    statuses: Counter[int] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self, offset: int) -> None:
        n = offset
        while not self.stop.is_set():
            n += 1
            path = PATHS[n % len(PATHS)] if n % 4 else f"/{100 + n % 50}x{100 + n % 7}"
            try:
                self.statuses[fetch(self.service.url(path), timeout=30).status] += 1
            except (OSError, urllib.error.URLError) as exc:
                self.errors.append(f"{path}: {exc!r}")


@contextmanager
def load(service: Service, threads: int = 4) -> Iterator[Load]:
    running = Load(service)
    with ThreadPoolExecutor(threads) as pool:
        for offset in range(threads):
            pool.submit(running.run, offset)
        try:
            yield running
        finally:
            running.stop.set()


def test_hup_and_a_workers_term_under_load(spawn: Callable[..., Service]) -> None:
    service = spawn("--workers", "2")
    first = service.wait_children(2)
    assert len(first) == 2, service.stderr
    with load(service) as running:
        time.sleep(0.5)
        service.proc.send_signal(signal.SIGHUP)
        wait_for(
            lambda: service.stderr.count("keys reloaded") >= 3,  # the master and both workers
            30,
            "the keys reloaded in every process",
        )
        assert service.children() == first  # in place: no worker replaced
        time.sleep(0.5)
        second = service.children()
        os.kill(second[0], signal.SIGTERM)  # one worker ends; the master replaces it
        wait_for(
            lambda: second[0] not in service.children() and len(service.children()) == 2,
            30,
            "a replacement worker",
        )
        time.sleep(0.5)
    assert service.proc.poll() is None, service.stderr  # the service is still up
    assert running.errors == [], running.errors[:5]
    assert running.statuses and set(running.statuses) == {200}, running.statuses
    assert sum(running.statuses.values()) > 20
    miss = service.get("/121x81")  # a render in a new worker writes its metrics
    assert miss.status == 200
    assert metric(service, "glyphveil_requests_total", route="healthz", status="200") > 0
    assert "FileNotFoundError" not in service.stderr
    assert "Traceback" not in service.stderr
    assert service.stop() == 0


async def keep_alive_load(port: int, stop: threading.Event, clients: int = 8) -> Counter[str]:
    """``clients`` keep-alive connections requesting cache hits until ``stop``; counts
    answers by status and failures by exception, and how often a connection was closed
    by an answer saying ``Connection: close``."""
    import aiohttp

    counts: Counter[str] = Counter()
    connector = aiohttp.TCPConnector(limit=clients, force_close=False)
    async with aiohttp.ClientSession(f"http://127.0.0.1:{port}", connector=connector) as session:

        async def client() -> None:
            while not stop.is_set():
                try:
                    async with session.get("/120x80") as response:
                        await response.read()
                        counts[str(response.status)] += 1
                        if response.headers.get("Connection", "").lower() == "close":
                            counts["close"] += 1
                except aiohttp.ClientError as exc:
                    counts[type(exc).__name__] += 1

        await asyncio.gather(*(client() for _ in range(clients)))
    return counts


def test_keep_alive_connections_survive_a_reload_and_a_stopping_worker(
    spawn: Callable[..., Service],
) -> None:
    """8 keep-alive clients (as wrk): a HUP closes none of their connections, and a
    worker that stops loses none of their requests."""
    service = spawn("--workers", "2")
    workers = service.wait_children(2)
    assert service.get("/120x80").status == 200
    stop = threading.Event()
    with ThreadPoolExecutor(1) as pool:
        future = pool.submit(asyncio.run, keep_alive_load(service.port, stop))
        time.sleep(1)
        service.send(signal.SIGHUP)
        wait_for(lambda: service.stderr.count("keys reloaded") >= 3, 30, "keys reloaded")
        time.sleep(1)
        reloaded = Counter(future.result(0) if future.done() else {})
        os.kill(workers[0], signal.SIGTERM)
        wait_for(lambda: workers[0] not in service.children(), 30, "the worker stopped")
        time.sleep(1)
        stop.set()
        counts = future.result(timeout=STOP_SECONDS)
    assert not reloaded  # still running
    assert service.children()[0] != workers[0] and workers[1] in service.children()
    failures = {k: v for k, v in counts.items() if k not in ("200", "close")}
    assert failures == {}, counts
    assert counts["200"] > 100


def test_the_last_answer_of_a_stopping_process_says_connection_close(
    spawn: Callable[..., Service],
) -> None:
    """A keep-alive request under way at SIGTERM is answered, with ``Connection: close``."""
    service = spawn("--threads", "1")
    with socket.create_connection(("127.0.0.1", service.port), timeout=30) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
        first = sock.recv(65536)
        assert first.startswith(b"HTTP/1.1 200 ") and b"Connection: close" not in first
        sock.sendall(b"GET /4000x3999.png HTTP/1.1\r\nHost: t\r\n\r\n")  # a second or so
        wait_for(lambda: metric(service, "glyphveil_renders_in_flight") == 1, 10, "rendering")
        service.send(signal.SIGTERM)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 200 ") and b"\r\nConnection: close\r\n" in answer
    assert service.proc.wait(timeout=STOP_SECONDS) == 0


def drain(service: Service, paths: list[str]) -> None:
    """Queue renders, SIGTERM, and check: every one answered whole, new connections
    refused, the process exits 0 within its grace period."""
    with ThreadPoolExecutor(len(paths)) as pool:
        pending = [pool.submit(fetch, service.url(path), 60) for path in paths]
        wait_for(
            lambda: metric(service, "glyphveil_renders_in_flight") >= len(paths),
            30,
            "every render admitted",
        )
        started = time.monotonic()
        service.proc.send_signal(signal.SIGTERM)
        answers = [f.result(timeout=STOP_SECONDS) for f in pending]
        code = service.proc.wait(timeout=STOP_SECONDS)
        took = time.monotonic() - started
    assert [answer.status for answer in answers] == [200] * len(paths)
    for answer in answers:
        Image.open(io.BytesIO(answer.body)).load()  # the whole image arrived
    assert code == 0
    assert took < 30, took
    assert "Traceback" not in service.stderr


QUEUED = [f"/2000x2000/{n:06x}/000.webp" for n in range(1, 7)]


def test_sigterm_drains_the_render_queue(spawn: Callable[..., Service]) -> None:
    service = spawn(
        *("--threads", "1", "--render-queue", "8"),
        *("--render-timeout", "60", "--grace-seconds", "30"),
    )
    drain(service, QUEUED)


def test_sigterm_drains_gunicorn_workers(spawn: Callable[..., Service]) -> None:
    service = spawn(
        *("--workers", "2", "--threads", "1", "--render-queue", "8"),
        *("--render-timeout", "60", "--grace-seconds", "30"),
    )
    assert len(service.wait_children(2)) == 2
    drain(service, QUEUED)


def open_requests(port: int, count: int, width: int, first: int) -> list[socket.socket]:
    """``count`` new keep-alive connections, each with a request sent for a placeholder
    of its own size (``width`` wide, heights from ``first`` on): a few ms of drawing
    each (no cache hit), as real requests take. A burst of free answers would let one
    worker serve it all before the scheduler ran the other, however the accepts are
    shared."""
    connections = []
    for n in range(count):
        connection = socket.create_connection(("127.0.0.1", port), timeout=10)
        request = f"GET /{width}x{first + n}.png HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
        connection.sendall(request.encode())
        connections.append(connection)
    return connections


def status_line(connection: socket.socket) -> bytes:
    """The status line of the answer on ``connection`` (the connection stays open)."""
    data = b""
    while b"\r\n\r\n" not in data and (chunk := connection.recv(65536)):
        data += chunk
    return data.partition(b"\r\n")[0]


def spread(service: Service, workers: list[int], count: int, first: int) -> dict[int, int]:
    """Open ``count`` connections with a request each (500 px wide, heights from
    ``first``), read every answer, and say how many of them each worker holds."""
    connections = open_requests(service.port, count, 500, first)
    try:
        assert {status_line(c) for c in connections} == {b"HTTP/1.1 200 OK"}
        return connections_by_process(workers, service.port)
    finally:
        for connection in connections:
            connection.close()


BURST = 32


def test_a_burst_of_new_connections_spreads_over_the_workers(spawn: Callable[..., Service]) -> None:
    """A burst of connections that queued while every worker was busy (stopped, here) is
    taken in turns: aiohttp's own worker lets the first one awake accept it all."""
    # Room for the whole burst in either worker's render queue (16 by default), so no
    # request is shed however the burst falls.
    service = spawn("--workers", "2", "--render-queue", str(2 * BURST))
    workers = service.wait_children(2)
    assert len(workers) == 2, service.stderr
    sizes = itertools.count(300, 8)  # a fresh set of sizes for each try: none cached
    wait_for(
        lambda: min(spread(service, workers, 8, next(sizes)).values()) > 0,
        30,
        "both workers serving",
    )
    for pid in workers:
        os.kill(pid, signal.SIGSTOP)
    try:
        # queued in the kernel, none accepted; sizes the warm-up (500 wide) did not draw
        burst = open_requests(service.port, BURST, 600, 300)
    finally:
        for pid in workers:
            os.kill(pid, signal.SIGCONT)
    try:
        assert {status_line(c) for c in burst} == {b"HTTP/1.1 200 OK"}
        held = connections_by_process(workers, service.port)
    finally:
        for connection in burst:
            connection.close()
    assert sum(held.values()) == BURST, held
    # Both take part (aiohttp's own worker lets one take all 32); how evenly depends on
    # when the scheduler wakes the second one, which a loaded machine delays (29/3 seen).
    # With answers that cost nothing one worker could take all 32 before the other ran
    # (seen in 2 of 6 runs beside two busy loops); each placeholder takes a few ms.
    assert len(held) == 2 and min(held.values()) > 0, held
    # The workers leave the shared queue as long as gunicorn made it (its default
    # backlog), where asyncio's listen() would shorten it to aiohttp's 128.
    assert listen_backlog(service.port) == 2048
    assert service.stop() == 0


async def test_shared_listener_accepts_one_connection_per_turn_of_the_loop() -> None:
    with socket.create_server(("127.0.0.1", 0), backlog=16) as sock:
        sock.setblocking(False)
        port = sock.getsockname()[1]
        listener = SharedListener(sock)
        listener.listen(1)  # left as it is
        assert listen_backlog(port) == 16
        clients = [socket.create_connection(("127.0.0.1", port)) for _ in range(3)]
        accepted = []
        try:
            for _ in range(3):
                accepted.append(listener.accept()[0])
                with pytest.raises(BlockingIOError):  # what an empty queue says
                    listener.accept()
                await asyncio.sleep(0)  # the next turn of the loop
            with pytest.raises(BlockingIOError):  # now the queue is empty
                listener.accept()
            assert listener.getsockname() == sock.getsockname()  # the rest is the socket's
        finally:
            for connection in clients + accepted:
                connection.close()


def test_shared_listener_takes_at_least_one() -> None:
    with socket.socket() as sock, pytest.raises(ValueError, match="at least 1"):
        SharedListener(sock, per_wakeup=0)
