"""The JavaScript and PHP helpers: their own suites pass, they mint byte for byte what the
Python helper mints, and the service draws what they mint.

Both suites read docs/vectors.json; here each helper also mints a few hundred random
items (texts from many scripts, options in every spelling, expiries with a fixed
fractional clock, revealable tokens, and inputs that must be refused) through its batch script
(``clients/js/bin/mint.js``, ``clients/php/bin/glyphveil-mint``).
"""

from __future__ import annotations

import io
import json
import random
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

import tokens
from server import Config, create_app
from tests.fetching import fetch
from tokens.colors import CSS_COLORS
from tokens.text import first_refused

ROOT = Path(__file__).resolve().parent.parent
JS = ROOT / "clients" / "js"
PHP = ROOT / "clients" / "php"
KEY = "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8"
#: A fixed clock in 2096, so that tokens with an expiry are still valid when drawn.
NOW = 3_990_000_000.25


def _tool(name: str) -> str:
    path = shutil.which(name)
    assert path, f"{name} is not installed (see .ci/apt-packages.txt)"
    return path


def run(args: list[str], cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, cwd=cwd, input=stdin, capture_output=True, text=True, timeout=120, check=False
    )


# --- the clients' own suites ------------------------------------------------------------------


def test_the_javascript_suite_passes() -> None:
    result = run([_tool("node"), "--test"], JS)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    counts = dict(
        line[2:].split(" ", 1) for line in result.stdout.splitlines() if line.startswith("# ")
    )
    assert int(counts["pass"]) >= 90 and counts["fail"] == "0", counts


def test_the_php_suite_passes() -> None:
    result = run([_tool("phpunit")], PHP)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    summary = result.stdout.strip().splitlines()[-1]
    assert summary.startswith("OK (") and int(summary[4:].split()[0]) >= 100, summary


def test_the_colour_names_are_the_same_in_every_helper() -> None:
    script = "import('./src/css-colors.js').then(m => console.log(JSON.stringify(m.CSS_COLORS)))"
    in_js = json.loads(run([_tool("node"), "-e", script], JS).stdout)
    php_script = "require 'autoload.php'; echo json_encode(Glyphveil\\CssColors::NAMES);"
    in_php = json.loads(run([_tool("php"), "-r", php_script], PHP).stdout)
    assert in_js == in_php == CSS_COLORS


# --- minting the same items in three languages ------------------------------------------------

_ALPHABETS = [
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789@.+-_ ()",
    "àéîõüçñßøåæœÀÉÎÕÜÇÑØÅ€£¥·–",
    "Ωαβγδεζηθλμπστφχψω",
    "абвгдежзийклмнопрстуфхцчшщыэюя",
    "שלוםעברית",
    "مرحباالعربية",
    "電話番号東京都中央区",
    "😀📞✉🎉👍",
    "e\u0301a\u0308\u200d\u200c\ufe0f",
    "\ue000\U0001f3fb",
]


def _text(rng: random.Random) -> str:
    pool = "".join(rng.sample(_ALPHABETS, rng.randint(1, 3)))
    while True:
        text = "".join(rng.choice(pool) for _ in range(rng.randint(1, 70)))
        if len(text.encode()) <= 256:
            return text


def _spelled(rng: random.Random, name: str) -> str:
    """A name in a random ASCII case with random ASCII whitespace around it."""
    cased = "".join(c.upper() if rng.random() < 0.3 else c for c in name)
    return rng.choice(["", " ", "\t"]) + cased + rng.choice(["", " ", "\n"])


def _colour(rng: random.Random) -> tuple[str, tuple[int, int, int]]:
    """A dark colour (readable on white) in one of the accepted spellings."""
    if rng.random() < 0.3:
        name = rng.choice(["navy", "black", "maroon", "darkgreen", "indigo", "rebeccapurple"])
        value = CSS_COLORS[name]
        return _spelled(rng, name), (value >> 16, (value >> 8) & 255, value & 255)
    r, g, b = (rng.randrange(0, 0x60) for _ in range(3))
    spelling = rng.choice(["#{:02x}{:02x}{:02x}", "{:02X}{:02X}{:02X}", "#{:02x}{:02x}{:02x}ff"])
    return spelling.format(r, g, b), (r, g, b)


