"""server.text.render_text: deterministic, metric-sized, readable images of protected text."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageChops

import server.text
from server.encode import encode_image
from server.text import render_text
from tokens.colors import RGB, contrast_ratio
from tokens.options import FONTS, MAX_TEXT_BYTES, MIN_CONTRAST, Noise, RenderOptions

SEED = bytes(range(16))
OTHER_SEED = bytes(range(1, 17))
NOISY = [Noise.LOW, Noise.MEDIUM, Noise.HIGH]


def options(**values: object) -> RenderOptions:
    return RenderOptions.build(**values)  # type: ignore[arg-type]


def png(text: str, opts: RenderOptions, seed: bytes = SEED, density: int = 1) -> bytes:
    return encode_image(render_text(text, opts, seed, density), "png")


def decoded(text: str, opts: RenderOptions, seed: bytes = SEED, density: int = 1) -> Image.Image:
    """Render, encode to PNG and decode it again with Pillow, as RGBA."""
    image = Image.open(io.BytesIO(png(text, opts, seed, density)))
    assert image.format == "PNG"
    return image.convert("RGBA")


def ink_mask(image: Image.Image, opts: RenderOptions) -> Image.Image:
    """255 where the pixel differs from the empty background."""
    if opts.background is None:
        return image.getchannel("A").point(lambda a: 255 if a else 0)
    empty = Image.new("RGBA", image.size, (*opts.background, 255))
    return ImageChops.difference(image, empty).convert("L").point(lambda v: 255 if v else 0)


def ink_box(image: Image.Image, opts: RenderOptions) -> tuple[int, int, int, int]:
    box = ink_mask(image, opts).getbbox()
    assert box is not None, "no ink"
    return box


def colours(image: Image.Image) -> set[tuple[int, ...]]:
    found = image.getcolors(maxcolors=1 << 16)
    assert found is not None
    return {colour for _, colour in found if isinstance(colour, tuple)}


# determinism


@pytest.mark.parametrize("noise", list(Noise), ids=str)
def test_same_arguments_give_identical_bytes(noise: Noise) -> None:
    opts = options(noise=noise)
    assert png("jane@example.com", opts) == png("jane@example.com", opts)
    assert png("jane@example.com", opts, density=2) == png("jane@example.com", opts, density=2)


@pytest.mark.parametrize("noise", NOISY, ids=str)
def test_different_seed_gives_a_different_image(noise: Noise) -> None:
    opts = options(noise=noise)
    assert png("jane@example.com", opts) != png("jane@example.com", opts, OTHER_SEED)


def test_without_noise_the_seed_does_not_matter() -> None:
    opts = options(noise="none")
    assert png("jane@example.com", opts) == png("jane@example.com", opts, OTHER_SEED)


# size


@pytest.mark.parametrize("noise", list(Noise), ids=str)
@pytest.mark.parametrize("density", [2, 3])
def test_density_scales_the_image(noise: Noise, density: int) -> None:
    opts = options(noise=noise)
    one = decoded("Call 555-0100", opts)
    more = decoded("Call 555-0100", opts, density=density)
    assert more.width == pytest.approx(density * one.width, rel=0.05)
    assert more.height == pytest.approx(density * one.height, rel=0.05)


@pytest.mark.parametrize("font", FONTS)
def test_height_comes_from_font_metrics_not_ink(font: str) -> None:
    """É, E and Eg share one height and one baseline: the ink bottom of E is the same row."""
    opts = options(noise="none", font=font)
    plain, accented, descender = (decoded(t, opts) for t in ("E", "É", "Eg"))
    assert plain.height == accented.height == descender.height
    assert ink_box(plain, opts)[3] == ink_box(accented, opts)[3]
    assert ink_box(accented, opts)[1] < ink_box(plain, opts)[1]  # the accent is inside
    assert ink_box(accented, opts)[1] >= 0
    assert ink_box(descender, opts)[3] > ink_box(plain, opts)[3]  # g goes below the baseline
    assert ink_box(descender, opts)[3] < descender.height


@pytest.mark.parametrize("noise", list(Noise), ids=str)
def test_width_grows_with_text(noise: Noise) -> None:
    opts = options(noise=noise)
    widths = [decoded(text, opts).width for text in ("W", "WW", "WWWW", "WWWWWWWW")]
    assert widths == sorted(widths) and len(set(widths)) == len(widths)
    heights = {decoded(text, opts).height for text in ("W", "WW", "WWWW", "WWWWWWWW")}
    assert len(heights) == 1


def test_padding_and_size_enlarge_the_image() -> None:
    base = decoded("Hello", options(noise="none"))
    padded = decoded("Hello", options(noise="none", padding=20))
    assert padded.size == (base.width + 32, base.height + 32)
    big = decoded("Hello", options(noise="none", size=32))
    assert big.width == pytest.approx(2 * base.width, rel=0.15)


# ink


@pytest.mark.parametrize("noise", list(Noise), ids=str)
@pytest.mark.parametrize("font", FONTS)
def test_every_font_and_noise_level_renders_ink(font: str, noise: Noise) -> None:
    opts = options(font=font, noise=noise)
    image = decoded("Jane 42 é", opts)
    ink = ink_mask(image, opts)
    assert ink.getbbox() is not None
    assert 0.03 < ink.histogram()[255] / (image.width * image.height) < 0.8
    assert (*opts.color, 255) in colours(image)  # some pixels are the full text colour


@pytest.mark.parametrize("noise", list(Noise), ids=str)
def test_fonts_look_different(noise: Noise) -> None:
    images = {png("Jane 42", options(font=font, noise=noise)) for font in FONTS}
    assert len(images) == len(FONTS)


def test_transparent_background_is_clear_around_the_text() -> None:
    opts = options(noise="none", background="transparent")
    image = decoded("Hello", opts)
    corners = [(0, 0), (image.width - 1, 0), (0, image.height - 1)]
    corners.append((image.width - 1, image.height - 1))
    for corner in corners:
        assert image.getpixel(corner)[3] == 0  # type: ignore[index]
    assert (*opts.color, 255) in colours(image)
    # Every pixel is the text colour at some alpha: no dark or light fringe.
    assert {c[:3] for c in colours(image) if c[3]} == {opts.color}


@pytest.mark.parametrize("noise", NOISY, ids=str)
def test_transparent_background_with_noise_keeps_clear_pixels(noise: Noise) -> None:
    opts = options(noise=noise, background="transparent")
    image = decoded("Hello", opts)
    alpha = image.getchannel("A").histogram()
    assert alpha[0] > 0.3 * image.width * image.height
    assert alpha[255] > 0


@pytest.mark.parametrize("noise", list(Noise), ids=str)
@pytest.mark.parametrize("text", ["日本語", "😀", "漢字 😀 ok", "한국어", "カタカナ"])
def test_cjk_and_emoji_render_with_ink(text: str, noise: Noise) -> None:
    opts = options(noise=noise)
    image = decoded(text, opts)
    assert ink_mask(image, opts).getbbox() is not None


def test_cjk_uses_a_real_font_not_the_missing_glyph_box() -> None:
    opts = options(noise="none")
    assert png("日本語", opts) != png("\u25a1\u25a1\u25a1", opts)
    assert png("😀", opts) != png("\u25a1", opts)


@pytest.mark.parametrize("noise", list(Noise), ids=str)
@pytest.mark.parametrize("unit", ["x", "€", "日", "😀"])
def test_longest_text_renders(unit: str, noise: Noise) -> None:
    size = len(unit.encode())
    text = unit * (MAX_TEXT_BYTES // size) + "x" * (MAX_TEXT_BYTES % size)
    assert len(text.encode()) == MAX_TEXT_BYTES
    opts = options(noise=noise)
    image = decoded(text, opts)
    assert image.width > 20 * image.height
    box = ink_box(image, opts)
    assert box[2] - box[0] > 0.8 * image.width  # ink all along, nothing cut short


def test_control_characters_are_dropped() -> None:
    opts = options(noise="none")
    assert png("a\nb\tc", opts) == png("abc", opts)


# contrast


def _background_pixels(
    text: str, opts: RenderOptions, seed: bytes, monkeypatch: pytest.MonkeyPatch
) -> tuple[Image.Image, Image.Image]:
    """The image, and a mask of the pixels that text, strokes and dots leave empty.

    Texture is drawn last from the same random stream, so rendering again with the
    texture switched off shows exactly which pixels are background.
    """
    image = decoded(text, opts, seed)
    with monkeypatch.context() as patch:
        patch.setattr(server.text, "texture_level", lambda *_: 0)
        bare = decoded(text, opts, seed)
    assert bare.size == image.size
    background = ink_mask(bare, opts).point(lambda v: 0 if v else 255)
    return image, background


@pytest.mark.parametrize("seed", [SEED, OTHER_SEED, b"\xff" * 16])
@pytest.mark.parametrize("noise", NOISY, ids=str)
def test_texture_keeps_wcag_aa_for_default_colours(
    noise: Noise, seed: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    opts = options(noise=noise)
    image, background = _background_pixels("jane@example.com", opts, seed, monkeypatch)
    textured = Image.new("RGBA", image.size)
    textured.paste(image, mask=background)
    seen = {c[:3] for c in colours(textured) if c[3]}
    assert len(seen) > 1, "no background texture was drawn"
    for colour in seen:
        ratio = contrast_ratio(opts.color, colour)
        assert ratio >= MIN_CONTRAST, f"background pixel {colour} is {ratio:.2f}:1"


@pytest.mark.parametrize("noise", NOISY, ids=str)
@pytest.mark.parametrize(
    ("color", "background"),
    [
        ((255, 255, 255), (0x48, 0x48, 0x48)),  # 9.15:1
        ((0x5E, 0x5E, 0x5E), (255, 255, 255)),  # 6.48:1
        ((0, 0, 0), (0x9C, 0x9C, 0x9C)),  # 7.65:1
        ((0x00, 0x00, 0x8B), (0xFF, 0xFF, 0xE0)),
    ],
    ids=["white-on-484848", "5e5e5e-on-white", "black-on-9c9c9c", "navy-on-lightyellow"],
)
def test_texture_keeps_wcag_aa_for_other_colours(
    color: RGB, background: RGB, noise: Noise, monkeypatch: pytest.MonkeyPatch
) -> None:
    opts = options(noise=noise, color=color, background=background)
    image, empty = _background_pixels("jane@example.com", opts, SEED, monkeypatch)
    textured = Image.new("RGBA", image.size)
    textured.paste(image, mask=empty)
    for colour in {c[:3] for c in colours(textured) if c[3]}:
        ratio = contrast_ratio(color, colour)
        assert ratio >= MIN_CONTRAST, f"background pixel {colour} is {ratio:.2f}:1"


@pytest.mark.parametrize("noise", list(Noise), ids=str)
def test_only_two_colours_blended_in_a_small_palette(noise: Noise) -> None:
    """Every pixel lies between background and text colour, in at most 16 steps."""
    opts = options(noise=noise)
    image = decoded("jane@example.com", opts)
    found = colours(image)
    assert len(found) <= 16
    assert (*opts.background, 255) in found  # type: ignore[misc]
    assert (*opts.color, 255) in found
