"""The work behind the plugin's routes: reading, caching, filtering, grouping.

`Backend` reads through a TensorBoard `DataProvider` only and hands plain data
to the pure core (`tb_plugin.grouping`). `plugin.py` validates arguments and
responds; everything here takes already-parsed values and raises `ValueError`
for bad ones and `LookupError` for unknown runs or tags (the plugin turns them
into TensorBoard's 400 and 404).

Caching (all per experiment id, all safe to drop at any time, all bounded):

* **Runs, names and units.** A request lists the experiment unless another did
  less than `LISTING_TTL` ago (requests that arrive together wait for one
  listing): `list_runs`, three `list_tensors` (our snapshots, HParams sessions
  and experiment configs) and one `list_scalars` over every run, side by
  side. Their fingerprint (a digest of the run names and start times, each
  metadata series' `max_step`, `max_wall_time` and plugin content, each run's
  scalar tags and the configs) keys an `ExperimentView` holding the records,
  parsed names, trial units, metric index, fields and the default grouping; the
  scalar listing is kept as a few arrays per tag (`ScalarListing`). Only a changed
  fingerprint costs a `read_tensors` and a rebuild. Parsed names are kept
  across rebuilds (names never change meaning), so a new run costs one parse.
  At most `MAX_VIEWS` experiments and `MAX_VIEW_RUNS` runs are kept.
* **Annotations** (state files, `tb_plugin.annotation_files`): read from the
  log directory beside the listing, one ``lstat`` per run and ancestor, each
  directory's files read again only when its mtime moved; part of the
  fingerprint. A listing waits at most `SCAN_WAIT` for this scan and the link scan
  (`_LatestScan`), else takes the last scans' results.
* **Scalar series** (for `min`/`max`/`best`, `mean_last_k`, `at_best` and
  curves). Keyed on experiment and tag, per run; each request takes the tag's
  `max_step`/`max_wall_time` per run from the fresh listing (or one
  `list_scalars`), and of the runs it needs only those whose listing moved, or
  that are new, are read, with `read_scalars` calls of about `READ_BATCH_POINTS`
  points each (one call for most tags; one call per run under TensorBoard's Python
  loader, `_is_python_loader` says why). At most
  `_SERIES_CACHE_SIZE` tags and `MAX_SERIES_POINTS` points are kept.
* **Last values** (`reduction=last`): the same, per run, with
  `read_last_scalars` for the runs whose listing moved (one call; one per run under
  TensorBoard's Python loader).
* **Stale status** depends on the clock: the last event times of trials
  recorded as `running` come from the listing (or one `list_scalars` over
  their runs) and are reused for `STALE_TTL` seconds; nothing when none runs.
"""

from __future__ import annotations

import collections
import concurrent.futures
import contextlib
import ctypes
import dataclasses
import hashlib
import math
import re
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, Protocol, TypeAlias

import numpy as np
from tensorboard.data import provider
from tensorboard.plugins.hparams import metadata as hparams_metadata

from tb_plugin import annotation_files, caches, data, grouping, layout, links, naming, refresh

SCALARS_PLUGIN = "scalars"

DEFAULT_STALE_AFTER = 3600.0
"""Seconds after its last event (scalar or metadata) at which a `running` trial is `stale`."""

SERIES_DOWNSAMPLE = 1000
"""Points read per scalar series: both loaders keep 1,000 scalars per series by default."""

DEFAULT_MAX_POINTS = 500
"""Default cap on the points of one group curve."""

SPLIT_PREFERENCE = ("validation", "eval", "test", None, "train")
"""The split a metric is read from when the request names none: the first that has the tag
(then any other split, in name order)."""

NO_SPLIT = "none"
"""How a request names the runs without a split (`split=none`)."""

_SERIES_CACHE_SIZE = 8

# Inside Backend, `provider` names its property: annotations use this alias.
_RunTagFilter: TypeAlias = provider.RunTagFilter

# Listing calls made side by side (threads start on first use; at most this many).
_LISTING_POOL = concurrent.futures.ThreadPoolExecutor(max_workers=4, thread_name_prefix="rungroups")
# Annotation scans wait on a listing of _LISTING_POOL: a pool of their own never
# takes the workers that listing needs.
_SCAN_POOL = concurrent.futures.ThreadPoolExecutor(
    max_workers=2, thread_name_prefix="rungroups-scan"
)


def _scan(
    scanner: annotation_files.Scanner, listing_call: concurrent.futures.Future[data.Listing]
) -> annotation_files.Scan:
    return scanner.scan(r.run_name for r in listing_call.result().runs)


def _scan_links(
    scanner: links.LinkScanner, listing_call: concurrent.futures.Future[data.Listing]
) -> dict[str, str]:
    return scanner.scan(r.run_name for r in listing_call.result().runs)


SCAN_WAIT = 1.0
"""Seconds a listing waits for the log directory scans it started (annotations, links)
before it goes on with the last scans' results (`_LatestScan`)."""


class _LatestScan:
    """A scan of the log directory (annotations, links) that a listing waits for at most
    `SCAN_WAIT` seconds, taking the last completed scan's result past that.

    Why: the scans make a system call or two per run; under TensorBoard's Python loader,
    while it reads points after listing the runs, its thread holds the GIL almost all the
    time (98.6% of samples, 10,000 runs) and each call waits up to the interpreter's switch
    interval to take the GIL back: a scan of 10,000 runs that takes 0.3 s alone took over
    20 s, and every listing, so every answer, waited for it. A scan still running goes on
    in the background; the next listing takes its result. The first scan, and the first
    after `force`, are waited for whatever they take (nothing older is there to show, or
    a write from the tab must show). Thread-safe.
    """

    def __init__(self, scan: Callable[[concurrent.futures.Future[data.Listing]], Any]):
        self._scan = scan
        self._lock = threading.Lock()
        self._running: concurrent.futures.Future[Any] | None = None
        self._done: tuple[Any] | None = None  # (result,) of the last completed scan
        self._force = False

    def force(self) -> None:
        """Makes the next `result` wait for a scan started after this call."""
        with self._lock:
            self._force = True

    def begin(
        self, listing_call: concurrent.futures.Future[data.Listing]
    ) -> tuple[concurrent.futures.Future[Any], tuple[Any] | None]:
        """Starts scanning the runs of `listing_call`, unless a scan is running; for `end`."""
        with self._lock:
            running = self._running
            if self._force or running is None or running.done():
                running = self._running = _SCAN_POOL.submit(self._scan, listing_call)
                fresh = True
            else:
                fresh = False
            done = None if self._force else self._done
            self._force = False
        if fresh:
            running.add_done_callback(self._finished)
        return running, done

    @staticmethod
    def end(begun: tuple[concurrent.futures.Future[Any], tuple[Any] | None]) -> Any:
        """The scan's result, or the last completed scan's when it takes over `SCAN_WAIT`."""
        running, done = begun
        if done is None:
            return running.result()
        try:
            return running.result(timeout=SCAN_WAIT)
        except concurrent.futures.TimeoutError:
            return done[0]

    def _finished(self, future: concurrent.futures.Future[Any]) -> None:
        if future.exception() is None:
            with self._lock:
                self._done = (future.result(),)