def _item(rng: random.Random) -> dict[str, Any]:
    options: dict[str, Any] = {}
    if rng.random() < 0.5:
        options["font"] = _spelled(rng, rng.choice(tokens.FONTS))
    if rng.random() < 0.5:
        options["size"] = rng.choice([8, 12, 16, 20, 24, 48])
    if rng.random() < 0.5:
        options["color"] = _colour(rng)[0]
    if rng.random() < 0.3:
        options["background"] = rng.choice(["#fdf6e3", "white", " Transparent", "#ffc", "ivory"])
    if rng.random() < 0.5:
        options["noise"] = _spelled(rng, rng.choice(["none", "low", "medium", "high"]))
    if rng.random() < 0.4:
        options["padding"] = rng.randint(0, 64)
    if rng.random() < 0.15:
        options["lines"] = 2
    item: dict[str, Any] = {"text": _text(rng), "key": KEY, "options": options}
    if rng.random() < 0.3:
        item["ttl"] = rng.choice([1, 60, 0.25, 3599.9, 86400, 31536000.5])
        item["now"] = NOW + rng.choice([0, 0.4, 0.999])
    if rng.random() < 0.2:
        item["revealable"] = True
    return item


def _refused_items() -> list[dict[str, Any]]:
    """Inputs every helper must refuse, with the error it must raise."""
    bad = [
        ({"text": "jane@example.com\u0000"}, "OptionError"),
        ({"text": "\u202emoc.elpmaxe@enaj"}, "OptionError"),
        ({"text": "a\u2066b"}, "OptionError"),
        ({"text": "x" * 257}, "OptionError"),
        ({"text": "a", "options": {"noise": 3}}, "OptionError"),
        ({"text": "a", "options": {"noise": True}}, "OptionError"),
        ({"text": "a", "options": {"fnot": "mono"}}, "OptionError"),
        ({"text": "a", "options": {"color": "#eee"}}, "OptionError"),
        ({"text": "a", "ttl": 0, "now": NOW}, "OptionError"),
        ({"text": "a", "key": KEY + "="}, "KeyConfigError"),
    ]
    return [({"key": KEY, **item}, error) for item, error in bad]


@pytest.fixture(scope="module")
def items() -> list[dict[str, Any]]:
    rng = random.Random(13)
    made = [_item(rng) for _ in range(300)]
    return [item for item in made if first_refused(item["text"]) is None]


def python_mints(item: dict[str, Any]) -> dict[str, str]:
    try:
        token = tokens.encode(
            item["text"],
            keyring=tokens.KeyRing([item["key"]]),
            ttl=item.get("ttl"),
            now=item.get("now"),
            revealable=item.get("revealable", False),
            **item.get("options", {}),
        )
    except tokens.TokenError as exc:
        return {"error": type(exc).__name__, "message": str(exc)}
    return {"token": token}


def js_mints(batch: list[dict[str, Any]]) -> list[dict[str, str]]:
    result = run([_tool("node"), "bin/mint.js"], JS, stdin=json.dumps(batch))
    assert result.returncode == 0, result.stderr
    return list(json.loads(result.stdout))


def php_mints(batch: list[dict[str, Any]]) -> list[dict[str, str]]:
    result = run([_tool("php"), "bin/glyphveil-mint"], PHP, stdin=json.dumps(batch))
    assert result.returncode == 0, result.stdout + result.stderr
    return list(json.loads(result.stdout))


MINTERS: dict[str, Callable[[list[dict[str, Any]]], list[dict[str, str]]]] = {
    "js": js_mints,
    "php": php_mints,
}


@pytest.mark.parametrize("language", MINTERS)
def test_tokens_are_byte_identical_to_the_python_helpers(
    language: str, items: list[dict[str, Any]]
) -> None:
    expected = [python_mints(item) for item in items]
    assert all("token" in result for result in expected)  # the items are all valid
    assert sum("ttl" in item for item in items) >= 50
    assert sum("revealable" in item for item in items) >= 30
    got = MINTERS[language](items)
    mismatches = [
        (item, want, have)
        for item, want, have in zip(items, expected, got, strict=True)
        if want != have
    ]
    assert mismatches == []


@pytest.mark.parametrize("language", MINTERS)
def test_refused_inputs_raise_the_same_errors(language: str) -> None:
    cases = _refused_items()
    expected = [error for _, error in cases]
    assert [python_mints(item).get("error") for item, _ in cases] == expected
    assert [result.get("error") for result in MINTERS[language]([i for i, _ in cases])] == expected


