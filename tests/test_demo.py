"""The demo, run for real: `python demo/train.py --quick` in a subprocess, then its logs.

One quick demo (4 grid runs and 4 runs of other naming conventions, about 25 s
on 2 CPU cores) is shared by the module's tests.
"""

from __future__ import annotations

import datetime
import importlib.util
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from types import SimpleNamespace

import pytest
from conftest import TRAIN, demo_env
from conftest import train_demo as _train

from tb_plugin import data, grouping, naming, writer

# demo/train.py's QUICK grid: 2 learning rates x 1 batch size x 2 seeds, 2 epochs.
QUICK_GRID = {(0.001, 64, 0), (0.001, 64, 1), (0.01, 64, 0), (0.01, 64, 1)}
QUICK_EPOCHS = 2
METRICS = {"loss", "accuracy", "val_loss", "val_accuracy"}


def _load_train_module():
    spec = importlib.util.spec_from_file_location("demo_train", TRAIN)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def demo(quick_demo: SimpleNamespace) -> SimpleNamespace:
    return quick_demo


def _name(demo: SimpleNamespace, run_dir: str) -> naming.RunName:
    return naming.parse_run_name(os.path.relpath(run_dir, demo.logdir).replace(os.sep, "/"))


def _event_files(directory: str) -> list[str]:
    return [n for n in os.listdir(directory) if "tfevents" in n]


def _steps_by_tag(directory: str) -> dict[str, int]:
    """How many steps each summary tag has in the event files directly in `directory`."""
    counts: dict[str, int] = {}
    for name in _event_files(directory):
        # Our TFRecord reader, not TensorBoard's: that one imports TensorFlow (5 s).
        for event in writer._read_events(os.path.join(directory, name)):
            for value in event.summary.value:
                counts[value.tag] = counts.get(value.tag, 0) + 1
    return counts


def test_prints_one_line_per_run_and_the_total_time(demo):
    lines = demo.out.splitlines()
    runs = [line for line in lines if line.startswith("[")]
    assert len(runs) == len(QUICK_GRID) + 4
    for i, line in enumerate(runs, 1):
        assert re.match(rf"\[\s*{i}/8\] \S+ +val_loss=\d+\.\d{{4}} val_accuracy=", line), line
    assert re.search(r"^8 runs in \d+\.\d s, written to logs$", demo.out, re.M), demo.out


def test_grid_run_names_parse_back_to_the_grid(demo):
    assert len(demo.grid) == len(QUICK_GRID)
    found = set()
    for run_dir in demo.grid:
        name = _name(demo, run_dir)
        assert set(name.params) == {"lr", "bs", "seed"}, name
        assert name.labels == ("run",) and name.split is None and name.time is not None
        found.add((name.params["lr"], name.params["bs"], name.params["seed"]))
    assert found == QUICK_GRID


def test_keras_runs_have_train_and_validation_event_files(demo):
    for run_dir in [*demo.grid, *demo.other["hydra"], *demo.other["tutorial"]]:
        for split in ("train", "validation"):
            assert _event_files(os.path.join(run_dir, split)), (run_dir, split)
        steps = _steps_by_tag(os.path.join(run_dir, "validation"))
        assert steps["epoch_loss"] == steps["epoch_accuracy"] == QUICK_EPOCHS
        steps = _steps_by_tag(os.path.join(run_dir, "train"))
        assert steps["epoch_loss"] == steps["epoch_accuracy"] == QUICK_EPOCHS


def test_grid_runs_record_finished_status_hparams_and_final_metrics(demo):
    for run_dir in demo.grid:
        params = _name(demo, run_dir).params
        recorded = writer.read_run_metadata(run_dir)
        assert recorded["status"] == "finished", run_dir
        assert {k: recorded["hparams"][k] for k in params} == params
        assert recorded["hparams"]["epochs"] == QUICK_EPOCHS
        assert set(recorded["metrics"]) == METRICS
        assert {"demo", "grid"} <= set(recorded["tags"])
        assert recorded["started_at"] <= recorded["ended_at"]
        line = next(x for x in demo.out.splitlines() if os.path.relpath(run_dir, demo.logdir) in x)
        printed = float(re.search(r"val_loss=(\S+)", line).group(1))
        assert recorded["metrics"]["val_loss"] == pytest.approx(printed, abs=1e-4)


def test_the_best_grid_run_is_annotated_after_training(demo):
    recorded = {d: writer.read_run_metadata(d) for d in demo.grid}
    best = [d for d, m in recorded.items() if "best" in m["tags"]]
    assert best == [min(recorded, key=lambda d: recorded[d]["metrics"]["val_loss"])]
    annotated = recorded[best[0]]
    assert annotated["notes"].endswith("Lowest final val_loss of the grid.")
    assert annotated["status"] == "finished" and "hparams" in annotated  # kept by the merge
    # Train begin, train end and the annotation, each write folding the one before:
    # one state file holds them all.
    assert len(writer.read_snapshots(best[0])) == 1


