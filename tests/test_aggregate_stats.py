"""tb_plugin.aggregate statistics against independent scipy/numpy computations (SPEC §5).

Every statistic and comparison is checked on random groups (hypothesis) that include one-run
and two-run groups, NaN values, ties and groups without variance; a small table of known
values is computed here with scipy, independently of the module.
"""

from __future__ import annotations

import functools
import itertools
import json
import math
import subprocess
import sys
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats as sps

from tb_plugin import aggregate

NAN = math.nan

# Values: exact quarters (many ties, exact arithmetic), moderate floats, and NaN.
value = st.one_of(
    st.integers(-12, 12).map(lambda i: i / 4),
    st.floats(-1e3, 1e3, allow_subnormal=False),
    st.just(NAN),
)
group = st.one_of(
    st.lists(value, max_size=9),
    # A group whose values are all equal (no variance), NaN now and then.
    st.tuples(st.floats(-1e3, 1e3), st.integers(1, 6), st.booleans()).map(
        lambda t: [t[0]] * t[1] + ([NAN] if t[2] else [])
    ),
)
groups_strategy = st.lists(group, min_size=1, max_size=6)
LEVELS = (0.5, 0.8, 0.9, 0.95, 0.99)
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def clean(values):
    arr = np.asarray(values, dtype=float)
    return arr[~np.isnan(arr)]


def close(got, want, scale=1.0):
    """Equal up to rounding: relative 1e-9, absolute 1e-9 of the values' scale."""
    if want is None:
        return got is None
    if math.isnan(want):
        return got is not None and math.isnan(got)
    return got is not None and got == pytest.approx(want, rel=1e-9, abs=1e-9 * scale)


def as_mapping(groups):
    ids = [[f"g{i}r{j}" for j in range(len(g))] for i, g in enumerate(groups)]
    values = {k: v for gid, g in zip(ids, groups, strict=True) for k, v in zip(gid, g, strict=True)}
    return ids, values


# ---------------------------------------------------------------------------------------------
# Stats


def quiet(function):
    """Silences the reference's own numeric warnings (scipy's precision-loss notes).

    The module under test runs with warnings as errors (pyproject), so it must stay silent
    on the same data.
    """

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return function(*args, **kwargs)

    return wrapper


@quiet
def reference_stats(values, level, lower_is_better):
    """Statistics of one group straight from numpy and scipy, one group at a time."""
    x = clean(values)
    n = x.size
    ref = {"count": n, "nan_count": len(values) - n}
    if n == 0:
        ref.update(mean=NAN, min=NAN, median=NAN, iqm=NAN, max=NAN, best=None)
    else:
        ref.update(
            mean=float(np.mean(x)),
            min=float(np.min(x)),
            median=float(np.median(x)),
            iqm=float(sps.trim_mean(x, 0.25)),
            max=float(np.max(x)),
        )
        # The first run holding the best value, in member order (NaN never best).
        filled = np.where(np.isnan(values), np.inf if lower_is_better else -np.inf, values)
        ref["best"] = int(np.argmin(filled) if lower_is_better else np.argmax(filled))
    if n < 2:
        ref.update(std=None, sem=None, ci_low=None, ci_high=None)
        return ref
    constant = bool(np.all(x == x[0]))
    ref["std"] = 0.0 if constant else float(np.std(x, ddof=1))
    ref["sem"] = 0.0 if constant else float(sps.sem(x))
    if ref["sem"] == 0:  # scipy refuses a zero scale; the interval is the point
        ref["ci_low"] = ref["ci_high"] = ref["mean"]
    else:
        low, high = sps.t.interval(level, n - 1, loc=np.mean(x), scale=sps.sem(x))
        ref["ci_low"], ref["ci_high"] = float(low), float(high)
    return ref


