"""The OCR bench's corpus and scoring (bench/ocr_corpus.py): pure functions, no OCR models."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from bench.ocr_corpus import (
    CATEGORIES,
    SIZES,
    build_corpus,
    character_error_rate,
    is_read,
    letters_and_digits,
    levenshtein,
    short_corpus,
)
from tokens.options import FONTS

EMAIL = re.compile(r"^[a-z0-9._+-]+@[a-z0-9-]+(\.[a-z0-9-]+)+$")


def test_corpus_is_the_same_for_the_same_seed() -> None:
    assert build_corpus(300, 8, FONTS) == build_corpus(300, 8, FONTS)
    assert build_corpus(300, 8, FONTS) != build_corpus(300, 9, FONTS)


def test_corpus_has_equal_thirds_of_each_category() -> None:
    corpus = build_corpus(300, 8, FONTS)
    assert Counter(sample.category for sample in corpus) == dict.fromkeys(CATEGORIES, 100)
    assert [sample.index for sample in corpus] == list(range(300))


def test_corpus_uses_every_font_for_every_category_and_sizes_12_to_24() -> None:
    corpus = build_corpus(300, 8, FONTS)
    for category in CATEGORIES:
        fonts = Counter(sample.font for sample in corpus if sample.category == category)
        assert set(fonts) == set(FONTS)
        assert max(fonts.values()) - min(fonts.values()) <= 1
    assert {sample.size for sample in corpus} <= set(SIZES)
    assert min(SIZES) == 12 and max(SIZES) == 24
    assert len({sample.size for sample in corpus}) >= 10


def test_corpus_strings_are_unique_and_shaped_like_their_category() -> None:
    corpus = build_corpus(300, 8, FONTS)
    assert len({sample.text for sample in corpus}) == 300
    emails = [s.text for s in corpus if s.category == "email"]
    phones = [s.text for s in corpus if s.category == "phone"]
    prices = [s.text for s in corpus if s.category == "price"]
    assert all(EMAIL.match(email) for email in emails)
    locals_ = [email.split("@")[0] for email in emails]
    assert any("." in part for part in locals_) and any(c.isdigit() for c in "".join(locals_))
    assert len({email.split("@")[1].rsplit(".", 1)[-1] for email in emails}) >= 8  # TLDs
    assert all(sum(c.isdigit() for c in phone) >= 9 for phone in phones)
    assert len({phone.split(" ")[0] for phone in phones if phone.startswith("+")}) >= 8
    assert all(any(c.isdigit() for c in price) for price in prices)
    signs = {
        sign
        for sign in ("$", "€", "£", "¥", "CHF", "kr", "R$", "₹", "zł")
        if any(sign in price for price in prices)
    }
    assert len(signs) >= 6


def test_corpus_size_must_split_into_thirds() -> None:
    with pytest.raises(ValueError, match="multiple of 3"):
        build_corpus(100, 8, FONTS)
    with pytest.raises(ValueError, match="multiple of 3"):
        build_corpus(0, 8, FONTS)
    with pytest.raises(ValueError, match="no fonts"):
        build_corpus(3, 8, ())


def test_short_corpus_is_the_corpus_short_strings_in_order() -> None:
    short = short_corpus(60, 8, FONTS, 5)
    assert len(short) == 60 and all(len(sample.text) <= 5 for sample in short)
    assert len({sample.index for sample in short}) == 60
    full = build_corpus(300, 8, FONTS)
    first = [sample for sample in full if len(sample.text) <= 5]
    assert short[: len(first)] == first  # the full corpus's own short strings come first
    assert [s.text for s in first][:3] == ["$78", "€ 14", "229 ₽"]
    assert short_corpus(60, 8, FONTS, 5) == short


def test_short_corpus_refuses_what_it_cannot_give() -> None:
    with pytest.raises(ValueError, match="positive"):
        short_corpus(0, 8, FONTS, 5)
    with pytest.raises(ValueError, match="positive"):
        short_corpus(10, 8, FONTS, 0)
    with pytest.raises(ValueError, match="fewer than 10 strings of at most 1 characters"):
        short_corpus(10, 8, FONTS, 1)  # the shortest price has a sign and a digit


@pytest.mark.parametrize(
    ("truth", "reading"),
    [
        ("jane.doe@example.com", "jane.doe@example.com"),
        ("jane.doe@example.com", "Jane.Doe @ Example.com"),  # spaces and case
        ("jane.doe@example.com", "janedoe example com"),  # letters and digits in order
        ("+1 (363) 277-9320", "+13632779320"),
        ("+1 (363) 277-9320", "+1（363）277－9320"),  # full-width, as PP-OCR gives
        ("$1,299.00", "129900"),
        ("49,90 €", "49.90€"),
        ("¥12,800", "12800"),
    ],
)
def test_read_ignores_spaces_case_and_punctuation(truth: str, reading: str) -> None:
    assert is_read(truth, reading)


@pytest.mark.parametrize(
    ("truth", "reading"),
    [
        ("tomasz.w@outlook.de", "topaszw@outiook.de"),  # two letters wrong
        ("+1 363 277 932", "+1 363 277 93"),  # a digit missing
        ("+1 363 277 932", "+1 363 277 9322"),  # a digit too many
        ("$19.99", "$19.90"),
        ("9 437 ₽", "9437P"),  # a letter the string does not have
        ("$19.99", ""),
        ("$19.99", "   "),
        ("info@acme.io", "acme.io info@"),  # out of order
    ],
)
def test_near_misses_are_not_read(truth: str, reading: str) -> None:
    assert not is_read(truth, reading)


def test_letters_and_digits_keep_order_and_drop_the_rest() -> None:
    assert letters_and_digits("A.b-1 (2)@Ç") == "ab12ç"
    assert letters_and_digits("１２３") == "123"  # full-width digits, as PP-OCR may give


def test_levenshtein_counts_edits() -> None:
    assert levenshtein("", "") == 0
    assert levenshtein("abc", "") == 3
    assert levenshtein("", "abc") == 3
    assert levenshtein("kitten", "sitting") == 3
    assert levenshtein("sitting", "kitten") == 3


def test_character_error_rate_is_per_truth_character_and_capped() -> None:
    assert character_error_rate("ab cd", "AB CD") == 0
    assert character_error_rate("abcd", "abcx") == 0.25
    assert character_error_rate("abcd", "") == 1.0
    assert character_error_rate("ab", "a very long wrong reading") == 1.0
    with pytest.raises(ValueError, match="no characters"):
        character_error_rate("  ", "x")
