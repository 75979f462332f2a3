"""How long tokens.rewrite takes on a 100 KB page, beside a plain regex substitution.

Targets: a 100 KB page with 50 values in at most 5 ms, and a page without any in at
most 1 ms. The page is built here: navigation, then articles of prose with a date, a
version number, an order number, an IP address, an ISBN, ``logo@2x.png``, a code sample
with a decorator and an ``@`` handle each (about 2 % of its characters are digits),
repeated to 100 KB; the page with values has 50 of them (25
email addresses, 20 phone numbers, 5 ``mailto:`` links) spread through its paragraphs.
The "one reference" rows are the same pages with one ``&#8217;`` (a typographic
apostrophe, as most blogs write it): a page holding any character reference or ``&nbsp;``
is searched for numbers written with them too, which costs more.

The floor is what a regex harvester's counterpart costs: one ``re.sub`` for addresses
and one for numbers over the raw HTML, replacing each with a fixed ``<img>``; it knows
nothing of tags, scripts, attributes or false matches. Also shown: tokenizing alone
(turbohtml), and minting the page's images alone (``tokens.img_tag``: compact, as the
rewriter mints values inside sentences, and the full ``<picture>`` of a value on its own
for comparison), the two parts of the rewrite that do not depend on this module's own
code. The rewriter caches its verdict on
each run of digits (a site repeats its numbers and dates on every page): "cold cache"
rows clear it before every run, the others show a page of a site already running.

Times are CPU time of this process (``time.process_time``), not wall-clock time: on a
shared machine a process waiting for a core would otherwise count the wait. The rows
are timed in rounds, each round running every row once, so that a slower spell of the
machine falls on all rows alike rather than on whichever row ran then (each round
starts with both pages rewritten once, untimed, as the "cold cache" rows clear the
verdicts the other rows count on); each row shows its median, its best run (the machine
least disturbed) and its 90th percentile.

    .venv/bin/python bench/rewrite_speed.py [--runs 300]
"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import platform
import re
import statistics
import time
from collections.abc import Callable

import tokens
from tokens.rewrite import Rewriter

SIZE = 100 * 1024
BASE = "https://img.example.com"

WORDS = [
    "the",
    "a",
    "of",
    "to",
    "and",
    "in",
    "that",
    "is",
    "for",
    "it",
    "with",
    "as",
    "was",
    "on",
    "be",
    "by",
    "this",
    "are",
    "from",
    "at",
    "or",
    "have",
    "an",
    "they",
    "which",
    "one",
    "you",
    "had",
    "not",
    "but",
    "what",
    "all",
    "were",
    "when",
    "we",
    "there",
    "can",
    "more",
    "if",
    "out",
    "so",
    "said",
    "would",
    "up",
    "release",
    "cache",
    "image",
    "service",
    "token",
    "page",
    "site",
    "noise",
    "layout",
    "option",
    "render",
    "font",
    "width",
    "height",
    "reader",
    "helper",
    "template",
    "request",
    "answer",
    "header",
    "browser",
    "visitor",
    "archive",
]

SECTION = """
<article class="post" id="post-{n}">
  <h2><a href="/blog/{n}/">Release notes for version 3.{n}.7</a></h2>
  <p class="meta">Published 2024-01-{day:02d} by <a href="/u/jane">@jane_doe</a></p>
  <p>{prose1}</p>
  <p>{prose2} The cache on 192.168.1.{n} keeps 10,000 images (order #10023{n:04d}, logo@2x.png,
  ISBN 978-3-16-148410-0, 1999-2024, 1920x1080).{value}</p>
  <pre><code class="language-python">@app.route("/t/&lt;token&gt;.png")
async def image(request):  # python 3.11.7
    return await render(request, density=2)</code></pre>
  <p>{prose3}</p>
</article>"""


def prose(seed: int, words: int) -> str:
    """Deterministic filler sentences from ``WORDS``."""
    state, out = seed * 7919 + 17, []
    for index in range(words):
        state = (state * 1103515245 + 12345) % 2**31
        word = WORDS[state % len(WORDS)]
        out.append(word.capitalize() if index % 12 == 0 else word)
        if index % 12 == 11:
            out[-1] += "."
    return " ".join(out) + "."


HEAD = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Blog · Northwind</title>
<link rel="stylesheet" href="/static/site.css"><script src="/static/app.js" defer></script>
<style>.post{margin:0 0 2rem} @media (min-width: 40rem){.post{margin:0 0 3rem}}</style>
</head><body><header><nav><a href="/">Home</a> <a href="/blog/">Blog</a></nav></header><main>"""
FOOT = "</main><footer><p>© 2024 Northwind Studio · v2.4.1</p></footer></body></html>\n"


def values() -> list[str]:
    """50 values as they would sit in the text: addresses, numbers and links."""
    found = [f" Write to team{i}.lead@example.com." for i in range(25)]
    found += [f" Call +44 20 7946 {i:04d}." for i in range(20)]
    found += [f' <a href="mailto:sales{i}@example.org">Sales</a>.' for i in range(5)]
    return found


