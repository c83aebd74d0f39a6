"""The Run Groups TensorBoard plugin: routes only.

Routes (documented with examples in `http_api.md`), under
`/data/plugin/rungroups`:

* `/runs` — every run with its parsed name, merged metadata and status;
* `/metadata?run=R` — one run's merged metadata, exactly as stored;
* `/fields` — every grouping field with its distinct values, and the default grouping;
* `/tags` — scalar tags and the splits that have them;
* `/groups` — trials grouped by fields, filtered, with statistics of a metric;
* `/curves` — each group's mean curve of a metric, aligned by step;
* `/run?run=R` — one run in detail;
* `/static/*` — the tab's ES modules and styles, from an allow-list.

The work is done by `*_impl` methods (and `tb_plugin.backend`, which reads and
caches); the `_serve_*` handlers only parse arguments and respond.
"""

from __future__ import annotations

import collections
import dataclasses
import json
import math
import os
import re
import time
from collections.abc import Sequence
from typing import Any

from tensorboard import errors, plugin_util
from tensorboard.backend import http_util
from tensorboard.context import RequestContext
from tensorboard.data import provider
from tensorboard.plugins import base_plugin
from werkzeug import wrappers

from tb_plugin import aggregate, backend, config, curves, data, grouping, metadata, naming

AUTO = object()
"""`split` not given: read the metric from `backend.SPLIT_PREFERENCE`'s first split that has it."""

DEFAULT_MAX_VALUES = 100
"""Distinct values listed per field by `/fields` unless `max_values` says otherwise."""

MAX_REGEX_LENGTH = 1000

_STATIC_PREFIX = "/static/"
_STATIC_TYPES = {
    ".js": "text/javascript",
    ".css": "text/css",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".json": "application/json",
}


