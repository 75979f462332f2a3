"""Glyph choice for noisy text: each cluster in a font picked for it, sized, and turned.

Noisy text draws every glyph cluster on its own: in a font picked per glyph among the
deployment style's (:mod:`.style`), scaled to the family's x-height and slightly
resized at random, then turned to its stretch of the zigzag. All randomness comes from
the ``random.Random`` the caller seeds with the token's keyed hash.
"""

from __future__ import annotations

import math
import random
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, ImageDraw

from .fonts import (
    ATTACHED,
    FAMILIES,
    GLYPH_FONTS,
    TELLING_FONTS,
    TextRun,
    covers,
    glyph_advance,
    glyph_box,
    glyph_font,
    x_height,
)
from .noise import NoiseProfile
from .style import Style

__all__ = [
    "CAP_BARS",
    "CAP_BAR_SCALE",
    "Glyph",
    "clusters",
    "has_cap_bar",
    "pick_glyphs",
    "scaled",
    "turned",
]


@dataclass(frozen=True, slots=True)
class Glyph:
    """One glyph cluster in the font picked for it, at its own size (px)."""

    cluster: str = field(repr=False)  # protected text
    path: Path  # the font file
    size: int
    advance: float  # px, at ``size``
    pivot: float  # px above the baseline that sits on the path: half the line's x-height


def pick_glyphs(
    runs: list[TextRun],
    family: str,
    profile: NoiseProfile,
    look: Style,
    rng: random.Random,
    size: int,
) -> list[Glyph]:
    """The clusters of ``runs``, each in a font picked among the style's that has it
    (among those that tell it apart, for a glyph of :data:`.fonts.TELLING_FONTS`),
    scaled to the family's x-height, and slightly resized at random; those of
    :data:`CAP_BARS` smaller again, on the same baseline."""
    nominal = x_height(FAMILIES[family])
    choices = look.fonts[: profile.fonts]
    glyphs = []
    for run in runs:
        fallback = run.path not in GLYPH_FONTS
        for cluster in clusters(run.text):
            path = run.path
            if choices and not fallback:
                fitting = _telling(cluster, choices) or [
                    f for f in choices if all(covers(f, c) for c in cluster)
                ]
                path = fitting[rng.randrange(len(fitting))] if fitting else run.path
            scale = 1 + profile.scale * rng.uniform(-1, 1)
            height = x_height(path) if path in GLYPH_FONTS else nominal
            shrink = CAP_BAR_SCALE if has_cap_bar(cluster) else 1.0
            glyph_size = max(1, round(size * scale * shrink * nominal / height))
            advance = glyph_advance(path, glyph_size, cluster)
            pivot = height * glyph_size / shrink / 2  # the baseline of its neighbours
            glyphs.append(Glyph(cluster, path, glyph_size, advance, pivot))
    return glyphs


def _telling(cluster: str, choices: tuple[Path, ...]) -> list[Path]:
    """The fonts to draw ``cluster`` with if it is a glyph many fonts draw alike: those
    of :data:`.fonts.TELLING_FONTS` among ``choices``, else all of them; none for any
    other glyph."""
    telling = TELLING_FONTS.get(cluster, ())
    return [f for f in telling if f in choices] or list(telling)


#: Glyphs told apart by a bar along the cap line, where the upper noise stroke runs:
#: merged into it, 7 reads as / or 1, T as I, F as I-, E as a comb.
CAP_BARS = frozenset("7TFEZ")
#: Their size against their neighbours': their bar then stays under the stroke.
CAP_BAR_SCALE = 0.8


def has_cap_bar(cluster: str) -> bool:
    """Tell whether ``cluster`` is a letter or digit of :data:`CAP_BARS`, accented or not."""
    return unicodedata.normalize("NFD", cluster)[:1] in CAP_BARS


def scaled(glyph: Glyph, fit: float) -> Glyph:
    """``glyph`` at ``fit`` times its size: the drawing shrunk to fit its box."""
    if fit == 1.0:
        return glyph
    size = max(1, round(glyph.size * fit))
    advance = glyph_advance(glyph.path, size, glyph.cluster)
    return Glyph(glyph.cluster, glyph.path, size, advance, glyph.pivot * fit)


def turned(glyph: Glyph, turn: float) -> Image.Image:
    """The glyph on a square canvas centred on its pivot (the middle of its advance,
    half an x-height above the baseline), turned ``turn`` degrees about it."""
    font = glyph_font(glyph.path, glyph.size, glyph.cluster)
    left, top, right, bottom = glyph_box(glyph.path, glyph.size, glyph.cluster)
    px, py = glyph.advance / 2, -glyph.pivot
    reach = max(math.hypot(x - px, y - py) for x in (left, right) for y in (top, bottom))
    half = math.ceil(reach) + 1
    canvas = Image.new("L", (2 * half, 2 * half))
    ImageDraw.Draw(canvas).text(
        (half - px, half - py), glyph.cluster, fill=255, font=font, anchor="ls"
    )
    if not turn or glyph.cluster.isspace():  # nothing to turn
        return canvas
    # Bilinear, not bicubic: the glyph is drawn at usually 2-4 times the device pixels
    # (less for very large images) and then reduced, which averages bicubic's sharper
    # edges away; bilinear takes 40 % of its time.
    return canvas.rotate(turn, resample=Image.Resampling.BILINEAR)


def clusters(text: str) -> Iterator[str]:
    """Base characters with the marks and joiners (:data:`.fonts.ATTACHED`) after them."""
    cluster = ""
    for char in text:
        if cluster and unicodedata.category(char) in ATTACHED:
            cluster += char
            continue
        if cluster:
            yield cluster
        cluster = char
    if cluster:
        yield cluster
