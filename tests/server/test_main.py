"""``python -m server`` as a real process: one process, gunicorn workers, signals, bad flags."""

from __future__ import annotations

import io
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from PIL import Image

import tokens
from server.config import SETTINGS
from server.render.encode import encode_image
from server.render.text import render_text
from tests.processes import (
    KEY,
    READY_SECONDS,
    STOP_SECONDS,
    Service,
    child_env,
    fetch,
    metric_total,
    run_cli,
    wait_gone,
)

ROOT = Path(__file__).resolve().parents[2]


def expected_png(token: str, keyring: tokens.KeyRing, density: int = 1) -> bytes:
    """What the service must send for ``token``: the library's own rendering."""
    payload = tokens.decode(token, keyring=keyring)
    image = render_text(payload.text, payload.options, payload.seed, density, style=payload.style)
    return encode_image(image, "png")


def check_token_served(service: Service, keyring: tokens.KeyRing) -> None:
    token = tokens.encode("jane@example.com", keyring=keyring)
    resp = service.get(f"/t/{token}.png")
    assert resp.status == 200, resp.body
    assert resp.headers["Content-Type"] == "image/png"
    image = Image.open(io.BytesIO(resp.body))
    image.load()
    assert image.format == "PNG"
    assert resp.body == expected_png(token, keyring)

    retina = service.get(f"/t/{token}@2x.png")
    assert retina.status == 200
    assert retina.body == expected_png(token, keyring, density=2)
    assert Image.open(io.BytesIO(retina.body)).width == pytest.approx(2 * image.width, rel=0.05)

    webp = service.get(f"/t/{token}.webp")
    assert webp.status == 200
    assert Image.open(io.BytesIO(webp.body)).format == "WEBP"

    stranger = tokens.encode("jane@example.com", keyring=tokens.KeyRing([tokens.generate_key()]))
    assert service.get(f"/t/{stranger}.png").status == 404


# one process


def test_single_process_serves_health_and_tokens(
    spawn: Callable[..., Service], tmp_path: Path
) -> None:
    service = spawn()
    health = service.get("/healthz")
    assert (health.status, health.body) == (200, b"ok\n")
    check_token_served(service, tokens.KeyRing([KEY]))
    assert service.get("/metrics").status == 200
    assert service.children() == []  # no workers: it serves by itself
    assert not (tmp_path / "data").exists()  # the configured key, no development key
    assert service.stop() == 0


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=lambda s: s.name)
def test_signal_stops_the_process_cleanly(
    spawn: Callable[..., Service], sig: signal.Signals
) -> None:
    service = spawn()
    assert service.stop(sig) == 0
    assert "Traceback" not in service.stderr
    with pytest.raises(OSError):
        fetch(service.url("/healthz"), timeout=5)


def test_sigterm_lets_renders_under_way_finish(spawn: Callable[..., Service]) -> None:
    """Requests in flight when SIGTERM arrives still get their whole image."""
    service = spawn("--threads", "1", "--render-timeout", "60", "--render-budget-mpx", "64")
    paths = [f"/4000x4000/{bg}/000000.webp" for bg in ("ffffff", "eeeeee", "dddddd")]
    with ThreadPoolExecutor(len(paths)) as pool:
        pending = [pool.submit(fetch, service.url(path)) for path in paths]
        deadline = time.monotonic() + READY_SECONDS
        while time.monotonic() < deadline and not all(f.done() for f in pending):
            metrics = service.get("/metrics").body.decode()
            if metric_total(metrics, "glyphveil_renders_in_flight") >= 1:
                break
            time.sleep(0.01)
        else:
            pytest.skip("renders finished before they could be seen in flight")
        service.proc.send_signal(signal.SIGTERM)
        responses = [f.result(timeout=STOP_SECONDS) for f in pending]
    for resp in responses:
        assert resp.status == 200
        image = Image.open(io.BytesIO(resp.body))
        image.load()  # the whole body arrived
        assert image.size == (4000, 4000)
    assert service.proc.wait(timeout=STOP_SECONDS) == 0


