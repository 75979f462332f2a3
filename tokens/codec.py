"""The token format: a versioned, authenticated, encrypted payload in URL-safe base64.

See ``docs/tokens.md`` for the byte layout. In short::

    token  = base64url(header || siv || ciphertext)        (no padding)
    header = version (0x01) || key id (2 bytes)
    plain  = flags || option fields || [expiry] || len(text) - 1 || text || zero padding
             || [extensions]

AES-SIV (RFC 5297) needs no nonce, so tokens stay short and the same payload always gives
the same token, which caches well. The token is verified as one unit before any field of
it is trusted.

The header is authenticated by construction rather than as associated data: version 1
is the only one accepted and its keys are derived for version 1 alone (HKDF info
``glyphveil/v1/...``), and the key id only selects the key whose SIV must then verify.
A changed header byte therefore fails like any other, and each token costs one S2V
block less, a tenth of decoding.

The optional extensions byte after the padding (``docs/tokens.md`` §9, §11) marks a
token the service may reveal as text, and one drawn on two lines; tokens without it are
the version 1 tokens unchanged.
"""

from __future__ import annotations

import binascii
import functools
import hashlib
import math
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import NamedTuple, cast

from cryptography.exceptions import InvalidTag

from .errors import ExpiredToken, InvalidToken, OptionError
from .keys import VERSION, Key, KeyRing, default_keyring
from .options import FONTS, MAX_WIDTH, Noise, RenderOptions, max_chars, on_two_lines
from .text import MAX_TEXT_BYTES, check_text, first_refused

__all__ = ["VERSION", "Payload", "expiry_of", "seal", "unseal"]  # VERSION comes from .keys

HEADER_BYTES = 3
BUCKETS = (32, 64, 128, 256)
MAX_TOKEN_CHARS = 400  # longest valid token is 388 characters
MAX_LAYOUTS = 4096  # plaintext heads (options and text length) remembered

F_FONT, F_SIZE, F_COLOR, F_BACKGROUND, F_TRANSPARENT, F_NOISE, F_PADDING, F_EXPIRY = (
    1 << bit for bit in range(8)
)
#: The extensions byte after the padding, present only when not zero. Bit 0 marks a
#: token minted revealable (§9), bit 1 one drawn on two lines (§11); any other bit
#: makes the token invalid.
X_REVEALABLE = 0x01
X_TWO_LINES = 0x02
_EXTENSIONS = {
    (revealable, lines): b"" if not byte else bytes([byte])
    for revealable in (False, True)
    for lines in (1, 2)
    for byte in [(X_REVEALABLE if revealable else 0) | (X_TWO_LINES if lines == 2 else 0)]
}
_DEFAULT = RenderOptions()
_FIELD_BYTES = {F_FONT: 1, F_SIZE: 1, F_COLOR: 3, F_BACKGROUND: 3, F_NOISE: 1, F_PADDING: 1}
#: Where the option fields end, by flags byte.
_FIELDS_END = [1 + sum(n for bit, n in _FIELD_BYTES.items() if flags & bit) for flags in range(256)]
#: The padded size of a text of each length 1..256 (index 0 unused).
_BUCKET_OF = [0] + [next(b for b in BUCKETS if n <= b) for n in range(1, MAX_TEXT_BYTES + 1)]
_EXPIRY_MAX = 2**32 - 1
_LENGTH_BYTE = [b""] + [bytes([n - 1]) for n in range(1, MAX_TEXT_BYTES + 1)]
_ZEROS = [bytes(n) for n in range(MAX_TEXT_BYTES)]
_TO_URLSAFE = bytes.maketrans(b"+/", b"-_")
# '+', '/' and '=' are not in a token's alphabet: map them to a byte strict base64 rejects.
_FROM_URLSAFE = bytes.maketrans(b"-_+/=", b"+/!!!")
_B64 = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
#: The padding that strict base64 needs, by token length mod 4 and last character. It
#: is "!", which strict base64 rejects, when that character is not canonical (its unused
#: low bits are not zero), so that exactly one spelling decodes to given bytes.
_PADDING_AFTER: tuple[tuple[bytes, ...], ...] = tuple(
    tuple(padding if c in _B64 and _B64.index(c) & spare == 0 else b"!" for c in range(256))
    for padding, spare in ((b"", 0), (b"!", 0), (b"==", 0xF), (b"=", 0x3))
)  # no byte string encodes to 4n + 1 characters: any spelling of that length is bad


