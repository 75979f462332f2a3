"""server.http.health: /healthz reports unready while the render queue is full."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.state import ADMISSION
from tests.fetching import fetch


async def test_healthz_is_503_while_the_queue_is_full(client) -> None:
    admission = client.server.app[ADMISSION]
    tickets = [admission.admit(1) for _ in range(admission.limit)]
    busy, body = await fetch(client, "/healthz")
    assert (busy.status, body) == (503, b"busy\n")
    assert busy.headers["Retry-After"] == "1"
    assert busy.headers["Cache-Control"] == "no-store"
    hit, _ = await fetch(client, "/metrics")
    assert hit.status == 200  # never shed
    for ticket in tickets:
        admission.release(ticket)
    ready, body = await fetch(client, "/healthz")
    assert (ready.status, body) == (200, b"ok\n")


async def test_healthz_is_503_while_the_pixel_budget_is_used_up(client) -> None:
    admission = client.server.app[ADMISSION]
    ticket = admission.admit(admission.budget)
    assert (await fetch(client, "/healthz"))[0].status == 503
    admission.release(ticket)
    assert (await fetch(client, "/healthz"))[0].status == 200


def test_metrics_skip_a_new_workers_empty_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A scrape racing a worker that has created its metrics file but not sized it."""
    from prometheus_client.exposition import generate_latest

    from server.http.health import _registry

    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    (tmp_path / "counter_4242.db").write_bytes(b"")
    assert generate_latest(_registry()) == b""
