"""The zigzag path that noisy text is set along, measured by arc length.

Straight runs of alternating slope with rounded corners: deep OCR models read a
straight or gently waving line almost perfectly, and a steep zigzag is what they
were least trained on, while a person follows it at a glance. Units are em (the
font size), so the same seed gives the same shape at every density.
"""

from __future__ import annotations

import bisect
import itertools
import math
import random
from dataclasses import dataclass

__all__ = ["Placement", "ZigzagPath"]

#: Distance between samples of the path, in em: fine enough for smooth corners.
_STEP = 0.05


@dataclass(frozen=True, slots=True)
class Placement:
    """A point of the path and the path's direction there (radians, y pointing down)."""

    x: float
    y: float
    angle: float


class ZigzagPath:
    """A smoothed zigzag, long enough for ``length`` em of text along it.

    The corners alternate between heights drawn from the upper and lower halves of a
    band ``band`` em either side of the centre; each run climbs or falls at an angle
    drawn from ``slope`` (degrees). A moving average ``corner`` em wide rounds the
    corners.
    """

    def __init__(
        self,
        rng: random.Random,
        length: float,
        band: float,
        slope: tuple[float, float],
        corner: float,
    ) -> None:
        corners = [(0.0, rng.uniform(-band, band) * 0.5)]
        direction = rng.choice((-1, 1))
        travelled = 0.0
        while travelled < 1.2 * length + 2 * corner + 1:
            x0, y0 = corners[-1]
            y1 = direction * band * rng.uniform(0.55, 1.0)
            angle = math.radians(rng.uniform(*slope))
            x1 = x0 + abs(y1 - y0) / math.tan(angle)
            travelled += math.hypot(x1 - x0, y1 - y0)
            corners.append((x1, y1))
            direction = -direction
        points = _rounded(_sampled(corners), max(1, round(corner / _STEP)))
        self._points = points
        self._lengths = _cumulative(points)

    @property
    def length(self) -> float:
        """The path's arc length in em."""
        return self._lengths[-1]

    def at(self, distance: float) -> Placement:
        """The point ``distance`` em along the path, and its direction there."""
        lengths, points = self._lengths, self._points
        i = min(max(1, bisect.bisect_left(lengths, distance)), len(points) - 1)
        (xa, ya), (xb, yb) = points[i - 1], points[i]
        span = lengths[i] - lengths[i - 1]
        t = 0.0 if span == 0 else (distance - lengths[i - 1]) / span
        j, k = max(0, i - 3), min(len(points) - 1, i + 2)  # direction over a short chord
        angle = math.atan2(points[k][1] - points[j][1], points[k][0] - points[j][0])
        return Placement(xa + (xb - xa) * t, ya + (yb - ya) * t, angle)


def _sampled(corners: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Points every :data:`_STEP` em along the straight runs between ``corners``."""
    points = [corners[0]]
    for (x0, y0), (x1, y1) in itertools.pairwise(corners):
        steps = max(1, math.ceil(math.hypot(x1 - x0, y1 - y0) / _STEP))
        points += [
            (x0 + (x1 - x0) * i / steps, y0 + (y1 - y0) * i / steps) for i in range(1, steps + 1)
        ]
    return points


def _rounded(points: list[tuple[float, float]], window: int) -> list[tuple[float, float]]:
    """A centred moving average over ``window`` samples, twice: corners become curves.

    The ends are extended straight so the average does not pull them inwards.
    """
    for _ in range(2):
        half = window // 2
        (xa, ya), (xb, yb) = points[0], points[1]
        (xc, yc), (xd, yd) = points[-2], points[-1]
        head = [(xa - (xb - xa) * i, ya - (yb - ya) * i) for i in range(half, 0, -1)]
        tail = [(xd + (xd - xc) * i, yd + (yd - yc) * i) for i in range(1, half + 1)]
        padded = head + points + tail
        size = 2 * half + 1
        sx = sum(x for x, _ in padded[:size])
        sy = sum(y for _, y in padded[:size])
        smoothed = [(sx / size, sy / size)]
        for i in range(size, len(padded)):
            sx += padded[i][0] - padded[i - size][0]
            sy += padded[i][1] - padded[i - size][1]
            smoothed.append((sx / size, sy / size))
        points = smoothed
    return points


def _cumulative(points: list[tuple[float, float]]) -> list[float]:
    lengths = [0.0]
    for (x0, y0), (x1, y1) in itertools.pairwise(points):
        lengths.append(lengths[-1] + math.hypot(x1 - x0, y1 - y0))
    return lengths