@dataclass(slots=True)
class Payload:
    """What a token carries: the text, its render options and its expiry, if any.

    Treat it as read-only. :attr:`seed` is a secret keyed hash of the text and options
    (not the expiry, nor the revealable mark; the two-lines mark, which draws another
    image, is in it) from which the renderer draws its noise and the service keys its
    cache.
    ``revealable`` says the site minted it for the reveal service (``docs/tokens.md`` §9).
    """

    text: str = field(repr=False)  # never in a traceback or a log line
    options: RenderOptions = field(default_factory=RenderOptions)
    expires_at: datetime | None = None
    revealable: bool = field(default=False, kw_only=True)
    # Set by unseal() alone; a payload made by hand has no seed.
    _noise_key: bytes = field(default=b"", repr=False, compare=False)
    _plain: bytes = field(default=b"", repr=False, compare=False)  # less its expiry

    @property
    def seed(self) -> bytes:
        """16 bytes of BLAKE2b over the plaintext less its expiry, keyed with the
        decrypting key's noise subkey. Only a payload from :func:`unseal` has one."""
        if not self._plain:
            raise ValueError("only a payload decoded from a token has a seed")
        return hashlib.blake2b(self._plain, key=self._noise_key, digest_size=16).digest()

    @property
    def style(self) -> bytes:
        """16 bytes of BLAKE2b keyed with the decrypting key's noise subkey alone: the
        same for every token of a key, so that all images of a deployment share one
        look and two deployments look different. Only a payload from :func:`unseal`
        has one."""
        if not self._plain:
            raise ValueError("only a payload decoded from a token has a style")
        return hashlib.blake2b(b"style", key=self._noise_key, digest_size=16).digest()

    def to_dict(self) -> dict[str, object]:
        """JSON-friendly view without the seed."""
        return {
            "text": self.text,
            "options": self.options.to_dict(),
            "expires_at": None if self.expires_at is None else self.expires_at.isoformat(),
        }


@functools.lru_cache(maxsize=1024)
def _pack_options(options: RenderOptions) -> tuple[bytes, int]:
    """``flags || fields`` for the options that differ from the defaults (no expiry), and
    the most characters that fit in the widest image the service draws."""
    flags = 0
    fields = bytearray()
    if options.font != _DEFAULT.font:
        flags |= F_FONT
        fields.append(FONTS.index(options.font))
    if options.size != _DEFAULT.size:
        flags |= F_SIZE
        fields.append(options.size)
    if options.color != _DEFAULT.color:
        flags |= F_COLOR
        fields += bytes(options.color)
    if options.background is None:
        flags |= F_TRANSPARENT
    elif options.background != _DEFAULT.background:
        flags |= F_BACKGROUND
        fields += bytes(options.background)
    if options.noise != _DEFAULT.noise:
        flags |= F_NOISE
        fields.append(options.noise)
    if options.padding != _DEFAULT.padding:
        flags |= F_PADDING
        fields.append(options.padding)
    return bytes([flags]) + fields, max_chars(options.size, options.padding)


def _seconds(name: str, value: object) -> float:
    """A finite number of seconds as a float (ints too, as every minter sums doubles)."""
    seconds = value.total_seconds() if isinstance(value, timedelta) else value
    if isinstance(seconds, bool) or not isinstance(seconds, int | float):
        raise OptionError(f"bad {name} {value!r}: use a number of seconds")
    try:
        as_float = float(seconds)
    except OverflowError:
        as_float = math.inf
    if not math.isfinite(as_float):
        raise OptionError(f"bad {name} {value!r}: use a finite number of seconds")
    return as_float


def expiry_of(ttl: float | timedelta, now: float | None = None) -> int:
    """The expiry written for ``ttl`` seconds from ``now`` (default: the clock).

    ``ceil(now + ttl)`` summed as IEEE 754 doubles, as in ``docs/tokens.md`` §4: never a
    second early, and the same in every language. ``ttl`` must be positive and the expiry
    fall within ``now < expiry <= 2**32 - 1`` (2106-02-07T06:28:15Z).
    """
    seconds = _seconds("ttl", ttl)
    if not seconds > 0:
        raise OptionError(f"bad ttl {ttl!r}: use a positive number of seconds")
    start = time.time() if now is None else _seconds("now", now)
    expiry = math.ceil(start + seconds)
    if not 1 <= expiry <= _EXPIRY_MAX:
        raise OptionError(
            f"bad ttl {ttl!r}: the expiry must fall between 1970 and 2106-02-07T06:28:15Z"
        )
    return expiry


