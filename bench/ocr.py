"""How much of glyphveil's protected text off-the-shelf OCR reads, at every noise level.

Run the full bench with ``make bench-ocr`` (it builds ``bench/.venv-ocr`` with the
project and the OCR packages of ``bench/requirements-ocr.txt``, and cuts the network
off where it can, to prove nothing is downloaded). By hand, from the repository root::

    bench/.venv-ocr/bin/python bench/ocr.py --quick            # ~60 strings, medium, 1-2 min
    bench/.venv-ocr/bin/python bench/ocr.py --quick --levels medium,high
    bench/.venv-ocr/bin/python bench/ocr.py --short 5 --count 300 --levels high  # short prices
    bench/.venv-ocr/bin/python bench/ocr.py                    # the full bench, ~10 min

The corpus (``bench/ocr_corpus.py``) is a third each of emails, phone numbers and prices
from a fixed seed, at 12-24 px, in every bundled font. Each string is rendered through
the service's own path: a token minted with ``tokens.encode`` under a bench key,
``tokens.decode``, ``render_text(text, options, seed, density)``, ``encode_image`` to PNG,
and the PNG bytes decoded again, so the attacks see exactly what is served. Every
noise level is drawn at density 1 and 2 (an attacker fetches whichever reads better).

The attacks (``bench/ocr_attacks.py``): Tesseract 5 raw, cleaned (3x, median, Otsu)
and with thin lines opened away; PP-OCRv4 raw and 2x; PP-OCRv6 full pipeline and
recognizer alone; PP-OCRv5 full pipeline (tier 1); then greyscale, median-filtered and
2x copies fed to the deep models (tier 2). To stay near 10 minutes on 2 cores:
- a string already read needs no further attack: an image's attacks stop at the
  first that reads it (so per-attack counts are "read by this attack, among images
  it ran on", with the number it ran on);
- tier 2 runs only on density-1 images that tier 1 did not read (its 2x copies
  stand in for the density-2 fetch; tier 1 attacks both);
- 2x copies are not made of density-2 images (they already have twice the pixels);
- ``--exhaustive`` runs every attack on every image instead (about three times longer).

Reported apart, with no target: a harvester who straightens the zigzag first (tier 2.5
in ``docs/protection.md``; ``ocr_attacks.straighten``, from the pixels alone), then runs
PP-OCRv6's recognizer, PP-OCRv6 and PP-OCRv4 on the straight line, on every image at
both densities (stopping at the first that reads it). ``--no-straighten`` skips it. Its
reads never count in the tables above it.

A string is **read** at a level when any attack on either density gives it exactly,
ignoring spaces and case, or gives its letters and digits in order. Also measured:
character error rate (CER, the best attack's, per string), render time and PNG bytes,
contrast of the text colour against the mean background, and whether fetching the
same token several times gives different images (it must not: averaging fetches then
gains nothing, because the rendering is deterministic per payload).

Flags: see ``--help``. ``--json`` saves every reading; ``--baseline`` prints a saved run
beside this one; ``--sheets DIR`` writes a contact sheet of 40 samples per level.
"""

from __future__ import annotations

import argparse
import inspect
import io
import json
import os
import resource
import socket
import statistics
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from ocr_attacks import ATTACKS, ENGINES, STRAIGHT, Attack, Attackers, attacks_for, flatten
from ocr_corpus import (
    CATEGORIES,
    Sample,
    build_corpus,
    character_error_rate,
    is_read,
    short_corpus,
)
from PIL import Image, ImageDraw, ImageFont

import tokens
from server.render.encode import encode_image
from server.render.text import render_text
from tokens.colors import contrast_ratio
from tokens.options import FONTS, Noise, RenderOptions

__all__ = ["Fetch", "Result", "fetch", "main"]

#: A fixed bench key, so every run renders the same images.
KEY = "glyphveil-ocr-bench-key-000000000000000000A"
SEED = 8
LEVELS = tuple(str(level) for level in Noise)
ROOT = Path(__file__).resolve().parents[1]


_TAKES_STYLE = "style" in inspect.signature(render_text).parameters


@dataclass(frozen=True, slots=True)
class Fetch:
    """One served image: the PNG bytes and what it cost to draw and encode them."""

    png: bytes = field(repr=False)
    seconds: float


