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
    # A state file: no "tfevents" in its name, so no TensorBoard loader lists it.
    assert os.path.basename(path).startswith("state.") and "tfevents" not in path
    assert os.path.dirname(path) == str(tmp_path / "run" / metadata.ANNOTATIONS_DIR)
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
    good = [n for n in os.listdir(annotations) if n.startswith("state.")][0]
    data = (annotations / good).read_bytes()
    (annotations / "state.9999999999.truncated.json").write_bytes(data[:-7])
    (annotations / "events.out.tfevents.9999999999.garbage").write_bytes(b"\x00garbage" * 10)
    events = tmp_path / "events.out.tfevents.9999999999.truncated"
    write_events(str(tmp_path), [metadata_event({"b": 2}, step=1)])
    own = [n for n in os.listdir(tmp_path) if "tfevents" in n][0]
    os.replace(tmp_path / own, events)
    events.write_bytes(events.read_bytes()[:-7])
    assert writer.read_run_metadata(tmp_path) == {"a": 1}
    # A write keeps what it could not read where it is (and never folds it away).
    writer.annotate_run(tmp_path, tags=["t"])
    assert (annotations / "state.9999999999.truncated.json").exists()
    assert (annotations / "events.out.tfevents.9999999999.garbage").exists()
    assert writer.read_run_metadata(tmp_path) == {"a": 1, "tags": ["t"]}


def test_annotations_never_add_a_file_beside_the_run_own_files(tmp_path):
    # TensorBoard's Python loader never goes back to an earlier file of a
    # directory: a file added beside a live trainer's would hide its later events.
    trainer = tmp_path / "events.out.tfevents.1700000000.host.1.0.v2"
    trainer.write_bytes(b"")
    for i in range(3):
        writer.write_run_metadata(tmp_path, {"i": i})
        writer.annotate_run(tmp_path, tags=[f"t{i}"])
    assert sorted(n for n in os.listdir(tmp_path) if "tfevents" in n) == [trainer.name]


def test_a_run_holds_one_state_file_however_many_writes(tmp_path):
    written = [writer.annotate_run(tmp_path, tags=[str(i)]) for i in range(150)]
    names = sorted(os.listdir(tmp_path / metadata.ANNOTATIONS_DIR))
    # Each write folds the files it read into its own and removes them.
    assert names == [".lock", os.path.basename(written[-1])]
    assert writer.read_run_metadata(tmp_path)["tags"] == [str(i) for i in range(150)]
    assert int(names[1].split(".")[1]) <= time.time()


def test_earlier_release_files_are_read_then_folded_away(tmp_path):
    # What the previous release wrote: event files in RUN/.rungroups/.
    old = tmp_path / metadata.ANNOTATIONS_DIR
    summary = writer.state_summary(
        metadata.encode_state(
            {"set": {"a": [1.7e9, 1]}, "tags": {"old": [1.7e9, None]}, "notes": {}}
        )
    )
    write_events(str(old), [event_pb2.Event(wall_time=1.7e9, step=0, summary=summary)])
    assert writer.read_run_metadata(tmp_path) == {"a": 1, "tags": ["old"]}
    writer.annotate_run(tmp_path, tags=["new"])
    assert writer.read_run_metadata(tmp_path) == {"a": 1, "tags": ["old", "new"]}
    # The event file is gone: TensorBoard lists no RUN/.rungroups run any more.
    assert not [n for n in os.listdir(old) if "tfevents" in n]


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
