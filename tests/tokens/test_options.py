"""Tests for tokens.options: defaults, validation and its messages, Noise, to_dict."""

from __future__ import annotations

import pytest

from tokens import FONTS, Noise, OptionError, RenderOptions


def test_defaults() -> None:
    options = RenderOptions()
    assert options == RenderOptions.build()
    assert (options.font, options.size, options.padding) == ("sans", 16, 4)
    assert (options.color, options.background) == ((0x22, 0x22, 0x22), (255, 255, 255))
    assert options.noise is Noise.MEDIUM
    assert FONTS == ("sans", "serif", "mono", "lato")


def test_build_accepts_user_values() -> None:
    options = RenderOptions.build(
        font="mono", size=128, color="navy", background="#FDF6E3", noise="high", padding=0
    )
    assert options == RenderOptions(
        font="mono",
        size=128,
        color=(0, 0, 0x80),
        background=(0xFD, 0xF6, 0xE3),
        noise=Noise.HIGH,
        padding=0,
    )


@pytest.mark.parametrize("background", [None, "transparent", "TRANSPARENT", " transparent "])
def test_transparent_background(background: str | None) -> None:
    options = RenderOptions.build(color="#eeeeee", background=background)
    assert options.background is None  # no contrast check without a background


def test_tuple_colours() -> None:
    options = RenderOptions.build(color=(0, 0, 0), background=(255, 255, 0))
    assert (options.color, options.background) == ((0, 0, 0), (255, 255, 0))


def test_range_edges_are_accepted() -> None:
    for size in (8, 128):
        assert RenderOptions.build(size=size).size == size
    for padding in (0, 64):
        assert RenderOptions.build(padding=padding).padding == padding


@pytest.mark.parametrize("font", ["Sans", "SERIF", " mono ", "\tLato\r\n"])
def test_font_names_follow_the_option_spelling_rule(font: str) -> None:
    # ASCII case-insensitive, surrounding ASCII whitespace ignored, as noise and colours
    assert RenderOptions.build(font=font).font == font.strip().lower()


@pytest.mark.parametrize("font", ["comic", "", "ſans", "sans\u00a0", "s ans", None, 0, b"sans"])
def test_unknown_font(font: object) -> None:
    with pytest.raises(OptionError) as info:
        RenderOptions.build(font=font)  # type: ignore[arg-type]
    assert str(info.value) == f"unknown font {font!r}: use one of sans, serif, mono, lato"


@pytest.mark.parametrize("size", [7, 129, 0, -16, True, False, 16.0, "16", None])
def test_bad_size(size: object) -> None:
    with pytest.raises(OptionError) as info:
        RenderOptions.build(size=size)  # type: ignore[arg-type]
    assert str(info.value) == f"bad size {size!r}: use a whole number of px from 8 to 128"