@SETTINGS
@given(groups=groups_strategy, level=st.sampled_from(LEVELS), tag=st.sampled_from(["loss", "acc"]))
def test_stats_match_scipy(groups, level, tag):
    ids, values = as_mapping(groups)
    got = aggregate.stats_by_group(ids, values, tag, "last", ci_level=level)
    assert len(got) == len(groups)
    for members, raw, stats in zip(ids, groups, got, strict=True):
        ref = reference_stats(raw, level, tag == "loss")
        scale = max([1.0, *np.abs(clean(raw)).tolist()])
        assert (stats.count, stats.nan_count) == (ref["count"], ref["nan_count"])
        for key in ("mean", "std", "sem", "ci_low", "ci_high", "min", "median", "iqm", "max"):
            assert close(getattr(stats, key), ref[key], scale), (key, getattr(stats, key), ref)
        assert (stats.ci_level, stats.ci_method) == (level, "t")
        assert stats.goal == aggregate.goal(tag)
        if ref["best"] is None:
            assert stats.best_run is None and math.isnan(stats.best_value)
        else:
            assert stats.best_run == members[ref["best"]]
            assert stats.best_value == raw[ref["best"]]
        if stats.count >= 2:
            assert stats.ci_low <= stats.mean <= stats.ci_high
        json.dumps(stats.to_json())


@pytest.mark.parametrize("n", range(1, 14))
def test_iqm_is_trim_mean_for_every_n(n):
    rng = np.random.default_rng(n)
    x = rng.normal(size=n) * 10
    got = aggregate.group_stats({f"r{i}": float(v) for i, v in enumerate(x)}, "acc", "last")
    assert got.iqm == pytest.approx(float(sps.trim_mean(x, 0.25)), rel=1e-13)
    if n < 4:  # nothing is cut
        assert got.iqm == pytest.approx(float(np.mean(x)), rel=1e-13)


def test_stats_without_interval():
    got = aggregate.group_stats({"a": 1.0, "b": 2.0}, "acc", "last", ci=None)
    assert (got.ci_low, got.ci_high, got.ci_level, got.ci_method) == (None, None, None, None)
    assert got.std == pytest.approx(math.sqrt(0.5))


# Known values, computed once with scipy (and recomputed below with scipy, from the data).
KNOWN_T = [
    # values, level, mean, ci_low, ci_high
    ([0.71, 0.74, 0.69], 0.95, 0.7133333333333333, 0.6508172385395754, 0.7758494281270911),
    ([1.0, 2.0, 4.0], 0.9, 2.3333333333333335, -0.24185189250352357, 4.908518559170188),
    ([3.0, 5.0], 0.95, 4.0, -8.706204736174694, 16.706204736174694),
]


@pytest.mark.parametrize(("values", "level", "mean", "low", "high"), KNOWN_T)
def test_t_interval_known_values(values, level, mean, low, high):
    x = np.array(values)
    want = sps.t.interval(level, x.size - 1, loc=x.mean(), scale=sps.sem(x))
    assert want == pytest.approx((low, high), rel=1e-12)
    got = aggregate.group_stats(
        dict(zip("abc", values, strict=False)), "acc", "last", ci_level=level
    )
    assert got.mean == pytest.approx(mean, rel=1e-15)
    assert (got.ci_low, got.ci_high) == pytest.approx((low, high), rel=1e-12)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"ci": "normal"}, "unknown ci method 'normal'"),
        ({"ci": "T"}, "unknown ci method 'T'"),
        ({"ci_level": 0.0}, "ci_level must be in"),
        ({"ci_level": 1.0}, "ci_level must be in"),
        ({"ci_level": 95}, "ci_level must be in"),
        ({"ci_level": NAN}, "ci_level must be in"),
        ({"ci_level": "0.9"}, "ci_level must be a number"),
        ({"ci_level": True}, "ci_level must be a number"),
        ({"n_resamples": 0}, "n_resamples must be in"),
        ({"n_resamples": 10**9}, "n_resamples must be in"),
        ({"n_resamples": 10.0}, "n_resamples must be an integer"),
        ({"seed": -1}, "seed must be in"),
        ({"seed": "0"}, "seed must be an integer"),
    ],
)
def test_stats_validation(options, message):
    with pytest.raises(ValueError, match=message):
        aggregate.stats_by_group([["a"]], {"a": 1.0}, "loss", "last", **options)


