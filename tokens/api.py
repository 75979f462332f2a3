"""What a website calls while it renders its templates."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from datetime import timedelta
from typing import Literal, TypedDict, Unpack

from .codec import Payload, seal, unseal
from .colors import RGB
from .errors import OptionError
from .keys import KeyRing, default_keyring
from .options import Noise, RenderOptions

__all__ = ["OptionValues", "decode", "encode", "image_url", "img_tag"]

Format = Literal["png", "webp"]
_ATTRIBUTE_NAME = re.compile(r"[A-Za-z_:][-A-Za-z0-9_:.]*")


class OptionValues(TypedDict, total=False):
    """Render options as keyword arguments; see :class:`RenderOptions` for their ranges."""

    font: str
    size: int
    color: str | RGB
    background: str | RGB | None
    noise: str | int | Noise
    padding: int


_DEFAULT = RenderOptions()
_options_cache: dict[tuple[tuple[str, object], ...], RenderOptions] = {}


def _options(values: OptionValues) -> RenderOptions:
    """Validate options once per distinct set; templates repeat the same few."""
    if not values:
        return _DEFAULT
    key = tuple(sorted((name, (type(value), value)) for name, value in values.items()))
    try:
        return _options_cache[key]
    except KeyError:
        pass
    except TypeError:  # unhashable values: validate without caching
        return RenderOptions.build(**values)
    options = RenderOptions.build(**values)
    if len(_options_cache) < 256:
        _options_cache[key] = options
    return options


def encode(
    text: str,
    *,
    ttl: float | timedelta | None = None,
    keyring: KeyRing | None = None,
    **options: Unpack[OptionValues],
) -> str:
    """Encrypt and sign ``text`` with its render options into a compact URL-safe token.

    ``ttl`` (seconds) makes the token expire; ``keyring`` defaults to the keys in the
    environment (``GLYPHVEIL_KEYS``, ``GLYPHVEIL_KEYS_FILE`` or the development key).
    """
    return seal(text, keyring or default_keyring(), _options(options), ttl=ttl)


def decode(token: str, *, keyring: KeyRing | None = None, now: float | None = None) -> Payload:
    """Verify and decrypt a token; raises :class:`InvalidToken` or :class:`ExpiredToken`."""
    return unseal(token, keyring or default_keyring(), now=now)


def image_url(
    text: str,
    base_url: str,
    *,
    format: Format = "png",
    density: int = 1,
    ttl: float | timedelta | None = None,
    keyring: KeyRing | None = None,
    **options: Unpack[OptionValues],
) -> str:
    """The URL of the image of ``text``: ``{base_url}/t/{token}[@2x].png``."""
    if format not in ("png", "webp"):
        raise OptionError(f"bad format {format!r}: use png or webp")
    if type(density) is not int or density not in (1, 2, 3):
        raise OptionError(f"bad density {density!r}: use 1, 2 or 3")
    token = encode(text, ttl=ttl, keyring=keyring, **options)
    suffix = "" if density == 1 else f"@{density}x"
    return f"{base_url.rstrip('/')}/t/{token}{suffix}.{format}"


def img_tag(
    text: str,
    base_url: str,
    *,
    alt: str = "protected text",
    attrs: Mapping[str, str] | None = None,
    format: Format = "png",
    ttl: float | timedelta | None = None,
    keyring: KeyRing | None = None,
    **options: Unpack[OptionValues],
) -> str:
    """Escaped ``<img>`` markup for ``text``, with a 2x ``srcset`` for sharp screens.

    ``alt`` must describe the image ("email address"), never repeat the text: an alt
    text that contains it is refused, because it would put the text back in the HTML.
    """
    if not isinstance(text, str):
        raise OptionError(f"text must be str, not {type(text).__name__}")
    if text.strip() and text.strip().casefold() in alt.casefold():
        raise OptionError("alt text must not contain the protected text; describe it instead")
    for name in attrs or {}:
        if not _ATTRIBUTE_NAME.fullmatch(name):
            raise OptionError(f"bad attribute name {name[:32]!r}")
    token_url = image_url(text, base_url, format=format, ttl=ttl, keyring=keyring, **options)
    retina_url = token_url[: -len(format) - 1] + f"@2x.{format}"
    attributes = {
        "src": token_url,
        "srcset": f"{retina_url} 2x",
        "alt": alt,
        "loading": "lazy",
        "decoding": "async",
        **(attrs or {}),
    }
    rendered = " ".join(f'{name}="{html.escape(value)}"' for name, value in attributes.items())
    return f"<img {rendered}>"
