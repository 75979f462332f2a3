"""With ``reveal=True`` the rewriter's images can be revealed: a ``mailto:`` link whose
text is not the address keeps its text and is followed by a revealable image, and in
Chromium the service's ``/reveal.js`` turns that image back into a working link."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp.test_utils import TestServer
from aiohttp.typedefs import Handler, Middleware

import tokens
from server import Config, create_app
from tests.browser import launch_chromium
from tests.tokens.harvester import Harvest
from tokens.middleware.aiohttp import rewrite_middleware
from tokens.rewrite import Rewriter

VALUES = ["jane.doe@example.com", "+44 20 7946 0958"]


async def test_a_revealed_mailto_link_works_again(
    aiohttp_server: Callable[..., Awaitable[TestServer]],
    config: Config,
    keyring: tokens.KeyRing,
) -> None:
    from playwright.async_api import async_playwright

    # The site first: the service must name its origin as one allowed to reveal.
    middlewares: list[Middleware] = []

    @web.middleware
    async def rewriting(request: web.Request, handler: Handler) -> web.StreamResponse:
        return await middlewares[0](request, handler)

    async def page_view(request: web.Request) -> web.Response:
        return web.Response(text=html, content_type="text/html")

    site = web.Application(middlewares=[rewriting])
    site.router.add_get("/", page_view)
    site_server = await aiohttp_server(site)
    site_origin = f"http://127.0.0.1:{site_server.port}"
    service_server = await aiohttp_server(
        create_app(
            config.with_values(
                reveal=True, reveal_difficulty=10, reveal_origins=frozenset({site_origin})
            )
        )
    )
    service = f"http://127.0.0.1:{service_server.port}"
    html = (
        "<!doctype html><html lang=en><meta charset=utf-8><title>Contact</title>"
        '<p><a class="contact" href="mailto:jane.doe@example.com?subject=Hello">'
        "Write to Jane</a></p>"
        "<p>Or call +44 20 7946 0958.</p>"
        f'<script src="{service}/reveal.js" defer></script></html>'
    )
    rewriter = Rewriter(service, region="GB", keyring=keyring, reveal=True)
    middlewares.append(rewrite_middleware(rewriter))

    async with async_playwright() as pw:
        browser = await launch_chromium(pw)
        try:
            page = await browser.new_page()
            page.set_default_timeout(60_000)
            response = await page.goto(f"{site_origin}/")
            assert response is not None
            served = await response.text()
            assert Harvest.of(served).holds(VALUES) == []
            assert '<a class="contact">Write to Jane</a> <span class="glyphveil-reveal"' in served
            await page.wait_for_selector("button.glyphveil-reveal-button")
            assert await page.get_by_role("button").count() == 2
            await page.get_by_role("button", name="Show email address").click()
            link = page.get_by_role("link", name="jane.doe@example.com")
            await link.wait_for()
            assert await link.get_attribute("href") == "mailto:jane.doe@example.com"
            await page.get_by_role("button", name="Show phone number").click()
            phone = page.get_by_role("link", name="+44 20 7946 0958")
            await phone.wait_for()
            assert (await phone.get_attribute("href") or "").startswith("tel:+44")
        finally:
            await browser.close()
