"""The gunicorn application that runs the service on several processes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from gunicorn.app.base import BaseApplication
from prometheus_client import multiprocess

from ..config import Config

__all__ = ["WORKER_CLASSES", "Service"]

#: aiohttp's gunicorn worker for each ``event_loop`` setting.
WORKER_CLASSES = {
    "asyncio": "aiohttp.GunicornWebWorker",
    "uvloop": "aiohttp.GunicornUVLoopWebWorker",
}


class Service(BaseApplication):  # type: ignore[misc]
    """N processes with aiohttp's gunicorn worker; metrics summed across them.

    ``PROMETHEUS_MULTIPROC_DIR`` must be set before :mod:`prometheus_client` is imported.
    HUP calls ``on_reload`` in the master (the key reload), then starts new workers and
    stops the old ones gracefully; TERM stops every worker, each finishing its requests
    within ``grace_seconds``; a worker that exits or is killed is replaced, and its
    metrics are marked dead so gauges drop its share.
    """

    def __init__(
        self,
        config: Config,
        make_runner: Callable[[], web.AppRunner],
        on_reload: Callable[[], object] | None = None,
    ) -> None:
        self.config = config
        self.make_runner = make_runner
        self.on_reload = on_reload
        super().__init__()

    def load_config(self) -> None:
        config = self.config
        settings: dict[str, Any] = {
            "bind": f"{config.host}:{config.port}",
            "workers": config.workers,
            "worker_class": WORKER_CLASSES[config.event_loop],
            "graceful_timeout": config.grace_seconds,
            "loglevel": config.log_level.lower(),
            "child_exit": lambda _server, worker: multiprocess.mark_process_dead(worker.pid),  # type: ignore[no-untyped-call]
        }
        if self.on_reload is not None:
            reload = self.on_reload
            settings["on_reload"] = lambda _arbiter: reload()  # before the new workers fork
        if "control_socket_disable" in self.cfg.settings:  # gunicorn 25.1+
            settings["control_socket_disable"] = True  # one service, no runtime control
        for name, value in settings.items():
            self.cfg.set(name, value)

    def load(self) -> Callable[[], Awaitable[web.AppRunner]]:
        """What each worker runs: aiohttp's worker awaits a coroutine function and serves
        the :class:`~aiohttp.web.AppRunner` it returns (with our connection limits)."""
        make_runner = self.make_runner

        async def runner() -> web.AppRunner:
            return make_runner()

        return runner
