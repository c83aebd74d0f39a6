"""The first view opened again and again after loading: how many opens does warming slow?

`bench_open.py` opens each tab twice; one open says little about a fault that hits one open
in ten. This starts a real ``tensorboard`` over `bench_backend.py`'s log directory of N runs,
waits until it has loaded them, then for `--seconds` sends the tab's first-view requests
(``/fields``, ``/tags``, ``/runs`` and ``/groups`` with `warm.FIRST_VIEW_GROUPS`, together,
as the tab does) every 1.5 s and prints how long each open took from the first request to the
last answer: the median, the 95th percentile, the slowest, and how many took over 0.2 s.

Under TensorBoard's Python loader every listing of the experiment is pure Python holding the
GIL (≈0.5 s of CPU at 10,000 runs), so an open during the warmer's listing waits for it, and
an open that finds the warmer's listing too old lists for itself: both show up here.

Usage::

    python bench/bench_reopen.py --runs 10000 [--loader python|rust] [--seconds 150]
        [--warm-interval 0] [--verbose]

TensorBoard's output goes to ``/tmp/rungroups-bench-tb-<pid>-<0|1>.log``, removed when the
bench stops it and kept if tensorboard exited by itself.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout
sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_backend  # noqa: E402

from tb_plugin import warm  # noqa: E402

FIRST_VIEW = ("fields", "tags", "runs", "groups?" + warm.FIRST_VIEW_GROUPS)
PAUSE = 1.5
"""Seconds between two opens."""
SLOW = 0.2
"""An open slower than this (s) is counted as slowed."""


def open_once(server: bench_backend.Server) -> float:
    """Sends the first view's requests together; seconds until the last answer."""
    threads = [
        threading.Thread(target=server.get, args=("data/plugin/rungroups/" + path,))
        for path in FIRST_VIEW
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--runs", type=int, default=10_000, help="runs in the log directory (default 10000)"
    )
    parser.add_argument(
        "--loader",
        choices=("python", "rust"),
        default="python",
        help="TensorBoard's loader (default python: where a listing holds the GIL)",
    )
    parser.add_argument(
        "--seconds", type=float, default=150.0, help="how long to keep opening (default 150)"
    )
    parser.add_argument(
        "--warm-interval",
        type=float,
        help="pass --rungroups_warm_interval to tensorboard (default: its default, "
        f"{warm.DEFAULT_INTERVAL:g} s; 0: no warming, every open lists and computes)",
    )
    parser.add_argument("--verbose", action="store_true", help="print every open")
    args = parser.parse_args()
    extra = bench_backend.warm_args(args.warm_interval)
    server = bench_backend.Server(
        bench_backend.logdir_for(args.runs), args.loader == "rust", extra, False
    )
    try:
        listed = bench_backend.wait_until_listed(server, args.runs)
        loaded = bench_backend.wait_until_loaded(server, listed)
        interval = warm.DEFAULT_INTERVAL if args.warm_interval is None else args.warm_interval
        print(
            f"{listed} runs loaded in {loaded:.0f} s ({args.loader} loader, "
            + (f"warming every {interval:g} s or more)" if interval else "no warming)"),
            flush=True,
        )
        times = []
        deadline = time.perf_counter() + args.seconds
        while time.perf_counter() < deadline:
            took = open_once(server)
            times.append(took)
            if args.verbose:
                print(f"  {time.strftime('%H:%M:%S')} open {took:.2f} s", flush=True)
            time.sleep(PAUSE)
    finally:
        server.close()
    times.sort()
    p95 = times[min(len(times) - 1, int(0.95 * len(times)))]
    slow = sum(t > SLOW for t in times)
    print(
        f"{len(times)} opens of the first view: median {statistics.median(times):.2f} s, "
        f"95th percentile {p95:.2f} s, slowest {times[-1]:.2f} s, over {SLOW} s: {slow} "
        f"({100 * slow / len(times):.0f}%)"
    )


if __name__ == "__main__":
    main()
