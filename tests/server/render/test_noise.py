"""server.render.noise: profiles, seeded strokes and dots, and texture that keeps WCAG AA."""

from __future__ import annotations

import dataclasses
import random

import pytest
from PIL import Image, ImageChops

from server.render.encode import colorize
from server.render.noise import (
    DOT_CLEARANCE,
    OVERSHOOT,
    PROFILES,
    SHORT_TEXT,
    NoiseProfile,
    _untangled,
    draw_dots,
    draw_strokes,
    overshoot,
    texture_level,
)
from server.render.path import Placement
from server.render.style import STROKE_SHAPES, Style, style_for
from tokens.colors import RGB, contrast_ratio
from tokens.options import MIN_CONTRAST, Noise, RenderOptions

NOISY = [Noise.LOW, Noise.MEDIUM, Noise.HIGH]

#: (text colour, background): defaults, extremes, and pairs whose texture lands near 4.5:1.
PAIRS: list[tuple[RGB, RGB]] = [
    (RenderOptions().color, (255, 255, 255)),  # the default #222 on white
    ((0, 0, 0), (255, 255, 255)),
    ((255, 255, 255), (0, 0, 0)),
    ((0x76, 0x76, 0x76), (255, 255, 255)),  # 4.54:1, the classic AA grey
    ((255, 255, 255), (0x76, 0x76, 0x76)),
    ((0x70, 0x70, 0x70), (255, 255, 255)),  # 4.95:1
    ((0, 0, 0), (0x7B, 0x7B, 0x7B)),  # 4.96:1
    ((0x7B, 0x7B, 0x7B), (0, 0, 0)),
    ((42, 27, 53), (137, 158, 108)),  # 5.49:1
    ((91, 195, 1), (93, 8, 135)),  # 5.00:1
    ((0x5E, 0x5E, 0x5E), (255, 255, 255)),  # 6.48:1
    ((255, 255, 255), (0x48, 0x48, 0x48)),  # 9.15:1
    ((0, 0, 0), (0x9C, 0x9C, 0x9C)),  # 7.65:1
    ((0x00, 0x00, 0x8B), (0xFF, 0xFF, 0xE0)),  # navy on light yellow
]


def pair_id(pair: tuple[RGB, RGB]) -> str:
    return "{:02x}{:02x}{:02x}-on-{:02x}{:02x}{:02x}".format(*pair[0], *pair[1])


def blend(color: RGB, background: RGB, level: int) -> RGB:
    r, g, b = (
        round(bg + (fg - bg) * level / 255) for bg, fg in zip(background, color, strict=True)
    )
    return (r, g, b)


def drawn_colour(color: RGB, background: RGB, level: int) -> RGB:
    """The colour the encoder really writes for a pixel of coverage ``level``."""
    image = colorize(Image.new("L", (1, 1), level), (*background, 255), (*color, 255))
    index = image.getpixel((0, 0))
    assert isinstance(index, int)
    values = image.getpalette()
    assert values is not None
    r, g, b = values[3 * index : 3 * index + 3]
    return (r, g, b)


def test_pairs_are_all_legal_and_some_are_borderline() -> None:
    ratios = [contrast_ratio(fg, bg) for fg, bg in PAIRS]
    assert all(r >= MIN_CONTRAST for r in ratios)
    assert sum(r < 5.1 for r in ratios) >= 4


@pytest.mark.parametrize("noise", NOISY, ids=str)
@pytest.mark.parametrize("pair", PAIRS, ids=pair_id)
def test_texture_blend_keeps_contrast(pair: tuple[RGB, RGB], noise: Noise) -> None:
    color, background = pair
    level = texture_level(color, background, PROFILES[noise])
    assert 0 <= level <= 255
    assert contrast_ratio(color, blend(color, background, level)) >= MIN_CONTRAST


@pytest.mark.parametrize("noise", NOISY, ids=str)
@pytest.mark.parametrize("pair", PAIRS, ids=pair_id)
def test_texture_as_encoded_keeps_contrast(pair: tuple[RGB, RGB], noise: Noise) -> None:
    """The check must hold for the palette colour that is drawn, not only for level / 255."""
    color, background = pair
    level = texture_level(color, background, PROFILES[noise])
    drawn = drawn_colour(color, background, level)
    ratio = contrast_ratio(color, drawn)
    assert ratio >= MIN_CONTRAST, (
        f"texture level {level} is drawn as {drawn}, {ratio:.3f}:1 against the text"
    )


