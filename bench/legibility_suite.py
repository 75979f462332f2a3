"""The legibility bench's strings, renders and scoring, without any machine learning.

Everything here runs in the project's own venv, so the tests (``tests/test_bench_legibility.py``)
pin it without torch: the training and test strings, the fixed suite of confusable
strings, the keys, rendering through the service's own path, the image a recognizer
sees, and the scores (exact reads, character error rate, which characters are taken
for which). ``bench/legibility.py`` trains and runs the recognizer on top of it.

Images come from the real path, as ``bench/ocr.py`` does it: a token minted with
``tokens.encode`` under a key, ``tokens.decode``, ``render_text(text, options, seed,
density, style=...)``, ``encode_image`` to PNG, and the PNG decoded again.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import hashlib
import io
import random
import string
import sys
import unicodedata
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont, ImageOps

import tokens
from server.render.encode import encode_image
from server.render.fonts import FAMILIES, GLYPH_FONTS
from server.render.text import render_text
from tokens.options import FONTS, Noise

try:  # run as a script from bench/ (sys.path[0]) or imported as bench.* by the tests
    from ocr_corpus import SIZES, build_corpus, levenshtein
except ModuleNotFoundError:
    from bench.ocr_corpus import SIZES, build_corpus, levenshtein

__all__ = [
    "CHARSET",
    "INPUT_HEIGHT",
    "LEVELS",
    "LOST",
    "PAIR_GROUPS",
    "Item",
    "Pair",
    "Scores",
    "SuiteEntry",
    "aligned_segments",
    "character_error_rate",
    "confusable_pairs",
    "confusions",
    "contact_sheet",
    "corpus_signs",
    "fingerprint",
    "flatten",
    "forced_font",
    "held_out_items",
    "held_out_keys",
    "key_for",
    "levenshtein",
    "model_input",
    "pair_rates",
    "render",
    "suite",
    "suite_fonts",
    "suite_items",
    "training_items",
    "validation_items",
]

ROOT = Path(__file__).resolve().parents[1]
LEVELS: tuple[str, ...] = tuple(str(level) for level in Noise)
#: The OCR corpus seed that lists the currency signs a harvester meets.
_SIGN_SEED = 8
#: Seeds of the held-out sets: their keys and strings never occur in training.
TEST_SEED, VALIDATION_SEED = 1919, 2024


# -- keys and strings -------------------------------------------------------------------


def key_for(rng: random.Random) -> str:
    """A fresh key in its text form (43 characters of URL-safe base64), from ``rng``."""
    return base64.urlsafe_b64encode(rng.randbytes(32)).rstrip(b"=").decode()


def corpus_signs() -> list[str]:
    """Every currency sign (Unicode category Sc) in the OCR bench's corpus, in order."""
    texts = [sample.text for sample in build_corpus(3000, _SIGN_SEED, FONTS)]
    return sorted({c for text in texts for c in text if unicodedata.category(c) == "Sc"})


def _corpus_characters() -> set[str]:
    return {c for s in build_corpus(3000, _SIGN_SEED, FONTS) for c in s.text}


#: What the recognizer can write: printable ASCII, and every other character the OCR
#: corpus uses (currency signs, the dash of ``CHF 10.–``, the ł of ``zł``).
CHARSET: str = "".join(sorted(set(string.printable[:95]) | _corpus_characters()))

#: Characters the random strings draw more often: those the noise is likeliest to
#: destroy or turn into one another.
_FOCUS = "l1Ii|O0o_-.,:;'rnmcldvw5S8B2Z6b9gq()+@/ "


@dataclass(frozen=True, slots=True)
class Item:
    """One image to render: a string with its token options, level, density and key."""

    text: str
    font: str
    size: int
    level: str
    density: int
    key: str = field(repr=False)
    glyph_font: str = ""  # a file name of GLYPH_FONTS to draw every glyph in, or ""


