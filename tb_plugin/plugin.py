"""The Run Groups TensorBoard plugin: routes only.

Routes (documented with examples in `http_api.md`), under
`/data/plugin/rungroups`:

* `/runs` — every run with its parsed name, merged metadata and status;
* `/metadata?run=R` — one run's merged metadata, exactly as stored;
* `/fields` — every grouping field with its distinct values, and the default grouping;
* `/tags` — scalar tags and the splits that have them;
* `/groups` — trials grouped by fields, filtered, with statistics of a metric;
* `/curves` — each group's mean curve of a metric, aligned by step;
* `/export?format=F` — `/groups` as CSV, JSON, Markdown or LaTeX (the tab's exports);
* `/run?run=R` — one run in detail;
* `/effects` — which fields move a metric, with intervals, above seed noise (SPEC §5b);
* `/benchmark?task=FIELD` — methods compared across tasks (aggregates, profiles, ranks);
* `/edit` and `POST /annotate` — editing notes, tags and status from the tab
  (off unless `--rungroups_allow_edit`; see `tb_plugin.editing`);
* `/report` — the view as one self-contained HTML file, a download (`tb_plugin.report`);
* `/static/*` — the tab's ES modules and styles, from an allow-list.

Each `_serve_*` handler parses its arguments into a typed query
(`tb_plugin.queries`) and responds with an answer function
(`tb_plugin.answers`, over `tb_plugin.backend`, which reads and caches); the
`tb-rungroups` command line calls the same queries and answers.
"""

from __future__ import annotations

import os
from typing import Any

from tensorboard import errors, plugin_util
from tensorboard.backend import http_util
from tensorboard.context import RequestContext
from tensorboard.plugins import base_plugin
from werkzeug import wrappers

