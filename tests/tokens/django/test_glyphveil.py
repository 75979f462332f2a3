"""tokens.django: {% load glyphveil %} in real Django templates, configured from settings."""

from __future__ import annotations

import re
from collections.abc import Iterator

import django
import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.template import engines
from django.test.utils import override_settings

import tokens
from tokens import KeyRing, Noise, OptionError

from ..test_api import BASE, EMAIL, parse_img, url_token

KEY = tokens.generate_key()
SITE = {"BASE_URL": BASE, "KEYS": [KEY]}


@pytest.fixture(scope="module", autouse=True)
def django_settings() -> None:
    """Django configured once per process, as a site's settings module would."""
    if not settings.configured:
        settings.configure(
            INSTALLED_APPS=["tokens.django"],
            TEMPLATES=[
                {"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True}
            ],
            GLYPHVEIL=SITE,
        )
        django.setup()


@pytest.fixture
def site() -> Iterator[KeyRing]:
    with override_settings(GLYPHVEIL=SITE):
        yield KeyRing([KEY])


def render(source: str, **context: object) -> str:
    return engines["django"].from_string("{% load glyphveil %}" + source).render(context)


def test_app_label_is_glyphveil() -> None:
    from django.apps import apps

    assert apps.get_app_config("glyphveil").name == "tokens.django"


def test_protect_renders_the_img_marked_safe(site: KeyRing) -> None:
    page = render("<p>{% protect user.email %}</p>", user={"email": EMAIL})
    assert page.startswith("<p><picture><source ") and "&lt;" not in page and EMAIL not in page
    attrs = parse_img(page)
    assert attrs["alt"] == "email address" and attrs["class"] == "glyphveil"
    assert attrs["src"] is not None and attrs["src"].startswith(BASE + "/t/")
    assert tokens.decode(url_token(attrs["src"]), keyring=site).text == EMAIL
    width, height = tokens.image_size(EMAIL, tokens.RenderOptions())
    assert (attrs["width"], attrs["height"]) == (str(width), str(height))
    assert attrs["srcset"] is not None and attrs["srcset"].endswith("@2x.png 2x")


def test_protect_with_options(site: KeyRing) -> None:
    page = render('{% protect price font="mono" noise="low" alt="price" %}', price="£1,299")
    attrs = parse_img(page)
    assert attrs["alt"] == "price"
    assert attrs["src"] is not None
    options = tokens.decode(url_token(attrs["src"]), keyring=site).options
    assert (options.font, options.noise) == ("mono", Noise.LOW)


def test_protect_reveal_wraps_a_revealable_token(site: KeyRing) -> None:
    page = render("{% protect user.email reveal=True %}", user={"email": EMAIL})
    assert page.startswith('<span class="glyphveil-reveal" data-glyphveil-token="')
    assert 'data-glyphveil-label="Show email address"' in page and EMAIL not in page
    token = re.search(r'data-glyphveil-token="([^"]+)"', page)
    assert token is not None
    assert tokens.decode(token[1], keyring=site).revealable


def test_protect_reveal_label(site: KeyRing) -> None:
    # As the README shows it: the person's name in the label, so a team page's differ.
    page = render(
        '{% for p in team %}{% protect p.email reveal=True label="Show "|add:p.name|add:'
        '"\'s email address" %}{% endfor %}',
        team=[{"name": "Jane Doe", "email": EMAIL}, {"name": "Joe Bloggs", "email": "j@b.test"}],
    )
    labels = re.findall(r'data-glyphveil-label="([^"]+)"', page)
    assert labels == ["Show Jane Doe&#x27;s email address", "Show Joe Bloggs&#x27;s email address"]


def test_protect_as_variable(site: KeyRing) -> None:
    page = render("{% protect e as image %}[{{ image }}]", e=EMAIL)
    assert page.startswith("[<picture><source ") and page.endswith("></picture>]")


def test_protect_url(site: KeyRing) -> None:
    page = render('<a href="{% protect_url e density=2 %}">x</a>', e=EMAIL)
    url = re.fullmatch(r'<a href="([^"]+)">x</a>', page)
    assert url is not None and url[1].endswith("@2x.png")
    assert tokens.decode(url_token(url[1]), keyring=site).text == EMAIL


def test_defaults_from_settings() -> None:
    config = {
        "BASE_URL": "/glyphs/",
        "KEYS": KEY,  # a comma-separated string works too
        "DEFAULTS": {"noise": "high", "densities": [1, 2, 3], "css_class": "veiled", "size": 20},
    }
    with override_settings(GLYPHVEIL=config):
        attrs = parse_img(render("{% protect e %}", e=EMAIL))
        assert attrs["src"] is not None and attrs["src"].startswith("/glyphs/t/")
        assert attrs["srcset"] is not None and attrs["srcset"].endswith("@3x.png 3x")
        assert attrs["class"] == "veiled"
        options = tokens.decode(url_token(attrs["src"]), keyring=KeyRing([KEY])).options
        assert (options.noise, options.size) == (Noise.HIGH, 20)
        attrs = parse_img(render('{% protect e noise="none" %}', e=EMAIL))
        assert attrs["src"] is not None
        options = tokens.decode(url_token(attrs["src"]), keyring=KeyRing([KEY])).options
        assert options.noise == Noise.NONE
        assert render("{% protect_url e %}", e=EMAIL).startswith("/glyphs/t/")


def test_keys_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    key = tokens.generate_key()
    monkeypatch.setenv("GLYPHVEIL_KEYS", key)
    with override_settings(GLYPHVEIL={"BASE_URL": BASE}):
        attrs = parse_img(render("{% protect e %}", e=EMAIL))
    assert attrs["src"] is not None
    assert tokens.decode(url_token(attrs["src"]), keyring=KeyRing([key])).text == EMAIL


@pytest.mark.parametrize("context", [{}, {"e": None}, {"e": ""}])
def test_missing_or_empty_values_render_nothing(site: KeyRing, context: dict[str, object]) -> None:
    assert render("[{% protect e %}|{% protect_url e %}]", **context) == "[|]"


def test_numbers_are_written_out(site: KeyRing) -> None:
    attrs = parse_img(render("{% protect n %}", n=1299))
    assert attrs["src"] is not None
    assert tokens.decode(url_token(attrs["src"]), keyring=site).text == "1299"


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ('{% protect e colour="red" %}', "unknown option 'colour'"),
        ("{% protect e density=2 %}", "unknown option 'density'"),
        ('{% protect_url e alt="x" %}', "unknown option 'alt'"),
        ('{% protect e font="comic" %}', "unknown font 'comic'"),
        ("{% protect e alt=e %}", "alt text must not contain the protected text"),
    ],
)
def test_bad_tags_raise_option_error(site: KeyRing, source: str, message: str) -> None:
    with pytest.raises(OptionError, match=re.escape(message)):
        render(source, e=EMAIL)


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (None, "settings.GLYPHVEIL must be a dict"),
        ({}, 'settings.GLYPHVEIL["BASE_URL"] is missing'),
        ({"BASE_URL": None}, 'settings.GLYPHVEIL["BASE_URL"]: base_url must be'),
        ({"BASE_URL": "img.example.com"}, 'settings.GLYPHVEIL["BASE_URL"]: bad base_url'),
        ({"BASE_URL": BASE, "BASEURL": 1}, "unknown key 'BASEURL'"),
        ({"BASE_URL": BASE, "DEFAULTS": ["noise"]}, '["DEFAULTS"] must be a dict'),
        ({"BASE_URL": BASE, "DEFAULTS": {"colour": "red"}}, "unknown option 'colour'"),
        ({"BASE_URL": BASE, "KEYS": ["not a key"]}, 'settings.GLYPHVEIL["KEYS"] must be'),
        ({"BASE_URL": BASE, "KEYS": [42]}, 'settings.GLYPHVEIL["KEYS"] must be'),
    ],
)
def test_bad_settings_are_named(config: object, message: str) -> None:
    with override_settings(GLYPHVEIL=config), pytest.raises(ImproperlyConfigured) as info:
        render("{% protect e %}", e=EMAIL)
    assert message in str(info.value)
    assert "not a key" not in str(info.value)  # a key's text never appears in an error


