"""Turn a coverage mask into a small image file in memory.

Every image the service draws is two colours blended by a coverage mask (the text and
noise over the background), so its pixels all lie on one line between the two colours.
Sixteen steps of that line make an exact 4-bit palette: PNGs several times smaller than
RGB, with no quantiser guessing.
"""

from __future__ import annotations

import functools
import io
import struct
import zlib
from typing import Literal

from PIL import Image

from tokens.colors import RGBA

__all__ = [
    "AVIF_OPTIONS",
    "CONTENT_TYPES",
    "JPEG_OPTIONS",
    "LEVELS",
    "PNG_OPTIONS",
    "SMALL_PNG_PIXELS",
    "WEBP_OPTIONS",
    "ImageFormat",
    "colorize",
    "encode_image",
    "palette_color",
    "where_covered",
]

ImageFormat = Literal["png", "webp", "jpeg", "gif", "avif"]
CONTENT_TYPES: dict[str, str] = {
    "png": "image/png",
    "webp": "image/webp",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
    "avif": "image/avif",
    "svg": "image/svg+xml",  # placeholders only, written as text: server/render/placeholder.py
}
#: A colour as RGB or RGBA channels, 0-255.
Channels = tuple[int, ...]
#: Coverage steps kept from the 256 of an anti-aliased mask.
LEVELS = 16
_STEP = 255 / (LEVELS - 1)
_QUANTIZE = [round(v / _STEP) for v in range(256)]


def where_covered(value: int) -> list[int]:
    """A lookup table for ``Image.point`` on a coverage mask: ``value`` wherever a pixel
    has any coverage, 0 elsewhere (a table, not a function, which Pillow would call 256
    times to build one on every use)."""
    return [0] + [value] * 255


def colorize(mask: Image.Image, background: RGBA, foreground: RGBA) -> Image.Image:
    """A palette image: ``background`` where the mask is 0, ``foreground`` where it is 255.

    A fully transparent background takes the foreground's colour at alpha 0, so edges
    blend into whatever page the image sits on without a dark fringe.
    """
    if background[3] == 0:
        background = (*foreground[:3], 0)
    # Palette index = coverage step. Only the box around the ink is quantized: a
    # placeholder is mostly background, and index 0 is the background already.
    image = Image.new("P", mask.size, 0)
    if (box := mask.getbbox()) is not None:
        image.paste(mask.crop(box).point(_QUANTIZE), box[:2])
    if background[3] == foreground[3] == 255:
        image.putpalette(_ramp(background[:3], foreground[:3]), "RGB")
    else:
        image.putpalette(_ramp(background, foreground), "RGBA")
    return image


@functools.lru_cache(maxsize=1024)
def _ramp(background: Channels, foreground: Channels) -> bytes:
    """The palette from ``background`` to ``foreground``, computed once per pair of colours."""
    return b"".join(bytes(palette_color(background, foreground, step)) for step in range(LEVELS))


def palette_color(
    background: tuple[int, ...], foreground: tuple[int, ...], step: int
) -> tuple[int, ...]:
    """The colour of coverage step ``step`` (0 to ``LEVELS - 1``): ``background`` blended
    that far towards ``foreground``, channel by channel."""
    t = step / (LEVELS - 1)
    return tuple(round(b + (f - b) * t) for b, f in zip(background, foreground, strict=True))


#: PNG (for images that are not 16-colour palettes, see :func:`_png`): zlib's run-length
#: strategy. The images are runs of a few palette indices, so it finds nearly every match
#: a full search finds: on placeholders of 100-1100 px it is 2.4x faster than the default
#: strategy at level 6 for 8% more bytes, and on token images it is 1.5-2.3x faster at
#: -2% to +14% bytes (docs/performance.md).
PNG_OPTIONS: dict[str, object] = {"bits": 4, "compress_level": 6, "compress_type": zlib.Z_RLE}
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: Up to this many pixels (every token image, the smallest placeholders) a PNG is also
#: compressed with zlib's default strategy, and the smaller kept: a text without noise
#: takes 19% fewer bytes (46% of RGB PNG instead of 57%) for 0.2 ms more; noisy text
#: gains nothing from it, for 0.3-0.5 ms more on a 13-17 ms drawing.
SMALL_PNG_PIXELS = 65_536
#: WebP: lossless (no visual cost) at the lowest effort: a 4000x4000 placeholder takes
#: 280 ms instead of 714 ms at method 4 for 16 KB instead of 13 KB; 600x300 takes 4 ms
#: instead of 9 ms for 1.9 KB instead of 1.5 KB.
WEBP_OPTIONS: dict[str, object] = {"lossless": True, "quality": 0, "method": 1, "exif": b""}
#: JPEG: quality 90 with libjpeg's default 4:2:0 chroma (PSNR 60 dB on the default grey
#: placeholder, 50 dB at 600x300; colour edges of text blur a little, as in any JPEG).
JPEG_OPTIONS: dict[str, object] = {"quality": 90, "optimize": False}
#: AVIF (Pillow's libavif, in its wheels from Pillow 11.3): quality 90 at libavif's
#: fastest speed, which encoded a 4000x4000 placeholder about three times as fast as
#: speed 6 for twice the bytes (tens of KB), near WebP's time (Pillow 13.0, libavif 1.4.2).
AVIF_OPTIONS: dict[str, object] = {"quality": 90, "speed": 10}


