"""Tests for tb_plugin.curves: group curves aligned by interpolation, smoothing and bands."""

from __future__ import annotations

import bisect
import math

import numpy as np
import pytest
from scipy import stats
from test_aggregate import assert_close

from tb_plugin import curves

NAN = math.nan
INF = math.inf


def random_series(rng, n_runs, *, max_len=12, nan_p=0.15, span=40, floats=False, shuffle=True):
    """Unaligned runs: different lengths and grids, NaN/inf values, duplicate x, any order."""
    series = {}
    for i in range(n_runs):
        length = int(rng.integers(0, min(max_len, span) + 1))
        x = np.sort(rng.choice(span, size=length, replace=False)).astype(np.int64)
        if floats:
            x = x + rng.uniform(0, 0.9, size=length)
        if length and rng.random() < 0.3:  # a duplicate x now and then
            x = np.insert(x, int(rng.integers(0, length)), x[int(rng.integers(0, length))])
        if shuffle and x.size > 1 and rng.random() < 0.3:
            x = rng.permutation(x)
        values = rng.normal(loc=rng.normal(), size=x.size)
        values[rng.random(x.size) < nan_p] = NAN
        if x.size and rng.random() < 0.1:
            values[int(rng.integers(0, x.size))] = rng.choice([INF, -INF])
        series[f"run{i}"] = (x, values)
    return series


# ---------------------------------------------------------------------------------------------
# A direct transcription of TensorBoard's frontend smoothing
# (tensorboard/webapp/widgets/line_chart_v2/data_transformer.ts, classicSmoothing), point by
# point, for one series.


def tb_classic_smoothing(ys, smoothing_weight):
    ys = list(ys)
    initial = ys[0] if ys else None
    if all(y == initial for y in ys):  # isConstant (see TensorBoard #786)
        return ys
    last = 0.0 if ys else NAN
    num_accum = 0
    out = []
    for next_val in ys:
        if not math.isfinite(next_val):
            out.append(next_val)
        else:
            last = last * smoothing_weight + (1 - smoothing_weight) * next_val
            num_accum += 1
            debias_weight = 1 if smoothing_weight == 1 else 1 - smoothing_weight**num_accum
            out.append(last / debias_weight)
    return out


# ---------------------------------------------------------------------------------------------
# A slow, obvious reimplementation of the documented curve rules


def reference_clean(x, values, smoothing=0.0):
    """Finite points, last write wins per x, in x order, then smoothed."""
    latest = {}
    for xi, v in zip(np.asarray(x).tolist(), np.asarray(values, float).tolist(), strict=True):
        if math.isfinite(v) and math.isfinite(xi):
            latest[xi] = v
    xs = sorted(latest)
    ys = [latest[xi] for xi in xs]
    if smoothing:
        ys = tb_classic_smoothing(ys, smoothing)
    return xs, ys


def reference_at(xs, ys, at):
    """Linear interpolation inside [xs[0], xs[-1]], None outside."""
    if not xs or not xs[0] <= at <= xs[-1]:
        return None
    j = bisect.bisect_left(xs, at)
    if xs[j] == at:
        return ys[j]
    x0, x1, y0, y1 = xs[j - 1], xs[j], ys[j - 1], ys[j]
    return y0 + (y1 - y0) * (at - x0) / (x1 - x0)


def reference_curve(series, smoothing=0.0):
    """[(x, [values of the runs behind x])] over the union of the runs' x."""
    runs = [reference_clean(x, v, smoothing) for x, v in series.values()]
    grid = sorted({xi for xs, _ in runs for xi in xs})
    points = []
    for at in grid:
        vals = [reference_at(xs, ys, at) for xs, ys in runs]
        points.append((at, [v for v in vals if v is not None]))
    return points


def check_point(curve, i, vals, level=0.95):
    assert curve.count[i] == len(vals)
    assert_close(curve.mean[i], float(np.mean(vals)))
    assert curve.min[i] == pytest.approx(min(vals), rel=1e-12, abs=1e-12)
    assert curve.max[i] == pytest.approx(max(vals), rel=1e-12, abs=1e-12)
    if len(vals) < 2:
        assert math.isnan(curve.std[i])
        assert math.isnan(curve.ci_low[i]) and math.isnan(curve.ci_high[i])
    else:
        sd = float(np.std(vals, ddof=1))
        assert curve.std[i] == pytest.approx(sd, rel=1e-9, abs=1e-12)
        low, high = stats.t.interval(
            level, len(vals) - 1, loc=np.mean(vals), scale=sd / math.sqrt(len(vals))
        )
        assert curve.ci_low[i] == pytest.approx(low, rel=1e-9, abs=1e-12)
        assert curve.ci_high[i] == pytest.approx(high, rel=1e-9, abs=1e-12)


