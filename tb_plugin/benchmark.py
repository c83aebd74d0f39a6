"""Across tasks: benchmark aggregates as `rliable` computes them, ranks and critical differences.

Pure and I/O-free, like `tb_plugin.aggregate`: per-run scores in, plain values out. The
`/benchmark` route and ``tb-rungroups benchmark`` compute through `benchmark`. numpy does the
work, vectorised over bootstrap resamples; `scipy.stats` gives the trimmed mean, the Friedman
test and the studentized range (imported inside the functions that need them).

Scores
    One number per run, keyed by ``(method, task, run)``. A method may have a different number
    of runs on each task; a ``(method, task)`` without runs (or with only non-finite scores,
    which are left out) is *missing*: it is reported by name (`Result.missing`) and the
    method's aggregates say over how many tasks they are (`MethodResult.tasks`), never
    silently averaged over fewer.

Normalisation per task (`NORMALIZATIONS`)
    ``none``: the scores as they are. ``minmax``: ``(x − lo) / (hi − lo)`` where ``lo`` and
    ``hi`` are the lowest and highest of the methods' mean scores on the task, so the worst
    method averages 0 and the best 1 (for a metric whose goal is ``min`` the scale is turned
    round: ``(hi − x) / (hi − lo)``). ``baseline``: ``1 + (x − b) / |b|`` with ``b`` the
    baseline method's mean on the task (``x / b`` when ``b > 0``; ``1 − (x − b) / |b|`` for a
    ``min`` goal), so the baseline averages 1. ``reference``: ``(x − low) / (high − low)`` with
    ``[low, high]`` the task's reference scores (e.g. random and human, from ``rungroups.json``'s
    ``reference_scores``). After ``minmax``, ``baseline`` or ``reference`` higher is better;
    with ``none`` the metric's goal says which way is better.

Aggregates (Agarwal et al., "Deep Reinforcement Learning at the Edge of the Statistical
Precipice", NeurIPS 2021; `rliable.metrics`)
    ``mean``: the mean over tasks of each task's mean score; ``median``: the median over tasks
    of each task's mean score; ``iqm``: the interquartile mean (``scipy.stats.trim_mean(x,
    0.25)``) of all (run, task) scores together; ``optimality_gap``: ``γ − mean(min(x, γ))``
    over all (run, task) scores, γ = `OPTIMALITY_THRESHOLD` (lower is better). With equal run
    counts these are `rliable.metrics`' ``aggregate_mean``, ``aggregate_median``,
    ``aggregate_iqm`` and ``aggregate_optimality_gap`` of the ``runs × tasks`` matrix.

Intervals
    Stratified bootstrap (rliable's ``StratifiedBootstrap``): each resample draws, within every
    task, as many runs as the task has, with replacement; ``reps`` resamples from a seeded
    ``numpy.random.default_rng(seed)``; percentile intervals at ``ci_level`` (rliable's
    default method; quantiles as ``numpy.percentile`` interpolates them, as ``arch`` does).

Performance profiles
    The fraction of a method's (run, task) scores above τ (strictly), over a grid of τ
    (`DEFAULT_TAUS` points from the lowest to the highest score of any method), with
    stratified bootstrap percentile bands: rliable's ``create_performance_profile`` with
    score distributions.

Probability of improvement
    Of each method over the baseline: per task, P(X > Y) + ½ P(X = Y) over all pairs of runs
    (the Mann–Whitney U over ``n_x·n_y``), averaged over the tasks both have; rliable's
    ``probability_of_improvement``, with a stratified bootstrap interval resampling both
    methods independently (rliable's ``StratifiedIndependentBootstrap``). It follows the goal
    (a ``min`` metric with ``none`` counts lower as better).

Ranks (Demšar, "Statistical Comparisons of Classifiers over Multiple Data Sets", JMLR 2006)
    On every task that all methods have, methods are ranked by their mean score (1 = best,
    ties share the average rank); ``average_rank`` is the mean over those tasks. The Friedman
    test is ``scipy.stats.friedmanchisquare`` over the same tasks (at least 3 methods and 2
    tasks). The Nemenyi critical difference is ``q_α · sqrt(k(k + 1) / (6N))`` for k methods
    and N tasks, ``q_α`` the studentized range quantile at ``1 − α`` with infinite degrees of
    freedom over √2 (Demšar's Table 5), α = 1 − ``ci_level``. Two methods whose average ranks
    differ by less than it are not significantly different; `Result.cliques` lists the maximal
    runs of such methods, as the critical-difference diagram joins them.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

NORMALIZATIONS = ("none", "minmax", "baseline", "reference")
"""Per-task normalisations, by name (see the module docstring)."""

AGGREGATES = ("mean", "median", "iqm", "optimality_gap")
"""The aggregates each method gets, each with an interval."""

DEFAULT_REPS = 2000
"""Bootstrap resamples unless asked otherwise."""

MAX_REPS = 100_000
"""The most resamples a request may ask for."""

DEFAULT_TAUS = 50
"""Points of the τ grid of the performance profiles."""

OPTIMALITY_THRESHOLD = 1.0
"""γ of the optimality gap (rliable's default)."""

# Bootstrap resamples are drawn in blocks of at most this many scores (reps × runs), so a
# large benchmark does not hold every resample in memory at once.
_BLOCK = 2_000_000


@dataclasses.dataclass(frozen=True)
class Estimate:
    """A point estimate with its percentile bootstrap interval (``None`` bounds: no interval)."""

    value: float
    ci_low: float | None
    ci_high: float | None

    def to_json(self) -> dict[str, Any]:
        return {"value": self.value, "ci_low": self.ci_low, "ci_high": self.ci_high}


@dataclasses.dataclass(frozen=True)
class Profile:
    """A performance profile: the fraction of scores above each τ, with its bootstrap band."""

    y: tuple[float, ...]
    lower: tuple[float, ...]
    upper: tuple[float, ...]

    def to_json(self) -> dict[str, Any]:
        return {"y": list(self.y), "lower": list(self.lower), "upper": list(self.upper)}


@dataclasses.dataclass(frozen=True)
class MethodResult:
    """One method across tasks.

    Attributes:
      method: The method's name.
      tasks: How many tasks its aggregates are over (those it has runs on).
      runs: How many runs (scores) in all.
      aggregates: `AGGREGATES` name to its estimate.
      average_rank: Mean rank over `Result.rank_tasks` (1 = best), or None without such tasks.
      ranks: Task to the method's rank on it (the tasks of `Result.rank_tasks`).
      p_improvement: Average probability of improvement over the baseline, or None (no
        baseline, or the method is the baseline or shares no task with it).
      p_improvement_tasks: The tasks that average is over.
    """

    method: str
    tasks: int
    runs: int
    aggregates: dict[str, Estimate]
    average_rank: float | None
    ranks: dict[str, float]
    p_improvement: Estimate | None
    p_improvement_tasks: int

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"method": self.method, "tasks": self.tasks, "runs": self.runs}
        out.update({name: est.to_json() for name, est in self.aggregates.items()})
        out["average_rank"] = self.average_rank
        out["ranks"] = dict(self.ranks)
        p = self.p_improvement
        out["p_improvement"] = p.value if p is not None else None
        out["p_improvement_ci"] = (
            {"ci_low": p.ci_low, "ci_high": p.ci_high} if p is not None else None
        )
        out["p_improvement_tasks"] = self.p_improvement_tasks
        return out


