"""Placeholder images in the style of placehold.co and dummyimage.com.

A URL such as ``/300x200@2x/ff0000/fff.webp?text=Hello`` names the size, pixel
density, colours, format and text of a plain image with centred text. Everything
in it is validated in :meth:`PlaceholderSpec.parse`, before any pixel buffer
exists, so a bad or oversized request costs nothing but a one-line error.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal, TypeAlias

from PIL import Image, ImageDraw

from tokens.colors import RGBA, parse_color, to_hex
from tokens.errors import OptionError

from ..config import PlaceholderLimits
from ..errors import RequestError
from .encode import ImageFormat, colorize
from .fonts import FAMILIES, TextRun, font_runs, line_metrics, load_font, measure, sized_runs

__all__ = [
    "DEFAULT_BACKGROUND",
    "DEFAULT_FOREGROUND",
    "FORMAT_NAMES",
    "SIZE_CHARS",
    "PlaceholderError",
    "PlaceholderFormat",
    "PlaceholderSpec",
    "render_placeholder",
    "render_placeholder_svg",
    "resolve_font",
]

#: Light grey with darker grey text, like placehold.co, but with the text dark enough
#: (4.2:1) to pass WCAG's 3:1 for large text where placehold.co's #999 gives 2.1:1.
DEFAULT_BACKGROUND: RGBA = (0xDD, 0xDD, 0xDD, 0xFF)
DEFAULT_FOREGROUND: RGBA = (0x66, 0x66, 0x66, 0xFF)

#: A placeholder's format: a raster one, or SVG (text, written by
#: :func:`render_placeholder_svg` without drawing a pixel).
PlaceholderFormat: TypeAlias = ImageFormat | Literal["svg"]
#: The formats a URL can name, as offered (``jpeg`` is accepted for ``jpg`` too).
FORMAT_NAMES = ("png", "jpg", "webp", "gif", "avif", "svg")
_FORMATS: Mapping[str, PlaceholderFormat] = {
    "png": "png",
    "jpg": "jpeg",
    "jpeg": "jpeg",
    "webp": "webp",
    "gif": "gif",
    "avif": "avif",
    "svg": "svg",
}
_FORMAT_CHOICE = ", ".join(FORMAT_NAMES[:-1]) + " or " + FORMAT_NAMES[-1]  # for messages
_SIZE = re.compile(r"(-?[0-9]+)(?:[xX](-?[0-9]+))?")  # a sign only to say what is wrong
_DENSITY = re.compile(r"([0-9]+)[xX]")
_COLOR_ROLES = ("background", "foreground")
_ECHO = 32  # most characters of user input quoted back in an error
#: The smallest font size text is drawn at; smaller, it is left out. Nobody reads text
#: under 3 px, and FreeType fails outright ("raster overflow") on some hinted outlines
#: at 1 and 2 px: 27 glyphs of Symbola (U+033D, U+22B2, U+10182, ...), none at 3-40 px,
#: nor any glyph of the other bundled fonts at 1-16 px.
MIN_TEXT_PX = 3
_MAX_COLOR = 32  # longer than any hex colour or CSS name

#: placehold.co's font names (and common others) mapped to the nearest bundled family.
_FONT_ALIASES: Mapping[str, str] = {
    **{name: "sans" for name in ("roboto", "open-sans", "noto-sans", "pt-sans")},
    **{name: "sans" for name in ("source-sans-pro", "montserrat", "poppins", "raleway")},
    **{name: "sans" for name in ("oswald", "sans-serif", "helvetica", "arial", "dejavu-sans")},
    **{name: "serif" for name in ("lora", "playfair-display", "noto-serif", "pt-serif")},
    **{name: "serif" for name in ("times", "times-new-roman", "georgia", "dejavu-serif")},
    **{name: "mono" for name in ("monospace", "courier", "courier-new", "consolas", "menlo")},
    **{name: "mono" for name in ("source-code-pro", "inconsolata", "fira-code")},
}


class PlaceholderError(RequestError):
    """A bad placeholder URL; the message is one plain-text line naming the bad part."""


def _echo(value: str) -> str:
    """Quote user input for an error message, cut short so messages stay small."""
    return repr(value[:_ECHO] + "…" if len(value) > _ECHO else value)


def resolve_font(name: str) -> str:
    """Map a font name to a bundled family; unknown names fall back to sans, as placehold.co."""
    key = "-".join(name[:64].strip().lower().replace("_", " ").replace("-", " ").split())
    if key in FAMILIES:
        return key
    if key in _FONT_ALIASES:
        return _FONT_ALIASES[key]
    if key.endswith("-mono") or key.endswith("-code"):
        return "mono"
    return "sans"


def _clean_text(raw: str, limits: PlaceholderLimits) -> str:
    """Normalise ``text=``: ``\\n`` breaks lines, control characters go, NFC, length limit."""
    too_long = PlaceholderError(f"text is over the {limits.max_text} character limit")
    if len(raw) > 8 * limits.max_text:  # do not even scan an absurd string
        raise too_long
    text = unicodedata.normalize("NFC", raw.replace("\\n", "\n"))
    text = "".join(c for c in text if c == "\n" or unicodedata.category(c) != "Cc")
    if len(text) > limits.max_text:
        raise too_long
    return text


def _split_format(segments: list[str]) -> PlaceholderFormat:
    """Remove the format from the last segment (extension or segment of its own); PNG default."""
    last = segments[-1]
    if len(segments) > 1 and last.lower() in _FORMATS:
        segments.pop()
        return _FORMATS[last.lower()]
    stem, dot, ext = last.rpartition(".")
    if not dot:
        return "png"
    if ext.lower() not in _FORMATS:
        raise PlaceholderError(
            f"unknown image format {_echo(ext)} in the last segment: use {_FORMAT_CHOICE}"
        )
    segments[-1] = stem
    return _FORMATS[ext.lower()]


def _number(digits: str, what: str, limit: int) -> int:
    """Convert a run of ASCII digits, rejecting absurdly long ones without building the int,
    and negative ones with the same message as 0."""
    if digits.startswith("-"):
        raise PlaceholderError(f"{what} {_echo(digits)} px is below the 1 px minimum")
    if len(digits.lstrip("0")) > len(str(limit)):
        raise PlaceholderError(f"{what} {_echo(digits)} px is over the {limit} px limit")
    return int(digits)


def _parse_size(segment: str, limits: PlaceholderLimits) -> tuple[int, int, int]:
    """Parse ``W``, ``WxH`` with an optional ``@Nx`` into (width, height, density)."""
    size, at, density_text = segment.partition("@")
    density = 1
    if at:
        match = _DENSITY.fullmatch(density_text)
        digits = match[1].lstrip("0") if match else ""
        if len(digits) != 1 or int(digits) not in limits.densities:
            allowed = ", ".join(f"@{d}x" for d in sorted(limits.densities))
            raise PlaceholderError(
                f"bad density {_echo('@' + density_text)} in the size segment: use {allowed}"
            )
        density = int(digits)
    match = _SIZE.fullmatch(size)
    if match is None:
        raise PlaceholderError(
            f"bad size {_echo(segment)} in the size segment: use WIDTHxHEIGHT like 300x200"
        )
    side = limits.max_side
    width = _number(match[1], "width", side)
    height = _number(match[2], "height", side) if match[2] else width
    for name, value in (("width", width), ("height", height)):
        if value < 1:
            raise PlaceholderError(f"{name} {value} px is below the 1 px minimum")
        if value * density > side:
            scaled = f" px at @{density}x is {value * density} px," if density > 1 else " px is"
            raise PlaceholderError(f"{name} {value}{scaled} over the {side} px limit")
    if width * height * density**2 > limits.max_pixels:
        raise PlaceholderError(
            f"size {width}x{height}@{density}x is {width * height * density**2} pixels,"
            f" over the {limits.max_pixels} pixel limit"
        )
    return width, height, density


def _parse_color(segment: str, role: str) -> RGBA:
    """Parse a colour segment, naming it in the error."""
    bad = PlaceholderError(
        f"bad colour {_echo(segment)} in the {role} segment:"
        " use hex like ff0000, a CSS name or transparent"
    )
    if len(segment) > _MAX_COLOR:
        raise bad
    try:
        return parse_color(segment)
    except OptionError:
        raise bad from None


@dataclass(frozen=True, slots=True)
class PlaceholderSpec:
    """Everything that determines a placeholder image; hashable, so it is the cache key.

    ``width`` and ``height`` are the requested CSS px; :attr:`pixel_size` is the output.
    """

    width: int
    height: int
    density: int
    background: RGBA
    foreground: RGBA
    format: PlaceholderFormat
    text: str
    font: str

    @property
    def pixel_size(self) -> tuple[int, int]:
        """The output size in pixels: the CSS size times the density."""
        return self.width * self.density, self.height * self.density

    @classmethod
    def parse(
        cls, path: str, query: Mapping[str, str], limits: PlaceholderLimits
    ) -> PlaceholderSpec:
        """Parse ``SIZE[@Nx][/BACKGROUND[/FOREGROUND]][.EXT | /FORMAT]`` and the query.

        ``path`` has no leading slash and is already percent-decoded. Raises
        :class:`PlaceholderError` naming the bad part; all limits are checked here.
        """
        segments = path.strip("/").split("/")
        if segments == [""]:
            raise PlaceholderError("missing size segment: use a path like 300x200")
        fmt = _split_format(segments)
        if len(segments) > 1 + len(_COLOR_ROLES):
            raise PlaceholderError(
                f"unexpected segment {_echo(segments[3])} after the foreground colour:"
                f" a last segment must be {_FORMAT_CHOICE}"
            )
        width, height, density = _parse_size(segments[0], limits)
        colors = [DEFAULT_BACKGROUND, DEFAULT_FOREGROUND]
        for index, (segment, role) in enumerate(zip(segments[1:], _COLOR_ROLES, strict=False)):
            colors[index] = _parse_color(segment, role)
        text = _clean_text(query.get("text", ""), limits) or f"{width} × {height}"
        font = resolve_font(query.get("font", ""))
        return cls(width, height, density, colors[0], colors[1], fmt, text, font)


@dataclass(frozen=True, slots=True)
class _Layout:
    """Text split into font runs at one size, with each run's and each line's advance."""

    lines: Sequence[Sequence[TextRun]]
    advances: Sequence[Sequence[float]]  # of each run, line by line
    ascent: int
    descent: int
    size: int  # px

    @property
    def widths(self) -> list[float]:
        """Each line's advance width."""
        return [sum(line, 0.0) for line in self.advances]

    @property
    def line_height(self) -> int:
        return self.ascent + self.descent


