"""The exceptions of :mod:`server`, all under :class:`ServerError`."""

from __future__ import annotations

__all__ = ["ConfigError", "RequestError", "ServerError"]


class ServerError(Exception):
    """Base class of every error raised by :mod:`server`."""


class ConfigError(ServerError):
    """A setting is missing or malformed; the message names the variable or flag."""


class RequestError(ServerError, ValueError):
    """A client asked for something we will not draw; the message is a one-line reason.

    Answered with 400. The message never quotes protected text.
    """