@pytest.mark.parametrize("padding", [-1, 65, True, 4.0, "4"])
def test_bad_padding(padding: object) -> None:
    with pytest.raises(OptionError) as info:
        RenderOptions.build(padding=padding)  # type: ignore[arg-type]
    assert str(info.value) == f"bad padding {padding!r}: use a whole number of px from 0 to 64"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"color": "#nothex"}, "bad color '#nothex'"),
        ({"background": "blurple"}, "bad background 'blurple'"),
        (
            {"color": "transparent"},
            "bad color 'transparent': only the background can be transparent",
        ),
        ({"color": "#22222280"}, "bad color '#22222280': must be opaque"),
        ({"background": "#ffffff80"}, "bad background '#ffffff80': must be opaque"),
        ({"background": "#fff8"}, "bad background '#fff8': must be opaque"),
        ({"background": "#ffffff00"}, "bad background '#ffffff00': must be opaque"),
        ({"color": (0, 0)}, "bad color (0, 0): use (r, g, b) with values 0-255"),
        ({"color": (0, 0, 256)}, "bad color (0, 0, 256): use (r, g, b) with values 0-255"),
        ({"background": (0, 0, -1)}, "bad background (0, 0, -1): use (r, g, b)"),
        ({"background": (1.0, 2, 3)}, "bad background (1.0, 2, 3): use (r, g, b)"),
        ({"color": 0x222222}, "bad color 2236962: use a colour string such as '#222'"),
        ({"color": ["#222"]}, "bad color ['#222']: use a colour string"),
    ],
)
def test_bad_colours(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(OptionError) as info:
        RenderOptions.build(**kwargs)  # type: ignore[arg-type]
    assert str(info.value).startswith(message)


@pytest.mark.parametrize(
    ("color", "background", "shown"),
    [
        ("#777", "#fff", "colour #777777 on #ffffff has contrast 4.48:1"),
        ("#eeeeee", "white", "colour #eeeeee on #ffffff has contrast 1.16:1"),
        ("red", "white", "colour #ff0000 on #ffffff has contrast 4.00:1"),
        ("#222", "#222", "colour #222222 on #222222 has contrast 1.00:1"),
        ("black", "#333", "colour #000000 on #333333 has contrast 1.66:1"),
    ],
)
def test_low_contrast(color: str, background: str, shown: str) -> None:
    with pytest.raises(OptionError) as info:
        RenderOptions.build(color=color, background=background)
    assert str(info.value) == f"{shown}, below the 4.5:1 that keeps text readable"


def test_contrast_just_enough() -> None:
    assert RenderOptions.build(color="#767676").color == (0x76, 0x76, 0x76)  # 4.54:1
    assert RenderOptions.build(color="white", background="black").background == (0, 0, 0)


def test_low_contrast_against_the_default_background() -> None:
    with pytest.raises(OptionError, match=r"below the 4\.5:1"):
        RenderOptions.build(color="#ddd")
    with pytest.raises(OptionError, match=r"below the 4\.5:1"):
        RenderOptions.build(background="#333")  # default text colour #222


def test_options_are_frozen() -> None:
    options = RenderOptions()
    with pytest.raises(AttributeError):
        options.size = 20  # type: ignore[misc]


@pytest.mark.parametrize(
    ("value", "noise"),
    [
        ("none", Noise.NONE),
        ("LOW", Noise.LOW),
        (" Medium ", Noise.MEDIUM),
        ("\thigh\n", Noise.HIGH),
        (Noise.LOW, Noise.LOW),
    ],
)
def test_noise_parse(value: str | Noise, noise: Noise) -> None:
    assert Noise.parse(value) is noise
    assert RenderOptions.build(noise=value).noise is noise


@pytest.mark.parametrize(
    "value", ["loud", "", 4, -1, 0, 3, True, False, None, "2", "h\u0131gh", "high\u00a0", b"high"]
)
def test_bad_noise(value: object) -> None:
    with pytest.raises(OptionError) as info:
        Noise.parse(value)  # type: ignore[arg-type]
    assert str(info.value) == f"bad noise {value!r}: use none|low|medium|high"


def test_noise_str() -> None:
    assert [str(n) for n in Noise] == ["none", "low", "medium", "high"]
    assert [int(n) for n in Noise] == [0, 1, 2, 3]


def test_to_dict_round_trips_through_build() -> None:
    for options in [
        RenderOptions(),
        RenderOptions.build(font="lato", size=9, color="#fff", background="transparent"),
        RenderOptions.build(color="#1a4d8f", background="#fdf6e3", noise="none", padding=64),
    ]:
        as_dict = options.to_dict()
        assert RenderOptions.build(**as_dict) == options  # type: ignore[arg-type]
    assert RenderOptions().to_dict() == {
        "font": "sans",
        "size": 16,
        "color": "#222222",
        "background": "#ffffff",
        "noise": "medium",
        "padding": 4,
    }
    assert RenderOptions(background=None).to_dict()["background"] == "transparent"


@pytest.mark.parametrize("lines", [0, 3, True, 2.0, "2", None])
def test_lines_is_1_or_2(lines: object) -> None:
    with pytest.raises(OptionError, match="bad lines"):
        RenderOptions.build(lines=lines)  # type: ignore[arg-type]


def test_lines_shows_in_to_dict_only_when_two() -> None:
    assert "lines" not in RenderOptions().to_dict()
    assert RenderOptions.build(lines=2).to_dict()["lines"] == 2
    assert RenderOptions.build(**RenderOptions.build(lines=2).to_dict()).lines == 2
