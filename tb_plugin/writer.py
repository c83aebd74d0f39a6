"""Write and read run metadata in a run directory, with no TensorFlow.

`write_run_metadata` annotates a run after the fact (or from any framework):
it reads the snapshots the directory already holds, folds `data` over their
merge and writes the result as one new event file, so the newest snapshot
alone carries the run's whole metadata (TensorBoard keeps only a sample of a
tensor series; see `tb_plugin.metadata`).

Only local directories are supported here; for remote log directories write
with `tb_plugin.summary` through a TensorFlow or tensorboardX writer.
"""

from __future__ import annotations

import itertools
import os
import re
import socket
import struct
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from tensorboard.compat.proto import event_pb2
from tensorboard.compat.tensorflow_stub.pywrap_tensorflow import masked_crc32c

from tb_plugin import metadata, summary

_uid = itertools.count()
_STAMP = re.compile(r"events\.out\.tfevents\.(\d{1,10})\.")


@dataclass(frozen=True)
class Snapshot:
    """One stored snapshot, as read from an event file."""

    wall_time: float
    step: int
    data: dict[str, Any]


def write_run_metadata(
    logdir: str | os.PathLike[str], data: Mapping[str, Any], *, merge: bool = True
) -> str:
    """Writes a run-metadata snapshot into `logdir` as a new event file.

    Args:
      logdir: The run directory (created if missing). The snapshot belongs to
        the TensorBoard run that this directory is.
      data: Metadata to record: string keys, JSON-serialisable values.
      merge: If true (the default), the snapshot is the run's current merged
        metadata with `data`'s top-level keys written over it, so nothing the
        run held is lost. If false, the snapshot is exactly `data`.

    Returns:
      The path of the event file written.

    Raises:
      TypeError, ValueError: `data` is invalid (see
        `tb_plugin.metadata.encode_snapshot`); nothing is written.
    """
    logdir = os.fspath(logdir)
    metadata.encode_snapshot(data)  # fail on bad input before reading or writing
    snapshots = read_snapshots(logdir) if merge and os.path.isdir(logdir) else []
    snapshot = dict(data)
    if snapshots:
        snapshot = metadata.merge_snapshots(
            [(s.wall_time, s.data) for s in snapshots] + [(float("inf"), data)]
        )
    proto = summary.run_metadata_pb(snapshot)  # validates the merged whole too
    step = max((s.step for s in snapshots), default=-1) + 1
    now = time.time()
    os.makedirs(logdir, exist_ok=True)
    # The new snapshot must sort after every event file already in the run: both
    # loaders read a run's files in name order, and a file read later whose
    # steps go backwards makes the Python loader purge the "newer" snapshots.
    # The name starts with a timestamp, so stay past the newest one there.
    stamp = max([int(now), *(s + 1 for s in _event_file_stamps(logdir))])
    filename = (
        f"events.out.tfevents.{stamp:010d}.{socket.gethostname()}"
        f".{os.getpid()}.{next(_uid)}.rungroups"
    )
    path = os.path.join(logdir, filename)
    events = [
        event_pb2.Event(wall_time=now, file_version="brain.Event:2"),
        event_pb2.Event(wall_time=now, step=step, summary=proto),
    ]
    # Write under a name no loader picks up (loaders read files whose name holds
    # "tfevents"), then rename, so TensorBoard never sees a half-written snapshot.
    tmp = os.path.join(logdir, "." + filename.replace("tfevents", "rungroups") + ".partial")
    with open(tmp, "wb") as f:
        for event in events:
            f.write(_encode_record(event.SerializeToString()))
    os.replace(tmp, path)
    return path


def read_run_metadata(logdir: str | os.PathLike[str]) -> dict[str, Any]:
    """Returns the merged metadata of the run in `logdir` (its own files only).

    Unlike TensorBoard, this reads every snapshot, unsampled. Malformed
    snapshots are skipped; truncated files are read up to the damage.
    """
    return metadata.merge_snapshots((s.wall_time, s.data) for s in read_snapshots(logdir))


def read_snapshots(logdir: str | os.PathLike[str]) -> list[Snapshot]:
    """Reads every well-formed snapshot in the event files directly in `logdir`."""
    logdir = os.fspath(logdir)
    found = []
    try:
        names = sorted(os.listdir(logdir))
    except OSError:
        return []
    for name in names:
        path = os.path.join(logdir, name)
        if "tfevents" not in name or not os.path.isfile(path):
            continue
        for event in _read_events(path):
            for value in event.summary.value:
                if value.tag != metadata.TAG or not value.tensor.string_val:
                    continue
                try:
                    if value.HasField("metadata"):
                        metadata.parse_plugin_content(value.metadata.plugin_data.content)
                    data = metadata.decode_snapshot(value.tensor.string_val[0])
                except ValueError:
                    continue
                found.append(Snapshot(event.wall_time, event.step, data))
    return found


def _event_file_stamps(logdir: str) -> list[int]:
    stamps = []
    for name in os.listdir(logdir):
        match = _STAMP.match(name)
        if match:
            stamps.append(int(match.group(1)))
    return stamps


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
