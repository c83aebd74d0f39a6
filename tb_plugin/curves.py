"""Group curves: a group's runs aligned by step into one mean curve with spread.

Pure and I/O-free (numpy only).

Curves
    `group_curve` aligns runs by step without interpolation: the curve is defined on the union
    of the runs' steps, and each run contributes exactly at the steps it logged. ``count`` says
    how many runs are behind each point, so a band that thins out is visible rather than
    invented. Interpolation was rejected because it fabricates values between logged steps and
    past a run's end. With ``max_points``, the union grid is cut into at most that many
    contiguous chunks and each run contributes its last value in each chunk.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import numpy as np

from tb_plugin.aggregate import _as_series

# ---------------------------------------------------------------------------------------------
# Curves


@dataclasses.dataclass(frozen=True, eq=False)
class Curve:
    """A group's runs aligned by step.

    Arrays all have one entry per point. Without a cap, the points are the union of the steps
    at which any run has a value that is not ``NaN``; ``count`` is the number of runs with a
    value at that step, and the statistics are over those runs only. With a cap, each point
    is a chunk of that union, at the chunk's largest step, over each run's last value in the
    chunk.

    Attributes:
        steps: int64 steps, increasing.
        mean: Mean over the runs at each point.
        std: Population standard deviation (``ddof=0``) at each point.
        min: Minimum at each point.
        max: Maximum at each point.
        count: int64 number of runs behind each point (always >= 1).
        runs: The number of series given, including any without a value.
    """

    steps: np.ndarray
    mean: np.ndarray
    std: np.ndarray
    min: np.ndarray
    max: np.ndarray
    count: np.ndarray
    runs: int

    def to_json(self) -> dict[str, Any]:
        """Returns a JSON-ready dict of lists."""
        return {
            "steps": self.steps.tolist(),
            "mean": self.mean.tolist(),
            "std": self.std.tolist(),
            "min": self.min.tolist(),
            "max": self.max.tolist(),
            "count": self.count.tolist(),
            "runs": self.runs,
        }


def group_curve(series: Mapping[str, tuple[Any, Any]], *, max_points: int | None = None) -> Curve:
    """Aligns a group's series by step into one mean curve with spread.

    Args:
        series: Id (trial) to ``(steps, values)``. Lengths and step grids may differ. ``NaN``
            values count as not logged. Of several values a run has at one step, the last in
            its arrays wins (as in `reduce_series`).
        max_points: If given, cap the curve at this many points (see `Curve`), e.g. for
            10,000 runs logged at different steps.

    Returns:
        The `Curve`.

    Raises:
        ValueError: if ``max_points`` is below 1, or a series' arrays differ in length.
    """
    if max_points is not None and max_points < 1:
        raise ValueError(f"max_points must be >= 1, got {max_points!r}")
    pairs = [_as_series(*pair) for pair in series.values()]
    n_runs = len(pairs)
    empty_i = np.zeros(0, dtype=np.int64)
    empty_f = np.zeros(0, dtype=np.float64)
    if not pairs:
        return Curve(empty_i, empty_f, empty_f, empty_f, empty_f, empty_i, 0)
    lengths = np.fromiter((s.size for s, _ in pairs), dtype=np.int64, count=n_runs)
    steps = np.concatenate([s for s, _ in pairs])
    values = np.concatenate([v for _, v in pairs])
    run = np.repeat(np.arange(n_runs), lengths)
    keep = ~np.isnan(values)
    steps, values, run = steps[keep], values[keep], run[keep]
    if steps.size == 0:
        return Curve(empty_i, empty_f, empty_f, empty_f, empty_f, empty_i, n_runs)

    # Order by (run, step), keeping array order among equal steps; skip the sort in the usual
    # case of series already in step order.
    disorder = (np.diff(steps) < 0) & (run[1:] == run[:-1])
    if disorder.any():
        order = np.lexsort((np.arange(steps.size), steps, run))
        steps, values, run = steps[order], values[order], run[order]

    grid = np.unique(steps)
    point = np.searchsorted(grid, steps)
    if max_points is not None and grid.size > max_points:
        bounds = (np.arange(max_points + 1) * grid.size) // max_points
        point = np.searchsorted(bounds, point, side="right") - 1
        grid = grid[bounds[1:] - 1]
    # One value per (run, point): the last one, as runs are sorted by step within themselves.
    last = np.ones(point.size, dtype=bool)
    last[:-1] = (run[1:] != run[:-1]) | (point[1:] != point[:-1])
    point, values = point[last], values[last]

    n = grid.size
    count = np.bincount(point, minlength=n)
    with np.errstate(invalid="ignore"):
        mean = np.bincount(point, weights=values, minlength=n) / count
        dev = values - mean[point]
        std = np.sqrt(np.bincount(point, weights=dev * dev, minlength=n) / count)
    mn = np.full(n, np.inf)
    mx = np.full(n, -np.inf)
    np.minimum.at(mn, point, values)
    np.maximum.at(mx, point, values)
    return Curve(grid.astype(np.int64), mean, std, mn, mx, count.astype(np.int64), n_runs)
