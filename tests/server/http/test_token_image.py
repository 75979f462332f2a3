"""The token route over HTTP: ``/t/{token}[@2x].png|webp`` (server/views.py).

Every image a test receives is decoded with Pillow; the clean render it is compared
with comes from :func:`server.render.text.render_text`, the function the service draws with.
"""

from __future__ import annotations

import asyncio
import base64
import io
import time
from types import SimpleNamespace

import pytest
from aiohttp import ClientResponse
from PIL import Image
from yarl import URL

import server.http.token_image
import server.ops.verified
import tokens
import tokens.codec
from server import create_app
from server.render.text import render_text
from server.state import CACHE
from tests.fetching import fetch
from tokens.options import FONTS, Noise, RenderOptions

SECRET = "secret.person@example.org"
DENSITIES = (1, 2, 3)
NOISES = [str(level) for level in Noise]
FORMATS = {"png": ("image/png", "PNG"), "webp": ("image/webp", "WEBP")}
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


# --- helpers -----------------------------------------------------------------------------


def open_image(body: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(body))
    image.load()
    return image


def clean_render(keyring: tokens.KeyRing, token: str, density: int = 1) -> Image.Image:
    """What the service must draw for ``token``: the renderer run on the decoded payload."""
    payload = tokens.decode(token, keyring=keyring)
    return render_text(payload.text, payload.options, payload.seed, density, style=payload.style)


def visible(image: Image.Image) -> bytes:
    """RGBA pixels with the colour of fully transparent pixels zeroed.

    Lossless WebP does not keep the (invisible) colour under alpha 0.
    """
    rgba = image.convert("RGBA")
    clear = Image.new("RGBA", rgba.size, (0, 0, 0, 0))
    transparent = rgba.getchannel("A").point(lambda a: 255 if a == 0 else 0)
    return Image.composite(clear, rgba, transparent).tobytes()


def count_colour(image: Image.Image, rgba: tuple[int, int, int, int]) -> int:
    colours = image.convert("RGBA").getcolors(maxcolors=1 << 24)
    assert colours is not None
    return sum(count for count, colour in colours if colour == rgba)


def png_chunk_types(body: bytes) -> list[bytes]:
    assert body.startswith(PNG_SIGNATURE)
    pos, types = len(PNG_SIGNATURE), []
    while pos < len(body):
        length = int.from_bytes(body[pos : pos + 4], "big")
        types.append(body[pos + 4 : pos + 8])
        pos += 12 + length  # length, type, data, CRC
    assert pos == len(body), "chunks do not add up to the file"
    return types


def assert_one_line_error(response: ClientResponse, body: bytes, status: int) -> None:
    assert response.status == status
    assert response.content_type == "text/plain"
    text = body.decode("utf-8")
    assert text.endswith("\n") and text.count("\n") == 1 and text.strip()
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"


def forge(keyring: tokens.KeyRing, plain: bytes) -> str:
    """An authentic token (right key, valid SIV) around an arbitrary plaintext."""
    key = keyring.current
    header = bytes([tokens.codec.VERSION]) + key.key_id
    sealed = header + key.cipher.encrypt(plain, [header])
    return base64.urlsafe_b64encode(sealed).rstrip(b"=").decode("ascii")


def flip(token: str, index: int) -> str:
    """``token`` with one base64 character changed."""
    char = token[index]
    return token[:index] + ("B" if char == "A" else "A") + token[index + 1 :]


def without_date(response: ClientResponse) -> list[tuple[str, str]]:
    return [(name, value) for name, value in response.headers.items() if name != "Date"]


# --- formats, densities and methods ----------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("suffix", ["", "@1x", "@2x", "@3x"])
async def test_get_serves_the_image(client, mint, fmt: str, suffix: str) -> None:
    response, body = await fetch(client, f"/t/{mint(SECRET)}{suffix}.{fmt}")
    assert response.status == 200
    content_type, pillow_format = FORMATS[fmt]
    assert response.headers["Content-Type"] == content_type
    image = open_image(body)
    assert image.format == pillow_format
    assert image.width > 0 and image.height > 0


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("suffix", ["", "@2x", "@3x"])
async def test_head_has_the_headers_of_get_and_no_body(client, mint, fmt: str, suffix: str) -> None:
    path = f"/t/{mint(SECRET)}{suffix}.{fmt}"
    head, head_body = await fetch(client, path, "HEAD")
    get, get_body = await fetch(client, path)
    assert head.status == get.status == 200
    assert head_body == b""
    assert int(head.headers["Content-Length"]) == len(get_body) > 0
    for name in ("Content-Type", "ETag", "Cache-Control", "X-Content-Type-Options"):
        assert head.headers[name] == get.headers[name]


