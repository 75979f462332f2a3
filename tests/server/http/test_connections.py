"""server.http.connections through a real ``python -m server``: slow request heads and
bodies are cut off on time, silent connections closed, the connection cap makes room by
closing stalled connections and answers 503 only when all are busy, protocol errors get
one clean 400."""

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


def request_on(port: int, data: bytes, timeout: float = 10) -> bytes:
    """Send ``data`` on a fresh connection and read one whole answer (keep-alive or not)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        answer = b""
        while b"\r\n\r\n" not in answer:
            answer += sock.recv(65536)
        head, _, body = answer.partition(b"\r\n\r\n")
        length = next(
            int(line.split(b":")[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        )
        while len(body) < length:
            body += sock.recv(65536)
        return answer


def test_a_new_connection_at_the_cap_replaces_the_oldest_stalled_one(
    spawn: Callable[..., Service],
) -> None:
    service = spawn("--max-connections", "5", "--idle-timeout", "60")
    silent = [socket.create_connection(("127.0.0.1", service.port), timeout=10) for _ in range(5)]
    try:
        time.sleep(0.2)  # let the server accept them
        answer = request_on(service.port, b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
        assert answer.startswith(b"HTTP/1.1 200 ")
        oldest, _ = read_until_closed(silent[0], 10)
        assert oldest == b""  # closed to make room, without an answer: it asked nothing
    finally:
        for sock in silent:
            sock.close()
    assert metric(service, "glyphveil_connections_closed_total", reason="evicted") >= 1


def test_connections_over_the_cap_get_503_when_every_one_is_busy(
    spawn: Callable[..., Service],
) -> None:
    service = spawn(
        "--max-connections", "8", "--threads", "1", "--render-budget-mpx", "1000",
        "--render-queue", "16",
    )  # fmt: skip
    busy = [socket.create_connection(("127.0.0.1", service.port), timeout=30) for _ in range(8)]
    try:
        # Eight big renders queued on one thread: for a few seconds every connection has
        # a request being handled (the metrics would need a connection of their own).
        for n, sock in enumerate(busy):
            sock.sendall(b"GET /4000x%d.webp HTTP/1.1\r\nHost: t\r\n\r\n" % (3990 + n))
        time.sleep(0.1)
        over = raw_request(service.port, b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
        assert over.startswith(b"HTTP/1.1 503 ")
        assert b"Retry-After: 1\r\n" in over and b"X-Content-Type-Options: nosniff" in over
    finally:
        for sock in busy:
            sock.close()
    wait_for(lambda: service.get("/healthz").status == 200, 10, "served again below the cap")
    assert metric(service, "glyphveil_connections_closed_total", reason="capacity") >= 1


def test_silent_connections_are_closed_after_the_idle_timeout(
    spawn: Callable[..., Service],
) -> None:
    service = spawn("--idle-timeout", "1", "--header-timeout", "30")
    silent = socket.create_connection(("127.0.0.1", service.port), timeout=10)
    speaking = socket.create_connection(("127.0.0.1", service.port), timeout=10)
    try:
        speaking.sendall(b"GET /healthz HTTP/1.1\r\n")  # a head under way: the header timeout
        data, _ = read_until_closed(silent, 10)
        assert data == b""
        speaking.sendall(b"Host: t\r\n\r\n")
        assert speaking.recv(65536).startswith(b"HTTP/1.1 200 ")
    finally:
        silent.close()
        speaking.close()
    assert metric(service, "glyphveil_connections_closed_total", reason="idle_timeout") == 1
    assert "Exception in callback" not in service.stderr, service.stderr


def test_a_trickled_body_gets_408(spawn: Callable[..., Service]) -> None:
    service = spawn("--body-timeout", "1", "--header-timeout", "30")
    with socket.create_connection(("127.0.0.1", service.port), timeout=10) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n")
        answer = b""
        with suppress(OSError):
            for _ in range(20):  # a byte every 0.2 s: the whole body would take 20 s
                sock.sendall(b"x")
                time.sleep(0.2)
                sock.settimeout(0.01)
                with suppress(TimeoutError):
                    if not (chunk := sock.recv(65536)):
                        break
                    answer += chunk
        sock.settimeout(10)
        rest, _ = read_until_closed(sock, 10)
    answer += rest
    assert answer.startswith(b"HTTP/1.1 408 "), answer[:200]
    assert b"Connection: close" in answer and b"request body not received in time" in answer
    whole = request_on(
        service.port, b"GET /healthz HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc"
    )
    assert whole.startswith(b"HTTP/1.1 200 ")  # a body on time is fine
    assert metric(service, "glyphveil_connections_closed_total", reason="body_timeout") == 1


def test_hits_and_healthz_answer_while_idle_and_trickling_clients_hold_the_cap(
    spawn: Callable[..., Service],
) -> None:
    """The cap full of connections that send nothing useful: new requests still pass."""
    service = spawn("--max-connections", "200", "--idle-timeout", "60", "--body-timeout", "60")
    assert service.get("/120x80").status == 200  # now a cache hit
    held: list[socket.socket] = []
    try:
        for n in range(300):
            sock = socket.create_connection(("127.0.0.1", service.port), timeout=10)
            if n % 2:  # half trickle a body that never ends, half say nothing
                sock.sendall(b"POST /healthz HTTP/1.1\r\nHost: t\r\nContent-Length: 999\r\n\r\nx")
            held.append(sock)
        for _ in range(20):
            assert service.get("/healthz").status == 200
            assert service.get("/120x80").status == 200
    finally:
        for sock in held:
            sock.close()
    assert metric(service, "glyphveil_connections_closed_total", reason="capacity") == 0


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
