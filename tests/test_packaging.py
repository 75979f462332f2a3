"""The helper installs alone: ``import tokens`` needs nothing but ``cryptography``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

BLOCK_SERVER_DEPENDENCIES = """
import sys

class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {"aiohttp", "PIL", "jinja2", "gunicorn", "prometheus_client",
                                   "fontTools", "server"}:
            raise ImportError(f"{name} is blocked: the helper must not need it")

sys.meta_path.insert(0, Block())
import tokens

keyring = tokens.KeyRing([tokens.generate_key()])
token = tokens.encode("jane@example.com", keyring=keyring, noise="high")
assert tokens.decode(token, keyring=keyring).text == "jane@example.com"
print(tokens.img_tag("jane@example.com", "https://img.example.com", alt="email", keyring=keyring))
"""


def test_tokens_imports_without_server_dependencies(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", BLOCK_SERVER_DEPENDENCIES],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith('<img src="https://img.example.com/t/')


def test_setup_cfg_keeps_server_dependencies_in_extras() -> None:
    import configparser

    parser = configparser.ConfigParser()
    parser.read(ROOT / "setup.cfg")
    required = parser["options"]["install_requires"].split()
    assert [r for r in required if not r.startswith("cryptography")] == []
    server_extra = parser["options.extras_require"]["server"]
    for name in ("aiohttp", "Pillow", "Jinja2", "gunicorn", "prometheus_client"):
        assert name in server_extra
