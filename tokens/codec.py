"""The token format: a versioned, authenticated, encrypted payload in URL-safe base64.

See ``docs/tokens.md`` for the byte layout. In short::

    token  = base64url(header || siv || ciphertext)        (no padding)
    header = version (0x01) || key id (2 bytes)            (authenticated as associated data)
    plain  = flags || option fields || len(text) - 1 || text || zero padding to a bucket

AES-SIV (RFC 5297) needs no nonce, so tokens stay short and the same payload always gives
the same token, which caches well. The token is verified as one unit before any field of
it is trusted.
"""

from __future__ import annotations

import binascii
import hashlib
import struct
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from cryptography.exceptions import InvalidTag

from .errors import ExpiredToken, InvalidToken, OptionError
from .keys import Key, KeyRing
from .options import FONTS, MAX_TEXT_BYTES, Noise, RenderOptions

__all__ = ["VERSION", "Payload", "seal", "unseal"]

VERSION = 1
HEADER_BYTES = 3
SIV_BYTES = 16
BUCKETS = (32, 64, 128, 256)
MAX_TOKEN_CHARS = 400  # longest valid token is 388 characters

F_FONT, F_SIZE, F_COLOR, F_BACKGROUND, F_TRANSPARENT, F_NOISE, F_PADDING, F_EXPIRY = (
    1 << bit for bit in range(8)
)
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
_PADDING = (b"", b"", b"==", b"=")
_B64 = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
# The last character's unused low bits must be zero: only the canonical spelling passes.
_LAST_OK: tuple[frozenset[int], ...] = (
    frozenset(_B64),
    frozenset(),
    frozenset(c for i, c in enumerate(_B64) if i & 0xF == 0),
    frozenset(c for i, c in enumerate(_B64) if i & 0x3 == 0),
)


@dataclass(slots=True)
class Payload:
    """What a token carries: the text, its render options and its expiry, if any.

    Treat it as read-only. :attr:`seed` is a secret keyed hash of the text and options
    (not the expiry) from which the renderer draws its noise.
    """

    text: str
    options: RenderOptions
    expires_at: datetime | None = None
    _seed_key: bytes = field(default=b"", repr=False, compare=False)
    _seed_body: bytes = field(default=b"", repr=False, compare=False)

    @property
    def seed(self) -> bytes:
        """16 bytes of BLAKE2b keyed with the decrypting key's noise subkey."""
        return hashlib.blake2b(self._seed_body, key=self._seed_key, digest_size=16).digest()

    def to_dict(self) -> dict[str, object]:
        """JSON-friendly view without the seed."""
        return {
            "text": self.text,
            "options": self.options.to_dict(),
            "expires_at": None if self.expires_at is None else self.expires_at.isoformat(),
        }


_packed: dict[RenderOptions, bytes] = {}


def _pack_options(options: RenderOptions) -> bytes:
    """``flags || fields`` for the options that differ from the defaults (no expiry)."""
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
    return bytes([flags]) + fields


def _expiry(ttl: float | timedelta, now: float | None) -> int:
    seconds = ttl.total_seconds() if isinstance(ttl, timedelta) else ttl
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not 0 < seconds < 1e30:
        raise OptionError(f"bad ttl {ttl!r}: use a positive number of seconds")
    expiry = int((time.time() if now is None else now) + seconds)
    if not 0 <= expiry <= _EXPIRY_MAX:
        raise OptionError(f"bad ttl {ttl!r}: expiry must fall between 1970 and 2106")
    return expiry


def seal(
    text: str,
    keyring: KeyRing,
    options: RenderOptions = _DEFAULT,
    *,
    ttl: float | timedelta | None = None,
    now: float | None = None,
) -> str:
    """Encrypt and sign ``text`` with its render options into a URL-safe token.

    ``now`` stands in for the clock when computing the expiry (for reproducible tokens).
    """
    if not isinstance(text, str):
        raise OptionError(f"text must be str, not {type(text).__name__}")
    try:
        data = text.encode()
    except UnicodeEncodeError:
        raise OptionError("text is not valid Unicode (it holds a lone surrogate)") from None
    size = len(data)
    if not 0 < size <= MAX_TEXT_BYTES:
        raise OptionError(f"text must be 1 to {MAX_TEXT_BYTES} UTF-8 bytes, not {size}")
    fields = _packed.get(options)
    if fields is None:
        fields = _pack_options(options)
        if len(_packed) < 1024:
            _packed[options] = fields
    if ttl is not None:
        expiry = struct.pack(">I", _expiry(ttl, now))
        fields = bytes([fields[0] | F_EXPIRY]) + fields[1:] + expiry
    key = keyring.current
    sealed = key.cipher.encrypt(
        fields + _LENGTH_BYTE[size] + data + _ZEROS[_BUCKET_OF[size] - size],
        key.associated_data,
    )
    raw = binascii.b2a_base64(key.header + sealed, newline=False)
    return raw.rstrip(b"=").translate(_TO_URLSAFE).decode()


