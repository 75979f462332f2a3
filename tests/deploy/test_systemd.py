"""deploy/glyphveil.service: what it promises, checked by systemd-analyze.

No systemd needs to run: ``systemd-analyze verify`` and ``security --offline`` read the
unit file. The checked copy starts ``python -m server`` from this checkout, since
verify insists that the command exists.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

UNIT = Path(__file__).parents[2] / "deploy" / "glyphveil.service"
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


@pytest.fixture
def checkable_unit(tmp_path: Path) -> Path:
    text = UNIT.read_text()
    assert f"ExecStart={SHIPPED_COMMAND}\n" in text
    copy = tmp_path / "glyphveil.service"
    copy.write_text(text.replace(SHIPPED_COMMAND, f"{sys.executable} -m server"))
    return copy


def test_systemd_analyze_verify_finds_nothing(checkable_unit: Path) -> None:
    done = subprocess.run(
        [ANALYZE, "verify", str(checkable_unit)], capture_output=True, text=True, check=False
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


def test_sandbox_exposure_is_low(checkable_unit: Path) -> None:
    done = subprocess.run(
        [ANALYZE, "security", "--offline=yes", "--no-pager", str(checkable_unit)],
        capture_output=True,
        text=True,
        check=False,
    )
    level = re.search(r"Overall exposure level for glyphveil.service: (\d+\.\d+)", done.stdout)
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
