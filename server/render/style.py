"""A deployment's style: which fonts, path shape and strokes its noisy images use.

Derived from a secret of the deployment (the noise subkey of its key), so two
deployments of glyphveil draw visibly different images, and a model trained on one
site's images, or on this open-source renderer with another key, transfers worse.
Every image of one deployment shares the style; the per-image randomness still comes
from the token's seed.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .fonts import GLYPH_FONTS

__all__ = ["STROKE_SHAPES", "Style", "style_for"]

#: How noise strokes run: waves across the text, or a second zigzag echoing the path.
STROKE_SHAPES = ("wave", "echo")
#: How many of :data:`.fonts.GLYPH_FONTS` one deployment draws with.
_FONTS_PER_STYLE = 10


@dataclass(frozen=True, slots=True)
class Style:
    """Parameters shared by every noisy image of a deployment."""

    fonts: tuple[Path, ...]  # glyph fonts, most used first
    slope_shift: float  # degrees added to a level's zigzag slope range
    corner: float  # factor on the level's corner rounding
    band: float  # factor on the level's zigzag band height
    stroke_shape: str  # one of STROKE_SHAPES
    wavelength: tuple[float, float]  # wave strokes' wavelength range, em


@lru_cache(maxsize=16)
def style_for(key: bytes) -> Style:
    """The style of the deployment whose secret style key is ``key`` (any bytes; the
    empty key gives the style of images rendered without one)."""
    rng = random.Random(hashlib.blake2b(key, person=b"glyphveil style").digest())
    fonts = list(GLYPH_FONTS)
    rng.shuffle(fonts)
    low = rng.uniform(2.5, 3.5)
    return Style(
        fonts=tuple(fonts[:_FONTS_PER_STYLE]),
        slope_shift=rng.uniform(-3.0, 3.0),
        corner=rng.uniform(0.8, 1.25),
        band=rng.uniform(0.9, 1.0),
        stroke_shape=rng.choice(STROKE_SHAPES),
        wavelength=(low, low + rng.uniform(1.0, 2.0)),
    )