def _random_text(rng: random.Random) -> str:
    """A string of 3-18 characters, a third of them from :data:`_FOCUS`, never starting or
    ending with a space and with no two spaces together."""
    others = "".join(c for c in CHARSET if c != " ")
    common = string.ascii_lowercase + string.digits
    chars: list[str] = []
    for _ in range(rng.randint(3, 18)):
        pick = rng.random()
        source = _FOCUS if pick < 0.35 else common if pick < 0.8 else others
        char = rng.choice(source)
        if char == " " and (not chars or chars[-1] == " "):
            char = rng.choice(common)
        chars.append(char)
    return "".join(chars).strip() or "x"


#: Share of each level among training and validation images: the noisy levels most.
_LEVEL_WEIGHTS = {"none": 0.1, "low": 0.2, "medium": 0.35, "high": 0.35}


def training_items(
    rng: random.Random,
    count: int,
    exclude: frozenset[str] = frozenset(),
    level_weights: dict[str, float] | None = None,
) -> list[Item]:
    """``count`` training images: half OCR-corpus strings (emails, phones, prices), half
    random strings rich in confusable characters; each under a fresh random key, a random
    family, size (12-24 px), level (noisy ones most) and density (1 or 2). Strings in
    ``exclude`` (the held-out sets) are never drawn. ``level_weights`` overrides the
    share of each level (the first images of training favour the easy levels)."""
    weights = level_weights or _LEVEL_WEIGHTS
    items: list[Item] = []
    while len(items) < count:
        if rng.random() < 0.5:
            sample = build_corpus(3, rng.randrange(2**32), FONTS)[rng.randrange(3)]
            text, font, size = sample.text, sample.font, sample.size
        else:
            text, font, size = _random_text(rng), rng.choice(FONTS), rng.choice(SIZES)
        if text in exclude:
            continue
        level = rng.choices(list(weights), list(weights.values()))[0]
        density = 2 if rng.random() < 0.4 else 1
        items.append(Item(text, font, size, level, density, key_for(rng)))
    return items


def held_out_keys(seed: int, count: int = 16) -> list[str]:
    """The keys of a held-out set (random 32-byte keys: never drawn in training)."""
    rng = random.Random(f"keys {seed}")
    return [key_for(rng) for _ in range(count)]


def held_out_items(
    count: int,
    seed: int = TEST_SEED,
    levels: Sequence[str] = LEVELS,
    densities: Sequence[int] = (1, 2),
) -> list[Item]:
    """The test set: ``count`` OCR-corpus strings from ``seed`` (their own fonts and sizes),
    each at every level and density, under held-out keys taken in turn."""
    keys = held_out_keys(seed)
    samples = build_corpus(count, seed, FONTS)
    return [
        Item(s.text, s.font, s.size, level, density, keys[s.index % len(keys)])
        for s in samples
        for level in levels
        for density in densities
    ]


def validation_items(count: int, seed: int = VALIDATION_SEED) -> list[Item]:
    """The early-stopping set: ``count`` images like training's (half corpus, half random
    strings, levels and densities mixed), under held-out keys of their own."""
    rng = random.Random(seed)
    keys = held_out_keys(seed)
    return [
        dataclasses.replace(item, key=keys[i % len(keys)])
        for i, item in enumerate(training_items(rng, count))
    ]


# -- the confusable suite ---------------------------------------------------------------

#: Strings that put confusable characters side by side, by what they test.
_SUITE: dict[str, tuple[str, ...]] = {
    "separators": (
        "first_last@mail.com",
        "first-last@mail.com",
        "first.last@mail.com",
        "first last",
        "a_b a-b a.b",
        "x_y-z.w x_y",
        "t._-_.t",
    ),
    "comma and period": ("£1,299.00", "1.299,00 €", "3,14.15,92", "a,b.c,d", "9,9.9,9"),
    "l 1 I i |": ("l1Ii|", "bill1@il1.io", "Il1|lI1i", "lil1Ill", "I|l|1|i"),
    "O 0 o": ("O0o", "O0o.lI1l@x.co", "0Oo0oO", "room100@oo.org"),
    "rn m, cl d, vv w": ("rnm modern", "corn.mrn", "cld clad", "dcl.cd", "vvw savvy", "wow.vvv"),
    "5 S, 8 B, 2 Z, 6 b, 9 g q": ("5S5S", "8B8B", "2Z2Z", "6b6b", "9gq9", "B8.S5@Z2.bg", "q9g6b"),
    "grouped digits": (
        "+1 (555) 123-4567",
        "(555) 535-5555",
        "+44 20 7946 0958",
        "06 12 34 56 78",
        "+49 30 12345678",
    ),
}


