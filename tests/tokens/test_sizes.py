"""tokens.sizes: image sizes from the shipped font metrics table, without Pillow."""

from __future__ import annotations

import math

import pytest

from tokens import FONTS, Noise, OptionError, RenderOptions
from tokens.options import MAX_WIDTH
from tokens.sizes import (
    BUCKET_EM,
    MISSING,
    NOISE_ROOM,
    TextBox,
    break_lines,
    bucket_width,
    check_densities,
    drawn_size,
    fits,
    font_runs,
    font_table,
    image_size,
    text_box,
)

EMAIL = "jane.doe@example.com"


def options(**values: object) -> RenderOptions:
    return RenderOptions.build(**values)  # type: ignore[arg-type]


def exact_width(box: TextBox) -> int:
    """The box's width before its bucket: the line and an edge each side."""
    return max(1, math.ceil(box.line) + 2 * box.edge)


def test_table_holds_every_family_and_the_fallbacks() -> None:
    table = font_table()
    assert set(table.families) == set(FONTS)
    assert [font.name for font in table.fallbacks] == [
        "DroidSansFallback.ttf",
        "Symbola_hint.ttf",
    ]
    for font in [*table.families.values(), *table.fallbacks]:
        assert font.units_per_em > 0 and font.ascent > 0 and font.descent > 0
        assert font.advance(ord("□")) is not None or font.name != "DejaVuSans.ttf"
    sans = table.families["sans"]
    assert sans.advance(ord("W")) == 2025  # DejaVu Sans, font units of a 2048 em
    assert sans.advance(0x4E00) is None  # CJK comes from the fallback


@pytest.mark.parametrize("noise", list(Noise), ids=str)
@pytest.mark.parametrize("font", FONTS)
def test_density_multiplies_the_css_size_exactly(font: str, noise: Noise) -> None:
    opts = options(font=font, noise=noise)
    box = text_box(EMAIL, opts)
    assert isinstance(box.width, int) and isinstance(box.height, int)
    for density in (1, 2, 3):
        assert image_size(EMAIL, opts, density) == (box.width * density, box.height * density)
        assert box.size(density) == image_size(EMAIL, opts, density)


def test_box_parts_add_up() -> None:
    box = text_box(EMAIL, options(noise="high", size=32, padding=6))
    assert box.edge == 6 + math.ceil(32 * NOISE_ROOM[Noise.HIGH].slack)
    assert box.room == box.width - 2 * box.edge >= math.ceil(box.line)
    assert box.width == bucket_width(exact_width(box), options(noise="high", size=32))
    assert box.height == math.ceil(box.ascent + box.descent) + 2 * box.edge
    assert box.edge + box.ascent <= box.baseline <= box.height - box.edge - box.descent


@pytest.mark.parametrize("noise", list(Noise), ids=str)
def test_noisy_text_is_drawn_at_least_its_levels_minimum(noise: Noise) -> None:
    """Below the level's minimum the box is the minimum's box; above it, the size's."""
    floor = NOISE_ROOM[noise].min_size
    assert (floor == 0) == (noise is Noise.NONE)
    assert 0 <= floor <= 32
    for size in sorted({8, 12, max(8, floor), max(8, floor + 1), 40}):
        opts = options(noise=noise, size=size)
        assert drawn_size(opts) == max(size, floor)
        assert text_box(EMAIL, opts) == text_box(EMAIL, options(noise=noise, size=max(size, floor)))


def test_noisier_levels_draw_no_smaller() -> None:
    floors = [NOISE_ROOM[level].min_size for level in sorted(Noise)]
    assert floors == sorted(floors)


def test_padding_adds_to_every_side() -> None:
    base, padded = text_box("Hello", options(padding=0)), text_box("Hello", options(padding=10))
    assert (exact_width(padded) - exact_width(base), padded.height - base.height) == (20, 20)


def test_noise_needs_room_around_and_between_glyphs() -> None:
    """Noisy text runs along a zigzag: more room around the line; along it, the steeper
    the path the less (at a size above every level's minimum)."""
    boxes = [text_box(EMAIL, options(noise=noise, size=32)) for noise in Noise]
    assert [box.edge for box in boxes] == sorted(box.edge for box in boxes)
    assert boxes[0].edge < boxes[1].edge < boxes[3].edge
    noisy = [box.line for box in boxes[1:]]
    assert noisy == sorted(set(noisy), reverse=True)
    assert [box.height for box in boxes] == sorted({box.height for box in boxes})
    assert len({box.ascent for box in boxes}) == 1


def test_width_grows_with_the_text_and_height_does_not() -> None:
    boxes = [text_box("W" * n, options()) for n in (1, 2, 4, 8)]
    assert [exact_width(box) for box in boxes] == sorted({exact_width(box) for box in boxes})
    assert [box.width for box in boxes] == sorted(box.width for box in boxes)
    assert len({box.height for box in boxes}) == 1
    assert text_box("Eg", options()).height == text_box("E", options()).height


def test_width_follows_the_advances() -> None:
    """16 px DejaVu Sans: W is 2025/2048 em, i 569/2048 em."""
    box = text_box("Wi", options(noise="none", padding=0))
    assert box.line == pytest.approx(16 * (2025 + 569) / 2048 + 2 / 64)
    assert box.width == bucket_width(math.ceil(box.line), options(noise="none"))


