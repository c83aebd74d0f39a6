"""The routes' answers as plain functions over a `backend.Backend`.

Each function takes the backend, TensorBoard's request context, an experiment
id and a typed query from `tb_plugin.queries`, and returns the JSON-ready
answer. The HTTP routes (`tb_plugin.plugin`) and the ``tb-rungroups`` command
line call exactly these, so the CLI's JSON is the route's JSON.

Errors: a bad argument raises TensorBoard's `errors.InvalidArgumentError`
(400), an unknown run, tag or group `errors.NotFoundError` (404). Nothing else
is caught here: any other exception is a bug, and TensorBoard answers it with
a 500 and logs it.
"""

from __future__ import annotations

import collections
import dataclasses
import datetime
import gc
import gzip
import json
import json.encoder
import math
import re
import time
from collections.abc import Mapping, Sequence
from typing import Any

from tensorboard import errors
from tensorboard.data import provider

from tb_plugin import (
    aggregate,
    backend,
    data,
    grouping,
    provenance,
    queries,
    refresh,
    regexes,
    seeds,
)
from tb_plugin import curves as curves_lib
from tb_plugin import effects as effects_lib

# --- /runs ------------------------------------------------------------------------------------


def runs(b: backend.Backend, ctx: Any, experiment: str, q: queries.RunsQuery) -> dict[str, Any]:
    """Every run with its parsed name fields, merged metadata and status, and every trial."""
    view, stale, last, _ = _runs_state(b, ctx, experiment, q)
    return _runs(view, q, stale, last, b.patterns, readings=q.read)


def runs_encoded(b: backend.Backend, ctx: Any, experiment: str, q: queries.RunsQuery) -> bytes:
    """`runs` as `compress(encode(...))` gives it, memoised per view, stale set, running
    trials' last events and `stale_after` (10,000 runs take ~0.1 s to encode and compress).
    Only the compressed text is kept (the answer's dicts are ≈7 MB at 10,000 runs)."""
    view, stale, last, key = _runs_state(b, ctx, experiment, q)
    # One slot per view and `read`: running trials' new events make new keys, which must
    # not push the other answers out of the memo.
    slot = ("runs", q.read)
    found = view.memo.get(slot)
    if found is None or found[0] != key:
        body = _runs(view, q, stale, last, b.patterns, readings=False)
        text = _with_readings(view, body, b.patterns) if q.read else encode(body)
        found = (key, compress(text))
        view.memo.put(slot, found)
    return b.refresher.keep(refresh.key("runs", experiment, q), found[1])


# Where each run's ``read`` goes in the encoded `/runs`: a private-use text no run name or
# metadata value is (the whole JSON string must match), replaced by the run's encoded reading.
_READ_SLOT = "\ue000\ue001read"
_READ_SLOT_RE = re.compile(r'"\\ue000\\ue001read([0-9]+)"')


def _with_readings(
    view: backend.ExperimentView, body: dict[str, Any], patterns: Sequence[re.Pattern[str]]
) -> str:
    """`encode(body)` with each run's ``read`` added as `_runs` adds it, each trial's field list
    encoded once for all its runs (the readings double `/runs`' text at 10,000 runs)."""
    runs: list[dict[str, Any]] = [{"run": r.run} for r in view.records]
    _add_readings(view, runs, patterns)
    fields: dict[int, str] = {}
    texts = []
    quote = json.encoder.encode_basestring_ascii  # what json.dumps writes for a str, in C
    for run in runs:
        read = run["read"]
        listed = read["fields"]
        text = fields.get(id(listed))
        if text is None:
            text = fields[id(listed)] = (
                "["
                + ",".join(
                    '{"field":'
                    + quote(f["field"])
                    + ',"value":'
                    + _value_text(f["value"])
                    + ',"rule":'
                    + quote(f["rule"])
                    + "}"
                    for f in listed
                )
                + "]"
            )
        trial = read["trial"]
        name, rule, fix = trial["trial"], trial["rule"], read["fix"]
        texts.append(
            '{"fields":'
            + text
            + ',"trial":{"trial":'
            + ("null" if name is None else quote(name))
            + ',"rule":'
            + ("null" if rule is None else quote(rule))
            + ',"joined":['
            + ",".join(map(quote, trial["joined"]))
            + ']},"fix":'
            + ("null" if fix is None else quote(fix))
            + "}"
        )
    for i, run in enumerate(body["runs"]):
        run["read"] = f"{_READ_SLOT}{i}"
    return _READ_SLOT_RE.sub(lambda m: texts[int(m.group(1))], encode(body))


def _runs_state(
    b: backend.Backend, ctx: Any, experiment: str, q: queries.RunsQuery
) -> tuple[backend.ExperimentView, dict[str, float | None], dict[str, float], tuple[Any, ...]]:
    """The view, stale trials and running trials' last event times `/runs` shows, and its
    memo key (the times themselves: a refreshed dict may reuse a freed one's id)."""
    view = b.view(ctx, experiment)
    stale = b.stale_units(ctx, experiment, view, q.stale_after)
    last = b.running_last_events(ctx, experiment, view)
    key = (q.stale_after, tuple(sorted(stale)), tuple(sorted(last.items())))
    return view, stale, last, key


def _runs(
    view: backend.ExperimentView,
    q: queries.RunsQuery,
    stale: dict[str, float | None],
    last: dict[str, float],
    patterns: Sequence[re.Pattern[str]] = (),
    *,
    readings: bool = True,
) -> dict[str, Any]:
    runs = [_run_json(view, record, stale, last) for record in view.records]
    if readings:
        _add_readings(view, runs, patterns)
    return {
        "runs": runs,
        "trials": [_trial_json(view, unit, stale, last) for unit in view.units],
        "stale_after": q.stale_after,
    }


def _add_readings(
    view: backend.ExperimentView, runs: list[dict[str, Any]], patterns: Sequence[re.Pattern[str]]
) -> None:
    """Gives each run of `/runs` its ``read``: how it was read (`tb_plugin.provenance`).

    The cyclic garbage collector is paused meanwhile: it finds nothing among these new small
    dicts, and its passes over a view's objects took two thirds of the time at 10,000 runs.
    """
    shared: dict[str, list[dict[str, Any]]] = {}
    paused = gc.isenabled()
    gc.disable()
    try:
        for body in runs:
            run = body["run"]
            body["read"] = provenance.reading(
                run,
                view.unit_of_run.get(run),
                view.names.get(run),
                view.why,
                view.reads,
                patterns,
                shared,
            )
    finally:
        if paused:
            gc.enable()