@pytest.mark.parametrize("noise", NOISY, ids=str)
def test_texture_is_drawn_when_contrast_allows(noise: Noise) -> None:
    profile = PROFILES[noise]
    level = texture_level((0x22, 0x22, 0x22), (255, 255, 255), profile)
    assert level > 0
    assert drawn_colour((0x22, 0x22, 0x22), (255, 255, 255), level) != (255, 255, 255)
    assert texture_level((0, 0, 0), (255, 255, 255), profile) > 0


@pytest.mark.parametrize("noise", NOISY, ids=str)
def test_a_transparent_background_takes_the_full_texture(noise: Noise) -> None:
    """No contrast to keep against a page colour it does not know: the texture is drawn
    at its most (only near the text, see render_text)."""
    assert texture_level((0x22, 0x22, 0x22), None, PROFILES[noise]) == 4 * 17


def test_texture_gives_way_to_low_contrast() -> None:
    """A pair right at the limit has no room for any texture."""
    color, background = (0x76, 0x76, 0x76), (255, 255, 255)
    level = texture_level(color, background, PROFILES[Noise.HIGH])
    assert drawn_colour(color, background, level) == background


@pytest.mark.parametrize("pair", [*PAIRS, ((0x22, 0x22, 0x22), None)], ids=str)
def test_no_texture_without_noise(pair: tuple[RGB, RGB | None]) -> None:
    assert texture_level(pair[0], pair[1], PROFILES[Noise.NONE]) == 0


def test_every_level_has_a_profile() -> None:
    assert set(PROFILES) == set(Noise)


def _flat(profile: NoiseProfile) -> list[float]:
    values: list[float] = []
    for value in dataclasses.astuple(profile):
        values.extend(value if isinstance(value, tuple) else (value,))
    return values


def test_none_profile_is_all_zero() -> None:
    assert all(value == 0 for value in _flat(PROFILES[Noise.NONE]))


GROWING = [
    "rise",
    "band",
    "short_band",
    "fonts",
    "strokes",
    "stroke_width",
    "stroke_wobble",
    "texture",
]


@pytest.mark.parametrize("name", GROWING)
def test_profiles_grow_stronger_from_none_to_high(name: str) -> None:
    values = [getattr(PROFILES[level], name) for level in sorted(Noise)]
    assert values == sorted(values)
    assert len(set(values)) == len(values), f"{name} does not increase at every level"


#: Grow up to ``medium`` and stay there (as do the crowding and the path's slope, below):
#: at ``high``, more turn, size jitter, crowding or a steeper path under the third stroke
#: made digit strings hard to read at 1x (docs/protection.md).
LEVELLING = ["rotation", "scale"]


@pytest.mark.parametrize("name", LEVELLING)
def test_glyph_jitter_grows_to_medium_and_high_keeps_it(name: str) -> None:
    values = [getattr(PROFILES[level], name) for level in sorted(Noise)]
    assert values[0] < values[1] < values[2] == values[3]


def test_every_field_is_checked_somewhere() -> None:
    others = {
        "spacing",
        "slope",
        "corner",
        "stroke_above",
        "stroke_below",
        "dots",
        "short_overshoot",
    }
    fields = {f.name for f in dataclasses.fields(NoiseProfile)}
    assert fields == {*GROWING, *LEVELLING, *others}


def test_noisier_levels_crowd_glyphs_and_steepen_the_path_up_to_medium() -> None:
    spacing = [PROFILES[level].spacing for level in sorted(Noise)]
    assert spacing[0] > spacing[1] > spacing[2] == spacing[3]
    slopes = [sum(PROFILES[level].slope) for level in sorted(Noise)]
    assert slopes[0] < slopes[1] < slopes[2] == slopes[3]
    for level in NOISY:
        low, high = PROFILES[level].slope
        assert 0 < low < high < 60
        assert PROFILES[level].short_band < PROFILES[level].band
    assert PROFILES[Noise.MEDIUM].slope[0] >= 35 and PROFILES[Noise.MEDIUM].slope[1] <= 45


