"""deploy/nginx.conf in front of two instances on unix sockets, as deploy/README.md
sets them up: hit ratio, and what clients see through overload, rotation, expiry, slow
clients, a placeholder flood and an instance kill, under load on loopback.

Run: .venv/bin/python bench/nginx_proxy.py [--requests 20000] [--tokens 500] [--clients 16]
Needs Debian's nginx and wrk. Starts two ``python -m server --workers 2 --socket ...``
with the same keys file, and nginx twice in front of them: with the shipped config
(addresses and paths moved) and with its limits opened, to see the instances' own
behaviour. Each client gets its own loopback address, as separate visitors would.

1. hit ratio: ``--requests`` over ``--tokens`` tokens (x 2 densities) with a Zipf-like
   popularity, against the best any cache could do (1 - distinct / requests);
2. rotation: the README's service-side steps (new key second, SIGHUP both instances)
   while the clients keep fetching old tokens, then new ones; and wrk with 8 keep-alive
   connections on one instance through a SIGHUP (socket errors);
3. expiry: a token minted with a 3 s ``ttl``, fetched through nginx every 50 ms: how
   long after its expiry nginx first answers 410;
4. slow clients: 1,000 silent sockets and 1,000 trickled request bodies held against one
   instance (its two workers' connection caps: 2 x 1,000) while a cache hit and
   /healthz are fetched on new connections;
5. placeholder flood: one client asks for 8 new 4000x4000 placeholders a second while
   another fetches new token images;
6. overload and a kill: 32 clients fetching only new token images, one instance killed
   with SIGKILL among them: every answer by status (a 503 with or without Retry-After).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
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


OPEN_LIMITS = {
    "rate=10r/s": "rate=100000r/s",
    "rate=2r/s": "rate=100000r/s",
    "rate=30r/m": "rate=100000r/s",
    "burst=20 nodelay": "burst=100000 nodelay",
    "burst=10 nodelay": "burst=100000 nodelay",
    "burst=300 nodelay": "burst=100000 nodelay",
    "limit_conn glyphveil_conn 64;": "limit_conn glyphveil_conn 60000;",
}


def nginx_config(tmp: Path, port: int, sockets: list[Path], limits: str) -> Path:
    """The shipped site in ``tmp`` on ``port``, in front of ``sockets``; ``limits``:
    ``shipped`` or ``open``."""
    site = SHIPPED.read_text()
    replacements = {
        "listen 80;": f"listen 127.0.0.1:{port};",
        "listen [::]:80;": "",
        "/var/cache/nginx/glyphveil": str(tmp / "cache"),
        "/run/glyphveil-1/http.sock": str(sockets[0]),
        "/run/glyphveil-2/http.sock": str(sockets[1]),
        "/run/glyphveil-nginx-misses.sock": str(tmp / "misses.sock"),
    }
    if limits == "open":
        replacements |= OPEN_LIMITS
    for old, new in replacements.items():
        assert old in site, old
        site = site.replace(old, new)
    (tmp / "glyphveil.conf").write_text(site)
    temp = "".join(f"{kind}_temp_path {tmp / kind}; " for kind in ("client_body", "proxy"))
    user = "user root root;" if os.geteuid() == 0 else ""
    conf = tmp / "nginx.conf"
    conf.write_text(
        f"{user} worker_rlimit_nofile 65536; daemon off; worker_processes 2;"
        f" pid {tmp / 'nginx.pid'};\n"
        f"error_log {tmp / 'error.log'} warn; events {{ worker_connections 16384; }}\n"
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
                            status = str(response.status)
                            if status == "503" and "Retry-After" in response.headers:
                                status = "503+RA"  # shed: the client knows when to retry
                            self.statuses[status] += 1
                            self.cache[response.headers.get("X-Cache-Status", "-")] += 1
                    except aiohttp.ClientError as exc:
                        self.statuses[type(exc).__name__] += 1

        await asyncio.gather(*(client(i) for i in range(self.clients)))

    @property
    def failed(self) -> int:
        """Requests that got neither an image nor a refusal saying when to retry (429, or
        503 with Retry-After)."""
        return sum(
            n for status, n in self.statuses.items() if status not in ("200", "429", "503+RA")
        )


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


async def statuses_of(base: str, paths: list[str], address: str, at_once: int) -> Counter[str]:
    """GET ``paths`` from ``address``, ``at_once`` at a time: answers by status; a 503
    counts as ``503+RA`` when it carries Retry-After."""
    counts: Counter[str] = Counter()
    connector = aiohttp.TCPConnector(local_addr=(address, 0), limit=at_once)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def one(path: str) -> None:
            try:
                async with session.get(base + path) as response:
                    await response.read()
                    status = str(response.status)
                    if status == "503" and "Retry-After" in response.headers:
                        status = "503+RA"
                    counts[status] += 1
            except aiohttp.ClientError as exc:
                counts[type(exc).__name__] += 1

        await asyncio.gather(*(one(path) for path in paths))
    return counts


async def expiry(base: str, keyring: tokens.KeyRing) -> str:
    path = f"/t/{tokens.encode('soon@example.com', keyring=keyring, ttl=3)}.png"
    expires = time.time() + 3
    seen: Counter[str] = Counter()
    async with aiohttp.ClientSession() as session:
        while time.time() < expires + 5:
            async with session.get(base + path) as response:
                await response.read()
                cache = response.headers.get("X-Cache-Status", "-")
                seen[f"{response.status} {cache}"] += 1
                if response.status == 410:
                    late = time.time() - expires
                    return f"first 410 {late:+.2f} s from the expiry; before: {dict(seen)}"
            await asyncio.sleep(0.05)
    return f"no 410 within 5 s of the expiry: {dict(seen)}"


def slow_clients(port: int, hit: str, seconds: float = 4.0) -> str:
    """1,000 silent sockets and 1,000 trickled bodies against ``port``; meanwhile a hit
    and /healthz on new connections every 0.1 s, for ``seconds`` (before the service's
    5 s idle timeout closes the silent ones)."""
    import resource
    import threading
    import urllib.request

    for _ in range(20):  # a hit in every worker's own cache
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{hit}", timeout=30) as answer:
            answer.read()

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 65536), hard))
    held: list[socket.socket] = []
    stop = threading.Event()

    def trickle() -> None:
        while not stop.wait(1.0):
            for sock in held[1::2]:
                with contextlib.suppress(OSError):
                    sock.send(b"x")

    try:
        for n in range(2000):
            sock = socket.create_connection(("127.0.0.1", port), timeout=10)
            if n % 2:
                sock.sendall(
                    b"POST /healthz HTTP/1.1\r\nHost: t\r\nContent-Length: 100000\r\n\r\nx"
                )
            held.append(sock)
        thread = threading.Thread(target=trickle, daemon=True)
        thread.start()
        time.sleep(0.5)  # the service accepts the 2,000 (the measure starts with them held)
        times: dict[str, list[float]] = {"hit": [], "healthz": []}
        failed: Counter[str] = Counter()
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            for name, path in (("hit", hit), ("healthz", "/healthz")):
                started = time.perf_counter()
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as r:
                        r.read()
                        if r.status != 200:
                            failed[f"{name} {r.status}"] += 1
                except OSError as exc:
                    failed[f"{name} {type(exc).__name__}"] += 1
                times[name].append(time.perf_counter() - started)
            time.sleep(0.1)
    finally:
        stop.set()
        for sock in held:
            sock.close()
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    parts = []
    for name, values in times.items():
        values.sort()
        parts.append(
            f"{name}: {len(values)} answered, median {values[len(values) // 2] * 1000:.0f} ms,"
            f" 90th {values[len(values) * 9 // 10] * 1000:.0f} ms, max {values[-1] * 1000:.0f} ms"
        )
    return "; ".join(parts) + f"; failed {dict(failed)}"


async def placeholder_flood(base: str, keyring: tokens.KeyRing, tag: str) -> str:
    stop = asyncio.Event()
    flood: Counter[str] = Counter()

    async def attacker() -> None:
        connector = aiohttp.TCPConnector(local_addr=("127.0.2.1", 0), limit=0)
        async with aiohttp.ClientSession(connector=connector) as session:

            async def one(n: int) -> None:
                async with session.get(f"{base}/4000x4000/{tag}{n:05x}/000.webp") as response:
                    await response.read()
                    flood[str(response.status)] += 1

            pending = []
            n = 0
            while not stop.is_set():
                for _ in range(8):
                    n += 1
                    pending.append(asyncio.create_task(one(n)))
                await asyncio.sleep(1)
            await asyncio.gather(*pending)

    task = asyncio.create_task(attacker())
    await asyncio.sleep(1.5)
    victim_paths = [
        f"/t/{tokens.encode(f'victim-{tag}{i}@example.com', keyring=keyring)}.png"
        for i in range(40)
    ]
    victim = Counter()
    for chunk in range(0, 40, 4):  # a page's images, a few at a time, over ~5 s
        victim += await statuses_of(base, victim_paths[chunk : chunk + 4], "127.0.2.2", 4)
        await asyncio.sleep(0.5)
    stop.set()
    await task
    return f"victim's new token images {dict(victim)}; attacker's placeholders {dict(flood)}"


def wrk_rotation(
    port: int, path: str, keys_file: Path, keys: list[str], proc: subprocess.Popen[bytes]
) -> str:
    """wrk, 8 keep-alive connections on one instance, with a key reload 3 s in."""
    wrk = subprocess.Popen(
        ["wrk", "-t", "2", "-c", "8", "-d", "8s", f"http://127.0.0.1:{port}{path}"],
        stdout=subprocess.PIPE,
        text=True,
    )
    time.sleep(3)
    write_keys(keys_file, *keys)
    proc.send_signal(signal.SIGHUP)
    out, _ = wrk.communicate(timeout=60)
    requests = next((line.split()[0] for line in out.splitlines() if "requests in" in line), "?")
    errors = next((line.strip() for line in out.splitlines() if "Socket errors" in line), "")
    non2xx = next((line.strip() for line in out.splitlines() if "Non-2xx" in line), "")
    return f"{requests} requests; {errors or 'Socket errors: none'}; {non2xx or 'all 2xx'}"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--tokens", type=int, default=500)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2, help="per instance")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="gv-bench-", dir="/tmp"))
    old, new, newest = tokens.generate_key(), tokens.generate_key(), tokens.generate_key()
    keys_file = tmp / "keys"
    write_keys(keys_file, old)
    env = {k: v for k, v in os.environ.items() if not k.startswith("GLYPHVEIL_")}
    env |= {
        "GLYPHVEIL_KEYS_FILE": str(keys_file),
        "GLYPHVEIL_TRUSTED_PROXIES": "unix",
        "TMPDIR": str(tmp),
        "XDG_RUNTIME_DIR": str(tmp),
    }
    ports = [free_port(), free_port()]
    sockets = [tmp / "1.sock", tmp / "2.sock"]
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "server",
                "--port",
                str(p),
                "--socket",
                str(sock),
                "--workers",
                str(args.workers),
            ],
            cwd=tmp,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=(tmp / f"server-{p}.err").open("wb"),
            start_new_session=True,
        )
        for p, sock in zip(ports, sockets, strict=True)
    ]
    nginxes: list[subprocess.Popen[bytes]] = []
    bases: dict[str, str] = {}
    for limits in ("open", "shipped"):
        prefix = tmp / f"nginx-{limits}"
        prefix.mkdir()
        port = free_port()
        conf = nginx_config(prefix, port, sockets, limits)
        nginxes.append(
            subprocess.Popen(
                ["nginx", "-p", str(prefix), "-c", str(conf), "-e", str(prefix / "error.log")]
            )
        )
        bases[limits] = f"http://127.0.0.1:{port}"
    base = bases["open"]
    try:
        for p in ports:
            await wait_ok(f"http://127.0.0.1:{p}/healthz")
        for url in bases.values():
            await wait_ok(f"{url}/healthz")
        versions = subprocess.run(["nginx", "-v"], capture_output=True, text=True).stderr.strip()
        import aiohttp as _aiohttp
        import gunicorn

        print(
            f"{versions}, gunicorn {gunicorn.__version__}, aiohttp {_aiohttp.__version__},"
            f" Python {sys.version.split()[0]}; instances on unix sockets, {args.workers}"
            f" workers each; {args.clients} clients\n"
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
        print(f"{'run':<28} {'requests':>9} {'req/s':>7} {'failed':>7}  detail")
        print(
            f"{'hit ratio (open limits)':<28} {len(paths):>9} {len(paths) / seconds:>7.0f}"
            f" {clients.failed:>7}  HIT {hits / len(paths):.1%} (best possible"
            f" {1 - len(set(paths)) / len(paths):.1%}); {dict(clients.cache)}"
            f" {dict(clients.statuses)}"
        )

        # 2. rotation under load
        fresh_counter = iter(range(10**9))
        warm = paths[:200]
        minting = [tokens.KeyRing([old])]  # what the website mints with right now

        def mixed() -> str:
            """Three cached tokens, then a new one (a miss), and again."""
            n = next(fresh_counter)
            if n % 4:
                return warm[n % len(warm)]
            return f"/t/{tokens.encode(f'fresh{n}@example.org', keyring=minting[0])}.png"

        clients = Clients(base, args.clients)
        task = asyncio.create_task(clients.run(mixed))
        await asyncio.sleep(1.5)
        write_keys(keys_file, old, new)
        for proc in procs:  # every instance, as deploy/README.md says
            proc.send_signal(signal.SIGHUP)
        await asyncio.sleep(2)
        minting[0] = tokens.KeyRing([new, old])  # the website puts the new key first
        await asyncio.sleep(3)
        clients.stopping = True
        await task
        print(
            f"{'key rotation (SIGHUP x2)':<28} {sum(clients.statuses.values()):>9} {'':>7}"
            f" {clients.failed:>7}  {dict(clients.statuses)}"
        )
        hit = warm[0]
        detail = await asyncio.to_thread(
            wrk_rotation, ports[0], hit, keys_file, [old, new, newest], procs[0]
        )
        print(f"{'wrk -c 8 through a SIGHUP':<28} {'':>9} {'':>7} {'':>7}  {detail}")

        # 3. expiry
        detail = await expiry(bases["shipped"], tokens.KeyRing([new]))
        print(f"{'expired token (ttl 3 s)':<28} {'':>9} {'':>7} {'':>7}  {detail}")

        # 4. slow clients against one instance
        detail = await asyncio.to_thread(slow_clients, ports[1], hit)
        print(f"{'1,000 silent + 1,000 trickled':<28} {'':>9} {'':>7} {'':>7}  {detail}")

        # 5. placeholder flood, shipped limits and open ones
        for limits, tag in (("shipped", "a"), ("open", "b")):
            detail = await placeholder_flood(bases[limits], tokens.KeyRing([new]), tag)
            name = f"8 placeholders/s ({limits})"
            print(f"{name:<28} {'':>9} {'':>7} {'':>7}  {detail}")

        # 6. 32 clients missing the cache, one instance killed among them
        misses = iter(range(10**9))
        keyring = tokens.KeyRing([new])

        def miss() -> str:
            n = next(misses)
            return f"/t/{tokens.encode(f'miss{n}@example.net', keyring=keyring)}@2x.webp"

        clients = Clients(base, 32)
        task = asyncio.create_task(clients.run(miss))
        await asyncio.sleep(2)
        os.killpg(procs[0].pid, signal.SIGKILL)
        await asyncio.sleep(4)
        clients.stopping = True
        await task
        print(
            f"{'32 clients, misses, a kill':<28} {sum(clients.statuses.values()):>9} {'':>7}"
            f" {clients.failed:>7}  {dict(clients.statuses)}"
        )
    finally:
        for nginx in nginxes:
            nginx.send_signal(signal.SIGQUIT)
            nginx.wait(timeout=10)
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()
                proc.wait(timeout=20)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    asyncio.run(main())