class RunGroupsPlugin(base_plugin.TBPlugin):
    """Groups TensorBoard runs by their names and recorded metadata."""

    plugin_name = metadata.PLUGIN_NAME

    def __init__(self, context: base_plugin.TBContext):
        self._data_provider = context.data_provider
        self._patterns = config.patterns_from_flags(context.flags)
        self._static = _load_static_files(_frontend_dir())
        self._backend = backend.Backend(self._data_provider, self._patterns)

    def get_plugin_apps(self) -> dict[str, Any]:
        return {
            "/runs": self._serve_runs,
            "/metadata": self._serve_metadata,
            "/fields": self._serve_fields,
            "/tags": self._serve_tags,
            "/groups": self._serve_groups,
            "/curves": self._serve_curves,
            "/run": self._serve_run,
            _STATIC_PREFIX + "*": self._serve_static,
        }

    def is_active(self) -> bool:
        # Grouping by name needs no metadata of ours: the tab is useful as soon
        # as any run exists. `is_active` has no request context, so this asks
        # about the default (plain --logdir) experiment.
        if self._data_provider is None:
            return False
        try:
            return bool(self._data_provider.list_runs(RequestContext(), experiment_id=""))
        except Exception:
            return True

    def data_plugin_names(self) -> tuple[str, ...]:
        return (metadata.PLUGIN_NAME,)

    def frontend_metadata(self) -> base_plugin.FrontendMetadata:
        return base_plugin.FrontendMetadata(
            es_module_path=_STATIC_PREFIX + "index.js", tab_name="Run Groups"
        )

    # --- work ---------------------------------------------------------------------------

    def runs_impl(
        self, ctx: Any, experiment: str, stale_after: float = backend.DEFAULT_STALE_AFTER
    ) -> dict[str, Any]:
        """Every run with its parsed name fields, merged metadata and status."""
        return self._runs_memo(ctx, experiment, stale_after)[1]

    def _runs_memo(self, ctx: Any, experiment: str, stale_after: float) -> list[Any]:
        """`[key, answer, encoded answer or None]` for /runs, memoised per view and stale set.

        At 10,000 runs building and encoding the answer costs far more than
        the listing calls, and it only changes with the view or the stale set.
        """
        view = self._backend.view(ctx, experiment)
        stale = self._backend.stale_units(ctx, experiment, view, stale_after)
        last = self._backend.running_last_events(ctx, experiment, view)
        # The times themselves, not id(last): a refreshed dict may reuse a freed one's id.
        key = (stale_after, tuple(sorted(stale)), last)
        memo = view.memo.get("runs")
        if memo is None or memo[0] != key:
            body = {
                "runs": [_run_json(view, record, stale, last) for record in view.records],
                "stale_after": stale_after,
            }
            memo = view.memo["runs"] = [key, body, None]
        return memo

    def metadata_impl(self, ctx: Any, experiment: str, run: str) -> dict[str, Any]:
        """One run's merged metadata; raises NotFoundError for an unknown run."""
        record = self._backend.view(ctx, experiment).record(run)
        if record is None:
            raise errors.NotFoundError(f"no run named {json.dumps(run)}")
        return record.metadata

    def fields_impl(
        self,
        ctx: Any,
        experiment: str,
        max_values: int | None = DEFAULT_MAX_VALUES,
        stale_after: float = backend.DEFAULT_STALE_AFTER,
    ) -> dict[str, Any]:
        """Every field of the trials with its distinct values, and the default grouping."""
        view = self._backend.view(ctx, experiment)
        stale = self._backend.stale_units(ctx, experiment, view, stale_after)
        if stale:
            infos = grouping.list_fields(
                self._backend.with_status(view.units, stale), max_values=max_values
            )
        else:
            infos = self._backend.fields(view, max_values)
        return {
            "fields": [info.to_json() for info in infos],
            "default_by": list(view.default_by),
            "trials": len(view.units),
            "runs": len(view.records),
        }

    def tags_impl(self, ctx: Any, experiment: str) -> dict[str, Any]:
        """Scalar tags with the splits (and number of runs) that have them."""
        view = self._backend.view(ctx, experiment)
        listed = self._backend.list_scalar_tags(ctx, experiment)
        per_tag: dict[str, collections.Counter] = {}
        per_split: collections.Counter = collections.Counter()
        for run, tags in listed.items():
            name = view.names.get(run) or naming.parse_run_name(run, self._patterns)
            per_split[name.split] += 1
            for tag in tags:
                per_tag.setdefault(tag, collections.Counter())[name.split] += 1
        return {
            "tags": [
                {
                    "tag": tag,
                    "goal": aggregate.goal(tag),
                    "splits": _split_counts(per_tag[tag]),
                }
                for tag in sorted(per_tag)
            ],
            "splits": _split_counts(per_split),
        }

    def groups_impl(
        self,
        ctx: Any,
        experiment: str,
        *,
        by: Sequence[str] | None = None,
        metric: str | None = None,
        split: str | None | object = AUTO,
        reduction: str = "last",
        where: backend.Filter = backend.Filter(),  # noqa: B008 - frozen value
        stale_after: float = backend.DEFAULT_STALE_AFTER,
    ) -> dict[str, Any]:
        """Groups the (filtered) trials and, given a metric, their statistics.

        Raises:
          ValueError: an unknown field in `by` or `where`, an unknown reduction.
          LookupError: no run has the scalar tag `metric`.
        """
        if reduction not in aggregate.REDUCTIONS:
            raise ValueError(
                f"argument 'reduction': unknown reduction {reduction!r}; "
                f"expected one of {', '.join(aggregate.REDUCTIONS)}"
            )
        view = self._backend.view(ctx, experiment)
        by_ids, units, groups = self._group(ctx, experiment, view, by, where, stale_after)
        values: dict[str, float] = {}
        if metric is not None:
            listed = self._backend.list_tag(ctx, experiment, metric)
            if not listed:
                raise LookupError(f"no run has the scalar tag {json.dumps(metric)}")
            if split is AUTO:
                split = backend.choose_split(listed, view.names)
            wanted = _runs_of(units, split, listed)
            if reduction == "last":
                per_run = self._backend.last_values(ctx, experiment, metric, wanted)
            else:
                series = self._backend.series(ctx, experiment, metric, wanted)
                per_run = aggregate.reduce_runs(series, reduction, metric)
            for unit in units:
                run = unit.run_for(split)
                if run is not None and run in per_run:
                    values[unit.trial] = per_run[run]
            stats = aggregate.stats_by_group(groups, values, metric, reduction)
        elif split is AUTO:
            split = None
        out_groups = []
        for i, group in enumerate(groups):
            out_groups.append(
                {
                    "values": list(group.values),
                    "label": group.label,
                    "size": len(group.units),
                    "stats": stats[i].to_json() if metric is not None else None,
                    "members": [
                        {
                            "trial": unit.trial,
                            "run": unit.run_for(split),
                            "value": values.get(unit.trial),
                            "status": _status(unit),
                        }
                        for unit in group.units
                    ],
                }
            )
        return {
            "by": by_ids,
            "metric": metric,
            "split": split,
            "reduction": reduction,
            "goal": aggregate.goal(metric) if metric is not None else None,
            "trials": len(view.units),
            "matched": len(units),
            "groups": out_groups,
        }

    def curves_impl(
        self,
        ctx: Any,
        experiment: str,
        *,
        metric: str,
        by: Sequence[str] | None = None,
        split: str | None | object = AUTO,
        where: backend.Filter = backend.Filter(),  # noqa: B008 - frozen value
        max_points: int = backend.DEFAULT_MAX_POINTS,
        only: Sequence[Sequence[Any]] | None = None,
        stale_after: float = backend.DEFAULT_STALE_AFTER,
    ) -> dict[str, Any]:
        """Each group's mean curve of `metric`, aligned by step, with spread and counts.

        Raises:
          ValueError: an unknown field in `by` or `where`.
          LookupError: no run has the scalar tag `metric`.
        """
        view = self._backend.view(ctx, experiment)
        by_ids, _, groups = self._group(ctx, experiment, view, by, where, stale_after)
        listed = self._backend.list_tag(ctx, experiment, metric)
        if not listed:
            raise LookupError(f"no run has the scalar tag {json.dumps(metric)}")
        if split is AUTO:
            split = backend.choose_split(listed, view.names)
        if only is not None:
            wanted = {_group_key(values) for values in only}
            groups = [g for g in groups if _group_key(g.values) in wanted]
        units = [u for g in groups for u in g.units]
        series = self._backend.series(ctx, experiment, metric, _runs_of(units, split, listed))
        out_curves = []
        for group in groups:
            members = {}
            for unit in group.units:
                run = unit.run_for(split)
                if run is not None and run in series:
                    members[unit.trial] = series[run]
            out_curves.append(
                {
                    "values": list(group.values),
                    "label": group.label,
                    "size": len(group.units),
                    "curve": curves.group_curve(members, max_points=max_points).to_json(),
                }
            )
        return {
            "by": by_ids,
            "metric": metric,
            "split": split,
            "max_points": max_points,
            "curves": out_curves,
        }

    def run_impl(
        self,
        ctx: Any,
        experiment: str,
        run: str,
        stale_after: float = backend.DEFAULT_STALE_AFTER,
    ) -> dict[str, Any]:
        """One run in detail: parsed name, metadata, its trial, status, latest scalars.

        Raises:
          LookupError: no such run.
        """
        view = self._backend.view(ctx, experiment)
        record = view.record(run)
        if record is None:
            raise LookupError(f"no run named {json.dumps(run)}")
        unit = view.unit_of_run[run]
        latest = self._data_provider.read_last_scalars(
            ctx,
            experiment_id=experiment,
            plugin_name=backend.SCALARS_PLUGIN,
            run_tag_filter=provider.RunTagFilter(runs=list(unit.runs.values())),
        )
        times = [d.wall_time for tags in latest.values() for d in tags.values()]
        times += [
            r.last_metadata_time
            for r in map(view.record, unit.runs.values())
            if r is not None and r.last_metadata_time is not None
        ]
        last_event = float(max(times)) if times else None
        stale = {}
        if unit.metadata.get("status") == "running" and (
            last_event is None or time.time() - last_event > stale_after
        ):
            stale = {unit.trial: last_event}
        # Its last event whatever its status (/runs gives it for running trials only).
        out = _run_json(view, record, stale, {} if last_event is None else {unit.trial: last_event})
        out.update(
            {
                "fields": dict(self._backend.with_status([unit], stale)[0].fields),
                "trial_runs": [{"split": s, "run": r} for s, r in unit.runs.items()],
                "trial_metadata": unit.metadata,
                "scalars": [
                    {
                        "tag": tag,
                        "step": int(d.step),
                        "wall_time": float(d.wall_time),
                        "value": float(d.value),
                    }
                    for tag, d in sorted(latest.get(run, {}).items())
                ],
            }
        )
        return out

    def _group(
        self,
        ctx: Any,
        experiment: str,
        view: backend.ExperimentView,
        by: Sequence[str] | None,
        where: backend.Filter,
        stale_after: float,
    ) -> tuple[list[str], list[grouping.Unit], list[grouping.Group]]:
        try:
            by_ids = (
                list(view.default_by) if by is None else grouping.resolve_fields(by, view.units)
            )
        except ValueError as e:
            raise ValueError(f"argument 'by': {e}") from None
        resolved = []
        for name, accepted in where.where:
            try:
                (field_id,) = grouping.resolve_fields([name], view.units)
            except ValueError as e:
                raise ValueError(f"argument 'where': {e}") from None
            resolved.append((field_id, accepted))
        where = dataclasses.replace(where, where=tuple(resolved))
        stale = self._backend.stale_units(ctx, experiment, view, stale_after)
        units = self._backend.with_status(view.units, stale)
        if not where.empty:
            units = [u for u in units if where.matches(u)]
        groups = grouping.group_units(units, by_ids, known=view.known)
        return by_ids, units, groups

    # --- HTTP -----------------------------------------------------------------------------

    @wrappers.Request.application
    def _serve_runs(self, request: wrappers.Request) -> wrappers.Response:
        ctx, experiment = _context(request)
        stale_after = _float_arg(request, "stale_after", backend.DEFAULT_STALE_AFTER)
        memo = self._runs_memo(ctx, experiment, stale_after)
        if memo[2] is None:
            memo[2] = _encode(memo[1])
        return http_util.Respond(request, memo[2], "application/json")

    @wrappers.Request.application
    def _serve_metadata(self, request: wrappers.Request) -> wrappers.Response:
        ctx, experiment = _context(request)
        run = _required(request, "run")
        recorded = self.metadata_impl(ctx, experiment, run)
        # Sent as the stored JSON text, not through json_util.Cleanse, so NaN,
        # infinities and large integers read back exactly (see http_api.md).
        return http_util.Respond(request, metadata.dumps(recorded), "application/json")

    @wrappers.Request.application
    def _serve_fields(self, request: wrappers.Request) -> wrappers.Response:
        ctx, experiment = _context(request)
        max_values = _int_arg(request, "max_values", DEFAULT_MAX_VALUES, minimum=0)
        stale_after = _float_arg(request, "stale_after", backend.DEFAULT_STALE_AFTER)
        return _respond(request, self.fields_impl(ctx, experiment, max_values, stale_after))

    @wrappers.Request.application
    def _serve_tags(self, request: wrappers.Request) -> wrappers.Response:
        ctx, experiment = _context(request)
        return _respond(request, self.tags_impl(ctx, experiment))

    @wrappers.Request.application
    def _serve_groups(self, request: wrappers.Request) -> wrappers.Response:
        ctx, experiment = _context(request)
        kwargs = {
            "by": _by_arg(request),
            "metric": request.args.get("metric") or None,
            "split": _split_arg(request),
            "reduction": request.args.get("reduction", "last"),
            "where": _filter_arg(request),
            "stale_after": _float_arg(request, "stale_after", backend.DEFAULT_STALE_AFTER),
        }
        return _respond(request, _call(self.groups_impl, ctx, experiment, **kwargs))

    @wrappers.Request.application
    def _serve_curves(self, request: wrappers.Request) -> wrappers.Response:
        ctx, experiment = _context(request)
        kwargs = {
            "metric": _required(request, "metric"),
            "by": _by_arg(request),
            "split": _split_arg(request),
            "where": _filter_arg(request),
            "max_points": _int_arg(
                request, "max_points", backend.DEFAULT_MAX_POINTS, minimum=1, maximum=100_000
            ),
            "only": _groups_arg(request),
            "stale_after": _float_arg(request, "stale_after", backend.DEFAULT_STALE_AFTER),
        }
        return _respond(request, _call(self.curves_impl, ctx, experiment, **kwargs))

    @wrappers.Request.application
    def _serve_run(self, request: wrappers.Request) -> wrappers.Response:
        ctx, experiment = _context(request)
        run = _required(request, "run")
        stale_after = _float_arg(request, "stale_after", backend.DEFAULT_STALE_AFTER)
        return _respond(request, _call(self.run_impl, ctx, experiment, run, stale_after))

    @wrappers.Request.application
    def _serve_static(self, request: wrappers.Request) -> wrappers.Response:
        _, _, name = request.path.partition(f"/data/plugin/{metadata.PLUGIN_NAME}{_STATIC_PREFIX}")
        found = self._static.get(name)
        if found is None:
            raise errors.NotFoundError("no such static file")
        content, content_type = found
        return http_util.Respond(request, content, content_type)