MAX_SERIES_POINTS = 16_000_000
"""Scalar points (16 bytes each) the series cache keeps over all tags and experiments."""

MAX_VIEWS = 4
"""Experiments whose view is cached. A plain `--logdir` answers any experiment id a
client names, so without a bound each new id would keep a view forever."""

MAX_VIEW_RUNS = 200_000
"""Runs over all cached views (about 1 KB each); the newest view is always kept."""
_NAME_CACHE_SIZE = 200_000
_NAME_CACHE_CHARS = 40_000_000
"""Characters of run names the parsed-name cache keeps (names of 200 characters on average)."""

LISTING_TTL = 1.0
"""Seconds a listing of the experiment is reused. The tab asks several routes at
once (runs, fields, tags, groups); they share one set of listing calls. New data
reaches TensorBoard only every `--reload_interval` (5 s by default) anyway."""

STALE_TTL = 10.0
"""Seconds the last-event times behind `stale` are reused (staleness is measured
in minutes to hours, so a few seconds of lag cannot matter)."""


class SearchPattern(Protocol):
    """A compiled regex: `re.Pattern`, or RE2's (`queries.compile_regex`)."""

    @property
    def pattern(self) -> Any: ...

    def search(self, text: str) -> Any: ...


def _malloc_trim() -> Callable[[int], Any] | None:
    try:
        return ctypes.CDLL(None).malloc_trim  # glibc
    except (AttributeError, OSError):  # musl, macOS, Windows: nothing to call
        return None


_MALLOC_TRIM = _malloc_trim()


TRIM_BUDGET = 0.02
"""Seconds `release_free_memory` may take; past it, it is not tried again in this process."""


def release_free_memory() -> None:
    """Gives the memory the C allocator holds free back to the system (glibc's
    ``malloc_trim(0)``; nothing on other C libraries).

    A listing at 10,000 runs allocates and frees tens of megabytes of small objects
    (TensorBoard's listing answers hold one Python object per run and tag); glibc keeps
    much of it as free memory of the process, which would count as the plugin's (≈10 ms
    beside TensorBoard's Rust loader). The call holds the allocator's locks while it walks
    the heap: once it takes more than `TRIM_BUDGET` (a heap of gigabytes, such as the
    Python loader's at 10,000 runs, takes ≈0.3 s), it is never made again, since it
    would stall every thread of TensorBoard for that long.
    """
    global _MALLOC_TRIM
    trim = _MALLOC_TRIM
    if trim is None:
        return
    started = time.perf_counter()
    trim(0)
    if time.perf_counter() - started > TRIM_BUDGET:
        _MALLOC_TRIM = None


MEMO_BYTES = 32 << 20
"""Bytes of derived answers one view's `Memo` keeps (encoded answers count their length)."""


def _memo_size(value: Any) -> int:
    """Bytes a memoised value holds of its own: its length when encoded, else 8 a reference."""
    if isinstance(value, (bytes, bytearray, str)):
        return len(value)
    if isinstance(value, (tuple, list)):
        return 8 * len(value) + sum(
            _memo_size(v) for v in value if isinstance(v, (list, tuple, bytes))
        )
    return 64


class Memo:
    """A small least-recently-used dict: derived answers kept per view, bounded in entries
    and in bytes (`MEMO_BYTES`; the newest answer is always kept)."""

    def __init__(self, max_entries: int = 16, max_bytes: int = MEMO_BYTES):
        self._max = max_entries
        self._max_bytes = max_bytes
        self._sizes: dict[Any, int] = {}
        self.bytes = 0
        self._items: collections.OrderedDict[Any, Any] = collections.OrderedDict()
        self._lock = threading.Lock()
        # Keys being computed by `get_or_compute`, to the event set when they are done.
        self._pending: dict[Any, threading.Event] = {}

    def get_or_compute(self, key: Any, compute: Callable[[], Any]) -> Any:
        """The value of `key`, computing and keeping it when missing.

        A caller that finds `key` being computed by another thread (the warmer, or
        the same request twice) waits for that result instead of computing it again;
        if that computation fails, it computes its own. `compute` must not ask for
        `key` itself.
        """
        while True:
            with self._lock:
                found = self._items.get(key)
                if found is not None:
                    self._items.move_to_end(key)
                    return found
                pending = self._pending.get(key)
                if pending is None:
                    done = self._pending[key] = threading.Event()
                    break
            pending.wait()
        try:
            value = compute()
            self.put(key, value)
            return value
        finally:
            with self._lock:
                del self._pending[key]
            done.set()

    def get(self, key: Any) -> Any:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, key: Any, value: Any) -> None:
        size = _memo_size(value)
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            self.bytes += size - self._sizes.get(key, 0)
            self._sizes[key] = size
            while len(self._items) > 1 and (
                len(self._items) > self._max or self.bytes > self._max_bytes
            ):
                old, _ = self._items.popitem(last=False)
                self.bytes -= self._sizes.pop(old)


