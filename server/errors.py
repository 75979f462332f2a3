"""The exceptions of :mod:`server`, all under :class:`ServerError`."""

from __future__ import annotations

__all__ = ["ConfigError", "Overloaded", "RequestError", "ServerError"]


class ServerError(Exception):
    """Base class of every error raised by :mod:`server`."""


class ConfigError(ServerError):
    """A setting is missing or malformed; the message names the variable or flag."""


class RequestError(ServerError, ValueError):
    """A client asked for something we will not draw; the message is a one-line reason.

    Answered with 400. The message never quotes protected text.
    """


class Overloaded(ServerError):
    """The render queue is full, or the image was not ready in time: try again shortly.

    Answered with 503 and ``Retry-After`` (seconds), only ever for a cache miss.
    """

    def __init__(self, reason: str, retry_after: int = 1) -> None:
        super().__init__(reason)
        self.retry_after = retry_after
