"""``python -m server`` (``glyphveil serve`` once installed): run the service, on one
process or on several through gunicorn."""

from __future__ import annotations

import argparse
import asyncio
import errno
import importlib.util
import logging
import os
import shutil
import signal
import socket
import sys
import tempfile
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from tokens import KeyRing, TokenError

from .config import SETTINGS, Config
from .errors import ConfigError

if TYPE_CHECKING:
    from .ops.keystore import KeyStore

__all__ = ["SERVER_MODULES", "listen_problem", "main", "missing_server_modules"]

log = logging.getLogger("glyphveil")

#: What the service imports beyond the helper: the dependencies of ``glyphveil-server``.
SERVER_MODULES = (
    "aiohttp",
    "PIL",
    "jinja2",
    "gunicorn",
    "prometheus_client",
    "fontTools",
    "redis",
)


def missing_server_modules() -> list[str]:
    """The service's dependencies that cannot be imported here (an install with
    ``--no-deps``, or a checkout whose venv lacks them)."""
    return [name for name in SERVER_MODULES if importlib.util.find_spec(name) is None]


def listen_problem(host: str, port: int, flag: str = "--port") -> str | None:
    """Why the service could not listen on ``host:port``, in a few words, or None;
    ``flag`` is the option that picks another port.

    Binds a probe socket the way the service does (``SO_REUSEADDR``) and closes it, so
    that a port taken by another process is one clear line before anything starts,
    rather than a traceback after "serving on".
    """
    if port == 0:
        return None
    try:
        addresses = socket.getaddrinfo(
            host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )
    except socket.gaierror as exc:
        return f"cannot listen on {host}: {exc.strerror}"
    for family, kind, proto, _, address in addresses:
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(address)
            except OSError as exc:
                return _bind_problem(host, port, exc, flag)
    return None


def _bind_problem(host: str, port: int, exc: OSError, flag: str = "--port") -> str:
    if exc.errno == errno.EADDRINUSE:
        return f"port {port} on {host} is taken by another process: stop it, or pick another {flag}"
    return f"cannot listen on {host}:{port}: {exc.strerror}"


def _parser(prog: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
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


def main(argv: Sequence[str] | None = None, *, prog: str = "python -m server") -> int:
    """Parse flags, then run until SIGTERM or SIGINT, finishing requests under way.

    Exit status 2 for a bad flag or key, 1 when the port is taken. ``prog`` is how
    usage and errors name the command (``glyphveil serve`` runs this too).
    """
    parser = _parser(prog)
    args = parser.parse_args(argv)
    missing = missing_server_modules()
    if missing:
        parser.exit(
            2,
            f"{parser.prog}: no module {', '.join(missing)}: the service's dependencies "
            "are missing (install glyphveil-server with them)\n",
        )
    overrides = {k: v for k, v in vars(args).items() if v is not None}
    try:
        config = Config.from_env(overrides=overrides)
        config.check_reveal()  # reveal that would not hold refuses to start
        keyring = KeyRing.from_env()  # after the settings: a bad flag touches no key
    except (ConfigError, TokenError) as exc:
        parser.exit(2, f"{parser.prog}: error: {exc}\n")
    # After the settings and keys, whose errors do not depend on what else runs here.
    problem = listen_problem(config.host, config.port)
    if problem is not None:
        print(f"{parser.prog}: error: {problem}", file=sys.stderr)
        return 1
    logging.basicConfig(
        level=config.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    from .ops.keystore import KeyStore

    keys = KeyStore(keyring)  # SIGHUP reads the keys again from the environment
    if config.workers == 1:
        try:
            _run_single(config, keys)
        except _PortTaken as exc:  # taken between the probe and the service's own bind
            print(f"{parser.prog}: error: {exc}", file=sys.stderr)
            return 1
    else:
        _run_gunicorn(config, keys)
    return 0


class _PortTaken(Exception):
    """The service could not listen on its address; the message says why."""


def _run_single(config: Config, keys: KeyStore) -> None:
    from .http.connections import raise_fd_limit

    raise_fd_limit(config)
    with asyncio.Runner(loop_factory=_loop_factory(config)) as runner:
        runner.run(_serve(config, keys))


async def _serve(config: Config, keys: KeyStore) -> None:
    """Serve until SIGTERM or SIGINT; then stop accepting, give the requests under way
    up to ``grace_seconds`` to finish, and return. SIGHUP reloads the keys meanwhile."""

    from .app import create_app
    from .http.connections import ServiceRunner, listen

    runner = ServiceRunner(create_app(config, keys), config)
    await runner.setup()
    try:
        try:
            await listen(runner, config)  # host:port, and the unix socket if set
        except OSError as exc:
            if config.socket and exc.filename == config.socket:
                raise _PortTaken(f"cannot listen on {config.socket}: {exc.strerror}") from None
            raise _PortTaken(_bind_problem(config.host, config.port, exc)) from None
        print(f"glyphveil: serving on http://{config.host}:{config.port}", file=sys.stderr)
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