def test_scipy_is_not_imported_with_the_module():
    code = "import sys, tb_plugin.aggregate, tb_plugin.plugin; print('scipy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# ---------------------------------------------------------------------------------------------
# Bootstrap


@quiet
def reference_bootstrap(values, level, n_resamples, seed):
    """The documented resampling, done the slow way, with numpy's percentile."""
    x = np.sort(clean(values))
    n = x.size
    rng = np.random.default_rng([seed, n])
    counts = rng.multinomial(n, np.full(n, 1.0 / n), size=n_resamples)
    means = np.array([sum(c * v for c, v in zip(row, x, strict=True)) / n for row in counts])
    alpha = (1 - level) / 2
    return np.percentile(means, [100 * alpha, 100 * (1 - alpha)])


@settings(max_examples=60, deadline=None)
@given(
    groups=groups_strategy,
    level=st.sampled_from(LEVELS),
    n_resamples=st.sampled_from([1, 2, 37, 500, 1000]),
    seed=st.integers(0, 2**32),
)
def test_bootstrap_matches_reference_and_repeats(groups, level, n_resamples, seed):
    ids, values = as_mapping(groups)
    options = dict(ci="bootstrap", ci_level=level, n_resamples=n_resamples, seed=seed)
    first = aggregate.stats_by_group(ids, values, "acc", "last", **options)
    again = aggregate.stats_by_group(ids, values, "acc", "last", **options)
    # Identical (compared as JSON text, where NaN equals NaN).
    assert json.dumps([s.to_json() for s in first]) == json.dumps([s.to_json() for s in again])
    for raw, stats in zip(groups, first, strict=True):
        assert stats.ci_method == "bootstrap" and stats.ci_level == level
        if stats.count < 2:
            assert stats.ci_low is None and stats.ci_high is None
            continue
        scale = max([1.0, *np.abs(clean(raw)).tolist()])
        low, high = reference_bootstrap(raw, level, n_resamples, seed)
        assert close(stats.ci_low, float(low), scale) and close(stats.ci_high, float(high), scale)
        assert stats.min - 1e-9 * scale <= stats.ci_low <= stats.ci_high
        assert stats.ci_high <= stats.max + 1e-9 * scale


def test_bootstrap_depends_only_on_the_groups_own_values():
    rng = np.random.default_rng(7)
    groups = [rng.normal(size=n).tolist() for n in (2, 3, 5, 5, 8, 12, 3)]
    ids, values = as_mapping(groups)
    together = aggregate.stats_by_group(ids, values, "acc", "last", ci="bootstrap")
    for i, raw in enumerate(groups):
        shuffled = rng.permutation(raw).tolist()
        alone = aggregate.group_stats(
            {f"x{j}": v for j, v in enumerate(shuffled)}, "acc", "last", ci="bootstrap"
        )
        assert (alone.ci_low, alone.ci_high) == (together[i].ci_low, together[i].ci_high)
    other_seed = aggregate.stats_by_group(ids, values, "acc", "last", ci="bootstrap", seed=1)
    assert [s.ci_low for s in other_seed] != [s.ci_low for s in together]


def test_bootstrap_agrees_with_scipy_bootstrap():
    # Another generator, so only up to Monte Carlo error: a check of the method, not the bits.
    x = np.array([0.61, 0.64, 0.58, 0.70, 0.66, 0.63, 0.59, 0.68])
    got = aggregate.group_stats(
        {str(i): v for i, v in enumerate(x)}, "acc", "last", ci="bootstrap", n_resamples=20000
    )
    want = sps.bootstrap(
        (x,), np.mean, method="percentile", n_resamples=20000, random_state=1
    ).confidence_interval
    assert got.ci_low == pytest.approx(want.low, abs=0.003)
    assert got.ci_high == pytest.approx(want.high, abs=0.003)


