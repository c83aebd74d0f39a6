"""A Keras callback that records Run Groups metadata for a training run.

Use it beside Keras' own `TensorBoard` callback::

    run_dir = tb_plugin.get_run_logdir("my_logs", lr=0.01, seed=3)
    model.fit(
        x, y,
        callbacks=[
            keras.callbacks.TensorBoard(run_dir),
            tb_plugin.keras.RunMetadataCallback(hparams={"lr": 0.01, "seed": 3}),
        ],
    )

The metadata goes into the same run directory as the `TensorBoard` callback's
(`log_dir=` overrides it; without either, training stops with a clear error).
"""

from __future__ import annotations

import contextlib
import datetime
import gc
import getpass
import os
import platform
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from typing import Any

import keras

from tb_plugin import metadata, writer


class RunMetadataCallback(keras.callbacks.Callback):
    """Records hparams, status, provenance and final metrics of a `fit` call.

    On train begin it writes a snapshot with `hparams`, `notes`, `tags`, any
    extra keys, status `running`, `started_at`, the model's name and parameter
    count, the optimizer's config, the command line, host, user, git
    commit/branch/dirty (when run inside a git work tree) and the Python,
    TensorFlow, Keras and TensorBoard versions. On train end it writes status
    `finished`, `ended_at` and the final metrics. A run killed mid-training
    keeps status `running`; Run Groups shows it as stale once its events stop.

    Args:
      hparams: Hyperparameters of this run (a mapping of JSON values).
      notes: Free-text notes.
      tags: A list of string tags.
      log_dir: The run directory to write to. Defaults to the `log_dir` of the
        `keras.callbacks.TensorBoard` callback passed to the same `fit` call.
      **extra: Any other JSON-serialisable top-level metadata.

    Raises:
      TypeError, ValueError: Bad metadata, at construction time, naming the key.
    """

    def __init__(
        self,
        hparams: Mapping[str, Any] | None = None,
        notes: str | None = None,
        tags: list[str] | None = None,
        *,
        log_dir: str | os.PathLike[str] | None = None,
        **extra: Any,
    ):
        super().__init__()
        given: dict[str, Any] = dict(extra)
        if hparams is not None:
            given["hparams"] = dict(hparams)
        if notes is not None:
            given["notes"] = notes
        if tags is not None:
            given["tags"] = list(tags)
        metadata.encode_snapshot(given)  # fail at construction, not mid-training
        self._given = given
        self._log_dir = os.fspath(log_dir) if log_dir is not None else None
        self._writer: Any = None
        self._state = metadata.new_state()
        self._id = writer.new_writer_id()
        self._step = 0
        self.metadata: dict[str, Any] = {}
        """The run's metadata after the last write (this callback's and all it read)."""

    def on_train_begin(self, logs: Mapping[str, Any] | None = None) -> None:
        if self._log_dir is None:
            self._log_dir = _sibling_tensorboard_log_dir(self)
        collected: dict[str, Any] = dict(self._given)
        collected.update(
            {
                "status": "running",
                "started_at": _now(),
                "model": _model_info(self.model),
                "command": list(sys.argv),
                "host": socket.gethostname(),
                "versions": _versions(),
            }
        )
        user = _user()
        if user:
            collected["user"] = user
        optimizer = _optimizer_config(self.model)
        if optimizer is not None:
            collected["optimizer"] = optimizer
        git = _git_info()
        if git:
            collected["git"] = git
        collected.update(self._given)  # the user's own keys win over collected ones
        read = self._read()
        t = self._stamp(read)
        for key, value in collected.items():
            t += metadata.ORDER_STEP  # each a step later: the run reads back in this order
            if key == "tags":
                t = metadata.add_tags(self._state, value, t)
            elif key == "notes":
                # One entry per callback; a second fit of the same run with the
                # same notes adds none.
                texts = {text for _, text in metadata.join(read, self._state)["notes"].values()}
                if value not in texts:
                    metadata.add_note(self._state, self._id, value, t)
            else:
                metadata.set_key(self._state, key, value, t)
        self._write(read)

    def on_train_end(self, logs: Mapping[str, Any] | None = None) -> None:
        read = self._read()
        now = self._stamp(read)
        metadata.set_key(self._state, "status", "finished", now)
        metadata.set_key(self._state, "ended_at", _now(), now)
        final = _json_metrics(logs)
        if final:
            metadata.set_key(self._state, "metrics", final, now)
        self._write(read)
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    def _stamp(self, read: metadata.State) -> float:
        # Later than anything read: a change here is newer than what it saw.
        latest = metadata.latest_time(metadata.join(read, self._state))
        return max(time.time(), latest + metadata.ORDER_STEP)

    def _directory(self) -> str:
        # Set by on_train_begin (from the argument or the TensorBoard callback).
        if self._log_dir is None:
            raise RuntimeError("RunMetadataCallback: no log directory (training has not begun)")
        return self._log_dir

    def _read(self) -> metadata.State:
        if not _reachable(self._directory()):
            return metadata.new_state()
        return writer.read_run_state(self._directory())[1]

    def _write(self, read: metadata.State) -> None:
        # The callback writes where annotations go (RUN/.rungroups/, a state
        # file no TensorBoard loader lists), never a live file beside the run's
        # own: TensorBoard's Python loader would stop reading any other live
        # file of that directory that sorts before it.
        self._state = metadata.join(read, self._state)
        if _reachable(self._directory()):
            # Folds in what the run holds (under the lock, locally): the newest
            # state file is the run's whole record.
            self._state = writer.write_state(self._directory(), self._state)
        else:
            # A scheme only TensorFlow's gfile reaches (gs:// without fsspec):
            # the earlier releases' event files, which the data provider reads.
            self._write_remote(metadata.encode_state(self._state))
        self.metadata = metadata.view(self._state)

    def _write_remote(self, payload: bytes) -> None:
        import tensorflow as tf

        if self._writer is None:
            directory = self._directory().rstrip("/") + "/" + metadata.ANNOTATIONS_DIR
            self._writer = tf.summary.create_file_writer(directory)
        # Steps must grow across fits (the Rust loader drops the earlier
        # snapshots of a series when a step goes back); remote runs are not
        # read, so the clock gives them.
        self._step = max(self._step + 1, int(time.time() * 1e6))
        with self._writer.as_default():
            tf.summary.write(
                tag=metadata.TAG,
                tensor=tf.constant(payload, dtype=tf.string),
                step=self._step,
                metadata=metadata.create_summary_metadata(2).SerializeToString(),
            )
        self._writer.flush()


