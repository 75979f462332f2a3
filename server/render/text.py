"""Draw protected text: the glyphs, along a zigzag and crossed by noise, into an image in memory.

This module lays the image out and draws it; the parts of noisy text each have their
own: glyph choice (:mod:`.glyphs`), path layout (:mod:`.layout`), where the strokes keep
clear (:mod:`.marks`), the strokes, dots and texture (:mod:`.noise`).
"""

from __future__ import annotations

import math
import random
import unicodedata

from PIL import Image, ImageChops, ImageDraw, ImageFilter

from tokens.options import MAX_WIDTH, Noise, RenderOptions
from tokens.sizes import TextBox, drawn_size, text_box

from ..errors import RequestError
from .encode import colorize, where_covered
from .fonts import FAMILIES, TextRun, draw_runs, load_font, measure, split_runs, x_height
from .glyphs import pick_glyphs, scaled, turned
from .layout import Placed, along_path
from .marks import cleared_whole, has_marks, marks
from .noise import PROFILES, NoiseProfile, draw_dots, draw_strokes, overshoot, texture_level
from .path import Placement
from .style import style_for

__all__ = ["ImageTooLarge", "check_size", "render_text"]


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
    *,
    style: bytes = b"",
    box: TextBox | None = None,
) -> Image.Image:
    """Render ``text`` as the token's options say, at ``density`` device pixels per CSS px.

    The image has the size :func:`tokens.sizes.text_box` gives, from the bundled fonts'
    advances, ascent and descent and the noise level's room (not the ink box): the size
    the page reserved for it. The drawing fits in it (centred, or shrunk where it would
    not fit); the box never changes. It is checked against ``max_pixels`` and
    :data:`MAX_WIDTH` before any pixel is allocated. All randomness comes from ``seed``,
    and the deployment's look from ``style`` (its secret style key, see :mod:`.style`),
    so the output is a pure function of the arguments.

    With noise, the text is drawn at least :func:`tokens.sizes.drawn_size` px, set along
    a steep zigzag (see :mod:`.path`), each glyph turned to its stretch of the path,
    drawn in a font picked per glyph from the style's fonts at one x-height, and fitted
    close; then strokes as thick and dark as the letters run along it, with texture
    (and dots at the high level).
    Glyphs, strokes and dots are drawn at :func:`_supersampling` times the device
    scale and reduced, so turned glyphs keep smooth, even edges at @1x. Text that is
    right to left or in a script that joins or reorders its letters (see
    :func:`_needs_shaping`) is the exception: shaping a cluster alone and placing
    clusters in logical order would reverse Hebrew, break Arabic joins and lose Indic
    reordering and conjuncts, and correct shaping beats per-glyph noise. Such text is
    laid out whole by raqm, as without noise, centred in the same box, and the strokes
    and texture still apply.
    """
    if box is None:  # one line of a token on two lines comes with its row (.lines)
        box = text_box(text, options)  # the size the page reserved: never changed here
    width, height = box.size(density)
    mask = _new_mask(width, height, density, max_pixels)
    size = drawn_size(options) * density
    runs = split_runs(text, options.font, size)
    shaped = _needs_shaping("".join(run.text for run in runs))  # as drawn: □ needs none
    background = (0, 0, 0, 0) if options.background is None else (*options.background, 255)
    if options.noise is Noise.NONE:
        _draw_line(mask, runs, size, round(box.baseline * density), options.padding * density)
        return colorize(mask, background, (*options.color, 255))
    rng = random.Random(seed)
    profile = PROFILES[options.noise]
    if shaped:
        mask = _shaped_with_strokes(mask, runs, size, options, box, density, rng, profile, style)
    else:
        mask = _zigzag(mask.size, runs, options, density, rng, profile, style)
    draw_dots(mask, rng, size, profile)
    mask = _texture(mask, rng, options, profile, size)
    return colorize(mask, background, (*options.color, 255))


