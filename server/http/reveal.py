"""The reveal routes: a revealable token's text for a visitor who solves a proof of work.

``POST /reveal/challenge`` (``token``) answers a challenge bound to the token and the
client's address; ``POST /reveal`` (``token``, ``challenge``, ``nonce``) answers the text,
once per challenge. ``GET /reveal.js`` is the page script that does both. Off unless
``GLYPHVEIL_REVEAL=on``; see ``docs/tokens.md`` §9 and §10.

This is the one place the service sends plaintext: only for tokens minted revealable,
in a JSON body with ``Cache-Control: no-store``, never in a header or a log line. Every
token that may not be revealed (bad, expired, not revealable, or a page origin that is
not allowed) gets the same 404 as a bad token on ``/t/``. The rate limits key on the
client's address: the TCP peer, or ``X-Real-IP`` when the peer is one of
``GLYPHVEIL_TRUSTED_PROXIES``.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from urllib.parse import quote

from aiohttp import web

from tokens import ExpiredToken, InvalidToken, KeyRing, Payload, decode
from tokens.errors import ChallengeLimit, InvalidChallenge
from tokens.pow import MAX_NONCE, issue, verify

from ..errors import RequestError
from ..ops.rate_limit import RevealGuards
from ..state import CONFIG, KEYS, REVEAL
from .responses import FOREVER, etag_matches

__all__ = [
    "SCRIPT_PATH",
    "challenge_view",
    "link_for",
    "reveal_view",
    "script_view",
    "setup_reveal",
]

#: The page script, read once: served as ``/reveal.js`` and ``/reveal.<version>.js``.
SCRIPT = (Path(__file__).resolve().parent / "static" / "reveal.js").read_bytes()
#: The script's version: the first 16 hex digits of its SHA-256.
SCRIPT_VERSION = hashlib.sha256(SCRIPT).hexdigest()[:16]
#: The long-cached, versioned path of the script.
SCRIPT_PATH = f"/reveal.{SCRIPT_VERSION}.js"
_SCRIPT_ETAG = f'"{SCRIPT_VERSION}"'
#: How long browsers keep ``/reveal.js`` before asking again (a day).
SCRIPT_MAX_AGE = 86_400

_EMAIL = re.compile(r"[^\s@<>\"'()\[\],;:\\]+@[^\s@<>\"'()\[\],;:\\]+\.[^\s@<>\"'()\[\],;:\\.]+")
_PHONE = re.compile(r"\+?[0-9][0-9 ().\-/]{3,}[0-9]")
_DIGITS = re.compile(r"\d")
_MAX_FIELD = 512


def _keyring(app: web.Application) -> KeyRing:
    """The keys that open tokens and sign challenges, as in force now (they reload on SIGHUP)."""
    return app[KEYS].current


def setup_reveal(app: web.Application) -> None:
    """Add the reveal routes and their state to ``app``."""
    config = app[CONFIG]
    app[REVEAL] = RevealGuards.build(config.reveal_client_rate, config.reveal_token_rate)
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


def _cors(request: web.Request) -> dict[str, str]:
    """CORS headers for the page's script; a page origin not allowed gets the 404."""
    allowed = request.app[CONFIG].reveal_origins
    headers = {"Access-Control-Expose-Headers": "Retry-After", "Cache-Control": "no-store"}
    if allowed is None:
        headers["Access-Control-Allow-Origin"] = "*"
        return headers
    headers["Vary"] = "Origin"
    origin = request.headers.get("Origin")
    if origin is None:
        return headers  # not a browser page: the origin list cannot apply
    if origin not in allowed:
        raise web.HTTPNotFound(headers=headers)
    headers["Access-Control-Allow-Origin"] = origin
    return headers


async def _fields(request: web.Request, *names: str) -> list[str]:
    """The named fields of a form-encoded body, or a 400 naming the first bad one."""
    form = await request.post()
    values = []
    for name in names:
        value = form.get(name)
        if not isinstance(value, str) or not value or len(value) > _MAX_FIELD:
            raise RequestError(f"expected a form field {name!r} of 1 to {_MAX_FIELD} characters")
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


def _client(request: web.Request) -> str:
    return request.remote or ""


async def challenge_view(request: web.Request) -> web.Response:
    """``POST /reveal/challenge``: a proof-of-work challenge for a revealable token."""
    headers = _cors(request)
    guards = request.app[REVEAL]
    client = _client(request)
    wait = guards.clients.take(client)  # before anything else: probing counts too
    if wait:
        return _too_many(wait, headers)
    (token,) = await _fields(request, "token")
    keyring = _keyring(request.app)
    payload = _revealable(token, keyring, headers)
    wait = guards.values.take(payload.seed)
    if wait:
        return _too_many(wait, headers)
    difficulty = request.app[CONFIG].reveal_difficulty
    challenge = issue(token, client, keyring.current, difficulty=difficulty)
    return web.json_response({"challenge": challenge, "difficulty": difficulty}, headers=headers)


async def reveal_view(request: web.Request) -> web.Response:
    """``POST /reveal``: the text of a revealable token, for a solved challenge."""
    headers = _cors(request)
    token, challenge, nonce_text = await _fields(request, "token", "challenge", "nonce")
    if not (nonce_text.isascii() and nonce_text.isdigit() and int(nonce_text) <= MAX_NONCE):
        raise RequestError("nonce must be a whole number from 0 to 2**64 - 1")
    keyring = _keyring(request.app)
    payload = _revealable(token, keyring, headers)
    try:
        solved = verify(challenge, int(nonce_text), token, _client(request), keyring)
        request.app[REVEAL].spent.spend(solved)
    except InvalidChallenge as exc:
        return web.Response(status=403, text=f"{exc}\n", headers=headers)
    except ChallengeLimit as exc:
        return _too_many(exc.retry_after, headers)
    body = {"text": payload.text, "href": link_for(payload.text)}
    return web.json_response(body, headers=headers)  # Cache-Control: no-store from _cors


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
