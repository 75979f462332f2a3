"""server.render.style: a deployment's look, derived from its secret style key."""

from __future__ import annotations

from server.render.fonts import FAMILIES, GLYPH_FONTS
from server.render.style import STROKE_SHAPES, style_for


def test_same_key_same_style() -> None:
    assert style_for(b"key one") == style_for(b"key one")


def test_keys_give_different_styles() -> None:
    styles = [style_for(bytes([i]) * 16) for i in range(32)]
    assert len({style.fonts for style in styles}) == 32
    assert len({style.fonts[:4] for style in styles}) > 16  # the most used fonts vary
    assert {style.stroke_shape for style in styles} == set(STROKE_SHAPES)
    assert len({round(style.slope_shift, 6) for style in styles}) == 32


def test_fonts_are_distinct_glyph_fonts() -> None:
    for i in range(16):
        fonts = style_for(bytes([i])).fonts
        assert len(fonts) == len(set(fonts)) == 10
        assert set(fonts) <= set(GLYPH_FONTS)


def test_no_key_has_a_style_of_its_own() -> None:
    """Images drawn without a key (tests, benches) still get a full style."""
    style = style_for(b"")
    assert len(style.fonts) == 10
    assert not set(style.fonts) - set(GLYPH_FONTS) - set(FAMILIES.values())


def test_parameters_stay_in_their_ranges() -> None:
    for i in range(64):
        style = style_for(i.to_bytes(2, "big"))
        assert -3 <= style.slope_shift <= 3
        assert 0.8 <= style.corner <= 1.25
        assert 0.9 <= style.band <= 1.0
        low, high = style.wavelength
        assert 2.5 <= low < high <= 5.5
