"""End-to-end tests of ``python -m tokens``, each in a subprocess in an empty directory."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tokens import KeyRing, RenderOptions, generate_key
from tokens.codec import seal
from tokens.keys import Key

TOKEN = r"[A-Za-z0-9_-]{71,388}"
EMAIL = "alice.martin@example.org"


@pytest.fixture
def key() -> str:
    return generate_key()


def run(
    tmp_path: Path, *args: str, key: str | None = None, **env: str
) -> subprocess.CompletedProcess[str]:
    """Run the CLI with cwd=tmp_path and only the GLYPHVEIL_* variables given."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("GLYPHVEIL_")}
    if key is not None:
        environ["GLYPHVEIL_KEYS"] = key
    environ["PYTHONIOENCODING"] = "utf-8"
    environ.update(env)
    return subprocess.run(
        [sys.executable, "-m", "tokens", *args],
        cwd=tmp_path,
        env=environ,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
        check=False,
    )


def test_keygen_prints_a_valid_key(tmp_path: Path) -> None:
    result = run(tmp_path, "keygen")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    key = result.stdout.strip()
    assert result.stdout == key + "\n"
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", key)
    Key.parse(key, "keygen")
    assert run(tmp_path, "keygen").stdout.strip() != key


def test_encode_decode_round_trip(tmp_path: Path, key: str) -> None:
    text = "Zoë Ñúñez · 電話 📞"
    encoded = run(tmp_path, "encode", text, key=key)
    assert encoded.returncode == 0, encoded.stderr
    assert encoded.stderr == ""
    token = encoded.stdout.strip()
    assert re.fullmatch(TOKEN, token)
    assert token == seal(text, KeyRing([key]))  # the same token as the library

    decoded = run(tmp_path, "decode", token, key=key)
    assert decoded.returncode == 0, decoded.stderr
    assert json.loads(decoded.stdout) == {
        "text": text,
        "options": RenderOptions().to_dict(),
        "expires_at": None,
    }
    assert text in decoded.stdout  # ensure_ascii=False: readable JSON
    assert not (tmp_path / "data").exists()  # no development key


def test_encode_with_every_option(tmp_path: Path, key: str) -> None:
    args = ["--font", "mono", "--size", "24", "--color", "navy", "--background", "transparent"]
    args += ["--noise", "high", "--padding", "0", "--ttl", "3600"]
    encoded = run(tmp_path, "encode", EMAIL, *args, key=key)
    assert encoded.returncode == 0, encoded.stderr
    payload = json.loads(run(tmp_path, "decode", encoded.stdout.strip(), key=key).stdout)
    assert payload["options"] == {
        "font": "mono",
        "size": 24,
        "color": "#000080",
        "background": "transparent",
        "noise": "high",
        "padding": 0,
    }
    assert payload["expires_at"] is not None
    assert payload["expires_at"].endswith("+00:00")


def test_encode_url(tmp_path: Path, key: str) -> None:
    result = run(tmp_path, "encode", EMAIL, "--url", "https://img.example.com/", key=key)
    assert result.returncode == 0, result.stderr
    url = result.stdout.strip()
    match = re.fullmatch(rf"https://img\.example\.com/t/({TOKEN})\.png", url)
    assert match, url
    assert match.group(1) == seal(EMAIL, KeyRing([key]))


def test_encode_url_with_empty_base_is_root_relative(tmp_path: Path, key: str) -> None:
    result = run(tmp_path, "encode", EMAIL, "--url", "", key=key)
    assert result.returncode == 0, result.stderr
    assert re.fullmatch(rf"/t/{TOKEN}\.png\n", result.stdout)


@pytest.mark.parametrize("encoding", ["utf-8", "ascii", "latin-1"])
def test_decode_prints_any_text_on_any_terminal(tmp_path: Path, key: str, encoding: str) -> None:
    text = "café ☎ 😀 +44 20"
    token = seal(text, KeyRing([key]))
    result = run(tmp_path, "decode", token, key=key, PYTHONIOENCODING=encoding)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["text"] == text
    assert (text in result.stdout) == (encoding == "utf-8")


def test_decode_garbage_exits_1(tmp_path: Path, key: str) -> None:
    for token in ["garbage", seal(EMAIL, KeyRing([generate_key()]))]:
        result = run(tmp_path, "decode", token, key=key)
        assert result.returncode == 1
        assert result.stdout == ""
        assert result.stderr == "python -m tokens: invalid token\n"


