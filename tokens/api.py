"""What a website calls while it renders its templates."""

from __future__ import annotations

import difflib
import functools
import html
import re
from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Literal, TypedDict, Unpack
from urllib.parse import urlsplit

from .alt import describe, leaks
from .codec import seal, unseal
from .colors import RGB
from .errors import OptionError
from .keys import KeyRing, default_keyring
from .markup import SafeHTML
from .options import DENSITIES, MAX_WIDTH, OPTION_NAMES, Noise, RenderOptions
from .reveal import reveal_button
from .sizes import check_densities, fits, text_box

__all__ = [
    "DEFAULT_CLASS",
    "DEFAULT_DENSITIES",
    "OptionValues",
    "check_base_url",
    "check_format",
    "decode",
    "encode",
    "image_url",
    "img_tag",
]

Format = Literal["png", "webp"]
_ATTRIBUTE_NAME = re.compile(r"[A-Za-z_:][-A-Za-z0-9_:.]*")
_RESERVED = frozenset({"src", "srcset", "alt", "width", "height"})
#: The class every ``<img>`` gets unless the caller says otherwise, for the site's CSS.
DEFAULT_CLASS = "glyphveil"
#: The densities ``srcset`` offers by default: the service's must include them.
DEFAULT_DENSITIES = (1, 2)


class OptionValues(TypedDict, total=False):
    """Render options as keyword arguments; see :class:`RenderOptions` for their ranges."""

    font: str
    size: int
    color: str | RGB
    background: str | RGB | None
    noise: str | Noise
    padding: int


def _options(values: OptionValues) -> RenderOptions:
    """Validate options once per distinct set; templates repeat the same few."""
    if not values:
        return _DEFAULT
    unknown = [name for name in values if name not in OPTION_NAMES]
    if unknown:
        raise OptionError(_unknown_option(unknown[0]))
    try:
        return _validated(tuple(sorted((name, type(v), v) for name, v in values.items())))
    except TypeError:  # an unhashable value: validate it without the cache
        return RenderOptions.build(**values)


_DEFAULT = RenderOptions()


@functools.lru_cache(maxsize=256)
def _validated(items: tuple[tuple[str, type, object], ...]) -> RenderOptions:
    """``RenderOptions.build`` keyed by names, types and values (so ``True`` is not ``1``)."""
    return RenderOptions.build(**{name: value for name, _, value in items})  # type: ignore[arg-type]


