"""The OCR bench's corpus and scoring: what a harvester wants, and when it has got it.

Pure functions of a seed and strings, with no image or OCR code, so the bench's
scoring is pinned by tests (``tests/test_bench_ocr.py``) in the project's own venv.

The corpus is a third each of emails, phone numbers and prices, drawn from a fixed
seed: the same seed gives the same strings, fonts and sizes on every machine.
A string counts as **read** when an attack's output equals it ignoring spaces and
case, or equals its letters and digits in order: a scraper puts back ``@``, dots,
dashes and currency signs easily, so only the letters and digits protect anything.
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass

__all__ = [
    "CATEGORIES",
    "SIZES",
    "Sample",
    "build_corpus",
    "character_error_rate",
    "is_read",
    "letters_and_digits",
    "levenshtein",
    "short_corpus",
    "squashed",
]

#: The kinds of string a harvester collects, in corpus order.
CATEGORIES: tuple[str, ...] = ("email", "phone", "price")
#: Font sizes in CSS px, both ends included.
SIZES = range(12, 25)


@dataclass(frozen=True, slots=True)
class Sample:
    """One corpus string with the options it is rendered at."""

    index: int
    category: str
    text: str
    font: str
    size: int


# -- emails ---------------------------------------------------------------------------

_FIRST = (
    "anna", "tomasz", "jean", "maria", "wei", "priya", "olu", "sven", "fatima", "kenji",
    "lucia", "mohammed", "giulia", "pablo", "noah", "emma", "ivan", "sofia", "yuki", "ahmed",
    "chloe", "lars", "aisha", "diego", "hannah", "mateo", "zoe", "rafael", "ines", "kwame",
    "mia", "oskar", "leila", "arjun", "elif", "jonas", "camille", "dmitri", "nora", "tariq",
)  # fmt: skip
_LAST = (
    "kowalski", "dupont", "garcia", "nguyen", "schmidt", "rossi", "tanaka", "okafor",
    "johansson", "patel", "silva", "mueller", "smith", "oconnor", "novak", "ivanova", "kim",
    "haddad", "moreau", "fischer", "lopez", "andersen", "yilmaz", "mensah", "berg", "costa",
    "wagner", "hughes", "sato", "kaur", "lindqvist", "bianchi", "weber", "adeyemi",
)  # fmt: skip
_ROLES = (
    "info", "sales", "support", "contact", "hello", "team", "billing", "office", "press",
    "jobs", "orders", "kontakt", "service", "admin",
)  # fmt: skip
_PROVIDERS = (
    "gmail.com", "outlook.com", "outlook.de", "yahoo.co.uk", "hotmail.fr", "web.de", "gmx.net",
    "icloud.com", "proton.me", "libero.it", "orange.fr", "t-online.de", "yahoo.com",
    "mail.ru", "seznam.cz", "hotmail.com",
)  # fmt: skip
_WORDS = (
    "acme", "nordwind", "bluefin", "studio", "alpine", "harbor", "vertex", "lumen", "orbit",
    "cedar", "pixel", "quartz", "meridian", "atlas", "kiwi", "granite", "solaris", "tandem",
)  # fmt: skip
_TLDS = ("com", "org", "net", "de", "io", "fr", "nl", "ch", "co.uk", "com.au", "es", "it", "pl")


def _local_part(rng: random.Random) -> str:
    first, last = rng.choice(_FIRST), rng.choice(_LAST)
    digits = str(rng.randint(1, 99)) if rng.random() < 0.5 else str(rng.randint(1960, 2009))
    shapes: list[Callable[[], str]] = [
        lambda: f"{first}.{last}",
        lambda: f"{first}_{last}",
        lambda: f"{first}{last}",
        lambda: f"{first[0]}.{last}",
        lambda: f"{first}.{last[0]}",
        lambda: f"{first}{digits}",
        lambda: f"{first}.{last}{digits}",
        lambda: f"{first}-{last}",
        lambda: f"{first[0]}{last[0]}{digits}",
        lambda: f"{last}.{first}",
        lambda: f"{first}+{rng.choice(('news', 'shop', 'web', 'spam'))}",
        lambda: rng.choice(_ROLES),
        lambda: f"{rng.choice(_ROLES)}.{rng.choice(('de', 'uk', 'eu', 'us', 'fr'))}",
        lambda: f"{last}{rng.randint(1, 9)}{rng.randint(0, 9)}",
    ]
    return rng.choice(shapes)()


def _domain(rng: random.Random) -> str:
    word, other = rng.choice(_WORDS), rng.choice(_WORDS)
    tld = rng.choice(_TLDS)
    shapes: list[Callable[[], str]] = [
        lambda: rng.choice(_PROVIDERS),
        lambda: rng.choice(_PROVIDERS),
        lambda: f"{word}.{tld}",
        lambda: f"{word}-{other}.{tld}",
        lambda: f"{word}{rng.randint(2, 99)}.{tld}",
        lambda: f"mail.{word}.{tld}",
        lambda: f"{rng.choice(('cs', 'eng', 'med', 'hr'))}.{word}-uni.{tld}",
    ]
    return rng.choice(shapes)()


def _email(rng: random.Random) -> str:
    return f"{_local_part(rng)}@{_domain(rng)}"


# -- phone numbers ----------------------------------------------------------------------


def _digits(rng: random.Random, count: int) -> str:
    return "".join(str(rng.randint(0, 9)) for _ in range(count))


def _phone(rng: random.Random) -> str:
    d = lambda n: _digits(rng, n)  # noqa: E731
    area = str(rng.randint(201, 989))
    formats: list[Callable[[], str]] = [
        lambda: f"+1 ({area}) {d(3)}-{d(4)}",  # US / Canada
        lambda: f"({area}) {d(3)}-{d(4)}",
        lambda: f"{area}-{d(3)}-{d(4)}",
        lambda: f"{area}.{d(3)}.{d(4)}",
        lambda: f"+1 {area} {d(3)} {d(4)}",
        lambda: f"+44 20 {d(4)} {d(4)}",  # United Kingdom
        lambda: f"020 {d(4)} {d(4)}",
        lambda: f"+44 7{d(3)} {d(6)}",
        lambda: f"+49 30 {d(8)}",  # Germany
        lambda: f"+49 (0)89 {d(4)} {d(4)}",
        lambda: f"0171 {d(7)}",
        lambda: f"+33 {rng.randint(1, 9)} {d(2)} {d(2)} {d(2)} {d(2)}",  # France
        lambda: f"0{rng.randint(1, 9)}.{d(2)}.{d(2)}.{d(2)}.{d(2)}",
        lambda: f"+39 06 {d(4)} {d(4)}",  # Italy
        lambda: f"+34 9{d(2)} {d(3)} {d(3)}",  # Spain
        lambda: f"+31 20 {d(3)} {d(4)}",  # Netherlands
        lambda: f"+48 {d(2)} {d(3)} {d(2)} {d(2)}",  # Poland
        lambda: f"+81 3-{d(4)}-{d(4)}",  # Japan
        lambda: f"03-{d(4)}-{d(4)}",
        lambda: f"+91 9{d(4)} {d(5)}",  # India
        lambda: f"+55 11 9{d(4)}-{d(4)}",  # Brazil
        lambda: f"+61 2 {d(4)} {d(4)}",  # Australia
        lambda: f"(02) {d(4)} {d(4)}",
        lambda: f"+41 44 {d(3)} {d(2)} {d(2)}",  # Switzerland
    ]
    return rng.choice(formats)()


# -- prices -----------------------------------------------------------------------------


def _grouped(number: int, separator: str) -> str:
    return f"{number:,}".replace(",", separator)


def _price(rng: random.Random) -> str:
    whole = rng.choice((rng.randint(1, 99), rng.randint(100, 999), rng.randint(1000, 99999)))
    cents = f"{rng.choice((0, 49, 50, 90, 95, 99, rng.randint(1, 98))):02d}"
    en, eu, swiss, spaced = (_grouped(whole, sep) for sep in (",", ".", "'", " "))
    formats: list[Callable[[], str]] = [
        lambda: f"${en}.{cents}",
        lambda: f"${en}",
        lambda: f"US$ {en}.{cents}",
        lambda: f"USD {en}.{cents}",
        lambda: f"${en}.{cents}/mo",
        lambda: f"€{eu},{cents}",
        lambda: f"{eu},{cents} €",
        lambda: f"EUR {en}.{cents}",
        lambda: f"€ {en}",
        lambda: f"£{en}.{cents}",
        lambda: f"GBP {en}.{cents}",
        lambda: f"¥{en}",
        lambda: f"JPY {en}",
        lambda: f"CHF {swiss}.{cents}",
        lambda: f"CHF {en}.–",
        lambda: f"{spaced} kr",
        lambda: f"{eu},{cents} kr",
        lambda: f"R$ {eu},{cents}",
        lambda: f"₹{en}",
        lambda: f"A$ {en}.{cents}",
        lambda: f"C$ {en}.{cents}",
        lambda: f"{eu},{cents} zł",
        lambda: f"{spaced} ₽",
    ]
    return rng.choice(formats)()


_MAKERS: dict[str, Callable[[random.Random], str]] = {
    "email": _email,
    "phone": _phone,
    "price": _price,
}


def build_corpus(count: int, seed: int, fonts: Sequence[str]) -> list[Sample]:
    """``count`` samples from ``seed``: a third of each category, every font in turn.

    ``count`` must be a positive multiple of 3 so the thirds are equal. Within each
    category the fonts take turns, so every font sees every category; the size is
    drawn from :data:`SIZES`. Strings are unique within the corpus.
    """
    if count <= 0 or count % len(CATEGORIES):
        raise ValueError(f"corpus size {count} must be a positive multiple of {len(CATEGORIES)}")
    if not fonts:
        raise ValueError("no fonts to render the corpus in")
    rng = random.Random(seed)
    seen: set[str] = set()
    samples = []
    for index in range(count):
        category = CATEGORIES[index % len(CATEGORIES)]
        text = _MAKERS[category](rng)
        while text in seen:
            text = _MAKERS[category](rng)
        seen.add(text)
        font = fonts[(index // len(CATEGORIES)) % len(fonts)]
        samples.append(Sample(index, category, text, font, rng.choice(SIZES)))
    return samples


#: How far :func:`short_corpus` grows the corpus looking for short strings.
_LARGEST_CORPUS = 300 * 2**8


def short_corpus(count: int, seed: int, fonts: Sequence[str], longest: int) -> list[Sample]:
    """The first ``count`` samples of at most ``longest`` characters (spaces included) of
    the corpus of ``seed``, grown as far as needed; they keep their corpus indexes.

    Short prices (``¥6``, ``$78``, ``€ 850``) are the floor of the protection: few glyphs
    for the noise to work with. The full corpus has a dozen of them; this gives enough to
    measure a change to how they are drawn. Nearly all are prices.
    """
    if count <= 0 or longest <= 0:
        raise ValueError("the count and the length of short strings must be positive")
    size = 300
    while size <= _LARGEST_CORPUS:
        corpus = build_corpus(size, seed, fonts)
        short = [sample for sample in corpus if len(sample.text) <= longest]
        if len(short) >= count:
            return short[:count]
        size *= 2
    raise ValueError(f"fewer than {count} strings of at most {longest} characters in the corpus")


# -- scoring ----------------------------------------------------------------------------


def squashed(text: str) -> str:
    """``text`` without white space, case-folded, in NFKC (full-width ``（`` is ``(``)."""
    return "".join(unicodedata.normalize("NFKC", text).split()).casefold()


def letters_and_digits(text: str) -> str:
    """Only the letters and digits of :func:`squashed` ``text``, in order."""
    return "".join(char for char in squashed(text) if char.isalnum())


def is_read(truth: str, reading: str) -> bool:
    """Whether ``reading`` gives ``truth`` away: equal ignoring spaces and case, or the
    same letters and digits in order (punctuation and currency signs are easy to guess)."""
    if not squashed(reading):
        return False
    return squashed(reading) == squashed(truth) or (
        letters_and_digits(reading) == letters_and_digits(truth)
    )


def levenshtein(a: str, b: str) -> int:
    """Edit distance: insertions, deletions and substitutions to turn ``a`` into ``b``."""
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, start=1):
        current = [i]
        for j, char_b in enumerate(b, start=1):
            current.append(
                min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b))
            )
        previous = current
    return previous[-1]


def character_error_rate(truth: str, reading: str) -> float:
    """Edits per character of ``truth`` (both :func:`squashed`), capped at 1.0, so an
    empty or wildly long reading counts as every character wrong and no worse."""
    want = squashed(truth)
    if not want:
        raise ValueError("the truth has no characters to score against")
    return min(1.0, levenshtein(squashed(reading), want) / len(want))