def check_curve(curve, series, smoothing=0.0, level=0.95):
    points = reference_curve(series, smoothing)
    assert curve.runs == len(series)
    assert curve.x.tolist() == pytest.approx([x for x, _ in points], rel=0, abs=0)
    for i, (_, vals) in enumerate(points):
        check_point(curve, i, vals, level)


# ---------------------------------------------------------------------------------------------
# Alignment


@pytest.mark.parametrize("seed", range(40))
def test_group_curve_matches_reference(seed):
    rng = np.random.default_rng(seed)
    # Steps in a compact range (the union is marked) or sparse ones (the union is sorted).
    span = 100_000 if seed % 4 == 2 else 40
    series = random_series(rng, int(rng.integers(1, 8)), floats=seed % 4 == 1, span=span)
    curve = curves.group_curve(series)
    check_curve(curve, series)
    assert curve.x.dtype == (np.float64 if seed % 4 == 1 else np.int64)
    assert np.all(curve.count >= 1)


@pytest.mark.parametrize("seed", range(20))
@pytest.mark.parametrize("smoothing", [0.3, 0.6, 0.99])
def test_group_curve_smoothed_matches_reference(seed, smoothing):
    rng = np.random.default_rng(500 + seed)
    series = random_series(rng, int(rng.integers(1, 6)), max_len=30)
    check_curve(curves.group_curve(series, smoothing=smoothing), series, smoothing)


@pytest.mark.parametrize("level", [0.5, 0.9, 0.99])
def test_group_curve_ci_level(level):
    rng = np.random.default_rng(7)
    series = random_series(rng, 6, max_len=20, nan_p=0)
    curve = curves.group_curve(series, ci_level=level)
    assert curve.ci_level == level
    check_curve(curve, series, level=level)


def test_group_curve_interpolates_between_grids():
    series = {
        "a": ([0, 10, 20, 30], [1.0, 2.0, 3.0, 4.0]),
        "b": ([0, 20], [3.0, 5.0]),
        "c": ([5], [9.0]),  # one point, on an x nobody else has
    }
    curve = curves.group_curve(series)
    got = curve.to_json()
    assert got["x"] == got["steps"] == [0, 5, 10, 20, 30]
    assert got["count"] == [2, 3, 2, 2, 1]
    # At 5: a = 1.5, b = 3.5, c = 9; at 10: a = 2, b = 4; at 30 only a is left.
    assert got["mean"] == pytest.approx([2.0, 14.0 / 3, 3.0, 4.0, 4.0])
    assert got["min"] == [1.0, 1.5, 2.0, 3.0, 4.0]
    assert got["max"] == [3.0, 9.0, 4.0, 5.0, 4.0]
    assert got["std"][:4] == pytest.approx(
        [math.sqrt(2), np.std([1.5, 3.5, 9], ddof=1), 2**0.5, 2**0.5]
    )
    assert math.isnan(got["std"][4]) and math.isnan(got["ci_low"][4])
    assert got["runs"] == 3 and got["ci_level"] == 0.95
    assert list(got) == [
        "x",
        "steps",
        "mean",
        "std",
        "min",
        "max",
        "ci_low",
        "ci_high",
        "count",
        "runs",
        "ci_level",
    ]


def test_nan_is_bridged_and_ends_a_diverged_run():
    series = {
        "a": ([0, 1, 2, 3, 4], [0.0, NAN, 2.0, NAN, NAN]),  # diverges after x = 2
        "b": ([0, 4], [10.0, 14.0]),
    }
    curve = curves.group_curve(series)
    assert curve.x.tolist() == [0, 2, 4]  # x = 1 and 3 were never logged with a value
    assert curve.count.tolist() == [2, 2, 1]
    assert curve.mean.tolist() == [5.0, 7.0, 14.0]


def test_duplicates_last_write_wins_and_order_does_not_matter():
    a = curves.group_curve({"a": ([2, 0, 2, 1], [5.0, 0.0, 7.0, 1.0])})
    assert a.x.tolist() == [0, 1, 2]
    assert a.mean.tolist() == [0.0, 1.0, 7.0]


