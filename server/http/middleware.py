"""The middlewares, outermost first: count every answer, take the client address from a
trusted proxy, then turn request errors into 400s and overload into 503s."""

from __future__ import annotations

import ipaddress
from collections.abc import Awaitable, Callable

from aiohttp import web

from ..config import UNIX_PEER
from ..errors import Overloaded, RequestError
from ..ops.metrics import count_request
from ..state import CONFIG
from .responses import error_response

__all__ = ["count_requests", "forwarded_client", "request_errors"]

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def count_requests(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Count every answer by route name and status; a label never holds a token or text."""
    route = request.match_info.route.name or "unmatched"
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        count_request(route, exc.status)
        raise
    except Exception:
        count_request(route, 500)
        raise
    count_request(route, response.status)
    return response


@web.middleware
async def forwarded_client(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Behind a proxy listed in ``trusted_proxies``, ``request.remote`` becomes the client
    address the proxy sends in ``X-Real-IP``, so per-client limits count clients, not the
    proxy. From any other peer the header is ignored: clients cannot choose their address.
    """
    trusted = request.app[CONFIG].trusted_proxies
    if trusted and (request.remote or UNIX_PEER) in trusted:  # "" over a unix socket
        try:
            client = str(ipaddress.ip_address(request.headers.get("X-Real-IP", "").strip()))
        except ValueError:
            pass  # no usable header: the proxy itself is the client
        else:
            request = request.clone(remote=client)
    return await handler(request)


@web.middleware
async def request_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Answer a :class:`RequestError` from any handler with its one-line 400, and
    :class:`Overloaded` with a 503 that says when to retry."""
    try:
        return await handler(request)
    except RequestError as exc:
        return error_response(400, str(exc))
    except Overloaded as exc:
        response = error_response(503, str(exc))
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
