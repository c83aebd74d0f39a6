"""Issue 15: no annotation and no data point is ever lost.

Writers that merge (a trainer, post-hoc annotations, concurrent annotators),
files both loaders read, version-1 runs read as before and newer versions
marked as errors.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
import urllib.parse

import pytest
from backend_fixtures import App
from conftest import REPO, write_events
from tensorboard.compat.proto import event_pb2, summary_pb2, types_pb2

from tb_plugin import metadata, writer

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")
PREFIX = "/data/plugin/rungroups"


def _env() -> dict[str, str]:
    path = os.environ.get("PYTHONPATH")
    return dict(
        os.environ,
        PYTHONPATH=REPO + (os.pathsep + path if path else ""),
        TF_CPP_MIN_LOG_LEVEL="3",
    )


def _client_runs(client, want: set[str], timeout: float = 60) -> dict[str, dict]:
    """Polls `/runs` until every run in `want` is listed with its metadata read."""
    deadline = time.time() + timeout
    runs: dict[str, dict] = {}
    while time.time() < deadline:
        runs = {r["run"]: r for r in client.get(f"{PREFIX}/runs").get_json()["runs"]}
        if want <= set(runs) and all(runs[r]["metadata"] or runs[r]["error"] for r in want):
            return runs
        time.sleep(0.5)
    raise AssertionError(f"runs {sorted(want)} not all read; got {runs}")


def _exact(client, run: str):
    response = client.get(f"{PREFIX}/metadata?" + urllib.parse.urlencode({"run": run}))
    assert response.status_code == 200, response.data
    return json.loads(response.data)


# --- 4. version 1 reads as before; a newer version is an error ---------------------------


@pytest.fixture(scope="module")
def v1_expected():
    with open(os.path.join(FIXTURES, "expected_v1.json")) as f:
        return json.load(f)


def test_version_1_fixture_reads_exactly_as_before_on_disk(v1_expected):
    for run, expected in v1_expected.items():
        got = writer.read_run_metadata(os.path.join(FIXTURES, "v1_logdir", run))
        assert metadata.dumps(got) == metadata.dumps(expected)


def _newer_snapshot(wall_time: float, version: int = 3) -> event_pb2.Event:
    summ = summary_pb2.Summary()
    value = summ.value.add(tag=metadata.TAG, metadata=metadata.create_summary_metadata(version))
    value.tensor.dtype = types_pb2.DT_STRING
    value.tensor.string_val.append(
        metadata.dumps([version, {"status": "failed", "tags": "?"}]).encode()
    )
    return event_pb2.Event(wall_time=wall_time, step=10**6, summary=summ)


@pytest.fixture(scope="module")
def mixed_logdir(tmp_path_factory):
    """The version-1 fixture, plus runs that hold a newer-version snapshot."""
    root = tmp_path_factory.mktemp("versions")
    shutil.copytree(os.path.join(FIXTURES, "v1_logdir"), root / "logs")
    logs = root / "logs"
    # Appended to a version-1 run (beside the trainer's own file) ...
    shutil.copytree(logs / "trained", logs / "v1_then_newer")
    write_events(str(logs / "v1_then_newer"), [_newer_snapshot(1_800_000_000.0)])
    # ... and among a version-2 run's annotations.
    writer.annotate_run(logs / "v2_then_newer", tags=["kept"], status="finished")
    write_events(
        str(logs / "v2_then_newer" / metadata.ANNOTATIONS_DIR), [_newer_snapshot(time.time() + 60)]
    )
    return str(logs)


# TensorBoard's SubprocessServerDataIngester keeps no handle on the data
# server's Popen: when it is collected the server may still be shutting down.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.parametrize("loader", ["python", "rust"])
def test_version_1_reads_as_before_and_newer_snapshots_are_errors(
    mixed_logdir, v1_expected, loader
):
    app = App(mixed_logdir, loader)
    try:
        _check_versions(app.client, v1_expected)
    finally:
        app.close()


def _check_versions(client, v1_expected):
    runs = _client_runs(client, {"posthoc", "trained", "v1_then_newer", "v2_then_newer"})
    for run, expected in v1_expected.items():
        assert metadata.dumps(_exact(client, run)) == metadata.dumps(expected), run
        assert runs[run]["error"] is None
    # The newer snapshot is skipped, the run says why, the older ones still count.
    assert "newer Run Groups" in runs["v1_then_newer"]["error"]
    assert "payload version 3" in runs["v1_then_newer"]["error"]
    assert metadata.dumps(_exact(client, "v1_then_newer")) == metadata.dumps(v1_expected["trained"])
    assert "newer Run Groups" in runs["v2_then_newer"]["error"]
    assert _exact(client, "v2_then_newer") == {"status": "finished", "tags": ["kept"]}
    # The annotations directory is no run of its own.
    assert not any(metadata.ANNOTATIONS_DIR in r for r in runs)


# --- 3. concurrent annotators and a snapshot writer ---------------------------------------

_ANNOTATOR = textwrap.dedent(
    """
    import sys
    from tb_plugin import writer
    run, p, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    for i in range(n):
        writer.annotate_run(run, tags=[f"t{p}_{i}"], note=f"n{p}_{i}", keys={f"k{p}_{i}": i})
    """
)
_SNAPSHOTS = textwrap.dedent(
    """
    import sys
    from tb_plugin import writer
    run, n = sys.argv[1], int(sys.argv[2])
    for i in range(n):
        writer.write_run_metadata(run, {f"w{i}": i, "status": "running"})
    """
)


@pytest.mark.parametrize("repeat", range(5))
def test_concurrent_annotators_and_a_snapshot_writer_lose_nothing(tmp_path, repeat):
    annotators, per_annotator, snapshots = 2 + repeat % 3, 8, 20
    run = tmp_path / "logs" / "lr=0.1"
    # A run TensorBoard lists (annotations alone make no run: no loader reads them).
    write_events(str(run / "train"), [event_pb2.Event(wall_time=1.7e9, step=0)])
    writer.write_run_metadata(run, {"hparams": {"lr": 0.1}, "tags": ["base"], "notes": "start"})
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _ANNOTATOR, str(run), str(p), str(per_annotator)], env=_env()
        )
        for p in range(annotators)
    ]
    procs.append(
        subprocess.Popen([sys.executable, "-c", _SNAPSHOTS, str(run), str(snapshots)], env=_env())
    )
    for proc in procs:
        assert proc.wait(timeout=300) == 0
    got_disk = writer.read_run_metadata(run)
    # TensorBoard's Python loader keeps 10 of the run's many snapshots: the
    # latest must carry everything.
    got_served = _exact(App(str(tmp_path / "logs"), "python").client, "lr=0.1")
    want_tags = {"base"} | {f"t{p}_{i}" for p in range(annotators) for i in range(per_annotator)}
    want_notes = {"start"} | {f"n{p}_{i}" for p in range(annotators) for i in range(per_annotator)}
    want_keys = {f"k{p}_{i}" for p in range(annotators) for i in range(per_annotator)}
    want_keys |= {f"w{i}" for i in range(snapshots)} | {"hparams", "status"}
    for got in (got_disk, got_served):
        assert set(got["tags"]) == want_tags
        assert len(got["tags"]) == len(want_tags)
        assert set(got["notes"].split("\n")) == want_notes
        assert got["notes"].split("\n")[0] == "start"
        assert set(got) - {"tags", "notes"} == want_keys
    files = os.listdir(run / metadata.ANNOTATIONS_DIR)
    # Every write folded the files it read: one state file, no event file, nothing half-written.
    assert len([n for n in files if n.startswith("state.")]) == 1
    assert not [n for n in files if "tfevents" in n or n.endswith(".partial")]


# --- 1. a real Keras training annotated mid-training, both loaders -----------------------

_TRAIN = textwrap.dedent(
    """
    import json, os, subprocess, sys, time, urllib.request
    import numpy as np
    import keras
    import tensorflow as tf
    from tb_plugin.keras import RunMetadataCallback

    run_dir, python_tb, epochs, annotate_at = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    run = os.path.basename(run_dir)

    def served_marker_steps():
        url = python_tb + "data/plugin/scalars/scalars?run=" + run + "&tag=marker"
        try:
            with urllib.request.urlopen(url, timeout=10) as r:
                return [s for _, s, _ in json.loads(r.read())]
        except Exception:
            return []

    class Live(keras.callbacks.Callback):
        # A live writer of the run directory itself, open all through training.
        def on_train_begin(self, logs=None):
            self.w = tf.summary.create_file_writer(run_dir)

        def on_epoch_end(self, epoch, logs=None):
            with self.w.as_default():
                tf.summary.scalar("marker", float(epoch), step=epoch)
            self.w.flush()
            if epoch == annotate_at:
                # The Python loader has read this far: the annotation lands
                # while it is on the trainer's files.
                deadline = time.time() + 60
                while epoch not in served_marker_steps() and time.time() < deadline:
                    time.sleep(0.3)
                done = subprocess.run(
                    [sys.executable, "-m", "tb_plugin.cli", "annotate", run_dir,
                     "--tag", "diverging", "--note", "looked bad at epoch 1"],
                    capture_output=True, text=True)
                assert done.returncode == 0, done.stderr
                print("annotated after epoch", epoch, flush=True)
            time.sleep(1.5)  # let both loaders reload between epochs

        def on_train_end(self, logs=None):
            self.w.close()

    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(4), keras.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    x = np.random.default_rng(0).normal(size=(64, 4)).astype("float32")
    y = x.sum(axis=1, keepdims=True)
    model.fit(
        x, y, validation_split=0.25, epochs=epochs, batch_size=16, verbose=0,
        callbacks=[
            keras.callbacks.TensorBoard(run_dir),
            RunMetadataCallback(tags=["v1"], notes="baseline"),
            Live(),
        ],
    )
    """
)


@pytest.mark.slow
def test_keras_run_annotated_mid_training_keeps_everything_under_both_loaders(
    tmp_path, tensorboard_process
):
    logdir = tmp_path / "logs"
    run_dir = logdir / "lr=0.01"
    run_dir.mkdir(parents=True)
    epochs, annotate_at = 8, 2
    servers = {
        "python": tensorboard_process(logdir, load_fast=False),
        "rust": tensorboard_process(logdir, load_fast=True),
    }
    done = subprocess.run(
        [sys.executable, "-c", _TRAIN, str(run_dir), servers["python"].url, str(epochs)]
        + [str(annotate_at)],
        env=_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"annotated after epoch {annotate_at}" in done.stdout
    want_steps = list(range(epochs))
    for name, tb in servers.items():
        query = urllib.parse.urlencode({"run": "lr=0.01"})

        def finished(tb=tb, query=query):
            got = tb.get_json(f"data/plugin/rungroups/metadata?{query}")
            return got if got.get("status") == "finished" else None

        got = tb.wait_for(finished)
        assert got["tags"] == ["v1", "diverging"], name
        assert got["notes"] == "baseline\nlooked bad at epoch 1", name
        assert got["metrics"]["loss"] > 0

        def steps(run, tag, tb=tb):
            query = urllib.parse.urlencode({"run": run, "tag": tag})
            served = [s for _, s, _ in tb.get_json(f"data/plugin/scalars/scalars?{query}")]
            return served if served == want_steps else None

        # Every step written after the annotation is served: the live file in
        # the run directory itself, and Keras' own split runs.
        assert tb.wait_for(lambda steps=steps: steps("lr=0.01", "marker"), timeout=30)
        assert tb.wait_for(lambda steps=steps: steps("lr=0.01/train", "epoch_loss"), timeout=30)
        assert tb.wait_for(
            lambda steps=steps: steps("lr=0.01/validation", "epoch_loss"), timeout=30
        )
        runs = {r["run"] for r in tb.get_json("data/plugin/rungroups/runs")["runs"]}
        assert "lr=0.01" in runs
        assert not any(metadata.ANNOTATIONS_DIR in r for r in runs), name
