"""Protect a finished HTML page without touching its templates.

:class:`Rewriter` takes an HTML document as the site produced it and gives it back with
every protected value replaced by the helper's markup (:func:`tokens.img_tag`):

- email addresses in text, and ``mailto:`` links: the link loses its ``href`` and keeps
  its visible text; with ``reveal=True`` the values become revealable images, and a
  link whose text does not show the address is followed by one;
- phone numbers in text and ``tel:`` links, found by ``phonenumbers`` (Google's
  libphonenumber metadata) for the configured ``region``;
- every element the site marks with ``data-glyphveil`` (``<span data-glyphveil
  data-glyphveil-font="mono">£1,299</span>``): its whole text becomes one image, with
  options from its ``data-glyphveil-*`` attributes; ``data-glyphveil="off"`` leaves an
  element and everything in it alone.

A value inside running text (words before or after it in the same line of text, across
inline elements such as ``<a>`` or ``<b>``) is drawn ``compact``, as the helper draws a
value inside a sentence, so it keeps the line's height; a value alone in its element (a
table cell, a ``<dd>``) gets the full image. ``Rewriter(compact=...)`` chooses otherwise,
and a marked element is compact when its ``data-glyphveil-compact`` says so (a price
followed by "a month" is not a value inside a sentence).

Text where an image cannot go gets the value's generic description instead (``email
address``): ``<title>``, ``<option>``, SVG and MathML text, and the human-readable
attributes ``title``, ``alt``, ``aria-label``, ``placeholder`` and ``<meta content>``.
Nothing is changed inside ``script``, ``style``, ``textarea``, ``template``, comments,
other attributes, nor (unless ``code=True``) ``pre``, ``code``, ``kbd`` and ``samp``;
values found there are reported as left (:attr:`Rewritten.left`).

Outside the replacements the document stays byte for byte what it was, so a rewritten
page differs from the original only where values were, and a page rewritten twice is
the page rewritten once. Each distinct value with the same options gets one token per
page.

Why turbohtml's tokenizer: a rewriter must know where each piece of text, tag and
attribute sits in the source to replace it and copy everything else verbatim, and it
must split the page the way a browser does (``</div>`` inside a script is script text,
``&#64;`` in text is an ``@``). turbohtml runs the WHATWG tokenizer in C and gives each
token its line and column (0.3 ms for an 80 KB page); selectolax (lexbor) and lxml build
trees that keep no source offsets, html5lib is pure Python (tens of milliseconds a page)
and the standard library's ``html.parser`` is not a WHATWG tokenizer. The tree is not
built: like Cloudflare's lol-html, the rewriter keeps only the stack of open elements.

Needs ``turbohtml`` and ``phonenumbers``, the ``rewrite`` extra of the helper's wheel
(``pip install 'turbohtml>=1.15' 'phonenumbers>=8.13'`` installs them alone).
"""

from __future__ import annotations

import bisect
import codecs
import functools
import html
import re
import string
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Literal, Unpack, overload
from urllib.parse import parse_qsl, unquote

from .alt import EMAIL, PHONE, describe
from .api import (
    DEFAULT_CLASS,
    DEFAULT_DENSITIES,
    NARROW,
    OptionValues,
    _options,
    check_base_url,
    check_format,
    check_picture_settings,
)
from .api import img_tag as _img_tag
from .errors import OptionError
from .keys import KeyRing
from .options import OPTION_NAMES
from .sizes import check_densities

try:
    import phonenumbers
    from turbohtml import Token, TokenType, tokenize
except ImportError as exc:  # pragma: no cover - exercised by tests/test_packaging.py
    raise ImportError(
        "tokens.rewrite needs turbohtml and phonenumbers: "
        "pip install 'turbohtml>=1.15' 'phonenumbers>=8.13'",
        name=exc.name,
    ) from exc

__all__ = ["MARK", "Found", "Rewriter", "Rewritten", "rewrite"]

#: The attribute that marks an element whose text is protected as one value.
MARK = "data-glyphveil"
Leniency = Literal["valid", "possible"]
Kind = Literal["email", "phone", "marked"]
Compact = Literal["inline"] | bool

_VOID = frozenset(
    [
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "source",
        "track",
        "wbr",
        "param",
        "keygen",
    ]
)
#: Elements whose content is never rewritten (script and style are raw text already).
_LEFT_ALONE = frozenset({"script", "style", "textarea", "template", "noscript", "xmp", "iframe"})
_CODE = frozenset({"pre", "code", "kbd", "samp", "listing", "plaintext"})
#: Where an ``<img>`` cannot go: the value becomes its generic description.
_TEXT_ONLY = frozenset({"title", "option", "optgroup", "svg", "math"})
#: The elements that change how their content is read: the walk looks at these always.
_CATEGORY = _LEFT_ALONE | _CODE | _TEXT_ONLY
_WATCHED = _CATEGORY | {"head", "body"}
#: Elements whose start tag does nothing but push them (``<option>`` ends an open one).
_STEPPED_OVER = _LEFT_ALONE | _CODE
#: How many runs of digits a rewriter remembers before it starts again.
_VERDICTS = 16384
_HEAD_CONTENT = frozenset(
    {"meta", "link", "title", "style", "script", "noscript", "base", "template", "head"}
)
#: Attributes a person reads: a value in them becomes its generic description.
_READABLE = frozenset(
    {"title", "alt", "aria-label", "aria-description", "aria-roledescription", "placeholder"}
)
#: Attributes holding URLs and tokens, which are not reported when digits look like a number.
_NOT_TEXT = frozenset({"src", "srcset", "href", "action", "style", "class", "id", "d", "points"})

