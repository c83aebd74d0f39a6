"""`tb-rungroups`: Run Groups in a terminal.

    tb-rungroups ls LOGDIR [--by FIELD,...] [--metric TAG] [--split S]
                           [--reduction R] [--filter TEXT] [--regex RE]
                           [--where FIELD=VALUE ...] [--pattern RE ...]
                           [--format table|csv|json]
    tb-rungroups annotate RUN_DIR [--note TEXT] [--tag T ...] [--status S]

`ls` reads LOGDIR with TensorBoard's own Python loader and answers with the
`/groups` route's own query parser and answer function (`tb_plugin.queries`,
`tb_plugin.answers`), so it prints exactly what the tab and the HTTP API serve
(`--format json` is that route's JSON). `annotate` writes one snapshot
into a run directory with `tb_plugin.writer`. Both exit non-zero with one
clear line on bad input and write nothing then.
"""

from __future__ import annotations

import argparse
import csv
import io
import math
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
    if args.command == "ls" and "://" not in args.logdir:
        # TensorBoard's Python loader imports TensorFlow when it is installed
        # (seconds, and log noise) though a local directory needs none of it;
        # this marker module is how TensorBoard's own no-TF build asks for its
        # pure-Python stub instead.
        sys.modules.setdefault("tensorboard.compat.notf", types.ModuleType("notf"))
    try:
        if args.command == "ls":
            out = ls(
                args.logdir,
                by=args.by,
                metric=args.metric,
                split=args.split,
                reduction=args.reduction,
                text=args.filter,
                regex=args.regex,
                where=args.where,
                patterns=args.pattern,
                fmt=args.format,
            )
        else:
            out = annotate(args.run_dir, note=args.note, tags=args.tag, status=args.status)
    except CliError as e:
        print(f"tb-rungroups: error: {e}", file=sys.stderr)
        return e.code
    sys.stdout.write(out)
    return 0


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
    ls_parser.add_argument("--metric", help="scalar tag to reduce, e.g. epoch_loss")
    ls_parser.add_argument(
        "--split", help="train, validation, eval, test or none (default: validation first)"
    )
    ls_parser.add_argument("--reduction", default="last", help="last (default), min, max or best")
    ls_parser.add_argument("--filter", help="keep trials whose run names contain this text")
    ls_parser.add_argument("--regex", help="keep trials whose run names match this regex")
    ls_parser.add_argument(
        "--where", action="append", default=[], metavar="FIELD=VALUE", help="repeatable"
    )
    ls_parser.add_argument(
        "--pattern", action="append", default=[], metavar="REGEX", help="run-name pattern"
    )
    ls_parser.add_argument("--format", choices=("table", "csv", "json"), default="table")
    annotate_parser = sub.add_parser("annotate", help="add notes, tags or a status to a run")
    annotate_parser.add_argument("run_dir", help="the run's directory")
    annotate_parser.add_argument("--note", help="text appended to the run's notes")
    annotate_parser.add_argument("--tag", action="append", default=[], help="repeatable")
    annotate_parser.add_argument("--status", help="running, finished, failed or interrupted")
    return parser


# --- ls ---------------------------------------------------------------------------------


def ls(
    logdir: str,
    *,
    by: str | None = None,
    metric: str | None = None,
    split: str | None = None,
    reduction: str = "last",
    text: str | None = None,
    regex: str | None = None,
    where: Sequence[str] = (),
    patterns: Sequence[str] = (),
    fmt: str = "table",
) -> str:
    """Groups the runs of `logdir` and renders them as a table, CSV or JSON.

    Raises:
      CliError: A missing directory, no runs, a bad pattern or argument.
    """
    if not os.path.isdir(logdir):
        raise CliError(f"no such directory: {logdir}")
    pairs: list[tuple[str, str]] = [("reduction", reduction)]
    for name, value in (("by", by), ("metric", metric), ("split", split)):
        if value is not None:
            pairs.append((name, value))
    for name, value in (("filter", text), ("regex", regex)):
        if value:
            pairs.append((name, value))
    pairs.extend(("where", w) for w in where)
    answer = _ask_groups(logdir, pairs, patterns)
    if fmt == "json":
        from tb_plugin import answers

        return answers.encode(answer) + "\n"
    header, rows = _rows(answer)
    if fmt == "csv":
        buffer = io.StringIO()
        out = csv.writer(buffer, lineterminator="\n")
        out.writerow(header)
        out.writerows([[_csv_cell(c) for c in row] for row in rows])
        return buffer.getvalue()
    return _table(answer, header, rows)


