"""Warming: the tab's first view is computed in the background, so a click finds it ready.

TensorBoard loads runs in the background and answers our routes on demand; without warming,
a visit to the tab pays for listing the experiment (≈0.3 s at 10,000 runs), parsing new run
names, reading metadata and the default metric's values and series (seconds at 10,000 runs
the first time). A `Warmer` thread lists the default experiment (a plain ``--logdir``) every
`interval` seconds and asks the very answers the tab's first view asks (`/fields`, `/tags`,
`/runs` without how each run was read: `FIRST_VIEW_RUNS`, and `/groups` with its chart and
sparklines: `FIRST_VIEW_GROUPS`) whenever the listing or the default metric's points
changed. The answers are memoised per view (`answers.*_encoded`), so the tab's requests
find them.

Freshness: while the thread runs and a listing costs more than `CHEAP_LISTING`, requests
reuse its listing instead of listing themselves (`backend.Backend.keep_fresh`, `reuse`), so
an answer reflects TensorBoard's data as of at most about
two of the thread's periods ago (10 s by default while data arrive; TensorBoard itself reads
new events every ``--reload_interval``, 5 s by default), and never more than `MAX_REUSE`;
without the thread, as of at most `backend.LISTING_TTL`. Listing and computing are budgeted
apart. The period grows with the cost of a listing, so listing takes at most `MAX_BUSY` of
one core (10,000 runs: ~0.3 s per 5 s), or up to `MAX_BUSY_FRESH` where that keeps the
listing younger than `MAX_REUSE`, and grows rarer while nothing changes (`MAX_BUSY_IDLE`;
all in `period`). A pass computes the first view only when something changed and at most
`MAX_BUSY` of a core has gone to computing; otherwise it only lists, and a request computes
what changed for itself.

Start: the first pass runs at once, after importing what the first view computes with
(`_preload`), and passes come every `FIRST_RUNS_INTERVAL` until the experiment has runs, so
the first view is being computed by the time a user who started TensorBoard opens the tab.
The answers it computes are also the last answers the tab's first requests fall back on,
marked stale, while fresh ones are computed (`tb_plugin.refresh`).

The thread is a daemon, logs and carries on after any error (requests then list for
themselves until a pass succeeds), and is off when the TensorBoard flag
``--rungroups_warm_interval`` is 0.
"""

from __future__ import annotations

import logging
import threading
import time
import urllib.parse
from typing import Any

from tensorboard.context import RequestContext

from tb_plugin import answers, backend, queries

logger = logging.getLogger(__name__)

DEFAULT_INTERVAL = 5.0
"""Seconds between two passes (TensorBoard reloads every 5 s by default)."""

MAX_BUSY = 0.1
"""Fraction of a core listing takes at most, as a rule (the period is at least 1 / MAX_BUSY
times the last listing's cost), and computing the first view takes at most (`Warmer`)."""

MAX_BUSY_FRESH = 0.25
"""Fraction of a core listing may take when that keeps the listing reusable (`period`)."""

MAX_BUSY_IDLE = 0.02
"""Fraction of the time listing takes at most while nothing changes, as long as the listing
stays reusable (`period`). Under TensorBoard's Python loader a listing is pure Python and
holds the GIL: a tab opened during one waits for it (10,000 runs: ≈0.5 s of CPU in the
warming thread, counted ×2 for the pool, and opens of 0.3–1 s instead of 0.05 s)."""

FIRST_RUNS_INTERVAL = 0.1
"""Seconds between two passes while the experiment has no run yet (a listing of nothing
costs milliseconds): the first view is computed within this of TensorBoard listing the
first runs, which is when a user who has just started TensorBoard opens the tab. (0.5 s
was too slow: the Rust data server lists 10,000 runs over ≈0.7 s, and a pass that came
late computed the first view of its first 2,000 while the tab, opened once all were
listed, had nothing computed to show: 1 of 5 cold opens took 1.3 s instead of 0.1 s.)"""

MAX_REUSE = 30.0
"""Seconds a request may reuse the warmer's listing at most, however long its passes take
(TensorBoard's own tabs refresh every 30 s): past it, a request lists for itself."""

