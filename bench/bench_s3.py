"""Benchmark: the Run Groups tab's first view on an ``s3://`` log directory.

The log directory of ``bench_backend.py`` (N runs: N / 2 trials of ``train`` and
``validation`` runs, 50 steps of 4 scalar tags, our metadata in half the
trials, TensorBoard HParams sessions in a quarter) is copied into a bucket of a
local S3 server (moto's ``moto_server`` on 127.0.0.1; no other traffic) and
served by a real ``tensorboard --load_fast=false`` (the Python loader: the
Rust one reads no ``s3://``) through TensorBoard's own gfile (the
``tensorboard.compat.notf`` marker, as the README says: with TensorFlow
installed, a plain ``tensorboard`` reads through ``tf.io.gfile``, which has no
``s3://`` without tensorflow-io). The same folder is served from local disk
with the same launcher and loader. Both load once, blocking
(``--reload_interval 0 --reload_task blocking``), so the figures time the
routes, not a background reload.

The tab's first view is the requests it makes on open: ``/runs``, ``/fields``,
``/tags``, ``/groups`` with a metric, ``/curves`` for the table's sparklines
(40 points, every group) and ``/curves`` for the chart (500 points, the five
largest groups, smoothed and raw). Each figure is the median of warm requests
that each pay for their own experiment listing (``bench_backend.median_ms``).
TensorBoard's HParams tab on the same bucket is asked what its first view
asks: ``/experiment`` and ``/session_groups`` (as ``bench_backend.py`` asks).

Usage: ``python bench/bench_s3.py [--runs 1000]``
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout

import bench_backend  # noqa: E402

PREFIX = bench_backend.PREFIX
METRIC = "epoch_loss"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class MotoServer:
    """A ``moto_server`` on a free port of 127.0.0.1, and boto3's environment for it."""

    def __init__(self, home: Path):
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        script = Path(sys.executable).parent / "moto_server"
        base = [str(script)] if script.exists() else [sys.executable, "-m", "moto.server"]
        self._log = open(home / "moto.log", "wb")  # noqa: SIM115 - closed in close()
        self.proc = subprocess.Popen(
            [*base, "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        os.environ.update(
            S3_ENDPOINT=self.endpoint,
            AWS_ENDPOINT_URL=self.endpoint,
            AWS_ACCESS_KEY_ID="bench",
            AWS_SECRET_ACCESS_KEY="bench",
            AWS_DEFAULT_REGION="us-east-1",
            AWS_EC2_METADATA_DISABLED="true",
            AWS_CONFIG_FILE=str(home / "absent"),
            AWS_SHARED_CREDENTIALS_FILE=str(home / "absent"),
            NO_PROXY="127.0.0.1,localhost",
        )
        deadline = time.time() + 60
        while True:
            try:
                with urllib.request.urlopen(self.endpoint + "/", timeout=5):
                    break
            except (urllib.error.URLError, ConnectionError):
                if self.proc.poll() is not None or time.time() > deadline:
                    raise RuntimeError((home / "moto.log").read_text()) from None
                time.sleep(0.2)

    def upload(self, local: Path, bucket: str, prefix: str) -> str:
        """Copies a folder into the bucket (8 threads); returns its ``s3://`` URL."""
        import boto3

        client = boto3.client("s3", endpoint_url=self.endpoint)
        client.create_bucket(Bucket=bucket)
        files = [p for p in local.rglob("*") if p.is_file() and p.name != ".complete"]

        def put(path: Path) -> None:
            key = f"{prefix}/{path.relative_to(local).as_posix()}"
            client.put_object(Bucket=bucket, Key=key, Body=path.read_bytes())

        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            list(pool.map(put, files))
        return f"s3://{bucket}/{prefix}"

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self._log.close()


class Server(bench_backend.Server):
    """A tensorboard on TensorBoard's own gfile, Python loader, loaded once before serving."""

    START_TIMEOUT = 3600.0  # the blocking load of 1,000 runs from S3 comes first

    def __init__(self, logdir: str, launcher: Path, name: str):
        self.log_path = f"/tmp/rungroups-bench-s3-tb-{os.getpid()}-{name}.log"
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in close()
        self.proc = subprocess.Popen(
            [
                sys.executable,
                str(launcher),
                "--logdir",
                logdir,
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--load_fast=false",
                "--reload_interval",
                "0",
                "--reload_task",
                "blocking",
            ],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"),
        )
        self.started = time.perf_counter()
        self.url = self._wait_for_url()
        self.load_s = time.perf_counter() - self.started


def first_view(server: Server, repeats: int) -> dict[str, float]:
    """Median ms of each request of the tab's first view, and of the whole view."""
    groups_args = {"metric": METRIC, "reduction": "last"}
    groups = json.loads(server.get(f"{PREFIX}/groups", groups_args))["groups"]
    largest = sorted(groups, key=lambda g: -g["size"])[:5]
    chart = [("metric", METRIC), ("max_points", "500")] + [("group", g["key"]) for g in largest]
    requests = {
        "runs": (f"{PREFIX}/runs", None),
        "fields": (f"{PREFIX}/fields", None),
        "tags": (f"{PREFIX}/tags", None),
        "groups": (f"{PREFIX}/groups", groups_args),
        "curves (sparklines)": (f"{PREFIX}/curves", {"metric": METRIC, "max_points": "40"}),
        "curves (chart, smoothed)": (f"{PREFIX}/curves", [*chart, ("smoothing", "0.6")]),
        "curves (chart, raw)": (f"{PREFIX}/curves", chart),
    }
    out = {
        name: bench_backend.median_ms(
            lambda path=path, args=args: server.get(path, args), repeats=repeats
        )
        for name, (path, args) in requests.items()
    }

    def whole() -> None:
        for path, args in requests.values():
            server.get(path, args)

    out["first view"] = bench_backend.median_ms(whole, repeats=repeats)
    return out


def hparams_view(server: Server, repeats: int) -> dict[str, float]:
    """Median ms of the HParams tab's first requests (as bench_backend.py asks them)."""
    experiment = {"request": json.dumps({"experimentName": ""})}
    session_groups = {
        "request": json.dumps(
            {
                "startIndex": 0,
                "sliceSize": 100,
                "allowedStatuses": [
                    "STATUS_UNKNOWN",
                    "STATUS_SUCCESS",
                    "STATUS_FAILURE",
                    "STATUS_RUNNING",
                ],
                "colParams": [{"metric": {"group": "", "tag": METRIC}, "order": "ORDER_ASC"}],
            }
        )
    }
    out = {
        "hparams /experiment": bench_backend.median_ms(
            lambda: server.get("data/plugin/hparams/experiment", experiment), repeats=repeats
        ),
        "hparams /session_groups": bench_backend.median_ms(
            lambda: server.get("data/plugin/hparams/session_groups", session_groups),
            repeats=repeats,
        ),
    }
    out["hparams first view"] = out["hparams /experiment"] + out["hparams /session_groups"]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=1000, help="number of runs (default 1000)")
    parser.add_argument("--repeats", type=int, default=5, help="timed requests per figure")
    args = parser.parse_args()
    local = bench_backend.logdir_for(args.runs)
    home = Path(tempfile.mkdtemp(prefix="rungroups-bench-s3-"))
    launcher = home / "launch_tensorboard.py"
    launcher.write_text(bench_backend.NO_TF_LAUNCHER)
    moto = MotoServer(home)
    servers: list[Server] = []
    try:
        start = time.perf_counter()
        url = moto.upload(local, "rungroups-bench", "logs")
        print(f"uploaded {args.runs} runs to {url} in {time.perf_counter() - start:.0f} s")
        results = {}
        for name, logdir in (("s3", url), ("local", str(local))):
            server = Server(logdir, launcher, name)
            servers.append(server)
            n = len(json.loads(server.get(f"{PREFIX}/runs"))["runs"])
            assert n == args.runs, f"{name}: {n} runs listed, {args.runs} written"
            results[name] = {"load (s)": server.load_s, **first_view(server, args.repeats)}
            if name == "s3":
                results[name].update(hparams_view(server, args.repeats))
            server.close()
    finally:
        for server in servers:
            if server.proc.poll() is None:
                server.close()
        moto.close()
    s3, loc = results["s3"], results["local"]
    print(f"\n{args.runs} runs, Python loader (--load_fast=false), median of {args.repeats}")
    print(f"  {'':28} {'s3://':>10} {'local':>10} {'s3/local':>9}")
    print(f"  {'load once (s)':28} {s3['load (s)']:10.1f} {loc['load (s)']:10.1f}")
    for key in [k for k in loc if k != "load (s)"]:
        print(f"  {key + ' (ms)':28} {s3[key]:10.1f} {loc[key]:10.1f} {s3[key] / loc[key]:9.2f}")
    print(f"  {'hparams /experiment (ms)':28} {s3['hparams /experiment']:10.1f}")
    print(f"  {'hparams /session_groups (ms)':28} {s3['hparams /session_groups']:10.1f}")
    print(
        f"  ratio first view / HParams first view, both on s3:// "
        f"{s3['first view'] / s3['hparams first view']:.2f}"
    )
    print(
        f"  ratio groups / HParams session_groups, both on s3:// "
        f"{s3['groups'] / s3['hparams /session_groups']:.2f}"
    )


if __name__ == "__main__":
    main()
