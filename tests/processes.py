"""Real processes for tests: ``python -m server`` on a free loopback port, and steady load.

Imported as ``tests.processes`` by the key-reload and deployment tests; the fixture that
starts services and always stops them is ``start_service`` in ``tests/conftest.py``.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import pytest

__all__ = [
    "READY_SECONDS",
    "STOP_SECONDS",
    "Load",
    "Response",
    "Service",
    "child_env",
    "fetch",
    "free_port",
    "wait_until",
]

READY_SECONDS = 15  # bound for a process to start answering
STOP_SECONDS = 20  # bound for a process to exit after a signal (its shutdown timeout is 10 s)


def free_port() -> int:
    """A loopback port that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def child_env(tmp_path: Path, **variables: str) -> dict[str, str]:
    """This environment without any GLYPHVEIL_* variable, plus ``variables``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GLYPHVEIL_")}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    env["XDG_RUNTIME_DIR"] = str(tmp_path)  # gunicorn's control socket goes here, not in ~
    env["TMPDIR"] = str(tmp_path)  # and any temporary directory of the service
    env.update(variables)
    return env


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes


def fetch(url: str, timeout: float = 30, headers: dict[str, str] | None = None) -> Response:
    """One GET on a new connection; HTTP errors are answers, not exceptions."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp:
            return Response(resp.status, dict(resp.headers), resp.read())
    except urllib.error.HTTPError as exc:
        return Response(exc.code, dict(exc.headers), exc.read())


def wait_until(condition: Callable[[], bool], what: str, seconds: float = READY_SECONDS) -> None:
    """Poll ``condition`` until it holds; fail naming ``what`` after ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with suppress(OSError):
            if condition():
                return
        time.sleep(0.05)
    pytest.fail(f"{what}: not within {seconds} s")


@dataclass
class Service:
    """A running ``python -m server`` in its own process group."""

    proc: subprocess.Popen[bytes]
    port: int
    stderr_path: Path

    @classmethod
    def start(cls, tmp_path: Path, args: Sequence[str], env: dict[str, str]) -> Service:
        port = free_port()
        stderr_path = tmp_path / f"server-{port}.err"
        with stderr_path.open("wb") as stderr:
            proc = subprocess.Popen(
                [sys.executable, "-m", "server", "--port", str(port), *args],
                cwd=tmp_path,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=stderr,
                stderr=stderr,
                start_new_session=True,
            )
        return cls(proc, port, stderr_path)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def get(self, path: str) -> Response:
        return fetch(self.url(path))

    @property
    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def wait_ready(self) -> None:
        """Retry /healthz until it answers 200, for at most READY_SECONDS."""
        deadline = time.monotonic() + READY_SECONDS
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"server exited with {self.proc.returncode}:\n{self.stderr}")
            with suppress(OSError):
                if self.get("/healthz").status == 200:
                    return
            time.sleep(0.05)
        pytest.fail(f"server not ready within {READY_SECONDS} s:\n{self.stderr}")

    def send(self, sig: signal.Signals) -> None:
        """Send ``sig`` to the process (gunicorn's master, under --workers)."""
        self.proc.send_signal(sig)

    def children(self) -> list[int]:
        """Process ids of the direct children (gunicorn's workers), from /proc."""
        pids: list[int] = []
        for task in Path(f"/proc/{self.proc.pid}/task").glob("*/children"):
            with suppress(OSError):
                pids += [int(pid) for pid in task.read_text().split()]
        return sorted(pids)

    def stop(self, sig: signal.Signals = signal.SIGTERM) -> int:
        """Send ``sig``, wait (bounded) for the exit status, then kill what is left."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            code = self.proc.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            code = -1
        with suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)  # anything left in its group (workers)
        self.proc.wait(timeout=STOP_SECONDS)
        return code


@dataclass
class Load:
    """Clients requesting paths in a loop from a background thread until :meth:`stop`.

    Each of ``clients`` keeps its connections alive, as browsers and proxies do. Every
    answer is counted by status; a request that gets no answer counts by its exception.
    """

    base_url: str
    paths: Callable[[], Sequence[str]]
    clients: int = 4
    statuses: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    _stopping: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> Load:
        self._thread = threading.Thread(target=asyncio.run, args=(self._run(),), daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def total(self) -> int:
        return sum(self.statuses.values())

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=STOP_SECONDS)

    def wait_for(self, requests: int) -> None:
        """Block until at least ``requests`` more answers have been counted."""
        target = self.total + requests
        wait_until(lambda: self.total >= target, f"{requests} requests under load")

    async def _run(self) -> None:
        timeout = aiohttp.ClientTimeout(total=30)
        async with aiohttp.ClientSession(self.base_url, timeout=timeout) as session:
            await asyncio.gather(*(self._client(session, i) for i in range(self.clients)))

    async def _client(self, session: aiohttp.ClientSession, offset: int) -> None:
        turn = offset
        while not self._stopping.is_set():
            paths = self.paths()
            path = paths[turn % len(paths)]
            turn += 1
            try:
                async with session.get(path) as response:
                    await response.read()
                    self.statuses[str(response.status)] += 1
                    if response.status != 200:
                        self.failures.append(f"{path[:24]}…: {response.status}")
            except (TimeoutError, aiohttp.ClientError) as exc:
                self.statuses[type(exc).__name__] += 1
                self.failures.append(f"{path[:24]}…: {exc!r}")