async def test_png_is_a_four_bit_palette(client, mint) -> None:
    response, body = await fetch(client, f"/t/{mint(SECRET)}.png")
    assert response.status == 200
    image = open_image(body)
    assert image.mode == "P"
    # IHDR: width, height, then bit depth and colour type (3 = indexed).
    assert body[12:16] == b"IHDR"
    assert (body[24], body[25]) == (4, 3)
    assert len(image.getpalette() or []) // 3 <= 16


@pytest.mark.parametrize("noise", NOISES)
@pytest.mark.parametrize("fmt", FORMATS)
async def test_density_multiplies_the_size(aiohttp_client, config, noise: str, fmt: str) -> None:
    # A fixed key, so the noise (which scales glyphs at random) is the same on every run.
    keyring = tokens.KeyRing(["A" * 43])
    client = await aiohttp_client(create_app(config, keyring))
    token = tokens.encode(SECRET, keyring=keyring, noise=noise)
    sizes = {}
    for density in DENSITIES:
        suffix = "" if density == 1 else f"@{density}x"
        response, body = await fetch(client, f"/t/{token}{suffix}.{fmt}")
        assert response.status == 200
        sizes[density] = open_image(body).size
    width, height = sizes[1]
    for density in (2, 3):
        # A few px: glyph advances are whole pixels at every size.
        assert abs(sizes[density][0] - density * width) <= 4 * (density - 1)
        assert abs(sizes[density][1] - density * height) <= 4 * (density - 1)


@pytest.mark.parametrize(
    ("text", "font"),
    [("x" * 100, "sans"), ("ops-team@example.com, +44 20 7946 0958", "mono")],
    ids=["repeated-x-sans", "contact-mono"],
)
async def test_density_multiplies_the_size_of_long_text(client, mint, text: str, font: str) -> None:
    token = mint(text, noise="none", font=font)
    one, one_body = await fetch(client, f"/t/{token}.png")
    two, two_body = await fetch(client, f"/t/{token}@2x.png")
    assert one.status == two.status == 200
    assert abs(open_image(two_body).width - 2 * open_image(one_body).width) <= 4


async def test_at_1x_is_the_plain_url(client, mint) -> None:
    token = mint(SECRET)
    plain, plain_body = await fetch(client, f"/t/{token}.png")
    one, one_body = await fetch(client, f"/t/{token}@1x.png")
    assert plain.status == one.status == 200
    assert plain_body == one_body
    assert plain.headers["ETag"] == one.headers["ETag"]


@pytest.mark.parametrize(
    "density",
    ["@4x", "@0x", "@2.5x", "@x", "@9x", "@10x", "@22x", "@-1x", "@2", "@xx", "@", "@@2x"],
)
@pytest.mark.parametrize("method", ["GET", "HEAD"])
async def test_bad_density_is_400(client, mint, density: str, method: str) -> None:
    response, body = await fetch(client, f"/t/{mint(SECRET)}{density}.png", method)
    assert response.status == 400
    if method == "GET":
        assert_one_line_error(response, body, 400)
    else:
        assert body == b""


@pytest.mark.parametrize("ending", [".gif", ".jpg", ".jpeg", ".svg", "", ".", "@2x", "@2x.gif"])
async def test_bad_format_is_400(client, mint, ending: str) -> None:
    response, body = await fetch(client, f"/t/{mint(SECRET)}{ending}")
    assert_one_line_error(response, body, 400)


async def test_unknown_query_parameters_are_ignored(client, mint) -> None:
    token = mint(SECRET)
    _, plain = await fetch(client, f"/t/{token}@2x.png")
    response, body = await fetch(client, f"/t/{token}@2x.png?v=3&text=other&size=99&noise=none")
    assert response.status == 200
    assert body == plain


# --- what is drawn ---------------------------------------------------------------------------


@pytest.mark.parametrize("density", DENSITIES)
@pytest.mark.parametrize("font", FONTS)
async def test_noise_none_is_the_clean_render(
    client, mint, keyring, font: str, density: int
) -> None:
    token = mint(SECRET, noise="none", font=font)
    expected = clean_render(keyring, token, density)
    for fmt in FORMATS:
        response, body = await fetch(client, f"/t/{token}@{density}x.{fmt}")
        assert response.status == 200
        image = open_image(body)
        assert image.size == expected.size
        assert visible(image) == visible(expected)


