"""tokens.reveal: the wrapper markup that /reveal.js upgrades to a button."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

import tokens
from tokens import OptionError, reveal_button


class Tags(HTMLParser):
    def __init__(self, text: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


class Markup(str):
    def __html__(self) -> str:
        return str(self)


def test_wraps_the_image(keyring: tokens.KeyRing) -> None:
    token = tokens.encode("jane@example.com", keyring=keyring, revealable=True)
    img = f'<img src="https://img.example.com/t/{token}.png" alt="email address">'
    markup = reveal_button(img, token, label='Show "email" address')
    assert markup.endswith(img + "</span>")
    (span, attrs), (inner, _) = Tags(markup).tags
    assert (span, inner) == ("span", "img")
    assert attrs == {
        "class": "glyphveil-reveal",
        "data-glyphveil-token": token,
        "data-glyphveil-label": 'Show "email" address',
    }
    assert "jane" not in markup
    assert reveal_button(Markup(img), token, label="Show email address") == reveal_button(
        img, token, label="Show email address"
    )


@pytest.mark.parametrize(
    ("img", "token", "label", "message"),
    [
        ("<p>no image</p>", "AbJw", "Show", "img must be"),
        ("<img src=x>", 'Ab"Jw', "Show", "token must be"),
        ("<img src=x>", "A" * 401, "Show", "token must be"),
        ("<img src=x>", "", "Show", "token must be"),
        ("<img src=x>", "AbJw", "  ", "label must be"),
        (None, "AbJw", "Show", "img must be"),
    ],
)
def test_rejects_bad_input(img: object, token: str, label: str, message: str) -> None:
    with pytest.raises(OptionError, match=message):
        reveal_button(img, token, label=label)  # type: ignore[arg-type]


def test_img_tag_label(keyring: tokens.KeyRing) -> None:
    base = "https://img.example.com"
    page = tokens.img_tag(
        "jane@example.com", base, keyring=keyring, reveal=True, label="Show Jane's email address"
    )
    assert 'data-glyphveil-label="Show Jane&#x27;s email address"' in page
    default = tokens.img_tag("jane@example.com", base, keyring=keyring, reveal=True)
    assert 'data-glyphveil-label="Show email address"' in default
    with pytest.raises(OptionError, match="reveal=True"):
        tokens.img_tag("jane@example.com", base, keyring=keyring, label="Show it")
    with pytest.raises(OptionError, match="must not contain the protected text"):
        tokens.img_tag(
            "jane@example.com", base, keyring=keyring, reveal=True, label="Show jane@example.com"
        )