@dataclasses.dataclass(frozen=True)
class Filter:
    """Which trials a request is about.

    Attributes:
      text: Case-insensitive substring of the trial name or any of its run names.
      regex: Searched (RE2, `queries.compile_regex`) in the trial name and its run names.
      where: Field id to the accepted values as typed in the request (any one
        matches; several fields must all match). `(none)` matches a missing field.
    """

    text: str | None = None
    regex: SearchPattern | None = None
    where: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @property
    def empty(self) -> bool:
        return not self.text and self.regex is None and not self.where

    def matches(self, unit: grouping.Unit) -> bool:
        """Tells whether a unit passes the filter."""
        if self.text or self.regex is not None:
            names = (unit.trial, *unit.runs.values())
            if self.text:
                needle = self.text.casefold()
                if not any(needle in n.casefold() for n in names):
                    return False
            if self.regex is not None and not any(self.regex.search(n) for n in names):
                return False
        for field_id, accepted in self.where:
            value = unit.fields.get(field_id)
            if not any(value_matches(value, text) for text in accepted):
                return False
        return True


def value_matches(value: grouping.Value | None, text: str) -> bool:
    """Tells whether a field value is the one a request typed (`where`, `baseline`)."""
    if value is None:
        return text == grouping.NONE_LABEL
    if grouping.format_value(value) == text or (isinstance(value, str) and value == text):
        return True
    typed = naming.parse_value(text)
    if isinstance(value, bool) or isinstance(typed, bool):
        return type(value) is type(typed) and value == typed
    if isinstance(value, (int, float)) and isinstance(typed, (int, float)):
        return value == typed or (math.isnan(value) and math.isnan(typed))
    return False


@dataclasses.dataclass(frozen=True, eq=False)
class ExperimentView:
    """Everything derived from the run list and metadata, rebuilt when they change.

    Attributes:
      records: `data.RunRecord` per run, sorted by run name.
      names: Run name to its parsed `naming.RunName`.
      units: The trial units (`grouping.build_units`), sorted by trial.
      unit_of_run: Run name to its unit.
      known: Every field id of the units (for `grouping.group_units`).
      default_by: `grouping.default_group_by` of all units.
      metrics: Metric to split to trial to the `(run, tag)` it is read from; a
        metric is a scalar tag without its split part (`layout.metric_of`).
      raw: The same keyed by the exact scalar tag (a request may name either).
      no_trial: Runs that are no trial (`layout.Layout.no_trial`, and linked copies of runs).
      hparams_order: The HParams experiment config's hparam names, in order.
    """

    def splits(self) -> set[str | None]:
        """Every split a metric can be read from, and every trial's run keys."""
        found: set[str | None] = {s for by_split in self.metrics.values() for s in by_split}
        found.update(s for unit in self.units for s in unit.runs)
        return found

    records: list[data.RunRecord]
    names: dict[str, naming.RunName]
    units: list[grouping.Unit]
    unit_of_run: dict[str, grouping.Unit]
    known: frozenset[str]
    default_by: list[str]
    # metric -> split -> trial -> (run, tag): where each trial's metric of a split is read
    # (`layout.metric_of`); `raw` the same keyed by the exact scalar tag.
    metrics: dict[str, dict[str | None, dict[str, tuple[str, str]]]] = dataclasses.field(
        default_factory=dict
    )
    raw: dict[str, dict[str | None, dict[str, tuple[str, str]]]] = dataclasses.field(
        default_factory=dict
    )
    # Runs that are no trial (an HParams experiment config only).
    no_trial: frozenset[str] = frozenset()
    # The HParams experiment config's hparam order, when the logs hold one.
    hparams_order: tuple[str, ...] = ()
    # How the layout read runs and trials (`layout.Layout.why`, `layout.Layout.reads`).
    why: dict[str, str] = dataclasses.field(default_factory=dict)
    reads: dict[str, dict[str, str]] = dataclasses.field(default_factory=dict)
    # A resumed training's latest run to the runs it continues (`layout.Layout.resumed`).
    resumed: dict[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)
    # Per-view memo of derived answers (the encoded /runs body, field lists per
    # max_values), keyed by the caller; a few entries, whatever clients ask.
    memo: Memo = dataclasses.field(default_factory=Memo)

    def record(self, run: str) -> data.RunRecord | None:
        """Returns a run's record, or None."""
        i = _bisect(self.records, run)
        return self.records[i] if i is not None else None


def _bisect(records: list[data.RunRecord], run: str) -> int | None:
    lo, hi = 0, len(records)
    while lo < hi:
        mid = (lo + hi) // 2
        if records[mid].run < run:
            lo = mid + 1
        else:
            hi = mid
    return lo if lo < len(records) and records[lo].run == run else None


@dataclasses.dataclass(eq=False)
class _Series:
    fingerprint: dict[str, tuple[int, float]]
    series: dict[str, Any]
    points: int = 0
    """Points held (a last value counts one); changed under `Backend._lock`."""


@dataclasses.dataclass(frozen=True)
class ScalarListing:
    """An experiment's `list_scalars` answer, kept as a few arrays per tag.

    TensorBoard's answer holds one `ScalarTimeSeries` per run and tag (≈11 MB at
    10,000 runs × 4 tags); this keeps what the routes read from it, `max_step` and
    `max_wall_time`, in ≈1 MB, so the listing kept between requests costs little.

    Attributes:
      taken: `time.monotonic()` when the listing was made.
      runs: Run names, in the listing's order.
      by_tag: Tag to `(rows, max_steps, max_wall_times)`: indices into `runs` (int64)
        of the runs that have the tag, with their int64 `max_step` and float64
        `max_wall_time` (seconds since the epoch).
    """

    taken: float
    runs: tuple[str, ...]
    by_tag: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]

    @classmethod
    def of(cls, listed: Mapping[str, Mapping[str, Any]], taken: float) -> ScalarListing:
        """From a `list_scalars` answer (run to tag to `ScalarTimeSeries`)."""
        return cls.from_columns(*cls.columns(listed), taken)

    @staticmethod
    def columns(
        listed: Mapping[str, Mapping[str, Any]],
    ) -> tuple[tuple[str, ...], dict[str, tuple[list[int], list[int], list[float]]]]:
        """`(runs, tag to (rows, max_steps, max_wall_times) lists)` of a `list_scalars` answer."""
        runs = tuple(listed)
        columns: dict[str, tuple[list[int], list[int], list[float]]] = {}
        for row, tags in enumerate(listed.values()):
            for tag, ts in tags.items():
                rows, steps, walls = columns.setdefault(tag, ([], [], []))
                rows.append(row)
                steps.append(ts.max_step)
                walls.append(ts.max_wall_time)
        return runs, columns

    @classmethod
    def from_columns(
        cls,
        runs: tuple[str, ...],
        columns: Mapping[str, tuple[list[int], list[int], list[float]]],
        taken: float,
        records: Sequence[data.RunRecord] = (),
    ) -> ScalarListing:
        """From `columns`' answer; run names that `records` has are kept as the records'
        own string objects (the listing's would each keep a piece of its memory alive)."""
        if records:
            canonical = {r.run: r.run for r in records}
            runs = tuple([canonical.get(run, run) for run in runs])
        by_tag = {
            sys.intern(tag): (
                np.array(rows, dtype=np.int64),
                np.array(steps, dtype=np.int64),
                np.array(walls, dtype=np.float64),
            )
            for tag, (rows, steps, walls) in columns.items()
        }
        return cls(taken=taken, runs=runs, by_tag=by_tag)

    def tag(self, tag: str) -> dict[str, tuple[int, float]]:
        """Run to `(max_step, max_wall_time)` of `tag`, for every run that has it."""
        found = self.by_tag.get(tag)
        if found is None:
            return {}
        rows, steps, walls = found
        runs = self.runs
        return {
            runs[row]: (step, wall)
            for row, step, wall in zip(rows.tolist(), steps.tolist(), walls.tolist(), strict=True)
        }

    def last_wall_times(self) -> dict[str, float]:
        """Run to the newest `max_wall_time` over its tags (NaN ignored), for runs with tags."""
        newest = np.full(len(self.runs), -np.inf)
        for rows, _, walls in self.by_tag.values():
            np.fmax.at(newest, rows, walls)
        has = np.flatnonzero(newest > -np.inf)
        return {self.runs[row]: float(newest[row]) for row in has.tolist()}


