"""The reveal routes: a revealable token's text for a visitor who solves a proof of work.

``POST /reveal/challenge`` (``token``) answers a challenge bound to the token and the
client's group; ``POST /reveal`` (``token``, ``challenge``, ``nonce``) answers the text,
once per challenge. ``GET /reveal.js`` is the page script that does both. Off unless
``GLYPHVEIL_REVEAL=on``; see ``docs/tokens.md`` §9 and §10.

This is the one place the service sends plaintext: only for tokens minted revealable,
in a JSON body with ``Cache-Control: no-store``, never in a header or a log line.

* **Origins**: only pages of ``GLYPHVEIL_REVEAL_ORIGINS`` (or the service's own host, with
  ``same-origin``) get an answer they can read; any other page origin gets the 404 and a
  log line (INFO, at most once a minute per origin).
* **Bodies**: ``application/x-www-form-urlencoded`` or ``application/json``, at most
  :data:`MAX_BODY` bytes, read whole within :data:`BODY_SECONDS` (else 415, 413, 408).
* **One 404**: every failure of the token, the challenge or the work, a replayed
  challenge and a refused origin get the same 404 as a bad token on ``/t/``.
* **Limits** (:mod:`server.ops.rate_limit`): per client group
  (:func:`server.ops.client_group.client_group`, taken from the TCP peer or, behind a
  proxy of ``GLYPHVEIL_TRUSTED_PROXIES``, its ``X-Real-IP``), challenges and reveals a
  minute (429 with ``Retry-After``); per value, solved reveals a minute; and a difficulty
  that grows with the group's and the site's recent reveals.
* **Store**: in memory for one process, or Redis (``GLYPHVEIL_REDIS_URL``) for every
  worker and instance; while Redis does not answer, reveal answers 503 with
  ``Retry-After`` and images are untouched.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from urllib.parse import parse_qsl, quote, urlsplit

from aiohttp import web

from tokens import ExpiredToken, InvalidToken, KeyRing, Payload, decode
from tokens.errors import ChallengeLimit, InvalidChallenge
from tokens.pow import MAX_NONCE, issue, verify

from ..config import SAME_ORIGIN, Config
from ..errors import RequestError
from ..ops.client_group import client_group
from ..ops.log_limit import LogLimit
from ..ops.rate_limit import (
    REPLAYED,
    MemoryRevealStore,
    RevealLimits,
    StoreUnavailable,
)
from ..state import CONFIG, KEYS, REVEAL
from .connections import reads_own_body
from .responses import FOREVER, error_response, etag_matches

__all__ = [
    "BODY_SECONDS",
    "MAX_BODY",
    "SCRIPT_PATH",
    "challenge_view",
    "link_for",
    "reveal_view",
    "script_view",
    "setup_reveal",
]

log = logging.getLogger("glyphveil.reveal")

#: The page script, read once: served as ``/reveal.js`` and ``/reveal.<version>.js``.
SCRIPT = (Path(__file__).resolve().parent / "static" / "reveal.js").read_bytes()
#: The script's version: the first 16 hex digits of its SHA-256.
SCRIPT_VERSION = hashlib.sha256(SCRIPT).hexdigest()[:16]
#: The long-cached, versioned path of the script.
SCRIPT_PATH = f"/reveal.{SCRIPT_VERSION}.js"
_SCRIPT_ETAG = f'"{SCRIPT_VERSION}"'
#: How long browsers keep ``/reveal.js`` before asking again (a day).
SCRIPT_MAX_AGE = 86_400

#: The largest request body the reveal routes read, in bytes.
MAX_BODY = 2048
#: Seconds to receive a whole request body; slower gets 408 and the connection closed.
BODY_SECONDS = 5.0
#: Seconds a client waits before asking again while the store does not answer.
STORE_RETRY_AFTER = 2
#: Seconds between two log lines about the same refused page origin.
ORIGIN_LOG_SECONDS = 60.0
_BODY_TYPES = ("application/x-www-form-urlencoded", "application/json")

_EMAIL = re.compile(r"[^\s@<>\"'()\[\],;:\\]+@[^\s@<>\"'()\[\],;:\\]+\.[^\s@<>\"'()\[\],;:\\.]+")
_PHONE = re.compile(r"\+?[0-9][0-9 ().\-/]{3,}[0-9]")
_DIGITS = re.compile(r"\d")
_MAX_FIELD = 512


class OriginLog:
    """Logs a refused page origin at most once every ``seconds`` per origin and ten
    lines a minute in all, remembering at most ``max_origins`` of them (a flood of
    made-up origins can neither grow it nor flood the log)."""

    def __init__(self, seconds: float = ORIGIN_LOG_SECONDS, max_origins: int = 1024) -> None:
        self._limit = LogLimit(interval=seconds, max_subjects=max_origins)

    def refused(self, origin: str, *, now: float | None = None) -> bool:
        """Log the refusal of ``origin`` unless it was logged within ``seconds`` (or the
        minute's lines are spent); True if this call logged."""
        origin = origin[:200]
        if not self._limit.allow(origin, now=now):
            return False
        log.info(
            "reveal refused for a page on %r: not in GLYPHVEIL_REVEAL_ORIGINS "
            "(logged at most once a minute per origin)",
            origin,
        )
        return True


ORIGIN_LOG = web.AppKey("reveal_origin_log", OriginLog)


def _keyring(app: web.Application) -> KeyRing:
    """The keys that open tokens and sign challenges, as in force now (they reload on SIGHUP)."""
    return app[KEYS].current


def reveal_limits(config: Config) -> RevealLimits:
    """The limits that ``config`` sets."""
    return RevealLimits(
        client_rate=config.reveal_client_rate,
        value_rate=config.reveal_token_rate,
        site_rate=config.reveal_site_rate,
        base_difficulty=config.reveal_difficulty,
    )


async def _reveal_store(app: web.Application) -> AsyncIterator[None]:
    """The store of the limits and spent challenges, for the application's lifetime: in
    Redis when ``GLYPHVEIL_REDIS_URL`` is set, else in this process's memory."""
    config = app[CONFIG]
    limits = reveal_limits(config)
    if config.redis_url is None:
        app[REVEAL] = MemoryRevealStore(limits)
    else:
        from ..ops.redis_store import RedisRevealStore

        app[REVEAL] = RedisRevealStore(limits, config.redis_url)
    try:
        yield
    finally:
        await app[REVEAL].close()


def setup_reveal(app: web.Application) -> None:
    """Add the reveal routes and their state to ``app``; :class:`~server.errors.ConfigError`
    for a set-up that would not hold (:meth:`Config.check_reveal`)."""
    app[CONFIG].check_reveal()
    app[ORIGIN_LOG] = OriginLog()
    app.cleanup_ctx.append(_reveal_store)
    app.router.add_post("/reveal/challenge", challenge_view, name="reveal_challenge")
    app.router.add_post("/reveal", reveal_view, name="reveal")
    app.router.add_get("/reveal.js", script_view, name="reveal_script")
    app.router.add_get(r"/reveal.{version:[0-9a-f]{16}}.js", script_view, name="reveal_script_v")


def link_for(text: str) -> str | None:
    """A ``mailto:`` or ``tel:`` URL for a text that is an email address or a phone
    number, else None (the page shows plain text)."""
    text = text.strip()
    if _EMAIL.fullmatch(text):
        return "mailto:" + quote(text, safe="@.!$&'*+-=^_`{|}~")
    if _PHONE.fullmatch(text) and len(_DIGITS.findall(text)) >= 5:
        return "tel:" + ("+" if text.startswith("+") else "") + "".join(_DIGITS.findall(text))
    return None


def _origin_allowed(request: web.Request, origin: str, allowed: frozenset[str]) -> bool:
    if origin in allowed:
        return True
    # same-origin: the page's host and port are the Host the service was asked by.
    return SAME_ORIGIN in allowed and urlsplit(origin).netloc.lower() == request.host.lower()


def _cors(request: web.Request) -> dict[str, str]:
    """CORS headers for the page's script; a page origin not allowed gets the 404."""
    allowed = request.app[CONFIG].reveal_origins or frozenset()
    headers = {
        "Access-Control-Expose-Headers": "Retry-After",
        "Cache-Control": "no-store",
        "Vary": "Origin",
    }
    origin = request.headers.get("Origin")
    if origin is None:
        return headers  # not a browser page: the origin list cannot apply
    if not _origin_allowed(request, origin, allowed):
        request.app[ORIGIN_LOG].refused(origin)
        raise web.HTTPNotFound(headers=headers)
    headers["Access-Control-Allow-Origin"] = origin
    return headers


class _BodyRefused(Exception):
    """A body that took too long or is too large: answered, then the connection closed,
    so that the rest of it is never read (aiohttp would linger reading it)."""

    def __init__(self, response: web.Response) -> None:
        super().__init__(response.status)
        self.response = response


async def _body(request: web.Request, headers: dict[str, str]) -> bytes:
    """The whole request body: at most :data:`MAX_BODY` bytes, within :data:`BODY_SECONDS`."""
    if request.content_type not in _BODY_TYPES:
        raise web.HTTPUnsupportedMediaType(
            text="send application/x-www-form-urlencoded or application/json\n", headers=headers
        )
    length = request.content_length
    if length is not None and length > MAX_BODY:
        raise _too_large(headers)
    chunks: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout(BODY_SECONDS):
            while chunk := await request.content.read(MAX_BODY + 1 - size):
                chunks.append(chunk)
                size += len(chunk)
                if size > MAX_BODY:
                    raise _too_large(headers)
    except TimeoutError:
        text = f"the request body took over {BODY_SECONDS:g} s\n"
        raise _BodyRefused(web.Response(status=408, text=text, headers=headers)) from None
    return b"".join(chunks)


def _too_large(headers: dict[str, str]) -> _BodyRefused:
    text = f"the request body is over {MAX_BODY} bytes\n"
    return _BodyRefused(web.Response(status=413, text=text, headers=headers))


async def _fields(request: web.Request, headers: dict[str, str], *names: str) -> list[str]:
    """The named fields of a form-encoded or JSON body, or a 400 naming the first bad one."""
    body = await _body(request, headers)
    try:
        text = body.decode("utf-8")
        if request.content_type == "application/json":
            parsed = json.loads(text)
            if not isinstance(parsed, dict):
                raise ValueError
            form = dict(parsed)
            nonce = form.get("nonce")
            if isinstance(nonce, int) and not isinstance(nonce, bool):
                form["nonce"] = str(nonce)  # JSON may send the nonce as a number
        else:
            form = dict(parse_qsl(text, keep_blank_values=True, strict_parsing=bool(text)))
    except (ValueError, RecursionError):  # UnicodeDecodeError, JSONDecodeError, deep nesting
        raise RequestError("the request body is not a valid form or JSON object") from None
    values = []
    for name in names:
        value = form.get(name)
        if not isinstance(value, str) or not value or len(value) > _MAX_FIELD:
            raise RequestError(f"expected a field {name!r} of 1 to {_MAX_FIELD} characters")
        values.append(value)
    return values


def _revealable(token: str, keyring: KeyRing, headers: dict[str, str]) -> Payload:
    """The token's payload if it may be revealed, else the one 404 of a bad token."""
    try:
        payload = decode(token, keyring=keyring)
    except (InvalidToken, ExpiredToken):
        raise web.HTTPNotFound(headers=headers) from None
    if not payload.revealable:
        raise web.HTTPNotFound(headers=headers)
    return payload


def _too_many(wait: int, headers: dict[str, str]) -> web.Response:
    return web.Response(
        status=429,
        text=f"too many requests; retry after {wait} s\n",
        headers={**headers, "Retry-After": str(wait)},
    )


def _group(request: web.Request) -> str:
    """The client's group: its address, or its network for IPv6 (and IPv4 if set so)."""
    config = request.app[CONFIG]
    return client_group(
        request.remote or "",
        ipv6_prefix=config.client_ipv6_prefix,
        ipv4_prefix=config.client_ipv4_prefix,
    )


Handler = Callable[[web.Request, dict[str, str]], Awaitable[web.Response]]


def _store_guarded(handler: Handler) -> Callable[[web.Request], Awaitable[web.Response]]:
    """Check the page's origin, then run ``handler``; answer 503 with ``Retry-After``
    while the shared store does not answer, and close the connection after a 408 or 413."""

    async def view(request: web.Request) -> web.Response:
        headers = _cors(request)
        try:
            return await handler(request, headers)
        except RequestError as exc:  # a malformed body: a 400 the page can read
            response = error_response(400, str(exc))
            response.headers.update(headers)
            return response
        except _BodyRefused as refused:
            response = refused.response
            response.force_close()
            await response.prepare(request)
            await response.write_eof()
            request.protocol.force_close()  # sent; never read the rest of the body
            return response
        except StoreUnavailable:
            return web.Response(
                status=503,
                text=f"reveal is unavailable for a moment; retry after {STORE_RETRY_AFTER} s\n",
                headers={**headers, "Retry-After": str(STORE_RETRY_AFTER)},
            )

    view.__doc__ = handler.__doc__
    return view


async def _challenge(request: web.Request, headers: dict[str, str]) -> web.Response:
    """``POST /reveal/challenge``: a proof-of-work challenge for a revealable token."""
    store = request.app[REVEAL]
    group = _group(request)
    wait = await store.admit("challenge", group)  # before anything else: probing counts too
    if wait:
        return _too_many(wait, headers)
    (token,) = await _fields(request, headers, "token")
    keyring = _keyring(request.app)
    _revealable(token, keyring, headers)
    difficulty = await store.next_difficulty(group)
    challenge = issue(token, group, keyring.current, difficulty=difficulty)
    return web.json_response({"challenge": challenge, "difficulty": difficulty}, headers=headers)


async def _reveal(request: web.Request, headers: dict[str, str]) -> web.Response:
    """``POST /reveal``: the text of a revealable token, for a solved challenge."""
    store = request.app[REVEAL]
    group = _group(request)
    wait = await store.admit("reveal", group)
    if wait:
        return _too_many(wait, headers)
    token, challenge, nonce_text = await _fields(request, headers, "token", "challenge", "nonce")
    if not (nonce_text.isascii() and nonce_text.isdigit() and int(nonce_text) <= MAX_NONCE):
        raise RequestError("nonce must be a whole number from 0 to 2**64 - 1")
    keyring = _keyring(request.app)
    payload = _revealable(token, keyring, headers)
    try:
        solved = verify(challenge, int(nonce_text), token, group, keyring)
        outcome = await store.spend(solved, payload.seed, group)
    except InvalidChallenge:
        raise web.HTTPNotFound(headers=headers) from None
    except ChallengeLimit as exc:
        return _too_many(exc.retry_after, headers)
    if outcome == REPLAYED:
        raise web.HTTPNotFound(headers=headers)
    if outcome:
        return _too_many(outcome, headers)
    body = {"text": payload.text, "href": link_for(payload.text)}
    return web.json_response(body, headers=headers)  # Cache-Control: no-store from _cors


challenge_view = reads_own_body(_store_guarded(_challenge))
reveal_view = reads_own_body(_store_guarded(_reveal))


async def script_view(request: web.Request) -> web.Response:
    """``GET /reveal.js`` (cached a day) or ``/reveal.<version>.js`` (cached for good)."""
    version = request.match_info.get("version")
    if version is not None and version != SCRIPT_VERSION:
        raise web.HTTPNotFound()
    max_age = f"max-age={FOREVER}, immutable" if version else f"max-age={SCRIPT_MAX_AGE}"
    headers = {
        "ETag": _SCRIPT_ETAG,
        "Cache-Control": f"public, {max_age}",
        "Access-Control-Allow-Origin": "*",  # lets pages check it with integrity=
        "Cross-Origin-Resource-Policy": "cross-origin",
    }
    if etag_matches(request, _SCRIPT_ETAG):
        return web.Response(status=304, headers=headers)
    return web.Response(
        body=SCRIPT, headers={**headers, "Content-Type": "text/javascript; charset=utf-8"}
    )