@dataclass(frozen=True, slots=True)
class SuiteEntry:
    """One suite string, the group it tests."""

    group: str
    text: str


def suite() -> list[SuiteEntry]:
    """The fixed suite: the strings above, plus one price per currency sign of the OCR
    corpus (its signs at both ends: ``€12,50``, ``12,50 €``)."""
    entries = [SuiteEntry(group, text) for group, texts in _SUITE.items() for text in texts]
    for number, sign in enumerate(corpus_signs()):
        entries.append(SuiteEntry("currency", f"{sign}{10 + number},50"))
        entries.append(SuiteEntry("currency", f"{number + 3}.{number}9 {sign}"))
    return entries


def suite_fonts(level: str) -> list[str]:
    """The fonts the suite is drawn in at ``level``: without noise the token's four
    families; with noise every glyph font a style can mix (all of :data:`GLYPH_FONTS`)."""
    if level == "none":
        return [FAMILIES[family].name for family in FONTS]
    return [path.name for path in GLYPH_FONTS]


def suite_items(level: str, density: int, size: int = 16) -> list[Item]:
    """Every suite string in every font of :func:`suite_fonts` at ``level`` and
    ``density``, under the test set's held-out keys."""
    keys = held_out_keys(TEST_SEED)
    families = {FAMILIES[family].name: family for family in FONTS}
    items = []
    for n, entry in enumerate(suite()):
        for m, font in enumerate(suite_fonts(level)):
            key = keys[(n + m) % len(keys)]
            if level == "none":
                items.append(Item(entry.text, families[font], size, level, density, key))
            else:
                items.append(Item(entry.text, "sans", size, level, density, key, font))
    return items


#: Pairs of the suite the targets name, as groups: every ordered pair within a group is
#: one confusion (a taken for b); "" stands for a character lost altogether.
PAIR_GROUPS: tuple[tuple[str, ...], ...] = (
    ("_", " ", "-", ".", ""),
    (",", ".", ""),
    ("l", "1", "I", "i", "|"),
    ("O", "0", "o"),
    ("rn", "m"),
    ("cl", "d"),
    ("vv", "w"),
    ("5", "S"),
    ("8", "B"),
    ("2", "Z"),
    ("6", "b"),
    ("9", "g", "q"),
    ("3", "5", "8", "6", "9", "0"),
    ("(", ")", "[", "]", "C", "1", "l", "|"),
)


#: What each currency sign of the corpus may be taken for (besides being lost).
_SIGN_LOOKALIKES = {"$": "S58", "€": "ECe", "£": "Eft", "¥": "YV", "₹": "Rz2", "₽": "PR"}


def confusable_pairs() -> frozenset[tuple[str, str]]:
    """The ordered pairs (a, b) the suite is scored on: every pair within each group of
    :data:`PAIR_GROUPS`, and each currency sign of the corpus taken for a look-alike or
    lost ("")."""
    pairs = {(a, b) for group in PAIR_GROUPS for a in group for b in group if a and a != b}
    for sign in corpus_signs():
        pairs.update((sign, b) for b in (*_SIGN_LOOKALIKES.get(sign, ""), ""))
    return frozenset(pairs)


# -- rendering ----------------------------------------------------------------------------


