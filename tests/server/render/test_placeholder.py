"""Tests for placeholder URL parsing and rendering (server/placeholder.py)."""

from __future__ import annotations

import io
from typing import Any

import pytest
from PIL import Image

from server.config import PlaceholderLimits
from server.render.encode import ImageFormat, encode_image
from server.render.placeholder import (
    DEFAULT_BACKGROUND,
    DEFAULT_FOREGROUND,
    PlaceholderError,
    PlaceholderSpec,
    render_placeholder,
)
from tokens.colors import RGBA

LIMITS = PlaceholderLimits()
RED: RGBA = (255, 0, 0, 255)
WHITE: RGBA = (255, 255, 255, 255)
BLACK: RGBA = (0, 0, 0, 255)


def spec(width: int = 300, height: int = 200, **fields: Any) -> PlaceholderSpec:
    """An expected spec: the grammar's defaults overridden by ``fields``."""
    values: dict[str, Any] = {
        "density": 1,
        "background": DEFAULT_BACKGROUND,
        "foreground": DEFAULT_FOREGROUND,
        "format": "png",
        "text": f"{width} × {height}",
        "font": "sans",
    }
    values.update(fields)
    return PlaceholderSpec(width=width, height=height, **values)


def parse(path: str, query: dict[str, str] | None = None) -> PlaceholderSpec:
    return PlaceholderSpec.parse(path, query or {}, LIMITS)


def decode(image: Image.Image, fmt: ImageFormat) -> Image.Image:
    """Encode as a real file and read it back as RGBA."""
    decoded = Image.open(io.BytesIO(encode_image(image, fmt)))
    assert decoded.format == {"jpeg": "JPEG"}.get(fmt, fmt.upper())
    return decoded.convert("RGBA")


def ink_bbox(image: Image.Image) -> tuple[int, int, int, int] | None:
    """Bounding box of the text: palette index 0 is pure background in colorize's output."""
    assert image.mode == "P"
    return image.getbbox()


# --- grammar ---------------------------------------------------------------------------

GRAMMAR = [
    ("300x200", {}, spec()),
    ("300", {}, spec(300, 300)),
    ("300X200", {}, spec()),
    ("0300x0200@1x", {}, spec()),
    ("300x200@2x", {}, spec(density=2)),
    ("300x200@3X", {}, spec(density=3)),
    ("300x200/", {}, spec()),
    ("300x200/ff0000", {}, spec(background=RED)),
    ("300x200/#ff0000/#fff", {}, spec(background=RED, foreground=WHITE)),
    ("300x200/f00/fff.webp", {}, spec(background=RED, foreground=WHITE, format="webp")),
    (
        "300x200@2x/ff0000/fff.webp",
        {},
        spec(density=2, background=RED, foreground=WHITE, format="webp"),
    ),
    ("300x200/00ff0080/black", {}, spec(background=(0, 255, 0, 128), foreground=BLACK)),
    (
        "300x200/transparent/black.gif",
        {},
        spec(background=(0, 0, 0, 0), foreground=BLACK, format="gif"),
    ),
    ("300x200/Red/WHITE/jpg", {}, spec(background=RED, foreground=WHITE, format="jpeg")),
    ("300x200/red/png/", {}, spec(background=RED)),
    ("300x200.JPEG", {}, spec(format="jpeg")),
    ("300x200.jpg", {}, spec(format="jpeg")),
    ("300x200@2x.gif", {}, spec(density=2, format="gif")),
    ("300x200/webp", {}, spec(format="webp")),
    ("300x200/GIF", {}, spec(format="gif")),
    ("300x200/svg", {}, spec(format="svg")),  # placehold.co's default format
    ("300x200.svg", {}, spec(format="svg")),
    (
        "300x200@2x/000/fff.SVG",
        {},
        spec(density=2, background=BLACK, foreground=WHITE, format="svg"),
    ),
    ("300x200.avif", {}, spec(format="avif")),
    ("300x200/f00/AVIF", {}, spec(background=RED, format="avif")),
    ("4000x4000", {}, spec(4000, 4000)),
    ("2000x1000@2x", {}, spec(2000, 1000, density=2)),
    ("1", {}, spec(1, 1)),
    ("300x200", {"text": "Hello World"}, spec(text="Hello World")),
    ("300x200", {"text": ""}, spec()),
    ("300x200", {"text": "a\\nb"}, spec(text="a\nb")),
    ("300x200", {"text": "a\nb\r\nc"}, spec(text="a\nb\nc")),
    ("300x200", {"text": "a\tb\x00c\x7f"}, spec(text="abc")),
    ("300x200", {"text": "E\u0301"}, spec(text="É")),
    ("300x200", {"text": "漢字 😀"}, spec(text="漢字 😀")),
    ("300x200", {"text": "x" * 256}, spec(text="x" * 256)),
    ("300x200@2x", {"text": "\x01"}, spec(density=2)),
    ("300x200", {"font": "lato"}, spec(font="lato")),
    ("300x200", {"font": "Lato"}, spec(font="lato")),
    ("300x200", {"font": "mono"}, spec(font="mono")),
    ("300x200", {"font": "SERIF"}, spec(font="serif")),
    ("300x200", {"font": "roboto"}, spec(font="sans")),
    ("300x200", {"font": "open_sans"}, spec(font="sans")),
    ("300x200", {"font": "Source Sans Pro"}, spec(font="sans")),
    ("300x200", {"font": "playfair-display"}, spec(font="serif")),
    ("300x200", {"font": "PT Serif"}, spec(font="serif")),
    ("300x200", {"font": "roboto-mono"}, spec(font="mono")),
    ("300x200", {"font": "source_code_pro"}, spec(font="mono")),
    ("300x200", {"font": "Courier"}, spec(font="mono")),
    ("300x200", {"font": "comic-sans"}, spec(font="sans")),
    ("300x200", {"font": ""}, spec()),
    ("300x200", {"size": "12", "foo": "bar"}, spec()),
]


