"""The application factory: routes, state and resources."""

from __future__ import annotations

from aiohttp import web

from .config import Config
from .http.access_log import access_log_args
from .http.health import healthz_view, metrics_handler
from .http.home import home_view
from .http.middleware import count_requests, request_errors
from .http.placeholders import placeholder_view
from .http.responses import security_headers
from .http.reveal import setup_reveal
from .http.token_image import token_view
from .ops.cache import RenderCache
from .ops.jobs import render_pool
from .ops.verified import VerifiedTokens
from .state import CACHE, CONFIG, PLACEHOLDER_CACHE, VERIFIED

__all__ = ["create_app"]


def create_app(config: Config | None = None) -> web.Application:
    """Build the service. Without ``config`` the settings come from the environment."""
    config = config or Config.from_env()
    app = web.Application(
        middlewares=[count_requests, request_errors],
        handler_args=access_log_args(config.access_log),
    )
    app[CONFIG] = config
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
