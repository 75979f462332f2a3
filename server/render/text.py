"""Draw protected text: the glyphs, jittered and crossed by noise, into an image in memory."""

from __future__ import annotations

import itertools
import math
import random
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont

from tokens.options import MAX_WIDTH, Noise, RenderOptions
from tokens.sizes import TextBox, drawn_size, text_box

from ..errors import RequestError
from .encode import colorize
from .fonts import (
    ATTACHED,
    FAMILIES,
    GLYPH_FONTS,
    TextRun,
    covers,
    draw_runs,
    glyph_advance,
    glyph_box,
    glyph_font,
    load_font,
    measure,
    split_runs,
    x_height,
)
from .noise import PROFILES, SHORT_LINE, NoiseProfile, draw_dots, draw_strokes, texture_level
from .path import Placement, ZigzagPath
from .style import Style, style_for

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
    draw_dots(ImageDraw.Draw(mask), rng, mask.size, size, profile)
    mask = _texture(mask, rng, options, profile)
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
    glyphs = _glyphs(runs, options.font, profile, look, rng, size)
    line = measure(runs) * scale  # the runs are at the device size
    placed, path, span = _along_path(glyphs, profile, look, rng, size, line)
    big = (width * scale, height * scale)
    mask = Image.new("L", big)
    fit, dx, dy, clear = _draw_placed(mask, placed, (pad, pad, big[0] - pad, big[1] - pad))

    def guide(distance: float) -> Placement:
        point = path.at(distance / size)
        return Placement(point.x * size * fit + dx, point.y * size * fit + dy, point.angle)

    samples = max(1, -(-_SAMPLES // (density * scale)))
    draw_strokes(mask, rng, guide, span, size * fit, profile, look, samples, clear)
    return mask.reduce(scale) if scale > 1 else mask


def _band(profile: NoiseProfile, line: float, size: int) -> float:
    """The zigzag's half-height in em for a line ``line`` px long at ``size`` px: a
    short line takes shorter runs, in the middle of the same box."""
    return profile.short_band if line < SHORT_LINE * size else profile.band


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
    """One glyph cluster in the font picked for it, at its own size (px)."""

    cluster: str = field(repr=False)  # protected text
    path: Path  # the font file
    size: int
    advance: float  # px, at ``size``
    pivot: float  # px above the baseline that sits on the path: half the line's x-height


@dataclass(frozen=True, slots=True)
class _Placed:
    """A glyph's centre on the path (px, before fitting) and its turn (degrees)."""

    glyph: _Glyph
    x: float
    y: float
    turn: float
    angle: float  # the path's direction at the glyph, radians


#: Pairs that crowded together read as something else: they keep their normal spacing.
_CONFUSABLE = frozenset(
    {
        "rn",
        "rm",
        "rr",
        "cl",
        "cI",
        "ci",
        "vv",
        "VV",
        "vy",
        "nn",
        "ii",
        "il",
        "li",
        "ll",
        "0O",
        "O0",
        "0o",
        "o0",
        "1l",
        "l1",
        "1I",
        "I1",
        "lI",
        "Il",
        "II",
        "l!",
        "!l",
        "ij",
    }
)


def _glyphs(
    runs: list[TextRun],
    family: str,
    profile: NoiseProfile,
    look: Style,
    rng: random.Random,
    size: int,
) -> list[_Glyph]:
    """The clusters of ``runs``, each in a font picked among the style's that has it,
    scaled to the family's x-height, and slightly resized at random; those of
    :data:`_CAP_BARS` smaller again, on the same baseline."""
    nominal = x_height(FAMILIES[family])
    choices = look.fonts[: profile.fonts]
    glyphs = []
    for run in runs:
        fallback = run.path not in GLYPH_FONTS
        for cluster in _clusters(run.text):
            path = run.path
            if choices and not fallback:
                fitting = [f for f in choices if all(covers(f, c) for c in cluster)]
                path = fitting[rng.randrange(len(fitting))] if fitting else run.path
            scale = 1 + profile.scale * rng.uniform(-1, 1)
            height = x_height(path) if path in GLYPH_FONTS else nominal
            shrink = _CAP_BAR_SCALE if _has_cap_bar(cluster) else 1.0
            glyph_size = max(1, round(size * scale * shrink * nominal / height))
            advance = glyph_advance(path, glyph_size, cluster)
            pivot = height * glyph_size / shrink / 2  # the baseline of its neighbours
            glyphs.append(_Glyph(cluster, path, glyph_size, advance, pivot))
    return glyphs


#: Glyphs told apart by a bar along the cap line, where the upper noise stroke runs:
#: merged into it, 7 reads as / or 1, T as I, F as I-, E as a comb.
_CAP_BARS = frozenset("7TFEZ")
#: Their size against their neighbours': their bar then stays under the stroke.
_CAP_BAR_SCALE = 0.8


def _has_cap_bar(cluster: str) -> bool:
    """Tell whether ``cluster`` is a letter or digit of :data:`_CAP_BARS`, accented or not."""
    return unicodedata.normalize("NFD", cluster)[:1] in _CAP_BARS


def _along_path(
    glyphs: list[_Glyph],
    profile: NoiseProfile,
    look: Style,
    rng: random.Random,
    size: int,
    line: float,
) -> tuple[list[_Placed], ZigzagPath, tuple[float, float]]:
    """Place each glyph's centre along a zigzag, one after another, turned to the path.

    Returns the glyphs, the path, and where the text starts and ends along it (px).
    Where the path turns so that the tops (or the feet) of neighbours lean together,
    they get extra space, as much as the turn brings them closer; neighbours whose
    turned ink boxes still overlap by more than :data:`_TOUCH` are then moved apart
    (crowded letters that touch defeat segmentation; letters that merge defeat people).
    """
    gaps = []
    previous = ""
    for glyph in glyphs:
        pair = previous[-1:] + glyph.cluster[:1]
        spacing = max(profile.spacing, 0.03) if pair in _CONFUSABLE else profile.spacing
        gaps.append(spacing * size)
        previous = glyph.cluster
    # The room the glyphs take along the path: their advances and gaps, plus what the
    # turns and the parting below add (a quarter more, up to nearly a half).
    length = (sum(glyph.advance for glyph in glyphs) + sum(gaps[1:])) * (1 + _RESERVE)
    low, high = profile.slope
    path = ZigzagPath(
        rng,
        length / size,
        _band(profile, line, size) * look.band,
        (low + look.slope_shift, high + look.slope_shift),
        profile.corner * look.corner,
    )
    start = rng.uniform(0, max(0.0, path.length - length / size - 0.5))
    rises = [profile.rise * size * rng.uniform(-1, 1) for _ in glyphs]
    turns = [profile.rotation * rng.uniform(-1, 1) for _ in glyphs]

    def place(extra: list[float]) -> tuple[list[_Placed], float]:
        placed = []
        distance = start * size
        for i, glyph in enumerate(glyphs):
            if i:
                distance += gaps[i] + extra[i]
            point = path.at((distance + glyph.advance / 2) / size)
            x = point.x * size - math.sin(point.angle) * rises[i]
            y = point.y * size + math.cos(point.angle) * rises[i]
            placed.append(_Placed(glyph, x, y, -math.degrees(point.angle) + turns[i], point.angle))
            distance += glyph.advance
        return placed, distance

    placed, _ = place([0.0] * len(glyphs))
    # Widen the gaps where the turn brings glyphs together, then part neighbours whose
    # ink boxes still overlap by more than a touch.
    extra = [0.0] + [
        size * _TURN_ROOM * _leaning_together(a.angle, b.angle)
        for a, b in itertools.pairwise(placed)
    ]
    placed, distance = place(extra)
    touch = _TOUCH * size
    for _ in range(_PARTINGS):
        overlaps = [0.0] + [_overlap(a, b) - touch for a, b in itertools.pairwise(placed)]
        if max(overlaps) <= 0:
            break
        extra = [e + max(0.0, o) for e, o in zip(extra, overlaps, strict=True)]
        placed, distance = place(extra)
    return placed, path, (start * size, distance)


#: Share of the glyphs' advances the path keeps in reserve for the extra space of turns
#: and parting, so that the text ends before the path does (past its end, the path is
#: its last run continued straight).
_RESERVE = 0.5
#: How far neighbours' ink boxes may overlap (em): crowded glyphs touch, never merge.
_TOUCH = 0.05
#: Rounds of parting overlapping neighbours (each moves the glyphs after them along).
_PARTINGS = 3


def _overlap(a: _Placed, b: _Placed) -> float:
    """How deep the turned ink boxes of two placed glyphs overlap (px; 0 if apart):
    the least overlap of their projections on the four edge directions."""
    corners = [_corners(a), _corners(b)]
    depth = math.inf
    for angle in (a.turn, a.turn + 90, b.turn, b.turn + 90):
        ux, uy = math.cos(math.radians(angle)), -math.sin(math.radians(angle))
        (low_a, high_a), (low_b, high_b) = (
            (min(p), max(p)) for p in ([x * ux + y * uy for x, y in c] for c in corners)
        )
        depth = min(depth, min(high_a, high_b) - max(low_a, low_b))
        if depth <= 0:
            return 0.0
    return depth


def _corners(placed: _Placed) -> list[tuple[float, float]]:
    """The corners of a placed glyph's ink box, turned about its pivot, in layout px."""
    glyph = placed.glyph
    left, top, right, bottom = glyph_box(glyph.path, glyph.size, glyph.cluster)
    px, py = glyph.advance / 2, -glyph.pivot
    turn = math.radians(placed.turn)  # counter-clockwise on screen, as Image.rotate
    cos, sin = math.cos(turn), math.sin(turn)
    return [
        (placed.x + (x - px) * cos + (y - py) * sin, placed.y - (x - px) * sin + (y - py) * cos)
        for x in (left, right)
        for y in (top, bottom)
    ]


#: Extra space between neighbours, in em, per unit of the sine of the path's turn.
_TURN_ROOM = 0.45


def _leaning_together(before: float, after: float) -> float:
    """How much two neighbours on the path lean into each other (0 to 1).

    At a valley the tops of the letters close in, at a peak the feet do; tops
    (ascenders and x-height) reach further from the path, so they count in full,
    feet half.
    """
    turn = math.sin(after - before)
    return max(0.0, -turn) + 0.5 * max(0.0, turn)


def _draw_placed(
    mask: Image.Image, placed: list[_Placed], inner: tuple[int, int, int, int]
) -> tuple[float, float, float, Image.Image | None]:
    """Draw the glyphs, scaled down if need be to fit ``inner`` and centred in it.

    Returns the transform from layout to mask px (scale, x offset, y offset), and where
    strokes must keep away from the glyphs (:func:`_marks`): None if no glyph has a dot
    or an accent, as most strings have none.
    """
    clear = None
    if not placed:
        return 1.0, inner[0], inner[1], clear
    images = [_turned(p.glyph, p.turn) for p in placed]
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
            image = _turned(_scaled(p.glyph, fit), p.turn)
        x, y = p.x * fit + dx, p.y * fit + dy
        corner = (round(x - image.width / 2), round(y - image.height / 2))
        mask.paste(255, corner, image)
        if _has_marks(p.glyph.cluster):
            if clear is None:
                clear = Image.new("L", mask.size)
            clear.paste(255, corner, _marks(p.glyph, fit, p.turn))
    return fit, dx, dy, clear


#: Letters whose dot a stroke running along the tops of capitals would swallow.
_DOTTED = frozenset("ijĳ")
#: How far strokes keep from a dot, an accent or the tail of a j, in em.
_CLEARANCE = 0.07


def _has_marks(cluster: str) -> bool:
    """Tell whether ``cluster`` has a dot or a mark apart from its body: i, j, accents."""
    return any(
        char in _DOTTED or unicodedata.category(char) == "Mn"
        for char in unicodedata.normalize("NFD", cluster)
    )


def _marks(glyph: _Glyph, fit: float, turn: float) -> Image.Image:
    """Where strokes must not run near ``glyph`` drawn at ``fit`` and turned ``turn``:
    around its ink above the x-height and below the baseline, on the glyph's canvas.

    A stroke along the tops of capitals would swallow the dot of an i or a j, or an
    accent, and one along the feet the tail of a j: ``jı`` then reads as ``lı``.
    """
    glyph = _scaled(glyph, fit)
    canvas = _turned(glyph, 0)
    half, pivot, margin = canvas.height // 2, glyph.pivot, 0.04 * glyph.size
    body = (0, round(half - pivot - margin), canvas.width, round(half + pivot + margin))
    canvas.paste(0, body)  # the pivot is half an x-height above the baseline
    reach = max(1, round(_CLEARANCE * glyph.size))
    around = canvas.filter(ImageFilter.BoxBlur(reach)).point(lambda v: 255 if v else 0)
    return around.rotate(turn, resample=Image.Resampling.BILINEAR) if turn else around


def _scaled(glyph: _Glyph, fit: float) -> _Glyph:
    """``glyph`` at ``fit`` times its size: the drawing shrunk to fit its box."""
    if fit == 1.0:
        return glyph
    size = max(1, round(glyph.size * fit))
    advance = glyph_advance(glyph.path, size, glyph.cluster)
    return _Glyph(glyph.cluster, glyph.path, size, advance, glyph.pivot * fit)


def _glyph_font(path: Path, size: int, cluster: str) -> ImageFont.FreeTypeFont:
    """A lone character needs no shaping; a cluster with marks or joiners does."""
    return glyph_font(path, size, cluster)


def _turned(glyph: _Glyph, turn: float) -> Image.Image:
    """The glyph on a square canvas centred on its pivot (the middle of its advance,
    half an x-height above the baseline), turned ``turn`` degrees about it."""
    font = _glyph_font(glyph.path, glyph.size, glyph.cluster)
    left, top, right, bottom = glyph_box(glyph.path, glyph.size, glyph.cluster)
    px, py = glyph.advance / 2, -glyph.pivot
    reach = max(math.hypot(x - px, y - py) for x in (left, right) for y in (top, bottom))
    half = math.ceil(reach) + 1
    canvas = Image.new("L", (2 * half, 2 * half))
    ImageDraw.Draw(canvas).text(
        (half - px, half - py), glyph.cluster, fill=255, font=font, anchor="ls"
    )
    return canvas.rotate(turn, resample=Image.Resampling.BICUBIC) if turn else canvas


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
