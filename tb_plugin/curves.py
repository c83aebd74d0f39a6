"""Group curves: a group's runs aligned on a common x axis into one mean curve with bands.

Pure and I/O-free (numpy; scipy only for the confidence interval, imported lazily).

What a curve is (SPEC §5, "Curves")
    Each run is a series ``(x, values)``. The x axis is whatever the caller aligns on: steps
    (integers), wall time (seconds since the epoch) or relative time (see `relative_hours`).

    1. Cleaning. A point whose value or x is not finite (``NaN``, ``±inf``) counts as not
       logged: TensorBoard's smoothing lets no such value into its average either, and a mean
       over an infinity says nothing. Of several values a run has at one x, the last in its
       arrays wins (a later write wins, as in `aggregate.reduce_series`). Points are then
       taken in x order.
    2. Smoothing (optional) is TensorBoard's debiased exponential moving average, applied to
       each run on its own, over its cleaned points in x order, before anything is averaged:
       see `smooth`. On the finite points this is exactly TensorBoard's result (its average
       skips non-finite values and does not count them), except that a run whose finite
       values are all equal is left as is even if it also logged a ``NaN`` (TensorBoard
       then smooths the constant, which changes it only by rounding), and a value overwritten
       at the same x never enters the average.
    3. Alignment is linear interpolation on the union of the runs' x values. A run stands
       behind a point only inside its own first-to-last x (no extrapolation), so ``count``, the
       number of runs behind each point, thins out where runs end instead of inventing values.
       A dropped (non-finite) point does not break a run: the line is drawn across it, exactly
       as across any x the run did not log. A run that diverges (``NaN`` from some step on)
       therefore simply ends at its last finite value.
    4. Bands at each point: mean, sample standard deviation (``ddof=1``), min, max and a
       Student-t confidence interval of the mean with ``count - 1`` degrees of freedom. With
       fewer than two runs behind a point, std and the interval are ``NaN`` (a group of one has
       no spread; never ``± 0``).

Capping (``max_points``)
    The curve is evaluated at no more than ``max_points`` points of the union grid, always
    including its first and last x. Half of them (rounded up, at least the two ends) are evenly
    spaced in *rank* through the union grid, so they follow where the runs logged densely
    (early training, or short early episodes in reinforcement learning); the rest are evenly
    spaced in *x* and snapped to the nearest union point, so no long stretch of the axis is
    left empty when one run logged a short range very densely. Points picked twice count once,
    so a capped curve can have fewer than ``max_points`` points. The values at the chosen
    points are those of the uncapped curve there (point sampling of the interpolated curve,
    not bin averages; equal up to the order of summation in the mean), so a capped and an
    uncapped chart agree wherever both have a point.

Costs
    One `np.interp` call per run over the chosen points (no Python loop over points); the
    statistics are whole-array numpy reductions over a runs × points matrix, built in blocks of
    runs so that memory stays bounded when an uncapped union grid is huge.
"""

from __future__ import annotations

import dataclasses
import math
import threading
from collections.abc import Mapping
from typing import Any

import numpy as np

# The runs × points matrix is built in blocks of runs of at most this many cells (8 MiB),
# so that an uncapped curve over thousands of unaligned runs cannot allocate gigabytes, and
# each block's dozen passes stay in cache (measured: 1 << 20 beats 4M and 64K cells).
_BLOCK_CELLS = 1 << 20

# Bounds of the blocked closed-form EMA (see `_Ema`): its growth factors stay below
# _EMA_GROWTH (so the matching decay factors stay far from underflow), its partial sums below
# _EMA_LIMIT (far from overflow).
_EMA_GROWTH = 1e150
_EMA_LIMIT = 1e300


# ---------------------------------------------------------------------------------------------
# Values