# --- /metadata --------------------------------------------------------------------------------


def metadata_of_run(
    b: backend.Backend, ctx: Any, experiment: str, q: queries.RunQuery
) -> dict[str, Any]:
    """One run's merged metadata, exactly as stored (send it with `metadata.dumps`)."""
    record = b.view(ctx, experiment).record(q.run)
    if record is None:
        raise errors.NotFoundError(f"no run named {_quoted(q.run)}")
    return record.metadata


# --- /fields ----------------------------------------------------------------------------------


def fields(b: backend.Backend, ctx: Any, experiment: str, q: queries.FieldsQuery) -> dict[str, Any]:
    """Every field of the trials with its distinct values, and the default grouping."""
    view = b.view(ctx, experiment)
    return _fields(b, ctx, experiment, view, q, b.stale_units(ctx, experiment, view, q.stale_after))


def fields_encoded(b: backend.Backend, ctx: Any, experiment: str, q: queries.FieldsQuery) -> bytes:
    """`fields`, encoded and compressed (`compress`), memoised per view and stale trials."""
    view = b.view(ctx, experiment)
    stale = b.stale_units(ctx, experiment, view, q.stale_after)
    body = view.memo.get_or_compute(
        ("fields", q, tuple(sorted(stale))),
        lambda: compress(encode(_fields(b, ctx, experiment, view, q, stale))),
    )
    return b.refresher.keep(refresh.key("fields", experiment, q), body)


def _fields(
    b: backend.Backend,
    ctx: Any,
    experiment: str,
    view: backend.ExperimentView,
    q: queries.FieldsQuery,
    stale: dict[str, float | None],
) -> dict[str, Any]:
    if stale:
        infos = grouping.list_fields(b.with_status(view.units, stale), max_values=q.max_values)
    else:
        infos = b.fields(view, q.max_values)
    return {
        "fields": [info.to_json() for info in infos],
        "default_by": list(view.default_by),
        "trials": len(view.units),
        "runs": len(view.records),
    }


# --- /tags ------------------------------------------------------------------------------------


def tags(b: backend.Backend, ctx: Any, experiment: str, q: queries.TagsQuery) -> dict[str, Any]:
    """Scalar metrics with the splits (and number of runs) that have them.

    A metric is a scalar tag without its split part (`layout.metric_of`): `Loss/train` and
    `Loss/val` are the metric `Loss` in the splits `train` and `validation`.
    """
    return _tags(b.view(ctx, experiment))


def tags_encoded(b: backend.Backend, ctx: Any, experiment: str, q: queries.TagsQuery) -> bytes:
    """`tags`, encoded and compressed (`compress`), memoised per view."""
    view = b.view(ctx, experiment)
    body = view.memo.get_or_compute(("tags", q), lambda: compress(encode(_tags(view))))
    return b.refresher.keep(refresh.key("tags", experiment, q), body)


def _tags(view: backend.ExperimentView) -> dict[str, Any]:
    per_split: dict[str | None, set[str]] = {}
    out = []
    for metric in sorted(view.metrics):
        counts: collections.Counter[str | None] = collections.Counter()
        for split, trials in view.metrics[metric].items():
            runs = {run for run, _ in trials.values()}
            counts[split] = len(runs)
            per_split.setdefault(split, set()).update(runs)
        out.append({"tag": metric, "goal": aggregate.goal(metric), "splits": _split_counts(counts)})
    return {
        "tags": out,
        "splits": _split_counts(
            collections.Counter({split: len(runs) for split, runs in per_split.items()})
        ),
        "reductions": list(aggregate.REDUCTIONS),
        "default_metric": aggregate.default_metric(sorted(view.metrics)),
    }


# --- /groups ----------------------------------------------------------------------------------


def groups(b: backend.Backend, ctx: Any, experiment: str, q: queries.GroupsQuery) -> dict[str, Any]:
    """Groups the filtered trials and, per metric, each group's statistics and comparison.

    The first metric's split, reduction, statistics and member values are also given at the
    top level (`metric`, `split`, `reduction`, `goal`; a group's `stats`, `compare`; a
    member's `value`): a one-metric client reads those.

    Raises:
      errors.InvalidArgumentError: an unknown field in `by` or `where`, a baseline over
        fields the grouping does not have.
      errors.NotFoundError: no run has a metric's scalar tag (or an `at_best:` tag), or no
        group is the baseline.
    """
    view = b.view(ctx, experiment)
    return _groups(b, ctx, experiment, view, with_auto_metric(view, q))


def groups_encoded(b: backend.Backend, ctx: Any, experiment: str, q: queries.GroupsQuery) -> bytes:
    """`groups`, encoded and compressed (`compress`), memoised per view: `/groups` with
    table curves (the tab's first view, which the warmer keeps computed).

    The memo key holds what else the answer depends on: the stale trials and, per
    scalar tag the metrics read, each run's `(max_step, max_wall_time)` from the
    listing (new points make a new answer; nothing else read can change without a
    new view). A request that finds the warmer computing the same answer waits for it.
    """
    view = b.view(ctx, experiment)
    asked, q = q, with_auto_metric(view, q)
    _check_split(view, q.split)
    stale = b.stale_units(ctx, experiment, view, q.stale_after)
    key = ("groups", q, listing_key(b, ctx, experiment, view, q), tuple(sorted(stale)))
    body = view.memo.get_or_compute(
        key, lambda: compress(encode(_groups(b, ctx, experiment, view, q)))
    )
    return b.refresher.keep(refresh.key("groups", experiment, asked), body)


def with_auto_metric(view: backend.ExperimentView, q: queries.GroupsQuery) -> queries.GroupsQuery:
    """`q` with `/tags`' default metric as its metric when it asks for one (`auto_metric`)."""
    if q.auto_metric and not q.metrics:
        metric = aggregate.default_metric(sorted(view.metrics))
        if metric is not None:
            reduction = q.reduction or aggregate.parse_reduction("last")
            return dataclasses.replace(q, metrics=(queries.MetricSpec(metric, reduction),))
    return q


