"""server.render.layout: glyphs placed along the zigzag, turned to it, parted."""

from __future__ import annotations

import math
import random
import statistics

import pytest

from server.render.fonts import GLYPH_FONTS, glyph_advance, x_height
from server.render.glyphs import Glyph
from server.render.layout import Placed, _corners, along_path
from server.render.marks import UPRIGHT
from server.render.noise import PROFILES
from server.render.style import style_for
from tokens.options import Noise

NOISY = [Noise.LOW, Noise.MEDIUM, Noise.HIGH]
SIZE = 96


def placed(text: str, noise: Noise, seed: int) -> list[Placed]:
    font = GLYPH_FONTS[seed % len(GLYPH_FONTS)]
    glyphs = [
        Glyph(c, font, SIZE, glyph_advance(font, SIZE, c), x_height(font) * SIZE / 2) for c in text
    ]
    result, _, _ = along_path(
        glyphs, PROFILES[noise], style_for(b""), random.Random(seed), SIZE, 5.0 * SIZE
    )
    return result


def ink_gap(a: Placed, b: Placed, angle: float) -> float:
    """Em from the end of ``a``'s turned ink box to the start of ``b``'s, along ``angle``."""
    ux, uy = math.cos(angle), math.sin(angle)
    end = max(x * ux + y * uy for x, y in _corners(a))
    return (min(x * ux + y * uy for x, y in _corners(b)) - end) / SIZE


@pytest.mark.parametrize("noise", NOISY, ids=str)
def test_digit_groups_keep_a_visible_gap(noise: Noise) -> None:
    """The glyphs either side of a space stay apart along the path, wherever the zigzag
    turns: never under 0.12 em (they used to run together, -0.1 em at worst, as "555 555"
    read as "555555"), about a quarter em typically."""
    gaps = []
    for seed in range(60):
        five, space, six = placed("555 555", noise, seed)[2:5]
        gaps.append(ink_gap(five, six, space.angle))
    assert min(gaps) >= 0.12
    assert statistics.median(gaps) >= 0.2


@pytest.mark.parametrize("noise", NOISY, ids=str)
def test_thin_letters_and_slashes_are_turned_half_as_far_as_the_path(noise: Noise) -> None:
    """Turned 35-45 degrees an l or an I reads as a slash, a slash as a dash: they stand
    more upright, and a | stands upright (half-turned it still read as / or \\). Digits,
    brackets and + take the full turn."""
    rotation = PROFILES[noise].rotation
    steep = 0
    for seed in range(20):
        for glyph in placed("al1Ixb|!(o)/+×", noise, seed):
            path_turn = -math.degrees(glyph.angle)
            if glyph.glyph.cluster == "|":
                assert abs(glyph.turn) <= rotation + 1e-9
            elif glyph.glyph.cluster in UPRIGHT:
                assert abs(glyph.turn - path_turn / 2) <= rotation + 1e-9
                steep += abs(path_turn) > 25
            else:
                assert abs(glyph.turn - path_turn) <= rotation + 1e-9
    assert steep  # some were on steep runs
