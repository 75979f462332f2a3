"""Compose a token's image from its lines: one, or two stacked for narrow screens.

A token minted with ``lines=2`` (``docs/tokens.md`` §11) is drawn as the lines
:func:`tokens.sizes.break_lines` gives, each by :func:`.text.render_text` in its row of
:func:`tokens.sizes.text_box` (as wide as the whole image, its own height), one above
the other. The image is exactly the box the page's ``<source width height>`` promised.
Each row draws its noise from its own seed, derived from the token's, so the two rows
never repeat each other's marks and the image stays a pure function of the token.
"""

from __future__ import annotations

import dataclasses
import hashlib

from PIL import Image

from tokens.options import RenderOptions
from tokens.sizes import MAX_PIXELS, break_lines, text_box

from .text import check_size, render_text

__all__ = ["render_lines", "row_seed"]


def row_seed(seed: bytes, row: int) -> bytes:
    """The noise seed of row ``row`` (0 or 1) of a token on two lines: 16 bytes of
    BLAKE2b over the token's seed, personalised by the row."""
    return hashlib.blake2b(seed, digest_size=16, person=b"glyphveil-row%d" % row).digest()


def render_lines(
    text: str,
    options: RenderOptions,
    seed: bytes,
    density: int = 1,
    max_pixels: int = MAX_PIXELS,
    *,
    style: bytes = b"",
) -> Image.Image:
    """Render a token's text on the lines its options ask for, at ``density``.

    One line is :func:`.text.render_text` itself. Two lines are checked against
    ``max_pixels`` and :data:`MAX_WIDTH` as a whole before anything is drawn, then drawn
    row by row and pasted into one palette image.
    """
    box = text_box(text, options)
    if not box.rows:
        return render_text(text, options, seed, density, max_pixels, style=style, box=box)
    check_size(*box.size(density), density, max_pixels)
    one_line = dataclasses.replace(options, lines=1)
    images = [
        render_text(
            line, one_line, row_seed(seed, index), density, max_pixels, style=style, box=row
        )
        for index, (line, row) in enumerate(zip(break_lines(text), box.rows, strict=True))
    ]
    width, height = box.size(density)
    image = Image.new("P", (width, height), 0)
    palette = images[0].palette
    assert palette is not None  # render_text's images are palette images
    image.putpalette(images[0].getpalette(palette.mode) or [], palette.mode)
    top = 0
    for row in images:
        image.paste(row, (0, top))
        top += row.height
    return image
