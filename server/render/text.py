"""Draw protected text: the glyphs, jittered and crossed by noise, into an image in memory."""

from __future__ import annotations

import math
import random
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw

from tokens.options import MAX_WIDTH, Noise, RenderOptions
from tokens.sizes import text_box

from ..errors import RequestError
from .encode import colorize
from .fonts import ATTACHED, TextRun, draw_runs, load_font, measure, split_runs
from .noise import PROFILES, NoiseProfile, draw_dots, draw_strokes, texture_level

__all__ = ["ImageTooLarge", "render_text"]


class ImageTooLarge(RequestError):
    """The token's text at this size and density makes an image over the limits (400)."""


#: Bidi classes that make text run right to left: letters (R, and AL for Arabic
#: letters) and the embedding, override and isolate controls that start such a run.
_RIGHT_TO_LEFT = frozenset({"R", "AL", "RLE", "RLO", "RLI"})

#: Blocks (first and last code point) of scripts whose letters join, change shape with
#: their neighbours or are reordered for display. Arabic and Hebrew presentation forms
#: are right-to-left letters, caught by their bidi class, so the block of U+FEFF (the
#: byte order mark) is not listed.
_SHAPED_BLOCKS: tuple[tuple[int, int], ...] = (
    (0x0600, 0x06FF),  # Arabic
    (0x0700, 0x074F),  # Syriac
    (0x0750, 0x077F),  # Arabic Supplement
    (0x0780, 0x07BF),  # Thaana
    (0x07C0, 0x07FF),  # N'Ko
    (0x0860, 0x086F),  # Syriac Supplement
    (0x0870, 0x08FF),  # Arabic Extended-B and Extended-A
    (0x0900, 0x0DFF),  # Devanagari, Bengali, Gurmukhi, ... Malayalam, Sinhala
    (0x0F00, 0x0FFF),  # Tibetan
    (0x1000, 0x109F),  # Myanmar
    (0x1780, 0x17FF),  # Khmer
    (0x1800, 0x18AF),  # Mongolian
    (0x1CD0, 0x1CFF),  # Vedic Extensions
    (0xA8E0, 0xA8FF),  # Devanagari Extended
    (0xA9E0, 0xA9FF),  # Myanmar Extended-B
    (0xAA60, 0xAA7F),  # Myanmar Extended-A
)


def render_text(
    text: str,
    options: RenderOptions,
    seed: bytes,
    density: int = 1,
    max_pixels: int = 16_000_000,
) -> Image.Image:
    """Render ``text`` as the token's options say, at ``density`` device pixels per CSS px.

    The image has the size :func:`tokens.sizes.text_box` gives, from the bundled fonts'
    advances, ascent and descent (not the ink box): the size the page reserved for it.
    The drawing fits in it (centred, or shrunk where shaping makes a line wider than its
    advances); the box never changes. All randomness comes from ``seed``, so the output
    is a pure function of the arguments. The size is checked against ``max_pixels`` and
    :data:`MAX_WIDTH` before any pixel is allocated.

    With noise, each glyph cluster is rotated, raised and scaled on its own, then
    strokes, dots and texture are drawn over the line. Text that is right to left or
    in a script that joins or reorders its letters (see :func:`_needs_shaping`) is the
    exception: shaping a cluster alone and placing clusters in logical order would
    reverse Hebrew, break Arabic joins and lose Indic reordering and conjuncts, and
    correct shaping beats per-glyph jitter. Such text is laid out whole by raqm, as
    without noise, on the same canvas (with the same slack) as jittered text, and the
    strokes, dots and texture still apply.
    """
    box = text_box(text, options)  # the size the page reserved: never changed here
    size = options.size * density
    pad = options.padding * density
    edge = box.edge * density
    slack = edge - pad
    room = box.room * density
    baseline = round(box.baseline * density)  # whole pixels: crisp, and alike at every width
    mask = _new_mask(*box.size(density), density, max_pixels)
    runs = split_runs(text, options.font, size)
    noisy = options.noise is not Noise.NONE
    rng = random.Random(seed)
    profile = PROFILES[options.noise]
    if not noisy or _needs_shaping("".join(run.text for run in runs)):  # as drawn: □ needs none
        runs = _fit(runs, size, room)
        start = edge + (room - measure(runs)) // 2
        draw_runs(ImageDraw.Draw(mask), start, baseline, runs, fill=255)
    else:
        glyphs = _jitter(runs, profile, rng, size)
        # Spread the jittered advances over the room the box gave the line.
        spread = room / (sum(glyph.advance for glyph in glyphs) or 1)
        glyphs = [replace(glyph, advance=glyph.advance * spread) for glyph in glyphs]
        _draw_glyphs(mask, glyphs, profile, size, (edge, baseline))
    if noisy:
        draw = ImageDraw.Draw(mask)
        band = (pad, pad + slack, mask.width - pad, mask.height - pad - slack)
        draw_strokes(draw, rng, band, size, profile)
        draw_dots(draw, rng, mask.size, size, profile)
        mask = _texture(mask, rng, options, profile)
    background = (0, 0, 0, 0) if options.background is None else (*options.background, 255)
    return colorize(mask, background, (*options.color, 255))