def fetch(sample: Sample, level: str, density: int, keyring: tokens.KeyRing) -> Fetch:
    """The PNG the service serves for ``sample`` at ``level`` and ``density``.

    A token is minted and decoded as a website and the service would; the time
    covers drawing and PNG encoding, as on a cache miss, in CPU time of this thread
    (the wall clock of a shared machine says more about the neighbours).
    """
    token = tokens.encode(
        sample.text, keyring=keyring, font=sample.font, size=sample.size, noise=level
    )
    payload = tokens.decode(token, keyring=keyring)
    # as server/http/token_image.py calls it; the per-deployment style where there is one
    style = {"style": payload.style} if _TAKES_STYLE else {}
    start = time.thread_time()
    image = render_text(payload.text, payload.options, payload.seed, density, **style)
    png = encode_image(image, "png")
    return Fetch(png, time.thread_time() - start)


def _decoded(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    image.load()
    return image


def _contrast(image: Image.Image, sample: Sample) -> float:
    """The text colour's contrast against the mean of the pixels nearer the background
    than the text (the background with its speckle, without the glyphs and strokes)."""
    options = RenderOptions()  # the corpus keeps the default colours
    ink = np.array(options.color, dtype=float)
    paper = np.array(options.background or (255, 255, 255), dtype=float)
    pixels = np.asarray(flatten(image), dtype=float).reshape(-1, 3)
    background = pixels[
        np.linalg.norm(pixels - paper, axis=1) < np.linalg.norm(pixels - ink, axis=1)
    ]
    mean = tuple(round(v) for v in background.mean(axis=0)) if len(background) else paper
    return contrast_ratio(options.color, tuple(int(v) for v in mean))  # type: ignore[arg-type]


@dataclass(slots=True)
class Result:
    """One sample at one level and density: the image's figures and every reading."""

    index: int
    category: str
    text: str
    font: str
    size: int
    level: str
    density: int
    png_bytes: int
    render_ms: float
    contrast: float
    distinct_fetches: int
    readings: dict[str, str] = field(default_factory=dict)
    read_by: list[str] = field(default_factory=list)
    cer: dict[str, float] = field(default_factory=dict)
    straight_read_by: list[str] = field(default_factory=list)  # tier 2.5, apart


# -- the worker: one process per core, models loaded once ----------------------------

_attackers: Attackers | None = None


def _load(engines: Sequence[str]) -> None:
    global _attackers
    _attackers = Attackers(engines)


def _unavailable(engines: Sequence[str]) -> dict[str, str]:
    assert _attackers is not None
    return _attackers.unavailable


@dataclass(frozen=True, slots=True)
class _Job:
    samples: tuple[Sample, ...]
    levels: tuple[str, ...]
    densities: tuple[int, ...]
    fetches: int
    exhaustive: bool
    tier2: bool
    straighten: bool = True


def _attack_order(attacks: Iterable[Attack], tier: int, density: int) -> list[Attack]:
    """Deep models first (the strongest, cheapest to run one by one), Tesseract last (it
    is run once over many images). No 2x copies of a density-2 image."""
    chosen = [a for a in attacks if a.tier == tier and not (density > 1 and a.variant == "2x")]
    return sorted(chosen, key=lambda a: a.engine == "tesseract")


def _run_job(job: _Job) -> list[Result]:
    assert _attackers is not None
    keyring = tokens.KeyRing([KEY])
    results: list[Result] = []
    images: list[Image.Image] = []
    for sample in job.samples:
        for level in job.levels:
            for density in job.densities:
                times = job.fetches if density == 1 else 1  # @2x costs more to draw again
                fetches = [fetch(sample, level, density, keyring) for _ in range(times)]
                image = _decoded(fetches[0].png)
                distinct = len({f.png for f in fetches})
                if distinct > 1:  # never expected: then attack the average, as a scraper would
                    stack = np.mean([np.asarray(flatten(_decoded(f.png))) for f in fetches], 0)
                    image = Image.fromarray(stack.round().astype(np.uint8))
                results.append(
                    Result(
                        sample.index,
                        sample.category,
                        sample.text,
                        sample.font,
                        sample.size,
                        level,
                        density,
                        len(fetches[0].png),
                        1000 * min(f.seconds for f in fetches),
                        _contrast(image, sample),
                        distinct,
                    )
                )
                images.append(image)
    for tier in (1, 2) if job.tier2 else (1,):
        # tier 2 only where tier 1 failed, and only @1x (its 2x copy stands in for @2x)
        targets = [
            (result, image)
            for result, image in zip(results, images, strict=True)
            if tier == 1 or job.exhaustive or not (result.read_by or result.density > 1)
        ]
        for result, image in targets:
            for attack in _attack_order(_attackers.attacks, tier, result.density):
                if attack.engine == "tesseract":
                    continue
                if result.read_by and not job.exhaustive:
                    break  # a string already read needs no further attack
                _score(result, attack, _attackers.run(attack, image))
        # Tesseract last, one process over every image still unread (start-up dominates)
        for attack in _attack_order(_attackers.attacks, tier, 1):
            if attack.engine != "tesseract":
                continue
            todo = [(r, image) for r, image in targets if job.exhaustive or not r.read_by]
            readings = _attackers.run_many(attack, [image for _, image in todo])
            for (result, _), reading in zip(todo, readings, strict=True):
                _score(result, attack, reading)
    if job.straighten:  # tier 2.5: every image, whatever tiers 1 and 2 read
        straight = [a for a in _attackers.attacks if a.tier == 3]
        for result, image in zip(results, images, strict=True):
            for attack in straight:
                if result.straight_read_by and not job.exhaustive:
                    break
                _score(result, attack, _attackers.run(attack, image))
    return results


def _is_straight(name: str) -> bool:
    return name.endswith(f" {STRAIGHT}")


def _score(result: Result, attack: Attack, reading: str) -> None:
    result.readings[attack.name] = reading
    result.cer[attack.name] = character_error_rate(result.text, reading)
    if is_read(result.text, reading):
        (result.straight_read_by if attack.tier == 3 else result.read_by).append(attack.name)


# -- tables ---------------------------------------------------------------------------


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:5.1f}%" if whole else "    -"


