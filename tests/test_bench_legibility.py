"""The legibility bench's strings, renders and scores (bench/legibility_suite.py).

Everything the bench does except training and running the recognizer, in the
project's own venv: no torch, no numpy.
"""

from __future__ import annotations

import random
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from bench.legibility_suite import (
    CHARSET,
    INPUT_HEIGHT,
    LEVELS,
    LOST,
    Item,
    Scores,
    aligned_segments,
    character_error_rate,
    confusable_pairs,
    confusions,
    contact_sheet,
    corpus_signs,
    fingerprint,
    forced_font,
    held_out_items,
    held_out_keys,
    key_for,
    levenshtein,
    model_input,
    pair_rates,
    render,
    suite,
    suite_fonts,
    suite_items,
    training_items,
    validation_items,
)
from bench.ocr_corpus import build_corpus
from server.render import style as style_module
from server.render import text as text_module
from server.render.fonts import FAMILIES, GLYPH_FONTS
from tokens.options import FONTS, Noise, RenderOptions
from tokens.sizes import text_box

# -- the suite ------------------------------------------------------------------------


def test_suite_has_every_confusable_the_targets_name() -> None:
    texts = [entry.text for entry in suite()]
    joined = "\n".join(texts)
    for needed in ("_", " ", "-", ".", ",", "l", "1", "I", "i", "|", "O", "0", "o"):
        assert needed in joined
    for pair in ("rn", "m", "cl", "d", "vv", "w", "5", "S", "8", "B", "2", "Z", "6", "b"):
        assert pair in joined
    for char in "9gq":
        assert char in joined
    assert "(555)" in joined  # grouped digits
    assert any(t.count(" ") >= 3 and sum(c.isdigit() for c in t) >= 9 for t in texts)
    assert "£1,299.00" in texts  # comma and period in a price
    assert len(texts) == len(set(texts))


def test_suite_has_every_currency_sign_of_the_ocr_corpus() -> None:
    prices = [s.text for s in build_corpus(3000, 8, FONTS) if s.category == "price"]
    signs = corpus_signs()
    assert {"$", "€", "£", "¥", "₹", "₽"} <= set(signs)
    assert all(any(sign in price for price in prices) for sign in signs)
    currency = [e.text for e in suite() if e.group == "currency"]
    for sign in signs:
        assert any(text.startswith(sign) for text in currency)  # before the amount
        assert any(text.endswith(sign) for text in currency)  # and after it


def test_suite_is_drawn_in_every_font_each_level_mixes() -> None:
    assert suite_fonts("none") == [FAMILIES[f].name for f in FONTS]
    for level in ("low", "medium", "high"):
        assert suite_fonts(level) == [p.name for p in GLYPH_FONTS]
    for level in LEVELS:
        items = suite_items(level, 2)
        assert len(items) == len(suite()) * len(suite_fonts(level))
        assert {i.density for i in items} == {2} and {i.level for i in items} == {level}
        for entry in suite():
            fonts = {i.glyph_font or i.font for i in items if i.text == entry.text}
            assert len(fonts) == len(suite_fonts(level))
    assert {i.font for i in suite_items("none", 1)} == set(FONTS)


def test_every_suite_and_corpus_character_is_in_the_charset() -> None:
    assert set("".join(e.text for e in suite())) <= set(CHARSET)
    assert set("".join(s.text for s in build_corpus(900, 3, FONTS))) <= set(CHARSET)
    assert len(CHARSET) == len(set(CHARSET))


# -- training and held-out sets ---------------------------------------------------------


def test_training_items_are_reproducible_varied_and_within_the_charset() -> None:
    items = training_items(random.Random(5), 400)
    assert items == training_items(random.Random(5), 400)
    assert len({i.key for i in items}) == 400  # a fresh key per image
    assert set(Counter(i.level for i in items)) == set(LEVELS)
    assert {i.density for i in items} == {1, 2}
    assert {i.font for i in items} == set(FONTS)
    assert all(set(i.text) <= set(CHARSET) and i.text == i.text.strip() for i in items)
    assert not any("  " in i.text for i in items)
    assert sum("@" in i.text for i in items) > 40  # corpus emails among random strings