# ---------------------------------------------------------------------------------------------
# Comparisons


def brute_holm(p):
    """Holm (1979) by its definition: the smallest level at which the procedure rejects."""
    m = len(p)
    candidates = sorted({min(1.0, (m - j) * q) for j, q in enumerate(sorted(p))} | {1.0})
    out = []
    for i in range(m):
        for alpha in candidates:
            rejected = set()
            for k, j in enumerate(sorted(range(m), key=lambda j: p[j])):
                if (m - k) * p[j] > alpha:  # p > α/(m−k), without the division's rounding
                    break
                rejected.add(j)
            if i in rejected:
                out.append(alpha)
                break
        else:
            out.append(1.0)
    return out


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.floats(0, 1), st.sampled_from([0.0, 0.01, 0.04, 0.5, 1.0]))))
def test_holm_matches_its_definition(p):
    got = aggregate.holm(p)
    assert got == pytest.approx(brute_holm(p), rel=1e-12, abs=1e-300)
    assert all(q <= a <= 1 for q, a in zip(p, got, strict=True))
    for (q1, a1), (q2, a2) in itertools.combinations(zip(p, got, strict=True), 2):
        if q1 <= q2:
            assert a1 <= a2  # monotone


def test_holm_known_values_and_errors():
    assert aggregate.holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert aggregate.holm([]) == []
    for bad in ([NAN], [1.5], [-0.1]):
        with pytest.raises(ValueError, match="p-values must be in"):
            aggregate.holm(bad)


@quiet
def reference_comparison(x_raw, y_raw, goal, level):
    x, y = clean(x_raw), clean(y_raw)
    ref = {"n": x.size, "n_baseline": y.size}
    both = x.size and y.size
    ref["delta"] = float(x.mean() - y.mean()) if both else None
    pairs = [(a, b) for a in x for b in y]
    if both:
        better = (lambda a, b: a > b) if goal == "max" else (lambda a, b: a < b)
        wins = sum(1.0 if better(a, b) else 0.5 if a == b else 0.0 for a, b in pairs)
        ref["prob_improvement"] = wins / len(pairs)
        # The same thing as Mann-Whitney's U statistic over n·m.
        u = sps.mannwhitneyu(x, y, alternative="two-sided").statistic
        if goal == "max":
            assert wins == pytest.approx(u)
        else:
            assert wins == pytest.approx(len(pairs) - u)
    else:
        ref["prob_improvement"] = None
    if x.size < 2 or y.size < 2:
        ref.update(delta_ci_low=None, delta_ci_high=None, p_value=None)
    elif np.all(x == x[0]) and np.all(y == y[0]):
        ref.update(delta_ci_low=ref["delta"], delta_ci_high=ref["delta"], p_value=None)
    else:
        result = sps.ttest_ind(x, y, equal_var=False)
        interval = result.confidence_interval(level)
        ref.update(
            delta_ci_low=float(interval.low),
            delta_ci_high=float(interval.high),
            p_value=float(result.pvalue),
        )
    ref["warning"] = x.size < 3 or y.size < 3
    return ref