def test_fallback_fonts_raise_the_line() -> None:
    latin, cjk = text_box("ab", options()), text_box("a日", options())
    assert cjk.ascent > latin.ascent and cjk.height > latin.height


def test_marks_add_no_width_and_dropped_characters_nothing() -> None:
    assert text_box("e\u0301", options()).line == pytest.approx(
        text_box("e", options()).line + 1 / 64
    )
    assert text_box("a\nb\tc\u2029", options()) == text_box("abc", options())
    assert text_box("\u0301a", options()) == text_box("a", options())  # nothing to attach to


def test_uncovered_characters_are_the_missing_box() -> None:
    assert font_runs("\u0378", "serif") == [("DejaVuSans.ttf", MISSING)]
    assert text_box("\u0378", options(font="serif")) == text_box(MISSING, options())


def test_font_runs() -> None:
    assert font_runs("Hi 日本 😀 e\u0301", "mono") == [
        ("DejaVuSansMono.ttf", "Hi "),
        ("DroidSansFallback.ttf", "日本"),
        ("DejaVuSansMono.ttf", " "),
        ("DejaVuSans.ttf", "😀"),
        ("DejaVuSansMono.ttf", " e\u0301"),
    ]


def test_empty_line_still_has_a_box() -> None:
    box = text_box("\n", options(noise="none", padding=0))
    assert box.width == BUCKET_EM * 16 and box.height > 1


@pytest.mark.parametrize("density", [0, 4, "2", 2.0, True])
def test_image_size_refuses_a_bad_density(density: object) -> None:
    with pytest.raises(OptionError, match="bad density"):
        image_size(EMAIL, options(), density)  # type: ignore[arg-type]


def test_check_densities() -> None:
    assert check_densities([2, 1, 2]) == (1, 2)
    assert check_densities(range(1, 4)) == (1, 2, 3)
    for bad in [(), (2, 3), (1, 5), (1, 2.0), "1", None, 1]:
        with pytest.raises(OptionError, match="bad densities"):
            check_densities(bad)


def test_fits() -> None:
    box = TextBox(width=8000, height=40, edge=4, ascent=15.0, descent=4.0, line=7992.0)
    assert fits(box, 1) and fits(box, 2) and not fits(box, 3)
    assert not fits(box, 2, max_pixels=8000 * 40 * 4 - 1)
    tall = TextBox(width=10, height=MAX_WIDTH // 2 + 1, edge=0, ascent=1.0, descent=0.0, line=10)
    assert fits(tall, 1) and not fits(tall, 2)


# --- width buckets -----------------------------------------------------------------------------


@pytest.mark.parametrize("noise", list(Noise), ids=str)
def test_widths_round_up_to_buckets_of_the_drawn_size(noise: Noise) -> None:
    opts = options(noise=noise, size=20)
    step = BUCKET_EM * drawn_size(opts)
    assert [bucket_width(w, opts) for w in (1, step - 1, step, step + 1)] == [
        step,
        step,
        step,
        2 * step,
    ]
    for text in ("£7.50", "£1,299.00", EMAIL, "x" * 40):
        box = text_box(text, opts)
        assert box.width % step == 0 and 0 <= box.width - exact_width(box) < step


def test_a_prices_width_no_longer_tells_its_digit_count() -> None:
    widths = {text_box(price, options()).width for price in ("£1.00", "£10.00", "£100.00")}
    assert len(widths) == 1


# --- two lines ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "lines"),
    [
        ("alice.martin@example.org", ("alice.martin@", "example.org")),
        ('"a@b"@example.com', ('"a@b"@', "example.com")),
        ("+44 20 7946 0958", ("+44 20", "7946 0958")),
        ("+1 (555) 010-4477", ("+1 (555)", "010-4477")),
        ("Acme Widgets Ltd", ("Acme", "Widgets Ltd")),
        ("orders-and-returns", ("orders-", "and-returns")),
        ("£1,299.00", ("£1,299.00",)),
        ("010-4477", ("010-4477",)),
        ("nobreak", ("nobreak",)),
        ("@handle", ("@handle",)),
        ("name@", ("name@",)),
        (" lead", (" lead",)),
        ("trail ", ("trail ",)),
        ("a  b", ("a", " b")),
    ],
)
def test_break_lines(text: str, lines: tuple[str, ...]) -> None:
    assert break_lines(text) == lines


def test_two_lines_stack_two_boxes_as_wide_as_the_wider() -> None:
    email = "alice.martin@example.org"
    one, two = text_box(email, options()), text_box(email, options(lines=2))
    first, second = (text_box(line, options()) for line in break_lines(email))
    assert two.rows and not one.rows
    assert [row.width for row in two.rows] == [two.width, two.width]
    assert two.width == max(first.width, second.width) < one.width
    assert two.height == first.height + second.height == sum(row.height for row in two.rows)
    assert [row.line for row in two.rows] == [first.line, second.line]


def test_two_lines_without_a_break_is_the_one_line_box() -> None:
    assert text_box("£1,299.00", options(lines=2)) == text_box("£1,299.00", options())
