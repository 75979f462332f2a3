"""Hostile traffic against the service: what an attacker or a broken client sends.

Run: .venv/bin/python bench/hostile.py [--requests 20000] [--concurrency 32] [--url URL]
(or ``make bench-hostile``). Without ``--url`` it starts ``python -m server`` on a free
loopback port with a fresh key and stops it at the end; with ``--url`` it sends to a
service already running on loopback (``--pid`` to read its memory). Needs nothing
beyond the project's own environment.

The mix, from a fixed seed: random paths and bytes, mutated and truncated tokens, valid
tokens and placeholders (cache hits and misses), huge, zero and negative sizes, bad
colours, odd percent-encodings, odd and lower-case methods, long and many headers, and
slow clients (some within the header timeout, some past it). Requests go in two equal
rounds; RSS is read before, between and after, so a leak shows as growth in round 2
(round 1 fills the image caches up to their budgets).

It prints the status histogram per kind of request, then the verdict: no 5xx (the
service it starts has a render queue as deep as the client's concurrency, so admission
has no reason to shed; a 503 is reported apart, with its ``Retry-After``), no
connection dropped without an answer, the service alive, memory flat. Bounded in count
and time; loopback only.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlsplit

import tokens

HEADER_TIMEOUT = 2  # the started service's --header-timeout, so slow clients finish fast
BASE64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
METHODS = ["POST", "PUT", "DELETE", "OPTIONS", "TRACE", "PATCH", "FOO", "get", "HEAD", "CONNECT"]


@dataclass
class Request:
    kind: str
    data: bytes
    chunks: int = 1  # sent in this many pieces ...
    pause: float = 0.0  # ... this many seconds apart


@dataclass
class Tally:
    statuses: dict[str, Counter[int]] = field(default_factory=lambda: defaultdict(Counter))
    dropped: list[str] = field(default_factory=list)
    cut_off: int = 0  # clients too slow for the header timeout, closed without an answer
    retry_after_missing: int = 0

    def total(self) -> Counter[int]:
        out: Counter[int] = Counter()
        for counts in self.statuses.values():
            out.update(counts)
        return out


class Mix:
    """The hostile requests, drawn from one seed."""

    def __init__(self, host: str, keyring: tokens.KeyRing | None, seed: int) -> None:
        self.rng = random.Random(seed)
        self.host = host
        self.tokens = (
            [tokens.encode(f"user{n}@example.com", keyring=keyring) for n in range(20)]
            if keyring is not None
            else ["A" * 71]
        )

    def request(self, method: str, target: str, headers: list[str] | None = None) -> bytes:
        lines = [f"{method} {target} HTTP/1.1", f"Host: {self.host}", "Connection: close"]
        return ("\r\n".join(lines + (headers or [])) + "\r\n\r\n").encode("latin-1")

    def draw(self) -> Request:
        rng = self.rng
        kind = rng.choices(
            [
                "random path", "mutated token", "valid token", "placeholder", "bad size",
                "bad colour", "odd encoding", "odd method", "long headers", "slow client",
                "too slow", "garbage",
            ],
            weights=[12, 16, 8, 10, 10, 8, 8, 8, 6, 4, 1, 4],
        )[0]  # fmt: skip
        get = self.request
        if kind == "random path":
            raw = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 80)))
            return Request(kind, get("GET", "/" + quote(raw, safe="/@.")))
        if kind == "mutated token":
            token = rng.choice(self.tokens)
            cut = rng.randrange(len(token))
            token = rng.choice(
                [
                    token[:cut],
                    token[:cut] + rng.choice(BASE64URL) + token[cut + 1 :],
                    token + "".join(rng.choices(BASE64URL, k=rng.randrange(1, 40))),
                    token[::-1],
                    quote(token[:cut] + "/../" + token[cut:], safe=""),
                ]
            )
            suffix = rng.choice([".png", ".webp", "@2x.png", "@3x.webp", "@9x.png", ".gif", ""])
            return Request(kind, get("GET", f"/t/{token}{suffix}"))
        if kind == "valid token":
            suffix = rng.choice([".png", ".webp", "@2x.png"])
            return Request(kind, get("GET", f"/t/{rng.choice(self.tokens)}{suffix}"))
        if kind == "placeholder":
            size = f"{rng.randrange(1, 800)}x{rng.randrange(1, 600)}"
            text = "".join(chr(rng.randrange(0x20, 0x2FFFF)) for _ in range(rng.randrange(30)))
            text = "".join(c for c in text if not 0xD800 <= ord(c) <= 0xDFFF)
            fmt = rng.choice(["", ".webp", ".jpg", ".gif", "/png"])
            return Request(kind, get("GET", f"/{size}{fmt}?text={quote(text)}"))
        if kind == "bad size":
            size = rng.choice(
                [
                    f"{rng.randrange(4001, 10**9)}x10",
                    f"-{rng.randrange(1, 10**6)}x10",
                    f"10x-{rng.randrange(1, 99)}",
                    "0x0",
                    "9" * rng.randrange(10, 500),
                    f"4000x4000@{rng.randrange(2, 99)}x",
                    f"{rng.randrange(1, 99)}x{rng.randrange(1, 99)}@0x",
                    "1e3x1e3",
                    "0x10",
                ]
            )
            return Request(kind, get("GET", f"/{size}"))
        if kind == "bad colour":
            colour = rng.choice(
                ["zzzzzz", "GGG", "%23fff", "#" * 40, "f" * 33, "rgb(1,2,3)", "%00", "12345"]
            )
            return Request(kind, get("GET", f"/300x200/{colour}/{rng.choice(['fff', 'q'])}"))
        if kind == "odd encoding":
            target = rng.choice(
                [
                    "/%00", "/%ff%fe", "/%c0%af", "/t/..%2f..%2fetc%2fpasswd.png", "/%252f",
                    "/300x200?text=%ff%fe%fd", "/300x200?text=%", "/%E2%80%AE300x200",
                    "/300x200?text=" + "%F0%9F%98%80" * 100, "/t/%2e%2e.png", "/\\..\\x",
                    "/300x200?" + "&".join(["a=b"] * 2000), "/.%2e/.%2e/healthz",
                ]
            )  # fmt: skip
            return Request(kind, get("GET", target))
        if kind == "odd method":
            path = rng.choice(["/", "/healthz", "/300x200", f"/t/{self.tokens[0]}.png", "*"])
            headers = ["Content-Length: 5"] if rng.random() < 0.5 else []
            data = get(rng.choice(METHODS), path, headers) + (b"hello" if headers else b"")
            return Request(kind, data)
        if kind == "long headers":
            headers = rng.choice(
                [
                    ["X-Long: " + "a" * 8000],
                    ["X-Long: " + "a" * 9000],
                    [f"X-{n}: v" for n in range(100)],
                    [f"X-{n}: v" for n in range(200)],
                    ["Cookie: " + "c=" * 3000],
                    ["If-None-Match: " + ", ".join(['"x"'] * 500)],
                    ["Accept-Encoding: " + "gzip;q=0.5, " * 300],
                ]
            )
            return Request(kind, get("GET", "/healthz", headers))
        if kind == "slow client":  # within the header timeout
            return Request(kind, get("GET", "/120x80"), chunks=4, pause=HEADER_TIMEOUT / 8)
        if kind == "too slow":  # past it: answered 408, or cut off
            return Request(kind, get("GET", "/120x80"), chunks=4, pause=HEADER_TIMEOUT / 2)
        garbage = rng.choice(
            [
                bytes(rng.randrange(256) for _ in range(200)),
                b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03" + os.urandom(64),
                b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
                b"GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
                b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\n\r\n",
                b"GET / HTTP/2.0\r\n\r\n",
            ]
        )
        return Request("garbage", garbage)


async def send(host: str, port: int, request: Request, tally: Tally) -> None:
    """One request on its own connection; a connection closed with no status line is a drop
    (except for a client too slow for the header timeout, which may be cut off)."""
    answer = b""
    try:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            size = -(-len(request.data) // request.chunks)
            for n in range(request.chunks):
                writer.write(request.data[n * size : (n + 1) * size])
                await writer.drain()
                if n + 1 < request.chunks:
                    await asyncio.sleep(request.pause)
            answer = await asyncio.wait_for(reader.read(), timeout=60)
        finally:
            writer.close()
    except (OSError, TimeoutError) as exc:
        if request.kind == "too slow":
            tally.cut_off += 1
        else:
            tally.dropped.append(f"{request.kind}: {exc!r}")
        return
    if not answer.startswith(b"HTTP/"):  # aiohttp answers "GET / HTTP/2.0" in kind
        if request.kind == "too slow":
            tally.cut_off += 1
        else:
            tally.dropped.append(f"{request.kind}: no status line ({answer[:20]!r})")
        return
    status = int(answer[9:12])
    tally.statuses[request.kind][status] += 1
    if status == 503 and b"\r\nretry-after:" not in answer.split(b"\r\n\r\n")[0].lower():
        tally.retry_after_missing += 1


async def run_round(
    host: str, port: int, mix: Mix, count: int, concurrency: int, deadline: float
) -> Tally:
    tally = Tally()
    requests = iter([mix.draw() for _ in range(count)])

    async def worker() -> None:
        for request in requests:
            if time.monotonic() > deadline:
                return
            await send(host, port, request, tally)

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return tally


def rss_mb(pid: int | None) -> float | None:
    """Resident memory of ``pid`` and its children (gunicorn workers), in MB."""
    if pid is None:
        return None
    pids = [pid]
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        pids += [int(p) for p in task.read_text().split()]
    total = 0
    for p in pids:
        for line in Path(f"/proc/{p}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total / 1024


def alive(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=10) as sock:
            sock.sendall(
                f"GET /healthz HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode()
            )
            return sock.recv(64).startswith(b"HTTP/1.1 200")
    except OSError:
        return False


def fmt(mb: float | None) -> str:
    return "n/a" if mb is None else f"{mb:.0f} MB"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_service(key: str, workers: int, concurrency: int) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    env = {**os.environ, "GLYPHVEIL_KEYS": key, "GLYPHVEIL_LOG_LEVEL": "WARNING"}
    command = [sys.executable, "-m", "server", "--port", str(port), "--workers", str(workers)]
    # A queue as deep as the client's concurrency: this bench is about bad input, not
    # overload, so no render should be shed (a 503 would still be counted apart).
    command += ["--header-timeout", str(HEADER_TIMEOUT), "--render-queue", str(2 * concurrency)]
    proc = subprocess.Popen(
        command, env=env, start_new_session=True, stderr=subprocess.DEVNULL
    )  # fmt: skip
    for _ in range(300):
        if alive("127.0.0.1", port):
            return proc, port
        time.sleep(0.05)
    proc.kill()
    raise SystemExit("the service did not start")


def print_table(tally: Tally) -> None:
    statuses = sorted(tally.total())
    print("| kind | " + " | ".join(str(s) for s in statuses) + " |")
    print("|---|" + "---:|" * len(statuses))
    for kind in sorted(tally.statuses):
        row = [str(tally.statuses[kind].get(s, "")) for s in statuses]
        print(f"| {kind} | " + " | ".join(row) + " |")
    print("| **all** | " + " | ".join(str(tally.total()[s]) for s in statuses) + " |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--workers", type=int, default=1, help="for the service it starts")
    parser.add_argument("--url", help="a running service on loopback, e.g. http://127.0.0.1:8080")
    parser.add_argument("--pid", type=int, help="its process id, to read its memory")
    parser.add_argument("--seconds", type=float, default=600, help="stop sending after this")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()

    proc = None
    if args.url:
        parts = urlsplit(args.url)
        host, port, pid = parts.hostname or "127.0.0.1", parts.port or 80, args.pid
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise SystemExit("loopback only")
        keyring = None  # valid tokens need the service's key: only bad ones are sent
    else:
        key = tokens.generate_key()
        keyring = tokens.KeyRing([key])
        proc, port = start_service(key, args.workers, args.concurrency)
        host, pid = "127.0.0.1", proc.pid
    try:
        mix = Mix(host, keyring, args.seed)
        deadline = time.monotonic() + args.seconds
        rss = [rss_mb(pid)]
        started = time.monotonic()
        tally = Tally()
        for _ in range(2):
            half = asyncio.run(
                run_round(host, port, mix, args.requests // 2, args.concurrency, deadline)
            )
            for kind, counts in half.statuses.items():
                tally.statuses[kind].update(counts)
            tally.dropped += half.dropped
            tally.cut_off += half.cut_off
            tally.retry_after_missing += half.retry_after_missing
            rss.append(rss_mb(pid))
        took = time.monotonic() - started
        is_alive = alive(host, port)
    finally:
        if proc is not None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()

    total = tally.total()
    answered = sum(total.values())
    server_errors = {s: n for s, n in total.items() if s >= 500 and s != 503}
    print(f"{answered} answered of {args.requests} in {took:.1f} s, {args.concurrency} at once")
    print_table(tally)
    print()
    print(f"RSS: before {fmt(rss[0])}, after round 1 {fmt(rss[1])}, after round 2 {fmt(rss[2])}")
    growth = None if rss[1] is None or rss[2] is None else rss[2] - rss[1]
    print(f"5xx other than 503: {sum(server_errors.values())} {server_errors or ''}")
    print(f"503 (admission): {total.get(503, 0)}, without Retry-After: {tally.retry_after_missing}")
    print(f"slow clients cut off by the header timeout: {tally.cut_off}")
    print(f"dropped connections: {len(tally.dropped)}")
    for line in tally.dropped[:10]:
        print(f"  {line}")
    print(f"alive after: {'yes' if is_alive else 'NO'}")
    if proc is not None:
        print(f"exit status on SIGTERM: {proc.returncode}")
    flat = growth is None or growth < 16
    print(f"memory in round 2: {'n/a' if growth is None else f'{growth:+.0f} MB'}")
    ok = not server_errors and not tally.dropped and is_alive and flat and not total.get(503)
    ok = ok and not tally.retry_after_missing and answered + tally.cut_off == args.requests
    print("verdict:", "PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
