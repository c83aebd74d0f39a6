"""Linked copies of runs in a local log directory (SPEC §4b rule 9).

W&B's ``sync_tensorboard`` keeps a run's event files a second time under
``wandb/run-*/files/…`` as symbolic links to the files, and ``wandb/latest-run`` is a link to
the latest ``wandb/run-*`` directory. Both TensorBoard loaders (Python and the Rust data
server) follow links to files and directories, so one training is listed two or three times.
Runs whose event files resolve to the same real files are one run, named by the shortest path
that is not a link; the others are *linked copies* of it and never add a trial.

The listing gives no paths, so this module reads the log directory itself. Per listing: one
``stat`` per run directory (it follows links; equal device and inode means the same directory,
through whatever link on the way), and one ``scandir`` of a run directory only when its mtime
moved (cached), to see which of its event files are links. ``realpath`` is called only for
runs where a link was found (a shared directory inode, a linked event file) and for the
directories those links point at. A link loop fails ``stat`` with ``ELOOP`` and is skipped.
Remote log directories (``s3://``, any ``://``) have no links: nothing is read.
"""

from __future__ import annotations

import dataclasses
import os
import threading
from collections.abc import Iterable

_EVENTS = "tfevents"


def _key(st: os.stat_result) -> tuple[int, int]:
    return (st.st_dev, st.st_ino)


@dataclasses.dataclass(slots=True)
class _Entry:
    """One run directory as last seen: its identity, event files and (once asked) where
    its links lead. Reused while the directory's device, inode and mtime stay."""

    ident: tuple[int, int, int]
    names: tuple[str, ...]
    linked: frozenset[str]
    folders: tuple[tuple[int, int], ...] | None = None
    real_base: str | None = None
    files: frozenset[str] | None = None


class LinkScanner:
    """Finds the linked copies among a local log directory's runs. Thread-safe.

    The cache holds, per run directory (by device, inode and mtime), its event file names,
    which of them are links and, for runs where a link was found, their real paths: bounded
    by the runs of the last listing.
    """

    def __init__(self, logdir: str):
        self.logdir = logdir
        self._local = "://" not in logdir
        self._lock = threading.Lock()
        self._cache: dict[str, _Entry] = {}

    def _path(self, run: str) -> str:
        if run == ".":
            return self.logdir
        return os.path.join(self.logdir, *run.split("/"))

    def scan(self, runs: Iterable[str]) -> dict[str, str]:
        """The linked copies among `runs`.

        Args:
          runs: The listed run names (``/``-separated, relative to the log directory).

        Returns:
          Each run that is a linked copy to the run it is a copy of (never itself a copy);
          runs that are no copy are not in it. Empty for a remote log directory.
        """
        if not self._local:
            return {}
        runs = tuple(runs)
        with self._lock:
            cache = self._cache
        fresh: dict[str, _Entry] = {}
        by_dir: dict[tuple[int, int], list[str]] = {}
        file_linked: list[str] = []
        stat = os.stat
        for run in runs:
            path = self._path(run)
            try:
                st = stat(path)
            except (OSError, ValueError):
                continue  # gone, or a link loop (ELOOP)
            ident = (st.st_dev, st.st_ino, st.st_mtime_ns)
            entry = cache.get(run)
            if entry is None or entry.ident != ident:
                entry = _Entry(ident, *self._entries(path))
            fresh[run] = entry
            by_dir.setdefault(ident[:2], []).append(run)
            if entry.linked:
                file_linked.append(run)
        with self._lock:
            self._cache = fresh
        # Runs where a link was seen, and the runs their linked files point into.
        wanted: set[str] = set(file_linked)
        for members in by_dir.values():
            if len(members) > 1:
                wanted.update(members)
        for run in file_linked:
            entry = fresh[run]
            if entry.folders is None:
                base = self._path(run)
                folders = set()
                for name in entry.linked:
                    try:
                        target = os.path.realpath(os.path.join(base, name))
                        folders.add(_key(stat(os.path.dirname(target))))
                    except (OSError, ValueError):
                        continue
                entry.folders = tuple(folders)
            for folder in entry.folders:
                wanted.update(by_dir.get(folder, ()))
        if not wanted:
            return {}
        real_logdir = os.path.realpath(self.logdir)
        groups: dict[frozenset[str], list[tuple[bool, str]]] = {}
        for run in wanted:
            entry = fresh[run]
            if not entry.names:
                continue
            if entry.files is None or entry.real_base is None:
                base = self._path(run)
                real_base = entry.real_base = os.path.realpath(base)
                entry.files = frozenset(
                    os.path.realpath(os.path.join(base, n))
                    if n in entry.linked
                    else os.path.join(real_base, n)
                    for n in entry.names
                )
            plain = not entry.linked and entry.real_base == (
                real_logdir if run == "." else os.path.join(real_logdir, *run.split("/"))
            )
            groups.setdefault(entry.files, []).append((plain, run))
        out: dict[str, str] = {}
        for same in groups.values():
            if len(same) < 2:
                continue
            # The shortest path that is not a link; if every one is, the shortest.
            keep = min(same, key=lambda m: (not m[0], len(m[1]), m[1]))[1]
            for _, run in same:
                if run != keep:
                    out[run] = keep
        return out

    @staticmethod
    def _entries(path: str) -> tuple[tuple[str, ...], frozenset[str]]:
        names: list[str] = []
        linked: set[str] = set()
        try:
            with os.scandir(path) as it:
                for entry in it:
                    if _EVENTS not in entry.name:
                        continue
                    try:
                        if entry.is_symlink():
                            linked.add(entry.name)
                        elif not entry.is_file(follow_symlinks=False):
                            continue
                    except OSError:
                        continue
                    names.append(entry.name)
        except OSError:
            pass
        return tuple(sorted(names)), frozenset(linked)


def rule(original: str) -> str:
    """The ``read.trial.rule`` of a linked copy of `original`."""
    return f"layout: linked copy of {original}"
