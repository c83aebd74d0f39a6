"""How big and how slow `tb-rungroups report` is (SPEC §11: ≤ 2 MB for 100 groups and 1,000 runs).

Writes a log directory of 100 groups x 10 seeds (1,000 runs of `--steps` points each,
cached under /tmp), reads it once with TensorBoard's loader (as `tb-rungroups` does) and
builds its report three ways (the default view, 100 charted groups, each run's line);
then bench_backend's 10,000-run directory two ways (60 groups; 5,000 groups, of which the
report keeps the first 100). Prints the read time, and each report's size and build time.

    python bench/bench_report.py [--steps 500] [--skip-10k] [--skip-1k]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import types
from pathlib import Path

from tensorboard.compat.proto import event_pb2, summary_pb2

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_backend  # noqa: E402

from tb_plugin import cli  # noqa: E402


def write_hundred_groups(root: Path, steps: int) -> None:
    """100 (lr, bs) groups of 10 seeds, one run a trial, `steps` points of loss and accuracy."""
    write = bench_backend._record_writer()
    t0 = 1_790_000_000.0
    version = event_pb2.Event(wall_time=t0, file_version="brain.Event:2").SerializeToString()
    for g in range(100):
        lr, bs = 10 ** -(1 + g % 10 / 3), 16 * (1 + g // 10)
        for seed in range(10):
            run = root / f"lr={lr:.4g},bs={bs}" / f"seed_{seed}"
            run.mkdir(parents=True, exist_ok=True)
            records = [version]
            for step in range(steps):
                summ = summary_pb2.Summary()
                loss = 2.0 / (1 + step * lr * 10) + seed * 0.01
                summ.value.add(tag="loss", simple_value=loss)
                summ.value.add(tag="accuracy", simple_value=1 - loss / 3)
                records.append(
                    event_pb2.Event(
                        wall_time=t0 + step, step=step, summary=summ
                    ).SerializeToString()
                )
            write(str(run / f"events.out.tfevents.{int(t0)}.bench.{g}.{seed}"), records)


def measure(reader, logdir: Path, *args: str) -> tuple[float, float]:
    """(MB, seconds to build) of one report over a loaded `reader`."""
    from tensorboard.context import RequestContext

    from tb_plugin import queries, report

    rest = [a for a in args if a != "--seeds"]  # the others are --option value pairs
    pairs = [(n[2:].replace("-", "_"), v) for n, v in zip(rest[::2], rest[1::2], strict=True)]
    pairs += [("seeds", "true")] if "--seeds" in args else []
    start = time.perf_counter()
    query = report.ReportQuery.from_args(queries.multidict(pairs))
    text = report.build(reader, RequestContext(), "", query, logdir=str(logdir))
    return len(text.encode("utf-8")) / 1e6, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--skip-10k", action="store_true")
    parser.add_argument("--skip-1k", action="store_true")
    args = parser.parse_args()
    root = Path(f"/tmp/rungroups-bench-report-100x10-{args.steps}")
    if not (root / ".complete").exists():
        write_hundred_groups(root, args.steps)
        (root / ".complete").write_text("ok")
    cases = []
    if not args.skip_1k:
        variants = [
            ("", ()),
            ("100 charted", ("--chart-groups", "100")),
            ("runs' lines", ("--seeds",)),
        ]
        cases.append((root, variants))
    if not args.skip_10k:
        cases.append(
            (
                bench_backend.logdir_for(10_000),
                [("", ()), ("by lr,bs,opt,seed", ("--by", "lr,bs,opt,seed", "--seeds"))],
            )
        )
    # As `tb-rungroups` does: TensorBoard's loader without TensorFlow.
    sys.modules.setdefault("tensorboard.compat.notf", types.ModuleType("notf"))
    for logdir, variants in cases:
        start = time.perf_counter()
        reader = cli._report_backend(str(logdir), [])
        print(f"{logdir}: read in {time.perf_counter() - start:.1f} s", flush=True)
        for name, extra in variants:
            mb, took = measure(reader, logdir, *extra)
            print(f"  {name or 'default view':24} {mb:6.2f} MB  built in {took:5.1f} s", flush=True)


if __name__ == "__main__":
    main()