def listing_key(
    b: backend.Backend,
    ctx: Any,
    experiment: str,
    view: backend.ExperimentView,
    q: queries.GroupsQuery,
) -> tuple[Any, ...]:
    """Per scalar tag the query's metrics read (any split), a digest of each run's listing
    (`(max_step, max_wall_time)`; Python's 64-bit tuple hash: a memo key, so 10,000 runs
    cost 16 bytes, not a copy of the listing)."""
    tags: set[str] = set()
    for spec in q.metrics:
        names = [spec.metric]
        if spec.reduction.other_tag is not None:
            names.append(spec.reduction.other_tag)
        for name in names:
            for of_split in _resolve(view, name).values():
                tags.update(tag for _, tag in of_split.values())
    return tuple(
        (tag, len(listed), hash(tuple(listed.items())))
        for tag in sorted(tags)
        for listed in (b.list_tag(ctx, experiment, tag),)
    )


def _groups(
    b: backend.Backend,
    ctx: Any,
    experiment: str,
    view: backend.ExperimentView,
    q: queries.GroupsQuery,
) -> dict[str, Any]:
    _check_split(view, q.split)
    by_ids, units, found = _group(b, ctx, experiment, view, q.by, q.where, q.stale_after)
    baseline = _baseline_index(q.baseline, by_ids, found) if q.baseline is not None else None
    reads = [_reduce(b, ctx, experiment, view, units, q.split, spec) for spec in q.metrics]
    flags, drop, pairing = _seeds_parts(by_ids, found, q, reads, baseline)
    blocks = [
        _metric_block(
            b, ctx, experiment, view, units, found, q, spec, baseline, read, drop, pairing
        )
        for spec, read in zip(q.metrics, reads, strict=True)
    ]
    _check_paired(q, blocks, baseline)
    first = blocks[0] if blocks else None
    split = first["split"] if first else (None if q.split == queries.AUTO else q.split)
    ranks = _value_ranks(found)
    out_groups = []
    for i, group in enumerate(found):
        per_metric = [{"stats": blk["stats"][i], "compare": blk["compare"][i]} for blk in blocks]
        if q.halfwidth is not None:
            for entry, blk in zip(per_metric, blocks, strict=True):
                entry["halfwidth_plan"] = blk["halfwidth_plan"][i]
        out_groups.append(
            {
                "key": group.key,
                "values": list(group.values),
                "ranks": ranks[i],
                "label": group.label,
                "size": len(group.units),
                "stats": per_metric[0]["stats"] if blocks else None,
                "compare": per_metric[0]["compare"] if blocks else None,
                "metrics": per_metric,
                **seeds.live_counts([_status(unit) for unit in group.units]),
                "excluded": sum(1 for unit in group.units if unit.trial in drop),
                "members": [
                    {
                        "trial": unit.trial,
                        "run": first["runs"].get(unit.trial, unit.run_for(split))
                        if first
                        else unit.run_for(split),
                        "value": first["values"].get(unit.trial) if first else None,
                        "values": [blk["values"].get(unit.trial) for blk in blocks],
                        "status": _status(unit),
                        "flags": flags.get(unit.trial, []),
                        "excluded": drop.get(unit.trial, []),
                    }
                    for unit in group.units
                ],
            }
        )
    chart = sparklines = None
    if q.curves is not None and first is not None:
        chart, sparklines = _table_curves(b, ctx, experiment, view, q, q.curves, found)
    return {
        "by": by_ids,
        "metric": first["metric"] if first else None,
        "split": split,
        "reduction": first["reduction"] if first else None,
        "goal": first["goal"] if first else None,
        "metrics": [
            {k: blk[k] for k in ("metric", "split", "reduction", "k", "other_tag", "goal")}
            for blk in blocks
        ],
        "ci": {"method": q.ci, "level": q.ci_level},
        "baseline": found[baseline].key if baseline is not None else None,
        "trials": len(view.units),
        "matched": len(units),
        **_seeds_top(q, drop, units, out_groups),
        "groups": out_groups,
        **({"chart": chart, "sparklines": sparklines} if q.curves is not None else {}),
    }


