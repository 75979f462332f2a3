"""Jinja2 templates: ``{{ user.email | protect }}`` puts the ``<img>`` in the page.

::

    from tokens.jinja import install

    install(env, base_url="https://img.example.com", noise="high")

registers the filters ``protect`` (the ``<img>`` markup, as ``Markup``, so autoescaping
leaves it alone) and ``protect_url`` (the image's URL only), and a global ``protect``
for calls with options: ``{{ protect(price, font="mono", alt="price") }}``. Options
given to :func:`install` are the defaults of every call; a call's own win. They include
the ``<picture>`` settings of :func:`tokens.img_tag`: ``narrow``, ``dark`` and
``compact`` (``{{ protect(user.email, compact=True) }}`` inside a sentence).

The only module of :mod:`tokens` that imports Jinja2 (``pip install 'Jinja2>=3.1'``, or
the wheel's ``[jinja]`` extra).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import timedelta
from decimal import Decimal
from typing import Any

from .api import (
    DEFAULT_CLASS,
    DEFAULT_DENSITIES,
    PICTURE_SETTINGS,
    check_base_url,
    check_format,
    check_picture_settings,
    image_url,
    img_tag,
)
from .errors import OptionError
from .keys import KeyRing
from .options import OPTION_NAMES, RenderOptions
from .sizes import check_densities

try:
    import jinja2
    from markupsafe import Markup, escape
except ImportError as exc:  # pragma: no cover - exercised by tests/test_packaging.py
    raise ImportError(
        "tokens.jinja needs Jinja2: pip install 'Jinja2>=3.1'", name=exc.name
    ) from exc

__all__ = ["TAG_SETTINGS", "URL_SETTINGS", "install", "template_text"]

#: What a template call may set besides the render options, for ``<img>`` and for a URL.
TAG_SETTINGS = frozenset(
    {"alt", "attrs", "css_class", "densities", "format", "ttl", "keyring", "reveal", "label"}
) | frozenset(PICTURE_SETTINGS)
URL_SETTINGS = frozenset({"density", "format", "ttl", "keyring"})


def install(
    env: jinja2.Environment,
    base_url: str,
    *,
    keyring: KeyRing | None = None,
    densities: tuple[int, ...] = DEFAULT_DENSITIES,
    css_class: str | None = DEFAULT_CLASS,
    format: str = "png",
    ttl: float | timedelta | None = None,
    **options: Any,
) -> None:
    """Register ``protect`` and ``protect_url`` on ``env``, minting under ``keyring``
    (default: the keys in the environment) for the service at ``base_url``.

    ``densities`` are the ones the service allows (its ``--densities``). ``options``
    are render options (``font``, ``size``, ``color``, ``background``, ``noise``,
    ``padding``, ``lines``), checked here so that a typo fails at start-up, not in a
    page, and the ``<picture>`` settings ``narrow``, ``dark`` and ``compact`` of
    :func:`tokens.img_tag`, for every ``protect``.
    """
    picture = {name: options.pop(name) for name in PICTURE_SETTINGS if name in options}
    unknown = options.keys() - OPTION_NAMES
    if unknown:
        raise OptionError(f"unknown option {sorted(unknown)[0]!r}: use {', '.join(OPTION_NAMES)}")
    RenderOptions.build(**options)
    check_picture_settings(picture)
    check_densities(densities)
    check_base_url(base_url)
    check_format(format)
    shared: dict[str, Any] = {"keyring": keyring, "format": format, "ttl": ttl, **options}
    tag_defaults = {**shared, "densities": densities, "css_class": css_class, **picture}

    def protect(value: object, **given: Any) -> Markup:
        """``<img>`` markup for ``value``; nothing for an empty or undefined value."""
        text = template_text(value)
        if text is None:
            return Markup("")
        _check_names(given, TAG_SETTINGS)
        # escape() honours SafeHTML's __html__: the markup, escaped by img_tag, as Markup.
        return escape(img_tag(text, base_url, **{**tag_defaults, **given}))

    def protect_url(value: object, **given: Any) -> str:
        """The image's URL for ``value`` (``density=2`` for the 2x image)."""
        text = template_text(value)
        if text is None:
            return ""
        _check_names(given, URL_SETTINGS)
        return image_url(text, base_url, **{**shared, **given})

    filters: Mapping[str, Callable[..., object]] = {
        "protect": protect,
        "protect_url": protect_url,
    }
    env.filters.update(filters)
    env.globals["protect"] = protect
    env.globals["protect_url"] = protect_url


def template_text(value: object) -> str | None:
    """The text a template passed: a ``str``, or a number written out; ``None`` (render
    nothing) for ``None``, ``""``, whitespace alone and an undefined variable.

    A strict undefined raises its own error here, as anywhere in the template.
    """
    if isinstance(value, jinja2.Undefined):
        value = str(value)  # StrictUndefined raises; the default is ""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return str(value)
    raise OptionError(f"protect needs text or a number, not {type(value).__name__}")


def _check_names(given: Mapping[str, object], settings: frozenset[str]) -> None:
    unknown = given.keys() - OPTION_NAMES - settings
    if unknown:
        allowed = ", ".join([*OPTION_NAMES, *sorted(settings)])
        raise OptionError(f"unknown option {sorted(unknown)[0]!r}: use {allowed}")
