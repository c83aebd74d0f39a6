"""Issue 29, items 3-6, on state files: no writer follows a link out of the run, an
impossible time or an oversized snapshot never makes a run unwritable (it is
skipped with the run's `error` set), and a run holds a bounded number of files.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest
from backend_fixtures import App
from conftest import REPO, write_events
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tensorboard.compat.proto import event_pb2, summary_pb2

from tb_plugin import annotation_files, metadata, writer

PREFIX = "/data/plugin/rungroups"


def _scalars(run_dir) -> None:
    s = summary_pb2.Summary()
    s.value.add(tag="epoch_loss", simple_value=1.0)
    write_events(str(run_dir), [event_pb2.Event(wall_time=1.7e9, step=0, summary=s)])


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    path = os.environ.get("PYTHONPATH")
    env = dict(os.environ, PYTHONPATH=REPO + (os.pathsep + path if path else ""))
    return subprocess.run(
        [sys.executable, "-m", "tb_plugin.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


def _raw_state(t) -> bytes:
    """A version-2 value as a damaged file or another tool may hold it (any time)."""
    state = {"set": {"status": [t, "running"]}, "tags": {"old": [1.7e9, None]}, "notes": {}}
    return json.dumps([2, state], allow_nan=True).encode()


def _old_format(run_dir, payload: bytes) -> None:
    """An earlier release's annotation event file in RUN/.rungroups/ holding `payload`."""
    summary = writer.state_summary(payload)
    write_events(
        str(run_dir / metadata.ANNOTATIONS_DIR),
        [event_pb2.Event(wall_time=1.7e9, step=0, summary=summary)],
    )


def _served(logdir, run: str) -> dict:
    app = App(str(logdir), "python")
    try:
        runs = {r["run"]: r for r in app.client.get(f"{PREFIX}/runs").get_json()["runs"]}
        return runs[run]
    finally:
        app.close()


# --- rel14: symbolic links ------------------------------------------------------------------


def test_annotations_dir_that_is_a_link_is_refused_and_nothing_is_written_outside(tmp_path):
    run, outside = tmp_path / "logs" / "run", tmp_path / "outside"
    _scalars(run)
    outside.mkdir()
    os.symlink(outside, run / metadata.ANNOTATIONS_DIR)
    with pytest.raises(OSError, match="symbolic link"):
        writer.annotate_run(run, tags=["x"])
    done = _cli("annotate", str(run), "--tag", "x")
    assert done.returncode != 0
    assert len(done.stderr.strip().splitlines()) == 1 and "symbolic link" in done.stderr
    assert "Traceback" not in done.stderr
    assert os.listdir(outside) == []
    # Nor is anything read through it.
    (outside / annotation_files.state_file_name(1_700_000_000, "0" * 12)).write_bytes(
        metadata.encode_state({"set": {"k": [1.7e9, 1]}, "tags": {}, "notes": {}})
    )
    assert writer.read_run_metadata(run) == {}
    assert _served(tmp_path / "logs", "run")["metadata"] == {}


@pytest.mark.parametrize("name", [writer.LOCK_NAME, "state.9999999999.ffffffffffff.json"])
def test_a_link_inside_the_annotations_dir_is_never_followed(tmp_path, name):
    run, outside = tmp_path / "logs" / "run", tmp_path / "outside"
    _scalars(run)
    outside.mkdir()
    (run / metadata.ANNOTATIONS_DIR).mkdir()
    target = outside / "target"
    if name != writer.LOCK_NAME:
        target.write_bytes(
            metadata.encode_state({"set": {"secret": [1.7e9, 1]}, "tags": {}, "notes": {}})
        )
    os.symlink(target, run / metadata.ANNOTATIONS_DIR / name)
    done = _cli("annotate", str(run), "--tag", "x")
    if name == writer.LOCK_NAME:
        assert done.returncode != 0 and "lock" in done.stderr, done.stderr
        assert os.listdir(outside) == []
    else:
        # The link is neither read nor followed; the write goes on beside it.
        assert done.returncode == 0, done.stderr
        assert writer.read_run_metadata(run) == {"tags": ["x"]}
        assert target.exists() and os.listdir(outside) == ["target"]


