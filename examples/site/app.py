"""The example site: a team page (names, emails, phone numbers) and a price list.

Names are plain text; every email address, phone number and price reaches the browser
only as an image from the glyphveil service, minted while the template renders::

    {{ member.email | protect }}
    {{ protect(item.price, font="mono", noise="low", alt="price") }}
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp_jinja2
import jinja2
from aiohttp import web

from tokens import KeyRing
from tokens.jinja import install

__all__ = ["PRICES", "TEAM", "Member", "Price", "create_app", "plaintexts"]

HERE = Path(__file__).resolve().parent
IMAGE_ORIGIN = web.AppKey("image_origin", str)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class Member:
    name: str
    role: str
    email: str
    phone: str


@dataclass(frozen=True)
class Price:
    item: str
    detail: str
    price: str


TEAM = (
    Member("Amira Haddad", "Founder", "amira.haddad@example.com", "+44 20 7946 0958"),
    Member("Jonas Lindqvist", "Engineering", "jonas@lindqvist.example.org", "+46 8 123 456 78"),
    Member("Chiara Bellini", "Design", "chiara.bellini@example.it", "+39 06 6982 1234"),
    Member("Kwame Mensah", "Support", "support@example.com", "(555) 010-0199"),
)

PRICES = (
    Price("Starter", "one site, 10,000 images a month", "£9.00"),
    Price("Team", "five sites, 250,000 images a month", "£49.00"),
    Price("Business", "unlimited sites, 5 million images", "£1,299.00"),
    Price("Setup help", "an hour with an engineer", "€120"),
)


def plaintexts() -> list[str]:
    """Every value the site protects: none of them may appear in its HTML."""
    return [m.email for m in TEAM] + [m.phone for m in TEAM] + [p.price for p in PRICES]


@aiohttp_jinja2.template("team.html")
async def team_page(request: web.Request) -> dict[str, object]:
    return {"team": TEAM, "page": "team"}


@aiohttp_jinja2.template("prices.html")
async def prices_page(request: web.Request) -> dict[str, object]:
    return {"prices": PRICES, "page": "prices"}


def create_app(
    service_url: str, *, keyring: KeyRing | None = None, densities: tuple[int, ...] = (1, 2)
) -> web.Application:
    """The site, with images from the glyphveil service at ``service_url``.

    ``keyring`` defaults to the keys in the environment (or the development key), which
    the service must share; ``densities`` are the ones the service allows.
    """
    app = web.Application(middlewares=[security_headers])
    env = aiohttp_jinja2.setup(
        app, loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True
    )
    install(env, base_url=service_url, keyring=keyring, densities=densities)
    app[IMAGE_ORIGIN] = _origin(service_url)
    app.router.add_get("/", team_page, name="team")
    app.router.add_get("/prices", prices_page, name="prices")
    app.router.add_static("/static", HERE / "static", name="static")
    return app


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    """A strict CSP: no scripts at all, images from the site and the glyphveil service."""
    response = await handler(request)
    images = " ".join(filter(None, ["'self'", request.app[IMAGE_ORIGIN]]))
    response.headers["Content-Security-Policy"] = (
        f"default-src 'none'; img-src {images}; style-src 'self'; base-uri 'none'; "
        "form-action 'none'; frame-ancestors 'none'"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.netloc else ""