#: The local part as people write it (RFC 5322 allows ``/`` too, which URLs are full of).
_LOCAL = r"[A-Za-z0-9!#$%&'*+=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+=?^_`{|}~-]+)*"
_DOMAIN = r"(?:[^\W_](?:[\w-]{0,61}[^\W_])?\.)+[^\W\d_]{2,63}"
_EMAIL = re.compile(rf"(?<![\w.+/-]){_LOCAL}@{_DOMAIN}(?![\w-]|\.[^\W_])")
#: Not an address: a density suffix (logo@2x.png), file names, ``git@host:repo``.
_FILE_TLDS = frozenset(
    [
        "png",
        "jpg",
        "jpeg",
        "gif",
        "webp",
        "svg",
        "avif",
        "ico",
        "bmp",
        "tif",
        "tiff",
        "css",
        "js",
        "mjs",
        "json",
        "html",
        "htm",
        "xml",
        "pdf",
        "txt",
        "md",
        "zip",
        "gz",
        "tar",
        "py",
        "rb",
        "php",
        "map",
        "woff",
        "woff2",
        "ttf",
        "otf",
        "eot",
        "mp4",
        "webm",
        "mp3",
        "wav",
    ]
)
_DENSITY_LABEL = re.compile(r"\d+(?:\.\d+)?x$", re.IGNORECASE)
#: A run that may hold a phone number: digits and separators, then an extension. ASCII
#: digits only (a page's own digits), no-break spaces as text or references allowed.
_SEPARATOR = r"(?:[0-9 ().\-/\u00a0\u202f\u2009\u2010-\u2015]|&nbsp;|&#160;|&#[xX]0*[aA]0;)"
#: ``\+?\(?[0-9]`` and the rest, written so that it starts with a class of characters:
#: the ``+``, ``(`` or digit is taken first and told apart by looking back at it. An
#: expression that starts with optional characters is tried whole at every character of
#: a page (3 ms for 100 KB), one that starts with a class skips to each (0.9 ms).
_PHONE_RUN = re.compile(
    r"[(+0-9](?:(?<=\+)\(?[0-9]|(?<=\()[0-9]|(?<=[0-9]))"
    rf"{_SEPARATOR}{{5,}}[0-9](?:\s*(?:ext\.?|x|#)\s*[0-9]{{1,6}})?",
    re.IGNORECASE,
)
_EXTENSION = re.compile(r"\s*(?:ext\.?|x|#)\s*[0-9]{1,6}(?![0-9])", re.IGNORECASE)
#: An international number: a literal ``+`` first, so the search is fast.
_PLUS_RUN = re.compile(r"\+\(?[0-9][0-9 ().\-/\u00a0\u202f\u2009\u2010-\u2015]{5,}[0-9]")
#: Shapes of digits that are not phone numbers, whatever libphonenumber makes of them:
#: dates, year ranges, IPv4 addresses, ISBNs, version numbers.
_NOT_PHONE = re.compile(
    r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}|\d{4}\s*[-\u2013]\s*\d{4}"
    r"|\d{1,3}(?:\.\d{1,3}){3}|97[89][- ]\d{1,5}[- ]\d+[- ]\d+[- ]\d|\d+(?:\.\d+){3,}"
)
#: The parts of a run that is not one number: ``020 7946 0958 / 0959``.
_NUMBERS_IN_RUN = re.compile(r"[^/,]+")
#: Digits as character references: a page that hides numbers this way is read whole.
_DIGIT_REFERENCE = re.compile(r"&#(?:0*(?:4[89]|5[0-7])|[xX]0*3[0-9]);?")
#: What :func:`_ampersand_forms` looks for.
_AMPERSAND_FORMS = re.compile(r"&(?:#|nbsp;|commat)")
_AT_REFERENCE = re.compile(r"&(?:#0*64|#[xX]0*40|commat);?", re.IGNORECASE)
#: The first look for phone numbers, on a page without character references: digits
#: and separators only (fast), the ``+`` or ``(`` before them added after.
_DIGIT_RUN = re.compile(r"[0-9][0-9 ().\-/\u00a0\u202f\u2009\u2010-\u2015]{5,}[0-9]")
#: ``_DIGIT_RUN`` over the page's bytes with every digit made ``0``. An expression that
#: starts with a class of characters is tried at every character of a page (0.6 ms for
#: 100 KB), one that starts with a literal skips to each ``0`` in a plain scan: the same
#: runs in a third of the time. Latin-1 bytes are the characters themselves; in UTF-8
#: each separator is one of its byte sequences, and a character is always whole.
_ZERO_DIGITS = bytes.maketrans(b"0123456789", b"0000000000")
_LATIN1_DIGIT_RUN = re.compile(rb"0[0 ().\-/\xa0]{5,}0")
_UTF8_DIGIT_RUN = re.compile(rb"0(?:[0 ().\-/]|\xc2\xa0|\xe2\x80[\xaf\x89\x90-\x95]){5,}0")
#: UTF-8 continuation bytes made ``\x80``, every other byte ``\x00``: counted, they turn
#: a byte offset into a character offset.
_CONTINUATIONS = bytes(0x80 if 0x80 <= byte < 0xC0 else 0 for byte in range(256))
_AFTER_AT = re.compile(_DOMAIN + r"(?![\w-]|\.[^\W_])")
_LOCAL_CHARS = frozenset(string.ascii_letters + string.digits + "!#$%&'*+=?^_`{|}~-")
_LOCAL_PART_CHARS = _LOCAL_CHARS | {"."}
#: What the tokenizer decodes in text: character references, CR LF, NUL.
_REFERENCE = re.compile(r"&(?:#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[A-Za-z][A-Za-z0-9]*;?)|\r\n?|\x00")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_ATTRIBUTE = re.compile(
    r"""(?P<name>[^\s"'>/=][^\s"'>/=]*)(?:\s*=\s*(?:"(?P<dq>[^"]*)"|'(?P<sq>[^']*)'|(?P<uq>[^\s>]+)))?"""
)
_TAG_NAME = re.compile(r"</?[^\s/>]+")
#: A void element of the helper's markup, to close for XHTML: ``<img …>`` → ``<img … />``.
_VOID_TAG = re.compile(r"<(img|source)\b((?:[^>\"']|\"[^\"]*\"|'[^']*')*?)\s*/?>")
_SPACES = re.compile(r"\s+")
#: What a marker may set besides the render options.
_MARK_SETTINGS = frozenset({"alt", "reveal", "compact"})
_YES = frozenset({"", "true", "on", "yes", "1"})
_NO = frozenset({"false", "off", "no", "0"})
#: Elements that sit inside a line of text: a value next to one is still in its sentence.
_INLINE = frozenset(
    [
        "a",
        "abbr",
        "b",
        "bdi",
        "bdo",
        "cite",
        "code",
        "data",
        "dfn",
        "em",
        "i",
        "kbd",
        "mark",
        "q",
        "s",
        "samp",
        "small",
        "span",
        "strong",
        "sub",
        "sup",
        "time",
        "u",
        "var",
    ]
)
#: How many inline tags the look for words around a value crosses on each side.
_INLINE_HOPS = 4
_WORD = re.compile(r"[^\W_]")
_SOURCE_REFERENCE = re.compile(r"&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);?")


def _ampersand_forms(document: str) -> frozenset[str]:
    """Which of ``&#`` (any character reference), ``&nbsp;`` and ``&commat`` the page
    holds: they change how it is searched. One expression that starts with the literal
    ``&`` finds all three in less time than ``in`` takes to look for one (30 µs against
    50 to 80 µs a needle for 100 KB: a ``str`` search for a short needle that is not
    there reads every character of the page)."""
    return frozenset(_AMPERSAND_FORMS.findall(document))


def _mark_places(document: str) -> list[int]:
    """Where ``data-glyphveil``, ``mailto:`` and ``tel:`` (in any case) are: ``str.find``
    for the first, then a look back from each colon, since a page has few colons. Four
    more searches, one a spelling, cost a page of prose (not ASCII, so wide) 0.2 ms."""
    places = list(_all(document, MARK))
    for colon in _all(document, ":"):
        if document[max(0, colon - 6) : colon].lower() == "mailto":
            places.append(colon - 6)
        elif document[max(0, colon - 3) : colon].lower() == "tel":
            places.append(colon - 3)
    return places


