"""Every performance figure of glyphveil, side by side with what it is compared to, in one run.

    make bench                                  # everything, about 6 minutes
    make bench ARGS="--quick"                   # everything, shorter runs (about 2 minutes)
    make bench ARGS="--only baseline ceiling"   # some benches
    make bench ARGS="--profile hits"            # py-spy's top entries of one worker under load

Benches (``--only`` names):

- ``baseline``: placeholder misses (a distinct ``/<W>x<H>`` per request) against
  ``bench/baseline_flask.py`` under gunicorn with 2 sync workers.
- ``ceiling``: one token requested over and over (cache hits, 64 connections) against
  ``bench/ceiling_aiohttp.py``, a bare aiohttp app that returns the same PNG bytes from a
  dict, under 2 gunicorn workers of the class glyphveil runs beside it: glyphveil's
  ``BalancedWebWorker`` (asyncio), aiohttp's ``GunicornUVLoopWebWorker`` (uvloop).
- ``options``: cache hits with the access log off (the default), short or full, and uvloop.
- ``misses``: 10,000 distinct pre-minted tokens, each requested once while the run lasts.
- ``memory``: RSS of each worker over 60 s of the ``misses`` load cycling over the 10,000
  tokens, with the default cache.
- ``renders``: in-process µs per token render (draw + PNG), median of 2,000, per noise
  level and density.
- ``bytes``: PNG bytes of a 24-character email per noise level against the same image
  saved as RGB with Pillow's defaults.
- ``big``: CPU ms of a 4000x4000 placeholder in each format.
- ``tokens``: the token helper's encode/decode against Fernet (``bench/tokens_speed.py``).

The HTTP benches drive the servers with ``wrk`` on 127.0.0.1, one wrk thread, bounded
durations; the two sides of a comparison run alternately (A, B, A, B, ...) against servers
started once, and the ratio is taken per round, because timings drift on a shared machine.
Every table line carries the 1-minute load average. Run with the bench venv's Python
(``make bench`` makes it): it needs Flask, gunicorn and py-spy, which the service does not.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import functools
import io
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))  # tokens_speed

import tokens_speed  # noqa: E402
from PIL import Image  # noqa: E402

import tokens  # noqa: E402
from server.config import PlaceholderLimits  # noqa: E402
from server.ops.gunicorn import WORKER_CLASSES  # noqa: E402
from server.render.encode import encode_image  # noqa: E402
from server.render.placeholder import PlaceholderSpec, render_placeholder  # noqa: E402
from server.render.text import render_text  # noqa: E402

BENCHES = (
    "baseline",
    "ceiling",
    "options",
    "misses",
    "memory",
    "renders",
    "bytes",
    "big",
    "tokens",
)
EMAIL = "alice.martin@example.org"  # 24 characters
WORKERS = 2
#: Connections of the token-miss load: 8 a worker, under a worker's render queue (4 x its
#: 4 threads) even when the connections spread unevenly; past it the service answers 503.
MISS_CONNECTIONS = 16
#: Another checkout of glyphveil to run beside this one (``--before``), or None.
BEFORE: Path | None = None


@dataclass(frozen=True)
class Plan:
    """How long each bench runs: the full run or ``--quick``."""

    seconds: int  # one wrk run
    rounds: int  # alternations of A and B
    warmup: int  # seconds of wrk before the first round
    memory_seconds: int
    renders: int  # in-process renders per row
    big_repeat: int


FULL = Plan(seconds=8, rounds=3, warmup=2, memory_seconds=60, renders=2000, big_repeat=3)
QUICK = Plan(seconds=3, rounds=1, warmup=1, memory_seconds=20, renders=200, big_repeat=1)


def load() -> str:
    return f"load {os.getloadavg()[0]:.2f}"


# --- wrk ------------------------------------------------------------------------------

#: Put before every script: each wrk thread gets its number, ``tid`` (0, 1, ...).
_THREADS = r"""
local threads = {}
function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end
"""

#: Appended to every script: wrk prints its summary as one JSON line.
_DONE = r"""
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d,'
    .. ' "status_errors": %d, "socket_errors": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.status, e.connect + e.read + e.write + e.timeout))
