"""Tests for tb_plugin.curves: group curves aligned by step."""

from __future__ import annotations

import math

import numpy as np
import pytest
from test_aggregate import assert_close

from tb_plugin import curves

NAN = math.nan


def random_series(rng, n_runs, *, max_len=12, nan_p=0.15, shuffle=False):
    series = {}
    for i in range(n_runs):
        length = int(rng.integers(0, max_len + 1))
        steps = np.sort(rng.choice(40, size=length, replace=False)).astype(np.int64)
        if shuffle and length > 1 and rng.random() < 0.5:
            steps = rng.permutation(steps)
        if length and rng.random() < 0.3:  # a duplicate step now and then
            steps = np.append(steps, steps[-1])
        values = rng.normal(size=steps.size)
        values[rng.random(steps.size) < nan_p] = np.nan
        series[f"run{i}"] = (steps, values)
    return series


# ---------------------------------------------------------------------------------------------
# Curves


def reference_curve(series, max_points=None):
    """A slow, obvious reimplementation of group_curve's documented rules."""
    per_run = []
    for steps, values in series.values():
        latest = {}
        for s, v in zip(
            np.asarray(steps).tolist(), np.asarray(values, float).tolist(), strict=True
        ):
            if not math.isnan(v):
                latest[s] = v  # later in the arrays wins
        per_run.append(latest)
    grid = sorted({s for run in per_run for s in run})
    chunks = [[s] for s in grid]
    if max_points is not None and len(grid) > max_points:
        bounds = [i * len(grid) // max_points for i in range(max_points + 1)]
        chunks = [grid[bounds[i] : bounds[i + 1]] for i in range(max_points)]
    points = []
    for chunk in chunks:
        vals = []
        for run in per_run:
            mine = [s for s in chunk if s in run]
            if mine:
                vals.append(run[max(mine)])
        points.append((chunk[-1], vals))
    return points


def check_curve(curve, series, max_points=None):
    points = reference_curve(series, max_points)
    assert curve.runs == len(series)
    assert curve.steps.tolist() == [s for s, _ in points]
    assert curve.count.tolist() == [len(v) for _, v in points]
    for i, (_, vals) in enumerate(points):
        assert_close(curve.mean[i], float(np.mean(vals)))
        assert_close(curve.std[i], float(np.std(vals)))
        assert curve.min[i] == min(vals)
        assert curve.max[i] == max(vals)


@pytest.mark.parametrize("seed", range(30))
def test_group_curve_matches_reference(seed):
    rng = np.random.default_rng(seed)
    series = random_series(rng, int(rng.integers(1, 8)), shuffle=seed % 3 == 0)
    check_curve(curves.group_curve(series), series)


@pytest.mark.parametrize("seed", range(30))
@pytest.mark.parametrize("max_points", [1, 3, 7, 100])
def test_group_curve_capped_matches_reference(seed, max_points):
    rng = np.random.default_rng(1000 + seed)
    series = random_series(rng, int(rng.integers(1, 8)), max_len=30, shuffle=seed % 3 == 0)
    curve = curves.group_curve(series, max_points=max_points)
    assert curve.steps.size <= max_points
    check_curve(curve, series, max_points)


def test_group_curve_different_grids_and_lengths():
    series = {
        "a": ([0, 10, 20, 30], [1.0, 2.0, 3.0, 4.0]),
        "b": ([0, 20], [3.0, 5.0]),
        "c": ([5], [9.0]),  # one point, on a step nobody else has
    }
    curve = curves.group_curve(series)
    assert curve.to_json() == {
        "steps": [0, 5, 10, 20, 30],
        "mean": [2.0, 9.0, 2.0, 4.0, 4.0],
        "std": [1.0, 0.0, 0.0, 1.0, 0.0],
        "min": [1.0, 9.0, 2.0, 3.0, 4.0],
        "max": [3.0, 9.0, 2.0, 5.0, 4.0],
        "count": [2, 1, 1, 2, 1],
        "runs": 3,
    }


def test_group_curve_single_run_single_point():
    curve = curves.group_curve({"a": ([3], [0.5])})
    assert curve.steps.tolist() == [3]
    assert (curve.mean[0], curve.std[0], curve.min[0], curve.max[0]) == (0.5, 0.0, 0.5, 0.5)
    assert curve.count.tolist() == [1]


@pytest.mark.parametrize(
    "series",
    [{}, {"a": ([], [])}, {"a": ([1, 2], [NAN, NAN])}],
)
def test_group_curve_empty(series):
    curve = curves.group_curve(series, max_points=10)
    assert curve.steps.size == 0 and curve.count.size == 0
    assert curve.runs == len(series)
    assert curve.to_json()["steps"] == []


def test_group_curve_validates():
    with pytest.raises(ValueError, match="max_points"):
        curves.group_curve({"a": ([0], [1.0])}, max_points=0)
    with pytest.raises(ValueError, match="differ in length"):
        curves.group_curve({"a": ([0, 1], [1.0])})


def test_group_curve_caps_many_runs():
    rng = np.random.default_rng(0)
    series = {
        f"r{i}": (np.arange(0, 1000, int(rng.integers(1, 7))), rng.normal(size=1000))
        for i in range(200)
    }
    series = {k: (s, v[: s.size]) for k, (s, v) in series.items()}
    curve = curves.group_curve(series, max_points=50)
    assert curve.steps.size == 50
    assert curve.steps[-1] == max(int(s[-1]) for s, _ in series.values())
    assert curve.count.max() <= 200
    assert np.all(np.diff(curve.steps) > 0)
