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
