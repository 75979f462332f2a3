"""What reveal costs a visitor and a harvester: hash rates, a visitor's click-to-text time in
Chromium, and a native harvester through nginx, two instances and Redis.

    .venv/bin/python bench/reveal_pow.py [--difficulty 20] [--window 180] [--visits 20]
                                          [--outage 10] [--skip-harvest]

Side by side in one run:

1. **Hash rates**, each for ``--rate-seconds``: a Python ``hashlib.sha256`` loop (what a
   scraper writes first), Node with ``crypto.createHash`` and with ``reveal.js``'s own
   SHA-256 search, and a native solver, built here from C with OpenSSL (``cc``, libssl's
   headers) when a compiler is there: one SHA-256 compression per nonce on one core, the
   way a harvester would write it. Chromium's rate comes from the visitor's whole reveals.
2. **The stack**: its own ``redis-server``, two instances (``python -m server``, reveal on,
   ``GLYPHVEIL_REDIS_URL``, trusting the proxy's ``X-Real-IP``) and nginx with a minimal
   config of this bench's own in front (listening on 127.0.0.1 and ::1), and a page on
   another origin that the instances list in ``GLYPHVEIL_REVEAL_ORIGINS``. Redis is
   emptied before each phase.
3. **A visitor** in Chromium clicks ``--visits`` values one after another, nobody else
   revealing; then again while a native harvester runs at full speed from another /64.
   A visitor may reveal 10 values a minute, so the clicks come in sessions of 10, each
   a new visitor's (the bench forgets the group's counters between sessions).
4. **The harvester**: the native solver (one core), fetching challenges and reveals
   through nginx from one /64 (``::1``), then from 256 addresses (127.0.0.1-255 and ::1),
   for ``--window`` seconds each; it waits out every 429 and takes the next group that
   may ask. 200 and 1,000 values take longer than a bench should, so a model of the
   service's rules (the buckets and the difficulty of ``server.ops.rate_limit``), fed with
   the measured native hash rate, extrapolates; it is printed beside what it predicts for
   the measured window, as a check.
5. **Redis stopped** for ``--outage`` seconds while clients fetch images through nginx and
   a prober asks for challenges: image failures, and reveal's answers before, during and
   after.

Only loopback addresses are used: 127.0.0.x and ::1.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import collections
import functools
import math
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs

import aiohttp
from aiohttp import web

import tokens
from server import Config
from server.http.reveal import SCRIPT
from server.ops.rate_limit import WINDOW, RevealLimits, difficulty

CHROMIUM = "/usr/bin/chromium"

PYTHON_RATE = r"""
import hashlib, sys, time
raw, limit, nonce = bytes(36), 1, 0
end = time.perf_counter() + float(sys.argv[1])
start = time.perf_counter()
while time.perf_counter() < end:
    for _ in range(20000):
        if int.from_bytes(hashlib.sha256(raw + nonce.to_bytes(8, "big")).digest(), "big") < limit:
            break
        nonce += 1
print(nonce / (time.perf_counter() - start))
"""

NODE_RATE = r"""
const crypto = require("crypto");
const [seconds, mode, scriptPath] = process.argv.slice(1);  // node -e: no script path
const end = process.hrtime.bigint() + BigInt(Math.round(Number(seconds) * 1e9));
const started = process.hrtime.bigint();
let hashes = 0;
if (mode === "script") {
  const source = require("fs").readFileSync(scriptPath, "utf8");
  const search = new Function(
    source.slice(source.indexOf("var K = new Int32Array"), source.indexOf("function fromBase64url"))
    + "; return search;")();
  const words = new Int32Array(9);
  while (process.hrtime.bigint() < end) {
    search(words, 0, hashes | 0, 65536, 32);
    hashes += 65536;
  }
} else {
  const message = Buffer.alloc(44);
  while (process.hrtime.bigint() < end) {
    for (let i = 0; i < 20000; i++, hashes++) {
      message.writeUInt32BE(hashes >>> 0, 40);
      const digest = crypto.createHash("sha256").update(message).digest();
      if (digest.readUInt32BE(0) === 0) break;
    }
  }
}
console.log(hashes / (Number(process.hrtime.bigint() - started) / 1e9));
"""

# The native solver: one SHA-256 compression per nonce (the 44-byte message is one block).
C_SOLVER = r"""
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t search(const unsigned char raw[36], int bits, uint64_t start, uint64_t count,
                       int *found) {
  unsigned char block[64] = {0};
  memcpy(block, raw, 36);
  block[44] = 0x80; block[62] = 0x01; block[63] = 0x60;  /* 352 bits */
  SHA256_CTX initial;
  SHA256_Init(&initial);
  for (uint64_t n = start; n < start + count; n++) {
    for (int i = 0; i < 8; i++) block[36 + i] = (unsigned char)(n >> (56 - 8 * i));
    SHA256_CTX c = initial;
    SHA256_Transform(&c, block);
    if ((c.h[0] >> (32 - bits)) == 0) { *found = 1; return n; }
  }
  *found = 0;
  return start + count;
}