@pytest.mark.parametrize(("path", "query", "expected"), GRAMMAR)
def test_grammar(path: str, query: dict[str, str], expected: PlaceholderSpec) -> None:
    assert parse(path, query) == expected


def test_spec_is_a_hashable_cache_key() -> None:
    first = parse("300x200/red.webp", {"text": "hi"})
    second = parse("300x200/ff0000/webp", {"text": "hi", "other": "x"})
    assert first == second
    assert {first: 1}[second] == 1
    assert first.pixel_size == (300, 200)
    assert parse("300x200@3x").pixel_size == (900, 600)


# --- errors ----------------------------------------------------------------------------

ERRORS = [
    ("", {}, "missing size segment"),
    ("0", {}, "width 0 px is below the 1 px minimum"),
    ("300x0", {}, "height 0 px"),
    ("0x0@2x", {}, "width 0 px"),
    ("4001", {}, "width 4001 px is over the 4000 px limit"),
    ("300x4001", {}, "height 4001 px is over the 4000 px limit"),
    ("40000x300", {}, "width '40000' px is over the 4000 px limit"),
    ("3000x3000@2x", {}, "width 3000 px at @2x is 6000 px, over the 4000 px limit"),
    ("300x1500@3x", {}, "height 1500 px at @3x is 4500 px"),
    ("1" * 50, {}, "width '1111.*' px is over the 4000 px limit"),
    ("300x" + "9" * 50, {}, "height '9999.*' px is over"),
    ("300@4x", {}, "bad density '@4x' in the size segment"),
    ("300@0x", {}, "bad density '@0x'"),
    ("300@2", {}, "bad density '@2'"),
    ("300@" + "2" * 50 + "x", {}, "bad density '@222"),
    ("300@@2x", {}, "bad density"),
    ("abc", {}, "bad size 'abc' in the size segment"),
    ("-300", {}, "width '-300' px is below the 1 px minimum"),
    ("+300", {}, "bad size"),
    ("300x200x100", {}, "bad size '300x200x100'"),
    ("300x", {}, "bad size '300x'"),
    ("300.5x200", {}, "unknown image format '5x200'"),
    ("٣٠٠", {}, "bad size"),  # Arabic-Indic digits are not ASCII
    ("png", {}, "bad size 'png'"),
    ("300/zzz", {}, "bad colour 'zzz' in the background segment"),
    ("300/fff/nope", {}, "bad colour 'nope' in the foreground segment"),
    ("300//fff", {}, "bad colour '' in the background segment"),
    ("300/" + "z" * 100, {}, "bad colour 'zzzz.*…' in the background segment"),
    ("300/fff/png.png", {}, "bad colour 'png' in the foreground segment"),
    ("300.bmp", {}, "unknown image format 'bmp' in the last segment"),
    ("300/fff.svgz", {}, "unknown image format 'svgz' .*: use png, jpg, webp, gif, avif or svg"),
    ("300/fff/000.", {}, "unknown image format ''"),
    ("300/fff/000/bmp", {}, "unexpected segment 'bmp' after the foreground colour"),
    ("300/a/b/c/d", {}, "unexpected segment 'c'"),
    ("300/red/blue/green/png", {}, "unexpected segment 'green'"),
    ("300", {"text": "x" * 257}, "text is over the 256 character limit"),
    ("300", {"text": "x" * 100_000}, "text is over the 256 character limit"),
]


