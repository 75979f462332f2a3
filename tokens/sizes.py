"""Image sizes from font metrics, without Pillow: the box the service draws a token's text in.

:func:`text_box` lays a line out as the service does (the same per-character font
fallback, the largest ascent and descent of the fonts involved, room for the noise) from
``font_metrics.json``, a table of the bundled fonts' advances generated with fontTools
(``python -m server.render.font_table``). The service sizes its canvas with this very
function, so the ``width`` and ``height`` a page's ``<img>`` promises are the image's size
in CSS px, times the density, by construction. Kerning and shaping can make the drawn line
a little narrower or wider than the sum of advances: the service then centres or shrinks
the drawing inside the box, and never changes the box.

Two rules of the box live here and nowhere else: the width is rounded up to a bucket
(:func:`bucket_width`), so that it does not tell a text's exact length, as the token's
length does not; and a token with ``lines=2`` is broken once (:func:`break_lines`) and
its lines stacked (:attr:`TextBox.rows`).
"""

from __future__ import annotations

import bisect
import dataclasses
import functools
import json
import math
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from importlib import resources
from types import MappingProxyType

from .errors import OptionError
from .options import DENSITIES, MAX_WIDTH, Noise, RenderOptions

__all__ = [
    "ATTACHED",
    "BREAK_AFTER",
    "BUCKET_EM",
    "DROPPED",
    "MAX_PIXELS",
    "MISSING",
    "NOISE_ROOM",
    "FontMetrics",
    "FontTable",
    "NoiseRoom",
    "TextBox",
    "break_lines",
    "bucket_width",
    "check_densities",
    "drawn_size",
    "fits",
    "font_runs",
    "font_table",
    "image_size",
    "text_box",
]

#: The service's default limit on an image's area in device px (``GLYPHVEIL_MAX_PIXELS``).
MAX_PIXELS = 16_000_000
#: Categories that attach to the previous character (marks, spacing marks, format
#: characters such as ZWJ and variation selectors): they stay in its font or are dropped.
ATTACHED = frozenset({"Mn", "Me", "Mc", "Cf"})
#: Control characters and line and paragraph separators: a line has no breaks, so the
#: service draws nothing for them.
DROPPED = frozenset({"Cc", "Zl", "Zp"})
#: What the service draws, with the sans family, for a character no bundled font has.
MISSING = "\u25a1"
#: FreeType places glyphs on a 1/64 px grid, so each advance the service draws may be
#: up to 1/64 device px longer than the table's; the box keeps that much room per glyph.
_GRID = 1 / 64
_TABLE = "font_metrics.json"
#: Image widths are rounded up to a multiple of this many em of the drawn size (48 px
#: at ``medium``): a width then fits some 4 em of text lengths, so it no longer tells a
#: price's digit count, and leaves about 40 times as many candidates among
#: ``first.last@`` addresses as the exact width did (``bench/width_leak.py``).
BUCKET_EM = 2
#: Separators a line may break after (besides a space, which the break replaces), unless
#: they stand between two digits: ``010-4477`` and ``1,299.00`` stay whole.
BREAK_AFTER = frozenset("-/._,·")


@dataclass(frozen=True, slots=True)
class NoiseRoom:
    """Room the noise needs, in em: around the line, and between glyph clusters; and the
    smallest size (CSS px) it draws at."""

    #: On every side of the line: rotated and raised glyphs, and the strokes' ends.
    slack: float
    #: Added after each glyph cluster: the mean of the noise's random letter spacing.
    tracking: float
    #: Text with this noise is drawn at least this many CSS px, whatever size the token
    #: asks for: glyphs turned 20-48 degrees among strokes need the pixels to be read.
    min_size: int = 0


#: The room each noise level takes. Noisy text runs along a steep zigzag: it needs
#: height above and below the line (slack: 0.7 of the path's band, about where its
#: corners reach). Across, the runs climb at 30-48 degrees, which takes less width than
#: the straight line, and neighbours turned towards each other are parted so that they
#: touch but never overlap, which takes more: the tracking is what nine drawings in
#: ten need, less the room the slack already adds at the ends. The service fits its
#: drawing in this box (shrinking the rare one that is wider); its tests check the room
#: matches the profiles.
NOISE_ROOM: Mapping[Noise, NoiseRoom] = MappingProxyType(
    {
        Noise.NONE: NoiseRoom(slack=0.0, tracking=0.0),
        Noise.LOW: NoiseRoom(slack=0.42, tracking=0.03, min_size=16),
        Noise.MEDIUM: NoiseRoom(slack=0.7, tracking=-0.04, min_size=24),
        Noise.HIGH: NoiseRoom(slack=0.77, tracking=-0.05, min_size=24),
    }
)


