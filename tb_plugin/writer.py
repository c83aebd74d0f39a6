"""Write and read run metadata in a run directory, with no TensorFlow.

`write_run_metadata` and `annotate_run` annotate a run after the fact (or from
any framework). They never add a file beside the run's own event files (a
live trainer's later events would be hidden from TensorBoard's Python
loader); they write into the run's annotations directory
(`RUN/.rungroups/`, `tb_plugin.metadata.ANNOTATIONS_DIR`), one whole file per
write, under a file lock, each file a version-2 state that folds in
everything the run held when it was written (see `tb_plugin.metadata` for the
merge rule and what holds without locks).

Only local directories are supported here; for remote log directories write
with `tb_plugin.summary` through a TensorFlow or tensorboardX writer.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import socket
import struct
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from tensorboard.compat.proto import event_pb2, summary_pb2, tensor_pb2, tensor_shape_pb2, types_pb2
from tensorboard.compat.tensorflow_stub.pywrap_tensorflow import masked_crc32c

from tb_plugin import metadata

try:
    import fcntl
except ImportError:  # Windows: no advisory locks here; see metadata's notes on locks
    fcntl = None  # type: ignore[assignment]

_uid = itertools.count()
_NAME = re.compile(r"events\.out\.tfevents\.(\d{10})\.(\d{8})\.")
LOCK_NAME = ".lock"


@dataclass(frozen=True)
class Snapshot:
    """One stored snapshot, as read from an event file.

    Attributes:
      wall_time: The event's wall time.
      step: The event's step.
      data: A version-1 snapshot (a dict of metadata) or a version-2 state.
      version: 1 or 2.
    """

    wall_time: float
    step: int
    data: dict[str, Any]
    version: int = 1


def write_run_metadata(
    logdir: str | os.PathLike[str], data: Mapping[str, Any], *, merge: bool = True
) -> str:
    """Records metadata for the run in `logdir`, losing nothing the run holds.

    Args:
      logdir: The run directory (created if missing). The metadata belongs to
        the TensorBoard run that this directory is.
      data: Metadata to record: string keys, JSON-serialisable values.
      merge: If true (the default), the run's metadata becomes `data` for the
        keys `data` has, relative to what this call read: a key is stamped
        only if its value differs from the one read; tags read but absent
        from `data["tags"]` are removed and tags new to it are added; the
        notes read are replaced by `data["notes"]`. If false, nothing is
        compared or removed: keys are set, tags added, notes appended.
        Either way a change that another writer made and this call did not
        read is never undone.

    Returns:
      The path of the event file written.

    Raises:
      TypeError, ValueError: `data` is invalid (see
        `tb_plugin.metadata.encode_snapshot`); nothing is written.
    """
    metadata.encode_snapshot(data)  # fail on bad input before reading or writing

    def change(state: metadata.State, now: float) -> None:
        current = metadata.view(state) if merge else {}
        t = now  # each entry a step later: the run reads back in data's order
        for key, value in data.items():
            t += metadata.ORDER_STEP
            if key == "tags":
                if merge:
                    for tag in current.get("tags", []):
                        if tag not in value:
                            metadata.remove_tag(state, tag)
                old = current.get("tags", [])
                t = metadata.add_tags(state, [tag for tag in value if tag not in old], t)
            elif key == "notes":
                if merge and current.get("notes") == value:
                    continue
                if merge:
                    for note_id in list(state["notes"]):
                        metadata.remove_note(state, note_id)
                metadata.add_note(state, _entry_id(), value, t)
            elif (
                not merge
                or key not in current
                or metadata.dumps(current[key]) != metadata.dumps(value)
            ):
                metadata.set_key(state, key, value, t)

    return _commit(logdir, change)[0]


def annotate_run(
    logdir: str | os.PathLike[str],
    *,
    note: str | None = None,
    tags: Iterable[str] = (),
    remove_tags: Iterable[str] = (),
    status: str | None = None,
    keys: Mapping[str, Any] | None = None,
) -> str:
    """Adds a note, tags, a status or keys to a run; what `tb-rungroups annotate` does.

    The note is appended (a line of its own after the run's notes), tags are
    added, `remove_tags` removed (only the additions this call read), the
    status and `keys` set. Concurrent annotations of one run all count.

    Returns:
      The path of the event file written.

    Raises:
      TypeError, ValueError: An invalid value, naming it; nothing is written.
    """
    tags, remove_tags = list(tags), list(remove_tags)
    data: dict[str, Any] = dict(keys or {})
    if status is not None:
        data["status"] = status
    if note is not None:
        data["notes"] = note
    if tags or remove_tags:
        data["tags"] = tags + remove_tags
    metadata.encode_snapshot(data)

    def change(state: metadata.State, now: float) -> None:
        for key, value in (keys or {}).items():
            metadata.set_key(state, key, value, now)
        if status is not None:
            metadata.set_key(state, "status", status, now)
        for tag in remove_tags:
            metadata.remove_tag(state, tag)
        present = metadata.view(state).get("tags", [])
        metadata.add_tags(state, [t for t in tags if t not in present or t in remove_tags], now)
        if note is not None:
            metadata.add_note(state, _entry_id(), note, now)

    return _commit(logdir, change)[0]


def read_run_metadata(logdir: str | os.PathLike[str]) -> dict[str, Any]:
    """Returns the merged metadata of the run in `logdir`.

    Reads the run's own event files and its annotations directory, every
    snapshot, unsampled. Malformed and newer-version snapshots are skipped;
    truncated files are read up to the damage.
    """
    return read_run_state(logdir)[0]


def read_run_state(logdir: str | os.PathLike[str]) -> tuple[dict[str, Any], metadata.State]:
    """As `read_run_metadata`, also returning the run's joined version-2 state."""
    return metadata.view_and_state((s.wall_time, s.version, s.data) for s in read_snapshots(logdir))


def read_snapshots(logdir: str | os.PathLike[str], *, annotations: bool = True) -> list[Snapshot]:
    """Reads every well-formed snapshot of the run in `logdir`.

    Args:
      logdir: The run directory.
      annotations: Also read its annotations directory (`RUN/.rungroups/`).
    """
    logdir = os.fspath(logdir)
    own = _read_dir(logdir)
    if not annotations:
        return own
    return own + _read_dir(os.path.join(logdir, metadata.ANNOTATIONS_DIR))


def write_state(logdir: str | os.PathLike[str], state: metadata.State) -> metadata.State:
    """Joins a version-2 state into the run's annotations, under the lock.

    Returns:
      The state written: `state` joined with everything the run held.
    """
    metadata.encode_state(state)

    def change(current: metadata.State, now: float) -> None:
        current.update(metadata.join(current, state))

    return _commit(logdir, change)[1]


def new_writer_id() -> str:
    """A unique id for a writer's note entries."""
    return uuid.uuid4().hex[:16]


def _entry_id() -> str:
    return f"{new_writer_id()}.{next(_uid)}"


def _commit(
    logdir: str | os.PathLike[str], change: Callable[[metadata.State, float], None]
) -> tuple[str, metadata.State]:
    """Reads the run, applies `change` to its state and writes the result, under the lock.

    Returns:
      The path written and the state it holds.
    """
    logdir = os.fspath(logdir)
    directory = os.path.join(logdir, metadata.ANNOTATIONS_DIR)
    # Validate the change on an empty state first: bad input writes nothing,
    # not even the directories.
    probe = metadata.new_state()
    change(probe, time.time())
    metadata.encode_state(probe)
    os.makedirs(directory, exist_ok=True)
    with _locked(directory):
        own, annotations = _read_dir(logdir), _read_dir(directory)
        _, state = metadata.view_and_state(
            (s.wall_time, s.version, s.data) for s in own + annotations
        )
        now = max(time.time(), metadata.latest_time(state) + metadata.ORDER_STEP)
        change(state, now)
        payload = metadata.encode_state(state)
        names = [m for m in map(_NAME.match, os.listdir(directory)) if m]
        last = max(((int(m.group(1)), int(m.group(2))) for m in names), default=(0, -1))
        # Names and steps both grow with every write, and the seconds in the
        # name stay at the clock unless an existing name is ahead of it.
        seconds = max(int(now), last[0])
        sequence = last[1] + 1 if seconds == last[0] else 0
        step = max((s.step for s in annotations), default=-1) + 1
        filename = (
            f"events.out.tfevents.{seconds:010d}.{sequence:08d}.{socket.gethostname()}"
            f".{os.getpid()}.rungroups"
        )
        path = os.path.join(directory, filename)
        events = [
            event_pb2.Event(wall_time=now, file_version="brain.Event:2"),
            event_pb2.Event(wall_time=now, step=step, summary=state_summary(payload)),
        ]
        # Written under a name no loader picks up (loaders read files whose name
        # holds "tfevents"), then renamed: TensorBoard never sees half a file.
        tmp = os.path.join(directory, "." + filename.replace("tfevents", "rungroups") + ".partial")
        with open(tmp, "wb") as f:
            for event in events:
                f.write(_encode_record(event.SerializeToString()))
        os.replace(tmp, path)
    return path, state


def state_summary(payload: bytes) -> summary_pb2.Summary:
    """A `Summary` holding one encoded version-2 state (`metadata.encode_state`)."""
    tensor = tensor_pb2.TensorProto(
        dtype=types_pb2.DT_STRING,
        tensor_shape=tensor_shape_pb2.TensorShapeProto(),
        string_val=[payload],
    )
    summary = summary_pb2.Summary()
    summary.value.add(tag=metadata.TAG, metadata=metadata.create_summary_metadata(2), tensor=tensor)
    return summary


@contextlib.contextmanager
def _locked(directory: str) -> Iterator[None]:
    if fcntl is None:
        yield
        return
    with open(os.path.join(directory, LOCK_NAME), "a+b") as lock:
        try:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        except OSError:  # a file system without locks: proceed (see metadata's notes)
            yield
            return
        try:
            yield
        finally:
            fcntl.flock(lock.fileno(), fcntl.LOCK_UN)


def _read_dir(directory: str) -> list[Snapshot]:
    found = []
    try:
        names = sorted(os.listdir(directory))
    except OSError:
        return []
    for name in names:
        path = os.path.join(directory, name)
        if "tfevents" not in name or not os.path.isfile(path):
            continue
        for event in _read_events(path):
            for value in event.summary.value:
                if value.tag != metadata.TAG or not value.tensor.string_val:
                    continue
                try:
                    series_version = 1
                    if value.HasField("metadata"):
                        series_version = metadata.parse_plugin_content(
                            value.metadata.plugin_data.content
                        )
                    version, data = metadata.decode_value(
                        value.tensor.string_val[0], series_version
                    )
                except ValueError:  # UnsupportedVersionError too: skipped, warned once
                    continue
                found.append(Snapshot(event.wall_time, event.step, data, version))
    return found


def _encode_record(data: bytes) -> bytes:
    header = struct.pack("<Q", len(data))
    return (
        header
        + struct.pack("<I", masked_crc32c(header))
        + data
        + struct.pack("<I", masked_crc32c(data))
    )


def _read_events(path: str) -> Iterator[event_pb2.Event]:
    """Yields the events of a TFRecord file, stopping quietly at damage."""
    try:
        with open(path, "rb") as f:
            yield from _read_records(f)
    except OSError:
        return


def _read_records(f: Any) -> Iterator[event_pb2.Event]:
    while True:
        header = f.read(12)
        if len(header) < 12:
            return
        (length,) = struct.unpack("<Q", header[:8])
        (length_crc,) = struct.unpack("<I", header[8:])
        if masked_crc32c(header[:8]) != length_crc:
            return
        body = f.read(length + 4)
        if len(body) < length + 4:
            return
        event = event_pb2.Event()
        try:
            event.ParseFromString(body[:length])
        except Exception:  # protobuf's DecodeError has no stable import path
            return
        yield event
