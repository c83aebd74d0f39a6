"""Benchmark of the Run Groups backend against TensorBoard's HParams plugin.

Generates a log directory of N TensorBoard runs (N / 2 trials, each written as
``<trial>/train`` and ``<trial>/validation`` with 50 steps of 4 scalar tags; our
run metadata in the train run of half the trials; a TensorBoard HParams session
in the validation run of a quarter of them), then, for each loader (a real
``tensorboard`` process with ``--load_fast=false`` and ``--load_fast=true``),
prints:

* the time from start until ``/data/plugin/rungroups/runs`` lists every run;
* warm median latency of our ``runs``, ``groups`` (with statistics) and
  ``curves`` routes, and of the HParams plugin's ``experiment`` and
  ``session_groups`` routes on the same log directory, with ratios;
* tensorboard's RSS (plus its data-server child) after warming only core
  ``/data/runs``, and again after warming our routes: the difference is what
  the plugin adds.

Targets at 10,000 runs: groups faster than HParams ``session_groups`` (ratio
< 1), runs under 500 ms, the plugin adding under 25% to RSS.

Generated log directories are cached under ``/tmp/rungroups-bench-<N>``.

Usage: ``python bench/bench_backend.py --runs 1000 [--runs 10000] [--loader python|rust]``
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import shutil
import statistics
import struct
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout

from tensorboard.compat.proto import event_pb2, summary_pb2  # noqa: E402
from tensorboard.plugins.hparams import summary_v2 as hp  # noqa: E402

from tb_plugin import backend, summary  # noqa: E402

STEPS = 50
TAGS = ("epoch_loss", "epoch_accuracy", "epoch_mae", "learning_rate")
PREFIX = "data/plugin/rungroups"
REPEATS = 7


# --- generation ---------------------------------------------------------------------


def _record_writer():
    """Returns a function writing TFRecord files: TensorFlow's C++ CRC if present."""
    try:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        import tensorflow as tf  # noqa: PLC0415

        def write(path: str, records: list[bytes]) -> None:
            with tf.io.TFRecordWriter(path) as w:
                for r in records:
                    w.write(r)

        return write
    except ImportError:
        from tensorboard.compat.tensorflow_stub.pywrap_tensorflow import masked_crc32c

        def write(path: str, records: list[bytes]) -> None:
            with open(path, "wb") as f:
                for data in records:
                    header = struct.pack("<Q", len(data))
                    f.write(header + struct.pack("<I", masked_crc32c(header)))
                    f.write(data + struct.pack("<I", masked_crc32c(data)))

        return write


