"""Requests per second through the real service on loopback, by route.

Run: .venv/bin/python bench/http_load.py [--requests 3000] [--concurrency 32] [--workers 1]
Starts ``python -m server`` on a free loopback port (with a fresh key), sends a bounded
number of GET requests per route with an aiohttp client, then stops the server. The
cache-hit rows measure the whole request path (route, decode, cache, respond); the
miss row sends a new token each time, so every request renders.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import subprocess
import sys
import time

import aiohttp

import tokens


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def wait_ready(base: str) -> None:
    async with aiohttp.ClientSession() as session:
        for _ in range(150):
            try:
                async with session.get(f"{base}/healthz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError("the server did not start")


async def hammer(base: str, paths: list[str], concurrency: int) -> tuple[float, set[int]]:
    statuses: set[int] = set()
    queue = iter(paths)
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def worker() -> None:
            for path in queue:
                async with session.get(base + path) as response:
                    await response.read()
                    statuses.add(response.status)

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return len(paths) / (time.perf_counter() - start), statuses


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    key = tokens.generate_key()
    keyring = tokens.KeyRing([key])
    port = free_port()
    env = {**os.environ, "GLYPHVEIL_KEYS": key, "GLYPHVEIL_LOG_LEVEL": "WARNING"}
    server = subprocess.Popen(
        [sys.executable, "-m", "server", "--port", str(port), "--workers", str(args.workers)],
        env=env,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        await wait_ready(base)
        token = tokens.encode("jane.doe@example-mail.com", keyring=keyring)
        n = args.requests
        fresh = [
            f"/t/{tokens.encode(f'user{i}@example.com', keyring=keyring)}.png"
            for i in range(n // 5)
        ]
        rows = [
            ("healthz", ["/healthz"] * n),
            ("token, cached", [f"/t/{token}.png"] * n),
            ("placeholder, cached", ["/300x200/0b5fff/fff.webp"] * n),
            ("token, new every time", fresh),
        ]
        print(f"{'route':<24} {'requests':>9} {'req/s':>9}  statuses")
        for name, paths in rows:
            if paths is not fresh:
                await hammer(base, paths[:50], args.concurrency)  # warm up the cache
            rate, statuses = await hammer(base, paths, args.concurrency)
            print(f"{name:<24} {len(paths):>9} {rate:>9.0f}  {sorted(statuses)}")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


if __name__ == "__main__":
    asyncio.run(main())
