"""The example site in a real browser: every protected value arrives as an image of the
size its markup promised, the page never holds the plaintext, and nothing moves when
the images arrive.

The service (``python -m server``) and the site (``python -m examples.site``) run as
processes of their own on free loopback ports, sharing a fresh key; headless Chromium
(Debian's ``/usr/bin/chromium``, driven by Playwright) opens each page at device scale
factors 1 and 2, holding the image responses back until the layout has been measured,
and on a 390x844 phone, light and dark: no horizontal scroll, every image at the size
its chosen ``<source>`` or ``<img>`` promised (never scaled down), long addresses on two
lines, dark images in the dark scheme, and a value inside a sentence that keeps the
line's height.

Screenshots go to the test's temp dir; with ``GLYPHVEIL_SCREENSHOTS=docs`` the team
page is also saved there at 1x, 2x and 390 px, light and dark
(``docs/example-site-1x.png``, ``-2x.png``, ``-390.png``, ``-390-dark.png``, the
README's pictures).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import pytest

import tokens
from examples.site.app import PRICES, TEAM, plaintexts
from tests.browser import launch_chromium

if TYPE_CHECKING:
    from playwright.async_api import ViewportSize

ROOT = Path(__file__).resolve().parents[2]
#: The protected images of each page: a card's email and phone (the price list's prices)
#: and the values inside a sentence.
PAGES = {"/": 2 * len(TEAM) + 1, "/prices": len(PRICES) + 2}
#: Read at import, and resolved against the directory pytest started in: the suite's
#: fixtures clear every GLYPHVEIL_* variable and run each test in its own directory.
SCREENSHOTS = (
    Path(os.environ["GLYPHVEIL_SCREENSHOTS"]).resolve()
    if os.environ.get("GLYPHVEIL_SCREENSHOTS")
    else None
)

#: In the page: every glyphveil image's promise and what it got.
IMAGES_JS = """
() => Array.from(document.querySelectorAll('img.glyphveil')).map(img => {
  const box = img.getBoundingClientRect();
  return {
    width: Number(img.getAttribute('width')), height: Number(img.getAttribute('height')),
    complete: img.complete, naturalWidth: img.naturalWidth, naturalHeight: img.naturalHeight,
    currentSrc: img.currentSrc, box: [box.x, box.y, box.width, box.height],
  };
})
"""
#: The pixel size of each image the browser chose, decoded on its own (without srcset,
#: whose density divides ``naturalWidth``).
PIXELS_JS = """
async () => Promise.all(Array.from(document.querySelectorAll('img.glyphveil')).map(async img => {
  const copy = new Image();
  copy.src = img.currentSrc;
  await copy.decode();
  return [copy.naturalWidth, copy.naturalHeight];
}))
"""
AFTER_JS = """
() => { const r = document.getElementById('after').getBoundingClientRect();
        return [r.x, r.y, r.width, r.height]; }
"""
STYLED_JS = """
n => { const link = document.querySelector('link[rel=stylesheet]');
       return document.readyState !== 'loading' && link && link.sheet !== null
              && link.sheet.cssRules.length > 0
              && document.querySelectorAll('img.glyphveil').length === n; }
"""
ALL_LOADED_JS = """
n => { const imgs = document.querySelectorAll('img.glyphveil');
       return imgs.length === n && Array.from(imgs).every(i => i.complete && i.naturalWidth > 0); }
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_until_up(url: str, process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, f"{url}: the process exited with {process.returncode}"
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"{url} did not answer within {timeout} s")