def _strings_read(results: Sequence[Result]) -> dict[tuple[str, int], bool]:
    """(level, sample) -> read by any attack at any density."""
    read: dict[tuple[str, int], bool] = defaultdict(bool)
    for r in results:
        read[(r.level, r.index)] |= bool(r.read_by)
    return read


def _best_cer(results: Sequence[Result]) -> dict[tuple[str, int], float]:
    best: dict[tuple[str, int], float] = {}
    for r in results:
        value = min((v for k, v in r.cer.items() if not _is_straight(k)), default=1.0)
        key = (r.level, r.index)
        best[key] = min(best.get(key, 1.0), value)
    return best


def level_table(results: Sequence[Result], levels: Sequence[str]) -> list[str]:
    """Per level: strings read (any attack, any density), by category and density, the
    best attack's CER, render time, PNG bytes and contrast."""
    read, cer = _strings_read(results), _best_cer(results)
    lines = [
        f"{'level':<7} {'strings':>7} {'read':>7} {'email':>7} {'phone':>7} {'price':>7}"
        f" {'@1x':>7} {'@2x':>7} {'CER':>6} {'ms @1x':>7} {'ms @2x':>7}"
        f" {'B @1x':>7} {'B @2x':>7} {'contrast min':>12} {'fetches':>8}"
    ]
    for level in levels:
        rows = [r for r in results if r.level == level]
        if not rows:
            continue
        indexes = sorted({r.index for r in rows})
        by_category = {
            c: [i for i in indexes if any(r.index == i and r.category == c for r in rows)]
            for c in CATEGORIES
        }
        cells = [_pct(sum(read[(level, i)] for i in indexes), len(indexes))]
        cells += [
            _pct(sum(read[(level, i)] for i in by_category[c]), len(by_category[c]))
            for c in CATEGORIES
        ]
        for density in (1, 2):
            dense = [r for r in rows if r.density == density]
            cells.append(_pct(sum(bool(r.read_by) for r in dense), len(dense)))
        cells.append(f"{100 * statistics.fmean(cer[(level, i)] for i in indexes):5.1f}%")
        for density in (1, 2):
            dense = [r.render_ms for r in rows if r.density == density]
            cells.append(f"{statistics.median(dense):7.1f}" if dense else "      -")
        for density in (1, 2):
            dense = [r.png_bytes for r in rows if r.density == density]
            cells.append(f"{statistics.median(dense):7.0f}" if dense else "      -")
        distinct = max(r.distinct_fetches for r in rows)
        lines.append(
            f"{level:<7} {len(indexes):>7} "
            + " ".join(f"{c:>7}" for c in cells[:6])
            + f" {cells[6]:>6} "
            + " ".join(f"{c:>7}" for c in cells[7:])
            + f" {min(r.contrast for r in rows):11.2f}:1 {distinct:>5} img"
        )
    return lines