def _draw_line(
    mask: Image.Image, runs: list[TextRun], size: int, baseline: int, pad: int
) -> tuple[float, float]:
    """Draw the runs as one straight line on ``baseline``, centred between the padding;
    return where it starts and how long it is (px).

    The baseline is in whole pixels: crisp, alike at every width. Without noise the room
    is the width less the padding; noise's negative tracking (for the zigzag) may leave
    less room than the line needs, while its slack adds some at the ends: a shaped line
    takes both, and shrinks where it does not fit.
    """
    inner = mask.width - 2 * pad
    runs = _fit(runs, size, inner)
    line = measure(runs)
    start = pad + (inner - line) // 2
    draw_runs(ImageDraw.Draw(mask), start, baseline, runs, fill=255)
    return start, line


def _shaped_with_strokes(
    mask: Image.Image,
    runs: list[TextRun],
    size: int,
    options: RenderOptions,
    box: TextBox,
    density: int,
    rng: random.Random,
    profile: NoiseProfile,
    style: bytes,
) -> Image.Image:
    """Text that needs shaping as one straight line at ``size`` device px, with the
    strokes along it."""
    baseline = round(box.baseline * density)
    start, line = _draw_line(mask, runs, size, baseline, options.padding * density)
    middle = baseline - x_height(FAMILIES[options.font]) * size / 2

    def guide(distance: float) -> Placement:
        return Placement(start + distance, middle, 0.0)

    draw_strokes(mask, rng, guide, (0.0, line), float(size), profile, style_for(style))
    return mask


#: Device px drawn per CSS px a side for the zigzag (the supersampling scale is this
#: over the density, rounded up), within :data:`_ZIGZAG_PIXELS` in all.
_SAMPLES = 4
_ZIGZAG_PIXELS = 6_000_000


