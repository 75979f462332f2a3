"""The home page: one HTML page that documents both APIs with live examples.

Rendered with Jinja2 from ``templates/home.html`` (loaded once, autoescaped). The
placeholder playground works without JavaScript: the form submits with GET to ``/``
and :func:`preview_url` builds the preview URL from the query, the same way the
page's inline script builds it as the user types.
"""

from __future__ import annotations

import functools
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, unquote

import jinja2
from aiohttp import web

import tokens
from tokens.colors import to_hex
from tokens.options import (
    FONTS,
    MAX_TEXT_BYTES,
    MIN_CONTRAST,
    PADDING_RANGE,
    SIZE_RANGE,
    Noise,
    RenderOptions,
)

from ..config import PlaceholderLimits
from ..render.placeholder import (
    DEFAULT_BACKGROUND,
    DEFAULT_FOREGROUND,
    FORMAT_NAMES,
    PlaceholderError,
    PlaceholderSpec,
)
from ..state import CONFIG, KEYS

__all__ = ["SAMPLE_TEXT", "PlaygroundForm", "home_view", "preview_url"]

#: The harmless demo text of the live token example; it never appears in the page.
SAMPLE_TEXT = "jane.doe@example.com"

_ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).resolve().parent / "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_TEMPLATE = _ENV.get_template("home.html")

#: What ``encodeURIComponent`` leaves alone besides letters, digits and ``_.-~``.
_URI_COMPONENT_SAFE = "!*'()"
_COLOR_SEGMENT = re.compile(r"#?[0-9A-Za-z]{1,32}")
_DEFAULT_BG = to_hex(DEFAULT_BACKGROUND).lstrip("#")

#: Example placeholder URLs and their alt text, all served by this service.
EXAMPLES: tuple[tuple[str, str], ...] = (
    ("/600x200", "Grey 600 by 200 placeholder showing its size"),
    ("/300x200/0b5fff/fff.webp?text=Hello%0AWorld", "Blue placeholder with two lines of text"),
    ("/300x200/transparent/c2185b?text=Transparent", "Placeholder with a transparent background"),
    ("/200@2x/222/eee/gif?font=serif", "Dark square placeholder at twice the pixel density"),
)


@dataclass(frozen=True, slots=True)
class Example:
    """An example image on the page, with its size in CSS px."""

    url: str
    alt: str
    width: int
    height: int
    transparent: bool  # shown on a checkerboard


@functools.lru_cache(maxsize=8)
def _examples(limits: PlaceholderLimits) -> tuple[Example, ...]:
    """The examples that the configured limits allow."""
    shown = []
    for url, alt in EXAMPLES:
        path, _, query = url.partition("?")
        try:
            spec = PlaceholderSpec.parse(unquote(path), dict(parse_qsl(query)), limits)
        except PlaceholderError:
            continue
        transparent = spec.background[3] < 255
        shown.append(Example(url, alt, spec.width, spec.height, transparent))
    return tuple(shown)


def _encode(value: str) -> str:
    """Percent-encode like JavaScript's ``encodeURIComponent``, so both build the same URL."""
    return quote(value, safe=_URI_COMPONENT_SAFE)


@dataclass(frozen=True, slots=True)
class PlaygroundForm:
    """The playground's fields, as typed: the page echoes them back into the form."""

    w: str = "600"
    h: str = "300"
    bg: str = ""
    fg: str = ""
    text: str = ""
    font: str = "sans"
    format: str = "png"
    density: str = "1"

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> PlaygroundForm:
        """Take the known fields from the query (long values are cut short)."""
        defaults = cls()
        values = {f.name: query.get(f.name, getattr(defaults, f.name))[:512] for f in fields(cls)}
        return cls(**values)


