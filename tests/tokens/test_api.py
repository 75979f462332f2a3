"""Tests for tokens.api: encode/decode, image URLs and <img> markup."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html.parser import HTMLParser

import pytest

import tokens
from tokens import ExpiredToken, InvalidToken, KeyRing, Noise, OptionError, RenderOptions

BASE = "https://img.example.com"
EMAIL = "alice.martin@example.org"
TOKEN = r"[A-Za-z0-9_-]{71,388}"


def url_token(url: str) -> str:
    match = re.search(rf"/t/({TOKEN})(@[23]x)?\.(png|webp)$", url)
    assert match, url
    return match.group(1)


class ImgParser(HTMLParser):
    """Collects the attributes of every <img>, unescaped, as a browser would read them."""

    def __init__(self) -> None:
        super().__init__()
        self.images: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img":
            self.images.append(dict(attrs))


def parse_img(markup: str) -> dict[str, str | None]:
    parser = ImgParser()
    parser.feed(markup)
    parser.close()
    assert len(parser.images) == 1, markup
    return parser.images[0]


# --- encode / decode --------------------------------------------------------------------------


def test_encode_decode_round_trip(keyring: KeyRing) -> None:
    token = tokens.encode(EMAIL, keyring=keyring)
    assert re.fullmatch(TOKEN, token)
    payload = tokens.decode(token, keyring=keyring)
    assert (payload.text, payload.options, payload.expires_at) == (EMAIL, RenderOptions(), None)


def test_encode_with_options(keyring: KeyRing) -> None:
    token = tokens.encode(
        EMAIL,
        keyring=keyring,
        font="mono",
        size=24,
        color="navy",
        background="transparent",
        noise="none",
        padding=0,
    )
    options = tokens.decode(token, keyring=keyring).options
    assert options == RenderOptions(
        font="mono", size=24, color=(0, 0, 0x80), background=None, noise=Noise.NONE, padding=0
    )


def test_encode_is_deterministic_and_matches_codec(keyring: KeyRing) -> None:
    token = tokens.encode(EMAIL, keyring=keyring, font="serif")
    assert token == tokens.encode(EMAIL, keyring=keyring, font="serif")
    assert token == tokens.codec.seal(EMAIL, keyring, RenderOptions(font="serif"))


def test_encode_rejects_bad_options(keyring: KeyRing) -> None:
    with pytest.raises(OptionError, match="unknown font 'comic'"):
        tokens.encode(EMAIL, keyring=keyring, font="comic")
    with pytest.raises(OptionError, match="bad size 7"):
        tokens.encode(EMAIL, keyring=keyring, size=7)
    with pytest.raises(OptionError, match="contrast"):
        tokens.encode(EMAIL, keyring=keyring, color="#eee")
    with pytest.raises(OptionError) as info:
        tokens.encode(EMAIL, keyring=keyring, colour="#222")  # type: ignore[call-arg]
    assert str(info.value) == (
        "unknown option 'colour': did you mean 'color'? "
        "options are font, size, color, background, noise, padding, lines"
    )
    with pytest.raises(OptionError, match="unknown option 'zoom': options are font"):
        tokens.image_url(EMAIL, "https://img.example.com", keyring=keyring, zoom=2)  # type: ignore[call-arg]


@pytest.mark.parametrize("noise", [True, False, 0, 1, 3, 1.0])
def test_noise_is_a_name_not_a_number(keyring: KeyRing, noise: object) -> None:
    with pytest.raises(OptionError, match="bad noise"):
        tokens.encode(EMAIL, keyring=keyring, noise=noise)  # type: ignore[arg-type]


def test_keyring_must_be_a_keyring() -> None:
    key = tokens.generate_key()
    with pytest.raises(OptionError) as info:
        tokens.encode(EMAIL, keyring=key)  # type: ignore[arg-type]
    message = str(info.value)
    assert message.startswith("keyring must be a tokens.KeyRing, not str: ")
    assert key not in message and key[:8] not in message


@pytest.mark.parametrize(
    "text",
    [
        "jane\0@example.com",
        "jane@example.com\n",
        "\tjane",
        "\u202emoc.elpmaxe@enaj",
        "\u2066jane\u2069",
        "jane\u200f@example.com",
        "a\u2028b",
        "\ufeffjane",
        "\x85",
        "a\ud800b",
    ],
)
def test_text_that_would_not_draw_as_minted_is_refused(keyring: KeyRing, text: str) -> None:
    with pytest.raises(OptionError, match=r"^text holds U\+"):
        tokens.encode(text, keyring=keyring)


def test_text_is_neither_trimmed_nor_normalised(keyring: KeyRing) -> None:
    for text in [" jane@example.com ", "e\u0301", "\u00e9", "ﬁ", "שלום", "a\u200db"]:
        assert tokens.decode(tokens.encode(text, keyring=keyring), keyring=keyring).text == text
    assert tokens.encode("e\u0301", keyring=keyring) != tokens.encode("\u00e9", keyring=keyring)


def test_encode_takes_now_for_the_expiry(keyring: KeyRing) -> None:
    token = tokens.encode(EMAIL, keyring=keyring, ttl=86400, now=1_700_000_000.4)
    payload = tokens.decode(token, keyring=keyring, now=1_700_000_000)
    assert payload.expires_at is not None
    assert payload.expires_at.timestamp() == 1_700_086_401  # ceil(now + ttl)


def test_option_validation_does_not_depend_on_what_was_cached(keyring: KeyRing) -> None:
    """``padding=1`` cached must not let ``padding=True`` through (True == 1 in a dict key)."""
    assert tokens.decode(tokens.encode("a", keyring=keyring, padding=1), keyring=keyring)
    with pytest.raises(OptionError, match="bad padding True"):
        tokens.encode("a", keyring=keyring, padding=True)
    tokens.encode("a", keyring=keyring, size=20)
    with pytest.raises(OptionError, match=r"bad size 20\.0"):
        tokens.encode("a", keyring=keyring, size=20.0)  # type: ignore[arg-type]


def test_unhashable_option_values_still_validate(keyring: KeyRing) -> None:
    token = tokens.encode("a", keyring=keyring, color=(0, 0, 0))
    assert tokens.decode(token, keyring=keyring).options.color == (0, 0, 0)
    with pytest.raises(OptionError, match="use a colour string"):
        tokens.encode("a", keyring=keyring, color=[0, 0, 0])  # type: ignore[arg-type]


def test_encode_with_ttl(keyring: KeyRing) -> None:
    token = tokens.encode(EMAIL, keyring=keyring, ttl=60)
    payload = tokens.decode(token, keyring=keyring)
    assert payload.expires_at is not None
    now = payload.expires_at.timestamp()
    with pytest.raises(ExpiredToken) as info:
        tokens.decode(token, keyring=keyring, now=now)
    assert info.value.expired_at == payload.expires_at
    assert tokens.decode(token, keyring=keyring, now=now - 1).text == EMAIL


def test_decode_rejects_garbage(keyring: KeyRing) -> None:
    for token in [
        "",
        "nope",
        "A" * 71,
        tokens.encode(EMAIL, keyring=KeyRing([tokens.generate_key()])),
    ]:
        with pytest.raises(InvalidToken, match=r"^invalid token$"):
            tokens.decode(token, keyring=keyring)


@pytest.mark.parametrize("token", [None, 42, b"AAAA"])
def test_decode_names_a_token_that_is_not_a_str(token: object, keyring: KeyRing) -> None:
    with pytest.raises(TypeError, match=rf"^token must be str, not {type(token).__name__}$"):
        tokens.decode(token, keyring=keyring)  # type: ignore[arg-type]


def test_payload_to_dict(keyring: KeyRing) -> None:
    token = tokens.codec.seal(EMAIL, keyring, ttl=60, now=1_700_000_000)
    assert tokens.decode(token, keyring=keyring, now=1_700_000_000).to_dict() == {
        "text": EMAIL,
        "options": RenderOptions().to_dict(),
        "expires_at": datetime.fromtimestamp(1_700_000_060, UTC).isoformat(),
    }


def test_default_keyring_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    key = tokens.generate_key()
    monkeypatch.setenv("GLYPHVEIL_KEYS", key)
    token = tokens.encode(EMAIL)
    assert tokens.decode(token, keyring=KeyRing([key])).text == EMAIL
    assert tokens.decode(token).text == EMAIL


def test_default_keyring_in_production_without_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GLYPHVEIL_ENV", "production")
    with pytest.raises(tokens.KeyConfigError):
        tokens.encode(EMAIL)


# --- image_url ---------------------------------------------------------------------------------


def test_image_url_shape(keyring: KeyRing) -> None:
    url = tokens.image_url(EMAIL, BASE, keyring=keyring)
    assert re.fullmatch(rf"https://img\.example\.com/t/{TOKEN}\.png", url)
    assert tokens.decode(url_token(url), keyring=keyring).text == EMAIL
    assert url == f"{BASE}/t/{tokens.encode(EMAIL, keyring=keyring)}.png"


@pytest.mark.parametrize(
    ("kwargs", "suffix"),
    [
        ({}, ".png"),
        ({"density": 1}, ".png"),
        ({"density": 2}, "@2x.png"),
        ({"density": 3}, "@3x.png"),
        ({"format": "webp"}, ".webp"),
        ({"format": "webp", "density": 2}, "@2x.webp"),
    ],
)
def test_image_url_format_and_density(
    kwargs: dict[str, object], suffix: str, keyring: KeyRing
) -> None:
    url = tokens.image_url(EMAIL, BASE, keyring=keyring, **kwargs)  # type: ignore[arg-type]
    token = tokens.encode(EMAIL, keyring=keyring)
    assert url == f"{BASE}/t/{token}{suffix}"


@pytest.mark.parametrize("base", [BASE + "/", BASE + "//", BASE])
def test_image_url_trailing_slash(base: str, keyring: KeyRing) -> None:
    url = tokens.image_url(EMAIL, base, keyring=keyring)
    assert url.startswith(BASE + "/t/")
    assert "//t/" not in url


def test_image_url_keeps_a_path_prefix(keyring: KeyRing) -> None:
    url = tokens.image_url(EMAIL, "https://example.com/glyphs/", keyring=keyring)
    assert url.startswith("https://example.com/glyphs/t/")


def test_image_url_passes_options_and_ttl(keyring: KeyRing) -> None:
    url = tokens.image_url(EMAIL, BASE, keyring=keyring, font="lato", ttl=600)
    payload = tokens.decode(url_token(url), keyring=keyring)
    assert payload.options.font == "lato"
    assert payload.expires_at is not None


@pytest.mark.parametrize("fmt", ["gif", "PNG", "jpeg", "", ".png"])
def test_image_url_bad_format(fmt: str, keyring: KeyRing) -> None:
    with pytest.raises(OptionError) as info:
        tokens.image_url(EMAIL, BASE, keyring=keyring, format=fmt)  # type: ignore[arg-type]
    assert str(info.value) == f"bad format {fmt!r}: use png or webp"


@pytest.mark.parametrize("density", [0, 4, -1, "2", 2.0, True, None])
def test_image_url_bad_density(density: object, keyring: KeyRing) -> None:
    with pytest.raises(OptionError) as info:
        tokens.image_url(EMAIL, BASE, keyring=keyring, density=density)  # type: ignore[arg-type]
    assert str(info.value) == f"bad density {density!r}: use 1, 2 or 3"


@pytest.mark.parametrize("base", [None, 42, b"https://img.example.com"])
def test_image_url_names_a_base_url_that_is_not_a_str(base: object, keyring: KeyRing) -> None:
    with pytest.raises(OptionError, match=r"^base_url must be where the service answers"):
        tokens.image_url(EMAIL, base, keyring=keyring)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "base",
    [
        "ftp://img.example.com",
        "img.example.com",
        "https://img.example.com/?x=1",
        "https://img.example.com/#top",
        "https://img.example.com/a b",
        "javascript:alert(1)",
    ],
)
def test_image_url_refuses_a_bad_base_url(base: str, keyring: KeyRing) -> None:
    with pytest.raises(OptionError, match=r"^bad base_url"):
        tokens.image_url(EMAIL, base, keyring=keyring)


@pytest.mark.parametrize(
    ("base", "prefix"),
    [
        ("", "/t/"),
        ("/", "/t/"),
        ("/glyphs/", "/glyphs/t/"),
        ("//img.example.com", "//img.example.com/t/"),
    ],
)
def test_image_url_on_the_sites_own_origin(base: str, prefix: str, keyring: KeyRing) -> None:
    url = tokens.image_url(EMAIL, base, keyring=keyring)
    assert url.startswith(prefix) and url.removeprefix(prefix).count("/") == 0


# --- img_tag ------------------------------------------------------------------------------------


def test_img_tag_attributes(keyring: KeyRing) -> None:
    markup = tokens.img_tag(EMAIL, BASE, alt="email address", keyring=keyring, narrow=None)
    assert markup.startswith("<img ") and markup.endswith(">")
    attrs = parse_img(markup)
    src = f"{BASE}/t/{tokens.encode(EMAIL, keyring=keyring)}.png"
    width, height = tokens.image_size(EMAIL, RenderOptions())
    assert attrs == {
        "src": src,
        "srcset": src.removesuffix(".png") + "@2x.png 2x",
        "width": str(width),
        "height": str(height),
        "alt": "email address",
        "class": "glyphveil",
        "loading": "lazy",
        "decoding": "async",
    }
    assert EMAIL not in markup


def test_img_tag_is_a_str_that_template_engines_treat_as_safe(keyring: KeyRing) -> None:
    markupsafe = pytest.importorskip("markupsafe")
    markup = tokens.img_tag(EMAIL, BASE, keyring=keyring, narrow=None)
    assert isinstance(markup, str) and isinstance(markup, tokens.SafeHTML)
    assert markup.__html__() == markup
    assert markupsafe.escape(markup) == markup  # not escaped
    assert str(markupsafe.Markup("<p>{}</p>").format(markup)) == f"<p>{markup}</p>"
    assert markup.startswith("<img ") and "<img" in markup + ""


def test_img_tag_webp_srcset(keyring: KeyRing) -> None:
    attrs = parse_img(tokens.img_tag(EMAIL, BASE, format="webp", keyring=keyring))
    assert attrs["src"] is not None and attrs["src"].endswith(".webp")
    assert attrs["srcset"] == attrs["src"].removesuffix(".webp") + "@2x.webp 2x"


@pytest.mark.parametrize(
    ("densities", "srcset"),
    [
        ((1,), None),
        ([1, 2], "@2x.png 2x"),
        ((3, 1), "@3x.png 3x"),
        ((1, 2, 3), "@2x.png 2x, @3x.png 3x"),
    ],
)
def test_img_tag_srcset_offers_only_the_services_densities(
    densities: tuple[int, ...], srcset: str | None, keyring: KeyRing
) -> None:
    attrs = parse_img(tokens.img_tag(EMAIL, BASE, densities=densities, keyring=keyring))
    assert attrs["src"] is not None
    if srcset is None:
        assert "srcset" not in attrs
    else:
        stem = attrs["src"].removesuffix(".png")
        assert attrs["srcset"] == ", ".join(stem + part for part in srcset.split(", "))


@pytest.mark.parametrize("densities", [(), (2,), (1, 4), (1, "2"), "12", 2, None, (1, True)])
def test_img_tag_refuses_bad_densities(densities: object, keyring: KeyRing) -> None:
    with pytest.raises(OptionError, match="bad densities"):
        tokens.img_tag(EMAIL, BASE, densities=densities, keyring=keyring)  # type: ignore[arg-type]


def test_img_tag_leaves_out_densities_too_wide_to_draw(keyring: KeyRing) -> None:
    text = "W" * 100
    box = tokens.text_box(text, RenderOptions(size=64, noise=Noise.HIGH))
    assert box.width * 2 <= 16383 < box.width * 3
    attrs = parse_img(
        tokens.img_tag(text, BASE, size=64, noise="high", densities=(1, 2, 3), keyring=keyring)
    )
    assert attrs["srcset"] is not None and attrs["srcset"].endswith(" 2x")


def test_img_tag_escapes_base_url_and_alt(keyring: KeyRing) -> None:
    base = "https://img.example.com/a\"b'c&d=<e>"
    alt = "phone <b>\"home\"</b> & 'work'"
    markup = tokens.img_tag(EMAIL, base, alt=alt, keyring=keyring, narrow=None)
    attrs = parse_img(markup)
    assert attrs["alt"] == alt
    assert attrs["src"] is not None and attrs["src"].startswith(base + "/t/")
    assert attrs["srcset"] is not None and attrs["srcset"].startswith(base + "/t/")
    raw_values = re.findall(r'="([^"]*)"', markup)
    assert len(raw_values) == 8  # no quote broke out of its attribute
    for value in raw_values:
        assert "<" not in value and ">" not in value and "'" not in value
    assert "&quot;" in markup and "&amp;" in markup and "&lt;" in markup


def test_img_tag_extra_attrs(keyring: KeyRing) -> None:
    markup = tokens.img_tag(
        EMAIL,
        BASE,
        keyring=keyring,
        attrs={"class": "contact", "loading": "eager", "title": 'a "b" <c>'},
    )
    attrs = parse_img(markup)
    assert attrs["class"] == "glyphveil contact"
    assert attrs["loading"] == "eager"  # overrides the default
    assert attrs["title"] == 'a "b" <c>'
    assert markup.count("loading=") == 1


@pytest.mark.parametrize(
    ("css_class", "expected"), [(None, None), ("", None), ("team-mail", "team-mail")]
)
def test_img_tag_css_class(css_class: str | None, expected: str | None, keyring: KeyRing) -> None:
    attrs = parse_img(tokens.img_tag(EMAIL, BASE, css_class=css_class, keyring=keyring))
    assert attrs.get("class") == expected


@pytest.mark.parametrize("name", ["src", "SRCSET", "alt", "width", "Height"])
def test_img_tag_extra_attrs_cannot_replace_what_it_computes(name: str, keyring: KeyRing) -> None:
    with pytest.raises(OptionError, match=f"attribute {name} is set by img_tag"):
        tokens.img_tag(EMAIL, BASE, attrs={name: "1"}, keyring=keyring)


@pytest.mark.parametrize(
    ("attrs", "message"),
    [
        ({"on click": "x"}, "bad attribute name 'on click'"),
        ({"title": 3}, "attribute title must be a str, not int"),
        ([("title", "x")], "attrs must be a mapping"),
        ({"title": f"write to {EMAIL}"}, "attributes must not contain the protected text"),
    ],
)
def test_img_tag_refuses_bad_extra_attrs(attrs: object, message: str, keyring: KeyRing) -> None:
    with pytest.raises(OptionError, match=re.escape(message)):
        tokens.img_tag(EMAIL, BASE, attrs=attrs, keyring=keyring)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "alt",
    [
        EMAIL,
        f"Email: {EMAIL}",
        EMAIL.upper(),
        f"mail me at {EMAIL.title()} please",
        "alice.\u200bmartin@example.org",  # a zero-width space inside
        "alice.martin\u2060@\u200dexample\u00ad.org",  # word joiner, ZWJ, soft hyphen
        "alice.mar\u3164tin@exa\u034fmple.org\ufe0f",  # filler, grapheme joiner, selector
        "ａｌｉｃｅ．ｍａｒｔｉｎ＠ｅｘａｍｐｌｅ．ｏｒｇ",  # fullwidth forms: NFKC folds them
        "ALICE.MARTİN@EXAMPLE.ORG".replace("İ", "I"),
        "alice - martin @ example . org",  # the letters and digits, spaced out
        "a.l.i.c.e.m.a.r.t.i.n@e.x.a.m.p.l.e.o.r.g",
    ],
)
def test_img_tag_refuses_alt_containing_the_text(alt: str, keyring: KeyRing) -> None:
    with pytest.raises(OptionError) as info:
        tokens.img_tag(EMAIL, BASE, alt=alt, keyring=keyring)
    assert str(info.value) == "alt text must not contain the protected text; describe it instead"


def test_img_tag_refuses_alt_with_the_text_despite_whitespace(keyring: KeyRing) -> None:
    with pytest.raises(OptionError, match="alt text must not contain"):
        tokens.img_tag(f"  {EMAIL}\n", BASE, alt=f"write to {EMAIL}", keyring=keyring)


def test_img_tag_refuses_a_short_text_as_a_word_of_the_alt(keyring: KeyRing) -> None:
    with pytest.raises(OptionError, match="alt text must not contain"):
        tokens.img_tag("42", BASE, alt="room 42", keyring=keyring)
    # ... but a short text inside an ordinary word is not the text.
    assert parse_img(tokens.img_tag("e", BASE, keyring=keyring))["alt"] == "protected text"
    assert parse_img(tokens.img_tag("42", BASE, alt="room 420", keyring=keyring))["alt"]


def test_img_tag_allows_alt_sharing_a_word(keyring: KeyRing) -> None:
    markup = tokens.img_tag("+1 555 0100", BASE, alt="phone +1", keyring=keyring)
    assert parse_img(markup)["alt"] == "phone +1"


@pytest.mark.parametrize(
    ("text", "alt"),
    [
        (EMAIL, "email address"),
        ("mailto:jane@example.co.uk", "email address"),
        ("+44 20 7946 0958", "phone number"),
        ("(555) 010-0100 ext. 12", "phone number"),
        ("£1,299", "price"),
        ("€ 12,50", "price"),
        ("12.99 USD", "price"),
        ("$5/month", "price"),
        ("Jane Doe", "protected text"),
        ("12", "protected text"),
    ],
)
def test_img_tag_guesses_a_generic_alt(text: str, alt: str, keyring: KeyRing) -> None:
    assert parse_img(tokens.img_tag(text, BASE, keyring=keyring))["alt"] == alt
    assert parse_img(tokens.img_tag(text, BASE, alt=None, keyring=keyring))["alt"] == alt


@pytest.mark.parametrize("alt", [42, b"email", ["email"]])
def test_img_tag_names_an_alt_that_is_not_a_str(alt: object, keyring: KeyRing) -> None:
    with pytest.raises(OptionError, match=r"^alt must be a str describing the image, not "):
        tokens.img_tag(EMAIL, BASE, alt=alt, keyring=keyring)  # type: ignore[arg-type]


def test_img_tag_names_a_base_url_that_is_not_a_str(keyring: KeyRing) -> None:
    with pytest.raises(OptionError, match=r"^base_url must be where the service answers"):
        tokens.img_tag(EMAIL, None, keyring=keyring)  # type: ignore[arg-type]


def test_img_tag_validates_options(keyring: KeyRing) -> None:
    with pytest.raises(OptionError, match="bad format"):
        tokens.img_tag(EMAIL, BASE, format="gif", keyring=keyring)  # type: ignore[arg-type]
    with pytest.raises(OptionError, match="unknown font"):
        tokens.img_tag(EMAIL, BASE, font="comic", keyring=keyring)
    with pytest.raises(OptionError, match="unknown option 'colour'"):
        tokens.img_tag(EMAIL, BASE, colour="red", keyring=keyring)  # type: ignore[call-arg]


def test_img_tag_passes_options(keyring: KeyRing) -> None:
    attrs = parse_img(
        tokens.img_tag(EMAIL, BASE, keyring=keyring, size=32, background="transparent")
    )
    assert attrs["src"] is not None
    options = tokens.decode(url_token(attrs["src"]), keyring=keyring).options
    assert (options.size, options.background) == (32, None)
    assert (attrs["width"], attrs["height"]) == tuple(
        str(side) for side in tokens.image_size(EMAIL, options)
    )


def test_img_tag_reveal_wraps_a_revealable_token(keyring: KeyRing) -> None:
    markup = tokens.img_tag(EMAIL, BASE, keyring=keyring, reveal=True)
    assert markup.__html__() == markup
    assert markup.startswith('<span class="glyphveil-reveal" data-glyphveil-token="')
    assert 'data-glyphveil-label="Show email address"' in markup
    assert EMAIL not in markup
    token = re.search(r'data-glyphveil-token="([^"]+)"', markup)
    assert token is not None
    assert f"/t/{token[1]}.png" in markup  # the image shows the token the button reveals
    assert tokens.decode(token[1], keyring=keyring).revealable
    plain = tokens.img_tag(EMAIL, BASE, keyring=keyring, narrow=None)
    assert plain.startswith("<img ")
    src = re.search(r'src="[^"]*/t/([^".@]+)', plain)
    assert src is not None
    assert not tokens.decode(src[1], keyring=keyring).revealable


@pytest.mark.parametrize("reveal", ["yes", 1, None])
def test_img_tag_reveal_must_be_a_bool(keyring: KeyRing, reveal: object) -> None:
    with pytest.raises(OptionError, match="reveal must be True or False"):
        tokens.img_tag(EMAIL, BASE, keyring=keyring, reveal=reveal)  # type: ignore[arg-type]


# --- helpers strip surrounding whitespace; encode stays exact ------------------------------


@pytest.mark.parametrize(
    "spaced", [f"{EMAIL}\n", f"  {EMAIL}\r\n", f"\t{EMAIL}\u00a0", f"\u3000{EMAIL}"]
)
def test_img_tag_and_image_url_drop_surrounding_whitespace(keyring: KeyRing, spaced: str) -> None:
    """A trailing newline from a database field mints the same image instead of failing."""
    assert tokens.img_tag(spaced, BASE, keyring=keyring) == tokens.img_tag(
        EMAIL, BASE, keyring=keyring
    )
    assert tokens.image_url(spaced, BASE, keyring=keyring, density=2) == tokens.image_url(
        EMAIL, BASE, keyring=keyring, density=2
    )
    assert tokens.img_tag(f" {EMAIL} ", BASE, keyring=keyring, reveal=True).count(EMAIL) == 0


def test_encode_keeps_the_text_exactly(keyring: KeyRing) -> None:
    with pytest.raises(OptionError, match="U\\+000A"):
        tokens.encode(f"{EMAIL}\n", keyring=keyring)
    spaced = tokens.decode(tokens.encode(f" {EMAIL} ", keyring=keyring), keyring=keyring)
    assert spaced.text == f" {EMAIL} "
    with pytest.raises(OptionError):
        tokens.img_tag(" \n ", BASE, keyring=keyring)  # nothing left: the empty text's error


# --- text_box and image_size take a dict, as the README writes them ------------------------


def test_text_box_takes_a_dict_of_options() -> None:
    options = {"font": "mono", "size": 18, "noise": "low"}
    expected = tokens.text_box(EMAIL, RenderOptions.build(font="mono", size=18, noise="low"))
    assert tokens.text_box(EMAIL, options) == expected
    assert (
        tokens.text_box(EMAIL)
        == tokens.text_box(EMAIL, {})
        == tokens.text_box(EMAIL, RenderOptions())
    )
    assert tokens.image_size(EMAIL, options, 2) == expected.size(2)
    assert tokens.image_size(EMAIL, {"noise": "none"}) == tokens.image_size(
        EMAIL, RenderOptions(noise=Noise.NONE)
    )


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"colour": "red"}, "unknown option 'colour': did you mean 'color'?"),
        ({"size": "big"}, "size"),
        (["font", "mono"], "options must be a dict of options or a RenderOptions, not list"),
    ],
)
def test_text_box_refuses_bad_options_clearly(options: object, message: str) -> None:
    with pytest.raises(OptionError, match=re.escape(message)):
        tokens.text_box(EMAIL, options)  # type: ignore[arg-type]