end
"""

#: Distinct placeholder sizes: request k of round r is size index k * 8 + r, spread over
#: 1000 widths x 500 heights by a multiplicative bijection, so no size repeats within a
#: round, across threads or across rounds, and every round sees the same mix of sizes.
_SIZES = r"""
function init(args)
  round = tonumber(args[1])
  nthreads = tonumber(args[2])
  sent = 0
end
function request()
  local k = tid + nthreads * sent
  sent = sent + 1
  local p = ((k * 8 + round) * 7919) % 500000
  return wrk.format("GET", "/" .. (100 + p % 1000) .. "x" .. (100 + math.floor(p / 1000)))
end
"""

#: Paths from a file, one a line; each thread walks its own share, cycling at the end.
_PATHS = r"""
function init(args)
  paths = {}
  for line in io.lines(args[1]) do paths[#paths + 1] = line end
  nthreads = tonumber(args[2])
  sent = 0
end
function request()
  local k = (tid + nthreads * sent) % #paths
  sent = sent + 1
  return wrk.format("GET", paths[k + 1])
end
"""

MAX_ROUNDS = 8  # the size index is k * 8 + round


@dataclass(frozen=True)
class Load:
    """One wrk run: requests per second, latency percentiles and errors."""

    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int

    @property
    def rate(self) -> float:
        return self.requests / self.seconds


def wrk(url: str, script: str, args: Sequence[str] = (), *, connections: int, seconds: int) -> Load:
    """Run wrk (one thread) for ``seconds`` with ``script`` plus the JSON summary."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
        lua.write(_THREADS + script + _DONE)
    try:
        out = subprocess.run(
            [
                *("wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s"),
                *("-s", lua.name, url, "--", *args, "1"),
            ],
            capture_output=True,
            text=True,
            timeout=seconds + 60,
            check=True,
        ).stdout
    finally:
        os.unlink(lua.name)
    line = next(x for x in out.splitlines() if x.startswith("WRK_JSON "))
    data = json.loads(line.removeprefix("WRK_JSON "))
    return Load(
        requests=data["requests"],
        seconds=data["duration_us"] / 1e6,
        p50_ms=data["p50_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        errors=data["status_errors"] + data["socket_errors"],
    )


# --- servers --------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """A server process group on a loopback port, stopped with SIGTERM on exit."""

    def __init__(
        self,
        name: str,
        command: list[str],
        env: dict[str, str],
        probe: str,
        cwd: Path | None = None,
    ) -> None:
        self.name = name
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 (closed in stop())
        argv = [a.replace("{port}", str(self.port)) for a in command]
        self.process = subprocess.Popen(
            argv,
            env={**os.environ, **env},
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=cwd or BENCH_DIR.parent,
        )
        self._wait(probe)

    def _wait(self, probe: str) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                with urllib.request.urlopen(self.base + probe, timeout=2) as response:
                    if response.status == 200 and len(self.workers()) >= WORKERS:
                        return
            except (OSError, urllib.error.URLError):
                pass
            time.sleep(0.2)
        self.log.seek(0)
        output = self.log.read().decode()[-2000:]
        self.stop()
        raise RuntimeError(f"{self.name} did not start:\n{output}")

    def workers(self) -> list[int]:
        """The worker processes: children of the gunicorn arbiter."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        try:
            return [int(pid) for pid in children.read_text().split()]
        except OSError:
            return []

    def wait_serving(self, probe: str = "/healthz") -> None:
        """Wait until every worker answers: a burst of keep-alive connections lands on
        each of them (counted in /proc). Right after start a worker may still be booting,
        and a load that opens its connections then would hold them all on the others."""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            connections = [socket.create_connection(("127.0.0.1", self.port)) for _ in range(8)]
            try:
                for connection in connections:
                    connection.sendall(f"GET {probe} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
                for connection in connections:
                    connection.recv(65536)
                if all(connections_of(pid, self.port) for pid in self.workers()):
                    return
            finally:
                for connection in connections:
                    connection.close()
            time.sleep(0.2)
        raise RuntimeError(f"{self.name}: not every worker answers")

    def get(self, path: str) -> bytes:
        with urllib.request.urlopen(self.base + path, timeout=10) as response:
            return bytes(response.read())

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.log.close()


def connections_of(pid: int, port: int) -> int:
    """Established TCP connections to ``port`` that process ``pid`` holds (from /proc)."""
    established = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[1].rpartition(":")[2], 16) == port and fields[3] == "01":
            established.add(fields[9])
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):
            target = os.readlink(fd)
            if target.startswith("socket:["):
                inodes.add(target[len("socket:[") : -1])
    return len(inodes & established)


@contextlib.contextmanager
def running(*servers: Callable[[], Server]) -> Iterator[list[Server]]:
    started: list[Server] = []
    try:
        for start in servers:
            started.append(start())
        yield started
    finally:
        for server in started:
            server.stop()


def glyphveil(key: str, checkout: Path | None = None, **settings: str) -> Server:
    """``python -m server`` with 2 workers (gunicorn) and otherwise default settings, from
    this checkout or from ``checkout`` (another version, for before/after figures)."""
    env = {"GLYPHVEIL_KEYS": key, "GLYPHVEIL_WORKERS": str(WORKERS)}
    env |= {f"GLYPHVEIL_{name.upper()}": value for name, value in settings.items()}
    if checkout is not None:
        env["PYTHONPATH"] = str(checkout)
    command = [sys.executable, "-m", "server", "--port", "{port}"]
    return Server("glyphveil", command, env, "/healthz", cwd=checkout)


def gunicorn(name: str, app: str, *options: str, env: dict[str, str] | None = None) -> Server:
    command = [sys.executable, "-m", "gunicorn", "--chdir", str(BENCH_DIR), "-w", str(WORKERS)]
    command += ["-b", "127.0.0.1:{port}", "--log-level", "warning", *options, app]
    return Server(name, command, env or {}, "/100x100")


# --- the HTTP benches -----------------------------------------------------------------


def alternate(
    plan: Plan,
    sides: Sequence[tuple[str, Server, str]],
    script: str,
    connections: int,
    args: Callable[[int], list[str]] = lambda _: [],
) -> dict[str, list[Load]]:
    """Run wrk against each side in turn, ``plan.rounds`` times; ``args(round)`` for the script."""
    for _, server, path in sides:  # warm up (imports, fonts, first connections)
        wrk(
            server.base + path,
            script,
            args(MAX_ROUNDS - 1),
            connections=connections,
            seconds=plan.warmup,
        )
    loads: dict[str, list[Load]] = {name: [] for name, _, _ in sides}
    for round_ in range(plan.rounds):
        for name, server, path in sides:
            result = wrk(
                server.base + path,
                script,
                args(round_),
                connections=connections,
                seconds=plan.seconds,
            )
            loads[name].append(result)
            print(
                f"  round {round_ + 1} {name:<22} {result.rate:>8.0f} req/s"
                f"  p50 {result.p50_ms:>6.2f} ms  p99 {result.p99_ms:>7.2f} ms"
                f"  errors {result.errors}  ({load()})",
                flush=True,
            )
    return loads


def compare(title: str, loads: dict[str, list[Load]], theirs: str) -> None:
    """The table of a side-by-side run and each side's per-round ratios to ``theirs``."""
    print(f"\n{title}  ({load()})")
    print(f"{'side':<24} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
    for name, runs in loads.items():
        rate = statistics.median(r.rate for r in runs)
        p50 = statistics.median(r.p50_ms for r in runs)
        p99 = statistics.median(r.p99_ms for r in runs)
        print(f"{name:<24} {rate:>9.0f} {p50:>8.2f} {p99:>8.2f} {sum(r.errors for r in runs):>7}")
    for ours in loads:
        if ours == theirs:
            continue
        rates = [a.rate / b.rate for a, b in zip(loads[ours], loads[theirs], strict=True)]
        p99s = [a.p99_ms / b.p99_ms for a, b in zip(loads[ours], loads[theirs], strict=True)]
        print(
            f"ratio {ours} / {theirs}: req/s {statistics.median(rates):.2f}x"
            f" (rounds {', '.join(f'{r:.2f}' for r in rates)}),"
            f" p99 {statistics.median(p99s):.2f}x"
        )


def ours_and_before(key: str, **settings: str) -> list[tuple[str, Callable[[], Server]]]:
    """glyphveil with ``settings``, and the ``--before`` checkout beside it if given."""
    sides: list[tuple[str, Callable[[], Server]]] = [
        ("glyphveil", lambda: glyphveil(key, **settings))
    ]
    if BEFORE is not None:
        sides.append(("glyphveil before", lambda: glyphveil(key, BEFORE)))
    return sides


def bench_baseline(plan: Plan, key: str) -> None:
    print(
        "\n## 1. Placeholder misses: glyphveil against Flask + Pillow (2 workers each, "
        "16 connections, a new size every request)"
    )
    starts = [("flask (2 sync)", lambda: gunicorn("flask", "baseline_flask:app"))]
    starts += ours_and_before(key)
    starts += [("glyphveil uvloop", lambda: glyphveil(key, event_loop="uvloop"))]
    with running(*(start for _, start in starts)) as servers:
        sides = [(name, server, "/") for (name, _), server in zip(starts, servers, strict=True)]
        loads = alternate(plan, sides, _SIZES, 16, lambda r: [str(r)])
    compare("Placeholder misses", loads, "flask (2 sync)")


def token_path(keyring: tokens.KeyRing, text: str = EMAIL, **options: object) -> str:
    return f"/t/{tokens.encode(text, keyring=keyring, **options)}.png"  # type: ignore[arg-type]


def bench_ceiling(plan: Plan, key: str) -> None:
    print(
        "\n## 2. Cache hits: glyphveil against a bare aiohttp app (2 gunicorn workers each, "
        "64 connections, one image), both on glyphveil's asyncio worker (BalancedWebWorker),"
        " then both on aiohttp's GunicornUVLoopWebWorker"
    )
    path = token_path(tokens.KeyRing([key]))
    starts = ours_and_before(key)
    starts.append(("glyphveil uvloop", lambda: glyphveil(key, event_loop="uvloop")))
    with running(*(start for _, start in starts)) as servers, tempfile.TemporaryDirectory() as tmp:
        body = Path(tmp) / "token.png"
        body.write_bytes(servers[0].get(path))
        env = {"GLYPHVEIL_CEILING_BODY": str(body)}
        app = "ceiling_aiohttp:create_app"
        with running(  # each on the worker class glyphveil runs beside it
            lambda: gunicorn("ceiling", app, "-k", WORKER_CLASSES["asyncio"], env=env),
            lambda: gunicorn("ceiling", app, "-k", WORKER_CLASSES["uvloop"], env=env),
        ) as (ceiling, ceiling_uvloop):
            sides = [("bare aiohttp", ceiling, path), ("bare aiohttp uvloop", ceiling_uvloop, path)]
            sides += [(n, server, path) for (n, _), server in zip(starts, servers, strict=True)]
            loads = alternate(plan, sides, "", 64)
    uvloop = ("bare aiohttp uvloop", "glyphveil uvloop")
    compare(
        "Cache hits, asyncio", {n: v for n, v in loads.items() if n not in uvloop}, "bare aiohttp"
    )
    compare("Cache hits, uvloop", {n: loads[n] for n in uvloop}, "bare aiohttp uvloop")


def bench_options(plan: Plan, key: str) -> None:
    print("\n## 2b. Cache hits by setting: access log and event loop (64 connections, one image)")
    path = token_path(tokens.KeyRing([key]))
    variants: dict[str, dict[str, str]] = {
        "access log off": {},  # the default
        "access log short": {"access_log": "short"},
        "access log full": {"access_log": "full"},
        "uvloop, log off": {"event_loop": "uvloop"},
    }
    starts = [functools.partial(glyphveil, key, **v) for v in variants.values()]
    with running(*starts) as servers:
        sides = [(name, server, path) for name, server in zip(variants, servers, strict=True)]
        loads = alternate(plan, sides, "", 64)
    compare("Cache hits by setting", loads, "access log off")


def mint_paths(keyring: tokens.KeyRing, count: int) -> list[str]:
    """``count`` distinct token paths: emails of typical length, default options."""
    return [token_path(keyring, f"user{i:05d}.name@example-mail.org") for i in range(count)]


def cache_counts(server: Server) -> Counter[str]:
    """The summed ``glyphveil_cache_total`` counters from ``/metrics``."""
    counts: Counter[str] = Counter()
    for line in server.get("/metrics").decode().splitlines():
        if line.startswith("glyphveil_cache_total{"):
            result = line.split('result="')[1].split('"')[0]
            counts[result] += int(float(line.rsplit(" ", 1)[1]))
    return counts


def bench_misses(plan: Plan, key: str) -> None:
    print(
        f"\n## 3. Token misses: 10,000 distinct pre-minted tokens (2 workers,"
        f" {MISS_CONNECTIONS} connections)"
    )
    keyring = tokens.KeyRing([key])
    with tempfile.NamedTemporaryFile("w", suffix=".txt") as listing:
        listing.write("\n".join(mint_paths(keyring, 10_000)) + "\n")
        listing.flush()
        with running(lambda: glyphveil(key)) as (ours,):
            ours.wait_serving()
            ours.get(token_path(keyring))  # fonts loaded in one worker at least
            result = wrk(
                ours.base + "/",
                _PATHS,
                [listing.name],
                connections=MISS_CONNECTIONS,
                seconds=plan.seconds * 2,
            )
            counts = cache_counts(ours)
    share = counts["miss"] / max(1, sum(counts.values()))
    print(f"\n{'tokens':<24} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'misses':>8} {'errors':>7}")
    print(
        f"{'10,000 distinct':<24} {result.rate:>9.0f} {result.p50_ms:>8.2f}"
        f" {result.p99_ms:>8.2f} {share:>8.0%} {result.errors:>7}  ({load()})"
    )


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def bench_memory(plan: Plan, key: str) -> None:
    seconds = plan.memory_seconds
    print(
        f"\n## 4. Memory: worker RSS over {seconds} s of the token-miss load cycling over "
        "10,000 tokens (default cache)"
    )
    keyring = tokens.KeyRing([key])
    with tempfile.NamedTemporaryFile("w", suffix=".txt") as listing:
        listing.write("\n".join(mint_paths(keyring, 10_000)) + "\n")
        listing.flush()
        with running(lambda: glyphveil(key)) as (ours,):
            ours.wait_serving()
            pids = ours.workers()
            load_run = subprocess.Popen(  # wrk in the background while RSS is sampled
                [sys.executable, __file__, "--wrk-paths", ours.base, listing.name, str(seconds)],
                stdout=subprocess.PIPE,
                text=True,
            )
            samples: list[tuple[float, list[float]]] = []
            start = time.monotonic()
            while load_run.poll() is None:
                samples.append((time.monotonic() - start, [rss_mb(p) for p in pids]))
                time.sleep(seconds / 12)
            samples.append((time.monotonic() - start, [rss_mb(p) for p in pids]))
            counts = cache_counts(ours)
            print(load_run.stdout.read() if load_run.stdout else "", end="")
    print(
        f"\n{'seconds':>8} "
        + " ".join(f"{'worker ' + str(i + 1) + ' MB':>12}" for i in range(len(pids)))
    )
    for at, values in samples:
        print(f"{at:>8.0f} " + " ".join(f"{v:>12.1f}" for v in values))
    late = [values for at, values in samples if at >= seconds / 2]
    for i in range(len(pids)):
        column = [v[i] for v in late]
        print(
            f"worker {i + 1}: peak {max(v[i] for _, v in samples):.1f} MB, over the last"
            f" half {min(column):.1f}-{max(column):.1f} MB (drift {max(column) - min(column):.1f})"
        )
    print(f"cache look-ups: {dict(counts)}  ({load()})")


def wrk_paths(base: str, listing: str, seconds: int) -> None:
    """The load of the memory bench, run as its own process so RSS can be sampled meanwhile."""
    result = wrk(base + "/", _PATHS, [listing], connections=MISS_CONNECTIONS, seconds=seconds)
    print(
        f"load: {result.rate:.0f} req/s, p50 {result.p50_ms:.2f} ms, p99 {result.p99_ms:.2f} ms,"
        f" errors {result.errors}"
    )


# --- in-process benches ---------------------------------------------------------------


def bench_renders(plan: Plan, key: str) -> None:
    n = plan.renders
    print(
        f"\n## 3b. In-process token renders (draw + PNG): median CPU µs of {n} distinct emails"
        " (CPU time of the thread, which a busy machine inflates less than wall time)"
    )
    keyring = tokens.KeyRing([key])
    print(f"{'noise':<8} {'density':>7} {'median µs':>10} {'p90 µs':>8}")
    for noise in tokens.Noise:
        payloads = [
            tokens.decode(
                tokens.encode(f"user{i:05d}.name@example.org", keyring=keyring, noise=noise),
                keyring=keyring,
            )
            for i in range(n)
        ]
        for density in (1, 2):
            times = []
            for p in payloads:
                start = time.thread_time()
                encode_image(render_text(p.text, p.options, p.seed, density), "png")
                times.append((time.thread_time() - start) * 1e6)
            times.sort()
            print(
                f"{noise!s:<8} {density:>6}x {statistics.median(times):>10.0f}"
                f" {times[int(len(times) * 0.9)]:>8.0f}  ({load()})",
                flush=True,
            )


def rgb_png(image: Image.Image) -> int:
    out = io.BytesIO()
    image.convert("RGB").save(out, "PNG")
    return len(out.getvalue())


def bench_bytes(plan: Plan, key: str) -> None:
    print(
        f"\n## 5. PNG bytes of a 24-character email ({EMAIL!r}) against the same image as RGB"
        " PNG with Pillow's defaults"
    )
    keyring = tokens.KeyRing([key])
    print(f"{'noise':<8} {'size px':>9} {'glyphveil':>10} {'RGB PNG':>8} {'ratio':>6}")
    for noise in tokens.Noise:
        p = tokens.decode(tokens.encode(EMAIL, keyring=keyring, noise=noise), keyring=keyring)
        image = render_text(p.text, p.options, p.seed)
        ours = len(encode_image(image, "png"))
        rgb = rgb_png(image)
        size = f"{image.width}x{image.height}"
        print(f"{noise!s:<8} {size:>9} {ours:>10} {rgb:>8} {ours / rgb:>6.0%}")


def bench_big(plan: Plan, key: str) -> None:
    print(f"\n## 6. A 4000x4000 placeholder: CPU ms (draw + encode, best of {plan.big_repeat})")
    print(f"{'format':<8} {'CPU ms':>8} {'bytes':>9}")
    for fmt in ("png", "webp", "jpg", "gif"):
        spec = PlaceholderSpec.parse(f"4000x4000.{fmt}", {}, PlaceholderLimits())
        best, size = float("inf"), 0
        for _ in range(plan.big_repeat):
            start = time.process_time()
            size = len(encode_image(render_placeholder(spec), spec.format))
            best = min(best, time.process_time() - start)
        print(f"{fmt:<8} {best * 1000:>8.0f} {size:>9}  ({load()})", flush=True)


def bench_tokens(plan: Plan, key: str) -> None:
    repeat = 3 if plan is QUICK else 7
    print(f"\n## 7. Token helper against Fernet: µs per call, best (median) of {repeat}")
    keyring = tokens.KeyRing([key])
    email = tokens_speed.EMAIL
    ours = tokens_speed.bench_glyphveil(
        repeat, "glyphveil (AES-SIV)", keyring, lambda: tokens.encode(email, keyring=keyring)
    )
    fernet = tokens_speed.bench_fernet(repeat)
    tokens_speed.print_table("impl", [ours, fernet])
    print(
        f"Fernet / glyphveil: encode {fernet.encode.best / ours.encode.best:.2f}x,"
        f" decode {fernet.decode.best / ours.decode.best:.2f}x,"
        f" token chars {fernet.token_chars / ours.token_chars:.2f}x  ({load()})"
    )


# --- profiles -------------------------------------------------------------------------


def profile(plan: Plan, key: str, workload: str) -> None:
    """py-spy's top functions (self and total) in one worker while wrk drives the service."""
    if shutil.which("py-spy", path=str(Path(sys.executable).parent)) is None:
        raise SystemExit("py-spy is missing: run through `make bench`, which installs it")
    py_spy = str(Path(sys.executable).parent / "py-spy")
    keyring = tokens.KeyRing([key])
    seconds = max(plan.seconds, 5) * 2
    with running(lambda: glyphveil(key, BEFORE)) as (ours,), tempfile.TemporaryDirectory() as tmp:
        if workload == "hits":
            script, args, conns, url = "", [], 64, ours.base + token_path(keyring)
        elif workload == "placeholders":
            script, args, conns, url = _SIZES, ["0"], 16, ours.base + "/"
        else:
            listing = Path(tmp) / "paths.txt"
            listing.write_text("\n".join(mint_paths(keyring, 10_000)) + "\n")
            script, args, conns, url = _PATHS, [str(listing)], MISS_CONNECTIONS, ours.base + "/"
        wrk(url, script, args, connections=conns, seconds=2)  # warm up
        spies = [  # every worker: wrk's connections may all land on one
            subprocess.Popen(
                [
                    *(py_spy, "record", "--nonblocking", "--function", "--format", "raw"),
                    *(
                        "-r",
                        "250",
                        "-d",
                        str(seconds - 2),
                        "-o",
                        f"{tmp}/{pid}.txt",
                        "-p",
                        str(pid),
                    ),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for pid in ours.workers()
        ]
        result = wrk(url, script, args, connections=conns, seconds=seconds)
        for spy in spies:
            spy.wait(timeout=60)
        stacks = [
            line for raw in Path(tmp).glob("[0-9]*.txt") for line in raw.read_text().splitlines()
        ]
    print(
        f"\n## Profile of the workers, {workload}: {result.rate:.0f} req/s, "
        f"p99 {result.p99_ms:.2f} ms ({load()})"
    )
    own: Counter[str] = Counter()
    total: Counter[str] = Counter()
    samples = 0
    for line in stacks:
        stack, _, count_text = line.rpartition(" ")
        count = int(count_text)
        frames = [_short(frame) for frame in stack.split(";")]
        samples += count
        own[frames[-1]] += count
        for frame in set(frames):
            total[frame] += count
    idle = own.pop(_IDLE, 0)
    print(f"{samples} samples, {idle / samples:.0%} waiting in select; of the rest, by own time:")
    busy = max(1, samples - idle)
    for frame, count in own.most_common(15):
        print(f"  {count / busy:>6.1%}  {frame}")
    print("top by total time, below the event loop and gunicorn:")
    inner = [(f, c) for f, c in total.most_common() if not f.endswith(_OUTER_FILES)]
    for frame, count in [(f, c) for f, c in inner if f != _IDLE][:20]:
        print(f"  {count / busy:>6.1%}  {frame}")


_IDLE = "EpollSelector.select (selectors.py)"


def _short(frame: str) -> str:
    """``function (file.py)`` from py-spy's ``function (/path/file.py:line)``."""
    name, paren, where = frame.partition(" (")
    return f"{name} ({Path(where.rstrip(')')).name.split(':')[0]})" if paren else frame


#: Files of the frames every sample shares: the interpreter, gunicorn and the event loop.
_OUTER_FILES = tuple(
    f"({name})"
    for name in (
        "<frozen runpy>",
        "__main__.py",
        "arbiter.py",
        "base.py",
        "worker.py",
        "gunicorn.py",  # server/ops/gunicorn.py: the worker's run()
        "base_events.py",
        "events.py",
        "threading.py",
        "thread.py",
    )
)


# --- main -----------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=BENCHES, help="run only these benches")
    parser.add_argument("--quick", action="store_true", help="shorter runs, one round")
    parser.add_argument("--renders", type=int, help="in-process renders per row (2000; quick 200)")
    parser.add_argument(
        "--profile",
        choices=("hits", "misses", "placeholders"),
        help="profile one worker under this load instead of benching",
    )
    parser.add_argument(
        "--before",
        type=Path,
        metavar="DIR",
        help="also run the glyphveil checkout in DIR beside this one (--profile: instead)",
    )
    parser.add_argument("--wrk-paths", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.wrk_paths:
        base, listing, seconds = args.wrk_paths
        wrk_paths(base, listing, int(seconds))
        return 0
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install wrk (Debian's package)")
    plan = QUICK if args.quick else FULL
    if args.renders:
        plan = dataclasses.replace(plan, renders=args.renders)
    global BEFORE
    BEFORE = args.before.resolve() if args.before else None
    key = tokens.generate_key()
    print(
        f"glyphveil benchmarks, {'quick' if args.quick else 'full'} run; {os.cpu_count()} CPUs,"
        f" Python {sys.version.split()[0]}, {load()}"
    )
    if args.profile:
        profile(plan, key, args.profile)
        return 0
    for name in args.only or BENCHES:
        globals()[f"bench_{name}"](plan, key)
    print(f"\ndone ({load()})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