@contextlib.contextmanager
def forced_font(name: str) -> Iterator[None]:
    """Make noisy text draw every glyph in the glyph font ``name`` (a file name of
    :data:`GLYPH_FONTS`): the style of every key is given that one font, all else equal.

    The suite uses it to draw each string in each font; the rest of the path (layout,
    turns, strokes, marks, texture) is the service's own.
    """
    path = next((p for p in GLYPH_FONTS if p.name == name), None)
    if path is None:
        raise ValueError(f"unknown glyph font {name!r}")
    patched = []
    for module in [m for n, m in sys.modules.items() if n.startswith("server.render")]:
        original = getattr(module, "style_for", None)
        if original is None or not callable(original):
            continue

        def one_font(key: bytes, _original=original):  # type: ignore[no-untyped-def]
            return dataclasses.replace(_original(key), fonts=(path,))

        patched.append((module, original))
        module.style_for = one_font  # type: ignore[attr-defined]
    if not patched:
        raise RuntimeError("no style_for in server.render: cannot force a glyph font")
    try:
        yield
    finally:
        for module, original in patched:
            module.style_for = original  # type: ignore[attr-defined]


def render(item: Item) -> Image.Image:
    """The PNG the service serves for ``item``, decoded (as a browser or harvester gets it)."""
    keyring = tokens.KeyRing([item.key])
    token = tokens.encode(
        item.text, keyring=keyring, font=item.font, size=item.size, noise=item.level
    )
    payload = tokens.decode(token, keyring=keyring)
    with forced_font(item.glyph_font) if item.glyph_font else contextlib.nullcontext():
        image = render_text(
            payload.text, payload.options, payload.seed, item.density, style=payload.style
        )
    decoded = Image.open(io.BytesIO(encode_image(image, "png")))
    decoded.load()
    return decoded


def flatten(image: Image.Image) -> Image.Image:
    """The image as greyscale over white, as a browser shows it on a white page."""
    rgba = image.convert("RGBA")
    white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    white.alpha_composite(rgba)
    return white.convert("L")


#: The height the recognizer reads at, px; widths keep the aspect ratio up to _MAX_WIDTH.
#: About an image's own height at 1x (47-74 px), so the reader gets the pixels a visitor
#: on a 1x screen gets: a 40 px input halved them, and with them commas, periods and
#: the foot of an ``l``.
INPUT_HEIGHT = 64
_MAX_WIDTH = 640


def model_input(image: Image.Image, height: int = INPUT_HEIGHT) -> Image.Image:
    """What the recognizer sees: the image over white, scaled to ``height`` px (aspect
    kept, at most 640 px wide), ink bright on black, greyscale."""
    grey = flatten(image)
    width = max(8, min(_MAX_WIDTH, round(grey.width * height / grey.height)))
    scaled = grey.resize((width, height), Image.Resampling.BILINEAR, reducing_gap=2.0)
    return ImageOps.invert(scaled)


#: Strings rendered for the rendering's fingerprint: every level and density, a few fonts.
#: Besides the strings of each category, every character the recognizer writes, so a
#: change to how one glyph is drawn (its font, the strokes' clearance around it) shows.
_EVERY_CHARACTER = "".join(c for c in CHARSET if not c.isspace())
_PROBES = (
    "first_last@example.com",
    "+44 20 7946 0958",
    "£1,299.00",
    "O0o.lI1l@x.co",
    *(_EVERY_CHARACTER[i : i + 16] for i in range(0, len(_EVERY_CHARACTER), 16)),
)


def fingerprint() -> str:
    """A short hash of what the renderer draws: PNGs of a few strings and of every
    character of :data:`CHARSET` at every level, density and family under a fixed key.
    Equal fingerprints, equal rendering as far as the recognizer's cache goes: a change
    to the drawing of any of its characters under that key changes it."""
    key = key_for(random.Random("fingerprint"))
    digest = hashlib.sha256()
    for text in _PROBES:
        for level in LEVELS:
            for density in (1, 2):
                for font in FONTS:
                    item = Item(text, font, 16, level, density, key)
                    digest.update(flatten(render(item)).tobytes())
    return digest.hexdigest()[:16]


