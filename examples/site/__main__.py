"""``python -m examples.site``: the example site, beside a glyphveil service it starts.

With ``--service-url`` it uses a service that is already running instead. Both share
the keys in the environment, else the user's development key
(``~/.local/share/glyphveil/dev.keys``). A port that is taken stops it with one line,
rather than letting it use whatever answers there.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Sequence

from aiohttp import web

from server.__main__ import listen_problem
from tokens import KeyConfigError, KeyRing

from .app import create_app

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m examples.site", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="address of the site (127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port of the site (8000)")
    parser.add_argument("--service-url", help="a running glyphveil service; else one is started")
    parser.add_argument(
        "--service-port", type=int, default=8080, help="port of the started service (8080)"
    )
    parser.add_argument("--densities", default="1,2", help="densities the service allows (1,2)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    problem = listen_problem(args.host, args.port)
    if problem is None and args.service_url is None:
        # Never use whatever answers on the service's port (`make run`, say) by mistake.
        problem = listen_problem("127.0.0.1", args.service_port, "--service-port")
        if problem is not None:
            problem += (
                f" (or use that service with --service-url http://127.0.0.1:{args.service_port})"
            )
    if problem is not None:
        parser.exit(1, f"{parser.prog}: error: {problem}\n")
    try:
        densities = tuple(
            sorted({int(d.strip().removesuffix("x")) for d in args.densities.split(",")})
        )
        keyring = KeyRing.from_env()  # creates the development key before the service reads it
    except ValueError:
        parser.exit(2, f"{parser.prog}: error: --densities must be like 1,2\n")
    except KeyConfigError as exc:
        parser.exit(2, f"{parser.prog}: error: {exc}\n")
    service: subprocess.Popen[bytes] | None = None
    service_url = args.service_url
    if service_url is None:
        service_url = f"http://127.0.0.1:{args.service_port}"
        service = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "server",
                "--port",
                str(args.service_port),
                "--densities",
                ",".join(map(str, densities)),
            ]
        )
        _wait_for(f"{service_url}/healthz", service)
    try:
        app = create_app(service_url, keyring=keyring, densities=densities)
        print(f"glyphveil service: {service_url}", flush=True)
        print(f"example site:      http://{args.host}:{args.port}", flush=True)
        web.run_app(app, host=args.host, port=args.port, print=None)
    finally:
        if service is not None:
            service.terminate()
            service.wait(timeout=15)
    return 0


def _wait_for(url: str, process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    """Poll ``url`` until it answers 200; exit if the process dies or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"the glyphveil service exited with status {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:  # noqa: S310 - loopback
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            time.sleep(0.2)
    process.terminate()
    sys.exit(f"the glyphveil service did not answer {url} within {timeout:.0f} s")


if __name__ == "__main__":
    sys.exit(main())