def _supersampling(width: int, height: int, density: int) -> int:
    """The scale the zigzag is drawn at before it is reduced to ``width`` x ``height``:
    4 at @1x, 2 at @2x and @3x, less where the image is very large (1 at worst)."""
    budget = math.isqrt(_ZIGZAG_PIXELS // max(1, width * height))
    return max(1, min(-(-_SAMPLES // density), budget))


def _zigzag(
    size_px: tuple[int, int],
    runs: list[TextRun],
    options: RenderOptions,
    density: int,
    rng: random.Random,
    profile: NoiseProfile,
    style: bytes,
) -> Image.Image:
    """The glyphs along a zigzag with the strokes through them, a mask of ``size_px``.

    Drawn at :func:`_supersampling` times the device scale, then reduced by averaging.
    """
    width, height = size_px
    scale = _supersampling(width, height, density)
    size = drawn_size(options) * density * scale
    pad = options.padding * density * scale
    look = style_for(style)
    glyphs = pick_glyphs(runs, options.font, profile, look, rng, size)
    line = measure(runs) * scale  # the runs are at the device size
    placed, path, span = along_path(glyphs, profile, look, rng, size, line)
    big = (width * scale, height * scale)
    mask = Image.new("L", big)
    fit, dx, dy, clear = _draw_placed(mask, placed, (pad, pad, big[0] - pad, big[1] - pad))

    def guide(distance: float) -> Placement:
        point = path.at(distance / size)
        return Placement(point.x * size * fit + dx, point.y * size * fit + dy, point.angle)

    # Strokes run on past the ends of the text (further past short text at ``high``,
    # see .noise.overshoot), except where it starts or ends with a glyph they keep
    # clear of, where the stretch before its gap would read as a comma or a dash
    # (",$78", "\\jane"): there they start in it, or after it if they keep clear of it
    # as a whole (punctuation, a bracket, an at sign).
    begin, finish = span
    lead = bool(placed) and has_marks(placed[0].glyph.cluster)
    trail = bool(placed) and has_marks(placed[-1].glyph.cluster)
    if lead:
        first = placed[0]
        begin = first.along + first.glyph.advance / 2 * cleared_whole(first.glyph.cluster)
    if trail:
        last = placed[-1]
        finish = last.along - last.glyph.advance / 2 * cleared_whole(last.glyph.cluster)
    samples = max(1, -(-_SAMPLES // (density * scale)))
    draw_strokes(
        mask,
        rng,
        guide,
        (begin, finish),
        size * fit,
        profile,
        look,
        samples,
        clear,
        (not lead, not trail),
        overshoot(profile, len(glyphs)),
    )
    return mask.reduce(scale) if scale > 1 else mask


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
    check_size(width, height, density, max_pixels)
    return Image.new("L", (width, height))


def check_size(width: int, height: int, density: int, max_pixels: int) -> None:
    """Raise :class:`ImageTooLarge` if an image of this size (device px) may not be drawn."""
    if width > MAX_WIDTH or height > MAX_WIDTH or width * height > max_pixels:
        raise ImageTooLarge(_too_large(width, height, density, max_pixels))


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


def _draw_placed(
    mask: Image.Image, placed: list[Placed], inner: tuple[int, int, int, int]
) -> tuple[float, float, float, Image.Image | None]:
    """Draw the glyphs, scaled down if need be to fit ``inner`` and centred in it.

    Returns the transform from layout to mask px (scale, x offset, y offset), and where
    strokes must keep away from the glyphs (:func:`.marks.marks`): None if no glyph has
    such a part.
    """
    clear = None
    if not placed:
        return 1.0, inner[0], inner[1], clear
    images = [turned(p.glyph, p.turn) for p in placed]
    inks = [image.getbbox() or (0, 0, 1, 1) for image in images]
    left = min(
        p.x - image.width / 2 + ink[0] for p, image, ink in zip(placed, images, inks, strict=True)
    )
    right = max(
        p.x - image.width / 2 + ink[2] for p, image, ink in zip(placed, images, inks, strict=True)
    )
    top = min(
        p.y - image.height / 2 + ink[1] for p, image, ink in zip(placed, images, inks, strict=True)
    )
    bottom = max(
        p.y - image.height / 2 + ink[3] for p, image, ink in zip(placed, images, inks, strict=True)
    )
    room_w, room_h = inner[2] - inner[0], inner[3] - inner[1]
    fit = min(1.0, room_w / max(1.0, right - left), room_h / max(1.0, bottom - top))
    dx = inner[0] + (room_w - (right - left) * fit) / 2 - left * fit
    dy = inner[1] + (room_h - (bottom - top) * fit) / 2 - top * fit
    for p, image in zip(placed, images, strict=True):
        if fit < 1.0:
            image = turned(scaled(p.glyph, fit), p.turn)
        x, y = p.x * fit + dx, p.y * fit + dy
        corner = (round(x - image.width / 2), round(y - image.height / 2))
        mask.paste(255, corner, image)
        if has_marks(p.glyph.cluster):
            if clear is None:
                clear = Image.new("L", mask.size)
            around, reach = marks(p.glyph, fit, p.turn)
            clear.paste(255, (corner[0] - reach, corner[1] - reach), around)
    return fit, dx, dy, clear


def _texture(
    mask: Image.Image, rng: random.Random, options: RenderOptions, profile: NoiseProfile, size: int
) -> Image.Image:
    """Speckle the background towards the text colour, as far as contrast allows, at the
    profile's density within 0.3 em of the text and its strokes and thinning out to
    nothing 1 em away (:data:`_FADE`): the speckles that defeat a recognizer's clean-up
    are the ones about the glyphs, while a speckled box with hard edges is what makes
    the text read as a CAPTCHA on a page."""
    level = texture_level(options.color, options.background, profile)
    if not level:
        return mask
    threshold = 255 * profile.texture
    density = Image.new("L", mask.size)  # per pixel: speckled when the noise is below it
    for reach_em, share in _FADE:
        reach = max(1, round(reach_em * size))
        limit = round(threshold * share)
        near = mask.filter(ImageFilter.BoxBlur(reach)).point(where_covered(limit))
        density = ImageChops.lighter(density, near)
    noise = Image.frombytes("L", mask.size, rng.randbytes(mask.width * mask.height))
    speckle = ImageChops.subtract(density, noise).point(where_covered(level))
    return ImageChops.lighter(mask, speckle)


#: The texture's density by distance from the text and its strokes: up to ``reach`` em
#: away, ``share`` of the profile's density.
_FADE = ((1.0, 0.25), (0.6, 0.55), (0.3, 1.0))