def test_float_and_int_x_mix_as_float():
    curve = curves.group_curve({"a": ([0, 2], [0.0, 2.0]), "b": ([0.5, 1.5], [1.0, 1.0])})
    assert curve.x.dtype == np.float64
    assert curve.x.tolist() == [0.0, 0.5, 1.5, 2.0]
    assert curve.count.tolist() == [1, 2, 2, 1]
    assert curve.mean.tolist() == [0.0, 0.75, 1.25, 2.0]
    assert "steps" not in curve.to_json()
    # An empty series (np.asarray([]) is float64) does not turn a step axis into floats.
    assert curves.group_curve({"a": ([0, 1], [1.0, 2.0]), "b": ([], [])}).x.dtype == np.int64


def test_stable_baselines3_like_seeds_give_a_band():
    """Three seeds logged at episode ends (irregular steps): a real band, count 3 inside."""
    rng = np.random.default_rng(3)
    series = {}
    for seed in range(3):
        steps = np.sort(rng.choice(np.arange(1, 20_000), size=60, replace=False))
        reward = 500 * (1 - np.exp(-steps / 5000)) + rng.normal(scale=20, size=60)
        series[f"seed_{seed}"] = (steps, reward)
    assert len({tuple(s) for s, _ in series.values()}) == 3  # no step shared by all
    lo = max(int(s[0]) for s, _ in series.values())
    hi = min(int(s[-1]) for s, _ in series.values())
    for max_points in (None, 100):
        curve = curves.group_curve(series, max_points=max_points, smoothing=0.6)
        inside = (curve.x >= lo) & (curve.x <= hi)
        assert inside.sum() > 20
        assert np.all(curve.count[inside] == 3)
        assert np.all(curve.count[~inside] < 3)
        assert np.all(curve.std[inside] > 0)
        assert np.all(curve.max[inside] > curve.min[inside])
        assert np.all(curve.ci_low[inside] < curve.mean[inside])
        assert np.all(curve.mean[inside] < curve.ci_high[inside])
    assert curves.group_curve(series).x.size == 180


# ---------------------------------------------------------------------------------------------
# Capping


@pytest.mark.parametrize("seed", range(25))
@pytest.mark.parametrize("max_points", [1, 2, 3, 7, 100])
def test_capped_curve_is_the_full_curve_at_fewer_points(seed, max_points):
    rng = np.random.default_rng(1000 + seed)
    series = random_series(rng, int(rng.integers(1, 8)), max_len=30, floats=seed % 5 == 0)
    full = curves.group_curve(series, smoothing=0.5)
    capped = curves.group_curve(series, max_points=max_points, smoothing=0.5)
    assert capped.x.size <= max_points
    if full.x.size <= max_points:
        assert capped.x.tolist() == full.x.tolist()
    elif max_points == 1:
        assert capped.x.tolist() == full.x[-1:].tolist()
    else:
        assert capped.x[0] == full.x[0] and capped.x[-1] == full.x[-1]
    at = np.searchsorted(full.x, capped.x)
    assert full.x[at].tolist() == capped.x.tolist()  # a subset of the union grid
    for name in ("min", "max", "count"):
        np.testing.assert_array_equal(getattr(capped, name), getattr(full, name)[at])
    for name in ("mean", "std", "ci_low", "ci_high"):  # equal but for summation order
        np.testing.assert_allclose(getattr(capped, name), getattr(full, name)[at], rtol=1e-13)


def test_cap_keeps_dense_regions_and_long_stretches():
    # One run logs 0..999 at every step, another up to 1,000,000 every 1,000 steps.
    series = {
        "dense": (np.arange(1000), np.zeros(1000)),
        "sparse": (np.arange(0, 1_000_001, 1000), np.ones(1001)),
    }
    x = curves.group_curve(series, max_points=100).x
    assert 80 <= x.size <= 100
    # Half the points are spaced by rank (the union has ~1,000 points each side of x = 1000),
    # the other half by x: both regions keep their shape.
    assert np.sum(x < 1000) >= 25
    assert np.max(np.diff(x)) <= 1_000_000 / 50


def test_cap_many_runs():
    rng = np.random.default_rng(0)
    series = {}
    for i in range(200):
        steps = np.arange(0, 1000, int(rng.integers(1, 7)))
        series[f"r{i}"] = (steps, rng.normal(size=steps.size))
    curve = curves.group_curve(series, max_points=50)
    assert curve.x.size <= 50
    assert curve.x[0] == 0
    assert curve.x[-1] == max(int(s[-1]) for s, _ in series.values())
    assert curve.count.max() == 200
    assert np.all(np.diff(curve.x) > 0)