@dataclasses.dataclass(frozen=True, eq=False)
class Curve:
    """A group's runs aligned on a common x axis.

    Every array has one entry per point, in increasing x. Without a cap the points are the
    union of the x values the runs logged (after cleaning, see the module docstring); with a
    cap, a subset of that union.

    Attributes:
        x: The x values, shape ``(n,)``: int64 when every run's x is integer (steps), else
            float64 (seconds, hours: whatever unit the caller aligned on).
        mean: float64 ``(n,)``, mean of the runs behind each point.
        std: float64 ``(n,)``, sample standard deviation (``ddof=1``); ``NaN`` where
            ``count < 2``.
        min: float64 ``(n,)``, smallest value behind each point.
        max: float64 ``(n,)``, largest value behind each point.
        ci_low: float64 ``(n,)``, lower end of the Student-t ``ci_level`` confidence interval
            of the mean (``count - 1`` degrees of freedom); ``NaN`` where ``count < 2``.
        ci_high: float64 ``(n,)``, upper end of that interval; ``NaN`` where ``count < 2``.
        count: int64 ``(n,)``, the number of runs behind each point (always >= 1): the runs
            whose first-to-last x covers it.
        runs: The number of series given, including any with no finite value.
        ci_level: The confidence level of ``ci_low``/``ci_high``, e.g. ``0.95``.
    """

    x: np.ndarray
    mean: np.ndarray
    std: np.ndarray
    min: np.ndarray
    max: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    count: np.ndarray
    runs: int
    ci_level: float

    @property
    def steps(self) -> np.ndarray:
        """Deprecated alias of `x`, from when curves were aligned on steps only."""
        return self.x

    def to_json(self) -> dict[str, Any]:
        """Returns a JSON-ready dict of lists (``NaN`` stays ``NaN``: the HTTP layer cleans it).

        Keys: ``x``, ``mean``, ``std``, ``min``, ``max``, ``ci_low``, ``ci_high``, ``count``
        (lists of one entry per point), ``runs`` (int), ``ci_level`` (float), and, only when
        ``x`` is integer (a step axis), ``steps``: the same list as ``x``, kept so that readers
        of the earlier step-only format keep working.
        """
        x = self.x.tolist()
        out: dict[str, Any] = {"x": x}
        if self.x.dtype.kind == "i":
            out["steps"] = x
        out.update(
            mean=self.mean.tolist(),
            std=self.std.tolist(),
            min=self.min.tolist(),
            max=self.max.tolist(),
            ci_low=self.ci_low.tolist(),
            ci_high=self.ci_high.tolist(),
            count=self.count.tolist(),
            runs=self.runs,
            ci_level=self.ci_level,
        )
        return out


@dataclasses.dataclass(frozen=True, eq=False)
class RunLine:
    """One run's own line, cleaned, smoothed and capped like the runs behind a `Curve`.

    Attributes:
        x: Shape ``(n,)``, increasing; int64 when every run's x is integer, else float64.
        y: float64 ``(n,)``, the (smoothed) values at ``x``.
    """

    x: np.ndarray
    y: np.ndarray

    def to_json(self) -> dict[str, Any]:
        """Returns ``{"x": [...], "y": [...]}``."""
        return {"x": self.x.tolist(), "y": self.y.tolist()}


# ---------------------------------------------------------------------------------------------
# Public functions


