"""tb_plugin.aggregate's ``mean_last_k`` and ``at_best:TAG`` against slow pure-Python references.

Runs have different lengths and step grids, repeated steps, steps out of order, NaN values,
empty series and runs missing the other tag.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tb_plugin import aggregate

NAN = math.nan


def same(got, want):
    return (math.isnan(got) and math.isnan(want)) or got == pytest.approx(want, rel=1e-12)


# A series: (step, value) points on the run's own grid, in any order, steps repeated now and
# then, values with ties (quarters), NaN and infinities.
point_value = st.one_of(
    st.integers(-8, 8).map(lambda i: i / 4),
    st.floats(-1e6, 1e6),
    st.sampled_from([NAN, math.inf, -math.inf]),
)


@st.composite
def series(draw):
    stride = draw(st.integers(1, 7))
    offset = draw(st.integers(0, 5))
    n = draw(st.integers(0, 12))
    steps = [offset + stride * i for i in range(n)]
    steps += draw(st.lists(st.sampled_from(steps), max_size=3)) if steps else []  # repeats
    steps = draw(st.permutations(steps)) if draw(st.booleans()) else sorted(steps)
    values = draw(st.lists(point_value, min_size=len(steps), max_size=len(steps)))
    return steps, values


runs = st.dictionaries(st.sampled_from([f"run{i}" for i in range(8)]), series(), max_size=8)


def by_step(steps, values):
    """The points in step order, then write order (a later write wins)."""
    return [(steps[i], values[i]) for i in sorted(range(len(steps)), key=lambda i: (steps[i], i))]


def slow_mean_last_k(steps, values, k):
    last = [v for _, v in by_step(steps, values)][-k:]
    if not last:
        return NAN
    total = 0.0
    for v in last:
        total += v
    return total / len(last)


def slow_at_best(metric, other, other_goal):
    if other is None:
        return NAN
    points = [(s, v) for s, v in by_step(*other) if not math.isnan(v)]
    if not points:
        return NAN
    best = min(v for _, v in points) if other_goal == "min" else max(v for _, v in points)
    best_step = min(s for s, v in points if v == best)  # the earliest on ties
    before = [(s, v) for s, v in by_step(*metric) if s <= best_step]
    return before[-1][1] if before else NAN


@settings(max_examples=200, deadline=None)
@given(runs=runs, k=st.one_of(st.integers(1, 4), st.integers(1, 20)))
def test_mean_last_k_matches_slow_reference(runs, k):
    got = aggregate.reduce_runs(runs, "mean_last_k", "val_loss", k=k)
    assert list(got) == list(runs)
    for name, (steps, values) in runs.items():
        want = slow_mean_last_k(steps, values, k)
        assert same(got[name], want), (name, got[name], want)
        one = aggregate.reduce_series(
            steps, values, aggregate.parse_reduction("mean_last_k", k), "x"
        )
        assert one == got[name] or (math.isnan(one) and math.isnan(got[name]))


@settings(max_examples=100, deadline=None)
@given(runs=runs)
def test_mean_last_1_is_last(runs):
    last = aggregate.reduce_runs(runs, "last", "x")
    mean1 = aggregate.reduce_runs(runs, "mean_last_k", "x", k=1)
    for name in runs:
        assert same(mean1[name], last[name])


@settings(max_examples=200, deadline=None)
@given(
    metric=runs,
    other=runs,
    other_tag=st.sampled_from(["val_loss", "val_accuracy"]),
    override=st.sampled_from([None, "min", "max"]),
)
def test_at_best_matches_slow_reference(metric, other, other_tag, override):
    got = aggregate.reduce_at_best(metric, other, other_tag, other_goal=override)
    assert list(got) == list(metric)
    direction = override or aggregate.goal(other_tag)
    for name in metric:
        want = slow_at_best(metric[name], other.get(name), direction)
        assert same(got[name], want), (name, got[name], want)


@pytest.mark.parametrize(
    ("metric", "other", "expected"),
    [
        # Test accuracy at the best validation loss (step 2).
        (([0, 1, 2, 3], [0.5, 0.6, 0.7, 0.65]), ([0, 1, 2, 3], [1.0, 0.8, 0.5, 0.9]), 0.7),
        # Ties for best: the earliest step.
        (([0, 1, 2, 3], [0.5, 0.6, 0.7, 0.65]), ([0, 1, 2, 3], [1.0, 0.5, 0.5, 0.5]), 0.6),
        # The metric is logged on a coarser grid: its last value at or before the best step.
        (([0, 10, 20], [0.1, 0.2, 0.3]), ([0, 5, 15, 25], [3.0, 1.0, 2.0, 4.0]), 0.1),
        # ... and never a later one: nothing at or before gives NaN.
        (([10, 20], [0.2, 0.3]), ([0, 5], [1.0, 2.0]), NAN),
        # NaN in the other tag is no best; a NaN metric at the best step is returned as is.
        (([0, 1, 2], [0.1, NAN, 0.3]), ([0, 1, 2], [NAN, 0.1, 0.2]), NAN),
        (([0, 1, 2], [0.1, 0.2, 0.3]), ([0, 1, 2], [NAN, NAN, 0.9]), 0.3),
        # A repeated step: the later write.
        (([0, 1, 1], [0.1, 0.2, 0.25]), ([0, 1], [2.0, 1.0]), 0.25),
        # The other tag all NaN or empty.
        (([0, 1], [0.1, 0.2]), ([0, 1], [NAN, NAN]), NAN),
        (([0, 1], [0.1, 0.2]), ([], []), NAN),
    ],
)
def test_at_best_cases(metric, other, expected):
    got = aggregate.reduce_at_best({"r": metric}, {"r": other}, "val_loss")["r"]
    assert same(got, expected)


def test_at_best_follows_the_other_tags_goal_and_missing_runs():
    metric = {"a": ([0, 1, 2], [1.0, 2.0, 3.0]), "b": ([0], [5.0])}
    other = {"a": ([0, 1, 2], [0.2, 0.9, 0.5]), "zz": ([0], [1.0])}
    assert aggregate.reduce_at_best(metric, other, "val_accuracy")["a"] == 2.0
    assert aggregate.reduce_at_best(metric, other, "val_loss")["a"] == 1.0
    got = aggregate.reduce_at_best(metric, other, "val_accuracy")
    assert list(got) == ["a", "b"] and math.isnan(got["b"])  # b has no val_accuracy
    assert aggregate.reduce_at_best({}, other, "val_loss") == {}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (({}, {}, ""), "at_best needs a tag"),
        (({}, {}, "  "), "at_best needs a tag"),
        (({}, {}, "loss"), None),
    ],
)
def test_at_best_validation(args, message):
    if message is None:
        assert aggregate.reduce_at_best(*args) == {}
    else:
        with pytest.raises(ValueError, match=message):
            aggregate.reduce_at_best(*args)
    with pytest.raises(ValueError, match="other_goal"):
        aggregate.reduce_at_best({}, {}, "loss", other_goal="best")


# ---------------------------------------------------------------------------------------------
# parse_reduction


@pytest.mark.parametrize(
    ("text", "k", "expected"),
    [
        ("last", None, aggregate.Reduction("last")),
        ("best", None, aggregate.Reduction("best")),
        ("mean_last_k", 5, aggregate.Reduction("mean_last_k", k=5)),
        ("mean_last_k", "5", aggregate.Reduction("mean_last_k", k=5)),
        ("mean_last_k", np.int64(1), aggregate.Reduction("mean_last_k", k=1)),
        ("mean_last_k", aggregate.MAX_K, aggregate.Reduction("mean_last_k", k=aggregate.MAX_K)),
        ("at_best:val_loss", None, aggregate.Reduction("at_best", other_tag="val_loss")),
        ("at_best:eval/loss a", None, aggregate.Reduction("at_best", other_tag="eval/loss a")),
        ("at_best:at_best:x", None, aggregate.Reduction("at_best", other_tag="at_best:x")),
    ],
)
def test_parse_reduction_accepts(text, k, expected):
    got = aggregate.parse_reduction(text, k)
    assert got == expected
    assert aggregate.parse_reduction(got.text, got.k) == got
    assert aggregate.parse_reduction(got) is got
    assert got.to_json() == {"reduction": text, "k": expected.k, "other_tag": expected.other_tag}


@pytest.mark.parametrize(
    ("text", "k", "message"),
    [
        ("mean", None, "unknown reduction 'mean'"),
        ("LAST", None, "unknown reduction 'LAST'"),
        ("at_best", None, "unknown reduction 'at_best'"),
        ("at-best:loss", None, "unknown reduction 'at-best:loss'"),
        ("mean_last_5", None, "unknown reduction 'mean_last_5'"),
        ("", None, "unknown reduction ''"),
        (None, None, "unknown reduction None"),
        ("at_best:", None, "reduction 'at_best:' needs a tag"),
        ("at_best: ", None, "reduction 'at_best: ' needs a tag"),
        ("mean_last_k", None, "reduction 'mean_last_k' needs an argument k"),
        ("mean_last_k", 0, "k must be in 1..1000000, not 0"),
        ("mean_last_k", -3, "k must be in"),
        ("mean_last_k", aggregate.MAX_K + 1, "k must be in"),
        ("mean_last_k", 10**30, "k must be in"),
        ("mean_last_k", 2.0, "k must be an integer"),
        ("mean_last_k", "2.5", "k must be an integer"),
        ("mean_last_k", "-1", "k must be an integer"),
        ("mean_last_k", True, "k must be an integer"),
        ("last", 3, "reduction 'last' takes no argument k"),
        ("at_best:loss", 3, "reduction 'at_best:loss' takes no argument k"),
    ],
)
def test_parse_reduction_rejects(text, k, message):
    with pytest.raises(ValueError, match=message):
        aggregate.parse_reduction(text, k)


def test_new_reductions_in_the_series_functions():
    assert aggregate.REDUCTIONS == ("last", "min", "max", "best", "mean_last_k")
    steps, values = [3, 1, 2, 0], [4.0, 2.0, 3.0, 1.0]
    assert aggregate.reduce_series(steps, values, "mean_last_k", "x", k=2) == 3.5
    assert aggregate.reduce_series(steps, values, "mean_last_k", "x", k=99) == 2.5
    assert math.isnan(aggregate.reduce_series([], [], "mean_last_k", "x", k=2))
    with pytest.raises(ValueError, match="needs an argument k"):
        aggregate.reduce_runs({"r": (steps, values)}, "mean_last_k", "x")
    with pytest.raises(ValueError, match="use reduce_at_best"):
        aggregate.reduce_series(steps, values, "at_best:val_loss", "x")
    with pytest.raises(ValueError, match="disagrees"):
        aggregate.reduce_runs({}, aggregate.Reduction("mean_last_k", k=2), "x", k=3)
    # Statistics validate the name only: they need no k.
    for reduction in ("mean_last_k", "at_best:val_loss", aggregate.parse_reduction("min")):
        assert aggregate.group_stats({"a": 1.0}, "acc", reduction).count == 1