def _fit(runs: list[TextRun], size: float, room: float) -> list[TextRun]:
    """The runs as they are if they fit in ``room`` px, else at a smaller size that fits.

    The box comes from the fonts' advances; kerning usually makes a line narrower, while
    shaping (conjuncts, joined forms) can make it wider: then the text shrinks to fit.
    """
    width = measure(runs)
    for _ in range(8):  # one step nearly always fits; FreeType's rounding may need another
        if width <= room or not runs:
            break
        size *= room / width * 0.999
        runs = [TextRun(run.text, load_font(run.path, size), run.path) for run in runs]
        width = measure(runs)
    return runs


def _needs_shaping(text: str) -> bool:
    """Tell whether ``text`` must be laid out whole by raqm to read right.

    True when it has a right-to-left character or control, or a character of a script
    in :data:`_SHAPED_BLOCKS`. Latin, Greek, Cyrillic, CJK and emoji are False.
    """
    for char in text:
        if unicodedata.bidirectional(char) in _RIGHT_TO_LEFT:
            return True
        code = ord(char)
        if any(first <= code <= last for first, last in _SHAPED_BLOCKS):
            return True
    return False


def _new_mask(width: int, height: int, density: int, max_pixels: int) -> Image.Image:
    """An empty coverage mask, at least 1x1, or :class:`ImageTooLarge`."""
    width, height = max(1, width), max(1, height)
    if width > MAX_WIDTH or height > MAX_WIDTH or width * height > max_pixels:
        raise ImageTooLarge(_too_large(width, height, density, max_pixels))
    return Image.new("L", (width, height))


def _too_large(width: int, height: int, density: int, max_pixels: int) -> str:
    """Why the image cannot be drawn, and what helps, without echoing its size.

    A client cannot change a token's text, only ask for a lower density; @1x is
    always among the allowed densities.
    """
    if density > 1:
        return (
            f"the image is too large at @{density}x: over {MAX_WIDTH} px a side or "
            f"{max_pixels} px in all; use @1x"
        )
    if width > MAX_WIDTH:
        limit = f"{MAX_WIDTH} px wide"
    elif height > MAX_WIDTH:
        limit = f"{MAX_WIDTH} px high"
    else:
        limit = f"{max_pixels} px in all"
    return f"the token's text is too long for its size: over {limit}"


@dataclass(frozen=True, slots=True)
class _Glyph:
    """One glyph cluster with its own rotation, rise and scale (each -1 to 1)."""

    cluster: str = field(repr=False)  # protected text
    path: Path  # the font file
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
            advance += size * profile.spacing * space
            glyphs.append(_Glyph(cluster, run.path, turn, rise, scale, advance))
    return glyphs


def _draw_glyphs(
    mask: Image.Image,
    glyphs: list[_Glyph],
    profile: NoiseProfile,
    size: int,
    origin: tuple[float, float],
) -> None:
    """Paste each glyph, rotated and raised, centred on its advance along the baseline."""
    x, baseline = origin
    for glyph in glyphs:
        glyph_size = max(1, round(size * (1 + profile.scale * glyph.scale)))
        font = load_font(glyph.path, glyph_size)
        image, (ascent, descent) = _glyph_image(TextRun(glyph.cluster, font, glyph.path))
        image = image.rotate(
            profile.rotation * glyph.turn, resample=Image.Resampling.BICUBIC, expand=True
        )
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


def _glyph_image(run: TextRun) -> tuple[Image.Image, tuple[int, int]]:
    """One glyph cluster on its own canvas, baseline at ``ascent``, ready to rotate; and
    the font's (ascent, descent)."""
    ascent, descent = run.font.getmetrics()
    canvas = Image.new("L", (math.ceil(run.font.getlength(run.text)) + 2, ascent + descent))
    draw_runs(ImageDraw.Draw(canvas), 1, ascent, [run], fill=255)
    return canvas, (ascent, descent)


def _clusters(text: str) -> Iterator[str]:
    """Base characters with the marks and joiners (:data:`.fonts.ATTACHED`) after them."""
    cluster = ""
    for char in text:
        if cluster and unicodedata.category(char) in ATTACHED:
            cluster += char
            continue
        if cluster:
            yield cluster
        cluster = char
    if cluster:
        yield cluster