# --- rel15: impossible times ----------------------------------------------------------------

_TIMES = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.sampled_from([float("inf"), float("-inf"), 1e300, -1.0, metadata.MAX_TIME + 1]),
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(t=_TIMES, old_format=st.booleans())
def test_any_time_in_a_file_never_makes_a_run_unwritable(tmp_path_factory, t, old_format):
    run = tmp_path_factory.mktemp("time") / "run"
    run.mkdir()
    payload = _raw_state(t)
    if old_format:
        _old_format(run, payload)
    else:
        (run / metadata.ANNOTATIONS_DIR).mkdir()
        (run / metadata.ANNOTATIONS_DIR / "state.1700000000.000000000000.json").write_bytes(payload)
    before = time.time()
    path = writer.annotate_run(run, tags=["new"])
    with open(path, "rb") as f:
        state = json.loads(f.read())[1]
    got = writer.read_run_metadata(run)
    assert "new" in got["tags"]
    sane = metadata.is_sane_time(t)
    # A sane time is read and kept; an impossible one is refused when read, and
    # never stamps (or names) the next write.
    assert ("old" in got["tags"]) == sane
    assert metadata.latest_time(state) <= max(metadata.MAX_TIME, before + 10)
    assert int(os.path.basename(path).split(".")[1]) <= time.time() + 1


def test_an_impossible_time_is_skipped_with_the_run_error_set(tmp_path):
    logs = tmp_path / "logs"
    for name, t in (("inf", float("inf")), ("huge", 1e300), ("fine", 1.7e9)):
        _scalars(logs / name)
        (logs / name / metadata.ANNOTATIONS_DIR).mkdir()
        (logs / name / metadata.ANNOTATIONS_DIR / "state.1700000000.0.json").write_bytes(
            _raw_state(t)
        )
    app = App(str(logs), "python")
    try:
        runs = {r["run"]: r for r in app.client.get(f"{PREFIX}/runs").get_json()["runs"]}
    finally:
        app.close()
    for name in ("inf", "huge"):
        assert "outside 0..4102444800" in runs[name]["error"], runs[name]
        assert runs[name]["metadata"] == {}
    assert runs["fine"]["error"] is None
    assert runs["fine"]["metadata"] == {"status": "running", "tags": ["old"]}


# --- rel17: oversized snapshots -------------------------------------------------------------


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(size=st.integers(min_value=0, max_value=3 * metadata.MAX_SNAPSHOT_BYTES))
def test_any_snapshot_size_never_makes_a_run_unwritable(tmp_path_factory, size):
    run = tmp_path_factory.mktemp("size") / "run"
    state = {"set": {"blob": [1.7e9, "x" * size]}, "tags": {}, "notes": {}}
    payload = json.dumps([2, state]).encode()
    (run / metadata.ANNOTATIONS_DIR).mkdir(parents=True)
    (run / metadata.ANNOTATIONS_DIR / "state.1700000000.000000000000.json").write_bytes(payload)
    writer.annotate_run(run, tags=["new"])
    got = writer.read_run_metadata(run)
    assert got["tags"] == ["new"]
    assert ("blob" in got) == (len(payload) <= metadata.MAX_SNAPSHOT_BYTES)