# --- helpers --------------------------------------------------------------------------------


def _respond(request: wrappers.Request, body: Any) -> wrappers.Response:
    return http_util.Respond(request, _encode(body), "application/json")


def _encode(body: Any) -> str:
    """Encodes JSON with non-finite floats as "NaN", "Infinity" and "-Infinity".

    That is what `http_util.Respond` does through `json_util.Cleanse`, but
    Cleanse walks every value in Python (seconds for 10,000 runs); here the C
    encoder writes NaN tokens and one pass quotes them outside strings.
    """
    text = json.dumps(body, separators=(",", ":"))
    if "NaN" in text or "Infinity" in text:
        text = _NON_FINITE.sub(_quote_non_finite, text)
    return text


# A JSON string (left alone) or a bare non-finite token (quoted). json.dumps
# escapes every non-ASCII character, so strings hold only ASCII here.
_NON_FINITE = re.compile(r'"(?:[^"\\]|\\.)*"|-?Infinity|NaN')


def _quote_non_finite(match: re.Match[str]) -> str:
    token = match.group(0)
    return token if token.startswith('"') else f'"{token}"'


def _call(impl: Any, *args: Any, **kwargs: Any) -> Any:
    """Runs an `*_impl`, turning its ValueError/LookupError into TensorBoard's 400/404."""
    try:
        return impl(*args, **kwargs)
    except LookupError as e:
        raise errors.NotFoundError(_message(e)) from None
    except ValueError as e:
        raise errors.InvalidArgumentError(_message(e)) from None