def test_development_key_is_created_in_the_users_data_directory(
    spawn: Callable[..., Service], tmp_path: Path
) -> None:
    service = spawn(GLYPHVEIL_KEYS=None)
    dev_keys = tmp_path / "data" / "glyphveil" / "dev.keys"  # $XDG_DATA_HOME (conftest.py)
    assert dev_keys.is_file()
    assert "development key" in service.stderr
    check_token_served(service, tokens.KeyRing.from_file(dev_keys))
    assert service.stop() == 0


# gunicorn


def test_workers_run_under_gunicorn(spawn: Callable[..., Service]) -> None:
    service = spawn("--workers", "2")
    workers = service.wait_children(2)
    assert len(workers) == 2, service.stderr
    for pid in workers:
        stat = Path(f"/proc/{pid}/stat").read_text()
        assert int(stat.rpartition(")")[2].split()[1]) == service.proc.pid  # parent: the master
    assert "Using worker: server.ops.gunicorn.BalancedWebWorker" in service.stderr
    assert service.get("/healthz").status == 200
    check_token_served(service, tokens.KeyRing([KEY]))
    for _ in range(10):
        assert service.get("/healthz").status == 200
    assert service.stop() == 0
    assert wait_gone(workers) == [], "workers outlived the master"
    assert "Traceback" not in service.stderr


def test_workers_log_requests_and_run_uvloop_as_configured(spawn: Callable[..., Service]) -> None:
    service = spawn("--workers", "2", "--event-loop", "uvloop", "--access-log", "short")
    assert len(service.wait_children(2)) == 2, service.stderr
    assert "aiohttp.GunicornUVLoopWebWorker" in service.stderr
    # A TERM that reaches a worker between gunicorn's fork and its signal handlers is
    # lost, and the master kills that worker only after the grace period: let both boot.
    time.sleep(1)
    for _ in range(3):
        assert service.get("/healthz?from=test").status == 200
    assert service.stop() == 0
    assert service.stderr.count('"GET /healthz?from=test" 200 ') == 3


def test_no_access_log_by_default(spawn: Callable[..., Service]) -> None:
    service = spawn()
    assert service.get("/healthz?from=test").status == 200
    assert service.stop() == 0
    assert "from=test" not in service.stderr


def test_metrics_are_summed_across_workers(spawn: Callable[..., Service]) -> None:
    service = spawn("--workers", "2")
    assert len(service.wait_children(2)) == 2, service.stderr
    for _ in range(20):
        assert service.get("/healthz").status == 200  # a new connection each time
    metrics = service.get("/metrics")
    assert metrics.status == 200
    text = metrics.body.decode()
    total = metric_total(text, "glyphveil_requests_total", route="healthz", status="200")
    assert total >= 20, f"glyphveil_requests_total for healthz is {total}:\n{text[:2000]}"
    assert service.stop() == 0


# bad configuration


@pytest.mark.parametrize(
    ("args", "flag"),
    [
        (["--port", "abc"], "--port"),
        (["--port", "0"], "--port"),
        (["--port", "70000"], "--port"),
        (["--densities", "5"], "--densities"),
        (["--densities", "2,3"], "--densities"),
        (["--placeholders", "maybe"], "--placeholders"),
        (["--log-level", "LOUD"], "--log-level"),
        (["--workers", "0"], "--workers"),
    ],
)
def test_bad_flag_exits_2_naming_it(tmp_path: Path, args: list[str], flag: str) -> None:
    done = run_cli(tmp_path, *args, GLYPHVEIL_KEYS=KEY)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert flag in lines[0] and args[1] in lines[0]
    assert done.stdout == ""


def test_bad_variable_exits_2_naming_it(tmp_path: Path) -> None:
    done = run_cli(tmp_path, GLYPHVEIL_KEYS=KEY, GLYPHVEIL_PORT="abc")
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "GLYPHVEIL_PORT" in lines[0], done.stderr


def test_unknown_flag_exits_2(tmp_path: Path) -> None:
    done = run_cli(tmp_path, "--colour", "red", GLYPHVEIL_KEYS=KEY)
    assert done.returncode == 2
    assert "--colour" in done.stderr


def test_production_without_keys_exits_2(tmp_path: Path) -> None:
    done = run_cli(tmp_path, GLYPHVEIL_ENV="production")
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "GLYPHVEIL_KEYS" in lines[0]
    assert not (tmp_path / "data").exists()


