"""The gunicorn application that runs the service on several processes."""

from __future__ import annotations

import asyncio
import errno
import signal
import socket
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import GunicornWebWorker, web
from gunicorn.app.base import BaseApplication
from gunicorn.arbiter import Arbiter
from prometheus_client import multiprocess

from ..config import Config

__all__ = [
    "WORKER_CLASSES",
    "BalancedWebWorker",
    "InPlaceReloadArbiter",
    "Service",
    "SharedListener",
]

#: The gunicorn worker for each ``event_loop`` setting: ours on asyncio, aiohttp's on uvloop.
WORKER_CLASSES = {
    "asyncio": "server.ops.gunicorn.BalancedWebWorker",
    "uvloop": "aiohttp.GunicornUVLoopWebWorker",
}


class SharedListener:
    """The listening socket that every worker shares, as one worker's event loop sees it:
    at most ``per_wakeup`` connections accepted per turn of the loop, and no ``listen()``.

    Each time the socket turns readable, asyncio's selector loop calls ``accept()`` until
    the queue is empty or ``backlog`` (aiohttp passes 128) connections were taken. Every
    worker is woken, but the first to run empties the queue: a client's burst of new
    connections (a browser's 6, a proxy's pool, wrk's 16) lands on one process while the
    others idle. Here ``accept()`` says "nothing more" (``EAGAIN``, as an empty queue
    does) after ``per_wakeup`` connections; the socket stays readable, so the loop comes
    back to it on its next turn, after the other workers had their chance.

    ``listen(n)`` does nothing: the master already listens, with gunicorn's ``backlog``
    (2048), and asyncio's ``sock.listen(128)`` on the shared socket would shrink the
    queue of every worker. Everything else is the socket's own.
    """

    def __init__(self, sock: socket.socket, per_wakeup: int = 1) -> None:
        if per_wakeup < 1:
            raise ValueError("per_wakeup must be at least 1")
        self.per_wakeup = per_wakeup
        self._sock = sock
        self._taken = 0  # connections accepted in this turn of the loop

    def listen(self, backlog: int = 0) -> None:
        """Leave the shared queue's length as the master set it."""

    def accept(self) -> tuple[socket.socket, Any]:
        if self._taken >= self.per_wakeup:
            raise BlockingIOError(errno.EAGAIN, "accepted enough for this turn of the loop")
        connection = self._sock.accept()  # BlockingIOError when the queue is empty
        if not self._taken:
            asyncio.get_running_loop().call_soon(self._next_turn)
        self._taken += 1
        return connection

    def _next_turn(self) -> None:
        self._taken = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)


class BalancedWebWorker(GunicornWebWorker):
    """aiohttp's gunicorn worker on asyncio, taking one new connection per turn of its
    loop from the shared socket (:class:`SharedListener`), so that a burst of new
    connections spreads over the workers instead of landing on the first one awake."""

    sockets: list[Any]  # gunicorn's listeners, set by its Worker

    def run(self) -> None:
        self.sockets = [SharedListener(sock) for sock in self.sockets]
        super().run()

    def init_signals(self) -> None:
        super().init_signals()
        # A HUP is a key reload (the app installs its handler once it starts); until
        # then it must not end the worker, as its default action would.
        signal.signal(signal.SIGHUP, signal.SIG_IGN)


class InPlaceReloadArbiter(Arbiter):  # type: ignore[misc]
    """gunicorn's master, with HUP reloading the keys in every worker instead of
    replacing the workers: no connection is closed, keep-alive clients included.

    The master reloads first (``on_reload``: the keys a replacement worker is forked
    with), then passes the HUP on; each worker reads the keys itself and keeps its old
    ones if the new cannot be read. Settings changes still need a restart.
    """

    def handle_hup(self) -> None:
        self.log.info("Hang up: reloading the keys of %s in place", self.master_name)
        self.cfg.on_reload(self)
        self.kill_workers(signal.SIGHUP)


class Service(BaseApplication):  # type: ignore[misc]
    """N processes of :data:`WORKER_CLASSES`; metrics summed across them.

    ``PROMETHEUS_MULTIPROC_DIR`` must be set before :mod:`prometheus_client` is imported.
    HUP calls ``on_reload`` in the master (the key reload), then reloads the keys of
    every worker in place (:class:`InPlaceReloadArbiter`); TERM stops every worker, each
    finishing its requests
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
        binds = [f"{config.host}:{config.port}"]
        if config.socket:
            binds.append(f"unix:{config.socket}")  # mode 0777 (umask 0): see connections.listen
        settings: dict[str, Any] = {
            "bind": binds,
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

    def run(self) -> None:
        """Serve until stopped, with :class:`InPlaceReloadArbiter` as the master."""
        try:
            InPlaceReloadArbiter(self).run()
        except RuntimeError as exc:  # as gunicorn's own run(): one line, exit 1
            print(f"\nError: {exc}\n", file=sys.stderr)
            sys.exit(1)

    def load(self) -> Callable[[], Awaitable[web.AppRunner]]:
        """What each worker runs: aiohttp's worker awaits a coroutine function and serves
        the :class:`~aiohttp.web.AppRunner` it returns (with our connection limits)."""
        make_runner = self.make_runner

        async def runner() -> web.AppRunner:
            return make_runner()

        return runner
