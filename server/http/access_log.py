"""The access log: one line per request in a short or full format, or none.

Formatting and emitting a line costs more than answering a cached image, so the short
format is a plain ``%``-style message with five fields (no timestamp of its own: the
log handler adds one), and ``off`` skips it for a proxy that already logs requests.
The line holds the request path, so a token (never its text) appears in it.
"""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

__all__ = ["FULL_FORMAT", "ShortAccessLogger", "access_log_args"]

#: aiohttp's atoms for ``full``: the common log format plus referrer, agent and seconds.
FULL_FORMAT = '%a %t "%r" %s %b "%{Referer}i" "%{User-Agent}i" %Tf'


class ShortAccessLogger(AbstractAccessLogger):
    """``client "METHOD /path?query" status bytes seconds``, formatted only if emitted."""

    @property
    def enabled(self) -> bool:
        """False below INFO, so aiohttp does not even call :meth:`log`."""
        return self.logger.isEnabledFor(logging.INFO)

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        self.logger.info(
            '%s "%s %s" %d %d %.6f',
            request.remote,
            request.method,
            request.path_qs,
            response.status,
            response.body_length,
            time,
        )


def access_log_args(setting: str) -> dict[str, Any]:
    """The request handler's arguments for the ``access_log`` setting (off, short, full);
    they override the runner's, so ``python -m server`` and gunicorn log alike."""
    if setting == "off":
        return {"access_log": None}
    logger = logging.getLogger("aiohttp.access")
    if setting == "short":
        return {"access_log": logger, "access_log_class": ShortAccessLogger}
    if setting == "full":
        return {"access_log": logger, "access_log_format": FULL_FORMAT}
    raise ValueError(f"unknown access_log setting {setting!r}")
