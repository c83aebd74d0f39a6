"""Log directories on object storage: a real `moto_server` on 127.0.0.1 as the S3 endpoint.

Every file operation of the writer, the CLI and `rungroups.json` goes through
TensorBoard's own gfile (boto3 for ``s3://``). TensorFlow is installed here, so
a plain `tensorboard` would read through `tf.io.gfile` (no ``s3://`` without
tensorflow-io): the served tests start TensorBoard through a launcher that asks
for TensorBoard's own gfile (the `tensorboard.compat.notf` marker module), as
the README's "Logs on object storage" says. No traffic leaves 127.0.0.1: the
endpoint is local and botocore's instance-metadata probe is off.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import free_port, metadata_event, scalar_event, write_events
from tensorboard.compat.tensorflow_stub.io import gfile

from tb_plugin import config, writer

# Every test here starts moto_server, a process of its own.
pytestmark = pytest.mark.process

PREFIX = "data/plugin/rungroups"


# --- a local S3 server ------------------------------------------------------------------


def _moto_command(port: int) -> list[str]:
    script = os.path.join(os.path.dirname(sys.executable), "moto_server")
    base = [script] if os.path.exists(script) else [sys.executable, "-m", "moto.server"]
    return [*base, "-H", "127.0.0.1", "-p", str(port)]


@pytest.fixture(scope="module")
def s3_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A `moto_server` on a free local port, and the environment that points boto3 at it.

    The variables are set in this process's environment (tensorboard and
    tb-rungroups processes inherit them) and restored afterwards.
    """
    port = free_port()
    home = tmp_path_factory.mktemp("moto")
    log = open(home / "moto.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(_moto_command(port), stdout=log, stderr=subprocess.STDOUT, cwd=home)
    endpoint = f"http://127.0.0.1:{port}"
    env = {
        "S3_ENDPOINT": endpoint,  # TensorBoard's gfile reads only this one
        # boto3's own variable too: a client made without TensorBoard's endpoint
        # (a gfile imported before S3_ENDPOINT was set) still stays on 127.0.0.1.
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        # No probe of the instance-metadata address, no user's ~/.aws, no proxy.
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": str(home / "absent-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / "absent-credentials"),
        "NO_PROXY": "127.0.0.1,localhost",
    }
    saved = {key: os.environ.get(key) for key in [*env, "AWS_PROFILE", "AWS_SESSION_TOKEN"]}
    os.environ.update(env)
    os.environ.pop("AWS_PROFILE", None)
    os.environ.pop("AWS_SESSION_TOKEN", None)
    # TensorBoard's gfile reads S3_ENDPOINT once, when its S3 filesystem is made
    # (at import, long before this fixture): make this process's one again.
    previous_fs = gfile.get_filesystem("s3://x/y")
    gfile.register_filesystem("s3", gfile.S3FileSystem())
    try:
        deadline = time.time() + 60
        while True:
            try:
                with urllib.request.urlopen(endpoint + "/", timeout=5):
                    break
            except (urllib.error.URLError, ConnectionError):
                if proc.poll() is not None or time.time() > deadline:
                    raise RuntimeError(
                        "moto_server did not start: " + (home / "moto.log").read_text()
                    ) from None
                time.sleep(0.2)
        yield endpoint
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
        gfile.register_filesystem("s3", previous_fs)
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@pytest.fixture
def s3(s3_endpoint: str) -> Any:
    import boto3

    return boto3.client("s3", endpoint_url=s3_endpoint)


@pytest.fixture
def bucket(s3: Any) -> str:
    name = f"rungroups-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    return name


def upload(s3: Any, local: Path, bucket: str, prefix: str) -> str:
    """Copies a local folder into `s3://bucket/prefix`, object by object; returns the URL."""
    for path in sorted(local.rglob("*")):
        if path.is_file() and path.name != writer.LOCK_NAME:
            key = f"{prefix}/{path.relative_to(local).as_posix()}"
            s3.put_object(Bucket=bucket, Key=key, Body=path.read_bytes())
    return f"s3://{bucket}/{prefix}"


def keys(s3: Any, bucket: str, prefix: str = "") -> list[str]:
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return sorted(o["Key"] for page in pages for o in page.get("Contents", []))


# --- a log directory ----------------------------------------------------------------------