def _message(e: Exception) -> str:
    # KeyError's str() is its repr; every other message is already readable.
    return str(e.args[0]) if e.args else type(e).__name__


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
        "trial": name.trial,
        "split": name.split,
        "time": name.time.isoformat() if name.time else None,
        "params": dict(name.params),
        "labels": list(name.labels),
        "start_time": record.start_time,
        "metadata": record.metadata,
        "error": record.error,
        "status": status,
        "last_event_time": last_event,
    }


_SPLIT_ORDER = (None, "train", "validation", "eval", "test")


def _split_counts(counts: collections.Counter) -> list[dict[str, Any]]:
    def rank(split: str | None) -> tuple[int, str]:
        if split in _SPLIT_ORDER:
            return (_SPLIT_ORDER.index(split), "")
        return (len(_SPLIT_ORDER), split or "")

    return [{"split": s, "runs": counts[s]} for s in sorted(counts, key=rank)]


def _runs_of(
    units: Sequence[grouping.Unit], split: str | None, listed: dict[str, Any]
) -> dict[str, Any]:
    """The `listed` entries of the units' runs of `split`."""
    out = {}
    for unit in units:
        run = unit.run_for(split)
        if run is not None and run in listed:
            out[run] = listed[run]
    return out


def _group_key(values: Sequence[Any]) -> tuple[Any, ...]:
    # JSON has no NaN/bool-vs-number distinction problems of Python's ==; compare as text.
    return tuple(json.dumps(v, sort_keys=True) for v in values)