def test_strokes_run_on_further_past_short_text_at_high_only() -> None:
    """Short prices (``¥6``, ``$78``) are what off-the-shelf OCR still read at ``high``:
    there the strokes run on 1-1.5 em past them; elsewhere, and past longer text, as
    before (the same pixels at every other level)."""
    for level in (Noise.LOW, Noise.MEDIUM):
        assert PROFILES[level].short_overshoot == OVERSHOOT
        assert overshoot(PROFILES[level], 1) == OVERSHOOT
    high = PROFILES[Noise.HIGH]
    assert overshoot(high, SHORT_TEXT) == high.short_overshoot == (1.0, 1.5)
    assert overshoot(high, SHORT_TEXT + 1) == OVERSHOOT
    assert OVERSHOOT[1] < high.short_overshoot[0]
    assert SHORT_TEXT == 5


def test_dots_only_where_legibility_can_spare_them() -> None:
    """Dots look like full stops, which emails are full of: only the high level has them."""
    assert [PROFILES[level].dots > 0 for level in sorted(Noise)] == [False, False, False, True]


def _along(distance: float) -> Placement:
    """A guide for the strokes: a line at 30 px, 10 px from the left edge."""
    return Placement(10 + distance, 30, 0.0)


def _strokes(
    seed: int,
    profile: NoiseProfile,
    style: Style | None = None,
    scale: int = 1,
    clear: Image.Image | None = None,
) -> tuple[bytes, object]:
    rng = random.Random(seed)
    mask = Image.new("L", (240 * scale, 60 * scale))

    def guide(distance: float) -> Placement:
        point = _along(distance / scale)
        return Placement(point.x * scale, point.y * scale, point.angle)

    span = (0.0, 220.0 * scale)
    look = style or style_for(b"")
    draw_strokes(mask, rng, guide, span, 32 * scale, profile, look, clear=clear)
    return mask.tobytes(), rng.getstate()


def _dots(seed: int, profile: NoiseProfile, size: int = 32, scale: int = 1) -> tuple[bytes, object]:
    rng = random.Random(seed)
    mask = Image.new("L", (240 * scale, 60 * scale))
    draw_dots(mask, rng, size * scale, profile)
    return mask.tobytes(), rng.getstate()


@pytest.mark.parametrize("noise", NOISY, ids=str)
def test_strokes_are_deterministic_for_a_seeded_random(noise: Noise) -> None:
    profile = PROFILES[noise]
    first, state = _strokes(7, profile)
    assert (first, state) == _strokes(7, profile)
    assert any(first)  # something was drawn
    assert first != _strokes(8, profile)[0]


DOTTED = [level for level in NOISY if PROFILES[level].dots]


@pytest.mark.parametrize("noise", DOTTED, ids=str)
def test_dots_are_deterministic_for_a_seeded_random(noise: Noise) -> None:
    profile = PROFILES[noise]
    first, state = _dots(7, profile)
    assert (first, state) == _dots(7, profile)
    assert any(first)
    assert first != _dots(8, profile)[0]


@pytest.mark.parametrize("noise", DOTTED, ids=str)
def test_dot_pattern_does_not_depend_on_density(noise: Noise) -> None:
    """Sizes are in font-size units: at 2x the same random draws are consumed."""
    assert _dots(3, PROFILES[noise])[1] == _dots(3, PROFILES[noise], scale=2)[1]


def test_more_noise_draws_more() -> None:
    inked = [sum(map(bool, _dots(5, PROFILES[level])[0])) for level in sorted(Noise)]
    assert inked[0] == 0 and inked[-1] > 0
    stroked = [sum(map(bool, _strokes(5, PROFILES[level])[0])) for level in sorted(Noise)]
    assert stroked[0] == 0
    assert stroked == sorted(stroked) and len(set(stroked)) == len(stroked)


def test_none_profile_draws_nothing_and_uses_no_randomness() -> None:
    profile = PROFILES[Noise.NONE]
    untouched = random.Random(1).getstate()
    for blank, state in (_strokes(1, profile), _dots(1, profile)):
        assert not any(blank)
        assert state == untouched


@pytest.mark.parametrize("noise", NOISY, ids=str)
def test_stroke_pattern_does_not_depend_on_density(noise: Noise) -> None:
    """Sizes are in font-size units: at 2x the same random draws are consumed, and the
    strokes cover about four times the pixels."""
    one, state = _strokes(3, PROFILES[noise])
    two, state_two = _strokes(3, PROFILES[noise], scale=2)
    assert state == state_two
    ink_one, ink_two = sum(v / 255 for v in one), sum(v / 255 for v in two)
    assert ink_two == pytest.approx(4 * ink_one, rel=0.15)