def _b64decode(token: str) -> bytes:
    """Strict URL-safe base64 without padding: one spelling per byte string."""
    if not 0 < len(token) <= MAX_TOKEN_CHARS or not token.isascii():
        raise InvalidToken
    raw = token.encode()
    tail = len(raw) & 3
    if raw[-1] not in _LAST_OK[tail]:
        raise InvalidToken  # spare bits set, or a length no byte string encodes to
    try:
        return binascii.a2b_base64(raw.translate(_FROM_URLSAFE) + _PADDING[tail], strict_mode=True)
    except binascii.Error:
        raise InvalidToken from None


def unseal(token: str, keyring: KeyRing, *, now: float | None = None) -> Payload:
    """Verify and decrypt ``token``; raise :class:`InvalidToken` or :class:`ExpiredToken`."""
    data = _b64decode(token)
    if len(data) < HEADER_BYTES + SIV_BYTES + 2 + BUCKETS[0] or data[0] != VERSION:
        raise InvalidToken
    sealed = data[HEADER_BYTES:]
    for key in keyring.candidates(data[1:HEADER_BYTES]):
        try:
            plain = key.cipher.decrypt(sealed, key.associated_data)
        except InvalidTag:
            continue
        return _payload(plain, key, now)
    raise InvalidToken


_options_cache: dict[bytes, RenderOptions] = {}


def _parse_options(fields: bytes) -> RenderOptions:
    """Options from ``flags || fields`` (without expiry); cached, since sites reuse a few sets."""
    flags, pos = fields[0], 1
    values: dict[str, object] = {}
    if flags & F_TRANSPARENT and flags & F_BACKGROUND:
        raise ValueError
    if flags & F_FONT:
        values["font"], pos = FONTS[fields[pos]], pos + 1
    if flags & F_SIZE:
        values["size"], pos = fields[pos], pos + 1
    if flags & F_COLOR:
        values["color"], pos = tuple(fields[pos : pos + 3]), pos + 3
    if flags & F_BACKGROUND:
        values["background"], pos = tuple(fields[pos : pos + 3]), pos + 3
    if flags & F_TRANSPARENT:
        values["background"] = None
    if flags & F_NOISE:
        values["noise"], pos = Noise(fields[pos]), pos + 1
    if flags & F_PADDING:
        values["padding"], pos = fields[pos], pos + 1
    options = RenderOptions(**values)  # type: ignore[arg-type]
    if len(_options_cache) < 1024:
        _options_cache[fields] = options
    return options


def _payload(plain: bytes, key: Key, now: float | None) -> Payload:
    """Parse an authenticated plaintext. Malformed is answered like forged: InvalidToken.

    The seed leaves out the expiry, so tokens of the same text and options made at
    different times render the same noise and cannot be averaged against each other.
    """
    try:
        flags = plain[0]
        pos = _FIELDS_END[flags]
        if flags & F_EXPIRY:
            options_bytes = bytes([flags ^ F_EXPIRY]) + plain[1:pos]
            (expiry,) = struct.unpack_from(">I", plain, pos)
            text_at = pos + 4
        else:
            options_bytes, expiry, text_at = plain[:pos], None, pos
        options = _options_cache.get(options_bytes) or _parse_options(options_bytes)
        size = plain[text_at] + 1
        end = text_at + 1 + size
        if len(plain) != text_at + 1 + _BUCKET_OF[size] or plain[end:].strip(b"\0"):
            raise ValueError
        text = plain[text_at + 1 : end].decode()
    except (IndexError, ValueError, struct.error, TypeError):
        raise InvalidToken from None
    expires_at = None
    if expiry is not None:
        expires_at = datetime.fromtimestamp(expiry, UTC)
        if (time.time() if now is None else now) >= expiry:
            raise ExpiredToken(expires_at)
    return Payload(text, options, expires_at, key.noise_key, options_bytes + plain[text_at:])
