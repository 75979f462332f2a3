"""The exceptions of :mod:`tokens`, all under :class:`TokenError`."""

from __future__ import annotations

from datetime import datetime

__all__ = [
    "ChallengeLimit",
    "ExpiredToken",
    "InvalidChallenge",
    "InvalidToken",
    "KeyConfigError",
    "OptionError",
    "TokenError",
]


class TokenError(Exception):
    """Base class of every error raised by :mod:`tokens`."""


class InvalidToken(TokenError):
    """The token is malformed, forged, truncated, or made under a key or version we do not hold.

    The message is deliberately the same for every cause, so that nothing downstream
    can turn it into an oracle.
    """

    def __init__(self) -> None:
        super().__init__("invalid token")


class ExpiredToken(TokenError):
    """The token is authentic but its expiry has passed."""

    def __init__(self, expired_at: datetime) -> None:
        super().__init__(f"token expired at {expired_at.isoformat()}")
        self.expired_at = expired_at


class OptionError(TokenError, ValueError):
    """A text or render option cannot be encoded (unknown font, size out of range, bad colour)."""


class KeyConfigError(TokenError):
    """Keys are missing or malformed. The message names the variable or file, never the key."""


class InvalidChallenge(TokenError):
    """A reveal challenge failed: forged, expired, for another token or client, already
    spent, or its nonce does not meet the difficulty. One message for every cause."""

    def __init__(self) -> None:
        super().__init__("challenge failed")


class ChallengeLimit(TokenError):
    """Too many challenges are spent and unexpired to remember another: refuse, rather
    than forget one that could then be replayed. ``retry_after`` is in seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many challenges in flight; retry after {retry_after} s")
        self.retry_after = retry_after
