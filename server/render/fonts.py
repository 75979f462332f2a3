"""Bundled fonts and per-character font fallback for every glyphveil renderer.

All text is drawn with the fonts in ``fonts/`` at the repository root, never with
system fonts, so an image looks the same on every host. Text is split into runs
that each use one font: the requested family where it has the glyph, otherwise a
CJK or emoji fallback, otherwise a visible □ box.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from types import MappingProxyType

from fontTools.ttLib import TTFont
from PIL import ImageDraw, ImageFont, features

from tokens.options import FONTS
from tokens.sizes import ATTACHED
from tokens.sizes import font_runs as table_runs

__all__ = [
    "ATTACHED",
    "FALLBACKS",
    "FAMILIES",
    "FONTS_DIR",
    "GLYPH_FONTS",
    "TELLING_FONTS",
    "TextRun",
    "covers",
    "draw_runs",
    "font_runs",
    "glyph_advance",
    "glyph_box",
    "glyph_font",
    "line_metrics",
    "load_font",
    "load_glyph_font",
    "measure",
    "sized_runs",
    "split_runs",
    "x_height",
]


def _fonts_dir() -> Path:
    """The bundled fonts: the package data of ``glyphveil_fonts`` (``fonts/`` of the
    repository, installed under that name), wherever it was installed (a venv, ``pip
    install --target``, an editable install), else ``fonts/`` of a checkout on the path.

    The package is a namespace package (the folder holds fonts only, no ``__init__.py``),
    found without importing it; an editable install adds a path hook beside its folder.
    """
    spec = importlib.util.find_spec("glyphveil_fonts")
    for location in (spec.submodule_search_locations or []) if spec else []:
        if Path(location).is_dir():
            return Path(location)
    return Path(__file__).resolve().parents[2] / "fonts"


FONTS_DIR: Path = _fonts_dir()

_FAMILY_FILES = {
    "sans": "DejaVuSans.ttf",
    "serif": "DejaVuSerif.ttf",
    "mono": "DejaVuSansMono.ttf",
    "lato": "Lato-Regular.ttf",
}
#: The font file of each family a token can name, in :data:`tokens.FONTS` order (a
#: family added there without a file here fails at import, not in a request).
FAMILIES: Mapping[str, Path] = MappingProxyType(
    {family: FONTS_DIR / _FAMILY_FILES[family] for family in FONTS}
)

FALLBACKS: tuple[Path, ...] = (
    FONTS_DIR / "DroidSansFallback.ttf",  # CJK ideographs, kana, hangul
    FONTS_DIR / "Symbola_hint.ttf",  # monochrome emoji and symbols
)

#: Fonts that noisy text draws single glyphs with, one picked per glyph: the four
#: families and nine more, upright and plainly legible, the nine subset to Latin,
#: digits, punctuation and currency signs (see ``fonts/README.md``). A glyph a font
#: lacks is drawn with the run's own font.
GLYPH_FONTS: tuple[Path, ...] = (
    *(FONTS_DIR / _FAMILY_FILES[family] for family in FONTS),
    FONTS_DIR / "Andika-Regular.ttf",
    FONTS_DIR / "Cantarell-Regular.otf",
    FONTS_DIR / "CharisSIL-Regular.ttf",
    FONTS_DIR / "ComicNeue-Regular.otf",
    FONTS_DIR / "LiberationSans-Regular.ttf",
    FONTS_DIR / "LiberationSerif-Regular.ttf",
    FONTS_DIR / "LinBiolinum_R.otf",
    FONTS_DIR / "OpenSans-Regular.ttf",
    FONTS_DIR / "texgyreschola-regular.otf",
)

_SANS, _SERIF, _MONO = (FONTS_DIR / _FAMILY_FILES[f] for f in ("sans", "serif", "mono"))
_SERIFED_ONE = (FONTS_DIR / "CharisSIL-Regular.ttf", FONTS_DIR / "LiberationSerif-Regular.ttf")
_SCHOLA = FONTS_DIR / "texgyreschola-regular.otf"
_STUBBED_DOLLAR = FONTS_DIR / "Cantarell-Regular.otf"
#: Glyphs that many fonts draw alike (0 and O; l, 1 and I) or that one font draws like
#: another glyph ($ as S), and the fonts noisy text draws each of them with, the ones
#: that tell them apart: a zero with a dot and an l with a tail (DejaVu Sans Mono's; a
#: slashed zero turned along the zigzag reads as θ), a 1 with a flag and a foot, an I
#: with serifs, an O round and wider than a zero, a $ with its bar drawn through
#: (Cantarell's, two stubs, read as an S once a stroke ran over one). A glyph is drawn
#: in one of these that the style mixes, else in any of them.
TELLING_FONTS: Mapping[str, tuple[Path, ...]] = MappingProxyType(
    {
        "0": (_MONO,),
        "l": (_MONO,),
        "1": (_SANS, _SERIF, _MONO, *_SERIFED_ONE, _SCHOLA),
        "I": (
            _SERIF,
            _MONO,
            FONTS_DIR / "Andika-Regular.ttf",
            FONTS_DIR / "ComicNeue-Regular.otf",
            *_SERIFED_ONE,
            _SCHOLA,
        ),
        "O": tuple(path for path in GLYPH_FONTS if path != _MONO),
        "$": tuple(path for path in GLYPH_FONTS if path != _STUBBED_DOLLAR),
    }
)


@dataclass(frozen=True, slots=True)
class TextRun:
    """A stretch of text drawn with a single font, loaded from the file ``path``."""

    text: str = field(repr=False)  # may be protected text
    font: ImageFont.FreeTypeFont
    path: Path


_LAYOUT = ImageFont.Layout.RAQM if features.check("raqm") else ImageFont.Layout.BASIC


@lru_cache(maxsize=128)
def load_font(path: Path, size: float) -> ImageFont.FreeTypeFont:
    """Open a font at a pixel size, cached because Pillow reopens the file each call.

    The cache is bounded so that many requested sizes cannot grow it without limit.
    Raqm layout (bundled with Pillow's wheels) gives fractional advances, so a line at
    @2x is twice as wide as at @1x to well under a pixel (not exactly: at 16 and 32 px,
    "jane@example.com" in sans measures 158.42 and 316.72 px, as FreeType scales each
    size on its own), and it shapes complex scripts. BASIC, the fallback without
    libraqm, rounds every advance to whole hinted pixels.
    """
    return ImageFont.truetype(path, size, layout_engine=_LAYOUT)


@lru_cache(maxsize=256)
def load_glyph_font(path: Path, size: int) -> ImageFont.FreeTypeFont:
    """Open a font for drawing one character at a time: without raqm, whose shaping a
    lone character does not need and which costs more than the drawing itself."""
    return ImageFont.truetype(path, size, layout_engine=ImageFont.Layout.BASIC)


def glyph_font(path: Path, size: int, cluster: str) -> ImageFont.FreeTypeFont:
    """The font to draw one glyph cluster alone with: a lone character needs no shaping
    (:func:`load_glyph_font`), a cluster with marks or joiners does (:func:`load_font`)."""
    return load_glyph_font(path, size) if len(cluster) == 1 else load_font(path, size)


@lru_cache(maxsize=8192)
def glyph_advance(path: Path, size: int, cluster: str) -> float:
    """The advance in px of a glyph cluster drawn alone at ``size`` px.

    Cached (as :func:`glyph_box`) because noisy text measures every glyph of every
    image, and FreeType loads the glyph anew each call (about 18 µs). A key is a font,
    a size and one cluster, never a whole text.
    """
    return glyph_font(path, size, cluster).getlength(cluster)


@lru_cache(maxsize=8192)
def glyph_box(path: Path, size: int, cluster: str) -> tuple[float, float, float, float]:
    """The ink box of a glyph cluster drawn alone at ``size`` px, relative to its
    baseline's left end: ``getbbox(cluster, anchor="ls")``, cached."""
    return glyph_font(path, size, cluster).getbbox(cluster, anchor="ls")


@cache
def _codepoints(path: Path) -> frozenset[int]:
    """Return the codepoints the font's Unicode cmap maps, reading only that table."""
    with TTFont(path, lazy=True) as font:
        cmap: Mapping[int, str] | None = font.getBestCmap()
    return frozenset(cmap or ())


@cache
def x_height(path: Path) -> float:
    """The font's x-height in em, measured as the ink height of "x" at 1000 px.

    Glyphs from different fonts are scaled to one x-height so that a line mixing them
    keeps an even size. Measured rather than read from the OS/2 table, which some
    fonts leave empty, so every font is judged the same way.
    """
    top = ImageFont.truetype(path, 1000).getbbox("x", anchor="ls")[1]
    return -top / 1000 if top < 0 else 0.5


def covers(path: Path, char: str) -> bool:
    """Tell whether the font at ``path`` has a glyph for the single character ``char``."""
    return ord(char) in _codepoints(path)


def split_runs(text: str, family: str, size: int) -> list[TextRun]:
    """Split ``text`` into runs so each character is drawn by a font that has it, at
    ``size`` px: :func:`font_runs` then :func:`sized_runs`."""
    return sized_runs(font_runs(text, family), size)


def font_runs(text: str, family: str) -> list[tuple[Path, str]]:
    """Split ``text`` into (font file, text) runs so each character is drawn by a font
    that has it; the split does not depend on the size.

    The rule is the helper's, :func:`tokens.sizes.font_runs`, so the box a page reserves
    and the drawing in it follow one rule: each character in the family, else DejaVu
    Sans, the CJK and the emoji fallback, else as the sans □; marks and format characters
    (:data:`ATTACHED`) stay in the previous character's font, or are dropped if it lacks
    them or nothing precedes them; control characters and line separators are dropped.
    Raises KeyError for an unknown family.
    """
    if family not in FAMILIES:
        raise KeyError(family)
    return [(FONTS_DIR / name, run) for name, run in table_runs(text, family)]


def sized_runs(runs: Sequence[tuple[Path, str]], size: int) -> list[TextRun]:
    """The runs of :func:`font_runs` with their fonts loaded at ``size`` px."""
    return [TextRun(text, load_font(path, size), path) for path, text in runs]


def line_metrics(runs: Sequence[TextRun], family: str, size: int) -> tuple[int, int]:
    """Return (ascent, descent) in px for a line: the max over every font involved.

    Font metrics rather than the ink box, so lines share one baseline and one
    height whatever letters they hold (É sits where E does).
    """
    fonts = {load_font(FAMILIES[family], size), *(run.font for run in runs)}
    metrics = [font.getmetrics() for font in fonts]
    return max(ascent for ascent, _ in metrics), max(descent for _, descent in metrics)


def measure(runs: Sequence[TextRun]) -> float:
    """Return the total advance width of the runs in px."""
    return sum((run.font.getlength(run.text) for run in runs), 0.0)


def draw_runs(
    draw: ImageDraw.ImageDraw,
    x: float,
    baseline: float,
    runs: Sequence[TextRun],
    fill: int | tuple[int, ...],
) -> float:
    """Draw the runs left to right on ``baseline`` starting at ``x``; return the end x."""
    for run in runs:
        draw.text((x, baseline), run.text, fill=fill, font=run.font, anchor="ls")
        x += run.font.getlength(run.text)
    return x