@pytest.mark.parametrize("noise", NOISY, ids=str)
def test_strokes_follow_the_guide_as_thick_as_a_stem(noise: Noise) -> None:
    """Each stroke stays within a few tenths of an em of the text's path and is about a
    stem wide: it runs through the letters, not across the image."""
    profile = PROFILES[noise]
    pixels, _ = _strokes(4, profile)
    mask = Image.frombytes("L", (240, 60), pixels)
    box = mask.getbbox()
    assert box is not None
    offset = max(profile.stroke_above, profile.stroke_below)
    reach = 32 * (offset + profile.stroke_wobble + 0.04 + profile.stroke_width)
    assert 30 - reach - 1 <= box[1] and box[3] <= 30 + reach + 1
    assert box[0] <= 10 and box[2] >= 230  # from the start of the text to its end, and beyond
    coverage = sum(v / 255 for v in pixels)
    width = coverage / (profile.strokes * 220)
    assert 0.6 * profile.stroke_width * 32 < width < 1.6 * profile.stroke_width * 32


@pytest.mark.parametrize("run_on", [OVERSHOOT, PROFILES[Noise.HIGH].short_overshoot])
def test_strokes_run_on_past_the_text_as_far_as_asked(run_on: tuple[float, float]) -> None:
    """Each stroke runs on past both ends of the text by ``run_on`` em (drawn per
    stroke), and the same random draws are used whatever the run-on: only the strokes'
    length changes, not what comes after them."""
    profile, size, text = PROFILES[Noise.HIGH], 32, (100.0, 160.0)

    def drawn(run_on: tuple[float, float], ends: tuple[bool, bool]) -> tuple[Image.Image, object]:
        rng = random.Random(3)
        mask = Image.new("L", (400, 60))

        def guide(distance: float) -> Placement:
            return Placement(text[0] + distance, 30, 0.0)

        span = (0.0, text[1] - text[0])
        draw_strokes(
            mask, rng, guide, span, size, profile, style_for(b""), ends=ends, run_on=run_on
        )
        return mask, rng.getstate()

    mask, state = drawn(run_on, (True, True))
    box = mask.getbbox()
    assert box is not None
    cap = size * profile.stroke_width  # a stroke's round of antialiasing and its width
    assert run_on[0] * size - cap <= text[0] - box[0] <= run_on[1] * size + cap
    assert run_on[0] * size - cap <= box[2] - text[1] <= run_on[1] * size + cap
    assert state == drawn(OVERSHOOT, (True, True))[1]
    stopped, _ = drawn(run_on, (False, False))
    box = stopped.getbbox()
    assert box is not None
    assert text[0] - cap <= box[0] and box[2] <= text[1] + cap  # no run-on where ends say so


def test_stroke_shapes_differ_by_style() -> None:
    profile = PROFILES[Noise.MEDIUM]
    wave, echo = (
        next(
            style_for(bytes([i])) for i in range(64) if style_for(bytes([i])).stroke_shape == shape
        )
        for shape in STROKE_SHAPES
    )
    assert _strokes(2, profile, wave)[0] != _strokes(2, profile, echo)[0]


@pytest.mark.parametrize("noise", NOISY, ids=str)
def test_strokes_run_over_capitals_and_through_the_feet(noise: Noise) -> None:
    """Above the path, a stroke runs about the top of capitals and digits (0.46 em over
    the middle of the x-height), not through their middle; below, about the baseline
    (0.27 em under the middle), through the joins and descenders."""
    profile = PROFILES[noise]
    assert 0.46 <= profile.stroke_above <= 0.46 + profile.stroke_wobble + 0.04
    assert 0.27 < profile.stroke_below < profile.stroke_above


def test_untangled_cuts_a_loop_and_keeps_a_plain_line() -> None:
    straight = [(float(x), 0.0) for x in range(10)]
    assert _untangled(straight, 15) == straight
    # Right, up, back left and down through the first segment: the loop is cut at (2, 0).
    loop = [(0.0, 0.0), (4.0, 0.0), (4.0, 2.0), (2.0, 2.0), (2.0, -2.0), (2.0, -5.0)]
    assert _untangled(loop, 15) == [(0.0, 0.0), (2.0, 0.0), (2.0, -2.0), (2.0, -5.0)]
    assert _untangled(loop, 1) == loop  # a loop longer than the span is left alone


