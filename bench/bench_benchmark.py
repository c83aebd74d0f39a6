"""What an Across tasks answer costs: `/benchmark` over methods × tasks × seeds.

Writes a log directory of ``task=<T>/method=<M>,seed=<S>`` runs (10 methods × 26 tasks × 5 seeds
by default: 1,300 runs of 20 points of ``score``, runs of each method a little better on average),
serves it with TensorBoard's real WSGI app and our plugin over the chosen loader, and times:

* ``core``: `tb_plugin.benchmark.benchmark` alone on the same scores (aggregates, intervals,
  profiles, P(improvement) over a baseline, ranks, Friedman, critical difference);
* ``route``: a warm ``/benchmark?task=task&metric=score&baseline=m0`` request (the scalar caches
  warm, so what is timed is the grouping, the reductions and the statistics);

each the median of ``--rounds`` runs with ``--reps`` bootstrap resamples (default 2,000), in wall
time and in this process's CPU time (on a loaded machine the wall time also counts the load; with
the Rust loader, the data server's own CPU is not in the CPU column).
SPEC §5d / issue 26 ask for under 2 s at the default size.

Usage: ``python bench/bench_benchmark.py [--methods 10 --tasks 26 --seeds 5 --reps 2000]
[--loader python|rust]``
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout
sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_stats  # noqa: E402
import numpy as np  # noqa: E402
from tensorboard.backend import application  # noqa: E402
from tensorboard.backend.event_processing import data_provider as mux_provider  # noqa: E402
from tensorboard.backend.event_processing import plugin_event_multiplexer  # noqa: E402
from tensorboard.compat.proto import event_pb2, summary_pb2  # noqa: E402
from tensorboard.plugins import base_plugin  # noqa: E402
from tensorboard.summary.writer.event_file_writer import EventFileWriter  # noqa: E402
from werkzeug import test as werkzeug_test  # noqa: E402

from tb_plugin import benchmark, plugin  # noqa: E402

PREFIX = "/data/plugin/rungroups"
POINTS = 20


def write_logdir(root: Path, methods: int, tasks: int, seeds: int) -> dict:
    """Writes the runs; returns (method, task, run) -> the last score written (as float32)."""
    rng = np.random.default_rng(0)
    scores = {}
    for t in range(tasks):
        difficulty = rng.uniform(0.5, 2.0)
        for m in range(methods):
            for s in range(seeds):
                run = f"task=t{t:02d}/method=m{m},seed={s}"
                final = float(np.float32(difficulty * (0.5 + 0.05 * m) + rng.normal(0, 0.2)))
                writer = EventFileWriter(str(root / run))
                for i in range(POINTS):
                    summ = summary_pb2.Summary()
                    value = final if i == POINTS - 1 else final * (i + 1) / POINTS
                    summ.value.add(tag="score", simple_value=value)
                    writer.add_event(event_pb2.Event(wall_time=1.8e9 + i, step=i, summary=summ))
                writer.close()
                scores[(f"m{m}", f"t{t:02d}", run)] = final
    return scores


def client_for(logdir: Path, loader: str) -> werkzeug_test.Client:
    if loader == "rust":
        return bench_stats.client_for(logdir)
    multiplexer = plugin_event_multiplexer.EventMultiplexer()
    multiplexer.AddRunsFromDirectory(str(logdir))
    multiplexer.Reload()
    provider = mux_provider.MultiplexerDataProvider(multiplexer, str(logdir))
    context = base_plugin.TBContext(
        logdir=str(logdir), data_provider=provider, flags=SimpleNamespace(logdir=str(logdir))
    )
    rungroups = plugin.RunGroupsLoader().load(context)
    return werkzeug_test.Client(application.TensorBoardWSGI([rungroups], data_provider=provider))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--methods", type=int, default=10)
    parser.add_argument("--tasks", type=int, default=26)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--reps", type=int, default=benchmark.DEFAULT_REPS)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--loader", choices=("python", "rust"), default="python")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench_benchmark_") as tmp:
        root = Path(tmp)
        started = time.perf_counter()
        scores = write_logdir(root, args.methods, args.tasks, args.seeds)
        print(f"wrote {len(scores)} runs in {time.perf_counter() - started:.1f} s")
        client = client_for(root, args.loader)
        deadline = time.time() + 600
        while len((client.get(PREFIX + "/runs").get_json() or {}).get("runs", [])) < len(scores):
            if time.time() > deadline:
                raise SystemExit("the loader did not load every run")
            time.sleep(1)
        benchmark.benchmark(scores, baseline="m0", reps=10)  # imports scipy once
        core, core_cpu = [], []
        for _ in range(args.rounds):
            started, cpu = time.perf_counter(), time.process_time()
            benchmark.benchmark(scores, baseline="m0", reps=args.reps)
            core.append(time.perf_counter() - started)
            core_cpu.append(time.process_time() - cpu)
        query = urllib.parse.urlencode(
            {"task": "task", "metric": "score", "baseline": "m0", "reps": args.reps}
        )
        first = time.perf_counter()
        response = client.get(PREFIX + "/benchmark?" + query)
        first = time.perf_counter() - first
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
        answer = response.get_json()
        assert len(answer["methods"]) == args.methods and len(answer["tasks"]) == args.tasks
        route, route_cpu = [], []
        for _ in range(args.rounds):
            started, cpu = time.perf_counter(), time.process_time()
            response = client.get(PREFIX + "/benchmark?" + query)
            route.append(time.perf_counter() - started)
            route_cpu.append(time.process_time() - cpu)
            assert response.status_code == 200
        size = f"{args.methods} methods x {args.tasks} tasks x {args.seeds} seeds"
        print(f"{size}, {args.reps} resamples, {args.loader} loader")
        # CPU time too: on a shared machine the wall time is the load's as much as ours.
        print(
            f"core   {statistics.median(core) * 1000:7.0f} ms wall, "
            f"{statistics.median(core_cpu) * 1000:5.0f} ms CPU (medians of {args.rounds})"
        )
        print(
            f"route  {statistics.median(route) * 1000:7.0f} ms wall, "
            f"{statistics.median(route_cpu) * 1000:5.0f} ms CPU warm; first {first * 1000:.0f} ms wall"
        )


if __name__ == "__main__":
    main()
