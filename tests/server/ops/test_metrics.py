"""``/metrics`` (server/metrics.py): Prometheus text that counts what the service did.

Counters are process-global, so every test compares a scrape before and after.
"""

from __future__ import annotations

import time

import tokens
import tokens.codec
from tests.fetching import fetch
from tokens.options import RenderOptions

SECRET = "secret.person@example.org"


async def test_prometheus_text_format(client) -> None:
    response, body = await fetch(client, "/metrics")
    assert response.status == 200
    assert response.content_type == "text/plain"
    assert "version=" in response.headers["Content-Type"]
    assert response.headers["Cache-Control"] == "no-store"
    text = body.decode("utf-8")
    for line in (
        "# TYPE glyphveil_requests_total counter",
        "# TYPE glyphveil_render_seconds histogram",
        "# TYPE glyphveil_cache_total counter",
        "# TYPE glyphveil_renders_in_flight gauge",
    ):
        assert line in text


async def test_requests_are_counted_by_route_and_status(client, mint, keyring, scrape) -> None:
    token = mint(SECRET)
    expired = tokens.codec.seal(SECRET, keyring, RenderOptions(), ttl=1, now=time.time() - 100)
    before = await scrape(client)
    for path, status in [
        (f"/t/{token}.png", 200),
        (f"/t/{token}.png", 200),
        (f"/t/{token}@2x.webp", 200),
        (f"/t/{token[:-2]}.png", 404),
        ("/t/garbage.png", 404),
        (f"/t/{token}@4x.png", 400),
        (f"/t/{expired}.png", 410),
        ("/nope", 404),
        ("/healthz", 200),
        ("/300x200.png", 200),
    ]:
        response, _ = await fetch(client, path)
        assert response.status == status, path
    etag = (await fetch(client, f"/t/{token}.png"))[0].headers["ETag"]
    response, _ = await fetch(client, f"/t/{token}.png", headers={"If-None-Match": etag})
    assert response.status == 304
    after = await scrape(client)

    def delta(route: str, status: str) -> float:
        return after.since(before, "glyphveil_requests_total", route=route, status=status)

    assert delta("token", "200") == 4
    assert delta("token", "304") == 1
    assert delta("token", "404") == 2
    assert delta("token", "400") == 1
    assert delta("token", "410") == 1
    assert delta("unmatched", "404") == 1
    assert delta("healthz", "200") == 1
    assert delta("placeholder", "200") == 1
    # The scrape before this one was counted too.
    assert delta("metrics", "200") == 1


async def test_renders_and_cache_are_counted(client, mint, scrape) -> None:
    token = mint(SECRET, noise="low")
    before = await scrape(client)
    for _ in range(3):
        response, _ = await fetch(client, f"/t/{token}@2x.png")
        assert response.status == 200
    response, _ = await fetch(client, "/320x100.webp")
    assert response.status == 200
    after = await scrape(client)

    def delta(name: str, **labels: str) -> float:
        return after.since(before, name, **labels)

    assert delta("glyphveil_render_seconds_count", kind="token") == 1
    assert delta("glyphveil_render_seconds_count", kind="placeholder") == 1
    assert delta("glyphveil_render_seconds_sum", kind="token") > 0
    assert delta("glyphveil_render_seconds_bucket", kind="token", le="+Inf") == 1
    assert delta("glyphveil_cache_total", result="miss") == 2
    assert delta("glyphveil_cache_total", result="hit") == 2
    assert ("glyphveil_renders_in_flight", frozenset()) in after.samples
    assert after.value("glyphveil_renders_in_flight") == before.value("glyphveil_renders_in_flight")


async def test_labels_never_carry_tokens_or_text(client, mint, scrape) -> None:
    token = mint(SECRET)
    for suffix in (".png", "@2x.png", "@9x.png", ".gif"):
        await fetch(client, f"/t/{token}{suffix}")
    await fetch(client, f"/t/{token[:-2]}.png")
    samples = await scrape(client)
    assert token not in samples.text and token[:-2] not in samples.text
    assert SECRET not in samples.text.lower()
    routes = {
        dict(labels).get("route")
        for name, labels in samples.samples
        if name == "glyphveil_requests_total"
    }
    assert "token" in routes
    assert all(route is not None and len(route) <= 20 for route in routes)


def test_labelled_is_the_labels_child_looked_up_once() -> None:
    from server.ops.metrics import RENDER_SECONDS, RENDERS_SHED, labelled

    child = labelled(RENDER_SECONDS, "placeholder")
    assert child is RENDER_SECONDS.labels("placeholder")
    assert labelled(RENDER_SECONDS, "placeholder") is child
    shed = labelled(RENDERS_SHED, "deadline")
    before = shed._value.get()
    labelled(RENDERS_SHED, "deadline").inc()
    assert RENDERS_SHED.labels("deadline")._value.get() == before + 1
