"""What an image's width tells about the text it hides, before and after width buckets.

    .venv/bin/python bench/width_leak.py [--noise medium] [--size 16]

A page gives each protected image ``width`` and ``height`` (so it keeps its space while
it loads), and a scraper reads them without fetching anything. This bench measures what
they give away, side by side in one run:

* **before**: the exact width of the text's box (advances, the noise's room and the edge),
  what ``<img width>`` said before the box was rounded up to buckets;
* **after**: the width :func:`tokens.sizes.text_box` gives now, rounded up to its bucket
  (:func:`tokens.sizes.bucket_width`);
* **after, whole picture**: every width the helper's ``<picture>`` states together, the
  one-line image's and the two-line ``<source>``'s (``lines=2``), since a scraper reads
  them all (the dark sources repeat the same sizes).

Two sets of values:

* **addresses**: 2,500 ``first.last@example.com`` addresses, from 50 common first names
  by 50 common last names. For each address, the candidates left are the addresses whose
  image has the same width; the table gives their mean (over the 2,500), median and
  smallest, and how many addresses the width alone pins down to fewer than 10.
* **prices**: ``£`` prices from 1 to 7 integer digits with pence and thousands commas
  (``£7.50`` to ``£9,999,999.99``), 200 random ones per digit count. For each width,
  the digit counts that give it: the table says for what share of prices the width
  still tells the digit count exactly, and the mean number of digit counts a width
  leaves.

Widths come from the font tables alone (no drawing), so the figures are exact for the
tables shipped in ``tokens/font_metrics.json``.
"""

from __future__ import annotations

import argparse
import collections
import dataclasses
import math
import random
import statistics
from collections.abc import Callable, Hashable, Iterable

import tokens
from tokens import RenderOptions
from tokens.sizes import text_box

FIRST = [
    "james",
    "mary",
    "john",
    "patricia",
    "robert",
    "jennifer",
    "michael",
    "linda",
    "william",
    "elizabeth",
    "david",
    "barbara",
    "richard",
    "susan",
    "joseph",
    "jessica",
    "thomas",
    "sarah",
    "charles",
    "karen",
    "christopher",
    "lisa",
    "daniel",
    "nancy",
    "matthew",
    "betty",
    "anthony",
    "margaret",
    "mark",
    "sandra",
    "donald",
    "ashley",
    "steven",
    "kimberly",
    "paul",
    "emily",
    "andrew",
    "donna",
    "joshua",
    "michelle",
    "kenneth",
    "carol",
    "kevin",
    "amanda",
    "brian",
    "dorothy",
    "george",
    "melissa",
    "timothy",
    "deborah",
]
LAST = [
    "smith",
    "johnson",
    "williams",
    "brown",
    "jones",
    "garcia",
    "miller",
    "davis",
    "rodriguez",
    "martinez",
    "hernandez",
    "lopez",
    "gonzalez",
    "wilson",
    "anderson",
    "thomas",
    "taylor",
    "moore",
    "jackson",
    "martin",
    "lee",
    "perez",
    "thompson",
    "white",
    "harris",
    "sanchez",
    "clark",
    "ramirez",
    "lewis",
    "robinson",
    "walker",
    "young",
    "allen",
    "king",
    "wright",
    "scott",
    "torres",
    "nguyen",
    "hill",
    "flores",
    "green",
    "adams",
    "nelson",
    "baker",
    "hall",
    "rivera",
    "campbell",
    "mitchell",
    "carter",
    "roberts",
]


def addresses() -> list[str]:
    """2,500 ``first.last@example.com`` addresses."""
    return [f"{first}.{last}@example.com" for first in FIRST for last in LAST]


def prices(per_count: int = 200, seed: int = 7) -> list[tuple[int, str]]:
    """(integer digit count, price) pairs: ``£`` with thousands commas and pence."""
    rng = random.Random(seed)
    out = []
    for digits in range(1, 8):
        low = 0 if digits == 1 else 10 ** (digits - 1)
        for _ in range(per_count):
            pounds = rng.randrange(max(low, 1), 10**digits)
            out.append((digits, f"£{pounds:,}.{rng.randrange(100):02d}"))
    return out


