"""write_run_metadata: post-hoc snapshots without TensorFlow."""

from __future__ import annotations

import os

import pytest
from conftest import metadata_event, write_events

from tb_plugin import writer


def test_write_then_read(tmp_path):
    path = writer.write_run_metadata(tmp_path / "run", {"notes": "hello", "hparams": {"lr": 0.1}})
    assert os.path.basename(path).startswith("events.out.tfevents.")
    assert writer.read_run_metadata(tmp_path / "run") == {"notes": "hello", "hparams": {"lr": 0.1}}


def test_a_later_snapshot_carries_everything_the_run_held(tmp_path):
    run = tmp_path / "run"
    write_events(str(run), [metadata_event({"hparams": {"lr": 0.1}, "status": "running"}, step=7)])
    writer.write_run_metadata(run, {"status": "finished", "tags": ["best"]})
    snapshots = writer.read_snapshots(run)
    # The newest snapshot alone is complete, so TensorBoard's sampling loses nothing.
    assert snapshots[-1].data == {"hparams": {"lr": 0.1}, "status": "finished", "tags": ["best"]}
    assert snapshots[-1].step == 8


def test_merge_false_writes_exactly_the_data(tmp_path):
    writer.write_run_metadata(tmp_path, {"a": 1})
    writer.write_run_metadata(tmp_path, {"b": 2}, merge=False)
    assert writer.read_snapshots(tmp_path)[-1].data == {"b": 2}


@pytest.mark.parametrize(
    ("data", "error"),
    [({"x": object()}, TypeError), ({1: 2}, TypeError), ({"big": "x" * (2 << 20)}, ValueError)],
)
def test_bad_input_writes_nothing(tmp_path, data, error):
    writer.write_run_metadata(tmp_path / "run", {"keep": True})
    before = sorted(os.listdir(tmp_path / "run"))
    with pytest.raises(error):
        writer.write_run_metadata(tmp_path / "run", data)
    assert sorted(os.listdir(tmp_path / "run")) == before
    with pytest.raises(error):
        writer.write_run_metadata(tmp_path / "new", data)
    assert not (tmp_path / "new").exists()


def test_truncated_and_foreign_files_are_tolerated(tmp_path):
    writer.write_run_metadata(tmp_path, {"a": 1})
    good = [n for n in os.listdir(tmp_path) if "tfevents" in n][0]
    data = (tmp_path / good).read_bytes()
    (tmp_path / "events.out.tfevents.9999999999.truncated").write_bytes(data[:-7])
    (tmp_path / "events.out.tfevents.9999999999.garbage").write_bytes(b"\x00garbage" * 10)
    assert writer.read_run_metadata(tmp_path) == {"a": 1}


def test_a_snapshot_file_sorts_after_every_event_file_of_the_run(tmp_path):
    # Loaders read a run's files in name order: an annotation written in the
    # same second as (or even "before", by clock skew) the training's own file
    # must still be read last.
    future = tmp_path / "events.out.tfevents.4000000000.otherhost.1.0"
    future.write_bytes(b"")
    path = writer.write_run_metadata(tmp_path, {"a": 1})
    names = sorted(n for n in os.listdir(tmp_path) if "tfevents" in n)
    assert names[-1] == os.path.basename(path)
    assert os.path.basename(path).startswith("events.out.tfevents.4000000001.")