def page(with_values: bool) -> str:
    sections, size, n = [], len(HEAD) + len(FOOT), 0
    while size < SIZE:
        section = SECTION.format(
            n=n,
            day=n % 28 + 1,
            value="{value}",
            prose1=prose(3 * n, 60),
            prose2=prose(3 * n + 1, 40),
            prose3=prose(3 * n + 2, 50),
        )
        sections.append(section)
        size += len(section)
        n += 1
    fills = values() if with_values else []
    step = max(1, len(sections) // max(1, len(fills))) if fills else 1
    out = []
    for index, section in enumerate(sections):
        slot = index // step if fills and index % step == 0 else None
        value = "".join(fills[slot : slot + 1]) if slot is not None and slot < len(fills) else ""
        out.append(section.replace("{value}", value))
    if fills and len(sections) < len(fills):  # fewer sections than values: the rest at the end
        out.append("<p>" + "".join(fills[len(sections) :]) + "</p>")
    return HEAD + "".join(out) + FOOT


EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PHONE = re.compile(r"\+?\d[\d ()./-]{6,}\d")
IMG = '<img src="https://img.example.com/t/x.png" width="1" height="1" alt="">'


def regex_floor(document: str) -> str:
    return PHONE.sub(IMG, EMAIL.sub(IMG, document))


def timed(
    actions: list[Callable[[], object]], runs: int, before_round: Callable[[], object]
) -> list[list[float]]:
    """CPU milliseconds of each action, ``runs`` times, in rounds of all of them;
    ``before_round`` runs untimed at the start of each."""
    for action in actions:
        action()  # warm caches (compiled regexes, option validation)
    samples: list[list[float]] = [[] for _ in actions]
    for _ in range(runs):
        before_round()
        for action, times in zip(actions, samples, strict=True):
            start = time.process_time()
            action()
            times.append((time.process_time() - start) * 1000)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=300)
    args = parser.parse_args()
    keyring = tokens.KeyRing([tokens.generate_key()])
    rewriter = Rewriter(BASE, region="GB", keyring=keyring)
    full, empty = page(True), page(False)
    # One typographic apostrophe as blogs write it, in the first byline.
    full_reference, empty_reference = (
        document.replace("Published", "Published&#8217;", 1) for document in (full, empty)
    )
    result = rewriter.run(full)
    kinds = result.summary()
    assert rewriter.run(empty).document is empty, "the page without values has one"
    from turbohtml import tokenize

    from tokens.rewrite import _phone_spans

    def cold(document: str) -> str:
        """The page as if it were the site's first: phone verdicts not cached yet."""
        _phone_spans.cache_clear()
        rewriter._verdicts.clear()
        return rewriter.rewrite(document)

    # What the rewriter mints: each value in text is inside a sentence, so compact (the
    # links' text is "Sales", which keeps its place and gets no image).
    minted = sorted({found.text for found in result.replaced if found.where == "text"})
    rows = [
        ("rewrite, 50 values", lambda: rewriter.rewrite(full), "5"),
        ("rewrite, 50 values, cold cache", lambda: cold(full), "5"),
        ("rewrite, no values", lambda: rewriter.rewrite(empty), "1"),
        ("rewrite, no values, cold cache", lambda: cold(empty), "1"),
        ("rewrite, 50 values, one reference", lambda: rewriter.rewrite(full_reference), "5"),
        ("rewrite, no values, one reference", lambda: rewriter.rewrite(empty_reference), "1"),
        ("regex floor, 50 values", lambda: regex_floor(full), ""),
        ("regex floor, no values", lambda: regex_floor(empty), ""),
        ("  tokenize only, 50-value page", lambda: list(tokenize(full)), ""),
        (
            f"  img_tag only, {len(minted)} values, compact",
            lambda: [tokens.img_tag(t, BASE, keyring=keyring, compact=True) for t in minted],
            "",
        ),
        (
            f"  img_tag only, {len(minted)} values, <picture>",
            lambda: [tokens.img_tag(t, BASE, keyring=keyring) for t in minted],
            "",
        ),
    ]
    digits = sum(char.isdigit() for char in empty) / len(empty)
    print(
        f"page: {len(full) / 1024:.0f} KB with values ({kinds}), {len(empty) / 1024:.0f} KB "
        f"without ({digits:.1%} digits)"
    )
    versions = ", ".join(
        f"{name} {importlib.metadata.version(name)}"
        for name in ("turbohtml", "phonenumbers", "cryptography")
    )
    load = os.getloadavg()

    def warm() -> None:
        """Both pages once, so that the warm rows find the verdicts on runs of digits a
        running site has: a cold row of the round before cleared them."""
        rewriter.rewrite(full)
        rewriter.rewrite(empty)

    samples = timed([action for _, action, _ in rows], args.runs, before_round=warm)
    after = os.getloadavg()
    print(
        f"Python {platform.python_version()}, {versions}; {args.runs} rounds; load average "
        f"{load[0]:.1f} before, {after[0]:.1f} after ({os.cpu_count()} cores)\n"
    )
    print(f"| {'what (CPU time)':<36} | median ms | best ms | p90 ms | target ms |")
    print(f"|{'-' * 38}|----------:|--------:|-------:|----------:|")
    medians = {}
    for (name, _, target), times in zip(rows, samples, strict=True):
        times.sort()
        median = statistics.median(times)
        medians[name] = median
        p90 = times[int(len(times) * 0.9) - 1]
        print(f"| {name:<36} | {median:9.2f} | {times[0]:7.2f} | {p90:6.2f} | {target:>9} |")
    ratio = medians["rewrite, 50 values"] / medians["regex floor, 50 values"]
    ratio_empty = medians["rewrite, no values"] / medians["regex floor, no values"]
    print(f"\nrewrite / regex floor: {ratio:.1f}x with values, {ratio_empty:.1f}x without")


if __name__ == "__main__":
    main()
