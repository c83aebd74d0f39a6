"""The Run Groups storage format: names, versions, encoding and merging.

This module never imports TensorFlow. It is the single definition of what
Run Groups writes into event files, and it is a *forever* format: readers
must keep understanding every version ever written.

Format, version 1
-----------------
Each write is one summary value in an ordinary TensorBoard event file:

* tag: ``_rungroups_/run_metadata`` (:data:`TAG`);
* ``SummaryMetadata.plugin_data.plugin_name`` = ``"rungroups"``
  (:data:`PLUGIN_NAME`);
* ``SummaryMetadata.plugin_data.content`` = the UTF-8 JSON object
  ``{"version": 1}`` (:data:`PAYLOAD_VERSION`);
* ``SummaryMetadata.data_class`` = ``DATA_CLASS_TENSOR`` (without it the
  Rust data server drops the series and the Python loader hides it);
* the value is a rank-0 ``DT_STRING`` tensor holding one UTF-8 JSON object,
  the *snapshot*. Non-finite floats use the tokens ``NaN``, ``Infinity`` and
  ``-Infinity`` exactly as Python's :mod:`json` writes and reads them, so every
  float (including ``-0.0``), every int (of any size), every string and every
  nesting of lists and objects round-trips exactly. Tuples are stored as lists.

A snapshot is complete from its writer: it carries everything that writer
knows about the run, not a delta. A run's metadata is the merge of the
snapshots TensorBoard kept for it, in wall-time order, later top-level keys
winning. TensorBoard keeps only a sample of a tensor series (10 on the Python
loader, 100 on the Rust data server, always including the latest), so the
latest snapshot alone must be enough; :mod:`tb_plugin.writer` therefore folds
what a run already holds into every post-hoc snapshot.

Reserved top-level keys (checked on write): ``hparams`` (object), ``notes``
(string), ``tags`` (list of strings), ``status`` (one of :data:`STATUSES`),
``started_at`` / ``ended_at`` (ISO 8601 strings), ``git``, ``host``, ``user``,
``command``, ``versions``, ``metrics``. Any other JSON-serialisable key is
allowed. A snapshot is limited to :data:`MAX_SNAPSHOT_BYTES` encoded bytes.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterable, Mapping
from typing import Any

from tensorboard.compat.proto import summary_pb2

logger = logging.getLogger(__name__)

PLUGIN_NAME = "rungroups"
TAG = "_rungroups_/run_metadata"
PAYLOAD_VERSION = 1
MAX_SNAPSHOT_BYTES = 1 << 20  # 1 MiB

STATUSES = ("running", "finished", "failed", "interrupted")
RESERVED_KEYS = (
    "hparams",
    "notes",
    "tags",
    "status",
    "started_at",
    "ended_at",
    "git",
    "host",
    "user",
    "command",
    "versions",
    "metrics",
)


class UnsupportedVersionError(ValueError):
    """The data was written by a newer Run Groups than this one."""


def create_summary_metadata() -> summary_pb2.SummaryMetadata:
    """Returns the `SummaryMetadata` every Run Groups snapshot carries."""
    content = json.dumps({"version": PAYLOAD_VERSION}, separators=(",", ":"))
    return summary_pb2.SummaryMetadata(
        plugin_data=summary_pb2.SummaryMetadata.PluginData(
            plugin_name=PLUGIN_NAME, content=content.encode("utf-8")
        ),
        data_class=summary_pb2.DATA_CLASS_TENSOR,
    )


def parse_plugin_content(content: bytes) -> int:
    """Reads the payload version from `plugin_data.content`.

    Args:
      content: The raw `plugin_data.content` bytes of a summary.

    Returns:
      The payload version, an int no greater than `PAYLOAD_VERSION`.

    Raises:
      UnsupportedVersionError: The version is newer than this reader.
      ValueError: The content is not a Run Groups plugin content.
    """
    try:
        parsed = json.loads(bytes(content).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError(f"plugin content is not JSON: {e}") from None
    version = parsed.get("version") if isinstance(parsed, dict) else None
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ValueError(f"plugin content has no valid version: {parsed!r:.100}")
    if version > PAYLOAD_VERSION:
        _warn_newer_version_once(version)
        raise UnsupportedVersionError(
            f"written by a newer Run Groups (payload version {version}, this reader "
            f"understands up to {PAYLOAD_VERSION}); upgrade tensorboard-plugin-rungroups"
        )
    return version


_warned_versions: set[int] = set()
_warned_lock = threading.Lock()


def _warn_newer_version_once(version: int) -> None:
    with _warned_lock:
        if version in _warned_versions:
            return
        _warned_versions.add(version)
    logger.warning(
        "Run Groups data with payload version %d is newer than this plugin "
        "understands (%d); those runs are skipped. Upgrade "
        "tensorboard-plugin-rungroups.",
        version,
        PAYLOAD_VERSION,
    )


def encode_snapshot(data: Mapping[str, Any]) -> bytes:
    """Validates a metadata snapshot and encodes it for storage.

    Args:
      data: A mapping from string keys to JSON-serialisable values (dicts
        with string keys, lists, tuples, str, int, float including NaN and
        infinities, bool, None).

    Returns:
      The UTF-8 JSON bytes to store as the snapshot tensor.

    Raises:
      TypeError: `data` is not a mapping, a key is not a string, or a value
        is not JSON-serialisable; the message names the offending key.
      ValueError: A reserved key holds a value of the wrong shape, a string
        cannot be encoded as UTF-8, or the snapshot exceeds 1 MiB; the
        message names the offending key.
    """
    if not isinstance(data, Mapping):
        raise TypeError(f"run metadata must be a mapping, not {type(data).__name__}")
    for key, value in data.items():
        if not isinstance(key, str):
            raise TypeError(f"run metadata key {key!r} is not a string")
        _check_value(value, key)
        _check_reserved(key, value)
    encoded = dumps(data).encode("utf-8")
    if len(encoded) > MAX_SNAPSHOT_BYTES:
        sizes = {k: len(dumps(v).encode("utf-8")) for k, v in data.items()}
        largest = max(sizes, key=sizes.get)
        raise ValueError(
            f"run metadata snapshot is {len(encoded)} bytes, over the limit of "
            f"{MAX_SNAPSHOT_BYTES}; its largest key is {largest!r} ({sizes[largest]} bytes)"
        )
    return encoded


def decode_snapshot(value: bytes | str) -> dict[str, Any]:
    """Decodes one stored snapshot.

    Args:
      value: The snapshot tensor's bytes (or an already-decoded str).

    Returns:
      The snapshot as a dict.

    Raises:
      ValueError: The value is not UTF-8 JSON holding an object.
    """
    try:
        text = value.decode("utf-8") if isinstance(value, bytes | bytearray) else value
        parsed = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as e:
        raise ValueError(f"run metadata is not valid JSON: {e}") from None
    if not isinstance(parsed, dict):
        raise ValueError(f"run metadata is a JSON {type(parsed).__name__}, not an object")
    return parsed


def merge_snapshots(snapshots: Iterable[tuple[float, Mapping[str, Any]]]) -> dict[str, Any]:
    """Merges snapshots in wall-time order, later top-level keys winning.

    Args:
      snapshots: `(wall_time, snapshot)` pairs, in any order. Pairs with equal
        wall times keep their given order.

    Returns:
      The merged metadata.
    """
    merged: dict[str, Any] = {}
    for _, snapshot in sorted(snapshots, key=lambda pair: pair[0]):
        merged.update(snapshot)
    return merged


def dumps(data: Any) -> str:
    """Serialises metadata exactly as it is stored (NaN and infinities as tokens)."""
    return json.dumps(data, allow_nan=True, ensure_ascii=False, separators=(",", ":"))


_SCALARS = (str, int, float, bool, type(None))


def _check_value(value: Any, path: str, depth: int = 0) -> None:
    # Iterative enough for real metadata; the depth cap keeps a
    # self-referencing structure from becoming a RecursionError.
    if depth > 100:
        raise ValueError(f"run metadata value at {path!r} is nested more than 100 levels deep")
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError(
                f"run metadata value at {path!r} is a string that is not valid Unicode "
                "(it holds a lone surrogate)"
            ) from None
    elif isinstance(value, _SCALARS):
        pass
    elif isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"run metadata key {key!r} at {path!r} is not a string")
            _check_value(item, f"{path}.{key}", depth + 1)
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _check_value(item, f"{path}[{index}]", depth + 1)
    else:
        hint = "; convert numpy values with .item()" if hasattr(value, "item") else ""
        raise TypeError(
            f"run metadata value at {path!r} has type {type(value).__name__}, "
            f"which is not JSON-serialisable{hint}"
        )


def _check_reserved(key: str, value: Any) -> None:
    if key == "status" and value not in STATUSES:
        raise ValueError(
            f"run metadata 'status' must be one of {', '.join(STATUSES)}; got {value!r}"
        )
    if key == "notes" and not isinstance(value, str):
        raise ValueError(f"run metadata 'notes' must be a string, not {type(value).__name__}")
    if key == "tags" and not (
        isinstance(value, list | tuple) and all(isinstance(t, str) for t in value)
    ):
        raise ValueError("run metadata 'tags' must be a list of strings")
    if key == "hparams" and not isinstance(value, Mapping):
        raise ValueError(f"run metadata 'hparams' must be a mapping, not {type(value).__name__}")
    if key in ("started_at", "ended_at") and not isinstance(value, str):
        raise ValueError(f"run metadata {key!r} must be an ISO 8601 string")
