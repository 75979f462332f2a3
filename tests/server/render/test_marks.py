"""server.render.marks: the strokes keep clear of what tells a glyph apart."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image, ImageChops

import server.render.text
from server.render.fonts import GLYPH_FONTS, glyph_advance, x_height
from server.render.glyphs import Glyph, turned
from server.render.marks import CLEARANCE, has_marks, marks
from server.render.text import render_text
from tokens.options import Noise, RenderOptions

NOISY = [Noise.LOW, Noise.MEDIUM, Noise.HIGH]


def glyph(cluster: str, font: Path, size: int = 96) -> Glyph:
    return Glyph(cluster, font, size, glyph_advance(font, size, cluster), x_height(font) * size / 2)


@pytest.mark.parametrize(
    ("cluster", "marked"),
    [
        *((c, True) for c in ["i", "j", "é", "ü", "e\u0301"]),  # dots and accents
        *((c, True) for c in "l1I|!ftS"),  # thin glyphs, f, t and S: their tops
        *((c, True) for c in "gq"),  # their tails
        *((c, True) for c in "_,.-;:'()@"),  # punctuation, brackets and the at sign
        *((c, False) for c in ["n", "m", "h", "k", "7", "0", "O", "&", "#", " "]),
        *((c, False) for c in "+$€£¥₹"),  # signs stay crossed
    ],
)
def test_dots_accents_thin_tops_and_punctuation_are_marks(cluster: str, marked: bool) -> None:
    assert has_marks(cluster) is marked


@pytest.mark.parametrize("font", GLYPH_FONTS, ids=lambda path: path.stem)
@pytest.mark.parametrize("cluster", ["i", "l", "f", "S", "g", "q"])
def test_marks_of_a_letter_leave_its_body_open(font: Path, cluster: str) -> None:
    """What strokes keep away from is around the dot of an i or the top of an l, an f or an S,
    above the x-height, and around the tail of a g (its hook merged into the lower
    stroke reads as a q) or a q, below the baseline: the body between the baseline and
    the x-height stays open to them."""
    drawn = glyph(cluster, font)
    around, reach = marks(drawn, 1.0, 0.0)
    box = around.getbbox()
    assert box is not None, "the top or the tail is kept clear"
    half = around.height // 2  # the pivot: half an x-height above the baseline
    margin = round(CLEARANCE * drawn.size)
    top, baseline = half - drawn.pivot, half + drawn.pivot
    if cluster in "gq":
        assert box[3] > baseline + margin  # below the baseline
    else:
        assert box[3] <= top + margin + 1  # nothing below the x-height's top
    body = around.crop((0, round(top) + margin + 1, around.width, round(baseline) - margin))
    assert body.getbbox() is None
    assert reach == margin


@pytest.mark.parametrize("font", GLYPH_FONTS, ids=lambda path: path.stem)
@pytest.mark.parametrize("cluster", list("_,.-;:@"))
def test_marks_of_punctuation_are_all_its_ink_and_around(font: Path, cluster: str) -> None:
    drawn = glyph(cluster, font)
    around, reach = marks(drawn, 1.0, 0.0)
    ink = Image.new("L", around.size)
    ink.paste(turned(drawn, 0), (reach, reach))
    assert ink.getbbox() is not None
    assert ImageChops.subtract(ink, around).getbbox() is None  # every ink pixel is marked
    left, top, right, bottom = ink.getbbox()  # type: ignore[misc]
    box = around.getbbox()
    assert box is not None
    assert box[0] < left and box[2] > right and box[1] < top and box[3] > bottom


def test_an_underscore_and_points_are_kept_clear_further_than_the_dot_of_an_i() -> None:
    """A gap as wide as the one round an i's dot, either side of an underscore, reads as
    a break in the lower stroke, which runs at the same height: its gap is several times
    wider. A full stop, comma, colon or semicolon that close to a stroke's cut end reads
    as part of it: their gap is twice as wide. A hyphen keeps the usual gap."""
    font = GLYPH_FONTS[0]
    reach = {c: marks(glyph(c, font), 1.0, 0.0)[1] for c in "_.,;:i-"}
    assert reach["_"] >= 3 * reach["i"]
    assert reach["."] == reach[","] == reach[";"] == reach[":"] >= 2 * reach["i"]
    assert reach["-"] == reach["i"]


def _drawn(
    text: str, noise: Noise, seed: bytes, keep: str, patch: pytest.MonkeyPatch, **off: bool
) -> Image.Image:
    """The noisy image of ``text`` with only the glyphs in ``keep`` drawn (the others
    still placed), without dots and texture; ``strokes=False`` leaves the strokes out,
    ``clear=False`` lets them run anywhere."""
    real = server.render.text.turned

    def only(drawn: Glyph, turn: float) -> Image.Image:
        image = real(drawn, turn)
        return image if drawn.cluster in keep else Image.new("L", image.size)

    patch.setattr(server.render.text, "turned", only)
    patch.setattr(server.render.text, "draw_dots", lambda *_: None)
    patch.setattr(server.render.text, "texture_level", lambda *_: 0)
    if not off.get("strokes", True):
        patch.setattr(server.render.text, "draw_strokes", lambda *_, **__: None)
    if not off.get("clear", True):
        patch.setattr(server.render.text, "has_marks", lambda _: False)
    opts = RenderOptions.build(noise=noise, color="#000000", background="#ffffff")
    return render_text(text, opts, seed).convert("L")


@pytest.mark.parametrize("noise", NOISY, ids=str)
@pytest.mark.parametrize("keep", ["_", ",", ".", "@"])
def test_strokes_leave_the_pixels_of_whole_marks_alone(
    noise: Noise, keep: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Drawn with the strokes, every pixel of the underscore, comma, full stop or at sign
    is as drawn without them; with the clearance off, the strokes run over some of them."""
    text = "first_last, jo.n_mo,re@x.co"
    crossed = 0
    for n in range(30):
        seed = bytes([n]) * 16
        with monkeypatch.context() as patch:
            alone = _drawn(text, noise, seed, keep, patch, strokes=False)
        with monkeypatch.context() as patch:
            stroked = _drawn(text, noise, seed, keep, patch)
        with monkeypatch.context() as patch:
            unclear = _drawn(text, noise, seed, keep, patch, clear=False)
        ink = alone.point(lambda v: 255 if v < 255 else 0)
        assert ink.getbbox() is not None
        assert ImageChops.difference(stroked, alone).getbbox() is not None  # strokes drawn
        assert ImageChops.multiply(ImageChops.difference(stroked, alone), ink).getbbox() is None
        crossed += (
            ImageChops.multiply(ImageChops.difference(unclear, alone), ink).getbbox() is not None
        )
    assert crossed > 0


