"""A real ``redis-server`` for tests, on a free loopback port, that a test can stop and
start again on the same port (the ``redis_server`` fixture in ``tests/conftest.py``)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from contextlib import suppress
from pathlib import Path

import pytest

from tests.processes import free_port

READY_SECONDS = 10


class RedisServer:
    """``redis-server`` without persistence, in ``directory``, on ``port``."""

    def __init__(self, directory: Path, port: int | None = None) -> None:
        self.directory = directory
        self.port = port or free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Start it (again, on the same port) and wait until it answers PING."""
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail("redis-server is missing: run make system (Debian's redis-server)")
        log = (self.directory / "redis.log").open("ab")
        self.proc = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
                "--protected-mode",
                "yes",
            ],
            stdout=log,
            stderr=log,
            stdin=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + READY_SECONDS
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"redis-server exited: {(self.directory / 'redis.log').read_text()}")
            with suppress(OSError):
                if self.command(b"PING") == b"+PONG":
                    return
            time.sleep(0.02)
        pytest.fail(f"redis-server not ready within {READY_SECONDS} s")

    def stop(self) -> None:
        """Stop it at once (SIGKILL): what a crash or a lost host looks like."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=READY_SECONDS)
        self.proc = None

    def command(self, *words: bytes) -> bytes:
        """Send one command (RESP) and answer the first line of the reply."""
        request = b"*%d\r\n" % len(words) + b"".join(
            b"$%d\r\n%s\r\n" % (len(word), word) for word in words
        )
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as sock:
            sock.sendall(request)
            return sock.recv(65536).split(b"\r\n", 1)[0]
