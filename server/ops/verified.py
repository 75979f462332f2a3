"""A bounded LRU of tokens already verified, so that a cache hit skips the decryption.

It maps a token string to what serving a cache hit needs: the render seed (part of the
image cache key), the expiry and the image's size in CSS px (which admission counts on
a miss, and which the image shows anyway). It holds neither the text nor the options. A token is
stored only after :func:`tokens.decode` accepted it, so a bad token is never remembered
as good, and the expiry is checked on every look-up, so an expired token is refused
exactly as a fresh decode would refuse it. The entries belong to one key ring: given
another :class:`~tokens.KeyRing` object (a key reload builds a new one), the memo starts
empty, so a token under a removed key is refused at once.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime

from tokens import ExpiredToken, KeyRing, Payload, decode, image_size

__all__ = ["VerifiedToken", "VerifiedTokens"]


@dataclass(frozen=True, slots=True)
class VerifiedToken:
    """What a verified token gives a request: its render seed, expiry (POSIX seconds)
    and image size in CSS px."""

    seed: bytes
    expires_at: float | None
    size: tuple[int, int]

    def pixels(self, density: int) -> int:
        """The image's area in device px at ``density``: what admission counts."""
        width, height = self.size
        return width * height * density * density


class VerifiedTokens:
    """At most ``max_items`` verified tokens, least recently used dropped first.

    A valid token is a few hundred characters at most (its text is capped at
    :data:`tokens.MAX_TEXT_BYTES`), so 4,096 entries stay around 2 MB.
    """

    def __init__(self, max_items: int = 4096) -> None:
        if max_items < 1:
            raise ValueError("max_items must be at least 1")
        self.max_items = max_items
        self._items: OrderedDict[str, VerifiedToken] = OrderedDict()
        self._keyring: KeyRing | None = None

    def __len__(self) -> int:
        return len(self._items)

    def verify(self, token: str, keyring: KeyRing, *, now: float | None = None) -> VerifiedToken:
        """The seed and expiry of ``token``, or :class:`~tokens.InvalidToken` or
        :class:`~tokens.ExpiredToken` as :func:`tokens.decode` raises them.

        ``now`` stands in for the clock, as in :func:`tokens.decode`.
        """
        return self.verify_with_payload(token, keyring, now=now)[0]

    def verify_with_payload(
        self, token: str, keyring: KeyRing, *, now: float | None = None
    ) -> tuple[VerifiedToken, Payload | None]:
        """As :meth:`verify`, with the decoded payload when this call decoded the token
        (it was not remembered), so that the request that follows draws from it instead
        of decoding again; None for a remembered token. The payload is not kept here.
        """
        if keyring is not self._keyring:
            self._items.clear()
            self._keyring = keyring
        known = self._items.get(token)
        if known is None:
            payload = decode(token, keyring=keyring, now=now)  # raises before anything is kept
            expires = None if payload.expires_at is None else payload.expires_at.timestamp()
            size = image_size(payload.text, payload.options)
            known = VerifiedToken(payload.seed, expires, size)
            self._items[token] = known
            if len(self._items) > self.max_items:
                self._items.popitem(last=False)
            return known, payload
        expires_at = known.expires_at
        if expires_at is not None and (time.time() if now is None else now) >= expires_at:
            del self._items[token]
            raise ExpiredToken(datetime.fromtimestamp(expires_at, UTC))
        self._items.move_to_end(token)
        return known, None
