"""Benchmark of tb_plugin.grouping at 10,000 trials (20,000 TensorBoard runs).

The log directory it imitates: a grid of learning rate x batch size x optimizer x seeds, each
trial written by Keras as ``<trial>/train`` and ``<trial>/validation``, with recorded metadata
(hparams, status, tags, host, started_at) on every trial. Run names are built directly as
`naming.RunName` values, so the numbers measure grouping, not name parsing.

Target (SPEC §10, issue brief): grouping three levels deep with statistics in < 0.2 s on a
2-core machine. Every timing is the best of 3.

Usage: ``python bench/bench_grouping.py [--trials N] [--points P]``
"""

from __future__ import annotations

import argparse
import datetime
import itertools
import sys
import timeit
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout

from tb_plugin import aggregate, curves, grouping, naming  # noqa: E402

TARGET_SECONDS = 0.2


def make_runs(n_trials: int) -> list[tuple[naming.RunName, dict | None]]:
    """Builds ``2 * n_trials`` (run name, metadata) pairs of a realistic grid."""
    lrs = (1e-4, 3e-4, 1e-3, 3e-3, 1e-2)
    batch_sizes = (16, 32, 64, 128)
    optimizers = ("adam", "adamw", "sgd", "rmsprop", "lion")
    configs = list(itertools.product(lrs, batch_sizes, optimizers))
    start = datetime.datetime(2026, 11, 1, 8, 0, 0)
    runs = []
    for i in range(n_trials):
        lr, bs, opt = configs[i % len(configs)]
        seed = i // len(configs)
        trial = f"sweep/lr={lr},bs={bs},opt={opt}/seed_{seed}"
        time = start + datetime.timedelta(minutes=7 * i)
        params = {"lr": lr, "bs": bs, "opt": opt, "seed": seed}
        labels = ("sweep",)
        metadata = {
            "hparams": {"lr": lr, "bs": bs, "opt": opt, "seed": seed, "layers": [64, 32]},
            "status": "finished" if i % 13 else "failed",
            "tags": ["baseline"] if i % 5 == 0 else ["grid"],
            "host": f"gpu-{i % 8}",
            "user": "bench",
            "started_at": time.isoformat(),
            "git": {"commit": "0123abc", "dirty": False},
        }
        runs.append((naming.RunName(trial, trial, None, time, params, labels), metadata))
        for split in ("train", "validation"):
            run = f"{trial}/{split}"
            runs.append((naming.RunName(run, trial, split, time, params, labels), None))
    return runs


def best_of_3(func) -> float:
    return min(timeit.repeat(func, number=1, repeat=3))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=10_000)
    parser.add_argument("--points", type=int, default=100, help="scalar points per run")
    parser.add_argument(
        "--parse", action="store_true", help="also time naming.parse_run_name on the run names"
    )
    args = parser.parse_args(argv)

    runs = make_runs(args.trials)
    names = [rn.run for rn, _ in runs]
    rng = np.random.default_rng(0)
    units = grouping.build_units(runs)
    by = ["param.opt", "param.lr", "param.bs"]
    tag = "epoch_loss"
    # One validation-loss series per trial, at slightly different step grids (some runs
    # stopped early), for the reductions and curves.
    series = {}
    for unit in units:
        n = args.points - int(rng.integers(0, args.points // 4 + 1))
        steps = np.arange(n, dtype=np.int64) * int(rng.integers(1, 3))
        series[unit.trial] = (steps, np.exp(-steps / 50.0) + rng.normal(0, 0.05, n))
    values = aggregate.reduce_runs(series, "last", tag)

    def grouping_with_stats():
        groups = grouping.group_units(units, by)
        return groups, aggregate.stats_by_group(groups, values, tag, "last")

    groups, stats = grouping_with_stats()
    biggest = max(groups, key=lambda g: len(g.units))
    biggest_series = {t: series[t] for t in biggest.trials}

    timings = [
        ("build_units (runs -> trials)", best_of_3(lambda: grouping.build_units(runs))),
        ("list_fields", best_of_3(lambda: grouping.list_fields(units, max_values=50))),
        ("default_group_by", best_of_3(lambda: grouping.default_group_by(units))),
        ("group_units, 3 levels", best_of_3(lambda: grouping.group_units(units, by))),
        ("group_units, 3 levels + stats_by_group", best_of_3(grouping_with_stats)),
        (
            f"reduce_runs best, {len(series)} x ~{args.points} points",
            best_of_3(lambda: aggregate.reduce_runs(series, "best", tag)),
        ),
        (
            f"group_curve, biggest group ({len(biggest.units)} runs)",
            best_of_3(lambda: curves.group_curve(biggest_series)),
        ),
        (
            f"group_curve, all {len(series)} runs, max_points=500",
            best_of_3(lambda: curves.group_curve(series, max_points=500)),
        ),
    ]

    if args.parse:
        timings.insert(
            0,
            (
                "naming.parse_run_name (not grouping)",
                best_of_3(lambda: [naming.parse_run_name(n) for n in names]),
            ),
        )

    print(
        f"{len(runs)} runs, {len(units)} trials, {len(groups)} groups by {', '.join(by)} "
        f"(default grouping: {', '.join(grouping.default_group_by(units))})"
    )
    width = max(len(name) for name, _ in timings)
    for name, seconds in timings:
        print(f"  {name:<{width}}  {seconds * 1000:8.1f} ms")
    headline = dict(timings)["group_units, 3 levels + stats_by_group"]
    verdict = "OK" if headline < TARGET_SECONDS else "SLOW"
    print(
        f"grouping 3 levels + stats: {headline * 1000:.1f} ms "
        f"(target < {TARGET_SECONDS * 1000:.0f} ms): {verdict}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