def drawn_size(options: RenderOptions) -> int:
    """The font size in CSS px the service draws the text at: the token's size, raised to
    the noise level's :attr:`NoiseRoom.min_size` (noisy text is not legible smaller)."""
    return max(options.size, NOISE_ROOM[options.noise].min_size)


@dataclass(frozen=True, slots=True)
class FontMetrics:
    """One bundled font's metrics in font units: vertical extent and advances."""

    name: str
    units_per_em: int
    ascent: int
    descent: int
    #: Runs of code points with one advance: ``starts[i] <= code < ends[i]``.
    starts: tuple[int, ...]
    ends: tuple[int, ...]
    advances: tuple[int, ...]

    def advance(self, code: int) -> int | None:
        """The advance of code point ``code`` in font units; ``None`` if the font lacks it."""
        index = bisect.bisect_right(self.starts, code) - 1
        if index >= 0 and code < self.ends[index]:
            return self.advances[index]
        return None


@dataclass(frozen=True, slots=True)
class FontTable:
    """Every bundled font by family, with the fallbacks in the order the service tries them."""

    families: Mapping[str, FontMetrics]
    fallbacks: tuple[FontMetrics, ...]


@functools.cache
def font_table() -> FontTable:
    """The table shipped in the package, read once."""
    raw = json.loads(resources.files(__package__).joinpath(_TABLE).read_text(encoding="ascii"))
    fonts = {name: _font(name, entry) for name, entry in raw["fonts"].items()}
    families = {family: fonts[name] for family, name in raw["families"].items()}
    return FontTable(
        families=MappingProxyType(families),
        fallbacks=tuple(fonts[name] for name in raw["fallbacks"]),
    )


def _font(name: str, entry: Mapping[str, object]) -> FontMetrics:
    flat = entry["advances"]
    assert isinstance(flat, list)
    starts, ends, advances = [], [], []
    end = 0
    for gap, count, advance in zip(flat[::3], flat[1::3], flat[2::3], strict=True):
        starts.append(end + gap)
        end = end + gap + count
        ends.append(end)
        advances.append(advance)
    return FontMetrics(
        name,
        int(entry["units_per_em"]),  # type: ignore[call-overload]
        int(entry["ascent"]),  # type: ignore[call-overload]
        int(entry["descent"]),  # type: ignore[call-overload]
        tuple(starts),
        tuple(ends),
        tuple(advances),
    )


@dataclass(frozen=True, slots=True)
class TextBox:
    """Where a token's text goes in its image, in CSS px (times the density for device px).

    The line's advances start ``edge`` from the left and have :attr:`room` to run; its
    baseline is :attr:`baseline` from the top.
    """

    #: The image's size.
    width: int
    height: int
    #: Padding plus the noise's slack, on every side.
    edge: int
    #: The tallest ascent and deepest descent of the fonts the line uses.
    ascent: float
    descent: float
    #: The line's predicted width: advances, plus the noise's tracking (the longest
    #: line's, for two lines).
    line: float
    #: For text on two lines: each line's box, as wide as this one, stacked top to
    #: bottom to make it; empty for one line.
    rows: tuple[TextBox, ...] = ()

    @property
    def room(self) -> int:
        """The width the line is drawn in: the image less an edge on each side."""
        return self.width - 2 * self.edge

    @property
    def baseline(self) -> float:
        """From the top of the image to the baseline, the line centred in its band."""
        band = self.height - 2 * self.edge
        return self.edge + (band - self.ascent - self.descent) / 2 + self.ascent

    def size(self, density: int = 1) -> tuple[int, int]:
        """(width, height) of the image in device px at ``density``."""
        return self.width * density, self.height * density


_DROP, _ATTACH, _BASE = 0, 1, 2


