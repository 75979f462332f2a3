"""The size a page reserves is the size it gets: several hundred texts (scripts, fonts,
sizes, padding, noise levels), minted with ``img_tag``, fetched from the service at
every density and decoded; each image is ``width`` x ``height`` times the density."""

from __future__ import annotations

import asyncio
import io
import random
from dataclasses import dataclass
from html.parser import HTMLParser

from aiohttp import web
from aiohttp.test_utils import TestClient
from PIL import Image

import tokens
from tests.fetching import fetch
from tokens.options import FONTS, Noise, RenderOptions
from tokens.sizes import text_box

#: Texts by script or kind; every one is drawn with every font at some size.
TEXTS: dict[str, list[str]] = {
    "email": [
        "jane.doe@example.com",
        "ops+alerts@mail.example.co.uk",
        "a@b.io",
        "Ünïcødé@ëxample.org",
    ],
    "phone": ["+44 20 7946 0958", "(555) 010-0100", "+1-202-555-0143 ext. 12", "030 123456"],
    "price": ["£1,299.00", "€ 12,50", "¥500", "$5/month", "12.99 USD", "₹ 1,00,000"],
    "latin": [
        "AVATAR To",
        "ff fi fl ffi",
        "Wolfgang Müller",
        "Ødegård",
        "ĳ ŀ ŉ ǆ",
        "WWWWWWWW",
        "iiiiiiii",
        "A",
    ],
    "greek": ["Ωμέγα Αλφα", "Ψυχή 2024"],
    "cyrillic": ["Привет, мир", "Ёжик Щука"],
    "hebrew": ["שלום 123", "תודה רבה"],
    "arabic": ["مرحبا بالعالم", "٣٤٥ شارع"],
    "nko": ["ߒߞߏ ߛߓߍߛߎ߲"],
    "devanagari": ["नमस्ते", "क्षत्रिय"],
    "cjk": ["日本語テキスト", "东京 03-1234-5678", "한국어 전화", "ｆｕｌｌｗｉｄｔｈ"],
    "emoji": ["😀 party 🎉", "☎ ✉ ✓", "👩‍💻 ❤️", "🇬🇧 flag"],
    "marks": ["e\u0301 n\u0303 a\u0308", "Z\u0335\u0321a\u0336lgo", "o\u0308\u0301"],
    "mixed": ["Hi مرحبا 你好", "Tel. ☎ +49 30 1234", "price: 9,99 € / 月"],
}
SIZES = [8, 9, 11, 13, 16, 17, 20, 23, 28, 32, 40, 48, 64, 96, 128]
PADDINGS = [0, 1, 3, 4, 8, 17, 64]
#: Keep each image under this many device px wide at 3x, so the run stays quick.
WIDEST = 3000


@dataclass(frozen=True)
class Case:
    text: str
    options: dict[str, object]


class ImgAttributes(HTMLParser):
    def __init__(self, markup: str) -> None:
        super().__init__()
        self.attrs: dict[str, str] = {}
        self.feed(markup)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.attrs = {name: value or "" for name, value in attrs}


def cases(count: int = 320) -> list[Case]:
    """``count`` texts with options, reproducible, covering every script, font, noise
    level and a spread of sizes and paddings."""
    rng = random.Random(2026)
    texts = [text for group in TEXTS.values() for text in group]
    found: list[Case] = []
    while len(found) < count:
        index = len(found)
        text = texts[index % len(texts)]
        font = FONTS[(index // len(texts)) % len(FONTS)]
        noise = list(Noise)[index % len(Noise)]
        padding = rng.choice(PADDINGS)
        background = "transparent" if index % 7 == 0 else "#ffffff"
        for size in rng.sample(SIZES, len(SIZES)):
            options = RenderOptions.build(
                font=font, size=size, noise=noise, padding=padding, background=background
            )
            if text_box(text, options).width * 3 <= WIDEST:
                break
        found.append(Case(text, options.to_dict()))
    return found


async def test_every_image_has_the_size_the_markup_promised(
    client: TestClient[web.Request, web.Application], keyring: tokens.KeyRing
) -> None:
    all_cases = cases()
    assert len({case.text for case in all_cases}) == sum(len(g) for g in TEXTS.values())
    assert {case.options["noise"] for case in all_cases} == {str(n) for n in Noise}
    assert {case.options["font"] for case in all_cases} == set(FONTS)
    assert len({case.options["size"] for case in all_cases}) >= 10
    limit = asyncio.Semaphore(8)
    checked: list[tuple[int, int, int]] = []

    async def check(case: Case) -> None:
        markup = tokens.img_tag(
            case.text,
            "",
            densities=(1, 2, 3),
            keyring=keyring,
            **case.options,  # type: ignore[arg-type]
        )
        attrs = ImgAttributes(markup).attrs
        width, height = int(attrs["width"]), int(attrs["height"])
        urls = {1: attrs["src"]}
        for candidate in attrs["srcset"].split(", "):
            url, density = candidate.split(" ")
            urls[int(density.removesuffix("x"))] = url
        assert sorted(urls) == [1, 2, 3], case
        for density, url in urls.items():
            async with limit:
                response, body = await fetch(client, url)
            assert response.status == 200, (case, density, body[:200])
            image = Image.open(io.BytesIO(body))
            image.load()
            assert image.format == "PNG"
            assert image.size == (width * density, height * density), (case, density)
            checked.append((density, *image.size))

    await asyncio.gather(*(check(case) for case in all_cases))
    assert len(checked) == 3 * len(all_cases) == 960


class PictureImages(HTMLParser):
    """Each <source> and <img> of a <picture>: (width, height, {density: url})."""

    def __init__(self, markup: str) -> None:
        super().__init__()
        self.images: list[tuple[int, int, dict[int, str]]] = []
        self.feed(markup)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ("source", "img"):
            return
        values = {name: value or "" for name, value in attrs}
        urls = {1: values["src"]} if "src" in values else {}
        for candidate in filter(None, values.get("srcset", "").split(", ")):
            url, density = candidate.split(" ")
            urls[int(density.removesuffix("x"))] = url
        self.images.append((int(values["width"]), int(values["height"]), urls))


async def test_every_source_of_a_picture_has_its_promised_size(
    client: TestClient[web.Request, web.Application], keyring: tokens.KeyRing
) -> None:
    """Two lines and dark colours: each <source> is drawn at the size it promises."""
    texts = [
        "alice.martin@example.org",
        "ops+alerts@mail.example.co.uk",
        "billing.department@example-co.com",
        "+1-202-555-0143 ext. 12",
        "Wolfgang Amadeus Müller",
        "東京 03-1234-5678 本社",
        "price: 9,99 € / 月",
    ]
    limit = asyncio.Semaphore(8)
    checked: list[int] = []

    async def check(text: str, noise: Noise, font: str) -> None:
        markup = tokens.img_tag(
            text, "", densities=(1, 2), keyring=keyring, dark=True, noise=noise, font=font, size=28
        )
        images = PictureImages(markup).images
        assert len(images) == 4, text  # narrow dark, narrow, dark, img
        for width, height, urls in images:
            for density, url in urls.items():
                async with limit:
                    response, body = await fetch(client, url)
                assert response.status == 200, (text, density, body[:200])
                image = Image.open(io.BytesIO(body))
                assert image.size == (width * density, height * density), (text, url)
                checked.append(density)

    await asyncio.gather(
        *(
            check(text, noise, FONTS[index % len(FONTS)])
            for index, text in enumerate(texts)
            for noise in Noise
        )
    )
    assert len(checked) == len(texts) * len(Noise) * 4 * 2
