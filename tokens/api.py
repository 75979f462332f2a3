"""What a website calls while it renders its templates."""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Mapping
from datetime import timedelta
from typing import Literal, TypedDict, Unpack

from .codec import seal, unseal
from .colors import RGB
from .errors import OptionError
from .keys import KeyRing, default_keyring
from .options import DENSITIES, Noise, RenderOptions, max_chars

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


def _options(values: OptionValues) -> RenderOptions:
    """Validate options once per distinct set; templates repeat the same few."""
    if not values:
        return _DEFAULT
    try:
        return _validated(tuple(sorted((name, type(v), v) for name, v in values.items())))
    except TypeError:  # an unhashable value: validate it without the cache
        return RenderOptions.build(**values)


_DEFAULT = RenderOptions()


@functools.lru_cache(maxsize=256)
def _validated(items: tuple[tuple[str, type, object], ...]) -> RenderOptions:
    """``RenderOptions.build`` keyed by names, types and values (so ``True`` is not ``1``)."""
    return RenderOptions.build(**{name: value for name, _, value in items})  # type: ignore[arg-type]


def encode(
    text: str,
    *,
    ttl: float | timedelta | None = None,
    keyring: KeyRing | None = None,
    revealable: bool = False,
    **options: Unpack[OptionValues],
) -> str:
    """Encrypt and sign ``text`` with its render options into a compact URL-safe token.

    ``ttl`` (seconds) makes the token expire; ``keyring`` defaults to the keys in the
    environment (``GLYPHVEIL_KEYS``, ``GLYPHVEIL_KEYS_FILE`` or the development key).
    ``revealable=True`` lets the service's reveal route give the text to a visitor who
    asks for it (see :func:`tokens.reveal_button`); tokens are not revealable by default.
    """
    return seal(
        text, keyring or default_keyring(), _options(options), ttl=ttl, revealable=revealable
    )


#: Verify and decrypt a token: ``decode(token, *, keyring=None, now=None) -> Payload``;
#: raises :class:`InvalidToken` or :class:`ExpiredToken`. It is the codec's
#: :func:`~tokens.codec.unseal` itself, with no wrapper, because the service calls it
#: on every request.
decode = unseal


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
    if type(density) is not int or density not in DENSITIES:
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
    """Escaped ``<img>`` markup for ``text``, with a 2x ``srcset`` for sharp screens
    (left out when the text is too wide to draw at 2x).

    ``alt`` must describe the image ("email address"), never repeat the text: an alt
    text or extra attribute that contains it is refused, because it would put the text
    back in the HTML. ``attrs`` adds attributes such as ``class``; it cannot replace
    ``src``, ``srcset`` or ``alt``.
    """
    if not isinstance(text, str):
        raise OptionError(f"text must be str, not {type(text).__name__}")
    extra = dict(attrs or {})
    for name, value in extra.items():
        if not _ATTRIBUTE_NAME.fullmatch(name) or name.lower() in ("src", "srcset", "alt"):
            raise OptionError(f"bad attribute name {name[:32]!r}: src, srcset and alt are set here")
        if not isinstance(value, str):
            raise OptionError(f"attribute {name} must be a str, not {type(value).__name__}")
    needle = text.strip().casefold()
    if needle and needle in alt.casefold():
        raise OptionError("alt text must not contain the protected text; describe it instead")
    if needle and any(needle in value.casefold() for value in extra.values()):
        raise OptionError("attributes must not contain the protected text")
    token_url = image_url(text, base_url, format=format, ttl=ttl, keyring=keyring, **options)
    attributes = {"src": token_url}
    built = _options(options)
    if len(text) <= max_chars(built.size, built.padding, density=2):
        attributes["srcset"] = token_url[: -len(format) - 1] + f"@2x.{format} 2x"
    attributes.update({"alt": alt, "loading": "lazy", "decoding": "async"})
    attributes.update(extra)
    rendered = " ".join(f'{name}="{html.escape(value)}"' for name, value in attributes.items())
    return f"<img {rendered}>"
