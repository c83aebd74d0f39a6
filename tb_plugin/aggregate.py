"""Numbers over runs: reductions of a scalar series, statistics of groups, comparisons.

Pure and I/O-free, like `tb_plugin.grouping`, whose `Group` objects it reads. The routes and
the ``tb-rungroups`` CLI both compute through this module. Everything is vectorised with
numpy over all runs or groups at once; `scipy.stats` gives the distributions and tests, and
is imported inside the functions that need it, so that TensorBoard's start-up (which imports
this module through the plugin) does not pay for it.

Reductions (`parse_reduction`, `reduce_series`, `reduce_runs`, `reduce_at_best`)
    A scalar series reduces to one number per run: ``last`` (the value at the largest step,
    ``NaN`` included), ``min`` and ``max`` (ignoring ``NaN``), ``best`` (``min`` for
    loss-like tags, see `is_loss_like`, else ``max``), ``mean_last_k`` (the mean of the last
    ``k`` logged values by step; ``NaN`` if one of them is ``NaN``, so ``k=1`` is ``last``)
    and ``at_best:TAG`` (this metric's value at the step where ``TAG`` of the same run is
    best, e.g. test accuracy at the best validation loss).

Statistics (`Stats`, `stats_by_group`, `group_stats`)
    ``NaN`` values are left out of every statistic and counted in ``nan_count``. ``std`` is
    the sample standard deviation (``ddof=1``), ``sem`` = std/√n, and ``ci_low``/``ci_high``
    a confidence interval of the mean (Student-t with n−1 degrees of freedom, or a seeded
    percentile bootstrap); all of them are ``None`` (JSON ``null``) for fewer than two runs.
    ``iqm`` is the interquartile mean of Agarwal et al. (2021), "Deep Reinforcement Learning
    at the Edge of the Statistical Precipice" (rliable), with scipy's
    ``trim_mean(x, 0.25)`` semantics.

Comparisons (`compare_groups`, `holm`)
    Against a baseline group: the difference of means with its Welch t interval, the
    two-sided Welch (1947) t-test p-value, Holm (1979) adjusted p-values over the groups
    compared, and the probability of improvement P(X better than Y) of Agarwal et al. (2021).
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import math
import operator
import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from tb_plugin import caches
from tb_plugin.grouping import Group

REDUCTIONS = ("last", "min", "max", "best", "mean_last_k")
"""The simple reductions, by name. ``mean_last_k`` takes an argument ``k`` (1 ≤ k ≤ `MAX_K`).

One more kind takes its argument in the name: ``at_best:TAG`` (`AT_BEST_PREFIX` followed by a
scalar tag), computed by `reduce_at_best`. `parse_reduction` reads all of them.
"""

AT_BEST_PREFIX = "at_best:"
"""Prefix of the ``at_best:TAG`` reduction."""

MAX_K = 1_000_000
"""The largest ``k`` of ``mean_last_k``."""

CI_METHODS = ("t", "bootstrap")
"""Interval methods of `stats_by_group`."""

DEFAULT_CI_LEVEL = 0.95
DEFAULT_RESAMPLES = 1000
DEFAULT_SEED = 0
MAX_RESAMPLES = 100_000
"""Bounds the bootstrap's work and memory (n_resamples × runs)."""
RESAMPLE_CACHE_BYTES = 64 << 20
"""Bytes of bootstrap weight matrices kept (`_resample_weights`, at most 64 group sizes)."""

# Substrings that make a tag loss-like wherever they occur (unambiguous, long).
LOSS_LIKE_SUBSTRINGS = ("loss", "error", "perplexity", "crossentropy", "divergence")
"""Tag substrings that mark a lower-is-better metric."""

# Short words that are loss-like only as a whole word, so ``cancer_auc`` or ``precision`` do
# not match ``cer``.
LOSS_LIKE_WORDS = frozenset(
    {
        "err",
        "mae",
        "mse",
        "rmse",
        "msle",
        "mape",
        "smape",
        "ppl",
        "cer",
        "wer",
        "ter",
        "nll",
        "bpc",
        "bpd",
        "fid",
        "kl",
        "kld",
        "hinge",
        "cost",
        "regret",
        "latency",
    }
)
"""Whole words (tag split on non-letters and camelCase) that mark a lower-is-better metric."""


# ---------------------------------------------------------------------------------------------
# Reductions


@caches.short_keys()
@functools.lru_cache(maxsize=4096)
def is_loss_like(tag: str) -> bool:
    """Tells whether lower is better for a scalar tag.

    A tag is loss-like when it contains one of `LOSS_LIKE_SUBSTRINGS` (``epoch_loss``,
    ``val_mean_absolute_error``, ``categorical_crossentropy``), or one of its words is in
    `LOSS_LIKE_WORDS` (``top1_err``, ``WER``, ``valPpl``). Words come from splitting on
    anything that is not a letter and on camelCase boundaries.
    """
    text = re.sub(r"([a-z])([A-Z])", r"\1_\2", tag).lower()
    if any(s in text for s in LOSS_LIKE_SUBSTRINGS):
        return True
    return any(word in LOSS_LIKE_WORDS for word in re.split(r"[^a-z]+", text))


def default_metric(metrics: Sequence[str]) -> str | None:
    """The metric the tab shows when the user chose none (`/tags`' ``default_metric``).

    ``epoch_loss`` (Keras), else a validation loss, else any loss-like metric, else the first;
    names starting with ``_`` (TensorBoard's and ours) are never chosen.

    Args:
        metrics: Metric names, in the order they are listed.

    Returns:
        A name from ``metrics``, or None when there is none.
    """
    names = [m for m in metrics if not m.startswith("_")]
    if "epoch_loss" in names:
        return "epoch_loss"
    lowered = [(m, m.lower()) for m in names]
    for name, low in lowered:
        if "val" in low and "loss" in low:
            return name
    for name in names:
        if is_loss_like(name):
            return name
    return names[0] if names else None


