"""Annotation files: where a run's post-hoc annotations live, and reading them cheaply.

The format is defined in `tb_plugin.metadata` ("Where annotations live"): each
run's annotations are *state files* ``RUN/.rungroups/state.<seconds>.<token>.json``,
each holding one version-2 value ``[2, state]`` as UTF-8 JSON. Their names
hold no ``tfevents``, so neither TensorBoard loader makes a run of them; the
plugin reads them itself from the log directory (`Scanner`), through
TensorBoard's own gfile (``tensorflow_stub``: local paths, ``s3://``, and
fsspec schemes). Annotations written by earlier releases as event files in
``RUN/.rungroups/`` are still read through the data provider (`tb_plugin.data`).

This module reads only; `tb_plugin.writer` writes, folds and removes.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import stat
import threading
import time
from collections.abc import Iterable
from typing import Any

from tensorboard.compat.tensorflow_stub import errors as tf_errors
from tensorboard.compat.tensorflow_stub.io import gfile

from tb_plugin import metadata

STATE_PREFIX = "state."
STATE_SUFFIX = ".json"
MAX_STATE_FILES = 64
"""At most this many state files of one run are read (the newest by name)."""

# A directory changed this recently is read again whatever its mtime says:
# two changes inside one tick of the file system's clock share an mtime.
_RECENT_SECONDS = 2.0


def is_state_file(name: str) -> bool:
    """Whether `name` (a base name) is a state file's."""
    return name.startswith(STATE_PREFIX) and name.endswith(STATE_SUFFIX) and "/" not in name


def state_file_name(seconds: int, token: str) -> str:
    """The name of a new state file: ``state.<seconds:010d>.<token>.json``."""
    return f"{STATE_PREFIX}{seconds:010d}.{token}{STATE_SUFFIX}"


def decode_state_file(data: bytes) -> metadata.State:
    """Decodes a state file's bytes.

    Raises:
      UnsupportedVersionError: written by a newer Run Groups.
      ValueError: over `metadata.MAX_SNAPSHOT_BYTES`, not a version-2 value, or a
        time outside `metadata.MIN_TIME`..`metadata.MAX_TIME`.
    """
    if len(data) > metadata.MAX_SNAPSHOT_BYTES:
        raise ValueError(
            f"annotation state is over the limit of {metadata.MAX_SNAPSHOT_BYTES} bytes"
        )
    version, state = metadata.decode_value(data, 2)
    if version != 2:
        raise ValueError("annotation file holds no version-2 state")
    return state


@dataclasses.dataclass(frozen=True)
class RunAnnotations:
    """What one run's state files hold.

    Attributes:
      states: The decoded states (join them).
      error: Why some file could not be read, else None.
      newest: The latest time stamped in them, or None.
      names: The state files read (base names), for folding.
    """

    states: tuple[metadata.State, ...]
    error: str | None
    newest: float | None
    names: tuple[str, ...] = ()


EMPTY = RunAnnotations((), None, None)


def read_state_files(
    names: Iterable[str], read: Any, *, limit: int = MAX_STATE_FILES
) -> RunAnnotations:
    """Reads state files by name with `read(name) -> bytes | None` (None: gone).

    At most `limit` files are read, the newest by name. Files gone since they
    were listed are skipped (a writer removes a file only after writing one
    that folds it in: the caller lists again when it matters).
    """
    chosen = sorted(n for n in names if is_state_file(n))[-limit:]
    states: list[metadata.State] = []
    read_names: list[str] = []
    bad: list[str] = []
    for name in chosen:
        data = read(name)
        if data is None:
            continue
        try:
            states.append(decode_state_file(data))
        except ValueError as e:  # UnsupportedVersionError too
            bad.append(f"{name}: {e}")
            continue
        read_names.append(name)
    error = None
    if bad:
        error = f"{len(bad)} unreadable annotation file(s): {bad[-1]}"
    newest = max((metadata.latest_time(s) for s in states), default=None)
    return RunAnnotations(tuple(states), error, newest or None, tuple(read_names))


