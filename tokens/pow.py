"""Reveal challenges: a signed, expiring proof of work bound to one token and one client.

Before the reveal service hands out a revealable token's text, the client must solve a
challenge (``docs/tokens.md`` §10)::

    challenge = base64url(body || tag)                               36 bytes, 48 characters
    body      = 0x01 || key id || difficulty || uint32_be(expires) || salt (12 random bytes)
    tag       = HMAC-SHA256(pow_key, body || SHA-256(token) || SHA-256(client))[:16]
    work      : find a nonce with SHA-256(body || tag || uint64_be(nonce)) starting with
                ``difficulty`` zero bits

Nothing is stored when a challenge is issued: the tag proves the service issued it, for
this token and this client, until it expires. Only spent challenges are remembered
(:class:`SpentChallenges`), until they expire, so that each one reveals once.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import math
import secrets
import struct
import time
from collections import deque
from dataclasses import dataclass, field

from .errors import ChallengeLimit, InvalidChallenge
from .keys import Key, KeyRing

__all__ = [
    "CHALLENGE_TTL",
    "MAX_DIFFICULTY",
    "Challenge",
    "SpentChallenges",
    "issue",
    "leading_zero_bits",
    "solve",
    "verify",
    "work_hash",
]

CHALLENGE_VERSION = 1
#: Seconds a challenge stays valid: many times the work's expected duration.
CHALLENGE_TTL = 120
#: The most leading zero bits a challenge may ask for (2**32 hashes is hours of work).
MAX_DIFFICULTY = 32
SALT_BYTES = 12
TAG_BYTES = 16
_BODY = struct.Struct(">B2sBI12s")  # version, key id, difficulty, expires, salt
CHALLENGE_BYTES = _BODY.size + TAG_BYTES  # 36
CHALLENGE_CHARS = 48
MAX_NONCE = 2**64 - 1


@dataclass(frozen=True, slots=True)
class Challenge:
    """A challenge that verified: what :class:`SpentChallenges` needs to remember it."""

    tag: bytes = field(repr=False)
    difficulty: int
    expires: int


def _tag(key: Key, body: bytes, token: str, client: str) -> bytes:
    bound = hashlib.sha256(token.encode()).digest() + hashlib.sha256(client.encode()).digest()
    return hmac.new(key.pow_key, body + bound, hashlib.sha256).digest()[:TAG_BYTES]


def issue(
    token: str,
    client: str,
    key: Key,
    *,
    difficulty: int,
    ttl: int = CHALLENGE_TTL,
    now: float | None = None,
    salt: bytes | None = None,
) -> str:
    """A new challenge for ``token`` asked by ``client`` (its address), signed by ``key``.

    ``now`` stands in for the clock and ``salt`` for the 12 random bytes, for
    reproducible tests and the vectors of ``docs/tokens.md``; never pass a fixed salt
    otherwise.
    """
    if type(difficulty) is not int or not 1 <= difficulty <= MAX_DIFFICULTY:
        raise ValueError(f"difficulty must be 1 to {MAX_DIFFICULTY} bits, not {difficulty!r}")
    if salt is None:
        salt = secrets.token_bytes(SALT_BYTES)
    elif len(salt) != SALT_BYTES:
        raise ValueError(f"salt must be {SALT_BYTES} bytes")
    expires = math.ceil((time.time() if now is None else now) + ttl)
    body = _BODY.pack(CHALLENGE_VERSION, key.key_id, difficulty, expires, salt)
    raw = body + _tag(key, body, token, client)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _decode(challenge: str) -> bytes:
    if not isinstance(challenge, str) or len(challenge) != CHALLENGE_CHARS:
        raise InvalidChallenge
    try:
        raw = base64.urlsafe_b64decode(challenge.encode("ascii"))
    except (UnicodeEncodeError, binascii.Error, ValueError):
        raise InvalidChallenge from None
    # 36 bytes spell exactly 48 characters with no spare bits; reject non-alphabet spellings.
    if base64.urlsafe_b64encode(raw).decode() != challenge:
        raise InvalidChallenge
    return raw


def leading_zero_bits(digest: bytes) -> int:
    """How many zero bits ``digest`` starts with."""
    value = int.from_bytes(digest, "big")
    return len(digest) * 8 - value.bit_length()


def work_hash(challenge: bytes, nonce: int) -> bytes:
    """SHA-256 of the challenge's 36 bytes and the nonce as 8 bytes big-endian."""
    return hashlib.sha256(challenge + nonce.to_bytes(8, "big")).digest()