def goal(tag: str) -> str:
    """Returns ``"min"`` for loss-like tags (`is_loss_like`), else ``"max"``."""
    return "min" if is_loss_like(tag) else "max"


@dataclasses.dataclass(frozen=True)
class Reduction:
    """A validated reduction; build it with `parse_reduction`.

    Attributes:
        kind: One of `REDUCTIONS`, or ``"at_best"``.
        k: For ``mean_last_k``, how many of the last values to average; else ``None``.
        other_tag: For ``at_best``, the tag whose best step is used; else ``None``.
    """

    kind: str
    k: int | None = None
    other_tag: str | None = None

    @property
    def text(self) -> str:
        """The name `parse_reduction` reads back (``k`` goes separately)."""
        if self.kind == "at_best" and self.other_tag is not None:
            return AT_BEST_PREFIX + self.other_tag
        return self.kind

    def to_json(self) -> dict[str, Any]:
        """Returns ``{"reduction": text, "k": k, "other_tag": other_tag}``."""
        return {"reduction": self.text, "k": self.k, "other_tag": self.other_tag}


def _unknown(text: Any) -> ValueError:
    return ValueError(
        f"unknown reduction {text!r}; expected one of {', '.join(REDUCTIONS)} "
        f"or {AT_BEST_PREFIX}TAG"
    )


def _check_int(value: Any, name: str, lo: int, hi: int) -> int:
    if isinstance(value, bool):
        raise ValueError(f"{name} must be an integer, not {value!r}")
    try:
        value = operator.index(value)
    except TypeError:
        raise ValueError(f"{name} must be an integer, not {value!r}") from None
    if not lo <= value <= hi:
        raise ValueError(f"{name} must be in {lo}..{hi}, not {value}")
    return value


def _parse_k(text: str, k: Any) -> int:
    if k is None:
        raise ValueError(f"reduction {text!r} needs an argument k (1 ≤ k ≤ {MAX_K})")
    if isinstance(k, str) and k.isascii() and k.isdigit():
        k = int(k)
    return _check_int(k, f"reduction {text!r}: k", 1, MAX_K)


def parse_reduction(text: str | Reduction, k: Any = None) -> Reduction:
    """Reads and validates a reduction.

    Args:
        text: A name in `REDUCTIONS`, or ``at_best:TAG`` with a non-blank ``TAG`` (the tag is
            taken as written, spaces included). A `Reduction` is returned as is when ``k``
            is ``None``.
        k: The argument of ``mean_last_k``: an integer (or a string of decimal digits)
            from 1 to `MAX_K`. Required for ``mean_last_k``, refused for the others.

    Returns:
        The `Reduction`.

    Raises:
        ValueError: naming the text, for an unknown name (names are case-sensitive), an
            ``at_best:`` without a tag, a missing, non-integer or out-of-range ``k``, or a
            ``k`` given to a reduction that takes none.
    """
    if isinstance(text, Reduction) and k is None:
        return text
    if isinstance(text, Reduction):
        text = text.text
    if not isinstance(text, str):
        raise _unknown(text)
    if text.startswith(AT_BEST_PREFIX):
        other = text[len(AT_BEST_PREFIX) :]
        if not other.strip():
            raise ValueError(f"reduction {text!r} needs a tag: {AT_BEST_PREFIX}TAG")
        kind = "at_best"
    elif text in REDUCTIONS:
        other = None
        kind = text
    else:
        raise _unknown(text)
    if kind == "mean_last_k":
        return Reduction(kind, k=_parse_k(text, k))
    if k is not None:
        raise ValueError(f"reduction {text!r} takes no argument k (got {k!r})")
    return Reduction(kind, other_tag=other)


def _check_name(reduction: str | Reduction) -> Reduction | None:
    """Validates a reduction's name only (``k`` not needed); returns it parsed if it can."""
    if isinstance(reduction, Reduction):
        return reduction
    if reduction == "mean_last_k":
        return None
    return parse_reduction(reduction)


def _resolve(reduction: str | Reduction, tag: str, k: Any) -> Reduction:
    """Parses a reduction for `reduce_series`/`reduce_runs`, resolving ``best``."""
    if isinstance(reduction, Reduction) and k is not None and reduction.k != k:
        raise ValueError(f"k={k!r} disagrees with {reduction!r}")
    r = parse_reduction(reduction, None if isinstance(reduction, Reduction) else k)
    if r.kind == "at_best":
        raise ValueError(
            f"reduction {r.text!r} needs the series of {r.other_tag!r}: use reduce_at_best"
        )
    if r.kind == "best":
        return Reduction(goal(tag))
    return r


def _as_series(steps: Any, values: Any) -> tuple[np.ndarray, np.ndarray]:
    steps = np.asarray(steps, dtype=np.int64).reshape(-1)
    values = np.asarray(values, dtype=np.float64).reshape(-1)
    if steps.shape != values.shape:
        raise ValueError(f"steps and values differ in length: {steps.size} != {values.size}")
    return steps, values


