"""Tests for tokens.text: which code points a token's text may hold (docs/tokens.md §3.3)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tokens import OptionError
from tokens.text import MAX_TEXT_BYTES, REFUSED_RANGES, check_text, first_refused


def _refused(point: int) -> bool:
    return any(lo <= point <= hi for lo, hi, _ in REFUSED_RANGES)


@pytest.mark.parametrize(("lo", "hi", "what"), REFUSED_RANGES)
def test_every_refused_range_is_refused_to_its_edges(lo: int, hi: int, what: str) -> None:
    for point in {lo, (lo + hi) // 2, hi}:
        with pytest.raises(OptionError) as info:
            check_text("ab" + chr(point))
        assert str(info.value) == (
            f"text holds U+{point:04X}, {what} at character 2: "
            "a token's text is one line of printable characters"
        )
    for neighbour in (lo - 1, hi + 1):
        if 0 <= neighbour <= 0x10FFFF and not _refused(neighbour):
            assert check_text(chr(neighbour)) == chr(neighbour).encode()


def test_the_examples_of_the_spec() -> None:
    for text in ["\0", "\t", "\n", "\r", "\x7f", "\x85", "\u202e", "\u2066", "\u200f", "\ufeff"]:
        assert first_refused("jane" + text) is not None
    for text in [" ", "\u00a0", "\u200b", "\u200c", "\u200d", "\ufe0f", "\ue000", "\u0301"]:
        assert first_refused("jane" + text) is None


@given(st.text(st.characters(codec="utf-8"), min_size=1, max_size=60))
def test_first_refused_agrees_with_the_ranges(text: str) -> None:
    expected = next((i for i, char in enumerate(text) if _refused(ord(char))), None)
    found = first_refused(text)
    assert (found.start() if found else None) == expected


def test_a_surrogate_pair_is_not_a_lone_surrogate() -> None:
    # a str holds code points: the pair U+D83D U+DE00 only exists as the one code point
    assert check_text("\U0001f600") == "\U0001f600".encode()
    with pytest.raises(OptionError, match="U\\+D83D, a lone surrogate"):
        check_text("\ud83d\ude00")  # two lone surrogates, as from a bad decoder


def test_length_in_bytes_and_type() -> None:
    assert check_text("x" * MAX_TEXT_BYTES) == b"x" * MAX_TEXT_BYTES
    for bad in ["", "x" * (MAX_TEXT_BYTES + 1), "€" * 86]:
        with pytest.raises(OptionError, match="text must be 1 to 256 UTF-8 bytes"):
            check_text(bad)
    with pytest.raises(OptionError, match="text must be str, not bytes"):
        check_text(b"jane")