def read_local_directory(directory: str) -> RunAnnotations | None:
    """Reads the state files of a local annotations directory without following links.

    Returns:
      None when `directory` is missing, or is not a real directory (a
      symbolic link is never followed out of the run).
    """
    found = None
    for _ in range(3):
        try:
            fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | _O_NOFOLLOW)
        except OSError:
            return None
        try:
            reader = _Reader(lambda name, fd=fd: read_at(fd, name))
            found = read_state_files(os.listdir(fd), reader)
        finally:
            os.close(fd)
        if not reader.gone:
            break
    return found


class _Reader:
    """Reads files by name, remembering those gone since they were listed."""

    def __init__(self, read: Any):
        self._read = read
        self.gone: list[str] = []

    def __call__(self, name: str) -> bytes | None:
        data = self._read(name)
        if data is None:
            self.gone.append(name)
        return data


def read_at(dir_fd: int, name: str) -> bytes | None:
    """A regular file's bytes (up to one more than the size limit), opened without
    following a link; None when missing or not a regular file."""
    try:
        fd = os.open(name, os.O_RDONLY | _O_NOFOLLOW | getattr(os, "O_NONBLOCK", 0), dir_fd=dir_fd)
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        chunks = []
        left = metadata.MAX_SNAPSHOT_BYTES + 1
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def read_remote_directory(
    directory: str, names: Iterable[str] | None = None, *, limit: int = MAX_STATE_FILES
) -> RunAnnotations:
    """Reads the state files of an annotations directory through gfile (a URL)."""
    found = EMPTY
    base = directory.rstrip("/") + "/"
    for _ in range(3):
        listed = list(names) if names is not None else _listdir(directory)
        names = None
        reader = _Reader(lambda name: _read_remote(base + name))
        found = read_state_files(listed, reader, limit=limit)
        if not reader.gone:
            break
    return found


def _read_remote(path: str) -> bytes | None:
    try:
        with gfile.GFile(path, "rb") as f:
            return bytes(f.read(metadata.MAX_SNAPSHOT_BYTES + 1))
    except Exception as e:
        if isinstance(e, tf_errors.NotFoundError | FileNotFoundError):
            return None
        response = getattr(e, "response", None)
        code = response.get("Error", {}).get("Code") if isinstance(response, dict) else None
        if code in ("NoSuchKey", "404"):
            return None
        raise


def _listdir(directory: str) -> list[str]:
    try:
        return [str(n) for n in gfile.listdir(directory)]
    except (tf_errors.NotFoundError, FileNotFoundError, NotADirectoryError):
        return []


_O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def candidates(runs: Iterable[str]) -> list[str]:
    """The runs whose annotations directories may exist: every run and each of its
    ancestors up to the log directory's root ``"."`` (a run annotated post hoc may
    hold no event files of its own: its children hold them)."""
    out: set[str] = set()
    for run in runs:
        # An earlier release's annotations run stands for its owner.
        if run == metadata.ANNOTATIONS_DIR:
            run = "."
        elif run.endswith("/" + metadata.ANNOTATIONS_DIR):
            run = run[: -len(metadata.ANNOTATIONS_DIR) - 1]
        while run not in out:
            out.add(run)
            if run in (".", ""):
                break
            run = run.rsplit("/", 1)[0] if "/" in run else "."
    return sorted(out)


def run_directory(logdir: str, run: str) -> str:
    """The directory of `run` in `logdir` (run ``"."`` is the log directory)."""
    if run == ".":
        return logdir
    if "://" in logdir:
        return logdir.rstrip("/") + "/" + run
    return os.path.join(logdir, *run.split("/"))


@dataclasses.dataclass(frozen=True)
class Scan:
    """The annotations of a log directory's runs at one time.

    Attributes:
      runs: Run to its `RunAnnotations` (only runs that have state files or errors).
      fingerprint: Changes whenever any of them may have changed.
    """

    runs: dict[str, RunAnnotations]
    fingerprint: bytes


