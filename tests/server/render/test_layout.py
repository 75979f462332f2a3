"""server.render.layout: glyphs placed along the zigzag, turned to it, parted."""

from __future__ import annotations

import itertools
import math
import random
import statistics

import pytest

from server.render.fonts import GLYPH_FONTS, glyph_advance, x_height
from server.render.glyphs import Glyph
from server.render.layout import Placed, _corners, along_path, clearance
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


def chord_gap(a: Placed, b: Placed) -> float:
    """Em from the end of ``a``'s turned ink box to the start of ``b``'s, along the line
    from ``a``'s centre to ``b``'s."""
    return ink_gap(a, b, math.atan2(b.y - a.y, b.x - a.x))


@pytest.mark.parametrize("noise", NOISY, ids=str)
def test_a_space_stands_out_from_the_gaps_within_words(noise: Noise) -> None:
    """The glyphs either side of a space stay a clear word gap apart wherever the zigzag
    turns (they used to run together, -0.1 em at worst, as "555 555" read as "555555"),
    and the turns open no gap within a word that looks like one ("n.men sah")."""
    within, words = [], []
    for seed in range(60):
        glyphs = placed("555 555 mensah gmx first last", noise, seed)
        for a, b in itertools.pairwise(glyphs):
            if " " not in (a.glyph.cluster, b.glyph.cluster):
                within.append(chord_gap(a, b))
        for a, space, b in zip(glyphs, glyphs[1:], glyphs[2:], strict=False):
            if space.glyph.cluster == " ":
                words.append(chord_gap(a, b))
    assert min(words) >= 0.35
    assert statistics.median(words) >= 0.5
    assert sorted(within)[len(within) * 99 // 100] <= 0.25  # 99 gaps in 100 within words


@pytest.mark.parametrize("noise", NOISY, ids=str)
def test_thin_letters_and_slashes_are_turned_half_as_far_as_the_path(noise: Noise) -> None:
    """Turned 35-45 degrees an l or an I reads as a slash, a slash as a dash: they stand
    more upright, and a | and an underscore stand upright (half-turned a | still read as
    / or \\, and a turned underscore runs alongside the lower stroke). Digits, brackets
    and + take the full turn."""
    rotation = PROFILES[noise].rotation
    steep = 0
    for seed in range(20):
        for glyph in placed("al1Ixb|!(o)/+×_", noise, seed):
            path_turn = -math.degrees(glyph.angle)
            if glyph.glyph.cluster in "|_":
                assert abs(glyph.turn) <= rotation + 1e-9
            elif glyph.glyph.cluster in UPRIGHT:
                assert abs(glyph.turn - path_turn / 2) <= rotation + 1e-9
                steep += abs(path_turn) > 25
            else:
                assert abs(glyph.turn - path_turn) <= rotation + 1e-9
    assert steep  # some were on steep runs


@pytest.mark.parametrize("noise", NOISY, ids=str)
def test_punctuation_keeps_a_gap_to_its_neighbours(noise: Noise) -> None:
    """Crowded glyphs may touch, but a full stop, a comma, an underscore or a hyphen
    tucked against a letter reads as part of it ("acme.com" read as "acmecom"): their
    ink boxes stay apart, about 0.05 em (they used to overlap by up to 0.05 em)."""
    gaps = []
    for seed in range(40):
        glyphs = placed("me.co_mx-a,b", noise, seed)
        for a, b in itertools.pairwise(glyphs):
            if {a.glyph.cluster, b.glyph.cluster} & set("._-,"):
                gaps.append(clearance(a, b) / SIZE)
    assert min(gaps) >= 0.025
    assert sorted(gaps)[len(gaps) // 20] >= 0.045  # 19 in 20 at the full gap
