"""The seeds planner, paired tests and bad-seed flags against statsmodels and scipy."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.power import TTestIndPower

from tb_plugin import seeds

EFFECTS = (0.1, 0.3, 0.5, 0.8, 1.2, 2.0, 4.0)
SIZES = (2, 3, 5, 10, 30, 100)
ALPHAS = (0.01, 0.05, 0.1)


@pytest.mark.parametrize("alpha", ALPHAS)
@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("d", EFFECTS)
def test_power_equals_statsmodels_with_equal_variances(d, n, alpha):
    # Equal n and equal variances: Welch's ν is 2n−2 and λ = d·√(n/2), TTestIndPower's test.
    want = TTestIndPower().power(d, n, alpha, ratio=1.0, alternative="two-sided")
    if math.isnan(want):
        # statsmodels adds scipy's nct.cdf lower tail, NaN far out (d=2, n=30): there the
        # lower tail is below 1e-20 and the upper tail alone is the power.
        want = TTestIndPower().power(d, n, alpha / 2, ratio=1.0, alternative="larger")
    for sd in (1.0, 0.003, 250.0):
        got = seeds.welch_power(d * sd, sd, n, sd, n, alpha)
        assert float(got) == pytest.approx(want, rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("alpha", ALPHAS)
@pytest.mark.parametrize("target", (0.5, 0.8, 0.9))
@pytest.mark.parametrize("d", EFFECTS)
def test_seeds_needed_is_the_smallest_n_statsmodels_gives_the_power(d, target, alpha):
    (n,) = seeds.seeds_needed(d, 1.0, 1.0, alpha, target)
    assert n is not None and n >= 2
    power = TTestIndPower().power
    assert power(d, n, alpha) >= target
    if n > 2:  # (at n = 2 statsmodels' solver has no root above 2 to find)
        assert power(d, n - 1, alpha) < target
        solved = TTestIndPower().solve_power(d, power=target, alpha=alpha, ratio=1.0)
        assert n == math.ceil(solved - 1e-6)


def test_seeds_needed_undefined_cases_and_sign():
    got = seeds.seeds_needed(
        [0.0, math.nan, 1.0, -1.0, 1e-6, 1.0], [1, 1, 0, 1, 1, 1], [1, 1, 0, 1, 1, 1]
    )
    assert got[:3] == [None, None, None]  # no difference, NaN, neither side varies
    assert got[3] == seeds.seeds_needed(1.0, 1, 1)[0] == 17  # the sign does not matter
    assert got[4] is None  # more than MAX_SEEDS
    with pytest.raises(ValueError, match="alpha"):
        seeds.seeds_needed(1.0, 1.0, 1.0, alpha=1.5)
    with pytest.raises(ValueError, match="power"):
        seeds.seeds_needed(1.0, 1.0, 1.0, power=0)


def test_welch_power_with_unequal_variances_matches_simulated_welch_tests():
    # The non-central t with Welch's λ and ν against 40,000 simulated Welch tests (scipy):
    # an approximation, within 0.03 from 4 runs a side; at 3 a side it is optimistic (the
    # real Welch test estimates ν too), as the module docstring says.
    rng = np.random.default_rng(7)
    cases = ((1.5, 1.0, 5, 3.0, 12, 0), (0.8, 0.5, 8, 1.0, 4, 0), (1.0, 1.0, 10, 2.0, 10, 0))
    for delta, sd, n, sd_b, n_b, _ in (*cases, (1.0, 1.0, 3, 1.0, 3, 1)):
        x = rng.normal(delta, sd, size=(40_000, n))
        y = rng.normal(0.0, sd_b, size=(40_000, n_b))
        simulated = np.mean(stats.ttest_ind(x, y, axis=1, equal_var=False).pvalue < 0.05)
        got = float(seeds.welch_power(delta, sd, n, sd_b, n_b, 0.05))
        if min(n, n_b) >= 4:
            assert got == pytest.approx(simulated, abs=0.03)
        else:
            assert simulated < got < simulated + 0.06


def test_welch_power_is_finite_far_in_the_tail():
    # scipy's nct.cdf answers NaN at ν=1998, λ≈11: the power must still be 1.
    assert float(seeds.welch_power(0.5, 1.0, 1000, 1.0, 1000)) == pytest.approx(1.0)
    assert float(seeds.welch_power(0.0, 1.0, 10, 1.0, 10, 0.05)) == pytest.approx(0.05)


def test_effect_size_is_cohens_d_with_the_rms_sd():
    assert seeds.effect_size(1.0, 1.0, 1.0) == 1.0
    assert seeds.effect_size(-2.0, 1.0, math.sqrt(7)) == pytest.approx(2 / 2)
    assert seeds.effect_size(1.0, 0.0, 0.0) == math.inf


@pytest.mark.parametrize("sd", (0.1, 1.0, 3.7))
@pytest.mark.parametrize("halfwidth", (0.05, 0.5, 2.0))
@pytest.mark.parametrize("level", (0.9, 0.95, 0.99))
def test_seeds_for_halfwidth_is_the_smallest_n_whose_t_interval_fits(sd, halfwidth, level):
    n = seeds.seeds_for_halfwidth(sd, halfwidth, level)
    assert n is not None

    def half(m):  # scipy's t interval of a mean with standard error sd/√m
        low, high = stats.t.interval(level, m - 1, loc=0.0, scale=sd / math.sqrt(m))
        return (high - low) / 2

    assert half(n) <= halfwidth * (1 + 1e-12)
    if n > 2:
        assert half(n - 1) > halfwidth


def test_seeds_for_halfwidth_bad_arguments():
    assert seeds.seeds_for_halfwidth(0.0, 1.0) == 2
    assert seeds.seeds_for_halfwidth(math.nan, 1.0) is None
    with pytest.raises(ValueError, match="halfwidth"):
        seeds.seeds_for_halfwidth(1.0, -1.0)


def test_plan_words_and_numbers():
    base = [0.50, 0.55, 0.45]
    plans = seeds.plan([base, [0.60, 0.50], [0.90, 0.95, 0.85, 0.92]], 0)
    assert plans[0] is None
    two = plans[1]
    sd, sd_b = np.std([0.60, 0.50], ddof=1), np.std(base, ddof=1)
    assert two.power == pytest.approx(float(seeds.welch_power(0.05, sd, 2, sd_b, 3)))
    assert two.seeds_needed == seeds.seeds_needed(0.05, sd, sd_b)[0]
    assert two.note.startswith("n=2 (baseline 3): fewer than 3 runs on a side")
    assert "power" in two.note and "missed more often than detected" in two.note
    assert (
        f"about {two.seeds_needed} seeds per group would detect a difference this size 80%"
        in two.note
    )
    strong = plans[2]
    assert strong.power > 0.5 and "missed" not in strong.note and "fewer" not in strong.note
    # A chosen difference (mde) instead of the observed one.
    chosen = seeds.plan([base, [0.60, 0.50, 0.55]], 0, mde=0.2, alpha=0.01, power=0.9)[1]
    assert chosen.difference == 0.2 and chosen.alpha == 0.01 and chosen.target_power == 0.9
    assert chosen.seeds_needed == seeds.seeds_needed(0.2, 0.05, sd_b, 0.01, 0.9)[0]
    assert "the difference asked for 90% of the time" in chosen.note
    one = seeds.plan([base, [0.7]], 0)[1]
    assert one.power is None and one.seeds_needed is None and "fewer than 2 runs" in one.note
    flat = seeds.plan([[1.0, 1.0], [2.0, 2.0]], 0)[1]
    assert flat.power is None and "no variation" in flat.note


def test_plan_example_words_n2():
    # The sentence: n=2 and a difference the size of ~1.4 pooled sds.
    plans = seeds.plan([[0.0, 1.0], [1.5, 2.5]], 0)
    d = plans[1].effect_size
    n = math.ceil(TTestIndPower().solve_power(d, power=0.8, alpha=0.05))
    assert plans[1].seeds_needed == n
    assert plans[1].note.startswith("n=2: fewer than 3 runs on a side")
    assert plans[1].note.endswith(
        f"about {n} seeds per group would detect a difference this size 80% of the time"
    )


# --- paired ------------------------------------------------------------------------------------

PAIRED_CASES = [
    ([1.0, 2.0], [0.5, 1.0]),  # n=2
    ([0.9, 0.8, 0.85, 0.95, 0.7], [0.8, 0.75, 0.8, 0.9, 0.72]),
    ([3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0], [2.0, 7.0, 1.0, 8.0, 2.0, 8.0, 1.0, 8.0]),
    (list(np.linspace(0, 1, 25) ** 2), list(np.linspace(0, 1, 25) * 0.9)),
]


@pytest.mark.parametrize(("x", "y"), PAIRED_CASES)
def test_paired_test_matches_scipy(x, y):
    d = np.subtract(x, y)
    got = seeds.paired_test(d, 0.95)
    ref = stats.ttest_rel(x, y)
    assert got.n_pairs == len(x)
    assert got.mean_difference == pytest.approx(np.mean(d))
    assert got.paired_p == pytest.approx(ref.pvalue, rel=1e-10)
    ci = ref.confidence_interval(0.95)
    assert (got.ci_low, got.ci_high) == pytest.approx((ci.low, ci.high), rel=1e-10)
    nonzero = d[d != 0]
    if len(np.unique(np.abs(nonzero))) == len(nonzero):  # scipy's exact needs no ties
        want = stats.wilcoxon(x, y, method="exact").pvalue
        assert got.wilcoxon_p == pytest.approx(want, rel=1e-10)


@pytest.mark.parametrize(
    "d",
    [
        [1.0, 2.0, 2.0, -4.0, 5.0],  # ties
        [0.5, -0.5, 1.5, 1.5, 1.5, -2.0, 3.0],
        [1.0, 1.0, 1.0, -1.0],
    ],
)
def test_wilcoxon_exact_with_ties_matches_scipys_full_permutation(d):
    # With ties scipy's exact table does not apply; its permutation method enumerates all
    # 2^n sign flips exactly when n_resamples covers them.
    want = stats.wilcoxon(d, method=stats.PermutationMethod(n_resamples=10_000)).pvalue
    assert seeds.wilcoxon_exact_p(d) == pytest.approx(want, rel=1e-10)


def test_wilcoxon_drops_zeros_like_scipy():
    d = [0.0, 2.0, 3.0, -4.0, 5.0, 1.0]
    want = stats.wilcoxon(d, zero_method="wilcox", method="exact").pvalue
    assert seeds.wilcoxon_exact_p(d) == pytest.approx(want, rel=1e-10)


def test_paired_identical_values_and_single_pair():
    same = seeds.paired_test([0.0, 0.0, 0.0])
    assert same.mean_difference == 0.0 and (same.ci_low, same.ci_high) == (0.0, 0.0)
    assert same.paired_p is None and same.wilcoxon_p is None
    with np.errstate(all="ignore"):
        assert math.isnan(stats.ttest_rel([1.0, 2, 3], [1.0, 2, 3]).pvalue)  # scipy: undefined
    one = seeds.paired_test([0.3])
    assert one.n_pairs == 1 and one.mean_difference == 0.3
    assert one.paired_p is None and one.ci_low is None
    assert one.wilcoxon_p == 1.0 == stats.wilcoxon([0.3], method="exact").pvalue
    none = seeds.paired_test([])
    assert none.n_pairs == 0 and none.mean_difference is None


# --- bad seeds ---------------------------------------------------------------------------------


def test_flags_each_kind_with_its_reason():
    values = {"a": 1.0, "b": 1.1, "c": 0.9, "d": 1.05, "e": 9.0, "f": math.nan, "g": 1.0}
    steps = {"a": 1000, "b": 1000, "c": 1000, "d": 1000, "e": 1000, "f": 1000, "g": 200}
    flags = seeds.flag_runs(values, steps)
    assert sorted(flags) == ["e", "f", "g"]
    assert [f["kind"] for f in flags["f"]] == ["nonfinite"]
    assert flags["f"][0]["reason"] == "value is NaN"
    assert flags["g"] == [
        {
            "kind": "short",
            "reason": "last step 200 is under half the group's median last step 1000",
        }
    ]
    # The modified z-score against scipy's median absolute deviation.
    finite = np.array([v for v in values.values() if math.isfinite(v)])
    mad = stats.median_abs_deviation(finite)
    z = 0.6745 * (9.0 - np.median(finite)) / mad
    assert z > 3.5
    assert flags["e"][0]["kind"] == "outlier"
    assert flags["e"][0]["reason"].startswith(f"modified z-score {z:.3g} ")


def test_flags_spare_running_runs_and_equal_values():
    flags = seeds.flag_runs(
        {"a": 1.0, "b": 1.0, "c": 1.0, "d": 5.0},
        {"a": 100, "b": 100, "c": 100, "d": 10},
        running={"d"},
    )
    assert flags == {}  # MAD 0: no outlier; d still running: not short
    assert seeds.flag_runs({"a": 1.0, "b": 100.0}, {}) == {}  # two values: no outlier


def test_parse_exclude():
    assert seeds.parse_exclude(None) == ()
    assert seeds.parse_exclude("flagged") == seeds.FLAG_KINDS
    assert seeds.parse_exclude("outlier,nonfinite") == ("nonfinite", "outlier")
    with pytest.raises(ValueError, match="unknown kind 'bad'"):
        seeds.parse_exclude("bad")