def group_curve(
    series: Mapping[str, tuple[Any, Any]],
    *,
    max_points: int | None = None,
    smoothing: float = 0.0,
    ci_level: float = 0.95,
) -> Curve:
    """Aligns a group's series into one mean curve with bands and run counts.

    Args:
        series: Id (trial) to ``(x, values)``, two array-likes of one shape ``(k,)`` each
            (any k, including 0). ``x`` are steps (integers) or times (floats) in any order;
            lengths and grids may differ between runs. Non-finite values count as not logged;
            of several values at one x the last wins (see the module docstring).
        max_points: If given, evaluate the curve at no more than this many points of the
            union grid (see "Capping" in the module docstring). ``None``: every union point.
        smoothing: TensorBoard's smoothing weight ``w``, ``0 <= w < 1`` (``0``: none;
            TensorBoard's default is ``0.6``), applied to each run before alignment, as
            `smooth` does.
        ci_level: Confidence level of the interval, ``0 < ci_level < 1``.

    Returns:
        The `Curve`; with no finite value in any run, a curve of zero points.

    Raises:
        ValueError: if ``max_points`` is below 1, ``smoothing`` is outside ``[0, 1)``,
            ``ci_level`` outside ``(0, 1)``, or a series' arrays differ in length (naming it).
        ImportError: if scipy is missing and some point has two or more runs behind it (the
            Student-t quantile is scipy's, ``scipy.special.stdtrit`` as in ``t.ppf``).
    """
    max_points = _check_max_points(max_points)
    weight = _check_smoothing(smoothing)
    level = _check_ci_level(ci_level)
    runs, is_int = _prepare(series, weight)
    lines = [(x, y) for x, y in runs if x.size]
    if not lines:
        empty_f = np.zeros(0, dtype=np.float64)
        empty_i = np.zeros(0, dtype=np.int64)
        return Curve(
            empty_i if is_int else empty_f,
            *(empty_f,) * 6,
            count=empty_i,
            runs=len(runs),
            ci_level=level,
        )

    grid = _union([x for x, _ in lines])
    picked = _pick(grid, max_points)
    if picked is not None:
        grid = grid[picked]
    # Columns no run of a block covers divide 0 by 0; NaN is the right answer there.
    with np.errstate(invalid="ignore", divide="ignore"):
        count, mean, m2, mn, mx = _moments(lines, grid)
        std = np.sqrt(m2 / (count - 1))
        std[count < 2] = np.nan
        half = _t_quantile(level, count) * std / np.sqrt(count)
    return Curve(
        x=grid.astype(np.int64 if is_int else np.float64, copy=False),
        mean=mean,
        std=std,
        min=mn,
        max=mx,
        ci_low=mean - half,
        ci_high=mean + half,
        count=count,
        runs=len(runs),
        ci_level=level,
    )


def run_lines(
    series: Mapping[str, tuple[Any, Any]],
    *,
    max_points: int | None = None,
    smoothing: float = 0.0,
) -> dict[str, RunLine]:
    """Each run's own line, for drawing thin per-seed curves beside a group's mean.

    Every run is cleaned and smoothed exactly as behind `group_curve` (so the lines and the
    mean agree), then capped on its own x values by the same rule as a curve's union grid.

    Args:
        series: Id to ``(x, values)``, as in `group_curve`.
        max_points: If given, at most this many points per run.
        smoothing: As in `group_curve`.

    Returns:
        Id to `RunLine`, in the order of ``series``; a run with no finite value gets an empty
        line (it is still listed).

    Raises:
        ValueError: as `group_curve`.
    """
    max_points = _check_max_points(max_points)
    weight = _check_smoothing(smoothing)
    runs, _ = _prepare(series, weight)
    out = {}
    for key, (x, y) in zip(series, runs, strict=True):
        picked = _pick(x, max_points)
        if picked is not None:
            x, y = x[picked], y[picked]
        out[key] = RunLine(x, y)
    return out


def smooth(values: Any, weight: float) -> np.ndarray:
    """TensorBoard's debiased exponential moving average of one series.

    The formula of TensorBoard's frontend (``classicSmoothing`` in
    ``tensorboard/webapp/widgets/line_chart_v2/data_transformer.ts``)::

        last = 0; n = 0
        for y in values:
            if y is not finite: output y unchanged (it neither feeds nor counts)
            else: last = last * w + (1 - w) * y; n += 1; output last / (1 - w ** n)

    and a series whose values all equal the first is returned unchanged (TensorBoard #786:
    debiasing must not add rounding noise to a constant). This computes the same recurrence
    blockwise in closed form with numpy, so it agrees with the loop to rounding error
    (a few ulps times ``1 / (1 - w)``), not bit for bit.

    Args:
        values: Shape ``(k,)``, in the order to smooth (x order).
        weight: ``w``, ``0 <= w < 1``; ``0`` returns the values unchanged.

    Returns:
        float64 ``(k,)``; non-finite entries unchanged.

    Raises:
        ValueError: if ``weight`` is outside ``[0, 1)``.
    """
    weight = _check_smoothing(weight)
    values = np.array(values, dtype=np.float64).reshape(-1)
    finite = np.isfinite(values)
    if weight == 0.0 or not finite.any() or (values == values[0]).all():
        return values
    finite_values = values[finite]
    smoother = _Ema(weight, finite_values.size, float(np.abs(finite_values).max()))
    values[finite] = smoother(finite_values)
    return values