class Backend:
    """Reads an experiment through a DataProvider and answers the routes' questions."""

    def __init__(
        self,
        data_provider: provider.DataProvider,
        patterns: Sequence[re.Pattern[str]],
        logdir: str | None = None,
    ):
        """
        Args:
          data_provider: What every run and series is read through.
          patterns: The user's run-name patterns.
          logdir: The log directory (``--logdir``), whose runs' state files
            (`tb_plugin.annotation_files`) hold their annotations; None or empty
            reads only what the data provider gives (earlier releases' files).
        """
        self._provider = data_provider
        self._patterns = tuple(patterns)
        self._one_series_per_read = _is_python_loader(data_provider)
        self._annotations = annotation_files.Scanner(logdir) if logdir else None
        # Linked copies of runs (SPEC §4b rule 9): local log directories only.
        self._links = links.LinkScanner(logdir) if logdir and "://" not in logdir else None
        annotations, linked = self._annotations, self._links
        self._annotation_scans = (
            _LatestScan(lambda call: _scan(annotations, call)) if annotations else None
        )
        self._link_scans = _LatestScan(lambda call: _scan_links(linked, call)) if linked else None
        self._lock = threading.Lock()
        # Experiment id to (fingerprint, view, monotonic time of the listing), least
        # recently used first: a plain --logdir serves any id, so ids are client input.
        self._views: collections.OrderedDict[str, tuple[bytes, ExperimentView, float]] = (
            collections.OrderedDict()
        )
        self._names: dict[str, naming.RunName] = {}
        self._names_chars = 0
        self._series: collections.OrderedDict[tuple[str, str], _Series] = collections.OrderedDict()
        self._listing_locks: dict[str, threading.Lock] = {}
        # Experiment id to the last listing of every run's scalars; only the experiments
        # whose view is cached keep theirs.
        self._scalar_listing: dict[str, ScalarListing] = {}
        # Experiment id to the age (s) up to which its listing is reused, for the
        # experiments a `warm.Warmer` re-lists in the background (`keep_fresh`).
        self._max_age: dict[str, float] = {}
        # Set in a thread inside `reusing_listing`.
        self._reusing = threading.local()
        self.refresher = refresh.Refresher()
        """The newest answer of each first-view route, query and experiment, which a
        request that allows it is answered with while the fresh one is computed
        (`tb_plugin.refresh`; the encoded answers of `tb_plugin.answers` keep theirs)."""

    @property
    def provider(self) -> provider.DataProvider:
        """The TensorBoard data provider everything is read through."""
        return self._provider

    @property
    def patterns(self) -> tuple[re.Pattern[str], ...]:
        """The user's run-name patterns (`--rungroups_pattern`, rungroups.json)."""
        return self._patterns

    # --- runs, names, units -----------------------------------------------------------

    def view(self, ctx: Any, experiment: str, max_age: float | None = None) -> ExperimentView:
        """Returns the experiment's current `ExperimentView` (cached on its fingerprint).

        The experiment is listed again when its last listing is older than `max_age`
        seconds (default: `max_listing_age`; 0 always lists). Requests that arrive
        together (the tab asks several routes at once) share one listing: the first
        lists, the others wait for it instead of listing again.
        """
        if max_age is None:
            max_age = self.max_listing_age(experiment)
        with self._lock:
            cached = self._views.get(experiment)
            if cached is not None:
                self._views.move_to_end(experiment)
        if cached is not None and time.monotonic() - cached[2] < max_age:
            return cached[1]
        started = time.monotonic()
        with self._listing_lock(experiment):
            with self._lock:
                cached = self._views.get(experiment)
            if cached is not None and cached[2] >= started:
                return cached[1]  # listed by the request this one waited for
            if cached is not None and time.monotonic() - cached[2] < max_age:
                return cached[1]
            return self._refresh(ctx, experiment, cached)

    def max_listing_age(self, experiment: str) -> float:
        """Seconds a listing of `experiment` is reused: `LISTING_TTL`, or longer while
        a warmer re-lists it in the background (`keep_fresh`); any age in a thread
        inside `reusing_listing`."""
        if getattr(self._reusing, "active", False):
            return math.inf
        with self._lock:
            return self._max_age.get(experiment, LISTING_TTL)

    @contextlib.contextmanager
    def reusing_listing(self) -> Iterator[None]:
        """Within the block, this thread answers from the listings it finds, whatever
        their age (other threads keep their freshness rules).

        For a caller that has just listed (`view(..., max_age=0)`) and computes answers
        from that listing: under TensorBoard's Python loader a listing of 10,000 runs
        can take longer than `max_listing_age` while TensorBoard loads, and every
        answer would otherwise list again.
        """
        self._reusing.active = True
        try:
            yield
        finally:
            self._reusing.active = False

    def keep_fresh(self, experiment: str, max_age: float | None) -> None:
        """Reuses `experiment`'s listing for up to `max_age` seconds (None: `LISTING_TTL`).

        For a caller that lists the experiment again itself at least that often
        (`warm.Warmer`): requests then answer from its listing instead of waiting
        for one of their own.
        """
        with self._lock:
            if max_age is None:
                self._max_age.pop(experiment, None)
            else:
                self._max_age[experiment] = max(max_age, LISTING_TTL)

    def expire(self, experiment: str) -> None:
        """Makes the next request list `experiment` again, whatever its listing's age
        (after a write of annotations, which no loader reload announces)."""
        with self._lock:
            cached = self._views.get(experiment)
            if cached is not None:
                self._views[experiment] = (cached[0], cached[1], -math.inf)
        for latest in (self._annotation_scans, self._link_scans):
            if latest is not None:
                latest.force()  # what was written shows in the next answer

    def _listing_lock(self, experiment: str) -> threading.Lock:
        with self._lock:
            lock = self._listing_locks.get(experiment)
            if lock is None:
                if len(self._listing_locks) > 4 * MAX_VIEWS:
                    # Client-chosen ids: forget the locks of experiments no longer cached.
                    for other in [e for e in self._listing_locks if e not in self._views]:
                        del self._listing_locks[other]
                lock = self._listing_locks[experiment] = threading.Lock()
            return lock

    def _refresh(
        self,
        ctx: Any,
        experiment: str,
        cached: tuple[bytes, ExperimentView, float] | None,
    ) -> ExperimentView:
        now = time.monotonic()
        # The layout step needs each run's scalar tags and its HParams experiment
        # config: two more listing calls, part of the fingerprint (a run that starts
        # writing scalars, or a new tag, can change which runs make one trial). The
        # calls go out together: under the Rust data server each waits on gRPC.
        listing_call = _LISTING_POOL.submit(data.list_experiment, self._provider, ctx, experiment)
        configs_call = _LISTING_POOL.submit(
            self._provider.list_tensors,
            ctx,
            experiment_id=experiment,
            plugin_name=hparams_metadata.PLUGIN_NAME,
            run_tag_filter=provider.RunTagFilter(tags=[hparams_metadata.EXPERIMENT_TAG]),
        )
        # Annotations live in state files that no loader reads: one stat per run
        # and ancestor (cached on each directory's mtime), as soon as the runs are
        # listed, beside the scalar listing.
        scan_call, links_call = (
            latest.begin(listing_call) if latest is not None else None
            for latest in (self._annotation_scans, self._link_scans)
        )
        tags = self._provider.list_scalars(
            ctx, experiment_id=experiment, plugin_name=SCALARS_PLUGIN
        )
        runs, columns = ScalarListing.columns(tags)
        # One frozenset per distinct tag set (runs of one experiment mostly share theirs).
        tag_sets: dict[frozenset[str], frozenset[str]] = {}
        run_tags = {}
        for run, t in zip(runs, tags.values(), strict=True):
            if t:
                tag_set = frozenset(t)
                run_tags[run] = tag_sets.setdefault(tag_set, tag_set)
        del tags
        listing = listing_call.result()
        scan = _LatestScan.end(scan_call) if scan_call is not None else None
        linked = _LatestScan.end(links_call) if links_call is not None else {}
        configs = configs_call.result()
        config_content = {
            run: t[hparams_metadata.EXPERIMENT_TAG].plugin_content
            for run, t in configs.items()
            if hparams_metadata.EXPERIMENT_TAG in t
        }
        del configs
        fingerprint = _digest(
            listing.fingerprint(),
            scan.fingerprint if scan is not None else b"",
            sorted((run, _sorted_tags(tag_set)) for run, tag_set in run_tags.items()),
            sorted(config_content.items()),
            sorted(linked.items()),
        )
        if cached is not None and cached[0] == fingerprint:
            view, records = cached[1], cached[1].records
        else:
            records = data.read_runs(
                self._provider, ctx, experiment, listing, scan.runs if scan is not None else None
            )
            new = [r.run for r in records if r.run not in self._names]
            if new:
                new_chars = sum(map(len, new))
                if (
                    len(self._names) + len(new) > _NAME_CACHE_SIZE
                    or self._names_chars + new_chars > _NAME_CACHE_CHARS
                ):
                    self._names.clear()
                    new = [r.run for r in records]
                    self._names_chars = new_chars = sum(map(len, new))
                else:
                    self._names_chars += new_chars
                self._names.update(
                    zip(new, naming.parse_run_names(new, self._patterns), strict=True)
                )
            parsed = {r.run: self._names[r.run] for r in records}
            view = build_view(
                records,
                parsed,
                run_tags,
                config_content,
                sessions=set(listing.hparams),
                snapshots=set(listing.snapshots) | set(scan.runs if scan is not None else ()),
                patterns=self._patterns,
                steps=self._steps_reader(ctx, experiment, run_tags),
                linked=linked,
            )
        # What is kept is made once the listing calls' answers are gone, so that it does not
        # pin their memory (a few small objects per listing otherwise hold whole allocator
        # arenas: ≈15 MB more after a few minutes of warming).
        del listing, run_tags, config_content, scan
        self._keep_listing(experiment, ScalarListing.from_columns(runs, columns, now, records))
        del runs, columns
        self._keep_view(experiment, fingerprint, view, now)
        release_free_memory()
        return view

    def _steps_reader(
        self, ctx: Any, experiment: str, run_tags: Mapping[str, frozenset[str]]
    ) -> layout.Steps:
        """`layout.Steps` through `read_scalars`: what the resume rule (SPEC §4b rule 11)
        asks of the few runs that share their recorded hparams with a sibling. Steps come
        from the loader's kept sample (`SERIES_DOWNSAMPLE` points a tag)."""

        def steps(run: str) -> dict[str, tuple[int, int, float, float]]:
            tags = sorted(run_tags.get(run, ()))
            if not tags:
                return {}
            read = self._provider.read_scalars(
                ctx,
                experiment_id=experiment,
                plugin_name=SCALARS_PLUGIN,
                downsample=SERIES_DOWNSAMPLE,
                run_tag_filter=provider.RunTagFilter(runs=[run], tags=tags),
            )
            out = {}
            for tag, datums in read.get(run, {}).items():
                if datums:
                    step = [d.step for d in datums]
                    wall = [d.wall_time for d in datums]
                    out[tag] = (min(step), max(step), min(wall), max(wall))
            return out

        return steps

    def _keep_listing(self, experiment: str, scalars: ScalarListing) -> None:
        with self._lock:
            # What list_tag answers from while this listing is fresh (no call of its own).
            self._scalar_listing[experiment] = scalars

    def _keep_view(
        self, experiment: str, fingerprint: bytes, view: ExperimentView, now: float
    ) -> None:
        """Caches a view, dropping the least recently used ones past the bounds."""
        with self._lock:
            self._views[experiment] = (fingerprint, view, now)
            self._views.move_to_end(experiment)
            total = sum(len(v[1].records) for v in self._views.values())
            while len(self._views) > 1 and (len(self._views) > MAX_VIEWS or total > MAX_VIEW_RUNS):
                gone, (_, dropped, _) = self._views.popitem(last=False)
                self._scalar_listing.pop(gone, None)
                total -= len(dropped.records)

    def fields(self, view: ExperimentView, max_values: int | None) -> list[grouping.FieldInfo]:
        """`grouping.list_fields` over all units, memoised per view."""
        found = view.memo.get(("fields", max_values))
        if found is None:
            found = grouping.list_fields(view.units, max_values=max_values)
            view.memo.put(("fields", max_values), found)
        return found

    # --- status -----------------------------------------------------------------------

    def stale_units(
        self, ctx: Any, experiment: str, view: ExperimentView, stale_after: float
    ) -> dict[str, float | None]:
        """Finds the `running` trials whose last event is older than `stale_after` seconds.

        Returns:
          Trial name to the wall time of its last event (None if it has none),
          for the stale trials only.
        """
        last = self.running_last_events(ctx, experiment, view)
        now = time.time()
        return {
            u.trial: last.get(u.trial)
            for u in view.units
            if u.metadata.get("status") == "running"
            and (last.get(u.trial) is None or now - last[u.trial] > stale_after)
        }

    def running_last_events(
        self, ctx: Any, experiment: str, view: ExperimentView
    ) -> dict[str, float]:
        """Wall time of the last event of each `running` trial that has one.

        One `last_event_times` call, reused for `STALE_TTL` seconds. The dict is
        never changed once returned (a refresh makes a new one): callers may keep
        it in memo keys.
        """
        memo = view.memo.get("last_event_times")
        if memo is None or time.monotonic() - memo[0] > STALE_TTL:
            running = [u for u in view.units if u.metadata.get("status") == "running"]
            last = self.last_event_times(ctx, experiment, view, running) if running else {}
            memo = (time.monotonic(), last)
            view.memo.put("last_event_times", memo)
        return memo[1]

    def last_event_times(
        self,
        ctx: Any,
        experiment: str,
        view: ExperimentView,
        units: Iterable[grouping.Unit],
    ) -> dict[str, float]:
        """Wall time of each unit's newest scalar or metadata event (at most one `list_scalars`)."""
        units = list(units)
        runs = [run for u in units for run in u.runs.values()]
        newest = self._list_scalars(
            ctx, experiment, provider.RunTagFilter(runs=runs)
        ).last_wall_times()
        out = {}
        for unit in units:
            times: list[float] = []
            for run in unit.runs.values():
                if run in newest:
                    times.append(newest[run])
                record = view.record(run)
                if record is not None and record.last_metadata_time is not None:
                    times.append(record.last_metadata_time)
            if times:
                out[unit.trial] = float(max(times))
        return out

    def with_status(
        self, units: Sequence[grouping.Unit], stale: dict[str, float | None]
    ) -> list[grouping.Unit]:
        """Returns the units with field `status` set to `stale` for the stale trials."""
        if not stale:
            return list(units)
        return [
            dataclasses.replace(u, fields={**u.fields, "status": "stale"})
            if u.trial in stale
            else u
            for u in units
        ]

    # --- scalars ----------------------------------------------------------------------

    def _stale_entries(
        self, key: tuple[str, str], listed: dict[str, tuple[int, float]]
    ) -> tuple[_Series, list[str]]:
        """The cache entry for `key` (most recently used now) and the runs to re-read.

        A run is re-read when its listing (`max_step`, `max_wall_time`) moved
        since it was cached; the cache keeps `_SERIES_CACHE_SIZE` entries.
        """
        with self._lock:
            cached = self._series.get(key)
            if cached is None:
                cached = self._series[key] = _Series({}, {})
            self._series.move_to_end(key)
            points = sum(entry.points for entry in self._series.values())
            while len(self._series) > 1 and (
                len(self._series) > _SERIES_CACHE_SIZE or points > MAX_SERIES_POINTS
            ):
                _, dropped = self._series.popitem(last=False)
                points -= dropped.points
            known = dict(cached.fingerprint)
        return cached, [run for run, fp in listed.items() if known.get(run) != fp]

    def _per_call(self, runs: list[str]) -> Iterable[list[str]]:
        """`runs` as the run lists of the read calls that read them: one call for all, or one
        per run under TensorBoard's Python loader (`_is_python_loader`); none for no run."""
        if not runs:
            return ()
        return ([run] for run in runs) if self._one_series_per_read else (runs,)

    def last_values(
        self, ctx: Any, experiment: str, tag: str, listed: dict[str, tuple[int, float]]
    ) -> dict[str, float]:
        """Run to the latest value of `tag` for the runs in `listed` (from `list_tag`).

        Only runs whose listing moved since they were cached are read, in one
        `read_last_scalars` call (one per run under TensorBoard's Python loader:
        `_is_python_loader`).
        """
        key = (experiment, "last:" + tag)
        cached, changed = self._stale_entries(key, listed)
        fresh: dict[str, float] = {}
        for asked in self._per_call(changed):
            latest = self._provider.read_last_scalars(
                ctx,
                experiment_id=experiment,
                plugin_name=SCALARS_PLUGIN,
                run_tag_filter=provider.RunTagFilter(runs=asked, tags=[tag]),
            )
            for run, tags in latest.items():
                datum = tags.get(tag)
                if datum is not None:
                    fresh[run] = float(datum.value)
            del latest
        if fresh:
            with self._lock:
                for run, value in fresh.items():
                    if run not in cached.series:
                        cached.points += 1
                    cached.series[run] = value
                    cached.fingerprint[run] = listed[run]
        with self._lock:
            return {run: cached.series[run] for run in listed if run in cached.series}

    def _list_scalars(
        self, ctx: Any, experiment: str, run_tag_filter: _RunTagFilter
    ) -> ScalarListing:
        """`list_scalars`: from the experiment's listing while it is fresh (`max_listing_age`,
        as `view`), which holds every run and tag (a superset of the filter), else one call."""
        with self._lock:
            known = self._scalar_listing.get(experiment)
        if known is not None and time.monotonic() - known.taken < self.max_listing_age(experiment):
            return known
        now = time.monotonic()
        listed = self._provider.list_scalars(
            ctx,
            experiment_id=experiment,
            plugin_name=SCALARS_PLUGIN,
            run_tag_filter=run_tag_filter,
        )
        return ScalarListing.of(listed, now)

    def list_tag(self, ctx: Any, experiment: str, tag: str) -> dict[str, tuple[int, float]]:
        """Run to `(max_step, max_wall_time)` of `tag`, for every run that has it."""
        return self._list_scalars(ctx, experiment, provider.RunTagFilter(tags=[tag])).tag(tag)

    def series(
        self, ctx: Any, experiment: str, tag: str, listed: dict[str, tuple[int, float]]
    ) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Run to `(steps, values)` of `tag` for the runs in `listed` (from `list_tag`).

        int64 steps, float64 values. Only runs whose listing moved since they were
        cached are read, in `read_scalars` calls of about `READ_BATCH_POINTS` points (one
        run per call under TensorBoard's Python loader: `_is_python_loader`).
        """
        return {
            run: (a[0], a[1]) for run, a in self.timed_series(ctx, experiment, tag, listed).items()
        }

    def timed_series(
        self, ctx: Any, experiment: str, tag: str, listed: dict[str, tuple[int, float]]
    ) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """Run to `(steps, values, wall_times)` of `tag`, as `series` (wall times in POSIX s).

        The latest run of a resumed training (SPEC §4b rule 11) comes joined by step with
        the runs it continues: each earlier run's points before the next one's first step,
        then its own (the later write wins)."""
        found = self._timed_series(ctx, experiment, tag, listed)
        with self._lock:
            cached_view = self._views.get(experiment)
        resumed = cached_view[1].resumed if cached_view is not None else {}
        joins = {run: resumed[run] for run in found if run in resumed} if resumed else {}
        if not joins:
            return found
        all_listed = self.list_tag(ctx, experiment, tag)
        earlier = self._timed_series(
            ctx,
            experiment,
            tag,
            {r: all_listed[r] for parts in joins.values() for r in parts if r in all_listed},
        )
        for run, parts in joins.items():
            pieces = [found[run]]
            cut = found[run][0][0] if found[run][0].size else None
            for part in reversed(parts):
                arrays = earlier.get(part)
                if arrays is None or not arrays[0].size:
                    continue
                keep = arrays[0] < cut if cut is not None else slice(None)
                pieces.append((arrays[0][keep], arrays[1][keep], arrays[2][keep]))
                first = arrays[0][0]
                cut = first if cut is None else min(cut, first)
            pieces.reverse()
            found[run] = (
                np.concatenate([p[0] for p in pieces]),
                np.concatenate([p[1] for p in pieces]),
                np.concatenate([p[2] for p in pieces]),
            )
        return found

    def _timed_series(
        self, ctx: Any, experiment: str, tag: str, listed: dict[str, tuple[int, float]]
    ) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """`timed_series` without joining resumes: the cached reads of each run's own points."""
        key = (experiment, tag)
        cached, changed = self._stale_entries(key, listed)
        for runs in _read_batches(changed, listed):
            fresh = {}
            for asked in self._per_call(runs):
                read = self._provider.read_scalars(
                    ctx,
                    experiment_id=experiment,
                    plugin_name=SCALARS_PLUGIN,
                    downsample=SERIES_DOWNSAMPLE,
                    run_tag_filter=provider.RunTagFilter(runs=asked, tags=[tag]),
                )
                for run, tags in read.items():
                    datums = tags.get(tag, ())
                    n = len(datums)
                    fresh[run] = (
                        np.fromiter((d.step for d in datums), dtype=np.int64, count=n),
                        np.fromiter((d.value for d in datums), dtype=np.float64, count=n),
                        np.fromiter((d.wall_time for d in datums), dtype=np.float64, count=n),
                    )
                del read  # one `ScalarDatum` object per point: let them go before the next call
            with self._lock:
                for run, arrays in fresh.items():
                    old = cached.series.get(run)
                    cached.points += arrays[0].size - (old[0].size if old is not None else 0)
                    cached.series[run] = arrays
                    cached.fingerprint[run] = listed[run]
        with self._lock:
            return {run: cached.series[run] for run in listed if run in cached.series}


READ_BATCH_POINTS = 100_000
"""Points one `read_scalars` call is expected to return at most (by the listing's
`max_step`, up to `SERIES_DOWNSAMPLE` per run): TensorBoard answers with one Python
object per point, so a tag of 10,000 runs read at once holds ≈50 MB of them at its peak."""


def _is_python_loader(data_provider: provider.DataProvider) -> bool:
    """Whether `data_provider` is TensorBoard's Python loader (`--load_fast=false`, and
    ``s3://`` log directories), which `Backend` reads one run per `read_scalars` and
    `read_last_scalars` call.

    Why: there a call for one run and one tag takes a fast path, while any other call first
    copies every run's summary metadata (10,000 dicts at 10,000 runs). Those copies, and a
    batch's datums, live through the call and so reach the garbage collector's oldest
    generation, which then collects sooner: every full collection stops every thread of
    TensorBoard for as long as it takes to traverse the loader's objects (0.5-1.4 s at
    10,000 runs). Measured in-process at 10,000 runs (`bench/bench_gc.py`; 5,000 series of
    50 points): batches of 2,000 runs took 4.0-5.3 s and moved 310,000 objects there (a full
    collection per read); one run per call took 2.3-3.3 s and moved none. The last value of
    10,000 runs: 0.27 s and 47,000 objects in one call, 0.25 s and none one run per call.
    The Rust data server answers over gRPC, where each call is a round trip: batches there.

    Its module is not imported here: TensorBoard imports it when it uses it, and importing
    it costs ≈0.1 s of every start under the Rust loader."""
    module = sys.modules.get("tensorboard.backend.event_processing.data_provider")
    return module is not None and isinstance(data_provider, module.MultiplexerDataProvider)


def _read_batches(
    runs: Sequence[str], listed: Mapping[str, tuple[int, float]]
) -> Iterable[list[str]]:
    """`runs` in batches of about `READ_BATCH_POINTS` expected points each (at least one run).

    The expected points of a run are ``max_step + 1`` from its listing, capped at
    `SERIES_DOWNSAMPLE`: exact for steps 0, 1, 2, ...; only the batch size depends on it.
    """
    batch: list[str] = []
    points = 0
    for run in runs:
        max_step = listed[run][0]
        expected = min(max(max_step + 1, 1), SERIES_DOWNSAMPLE)
        if batch and points + expected > READ_BATCH_POINTS:
            yield batch
            batch, points = [], 0
        batch.append(run)
        points += expected
    if batch:
        yield batch


def _digest(*parts: Any) -> bytes:
    """A 128-bit BLAKE2b digest of `parts`' reprs (ordered values of str, bytes and numbers):
    what the view cache compares instead of keeping the listing it describes (megabytes at
    10,000 runs); a collision would take ~2**64 listings."""
    digest = hashlib.blake2b(digest_size=16)
    for part in parts:
        digest.update(repr(part).encode("utf-8", "surrogatepass"))
        digest.update(b"\0")
    return digest.digest()


@caches.lru_cache(256, 16 << 20, lambda found: sum(56 + len(tag) for tag in found))
def _sorted_tags(tags: frozenset[str]) -> tuple[str, ...]:
    return tuple(sorted(tags))


def build_view(
    records: list[data.RunRecord],
    parsed: dict[str, naming.RunName],
    run_tags: dict[str, frozenset[str]],
    config_content: dict[str, bytes],
    *,
    sessions: Iterable[str] = (),
    snapshots: Iterable[str] = (),
    patterns: Sequence[re.Pattern[str]] = (),
    steps: layout.Steps | None = None,
    linked: Mapping[str, str] | None = None,
) -> ExperimentView:
    """Builds an `ExperimentView` from what the listing calls said (no provider calls but
    `steps`, which the layout asks only about runs that may be resumes).

    Args:
      records: `data.read_runs`' records, sorted by run name.
      parsed: Run name to `naming.parse_run_name` of it.
      run_tags: Run to the scalar tags it holds.
      config_content: Run to the plugin content of its HParams experiment config.
      sessions: Runs holding an HParams session (they are trials whatever else they hold).
      snapshots: Runs holding Run Groups metadata snapshots.
      patterns: The user's run-name patterns.
      steps: Reads one run's steps per tag (`layout.Steps`), for resumes; None: no resumes.
      linked: Linked copies of runs to the run each copies (`links.LinkScanner.scan`, SPEC
        §4b rule 9): they are no trial, and their ``why`` names the run they copy.
    """
    linked = linked or {}
    sessions = set(sessions)
    snapshots = set(snapshots)
    kept = [r for r in records if r.run not in linked] if linked else records
    facts = {
        r.run: layout.RunFacts(
            tags=run_tags.get(r.run, frozenset()),
            config_only=(
                r.run in config_content
                and not run_tags.get(r.run)
                and r.run not in sessions
                and r.run not in snapshots
                and not r.metadata
            ),
            hparams=r.metadata.get("hparams") if r.metadata else None,
        )
        for r in kept
    }
    arranged = layout.arrange([parsed[r.run] for r in kept], facts, patterns, steps)
    names = {r.run: arranged.names.get(r.run, parsed[r.run]) for r in records}
    # Units are built from each run's own metadata; build_units merges a trial's.
    units = grouping.build_units(
        (arranged.names[r.run], r.metadata) for r in kept if r.run in arranged.names
    )
    unit_of_run = {run: unit for unit in units for run in unit.runs.values()}
    metrics: dict[str, dict[str | None, dict[str, tuple[str, str]]]] = {}
    raw: dict[str, dict[str | None, dict[str, tuple[str, str]]]] = {}
    for unit in units:
        for split, run in unit.runs.items():
            shape = arranged.add_scalars.get(run)
            for tag in sorted(run_tags.get(run, ())):
                metric, tag_split = layout.metric_of(tag, split, shape)
                source = (run, tag)  # one tuple for both indexes (80,000 at 10,000 runs)
                metrics.setdefault(metric, {}).setdefault(tag_split, {}).setdefault(
                    unit.trial, source
                )
                raw.setdefault(tag, {}).setdefault(tag_split, {}).setdefault(unit.trial, source)
    order = hparams_order(config_content)
    known = frozenset(f for unit in units for f in unit.fields)
    return ExperimentView(
        records=records,
        names=names,
        units=units,
        unit_of_run=unit_of_run,
        known=known,
        default_by=grouping.default_group_by(units, order=order),
        metrics=metrics,
        raw=raw,
        no_trial=arranged.no_trial | frozenset(linked),
        hparams_order=order,
        why={**arranged.why, **{copy: links.rule(run) for copy, run in linked.items()}}
        if linked
        else arranged.why,
        reads=arranged.reads,
        resumed=arranged.resumed,
    )


def hparams_order(config_content: dict[str, bytes]) -> tuple[str, ...]:
    """The hparam names of the HParams experiment configs, in their order (runs by name)."""
    order: dict[str, None] = {}
    for run in sorted(config_content):
        try:
            experiment = hparams_metadata.parse_experiment_plugin_data(config_content[run])
        except Exception:  # HParamsError or a protobuf DecodeError: no order from it
            continue
        for info in experiment.hparam_infos:
            order.setdefault(info.name, None)
    return tuple(order)


def choose_split(present: Iterable[str | None]) -> str | None:
    """The split to read a metric from when the request names none (`SPLIT_PREFERENCE`)."""
    present = set(present)
    for split in SPLIT_PREFERENCE:
        if split in present:
            return split
    others = sorted(s for s in present if s is not None)
    return others[0] if others else None