@pytest.mark.parametrize(("path", "query", "message"), ERRORS)
def test_errors_name_the_bad_part(path: str, query: dict[str, str], message: str) -> None:
    with pytest.raises(PlaceholderError, match=message) as caught:
        parse(path, query)
    text = str(caught.value)
    assert isinstance(caught.value, ValueError)
    assert "\n" not in text
    assert "x" * 41 not in text and "1" * 41 not in text and "z" * 41 not in text


def test_area_limit() -> None:
    limits = PlaceholderLimits(max_side=4000, max_pixels=1_000_000)
    assert PlaceholderSpec.parse("1000x1000", {}, limits).pixel_size == (1000, 1000)
    with pytest.raises(PlaceholderError, match="size 1000x1000@2x is 4000000 pixels, over"):
        PlaceholderSpec.parse("1000x1000@2x", {}, limits)
    with pytest.raises(PlaceholderError, match="over the 1000000 pixel limit"):
        PlaceholderSpec.parse("2000x501", {}, limits)


def test_custom_text_limit() -> None:
    limits = PlaceholderLimits(max_text=3)
    assert PlaceholderSpec.parse("10", {"text": "a\\nb"}, limits).text == "a\nb"
    with pytest.raises(PlaceholderError, match="over the 3 character limit"):
        PlaceholderSpec.parse("10", {"text": "abcd"}, limits)


# --- rendering -------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["300x200", "300x200@2x", "17x5@3x", "1", "640x1"])
def test_output_size_is_pixel_size(path: str) -> None:
    placeholder = parse(path)
    assert render_placeholder(placeholder).size == placeholder.pixel_size


@pytest.mark.parametrize("fmt", ["png", "webp", "gif"])
def test_default_colours(fmt: ImageFormat) -> None:
    image = decode(render_placeholder(parse(f"300x200.{fmt}")), fmt)
    assert image.size == (300, 200)
    assert image.getpixel((0, 0)) == DEFAULT_BACKGROUND
    assert image.getpixel((299, 199)) == DEFAULT_BACKGROUND
    colours = {colour for _, colour in image.getcolors(maxcolors=1 << 16) or []}
    assert DEFAULT_FOREGROUND in colours


def test_jpeg_colours() -> None:
    image = decode(render_placeholder(parse("300x200/ff0000/00f.jpg")), "jpeg")
    corner = image.getpixel((0, 0))
    assert isinstance(corner, tuple)
    assert all(abs(a - b) <= 6 for a, b in zip(corner, RED, strict=True))
    colours = [c for _, c in image.getcolors(maxcolors=1 << 17) or [] if isinstance(c, tuple)]
    assert any(c[2] > 230 and c[0] < 25 for c in colours)  # the blue text survives JPEG


def test_avif_colours_and_transparency() -> None:
    """AVIF is lossy (quality 90): colours within a few steps, the text's survives."""
    from PIL import features

    assert features.check("avif"), "Pillow was built without AVIF: setup.cfg requires 11.3+"
    image = decode(render_placeholder(parse("300x200/ff0000/00f.avif")), "avif")
    assert image.size == (300, 200)
    corner = image.getpixel((0, 0))
    assert isinstance(corner, tuple)
    assert all(abs(a - b) <= 6 for a, b in zip(corner, RED, strict=True))
    colours = [c for _, c in image.getcolors(maxcolors=1 << 17) or [] if isinstance(c, tuple)]
    assert any(c[2] > 200 and c[0] < 60 for c in colours)  # the blue text
    clear = decode(render_placeholder(parse("300x200/transparent/000.avif")), "avif")
    assert clear.getpixel((0, 0))[3] == 0  # type: ignore[index]
    assert clear.getchannel("A").getextrema()[1] > 200


