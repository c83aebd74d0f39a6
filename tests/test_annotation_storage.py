"""Issue 28: annotations that stay out of TensorBoard's run lists.

State files (`RUN/.rungroups/state.*.json`) hold no ``tfevents`` in their
names: neither loader lists `RUN/.rungroups` as a run, the plugin reads them
itself from the log directory, and what the previous release wrote (event
files in `RUN/.rungroups/`, fixture `v2_logdir`) still reads the same.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import urllib.parse

import pytest
from backend_fixtures import App
from conftest import write_events
from tensorboard.context import RequestContext

from tb_plugin import annotation_files, metadata, writer

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")
PREFIX = "/data/plugin/rungroups"


@pytest.fixture(scope="module")
def v2_expected():
    with open(os.path.join(FIXTURES, "expected_v2.json")) as f:
        return json.load(f)


def _scalars(run_dir) -> None:
    from tensorboard.compat.proto import event_pb2, summary_pb2

    events = []
    for step in range(3):
        s = summary_pb2.Summary()
        s.value.add(tag="epoch_loss", simple_value=1.0 / (step + 1))
        events.append(event_pb2.Event(wall_time=1.7e9 + step, step=step, summary=s))
    write_events(str(run_dir), events)


def _annotated_logdir(root) -> tuple[str, set[str]]:
    """Runs as the demo writes them: split children under an annotated run, and a
    run annotated in its own directory. Returns the log directory and its event runs."""
    logs = root / "logs"
    event_runs = set()
    for seed in (1, 2):
        run = f"lr=0.1,seed={seed}/run_1"
        for split in ("train", "validation"):
            _scalars(logs / run / split)
            event_runs.add(f"{run}/{split}")
        writer.write_run_metadata(logs / run, {"hparams": {"seed": seed}, "tags": ["grid"]})
        writer.annotate_run(logs / run, note="<b>seed</b>", status="finished")
    _scalars(logs / "posthoc")
    event_runs.add("posthoc")
    writer.annotate_run(logs / "posthoc", tags=["a"], note="n")
    return str(logs), event_runs


def _exact(client, run: str):
    response = client.get(f"{PREFIX}/metadata?" + urllib.parse.urlencode({"run": run}))
    assert response.status_code == 200, response.data
    return json.loads(response.data)


# --- state files are read on disk and served, no extra runs --------------------------------


def test_state_files_have_no_tfevents_in_their_names(tmp_path):
    logs, _ = _annotated_logdir(tmp_path)
    seen = 0
    for directory, _, files in os.walk(logs):
        if directory.endswith(metadata.ANNOTATIONS_DIR):
            seen += 1
            assert all("tfevents" not in n for n in files), files
            assert len([n for n in files if annotation_files.is_state_file(n)]) == 1, files
    assert seen == 3


# TensorBoard's SubprocessServerDataIngester keeps no handle on the data
# server's Popen: when it is collected the server may still be shutting down.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.parametrize("loader", ["python", "rust"])
def test_loaders_list_only_event_runs_and_the_tab_shows_every_annotation(tmp_path, loader):
    logs, event_runs = _annotated_logdir(tmp_path)
    app = App(logs, loader)
    try:
        # What TensorBoard's /data/runs lists (core_plugin's list_runs).
        provider = app.plugin._backend.provider
        listed: set[str] = set()
        deadline = time.time() + 60
        while listed != event_runs and time.time() < deadline:
            listed = {r.run_name for r in provider.list_runs(RequestContext(), experiment_id="")}
            time.sleep(0.2)  # the Rust data server loads in the background
        assert listed == event_runs
        runs = {r["run"]: r for r in app.client.get(f"{PREFIX}/runs").get_json()["runs"]}
        for seed in (1, 2):
            got = _exact(app.client, f"lr=0.1,seed={seed}/run_1")
            assert got == {
                "hparams": {"seed": seed},
                "tags": ["grid"],
                "status": "finished",
                "notes": "<b>seed</b>",
            }
            assert runs[f"lr=0.1,seed={seed}/run_1"]["error"] is None
        assert _exact(app.client, "posthoc") == {"tags": ["a"], "notes": "n"}
        assert not any(metadata.ANNOTATIONS_DIR in r for r in runs)
    finally:
        app.close()


def test_a_new_annotation_is_served_without_a_loader_reload(tmp_path):
    logs, _ = _annotated_logdir(tmp_path)
    app = App(logs, "python")
    try:
        assert _exact(app.client, "posthoc") == {"tags": ["a"], "notes": "n"}
        writer.annotate_run(os.path.join(logs, "posthoc"), tags=["b"])
        deadline = time.time() + 30
        while time.time() < deadline:
            if _exact(app.client, "posthoc").get("tags") == ["a", "b"]:
                break
            time.sleep(0.5)
        assert _exact(app.client, "posthoc") == {"tags": ["a", "b"], "notes": "n"}
    finally:
        app.close()


# --- the previous release's files read the same, forever ---------------------------------


def test_previous_release_fixture_reads_the_same_on_disk(v2_expected):
    for run, expected in v2_expected.items():
        got = writer.read_run_metadata(os.path.join(FIXTURES, "v2_logdir", run))
        assert metadata.dumps(got) == metadata.dumps(expected)


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.parametrize("loader", ["python", "rust"])
def test_previous_release_fixture_is_served_the_same(tmp_path, v2_expected, loader):
    shutil.copytree(os.path.join(FIXTURES, "v2_logdir"), tmp_path / "logs")
    app = App(str(tmp_path / "logs"), loader)
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            runs = {r["run"]: r for r in app.client.get(f"{PREFIX}/runs").get_json()["runs"]}
            if all(runs.get(r, {}).get("metadata") for r in v2_expected):
                break
            time.sleep(0.5)
        for run, expected in v2_expected.items():
            assert metadata.dumps(_exact(app.client, run)) == metadata.dumps(expected), run
            assert runs[run]["error"] is None
        assert not any(metadata.ANNOTATIONS_DIR in r for r in runs)
    finally:
        app.close()


def test_a_write_folds_the_previous_release_files_and_loses_nothing(tmp_path, v2_expected):
    shutil.copytree(os.path.join(FIXTURES, "v2_logdir"), tmp_path / "logs")
    for run, expected in v2_expected.items():
        run_dir = tmp_path / "logs" / run
        writer.annotate_run(run_dir, tags=["later"])
        files = os.listdir(run_dir / metadata.ANNOTATIONS_DIR)
        assert not [n for n in files if "tfevents" in n]
        assert len([n for n in files if annotation_files.is_state_file(n)]) == 1
        got = writer.read_run_metadata(run_dir)
        want = dict(expected, tags=[*expected["tags"], "later"])
        assert metadata.dumps(got) == metadata.dumps(want)