def _required(request: wrappers.Request, name: str) -> str:
    value = request.args.get(name)
    if value is None or value == "":
        raise errors.InvalidArgumentError(f"missing required argument {name!r}")
    return value


def _int_arg(
    request: wrappers.Request,
    name: str,
    default: int | None,
    *,
    minimum: int = 0,
    maximum: int | None = None,
) -> int | None:
    text = request.args.get(name)
    if text is None or text == "":
        return default
    try:
        value = int(text)
    except ValueError:
        raise errors.InvalidArgumentError(
            f"argument {name!r} must be an integer, got {text[:100]!r}"
        ) from None
    if value < minimum or (maximum is not None and value > maximum):
        bound = f"between {minimum} and {maximum}" if maximum is not None else f">= {minimum}"
        raise errors.InvalidArgumentError(f"argument {name!r} must be {bound}, got {value}")
    return value


def _float_arg(request: wrappers.Request, name: str, default: float) -> float:
    text = request.args.get(name)
    if text is None or text == "":
        return default
    try:
        value = float(text)
    except ValueError:
        raise errors.InvalidArgumentError(
            f"argument {name!r} must be a number, got {text[:100]!r}"
        ) from None
    if not math.isfinite(value) or value < 0:
        raise errors.InvalidArgumentError(
            f"argument {name!r} must be a finite number >= 0, got {text[:100]!r}"
        )
    return value


