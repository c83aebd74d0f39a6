"""Benchmark for tb_plugin.naming.parse_run_name.

Generates 100,000 distinct, realistic run names across every built-in convention
(fixed seed) and prints the best of three parse times, calling `parse_run_name`
once a name and through `parse_run_names` (the batch the backend uses).

Usage:
    python bench/bench_naming.py [--count N] [--repeat R]
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir))

from tb_plugin import naming  # noqa: E402

NOW = datetime.datetime(2026, 11, 27, 12, 0, 0)
HOSTS = [
    "myhost",
    "gpu-node-7",
    "DESKTOP-4F2K9QX",
    "ip-10-0-3-17",
    "jupyter-alice",
    "s-MacBook-Pro.local",
]
MODELS = ["resnet50", "bert-base-uncased", "yolov8n", "vit_b16", "mlp", "cnn", "efficientnet-b0"]
OPTS = ["adam", "adamw", "sgd", "rmsprop", "adam_w"]
SPLITS = ["", "/train", "/validation", "/eval", "/test"]


def _moment(rng: random.Random) -> datetime.datetime:
    return datetime.datetime(2019, 1, 1) + datetime.timedelta(
        seconds=rng.randrange(8 * 365 * 86400)
    )


def _lr(rng: random.Random) -> str:
    return rng.choice(["0.1", "0.01", "0.001", "1e-3", "3e-4", "1e-05", "0.0005", "2e-5"])


def _name(rng: random.Random) -> str:
    kind = rng.randrange(10)
    t = _moment(rng)
    split = rng.choice(SPLITS)
    if kind == 0:  # Géron / Hands-On ML helper
        return f"my_logs/{t:run_%Y_%m_%d-%H_%M_%S}{split}"
    if kind == 1:  # TensorFlow tutorials
        return f"logs/fit/{t:%Y%m%d-%H%M%S}{split}"
    if kind == 2:  # get_run_logdir with params
        return (
            f"my_logs/lr={_lr(rng)},bs={rng.choice([16, 32, 64, 128])},"
            f"opt={rng.choice(OPTS)},dropout={rng.random():.2f}/{t:run_%Y_%m_%d-%H_%M_%S}{split}"
        )
    if kind == 3:  # nested experiment / params / seed
        return (
            f"{rng.choice(MODELS)}-exp{rng.randrange(100)}/lr={_lr(rng)}_batch_size="
            f"{rng.choice([16, 32, 64])}/seed_{rng.randrange(1000)}{split}"
        )
    if kind == 4:  # PyTorch / tensorboardX SummaryWriter default
        comment = rng.choice(["", f" lr={_lr(rng)}", f"_lr={_lr(rng)}_bs={rng.choice([8, 16])}"])
        return f"runs/{t:%b%d_%H-%M-%S}_{rng.choice(HOSTS)}{comment}"
    if kind == 5:  # PyTorch Lightning
        return f"lightning_logs/version_{rng.randrange(100000)}{split}"
    if kind == 6:  # Hydra multirun
        return f"multirun/{t:%Y-%m-%d}/{t:%H-%M-%S}/{rng.randrange(64)}{split}"
    if kind == 7:  # Ray Tune trial directory
        uid = f"{rng.randrange(16**5):05x}"
        idx = rng.randrange(1000)
        tag = f"bs={rng.choice([16, 32, 64])},lr={float(_lr(rng)):.4f},opt={rng.choice(OPTS)}"
        return f"train_fn_{t:%Y-%m-%d_%H-%M-%S}/train_fn_{uid}_{idx:05d}_{idx}_{tag}_{t:%Y-%m-%d_%H-%M-%S}"
    if kind == 8:  # ISO-like
        sep = rng.choice(["T", "_"])
        clock = f"{t:%H:%M:%S}" if sep == "T" else f"{t:%H-%M-%S}"
        return f"experiments/{rng.choice(MODELS)}/{t:%Y-%m-%d}{sep}{clock}{split}"
    # free text with index words and look-alikes
    return (
        f"{rng.choice(MODELS)}_{rng.choice(['baseline', 'ablation', 'sweep3', 'v2'])}"
        f"/fold-{rng.randrange(10)}_rep{rng.randrange(5)}/trial_{rng.randrange(100000)}{split}"
    )


def make_names(count: int, seed: int = 0) -> list[str]:
    """Returns ``count`` distinct names, deterministic for a seed."""
    rng = random.Random(seed)
    names: dict[str, None] = {}
    while len(names) < count:
        names[_name(rng)] = None
    return list(names)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    names = make_names(args.count)
    parse = naming.parse_run_name

    def one_by_one() -> None:
        for name in names:
            parse(name, now=NOW)

    def batch() -> list[naming.RunName]:
        return naming.parse_run_names(names, now=NOW)

    for label, run in (("parse_run_name, one call a name", one_by_one), ("parse_run_names", batch)):
        best = float("inf")
        for _ in range(args.repeat):
            # Every pass starts with empty caches, so the only cache hits are segments
            # and key=value pairs that repeat within the 100,000 distinct names, as they
            # do in a real log directory.
            naming._cache_clear()
            start = time.perf_counter()
            result = run()
            best = min(best, time.perf_counter() - start)
            # The backend keeps what it parsed: freeing it is not part of parsing.
            del result
        print(
            f"{label}: {len(names):,} distinct names in {best:.3f} s "
            f"(best of {args.repeat}), {best / len(names) * 1e6:.2f} µs/name"
        )


if __name__ == "__main__":
    main()