@pytest.mark.parametrize("seed", range(5))
def test_blocks_of_runs_agree_with_one_block(seed, monkeypatch):
    rng = np.random.default_rng(seed)
    series = random_series(rng, 30, max_len=40, span=60)
    whole = curves.group_curve(series, smoothing=0.3)
    monkeypatch.setattr(curves, "_BLOCK_CELLS", 7)  # one run per block
    blocked = curves.group_curve(series, smoothing=0.3)
    np.testing.assert_array_equal(blocked.x, whole.x)
    np.testing.assert_array_equal(blocked.count, whole.count)
    np.testing.assert_array_equal(blocked.min, whole.min)
    np.testing.assert_array_equal(blocked.max, whole.max)
    for name in ("mean", "std", "ci_low", "ci_high"):
        np.testing.assert_allclose(getattr(blocked, name), getattr(whole, name), rtol=1e-10)
    check_curve(blocked, series, 0.3)


# ---------------------------------------------------------------------------------------------
# Smoothing


@pytest.mark.parametrize("seed", range(30))
@pytest.mark.parametrize("weight", [0.0, 1e-9, 0.01, 0.6, 0.9, 0.999])
def test_smooth_matches_tensorboard(seed, weight):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 60)) if seed % 10 else 3000  # long: several closed-form blocks
    ys = rng.normal(loc=rng.normal(scale=10), scale=rng.uniform(0.1, 10), size=n)
    ys[rng.random(n) < 0.1] = rng.choice([NAN, INF, -INF])
    want = tb_classic_smoothing(ys.tolist(), weight)
    got = curves.smooth(ys, weight)
    assert got.dtype == np.float64 and got.shape == (n,)
    scale = float(np.max(np.abs(ys[np.isfinite(ys)]), initial=1.0))
    tol = 1e-13 * scale / (1 - weight)
    for g, w in zip(got.tolist(), want, strict=True):
        if math.isfinite(w):
            assert g == pytest.approx(w, rel=1e-9, abs=tol)
        else:
            assert g == w or (math.isnan(g) and math.isnan(w))


@pytest.mark.parametrize(
    "ys",
    [[], [3.0], [2.5] * 5, [NAN, NAN], [1e-300, 2e-300, 3e-300], [1e300, -1e300, 1.7e308]],
)
@pytest.mark.parametrize("weight", [0.6, 0.999])
def test_smooth_edge_cases(ys, weight):
    got = curves.smooth(ys, weight).tolist()
    want = tb_classic_smoothing(ys, weight)
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        assert g == pytest.approx(w, rel=1e-12) or (math.isnan(g) and math.isnan(w))


def test_smooth_constant_series_unchanged_and_input_untouched():
    ys = np.full(10, 0.1)
    assert curves.smooth(ys, 0.6).tolist() == [0.1] * 10  # not 0.1 ± rounding noise
    ys = np.array([1.0, 2.0, NAN])
    curves.smooth(ys, 0.6)
    assert ys.tolist()[:2] == [1.0, 2.0]


def test_smoothing_applies_per_run_before_averaging():
    series = {"a": ([0, 1, 2], [0.0, 1.0, 0.0]), "b": ([0, 2], [4.0, 6.0])}
    curve = curves.group_curve(series, smoothing=0.6)
    a = tb_classic_smoothing([0.0, 1.0, 0.0], 0.6)
    b = tb_classic_smoothing([4.0, 6.0], 0.6)
    assert curve.mean.tolist() == pytest.approx(
        [(a[0] + b[0]) / 2, (a[1] + (b[0] + b[1]) / 2) / 2, (a[2] + b[1]) / 2]
    )


# ---------------------------------------------------------------------------------------------
# Per-run lines and relative time