@SETTINGS
@given(
    groups=groups_strategy,
    data=st.data(),
    goal=st.sampled_from(["min", "max"]),
    level=st.sampled_from(LEVELS),
)
def test_comparisons_match_scipy(groups, data, goal, level):
    baseline = data.draw(st.integers(0, len(groups) - 1))
    got = aggregate.compare_groups(groups, baseline, goal, ci_level=level)
    assert len(got) == len(groups) and got[baseline] is None
    p_values = {}
    for i, raw in enumerate(groups):
        if i == baseline:
            continue
        ref = reference_comparison(raw, groups[baseline], goal, level)
        comp = got[i]
        scale = max([1.0, *np.abs(clean(raw)).tolist(), *np.abs(clean(groups[baseline])).tolist()])
        assert (comp.n, comp.n_baseline, comp.ci_level) == (ref["n"], ref["n_baseline"], level)
        assert close(comp.delta, ref["delta"], scale)
        assert close(comp.delta_ci_low, ref["delta_ci_low"], scale)
        assert close(comp.delta_ci_high, ref["delta_ci_high"], scale)
        assert close(comp.prob_improvement, ref["prob_improvement"])
        if ref["p_value"] is None:
            assert comp.p_value is None and comp.p_holm is None
        else:
            assert comp.p_value == pytest.approx(ref["p_value"], rel=1e-6, abs=1e-12)
            p_values[i] = comp.p_value
        assert (comp.warning is not None) == ref["warning"]
        json.dumps(comp.to_json())
    # Holm over exactly the comparisons that have a p-value.
    want = brute_holm(list(p_values.values()))
    assert [got[i].p_holm for i in p_values] == pytest.approx(want, rel=1e-12)


# Known values: baseline A, and B, C, D compared with it (accuracy: higher is better).
A = [0.71, 0.74, 0.69]
B = [0.76, 0.78, 0.77, 0.79]
C = [0.70, 0.73]
D = [0.74, 0.76, 0.75]
KNOWN_COMPARISONS = {
    # group: delta, ci_low, ci_high, p_value, p_holm, prob_improvement
    1: (0.0616666666666667, 0.008901052003483949, 0.11443228132984956, 0.034423896230463547,
        0.10327168869139064, 12 / 12),
    2: (0.0016666666666667, -0.07080592437548279, 0.0741392577088162, 0.942107798364655,
        0.942107798364655, 3 / 6),
    3: (0.0366666666666667, -0.017485230547961632, 0.09081856388129511, 0.11349750445116866,
        0.22699500890233731, 8.5 / 9),
}  # fmt: skip


