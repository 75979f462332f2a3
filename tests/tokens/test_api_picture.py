"""tokens.img_tag's <picture>: a two-line image for narrow screens, a dark-scheme image,
and the compact image for a value inside a sentence."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

import tokens
from tokens import KeyRing, OptionError, RenderOptions
from tokens.api import COMPACT_CLASS, DEFAULT_DARK, NARROW, NARROW_FIT
from tokens.sizes import text_box

BASE = "https://img.example.com"
EMAIL = "alice.martin@example.org"
TOKEN = r"[A-Za-z0-9_-]+"


class PictureParser(HTMLParser):
    """The <source> and <img> tags of the markup, in order, with their attributes."""

    def __init__(self, markup: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.feed(markup)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("source", "img"):
            self.tags.append((tag, {name: value or "" for name, value in attrs}))


def sources(markup: str) -> list[dict[str, str]]:
    return [attrs for tag, attrs in PictureParser(markup).tags if tag == "source"]


def image(markup: str) -> dict[str, str]:
    (img,) = [attrs for tag, attrs in PictureParser(markup).tags if tag == "img"]
    return img


def srcset_urls(srcset: str) -> dict[int, str]:
    urls = {}
    for item in srcset.split(", "):
        url, density = item.split(" ")
        urls[int(density.removesuffix("x"))] = url
    return urls


def token_of(url: str) -> str:
    match = re.search(rf"/t/({TOKEN})(@[23]x)?\.(png|webp)$", url)
    assert match, url
    return match.group(1)


def options_of(url: str, keyring: KeyRing) -> RenderOptions:
    return tokens.decode(token_of(url), keyring=keyring).options


def test_a_long_value_gets_a_two_line_source_for_narrow_screens(keyring: KeyRing) -> None:
    markup = tokens.img_tag(EMAIL, BASE, keyring=keyring)
    assert markup.startswith("<picture><source ") and markup.endswith("></picture>")
    (narrow,) = sources(markup)
    img = image(markup)
    assert narrow["media"] == f"(max-width: {NARROW}px)"
    urls = srcset_urls(narrow["srcset"])
    assert sorted(urls) == [1, 2]
    assert {token_of(url) for url in urls.values()} == {token_of(urls[1])}
    two = options_of(urls[1], keyring)
    assert two == RenderOptions(lines=2)
    box = text_box(EMAIL, two)
    assert (narrow["width"], narrow["height"]) == (str(box.width), str(box.height))
    assert int(narrow["width"]) < int(img["width"]) and int(img["width"]) > NARROW_FIT
    assert options_of(img["src"], keyring) == RenderOptions()
    assert EMAIL not in markup and "example.org" not in markup


@pytest.mark.parametrize("text", ["£1,299.00", "a@b.io", "+44 20 7946 0958", "nobreakatallhere"])
def test_a_value_that_fits_or_cannot_break_is_a_plain_img(keyring: KeyRing, text: str) -> None:
    markup = tokens.img_tag(text, BASE, keyring=keyring)
    assert markup.startswith("<img ")
    assert text_box(text, RenderOptions()).width <= NARROW_FIT or "nobreak" in text


def test_narrow_sets_the_breakpoint_or_turns_it_off(keyring: KeyRing) -> None:
    (narrow,) = sources(tokens.img_tag(EMAIL, BASE, keyring=keyring, narrow=360))
    assert narrow["media"] == "(max-width: 360px)"
    assert tokens.img_tag(EMAIL, BASE, keyring=keyring, narrow=None).startswith("<img ")
    # A token asked for on two lines is drawn so everywhere: no narrow source.
    markup = tokens.img_tag(EMAIL, BASE, keyring=keyring, lines=2)
    assert markup.startswith("<img ") and options_of(image(markup)["src"], keyring).lines == 2


@pytest.mark.parametrize("narrow", [0, -1, 480.0, "480", True, 10_001])
def test_bad_narrow_is_refused(keyring: KeyRing, narrow: object) -> None:
    with pytest.raises(OptionError, match="bad narrow"):
        tokens.img_tag(EMAIL, BASE, keyring=keyring, narrow=narrow)  # type: ignore[arg-type]


def test_dark_adds_dark_sources_after_the_narrow_dark_one(keyring: KeyRing) -> None:
    markup = tokens.img_tag(EMAIL, BASE, keyring=keyring, dark=True, noise="high", font="mono")
    found = sources(markup)
    assert [s["media"] for s in found] == [
        f"(max-width: {NARROW}px) and (prefers-color-scheme: dark)",
        f"(max-width: {NARROW}px)",
        "(prefers-color-scheme: dark)",
    ]
    dark = RenderOptions.build(font="mono", noise="high", **DEFAULT_DARK)
    light = RenderOptions.build(font="mono", noise="high")
    expected = [
        RenderOptions.build(font="mono", noise="high", lines=2, **DEFAULT_DARK),
        RenderOptions.build(font="mono", noise="high", lines=2),
        dark,
    ]
    assert [options_of(srcset_urls(s["srcset"])[1], keyring) for s in found] == expected
    assert dark.background is None and dark.color == (0xE6, 0xE6, 0xE6)
    for source, opts in zip(found, expected, strict=True):
        box = text_box(EMAIL, opts)
        assert (source["width"], source["height"]) == (str(box.width), str(box.height))
    assert options_of(image(markup)["src"], keyring) == light


def test_a_short_value_gets_only_the_dark_source(keyring: KeyRing) -> None:
    found = sources(tokens.img_tag("£1,299.00", BASE, keyring=keyring, dark=True))
    assert [s["media"] for s in found] == ["(prefers-color-scheme: dark)"]


def test_dark_colours_can_be_chosen(keyring: KeyRing) -> None:
    markup = tokens.img_tag(
        "£1,299.00", BASE, keyring=keyring, dark={"color": "#eee", "background": "#121212"}
    )
    (source,) = sources(markup)
    opts = options_of(srcset_urls(source["srcset"])[1], keyring)
    assert (opts.color, opts.background) == ((0xEE, 0xEE, 0xEE), (0x12, 0x12, 0x12))
    # Only the colour given: the background stays the default's, transparent.
    (source,) = sources(tokens.img_tag("£5", BASE, keyring=keyring, dark={"color": "white"}))
    assert options_of(srcset_urls(source["srcset"])[1], keyring).background is None
    assert tokens.img_tag("£5", BASE, keyring=keyring, dark=False).startswith("<img ")


@pytest.mark.parametrize(
    ("dark", "message"),
    [
        ({"color": "#333", "background": "#222"}, "contrast"),
        ({"colour": "#eee"}, "dark takes color and background"),
        ("yes", "dark must be True, None or a mapping"),
        ({"color": "nope"}, "bad color"),
    ],
)
def test_bad_dark_is_refused(keyring: KeyRing, dark: object, message: str) -> None:
    with pytest.raises(OptionError, match=message):
        tokens.img_tag(EMAIL, BASE, keyring=keyring, dark=dark)  # type: ignore[arg-type]


@pytest.mark.parametrize("noise", ["low", "medium", "high"])
def test_compact_fits_a_line_of_text(keyring: KeyRing, noise: str) -> None:
    """No taller than 1.5 lines of 16 px text at line-height 1.5 (36 px); on one line."""
    markup = tokens.img_tag(EMAIL, BASE, keyring=keyring, compact=True, noise=noise, dark=True)
    img = image(markup)
    assert int(img["height"]) <= 1.5 * 16 * 1.5
    assert img["class"] == f"glyphveil {COMPACT_CLASS}"
    opts = options_of(img["src"], keyring)
    assert (opts.noise, opts.padding, opts.lines) == (tokens.Noise.LOW, 0, 1)
    (dark,) = sources(markup)  # no narrow source: two lines would break the sentence
    assert dark["media"] == "(prefers-color-scheme: dark)" and int(dark["height"]) <= 36
    default = image(tokens.img_tag(EMAIL, BASE, keyring=keyring, narrow=None))
    assert int(default["height"]) >= 2 * int(img["height"])


def test_compact_keeps_no_noise(keyring: KeyRing) -> None:
    img = image(tokens.img_tag("£5", BASE, keyring=keyring, compact=True, noise="none"))
    assert options_of(img["src"], keyring).noise is tokens.Noise.NONE


@pytest.mark.parametrize("compact", [1, "yes", None])
def test_compact_must_be_a_bool(keyring: KeyRing, compact: object) -> None:
    with pytest.raises(OptionError, match="compact must be True or False"):
        tokens.img_tag(EMAIL, BASE, keyring=keyring, compact=compact)  # type: ignore[arg-type]


def test_reveal_wraps_the_whole_picture(keyring: KeyRing) -> None:
    markup = tokens.img_tag(EMAIL, BASE, keyring=keyring, reveal=True, dark=True)
    assert markup.startswith('<span class="glyphveil-reveal" data-glyphveil-token="')
    assert markup.endswith("</picture></span>")
    token = re.search(r'data-glyphveil-token="([^"]+)"', markup)
    assert token is not None and token_of(image(markup)["src"]) == token[1]
    assert tokens.decode(token[1], keyring=keyring).revealable
    for source in sources(markup):  # only the image the button reveals is revealable
        for url in srcset_urls(source["srcset"]).values():
            assert not tokens.decode(token_of(url), keyring=keyring).revealable


def test_every_image_of_a_picture_expires_together(keyring: KeyRing) -> None:
    markup = tokens.img_tag(EMAIL, BASE, keyring=keyring, dark=True, ttl=3600)
    urls = [image(markup)["src"]] + [srcset_urls(s["srcset"])[1] for s in sources(markup)]
    expiries = {tokens.decode(token_of(url), keyring=keyring).expires_at for url in urls}
    assert len(expiries) == 1 and None not in expiries


def test_sources_offer_only_the_densities_that_fit(keyring: KeyRing) -> None:
    markup = tokens.img_tag(EMAIL, BASE, keyring=keyring, densities=(1, 2, 3))
    (narrow,) = sources(markup)
    assert sorted(srcset_urls(narrow["srcset"])) == [1, 2, 3]
    (narrow,) = sources(tokens.img_tag(EMAIL, BASE, keyring=keyring, densities=(1,)))
    assert sorted(srcset_urls(narrow["srcset"])) == [1]
