"""Django: add ``"tokens.middleware.django.RewriteMiddleware"`` to ``MIDDLEWARE``.

It reads ``BASE_URL``, ``KEYS`` and ``DEFAULTS`` from ``settings.GLYPHVEIL`` (as the
template tags do) and the rewriter's own settings from ``settings.GLYPHVEIL_REWRITE``,
the keyword arguments of :class:`tokens.rewrite.Rewriter`::

    GLYPHVEIL_REWRITE = {"region": "GB", "phone_options": {"font": "mono"}}

Put it above ``GZipMiddleware`` in the list (so it sees the page before it is
compressed; below works too, at the cost of a decompression). A
``StreamingHttpResponse`` goes out as it is, with one log line; ``response["X-Glyphveil"]
= "off"`` leaves one answer alone. See :mod:`tokens.middleware` for the rules.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponseBase

from ..errors import TokenError
from ..keys import KeyRing, default_keyring
from ..options import OPTION_NAMES
from ..rewrite import Rewriter
from . import (
    DEFAULT_MAX_BYTES,
    OPT_OUT_HEADER,
    is_html,
    log_path,
    logger,
    opted_out,
    rewrite_body,
)

__all__ = ["RewriteMiddleware", "rewriter_from_settings"]

#: What ``settings.GLYPHVEIL["DEFAULTS"]`` may give the rewriter besides render options.
_IMAGE_SETTINGS = ("densities", "css_class", "format", "ttl", "reveal")


def rewriter_from_settings() -> Rewriter:
    """The :class:`Rewriter` that ``settings.GLYPHVEIL`` and ``GLYPHVEIL_REWRITE`` describe."""
    config = getattr(settings, "GLYPHVEIL", None)
    if not isinstance(config, Mapping) or "BASE_URL" not in config:
        raise ImproperlyConfigured(
            'settings.GLYPHVEIL must be a dict with "BASE_URL", where the glyphveil service '
            'answers, such as {"BASE_URL": "https://img.example.com"}'
        )
    extra = getattr(settings, "GLYPHVEIL_REWRITE", None) or {}
    if not isinstance(extra, Mapping):
        raise ImproperlyConfigured("settings.GLYPHVEIL_REWRITE must be a dict of Rewriter settings")
    defaults = config.get("DEFAULTS") or {}
    taken = {k: v for k, v in defaults.items() if k in OPTION_NAMES or k in _IMAGE_SETTINGS}
    try:
        return Rewriter(
            config["BASE_URL"], keyring=_keyring(config.get("KEYS")), **{**taken, **extra}
        )
    except (TokenError, TypeError) as exc:
        raise ImproperlyConfigured(f"settings.GLYPHVEIL_REWRITE: {exc}") from None


def _keyring(keys: object) -> KeyRing:
    if keys is None:
        return default_keyring()
    if isinstance(keys, str):
        keys = keys.split(",")
    if not isinstance(keys, list | tuple) or not all(isinstance(k, str) for k in keys):
        raise ImproperlyConfigured('settings.GLYPHVEIL["KEYS"] must be a list of keys')
    try:
        return KeyRing([k.strip() for k in keys if k.strip()], source='settings.GLYPHVEIL["KEYS"]')
    except TokenError as exc:
        raise ImproperlyConfigured(f'settings.GLYPHVEIL["KEYS"]: {exc}') from None


class RewriteMiddleware:
    """Rewrites every HTML answer with the rewriter the settings describe."""

    max_bytes = DEFAULT_MAX_BYTES

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response
        self.rewriter = rewriter_from_settings()

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        skip = opted_out(response.get(OPT_OUT_HEADER))
        if OPT_OUT_HEADER in response:
            del response[OPT_OUT_HEADER]
        if skip or not is_html(response.status_code, response.get("Content-Type")):
            return response
        if getattr(response, "streaming", False):
            logger.info("not rewritten: streamed response %s", log_path(request.path))
            return response
        body: Any = response.content
        if len(body) > self.max_bytes:
            logger.info(
                "not rewritten: larger than %d bytes %s", self.max_bytes, log_path(request.path)
            )
            return response
        done = rewrite_body(
            self.rewriter,
            body,
            content_type=response.get("Content-Type"),
            content_encoding=response.get("Content-Encoding"),
            etag=response.get("ETag"),
            where=log_path(request.path),
            max_bytes=self.max_bytes,
        )
        if done is not None:
            response.content = done.body
            response["Content-Length"] = str(len(done.body))
            if "Content-MD5" in response:
                del response["Content-MD5"]
            if done.etag is not None:
                response["ETag"] = done.etag
        return response
