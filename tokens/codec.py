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

import base64
import binascii
import hashlib
import struct
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from cryptography.exceptions import InvalidTag

from .errors import ExpiredToken, InvalidToken, OptionError
from .keys import KeyRing
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


@dataclass(frozen=True, slots=True)
class Payload:
    """What a token carries.

    ``seed`` is a secret keyed hash of the text and options, for the renderer's noise.
    """

    text: str
    options: RenderOptions
    expires_at: datetime | None = None
    seed: bytes = field(default=b"", repr=False, compare=False)

    def to_dict(self) -> dict[str, object]:
        """JSON-friendly view without the seed."""
        return {
            "text": self.text,
            "options": self.options.to_dict(),
            "expires_at": None if self.expires_at is None else self.expires_at.isoformat(),
        }


def _pack_options(options: RenderOptions, expiry: int | None) -> bytes:
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
    if expiry is not None:
        flags |= F_EXPIRY
        fields += struct.pack(">I", expiry)
    return bytes([flags]) + fields


def _expiry(ttl: float | timedelta | None, now: float | None) -> int | None:
    if ttl is None:
        return None
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
        data = text.encode("utf-8", "strict")
    except UnicodeEncodeError:
        raise OptionError("text is not valid Unicode (it holds a lone surrogate)") from None
    if not 1 <= len(data) <= MAX_TEXT_BYTES:
        raise OptionError(f"text must be 1 to {MAX_TEXT_BYTES} UTF-8 bytes, not {len(data)}")
    plain = b"".join(
        (
            _pack_options(options, _expiry(ttl, now)),
            bytes([len(data) - 1]),
            data.ljust(_BUCKET_OF[len(data)], b"\0"),
        )
    )
    key = keyring.current
    header = bytes([VERSION]) + key.key_id
    sealed = key.cipher.encrypt(plain, [header])
    return base64.urlsafe_b64encode(header + sealed).rstrip(b"=").decode("ascii")


def _b64decode(token: str) -> bytes:
    if not 0 < len(token) <= MAX_TOKEN_CHARS or not token.isascii():
        raise InvalidToken
    raw = token.encode("ascii")
    try:
        data = base64.urlsafe_b64decode(raw + b"=" * (-len(raw) % 4))
    except (ValueError, binascii.Error):
        raise InvalidToken from None
    # Only the canonical spelling passes: no padding, stray characters or spare bits.
    if base64.urlsafe_b64encode(data).rstrip(b"=") != raw:
        raise InvalidToken
    return data


def unseal(token: str, keyring: KeyRing, *, now: float | None = None) -> Payload:
    """Verify and decrypt ``token``; raise :class:`InvalidToken` or :class:`ExpiredToken`."""
    data = _b64decode(token)
    if len(data) < HEADER_BYTES + SIV_BYTES + 2 + BUCKETS[0] or data[0] != VERSION:
        raise InvalidToken
    header, sealed = data[:HEADER_BYTES], data[HEADER_BYTES:]
    for key in keyring.candidates(header[1:]):
        try:
            plain = key.cipher.decrypt(sealed, [header])
        except InvalidTag:
            continue
        options, expiry, text, body = _unpack(plain)
        seed = hashlib.blake2b(body, key=key.noise_key, digest_size=16).digest()
        break
    else:
        raise InvalidToken
    expires_at = None if expiry is None else datetime.fromtimestamp(expiry, UTC)
    if expiry is not None and (time.time() if now is None else now) >= expiry:
        assert expires_at is not None
        raise ExpiredToken(expires_at)
    return Payload(text, options, expires_at, seed)


_options_cache: dict[bytes, RenderOptions] = {}


def _parse_options(fields: bytes) -> RenderOptions:
    """Options from ``flags || fields`` (without expiry); cached, since sites reuse a few sets."""
    try:
        return _options_cache[fields]
    except KeyError:
        pass
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


def _unpack(plain: bytes) -> tuple[RenderOptions, int | None, str, bytes]:
    """Parse an authenticated plaintext; returns options, expiry, text and the bytes to seed from.

    The seed bytes leave out the expiry, so tokens of the same text and options made at
    different times render the same noise and cannot be averaged against each other.
    """
    try:
        flags = plain[0]
        fields_end = _FIELDS_END[flags]
        options = _parse_options(bytes([flags & ~F_EXPIRY]) + plain[1:fields_end])
        expiry, pos = None, fields_end
        if flags & F_EXPIRY:
            (expiry,), pos = struct.unpack_from(">I", plain, pos), pos + 4
        length = plain[pos] + 1
        if len(plain) != pos + 1 + _BUCKET_OF[length] or plain[pos + 1 + length :].strip(b"\0"):
            raise ValueError
        text = plain[pos + 1 : pos + 1 + length].decode("utf-8")
    except (IndexError, ValueError, struct.error, TypeError):
        raise InvalidToken from None  # authentic but not well formed: same answer as forged
    seed_body = bytes([flags & ~F_EXPIRY]) + plain[1:fields_end] + plain[pos:]
    return options, expiry, text, seed_body