class Scanner:
    """Reads the state files of a log directory's runs, cached per directory.

    Local: one ``stat`` per candidate directory; a directory whose mtime and
    inode have not moved (and that did not change in the last two seconds) is
    not read again. Remote (``s3://``): one recursive listing of the log
    directory; a run whose state-file names have not changed is not read again.
    Thread-safe.
    """

    def __init__(self, logdir: str):
        self.logdir = logdir.rstrip("/") if "://" in logdir else logdir
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[Any, RunAnnotations]] = {}
        # The last run list's candidates and their annotations directories: a
        # listing mostly repeats the one before.
        self._candidates: tuple[int, list[tuple[str, str]]] = (0, [])

    def scan(self, runs: Iterable[str]) -> Scan:
        """Reads (or reuses) the annotations of `runs` and their ancestors."""
        runs = tuple(runs)
        if "://" in self.logdir:
            found = self._scan_remote(candidates(runs))
        else:
            found = self._scan_local(self._directories(runs))
        digest = hashlib.blake2b(digest_size=16)
        for run in sorted(found):
            # Names are unique per write (a random token): they say what was read.
            read = found[run][1]
            digest.update(repr((run, read.names, read.error)).encode("utf-8", "surrogatepass"))
        runs_out = {run: annotations for run, (_, annotations) in found.items()}
        with self._lock:
            self._cache = dict(found)
        return Scan(runs_out, digest.digest())

    def _directories(self, runs: tuple[str, ...]) -> list[tuple[str, str]]:
        key = hash(runs)
        with self._lock:
            if self._candidates[0] == key:
                return self._candidates[1]
        base = self.logdir.rstrip(os.sep) + os.sep
        suffix = os.sep + metadata.ANNOTATIONS_DIR
        directories = [
            (
                run,
                (base + run.replace("/", os.sep) if run != "." else self.logdir.rstrip(os.sep))
                + suffix,
            )
            for run in candidates(runs)
        ]
        with self._lock:
            self._candidates = (key, directories)
        return directories

    def _scan_local(
        self, directories: list[tuple[str, str]]
    ) -> dict[str, tuple[Any, RunAnnotations]]:
        with self._lock:
            cache = self._cache
        out: dict[str, tuple[Any, RunAnnotations]] = {}
        now = time.time()
        lstat, isdir = os.lstat, stat.S_ISDIR
        for run, directory in directories:
            try:
                st = lstat(directory)
            except OSError:
                continue
            if not isdir(st.st_mode):
                continue
            key = (st.st_ino, st.st_mtime_ns)
            old = cache.get(run)
            if old is not None and old[0] == key:
                out[run] = old
                continue
            read = read_local_directory(directory)
            if read is not None and (read.states or read.error):
                # A directory that changed within a tick of the file system's clock
                # may change again under the same mtime: read it again next time
                # (the key (ino, None) never matches), until it has been quiet.
                quiet = now - st.st_mtime > _RECENT_SECONDS
                out[run] = (key if quiet else (st.st_ino, None), read)
        return out

    def _scan_remote(self, wanted: list[str]) -> dict[str, tuple[Any, RunAnnotations]]:
        with self._lock:
            cache = self._cache
        names: dict[str, list[str]] = {}
        marker = "/" + metadata.ANNOTATIONS_DIR + "/"
        try:
            keys = gfile.glob(self.logdir + "/*")
        except Exception:
            keys = []
        root = self.logdir + "/"
        for key in keys:
            key = str(key)
            if not key.startswith(root):
                continue
            relative = "/" + key[len(root) :]
            head, sep, name = relative.rpartition(marker)
            if not sep or not is_state_file(name):
                continue
            run = head.strip("/") or "."
            names.setdefault(run, []).append(name)
        out: dict[str, tuple[Any, RunAnnotations]] = {}
        wanted_set = set(wanted)
        for run, listed in names.items():
            if run not in wanted_set:
                continue
            key = tuple(sorted(listed))
            old = cache.get(run)
            if old is not None and old[0] == key:
                out[run] = old
                continue
            directory = run_directory(self.logdir, run) + "/" + metadata.ANNOTATIONS_DIR
            read = read_remote_directory(directory, listed)
            if read.states or read.error:
                out[run] = (key, read)
        return out