def _reachable(log_dir: str) -> bool:
    """Whether TensorBoard's own gfile reaches `log_dir` (local, s3://, fsspec schemes)."""
    try:
        writer.run_path(log_dir)
    except writer.UnsupportedPathError:
        return False
    return True


def _sibling_tensorboard_log_dir(callback: keras.callbacks.Callback) -> str:
    # Keras gives a callback no handle on its siblings; the lists that hold
    # this callback (the user's and the CallbackList's) are found through the
    # garbage collector's referrer graph, once per fit call.
    for referrer in gc.get_referrers(callback):
        if isinstance(referrer, list):
            for other in referrer:
                if isinstance(other, keras.callbacks.TensorBoard):
                    return os.fspath(other.log_dir)
    raise ValueError(
        "RunMetadataCallback found no keras.callbacks.TensorBoard in the same fit() call; "
        "pass one, or give RunMetadataCallback(log_dir=...)"
    )


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).astimezone().isoformat(timespec="seconds")


def _user() -> str | None:
    try:
        return getpass.getuser()
    except Exception:  # no login name in some containers
        return None


def _model_info(model: Any) -> dict[str, Any]:
    info: dict[str, Any] = {"name": str(getattr(model, "name", type(model).__name__))}
    with contextlib.suppress(Exception):  # an unbuilt model has no parameter count yet
        info["params"] = int(model.count_params())
    return info


def _optimizer_config(model: Any) -> dict[str, Any] | None:
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None:
        return None
    try:
        config = optimizer.get_config()
    except Exception:
        return {"name": type(optimizer).__name__}
    return _jsonable(config)


def _jsonable(value: Any) -> Any:
    """Turns numpy scalars and other odd values into plain JSON values."""
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, str | bool | int | float):
        return value
    item = getattr(value, "item", None)
    if callable(item):
        try:
            return _jsonable(item())
        except Exception:
            pass
    return str(value)


def _json_metrics(logs: Mapping[str, Any] | None) -> dict[str, Any]:
    out = {}
    for key, value in (logs or {}).items():
        try:
            out[str(key)] = float(value)
        except (TypeError, ValueError):
            continue
    return out


def _git_info() -> dict[str, Any] | None:
    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(
                ("git", *args), capture_output=True, text=True, timeout=5, check=False
            )
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    if not commit:
        return None
    info: dict[str, Any] = {"commit": commit}
    branch = git("rev-parse", "--abbrev-ref", "HEAD")
    if branch and branch != "HEAD":
        info["branch"] = branch
    status = git("status", "--porcelain", "--untracked-files=no")
    if status is not None:
        info["dirty"] = bool(status)
    return info


def _versions() -> dict[str, str]:
    versions = {"python": platform.python_version(), "keras": keras.__version__}
    for name in ("tensorflow", "tensorboard"):
        module = sys.modules.get(name)
        version = getattr(module, "__version__", None)
        if version:
            versions[name] = str(version)
    try:
        from importlib import metadata as importlib_metadata

        versions["rungroups"] = importlib_metadata.version("tensorboard-plugin-rungroups")
    except Exception:
        pass
    return versions