def test_other_conventions_parse_and_stay_out_of_the_grid(demo):
    (torch_run,) = demo.other["torch"]
    name = _name(demo, torch_run)
    assert name.params == {"lr": 0.05}  # the host is a label, the comment a param
    assert name.time is not None and name.labels[:2] == ("other", "runs")
    assert _event_files(torch_run) and not os.path.exists(os.path.join(torch_run, "train"))
    steps = _steps_by_tag(torch_run)
    assert steps["Loss/train"] == steps["Loss/validation"] == QUICK_EPOCHS
    assert writer.read_run_metadata(torch_run)["hparams"]["optimizer"] == "sgd"

    assert len(demo.other["hydra"]) == 2
    times = set()
    for job, run_dir in enumerate(demo.other["hydra"]):
        name = _name(demo, run_dir)
        assert name.params == {"job": job} and name.labels == ("other", "multirun")
        times.add(name.time)
        recorded = writer.read_run_metadata(run_dir)
        assert recorded["status"] == "finished" and "hparams" in recorded
    assert len(times) == 1 and isinstance(times.pop(), datetime.datetime)

    (tutorial,) = demo.other["tutorial"]
    name = _name(demo, tutorial)
    assert name.params == {} and name.time is not None
    assert writer.read_run_metadata(tutorial) == {
        "notes": "Trained as in the TensorFlow tutorial, annotated after training.",
        "tags": ["demo", "tutorial", "annotated"],
        "status": "finished",
        "hparams": {
            "lr": 0.001,
            "bs": 32,
            "seed": 0,
            "optimizer": "adam",
            "epochs": QUICK_EPOCHS,
            "hidden_units": 64,
        },
    }


def test_default_grouping_keeps_the_grid_groups_to_its_seeds(demo):
    runs = []
    for directory, _, files in os.walk(demo.logdir):
        name = _name(demo, directory)
        # RUN/.rungroups holds RUN's annotations (tb_plugin.data reads it into RUN).
        if any("tfevents" in f for f in files) and not data.is_annotations_run(name.run):
            runs.append((name, writer.read_run_metadata(directory) or None))
    units = grouping.build_units(runs)
    assert len(units) == len(QUICK_GRID) + 4
    grid = {os.path.relpath(d, demo.logdir) for d in demo.grid}
    groups = grouping.group_units(units, grouping.default_group_by(units))
    sizes = sorted(len(g.units) for g in groups if any(u.trial in grid for u in g.units))
    assert sizes == [2, 2]  # one group per learning rate, each its 2 seeds and nothing else
    for group in groups:
        trials = {u.trial for u in group.units}
        assert trials <= grid or not trials & grid


def test_refuses_a_logdir_that_holds_demo_runs(demo):
    before = sorted(os.walk(demo.logdir))
    done = _train(demo.cwd, "--quick", "--logdir", "logs", timeout=60)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1 and "--overwrite" in done.stderr, done.stderr
    assert sorted(os.walk(demo.logdir)) == before


def test_refuses_a_foreign_logdir_even_with_overwrite(tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "keep.txt").write_text("precious")
    done = _train(str(tmp_path), "--quick", "--overwrite", "--logdir", "mine", timeout=60)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "not written by this demo" in done.stderr
    assert (tmp_path / "mine" / "keep.txt").read_text() == "precious"


def test_overwrite_deletes_only_an_earlier_demo(tmp_path):
    train = _load_train_module()
    logdir = str(tmp_path / "logs")
    assert train.prepare_logdir(logdir, overwrite=False) is None  # missing: created, marked
    os.makedirs(os.path.join(logdir, "lr=0.1,seed=0", "run_2026_11_27-01_29_05"))
    assert "--overwrite" in train.prepare_logdir(logdir, overwrite=False)
    assert train.prepare_logdir(logdir, overwrite=True) is None
    assert os.listdir(logdir) == [train.MARKER]


@pytest.mark.slow
def test_serve_starts_tensorboard_with_the_run_groups_tab(demo):
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import train; "
        "sys.exit(train.serve(sys.argv[2], host='127.0.0.1', port=0))"
    )
    log_path = os.path.join(demo.cwd, "serve.log")
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-c", code, os.path.dirname(TRAIN), demo.logdir],
            cwd=demo.cwd,
            env=demo_env(),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        url = _wait(lambda: re.search(r"TensorBoard at (http://\S+/)#rungroups", _read(log_path)))
        runs = _wait(lambda: _get_runs(url.group(1)))
        trials = {r["trial"] for r in runs}
        grid = {os.path.relpath(d, demo.logdir) for d in demo.grid}
        assert grid <= trials
        # TensorBoard's own run list: exactly the directories holding event files
        # (annotations are state files that no loader lists).
        with urllib.request.urlopen(url.group(1) + "data/runs", timeout=30) as r:
            listed = set(json.loads(r.read()))
        event_dirs = {
            os.path.relpath(d, demo.logdir).replace(os.sep, "/")
            for d, _, files in os.walk(demo.logdir)
            if any("tfevents" in f for f in files)
        }
        assert listed == event_dirs
        assert not any(".rungroups" in run for run in listed)
        assert all(r["metadata"].get("tags") for r in runs if r["run"] in grid)
    finally:
        proc.send_signal(signal.SIGINT)
        status = proc.wait(timeout=30)
    assert status == 0, _read(log_path)
    assert _read(log_path).rstrip().endswith("Stopped.")


def _read(path: str) -> str:
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read()


def _get_runs(url: str) -> list[dict] | None:
    try:
        with urllib.request.urlopen(url + "data/plugin/rungroups/runs", timeout=30) as r:
            runs = json.loads(r.read())["runs"]
    except OSError:
        return None
    # TensorBoard loads in the background: wait until every run has appeared.
    return runs if len({r["trial"] for r in runs}) >= len(QUICK_GRID) + 4 else None


def _wait(probe, timeout: float = 60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found
        time.sleep(0.3)
    raise AssertionError("timed out")
