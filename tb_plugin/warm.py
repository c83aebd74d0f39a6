"""Warming: the tab's first view is computed in the background, so the first click finds it ready.

TensorBoard loads runs in the background and answers our routes on demand; without warming,
the first visit to the tab pays for parsing every run name, reading every run's metadata,
listing the scalars and reading the default metric's values and series (seconds at 10,000
runs). A `Warmer` thread asks the same answer functions the tab's first view asks
(`/fields`, `/runs`, `/groups` for the default metric, its sparklines from `/curves`;
`/tags` is read from the view and has nothing to warm) for the default experiment (a plain ``--logdir``), whenever the experiment's
listing or the default metric's listing changed since it last did, at most every
`interval` seconds. It only fills the caches the routes use (bounded, see `backend`), so an
answer is never older than it would be without it: every request still checks freshness.

The thread is a daemon, does nothing while nothing changes but list the experiment (and looks
less often the longer nothing changes, up to once a minute), logs and carries on after any
error, and is off when the TensorBoard flag ``--rungroups_warm_interval`` is 0.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from tensorboard.context import RequestContext

from tb_plugin import aggregate, answers, backend, queries

logger = logging.getLogger(__name__)

DEFAULT_INTERVAL = 5.0
"""Seconds between two checks for changes (TensorBoard reloads every 5 s by default)."""

MAX_INTERVAL = 60.0
"""Seconds between checks after a long time without changes (the interval doubles per quiet
check up to this, and drops back when something changed)."""

SPARKLINE_POINTS = 40
"""`max_points` of the tab's sparklines (frontend/api.js asks the same)."""


class Warmer:
    """A daemon thread that keeps the tab's first view computed (see the module docstring)."""

    def __init__(self, reader: backend.Backend, interval: float = DEFAULT_INTERVAL):
        self._backend = reader
        self._interval = interval
        self._stop = threading.Event()
        self._seen: tuple[Any, ...] | None = None
        self.warmed = 0
        """How many times the first view was computed (for tests)."""
        self._thread = threading.Thread(target=self._loop, name="rungroups-warm", daemon=True)

    def start(self) -> Warmer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def _loop(self) -> None:
        wait = self._interval
        while not self._stop.wait(wait):
            changed = True
            try:
                changed = self.warm_once()
            except Exception:  # noqa: BLE001 - a warming failure must never stop TensorBoard
                logger.warning("Run Groups: warming the first view failed", exc_info=True)
            # Nothing new: look less often (each look lists the experiment), up to a minute.
            wait = self._interval if changed else min(wait * 2, max(self._interval, MAX_INTERVAL))

    def warm_once(self) -> bool:
        """Computes the first view if the experiment or its default metric changed.

        Returns:
          Whether it computed anything.
        """
        ctx = RequestContext()
        b = self._backend
        view = b.view(ctx, "")
        if not view.records:
            return False
        metric = aggregate.default_metric(sorted(view.metrics))  # as /tags says it
        listed = b.list_tag(ctx, "", metric) if metric is not None else {}
        # The view itself (not its id, which a new view may reuse once the old is freed).
        seen = (view, metric, tuple(sorted(listed.items())))
        if seen == self._seen:
            return False
        started = time.monotonic()
        answers.fields(b, ctx, "", queries.FieldsQuery())
        answers.runs_encoded(b, ctx, "", queries.RunsQuery())
        if metric is not None:
            spec = queries.MetricSpec(metric, aggregate.parse_reduction("last"))
            answers.groups(b, ctx, "", queries.GroupsQuery(metrics=(spec,)))
            answers.curves(
                b,
                ctx,
                "",
                queries.CurvesQuery(metric=metric, max_points=SPARKLINE_POINTS, sparkline=True),
            )
        self._seen = seen
        self.warmed += 1
        logger.info(
            "Run Groups: first view of %d runs warmed in %.2f s",
            len(view.records),
            time.monotonic() - started,
        )
        return True
