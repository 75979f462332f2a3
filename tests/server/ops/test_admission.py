"""server.ops.admission: renders admitted by count and by pixels, in-process and through
a real ``python -m server``: overload is a 503 at once while hits keep answering, and a
render whose clients all left is dropped before it is drawn."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest

from server.errors import Overloaded
from server.ops.admission import Admission
from tests.processes import Response, Service, fetch, metric, wait_for

MPX = 1_000_000


async def test_admits_up_to_the_limit_then_refuses() -> None:
    admission = Admission(threads=1, limit=2, budget=100 * MPX)
    first, second = admission.admit(10), admission.admit(10)
    assert admission.full
    with pytest.raises(Overloaded) as refused:
        admission.admit(10)
    assert refused.value.retry_after >= 1
    admission.release(first)
    admission.release(first)  # a second release gives nothing back twice
    assert admission.admitted == 1 and not admission.full
    admission.release(second)
    assert (admission.admitted, admission.pixels) == (0, 0)


async def test_budget_counts_pixels_not_requests() -> None:
    admission = Admission(threads=4, limit=100, budget=20 * MPX)
    big = admission.admit(16 * MPX)
    with pytest.raises(Overloaded):
        admission.admit(16 * MPX)  # a second 4000x4000 would pass the budget
    small = [admission.admit(40_000) for _ in range(50)]  # 200x200 each still fit
    assert admission.pixels == 16 * MPX + 50 * 40_000
    for ticket in [big, *small]:
        admission.release(ticket)


async def test_an_image_over_the_whole_budget_is_drawn_when_idle() -> None:
    admission = Admission(threads=1, limit=10, budget=1 * MPX)
    huge = admission.admit(16 * MPX)
    with pytest.raises(Overloaded):
        admission.admit(1)
    admission.release(huge)
    admission.release(admission.admit(16 * MPX))


async def test_threads_are_taken_in_arrival_order() -> None:
    admission = Admission(threads=1, limit=10, budget=MPX)
    order: list[int] = []

    async def job(n: int) -> None:
        async with admission.thread():
            order.append(n)
            await asyncio.sleep(0)

    await asyncio.gather(*(job(n) for n in range(5)))
    assert order == list(range(5))


# --- through a real process --------------------------------------------------------------

SLOW = "/4000x4000/{:06x}/000.webp"  # 16 Mpx; a WebP this big takes seconds to encode


def fetch_all(service: Service, paths: list[str]) -> list[Response]:
    with ThreadPoolExecutor(len(paths)) as pool:
        return list(pool.map(lambda path: fetch(service.url(path), timeout=60), paths))


def test_overload_is_503_while_hits_answer(
    spawn: Callable[..., Service],
) -> None:
    service = spawn("--threads", "1", "--render-queue", "2", "--render-timeout", "60")
    assert service.get("/120x80").status == 200  # now a cache hit
    with ThreadPoolExecutor(8) as pool:
        burst = [pool.submit(fetch, service.url(SLOW.format(n)), 60) for n in range(8)]
        wait_for(lambda: sum(f.done() for f in burst) >= 6, 30, "six answers")
        # The six answered while the two admitted renders were still drawing.
        drawing = metric(service, "glyphveil_renders_in_flight")
        hit = service.get("/120x80")
        answers = [f.result(timeout=60) for f in burst]
    assert drawing >= 1
    statuses = [answer.status for answer in answers]
    assert sorted(statuses) == [200, 200] + [503] * 6
    for answer in answers:
        if answer.status == 503:
            assert answer.headers["Retry-After"] == "1"
            assert answer.headers["Cache-Control"] == "no-store"
            assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert hit.status == 200
    assert service.get("/healthz").status == 200  # ready again once drained
    assert metric(service, "glyphveil_renders_shed_total", reason="overloaded") == 6
    assert "Traceback" not in service.stderr


def test_pixel_budget_refuses_big_images_but_admits_small_ones(
    spawn: Callable[..., Service],
) -> None:
    service = spawn("--threads", "2", "--render-budget-mpx", "20", "--render-timeout", "60")
    with ThreadPoolExecutor(4) as pool:
        big = [pool.submit(fetch, service.url(SLOW.format(n)), 60) for n in range(4)]
        wait_for(lambda: metric(service, "glyphveil_renders_in_flight") >= 1, 30, "a big render")
        small = fetch_all(service, [f"/200x200/{n:06x}" for n in range(1, 6)])
        answers = [f.result(timeout=60) for f in big]
    assert sorted(answer.status for answer in answers) == [200, 503, 503, 503]
    assert [answer.status for answer in small] == [200] * 5


def test_renders_whose_clients_left_are_dropped_before_drawing(
    spawn: Callable[..., Service],
) -> None:
    service = spawn(
        *("--threads", "1", "--render-queue", "20"),
        *("--render-budget-mpx", "1000", "--render-timeout", "60"),
    )
    with ThreadPoolExecutor(1) as pool:
        kept = pool.submit(fetch, service.url(SLOW.format(0)), 60)
        wait_for(lambda: metric(service, "glyphveil_renders_in_flight") >= 1, 30, "first render")
        gone = []
        for n in range(1, 9):
            sock = socket.create_connection(("127.0.0.1", service.port), timeout=10)
            sock.sendall(f"GET {SLOW.format(n)} HTTP/1.1\r\nHost: t\r\n\r\n".encode())
            gone.append(sock)
        wait_for(lambda: metric(service, "glyphveil_renders_in_flight") >= 9, 30, "eight queued")
        for sock in gone:
            sock.close()
        wait_for(
            lambda: metric(service, "glyphveil_renders_in_flight") <= 1,
            10,
            "the in-flight gauge to drop when the clients left",
        )
        assert kept.result(timeout=60).status == 200
    assert metric(service, "glyphveil_renders_shed_total", reason="abandoned") >= 7
    assert metric(service, "glyphveil_renders_in_flight") == 0
    assert service.get("/healthz").status == 200
