"""`tb_plugin.benchmark` against `rliable` (Agarwal et al., 2021), scipy and Demšar (2006).

rliable 1.2's `rliable.library` passes ``random_state=`` to `arch`'s bootstrap (rliable pins
arch < 8; arch 7 imports only under pandas 2, which the test extra pins), which arch 7 deprecates
with a FutureWarning (an error here) and arch 8 renamed ``seed=``. The `rliable_library` fixture
maps the keyword to ``seed=`` for the test's duration, so the intervals compared are computed by
rliable's own `StratifiedBootstrap`, `StratifiedIndependentBootstrap` and `conf_int` code.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from rliable import metrics
from scipy import stats

from tb_plugin import benchmark

REPS = 2000


@pytest.fixture
def rliable_library(monkeypatch):
    """`rliable.library`, callable under arch 7 and 8 (see the module docstring)."""
    import arch.bootstrap as arch_bs
    from rliable import library

    original = arch_bs.IIDBootstrap.__init__

    def init(self, *args, random_state=None, seed=None, **kwargs):
        original(self, *args, seed=seed if seed is not None else random_state, **kwargs)

    monkeypatch.setattr(arch_bs.IIDBootstrap, "__init__", init)
    return library


def _scores(cells: dict[tuple[str, str], np.ndarray]) -> dict[tuple[str, str, str], float]:
    return {
        (m, t, f"{m}/{t}/{i}"): float(v) for (m, t), xs in cells.items() for i, v in enumerate(xs)
    }


def _rectangular(seed: int, methods: int = 3, tasks: int = 5, runs: int = 6):
    rng = np.random.default_rng(seed)
    return {
        f"m{i}": rng.normal(0.3 * i + 0.4, 0.5, (runs, tasks)) for i in range(methods)
    }  # rliable's layout: runs × tasks


def _cells_of_matrices(data: dict[str, np.ndarray]) -> dict[tuple[str, str], np.ndarray]:
    return {(m, f"t{t}"): a[:, t] for m, a in data.items() for t in range(a.shape[1])}


def _unequal(seed: int) -> dict[tuple[str, str], np.ndarray]:
    """3 methods × 4 tasks with 2 to 9 runs per cell (a different count in every cell)."""
    rng = np.random.default_rng(seed)
    return {
        (f"m{i}", f"t{t}"): rng.gamma(2.0 + i, 0.3, int(rng.integers(2, 10)))
        for i in range(3)
        for t in range(4)
    }


# --- point estimates ----------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_point_estimates_equal_rliable_metrics_on_a_runs_by_tasks_matrix(seed):
    data = _rectangular(seed)
    result = benchmark.benchmark(_scores(_cells_of_matrices(data)), reps=10)
    for m in result.methods:
        a = data[m.method]
        expected = {
            "mean": metrics.aggregate_mean(a),
            "median": metrics.aggregate_median(a),
            "iqm": metrics.aggregate_iqm(a),
            "optimality_gap": metrics.aggregate_optimality_gap(a),
        }
        for name, value in expected.items():
            assert m.aggregates[name].value == pytest.approx(value, abs=1e-12, rel=0), name
        assert (m.tasks, m.runs) == (5, 30)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_point_estimates_equal_rliable_metrics_with_unequal_run_counts(seed):
    # rliable takes a runs × tasks matrix; its definitions with unequal counts: the mean and
    # median are of the per-task means (a one-row matrix of them), the IQM and optimality gap
    # over every (run, task) score together (one column of all of them).
    cells = _unequal(seed)
    result = benchmark.benchmark(_scores(cells), reps=10)
    for m in result.methods:
        arrays = [cells[(m.method, f"t{t}")] for t in range(4)]
        task_means = np.array([[a.mean() for a in arrays]])
        flat = np.concatenate(arrays)[:, None]
        assert len({len(a) for a in arrays}) > 1
        assert m.aggregates["mean"].value == pytest.approx(
            metrics.aggregate_mean(task_means), abs=1e-12, rel=0
        )
        assert m.aggregates["median"].value == pytest.approx(
            metrics.aggregate_median(task_means), abs=1e-12, rel=0
        )
        assert m.aggregates["iqm"].value == pytest.approx(
            metrics.aggregate_iqm(flat), abs=1e-12, rel=0
        )
        assert m.aggregates["optimality_gap"].value == pytest.approx(
            metrics.aggregate_optimality_gap(flat), abs=1e-12, rel=0
        )


def test_probability_of_improvement_equals_rliable():
    data = _rectangular(3)
    result = benchmark.benchmark(_scores(_cells_of_matrices(data)), baseline="m0", reps=50)
    by_name = {m.method: m for m in result.methods}
    assert by_name["m0"].p_improvement is None
    for name in ("m1", "m2"):
        expected = metrics.probability_of_improvement(data[name], data["m0"])
        assert by_name[name].p_improvement.value == pytest.approx(expected, abs=1e-12)
        assert by_name[name].p_improvement_tasks == 5
    # Unequal run counts: rliable's per-task probability, averaged over the tasks.
    cells = _unequal(4)
    result = benchmark.benchmark(_scores(cells), baseline="m1", reps=50)
    for m in result.methods:
        if m.method == "m1":
            continue
        per_task = [
            metrics.probability_of_improvement(
                cells[(m.method, f"t{t}")][:, None], cells[("m1", f"t{t}")][:, None]
            )
            for t in range(4)
        ]
        assert m.p_improvement.value == pytest.approx(np.mean(per_task), abs=1e-12)
        assert m.p_improvement.ci_low <= m.p_improvement.value <= m.p_improvement.ci_high


# --- intervals --------------------------------------------------------------------------------


def _monte_carlo_sd(scores, seeds=range(1, 9), **kwargs):
    """Per (method, aggregate, bound), the spread of our bound over bootstrap seeds."""
    runs = [benchmark.benchmark(scores, seed=s, reps=REPS, **kwargs) for s in seeds]
    out = {}
    for m in runs[0].methods:
        for name in benchmark.AGGREGATES:
            for bound in ("ci_low", "ci_high"):
                values = [
                    getattr(
                        next(x for x in r.methods if x.method == m.method).aggregates[name], bound
                    )
                    for r in runs
                ]
                out[(m.method, name, bound)] = float(np.std(values, ddof=1))
    return out


def _assert_within_monte_carlo_error(ours, theirs, sd):
    """Each bound of ours is within 4.5 sd of the difference of two independent estimates
    (√2·σ, σ our bound's spread over seeds) of rliable's (rows low, high; columns `_FUNCS`)."""
    for m in ours.methods:
        for j, name in enumerate(_FUNCS):
            for row, bound in enumerate(("ci_low", "ci_high")):
                got = getattr(m.aggregates[name], bound)
                limit = 4.5 * math.sqrt(2) * sd[(m.method, name, bound)]
                assert abs(got - theirs[m.method][row, j]) <= limit, (m.method, name, bound)


_FUNCS = {
    "mean": metrics.aggregate_mean,
    "median": metrics.aggregate_median,
    "iqm": metrics.aggregate_iqm,
    "optimality_gap": metrics.aggregate_optimality_gap,
}


def test_intervals_agree_with_rliable_stratified_bootstrap_within_monte_carlo_error(
    rliable_library,
):
    data = _rectangular(5)
    scores = _scores(_cells_of_matrices(data))
    ours = benchmark.benchmark(scores, reps=REPS, seed=0)
    sd = _monte_carlo_sd(scores)
    np.random.seed(12345)  # rliable's StratifiedBootstrap draws from numpy's global state
    _, theirs = rliable_library.get_interval_estimates(
        data,
        lambda x: np.array([f(x) for f in _FUNCS.values()]),
        reps=REPS,
        random_state=np.random.RandomState(0),
    )
    _assert_within_monte_carlo_error(ours, theirs, sd)
    for m in ours.methods:
        for j, name in enumerate(_FUNCS):
            width = m.aggregates[name].ci_high - m.aggregates[name].ci_low
            their_width = theirs[m.method][1, j] - theirs[m.method][0, j]
            assert width == pytest.approx(their_width, rel=0.15)


def test_intervals_with_unequal_run_counts_agree_with_rliable(rliable_library):
    # A list of per-task arrays is rliable's way to resample tasks of different run counts
    # (StratifiedIndependentBootstrap: each task's runs resampled on their own).
    cells = _unequal(6)
    scores = _scores(cells)
    ours = benchmark.benchmark(scores, reps=REPS, seed=0)
    sd = _monte_carlo_sd(scores)
    per_method = {m: [cells[(m, f"t{t}")] for t in range(4)] for m in ("m0", "m1", "m2")}

    def func(*arrays):
        flat = np.concatenate(arrays)[:, None]
        means = np.array([[a.mean() for a in arrays]])
        return np.array(
            [
                metrics.aggregate_mean(means),
                metrics.aggregate_median(means),
                metrics.aggregate_iqm(flat),
                metrics.aggregate_optimality_gap(flat),
            ]
        )

    np.random.seed(54321)
    _, theirs = rliable_library.get_interval_estimates(
        per_method, func, reps=REPS, random_state=np.random.RandomState(0)
    )
    _assert_within_monte_carlo_error(ours, theirs, sd)


def test_intervals_are_seeded_and_cover_the_point_estimate():
    scores = _scores(_unequal(7))
    a = benchmark.benchmark(scores, reps=300, seed=3).to_json()
    b = benchmark.benchmark(scores, reps=300, seed=3).to_json()
    c = benchmark.benchmark(scores, reps=300, seed=4).to_json()
    assert a == b
    assert a != c
    for m in a["methods"]:
        for name in ("mean", "iqm"):
            assert m[name]["ci_low"] <= m[name]["value"] <= m[name]["ci_high"]


# --- performance profiles -------------------------------------------------------------------------


def test_performance_profiles_equal_rliable_at_50_taus(rliable_library):
    data = _rectangular(8)
    scores = _scores(_cells_of_matrices(data))
    taus = np.linspace(-0.5, 2.0, 50)
    ours = benchmark.benchmark(scores, reps=REPS, taus=taus)
    np.random.seed(2024)
    profiles, bands = rliable_library.create_performance_profile(data, taus, reps=REPS)
    others = [benchmark.benchmark(scores, reps=REPS, taus=taus, seed=s) for s in range(1, 9)]
    for name in data:
        ours_profile = ours.profiles[name]
        np.testing.assert_allclose(ours_profile.y, profiles[name], rtol=0, atol=1e-12)
        for row, band in enumerate((ours_profile.lower, ours_profile.upper)):
            spread = np.std(
                [[o.profiles[name].lower, o.profiles[name].upper][row] for o in others],
                axis=0,
                ddof=1,
            )
            # A band point is a quantile of fractions k/30: allow one step beyond the MC error.
            limit = 4.5 * math.sqrt(2) * spread + 1 / 30 + 1e-12
            assert np.all(np.abs(np.array(band) - bands[name][row]) <= limit)


def test_default_tau_grid_spans_the_scores():
    cells = _unequal(9)
    result = benchmark.benchmark(_scores(cells), reps=20)
    everything = np.concatenate(list(cells.values()))
    assert len(result.taus) == benchmark.DEFAULT_TAUS
    assert result.taus[0] == everything.min() and result.taus[-1] == everything.max()
    for m in result.methods:
        flat = np.concatenate([cells[(m.method, f"t{t}")] for t in range(4)])
        expected = [np.mean(flat > tau) for tau in result.taus]
        assert list(result.profiles[m.method].y) == expected


# --- ranks, Friedman, critical difference ---------------------------------------------------------

# Demšar (2006), Table 5(a): critical values q_0.05 of the two-tailed Nemenyi test.
DEMSAR_Q05 = {
    2: 1.960,
    3: 2.343,
    4: 2.569,
    5: 2.728,
    6: 2.850,
    7: 2.949,
    8: 3.031,
    9: 3.102,
    10: 3.164,
}


@pytest.mark.parametrize("k", [3, 10])
@pytest.mark.parametrize("n", [5, 26])
def test_critical_difference_is_demsars_formula(k, n):
    cd = benchmark.nemenyi_critical_difference(k, n, alpha=0.05)
    q = stats.studentized_range.ppf(0.95, k, np.inf) / math.sqrt(2)
    assert cd == pytest.approx(q * math.sqrt(k * (k + 1) / (6 * n)), rel=1e-12)
    # The table gives q to three decimals (2.343 for 2.3437: not always rounded).
    assert cd / math.sqrt(k * (k + 1) / (6 * n)) == pytest.approx(DEMSAR_Q05[k], abs=1e-3)


@pytest.mark.parametrize("k", [3, 10])
def test_ranks_friedman_and_critical_difference_of_a_benchmark(k):
    rng = np.random.default_rng(k)
    tasks = 12
    true = np.linspace(0, 1.5, k)
    cells = {
        (f"m{j}", f"t{t}"): rng.normal(true[j] + rng.normal(0, 0.3), 0.2, 4)
        for j in range(k)
        for t in range(tasks)
    }
    result = benchmark.benchmark(_scores(cells), reps=20)
    means = np.array([[cells[(f"m{j}", f"t{t}")].mean() for j in range(k)] for t in range(tasks)])
    expected = stats.friedmanchisquare(*means.T)
    assert result.friedman == (pytest.approx(expected.statistic), pytest.approx(expected.pvalue))
    # Independently: Demšar's eq. for the statistic from the average ranks (no ties here).
    ranks = np.array([stats.rankdata(-row) for row in means])
    average = ranks.mean(axis=0)
    chi2 = 12 * tasks / (k * (k + 1)) * (np.sum(average**2) - k * (k + 1) ** 2 / 4)
    assert result.friedman[0] == pytest.approx(chi2, rel=1e-12)
    for j, m in enumerate(result.methods):
        assert m.average_rank == pytest.approx(average[j])
        assert m.ranks == {f"t{t}": ranks[t, j] for t in range(tasks)}
    scale = math.sqrt(k * (k + 1) / (6 * tasks))
    assert result.critical_difference / scale == pytest.approx(DEMSAR_Q05[k], abs=1e-3)
    # The best method ranks first: higher is better by default.
    assert result.methods[-1].average_rank < result.methods[0].average_rank


def test_lower_is_better_for_a_min_goal_without_normalisation():
    cells = {("a", "t0"): np.array([1.0, 1.1]), ("b", "t0"): np.array([2.0, 2.1])}
    cells |= {("a", "t1"): np.array([1.0]), ("b", "t1"): np.array([3.0, 3.5, 3.2])}
    result = benchmark.benchmark(_scores(cells), goal="min", baseline="b", reps=50)
    a, b = result.methods
    assert (a.average_rank, b.average_rank) == (1.0, 2.0)
    assert a.p_improvement.value == 1.0
    assert result.higher_is_better is False


def test_cliques_join_methods_closer_than_the_critical_difference():
    ranks = {"a": 1.0, "b": 1.5, "c": 2.2, "d": 3.9, "e": 4.0}
    assert benchmark.cliques(ranks, 1.3) == [("a", "b", "c"), ("d", "e")]
    assert benchmark.cliques(ranks, 0.05) == []
    assert benchmark.cliques(ranks, 10) == [("a", "b", "c", "d", "e")]


# --- missing cells and normalisations --------------------------------------------------------------


def test_a_missing_method_task_is_named_and_aggregates_say_over_how_many_tasks():
    cells = _unequal(10)
    del cells[("m2", "t1")]
    scores = _scores(cells)
    scores[("m2", "t3", "nan run")] = math.nan  # a non-finite score is left out, not averaged
    result = benchmark.benchmark(scores, reps=50)
    assert result.missing == (("m2", "t1"),)
    by_name = {m.method: m for m in result.methods}
    assert by_name["m2"].tasks == 3 and by_name["m0"].tasks == 4
    assert by_name["m2"].runs == sum(len(cells[("m2", t)]) for t in ("t0", "t2", "t3"))
    # Ranks and the Friedman test are over the tasks every method has.
    assert result.rank_tasks == ("t0", "t2", "t3")
    assert set(by_name["m0"].ranks) == {"t0", "t2", "t3"}
    expected = benchmark.point_aggregates([cells[("m2", t)] for t in ("t0", "t2", "t3")])
    assert by_name["m2"].aggregates["mean"].value == expected["mean"]
    json = result.to_json()
    assert json["missing"] == [{"method": "m2", "task": "t1"}]


def test_a_method_with_no_scores_at_all_is_missing_everywhere():
    cells = _unequal(11)
    result = benchmark.benchmark(_scores(cells), methods=["m0", "m1", "m2", "ghost"], reps=20)
    assert [t for m, t in result.missing if m == "ghost"] == ["t0", "t1", "t2", "t3"]
    ghost = result.methods[-1]
    assert ghost.tasks == 0 and math.isnan(ghost.aggregates["iqm"].value)
    assert "ghost" not in result.profiles
    assert result.rank_tasks == ()  # no task has every method
    assert result.friedman is None and result.critical_difference is None


def test_normalisations():
    cells = {
        ("a", "t"): np.array([1.0, 3.0]),
        ("b", "t"): np.array([4.0, 6.0]),
        ("c", "t"): np.array([10.0, 12.0]),
    }
    minmax = benchmark.normalize(cells, "minmax")
    np.testing.assert_allclose(minmax[("a", "t")], [-1 / 9, 1 / 9])
    np.testing.assert_allclose(minmax[("c", "t")], [8 / 9, 10 / 9])
    flipped = benchmark.normalize(cells, "minmax", goal="min")
    np.testing.assert_allclose(flipped[("a", "t")], [10 / 9, 8 / 9])
    relative = benchmark.normalize(cells, "baseline", baseline="b")
    np.testing.assert_allclose(relative[("c", "t")], [2.0, 12 / 5])
    np.testing.assert_allclose(relative[("b", "t")].mean(), 1.0)
    lower = benchmark.normalize(cells, "baseline", baseline="b", goal="min")
    np.testing.assert_allclose(lower[("c", "t")], [0.0, -0.4])
    ref = benchmark.normalize(cells, "reference", reference={"t": [2.0, 12.0]})
    np.testing.assert_allclose(ref[("b", "t")], [0.2, 0.4])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"normalization": "zscore"}, "unknown normalisation"),
        ({"normalization": "baseline"}, "needs a baseline"),
        ({"normalization": "baseline", "baseline": "nope"}, "not one of the methods"),
        (
            {"normalization": "reference", "reference": {"t0": [0, 1]}},
            "no reference scores for task 't1'",
        ),
        (
            {"normalization": "reference", "reference": {"t0": [1, 1], "t1": [0, 1]}},
            "two different",
        ),
        ({"reps": 0}, "reps"),
        ({"ci_level": 1.0}, "ci_level"),
    ],
)
def test_bad_arguments_are_one_clear_error(kwargs, message):
    cells = {
        ("a", "t0"): np.array([1.0]),
        ("a", "t1"): np.array([2.0]),
        ("b", "t0"): np.array([3.0]),
    }
    with pytest.raises(ValueError, match=message):
        benchmark.benchmark(_scores(cells), **kwargs)


def test_baseline_missing_on_a_task_cannot_normalise():
    cells = {
        ("a", "t0"): np.array([1.0]),
        ("a", "t1"): np.array([2.0]),
        ("b", "t0"): np.array([3.0]),
    }
    with pytest.raises(ValueError, match="'b' has no runs on task 't1'"):
        benchmark.benchmark(_scores(cells), normalization="baseline", baseline="b")


def test_json_has_the_contracts_keys():
    answer = benchmark.benchmark(_scores(_unequal(12)), baseline="m0", reps=20).to_json()
    assert set(answer) >= {"methods", "profiles", "friedman", "critical_difference", "missing"}
    method = answer["methods"][1]
    assert set(method) >= {"method", "tasks", "mean", "median", "iqm", "optimality_gap"}
    assert set(method["iqm"]) == {"value", "ci_low", "ci_high"}
    assert isinstance(method["p_improvement"], float) and method["average_rank"] > 0
    assert len(answer["profiles"]["tau"]) == 50
    assert set(answer["profiles"]["m0"]) == {"y", "lower", "upper"}
