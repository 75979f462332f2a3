"""deploy/nginx.conf in front of two instances: hit ratio, and failures during a key
rotation and an instance kill, under steady load on loopback.

Run: .venv/bin/python bench/nginx_proxy.py [--requests 20000] [--tokens 500] [--clients 16]
Needs Debian's nginx. Starts two ``python -m server --workers 2`` with the same keys file
and nginx with the shipped config (addresses, paths and, with ``--rate``, the miss limit
moved; each client gets its own loopback address, as separate visitors would).

1. hit ratio: ``--requests`` over ``--tokens`` tokens (x 2 densities) with a Zipf-like
   popularity, against the best any cache could do (1 - distinct / requests);
2. rotation: the README's service-side steps (new key second, SIGHUP both instances,
   ``--stagger`` seconds apart) while the clients keep fetching old tokens, then new ones;
3. kill: SIGKILL one instance while the clients fetch new and cached tokens.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import aiohttp

import tokens

SHIPPED = Path(__file__).parents[1] / "deploy" / "nginx.conf"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_keys(path: Path, *keys: str) -> None:
    draft = path.with_name(path.name + ".new")
    draft.write_text("".join(key + "\n" for key in keys))
    draft.replace(path)


def nginx_config(tmp: Path, port: int, upstreams: list[int], rate: str) -> Path:
    site = SHIPPED.read_text()
    for old, new in {
        "listen 80;": f"listen 127.0.0.1:{port};",
        "listen [::]:80;": "",
        "/var/cache/nginx/glyphveil": str(tmp / "cache"),
        "server 127.0.0.1:8081 ": f"server 127.0.0.1:{upstreams[0]} ",
        "server 127.0.0.1:8082 ": f"server 127.0.0.1:{upstreams[1]} ",
        "/run/glyphveil-nginx-misses.sock": str(tmp / "misses.sock"),
        "rate=10r/s": f"rate={rate}",
    }.items():
        site = site.replace(old, new)
    (tmp / "glyphveil.conf").write_text(site)
    temp = "".join(f"{kind}_temp_path {tmp / kind}; " for kind in ("client_body", "proxy"))
    user = "user root root;" if os.geteuid() == 0 else ""
    conf = tmp / "nginx.conf"
    conf.write_text(
        f"{user} daemon off; worker_processes 2; pid {tmp / 'nginx.pid'};\n"
        f"error_log {tmp / 'error.log'} warn; events {{ worker_connections 1024; }}\n"
        f"http {{ access_log off; {temp} include {tmp / 'glyphveil.conf'}; }}\n"
    )
    return conf


class Clients:
    """``clients`` loops, each from its own loopback address, fetching ``next_path()``."""

    def __init__(self, base: str, clients: int) -> None:
        self.base = base
        self.clients = clients
        self.statuses: Counter[str] = Counter()
        self.cache: Counter[str] = Counter()
        self.stopping = False

    async def run(self, next_path: Callable[[], str | None]) -> None:
        async def client(number: int) -> None:
            connector = aiohttp.TCPConnector(local_addr=(f"127.0.1.{number + 1}", 0))
            async with aiohttp.ClientSession(connector=connector) as session:
                while not self.stopping and (path := next_path()) is not None:
                    try:
                        async with session.get(self.base + path) as response:
                            await response.read()
                            self.statuses[str(response.status)] += 1
                            self.cache[response.headers.get("X-Cache-Status", "-")] += 1
                    except aiohttp.ClientError as exc:
                        self.statuses[type(exc).__name__] += 1

        await asyncio.gather(*(client(i) for i in range(self.clients)))

    @property
    def failed(self) -> int:
        """Requests without an image; 429 (the miss limit at work) is not a failure."""
        return sum(n for status, n in self.statuses.items() if status not in ("200", "429"))


async def wait_ok(url: str) -> None:
    async with aiohttp.ClientSession() as session:
        for _ in range(300):
            try:
                async with session.get(url) as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.05)
    raise RuntimeError(f"{url} did not answer")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--tokens", type=int, default=500)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2, help="per instance")
    parser.add_argument(
        "--stagger", type=float, default=0.0, help="seconds between reloading the two instances"
    )
    parser.add_argument(
        "--rate", default="1000r/s", help="per-client miss limit (shipped: 10r/s; 429s count apart)"
    )
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="gv-bench-"))
    old, new = tokens.generate_key(), tokens.generate_key()
    keys_file = tmp / "keys"
    write_keys(keys_file, old)
    env = {k: v for k, v in os.environ.items() if not k.startswith("GLYPHVEIL_")}
    env |= {"GLYPHVEIL_KEYS_FILE": str(keys_file), "TMPDIR": str(tmp), "XDG_RUNTIME_DIR": str(tmp)}
    ports = [free_port(), free_port()]
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "server", "--port", str(p), "--workers", str(args.workers)],
            cwd=tmp,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=(tmp / f"server-{p}.err").open("wb"),
            start_new_session=True,
        )
        for p in ports
    ]
    port = free_port()
    conf = nginx_config(tmp, port, ports, args.rate)
    nginx = subprocess.Popen(
        ["nginx", "-p", str(tmp), "-c", str(conf), "-e", str(tmp / "error.log")]
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for p in ports:
            await wait_ok(f"http://127.0.0.1:{p}/healthz")
        await wait_ok(f"{base}/healthz")
        print(
            f"nginx {base} -> instances {ports}, {args.workers} workers each, "
            f"{args.clients} clients, miss limit {args.rate} per client\n"
        )

        # 1. hit ratio
        rng = random.Random(7)
        weights = [1 / (rank + 1) for rank in range(args.tokens)]
        minted = [
            f"/t/{tokens.encode(f'user{i}@example.com', keyring=tokens.KeyRing([old]))}"
            for i in range(args.tokens)
        ]
        paths = [
            minted[i] + rng.choice([".png", "@2x.png"])
            for i in rng.choices(range(args.tokens), weights, k=args.requests)
        ]
        feed = iter(paths)
        clients = Clients(base, args.clients)
        started = time.perf_counter()
        await clients.run(lambda: next(feed, None))
        seconds = time.perf_counter() - started
        hits = clients.cache["HIT"]
        print(f"{'run':<26} {'requests':>9} {'req/s':>7} {'failed':>7}  detail")
        print(
            f"{'hit ratio':<26} {len(paths):>9} {len(paths) / seconds:>7.0f} {clients.failed:>7}  "
            f"HIT {hits / len(paths):.1%} (best possible {1 - len(set(paths)) / len(paths):.1%}); "
            f"{dict(clients.cache)} {dict(clients.statuses)}"
        )

        # 2. rotation under load, 3. an instance killed under load
        fresh_counter = iter(range(10**9))
        warm = paths[:200]

        minting = [tokens.KeyRing([old])]  # what the website mints with right now

        def mixed() -> str:
            """Three cached tokens, then a new one (a miss), and again."""
            n = next(fresh_counter)
            if n % 4:
                return warm[n % len(warm)]
            return f"/t/{tokens.encode(f'fresh{n}@example.org', keyring=minting[0])}.png"

        for name, action in (
            ("key rotation (SIGHUP x2)", "rotate"),
            ("instance killed (SIGKILL)", "kill"),
        ):
            clients = Clients(base, args.clients)
            task = asyncio.create_task(clients.run(mixed))
            await asyncio.sleep(1.5)
            if action == "rotate":
                write_keys(keys_file, old, new)
                for proc in procs:  # one instance after the other, as deploy/README.md says
                    proc.send_signal(signal.SIGHUP)
                    await asyncio.sleep(args.stagger)
                await asyncio.sleep(3)  # the new workers are up
                minting[0] = tokens.KeyRing([new, old])  # the website puts the new key first
            else:
                os.killpg(procs[0].pid, signal.SIGKILL)
            await asyncio.sleep(3)
            clients.stopping = True
            await task
            await asyncio.sleep(args.stagger)  # the next run starts with both instances settled
            print(
                f"{name:<26} {sum(clients.statuses.values()):>9} {'':>7} {clients.failed:>7}  "
                f"{dict(clients.statuses)}"
            )
    finally:
        nginx.send_signal(signal.SIGQUIT)
        nginx.wait(timeout=10)
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()
                proc.wait(timeout=20)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    asyncio.run(main())