def _concat_by_step(
    pairs: Sequence[tuple[np.ndarray, np.ndarray]],
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Concatenates series, each ordered by step (then write order, so a later write wins).

    Returns:
        ``(steps, values, lengths, ends)``: the concatenation, the length of each series and
        the end offset of each series in it.
    """
    lengths = np.fromiter((s.size for s, _ in pairs), dtype=np.int64, count=len(pairs))
    ends = np.cumsum(lengths)
    if not pairs or ends[-1] == 0:
        return np.zeros(0, np.int64), np.zeros(0), lengths, ends
    steps = np.concatenate([s for s, _ in pairs])
    values = np.concatenate([v for _, v in pairs])
    # Series are almost always in step order already; sort only when they are not.
    descending = np.diff(steps) < 0
    # A drop from one run to the next is no disorder. (Empty runs put boundaries at -1 or
    # past the end; those are no positions of ``descending``.)
    boundary = ends[:-1] - 1
    descending[boundary[(boundary >= 0) & (boundary < descending.size)]] = False
    if descending.any():
        segment = np.repeat(np.arange(len(pairs)), lengths)
        order = np.lexsort((np.arange(values.size), steps, segment))
        steps = steps[order]
        values = values[order]
    return steps, values, lengths, ends


def reduce_series(
    steps: Any, values: Any, reduction: str | Reduction, tag: str, *, k: Any = None
) -> float:
    """Reduces one scalar series to one number.

    Args:
        steps: The steps (integers), in any order.
        values: The values, one per step.
        reduction: A name or a `Reduction` (see `parse_reduction`): ``last`` (the value at
            the largest step; of several values at that step the last one in the arrays, as
            a later write wins; ``NaN`` is returned as is, so a run that diverged shows it),
            ``min`` or ``max`` (ignoring ``NaN``; ``NaN`` only if every value is ``NaN``),
            ``best`` (``min`` if `is_loss_like`, else ``max``), or ``mean_last_k`` (the
            mean of the last ``k`` values ordered by step, then by write order; every logged
            value counts, a repeated step too; all values if there are fewer than ``k``;
            ``NaN`` if one of them is ``NaN``, as ``last`` does, so that ``k=1`` equals
            ``last``). ``at_best:TAG`` needs a second series: see `reduce_at_best`.
        tag: The scalar tag, for ``best``.
        k: The argument of ``mean_last_k`` when ``reduction`` is a name.

    Returns:
        The number, ``NaN`` for an empty series.

    Raises:
        ValueError: for an unknown reduction (naming it), a bad ``k`` (see
            `parse_reduction`), ``at_best:TAG``, or steps and values of different lengths.
    """
    r = _resolve(reduction, tag, k)
    steps, values = _as_series(steps, values)
    if values.size == 0:
        return math.nan
    if r.kind == "min":
        return float(np.fmin.reduce(values))
    if r.kind == "max":
        return float(np.fmax.reduce(values))
    if r.kind == "mean_last_k":
        # The batched path, so that both give the same bits.
        return reduce_runs({"": (steps, values)}, r, tag)[""]
    # The last occurrence of the largest step: argmax on the reversed array finds the first.
    return float(values[values.size - 1 - int(np.argmax(steps[::-1]))])


def reduce_runs(
    series: Mapping[str, tuple[Any, Any]],
    reduction: str | Reduction,
    tag: str,
    *,
    k: Any = None,
) -> dict[str, float]:
    """Reduces many series at once; the same numbers as `reduce_series` for each.

    This concatenates everything and reduces segment-wise in numpy, so that 10,000 runs cost
    a few array operations rather than 10,000 small ones.

    Args:
        series: Run (or trial) id to ``(steps, values)``.
        reduction: As in `reduce_series`.
        tag: As in `reduce_series`.
        k: As in `reduce_series`.

    Returns:
        Id to reduced value, in the order of ``series``.

    Raises:
        ValueError: as `reduce_series`.
    """
    r = _resolve(reduction, tag, k)
    names = list(series)
    if not names:
        return {}
    pairs = [_as_series(*series[name]) for name in names]
    out = np.full(len(names), np.nan)
    if r.kind in ("min", "max"):
        lengths = np.fromiter((s.size for s, _ in pairs), dtype=np.int64, count=len(pairs))
        nonempty = lengths > 0
        if nonempty.any():
            values = np.concatenate([v for _, v in pairs])
            starts = np.cumsum(lengths) - lengths
            # Empty segments hold no elements, so consecutive non-empty starts bound
            # exactly one segment each.
            ufunc = np.fmin if r.kind == "min" else np.fmax
            out[nonempty] = ufunc.reduceat(values, starts[nonempty])
        return dict(zip(names, out.tolist(), strict=True))
    _, values, lengths, ends = _concat_by_step(pairs)
    nonempty = lengths > 0
    if r.kind == "last":
        out[nonempty] = values[ends[nonempty] - 1]
    elif values.size:  # mean_last_k
        take = np.minimum(lengths, r.k or 1)
        segment = np.repeat(np.arange(len(names)), lengths)
        keep = np.arange(values.size) >= (ends - take)[segment]
        # bincount adds in array order, so NaN and infinities propagate as in a plain sum.
        sums = np.bincount(segment[keep], weights=values[keep], minlength=len(names))
        with np.errstate(invalid="ignore"):
            out[nonempty] = sums[nonempty] / take[nonempty]
    return dict(zip(names, out.tolist(), strict=True))


def reduce_at_best(
    metric_series: Mapping[str, tuple[Any, Any]],
    other_series: Mapping[str, tuple[Any, Any]],
    other_tag: str,
    *,
    other_goal: str | None = None,
) -> dict[str, float]:
    """Reduces ``at_best:TAG``: each run's metric at the step where its ``TAG`` is best.

    For example test accuracy at the best validation loss. For each run:

    1. The best step of the other tag: the step of its smallest value for a loss-like tag
       (`goal`), else of its largest, ignoring ``NaN``; of equal best values the earliest
       step wins.
    2. The metric there: its value at exactly that step (of several writes at the step, the
       last), else its last value before that step (the newest evaluation available when
       that checkpoint was written; never a later one), else ``NaN``. A ``NaN`` found there
       is returned as is.

    A run without the other tag, or whose other tag is all ``NaN`` or empty, gives ``NaN``.

    Args:
        metric_series: Run id to ``(steps, values)`` of the metric being reported.
        other_series: Run id to ``(steps, values)`` of ``other_tag``; runs absent here give
            ``NaN``, runs only here are ignored.
        other_tag: The tag whose best step is used (decides the goal).
        other_goal: ``"min"`` or ``"max"`` to override `goal` of ``other_tag``.

    Returns:
        Run id to value, for the runs of ``metric_series`` in their order.

    Raises:
        ValueError: for a blank ``other_tag``, a bad ``other_goal``, or steps and values of
            different lengths.
    """
    if not isinstance(other_tag, str) or not other_tag.strip():
        raise ValueError(f"at_best needs a tag, not {other_tag!r}")
    direction = goal(other_tag) if other_goal is None else other_goal
    if direction not in ("min", "max"):
        raise ValueError(f"other_goal must be 'min' or 'max', not {other_goal!r}")
    names = list(metric_series)
    n = len(names)
    if not n:
        return {}
    empty = (np.zeros(0, np.int64), np.zeros(0))
    m_steps, m_values, m_lengths, _ = _concat_by_step(
        [_as_series(*metric_series[name]) for name in names]
    )
    o_steps, o_values, o_lengths, _ = _concat_by_step(
        [_as_series(*other_series[name]) if name in other_series else empty for name in names]
    )
    out = np.full(n, np.nan)
    o_segment = np.repeat(np.arange(n), o_lengths)
    ok = np.flatnonzero(~np.isnan(o_values))
    if ok.size and m_values.size:
        key = o_values[ok] if direction == "min" else -o_values[ok]
        order = ok[np.lexsort((o_steps[ok], key, o_segment[ok]))]
        seg = o_segment[order]
        first = np.ones(order.size, dtype=bool)
        first[1:] = seg[1:] != seg[:-1]
        q_segment = seg[first]
        q_step = o_steps[order[first]]
        # Find, for each (run, best step), the last metric entry of that run at or before
        # the step: one searchsorted on a combined key (run, dense rank of the step), which
        # is sorted because the metric is ordered by (run, step).
        m_segment = np.repeat(np.arange(n), m_lengths)
        grid = np.unique(np.concatenate([m_steps, q_step]))
        width = grid.size + 1
        m_key = m_segment * width + np.searchsorted(grid, m_steps)
        q_key = q_segment * width + np.searchsorted(grid, q_step)
        pos = np.searchsorted(m_key, q_key, side="right") - 1
        found = pos >= 0
        found[found] = m_segment[pos[found]] == q_segment[found]
        out[q_segment[found]] = m_values[pos[found]]
    return dict(zip(names, out.tolist(), strict=True))


# ---------------------------------------------------------------------------------------------
# Statistics


@dataclasses.dataclass(frozen=True)
class Stats:
    """Statistics of one group's reduced values (SPEC §5).

    All numbers are in the unit of the metric, except counts, ``ci_level`` (a fraction) and
    ``best_run`` (an id). ``None`` (JSON ``null``) means "not defined", never zero.

    Attributes:
        count: Runs with a value that is not ``NaN`` (infinities count).
        nan_count: Runs whose value is ``NaN``; left out of every statistic.
        mean: Mean of the counted values (``NaN`` if none).
        std: Sample standard deviation (``ddof=1``); ``None`` for fewer than two runs; exactly
            0 when all values are equal.
        sem: Standard error of the mean, std/√count; ``None`` for fewer than two runs.
        ci_low: Lower end of the confidence interval of the mean; ``None`` for fewer than two
            runs or without an interval.
        ci_high: Upper end, likewise.
        ci_level: The interval's confidence level (0.95), ``None`` without an interval.
        ci_method: ``"t"`` (Student-t with count−1 degrees of freedom: mean ± t·sem) or
            ``"bootstrap"`` (seeded percentile bootstrap of the mean), ``None`` without.
        min: Smallest value.
        median: Median (mean of the two middle values for an even count).
        iqm: Interquartile mean (Agarwal et al. 2021): the mean of the sorted values with
            ``int(0.25·count)`` cut from each end, as ``scipy.stats.trim_mean(x, 0.25)``; so
            the plain mean for fewer than four runs.
        max: Largest value.
        best_run: The id of the best run (`goal` of the tag; the first one on ties), or
            ``None`` if no value counts.
        best_value: The best run's value (``NaN`` if none).
        goal: ``"min"`` or ``"max"``: what ``best`` means for this tag.
    """

    count: int
    nan_count: int
    mean: float
    std: float | None
    sem: float | None
    ci_low: float | None
    ci_high: float | None
    ci_level: float | None
    ci_method: str | None
    min: float
    median: float
    iqm: float
    max: float
    best_run: str | None
    best_value: float
    goal: str

    def to_json(self) -> dict[str, Any]:
        """Returns a JSON-ready dict of the fields, in order (``None`` becomes ``null``).

        Written out rather than ``dataclasses.asdict``, which deep-copies every
        value: a third of a second of ``/groups`` for 5,000 groups.
        """
        return {
            "count": self.count,
            "nan_count": self.nan_count,
            "mean": self.mean,
            "std": self.std,
            "sem": self.sem,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "ci_level": self.ci_level,
            "ci_method": self.ci_method,
            "min": self.min,
            "median": self.median,
            "iqm": self.iqm,
            "max": self.max,
            "best_run": self.best_run,
            "best_value": self.best_value,
            "goal": self.goal,
        }


def _check_level(ci_level: Any, name: str = "ci_level") -> float:
    if isinstance(ci_level, bool) or not isinstance(ci_level, (int, float, np.floating)):
        raise ValueError(f"{name} must be a number in (0, 1), not {ci_level!r}")
    if not 0 < ci_level < 1:  # NaN fails too
        raise ValueError(f"{name} must be in (0, 1), not {ci_level!r}")
    return float(ci_level)


def _moments(
    g: np.ndarray, v: np.ndarray, n_groups: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Count, mean, sample variance (``ddof=1``) and constancy per group of values without
    ``NaN``.

    Two passes (mean, then squared deviations). A group whose values are all equal
    (``constant``) gets its value as mean and a variance of exactly 0, not the rounding noise
    of the sums (three times 0.1 has a mean of 0.10000000000000002). The variance is ``NaN``
    below two values; it can underflow to 0 for values that differ by less than ~1e-162.
    """
    count = np.bincount(g, minlength=n_groups)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.bincount(g, weights=v, minlength=n_groups) / count
        some = np.full(n_groups, np.nan)
        some[g] = v  # one value of each group (which one does not matter)
        differs = np.bincount(g, weights=v != some[g], minlength=n_groups)
        constant = (count > 0) & (differs == 0) & np.isfinite(some)
        mean[constant] = some[constant]
        dev = v - mean[g]
        var = np.bincount(g, weights=dev * dev, minlength=n_groups) / (count - 1)
    var[count < 2] = np.nan
    var[constant & (count >= 2)] = 0.0
    return count, mean, var, constant


def _t_quantile(p: float, df: np.ndarray) -> np.ndarray:
    """``scipy.stats.t.ppf(p, df)``, computed once per distinct ``df``.

    Through ``scipy.special.stdtrit(df, p)``, the function ``t.ppf`` evaluates (its
    ``t_gen._ppf``): the same numbers without importing ``scipy.stats``, which costs
    ≈47 MB of memory more than ``scipy.special`` (measured beside TensorBoard) for a first
    view that needs nothing else from it.
    """
    from scipy.special import stdtrit  # lazily: TensorBoard's start-up must not import scipy

    out = np.full(df.shape, np.nan)
    finite = np.isfinite(df)
    if finite.any():
        unique, inverse = np.unique(df[finite], return_inverse=True)
        out[finite] = stdtrit(unique, p)[inverse]
    return out


@caches.lru_cache(64, RESAMPLE_CACHE_BYTES, lambda found: found[0].nbytes + found[1].nbytes)
def _resample_weights(seed: int, size: int, n_resamples: int) -> tuple[np.ndarray, np.ndarray]:
    """The bootstrap's resamples of ``size`` values, as distinct count vectors.

    Resample ``b`` takes value ``j`` of the (sorted) group ``W[b, j]`` times, with ``W`` drawn
    by ``numpy.random.default_rng([seed, size]).multinomial(size, [1/size]*size,
    size=n_resamples)``. The same resamples serve every group of this size, so a group's
    interval depends only on its own values (not on which other groups are shown) and is
    the same in the tab and the CLI. Small groups have few distinct resamples (3 for two
    runs, 126 for five); they are returned once each with their multiplicity, which gives
    exactly the percentiles of the full list at a fraction of the cost.

    Returns:
        ``(weights, multiplicity)``: float array (size × distinct resamples) and int array.
    """
    rng = np.random.default_rng([seed, size])
    counts = rng.multinomial(size, np.full(size, 1.0 / size), size=n_resamples)
    if math.comb(2 * size - 1, size) < n_resamples:
        counts, multiplicity = np.unique(counts, axis=0, return_counts=True)
    else:
        multiplicity = np.ones(n_resamples, dtype=np.int64)
    # Stored transposed (size × resamples), so each value's weights are one contiguous row.
    weights = np.ascontiguousarray(counts.T, dtype=np.float64)
    weights.flags.writeable = False
    multiplicity.flags.writeable = False
    return weights, multiplicity


def _lerp(a: np.ndarray, b: np.ndarray, t: float) -> np.ndarray:
    """numpy's interpolation between order statistics (as in ``numpy.quantile``)."""
    diff = b - a
    return np.where(t >= 0.5, b - diff * (1 - t), a + diff * t)


def _bootstrap_ci(
    sorted_values: np.ndarray, level: float, n_resamples: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Percentile bootstrap interval of the mean for groups of one size.

    Args:
        sorted_values: (groups × size) array, each row sorted ascending, no ``NaN``.

    Returns:
        ``(low, high)``: the ``(1-level)/2`` and ``(1+level)/2`` quantiles (numpy's default
        linear interpolation) of the ``n_resamples`` resampled means of each row.
    """
    n_rows, size = sorted_values.shape
    weights, multiplicity = _resample_weights(seed, size, n_resamples)
    # Order statistics needed by numpy's linear quantile, at both ends.
    ranks = []
    fractions = []
    for q in ((1 - level) / 2, (1 + level) / 2):
        h = (n_resamples - 1) * q
        i = min(int(math.floor(h)), n_resamples - 1)
        ranks.append((i, min(i + 1, n_resamples - 1)))
        fractions.append(h - i)
    flat = [r for pair in ranks for r in pair]
    low = np.empty(n_rows)
    high = np.empty(n_rows)
    distinct = weights.shape[1]
    chunk = max(1, 65_536 // distinct)  # half a megabyte of means: they stay in the cache
    for start in range(0, n_rows, chunk):
        x = sorted_values[start : start + chunk]
        # A fixed order of additions (no BLAS), so a row's means do not depend on the rows
        # computed with it.
        means = x[:, :1] * weights[0]
        for j in range(1, size):
            means += x[:, j : j + 1] * weights[j]
        means /= size
        if distinct == n_resamples:
            part = np.partition(means, sorted(set(flat)), axis=1)
            stats = [part[:, r] for r in flat]
        else:
            order = np.argsort(means, axis=1, kind="stable")
            means = np.take_along_axis(means, order, axis=1)
            cumulative = np.cumsum(multiplicity[order], axis=1)
            # The order statistic of rank r is the first distinct mean whose cumulative
            # multiplicity exceeds r.
            stats = [
                np.take_along_axis(means, (cumulative <= r).sum(axis=1)[:, None], axis=1)[:, 0]
                for r in flat
            ]
        with np.errstate(invalid="ignore", over="ignore"):
            low[start : start + chunk] = _lerp(stats[0], stats[1], fractions[0])
            high[start : start + chunk] = _lerp(stats[2], stats[3], fractions[1])
    return low, high


def _stats_batch(
    group_index: np.ndarray,
    values: np.ndarray,
    n_groups: int,
    lower_is_better: bool,
    ci: str | None,
    ci_level: float,
    n_resamples: int,
    seed: int,
) -> dict[str, np.ndarray]:
    """Computes every statistic for every group in a handful of numpy passes."""
    nan = np.isnan(values)
    nan_count = np.bincount(group_index[nan], minlength=n_groups)
    position = np.flatnonzero(~nan)  # ties for best resolve to the earliest position
    g = group_index[position]
    v = values[position]
    count, mean, var, _ = _moments(g, v, n_groups)
    starts = np.cumsum(count) - count
    has = count > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        std = np.sqrt(var)
        sem = std / np.sqrt(count)
    order = np.lexsort((position, v, g))
    sv = v[order]
    lo = starts + (count - 1) // 2
    hi = starts + count // 2
    mn = np.full(n_groups, np.nan)
    mx = np.full(n_groups, np.nan)
    med = np.full(n_groups, np.nan)
    mn[has] = sv[starts[has]]
    mx[has] = sv[starts[has] + count[has] - 1]
    with np.errstate(invalid="ignore", over="ignore"):
        # numpy.median averages the two middle values as (a + b) / 2; match it exactly.
        med[has] = np.where(lo[has] == hi[has], sv[lo[has]], (sv[lo[has]] + sv[hi[has]]) / 2)
    # IQM as scipy.stats.trim_mean(x, 0.25): cut int(0.25 * n) sorted values from each end.
    cut = (count // 4)[g]  # int(0.25 * n) == n // 4 for every integer n
    rank = np.arange(sv.size) - starts[g]  # g is sorted, so g == g[order]
    inner = (rank >= cut) & (rank < count[g] - cut)
    with np.errstate(invalid="ignore", divide="ignore"):
        iqm = np.bincount(g[inner], weights=sv[inner], minlength=n_groups) / (
            count - 2 * (count // 4)
        )
    ci_low = np.full(n_groups, np.nan)
    ci_high = np.full(n_groups, np.nan)
    two = count >= 2
    if ci == "t" and two.any():
        half = _t_quantile((1 + ci_level) / 2, (count[two] - 1).astype(np.float64)) * sem[two]
        with np.errstate(invalid="ignore"):
            ci_low[two] = mean[two] - half
            ci_high[two] = mean[two] + half
    elif ci == "bootstrap" and two.any():
        for size in np.unique(count[two]).tolist():
            rows = np.flatnonzero(count == size)
            matrix = sv[starts[rows][:, None] + np.arange(size)]
            ci_low[rows], ci_high[rows] = _bootstrap_ci(matrix, ci_level, n_resamples, seed)
    if not lower_is_better:
        order = np.lexsort((position, -v, g))
    best = np.full(n_groups, -1, dtype=np.int64)
    best[has] = position[order[starts[has]]]
    return {
        "count": count,
        "nan_count": nan_count,
        "mean": mean,
        "std": std,
        "sem": sem,
        "ci_low": ci_low,
        "ci_high": ci_high,
        "min": mn,
        "median": med,
        "iqm": iqm,
        "max": mx,
        "best": best,
    }


def _members(group: Group | Sequence[str]) -> Sequence[str]:
    return group.trials if isinstance(group, Group) else group


def values_by_group(
    groups: Sequence[Group | Sequence[str]], values: Mapping[str, float]
) -> list[list[float]]:
    """Each group's values, as `stats_by_group` counts them (for `compare_groups`).

    Args:
        groups: `Group` objects (their trials are looked up) or sequences of ids.
        values: Id (trial) to reduced value; ids absent here are left out.

    Returns:
        One list per group, in member order (``NaN`` kept: `compare_groups` leaves it out).
    """
    out = []
    for group in groups:
        out.append([values[m] for m in _members(group) if values.get(m) is not None])
    return out


def stats_by_group(
    groups: Sequence[Group | Sequence[str]],
    values: Mapping[str, float],
    tag: str,
    reduction: str | Reduction,
    *,
    ci: str | None = "t",
    ci_level: float = DEFAULT_CI_LEVEL,
    n_resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
) -> list[Stats]:
    """Computes `Stats` for many groups at once (vectorised: one pass for all groups).

    Args:
        groups: `Group` objects (their trials are looked up) or sequences of ids.
        values: Id (trial) to reduced value; ids absent here are not counted at all (the run
            has no such tag), unlike ``NaN`` which is counted in ``nan_count``.
        tag: The scalar tag, which decides the best run (`goal`).
        reduction: The reduction that produced ``values``, a name (``mean_last_k`` needs no
            ``k`` here) or a `Reduction`; validated.
        ci: ``"t"`` (default): mean ± t·sem with ``scipy.stats.t.ppf((1+ci_level)/2,
            count-1)``. ``"bootstrap"``: the percentile bootstrap of the mean (Efron &
            Tibshirani 1993): ``n_resamples`` resamples with replacement, the interval between
            the ``(1-ci_level)/2`` and ``(1+ci_level)/2`` quantiles of their means (numpy's
            linear interpolation). It is seeded and reproducible: the same values give the
            same interval in every call and process, whatever other groups are computed with
            them (see `_resample_weights`). With few runs it is too narrow (with two runs it
            spans at most their range); the t interval is the default for that reason.
            ``None``: no interval (``ci_*`` fields ``None``).
        ci_level: Confidence level, in (0, 1).
        n_resamples: Bootstrap resamples, 1..`MAX_RESAMPLES`.
        seed: Bootstrap seed, a non-negative integer.

    Returns:
        One `Stats` per group, in order.

    Raises:
        ValueError: for an unknown reduction, an unknown ``ci`` method, a ``ci_level``
            outside (0, 1), or a bad ``n_resamples`` or ``seed``; naming the value.
    """
    _check_name(reduction)
    if ci is not None and ci not in CI_METHODS:
        raise ValueError(f"unknown ci method {ci!r}; expected one of {', '.join(CI_METHODS)}")
    ci_level = _check_level(ci_level)
    n_resamples = _check_int(n_resamples, "n_resamples", 1, MAX_RESAMPLES)
    seed = _check_int(seed, "seed", 0, 2**63 - 1)
    lower = is_loss_like(tag)
    ids: list[str] = []
    index: list[int] = []
    vals: list[float] = []
    for i, group in enumerate(groups):
        for member in _members(group):
            value = values.get(member)
            if value is not None:
                ids.append(member)
                index.append(i)
                vals.append(value)
    n = len(groups)
    arrays = _stats_batch(
        np.asarray(index, dtype=np.int64),
        np.asarray(vals, dtype=np.float64),
        n,
        lower,
        ci,
        ci_level,
        n_resamples,
        seed,
    )
    col = {k: a.tolist() for k, a in arrays.items()}
    count = col["count"]
    two = [c >= 2 for c in count]
    std = [s if t else None for s, t in zip(col["std"], two, strict=True)]
    sem = [s if t else None for s, t in zip(col["sem"], two, strict=True)]
    if ci is None:
        ci_low = ci_high = [None] * n
    else:
        ci_low = [s if t else None for s, t in zip(col["ci_low"], two, strict=True)]
        ci_high = [s if t else None for s, t in zip(col["ci_high"], two, strict=True)]
    level = ci_level if ci is not None else None
    direction = "min" if lower else "max"
    out = []
    for i in range(n):
        best = col["best"][i]
        out.append(
            Stats(
                count[i],
                col["nan_count"][i],
                col["mean"][i],
                std[i],
                sem[i],
                ci_low[i],
                ci_high[i],
                level,
                ci,
                col["min"][i],
                col["median"][i],
                col["iqm"][i],
                col["max"][i],
                ids[best] if best >= 0 else None,
                vals[best] if best >= 0 else math.nan,
                direction,
            )
        )
    return out


def group_stats(
    values: Mapping[str, float], tag: str, reduction: str | Reduction, **options: Any
) -> Stats:
    """Computes `Stats` of one group's reduced values.

    Args:
        values: Id (trial) to reduced value, in display order (ties for best go to the first).
        tag: The scalar tag, which decides the best run (`goal`).
        reduction: The reduction that produced ``values``; validated.
        **options: ``ci``, ``ci_level``, ``n_resamples``, ``seed`` as in `stats_by_group`.

    Raises:
        ValueError: as `stats_by_group`.
    """
    return stats_by_group([list(values)], values, tag, reduction, **options)[0]


# ---------------------------------------------------------------------------------------------
# Comparison with a baseline


@dataclasses.dataclass(frozen=True)
class Comparison:
    """One group against the baseline group (SPEC §5); ``None`` where undefined.

    Differences are in the unit of the metric; probabilities are fractions in [0, 1].

    Attributes:
        delta: This group's mean minus the baseline's; ``None`` if a side has no value.
        delta_ci_low: Lower end of the Welch (1947) t interval of ``delta``: delta ∓
            t((1+ci_level)/2, ν)·se with se² = s²/n + s_b²/n_b and the Welch–Satterthwaite
            degrees of freedom ν; ``None`` if a side has fewer than two values. When neither
            side varies, se = 0 and the interval is ``[delta, delta]`` (for every ν).
        delta_ci_high: Upper end, likewise.
        ci_level: The interval's confidence level.
        p_value: Two-sided Welch t-test of equal means, as ``scipy.stats.ttest_ind(x, y,
            equal_var=False)``; ``None`` when undefined: a side with fewer than two values,
            no variance on either side (scipy answers ``NaN``, or 0 from a placeholder
            ν = 1 when the means differ; identical values across seeds are no evidence),
            or infinite values.
        p_holm: ``p_value`` adjusted by Holm's (1979) step-down method over the groups of
            this call that have a ``p_value`` (see `holm`); ``None`` with ``p_value``.
        prob_improvement: P(X better than Y) for a run X of this group and a run Y of the
            baseline, over all pairs, ties counting half (Agarwal et al. 2021; the
            Mann–Whitney U / (n·n_baseline)). "Better" follows the goal: smaller for
            ``"min"``. ``None`` if a side has no value.
        n: This group's values (``NaN`` left out).
        n_baseline: The baseline's values (``NaN`` left out).
        warning: A note when either side has fewer than 3 values, else ``None``.
    """

    delta: float | None
    delta_ci_low: float | None
    delta_ci_high: float | None
    ci_level: float
    p_value: float | None
    p_holm: float | None
    prob_improvement: float | None
    n: int
    n_baseline: int
    warning: str | None

    def to_json(self) -> dict[str, Any]:
        """Returns a JSON-ready dict of the fields, in order (``None`` becomes ``null``)."""
        return {
            "delta": self.delta,
            "delta_ci_low": self.delta_ci_low,
            "delta_ci_high": self.delta_ci_high,
            "ci_level": self.ci_level,
            "p_value": self.p_value,
            "p_holm": self.p_holm,
            "prob_improvement": self.prob_improvement,
            "n": self.n,
            "n_baseline": self.n_baseline,
            "warning": self.warning,
        }


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm's (1979) step-down adjusted p-values, in the order given.

    With the m p-values sorted, p₍₁₎ ≤ … ≤ p₍ₘ₎, the adjusted p₍ᵢ₎ is
    maxⱼ≤ᵢ min(1, (m − j + 1)·p₍ⱼ₎): monotone in p, at most 1, and rejecting where it is ≤ α
    is exactly Holm's procedure at level α (family-wise error ≤ α, any dependence).

    Raises:
        ValueError: for a value outside [0, 1] or ``NaN``.
    """
    p = np.asarray(p_values, dtype=np.float64).reshape(-1)
    if not np.all((p >= 0) & (p <= 1)):
        raise ValueError(f"p-values must be in [0, 1]: {p[~((p >= 0) & (p <= 1))].tolist()}")
    m = p.size
    order = np.argsort(p, kind="stable")
    adjusted = np.maximum.accumulate(np.minimum(1.0, (m - np.arange(m)) * p[order]))
    out = np.empty(m)
    out[order] = adjusted
    return out.tolist()


def _fewer_than_3(n: int, n_baseline: int) -> str | None:
    if n >= 3 and n_baseline >= 3:
        return None
    return f"fewer than 3 runs on a side: {n} here, {n_baseline} in the baseline"


def compare_groups(
    groups_values: Sequence[Sequence[float]],
    baseline: int,
    goal: str,
    *,
    ci_level: float = DEFAULT_CI_LEVEL,
) -> list[Comparison | None]:
    """Compares every group with a baseline group (vectorised over groups).

    Args:
        groups_values: Each group's reduced values (one per run; ``NaN`` is left out of
            everything), e.g. from `values_by_group`.
        baseline: Index of the baseline group in ``groups_values``.
        goal: ``"min"`` or ``"max"``, the metric's direction (`goal`), for
            ``prob_improvement``.
        ci_level: Confidence level of the interval of ``delta``, in (0, 1).

    Returns:
        One `Comparison` per group, ``None`` for the baseline itself. ``p_holm`` adjusts
        over the other groups that have a ``p_value``.

    Raises:
        ValueError: for a baseline index out of range or not an integer, a goal other than
            ``"min"``/``"max"``, or a ``ci_level`` outside (0, 1).
    """
    if goal not in ("min", "max"):
        raise ValueError(f"goal must be 'min' or 'max', not {goal!r}")
    ci_level = _check_level(ci_level)
    n_groups = len(groups_values)
    if n_groups == 0:
        raise ValueError("no groups to compare")
    baseline = _check_int(baseline, "baseline", 0, n_groups - 1)
    lengths = [len(values) for values in groups_values]
    flat = np.fromiter(
        itertools.chain.from_iterable(groups_values), dtype=np.float64, count=sum(lengths)
    )
    index = np.repeat(np.arange(n_groups), lengths)
    keep = ~np.isnan(flat)
    g = index[keep]
    v = flat[keep]
    count, mean, var, constant = _moments(g, v, n_groups)
    y = np.sort(v[g == baseline])
    ny = int(count[baseline])
    others = np.arange(n_groups) != baseline
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        delta = mean - mean[baseline]
        a = var / count
        b = var[baseline] / ny if ny else math.nan
        se = np.sqrt(a + b)
        # Welch–Satterthwaite, on variances scaled by the larger one: the same ν, without
        # the squares of tiny variances underflowing to 0/0.
        scale = np.maximum(a, b)
        a1, b1 = a / scale, b / scale
        df = (a1 + b1) ** 2 / (a1 * a1 / (count - 1) + b1 * b1 / (ny - 1))
    # Both variances underflowed to 0 though values differ: 0/0, which scipy's
    # ttest_ind takes as 1 degree of freedom (`_unequal_var_ttest_denom`); so do we.
    df[np.isnan(df)] = 1.0
    defined = others & (count >= 2) & (ny >= 2)
    # "Neither side varies": all values equal on both sides (not a variance that underflowed).
    flat_both = defined & constant & constant[baseline]
    tested = defined & ~flat_both
    ci_low = np.full(n_groups, np.nan)
    ci_high = np.full(n_groups, np.nan)
    p = np.full(n_groups, np.nan)
    if tested.any():
        from scipy import stats  # lazily: TensorBoard's start-up must not import scipy

        half = _t_quantile((1 + ci_level) / 2, df[tested]) * se[tested]
        with np.errstate(invalid="ignore"):
            ci_low[tested] = delta[tested] - half
            ci_high[tested] = delta[tested] + half
            p[tested] = stats.ttest_ind_from_stats(
                mean[tested],
                np.sqrt(var[tested]),
                count[tested],
                mean[baseline],
                math.sqrt(var[baseline]),
                ny,
                equal_var=False,
            ).pvalue
    ci_low[flat_both] = ci_high[flat_both] = delta[flat_both]
    p[~np.isfinite(p)] = np.nan
    p_holm = np.full(n_groups, np.nan)
    has_p = np.flatnonzero(~np.isnan(p))
    p_holm[has_p] = holm(p[has_p].tolist())
    # P(X better than Y) over all pairs: count the baseline values below (above) each x.
    below = np.searchsorted(y, v, side="left")
    not_above = np.searchsorted(y, v, side="right")
    wins = below if goal == "max" else ny - not_above
    score = wins + 0.5 * (not_above - below)
    with np.errstate(invalid="ignore", divide="ignore"):
        prob = np.bincount(g, weights=score, minlength=n_groups) / (count * ny)

    some = (count > 0) & (ny > 0)
    columns = [a.tolist() for a in (delta, ci_low, ci_high, p, p_holm, prob)]
    ok_some, ok_two = some.tolist(), (some & (count >= 2) & (ny >= 2)).tolist()
    counts = count.tolist()
    out: list[Comparison | None] = []
    for i in range(n_groups):
        if i == baseline:
            out.append(None)
            continue
        out.append(
            Comparison(
                delta=columns[0][i] if ok_some[i] else None,
                delta_ci_low=columns[1][i] if ok_two[i] else None,
                delta_ci_high=columns[2][i] if ok_two[i] else None,
                ci_level=ci_level,
                p_value=None if math.isnan(columns[3][i]) else columns[3][i],
                p_holm=None if math.isnan(columns[4][i]) else columns[4][i],
                prob_improvement=columns[5][i] if ok_some[i] else None,
                n=counts[i],
                n_baseline=ny,
                warning=_fewer_than_3(counts[i], ny),
            )
        )
    return out
