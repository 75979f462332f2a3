"""Real service processes for tests: ``python -m server`` on a free loopback port, and
steady load against them.

The ``spawn`` fixture (``tests/conftest.py``) starts them and always stops them.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

import tokens

KEY = tokens.generate_key()
READY_SECONDS = 15  # bound for a process to start answering
STOP_SECONDS = 20  # bound for a process to exit after a signal (its shutdown timeout is 10 s)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def child_env(tmp_path: Path, **variables: str | None) -> dict[str, str]:
    """This environment without any GLYPHVEIL_* variable, plus ``variables`` (``None``
    leaves one unset)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GLYPHVEIL_")}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    env["XDG_RUNTIME_DIR"] = str(tmp_path)  # gunicorn's control socket goes here, not in ~
    env["TMPDIR"] = str(tmp_path)  # and any temporary directory of the service
    env.update({name: value for name, value in variables.items() if value is not None})
    return env


def run_cli(tmp_path: Path, *args: str, **variables: str) -> subprocess.CompletedProcess[str]:
    """Run ``python -m server ARGS`` to completion (for flags that make it exit at once)."""
    return subprocess.run(
        [sys.executable, "-m", "server", *args],
        cwd=tmp_path,
        env=child_env(tmp_path, **variables),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes


def fetch(
    url: str,
    timeout: float = 30,
    headers: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
) -> Response:
    """One GET, or a POST of ``form`` (urlencoded), on a new connection; HTTP errors are
    answers, not exceptions."""
    data = None if form is None else urllib.parse.urlencode(form).encode()
    request = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp:
            return Response(resp.status, dict(resp.headers), resp.read())
    except urllib.error.HTTPError as exc:
        return Response(exc.code, dict(exc.headers), exc.read())


@dataclass
class Service:
    """A running ``python -m server``."""

    proc: subprocess.Popen[bytes]
    port: int
    stderr_path: Path

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

    def stop(self, sig: signal.Signals = signal.SIGTERM) -> int:
        """Send ``sig`` and wait (bounded) for the exit status."""
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            pytest.fail(f"server still running {STOP_SECONDS} s after {sig.name}:\n{self.stderr}")

    def children(self) -> list[int]:
        """Process ids of the direct children (gunicorn's workers), from /proc."""
        pids: list[int] = []
        for task in Path(f"/proc/{self.proc.pid}/task").glob("*/children"):
            with suppress(OSError):
                pids += [int(pid) for pid in task.read_text().split()]
        return sorted(pids)

    def wait_children(self, count: int) -> list[int]:
        deadline = time.monotonic() + READY_SECONDS
        while time.monotonic() < deadline:
            if len(pids := self.children()) >= count:
                return pids
            time.sleep(0.05)
        return self.children()


def spawner(tmp_path: Path) -> Iterator[Callable[..., Service]]:
    """Start ``python -m server --port P ARGS`` in its own process group; always stop it."""
    started: list[subprocess.Popen[bytes]] = []

    def start(*args: str, ready: bool = True, **variables: str | None) -> Service:
        port = free_port()
        stderr_path = tmp_path / f"server-{port}.err"
        env = child_env(tmp_path, **({"GLYPHVEIL_KEYS": KEY} | variables))
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
        started.append(proc)
        service = Service(proc, port, stderr_path)
        if ready:
            service.wait_ready()
        return service

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.terminate()
            with suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=STOP_SECONDS)
        with suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)  # anything left in its group (workers)
        proc.wait(timeout=STOP_SECONDS)


def metric_total(text: str, name: str, **labels: str) -> float:
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items())
    )


def gone(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rpartition(")")[2].split()[0] == "Z"  # a zombie has exited


def wait_gone(pids: list[int]) -> list[int]:
    deadline = time.monotonic() + STOP_SECONDS
    while time.monotonic() < deadline and not all(gone(pid) for pid in pids):
        time.sleep(0.05)
    return [pid for pid in pids if not gone(pid)]


def metric(service: Service, name: str, **labels: str) -> float:
    """One scrape of the service's ``/metrics``: the sum of ``name{labels}``."""
    return metric_total(service.get("/metrics").body.decode(), name, **labels)


def wait_for(condition: Callable[[], bool], seconds: float, what: str) -> None:
    """Poll ``condition`` every 20 ms until it holds; fail after ``seconds``.

    An ``OSError`` (a refused connection while a process starts) counts as not yet.
    """
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with suppress(OSError):
            if condition():
                return
        time.sleep(0.02)
    pytest.fail(f"{what}: not within {seconds} s")


def raw_request(port: int, data: bytes, timeout: float = 10) -> bytes:
    """Send ``data`` on a fresh connection and read until the server closes it."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def connections_by_process(pids: Sequence[int], port: int) -> dict[int, int]:
    """How many established TCP connections to ``port`` (IPv4) each of ``pids`` holds:
    the socket inodes among its descriptors, matched with the kernel's connection table."""
    established = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[1].rpartition(":")[2], 16) == port and fields[3] == "01":  # ESTABLISHED
            established.add(fields[9])
    counts = {}
    for pid in pids:
        inodes = set()
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            with suppress(OSError):
                target = os.readlink(fd)
                if target.startswith("socket:["):
                    inodes.add(target[len("socket:[") : -1])
        counts[pid] = len(inodes & established)
    return counts


def listen_backlog(port: int) -> int:
    """The accept queue length of the socket listening on ``port``, as ``ss`` reports it."""
    out = subprocess.run(
        ["ss", "-ltnH", f"sport = :{port}"], capture_output=True, text=True, check=True
    ).stdout
    return int(out.split()[2])  # State Recv-Q Send-Q ...: Send-Q is the backlog


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
        wait_for(lambda: self.total >= target, READY_SECONDS, f"{requests} requests under load")

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


def solved_reveal(url: Callable[[str], str], token: str) -> dict[str, str]:
    """The fields of ``POST /reveal`` for ``token``: a challenge asked of the service at
    ``url(path)`` and solved here."""
    from tokens.pow import solve

    answer = fetch(url("/reveal/challenge"), form={"token": token})
    assert answer.status == 200, answer
    challenge = json.loads(answer.body)["challenge"]
    return {"token": token, "challenge": challenge, "nonce": str(solve(challenge))}
