"""How many seeds, paired seeds and bad seeds (SPEC §5c): pure numbers over runs' values.

Pure and I/O-free like `tb_plugin.aggregate`; `scipy.stats` is imported inside the
functions that need it, so TensorBoard's start-up does not pay for it.

Seeds planner (`welch_power`, `seeds_needed`, `seeds_for_halfwidth`, `plan`)
    The power of the two-sided Welch (1947) t-test, from the non-central t distribution:
    with a true difference δ, standard deviations σ₁, σ₂ and n₁, n₂ runs, the Welch
    statistic is approximately non-central t with noncentrality λ = δ / √(σ₁²/n₁ + σ₂²/n₂)
    and the Welch–Satterthwaite degrees of freedom ν; the power at level α is
    P(|T| > t₁₋α/₂,ν) = sf(t; ν, λ) + cdf(−t; ν, λ) (Cohen 1988, ch. 2; the same
    formula as ``statsmodels.stats.power.TTestIndPower``). The observed standard deviations
    stand in for σ₁, σ₂.

    How unequal variances map to an effect size: the effect size reported is
    d = |δ| / σ_rms with σ_rms = √((σ₁² + σ₂²)/2), the root-mean-square standard deviation.
    With n runs in each group the Welch noncentrality is then exactly d·√(n/2), the
    noncentrality of the equal-variance t-test with Cohen's d (so with equal variances and
    equal n the power is exactly `TTestIndPower().power(d, n, alpha)`); only ν differs
    with unequal variances: (n−1)(σ₁²+σ₂²)²/(σ₁⁴+σ₂⁴), between n−1 and 2n−2, so unequal
    variances need a few more seeds than the pooled test would say. The seeds needed are the
    smallest equal n per group whose Welch power reaches the target. The formula takes ν as
    known; with 3 runs or fewer a side the real Welch test, which estimates ν, is less
    powerful than it says (1.0 sd apart, 3 and 3 runs: 0.16 here, 0.12 simulated), so there
    the power is an upper bound and the seeds needed a lower bound.

Paired by seed (`paired_test`, `wilcoxon_exact_p`)
    Runs of two groups that share a seed value form pairs (common random numbers); the
    per-pair differences get the paired t-test (as ``scipy.stats.ttest_rel``) with its t
    interval of the mean difference, and the exact Wilcoxon (1945) signed-rank test (zeros
    dropped, ties at mid-ranks, p from the exact permutation distribution of the signs).

Bad seeds (`flag_runs`)
    A run is flagged ``nonfinite`` (its value is NaN or infinite), ``short`` (its last step
    is under half the median last step of its group's runs) or ``outlier`` (its modified
    z-score 0.6745·(x − median)/MAD is over 3.5 in absolute value; Iglewicz and Hoaglin 1993,
    "How to Detect and Handle Outliers").
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

DEFAULT_ALPHA = 0.05
DEFAULT_POWER = 0.8
MAX_SEEDS = 10_000_000
"""The largest number of seeds per group `seeds_needed` searches; beyond it: ``None``."""

FLAG_KINDS = ("nonfinite", "short", "outlier")
"""The kinds of bad seed, in the order a member's flags list them."""

FLAG_WORDS = {
    "nonfinite": "NaN or infinite value",
    "short": "stopped before half its group's median last step",
    "outlier": "modified z-score over 3.5",
}
"""Each kind in words, for captions."""

OUTLIER_Z = 3.5
SHORT_FRACTION = 0.5