@pytest.mark.parametrize("noise", NOISY, ids=str)
def test_strokes_leave_the_clear_pixels_alone(noise: Noise) -> None:
    """Where ``clear`` is set, nothing is drawn; elsewhere the strokes are unchanged."""
    profile = PROFILES[noise]
    plain, _ = _strokes(4, profile)
    clear = Image.new("L", (240, 60))
    clear.paste(255, (60, 0, 120, 60))
    cleared, _ = _strokes(4, profile, clear=clear)
    plain_image, cleared_image = (Image.frombytes("L", (240, 60), p) for p in (plain, cleared))
    assert plain_image.crop((60, 0, 120, 60)).getbbox() is not None  # strokes run there
    assert cleared_image.crop((60, 0, 120, 60)).getbbox() is None
    assert (
        cleared_image.crop((0, 0, 60, 60)).tobytes() == plain_image.crop((0, 0, 60, 60)).tobytes()
    )


@pytest.mark.parametrize("noise", DOTTED, ids=str)
def test_dots_keep_clear_of_the_text(noise: Noise) -> None:
    """No dot lands near ink already drawn (a band like a line of text with its strokes),
    where it would read as a full stop or an accent; they still speckle the rest."""
    size = 32
    mask = Image.new("L", (480, 160))
    mask.paste(255, (40, 60, 440, 100))  # the text
    before = mask.copy()
    draw_dots(mask, random.Random(3), size, PROFILES[noise])
    added = ImageChops.difference(mask, before)
    assert added.getbbox() is not None
    reach = round(DOT_CLEARANCE * size) - round(0.07 * size) - 1  # less a dot's radius
    near = (40 - reach, 60 - reach, 440 + reach, 100 + reach)
    assert added.crop(near).getbbox() is None


@pytest.mark.parametrize("noise", NOISY, ids=str)
def test_strokes_run_on_past_the_ends_unless_told_not_to(noise: Noise) -> None:
    """By default strokes start 0.3-0.6 em before the text and end as far after it (their
    tips then lie outside the first and last glyphs); told not to, they stop at the span."""
    size, look = 32, style_for(b"")
    for seed in range(5):
        spans = []
        for ends in ((True, True), (False, False)):
            mask = Image.new("L", (400, 60))
            draw_strokes(
                mask,
                random.Random(seed),
                _along,
                (60.0, 300.0),
                size,
                PROFILES[noise],
                look,
                ends=ends,
            )
            box = mask.getbbox()
            assert box is not None
            spans.append(box)
        (left, _, right, _), (inner_left, _, inner_right, _) = spans
        half = size * PROFILES[noise].stroke_width / 2 + 1
        assert left <= 10 + 60 - 0.3 * size + half and right >= 10 + 300 + 0.3 * size - half
        assert inner_left >= 10 + 60 - half and inner_right <= 10 + 300 + half


@pytest.mark.parametrize("noise", NOISY, ids=str)
def test_strokes_leave_out_short_stretches_between_gaps(noise: Noise) -> None:
    """A stretch of stroke shorter than about 0.35 em left between two gaps (or between
    a gap and its start) would read as an accent or an apostrophe: it is not drawn; a
    longer one is."""
    size, look = 32, style_for(b"")
    clear = Image.new("L", (400, 60))
    clear.paste(255, (40, 0, 100, 60))  # the stroke starts inside this gap...
    clear.paste(255, (108, 0, 150, 60))  # ...8 px (0.25 em) before this one
    clear.paste(255, (200, 0, 230, 60))  # 50 px (1.6 em) after it
    mask = Image.new("L", (400, 60))
    draw_strokes(
        mask,
        random.Random(1),
        _along,
        (60.0, 300.0),
        size,
        PROFILES[noise],
        look,
        clear=clear,
        ends=(False, True),
    )
    assert mask.crop((100, 0, 108, 60)).getbbox() is None  # the short stretch
    assert mask.crop((150, 0, 200, 60)).getbbox() is not None  # the long one
    assert mask.crop((230, 0, 400, 60)).getbbox() is not None