#: The characters of the default text, the size ("300 × 200"). No pair of them is kerned
#: in any bundled family, so a run of them is as wide as its glyphs' advances added up,
#: and is drawn from glyph images cached per font, size and character: FreeType laid out
#: and rendered every glyph anew, about a fifth of a default placeholder's drawing.
SIZE_CHARS = frozenset("0123456789 ×")
#: Glyphs are cached up to this font size, each at most about 128x128 px: the 2,048
#: entries hold 32 MB at the very most, typically 2 MB. Bigger text is drawn directly.
_GLYPH_CACHE_PX = 128


@dataclass(frozen=True, slots=True)
class _GlyphImage:
    """One character at one font size: its advance, and its ink as a mask placed at
    ``offset`` from the pen on the baseline (no mask for a space)."""

    advance: float
    offset: tuple[int, int]
    mask: Image.Image | None


@lru_cache(maxsize=2048)
def _glyph_image(path: Path, size: int, char: str) -> _GlyphImage:
    font = load_font(path, size)
    left, top, right, bottom = (int(v) for v in font.getbbox(char, anchor="ls"))
    mask = None
    if right > left and bottom > top:
        mask = Image.new("L", (right - left, bottom - top))
        ImageDraw.Draw(mask).text((-left, -top), char, fill=255, font=font, anchor="ls")
    return _GlyphImage(font.getlength(char), (left, top), mask)