def seal(
    text: str,
    keyring: KeyRing,
    options: RenderOptions = _DEFAULT,
    *,
    ttl: float | timedelta | None = None,
    now: float | None = None,
    revealable: bool = False,
) -> str:
    """Encrypt and sign ``text`` with its render options into a URL-safe token.

    ``now`` stands in for the clock when computing the expiry (for reproducible tokens).
    ``revealable`` lets the reveal service hand the text to a visitor who asks for it
    (``docs/tokens.md`` §9); the token authenticates that choice.
    """
    if not isinstance(revealable, bool):
        raise OptionError(f"revealable must be True or False, not {revealable!r}")
    data = check_text(text)
    size = len(data)
    fields, most_chars = _pack_options(options)
    if len(text) > most_chars:
        raise OptionError(
            f"text of {len(text)} characters at size {options.size} could be wider than the "
            f"{MAX_WIDTH} px the service draws: use a smaller size or a shorter text"
        )
    if ttl is not None:
        expiry = struct.pack(">I", expiry_of(ttl, now))
        fields = bytes([fields[0] | F_EXPIRY]) + fields[1:] + expiry
    key = keyring.current
    plain = fields + _LENGTH_BYTE[size] + data + _ZEROS[_BUCKET_OF[size] - size]
    plain += _EXTENSIONS[revealable, options.lines]
    raw = binascii.b2a_base64(key.header + key.cipher.encrypt(plain, None), newline=False)
    return raw.rstrip(b"=").translate(_TO_URLSAFE).decode()


def unseal(token: str, *, keyring: KeyRing | None = None, now: float | None = None) -> Payload:
    """Verify and decrypt ``token``; raise :class:`InvalidToken` or :class:`ExpiredToken`.

    Also exported as ``tokens.decode``. ``keyring`` defaults to
    :func:`~tokens.default_keyring` (which raises :class:`KeyConfigError` when no key is
    configured in production); ``now`` stands in for the clock when checking the expiry.
    A token that is not a ``str`` is a :class:`TypeError`.

    Only the canonical spelling of a token passes: strict URL-safe base64 without padding,
    whose last character has no stray low bits. Nothing in it is read before AES-SIV has
    verified it; an authentic but malformed plaintext is answered like a forged one. This
    is the service's hot path: the rare cases (an expiry, colliding key ids, a plaintext
    head not seen before) are left to helper functions.
    """
    if keyring is None:
        keyring = default_keyring()
    try:
        if len(token) > MAX_TOKEN_CHARS:
            raise InvalidToken
        raw = token.encode("ascii")
        padding = _PADDING_AFTER[len(raw) & 3][raw[-1]]
        data = binascii.a2b_base64(raw.translate(_FROM_URLSAFE) + padding, strict_mode=True)
    except (UnicodeEncodeError, binascii.Error, IndexError):
        raise InvalidToken from None
    except (AttributeError, TypeError):
        raise TypeError(f"token must be str, not {type(token).__name__}") from None
    key = keyring.by_header.get(data[:HEADER_BYTES])  # only version 1 headers are there
    if key is None:
        raise InvalidToken
    sealed = data[HEADER_BYTES:]
    try:
        plain = key.cipher.decrypt(sealed, None)
    except InvalidTag:
        plain, key = _decrypt_with_colliding_keys(keyring, key, sealed)
    try:
        expiry = None
        if plain[0] & F_EXPIRY:
            plain, expiry = _split_expiry(plain)
        head = plain[: _FIELDS_END[plain[0]] + 1]  # flags, option fields and text length
        options, split, zeros = _layouts.get(head) or _layout(head)
        revealable = False
        seeded = None
        try:
            text_bytes, padding = split(plain)  # struct.error unless the size is exact
        except struct.error:  # one byte longer: the extensions byte, or a bad token
            extensions = plain[-1]
            plain = _split_extensions(plain)
            text_bytes, padding = split(plain)
            revealable = bool(extensions & X_REVEALABLE)
            if extensions & X_TWO_LINES:
                options = on_two_lines(options)
                seeded = plain + _EXTENSIONS[False, 2]  # another image: another seed (§11)
        if padding != zeros:
            raise ValueError
        text = text_bytes.decode()
        if first_refused(text):
            raise ValueError
    except (IndexError, ValueError, struct.error):
        raise InvalidToken from None
    expires_at = None
    if expiry is not None:
        expires_at = datetime.fromtimestamp(expiry, UTC)
        if (time.time() if now is None else now) >= expiry:
            raise ExpiredToken(expires_at)
    seeded = plain if seeded is None else seeded
    return Payload(text, options, expires_at, key.noise_key, seeded, revealable=revealable)


