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
  ``{"version": 1}``;
* ``SummaryMetadata.data_class`` = ``DATA_CLASS_TENSOR`` (without it the
  Rust data server drops the series and the Python loader hides it);
* the value is a rank-0 ``DT_STRING`` tensor holding one UTF-8 JSON object,
  the *snapshot*. Non-finite floats use the tokens ``NaN``, ``Infinity`` and
  ``-Infinity`` exactly as Python's :mod:`json` writes and reads them, so every
  float (including ``-0.0``), every int (of any size), every string and every
  nesting of lists and objects round-trips exactly. Tuples are stored as lists.

A version-1 snapshot is complete from its writer: everything that writer knows
about the run, not a delta. Version-1 snapshots are merged in wall-time order,
later top-level keys winning (:func:`merge_snapshots`). `tb_plugin.summary`
still writes this form: it is the right one for a single writer.

Format, version 2: states that merge
------------------------------------
The merge rule, in short: each write records only what its writer *set*
(keys, with the time it set them), *added* (tags, note entries) or *removed*
(tags and notes it read); a run's metadata is the join of all its writes: per
key the latest set wins, a tag is present when its latest addition is later
than any removal, notes are all entries in time order. No writer can undo a
change it never saw, and every write also carries what it read.

Version 1 lets a writer undo a change it never saw (a trainer's final
snapshot restating its own tags over an annotation made meanwhile), and
TensorBoard's Rust loader drops earlier snapshots of a series whenever a
snapshot's step is not above theirs. Version 2 fixes both; a version-1 run
reads exactly as before.

* The value is the JSON array ``[2, state]``: from version 2 on every value
  carries its own version (loaders keep only the *first* `SummaryMetadata`
  of a series, so the plugin content alone cannot say what a later
  snapshot is). A plain JSON object is always version 1. A value ``[n, ...]``
  with ``n`` above :data:`PAYLOAD_VERSION` is skipped with one warning and
  gives the run an ``error``; the run's other snapshots still count.
  The plugin content says ``{"version": 2}`` (so version-1 readers report
  such a run as newer, and a version-2 value after a version-1 first
  snapshot is, to them, an unreadable snapshot: an error, never a silent
  wrong merge).
* ``state = {"set": {key: [t, value]}, "tags": {tag: [t_add, t_removed]},
  "notes": {id: [t, text]}}``, ``t`` being wall times (seconds):
  - every key but ``tags`` and ``notes`` is a last-writer-wins register:
    the value set at the latest ``t`` wins (ties: the larger JSON text);
    a writer stamps a key only when it *sets* it, never when it merely
    carries what it read, so restating an old value undoes nothing;
  - ``tags`` is a set: a tag is present when its latest addition is later
    than its latest removal; a removal is stamped with the addition time the
    remover *saw*, so it can only undo additions it read;
  - ``notes`` are entries that append: the run's notes are the entries'
    texts in time order, joined by newlines; an entry removed by a writer
    that read it is ``[t, null]``; the run's ``notes`` key is that text.
* The merge (:func:`join`) of two states is per key, tag and note the later
  of the two: commutative, associative and idempotent, so a run's metadata
  is the join of *all* its snapshots in any order, snapshots may repeat
  one another, and a writer that folds in what it read loses nothing of it.
  Version-1 snapshots of a run are first merged by the version-1 rule, and
  that result counts as a state stamped with each key's wall time.
* Every writer folds the state it read into each state it writes (under a
  file lock: `tb_plugin.writer`, ``tb-rungroups annotate`` and the Keras
  callback all write through it), so the newest state of the series is the
  whole record and TensorBoard's sampling of a series (10 kept on the Python
  loader, 100 on the Rust one, the latest always among them) loses nothing.
  Only two writers that neither saw the other (no locks: see below) need
  both of their latest states; ``--samples_per_plugin=rungroups=0`` keeps
  every snapshot if many such writers share a run.

Where annotations live (a forever format)
----------------------------------------
Our writers (`tb_plugin.writer`, ``tb-rungroups annotate``, ``POST /annotate``,
the Keras callback) never add a file to the run directory itself. They write
into the run's child directory :data:`ANNOTATIONS_DIR` (``RUN/.rungroups/``),
and every file they write there is a *state file*:

