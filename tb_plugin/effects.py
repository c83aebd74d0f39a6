"""Which hyperparameters matter: per-value effects and shares of variance above seed noise.

Pure and I/O-free, like `tb_plugin.aggregate`: numbers and field values in, a JSON-ready
answer out (numpy, and ``scipy.special`` for the t and F distributions). The ``/effects``
route and ``tb-rungroups effects`` compute through `analyse` over the reduced values the
``/groups`` table shows (SPEC §5b).

Per value (``fields[].values``)
    For each value of each field, over the trials with that value (marginal over the
    other fields): the mean, the sample standard deviation (``ddof=1``), n and the Student-t
    interval of the mean, mean ± t₍(1+level)/2, n−1₎·std/√n (``scipy.stats.t.ppf``). With
    n = 1 there is no std and no interval (``None``): a client shows "n=1", never "± 0".

Shares of variance
    A linear model with every field as a categorical main effect (treatment coding, a
    missing value a level of its own), fitted by least squares. A field's sum of squares is
    its **type-II** sum of squares: the residual sum of squares of the model without the
    field minus that of the full main-effects model, exactly what ``statsmodels``'
    ``anova_lm(ols("y ~ C(a) + C(b) + ...", data).fit(), typ=2)`` gives (the tests compare
    them). A field's ``share`` is that sum of squares over the total sum of squares
    Σ(y − ȳ)² (the classical η² of the field). The **seed share** is the residual of the
    model with the configuration (every field's value together) as one factor, over the
    total: the variance between seeds of one configuration. The **rest share** is what the
    configuration model explains beyond the main effects (the interactions), over the total.
    ``main_share`` is what all main effects explain together. In a balanced design the field
    shares, the rest and the seed share sum to 1; in an unbalanced one the fields' type-II
    sums of squares overlap (or leave a gap), so they need not.

    Each field's F test is its type-II mean square over the main-effects model's residual
    mean square (the ``F`` and ``PR(>F)`` columns of ``anova_lm(typ=2)``); ``p_holm`` is
    Holm's (1979) step-down adjustment over the fields that have a p-value
    (`aggregate.holm`); ``below_noise`` is ``p_holm >= 0.05``.

Intervals of the shares
    A seeded bootstrap that resamples trials (seeds) with replacement within each
    configuration, ``reps`` times (``numpy.random.default_rng(seed)``), and recomputes every
    share. The interval is the *basic* (reverse-percentile) bootstrap interval,
    [2θ̂ − q₍(1+level)/2₎, 2θ̂ − q₍(1−level)/2₎] (Davison & Hinkley 1997, eq. 5.6), clipped
    to [0, 1]. Not the percentile interval: a sum of squares is positive however small the
    effect, so resampled shares of a field with no effect sit above the estimate and a
    percentile interval would never reach 0; the basic interval corrects that bias, and a
    field with no effect gets an interval that includes 0. Without a configuration of more
    than one trial there is nothing to resample (and no seed noise to measure): the seed
    share and every interval are ``None``.

Fields the design cannot separate
    Two fields whose values always change together (a one-to-one map between their values
    over the trials) are named together in ``inseparable``. A field whose values are
    determined by the other fields (those, or a coarser field nested in another) adds no
    column to the model: its ``df`` is 0 and its share, interval, F, p and ``below_noise``
    are ``None``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from tb_plugin import aggregate, grouping

DEFAULT_REPS = 1000
"""Bootstrap resamples of the shares unless the caller asks for another number."""

MAX_REPS = 100_000
DEFAULT_SEED = 0
ALPHA = 0.05
"""`below_noise` is Holm-adjusted p ≥ this."""

_CHUNK_VALUES = 2_000_000
"""Resampled values held at once (≈16 MB of float64) by the bootstrap."""


def analyse(
    values: Sequence[float],
    columns: Mapping[str, Sequence[grouping.Value | None]],
    *,
    ci_level: float = 0.95,
    reps: int = DEFAULT_REPS,
    seed: int = DEFAULT_SEED,
) -> dict[str, Any]:
    """The effects of the fields on a metric (see the module docstring for the methods).

    Args:
        values: One finite number per trial (the reduced metric), length N.
        columns: Field id to its N values (``None`` for a trial without the field; a level
            of its own), in the order fields are listed when shares tie. A field with one
            value over all trials is left out and listed in ``constant``.
        ci_level: Level of the per-value t intervals and of the shares' bootstrap intervals,
            in (0, 1).
        reps: Bootstrap resamples, 0 ≤ reps ≤ `MAX_REPS` (0: no intervals of the shares).
        seed: Seed of the bootstrap's generator (a non-negative integer).

    Returns:
        A JSON-ready dict: ``trials`` (N), ``configurations`` (distinct combinations of the
        fields' values), ``seed_df`` (N − configurations), ``total_ss``, ``ci_level``,
        ``reps``, ``seed``, ``seed_share``, ``rest_share`` and ``main_share`` (each
        ``{"share", "ci_low", "ci_high"}``), ``fields`` (ranked by share, largest first,
        fields without a share last; each ``{"field", "share", "ci_low", "ci_high", "ss",
        "df", "f_value", "p_value", "p_holm", "below_noise", "values"}``, ``values`` in value
        order, each ``{"value", "mean", "std", "n", "ci_low", "ci_high"}``), ``inseparable``
        (lists of field ids that always change together) and ``constant`` (fields left
        out). Every number is a finite float or ``None``.

    Raises:
        ValueError: a column of another length than ``values``, a non-finite value,
            ``ci_level`` outside (0, 1), ``reps`` or ``seed`` out of range.
    """
    y = np.asarray(values, dtype=np.float64).reshape(-1)
    n = y.size
    if not np.all(np.isfinite(y)):
        raise ValueError("values must be finite numbers")
    if not 0 < ci_level < 1:
        raise ValueError(f"ci_level must be in (0, 1), got {ci_level!r}")
    if not 0 <= reps <= MAX_REPS:
        raise ValueError(f"reps must be between 0 and {MAX_REPS}, got {reps!r}")
    if seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    fields: list[str] = []
    codes: list[np.ndarray] = []
    levels: list[list[grouping.Value | None]] = []
    constant: list[str] = []
    for field, column in columns.items():
        if len(column) != n:
            raise ValueError(f"field {field!r} has {len(column)} values for {n} trials")
        code, level_values = _encode(column)
        if len(level_values) < 2:
            constant.append(field)
            continue
        fields.append(field)
        codes.append(code)
        levels.append(level_values)

    out: dict[str, Any] = {
        "trials": int(n),
        "ci_level": ci_level,
        "reps": int(reps),
        "seed": int(seed),
        "constant": constant,
    }
    if n == 0:
        empty = _share(None, None)
        out.update(configurations=0, seed_df=0, total_ss=None, seed_share=empty)
        out.update(rest_share=empty, main_share=empty, fields=[], inseparable=[])
        return out
    per_value = [
        _value_stats(y, code, lv, ci_level) for code, lv in zip(codes, levels, strict=True)
    ]
    design = _Design(y, codes, [len(lv) for lv in levels])
    shares = design.observed
    point = {key: float(v[0]) if np.isfinite(v[0]) else None for key, v in shares.items()}
    intervals = _bootstrap(design, y, shares, ci_level, reps, seed)
    out.update(
        {
            "configurations": design.cells,
            "seed_df": int(n - design.cells),
            "total_ss": point["total"],
        }
    )
    for key in ("seed", "rest", "main"):
        out[f"{key}_share"] = _share(point[key], intervals.get(key))

    tests = design.f_tests()
    with_p = [(j, p) for j, (_, p) in enumerate(tests) if p is not None]
    adjusted = aggregate.holm([p for _, p in with_p]) if with_p else []
    p_holm: list[float | None] = [None] * len(fields)
    for (j, _), p in zip(with_p, adjusted, strict=True):
        p_holm[j] = p
    entries = []
    for j, field in enumerate(fields):
        separable = design.df[j] > 0
        share = point[j] if separable else None
        entry = {
            "field": field,
            **_share(share, intervals.get(j) if separable else None),
            "ss": design.ss[j] if separable and math.isfinite(design.ss[j]) else None,
            "df": int(design.df[j]),
            "f_value": tests[j][0],
            "p_value": tests[j][1],
            "p_holm": p_holm[j],
            "below_noise": None if (adj := p_holm[j]) is None else bool(adj >= ALPHA),
            "values": per_value[j],
        }
        entries.append(entry)
    order = sorted(
        range(len(fields)),
        key=lambda j: (entries[j]["share"] is None, -(entries[j]["share"] or 0.0), j),
    )
    out["fields"] = [entries[j] for j in order]
    out["inseparable"] = _inseparable(fields, codes, [len(lv) for lv in levels])
    return out


# --- levels and per-value statistics ---------------------------------------------------------


def _identity(value: grouping.Value | None) -> tuple[Any, ...]:
    """The level a value belongs to: equal numbers are one level (1 and 1.0), booleans are
    not numbers, every NaN is one level, None (missing) is a level of its own."""
    if value is None:
        return ("none",)
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, int | float):
        return ("nan",) if value != value else ("number", value)
    return ("text", str(value))


def _encode(column: Sequence[grouping.Value | None]) -> tuple[np.ndarray, list[Any]]:
    """Level codes 0..L−1 in value order (`grouping.value_sort_key`) and each level's value."""
    types = set(map(type, column))
    mixes_bools = bool in types and bool(types & {int, float})
    if not mixes_bools and not (float in types and any(v != v for v in column)):
        # Plain values are their own identity (1 == 1.0 hash alike; no True next to 1, no
        # NaN): dictionaries at C speed.
        levels = sorted(dict.fromkeys(column), key=grouping.value_sort_key)
        code_of = {v: i for i, v in enumerate(levels)}
        return np.fromiter(map(code_of.__getitem__, column), np.int64, len(column)), levels
    first: dict[tuple[Any, ...], grouping.Value | None] = {}
    raw = []
    for value in column:
        key = _identity(value)
        first.setdefault(key, value)
        raw.append(key)
    ordered = sorted(first, key=lambda k: grouping.value_sort_key(first[k]))
    index = {k: i for i, k in enumerate(ordered)}
    return np.fromiter((index[k] for k in raw), np.int64, len(raw)), [first[k] for k in ordered]


def _value_stats(
    y: np.ndarray, code: np.ndarray, level_values: list[Any], ci_level: float
) -> list[dict[str, Any]]:
    from scipy.special import stdtrit

    k = len(level_values)
    count = np.bincount(code, minlength=k)
    mean = np.bincount(code, weights=y, minlength=k) / count
    squares = np.bincount(code, weights=(y - mean[code]) ** 2, minlength=k)
    out = []
    for i, value in enumerate(level_values):
        m, c = float(mean[i]), int(count[i])
        std = low = high = None
        if c >= 2:
            std = math.sqrt(squares[i] / (c - 1))
            half = float(stdtrit(c - 1, (1 + ci_level) / 2)) * std / math.sqrt(c)
            low, high = m - half, m + half
        out.append({"value": value, "mean": m, "std": std, "n": c, "ci_low": low, "ci_high": high})
    return out


# --- the linear models, at the level of configurations ---------------------------------------


class _Design:
    """The main-effects models of one design, reduced to its configurations (cells).

    Every model here has the fields as factors, so it is constant within a configuration:
    its residual sum of squares is W + Σ_c n_c (ȳ_c − ŷ_c)², with W the within-configuration
    sum of squares, and the fit ŷ is the weighted least-squares fit of the cell means. With
    z = √n ⊙ ȳ and Q an orthonormal basis of √n ⊙ X (X a model's design matrix over cells),
    that is W + ‖z‖² − ‖Qᵀz‖². The bootstrap keeps the cells and their counts (it resamples
    within each), so only z and W change from one resample to the next.
    """

    def __init__(self, y: np.ndarray, codes: list[np.ndarray], n_levels: list[int]):
        n = y.size
        if codes:
            stacked = np.stack(codes, axis=1)
            cell_codes, cell = np.unique(stacked, axis=0, return_inverse=True)
            cell = cell.reshape(-1)
        else:
            cell_codes = np.zeros((1, 0), dtype=np.int64)
            cell = np.zeros(n, dtype=np.int64)
        self.cells = int(cell_codes.shape[0])
        self.order = np.argsort(cell, kind="stable")
        self.count = np.bincount(cell, minlength=self.cells).astype(np.float64)
        self.starts = np.concatenate([[0], np.cumsum(self.count)[:-1]]).astype(np.int64)
        self.cell = cell
        self.n = n
        # Deviations from the observed cell means: sums of squares without cancellation.
        self.cell_mean = np.bincount(cell, weights=y, minlength=self.cells) / self.count
        self.root = np.sqrt(self.count)
        columns = [np.ones((self.cells, 1))]
        for f, k in enumerate(n_levels):
            columns.append(
                (cell_codes[:, f][:, None] == np.arange(1, k)[None, :]).astype(np.float64)
            )
        full = np.concatenate(columns, axis=1) * self.root[:, None]
        self.basis_full = _basis(full)
        self.basis_none = _basis(columns[0] * self.root[:, None])
        self.basis_drop = []
        for f in range(len(n_levels)):
            kept = [c for i, c in enumerate(columns) if i != f + 1]
            self.basis_drop.append(_basis(np.concatenate(kept, axis=1) * self.root[:, None]))
        rank_full = self.basis_full.shape[1]
        self.df = [rank_full - b.shape[1] for b in self.basis_drop]
        self.df_resid = n - rank_full
        self.fields = len(n_levels)
        # Sums of the values less their mean (every model has the intercept, so nothing
        # changes but the rounding).
        self.shift = float(y.mean()) if n else 0.0
        within = np.sum((y - self.cell_mean[cell]) ** 2)
        sums = np.bincount(cell, weights=y - self.shift, minlength=self.cells)
        self.observed = self.shares(sums[None, :], np.asarray([within]))
        total = self.observed["total"][0]
        self.ss = [float(self.observed[f][0] * total) for f in range(self.fields)]
        self.rss_full = float(self.observed["rss_full"][0])

    def shares(self, sums: np.ndarray, within: np.ndarray) -> dict[Any, np.ndarray]:
        """Per resample, every share and sum of squares from the cell sums of the values
        less `shift` (rows of `sums`) and the within-configuration sums of squares
        (`within`); keys 0..F−1 (fields), "seed", "rest", "main", "total", "rss_full"."""
        z = sums / self.root[None, :]
        norm = np.einsum("bc,bc->b", z, z)
        explained_full = _projected(z, self.basis_full)
        explained_none = _projected(z, self.basis_none)
        total = within + norm - explained_none
        interactions = np.maximum(norm - explained_full, 0.0)
        main = np.maximum(explained_full - explained_none, 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            scale = np.where(total > 0, 1.0 / np.where(total > 0, total, 1.0), np.nan)
            out: dict[Any, np.ndarray] = {
                "total": total,
                "rss_full": within + interactions,
                "seed": within * scale,
                "rest": interactions * scale,
                "main": main * scale,
            }
            for f, basis in enumerate(self.basis_drop):
                ss = np.maximum(explained_full - _projected(z, basis), 0.0)
                out[f] = ss * scale
        if self.n - self.cells == 0:
            out["seed"] = np.full_like(total, np.nan)
        return out

    def f_tests(self) -> list[tuple[float | None, float | None]]:
        """Per field (F, p) of the type-II F test against the main-effects residual."""
        from scipy.special import fdtrc

        out: list[tuple[float | None, float | None]] = []
        total = float(self.observed["total"][0])
        for f in range(self.fields):
            df = self.df[f]
            if df == 0 or self.df_resid <= 0 or not total > 0:
                out.append((None, None))
                continue
            residual = self.rss_full / self.df_resid
            if not residual > 1e-13 * total / max(self.n, 1):
                out.append((None, None))  # a perfect fit: no noise left to test against
                continue
            f_value = (self.ss[f] / df) / residual
            out.append((float(f_value), float(fdtrc(df, self.df_resid, f_value))))
        return out


def _basis(matrix: np.ndarray) -> np.ndarray:
    """An orthonormal basis of the column space of `matrix` (SVD, numpy's rank tolerance)."""
    if matrix.size == 0:
        return np.zeros((matrix.shape[0], 0))
    u, s, _ = np.linalg.svd(matrix, full_matrices=False)
    tol = s.max(initial=0.0) * max(matrix.shape) * np.finfo(np.float64).eps
    return u[:, s > tol]


def _projected(z: np.ndarray, basis: np.ndarray) -> np.ndarray:
    """‖Qᵀz‖² per row of z."""
    if basis.shape[1] == 0:
        return np.zeros(z.shape[0])
    p = z @ basis
    return np.einsum("br,br->b", p, p)


# --- the bootstrap ---------------------------------------------------------------------------


def _bootstrap(
    design: _Design,
    y: np.ndarray,
    shares: dict[Any, np.ndarray],
    ci_level: float,
    reps: int,
    seed: int,
) -> dict[Any, tuple[float, float]]:
    """Basic bootstrap intervals of every share (see the module docstring); {} when there is
    nothing to resample (no configuration of two or more trials, or `reps` = 0)."""
    if reps == 0 or design.n == design.cells or design.n == 0:
        return {}
    rng = np.random.default_rng(seed)
    deviations = (y - design.cell_mean[design.cell])[design.order]
    count = design.count
    starts = design.starts
    per_value_start = np.repeat(starts, count.astype(np.int64))
    per_value_count = np.repeat(count, count.astype(np.int64))
    observed_sums = (design.cell_mean - design.shift) * count
    chunk = max(1, _CHUNK_VALUES // max(design.n, 1))
    keys = [k for k in shares if k not in ("total", "rss_full")]
    draws: dict[Any, list[np.ndarray]] = {k: [] for k in keys}
    done = 0
    while done < reps:
        b = min(chunk, reps - done)
        done += b
        picks = per_value_start + (rng.random((b, design.n)) * per_value_count).astype(np.int64)
        d = deviations[picks]
        sum_d = np.add.reduceat(d, starts, axis=1)
        within = np.einsum("bn,bn->b", d, d) - np.sum(sum_d * sum_d / count[None, :], axis=1)
        got = design.shares(observed_sums[None, :] + sum_d, np.maximum(within, 0.0))
        for k in keys:
            draws[k].append(got[k])
    lo_q, hi_q = (1 - ci_level) / 2, (1 + ci_level) / 2
    out: dict[Any, tuple[float, float]] = {}
    for k in keys:
        sample = np.concatenate(draws[k])
        sample = sample[np.isfinite(sample)]
        theta = float(shares[k][0])
        if sample.size == 0 or not math.isfinite(theta):
            continue
        q_lo, q_hi = np.quantile(sample, [lo_q, hi_q])
        low = min(max(2 * theta - float(q_hi), 0.0), 1.0)
        high = min(max(2 * theta - float(q_lo), 0.0), 1.0)
        out[k] = (low, high)
    return out


def _share(share: float | None, interval: tuple[float, float] | None) -> dict[str, Any]:
    low, high = interval if interval is not None and share is not None else (None, None)
    return {"share": share, "ci_low": low, "ci_high": high}


# --- inseparable fields ----------------------------------------------------------------------


def _inseparable(
    fields: list[str], codes: list[np.ndarray], n_levels: list[int]
) -> list[list[str]]:
    """Groups (in field order) of fields whose values map one to one over the trials."""
    parent = list(range(len(fields)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for a in range(len(fields)):
        for b in range(a + 1, len(fields)):
            if n_levels[a] != n_levels[b]:
                continue
            pairs = np.unique(codes[a] * n_levels[b] + codes[b]).size
            if pairs == n_levels[a]:
                parent[root(b)] = root(a)
    groups: dict[int, list[str]] = {}
    for i, field in enumerate(fields):
        groups.setdefault(root(i), []).append(field)
    return [members for members in groups.values() if len(members) > 1]