def _decrypt_with_colliding_keys(keyring: KeyRing, tried: Key, sealed: bytes) -> tuple[bytes, Key]:
    """Try the other keys that share ``tried``'s key id (rare: ids are 16 bits)."""
    for key in keyring.by_id[tried.key_id]:
        if key is tried:
            continue
        try:
            return key.cipher.decrypt(sealed, None), key
        except InvalidTag:
            continue
    raise InvalidToken


def _split_extensions(plain: bytes) -> bytes:
    """The plaintext without its extensions byte, which must set only defined bits and
    at least one of them (ValueError otherwise; the caller then checks the size)."""
    if not plain or not 0 < plain[-1] <= X_REVEALABLE | X_TWO_LINES:
        raise ValueError("unknown extensions")
    return plain[:-1]


def _split_expiry(plain: bytes) -> tuple[bytes, int]:
    """The plaintext without its expiry field (and flag), and the expiry."""
    fields_end = _FIELDS_END[plain[0]]
    (expiry,) = struct.unpack_from(">I", plain, fields_end)
    rest = bytes([plain[0] ^ F_EXPIRY]) + plain[1:fields_end] + plain[fields_end + 4 :]
    return rest, expiry


class _Layout(NamedTuple):
    """What a plaintext's head (flags, option fields, text length) says of the rest."""

    options: RenderOptions
    #: Splits a whole plaintext into its text and its padding, or raises struct.error
    #: unless the plaintext has exactly the head's size.
    split: Callable[[bytes], tuple[bytes, bytes]]
    #: What the padding must be.
    zeros: bytes


#: Layouts by head (without expiry): a plain dict, as the hot path's cheapest look-up.
#: Heads beyond :data:`MAX_LAYOUTS` are worked out for each token, which costs about a
#: quarter of a decode, as the options and splitters they need are remembered apart.
_layouts: dict[bytes, _Layout] = {}
#: Parsed options by their bytes (flags and fields, without expiry).
_options_by_fields: dict[bytes, RenderOptions] = {}
MAX_OPTION_SETS = 1024


def _layout(head: bytes) -> _Layout:
    """Parse a plaintext's head, and remember it for the next token.

    Raises IndexError or ValueError (OptionError) for a head a decoder must reject.
    """
    fields = head[:-1]
    options = _options_by_fields.get(fields)
    if options is None:
        options = _parse_options(fields)
        if len(_options_by_fields) < MAX_OPTION_SETS:
            _options_by_fields[fields] = options
    text_bytes = head[-1] + 1
    padding = _BUCKET_OF[text_bytes] - text_bytes
    layout = _Layout(options, _splitter(len(head), text_bytes, padding), _ZEROS[padding])
    if len(_layouts) < MAX_LAYOUTS:
        _layouts[head] = layout
    return layout


@functools.cache  # at most 12 head sizes by 256 text lengths
def _splitter(skip: int, text_bytes: int, padding: int) -> Callable[[bytes], tuple[bytes, bytes]]:
    """A function that skips a head and splits the rest into text and padding."""
    unpack = struct.Struct(f"{skip}x{text_bytes}s{padding}s").unpack
    return cast("Callable[[bytes], tuple[bytes, bytes]]", unpack)


def _parse_options(fields: bytes) -> RenderOptions:
    """Options from ``flags || fields`` (without expiry).

    Raises IndexError or ValueError (OptionError) for fields a decoder must reject.
    """
    flags, pos = fields[0], 1
    if flags & F_TRANSPARENT and flags & F_BACKGROUND:
        raise ValueError("both an opaque and a transparent background")
    font, size, color, background = (
        _DEFAULT.font,
        _DEFAULT.size,
        _DEFAULT.color,
        _DEFAULT.background,
    )
    noise, padding = _DEFAULT.noise, _DEFAULT.padding
    if flags & F_FONT:
        font, pos = FONTS[fields[pos]], pos + 1
    if flags & F_SIZE:
        size, pos = fields[pos], pos + 1
    if flags & F_COLOR:
        (r, g, b), pos = fields[pos : pos + 3], pos + 3
        color = (r, g, b)
    if flags & F_BACKGROUND:
        (r, g, b), pos = fields[pos : pos + 3], pos + 3
        background = (r, g, b)
    if flags & F_TRANSPARENT:
        background = None
    if flags & F_NOISE:
        noise, pos = Noise(fields[pos]), pos + 1
    if flags & F_PADDING:
        padding, pos = fields[pos], pos + 1
    return RenderOptions(font, size, color, background, noise, padding)