def parse_svg(body: bytes) -> Any:
    """The document's root element; raises unless it is well-formed XML."""
    import xml.etree.ElementTree as ET

    return ET.fromstring(body)  # noqa: S314 - the service's own output, under test


def test_svg_is_a_small_valid_escaped_document() -> None:
    from server.render.placeholder import render_placeholder_svg

    text = '<script>alert("x")</script> & \ufffe\nline two'
    body = render_placeholder_svg(parse("600x200@2x/0b5fff80/fff.svg", {"text": text}))
    assert len(body) < 1000
    assert b"<script" not in body and b"\xef\xbf\xbe" not in body
    root = parse_svg(body)  # well-formed XML, or this raises
    svg = "{http://www.w3.org/2000/svg}"
    assert root.tag == f"{svg}svg"
    assert (root.get("width"), root.get("height"), root.get("viewBox")) == (
        "1200",
        "400",
        "0 0 1200 400",
    )
    rect = root.find(f"{svg}rect")
    assert rect is not None
    assert (rect.get("fill"), rect.get("fill-opacity")) == ("#0b5fff", "0.502")
    element = root.find(f"{svg}text")
    assert element is not None and element.get("fill") == "#ffffff"
    lines = [span.text for span in element.iter(f"{svg}tspan")]
    assert lines == ['<script>alert("x")</script> & ', "line two"]
    # The size the PNG draws the text at: the raster and vector forms agree.
    from server.render.placeholder import _fit_text

    layout = _fit_text(['<script>alert("x")</script> & \ufffe', "line two"], "sans", 1200, 400)
    assert layout is not None and element.get("font-size") == str(layout.size)


def test_svg_default_and_transparent() -> None:
    from server.render.placeholder import render_placeholder_svg

    svg = "{http://www.w3.org/2000/svg}"
    root = parse_svg(render_placeholder_svg(parse("300x200/svg")))
    assert root.find(f"{svg}rect").get("fill") == "#dddddd"
    assert [s.text for s in root.iter(f"{svg}tspan")] == ["300 × 200"]
    clear = parse_svg(render_placeholder_svg(parse("300x200/transparent.svg")))
    assert clear.find(f"{svg}rect") is None


@pytest.mark.parametrize("fmt", ["png", "webp", "gif"])
def test_transparent_background(fmt: ImageFormat) -> None:
    image = decode(render_placeholder(parse(f"300x200/transparent/000.{fmt}")), fmt)
    corner = image.getpixel((0, 0))
    assert isinstance(corner, tuple) and corner[3] == 0
    assert image.getchannel("A").getextrema() == (0, 255)


def row_bands(image: Image.Image) -> list[tuple[int, int]]:
    """Runs of rows that hold ink, top to bottom: one per line of text."""
    bands: list[tuple[int, int]] = []
    for y in range(image.height):
        if image.crop((0, y, image.width, y + 1)).getbbox() is None:
            continue
        if bands and bands[-1][1] == y:
            bands[-1] = (bands[-1][0], y + 1)
        else:
            bands.append((y, y + 1))
    return bands


def test_multiline_text_is_centred() -> None:
    image = render_placeholder(parse("400x300", {"text": "Hello\\nWorld wide web\nX"}))
    box = ink_bbox(image)
    assert box is not None
    assert abs((box[0] + box[2]) / 2 - 200) <= 4
    assert abs((box[1] + box[3]) / 2 - 150) <= 300 * 0.05
    bands = row_bands(image)
    assert len(bands) == 3
    for top, bottom in bands:
        line = image.crop((0, top, 400, bottom)).getbbox()
        assert line is not None
        assert abs((line[0] + line[2]) / 2 - 200) <= 4


