"""``{% load glyphveil %}``: the ``protect`` and ``protect_url`` tags.

::

    {% protect user.email %}
    {% protect product.price font="mono" noise="low" alt="price" %}
    <p>Write to {% protect user.email compact=True %} today.</p>
    <a href="{% protect_url user.email density=2 %}">larger</a>

configured in the settings::

    GLYPHVEIL = {
        "BASE_URL": "https://img.example.com",   # where the service answers
        "DEFAULTS": {"noise": "high", "densities": [1, 2], "dark": True},  # every tag
        "KEYS": ["<key>"],  # optional: else GLYPHVEIL_KEYS / GLYPHVEIL_KEYS_FILE
    }

``protect`` gives the ``<img>`` markup marked safe; ``protect_url`` the URL, which
autoescaping escapes like any text. An empty or missing value renders nothing.
``{% protect value as name %}`` stores the markup instead of rendering it.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django import template
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.safestring import SafeString, mark_safe

from ...api import PICTURE_SETTINGS, check_base_url, image_url, img_tag
from ...errors import OptionError, TokenError
from ...keys import KeyRing, default_keyring
from ...options import OPTION_NAMES

__all__ = ["TAG_SETTINGS", "URL_SETTINGS", "protect", "protect_url", "register"]

register = template.Library()

#: What a tag (or ``DEFAULTS``) may set besides the render options, for ``<img>`` and URLs.
TAG_SETTINGS: tuple[str, ...] = (
    "alt",
    "attrs",
    "css_class",
    "densities",
    "format",
    "ttl",
    "reveal",
    "label",
)
TAG_SETTINGS += PICTURE_SETTINGS  # narrow, dark, compact: the <picture> of img_tag
URL_SETTINGS = ("density", "format", "ttl")
_SETTING_KEYS = frozenset({"BASE_URL", "DEFAULTS", "KEYS"})


@register.simple_tag
def protect(value: object, **given: Any) -> SafeString:
    """``<img>`` markup for ``value``, marked safe."""
    text = _text(value)
    if text is None:
        return mark_safe("")
    base_url, defaults, keyring = _site()
    options = _merged(defaults, given, TAG_SETTINGS, drop=("density",))
    return mark_safe(img_tag(text, base_url, keyring=keyring, **options))  # noqa: S308 - escaped by img_tag


@register.simple_tag
def protect_url(value: object, **given: Any) -> str:
    """The image's URL for ``value``."""
    text = _text(value)
    if text is None:
        return ""
    base_url, defaults, keyring = _site()
    options = _merged(
        defaults,
        given,
        URL_SETTINGS,
        drop=("alt", "attrs", "css_class", "densities", *PICTURE_SETTINGS),
    )
    return image_url(text, base_url, keyring=keyring, **options)


def _text(value: object) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None  # renders nothing, as whitespace alone would after the strip
    if isinstance(value, str):
        return str(value)  # a SafeString too: its text, not its safety
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return str(value)
    raise OptionError(f"protect needs text or a number, not {type(value).__name__}")


def _merged(
    defaults: Mapping[str, Any],
    given: Mapping[str, Any],
    settings_names: tuple[str, ...],
    drop: tuple[str, ...],
) -> dict[str, Any]:
    unknown = given.keys() - set(OPTION_NAMES) - set(settings_names)
    if unknown:
        allowed = ", ".join([*OPTION_NAMES, *settings_names])
        raise OptionError(f"unknown option {sorted(unknown)[0]!r}: use {allowed}")
    for name, value in given.items():
        # "" is Django's value for an undefined variable; only css_class="" means something
        # (no class), as it does for img_tag.
        if isinstance(value, str) and value == "" and name != "css_class":
            raise OptionError(
                f'option {name}= is empty or undefined: quote a literal value ({name}="..."); '
                "an unquoted word is a template variable"
            )
    merged = {name: value for name, value in defaults.items() if name not in drop}
    merged.update(given)
    return merged


def _site() -> tuple[str, Mapping[str, Any], KeyRing]:
    """Base URL, default options and key ring from ``settings.GLYPHVEIL``."""
    config = getattr(settings, "GLYPHVEIL", None)
    if not isinstance(config, Mapping):
        raise ImproperlyConfigured(
            'settings.GLYPHVEIL must be a dict such as {"BASE_URL": "https://img.example.com"}'
        )
    unknown = config.keys() - _SETTING_KEYS
    if unknown:
        raise ImproperlyConfigured(
            f"settings.GLYPHVEIL has an unknown key {sorted(unknown)[0]!r}: "
            f"use {', '.join(sorted(_SETTING_KEYS))}"
        )
    if "BASE_URL" not in config:
        raise ImproperlyConfigured(
            'settings.GLYPHVEIL["BASE_URL"] is missing: where the glyphveil service answers, '
            'such as "https://img.example.com"'
        )
    try:
        base_url = check_base_url(config["BASE_URL"])
    except OptionError as exc:
        raise ImproperlyConfigured(f'settings.GLYPHVEIL["BASE_URL"]: {exc}') from None
    defaults = config.get("DEFAULTS") or {}
    if not isinstance(defaults, Mapping):
        raise ImproperlyConfigured('settings.GLYPHVEIL["DEFAULTS"] must be a dict of options')
    unknown = defaults.keys() - set(OPTION_NAMES) - set(TAG_SETTINGS) - set(URL_SETTINGS)
    if unknown:
        raise ImproperlyConfigured(
            f'settings.GLYPHVEIL["DEFAULTS"] has an unknown option {sorted(unknown)[0]!r}: '
            f"use {', '.join([*OPTION_NAMES, *TAG_SETTINGS, 'density'])}"
        )
    keys = config.get("KEYS")
    if keys is None:
        return base_url, defaults, default_keyring()
    if isinstance(keys, str):
        keys = keys.split(",")
    try:
        if not all(isinstance(key, str) for key in keys):
            raise TypeError
        return base_url, defaults, _keyring(tuple(keys))
    except (TokenError, TypeError):
        raise ImproperlyConfigured(
            'settings.GLYPHVEIL["KEYS"] must be a list of keys (43 characters of URL-safe '
            "base64 each; make one with `glyphveil keygen`)"
        ) from None


@functools.lru_cache(maxsize=8)
def _keyring(keys: tuple[str, ...]) -> KeyRing:
    """One key ring per distinct ``KEYS``: deriving subkeys costs more than a tag."""
    return KeyRing(
        [key.strip() for key in keys if key.strip()], source='settings.GLYPHVEIL["KEYS"]'
    )