async def test_fonts_look_different(client, mint) -> None:
    bodies = set()
    for font in FONTS:
        response, body = await fetch(client, f"/t/{mint(SECRET, noise='none', font=font)}.png")
        assert response.status == 200
        bodies.add(visible(open_image(body)))
    assert len(bodies) == len(FONTS)


@pytest.mark.parametrize("noise", NOISES)
@pytest.mark.parametrize("font", FONTS)
async def test_every_font_and_noise_level_renders(
    client, mint, keyring, font: str, noise: str
) -> None:
    token = mint(SECRET, font=font, noise=noise, color="#112233", background="#ffffff")
    response, body = await fetch(client, f"/t/{token}.png")
    assert response.status == 200
    image = open_image(body)
    assert image.mode == "P"
    # Exactly what the renderer draws for this token, noise and all.
    assert visible(image) == visible(clean_render(keyring, token))
    # Full-coverage text pixels and untouched background.
    assert count_colour(image, (0x11, 0x22, 0x33, 255)) > 20
    assert count_colour(image, (0xFF, 0xFF, 0xFF, 255)) > image.width * image.height // 3


@pytest.mark.parametrize("noise", ["low", "medium", "high"])
@pytest.mark.parametrize("fmt", FORMATS)
async def test_noise_changes_the_picture(client, mint, keyring, noise: str, fmt: str) -> None:
    noisy = mint(SECRET, noise=noise)
    clean = clean_render(keyring, mint(SECRET, noise="none"))
    response, body = await fetch(client, f"/t/{noisy}.{fmt}")
    assert response.status == 200
    image = open_image(body)
    assert image.size != clean.size or visible(image) != visible(clean)
    assert count_colour(image, (0x22, 0x22, 0x22, 255)) > 20  # the default text colour


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("noise", ["none", "high"])
async def test_transparent_background(client, mint, fmt: str, noise: str) -> None:
    token = mint(SECRET, background="transparent", color="#0a4", noise=noise)
    response, body = await fetch(client, f"/t/{token}@2x.{fmt}")
    assert response.status == 200
    image = open_image(body).convert("RGBA")
    alpha = image.getchannel("A")
    assert alpha.getextrema() == (0, 255)
    if noise == "none":
        for corner in [(0, 0), (image.width - 1, 0), (0, image.height - 1)]:
            assert alpha.getpixel(corner) == 0
    assert count_colour(image, (0x00, 0xAA, 0x44, 255)) > 20


@pytest.mark.parametrize("fmt", FORMATS)
async def test_token_colours_are_drawn(client, mint, fmt: str) -> None:
    token = mint(SECRET, color="#102a70", background="#fff3c4", noise="none")
    response, body = await fetch(client, f"/t/{token}.{fmt}")
    assert response.status == 200
    image = open_image(body).convert("RGBA")
    for corner in [(0, 0), (image.width - 1, image.height - 1)]:
        assert image.getpixel(corner) == (0xFF, 0xF3, 0xC4, 255)
    assert count_colour(image, (0x10, 0x2A, 0x70, 255)) > 20
    assert image.getchannel("A").getextrema() == (255, 255)


@pytest.mark.parametrize("text", ["\u2060", "\u200b", "\u0301"])
@pytest.mark.parametrize("fmt", FORMATS)
async def test_text_without_glyphs_is_not_a_server_error(client, mint, text: str, fmt: str) -> None:
    response, body = await fetch(client, f"/t/{mint(text, noise='none', padding=0)}.{fmt}")
    assert response.status < 500
    if response.status == 200:
        assert open_image(body).width > 0


async def test_very_wide_webp_is_not_a_server_error(client, mint) -> None:
    response, _ = await fetch(client, f"/t/{mint('W' * 200, noise='none', size=48)}@3x.webp")
    assert response.status < 500


async def test_long_text_renders(client, mint) -> None:
    text = "Ünïcödé ✓ 日本語 " * 9  # well under the 256-byte limit, with fallback fonts
    response, body = await fetch(client, f"/t/{mint(text.strip())}@2x.png")
    assert response.status == 200
    image = open_image(body)
    assert image.width > 10 * image.height


