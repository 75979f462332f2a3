"""server.render.encode: coverage mask → 4-bit palette image → PNG/WebP/JPEG/GIF bytes."""

from __future__ import annotations

import io
import struct

import pytest
from PIL import Image

from server.render.encode import CONTENT_TYPES, LEVELS, colorize, encode_image

WHITE = (255, 255, 255, 255)
INK = (0x22, 0x22, 0x22, 255)
CLEAR = (0, 0, 0, 0)
FORMATS = ("png", "webp", "jpeg", "gif")
METADATA_CHUNKS = {b"tEXt", b"iTXt", b"zTXt", b"tIME", b"eXIf"}


def gradient(width: int = 64, height: int = 24) -> Image.Image:
    """A mask that runs through every coverage value from 0 (left) to 255 (right)."""
    return Image.linear_gradient("L").rotate(90).resize((width, height))


def text_like() -> Image.Image:
    """Mostly background, like a rendered text: a solid block and a soft edge in the middle."""
    mask = Image.new("L", (64, 24))
    mask.paste(255, (20, 6, 30, 18))
    mask.paste(gradient(14, 12), (30, 6))
    return mask


def pixels(image: Image.Image) -> list[tuple[int, ...]]:
    """RGBA pixels; the colour under alpha 0 is invisible, so it reads as (0, 0, 0, 0)."""
    data = image.convert("RGBA").get_flattened_data()
    return [(0, 0, 0, 0) if p[3] == 0 else p for p in data]  # type: ignore[index, misc]