static double now(void) {
  struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  unsigned char raw[36] = {0};
  int found;
  if (argc == 3 && strcmp(argv[1], "rate") == 0) {
    double start = now(), end = start + atof(argv[2]);
    uint64_t done = 0;
    while (now() < end) { search(raw, 32, done, 1 << 20, &found); done += 1 << 20; }
    printf("%.0f\n", done / (now() - start));
    return 0;
  }
  char line[256];
  while (fgets(line, sizeof line, stdin)) {
    for (int i = 0; i < 36; i++) sscanf(line + 2 * i, "%2hhx", &raw[i]);
    uint64_t n = 0;
    do { n = search(raw, raw[3], n, 1 << 16, &found); } while (!found);
    printf("%llu\n", (unsigned long long)n);
    fflush(stdout);
  }
  return 0;
}
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def run_text(*command: str) -> str:
    process = await asyncio.create_subprocess_exec(
        *command, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    out, err = await process.communicate()
    if process.returncode:
        raise RuntimeError(f"{command[0]} failed: {err.decode()[-400:]}")
    return out.decode().strip()


def build_native(tmp: Path) -> Path | None:
    """The C solver, or None (and why) when no compiler or no OpenSSL headers."""
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        print("native solver: no C compiler (apt-get install gcc libssl-dev); row skipped")
        return None
    source = tmp / "solver.c"
    source.write_text(C_SOLVER)
    binary = tmp / "solver"
    built = subprocess.run(
        [compiler, "-O3", "-march=native", "-o", str(binary), str(source), "-lcrypto"],
        capture_output=True,
        text=True,
        check=False,
    )
    if built.returncode:
        print(f"native solver not built (libssl-dev missing?): {built.stderr[-300:]}")
        return None
    return binary


# --- the stack: Redis, two instances, nginx ----------------------------------------------------


@dataclass
class Stack:
    tmp: Path
    difficulty: int
    page_origin: str
    key: str
    redis_port: int = field(default_factory=free_port)
    nginx_port: int = field(default_factory=free_port)
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    instances: list[int] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.nginx_port}"

    def start_redis(self) -> None:
        log = (self.tmp / "redis.log").open("ab")
        self.processes["redis"] = subprocess.Popen(
            ["redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", str(self.tmp)],
            stdout=log, stderr=log,
        )  # fmt: skip
        for _ in range(500):
            try:
                if self.redis("PING") == "+PONG":
                    return
            except OSError:
                time.sleep(0.01)
        raise RuntimeError("redis-server did not start")

    def stop_redis(self) -> None:
        process = self.processes.pop("redis")
        process.kill()
        process.wait()

    def redis(self, *words: str) -> str:
        request = f"*{len(words)}\r\n" + "".join(f"${len(w)}\r\n{w}\r\n" for w in words)
        with socket.create_connection(("127.0.0.1", self.redis_port), timeout=5) as sock:
            sock.sendall(request.encode())
            return sock.recv(65536).split(b"\r\n", 1)[0].decode()

    def start(self) -> None:
        self.start_redis()
        env = {k: v for k, v in os.environ.items() if not k.startswith("GLYPHVEIL_")}
        env.update(
            GLYPHVEIL_KEYS=self.key,
            GLYPHVEIL_REVEAL="on",
            GLYPHVEIL_REVEAL_DIFFICULTY=str(self.difficulty),
            GLYPHVEIL_REVEAL_ORIGINS=self.page_origin,
            GLYPHVEIL_REDIS_URL=f"redis://127.0.0.1:{self.redis_port}/0",
            GLYPHVEIL_TRUSTED_PROXIES="127.0.0.1",
            GLYPHVEIL_LOG_LEVEL="WARNING",
        )
        for name in ("a", "b"):
            port = free_port()
            self.instances.append(port)
            log = (self.tmp / f"instance-{name}.log").open("ab")
            self.processes[name] = subprocess.Popen(
                [sys.executable, "-m", "server", "--port", str(port)],
                env=env, stdout=log, stderr=log, cwd=self.tmp,
            )  # fmt: skip
        temp = "".join(f"{kind}_temp_path {self.tmp / kind}; " for kind in ("client_body", "proxy"))
        user = "user root root;" if os.geteuid() == 0 else ""
        upstream = "".join(f"server 127.0.0.1:{port}; " for port in self.instances)
        conf = self.tmp / "nginx.conf"
        conf.write_text(
            f"{user} daemon off; worker_processes 1; pid {self.tmp / 'nginx.pid'};\n"
            f"error_log {self.tmp / 'nginx-error.log'} warn;\n"
            "events { worker_connections 4096; }\n"
            f"http {{ access_log off; {temp}\n"
            f"  upstream glyphveil {{ {upstream} keepalive 64; }}\n"
            f"  server {{ listen 127.0.0.1:{self.nginx_port}; listen [::1]:{self.nginx_port};\n"
            "    location / { proxy_pass http://glyphveil; proxy_http_version 1.1;\n"
            '      proxy_set_header Connection ""; proxy_set_header Host $http_host;\n'
            "      proxy_set_header X-Real-IP $remote_addr; } } }\n"
        )
        self.processes["nginx"] = subprocess.Popen(
            ["nginx", "-p", str(self.tmp), "-c", str(conf)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip

    async def wait_ready(self) -> None:
        async with aiohttp.ClientSession() as session:
            for port in [*self.instances, self.nginx_port]:
                for _ in range(400):
                    try:
                        url = f"http://127.0.0.1:{port}/healthz"
                        async with session.get(url) as response:
                            if response.status == 200:
                                break
                    except aiohttp.ClientError:
                        pass
                    await asyncio.sleep(0.05)
                else:
                    raise RuntimeError(f"port {port} did not answer; see {self.tmp}")

    def forget(self, group: str) -> None:
        """Forget a client group's buckets and recent reveals (the site's count stays)."""
        import redis

        client = redis.Redis(port=self.redis_port)
        try:
            for key in client.scan_iter(f"glyphveil:reveal:*:{group}*"):
                client.delete(key)
        finally:
            client.close()

    def stop(self) -> None:
        for process in self.processes.values():
            process.send_signal(signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


# --- the visitor ---------------------------------------------------------------------------------


@dataclass
class Visit:
    seconds: list[float]
    hashes: list[int]

    @property
    def rate(self) -> float:
        return sum(self.hashes) / sum(self.seconds)


SESSION = 10  # values a visitor reveals in a row: what one group may in a minute


async def visit(
    service: str, page_url: str, labels: list[str], new_visitor: Callable[[], None]
) -> Visit:
    """Click each label and time until its link shows, in sessions of :data:`SESSION`
    values; ``new_visitor`` makes the next session a new visitor's (forgets the group)."""
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = await browser.new_page()
            nonces: list[int] = []

            def on_request(request: object) -> None:
                url = getattr(request, "url", "")
                data = getattr(request, "post_data", None)
                if url == service + "/reveal" and data:
                    nonces.append(int(parse_qs(data)["nonce"][0]))

            page.on("request", on_request)
            await page.goto(page_url, wait_until="load")
            await page.wait_for_selector("button.glyphveil-reveal-button")
            seconds = []
            for index, label in enumerate(labels):
                if index and index % SESSION == 0:
                    new_visitor()
                start = time.perf_counter()
                await page.get_by_role("button", name=label, exact=True).click()
                number = label.rsplit(" ", 1)[1]
                await page.locator(f"#v{number} a").wait_for(timeout=300_000)
                seconds.append(time.perf_counter() - start)
        finally:
            await browser.close()
    return Visit(seconds, [n + 1 for n in nonces])


# --- the harvester -------------------------------------------------------------------------------


@dataclass
class Harvest:
    label: str
    groups: int
    seconds: float
    collected: list[tuple[float, int]] = field(default_factory=list)  # (at, difficulty)
    refused: collections.Counter[int] = field(default_factory=collections.Counter)
    hashes: int = 0  # nonces the solver tried
    solving: float = 0.0  # seconds the solver took

    @property
    def hash_rate(self) -> float:
        return self.hashes / self.solving if self.solving else 0.0

    @property
    def per_minute(self) -> float:
        return len(self.collected) * 60 / self.seconds


async def harvest(
    label: str,
    sources: list[tuple[str | None, str]],
    values: list[str],
    solver: Path,
    seconds: float,
    stop: asyncio.Event | None = None,
) -> Harvest:
    """One native solver (one core) harvesting through ``sources`` (local address, base
    URL): always the group that may ask soonest, waiting out each 429."""
    process = await asyncio.create_subprocess_exec(
        str(solver), stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    assert process.stdin is not None and process.stdout is not None
    sessions = []
    for local, _ in sources:
        connector = aiohttp.TCPConnector(local_addr=(local, 0) if local else None, limit=4)
        sessions.append(aiohttp.ClientSession(connector=connector))
    result = Harvest(label, len(sources), seconds)
    ready = [0.0] * len(sources)
    start = time.monotonic()
    deadline = start + seconds
    turn = 0
    try:
        while time.monotonic() < deadline and not (stop and stop.is_set()):
            group = min(range(len(sources)), key=lambda g: (ready[g], (g - turn) % len(sources)))
            turn = group + 1
            now = time.monotonic()
            if ready[group] > now:
                await asyncio.sleep(min(ready[group], deadline) - now)
                continue
            session, base = sessions[group], sources[group][1]
            token = values[len(result.collected) % len(values)]
            try:
                async with session.post(base + "/reveal/challenge", data={"token": token}) as got:
                    if got.status != 200:
                        result.refused[got.status] += 1
                        ready[group] = time.monotonic() + int(got.headers.get("Retry-After", "1"))
                        continue
                    challenge = (await got.json())["challenge"]
                raw = base64.urlsafe_b64decode(challenge + "==")
                began = time.perf_counter()
                process.stdin.write(raw.hex().encode() + b"\n")
                await process.stdin.drain()
                nonce = (await process.stdout.readline()).decode().strip()
                result.solving += time.perf_counter() - began
                result.hashes += int(nonce) + 1
                fields = {"token": token, "challenge": challenge, "nonce": nonce}
                async with session.post(base + "/reveal", data=fields) as got:
                    if got.status == 200:
                        result.collected.append((time.monotonic() - start, raw[3]))
                    else:
                        result.refused[got.status] += 1
                        ready[group] = time.monotonic() + int(got.headers.get("Retry-After", "1"))
            except aiohttp.ClientError:
                result.refused[0] += 1
                ready[group] = time.monotonic() + 1
    finally:
        result.seconds = min(seconds, time.monotonic() - start)
        process.stdin.close()
        await process.wait()
        for session in sessions:
            await session.close()
    return result


def model_harvest(
    limits: RevealLimits, groups: int, hash_rate: float, targets: list[int]
) -> dict[int, float]:
    """Seconds for one solver at ``hash_rate`` to collect each of ``targets`` values from
    ``groups`` client groups under the service's rules: each group's challenges in a
    bucket of ``client_rate`` a minute (a burst of as many), the difficulty of
    :func:`server.ops.rate_limit.difficulty` from the reveals of the last window (counted
    exactly here), and the mean work 2**d per value."""
    capacity = float(limits.client_rate)
    refill = capacity / 60
    tokens_left = [capacity] * groups
    updated = [0.0] * groups
    group_log: list[collections.deque[float]] = [collections.deque() for _ in range(groups)]
    site_log: collections.deque[float] = collections.deque()
    now, collected, turn, answers = 0.0, 0, 0, {}
    remaining = sorted(targets)

    def ready_at(g: int, now: float) -> float:
        level = min(capacity, tokens_left[g] + (now - updated[g]) * refill)
        return now if level >= 1 else now + (1 - level) / refill

    while remaining:
        at = now
        group = min(range(groups), key=lambda g: (ready_at(g, at), (g - turn) % groups))
        turn = group + 1
        now = ready_at(group, now)
        tokens_left[group] = min(capacity, tokens_left[group] + (now - updated[group]) * refill)
        tokens_left[group] -= 1
        updated[group] = now
        for log in (group_log[group], site_log):
            while log and log[0] <= now - WINDOW:
                log.popleft()
        bits = difficulty(limits, len(group_log[group]), len(site_log))
        now += 2**bits / hash_rate
        group_log[group].append(now)
        site_log.append(now)
        collected += 1
        while remaining and collected >= remaining[0]:
            answers[remaining.pop(0)] = now
    return answers


def model_count(limits: RevealLimits, groups: int, hash_rate: float, seconds: float) -> int:
    """How many values the model collects in ``seconds``."""
    low, high = 0, 1
    while model_harvest(limits, groups, hash_rate, [high])[high] <= seconds:
        low, high = high, high * 2
    while high - low > 1:
        middle = (low + high) // 2
        if model_harvest(limits, groups, hash_rate, [middle])[middle] <= seconds:
            low = middle
        else:
            high = middle
    return low


# --- the outage ------------------------------------------------------------------------------


async def outage(stack: Stack, keyring: tokens.KeyRing, token: str, seconds: float) -> str:
    images = [f"/t/{tokens.encode(f'img{i}@example.com', keyring=keyring)}.png" for i in range(300)]
    image_statuses: collections.Counter[str] = collections.Counter()
    reveal_log: list[tuple[float, int]] = []
    stopping = asyncio.Event()
    start = time.monotonic()

    async def fetch_images(offset: int) -> None:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
            turn = offset
            while not stopping.is_set():
                try:
                    async with session.get(stack.url + images[turn % len(images)]) as answer:
                        await answer.read()
                        image_statuses[str(answer.status)] += 1
                except aiohttp.ClientError as exc:
                    image_statuses[type(exc).__name__] += 1
                turn += 7

    async def probe() -> None:
        connector = aiohttp.TCPConnector(local_addr=("127.0.0.2", 0))
        async with aiohttp.ClientSession(connector=connector) as session:
            while not stopping.is_set():
                url = stack.url + "/reveal/challenge"
                async with session.post(url, data={"token": token}) as answer:
                    reveal_log.append((time.monotonic() - start, answer.status))
                await asyncio.sleep(0.25)

    tasks = [asyncio.create_task(fetch_images(i)) for i in range(4)] + [
        asyncio.create_task(probe())
    ]
    await asyncio.sleep(5)
    down_at = time.monotonic() - start
    stack.stop_redis()
    await asyncio.sleep(seconds)
    stack.start_redis()
    up_at = time.monotonic() - start  # answering again
    await asyncio.sleep(5)
    stopping.set()
    await asyncio.gather(*tasks)

    def phase(low: float, high: float) -> str:
        counts = collections.Counter(status for at, status in reveal_log if low <= at < high)
        return ", ".join(f"{n} x {status}" for status, n in sorted(counts.items())) or "none"

    first_ok = min((at for at, s in reveal_log if at >= up_at and s == 200), default=math.nan)
    failed = sum(n for status, n in image_statuses.items() if status != "200")
    return (
        f"Redis stopped {seconds:g} s under image load through nginx:\n"
        f"- image requests: {sum(image_statuses.values())}, failed: {failed} "
        f"({dict(image_statuses)})\n"
        f"- reveal challenges before: {phase(0, down_at)}; while down: {phase(down_at, up_at)};"
        f" after: {phase(up_at, math.inf)}\n"
        f"- first 200 after Redis returned: {first_ok - up_at:.2f} s later"
    )


# --- main ----------------------------------------------------------------------------------------


def redis_version() -> str:
    import redis

    return str(redis.__version__)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--difficulty", type=int, default=Config.reveal_difficulty)
    parser.add_argument("--window", type=float, default=180.0, help="seconds per harvest")
    parser.add_argument("--visits", type=int, default=20, help="values a visitor reveals")
    parser.add_argument("--rate-seconds", type=float, default=4.0)
    parser.add_argument("--outage", type=float, default=10.0, help="seconds Redis is stopped")
    parser.add_argument("--skip-harvest", action="store_true", help="rates and visitor only")
    args = parser.parse_args()
    limits = RevealLimits(base_difficulty=args.difficulty)

    key = tokens.generate_key()
    keyring = tokens.KeyRing([key])
    tmp = Path(tempfile.mkdtemp(prefix="glyphveil-reveal-bench-"))
    script_path = tmp / "reveal.js"
    script_path.write_bytes(SCRIPT)

    # 1. Hash rates.
    seconds = str(args.rate_seconds)
    rates: dict[str, float] = {}
    rates["Python, hashlib.sha256 loop"] = float(
        await run_text(sys.executable, "-c", PYTHON_RATE, seconds)
    )
    node_version = await run_text("node", "--version")
    rates["Node, crypto.createHash loop"] = float(
        await run_text("node", "-e", NODE_RATE, seconds, "createHash")
    )
    rates["Node, reveal.js's own SHA-256"] = float(
        await run_text("node", "-e", NODE_RATE, seconds, "script", str(script_path))
    )
    solver = build_native(tmp)
    if solver is not None:
        rates["native C, OpenSSL SHA256_Transform, 1 core"] = float(
            await run_text(str(solver), "rate", seconds)
        )

    # 2. The page and the stack.
    page_port = free_port()
    page_origin = f"http://127.0.0.1:{page_port}"
    stack = Stack(tmp, args.difficulty, page_origin, key)
    stack.start()
    visitor_values = [f"person{i}@example.com" for i in range(2 * args.visits)]
    minted = [tokens.encode(v, keyring=keyring, revealable=True) for v in visitor_values]
    items = "".join(
        f'<li id="v{i}">'
        + tokens.reveal_button(
            f'<img src="{stack.url}/t/{t}.png" alt="value {i}">', t, label=f"Show value {i}"
        )
        + "</li>"
        for i, t in enumerate(minted)
    )
    html = (
        f"<!doctype html><meta charset=utf-8><title>bench</title><ul>{items}</ul>"
        f'<script src="{stack.url}/reveal.js" defer></script>'
    )
    csp = (
        f"default-src 'none'; img-src {stack.url}; script-src {stack.url}; connect-src {stack.url}"
    )

    async def page_view(request: web.Request) -> web.Response:
        headers = {"Content-Security-Policy": csp}
        return web.Response(text=html, content_type="text/html", headers=headers)

    page_app = web.Application()
    page_app.router.add_get("/", page_view)
    page_runner = web.AppRunner(page_app, access_log=None)
    await page_runner.setup()
    await web.TCPSite(page_runner, "127.0.0.1", page_port).start()
    harvest_values = [
        tokens.encode(f"staff{i}@example.com", keyring=keyring, revealable=True)
        for i in range(3000)
    ]
    report: list[str] = []
    try:
        await stack.wait_ready()
        labels = [f"Show value {i}" for i in range(2 * args.visits)]

        # 3. A visitor alone.
        new_visitor = functools.partial(stack.forget, "127.0.0.1")
        visitor_alone = await visit(
            stack.url, page_origin + "/", labels[: args.visits], new_visitor
        )
        rates["Chromium, reveal.js (whole reveals)"] = visitor_alone.rate

        harvests: list[Harvest] = []
        visitor_harvested: Visit | None = None
        if solver is not None and not args.skip_harvest:
            # 4a. One /64 at full speed, with the visitor meanwhile from another network.
            stack.redis("FLUSHALL")
            one = [(None, f"http://[::1]:{stack.nginx_port}")]
            harvest_task = asyncio.create_task(
                harvest("one /64 (::1)", one, harvest_values, solver, args.window)
            )
            await asyncio.sleep(min(30.0, args.window / 4))  # the harvester up to speed
            new_visitor()
            visitor_harvested = await visit(
                stack.url, page_origin + "/", labels[args.visits :], new_visitor
            )
            harvests.append(await harvest_task)

            # 4b. 256 addresses: 255 of 127.0.0.0/24 and ::1.
            stack.redis("FLUSHALL")
            many: list[tuple[str | None, str]] = [
                (f"127.0.0.{i}", stack.url) for i in range(1, 256)
            ]
            many.append((None, f"http://[::1]:{stack.nginx_port}"))
            harvests.append(
                await harvest(
                    "256 addresses (127.0.0.1-255, ::1)", many, harvest_values, solver, args.window
                )
            )

            # 5. Redis stopped under load.
            stack.redis("FLUSHALL")
            report.append(await outage(stack, keyring, minted[0], args.outage))
    finally:
        await page_runner.cleanup()
        stack.stop()

    load = os.getloadavg()[0]
    versions = ", ".join(
        [
            f"Python {platform.python_version()}",
            f"Node {node_version}",
            await run_text(CHROMIUM, "--version"),
            await run_text("openssl", "version"),
            f"aiohttp {aiohttp.__version__}",
            f"redis-py {redis_version()}",
            (await run_text("redis-server", "--version")).split(" sha=")[0],
        ]
    )
    print()
    print(
        f"Reveal at {args.difficulty} bits: 2**{args.difficulty} = {2**args.difficulty:,} hashes "
        f"a value on average (median about {0.693 * 2**args.difficulty:,.0f})."
    )
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, load {load:.1f}")
    print(versions)
    print()
    print("| hashing | hashes/s | mean s a value | median s a value |")
    print("|---|---:|---:|---:|")
    for name, rate in rates.items():
        mean = 2**args.difficulty / rate
        print(f"| {name} | {rate / 1e6:.2f} M | {mean:.2f} | {mean * 0.693:.2f} |")
    print()
    print("| visitor in Chromium, click to text | values | median s | p90 s | hashes/s |")
    print("|---|---:|---:|---:|---:|")
    rows = [("nobody harvesting", visitor_alone)]
    if visitor_harvested is not None:
        rows.append(("a native harvester at full speed from another /64", visitor_harvested))
    for name, seen in rows:
        print(
            f"| {name} | {len(seen.seconds)} | {statistics.median(seen.seconds):.2f} "
            f"| {percentile(seen.seconds, 0.9):.2f} | {seen.rate / 1e6:.2f} M |"
        )
    if harvests:
        native = next(rate for name, rate in rates.items() if name.startswith("native"))
        print()
        print(
            "Harvester: native solver, one core, through nginx, two instances and Redis. The "
            "model extrapolates with the service's rules and the higher of the native rate "
            "above and the solver's own rate during that harvest."
        )
        print()
        print(
            "| harvester | measured s | values | values/min | last bits | 429s | solver "
            "hashes/s | model for the window | 200 values (model) | 1,000 values (model) |"
        )
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for result in harvests:
            rate = max(native, result.hash_rate)
            model = model_harvest(limits, result.groups, rate, [200, 1000])
            predicted = model_count(limits, result.groups, rate, result.seconds)
            last = result.collected[-1][1] if result.collected else args.difficulty
            print(
                f"| {result.label} | {result.seconds:.0f} | {len(result.collected)} "
                f"| {result.per_minute:.1f} | {last} | {result.refused[429]} "
                f"| {result.hash_rate / 1e6:.2f} M | {predicted} "
                f"| {model[200] / 60:.1f} min | {model[1000] / 60:.1f} min |"
            )
        for cores in (8, 64):
            model = model_harvest(limits, 1, cores * native, [200, 1000])
            print(
                f"| one /64, {cores} cores at the native rate (model only) "
                "| - | - | - | - | - | - | - "
                f"| {model[200] / 60:.1f} min | {model[1000] / 60:.1f} min |"
            )
        bound = model_harvest(limits, 1, math.inf, [200, 1000])
        print(
            f"| limits alone, unbounded hashing, one group | - | - | {limits.client_rate} | - "
            f"| - | - | - | {bound[200] / 60:.1f} min | {bound[1000] / 60:.1f} min |"
        )
        if len(harvests) == 2 and harvests[0].collected:
            ratio = len(harvests[1].collected) / len(harvests[0].collected)
            print()
            print(f"256 addresses against one /64, values in the same window: {ratio:.1f}x")
    for line in report:
        print()
        print(line)
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    asyncio.run(main())