def test_held_out_strings_and_keys_never_occur_in_training() -> None:
    test = held_out_items(60, levels=("medium",), densities=(1,))
    validation = validation_items(100)
    excluded = frozenset(i.text for i in test + validation) | {e.text for e in suite()}
    training = training_items(random.Random(9), 3000, excluded)
    assert not {i.text for i in training} & excluded
    held_keys = set(held_out_keys(1919)) | set(held_out_keys(2024))
    assert not {i.key for i in training} & held_keys
    assert not set(held_out_keys(1919)) & set(held_out_keys(2024))
    assert {i.key for i in test} <= set(held_out_keys(1919))


def test_held_out_items_cover_every_level_and_density() -> None:
    items = held_out_items(30)
    assert len(items) == 30 * len(LEVELS) * 2
    assert Counter((i.level, i.density) for i in items) == {
        (level, density): 30 for level in LEVELS for density in (1, 2)
    }


def test_keys_are_valid_glyphveil_keys() -> None:
    import tokens

    key = key_for(random.Random(1))
    assert len(key) == 43
    tokens.KeyRing([key])  # parses


# -- rendering through the service's path ---------------------------------------------


def test_render_is_the_served_png_of_the_token() -> None:
    item = Item("first_last@example.com", "sans", 16, "medium", 1, key_for(random.Random(2)))
    image = render(item)
    assert image.format == "PNG"
    options = RenderOptions(size=16, noise=Noise.MEDIUM)
    assert image.size == text_box(item.text, options).size(1)
    again = render(item)
    assert again.tobytes() == image.tobytes()  # deterministic per token
    other = render(Item(item.text, "sans", 16, "medium", 1, key_for(random.Random(3))))
    assert other.tobytes() != image.tobytes()  # another key, another drawing
    twice = render(Item(item.text, "sans", 16, "medium", 2, item.key))
    assert twice.size == (2 * image.width, 2 * image.height)


def test_forced_font_draws_with_one_font_and_restores_the_style() -> None:
    before = (text_module.style_for, style_module.style_for)
    key = key_for(random.Random(4))
    plain = render(Item("O0o l1I", "sans", 16, "medium", 1, key))
    forced = {
        font: render(Item("O0o l1I", "sans", 16, "medium", 1, key, font)).tobytes()
        for font in ("ComicNeue-Regular.otf", "DejaVuSerif.ttf")
    }
    assert len(set(forced.values())) == 2
    assert plain.tobytes() not in forced.values()
    assert (text_module.style_for, style_module.style_for) == before
    with pytest.raises(ValueError, match="unknown glyph font"), forced_font("Nope.ttf"):
        pass


def test_model_input_is_ink_bright_at_the_input_height() -> None:
    image = render(Item("Hello", "sans", 24, "none", 2, key_for(random.Random(6))))
    seen = model_input(image)
    assert seen.mode == "L" and seen.height == INPUT_HEIGHT
    assert abs(seen.width / seen.height - image.width / image.height) < 0.1
    low, high = seen.getextrema()
    assert low == 0 and high > 200  # background black, ink bright
    histogram = seen.histogram()
    assert histogram.index(max(histogram)) == 0


def test_fingerprint_is_stable_for_one_rendering() -> None:
    first = fingerprint()
    assert first == fingerprint()
    assert len(first) == 16 and int(first, 16) >= 0


def test_contact_sheet_shows_every_suite_string_in_every_font(tmp_path) -> None:
    path = tmp_path / "sheet.png"
    contact_sheet("none", 1, path)
    sheet = Image.open(path)
    assert sheet.mode == "L"
    rows = len(suite())
    assert sheet.height > rows * 20
    assert sheet.width > len(suite_fonts("none")) * 60


