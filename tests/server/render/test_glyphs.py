"""server.render.glyphs: which font draws each glyph of noisy text, and at what size."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from server.render.fonts import GLYPH_FONTS, TELLING_FONTS, glyph_font, split_runs
from server.render.glyphs import pick_glyphs
from server.render.noise import PROFILES
from server.render.style import style_for
from tokens.options import Noise

NOISY = [Noise.LOW, Noise.MEDIUM, Noise.HIGH]
SIZE = 100


def drawn(char: str, font: Path) -> Image.Image:
    """``char`` drawn alone at 100 px, white on black, cropped to its ink."""
    image = Image.new("L", (2 * SIZE, 2 * SIZE))
    draw = ImageDraw.Draw(image)
    draw.text(
        (SIZE // 2, 3 * SIZE // 2), char, font=glyph_font(font, SIZE, char), fill=255, anchor="ls"
    )
    return image.crop(image.getbbox())


def foot(image: Image.Image) -> int:
    """Width in px of the ink in the bottom 6 rows: a stem's, or a serif's, tail's or base's."""
    box = image.crop((0, image.height - 6, image.width, image.height)).getbbox()
    assert box is not None
    return box[2] - box[0]


@pytest.mark.parametrize("noise", NOISY, ids=str)
@pytest.mark.parametrize("text", ["O0o.lI1l@x.co", "bill1@il1.io", "+1 (800) 101-0110", "US$ 5"])
def test_confusable_glyphs_come_from_a_font_that_tells_them_apart(noise: Noise, text: str) -> None:
    """Under any deployment's style and any token, 0, O, l, 1, I and $ are drawn in fonts
    of :data:`TELLING_FONTS`, whatever fonts the style mixes for the other glyphs."""
    for key in range(40):
        look = style_for(bytes([key]))
        for family in ("sans", "serif", "mono", "lato"):
            runs = split_runs(text, family, 24)
            glyphs = pick_glyphs(runs, family, PROFILES[noise], look, random.Random(key), 24)
            for glyph in glyphs:
                if glyph.cluster in TELLING_FONTS:
                    assert glyph.path in TELLING_FONTS[glyph.cluster], (glyph.cluster, glyph.path)
                else:
                    assert glyph.path in look.fonts[: PROFILES[noise].fonts]


def test_the_telling_fonts_mix_with_the_style() -> None:
    """Across styles 1, I and O come from several fonts (the style's, where it has
    some), 0 and l from the one whose zero has a dot and whose l has a tail."""
    used: dict[str, set[Path]] = {char: set() for char in TELLING_FONTS}
    for key in range(40):
        runs = split_runs("O0lI1 abc", "sans", 24)
        look = style_for(bytes([key]))
        profile = PROFILES[Noise.MEDIUM]
        for glyph in pick_glyphs(runs, "sans", profile, look, random.Random(key), 24):
            if glyph.cluster in used:
                used[glyph.cluster].add(glyph.path)
                mixed = set(TELLING_FONTS[glyph.cluster]) & set(look.fonts[: profile.fonts])
                assert glyph.path in (mixed or TELLING_FONTS[glyph.cluster])
    assert all(len(used[char]) >= 3 for char in "1IO"), used
    assert used["0"] == used["l"] == set(TELLING_FONTS["0"])


@pytest.mark.parametrize("font", TELLING_FONTS["0"], ids=lambda path: path.stem)
def test_a_zero_has_a_dot_an_o_is_round(font: Path) -> None:
    zero = drawn("0", font)
    middle = zero.crop(
        (zero.width // 2 - 3, zero.height // 2 - 3, zero.width // 2 + 3, zero.height // 2 + 3)
    )
    assert middle.getextrema()[1] > 128  # the dot
    for other in TELLING_FONTS["O"]:
        o = drawn("O", other)
        assert o.width / o.height > zero.width / zero.height + 0.05, other.stem


@pytest.mark.parametrize(
    ("char", "least"),
    [("l", 0.2), ("I", 0.25), ("1", 0.3)],  # a tail or foot; serifs; a base
)
def test_thin_glyphs_have_a_foot_in_their_telling_fonts(char: str, least: float) -> None:
    """A sans-serif l, I and 1 are nearly one stem (their foot about 0.1 em): the fonts
    that tell them apart give each a tail, serifs or a base."""
    plain = foot(drawn(char, GLYPH_FONTS[0])) if char != "1" else 0
    for font in TELLING_FONTS[char]:
        width = foot(drawn(char, font))
        assert width >= least * SIZE, (char, font.stem, width)
        assert width > plain


def test_a_dollar_sign_has_its_bar_drawn_through() -> None:
    """The middle of every telling font's $ is ink from top to bottom (gaps of a row
    where the bar meets a curve): Cantarell's, two stubs with the S's counters open
    between them, read as an S once a stroke ran over one of them."""

    def longest_gap(font: Path) -> float:
        dollar = drawn("$", font)
        middle = dollar.crop((dollar.width // 2 - 6, 0, dollar.width // 2 + 6, dollar.height))
        gap = longest = 0
        for y in range(middle.height):
            inked = middle.crop((0, y, middle.width, y + 1)).getextrema()[1] > 128
            gap = 0 if inked else gap + 1
            longest = max(longest, gap)
        return longest / dollar.height

    assert all(longest_gap(font) <= 0.02 for font in TELLING_FONTS["$"])
    left_out = set(GLYPH_FONTS) - set(TELLING_FONTS["$"])
    assert left_out and all(longest_gap(font) > 0.1 for font in left_out)
