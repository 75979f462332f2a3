"""server.http.connections through a real ``python -m server``: slow request heads are cut
off on time, the connection cap answers 503, protocol errors get one clean 400."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from contextlib import suppress

from server.http.connections import MAX_FIELD_SIZE, MAX_HEADERS, MAX_LINE_SIZE
from tests.processes import Service, metric, raw_request, wait_for


def read_until_closed(sock: socket.socket, seconds: float) -> tuple[bytes, float]:
    """Everything the server sends until it closes, and when it closed (monotonic).

    A reset counts as closed: the kernel resets a connection closed with unread input.
    """
    sock.settimeout(seconds)
    data = b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except ConnectionResetError:
        pass
    return data, time.monotonic()


def test_slow_request_heads_are_closed_on_time(spawn: Callable[..., Service]) -> None:
    service = spawn("--header-timeout", "1", "--keepalive-timeout", "30")
    slow = [socket.create_connection(("127.0.0.1", service.port), timeout=10) for _ in range(30)]
    started = time.monotonic()
    for sock in slow:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\n")
    closed_at: list[float] = []
    answers: list[bytes] = []
    try:
        for _ in range(3):  # keep trickling a header line to every connection
            time.sleep(0.25)
            for sock in slow:
                with suppress(OSError):  # closed by now
                    sock.sendall(b"X-Slow: 1\r\n")
        assert service.get("/healthz").status == 200  # others are served meanwhile
        for sock in slow:
            data, when = read_until_closed(sock, 10)
            answers.append(data)
            closed_at.append(when - started)
    finally:
        for sock in slow:
            sock.close()
    assert max(closed_at) < 5, closed_at  # 1 s header timeout, on a busy machine
    assert all(not answer or answer.startswith(b"HTTP/1.1 408 ") for answer in answers)
    assert metric(service, "glyphveil_connections_closed_total", reason="header_timeout") == 30
    assert "Traceback" not in service.stderr


def test_connections_over_the_cap_get_503(spawn: Callable[..., Service]) -> None:
    service = spawn("--max-connections", "5")
    idle = [socket.create_connection(("127.0.0.1", service.port), timeout=10) for _ in range(5)]
    try:
        time.sleep(0.2)  # let the server accept them
        over = raw_request(service.port, b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
        assert over.startswith(b"HTTP/1.1 503 ")
        assert b"Retry-After: 1\r\n" in over and b"X-Content-Type-Options: nosniff" in over
    finally:
        for sock in idle:
            sock.close()
    wait_for(lambda: service.get("/healthz").status == 200, 10, "served again below the cap")
    assert metric(service, "glyphveil_connections_closed_total", reason="capacity") >= 1


PROTOCOL_ERRORS = {
    "long url": b"GET /" + b"a" * (MAX_LINE_SIZE + 100) + b" HTTP/1.1\r\nHost: t\r\n\r\n",
    "long header": b"GET / HTTP/1.1\r\nHost: t\r\nX-Long: "
    + b"b" * (MAX_FIELD_SIZE + 100)
    + b"\r\n\r\n",
    "many headers": b"GET / HTTP/1.1\r\n"
    + b"".join(b"X-%d: c\r\n" % n for n in range(MAX_HEADERS + 10))
    + b"\r\n",
    "garbage": b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\xee" * 64 + b"\r\n\r\n",
    "bad method": b"G\x00T / HTTP/1.1\r\nHost: t\r\n\r\n",
    "bad version": b"GET / HTTP/9.x\r\nHost: t\r\n\r\n",
    "bad header": b"GET / HTTP/1.1\r\nHost t\r\n\r\n",
    "smuggling": b"GET / HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
}


def test_protocol_errors_get_one_clean_400(spawn: Callable[..., Service]) -> None:
    service = spawn()
    for count, (name, request) in enumerate(PROTOCOL_ERRORS.items(), start=1):
        answer = raw_request(service.port, request)
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.split(b" ")[1] == b"400", (name, head)
        assert b"X-Content-Type-Options: nosniff" in head, name
        assert b"Cache-Control: no-store" in head, name
        assert b"Connection: close" in head, name
        assert body == b"bad request\n", name  # nothing of the input comes back
        for needle in (b"aaaa", b"bbbb", b"X-1", b"\xee\xee"):
            assert needle not in answer, name
        wait_for(lambda n=count: service.stderr.count("protocol error") == n, 5, name)
    assert "Traceback" not in service.stderr
    assert service.get("/healthz").status == 200
    assert metric(service, "glyphveil_connections_closed_total", reason="bad_request") == len(
        PROTOCOL_ERRORS
    )