def relative_hours(wall_times: Any, start: float | None = None) -> np.ndarray:
    """Hours since a run's start: the x of TensorBoard's "Relative" axis.

    Args:
        wall_times: Shape ``(k,)``, seconds since the epoch (event wall times).
        start: The run's start in the same unit; by default its smallest finite wall time
            (the run's first event among those given).

    Returns:
        float64 ``(k,)``: ``(wall_times - start) / 3600``. Empty for empty input; ``NaN``
        stays ``NaN`` (and `group_curve` then drops that point).
    """
    wall = np.asarray(wall_times, dtype=np.float64).reshape(-1)
    if start is None:
        finite = wall[np.isfinite(wall)]
        if finite.size == 0:
            return np.full(wall.shape, np.nan)
        start = float(finite.min())
    return (wall - start) / 3600.0


# ---------------------------------------------------------------------------------------------
# Validation


def _check_max_points(max_points: Any) -> int | None:
    if max_points is None:
        return None
    if isinstance(max_points, bool):
        raise ValueError(f"max_points must be an integer >= 1, got {max_points!r}")
    try:
        value = int(max_points)
    except (TypeError, ValueError):
        raise ValueError(f"max_points must be an integer >= 1, got {max_points!r}") from None
    if value != max_points or value < 1:
        raise ValueError(f"max_points must be an integer >= 1, got {max_points!r}")
    return value


def _check_smoothing(smoothing: Any) -> float:
    try:
        weight = float(smoothing)
    except (TypeError, ValueError):
        raise ValueError(f"smoothing must be a number in [0, 1), got {smoothing!r}") from None
    if not 0.0 <= weight < 1.0:  # also rejects NaN
        raise ValueError(f"smoothing must be in [0, 1), got {smoothing!r}")
    return weight


def _check_ci_level(ci_level: Any) -> float:
    try:
        level = float(ci_level)
    except (TypeError, ValueError):
        raise ValueError(f"ci_level must be a number in (0, 1), got {ci_level!r}") from None
    if not 0.0 < level < 1.0:
        raise ValueError(f"ci_level must be in (0, 1), got {ci_level!r}")
    return level


# ---------------------------------------------------------------------------------------------
# Cleaning and smoothing


def _prepare(
    series: Mapping[str, tuple[Any, Any]], weight: float
) -> tuple[list[tuple[np.ndarray, np.ndarray]], bool]:
    """Cleans (and smooths) every run; says whether every non-empty run's x is integer."""
    runs = [_clean(key, *pair) for key, pair in series.items()]
    is_int = all(x.dtype.kind == "i" for x, _ in runs if x.size)
    if weight:
        # Constant runs stay as they are (see `smooth`): smooth the runs whose range is not 0.
        ranges = [(i, float(y.min()), float(y.max())) for i, (_, y) in enumerate(runs) if y.size]
        todo = [i for i, low, high in ranges if low != high]
        if todo:
            longest = max(runs[i][1].size for i in todo)
            largest = max(max(-low, high) for _, low, high in ranges)
            smoother = _Ema(weight, longest, largest)
            for i in todo:
                runs[i] = (runs[i][0], smoother(runs[i][1]))
    if not is_int:
        runs = [(x.astype(np.float64, copy=False), y) for x, y in runs]
    return runs, is_int


def _clean(key: Any, x: Any, values: Any) -> tuple[np.ndarray, np.ndarray]:
    """One run's finite points in increasing x, one per x (the last written wins)."""
    x = np.asarray(x).reshape(-1)
    y = np.asarray(values, dtype=np.float64).reshape(-1)
    if x.size != y.size:
        raise ValueError(f"series {key!r}: x and values differ in length: {x.size} != {y.size}")
    if x.dtype.kind in "iub" or (x.size == 0 and x.dtype.kind == "f"):
        # An empty list arrives as float64: it must not turn a step axis into a float one.
        x = x.astype(np.int64, copy=False)
        keep = np.isfinite(y)
    else:
        x = x.astype(np.float64, copy=False)
        keep = np.isfinite(y) & np.isfinite(x)
    if not keep.all():
        x, y = x[keep], y[keep]
    if x.size > 1:
        least = (x[1:] - x[:-1]).min()
        if least <= 0:
            if least < 0:
                order = np.argsort(x, kind="stable")  # equal x keep their written order
                x, y = x[order], y[order]
            last = np.empty(x.size, dtype=bool)
            np.not_equal(x[1:], x[:-1], out=last[:-1])
            last[-1] = True
            if not last.all():
                x, y = x[last], y[last]
    return x, y