from tb_plugin import (
    annotation_files,
    answers,
    backend,
    config,
    editing,
    export,
    metadata,
    queries,
    refresh,
    report,
    warm,
)

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
        # The log directory (TBContext's own, else the flag): names the report, holds
        # rungroups.json's reference scores and the annotations the tab may write.
        self._logdir = (
            getattr(context, "logdir", None) or getattr(context.flags, "logdir", "") or ""
        )
        self._static = _load_static_files(_frontend_dir())
        self._backend = backend.Backend(
            self._data_provider, self._patterns, getattr(context, "logdir", None)
        )
        # Only TensorBoard's own start-up (through RunGroupsLoader) defines the flag; a
        # TBContext built by hand (tests, the CLI) warms nothing unless it asks to.
        interval = getattr(context.flags, "rungroups_warm_interval", 0) or 0
        self._warmer = None
        stale_wait = getattr(context.flags, "rungroups_stale_wait", None)
        if stale_wait is not None:
            self._backend.refresher = refresh.Refresher(stale_wait)
        if self._data_provider is not None and interval > 0:
            self._warmer = warm.Warmer(self._backend, interval).start()
        # Editing from the tab (`POST /annotate`): off unless the flag says so.
        self._allow_edit = bool(getattr(context.flags, "rungroups_allow_edit", False))
        self._edit_token = editing.new_token()
        self._edit_hosts = editing.allowed_hosts(getattr(context.flags, "host", None))

    def get_plugin_apps(self) -> dict[str, Any]:
        return {
            route: wrappers.Request.application(handler)
            for route, handler in (
                ("/runs", self._serve_runs),
                ("/metadata", self._serve_metadata),
                ("/fields", self._serve_fields),
                ("/tags", self._serve_tags),
                ("/groups", self._serve_groups),
                ("/curves", self._serve_curves),
                ("/export", self._serve_export),
                ("/effects", self._serve_effects),
                ("/run", self._serve_run),
                ("/benchmark", self._serve_benchmark),
                ("/edit", self._serve_edit),
                ("/annotate", self._serve_annotate),
                ("/report", self._serve_report),
                (_STATIC_PREFIX + "*", self._serve_static),
            )
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

    # --- HTTP -----------------------------------------------------------------------------
    # Each handler parses its query (`tb_plugin.queries`, 400 on bad arguments)
    # and responds with an answer function (`tb_plugin.answers`). TensorBoard
    # turns its public errors into 400/404 and anything else into a logged 500.

    def _serve_runs(self, request: wrappers.Request) -> wrappers.Response:
        ctx, experiment = _context(request)
        query = queries.RunsQuery.from_args(request.args)
        return self._respond_first_view(
            request,
            refresh.key("runs", experiment, query),
            lambda: answers.runs_encoded(self._backend, ctx, experiment, query),
        )

    def _serve_metadata(self, request: wrappers.Request) -> wrappers.Response:
        ctx, experiment = _context(request)
        query = queries.RunQuery.from_args(request.args)
        recorded = answers.metadata_of_run(self._backend, ctx, experiment, query)
        # Sent as the stored JSON text, not through json_util.Cleanse, so NaN,
        # infinities and large integers read back exactly (see http_api.md).
        return http_util.Respond(request, metadata.dumps(recorded), "application/json")

    def _serve_fields(self, request: wrappers.Request) -> wrappers.Response:
        ctx, experiment = _context(request)
        query = queries.FieldsQuery.from_args(request.args)
        return self._respond_first_view(
            request,
            refresh.key("fields", experiment, query),
            lambda: answers.fields_encoded(self._backend, ctx, experiment, query),
        )

    def _serve_tags(self, request: wrappers.Request) -> wrappers.Response:
        ctx, experiment = _context(request)
        query = queries.TagsQuery.from_args(request.args)
        return self._respond_first_view(
            request,
            refresh.key("tags", experiment, query),
            lambda: answers.tags_encoded(self._backend, ctx, experiment, query),
        )

    def _serve_groups(self, request: wrappers.Request) -> wrappers.Response:
        ctx, experiment = _context(request)
        query = queries.GroupsQuery.from_args(request.args)
        if query.curves is None:
            # A table the user asked for (a regrouping, a filter): computed per request
            # (tens of ms at 10,000 runs), so the memo keeps the first view's answer.
            return _respond(request, answers.groups(self._backend, ctx, experiment, query))
        return self._respond_first_view(
            request,
            refresh.key("groups", experiment, query),
            lambda: answers.groups_encoded(self._backend, ctx, experiment, query),
        )

    def _respond_first_view(
        self, request: wrappers.Request, key: tuple[Any, ...], compute: Any
    ) -> wrappers.Response:
        """A memoised first-view answer; with ``allow_stale=true``, the last one if the
        fresh one takes longer than `refresh.STALE_WAIT`, marked stale (`tb_plugin.refresh`)."""
        allow_stale = queries.allow_stale(request.args)
        body, age = self._backend.refresher.answer(key, compute, allow_stale)
        response = _respond_encoded(request, body)
        if age is not None:
            response.headers[refresh.STALE_HEADER] = f"{age:.1f}"
        return response

    def _serve_curves(self, request: wrappers.Request) -> wrappers.Response:
        ctx, experiment = _context(request)
        query = queries.CurvesQuery.from_args(request.args)
        return _respond(request, answers.curves(self._backend, ctx, experiment, query))

    def _serve_export(self, request: wrappers.Request) -> wrappers.Response:
        ctx, experiment = _context(request)
        fmt = queries.ExportQuery.from_args(request.args).format
        answer = answers.groups(
            self._backend, ctx, experiment, queries.GroupsQuery.from_args(request.args)
        )
        body = export.render(answer, fmt)
        return http_util.Respond(request, body, export.CONTENT_TYPES[fmt])

    def _serve_run(self, request: wrappers.Request) -> wrappers.Response:
        ctx, experiment = _context(request)
        query = queries.RunQuery.from_args(request.args)
        return _respond(request, answers.run(self._backend, ctx, experiment, query))

    def _serve_effects(self, request: wrappers.Request) -> wrappers.Response:
        ctx, experiment = _context(request)
        query = queries.EffectsQuery.from_args(request.args)
        return _respond(request, answers.effects(self._backend, ctx, experiment, query))

    def _serve_benchmark(self, request: wrappers.Request) -> wrappers.Response:
        ctx, experiment = _context(request)
        query = queries.BenchmarkQuery.from_args(request.args)
        reference = None
        if query.normalize == "reference":
            try:
                reference = config.reference_scores_from_file(self._logdir)
            except ValueError as e:
                raise errors.InvalidArgumentError(str(e)) from None
        return _respond(
            request, answers.benchmark(self._backend, ctx, experiment, query, reference)
        )

    def _serve_edit(self, request: wrappers.Request) -> wrappers.Response:
        # The tab's own page reads its write token here: a page of another origin
        # cannot read this answer (no CORS), and a rebinding host is refused.
        enabled = self._allow_edit and bool(self._logdir)
        if enabled and not editing.host_allowed(request.host, self._edit_hosts):
            enabled = False
        body = {"allowed": enabled, "token": self._edit_token if enabled else None}
        response = _respond(request, body)
        response.headers["Cache-Control"] = "no-store"
        return response

    def _serve_annotate(self, request: wrappers.Request) -> wrappers.Response:
        try:
            editing.check_request(
                enabled=self._allow_edit and bool(self._logdir),
                token=self._edit_token,
                hosts=self._edit_hosts,
                method=request.method,
                content_type=request.headers.get("Content-Type"),
                origin=request.headers.get("Origin"),
                host=request.headers.get("Host"),
                scheme=request.scheme,
                sent_token=request.headers.get(editing.TOKEN_HEADER),
            )
        except editing.Forbidden as e:
            raise errors.PermissionDeniedError(str(e)) from None
        ctx, experiment = _context(request)
        try:
            # Read at most one byte over the limit: a larger body is refused unread.
            changes = editing.parse_body(request.stream.read(editing.MAX_BODY_BYTES + 1))
        except ValueError as e:
            raise errors.InvalidArgumentError(str(e)) from None
        view = self._backend.view(ctx, experiment)
        # Any run TensorBoard lists, and any directory above one (a trial whose
        # train/ and validation/ hold the events).
        known = set(annotation_files.candidates(r.run for r in view.records))
        try:
            answer = editing.apply(self._logdir, changes, known.__contains__)
        except LookupError as e:
            raise errors.NotFoundError(str(e)) from None
        except (TypeError, ValueError, OSError) as e:
            raise errors.InvalidArgumentError(str(e)) from None
        finally:
            # The next request reads the runs again, written or half written.
            self._backend.expire(experiment)
        return http_util.Respond(request, metadata.dumps(answer), "application/json")

    def _serve_report(self, request: wrappers.Request) -> wrappers.Response:
        ctx, experiment = _context(request)
        query = report.ReportQuery.from_args(request.args)
        body = report.build(self._backend, ctx, experiment, query, logdir=self._logdir)
        disposition = f'attachment; filename="{report.filename(self._logdir)}"'
        return http_util.Respond(
            request, body, "text/html", headers=[("Content-Disposition", disposition)]
        )

    def _serve_static(self, request: wrappers.Request) -> wrappers.Response:
        _, _, name = request.path.partition(f"/data/plugin/{metadata.PLUGIN_NAME}{_STATIC_PREFIX}")
        found = self._static.get(name)
        if found is None:
            raise errors.NotFoundError("no such static file")
        content, content_type = found
        return http_util.Respond(request, content, content_type)


# --- helpers --------------------------------------------------------------------------------


def _respond(request: wrappers.Request, body: Any) -> wrappers.Response:
    return http_util.Respond(request, answers.encode(body), "application/json")


def _respond_encoded(request: wrappers.Request, gzipped: bytes) -> wrappers.Response:
    """Sends a memoised answer (`answers.compress`) as is; `Respond` inflates it for a
    client that does not accept gzip."""
    return http_util.Respond(request, gzipped, "application/json", content_encoding="gzip")


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
    """Defines the `--rungroups_pattern`, `--rungroups_warm_interval`,
    `--rungroups_stale_wait` and `--rungroups_allow_edit` flags, loads the plugin."""

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
        parser.add_argument(
            "--rungroups_warm_interval",
            metavar="SECONDS",
            type=float,
            default=warm.DEFAULT_INTERVAL,
            help="Run Groups: how often (seconds) to check for new data and compute the "
            "tab's first view in the background, so the first visit finds it ready; "
            "0 turns warming off.",
        )
        parser.add_argument(
            "--rungroups_stale_wait",
            metavar="SECONDS",
            type=float,
            default=refresh.STALE_WAIT,
            help="Run Groups: how long (seconds) the tab's first requests wait for a fresh "
            "answer before they show the last one, marked refreshing, while the fresh one "
            "is computed (0: never wait).",
        )
        parser.add_argument(
            "--rungroups_allow_edit",
            action="store_true",
            default=False,
            help="Run Groups: let the tab change runs' notes, tags and status (written "
            "into the log directory as `tb-rungroups annotate` does). Off by default; "
            "writes need the tab's token, a JSON body and this server's own Origin.",
        )

    def fix_flags(self, flags: Any) -> None:
        try:
            config.patterns_from_flags(flags)
        except ValueError as e:
            raise base_plugin.FlagsError(str(e)) from None
        interval = getattr(flags, "rungroups_warm_interval", 0)
        if interval is not None and not 0 <= interval <= 86400:
            raise base_plugin.FlagsError(
                f"--rungroups_warm_interval must be between 0 and 86400 seconds, got {interval}"
            )
        stale_wait = getattr(flags, "rungroups_stale_wait", None)
        if stale_wait is not None and not 0 <= stale_wait <= 3600:
            raise base_plugin.FlagsError(
                f"--rungroups_stale_wait must be between 0 and 3600 seconds, got {stale_wait}"
            )

    def load(self, context: base_plugin.TBContext) -> RunGroupsPlugin:
        return RunGroupsPlugin(context)
