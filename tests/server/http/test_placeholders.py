"""server.http.placeholders: the placeholder route answers every size it cannot draw alike."""

from __future__ import annotations

import pytest

from tests.fetching import fetch


@pytest.mark.parametrize("path", ["/0x10", "/-5x10", "/10x-5", "/-5", "/10x0", "/-0x10"])
async def test_sizes_below_one_pixel_are_one_400(client, path: str) -> None:
    response, body = await fetch(client, path)
    assert response.status == 400
    assert response.headers["Cache-Control"] == "no-store"
    assert body.endswith(b"below the 1 px minimum\n") and body.count(b"\n") == 1


async def test_placeholders_and_tokens_have_separate_caches(client) -> None:
    from server.state import CACHE, PLACEHOLDER_CACHE

    app = client.server.app
    assert app[CACHE] is not app[PLACEHOLDER_CACHE]
    response, _ = await fetch(client, "/300x200")
    assert response.status == 200
    assert len(app[PLACEHOLDER_CACHE]) == 1 and len(app[CACHE]) == 0


@pytest.mark.parametrize(
    ("path", "on_loop"),
    [("/300x200", True), ("/700x700", True), ("/710x710", False), ("/300x200.webp", False)],
)
async def test_small_png_placeholders_are_drawn_on_the_loop(
    client, monkeypatch: pytest.MonkeyPatch, path: str, on_loop: bool
) -> None:
    """Up to INLINE_PIXELS (500,000) a PNG is drawn on the event loop, the rest in threads."""
    import threading

    from server.http import placeholders

    threads: list[threading.Thread] = []
    draw = placeholders.render_placeholder

    def recording(spec: placeholders.PlaceholderSpec) -> object:
        threads.append(threading.current_thread())
        return draw(spec)

    monkeypatch.setattr(placeholders, "render_placeholder", recording)
    response, _ = await fetch(client, path)
    assert response.status == 200
    assert [t is threading.main_thread() for t in threads] == [on_loop]


# --- SVG and AVIF: the same grammar, limits and caching as the other formats ------------------


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/300x200/svg", "image/svg+xml"),
        ("/300x200.svg", "image/svg+xml"),
        ("/300x200@2x/0b5fff/fff.svg?text=Hi", "image/svg+xml"),
        ("/300x200.avif", "image/avif"),
        ("/300x200/0b5fff/fff/avif", "image/avif"),
    ],
)
async def test_svg_and_avif_are_served_and_cached_like_png(
    client, path: str, content_type: str
) -> None:
    from server.state import PLACEHOLDER_CACHE

    png, _ = await fetch(client, "/300x200.png")
    response, body = await fetch(client, path)
    assert response.status == 200, body
    assert response.headers["Content-Type"] == content_type
    for header in ("Cache-Control", "X-Content-Type-Options", "Access-Control-Allow-Origin"):
        assert response.headers.get(header) == png.headers.get(header), header
    etag = response.headers["ETag"]
    assert len(client.server.app[PLACEHOLDER_CACHE]) == 2
    again, again_body = await fetch(client, path)
    assert (again_body, again.headers["ETag"]) == (body, etag)
    assert len(client.server.app[PLACEHOLDER_CACHE]) == 2  # a hit, not a second entry
    unchanged, _ = await fetch(client, path, headers={"If-None-Match": etag})
    assert unchanged.status == 304
    head, head_body = await fetch(client, path, method="HEAD")
    assert head.status == 200 and head_body == b""


@pytest.mark.parametrize("ext", ["svg", "avif"])
@pytest.mark.parametrize(
    ("size", "message"),
    [("5000x10", b"width 5000 px is over the 4000 px limit"), ("0x10", b"below the 1 px minimum")],
)
async def test_svg_and_avif_keep_the_limits(client, ext: str, size: str, message: bytes) -> None:
    response, body = await fetch(client, f"/{size}.{ext}")
    png, png_body = await fetch(client, f"/{size}.png")
    assert response.status == png.status == 400
    assert body == png_body and message in body


async def test_chromium_draws_svg_and_avif_placeholders(client) -> None:
    """A browser decodes and draws both: the background's colour at a corner, the size."""
    from playwright.async_api import async_playwright

    from tests.browser import launch_chromium

    base = str(client.make_url("/")).rstrip("/")
    images = {
        "svg": "/240x120/0b5fff/fff.svg?text=Hello%20%3Cb%3E",
        "avif": "/240x120/0b5fff/fff.avif",
        "png": "/240x120/0b5fff/fff.png",
    }
    async with async_playwright() as pw:
        browser = await launch_chromium(pw)
        try:
            page = await browser.new_page()
            await page.goto(base + "/healthz")  # the service's origin: no tainted canvas
            drawn = await page.evaluate(
                """async images => {
                    const out = {};
                    for (const [name, src] of Object.entries(images)) {
                        const img = new Image();
                        img.src = src;
                        await img.decode();
                        const canvas = document.createElement('canvas');
                        canvas.width = img.naturalWidth;
                        canvas.height = img.naturalHeight;
                        const context = canvas.getContext('2d');
                        context.drawImage(img, 0, 0);
                        const corner = Array.from(context.getImageData(2, 2, 1, 1).data);
                        const pixels = context.getImageData(0, 0, canvas.width, canvas.height).data;
                        let light = 0;  // pixels of the white text
                        for (let i = 0; i < pixels.length; i += 4) {
                            if (pixels[i] > 200 && pixels[i + 1] > 200) light++;
                        }
                        out[name] = {w: img.naturalWidth, h: img.naturalHeight, corner, light};
                    }
                    return out;
                }""",
                images,
            )
        finally:
            await browser.close()
    for name, image in drawn.items():
        assert (image["w"], image["h"]) == (240, 120), name
        assert all(
            abs(a - b) <= 8 for a, b in zip(image["corner"], [11, 95, 255, 255], strict=True)
        ), drawn
        assert image["light"] > 100, (name, image)  # the text is drawn too