@pytest.mark.parametrize("noise", NOISY, ids=str)
def test_strokes_are_told_to_keep_clear_only_of_marks(
    noise: Noise, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No clearance image for a text without marks (most cost nothing); one for a dot."""
    cleared: list[tuple[int, int, int, int] | None] = []
    real = server.render.text.draw_strokes

    def spy(*args: object, **kwargs: object) -> None:
        clear = args[8] if len(args) > 8 else kwargs.get("clear")
        assert clear is None or isinstance(clear, Image.Image)
        cleared.append(clear.getbbox() if clear is not None else None)
        real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(server.render.text, "draw_strokes", spy)
    opts = RenderOptions.build(noise=noise)
    render_text("44 20 7946 0958", opts, bytes(16))
    render_text("44 20 7946.0958", opts, bytes(16))
    assert cleared[0] is None
    assert cleared[1] is not None


@pytest.mark.parametrize("noise", NOISY, ids=str)
@pytest.mark.parametrize(
    ("text", "ends"),
    [
        ("78", (True, True)),
        ("$78", (True, True)),
        ("(212) 555", (False, True)),
        ("49,90 €", (True, True)),
        ("(0)", (False, False)),
    ],
)
def test_strokes_start_after_a_sign_or_bracket_at_an_end(
    noise: Noise, text: str, ends: tuple[bool, bool], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Strokes run on past the ends of the text, but where it starts or ends with a glyph
    they keep clear of (a bracket, a dot), they start (or stop) in it or beside it
    instead: a stretch of stroke left before the gap read as a comma or a dash
    ("\\jane"). Signs stay crossed, and strokes run on past them."""
    seen: list[object] = []
    real = server.render.text.draw_strokes

    def spy(*args: object, **kwargs: object) -> None:
        seen.append(args[9] if len(args) > 9 else kwargs.get("ends", (True, True)))
        real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(server.render.text, "draw_strokes", spy)
    render_text(text, RenderOptions.build(noise=noise), bytes(16))
    assert seen == [ends]