def attack_table(
    results: Sequence[Result], levels: Sequence[str], attacks: Sequence[Attack]
) -> list[str]:
    """Per attack and level: images read among those it ran on, and its mean CER there."""
    head = f"{'attack (tier)':<26}" + "".join(f" {level:>22}" for level in levels)
    lines = [head, f"{'':<26}" + "".join(f" {'read/ran  CER':>22}" for _ in levels)]
    for attack in attacks:
        cells = []
        for level in levels:
            ran = [r for r in results if r.level == level and attack.name in r.readings]
            hit = sum(attack.name in r.read_by + r.straight_read_by for r in ran)
            cer = statistics.fmean(r.cer[attack.name] for r in ran) if ran else float("nan")
            cells.append(f"{hit:>5}/{len(ran):<5} {cer:7.1%}" if ran else f"{'-':>22}")
        tier = "2.5" if attack.tier == 3 else attack.tier
        lines.append(f"{attack.name + f' ({tier})':<26}" + "".join(f" {c:>22}" for c in cells))
    return lines


def straight_table(results: Sequence[Result], levels: Sequence[str]) -> list[str]:
    """Per level, tier 2.5 (straighten, then OCR): strings read at either density, images
    read per density, and the best straightened attack's CER."""
    lines = [f"{'level':<7} {'strings':>7} {'read':>7} {'@1x':>7} {'@2x':>7} {'CER':>6}"]
    for level in levels:
        rows = [r for r in results if r.level == level and any(map(_is_straight, r.readings))]
        if not rows:
            continue
        read: dict[int, bool] = defaultdict(bool)
        cer: dict[int, float] = {}
        for r in rows:
            read[r.index] |= bool(r.straight_read_by)
            value = min(v for k, v in r.cer.items() if _is_straight(k))
            cer[r.index] = min(cer.get(r.index, 1.0), value)
        cells = [_pct(sum(read.values()), len(read))]
        for density in (1, 2):
            dense = [r for r in rows if r.density == density]
            cells.append(_pct(sum(bool(r.straight_read_by) for r in dense), len(dense)))
        lines.append(
            f"{level:<7} {len(read):>7} "
            + " ".join(f"{c:>7}" for c in cells)
            + f" {100 * statistics.fmean(cer.values()):5.1f}%"
        )
    return lines


def category_attack_table(
    results: Sequence[Result], levels: Sequence[str], attacks: Sequence[Attack]
) -> list[str]:
    """Per level and category: which attacks read how many strings (the first to read each)."""
    lines = []
    for level in levels:
        for category in CATEGORIES:
            rows = [r for r in results if r.level == level and r.category == category]
            if not rows:
                continue
            counts = {a.name: sum(a.name in r.read_by for r in rows) for a in attacks}
            hits = ", ".join(f"{name} {n}" for name, n in counts.items() if n)
            lines.append(f"{level:<7} {category:<6} images read: {hits or 'none'}")
    return lines


# -- contact sheets -------------------------------------------------------------------


