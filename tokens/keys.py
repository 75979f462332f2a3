"""Keys: where they come from, how they rotate, and what is derived from each.

A key is 32 random bytes written as URL-safe base64 without padding (43 characters).
The first key of a :class:`KeyRing` encrypts; every key decrypts, so a new key can be
put in front while the old one still opens the tokens already in pages.
"""

from __future__ import annotations

import base64
import binascii
import difflib
import os
import secrets
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESSIV
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from .colors import ASCII_WHITESPACE
from .errors import KeyConfigError

__all__ = [
    "Key",
    "KeyRing",
    "default_keyring",
    "development_keys_path",
    "generate_key",
    "header_key_id",
]

#: The token format's version, the first byte of every token's header.
VERSION = 1
KEY_BYTES = 32
KEY_ID_BYTES = 2
#: The variables that give the keys; a name close to one of them is taken for a misspelling.
KEY_VARIABLES = ("GLYPHVEIL_KEYS", "GLYPHVEIL_KEYS_FILE")
#: The characters of a key's text form: URL-safe base64.
KEY_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
KEYGEN_HINT = "make one with `glyphveil keygen`"


def development_keys_path(environ: Mapping[str, str] | None = None) -> Path:
    """Where the development key lives: ``$XDG_DATA_HOME/glyphveil/dev.keys``, by default
    ``~/.local/share/glyphveil/dev.keys``.

    One key per user, not per folder, so a developer's site and service agree wherever
    each of them runs. A relative ``XDG_DATA_HOME`` is ignored, as the XDG spec says.
    """
    env = os.environ if environ is None else environ
    data_home = env.get("XDG_DATA_HOME", "")
    if not data_home or not os.path.isabs(data_home):
        home = env.get("HOME") or str(Path.home())
        data_home = os.path.join(home, ".local", "share")
    return Path(data_home) / "glyphveil" / "dev.keys"


def generate_key() -> str:
    """A new random key in its text form."""
    return base64.urlsafe_b64encode(secrets.token_bytes(KEY_BYTES)).rstrip(b"=").decode()


def header_key_id(token: str) -> bytes | None:
    """The key id a token's header names, or None if it has no version-1 header.

    Unauthenticated, like everything before decryption: only for telling an operator
    which key a rejected token claims to be sealed with (key ids are public: every
    token carries one). The header's 3 bytes are the token's first 4 characters.
    """
    try:
        header = base64.urlsafe_b64decode(token[:4])
    except (ValueError, binascii.Error, TypeError):
        return None
    if len(header) != 1 + KEY_ID_BYTES or header[0] != VERSION:
        return None
    return header[1:]


def _derive(secret: bytes, purpose: bytes, length: int) -> bytes:
    hkdf = HKDF(
        algorithm=hashes.SHA256(), length=length, salt=None, info=b"glyphveil/v1/" + purpose
    )
    return hkdf.derive(secret)


@dataclass(frozen=True, eq=False)
class Key:
    """One key and the subkeys derived from it with HKDF-SHA256."""

    key_id: bytes
    cipher: AESSIV = field(repr=False)
    noise_key: bytes = field(repr=False)
    #: Signs reveal challenges (:mod:`tokens.pow`). A key built by hand rather than by
    #: :meth:`parse` gets a random one, so its challenges verify in this process only.
    pow_key: bytes = field(default=b"", repr=False)
    #: The token header: the version and the key id.
    header: bytes = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "header", bytes([VERSION]) + self.key_id)
        if not self.pow_key:
            object.__setattr__(self, "pow_key", secrets.token_bytes(32))

    @classmethod
    def parse(cls, text: str, source: str) -> Key:
        """Read a key's text form; ``source`` names where it came from for the error message.

        Surrounding ASCII whitespace (tab, LF, FF, CR, space) is ignored; anything else
        must be the canonical 43 characters (``docs/tokens.md`` §1). The error says what
        is wrong (quoted, too short, a character outside the alphabet) and never shows
        the key.
        """
        if not isinstance(text, str):
            raise KeyConfigError(f"{source}: malformed key (not a string; {KEYGEN_HINT})")
        text = text.strip(ASCII_WHITESPACE)
        problem = _key_problem(text)
        if problem is not None:
            raise KeyConfigError(
                f"{source}: malformed key: {problem} "
                f"(expected 43 characters of URL-safe base64; {KEYGEN_HINT})"
            )
        secret = base64.urlsafe_b64decode(text + "=")
        return cls(
            key_id=_derive(secret, b"key-id", KEY_ID_BYTES),
            cipher=AESSIV(_derive(secret, b"aes-siv", 64)),
            noise_key=_derive(secret, b"noise", 32),
            pow_key=_derive(secret, b"pow", 32),
        )