RUNS = {  # trial: (lr, loss scale)
    "lr=0.1,bs=32/seed=1": (0.1, 1.0),
    "lr=0.1,bs=32/seed=2": (0.1, 1.1),
    "lr=0.01,bs=32/seed=1": (0.01, 2.0),
    "lr=0.01,bs=32/seed=2": (0.01, 2.2),
}
PATTERN_FILE = {"patterns": [r"seed=(?P<replica>\d+)"]}  # a field only the file names


def write_logdir(root: Path) -> None:
    """Trials with train/validation splits, v1 metadata, a v2 annotation and rungroups.json."""
    for i, (trial, (lr, scale)) in enumerate(RUNS.items()):
        for split, offset in (("train", 0.0), ("validation", 0.1)):
            events = [
                scalar_event(
                    "epoch_loss", step, scale / (step + 1) + offset, 1_790_000_000.0 + step
                )
                for step in range(6)
            ]
            if split == "train":
                data = {"hparams": {"lr": lr, "opt": "adam"}, "status": "finished"}
                events.append(metadata_event(data, 0, 1_790_000_100.0))
            write_events(str(root / trial / split), events)
        if i == 0:
            writer.annotate_run(root / trial / "train", tags=["best"], note="checked by hand")
    (root / "rungroups.json").write_text(json.dumps(PATTERN_FILE))


@pytest.fixture
def logdir(tmp_path: Path) -> Path:
    root = tmp_path / "logs"
    write_logdir(root)
    return root


# --- a tensorboard that reads s3:// with TensorBoard's own gfile ---------------------------

LAUNCHER = """\
import sys, types
# TensorBoard's own marker for its no-TensorFlow build: TensorBoard then reads through
# its own gfile (s3:// with boto3), not tf.io.gfile (s3:// only with tensorflow-io).
sys.modules["tensorboard.compat.notf"] = types.ModuleType("notf")
from tensorboard.main import run_main
run_main()
"""


@pytest.fixture
def no_tf_python(tmp_path: Path) -> str:
    """A `python=` for the tensorboard_process fixture: its `tensorboard` uses the stub gfile."""
    bin_dir = tmp_path / "no-tf-bin"
    bin_dir.mkdir()
    (bin_dir / "launch_tensorboard.py").write_text(LAUNCHER)
    script = bin_dir / "tensorboard"
    script.write_text(
        f'#!/bin/sh\nexec {sys.executable} {bin_dir / "launch_tensorboard.py"} "$@"\n'
    )
    script.chmod(0o755)
    return str(bin_dir / "python")


def serve(tensorboard_process, tmp_path: Path, url_or_dir: str, python: str, load_fast=False):
    """A tensorboard process on `url_or_dir`; its own log and working folder in `tmp_path`.

    The fixture's positional log directory is a local folder (its log file and
    working directory go there); `--logdir` repeated in the extra arguments is
    the one TensorBoard serves (argparse keeps the last).
    """
    home = tmp_path / f"tb-{uuid.uuid4().hex[:6]}" / "logs"
    home.mkdir(parents=True)
    return tensorboard_process(home, load_fast, ["--logdir", url_or_dir], python=python)


def runs_of(tb) -> list[str]:
    return sorted(r["run"] for r in tb.get_json(f"{PREFIX}/runs")["runs"])


def q(route: str, **args: Any) -> str:
    return f"{PREFIX}/{route}?{urllib.parse.urlencode(args, doseq=True)}"


# --- the writer ----------------------------------------------------------------------------