def _from_cache(run: TextRun, size: int) -> bool:
    """Whether ``run`` is measured and drawn from cached glyphs (see :data:`SIZE_CHARS`)."""
    return size <= _GLYPH_CACHE_PX and SIZE_CHARS.issuperset(run.text)


def _advance(run: TextRun, size: int) -> float:
    if _from_cache(run, size):
        return sum((_glyph_image(run.path, size, c).advance for c in run.text), 0.0)
    return measure([run])


def _draw_run(mask: Image.Image, x: float, baseline: int, run: TextRun, size: int) -> None:
    """Draw ``run`` into ``mask`` at pen position ``x`` on ``baseline``: from cached
    glyphs where it can, each glyph at a whole pixel (where raqm places it to 1/64 px)."""
    if not _from_cache(run, size):
        ImageDraw.Draw(mask).text((x, baseline), run.text, fill=255, font=run.font, anchor="ls")
        return
    for char in run.text:
        glyph = _glyph_image(run.path, size, char)
        if glyph.mask is not None:
            left, top = glyph.offset
            mask.paste(255, (round(x) + left, baseline + top), glyph.mask)
        x += glyph.advance


def _layout(lines: Sequence[Sequence[tuple[Path, str]]], family: str, size: int) -> _Layout:
    """Lay out the lines' font runs at ``size`` px; one ascent/descent for all, so lines
    are evenly spaced."""
    runs = [sized_runs(line, size) for line in lines]
    ascent, descent = line_metrics([run for line in runs for run in line], family, size)
    advances = [[_advance(run, size) for run in line] for line in runs]
    return _Layout(runs, advances, ascent, descent, size)


