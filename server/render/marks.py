"""Where the noise strokes keep clear of a glyph: the parts that tell it apart.

The strokes run along the tops of capitals and through the feet of the letters, and
cross the letters on purpose. Some glyphs would vanish into them, or turn into other
glyphs: the dot of an i or a j and accents would be swallowed, the tail of a j cut off;
the top of an l, a 1 or an I, crossed by the upper stroke, reads as 7, / or (; an
underscore merges into the lower stroke ("first_last" reads "first last"), a comma or
a full stop into either (a comma then looks like a full stop, or vanishes; a full stop
beside a stroke's cut end reads as a comma), a bracket into a curve of a stroke, the
hook of a g into the lower stroke (a q), an at sign crossed at its middle into an e,
the arch of an S run along by the upper stroke into the flat top of a 5. Around those
parts the strokes leave a gap.
"""

from __future__ import annotations

import unicodedata
from types import MappingProxyType

from PIL import Image, ImageFilter

from .encode import where_covered
from .glyphs import Glyph, scaled, turned

__all__ = [
    "CLEARANCE",
    "THIN",
    "UPRIGHT",
    "WHOLE",
    "cleared_whole",
    "has_marks",
    "marks",
]

#: Letters whose dot a stroke running along the tops of capitals would swallow.
_DOTTED = frozenset("ijĳ")
#: Thin upright glyphs told apart by their tops (a flag, a serif, a tail): with the
#: upper stroke across the top they read as 7, / or (.
THIN = frozenset("l1I|!")
#: Letters told apart by their tops, which the upper stroke merges into: an f's hook
#: (first read as tirst), a t's stem above its bar, an S's arch (a stroke along it
#: reads as the flat top of a 5).
_TOPPED = frozenset("ftS")
#: Letters told apart by their tails, which the lower stroke runs through: a g whose
#: hook merges into it reads as a q, a q's stem with a curve of the stroke as a g.
_TAILED = frozenset("gq")
#: Glyphs with a part the strokes keep clear of: a dot, a thin top, a top, a tail.
_PART_MARKED = _DOTTED | THIN | _TOPPED | _TAILED
#: Letters that turned as far as the path read as others (an l or an I as a slash, a
#: slash as a dash): they take half its turn. Digits, brackets and + keep the full turn:
#: half-turned, the OCR bench read phone numbers four times as often (18 % against 4 %
#: of 50); their telling fonts and the strokes' gaps keep them apart instead.
UPRIGHT = frozenset("lI|!/")
#: Punctuation, brackets and the at sign, kept clear as a whole: a stroke swallows or
#: changes them (a comma turns into a full stop, a bracket into a stretch of the stroke,
#: an @ crossed at its middle into an e). Signs such as + and currency signs stay
#: crossed: kept clear, they left short prices and phone numbers with one glyph fewer
#: crossed, and the OCR bench read three times as many.
WHOLE = frozenset("_,.-;:'()[]{}@")
#: How far strokes keep from a dot, an accent, the top of a thin glyph or punctuation,
#: em (further from the glyphs of :data:`_FURTHER`).
CLEARANCE = 0.07
#: Where they keep further, em. From an underscore, a gap this long each side, or it
#: reads as a stretch of the lower stroke that runs along the same height. From a full
#: stop, a comma, a colon or a semicolon: closer, a stroke's cut end beside the point
#: reads as part of it (a full stop as a comma) or swallows it.
_FURTHER = MappingProxyType({"_": 0.3, **dict.fromkeys(".,;:", 0.15)})
#: Every pixel with any coverage, set: the clearance around a part, from its blurred ink.
_ANY_INK = where_covered(255)


def has_marks(cluster: str) -> bool:
    """Tell whether strokes keep clear of part of ``cluster``: a dot or an accent, the
    top of a thin upright glyph, an f, a t or an S, the tail of a g or a q, or all of a
    punctuation mark, a bracket or the at sign."""
    return cleared_whole(cluster) or any(
        char in _PART_MARKED or unicodedata.category(char) == "Mn"
        for char in unicodedata.normalize("NFD", cluster)
    )


def cleared_whole(cluster: str) -> bool:
    """Tell whether strokes keep clear of all of ``cluster`` (:data:`WHOLE`)."""
    return cluster in WHOLE


def marks(glyph: Glyph, fit: float, turn: float) -> tuple[Image.Image, int]:
    """Where strokes must not run near ``glyph`` drawn at ``fit`` and turned ``turn``,
    and how many px that image reaches past each side of the glyph's canvas.

    For a letter or digit: around its ink above the x-height and below the baseline
    (dots, accents, the tail of a j, a g or a q, the top of a thin glyph, an f, a t or
    an S); its body between them stays open to the strokes. For punctuation, brackets
    and the at sign (:data:`WHOLE`): around all of its ink.
    """
    glyph = scaled(glyph, fit)
    canvas = turned(glyph, 0)
    reach = max(1, round(_clearance(glyph.cluster) * glyph.size))
    half, pivot, margin = canvas.height // 2, glyph.pivot, 0.04 * glyph.size
    if not cleared_whole(glyph.cluster):
        body = (0, round(half - pivot - margin), canvas.width, round(half + pivot + margin))
        canvas.paste(0, body)  # the pivot is half an x-height above the baseline
    padded = Image.new("L", (canvas.width + 2 * reach, canvas.height + 2 * reach))
    padded.paste(canvas, (reach, reach))
    around = padded.filter(ImageFilter.BoxBlur(reach)).point(_ANY_INK)
    if turn:
        around = around.rotate(turn, resample=Image.Resampling.BILINEAR)
    return around, reach


def _clearance(cluster: str) -> float:
    return _FURTHER.get(cluster, CLEARANCE)
