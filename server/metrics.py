"""Prometheus metrics, also correct under several gunicorn workers.

With ``PROMETHEUS_MULTIPROC_DIR`` set before this module is imported, each process
writes its values there and ``/metrics`` sums them (prometheus_client's multiprocess
mode). Labels never carry tokens or text.
"""

from __future__ import annotations

import os

from aiohttp import web
from aiohttp.typedefs import Handler
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram, multiprocess
from prometheus_client.aiohttp import make_aiohttp_handler

__all__ = ["CACHE_EVENTS", "RENDERS_IN_FLIGHT", "RENDER_SECONDS", "REQUESTS", "metrics_handler"]

REQUESTS = Counter(
    "glyphveil_requests", "HTTP requests answered, by route and status", ["route", "status"]
)
RENDER_SECONDS = Histogram(
    "glyphveil_render_seconds",
    "Time to draw and encode one image, off the event loop",
    ["kind"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
)
CACHE_EVENTS = Counter(
    "glyphveil_cache", "Image cache look-ups: hit, miss or coalesced", ["result"]
)
RENDERS_IN_FLIGHT = Gauge(
    "glyphveil_renders_in_flight",
    "Renders running or queued for a thread",
    multiprocess_mode="livesum",
)


def _registry() -> CollectorRegistry:
    if "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return registry


def metrics_handler() -> Handler:
    """``GET /metrics``: prometheus_client's own handler (Prometheus or OpenMetrics text,
    as the scraper asks), never cached."""
    export = make_aiohttp_handler(_registry())

    async def metrics_view(request: web.Request) -> web.StreamResponse:
        response = await export(request)
        response.headers["Cache-Control"] = "no-store"
        return response

    return metrics_view
