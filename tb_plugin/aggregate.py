"""Numbers over runs: reductions of a scalar series and statistics of groups.

Pure and I/O-free (numpy only), like `tb_plugin.grouping`, whose `Group` objects it
reads. The routes and the ``tb-rungroups`` CLI both compute through this module.

Reductions and statistics
    A scalar series reduces to one number per run (`reduce_series`, `reduce_runs`):
    ``last`` (the value at the largest step, ``NaN`` included), ``min`` and ``max`` (ignoring
    ``NaN``), ``best`` (``min`` for loss-like tags, see `is_loss_like`, else ``max``). A group of
    such numbers gives `Stats` (`group_stats`, `stats_by_group`): ``NaN`` values are left out
    of every statistic and counted in ``nan_count``; ``std`` is the population standard
    deviation (``ddof=0``, numpy's default), so a single-run group has ``std == 0``.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from tb_plugin.grouping import Group

REDUCTIONS = ("last", "min", "max", "best")
"""The reductions `reduce_series` understands."""

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


def goal(tag: str) -> str:
    """Returns ``"min"`` for loss-like tags (`is_loss_like`), else ``"max"``."""
    return "min" if is_loss_like(tag) else "max"


def _resolve_reduction(reduction: str, tag: str) -> str:
    if reduction not in REDUCTIONS:
        raise ValueError(
            f"unknown reduction {reduction!r}; expected one of {', '.join(REDUCTIONS)}"
        )
    return goal(tag) if reduction == "best" else reduction


def _as_series(steps: Any, values: Any) -> tuple[np.ndarray, np.ndarray]:
    steps = np.asarray(steps, dtype=np.int64).reshape(-1)
    values = np.asarray(values, dtype=np.float64).reshape(-1)
    if steps.shape != values.shape:
        raise ValueError(f"steps and values differ in length: {steps.size} != {values.size}")
    return steps, values


def reduce_series(steps: Any, values: Any, reduction: str, tag: str) -> float:
    """Reduces one scalar series to one number.

    Args:
        steps: The steps (integers), in any order.
        values: The values, one per step.
        reduction: ``last`` (the value at the largest step; of several values at that step
            the last one in the arrays, as a later write wins; ``NaN`` is returned as is, so a
            run that diverged shows it), ``min`` or ``max`` (ignoring ``NaN``; ``NaN`` only if
            every value is ``NaN``), or ``best`` (``min`` if `is_loss_like`, else ``max``).
        tag: The scalar tag, for ``best``.

    Returns:
        The number, ``NaN`` for an empty series.

    Raises:
        ValueError: for an unknown reduction (naming it), or steps and values of different
            lengths.
    """
    op = _resolve_reduction(reduction, tag)
    steps, values = _as_series(steps, values)
    if values.size == 0:
        return math.nan
    if op == "min":
        return float(np.fmin.reduce(values))
    if op == "max":
        return float(np.fmax.reduce(values))
    # The last occurrence of the largest step: argmax on the reversed array finds the first.
    return float(values[values.size - 1 - int(np.argmax(steps[::-1]))])


def reduce_runs(
    series: Mapping[str, tuple[Any, Any]], reduction: str, tag: str
) -> dict[str, float]:
    """Reduces many series at once; the same numbers as `reduce_series` for each.

    This concatenates everything and reduces segment-wise in numpy, so that 10,000 runs cost
    a few array operations rather than 10,000 small ones.

    Args:
        series: Run (or trial) id to ``(steps, values)``.
        reduction: As in `reduce_series`.
        tag: As in `reduce_series`.

    Returns:
        Id to reduced value, in the order of ``series``.

    Raises:
        ValueError: as `reduce_series`.
    """
    op = _resolve_reduction(reduction, tag)
    names = list(series)
    if not names:
        return {}
    pairs = [_as_series(*series[name]) for name in names]
    lengths = np.fromiter((s.size for s, _ in pairs), dtype=np.int64, count=len(pairs))
    out = np.full(len(names), np.nan)
    nonempty = lengths > 0
    if nonempty.any():
        values = np.concatenate([v for _, v in pairs])
        ends = np.cumsum(lengths)
        starts = ends - lengths
        if op in ("min", "max"):
            # Empty segments hold no elements, so consecutive non-empty starts bound exactly
            # one segment each.
            ufunc = np.fmin if op == "min" else np.fmax
            out[nonempty] = ufunc.reduceat(values, starts[nonempty])
        else:
            steps = np.concatenate([s for s, _ in pairs])
            # Series are almost always in step order; then the last element is the answer.
            descending = np.diff(steps) < 0
            # A drop from one run to the next is no disorder. (Empty runs put boundaries at
            # -1 or past the end; those are no positions of ``descending``.)
            boundary = ends[:-1] - 1
            descending[boundary[(boundary >= 0) & (boundary < descending.size)]] = False
            if descending.any():
                segment = np.repeat(np.arange(len(names)), lengths)
                order = np.lexsort((np.arange(values.size), steps, segment))
                values = values[order]
            out[nonempty] = values[ends[nonempty] - 1]
    return dict(zip(names, out.tolist(), strict=True))


# ---------------------------------------------------------------------------------------------
# Statistics


@dataclasses.dataclass(frozen=True)
class Stats:
    """Statistics of one group's reduced values.

    Attributes:
        count: Runs with a value that is not ``NaN`` (infinities count).
        nan_count: Runs whose value is ``NaN``; left out of every statistic.
        mean: Mean of the counted values (``NaN`` if none).
        std: Population standard deviation (``ddof=0``, as ``numpy.std``); 0 for one run.
        min: Smallest value.
        median: Median (mean of the two middle values for an even count).
        max: Largest value.
        best_run: The id of the best run (`goal` of the tag; the first one on ties), or
            ``None`` if no value counts.
        best_value: The best run's value (``NaN`` if none).
        goal: ``"min"`` or ``"max"``: what ``best`` means for this tag.
    """

    count: int
    nan_count: int
    mean: float
    std: float
    min: float
    median: float
    max: float
    best_run: str | None
    best_value: float
    goal: str

    def to_json(self) -> dict[str, Any]:
        """Returns a JSON-ready dict of the fields, in order.

        Written out rather than ``dataclasses.asdict``, which deep-copies every
        value: a third of a second of ``/groups`` for 5,000 groups.
        """
        return {
            "count": self.count,
            "nan_count": self.nan_count,
            "mean": self.mean,
            "std": self.std,
            "min": self.min,
            "median": self.median,
            "max": self.max,
            "best_run": self.best_run,
            "best_value": self.best_value,
            "goal": self.goal,
        }


def _stats_batch(
    group_index: np.ndarray, values: np.ndarray, n_groups: int, lower_is_better: bool
) -> dict[str, np.ndarray]:
    """Computes every statistic for every group in a handful of numpy passes."""
    nan = np.isnan(values)
    nan_count = np.bincount(group_index[nan], minlength=n_groups)
    position = np.flatnonzero(~nan)  # ties for best resolve to the earliest position
    g = group_index[position]
    v = values[position]
    count = np.bincount(g, minlength=n_groups)
    starts = np.cumsum(count) - count
    has = count > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.bincount(g, weights=v, minlength=n_groups) / count
        dev = v - mean[g]
        std = np.sqrt(np.bincount(g, weights=dev * dev, minlength=n_groups) / count)
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
    if not lower_is_better:
        order = np.lexsort((position, -v, g))
    best = np.full(n_groups, -1, dtype=np.int64)
    best[has] = position[order[starts[has]]]
    return {
        "count": count,
        "nan_count": nan_count,
        "mean": mean,
        "std": std,
        "min": mn,
        "median": med,
        "max": mx,
        "best": best,
    }


def stats_by_group(
    groups: Sequence[Group | Sequence[str]],
    values: Mapping[str, float],
    tag: str,
    reduction: str,
) -> list[Stats]:
    """Computes `Stats` for many groups at once (vectorised: one pass for all groups).

    Args:
        groups: `Group` objects (their trials are looked up) or sequences of ids.
        values: Id (trial) to reduced value; ids absent here are not counted at all (the run
            has no such tag), unlike ``NaN`` which is counted in ``nan_count``.
        tag: The scalar tag, which decides the best run (`goal`).
        reduction: The reduction that produced ``values``; validated.

    Returns:
        One `Stats` per group, in order.

    Raises:
        ValueError: for an unknown reduction.
    """
    _resolve_reduction(reduction, tag)
    lower = is_loss_like(tag)
    ids: list[str] = []
    index: list[int] = []
    vals: list[float] = []
    for i, group in enumerate(groups):
        members = group.trials if isinstance(group, Group) else group
        for member in members:
            value = values.get(member)
            if value is not None:
                ids.append(member)
                index.append(i)
                vals.append(value)
    n = len(groups)
    arrays = _stats_batch(
        np.asarray(index, dtype=np.int64), np.asarray(vals, dtype=np.float64), n, lower
    )
    columns = {k: a.tolist() for k, a in arrays.items()}
    direction = "min" if lower else "max"
    out = []
    for i in range(n):
        best = columns["best"][i]
        out.append(
            Stats(
                count=columns["count"][i],
                nan_count=columns["nan_count"][i],
                mean=columns["mean"][i],
                std=columns["std"][i],
                min=columns["min"][i],
                median=columns["median"][i],
                max=columns["max"][i],
                best_run=ids[best] if best >= 0 else None,
                best_value=vals[best] if best >= 0 else math.nan,
                goal=direction,
            )
        )
    return out


def group_stats(values: Mapping[str, float], tag: str, reduction: str) -> Stats:
    """Computes `Stats` of one group's reduced values.

    Args:
        values: Id (trial) to reduced value, in display order (ties for best go to the first).
        tag: The scalar tag, which decides the best run (`goal`).
        reduction: The reduction that produced ``values``; validated.

    Raises:
        ValueError: for an unknown reduction.
    """
    return stats_by_group([list(values)], values, tag, reduction)[0]