def contact_sheet(samples: Sequence[Sample], level: str, path: Path) -> None:
    """40 samples at ``level``: each at 1x and at 2x (2x shown at its own pixels, as a
    high-density screen shows it at 100 % zoom), with the text it should read as."""
    keyring = tokens.KeyRing([KEY])
    label = ImageFont.truetype(str(ROOT / "fonts" / "DejaVuSans.ttf"), 12)
    rows = []
    for sample in samples:
        one = flatten(_decoded(fetch(sample, level, 1, keyring).png))
        two = flatten(_decoded(fetch(sample, level, 2, keyring).png))
        rows.append((sample, one, two))
    gap = 12
    captions = [f"{s.index:>3} {s.font} {s.size}px  {s.text}" for s in samples]
    text_width = gap + max(round(label.getlength(caption)) for caption in captions)
    one_width = max(one.width for _, one, _ in rows)
    two_width = max(two.width for _, _, two in rows)
    width = text_width + one_width + two_width + 4 * gap
    height = gap + sum(max(one.height, two.height) + gap for _, one, two in rows) + 20
    sheet = Image.new("RGB", (width, height), (236, 236, 236))
    draw = ImageDraw.Draw(sheet)
    draw.text((gap, 4), f"noise={level}: 1x | 2x", fill=(60, 60, 60), font=label)
    y = gap + 12
    for (_, one, two), caption in zip(rows, captions, strict=True):
        row_height = max(one.height, two.height)
        draw.text((gap, y + row_height / 2), caption, fill=(90, 90, 90), font=label, anchor="lm")
        sheet.paste(one, (text_width + gap, y + (row_height - one.height) // 2))
        sheet.paste(two, (text_width + one_width + 2 * gap, y + (row_height - two.height) // 2))
        y += row_height + gap
    sheet.convert("L").save(path, optimize=True)


# -- main -----------------------------------------------------------------------------


def _network_reachable() -> bool:
    """Whether this process can open a connection to the internet at all."""
    try:
        socket.create_connection(("pypi.org", 443), timeout=3).close()
    except OSError:
        return False
    return True


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Attack glyphveil's rendering with offline OCR at every noise level.",
        epilog=(
            "Quick check of a rendering change: bench/.venv-ocr/bin/python bench/ocr.py "
            "--quick --examples 10 (60 strings at medium, 1x and 2x; a few minutes on a busy "
            "machine). Faster still: --no-tier2, or --engines ppocr-v6,ppocr-v4. Save a run "
            "with --json before.json and print it beside the next with --baseline before.json."
        ),
    )
    parser.add_argument("--quick", action="store_true", help="60 strings at medium only")
    parser.add_argument("--count", type=int, help="corpus size, a multiple of 3 (default 300)")
    parser.add_argument("--seed", type=int, default=SEED, help=f"corpus seed (default {SEED})")
    parser.add_argument(
        "--short",
        type=int,
        metavar="N",
        help="only strings of at most N characters, --count of them (the short prices' floor)",
    )
    parser.add_argument(
        "--levels", help=f"comma-separated noise levels (default all: {','.join(LEVELS)})"
    )
    parser.add_argument("--densities", default="1,2", help="comma-separated (default 1,2)")
    parser.add_argument(
        "--engines", default=",".join(ENGINES), help=f"subset of {','.join(ENGINES)}"
    )
    parser.add_argument("--workers", type=int, default=2, help="processes (default 2)")
    parser.add_argument(
        "--fetches", type=int, default=2, help="fetches of each @1x image, to average (default 2)"
    )
    parser.add_argument("--no-tier2", action="store_true", help="skip the image variants")
    parser.add_argument(
        "--no-straighten", action="store_true", help="skip tier 2.5 (straighten, then OCR)"
    )
    parser.add_argument(
        "--exhaustive", action="store_true", help="every attack on every image, no early stop"
    )
    parser.add_argument("--examples", type=int, default=0, help="print N readings per level")
    parser.add_argument("--json", type=Path, help="save every reading to this file")
    parser.add_argument("--baseline", type=Path, help="a --json file to print beside this run")
    parser.add_argument(
        "--report", type=Path, nargs="+", help="print saved --json runs as one; attack nothing"
    )
    parser.add_argument("--sheets", type=Path, help="write ocr-sheet-<level>.png here")
    parser.add_argument("--sheet-size", type=int, default=40, help="samples per sheet")
    args = parser.parse_args(argv)
    args.count = args.count or (60 if args.quick else 300)
    wanted = args.levels.split(",") if args.levels else (["medium"] if args.quick else LEVELS)
    bad = [level for level in wanted if level not in LEVELS]
    if bad:
        parser.error(f"unknown level {', '.join(bad)}: use some of {','.join(LEVELS)}")
    args.levels = tuple(wanted)
    try:
        args.densities = tuple(int(d) for d in args.densities.split(","))
    except ValueError:
        parser.error(f"bad --densities {args.densities!r}: use e.g. 1,2")
    args.engines = tuple(args.engines.split(","))
    if unknown := [e for e in args.engines if e not in ENGINES]:
        parser.error(f"unknown engine {', '.join(unknown)}: use some of {','.join(ENGINES)}")
    if args.count <= 0 or (args.count % 3 and not args.short):
        parser.error(f"--count {args.count} must be a positive multiple of 3")
    if args.workers < 1 or args.fetches < 1:
        parser.error("--workers and --fetches must be at least 1")
    if args.short is not None and args.short < 1:
        parser.error(f"--short {args.short} must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> None:
    args = _parse_args(argv)
    if args.report:
        _report_saved(args.report, args.examples)
        return
    started = time.perf_counter()
    if args.short:
        samples = short_corpus(args.count, args.seed, FONTS, args.short)
        kinds = f"the first of at most {args.short} characters"
    else:
        samples = build_corpus(args.count, args.seed, FONTS)
        kinds = f"{len(samples) // 3} each of {', '.join(CATEGORIES)}"
    print(
        f"glyphveil OCR bench: {len(samples)} strings (seed {args.seed}; "
        f"{kinds}), fonts {', '.join(FONTS)}, "
        f"sizes 12-24 px, levels {', '.join(args.levels)}, densities "
        f"{', '.join(map(str, args.densities))}; {args.workers} processes"
    )
    network = _network_reachable()
    print(
        "network: reachable (models are still loaded from the installed packages; run "
        "under `make bench-ocr` to cut it off)"
        if network
        else "network: unreachable from this process, so every model came from the wheels"
    )
    chunk = max(1, 16 // (len(args.levels) * len(args.densities)))  # ~16 images a job
    jobs = [
        _Job(
            tuple(samples[i : i + chunk]),
            args.levels,
            args.densities,
            args.fetches,
            args.exhaustive,
            not args.no_tier2,
            not args.no_straighten,
        )
        for i in range(0, len(samples), chunk)
    ]
    results: list[Result] = []
    with ProcessPoolExecutor(args.workers, initializer=_load, initargs=(args.engines,)) as pool:
        unavailable = pool.submit(_unavailable, args.engines).result()
        loaded = time.perf_counter()
        for engine, error in unavailable.items():
            print(f"ENGINE UNAVAILABLE {engine}: {error}")
        for done, batch in enumerate(pool.map(_run_job, jobs), start=1):
            results.extend(batch)
            if done % max(1, len(jobs) // 10) == 0:
                print(
                    f"  {done}/{len(jobs)} chunks, {time.perf_counter() - started:.0f} s",
                    flush=True,
                )
    attacks = [a for a in attacks_for(args.engines) if a.engine not in _engines_of(unavailable)]
    elapsed = time.perf_counter() - started
    children = resource.getrusage(resource.RUSAGE_CHILDREN)  # the workers and Tesseract
    cpu = children.ru_utime + children.ru_stime
    _report(results, args, attacks, elapsed, loaded - started, cpu)
    if args.json:
        saved = {
            "args": {
                "count": args.count,
                "seed": args.seed,
                "levels": args.levels,
                "densities": args.densities,
                "fonts": FONTS,
                "fetches": args.fetches,
                "workers": args.workers,
                "exhaustive": args.exhaustive,
            },
            "seconds": elapsed,
            "loading": loaded - started,
            "cpu": cpu,
            "unavailable": unavailable,
            "results": [asdict(r) for r in results],
        }
        args.json.write_text(json.dumps(saved, ensure_ascii=False, indent=0))
        print(f"wrote {args.json}")
    if args.baseline:
        saved = json.loads(args.baseline.read_text())
        before = [Result(**r) for r in saved["results"]]
        print(f"\nBaseline {args.baseline} (took {saved['seconds']:.0f} s):")
        print("\n".join(level_table(before, args.levels)))
    if args.sheets:
        args.sheets.mkdir(parents=True, exist_ok=True)
        chosen = samples[: args.sheet_size]
        for level in args.levels:
            path = args.sheets / f"ocr-sheet-{level}.png"
            contact_sheet(chosen, level, path)
            print(f"wrote {path}")


def _report_saved(paths: Sequence[Path], examples: int) -> None:
    """Print the tables of runs saved with ``--json`` as one run (e.g. levels run apart)."""
    runs = [json.loads(path.read_text()) for path in paths]
    results = [Result(**r) for run in runs for r in run["results"]]
    wanted = {r.level for r in results}
    first = runs[0]["args"]
    args = argparse.Namespace(
        levels=tuple(level for level in LEVELS if level in wanted),
        fetches=first["fetches"],
        exhaustive=first["exhaustive"],
        workers=first["workers"],
        examples=examples,
    )
    names = {name for r in results for name in r.readings}
    attacks = [attack for attack in ATTACKS if attack.name in names]
    print(f"Saved runs: {', '.join(map(str, paths))}")
    for run in runs:
        for engine, error in run["unavailable"].items():
            print(f"ENGINE UNAVAILABLE {engine}: {error}")
    _report(
        results,
        args,
        attacks,
        sum(run["seconds"] for run in runs),
        sum(run["loading"] for run in runs),
        sum(run["cpu"] for run in runs),
    )


def _engines_of(unavailable: dict[str, str]) -> set[str]:
    gone = set(unavailable)
    if "ppocr-v6" in gone:
        gone.add("ppocr-v6-rec")
    return gone


def _report(
    results: Sequence[Result],
    args: argparse.Namespace,
    attacks: Sequence[Attack],
    elapsed: float,
    loading: float,
    cpu: float,
) -> None:
    print(
        f"\nRead: any attack, either density, gives the string ignoring spaces and case, "
        f"or its letters and digits in order. CER: the best attack's, per string."
        f"\nms and B: median render+encode CPU time and PNG size; contrast: text colour against "
        f"the mean background; fetches: distinct images among {args.fetches} fetches @1x."
    )
    print("\n".join(level_table(results, args.levels)))
    print(
        "\nPer attack (tier 1 on every image, tier 2 only @1x where tier 1 read nothing"
        + ("" if args.exhaustive else "; an image's attacks stop at the first read")
        + "; no 2x copies of @2x images):"
    )
    print("\n".join(attack_table(results, args.levels, attacks)))
    print("\nWho read what, per level and category (images, both densities):")
    plain = [a for a in attacks if a.tier != 3]
    print("\n".join(category_attack_table(results, args.levels, plain)))
    if any(_is_straight(name) for r in results for name in r.readings):
        print(
            "\nTier 2.5, reported apart (no target): the zigzag straightened from the pixels "
            "(ocr_attacks.straighten), then PP-OCRv6 rec, PP-OCRv6 and PP-OCRv4, every image:"
        )
        print("\n".join(straight_table(results, args.levels)))
    distinct = max(r.distinct_fetches for r in results)
    fetched = sum(r.density == 1 for r in results)
    print(
        f"\nAveraging fetches: {args.fetches} fetches of each of {fetched} @1x images gave "
        f"{distinct} distinct image{'s' if distinct > 1 else ''} each"
        + (
            ": the average is the image itself, so averaging gains nothing."
            if distinct == 1
            else ": NOT deterministic; the average was attacked instead."
        )
    )
    if args.examples:
        for level in args.levels:
            rows = [r for r in results if r.level == level and r.density == 1][: args.examples]
            print(f"\nExamples at {level} (@1x, best reading):")
            for r in rows:
                name, best = min(r.cer.items(), key=lambda item: item[1])
                mark = "READ" if r.read_by else "    "
                print(f"  {mark} {r.text!r:34} {r.readings[name]!r:34} {name} CER {best:.0%}")
    print(
        f"\n{len(results)} images attacked in {elapsed:.0f} s ({loading:.0f} s loading models)"
        f" on {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; the workers used "
        f"{cpu:.0f} CPU-seconds, {cpu / args.workers / 60:.1f} min on {args.workers} idle cores"
    )


if __name__ == "__main__":
    main()
