"""Tests for tokens.cli, the ``glyphveil`` command, in process (``tests/test_cli.py`` runs
``python -m tokens`` in subprocesses; ``tests/test_packaging.py`` the installed script)."""

from __future__ import annotations

import importlib.util
import re

import pytest

from tokens import KeyRing
from tokens.cli import SERVER_MODULES, main, missing_server_modules


def test_serve_without_the_service_names_the_extra(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name: None if name == "PIL" else real(name)
    )
    assert missing_server_modules() == ["PIL"]
    assert main(["serve", "--port", "9999"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        "glyphveil serve: the service is not installed (no module PIL): install glyphveil[server]\n"
    )


def test_serve_hands_its_flags_to_the_service(capsys: pytest.CaptureFixture[str]) -> None:
    assert missing_server_modules() == []
    with pytest.raises(SystemExit) as info:
        main(["serve", "--help"])
    assert info.value.code == 0
    assert "--workers" in capsys.readouterr().out
    with pytest.raises(SystemExit) as info:
        main(["serve", "--port", "not-a-port"])
    assert info.value.code == 2


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


def test_server_modules_are_the_server_extra() -> None:
    import configparser
    from pathlib import Path

    parser = configparser.ConfigParser()
    parser.read(Path(__file__).resolve().parents[2] / "setup.cfg")
    extra = parser["options.extras_require"]["server"].lower()
    imports = {"PIL": "pillow", "fontTools": "fonttools"}
    for module in SERVER_MODULES:
        assert imports.get(module, module).lower() in extra
