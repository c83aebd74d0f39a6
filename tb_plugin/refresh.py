"""The tab's first view at once, refreshed behind it (stale-while-revalidate, RFC 5861).

The tab's first requests (`/fields`, `/tags`, `/runs` and the first view's `/groups`) ask
with ``allow_stale=true``. Such a request waits at most `STALE_WAIT` seconds for its fresh
answer (computed as any request computes it, memoised per view and listing by
`tb_plugin.answers`); past that, it is answered with the newest answer computed earlier
for the same route, experiment and query, marked stale (the `STALE_HEADER` response
header: its age in seconds), while the fresh one goes on being computed in the background,
where the tab's next request finds it. The tab shows a stale answer as refreshing and asks
again until every answer is fresh (frontend/app.js): it never shows a stale view as final.

Why: while TensorBoard's Python loader is still reading points after it has listed the
runs, every listing changes the first view's memo key, and computing that view shares the
GIL with the loader: at 10,000 runs one cold open took 0.6–4.7 s (issue: the first view
fast every time). A view one listing older, marked as such, is better than that wait.

A request with nothing earlier to show (the first ever, or one evicted) waits for its
answer, or for an answer another computation (the warmer's, from an older listing) keeps
first, which it is answered with, marked stale: TensorBoard's Rust data server lists
10,000 runs over ≈0.7 s, the warmer may be computing the first view of the first 2,000
when the tab asks, and the first view of all 10,000 takes 3–4 s more. At most
`MAX_PENDING` computations run in the background; past that, requests compute for
themselves (the client chooses the queries).
"""

from __future__ import annotations

import concurrent.futures
import functools
import threading
import time
from collections.abc import Callable, Hashable

from tb_plugin import caches

STALE_WAIT = 0.1
"""Seconds an ``allow_stale`` request waits for its fresh answer before it is answered with
the last one: well below the 0.33 s the HParams dashboard's `session_groups` takes at
2,000 runs on the Rust data server (the fastest case the tab is compared with), and
enough for a memoised answer (milliseconds) to come fresh."""

STALE_HEADER = "X-Rungroups-Stale"
"""Response header of a stale answer: seconds since it was last known current."""

MAX_PENDING = 8
"""Most background computations at once (each one query of one route)."""

LAST_BYTES = 32 << 20
"""Bytes of compressed answers kept to answer stale (a 10,000-run `/runs` is ≈1 MB)."""

LAST_ENTRIES = 64
"""Answers kept to answer stale (a few routes per experiment the tab opens)."""

READY_FOR = 30.0
"""Seconds a background computation's result is handed to the next request of its key as
fresh (`warm.MAX_REUSE`: the oldest listing any answer may come from)."""

# Two workers: the answers share one listing and view, and every CPU-bound thread of ours
# makes a request thread wait longer for the GIL (bench_open.py: with four, a stale answer
# at 10,000 runs under the Rust loader took up to 0.74 s to send while views were rebuilt).
_POOL = concurrent.futures.ThreadPoolExecutor(max_workers=2, thread_name_prefix="rungroups-refresh")


def _thread(compute: Callable[[], bytes]) -> concurrent.futures.Future[bytes]:
    """`compute()` in a thread of its own, as a future."""
    future: concurrent.futures.Future[bytes] = concurrent.futures.Future()

    def run() -> None:
        if not future.set_running_or_notify_cancel():
            return
        try:
            future.set_result(compute())
        except BaseException as e:  # noqa: BLE001 - handed to whoever waits on the future
            future.set_exception(e)

    threading.Thread(target=run, name="rungroups-first-answer", daemon=True).start()
    return future


def key(route: str, experiment: str, query: Hashable) -> tuple[str, str, Hashable]:
    """What an answer is kept under: its route, experiment and query (as the route parsed
    it). The routes ask `Refresher.answer` and `tb_plugin.answers` keeps with this key."""
    return (route, experiment, query)


def _sizeof(key: Hashable, value: tuple[bytes, float]) -> int:
    return len(value[0]) + len(repr(key))


