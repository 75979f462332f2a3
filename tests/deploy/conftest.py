"""deploy/nginx.conf as shipped, in front of two real ``python -m server`` instances on
unix sockets, as the template unit deploy/glyphveil@.service starts them.

The test config is the shipped file with its addresses and paths moved into a temporary
directory (every replaced text must still be in the file, so the two cannot drift apart),
wrapped in the main block the file's comment asks for.

To give every instance another service (a shared store such as Redis), override the
``instance_env`` fixture: its variables reach both instances.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

import tokens
from tests.processes import READY_SECONDS, Response, Service, fetch, free_port, wait_for

SHIPPED = Path(__file__).parents[2] / "deploy" / "nginx.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"  # Debian's, from .ci/apt-packages.txt
KEY = tokens.generate_key()
KEYRING = tokens.KeyRing([KEY])
#: The instances' sockets in the shipped file, as the template unit makes them.
SOCKETS = ("/run/glyphveil-1/http.sock", "/run/glyphveil-2/http.sock")
#: ``rates`` for tests about something other than the limits: every limit opened wide.
NO_LIMITS = {
    "rate=10r/s": "rate=10000r/s",
    "rate=2r/s": "rate=10000r/s",
    "rate=30r/m": "rate=10000r/s",
    "burst=20 nodelay": "burst=10000 nodelay",
    "burst=10 nodelay": "burst=10000 nodelay",
    "burst=300 nodelay": "burst=10000 nodelay",
    "limit_conn glyphveil_conn 64;": "limit_conn glyphveil_conn 10000;",
}


def shipped_main_settings() -> tuple[int, int]:
    """``worker_rlimit_nofile`` and ``worker_connections`` as the file's comment gives them."""
    text = SHIPPED.read_text()
    nofile = re.search(r"^#\s+worker_rlimit_nofile (\d+);$", text, re.M)
    connections = re.search(r"^#\s+events \{ worker_connections (\d+); \}$", text, re.M)
    assert nofile and connections, "deploy/nginx.conf no longer documents its main settings"
    return int(nofile[1]), int(connections[1])


def site_config(shipped: str, replacements: dict[str, str]) -> str:
    """The shipped file with ``replacements``; fails if one of them moved away."""
    for old, new in replacements.items():
        assert old in shipped, f"deploy/nginx.conf no longer has {old!r}: update this test"
        shipped = shipped.replace(old, new)
    return shipped


def main_config(tmp: Path, site: Path) -> str:
    """What /etc/nginx/nginx.conf gives the site file, with every path in ``tmp``."""
    nofile, connections = shipped_main_settings()
    root = os.geteuid() == 0
    user = "user root root;\n" if root else ""
    limit = f"worker_rlimit_nofile {nofile};\n" if root else ""
    temp = "\n".join(
        f"    {kind}_temp_path {tmp / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return f"""{user}{limit}daemon off;
worker_processes 1;
pid {tmp / "nginx.pid"};
error_log {tmp / "error.log"} info;
events {{ worker_connections {connections if root else 1024}; }}
http {{
    access_log {tmp / "access.log"};
{temp}
    include {site};
}}
"""


@dataclass
class Proxy:
    """nginx running the shipped config, and the instances behind it."""

    proc: subprocess.Popen[bytes]
    port: int
    instances: tuple[Service, ...]
    sockets: tuple[Path, Path]
    error_log: Path

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def get(self, path: str, **headers: str) -> Response:
        return fetch(self.url(path), headers=headers)


@pytest.fixture
def instance_env() -> dict[str, str]:
    """Variables for every instance besides its keys and socket (override to add Redis)."""
    return {}


@pytest.fixture
def start_proxy(
    tmp_path: Path, spawn: Callable[..., Service], instance_env: dict[str, str]
) -> Iterator[Callable[..., Proxy]]:
    """Two instances with the same keys, then nginx in front of them, in the foreground."""
    started: list[subprocess.Popen[bytes]] = []
    socket_dir = Path(tempfile.mkdtemp(prefix="gv-", dir="/tmp"))  # unix socket paths are short

    def start(
        *,
        rates: dict[str, str] | None = None,
        args: tuple[str, ...] = (),
        keys: dict[str, str] | None = None,
        instances: bool = True,
        extra: dict[str, str] | None = None,
    ) -> Proxy:
        """nginx with the shipped limits but ``rates`` (shipped text -> test text); in
        front of two new instances started with ``args`` and the ``keys`` variables, or
        of nothing yet if not ``instances`` (the test binds the sockets itself).
        ``extra``: more replacements of shipped text."""
        sockets = (socket_dir / "1.sock", socket_dir / "2.sock")
        started_instances: tuple[Service, ...] = ()
        if instances:
            variables = {
                **instance_env,
                **(keys or {"GLYPHVEIL_KEYS": KEY}),
                "GLYPHVEIL_TRUSTED_PROXIES": "unix",
            }
            started_instances = tuple(
                spawn("--threads", "2", "--socket", str(sock), *args, **variables)
                for sock in sockets
            )
        port = free_port()
        prefix = tmp_path / "nginx"
        prefix.mkdir()
        site = prefix / "glyphveil.conf"
        replacements = {
            "listen 80;": f"listen 127.0.0.1:{port};",
            "listen [::]:80;": "",
            "/var/cache/nginx/glyphveil": str(prefix / "cache"),
            SOCKETS[0]: str(sockets[0]),
            SOCKETS[1]: str(sockets[1]),
            "/run/glyphveil-nginx-misses.sock": str(socket_dir / "misses.sock"),
            **(rates or {}),
            **(extra or {}),
        }
        site.write_text(site_config(SHIPPED.read_text(), replacements))
        conf = prefix / "nginx.conf"
        conf.write_text(main_config(prefix, site))
        command = [NGINX, "-p", str(prefix), "-c", str(conf), "-e", str(prefix / "error.log")]
        check = subprocess.run([*command, "-t"], capture_output=True, text=True, check=False)
        assert check.returncode == 0, check.stderr
        proc = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        started.append(proc)
        proxy = Proxy(proc, port, started_instances, sockets, prefix / "error.log")
        if instances:
            wait_for(lambda: proxy.get("/healthz").status == 200, READY_SECONDS, "nginx answering")
        return proxy

    yield start
    for proc in started:
        proc.send_signal(signal.SIGQUIT)  # graceful: workers finish, then the master exits
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    shutil.rmtree(socket_dir, ignore_errors=True)