* name ``state.<seconds>.<token>.json`` (:func:`tb_plugin.annotation_files.state_file_name`):
  ``<seconds>`` the writer's clock, 10 digits; ``<token>`` 12 random hex
  digits. No ``tfevents`` in it, so neither TensorBoard loader lists
  ``RUN/.rungroups`` as a run (both read only files whose names hold
  ``tfevents``), and no dashboard but Run Groups sees annotations;
* content: exactly one version-2 value, the UTF-8 JSON ``[2, state]`` that
  :func:`encode_state` makes (no event-file framing), at most
  :data:`MAX_SNAPSHOT_BYTES`;
* each file is the join of everything its writer read (the run's own event
  files' snapshots, every state file and every earlier-format file of
  ``RUN/.rungroups/``) with its change: the newest file alone is the whole
  record unless two writers ran without a lock;
* after writing its file, a writer removes the files it read in full
  (*folding*): a run holds one state file, or one per writer that ran at the
  same time without a lock, never a pile. A file that could not be read is
  left where it is (and keeps the run's ``error``). A reader that finds a
  listed file gone lists again: a file is only removed after a file folding
  it in exists;
* locally, the file is written under a hidden temporary name and renamed
  into place, under an ``fcntl`` lock on ``RUN/.rungroups/.lock``; on object
  storage (``s3://``) it is one object written whole, and its token keeps
  concurrent writers apart (no lock, no rename);
* no writer follows a symbolic link out of the run: ``RUN/.rungroups``, its
  lock and its files are opened relative to the directory and without
  following links; a link there is refused with one line (nothing written).

Readers (the plugin, ``tb-rungroups``) read the state files of every run
TensorBoard lists and of each of its ancestors up to the log directory
(a run annotated post hoc may hold no event files of its own: the demo's
``lr=…/run_…`` holds ``train/`` and ``validation/``), at most
:data:`tb_plugin.annotation_files.MAX_STATE_FILES` of one run, the newest by name.
A file over :data:`MAX_SNAPSHOT_BYTES`, or holding a time outside
:data:`MIN_TIME`..:data:`MAX_TIME` (``Infinity``, ``1e300``, negative), is
skipped and sets the run's ``error``; such a time never stamps or names a
later write.

Releases before state files (up to the issue "no annotation is ever lost") wrote each annotation
as an event file ``RUN/.rungroups/events.out.tfevents.<seconds>.<sequence>.<host>.<pid>.rungroups``
holding the same version-2 value as a summary (tag :data:`TAG`, step growing
with every write), and earlier ones version-1 snapshots in
``RUN/*.rungroups`` event files. Both are still read, forever (through the
data provider: loaders list such a directory as a run ``RUN/.rungroups``,
which Run Groups never shows and joins into ``RUN``). The first write of a
run by a state-file writer folds them into its state file and removes them, so
the extra run leaves TensorBoard's lists (after TensorBoard restarts: its
loaders keep the runs they have seen). `tb_plugin.summary` and the Keras
callback's writes into the run's own event files are unchanged: version-1
snapshots (summary op) wherever the user's writer points.

Without locks (object storage, file systems where ``fcntl`` locks do not
hold) concurrent writers of one run still never overwrite each other: each
writes its own file under its own token, and the join keeps both; each
removes only the files it read, which the file it wrote folds in.

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
PAYLOAD_VERSION = 2
"""The newest payload version this package reads and writes."""
ANNOTATIONS_DIR = ".rungroups"
"""The child directory of a run that holds its post-hoc annotations."""
MAX_SNAPSHOT_BYTES = 1 << 20  # 1 MiB
MIN_TIME = 0.0
"""The earliest time (s since the epoch) a state may hold; earlier is refused when read."""
MAX_TIME = 4102444800.0  # 2100-01-01T00:00:00Z
"""The latest time a state may hold: later (``Infinity``, ``1e300``) is refused when read."""

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


def create_summary_metadata(version: int = 1) -> summary_pb2.SummaryMetadata:
    """Returns the `SummaryMetadata` a Run Groups snapshot carries.

    Args:
      version: 1 for a complete snapshot (a JSON object, `tb_plugin.summary`),
        2 for a state (`encode_state`).
    """
    content = json.dumps({"version": version}, separators=(",", ":"))
    return summary_pb2.SummaryMetadata(
        plugin_data=summary_pb2.SummaryMetadata.PluginData(
            plugin_name=PLUGIN_NAME, content=content.encode("utf-8")
        ),
        data_class=summary_pb2.DATA_CLASS_TENSOR,
    )


def parse_plugin_content(content: bytes, *, allow_newer: bool = False) -> int:
    """Reads the payload version from `plugin_data.content`.

    Args:
      content: The raw `plugin_data.content` bytes of a summary.
      allow_newer: Return a newer version instead of raising (a series'
        content is only its first snapshot's: `decode_value` checks each).

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
    if version > PAYLOAD_VERSION and not allow_newer:
        _newer(version)
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
        largest = max(sizes, key=lambda k: sizes[k])
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


# --- version 2: states ----------------------------------------------------------------

State = dict[str, dict[str, list[Any]]]
"""A version-2 state: ``{"set": {...}, "tags": {...}, "notes": {...}}`` (see above)."""

_MERGED_KEYS = ("tags", "notes")
# The entries of one write (keys, tags, notes) keep their order through time
# stamps this far apart (a double's spacing near 2e9 s is 2.4e-7 s).
ORDER_STEP = 1e-5


def new_state() -> State:
    """Returns the empty state."""
    return {"set": {}, "tags": {}, "notes": {}}


def set_key(state: State, key: str, value: Any, t: float) -> None:
    """Records that `key` was set to `value` at wall time `t` (not for tags or notes)."""
    if key in _MERGED_KEYS:
        raise ValueError(f"run metadata {key!r} is not set as a key; add or remove entries")
    _join_register(state["set"], key, [float(t), value])


def add_tag(state: State, tag: str, t: float) -> None:
    """Records that `tag` was added at wall time `t`."""
    old = state["tags"].get(tag, [None, None])
    state["tags"][tag] = [_later(old[0], float(t)), old[1]]


def add_tags(state: State, tags: Iterable[str], t: float) -> float:
    """Adds tags in their given order, each `ORDER_STEP` later than the one before.

    Returns:
      The time after the last one.
    """
    for tag in tags:
        add_tag(state, tag, t)
        t += ORDER_STEP
    return t


def latest_time(state: State) -> float:
    """The latest time stamped anywhere in `state` (0.0 for the empty state).

    A writer stamps its changes after this, whatever its clock says, so a
    change is always later than every change its writer read.
    """
    times = [entry[0] for part in ("set", "notes") for entry in state[part].values()]
    times += [t for pair in state["tags"].values() for t in pair if t is not None]
    return max(times, default=0.0)


def remove_tag(state: State, tag: str) -> None:
    """Removes `tag` as far as `state` knows it: additions it never saw survive."""
    old = state["tags"].get(tag)
    if old is not None and old[0] is not None:
        state["tags"][tag] = [old[0], _later(old[1], old[0])]


def add_note(state: State, note_id: str, text: str, t: float) -> None:
    """Appends a note entry (ids are unique per entry; reusing one replaces it)."""
    _join_note(state["notes"], note_id, [float(t), text])


def remove_note(state: State, note_id: str) -> None:
    """Removes a note entry that `state` holds."""
    old = state["notes"].get(note_id)
    if old is not None:
        state["notes"][note_id] = [old[0], None]


def join(*states: State) -> State:
    """The merge of states: per key, tag and note entry, the later one.

    Commutative, associative and idempotent; the inputs are not modified.
    """
    out = new_state()
    for state in states:
        for key, entry in state["set"].items():
            _join_register(out["set"], key, entry)
        for tag, (added, removed) in state["tags"].items():
            old = out["tags"].get(tag, [None, None])
            out["tags"][tag] = [_later(old[0], added), _later(old[1], removed)]
        for note_id, entry in state["notes"].items():
            _join_note(out["notes"], note_id, entry)
    return out


def state_from_snapshots(snapshots: Iterable[tuple[float, Mapping[str, Any]]]) -> State:
    """Version-1 snapshots as one state: merged by their rule, each key stamped
    with the wall time of the snapshot that set it last."""
    state = new_state()
    merged: dict[str, tuple[float, Any]] = {}
    for wall_time, snapshot in sorted(snapshots, key=lambda pair: pair[0]):
        for key, value in snapshot.items():
            merged[key] = (wall_time, value)
    for key, (t, value) in merged.items():
        if key == "tags" and isinstance(value, list):
            add_tags(state, [tag for tag in value if isinstance(tag, str)], t)
        elif key == "notes" and isinstance(value, str):
            add_note(state, "v1", value, t)
        elif key not in _MERGED_KEYS:
            state["set"][key] = [float(t), value]
    return state


def view(state: State) -> dict[str, Any]:
    """The run's metadata as users see it: plain keys, a `tags` list, a `notes` text."""
    # Keys come in the order they were first set (tags and notes where their
    # first present entry is), so a write reads back in its own key order.
    order: list[tuple[float, str, Any]] = [(t, k, v) for k, (t, v) in state["set"].items()]
    if state["tags"]:
        present = sorted(
            (added, tag)
            for tag, (added, removed) in state["tags"].items()
            if added is not None and (removed is None or added > removed)
        )
        first = present[0][0] if present else max(a or 0.0 for a, _ in state["tags"].values())
        order.append((first, "tags", [tag for _, tag in present]))
    notes = sorted(
        (t, text, note_id) for note_id, (t, text) in state["notes"].items() if text is not None
    )
    if notes:
        order.append((notes[0][0], "notes", "\n".join(text for _, text, _ in notes)))
    return {key: value for _, key, value in sorted(order, key=lambda entry: entry[:2])}


def merge(entries: Iterable[tuple[float, int, Any]]) -> dict[str, Any]:
    """A run's metadata from its decoded snapshots, of any versions.

    Args:
      entries: `(wall_time, version, payload)` as `decode_value` gives them.

    Returns:
      For a run of version-1 snapshots only, exactly `merge_snapshots` of
      them; otherwise the `view` of the join of all of them.
    """
    return view_and_state(entries)[0]


def view_and_state(entries: Iterable[tuple[float, int, Any]]) -> tuple[dict[str, Any], State]:
    """As `merge`, also returning the joined state."""
    v1: list[tuple[float, Mapping[str, Any]]] = []
    v2: list[State] = []
    for wall_time, version, payload in entries:
        if version == 1:
            v1.append((wall_time, payload))
        else:
            v2.append(payload)
    state = join(state_from_snapshots(v1), *v2)
    if not v2:
        return merge_snapshots(v1), state
    return view(state), state


def encode_state(state: State) -> bytes:
    """Validates a state and encodes it as a version-2 value, ``[2, state]``.

    Raises:
      TypeError, ValueError: As `encode_snapshot`, naming the offending key.
    """
    _check_state(state)
    for key, (_, value) in state["set"].items():
        if not isinstance(key, str):
            raise TypeError(f"run metadata key {key!r} is not a string")
        _check_value(value, key)
        _check_reserved(key, value)
    encoded = dumps([2, state]).encode("utf-8")
    if len(encoded) > MAX_SNAPSHOT_BYTES:
        raise ValueError(
            f"run metadata state is {len(encoded)} bytes, over the limit of {MAX_SNAPSHOT_BYTES}"
        )
    return encoded


def decode_value(value: bytes | str, series_version: int = 1) -> tuple[int, Any]:
    """Decodes one stored snapshot value of any version.

    Args:
      value: The snapshot tensor's bytes (or an already-decoded str).
      series_version: The version in the series' plugin content (loaders keep
        only the first snapshot's); it decides nothing for version-2 values.

    Returns:
      `(1, snapshot dict)` or `(2, state)`.

    Raises:
      UnsupportedVersionError: The value is newer than this reader (one
        warning per version and process).
      ValueError: The value is malformed.
    """
    try:
        text = value.decode("utf-8") if isinstance(value, bytes | bytearray) else value
        parsed = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as e:
        raise ValueError(f"run metadata is not valid JSON: {e}") from None
    if isinstance(parsed, dict):
        if series_version > PAYLOAD_VERSION:
            _newer(series_version)
        return 1, parsed
    if (
        isinstance(parsed, list)
        and parsed
        and isinstance(parsed[0], int)
        and not isinstance(parsed[0], bool)
    ):
        version = parsed[0]
        if version > PAYLOAD_VERSION:
            _newer(version)
        if version == 2 and len(parsed) == 2:
            _check_state(parsed[1])
            return 2, parsed[1]
    raise ValueError(f"run metadata is not a snapshot of a known form: {text[:100]!r}")


def _newer(version: int) -> None:
    _warn_newer_version_once(version)
    raise UnsupportedVersionError(
        f"written by a newer Run Groups (payload version {version}, this reader "
        f"understands up to {PAYLOAD_VERSION}); upgrade tensorboard-plugin-rungroups"
    )


def _check_state(state: Any) -> None:
    if not isinstance(state, dict) or set(state) != {"set", "tags", "notes"}:
        raise ValueError("run metadata state must hold exactly 'set', 'tags' and 'notes'")
    for part, arity in (("set", 2), ("tags", 2), ("notes", 2)):
        entries = state[part]
        if not isinstance(entries, dict):
            raise ValueError(f"run metadata state {part!r} is not an object")
        for key, entry in entries.items():
            if not isinstance(entry, list) or len(entry) != arity:
                raise ValueError(f"run metadata state {part}.{key} is not a pair")
            times = entry if part == "tags" else entry[:1]
            if part != "tags" and not isinstance(entry[0], int | float):
                raise ValueError(f"run metadata state {part}.{key} has no time")
            if not all(t is None or _is_time(t) for t in times):
                raise ValueError(
                    f"run metadata state {part}.{key} has a time outside "
                    f"{MIN_TIME:.0f}..{MAX_TIME:.0f} s"
                )
            if part == "notes" and not (entry[1] is None or isinstance(entry[1], str)):
                raise ValueError(f"run metadata state notes.{key} is not a text")


def _is_time(t: Any) -> bool:
    return isinstance(t, int | float) and not isinstance(t, bool) and MIN_TIME <= t <= MAX_TIME


def is_sane_time(t: Any) -> bool:
    """Whether `t` is a wall time a state may hold (`MIN_TIME`..`MAX_TIME`, finite)."""
    return _is_time(t)


def _later(a: float | None, b: float | None) -> float | None:
    if a is None:
        return b
    if b is None:
        return a
    return max(a, b)


def _join_register(registers: dict[str, list[Any]], key: str, entry: list[Any]) -> None:
    old = registers.get(key)
    if old is None or (entry[0], dumps(entry[1])) > (old[0], dumps(old[1])):
        registers[key] = [entry[0], entry[1]]


def _join_note(notes: dict[str, list[Any]], note_id: str, entry: list[Any]) -> None:
    # A later write of an entry wins; at the same time a removal (None) wins,
    # then the larger text, so the join never depends on the order of its inputs.
    old = notes.get(note_id)
    if old is None or _note_rank(entry) > _note_rank(old):
        notes[note_id] = [entry[0], entry[1]]


def _note_rank(entry: list[Any]) -> tuple[float, bool, str]:
    return (entry[0], entry[1] is None, entry[1] or "")


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


def check_tag(tag: Any) -> None:
    """Checks a tag a writer adds: a string with a visible character.

    Raises:
      ValueError: An empty or blank tag (or not a string), naming it.
    """
    if not isinstance(tag, str) or not tag.strip():
        raise ValueError(f"a tag must be a non-empty string; got {tag!r}")


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
    if key == "tags":
        for tag in value:
            check_tag(tag)
    if key == "hparams" and not isinstance(value, Mapping):
        raise ValueError(f"run metadata 'hparams' must be a mapping, not {type(value).__name__}")
    if key in ("started_at", "ended_at") and not isinstance(value, str):
        raise ValueError(f"run metadata {key!r} must be an ISO 8601 string")
