"""``python -m server``: run the service, on one process or on several through gunicorn."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import shutil
import signal
import sys
import tempfile
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from tokens import KeyRing, TokenError
from tokens.cli import missing_server_modules

from .config import SETTINGS, Config
from .errors import ConfigError

if TYPE_CHECKING:
    from .ops.keystore import KeyStore

log = logging.getLogger("glyphveil")


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
    missing = missing_server_modules()  # a wheel installed without the server extra
    if missing:
        parser.exit(
            2, f"{parser.prog}: no module {', '.join(missing)}: install glyphveil[server]\n"
        )
    overrides = {k: v for k, v in vars(args).items() if v is not None}
    try:
        config = Config.from_env(overrides=overrides)
        config.check_reveal()  # reveal that would not hold refuses to start
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
    from .http.connections import raise_fd_limit

    raise_fd_limit(config)
    print(f"glyphveil: serving on http://{config.host}:{config.port}", file=sys.stderr)
    with asyncio.Runner(loop_factory=_loop_factory(config)) as runner:
        runner.run(_serve(config, keys))


async def _serve(config: Config, keys: KeyStore) -> None:
    """Serve until SIGTERM or SIGINT; then stop accepting, give the requests under way
    up to ``grace_seconds`` to finish, and return. SIGHUP reloads the keys meanwhile."""
    from aiohttp import web

    from .app import create_app
    from .http.connections import ServiceRunner

    runner = ServiceRunner(create_app(config, keys), config)
    await runner.setup()
    try:
        # gunicorn's default backlog: a burst of connections waits in the kernel's
        # queue instead of retrying its SYN a second or three later (aiohttp's is 128).
        await web.TCPSite(runner, config.host, config.port, backlog=2048).start()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        log.info("stopping: finishing requests under way, for at most %d s", config.grace_seconds)
    finally:
        await runner.cleanup()


def _loop_factory(config: Config) -> Callable[[], asyncio.AbstractEventLoop]:
    if config.event_loop == "uvloop":
        import uvloop

        return uvloop.new_event_loop
    return asyncio.new_event_loop


def _run_gunicorn(config: Config, keys: KeyStore) -> None:
    """N processes with aiohttp's gunicorn worker; metrics summed across them.

    On HUP the master reloads ``keys`` (keeping the old ones if the new cannot be read)
    before gunicorn forks the new workers, which start with the master's keys.

    The metrics directory belongs to the master: a worker leaves this function too (by
    ``SystemExit`` when it exits, through gunicorn's fork), so only the process that
    made the directory removes it.
    """
    metrics_dir = tempfile.mkdtemp(prefix="glyphveil-metrics-")
    master = os.getpid()
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir  # before prometheus_client loads
    from .app import create_app
    from .http.connections import ServiceRunner, raise_fd_limit
    from .ops.gunicorn import Service

    def make_runner() -> ServiceRunner:
        # Gunicorn stops a worker after grace_seconds: its own wait ends a little before.
        return ServiceRunner(
            create_app(config, keys), config, shutdown_timeout=config.grace_seconds * 0.9
        )

    raise_fd_limit(config)  # workers inherit the limit
    print(
        f"glyphveil: serving on http://{config.host}:{config.port} with {config.workers} workers",
        file=sys.stderr,
    )
    try:
        Service(config, make_runner, on_reload=keys.reload).run()
    finally:
        if os.getpid() == master:
            shutil.rmtree(metrics_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