def _unknown_option(name: str) -> str:
    close = difflib.get_close_matches(name, OPTION_NAMES, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return f"unknown option {name!r}: {hint}options are {', '.join(OPTION_NAMES)}"


def _keyring(keyring: object) -> KeyRing:
    if keyring is None:
        return default_keyring()
    if isinstance(keyring, KeyRing):
        return keyring
    kind = type(keyring).__name__
    raise OptionError(
        f"keyring must be a tokens.KeyRing, not {kind}: pass keyring=KeyRing([key]), "
        "or set GLYPHVEIL_KEYS and leave keyring out"
    )


def encode(
    text: str,
    *,
    ttl: float | timedelta | None = None,
    now: float | None = None,
    keyring: KeyRing | None = None,
    revealable: bool = False,
    **options: Unpack[OptionValues],
) -> str:
    """Encrypt and sign ``text`` with its render options into a compact URL-safe token.

    ``ttl`` (seconds, positive) makes the token expire at ``ceil(now + ttl)``, ``now``
    standing in for the clock (for reproducible tokens); ``keyring`` defaults to the keys
    in the environment (``GLYPHVEIL_KEYS``, ``GLYPHVEIL_KEYS_FILE`` or the development key).
    ``revealable=True`` lets the service's reveal route give the text to a visitor who
    asks for it (see :func:`tokens.reveal_button`); tokens are not revealable by default.
    Bad text or options raise :class:`OptionError` naming them.
    """
    ring = _keyring(keyring)
    return seal(text, ring, _options(options), ttl=ttl, now=now, revealable=revealable)


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
    """The URL of the image of ``text``: ``{base_url}/t/{token}[@2x].png``.

    ``base_url`` is where the service answers: ``https://img.example.com``, a path on
    it, or a path on the site's own origin (``/glyphs``, or ``""`` for ``/t/...``).
    """
    base = check_base_url(base_url)
    check_format(format)
    if type(density) is not int or density not in DENSITIES:
        raise OptionError(f"bad density {density!r}: use 1, 2 or 3")
    token = encode(text, ttl=ttl, keyring=keyring, **options)
    return _url(base, token, density, format)


def img_tag(
    text: str,
    base_url: str,
    *,
    alt: str | None = None,
    attrs: Mapping[str, str] | None = None,
    css_class: str | None = DEFAULT_CLASS,
    densities: Iterable[int] = DEFAULT_DENSITIES,
    format: Format = "png",
    ttl: float | timedelta | None = None,
    keyring: KeyRing | None = None,
    reveal: bool = False,
    label: str | None = None,
    **options: Unpack[OptionValues],
) -> SafeHTML:
    """``<img>`` markup for ``text``, as :class:`SafeHTML`: a ``str`` that Jinja2, Django
    and MarkupSafe insert unescaped.

    ``width`` and ``height`` are the image's size in CSS px (:func:`tokens.sizes.text_box`,
    the size the service draws), so the page keeps the space while it loads. ``srcset``
    offers each of ``densities`` (the service's ``--densities``; 1 and 2 by default)
    at which the image can be drawn. ``alt`` describes the image: by default a generic
    description guessed from the text's shape (``email address``, ``phone number``,
    ``price``, else ``protected text``); an alt text or attribute that contains the text
    or a near copy of it is refused, because it would put the text back in the HTML.
    ``css_class`` (``glyphveil``) lets the site style the images; ``attrs`` adds
    attributes such as ``title`` or ``loading="eager"``, and its ``class`` joins
    ``css_class``; it cannot set ``src``, ``srcset``, ``alt``, ``width`` or ``height``.

    ``reveal=True`` mints the token revealable and wraps the image for the service's
    ``/reveal.js`` (:func:`tokens.reveal_button`), so a visitor can ask for the text
    itself; the service must run with reveal on. ``label`` names the button ("Show Jane
    Doe's email address"; by default "Show" and the alt text): make it distinct where a
    page has several.
    """
    if not isinstance(text, str):
        raise OptionError(f"text must be str, not {type(text).__name__}")
    base = check_base_url(base_url)
    check_format(format)
    offered = check_densities(densities)
    if alt is None:
        alt = describe(text)
    elif not isinstance(alt, str):
        raise OptionError(f"alt must be a str describing the image, not {type(alt).__name__}")
    if leaks(text, alt):
        raise OptionError("alt text must not contain the protected text; describe it instead")
    extra = _extra(text, attrs)
    if not (css_class is None or isinstance(css_class, str)):
        raise OptionError(f"css_class must be a str, not {type(css_class).__name__}")
    classes = [css_class] if css_class else []
    if "class" in extra:
        classes.append(extra.pop("class"))
    built = _options(options)
    box = text_box(text, built)
    if not fits(box, 1):
        raise OptionError(
            f"the text at size {built.size} makes an image wider than the {MAX_WIDTH} px "
            "the service draws: use a smaller size or a shorter text"
        )
    if type(reveal) is not bool:
        raise OptionError(f"reveal must be True or False, not {type(reveal).__name__}")
    if label is not None and not reveal:
        raise OptionError("label names the reveal button: give it with reveal=True")
    if isinstance(label, str) and leaks(text, label):
        raise OptionError("label must not contain the protected text; describe it instead")
    token = encode(text, ttl=ttl, keyring=keyring, revealable=reveal, **options)
    src = _url(base, token, 1, format)
    attributes = {"src": src}
    sharper = [d for d in offered if d > 1 and fits(box, d)]
    if sharper:
        attributes["srcset"] = ", ".join(f"{_url(base, token, d, format)} {d}x" for d in sharper)
    attributes |= {"width": str(box.width), "height": str(box.height), "alt": alt}
    if classes:
        attributes["class"] = " ".join(classes)
    attributes |= {"loading": "lazy", "decoding": "async"}
    attributes.update(extra)
    rendered = " ".join(f'{name}="{html.escape(value)}"' for name, value in attributes.items())
    markup = f"<img {rendered}>"
    if reveal:
        markup = reveal_button(markup, token, label=f"Show {alt}" if label is None else label)
    return SafeHTML(markup)


@functools.lru_cache(maxsize=64)
def _checked_base_url(base_url: str) -> str:
    parts = urlsplit(base_url)
    relative = not parts.scheme and not parts.netloc
    if (
        parts.scheme not in ("http", "https", "")
        or parts.query
        or parts.fragment
        or (relative and base_url and not base_url.startswith("/"))
        or any(char.isspace() for char in base_url)
    ):
        raise OptionError(
            f"bad base_url {base_url[:64]!r}: use http(s)://host[/path], //host or a path "
            "starting with /, without a query or fragment"
        )
    return base_url.rstrip("/")


def check_base_url(base_url: object) -> str:
    """``base_url`` without its trailing slashes, or :class:`OptionError` saying what
    is wrong: an absolute http(s) URL, ``//host``, a path starting with ``/``, or ``""``
    (the site's own ``/t/``), without a query or fragment."""
    if not isinstance(base_url, str):
        raise OptionError(
            "base_url must be where the service answers, as a str such as "
            f"'https://img.example.com' (or '' for this site's /t/), not {type(base_url).__name__}"
        )
    return _checked_base_url(base_url)  # a site has one or two: check each once


def check_format(format: object) -> None:
    """:class:`OptionError` unless ``format`` is ``png`` or ``webp``."""
    if format not in ("png", "webp"):
        raise OptionError(f"bad format {format!r}: use png or webp")


def _url(base: str, token: str, density: int, format: str) -> str:
    suffix = "" if density == 1 else f"@{density}x"
    return f"{base}/t/{token}{suffix}.{format}"


def _extra(text: str, attrs: Mapping[str, str] | None) -> dict[str, str]:
    """The caller's extra attributes, checked: names, str values, nothing that leaks."""
    if attrs is not None and not isinstance(attrs, Mapping):
        raise OptionError(f"attrs must be a mapping of names to values, not {type(attrs).__name__}")
    extra = dict(attrs or {})
    for name, value in extra.items():
        if not isinstance(name, str) or not _ATTRIBUTE_NAME.fullmatch(name):
            raise OptionError(f"bad attribute name {str(name)[:32]!r}")
        if name.lower() in _RESERVED:
            raise OptionError(
                f"attribute {name} is set by img_tag: src, srcset, alt, width and height "
                "come from the text and its options"
            )
        if not isinstance(value, str):
            raise OptionError(f"attribute {name} must be a str, not {type(value).__name__}")
        if leaks(text, value):
            raise OptionError("attributes must not contain the protected text")
    return {
        name.lower() if name.lower() == "class" else name: value for name, value in extra.items()
    }