@functools.lru_cache(maxsize=8192)
def _place(char: str, family: str) -> tuple[int, FontMetrics | None, str, int]:
    """How the service draws ``char`` with ``family``: (kind, font, character drawn,
    advance in font units). Kind is ``_DROP``, ``_ATTACH`` (font and advance then come
    from the previous character) or ``_BASE``: drawn by the family, else sans, else the
    fallbacks, else as sans's □."""
    category = unicodedata.category(char)
    if category in DROPPED:
        return _DROP, None, char, 0
    if category in ATTACHED:
        return _ATTACH, None, char, 0
    table = font_table()
    code = ord(char)
    for font in (table.families[family], table.families["sans"], *table.fallbacks):
        advance = font.advance(code)
        if advance is not None:
            return _BASE, font, char, advance
    sans = table.families["sans"]
    return _BASE, sans, MISSING, sans.advance(ord(MISSING)) or 0


def _glyphs(text: str, family: str) -> Iterator[tuple[FontMetrics, str, int, bool]]:
    """(font, character drawn, advance in font units, whether it starts a cluster) for
    each character the service draws.

    Each character is drawn by the first font that has it (the family, sans, the CJK
    fallback, the emoji fallback), as a □ if none has it; marks and format characters
    join the previous character's font, or vanish if it lacks them or nothing precedes
    them; control characters and line separators vanish.
    """
    if family not in font_table().families:
        raise OptionError(f"unknown font {family!r}")
    last: FontMetrics | None = None
    for char in text:
        kind, font, shown, advance = _place(char, family)
        if kind == _BASE:
            assert font is not None
            last = font
            yield font, shown, advance, True
        elif kind == _ATTACH and last is not None:
            attached = last.advance(ord(char))
            if attached is not None:
                yield last, char, attached, False


def font_runs(text: str, family: str) -> list[tuple[str, str]]:
    """``text`` split into (font file name, text drawn) runs, as the service splits it.

    The one home of the font-fallback rule (:func:`_place`, :func:`_glyphs`): the
    service draws the runs this gives, with the font files of these names.
    """
    runs: list[tuple[str, list[str]]] = []
    for font, char, _, _ in _glyphs(text, family):
        if runs and runs[-1][0] == font.name:
            runs[-1][1].append(char)
        else:
            runs.append((font.name, [char]))
    return [(name, "".join(chars)) for name, chars in runs]


