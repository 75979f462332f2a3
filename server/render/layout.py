"""Path layout for noisy text: glyphs placed one after another along the zigzag.

Each glyph's centre goes on the path (:mod:`.path`), turned to its stretch of it.
Neighbours crowd close so they touch, which defeats segmentation, but never merge,
which would defeat people: where the turns bring them together they get the room back,
and confusable pairs keep their normal spacing.
"""

from __future__ import annotations

import functools
import itertools
import math
import random
from dataclasses import dataclass

from .fonts import glyph_box
from .glyphs import Glyph
from .marks import UPRIGHT
from .noise import SHORT_LINE, NoiseProfile
from .path import ZigzagPath
from .style import Style

__all__ = ["CONFUSABLE", "Placed", "along_path", "clearance", "overlap", "zigzag_band"]


@dataclass(frozen=True, slots=True)
class Placed:
    """A glyph's centre on the path (px, before fitting) and its turn (degrees)."""

    glyph: Glyph
    x: float
    y: float
    turn: float
    angle: float  # the path's direction at the glyph, radians
    along: float  # how far along the path its centre is (px)


#: Pairs that crowded together read as something else: they keep their normal spacing.
CONFUSABLE = frozenset(
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


def along_path(
    glyphs: list[Glyph],
    profile: NoiseProfile,
    look: Style,
    rng: random.Random,
    size: int,
    line: float,
) -> tuple[list[Placed], ZigzagPath, tuple[float, float]]:
    """Place each glyph's centre along a zigzag, one after another, turned to the path.

    Returns the glyphs, the path, and where the text starts and ends along it (px).
    Where the path turns so that the tops (or the feet) of neighbours lean together,
    they get extra space, as much as the turn brings them closer; neighbours whose
    turned ink boxes still overlap by more than :data:`_TOUCH` are then moved apart
    (crowded letters that touch defeat segmentation; letters that merge defeat people),
    and so are glyphs either side of a space closer than :data:`_WORD_GAP` (the groups
    of a phone number's digits stay apart) and punctuation (:data:`_APART`) and its
    neighbours closer than :data:`_MARK_GAP` (a full stop tucked against a letter was
    lost).
    """
    gaps = []
    previous = ""
    for glyph in glyphs:
        pair = previous[-1:] + glyph.cluster[:1]
        spacing = max(profile.spacing, 0.03) if pair in CONFUSABLE else profile.spacing
        gaps.append(spacing * size)
        previous = glyph.cluster
    # The room the glyphs take along the path: their advances and gaps, plus what the
    # turns and the parting below add (a quarter more, up to nearly a half).
    length = (sum(glyph.advance for glyph in glyphs) + sum(gaps[1:])) * (1 + _RESERVE)
    low, high = profile.slope
    path = ZigzagPath(
        rng,
        length / size,
        zigzag_band(profile, line, size) * look.band,
        (low + look.slope_shift, high + look.slope_shift),
        profile.corner * look.corner,
    )
    start = rng.uniform(0, max(0.0, path.length - length / size - 0.5))
    rises = [profile.rise * size * rng.uniform(-1, 1) for _ in glyphs]
    turns = [profile.rotation * rng.uniform(-1, 1) for _ in glyphs]

    def place(extra: list[float]) -> tuple[list[Placed], float]:
        placed = []
        distance = start * size
        for i, glyph in enumerate(glyphs):
            if i:
                distance += gaps[i] + extra[i]
            centre = distance + glyph.advance / 2
            point = path.at(centre / size)
            x = point.x * size - math.sin(point.angle) * rises[i]
            y = point.y * size + math.cos(point.angle) * rises[i]
            turn = -math.degrees(point.angle) * _turn_share(glyph.cluster)
            placed.append(Placed(glyph, x, y, turn + turns[i], point.angle, centre))
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
    touch, word_gap, mark_gap = _TOUCH * size, _WORD_GAP * size, _MARK_GAP * size
    settled = _SETTLED * size
    spaces = [i for i in range(1, len(glyphs) - 1) if glyphs[i].cluster == " "]
    beside_marks = {
        i
        for i in range(1, len(glyphs))
        if glyphs[i].cluster in _APART or glyphs[i - 1].cluster in _APART
        if " " not in (glyphs[i].cluster, glyphs[i - 1].cluster)
    }
    for _ in range(_PARTINGS):
        overlaps = [0.0] + [
            0.0 if i in beside_marks else overlap(a, b) - touch
            for i, (a, b) in enumerate(itertools.pairwise(placed), start=1)
        ]
        for i in beside_marks:  # punctuation and its neighbours: part them to a gap
            gap = clearance(placed[i - 1], placed[i], apart=mark_gap)
            overlaps[i] = _STRIDE * (mark_gap - gap)
        for i in spaces:  # the glyphs either side of a space: part them to a word gap
            before, after = placed[i - 1], placed[i + 1]
            chord = math.atan2(after.y - before.y, after.x - before.x)
            lacking = word_gap - _separation(before, after, chord)
            overlaps[i + 1] = max(overlaps[i + 1], _STRIDE * lacking)
        if max(overlaps) <= settled:
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
#: Most rounds of parting neighbours. Each moves the glyphs after a pair that overlaps
#: along by the excess, and after a pair short of its gap (a space, punctuation) by
#: :data:`_STRIDE` times what it lacks: round a corner, a move along the path parts
#: them by less than its length.
_PARTINGS = 8
_STRIDE = 1.5
#: Parting stops when no pair lacks more than this, in em (a tenth of a pixel at 1x).
_SETTLED = 0.004


def overlap(a: Placed, b: Placed) -> float:
    """How deep the turned ink boxes of two placed glyphs overlap (px; 0 if apart)."""
    return max(0.0, -clearance(a, b, apart=0.0))


def clearance(a: Placed, b: Placed, apart: float = math.inf) -> float:
    """How far apart the turned ink boxes of two placed glyphs are (px; negative: how
    deep they overlap): the widest gap, or else the least overlap, between their
    projections on the four edge directions. It stops at the first gap of ``apart`` px
    or more (the caller needs to know no more)."""
    corners_a, corners_b = _corners(a), _corners(b)
    depth = math.inf
    for ux, uy in (*_edge_directions(a.turn), *_edge_directions(b.turn)):
        along_a = [x * ux + y * uy for x, y in corners_a]
        along_b = [x * ux + y * uy for x, y in corners_b]
        depth = min(depth, min(max(along_a), max(along_b)) - max(min(along_a), min(along_b)))
        if -depth >= apart:
            break
    return -depth


@functools.lru_cache(maxsize=1024)
def _edge_directions(turn: float) -> tuple[tuple[float, float], tuple[float, float]]:
    """Unit vectors along the edges of an ink box turned ``turn`` degrees (y down)."""
    along, across = (
        (math.cos(math.radians(angle)), -math.sin(math.radians(angle)))
        for angle in (turn, turn + 90)
    )
    return along, across


def _separation(a: Placed, b: Placed, angle: float) -> float:
    """How far the turned ink box of ``b`` starts past the end of ``a``'s, along the
    direction ``angle`` (radians; negative where they overlap along it)."""
    ux, uy = math.cos(angle), math.sin(angle)
    end = max(x * ux + y * uy for x, y in _corners(a))
    return min(x * ux + y * uy for x, y in _corners(b)) - end


@functools.lru_cache(maxsize=512)
def _corners(placed: Placed) -> tuple[tuple[float, float], ...]:
    """The corners of a placed glyph's ink box, turned about its pivot, in layout px.

    Cached: each round of parting measures every glyph against both neighbours, and
    the glyphs before the first one it moves stay where they were."""
    glyph = placed.glyph
    left, top, right, bottom = glyph_box(glyph.path, glyph.size, glyph.cluster)
    px, py = glyph.advance / 2, -glyph.pivot
    turn = math.radians(placed.turn)  # counter-clockwise on screen, as Image.rotate
    cos, sin = math.cos(turn), math.sin(turn)
    return tuple(
        (placed.x + (x - px) * cos + (y - py) * sin, placed.y - (x - px) * sin + (y - py) * cos)
        for x in (left, right)
        for y in (top, bottom)
    )


#: The least gap between the ink boxes of the glyphs either side of a space, along the
#: line from one to the other, in em: where a turn still closes it, they are parted to
#: this. It must stand out from the gaps within a word, which the turns open up to
#: 0.12-0.18 em (19 pairs in 20, 99 in 100, at ``medium``): at 0.2 em, and measured
#: along the space's own direction, the trained reader lost a fifth of the spaces at
#: the noisy levels, and "n.mensah" looked like "n.men sah".
_WORD_GAP = 0.45
#: Punctuation kept apart from its neighbours: crowded against a letter, a full stop, a
#: comma or an underscore reads as part of it ("acme.com" read as "acmecom"). Brackets
#: are tall enough to stay themselves, and their boxes, turned at a corner, would need
#: a long way to part.
_APART = frozenset("_,.-;:'")
#: The least gap between the ink boxes of :data:`_APART` and its neighbours, in em.
_MARK_GAP = 0.05
#: How much of the path's turn the glyphs of :data:`.marks.UPRIGHT` take: an l or an I
#: turned 35-45 degrees is a slash, and with a stroke across it a 7 or a (.
_UPRIGHT_TURN = 0.5
#: Glyphs drawn upright whatever the path's turn: a | turned even half-way is a / or a \;
#: an underscore turned with the path runs alongside the lower stroke and reads as a
#: stretch of it, or as a hyphen.
_UNTURNED = frozenset("|_")


def _turn_share(cluster: str) -> float:
    """How much of the path's turn a glyph takes: none for a | or an underscore, half
    for the other glyphs of :data:`.marks.UPRIGHT`, all of it for the rest."""
    if cluster in _UNTURNED:
        return 0.0
    return _UPRIGHT_TURN if cluster in UPRIGHT else 1.0


#: Extra space between neighbours, in em, per unit of the sine of the path's turn: room
#: for the tops (or feet) that lean together. Parting does the rest; at 0.45 em the
#: turns opened gaps within words as wide as a space.
_TURN_ROOM = 0.3


def _leaning_together(before: float, after: float) -> float:
    """How much two neighbours on the path lean into each other (0 to 1).

    At a valley the tops of the letters close in, at a peak the feet do; tops
    (ascenders and x-height) reach further from the path, so they count in full,
    feet half.
    """
    turn = math.sin(after - before)
    return max(0.0, -turn) + 0.5 * max(0.0, turn)


def zigzag_band(profile: NoiseProfile, line: float, size: int) -> float:
    """The zigzag's half-height in em for a line ``line`` px long at ``size`` px: a
    short line takes shorter runs, in the middle of the same box."""
    return profile.short_band if line < SHORT_LINE * size else profile.band