def _all(text: str, needle: str) -> Iterator[int]:
    at = text.find(needle)
    while at >= 0:
        yield at
        at = text.find(needle, at + 1)


def _digit_runs(document: str) -> list[tuple[int, str]]:
    """``_DIGIT_RUN``'s matches in ``document`` as (offset, run), found in its bytes
    (see ``_LATIN1_DIGIT_RUN``): Latin-1 when every character fits in a byte, else UTF-8
    (lone surrogates, from bytes decoded with ``surrogateescape``, pass as themselves)."""
    try:
        raw = document.encode("latin-1")
    except UnicodeEncodeError:
        pass
    else:
        found = _LATIN1_DIGIT_RUN.finditer(raw.translate(_ZERO_DIGITS))
        return [(m.start(), document[m.start() : m.end()]) for m in found]
    raw = document.encode("utf-8", "surrogatepass")
    continuations = raw.translate(_CONTINUATIONS)
    runs = []
    counted = behind = 0  # continuation bytes before offset ``counted``
    for match in _UTF8_DIGIT_RUN.finditer(raw.translate(_ZERO_DIGITS)):
        start, end = match.span()
        behind += continuations.count(0x80, counted, start)
        counted = start
        runs.append((start - behind, raw[start:end].decode()))  # digits and separators
    return runs


def _plausible_domain(domain: str) -> bool:
    """Not a file name (``logo@2x.png``, ``app.min.js``) nor a density suffix."""
    labels = domain.lower().split(".")
    return labels[-1] not in _FILE_TLDS and not _DENSITY_LABEL.match(labels[0])


@dataclass(frozen=True)
class Found:
    """One value the rewriter replaced or left: its kind, where it was and what it is.

    ``text`` is the plaintext, for the caller's own checks; ``repr`` leaves it out so
    that logging a report never puts it in a log.
    """

    kind: Kind
    line: int
    where: str
    text: str = field(repr=False)


@dataclass(frozen=True)
class Rewritten:
    """A rewritten document and what happened to the values in it."""

    document: str
    replaced: tuple[Found, ...]
    left: tuple[Found, ...]

    @property
    def changed(self) -> bool:
        return bool(self.replaced)

    def summary(self) -> str:
        """``3 email addresses, 1 phone number`` (and what was left where), no values."""
        parts = [_count(self.replaced, kind) for kind in ("email", "phone", "marked")]
        text = ", ".join(part for part in parts if part) or "nothing"
        if self.left:
            places = sorted({found.where for found in self.left})
            text += f"; {len(self.left)} left in {', '.join(places)}"
        return text


def _count(found: tuple[Found, ...], kind: str) -> str:
    number = sum(1 for item in found if item.kind == kind)
    noun = {"email": "email address", "phone": "phone number", "marked": "marked element"}[kind]
    if number == 0:
        return ""
    plural = noun + ("es" if noun.endswith("ss") else "s")
    return f"{number} {noun if number == 1 else plural}"


@dataclass(slots=True)
class _Open:
    """An element on the stack of open elements, with what it means for its content.
    ``line`` is worked out for marked elements and links alone, which report it."""

    name: str
    category: str = ""  # "", "alone", "code", "text", "off", "marked", "link"
    tag_start: int = 0
    content_start: int = 0
    line: int = 0
    marked: dict[str, object] | None = None
    link_value: str | None = None
    link_kind: Kind | None = None
    link_used: bool = False
    texts: list[str] = field(default_factory=list)


@dataclass
class _Edit:
    start: int
    end: int
    text: str


