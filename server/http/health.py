"""``GET /healthz`` and ``GET /metrics``: for load balancers and scrapers."""

from __future__ import annotations

import contextlib
import glob
import os
from collections.abc import Iterable

from aiohttp import web
from aiohttp.typedefs import Handler
from prometheus_client import REGISTRY, CollectorRegistry, multiprocess
from prometheus_client.aiohttp import make_aiohttp_handler
from prometheus_client.metrics_core import Metric

from ..ops.admission import RETRY_AFTER
from ..state import ADMISSION

__all__ = ["healthz_view", "metrics_handler"]


async def healthz_view(request: web.Request) -> web.Response:
    """``GET /healthz``: 200 while the process takes new renders, 503 while its render
    queue or pixel budget is full, so a load balancer sends elsewhere until it drains.

    Touches neither the render threads nor the cache, so it answers at once even when
    every thread is busy.
    """
    admission = request.app.get(ADMISSION)
    if admission is not None and admission.full:
        return web.Response(
            status=503,
            text="busy\n",
            headers={"Retry-After": str(RETRY_AFTER)},  # no-store: security_headers
        )
    return web.Response(text="ok\n", headers={"Cache-Control": "no-cache"})


class _SettledFiles(multiprocess.MultiProcessCollector):
    """prometheus_client's multiprocess collector, skipping the files a worker has
    created but not yet sized: a scrape that races a new worker's first metric would
    otherwise fail with ``struct.error`` (seen after a gunicorn HUP)."""

    def collect(self) -> Iterable[Metric]:
        files = []
        for path in glob.glob(os.path.join(self._path, "*.db")):
            with contextlib.suppress(OSError):  # a dead worker's file may go meanwhile
                if os.path.getsize(path) >= _MIN_FILE_BYTES:
                    files.append(path)
        return self.merge(files, accumulate=True)  # type: ignore[no-untyped-call,no-any-return]


#: The smallest file that holds its own length field (an 8-byte header).
_MIN_FILE_BYTES = 8


def _registry() -> CollectorRegistry:
    if "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
        return REGISTRY
    registry = CollectorRegistry()
    _SettledFiles(registry)  # type: ignore[no-untyped-call]
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
