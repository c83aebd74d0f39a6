"""The report: one self-contained HTML file of a view that opens anywhere (SPEC §11).

`tb-rungroups report LOGDIR ... -o report.html` and the route `/report` (the tab's
Report button) both call `build`: it gathers the view's answers through the routes' own
query parsers and answer functions (`tb_plugin.queries`, `tb_plugin.answers`; nothing is
computed here) and writes them into one HTML file with the tab's own modules inlined
(`tb_plugin.bundle`, entry `frontend/report_main.js`), the vendored uPlot and the styles.

The file makes no request at all: its Content-Security-Policy is ``default-src 'none'``
plus the SHA-256 hashes of its one inline script and one inline style. The answers sit in a
``<script type="application/json">`` data block whose text cannot end the element (``<``,
``>`` and ``&`` are written as ``\\u003c``, ``\\u003e``, ``\\u0026``; every other non-ASCII
character is escaped by the JSON encoder). The header (logdir name, the view's options) is
HTML-escaped text; the rest is drawn by the tab's modules with ``textContent``.

Size: the first `MAX_GROUPS` groups (in the answer's order) and their runs; the header
says how many groups were left out. Curves are the chart's (`CHART_POINTS` points a group,
at most `MAX_CHART_GROUPS` groups, the arrays the chart draws), sparklines
`SPARKLINE_POINTS`, per-run lines (on request) `SEED_POINTS` for groups of at most
`SEED_MAX_RUNS` runs and `MAX_LINES` runs in all, run details for `MAX_RUN_DETAILS`
trials (see `gather`).

Two reports of one view differ only in the line that says when they were made.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime
import hashlib
import html
import os
import re
from collections.abc import Sequence
from typing import Any

from tensorboard import errors

from tb_plugin import answers, backend, bundle, queries

MAX_GROUPS = 100
"""Groups a report holds (the first in the answer's order); the header counts the rest."""

DEFAULT_CHART_GROUPS = 5
"""Groups charted when the view names none (the tab's `CHART_DEFAULT_GROUPS`)."""

CHART_POINTS = 500
"""Points of each charted group's curve (the tab's `CHART_POINTS`)."""

SPARKLINE_POINTS = 40
"""Points of each row's sparkline (the tab's `SPARKLINE_POINTS`)."""

SEED_POINTS = 200
"""Points of each run's own line when the view draws runs (the tab's `SEED_POINTS`)."""

SEED_MAX_RUNS = 100
"""Groups with more runs than this have no per-run lines (the tab's `SEED_MAX_RUNS`)."""

MAX_CHART_GROUPS = 10
"""Groups a report charts at most (the first the view charts): 500 points each, smoothed
and unsmoothed, are ~45 kB a group."""

MAX_LINES = 100
"""Runs whose own line a report draws at most (whole groups, in the chart's order)."""

MAX_RUN_DETAILS = 1000
"""TensorBoard runs whose `/runs` entries a report holds (those of the first member
trials, in the groups' order): each group's members are all there; the trials past this
have no run details, and the header counts them."""

_BAND_KEYS = {"minmax": ("min", "max"), "std": ("std",), "ci": ("ci_low", "ci_high"), "none": ()}
# A run entry's keys the report draws (the per-run merged `metadata` repeats its trial's).
_RUN_KEYS = ("run", "trial", "split", "time", "params", "labels", "start_time", "error", "status")
_RUN_KEYS_READ = "read"  # how the run was read, once /runs gives it

DEFAULT_SMOOTHING = 0.6
"""The chart's smoothing when the view gives none (the tab's and TensorBoard's default)."""

BANDS = ("minmax", "std", "ci", "none")
SPREADS = ("ci", "std", "sem")

ENTRY = "report_main.js"
"""The report's entry module in the front-end directory."""

DATA_ID = "rg-report-data"
"""The id of the data block the entry module reads."""

# The view's arguments, in the order the header lists them.
VIEW_ARGS = (
    "by",
    "metric",
    "reduction",
    "k",
    "split",
    "filter",
    "regex",
    "where",
    "ci",
    "ci_level",
    "baseline",
    "stale_after",
    "chart",
    "chart_groups",
    "smoothing",
    "x",
    "band",
    "log",
    "seeds",
    "spread",
    "sort",
    "desc",
    "task",
    "normalize",
)

_GROUPS_ARGS = VIEW_ARGS[: VIEW_ARGS.index("chart")]
_SORT_KEY = re.compile(r"group|runs|[a-z_]{1,20}(\.\d{1,3})?|value\.\d{1,3}")


@dataclasses.dataclass(frozen=True)
class ReportQuery:
    """A report's view: the `/groups` query with the chart's curves, and how it is drawn.

    `groups.curves` holds the chart's groups (`chart` keys, or the default pick of
    `chart_groups`), its smoothing and x axis; `band`, `log`, `seeds` (each run's line),
    `spread` and the sort (`sort` key as the tab names columns, `desc`) are the tab's
    drawing options; `task` and `normalize` go to the across-tasks view (`OPTIONAL_VIEWS`). `args` is the view's arguments as given, in `VIEW_ARGS` order.
    """

    groups: queries.GroupsQuery
    band: str = "minmax"
    log: bool = False
    seeds: bool = False
    spread: str = "ci"
    sort: str = "group"
    desc: bool = False
    args: tuple[tuple[str, str], ...] = ()

    @classmethod
    def from_args(cls, args: queries.Args) -> ReportQuery:
        """Parses the view's arguments (`VIEW_ARGS`; others are ignored, as the routes do).

        Raises:
          errors.InvalidArgumentError: A bad argument (the `/groups` parser's message, or
            one of `band`, `log`, `seeds`, `spread`, `sort`, `desc`).
        """
        given = [(name, value) for name in VIEW_ARGS for value in args.getlist(name)]
        pairs = [(n, v) for n, v in given if n in _GROUPS_ARGS or n in ("chart", "x")]
        if not args.getlist("metric"):
            pairs.append(("auto_metric", "true"))
        if not args.getlist("chart"):
            pairs.append(("chart_groups", _one(args, "chart_groups") or str(DEFAULT_CHART_GROUPS)))
        pairs += [
            ("chart_points", str(CHART_POINTS)),
            ("smoothing", _one(args, "smoothing") or str(DEFAULT_SMOOTHING)),
            ("sparklines", str(MAX_GROUPS)),
            ("sparkline_points", str(SPARKLINE_POINTS)),
        ]
        groups = queries.GroupsQuery.from_args(queries.multidict(pairs))
        sort = _one(args, "sort") or "group"
        if not _SORT_KEY.fullmatch(sort):
            raise errors.InvalidArgumentError(
                f"argument 'sort' must name a column (group, runs, value.0, mean, ...), "
                f"got {sort[:100]!r}"
            )
        return cls(
            groups=groups,
            band=_choice(args, "band", BANDS),
            log=_flag(args, "log"),
            seeds=_flag(args, "seeds"),
            spread=_choice(args, "spread", SPREADS),
            sort=sort,
            desc=_flag(args, "desc"),
            args=tuple(given),
        )


def _one(args: queries.Args, name: str) -> str | None:
    values = args.getlist(name)
    if len(values) > 1:
        raise errors.InvalidArgumentError(f"argument {name!r} must be given once")
    return values[0] if values and values[0] != "" else None


def _choice(args: queries.Args, name: str, choices: Sequence[str]) -> str:
    value = _one(args, name)
    if value is None:
        return choices[0]
    if value not in choices:
        raise errors.InvalidArgumentError(
            f"argument {name!r} must be one of {', '.join(choices)}, got {value[:100]!r}"
        )
    return value


def _flag(args: queries.Args, name: str) -> bool:
    value = _one(args, name)
    if value is None:
        return False
    if value.lower() in ("1", "true", "yes"):
        return True
    if value.lower() in ("0", "false", "no"):
        return False
    raise errors.InvalidArgumentError(f"argument {name!r} must be true or false")


# --- gathering the answers -------------------------------------------------------------------


# Optional views: (answer key, function in `answers`, query class in `queries`). A view's
# answer is included when both exist and it answers the report's arguments; a view that
# does not apply to them (a 400 or 404) is left out.
OPTIONAL_VIEWS = (
    ("effects", "effects", "EffectsQuery"),
    ("benchmark", "benchmark", "BenchmarkQuery"),
)


def gather(b: backend.Backend, ctx: Any, experiment: str, q: ReportQuery) -> dict[str, Any]:
    """The saved answers a report draws: what the routes answer for the view, cut to size.

    Returns:
      ``{"fields": /fields, "tags": /tags, "groups": /groups (its first MAX_GROUPS
      groups with their rows' sparklines, no chart), "chart_keys": the charted groups
      (at most MAX_CHART_GROUPS), "curves": their /curves (smoothed; each curve with
      only `x`, `mean`, `count`, `runs`, `ci_level` and the band's arrays), "raw":
      unsmoothed (`x`, `mean`) or None, "lines": /curves with lines (whole groups, up
      to MAX_LINES runs) or None, "runs": /runs of the first member trials' runs, up
      to MAX_RUN_DETAILS runs (run entries without their copy of the trial's `metadata`),
      "total_groups": int, "left_out": groups left out, "runs_left_out": member trials
      without details}``, plus ``effects``/``benchmark`` when those answers exist and
      apply.

    Raises:
      errors.InvalidArgumentError, errors.NotFoundError: As `/groups` raises them.
    """
    table = answers.groups(b, ctx, experiment, q.groups)
    chart = table.pop("chart", None)
    total = len(table["groups"])
    kept = table["groups"][:MAX_GROUPS]
    table["groups"] = kept
    sizes = {g["key"]: g["size"] for g in kept}
    keys = [k for k in (chart["keys"] if chart else []) if k in sizes][:MAX_CHART_GROUPS]

    def charted(answer: dict[str, Any] | None, drawn: Sequence[str] | None) -> Any:
        """The answer's curves of `keys` (all of the kept groups' when `drawn` is None,
        as sparklines are), each with only the arrays the chart draws (`drawn`)."""
        if answer is None:
            return None
        out = []
        for entry in answer["curves"]:
            if entry["key"] not in sizes or (drawn is not None and entry["key"] not in keys):
                continue
            if drawn is not None:
                curve = entry["curve"]
                wanted = ("x" if "x" in curve else "steps", *drawn)
                entry = {**entry, "curve": {k: curve[k] for k in wanted if k in curve}}
            out.append(entry)
        return {**answer, "curves": out}

    lines = None
    seed_keys = []
    lined = 0
    for key in keys:
        if sizes[key] <= SEED_MAX_RUNS and lined + sizes[key] <= MAX_LINES:
            seed_keys.append(key)
            lined += sizes[key]
    want = q.groups.curves
    if q.seeds and seed_keys and table["metric"] is not None and want is not None:
        lines = answers.curves(
            b,
            ctx,
            experiment,
            queries.CurvesQuery(
                metric=table["metric"],
                by=q.groups.by,
                split=q.groups.split,
                where=q.groups.where,
                max_points=SEED_POINTS,
                groups=tuple(seed_keys),
                stale_after=q.groups.stale_after,
                smoothing=want.smoothing,
                x=want.x,
                ci_level=q.groups.ci_level,
                lines=True,
            ),
        )
    everything = answers.runs(b, ctx, experiment, queries.RunsQuery(q.groups.stale_after))
    members = [m["trial"] for g in kept for m in g["members"]]
    runs_of = {t["trial"]: len(t["runs"]) for t in everything["trials"]}
    detailed: set[str] = set()
    n_runs = 0
    for trial in members:
        n_runs += runs_of.get(trial, 0)
        if n_runs > MAX_RUN_DETAILS:
            break
        detailed.add(trial)
    kept_trials = [t for t in everything["trials"] if t["trial"] in detailed]
    run_names = {r for t in kept_trials for r in t["runs"]}
    runs = {
        **everything,
        "runs": [
            {k: r[k] for k in (*_RUN_KEYS, _RUN_KEYS_READ) if k in r}
            for r in everything["runs"]
            if r["run"] in run_names
        ],
        "trials": kept_trials,
    }
    band = ("count", "runs", "ci_level", *_BAND_KEYS[q.band])
    if table.get("sparklines") is not None:
        table["sparklines"] = charted(table["sparklines"], None)
    out: dict[str, Any] = {
        "fields": answers.fields(b, ctx, experiment, queries.FieldsQuery()),
        "tags": answers.tags(b, ctx, experiment, queries.TagsQuery()),
        "groups": table,
        "chart_keys": keys,
        "curves": charted(chart["curves"], ("mean", *band)) if chart else None,
        "raw": charted(chart["raw"], ("mean",)) if chart else None,
        "lines": lines,
        "runs": runs,
        "total_groups": total,
        "left_out": total - len(kept),
        "runs_left_out": len(members) - len(detailed),
    }
    args = queries.multidict(q.args)
    for key, function, query_class in OPTIONAL_VIEWS:
        fn = getattr(answers, function, None)
        cls = getattr(queries, query_class, None)
        if fn is None or cls is None:
            continue
        try:
            out[key] = fn(b, ctx, experiment, cls.from_args(args))
        except (errors.InvalidArgumentError, errors.NotFoundError):
            continue  # the view does not apply to these arguments
    return out


def view_state(q: ReportQuery, saved: dict[str, Any]) -> dict[str, Any]:
    """The tab's state for the view (`frontend/url_state.js`'s `defaultState` keys)."""
    want = q.groups.curves
    table = saved["groups"]
    given = dict(q.args)
    return {
        "by": list(q.groups.by) if q.groups.by is not None else None,
        "metric": table["metric"],
        "split": table["split"] or "",
        "reduction": table["reduction"] or "last",
        "more": [[m["metric"], m["reduction"]] for m in table["metrics"][1:]],
        "k": next((m["k"] for m in table["metrics"] if m["k"] is not None), queries.DEFAULT_K),
        "ci": q.groups.ci,
        "baseline": table["baseline"],
        "filter": given.get("filter", ""),
        "regex": given.get("regex", ""),
        "where": [list(v.partition("=")[::2]) for n, v in q.args if n == "where"],
        "task": given.get("task", ""),
        "band": q.band,
        "log": q.log,
        "seeds": q.seeds,
        "smoothing": want.smoothing if want else 0.0,
        "x": want.x if want else "step",
        "spread": q.spread,
        "sort": {"key": q.sort, "dir": -1 if q.desc else 1},
        "selected": saved["chart_keys"],
        "expanded": [],
    }


# --- the file --------------------------------------------------------------------------------


def build(
    b: backend.Backend,
    ctx: Any,
    experiment: str,
    q: ReportQuery,
    *,
    logdir: str,
    now: datetime.datetime | None = None,
) -> str:
    """The report of a view as HTML text.

    Args:
      b, ctx, experiment: As the routes' answer functions take them.
      q: The view (`ReportQuery.from_args`).
      logdir: The log directory (its last path component names the report).
      now: When it is made (UTC; default now): the only thing that differs between two
        reports of one view.

    Raises:
      errors.InvalidArgumentError, errors.NotFoundError: As `/groups` raises them.
      bundle.BundleError: The front end has a module form the bundler does not understand
        (a bug, caught by the tests).
    """
    saved = gather(b, ctx, experiment, q)
    return render_html(
        {"state": view_state(q, saved), "answers": saved},
        options=_options(q, saved["groups"]),
        logdir_name=logdir_name(logdir),
        left_out=saved["left_out"],
        total_groups=saved["total_groups"],
        now=now or datetime.datetime.now(datetime.timezone.utc),
    )


def logdir_name(logdir: str) -> str:
    """The last component of a log directory's path or URL (`runs` of `s3://b/runs/`)."""
    stripped = logdir.rstrip("/\\")
    return re.split(r"[/\\]", stripped)[-1] or logdir or "logdir"


def filename(logdir: str) -> str:
    """The report's file name for a download: `rungroups-<logdir name>.html`, ASCII-safe."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", logdir_name(logdir)).strip("._") or "logdir"
    return f"rungroups-{safe[:80]}.html"


def _options(q: ReportQuery, table: dict[str, Any]) -> list[tuple[str, str]]:
    """The header's rows: what was grouped and how, as given and as resolved."""
    given = " ".join(f"{name}={value}" for name, value in q.args)
    return [
        ("arguments", given or "(the defaults)"),
        ("grouped by", ", ".join(table["by"]) or "(nothing)"),
        ("metric", table["metric"] or "(none)"),
        ("split", table["split"] if table["split"] is not None else "(none)"),
        ("reduction", table["reduction"] or "(none)"),
        ("interval", f"{table['ci']['method']} at {table['ci']['level']:g}"),
        ("trials", f"{table['matched']} of {table['trials']}"),
    ]


def _sha256(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode()


def _newlines(text: str) -> str:
    # The HTML parser reads CR LF and CR as LF before a script's or style's hash is taken.
    return text.replace("\r\n", "\n").replace("\r", "\n")


def embed_json(text: str) -> str:
    """JSON text made safe inside a ``<script type="application/json">`` element.

    ``<``, ``>`` and ``&`` become ``\\u003c``, ``\\u003e``, ``\\u0026`` (and U+2028/2029
    their escapes), so no ``</script>`` or ``<!--`` can appear; `JSON.parse` reads the
    same value.
    """
    for raw, escaped in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(raw, escaped)
    return text


_REPORT_CSS = """
.rg-report { max-width: 1400px; margin: 0 auto; padding: 16px; }
.rg-report-header h1 { font-size: 20px; margin: 0 0 8px; }
.rg-report-options { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px;
  margin: 0 0 8px; }
.rg-report-options dt { color: var(--rg-muted); }
.rg-report-options dd { margin: 0; font-family: var(--rg-mono); overflow-wrap: anywhere; }
.rg-report-made, .rg-report-version, .rg-report-left-out { color: var(--rg-muted); margin: 2px 0; }
.rg-report-left-out { color: var(--rg-error); }
.rg-report-section { margin: 16px 0; }
.rg-report-runs details { margin: 4px 0; }
.rg-report-runs table { border-collapse: collapse; font-size: 12px; }
.rg-report-runs td, .rg-report-runs th { border-bottom: 1px solid var(--rg-border);
  padding: 2px 8px; text-align: left; vertical-align: top; }
.rg-report .rg-links > * { display: none; }
.rg-report-json { font-family: var(--rg-mono); font-size: 12px; white-space: pre-wrap;
  overflow-wrap: anywhere; max-height: 400px; overflow: auto; }
"""


def _frontend_dir() -> str:
    from tb_plugin import plugin

    return plugin._frontend_dir()


def _read(root: str, *parts: str) -> str:
    with open(os.path.join(root, *parts), encoding="utf-8") as f:
        return f.read()


def render_html(
    saved: dict[str, Any],
    *,
    options: Sequence[tuple[str, str]],
    logdir_name: str,
    left_out: int,
    total_groups: int,
    now: datetime.datetime,
    root: str | None = None,
) -> str:
    """Writes the report's HTML around saved answers (`{"state": ..., "answers": ...}`).

    `options` are the header's (name, value) rows; `root` the front-end directory
    (default: the one the plugin serves). Every text from the log directory is
    HTML-escaped; the date is on a line of its own.
    """
    root = root or _frontend_dir()
    from tb_plugin import __version__

    script = _newlines(bundle.bundle(root, ENTRY))
    style = _newlines(
        _read(root, "vendor", "uplot", "uPlot.min.css")
        + "\n"
        + _read(root, "style.css")
        + _REPORT_CSS
    )
    if "</style" in style.lower():
        raise bundle.BundleError("the styles hold '</style', which would end their element")
    csp = (
        f"default-src 'none'; script-src '{_sha256(script)}'; style-src '{_sha256(style)}'; "
        "base-uri 'none'; form-action 'none'"
    )
    esc = html.escape
    rows = "".join(
        f"<dt>{esc(name)}</dt><dd>{esc(value) or '(empty)'}</dd>\n" for name, value in options
    )
    shown = total_groups - left_out
    left = (
        f'<p class="rg-report-left-out">This report holds the first {shown} of {total_groups} '
        f"groups: {left_out} group{'s' if left_out != 1 else ''} left out.</p>\n"
        if left_out
        else ""
    )
    no_details = saved.get("answers", {}).get("runs_left_out", 0)
    if no_details:
        left += (
            f'<p class="rg-report-left-out">Run details (how each run was read) are given for '
            f"the first {MAX_RUN_DETAILS} runs: {no_details} trials have none here.</p>\n"
        )
    made = now.astimezone(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    data = embed_json(answers.encode(saved))
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en" data-theme="auto">\n'
        "<head>\n"
        '<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{csp}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<meta name="generator" content="tensorboard-plugin-rungroups {esc(__version__)}">\n'
        f"<title>Run Groups report: {esc(logdir_name)}</title>\n"
        f"<style>{style}</style>\n"
        "</head>\n"
        "<body>\n"
        '<main class="rg-root rg-report">\n'
        '<header class="rg-report-header">\n'
        f'<h1>Run Groups report: <span class="rg-report-logdir">{esc(logdir_name)}</span></h1>\n'
        f'<dl class="rg-report-options">\n{rows}</dl>\n'
        f"{left}"
        f'<p class="rg-report-made">Made {made}.</p>\n'
        f'<p class="rg-report-version">tensorboard-plugin-rungroups {esc(__version__)}; '
        "opens with no server and no network.</p>\n"
        "</header>\n"
        '<div id="rg-report-view"></div>\n'
        "</main>\n"
        f'<script type="application/json" id="{DATA_ID}">{data}</script>\n'
        f'<script type="module">{script}</script>\n'
        "</body>\n"
        "</html>\n"
    )