@dataclasses.dataclass(frozen=True)
class Result:
    """What `benchmark` computes; `to_json` is the `/benchmark` answer's core.

    Attributes:
      methods: Per method, in the order given.
      tasks: The tasks, in the order given.
      normalize: The normalisation (`NORMALIZATIONS`).
      baseline: The baseline method, or None.
      higher_is_better: Which way the (normalised) scores are better.
      ci_level, reps, seed: The intervals' level, resamples and seed.
      taus: The τ grid of `profiles`.
      profiles: Method to its performance profile (methods without scores have none).
      rank_tasks: The tasks every method has, over which ranks are taken.
      friedman: ``(statistic, p_value)`` of the Friedman test, or None (fewer than 3 methods
        or 2 rank tasks).
      critical_difference: The Nemenyi critical difference at α = 1 − ci_level, or None.
      cliques: Maximal lists of methods (by average rank) whose average ranks differ by less
        than the critical difference, each of at least two methods.
      missing: ``(method, task)`` pairs without scores.
    """

    methods: tuple[MethodResult, ...]
    tasks: tuple[str, ...]
    normalize: str
    baseline: str | None
    higher_is_better: bool
    ci_level: float
    reps: int
    seed: int
    taus: tuple[float, ...]
    profiles: dict[str, Profile]
    rank_tasks: tuple[str, ...]
    friedman: tuple[float, float] | None
    critical_difference: float | None
    cliques: tuple[tuple[str, ...], ...]
    missing: tuple[tuple[str, str], ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "methods": [m.to_json() for m in self.methods],
            "tasks": list(self.tasks),
            "normalize": self.normalize,
            "baseline": self.baseline,
            "higher_is_better": self.higher_is_better,
            "ci_level": self.ci_level,
            "reps": self.reps,
            "seed": self.seed,
            "optimality_threshold": OPTIMALITY_THRESHOLD,
            "profiles": {
                "tau": list(self.taus),
                **{m: p.to_json() for m, p in self.profiles.items()},
            },
            "rank_tasks": list(self.rank_tasks),
            "friedman": (
                {"statistic": self.friedman[0], "p_value": self.friedman[1]}
                if self.friedman is not None
                else None
            ),
            "critical_difference": self.critical_difference,
            "cliques": [list(c) for c in self.cliques],
            "missing": [{"method": m, "task": t} for m, t in self.missing],
        }


