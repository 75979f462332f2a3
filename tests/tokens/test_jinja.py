"""tokens.jinja: the protect filter and global, and protect_url, in real Jinja2 templates."""

from __future__ import annotations

import re

import jinja2
import pytest
from markupsafe import Markup

import tokens
from tokens import KeyRing, Noise, OptionError
from tokens.jinja import install

from .test_api import BASE, EMAIL, parse_img, url_token

PRICE = "£1,299"


@pytest.fixture
def env(keyring: KeyRing) -> jinja2.Environment:
    environment = jinja2.Environment(autoescape=True, undefined=jinja2.Undefined)
    install(environment, base_url=BASE, keyring=keyring)
    return environment


def render(env: jinja2.Environment, source: str, **context: object) -> str:
    return env.from_string(source).render(**context)


def test_filter_gives_the_img_unescaped_with_autoescape_on(
    env: jinja2.Environment, keyring: KeyRing
) -> None:
    page = render(env, "<p>{{ email | protect }}</p>", email=EMAIL)
    assert page.startswith("<p><picture><source ") and page.endswith("></picture></p>")
    assert EMAIL not in page and "&lt;" not in page
    attrs = parse_img(page)
    assert attrs["alt"] == "email address" and attrs["class"] == "glyphveil"
    assert attrs["src"] is not None
    assert tokens.decode(url_token(attrs["src"]), keyring=keyring).text == EMAIL
    width, height = tokens.image_size(EMAIL, tokens.RenderOptions())
    assert (attrs["width"], attrs["height"]) == (str(width), str(height))


def test_filter_returns_markup(env: jinja2.Environment) -> None:
    protect = env.filters["protect"]
    assert isinstance(protect(EMAIL), Markup)
    assert isinstance(env.globals["protect"], type(protect))


def test_global_with_options(env: jinja2.Environment, keyring: KeyRing) -> None:
    page = render(env, '{{ protect(price, font="mono", noise="low", alt="price") }}', price=PRICE)
    attrs = parse_img(page)
    assert attrs["alt"] == "price"
    assert attrs["src"] is not None
    options = tokens.decode(url_token(attrs["src"]), keyring=keyring).options
    assert (options.font, options.noise) == ("mono", Noise.LOW)
    assert PRICE not in page and "1,299" not in page


def test_filter_with_options(env: jinja2.Environment, keyring: KeyRing) -> None:
    page = render(env, '{{ email | protect(size=24, css_class="team") }}', email=EMAIL)
    attrs = parse_img(page)
    assert attrs["class"] == "team"
    assert attrs["src"] is not None
    assert tokens.decode(url_token(attrs["src"]), keyring=keyring).options.size == 24


def test_global_with_reveal(env: jinja2.Environment, keyring: KeyRing) -> None:
    page = render(env, "{{ protect(email, reveal=True) }}", email=EMAIL)
    assert page.startswith('<span class="glyphveil-reveal" data-glyphveil-token="')
    assert EMAIL not in page
    token = re.search(r'data-glyphveil-token="([^"]+)"', page)
    assert token is not None
    assert tokens.decode(token[1], keyring=keyring).revealable


def test_reveal_labels_name_the_person(env: jinja2.Environment) -> None:
    page = render(
        env,
        "{% for p in team %}{{ protect(p.email, reveal=True,"
        " label='Show ' ~ p.name ~ '\\'s email address') }}{% endfor %}",
        team=[{"name": "Jane Doe", "email": EMAIL}, {"name": "Joe Bloggs", "email": "j@b.test"}],
    )
    labels = re.findall(r'data-glyphveil-label="([^"]+)"', page)
    assert labels == ["Show Jane Doe&#x27;s email address", "Show Joe Bloggs&#x27;s email address"]


def test_protect_url(env: jinja2.Environment, keyring: KeyRing) -> None:
    page = render(env, '<a href="{{ email | protect_url(density=2) }}">x</a>', email=EMAIL)
    url = re.fullmatch(r'<a href="([^"]+)">x</a>', page)
    assert url is not None
    assert url[1].startswith(BASE + "/t/") and url[1].endswith("@2x.png")
    assert tokens.decode(url_token(url[1]), keyring=keyring).text == EMAIL
    assert render(env, "{{ protect_url(email) }}", email=EMAIL).endswith(".png")


def test_install_defaults_apply_and_calls_override_them(keyring: KeyRing) -> None:
    environment = jinja2.Environment(autoescape=True)
    install(
        environment,
        base_url="/glyphs",
        keyring=keyring,
        densities=(1,),
        css_class="veiled",
        format="webp",
        noise="high",
    )
    attrs = parse_img(render(environment, "{{ e | protect }}", e=EMAIL))
    assert attrs["src"] is not None and attrs["src"].startswith("/glyphs/t/")
    assert attrs["src"].endswith(".webp") and "srcset" not in attrs
    assert attrs["class"] == "veiled"
    assert tokens.decode(url_token(attrs["src"]), keyring=keyring).options.noise == Noise.HIGH
    attrs = parse_img(render(environment, '{{ e | protect(noise="none") }}', e=EMAIL))
    assert attrs["src"] is not None
    assert tokens.decode(url_token(attrs["src"]), keyring=keyring).options.noise == Noise.NONE


