"""``python -m server``: run the service, on one process or on several through gunicorn."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import shutil
import sys
import tempfile
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from tokens import KeyRing, TokenError

from .config import SETTINGS, Config
from .errors import ConfigError

if TYPE_CHECKING:
    from .ops.keystore import KeyStore


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m server",
        description="Serve glyphveil images. Flags override the GLYPHVEIL_* environment.",
    )
    for setting in SETTINGS:
        parser.add_argument(
            setting.flag,
            dest=setting.name,
            metavar="VALUE",
            help=f"{setting.help}; env {setting.env}",
        )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse flags, then run until SIGTERM or SIGINT, finishing requests under way."""
    parser = _parser()
    args = parser.parse_args(argv)
    overrides = {k: v for k, v in vars(args).items() if v is not None}
    try:
        config = Config.from_env(overrides=overrides)
        keyring = KeyRing.from_env()  # after the settings: a bad flag touches no key
    except (ConfigError, TokenError) as exc:
        parser.exit(2, f"{parser.prog}: error: {exc}\n")
    logging.basicConfig(
        level=config.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    from .ops.keystore import KeyStore

    keys = KeyStore(keyring)  # SIGHUP reads the keys again from the environment
    if config.workers == 1:
        _run_single(config, keys)
    else:
        _run_gunicorn(config, keys)
    return 0


def _run_single(config: Config, keys: KeyStore) -> None:
    from aiohttp import web

    from .app import create_app

    print(f"glyphveil: serving on http://{config.host}:{config.port}", file=sys.stderr)
    web.run_app(
        create_app(config, keys),
        host=config.host,
        port=config.port,
        print=None,
        shutdown_timeout=10,
        loop=_new_event_loop(config),
    )


def _new_event_loop(config: Config) -> asyncio.AbstractEventLoop:
    if config.event_loop == "uvloop":
        import uvloop

        return uvloop.new_event_loop()
    return asyncio.new_event_loop()


_WORKER_CLASSES = {
    "asyncio": "aiohttp.GunicornWebWorker",
    "uvloop": "aiohttp.GunicornUVLoopWebWorker",
}


def _run_gunicorn(config: Config, keys: KeyStore) -> None:
    """N processes with aiohttp's gunicorn worker; metrics summed across them.

    On HUP the master reloads ``keys`` (keeping the old ones if the new cannot be read)
    before gunicorn forks the new workers, which start with the master's keys.
    """
    master = os.getpid()
    metrics_dir = tempfile.mkdtemp(prefix="glyphveil-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir  # before prometheus_client loads
    from gunicorn.app.base import BaseApplication
    from prometheus_client import multiprocess

    from .app import create_app

    class Service(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            settings: dict[str, Any] = {
                "bind": f"{config.host}:{config.port}",
                "workers": config.workers,
                "worker_class": _WORKER_CLASSES[config.event_loop],
                "graceful_timeout": 10,
                "loglevel": config.log_level.lower(),
                "child_exit": lambda _server, worker: multiprocess.mark_process_dead(worker.pid),  # type: ignore[no-untyped-call]
                "on_reload": lambda _arbiter: keys.reload(),
            }
            if "control_socket_disable" in self.cfg.settings:  # gunicorn 25.1+
                settings["control_socket_disable"] = True  # one service, no runtime control
            for name, value in settings.items():
                self.cfg.set(name, value)

        def load(self) -> Any:
            return create_app(config, keys)

    print(
        f"glyphveil: serving on http://{config.host}:{config.port} with {config.workers} workers",
        file=sys.stderr,
    )
    try:
        Service().run()
    finally:
        if os.getpid() == master:  # a worker unwinds through here too when it exits
            shutil.rmtree(metrics_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
