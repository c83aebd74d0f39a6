"""Tests for tb_plugin.aggregate: reductions and group statistics."""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pytest
from test_grouping import grid_units

from tb_plugin import aggregate, grouping

# ---------------------------------------------------------------------------------------------
# Reductions

NAN = math.nan


@pytest.mark.parametrize(
    ("tag", "loss_like"),
    [
        ("epoch_loss", True),
        ("val_loss", True),
        ("loss", True),
        ("train/losses", True),
        ("mean_absolute_error", True),
        ("top1_err", True),
        ("valPpl", True),
        ("perplexity", True),
        ("WER", True),
        ("cer", True),
        ("eval/mae", True),
        ("rmse", True),
        ("categorical_crossentropy", True),
        ("kl_divergence", True),
        ("epoch_accuracy", False),
        ("accuracy", False),
        ("precision", False),
        ("cancer_auc", False),
        ("reward", False),
        ("f1", False),
        ("learning_rate", False),
        ("", False),
    ],
)
def test_is_loss_like(tag, loss_like):
    assert aggregate.is_loss_like(tag) is loss_like
    assert aggregate.goal(tag) == ("min" if loss_like else "max")


@pytest.mark.parametrize(
    ("steps", "values", "reduction", "tag", "expected"),
    [
        ([0, 1, 2], [3.0, 1.0, 2.0], "last", "loss", 2.0),
        ([0, 1, 2], [3.0, 1.0, 2.0], "min", "acc", 1.0),
        ([0, 1, 2], [3.0, 1.0, 2.0], "max", "loss", 3.0),
        ([0, 1, 2], [3.0, 1.0, 2.0], "best", "loss", 1.0),
        ([0, 1, 2], [3.0, 1.0, 2.0], "best", "accuracy", 3.0),
        # last is at the largest step, whatever the array order; of equal steps the later.
        ([5, 9, 2], [1.0, 7.0, 3.0], "last", "x", 7.0),
        ([1, 3, 3, 2], [1.0, 5.0, 6.0, 2.0], "last", "x", 6.0),
        # NaN: min/max ignore it, last returns it.
        ([0, 1, 2], [NAN, 1.0, NAN], "min", "x", 1.0),
        ([0, 1, 2], [NAN, 1.0, NAN], "max", "x", 1.0),
        ([0, 1, 2], [1.0, 2.0, NAN], "last", "x", NAN),
        ([0, 1], [NAN, NAN], "min", "x", NAN),
        ([0, 1], [NAN, NAN], "best", "acc", NAN),
        # Infinities are values.
        ([0, 1], [math.inf, 1.0], "max", "x", math.inf),
        # One point, no points.
        ([7], [4.0], "min", "x", 4.0),
        ([], [], "last", "x", NAN),
        ([], [], "best", "loss", NAN),
    ],
)
def test_reduce_series(steps, values, reduction, tag, expected):
    got = aggregate.reduce_series(steps, values, reduction, tag)
    assert isinstance(got, float)
    if math.isnan(expected):
        assert math.isnan(got)
    else:
        assert got == expected
    # The batched version gives the same number.
    batched = aggregate.reduce_runs({"r": (steps, values)}, reduction, tag)["r"]
    assert batched == got or (math.isnan(batched) and math.isnan(got))


@pytest.mark.parametrize("reduction", ["mean", "", "LAST", "median"])
def test_unknown_reduction_raises_naming_it(reduction):
    for call in (
        lambda: aggregate.reduce_series([0], [1.0], reduction, "loss"),
        lambda: aggregate.reduce_runs({"r": ([0], [1.0])}, reduction, "loss"),
        lambda: aggregate.reduce_runs({}, reduction, "loss"),
        lambda: aggregate.group_stats({"r": 1.0}, "loss", reduction),
    ):
        with pytest.raises(ValueError, match="unknown reduction") as info:
            call()
        assert repr(reduction) in str(info.value)


