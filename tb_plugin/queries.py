"""Typed queries: every route's arguments, parsed and bounded in one place.

The HTTP routes (`tb_plugin.plugin`) and the ``tb-rungroups`` command line
(`tb_plugin.cli`) both build these frozen dataclasses from a multi-valued
mapping of text arguments (werkzeug's ``request.args``, or a `werkzeug
MultiDict` the CLI fills), so the two cannot drift. Each ``from_args`` raises
TensorBoard's `errors.InvalidArgumentError` (a 400) naming the argument for
any value it refuses; nothing a client sends reaches the answer functions
unchecked.

Bounds (a request that exceeds one is a 400, never a slow answer):

* every argument value at most `MAX_ARG_CHARS` characters (`regex` at most
  `MAX_REGEX_CHARS`), a singular argument given once, a repeatable one at most
  `MAX_REPEATS` times, `by` at most `MAX_BY_FIELDS` fields;
* numbers finite and inside the documented ranges;
* ``regex`` is compiled with RE2 (`google-re2`): matching takes time linear
  in the text, whatever the pattern, so no expression can stall the server.
  The dialect is RE2's (Python's ``re`` minus back-references and look-around;
  see http_api.md); a pattern RE2 rejects, or whose program is over
  `regexes.MAX_PROGRAM_SIZE` instructions, is a 400, and filtering that spends
  over `regexes.MATCH_CPU_SECONDS` of CPU is stopped with a 400 (`tb_plugin.regexes`);
* group keys (`grouping.Group.key`) are opaque strings of a fixed shape.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Sequence
from typing import Any, Protocol

from tensorboard import errors

from tb_plugin import aggregate, backend, benchmark, grouping, naming, regexes

MAX_ARG_CHARS = 10_000
MAX_REGEX_CHARS = 1000
MAX_REPEATS = 1000
MAX_BY_FIELDS = 32
MAX_FIELD_CHARS = 300
MAX_REPEAT_COUNT = 1000
"""Largest `{n}` / `{n,m}` count in a regex (RE2's own limit)."""
MAX_REGEX_NESTING = 100
"""Deepest nesting of groups in a regex."""
REGEX_MAX_MEM = regexes.MAX_MEM
"""Bytes RE2 may use for one compiled regex (its default); see `tb_plugin.regexes`."""

DEFAULT_MAX_VALUES = 100
"""Distinct values listed per field by `/fields` unless `max_values` says otherwise."""
MAX_MAX_VALUES = 100_000

MAX_STALE_AFTER = 1e9
"""Seconds; about 30 years. Larger `stale_after` values are refused as nonsense."""

MAX_SMOOTHING = 0.999
"""Largest smoothing weight (TensorBoard's slider stops there too)."""

X_AXES = ("step", "relative", "wall")
"""`/curves`' x axis: steps, hours since each run's first point, or POSIX seconds."""

AUTO = "auto"
"""`split` not given: read the metric from `backend.SPLIT_PREFERENCE`'s first split that has it."""

SPLITS = grouping.CANONICAL_SPLITS
"""Canonical split names a request may name (plus `none`, runs without a split)."""


class Args(Protocol):
    """What the queries read: a multi-valued mapping (werkzeug's `MultiDict`)."""

    def getlist(self, key: str) -> list[str]: ...


# --- argument readers -------------------------------------------------------------------------


def _invalid(message: str) -> errors.InvalidArgumentError:
    return errors.InvalidArgumentError(message)


def _show(text: str) -> str:
    return repr(text[:100] + ("…" if len(text) > 100 else ""))


def _all(args: Args, name: str, limit: int = MAX_ARG_CHARS) -> list[str]:
    values = args.getlist(name)
    if len(values) > MAX_REPEATS:
        raise _invalid(f"argument {name!r} is repeated more than {MAX_REPEATS} times")
    for value in values:
        if len(value) > limit:
            raise _invalid(f"argument {name!r} is longer than {limit} characters")
    return values


def _one(args: Args, name: str, limit: int = MAX_ARG_CHARS) -> str | None:
    """A singular argument: None when absent or empty; a 400 when repeated."""
    values = _all(args, name, limit)
    if len(values) > 1:
        raise _invalid(f"argument {name!r} must be given once, got {len(values)} values")
    return values[0] if values and values[0] != "" else None


def _required(args: Args, name: str) -> str:
    value = _one(args, name)
    if value is None:
        raise _invalid(f"missing required argument {name!r}")
    return value


def _number(args: Args, name: str, default: float, lo: float, hi: float, kind: type) -> Any:
    """A number argument of `kind` (int or float) in [lo, hi]; `default` when absent."""
    text = _one(args, name, 40)
    if text is None:
        return default
    try:
        value = kind(text)
    except ValueError:
        what = "an integer" if kind is int else "a number"
        raise _invalid(f"argument {name!r} must be {what}, got {_show(text)}") from None
    if not (math.isfinite(value) and lo <= value <= hi):
        raise _invalid(f"argument {name!r} must be between {lo:g} and {hi:g}, got {_show(text)}")
    return value


def _int(args: Args, name: str, default: int, lo: int, hi: int) -> int:
    return int(_number(args, name, default, lo, hi, int))


def _float(args: Args, name: str, default: float, lo: float, hi: float) -> float:
    return float(_number(args, name, default, lo, hi, float))


def _stale_after(args: Args) -> float:
    return _float(args, "stale_after", backend.DEFAULT_STALE_AFTER, 0.0, MAX_STALE_AFTER)


def _by(args: Args) -> tuple[str, ...] | None:
    values = _all(args, "by")
    if not values:
        return None
    if len(values) > 1:
        raise _invalid(f"argument 'by' must be given once, got {len(values)} values")
    fields = tuple(part.strip() for part in values[0].split(",") if part.strip())
    if len(fields) > MAX_BY_FIELDS:
        raise _invalid(f"argument 'by' names more than {MAX_BY_FIELDS} fields")
    for field in fields:
        if len(field) > MAX_FIELD_CHARS:
            raise _invalid(f"argument 'by': a field id is longer than {MAX_FIELD_CHARS} characters")
    return fields


def _split(args: Args) -> str | None:
    """`split`: a canonical split (aliases such as `val` map to it), `none`, or the name of
    a writer's own split (`train_inner`, `hparams`; the answer checks that it exists)."""
    text = _one(args, "split", 100)
    if text is None:
        return AUTO
    lowered = text.lower()
    if lowered in (backend.NO_SPLIT, grouping.NONE_LABEL):
        return None
    canonical = naming.SPLITS.get(lowered, lowered)
    if canonical in SPLITS:
        return canonical
    if not text.isprintable() or text != text.strip():
        raise _invalid(
            f"argument 'split': unknown split {_show(text)}; expected one of "
            f"{', '.join(SPLITS)}, {backend.NO_SPLIT} or a split the experiment has"
        )
    return text


def compile_regex(pattern: str, argument: str = "regex") -> Any:
    """Compiles a user's regex with RE2 (linear-time matching; see the module docstring).

    Returns:
      A `regexes.Pattern` (its `search` tells whether the pattern occurs in a text).

    Raises:
      errors.InvalidArgumentError: too long, not a pattern RE2 accepts, or compiled to
        more than `regexes.MAX_PROGRAM_SIZE` instructions.
    """
    if len(pattern) > MAX_REGEX_CHARS:
        raise _invalid(f"argument {argument!r} is longer than {MAX_REGEX_CHARS} characters")
    # RE2 reads a repetition count it cannot hold as literal text and nests groups
    # 1,000 deep; either is a mistake here, so say so instead of matching something else.
    for match in _REPEAT_COUNT.finditer(pattern):
        for count in match.groups():
            if len(count) > 4 or (count and int(count) > MAX_REPEAT_COUNT):
                raise _invalid(
                    f"argument {argument!r}: invalid regular expression {_show(pattern)}: "
                    f"repetition count {count[:30]} is above {MAX_REPEAT_COUNT}"
                )
    if _nesting(pattern) > MAX_REGEX_NESTING:
        raise _invalid(
            f"argument {argument!r}: invalid regular expression {_show(pattern)}: "
            f"groups nested more than {MAX_REGEX_NESTING} deep"
        )
    try:
        return regexes.compile_pattern(pattern)
    except regexes.PatternError as e:
        raise _invalid(
            f"argument {argument!r}: invalid regular expression {_show(pattern)}: {e}"
        ) from None


_REPEAT_COUNT = re.compile(r"(?<!\\)\{(\d*),?(\d*)\}")


def _nesting(pattern: str) -> int:
    """The deepest nesting of unescaped parentheses outside character classes."""
    depth = deepest = 0
    escaped = in_class = False
    for char in pattern:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == "(":
            depth += 1
            deepest = max(deepest, depth)
        elif char == ")":
            depth = max(depth - 1, 0)
    return deepest


def _filter(args: Args) -> backend.Filter:
    pattern = _one(args, "regex", MAX_REGEX_CHARS)
    regex = compile_regex(pattern) if pattern is not None else None
    where: dict[str, list[str]] = {}
    for item in _all(args, "where"):
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise _invalid(f"argument 'where' must look like FIELD=VALUE, got {_show(item)}")
        if len(name.strip()) > MAX_FIELD_CHARS:
            raise _invalid(
                f"argument 'where': a field id is longer than {MAX_FIELD_CHARS} characters"
            )
        where.setdefault(name.strip(), []).append(value)
    return backend.Filter(
        text=_one(args, "filter"),
        regex=regex,
        where=tuple((k, tuple(v)) for k, v in where.items()),
    )


_GROUP_KEY = re.compile(rf"[A-Za-z0-9_-]{{{grouping.GROUP_KEY_LENGTH}}}")


def _group_keys(args: Args, name: str = "group") -> tuple[str, ...] | None:
    keys = _all(args, name, 100)
    if not keys:
        return None
    for key in keys:
        if not _GROUP_KEY.fullmatch(key):
            raise _invalid(
                f"argument {name!r} must be a group key as /groups gives it, got {_show(key)}"
            )
    return tuple(dict.fromkeys(keys))


def _choice(args: Args, name: str, choices: Sequence[str]) -> str:
    text = _one(args, name, 100)
    if text is None:
        return choices[0]
    if text not in choices:
        raise _invalid(f"argument {name!r} must be one of {', '.join(choices)}, got {_show(text)}")
    return text


def _bool(args: Args, name: str, default: bool = False) -> bool:
    text = _one(args, name, 10)
    if text is None:
        return default
    lowered = text.lower()
    if lowered in ("1", "true", "yes"):
        return True
    if lowered in ("0", "false", "no"):
        return False
    raise _invalid(f"argument {name!r} must be true or false, got {_show(text)}")


def allow_stale(args: Args) -> bool:
    """``allow_stale``: a first-view route may answer with its last answer, marked stale,
    while the fresh one is computed (`tb_plugin.refresh`).

    Raises:
      errors.InvalidArgumentError: not true or false.
    """
    return _bool(args, "allow_stale")


def _ci_level(args: Args) -> float:
    return _float(args, "ci_level", 0.95, 0.5, 0.999)


DEFAULT_K = 5
"""`mean_last_k`'s k when the request gives none."""

MAX_METRICS = 16
"""Metrics one `/groups` request may reduce (one column block each)."""


@dataclasses.dataclass(frozen=True)
class MetricSpec:
    """One metric column block of `/groups`: a scalar tag and how each run reduces to a number."""

    metric: str
    reduction: aggregate.Reduction


def _metrics(args: Args) -> tuple[tuple[MetricSpec, ...], aggregate.Reduction | None]:
    """The metric blocks, and the (first) reduction, which an `auto_metric` request uses."""
    metrics = [m for m in _all(args, "metric") if m != ""]
    if len(metrics) > MAX_METRICS:
        raise _invalid(f"argument 'metric' is given more than {MAX_METRICS} times")
    reductions = [r for r in _all(args, "reduction", 1100) if r != ""] or ["last"]
    if len(reductions) == 1:
        reductions = reductions * max(len(metrics), 1)
    if len(reductions) != max(len(metrics), 1):  # several without a metric: a 400, not a 500
        raise _invalid(
            f"argument 'reduction' must be given once, or once per metric "
            f"({len(metrics)}), got {len(reductions)}"
        )
    k = _int(args, "k", DEFAULT_K, 1, aggregate.MAX_K)
    out = []
    first = None
    for metric, text in zip(metrics or [""], reductions, strict=True):
        try:
            parsed = aggregate.parse_reduction(text, k if text == "mean_last_k" else None)
        except ValueError as e:
            raise _invalid(f"argument 'reduction': {e}") from None
        first = first or parsed
        if metric:
            out.append(MetricSpec(metric, parsed))
    return tuple(out), first


def _ci(args: Args) -> str:
    return _choice(args, "ci", aggregate.CI_METHODS)


# --- queries ---------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class RunsQuery:
    """`/runs`: every run. `stale_after` in seconds; `read` False leaves out each run's
    ``read`` (how it was read: half of the answer's text; `/run` gives one run's)."""

    stale_after: float = backend.DEFAULT_STALE_AFTER
    read: bool = True

    @classmethod
    def from_args(cls, args: Args) -> RunsQuery:
        return cls(stale_after=_stale_after(args), read=_bool(args, "read", default=True))


@dataclasses.dataclass(frozen=True)
class RunQuery:
    """`/run` and `/metadata`: one run by its exact name."""

    run: str
    stale_after: float = backend.DEFAULT_STALE_AFTER

    @classmethod
    def from_args(cls, args: Args) -> RunQuery:
        return cls(run=_required(args, "run"), stale_after=_stale_after(args))


@dataclasses.dataclass(frozen=True)
class FieldsQuery:
    """`/fields`: grouping fields with at most `max_values` distinct values each."""

    max_values: int = DEFAULT_MAX_VALUES
    stale_after: float = backend.DEFAULT_STALE_AFTER

    @classmethod
    def from_args(cls, args: Args) -> FieldsQuery:
        return cls(
            max_values=_int(args, "max_values", DEFAULT_MAX_VALUES, 0, MAX_MAX_VALUES),
            stale_after=_stale_after(args),
        )


@dataclasses.dataclass(frozen=True)
class TagsQuery:
    """`/tags`: takes no arguments."""

    @classmethod
    def from_args(cls, args: Args) -> TagsQuery:
        return cls()


MAX_CHART_GROUPS = 100
"""Groups `/groups`' `chart_groups` may pick for the chart."""

MAX_SPARKLINES = 1000
"""Groups `/groups`' `sparklines` may draw (the tab asks for the rows it shows)."""


@dataclasses.dataclass(frozen=True)
class TableCurves:
    """The curves `/groups` answers with its table (the tab's first view, one round trip).

    `chart` names the chart's groups by key (those the grouping has, in that order);
    without it, `chart_groups` groups are picked as the tab picks them
    (`answers.default_chart_keys`). Their curves come at `chart_points` points, smoothed
    by `smoothing` (and unsmoothed too when `smoothing` > 0), along `x`. `sparklines`:
    the first that many groups' sparklines at `sparkline_points` points.
    """

    chart: tuple[str, ...] | None = None
    chart_groups: int = 0
    chart_points: int = backend.DEFAULT_MAX_POINTS
    smoothing: float = 0.0
    x: str = "step"
    sparklines: int = 0
    sparkline_points: int = 40

    NAMES = (
        "chart",
        "chart_groups",
        "chart_points",
        "smoothing",
        "x",
        "sparklines",
        "sparkline_points",
    )

    @classmethod
    def from_args(cls, args: Args) -> TableCurves | None:
        """None when the request names none of these arguments (a plain table)."""
        if not any(args.getlist(name) for name in cls.NAMES):
            return None
        return cls(
            chart=_group_keys(args, "chart"),
            chart_groups=_int(args, "chart_groups", 0, 0, MAX_CHART_GROUPS),
            chart_points=_int(args, "chart_points", backend.DEFAULT_MAX_POINTS, 1, 100_000),
            smoothing=_float(args, "smoothing", 0.0, 0.0, MAX_SMOOTHING),
            x=_choice(args, "x", X_AXES),
            sparklines=_int(args, "sparklines", 0, 0, MAX_SPARKLINES),
            sparkline_points=_int(args, "sparkline_points", 40, 1, 100_000),
        )


@dataclasses.dataclass(frozen=True)
class GroupsQuery:
    """`/groups`: trials grouped by `by` (None: the default grouping), with metrics' statistics.

    `split` is a canonical split, another split name the experiment has (checked by the
    answer), None (runs without one) or `AUTO`. `ci` is the interval
    method (`t` or `bootstrap`) at `ci_level`. `baseline` names the group every group is
    compared with: its key, or `FIELD=VALUE[,FIELD=VALUE...]` over the grouping's fields.
    `auto_metric`: without `metrics`, reduce `/tags`' default metric with `reduction` (the
    tab's first view asks this before it knows the tags). `curves`: the first metric's
    curves to answer with the table (`TableCurves`), or None.
    """

    by: tuple[str, ...] | None = None
    metrics: tuple[MetricSpec, ...] = ()
    split: str | None = AUTO
    where: backend.Filter = backend.Filter()
    stale_after: float = backend.DEFAULT_STALE_AFTER
    ci: str = "t"
    ci_level: float = 0.95
    baseline: str | None = None
    auto_metric: bool = False
    reduction: aggregate.Reduction | None = None  # for an auto metric; None: last
    curves: TableCurves | None = None
    # SPEC §5c (`SeedsArgs`): paired by seed, the seeds planner, bad seeds left out.
    paired: bool = False
    alpha: float = 0.05
    power: float = 0.8
    mde: float | None = None
    halfwidth: float | None = None
    exclude: tuple[str, ...] = ()

    @classmethod
    def from_args(cls, args: Args) -> GroupsQuery:
        metrics, reduction = _metrics(args)
        return cls(
            **_seeds_args(args),
            curves=TableCurves.from_args(args),
            by=_by(args),
            auto_metric=_bool(args, "auto_metric"),
            reduction=reduction,
            metrics=metrics,
            split=_split(args),
            where=_filter(args),
            stale_after=_stale_after(args),
            ci=_ci(args),
            ci_level=_ci_level(args),
            baseline=_one(args, "baseline", 2000),
        )


def _optional_positive(args: Args, name: str) -> float | None:
    """A positive finite number argument, None when absent."""
    text = _one(args, name, 40)
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise _invalid(f"argument {name!r} must be a positive number, got {_show(text)}")
    return value


def _seeds_args(args: Args) -> dict[str, Any]:
    """`/groups`' SPEC §5c arguments: ``paired`` (pair runs with the baseline's by seed),
    ``alpha`` (the planner's level, default 0.05), ``power`` (its target, default 0.8),
    ``mde`` (the difference to plan for, default the observed one), ``halfwidth`` (plan a
    single group's interval) and ``exclude`` (``flagged`` or kinds of `seeds.FLAG_KINDS`)."""
    from tb_plugin import seeds

    try:
        exclude = seeds.parse_exclude(_one(args, "exclude", 100))
    except ValueError as e:
        raise _invalid(f"argument 'exclude': {e}") from None
    return {
        "paired": _bool(args, "paired"),
        "alpha": _float(args, "alpha", 0.05, 1e-6, 0.5),
        "power": _float(args, "power", 0.8, 0.05, 0.999),
        "mde": _optional_positive(args, "mde"),
        "halfwidth": _optional_positive(args, "halfwidth"),
        "exclude": exclude,
    }


@dataclasses.dataclass(frozen=True)
class CurvesQuery:
    """`/curves`: each group's mean curve of `metric`; `groups` (keys) picks some groups."""

    metric: str
    by: tuple[str, ...] | None = None
    split: str | None = AUTO
    where: backend.Filter = backend.Filter()
    max_points: int = backend.DEFAULT_MAX_POINTS
    groups: tuple[str, ...] | None = None
    stale_after: float = backend.DEFAULT_STALE_AFTER
    smoothing: float = 0.0
    x: str = "step"
    ci_level: float = 0.95
    lines: bool = False
    sparkline: bool = False

    @classmethod
    def from_args(cls, args: Args) -> CurvesQuery:
        return cls(
            metric=_required(args, "metric"),
            by=_by(args),
            split=_split(args),
            where=_filter(args),
            max_points=_int(args, "max_points", backend.DEFAULT_MAX_POINTS, 1, 100_000),
            groups=_group_keys(args),
            stale_after=_stale_after(args),
            smoothing=_float(args, "smoothing", 0.0, 0.0, MAX_SMOOTHING),
            x=_choice(args, "x", X_AXES),
            ci_level=_ci_level(args),
            lines=_bool(args, "lines"),
            sparkline=_bool(args, "sparkline"),
        )


EXPORT_FORMATS = ("csv", "json", "markdown", "latex")
"""The formats of `/export` and `tb-rungroups ls --format` (`export.FORMATS`): kept here, below
`answers` and `export`, so that no `tb_plugin` modules import each other in a circle."""


@dataclasses.dataclass(frozen=True)
class ExportQuery:
    """`/export`: the `/groups` arguments (a `GroupsQuery`) plus the file `format`."""

    format: str = "csv"

    @classmethod
    def from_args(cls, args: Args) -> ExportQuery:
        return cls(format=_choice(args, "format", EXPORT_FORMATS))


MAX_EFFECTS_REPS = 10_000
"""Bootstrap resamples `/effects` may ask for (`reps`)."""


@dataclasses.dataclass(frozen=True)
class EffectsQuery:
    """`/effects`: which fields move one metric, and by how much beyond seed noise (§5b).

    The `/groups` arguments that pick the trials and the metric (`metric` once, or none for
    `/tags`' default metric; `reduction`, `k`, `split`, `filter`, `regex`, `where`,
    `stale_after`), `by` (the fields considered; default: the default grouping; repeat keys
    are left out), `ci_level` (per-value t intervals and the shares' bootstrap intervals),
    and the bootstrap's `reps` (0 to `MAX_EFFECTS_REPS`, default 1,000) and `seed`.
    """

    metric: MetricSpec | None = None
    reduction: aggregate.Reduction | None = None
    by: tuple[str, ...] | None = None
    split: str | None = AUTO
    where: backend.Filter = backend.Filter()
    stale_after: float = backend.DEFAULT_STALE_AFTER
    ci_level: float = 0.95
    reps: int = 1000
    seed: int = 0

    @classmethod
    def from_args(cls, args: Args) -> EffectsQuery:
        metrics, reduction = _metrics(args)
        if len(metrics) > 1:
            raise _invalid(f"argument 'metric' must be given once, got {len(metrics)} values")
        return cls(
            metric=metrics[0] if metrics else None,
            reduction=reduction,
            by=_by(args),
            split=_split(args),
            where=_filter(args),
            stale_after=_stale_after(args),
            ci_level=_ci_level(args),
            reps=_int(args, "reps", 1000, 0, MAX_EFFECTS_REPS),
            seed=_int(args, "seed", 0, 0, 2**32 - 1),
        )


def multidict(pairs: Sequence[tuple[str, str]]) -> Args:
    """Builds `Args` from (name, value) pairs, as a query string would give them."""
    from werkzeug.datastructures import MultiDict

    return MultiDict(pairs)


# --- /benchmark ------------------------------------------------------------------------------

NORMALIZATIONS = benchmark.NORMALIZATIONS
"""`/benchmark`'s per-task normalisations (``none`` first: the default)."""

MAX_BENCHMARK_REPS = 10_000
"""The most bootstrap resamples a `/benchmark` request may ask for."""


@dataclasses.dataclass(frozen=True)
class BenchmarkQuery:
    """`/benchmark`: methods compared across tasks (SPEC §5d).

    `groups` holds the common arguments, read exactly as `/groups` reads them (`by`,
    `metric` — one, or `/tags`' default metric —, `reduction`, `k`, `split`, the filters,
    `stale_after`, `ci_level`); the `by` fields other than `task` make the methods.
    `baseline` names a method (its name, its group key, or `FIELD=VALUE[,...]` over the
    method fields). `reps` bootstrap resamples drawn from `seed`.
    """

    task: str
    groups: GroupsQuery
    normalize: str = "none"
    baseline: str | None = None
    reps: int = benchmark.DEFAULT_REPS
    seed: int = 0

    @classmethod
    def from_args(cls, args: Args) -> BenchmarkQuery:
        task = _required(args, "task")
        if len(task) > MAX_FIELD_CHARS:
            raise _invalid(f"argument 'task' is longer than {MAX_FIELD_CHARS} characters")
        groups = GroupsQuery.from_args(args)
        if len(groups.metrics) > 1:
            raise _invalid("argument 'metric': /benchmark compares one metric at a time")
        normalize = _choice(args, "normalize", NORMALIZATIONS)
        if normalize == "baseline" and groups.baseline is None:
            raise _invalid("argument 'normalize=baseline' needs a 'baseline' method")
        return cls(
            task=task,
            groups=dataclasses.replace(
                groups, baseline=None, curves=None, ci="t", auto_metric=not groups.metrics
            ),
            normalize=normalize,
            baseline=groups.baseline,
            reps=_int(args, "reps", benchmark.DEFAULT_REPS, 1, MAX_BENCHMARK_REPS),
            seed=_int(args, "seed", 0, 0, 2**32 - 1),
        )