def _ask_groups(
    logdir: str, pairs: Sequence[tuple[str, str]], patterns: Sequence[str]
) -> dict[str, Any]:
    """Reads `logdir` with TensorBoard's Python loader and answers `/groups` for `pairs`.

    The arguments go through the route's own query (`queries.GroupsQuery`) and
    answer function (`answers.groups`), so the result is the route's JSON.
    """
    from tensorboard import errors
    from tensorboard.backend.event_processing import data_provider, plugin_event_multiplexer
    from tensorboard.context import RequestContext

    from tb_plugin import answers, backend, config, queries

    try:
        query = queries.GroupsQuery.from_args(queries.multidict(pairs))
        compiled = config.patterns_from_flags(
            SimpleNamespace(logdir=logdir, rungroups_pattern=list(patterns))
        )
    except (errors.PublicError, ValueError) as e:
        raise CliError(str(e)) from None
    multiplexer = plugin_event_multiplexer.EventMultiplexer()
    multiplexer.AddRunsFromDirectory(logdir)
    multiplexer.Reload()
    if not multiplexer.Runs():
        raise CliError(f"no TensorBoard runs under {logdir}", EXIT_NO_RUNS)
    provider = data_provider.MultiplexerDataProvider(multiplexer, logdir)
    reader = backend.Backend(provider, compiled)
    try:
        return answers.groups(reader, RequestContext(), "", query)
    except errors.PublicError as e:
        raise CliError(str(e)) from None


def _rows(answer: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    by = answer.get("by") or []
    header = [*(_short(f) for f in by), "runs"]
    with_stats = answer.get("metric") is not None
    if with_stats:
        header += ["mean", "std", "min", "median", "max", "best run"]
    rows = []
    for group in answer.get("groups", []):
        row: list[Any] = [*group["values"], group["size"]]
        stats = group.get("stats")
        if with_stats and stats:
            row += [stats[k] for k in ("mean", "std", "min", "median", "max")]
            row.append(stats.get("best_run") or "")
        rows.append(row)
    return header, rows


def _short(field: str) -> str:
    return field.split(".", 1)[1] if field.startswith("param.") else field


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    if value in ("NaN", "Infinity", "-Infinity"):
        return float(value.replace("Infinity", "inf"))
    return None


def _csv_cell(value: Any) -> Any:
    if value is None:
        return "(none)"
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def _fmt(value: Any) -> str:
    number = _number(value)
    if number is None:
        return _csv_cell(value) if not isinstance(value, str) else value
    if math.isnan(number):
        return "nan"
    if isinstance(value, int):
        return str(value)
    return f"{number:.4g}"


def _table(answer: dict[str, Any], header: list[str], rows: list[list[Any]]) -> str:
    with_stats = answer.get("metric") is not None
    n_by = len(answer.get("by") or [])
    cells = []
    for row in rows:
        shown = [_fmt(c) for c in row[: n_by + 1]]
        if with_stats and len(row) > n_by + 1:
            mean, std = row[n_by + 1], row[n_by + 2]
            shown += [f"{_fmt(mean)} ± {_fmt(std)}", *(_fmt(c) for c in row[n_by + 3 : -1])]
            shown.append(str(row[-1]))
        cells.append(shown)
    head = header[: n_by + 1]
    if with_stats:
        head += ["mean ± std", "min", "median", "max", "best run"]
    widths = [max([len(h), *(len(r[i]) for r in cells if i < len(r))]) for i, h in enumerate(head)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)).rstrip()]
    lines += [
        "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=False)).rstrip() for r in cells
    ]
    runs = sum(g["size"] for g in answer.get("groups", []))
    summary = f"{runs} trial{'s' if runs != 1 else ''} in {len(cells)} group{'s' if len(cells) != 1 else ''}"
    if with_stats:
        summary += (
            f"; {answer['reduction']} {answer['metric']} ({answer.get('split') or 'no split'}),"
            f" {answer['goal']} is best"
        )
    return "\n".join([*lines, summary]) + "\n"


# --- annotate ---------------------------------------------------------------------------


def annotate(
    run_dir: str,
    *,
    note: str | None = None,
    tags: Sequence[str] = (),
    status: str | None = None,
) -> str:
    """Adds a note, tags and/or a status to a run by writing one snapshot.

    The note is appended to the run's notes on a new line; tags are added to
    its tags (once each); the status replaces its status.

    Raises:
      CliError: A missing directory, nothing to add, or invalid values.
    """
    from tb_plugin import metadata, writer

    if not os.path.isdir(run_dir):
        raise CliError(f"no such run directory: {run_dir}")
    if note is None and not tags and status is None:
        raise CliError("nothing to add: give --note, --tag or --status")
    if status is not None and status not in metadata.STATUSES:
        raise CliError(f"--status must be one of {', '.join(metadata.STATUSES)}; got {status!r}")
    try:
        # Appends, adds and sets against the run as it is at the write, under a
        # lock: concurrent annotations and a live trainer lose nothing.
        path = writer.annotate_run(run_dir, note=note, tags=tags, status=status)
    except (TypeError, ValueError) as e:
        raise CliError(str(e)) from None
    return f"annotated {run_dir} ({os.path.relpath(path, run_dir)})\n"


if __name__ == "__main__":
    sys.exit(main())
