"""server.render.path: the zigzag that noisy text follows, by arc length."""

from __future__ import annotations

import itertools
import math
import random

import pytest

from server.render.path import ZigzagPath


def zigzag(seed: int = 1, length: float = 20.0, band: float = 1.0) -> ZigzagPath:
    return ZigzagPath(random.Random(seed), length, band, (35, 45), 0.6)


def test_long_enough_for_the_text() -> None:
    for length in (0.5, 3.0, 20.0, 150.0):
        assert zigzag(length=length).length >= length


def test_deterministic_for_a_seeded_random() -> None:
    first, second = zigzag(7), zigzag(7)
    assert [first.at(d) for d in range(20)] == [second.at(d) for d in range(20)]
    assert [first.at(d) for d in range(20)] != [zigzag(8).at(d) for d in range(20)]


@pytest.mark.parametrize("seed", range(5))
def test_runs_climb_and_fall_steeply_within_the_band(seed: int) -> None:
    path = zigzag(seed)
    points = [path.at(d / 10) for d in range(int(path.length * 10))]
    angles = [math.degrees(p.angle) for p in points]
    assert max(angles) > 30 and min(angles) < -30  # both ways, steeply
    assert all(abs(a) <= 46 for a in angles)  # never steeper than the range
    assert all(abs(p.y) <= 1.0 + 1e-9 for p in points)
    assert max(p.y for p in points) - min(p.y for p in points) > 0.8
    signs = [a > 0 for a in angles if abs(a) > 30]
    changes = sum(1 for a, b in itertools.pairwise(signs) if a != b)
    assert changes >= 4  # about one corner every 1.5 to 3 em over 20 em


def test_corners_are_rounded() -> None:
    """The direction turns gradually (a sharp corner would turn 70-90 degrees at once)."""
    path = zigzag(3)
    angles = [math.degrees(path.at(d / 10).angle) for d in range(int(path.length * 10))]
    assert max(abs(b - a) for a, b in itertools.pairwise(angles)) < 30


def test_points_are_spaced_by_arc_length() -> None:
    path = zigzag(2)
    for d in (1.0, 5.0, 12.5):
        a, b = path.at(d), path.at(d + 0.2)
        assert math.hypot(b.x - a.x, b.y - a.y) == pytest.approx(0.2, abs=0.01)


def test_distances_past_the_ends_stay_on_the_path() -> None:
    path = zigzag(4, length=5)
    assert path.at(-1).x <= path.at(0).x + 1e-9
    end = path.at(path.length + 10)
    assert math.isfinite(end.x) and math.isfinite(end.y)
