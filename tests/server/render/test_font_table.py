"""server.render.font_table: the helper's metrics table matches the fonts the service draws
with, and the service's images have exactly the helper's sizes."""

from __future__ import annotations

import random
import unicodedata

import pytest
from PIL import Image, ImageChops

import server.render.fonts as fonts
import server.render.text
import tokens.sizes
from server.render.font_table import TABLE_PATH, build_table, main, table_text
from server.render.fonts import FALLBACKS, FAMILIES, covers, font_runs, load_font
from server.render.noise import PROFILES
from server.render.text import render_text
from tokens.options import FONTS, Noise, RenderOptions
from tokens.sizes import TextBox, font_table, image_size, text_box

SEED = bytes(range(16))
#: Text in every script the bundled fonts cover, and some they do not (□).
SAMPLES = [
    "jane.doe@example.com",
    "+44 20 7946 0958",
    "£1,299.00 €12,50 ¥500",
    "AVATAR To ff fi",
    "Ωμέγα Привет",
    "שלום 123",
    "مرحبا بالعالم",
    "ߒߞߏ",
    "नमस्ते",
    "日本語テキスト 한국어",
    "😀 party 🎉 ☎ ✉",
    "e\u0301 n\u0303 a\u0308\u0301",
    "\u0301lead",
    "tab\tnew\nline\u2029",
    "👩\u200d💻 ❤\ufe0f",
    "\u0378\U000e0001",
]


def test_committed_table_is_up_to_date_with_the_fonts() -> None:
    assert TABLE_PATH.read_text(encoding="ascii") == table_text(build_table()), (
        "fonts/ changed: run python -m server.render.font_table"
    )


def test_check_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--check"]) == 0
    assert "is up to date" in capsys.readouterr().out


def test_table_names_the_services_fonts_in_its_order() -> None:
    table = font_table()
    assert {family: font.name for family, font in table.families.items()} == {
        family: path.name for family, path in FAMILIES.items()
    }
    assert [font.name for font in table.fallbacks] == [path.name for path in FALLBACKS]


def test_the_fallback_rule_of_the_table_holds_for_the_font_files() -> None:
    """The service splits runs with the helper's rule, over the table: each base character
    goes to the first of the family, sans and the fallbacks whose font file maps it (as
    its cmap says), else to sans as a □."""
    rng = random.Random(7)
    pool = "".join(SAMPLES)
    texts = [*SAMPLES, *("".join(rng.choices(pool, k=24)) for _ in range(200))]
    for family in FONTS:
        order = [FAMILIES[family], FAMILIES["sans"], *FALLBACKS]
        for text in texts:
            served = font_runs(text, family)
            assert [(path.name, run) for path, run in served] == tokens.sizes.font_runs(
                text, family
            )
            for path, run in served:
                for char in run:
                    if unicodedata.category(char) in fonts.ATTACHED:
                        assert covers(path, char)
                    elif char == tokens.sizes.MISSING:  # drawn, or standing for a missing one
                        assert path == FAMILIES["sans"] or covers(path, char)
                    else:
                        assert path == next(f for f in order if covers(f, char)), (text, char)


def test_the_service_takes_the_helpers_categories() -> None:
    assert fonts.ATTACHED is tokens.sizes.ATTACHED


@pytest.mark.parametrize("family", FONTS)
def test_advances_match_freetype(family: str) -> None:
    """Character by character (no kerning), FreeType's advance at 100 px is the table's
    to its 1/64 px grid."""
    table = font_table()
    for text in SAMPLES:
        for path, run in font_runs(text, family):
            metrics = next(
                f for f in [*table.families.values(), *table.fallbacks] if f.name == path.name
            )
            font = load_font(path, 100)
            base = ""
            for char in run:
                expected = 100 * (metrics.advance(ord(char)) or 0) / metrics.units_per_em
                if unicodedata.category(char) in fonts.ATTACHED:  # measured on its base
                    drawn = font.getlength(base + char) - font.getlength(base)
                else:
                    drawn, base = font.getlength(char), char
                assert drawn == pytest.approx(expected, abs=1 / 64 + 1e-9), char


@pytest.mark.parametrize("noise", [Noise.LOW, Noise.MEDIUM, Noise.HIGH], ids=str)
def test_noise_room_covers_the_noise_profiles(noise: Noise) -> None:
    """The helper's room for noise (tokens.sizes.NOISE_ROOM) is what the noise draws in:
    above and below the line, 0.7 of the zigzag's band (where its corners mostly
    reach); across, less than the straight line, the steeper the path the less."""
    room, profile = tokens.sizes.NOISE_ROOM[noise], PROFILES[noise]
    assert room.slack == pytest.approx(0.7 * profile.band, abs=0.005)
    assert -0.2 < room.tracking < 0.1


def test_noisier_levels_take_less_width() -> None:
    """Steeper paths climb more and run less far; at ``high``, as steep as ``medium``,
    the wider band's slack adds more room at the ends."""
    rooms = [tokens.sizes.NOISE_ROOM[level] for level in (Noise.LOW, Noise.MEDIUM, Noise.HIGH)]
    assert [r.tracking for r in rooms] == sorted((r.tracking for r in rooms), reverse=True)


@pytest.mark.parametrize("density", [1, 2, 3])
@pytest.mark.parametrize("noise", list(Noise), ids=str)
@pytest.mark.parametrize("family", FONTS)
def test_render_text_has_the_helpers_size(family: str, noise: Noise, density: int) -> None:
    for text in SAMPLES:
        opts = RenderOptions(font=family, noise=noise, size=13)
        image = render_text(text, opts, SEED, density)
        assert image.size == image_size(text, opts, density), text


def ink_columns(image: Image.Image, opts: RenderOptions) -> tuple[int, int]:
    background = Image.new("RGBA", image.size, (*(opts.background or (0, 0, 0)), 255))
    box = ImageChops.difference(image.convert("RGBA"), background).convert("L").getbbox()
    assert box is not None
    return box[0], box[2]


@pytest.mark.parametrize("density", [1, 2])
@pytest.mark.parametrize("text", SAMPLES[:11])
def test_the_line_is_drawn_inside_the_box(text: str, density: int) -> None:
    """Without noise, the ink stays inside the padding (kerning and shaping narrow the
    line: it is centred)."""
    opts = RenderOptions(noise=Noise.NONE, size=24, padding=10)
    image = render_text(text, opts, SEED, density)
    left, right = ink_columns(image, opts)
    pad = opts.padding * density
    assert left >= pad - density and right <= image.width - pad + density, (left, right)


@pytest.mark.parametrize("text", ["Hello world", "مرحبا بالعالم", "日本語"])
def test_a_line_wider_than_its_box_shrinks_to_fit(
    text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When shaping makes the line wider than the advances say, the text shrinks: the
    box is what the page reserved and never changes."""
    opts = RenderOptions(noise=Noise.NONE, size=24, padding=10)
    real = text_box(text, opts)
    narrow = TextBox(
        width=real.width - real.room // 4,
        height=real.height,
        edge=real.edge,
        ascent=real.ascent,
        descent=real.descent,
        line=real.line * 0.75,
    )
    monkeypatch.setattr(server.render.text, "text_box", lambda *_: narrow)
    image = render_text(text, opts, SEED, 2)
    assert image.size == narrow.size(2)
    left, right = ink_columns(image, opts)
    assert left >= 2 * opts.padding - 2 and right <= image.width - 2 * opts.padding + 2
