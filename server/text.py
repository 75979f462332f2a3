"""Draw protected text: the glyphs, jittered and crossed by noise, into an image in memory."""

from __future__ import annotations

import math
import random
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw

from tokens.options import Noise, RenderOptions

from .encode import colorize
from .errors import RequestError
from .fonts import TextRun, draw_runs, line_metrics, load_font, measure, split_runs
from .noise import PROFILES, NoiseProfile, draw_dots, draw_strokes, texture_level

__all__ = ["MAX_SIDE", "ImageTooLarge", "render_text"]


#: WebP's limit, and wider than any line of text needs.
MAX_SIDE = 16383


class ImageTooLarge(RequestError):
    """The token's text at this size and density makes an image over the limits (400)."""


def render_text(
    text: str,
    options: RenderOptions,
    seed: bytes,
    density: int = 1,
    max_pixels: int = 16_000_000,
) -> Image.Image:
    """Render ``text`` as the token's options say, at ``density`` device pixels per CSS px.

    The image is sized to the text from font metrics (ascent and descent, not the ink
    box). All randomness comes from ``seed``, so the output is a pure function of the
    arguments. The size is checked against ``max_pixels`` and :data:`MAX_SIDE` before
    any pixel is allocated.
    """
    size = options.size * density
    pad = options.padding * density
    runs = split_runs(text, options.font, size)
    ascent, descent = line_metrics(runs, options.font, size)
    if options.noise is Noise.NONE:
        width = math.ceil(measure(runs)) + 2 * pad
        mask = _new_mask(width, ascent + descent + 2 * pad, density, max_pixels)
        draw_runs(ImageDraw.Draw(mask), pad, pad + ascent, runs, fill=255)
    else:
        rng = random.Random(seed)
        profile = PROFILES[options.noise]
        glyphs = _jitter(runs, profile, rng, size)
        slack = math.ceil(size * (profile.rise + 0.12))  # room for rotated and raised glyphs
        width = math.ceil(sum(glyph.advance for glyph in glyphs)) + 2 * (pad + slack)
        mask = _new_mask(width, ascent + descent + 2 * (pad + slack), density, max_pixels)
        _draw_glyphs(mask, glyphs, profile, size, (pad + slack, pad + slack + ascent))
        draw = ImageDraw.Draw(mask)
        band = (pad, pad + slack, mask.width - pad, mask.height - pad - slack)
        draw_strokes(draw, rng, band, size, profile)
        draw_dots(draw, rng, mask.size, size, profile)
        mask = _texture(mask, rng, options, profile)
    background = (0, 0, 0, 0) if options.background is None else (*options.background, 255)
    return colorize(mask, background, (*options.color, 255))


def _new_mask(width: int, height: int, density: int, max_pixels: int) -> Image.Image:
    """An empty coverage mask, at least 1x1, or :class:`ImageTooLarge`."""
    width, height = max(1, width), max(1, height)
    if width > MAX_SIDE or height > MAX_SIDE or width * height > max_pixels:
        raise ImageTooLarge(
            f"the image would be {width}x{height} px at @{density}x, over the limit of "
            f"{MAX_SIDE} px a side and {max_pixels} px in all: use a smaller density"
        )
    return Image.new("L", (width, height))


@dataclass(frozen=True, slots=True)
class _Glyph:
    """One glyph cluster with its own rotation, rise and scale (each -1 to 1)."""

    cluster: str
    run: TextRun
    turn: float
    rise: float
    scale: float
    advance: float


def _jitter(
    runs: list[TextRun], profile: NoiseProfile, rng: random.Random, size: int
) -> list[_Glyph]:
    glyphs = []
    for run in runs:
        for cluster in _clusters(run.text):
            turn, rise, scale = rng.uniform(-1, 1), rng.uniform(-1, 1), rng.uniform(-1, 1)
            space = rng.random()
            advance = run.font.getlength(cluster) * (1 + profile.scale * scale)
            glyphs.append(
                _Glyph(cluster, run, turn, rise, scale, advance + size * profile.spacing * space)
            )
    return glyphs


def _draw_glyphs(
    mask: Image.Image,
    glyphs: list[_Glyph],
    profile: NoiseProfile,
    size: int,
    origin: tuple[int, int],
) -> None:
    """Paste each glyph, rotated and raised, centred on its advance along the baseline."""
    x, baseline = float(origin[0]), origin[1]
    for glyph in glyphs:
        glyph_size = max(1, round(size * (1 + profile.scale * glyph.scale)))
        font = load_font(Path(str(glyph.run.font.path)), glyph_size)
        image = _glyph_image(glyph.cluster, TextRun(glyph.cluster, font))
        image = image.rotate(
            profile.rotation * glyph.turn, resample=Image.Resampling.BICUBIC, expand=True
        )
        ascent, descent = font.getmetrics()
        top = (
            baseline + profile.rise * size * glyph.rise - image.height / 2 - (ascent - descent) / 2
        )
        mask.paste(255, (round(x - (image.width - glyph.advance) / 2), round(top)), image)
        x += glyph.advance


def _texture(
    mask: Image.Image, rng: random.Random, options: RenderOptions, profile: NoiseProfile
) -> Image.Image:
    """Speckle the background towards the text colour, as far as contrast allows."""
    level = texture_level(options.color, options.background, profile)
    if not level:
        return mask
    threshold = round(255 * profile.texture)
    speckle = Image.frombytes("L", mask.size, rng.randbytes(mask.width * mask.height))
    return ImageChops.lighter(mask, speckle.point(lambda v: level if v < threshold else 0))


def _glyph_image(cluster: str, run: TextRun) -> Image.Image:
    """One glyph cluster on its own canvas, baseline at ``ascent``, ready to rotate."""
    font = run.font
    size_ascent, size_descent = font.getmetrics()
    canvas = Image.new("L", (math.ceil(font.getlength(cluster)) + 2, size_ascent + size_descent))
    draw_runs(ImageDraw.Draw(canvas), 1, size_ascent, [run], fill=255)
    return canvas


def _clusters(text: str) -> Iterator[str]:
    """Base characters with the marks and joiners that follow them."""
    cluster = ""
    for char in text:
        if cluster and unicodedata.category(char) in ("Mn", "Me", "Cf"):
            cluster += char
            continue
        if cluster:
            yield cluster
        cluster = char
    if cluster:
        yield cluster
