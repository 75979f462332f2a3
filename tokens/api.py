"""What a website calls while it renders its templates."""

from __future__ import annotations

import dataclasses
import difflib
import functools
import html
import re
import time
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
from .options import DENSITIES, MAX_WIDTH, OPTION_NAMES, Noise, RenderOptions, on_two_lines
from .reveal import reveal_button
from .sizes import TextBox, check_densities, fits
from .sizes import image_size as _image_size
from .sizes import text_box as _text_box

__all__ = [
    "COMPACT_CLASS",
    "DEFAULT_CLASS",
    "DEFAULT_DARK",
    "DEFAULT_DENSITIES",
    "NARROW",
    "NARROW_FIT",
    "PICTURE_SETTINGS",
    "OptionValues",
    "check_base_url",
    "check_format",
    "check_picture_settings",
    "decode",
    "encode",
    "image_size",
    "image_url",
    "img_tag",
    "text_box",
]

Format = Literal["png", "webp"]
_ATTRIBUTE_NAME = re.compile(r"[A-Za-z_:][-A-Za-z0-9_:.]*")
_RESERVED = frozenset({"src", "srcset", "alt", "width", "height"})
#: The class every ``<img>`` gets unless the caller says otherwise, for the site's CSS.
DEFAULT_CLASS = "glyphveil"
#: The densities ``srcset`` offers by default: the service's must include them.
DEFAULT_DENSITIES = (1, 2)
#: The viewport width (CSS px) at and below which the two-line image is offered.
NARROW = 480
#: An image wider than this (CSS px: a 320 px screen less 16 px margins) gets a two-line
#: ``<source>`` for narrow screens, when its text has a place to break.
NARROW_FIT = 288
#: The colours of ``dark=True``: light text on a transparent background, which sits on
#: whatever dark background the site has.
DEFAULT_DARK: Mapping[str, str] = {"color": "#e6e6e6", "background": "transparent"}
#: The class a ``compact=True`` image gets besides ``css_class``, for the site's CSS.
COMPACT_CLASS = "glyphveil-compact"
#: The arguments of :func:`img_tag` that shape the ``<picture>``; template helpers pass
#: them through.
PICTURE_SETTINGS = ("narrow", "dark", "compact")


