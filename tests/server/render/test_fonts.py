"""Tests for server.render.fonts: bundled files, fallback runs, metrics and real rendered pixels."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageDraw, ImageFont, features

from server.render.fonts import (
    ATTACHED,
    FALLBACKS,
    FAMILIES,
    FONTS_DIR,
    GLYPH_FONTS,
    TextRun,
    covers,
    draw_runs,
    line_metrics,
    load_font,
    measure,
    split_runs,
    x_height,
)

SIZE = 32
BOX = "\u25a1"
CJK, EMOJI = FALLBACKS

LICENCES = {
    "DejaVuSans.ttf": "LICENSE-DejaVu.txt",
    "DejaVuSerif.ttf": "LICENSE-DejaVu.txt",
    "DejaVuSansMono.ttf": "LICENSE-DejaVu.txt",
    "Lato-Regular.ttf": "LICENSE-Lato.txt",
    "DroidSansFallback.ttf": "LICENSE-DroidSansFallback.txt",
    "Symbola_hint.ttf": "LICENSE-Symbola.txt",
    "Andika-Regular.ttf": "LICENSE-Andika.txt",
    "Cantarell-Regular.otf": "LICENSE-Cantarell.txt",
    "CharisSIL-Regular.ttf": "LICENSE-CharisSIL.txt",
    "ComicNeue-Regular.otf": "LICENSE-ComicNeue.txt",
    "LiberationSans-Regular.ttf": "LICENSE-Liberation.txt",
    "LiberationSerif-Regular.ttf": "LICENSE-Liberation.txt",
    "LinBiolinum_R.otf": "LICENSE-LinuxLibertine.txt",
    "OpenSans-Regular.ttf": "LICENSE-OpenSans.txt",
    "texgyreschola-regular.otf": "LICENSE-TeXGyre.txt",
}


def run_of(text: str, path: Path) -> TextRun:
    """The run split_runs makes for ``text`` in the font file ``path`` at SIZE."""
    return TextRun(text, load_font(path, SIZE), path)


def render(runs: list[TextRun], family: str = "sans") -> tuple[Image.Image, int]:
    """Draw the runs on a black line image with padding; return it and the baseline row."""
    ascent, descent = line_metrics(runs, family, SIZE)
    pad = 4
    width = math.ceil(measure(runs)) + 2 * pad
    image = Image.new("L", (width, ascent + descent + 2 * pad), 0)
    baseline = pad + ascent
    end = draw_runs(ImageDraw.Draw(image), pad, baseline, runs, 255)
    assert end == pytest.approx(pad + measure(runs))
    return image, baseline


def has_ink(image: Image.Image) -> bool:
    """True if anything was drawn."""
    return image.getbbox() is not None


def test_family_order_and_names() -> None:
    assert list(FAMILIES) == ["sans", "serif", "mono", "lato"]
    repo_fonts = Path(__file__).resolve().parents[3] / "fonts"
    assert repo_fonts == FONTS_DIR


def test_bundled_fonts_exist_with_licences() -> None:
    for path in (*FAMILIES.values(), *FALLBACKS, *GLYPH_FONTS):
        assert path.is_file(), path
        assert path.parent == FONTS_DIR
        licence = FONTS_DIR / LICENCES[path.name]
        assert licence.is_file(), licence
        assert licence.stat().st_size > 500
    assert (FONTS_DIR / "README.md").is_file()


def test_fonts_folder_holds_only_bundled_files() -> None:
    expected = {*LICENCES, *LICENCES.values(), "README.md"}
    assert {p.name for p in FONTS_DIR.iterdir()} == expected


@pytest.mark.parametrize("family", list(FAMILIES))
def test_each_family_renders_hello(family: str) -> None:
    runs = split_runs("Hello", family, SIZE)
    assert runs == [run_of("Hello", FAMILIES[family])]
    assert runs[0].path == FAMILIES[family]
    image, _ = render(runs, family)
    assert has_ink(image)


@pytest.mark.parametrize("family", list(FAMILIES))
def test_latin_uses_family(family: str) -> None:
    runs = split_runs("Glyph veil 123", family, SIZE)
    assert [run.font for run in runs] == [load_font(FAMILIES[family], SIZE)]
    assert [run.path for run in runs] == [FAMILIES[family]]


@pytest.mark.parametrize("text", ["你好", "こんにちは", "한국어"])
def test_cjk_uses_fallback_with_ink(text: str) -> None:
    runs = split_runs(text, "sans", SIZE)
    assert runs == [run_of(text, CJK)]
    image, _ = render(runs)
    assert has_ink(image)
    boxes, _ = render(split_runs(BOX * len(text), "sans", SIZE))
    assert image.size != boxes.size or ImageChops.difference(image, boxes).getbbox()


def test_emoji_uses_emoji_fallback_with_ink() -> None:
    runs = split_runs("🙂", "lato", SIZE)
    assert runs == [run_of("🙂", EMOJI)]
    image, _ = render(runs, "lato")
    assert has_ink(image)


def test_mixed_scripts_make_consecutive_runs() -> None:
    runs = split_runs("Hi 你好 🙂!", "serif", SIZE)
    serif = FAMILIES["serif"]
    assert runs == [
        run_of("Hi ", serif),
        run_of("你好", CJK),
        run_of(" ", serif),
        run_of("🙂", EMOJI),
        run_of("!", serif),
    ]
    assert [run.path for run in runs] == [serif, CJK, serif, EMOJI, serif]


@pytest.mark.parametrize("char", ["\U000f0000", "\ue000", "\U0010ffff", "\u0378"])
def test_uncovered_char_becomes_visible_box(char: str) -> None:
    assert not any(covers(p, char) for p in (*FAMILIES.values(), *FALLBACKS))
    runs = split_runs(f"a{char}b", "lato", SIZE)
    sans, lato = FAMILIES["sans"], FAMILIES["lato"]
    assert runs == [run_of("a", lato), run_of(BOX, sans), run_of("b", lato)]
    image, _ = render(split_runs(char, "lato", SIZE), "lato")
    assert has_ink(image)


@pytest.mark.parametrize("family", list(FAMILIES))
def test_accented_capital_shares_line_metrics_and_baseline(family: str) -> None:
    accented, plain = split_runs("É", family, SIZE), split_runs("E", family, SIZE)
    assert line_metrics(accented, family, SIZE) == line_metrics(plain, family, SIZE)
    (image_a, base_a), (image_p, base_p) = render(accented, family), render(plain, family)
    box_a, box_p = image_a.getbbox(), image_p.getbbox()
    assert image_a.size == image_p.size and base_a == base_p
    assert box_a is not None and box_p is not None
    assert box_a[3] == box_p[3]  # same bottom row: same baseline
    assert box_a[1] < box_p[1]  # the accent reaches higher, inside the same line
    assert box_a[1] >= 0


def test_line_metrics_cover_fallback_fonts() -> None:
    runs = split_runs("a你🙂", "lato", SIZE)
    ascent, descent = line_metrics(runs, "lato", SIZE)
    for path in (FAMILIES["lato"], CJK, EMOJI):
        font_ascent, font_descent = load_font(path, SIZE).getmetrics()
        assert ascent >= font_ascent and descent >= font_descent


def test_combining_mark_stays_in_one_run() -> None:
    runs = split_runs("e\u0301", "sans", SIZE)
    assert runs == [run_of("e\u0301", FAMILIES["sans"])]
    with_mark, _ = render(runs)
    without, _ = render(split_runs("e", "sans", SIZE))
    assert with_mark.size == without.size
    assert ImageChops.difference(with_mark, without).getbbox() is not None


def test_zwj_and_variation_selector_stay_with_previous_font() -> None:
    family = "👨\u200d👩\u200d👧"
    assert split_runs(family, "sans", SIZE) == [run_of(family, EMOJI)]
    heart = "\u2764\ufe0f"
    runs = split_runs(heart, "lato", SIZE)
    assert len(runs) == 1 and runs[0].text == heart


def test_attached_categories_include_spacing_marks() -> None:
    assert {"Mn", "Me", "Mc", "Cf"} == ATTACHED


def test_spacing_mark_stays_in_one_run() -> None:
    """U+1D165 MUSICAL SYMBOL COMBINING STEM is a spacing mark (Mc) only Symbola has."""
    stem, notehead = "\U0001d165", "\U0001d158"
    assert covers(EMOJI, stem) and covers(EMOJI, notehead)
    assert split_runs(notehead + stem, "sans", SIZE) == [run_of(notehead + stem, EMOJI)]
    # After a letter in sans, which lacks it, it is dropped like any mark: not a new run.
    assert not covers(FAMILIES["sans"], stem)
    assert split_runs("a" + stem, "sans", SIZE) == [run_of("a", FAMILIES["sans"])]
    assert split_runs("a\u093e", "sans", SIZE) == [run_of("a", FAMILIES["sans"])]  # ा is Mc


def test_mark_dropped_when_previous_font_lacks_it() -> None:
    assert not covers(CJK, "\u0301")
    assert split_runs("你\u0301", "sans", SIZE) == [run_of("你", CJK)]


def test_leading_mark_is_dropped() -> None:
    assert split_runs("\u0301x", "sans", SIZE) == [run_of("x", FAMILIES["sans"])]


def test_control_characters_dropped() -> None:
    runs = split_runs("a\tb\nc\r\x00d\x7f", "mono", SIZE)
    assert runs == [run_of("abcd", FAMILIES["mono"])]
    assert split_runs("\n\t", "mono", SIZE) == []


def test_line_and_paragraph_separators_dropped() -> None:
    """Raqm cannot lay out U+2029 at all; a line has no breaks, so both go."""
    runs = split_runs("a\u2028b\u2029c", "sans", SIZE)
    assert runs == [run_of("abc", FAMILIES["sans"])]
    assert split_runs("\u2029", "sans", SIZE) == []
    assert measure(split_runs("x\u2029", "sans", SIZE)) > 0


def test_empty_runs_measure_zero() -> None:
    assert measure([]) == 0.0
    assert line_metrics([], "sans", SIZE) == load_font(FAMILIES["sans"], SIZE).getmetrics()


def test_load_font_is_cached() -> None:
    assert load_font(FAMILIES["sans"], 20) is load_font(FAMILIES["sans"], 20)
    assert load_font(FAMILIES["sans"], 20) is not load_font(FAMILIES["sans"], 21)


def test_unknown_family_raises_key_error() -> None:
    with pytest.raises(KeyError):
        split_runs("x", "comic", SIZE)
    with pytest.raises(KeyError):
        split_runs("", "comic", SIZE)
    with pytest.raises(KeyError):
        line_metrics([], "comic", SIZE)


@pytest.mark.parametrize("family", list(FAMILIES))
def test_double_size_is_twice_as_wide_to_under_a_pixel(family: str) -> None:
    """What load_font promises: close to, though not exactly, twice as wide."""
    for text in ("jane@example.com", "Call 555-0100", "Glyph veil 123"):
        one, two = (measure(split_runs(text, family, size)) for size in (16, 32))
        assert abs(two - 2 * one) < 1


def test_family_without_a_script_falls_back_to_sans_before_the_box() -> None:
    runs = split_runs("שלום", "serif", 20)
    assert [(run.text, run.path) for run in runs] == [("שלום", FAMILIES["sans"])]


# glyph fonts for noisy text

#: What every glyph font covers: Latin with accents, digits, punctuation, currency signs.
GLYPH_CHARACTERS = (
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    "@.,:;-_+()[]/&%#!?'\"$€£¥ éèüößçñøåÉÜ"
)


def test_glyph_fonts_are_the_families_and_nine_more() -> None:
    assert GLYPH_FONTS[: len(FAMILIES)] == tuple(FAMILIES.values())
    assert len(GLYPH_FONTS) == len(set(GLYPH_FONTS)) == len(FAMILIES) + 9
    assert not set(GLYPH_FONTS) & set(FALLBACKS)


@pytest.mark.parametrize("path", GLYPH_FONTS, ids=lambda p: p.name)
def test_glyph_fonts_cover_latin_digits_and_currency(path: Path) -> None:
    missing = [char for char in GLYPH_CHARACTERS if not covers(path, char)]
    assert not missing


@pytest.mark.parametrize("path", GLYPH_FONTS, ids=lambda p: p.name)
def test_glyph_fonts_draw_the_digits_distinctly(path: Path) -> None:
    """Ten different shapes: a font that drew a digit as a box or a blank would not do."""
    font = load_font(path, SIZE)
    shapes = set()
    for digit in "0123456789":
        image = Image.new("L", (SIZE, 2 * SIZE))
        ImageDraw.Draw(image).text((2, 1.5 * SIZE), digit, font=font, fill=255, anchor="ls")
        assert has_ink(image)
        shapes.add(image.tobytes())
    assert len(shapes) == 10


def test_x_height_is_measured_from_the_x() -> None:
    for path in GLYPH_FONTS:
        assert 0.4 < x_height(path) < 0.6
        box = load_font(path, 100).getbbox("x", anchor="ls")
        assert x_height(path) == pytest.approx(-box[1] / 100, abs=0.02)
    assert x_height(FAMILIES["sans"]) > x_height(FONTS_DIR / "LiberationSerif-Regular.ttf")


def test_noise_only_fonts_are_subset_small() -> None:
    extra = [path for path in GLYPH_FONTS if path not in FAMILIES.values()]
    assert sum(path.stat().st_size for path in extra) < 400_000
    assert all(not covers(path, "日") for path in extra)


@pytest.mark.parametrize("cluster", ["a", "W", "@", "e\u0301", "日"])
@pytest.mark.parametrize("size", [9, 24, 61])
def test_glyph_advance_and_box_are_the_fonts_cached(cluster: str, size: int) -> None:
    """A lone character measured without raqm, a cluster with marks through raqm, as drawn."""
    from server.render.fonts import glyph_advance, glyph_box, glyph_font

    path = FAMILIES["sans"] if cluster != "日" else FALLBACKS[0]
    font = glyph_font(path, size, cluster)
    wanted = ImageFont.Layout.BASIC if len(cluster) == 1 else ImageFont.Layout.RAQM
    if len(cluster) > 1 and not features.check("raqm"):
        wanted = ImageFont.Layout.BASIC
    assert font.layout_engine == wanted
    assert glyph_advance(path, size, cluster) == font.getlength(cluster)
    assert glyph_box(path, size, cluster) == font.getbbox(cluster, anchor="ls")
    assert glyph_advance(path, size, cluster) == glyph_advance(path, size, cluster)
