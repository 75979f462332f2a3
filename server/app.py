"""The application factory: routes, state and resources."""

from __future__ import annotations

from aiohttp import web

from tokens import KeyRing

from .config import Config
from .http.access_log import access_log_args
from .http.connections import body_deadline, install_limits
from .http.health import healthz_view, metrics_handler
from .http.home import home_view
from .http.middleware import count_requests, forwarded_client, request_errors
from .http.placeholders import placeholder_view
from .http.responses import security_headers
from .http.reveal import setup_reveal
from .http.token_image import token_view
from .ops.cache import RenderCache
from .ops.jobs import render_pool
from .ops.keystore import KeyStore, live_keys
from .ops.verified import VerifiedTokens
from .state import CACHE, CONFIG, KEYS, PLACEHOLDER_CACHE, VERIFIED

__all__ = ["create_app"]


def create_app(
    config: Config | None = None, keys: KeyRing | KeyStore | None = None
) -> web.Application:
    """Build the service. Without ``config`` the settings come from the environment.

    ``keys``: a :class:`~tokens.KeyRing` is used as it is; a
    :class:`~server.ops.keystore.KeyStore` reloads from its source on SIGHUP; without
    either the keys are read from the environment when the application starts, and
    reloaded from there on SIGHUP.
    """
    config = config or Config.from_env()
    # forwarded_client only where a proxy is trusted: otherwise it would pass every
    # request through unchanged, and each middleware costs every request a coroutine.
    proxied = [forwarded_client] if config.trusted_proxies else []
    app = web.Application(
        middlewares=[count_requests, *proxied, body_deadline, request_errors],
        handler_args=access_log_args(config.access_log),
    )
    app[CONFIG] = config
    install_limits(app, config)
    if keys is not None:
        app[KEYS] = keys if isinstance(keys, KeyStore) else KeyStore(keys, source=None)
    app.cleanup_ctx.append(live_keys)
    app[CACHE] = RenderCache(config.cache_mb * 2**20)
    app[VERIFIED] = VerifiedTokens()
    app[PLACEHOLDER_CACHE] = RenderCache(config.placeholder_cache_mb * 2**20)
    app.cleanup_ctx.append(render_pool)
    app.on_response_prepare.append(security_headers)
    app.router.add_get("/", home_view, name="home")
    app.router.add_get("/healthz", healthz_view, name="healthz")
    app.router.add_get("/metrics", metrics_handler(), name="metrics")
    app.router.add_get("/t/{name}", token_view, name="token")
    if config.placeholders:
        # A sign too, so /-5x10 gets the same 400 as /0x10, not a 404.
        app.router.add_get(r"/{spec:-?\d.*}", placeholder_view, name="placeholder")
    if config.reveal:
        setup_reveal(app)
    return app
