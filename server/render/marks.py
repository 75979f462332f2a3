"""Where the noise strokes keep clear of a glyph: the parts that tell it apart.

The strokes run along the tops of capitals and through the feet of the letters, and
cross the letters on purpose. A few marks would vanish into them: the dot of an i or a
j, an accent, the tail of a j. Around those the strokes leave a gap.
"""

from __future__ import annotations

import unicodedata

from PIL import Image, ImageFilter

from .glyphs import Glyph, scaled, turned

__all__ = ["CLEARANCE", "has_marks", "marks"]

#: Letters whose dot a stroke running along the tops of capitals would swallow.
_DOTTED = frozenset("ijĳ")
#: How far strokes keep from a dot, an accent or the tail of a j, in em.
CLEARANCE = 0.07


def has_marks(cluster: str) -> bool:
    """Tell whether ``cluster`` has a dot or a mark apart from its body: i, j, accents."""
    return any(
        char in _DOTTED or unicodedata.category(char) == "Mn"
        for char in unicodedata.normalize("NFD", cluster)
    )


def marks(glyph: Glyph, fit: float, turn: float) -> Image.Image:
    """Where strokes must not run near ``glyph`` drawn at ``fit`` and turned ``turn``:
    around its ink above the x-height and below the baseline, on the glyph's canvas.

    A stroke along the tops of capitals would swallow the dot of an i or a j, or an
    accent, and one along the feet the tail of a j: ``jı`` then reads as ``lı``.
    """
    glyph = scaled(glyph, fit)
    canvas = turned(glyph, 0)
    half, pivot, margin = canvas.height // 2, glyph.pivot, 0.04 * glyph.size
    body = (0, round(half - pivot - margin), canvas.width, round(half + pivot + margin))
    canvas.paste(0, body)  # the pivot is half an x-height above the baseline
    reach = max(1, round(CLEARANCE * glyph.size))
    around = canvas.filter(ImageFilter.BoxBlur(reach)).point(lambda v: 255 if v else 0)
    return around.rotate(turn, resample=Image.Resampling.BILINEAR) if turn else around