def encode_image(image: Image.Image, fmt: ImageFormat) -> bytes:
    """Encode without metadata chunks; PNG keeps the 4-bit palette."""
    out = io.BytesIO()
    opaque = not image.has_transparency_data
    if fmt == "png":
        if (data := _png(image)) is not None:
            return data
        image.save(out, "PNG", **PNG_OPTIONS)
    elif fmt == "webp":
        image.convert("RGB" if opaque else "RGBA").save(out, "WEBP", **WEBP_OPTIONS)
    elif fmt == "jpeg":
        _on_white(image).save(out, "JPEG", **JPEG_OPTIONS)
    elif fmt == "gif":
        (image if opaque else _binary_alpha(image)).save(out, "GIF", optimize=False)
    elif fmt == "avif":
        image.convert("RGB" if opaque else "RGBA").save(out, "AVIF", **AVIF_OPTIONS)
    else:
        raise ValueError(f"unknown image format {fmt!r}")
    return out.getvalue()


def _png(image: Image.Image) -> bytes | None:
    """A palette image of at most 16 colours (as :func:`colorize` makes: its indices are
    below 16, as Pillow's ``bits=4`` also assumes) as a 4-bit PNG, or None for any other.

    The file Pillow writes with :data:`PNG_OPTIONS` (the same chunks and pixels; within
    1% of its bytes, or smaller up to :data:`SMALL_PNG_PIXELS`) in two thirds of the
    time, for the same zlib strategy (run-length): Pillow's encoder feeds
    zlib one row at a time, about 200 µs of a 600x350 placeholder's 650. Here zlib gets
    every row in one call: the image, two columns of index 0 wider on the left, packed
    4 bits a pixel, is exactly PNG's rows, each starting with filter type 0 (none).
    """
    mode = image.palette.mode if image.mode == "P" and image.palette else ""
    if mode not in ("RGB", "RGBA"):
        return None
    palette = image.getpalette(mode) or []
    channels = len(mode)
    colours = len(palette) // channels
    if not 0 < colours <= LEVELS:
        return None  # more colours than 4 bits hold
    width, height = image.size
    rows = Image.new("P", (width + 2, height), 0)
    rows.paste(image, (2, 0))
    pixels = rows.tobytes("raw", "P;4")
    data = _deflate(pixels, zlib.Z_RLE)
    if width * height <= SMALL_PNG_PIXELS:
        data = min(data, _deflate(pixels, zlib.Z_DEFAULT_STRATEGY), key=len)
    chunks = [
        _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 4, 3, 0, 0, 0)),
        _chunk(b"PLTE", bytes(c for i, c in enumerate(palette) if i % channels < 3)),
    ]
    if mode == "RGBA":
        chunks.append(_chunk(b"tRNS", bytes(palette[3::4])))
    chunks.append(_chunk(b"IDAT", data))
    chunks.append(_chunk(b"IEND", b""))
    return _PNG_SIGNATURE + b"".join(chunks)


def _deflate(data: bytes, strategy: int) -> bytes:
    packer = zlib.compressobj(6, zlib.DEFLATED, 15, 8, strategy)
    return packer.compress(data) + packer.flush()


def _chunk(kind: bytes, body: bytes) -> bytes:
    """A PNG chunk: length, type, body and the CRC of type and body."""
    return (
        struct.pack(">I", len(body))
        + kind
        + body
        + struct.pack(">I", zlib.crc32(body, zlib.crc32(kind)))
    )


def _on_white(image: Image.Image) -> Image.Image:
    """The image over white, as RGB. A palette image is flattened in its palette (16
    colours) instead of pixel by pixel: 36 ms instead of 160 ms at 4000x4000."""
    if image.mode == "P":
        palette = image.getpalette("RGBA") or []
        flat = image.copy()
        flat.putpalette(
            [
                round(c * a / 255 + 255 * (1 - a / 255))
                for i in range(0, len(palette), 4)
                for a in (palette[i + 3],)
                for c in palette[i : i + 3]
            ],
            "RGB",
        )
        flat.info.pop("transparency", None)
        return flat.convert("RGB")
    rgba = image.convert("RGBA")
    flat = Image.new("RGB", image.size, (255, 255, 255))
    flat.paste(rgba, mask=rgba.getchannel("A"))
    return flat


def _binary_alpha(image: Image.Image) -> Image.Image:
    """GIF has one see-through index: palette entries under half opaque all become it."""
    alphas = (image.getpalette("RGBA") or [])[3::4][:LEVELS]
    clear = [i for i, alpha in enumerate(alphas) if alpha < 128]
    if not clear:
        return image.convert("RGB")
    remapped = image.point([clear[0] if i in clear else i for i in range(256)])
    remapped.putpalette(image.getpalette("RGB") or [], "RGB")
    remapped.info["transparency"] = clear[0]
    return remapped
