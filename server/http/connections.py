"""Connections: limits and timeouts on what clients send before a request reaches a view.

aiohttp's own protocol gives the request line and header limits, the keep-alive timeout
and handler cancellation when a client goes away. This module adds what it lacks:

- a header timeout: a request head must arrive whole within ``header_timeout`` seconds
  of its first byte, so clients that trickle headers (slowloris) are closed on time;
- an idle timeout: a connection that sends nothing within ``idle_timeout`` seconds of
  being accepted is closed;
- a body timeout: a request body must arrive whole within ``body_timeout`` seconds of
  its head (:func:`body_deadline`), however slowly it trickles;
- a connection cap per process, below the file-descriptor limit. A new connection over
  it first takes the place of the oldest stalled one (silent, idle between requests,
  trickling a head or a body), so connections that send nothing useful never keep out
  cache hits and ``/healthz``; only when every connection has a request being handled
  does the new one get a short 503 and is closed;
- the last answer on a connection that is being closed (a worker stopping) says
  ``Connection: close``, so a keep-alive client never sends another request into it;
- protocol errors (a line or header over the limits, too many headers, garbage) answered
  with one clean 400 that carries our headers, quotes nothing back, and logs one line.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import resource
import stat
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, TypeVar

from aiohttp import web
from aiohttp.web_protocol import RequestHandler
from aiohttp.web_request import BaseRequest
from aiohttp.web_response import StreamResponse

from ..config import Config
from ..ops.metrics import CONNECTIONS_CLOSED, labelled
from .responses import error_response

__all__ = [
    "MAX_FIELD_SIZE",
    "MAX_HEADERS",
    "MAX_LINE_SIZE",
    "ConnectionLimits",
    "GuardedServer",
    "ServiceRunner",
    "body_deadline",
    "listen",
    "raise_fd_limit",
    "reads_own_body",
]

log = logging.getLogger("glyphveil")

#: The longest request line and header line, in bytes, and the most header lines:
#: aiohttp's defaults, here so the README and the tests name them.
MAX_LINE_SIZE = 8190
MAX_FIELD_SIZE = 8190
MAX_HEADERS = 128

#: Descriptors a process needs besides its client connections: the listening socket,
#: log files, fonts being opened, the metrics files of several workers.
FD_RESERVE = 64
#: Seconds a connection accepted just before shutdown has to send its request.
FRESH_GRACE = 2.0
#: Seconds a connection over the cap stays open after its 503, reading and dropping.
REFUSED_LINGER = 1.0


def _canned(status: HTTPStatus, reason: str, extra: str = "") -> bytes:
    """A whole HTTP/1.1 answer, for when no request exists to answer through aiohttp."""
    body = reason.encode() + b"\n"
    head = (
        f"HTTP/1.1 {status.value} {status.phrase}\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        f"Content-Length: {len(body)}\r\n"
        "Cache-Control: no-store\r\n"
        "X-Content-Type-Options: nosniff\r\n"
        f"{extra}"
        "Connection: close\r\n\r\n"
    )
    return head.encode() + body


_OVER_CAPACITY = _canned(
    HTTPStatus.SERVICE_UNAVAILABLE, "too many connections: try again shortly", "Retry-After: 1\r\n"
)
_HEADER_TIMEOUT = _canned(HTTPStatus.REQUEST_TIMEOUT, "request head not received in time")
_BODY_TIMEOUT = "request body not received in time"


@dataclass(frozen=True, slots=True)
class ConnectionLimits:
    """What one process allows each connection and all of them together."""

    header_timeout: float
    max_connections: int
    idle_timeout: float = 5.0
    body_timeout: float = 10.0

    @classmethod
    def from_config(cls, config: Config) -> ConnectionLimits:
        return cls(
            config.header_timeout,
            config.max_connections,
            config.idle_timeout,
            config.body_timeout,
        )


class GuardedRequestHandler(RequestHandler):
    """aiohttp's protocol with a header timeout, the connection cap and clean 400s."""

    def __init__(self, manager: GuardedServer, **kwargs: Any) -> None:
        super().__init__(manager, **kwargs)
        self._limits = manager.limits
        self._refused = False
        self._head_deadline: asyncio.TimerHandle | None = None
        self._silence_deadline: asyncio.TimerHandle | None = None
        self._close_after_request = False
        self._heard = False  # any byte received
        #: Set while the handler waits for the request body (:func:`body_deadline`).
        self.reading_body = False

    @property
    def stalled(self) -> bool:
        """Holding a connection slot without a request being handled: silent since it was
        accepted, idle between requests, still receiving a head, or waiting for a body."""
        return self.reading_body or not self._request_in_progress

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        manager = self._manager
        assert isinstance(manager, GuardedServer)
        if manager.open >= self._limits.max_connections and not manager.evict_stalled():
            self._refused = True
            labelled(CONNECTIONS_CLOSED, "capacity").inc()
            assert isinstance(transport, asyncio.Transport)
            # Answer, stop sending, and close a moment later: closing at once with the
            # request still unread would reset the connection before the client reads
            # the answer.
            transport.write(_OVER_CAPACITY)
            transport.write_eof()
            self._loop.call_later(REFUSED_LINGER, transport.close)
            return
        manager.open += 1
        super().connection_made(transport)
        self._silence_deadline = self._loop.call_later(
            self._limits.idle_timeout, self._silent_too_long
        )

    def connection_lost(self, exc: BaseException | None) -> None:
        if self._refused:
            return
        self._stop_head_deadline()
        self._stop_silence_deadline()
        if isinstance(manager := self._manager, GuardedServer):
            manager.open -= 1
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return  # the request of a connection over the cap is read and dropped
        if data and not self._heard:
            self._heard = True
            self._stop_silence_deadline()
        heads = self._request_count
        super().data_received(data)
        if self._request_count > heads:  # a whole request head arrived
            self._stop_head_deadline()
            if self._close_after_request:
                self._close = True  # no more requests: close once this one is answered
        elif data and self._head_deadline is None and not self._force_close:
            self._head_deadline = self._loop.call_later(
                self._limits.header_timeout, self._head_too_slow
            )

    @property
    def fresh(self) -> bool:
        """Accepted, but no request received yet."""
        return self._request_count == 0 and self.transport is not None

    def close_after_first_request(self) -> None:
        """On shutdown: answer the request this new connection is sending, then close."""
        self._close_after_request = True

    def evict(self) -> None:
        """Close this stalled connection at once to make room for a new one."""
        labelled(CONNECTIONS_CLOSED, "evicted").inc()
        self._close_now()

    def _silent_too_long(self) -> None:
        self._silence_deadline = None
        if self._heard or self.transport is None:
            return
        labelled(CONNECTIONS_CLOSED, "idle_timeout").inc()
        self._close_now()

    def _close_now(self) -> None:
        """Close the connection at once: aiohttp's force_close closes the transport of
        an idle connection itself (and forgets it), older releases only mark it."""
        self.force_close()
        if self.transport is not None:
            self.transport.close()

    def _stop_silence_deadline(self) -> None:
        if self._silence_deadline is not None:
            self._silence_deadline.cancel()
            self._silence_deadline = None

    async def finish_response(
        self, request: BaseRequest, resp: StreamResponse, start_time: float | None
    ) -> tuple[StreamResponse, bool]:
        """Say ``Connection: close`` on the last answer of a connection being closed."""
        if (self._close or self._force_close) and not resp.prepared:
            resp.force_close()
        return await super().finish_response(request, resp, start_time)

    def _stop_head_deadline(self) -> None:
        if self._head_deadline is not None:
            self._head_deadline.cancel()
            self._head_deadline = None

    def _head_too_slow(self) -> None:
        self._head_deadline = None
        if self.transport is None or self._request_in_progress:
            return
        labelled(CONNECTIONS_CLOSED, "header_timeout").inc()
        log.debug(
            "connection closed: request head not received in %s s", self._limits.header_timeout
        )
        self.transport.write(_HEADER_TIMEOUT)
        self.force_close()

    def handle_error(
        self,
        request: BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        """A request aiohttp could not parse: one plain 400 line, one log line.

        Errors of our own code (500) keep aiohttp's handling, traceback included.
        """
        if status >= 500:
            return super().handle_error(request, status, exc, message)
        labelled(CONNECTIONS_CLOSED, "bad_request").inc()
        log.info(
            "protocol error from %s: %s, answered %d",
            request.remote,
            type(exc).__name__ if exc is not None else "unknown",
            status,
        )
        try:
            reason = HTTPStatus(status).phrase.lower()
        except ValueError:
            reason = "bad request"
        response = error_response(status, reason)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Cache-Control"] = "no-store"
        response.headers["Connection"] = "close"  # the status line is HTTP/1.0 here
        response.force_close()
        return response


class GuardedServer(web.Server):
    """aiohttp's protocol factory, making :class:`GuardedRequestHandler` connections."""

    def __init__(self, *args: Any, limits: ConnectionLimits, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.limits = limits
        self.open = 0  # connections counted against the cap

    def evict_stalled(self) -> bool:
        """Close the oldest stalled connection (see :attr:`GuardedRequestHandler.stalled`);
        False if every connection has a request being handled."""
        for conn in self._connections:  # in the order they were accepted
            if isinstance(conn, GuardedRequestHandler) and conn.stalled:
                conn.evict()
                return True
        return False

    def __call__(self) -> RequestHandler:
        return GuardedRequestHandler(self, loop=self._loop, **self._kwargs)

    def _fresh(self) -> list[GuardedRequestHandler]:
        return [c for c in self._connections if isinstance(c, GuardedRequestHandler) and c.fresh]

    def pre_shutdown(self) -> None:
        """Stop: idle keep-alive connections close now, but a connection accepted an
        instant ago has a request on its way (under gunicorn the other workers take the
        next ones): it is answered first, then closed."""
        fresh = self._fresh()
        for conn in self._connections:
            if conn in fresh:
                conn.close_after_first_request()
            else:
                conn.close()

    async def shutdown(self, timeout: float | None = None) -> None:
        """Give new connections up to :data:`FRESH_GRACE` seconds to send their request,
        then wait for the requests under way (at most ``timeout``), as aiohttp does."""
        deadline = self._loop.time() + FRESH_GRACE
        while self._fresh() and self._loop.time() < deadline:
            await asyncio.sleep(0.02)
        await super().shutdown(timeout)


class ServiceRunner(web.AppRunner):
    """An :class:`~aiohttp.web.AppRunner` serving the app through :class:`GuardedServer`,
    with the configured timeouts and limits, cancelling the handlers of clients that go.

    Used by ``python -m server`` directly and by each gunicorn worker.
    """

    def __init__(self, app: web.Application, config: Config, **kwargs: Any) -> None:
        kwargs.setdefault("shutdown_timeout", config.grace_seconds)
        super().__init__(
            app,
            handler_cancellation=True,  # a client that goes away stops waiting for its image
            keepalive_timeout=config.keepalive_timeout,
            max_line_size=MAX_LINE_SIZE,
            max_field_size=MAX_FIELD_SIZE,
            max_headers=MAX_HEADERS,
            **kwargs,
        )
        self._limits = ConnectionLimits.from_config(config)

    async def _make_server(self) -> web.Server:
        # aiohttp builds its plain Server here (after the app's startup); rebuild it as
        # ours with the same handler, request factory and settings.
        plain = await super()._make_server()
        return GuardedServer(
            plain.request_handler,
            request_factory=plain.request_factory,
            handler_cancellation=plain.handler_cancellation,
            loop=plain._loop,
            limits=self._limits,
            **plain._kwargs,
        )


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


View = TypeVar("View", bound=Callable[[web.Request], Awaitable[web.StreamResponse]])

#: Views that read their request body themselves, within limits of their own.
_OWN_BODY: set[Callable[[web.Request], Awaitable[web.StreamResponse]]] = set()


def reads_own_body(view: View) -> View:
    """Mark ``view`` as reading its request body itself, with a size cap and a deadline
    of its own (reveal's small forms): :func:`body_deadline` leaves the body to it, since
    a body read here first would reach the view already consumed."""
    _OWN_BODY.add(view)
    return view


@web.middleware
async def body_deadline(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Read a request body whole within ``body_timeout`` seconds of its head, before the
    view runs: a body trickled in byte by byte gets a 408 and the connection is closed.
    While it is being read, the connection counts as stalled (it can be evicted).
    Views marked with :func:`reads_own_body` read theirs themselves."""
    if not request.body_exists or request.match_info.handler in _OWN_BODY:
        return await handler(request)
    protocol = request.protocol
    guarded = protocol if isinstance(protocol, GuardedRequestHandler) else None
    if guarded is not None:
        guarded.reading_body = True
    try:
        async with asyncio.timeout(request.app[_LIMITS].body_timeout):
            await request.read()  # kept by aiohttp for the view's request.post() or .read()
    except TimeoutError:
        labelled(CONNECTIONS_CLOSED, "body_timeout").inc()
        response = error_response(408, _BODY_TIMEOUT)
        response.force_close()
        return response
    finally:
        if guarded is not None:
            guarded.reading_body = False
    return await handler(request)


_LIMITS = web.AppKey("connection_limits", ConnectionLimits)


def install_limits(app: web.Application, config: Config) -> None:
    """Give ``app`` the body deadline (the other limits live in the protocol)."""
    app[_LIMITS] = ConnectionLimits.from_config(config)


async def listen(runner: web.AppRunner, config: Config) -> None:
    """Start serving ``runner`` on ``host:port`` and, if set, on the unix ``socket``.

    The socket file is made connectable by everyone who can reach its directory
    (``0666``): the directory decides who may talk to the service over it (under
    systemd, nginx's group alone), which is why a proxy on the socket can be trusted
    with the client's address while local processes on the TCP port cannot.
    """
    # gunicorn's default backlog: a burst of connections waits in the kernel's
    # queue instead of retrying its SYN a second or three later (aiohttp's is 128).
    await web.TCPSite(runner, config.host, config.port, backlog=2048).start()
    if config.socket:
        with contextlib.suppress(FileNotFoundError):
            if stat.S_ISSOCK(os.stat(config.socket).st_mode):
                os.unlink(config.socket)  # left by a process that was killed
        try:
            await web.UnixSite(runner, config.socket, backlog=2048).start()
        except OSError as exc:  # named, so that the caller's message names the socket
            raise OSError(exc.errno, exc.strerror, config.socket) from exc
        os.chmod(config.socket, 0o666)  # noqa: S103 (the directory decides)
        log.info("serving on unix socket %s as well", config.socket)


def raise_fd_limit(config: Config) -> None:
    """Raise this process's soft descriptor limit to what ``max_connections`` needs, as
    far as the hard limit allows; warn if that is not enough (workers inherit it)."""
    needed = config.max_connections + FD_RESERVE
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        soft = target
    if soft != resource.RLIM_INFINITY and soft < needed:
        log.warning(
            "file descriptor limit %d is below the %d that --max-connections %d needs:"
            " raise it (ulimit -n, LimitNOFILE=) or lower --max-connections",
            soft,
            needed,
            config.max_connections,
        )