# -- scoring -----------------------------------------------------------------------------


def character_error_rate(truth: str, reading: str) -> float:
    """Edits per character of ``truth``, exactly as written (spaces and case count),
    capped at 1.0."""
    if not truth:
        raise ValueError("the truth has no characters to score against")
    return min(1.0, levenshtein(truth, reading) / len(truth))


def aligned_segments(truth: str, reading: str) -> list[str]:
    """What ``reading`` has in place of each character of ``truth``, by a least-edit
    alignment: one character where it was read (rightly or not), "" where it was lost,
    and characters the reading added stuck to the truth character before them (to the
    first one at the start). ``"".join(segments) == reading`` always."""
    n, m = len(truth), len(reading)
    cost = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n + 1):
        cost[i][0] = i
    for j in range(m + 1):
        cost[0][j] = j
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            cost[i][j] = min(
                cost[i - 1][j - 1] + (truth[i - 1] != reading[j - 1]),
                cost[i - 1][j] + 1,
                cost[i][j - 1] + 1,
            )
    segments = [""] * n
    leading = ""
    i, j = n, m
    while i or j:
        if i and j and cost[i][j] == cost[i - 1][j - 1] + (truth[i - 1] != reading[j - 1]):
            segments[i - 1] = reading[j - 1] + segments[i - 1]
            i, j = i - 1, j - 1
        elif j and (not i or cost[i][j] == cost[i][j - 1] + 1):
            if i:
                segments[i - 1] = reading[j - 1] + segments[i - 1]
            else:
                leading = reading[j - 1] + leading
            j -= 1
        else:
            i -= 1
    if n:
        segments[0] = leading + segments[0]
    return segments


#: How a lost character is shown in the confusion tables.
LOST = "∅"


def confusions(truth: str, reading: str) -> tuple[Counter[str], Counter[tuple[str, str]]]:
    """Per character of ``truth``: how often it occurs, and what it was taken for where
    it was not read as itself: ``(a, b)`` counts a read as b, ``(a, LOST)`` a lost, and
    ``(a, a + "x")`` a read with an extra x after it."""
    occurrences = Counter(truth)
    mistaken: Counter[tuple[str, str]] = Counter()
    for char, segment in zip(truth, aligned_segments(truth, reading), strict=True):
        if segment != char:
            mistaken[(char, segment or LOST)] += 1
    return occurrences, mistaken


@dataclass(frozen=True, slots=True)
class Pair:
    """One ordered confusable pair on a set of readings: ``a`` taken for ``b``."""

    a: str
    b: str
    occurrences: int  # times a occurs in the truths
    mistaken: int  # times it was read as b

    @property
    def rate(self) -> float:
        return self.mistaken / self.occurrences if self.occurrences else 0.0


def _occurrences(text: str, token: str) -> list[int]:
    """Where ``token`` starts in ``text``, not overlapping."""
    starts, at = [], text.find(token)
    while at >= 0:
        starts.append(at)
        at = text.find(token, at + len(token))
    return starts


def pair_rates(
    readings: Sequence[tuple[str, str]], pairs: frozenset[tuple[str, str]] | None = None
) -> list[Pair]:
    """Each ordered pair (a, b) of ``pairs`` (default :func:`confusable_pairs`) whose
    ``a`` occurs in the truths of ``readings`` (pairs of truth and reading): how often a
    was read as b, worst rate first. ``a`` may be several characters (``rn``), ``b`` may
    be "" (lost)."""
    wanted = confusable_pairs() if pairs is None else pairs
    occurrences: Counter[str] = Counter()
    mistaken: Counter[tuple[str, str]] = Counter()
    firsts = {a for a, _ in wanted}
    for truth, reading in readings:
        segments = aligned_segments(truth, reading)
        for a in firsts:
            for start in _occurrences(truth, a):
                occurrences[a] += 1
                read_as = "".join(segments[start : start + len(a)])
                if (a, read_as) in wanted:
                    mistaken[(a, read_as)] += 1
    pairs = {
        (a, b): Pair(a, b, occurrences[a], mistaken[(a, b)])
        for a, b in sorted(wanted)
        if occurrences[a]
    }
    return sorted(pairs.values(), key=lambda p: (-p.rate, -p.occurrences, p.a, p.b))