def test_numbers_are_written_out(env: jinja2.Environment, keyring: KeyRing) -> None:
    attrs = parse_img(render(env, "{{ n | protect }}", n=1299))
    assert attrs["src"] is not None
    assert tokens.decode(url_token(attrs["src"]), keyring=keyring).text == "1299"


@pytest.mark.parametrize("context", [{}, {"v": None}, {"v": ""}])
def test_missing_or_empty_values_render_nothing(
    env: jinja2.Environment, context: dict[str, object]
) -> None:
    assert render(env, "[{{ v | protect }}|{{ v | protect_url }}]", **context) == "[|]"


def test_strict_undefined_raises(keyring: KeyRing) -> None:
    environment = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    install(environment, base_url=BASE, keyring=keyring)
    with pytest.raises(jinja2.UndefinedError):
        render(environment, "{{ missing | protect }}")


def test_works_with_autoescape_off(keyring: KeyRing) -> None:
    environment = jinja2.Environment(autoescape=False)  # noqa: S701 - what is tested
    install(environment, base_url=BASE, keyring=keyring)
    page = render(environment, "{{ e | protect }}", e=EMAIL)
    assert parse_img(page)["alt"] == "email address"


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ('{{ e | protect(colour="red") }}', "unknown option 'colour'"),
        ("{{ e | protect(density=2) }}", "unknown option 'density'"),
        ('{{ e | protect_url(alt="x") }}', "unknown option 'alt'"),
        ('{{ e | protect(font="comic") }}', "unknown font 'comic'"),
        ("{{ e | protect(alt=e) }}", "alt text must not contain the protected text"),
        ("{{ [1] | protect }}", "protect needs text or a number, not list"),
    ],
)
def test_bad_template_calls_raise_option_error(
    env: jinja2.Environment, source: str, message: str
) -> None:
    with pytest.raises(OptionError, match=re.escape(message)):
        render(env, source, e=EMAIL)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"base_url": None}, "base_url must be where the service answers"),
        ({"base_url": "img.example.com"}, "bad base_url"),
        ({"colour": "red"}, "unknown option 'colour'"),
        ({"size": 7}, "bad size 7"),
        ({"densities": (2,)}, "1 must be among them"),
        ({"format": "gif"}, "bad format"),
    ],
)
def test_install_checks_its_settings(
    settings: dict[str, object], message: str, keyring: KeyRing
) -> None:
    values: dict[str, object] = {"base_url": BASE, "keyring": keyring, **settings}
    with pytest.raises(OptionError, match=re.escape(message)):
        install(jinja2.Environment(autoescape=True), **values)  # type: ignore[arg-type]


def test_img_tag_itself_is_inserted_unescaped(keyring: KeyRing) -> None:
    """Without the filter too: img_tag's SafeHTML has __html__, which autoescape honours."""
    environment = jinja2.Environment(autoescape=True)
    tag = tokens.img_tag(EMAIL, BASE, keyring=keyring)
    assert environment.from_string("{{ tag }}").render(tag=tag) == tag
    assert environment.from_string("{{ text }}").render(text=str(tag)) != tag  # a str is escaped


def test_surrounding_whitespace_is_dropped_before_minting(env: jinja2.Environment) -> None:
    """A trailing newline from a database field mints the same image, instead of failing
    the page; whitespace alone renders nothing, like an empty value."""
    for source in ("{{ e | protect }}", "{{ protect(e, noise='low') }}", "{{ e | protect_url }}"):
        assert render(env, source, e=f"\t{EMAIL}\n") == render(env, source, e=EMAIL)
        assert render(env, source, e=" \r\n") == ""


def test_picture_settings_pass_through(keyring: KeyRing) -> None:
    """narrow, dark and compact: as install defaults, and per call."""
    site = jinja2.Environment(autoescape=True)
    install(site, "https://img.example.com", keyring=keyring, dark=True, narrow=360)
    page = site.from_string("{{ e | protect }}").render(e=EMAIL)
    assert page.count("<source ") == 3 and '"(max-width: 360px)"' in page
    assert "(prefers-color-scheme: dark)" in page
    inline = site.from_string("<p>Write to {{ protect(e, compact=True, dark=None) }}.</p>")
    page = inline.render(e=EMAIL)
    assert page.startswith("<p>Write to <img ") and "glyphveil-compact" in page
    with pytest.raises(OptionError, match="bad narrow"):
        install(jinja2.Environment(autoescape=True), "", keyring=keyring, narrow="wide")