def test_decode_expired_exits_1(tmp_path: Path, key: str) -> None:
    token = seal(EMAIL, KeyRing([key]), ttl=60, now=1_700_000_000)
    result = run(tmp_path, "decode", token, key=key)
    assert result.returncode == 1
    assert result.stderr == "python -m tokens: token expired at 2023-11-14T22:14:20+00:00\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--font", "comic"], "argument --font: invalid choice: 'comic'"),
        (["--size", "7"], "bad size 7: use a whole number of px from 8 to 128"),
        (["--size", "129"], "bad size 129: use a whole number of px from 8 to 128"),
        (["--size", "big"], "argument --size: invalid int value: 'big'"),
        (["--padding", "65"], "bad padding 65"),
        (["--color", "#eeeeee"], "colour #eeeeee on #ffffff has contrast 1.16:1"),
        (["--color", "notacolour"], "bad color 'notacolour'"),
        (["--background", "#ffffff80"], "bad background '#ffffff80': must be opaque"),
        (["--noise", "loud"], "argument --noise: invalid choice: 'loud'"),
        (["--ttl", "0"], "bad ttl 0.0: use a positive number of seconds"),
        (["--ttl", "inf"], "bad ttl inf: use a finite number of seconds"),
        (["--url", "https://x", "--size", "7"], "bad size 7"),
    ],
)
def test_bad_arguments_exit_2(tmp_path: Path, key: str, args: list[str], message: str) -> None:
    result = run(tmp_path, "encode", EMAIL, *args, key=key)
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines()[-1].startswith("python -m tokens")


def test_missing_command_exits_2(tmp_path: Path) -> None:
    result = run(tmp_path)
    assert result.returncode == 2
    assert "usage: python -m tokens" in result.stderr


def test_encode_without_keys_creates_the_development_key(tmp_path: Path) -> None:
    first = run(tmp_path, "encode", EMAIL)
    assert first.returncode == 0, first.stderr
    path = tmp_path / "data" / "glyphveil" / "dev.keys"  # $XDG_DATA_HOME (tests/conftest.py)
    assert path.is_file()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert f"created a development key in {path}" in first.stderr
    assert "warning: using the development key" in first.stderr
    dev_key = path.read_text().splitlines()[-1]
    assert dev_key not in first.stderr
    token = first.stdout.strip()
    assert token == seal(EMAIL, KeyRing([dev_key]))

    second = run(tmp_path, "encode", EMAIL)
    assert second.returncode == 0
    assert second.stdout.strip() == token  # the same key was reused
    assert "created" not in second.stderr
    assert "warning: using the development key" in second.stderr

    decoded = run(tmp_path, "decode", token)
    assert json.loads(decoded.stdout)["text"] == EMAIL


def test_production_without_keys_exits_2(tmp_path: Path) -> None:
    result = run(tmp_path, "encode", EMAIL, GLYPHVEIL_ENV="production")
    assert result.returncode == 2
    assert "GLYPHVEIL_ENV=production needs GLYPHVEIL_KEYS or GLYPHVEIL_KEYS_FILE" in result.stderr
    assert not (tmp_path / "data").exists()  # no development key


def test_malformed_key_exits_2_without_echoing_it(tmp_path: Path) -> None:
    bad = "not-a-key-" + "x" * 20
    result = run(tmp_path, "decode", "whatever", key=bad)
    assert result.returncode == 2
    assert "GLYPHVEIL_KEYS: malformed key" in result.stderr
    assert bad not in result.stderr


def test_keys_file(tmp_path: Path, key: str) -> None:
    (tmp_path / "my.keys").write_text(f"# the key\n{key}\n")
    result = run(tmp_path, "encode", EMAIL, GLYPHVEIL_KEYS_FILE=str(tmp_path / "my.keys"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == seal(EMAIL, KeyRing([key]))


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        (
            {"GLYPHVEIL_KEYS": ""},
            "GLYPHVEIL_KEYS is set but empty: give it the keys, or unset it to use the "
            "development key",
        ),
        (
            {"GLYPHVEIL_KEY": "x"},
            "GLYPHVEIL_KEY is set, but keys are read from GLYPHVEIL_KEYS or "
            "GLYPHVEIL_KEYS_FILE: did you mean GLYPHVEIL_KEYS?",
        ),
    ],
)
def test_empty_or_misspelt_keys_exit_2_without_a_development_key(
    tmp_path: Path, variables: dict[str, str], message: str
) -> None:
    result = run(tmp_path, "encode", EMAIL, **variables)
    assert result.returncode == 2
    assert result.stderr == f"python -m tokens: error: {message}\n"
    assert not (tmp_path / "data").exists()
