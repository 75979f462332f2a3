"""How much of glyphveil's text survives the noise: a recognizer trained on the renderer.

A harvester who targets glyphveil renders unlimited labelled images with this open
renderer under keys of their own and trains a reader on them. This bench does exactly
that, and reads the result two ways: as the cost of that attack (images and CPU
minutes to reach 50 % and 90 % read), and as a measure of legibility (characters the
trained reader still confuses are characters the noise destroyed).

Run it with ``make bench-legibility`` (it builds ``bench/.venv-legibility`` with the
project, a CPU build of torch and numpy from ``bench/requirements-legibility.txt``, and
runs under ``nice``). By hand, from the repository root::

    bench/.venv-legibility/bin/python bench/legibility.py               # the full bench
    bench/.venv-legibility/bin/python bench/legibility.py --quick       # a short check
    bench/.venv-legibility/bin/python bench/legibility.py --sheets docs # + contact sheets
    bench/.venv-legibility/bin/python bench/legibility.py --eval-only   # test the cached model

What it does:

1. Fingerprints the rendering (PNGs of a few strings at every level, density and
   family). A model trained on this very rendering in ``bench/.cache-legibility/`` is
   loaded and training is skipped; if only an older rendering's model is there, it is
   fine-tuned (the output says so); else training starts from scratch.
2. Trains a small CRNN (convolutions, a bidirectional LSTM, CTC; 0.49 M parameters,
   reading images 64 px high at width / 2) on images from the service's own path
   (``legibility_suite.render``), rendered by a worker process while it trains:
   each image a fresh string (half OCR-corpus emails, phones and prices, half random
   strings rich in confusable characters) under a fresh random key, at every level,
   size and density. Every batch is rendered anew, so "images" is both what was
   rendered and what was trained on. Every 2,048 images it reads a validation set of
   held-out keys and strings; training stops when that reading has not improved for
   six rounds (early stopping), and the best model is kept.
3. Tests on held-out keys *and* held-out strings (the OCR corpus from another seed,
   never drawn in training): per level and density, exact-read rate (the whole string,
   spaces and case included), character error rate, and the commonest confusions.
4. Reads the fixed suite of confusable strings (``legibility_suite.suite``) in every
   font a level mixes, and reports each confusable pair's rate per occurrence against
   the targets (no pair above 0.5 %, 99 % of strings read exactly per level and
   density).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from legibility_suite import (
    CHARSET,
    INPUT_HEIGHT,
    LEVELS,
    LOST,
    Item,
    Scores,
    contact_sheet,
    fingerprint,
    held_out_items,
    model_input,
    pair_rates,
    render,
    suite,
    suite_items,
    training_items,
    validation_items,
)
from ocr_corpus import is_read
from PIL import Image
from torch import nn

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "bench" / ".cache-legibility"
BATCH = 16
#: The first images of a from-scratch run favour the easy levels (a curriculum): the
#: model learns the letters before it learns to read them through the noise.
WARM_UP, EASY = 6144, {"none": 0.35, "low": 0.35, "medium": 0.15, "high": 0.15}
EVAL_EVERY = 2048
#: The targets of the suite (docs/legibility.md).
EXACT_TARGET, PAIR_TARGET = 0.99, 0.005


#: Columns of the image per column the recognizer reads (one CTC step).
STRIDE = 2
#: Bumped when the recognizer's layers change: a cached model of another architecture
#: cannot be loaded, so training starts from scratch.
ARCHITECTURE = "crnn-64-s2"


class Recognizer(nn.Module):
    """A small CRNN: five 3x3 convolutions (height / 8, width / 2), a linear
    projection, a bidirectional LSTM and a per-column classifier for CTC.

    Width / 2 gives a narrow glyph (``l``, ``.``, ``,``) two or three columns at least:
    CTC needs a blank between two equal characters (``ll``, ``..``), and at width / 4
    such pairs had too few columns to be written at all."""

    def __init__(self, classes: int, height: int = INPUT_HEIGHT) -> None:
        super().__init__()

        def block(a: int, b: int) -> list[nn.Module]:
            return [nn.Conv2d(a, b, 3, padding=1, bias=False), nn.BatchNorm2d(b), nn.ReLU()]

        self.cnn = nn.Sequential(
            *block(1, 16),
            nn.MaxPool2d(2),
            *block(16, 32),
            nn.MaxPool2d((2, 1)),
            *block(32, 48),
            *block(48, 64),
            nn.MaxPool2d((2, 1)),
            *block(64, 96),
        )
        rows = height // 8
        self.pool = nn.AdaptiveMaxPool2d((rows, None))
        self.project = nn.Linear(96 * rows, 128)
        self.rnn = nn.LSTM(128, 128, batch_first=True, bidirectional=True)
        self.out = nn.Linear(256, classes + 1)  # class 0 is CTC's blank

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        features = self.pool(self.cnn(x))
        b, c, h, w = features.shape
        columns = features.permute(0, 3, 1, 2).reshape(b, w, c * h)
        sequence, _ = self.rnn(torch.relu(self.project(columns)))
        return self.out(sequence)  # (batch, width / STRIDE, classes + 1)


def _tensor(images: Sequence[Image.Image]) -> tuple[torch.Tensor, torch.Tensor]:
    """A batch padded to its widest image (a multiple of STRIDE), and each one's columns."""
    arrays = [np.asarray(image, dtype=np.uint8) for image in images]
    width = -(-max(a.shape[1] for a in arrays) // STRIDE) * STRIDE
    batch = np.zeros((len(arrays), 1, arrays[0].shape[0], width), dtype=np.float32)
    for n, array in enumerate(arrays):
        batch[n, 0, :, : array.shape[1]] = array / 255.0
    lengths = torch.tensor([a.shape[1] // STRIDE for a in arrays], dtype=torch.long)
    return torch.from_numpy(batch), lengths


_INDEX = {char: n + 1 for n, char in enumerate(CHARSET)}


def _greedy(logits: torch.Tensor, lengths: torch.Tensor) -> list[str]:
    """CTC best path: the likeliest class per column, repeats merged, blanks dropped."""
    best = logits.argmax(-1).tolist()
    texts = []
    for row, length in zip(best, lengths.tolist(), strict=True):
        chars, previous = [], 0
        for label in row[:length]:
            if label and label != previous:
                chars.append(CHARSET[label - 1])
            previous = label
        texts.append("".join(chars))
    return texts


def read(model: Recognizer, images: Sequence[Image.Image], batch: int = 64) -> list[str]:
    """The model's readings of ``images`` (model inputs), in order."""
    model.eval()
    order = sorted(range(len(images)), key=lambda n: images[n].width)
    readings = [""] * len(images)
    with torch.no_grad():
        for start in range(0, len(order), batch):
            chunk = order[start : start + batch]
            x, lengths = _tensor([images[n] for n in chunk])
            for n, text in zip(chunk, _greedy(model(x), lengths), strict=True):
                readings[n] = text
    return readings


def _inputs(items: Sequence[Item]) -> list[Image.Image]:
    return [model_input(render(item)) for item in items]


# -- training -------------------------------------------------------------------------


@dataclass(slots=True)
class Point:
    """One point of the learning curve: after ``images`` training images."""

    images: int
    cpu_minutes: float  # rendering and training, this process
    wall_minutes: float
    exact: float  # validation, all levels
    cer: float
    by_level: dict[str, float] = field(default_factory=dict)  # validation exact per level
    lr: float = 0.0
    loss: float = 0.0  # mean CTC loss of the training batches since the last point


@dataclass(slots=True)
class Checkpoint:
    """A trained model with how it came to be (saved in the cache per rendering)."""

    fingerprint: str
    state: dict[str, Any]
    curve: list[Point]  # this rendering's training (or fine-tuning)
    parent: str = ""  # the rendering fine-tuned from, "" if trained from scratch
    scratch_curve: list[Point] = field(default_factory=list)  # the first from-scratch run
    charset: str = CHARSET
    height: int = INPUT_HEIGHT
    architecture: str = ARCHITECTURE

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        torch.save(
            {
                "fingerprint": self.fingerprint,
                "state": self.state,
                "curve": [vars_of(p) for p in self.curve],
                "parent": self.parent,
                "scratch_curve": [vars_of(p) for p in self.scratch_curve],
                "charset": self.charset,
                "height": self.height,
                "architecture": self.architecture,
                "torch": str(torch.__version__),
            },
            path.with_suffix(".tmp"),
        )
        path.with_suffix(".tmp").replace(path)

    @classmethod
    def load(cls, path: Path) -> Checkpoint:
        saved = torch.load(path, weights_only=True)
        return cls(
            saved["fingerprint"],
            saved["state"],
            [Point(**p) for p in saved["curve"]],
            saved["parent"],
            [Point(**p) for p in saved["scratch_curve"]],
            saved["charset"],
            saved["height"],
            saved.get("architecture", ""),
        )


def vars_of(point: Point) -> dict[str, Any]:
    return {name: getattr(point, name) for name in Point.__slots__}  # type: ignore[attr-defined]


def _evaluate(model: Recognizer, inputs: list[Image.Image], items: Sequence[Item]) -> Point:
    readings = read(model, inputs)
    total = Scores()
    levels: dict[str, Scores] = {}
    for item, reading in zip(items, readings, strict=True):
        total.add(item.text, reading)
        levels.setdefault(item.level, Scores()).add(item.text, reading)
    return Point(
        0, 0.0, 0.0, total.exact_rate, total.cer, {k: v.exact_rate for k, v in levels.items()}
    )


#: Images, their columns, the targets in a row, their lengths; the worker that rendered
#: the batch and the CPU seconds it has spent so far.
Batch = tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor, int, float]


#: CPU seconds each rendering worker has spent, as its last batch reported.
_WORKER_CPU: dict[int, float] = {}


def _cpu_minutes() -> float:
    """CPU minutes of this process and of the rendering workers (the attack's cost)."""
    return (time.process_time() + sum(_WORKER_CPU.values())) / 60


class TrainingBatches(torch.utils.data.IterableDataset[Batch]):
    """Endless training batches, rendered in worker processes while the model trains
    (rendering costs about as much CPU as a training step: two cores, twice the images).

    Each worker draws its own strings and keys from ``seed``, the images trained so far
    and its number; the first :data:`WARM_UP` images favour the easy levels."""

    def __init__(
        self, seed: int, start: int, excluded: frozenset[str], warm_up: bool, workers: int
    ) -> None:
        self.seed, self.start, self.excluded = seed, start, excluded
        self.warm_up, self.workers = warm_up, max(1, workers)

    def __iter__(self) -> Iterator[Batch]:
        info = torch.utils.data.get_worker_info()
        worker = info.id if info is not None else 0
        spent = time.process_time if info is not None else lambda: 0.0  # in-process: counted
        rng = random.Random(f"{self.seed} {self.start} {worker}")
        images = self.start
        while True:
            easy = EASY if self.warm_up and images < WARM_UP else None
            items = training_items(rng, BATCH, self.excluded, easy)
            x, lengths = _tensor(_inputs(items))
            targets = [torch.tensor([_INDEX[c] for c in item.text]) for item in items]
            target_lengths = torch.tensor([len(t) for t in targets])
            yield x, lengths, torch.cat(targets), target_lengths, worker, spent()
            images += BATCH * self.workers


def train(
    model: Recognizer,
    args: argparse.Namespace,
    excluded: frozenset[str],
    save: Any,
    warm_up: bool = True,
    before: Sequence[Point] = (),
) -> list[Point]:
    """Train on fresh images until the validation reading stops improving; the model
    ends with the best weights seen. Prints and returns the learning curve, continuing
    ``before`` (the curve so far of a model trained further) if given."""
    last = before[-1] if before else Point(0, 0.0, 0.0, 0.0, 1.0)
    validation = validation_items(args.validation)
    validation_inputs = _inputs(validation)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    ctc = nn.CTCLoss(blank=0, zero_infinity=True)
    _WORKER_CPU.clear()
    cpu0 = _cpu_minutes() - last.cpu_minutes
    wall0 = time.perf_counter() - 60 * last.wall_minutes
    curve: list[Point] = list(before)
    best_exact, best_cer, best_state, stale = -1.0, 2.0, None, 0
    images = last.images
    losses: list[float] = []

    def checkpoint() -> None:
        """Read the validation set; keep the weights if the reading improved (more
        strings exact, or fewer characters wrong: early on only the CER moves)."""
        nonlocal best_exact, best_cer, best_state, stale
        point = _evaluate(model, validation_inputs, validation)
        point.images = images
        point.cpu_minutes = _cpu_minutes() - cpu0
        point.wall_minutes = (time.perf_counter() - wall0) / 60
        point.lr = optimizer.param_groups[0]["lr"]
        point.loss = sum(losses) / len(losses) if losses else 0.0
        losses.clear()
        curve.append(point)
        improved = point.exact > best_exact + 0.002 or point.cer < best_cer - 0.002
        print(_curve_row(point) + ("" if improved else "  (no better)"), flush=True)
        if improved:
            best_exact, best_cer = max(best_exact, point.exact), min(best_cer, point.cer)
            stale = 0
            best_state = {k: v.clone() for k, v in model.state_dict().items()}
            save(best_state, curve)
        elif point.cer < 0.95:  # CTC first learns to write nothing: no patience lost then
            stale += 1
            if stale % 3 == 0:  # halve the step when the reading stalls
                for group in optimizer.param_groups:
                    group["lr"] /= 2

    def _step_and_check(batch: Batch) -> bool:
        """One training step; at each round, read the validation set and tell
        whether to stop."""
        nonlocal images
        model.train()
        x, lengths, targets, target_lengths, worker, worker_cpu = batch
        _WORKER_CPU[worker] = worker_cpu
        logits = model(x).log_softmax(-1).permute(1, 0, 2)  # (time, batch, classes)
        loss = ctc(logits, targets, lengths, target_lengths)
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        optimizer.step()
        losses.append(loss.item())
        images += len(lengths)
        if images % EVAL_EVERY < BATCH:
            checkpoint()
            spent = _cpu_minutes() - cpu0
            if stale >= args.patience:
                print(f"stopped: no better reading for {args.patience} rounds")
                return True
            if images >= args.max_images or spent >= args.max_cpu_minutes:
                print(f"stopped at the budget ({images} images, {spent:.1f} CPU-min)")
                return True
        return False

    print(_curve_head())
    for point in before:
        print(_curve_row(point))
    checkpoint()
    batches = TrainingBatches(args.seed, last.images, excluded, warm_up, args.workers)
    loader = torch.utils.data.DataLoader(batches, batch_size=None, num_workers=args.workers)
    try:
        for batch in loader:
            if _step_and_check(batch):
                break
    except KeyboardInterrupt:  # Ctrl-C: test the best model so far
        print(f"stopped by hand after {images} images; testing the best model so far")
    assert best_state is not None
    model.load_state_dict(best_state)
    return curve


def _curve_head() -> str:
    return (
        f"{'images':>8} {'CPU-min':>8} {'wall-min':>8} {'exact':>7} {'CER':>6}"
        + "".join(f" {level:>7}" for level in LEVELS)
        + f" {'lr':>8} {'loss':>6}"
    )


def _curve_row(point: Point) -> str:
    return (
        f"{point.images:>8} {point.cpu_minutes:8.1f} {point.wall_minutes:8.1f}"
        f" {point.exact:7.1%} {point.cer:6.1%}"
        + "".join(f" {point.by_level.get(level, 0.0):7.1%}" for level in LEVELS)
        + f" {point.lr:8.1e} {point.loss:6.2f}"
    )


def reached(curve: Sequence[Point], share: float, level: str = "medium") -> Point | None:
    """The first point of ``curve`` where ``level`` was read exactly at least ``share``."""
    return next((p for p in curve if p.by_level.get(level, 0.0) >= share), None)


# -- reports --------------------------------------------------------------------------


def _pct(value: float) -> str:
    return f"{100 * value:5.1f}%"


def _show(text: str) -> str:
    return text.replace(" ", "␠") if text else LOST


def _mistakes(scores: Scores, count: int) -> str:
    return ", ".join(
        f"{_show(a)}→{_show(b) if b != LOST else LOST} {n} ({rate:.1%})"
        for a, b, n, rate in scores.top(count)
    )


def held_out_report(model: Recognizer, count: int, levels: Sequence[str]) -> dict[str, Any]:
    items = held_out_items(count, levels=levels)
    readings = read(model, _inputs(items))
    table: dict[tuple[str, int], Scores] = {}
    for item, reading in zip(items, readings, strict=True):
        table.setdefault((item.level, item.density), Scores()).add(item.text, reading)
    print(
        f"\nHeld-out keys and strings: {count} OCR-corpus strings (seed of the test set), each "
        "at every level and density; exact = the whole string, spaces and case included; "
        "read = the OCR bench's rule (letters and digits in order, or equal ignoring spaces "
        "and case)."
    )
    print(
        f"{'level':<7} {'density':>7} {'strings':>7} {'exact':>7} {'read':>7} {'CER':>6}"
        "  commonest mistakes"
    )
    out = {}
    for (level, density), scores in table.items():
        lenient = sum(is_read(t, r) for t, r in scores.readings) / scores.strings
        print(
            f"{level:<7} {'@' + str(density) + 'x':>7} {scores.strings:>7} "
            f"{_pct(scores.exact_rate):>7} {_pct(lenient):>7} {_pct(scores.cer):>6}  "
            f"{_mistakes(scores, 6)}"
        )
        out[f"{level}@{density}x"] = {
            "strings": scores.strings,
            "exact": scores.exact_rate,
            "read": lenient,
            "cer": scores.cer,
            "mistakes": scores.top(20),
            "misread": [(t, r) for t, r in scores.readings if t != r][:40],
        }
    return out


def suite_report(model: Recognizer, levels: Sequence[str]) -> dict[str, Any]:
    entries = suite()
    print(
        f"\nConfusable suite: {len(entries)} strings, each in every font a level mixes "
        f"(targets: {EXACT_TARGET:.0%} read exactly, no pair above {PAIR_TARGET:.1%} of its "
        "occurrences)."
    )
    print(
        f"{'level':<7} {'density':>7} {'images':>6} {'exact':>7} {'CER':>6} {'pairs over':>10}"
        "  worst pairs (a→b: times/occurrences)"
    )
    out: dict[str, Any] = {}
    everything = Scores()
    for level in levels:
        for density in (1, 2):
            items = suite_items(level, density)
            readings = read(model, _inputs(items))
            scores = Scores()
            for item, reading in zip(items, readings, strict=True):
                scores.add(item.text, reading)
                everything.add(item.text, reading)
            pairs = pair_rates(scores.readings)
            over = [p for p in pairs if p.rate > PAIR_TARGET]
            worst = ", ".join(
                f"{_show(p.a)}→{_show(p.b)} {p.mistaken}/{p.occurrences}"
                for p in pairs[:5]
                if p.mistaken
            )
            verdict = "ok" if scores.exact_rate >= EXACT_TARGET and not over else "MISSED"
            print(
                f"{level:<7} {'@' + str(density) + 'x':>7} {scores.strings:>6} "
                f"{_pct(scores.exact_rate):>7} {_pct(scores.cer):>6} {len(over):>10}  "
                f"{worst or '-'}  [{verdict}]"
            )
            out[f"{level}@{density}x"] = {
                "images": scores.strings,
                "exact": scores.exact_rate,
                "cer": scores.cer,
                "pairs": [(p.a, p.b, p.mistaken, p.occurrences) for p in pairs if p.mistaken],
                "misread": [(t, r) for t, r in scores.readings if t != r][:60],
            }
    pairs = [p for p in pair_rates(everything.readings) if p.mistaken]
    print("\nConfusable pairs over the whole suite, every level and density (a read as b):")
    for p in pairs[:25]:
        print(
            f"  {_show(p.a):>3} → {_show(p.b):<3} {p.mistaken:>5}/{p.occurrences:<6} {p.rate:6.1%}"
        )
    groups = Counter(e.group for e in entries)
    print("Suite groups: " + ", ".join(f"{g} ({n})" for g, n in groups.items()))
    return out


def _summary(checkpoint: Checkpoint) -> None:
    curve = checkpoint.scratch_curve or checkpoint.curve
    print("\nCost of the attack (from-scratch training, medium, validation on held-out keys):")
    for share in (0.5, 0.9):
        point = reached(curve, share)
        if point is None:
            best = max((p.by_level.get("medium", 0.0) for p in curve), default=0.0)
            print(f"  {share:.0%} read: not reached (best {best:.1%})")
        else:
            print(
                f"  {share:.0%} read: after {point.images} images, "
                f"{point.cpu_minutes:.1f} CPU-min ({point.wall_minutes:.1f} min wall)"
            )


# -- main -----------------------------------------------------------------------------


def _fitting(path: Path) -> Checkpoint | None:
    """The checkpoint at ``path`` if there is one this recognizer can load: a model of
    another charset, input height or architecture is set aside (training starts afresh)."""
    if not path.exists():
        return None
    checkpoint = Checkpoint.load(path)
    if (checkpoint.charset, checkpoint.height, checkpoint.architecture) != (
        CHARSET,
        INPUT_HEIGHT,
        ARCHITECTURE,
    ):
        print(f"{_shown(path)} has another charset, height or architecture: not used")
        return None
    return checkpoint


def _shown(path: Path) -> str:
    """``path`` relative to the repository when it lies inside it."""
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Train a recognizer on glyphveil's renderer; report what it reads.",
        epilog=(
            "A rerun on the same rendering loads the cached model (a few minutes). "
            "--quick: a short check (budget 6 CPU-min, 60 test strings)."
        ),
    )
    parser.add_argument("--quick", action="store_true", help="small budget and test set")
    parser.add_argument("--retrain", action="store_true", help="ignore the cache: from scratch")
    parser.add_argument(
        "--more", action="store_true", help="train the cached model of this rendering further"
    )
    parser.add_argument("--eval-only", action="store_true", help="never train; need a cached model")
    parser.add_argument("--test", type=int, help="test strings, multiple of 3 (default 300)")
    parser.add_argument("--validation", type=int, default=480, help="validation images")
    parser.add_argument("--levels", help=f"comma-separated (default {','.join(LEVELS)})")
    parser.add_argument("--max-images", type=int, help="training budget in images")
    parser.add_argument("--max-cpu-minutes", type=float, help="training budget in CPU-minutes")
    parser.add_argument("--patience", type=int, default=6, help="rounds without improvement")
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--seed", type=int, default=1, help="training seed")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    parser.add_argument(
        "--workers", type=int, default=1, help="processes rendering training images (default 1)"
    )
    parser.add_argument("--cache", type=Path, default=CACHE)
    parser.add_argument("--json", type=Path, help="save the figures to this file")
    parser.add_argument("--sheets", type=Path, help="write the suite's contact sheets here")
    parser.add_argument("--sheets-only", action="store_true", help="only the contact sheets")
    args = parser.parse_args(argv)
    args.test = args.test or (60 if args.quick else 300)
    args.max_images = args.max_images or (12_000 if args.quick else 400_000)
    args.max_cpu_minutes = args.max_cpu_minutes or (6.0 if args.quick else 180.0)
    if args.quick:
        args.validation = min(args.validation, 160)
    wanted = args.levels.split(",") if args.levels else list(LEVELS)
    if bad := [level for level in wanted if level not in LEVELS]:
        parser.error(f"unknown level {', '.join(bad)}: use some of {','.join(LEVELS)}")
    args.levels = tuple(wanted)
    if args.test <= 0 or args.test % 3:
        parser.error(f"--test {args.test} must be a positive multiple of 3")
    return args