def test_reduce_series_rejects_mismatched_lengths():
    with pytest.raises(ValueError, match="differ in length"):
        aggregate.reduce_series([0, 1], [1.0], "last", "x")


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


@pytest.mark.parametrize("seed", range(20))
@pytest.mark.parametrize("reduction", ["last", "min", "max", "best"])
def test_reduce_runs_matches_reduce_series(seed, reduction):
    rng = np.random.default_rng(seed)
    series = random_series(rng, 30, shuffle=True, nan_p=0.3)
    got = aggregate.reduce_runs(series, reduction, "val_loss")
    assert list(got) == list(series)
    for name, (steps, values) in series.items():
        want = aggregate.reduce_series(steps, values, reduction, "val_loss")
        assert got[name] == want or (math.isnan(got[name]) and math.isnan(want)), name


def test_reduce_runs_empty():
    assert aggregate.reduce_runs({}, "last", "x") == {}
    got = aggregate.reduce_runs({"a": ([], []), "b": ([], [])}, "min", "x")
    assert list(got) == ["a", "b"] and all(math.isnan(v) for v in got.values())


# ---------------------------------------------------------------------------------------------
# Statistics


def numpy_stats(values):
    """Reference statistics straight from numpy."""
    arr = np.array(list(values.values()), dtype=float)
    ok = arr[~np.isnan(arr)]
    if ok.size == 0:
        return dict(
            count=0, nan_count=int(arr.size), mean=NAN, std=None, min=NAN, median=NAN, max=NAN
        )
    return dict(
        count=int(ok.size),
        nan_count=int(arr.size - ok.size),
        mean=float(np.mean(ok)),
        # The sample standard deviation; undefined (None) for one run.
        std=float(np.std(ok, ddof=1)) if ok.size > 1 else None,
        min=float(np.min(ok)),
        median=float(np.median(ok)),
        max=float(np.max(ok)),
    )


def assert_close(got, want):
    if want is None:
        assert got is None
    elif math.isnan(want):
        assert math.isnan(got)
    else:
        assert got == pytest.approx(want, rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("seed", range(40))
@pytest.mark.parametrize("tag", ["val_loss", "val_accuracy"])
def test_group_stats_matches_numpy(seed, tag):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 15))
    raw = rng.normal(loc=rng.normal(), scale=rng.uniform(0.01, 100), size=n)
    raw[rng.random(n) < 0.2] = np.nan
    if seed % 7 == 0:
        raw = np.round(raw, 0)  # ties
    values = {f"t{i}": float(v) for i, v in enumerate(raw)}
    stats = aggregate.group_stats(values, tag, "best")
    want = numpy_stats(values)
    assert stats.count == want["count"]
    assert stats.nan_count == want["nan_count"]
    for key in ("mean", "std", "min", "median", "max"):
        assert_close(getattr(stats, key), want[key])
    ids = list(values)
    if want["count"]:
        nan_to = np.inf if tag == "val_loss" else -np.inf
        filled = np.where(np.isnan(raw), nan_to, raw)
        best = int(np.argmin(filled) if tag == "val_loss" else np.argmax(filled))
        assert stats.best_run == ids[best]
        assert stats.best_value == raw[best]
    else:
        assert stats.best_run is None and math.isnan(stats.best_value)
    assert stats.goal == aggregate.goal(tag)


