"""Prometheus metrics, also correct under several gunicorn workers.

With ``PROMETHEUS_MULTIPROC_DIR`` set before this module is imported, each process
writes its values there and ``/metrics`` sums them (prometheus_client's multiprocess
mode). Labels never carry tokens or text.
"""

from __future__ import annotations

from typing import TypeVar, cast

from prometheus_client import Counter, Gauge, Histogram
from prometheus_client.metrics import MetricWrapperBase

__all__ = [
    "CACHE_EVENTS",
    "CONNECTIONS_CLOSED",
    "RENDERS_IN_FLIGHT",
    "RENDERS_SHED",
    "RENDER_PIXELS_IN_FLIGHT",
    "RENDER_SECONDS",
    "REQUESTS",
    "count_cache_event",
    "count_request",
    "labelled",
]

Metric = TypeVar("Metric", bound=MetricWrapperBase)

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

RENDER_PIXELS_IN_FLIGHT = Gauge(
    "glyphveil_render_pixels_in_flight",
    "Output pixels of the renders admitted (running or queued), the admission budget's unit",
    multiprocess_mode="livesum",
)

RENDERS_SHED = Counter(
    "glyphveil_renders_shed",
    "Renders not drawn: refused at admission (overloaded), not ready in time (deadline),"
    " or dropped from the queue because every client waiting for them left (abandoned)",
    ["reason"],
)

CONNECTIONS_CLOSED = Counter(
    "glyphveil_connections_closed",
    "Connections closed by the server's limits: over the connection cap (capacity),"
    " stalled and replaced by a new one at the cap (evicted), silent after being"
    " accepted (idle_timeout), request head or body too slow (header_timeout,"
    " body_timeout) or malformed (bad_request)",
    ["reason"],
)


#: Label children by metric and label values, looked up once: ``labels()`` validates
#: and locks on every call, which costs more than the increment. Label values are few.
_CHILDREN: dict[tuple[MetricWrapperBase, tuple[str, ...]], MetricWrapperBase] = {}


def labelled(metric: Metric, *values: str) -> Metric:
    """The child of ``metric`` for the label ``values``, as ``metric.labels(*values)``."""
    child = _CHILDREN.get((metric, values))
    if child is None:
        child = _CHILDREN[(metric, values)] = metric.labels(*values)
    return cast(Metric, child)


def count_request(route: str, status: int) -> None:
    """Count one answer of ``route`` (a route name, never a path) with ``status``."""
    labelled(REQUESTS, route, str(status)).inc()


def count_cache_event(result: str) -> None:
    """Count one image cache look-up: ``hit``, ``miss`` or ``coalesced``."""
    labelled(CACHE_EVENTS, result).inc()