class KeyRing:
    """An ordered set of keys: the first encrypts, all decrypt."""

    def __init__(self, keys: Iterable[str | Key], *, source: str = "keys") -> None:
        parsed = [k if isinstance(k, Key) else Key.parse(k, source) for k in keys]
        if not parsed:
            raise KeyConfigError(f"{source}: no keys given")
        self.keys: tuple[Key, ...] = tuple(parsed)
        #: Keys by key id; a list holds several only when two ids collide.
        self.by_id: dict[bytes, list[Key]] = {}
        for key in self.keys:
            self.by_id.setdefault(key.key_id, []).append(key)
        #: The first key of each list by whole token header (version and key id):
        #: decoding tries it, then the rest of its list in :attr:`by_id`.
        self.by_header: dict[bytes, Key] = {ids[0].header: ids[0] for ids in self.by_id.values()}

    @property
    def current(self) -> Key:
        """The key that encrypts new tokens."""
        return self.keys[0]

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> KeyRing:
        """Keys from ``GLYPHVEIL_KEYS`` or ``GLYPHVEIL_KEYS_FILE``, else the development key.

        Setting both is an error, so a rotation never edits a file that is silently
        ignored. ``GLYPHVEIL_ENV`` is ``development`` (the default) or ``production``,
        where a missing key is an error instead; any other value is an error, so a
        misspelt ``prod`` never runs on the development key. Nor does a variable set but
        empty (``GLYPHVEIL_KEYS=``) or misspelt (``GLYPHVEIL_KEY=``): both are errors.
        """
        env = os.environ if environ is None else environ
        mode = _mode(env.get("GLYPHVEIL_ENV", ""))
        listed = env.get("GLYPHVEIL_KEYS", "").strip()
        filed = env.get("GLYPHVEIL_KEYS_FILE", "").strip()
        if listed and filed:
            raise KeyConfigError(
                "GLYPHVEIL_KEYS and GLYPHVEIL_KEYS_FILE are both set: set only one "
                "(the file, to rotate keys without a restart)"
            )
        if listed:
            return cls(_split(listed.split(",")), source="GLYPHVEIL_KEYS")
        if filed:
            path = Path(filed)
            return cls.from_file(path, source=f"GLYPHVEIL_KEYS_FILE {path}")
        for name in KEY_VARIABLES:
            if name in env:
                raise KeyConfigError(
                    f"{name} is set but empty: give it the keys, or unset it to use "
                    "the development key"
                )
        misspelt = _misspelt_key_variables(env)
        if misspelt:
            name, meant = misspelt[0]
            raise KeyConfigError(
                f"{name} is set, but keys are read from {' or '.join(KEY_VARIABLES)}: "
                f"did you mean {meant}?"
            )
        if mode == "production":
            raise KeyConfigError(
                "GLYPHVEIL_ENV=production needs GLYPHVEIL_KEYS or GLYPHVEIL_KEYS_FILE to be set"
            )
        return cls.development(development_keys_path(env))

    @classmethod
    def from_file(cls, path: Path, *, source: str | None = None) -> KeyRing:
        """One key per line; blank lines are skipped, and ``#`` starts a comment, on a
        line of its own or after the key (``KEY  # added in December``).

        An error names the line: ``keys: line 3: malformed key: it is in quotes; ...``.
        """
        source = source or str(path)
        try:
            lines = path.read_text(encoding="ascii").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else "not ASCII text"
            raise KeyConfigError(f"{source}: cannot read ({reason})") from None
        keys = []
        for number, line in enumerate(lines, start=1):
            text = line.split("#", 1)[0].strip(ASCII_WHITESPACE)
            if text:
                keys.append(Key.parse(text, f"{source}: line {number}"))
        return cls(keys, source=source)

    @classmethod
    def development(cls, path: Path | None = None) -> KeyRing:
        """The development key at ``path`` (:func:`development_keys_path` by default),
        created on first use, with a warning on stderr."""
        path = development_keys_path() if path is None else path
        if not path.exists():
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            # Write the key aside, then link it into place: readers never see a half file.
            draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
            fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="ascii") as handle:
                handle.write("# glyphveil development key: never use it in production\n")
                handle.write(generate_key() + "\n")
            try:
                os.link(draft, path)
            except FileExistsError:
                pass  # another process created it first; use theirs
            else:
                print(f"glyphveil: created a development key in {path}", file=sys.stderr)
            finally:
                draft.unlink()
        print(
            f"glyphveil: warning: using the development key in {path}; "
            "set GLYPHVEIL_KEYS or GLYPHVEIL_KEYS_FILE in production",
            file=sys.stderr,
        )
        return cls.from_file(path)


