"""`tb-rungroups`: Run Groups in a terminal.

    tb-rungroups ls LOGDIR [--by FIELD,...] [--metric TAG ...] [--split S]
                           [--reduction R ...] [--k K] [--filter TEXT] [--regex RE]
                           [--where FIELD=VALUE ...] [--pattern RE ...]
                           [--ci t|bootstrap] [--ci-level P] [--baseline FIELD=VALUE,...]
                           [--format table|csv|json|markdown|latex]
                           [--power [--mde X] [--alpha A] [--target-power P]] [--paired]
                           [--halfwidth H] [--exclude flagged|nonfinite|short|outlier]
    tb-rungroups effects LOGDIR [--by FIELD,...] [--metric TAG] [--split S]
                           [--reduction R] [--k K] [--filter TEXT] [--regex RE]
                           [--where FIELD=VALUE ...] [--pattern RE ...] [--ci-level P]
                           [--reps N] [--seed S]
                           [--format table|csv|json|markdown|latex]
    tb-rungroups annotate RUN_DIR [--note TEXT] [--tag T ...] [--untag T ...] [--status S]
    tb-rungroups benchmark LOGDIR --task FIELD [--by FIELD,...] [--metric TAG] [--split S]
                           [--reduction R] [--k K] [--filter TEXT] [--regex RE]
                           [--where FIELD=VALUE ...] [--pattern RE ...]
                           [--normalize none|minmax|baseline|reference] [--baseline M]
                           [--reps N] [--seed S] [--ci-level P]
                           [--format table|csv|json|markdown|latex]
    tb-rungroups explain LOGDIR RUN [--pattern RE ...] [--format text|json]
    tb-rungroups report LOGDIR -o FILE [ls's view options] [--chart KEY ...]
                        [--chart-groups N] [--smoothing W] [--x step|relative|wall]
                        [--band B] [--log] [--seeds] [--spread S] [--sort COL] [--desc]

`ls` reads LOGDIR with TensorBoard's own Python loader and answers with the
`/groups` route's own query parser and answer function (`tb_plugin.queries`,
`tb_plugin.answers`), so it prints exactly what the tab and the HTTP API serve
(`--format json` is that route's JSON); `effects` answers the `/effects` route
the same way (which fields move a metric, with intervals, beyond seed noise), and
`benchmark` answers `/benchmark`. `annotate` writes one state file
into a run's annotations directory with `tb_plugin.writer`. LOGDIR and RUN_DIR are local
paths or URLs that TensorBoard's own gfile reads (``s3://BUCKET/PREFIX``
with boto3). Both exit non-zero with one clear line on bad input and write
nothing then. `report` writes one self-contained HTML file of the view
(`tb_plugin.report`): the `/report` route's file for the same arguments.
"""

from __future__ import annotations

import argparse
import os
import sys
import types
from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any

EXIT_USAGE = 2
EXIT_NO_RUNS = 1