def _check_fraction(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 1:
        raise ValueError(f"{name} must be a number in (0, 1), not {value!r}")
    return float(value)


# --- power -------------------------------------------------------------------------------------


def two_sided_power(noncentrality: Any, df: Any, alpha: float = DEFAULT_ALPHA) -> np.ndarray:
    """Power of a two-sided t-test: P(|T| > t₁₋α/₂,ν) for T non-central t(ν, λ).

    Args:
        noncentrality: λ, any shape (its sign does not matter).
        df: ν, broadcast with ``noncentrality``; positive.
        alpha: The level, in (0, 1).

    Returns:
        The power, a float array of the broadcast shape, in [α, 1].
    """
    from scipy import stats

    alpha = _check_fraction(alpha, "alpha")
    nc = np.abs(np.asarray(noncentrality, dtype=np.float64))
    df = np.asarray(df, dtype=np.float64)
    crit = stats.t.isf(alpha / 2, df)
    with np.errstate(invalid="ignore", over="ignore", under="ignore"):
        # At λ = 0 the power is α exactly. The lower tail is sf(c; ν, −λ): scipy's nct.cdf
        # answers NaN far in the tail (ν = 1998, λ = 11.18); where either tail still comes
        # out NaN, the normal approximation stands in (the tail is then below 1e-30).
        upper = np.where(nc == 0, alpha / 2, stats.nct.sf(crit, df, nc))
        lower = np.where(nc == 0, alpha / 2, stats.nct.sf(crit, df, -nc))
        upper = np.where(np.isnan(upper), stats.norm.sf(crit - nc), upper)
        lower = np.where(np.isnan(lower), stats.norm.sf(crit + nc), lower)
    return np.clip(upper + lower, 0.0, 1.0)


def welch_df(var: Any, n: Any, var_base: Any, n_base: Any) -> np.ndarray:
    """The Welch–Satterthwaite degrees of freedom of two samples' variances and sizes."""
    a = np.asarray(var, dtype=np.float64) / np.asarray(n, dtype=np.float64)
    b = np.asarray(var_base, dtype=np.float64) / np.asarray(n_base, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        scale = np.maximum(a, b)
        a1, b1 = a / scale, b / scale
        return (a1 + b1) ** 2 / (
            a1 * a1 / (np.asarray(n) - 1.0) + b1 * b1 / (np.asarray(n_base) - 1.0)
        )


def welch_power(
    delta: Any, sd: Any, n: Any, sd_base: Any, n_base: Any, alpha: float = DEFAULT_ALPHA
) -> np.ndarray:
    """Power of the two-sided Welch t-test to detect a true difference ``delta``.

    Args:
        delta: The difference of means, in the metric's unit (sign ignored).
        sd, sd_base: Standard deviations of the two groups (> 0 together).
        n, n_base: Runs in each group (≥ 2).
        alpha: The test's level.

    Returns:
        The power in [α, 1] (array of the broadcast shape); NaN where a standard deviation
        is not finite or both are 0.
    """
    var, var_b = np.square(np.asarray(sd, np.float64)), np.square(np.asarray(sd_base, np.float64))
    se2 = var / np.asarray(n, np.float64) + var_b / np.asarray(n_base, np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        nc = np.abs(np.asarray(delta, np.float64)) / np.sqrt(se2)
    df = welch_df(var, n, var_b, n_base)
    bad = ~(np.isfinite(nc) & np.isfinite(df) & (df > 0))
    out = two_sided_power(np.where(bad, 0.0, nc), np.where(bad, 1.0, df), alpha)
    return np.where(bad, np.nan, out)


def effect_size(delta: float, sd: float, sd_base: float) -> float:
    """|δ| / σ_rms, σ_rms = √((σ₁² + σ₂²)/2): the standardized difference the planner uses
    (Cohen's d when the variances are equal); ``inf`` when neither side varies."""
    rms = math.sqrt((sd * sd + sd_base * sd_base) / 2)
    return abs(delta) / rms if rms > 0 else math.inf


def seeds_needed(
    delta: Any,
    sd: Any,
    sd_base: Any,
    alpha: float = DEFAULT_ALPHA,
    power: float = DEFAULT_POWER,
) -> list[int | None]:
    """Smallest n (runs per group, equal in both, ≥ 2) whose Welch power reaches ``power``.

    Vectorised over the broadcast shape of the inputs (a bisection over n for all at once:
    the power grows with n). ``None`` where undefined (no difference, a standard deviation
    NaN, neither side varying) or more than `MAX_SEEDS` would be needed.

    Returns:
        A flat list, one entry per element of the broadcast inputs.

    Raises:
        ValueError: ``alpha`` or ``power`` outside (0, 1).
    """
    alpha = _check_fraction(alpha, "alpha")
    power = _check_fraction(power, "power")
    d, s1, s2 = (np.asarray(x, np.float64) for x in np.broadcast_arrays(delta, sd, sd_base))
    d, s1, s2 = d.reshape(-1), s1.reshape(-1), s2.reshape(-1)
    ok = np.isfinite(d) & (d != 0) & np.isfinite(s1) & np.isfinite(s2) & ((s1 > 0) | (s2 > 0))
    from scipy import stats

    lo = np.full(d.shape, 1, dtype=np.int64)  # power(lo) < target (n=1: no test)
    # Start from twice the normal approximation 2·((z₁₋α/₂ + z_power)/d)² (+8), which the
    # t-test needs less than, falling back to MAX_SEEDS where it does not reach the power.
    z = float(stats.norm.isf(alpha / 2) + stats.norm.ppf(power))
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        guess = 4 * np.square(z) * (s1 * s1 + s2 * s2) / (2 * d * d) + 8
    hi = np.where(ok, np.minimum(np.nan_to_num(guess, nan=MAX_SEEDS), MAX_SEEDS), 2).astype(
        np.int64
    )
    reach = ok.copy()
    if ok.any():
        reach[ok] = welch_power(d[ok], s1[ok], hi[ok], s2[ok], hi[ok], alpha) >= power
        retry = ok & ~reach
        if retry.any():
            hi[retry] = MAX_SEEDS
            reach[retry] = (
                welch_power(d[retry], s1[retry], MAX_SEEDS, s2[retry], MAX_SEEDS, alpha) >= power
            )
    active = reach.copy()
    while active.any():
        mid = (lo + hi) // 2
        idx = np.flatnonzero(active)
        p = welch_power(d[idx], s1[idx], mid[idx], s2[idx], mid[idx], alpha)
        good = p >= power
        hi[idx[good]] = mid[idx[good]]
        lo[idx[~good]] = mid[idx[~good]]
        active = reach & (hi - lo > 1)
    return [int(h) if r else None for h, r in zip(hi.tolist(), reach.tolist(), strict=True)]


def seeds_for_halfwidth(sd: float, halfwidth: float, level: float = 0.95) -> int | None:
    """Smallest n ≥ 2 whose Student-t interval of the mean, t((1+level)/2, n−1)·sd/√n, is
    at most ``halfwidth`` (same unit as ``sd``); ``None`` if ``sd`` is not finite or more
    than `MAX_SEEDS` would be needed. ``sd`` = 0 needs 2.

    Raises:
        ValueError: ``halfwidth`` not a positive number, ``level`` outside (0, 1).
    """
    from scipy import stats

    level = _check_fraction(level, "level")
    if not (isinstance(halfwidth, int | float) and halfwidth > 0 and math.isfinite(halfwidth)):
        raise ValueError(f"halfwidth must be a positive number, not {halfwidth!r}")
    if not math.isfinite(sd):
        return None

    def half(n: int) -> float:
        return float(stats.t.ppf((1 + level) / 2, n - 1)) * sd / math.sqrt(n)

    if half(MAX_SEEDS) > halfwidth:
        return None
    lo, hi = 1, MAX_SEEDS  # half(lo) is infinite
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if half(mid) <= halfwidth:
            hi = mid
        else:
            lo = mid
    return hi


@dataclasses.dataclass(frozen=True)
class Plan:
    """The seeds planner's answer for one comparison with the baseline.

    Attributes:
        power: Power of the two-sided Welch test at ``alpha`` for the difference (the
            observed one, or the user's ``mde``) with today's n; ``None`` when undefined
            (a side with fewer than two values, or neither side varying).
        seeds_needed: Runs per group (both groups) for ``target_power``; ``None`` when
            undefined or over `MAX_SEEDS`.
        effect_size: |difference| / σ_rms (see the module docstring); ``None`` when undefined.
        difference: The difference planned for (``mde`` or the observed mean difference).
        alpha, target_power: The level and the power asked for.
        note: The answer in words (always given when the numbers are not: it says why).
    """

    power: float | None
    seeds_needed: int | None
    effect_size: float | None
    difference: float | None
    alpha: float
    target_power: float
    note: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "power": self.power,
            "seeds_needed": self.seeds_needed,
            "effect_size": self.effect_size,
            "difference": self.difference,
            "alpha": self.alpha,
            "target_power": self.target_power,
            "power_note": self.note,
        }


def plan(
    groups_values: Sequence[Sequence[float]],
    baseline: int,
    *,
    alpha: float = DEFAULT_ALPHA,
    power: float = DEFAULT_POWER,
    mde: float | None = None,
) -> list[Plan | None]:
    """The seeds planner for every group against the baseline (``None`` for the baseline).

    Args:
        groups_values: Each group's values (non-finite values are left out).
        baseline: Index of the baseline group.
        alpha, power: Level and target power, in (0, 1).
        mde: The difference to detect (the metric's unit); default the observed difference.

    Raises:
        ValueError: bad ``alpha``, ``power`` or ``mde``, a baseline index out of range.
    """
    alpha = _check_fraction(alpha, "alpha")
    power = _check_fraction(power, "power")
    if mde is not None and not (math.isfinite(mde) and mde != 0):
        raise ValueError(f"mde must be a non-zero finite number, not {mde!r}")
    if not 0 <= baseline < len(groups_values):
        raise ValueError(f"baseline index {baseline} out of range")
    clean = [np.asarray(v, np.float64) for v in groups_values]
    clean = [v[np.isfinite(v)] for v in clean]
    n = np.array([v.size for v in clean])
    mean = np.array([v.mean() if v.size else math.nan for v in clean])
    sd = np.array([v.std(ddof=1) if v.size >= 2 else math.nan for v in clean])
    nb, sdb = int(n[baseline]), float(sd[baseline])
    diff = np.full(len(clean), float(mde)) if mde is not None else mean - mean[baseline]
    defined = (n >= 2) & (nb >= 2) & ((sd > 0) | (sdb > 0)) & np.isfinite(diff)
    powers = np.full(len(clean), math.nan)
    idx = np.flatnonzero(defined)
    if idx.size:
        powers[idx] = welch_power(diff[idx], sd[idx], n[idx], sdb, nb, alpha)
    needed = seeds_needed(np.where(defined, diff, math.nan), sd, sdb, alpha, power)
    out: list[Plan | None] = []
    for i in range(len(clean)):
        if i == baseline:
            out.append(None)
            continue
        ok = bool(defined[i])
        p = float(powers[i]) if ok else None
        need = needed[i] if ok else None
        d = float(diff[i]) if math.isfinite(diff[i]) else None
        effect = effect_size(d, float(sd[i]), sdb) if ok and d is not None else None
        out.append(
            Plan(
                power=p,
                seeds_needed=need,
                effect_size=effect,
                difference=d,
                alpha=alpha,
                target_power=power,
                note=_plan_note(int(n[i]), nb, p, need, d, power, ok, mde is not None),
            )
        )
    return out


def _plan_note(
    n: int,
    nb: int,
    p: float | None,
    need: int | None,
    diff: float | None,
    target: float,
    ok: bool,
    chosen: bool,
) -> str:
    size = "the difference asked for" if chosen else "a difference this size"
    few = min(n, nb)
    if not ok:
        if few < 2:
            return f"n={few}: fewer than 2 runs on a side, no power to compute"
        if diff == 0:
            return "no difference between the means: no number of seeds detects it"
        return "no variation across seeds on either side: power is undefined"
    parts = []
    if few < 3:
        parts.append(f"fewer than 3 runs on a side ({n} here, {nb} in the baseline)")
    if p is not None and p < 0.5:
        parts.append(f"power {p:.0%}: {size} would be missed more often than detected")
    if need is None:
        parts.append(f"more than {MAX_SEEDS:,} seeds per group would be needed")
    else:
        parts.append(
            f"about {need} seed{'s' if need != 1 else ''} per group would detect "
            f"{size} {target:.0%} of the time"
        )
    head = f"n={n}" if n == nb else f"n={n} (baseline {nb})"
    return f"{head}: " + "; ".join(parts)


# --- paired by seed ----------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class PairedTest:
    """Paired t-test and exact Wilcoxon signed-rank test of per-pair differences.

    Attributes:
        n_pairs: Pairs with finite values on both sides.
        mean_difference: Mean of the differences (``None`` without pairs).
        ci_low, ci_high: Student-t interval of the mean difference (n_pairs − 1 degrees of
            freedom) at ``ci_level``; ``None`` for fewer than two pairs; ``[mean, mean]``
            when every difference is the same.
        paired_p: Two-sided paired t-test p (``scipy.stats.ttest_rel``); ``None`` for fewer
            than two pairs or when the differences do not vary (no evidence either way).
        wilcoxon_p: Exact two-sided Wilcoxon signed-rank p (zeros dropped, mid-ranks for
            ties); ``None`` when no difference is non-zero.
    """

    n_pairs: int
    mean_difference: float | None
    ci_low: float | None
    ci_high: float | None
    ci_level: float
    paired_p: float | None
    wilcoxon_p: float | None


def paired_test(differences: Sequence[float] | np.ndarray, ci_level: float = 0.95) -> PairedTest:
    """Tests per-pair differences (non-finite ones must be left out by the caller)."""
    from scipy import stats

    ci_level = _check_fraction(ci_level, "ci_level")
    d = np.asarray(differences, dtype=np.float64)
    n = d.size
    if n == 0:
        return PairedTest(0, None, None, None, ci_level, None, None)
    mean = float(d.mean())
    low = high = p = None
    if n >= 2:
        sd = float(d.std(ddof=1))
        if sd == 0 or np.all(d == d[0]):
            low = high = mean
        else:
            se = sd / math.sqrt(n)
            half = float(stats.t.ppf((1 + ci_level) / 2, n - 1)) * se
            low, high = mean - half, mean + half
            p = float(2 * stats.t.sf(abs(mean / se), n - 1))
            p = min(1.0, p)
    return PairedTest(n, mean, low, high, ci_level, p, wilcoxon_exact_p(d))


def wilcoxon_exact_p(differences: Sequence[float] | np.ndarray) -> float | None:
    """Exact two-sided p of the Wilcoxon signed-rank test of differences.

    Zeros are dropped (Wilcoxon's convention, scipy's ``zero_method="wilcox"``); the others
    are ranked by absolute value with mid-ranks for ties; R⁺ (sum of ranks of positive
    differences) is referred to its exact distribution over all 2ⁿ sign assignments
    (computed by counting over doubled ranks, exact with ties), and p = min(1, 2·min(P(R⁺ ≤
    r), P(R⁺ ≥ r))), as ``scipy.stats.wilcoxon(d, method="exact")`` without ties.
    ``None`` when no difference is non-zero.
    """
    from scipy import stats

    d = np.asarray(differences, dtype=np.float64)
    d = d[d != 0]
    n = d.size
    if n == 0:
        return None
    ranks2 = np.rint(2 * stats.rankdata(np.abs(d))).astype(np.int64)  # doubled mid-ranks
    total = int(ranks2.sum())
    # P(R⁺ = k/2) by adding one rank at a time with probability 1/2 each way (no overflow).
    prob = np.zeros(total + 1)
    prob[0] = 1.0
    reach = 0  # the largest sum so far: only prob[: reach + 1] is non-zero
    for r in sorted(ranks2.tolist()):
        head = prob[: reach + 1].copy()
        prob[: reach + 1] *= 0.5
        prob[r : r + reach + 1] += 0.5 * head
        reach += r
    r_plus = int(ranks2[d > 0].sum())
    below = float(prob[: r_plus + 1].sum())
    above = float(prob[r_plus:].sum())
    return min(1.0, 2 * min(below, above))


# --- bad seeds ---------------------------------------------------------------------------------


def flag_runs(
    values: Mapping[str, float],
    last_steps: Mapping[str, int],
    *,
    running: frozenset[str] | set[str] = frozenset(),
) -> dict[str, list[dict[str, Any]]]:
    """Flags one group's bad runs (SPEC §5c).

    Args:
        values: Run id to its reduced value (runs without a value are not flagged).
        last_steps: Run id to its last logged step (runs absent here are not checked for
            ``short``).
        running: Runs still running: never flagged ``short`` (they have not stopped).

    Returns:
        Run id to its flags, each ``{"kind", "reason"}``, for the flagged runs only;
        kinds in `FLAG_KINDS` order. ``outlier`` is over the finite values, when there are
        three or more (with two both are equally far from their median); when their median
        absolute deviation is 0 (most values equal) no run is an outlier.
    """
    members = list(dict.fromkeys([*values, *last_steps]))
    found = flag_members([members], [("", values, last_steps)], running)
    return {m: [{"kind": f["kind"], "reason": f["reason"]} for f in fs] for m, fs in found.items()}


def _group_median(index: np.ndarray, x: np.ndarray, n_groups: int) -> np.ndarray:
    """Per group the median of ``x`` (``index`` its group), NaN for an empty group."""
    order = np.lexsort((x, index))
    xs = x[order]
    counts = np.bincount(index, minlength=n_groups)
    starts = np.cumsum(counts) - counts
    out = np.full(n_groups, np.nan)
    has = counts > 0
    lo = starts[has] + (counts[has] - 1) // 2
    hi = starts[has] + counts[has] // 2
    out[has] = (xs[lo] + xs[hi]) / 2
    return out


def _num(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    return "infinite" if value > 0 else "-infinite"


def parse_exclude(text: str | None) -> tuple[str, ...]:
    """The kinds an ``exclude`` argument names: ``flagged`` (every kind) or a comma-separated
    list of `FLAG_KINDS`; ``()`` for none. Raises ValueError naming an unknown kind."""
    if text is None or not text.strip():
        return ()
    kinds: list[str] = []
    for part in text.split(","):
        word = part.strip()
        if word == "flagged":
            return FLAG_KINDS
        if word not in FLAG_KINDS:
            raise ValueError(
                f"unknown kind {word!r}; expected flagged or one of {', '.join(FLAG_KINDS)}"
            )
        if word not in kinds:
            kinds.append(word)
    return tuple(k for k in FLAG_KINDS if k in kinds)


# --- a /groups answer's parts (plain data in, JSON-ready out) ----------------------------------


def flag_members(
    groups: Sequence[Sequence[str]],
    blocks: Sequence[tuple[str, Mapping[str, float], Mapping[str, int]]],
    running: frozenset[str] | set[str] = frozenset(),
) -> dict[str, list[dict[str, Any]]]:
    """Every group's bad runs over every metric (`flag_runs`, vectorised over groups).

    Args:
        groups: Each group's member ids (trials).
        blocks: Per metric ``(metric, values, last_steps)``: id to reduced value and to the
            last step of the metric's tag.
        running: Ids still running (never ``short``).

    Returns:
        Id to its flags, each ``{"metric", "kind", "reason"}``, once per kind and metric, in
        metric then `FLAG_KINDS` order.
    """
    out: dict[str, list[dict[str, Any]]] = {}

    def add(member: str, metric: str, kind: str, reason: str) -> None:
        out.setdefault(member, []).append({"metric": metric, "kind": kind, "reason": reason})

    n_groups = len(groups)
    members = [m for g in groups for m in g]
    group_of = np.repeat(np.arange(n_groups), [len(g) for g in groups])
    nan = math.nan
    for metric, values, last_steps in blocks:
        found: dict[str, list[tuple[str, str]]] = {}
        got = [values.get(m) for m in members]
        x = np.fromiter((nan if v is None else v for v in got), np.float64, len(members))
        has = np.fromiter((v is not None for v in got), bool, len(members))
        for k in np.flatnonzero(has & ~np.isfinite(x)).tolist():
            found.setdefault(members[k], []).append(("nonfinite", f"value is {_num(x[k])}"))
        # short: under half the group's median last step
        steps = np.fromiter((last_steps.get(m, nan) for m in members), np.float64, len(members))
        listed = ~np.isnan(steps)
        if listed.any():
            median = _group_median(group_of[listed], steps[listed], n_groups)[group_of]
            with np.errstate(invalid="ignore"):
                short = np.flatnonzero(listed & (steps < SHORT_FRACTION * median))
            for k in short.tolist():
                if members[k] not in running:
                    reason = (
                        f"last step {int(steps[k])} is under half the group's median last "
                        f"step {median[k]:g}"
                    )
                    found.setdefault(members[k], []).append(("short", reason))
        # outlier: modified z-score over the group's finite values
        finite = np.isfinite(x)
        if finite.any():
            index = group_of[finite]
            med = _group_median(index, x[finite], n_groups)
            dev = np.abs(x[finite] - med[index])
            mad = _group_median(index, dev, n_groups)
            enough = np.bincount(index, minlength=n_groups) >= 3
            with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
                z = np.full(len(members), 0.0)
                z[finite] = 0.6745 * (x[finite] - med[index]) / mad[index]
            ok = finite & enough[group_of] & (mad[group_of] > 0)
            for k in np.flatnonzero(ok & (np.abs(z) > OUTLIER_Z)).tolist():
                g = group_of[k]
                reason = (
                    f"modified z-score {z[k]:.3g} (value {x[k]:.6g}, group median "
                    f"{med[g]:.6g}, MAD {mad[g]:.3g}) is over {OUTLIER_Z}"
                )
                found.setdefault(members[k], []).append(("outlier", reason))
        for m, flags in found.items():
            for kind, reason in sorted(flags, key=lambda f: FLAG_KINDS.index(f[0])):
                add(m, metric, kind, reason)
    return out


def excluded_kinds(
    flags: Mapping[str, Sequence[Mapping[str, Any]]], kinds: Sequence[str]
) -> dict[str, list[str]]:
    """Id to the kinds among ``kinds`` it is flagged with, for the ids to leave out."""
    out: dict[str, list[str]] = {}
    for member, found in flags.items():
        hit = [k for k in FLAG_KINDS if k in kinds and any(f["kind"] == k for f in found)]
        if hit:
            out[member] = hit
    return out


def excluded_summary(
    kinds: Sequence[str], excluded: Mapping[str, Sequence[str]], members: Sequence[str]
) -> dict[str, Any]:
    """``{"kinds", "count", "by_kind"}``: what was asked to be left out and how many of
    ``members`` were (a run of several kinds counts once in ``count``, once per kind in
    ``by_kind``)."""
    by_kind = dict.fromkeys(kinds, 0)
    count = 0
    for member in members:
        hit = excluded.get(member)
        if hit:
            count += 1
            for kind in hit:
                by_kind[kind] = by_kind.get(kind, 0) + 1
    return {"kinds": list(kinds), "count": count, "by_kind": by_kind}


def excluded_words(summary: Mapping[str, Any] | None) -> str | None:
    """A caption's words for an `excluded_summary`: ``"2 runs excluded (1 nonfinite: NaN
    or infinite value; 1 outlier: modified z-score over 3.5)"`` (a run of two kinds counts
    in both), ``"no run excluded (asked: outlier)"``; ``None`` if no exclusion was asked."""
    if not summary or not summary.get("kinds"):
        return None
    count = int(summary.get("count") or 0)
    if not count:
        return f"no run excluded (asked: {', '.join(summary['kinds'])})"
    reasons = "; ".join(
        f"{n} {kind}: {FLAG_WORDS.get(kind, kind)}"
        for kind, n in (summary.get("by_kind") or {}).items()
        if n
    )
    return f"{count} run{'s' if count != 1 else ''} excluded ({reasons})"


def live_counts(statuses: Sequence[str | None]) -> dict[str, Any]:
    """``{"finished", "running", "provisional"}`` of a group's members' statuses: running
    members are those whose status is ``running`` (a stale run is not); every other member
    (finished, failed, interrupted, stale or without a status) counts as finished."""
    running = sum(1 for s in statuses if s == "running")
    return {"finished": len(statuses) - running, "running": running, "provisional": running > 0}


def live_words(groups: Sequence[Mapping[str, Any]]) -> str | None:
    """A caption's words when some group is provisional: ``"provisional: 2 of 10 runs still
    running (3/5 finished in lr=0.1)"``; ``None`` when no run is running."""
    running = sum(int(g.get("running") or 0) for g in groups)
    if not running:
        return None
    total = sum(int(g.get("size") or 0) for g in groups)
    live = [g for g in groups if g.get("provisional")]
    shown = ", ".join(
        f"{g.get('finished')}/{g.get('size')} finished in {g.get('label')}" for g in live[:3]
    )
    more = f", and {len(live) - 3} more groups" if len(live) > 3 else ""
    return f"provisional: {running} of {total} runs still running ({shown}{more})"


Seed = tuple[Any, ...]


def pair_by_seed(
    members: Sequence[tuple[str, str | None, Seed | None]],
    baseline: Sequence[tuple[str, str | None, Seed | None]],
    values: Mapping[str, float],
    *,
    ci_level: float = 0.95,
    seed_json: Any = None,
) -> dict[str, Any]:
    """Pairs a group's runs with the baseline's by seed and tests the differences.

    Args:
        members, baseline: Each side's runs as ``(id, run name, seed)``; ``seed`` is the
            tuple of the run's repeat-key values, ``None`` without one.
        values: Id to the value counted (ids absent or non-finite make no pair).
        ci_level: Level of the mean difference's t interval.
        seed_json: Turns a seed tuple into its JSON (default: the single value, or a list).

    Returns:
        ``{"pairs", "n_pairs", "paired_delta", "paired_ci_low", "paired_ci_high",
        "paired_p", "wilcoxon_p", "seeds_matched", "unpaired_runs"}``: ``pairs`` in seed
        order, each ``{"seed", "run", "baseline_run", "value", "baseline_value",
        "difference"}`` (difference = this group's minus the baseline's); ``unpaired_runs``
        each ``{"trial", "run", "side", "seed", "reason"}`` (``side``: ``"group"`` or
        ``"baseline"``); ``seeds_matched`` counts seeds on one run of each side, with a value or not;
        ``seeds_shared`` seeds on both sides however many runs have them.
    """
    show = seed_json or (lambda s: s[0] if s is not None and len(s) == 1 else list(s or ()))
    unpaired: list[dict[str, Any]] = []
    everywhere: dict[str, set[Seed]] = {}

    def index(side: Sequence[tuple[str, str | None, Seed | None]], name: str) -> dict[Seed, Any]:
        seen: dict[Seed, list[tuple[str, str | None]]] = {}
        for trial, run, seed in side:
            if seed is None:
                unpaired.append(_unpaired(trial, run, name, None, "no seed value"))
            else:
                seen.setdefault(seed, []).append((trial, run))
        everywhere[name] = set(seen)
        out = {}
        for seed, runs in seen.items():
            if len(runs) == 1:
                out[seed] = runs[0]
            else:
                for trial, run in runs:
                    reason = f"its seed is on {len(runs)} runs of the {name}: no single partner"
                    unpaired.append(_unpaired(trial, run, name, show(seed), reason))
        return out

    mine, theirs = index(members, "group"), index(baseline, "baseline")
    pairs = []
    matched = 0
    for seed in sorted(set(mine) | set(theirs), key=_seed_order):
        a, b = mine.get(seed), theirs.get(seed)
        if a is None or b is None:
            trial, run = a or b  # type: ignore[misc]
            side, other = ("group", "baseline") if a else ("baseline", "group")
            unpaired.append(
                _unpaired(trial, run, side, show(seed), f"no run of the {other} has this seed")
            )
            continue
        matched += 1
        x, y = values.get(a[0]), values.get(b[0])
        if x is None or y is None or not (math.isfinite(x) and math.isfinite(y)):
            for (trial, run), side, v in ((a, "group", x), (b, "baseline", y)):
                reason = (
                    "its partner has no finite value"
                    if v is not None and math.isfinite(v)
                    else "no finite value counted (missing, non-finite or excluded)"
                )
                unpaired.append(_unpaired(trial, run, side, show(seed), reason))
            continue
        pairs.append(
            {
                "seed": show(seed),
                "run": a[1],
                "baseline_run": b[1],
                "value": x,
                "baseline_value": y,
                "difference": x - y,
            }
        )
    test = paired_test([p["difference"] for p in pairs], ci_level)
    return {
        "pairs": pairs,
        "n_pairs": test.n_pairs,
        "paired_delta": test.mean_difference,
        "paired_ci_low": test.ci_low,
        "paired_ci_high": test.ci_high,
        "paired_p": test.paired_p,
        "wilcoxon_p": test.wilcoxon_p,
        "seeds_matched": matched,
        "seeds_shared": len(everywhere["group"] & everywhere["baseline"]),
        "unpaired_runs": unpaired,
    }


def _unpaired(trial: str, run: str | None, side: str, seed: Any, reason: str) -> dict[str, Any]:
    return {"trial": trial, "run": run, "side": side, "seed": seed, "reason": reason}


def _seed_order(seed: Seed) -> tuple[Any, ...]:
    return tuple(
        (0, v, "") if isinstance(v, int | float) and not isinstance(v, bool) else (1, 0, str(v))
        for v in seed
    )