def png_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    """(type, body) of every chunk, checking the signature and that the chunks fill the file."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, pos = [], 8
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        chunks.append((kind, data[pos + 8 : pos + 8 + length]))
        pos += 12 + length
    assert pos == len(data)
    assert chunks[0][0] == b"IHDR" and chunks[-1][0] == b"IEND"
    return chunks


def riff_chunks(data: bytes) -> list[bytes]:
    assert data[:4] == b"RIFF" and data[8:12] == b"WEBP"
    kinds, pos = [], 12
    while pos < len(data):
        kind, length = struct.unpack("<4sI", data[pos : pos + 8])
        kinds.append(kind)
        pos += 8 + length + (length & 1)
    return kinds


def decode(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def palette_mode(image: Image.Image) -> str:
    assert image.palette is not None
    return image.palette.mode


def pixel(image: Image.Image, xy: tuple[int, int]) -> tuple[int, ...]:
    value = image.getpixel(xy)
    assert isinstance(value, tuple)
    return value


def palette(image: Image.Image) -> list[tuple[int, ...]]:
    mode = palette_mode(image)
    values = image.getpalette(mode)
    assert values is not None
    return [tuple(values[i : i + len(mode)]) for i in range(0, len(values), len(mode))]


# colorize


def test_colorize_gives_a_16_entry_palette_ramp_between_the_colours() -> None:
    image = colorize(gradient(), WHITE, INK)
    assert image.mode == "P"
    assert palette_mode(image) == "RGB"
    ramp = palette(image)
    assert len(ramp) == LEVELS == 16
    assert ramp[0] == WHITE[:3]
    assert ramp[-1] == INK[:3]
    for channel in range(3):
        values = [entry[channel] for entry in ramp]
        assert values == sorted(values, reverse=True)  # white → #222, one step at a time
        assert len(set(values)) == LEVELS


def test_colorize_maps_coverage_to_palette_steps() -> None:
    mask = Image.new("L", (4, 1))
    mask.putdata([0, 255, 128, 8])
    image = colorize(mask, WHITE, INK)
    assert image.get_flattened_data() == (0, LEVELS - 1, round(128 / 17), 0)
    # Every step of the gradient is used: exactly LEVELS distinct indexes.
    used = set(colorize(gradient(256, 4), WHITE, INK).get_flattened_data())
    assert sorted(used) == list(range(LEVELS))  # type: ignore[type-var]


def test_opaque_colours_carry_no_transparency() -> None:
    image = colorize(gradient(), WHITE, INK)
    assert not image.has_transparency_data
    assert "transparency" not in image.info
    kinds = [kind for kind, _ in png_chunks(encode_image(image, "png"))]
    assert b"tRNS" not in kinds
    alpha = decode(encode_image(image, "png")).convert("RGBA").getchannel("A")
    assert alpha.getextrema() == (255, 255)


def test_transparent_background_gives_alpha_in_the_text_colour() -> None:
    image = colorize(gradient(), CLEAR, INK)
    assert image.has_transparency_data
    ramp = palette(image)
    assert palette_mode(image) == "RGBA"
    assert len(ramp) == LEVELS
    # No dark fringe: every entry is the text colour, only alpha ramps from 0 to 255.
    assert {entry[:3] for entry in ramp} == {INK[:3]}
    assert [entry[3] for entry in ramp] == sorted(entry[3] for entry in ramp)
    assert ramp[0][3] == 0 and ramp[-1][3] == 255

    data = encode_image(image, "png")
    assert b"tRNS" in [kind for kind, _ in png_chunks(data)]
    rgba = decode(data).convert("RGBA")
    assert pixel(rgba, (0, 0)) == (*INK[:3], 0)
    assert pixel(rgba, (rgba.width - 1, 0)) == INK


# encode_image


@pytest.mark.parametrize("background", [WHITE, CLEAR], ids=["opaque", "transparent"])
@pytest.mark.parametrize("fmt", FORMATS)
def test_encode_image_decodes_with_the_right_format_and_size(
    fmt: str, background: tuple[int, int, int, int]
) -> None:
    image = colorize(gradient(70, 30), background, INK)
    data = encode_image(image, fmt)  # type: ignore[arg-type]
    decoded = decode(data)
    assert decoded.format == {"png": "PNG", "webp": "WEBP", "jpeg": "JPEG", "gif": "GIF"}[fmt]
    assert Image.MIME[decoded.format] == CONTENT_TYPES[fmt]
    assert decoded.size == (70, 30)


@pytest.mark.parametrize("fmt", ["png", "webp", "gif"])
@pytest.mark.parametrize("background", [WHITE, CLEAR], ids=["opaque", "transparent"])
def test_lossless_formats_keep_every_pixel(fmt: str, background: tuple[int, int, int, int]) -> None:
    image = colorize(gradient(), background, INK)
    decoded = decode(encode_image(image, fmt))  # type: ignore[arg-type]
    if fmt == "gif" and background[3] == 0:
        return  # GIF has 1-bit alpha: see the next test
    assert pixels(decoded) == pixels(image)


def test_transparent_gif_keeps_background_transparent_and_ink_opaque() -> None:
    """GIF alpha is on or off: the empty background must stay clear, full ink opaque."""
    image = colorize(text_like(), CLEAR, INK)
    decoded = decode(encode_image(image, "gif"))
    assert decoded.format == "GIF"
    for got, want in zip(pixels(decoded), pixels(image), strict=True):
        if want[3] == 0:
            assert got[3] == 0
        elif want[3] == 255:
            assert got == want


def test_transparent_images_keep_alpha_in_webp_and_flatten_on_white_in_jpeg() -> None:
    image = colorize(text_like(), CLEAR, INK)
    assert pixel(decode(encode_image(image, "webp")).convert("RGBA"), (0, 0))[3] == 0
    jpeg = decode(encode_image(image, "jpeg"))
    assert jpeg.mode == "RGB"
    assert all(v >= 245 for v in pixel(jpeg, (0, 0)))  # transparent → white
    assert all(v <= 0x22 + 12 for v in pixel(jpeg, (25, 12)))  # solid ink stays ink


@pytest.mark.parametrize("background", [WHITE, CLEAR], ids=["opaque", "transparent"])
def test_png_is_a_4_bit_palette_image(background: tuple[int, int, int, int]) -> None:
    data = encode_image(colorize(gradient(33, 17), background, INK), "png")
    chunks = png_chunks(data)
    width, height, bit_depth, colour_type, _, _, interlace = struct.unpack(">IIBBBBB", chunks[0][1])
    assert (width, height) == (33, 17)
    assert bit_depth == 4
    assert colour_type == 3  # indexed colour
    assert interlace == 0
    plte = dict(chunks)[b"PLTE"]
    assert len(plte) == 3 * LEVELS


@pytest.mark.parametrize("background", [WHITE, CLEAR], ids=["opaque", "transparent"])
def test_png_has_no_metadata_chunks(background: tuple[int, int, int, int]) -> None:
    image = colorize(gradient(), background, INK)
    kinds = {kind for kind, _ in png_chunks(encode_image(image, "png"))}
    assert not kinds & METADATA_CHUNKS
    assert kinds <= {b"IHDR", b"PLTE", b"tRNS", b"IDAT", b"IEND"}


def test_png_drops_metadata_even_when_the_image_carries_some() -> None:
    image = colorize(gradient(), WHITE, INK)
    image.info.update(
        {
            "exif": b"Exif\x00\x00II*\x00\x08\x00\x00\x00\x00\x00",
            "Software": "glyphveil-test",
            "comment": b"secret text",
            "dpi": (300, 300),
        }
    )
    data = encode_image(image, "png")
    kinds = {kind for kind, _ in png_chunks(data)}
    assert not kinds & METADATA_CHUNKS
    assert b"secret text" not in data and b"glyphveil-test" not in data


@pytest.mark.parametrize("background", [WHITE, CLEAR], ids=["opaque", "transparent"])
def test_webp_has_no_metadata_chunks(background: tuple[int, int, int, int]) -> None:
    kinds = riff_chunks(encode_image(colorize(gradient(), background, INK), "webp"))
    assert not set(kinds) & {b"EXIF", b"XMP ", b"ICCP"}
    assert b"VP8L" in kinds  # lossless


def test_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="bmp"):
        encode_image(colorize(gradient(), WHITE, INK), "bmp")  # type: ignore[arg-type]


@pytest.mark.parametrize("size", [(1, 1), (2, 1), (63, 24), (64, 24), (301, 7)])
@pytest.mark.parametrize("background", [WHITE, CLEAR], ids=["opaque", "transparent"])
def test_png_is_the_file_pillow_writes_with_4_bits(
    size: tuple[int, int], background: tuple[int, int, int, int]
) -> None:
    """Our 4-bit PNG writer against Pillow's own encoder with PNG_OPTIONS: the same
    header, palette, transparency and pixels, odd widths (a padded last nibble) too."""
    from server.render.encode import PNG_OPTIONS

    image = colorize(gradient(*size), background, INK)
    ours = encode_image(image, "png")
    theirs = io.BytesIO()
    image.save(theirs, "PNG", **PNG_OPTIONS)  # type: ignore[arg-type]
    ours_chunks, their_chunks = png_chunks(ours), png_chunks(theirs.getvalue())
    assert [k for k, _ in ours_chunks] == [k for k, _ in their_chunks]
    assert [b for k, b in ours_chunks if k != b"IDAT"] == [
        b for k, b in their_chunks if k != b"IDAT"
    ]  # IHDR (4 bits, palette), PLTE, tRNS, IEND
    assert ours_chunks[0][1][8:10] == b"\x04\x03"
    decoded = decode(ours)
    decoded.load()
    assert decoded.size == size
    assert pixels(decoded) == pixels(decode(theirs.getvalue())) == pixels(image)
    Image.open(io.BytesIO(ours)).verify()  # chunk CRCs


def test_png_of_an_image_that_is_no_16_colour_palette_is_pillows() -> None:
    image = Image.new("RGB", (5, 3), (10, 200, 30))
    decoded = decode(encode_image(image, "png"))
    assert decoded.format == "PNG"
    assert decoded.convert("RGB").get_flattened_data() == image.get_flattened_data()


def test_a_small_png_keeps_the_smaller_of_two_zlib_strategies(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from server.render import encode

    image = colorize(text_like(), WHITE, INK)
    both = encode_image(image, "png")
    monkeypatch.setattr(encode, "SMALL_PNG_PIXELS", 0)  # run-length only
    run_length = encode_image(image, "png")
    assert len(both) <= len(run_length)
    assert pixels(decode(both)) == pixels(decode(run_length)) == pixels(image)