@pytest.mark.parametrize("language", MINTERS)
async def test_the_service_draws_what_each_client_mints(
    language: str, items: list[dict[str, Any]], aiohttp_client: Any
) -> None:
    client = await aiohttp_client(create_app(Config(), tokens.KeyRing([KEY])))
    sample = items[:: max(1, len(items) // 40)]
    minted = MINTERS[language](sample)
    for item, result in zip(sample, minted, strict=True):
        response, body = await fetch(client, f"/t/{result['token']}.png")
        assert response.status == 200, (item, response.status)
        assert response.headers["Content-Type"] == "image/png"
        with Image.open(io.BytesIO(body)) as image:
            image.load()
            assert image.format == "PNG" and image.width > 0


# --- the helpers drop surrounding whitespace, the same set in every language -----------------

#: Python's str.strip() set, around a text: a trailing newline from a database field first.
SURROUNDED = [
    "jane@example.com\n",
    "\r\n +44 20 7946 0958\t",
    *(
        f"{space}£1,299{space}"
        for space in "\v\f\x1c\x1f\x85\xa0\u1680\u2000\u200a\u2028\u202f\u3000"
    ),
    "\ufeffjane@example.com",  # not whitespace to str.strip: kept, then refused by the text rules
]


def test_every_helper_strips_the_same_surrounding_whitespace() -> None:
    keyring = tokens.KeyRing([KEY])
    expected = []
    for text in SURROUNDED:
        try:
            expected.append(tokens.image_url(text, "https://img.example.com", keyring=keyring))
        except tokens.OptionError:
            expected.append("OptionError")
    assert expected[0] == tokens.image_url(
        "jane@example.com", "https://img.example.com", keyring=keyring
    )
    assert expected[-1] == "OptionError"
    js = (
        "import { imageUrl, imgTag } from './src/index.js';"
        "const texts = JSON.parse(process.argv[1]);"
        "const urls = texts.map((t) => { try {"
        f"  const url = imageUrl(t, 'https://img.example.com', {{ key: '{KEY}' }});"
        f"  const tag = imgTag(t, 'https://img.example.com', {{ key: '{KEY}' }});"
        "  if (!tag.includes(url)) return 'tag';"
        "  return url; } catch (e) { return e.name; } });"
        "console.log(JSON.stringify(urls));"
    )
    result = run([_tool("node"), "--input-type=module", "-e", js, json.dumps(SURROUNDED)], JS)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == expected
    php = (
        "require 'autoload.php';"
        "$out = [];"
        "foreach (json_decode($argv[1], true) as $t) { try {"
        f"  $url = Glyphveil\\imageUrl($t, 'https://img.example.com', ['key' => '{KEY}']);"
        f"  $tag = Glyphveil\\imgTag($t, 'https://img.example.com', ['key' => '{KEY}']);"
        "  $out[] = str_contains($tag, htmlspecialchars($url)) ? $url : 'tag';"
        "} catch (Glyphveil\\OptionError $e) { $out[] = 'OptionError'; } }"
        "echo json_encode($out, JSON_UNESCAPED_SLASHES);"
    )
    result = run([_tool("php"), "-r", php, "--", json.dumps(SURROUNDED)], PHP)
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(result.stdout) == expected
    # encode itself keeps the text exactly: the newline is refused there.
    with pytest.raises(tokens.OptionError):
        tokens.encode("jane@example.com\n", keyring=keyring)


# --- the same markup in three languages -------------------------------------------------------


def test_the_size_tables_are_the_same_in_every_helper() -> None:
    """The clients compute image sizes from copies of the Python helper's tables."""
    table = (ROOT / "tokens" / "font_metrics.json").read_bytes()
    for client in (JS, PHP):
        copy = client / "src" / "font_metrics.json"
        assert copy.read_bytes() == table, f"copy tokens/font_metrics.json to {copy}"
    script = (
        "Promise.all([import('./src/sizes.js'), import('./src/html.js')]).then(([s, h]) =>"
        " console.log(JSON.stringify([s.NOISE_ROOM, s.BUCKET_EM, s.BREAK_AFTER,"
        " h.NARROW, h.NARROW_FIT, h.DEFAULT_DARK, h.COMPACT_CLASS])))"
    )
    in_js = json.loads(run([_tool("node"), "-e", script], JS).stdout)
    php_script = (
        "require 'autoload.php'; use Glyphveil\\Sizes; use Glyphveil\\Minter;"
        " echo json_encode([Sizes::NOISE_ROOM, Sizes::BUCKET_EM, Sizes::BREAK_AFTER,"
        " Minter::NARROW, Minter::NARROW_FIT, Minter::DEFAULT_DARK, Minter::COMPACT_CLASS],"
        " JSON_PRESERVE_ZERO_FRACTION | JSON_UNESCAPED_UNICODE);"
    )
    in_php = json.loads(run([_tool("php"), "-r", php_script], PHP).stdout)
    room = {str(level): room for level, room in tokens.sizes.NOISE_ROOM.items()}
    assert {k: [v["slack"], v["tracking"], v["minSize"]] for k, v in in_js[0].items()} == {
        k: [r.slack, r.tracking, r.min_size] for k, r in room.items()
    }
    assert in_php[0] == {k: [r.slack, r.tracking, r.min_size] for k, r in room.items()}
    python = [
        tokens.sizes.BUCKET_EM,
        sorted(tokens.sizes.BREAK_AFTER),
        tokens.api.NARROW,
        tokens.api.NARROW_FIT,
        dict(tokens.api.DEFAULT_DARK),
        tokens.api.COMPACT_CLASS,
    ]
    for other in (in_js, in_php):
        assert [other[1], sorted(other[2]), *other[3:]] == python


_VALUES = [
    "alice.martin@example.org",
    "billing.department@example-co.com",
    "ops+alerts@mail.example.co.uk",
    "jane@example.com",
    "+44 20 7946 0958",
    "+1 (555) 010-4477",
    "£1,299.00",
    "€ 12,50",
    "Acme Widgets Ltd, Unit 4",
    "Zoë Ñúñez · 電話 📞",
    "orders-and-returns",
    "שלום עולם 123",
    "Wolfgang Amadeus Müller",
    "e\u0301te\u0301 2024",
]


def _markup_item(rng: random.Random) -> dict[str, Any]:
    item = _item(rng)
    item.pop("ttl", None)
    item.pop("now", None)
    item.pop("revealable", None)
    if rng.random() < 0.7:
        item["text"] = rng.choice(_VALUES)
    html: dict[str, Any] = {"base_url": rng.choice(["", "https://img.example.com/", "/g"])}
    if rng.random() < 0.5:  # else each helper guesses it from the text's shape
        html["alt"] = rng.choice(["contact", 'an "alt" <text> & more'])
    if rng.random() < 0.3:
        html["densities"] = rng.choice([[1], [1, 2, 3], [2, 1]])
    if rng.random() < 0.3:
        html["narrow"] = rng.choice([None, 360, 600])
    if rng.random() < 0.5:
        html["dark"] = rng.choice([True, {"color": "#eeeeee", "background": "#121212"}])
    if rng.random() < 0.2:
        html["compact"] = True
    if rng.random() < 0.2:
        html["css_class"] = rng.choice([None, "veil"])
    if rng.random() < 0.2:
        html["attrs"] = {"Class": "contact", "data-kind": "it's"}
    if rng.random() < 0.15:
        item.setdefault("options", {})["lines"] = 2
    item["html"] = html
    return item


def python_markup(item: dict[str, Any]) -> dict[str, str]:
    settings = dict(item["html"])
    base_url = settings.pop("base_url")
    try:
        markup = tokens.img_tag(
            item["text"],
            base_url,
            keyring=tokens.KeyRing([item["key"]]),
            **settings,
            **item.get("options", {}),
        )
    except tokens.TokenError as exc:
        return {"error": type(exc).__name__, "message": str(exc)}
    return {"html": str(markup)}


@pytest.mark.parametrize("language", MINTERS)
def test_markup_is_identical_to_the_python_helpers(language: str) -> None:
    """<picture>, <source>s, sizes, escaping and tokens: the same for the same arguments."""
    rng = random.Random(19)
    made = [_markup_item(rng) for _ in range(240)]
    items = [item for item in made if first_refused(item["text"]) is None]
    expected = [python_markup(item) for item in items]
    assert sum("html" in result for result in expected) >= 200
    assert sum("<picture>" in result.get("html", "") for result in expected) >= 40
    got = MINTERS[language](items)
    mismatches = [
        (item, want, have)
        for item, want, have in zip(items, expected, got, strict=True)
        if want.get("html") != have.get("html") or ("error" in want) != ("error" in have)
    ]
    assert mismatches == []


_SHAPES = [
    *_VALUES,
    "mailto:Jane@Example.COM",
    "tel:+44 20 7946 0958",
    "(555) 010-0100 ext. 12",
    "+1-202-555-0143 x7",
    "12.99 USD",
    "$5/month",
    "₹ 1,00,000",
    "¥500",
    "EUR 12",
    "ABC",
    "30 123456",
    "１２３４５６７",
    "ｊａｎｅ@ｅｘａｍｐｌｅ.ｃｏｍ",
    "jane\u200b@example.com",
    "hello world",
    "price: 9,99 € / 月",
    "a@b.c",
]


def test_every_helper_guesses_the_same_alt_text() -> None:
    """With no alt given, the clients describe a value as tokens.alt.describe does."""
    texts = [*_SHAPES, *(_text(random.Random(n)) for n in range(60))]
    texts = [text for text in texts if first_refused(text) is None]
    expected = [tokens.alt.describe(text) for text in texts]
    assert len(set(expected)) == 4
    script = (
        "import('./src/alt.js').then(m => { const t = JSON.parse(require('fs')"
        ".readFileSync(0, 'utf8')); console.log(JSON.stringify(t.map(m.describe))); })"
    )
    in_js = json.loads(run([_tool("node"), "-e", script], JS, stdin=json.dumps(texts)).stdout)
    php_script = (
        "require 'autoload.php'; $t = json_decode(file_get_contents('php://stdin'), true);"
        " echo json_encode(array_map([Glyphveil\\Alt::class, 'describe'], $t));"
    )
    in_php = json.loads(run([_tool("php"), "-r", php_script], PHP, stdin=json.dumps(texts)).stdout)
    assert in_js == expected
    assert in_php == expected
