"""server.ops.keystore: the live key ring, swapped on SIGHUP, and rotation under load."""

from __future__ import annotations

import logging
import re
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

import tokens
from server import Config, create_app
from server.ops.keystore import KeyStore
from server.state import KEYS
from tests.fetching import fetch
from tests.processes import READY_SECONDS, Load, Service, run_cli, wait_for

SECRET = "jane@example.com"


def ring(*keys: str) -> tokens.KeyRing:
    return tokens.KeyRing(list(keys))


def opens(keyring: tokens.KeyRing, minted_by: tokens.KeyRing) -> bool:
    try:
        tokens.decode(tokens.encode(SECRET, keyring=minted_by), keyring=keyring)
    except tokens.InvalidToken:
        return False
    return True


# KeyStore


def test_reload_swaps_in_the_new_keys(caplog: pytest.LogCaptureFixture) -> None:
    old, new = tokens.generate_key(), tokens.generate_key()
    source = [ring(old, new)]
    store = KeyStore(ring(old), source=lambda: source[0])
    before = store.current
    with caplog.at_level(logging.INFO, "glyphveil.keys"):
        assert store.reload() is True
    assert store.current is source[0] and store.current is not before
    assert opens(store.current, ring(new)) and opens(store.current, ring(old))
    assert caplog.messages == ["keys reloaded: 2 key(s) in force"]


def test_failed_reload_keeps_the_old_keys_and_logs_one_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    old = tokens.generate_key()
    path = tmp_path / "service.keys"
    path.write_text(old + "\n")
    store = KeyStore(
        tokens.KeyRing.from_file(path),
        source=lambda: tokens.KeyRing.from_env({"GLYPHVEIL_KEYS_FILE": str(path)}),
    )
    kept = store.current
    broken = tokens.generate_key()[:-3] + "!!!"
    for bad in (f"{old}\n{broken}\n", "", "# only a comment\n"):
        path.write_text(bad)
        caplog.clear()
        assert store.reload() is False
        assert store.current is kept
        assert len(caplog.records) == 1
        record = caplog.records[0]
        assert record.levelno == logging.ERROR
        assert record.getMessage().startswith(
            f"keys not reloaded, the old keys stay in force: GLYPHVEIL_KEYS_FILE {path}: "
        )
        assert old not in record.getMessage() and broken[:10] not in record.getMessage()
    path.unlink()
    assert store.reload() is False
    assert "No such file or directory" in caplog.messages[-1]


def test_fixed_keys_are_not_reloaded(caplog: pytest.LogCaptureFixture) -> None:
    keyring = ring(tokens.generate_key())
    store = KeyStore(keyring, source=None)
    assert store.reload() is False
    assert store.current is keyring
    assert caplog.messages == ["keys not reloaded: this application was given fixed keys"]


def test_from_env_reads_and_rereads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = tokens.generate_key(), tokens.generate_key()
    monkeypatch.setenv("GLYPHVEIL_KEYS", first)
    store = KeyStore.from_env()
    assert opens(store.current, ring(first))
    monkeypatch.setenv("GLYPHVEIL_KEYS", f"{first},{second}")
    assert store.reload()
    assert opens(store.current, ring(second))


def test_importing_the_keystore_leaves_the_metrics_unloaded() -> None:
    """``python -m server`` makes its KeyStore before the gunicorn master sets
    PROMETHEUS_MULTIPROC_DIR, which must come before prometheus_client loads."""
    code = "import sys, server.ops.keystore; print('prometheus_client' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


# the application


async def test_views_read_the_live_key_ring(aiohttp_client, config: Config) -> None:
    old, new = tokens.generate_key(), tokens.generate_key()
    source = [ring(old)]
    store = KeyStore(ring(old), source=lambda: source[0])
    client = await aiohttp_client(create_app(config, store))
    assert client.app[KEYS] is store
    old_token, new_token = (
        tokens.encode(SECRET, keyring=ring(old)),
        tokens.encode(SECRET, keyring=ring(new)),
    )
    assert (await fetch(client, f"/t/{new_token}.png"))[0].status == 404
    source[0] = ring(old, new)
    assert store.reload()
    assert (await fetch(client, f"/t/{new_token}.png"))[0].status == 200
    assert (await fetch(client, f"/t/{old_token}.png"))[0].status == 200
    source[0] = ring(new)
    assert store.reload()
    assert (await fetch(client, f"/t/{old_token}.png"))[0].status == 404
    home, body = await fetch(client, "/")
    assert home.status == 200
    sample = re.search(rb'src="/t/([^".@]+)\.png"', body)  # the page's live example
    assert sample is not None
    tokens.decode(sample[1].decode(), keyring=ring(new))  # minted with the new key


async def test_app_without_keys_reads_them_when_it_starts(
    aiohttp_client, config: Config, keyring: tokens.KeyRing, mint
) -> None:
    app = create_app(config)  # the config fixture put the test key in GLYPHVEIL_KEYS
    assert KEYS not in app
    client = await aiohttp_client(app)
    assert client.app[KEYS].source is not None
    assert (await fetch(client, f"/t/{mint(SECRET)}.png"))[0].status == 200


async def test_app_given_a_key_ring_holds_it_fixed(aiohttp_client, config, keyring) -> None:
    client = await aiohttp_client(create_app(config, keyring))
    assert client.app[KEYS].current is keyring
    assert client.app[KEYS].source is None


# the command line