@dataclass(slots=True)
class Scores:
    """Readings of one set of images: exact reads, CER, and the confusions."""

    strings: int = 0
    exact: int = 0
    cer_sum: float = 0.0
    occurrences: Counter[str] = field(default_factory=Counter)
    mistaken: Counter[tuple[str, str]] = field(default_factory=Counter)
    readings: list[tuple[str, str]] = field(default_factory=list)

    def add(self, truth: str, reading: str) -> None:
        self.strings += 1
        self.exact += truth == reading
        self.cer_sum += character_error_rate(truth, reading)
        seen, wrong = confusions(truth, reading)
        self.occurrences.update(seen)
        self.mistaken.update(wrong)
        self.readings.append((truth, reading))

    @property
    def exact_rate(self) -> float:
        return self.exact / self.strings if self.strings else 0.0

    @property
    def cer(self) -> float:
        return self.cer_sum / self.strings if self.strings else 0.0

    def top(self, count: int = 8) -> list[tuple[str, str, int, float]]:
        """The ``count`` commonest mistakes: (a, what it was read as, times, times per
        occurrence of a)."""
        return [
            (a, b, n, n / self.occurrences[a]) for (a, b), n in self.mistaken.most_common(count)
        ]


# -- contact sheets ------------------------------------------------------------------------


def contact_sheet(level: str, density: int, path: Path, per_row: int = 4, size: int = 16) -> None:
    """The suite at ``level`` and ``density`` as one image: a row per string, drawn in
    ``per_row`` fonts of :func:`suite_fonts` taken in turn down the sheet (so every font
    shows up several times; the bench itself reads every string in every font), each
    cell at its own pixels under its font's name, so the sheet at 100 % zoom shows what
    a screen of that density shows. Saved in greyscale."""
    label = ImageFont.truetype(str(ROOT / "fonts" / "DejaVuSans.ttf"), 11)
    fonts = suite_fonts(level)
    per_row = min(per_row, len(fonts))
    entries = suite()
    by_font = {
        (i.text, i.glyph_font or FAMILIES[i.font].name): i
        for i in suite_items(level, density, size)
    }
    rows = []
    for n, entry in enumerate(entries):
        chosen = [fonts[(n * per_row + j) % len(fonts)] for j in range(per_row)]
        rows.append([(font, flatten(render(by_font[(entry.text, font)]))) for font in chosen])
    gap, name_height, header = 10, 13, 24
    caption_width = gap + max(round(label.getlength(repr(e.text))) for e in entries) + gap
    cell_width = max(image.width for row in rows for _, image in row)
    width = caption_width + per_row * (cell_width + gap)
    heights = [name_height + max(image.height for _, image in row) for row in rows]
    sheet = Image.new("L", (width, header + sum(h + gap for h in heights)), 236)
    draw = ImageDraw.Draw(sheet)
    draw.text(
        (gap, 6),
        f"noise={level} @{density}x, {size} px: the confusable suite, each string in "
        f"{per_row} of the {len(fonts)} fonts in turn (the bench reads all), at 100 %",
        fill=40,
        font=label,
    )
    y = header
    for entry, row, row_height in zip(entries, rows, heights, strict=True):
        draw.text((gap, y + row_height / 2), repr(entry.text), fill=40, font=label, anchor="lm")
        for j, (font, image) in enumerate(row):
            x = caption_width + j * (cell_width + gap)
            draw.text((x, y), Path(font).stem[:24], fill=110, font=label)
            sheet.paste(image, (x, y + name_height))
        y += row_height + gap
    sheet.save(path, optimize=True)
