"""The application factory: routes, state and resources."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor

from aiohttp import web

from .cache import RenderCache
from .config import Config
from .errors import RequestError
from .home import home_view
from .metrics import REQUESTS, metrics_handler
from .responses import error_response, security_headers
from .state import CACHE, CONFIG, POOL
from .views import healthz_view, placeholder_view, token_view

__all__ = ["create_app"]

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def create_app(config: Config | None = None) -> web.Application:
    """Build the service. Without ``config`` the settings come from the environment."""
    config = config or Config.from_env()
    app = web.Application(middlewares=[count_requests, request_errors])
    app[CONFIG] = config
    app[CACHE] = RenderCache(config.cache_mb * 2**20)
    app.cleanup_ctx.append(render_pool)
    app.on_response_prepare.append(security_headers)
    app.router.add_get("/", home_view, name="home")
    app.router.add_get("/healthz", healthz_view, name="healthz")
    app.router.add_get("/metrics", metrics_handler(), name="metrics")
    app.router.add_get("/t/{name}", token_view, name="token")
    if config.placeholders:
        app.router.add_get(r"/{spec:\d.*}", placeholder_view, name="placeholder")
    return app


async def render_pool(app: web.Application) -> AsyncIterator[None]:
    """The render threads, sized from the config, shut down with the app."""
    pool = ThreadPoolExecutor(max_workers=app[CONFIG].threads, thread_name_prefix="render")
    app[POOL] = pool
    yield
    await asyncio.to_thread(pool.shutdown, wait=True, cancel_futures=True)


@web.middleware
async def count_requests(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Count every answer by route name and status; a label never holds a token or text."""
    route = request.match_info.route.name or "unmatched"
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        REQUESTS.labels(route, str(exc.status)).inc()
        raise
    except Exception:
        REQUESTS.labels(route, "500").inc()
        raise
    REQUESTS.labels(route, str(response.status)).inc()
    return response


@web.middleware
async def request_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Answer a :class:`RequestError` from any handler with its one-line 400."""
    try:
        return await handler(request)
    except RequestError as exc:
        return error_response(400, str(exc))
