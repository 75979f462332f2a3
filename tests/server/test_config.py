"""server.config: GLYPHVEIL_* environment, flags over it, and errors that name the culprit."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

import pytest

import tokens
from server.config import SETTINGS, Config, PlaceholderLimits
from server.errors import ConfigError

KEY = tokens.generate_key()

#: A non-default text for every setting, and the value it must parse to.
SAMPLES: dict[str, tuple[str, Any]] = {
    "host": ("192.0.2.7", "192.0.2.7"),
    "port": ("9000", 9000),
    "workers": ("3", 3),
    "threads": ("8", 8),
    "cache_mb": ("0", 0),
    "densities": ("1,2", frozenset({1, 2})),
    "placeholders": ("off", False),
    "max_side": ("1024", 1024),
    "max_pixels": ("500000", 500_000),
    "log_level": ("debug", "DEBUG"),
    "access_log": ("Short", "short"),
    "event_loop": ("uvloop", "uvloop"),
    "placeholder_cache_mb": ("0", 0),
    "render_queue": ("3", 3),
    "render_budget_mpx": ("20", 20),
    "render_timeout": ("2", 2),
    "header_timeout": ("4", 4),
    "idle_timeout": ("3", 3),
    "malloc_trim": ("off", False),
    "body_timeout": ("7", 7),
    "socket": ("/run/glyphveil-1/http.sock", "/run/glyphveil-1/http.sock"),
    "keepalive_timeout": ("9", 9),
    "max_connections": ("50", 50),
    "grace_seconds": ("5", 5),
    "reveal": ("on", True),
    "reveal_difficulty": ("12", 12),
    "reveal_client_rate": ("3", 3),
    "reveal_token_rate": ("100", 100),
    "reveal_site_rate": ("500", 500),
    "reveal_origins": (
        "https://www.example.com, http://127.0.0.1:8000/",
        frozenset({"https://www.example.com", "http://127.0.0.1:8000"}),
    ),
    "redis_url": (" redis://127.0.0.1:6379/2 ", "redis://127.0.0.1:6379/2"),
    "client_ipv6_prefix": ("56", 56),
    "client_ipv4_prefix": ("24", 24),
    "trusted_proxies": ("127.0.0.1, ::1, unix", frozenset({"127.0.0.1", "::1", "unix"})),
}
#: Another valid text for every setting, for flags that must win over the environment.
OTHER_SAMPLES: dict[str, tuple[str, Any]] = {
    "host": ("::1", "::1"),
    "port": ("9001", 9001),
    "workers": ("2", 2),
    "threads": ("1", 1),
    "cache_mb": ("16", 16),
    "densities": ("1", frozenset({1})),
    "placeholders": ("on", True),
    "max_side": ("2048", 2048),
    "max_pixels": ("1000", 1000),
    "log_level": ("ERROR", "ERROR"),
    "access_log": ("full", "full"),
    "event_loop": ("asyncio", "asyncio"),
    "placeholder_cache_mb": ("32", 32),
    "render_queue": ("100", 100),
    "render_budget_mpx": ("1", 1),
    "render_timeout": ("60", 60),
    "header_timeout": ("1", 1),
    "idle_timeout": ("2", 2),
    "malloc_trim": ("on", True),
    "body_timeout": ("1", 1),
    "socket": ("/tmp/gv.sock", "/tmp/gv.sock"),
    "keepalive_timeout": ("120", 120),
    "max_connections": ("4000", 4000),
    "grace_seconds": ("60", 60),
    "reveal": ("off", False),
    "reveal_difficulty": ("32", 32),
    "reveal_client_rate": ("1", 1),
    "reveal_token_rate": ("1", 1),
    "reveal_site_rate": ("1", 1),
    "reveal_origins": ("same-origin", frozenset({"same-origin"})),
    "redis_url": ("unix:///run/redis/redis.sock", "unix:///run/redis/redis.sock"),
    "client_ipv6_prefix": ("48", 48),
    "client_ipv4_prefix": ("32", 32),
    "trusted_proxies": ("10.0.0.7", frozenset({"10.0.0.7"})),
}
BY_NAME = {setting.name: setting for setting in SETTINGS}


def env(**variables: str) -> dict[str, str]:
    return {"GLYPHVEIL_KEYS": KEY, **variables}


def test_samples_cover_every_setting() -> None:
    names = [setting.name for setting in SETTINGS]
    assert set(SAMPLES) == set(OTHER_SAMPLES) == set(names)
    assert all(setting.env == "GLYPHVEIL_" + setting.name.upper() for setting in SETTINGS)
    assert all(setting.flag == "--" + setting.name.replace("_", "-") for setting in SETTINGS)


def test_render_limit_defaults_to_four_per_thread() -> None:
    assert Config.from_env(env(GLYPHVEIL_THREADS="3")).render_limit == 12
    assert Config.from_env(env(GLYPHVEIL_RENDER_QUEUE="5")).render_limit == 5


def test_defaults() -> None:
    config = Config.from_env(env())
    assert config.host == "127.0.0.1"
    assert config.port == 8080
    assert config.workers == 1
    assert config.threads == 4
    assert config.cache_mb == 64
    assert config.densities == frozenset({1, 2, 3})
    assert config.placeholders is True
    assert config.max_side == 4000
    assert config.max_pixels == 16_000_000
    assert config.log_level == "INFO"
    assert config.reveal is False
    assert (config.reveal_difficulty, config.reveal_client_rate) == (20, 10)
    assert (config.reveal_token_rate, config.reveal_origins) == (30, None)
    assert (config.reveal_site_rate, config.redis_url) == (60, None)
    assert (config.client_ipv6_prefix, config.client_ipv4_prefix) == (64, 32)
    assert config.placeholder_limits == PlaceholderLimits(max_side=4000, max_pixels=16_000_000)
    assert Config.from_env(env(), {}) == config


def test_defaults_match_the_dataclass() -> None:
    config = Config.from_env(env())
    assert config == Config()


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: s.env)
def test_every_variable_is_read(setting: Any) -> None:
    text, expected = SAMPLES[setting.name]
    config = Config.from_env(env(**{setting.env: text}))
    assert getattr(config, setting.name) == expected
    for other in SETTINGS:  # and nothing else changes
        if other is not setting:
            assert getattr(config, other.name) == getattr(Config(), other.name)


def test_all_variables_together() -> None:
    config = Config.from_env(env(**{s.env: SAMPLES[s.name][0] for s in SETTINGS}))
    for setting in SETTINGS:
        assert getattr(config, setting.name) == SAMPLES[setting.name][1], setting.env
    assert config.placeholder_limits == PlaceholderLimits(
        max_side=1024, max_pixels=500_000, densities=SAMPLES["densities"][1]
    )


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: s.flag)
def test_flags_win_over_the_environment(setting: Any) -> None:
    text, expected = OTHER_SAMPLES[setting.name]
    config = Config.from_env(env(**{setting.env: SAMPLES[setting.name][0]}), {setting.name: text})
    assert getattr(config, setting.name) == expected


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: s.flag)
def test_flags_alone(setting: Any) -> None:
    text, expected = SAMPLES[setting.name]
    assert getattr(Config.from_env(env(), {setting.name: text}), setting.name) == expected


def test_blank_values_keep_the_default() -> None:
    config = Config.from_env(env(GLYPHVEIL_PORT="  ", GLYPHVEIL_LOG_LEVEL=""), {"port": ""})
    assert config.port == 8080 and config.log_level == "INFO"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1", {1}),
        ("1,2,3", {1, 2, 3}),
        ("3, 1", {1, 3}),
        ("1x,2x", {1, 2}),
        ("1,1,2", {1, 2}),
    ],
)
def test_densities(text: str, expected: set[int]) -> None:
    assert Config.from_env(env(GLYPHVEIL_DENSITIES=text)).densities == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        *[("on", True), ("ON", True), ("true", True), ("1", True), ("yes", True)],
        *[("off", False), ("false", False), ("0", False), ("No", False)],
    ],
)
def test_placeholder_switch(text: str, expected: bool) -> None:
    assert Config.from_env(env(GLYPHVEIL_PLACEHOLDERS=text)).placeholders is expected


@pytest.mark.parametrize("level", ["DEBUG", "info", " Warning ", "error"])
def test_log_levels(level: str) -> None:
    assert Config.from_env(env(GLYPHVEIL_LOG_LEVEL=level)).log_level == level.strip().upper()


@pytest.mark.parametrize("port", ["1", "65535", " 443 "])
def test_port_limits(port: str) -> None:
    assert Config.from_env(env(GLYPHVEIL_PORT=port)).port == int(port)


BAD_VALUES = [
    ("port", "0"),
    ("port", "70000"),
    ("port", "abc"),
    ("port", "-1"),
    ("port", "80.5"),
    ("densities", "4"),
    ("densities", "2,3"),
    ("densities", "1,4"),
    ("densities", ","),
    ("densities", "one"),
    ("placeholders", "maybe"),
    ("log_level", "LOUD"),
    ("workers", "0"),
    ("workers", "65"),
    ("threads", "0"),
    ("cache_mb", "-1"),
    ("max_side", "0"),
    ("max_pixels", "lots"),
    ("access_log", "loud"),
    ("event_loop", "trio"),
    ("reveal", "sometimes"),
    ("reveal_difficulty", "0"),
    ("reveal_difficulty", "33"),
    ("reveal_client_rate", "0"),
    ("reveal_token_rate", "many"),
    ("reveal_origins", "www.example.com"),
    ("reveal_origins", "https://example.com/path"),
    ("reveal_origins", "https://*.example.com"),
    ("reveal_origins", "*"),
    ("reveal_origins", "https://www.example.com, *"),
    ("reveal_site_rate", "0"),
    ("redis_url", "localhost:6379"),
    ("redis_url", "http://127.0.0.1:6379"),
    ("client_ipv6_prefix", "47"),
    ("client_ipv6_prefix", "65"),
    ("client_ipv4_prefix", "16"),
    ("client_ipv4_prefix", "33"),
    ("trusted_proxies", "nginx.local"),
    ("trusted_proxies", "10.0.0.0/8"),
]


def test_uvloop_that_is_not_installed_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "uvloop" else real(name, *a)
    )
    with pytest.raises(
        ConfigError, match=r"GLYPHVEIL_EVENT_LOOP='uvloop': uvloop is not installed"
    ):
        Config.from_env(env(GLYPHVEIL_EVENT_LOOP="uvloop"))


@pytest.mark.parametrize(("name", "text"), BAD_VALUES)
def test_bad_variable_is_named(name: str, text: str) -> None:
    variable = BY_NAME[name].env
    with pytest.raises(ConfigError) as caught:
        Config.from_env(env(**{variable: text}))
    message = str(caught.value)
    assert variable in message
    assert text.strip() in message
    assert "\n" not in message


@pytest.mark.parametrize(("name", "text"), BAD_VALUES)
def test_bad_flag_is_named(name: str, text: str) -> None:
    flag = BY_NAME[name].flag
    with pytest.raises(ConfigError) as caught:
        Config.from_env(env(), {name: text})
    message = str(caught.value)
    assert flag in message
    assert BY_NAME[name].env not in message
    assert "\n" not in message


def test_a_long_bad_value_is_cut_short_in_the_message() -> None:
    with pytest.raises(ConfigError) as caught:
        Config.from_env(env(GLYPHVEIL_PORT="9" * 500))
    assert len(str(caught.value)) < 200


# with_values


def test_with_values_changes_a_copy() -> None:
    config = Config.from_env(env())
    changed = config.with_values(port=9999, placeholders=False)
    assert (changed.port, changed.placeholders) == (9999, False)
    assert (config.port, config.placeholders) == (8080, True)


def test_with_values_rejects_unknown_names() -> None:
    config = Config.from_env(env())
    with pytest.raises(ConfigError, match="colour") as caught:
        config.with_values(port=1, colour="red")
    assert "port" not in str(caught.value)
    with pytest.raises(ConfigError, match="GLYPHVEIL_PORT"):
        config.with_values(GLYPHVEIL_PORT=1)


def test_config_is_frozen_and_holds_no_keys() -> None:
    """Keys can change while the service runs: they live in server.ops.keystore."""
    config = Config.from_env(env())
    with pytest.raises(AttributeError):
        config.port = 1  # type: ignore[misc]
    assert KEY not in repr(config)
    assert "keyring" not in {f.name for f in fields(config)}


def test_reveal_needs_its_origins() -> None:
    config = Config.from_env(env(GLYPHVEIL_REVEAL="on"))
    with pytest.raises(ConfigError, match="GLYPHVEIL_REVEAL_ORIGINS") as caught:
        config.check_reveal()
    assert "\n" not in str(caught.value)
    Config.from_env(
        env(GLYPHVEIL_REVEAL="on", GLYPHVEIL_REVEAL_ORIGINS="same-origin")
    ).check_reveal()
    Config.from_env(env()).check_reveal()  # reveal off: nothing to check


def test_reveal_on_several_workers_needs_redis() -> None:
    variables = env(
        GLYPHVEIL_REVEAL="on", GLYPHVEIL_REVEAL_ORIGINS="https://a.test", GLYPHVEIL_WORKERS="3"
    )
    with pytest.raises(ConfigError, match="3 workers needs GLYPHVEIL_REDIS_URL") as caught:
        Config.from_env(variables).check_reveal()
    assert "\n" not in str(caught.value)
    Config.from_env({**variables, "GLYPHVEIL_REDIS_URL": "redis://127.0.0.1/0"}).check_reveal()
    Config.from_env({**variables, "GLYPHVEIL_REVEAL": "off"}).check_reveal()