CHEAP_LISTING = 0.05
"""Seconds (wall time) below which a listing is not worth reusing (`reuse`): a request that
lists for itself waits about that long, and its answer is as fresh as TensorBoard's."""

FIRST_VIEW_GROUPS = (
    "auto_metric=true&chart_groups=5&chart_points=500&smoothing=0.6&sparklines=50"
    "&sparkline_points=40"
)
"""The query string of the tab's first `/groups` request in its default state (built by
frontend/app.js's `firstViewCurves`; tests/test_browser_tab.py checks they agree)."""


FIRST_VIEW_RUNS = "read=false"
"""The query string of the tab's `/runs` request (frontend/api.js's `fetchRuns`): without each
run's ``read``, which the run panel takes from `/run` (half of `/runs`' text, ≈4 MB of JSON
at 10,000 runs that the tab's first view would parse for nothing)."""


def first_view_runs_query() -> queries.RunsQuery:
    """`FIRST_VIEW_RUNS` parsed as the route parses it."""
    return queries.RunsQuery.from_args(_args(FIRST_VIEW_RUNS))


def first_view_query() -> queries.GroupsQuery:
    """`FIRST_VIEW_GROUPS` parsed as the route parses it."""
    return queries.GroupsQuery.from_args(_args(FIRST_VIEW_GROUPS))


def _args(query_string: str) -> queries.Args:
    """A query string as a route's ``request.args``."""
    return queries.multidict(urllib.parse.parse_qsl(query_string))


def period(interval: float, took: float, busy: float | None = None, idle: bool = False) -> float:
    """Seconds the warmer waits after a pass that took `took` seconds (wall time, listing and
    computing), whose listing cost `busy` seconds of CPU (default: `took`), and that found
    nothing changed if `idle`.

    `interval`, or 1 / `MAX_BUSY` times `busy` when that is longer. But requests reuse a
    listing only while it is younger than `MAX_REUSE`, and the next one lands a period and
    a pass later (about two passes, counting the one being waited out): when the 10% rule
    would leave that gap (a listing costing over ≈2.5 s), the period is shortened to close
    it, as long as listing then takes at most `MAX_BUSY_FRESH` of a core. Costlier listings
    keep the 10% rule; requests then list for themselves once the listing is too old. While
    nothing changes, the period grows to 1 / `MAX_BUSY_IDLE` times `busy`, up to the longest
    that keeps the listing reusable (10,000 runs under the Python loader: `busy` ≈1 s,
    `took` ≈2 s, every 10 s while data arrive, every 26 s while idle): new data then show
    up that much late, never later than `MAX_REUSE`.
    """
    busy = took if busy is None else busy
    wait = max(interval, busy / MAX_BUSY)
    fresh = MAX_REUSE - 2 * took
    if wait > fresh and fresh >= interval and busy <= MAX_BUSY_FRESH * (fresh + took):
        return fresh
    if idle:
        return max(wait, min(fresh, busy / MAX_BUSY_IDLE))
    return wait


def reuse(wait: float, took: float, listing: float) -> float | None:
    """Seconds requests may reuse the listing of a pass that took `took` seconds (wall
    time), whose listing took `listing` seconds (wall time: what a request listing for
    itself would wait, CPU or not: the Rust data server's listing is mostly waiting for
    its answers), before a period of `wait`: None (`backend.LISTING_TTL`, as without a
    warmer) when the listing is quicker than `CHEAP_LISTING`, else about two passes and a
    period, at most `MAX_REUSE`.

    Reusing a cheap listing saves a request nothing and costs freshness: under
    TensorBoard's Python loader a pass made between the listing of a run and the loading
    of its events (its hparams, its metric) would have every answer miss them for two
    periods (10 s), a view the tab does not mark as refreshing.
    """
    if listing < CHEAP_LISTING:
        return None
    # A listing is at most this pass, a period and the next pass old: twice that leaves
    # room for a next pass slower than this one.
    return min(2 * (wait + took), MAX_REUSE)


def _preload() -> None:
    """Imports what the first view computes with and the plugin's import leaves out
    (TensorBoard's start-up must not pay for scipy): ≈0.4 s the first `/groups` of a
    fresh TensorBoard otherwise waits for."""
    import scipy.special  # noqa: F401