#: The values of ``GLYPHVEIL_ENV``; unset or blank means development.
ENVIRONMENTS = ("development", "production")


def _mode(value: str) -> str:
    mode = value.strip().lower() or "development"
    if mode not in ENVIRONMENTS:
        raise KeyConfigError(
            f"GLYPHVEIL_ENV={value.strip()[:20]!r}: must be development or production"
        )
    return mode


def _split(parts: Iterable[str]) -> list[str]:
    return [part for part in parts if part.strip(ASCII_WHITESPACE)]


def _misspelt_key_variables(env: Mapping[str, str]) -> list[tuple[str, str]]:
    """Variables that look like a misspelling of a key variable, with the one meant."""
    found = []
    for name in sorted(env):
        if name in KEY_VARIABLES or name == "GLYPHVEIL_ENV":
            continue
        upper = name.upper()
        cutoff = 0.0 if upper.startswith("GLYPHVEIL_KEY") else 0.85
        meant = difflib.get_close_matches(upper, KEY_VARIABLES, n=1, cutoff=cutoff)
        if meant:
            path_like = "FILE" in upper or "PATH" in upper
            found.append((name, KEY_VARIABLES[1] if path_like else meant[0]))
    return found


def _key_problem(text: str) -> str | None:
    """What is wrong with a key's text (surrounding whitespace stripped), or None.

    The answer describes the text without quoting it: a key must never reach a log.
    """
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return "it is in quotes; write the key without them"
    if any(c in ASCII_WHITESPACE for c in text):
        return "it holds a space; write one key per line, or separate keys with commas"
    if not text:
        return "it is empty"
    if not set(text) <= KEY_ALPHABET:
        if "=" in text.rstrip("=") or not set(text.rstrip("=")) <= KEY_ALPHABET:
            return "a character outside A-Z, a-z, 0-9, - and _"
        return "it ends in '=' padding; write the key without it"
    if len(text) != 43:
        return f"{len(text)} characters"
    try:
        secret = base64.urlsafe_b64decode(text + "=")
    except (ValueError, binascii.Error):  # pragma: no cover: the alphabet is checked above
        return "not URL-safe base64"
    if base64.urlsafe_b64encode(secret).rstrip(b"=") != text.encode():
        return "not canonical: its last character has stray bits"
    return None


_default: KeyRing | None = None


def default_keyring() -> KeyRing:
    """The process-wide key ring from the environment, read once on first use."""
    global _default
    if _default is None:
        _default = KeyRing.from_env()
    return _default