def _by_arg(request: wrappers.Request) -> list[str] | None:
    text = request.args.get("by")
    if text is None:
        return None
    return [part.strip() for part in text.split(",") if part.strip()]


def _split_arg(request: wrappers.Request) -> str | None | object:
    text = request.args.get("split")
    if text is None or text == "":
        return AUTO
    lowered = text.lower()
    if lowered in (backend.NO_SPLIT, grouping.NONE_LABEL):
        return None
    if lowered in _SPLIT_ORDER:
        return lowered
    raise errors.InvalidArgumentError(
        f"argument 'split': unknown split {text[:100]!r}; expected one of "
        "train, validation, eval, test, none"
    )


def _filter_arg(request: wrappers.Request) -> backend.Filter:
    regex = None
    pattern = request.args.get("regex")
    if pattern:
        if len(pattern) > MAX_REGEX_LENGTH:
            raise errors.InvalidArgumentError(
                f"argument 'regex' is longer than {MAX_REGEX_LENGTH} characters"
            )
        try:
            regex = re.compile(pattern)
        except re.error as e:
            raise errors.InvalidArgumentError(
                f"argument 'regex': invalid regular expression {pattern[:100]!r}: {e}"
            ) from None
    where: dict[str, list[str]] = {}
    for item in request.args.getlist("where"):
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise errors.InvalidArgumentError(
                f"argument 'where' must look like FIELD=VALUE, got {item[:100]!r}"
            )
        where.setdefault(name.strip(), []).append(value)
    return backend.Filter(
        text=request.args.get("filter") or None,
        regex=regex,
        where=tuple((k, tuple(v)) for k, v in where.items()),
    )


def _groups_arg(request: wrappers.Request) -> list[list[Any]] | None:
    items = request.args.getlist("group")
    if not items:
        return None
    out = []
    for item in items:
        try:
            values = json.loads(item)
        except ValueError:
            values = None
        if not isinstance(values, list):
            raise errors.InvalidArgumentError(
                f"argument 'group' must be a JSON array of group values, got {item[:100]!r}"
            )
        out.append(values)
    return out


def _context(request: wrappers.Request) -> tuple[Any, str]:
    return plugin_util.context(request.environ), plugin_util.experiment_id(request.environ)


def _frontend_dir() -> str:
    """Finds the shipped front end: `tb_plugin/static` in a wheel, else `frontend/`."""
    here = os.path.dirname(os.path.abspath(__file__))
    installed = os.path.join(here, "static")
    if os.path.isdir(installed):
        return installed
    return os.path.join(os.path.dirname(here), "frontend")


def _load_static_files(root: str) -> dict[str, tuple[bytes, str]]:
    """Reads the front end once, so a request path never reaches `open()`."""
    files: dict[str, tuple[bytes, str]] = {}
    for directory, subdirs, names in os.walk(root):
        subdirs[:] = sorted(d for d in subdirs if not d.startswith((".", "_")))
        for filename in sorted(names):
            content_type = _STATIC_TYPES.get(os.path.splitext(filename)[1])
            if content_type is None:
                continue
            path = os.path.join(directory, filename)
            relative = os.path.relpath(path, root).replace(os.sep, "/")
            with open(path, "rb") as f:
                files[relative] = (f.read(), content_type)
    return files


class RunGroupsLoader(base_plugin.TBLoader):
    """Defines the `--rungroups_pattern` flag and loads the plugin."""

    def define_flags(self, parser: Any) -> None:
        parser.add_argument(
            "--rungroups_pattern",
            metavar="REGEX",
            action="append",
            default=None,
            help="Run Groups: a regular expression with named groups that is "
            "searched in every run name; each named group becomes a field "
            "(`(?P<time>...)` a timestamp). Repeatable. Also read from "
            "'patterns' in LOGDIR/rungroups.json.",
        )

    def fix_flags(self, flags: Any) -> None:
        try:
            config.patterns_from_flags(flags)
        except ValueError as e:
            raise base_plugin.FlagsError(str(e)) from None

    def load(self, context: base_plugin.TBContext) -> RunGroupsPlugin:
        return RunGroupsPlugin(context)
