"""Tests for tokens.cli, the ``glyphveil`` command, in process (``tests/test_cli.py`` runs
``python -m tokens`` in subprocesses; ``tests/test_packaging.py`` the installed script)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import tokens.cli
from tokens import KeyRing
from tokens.cli import main

ROOT = Path(__file__).resolve().parents[2]


def test_serve_without_the_service_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(tokens.cli, "entry_points", lambda **_: ())
    assert main(["serve", "--port", "9999"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        "glyphveil serve: the service is not installed: install the glyphveil-server "
        "distribution (`make dist` builds its wheel; README.md, Install)\n"
    )


def test_serve_runs_the_services_entry_point_under_its_own_name(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as info:
        main(["serve", "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: glyphveil serve ")
    assert "--workers" in out and "python -m server" not in out
    with pytest.raises(SystemExit) as info:
        main(["serve", "--port", "not-a-port"])
    assert info.value.code == 2
    assert capsys.readouterr().err == (
        "glyphveil serve: error: --port='not-a-port': must be a whole number\n"
    )


def test_the_helper_never_imports_the_server_package() -> None:
    """``glyphveil serve`` goes through an entry point: nothing in tokens/ names server."""
    for path in sorted((ROOT / "tokens").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            else:
                continue
            assert not any(n == "server" or n.startswith("server.") for n in names), path


def test_the_helper_commands(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["keygen"]) == 0
    key = capsys.readouterr().out.strip()
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", key)
    monkeypatch.setenv("GLYPHVEIL_KEYS", key)
    assert main(["encode", "jane@example.com", "--noise", "high"]) == 0
    token = capsys.readouterr().out.strip()
    assert main(["decode", token]) == 0
    assert '"text": "jane@example.com"' in capsys.readouterr().out
    KeyRing([key])  # well formed, or KeyConfigError
    with pytest.raises(SystemExit) as info:
        main(["encode", "jane\u202e@example.com"])
    assert info.value.code == 2
    assert "glyphveil: error: text holds U+202E" in capsys.readouterr().err


def test_python_m_tokens_has_no_serve(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["serve"], prog="python -m tokens")
    assert info.value.code == 2
    assert "invalid choice: 'serve'" in capsys.readouterr().err


def test_server_modules_are_the_server_distributions_requirements() -> None:
    import configparser

    from server.__main__ import SERVER_MODULES

    parser = configparser.ConfigParser()
    parser.read(ROOT / "packaging" / "glyphveil-server" / "setup.cfg")
    required = parser["options"]["install_requires"].lower()
    imports = {"PIL": "pillow", "fontTools": "fonttools"}
    for module in SERVER_MODULES:
        assert imports.get(module, module).lower() in required