@pytest.fixture
def running_site(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """(service URL, site URL): both started as processes, stopped afterwards."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": str(ROOT),
        "GLYPHVEIL_KEYS": tokens.generate_key(),
    }
    service_port, site_port = free_port(), free_port()
    service_url = f"http://127.0.0.1:{service_port}"
    site_url = f"http://127.0.0.1:{site_port}"
    processes: list[subprocess.Popen[bytes]] = []
    try:
        command = [sys.executable, "-m", "server", "--port", str(service_port)]
        processes.append(subprocess.Popen([*command, "--densities", "1,2"], cwd=tmp_path, env=env))
        wait_until_up(f"{service_url}/healthz", processes[-1])
        command = [sys.executable, "-m", "examples.site", "--port", str(site_port)]
        processes.append(
            subprocess.Popen([*command, "--service-url", service_url], cwd=tmp_path, env=env)
        )
        wait_until_up(site_url + "/", processes[-1])
        yield service_url, site_url
    finally:
        for process in reversed(processes):
            process.terminate()
            process.wait(timeout=20)


def fetch_text(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.status == 200
        body: bytes = response.read()
        return body.decode()


def leaked(text: str) -> list[str]:
    """The protected values found in ``text``, also as their bare letters and digits."""
    bare = "".join(char for char in text.casefold() if char.isalnum())
    found = []
    for secret in plaintexts():
        key = "".join(char for char in secret.casefold() if char.isalnum())
        if secret.casefold() in text.casefold() or (len(key) >= 5 and key in bare):
            found.append(secret)
    return found


def test_the_served_html_holds_no_plaintext(running_site: tuple[str, str]) -> None:
    _, site = running_site
    for path, count in PAGES.items():
        html = fetch_text(site + path)
        assert html.count('class="glyphveil') == count
        assert leaked(html) == [], path
    assert [member.name in fetch_text(site + "/") for member in TEAM] == [True] * len(TEAM)


@pytest.mark.parametrize("dpr", [1, 2])
async def test_images_arrive_at_the_promised_size_and_nothing_moves(
    running_site: tuple[str, str], dpr: int, tmp_path: Path
) -> None:
    from playwright.async_api import Route, async_playwright

    service, site = running_site
    async with async_playwright() as pw:
        browser = await launch_chromium(pw)
        try:
            context = await browser.new_context(
                viewport={"width": 1000, "height": 720}, device_scale_factor=dpr
            )
            page = await context.new_page()
            page.set_default_timeout(60_000)  # a busy CI machine
            problems: list[str] = []
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda exc: problems.append(str(exc)))
            release = asyncio.Event()
            held: list[str] = []

            async def hold(route: Route) -> None:
                held.append(route.request.url)
                await release.wait()
                await route.continue_()

            await page.route(f"{service}/t/**", hold)
            for path, count in PAGES.items():
                release.clear()
                await page.goto(site + path, wait_until="domcontentloaded")
                # The layout is final but for the images: the markup is parsed, the
                # stylesheet applied (DOMContentLoaded does not wait for it) and fonts ready.
                await page.wait_for_function(STYLED_JS, arg=count)
                await page.evaluate("document.fonts.ready.then(() => true)")
                before = await page.evaluate(IMAGES_JS)
                after_before = await page.evaluate(AFTER_JS)
                assert not any(image["naturalWidth"] for image in before), "images arrived early"
                release.set()
                await page.wait_for_function(ALL_LOADED_JS, arg=count, timeout=30_000)
                loaded = await page.evaluate(IMAGES_JS)
                pixels = await page.evaluate(PIXELS_JS)

                # Nothing moved: the paragraph below and every image kept their boxes.
                assert await page.evaluate(AFTER_JS) == after_before, path
                assert [i["box"] for i in loaded] == [i["box"] for i in before], path
                for image, (width, height) in zip(loaded, pixels, strict=True):
                    promised = (image["width"], image["height"])
                    assert tuple(image["box"][2:]) == promised, image
                    # naturalWidth is in CSS px: the chosen density divides the pixels ...
                    assert (image["naturalWidth"], image["naturalHeight"]) == promised, image
                    # ... which are the promise times the device scale factor.
                    assert (width, height) == (promised[0] * dpr, promised[1] * dpr), image
                    assert image["currentSrc"].endswith("@2x.png" if dpr == 2 else ".png")
                    assert (image["currentSrc"].endswith("@2x.png")) == (dpr == 2)

                # The plaintext is nowhere in the page, as markup or as text.
                assert leaked(await page.evaluate("document.documentElement.outerHTML")) == []
                assert leaked(await page.evaluate("document.body.innerText")) == []
                assert leaked(await page.content()) == []
                shot = tmp_path / f"site{path.replace('/', '-')}@{dpr}x.png"
                await page.screenshot(path=str(shot), full_page=True)
                assert shot.stat().st_size > 10_000
                if path == "/" and SCREENSHOTS:
                    shutil.copyfile(shot, SCREENSHOTS / f"example-site-{dpr}x.png")
            assert len(held) >= sum(PAGES.values())
            assert all(url.startswith(f"{service}/t/") for url in held)
            assert problems == [], problems
        finally:
            await browser.close()


#: In the page: each glyphveil image, the <source> the browser chose (the first whose
#: media matches) or the <img>, and what that one promised.
CHOSEN_JS = """
() => Array.from(document.querySelectorAll('img.glyphveil')).map(img => {
  const picture = img.parentElement.tagName === 'PICTURE' ? img.parentElement : null;
  const sources = picture ? Array.from(picture.querySelectorAll('source')) : [];
  const chosen = sources.find(source => matchMedia(source.media).matches);
  const from = chosen || img;
  const urls = (chosen ? chosen.srcset : [img.src, img.srcset].join(', '))
    .split(',').map(item => item.trim().split(' ')[0]).filter(Boolean);
  const box = img.getBoundingClientRect();
  return {
    media: chosen ? chosen.media : null,
    narrowOffered: sources.some(source => source.media === '(max-width: 480px)'),
    width: Number(from.getAttribute('width')), height: Number(from.getAttribute('height')),
    urls, currentSrc: img.currentSrc,
    naturalWidth: img.naturalWidth, naturalHeight: img.naturalHeight,
    compact: img.classList.contains('glyphveil-compact'),
    box: [box.left, box.top, box.width, box.height],
  };
})
"""
SCROLL_JS = """
() => [document.documentElement.scrollWidth, document.documentElement.clientWidth,
       document.body.scrollWidth]
"""
SENTENCE_JS = """
() => { const p = document.getElementById('sentence');
        const style = getComputedStyle(p);
        return [p.getBoundingClientRect().height, parseFloat(style.lineHeight),
                parseFloat(style.fontSize)]; }
"""
PHONE: ViewportSize = {"width": 390, "height": 844}


@pytest.mark.parametrize("scheme", ["light", "dark"])
async def test_the_site_fits_a_phone(
    running_site: tuple[str, str], scheme: Literal["light", "dark"], tmp_path: Path
) -> None:
    """390x844 at 3x: nothing scrolls sideways, no image is drawn smaller (or larger)
    than it is, long addresses come on two lines, the dark scheme gets the dark images,
    and the values inside a sentence leave its line height alone."""
    from playwright.async_api import async_playwright

    _, site = running_site
    async with async_playwright() as pw:
        browser = await launch_chromium(pw)
        try:
            context = await browser.new_context(
                viewport=PHONE, device_scale_factor=3, color_scheme=scheme, is_mobile=True
            )
            page = await context.new_page()
            page.set_default_timeout(60_000)
            for path, count in PAGES.items():
                await page.goto(site + path, wait_until="load")
                await page.wait_for_function(ALL_LOADED_JS, arg=count, timeout=30_000)
                await page.evaluate("document.fonts.ready.then(() => true)")
                scroll_width, client_width, body_width = await page.evaluate(SCROLL_JS)
                assert client_width == PHONE["width"], path
                assert scroll_width <= client_width and body_width <= client_width, path
                images = await page.evaluate(CHOSEN_JS)
                assert len(images) == count
                for image in images:
                    promised = (image["width"], image["height"])
                    # Drawn at its own size (never scaled down, nor up) and inside the screen.
                    assert tuple(image["box"][2:]) == promised, (path, image)
                    assert (image["naturalWidth"], image["naturalHeight"]) == promised, image
                    assert image["box"][0] >= 0 and image["box"][0] + promised[0] <= 390, image
                    assert image["currentSrc"] in image["urls"], image
                    assert image["currentSrc"].endswith("@2x.png"), image  # 2x, the best offered
                    dark = (
                        image["media"] is not None
                        and "prefers-color-scheme: dark" in image["media"]
                    )
                    assert dark == (scheme == "dark"), image
                    if image["narrowOffered"]:
                        assert "(max-width: 480px)" in image["media"], image
                two_lines = [image for image in images if image["narrowOffered"]]
                if path == "/":  # every card's address is long: each comes on two lines
                    assert len(two_lines) == len(TEAM)
                    assert all(image["height"] > 100 >= image["width"] / 3 for image in two_lines)
                compact = [image for image in images if image["compact"]]
                assert compact and not any(image["narrowOffered"] for image in compact)
                height, line_height, font_size = await page.evaluate(SENTENCE_JS)
                for image in compact:  # about 1.4 lines of the sentence's text
                    assert image["height"] <= 1.5 * line_height, image
                lines = height / line_height
                assert abs(lines - round(lines)) * line_height <= 1, (path, height, line_height)
                assert font_size == 16
                assert leaked(await page.content()) == []
                shot = tmp_path / f"phone{path.replace('/', '-')}-{scheme}.png"
                await page.screenshot(path=str(shot), full_page=True)
                assert shot.stat().st_size > 10_000
                if path == "/" and SCREENSHOTS:  # one px per CSS px: 390 px wide
                    name = "example-site-390" + ("-dark" if scheme == "dark" else "") + ".png"
                    await page.screenshot(path=str(SCREENSHOTS / name), scale="css")
        finally:
            await browser.close()


def test_make_example_prints_both_urls(tmp_path: Path) -> None:
    """``python -m examples.site`` (what ``make example`` runs) starts the service with
    the development key, prints both URLs and stops the service when it stops."""
    service_port, site_port = free_port(), free_port()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": str(ROOT),
        "XDG_DATA_HOME": str(tmp_path / "data"),
    }
    command = [sys.executable, "-m", "examples.site", "--port", str(site_port)]
    process = subprocess.Popen(
        [*command, "--service-port", str(service_port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline().decode() for _ in range(2)]
        assert lines == [
            f"glyphveil service: http://127.0.0.1:{service_port}\n",
            f"example site:      http://127.0.0.1:{site_port}\n",
        ]
        wait_until_up(f"http://127.0.0.1:{site_port}/", process)
        html = fetch_text(f"http://127.0.0.1:{site_port}/")
        src = html.split('src="', 1)[1].split('"', 1)[0]
        assert src.startswith(f"http://127.0.0.1:{service_port}/t/")
        with urllib.request.urlopen(src, timeout=10) as response:
            assert response.headers["Content-Type"] == "image/png"
        assert (tmp_path / "data" / "glyphveil" / "dev.keys").exists()
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=20)
    assert process.returncode in (0, -15), stderr.decode()[-2000:]
    with pytest.raises(OSError):
        urllib.request.urlopen(f"http://127.0.0.1:{service_port}/healthz", timeout=2)


@pytest.mark.parametrize("which", ["service", "site"])
def test_make_example_beside_make_run_stops_with_one_line(tmp_path: Path, which: str) -> None:
    """A port already taken (``make run`` on 8080, say) stops ``python -m examples.site``
    with one line and exit 1, before it starts anything: it never uses the service it
    would find there, which may hold other keys."""
    service_port, site_port = free_port(), free_port()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": str(ROOT),
        "XDG_DATA_HOME": str(tmp_path / "data"),
    }
    with socket.socket() as other:
        other.bind(("127.0.0.1", service_port if which == "service" else site_port))
        other.listen()
        ports = ["--port", str(site_port), "--service-port", str(service_port)]
        done = subprocess.run(
            [sys.executable, "-m", "examples.site", *ports],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert done.returncode == 1
    assert done.stdout == ""
    if which == "service":
        assert done.stderr == (
            f"python -m examples.site: error: port {service_port} on 127.0.0.1 is taken by "
            "another process: stop it, or pick another --service-port (or use that service "
            f"with --service-url http://127.0.0.1:{service_port})\n"
        )
    else:
        assert done.stderr == (
            f"python -m examples.site: error: port {site_port} on 127.0.0.1 is taken by "
            "another process: stop it, or pick another --port\n"
        )