class Rewriter:
    """Rewrites HTML documents for the glyphveil service at ``base_url``.

    ``region`` is the ISO 3166 region for phone numbers written without a country code
    (``"GB"``: ``020 7946 0958``); without one only numbers starting with ``+`` are
    found. ``phone_leniency`` ``"valid"`` (the default) takes only numbers
    libphonenumber's metadata knows as assigned; ``"possible"`` any number of a
    possible length, which finds fictional numbers too, and more false positives.
    Numbers written as bare digits are taken only when they start with the region's
    trunk prefix (``02081234567`` in GB): ``2025550143`` is an order number as often
    as a phone number.

    ``emails`` and ``phones`` turn the two searches off; ``code=True`` rewrites inside
    ``pre``, ``code``, ``kbd`` and ``samp`` too. ``reveal=True`` mints revealable tokens
    (see :func:`tokens.reveal_button`). ``compact`` is the helper's ``compact`` for each
    value: ``"inline"`` (the default) for values inside running text only, ``True`` for
    all, ``False`` for none. The remaining settings are those of
    :func:`tokens.img_tag` for every image: ``keyring``, ``densities``, ``css_class``,
    ``format``, ``ttl``, the ``<picture>`` settings ``narrow`` and ``dark``, and the
    render options; ``email_options`` and
    ``phone_options`` add options for one kind (``{"font": "mono"}``), and a marked
    element's own ``data-glyphveil-*`` attributes win over all of them.
    """

    def __init__(
        self,
        base_url: str,
        *,
        region: str | None = None,
        phone_leniency: Leniency = "valid",
        emails: bool = True,
        phones: bool = True,
        code: bool = False,
        reveal: bool = False,
        compact: Compact = "inline",
        narrow: int | None = NARROW,
        dark: bool | Mapping[str, str] | None = None,
        keyring: KeyRing | None = None,
        densities: Iterable[int] = DEFAULT_DENSITIES,
        css_class: str | None = DEFAULT_CLASS,
        format: Literal["png", "webp"] = "png",
        ttl: float | timedelta | None = None,
        email_options: OptionValues | None = None,
        phone_options: OptionValues | None = None,
        **options: Unpack[OptionValues],
    ) -> None:
        self.base_url = check_base_url(base_url)
        check_format(format)
        self.densities = check_densities(densities)
        if region is not None and region.upper() not in phonenumbers.SUPPORTED_REGIONS:
            raise OptionError(f"unknown phone region {region!r}: use an ISO 3166 code such as 'GB'")
        if phone_leniency not in ("valid", "possible"):
            raise OptionError(
                f"phone_leniency must be 'valid' or 'possible', not {phone_leniency!r}"
            )
        for name, value in (
            ("emails", emails),
            ("phones", phones),
            ("code", code),
            ("reveal", reveal),
        ):
            if type(value) is not bool:
                raise OptionError(f"{name} must be True or False, not {type(value).__name__}")
        if compact != "inline" and type(compact) is not bool:
            raise OptionError(f"compact must be 'inline', True or False, not {compact!r}")
        self.compact: Compact = compact
        check_picture_settings({"narrow": narrow, "dark": dark})
        self.region = region.upper() if region else None
        self._valid_only = phone_leniency == "valid"
        #: Whether each run of digits seen holds a phone number: a site repeats them.
        self._verdicts: dict[str, bool] = {}
        self.emails, self.phones, self.code, self.reveal = emails, phones, code, reveal
        self._settings: dict[str, object] = {
            "keyring": keyring,
            "densities": self.densities,
            "css_class": css_class,
            "format": format,
            "ttl": ttl,
            "narrow": narrow,
            "dark": dark,
        }
        self._options: dict[Kind, dict[str, object]] = {
            "email": _checked({**options, **(email_options or {})}),
            "phone": _checked({**options, **(phone_options or {})}),
            "marked": _checked(dict(options)),
        }

    @overload
    def rewrite(self, document: str, *, encoding: None = None, xhtml: bool = False) -> str: ...
    @overload
    def rewrite(
        self, document: bytes, *, encoding: str | None = None, xhtml: bool = False
    ) -> bytes: ...
    def rewrite(
        self, document: str | bytes, *, encoding: str | None = None, xhtml: bool = False
    ) -> str | bytes:
        """``document`` with every protected value replaced; bytes come back as bytes
        in the same ``encoding`` (from ``<meta charset>`` or UTF-8 when not given).
        ``xhtml=True`` (an ``application/xhtml+xml`` page) closes the inserted void
        elements (``<img … />``), as XML wants."""
        if isinstance(document, bytes):
            charset = encoding or sniff_charset(document)
            text = document.decode(charset, "surrogateescape")
            result = self.run(text, xhtml=xhtml)
            if not result.changed:
                return document
            return result.document.encode(charset, "surrogateescape")
        if not isinstance(document, str):
            raise OptionError(f"document must be str or bytes, not {type(document).__name__}")
        return self.run(document, xhtml=xhtml).document

    def run(self, document: str, *, xhtml: bool = False) -> Rewritten:
        """Rewrite ``document`` and report what was replaced and what was left."""
        if not isinstance(document, str):
            raise OptionError(f"document must be str, not {type(document).__name__}")
        forms = _ampersand_forms(document)
        references = "&#" in forms
        read_all = self.phones and references and _DIGIT_REFERENCE.search(document) is not None
        places = self.places(document, forms=forms)
        if not places and not read_all:
            return Rewritten(document, (), ())
        return _Pass(self, document, xhtml=xhtml).run(places, read_all=read_all)

    def places(self, document: str, *, forms: frozenset[str] | None = None) -> list[int]:
        """Where a value may be, in source offsets, sorted: found by regular expressions
        over the raw page, so that a page without any goes through without being
        tokenized, and a page with some is read closely only there. ``forms`` are the
        page's :func:`_ampersand_forms`, when known."""
        if forms is None:
            forms = _ampersand_forms(document)
        places = _mark_places(document)
        if self.emails:
            after_at = _AFTER_AT.match
            for at in _all(document, "@"):
                before = document[at - 1] if at else " "
                if before not in _LOCAL_CHARS and before != ";":
                    continue  # a decorator, a handle (";" ends a character reference)
                if document[at + 1 : at + 2] == "&":
                    places.append(at)  # the domain written with references: decoded later
                    continue
                domain = after_at(document, at + 1)
                if domain is not None and _plausible_domain(domain.group()):
                    places.append(at)
            if "&#" in forms or "&commat" in forms:
                places += [m.start() for m in _AT_REFERENCE.finditer(document)]
        if self.phones:
            places += self.phone_places(document, forms=forms)
        places.sort()
        return places

    def phone_places(self, document: str, *, forms: frozenset[str] | None = None) -> list[int]:
        """Where runs of digits hold a phone number. Each run is judged from a cache
        first: a page of dates and numbers costs little more than the one regular
        expression. ``+`` numbers are looked for on their own (a literal first: fast).
        ``forms`` are the page's :func:`_ampersand_forms`, when known."""
        if forms is None:
            forms = _ampersand_forms(document)
        with_references = "&#" in forms or "&nbsp;" in forms
        verdicts = self._verdicts
        if len(verdicts) > _VERDICTS:
            verdicts.clear()
        if with_references:
            runs = [(m.start(), m.group()) for m in _PHONE_RUN.finditer(document)]
        else:
            runs = _digit_runs(document)
        if "+" in document:
            runs += [(m.start(), m.group()) for m in _PLUS_RUN.finditer(document)]
        places = []
        for start, run in runs:
            verdict = verdicts.get(run)
            if verdict is None:
                text = html.unescape(run) if with_references else run
                verdict = verdicts[run] = bool(_phone_spans(text, self.region, self._valid_only))
            if verdict:
                places.append(start)
        return places

    # --- what the pass asks -------------------------------------------------------------

    def options_for(self, kind: Kind) -> dict[str, object]:
        return self._options[kind]

    def markup(
        self,
        text: str,
        options: Mapping[str, object],
        alt: str | None = None,
        *,
        compact: bool = False,
    ) -> str:
        settings = {**self._settings, **options}
        reveal = bool(settings.pop("reveal", self.reveal))
        compact = bool(settings.pop("compact", compact))
        return str(
            _img_tag(text, self.base_url, alt=alt, reveal=reveal, compact=compact, **settings)  # type: ignore[arg-type]
        )

    def compact_for(self, in_running_text: Callable[[], bool]) -> bool:
        """Whether a value is drawn compact: by the setting, or where it sits."""
        if self.compact == "inline":
            return in_running_text()
        return self.compact

    def emails_in(self, text: str) -> Iterator[tuple[int, int]]:
        """The addresses in decoded ``text``, as spans. The regular expression runs only
        around each ``@`` (a local part is at most 64 characters), never over prose, and
        from the first of the characters right before the ``@`` that a local part can
        hold: an address that starts before them ends at an earlier ``@``, which found it
        already, and trying the expression at each of 64 characters costs 4 µs an ``@``."""
        if not self.emails or "@" not in text:
            return
        done = 0
        for at in _all(text, "@"):
            if at < done:
                continue
            start, lowest = at, max(done, at - 64)
            while start > lowest and text[start - 1] in _LOCAL_PART_CHARS:
                start -= 1
            match = _EMAIL.search(text, start, at + 256)
            if match is None or match.start() > at:
                continue
            done = match.end()
            if not _plausible_domain(match.group().rsplit("@", 1)[1]):
                continue
            after = text[match.end() : match.end() + 2]
            if after[:1] == ":" and after[1:2] not in ("", " ", "\n", "\t"):
                continue  # git@github.com:owner/repo
            if text[max(0, match.start() - 3) : match.start()].endswith("://"):
                continue  # userinfo of a URL
            yield match.start(), match.end()

    def phones_in(self, text: str) -> Iterator[tuple[int, int]]:
        """The phone numbers in decoded ``text``, as spans: runs of digits found by the
        fast expression, widened to a ``+`` or ``(`` before and an extension after."""
        if not self.phones:
            return
        for run in _DIGIT_RUN.finditer(text):
            start, end = run.start(), run.end()
            while start and text[start - 1] in "+(":
                start -= 1
            extension = _EXTENSION.match(text, end)
            if extension is not None:
                end = extension.end()
            for a, b in _phone_spans(text[start:end], self.region, self._valid_only):
                yield start + a, start + b

    def link_value(self, href: str) -> tuple[Kind, str] | None:
        """The address or number a ``mailto:`` or ``tel:`` href points at: for
        ``mailto:``, the path's first address, else the first of ``to``, ``cc`` and
        ``bcc`` in its query (``mailto:?to=jane@example.com``)."""
        target = href.strip()
        scheme, _, rest = target.partition(":")
        scheme = scheme.lower().strip()
        path, _, query = rest.partition("?")
        value = unquote(path).strip()
        if scheme == "mailto" and self.emails:
            if "@" not in value:
                fields = {name.lower(): found for name, found in reversed(parse_qsl(query))}
                value = next(
                    (fields[n] for n in ("to", "cc", "bcc") if "@" in fields.get(n, "")), ""
                )
            if "@" in value:
                return "email", value.split(",")[0].strip()
        if scheme == "tel" and self.phones and sum(c.isdigit() for c in value) >= 3:
            return "phone", value
        return None


