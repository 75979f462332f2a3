"""Draw protected text: the glyphs, jittered and crossed by noise, into an image in memory."""

from __future__ import annotations

import math
import random
import unicodedata
from collections.abc import Iterator
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw

from tokens.options import Noise, RenderOptions

from .encode import colorize
from .fonts import TextRun, draw_runs, line_metrics, load_font, measure, split_runs
from .noise import PROFILES, NoiseProfile, draw_dots, draw_strokes, texture_level

__all__ = ["render_text"]


def render_text(text: str, options: RenderOptions, seed: bytes, density: int = 1) -> Image.Image:
    """Render ``text`` as the token's options say, at ``density`` device pixels per CSS px.

    The image is sized to the text from font metrics (ascent and descent, not the ink
    box). All randomness comes from ``seed``, so the output is a pure function of the
    arguments.
    """
    size = options.size * density
    pad = options.padding * density
    runs = split_runs(text, options.font, size)
    ascent, descent = line_metrics(runs, options.font, size)
    profile = PROFILES[options.noise]
    if options.noise is Noise.NONE:
        mask = Image.new("L", (math.ceil(measure(runs)) + 2 * pad, ascent + descent + 2 * pad))
        draw_runs(ImageDraw.Draw(mask), pad, pad + ascent, runs, fill=255)
    else:
        mask = _noisy_mask(runs, options, profile, random.Random(seed), size, pad, ascent, descent)
    background = (0, 0, 0, 0) if options.background is None else (*options.background, 255)
    return colorize(mask, background, (*options.color, 255))


def _noisy_mask(
    runs: list[TextRun],
    options: RenderOptions,
    profile: NoiseProfile,
    rng: random.Random,
    size: int,
    pad: int,
    ascent: int,
    descent: int,
) -> Image.Image:
    """Glyphs one by one with their own rotation, rise and scale, then strokes, dots, texture."""
    slack = math.ceil(size * (profile.rise + 0.12))  # room for rotated and raised glyphs
    glyphs = [
        (cluster, run, rng.uniform(-1, 1), rng.uniform(-1, 1), rng.uniform(-1, 1), rng.random())
        for run in runs
        for cluster in _clusters(run.text)
    ]
    advances = [
        run.font.getlength(cluster) * (1 + profile.scale * scale) + size * profile.spacing * space
        for cluster, run, _, _, scale, space in glyphs
    ]
    width = math.ceil(sum(advances)) + 2 * pad + 2 * slack
    height = ascent + descent + 2 * pad + 2 * slack
    mask = Image.new("L", (width, height))
    x, baseline = float(pad + slack), pad + slack + ascent
    for (cluster, run, turn, rise, scale, _), advance in zip(glyphs, advances, strict=True):
        glyph_size = max(1, round(size * (1 + profile.scale * scale)))
        glyph = _glyph(
            cluster,
            TextRun(cluster, load_font(Path(str(run.font.path)), glyph_size)),
            ascent,
            descent,
        )
        glyph = glyph.rotate(
            profile.rotation * turn, resample=Image.Resampling.BICUBIC, expand=True
        )
        top = baseline + profile.rise * size * rise - glyph.height / 2 - (ascent - descent) / 2
        mask.paste(255, (round(x - (glyph.width - advance) / 2), round(top)), glyph)
        x += advance
    draw = ImageDraw.Draw(mask)
    draw_strokes(draw, rng, (pad, pad + slack, width - pad, height - pad - slack), size, profile)
    draw_dots(draw, rng, mask.size, size, profile)
    level = texture_level(options.color, options.background, profile)
    if level:
        threshold = round(255 * profile.texture)
        speckle = Image.frombytes("L", mask.size, rng.randbytes(width * height))
        mask = ImageChops.lighter(mask, speckle.point(lambda v: level if v < threshold else 0))
    return mask


def _glyph(cluster: str, run: TextRun, ascent: int, descent: int) -> Image.Image:
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
