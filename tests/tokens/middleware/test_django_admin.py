"""The Django middleware on the admin's own pages, served by a real process: the list
pages hold nothing for a harvester, the values show as images in Chromium, and the
pages keep their outline. Edit forms keep the values in their ``<input value>``: a
form must send them back, so the rewriter leaves attributes other than the readable
ones alone (and reports them)."""

from __future__ import annotations

import html
import http.cookiejar
import os
import re
import subprocess
import sys
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.browser import launch_chromium
from tests.processes import KEY, Service, free_port
from tests.tokens.harvester import (
    ALL_LOADED_JS,
    EAGER_JS,
    IMAGES_JS,
    OUTLINE_JS,
    OVERFLOW_JS,
    Harvest,
)

from .django_admin.serve import CONTACTS, NOTES, PASSWORD, values

ROOT = Path(__file__).resolve().parents[3]
LISTS = ["/admin/auth/user/", "/admin/contacts/contact/"]
FORMS = ["/admin/contacts/contact/1/change/", "/admin/auth/user/2/change/"]
INPUT = re.compile(r"<input [^>]*>")


@pytest.fixture
def service(spawn: Callable[..., Service]) -> str:
    return spawn("--densities", "1,2").url("")


@pytest.fixture
def admins(service: str, tmp_path: Path) -> Iterator[dict[str, str]]:
    """The admin with the middleware ("on") and without ("off"), each its own process."""
    processes, urls = [], {}
    try:
        for mode in ("on", "off"):
            port = free_port()
            env = {
                "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                "PYTHONPATH": str(ROOT),
                "GLYPHVEIL_KEYS": KEY,
                "GLYPHVEIL_SERVICE": service,
                "GLYPHVEIL_REWRITE": mode,
                "ADMIN_DATABASE": str(tmp_path / f"{mode}.sqlite3"),
            }
            process = subprocess.Popen(
                [sys.executable, "-m", "tests.tokens.middleware.django_admin.serve", str(port)],
                cwd=tmp_path,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
            processes.append(process)
            assert process.stdout is not None
            line = process.stdout.readline()
            assert line == b"ready\n", line or process.stderr.read().decode()[-3000:]
            urls[mode] = f"http://127.0.0.1:{port}"
        yield urls
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=20)


def logged_in(base: str) -> urllib.request.OpenerDirector:
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )
    with opener.open(base + "/admin/login/", timeout=10) as response:
        page = response.read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token is not None
    form = urllib.parse.urlencode(
        {
            "csrfmiddlewaretoken": token.group(1),
            "username": "admin",
            "password": PASSWORD,
            "next": "/admin/",
        }
    ).encode()
    request = urllib.request.Request(
        base + "/admin/login/", data=form, headers={"Referer": base + "/admin/login/"}
    )
    with opener.open(request, timeout=10) as response:
        assert response.url.endswith("/admin/"), response.url
    return opener


def get(opener: urllib.request.OpenerDirector, url: str) -> str:
    with opener.open(url, timeout=10) as response:
        assert response.status == 200
        return str(response.read().decode())


def test_list_pages_hold_nothing_for_a_harvester(admins: dict[str, str]) -> None:
    on, off = logged_in(admins["on"]), logged_in(admins["off"])
    for path in ["/admin/", *LISTS]:
        page, plain = get(on, admins["on"] + path), get(off, admins["off"] + path)
        assert Harvest.of(page).holds(values()) == [], path
        if path == "/admin/contacts/contact/":
            assert Harvest.of(plain).holds(values()) == values()[: 2 * len(CONTACTS)]
            assert page.count('class="glyphveil"') == 2 * len(CONTACTS)
            assert html.escape(NOTES) in page  # the look-alikes are kept, to the byte
    for path in FORMS:  # edit forms: values only in the inputs the form sends back
        page = get(on, admins["on"] + path)
        outside = INPUT.sub("", page)
        assert Harvest.of(outside).holds(values()) == [], path


async def test_in_chromium_values_are_images_and_pages_keep_their_outline(
    admins: dict[str, str],
) -> None:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await launch_chromium(pw)
        try:
            outlines: dict[str, list[object]] = {}
            for mode in ("off", "on"):
                context = await browser.new_context(viewport={"width": 1200, "height": 800})
                page = await context.new_page()
                page.set_default_timeout(60_000)
                await page.goto(admins[mode] + "/admin/login/")
                await page.fill("#id_username", "admin")
                await page.fill("#id_password", PASSWORD)
                await page.click("input[type=submit]")
                await page.wait_for_url("**/admin/")
                for path in LISTS:
                    await page.goto(admins[mode] + path, wait_until="load")
                    await page.evaluate(EAGER_JS)
                    await page.wait_for_function(ALL_LOADED_JS, timeout=30_000)
                    outline = await page.evaluate(OUTLINE_JS)
                    if mode == "off":
                        outlines[path] = outline
                        continue
                    assert outline == outlines[path], path
                    images = await page.evaluate(IMAGES_JS)
                    assert images and all(i["naturalWidth"] > 0 for i in images), path
                    assert await page.evaluate(OVERFLOW_JS) <= 0
                    text = await page.evaluate("document.body.innerText")
                    assert Harvest.of(text).holds(values()) == [], path
                await context.close()
        finally:
            await browser.close()