def _sheets(args: argparse.Namespace) -> None:
    args.sheets.mkdir(parents=True, exist_ok=True)
    for level in (level for level in args.levels if level != "none"):
        for density in (1, 2):
            path = args.sheets / f"legibility-sheet-{level}-{density}x.png"
            contact_sheet(level, density, path, per_row=4 if density == 1 else 2)
            print(f"wrote {path} ({path.stat().st_size // 1024} KiB)")


def main(argv: Sequence[str] | None = None) -> None:
    args = _parse_args(argv)
    if args.sheets_only:
        if not args.sheets:
            raise SystemExit("--sheets-only needs --sheets DIR")
        _sheets(args)
        return
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    started, cpu_started = time.perf_counter(), time.process_time()
    print(
        f"glyphveil legibility bench: torch {torch.__version__}, numpy {np.__version__}, "
        f"Python {platform.python_version()}, {args.threads} threads, "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )
    print_fp = fingerprint()
    model = Recognizer(len(CHARSET))
    parameters = sum(p.numel() for p in model.parameters())
    print(f"rendering fingerprint {print_fp}; recognizer: {parameters:,} parameters")
    own = args.cache / f"model-{print_fp}.pt"
    latest = args.cache / "latest"
    excluded = frozenset(
        [i.text for i in held_out_items(args.test, levels=("none",), densities=(1,))]
        + [i.text for i in validation_items(args.validation)]
        + [e.text for e in suite()]
    )
    checkpoint: Checkpoint | None = None
    parent: Checkpoint | None = None
    if not args.retrain:
        checkpoint = _fitting(own)
        if checkpoint is not None:
            model.load_state_dict(checkpoint.state)
            last = checkpoint.curve[-1] if checkpoint.curve else None
            spent = f" ({last.images} images, {last.cpu_minutes:.1f} CPU-min)" if last else ""
            print(f"cached model for this rendering: {_shown(own)}{spent}")
        elif latest.exists():
            parent = _fitting(args.cache / f"model-{latest.read_text().strip()}.pt")
    if checkpoint is None and args.eval_only:
        raise SystemExit("--eval-only: no cached model for this rendering")
    if checkpoint is None or args.more:
        if checkpoint is not None:
            print("training the cached model further (--more)")
            parent_fp, scratch = checkpoint.parent, checkpoint.scratch_curve
            before = checkpoint.curve
        elif parent is not None:
            model.load_state_dict(parent.state)
            print(
                f"the rendering changed since {parent.fingerprint}: FINE-TUNING its model "
                "(not from scratch); the attack's cost below is that model's from-scratch curve"
            )
            parent_fp, scratch = parent.fingerprint, parent.scratch_curve or parent.curve
            before = []
        else:
            print("no cached model: training from scratch")
            parent_fp, scratch, before = "", [], []

        def save(state: dict[str, Any], curve: list[Point]) -> None:
            Checkpoint(print_fp, state, list(curve), parent_fp, scratch).save(own)
            latest.write_text(print_fp + "\n")

        print(
            f"\nLearning curve (validation: {args.validation} images, held-out keys and "
            "strings; exact per level):"
        )
        warm_up = not parent_fp and checkpoint is None
        curve = train(model, args, excluded, save, warm_up, before)
        checkpoint = Checkpoint.load(own)
        model.load_state_dict(checkpoint.state)
        checkpoint.curve = curve
        if not parent_fp:  # trained from scratch, maybe further since: the attack's cost
            checkpoint.scratch_curve = curve
        checkpoint.save(own)
    else:
        print("\nLearning curve of the cached model:")
        print(_curve_head())
        for point in checkpoint.curve:
            print(_curve_row(point))
    _summary(checkpoint)
    figures = {
        "fingerprint": print_fp,
        "parent": checkpoint.parent,
        "parameters": parameters,
        "torch": str(torch.__version__),
        "curve": [vars_of(p) for p in checkpoint.curve],
        "scratch_curve": [vars_of(p) for p in checkpoint.scratch_curve],
        "test": held_out_report(model, args.test, args.levels),
        "suite": suite_report(model, args.levels),
    }
    if args.json:
        args.json.write_text(json.dumps(figures, ensure_ascii=False, indent=1))
        print(f"wrote {args.json}")
    if args.sheets:
        _sheets(args)
    print(
        f"\n{(time.perf_counter() - started) / 60:.1f} min wall, "
        f"{(time.process_time() - cpu_started) / 60:.1f} CPU-min in this process; "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )


if __name__ == "__main__":
    main()