def _checked(options: dict[str, object]) -> dict[str, object]:
    """``options``, checked as the helper checks them (and cached there)."""
    _options(options)  # type: ignore[arg-type]
    return options


@functools.lru_cache(maxsize=8192)
def _phone_spans(run: str, region: str | None, valid_only: bool) -> tuple[tuple[int, int], ...]:
    """The phone numbers in a run of digits and separators, as spans of ``run``.

    ``phonenumbers.parse`` and ``is_valid_number`` (or ``is_possible_number``) decide;
    runs shaped like dates, IP addresses, ISBNs or versions, bare digits and numbers
    without a country code when there is no region are refused before. A run that is
    not one number is tried again split at ``/`` and ``,`` (``020 7946 0958 / 0959``).
    Cached: a site repeats its numbers and its dates on every page.
    """
    digits = sum(map(str.isdigit, run))
    if digits < 7:
        return ()
    closing = run.find(")")
    if closing >= 0 and run.count(")") == run.count("(") + 1 and "(" not in run[:closing]:
        # "020) 7946 0958": the run began just after the "(" of "(020) 7946 0958"
        spans = _phone_spans("(" + run, region, valid_only)
        return tuple((max(0, a - 1), b - 1) for a, b in spans)
    if digits > 17 or _NOT_PHONE.fullmatch(run.strip()) or not _brackets_fit(run):
        return _numbers_within(run, region, valid_only)
    stripped = run.strip(" ()/.-\u00a0\u202f\u2009")
    start = run.index(stripped[:1]) if stripped else 0
    if run[start - 1 : start] == "(":
        start -= 1
    candidate = run[start:].rstrip(" /.-\u00a0\u202f\u2009")
    if not candidate.startswith("+") and (
        region is None
        or (candidate.isdigit() and not _national_prefix(candidate, region))
        or not _dialable(candidate, region)
    ):
        return ()  # bare digits are an order number as often as a phone number
    try:
        number = phonenumbers.parse(candidate, region or "ZZ")
    except phonenumbers.NumberParseException:
        return ()
    if valid_only:
        ok = phonenumbers.is_valid_number(number)
    else:
        ok = phonenumbers.is_possible_number(number)
    if ok:
        return ((start, start + len(candidate)),)
    return _numbers_within(run, region, valid_only)


def _numbers_within(run: str, region: str | None, valid_only: bool) -> tuple[tuple[int, int], ...]:
    """The phone numbers among the separate numbers of ``run`` (two or more of them), as
    spans of ``run``: a run that is not one number may hold several."""
    parts = list(_NUMBERS_IN_RUN.finditer(run))
    if len(parts) < 2:
        return ()
    return tuple(
        (part.start() + a, part.start() + b)
        for part in parts
        for a, b in _phone_spans(part.group(), region, valid_only)
    )


def _brackets_fit(run: str) -> bool:
    """At most one pair of parentheses, and balanced (``(020) 7946 0958``)."""
    opened, closed = run.count("("), run.count(")")
    if opened == closed == 0:
        return True
    return opened == closed == 1 and run.index("(") < run.index(")")


def _dialable(candidate: str, region: str) -> bool:
    """A number written in national format starts with the region's trunk prefix
    (``020 7946 0958``, not ``20 7946 0958``) where the region has one; NANP regions
    (``+1``), where it is left out, and international dialling (``00 …``) excepted."""
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
    if metadata is None or not metadata.national_prefix or metadata.country_code == 1:
        return True
    digits = candidate.lstrip("(")
    idd = metadata.international_prefix or ""
    return digits.startswith(metadata.national_prefix) or bool(
        idd and re.match(idd, "".join(c for c in digits if c.isdigit()))
    )


def _national_prefix(digits: str, region: str) -> bool:
    """Whether bare ``digits`` start with the region's trunk prefix (``0`` in GB): a
    number written for dialling (``02081234567``), not an order number."""
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
    prefix = metadata.national_prefix if metadata is not None else None
    return prefix is not None and prefix != "" and digits.startswith(prefix) and len(digits) >= 10


def rewrite(document: str, base_url: str, **settings: object) -> str:
    """``Rewriter(base_url, **settings).rewrite(document)``, for one page; build a
    :class:`Rewriter` once for many."""
    return Rewriter(base_url, **settings).rewrite(document)  # type: ignore[arg-type]