def test_writer_reads_and_writes_snapshots_on_s3(s3, bucket, logdir, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    url = upload(s3, logdir, bucket, "logs")
    run = f"{url}/lr=0.1,bs=32/seed=1/train"
    held = {
        "hparams": {"lr": 0.1, "opt": "adam"},
        "status": "finished",
        "tags": ["best"],
        "notes": "checked by hand",
    }
    # The snapshots already in the bucket: the run's own file and its annotation.
    assert writer.read_run_metadata(run) == held
    assert writer.read_run_metadata(run) == writer.read_run_metadata(logdir / run[len(url) + 1 :])

    path = writer.write_run_metadata(run, {"status": "failed", "tags": ["best", "remote"]})
    assert path.startswith(f"{run}/.rungroups/state.") and path.endswith(".json")
    assert writer.read_run_metadata(run) == {**held, "status": "failed", "tags": ["best", "remote"]}
    # One whole object, nothing half-written or renamed, no directory markers, and
    # nothing written into the working directory (once: ./s3:/bucket/...).
    written = keys(s3, bucket, "logs/lr=0.1,bs=32/seed=1/train/.rungroups/")
    # The state file read was folded away: the new one alone holds the run's record.
    assert written == [path[len(f"s3://{bucket}/") :]]
    assert list(tmp_path.iterdir()) == [tmp_path / "logs"]

    # A run that holds nothing yet: written, and read back in the caller's key order.
    fresh = f"{url}/lr=0.3,bs=32/seed=1"
    writer.write_run_metadata(fresh, {"notes": "new", "hparams": {"lr": 0.3}})
    assert writer.read_run_metadata(fresh) == {"notes": "new", "hparams": {"lr": 0.3}}


def test_writers_without_a_lock_lose_nothing_on_s3(s3, bucket, logdir):
    # Several processes annotate one run at once: no lock holds on object storage,
    # yet each writes an object of its own and the join keeps every change.
    url = upload(s3, logdir, bucket, "logs")
    run = f"{url}/lr=0.01,bs=32/seed=2/train"
    script = os.path.join(os.path.dirname(sys.executable), "tb-rungroups")
    procs = [
        subprocess.Popen(
            [script, "annotate", run, "--tag", f"p{i}", "--note", f"from {i}"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(3)
    ]
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    got = writer.read_run_metadata(run)
    assert sorted(got["tags"]) == ["p0", "p1", "p2"]
    assert sorted(got["notes"].split("\n")) == ["from 0", "from 1", "from 2"]
    assert got["hparams"] == {"lr": 0.01, "opt": "adam"}
    # Each removes only what it read and folded in: one to three state files remain.
    left = keys(s3, bucket, "logs/lr=0.01,bs=32/seed=2/train/.rungroups/")
    assert 1 <= len(left) <= 3 and all("/state." in k for k in left)


@pytest.mark.parametrize(
    ("path", "error", "message"),
    [
        ("gs://somewhere/run", writer.UnsupportedPathError, "no filesystem for gs://"),
        ("hdfs://namenode/run", writer.UnsupportedPathError, "no filesystem for hdfs://"),
        ("s3://{bucket}", writer.UnsupportedPathError, "s3://BUCKET/PREFIX"),
        ("s3://{bucket}-missing/run", OSError, "NoSuchBucket"),
    ],
)
def test_a_path_the_writer_cannot_handle_is_one_clear_error(
    s3, bucket, tmp_path, monkeypatch, path, error, message
):
    monkeypatch.chdir(tmp_path)
    path = path.format(bucket=bucket)
    for call in (
        lambda: writer.write_run_metadata(path, {"notes": "x"}),
        lambda: writer.annotate_run(path, tags=["x"]),
        lambda: writer.read_run_metadata(path),
    ):
        with pytest.raises(error, match=message) as info:
            call()
        assert "\n" not in str(info.value)
    assert list(tmp_path.iterdir()) == []  # never a silent local write
    assert keys(s3, bucket) == []


# --- rungroups.json and the CLI ------------------------------------------------------------


def test_rungroups_json_in_a_bucket_is_read(s3, bucket):
    s3.put_object(Bucket=bucket, Key="a/rungroups.json", Body=b'{"patterns": ["x(?P<n>\\\\d+)"]}')
    s3.put_object(Bucket=bucket, Key="b/rungroups.json", Body=b"{not json")
    assert config.patterns_from_file(f"s3://{bucket}/a") == ["x(?P<n>\\d+)"]
    assert config.patterns_from_file(f"s3://{bucket}/a/") == ["x(?P<n>\\d+)"]
    assert config.patterns_from_file(f"s3://{bucket}/none") == []
    with pytest.raises(ValueError, match=r"rungroups\.json is not valid JSON"):
        config.patterns_from_file(f"s3://{bucket}/b")
    with pytest.raises(ValueError, match="NoSuchBucket"):
        config.patterns_from_file(f"s3://{bucket}-missing/a")


def tb_rungroups(*args: str) -> subprocess.CompletedProcess[str]:
    script = os.path.join(os.path.dirname(sys.executable), "tb-rungroups")
    return subprocess.run([script, *args], capture_output=True, text=True, timeout=300)


def test_cli_ls_and_annotate_on_s3(s3, bucket, logdir):
    url = upload(s3, logdir, bucket, "logs")
    args = ["--metric", "epoch_loss", "--by", "lr", "--reduction", "min", "--format", "json"]
    remote = tb_rungroups("ls", url, *args)
    assert remote.returncode == 0, remote.stderr
    local = tb_rungroups("ls", str(logdir), *args)
    assert local.returncode == 0, local.stderr
    assert json.loads(remote.stdout) == json.loads(local.stdout)
    groups = json.loads(remote.stdout)["groups"]
    assert [g["size"] for g in groups] == [2, 2]
    # The field that only the bucket's rungroups.json names.
    by_pattern = tb_rungroups("ls", url, "--metric", "epoch_loss", "--by", "replica")
    assert by_pattern.returncode == 0, by_pattern.stderr
    assert by_pattern.stdout.splitlines()[0].split()[0] == "replica"

    run = f"{url}/lr=0.1,bs=32/seed=2/train"
    done = tb_rungroups("annotate", run, "--tag", "remote", "--note", "seen from s3")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"annotated {run} (.rungroups/state.")
    got = writer.read_run_metadata(run)
    assert got["tags"] == ["remote"] and got["notes"] == "seen from s3"
    assert got["hparams"] == {"lr": 0.1, "opt": "adam"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ls", "s3://{bucket}/nothing-here"], "no such directory: s3://"),
        (["annotate", "s3://{bucket}/nothing-here", "--tag", "x"], "no such run directory: s3://"),
        (["annotate", "s3://{bucket}-missing/run", "--tag", "x"], "NoSuchBucket"),
        (["annotate", "hdfs://namenode/run", "--tag", "x"], "no filesystem for hdfs://"),
    ],
)
def test_cli_errors_on_s3_are_one_line(s3, bucket, args, message):
    done = tb_rungroups(*(a.format(bucket=bucket) for a in args))
    assert done.returncode == 2
    assert message in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert keys(s3, bucket) == []


# --- a real tensorboard on s3:// -----------------------------------------------------------


def route_paths(run: str) -> list[str]:
    common = {"metric": "epoch_loss", "by": "lr"}
    return [
        f"{PREFIX}/runs",
        f"{PREFIX}/fields",
        f"{PREFIX}/tags",
        q("groups", **common, reduction="min"),
        q("groups"),
        q("curves", **common, max_points=40),
        q("curves", **common, smoothing=0.6, split="train"),
        q("run", run=run),
        q("metadata", run=run),
        q("export", **common, format="csv"),
        q("export", **common, format="markdown"),
        q("export", **common, format="json"),
    ]


def _without_start_time(value: Any) -> Any:
    # The one loader-specific number: when the loader first saw the run.
    if isinstance(value, dict):
        return {k: _without_start_time(v) for k, v in value.items() if k != "start_time"}
    if isinstance(value, list):
        return [_without_start_time(v) for v in value]
    return value


def answers(tb, paths: list[str]) -> dict[str, Any]:
    out = {}
    for path in paths:
        status, headers, body = tb.get(path)
        assert status == 200, (path, status, body[:300])
        if headers.get("Content-Type", "").startswith("application/json"):
            out[path] = _without_start_time(json.loads(body))
        else:
            out[path] = body.decode("utf-8")
    return out


def _loaded(tb, n_runs: int) -> bool:
    tags = tb.get_json(f"{PREFIX}/tags")["tags"]
    loss = [t for t in tags if t["tag"] == "epoch_loss"]
    return bool(loss) and sum(s["runs"] for s in loss[0]["splits"]) >= n_runs


def test_every_route_on_s3_equals_the_same_logs_served_from_a_folder(
    tensorboard_process, s3, bucket, logdir, tmp_path, no_tf_python
):
    url = upload(s3, logdir, bucket, "logs")
    remote = serve(tensorboard_process, tmp_path, url, no_tf_python)
    local = serve(tensorboard_process, tmp_path, str(logdir), no_tf_python)
    n_runs = 2 * len(RUNS)
    for tb in (local, remote):
        tb.wait_for(lambda tb=tb: _loaded(tb, n_runs))
    run = "lr=0.1,bs=32/seed=1/train"
    paths = route_paths(run)
    local.wait_for(lambda: local.get_json(q("metadata", run=run)).get("tags"))
    assert local.get_json(q("metadata", run=run)) == {
        "hparams": {"lr": 0.1, "opt": "adam"},
        "status": "finished",
        "tags": ["best"],
        "notes": "checked by hand",
    }
    want = answers(local, paths)
    # Loaders read in the background: equal once both have read everything.
    remote.wait_for(lambda: answers(remote, paths) == want, timeout=60)
    got = answers(remote, paths)
    for path in paths:
        assert got[path] == want[path], path
    # The answers are real ones: pattern fields from the bucket's rungroups.json,
    # groups with statistics, curves with points.
    assert "replica" in json.dumps(got[f"{PREFIX}/fields"])
    groups = got[paths[3]]["groups"]
    assert [g["size"] for g in groups] == [2, 2]
    assert all(c["curve"] for c in got[paths[5]]["curves"])


def test_tensorboard_on_s3_serves_a_run_added_and_an_annotation_made_while_serving(
    tensorboard_process, s3, bucket, logdir, tmp_path, no_tf_python
):
    first = "lr=0.1,bs=32/seed=1"
    url = upload(s3, logdir / first, bucket, f"logs/{first}")
    url = url[: -len(first) - 1]
    tb = serve(tensorboard_process, tmp_path, url, no_tf_python)
    tb.wait_for(lambda: runs_of(tb) == [f"{first}/train", f"{first}/validation"])

    # A new run lands in the bucket (a trainer on another machine)...
    added = "lr=0.01,bs=32/seed=1"
    upload(s3, logdir / added, bucket, f"logs/{added}")
    tb.wait_for(lambda: f"{added}/validation" in runs_of(tb))
    # ...and a run is annotated from a terminal: both appear after a reload.
    done = tb_rungroups("annotate", f"{url}/{added}/train", "--tag", "remote")
    assert done.returncode == 0, done.stderr
    meta = tb.wait_for(
        lambda: (m := tb.get_json(q("metadata", run=f"{added}/train"))).get("tags") and m
    )
    assert meta["tags"] == ["remote"] and meta["status"] == "finished"
    # The annotations directory is joined into its run, never listed as one.
    assert all(".rungroups" not in r for r in runs_of(tb))
    groups = tb.get_json(q("groups", metric="epoch_loss", by="lr"))["groups"]
    assert sorted(g["values"] for g in groups) == [[0.01], [0.1]]


def test_load_fast_true_on_s3_exits_and_the_default_falls_back(
    tensorboard_process, s3, bucket, logdir, tmp_path, no_tf_python
):
    url = upload(s3, logdir, bucket, "logs")
    # TensorBoard's Rust data server reads local folders and gs:// only.
    launcher = os.path.join(os.path.dirname(no_tf_python), "tensorboard")
    args = ["--logdir", url, "--host", "127.0.0.1", "--port", "0", "--load_fast=true"]
    done = subprocess.run([launcher, *args], capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert 'unknown protocol "s3"' in done.stderr and "--load_fast=false" in done.stderr
    home = tmp_path / "auto" / "logs"
    home.mkdir(parents=True)
    tb = tensorboard_process(
        home, False, ["--logdir", url, "--load_fast=auto"], python=no_tf_python
    )
    tb.wait_for(lambda: len(runs_of(tb)) == 2 * len(RUNS))


def test_a_plain_tensorboard_with_tensorflow_installed_refuses_s3(s3, bucket, logdir):
    # The README's claim: with TensorFlow installed (and no tensorflow-io), a plain
    # `tensorboard` reads through tf.io.gfile, which has no s3://, and exits.
    pytest.importorskip("tensorflow")
    try:
        import tensorflow_io  # noqa: F401

        pytest.skip("tensorflow-io installed: TensorFlow reads s3:// itself")
    except ImportError:
        pass
    url = upload(s3, logdir, bucket, "logs")
    script = os.path.join(os.path.dirname(sys.executable), "tensorboard")
    args = ["--logdir", url, "--host", "127.0.0.1", "--port", "0", "--load_fast=false"]
    done = subprocess.run([script, *args], capture_output=True, text=True, timeout=180)
    assert done.returncode != 0
    assert "Unsupported filename scheme 's3'" in done.stderr and "tensorflow-io" in done.stderr