def run_server(tmp_path: Path, *args: str, **variables: str) -> subprocess.CompletedProcess[str]:
    """``python -m server`` on a port it cannot bind: it exits once the keys are read."""
    return run_cli(tmp_path, "--port", "1", *args, **variables)


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"GLYPHVEIL_ENV": "prod"}, "GLYPHVEIL_ENV='prod': must be development or production"),
        (
            {"GLYPHVEIL_KEYS": "KEY", "GLYPHVEIL_KEYS_FILE": "absent.keys"},
            "GLYPHVEIL_KEYS and GLYPHVEIL_KEYS_FILE are both set",
        ),
    ],
    ids=["misspelt production", "keys twice"],
)
def test_ambiguous_key_settings_stop_the_service(
    tmp_path: Path, variables: dict[str, str], message: str
) -> None:
    variables = {k: tokens.generate_key() if v == "KEY" else v for k, v in variables.items()}
    done = run_server(tmp_path, **variables)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], done.stderr
    assert not (tmp_path / "data").exists()  # no development key was made


def test_a_bad_flag_touches_no_key(tmp_path: Path) -> None:
    done = run_server(tmp_path, "--threads", "none")
    assert done.returncode == 2 and "--threads" in done.stderr
    assert "development key" not in done.stderr
    assert not (tmp_path / "data").exists()


# rotation under load, with real processes


def write_keys(path: Path, *lines: str) -> None:
    """Replace the keys file at once, as the README says: write aside, then rename."""
    draft = path.with_name(path.name + ".new")
    draft.write_text("".join(line + "\n" for line in lines))
    draft.replace(path)


def token_paths(keyring: tokens.KeyRing, label: str) -> list[str]:
    texts = [f"{label}{i}@example.com" for i in range(8)]
    return [
        f"/t/{tokens.encode(text, keyring=keyring)}{suffix}"
        for text in texts
        for suffix in (".png", "@2x.png", ".webp")
    ]


def serves(service: Service, path: str, times: int = 1) -> bool:
    """Whether ``path`` gets 200 on ``times`` new connections in a row."""
    return all(service.get(path).status == 200 for _ in range(times))


def rotate_under_load(service: Service, keys_file: Path, old: str, new: str, workers: int) -> Load:
    """The README's rotation on the service side, with clients fetching all along.

    1. add the new key second, reload: new tokens render, old ones still do;
    2. a malformed file, reload: refused with one log line, both kinds still render;
    3. the fixed file back, reload again.
    """
    old_paths = token_paths(ring(old), "old")
    new_paths = token_paths(ring(new, old), "new")  # minted once the website puts it first
    paths = list(old_paths)
    with Load(service.url(""), lambda: paths, clients=6) as load:
        load.wait_for(200)
        assert not serves(service, new_paths[0])

        write_keys(keys_file, old, new)
        before = service.children()
        service.send(signal.SIGHUP)
        wait_for(
            lambda: serves(service, new_paths[0], times=2 * workers),
            READY_SECONDS,
            "new key in force",
        )
        assert service.children() == before  # reloaded in place: no worker replaced
        paths.extend(new_paths)
        load.wait_for(150)

        write_keys(keys_file, old, new[:-4] + "!!!!")
        before = service.children()
        service.send(signal.SIGHUP)
        refusals = 1 + workers if workers > 1 else 1  # gunicorn's master, then each worker
        wait_for(
            lambda: service.stderr.count("keys not reloaded") == refusals,
            READY_SECONDS,
            "the refusal logged by every process",
        )
        assert service.children() == before
        load.wait_for(150)
        for path in (old_paths[0], new_paths[0]):
            assert serves(service, path, times=2 * workers), path

        write_keys(keys_file, old, new)
        service.send(signal.SIGHUP)
        load.wait_for(150)
    return load


@pytest.mark.parametrize("workers", [1, 2], ids=["one process", "gunicorn workers"])
def test_sighup_rotates_keys_under_load_without_a_failed_request(
    spawn: Callable[..., Service], tmp_path: Path, workers: int
) -> None:
    old, new = tokens.generate_key(), tokens.generate_key()
    keys_file = tmp_path / "service.keys"
    write_keys(keys_file, old)
    service = spawn(
        "--workers",
        str(workers),
        "--threads",
        "2",
        GLYPHVEIL_KEYS="",  # spawn's default key would clash with the file
        GLYPHVEIL_KEYS_FILE=str(keys_file),
    )
    load = rotate_under_load(service, keys_file, old, new, workers)

    assert load.failures == [], (load.statuses, service.stderr[-3000:])
    assert load.total >= 650  # 200 before the first reload, 150 after each
    refusals = [line for line in service.stderr.splitlines() if "keys not reloaded" in line]
    assert len(refusals) == (1 + workers if workers > 1 else 1), service.stderr
    assert "the old keys stay in force" in refusals[0] and "malformed key" in refusals[0]
    assert old not in service.stderr and new not in service.stderr
    assert "Traceback" not in service.stderr

    write_keys(keys_file, new)  # the last step: the old key leaves
    service.send(signal.SIGHUP)
    old_token = f"/t/{tokens.encode(SECRET, keyring=ring(old))}.png"
    wait_for(lambda: service.get(old_token).status == 404, READY_SECONDS, "old key removed")
    assert serves(service, f"/t/{tokens.encode(SECRET, keyring=ring(new))}.png")
    assert service.stop() == 0


def test_sighup_with_keys_in_the_environment_keeps_serving(
    spawn: Callable[..., Service],
) -> None:
    """The environment of a running process cannot change: the reload reads the same keys."""
    key = tokens.generate_key()
    service = spawn(GLYPHVEIL_KEYS=key)
    token = f"/t/{tokens.encode(SECRET, keyring=ring(key))}.png"
    service.send(signal.SIGHUP)
    wait_for(
        lambda: "keys reloaded: 1 key(s) in force" in service.stderr, READY_SECONDS, "reload logged"
    )
    assert serves(service, token)
    assert service.proc.poll() is None
    assert service.stop() == 0