_META_CHARSET = re.compile(rb"""<meta[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)


def sniff_charset(document: bytes) -> str:
    """The charset of an HTML document given as bytes: its byte order mark, else its
    ``<meta charset>`` in the first 1024 bytes, else UTF-8 (as a browser would)."""
    if document.startswith(codecs.BOM_UTF8):
        return "utf-8"
    if document.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    match = _META_CHARSET.search(document[:1024])
    if match:
        name = match.group(1).decode("ascii").lower()
        try:
            return codecs.lookup(name).name
        except LookupError:
            pass
    return "utf-8"


class _Pass:
    """One rewrite of one document: walks the tokens, keeps the stack of open
    elements, collects edits by source offset and applies them."""

    def __init__(self, rewriter: Rewriter, document: str, *, xhtml: bool = False) -> None:
        self.rw = rewriter
        self.xhtml = xhtml
        self.doc = document
        self.line_starts = _line_starts(document)
        self.edits: list[_Edit] = []
        self.replaced: list[Found] = []
        self.left: list[Found] = []
        self.stack: list[_Open] = []
        self.counts: dict[str, int] = {}
        self.open_names: dict[str, int] = {}
        self.in_head = False
        self.cache: dict[tuple[str, tuple[tuple[str, str], ...]], str] = {}

    # --- positions ----------------------------------------------------------------------

    def line_of(self, offset: int) -> int:
        return bisect.bisect_right(self.line_starts, offset)

    # --- the walk -------------------------------------------------------------------------

    def run(self, places: list[int], *, read_all: bool = False) -> Rewritten:
        """Walk the tokens that matter: those holding one of ``places`` (every text with
        ``read_all``), the elements that change how their content is read, and all of
        them inside a link or a marked element. The rest are never looked at one by one:
        a page has thousands of tokens and each field read from one costs, so only the
        tag names of all are read, and the source offsets of those visited."""
        tokens = list(tokenize(self.doc))
        count = len(tokens)
        line_starts = self.line_starts
        size = len(self.doc)

        def offset(token: Token) -> int:
            return line_starts[token.line - 1] + token.col

        def start_of(index: int) -> int:
            """Where token ``index`` starts in the source; past the last, the end."""
            return offset(tokens[index]) if index < count else size

        hot = {bisect.bisect_right(tokens, place, key=offset) - 1 for place in places}
        watched = [i for i, token in enumerate(tokens) if token.tag in _WATCHED]
        events = hot.union(watched)
        if read_all:
            events.update(i for i, token in enumerate(tokens) if token.type is TokenType.TEXT)
        head_end = self.head_end(tokens, watched)
        events |= head_end
        order = sorted(i for i in events if 0 <= i < count)
        closed = _closed_with_nothing_inside(tokens, order, hot | head_end)
        counts = self.counts
        event = 0
        last = -1
        index = order[0] if order else count
        while index < count:
            token = tokens[index]
            kind = token.type
            if index in closed and not (self.in_head or counts.get("nested") or counts.get("link")):
                last = closed[index]  # pushed and popped again, nothing read: not walked
            elif kind is TokenType.TEXT:
                first = index
                while first > last + 1 and tokens[first - 1].type is TokenType.TEXT:
                    first -= 1
                end = index + 1
                while end < count and tokens[end].type is TokenType.TEXT:
                    end += 1
                heated = any(i in hot for i in range(first, end))
                if heated or read_all or counts.get("marked") or counts.get("link"):
                    data = "".join(tokens[i].data or "" for i in range(first, end))
                    self.text(start_of(first), start_of(end), data)
                last = end - 1
            else:
                if kind is TokenType.START_TAG:
                    attrs = (token.attrs or []) if index in hot else []
                    self.start_tag(token.tag or "", attrs, start_of(index), start_of(index + 1))
                elif kind is TokenType.END_TAG:
                    name = token.tag or ""
                    if name == "head" or self.open_names.get(name):
                        self.end_tag(name, start_of(index))
                elif kind is TokenType.COMMENT and index in hot and token.data:
                    self.comment(token.data, start_of(index))
                last = index
            if counts.get("nested") or counts.get("link"):
                index = last + 1  # inside a link or a marked element: every token
                continue
            while event < len(order) and order[event] <= last:
                event += 1
            index = order[event] if event < len(order) else count
        self.end_tag("", len(self.doc), close_all=True)
        return Rewritten(self.apply(), tuple(self.replaced), tuple(self.left))

    def head_end(self, tokens: list[Token], watched: list[int]) -> set[int]:
        """The token that ends ``<head>`` without a ``</head>``: the first start tag of
        an element that does not belong there. ``watched`` (indices, in order) holds
        every ``head`` tag."""
        for index in watched:
            if tokens[index].tag == "head" and tokens[index].type is TokenType.START_TAG:
                for later in range(index + 1, len(tokens)):
                    kind, name = tokens[later].type, tokens[later].tag
                    if kind is TokenType.START_TAG and name not in _HEAD_CONTENT:
                        return {later}
                    if kind is TokenType.END_TAG and name == "head":
                        return set()
                return set()
        return set()

    def apply(self) -> str:
        if not self.edits:
            return self.doc
        pieces: list[str] = []
        position = 0
        for edit in sorted(self.edits, key=lambda e: (e.start, e.end)):
            if edit.start < position:
                continue  # inside an edit already made (a marked element's content)
            pieces.append(self.doc[position : edit.start])
            pieces.append(edit.text)
            position = edit.end
        pieces.append(self.doc[position:])
        return "".join(pieces)

    def inside(self, category: str) -> bool:
        return self.counts.get(category, 0) > 0

    def push(self, element: _Open) -> None:
        self.stack.append(element)
        self.open_names[element.name] = self.open_names.get(element.name, 0) + 1
        if element.category:
            self.counts[element.category] = self.counts.get(element.category, 0) + 1
        if element.category in ("marked", "off"):
            self.counts["nested"] = self.counts.get("nested", 0) + 1

    def pop(self, end: int) -> None:
        element = self.stack.pop()
        self.open_names[element.name] -= 1
        if element.category:
            self.counts[element.category] -= 1
        if element.category in ("marked", "off"):
            self.counts["nested"] -= 1
        if element.category == "marked":
            self.finish_marked(element, end)
        elif element.category == "link":
            self.finish_link(element, end)

    # --- tags -------------------------------------------------------------------------------

    def start_tag(self, name: str, attrs: list[tuple[str, str]], start: int, end: int) -> None:
        if self.in_head and name not in _HEAD_CONTENT:
            self.in_head = False
        if name == "head":
            self.in_head = True
        if (
            self.stack
            and self.stack[-1].name in ("option", "p", "li")
            and name == self.stack[-1].name
        ):
            self.pop(start)  # the end tags HTML lets a page leave out, where they matter here
        values = dict(attrs)
        busy = self.inside("off") or self.inside("marked") or self.inside("alone")
        if not busy:
            self.check_attributes(name, attrs, start, end)
        element = _Open(name=name, tag_start=start, content_start=end)
        mark = values.get(MARK)
        if mark is not None and mark.strip().lower() == "off":
            element.category = "off"
        elif mark is not None and not busy and name not in _VOID:
            element.category = "marked"
            element.line = self.line_of(start)
            element.marked = self.marked_options(attrs, element.line)
        elif name == "a" and not busy and "href" in values:
            found = self.rw.link_value(values["href"])
            if found is not None:
                element.category = "link"
                element.line = self.line_of(start)
                element.link_kind, element.link_value = found
                self.edit_attribute(start, end, "href", None)
                self.replaced.append(Found(found[0], element.line, "link", found[1]))
        elif name in _LEFT_ALONE:
            element.category = "alone"
        elif name in _CODE and not self.rw.code:
            element.category = "code"
        elif name in _TEXT_ONLY:
            element.category = "text"
        self_closing = self.inside("text") and self.doc[start:end].rstrip(">").endswith("/")
        if name in _VOID or (self_closing and element.category == ""):
            if element.category == "marked":
                raise OptionError(f"line {element.line}: {MARK} on <{name}>, which has no text")
            return
        if element.category or busy:  # inside a marked element, every element, for nesting
            self.push(element)

    def end_tag(self, name: str, start: int, *, close_all: bool = False) -> None:
        if name == "head":
            self.in_head = False
        if close_all:
            while self.stack:
                self.pop(start)
            return
        for depth in range(len(self.stack) - 1, -1, -1):
            if self.stack[depth].name == name:
                while len(self.stack) > depth:
                    self.pop(start)
                return

    def marked_options(self, attrs: list[tuple[str, str]], line: int) -> dict[str, object]:
        options: dict[str, object] = dict(self.rw.options_for("marked"))
        prefix = MARK + "-"
        for attr, value in attrs:
            if not attr.startswith(prefix):
                continue
            name = attr[len(prefix) :]
            if name in ("token", "label"):
                continue  # the reveal wrapper's own attributes
            if name not in OPTION_NAMES and name not in _MARK_SETTINGS:
                allowed = ", ".join(prefix + n for n in (*OPTION_NAMES, *sorted(_MARK_SETTINGS)))
                raise OptionError(f"line {line}: unknown attribute {attr}: use {allowed}")
            parsed: object = value
            if name in ("size", "padding"):
                try:
                    parsed = int(value)
                except ValueError:
                    raise OptionError(f"line {line}: {attr} must be a number of px") from None
            elif name == "reveal":
                parsed = value.strip().lower() in _YES
            elif name == "compact":
                word = value.strip().lower()
                if word not in _YES | _NO:
                    raise OptionError(f"line {line}: {attr} must be true or false, not {value!r}")
                parsed = word in _YES
            options[name] = parsed
        try:
            _checked({k: v for k, v in options.items() if k in OPTION_NAMES})
        except OptionError as exc:
            raise OptionError(f"line {line}: {exc}") from None
        return options

    def finish_marked(self, element: _Open, end: int) -> None:
        text = _SPACES.sub(" ", "".join(element.texts)).strip()
        if not text:
            return  # empty, or rewritten already: only the image is left inside
        assert element.marked is not None
        options = dict(element.marked)
        alt = options.pop("alt", None)
        # A marker says what it wants: compact with data-glyphveil-compact, or when all are.
        compact = options.pop("compact", self.rw.compact is True)
        try:
            markup = self.markup(
                text, options, alt=str(alt) if alt is not None else None, compact=bool(compact)
            )
        except OptionError as exc:
            raise OptionError(f"line {element.line}: {exc}") from None
        self.edits.append(_Edit(element.content_start, end, markup))
        self.replaced.append(Found("marked", element.line, MARK, text))

    def finish_link(self, element: _Open, end: int) -> None:
        if element.link_used or not self.rw.reveal or element.link_value is None:
            return
        assert element.link_kind is not None
        kind = element.link_kind
        compact = self.rw.compact_for(lambda: self.in_running_text(element.tag_start, end))
        markup = self.markup(
            element.link_value, self.rw.options_for(kind), kind=kind, compact=compact
        )
        close = self.doc.find(">", end)
        position = len(self.doc) if close < 0 else close + 1
        self.edits.append(_Edit(position, position, " " + markup))

    # --- attributes -------------------------------------------------------------------------

    def check_attributes(
        self, name: str, attrs: list[tuple[str, str]], start: int, end: int
    ) -> None:
        for attr, value in attrs:
            if not value or attr.startswith(MARK):
                continue
            if attr in _NOT_TEXT and not (attr == "href" and name != "a" and _is_link(value)):
                continue
            spans = list(self.rw.emails_in(value)) + list(self.rw.phones_in(value))
            if not spans:
                continue
            readable = attr in _READABLE or (name == "meta" and attr == "content")
            line = self.line_of(start)
            if not readable:
                for a, b in spans:
                    self.left.append(
                        Found(_kind(value[a:b]), line, f"attribute {attr}", value[a:b])
                    )
                continue
            new = _described(value, spans)
            self.edit_attribute(start, end, attr, new)
            for a, b in spans:
                self.replaced.append(
                    Found(_kind(value[a:b]), line, f"attribute {attr}", value[a:b])
                )

    def edit_attribute(self, start: int, end: int, attr: str, value: str | None) -> None:
        """Set (or, with ``None``, remove) ``attr`` in the start tag at ``start:end``."""
        tag = self.doc[start:end]
        name_end = _TAG_NAME.match(tag)
        position = name_end.end() if name_end else 1
        for match in _ATTRIBUTE.finditer(tag, position):
            if match.group("name").lower() != attr:
                continue
            if value is None:
                before = start + match.start()
                while before > start and self.doc[before - 1] in " \t\n\r\f":
                    before -= 1
                self.edits.append(_Edit(before, start + match.end(), ""))
            else:
                quote = "'" if match.group("sq") is not None else '"'
                escaped = html.escape(value, quote=True)
                new = f"{match.group('name')}={quote}{escaped}{quote}"
                self.edits.append(_Edit(start + match.start(), start + match.end(), new))
            return

    # --- text ------------------------------------------------------------------------------

    def text(self, start: int, end: int, data: str) -> None:
        if self.stack:
            for element in reversed(self.stack):
                if element.category == "marked":
                    element.texts.append(data)
                    return
        if self.inside("off"):
            return
        link = next((e for e in reversed(self.stack) if e.category == "link"), None)
        spans: list[tuple[int, int, Kind]] = [(a, b, "email") for a, b in self.rw.emails_in(data)]
        spans += [(a, b, "phone") for a, b in self.rw.phones_in(data)]
        if link is not None and link.link_value is not None and not spans:
            whole = _whole_value(data, link.link_value, link.link_kind)
            if whole is not None:
                spans = [(whole[0], whole[1], link.link_kind or "email")]
        if not spans:
            return
        spans = _without_overlaps(spans)
        line = self.line_of(start)
        if (
            self.inside("alone")
            or self.inside("code")
            or (self.in_head and not self.inside("text"))
        ):
            where = self.where()
            for a, b, kind in spans:
                self.left.append(Found(kind, line, where, data[a:b]))
            return
        raw = self.doc[start:end]
        to_raw = _source_map(raw, data)
        if to_raw is None:  # the tokenizer decoded differently: leave it, and say so
            for a, b, kind in spans:
                self.left.append(Found(kind, line, "text", data[a:b]))
            return
        generic = self.inside("text")
        compact = not generic and self.rw.compact_for(
            lambda: _has_words(data, spans) or self.in_running_text(start, end)
        )
        for a, b, kind in spans:
            value = data[a:b]
            if generic:
                markup = html.escape(EMAIL if kind == "email" else PHONE)
            else:
                markup = self.markup(value, self.rw.options_for(kind), kind=kind, compact=compact)
            self.edits.append(_Edit(start + to_raw[a], start + to_raw[b], markup))
            self.replaced.append(Found(kind, line, "text", value))
            if link is not None:
                link.link_used = True

    def comment(self, data: str, start: int) -> None:
        """Comments are left as they are; what they hold is reported."""
        for a, b in [*self.rw.emails_in(data), *self.rw.phones_in(data)]:
            self.left.append(Found(_kind(data[a:b]), self.line_of(start), "comment", data[a:b]))

    def in_running_text(self, start: int, end: int) -> bool:
        """Whether the source at ``start:end`` sits in a line of text: words right
        before or after it, across up to a few inline tags (``<a>``, ``<b>``)."""
        return _words_before(self.doc, start) or _words_after(self.doc, end)

    def where(self) -> str:
        for element in reversed(self.stack):
            if element.category in ("alone", "code"):
                return f"<{element.name}>"
        return "<head>"

    def markup(
        self,
        text: str,
        options: Mapping[str, object],
        alt: str | None = None,
        kind: Kind | None = None,
        compact: bool = False,
    ) -> str:
        """The helper's markup for ``text``, once per distinct value and options a page.
        An email or phone number takes its kind's options: the kind is the key."""
        settings: tuple[tuple[str, str], ...] = (
            (("kind", kind),) if kind else tuple(sorted((k, repr(v)) for k, v in options.items()))
        )
        key = (text, (*settings, ("alt", repr(alt)), ("compact", repr(compact))))
        markup = self.cache.get(key)
        if markup is None:
            markup = self.rw.markup(text, options, alt=alt, compact=compact)
            if self.xhtml:
                markup = _VOID_TAG.sub(r"<\1\2 />", markup)
            self.cache[key] = markup
        return markup


def _closed_with_nothing_inside(
    tokens: list[Token], order: list[int], keep: set[int]
) -> dict[int, int]:
    """The start tags in ``order`` (the events of a walk) of code and raw text elements
    whose end tag is the next event but for such pairs inside: start tag index to end
    tag index. Unless something is to be done between them (``keep``: tokens holding a
    place, the end of ``<head>``), the walk steps over such an element: it would push
    it and pop it again with nothing read in between. A page of code samples has two
    of them in each, half of the events of a walk. The walk checks that it is not
    inside ``<head>`` (whose end the start tag would mark) nor inside a link or a
    marked element (where it reads every token) before it steps over."""
    closed: dict[int, int] = {}
    kept: list[int] = []  # events not paired yet
    for index in order:
        token = tokens[index]
        name = token.tag
        if (
            token.type is TokenType.END_TAG
            and name in _STEPPED_OVER
            and kept
            and tokens[kept[-1]].tag == name
            and tokens[kept[-1]].type is TokenType.START_TAG
            and kept[-1] not in keep
            and index not in keep
        ):
            closed[kept.pop()] = index
        else:
            kept.append(index)
    return closed


def _has_words(data: str, spans: list[tuple[int, int, Kind]]) -> bool:
    """Whether decoded ``data`` holds words besides its values."""
    position = 0
    for a, b, _ in spans:
        if _WORD.search(data, position, a):
            return True
        position = b
    return _WORD.search(data, position) is not None


def _source_words(text: str) -> bool:
    """Whether source text (between two tags) holds a word; references are not words."""
    if "&" in text:
        text = _SOURCE_REFERENCE.sub(" ", text)
    return _WORD.search(text) is not None


def _tag_name(tag: str) -> str:
    match = _TAG_NAME.match(tag)
    return match.group().lstrip("</").lower() if match else ""


def _words_before(document: str, position: int) -> bool:
    for _ in range(_INLINE_HOPS + 1):
        close = document.rfind(">", 0, position)
        if _source_words(document[close + 1 : position]):
            return True
        opening = document.rfind("<", 0, close) if close >= 0 else -1
        if opening < 0 or _tag_name(document[opening : close + 1]) not in _INLINE:
            return False
        position = opening
    return False


def _words_after(document: str, position: int) -> bool:
    for _ in range(_INLINE_HOPS + 1):
        opening = document.find("<", position)
        if _source_words(document[position : opening if opening >= 0 else len(document)]):
            return True
        close = document.find(">", opening) if opening >= 0 else -1
        if close < 0 or _tag_name(document[opening : close + 1]) not in _INLINE:
            return False
        position = close + 1
    return False


def _is_link(href: str) -> bool:
    return href.lstrip()[:7].lower().startswith(("mailto:", "tel:"))


def _line_starts(document: str) -> list[int]:
    """The offset where each line starts, lines as the tokenizer counts them (LF, CR LF
    or CR); without CR, from ``str.find``, which skips to each LF in C (splitting the
    page would copy it: a third slower)."""
    if "\r" in document:
        return [0, *(match.end() for match in _LINE_BREAK.finditer(document))]
    starts = [0]
    find = document.find
    at = find("\n")
    while at >= 0:
        at += 1
        starts.append(at)
        at = find("\n", at)
    return starts


def _kind(value: str) -> Kind:
    return "email" if "@" in value else "phone"


def _described(value: str, spans: list[tuple[int, int]]) -> str:
    pieces, position = [], 0
    for a, b in sorted(spans):
        if a < position:
            continue
        pieces += [value[position:a], describe(value[a:b])]
        position = b
    pieces.append(value[position:])
    return "".join(pieces)


def _without_overlaps(spans: list[tuple[int, int, Kind]]) -> list[tuple[int, int, Kind]]:
    kept: list[tuple[int, int, Kind]] = []
    for span in sorted(spans):
        if kept and span[0] < kept[-1][1]:
            continue
        kept.append(span)
    return kept


def _whole_value(data: str, value: str, kind: Kind | None) -> tuple[int, int] | None:
    """The span of ``data``'s text when it shows the link's own value, as written."""
    stripped = data.strip()
    if not stripped:
        return None
    start = data.index(stripped)
    if kind == "email":
        same = stripped.casefold() == value.casefold()
    else:
        shown = "".join(c for c in stripped if c.isdigit())
        target = "".join(c for c in value if c.isdigit())
        same = len(shown) >= 5 and (target.endswith(shown) or shown.endswith(target[-7:]))
        same = same and not any(c.isalpha() for c in stripped)
    return (start, start + len(stripped)) if same else None


def _source_map(raw: str, data: str) -> Sequence[int] | None:
    """For each index of the decoded ``data`` (and its end), the index in ``raw``: the
    text as it is in the source, with character references and CR LF pairs. Text
    without them maps to itself: a ``range``, not a list of every index."""
    if raw == data:
        return range(len(raw) + 1)
    mapping: list[int] = []
    decoded: list[str] = []
    position = 0
    for match in _REFERENCE.finditer(raw):
        for index in range(position, match.start()):
            mapping.append(index)
        decoded.append(raw[position : match.start()])
        piece = match.group()
        if piece.startswith("\r"):
            text = "\n"
        elif piece == "\x00":
            text = "\x00"
        else:
            text = html.unescape(piece)
        mapping.extend([match.start()] * len(text))
        decoded.append(text)
        position = match.end()
    mapping.extend(range(position, len(raw)))
    decoded.append(raw[position:])
    if "".join(decoded) != data:
        return None
    mapping.append(len(raw))
    return mapping