class Refresher:
    """Keeps the newest answer per (route, experiment, query) and answers stale from it."""

    def __init__(self, wait: float = STALE_WAIT):
        """
        Args:
          wait: Seconds an ``allow_stale`` request waits for its fresh answer (0: none).
        """
        self._wait = wait
        self._last = caches.LRU(LAST_ENTRIES, LAST_BYTES, _sizeof)
        self._pending: dict[Hashable, concurrent.futures.Future[bytes]] = {}
        # Background computations that ended after their request was answered stale: the
        # next request of the key is answered with the result (fresh: it was computed
        # after the stale answer was sent) without computing again.
        self._ready: dict[Hashable, tuple[concurrent.futures.Future[bytes], float]] = {}
        self._answered_stale: set[concurrent.futures.Future[bytes]] = set()
        self._lock = threading.Lock()
        # Notified when an answer is kept or a background computation ends.
        self._kept = threading.Condition(self._lock)

    def keep(self, key: Hashable, body: bytes) -> bytes:
        """Remembers `body` as `key`'s current answer (as of now) and returns it."""
        self._last.put(key, (body, time.monotonic()))
        with self._lock:
            self._kept.notify_all()
        return body

    def answer(
        self, key: Hashable, compute: Callable[[], bytes], allow_stale: bool
    ) -> tuple[bytes, float | None]:
        """`compute()`, or `key`'s last answer when that takes longer than the wait.

        Args:
          key: The route, experiment and query (hashable).
          compute: Computes the fresh answer; it must `keep` what it computes.
          allow_stale: False computes in this thread (the answer is fresh).

        Returns:
          The answer, and None when it is fresh, else its age in seconds.

        Raises:
          Whatever `compute` raises, when it fails within the wait.
        """
        if not allow_stale:
            return compute(), None
        last = self._last.get(key)
        submitted = False
        with self._lock:
            ready = self._ready.pop(key, None)
            future = self._pending.get(key)
            if ready is not None and time.monotonic() - ready[1] <= READY_FOR:
                future = ready[0]  # done: its result, or its error, is this answer
            elif future is None and len(self._pending) < MAX_PENDING:
                # Nothing earlier: its own thread, not the pool's queue, as when it
                # computed in the request's thread.
                future = _POOL.submit(compute) if last is not None else _thread(compute)
                self._pending[key] = future
                submitted = True
        if submitted and future is not None:
            # Outside the lock: a future already done calls back in this thread.
            future.add_done_callback(functools.partial(self._finished, key))
        if future is None:
            return compute(), None
        try:
            return future.result(timeout=self._wait), None
        except concurrent.futures.TimeoutError:
            if last is None:
                last = self._kept_meanwhile(key, future)
            if last is None:  # nothing else to show
                return future.result(), None
            with self._lock:
                if not future.done():  # else its callback has run, or waits for the lock
                    self._answered_stale.add(future)
            body, at = last
            return body, max(0.0, time.monotonic() - at)

    def _kept_meanwhile(
        self, key: Hashable, future: concurrent.futures.Future[bytes]
    ) -> tuple[bytes, float] | None:
        """Waits until `future` is done (None) or another computation keeps an answer of
        `key` first (that answer and when it was kept)."""
        with self._lock:
            while not future.done():
                found = self._last.get(key)
                if found is not None:
                    break
                self._kept.wait(1.0)
            else:
                return None
        try:  # kept by `future`'s own computation, just before it returns?
            future.result(timeout=0.05)
            return None
        except concurrent.futures.TimeoutError:
            return found
        except Exception:  # noqa: BLE001 - raised to the caller by its own result()
            return None

    def _finished(self, key: Hashable, done: concurrent.futures.Future[bytes]) -> None:
        with self._lock:
            self._kept.notify_all()
            stale = done in self._answered_stale
            self._answered_stale.discard(done)
            if self._pending.get(key) is done:
                del self._pending[key]
            if stale:
                self._ready[key] = (done, time.monotonic())
                if len(self._ready) > LAST_ENTRIES:  # keys nobody asked again
                    self._ready.pop(next(iter(self._ready)))