@pytest.mark.parametrize(
    ("values", "tag", "expected"),
    [
        # A single run: no std (None, never 0), everything else equals the value.
        (
            {"a": 2.5},
            "loss",
            dict(
                count=1,
                nan_count=0,
                mean=2.5,
                std=None,
                sem=None,
                ci_low=None,
                ci_high=None,
                min=2.5,
                median=2.5,
                iqm=2.5,
                max=2.5,
                best_run="a",
            ),
        ),
        # NaN excluded but counted; the sample std of 1 and 3 is √2.
        (
            {"a": NAN, "b": 1.0, "c": 3.0},
            "acc",
            dict(count=2, nan_count=1, mean=2.0, std=math.sqrt(2), median=2.0, best_run="c"),
        ),
        # Zero variance: std, sem exactly 0 and the interval is the point.
        (
            {"a": 0.1, "b": 0.1, "c": 0.1},
            "acc",
            dict(count=3, mean=0.1, std=0.0, sem=0.0, ci_low=0.1, ci_high=0.1),
        ),
        # All NaN.
        ({"a": NAN, "b": NAN}, "acc", dict(count=0, nan_count=2, best_run=None)),
        # Empty.
        ({}, "acc", dict(count=0, nan_count=0, best_run=None)),
        # Ties go to the first id.
        ({"x": 1.0, "y": 1.0, "z": 2.0}, "loss", dict(best_run="x", median=1.0)),
        ({"x": 2.0, "y": 1.0, "z": 2.0}, "acc", dict(best_run="x")),
        # Infinities count.
        ({"a": math.inf, "b": 1.0}, "loss", dict(count=2, max=math.inf, best_run="b")),
    ],
)
def test_group_stats_cases(values, tag, expected):
    stats = aggregate.group_stats(values, tag, "last")
    for key, want in expected.items():
        got = getattr(stats, key)
        if isinstance(want, float) and math.isnan(want):
            assert math.isnan(got)
        else:
            assert got == want, key
    if stats.count == 0:
        for key in ("mean", "min", "median", "iqm", "max", "best_value"):
            assert math.isnan(getattr(stats, key))
    if stats.count < 2:
        for key in ("std", "sem", "ci_low", "ci_high"):
            assert getattr(stats, key) is None
    assert (stats.ci_level, stats.ci_method) == (0.95, "t")
    payload = stats.to_json()
    assert list(payload) == [
        "count", "nan_count", "mean", "std", "sem", "ci_low", "ci_high", "ci_level", "ci_method",
        "min", "median", "iqm", "max", "best_run", "best_value", "goal",
    ]  # fmt: skip
    # Every field, and nothing else: a new Stats field must reach the JSON.
    assert list(payload) == [f.name for f in dataclasses.fields(aggregate.Stats)]
    assert all(payload[k] is getattr(stats, k) for k in payload)
    json.dumps(payload)  # plain types (NaN allowed: the HTTP layer cleanses)


@pytest.mark.parametrize("seed", range(10))
def test_stats_by_group_matches_group_stats(seed):
    rng = np.random.default_rng(seed)
    units = grid_units(seeds=range(int(rng.integers(1, 5))))
    values = {u.trial: float(v) for u, v in zip(units, rng.normal(size=len(units)), strict=True)}
    for trial in list(values)[:: int(rng.integers(2, 5))]:
        values[trial] = NAN
    del values[units[0].trial]  # a trial without the tag is not counted at all
    groups = grouping.group_units(units, ["param.lr", "param.bs"])
    batched = aggregate.stats_by_group(groups, values, "epoch_accuracy", "max")
    assert len(batched) == len(groups)
    for group, stats in zip(groups, batched, strict=True):
        single = aggregate.group_stats(
            {t: values[t] for t in group.trials if t in values}, "epoch_accuracy", "max"
        )
        assert stats.count == single.count and stats.nan_count == single.nan_count
        assert stats.best_run == single.best_run
        for key in ("mean", "std", "min", "median", "max"):
            assert_close(getattr(stats, key), getattr(single, key))


def test_stats_by_group_accepts_id_lists_and_empty_groups():
    got = aggregate.stats_by_group([["a", "b"], [], ["c"]], {"a": 1.0, "b": 3.0}, "loss", "min")
    assert [s.count for s in got] == [2, 0, 0]
    assert got[0].mean == 2.0 and got[0].best_run == "a"
    assert got[1].std is None and got[2].ci_low is None
    assert aggregate.stats_by_group([], {}, "loss", "min") == []