def test_accents_do_not_move_the_baseline() -> None:
    plain = ink_bbox(render_placeholder(parse("300x200", {"text": "E"})))
    accented = ink_bbox(render_placeholder(parse("300x200", {"text": "É"})))
    assert plain is not None and accented is not None
    assert accented[3] == plain[3]  # same baseline
    assert accented[1] < plain[1]  # the accent rises above it


@pytest.mark.parametrize("text", ["漢字テスト", "😀👍", "Hi 😀 漢字", "한국어", "\U0010ffff"])
def test_fallback_text_renders_with_ink(text: str) -> None:
    image = render_placeholder(parse("300x200", {"text": text}))
    assert ink_bbox(image) is not None


@pytest.mark.parametrize("path", ["1", "1x1@3x", "2x2", "4000x100", "100x4000", "4000x4000"])
def test_extreme_sizes_stay_inside(path: str) -> None:
    placeholder = parse(path)
    image = render_placeholder(placeholder)
    width, height = placeholder.pixel_size
    assert image.size == (width, height)
    box = ink_bbox(image)
    if box is not None:  # ink must not be clipped by any edge
        assert box[0] > 0 and box[1] > 0 and box[2] < width and box[3] < height


#: Glyphs whose hinted outlines FreeType cannot rasterise at 1-2 px ("raster overflow").
RASTER_OVERFLOW = "\u033d\u034a\u0353\u22b2\u22b4\u22c4\u26fa\u279f\u27d7\u298e\u2a1d\U00010182"


@pytest.mark.parametrize("path", ["60x8", "30x4", "120x10", "12x12", "200x6"])
def test_text_too_small_to_rasterise_is_left_out(path: str) -> None:
    """Text that would fit only under 3 px is not drawn (it once raised OSError)."""
    image = render_placeholder(parse(path, {"text": RASTER_OVERFLOW}))
    assert image.size == parse(path).pixel_size


def test_one_pixel_image_has_no_text() -> None:
    assert ink_bbox(render_placeholder(parse("1"))) is None


def test_long_word_shrinks_to_fit() -> None:
    word = "Pneumonoultramicroscopicsilicovolcanoconiosis" * 2
    image = render_placeholder(parse("300x200", {"text": word}))
    box = ink_bbox(image)
    assert box is not None
    assert box[0] >= 300 * 0.1 - 3 and box[2] <= 300 * 0.9 + 3
    assert box[1] > 0 and box[3] < 200


def test_text_is_capped_on_huge_images() -> None:
    box = ink_bbox(render_placeholder(parse("4000x4000", {"text": "x"})))
    assert box is not None
    assert box[3] - box[1] <= 4000 / 4


@pytest.mark.parametrize("font", ["sans", "serif", "mono", "lato"])
def test_every_family_renders(font: str) -> None:
    image = render_placeholder(parse("300x200", {"font": font}))
    box = ink_bbox(image)
    assert box is not None and box[0] > 0 and box[2] < 300


# Fuzzing: whatever the client sends, parse gives a spec or a PlaceholderError.

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_URL_ALPHABET = st.sampled_from(list("0123456789xX@./#abcdefABCDEFgnpjwtrsu-_ %é你\n\\"))


@settings(max_examples=400, deadline=None)
@given(
    path=st.one_of(st.text(_URL_ALPHABET, max_size=40), st.text(max_size=40)),
    text=st.text(max_size=300),
    font=st.text(max_size=20),
)
def test_parse_never_fails_other_than_placeholder_error(path: str, text: str, font: str) -> None:
    try:
        parsed = PlaceholderSpec.parse(path, {"text": text, "font": font}, LIMITS)
    except PlaceholderError as exc:
        message = str(exc)
        assert message and "\n" not in message and len(message) < 400
    else:
        width, height = parsed.pixel_size
        assert 1 <= width <= LIMITS.max_side and 1 <= height <= LIMITS.max_side
        assert width * height <= LIMITS.max_pixels


@settings(max_examples=60, deadline=None)
@given(
    width=st.integers(1, 400),
    height=st.integers(1, 400),
    text=st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=40),
)
def test_render_any_text_stays_inside(width: int, height: int, text: str) -> None:
    parsed = PlaceholderSpec.parse(f"{width}x{height}", {"text": text}, LIMITS)
    image = render_placeholder(parsed)
    assert image.size == (width, height)