def _fit_text(lines: Sequence[str], family: str, width: int, height: int) -> _Layout | None:
    """Search the largest font size whose text fits; None if even
    :data:`MIN_TEXT_PX` does not.

    The box is the image less a 10% margin on each edge; a line is at most a quarter
    of the image height (as placehold.co), so a huge image does not get huge text.
    The lines are split into font runs once; each probe only loads fonts at its size
    and measures advances and metrics. Widths and heights grow about linearly with the
    size, so each probe that does not fit proposes the size it would scale down to, and
    one that fits proposes the next size up: usually 3 probes where bisection takes 9.
    Every probe stays inside the bisection's bounds, so the result is the same. The
    smallest size is probed last, only if no bigger one fits (a tiny image).
    """
    runs = [font_runs(line, family) for line in lines]
    box_w = max(1, width - 2 * (width // 10))
    box_h = max(1, height - 2 * (height // 10))
    cap = max(1.0, height / 4)

    def fits(layout: _Layout) -> bool:
        return (
            layout.line_height <= cap
            and layout.line_height * len(lines) <= box_h
            and max(layout.widths) <= box_w
        )

    def scaled(size: int, layout: _Layout) -> int:
        """The size at which ``layout`` (at ``size``) would just fit, if it scaled linearly."""
        height_room = min(cap, box_h / len(lines)) / max(1, layout.line_height)
        return int(size * min(height_room, box_w / max(1.0, max(layout.widths))))

    best: _Layout | None = None
    low, high = MIN_TEXT_PX, max(MIN_TEXT_PX, min(box_h, int(cap)))  # a line >= its size
    guess = high  # low: the largest size that fits, if any does
    while low < high:
        mid = guess if low < guess <= high else (low + high + 1) // 2
        layout = _layout(runs, family, mid)
        if fits(layout):
            low, best, guess = mid, layout, mid + 1
        else:
            high, guess = mid - 1, scaled(mid, layout)
    if best is None:
        smallest = _layout(runs, family, MIN_TEXT_PX)
        return smallest if fits(smallest) else None
    return best


def render_placeholder(spec: PlaceholderSpec) -> Image.Image:
    """Draw the spec's text centred on its background, as a palette image ready to encode.

    Lines are centred one by one; the block is centred on font metrics, not on the
    ink, so accents or CJK never shift the baseline.
    """
    width, height = spec.pixel_size
    mask = Image.new("L", (width, height), 0)
    lines = spec.text.split("\n")
    layout = _fit_text(lines, spec.font, width, height)
    if layout is not None:
        top = (height - layout.line_height * len(lines)) / 2
        lines_drawn = zip(layout.lines, layout.advances, layout.widths, strict=True)
        for index, (runs, advances, line_width) in enumerate(lines_drawn):
            baseline = round(top + layout.ascent + index * layout.line_height)
            x: float = round((width - line_width) / 2)
            for run, advance in zip(runs, advances, strict=True):  # advances measured once
                _draw_run(mask, x, baseline, run, layout.size)
                x += advance
    return colorize(mask, spec.background, spec.foreground)


#: What SVG names each bundled family by: the bundled font if the viewer has it, then
#: the generic family. The viewer draws the text, so its widths differ a little.
_SVG_FONTS: Mapping[str, str] = {
    "sans": "'DejaVu Sans', Verdana, sans-serif",
    "serif": "'DejaVu Serif', Georgia, serif",
    "mono": "'DejaVu Sans Mono', Menlo, Consolas, monospace",
    "lato": "Lato, 'DejaVu Sans', sans-serif",
}
#: Characters XML 1.0 refuses in a document (besides the control characters that
#: :func:`_clean_text` drops already): surrogates and U+FFFE, U+FFFF.
_NOT_XML = re.compile("[\ud800-\udfff\ufffe\uffff]")


def render_placeholder_svg(spec: PlaceholderSpec) -> bytes:
    """The placeholder as a small SVG document: the background, and the text centred at
    the size :func:`render_placeholder` would draw it. Every value in it is escaped;
    the text is not protected, so a ``<text>`` element is fine.
    """
    width, height = spec.pixel_size
    lines = [_NOT_XML.sub("", line) for line in spec.text.split("\n")]
    layout = _fit_text(spec.text.split("\n"), spec.font, width, height)
    parts = [
        '<svg xmlns="http://www.w3.org/2000/svg" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}">',
    ]
    if spec.background[3]:
        parts.append(f'<rect width="100%" height="100%"{_svg_fill(spec.background)}/>')
    if layout is not None and spec.foreground[3]:
        top = (height - layout.line_height * len(lines)) / 2
        family = html.escape(_SVG_FONTS.get(spec.font, _SVG_FONTS["sans"]))
        parts.append(
            f'<text xml:space="preserve" font-family="{family}" font-size="{layout.size}" '
            f'text-anchor="middle"{_svg_fill(spec.foreground)}>'
        )
        for index, line in enumerate(lines):
            baseline = round(top + layout.ascent + index * layout.line_height)
            parts.append(f'<tspan x="{width / 2:g}" y="{baseline}">{html.escape(line)}</tspan>')
        parts.append("</text>")
    parts.append("</svg>\n")
    return "".join(parts).encode()


def _svg_fill(color: RGBA) -> str:
    fill = f' fill="{to_hex(color[:3])}"'
    if color[3] != 255:
        fill += f' fill-opacity="{color[3] / 255:.3g}"'
    return fill