def exact_width(text: str, options: RenderOptions) -> int:
    """The box's width before buckets: the line, rounded up, and an edge each side."""
    box = text_box(text, options)
    return max(1, math.ceil(box.line) + 2 * box.edge)


def bucketed_width(text: str, options: RenderOptions) -> int:
    """The width the helper promises and the service draws now."""
    return text_box(text, options).width


def picture_widths(text: str, options: RenderOptions) -> tuple[int, int]:
    """The widths a page's ``<picture>`` states: one line, and two lines."""
    two_lines = dataclasses.replace(options, lines=2)
    return text_box(text, options).width, text_box(text, two_lines).width


def candidates(values: Iterable[str], width: Callable[[str], Hashable]) -> list[int]:
    """For each value, how many values share its width."""
    widths = [width(value) for value in values]
    counts = collections.Counter(widths)
    return [counts[w] for w in widths]


def digit_leak(
    items: list[tuple[int, str]], width: Callable[[str], Hashable]
) -> tuple[float, float, int]:
    """(share of prices whose width tells the digit count, mean digit counts per width
    over the prices, distinct widths)."""
    by_width: dict[Hashable, set[int]] = collections.defaultdict(set)
    widths = [(digits, width(text)) for digits, text in items]
    for digits, w in widths:
        by_width[w].add(digits)
    exact = sum(len(by_width[w]) == 1 for _, w in widths) / len(widths)
    mean = statistics.fmean(len(by_width[w]) for _, w in widths)
    return exact, mean, len(by_width)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--noise", default="medium", choices=["none", "low", "medium", "high"])
    parser.add_argument("--size", type=int, default=16)
    parser.add_argument("--font", default="sans", choices=list(tokens.FONTS))
    args = parser.parse_args()
    options = RenderOptions.build(noise=args.noise, size=args.size, font=args.font)
    ways: dict[str, Callable[[str], Hashable]] = {
        "before (exact)": lambda text: exact_width(text, options),
        "after (buckets)": lambda text: bucketed_width(text, options),
        "after, <picture>": lambda text: picture_widths(text, options),
    }
    emails = addresses()
    print(f"font {args.font}, size {args.size}, noise {args.noise}")
    print()
    print(f"{len(emails)} first.last@example.com addresses: candidates left by the width alone")
    print(f"{'':18} {'widths':>7} {'mean':>7} {'median':>7} {'min':>5} {'<10':>6} {'ratio':>6}")
    means = {}
    for name, width in ways.items():
        left = candidates(emails, width)
        means[name] = statistics.fmean(left)
        distinct = len({width(e) for e in emails})
        few = sum(n < 10 for n in left)
        ratio = means[name] / means["before (exact)"]
        print(
            f"{name:18} {distinct:7} {means[name]:7.1f} {statistics.median(left):7.0f} "
            f"{min(left):5} {few:6} {ratio:5.1f}x"
        )
    print()
    items = prices()
    print(f"{len(items)} prices, 1-7 integer digits (£7.50 to £9,999,999.99): digit count by width")
    print(f"{'':18} {'widths':>7} {'exact':>7} {'counts/width':>13}")
    for name, width in ways.items():
        exact, mean, distinct = digit_leak(items, width)
        print(f"{name:18} {distinct:7} {exact:7.0%} {mean:13.2f}")
    print()
    widths = [(text, exact_width(text, options), bucketed_width(text, options)) for text in emails]
    extra = [after - before for _, before, after in widths]
    print(
        f"room added by the buckets to the addresses: mean {statistics.fmean(extra):.1f} px, "
        f"max {max(extra)} px (of {statistics.fmean(w for _, w, _ in widths):.0f} px)"
    )


if __name__ == "__main__":
    main()
