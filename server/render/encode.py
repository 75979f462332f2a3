"""Turn a coverage mask into a small image file in memory.

Every image the service draws is two colours blended by a coverage mask (the text and
noise over the background), so its pixels all lie on one line between the two colours.
Sixteen steps of that line make an exact 4-bit palette: PNGs several times smaller than
RGB, with no quantiser guessing.
"""

from __future__ import annotations

import io
from typing import Literal

from PIL import Image

from tokens.colors import RGBA

__all__ = ["CONTENT_TYPES", "LEVELS", "ImageFormat", "colorize", "encode_image", "palette_color"]

ImageFormat = Literal["png", "webp", "jpeg", "gif"]
CONTENT_TYPES: dict[str, str] = {
    "png": "image/png",
    "webp": "image/webp",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
}
#: A colour as RGB or RGBA channels, 0-255.
Channels = tuple[int, ...]
#: Coverage steps kept from the 256 of an anti-aliased mask.
LEVELS = 16
_STEP = 255 / (LEVELS - 1)
_QUANTIZE = [round(v / _STEP) for v in range(256)]


def colorize(mask: Image.Image, background: RGBA, foreground: RGBA) -> Image.Image:
    """A palette image: ``background`` where the mask is 0, ``foreground`` where it is 255.

    A fully transparent background takes the foreground's colour at alpha 0, so edges
    blend into whatever page the image sits on without a dark fringe.
    """
    if background[3] == 0:
        background = (*foreground[:3], 0)
    image = mask.point(_QUANTIZE).convert("P")  # palette index = coverage step
    if background[3] == foreground[3] == 255:
        image.putpalette(_ramp(background[:3], foreground[:3]), "RGB")
    else:
        image.putpalette(_ramp(background, foreground), "RGBA")
    return image


def _ramp(background: Channels, foreground: Channels) -> bytes:
    return b"".join(bytes(palette_color(background, foreground, step)) for step in range(LEVELS))


def palette_color(
    background: tuple[int, ...], foreground: tuple[int, ...], step: int
) -> tuple[int, ...]:
    """The colour of coverage step ``step`` (0 to ``LEVELS - 1``): ``background`` blended
    that far towards ``foreground``, channel by channel."""
    t = step / (LEVELS - 1)
    return tuple(round(b + (f - b) * t) for b, f in zip(background, foreground, strict=True))


def encode_image(image: Image.Image, fmt: ImageFormat) -> bytes:
    """Encode without metadata chunks; PNG keeps the 4-bit palette."""
    out = io.BytesIO()
    opaque = not image.has_transparency_data
    if fmt == "png":
        image.save(out, "PNG", bits=4, compress_level=6)  # 9 costs 10x the time for 2%
    elif fmt == "webp":
        image.convert("RGB" if opaque else "RGBA").save(
            out, "WEBP", lossless=True, quality=80, method=4, exif=b""
        )
    elif fmt == "jpeg":
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", image.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        flat.save(out, "JPEG", quality=90, optimize=False)
    elif fmt == "gif":
        (image if opaque else _binary_alpha(image)).save(out, "GIF", optimize=False)
    else:
        raise ValueError(f"unknown image format {fmt!r}")
    return out.getvalue()


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