def test_comparison_known_values():
    got = aggregate.compare_groups([A, B, C, D], 0, "max")
    p = {}
    for i, (delta, low, high, p_value, p_holm, prob) in KNOWN_COMPARISONS.items():
        other = [A, B, C, D][i]
        result = sps.ttest_ind(other, A, equal_var=False)
        interval = result.confidence_interval(0.95)
        p[i] = result.pvalue
        assert (interval.low, interval.high, result.pvalue) == pytest.approx(
            (low, high, p_value), rel=1e-6
        )
        comp = got[i]
        assert comp.delta == pytest.approx(np.mean(other) - np.mean(A), rel=1e-12)
        assert comp.delta == pytest.approx(delta, rel=1e-9)
        assert (comp.delta_ci_low, comp.delta_ci_high) == pytest.approx(
            (interval.low, interval.high), rel=1e-9
        )
        assert comp.p_value == pytest.approx(result.pvalue, rel=1e-9)
        assert comp.p_holm == pytest.approx(p_holm, rel=1e-6)
        assert comp.prob_improvement == prob
    # Holm by hand: sorted 0.0344 < 0.1135 < 0.9421, times 3, 2, 1, running maximum.
    ps = sorted(p.values())
    assert got[1].p_holm == pytest.approx(3 * ps[0])
    assert got[3].p_holm == pytest.approx(max(3 * ps[0], 2 * ps[1]))
    assert got[2].p_holm == pytest.approx(max(3 * ps[0], 2 * ps[1], ps[2]))
    assert got[2].warning == "fewer than 3 runs on a side: 2 here, 3 in the baseline"
    assert got[1].warning is None
    # For a loss, better is smaller: P(improvement) turns around (ties still half).
    flipped = aggregate.compare_groups([A, B, C, D], 0, "min")
    assert flipped[1].prob_improvement == 0.0 and flipped[3].prob_improvement == 0.5 / 9
    assert flipped[2].prob_improvement == 3 / 6
    assert list(got[1].to_json()) == [
        "delta", "delta_ci_low", "delta_ci_high", "ci_level", "p_value", "p_holm",
        "prob_improvement", "n", "n_baseline", "warning",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("groups", "expected"),
    [
        # Neither side varies: a point interval, no p-value (scipy says 0 or NaN).
        ([[1.0, 1.0, 1.0], [2.0, 2.0, 2.0]], dict(delta=1.0, delta_ci_low=1.0, p_value=None)),
        ([[1.0, 1.0], [1.0, 1.0, NAN]], dict(delta=0.0, delta_ci_high=0.0, p_value=None, n=2)),
        # One side varies: Welch is defined (ν = n − 1 of the varying side).
        ([[1.0, 1.0, 1.0], [1.0, 2.0, 3.0]], dict(delta=1.0, p_value=pytest.approx(0.2254033))),
        # One run on a side: a difference and P(improvement), nothing else.
        (
            [[1.0, 2.0, 3.0], [5.0]],
            dict(delta=3.0, delta_ci_low=None, p_value=None, prob_improvement=1.0, n=1),
        ),
        # No value on a side.
        ([[1.0, 2.0], [NAN, NAN]], dict(delta=None, prob_improvement=None, n=0)),
        ([[], [1.0, 2.0]], dict(delta=None, prob_improvement=None, n_baseline=0)),
        # Infinite values: no p-value rather than a NaN.
        ([[1.0, 2.0, 3.0], [1.0, math.inf, 3.0]], dict(p_value=None, p_holm=None)),
    ],
)
def test_comparison_edge_cases(groups, expected):
    comp = aggregate.compare_groups(groups, 0, "max")[1]
    for key, want in expected.items():
        assert getattr(comp, key) == want, key


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (([[1.0]], 1, "max"), "baseline must be in 0..0"),
        (([[1.0]], -1, "max"), "baseline must be in 0..0"),
        (([[1.0]], True, "max"), "baseline must be an integer"),
        (([[1.0]], "0", "max"), "baseline must be an integer"),
        (([[1.0]], 0, "best"), "goal must be 'min' or 'max'"),
        (([], 0, "max"), "no groups"),
    ],
)
def test_comparison_validation(args, message):
    with pytest.raises(ValueError, match=message):
        aggregate.compare_groups(*args)
    with pytest.raises(ValueError, match="ci_level"):
        aggregate.compare_groups([[1.0], [2.0]], 0, "max", ci_level=1.5)


def test_values_by_group_feeds_compare_groups():
    values = {"a": 1.0, "b": NAN, "c": 3.0, "d": 4.0}
    grouped = aggregate.values_by_group([["a", "b", "zz"], ["c", "d"]], values)
    assert grouped[1] == [3.0, 4.0] and grouped[0][0] == 1.0 and math.isnan(grouped[0][1])
    comp = aggregate.compare_groups(grouped, 0, "max")[1]
    assert (comp.n, comp.n_baseline, comp.delta) == (2, 1, 2.5)


def test_a_variance_that_underflows_is_not_a_flat_side():
    # The sample variance of [0, 1.7e-172] underflows to 0, yet the values differ: a test
    # is defined (scipy's Welch t-test gives p = 0 with 1 degree of freedom), not "flat".
    x, y = [0.0, 1.6968324623063492e-172], [0.0, 0.0]
    (comp, none) = aggregate.compare_groups([x, y], 1, "min", ci_level=0.5)
    ref = sps.ttest_ind(x, y, equal_var=False)
    assert none is None
    assert comp.p_value == pytest.approx(float(ref.pvalue), abs=1e-12)
    interval = ref.confidence_interval(0.5)
    assert (comp.delta_ci_low, comp.delta_ci_high) == (float(interval.low), float(interval.high))
