"""Tests for tokens.keys: key text, HKDF subkeys, key rings from the environment, dev key."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import stat
from pathlib import Path

import pytest

import tokens.keys
from tokens import KeyConfigError, KeyRing, default_keyring, generate_key
from tokens.codec import seal, unseal
from tokens.keys import Key, development_keys_path

KEY_RE = re.compile(r"^[A-Za-z0-9_-]{43}$")
EMAIL = "alice.martin@example.org"


def hkdf_sha256(secret: bytes, info: bytes, length: int) -> bytes:
    """RFC 5869 with no salt, written out independently of the code under test."""
    prk = hmac.new(bytes(32), secret, hashlib.sha256).digest()
    out, block, counter = b"", b"", 1
    while len(out) < length:
        block = hmac.new(prk, block + info + bytes([counter]), hashlib.sha256).digest()
        out, counter = out + block, counter + 1
    return out[:length]


def opens(ring: KeyRing, other: KeyRing) -> bool:
    """Whether tokens sealed by ``other`` open with ``ring``."""
    try:
        unseal(seal(EMAIL, other), keyring=ring)
    except tokens.InvalidToken:
        return False
    return True


# --- key text -------------------------------------------------------------------------------


def test_generate_key_format() -> None:
    keys = {generate_key() for _ in range(50)}
    assert len(keys) == 50
    for key in keys:
        assert KEY_RE.match(key)
        assert len(base64.urlsafe_b64decode(key + "=")) == 32
        Key.parse(key, "test")


def test_subkeys_are_hkdf_sha256() -> None:
    secret = bytes(range(32))
    text = base64.urlsafe_b64encode(secret).rstrip(b"=").decode()
    assert text == "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"
    key = Key.parse(text, "test")
    assert key.key_id == hkdf_sha256(secret, b"glyphveil/v1/key-id", 2) == bytes.fromhex("b270")
    assert key.noise_key == hkdf_sha256(secret, b"glyphveil/v1/noise", 32)
    # the AES-SIV key: same cipher output as one built from the independent derivation
    siv = tokens.keys.AESSIV(hkdf_sha256(secret, b"glyphveil/v1/aes-siv", 64))
    assert key.cipher.encrypt(b"plain", [b"ad"]) == siv.encrypt(b"plain", [b"ad"])


def test_parse_strips_whitespace() -> None:
    key = generate_key()
    assert Key.parse(f"  {key}\n", "test").key_id == Key.parse(key, "test").key_id


@pytest.mark.parametrize(
    "mangle",
    [
        lambda k: k[:-1],  # 42 characters
        lambda k: k + "A",  # 44 characters
        lambda k: k + "=",  # padding
        lambda k: "+" + k[1:],
        lambda k: "/" + k[1:],
        lambda k: k[:20] + " " + k[21:],
        lambda k: k[:20] + "é" + k[21:],
        lambda k: k[:20] + "." + k[21:],
        lambda k: "",
        lambda k: base64.urlsafe_b64encode(os.urandom(24)).decode(),  # 24 bytes: 32 characters
    ],
)
def test_malformed_key_is_refused_without_echoing_it(mangle: object) -> None:
    key = generate_key()
    bad = mangle(key)  # type: ignore[operator]
    with pytest.raises(KeyConfigError) as info:
        Key.parse(bad, "SOMEWHERE")
    message = str(info.value)
    assert message.startswith("SOMEWHERE: malformed key")
    assert "glyphveil keygen" in message and "python -m" not in message
    if bad.strip():
        assert bad.strip() not in message
        assert bad.strip()[:12] not in message


def test_spare_bits_make_a_key_non_canonical() -> None:
    key = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"  # last character 8: 0b111100
    for last in "9-_":
        with pytest.raises(KeyConfigError, match="malformed key"):
            Key.parse(key[:-1] + last, "test")


def test_key_repr_hides_secrets() -> None:
    key = Key.parse(generate_key(), "test")
    assert "cipher" not in repr(key)
    assert "noise_key" not in repr(key)


# --- key rings -----------------------------------------------------------------------------


def test_empty_keyring_is_refused() -> None:
    with pytest.raises(KeyConfigError, match=r"^somewhere: no keys given$"):
        KeyRing([], source="somewhere")


def test_first_key_is_current() -> None:
    a, b = generate_key(), generate_key()
    ring = KeyRing([a, b])
    assert ring.current.key_id == Key.parse(a, "t").key_id
    assert len(ring.keys) == 2


def test_keys_from_env_comma_list_with_spaces(monkeypatch: pytest.MonkeyPatch) -> None:
    a, b = generate_key(), generate_key()
    monkeypatch.setenv("GLYPHVEIL_KEYS", f"  {a} ,\t{b} , ")
    ring = KeyRing.from_env()
    assert [k.key_id for k in ring.keys] == [Key.parse(a, "t").key_id, Key.parse(b, "t").key_id]
    assert opens(ring, KeyRing([b]))
    assert opens(KeyRing([a]), ring)


def test_keys_from_explicit_mapping() -> None:
    a = generate_key()
    ring = KeyRing.from_env({"GLYPHVEIL_KEYS": a})
    assert opens(ring, KeyRing([a]))


@pytest.mark.parametrize("file_exists", [True, False], ids=["file", "missing file"])
def test_keys_variable_and_file_together_are_refused(tmp_path: Path, file_exists: bool) -> None:
    a, b = generate_key(), generate_key()
    path = tmp_path / "keys"
    if file_exists:
        path.write_text(b + "\n")
    with pytest.raises(KeyConfigError) as info:
        KeyRing.from_env({"GLYPHVEIL_KEYS": a, "GLYPHVEIL_KEYS_FILE": str(path)})
    message = str(info.value)
    assert message.startswith("GLYPHVEIL_KEYS and GLYPHVEIL_KEYS_FILE are both set")
    assert a not in message and b not in message


def test_blank_keys_variable_falls_back_to_file(tmp_path: Path) -> None:
    a = generate_key()
    (tmp_path / "keys").write_text(a + "\n")
    ring = KeyRing.from_env({"GLYPHVEIL_KEYS": "  ", "GLYPHVEIL_KEYS_FILE": str(tmp_path / "keys")})
    assert opens(ring, KeyRing([a]))


def test_keys_variable_with_only_commas() -> None:
    with pytest.raises(KeyConfigError, match=r"^GLYPHVEIL_KEYS: no keys given$"):
        KeyRing.from_env({"GLYPHVEIL_KEYS": " , ,"})


def test_malformed_key_in_env_names_the_variable_not_the_key() -> None:
    good = generate_key()
    bad = generate_key()[:-2] + "+/"
    with pytest.raises(KeyConfigError) as info:
        KeyRing.from_env({"GLYPHVEIL_KEYS": f"{good},{bad}"})
    message = str(info.value)
    assert message.startswith("GLYPHVEIL_KEYS: malformed key")
    assert bad not in message and bad[:10] not in message
    assert good not in message and good[:10] not in message


def test_keys_file_with_comments_and_blank_lines(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    a, b = generate_key(), generate_key()
    path = tmp_path / "glyphveil.keys"
    path.write_text(f"# current key\n\n{a}\n   # old key, remove after May\n  {b}  \n\n")
    monkeypatch.setenv("GLYPHVEIL_KEYS_FILE", str(path))
    ring = KeyRing.from_env()
    assert len(ring.keys) == 2
    assert ring.current.key_id == Key.parse(a, "t").key_id
    assert opens(ring, KeyRing([b]))


def test_malformed_key_in_file_names_the_file_not_the_key(tmp_path: Path) -> None:
    bad = "x" * 43
    path = tmp_path / "bad.keys"
    path.write_text(f"# comment\n{generate_key()}\n{bad}\n")
    with pytest.raises(KeyConfigError) as info:
        KeyRing.from_env({"GLYPHVEIL_KEYS_FILE": str(path)})
    message = str(info.value)
    assert message.startswith(f"GLYPHVEIL_KEYS_FILE {path}: line 3: malformed key")
    assert bad not in message


def test_missing_keys_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.keys"
    with pytest.raises(KeyConfigError) as info:
        KeyRing.from_env({"GLYPHVEIL_KEYS_FILE": str(path)})
    assert str(info.value) == f"GLYPHVEIL_KEYS_FILE {path}: cannot read (No such file or directory)"


def test_unreadable_keys_files(tmp_path: Path) -> None:
    with pytest.raises(KeyConfigError, match=r"cannot read \(Is a directory\)"):
        KeyRing.from_file(tmp_path)
    binary = tmp_path / "binary.keys"
    binary.write_bytes(b"\xff\xfe")
    with pytest.raises(KeyConfigError, match=r"binary.keys: cannot read \(not ASCII text\)"):
        KeyRing.from_file(binary)


def test_keys_file_with_only_comments(tmp_path: Path) -> None:
    path = tmp_path / "empty.keys"
    path.write_text("# nothing here\n\n")
    with pytest.raises(KeyConfigError, match="no keys given"):
        KeyRing.from_file(path)


@pytest.mark.parametrize("value", ["production", "Production", " PRODUCTION "])
def test_production_without_keys_is_an_error(
    value: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(KeyConfigError, match="GLYPHVEIL_ENV=production needs GLYPHVEIL_KEYS"):
        KeyRing.from_env({**os.environ, "GLYPHVEIL_ENV": value})
    assert not (development_keys_path()).exists()
    assert capsys.readouterr().err == ""


def test_production_with_keys_is_fine() -> None:
    a = generate_key()
    ring = KeyRing.from_env({"GLYPHVEIL_ENV": "production", "GLYPHVEIL_KEYS": a})
    assert opens(ring, KeyRing([a]))


@pytest.mark.parametrize("value", ["prod", "Prod", "staging", "dev", "production1", "yes"])
def test_unknown_environment_is_an_error(
    value: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A misspelt production never falls back to the development key."""
    with pytest.raises(KeyConfigError) as info:
        KeyRing.from_env({**os.environ, "GLYPHVEIL_ENV": value})
    assert str(info.value) == f"GLYPHVEIL_ENV={value!r}: must be development or production"
    assert not (development_keys_path()).exists()
    assert capsys.readouterr().err == ""
    with pytest.raises(KeyConfigError, match="must be development or production"):
        KeyRing.from_env({"GLYPHVEIL_ENV": value, "GLYPHVEIL_KEYS": generate_key()})


