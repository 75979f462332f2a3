"""The gunicorn application that runs the service on several processes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiohttp import web
from gunicorn.app.base import BaseApplication
from prometheus_client import multiprocess

from ..config import Config

__all__ = ["Service"]


class Service(BaseApplication):  # type: ignore[misc]
    """N processes with aiohttp's gunicorn worker; metrics summed across them.

    ``PROMETHEUS_MULTIPROC_DIR`` must be set before :mod:`prometheus_client` is imported.
    """

    def __init__(self, config: Config, app_factory: Callable[[Config], web.Application]) -> None:
        self.config = config
        self.app_factory = app_factory
        super().__init__()

    def load_config(self) -> None:
        config = self.config
        settings: dict[str, Any] = {
            "bind": f"{config.host}:{config.port}",
            "workers": config.workers,
            "worker_class": "aiohttp.GunicornWebWorker",
            "graceful_timeout": 10,
            "loglevel": config.log_level.lower(),
            "child_exit": lambda _server, worker: multiprocess.mark_process_dead(worker.pid),  # type: ignore[no-untyped-call]
        }
        if "control_socket_disable" in self.cfg.settings:  # gunicorn 25.1+
            settings["control_socket_disable"] = True  # one service, no runtime control
        for name, value in settings.items():
            self.cfg.set(name, value)

    def load(self) -> web.Application:
        return self.app_factory(self.config)