# --- normalisation ----------------------------------------------------------------------------


def normalize(
    cells: Mapping[tuple[str, str], np.ndarray],
    how: str,
    *,
    goal: str = "max",
    baseline: str | None = None,
    reference: Mapping[str, Sequence[float]] | None = None,
) -> dict[tuple[str, str], np.ndarray]:
    """Normalises each task's scores (see the module docstring for the formulas).

    Args:
      cells: ``(method, task)`` to that method's run scores on the task (1-D, finite).
      how: One of `NORMALIZATIONS`.
      goal: ``"max"`` or ``"min"``: which way the raw metric is better.
      baseline: The baseline method (``how="baseline"``).
      reference: Task to ``[low, high]`` (``how="reference"``).

    Returns:
      The same keys with normalised scores.

    Raises:
      ValueError: An unknown `how`; ``baseline`` without a baseline or with a baseline
        missing, or averaging 0, on a task; ``reference`` without scores for a task or with
        ``low == high``; ``minmax`` on a task where the methods' means are all equal.
    """
    if how not in NORMALIZATIONS:
        raise ValueError(
            f"unknown normalisation {how!r}; expected one of {', '.join(NORMALIZATIONS)}"
        )
    if how == "none":
        return dict(cells)
    sign = -1.0 if goal == "min" else 1.0
    tasks = list(dict.fromkeys(t for _, t in cells))
    out: dict[tuple[str, str], np.ndarray] = {}
    for task in tasks:
        keys = [k for k in cells if k[1] == task]
        if how == "reference":
            pair = (reference or {}).get(task)
            if pair is None:
                raise ValueError(f"no reference scores for task {task!r}")
            low, high = float(pair[0]), float(pair[1])
            if not (math.isfinite(low) and math.isfinite(high)) or low == high:
                raise ValueError(f"reference scores of task {task!r} must be two different numbers")
            for k in keys:
                out[k] = (cells[k] - low) / (high - low)
        elif how == "minmax":
            means = [float(np.mean(cells[k])) for k in keys]
            lo, hi = min(means), max(means)
            if hi == lo:
                raise ValueError(
                    f"min-max normalisation needs methods whose means differ on task {task!r}"
                )
            for k in keys:
                out[k] = (cells[k] - lo) / (hi - lo) if sign > 0 else (hi - cells[k]) / (hi - lo)
        else:
            if baseline is None:
                raise ValueError("normalisation to a baseline needs a baseline method")
            if (baseline, task) not in cells:
                raise ValueError(f"the baseline {baseline!r} has no runs on task {task!r}")
            b = float(np.mean(cells[(baseline, task)]))
            if b == 0:
                raise ValueError(f"the baseline {baseline!r} averages 0 on task {task!r}")
            for k in keys:
                out[k] = 1.0 + sign * (cells[k] - b) / abs(b)
    return out