def test_bad_key_exits_2(tmp_path: Path) -> None:
    done = run_cli(tmp_path, GLYPHVEIL_KEYS="not-a-key")
    assert done.returncode == 2
    assert "GLYPHVEIL_KEYS" in done.stderr


def test_help_lists_every_flag(tmp_path: Path) -> None:
    done = run_cli(tmp_path, "--help")
    assert done.returncode == 0
    for setting in SETTINGS:
        assert setting.flag in done.stdout
        assert setting.env in done.stdout
    assert not (tmp_path / "data").exists()  # --help touches no keys


# the port is taken: one line, exit 1


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A loopback port that another process (here: a socket of this one) listens on."""
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        yield other.getsockname()[1]


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_taken_port_is_one_line_and_exit_1(tmp_path: Path, taken_port: int, workers: str) -> None:
    done = run_cli(tmp_path, "--port", str(taken_port), "--workers", workers, GLYPHVEIL_KEYS=KEY)
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr == (
        f"python -m server: error: port {taken_port} on 127.0.0.1 is taken by another process: "
        "stop it, or pick another --port\n"
    )


def test_a_port_taken_after_the_check_is_the_same_line(
    taken_port: int,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Taken between the check and the service's own bind: no traceback, no "serving on"."""
    import server.__main__

    monkeypatch.setenv("GLYPHVEIL_KEYS", KEY)
    monkeypatch.setattr(server.__main__, "listen_problem", lambda host, port: None)
    assert server.__main__.main(["--port", str(taken_port)], prog="glyphveil serve") == 1
    err = capsys.readouterr().err
    assert err.endswith(
        f"glyphveil serve: error: port {taken_port} on 127.0.0.1 is taken by another process: "
        "stop it, or pick another --port\n"
    )
    assert "serving on" not in err and "Traceback" not in err


def test_an_address_it_cannot_listen_on_is_one_line(tmp_path: Path) -> None:
    done = run_cli(tmp_path, "--host", "192.0.2.1", GLYPHVEIL_KEYS=KEY)  # TEST-NET: not ours
    assert done.returncode == 1
    assert done.stderr == (
        "python -m server: error: cannot listen on 192.0.2.1:8080: "
        "Cannot assign requested address\n"
    )


@pytest.mark.parametrize("value", ["", " "])
def test_empty_keys_variable_exits_2_instead_of_the_development_key(
    tmp_path: Path, value: str
) -> None:
    done = run_cli(tmp_path, GLYPHVEIL_KEYS=value)
    assert done.returncode == 2
    assert done.stderr == (
        "python -m server: error: GLYPHVEIL_KEYS is set but empty: give it the keys, or unset "
        "it to use the development key\n"
    )
    assert not (tmp_path / "data").exists()


def test_site_and_service_in_different_folders_share_the_development_key(
    spawn: Callable[..., Service], tmp_path: Path
) -> None:
    """The service runs in tmp_path; the helper mints in another folder: the image draws."""
    service = spawn(GLYPHVEIL_KEYS=None)
    elsewhere = tmp_path / "site"
    elsewhere.mkdir()
    minted = subprocess.run(
        [sys.executable, "-m", "tokens", "encode", "jane@example.com"],
        cwd=elsewhere,
        env=child_env(tmp_path, PYTHONPATH=str(ROOT)),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert service.get(f"/t/{minted.stdout.strip()}.png").status == 200
    assert not (elsewhere / ".glyphveil").exists()
    assert service.stop() == 0


def test_a_taken_port_on_the_development_key_ends_with_the_port_line(
    tmp_path: Path, taken_port: int
) -> None:
    done = run_cli(tmp_path, "--port", str(taken_port))
    assert done.returncode == 1
    lines = done.stderr.splitlines()
    assert lines[-1] == (
        f"python -m server: error: port {taken_port} on 127.0.0.1 is taken by another process: "
        "stop it, or pick another --port"
    )
    assert all("development key" in line for line in lines[:-1])  # its warning, nothing else
    assert "serving on" not in done.stderr and "Traceback" not in done.stderr
