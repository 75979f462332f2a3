"""OCR-hostile noise that a person reads through at a glance.

Everything random comes from a ``random.Random`` seeded with the token's secret keyed
hash, so one token always draws the same noise: fetching it many times and averaging
gives back exactly the same picture. Sizes are in units of the font size, so the jitter,
strokes and dots keep their pattern at every density (the speckle texture is per pixel).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass

from PIL import Image, ImageChops, ImageDraw, ImageFilter

from tokens.colors import RGB, contrast_ratio
from tokens.options import MIN_CONTRAST, Noise

from .encode import LEVELS, palette_color
from .path import Placement
from .style import Style

__all__ = [
    "DOT_CLEARANCE",
    "OVERSHOOT",
    "PROFILES",
    "SHORT_TEXT",
    "NoiseProfile",
    "draw_dots",
    "draw_strokes",
    "overshoot",
    "texture_level",
]

#: How far strokes run on past the ends of the text, in em (a range drawn from per
#: stroke): out of the first and last glyphs, so their tips do not read as part of them
#: (+ as ±, $ as a struck-out 5).
OVERSHOOT = (0.3, 0.6)
#: Text of at most this many glyph clusters (spaces included) is short: ``¥6``, ``$78``,
#: ``€ 850``. Few glyphs leave the noise little to work with, and a model that reads one
#: or two digits has read the price.
SHORT_TEXT = 5


@dataclass(frozen=True, slots=True)
class NoiseProfile:
    """How strongly each kind of noise is applied; lengths in units of the font size."""

    rotation: float  # max extra rotation of a glyph beyond the path's, degrees
    rise: float  # max shift of a glyph across the path
    scale: float  # max relative change of a glyph's size
    spacing: float  # space between glyphs (negative: they crowd and touch)
    slope: tuple[float, float]  # zigzag runs' angle range, degrees; (0, 0): a straight line
    band: float  # the zigzag's corners lie up to this far above and below its centre line
    short_band: float  # the same for a line under SHORT_LINE em: shorter runs
    corner: float  # width of the corner rounding
    fonts: int  # glyph fonts of the style mixed per glyph (0: the token's family only)
    strokes: int  # curves crossing the text
    stroke_width: float  # close to the font's stem width
    stroke_above: float  # how far above the path's centre line strokes run, in turn with:
    stroke_below: float  # how far below it
    stroke_wobble: float  # how far they wander from there
    dots: float  # dots per square font-size
    texture: float  # share of background pixels tinted towards the text colour
    short_overshoot: tuple[float, float]  # how far strokes run on past short text, em


#: A line shorter than this, in em (about 12 characters), takes the profile's short band.
SHORT_LINE = 7.0

# fmt: off
PROFILES: dict[Noise, NoiseProfile] = {
    Noise.NONE: NoiseProfile(0, 0, 0, 0, (0, 0), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (0, 0)),
    Noise.LOW: NoiseProfile(
        2, 0.03, 0.04, -0.01, (30, 35), 0.6, 0.45, 0.6, 4, 1, 0.08, 0.5, 0.42, 0.04, 0.0, 0.04,
        OVERSHOOT,
    ),
    Noise.MEDIUM: NoiseProfile(
        3, 0.04, 0.05, -0.03, (35, 45), 1.0, 0.7, 0.6, 8, 2, 0.085, 0.5, 0.42, 0.05, 0.0, 0.07,
        OVERSHOOT,
    ),
    Noise.HIGH: NoiseProfile(
        3, 0.05, 0.05, -0.03, (35, 45), 1.1, 0.8, 0.55, 10, 3, 0.09, 0.5, 0.42, 0.07, 0.1, 0.10,
        (1.0, 1.5),
    ),
}
# fmt: on


def overshoot(profile: NoiseProfile, glyphs: int) -> tuple[float, float]:
    """How far the strokes run on past text of ``glyphs`` glyph clusters, in em.

    Past short text (:data:`SHORT_TEXT`) at ``high`` they run on 1-1.5 em instead of
    0.3-0.6: the OCR bench read 5.7 % and 7.0 % of 300 short prices (two corpus seeds)
    instead of 13.7 % and 13.3 %; PP-OCRv4 read hardly any. The glyphs are drawn
    as before, and the strokes' tips end further from them, where they are not taken
    for part of a glyph.
    """
    return profile.short_overshoot if glyphs <= SHORT_TEXT else OVERSHOOT


def draw_strokes(
    mask: Image.Image,
    rng: random.Random,
    guide: Callable[[float], Placement],
    span: tuple[float, float],
    size: float,
    profile: NoiseProfile,
    style: Style,
    samples: int = 4,
    clear: Image.Image | None = None,
    ends: tuple[bool, bool] = (True, True),
    run_on: tuple[float, float] = OVERSHOOT,
) -> None:
    """Curves through the text along its path, as thick as the letters' stems and as dark.

    ``guide(d)`` is the point of the text's path (mask px) ``d`` px along it, and
    ``span`` where the text starts and ends along it. Each stroke follows the path,
    in turn above it (over the x-height, about the top of capitals and digits) and
    below it (about the baseline), wandering, so it runs through the joins between
    letters and ties them into one shape: segmentation fails, and a filter that
    removes the strokes removes parts of the letters too. A person reads through it
    as through an underline. They are drawn antialiased, at ``samples`` times the
    mask's scale then reduced (1 where the mask is itself supersampled), so their
    edges look like the glyphs'. They leave out the pixels set in ``clear``, if given:
    around the dots and accents that a stroke would otherwise swallow; a stretch left
    shorter than :data:`_SHORTEST` between such gaps is left out too. They run on past
    the start and the end of ``span`` by ``run_on`` em (a range), where ``ends`` says so
    (else they stop there).
    """
    if not profile.strokes:
        return
    begin, finish = span
    paths = []
    side = rng.choice((-1, 1))
    for _ in range(profile.strokes):
        start = begin - rng.uniform(*run_on) * size * ends[0]
        end = finish + rng.uniform(*run_on) * size * ends[1]
        offset = profile.stroke_above if side > 0 else profile.stroke_below
        centre = (side * offset + rng.uniform(-0.04, 0.04)) * size
        amplitude = rng.uniform(0.6, 1.0) * profile.stroke_wobble * size
        side = -side
        period = rng.uniform(*style.wavelength) * size
        phase = rng.uniform(0, 2 * math.pi)
        shape = _rounded_triangle if style.stroke_shape == "echo" else math.sin
        steps = max(2, math.ceil((end - start) / max(1.0, size / 6)))
        points = []
        for i in range(steps + 1):
            distance = start + (end - start) * i / steps
            point = guide(distance)
            offset = centre + amplitude * shape(phase + 2 * math.pi * distance / period)
            # Above the path is towards -y, turned with the path.
            points.append(
                (point.x + math.sin(point.angle) * offset, point.y - math.cos(point.angle) * offset)
            )
        paths.append(_untangled(points, _LOOP_SPAN))
    if clear is not None:
        paths = [piece for path in paths for piece in _pieces(path, clear, _SHORTEST * size)]
    _draw_smooth_lines(mask, paths, max(1.0, size * profile.stroke_width), samples, clear)


#: The shortest stretch of stroke drawn between gaps (or a gap and its end), in em:
#: a shorter one left alone over "ll1", or above the 1 of "+1", reads as an accent,
#: an apostrophe or the dot of an i.
_SHORTEST = 0.35


def _pieces(
    path: list[tuple[float, float]], clear: Image.Image, shortest: float
) -> list[list[tuple[float, float]]]:
    """The stretches of ``path`` outside the gaps of ``clear`` at least ``shortest`` px
    long, each with a point into the gap either side (the gap trims it exactly)."""
    width, height = clear.size
    pixels = clear.load()
    assert pixels is not None

    def open_at(point: tuple[float, float]) -> bool:
        x, y = int(point[0]), int(point[1])
        return not (0 <= x < width and 0 <= y < height) or not pixels[x, y]

    visible = [open_at(point) for point in path]
    pieces, i, last = [], 0, len(path)
    while i < last:
        if not visible[i]:
            i += 1
            continue
        j = i
        while j < last and visible[j]:
            j += 1
        length = sum(math.dist(path[k], path[k + 1]) for k in range(i, j - 1))
        if length >= shortest:
            pieces.append(path[max(0, i - 1) : min(last, j + 1)])
        i = j
    return pieces


#: Points of a stroke (1/6 em apart) that a loop at a sharp corner may span.
_LOOP_SPAN = 15


def _untangled(points: list[tuple[float, float]], span: int) -> list[tuple[float, float]]:
    """The polyline with its small loops cut out: where a segment crosses one up to
    ``span`` segments further on, the line jumps from the first to the second there.

    A stroke offset from the zigzag on the inside of a sharp corner runs past the
    corner and back (a swallowtail), through the letters on the other side of it;
    untangled, it turns at the corner like the letters' tops or feet do.
    """
    kept: list[tuple[float, float]] = []
    i, last = 0, len(points) - 1
    while i < last:
        kept.append(points[i])
        (ax, ay), (bx, by) = points[i], points[i + 1]
        left, right, top, bottom = min(ax, bx), max(ax, bx), min(ay, by), max(ay, by)
        for j in range(min(last - 1, i + span), i + 1, -1):  # the farthest crossing first
            (cx, cy), (dx, dy) = points[j], points[j + 1]
            if (cx < left and dx < left) or (cx > right and dx > right):
                continue  # boxes apart: no crossing (most pairs end here)
            if (cy < top and dy < top) or (cy > bottom and dy > bottom):
                continue
            crossing = _crossing(points[i], points[i + 1], points[j], points[j + 1])
            if crossing is not None:
                kept.append(crossing)
                i = j + 1
                break
        else:
            i += 1
    kept.append(points[last])
    return kept


def _crossing(
    a: tuple[float, float], b: tuple[float, float], c: tuple[float, float], d: tuple[float, float]
) -> tuple[float, float] | None:
    """Where segment ab crosses segment cd, or None."""
    rx, ry, sx, sy = b[0] - a[0], b[1] - a[1], d[0] - c[0], d[1] - c[1]
    denominator = rx * sy - ry * sx
    if denominator == 0:
        return None
    qx, qy = c[0] - a[0], c[1] - a[1]
    t, u = (qx * sy - qy * sx) / denominator, (qx * ry - qy * rx) / denominator
    if 0 <= t <= 1 and 0 <= u <= 1:
        return a[0] + t * rx, a[1] + t * ry
    return None


def _rounded_triangle(angle: float) -> float:
    """A triangle wave from -1 to 1 with softened peaks, period 2π."""
    t = (angle / (2 * math.pi)) % 1.0
    triangle = 4 * abs(t - 0.5) - 1
    return math.copysign(abs(triangle) ** 1.3, triangle)


#: Most pixels the supersampled stroke layer may hold; larger images draw strokes at 1x.
_SUPERSAMPLED_PIXELS = 4_000_000


def _draw_smooth_lines(
    mask: Image.Image,
    paths: list[list[tuple[float, float]]],
    width: float,
    samples: int,
    clear: Image.Image | None = None,
) -> None:
    """Draw polylines ``width`` px wide onto ``mask``, antialiased by supersampling up to
    ``samples`` times, except where ``clear`` is set.

    Each line is filled as one polygon, its outline offset half the width either
    side of the points, which is much faster than Pillow's jointed wide lines.
    """
    budget = math.isqrt(_SUPERSAMPLED_PIXELS // max(1, mask.width * mask.height))
    factor = max(1, min(samples, budget))
    layer = Image.new("L", (mask.width * factor, mask.height * factor))
    draw = ImageDraw.Draw(layer)
    half = width * factor / 2
    for path in paths:
        points = [(x * factor, y * factor) for x, y in path]
        left, right = [], []
        for i, (x, y) in enumerate(points):
            (xa, ya), (xb, yb) = points[max(0, i - 1)], points[min(len(points) - 1, i + 1)]
            length = math.hypot(xb - xa, yb - ya) or 1.0
            nx, ny = -(yb - ya) / length * half, (xb - xa) / length * half
            left.append((x + nx, y + ny))
            right.append((x - nx, y - ny))
        draw.polygon(left + right[::-1], fill=255)
    if factor > 1:
        layer = layer.resize(mask.size, Image.Resampling.BOX)
    if clear is not None:
        layer = ImageChops.subtract(layer, clear)
    mask.paste(255, (0, 0), layer)


def draw_dots(
    mask: Image.Image,
    rng: random.Random,
    size: float,
    profile: NoiseProfile,
) -> None:
    """Specks about the size of a full stop, scattered over the image away from the text.

    None falls within :data:`DOT_CLEARANCE` em of the ink already in ``mask`` (the glyphs
    and the strokes along their tops and feet): there a speck reads as punctuation or an
    accent ("jañe", "widgets..co.uk", "+44'20").
    """
    width, height = mask.size
    count = round(profile.dots * width * height / (size * size))
    if not count:
        return
    reach = max(1, round(DOT_CLEARANCE * size))
    near = mask.filter(ImageFilter.BoxBlur(reach)).tobytes()
    draw = ImageDraw.Draw(mask)
    for _ in range(count):
        x, y = rng.uniform(0, width), rng.uniform(0, height)
        r = rng.uniform(0.03, 0.07) * size
        if near[min(height - 1, int(y)) * width + min(width - 1, int(x))]:
            continue
        draw.ellipse((x - r, y - r, x + r, y + r), fill=255)


#: How far dots keep from the glyphs and strokes, in em.
DOT_CLEARANCE = 0.5


def texture_level(color: RGB, background: RGB | None, profile: NoiseProfile) -> int:
    """The coverage (0-255) of background texture that keeps text contrast at WCAG AA.

    Texture pixels are the background blended towards the text colour; the blend is
    capped so the text still stands out from them at ``MIN_CONTRAST`` or better. On a
    transparent background, whose colour is the page's, texture is the text colour at
    four palette steps of opacity.
    """
    if profile.texture == 0:
        return 0
    if background is None:
        return 4 * (255 // (LEVELS - 1))
    # Whole palette steps of the encoder (17 of 255), so the colour checked here is the
    # colour drawn: a level between steps would be rounded, possibly towards the text.
    coverage_per_step = 255 // (LEVELS - 1)
    for step in range(4, 0, -1):
        r, g, b = palette_color(background, color, step)
        if contrast_ratio(color, (r, g, b)) >= MIN_CONTRAST:
            return step * coverage_per_step
    return 0
