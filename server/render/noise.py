"""OCR-hostile noise that a person reads through at a glance.

Everything random comes from a ``random.Random`` seeded with the token's secret keyed
hash, so one token always draws the same noise: fetching it many times and averaging
gives back exactly the same picture. Sizes are in units of the font size, so the jitter,
strokes and dots keep their pattern at every density (the speckle texture is per pixel).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from PIL import ImageDraw

from tokens.colors import RGB, contrast_ratio
from tokens.options import MIN_CONTRAST, Noise

from .encode import LEVELS, palette_color

__all__ = ["PROFILES", "NoiseProfile", "draw_dots", "draw_strokes", "texture_level"]


@dataclass(frozen=True, slots=True)
class NoiseProfile:
    """How strongly each kind of noise is applied, in units of the font size."""

    rotation: float  # max glyph rotation, degrees
    rise: float  # max baseline shift of a glyph
    scale: float  # max relative change of a glyph's size
    spacing: float  # max extra space after a glyph
    strokes: int  # curves crossing the text
    stroke_width: float  # close to the font's stem width
    dots: float  # dots per square font-size
    texture: float  # share of background pixels tinted towards the text colour


PROFILES: dict[Noise, NoiseProfile] = {
    Noise.NONE: NoiseProfile(0, 0, 0, 0, 0, 0, 0, 0),
    Noise.LOW: NoiseProfile(6, 0.05, 0.04, 0.04, 1, 0.06, 0.6, 0.04),
    Noise.MEDIUM: NoiseProfile(9, 0.07, 0.07, 0.06, 2, 0.07, 0.9, 0.07),
    Noise.HIGH: NoiseProfile(17, 0.13, 0.12, 0.10, 3, 0.09, 2.0, 0.14),
}


def draw_strokes(
    draw: ImageDraw.ImageDraw,
    rng: random.Random,
    box: tuple[float, float, float, float],
    size: float,
    profile: NoiseProfile,
) -> None:
    """Wavy curves across the text band, as thick as the letters' stems.

    Curves that look like strokes are what makes segmentation hard: a filter that
    removes them removes parts of the letters too.
    """
    left, top, right, bottom = box
    width = max(1, round(size * profile.stroke_width))
    for _ in range(profile.strokes):
        y0 = rng.uniform(top + 0.25 * (bottom - top), bottom - 0.25 * (bottom - top))
        slope = rng.uniform(-0.35, 0.35) * (bottom - top) / max(1.0, right - left)
        amplitude = rng.uniform(0.08, 0.22) * size
        wavelength = rng.uniform(1.5, 3.5) * size
        phase = rng.uniform(0, 2 * math.pi)
        start = left + rng.uniform(0, 0.15) * (right - left)
        end = right - rng.uniform(0, 0.15) * (right - left)
        steps = max(2, int((end - start) / max(1.0, size / 8)))
        points = [
            (
                x,
                y0
                + slope * (x - start)
                + amplitude * math.sin(phase + 2 * math.pi * x / wavelength),
            )
            for x in (start + (end - start) * i / steps for i in range(steps + 1))
        ]
        draw.line(points, fill=255, width=width, joint="curve")


def draw_dots(
    draw: ImageDraw.ImageDraw,
    rng: random.Random,
    image_size: tuple[int, int],
    size: float,
    profile: NoiseProfile,
) -> None:
    """Specks about the size of a full stop, scattered over the whole image."""
    width, height = image_size
    count = round(profile.dots * width * height / (size * size))
    for _ in range(count):
        x, y = rng.uniform(0, width), rng.uniform(0, height)
        r = rng.uniform(0.03, 0.07) * size
        draw.ellipse((x - r, y - r, x + r, y + r), fill=255)


def texture_level(color: RGB, background: RGB | None, profile: NoiseProfile) -> int:
    """The coverage (0-255) of background texture that keeps text contrast at WCAG AA.

    Texture pixels are the background blended towards the text colour; the blend is
    capped so the text still stands out from them at ``MIN_CONTRAST`` or better.
    """
    if profile.texture == 0:
        return 0
    # Whole palette steps of the encoder (17 of 255), so the colour checked here is the
    # colour drawn: a level between steps would be rounded, possibly towards the text.
    coverage_per_step = 255 // (LEVELS - 1)
    if background is None:
        return 4 * coverage_per_step
    for step in range(4, 0, -1):
        r, g, b = palette_color(background, color, step)
        if contrast_ratio(color, (r, g, b)) >= MIN_CONTRAST:
            return step * coverage_per_step
    return 0