# --- determinism -----------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".png", "@2x.webp"])
async def test_same_token_same_bytes(client, mint, suffix: str) -> None:
    path = f"/t/{mint(SECRET)}{suffix}"
    first, first_body = await fetch(client, path)
    second, second_body = await fetch(client, path)
    assert first.status == second.status == 200
    assert first_body == second_body
    assert first.headers["ETag"] == second.headers["ETag"]


async def test_expiry_does_not_change_the_image(client, mint) -> None:
    made = [mint(SECRET, noise="high"), mint(SECRET, noise="high", ttl=3600)]
    made.append(mint(SECRET, noise="high", ttl=86_400))
    assert len(set(made)) == 3
    answers = [await fetch(client, f"/t/{token}@2x.png") for token in made]
    assert {response.status for response, _ in answers} == {200}
    assert len({body for _, body in answers}) == 1
    assert len({response.headers["ETag"] for response, _ in answers}) == 1


async def test_different_text_different_image(client, mint) -> None:
    _, one = await fetch(client, f"/t/{mint('alice@example.org')}.png")
    _, other = await fetch(client, f"/t/{mint('alicf@example.org')}.png")
    assert one != other


# --- bad tokens ------------------------------------------------------------------------------


def bad_tokens(keyring: tokens.KeyRing, token: str) -> dict[str, str]:
    """Every kind of token that must be answered exactly like a path that does not exist."""
    other = tokens.encode(SECRET, keyring=tokens.KeyRing([tokens.generate_key()]))
    pad = b"\0" * 31
    return {
        "tampered middle": flip(token, len(token) // 2),
        "tampered version": flip(token, 0),
        "tampered key id": flip(token, 2),
        "tampered last": flip(token, len(token) - 1),
        "truncated": token[:-4],
        "truncated a lot": token[:20],
        "extended": token + "AAAA",
        "padded": token + "=",
        "other key": other,
        "garbage": "not-a-token",
        "garbage base64": base64.urlsafe_b64encode(bytes(range(80))).decode().rstrip("="),
        "empty": "",
        "one char": "A",
        "four chars": "AAAA",
        "very long": "A" * 5000,
        "non-ascii": "tökén",
        # Authentic (right key and MAC) but not a well-formed payload.
        "forged bad padding": forge(keyring, b"\x00\x00a" + b"\x01" * 31),
        "forged bad utf-8": forge(keyring, b"\x00\x00\xff" + pad),
        "forged font index": forge(keyring, b"\x01\x63\x00a" + pad),
        "forged size 0": forge(keyring, b"\x02\x00\x00a" + pad),
        "forged noise 9": forge(keyring, b"\x20\x09\x00a" + pad),
        "forged low contrast": forge(keyring, b"\x04\xff\xff\xff\x00a" + pad),
        "forged two backgrounds": forge(keyring, b"\x18\x00\x00\x00\x00a" + pad),
        "forged short": forge(keyring, b"\x00\x00a" + b"\0" * 40),
    }


async def test_bad_tokens_are_answered_like_a_missing_path(client, mint, keyring) -> None:
    token = mint(SECRET)
    missing, missing_body = await fetch(client, "/nope")
    assert missing.status == 404
    reference = (missing.status, missing_body, without_date(missing))
    for name, bad in bad_tokens(keyring, token).items():
        for suffix in (".png", "@2x.png", ".webp", "@3x.webp"):
            response, body = await fetch(client, f"/t/{bad}{suffix}")
            assert (response.status, body, without_date(response)) == reference, (name, suffix)


async def test_bad_tokens_head_like_a_missing_path(client, mint, keyring) -> None:
    missing, _ = await fetch(client, "/nope", "HEAD")
    reference = (missing.status, without_date(missing))
    for name, bad in bad_tokens(keyring, mint(SECRET)).items():
        response, body = await fetch(client, f"/t/{bad}.png", "HEAD")
        assert (response.status, without_date(response)) == reference, name
        assert body == b""


def expired_token(keyring: tokens.KeyRing, text: str = SECRET) -> str:
    options = RenderOptions.build(noise="none")
    return tokens.codec.seal(text, keyring, options, ttl=1, now=time.time() - 100)


@pytest.mark.parametrize("suffix", [".png", "@2x.png", ".webp", "@3x.webp"])
async def test_expired_token_is_410(client, keyring, suffix: str) -> None:
    response, body = await fetch(client, f"/t/{expired_token(keyring)}{suffix}")
    assert_one_line_error(response, body, 410)


async def test_expired_token_head_is_410(client, keyring) -> None:
    response, body = await fetch(client, f"/t/{expired_token(keyring)}.png", "HEAD")
    assert response.status == 410
    assert body == b""


async def test_expired_token_with_bad_density_is_400(client, keyring) -> None:
    response, body = await fetch(client, f"/t/{expired_token(keyring)}@4x.png")
    assert_one_line_error(response, body, 400)


async def test_token_expires_even_when_its_image_is_cached(
    client, mint, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = mint(SECRET, ttl=60)
    first, _ = await fetch(client, f"/t/{token}.png")
    assert first.status == 200
    assert len(client.server.app[CACHE]) == 1
    later = time.time() + 120
    clock = SimpleNamespace(time=lambda: later)
    monkeypatch.setattr(tokens.codec, "time", clock)
    monkeypatch.setattr(server.http.token_image, "time", clock)
    monkeypatch.setattr(server.ops.verified, "time", clock)  # the memo of verified tokens
    response, body = await fetch(client, f"/t/{token}.png")
    assert_one_line_error(response, body, 410)
    etag = first.headers["ETag"]
    response, body = await fetch(client, f"/t/{token}.png", headers={"If-None-Match": etag})
    assert_one_line_error(response, body, 410)


# --- no plaintext anywhere -------------------------------------------------------------------


def needles(text: str) -> list[bytes]:
    forms = {text, text.lower(), text.upper()}
    out = []
    for form in forms:
        out += [form.encode("utf-8"), form.encode("utf-16-le"), form.encode("utf-16-be")]
    return out


def assert_no_plaintext(response: ClientResponse, body: bytes, text: str) -> None:
    headers = b"\n".join(name + b": " + value for name, value in response.raw_headers)
    etag = response.headers.get("ETag", "").encode()
    where = (response.status, response.url.path[:40])
    for needle in needles(text):
        assert needle not in body, where
        assert needle not in headers, where
        assert needle not in etag, where


@pytest.mark.parametrize("noise", NOISES)
async def test_plaintext_never_leaves_the_server(client, mint, keyring, noise: str) -> None:
    text = "Secret.Person@Example.org"
    token = mint(text, noise=noise)
    other_key = tokens.encode(text, keyring=tokens.KeyRing([tokens.generate_key()]))
    answers: list[tuple[ClientResponse, bytes]] = []
    statuses = set()
    for suffix in (".png", "@2x.png", "@3x.png", ".webp", "@2x.webp", "@3x.webp"):
        response, body = await fetch(client, f"/t/{token}{suffix}")
        answers.append((response, body))
        answers.append(await fetch(client, f"/t/{token}{suffix}", "HEAD"))
        etag = response.headers["ETag"]
        answers.append(await fetch(client, f"/t/{token}{suffix}", headers={"If-None-Match": etag}))
        answers.append(await fetch(client, f"/t/{flip(token, 30)}{suffix}"))
        answers.append(await fetch(client, f"/t/{other_key}{suffix}"))
        answers.append(await fetch(client, f"/t/{expired_token(keyring, text)}{suffix}"))
    answers.append(await fetch(client, f"/t/{token}@4x.png"))
    answers.append(await fetch(client, f"/t/{token}.gif"))
    for response, body in answers:
        statuses.add(response.status)
        assert_no_plaintext(response, body, text)
    assert statuses == {200, 304, 400, 404, 410}


@pytest.mark.parametrize("noise", NOISES)
@pytest.mark.parametrize("background", ["#ffffff", "transparent"])
async def test_png_has_no_metadata_chunks(client, mint, noise: str, background: str) -> None:
    response, body = await fetch(
        client, f"/t/{mint(SECRET, noise=noise, background=background)}.png"
    )
    assert response.status == 200
    types = png_chunk_types(body)
    assert types[0] == b"IHDR" and types[-1] == b"IEND"
    assert set(types) <= {b"IHDR", b"PLTE", b"tRNS", b"IDAT", b"IEND"}
    for forbidden in (b"tEXt", b"iTXt", b"zTXt", b"eXIf", b"tIME"):
        assert forbidden not in types


@pytest.mark.parametrize("background", ["#ffffff", "transparent"])
async def test_webp_has_no_metadata_chunks(client, mint, background: str) -> None:
    response, body = await fetch(client, f"/t/{mint(SECRET, background=background)}@2x.webp")
    assert response.status == 200
    assert body[:4] == b"RIFF" and body[8:12] == b"WEBP"
    assert int.from_bytes(body[4:8], "little") == len(body) - 8
    pos, chunks = 12, []
    while pos < len(body):
        size = int.from_bytes(body[pos + 4 : pos + 8], "little")
        chunks.append(body[pos : pos + 4])
        pos += 8 + size + (size & 1)
    assert pos == len(body)
    assert b"EXIF" not in chunks and b"XMP " not in chunks
    assert set(chunks) <= {b"VP8L", b"VP8 ", b"VP8X", b"ALPH"}


# --- the render cache ------------------------------------------------------------------------


async def test_second_request_is_a_cache_hit(client, mint, scrape) -> None:
    cache = client.server.app[CACHE]
    token = mint(SECRET)
    before = await scrape(client)
    await fetch(client, f"/t/{token}.png")
    assert len(cache) == 1
    middle = await scrape(client)
    response, _ = await fetch(client, f"/t/{token}.png")
    assert response.status == 200
    assert len(cache) == 1
    after = await scrape(client)
    name = "glyphveil_cache_total"
    assert middle.value(name, result="miss") == before.value(name, result="miss") + 1
    assert after.value(name, result="miss") == middle.value(name, result="miss")
    assert after.value(name, result="hit") == middle.value(name, result="hit") + 1


async def test_each_density_and_format_is_its_own_entry(client, mint) -> None:
    cache = client.server.app[CACHE]
    token = mint(SECRET)
    bodies = set()
    for suffix in (".png", "@2x.png", ".webp", "@2x.webp", "@1x.png"):
        response, body = await fetch(client, f"/t/{token}{suffix}")
        assert response.status == 200
        bodies.add(body)
    assert len(cache) == len(bodies) == 4


async def test_concurrent_requests_render_once(client, mint, scrape) -> None:
    token = mint(SECRET, noise="high", size=40)
    before = await scrape(client)
    answers = await asyncio.wait_for(
        asyncio.gather(*(fetch(client, f"/t/{token}@3x.png") for _ in range(20))), timeout=60
    )
    after = await scrape(client)
    assert {response.status for response, _ in answers} == {200}
    assert len({body for _, body in answers}) == 1

    def delta(name: str, **labels: str) -> float:
        return after.since(before, name, **labels)

    assert delta("glyphveil_cache_total", result="miss") == 1
    shared = delta("glyphveil_cache_total", result="hit")
    shared += delta("glyphveil_cache_total", result="coalesced")
    assert shared == 19
    assert delta("glyphveil_render_seconds_count", kind="token") == 1
    assert delta("glyphveil_requests_total", route="token", status="200") == 20


async def test_requests_for_different_tokens_do_not_share_images(client, mint) -> None:
    made = [mint(f"user{i}@example.org", noise="low") for i in range(6)]
    answers = await asyncio.wait_for(
        asyncio.gather(*(fetch(client, f"/t/{token}.png") for token in made)), timeout=60
    )
    assert {response.status for response, _ in answers} == {200}
    assert len({body for _, body in answers}) == len(made)


async def test_works_without_a_cache(aiohttp_client, config, mint, scrape) -> None:
    client = await aiohttp_client(create_app(config.with_values(cache_mb=0)))
    token = mint(SECRET)
    before = await scrape(client)
    first = await fetch(client, f"/t/{token}.png")
    second = await fetch(client, f"/t/{token}.png")
    after = await scrape(client)
    assert first[0].status == second[0].status == 200
    assert first[1] == second[1]
    assert len(client.server.app[CACHE]) == 0
    name = "glyphveil_cache_total"
    assert after.value(name, result="miss") - before.value(name, result="miss") == 2


@pytest.mark.parametrize("name", ["..%2fx.png", "..%2F..%2Fetc.png", "a.b.png", "%00.png", ".png"])
async def test_a_malformed_token_part_is_the_bad_token_404(client, name: str) -> None:
    missing, missing_body = await fetch(client, "/nope")
    response, body = await fetch(client, URL(f"/t/{name}", encoded=True))
    assert (response.status, body, without_date(response)) == (
        missing.status,
        missing_body,
        without_date(missing),
    )


async def test_a_token_is_decoded_once_per_render(
    client, mint, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first request draws from the payload its verification decoded; a later render
    (another density) of a remembered token decodes once, on its render thread."""
    from server.http import token_image
    from server.ops import verified

    calls: list[str] = []

    def counting(module: object) -> None:
        plain = module.decode  # type: ignore[attr-defined]

        def decode(token: str, **kwargs: object) -> tokens.Payload:
            calls.append(module.__name__)  # type: ignore[attr-defined]
            return plain(token, **kwargs)  # type: ignore[no-any-return]

        monkeypatch.setattr(module, "decode", decode)

    counting(token_image)
    counting(verified)
    token = mint(SECRET)
    first, _ = await fetch(client, f"/t/{token}.png")
    assert first.status == 200
    assert calls == ["server.ops.verified"]
    again, _ = await fetch(client, f"/t/{token}.png")  # a cache hit: no decode at all
    assert again.status == 200 and calls == ["server.ops.verified"]
    other, _ = await fetch(client, f"/t/{token}@2x.png")
    assert other.status == 200
    assert calls == ["server.ops.verified", "server.http.token_image"]


# --- a token sealed with a key the service does not hold: say so, once a minute per id ---------


async def test_a_token_under_an_unknown_key_is_the_bad_token_404_and_names_the_key_id(
    client, keyring: tokens.KeyRing, caplog: pytest.LogCaptureFixture, monkeypatch
) -> None:
    from server.http.token_image import UnknownKeyLog

    monkeypatch.setattr(server.http.token_image, "UNKNOWN_KEYS", UnknownKeyLog())
    other = tokens.KeyRing([tokens.generate_key()])
    while other.current.key_id in keyring.by_id:  # pragma: no cover: 1 in 65536
        other = tokens.KeyRing([tokens.generate_key()])
    token = tokens.encode(SECRET, keyring=other)
    missing, missing_body = await fetch(client, "/nope")
    caplog.set_level("INFO", logger="glyphveil")
    for path in (f"/t/{token}.png", f"/t/{token}@2x.png", f"/t/{token}.webp"):
        response, body = await fetch(client, path)
        assert (response.status, body, without_date(response)) == (
            missing.status,
            missing_body,
            without_date(missing),
        )
    lines = [r.getMessage() for r in caplog.records if "key id" in r.getMessage()]
    held = keyring.current.key_id.hex()
    assert lines == [
        f"token sealed with key id {other.current.key_id.hex()}, which this service does not "
        f"hold (it holds {held}): do the website and the service use the same GLYPHVEIL_KEYS?"
    ]
    assert token not in caplog.text and SECRET not in caplog.text
    # A forged token under a key id the service holds is only "invalid": no key id line.
    caplog.clear()
    forged = token[:1] + base64.urlsafe_b64encode(b"\x01" + keyring.current.key_id).decode()[1:4]
    response, _ = await fetch(client, f"/t/{forged}{token[4:]}.png")
    assert response.status == 404
    assert "key id" not in caplog.text and "token rejected: invalid" in caplog.text


def test_unknown_key_log_is_once_a_minute_per_id_and_bounded(
    keyring: tokens.KeyRing, caplog: pytest.LogCaptureFixture
) -> None:
    from server.http.token_image import UnknownKeyLog

    now = [1000.0]
    unknown = UnknownKeyLog(per_minute=3, clock=lambda: now[0])

    def token_for(key_id: int) -> str:
        header = b"\x01" + key_id.to_bytes(2, "big")
        return base64.urlsafe_b64encode(header).decode() + "A" * 68

    held = int.from_bytes(keyring.current.key_id, "big")
    ids = [i for i in range(10) if i != held]
    assert unknown.report(token_for(ids[0]), keyring)
    assert not unknown.report(token_for(ids[0]), keyring)  # the same id within the minute
    assert unknown.report(token_for(ids[1]), keyring)
    assert unknown.report(token_for(ids[2]), keyring)
    assert not unknown.report(token_for(ids[3]), keyring)  # 3 lines a minute at most
    assert not unknown.report(token_for(held), keyring)  # a key it holds: not this line
    assert not unknown.report("not a token", keyring)
    assert not unknown.report(base64.urlsafe_b64encode(b"\x02\x00\x01").decode() + "A", keyring)
    now[0] += 60
    assert unknown.report(token_for(ids[0]), keyring)
    assert unknown.report(token_for(ids[3]), keyring)
    assert len([r for r in caplog.records if "key id" in r.getMessage()]) == 5