def test_run_lines():
    series = {
        "a": ([3, 1, 2, 2], [3.0, 1.0, 9.0, 2.0]),
        "b": ([0, 1], [NAN, NAN]),
        "c": (np.arange(1000), np.sin(np.arange(1000) / 50)),
    }
    lines = curves.run_lines(series, max_points=10, smoothing=0.6)
    assert list(lines) == ["a", "b", "c"]
    assert lines["a"].to_json() == {
        "x": [1, 2, 3],
        "y": pytest.approx(tb_classic_smoothing([1.0, 2.0, 3.0], 0.6)),
    }
    assert lines["b"].x.size == 0 and lines["b"].y.size == 0
    c = lines["c"]
    assert 2 <= c.x.size <= 10 and c.x[0] == 0 and c.x[-1] == 999
    full = curves.smooth(np.sin(np.arange(1000) / 50), 0.6)
    np.testing.assert_array_equal(c.y, full[c.x])
    # The lines are what the mean is made of.
    one = curves.group_curve({"c": series["c"]}, max_points=10, smoothing=0.6)
    np.testing.assert_array_equal(one.x, c.x)
    np.testing.assert_array_equal(one.mean, c.y)
    with pytest.raises(ValueError, match="smoothing"):
        curves.run_lines(series, smoothing=1.0)


def test_relative_hours():
    got = curves.relative_hours([7200.0 + 3600, 7200.0, NAN, 7200.0 + 1800])
    assert got[[0, 1, 3]].tolist() == [1.0, 0.0, 0.5] and math.isnan(got[2])
    assert curves.relative_hours([10.0, 20.0], start=0.0).tolist() == [10 / 3600, 20 / 3600]
    assert curves.relative_hours([]).size == 0
    assert np.isnan(curves.relative_hours([NAN])).all()
    # Runs started at different times align on time since their own start.
    series = {
        "a": (curves.relative_hours([1000.0, 4600.0]), [0.0, 1.0]),
        "b": (curves.relative_hours([9000.0, 12600.0]), [2.0, 3.0]),
    }
    curve = curves.group_curve(series)
    assert curve.x.tolist() == [0.0, 1.0] and curve.count.tolist() == [2, 2]


# ---------------------------------------------------------------------------------------------
# Empty input and errors


@pytest.mark.parametrize(
    "series",
    [{}, {"a": ([], [])}, {"a": ([1, 2], [NAN, NAN])}, {"a": ([1, 2], [INF, NAN]), "b": ([], [])}],
)
def test_group_curve_empty(series):
    curve = curves.group_curve(series, max_points=10, smoothing=0.6)
    assert curve.x.size == 0 and curve.count.size == 0 and curve.ci_low.size == 0
    assert curve.runs == len(series)
    got = curve.to_json()
    assert got["x"] == got["steps"] == got["mean"] == got["ci_high"] == []


def test_single_run_has_no_spread():
    curve = curves.group_curve({"a": ([3], [0.5])})
    assert curve.x.tolist() == [3] and curve.count.tolist() == [1]
    assert (curve.mean[0], curve.min[0], curve.max[0]) == (0.5, 0.5, 0.5)
    assert math.isnan(curve.std[0]) and math.isnan(curve.ci_low[0])
    assert curve.steps is curve.x


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"max_points": 0}, "max_points"),
        ({"max_points": -3}, "max_points"),
        ({"max_points": 2.5}, "max_points"),
        ({"max_points": True}, "max_points"),
        ({"smoothing": -0.1}, "smoothing"),
        ({"smoothing": 1.0}, "smoothing"),
        ({"smoothing": NAN}, "smoothing"),
        ({"smoothing": "x"}, "smoothing"),
        ({"ci_level": 0.0}, "ci_level"),
        ({"ci_level": 1.0}, "ci_level"),
    ],
)
def test_group_curve_validates(kwargs, match):
    with pytest.raises(ValueError, match=match):
        curves.group_curve({"a": ([0], [1.0])}, **kwargs)


def test_mismatched_lengths_name_the_series():
    with pytest.raises(ValueError, match="'b'.*differ in length"):
        curves.group_curve({"a": ([0], [1.0]), "b": ([0, 1], [1.0])})
    with pytest.raises(ValueError, match="smoothing"):
        curves.smooth([1.0, 2.0], 1.5)


@pytest.mark.parametrize("weight", [1e-6, 0.6, 0.999])
def test_long_runs_smoothed_in_blocks(weight):
    rng = np.random.default_rng(11)
    series = {
        "a": (np.arange(2500), rng.normal(scale=1e6, size=2500)),
        "b": (np.arange(0, 5000, 2), rng.normal(size=2500)),
    }
    curve = curves.group_curve(series, smoothing=weight)
    a = tb_classic_smoothing(series["a"][1].tolist(), weight)
    b = tb_classic_smoothing(series["b"][1].tolist(), weight)
    want = [(a[i] + b[i // 2]) / 2 for i in range(0, 2500, 2)]
    got = curve.mean[curve.x < 2500][::2]
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-13 * 1e6 / (1 - weight))