def verify(
    challenge: str,
    nonce: int,
    token: str,
    client: str,
    keyring: KeyRing,
    *,
    now: float | None = None,
) -> Challenge:
    """Check a solved challenge for ``token`` and ``client``; raise :class:`InvalidChallenge`.

    The tag is compared in constant time under each key with the challenge's key id; the
    expiry and the work are checked after it. Whether it was spent before is
    :class:`SpentChallenges`' question.
    """
    raw = _decode(challenge)
    version, key_id, difficulty, expires, _ = _BODY.unpack_from(raw)
    body, tag = raw[: _BODY.size], raw[_BODY.size :]
    if version != CHALLENGE_VERSION:
        raise InvalidChallenge
    authentic = False
    for key in keyring.by_id.get(key_id, ()):
        authentic |= hmac.compare_digest(_tag(key, body, token, client), tag)
    if not authentic or not 1 <= difficulty <= MAX_DIFFICULTY:
        raise InvalidChallenge
    if (time.time() if now is None else now) >= expires:
        raise InvalidChallenge
    if type(nonce) is not int or not 0 <= nonce <= MAX_NONCE:
        raise InvalidChallenge
    if leading_zero_bits(work_hash(raw, nonce)) < difficulty:
        raise InvalidChallenge
    return Challenge(tag, difficulty, expires)


def solve(challenge: str, *, start: int = 0) -> int:
    """Find the first nonce from ``start`` that meets the challenge's difficulty: what a
    client does, here for tests and the benchmark."""
    raw = _decode(challenge)
    difficulty = raw[3]
    prefix = hashlib.sha256(raw)
    limit = 1 << (256 - difficulty)
    nonce = start
    while True:
        h = prefix.copy()
        h.update(nonce.to_bytes(8, "big"))
        if int.from_bytes(h.digest(), "big") < limit:
            return nonce
        nonce += 1


class SpentChallenges:
    """The tags of spent, unexpired challenges, so that each challenge reveals once.

    Memory is bounded: at most ``capacity`` tags (about 100 bytes each). Expired tags are
    dropped as new ones arrive; when all ``capacity`` are still live, :meth:`spend`
    raises :class:`ChallengeLimit` rather than forget one that could then be replayed.
    """

    def __init__(self, capacity: int = 100_000) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self.capacity = capacity
        self._tags: set[bytes] = set()
        self._order: deque[tuple[int, bytes]] = deque()  # (expires, tag), oldest first

    def __len__(self) -> int:
        return len(self._tags)

    def __contains__(self, challenge: object) -> bool:
        """Whether ``challenge`` (a :class:`Challenge`) was spent and is remembered."""
        return isinstance(challenge, Challenge) and challenge.tag in self._tags

    def spend(self, challenge: Challenge, *, now: float | None = None) -> None:
        """Remember ``challenge`` as spent; :class:`InvalidChallenge` if it already was."""
        current = time.time() if now is None else now
        # Every challenge lives CHALLENGE_TTL from its issue, so expiries arrive almost in
        # order; one issued with a shorter ttl only waits behind the others a little.
        while self._order and self._order[0][0] <= current:
            self._tags.discard(self._order.popleft()[1])
        if challenge.tag in self._tags:
            raise InvalidChallenge
        if len(self._tags) >= self.capacity:
            raise ChallengeLimit(max(1, math.ceil(self._order[0][0] - current)))
        self._tags.add(challenge.tag)
        self._order.append((challenge.expires, challenge.tag))
