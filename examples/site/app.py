"""The example site: a small company's team page (names, emails, phone numbers) and its
price list, each with a sentence that holds an address or a price.

Names are plain text; every email address, phone number and price reaches the browser
only as an image from the glyphveil service, minted while the template renders::

    {{ member.email | protect }}
    {{ protect(plan.price, font="mono", size=20, noise="low", alt="price") }}
    Write to {{ protect(contact, compact=True) }} today.

The helpers are installed with ``dark=True``: a visitor whose system prefers a dark
scheme gets light-on-dark images (the site's stylesheet has a dark scheme too), and a
phone gets long addresses on two lines (the helpers' ``narrow`` source).
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

__all__ = ["BILLING", "CONTACT", "PRICES", "TEAM", "Member", "Price", "create_app", "plaintexts"]

HERE = Path(__file__).resolve().parent
IMAGE_ORIGIN = web.AppKey("image_origin", str)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class Member:
    name: str
    role: str
    bio: str
    email: str
    phone: str

    @property
    def initials(self) -> str:
        return "".join(part[0] for part in self.name.split()[:2])


@dataclass(frozen=True)
class Price:
    item: str
    detail: str
    price: str
    features: tuple[str, ...] = ()


TEAM = (
    Member(
        "Amira Haddad",
        "Founder and managing director",
        "Started the studio in 2014 after a decade of building shop fronts.",
        "amira.haddad@northwind.example",
        "+44 20 7946 0958",
    ),
    Member(
        "Jonas Lindqvist",
        "Head of engineering",
        "Keeps the build green and the pages fast.",
        "jonas.lindqvist@northwind.example",
        "+46 8 123 456 78",
    ),
    Member(
        "Chiara Bellini",
        "Design lead",
        "Type, colour and everything you see first.",
        "chiara.bellini@northwind.example",
        "+39 06 6982 1234",
    ),
    Member(
        "Kwame Mensah",
        "Customer support",
        "Answers every ticket within a working day.",
        "support@northwind.example",
        "(555) 010-0199",
    ),
)

PRICES = (
    Price("Starter", "For a single site", "£9.00", ("1 site", "10,000 images a month")),
    Price("Team", "For a growing agency", "£49.00", ("5 sites", "250,000 images a month")),
    Price(
        "Business",
        "For large catalogues",
        "£1,299.00",
        ("Unlimited sites", "5 million images a month", "A named engineer"),
    ),
)
#: The address in the team page's introduction, drawn inside the sentence.
CONTACT = "hello@northwind.example"
#: The price and address in the price list's closing sentence.
SETUP = "€120"
BILLING = "billing@northwind.example"


def plaintexts() -> list[str]:
    """Every value the site protects: none of them may appear in its HTML."""
    return [
        *(m.email for m in TEAM),
        *(m.phone for m in TEAM),
        *(p.price for p in PRICES),
        CONTACT,
        SETUP,
        BILLING,
    ]


@aiohttp_jinja2.template("team.html")
async def team_page(request: web.Request) -> dict[str, object]:
    return {"team": TEAM, "contact": CONTACT, "page": "team"}


@aiohttp_jinja2.template("prices.html")
async def prices_page(request: web.Request) -> dict[str, object]:
    return {"prices": PRICES, "setup": SETUP, "billing": BILLING, "page": "prices"}


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
    install(env, base_url=service_url, keyring=keyring, densities=densities, dark=True)
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