def generate(root: Path, n_runs: int) -> None:
    """Writes ``n_runs`` TensorBoard runs under ``root`` (see the module docstring)."""
    write = _record_writer()
    lrs = (1e-4, 3e-4, 1e-3, 3e-3, 1e-2)
    batch_sizes = (16, 32, 64, 128)
    optimizers = ("adam", "sgd", "rmsprop")
    configs = list(itertools.product(lrs, batch_sizes, optimizers))
    t0 = 1_790_000_000.0
    version = event_pb2.Event(wall_time=t0, file_version="brain.Event:2").SerializeToString()
    for i in range(n_runs // 2):
        lr, bs, opt = configs[i % len(configs)]
        seed = i // len(configs)
        trial = f"lr={lr},bs={bs},opt={opt}/seed_{seed}"
        speed = 1.0 + (i % 7) / 10
        for split in ("train", "validation"):
            run_dir = root / trial / split
            run_dir.mkdir(parents=True, exist_ok=True)
            records = [version]
            offset = 0.05 if split == "validation" else 0.0
            for step in range(STEPS):
                summ = summary_pb2.Summary()
                loss = 2.0 / (1 + step * lr * 100 * speed) + offset + (seed % 3) * 0.01
                summ.value.add(tag="epoch_loss", simple_value=loss)
                summ.value.add(tag="epoch_accuracy", simple_value=1.0 - loss / 3)
                summ.value.add(tag="epoch_mae", simple_value=loss / 2)
                summ.value.add(tag="learning_rate", simple_value=lr)
                records.append(
                    event_pb2.Event(
                        wall_time=t0 + i + step * 0.01, step=step, summary=summ
                    ).SerializeToString()
                )
            if split == "train" and i % 2 == 0:
                data = {
                    "hparams": {"lr": lr, "bs": bs, "opt": opt, "seed": seed},
                    "status": "finished" if i % 10 else "running",
                    "tags": ["bench"],
                    "host": f"gpu-{i % 4}",
                    "notes": f"trial {i}",
                }
                ev = event_pb2.Event(
                    wall_time=t0 + i, step=0, summary=summary.run_metadata_pb(data)
                )
                records.append(ev.SerializeToString())
            if split == "validation" and i % 4 == 0:
                ev = event_pb2.Event(
                    wall_time=t0 + i,
                    summary=hp.hparams_pb({"lr": lr, "bs": bs, "opt": opt, "seed": seed}),
                )
                records.insert(1, ev.SerializeToString())
            write(str(run_dir / f"events.out.tfevents.{int(t0)}.bench.{i}.{split}"), records)


def logdir_for(n_runs: int) -> Path:
    """Returns the cached log directory of ``n_runs`` runs, generating it if needed."""
    root = Path(f"/tmp/rungroups-bench-{n_runs}")
    done = root / ".complete"
    if not done.exists():
        shutil.rmtree(root, ignore_errors=True)
        root.mkdir(parents=True)
        start = time.perf_counter()
        generate(root, n_runs)
        done.write_text("ok")
        print(f"generated {n_runs} runs in {root} in {time.perf_counter() - start:.0f} s")
    return root


# --- measuring a real tensorboard ---------------------------------------------------


NO_TF_LAUNCHER = """\
import sys, types
# TensorBoard's own marker for its no-TensorFlow build (what `pip install tensorboard`
# without TensorFlow gives, as PyTorch users have): it then reads through its own stub
# gfile and record reader, even where TensorFlow is installed.
sys.modules["tensorboard.compat.notf"] = types.ModuleType("notf")
from tensorboard.main import run_main
run_main()
"""


def warm_args(interval: float | None) -> tuple[str, ...]:
    """tensorboard's arguments for a ``--warm-interval`` option (None: its default)."""
    return () if interval is None else (f"--rungroups_warm_interval={interval:g}",)


class Server:
    """A real tensorboard process on a free port (`no_tf`: as TensorBoard without TensorFlow)."""

    START_TIMEOUT = 300.0
    """Seconds to wait for tensorboard to print its URL."""

    def __init__(
        self,
        logdir: Path,
        load_fast: bool,
        extra_args: tuple[str, ...] = (),
        no_tf: bool = False,
    ):
        self.log_path = f"/tmp/rungroups-bench-tb-{os.getpid()}-{int(load_fast)}.log"
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in close()
        if no_tf:
            launcher = [sys.executable, "-c", NO_TF_LAUNCHER]
        else:
            launcher = [shutil.which("tensorboard") or "tensorboard"]
        self.proc = subprocess.Popen(
            [
                *launcher,
                "--logdir",
                str(logdir),
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                f"--load_fast={'true' if load_fast else 'false'}",
                *extra_args,
            ],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"),
        )
        self.started = time.perf_counter()
        self.url = self._wait_for_url()

    def _wait_for_url(self) -> str:
        import re

        while time.perf_counter() - self.started < self.START_TIMEOUT:
            text = Path(self.log_path).read_bytes()
            m = re.search(rb"(http://127\.0\.0\.1:\d+/)", text)
            if m:
                return m.group(1).decode()
            if self.proc.poll() is not None:
                raise RuntimeError(text.decode("utf-8", "replace"))
            time.sleep(0.1)
        raise RuntimeError("tensorboard did not start")

    def get(self, path: str, params: dict | None = None) -> bytes:
        url = self.url + path
        if params:
            url += "?" + urllib.parse.urlencode(params)
        with urllib.request.urlopen(url, timeout=600) as r:
            return r.read()

    def rss_mb(self) -> float:
        """RSS of tensorboard plus its children (the Rust data server), in MB."""
        pids = [self.proc.pid]
        try:
            out = subprocess.run(
                ["pgrep", "-P", str(self.proc.pid)], capture_output=True, text=True
            ).stdout
            pids += [int(p) for p in out.split()]
        except OSError:
            pass
        total = 0
        for pid in pids:
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
            except OSError:
                pass
        return total / 1024

    def close(self) -> None:
        """Stops tensorboard; its log file is removed unless it had exited by itself."""
        exited = self.proc.poll() is not None
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self._log.close()
        if not exited:
            Path(self.log_path).unlink(missing_ok=True)


def median_ms(fn, repeats: int = REPEATS) -> float:
    """Median latency of warm requests, each paying for its own listing calls.

    The plugin reuses an experiment listing for `backend.LISTING_TTL` seconds
    (so the tab's burst of requests shares one); waiting past it before every
    timed request keeps back-to-back repeats from flattering the figures.
    """
    fn()  # warm
    times = []
    for _ in range(repeats):
        time.sleep(backend.LISTING_TTL + 0.2)
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


PLATEAU = 180.0
"""Seconds without a new run after which waiting stops: TensorBoard lists no more. (The
Rust data server keeps a descriptor per event file; past the open-file limit, see
``ulimit -n``, it cannot open the rest and logs "Too many open files".)"""


class _Plateau:
    """Tells when a count that grows while TensorBoard loads has stopped for `PLATEAU` s."""

    def __init__(self) -> None:
        self._best, self._since = 0, time.perf_counter()

    @property
    def best(self) -> int:
        """The largest count seen."""
        return self._best

    def stalled(self, count: int) -> bool:
        if count > self._best:
            self._best, self._since = count, time.perf_counter()
            return False
        return self._best > 0 and time.perf_counter() - self._since > PLATEAU


def wait_until_loaded(server: Server, n_runs: int, timeout: float = 1800) -> float:
    """Waits until every run has scalars and RSS is flat for 10 s; returns seconds taken."""
    deadline = time.perf_counter() + timeout
    plateau = _Plateau()
    while time.perf_counter() < deadline:
        # TensorBoard's own scalars plugin: every run with the metric, the plugin not asked.
        tags = json.loads(server.get("data/plugin/scalars/tags"))
        with_loss = sum(1 for run_tags in tags.values() if TAGS[0] in run_tags)
        if with_loss >= n_runs:
            break
        if plateau.stalled(with_loss):
            print(f"    {with_loss} of {n_runs} runs have scalars; going on with those", flush=True)
            break
        time.sleep(2)
    previous = server.rss_mb()
    while time.perf_counter() < deadline:
        time.sleep(10)
        current = server.rss_mb()
        if abs(current - previous) <= 0.01 * previous:
            break
        previous = current
    return time.perf_counter() - server.started


def wait_until_listed(server: Server, n_runs: int) -> int:
    """Polls TensorBoard's run list until it has every run, or no more for `PLATEAU` seconds.

    Returns:
      How many runs it lists (fewer than `n_runs` when TensorBoard itself stopped short).
    """
    plateau = _Plateau()
    while True:
        try:
            # TensorBoard's own run list: waiting costs the plugin nothing (bench_open.py
            # measures memory before and after the plugin's routes).
            runs = len(json.loads(server.get("data/runs")))
        except urllib.error.URLError:
            runs = 0
        if runs >= n_runs:
            return runs
        if plateau.stalled(runs):
            # The most it listed: past its file descriptor limit the Rust data server also
            # fails to answer now and then (TensorBoard's `/data/runs` then errs).
            runs = plateau.best
            print(f"    tensorboard lists {runs} of {n_runs} runs; going on with those", flush=True)
            return runs
        time.sleep(0.1 if n_runs <= 10_000 else 5)


def bench_loader(logdir: Path, n_runs: int, load_fast: bool) -> dict[str, float]:
    name = "rust (--load_fast=true)" if load_fast else "python (--load_fast=false)"
    # No warming: each timed request pays for its own listing and work (bench_open.py
    # measures what a user waits for, with warming).
    server = Server(logdir, load_fast, ("--rungroups_warm_interval=0",))
    try:
        wait_until_listed(server, n_runs)
        loaded = time.perf_counter() - server.started
        # Runs are listed before their data is: the Python loader keeps reading
        # for minutes at 10,000 runs. Measure only once loading is over (every
        # run has its scalars and the process has stopped growing), or the
        # figures time the loader, not the routes.
        settled = wait_until_loaded(server, n_runs)
        # Core only first: RSS with TensorBoard's own /data/runs warm...
        for _ in range(3):
            server.get("data/runs")
        time.sleep(1)
        rss_core = server.rss_mb()
        hp_experiment = {"experimentName": ""}
        hp_groups = {
            "startIndex": 0,
            "sliceSize": 100,
            "allowedStatuses": [
                "STATUS_UNKNOWN",
                "STATUS_SUCCESS",
                "STATUS_FAILURE",
                "STATUS_RUNNING",
            ],
            "colParams": [{"metric": {"group": "", "tag": "epoch_loss"}, "order": "ORDER_ASC"}],
        }
        by = "param.lr,param.bs,param.opt"
        groups_args = {"by": by, "metric": "epoch_loss", "split": "validation", "reduction": "min"}
        curves_args = {"by": by, "metric": "epoch_loss", "split": "validation"}
        out = {
            "load_s": loaded,
            "settled_s": settled,
            "runs_ms": median_ms(lambda: server.get(f"{PREFIX}/runs")),
            "fields_ms": median_ms(lambda: server.get(f"{PREFIX}/fields")),
            "groups_last_ms": median_ms(
                lambda: server.get(f"{PREFIX}/groups", {**groups_args, "reduction": "last"})
            ),
            "groups_ms": median_ms(lambda: server.get(f"{PREFIX}/groups", groups_args)),
            "curves_ms": median_ms(lambda: server.get(f"{PREFIX}/curves", curves_args)),
        }
        time.sleep(1)
        out["rss_ours_mb"] = server.rss_mb()
        out["rss_core_mb"] = rss_core
        out["hp_experiment_ms"] = median_ms(
            lambda: server.get(
                "data/plugin/hparams/experiment", {"request": json.dumps(hp_experiment)}
            ),
            repeats=3,
        )
        out["hp_session_groups_ms"] = median_ms(
            lambda: server.get(
                "data/plugin/hparams/session_groups", {"request": json.dumps(hp_groups)}
            ),
            repeats=3,
        )
    finally:
        server.close()
    added = (out["rss_ours_mb"] - out["rss_core_mb"]) / out["rss_core_mb"] * 100
    print(f"\n{n_runs} runs, {name}")
    print(f"  start until /runs lists all runs   {out['load_s']:8.1f} s")
    print(f"  start until loading settled        {out['settled_s']:8.1f} s")
    print(f"  runs                               {out['runs_ms']:8.1f} ms")
    print(f"  fields                             {out['fields_ms']:8.1f} ms")
    print(f"  groups (reduction=last)            {out['groups_last_ms']:8.1f} ms")
    print(f"  groups (reduction=min)             {out['groups_ms']:8.1f} ms")
    print(f"  curves                             {out['curves_ms']:8.1f} ms")
    print(f"  hparams /experiment                {out['hp_experiment_ms']:8.1f} ms")
    print(f"  hparams /session_groups            {out['hp_session_groups_ms']:8.1f} ms")
    print(
        f"  ratio groups(min) / session_groups {out['groups_ms'] / out['hp_session_groups_ms']:8.2f}"
    )
    print(
        f"  ratio groups(last)/ session_groups "
        f"{out['groups_last_ms'] / out['hp_session_groups_ms']:8.2f}"
    )
    print(f"  ratio runs / hparams experiment    {out['runs_ms'] / out['hp_experiment_ms']:8.2f}")
    print(
        f"  RSS core-only {out['rss_core_mb']:.0f} MB, after our routes "
        f"{out['rss_ours_mb']:.0f} MB: plugin adds {added:.1f}%"
    )
    sys.stdout.flush()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, action="append", help="number of runs (repeatable)")
    parser.add_argument("--loader", choices=("python", "rust"), action="append")
    parser.add_argument("--generate-only", action="store_true")
    args = parser.parse_args()
    sizes = args.runs or [1000]
    loaders = args.loader or ["python", "rust"]
    for n in sizes:
        logdir = logdir_for(n)
        if args.generate_only:
            continue
        for loader in loaders:
            bench_loader(logdir, n, load_fast=loader == "rust")


if __name__ == "__main__":
    main()
