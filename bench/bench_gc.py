"""What the tab's first view costs TensorBoard's Python loader in garbage-collector pauses.

Under TensorBoard's Python loader (``--load_fast=false``, and every ``s3://`` log directory)
the process holds millions of Python objects (≈5 million at 10,000 runs), and each full
("generation 2") collection stops every thread, requests included, while it traverses
them: 0.5-1.4 s at 10,000 runs. CPython runs one when the objects that survived into that
generation since the last one exceed a quarter of it, so what decides how often the pauses
come is how many objects a computation keeps alive long enough to get there, even
briefly. This counts them per first-view request, in-process, over the real
`MultiplexerDataProvider` once it has loaded `bench_backend.py`'s log directory of N runs:
each request of a fresh plugin (nothing memoised), then a listing as the warmer takes it,
then TensorBoard's own calls for scale.

Usage::

    python bench/bench_gc.py --runs 10000 [--repeat 2]

Counts come from `gc.callbacks`: at the start of each generation-1 collection, the objects
in generations 0 and 1 (all of which it moves to generation 2 unless it frees them), less
those it frees. CPython 3.11's generational collector; the counts mean nothing on another.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout
sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_backend  # noqa: E402
from tensorboard.backend import application  # noqa: E402
from tensorboard.backend.event_processing import data_provider as mux_provider  # noqa: E402
from tensorboard.backend.event_processing import plugin_event_multiplexer  # noqa: E402
from tensorboard.context import RequestContext  # noqa: E402
from tensorboard.data import provider as tb_provider  # noqa: E402
from tensorboard.plugins import base_plugin  # noqa: E402
from werkzeug.test import Client  # noqa: E402

from tb_plugin import backend, plugin, warm  # noqa: E402

PREFIX = "/data/plugin/rungroups/"


class Promotions:
    """Counts objects moved to generation 2, and generation-2 collections and their time."""

    def __init__(self) -> None:
        self.moved = 0
        self.full = 0
        self.full_seconds = 0.0
        self._young = 0
        self._started = 0.0
        gc.callbacks.append(self._callback)

    def _callback(self, phase: str, info: dict[str, Any]) -> None:
        if info["generation"] == 1:
            if phase == "start":
                self._young = len(gc.get_objects(0)) + len(gc.get_objects(1))
            else:
                self.moved += self._young - info["collected"]
        elif info["generation"] == 2:
            if phase == "start":
                self._started = time.perf_counter()
            else:
                self.full += 1
                self.full_seconds += time.perf_counter() - self._started

    def measure(self, label: str, call: Callable[[], Any]) -> None:
        moved, full, seconds = self.moved, self.full, self.full_seconds
        started = time.perf_counter()
        call()
        print(
            f"  {label:34s} {time.perf_counter() - started:6.2f} s  "
            f"moved to gen 2: {self.moved - moved:9,d}  "
            f"full collections: {self.full - full} ({self.full_seconds - seconds:.2f} s)",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10000)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    logdir = str(bench_backend.logdir_for(args.runs))
    started = time.perf_counter()
    multiplexer = plugin_event_multiplexer.EventMultiplexer()
    multiplexer.AddRunsFromDirectory(logdir)
    multiplexer.Reload()
    data = mux_provider.MultiplexerDataProvider(multiplexer, logdir)
    gc.collect()
    print(
        f"{args.runs} runs loaded in {time.perf_counter() - started:.1f} s; "
        f"{len(gc.get_objects()):,d} objects tracked by the collector",
        flush=True,
    )
    counts = Promotions()
    for repeat in range(args.repeat):
        print(f"fresh plugin {repeat + 1}:")
        loaded = plugin.RunGroupsLoader().load(
            base_plugin.TBContext(
                logdir=logdir,
                data_provider=data,
                flags=SimpleNamespace(logdir=logdir, rungroups_warm_interval=0),
            )
        )
        client = Client(application.TensorBoardWSGI([loaded], data_provider=data))
        for route in ("fields", "tags", "runs?" + warm.FIRST_VIEW_RUNS):
            counts.measure(route, lambda c=client, r=route: c.get(PREFIX + r))
        counts.measure(
            "groups (first view)",
            lambda c=client: c.get(PREFIX + "groups?" + warm.FIRST_VIEW_GROUPS),
        )
        reader = next(v for v in vars(loaded).values() if isinstance(v, backend.Backend))
        warmer = warm.Warmer(reader)
        for _ in range(2):
            counts.measure("a listing (the warmer's)", lambda w=warmer: w.warm_once(compute=False))
    ctx = RequestContext()
    print("TensorBoard's own calls:")
    counts.measure("list_runs", lambda: data.list_runs(ctx, experiment_id=""))
    counts.measure(
        "list_scalars (every run)",
        lambda: data.list_scalars(ctx, experiment_id="", plugin_name="scalars"),
    )
    listed = data.list_scalars(ctx, experiment_id="", plugin_name="scalars")
    tag = (
        "validation/epoch_loss"
        if any("validation/epoch_loss" in t for t in listed.values())
        else None
    )
    tag = tag or next(iter(next(iter(listed.values()))))
    runs = sorted(run for run, tags in listed.items() if tag in tags)[:2000]
    counts.measure(
        f"read_scalars {len(runs)} runs, one call",
        lambda: data.read_scalars(
            ctx,
            experiment_id="",
            plugin_name="scalars",
            downsample=backend.SERIES_DOWNSAMPLE,
            run_tag_filter=tb_provider.RunTagFilter(runs=runs, tags=[tag]),
        ),
    )

    def one_a_call() -> None:
        for run in runs:  # each answer let go, as `backend` keeps only arrays of it
            data.read_scalars(
                ctx,
                experiment_id="",
                plugin_name="scalars",
                downsample=backend.SERIES_DOWNSAMPLE,
                run_tag_filter=tb_provider.RunTagFilter(runs=[run], tags=[tag]),
            )

    counts.measure(f"read_scalars {len(runs)} runs, one a call", one_a_call)
    every = sorted(run for run, tags in listed.items() if tag in tags)
    counts.measure(
        f"read_last_scalars {len(every)} runs, one call",
        lambda: data.read_last_scalars(
            ctx,
            experiment_id="",
            plugin_name="scalars",
            run_tag_filter=tb_provider.RunTagFilter(runs=every, tags=[tag]),
        ),
    )

    def last_one_a_call() -> None:
        for run in every:
            data.read_last_scalars(
                ctx,
                experiment_id="",
                plugin_name="scalars",
                run_tag_filter=tb_provider.RunTagFilter(runs=[run], tags=[tag]),
            )

    counts.measure(f"read_last_scalars {len(every)} runs, one a call", last_one_a_call)


if __name__ == "__main__":
    main()