class OptionValues(TypedDict, total=False):
    """Render options as keyword arguments; see :class:`RenderOptions` for their ranges."""

    font: str
    size: int
    color: str | RGB
    background: str | RGB | None
    noise: str | Noise
    padding: int
    lines: int


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
    Surrounding whitespace (``str.strip``) is dropped first, as by :func:`img_tag`.
    """
    base = check_base_url(base_url)
    check_format(format)
    if type(density) is not int or density not in DENSITIES:
        raise OptionError(f"bad density {density!r}: use 1, 2 or 3")
    if isinstance(text, str):
        text = text.strip()  # a helper, unlike encode: "jane@example.com\n" from a form
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
    narrow: int | None = NARROW,
    dark: bool | Mapping[str, str | RGB] | None = None,
    compact: bool = False,
    label: str | None = None,
    **options: Unpack[OptionValues],
) -> SafeHTML:
    """``<img>`` markup for ``text``, in a ``<picture>`` when other screens get other
    images, as :class:`SafeHTML`: a ``str`` that Jinja2, Django and MarkupSafe insert
    unescaped.

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

    Other screens, each a ``<source>`` with its own token, width and height:

    * ``narrow`` (480): at that viewport width (CSS px) and below, an image wider than
      :data:`NARROW_FIT` is offered on two lines (``lines=2``, broken after the ``@`` of an
      email address, else at a space or separator), where its text has a place to break.
      ``None`` offers none.
    * ``dark``: ``True`` offers light text (:data:`DEFAULT_DARK`) to visitors whose system
      prefers a dark scheme, a mapping chooses ``color`` and ``background`` (which must
      keep the contrast every token keeps, unless transparent); off by default, as only
      a site with a dark scheme of its own wants it. With ``narrow`` too, a narrow dark
      screen gets the two-line image in the dark colours: the first ``<source>`` whose
      media matches wins, so the order is narrow and dark, narrow, dark, then the
      ``<img>``.
    * ``compact=True`` is for a value inside a sentence: drawn at the ``low`` noise
      level (or ``none`` if asked) without padding, so that it is about 1.4 lines of its
      text tall (33 px for 16 px text, against 70 at ``medium``), on one line, and
      classed :data:`COMPACT_CLASS` for the site's CSS (``vertical-align: middle`` and a
      negative block margin keep the line height).

    Surrounding whitespace (``str.strip``: a trailing newline from a database field) is
    dropped before minting; :func:`encode` keeps the text exactly as given.

    ``reveal=True`` mints the token revealable and wraps the image for the service's
    ``/reveal.js`` (:func:`tokens.reveal_button`), so a visitor can ask for the text
    itself; the service must run with reveal on. ``label`` names the button ("Show Jane
    Doe's email address"; by default "Show" and the alt text): make it distinct where a
    page has several.
    """
    if not isinstance(text, str):
        raise OptionError(f"text must be str, not {type(text).__name__}")
    text = text.strip()  # a helper, unlike encode: "jane@example.com\n" from a form
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
    if type(compact) is not bool:
        raise OptionError(f"compact must be True or False, not {type(compact).__name__}")
    built = _options(options)
    if compact:
        built = _compact(built)
        classes.append(COMPACT_CLASS)
    if "class" in extra:
        classes.append(extra.pop("class"))
    if type(reveal) is not bool:
        raise OptionError(f"reveal must be True or False, not {type(reveal).__name__}")
    if label is not None and not reveal:
        raise OptionError("label names the reveal button: give it with reveal=True")
    if isinstance(label, str) and leaks(text, label):
        raise OptionError("label must not contain the protected text; describe it instead")
    sources = _sources(text, built, narrow=None if compact else _narrow(narrow), dark=dark)
    ring = _keyring(keyring)
    now = time.time() if ttl is not None else None  # one expiry for every image
    box = _checked_box(text, built)
    token = seal(text, ring, built, ttl=ttl, now=now, revealable=reveal)
    attributes = {"src": _url(base, token, 1, format)}
    srcset = _srcset(base, token, box, offered, format, plain=True)
    if srcset:
        attributes["srcset"] = srcset
    attributes |= {"width": str(box.width), "height": str(box.height), "alt": alt}
    if classes:
        attributes["class"] = " ".join(classes)
    attributes |= {"loading": "lazy", "decoding": "async"}
    attributes.update(extra)
    img = f"<img {_attributes(attributes)}>"
    markup = img
    if sources:
        tags = []
        for media, variant in sources:
            variant_box = _checked_box(text, variant)
            variant_token = seal(text, ring, variant, ttl=ttl, now=now)
            srcset = _srcset(base, variant_token, variant_box, offered, format, plain=False)
            tags.append(
                f"<source {_attributes({'media': media, 'srcset': srcset})}"
                f' width="{variant_box.width}" height="{variant_box.height}">'
            )
        markup = f"<picture>{''.join(tags)}{img}</picture>"
    if reveal:
        markup = reveal_button(markup, token, label=f"Show {alt}" if label is None else label)
    return SafeHTML(markup)


def check_picture_settings(settings: Mapping[str, object]) -> None:
    """:class:`OptionError` unless ``settings`` (``narrow``, ``dark``, ``compact``, as
    :func:`img_tag` takes them) are valid: for template helpers to check at start-up."""
    unknown = set(settings) - set(PICTURE_SETTINGS)
    if unknown:
        raise OptionError(f"unknown setting {sorted(map(str, unknown))[0]!r}")
    _narrow(settings.get("narrow"))
    _dark(settings.get("dark"), RenderOptions())
    if type(settings.get("compact", False)) is not bool:
        raise OptionError("compact must be True or False")


@functools.lru_cache(maxsize=256)
def _compact(options: RenderOptions) -> RenderOptions:
    """The options of a value inside a sentence: the ``low`` level's room (``none`` stays
    ``none``), no padding, one line. Cached: a site has a few sets of options, and
    rebuilding (and checking) one costs a fifth of minting a compact image."""
    noise = Noise.NONE if options.noise is Noise.NONE else Noise.LOW
    return dataclasses.replace(options, noise=noise, padding=0, lines=1)


def _narrow(narrow: object) -> int | None:
    if narrow is None:
        return None
    if type(narrow) is not int or not 1 <= narrow <= 10_000:
        raise OptionError(
            f"bad narrow {narrow!r}: use a viewport width in CSS px such as 480, or None"
        )
    return narrow


def _dark(dark: object, options: RenderOptions) -> RenderOptions | None:
    """The options of the dark-scheme image, or None for no dark source."""
    if dark is None or dark is False:
        return None
    if dark is True:
        dark = DEFAULT_DARK
    if not isinstance(dark, Mapping):
        raise OptionError(
            "dark must be True, None or a mapping such as "
            f"{{'color': '#e6e6e6', 'background': '#121212'}}, not {type(dark).__name__}"
        )
    unknown = set(dark) - {"color", "background"}
    if unknown:
        raise OptionError(f"dark takes color and background, not {sorted(map(str, unknown))[0]!r}")
    colours = {**DEFAULT_DARK, **dark}
    # Spelled and checked as any colours are: a readable contrast unless transparent.
    picked = _options({"color": colours["color"], "background": colours["background"]})
    return dataclasses.replace(options, color=picked.color, background=picked.background)


def _sources(
    text: str, options: RenderOptions, *, narrow: int | None, dark: object
) -> list[tuple[str, RenderOptions]]:
    """(media query, options) of each ``<source>``, in the order the browser tries them."""
    dark_options = _dark(dark, options)
    two_lines = None
    if narrow is not None and options.lines == 1:
        one = _text_box(text, options)
        candidate = on_two_lines(options)
        if one.width > NARROW_FIT and _text_box(text, candidate).width < one.width:
            two_lines = candidate
    sources = []
    narrow_media = f"(max-width: {narrow}px)"
    dark_media = "(prefers-color-scheme: dark)"
    if two_lines is not None and dark_options is not None:
        both = on_two_lines(dark_options)
        sources.append((f"{narrow_media} and {dark_media}", both))
    if two_lines is not None:
        sources.append((narrow_media, two_lines))
    if dark_options is not None:
        sources.append((dark_media, dark_options))
    return sources


def _checked_box(text: str, options: RenderOptions) -> TextBox:
    box = _text_box(text, options)
    if not fits(box, 1):
        raise OptionError(
            f"the text at size {options.size} makes an image wider than the {MAX_WIDTH} px "
            "the service draws: use a smaller size or a shorter text"
        )
    return box


def _srcset(
    base: str, token: str, box: TextBox, offered: tuple[int, ...], format: str, *, plain: bool
) -> str:
    """``srcset`` for the densities offered that the box fits at; an ``<img>`` (``plain``)
    leaves out 1x, which is its ``src``."""
    densities = [d for d in offered if (d > 1 or not plain) and fits(box, d)]
    return ", ".join(f"{_url(base, token, d, format)} {d}x" for d in densities)


def _attributes(attributes: Mapping[str, str]) -> str:
    return " ".join(f'{name}="{html.escape(value)}"' for name, value in attributes.items())


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


def text_box(text: str, options: RenderOptions | Mapping[str, object] | None = None) -> TextBox:
    """The box the service draws ``text`` in (:func:`tokens.sizes.text_box`): ``options``
    is a :class:`RenderOptions` or a dict of the options ``encode`` takes
    (``{"font": "mono", "size": 18}``), validated the same way."""
    return _text_box(text, _given_options(options))


def image_size(
    text: str, options: RenderOptions | Mapping[str, object] | None = None, density: int = 1
) -> tuple[int, int]:
    """(width, height) in device px of the image the service draws at ``density``;
    ``options`` as for :func:`text_box`."""
    return _image_size(text, _given_options(options), density)


def _given_options(options: object) -> RenderOptions:
    if options is None:
        return _DEFAULT
    if isinstance(options, RenderOptions):
        return options
    if isinstance(options, Mapping):
        return _options(dict(options))  # type: ignore[arg-type]
    raise OptionError(
        f"options must be a dict of options or a RenderOptions, not {type(options).__name__}"
    )