def _table_curves(
    b: backend.Backend,
    ctx: Any,
    experiment: str,
    view: backend.ExperimentView,
    q: queries.GroupsQuery,
    want: queries.TableCurves,
    found: Sequence[grouping.Group],
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The chart's and the first rows' curves of the first metric (`queries.TableCurves`):
    each exactly the `/curves` answer for the same groups and options."""
    if want.chart is not None:
        have = {g.key for g in found}
        keys = [k for k in want.chart if k in have]
    else:
        keys = default_chart_keys(found, want.chart_groups)
    base = queries.CurvesQuery(
        metric=q.metrics[0].metric,
        by=q.by,
        split=q.split,
        where=q.where,
        max_points=want.chart_points,
        groups=tuple(keys),
        stale_after=q.stale_after,
        x=want.x,
        ci_level=q.ci_level,
    )
    smoothed = dataclasses.replace(base, smoothing=want.smoothing)
    chart = {
        "keys": keys,
        "curves": _curves(b, ctx, experiment, view, smoothed),
        "raw": _curves(b, ctx, experiment, view, base) if want.smoothing > 0 else None,
    }
    sparklines = None
    if want.sparklines:
        rows = dataclasses.replace(
            base,
            max_points=want.sparkline_points,
            groups=tuple(g.key for g in found[: want.sparklines]),
            x="step",  # the tab's sparklines are by step, whatever the chart's axis
            sparkline=True,
        )
        sparklines = _curves(b, ctx, experiment, view, rows)
    return chart, sparklines


def default_chart_keys(found: Sequence[grouping.Group], n: int) -> list[str]:
    """The keys of the groups the tab charts by default, in the groups' order.

    The `n` largest groups (only groups of more than one trial when there are any),
    ties broken by order. The same rule as `defaultChartKeys` in frontend/group.js
    over the table in the backend's order (tests/test_frontend_js.py compares them).
    """
    multi = any(len(g.units) > 1 for g in found)
    ranked = [i for i, g in enumerate(found) if not multi or len(g.units) > 1]
    ranked.sort(key=lambda i: (-len(found[i].units), i))
    return [found[i].key for i in sorted(ranked[:n])]


def _metric_block(
    b: backend.Backend,
    ctx: Any,
    experiment: str,
    view: backend.ExperimentView,
    units: Sequence[grouping.Unit],
    found: Sequence[grouping.Group],
    q: queries.GroupsQuery,
    spec: queries.MetricSpec,
    baseline: int | None,
    read: _Read | None = None,
    drop: dict[str, list[str]] | None = None,
    pairing: list[list[tuple[str, str | None, Any]]] | None = None,
) -> dict[str, Any]:
    """One metric's reduced values per trial, statistics and comparisons per group.

    `read`: the metric's `_reduce`, when already read. `drop`: trials left out of
    the statistics (`exclude`; their values are still shown). `pairing`: per group its
    runs' `(trial, run, seed)` to pair with the baseline's (`paired`).
    """
    split, wanted, values, _ = read or _reduce(b, ctx, experiment, view, units, q.split, spec)
    reduction = spec.reduction
    runs = {trial: run for trial, (run, _) in wanted.items()}
    counted = {t: v for t, v in values.items() if t not in drop} if drop else values
    stats = aggregate.stats_by_group(
        found, counted, spec.metric, reduction, ci=q.ci, ci_level=q.ci_level
    )
    goal = aggregate.goal(spec.metric)
    compare: list[Any] = [None] * len(found)
    if baseline is not None:
        by_group = aggregate.values_by_group(found, counted)
        compared = aggregate.compare_groups(by_group, baseline, goal, ci_level=q.ci_level)
        compare = [c.to_json() if c is not None else None for c in compared]
        _add_plans_and_pairs(compare, by_group, baseline, q, counted, pairing)
    out = {
        "metric": spec.metric,
        "split": split,
        "reduction": reduction.text,
        "k": reduction.k,
        "other_tag": reduction.other_tag,
        "goal": goal,
        "values": values,
        "runs": runs,
        "stats": [s.to_json() for s in stats],
        "compare": compare,
    }
    if q.halfwidth is not None:
        out["halfwidth_plan"] = [_halfwidth_plan(s, q) for s in stats]
    return out


_Read = tuple[
    str | None,
    dict[str, tuple[str, str]],
    dict[str, float],
    dict[str, dict[str, tuple[int, float]]],
]
"""A metric's `_reduce`: split, trial to `(run, tag)`, values, listings per tag."""


def _reduce(
    b: backend.Backend,
    ctx: Any,
    experiment: str,
    view: backend.ExperimentView,
    units: Sequence[grouping.Unit],
    split_arg: str | None,
    spec: queries.MetricSpec,
) -> _Read:
    """The split read (`split_arg`, or the preferred one for `queries.AUTO`), each trial's
    `(run, tag)` there, its reduced value of `spec` (NaN included), and the listing of each
    tag read (`_read`'s `listings`)."""
    by_split = _resolve(view, spec.metric)
    split = backend.choose_split(by_split) if split_arg == queries.AUTO else split_arg
    wanted = _wanted(units, by_split.get(split, {}))
    reduction = spec.reduction
    listings: dict[str, dict[str, tuple[int, float]]] = {}
    if reduction.kind == "last":
        values = _read(b, ctx, experiment, wanted, b.last_values, listings)
    elif reduction.other_tag is not None:  # at_best:TAG
        other_wanted = _wanted(units, _resolve(view, reduction.other_tag).get(split, {}))
        series = _read(b, ctx, experiment, wanted, b.series, listings)
        other = _read(b, ctx, experiment, other_wanted, b.series)
        values = aggregate.reduce_at_best(series, other, reduction.other_tag)
    else:
        series = _read(b, ctx, experiment, wanted, b.series, listings)
        values = aggregate.reduce_runs(series, reduction, spec.metric)
    return split, wanted, values, listings


def _baseline_index(spec: str, by_ids: Sequence[str], found: Sequence[grouping.Group]) -> int:
    """The index of the group `spec` names: a group key, or `FIELD=VALUE[,FIELD=VALUE...]`."""
    for i, group in enumerate(found):
        if group.key == spec:
            return i
    if "=" not in spec:
        raise errors.NotFoundError(f"no group with key {_quoted(spec)} to compare with")
    wanted: list[tuple[int, str]] = []
    for item in spec.split(","):
        name, _, value = item.partition("=")
        name = name.strip()
        ids = [
            f for f in by_ids if f == name or f == f"param.{name}" or f.split(".", 1)[-1] == name
        ]
        if not ids:
            raise errors.InvalidArgumentError(
                f"argument 'baseline': {_quoted(name)} is not a field of this grouping "
                f"({', '.join(by_ids) or 'no fields'})"
            )
        wanted.append((list(by_ids).index(ids[0]), value))
    matches = [
        i
        for i, group in enumerate(found)
        if all(backend.value_matches(group.values[f], value) for f, value in wanted)
    ]
    if len(matches) != 1:
        raise errors.NotFoundError(
            f"argument 'baseline': {_quoted(spec)} names {len(matches)} groups, not one"
        )
    return matches[0]


def _value_ranks(found: Sequence[grouping.Group]) -> list[list[int]]:
    """Each group's rank of its value per field, in the backend's value order (`value_sort_key`).

    The tab sorts a column by these ranks, so it never re-implements the order.
    """
    if not found:
        return []
    n_fields = len(found[0].values)
    out: list[list[int]] = [[0] * n_fields for _ in found]
    for f in range(n_fields):
        keys = [grouping.value_sort_key(group.values[f]) for group in found]
        rank = -1
        previous: Any = object()
        for i in sorted(range(len(found)), key=keys.__getitem__):
            key = keys[i]
            if key != previous:
                rank += 1
                previous = key
            out[i][f] = rank
    return out


# --- /groups: seeds planner, paired seeds, bad seeds, live groups (SPEC §5c) --------------------


def _seeds_parts(
    by_ids: Sequence[str],
    found: Sequence[grouping.Group],
    q: queries.GroupsQuery,
    reads: Sequence[_Read],
    baseline: int | None,
) -> tuple[
    dict[str, list[dict[str, Any]]],
    dict[str, list[str]],
    list[list[tuple[str, str | None, Any]]] | None,
]:
    """Each trial's bad-seed flags (over every metric), the trials `exclude` leaves out
    (trial to its kinds), and with `paired` each group's `(trial, run, seed)`.

    Raises:
      errors.InvalidArgumentError: `paired` without a baseline.
    """
    running = {u.trial for g in found for u in g.units if _status(u) == "running"}
    blocks = []
    for spec, (_, wanted, values, listed) in zip(q.metrics, reads, strict=True):
        last_steps = {}
        for trial, (run, tag) in wanted.items():
            if tag in listed and run in listed[tag]:
                last_steps[trial] = int(listed[tag][run][0])
        blocks.append((spec.metric, values, last_steps))
    groups = [[u.trial for u in g.units] for g in found]
    flags = seeds.flag_members(groups, blocks, running)
    drop = seeds.excluded_kinds(flags, q.exclude)
    pairing = None
    if q.paired:
        if baseline is None:
            raise errors.InvalidArgumentError("argument 'paired': pairing by seed needs a baseline")
        # param.* merges name.* and hparams.*: one field per repeat key.
        ids = {f for g in found for u in g.units for f in u.fields if f.startswith("param.")}
        repeat = sorted(f for f in ids if grouping.is_repeat_field(f) and f not in by_ids)
        first = reads[0][1] if reads else {}
        pairing = []
        for g in found:
            side: list[tuple[str, str | None, Any]] = []
            for u in g.units:
                key = tuple(u.fields.get(f) for f in repeat)
                name = first[u.trial][0] if u.trial in first else None
                side.append(
                    (u.trial, name, key if repeat and any(v is not None for v in key) else None)
                )
            pairing.append(side)
    return flags, drop, pairing


def _add_plans_and_pairs(
    compare: list[Any],
    by_group: Sequence[Sequence[float]],
    baseline: int,
    q: queries.GroupsQuery,
    counted: dict[str, float],
    pairing: list[list[tuple[str, str | None, Any]]] | None,
) -> None:
    """Adds the seeds planner's keys (`seeds.Plan.to_json`) and, with `pairing`, the paired
    keys (`seeds.pair_by_seed`) to each comparison with the baseline."""
    try:
        plans = seeds.plan(by_group, baseline, alpha=q.alpha, power=q.power, mde=q.mde)
    except ValueError as e:
        raise errors.InvalidArgumentError(str(e)) from None
    for i, entry in enumerate(compare):
        if entry is None:
            continue
        p = plans[i]
        if p is not None:
            entry.update(p.to_json())
        if pairing is not None:
            entry.update(
                seeds.pair_by_seed(pairing[i], pairing[baseline], counted, ci_level=q.ci_level)
            )


def _check_paired(
    q: queries.GroupsQuery, blocks: Sequence[dict[str, Any]], baseline: int | None
) -> None:
    """A 400 for a paired request where no run shares a seed value with the baseline's."""
    if not q.paired or not blocks or baseline is None:
        return
    compared = [c for c in blocks[0]["compare"] if c is not None]
    if compared and not any(c.get("seeds_matched") for c in compared):
        if any(c.get("seeds_shared") for c in compared):
            raise errors.InvalidArgumentError(
                "argument 'paired': seed values are shared with the baseline, but each is on "
                "several runs of a group (other fields vary within it: group by them too, so "
                "that a seed names one run per group); nothing to pair"
            )
        raise errors.InvalidArgumentError(
            "argument 'paired': no run of any group shares a seed value (a repeat key such as "
            "seed) with a run of the baseline; nothing to pair"
        )


def _halfwidth_plan(stats: aggregate.Stats, q: queries.GroupsQuery) -> dict[str, Any]:
    """Seeds for a group's interval of the mean to be at most `q.halfwidth` (`seeds_for_halfwidth`)."""
    assert q.halfwidth is not None
    need = None
    if stats.std is not None:
        need = seeds.seeds_for_halfwidth(stats.std, q.halfwidth, q.ci_level)
    if stats.std is None:
        note = f"n={stats.count}: fewer than 2 runs, no spread to plan from"
    elif need is None:
        note = f"more than {seeds.MAX_SEEDS:,} seeds would be needed"
    else:
        note = (
            f"n={stats.count}: about {need} seeds would give a {q.ci_level:.0%} interval of "
            f"± {q.halfwidth:g}"
        )
    return {"halfwidth": q.halfwidth, "seeds_needed": need, "note": note}


def _seeds_top(
    q: queries.GroupsQuery,
    drop: dict[str, list[str]],
    units: Sequence[grouping.Unit],
    out_groups: Sequence[dict[str, Any]],
) -> dict[str, Any]:
    """The answer's top-level SPEC §5c keys: what was excluded and why, whether any group is
    provisional, and the planner's and pairing's arguments."""
    return {
        "excluded": seeds.excluded_summary(q.exclude, drop, [u.trial for u in units]),
        "provisional": any(g["provisional"] for g in out_groups),
        "paired": q.paired,
        "plan": {"alpha": q.alpha, "power": q.power, "mde": q.mde, "halfwidth": q.halfwidth},
    }


# --- /curves ----------------------------------------------------------------------------------


def curves(b: backend.Backend, ctx: Any, experiment: str, q: queries.CurvesQuery) -> dict[str, Any]:
    """Each group's mean curve of `q.metric`, aligned by step, with spread and counts.

    Raises:
      errors.InvalidArgumentError: an unknown field in `by` or `where`.
      errors.NotFoundError: no run has the scalar tag `q.metric`, or no group has a
        key of `q.groups`.
    """
    return _curves(b, ctx, experiment, b.view(ctx, experiment), q)


def _curves(
    b: backend.Backend,
    ctx: Any,
    experiment: str,
    view: backend.ExperimentView,
    q: queries.CurvesQuery,
) -> dict[str, Any]:
    _check_split(view, q.split)
    by_ids, _, found = _group(b, ctx, experiment, view, q.by, q.where, q.stale_after)
    by_split = _resolve(view, q.metric)
    split = backend.choose_split(by_split) if q.split == queries.AUTO else q.split
    if q.groups is not None:
        by_key = {g.key: g for g in found}
        missing = [k for k in q.groups if k not in by_key]
        if missing:
            raise errors.NotFoundError(f"no group with key {_quoted(missing[0])}")
        found = [by_key[k] for k in q.groups]
    units = [u for g in found for u in g.units]
    series = _read(b, ctx, experiment, _wanted(units, by_split.get(split, {})), b.timed_series)
    out = []
    for group in found:
        members = {}
        for unit in group.units:
            if unit.trial in series:
                members[unit.trial] = _x_series(series[unit.trial], q.x)
        curve = curves_lib.group_curve(
            members, max_points=q.max_points, smoothing=q.smoothing, ci_level=q.ci_level
        )
        entry = {
            "key": group.key,
            "values": list(group.values),
            "label": group.label,
            "size": len(group.units),
            "curve": _sparkline(curve.to_json()) if q.sparkline else curve.to_json(),
        }
        if q.lines:
            lines = curves_lib.run_lines(members, max_points=q.max_points, smoothing=q.smoothing)
            entry["lines"] = {trial: line.to_json() for trial, line in lines.items()}
        out.append(entry)
    return {
        "by": by_ids,
        "metric": q.metric,
        "split": split,
        "max_points": q.max_points,
        "x": q.x,
        "smoothing": q.smoothing,
        "ci_level": q.ci_level,
        "curves": out,
    }


_SPARKLINE_KEYS = ("x", "steps", "mean", "count", "runs")


def _sparkline(curve: dict[str, Any]) -> dict[str, Any]:
    """A curve with only what a sparkline draws (a third of the JSON at 5,000 groups)."""
    return {k: curve[k] for k in _SPARKLINE_KEYS if k in curve}


def _x_series(arrays: tuple[Any, ...], x: str) -> tuple[Any, Any]:
    """`(x, values)` of a run's `(steps, values[, wall_times])` for the x axis `x`."""
    if x == "step":
        return arrays[0], arrays[1]
    if x == "wall":
        return arrays[2], arrays[1]
    return curves_lib.relative_hours(arrays[2]), arrays[1]


# --- /effects ---------------------------------------------------------------------------------


def effects(
    b: backend.Backend, ctx: Any, experiment: str, q: queries.EffectsQuery
) -> dict[str, Any]:
    """Which fields move a metric, by how much, and whether beyond seed noise (SPEC §5b).

    Over the filtered trials with a finite reduced value of the metric (as `/groups`
    reduces it), `tb_plugin.effects.analyse` of the fields `q.by` names (default: the
    default grouping), repeat keys left out. Adds the metric, split, reduction and goal,
    the fields considered (`by`), the repeat keys left out (`repeat_fields`), the trials
    the filter kept (`matched`) and those of them without a finite value (`excluded`).

    Raises:
      errors.InvalidArgumentError: an unknown field in `by` or `where`, an unknown split.
      errors.NotFoundError: no run has the metric's scalar tag (or no scalar tag at all).
    """
    view = b.view(ctx, experiment)
    _check_split(view, q.split)
    spec = q.metric
    if spec is None:
        metric = aggregate.default_metric(sorted(view.metrics))
        if metric is None:
            raise errors.NotFoundError("no run has a scalar tag")
        spec = queries.MetricSpec(metric, q.reduction or aggregate.parse_reduction("last"))
    by_ids, units, _ = _group(b, ctx, experiment, view, q.by, q.where, q.stale_after)
    split, _, values, _ = _reduce(b, ctx, experiment, view, units, q.split, spec)
    fields = [f for f in by_ids if not grouping.is_repeat_field(f)]
    kept = [u for u in units if math.isfinite(values.get(u.trial, math.nan))]
    analysis = effects_lib.analyse(
        [values[u.trial] for u in kept],
        {f: [u.fields.get(f) for u in kept] for f in fields},
        ci_level=q.ci_level,
        reps=q.reps,
        seed=q.seed,
    )
    return {
        "metric": spec.metric,
        "split": split,
        "reduction": spec.reduction.text,
        "k": spec.reduction.k,
        "goal": aggregate.goal(spec.metric),
        "by": by_ids,
        "repeat_fields": [f for f in by_ids if grouping.is_repeat_field(f)],
        "matched": len(units),
        "excluded": len(units) - len(kept),
        **analysis,
    }


# --- /run -------------------------------------------------------------------------------------


def run(b: backend.Backend, ctx: Any, experiment: str, q: queries.RunQuery) -> dict[str, Any]:
    """One run in detail: parsed name, metadata, its trial, status, how it was read (``read``,
    as `/runs` gives it), latest scalars.

    Raises:
      errors.NotFoundError: no such run.
    """
    view = b.view(ctx, experiment)
    record = view.record(q.run)
    if record is None:
        raise errors.NotFoundError(f"no run named {_quoted(q.run)}")
    unit = view.unit_of_run.get(q.run)
    if unit is None:  # no trial (an HParams experiment config only)
        out = _run_json(view, record, {}, {})
        out.update({"trial": None, "fields": {}, "trial_runs": [], "trial_metadata": {}})
        out["scalars"] = []
        _add_readings(view, [out], b.patterns)
        return out
    latest = b.provider.read_last_scalars(
        ctx,
        experiment_id=experiment,
        plugin_name=backend.SCALARS_PLUGIN,
        run_tag_filter=provider.RunTagFilter(runs=list(unit.runs.values())),
    )
    times = [d.wall_time for run_tags in latest.values() for d in run_tags.values()]
    times += [
        r.last_metadata_time
        for r in map(view.record, unit.runs.values())
        if r is not None and r.last_metadata_time is not None
    ]
    last_event = float(max(times)) if times else None
    stale: dict[str, float | None] = {}
    if unit.metadata.get("status") == "running" and (
        last_event is None or time.time() - last_event > q.stale_after
    ):
        stale = {unit.trial: last_event}
    # Its last event whatever its status (/runs gives it for running trials only).
    last = {} if last_event is None else {unit.trial: last_event}
    out = _run_json(view, record, stale, last)
    out.update(
        {
            "fields": dict(b.with_status([unit], stale)[0].fields),
            "trial_runs": [{"split": s, "run": r} for s, r in unit.runs.items()],
            "trial_metadata": unit.metadata,
            "scalars": [
                {
                    "tag": tag,
                    "step": int(d.step),
                    "wall_time": float(d.wall_time),
                    "value": float(d.value),
                }
                for tag, d in sorted(latest.get(q.run, {}).items())
            ],
        }
    )
    _add_readings(view, [out], b.patterns)
    return out


# --- shared helpers ---------------------------------------------------------------------------


def compress(text: str) -> bytes:
    """`text` gzip-compressed as `http_util.Respond` would (level 3, no mtime), once: the
    routes send memoised answers with ``content_encoding="gzip"``."""
    return gzip.compress(text.encode("utf-8"), compresslevel=3, mtime=0)


def encode(body: Any) -> str:
    """Encodes JSON with non-finite floats as "NaN", "Infinity" and "-Infinity".

    That is what `http_util.Respond` does through `json_util.Cleanse`, but
    Cleanse walks every value in Python (seconds for 10,000 runs); here the C
    encoder writes NaN tokens and one pass quotes them outside strings.
    """
    text = _COMPACT.encode(body)
    if "NaN" in text or "Infinity" in text:
        text = _NON_FINITE.sub(_quote_non_finite, text)
    return text


def _value_text(value: Any) -> str:
    """A field value as `encode` writes it (non-finite floats as quoted tokens)."""
    kind = type(value)
    if kind is str:
        return json.encoder.encode_basestring_ascii(value)
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return int.__repr__(value)
    if kind is float:
        if value != value:
            return '"NaN"'
        if value in (math.inf, -math.inf):
            return '"Infinity"' if value > 0 else '"-Infinity"'
        return float.__repr__(value)
    return encode(value)


# json.dumps with separators builds a new encoder each call; this one is built once.
_COMPACT = json.JSONEncoder(separators=(",", ":"))

# A JSON string (left alone) or a bare non-finite token (quoted). json.dumps
# escapes every non-ASCII character, so strings hold only ASCII here.
_NON_FINITE = re.compile(r'"(?:[^"\\]|\\.)*"|-?Infinity|NaN')


def _quote_non_finite(match: re.Match[str]) -> str:
    token = match.group(0)
    return token if token.startswith('"') else f'"{token}"'


def _quoted(text: str) -> str:
    """A client's text for an error message: JSON-quoted, cut at 200 characters."""
    return json.dumps(text if len(text) <= 200 else text[:200] + "…", ensure_ascii=False)


def _resolve(
    view: backend.ExperimentView, metric: str
) -> dict[str | None, dict[str, tuple[str, str]]]:
    """Split to trial to `(run, tag)` of a metric (a tag without its split part, or a tag)."""
    found = view.metrics.get(metric) or view.raw.get(metric)
    if not found:
        raise errors.NotFoundError(f"no run has the scalar tag {_quoted(metric)}")
    return found


def _check_split(view: backend.ExperimentView, split: str | None) -> None:
    """A 400 for a split that no run and no tag of the experiment has."""
    if split == queries.AUTO or split is None or split in queries.SPLITS:
        return
    if split not in view.splits():
        known = sorted(s for s in view.splits() if s is not None and s not in queries.SPLITS)
        expected = ", ".join([*queries.SPLITS, *known[:20], backend.NO_SPLIT])
        raise errors.InvalidArgumentError(
            f"argument 'split': unknown split {_quoted(split)}; expected one of {expected}"
        )


def _wanted(
    units: Sequence[grouping.Unit], of_split: dict[str, tuple[str, str]]
) -> dict[str, tuple[str, str]]:
    """Trial to `(run, tag)` for the units that have the metric in the split."""
    return {u.trial: of_split[u.trial] for u in units if u.trial in of_split}


def _read(
    b: backend.Backend,
    ctx: Any,
    experiment: str,
    wanted: dict[str, tuple[str, str]],
    read: Any,
    listings: dict[str, dict[str, tuple[int, float]]] | None = None,
) -> dict[str, Any]:
    """Trial to what `read(ctx, experiment, tag, listed)` gives for its run and tag.

    One `list_scalars` and one read per distinct tag (usually one: a metric's tag differs
    per run only where splits come from tag names or `add_scalars` children). `listings`,
    when given, receives each tag's listing (`list_tag`) the values were read by.
    """
    by_tag: dict[str, dict[str, str]] = {}
    for trial, (run, tag) in wanted.items():
        by_tag.setdefault(tag, {})[run] = trial
    out: dict[str, Any] = {}
    for tag in sorted(by_tag):
        runs = by_tag[tag]
        listed = b.list_tag(ctx, experiment, tag)
        if listings is not None:
            listings[tag] = listed
        got = read(ctx, experiment, tag, {r: listed[r] for r in runs if r in listed})
        for run, value in got.items():
            out[runs[run]] = value
    return out


def _group(
    b: backend.Backend,
    ctx: Any,
    experiment: str,
    view: backend.ExperimentView,
    by: Sequence[str] | None,
    where: backend.Filter,
    stale_after: float,
) -> tuple[list[str], list[grouping.Unit], list[grouping.Group]]:
    try:
        by_ids = list(view.default_by) if by is None else grouping.resolve_fields(by, view.units)
    except ValueError as e:
        raise errors.InvalidArgumentError(f"argument 'by': {e}") from None
    resolved = []
    for name, accepted in where.where:
        try:
            (field_id,) = grouping.resolve_fields([name], view.units)
        except ValueError as e:
            raise errors.InvalidArgumentError(f"argument 'where': {e}") from None
        resolved.append((field_id, accepted))
    where = dataclasses.replace(where, where=tuple(resolved))
    stale = b.stale_units(ctx, experiment, view, stale_after)
    # The tab asks /groups and several /curves of one grouping at once: group once per
    # view (the memo is per view, so new runs or metadata start afresh).
    regex = where.regex.pattern if where.regex is not None else None
    key = ("group", tuple(by_ids), where.text, regex, where.where, tuple(sorted(stale)))
    memo = view.memo.get(key)
    if memo is not None:
        return list(by_ids), memo[0], memo[1]
    units = b.with_status(view.units, stale)
    if not where.empty:
        units = regexes.filter_units(where, units)
    found = grouping.group_units(units, by_ids, known=view.known)
    view.memo.put(key, (units, found))
    return by_ids, units, found


def _status(unit: grouping.Unit) -> str | None:
    status = unit.fields.get("status")
    return status if isinstance(status, str) else None


def _run_json(
    view: backend.ExperimentView,
    record: data.RunRecord,
    stale: dict[str, Any],
    last_events: dict[str, float],
) -> dict[str, Any]:
    name = view.names[record.run]
    unit = view.unit_of_run.get(record.run)
    status = None
    last_event = None
    if unit is not None:
        status = "stale" if unit.trial in stale else _status(unit)
        last_event = last_events.get(unit.trial)
    return {
        "run": record.run,
        "trial": unit.trial if unit is not None else None,
        "split": name.split if unit is not None else None,
        "time": name.time.isoformat() if name.time else None,
        "params": dict(name.params),
        "labels": list(name.labels),
        "start_time": record.start_time,
        "metadata": record.metadata,
        "error": record.error,
        "status": status,
        "last_event_time": last_event,
    }


def _trial_json(
    view: backend.ExperimentView,
    unit: grouping.Unit,
    stale: dict[str, Any],
    last_events: dict[str, float],
) -> dict[str, Any]:
    """One trial as the tab shows it: its runs in split order, merged metadata, times."""
    records = [r for r in map(view.record, unit.runs.values()) if r is not None]
    starts = [r.start_time for r in records if r.start_time is not None]
    errors_ = [r.error for r in records if r.error]
    last_event = last_events.get(unit.trial)
    started = _timestamp(unit.metadata.get("started_at"))
    ended = _timestamp(unit.metadata.get("ended_at"))
    duration = None
    so_far = False
    if started is not None and ended is not None and ended >= started:
        duration = ended - started
    elif started is not None and last_event is not None and last_event >= started:
        duration, so_far = last_event - started, True
    return {
        "trial": unit.trial,
        "runs": list(unit.runs.values()),
        "metadata": unit.metadata,
        "start_time": min(starts) if starts else None,
        "status": "stale" if unit.trial in stale else _status(unit),
        "error": errors_[-1] if errors_ else None,
        "last_event_time": last_event,
        "duration": duration,
        "so_far": so_far,
    }


def _timestamp(value: Any) -> float | None:
    """POSIX seconds of an ISO 8601 text (naive means local time, as the tab's Date.parse)."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        return datetime.datetime.fromisoformat(text).timestamp()
    except (ValueError, OverflowError, OSError):
        return None


def _split_counts(counts: collections.Counter[str | None]) -> list[dict[str, Any]]:
    return [{"split": s, "runs": counts[s]} for s in sorted(counts, key=grouping.split_rank)]


# --- /benchmark -------------------------------------------------------------------------------


def _methods_by_default(view: backend.ExperimentView, task_id: str) -> list[str]:
    """The fields that make the methods when `by` is not given: the default grouping of
    each task's own trials (SPEC §5), in the order first met, the task field left out.

    Across tasks the task field is the one setting that varies, so the whole log
    directory's default is often the task alone (``env=<name>/PPO_<N>``: stable-baselines3's
    algorithm is the stem of a tool counter, a label); within one task the algorithm is
    what varies beyond seeds.
    """
    by_task: dict[str, list[grouping.Unit]] = {}
    for unit in view.units:
        by_task.setdefault(grouping.format_value(unit.fields.get(task_id)), []).append(unit)
    found: list[str] = []
    for units in by_task.values():
        for field_id in grouping.default_group_by(units, order=view.hparams_order):
            if field_id != task_id and field_id not in found:
                found.append(field_id)
    if not found:
        return list(view.default_by)
    return found


def benchmark(
    b: backend.Backend,
    ctx: Any,
    experiment: str,
    q: queries.BenchmarkQuery,
    reference: Mapping[str, Sequence[float]] | None = None,
) -> dict[str, Any]:
    """Methods compared across tasks (SPEC §5d; numbers from `tb_plugin.benchmark`).

    Each trial's score is its `/groups` member value (the metric reduced as `q.groups`
    says); the task is its value of `q.task`, the method its group over the other `by`
    fields. `reference`: task to `[low, high]` (from `rungroups.json`) for
    ``normalize=reference``.

    Raises:
      errors.InvalidArgumentError: an unknown `task` or `by` field, a normalisation that
        cannot be applied (a baseline missing on a task, a task without reference scores).
      errors.NotFoundError: no metric, no run with it, or no method is the baseline.
    """
    from tb_plugin import benchmark as benchmark_lib

    view = b.view(ctx, experiment)
    gq = with_auto_metric(view, q.groups)
    if not gq.metrics:
        raise errors.NotFoundError("no scalar metric to compare: give 'metric'")
    try:
        (task_id,) = grouping.resolve_fields([q.task], view.units)
    except ValueError as e:
        raise errors.InvalidArgumentError(f"argument 'task': {e}") from None
    try:
        by_ids = (
            _methods_by_default(view, task_id)
            if gq.by is None
            else grouping.resolve_fields(gq.by, view.units)
        )
    except ValueError as e:
        raise errors.InvalidArgumentError(f"argument 'by': {e}") from None
    method_ids = [f for f in by_ids if f != task_id]
    table = _groups(
        b, ctx, experiment, view, dataclasses.replace(gq, by=(*method_ids, task_id), curves=None)
    )
    _, _, method_groups = _group(b, ctx, experiment, view, method_ids, gq.where, gq.stale_after)
    _, _, task_groups = _group(b, ctx, experiment, view, [task_id], gq.where, gq.stale_after)
    names = {g.values: _method_name(g) for g in method_groups}
    tasks = [grouping.format_value(g.values[0]) for g in task_groups]
    scores: dict[tuple[str, str, str], float] = {}
    for group in table["groups"]:
        method = names[tuple(group["values"][:-1])]
        task = grouping.format_value(group["values"][-1])
        for member in group["members"]:
            if member["value"] is not None:
                scores[(method, task, member["trial"])] = member["value"]
    baseline = None
    if q.baseline is not None:
        by_name = [g for g in method_groups if names[g.values] == q.baseline]
        if (
            not by_name
            and "=" not in q.baseline
            and all(g.key != q.baseline for g in method_groups)
        ):
            known = ", ".join(_quoted(n) for n in list(names.values())[:20])
            raise errors.NotFoundError(
                f"argument 'baseline': no method {_quoted(q.baseline)} (methods: {known})"
            )
        found = (
            by_name[0]
            if by_name
            else method_groups[_baseline_index(q.baseline, method_ids, method_groups)]
        )
        baseline = names[found.values]
    if not scores:
        raise errors.NotFoundError(f"no trial has a value of {_quoted(table['metric'])}")
    try:
        result = benchmark_lib.benchmark(
            scores,
            methods=[names[g.values] for g in method_groups],
            tasks=tasks,
            normalization=q.normalize,
            goal=table["goal"],
            baseline=baseline,
            reference=reference,
            reps=q.reps,
            ci_level=gq.ci_level,
            seed=q.seed,
        )
    except ValueError as e:
        raise errors.InvalidArgumentError(f"/benchmark: {e}") from None
    out = result.to_json()
    for entry, group in zip(out["methods"], method_groups, strict=True):
        entry.update({"label": group.label, "key": group.key, "values": list(group.values)})
    return {
        "task": task_id,
        "by": method_ids,
        "metric": table["metric"],
        "split": table["split"],
        "reduction": table["reduction"],
        "goal": table["goal"],
        "trials": table["trials"],
        "matched": table["matched"],
        **out,
    }


def _method_name(group: grouping.Group) -> str:
    """A method's display name: its field values (``PPO``; ``0.1, adam``), or ``all``."""
    if not group.values:
        return group.label
    return ", ".join(grouping.format_value(v) for v in group.values)
