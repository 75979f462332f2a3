"""Overload, abandoned renders and SIGTERM with a full queue, as an operator sees them.

Run: .venv/bin/python bench/overload.py [--burst 200] (or ``make bench-hostile``, which
runs it after bench/hostile.py). Starts ``python -m server`` on a free loopback port
for each scenario, with the default settings unless said otherwise, and prints:

- burst: N concurrent distinct 4000x4000 WebPs; how many are drawn (200) or refused
  (503), how fast a refusal comes, a cache hit's and /healthz's answers meanwhile, and
  the peak and final RSS;
- abandon: 40 clients ask for distinct big images and hang up after 2 s; the renders
  still in flight 1 s later, and how long a fresh image then takes;
- drain: SIGTERM with a full render queue; how many requests under way got their whole
  image, and how long the process took to exit, with what status;
- memory: idle RSS before and after three bursts of big renders, side by side for
  glibc as it is, ``MALLOC_ARENA_MAX=2`` alone, the service's default (at most 2 arenas
  and ``malloc_trim`` after a burst), and jemalloc (``LD_PRELOAD``, if installed).

Bounded in count and time; loopback only.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import tokens

BIG = "/4000x4000/{:06x}/000.webp"


@dataclass
class Answer:
    status: int
    seconds: float
    size: int


def get(url: str, timeout: float = 120) -> Answer:
    started = time.monotonic()
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            body = response.read()
            return Answer(response.status, time.monotonic() - started, len(body))
    except urllib.error.HTTPError as exc:
        exc.read()
        return Answer(exc.code, time.monotonic() - started, 0)
    except OSError:
        return Answer(0, time.monotonic() - started, 0)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def gauge(base: str, name: str) -> float:
    with urllib.request.urlopen(base + "/metrics", timeout=30) as response:
        text = response.read().decode()
    return sum(
        float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(name + " ")
    )


class Service:
    def __init__(self, *args: str, env: dict[str, str] | None = None) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = int(sock.getsockname()[1])
        self.key = tokens.generate_key()
        env = {**os.environ, "GLYPHVEIL_KEYS": self.key, **(env or {})}
        env["GLYPHVEIL_LOG_LEVEL"] = "WARNING"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "server", "--port", str(self.port), *args],
            env=env,
            start_new_session=True,
            stderr=subprocess.DEVNULL,
        )
        self.base = f"http://127.0.0.1:{self.port}"
        for _ in range(300):
            if get(self.base + "/healthz", timeout=2).status == 200:
                return
            time.sleep(0.05)
        raise SystemExit("the service did not start")

    def stop(self) -> int:
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=120)


def burst(count: int) -> None:
    service = Service()
    get(service.base + "/120x80")  # a cache hit from now on
    before, peak = rss_mb(service.proc.pid), 0.0
    probes: list[tuple[int, int, float]] = []
    done = threading.Event()

    def watch() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, rss_mb(service.proc.pid))
            hit, health = get(service.base + "/120x80"), get(service.base + "/healthz")
            probes.append((hit.status, health.status, hit.seconds))
            time.sleep(0.1)

    watcher = threading.Thread(target=watch)
    watcher.start()
    started = time.monotonic()
    with ThreadPoolExecutor(count) as pool:
        answers = list(pool.map(lambda n: get(service.base + BIG.format(n)), range(count)))
    took = time.monotonic() - started
    done.set()
    watcher.join()
    after = rss_mb(service.proc.pid)
    service.stop()
    statuses = Counter(a.status for a in answers)
    refused = sorted(a.seconds for a in answers if a.status == 503)
    drawn = sorted(a.seconds for a in answers if a.status == 200)
    print(f"## burst: {count} concurrent distinct 4000x4000 WebPs (defaults)\n")
    print("| measure | value |\n|---|---|")
    print(f"| statuses | {dict(sorted(statuses.items()))} |")
    if refused:
        median, most = statistics.median(refused) * 1000, refused[-1] * 1000
        print(f"| 503 answered in | median {median:.0f} ms, max {most:.0f} ms |")
    if drawn:
        print(
            f"| 200 answered in | median {statistics.median(drawn):.1f} s, max {drawn[-1]:.1f} s |"
        )
    hits = Counter(p[0] for p in probes)
    healths = Counter(p[1] for p in probes)
    slowest = max((p[2] for p in probes), default=0.0)
    print(f"| cache hit meanwhile | {dict(hits)}, slowest {slowest * 1000:.0f} ms |")
    print(f"| /healthz meanwhile | {dict(healths)} |")
    print(f"| RSS | before {before:.0f} MB, peak {peak:.0f} MB, after {after:.0f} MB |")
    print(f"| burst over in | {took:.1f} s |\n")


def abandon() -> None:
    service = Service("--render-queue", "64", "--render-budget-mpx", "2000")
    with ThreadPoolExecutor(40) as pool:
        list(pool.map(lambda n: get(service.base + BIG.format(n), timeout=2), range(40)))
    time.sleep(1)
    left = gauge(service.base, "glyphveil_renders_in_flight")
    shed = gauge(service.base, 'glyphveil_renders_shed_total{reason="abandoned"}')
    fresh = get(service.base + "/300x200/abcdef")
    service.stop()
    print("## abandon: 40 clients hang up after 2 s (queue 64, budget 2000 Mpx)\n")
    print("| measure | value |\n|---|---|")
    print(f"| renders in flight 1 s after they left | {left:.0f} |")
    print(f"| renders dropped unstarted (abandoned) | {shed:.0f} |")
    print(f"| a fresh image then | {fresh.status} in {fresh.seconds * 1000:.0f} ms |\n")


def drain() -> None:
    service = Service(
        *("--render-queue", "40", "--render-budget-mpx", "200"),
        *("--render-timeout", "120", "--grace-seconds", "60"),
    )
    paths = [f"/1500x1500/{n:06x}/000.webp" for n in range(1, 41)]
    with ThreadPoolExecutor(len(paths)) as pool:
        pending = [pool.submit(get, service.base + path) for path in paths]
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if gauge(service.base, "glyphveil_renders_in_flight") >= len(paths) - 4:
                break
            time.sleep(0.02)
        in_flight = gauge(service.base, "glyphveil_renders_in_flight")
        started = time.monotonic()
        service.proc.send_signal(signal.SIGTERM)
        answers = [f.result() for f in pending]
        code = service.proc.wait(timeout=120)
        took = time.monotonic() - started
    statuses = Counter(a.status for a in answers)
    print("## drain: SIGTERM with the render queue full (queue 40, grace 60 s)\n")
    print("| measure | value |\n|---|---|")
    print(f"| renders queued or running at SIGTERM | {in_flight:.0f} |")
    print(f"| answers | {dict(sorted(statuses.items()))} (0: no answer) |")
    print(f"| exit | status {code} after {took:.1f} s |\n")


JEMALLOC = Path("/usr/lib/x86_64-linux-gnu/libjemalloc.so.2")  # Debian's libjemalloc2


def idle_rss(service: Service, settle: float = 3.0) -> float:
    """RSS once the process has had ``settle`` seconds without a request."""
    time.sleep(settle)
    return rss_mb(service.proc.pid)


def memory(rounds: int = 3) -> None:
    variants: dict[str, tuple[tuple[str, ...], dict[str, str]]] = {
        "glibc as it is": (("--malloc-trim", "off"), {}),
        "MALLOC_ARENA_MAX=2": (("--malloc-trim", "off"), {"MALLOC_ARENA_MAX": "2"}),
        "malloc_trim + 2 arenas (the service's default)": ((), {}),
    }
    if JEMALLOC.exists():
        variants["jemalloc"] = (("--malloc-trim", "off"), {"LD_PRELOAD": str(JEMALLOC)})
    print(f"## memory: idle RSS before and after {rounds} bursts (one process, defaults)\n")
    print("Each burst: 48 concurrent distinct 4000x4000 WebPs, then 300 distinct token images")
    print("16 at a time; RSS read after 3 s without a request.\n")
    print("| allocator | idle before | peak | idle after | after / before |")
    print("|---|---:|---:|---:|---:|")
    for name, (args, env) in variants.items():
        service = Service(*args, env=env)
        ring = tokens.KeyRing([service.key])
        get(service.base + "/120x80")
        get(service.base + f"/t/{tokens.encode('warm@example.com', keyring=ring)}.png")
        before, peak = idle_rss(service), 0.0
        for round_ in range(rounds):
            with ThreadPoolExecutor(48) as pool:
                big = [service.base + BIG.format(round_ * 1000 + n) for n in range(48)]
                futures = [pool.submit(get, url) for url in big]
                while not all(f.done() for f in futures):
                    peak = max(peak, rss_mb(service.proc.pid))
                    time.sleep(0.05)
            urls = [
                service.base
                + f"/t/{tokens.encode(f'user{round_}-{n}@example.com', keyring=ring)}@2x.png"
                for n in range(300)
            ]
            with ThreadPoolExecutor(16) as pool:
                list(pool.map(get, urls))
            peak = max(peak, rss_mb(service.proc.pid))
        after = idle_rss(service)
        service.stop()
        ratio = after / before if before else 0.0
        print(f"| {name} | {before:.0f} MB | {peak:.0f} MB | {after:.0f} MB | {ratio:.2f}x |")
    print()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--burst", type=int, default=200)
    parser.add_argument(
        "--only", choices=("burst", "abandon", "drain", "memory"), help="one scenario"
    )
    args = parser.parse_args()
    scenarios = {
        "burst": lambda: burst(args.burst),
        "abandon": abandon,
        "drain": drain,
        "memory": memory,
    }
    for name, run in scenarios.items():
        if args.only in (None, name):
            run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
