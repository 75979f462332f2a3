"""The home page: both APIs documented, local assets only, a form that works with and without JS."""

from __future__ import annotations

import html
import os
from collections.abc import Awaitable, Callable
from html.parser import HTMLParser

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from server import Config, create_app
from server.config import PlaceholderLimits
from server.http.home import SAMPLE_TEXT, PlaygroundForm, preview_url
from server.render.placeholder import PlaceholderError
from tests.browser import launch_chromium

Client = TestClient[web.Request, web.Application]
ServerFactory = Callable[..., Awaitable[TestServer]]

IMAGE_TYPES = {"image/png", "image/webp", "image/jpeg", "image/gif"}
URL_ATTRIBUTES = {"src", "href", "srcset", "action", "poster", "data", "formaction"}


class Page(HTMLParser):
    """Collects the tags and URL-bearing attributes of a page."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {name: value or "" for name, value in attrs}))

    def find(self, tag: str) -> list[dict[str, str]]:
        return [attrs for name, attrs in self.tags if name == tag]

    def by_id(self, element_id: str) -> dict[str, str] | None:
        return next((attrs for _, attrs in self.tags if attrs.get("id") == element_id), None)

    def urls(self) -> list[str]:
        found = []
        for _, attrs in self.tags:
            for name, value in attrs.items():
                if name == "srcset":
                    found += [part.strip().split()[0] for part in value.split(",") if part.strip()]
                elif name in URL_ATTRIBUTES:
                    found.append(value)
        return found


async def get_page(client: Client, path: str = "/") -> tuple[str, Page]:
    resp = await client.get(path)
    assert resp.status == 200
    assert resp.headers["Content-Type"] == "text/html; charset=utf-8"
    assert resp.headers["Cache-Control"] == "no-cache"
    text = await resp.text()
    return text, Page(text)


@pytest.fixture
async def client_without_placeholders(
    aiohttp_client: Callable[..., Awaitable[Client]], config: Config
) -> Client:
    return await aiohttp_client(create_app(config.with_values(placeholders=False)))


async def test_home_documents_both_apis(client: Client) -> None:
    text, page = await get_page(client)
    assert text.startswith("<!doctype html>")
    assert page.by_id("tokens") is not None
    assert page.by_id("placeholders") is not None
    assert page.by_id("playground-form") is not None
    for needle in (
        "pip install dist/glyphveil-",
        "import tokens",
        "tokens.img_tag(",
        "/t/{token}.png",
    ):
        assert html.escape(needle, quote=False) in text
    for needle in ("404", "410", "GLYPHVEIL_PLACEHOLDERS=off", "4000 px", "16,000,000 pixels"):
        assert needle in text
    assert 'alt="email address"' in text  # the accessibility advice, in the markup sample


async def test_every_image_on_the_page_is_served_locally(client: Client) -> None:
    _, page = await get_page(client)
    images = page.find("img")
    assert len(images) >= 5  # the token sample, the examples and the preview
    sources = [attrs["src"] for attrs in images]
    sources += [
        u for attrs in images for u in Page(f'<img srcset="{attrs.get("srcset", "")}">').urls()
    ]
    for src in sources:
        assert src.startswith("/") and not src.startswith("//"), src
        resp = await client.get(src)
        assert resp.status == 200, src
        assert resp.headers["Content-Type"] in IMAGE_TYPES, src
    for attrs in images:
        assert attrs.get("alt"), attrs


async def test_no_remote_assets(client: Client) -> None:
    text, page = await get_page(client)
    for url in page.urls():
        assert url.startswith(("/", "#", "?", "data:,")) and not url.startswith("//"), url
    assert not [attrs for attrs in page.find("script") if "src" in attrs]
    assert all(attrs["href"].startswith("data:") for attrs in page.find("link"))
    style = text[text.index("<style") : text.index("</style>")]
    assert "@import" not in style and "url(" not in style
    # The only absolute URLs are documentation examples inside <code>.
    for scheme in ("http://", "https://"):
        for index in _occurrences(text, scheme):
            assert text.rfind("<code>", 0, index) > text.rfind("</code>", 0, index), text[index:]


def _occurrences(text: str, needle: str) -> list[int]:
    found, start = [], text.find(needle)
    while start != -1:
        found.append(start)
        start = text.find(needle, start + 1)
    return found


async def test_the_live_token_hides_its_text(client: Client) -> None:
    text, page = await get_page(client)
    assert SAMPLE_TEXT not in text
    assert "jane.doe" not in text
    token_images = [a for a in page.find("img") if a["src"].startswith("/t/")]
    assert len(token_images) == 1
    assert token_images[0]["alt"] == "email address"
    resp = await client.get(token_images[0]["src"])
    assert resp.status == 200
    assert resp.headers["Content-Type"] == "image/png"


async def test_query_drives_the_preview_without_javascript(client: Client) -> None:
    _, page = await get_page(client, "/?w=320&h=100&bg=ff0000&text=Hi")
    preview = page.by_id("preview")
    assert preview is not None
    assert preview["src"] == "/320x100/ff0000?text=Hi"
    assert (preview["width"], preview["height"]) == ("320", "100")
    assert page.by_id("w")["value"] == "320"  # type: ignore[index]
    assert page.by_id("text")["value"] == "Hi"  # type: ignore[index]
    resp = await client.get(preview["src"])
    assert resp.status == 200


async def test_the_form_submits_with_get_to_home(client: Client) -> None:
    _, page = await get_page(client)
    form = page.by_id("playground-form")
    assert form is not None
    assert form["method"] == "get"
    assert form["action"].split("#")[0] == "/"
    names = {attrs.get("name") for tag, attrs in page.tags if tag in ("input", "select")}
    assert names == {"w", "h", "bg", "fg", "text", "font", "format", "density"}
    for name in names:  # every field has a label
        assert any(attrs.get("for") == name for attrs in page.find("label")), name


async def test_full_query_is_percent_encoded(client: Client) -> None:
    query = (
        "w=300&h=200&bg=%23abc&fg=white&text=Hello+World%0A%C3%A9%26x"
        "&font=serif&format=webp&density=2"
    )
    _, page = await get_page(client, "/?" + query)
    preview = page.by_id("preview")
    assert preview is not None
    expected = "/300x200@2x/abc/white.webp?text=Hello%20World%0A%C3%A9%26x&font=serif"
    assert preview["src"] == expected
    resp = await client.get(expected)
    assert resp.status == 200
    assert resp.headers["Content-Type"] == "image/webp"


async def test_invalid_query_shows_the_error_and_no_preview(client: Client) -> None:
    text, page = await get_page(client, "/?w=99999&h=10")
    preview = page.by_id("preview")
    assert preview is not None and "src" not in preview
    assert "over the 4000 px limit" in text
    text, page = await get_page(client, "/?w=300&h=200&bg=%3Cscript%3E")
    assert "<script>" not in text
    assert "&lt;script&gt;" in text  # echoed back into the field, escaped
    assert "background must be hex" in text


async def test_placeholders_off_shows_only_token_docs(client_without_placeholders: Client) -> None:
    text, page = await get_page(client_without_placeholders)
    assert page.by_id("tokens") is not None
    assert page.by_id("placeholders") is None
    assert not page.find("form") and not page.find("input")
    assert not page.find("script")
    sources = [attrs["src"] for attrs in page.find("img")]
    assert sources and all(src.startswith("/t/") for src in sources)
    assert SAMPLE_TEXT not in text
    resp = await client_without_placeholders.get(sources[0])
    assert resp.status == 200


@pytest.mark.parametrize(
    ("form", "url"),
    [
        (PlaygroundForm(), "/600x300"),
        (PlaygroundForm(fg="#fff"), "/600x300/dddddd/fff"),
        (PlaygroundForm(format="gif", density="3"), "/600x300@3x.gif"),
        (PlaygroundForm(text="a b\\nc", font="lato"), "/600x300?text=a%20b%5Cnc&font=lato"),
        (PlaygroundForm(text="(it's)!*~"), "/600x300?text=(it's)!*~"),
    ],
)
def test_preview_url(form: PlaygroundForm, url: str) -> None:
    assert preview_url(form, PlaceholderLimits()) == url


@pytest.mark.parametrize(
    "form",
    [
        PlaygroundForm(w=""),
        PlaygroundForm(h="1e3"),
        PlaygroundForm(w="٣"),  # a digit, but not ASCII
        PlaygroundForm(bg="ff/00"),
        PlaygroundForm(fg="notacolour"),
        PlaygroundForm(format="bmp"),
        PlaygroundForm(density="4"),
        PlaygroundForm(w="4000", h="4000", density="2"),
    ],
)
def test_preview_url_rejects(form: PlaygroundForm) -> None:
    with pytest.raises(PlaceholderError):
        preview_url(form, PlaceholderLimits())


async def test_browser_updates_the_preview_as_the_user_types(
    aiohttp_server: ServerFactory, config: Config
) -> None:
    from playwright.async_api import async_playwright

    server = await aiohttp_server(create_app(config))
    base = f"http://127.0.0.1:{server.port}"
    async with async_playwright() as pw:
        browser = await launch_chromium(pw)
        try:
            page = await browser.new_page(viewport={"width": 1100, "height": 900})
            problems: list[str] = []
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda exc: problems.append(str(exc)))
            page.on(
                "request",
                lambda r: None if r.url.startswith(base) else problems.append("remote: " + r.url),
            )
            await page.goto(base + "/", wait_until="load")
            assert await page.title() == (
                "glyphveil: protected text as images, and placeholder images"
            )
            # Every image on the page loaded.
            broken = await page.eval_on_selector_all(
                "img:not([hidden])",
                "els => els.filter(e => !e.complete || !e.naturalWidth).map(e => e.src)",
            )
            assert broken == []

            await page.fill("#w", "")
            await page.type("#w", "321")
            await page.fill("#text", "Hi there")
            expected = "/321x300?text=Hi%20there"
            await page.wait_for_function(
                "url => document.getElementById('preview').getAttribute('src') === url",
                arg=expected,
            )
            await page.wait_for_function(
                "() => { const i = document.getElementById('preview');"
                " return i.complete && i.naturalWidth > 0; }"
            )
            assert await page.eval_on_selector("#preview", "i => i.naturalWidth") == 321
            assert await page.text_content("#preview-url") == expected
            assert page.url == f"{base}/?w=321&h=300&bg=&fg=&text=Hi+there&font=sans" + (
                "&format=png&density=1#playground"
            )

            assert problems == [], problems

            # A bad value shows the reason instead of a broken image.
            await page.fill("#bg", "nocolour")
            await page.wait_for_function(
                "() => document.getElementById('preview-url').textContent.includes('bad colour')"
            )
            await page.fill("#bg", "0b5fff")
            await page.fill("#fg", "fff")
            await page.wait_for_function(
                "() => document.getElementById('preview').getAttribute('src')"
                " === '/321x300/0b5fff/fff?text=Hi%20there'"
            )
            await page.wait_for_function(
                "() => document.getElementById('preview').naturalWidth === 321"
            )
            assert all("status of 400" in p for p in problems), problems
            await page.screenshot(
                path=os.environ.get("HOME_SCREENSHOT", "/tmp/home.png"), full_page=True
            )
        finally:
            await browser.close()


async def test_the_live_token_and_the_snippet_have_width_and_height(client: Client) -> None:
    """The README recommends width and height; the home page's own image and snippet
    have them, the sizes the service draws."""
    import tokens

    text, page = await get_page(client)
    live = next(img for img in page.find("img") if "/t/" in img.get("src", ""))
    assert (int(live["width"]), int(live["height"])) == tokens.image_size(SAMPLE_TEXT, {"size": 20})
    width, height = tokens.image_size("jane@example.com")
    assert f'width="{width}" height="{height}"' in text  # the img_tag snippet's markup


async def test_the_page_gives_the_documented_rotation_and_commands(client: Client) -> None:
    text, _ = await get_page(client)
    assert "put a new key first" not in text
    assert "add the new key second on this service first, then put it first on the website" in text
    assert "python -m tokens keygen" not in text and "<code>glyphveil keygen</code>" in text
    assert "pip install dist/glyphveil-0.1.0-py3-none-any.whl" in text
    assert "|.avif|.svg]" in text and "|avif|svg}" in text
    assert "<option>svg</option>" in text and "<option>avif</option>" in text