def bucket_width(width: int, options: RenderOptions) -> int:
    """``width`` rounded up to a multiple of :data:`BUCKET_EM` em of the drawn size."""
    step = BUCKET_EM * drawn_size(options)
    return -(-width // step) * step


def break_lines(text: str) -> tuple[str, ...]:
    """``text`` as the lines a token with ``lines=2`` draws: two, or one where it has no
    place to break.

    An email address (a text with an ``@`` followed by something) breaks after its last
    ``@``. Another text breaks at a space (which is not drawn) or after one of
    :data:`BREAK_AFTER` that does not stand between two decimal digits (category Nd),
    wherever the longer line has the fewest characters (code points), the first such
    place on a tie. Each line must have a character other than a space.
    """
    at = text.rfind("@")
    if 0 < at < len(text) - 1:
        return text[: at + 1], text[at + 1 :]
    best: tuple[str, str] | None = None
    for index, char in enumerate(text):
        if char == " ":
            lines = text[:index], text[index + 1 :]
        elif char in BREAK_AFTER and not (
            0 < index < len(text) - 1
            and text[index - 1].isdecimal()
            and text[index + 1].isdecimal()
        ):
            lines = text[: index + 1], text[index + 1 :]
        else:
            continue
        if not (lines[0].strip(" ") and lines[1].strip(" ")):
            continue
        if best is None or max(map(len, lines)) < max(map(len, best)):
            best = lines
    return (text,) if best is None else best


def text_box(text: str, options: RenderOptions) -> TextBox:
    """The box the service draws ``text`` in with ``options``; see the module docstring.

    The width is the advances of the characters drawn (see :func:`font_runs`), the
    noise's tracking after each cluster, 1/64 px per glyph for FreeType's grid, and an
    edge each side, rounded up to its bucket (:func:`bucket_width`). The height is the
    fonts' ascent and descent, not the ink, so every line of a size and font is as tall
    whatever its letters, plus an edge each side. With ``lines=2``, the lines of
    :func:`break_lines` each get such a box, as wide as the wider, one above the other.
    Cached: a site mints the same few values on every page it renders, often in light
    and dark colours, which share a box.
    """
    if options.color != _PLAIN.color or options.background != _PLAIN.background:
        options = _uncoloured(options)
    return _text_box(text, options)


_PLAIN = RenderOptions()


@functools.lru_cache(maxsize=256)
def _uncoloured(options: RenderOptions) -> RenderOptions:
    """``options`` in the default colours: colours never change the box."""
    return dataclasses.replace(options, color=_PLAIN.color, background=_PLAIN.background)


@functools.lru_cache(maxsize=1024)
def _text_box(text: str, options: RenderOptions) -> TextBox:
    """:func:`text_box` for options in the default colours."""
    lines = break_lines(text) if options.lines == 2 else (text,)
    boxes = [_line_box(line, options) for line in lines]
    width = bucket_width(max(box.width for box in boxes), options)
    if len(boxes) == 1:
        return dataclasses.replace(boxes[0], width=width)
    rows = tuple(dataclasses.replace(box, width=width) for box in boxes)
    return TextBox(
        width=width,
        height=sum(box.height for box in rows),
        edge=rows[0].edge,
        ascent=max(box.ascent for box in rows),
        descent=max(box.descent for box in rows),
        line=max(box.line for box in rows),
        rows=rows,
    )


def _line_box(text: str, options: RenderOptions) -> TextBox:
    """The box of one line, at its exact width (before :func:`bucket_width`)."""
    family = font_table().families.get(options.font)
    if family is None:
        raise OptionError(f"unknown font {options.font!r}")
    used = {family.name: family}
    em = 0.0  # the line's advance in em
    glyphs = clusters = 0
    last: FontMetrics | None = None
    for char in text:  # _glyphs, inlined: this loop runs for every value a page shows
        kind, font, _, advance = _place(char, options.font)
        if kind == _BASE:
            assert font is not None
            last = used[font.name] = font
            clusters += 1
        elif kind == _ATTACH and last is not None:
            attached = last.advance(ord(char))
            if attached is None:
                continue
            font, advance = last, attached
        else:
            continue
        em += advance / font.units_per_em
        glyphs += 1
    size = drawn_size(options)
    room = NOISE_ROOM[options.noise]
    line = size * (em + clusters * room.tracking) + glyphs * _GRID
    edge = options.padding + math.ceil(size * room.slack)
    ascent = max(size * font.ascent / font.units_per_em for font in used.values())
    descent = max(size * font.descent / font.units_per_em for font in used.values())
    return TextBox(
        width=max(1, math.ceil(line) + 2 * edge),
        height=max(1, math.ceil(ascent + descent) + 2 * edge),
        edge=edge,
        ascent=ascent,
        descent=descent,
        line=line,
    )


def image_size(text: str, options: RenderOptions, density: int = 1) -> tuple[int, int]:
    """(width, height) in device px of the image the service draws at ``density``."""
    if type(density) is not int or density not in DENSITIES:
        raise OptionError(f"bad density {density!r}: use 1, 2 or 3")
    return text_box(text, options).size(density)


def check_densities(densities: object) -> tuple[int, ...]:
    """Validate the densities a page offers (the service's ``--densities``), sorted.

    1 must be among them: the plain URL is always the 1x image.
    """
    if isinstance(densities, str | bytes) or not hasattr(densities, "__iter__"):
        raise OptionError(f"bad densities {densities!r}: use a sequence such as (1, 2)")
    given = list(densities)
    if not given or any(type(d) is not int or d not in DENSITIES for d in given):
        raise OptionError(f"bad densities {densities!r}: use some of 1, 2, 3")
    values = tuple(sorted(set(given)))
    if 1 not in values:
        raise OptionError(f"bad densities {densities!r}: 1 must be among them")
    return values


def fits(box: TextBox, density: int, max_pixels: int = MAX_PIXELS) -> bool:
    """Whether the service draws the box at ``density`` (each side within
    :data:`~tokens.options.MAX_WIDTH`, the area within ``max_pixels``)."""
    width, height = box.size(density)
    return width <= MAX_WIDTH and height <= MAX_WIDTH and width * height <= max_pixels
