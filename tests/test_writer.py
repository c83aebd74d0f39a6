"""write_run_metadata: post-hoc snapshots without TensorFlow."""

from __future__ import annotations

import os
import time

import pytest
from conftest import metadata_event, write_events
from tensorboard.compat.proto import event_pb2, summary_pb2, types_pb2

from tb_plugin import metadata, writer


def test_write_then_read(tmp_path):
    path = writer.write_run_metadata(tmp_path / "run", {"notes": "hello", "hparams": {"lr": 0.1}})
    assert os.path.basename(path).startswith("events.out.tfevents.")
    assert writer.read_run_metadata(tmp_path / "run") == {"notes": "hello", "hparams": {"lr": 0.1}}


def test_a_later_snapshot_carries_everything_the_run_held(tmp_path):
    run = tmp_path / "run"
    write_events(str(run), [metadata_event({"hparams": {"lr": 0.1}, "status": "running"}, step=7)])
    writer.write_run_metadata(run, {"status": "finished", "tags": ["best"]})
    snapshots = writer.read_snapshots(run)
    # The newest state alone is complete, so TensorBoard's sampling loses nothing.
    assert snapshots[-1].version == 2
    assert metadata.view(snapshots[-1].data) == {
        "hparams": {"lr": 0.1},
        "status": "finished",
        "tags": ["best"],
    }
    assert writer.read_run_metadata(run) == metadata.view(snapshots[-1].data)


def test_merge_replaces_what_it_read_and_nothing_else(tmp_path):
    writer.write_run_metadata(tmp_path, {"a": 1, "tags": ["x", "y"], "notes": "one"})
    writer.write_run_metadata(tmp_path, {"b": 2, "tags": ["y", "z"], "notes": "two"})
    assert writer.read_run_metadata(tmp_path) == {
        "a": 1,
        "b": 2,
        "tags": ["y", "z"],
        "notes": "two",
    }


def test_merge_false_only_sets_adds_and_appends(tmp_path):
    writer.write_run_metadata(tmp_path, {"a": 1, "tags": ["x"], "notes": "one"})
    writer.write_run_metadata(tmp_path, {"b": 2, "tags": ["y"], "notes": "two"}, merge=False)
    assert writer.read_run_metadata(tmp_path) == {
        "a": 1,
        "b": 2,
        "tags": ["x", "y"],
        "notes": "one\ntwo",
    }


def test_annotate_run_appends_adds_removes_and_sets(tmp_path):
    writer.write_run_metadata(tmp_path, {"notes": "baseline", "tags": ["v1", "old"]})
    writer.annotate_run(tmp_path, note="looked bad", tags=["diverging", "v1"], status="failed")
    writer.annotate_run(tmp_path, remove_tags=["old"], keys={"reviewed_by": "me"})
    assert writer.read_run_metadata(tmp_path) == {
        "status": "failed",
        "reviewed_by": "me",
        "tags": ["v1", "diverging"],
        "notes": "baseline\nlooked bad",
    }


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
    annotations = tmp_path / metadata.ANNOTATIONS_DIR
    good = [n for n in os.listdir(annotations) if "tfevents" in n][0]
    data = (annotations / good).read_bytes()
    (tmp_path / "events.out.tfevents.9999999999.truncated").write_bytes(data[:-7])
    (annotations / "events.out.tfevents.9999999999.garbage").write_bytes(b"\x00garbage" * 10)
    assert writer.read_run_metadata(tmp_path) == {"a": 1}


def test_annotations_never_add_a_file_beside_the_run_own_files(tmp_path):
    # TensorBoard's Python loader never goes back to an earlier file of a
    # directory: a file added beside a live trainer's would hide its later events.
    trainer = tmp_path / "events.out.tfevents.1700000000.host.1.0.v2"
    trainer.write_bytes(b"")
    for i in range(3):
        writer.write_run_metadata(tmp_path, {"i": i})
        writer.annotate_run(tmp_path, tags=[f"t{i}"])
    assert sorted(n for n in os.listdir(tmp_path) if "tfevents" in n) == [trainer.name]


def test_annotation_names_and_steps_grow_and_stay_at_the_clock(tmp_path):
    written = [os.path.basename(writer.annotate_run(tmp_path, tags=[str(i)])) for i in range(150)]
    assert written == sorted(written)
    stamps = {int(name.split(".")[3]) for name in written}
    assert max(stamps) <= time.time()
    snapshots = writer.read_snapshots(tmp_path)
    assert [s.step for s in snapshots] == list(range(150))


def test_an_existing_name_ahead_of_the_clock_is_followed(tmp_path):
    annotations = tmp_path / metadata.ANNOTATIONS_DIR
    annotations.mkdir(parents=True)
    ahead = annotations / "events.out.tfevents.4000000000.00000000.otherhost.1.rungroups"
    ahead.write_bytes(b"")
    path = writer.annotate_run(tmp_path, note="n")
    names = sorted(n for n in os.listdir(annotations) if "tfevents" in n)
    assert names[-1] == os.path.basename(path)
    assert os.path.basename(path).startswith("events.out.tfevents.4000000000.00000001.")


def test_a_newer_version_snapshot_is_skipped_and_the_others_count(tmp_path):
    writer.write_run_metadata(tmp_path, {"a": 1})
    summ = summary_pb2.Summary()
    value = summ.value.add(tag=metadata.TAG, metadata=metadata.create_summary_metadata(3))
    value.tensor.dtype = types_pb2.DT_STRING
    value.tensor.string_val.append(b'[3, {"a": 2}]')
    write_events(str(tmp_path), [event_pb2.Event(wall_time=time.time() + 5, step=9, summary=summ)])
    assert writer.read_run_metadata(tmp_path) == {"a": 1}


def test_a_write_is_later_than_everything_it_read_whatever_the_clock(tmp_path, monkeypatch):
    # Another machine's clock ahead by an hour wrote first; ours still wins
    # where it changes something, because it read that write.
    real = time.time
    monkeypatch.setattr(writer.time, "time", lambda: real() + 3600)
    writer.annotate_run(tmp_path, status="running", tags=["a"])
    monkeypatch.setattr(writer.time, "time", real)
    writer.annotate_run(tmp_path, status="finished", remove_tags=["a"], tags=["b"])
    assert writer.read_run_metadata(tmp_path) == {"status": "finished", "tags": ["b"]}


def test_a_write_reads_back_in_its_own_key_order(tmp_path):
    data = {"z": 1, "notes": "n", "a": 2, "tags": ["y", "x"], "m": 3}
    writer.write_run_metadata(tmp_path / "run", data)
    assert list(writer.read_run_metadata(tmp_path / "run").items()) == list(data.items())
