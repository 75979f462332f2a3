"""deploy/glyphveil@.service: what it promises, checked by systemd-analyze, and its
ExecStart run as systemd would run it.

No systemd needs to run: ``systemd-analyze verify`` and ``security --offline`` read the
unit file. The checked copy starts ``python -m server`` from this checkout, since
verify insists that the command exists.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import aiohttp
import pytest

import tokens
from tests.deploy.conftest import SHIPPED as NGINX_CONF
from tests.deploy.conftest import SOCKETS
from tests.processes import READY_SECONDS, child_env, free_port, wait_for

UNIT = Path(__file__).parents[2] / "deploy" / "glyphveil@.service"
SHIPPED_COMMAND = "/opt/glyphveil/bin/glyphveil serve"
ANALYZE = shutil.which("systemd-analyze") or "/usr/bin/systemd-analyze"  # Debian's systemd


def service_section() -> dict[str, list[str]]:
    """The [Service] settings, each with every value it was given."""
    values: dict[str, list[str]] = {}
    section = ""
    for line in UNIT.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            section = line.strip("[]")
        elif section == "Service":
            name, _, value = line.partition("=")
            values.setdefault(name, []).append(value)
    return values


def environment(instance: str) -> dict[str, str]:
    """The variables the unit's ``Environment=`` lines give instance ``instance``."""
    variables: dict[str, str] = {}
    for line in service_section()["Environment"]:
        for assignment in line.replace("%i", instance).split():
            name, _, value = assignment.partition("=")
            variables[name] = value
    return variables


@pytest.fixture
def checkable_unit(tmp_path: Path) -> Path:
    text = UNIT.read_text()
    assert f"ExecStart={SHIPPED_COMMAND}\n" in text
    copy = tmp_path / "glyphveil@.service"
    copy.write_text(text.replace(SHIPPED_COMMAND, f"{sys.executable} -m server"))
    return copy


@pytest.mark.parametrize("name", ["glyphveil@.service", "glyphveil@1.service"])
def test_systemd_analyze_verify_finds_nothing(checkable_unit: Path, name: str) -> None:
    done = subprocess.run(
        [ANALYZE, "verify", str(checkable_unit.with_name(name))],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


def test_sandbox_exposure_is_low(checkable_unit: Path) -> None:
    done = subprocess.run(
        [ANALYZE, "security", "--offline=yes", "--no-pager", str(checkable_unit)],
        capture_output=True,
        text=True,
        check=False,
    )
    level = re.search(r"Overall exposure level for glyphveil@\S*: (\d+\.\d+)", done.stdout)
    assert level is not None, done.stdout + done.stderr
    assert float(level[1]) <= 2.0, done.stdout  # systemd calls under 2 "OK"


def test_unit_runs_a_dedicated_user_with_its_keys_file_and_limits() -> None:
    service = service_section()
    assert service["User"] == ["glyphveil"] and service["Group"] == ["glyphveil"]
    assert "GLYPHVEIL_KEYS_FILE=/etc/glyphveil/keys" in service["Environment"]
    assert "GLYPHVEIL_ENV=production" in service["Environment"]  # no development key, ever
    assert service["ExecReload"] == ["/bin/kill -HUP $MAINPID"]  # the key reload
    assert int(service["LimitNOFILE"][0]) >= 65536
    assert service["Restart"] == ["on-failure"]
    for hardening in ("NoNewPrivileges", "ProtectHome", "PrivateTmp", "PrivateDevices"):
        assert service[hardening] == ["yes"], hardening
    assert service["ProtectSystem"] == ["strict"]
    assert service["CapabilityBoundingSet"] == [""]
    assert service["UMask"] == ["0077"]
    keys_comment = [line for line in UNIT.read_text().splitlines() if "/etc/glyphveil/keys" in line]
    assert any("-m 0640 -o root -g glyphveil" in line for line in keys_comment)


def test_instances_are_where_nginx_expects_them_and_trust_the_socket_alone() -> None:
    service = service_section()
    nginx = NGINX_CONF.read_text()
    ports = set()
    for instance, socket in zip(("1", "2"), SOCKETS, strict=True):
        variables = environment(instance)
        assert variables["GLYPHVEIL_SOCKET"] == socket
        assert f"server unix:{socket} max_fails=0;" in nginx
        assert variables["GLYPHVEIL_TRUSTED_PROXIES"] == "unix"  # not 127.0.0.1: any process
        assert variables["GLYPHVEIL_HOST"] == "127.0.0.1"
        ports.add(variables["GLYPHVEIL_PORT"])
    assert ports == {"8081", "8082"}
    assert service["RuntimeDirectory"] == ["glyphveil-%i"]
    assert service["RuntimeDirectoryMode"] == ["0750"]  # the service user and nginx's group
    assert service["ExecStartPre"] == ["+/usr/bin/chgrp www-data /run/glyphveil-%i"]


def test_the_exec_start_line_serves_on_its_socket(tmp_path: Path) -> None:
    """Run ``ExecStart`` with the unit's environment for instance 1, its paths moved
    into a temporary directory and its port to a free one, as systemd would."""
    key = tokens.generate_key()
    keys_file = tmp_path / "keys"
    keys_file.write_text(key + "\n")
    run_dir = Path(tempfile.mkdtemp(prefix="gv-run-", dir="/tmp"))  # socket paths are short
    variables = environment("1")
    variables["GLYPHVEIL_KEYS_FILE"] = str(keys_file)
    variables["GLYPHVEIL_SOCKET"] = variables["GLYPHVEIL_SOCKET"].replace(
        "/run/glyphveil-1", str(run_dir)
    )
    variables["GLYPHVEIL_PORT"] = str(free_port())
    command = service_section()["ExecStart"][0].replace(SHIPPED_COMMAND, "")
    argv = [sys.executable, "-m", "server", *command.split()]
    proc = subprocess.Popen(
        argv,
        cwd=tmp_path,
        env=child_env(tmp_path, **variables),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    socket = Path(variables["GLYPHVEIL_SOCKET"])
    token = tokens.encode("ops@example.com", keyring=tokens.KeyRing([key]))

    async def get(path: str) -> int:
        connector = aiohttp.UnixConnector(path=str(socket))
        url = f"http://img.example.com{path}"
        async with aiohttp.ClientSession(connector=connector) as session, session.get(url) as got:
            await got.read()
            return got.status

    try:
        wait_for(lambda: socket.exists(), READY_SECONDS, "the socket")
        wait_for(lambda: asyncio.run(get("/healthz")) == 200, READY_SECONDS, "answering")
        assert asyncio.run(get(f"/t/{token}.png")) == 200
        assert socket.stat().st_mode & 0o777 == 0o666  # the directory decides who connects
    finally:
        proc.terminate()
        _, stderr = proc.communicate(timeout=30)
        shutil.rmtree(run_dir, ignore_errors=True)
    assert proc.returncode == 0, stderr.decode()
