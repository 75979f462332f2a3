"""Shared fixtures: isolated keys and environment, and a running glyphveil app."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from cryptography.hazmat.primitives.ciphers.aead import AESSIV

import tokens
import tokens.keys
from server import Config, create_app
from tests.processes import Service, spawner
from tests.redis_server import RedisServer

ClientFactory = Callable[..., Awaitable[TestClient[web.Request, web.Application]]]


@pytest.fixture(autouse=True)
def isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No GLYPHVEIL_* variable leaks in, the working directory is empty, no cached key ring,
    and the development key (``$XDG_DATA_HOME/glyphveil/dev.keys``) lives in ``tmp_path``,
    for this process and the ones it starts."""
    for name in [name for name in os.environ if name.startswith("GLYPHVEIL_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(tokens.keys, "_default", None)
    yield


@pytest.fixture
def spawn(tmp_path: Path) -> Iterator[Callable[..., Service]]:
    """Start ``python -m server --port P ARGS`` (``tests.processes``); always stop it."""
    yield from spawner(tmp_path)


@pytest.fixture
def key() -> str:
    """A fresh random key, in its text form."""
    return tokens.generate_key()


@pytest.fixture
def keyring(key: str) -> tokens.KeyRing:
    """A fresh key ring of one random key."""
    return tokens.KeyRing([key])


@pytest.fixture
def config(key: str, monkeypatch: pytest.MonkeyPatch) -> Config:
    """Service settings with defaults; the test key is in ``GLYPHVEIL_KEYS``, so an app
    built without keys (``create_app(config)``) reads the test key ring when it starts."""
    monkeypatch.setenv("GLYPHVEIL_KEYS", key)
    return Config()


@pytest.fixture
async def client(
    aiohttp_client: ClientFactory, config: Config, keyring: tokens.KeyRing
) -> TestClient[web.Request, web.Application]:
    """A test client talking to a real aiohttp server on a loopback port."""
    return await aiohttp_client(create_app(config, keyring))


@pytest.fixture
def mint(keyring: tokens.KeyRing) -> Callable[..., str]:
    """Mint a token under the test key ring: ``mint("text", noise="none")``."""

    def make(text: str, **options: object) -> str:
        return tokens.encode(text, keyring=keyring, **options)  # type: ignore[arg-type]

    return make


# --- tokens test suite: shared helpers (tests/test_codec.py, test_keys.py, test_api.py, ...) ---


@pytest.fixture(scope="session")
def shared_keyring() -> tokens.KeyRing:
    """One random key for the whole session: for hypothesis tests, which cannot take a
    function-scoped fixture. Key rings are immutable, so sharing it is safe."""
    return tokens.KeyRing([tokens.generate_key()])


@pytest.fixture
def make_key() -> Callable[[bytes], tokens.Key]:
    """Build a :class:`tokens.Key` directly with a chosen key id and random subkeys,
    e.g. to give two keys the same id without searching for a collision."""

    def make(key_id: bytes) -> tokens.Key:
        return tokens.Key(
            key_id=key_id,
            cipher=AESSIV(AESSIV.generate_key(512)),
            noise_key=os.urandom(32),
        )

    return make


class MetricSamples:
    """One scrape of ``/metrics``: every sample's value by name and labels."""

    def __init__(self, text: str) -> None:
        from prometheus_client.parser import text_string_to_metric_families

        self.text = text
        self.families = {family.name for family in text_string_to_metric_families(text)}
        self.samples: dict[tuple[str, frozenset[tuple[str, str]]], float] = {
            (sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples
        }

    def value(self, name: str, **labels: str) -> float:
        """The sample ``name{labels}``; 0 when it has not been counted yet."""
        return self.samples.get((name, frozenset(labels.items())), 0.0)

    def since(self, before: MetricSamples, name: str, **labels: str) -> float:
        """How much ``name{labels}`` grew from the ``before`` scrape to this one."""
        return self.value(name, **labels) - before.value(name, **labels)


@pytest.fixture
def scrape() -> Callable[[TestClient[web.Request, web.Application]], Awaitable[MetricSamples]]:
    """Read ``/metrics`` through a client: ``(await scrape(client)).value("name", label="x")``.

    Metrics are process-global, so tests compare a scrape before and after their requests.
    """

    async def read(client: TestClient[web.Request, web.Application]) -> MetricSamples:
        response = await client.get("/metrics")
        assert response.status == 200
        return MetricSamples(await response.text())

    return read


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A real ``redis-server`` on a free port (``tests.redis_server``); always stopped."""
    directory = tmp_path / "redis"
    directory.mkdir()
    server = RedisServer(directory)
    server.start()
    try:
        yield server
    finally:
        server.stop()
