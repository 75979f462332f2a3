"""Tests for tokens.colors: what colour strings are accepted, and WCAG contrast."""

from __future__ import annotations

import pytest

from tokens import OptionError, contrast_ratio, parse_color
from tokens.colors import CSS_COLORS, to_hex


@pytest.mark.parametrize(
    ("text", "rgba"),
    [
        ("#abc", (0xAA, 0xBB, 0xCC, 255)),
        ("abc", (0xAA, 0xBB, 0xCC, 255)),
        ("#ABC", (0xAA, 0xBB, 0xCC, 255)),
        ("#abc8", (0xAA, 0xBB, 0xCC, 0x88)),
        ("abc8", (0xAA, 0xBB, 0xCC, 0x88)),
        ("#1a2b3c", (0x1A, 0x2B, 0x3C, 255)),
        ("1A2B3C", (0x1A, 0x2B, 0x3C, 255)),
        ("#1a2b3c80", (0x1A, 0x2B, 0x3C, 0x80)),
        ("1a2b3c00", (0x1A, 0x2B, 0x3C, 0)),
        ("#000", (0, 0, 0, 255)),
        ("#FFFFFFFF", (255, 255, 255, 255)),
        ("  #222222\n", (0x22, 0x22, 0x22, 255)),
    ],
)
def test_hex_forms(text: str, rgba: tuple[int, int, int, int]) -> None:
    assert parse_color(text) == rgba


@pytest.mark.parametrize("text", ["navy", "NAVY", "Navy", " nAvY ", "RebeccaPurple"])
def test_css_names_are_case_insensitive(text: str) -> None:
    expected = (0x00, 0x00, 0x80, 255) if "navy" in text.lower() else (0x66, 0x33, 0x99, 255)
    assert parse_color(text) == expected


def test_every_css_name() -> None:
    assert len(CSS_COLORS) == 148
    for name, value in CSS_COLORS.items():
        assert parse_color(name) == (value >> 16, (value >> 8) & 255, value & 255, 255)
    assert parse_color("grey") == parse_color("gray")


@pytest.mark.parametrize("text", ["transparent", "TRANSPARENT", " Transparent "])
def test_transparent(text: str) -> None:
    assert parse_color(text) == (0, 0, 0, 0)


@pytest.mark.parametrize(
    "text",
    [
        "",
        " ",
        "#",
        "##fff",
        "#12",
        "#12345",
        "#1234567",
        "#123456789",
        "#ggg",
        "#12345g",
        "blurple",
        "rgb(0, 0, 0)",
        "0x222222",
        "#fff ff",
        "#\uff11\uff11\uff11",  # fullwidth digits
        "#٣٣٣",  # Arabic-Indic digits
    ],
)
def test_garbage_is_refused_with_the_value_in_the_message(text: str) -> None:
    with pytest.raises(OptionError) as info:
        parse_color(text)
    message = str(info.value)
    assert message.startswith(f"bad colour {text!r}: ")
    assert "hex of 3, 4, 6 or 8 digits, a CSS name or transparent" in message


def test_long_garbage_is_cut_in_the_message() -> None:
    text = "x" * 1000
    with pytest.raises(OptionError) as info:
        parse_color(text)
    assert str(info.value).startswith(f"bad colour {'x' * 32!r}")
    assert len(str(info.value)) < 200


def test_option_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="bad colour"):
        parse_color("nope")


def test_to_hex() -> None:
    assert to_hex((0x22, 0x22, 0x22)) == "#222222"
    assert to_hex((0xAB, 0xCD, 0xEF, 255)) == "#abcdef"
    assert to_hex((0xAB, 0xCD, 0xEF, 0x80)) == "#abcdef80"
    assert to_hex((0, 0, 0, 0)) == "#00000000"
    for text in ["#1a2b3c", "#1a2b3c80"]:
        assert to_hex(parse_color(text)) == text


def test_contrast_ratio_extremes() -> None:
    black, white = (0, 0, 0), (255, 255, 255)
    assert contrast_ratio(black, white) == pytest.approx(21.0)
    assert contrast_ratio(white, black) == pytest.approx(21.0)
    for color in [black, white, (0x22, 0x22, 0x22), (12, 200, 99)]:
        assert contrast_ratio(color, color) == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("first", "second", "ratio"),
    [
        # well-known WCAG values
        ((0x77, 0x77, 0x77), (255, 255, 255), 4.48),
        ((0x76, 0x76, 0x76), (255, 255, 255), 4.54),
        ((255, 0, 0), (255, 255, 255), 4.00),
        ((0, 0, 255), (255, 255, 255), 8.59),
        ((0x22, 0x22, 0x22), (255, 255, 255), 15.91),
    ],
)
def test_contrast_ratio_known_values(
    first: tuple[int, int, int], second: tuple[int, int, int], ratio: float
) -> None:
    assert contrast_ratio(first, second) == pytest.approx(ratio, abs=0.005)
    assert contrast_ratio(second, first) == pytest.approx(ratio, abs=0.005)


def test_contrast_ratio_ignores_alpha_channel() -> None:
    assert contrast_ratio((0, 0, 0, 0), (255, 255, 255, 255)) == pytest.approx(21.0)