@pytest.mark.parametrize("old_format", [False, True])
def test_an_oversized_snapshot_is_skipped_with_the_run_error_set(tmp_path, old_format):
    logs = tmp_path / "logs"
    run = logs / "big"
    _scalars(run)
    payload = json.dumps(
        [2, {"set": {"blob": [1.7e9, "x" * (2 << 20)]}, "tags": {}, "notes": {}}]
    ).encode()
    if old_format:
        _old_format(run, payload)
    else:
        (run / metadata.ANNOTATIONS_DIR).mkdir()
        (run / metadata.ANNOTATIONS_DIR / "state.1700000000.0.json").write_bytes(payload)
    served = _served(logs, "big")
    assert "over the limit" in served["error"]
    assert served["metadata"] == {}
    app = App(str(logs), "python")
    try:
        assert len(app.client.get(f"{PREFIX}/runs").data) < 100_000
        assert len(app.client.get(f"{PREFIX}/fields").data) < 100_000
    finally:
        app.close()
    writer.annotate_run(run, tags=["still writable"])
    assert writer.read_run_metadata(run) == {"tags": ["still writable"]}


# --- rel16: a bounded number of files -------------------------------------------------------


def test_a_pile_of_state_files_is_read_bounded_and_folded_by_the_next_write(tmp_path):
    run = tmp_path / "run"
    writer.annotate_run(run, tags=["first"])
    directory = run / metadata.ANNOTATIONS_DIR
    (newest,) = [n for n in os.listdir(directory) if annotation_files.is_state_file(n)]
    data = (directory / newest).read_bytes()
    for i in range(2000):  # as writers without a lock could leave them
        (directory / annotation_files.state_file_name(1_700_000_000 + i, f"{i:012x}")).write_bytes(
            data
        )
    read = annotation_files.read_local_directory(str(directory))
    assert read is not None and len(read.states) == annotation_files.MAX_STATE_FILES
    writer.annotate_run(run, tags=["second"])
    assert len([n for n in os.listdir(directory) if n != writer.LOCK_NAME]) == 1
    assert writer.read_run_metadata(run)["tags"] == ["first", "second"]


def test_earlier_release_piles_are_folded_by_the_next_write(tmp_path):
    run = tmp_path / "run"
    payload = metadata.encode_state({"set": {}, "tags": {"old": [1.7e9, None]}, "notes": {}})
    for _ in range(300):
        _old_format(run, payload)
    assert len(os.listdir(run / metadata.ANNOTATIONS_DIR)) == 300
    writer.annotate_run(run, tags=["new"])
    left = os.listdir(run / metadata.ANNOTATIONS_DIR)
    assert sorted(n.split(".")[0] for n in left if n != writer.LOCK_NAME) == ["state"]
    assert writer.read_run_metadata(run)["tags"] == ["old", "new"]


@pytest.mark.slow
def test_thousands_of_state_files_never_stall_the_python_loader(tmp_path, tensorboard_process):
    # rel16 on state files: no loader reads them, so a new run elsewhere is served at once.
    logs = tmp_path / "logs"
    _scalars(logs / "busy")
    writer.annotate_run(logs / "busy", tags=["first"])
    tb = tensorboard_process(logs, load_fast=False)
    tb.wait_for(lambda: [r["run"] for r in tb.get_json(f"{PREFIX}/runs")["runs"]] == ["busy"])
    directory = logs / "busy" / metadata.ANNOTATIONS_DIR
    (newest,) = [n for n in os.listdir(directory) if annotation_files.is_state_file(n)]
    data = (directory / newest).read_bytes()
    for i in range(10_000):
        (directory / annotation_files.state_file_name(int(time.time()), f"{i:012x}")).write_bytes(
            data
        )
    time.sleep(3)
    _scalars(logs / "late")
    writer.annotate_run(logs / "late", tags=["late"])
    started = time.time()

    def late_tagged():
        runs = {r["run"]: r for r in tb.get_json(f"{PREFIX}/runs")["runs"]}
        return runs.get("late", {}).get("metadata", {}).get("tags") == ["late"]

    assert tb.wait_for(late_tagged, timeout=60)
    assert time.time() - started < 30
    assert [r["run_name"] if isinstance(r, dict) else r for r in tb.get_json("data/runs")] == [
        "busy",
        "late",
    ]