@pytest.mark.parametrize("value", ["", "  ", "development", " Development "])
def test_development_environment_uses_the_development_key(value: str, tmp_path: Path) -> None:
    ring = KeyRing.from_env({**os.environ, "GLYPHVEIL_ENV": value})
    assert opens(KeyRing.from_file(development_keys_path()), ring)


# --- development key -----------------------------------------------------------------------


def test_development_key_is_created_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert Path.cwd() == tmp_path
    path = tmp_path / "data" / "glyphveil" / "dev.keys"
    first = KeyRing.from_env({"XDG_DATA_HOME": str(tmp_path / "data")})
    assert path.is_file()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    lines = path.read_text().splitlines()
    assert lines[0].startswith("#")
    assert KEY_RE.match(lines[1])
    err = capsys.readouterr().err
    assert f"created a development key in {path}" in err
    assert "warning: using the development key" in err
    assert lines[1] not in err

    second = KeyRing.from_env({"XDG_DATA_HOME": str(tmp_path / "data")})
    err = capsys.readouterr().err
    assert "created" not in err
    assert "warning: using the development key" in err
    assert path.read_text().splitlines()[1] == lines[1]
    assert opens(second, first) and opens(first, second)


def test_development_key_at_another_path(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "dev.keys"
    ring = KeyRing.development(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert opens(KeyRing.from_file(path), ring)


def test_development_key_file_made_elsewhere_is_reused(tmp_path: Path) -> None:
    a = generate_key()
    path = development_keys_path()
    path.parent.mkdir(parents=True)
    path.write_text(a + "\n")
    assert opens(KeyRing.from_env(dict(os.environ)), KeyRing([a]))


def test_default_keyring_is_read_once(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert tokens.keys._default is None
    a = generate_key()
    monkeypatch.setenv("GLYPHVEIL_KEYS", a)
    ring = default_keyring()
    assert default_keyring() is ring
    monkeypatch.setenv("GLYPHVEIL_KEYS", generate_key())
    assert default_keyring() is ring
    assert opens(ring, KeyRing([a]))
    assert capsys.readouterr().err == ""


def test_default_keyring_falls_back_to_development_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ring = default_keyring()
    assert (development_keys_path()).is_file()
    assert "warning" in capsys.readouterr().err
    assert opens(KeyRing.from_file(development_keys_path()), ring)


# --- the development key belongs to the user; empty and misspelt variables -----------------


def test_development_key_lives_in_the_xdg_data_directory(tmp_path: Path) -> None:
    data = tmp_path / "xdg"
    assert development_keys_path({"XDG_DATA_HOME": str(data)}) == data / "glyphveil" / "dev.keys"
    home = {"HOME": str(tmp_path / "home")}
    expected = tmp_path / "home" / ".local" / "share" / "glyphveil" / "dev.keys"
    assert development_keys_path(home) == expected
    # The XDG spec ignores a relative XDG_DATA_HOME.
    assert development_keys_path({**home, "XDG_DATA_HOME": "relative/dir"}) == expected


def test_the_development_key_is_the_same_from_any_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The site and the service of one developer, started in different folders, agree."""
    (tmp_path / "site").mkdir()
    (tmp_path / "service").mkdir()
    monkeypatch.chdir(tmp_path / "site")
    site = KeyRing.from_env(dict(os.environ))
    monkeypatch.chdir(tmp_path / "service")
    service = KeyRing.from_env(dict(os.environ))
    assert opens(service, site)
    assert not (tmp_path / "site" / ".glyphveil").exists()


@pytest.mark.parametrize("name", ["GLYPHVEIL_KEYS", "GLYPHVEIL_KEYS_FILE"])
@pytest.mark.parametrize("value", ["", "  "])
def test_a_key_variable_set_but_empty_is_an_error(name: str, value: str, tmp_path: Path) -> None:
    with pytest.raises(KeyConfigError) as info:
        KeyRing.from_env({**os.environ, name: value})
    assert str(info.value) == (
        f"{name} is set but empty: give it the keys, or unset it to use the development key"
    )
    assert not development_keys_path().exists()


@pytest.mark.parametrize(
    ("name", "meant"),
    [
        ("GLYPHVEIL_KEY", "GLYPHVEIL_KEYS"),
        ("GLYPHVIEL_KEYS", "GLYPHVEIL_KEYS"),
        ("glyphveil_keys", "GLYPHVEIL_KEYS"),
        ("GLYPHVEIL_KEY_FILE", "GLYPHVEIL_KEYS_FILE"),
        ("GLYPHVEIL_KEYS_PATH", "GLYPHVEIL_KEYS_FILE"),
    ],
)
def test_a_misspelt_key_variable_is_named_instead_of_using_the_development_key(
    name: str, meant: str
) -> None:
    key = generate_key()
    for env in ({name: key}, {name: key, "GLYPHVEIL_ENV": "production"}):
        with pytest.raises(KeyConfigError) as info:
            KeyRing.from_env({**os.environ, **env})
        message = str(info.value)
        assert message == (
            f"{name} is set, but keys are read from GLYPHVEIL_KEYS or GLYPHVEIL_KEYS_FILE: "
            f"did you mean {meant}?"
        )
        assert key not in message
    assert not development_keys_path().exists()
    # With the keys given, another variable is none of their business.
    ring = KeyRing.from_env({"GLYPHVEIL_KEYS": key, name: "x"})
    assert opens(ring, KeyRing([key]))


def test_other_service_variables_are_not_taken_for_misspellings() -> None:
    from server.config import SETTINGS

    env = {**os.environ, **{setting.env: "1" for setting in SETTINGS}}
    env.pop("GLYPHVEIL_KEYS", None)
    env.pop("GLYPHVEIL_KEYS_FILE", None)
    KeyRing.from_env(env)  # the development key, no error


# --- keys file: trailing comments, errors naming the line and the problem ------------------


def test_keys_file_accepts_a_comment_after_a_key(tmp_path: Path) -> None:
    a, b = generate_key(), generate_key()
    path = tmp_path / "keys"
    path.write_text(f"{a}  # added in December\n{b}\t#old one\n{a[:1]}{a[1:]}# no space\n")
    ring = KeyRing.from_file(path)
    assert [k.key_id for k in ring.keys][:2] == [Key.parse(a, "t").key_id, Key.parse(b, "t").key_id]


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ('"{key}"', "it is in quotes; write the key without them"),
        ("'{key}'  # quoted", "it is in quotes; write the key without them"),
        ("{key} {key}", "it holds a space; write one key per line, or separate keys with commas"),
        ("{key}=", "it ends in '=' padding; write the key without it"),
        ("{short}", "40 characters"),
        ("{plus}", "a character outside A-Z, a-z, 0-9, - and _"),
    ],
)
def test_keys_file_error_names_the_line_and_the_problem(
    tmp_path: Path, line: str, problem: str
) -> None:
    key = generate_key()
    text = line.format(key=key, short=key[:40], plus=key[:-1] + "+")
    path = tmp_path / "keys"
    path.write_text(f"# keys\n{generate_key()}\n\n{text}\n")
    with pytest.raises(KeyConfigError) as info:
        KeyRing.from_env({"GLYPHVEIL_KEYS_FILE": str(path)})
    message = str(info.value)
    assert message.startswith(f"GLYPHVEIL_KEYS_FILE {path}: line 4: malformed key: {problem} (")
    assert message.endswith("make one with `glyphveil keygen`)")
    assert key[:10] not in message and key[-10:] not in message