class Warmer:
    """A daemon thread that keeps the tab's first view computed (see the module docstring)."""

    def __init__(self, reader: backend.Backend, interval: float = DEFAULT_INTERVAL):
        self._backend = reader
        self._interval = interval
        self._stop = threading.Event()
        self._seen: tuple[Any, ...] | None = None
        # Monotonic time before which a pass only lists (`_loop`); the last pass's CPU
        # seconds of listing and of computing, its listing's wall time, and whether it
        # found something changed.
        self._compute_after = 0.0
        self._listing_busy = 0.0
        self._listing_took = 0.0
        self._computing_cost = 0.0
        self._changed = True
        self._empty = True
        self.warmed = 0
        """How many times the first view was computed (for tests)."""
        self._thread = threading.Thread(target=self._loop, name="rungroups-warm", daemon=True)

    def start(self) -> Warmer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._backend.keep_fresh("", None)

    def _loop(self) -> None:
        _preload()
        wait = 0.0
        while not self._stop.wait(wait):
            started = time.monotonic()
            try:
                computed = self.warm_once(compute=started >= self._compute_after)
            except Exception:  # noqa: BLE001 - a warming failure must never stop TensorBoard
                logger.warning("Run Groups: warming the first view failed", exc_info=True)
                self._backend.keep_fresh("", None)  # requests list for themselves
                wait = self._interval
                continue
            ended = time.monotonic()
            took = ended - started
            # Listing and computing are budgeted apart. The listing recurs every pass and
            # keeps requests from listing for themselves: its cost sets the period. The
            # first view is computed only when something changed, at most `MAX_BUSY` of a
            # core: a pass made while TensorBoard's Python loader loads 10,000 runs
            # computes for ≈13 s of CPU, and a period of ten times that (as when one
            # budget covered both) left requests listing for themselves for minutes
            # after loading ended, while a listing there costs ≈0.5 s.
            wait = period(self._interval, took, self._listing_busy, idle=not self._changed)
            if self._empty:
                wait = min(wait, FIRST_RUNS_INTERVAL)
            if computed:
                self._compute_after = ended + self._computing_cost / MAX_BUSY
            if not self._stop.is_set():
                self._backend.keep_fresh("", reuse(wait, took, self._listing_took))

    def warm_once(self, compute: bool = True) -> bool:
        """Lists the experiment and computes the first view if it or its metric changed
        (and `compute`; otherwise requests find a fresh listing and compute for
        themselves).

        Returns:
          Whether it computed anything.
        """
        ctx = RequestContext()
        b = self._backend
        started, started_cpu = time.monotonic(), time.thread_time()
        view = b.view(ctx, "", max_age=0)
        # CPU, not wall time, is what the budgets bound: while TensorBoard's Python loader
        # loads, a listing waits for the GIL most of its time. The listing calls run half
        # in this thread and half in the pool beside it: ×2.
        took = time.monotonic() - started
        self._listing_busy = min(took, 2 * (time.thread_time() - started_cpu))
        self._listing_took = took
        self._computing_cost = 0.0
        self._empty = not view.records
        if not view.records:
            self._changed = False
            return False
        # Every answer below from the listing just taken (or a newer one another thread took).
        with b.reusing_listing():
            query = first_view_query()
            groups_query = answers.with_auto_metric(view, query)
            listed = answers.listing_key(b, ctx, "", view, groups_query)
            # The view itself (not its id, which a new view may reuse once the old is freed).
            seen = (view, listed)
            self._changed = seen != self._seen
            if not self._changed or not compute:
                return False
            started, started_cpu = time.monotonic(), time.thread_time()
            answers.fields_encoded(b, ctx, "", queries.FieldsQuery())
            answers.tags_encoded(b, ctx, "", queries.TagsQuery())
            answers.runs_encoded(b, ctx, "", first_view_runs_query())
            answers.groups_encoded(b, ctx, "", query)
        self._seen = seen
        self.warmed += 1
        backend.release_free_memory()  # what computing the answers allocated and freed
        self._computing_cost = time.thread_time() - started_cpu
        logger.info(
            "Run Groups: first view of %d runs warmed in %.2f s",
            len(view.records),
            time.monotonic() - started,
        )
        return True
