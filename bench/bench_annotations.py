"""What reading annotations from state files costs, in process, at N runs.

Builds (once, cached) a copy of `bench_backend`'s log directory of N runs
(hard links, no extra data) in which every trial directory (the parent of
``train/`` and ``validation/``, as the Keras callback annotates) holds a state
file written by `tb_plugin.writer`, then times `annotation_files.Scanner.scan`
over the run names TensorBoard lists:

* cold: a new scanner (the first view after start: one ``stat`` per run and
  ancestor, every state file read and decoded);
* warm: the same scanner again (nothing changed: one ``stat`` each);
* one changed: after one more annotation of one trial.

Usage::

    python bench/bench_annotations.py [--runs 10000]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout
sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_backend  # noqa: E402

from tb_plugin import annotation_files, writer  # noqa: E402


def annotated_logdir(n_runs: int) -> tuple[Path, list[str]]:
    """The cached annotated copy and its run names (as the loaders list them)."""
    source = bench_backend.logdir_for(n_runs)
    root = Path(f"/tmp/rungroups-bench-annotated-{n_runs}")
    runs = sorted(
        str(Path(d).relative_to(source)).replace(os.sep, "/")
        for d, _, files in os.walk(source)
        if any("tfevents" in f for f in files)
    )
    if not (root / ".complete").exists():
        shutil.rmtree(root, ignore_errors=True)
        subprocess.run(["cp", "-al", str(source), str(root)], check=True)
        (root / ".complete").unlink()
        trials = sorted({run.rsplit("/", 1)[0] for run in runs})
        start = time.perf_counter()
        for i, trial in enumerate(trials):
            writer.annotate_run(
                root / trial, tags=["bench", f"t{i % 7}"], note=f"trial {i}", status="finished"
            )
        print(f"annotated {len(trials)} trials in {time.perf_counter() - start:.0f} s")
        (root / ".complete").write_text("ok")
    return root, runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    root, runs = annotated_logdir(args.runs)
    candidates = annotation_files.candidates(runs)
    cold, warm, changed = [], [], []
    for _ in range(args.repeats):
        os.sync()
        scanner = annotation_files.Scanner(str(root))
        t = time.perf_counter()
        scan = scanner.scan(runs)
        cold.append(time.perf_counter() - t)
        time.sleep(2.1)  # past the "changed recently" window of the files just written
        t = time.perf_counter()
        scanner.scan(runs)
        warm.append(time.perf_counter() - t)
        trial = runs[0].rsplit("/", 1)[0]
        writer.annotate_run(root / trial, tags=["again"])
        t = time.perf_counter()
        scanner.scan(runs)
        changed.append(time.perf_counter() - t)
    print(
        f"{len(runs)} runs, {len(candidates)} candidate directories, "
        f"{len(scan.runs)} annotated: scan cold {statistics.median(cold) * 1000:.0f} ms, "
        f"warm {statistics.median(warm) * 1000:.0f} ms, one changed "
        f"{statistics.median(changed) * 1000:.0f} ms (medians of {args.repeats}; page cache warm)"
    )


if __name__ == "__main__":
    main()