# --- the estimators, over a batch of resamples --------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _Stacked:
    """One method's scores, task after task: ``x[offsets[t] : offsets[t] + counts[t]]``."""

    x: np.ndarray
    offsets: np.ndarray
    counts: np.ndarray

    @classmethod
    def of(cls, arrays: Sequence[np.ndarray]) -> _Stacked:
        counts = np.array([len(a) for a in arrays], dtype=np.int64)
        offsets = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
        return cls(np.concatenate(arrays).astype(np.float64), offsets, counts)

    def resample_index(self, rng: np.random.Generator, reps: int) -> np.ndarray:
        """``(reps, n)`` indices: every task's runs drawn with replacement within the task."""
        per = np.repeat(self.counts, self.counts)
        start = np.repeat(self.offsets, self.counts)
        draws = (rng.random((reps, len(self.x))) * per).astype(np.int64)
        np.minimum(draws, per - 1, out=draws)
        return start + draws


def _task_means(samples: np.ndarray, s: _Stacked) -> np.ndarray:
    return np.add.reduceat(samples, s.offsets, axis=1) / s.counts


def _aggregates_of(samples: np.ndarray, s: _Stacked) -> dict[str, np.ndarray]:
    """Every aggregate of each row of ``samples`` (``(reps, n)``, stacked as ``s``)."""
    means = _task_means(samples, s)
    n = samples.shape[1]
    cut = int(0.25 * n)  # scipy.stats.trim_mean's rule
    ordered = np.sort(samples, axis=1)
    return {
        "mean": means.mean(axis=1),
        "median": np.median(means, axis=1),
        "iqm": ordered[:, cut : n - cut].mean(axis=1),
        "optimality_gap": OPTIMALITY_THRESHOLD
        - np.minimum(samples, OPTIMALITY_THRESHOLD).mean(axis=1),
    }


def point_aggregates(arrays: Sequence[np.ndarray]) -> dict[str, float]:
    """The aggregates of one method's per-task run scores, as `rliable.metrics` computes them.

    Args:
      arrays: Per task, the method's run scores (1-D, at least one each).

    Returns:
      `AGGREGATES` name to value.
    """
    from scipy import stats

    task_means = np.array([np.mean(a) for a in arrays])
    flat = np.concatenate(arrays).astype(np.float64)
    return {
        "mean": float(np.mean(task_means)),
        "median": float(np.median(task_means)),
        "iqm": float(stats.trim_mean(flat, proportiontocut=0.25, axis=None)),
        "optimality_gap": float(
            OPTIMALITY_THRESHOLD - np.mean(np.minimum(flat, OPTIMALITY_THRESHOLD))
        ),
    }


def _percentiles(boot: np.ndarray, ci_level: float) -> tuple[np.ndarray, np.ndarray]:
    tail = (1 - ci_level) / 2
    low, high = np.percentile(boot, [100 * tail, 100 * (1 - tail)], axis=0)
    return low, high