class CliError(Exception):
    """A user error: printed as one line, exit code attached."""

    def __init__(self, message: str, code: int = EXIT_USAGE):
        super().__init__(message)
        self.code = code


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `tb-rungroups` console script."""
    parser = _parser()
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if args.command in ("ls", "effects", "benchmark", "explain", "report") and (
        "://" not in args.logdir or args.logdir.startswith("s3://")
    ):
        # TensorBoard's Python loader imports TensorFlow when it is installed
        # (seconds, and log noise) though a local directory needs none of it,
        # and TensorFlow's gfile reads s3:// only with tensorflow-io, where
        # TensorBoard's own reads it with boto3; this marker module is how
        # TensorBoard's own no-TF build asks for its pure-Python stub instead.
        sys.modules.setdefault("tensorboard.compat.notf", types.ModuleType("notf"))
    try:
        if args.command == "ls":
            out = ls(
                args.logdir,
                by=args.by,
                metric=args.metric,
                split=args.split,
                reduction=args.reduction or ["last"],
                k=args.k,
                text=args.filter,
                regex=args.regex,
                where=args.where,
                patterns=args.pattern,
                ci=args.ci,
                ci_level=args.ci_level,
                baseline=args.baseline,
                fmt=args.format,
                **_seeds_options(args),
            )
        elif args.command == "effects":
            out = effects_command(args)
        elif args.command == "benchmark":
            out = benchmark_command(args)
        elif args.command == "explain":
            out = explain(args.logdir, args.run, patterns=args.pattern, fmt=args.format)
        elif args.command == "report":
            out = report_command(args)
        else:
            out = annotate(
                args.run_dir, note=args.note, tags=args.tag, status=args.status, untag=args.untag
            )
    except CliError as e:
        print(f"tb-rungroups: error: {_for_terminal(str(e))}", file=sys.stderr)
        return e.code
    if sys.stdout.isatty():
        # CSV and LaTeX keep names as they are, for files and pipes; a terminal gets
        # them with control characters escaped (the table escapes its own cells).
        out = _for_terminal(out, keep_newlines=True)
    sys.stdout.write(out)
    return 0


def _for_terminal(text: str, *, keep_newlines: bool = False) -> str:
    """`text` with control characters and bidirectional overrides escaped (`tb_plugin.terminal`)."""
    from tb_plugin import terminal

    return terminal.escape(text, keep_newlines=keep_newlines)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tb-rungroups", description="Group TensorBoard runs by their names and metadata."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    ls_parser = sub.add_parser("ls", help="print groups and statistics of a log directory")
    ls_parser.add_argument("logdir", help="the TensorBoard log directory")
    ls_parser.add_argument(
        "--by",
        help="comma-separated fields, outermost first (lr,bs or param.lr); "
        "default: every varying parameter except repeat keys such as seed",
    )
    ls_parser.add_argument(
        "--metric",
        action="append",
        default=[],
        help="scalar tag to reduce, e.g. epoch_loss; repeatable (one column block each); "
        "default: the metric the tab opens with (/tags' default_metric)",
    )
    ls_parser.add_argument(
        "--split",
        help="a split the runs have: train, validation, eval, test, none or one of its own "
        "(train_inner, ...); default: validation first",
    )
    ls_parser.add_argument(
        "--reduction",
        action="append",
        default=[],
        help="last (default), min, max, best, mean_last_k or at_best:TAG; once, or once per --metric",
    )
    ls_parser.add_argument("--k", type=int, help="k of mean_last_k (default 5)")
    ls_parser.add_argument(
        "--ci", choices=("t", "bootstrap"), help="interval of the mean: t (default) or bootstrap"
    )
    ls_parser.add_argument("--ci-level", type=float, help="confidence level (default 0.95)")
    ls_parser.add_argument(
        "--baseline",
        metavar="FIELD=VALUE[,...]",
        help="compare every group with this one (Welch p, Holm, P(better), delta with its CI)",
    )
    _selection_arguments(ls_parser)
    _add_seeds_arguments(ls_parser)
    _add_effects_parser(sub)
    _add_report_parser(sub)
    annotate_parser = sub.add_parser("annotate", help="add notes, tags or a status to a run")
    annotate_parser.add_argument("run_dir", help="the run's directory")
    annotate_parser.add_argument("--note", help="text appended to the run's notes")
    annotate_parser.add_argument("--tag", action="append", default=[], help="repeatable")
    annotate_parser.add_argument(
        "--untag",
        action="append",
        default=[],
        metavar="T",
        help="remove a tag (the additions the run holds now); repeatable",
    )
    annotate_parser.add_argument("--status", help="running, finished, failed or interrupted")
    _benchmark_parser(sub)
    _explain_parser(sub)
    return parser


# --- ls ---------------------------------------------------------------------------------


def ls(
    logdir: str,
    *,
    by: str | None = None,
    metric: Sequence[str] | str | None = None,
    split: str | None = None,
    reduction: Sequence[str] | str = "last",
    k: int | None = None,
    text: str | None = None,
    regex: str | None = None,
    where: Sequence[str] = (),
    patterns: Sequence[str] = (),
    ci: str | None = None,
    ci_level: float | None = None,
    baseline: str | None = None,
    fmt: str = "table",
    power: bool = False,
    mde: float | None = None,
    alpha: float | None = None,
    target_power: float | None = None,
    paired: bool = False,
    halfwidth: float | None = None,
    exclude: str | None = None,
) -> str:
    """Groups the runs of `logdir` and renders them (`tb_plugin.export`'s formats or a table).

    `power` adds the seeds planner's words per comparison to the table (its numbers are in
    every format's comparisons); `mde`, `alpha`, `target_power`, `paired`, `halfwidth` and
    `exclude` are `/groups`' ``mde``, ``alpha``, ``power``, ``paired``, ``halfwidth`` and
    ``exclude`` (SPEC §5c).

    Raises:
      CliError: A missing directory, no runs, a bad pattern or argument.
    """
    from tb_plugin import export

    _check_directory(logdir, "no such directory", loader=True)
    metrics = [metric] if isinstance(metric, str) else list(metric or [])
    reductions = [reduction] if isinstance(reduction, str) else list(reduction)
    pairs: list[tuple[str, str]] = [("metric", m) for m in metrics]
    pairs += [("reduction", r) for r in reductions]
    for name, value in (
        ("by", by),
        ("split", split),
        ("k", k),
        ("ci", ci),
        ("ci_level", ci_level),
        ("baseline", baseline),
    ):
        if value is not None:
            pairs.append((name, str(value)))
    for name, value in (("filter", text), ("regex", regex)):
        if value:
            pairs.append((name, value))
    pairs.extend(("where", w) for w in where)
    if (power or paired) and baseline is None:
        raise CliError(
            f"--{'power' if power else 'paired'} compares with a baseline: give --baseline"
        )
    pairs.extend(_seeds_pairs(mde, alpha, target_power, paired, halfwidth, exclude))
    if not metrics:
        # As the tab's first view: reduce /tags' default metric (none: counts only).
        pairs.append(("auto_metric", "true"))
    answer = _ask_groups(logdir, pairs, patterns)
    if fmt == "table":
        return export.terminal_table(answer) + export.seeds_lines(answer, power=power)
    return export.render(answer, fmt)


def _add_seeds_arguments(ls_parser: argparse.ArgumentParser) -> None:
    """`ls`' SPEC §5c options: the seeds planner, paired seeds, bad seeds."""
    ls_parser.add_argument(
        "--power",
        action="store_true",
        help="with --baseline: say per comparison the Welch test's power and the seeds per "
        "group needed for the target power",
    )
    ls_parser.add_argument(
        "--mde", type=float, help="the difference to plan for (default: observed)"
    )
    ls_parser.add_argument("--alpha", type=float, help="the planner's level (default 0.05)")
    ls_parser.add_argument("--target-power", type=float, help="the power to plan for (default 0.8)")
    ls_parser.add_argument(
        "--paired",
        action="store_true",
        help="with --baseline: pair runs with the baseline's by seed (paired t, exact Wilcoxon)",
    )
    ls_parser.add_argument(
        "--halfwidth", type=float, help="seeds per group for an interval of at most this half-width"
    )
    ls_parser.add_argument(
        "--exclude",
        metavar="flagged|nonfinite|short|outlier",
        help="leave flagged runs out of the statistics (comma-separated kinds, or flagged)",
    )


def _seeds_options(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "power": args.power,
        "mde": args.mde,
        "alpha": args.alpha,
        "target_power": args.target_power,
        "paired": args.paired,
        "halfwidth": args.halfwidth,
        "exclude": args.exclude,
    }


def _seeds_pairs(
    mde: float | None,
    alpha: float | None,
    target_power: float | None,
    paired: bool,
    halfwidth: float | None,
    exclude: str | None,
) -> list[tuple[str, str]]:
    out = [
        (name, str(value))
        for name, value in (
            ("mde", mde),
            ("alpha", alpha),
            ("power", target_power),
            ("halfwidth", halfwidth),
            ("exclude", exclude),
        )
        if value is not None
    ]
    if paired:
        out.append(("paired", "true"))
    return out


def _ask_groups(
    logdir: str, pairs: Sequence[tuple[str, str]], patterns: Sequence[str]
) -> dict[str, Any]:
    """Reads `logdir` with TensorBoard's Python loader and answers `/groups` for `pairs`.

    The arguments go through the route's own query (`queries.GroupsQuery`) and
    answer function (`answers.groups`), so the result is the route's JSON.
    """
    from tb_plugin import answers, queries

    query = _parsed(lambda: queries.GroupsQuery.from_args(queries.multidict(pairs)))
    return _ask(logdir, patterns, lambda reader, ctx: answers.groups(reader, ctx, "", query))


def _parsed(parse: Any) -> Any:
    """`parse()`, its argument errors made one-line `CliError`s."""
    from tensorboard import errors

    try:
        return parse()
    except (errors.PublicError, ValueError) as e:
        raise CliError(str(e)) from None


def _ask(logdir: str, patterns: Sequence[str], answer: Any) -> Any:
    """Reads `logdir` with TensorBoard's Python loader and returns `answer(backend, ctx)`
    (a route's own answer function over the route's own query)."""
    from tensorboard import errors
    from tensorboard.backend.event_processing import data_provider, plugin_event_multiplexer
    from tensorboard.context import RequestContext

    from tb_plugin import backend, config

    compiled = _parsed(
        lambda: config.patterns_from_flags(
            SimpleNamespace(logdir=logdir, rungroups_pattern=list(patterns))
        )
    )
    multiplexer = plugin_event_multiplexer.EventMultiplexer()
    multiplexer.AddRunsFromDirectory(logdir)
    multiplexer.Reload()
    if not multiplexer.Runs():
        raise CliError(f"no TensorBoard runs under {logdir}", EXIT_NO_RUNS)
    provider = data_provider.MultiplexerDataProvider(multiplexer, logdir)
    reader = backend.Backend(provider, compiled, logdir)
    try:
        return answer(reader, RequestContext())
    except errors.PublicError as e:
        raise CliError(str(e)) from None


# --- effects -----------------------------------------------------------------------------


def _add_effects_parser(sub: Any) -> None:
    parser = sub.add_parser(
        "effects",
        help="which fields move a metric, by how much, and whether beyond seed noise",
    )
    parser.add_argument("logdir", help="the TensorBoard log directory")
    parser.add_argument(
        "--by",
        help="comma-separated fields to consider (lr,bs or param.lr); default: every varying "
        "parameter except repeat keys such as seed",
    )
    parser.add_argument("--metric", help="scalar tag to reduce; default: the tab's default metric")
    parser.add_argument("--split", help="a split the runs have; default: validation first")
    parser.add_argument(
        "--reduction", help="last (default), min, max, best, mean_last_k or at_best:TAG"
    )
    parser.add_argument("--k", type=int, help="k of mean_last_k (default 5)")
    parser.add_argument("--ci-level", type=float, help="confidence level (default 0.95)")
    parser.add_argument("--reps", type=int, help="bootstrap resamples (default 1000; 0: none)")
    parser.add_argument("--seed", type=int, help="the bootstrap's seed (default 0)")
    _selection_arguments(parser)


def effects_command(args: argparse.Namespace) -> str:
    """`tb-rungroups effects` of parsed arguments: the `/effects` answer, rendered
    (`tb_plugin.effects_export`; ``json`` is the route's JSON).

    Raises:
      CliError: A missing directory, no runs, a bad pattern or argument.
    """
    from tb_plugin import answers, effects_export, queries

    _check_directory(args.logdir, "no such directory", loader=True)
    pairs: list[tuple[str, str]] = []
    for name in ("by", "metric", "split", "reduction", "k", "ci_level", "reps", "seed"):
        value = getattr(args, name)
        if value is not None:
            pairs.append((name, str(value)))
    for name, value in (("filter", args.filter), ("regex", args.regex)):
        if value:
            pairs.append((name, value))
    pairs.extend(("where", w) for w in args.where)
    query = _parsed(lambda: queries.EffectsQuery.from_args(queries.multidict(pairs)))
    answer = _ask(
        args.logdir, args.pattern, lambda reader, ctx: answers.effects(reader, ctx, "", query)
    )
    return effects_export.render(answer, args.format)


# --- report -----------------------------------------------------------------------------


def _add_report_parser(sub: Any) -> None:
    p = sub.add_parser(
        "report",
        help="write one self-contained HTML file of a view (opens anywhere, no network)",
        description="Writes the view's group table, chart, and runs as one HTML file that "
        "opens from disk with no server and no network (tb_plugin.report).",
    )
    p.add_argument("logdir", help="the TensorBoard log directory")
    p.add_argument("-o", "--output", required=True, help="the HTML file to write ('-': stdout)")
    p.add_argument("--by", help="comma-separated fields, outermost first (as ls)")
    p.add_argument("--metric", action="append", default=[], help="scalar tag; repeatable")
    p.add_argument("--reduction", action="append", default=[], help="as ls; repeatable")
    p.add_argument("--k", type=int, help="k of mean_last_k (default 5)")
    p.add_argument("--split", help="the metric's split (default: validation first)")
    p.add_argument("--filter", help="keep trials whose run names contain this text")
    p.add_argument("--regex", help="keep trials whose run names match this regex")
    p.add_argument("--where", action="append", default=[], metavar="FIELD=VALUE")
    p.add_argument("--ci", choices=("t", "bootstrap"), help="interval of the mean")
    p.add_argument("--ci-level", type=float, help="confidence level (default 0.95)")
    p.add_argument("--baseline", metavar="FIELD=VALUE[,...]", help="compare with this group")
    p.add_argument("--pattern", action="append", default=[], metavar="REGEX")
    p.add_argument("--chart", action="append", default=[], metavar="KEY", help="a group to chart")
    p.add_argument("--chart-groups", type=int, help="groups charted without --chart (default 5)")
    p.add_argument("--smoothing", type=float, help="TensorBoard's smoothing weight (default 0.6)")
    p.add_argument("--x", choices=("step", "relative", "wall"), help="the chart's x axis")
    p.add_argument("--band", choices=("minmax", "std", "ci", "none"), help="band around means")
    p.add_argument("--log", action="store_true", help="logarithmic y axis")
    p.add_argument("--seeds", action="store_true", help="draw each run's line too")
    p.add_argument("--spread", choices=("ci", "std", "sem"), help="the table's spread")
    p.add_argument("--sort", help="the column to sort by (group, runs, value.0, mean, ...)")
    p.add_argument("--desc", action="store_true", help="sort descending")


def report_command(args: argparse.Namespace) -> str:
    """`tb-rungroups report`: writes the file (or prints it for `-o -`); returns the message.

    The options become the `/report` route's arguments, parsed by the same
    `report.ReportQuery.from_args`, so the file is the route's for the same view.

    Raises:
      CliError: A missing directory, no runs, a bad option, an unwritable output.
    """
    from tb_plugin import queries, report

    _check_directory(args.logdir, "no such directory", loader=True)
    pairs: list[tuple[str, str]] = [("metric", m) for m in args.metric]
    pairs += [("reduction", r) for r in args.reduction]
    pairs += [("where", w) for w in args.where] + [("chart", c) for c in args.chart]
    for name, value in (
        ("by", args.by),
        ("k", args.k),
        ("split", args.split),
        ("filter", args.filter),
        ("regex", args.regex),
        ("ci", args.ci),
        ("ci_level", args.ci_level),
        ("baseline", args.baseline),
        ("chart_groups", args.chart_groups),
        ("smoothing", args.smoothing),
        ("x", args.x),
        ("band", args.band),
        ("spread", args.spread),
        ("sort", args.sort),
    ):
        if value is not None and value != "":
            pairs.append((name, str(value)))
    pairs += [(name, "true") for name in ("log", "seeds", "desc") if getattr(args, name)]
    query = _parsed(lambda: report.ReportQuery.from_args(queries.multidict(pairs)))
    text = _ask(
        args.logdir,
        args.pattern,
        lambda reader, ctx: report.build(reader, ctx, "", query, logdir=args.logdir),
    )
    if args.output == "-":
        return text
    try:
        with open(args.output, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
    except OSError as e:
        raise CliError(f"cannot write {args.output}: {e.strerror}") from None
    size = len(text.encode("utf-8"))
    return f"wrote {args.output} ({size / 1e6:.2f} MB)\n"


# --- annotate ---------------------------------------------------------------------------


def annotate(
    run_dir: str,
    *,
    note: str | None = None,
    tags: Sequence[str] = (),
    status: str | None = None,
    untag: Sequence[str] = (),
) -> str:
    """Adds a note, tags and/or a status to a run, or removes tags, in one write.

    The note is appended to the run's notes on a new line; tags are added to
    its tags (once each); `untag` removes tags (as far as the run holds them
    now: an addition made meanwhile by another writer stays); the status
    replaces its status.

    Raises:
      CliError: A missing directory, a run's annotations directory, nothing
        to change, or invalid values (an empty tag).
    """
    from tb_plugin import metadata, writer

    _check_directory(run_dir, "no such run directory")
    if note is None and not tags and not untag and status is None:
        raise CliError("nothing to add or remove: give --note, --tag, --untag or --status")
    if status is not None and status not in metadata.STATUSES:
        raise CliError(f"--status must be one of {', '.join(metadata.STATUSES)}; got {status!r}")
    try:
        # Appends, adds and sets against the run as it is at the write, under a
        # lock: concurrent annotations and a live trainer lose nothing.
        path = writer.annotate_run(run_dir, note=note, tags=tags, remove_tags=untag, status=status)
    except (TypeError, ValueError, OSError) as e:
        raise CliError(str(e)) from None
    if writer.is_remote(run_dir):
        relative = path[len(writer.run_path(run_dir)) + 1 :]
    else:
        relative = os.path.relpath(path, run_dir)
    return f"annotated {run_dir} ({relative})\n"


def _check_directory(path: str, missing: str, *, loader: bool = False) -> None:
    """Raises a one-line `CliError` unless `path` is a directory.

    Local paths and URLs alike, through TensorBoard's own gfile
    (``s3://BUCKET/PREFIX`` is a directory when objects lie under it). With
    `loader`, a scheme that gfile lacks is asked of the gfile TensorBoard's
    loader reads with (TensorFlow's when installed: ``gs://`` and others).
    """
    from tb_plugin import writer

    try:
        found = writer.isdir(path)
    except writer.UnsupportedPathError as e:
        if not loader:
            raise CliError(str(e)) from None
        from tensorboard.compat import tf

        try:
            found = bool(tf.io.gfile.isdir(path))
        except ValueError:  # no TensorFlow: the same gfile, the same answer
            raise CliError(str(e)) from None
        except Exception as other:  # TensorFlow's errors: no light import to name them by
            raise CliError(f"cannot read {path}: {' '.join(str(other).split())[:300]}") from None
    except (ValueError, OSError) as e:
        raise CliError(str(e)) from None
    if not found:
        raise CliError(f"{missing}: {path}")


# --- benchmark ----------------------------------------------------------------------------


def _benchmark_parser(sub: Any) -> None:
    parser = sub.add_parser(
        "benchmark", help="compare methods across tasks (IQM, optimality gap, profiles, ranks)"
    )
    parser.add_argument("logdir", help="the TensorBoard log directory")
    parser.add_argument("--task", required=True, help="the field whose values are the tasks (env)")
    parser.add_argument(
        "--by",
        help="comma-separated fields; those other than --task make the methods "
        "(default: the default grouping of each task's own runs)",
    )
    parser.add_argument("--metric", help="scalar tag to compare (default: /tags' default metric)")
    parser.add_argument("--split", help="as for ls")
    parser.add_argument("--reduction", help="how a run reduces to its score (default last)")
    parser.add_argument("--k", type=int, help="k of mean_last_k (default 5)")
    parser.add_argument(
        "--normalize",
        choices=("none", "minmax", "baseline", "reference"),
        help="per-task normalisation (default none; reference reads LOGDIR/rungroups.json)",
    )
    parser.add_argument("--baseline", metavar="METHOD", help="the method compared with")
    parser.add_argument("--reps", type=int, help="bootstrap resamples (default 2000)")
    parser.add_argument("--seed", type=int, help="bootstrap seed (default 0)")
    parser.add_argument("--ci-level", type=float, help="interval level (default 0.95)")
    _selection_arguments(parser)


def _selection_arguments(parser: argparse.ArgumentParser) -> None:
    """The filters, run-name patterns and output format `ls` and `benchmark` share."""
    parser.add_argument("--filter", help="keep trials whose run names contain this text")
    parser.add_argument("--regex", help="keep trials whose run names match this regex")
    parser.add_argument(
        "--where", action="append", default=[], metavar="FIELD=VALUE", help="repeatable"
    )
    parser.add_argument(
        "--pattern", action="append", default=[], metavar="REGEX", help="run-name pattern"
    )
    parser.add_argument(
        "--format", choices=("table", "csv", "json", "markdown", "latex"), default="table"
    )


def benchmark_command(args: argparse.Namespace) -> str:
    """``tb-rungroups benchmark``: the `/benchmark` answer for LOGDIR, rendered.

    Raises:
      CliError: A missing directory, no runs, a bad pattern or argument, a malformed
        ``rungroups.json``.
    """
    from tb_plugin import answers, benchmark_table, config, queries

    _check_directory(args.logdir, "no such directory", loader=True)
    pairs: list[tuple[str, str]] = [("task", args.task)]
    for name, value in (
        ("by", args.by),
        ("metric", args.metric),
        ("split", args.split),
        ("reduction", args.reduction),
        ("k", args.k),
        ("normalize", args.normalize),
        ("baseline", args.baseline),
        ("reps", args.reps),
        ("seed", args.seed),
        ("ci_level", args.ci_level),
        ("filter", args.filter),
        ("regex", args.regex),
    ):
        if value is not None:
            pairs.append((name, str(value)))
    pairs.extend(("where", w) for w in args.where)
    query = _parsed(lambda: queries.BenchmarkQuery.from_args(queries.multidict(pairs)))
    reference = None
    if query.normalize == "reference":
        reference = _parsed(lambda: config.reference_scores_from_file(args.logdir))
    found = _ask(
        args.logdir,
        args.pattern,
        lambda reader, ctx: answers.benchmark(reader, ctx, "", query, reference),
    )
    return benchmark_table.render(found, args.format)


# --- explain ---------------------------------------------------------------------------


def _explain_parser(sub: Any) -> None:
    explain_parser = sub.add_parser(
        "explain", help="how one run was read: each field with its rule, and the fix line"
    )
    explain_parser.add_argument("logdir", help="the TensorBoard log directory")
    explain_parser.add_argument("run", help="the run, as TensorBoard names it (a/b/train)")
    explain_parser.add_argument(
        "--pattern", action="append", default=[], metavar="REGEX", help="run-name pattern"
    )
    explain_parser.add_argument("--format", choices=("text", "json"), default="text")


def explain(logdir: str, run: str, *, patterns: Sequence[str] = (), fmt: str = "text") -> str:
    """How ``run`` of ``logdir`` was read: `/runs`' ``read`` of it (`tb_plugin.provenance`),
    as text (one line per field with its rule, then the fix line) or as that JSON.

    Raises:
      CliError: A missing directory, no runs, a bad pattern, or no run of that name (the
        message lists a few run names).
    """
    import json

    from tb_plugin import answers, provenance, queries

    _check_directory(logdir, "no such directory", loader=True)
    body = _ask(
        logdir, patterns, lambda reader, ctx: answers.runs(reader, ctx, "", queries.RunsQuery())
    )
    found = {r["run"]: r for r in body["runs"]}
    wanted = run.strip("/") or "."
    if wanted not in found:
        some = ", ".join(sorted(found)[:5])
        raise CliError(f"no run named {wanted!r} under {logdir} (runs: {some}, ...)", EXIT_NO_RUNS)
    read = found[wanted]["read"]
    if fmt == "json":
        return json.dumps(read, indent=2, default=str) + "\n"
    return provenance.explain_text(read, wanted)


if __name__ == "__main__":
    sys.exit(main())