# -- scores -----------------------------------------------------------------------------


def test_levenshtein_and_cer_count_spaces_and_case() -> None:
    assert levenshtein("kitten", "sitting") == 3
    assert character_error_rate("a b", "ab") == pytest.approx(1 / 3)
    assert character_error_rate("Ab", "ab") == 0.5
    assert character_error_rate("ab", "ab") == 0.0
    assert character_error_rate("ab", "a long wrong reading") == 1.0
    with pytest.raises(ValueError, match="no characters"):
        character_error_rate("", "x")


def test_aligned_segments_tell_what_stands_for_each_character() -> None:
    assert aligned_segments("first_last", "first last") == list("first last")
    assert aligned_segments("a_b", "ab") == ["a", "", "b"]
    assert aligned_segments("modern", "modem") == ["m", "o", "d", "e", "", "m"]
    assert aligned_segments("ab", "xaby") == ["xa", "by"]
    assert aligned_segments("", "") == []


@given(st.text(alphabet="ab_ l1", max_size=8), st.text(alphabet="ab_ l1", max_size=8))
def test_aligned_segments_always_rebuild_the_reading(truth: str, reading: str) -> None:
    segments = aligned_segments(truth, reading)
    assert len(segments) == len(truth)
    if truth:
        assert "".join(segments) == reading
    edits = sum(seg != char for char, seg in zip(truth, segments, strict=True))
    assert edits >= levenshtein(truth, reading) - len(reading)  # never hides a mistake


def test_confusions_count_what_each_character_was_taken_for() -> None:
    occurrences, mistaken = confusions("bill1@il1.io", "bi71 1@i(7io")
    assert occurrences["l"] == 3 and occurrences["1"] == 2 and occurrences["."] == 1
    assert sum(mistaken.values()) >= 4
    assert confusions("a.b_c", "ab c")[1] == Counter({(".", LOST): 1, ("_", " "): 1})
    assert confusions("abc", "abc")[1] == Counter()


def test_pair_rates_are_per_occurrence_of_the_first_of_the_pair() -> None:
    readings = [
        ("modern rn", "modem m"),
        ("l1Ii", "1lIi"),
        ("a b", "ab"),
        ("£1,299.00", "£1.299.00"),
    ]
    rates = {(p.a, p.b): p for p in pair_rates(readings)}
    assert rates[("rn", "m")].mistaken == 2 and rates[("rn", "m")].occurrences == 2
    assert rates[("l", "1")].rate == 1.0
    assert rates[("1", "l")].mistaken == 1 and rates[("1", "l")].occurrences == 2  # £1,299
    assert rates[("I", "l")].mistaken == 0
    assert rates[(" ", "")].mistaken == 1 and rates[(" ", "")].occurrences == 2
    assert rates[(",", ".")].mistaken == 1
    assert rates[("£", "")].mistaken == 0 and rates[("£", "")].occurrences == 1
    assert ("w", "vv") in confusable_pairs() and ("vv", "w") in confusable_pairs()
    ordered = [p.rate for p in rates.values()]
    assert ordered == sorted(ordered, reverse=True)


def test_scores_add_up_exact_reads_cer_and_top_mistakes() -> None:
    scores = Scores()
    scores.add("O0o", "O0o")
    scores.add("O0o", "OOo")
    scores.add("a_b", "a b")
    scores.add("a_b", "a b")
    assert scores.strings == 4 and scores.exact == 1 and scores.exact_rate == 0.25
    assert scores.cer == pytest.approx((0 + 1 / 3 + 1 / 3 + 1 / 3) / 4)
    assert scores.top(1) == [("_", " ", 2, 1.0)]
    assert ("0", "O", 1, 0.5) in scores.top(5)


def test_training_items_can_favour_the_easy_levels() -> None:
    easy = training_items(random.Random(7), 300, level_weights={"none": 1.0, "low": 1.0})
    assert {i.level for i in easy} == {"none", "low"}