class _Ema:
    """TensorBoard's debiased EMA of finite series, in closed form, blockwise, with tables
    shared by every series of one call.

    Within a block that starts after the biased average ``last``, the recurrence
    ``last_j = w * last_{j-1} + (1 - w) * y_j`` unrolls to
    ``w**(j+1) * last + (1 - w) * w**j * cumsum(y_i * w**-i)``. The factors ``w**-i`` grow
    without bound, so blocks are cut where they would reach `_EMA_GROWTH` or let the partial
    sums (at most ``longest * largest * w**-i``) pass `_EMA_LIMIT`.
    """

    __slots__ = ("block", "carry", "debias", "decay", "grow")

    def __init__(self, w: float, longest: int, largest: float) -> None:
        room = min(_EMA_GROWTH, _EMA_LIMIT / max(longest * largest, 1e-300))
        steps = math.log(room) / -math.log(w) if room > 1.0 else 0.0
        self.block = max(1, min(longest, 1 + int(steps)))
        ramp = np.arange(self.block, dtype=np.float64)
        self.grow = np.power(w, -ramp)  # w ** -i
        self.decay = (1.0 - w) * np.power(w, ramp)  # (1 - w) * w ** j
        self.carry = w * np.power(w, ramp)  # w ** (j + 1)
        self.debias = 1.0 - np.power(w, np.arange(1, longest + 1, dtype=np.float64))

    def __call__(self, y: np.ndarray) -> np.ndarray:
        """The smoothed ``y`` (finite, ``1 <= size <= longest``)."""
        n = y.size
        if n <= self.block:
            return self.decay[:n] * np.cumsum(y * self.grow[:n]) / self.debias[:n]
        out = np.empty(n)
        last = 0.0
        for start in range(0, n, self.block):
            seg = y[start : start + self.block]
            k = seg.size
            part = self.decay[:k] * np.cumsum(seg * self.grow[:k])
            if last:
                part += self.carry[:k] * last
            out[start : start + k] = part
            last = part[-1]
        return out / self.debias[:n]


# ---------------------------------------------------------------------------------------------
# Grid and statistics


def _union(xs: list[np.ndarray]) -> np.ndarray:
    """The sorted union of the runs' (sorted, unique) x arrays."""
    first = xs[0]
    if len(xs) == 1:
        return first
    if all(x.size == first.size for x in xs):
        stacked = np.concatenate(xs).reshape(len(xs), first.size)
        if (stacked == first).all():  # the usual case: every run logs on the same schedule
            return first
        flat = stacked.reshape(-1)
    else:
        flat = np.concatenate(xs)
    if flat.dtype.kind == "i":
        low, high = int(flat.min()), int(flat.max())
        if high - low <= 8 * flat.size:
            # Steps fill a compact range: marking them is ten times faster than sorting.
            seen = np.zeros(high - low + 1, dtype=bool)
            seen[flat - low] = True
            return np.flatnonzero(seen) + low
    flat.sort(kind="stable")  # timsort merges the already sorted runs
    keep = np.empty(flat.size, dtype=bool)
    keep[0] = True
    np.not_equal(flat[1:], flat[:-1], out=keep[1:])
    return flat[keep]


