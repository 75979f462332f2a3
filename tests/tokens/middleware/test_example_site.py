"""The example site with every ``protect`` call taken out of its templates and the aiohttp
middleware on: the same images as with the calls, nothing for a harvester, the same
layout in Chromium.

The unprotected templates are derived from ``examples/site/templates`` as the test
runs: ``{{ x | protect }}`` and ``{{ protect(x, ...) }}`` become ``{{ x }}``, except
prices (``plan.price``, or a call with ``alt="price"``), which no rewriter can tell from
other numbers: they become ``<span data-glyphveil data-glyphveil-font="mono"
...>{{ x }}</span>``, the call's options as the marker's attributes (``compact=True`` as
``data-glyphveil-compact``). Other calls' ``compact=True`` is dropped: the rewriter must
find by itself that those values sit inside a sentence, as a site owner expects. The
rewriter takes phone numbers in the mono font and offers dark images (``dark=True``), as
the templates did, and runs with ``phone_leniency="possible"``, since the site's ``(555)
010-0199`` is a fictional number libphonenumber knows is not assigned.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp
import aiohttp_jinja2
import jinja2
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

import tokens
from examples.site.app import HERE, PRICES, TEAM, create_app, plaintexts
from tests.browser import launch_chromium
from tests.processes import KEY, Service
from tests.tokens.harvester import ALL_LOADED_JS, IMAGES_JS, OVERFLOW_JS, Harvest
from tokens.middleware.aiohttp import rewrite_middleware
from tokens.rewrite import Rewriter

#: The helper's markup for one value: an ``<img>``, or a ``<picture>`` holding one.
IMG = re.compile(r"<picture>.*?</picture>|<img [^>]*>", re.DOTALL)
#: The images of each page: a card's email and phone (the prices), and the values inside
#: a sentence.
PAGES = {"/": 2 * len(TEAM) + 1, "/prices": len(PRICES) + 2}
FILTER = re.compile(r"\{\{\s*([\w.]+)\s*\|\s*protect\s*\}\}")
CALL = re.compile(
    r"\{\{\s*protect\(\s*([\w.]+)((?:\s*,\s*\w+=(?:\"[^\"]*\"|\d+|True|False))*)\s*\)\s*\}\}"
)
KEYWORD = re.compile(r"(\w+)=(?:\"([^\"]*)\"|(\d+|True|False))")
#: Every element's box but the images and the price markers, in document order.
BOXES_JS = """
() => Array.from(document.querySelectorAll('body *'))
  .filter(e => e.tagName !== 'IMG' && !e.hasAttribute('data-glyphveil'))
  .filter(e => { const p = e.closest('picture');
                 return !(p && p.querySelector(':scope > img.glyphveil')); })
  .map(e => { const r = e.getBoundingClientRect();
              return [e.tagName, r.x, r.y, r.width, r.height]; })
"""

Server = Callable[[web.Application], Awaitable[TestServer]]


def unprotected(template: str) -> str:
    """``template`` without a ``protect`` call: values as text, prices marked."""

    def call(match: re.Match[str]) -> str:
        value, keywords = match.group(1), match.group(2)
        if not value.endswith("price") and 'alt="price"' not in keywords:
            return "{{ " + value + " }}"
        attributes = "".join(
            f' data-glyphveil-{name}="{quoted or number}"'
            for name, quoted, number in KEYWORD.findall(keywords)
        )
        return f"<span data-glyphveil{attributes}>{{{{ {value} }}}}</span>"

    return CALL.sub(call, FILTER.sub(r"{{ \1 }}", template))


def test_the_derived_templates_hold_no_protect_call(tmp_path: Path) -> None:
    for path in (HERE / "templates").glob("*.html"):
        derived = unprotected(path.read_text())
        assert "protect" not in derived, path.name
    prices = unprotected((HERE / "templates" / "prices.html").read_text())
    assert '<span data-glyphveil data-glyphveil-font="mono" data-glyphveil-size="20"' in prices
    sentence = (
        '<span data-glyphveil data-glyphveil-compact="True" data-glyphveil-font="mono" '
        'data-glyphveil-alt="price">'
    )
    assert sentence + "{{ setup }}</span> extra. For invoices, write to {{ billing }}." in prices


@pytest.fixture
def service(spawn: Callable[..., Service]) -> str:
    return spawn("--densities", "1,2").url("")


@pytest.fixture
async def sites(aiohttp_server: Server, service: str, tmp_path: Path) -> tuple[str, str]:
    """(the site as it is, the site without protect calls behind the middleware)."""
    keyring = tokens.KeyRing([KEY])
    protected = create_app(service, keyring=keyring)
    templates = tmp_path / "templates"
    templates.mkdir()
    for path in (HERE / "templates").glob("*.html"):
        (templates / path.name).write_text(unprotected(path.read_text()))
    rewritten = create_app(service, keyring=keyring)
    aiohttp_jinja2.setup(rewritten, loader=jinja2.FileSystemLoader(templates), autoescape=True)
    rewriter = Rewriter(
        service,
        keyring=keyring,
        region="US",
        phone_leniency="possible",
        phone_options={"font": "mono"},
        dark=True,
    )
    rewritten.middlewares.append(rewrite_middleware(rewriter))
    first, second = await aiohttp_server(protected), await aiohttp_server(rewritten)
    return str(first.make_url("")), str(second.make_url(""))


async def fetch(session: aiohttp.ClientSession, url: str) -> bytes:
    async with session.get(url) as response:
        assert response.status == 200, url
        return await response.read()


async def test_same_images_as_the_protect_calls_and_nothing_to_harvest(
    sites: tuple[str, str],
) -> None:
    protected, rewritten = sites
    async with aiohttp.ClientSession() as session:
        for path, count in PAGES.items():
            before = (await fetch(session, protected + path)).decode()
            after = (await fetch(session, rewritten + path)).decode()
            assert IMG.findall(after) == IMG.findall(before), path
            assert len(IMG.findall(after)) == count
            assert Harvest.of(after).holds(plaintexts()) == [], path
            assert Harvest.of(before).holds(plaintexts()) == []
            # The same tokens, so the service draws the same bytes: fetched to prove it.
            urls = re.findall(r'(?:src="|, )(http[^" ]+\.png)', after)
            for url in sorted(set(urls)):
                image = await fetch(session, url)
                assert image.startswith(b"\x89PNG"), url


@pytest.mark.parametrize("dpr", [1, 2])
async def test_in_chromium_every_value_is_an_image_and_the_layout_is_the_same(
    sites: tuple[str, str], dpr: int
) -> None:
    from playwright.async_api import async_playwright

    protected, rewritten = sites
    async with async_playwright() as pw:
        browser = await launch_chromium(pw)
        try:
            context = await browser.new_context(
                viewport={"width": 1000, "height": 720}, device_scale_factor=dpr
            )
            page = await context.new_page()
            page.set_default_timeout(60_000)
            for path, count in PAGES.items():
                layouts = []
                for site in (protected, rewritten):
                    await page.goto(site + path, wait_until="load")
                    await page.wait_for_function(ALL_LOADED_JS, timeout=30_000)
                    images = await page.evaluate(IMAGES_JS)
                    assert len(images) == count
                    for image in images:
                        assert image["naturalWidth"] > 0
                        assert [image["width"], image["height"]] == image["promised"]
                    assert await page.evaluate(OVERFLOW_JS) <= 0
                    layouts.append(await page.evaluate(BOXES_JS))
                    text = await page.evaluate("document.body.innerText")
                    assert Harvest.of(text).holds(plaintexts()) == []
                assert layouts[0] == layouts[1], path
        finally:
            await browser.close()