def _blocks(reps: int, n: int) -> list[int]:
    size = max(1, _BLOCK // max(n, 1))
    return [min(size, reps - start) for start in range(0, reps, size)]


def profile_points(flat: np.ndarray, taus: np.ndarray) -> np.ndarray:
    """The fraction of ``flat`` strictly above each τ (rliable's ``run_score_deviation``)."""
    return np.array([np.mean(flat > tau) for tau in taus])


def _profile_rows(below: np.ndarray, k: int) -> np.ndarray:
    """Per resample, the fraction of its scores above each of ``k`` τs: ``(reps, k)``.

    ``below`` holds, per resampled score, how many τs lie strictly below it: the score is
    above τ_j exactly for j < that number, so one count per row gives every τ at once.
    """
    reps, n = below.shape
    flat = (below + (k + 1) * np.arange(reps)[:, None]).ravel()
    counts = np.bincount(flat, minlength=reps * (k + 1)).reshape(reps, k + 1)
    above = counts[:, ::-1].cumsum(axis=1)[:, ::-1][:, 1:]
    return above / n


def improvement_probability(x: np.ndarray, y: np.ndarray) -> float:
    """P(X > Y) + ½ P(X = Y) over all pairs: the Mann–Whitney U of ``x`` over ``n_x·n_y``."""
    return float(_improvement_rows(x[None, :], y[None, :])[0])


def _improvement_rows(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    gt = (x[:, :, None] > y[:, None, :]).sum(axis=(1, 2))
    eq = (x[:, :, None] == y[:, None, :]).sum(axis=(1, 2))
    return (gt + 0.5 * eq) / (x.shape[1] * y.shape[1])


# --- ranks ----------------------------------------------------------------------------------------


def nemenyi_critical_difference(k: int, n: int, alpha: float = 0.05) -> float:
    """The Nemenyi test's critical difference of average ranks (Demšar, 2006, section 3.2.2).

    Args:
      k: Methods compared (at least 2).
      n: Tasks (data sets) they are ranked on (at least 1).
      alpha: Significance level.

    Returns:
      ``q_α · sqrt(k(k + 1) / (6n))``, ``q_α`` the studentized range quantile at ``1 − α``
      for k groups and infinite degrees of freedom, over √2.

    Raises:
      ValueError: ``k < 2``, ``n < 1`` or α outside (0, 1).
    """
    from scipy import stats

    if k < 2 or n < 1 or not 0 < alpha < 1:
        raise ValueError(
            f"need k >= 2 methods, n >= 1 tasks and 0 < alpha < 1; got {k}, {n}, {alpha}"
        )
    q = float(stats.studentized_range.ppf(1 - alpha, k, np.inf)) / math.sqrt(2)
    return q * math.sqrt(k * (k + 1) / (6 * n))


def cliques(average_ranks: Mapping[str, float], cd: float) -> list[tuple[str, ...]]:
    """Maximal runs of methods (sorted by average rank) spanning less than ``cd``.

    These are the bars of Demšar's critical-difference diagram: methods joined by one are
    not significantly different by the Nemenyi test. Runs of one method are left out.
    """
    order = sorted(average_ranks, key=lambda m: (average_ranks[m], m))
    spans: list[tuple[int, int]] = []
    for i in range(len(order)):
        j = i
        while j + 1 < len(order) and average_ranks[order[j + 1]] - average_ranks[order[i]] < cd:
            j += 1
        if j > i and not (spans and spans[-1][1] >= j):
            spans.append((i, j))
    return [tuple(order[i : j + 1]) for i, j in spans]


# --- the whole benchmark -------------------------------------------------------------------------


def cells_of(
    scores: Mapping[tuple[str, str, str], float],
) -> dict[tuple[str, str], np.ndarray]:
    """``(method, task, run) -> score`` to ``(method, task) -> finite run scores`` (runs in order)."""
    lists: dict[tuple[str, str], list[float]] = {}
    for (method, task, _run), value in scores.items():
        v = float(value)
        if math.isfinite(v):
            lists.setdefault((method, task), []).append(v)
    return {k: np.array(v, dtype=np.float64) for k, v in lists.items()}


def benchmark(
    scores: Mapping[tuple[str, str, str], float],
    *,
    methods: Sequence[str] | None = None,
    tasks: Sequence[str] | None = None,
    normalization: str = "none",
    goal: str = "max",
    baseline: str | None = None,
    reference: Mapping[str, Sequence[float]] | None = None,
    reps: int = DEFAULT_REPS,
    ci_level: float = 0.95,
    seed: int = 0,
    taus: Sequence[float] | None = None,
) -> Result:
    """Aggregates, profiles, improvement probabilities and ranks of methods across tasks.

    Args:
      scores: ``(method, task, run)`` to the run's score (non-finite scores are left out).
      methods: The methods, in order (default: as they first appear in `scores`); a method
        with no score at all is missing on every task.
      tasks: The tasks, in order (default: as they first appear in `scores`).
      normalization: One of `NORMALIZATIONS`.
      goal: ``"max"`` or ``"min"``: which way the raw metric is better.
      baseline: The method compared with (probability of improvement) and normalised to.
      reference: Task to ``[low, high]`` reference scores (``normalization="reference"``).
      reps: Bootstrap resamples (1 to `MAX_REPS`).
      ci_level: Interval level, in (0, 1); α = 1 − ci_level for the critical difference.
      seed: Seed of the bootstrap's generator.
      taus: The τ grid (default `DEFAULT_TAUS` points over the scores' range).

    Returns:
      A `Result`.

    Raises:
      ValueError: Bad arguments, an unknown baseline, a normalisation that cannot be applied
        (see `normalize`), or no scores at all.
    """
    if not 1 <= reps <= MAX_REPS:
        raise ValueError(f"reps must be between 1 and {MAX_REPS}, got {reps}")
    if not 0 < ci_level < 1:
        raise ValueError(f"ci_level must be in (0, 1), got {ci_level}")
    if goal not in ("max", "min"):
        raise ValueError(f"goal must be 'max' or 'min', got {goal!r}")
    raw = cells_of(scores)
    if not raw:
        raise ValueError("no finite scores to compare")
    method_list = list(methods) if methods is not None else list(dict.fromkeys(m for m, _ in raw))
    task_list = list(tasks) if tasks is not None else list(dict.fromkeys(t for _, t in raw))
    raw = {k: v for k, v in raw.items() if k[0] in method_list and k[1] in task_list}
    if baseline is not None and baseline not in method_list:
        raise ValueError(f"the baseline {baseline!r} is not one of the methods")
    cells = normalize(raw, normalization, goal=goal, baseline=baseline, reference=reference)
    higher = normalization != "none" or goal == "max"
    missing = tuple((m, t) for m in method_list for t in task_list if (m, t) not in cells)

    if taus is None:
        everything = np.concatenate(list(cells.values()))
        tau_grid = np.linspace(everything.min(), everything.max(), DEFAULT_TAUS)
    else:
        tau_grid = np.asarray(taus, dtype=np.float64)
        if tau_grid.ndim != 1 or not len(tau_grid) or np.any(np.diff(tau_grid) < 0):
            raise ValueError("taus must be a non-empty ascending list of numbers")

    rng = np.random.default_rng(seed)
    stacked: dict[str, _Stacked] = {}
    aggregates: dict[str, dict[str, Estimate]] = {}
    profiles: dict[str, Profile] = {}
    for method in method_list:
        arrays = [cells[(method, t)] for t in task_list if (method, t) in cells]
        if not arrays:
            continue
        s = stacked[method] = _Stacked.of(arrays)
        point = point_aggregates(arrays)
        boot: dict[str, list[np.ndarray]] = {name: [] for name in AGGREGATES}
        prof: list[np.ndarray] = []
        below = np.searchsorted(tau_grid, s.x, side="left")  # τs strictly below each score
        for size in _blocks(reps, len(s.x)):
            index = s.resample_index(rng, size)
            for name, values in _aggregates_of(s.x[index], s).items():
                boot[name].append(values)
            prof.append(_profile_rows(below[index], len(tau_grid)))
        aggregates[method] = {}
        for name in AGGREGATES:
            low, high = _percentiles(np.concatenate(boot[name]), ci_level)
            aggregates[method][name] = Estimate(point[name], float(low), float(high))
        plow, phigh = _percentiles(np.concatenate(prof), ci_level)
        profiles[method] = Profile(
            tuple(float(v) for v in profile_points(s.x, tau_grid)),
            tuple(float(v) for v in plow),
            tuple(float(v) for v in phigh),
        )

    improvement = {
        m: _p_improvement(cells, m, baseline, task_list, higher, rng, reps, ci_level)
        for m in method_list
    }
    rank_tasks = tuple(t for t in task_list if all((m, t) in cells for m in method_list))
    ranks, average, friedman, cd = _ranks(cells, method_list, rank_tasks, higher, ci_level)
    joined = cliques(average, cd) if cd is not None else []
    out = []
    for method in method_list:
        have = [t for t in task_list if (method, t) in cells]
        nan = Estimate(math.nan, None, None)
        p_value, p_tasks = improvement[method]
        out.append(
            MethodResult(
                method=method,
                tasks=len(have),
                runs=int(sum(len(cells[(method, t)]) for t in have)),
                aggregates=aggregates.get(method, dict.fromkeys(AGGREGATES, nan)),
                average_rank=average.get(method),
                ranks=ranks.get(method, {}),
                p_improvement=p_value,
                p_improvement_tasks=p_tasks,
            )
        )
    return Result(
        methods=tuple(out),
        tasks=tuple(task_list),
        normalize=normalization,
        baseline=baseline,
        higher_is_better=higher,
        ci_level=ci_level,
        reps=reps,
        seed=seed,
        taus=tuple(float(t) for t in tau_grid),
        profiles=profiles,
        rank_tasks=rank_tasks,
        friedman=friedman,
        critical_difference=cd,
        cliques=tuple(joined),
        missing=missing,
    )


def _p_improvement(
    cells: Mapping[tuple[str, str], np.ndarray],
    method: str,
    baseline: str | None,
    tasks: Sequence[str],
    higher: bool,
    rng: np.random.Generator,
    reps: int,
    ci_level: float,
) -> tuple[Estimate | None, int]:
    """The average probability of improvement of `method` over `baseline`, with its interval."""
    if baseline is None or method == baseline:
        return None, 0
    common = [t for t in tasks if (method, t) in cells and (baseline, t) in cells]
    if not common:
        return None, 0
    sign = 1.0 if higher else -1.0
    point = float(
        np.mean(
            [
                improvement_probability(sign * cells[(method, t)], sign * cells[(baseline, t)])
                for t in common
            ]
        )
    )
    # Tasks with the same run counts are resampled together, as one (reps, tasks, runs) draw.
    shapes: dict[tuple[int, int], list[str]] = {}
    for t in common:
        shapes.setdefault((len(cells[(method, t)]), len(cells[(baseline, t)])), []).append(t)
    total = np.zeros(reps)
    for (nx, ny), same in shapes.items():
        x = sign * np.array([cells[(method, t)] for t in same])  # tasks × runs
        y = sign * np.array([cells[(baseline, t)] for t in same])
        rows = np.arange(len(same))[None, :, None]
        xs = x[rows, rng.integers(0, nx, (reps, len(same), nx))]
        ys = y[rows, rng.integers(0, ny, (reps, len(same), ny))]
        # P(X > Y) + ½ P(X = Y) = ½ + ½ E[sign(X − Y)] over the pairs.
        signs = np.sign(xs[..., :, None] - ys[..., None, :]).sum(axis=(2, 3))
        total += (0.5 + signs / (2 * nx * ny)).sum(axis=1)
    low, high = _percentiles(total / len(common), ci_level)
    return Estimate(point, float(low), float(high)), len(common)


def _ranks(
    cells: Mapping[tuple[str, str], np.ndarray],
    methods: Sequence[str],
    tasks: Sequence[str],
    higher: bool,
    ci_level: float,
) -> tuple[dict[str, dict[str, float]], dict[str, float], tuple[float, float] | None, float | None]:
    """Per-task ranks, average ranks, Friedman's test and the Nemenyi critical difference."""
    from scipy import stats

    if not tasks or not methods:
        return {}, {}, None, None
    means = np.array([[np.mean(cells[(m, t)]) for m in methods] for t in tasks])  # tasks × methods
    ranked = stats.rankdata(-means if higher else means, axis=1)
    ranks = {
        m: {t: float(ranked[i, j]) for i, t in enumerate(tasks)} for j, m in enumerate(methods)
    }
    average = {m: float(ranked[:, j].mean()) for j, m in enumerate(methods)}
    friedman = cd = None
    k, n = len(methods), len(tasks)
    if k >= 3 and n >= 2:
        result = stats.friedmanchisquare(*means.T)
        friedman = (float(result.statistic), float(result.pvalue))
    if k >= 2:
        cd = nemenyi_critical_difference(k, n, 1 - ci_level)
    return ranks, average, friedman, cd