def preview_url(form: PlaygroundForm, limits: PlaceholderLimits) -> str:
    """The placeholder URL the form describes; :class:`PlaceholderError` if it is invalid.

    Defaults are left out of the URL: no ``@1x``, no ``.png``, no ``font=sans``. A
    foreground without a background gets the default background in front of it.
    """
    width, height = form.w.strip(), form.h.strip()
    for name, value in (("width", width), ("height", height)):
        if not value.isascii() or not value.isdigit():
            raise PlaceholderError(
                f"{name} must be a whole number of px from 1 to {limits.max_side}"
            )
    density = form.density.strip().removesuffix("x")
    if density not in {str(d) for d in limits.densities}:
        allowed = ", ".join(str(d) for d in sorted(limits.densities))
        raise PlaceholderError(f"density must be one of {allowed}")
    fmt = form.format.strip().lower()
    if fmt not in FORMAT_NAMES:
        raise PlaceholderError(f"format must be one of {', '.join(FORMAT_NAMES)}")
    colors = []
    for name, value in (("background", form.bg.strip()), ("foreground", form.fg.strip())):
        if value and not _COLOR_SEGMENT.fullmatch(value):
            raise PlaceholderError(f"{name} must be hex like ff0000, a CSS name or transparent")
        colors.append(value.removeprefix("#"))
    bg, fg = colors
    path = f"{width}x{height}" + (f"@{density}x" if density != "1" else "")
    if bg or fg:
        path += f"/{bg or _DEFAULT_BG}"
    if fg:
        path += f"/{fg}"
    if fmt != "png":
        path += f".{fmt}"
    font = form.font.strip()
    query = {"text": form.text, "font": font if font != "sans" else ""}
    PlaceholderSpec.parse(path, query, limits)  # the same checks the route makes
    pairs = [f"{name}={_encode(value)}" for name, value in query.items() if value]
    return "/" + path + ("?" + "&".join(pairs) if pairs else "")


def _token_docs() -> dict[str, Any]:
    """The token options table, read from the code so the page never drifts from it."""
    default = RenderOptions()
    return {
        "fonts": FONTS,
        "default_font": default.font,
        "size_range": (SIZE_RANGE.start, SIZE_RANGE.stop - 1),
        "default_size": default.size,
        "padding_range": (PADDING_RANGE.start, PADDING_RANGE.stop - 1),
        "default_padding": default.padding,
        "default_color": to_hex(default.color),
        "default_background": to_hex(default.background or (255, 255, 255)),
        "noise_levels": [str(n) for n in Noise],
        "default_noise": str(default.noise),
        "min_contrast": MIN_CONTRAST,
        "max_text_bytes": MAX_TEXT_BYTES,
    }


_TOKEN_DOCS = _token_docs()


#: The live example's size in CSS px, and the snippet's (``img_tag`` with the defaults).
_SAMPLE_SIZE = tokens.image_size(SAMPLE_TEXT, {"size": 20})
_SNIPPET_SIZE = tokens.image_size("jane@example.com")


@functools.lru_cache(maxsize=8)
def _sample_urls(keyring: tokens.KeyRing) -> tuple[str, str]:
    """The live token example at 1x and 2x: the same token for the life of the key ring."""
    return (
        tokens.image_url(SAMPLE_TEXT, "", keyring=keyring, size=20),
        tokens.image_url(SAMPLE_TEXT, "", keyring=keyring, size=20, density=2),
    )


async def home_view(request: web.Request) -> web.Response:
    """``GET /``: the documentation page."""
    config = request.app[CONFIG]
    limits = config.placeholder_limits
    densities = sorted(config.densities)
    sample, sample_2x = _sample_urls(request.app[KEYS].current)
    context: dict[str, Any] = {
        "placeholders": config.placeholders,
        "densities": densities,
        "sample_url": sample,
        "sample_2x": sample_2x if 2 in densities else None,
        "sample_size": _SAMPLE_SIZE,
        "snippet_size": _SNIPPET_SIZE,
        "token_docs": _TOKEN_DOCS,
        "nonce": secrets.token_urlsafe(16),
    }
    if config.placeholders:
        form = PlaygroundForm.from_query(request.query)
        try:
            preview, error = preview_url(form, limits), None
        except PlaceholderError as exc:
            preview, error = None, str(exc)
        context.update(
            form=form,
            preview=preview,
            preview_error=error,
            examples=_examples(limits),
            limits=limits,
            formats=FORMAT_NAMES,
            placeholder_densities=sorted(limits.densities),
            default_bg=_DEFAULT_BG,
            default_fg=to_hex(DEFAULT_FOREGROUND).lstrip("#"),
            script_config={
                "maxSide": limits.max_side,
                "maxPixels": limits.max_pixels,
                "defaultBg": _DEFAULT_BG,
                "colorSegment": _COLOR_SEGMENT.pattern,
            },
        )
    nonce = context["nonce"]
    return web.Response(
        text=_TEMPLATE.render(context),
        content_type="text/html",
        charset="utf-8",
        headers={
            "Cache-Control": "no-cache",
            "Content-Security-Policy": (
                "default-src 'none'; img-src 'self' data:; connect-src 'self';"
                f" style-src 'nonce-{nonce}'; script-src 'nonce-{nonce}';"
                " form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
            ),
        },
    )
