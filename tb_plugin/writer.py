"""Write and read run metadata in a run directory, with no TensorFlow.

`write_run_metadata` and `annotate_run` annotate a run after the fact (or from
any framework). They never add a file beside the run's own event files; they
write into the run's annotations directory (`RUN/.rungroups/`,
`tb_plugin.metadata.ANNOTATIONS_DIR`) one *state file* per write, under a file
lock: a version-2 state that folds in everything the run held when it was
written, after which the files it folded in are removed (a run holds one state
file, not a pile). State files have no ``tfevents`` in their names: no
TensorBoard loader makes a run of them, and no dashboard but ours sees them.
See `tb_plugin.metadata` ("Where annotations live") for the format, the merge
rule and what holds without locks.

Every file operation goes through TensorBoard's own `gfile`
(`tensorboard.compat.tensorflow_stub.io.gfile`, never TensorFlow's), so a run
directory may be a local path, an ``s3://BUCKET/PREFIX`` URL (boto3, with
``S3_ENDPOINT`` and the usual AWS variables), or any scheme that gfile reaches
through fsspec when fsspec is installed. Local writes open the annotations
directory, its lock and its files without following symbolic links, and are
renamed into place under an ``fcntl`` lock. On object storage there is no
rename and no lock: each write is one object, written whole under a name of its
own (a random token), so concurrent writers never overwrite each other and the
join of their states keeps both. A path gfile cannot handle raises
`UnsupportedPathError` (one line), never a local write.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import stat
import struct
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from tensorboard.compat.proto import event_pb2, summary_pb2, tensor_pb2, tensor_shape_pb2, types_pb2
from tensorboard.compat.tensorflow_stub import errors as tf_errors
from tensorboard.compat.tensorflow_stub.io import gfile
from tensorboard.compat.tensorflow_stub.pywrap_tensorflow import masked_crc32c

from tb_plugin import annotation_files as _annotations
from tb_plugin import metadata

try:
    import fcntl
except ImportError:  # Windows: no advisory locks here; see metadata's notes on locks
    fcntl = None  # type: ignore[assignment]

_uid = itertools.count()
LOCK_NAME = ".lock"
# Without file locks (object storage) this process's own threads still take
# turns, so they never race each other for a name or a step.
_remote_lock = threading.Lock()


class UnsupportedPathError(ValueError):
    """A run directory that TensorBoard's gfile cannot reach (an unknown scheme)."""


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
      logdir: The run directory (created if missing): a local path or a URL
        that TensorBoard's gfile reaches (``s3://BUCKET/PREFIX``). The
        metadata belongs to the TensorBoard run that this directory is.
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
      The path of the state file written.

    Raises:
      TypeError, ValueError: `data` is invalid (see
        `tb_plugin.metadata.encode_snapshot`); nothing is written.
      UnsupportedPathError: TensorBoard's gfile cannot reach `logdir` (an
        unknown URL scheme); nothing is written.
      OSError: The storage failed (a missing bucket, no credentials, no
        connection), in one line naming the path.
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
      The path of the state file written.

    Raises:
      TypeError, ValueError: An invalid value, naming it; nothing is written.
      UnsupportedPathError, OSError: As `write_run_metadata`.
    """
    tags, remove_tags = list(tags), list(remove_tags)
    for tag in tags:
        metadata.check_tag(tag)
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


@dataclass(frozen=True)
class Edit:
    """What `edit_run` wrote.

    Attributes:
      path: The state file written.
      metadata: The run's metadata after the write (`metadata.view`).
      undo: The change that reverses this one as far as it can (the keyword
        arguments of another `edit_run`): tags added that were absent are
        removed, tags removed that were present are added again, the status
        is set back when the run had one, the note entry is removed. A status
        set on a run that had none cannot be unset and is left.
    """

    path: str
    metadata: dict[str, Any]
    undo: dict[str, Any]


def edit_run(
    logdir: str | os.PathLike[str],
    *,
    note: str | None = None,
    add_tags: Iterable[str] = (),
    remove_tags: Iterable[str] = (),
    status: str | None = None,
    remove_note_ids: Iterable[str] = (),
) -> Edit:
    """Changes a run's note, tags and status in one write, returning its undo.

    The same merging write as `annotate_run` (what another writer did and this
    call did not read is never undone); the inverse is computed from what the
    run held under the lock, just before the write. `remove_note_ids` removes
    note entries by id (an undo's).

    Raises:
      TypeError, ValueError: An invalid value (an empty tag, an unknown
        status), naming it; nothing is written.
      UnsupportedPathError, OSError: As `write_run_metadata`.
    """
    add_tags, remove_tags = list(add_tags), list(remove_tags)
    remove_note_ids = list(remove_note_ids)
    for tag in add_tags:
        metadata.check_tag(tag)
    data: dict[str, Any] = {"tags": add_tags + remove_tags}
    if status is not None:
        data["status"] = status
    if note is not None:
        data["notes"] = note
    metadata.encode_snapshot(data)
    note_id = _entry_id()
    undo: dict[str, Any] = {}

    def change(state: metadata.State, now: float) -> None:
        before = metadata.view(state)
        present = set(before.get("tags", []))
        undo.clear()
        for tag in remove_tags:
            metadata.remove_tag(state, tag)
        now = metadata.add_tags(state, [t for t in add_tags if t not in present], now)
        if status is not None:
            metadata.set_key(state, "status", status, now)
        for entry in remove_note_ids:
            metadata.remove_note(state, entry)
        if note is not None:
            metadata.add_note(state, note_id, note, now)
        added = [t for t in dict.fromkeys(add_tags) if t not in present]
        removed = [t for t in dict.fromkeys(remove_tags) if t in present and t not in add_tags]
        if added:
            undo["remove_tags"] = added
        if removed:
            undo["add_tags"] = removed
        if status is not None and before.get("status") not in (None, status):
            undo["status"] = before["status"]
        if note is not None:
            undo["remove_note_ids"] = [note_id]

    path, state = _commit(logdir, change)
    return Edit(path, metadata.view(state), dict(undo))


def read_run_metadata(logdir: str | os.PathLike[str]) -> dict[str, Any]:
    """Returns the merged metadata of the run in `logdir`.

    Reads the run's own event files and its annotations directory, every
    snapshot, unsampled, on a local path or a URL (see `read_snapshots`).
    Malformed and newer-version snapshots are skipped; truncated files are
    read up to the damage.
    """
    return read_run_state(logdir)[0]


def read_run_state(logdir: str | os.PathLike[str]) -> tuple[dict[str, Any], metadata.State]:
    """As `read_run_metadata`, also returning the run's joined version-2 state."""
    return metadata.view_and_state((s.wall_time, s.version, s.data) for s in read_snapshots(logdir))


def read_snapshots(logdir: str | os.PathLike[str], *, annotations: bool = True) -> list[Snapshot]:
    """Reads every well-formed snapshot of the run in `logdir`.

    Args:
      logdir: The run directory: a local path or a URL that TensorBoard's
        gfile reads (``s3://BUCKET/PREFIX``).
      annotations: Also read its annotations directory (`RUN/.rungroups/`):
        its state files (as version-2 snapshots, wall time and step 0) and
        the event files earlier releases wrote there.

    Raises:
      UnsupportedPathError: gfile has no filesystem for the URL's scheme.
      OSError: The storage failed (a missing bucket, no credentials, no
        connection): one line naming the path.
    """
    logdir = run_path(logdir)
    with storage_errors("read", logdir):
        own = _read_dir(logdir)
        if not annotations:
            return own
        directory = join(logdir, metadata.ANNOTATIONS_DIR)
        if is_remote(logdir):
            states = _annotations.read_remote_directory(directory).states
        else:
            states = (_annotations.read_local_directory(directory) or _annotations.EMPTY).states
        old = _read_dir(directory) if not os.path.islink(directory) else []
        return own + old + [Snapshot(0.0, 0, state, 2) for state in states]


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
    """Reads the run, applies `change` to its state, writes the result as a state
    file and folds away the files it read (locked, locally).

    Returns:
      The path written and the state it holds.
    """
    logdir = run_path(logdir)
    if _basename(logdir) == metadata.ANNOTATIONS_DIR:
        raise ValueError(
            f"{logdir} is a run's annotations directory, not a run: annotate the run "
            f"itself ({logdir[: -len(metadata.ANNOTATIONS_DIR) - 1] or '.'})"
        )
    directory = join(logdir, metadata.ANNOTATIONS_DIR)
    # Validate the change on an empty state first: bad input writes nothing,
    # not even the directories.
    probe = metadata.new_state()
    change(probe, time.time())
    metadata.encode_state(probe)
    if is_remote(logdir):
        with storage_errors("write", logdir), _remote_lock:
            return _commit_remote(logdir, directory, change)
    with storage_errors("write", logdir):
        return _commit_local(logdir, directory, change)


def _fold(
    own: list[Snapshot],
    found: list[Snapshot],
    states: tuple[metadata.State, ...],
    change: Callable[[metadata.State, float], None],
) -> tuple[metadata.State, bytes, float]:
    _, state = metadata.view_and_state(
        [(s.wall_time, s.version, s.data) for s in own + found]
        + [(0.0, 2, read) for read in states]
    )
    # Times read are all sane (`metadata.MAX_TIME`): a damaged file never
    # stamps this write.
    now = max(time.time(), metadata.latest_time(state) + metadata.ORDER_STEP)
    change(state, now)
    return state, metadata.encode_state(state), now


def _basename(path: str) -> str:
    return (
        path.rstrip("/").rsplit("/", 1)[-1]
        if is_remote(path)
        else os.path.basename(os.path.normpath(path))
    )


def _new_name() -> str:
    seconds = min(max(int(time.time()), 0), 9_999_999_999)
    return _annotations.state_file_name(seconds, uuid.uuid4().hex[:12])


def _commit_local(
    logdir: str, directory: str, change: Callable[[metadata.State, float], None]
) -> tuple[str, metadata.State]:
    dir_fd = _open_annotations_dir(logdir, directory)
    try:
        with _locked_at(dir_fd, directory):
            names = os.listdir(dir_fd)
            own = _read_dir(logdir)
            found, folded = _read_old_at(dir_fd, names)
            read = _annotations.read_state_files(
                names, lambda n: _annotations.read_at(dir_fd, n), limit=len(names)
            )
            state, payload, _ = _fold(own, found, read.states, change)
            filename = _new_name()
            # Written under a hidden name, then renamed: a reader never sees
            # half a file. Opened relative to the directory, never through a link.
            tmp = "." + filename + ".partial"
            fd = os.open(
                tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_NOFOLLOW, 0o644, dir_fd=dir_fd
            )
            try:
                with os.fdopen(fd, "wb") as f:
                    f.write(payload)
                    f.flush()
                    os.fsync(f.fileno())
                os.replace(tmp, filename, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp, dir_fd=dir_fd)
                raise
            # Folding: what was read in full is in the file just written.
            for name in (*folded, *read.names):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(name, dir_fd=dir_fd)
    finally:
        os.close(dir_fd)
    return join(directory, filename), state


def _commit_remote(
    logdir: str, directory: str, change: Callable[[metadata.State, float], None]
) -> tuple[str, metadata.State]:
    names = _listdir(directory)
    own = _read_dir(logdir)
    found: list[Snapshot] = []
    folded: list[str] = []
    for name in sorted(names):
        if "tfevents" in name:
            snapshots, clean = _read_file_snapshots(join(directory, name))
            found += snapshots
            if clean:
                folded.append(name)
    read = _annotations.read_remote_directory(directory, names, limit=len(names))
    state, payload, _ = _fold(own, found, read.states, change)
    path = join(directory, _new_name())
    # One object, written whole: object stores never show half of one, and
    # the random token keeps concurrent writers from taking one name.
    with gfile.GFile(path, "wb") as f:
        f.write(payload)
    for name in (*folded, *read.names):
        _remove_remote(join(directory, name))
    return path, state


def _remove_remote(path: str) -> None:
    """Removes an object (``s3://`` only; elsewhere files are left, and readers
    read at most `tb_plugin.annotation_files.MAX_STATE_FILES` of them)."""
    if not path.startswith("s3://"):
        return
    filesystem = gfile.get_filesystem(path)
    import boto3  # type: ignore[import-untyped]

    bucket, key = filesystem.bucket_and_path(path)
    boto3.client("s3", endpoint_url=getattr(filesystem, "_s3_endpoint", None)).delete_object(
        Bucket=bucket, Key=key
    )


_O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def _open_annotations_dir(logdir: str, directory: str) -> int:
    """Opens (creating) ``RUN/.rungroups`` without following a link out of the run.

    Raises:
      OSError: It is a symbolic link or not a directory (one line; nothing written).
    """
    gfile.makedirs(logdir)
    with contextlib.suppress(FileExistsError):
        os.mkdir(directory)
    if os.path.islink(directory):
        raise OSError(
            f"{directory} is a symbolic link: refusing to write annotations outside the run"
        )
    try:
        return os.open(directory, os.O_RDONLY | os.O_DIRECTORY | _O_NOFOLLOW)
    except OSError as e:
        raise OSError(f"cannot open {directory}: {e.strerror}") from None


@contextlib.contextmanager
def _locked_at(dir_fd: int, directory: str) -> Iterator[None]:
    # A local path: the lock is the OS's, which gfile does not offer. The lock
    # file is opened relative to the directory and never through a link.
    try:
        fd = os.open(LOCK_NAME, os.O_RDWR | os.O_CREAT | _O_NOFOLLOW, 0o644, dir_fd=dir_fd)
    except OSError as e:
        raise OSError(
            f"cannot open the lock {os.path.join(directory, LOCK_NAME)}: {e.strerror}"
            + (
                " (a symbolic link: refused)"
                if os.path.islink(os.path.join(directory, LOCK_NAME))
                else ""
            )
        ) from None
    try:
        if fcntl is not None:
            # A file system without locks: proceed (see metadata's notes).
            with contextlib.suppress(OSError):
                fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _read_old_at(dir_fd: int, names: list[str]) -> tuple[list[Snapshot], list[str]]:
    """Reads the earlier releases' event files of an annotations directory.

    Returns:
      The snapshots, and the names of the files read in full (to fold away).
    """
    found: list[Snapshot] = []
    folded: list[str] = []
    for name in sorted(names):
        if "tfevents" not in name:
            continue
        try:
            fd = os.open(
                name, os.O_RDONLY | _O_NOFOLLOW | getattr(os, "O_NONBLOCK", 0), dir_fd=dir_fd
            )
        except OSError:
            continue
        with os.fdopen(fd, "rb") as f:
            if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
                continue
            reader = _Records(f)
            snapshots = _snapshots(reader)
            found += snapshots
            if reader.clean and not reader.skipped:
                folded.append(name)
    return found, folded


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


def _read_dir(directory: str) -> list[Snapshot]:
    found = []
    for name in sorted(_listdir(directory)):
        if "tfevents" in name:
            found += _read_file_snapshots(join(directory, name))[0]
    return found


def _read_file_snapshots(path: str) -> tuple[list[Snapshot], bool]:
    """A file's well-formed snapshots, and whether all of it was read and kept."""
    try:
        with gfile.GFile(path, "rb") as f:
            reader = _Records(f)
            return _snapshots(reader), reader.clean and not reader.skipped
    except Exception as e:
        if not (isinstance(e, OSError) and not is_remote(path)) and not _is_missing(e):
            raise
        return [], False


def _snapshots(reader: _Records) -> list[Snapshot]:
    found = []
    for event in reader:
        for value in event.summary.value:
            if value.tag != metadata.TAG or not value.tensor.string_val:
                continue
            try:
                series_version = 1
                if value.HasField("metadata"):
                    series_version = metadata.parse_plugin_content(
                        value.metadata.plugin_data.content
                    )
                if len(value.tensor.string_val[0]) > metadata.MAX_SNAPSHOT_BYTES:
                    raise ValueError("snapshot over the size limit")
                version, data = metadata.decode_value(value.tensor.string_val[0], series_version)
                if version == 1 and not metadata.is_sane_time(event.wall_time):
                    raise ValueError("snapshot stamped with an impossible time")
            except ValueError:  # UnsupportedVersionError too: skipped, warned once
                reader.skipped += 1
                continue
            found.append(Snapshot(event.wall_time, event.step, data, version))
    return found


# --- paths through TensorBoard's gfile --------------------------------------------------


def is_remote(path: str) -> bool:
    """Whether `path` is a URL (``scheme://...``) rather than a local path."""
    return "://" in path


def run_path(path: str | os.PathLike[str]) -> str:
    """Checks that TensorBoard's gfile can reach `path`; returns it as a string.

    Raises:
      UnsupportedPathError: A URL whose scheme gfile has no filesystem for,
        or an ``s3://`` URL without a bucket; one line naming the path.
    """
    path = os.fspath(path)
    if not is_remote(path):
        return path
    scheme = path.split("://", 1)[0]
    try:
        gfile.get_filesystem(path)
    except (ValueError, ImportError):
        hint = (
            "install boto3" if scheme == "s3" else f"install fsspec and its package for {scheme}://"
        )
        raise UnsupportedPathError(
            f"{path}: TensorBoard's gfile has no filesystem for {scheme}:// ({hint})"
        ) from None
    path = path.rstrip("/")
    if scheme == "s3" and "/" not in path[len("s3://") :]:
        raise UnsupportedPathError(f"{path}: give a folder inside the bucket, s3://BUCKET/PREFIX")
    return path


def join(path: str, *names: str) -> str:
    """Joins names onto a local path (the OS's way) or a URL (with '/')."""
    if is_remote(path):
        return "/".join((path.rstrip("/"), *names))
    return os.path.join(path, *names)


def isdir(path: str | os.PathLike[str]) -> bool:
    """Whether `path` is a directory (on object storage: a prefix holding objects).

    Raises:
      UnsupportedPathError, OSError: As `read_snapshots`.
    """
    path = run_path(path)
    with storage_errors("read", path):
        return bool(gfile.isdir(path))


def read_file(path: str) -> bytes | None:
    """The bytes of a (small) file through TensorBoard's gfile; None if there is none.

    Raises:
      UnsupportedPathError, OSError: As `read_snapshots`.
    """
    path = run_path(path)
    with storage_errors("read", path):
        try:
            with gfile.GFile(path, "rb") as f:
                return bytes(f.read())
        except Exception as e:
            if _is_missing(e):
                return None
            raise


@contextlib.contextmanager
def storage_errors(action: str, path: str) -> Iterator[None]:
    """Turns the storage's own errors (botocore's, gfile's) into one-line `OSError`s."""
    try:
        yield
    except (OSError, ValueError, TypeError):
        raise
    except tf_errors.OpError as e:
        raise OSError(f"cannot {action} {path}: {e.message}") from None
    except Exception as e:
        if type(e).__module__.split(".")[0] not in ("botocore", "boto3", "s3transfer"):
            raise
        raise OSError(f"cannot {action} {path}: {_one_line(e)}") from None


def _one_line(error: Exception) -> str:
    text = " ".join(str(error).split())
    return text[:300] or type(error).__name__


def _listdir(directory: str) -> list[str]:
    """A directory's entries; [] when it does not exist."""
    try:
        return [str(name) for name in gfile.listdir(directory)]
    except (tf_errors.NotFoundError, FileNotFoundError, NotADirectoryError):
        return []


def _is_missing(error: Exception) -> bool:
    """A file that is gone (or is a directory) since it was listed: skipped."""
    if isinstance(error, tf_errors.NotFoundError | FileNotFoundError | IsADirectoryError):
        return True
    response = getattr(error, "response", None)  # botocore's ClientError
    code = response.get("Error", {}).get("Code") if isinstance(response, dict) else None
    return code in ("NoSuchKey", "404")


def _encode_record(data: bytes) -> bytes:
    header = struct.pack("<Q", len(data))
    return (
        header
        + struct.pack("<I", masked_crc32c(header))
        + data
        + struct.pack("<I", masked_crc32c(data))
    )


def _read_events(path: str) -> Iterator[event_pb2.Event]:
    """Yields the events of a TFRecord file (local or through gfile), stopping
    quietly at damage; a file gone since it was listed yields nothing."""
    try:
        with gfile.GFile(path, "rb") as f:
            yield from _Records(f)
    except Exception as e:
        if not (isinstance(e, OSError) and not is_remote(path)) and not _is_missing(e):
            raise


class _Records:
    """Iterates the events of a TFRecord file, stopping quietly at damage.

    Attributes:
      clean: Whether the file was read to its end with no damage.
      skipped: Snapshots skipped as unreadable (set by the caller).
    """

    def __init__(self, f: Any):
        self._f = f
        self.clean = False
        self.skipped = 0

    def __iter__(self) -> Iterator[event_pb2.Event]:
        f = self._f
        while True:
            header = f.read(12)
            if len(header) == 0:
                self.clean = True
                return
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
