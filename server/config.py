"""Service settings: environment variables first, command-line flags over them."""

from __future__ import annotations

import importlib.util
import ipaddress
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from tokens.options import DENSITIES, MAX_WIDTH

from .errors import ConfigError

__all__ = ["ACCESS_LOGS", "EVENT_LOOPS", "SAME_ORIGIN", "SETTINGS", "Config", "PlaceholderLimits"]

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
#: In ``trusted_proxies``: whoever connects over the unix socket (``GLYPHVEIL_SOCKET``).
UNIX_PEER = "unix"


def _int(low: int, high: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        digits = text.strip()
        if not (digits.isascii() and digits.isdigit()):
            raise ValueError("must be a whole number")
        value = int(digits)
        if not low <= value <= high:
            raise ValueError(f"must be from {low} to {high}")
        return value

    return parse


def _densities(text: str) -> frozenset[int]:
    values = frozenset(int(part.removesuffix("x")) for part in text.split(",") if part.strip())
    if not values or not values <= set(DENSITIES) or 1 not in values:
        raise ValueError("must be a comma-separated subset of 1,2,3 that includes 1")
    return values


def _switch(text: str) -> bool:
    value = text.strip().lower()
    if value not in ("on", "off", "true", "false", "1", "0", "yes", "no"):
        raise ValueError("must be on or off")
    return value in ("on", "true", "1", "yes")


#: What ``access_log`` can be: a short or a full line per request, or none.
ACCESS_LOGS = ("off", "short", "full")
EVENT_LOOPS = ("asyncio", "uvloop")


def _access_log(text: str) -> str:
    value = text.strip().lower()
    if value not in ACCESS_LOGS:
        raise ValueError(f"must be one of {', '.join(ACCESS_LOGS)}")
    return value


def _event_loop(text: str) -> str:
    value = text.strip().lower()
    if value not in EVENT_LOOPS:
        raise ValueError(f"must be one of {', '.join(EVENT_LOOPS)}")
    if value == "uvloop" and importlib.util.find_spec("uvloop") is None:
        raise ValueError("uvloop is not installed: pip install 'uvloop>=0.19'")
    return value


def _log_level(text: str) -> str:
    value = text.strip().upper()
    if value not in LOG_LEVELS:
        raise ValueError(f"must be one of {', '.join(LOG_LEVELS)}")
    return value


#: The ``GLYPHVEIL_REVEAL_ORIGINS`` word for pages served from the service's own host.
SAME_ORIGIN = "same-origin"


def _origins(text: str) -> frozenset[str]:
    """The exact origins whose pages may call the reveal routes, ``same-origin`` among them
    for pages on the service's own host. ``*`` is refused: it lets any website reveal the
    values through its visitors' browsers."""
    origins = frozenset(part.strip().rstrip("/") for part in text.split(",") if part.strip())
    if "*" in origins:
        raise ValueError(
            "* would let any website reveal your values through its visitors' browsers: "
            "name your site's origins (https://www.example.com) or same-origin"
        )
    valid = all(o == SAME_ORIGIN or re.fullmatch(r"https?://[^/\s?#,*]+", o) for o in origins)
    if not origins or not valid:
        raise ValueError(
            "must be comma-separated origins like https://www.example.com, or same-origin"
        )
    return origins


def _redis_url(text: str) -> str:
    url = text.strip()
    if not re.fullmatch(r"(rediss?|unix)://\S+", url):
        raise ValueError("must be a redis://, rediss:// or unix:// URL")
    return url


def _addresses(text: str) -> frozenset[str]:
    """IP addresses, and ``unix`` for the proxy on the unix socket (``GLYPHVEIL_SOCKET``)."""
    parts = [part.strip() for part in text.split(",") if part.strip()]
    try:
        return frozenset(
            part if part == UNIX_PEER else str(ipaddress.ip_address(part)) for part in parts
        )
    except ValueError:
        raise ValueError("must be comma-separated IP addresses, or unix") from None


@dataclass(frozen=True)
class Setting:
    """One setting: its field, environment variable, flag, parser and help text."""

    name: str
    env: str
    parse: Callable[[str], Any]
    help: str

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")


#: Every setting, in the order the README documents them.
SETTINGS: tuple[Setting, ...] = (
    Setting("host", "GLYPHVEIL_HOST", str, "address to listen on (127.0.0.1)"),
    Setting("port", "GLYPHVEIL_PORT", _int(1, 65535), "port to listen on (8080)"),
    Setting(
        "socket",
        "GLYPHVEIL_SOCKET",
        str,
        "unix socket to listen on as well, for a proxy on this host (none)",
    ),
    Setting("workers", "GLYPHVEIL_WORKERS", _int(1, 64), "processes; over 1 runs gunicorn (1)"),
    Setting("threads", "GLYPHVEIL_THREADS", _int(1, 64), "render threads per process (4)"),
    Setting("cache_mb", "GLYPHVEIL_CACHE_MB", _int(0, 65536), "image cache per process, MB (64)"),
    Setting("densities", "GLYPHVEIL_DENSITIES", _densities, "allowed densities (1,2,3)"),
    Setting("placeholders", "GLYPHVEIL_PLACEHOLDERS", _switch, "placeholder route on|off (on)"),
    Setting(
        "max_side", "GLYPHVEIL_MAX_SIDE", _int(1, MAX_WIDTH), "placeholder side limit, px (4000)"
    ),
    Setting(
        "max_pixels", "GLYPHVEIL_MAX_PIXELS", _int(1, 64_000_000), "image area limit, px (16000000)"
    ),
    Setting("log_level", "GLYPHVEIL_LOG_LEVEL", _log_level, "DEBUG, INFO, WARNING or ERROR (INFO)"),
    Setting(
        "access_log",
        "GLYPHVEIL_ACCESS_LOG",
        _access_log,
        "a line per request: off, short or full (off)",
    ),
    Setting("event_loop", "GLYPHVEIL_EVENT_LOOP", _event_loop, "asyncio or uvloop (asyncio)"),
    Setting(
        "placeholder_cache_mb",
        "GLYPHVEIL_PLACEHOLDER_CACHE_MB",
        _int(0, 65536),
        "placeholder image cache per process, MB, apart from tokens' (16)",
    ),
    Setting(
        "render_queue",
        "GLYPHVEIL_RENDER_QUEUE",
        _int(1, 100_000),
        "renders admitted per process, running and waiting; more get 503 (4 x threads)",
    ),
    Setting(
        "render_budget_mpx",
        "GLYPHVEIL_RENDER_BUDGET_MPX",
        _int(1, 100_000),
        "megapixels admitted per process at once, to token images and placeholders each;"
        " more get 503 (32)",
    ),
    Setting(
        "malloc_trim",
        "GLYPHVEIL_MALLOC_TRIM",
        _switch,
        "give freed memory back to the system after a burst of renders (on)",
    ),
    Setting(
        "render_timeout",
        "GLYPHVEIL_RENDER_TIMEOUT",
        _int(1, 3600),
        "seconds a request waits for its image before a 503 (10)",
    ),
    Setting(
        "header_timeout",
        "GLYPHVEIL_HEADER_TIMEOUT",
        _int(1, 3600),
        "seconds to receive a request's line and headers once it starts (10)",
    ),
    Setting(
        "idle_timeout",
        "GLYPHVEIL_IDLE_TIMEOUT",
        _int(1, 3600),
        "seconds a new connection may stay silent before it is closed (5)",
    ),
    Setting(
        "body_timeout",
        "GLYPHVEIL_BODY_TIMEOUT",
        _int(1, 3600),
        "seconds to receive a request body whole, once its head arrived (10)",
    ),
    Setting(
        "keepalive_timeout",
        "GLYPHVEIL_KEEPALIVE_TIMEOUT",
        _int(1, 3600),
        "seconds an idle connection stays open (30)",
    ),
    Setting(
        "max_connections",
        "GLYPHVEIL_MAX_CONNECTIONS",
        _int(1, 1_000_000),
        "open connections per process; more get 503 and are closed (1000)",
    ),
    Setting(
        "grace_seconds",
        "GLYPHVEIL_GRACE_SECONDS",
        _int(1, 3600),
        "on SIGTERM, seconds to finish requests under way (20)",
    ),
    Setting("reveal", "GLYPHVEIL_REVEAL", _switch, "reveal routes for revealable tokens (off)"),
    Setting(
        "reveal_difficulty",
        "GLYPHVEIL_REVEAL_DIFFICULTY",
        _int(1, 32),
        "reveal proof of work, leading zero bits (20)",
    ),
    Setting(
        "reveal_client_rate",
        "GLYPHVEIL_REVEAL_CLIENT_RATE",
        _int(1, 100_000),
        "reveal challenges, and reveals, a minute per client group (10)",
    ),
    Setting(
        "reveal_token_rate",
        "GLYPHVEIL_REVEAL_TOKEN_RATE",
        _int(1, 100_000),
        "solved reveals a minute per value (30)",
    ),
    Setting(
        "reveal_site_rate",
        "GLYPHVEIL_REVEAL_SITE_RATE",
        _int(1, 1_000_000),
        "reveals a minute the whole site normally sees; above it the work grows (60)",
    ),
    Setting(
        "reveal_origins",
        "GLYPHVEIL_REVEAL_ORIGINS",
        _origins,
        "pages that may call the reveal routes: comma-separated origins or same-origin"
        " (required with reveal on)",
    ),
    Setting(
        "redis_url",
        "GLYPHVEIL_REDIS_URL",
        _redis_url,
        "Redis for reveal's limits, shared by every worker and instance (none: in memory)",
    ),
    Setting(
        "client_ipv6_prefix",
        "GLYPHVEIL_CLIENT_IPV6_PREFIX",
        _int(48, 64),
        "IPv6 clients are grouped by this prefix for the limits, 48 to 64 (64)",
    ),
    Setting(
        "client_ipv4_prefix",
        "GLYPHVEIL_CLIENT_IPV4_PREFIX",
        _int(24, 32),
        "IPv4 clients are grouped by this prefix for the limits, 24 to 32 (32)",
    ),
    Setting(
        "trusted_proxies",
        "GLYPHVEIL_TRUSTED_PROXIES",
        _addresses,
        "proxy addresses whose X-Real-IP names the client: comma-separated (none)",
    ),
)


@dataclass(frozen=True, slots=True)
class PlaceholderLimits:
    """Bounds on the OUTPUT image (after density), which cap memory and CPU per request."""

    max_side: int = 4000
    max_pixels: int = 16_000_000
    max_text: int = 256
    densities: frozenset[int] = frozenset(DENSITIES)


_DEFAULT_LIMITS = PlaceholderLimits()


@dataclass(frozen=True)
class Config:
    """Everything the service needs to run but its keys, which can change while it runs:
    they live in :class:`server.ops.keystore.KeyStore`."""

    host: str = "127.0.0.1"
    port: int = 8080
    socket: str | None = None
    workers: int = 1
    threads: int = 4
    cache_mb: int = 64
    densities: frozenset[int] = frozenset(DENSITIES)
    placeholders: bool = True
    max_side: int = _DEFAULT_LIMITS.max_side
    max_pixels: int = _DEFAULT_LIMITS.max_pixels
    log_level: str = "INFO"
    access_log: str = "off"
    event_loop: str = "asyncio"
    placeholder_cache_mb: int = 16
    render_queue: int | None = None  # None: 4 x threads
    render_budget_mpx: int = 32  # a 16 Mpx WebP takes ~170 MB while encoded
    render_timeout: int = 10
    malloc_trim: bool = True
    header_timeout: int = 10
    idle_timeout: int = 5
    body_timeout: int = 10
    keepalive_timeout: int = 30
    max_connections: int = 1000
    grace_seconds: int = 20

    reveal: bool = False
    reveal_difficulty: int = 20
    reveal_client_rate: int = 10
    reveal_token_rate: int = 30
    reveal_site_rate: int = 60
    #: The origins whose pages may call the reveal routes (``same-origin`` among them for
    #: the service's own host); None until set, and reveal refuses to start without it.
    reveal_origins: frozenset[str] | None = None
    #: Where reveal's limits and spent challenges live; None: in this process's memory.
    redis_url: str | None = None
    client_ipv6_prefix: int = 64
    client_ipv4_prefix: int = 32
    #: Proxies (nginx) whose ``X-Real-IP`` header is taken as the client's address.
    trusted_proxies: frozenset[str] = frozenset()

    @property
    def render_limit(self) -> int:
        """Renders admitted per process at once, running and waiting for a thread."""
        return self.render_queue if self.render_queue is not None else 4 * self.threads

    @property
    def placeholder_limits(self) -> PlaceholderLimits:
        return PlaceholderLimits(self.max_side, self.max_pixels, densities=self.densities)

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, overrides: Mapping[str, str] | None = None
    ) -> Config:
        """Read the environment, then apply ``overrides`` (flag values as text) over it.

        Raises :class:`ConfigError` naming the variable or flag of a bad value.
        """
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for setting in SETTINGS:
            flag_value = (overrides or {}).get(setting.name)
            source, text = (
                (setting.flag, flag_value)
                if flag_value is not None
                else (setting.env, env.get(setting.env))
            )
            if text is None or not text.strip():
                continue
            try:
                values[setting.name] = setting.parse(text)
            except ValueError as exc:
                raise ConfigError(f"{source}={text[:40]!r}: {exc}") from None
        return cls(**values)

    def check_reveal(self) -> None:
        """Refuse a reveal set-up that would not hold: no origin list (any website could
        reveal the values through its visitors' browsers), or several workers that would
        each keep their own limits and spent challenges. One line, naming the setting."""
        if not self.reveal:
            return
        if self.reveal_origins is None:
            raise ConfigError(
                "GLYPHVEIL_REVEAL=on needs GLYPHVEIL_REVEAL_ORIGINS: the origins of the pages"
                " that show the values (https://www.example.com), or same-origin"
            )
        if self.workers > 1 and self.redis_url is None:
            raise ConfigError(
                f"GLYPHVEIL_REVEAL=on with {self.workers} workers needs GLYPHVEIL_REDIS_URL:"
                " each worker would keep its own limits and spent challenges"
            )

    def with_values(self, **values: Any) -> Config:
        """A copy with some settings changed (for tests and embedding)."""
        known = {f.name for f in fields(self)}
        unknown = set(values) - known
        if unknown:
            raise ConfigError(f"unknown settings: {', '.join(sorted(unknown))}")
        return replace(self, **values)