# --- the fitting search gives what plain bisection gives -------------------------------


def _bisect_fit(lines: list[str], family: str, width: int, height: int) -> Any:
    """The largest fitting size found by plain bisection over every size, for reference."""
    from server.render import placeholder

    runs = [placeholder.font_runs(line, family) for line in lines]
    box_w = max(1, width - 2 * (width // 10))
    box_h = max(1, height - 2 * (height // 10))
    cap = max(1.0, height / 4)

    def fits(layout: Any) -> bool:
        return bool(
            layout.line_height <= cap
            and layout.line_height * len(lines) <= box_h
            and max(layout.widths) <= box_w
        )

    floor = placeholder.MIN_TEXT_PX
    best = placeholder._layout(runs, family, floor)
    if not fits(best):
        return None
    low, high = floor, max(floor, min(box_h, int(cap)))
    while low < high:
        mid = (low + high + 1) // 2
        layout = placeholder._layout(runs, family, mid)
        if fits(layout):
            low, best = mid, layout
        else:
            high = mid - 1
    return best


@settings(max_examples=60, deadline=None)
@given(
    width=st.integers(1, 2500),
    height=st.integers(1, 2500),
    text=st.sampled_from(["300 × 200", "Hello\nWorld", "x", "日本語 ✓ text", "W" * 120]),
    family=st.sampled_from(["sans", "serif", "mono", "lato"]),
)
def test_fit_search_matches_bisection(width: int, height: int, text: str, family: str) -> None:
    from server.render.placeholder import _fit_text

    lines = text.split("\n")
    expected = _bisect_fit(lines, family, width, height)
    found = _fit_text(lines, family, width, height)
    if expected is None:
        assert found is None
    else:
        assert found is not None
        assert (found.line_height, found.widths) == (expected.line_height, expected.widths)


# --- the default text from cached glyphs ----------------------------------------------


@pytest.mark.parametrize("family", ["sans", "serif", "mono", "lato"])
def test_no_pair_of_size_characters_is_kerned(family: str) -> None:
    """What drawing the default text glyph by glyph rests on: in every bundled family a
    run of SIZE_CHARS is exactly as wide as its characters' advances added up."""
    from server.render.fonts import FAMILIES, covers, load_font
    from server.render.placeholder import SIZE_CHARS

    assert all(covers(FAMILIES[family], c) for c in SIZE_CHARS)
    for size in (3, 11, 40, 128):
        font = load_font(FAMILIES[family], size)
        for a in SIZE_CHARS:
            for b in SIZE_CHARS:
                assert font.getlength(a + b) == font.getlength(a) + font.getlength(b), (a, b)


@pytest.mark.parametrize(
    "path", ["300x200", "101x37", "640x480", "999x333", "250x900", "520x250/000/fff"]
)
def test_the_default_text_from_cached_glyphs_is_raqms_to_the_pixel(
    path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each cached glyph sits at a whole pixel where raqm places it to 1/64 px: the
    same ink box, and at most a glyph one pixel over."""
    from server.render import placeholder

    spec = PlaceholderSpec.parse(path, {}, LIMITS)
    cached = render_placeholder(spec).convert("L")
    monkeypatch.setattr(placeholder, "_from_cache", lambda run, size: False)
    drawn = render_placeholder(spec).convert("L")
    box_a, box_b = cached.getbbox(), drawn.getbbox()
    assert box_a is not None and box_b is not None
    assert all(abs(p - q) <= 1 for p, q in zip(box_a, box_b, strict=True)), (box_a, box_b)
    ink = sum(1 for v in drawn.get_flattened_data() if v != drawn.getpixel((0, 0)))
    differ = sum(
        1
        for p, q in zip(cached.get_flattened_data(), drawn.get_flattened_data(), strict=True)
        if p != q
    )
    assert differ <= ink * 0.1, (differ, ink)


def test_big_text_is_not_cached() -> None:
    from server.render.placeholder import _glyph_image

    before = _glyph_image.cache_info().currsize
    render_placeholder(PlaceholderSpec.parse("3000x2000", {}, LIMITS))  # text over 128 px
    assert _glyph_image.cache_info().currsize == before
    assert _glyph_image.cache_info().maxsize == 2048