def _pick(grid: np.ndarray, max_points: int | None) -> np.ndarray | None:
    """Indices of at most ``max_points`` points of ``grid`` (sorted, unique), or None: all.

    Both ends, then half the points evenly spaced in rank and the rest evenly spaced in x,
    snapped to the nearest grid point (see "Capping" in the module docstring).
    """
    size = grid.size
    if max_points is None or size <= max_points:
        return None
    if max_points == 1:
        return np.array([size - 1])  # the latest point, as a one-point sparkline shows
    by_rank = max(2, (max_points + 1) // 2)
    # round(i * (size - 1) / (by_rank - 1)) in integers: increasing, 0 first, size - 1 last.
    ranks = (np.arange(by_rank) * (size - 1) + (by_rank - 1) // 2) // (by_rank - 1)
    by_x = max_points - by_rank
    if by_x == 0:
        return ranks
    first, last = float(grid[0]), float(grid[-1])
    targets = first + (last - first) * (np.arange(1, by_x + 1) / (by_x + 1))
    right = np.searchsorted(grid[1:-1], targets) + 1  # in [1, size - 1], whatever rounding
    nearer_left = (targets - grid[right - 1]) <= (grid[right] - targets)
    picked = np.concatenate([ranks, right - nearer_left])
    picked.sort()
    keep = np.empty(picked.size, dtype=bool)
    keep[0] = True
    np.not_equal(picked[1:], picked[:-1], out=keep[1:])
    return picked[keep]


def _moments(
    lines: list[tuple[np.ndarray, np.ndarray]], grid: np.ndarray
) -> tuple[np.ndarray, ...]:
    """count, mean, sum of squared deviations, min and max of the runs at each grid point."""
    rows = max(1, _BLOCK_CELLS // grid.size)
    total = None
    for start in range(0, len(lines), rows):
        block = _block_moments(lines[start : start + rows], grid)
        total = block if total is None else _combine(total, block)
    assert total is not None
    return total


def _block_moments(
    lines: list[tuple[np.ndarray, np.ndarray]], grid: np.ndarray
) -> tuple[np.ndarray, ...]:
    matrix = np.full((len(lines), grid.size), np.nan)
    # One searchsorted for all runs' first and last x: each run fills only its own range.
    lo = np.searchsorted(grid, [x[0] for x, _ in lines], side="left")
    hi = np.searchsorted(grid, [x[-1] for x, _ in lines], side="right")
    for row, ((x, y), a, b) in enumerate(zip(lines, lo.tolist(), hi.tolist(), strict=True)):
        if b > a:
            matrix[row, a:b] = np.interp(grid[a:b], x, y)
    inside = ~np.isnan(matrix)
    count = inside.sum(axis=0)
    mean = np.add.reduce(matrix, axis=0, where=inside, initial=0.0) / count
    dev = matrix - mean
    np.square(dev, out=dev)
    m2 = np.add.reduce(dev, axis=0, where=inside, initial=0.0)
    return count, mean, m2, np.fmin.reduce(matrix, axis=0), np.fmax.reduce(matrix, axis=0)


def _combine(a: tuple[np.ndarray, ...], b: tuple[np.ndarray, ...]) -> tuple[np.ndarray, ...]:
    """Chan et al.'s pairwise update of count, mean and M2 (stable, unlike sums of squares)."""
    na, mean_a, m2a, min_a, max_a = a
    nb, mean_b, m2b, min_b, max_b = b
    n = na + nb
    with np.errstate(invalid="ignore", divide="ignore"):
        delta = mean_b - mean_a
        mean = np.where(nb == 0, mean_a, np.where(na == 0, mean_b, mean_a + delta * (nb / n)))
        m2 = np.where(
            (na == 0) | (nb == 0),
            np.where(na == 0, m2b, m2a),
            m2a + m2b + delta * delta * (na * nb / n),
        )
    return n, mean, m2, np.fmin(min_a, min_b), np.fmax(max_a, max_b)


# Student-t quantiles by level, as a table indexed by count (df = count - 1; NaN below 2),
# grown on demand: one scipy call serves every later curve with no more runs.
_T_TABLES: dict[float, np.ndarray] = {}
_T_LOCK = threading.Lock()


def _t_quantile(level: float, count: np.ndarray) -> np.ndarray:
    """``t.ppf((1 + level) / 2, count - 1)`` per point, NaN where ``count < 2``."""
    top = int(count.max()) if count.size else 0
    if top < 2:
        return np.full(count.shape, np.nan)
    table = _T_TABLES.get(level)
    if table is None or table.size <= top:
        try:
            # t.ppf's own function (see aggregate._t_quantile), without scipy.stats' memory.
            from scipy.special import stdtrit
        except ImportError as err:  # pragma: no cover - scipy is installed with the package
            raise ImportError(
                "confidence intervals of group curves need scipy (pip install scipy)"
            ) from err
        size = max(64, 2 * top)
        table = np.full(size, np.nan)
        table[2:] = stdtrit(np.arange(1, size - 1), 0.5 + level / 2)
        with _T_LOCK:
            _T_TABLES[level] = table
    return table[count]
