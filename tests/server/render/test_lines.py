"""server.render.lines: a token on two lines is its two rows, stacked, at the promised size."""

from __future__ import annotations

import pytest
from PIL import Image, ImageChops

from server.render.lines import render_lines, row_seed
from server.render.text import ImageTooLarge, render_text
from tokens.options import Noise, RenderOptions
from tokens.sizes import break_lines, text_box

SEED = bytes(range(16))
STYLE = bytes(range(16, 32))
EMAIL = "alice.martin@example.org"


def options(**values: object) -> RenderOptions:
    return RenderOptions.build(**values)  # type: ignore[arg-type]


def ink_rows(image: Image.Image, background: tuple[int, int, int]) -> list[int]:
    """The pixel rows holding something other than the background."""
    rgb = image.convert("RGB")
    plain = Image.new("RGB", rgb.size, background)
    diff = ImageChops.difference(rgb, plain).convert("L").point(lambda v: 255 if v > 96 else 0)
    return [y for y in range(rgb.height) if diff.crop((0, y, rgb.width, y + 1)).getbbox()]


@pytest.mark.parametrize("noise", list(Noise), ids=str)
@pytest.mark.parametrize("density", [1, 2])
def test_two_lines_have_the_promised_size(noise: Noise, density: int) -> None:
    opts = options(noise=noise, lines=2)
    image = render_lines(EMAIL, opts, SEED, density, style=STYLE)
    assert image.size == text_box(EMAIL, opts).size(density)
    assert image.mode == "P"


def test_each_row_is_drawn_in_its_own_band() -> None:
    opts = options(noise="none", lines=2)
    box = text_box(EMAIL, opts)
    image = render_lines(EMAIL, opts, SEED, style=STYLE)
    rows = ink_rows(image, (255, 255, 255))
    split = box.rows[0].height
    assert any(y < split for y in rows) and any(y >= split for y in rows)
    # The top band is the first line drawn alone in its row, the bottom the second.
    first, second = break_lines(EMAIL)
    top = render_text(first, options(noise="none"), row_seed(SEED, 0), box=box.rows[0])
    assert image.crop((0, 0, box.width, split)).tobytes() == top.tobytes()
    bottom = render_text(second, options(noise="none"), row_seed(SEED, 1), box=box.rows[1])
    assert image.crop((0, split, box.width, box.height)).tobytes() == bottom.tobytes()


def test_rendering_is_deterministic_and_rows_take_their_own_noise() -> None:
    opts = options(lines=2)
    first = render_lines(EMAIL, opts, SEED, style=STYLE)
    again = render_lines(EMAIL, opts, SEED, style=STYLE)
    assert first.tobytes() == again.tobytes()
    assert row_seed(SEED, 0) != row_seed(SEED, 1) != SEED
    other = render_lines(EMAIL, opts, bytes(16), style=STYLE)
    assert first.tobytes() != other.tobytes()


def test_colours_and_transparency_carry_over() -> None:
    opts = options(lines=2, color="#e6e6e6", background="transparent", noise="low")
    image = render_lines(EMAIL, opts, SEED, style=STYLE).convert("RGBA")
    assert image.getpixel((0, 0))[3] == 0  # a corner is transparent
    assert image.getchannel("A").getextrema()[1] == 255  # the text is opaque


def test_one_line_is_render_text_itself() -> None:
    for text, opts in [(EMAIL, options()), ("£1,299.00", options(lines=2))]:
        drawn = render_lines(text, opts, SEED, style=STYLE)
        assert drawn.tobytes() == render_text(text, opts, SEED, style=STYLE).tobytes()


def test_too_large_is_refused_before_drawing() -> None:
    opts = options(lines=2)
    width, height = text_box(EMAIL, opts).size(2)
    with pytest.raises(ImageTooLarge, match="use @1x"):
        render_lines(EMAIL, opts, SEED, 2, max_pixels=width * height - 1, style=STYLE)
    with pytest.raises(ImageTooLarge, match="too long"):
        render_lines(EMAIL, opts, SEED, 1, max_pixels=100, style=STYLE)
