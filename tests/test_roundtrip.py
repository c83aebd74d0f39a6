"""Metadata written every supported way reads back exactly through real TensorBoard.

Each loader is a real `tensorboard` process: `--load_fast=false` (the Python
event multiplexer) and `--load_fast=true` (the Rust data server).
"""

from __future__ import annotations

import json
import math
import os
import urllib.parse

import numpy as np
import pytest
from conftest import metadata_event, scalar_event, write_events

from tb_plugin import summary, writer

DATA = {
    "hparams": {"lr": 0.001, "layers": [64, 32], "opt": {"name": "adam", "beta_1": 0.9}},
    "notes": "ünïcode ✓ 日本語 🚀 <b>not bold</b>",
    "tags": ["baseline", "θ"],
    "status": "finished",
    "nan": float("nan"),
    "inf": float("inf"),
    "ninf": float("-inf"),
    "neg_zero": -0.0,
    "big": 2**64 + 1,
    "very_big": -(10**40),
    "tiny": 5e-324,
    "nested": {"deep": [[[1, "two", None, True]]], "empty": {}},
}


def same(a, b) -> bool:
    """Exact equality, NaN equal to NaN, -0.0 distinct from 0.0, types checked."""
    if isinstance(a, float) and isinstance(b, float):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def _train_keras(run_dir: str):
    import keras

    from tb_plugin.keras import RunMetadataCallback

    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 4)).astype("float32")
    y = (x @ np.array([1.0, -2.0, 0.5, 0.0], dtype="float32"))[:, None]
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
    callback = RunMetadataCallback(
        hparams=DATA["hparams"], notes=DATA["notes"], tags=DATA["tags"], nested=DATA["nested"]
    )
    model.fit(
        x,
        y,
        validation_split=0.25,
        epochs=2,
        verbose=0,
        callbacks=[keras.callbacks.TensorBoard(run_dir), callback],
    )
    return callback


@pytest.fixture(scope="module")
def logdir(tmp_path_factory):
    import tensorflow as tf

    root = tmp_path_factory.mktemp("roundtrip")
    with tf.summary.create_file_writer(str(root / "tf_op")).as_default():
        assert summary.run_metadata(DATA)
    write_events(str(root / "pb"), [metadata_event(DATA)])
    # A run TensorBoard lists (annotations alone, in state files, make no run).
    write_events(str(root / "writer"), [scalar_event("loss", 0, 1.0)])
    writer.write_run_metadata(root / "writer", DATA)

    # 150 complete snapshots, as a long job writes them: the latest must win
    # whatever sample of the series each loader keeps.
    final = {}
    with tf.summary.create_file_writer(str(root / "many_steps")).as_default():
        for i in range(150):
            final = {**final, f"k{i}": i, "count": i, "status": "running"}
            summary.run_metadata(final, step=i)
    events = []
    snapshot = {}
    for i in range(150):
        snapshot = {**snapshot, f"k{i}": i, "count": i}
        events.append(metadata_event(snapshot, step=0, wall_time=1_700_000_000 + i))
    write_events(str(root / "many_same_step"), events)
    # A post-hoc annotation over a run whose earlier snapshots TensorBoard samples.
    writer.write_run_metadata(root / "many_same_step", {"status": "finished"})

    callback = _train_keras(str(root / "keras"))
    return root, callback.metadata, final, snapshot


@pytest.fixture(scope="module", params=[False, True], ids=["load_fast=false", "load_fast=true"])
def server(request, logdir):
    from conftest import TensorBoardProcess

    tb = TensorBoardProcess(str(logdir[0]), load_fast=request.param)
    yield tb
    tb.close()


def _exact(tb, run):
    query = urllib.parse.urlencode({"run": run})
    status, headers, body = tb.get(f"data/plugin/rungroups/metadata?{query}")
    assert status == 200, body
    return json.loads(body)


def _wait_listed(tb, runs):
    def listed():
        got = {r["run"] for r in tb.get_json("data/plugin/rungroups/runs")["runs"]}
        return set(runs) <= got

    tb.wait_for(listed)


def test_plugin_is_listed(server):
    listing = server.wait_for(lambda: server.get_json("data/plugins_listing"))
    entry = listing["rungroups"]
    assert entry["tab_name"] == "Run Groups"
    assert entry["enabled"] is True
    module = entry["loading_mechanism"]["module_path"]
    assert module == "/data/plugin/rungroups/static/index.js"
    status, headers, body = server.get(module)
    assert status == 200
    assert b"export async function render" in body


@pytest.mark.parametrize("run", ["tf_op", "pb", "writer"])
def test_each_writer_reads_back_identical(server, run):
    _wait_listed(server, [run])
    assert same(_exact(server, run), DATA)


def test_keras_callback_reads_back_identical(server, logdir):
    _, recorded, _, _ = logdir
    _wait_listed(server, ["keras", "keras/train", "keras/validation"])
    got = _exact(server, "keras")
    assert same(got, recorded)
    for key in ("hparams", "notes", "tags", "nested"):
        assert same(got[key], DATA[key])
    assert got["status"] == "finished"
    assert got["model"]["params"] == 4 * 8 + 8 + 8 + 1
    assert got["optimizer"]["name"] == "adam"
    assert set(got["metrics"]) >= {"loss", "val_loss"}
    assert got["versions"]["tensorflow"]
    assert got["started_at"] <= got["ended_at"]
    # Keras' own scalars sit beside it, in the split runs.
    runs = {r["run"]: r for r in server.get_json("data/plugin/rungroups/runs")["runs"]}
    assert runs["keras/validation"]["split"] == "validation"


def test_150_snapshots_report_the_latest_state(server, logdir):
    _, _, final, snapshot = logdir
    _wait_listed(server, ["many_steps", "many_same_step"])
    assert server.wait_for(lambda: _exact(server, "many_steps") == final)
    expected = {**snapshot, "status": "finished"}
    assert server.wait_for(lambda: _exact(server, "many_same_step") == expected)
    assert len(final) == len(expected) == 152  # 150 keys, "count", "status"


def test_the_callback_finds_no_tensorboard_callback_and_says_so(tmp_path):
    import keras

    from tb_plugin.keras import RunMetadataCallback

    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match="log_dir"):
        model.fit(np.zeros((4, 2)), np.zeros((4, 1)), verbose=0, callbacks=[RunMetadataCallback()])
    callback = RunMetadataCallback(log_dir=tmp_path / "explicit", notes="n")
    model.fit(np.zeros((4, 2)), np.zeros((4, 1)), verbose=0, callbacks=[callback])
    assert writer.read_run_metadata(tmp_path / "explicit") == callback.metadata
    assert callback.metadata["notes"] == "n"
    assert os.listdir(tmp_path / "explicit")


def test_the_callback_rejects_bad_metadata_at_construction():
    from tb_plugin.keras import RunMetadataCallback

    with pytest.raises(TypeError, match="hparams.f"):
        RunMetadataCallback(hparams={"f": object()})