def test_img_tag_itself_is_inserted_unescaped() -> None:
    """Without the tag too: img_tag's SafeHTML has __html__, which Django honours."""
    from django.utils.html import conditional_escape

    tag = tokens.img_tag(EMAIL, BASE, keyring=KeyRing([KEY]))
    assert engines["django"].from_string("{{ tag }}").render({"tag": tag}) == tag
    assert engines["django"].from_string("{{ t }}").render({"t": str(tag)}) != tag
    assert conditional_escape(tag) == tag


@pytest.mark.parametrize(
    ("source", "name"),
    [
        ("{% protect e font=mono %}", "font"),  # unquoted: the variable mono, undefined
        ("{% protect e noise=level %}", "noise"),
        ('{% protect e color="" %}', "color"),
        ("{% protect_url e size=missing %}", "size"),
        ("{% protect e alt=member.role %}", "alt"),
    ],
)
def test_an_empty_or_undefined_option_is_named(site: KeyRing, source: str, name: str) -> None:
    with pytest.raises(OptionError) as info:
        render(source, e=EMAIL, member={})
    assert str(info.value) == (
        f'option {name}= is empty or undefined: quote a literal value ({name}="..."); '
        "an unquoted word is a template variable"
    )


def test_an_empty_css_class_removes_the_class(site: KeyRing) -> None:
    assert "class=" not in render('{% protect e css_class="" %}', e=EMAIL)


def test_surrounding_whitespace_is_dropped_before_minting(site: KeyRing) -> None:
    assert render("{% protect e %}", e=f"  {EMAIL}\n") == render("{% protect e %}", e=EMAIL)
    assert render("{% protect_url e %}", e=f"{EMAIL}\r\n") == render("{% protect_url e %}", e=EMAIL)
    assert render("[{% protect e %}|{% protect_url e %}]", e=" \n") == "[|]"


def test_picture_settings_from_defaults_and_tags() -> None:
    config = {"BASE_URL": BASE, "KEYS": [KEY], "DEFAULTS": {"dark": True, "narrow": 360}}
    with override_settings(GLYPHVEIL=config):
        page = render("{% protect e %}", e=EMAIL)
        assert page.count("<source ") == 3 and '"(max-width: 360px)"' in page
        inline = render("<p>Mail {% protect e compact=True dark=None %}.</p>", e=EMAIL)
        assert inline.startswith("<p>Mail <img ") and "glyphveil-compact" in inline
        assert render("{% protect_url e %}", e=EMAIL).startswith(BASE + "/t/")
