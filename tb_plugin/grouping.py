"""Pure grouping for Run Groups: units, fields, groups.

This module is the one core that the HTTP backend, the ``tb-rungroups`` CLI and (mirrored)
the JavaScript tab share. It is pure and I/O-free: plain values in, plain values out. It never
imports TensorFlow or TensorBoard. The numbers (reductions, statistics) are in
`tb_plugin.aggregate`, curves in `tb_plugin.curves`.

Units
    The grouping unit is the *trial*: one training job. Keras writes ``<trial>/train`` and
    ``<trial>/validation`` as two TensorBoard runs; both belong to one `Unit`, whose ``runs``
    maps each split (``None`` for a run without a split) to its run name. `build_units` makes
    the units from parsed run names (`tb_plugin.naming.RunName`) and each run's recorded
    metadata.

Metadata merge
    Metadata recorded at the trial directory itself (the run whose name equals the trial,
    split ``None``) applies to the whole trial. Each split run's own metadata is merged over
    it, in the split order ``train``, ``validation``, ``eval``, ``test``, then other splits
    alphabetically. Later values win; top-level values that are dicts on both sides
    (``hparams``, ``git``, ``versions``, ``metrics``, ...) are merged one level deep instead of
    replaced, so a split that records one extra hparam does not hide the others.

Field ids
    Every unit has a flat dict of fields, ``field id -> value`` with values of type ``int``,
    ``float``, ``bool`` or ``str``. A field a unit does not have is absent from its dict.

    ==================  ======================================================================
    ``param.<key>``     The effective parameter: the recorded hparam ``<key>`` when there is
                        one, else the parameter parsed from the run name.
    ``name.<key>``      The parameter parsed from the run name (``RunName.params``).
    ``hparams.<key>``   The recorded hparam (metadata ``hparams``). Values that are not
                        scalars (lists, dicts) are JSON-encoded to a string; ``null`` values
                        are absent.
    ``time.day``        ``YYYY-MM-DD`` of the time parsed from the name, falling back to the
                        metadata ``started_at`` (an ISO 8601 string) when the name has none.
    ``time.week``       ISO week ``YYYY-Www`` of the same time.
    ``time.month``      ``YYYY-MM`` of the same time.
    ``label.<i>``       The i-th free-text label of the name (0-based).
    ``path.<depth>``    The trial's path segment at that depth (0-based); the root trial
                        ``.`` has ``path.0 == "."``.
    ``tags``            The recorded tags, de-duplicated, sorted and joined with ``", "``.
    ``status``          The recorded status (``running``, ``finished``, ...).
    ``host``            The recorded host.
    ``meta.<key>``      Any other top-level metadata value that is a ``str``, ``int``,
                        ``float`` or ``bool`` (for example ``meta.user``, ``meta.notes``).
    ==================  ======================================================================

    The split is not a field: a unit spans its splits, and the split is chosen per metric
    (`Unit.run_for`). Repeat keys (`naming.REPEAT_KEYS`: ``seed``, ``rep``, ``repeat``,
    ``trial``, ``version``, ``fold``, ``run``) under ``param.``, ``name.`` and ``hparams.``
    are *repeat fields* (`is_repeat_field`): the default grouping leaves them out so that
    repeats land in one group.

Groups and the "(none)" bucket
    `group_units` returns the leaf groups of a nested grouping, one per distinct combination of
    values, sorted field by field in ``by`` order (so groups of the outer field stay
    together). A missing field is the key value ``None`` (``null`` in JSON), displayed as
    `NONE_LABEL` ``"(none)"`` and sorted last. Values sort numbers first (numerically, ``NaN``
    after the other numbers), then ``false``/``true``, then strings (case-insensitive natural
    order, so ``run_2`` < ``run_10``), then ``None``. ``1`` and ``1.0`` are one group (they are
    equal numbers); ``True`` and ``1`` are not; all ``NaN`` values are one group.

Every value type has a ``to_json()`` returning plain dicts and lists; floats may be ``NaN`` or
infinite (the HTTP layer cleanses them).
"""

from __future__ import annotations

import base64
import collections
import dataclasses
import datetime
import difflib
import functools
import hashlib
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypeAlias, TypeGuard

from tb_plugin import caches, naming

Value: TypeAlias = int | float | bool | str
"""A field value."""

NONE_LABEL = "(none)"
"""How a missing field value (key value ``None``) is displayed."""

FIELD_FAMILIES = (
    "param",
    "name",
    "hparams",
    "time",
    "label",
    "path",
    "tags",
    "status",
    "host",
    "meta",
)
"""Field id families, in the order `list_fields` lists them."""

# Ids that are valid grouping fields even when no unit has them, so that the default grouping
# and a saved deep link never fail on an empty or unnamed log directory.
_ALWAYS_KNOWN = frozenset(
    {"time.day", "time.week", "time.month", "path.0", "tags", "status", "host"}
)

# Metadata keys with a field of their own; everything else scalar becomes ``meta.<key>``.
_OWN_FIELD_KEYS = frozenset({"hparams", "tags", "status", "host"})

# Repeat fields: the families whose keys are parameters.
_PARAM_FAMILIES = ("param.", "name.", "hparams.")

CANONICAL_SPLITS = ("train", "validation", "eval", "test")
"""The canonical split names (`naming.SPLITS` maps every split word to one), in split order."""


# ---------------------------------------------------------------------------------------------
# Units


@dataclasses.dataclass(frozen=True)
class Unit:
    """One trial: the runs one training job wrote, its fields and merged metadata.

    Attributes:
        trial: The trial name (`naming.RunName.trial`), ``"."`` for the log directory root.
        runs: Split (``None`` for a run without a split) to TensorBoard run name, in split
            order (``None``, ``train``, ``validation``, ``eval``, ``test``, others).
        fields: Field id to value; see the module docstring for the ids.
        metadata: The trial's merged recorded metadata (empty when nothing was recorded).
    """

    trial: str
    runs: dict[str | None, str]
    fields: dict[str, Value]
    metadata: dict[str, Any]

    def run_for(self, split: str | None) -> str | None:
        """Returns the run name of ``split`` in this trial, or ``None`` if it has none."""
        return self.runs.get(split)

    def to_json(self) -> dict[str, Any]:
        """Returns a JSON-ready dict; ``runs`` is a list because a split may be ``null``."""
        return {
            "trial": self.trial,
            "runs": [{"split": s, "run": r} for s, r in self.runs.items()],
            "fields": dict(self.fields),
            "metadata": self.metadata,
        }


def split_rank(split: str | None) -> tuple[int, str]:
    """Sort key of the split order: no split, `CANONICAL_SPLITS` in order, others by name."""
    if split is None:
        return (0, "")
    try:
        return (1 + CANONICAL_SPLITS.index(split), "")
    except ValueError:
        return (1 + len(CANONICAL_SPLITS), split)


def build_units(
    runs: Iterable[tuple[naming.RunName, Mapping[str, Any] | None]],
) -> list[Unit]:
    """Groups runs into trial units and computes their fields.

    Args:
        runs: ``(parsed run name, recorded metadata or None)`` per TensorBoard run. The
            metadata is the run's merged metadata dict (SPEC §3); anything that is not a
            mapping counts as none.

    Returns:
        One `Unit` per trial, sorted by trial name in natural order (``seed_2`` before
        ``seed_10``), so the output does not depend on the input order.

    Two runs of one trial with the same split (only possible when their last segments differ
    in case, e.g. ``a/Train`` and ``a/train``) cannot share a unit; the second one (by run name)
    becomes a unit of its own whose trial is its run name, so no run is ever dropped.
    """
    trials: dict[str, dict[str | None, tuple[naming.RunName, Mapping[str, Any] | None]]] = {}
    evicted = []
    for rn, meta in runs:
        slots = trials.setdefault(rn.trial, {})
        taken = slots.get(rn.split)
        if taken is None:
            slots[rn.split] = (rn, meta)
        elif rn.run < taken[0].run:  # the smaller run name keeps the slot: order-independent
            slots[rn.split] = (rn, meta)
            evicted.append(taken)
        else:
            evicted.append((rn, meta))
    for rn, meta in evicted:
        trials.setdefault(rn.run, {})[rn.split] = (rn, meta)

    units = []
    for trial in sorted(trials, key=_natural_key):
        slots = trials[trial]
        order = sorted(slots, key=split_rank) if len(slots) > 1 else list(slots)
        metadata: dict[str, Any] = {}
        if len(order) == 1:
            rn, meta = slots[order[0]]
            _merge_metadata(metadata, meta)
            params = rn.params
            time = rn.time
        else:
            params = {}
            time = None
            for split in order:
                rn, meta = slots[split]
                _merge_metadata(metadata, meta)
                for key, value in rn.params.items():
                    params.setdefault(key, value)
                if time is None:
                    time = rn.time
        labels = slots[order[0]][0].labels
        units.append(
            Unit(
                trial=trial,
                runs={split: slots[split][0].run for split in order},
                fields=_unit_fields(trial, params, time, labels, metadata),
                metadata=metadata,
            )
        )
    return units


def _is_mapping(value: Any) -> TypeGuard[Mapping[str, Any]]:
    # Exact-type checks first: isinstance against an ABC is slow at 10,000 units.
    kind = type(value)
    if kind is dict:
        return True
    if kind in _SCALAR_TYPES or kind is list or value is None:
        return False
    return isinstance(value, Mapping)


def _merge_metadata(dst: dict[str, Any], src: Any) -> None:
    if not _is_mapping(src):
        return
    for key, value in src.items():
        if _is_mapping(value):
            old = dst.get(key)
            # Copy, so that later merges never write into the caller's dicts.
            dst[key] = {**old, **value} if _is_mapping(old) else dict(value)
        else:
            dst[key] = value


_SCALAR_TYPES = frozenset({bool, int, float, str})
_PLAIN_KEY_TYPES = frozenset({int, str, type(None)})


def _scalar(value: Any) -> Value | None:
    """Returns ``value`` as a plain field value, or ``None`` if it is not a scalar."""
    if type(value) in _SCALAR_TYPES:
        return value
    # Subclasses (numpy scalars, str enums) become the plain type, so JSON and sorting agree.
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str(value)
    return None


def _scalar_or_json(value: Any) -> Value | None:
    if value is None:
        return None
    scalar = _scalar(value)
    if scalar is not None:
        return scalar
    try:
        return _JSON_ENCODER.encode(value)
    except (TypeError, ValueError):
        return str(value)


# Built once: json.dumps with options builds a new encoder per call, which shows at 10,000.
_JSON_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), default=str)


def _parse_started_at(value: Any) -> datetime.datetime | None:
    """Parses metadata ``started_at``: an ISO 8601 string, or POSIX seconds (taken as UTC).

    An offset-aware time keeps its own wall clock (the offset is dropped, not converted): run
    names carry the writer's local time too, so both fall on the same day as the writer saw it.
    """
    if isinstance(value, str):
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"  # Python 3.10's fromisoformat does not take "Z".
        try:
            parsed = datetime.datetime.fromisoformat(text)
        except ValueError:
            return None
        return parsed.replace(tzinfo=None)
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        try:
            return datetime.datetime.fromtimestamp(value, datetime.timezone.utc).replace(
                tzinfo=None
            )
        except (OverflowError, OSError, ValueError):
            return None
    return None


@functools.lru_cache(maxsize=4096)
def _time_fields(day: datetime.date) -> tuple[str, str, str]:
    year, week, _ = day.isocalendar()
    return (
        f"{day.year:04d}-{day.month:02d}-{day.day:02d}",
        f"{year:04d}-W{week:02d}",
        f"{day.year:04d}-{day.month:02d}",
    )


_PRECOMPUTED = 16
_LABEL_IDS = tuple(f"label.{i}" for i in range(_PRECOMPUTED))
_PATH_IDS = tuple(f"path.{i}" for i in range(_PRECOMPUTED))


def _unit_fields(
    trial: str,
    params: Mapping[str, Any],
    time: datetime.datetime | None,
    labels: Sequence[str],
    metadata: Mapping[str, Any],
) -> dict[str, Value]:
    fields: dict[str, Value] = {}
    hparams_raw = metadata.get("hparams")
    hparams: dict[str, Value] = {}
    if _is_mapping(hparams_raw):
        for key, value in hparams_raw.items():
            encoded = value if type(value) in _SCALAR_TYPES else _scalar_or_json(value)
            if encoded is not None:
                hparams[str(key)] = encoded

    named = {key: v for key, value in params.items() if (v := _scalar(value)) is not None}
    # Recorded hparams may come from a protobuf map (TensorBoard HParams sessions), whose
    # order changes between processes: sorted, so fields list the same everywhere.
    keys = sorted(hparams) if len(hparams) > 1 else hparams
    # param.* first, parsed keys before hparams-only keys: "first appearance" order then
    # follows the run names, which is the order people wrote their grid in.
    # One string per field id (`_field_id`): every trial of a grid has the same ones.
    for key, value in named.items():
        fields[_field_id("param.", key)] = hparams.get(key, value)
    for key in keys:
        if key not in named:
            fields[_field_id("param.", key)] = hparams[key]
    for key, value in named.items():
        fields[_field_id("name.", key)] = value
    for key in keys:
        fields[_field_id("hparams.", key)] = hparams[key]

    if time is None:
        time = _parse_started_at(metadata.get("started_at"))
    if time is not None:
        day, week, month = _time_fields(time.date())
        fields["time.day"] = day
        fields["time.week"] = week
        fields["time.month"] = month

    for i, label in enumerate(labels):
        fields[_LABEL_IDS[i] if i < _PRECOMPUTED else f"label.{i}"] = label
    for i, segment in enumerate(trial.split("/")):
        fields[_PATH_IDS[i] if i < _PRECOMPUTED else f"path.{i}"] = segment

    tags = metadata.get("tags")
    if isinstance(tags, str):
        tags = [tags]
    if isinstance(tags, (list, tuple)):
        names = sorted({str(tag) for tag in tags if tag is not None and tag != ""})
        if names:
            fields["tags"] = ", ".join(names)
    for key in ("status", "host"):
        value = _scalar(metadata.get(key))
        if value is not None:
            fields[key] = value
    for key, value in metadata.items():
        if key not in _OWN_FIELD_KEYS and value is not None:
            scalar = _scalar(value)
            if scalar is not None:
                fields["meta." + str(key)] = scalar
    return fields


# ---------------------------------------------------------------------------------------------
# Value identity, order and display


class _Marker:
    """A unique hashable stand-in for values that must not compare equal to numbers."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


_NAN = _Marker("NaN")
_TRUE = _Marker("True")
_FALSE = _Marker("False")


def _canon(value: Value | None) -> Any:
    """Returns the hashable group identity of a value.

    ``True == 1`` and ``nan != nan`` in Python, so plain values would merge booleans with
    numbers and split every NaN into its own group.
    """
    if value is True:
        return _TRUE
    if value is False:
        return _FALSE
    if isinstance(value, float) and value != value:
        return _NAN
    return value


_DIGITS = re.compile(r"(\d+)")


@caches.short_keys()
@functools.lru_cache(maxsize=4096)
def _field_id(prefix: str, key: str) -> str:
    """``prefix + key``, one string object for all trials (≈4 MB less at 10,000 runs)."""
    return prefix + key


# Enough for the field values sorted again and again; not for every trial name (a key is
# ≈0.6 KB: 65,536 of them were 40 MB at 50,000 runs, for 0.1 s saved per rebuild).
@caches.short_keys()
@functools.lru_cache(maxsize=2048)
def _natural_key(text: str) -> tuple[tuple[Any, ...], str]:
    # re.split with a capturing group alternates text, digits, text, ...: positions keep one
    # kind, so the parts never compare a str with a tuple. A digit run compares as (length
    # without leading zeros, digits), which orders numbers without int(): int() refuses
    # more than 4,300 digits, and run names are untrusted.
    parts: list[Any] = _DIGITS.split(text.casefold())
    for i in range(1, len(parts), 2):
        digits = parts[i].lstrip("0")
        parts[i] = (len(digits), digits)
    return (tuple(parts), text)


def value_sort_key(value: Value | None) -> tuple[Any, ...]:
    """Returns a sort key that orders any mix of field values without raising.

    Numbers come first in numeric order (``NaN`` after every other number), then ``False``,
    ``True``, then strings in case-insensitive natural order, then ``None`` (missing).
    """
    if value is None:
        return (4,)
    if isinstance(value, bool):
        return (2, int(value))
    if isinstance(value, (int, float)):
        if value != value:
            return (1,)
        return (0, value)
    return (3, _natural_key(str(value)))


def format_value(value: Value | None) -> str:
    """Formats a field value for display: ``None`` is `NONE_LABEL`, booleans lower case."""
    if value is None:
        return NONE_LABEL
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def is_repeat_field(field_id: str) -> bool:
    """Tells whether a field id is a repeat key (``param.seed``, ``name.fold``, ...)."""
    for prefix in _PARAM_FAMILIES:
        if field_id.startswith(prefix):
            return field_id[len(prefix) :] in naming.REPEAT_KEYS
    return False


def _family(field_id: str) -> str:
    return field_id.split(".", 1)[0]


def _field_order(field_id: str, first_seen: int) -> tuple[int, int, int]:
    family = _family(field_id)
    rank = FIELD_FAMILIES.index(family) if family in FIELD_FAMILIES else len(FIELD_FAMILIES)
    if family in ("label", "path"):
        suffix = field_id[len(family) + 1 :]
        if suffix.isdigit():
            return (rank, int(suffix), 0)
    if family == "time":
        order = ("time.day", "time.week", "time.month")
        if field_id in order:
            return (rank, order.index(field_id), 0)
    return (rank, 0, first_seen)


# ---------------------------------------------------------------------------------------------
# Fields


@dataclasses.dataclass(frozen=True)
class FieldInfo:
    """What one field looks like across units, for the toolbar.

    Attributes:
        id: The field id.
        values: ``(value, number of units)`` pairs in value order (`value_sort_key`); missing
            units are not here but in ``missing``. Possibly cut to ``max_values`` entries.
        missing: The number of units without this field (its ``(none)`` bucket).
        distinct: The number of distinct values, before any cut (``(none)`` not included).
        repeat: Whether it is a repeat field (`is_repeat_field`).
    """

    id: str
    values: tuple[tuple[Value, int], ...]
    missing: int
    distinct: int
    repeat: bool

    @property
    def varies(self) -> bool:
        """Whether grouping by this field gives more than one group."""
        return self.distinct + (1 if self.missing else 0) > 1

    def to_json(self) -> dict[str, Any]:
        """Returns a JSON-ready dict."""
        return {
            "id": self.id,
            "values": [{"value": v, "count": n} for v, n in self.values],
            "missing": self.missing,
            "distinct": self.distinct,
            "repeat": self.repeat,
            "varies": self.varies,
        }


def _columns(units: Sequence[Unit], prefix: str = "") -> dict[str, list[Value]]:
    """Collects each field's values over the units, fields in order of first appearance."""
    columns: dict[str, list[Value]] = {}
    for unit in units:
        for field_id, value in unit.fields.items():
            column = columns.get(field_id)
            if column is None:
                if prefix and not field_id.startswith(prefix):
                    continue
                column = columns[field_id] = []
            column.append(value)
    return columns


def _count(values: list[Value]) -> collections.Counter:
    """Counts values by group identity (`_canon`); keys are canonical, first value kept."""
    types = set(map(type, values))
    if types <= _PLAIN_KEY_TYPES or types == {bool}:
        return collections.Counter(values)  # no booleans mixed with numbers, no NaN: C speed
    return collections.Counter(map(_canon, values))


def _uncanon(canon: Any) -> Value:
    if canon is _TRUE:
        return True
    if canon is _FALSE:
        return False
    if canon is _NAN:
        return math.nan
    return canon


def _varies(counts: collections.Counter, present: int, total: int) -> bool:
    return len(counts) + (1 if present < total else 0) > 1


def list_fields(units: Sequence[Unit], *, max_values: int | None = None) -> list[FieldInfo]:
    """Lists every field id present in ``units`` with its distinct values and counts.

    Args:
        units: The units, as from `build_units`.
        max_values: If given, keep at most this many values per field (the first ones in value
            order); ``distinct`` still tells the full number. Useful for fields such as
            ``meta.started_at`` where every unit differs.

    Returns:
        `FieldInfo` per field, ordered by family (`FIELD_FAMILIES`), then label/path depth or
        day/week/month, then first appearance.
    """
    if max_values is not None and max_values < 0:
        raise ValueError(f"max_values must be >= 0, got {max_values!r}")
    columns = _columns(units)
    first_seen = {field_id: i for i, field_id in enumerate(columns)}
    ids = sorted(columns, key=lambda field_id: _field_order(field_id, first_seen[field_id]))
    out = []
    for field_id in ids:
        column = columns[field_id]
        counts = _count(column)
        pairs = sorted(
            ((_uncanon(canon), n) for canon, n in counts.items()),
            key=lambda pair: value_sort_key(pair[0]),
        )
        if max_values is not None:
            pairs = pairs[:max_values]
        out.append(
            FieldInfo(
                id=field_id,
                values=tuple(pairs),
                missing=len(units) - len(column),
                distinct=len(counts),
                repeat=is_repeat_field(field_id),
            )
        )
    return out


def default_group_by(units: Sequence[Unit], *, order: Sequence[str] = ()) -> list[str]:
    """Returns the default grouping (SPEC §5): every varying setting except repeat keys.

    A field varies when units differ in it, a missing value counting as a value of its own
    (``opt=adam`` next to runs without ``opt`` is two groups).

    1. Every varying ``param.*`` field except repeat keys (`is_repeat_field`) and per-run
       identifiers (`is_identifier`: a value that differs for every trial and reads as a
       path, a run name, a timestamp or an id). Order: ``order`` (the HParams experiment
       config's) first, then the order the keys appear in run names, then sorted — never
       a dict's or protobuf map's order, so every process and both loaders agree.
    2. Else the varying path segments whose values repeat across trials (a config
       directory above timestamped repeats, OpenMMLab's ``work_dirs/<config>/<time>/``),
       outermost first; else such labels.
    3. Else, when a repeat key varies, one group of all (the trials are repeats of one
       setting: a repeat key never enters the default grouping, also when it is the only
       field that varies, nor does a path segment or label that only spells it, such as
       ``seed_1`` or a seed folder's ``0``).
    4. Else each trial is its own group: the shallowest ``path.<i>`` that tells all trials
       apart (else every varying path segment). A date is never a default: two runs on
       the same day are not repeats.

    Args:
        units: The units, as from `build_units`.
        order: Parameter names in the order to prefer (HParams experiment config).
    """
    total = len(units)
    columns = _columns(units, "param.")
    varying = [
        field_id
        for field_id, column in columns.items()
        if not is_repeat_field(field_id)
        and _varies(counts := _count(column), len(column), total)
        and not is_identifier(field_id, column, len(counts), units)
    ]
    if varying:
        return _stable_order(varying, units, order)
    if total < 2:
        return ["path.0"]
    segments = _columns(units, "path.")
    repeating = _repeating(segments, total, units)
    if repeating:
        return repeating
    labels = _repeating(_columns(units, "label."), total, units)
    if labels:
        return labels
    if any(
        is_repeat_field(field_id) and _varies(_count(column), len(column), total)
        for field_id, column in columns.items()
    ):
        return []
    ordered = sorted(segments, key=lambda f: int(f[5:]) if f[5:].isdigit() else 1 << 30)
    for field_id in ordered:
        column = segments[field_id]
        if len(column) == total and len(_count(column)) == total:
            return [field_id]
    spread = [f for f in ordered if _varies(_count(segments[f]), len(segments[f]), total)]
    return spread or ["path.0"]


def _repeating(columns: dict[str, list[Value]], total: int, units: Sequence[Unit]) -> list[str]:
    """Fields that vary and whose values repeat across trials (outermost first)."""
    out = []
    for field_id, column in columns.items():
        counts = _count(column)
        if not _varies(counts, len(column), total):
            continue
        if len(counts) + (1 if len(column) < total else 0) >= total:
            continue  # every trial differs: no repeats to put together
        if is_identifier(field_id, column, len(counts), units):
            continue
        if all(type(v) is str and naming.parse_run_name(v).time is not None for v in counts):
            continue  # timestamps: a date is never a default grouping
        if _spells_repeat(field_id, units):
            continue  # seed_1, a seed folder's 0: a repeat key in other words
        out.append(field_id)
    return sorted(out, key=lambda f: _field_order(f, 0))


def _spells_repeat(field_id: str, units: Sequence[Unit]) -> bool:
    """Whether every value of a path or label field is its unit's repeat key in other
    words: the text of one of its repeat fields' values, or a name that reads as repeat
    keys only (``seed_1``, ``run-2``)."""
    for unit in units:
        value = unit.fields.get(field_id)
        if value is None:
            continue
        text = str(value)
        spelled = {
            str(unit.fields[f])
            for key in naming.REPEAT_KEYS
            if (f := _field_id("param.", key)) in unit.fields
        }
        if text in spelled:
            continue
        params = naming.parse_run_name(text).params
        if params and all(key in naming.REPEAT_KEYS for key in params):
            continue
        return False
    return True


def _stable_order(fields: list[str], units: Sequence[Unit], order: Sequence[str]) -> list[str]:
    preferred = {key: i for i, key in enumerate(order)}
    # The order keys appear in run names: the first unit that names a key decides its place
    # (its fields keep the name's order); usually the first unit names them all.
    in_names: dict[str, int] = {}
    remaining = [f for f in fields if f[len("param.") :] not in preferred]
    for unit in units:
        if not remaining:
            break
        present = [f for f in remaining if "name." + f[len("param.") :] in unit.fields]
        if present:
            position = {field_id: i for i, field_id in enumerate(unit.fields)}
            present.sort(key=lambda f: position["name." + f[len("param.") :]])
            for field_id in present:
                in_names[field_id] = len(in_names)
            remaining = [f for f in remaining if f not in in_names]

    def rank(field_id: str) -> tuple[int, int, str]:
        key = field_id[len("param.") :]
        if key in preferred:
            return (0, preferred[key], "")
        if field_id in in_names:
            return (1, in_names[field_id], "")
        return (2, 0, key)

    return sorted(fields, key=rank)


# Keys that name a place, a moment or an identity rather than a setting.
_ID_KEY_RE = re.compile(
    r"(?:^|[._])(?:\w*dir|\w*path|\w*file|\w*uuid|\w*hash|\w*_id|id|\w*time|timestamp"
    r"|\w*date|\w*_at|host|hostname)$",
    re.IGNORECASE,
)
_HEXISH_RE = re.compile(
    r"[0-9a-f_-]*[0-9][0-9a-f_-]*[a-f][0-9a-f_-]*|[0-9a-f_-]*[a-f][0-9a-f_-]*[0-9][0-9a-f_-]*"
)


def is_identifier(
    field_id: str, column: Sequence[Value], distinct: int, units: Sequence[Unit]
) -> bool:
    """Whether a field identifies one run rather than a setting (never a default grouping).

    It must differ for every trial that has it (two or more), and read as an identity: a
    key that names a directory, path, file, id, hash, time or date; or text values that
    are paths, timestamps, ids (eight or more hex digits), or name their own trial (a
    segment of its path, or text holding the trial or its last segment).
    """
    if len(column) < 2 or distinct < len(column):
        return False
    key = field_id.split(".", 1)[1] if "." in field_id else field_id
    if _ID_KEY_RE.search(key):
        return True
    texts = [v for v in column if type(v) is str]
    if len(texts) != len(column):
        return False
    if all("/" in v or "\\" in v for v in texts):
        return True
    if all(len(v) >= 8 and _HEXISH_RE.fullmatch(v.lower()) for v in texts):
        return True
    if all(naming.parse_run_name(v).time is not None for v in texts):
        return True
    return all(
        _names_its_trial(value, unit.trial)
        for unit in units
        if (value := unit.fields.get(field_id)) is not None
    )


def _names_its_trial(value: Value, trial: str) -> bool:
    """A text that is a segment of its trial's path, or holds the trial or its last segment."""
    if type(value) is not str:
        return False
    segments = trial.split("/")
    return value in segments or trial in value or (len(segments[-1]) >= 4 and segments[-1] in value)


def _known_fields(units: Sequence[Unit]) -> set[str]:
    known = set(_ALWAYS_KNOWN)
    for unit in units:
        known.update(unit.fields)
    return known


def _unknown_field_error(field_id: str, known: Iterable[str]) -> ValueError:
    close = difflib.get_close_matches(str(field_id), sorted(known), n=3)
    hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    return ValueError(f"unknown field {field_id!r}{hint}")


def resolve_fields(names: Iterable[str], units: Sequence[Unit]) -> list[str]:
    """Resolves user-typed field names (CLI ``--by lr,bs``) to field ids.

    A name that is a known field id is kept; otherwise ``param.<name>`` is tried.

    Raises:
        ValueError: naming the first name that resolves to no field.
    """
    known = _known_fields(units)
    out = []
    for name in names:
        name = name.strip()
        if name in known:
            out.append(name)
        elif "param." + name in known:
            out.append("param." + name)
        else:
            raise _unknown_field_error(name, known)
    return out


# ---------------------------------------------------------------------------------------------
# Groups


@dataclasses.dataclass(frozen=True)
class Group:
    """A leaf group of a (nested) grouping.

    Attributes:
        by: The grouping field ids, outermost first.
        values: The group's value of each field in ``by``; ``None`` is the ``(none)`` bucket.
        units: The units in the group, in `build_units` order.
    """

    by: tuple[str, ...]
    values: tuple[Value | None, ...]
    units: tuple[Unit, ...]

    @property
    def trials(self) -> tuple[str, ...]:
        """The trial names of the group's units."""
        return tuple(unit.trial for unit in self.units)

    @property
    def key(self) -> str:
        """The group's opaque, stable key (`group_key` of its fields and values)."""
        return group_key(self.by, self.values)

    @property
    def label(self) -> str:
        """A display label such as ``param.lr=0.01, param.bs=32`` (``"all"`` for no fields)."""
        if not self.by:
            return "all"
        return ", ".join(
            f"{f}={format_value(v)}" for f, v in zip(self.by, self.values, strict=True)
        )

    def to_json(self) -> dict[str, Any]:
        """Returns a JSON-ready dict (the trials, not the full units)."""
        return {
            "by": list(self.by),
            "values": list(self.values),
            "key": self.key,
            "label": self.label,
            "size": len(self.units),
            "trials": list(self.trials),
        }


GROUP_KEY_LENGTH = 16
"""Characters of a `group_key` (URL-safe base64 of 96 bits)."""


def _key_token(value: Value | None) -> str:
    # Equal numbers are one group (`_canon`), so they must give one token: 1, 1.0 and
    # True differ, -0.0 is 0, and NaN and the infinities have names of their own.
    if value is None:
        return "z"
    if isinstance(value, bool):
        return "b:true" if value else "b:false"
    if isinstance(value, int):
        return f"n:{value}"
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer():
            return f"n:{int(value)}"
        return f"n:{value!r}"
    return f"s:{value}"


def group_key(by: Sequence[str], values: Sequence[Value | None]) -> str:
    """Returns the opaque key that names a group of a grouping in URLs and requests.

    The key depends only on the field ids and the group's canonical values, so it is the
    same in every process and under both loaders, and NaN and infinite values have keys
    like any other (their JSON text would not compare equal to the float).

    Args:
        by: The grouping's field ids, outermost first.
        values: The group's value of each field (``None`` for the ``(none)`` bucket).

    Returns:
        `GROUP_KEY_LENGTH` characters of ``[A-Za-z0-9_-]``.
    """
    text = json.dumps([list(by), [_key_token(v) for v in values]], ensure_ascii=False)
    digest = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=12).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii")


def group_units(
    units: Sequence[Unit], by: Sequence[str], *, known: Iterable[str] | None = None
) -> list[Group]:
    """Groups units by one or more fields (nested: outer field first).

    Args:
        units: The units, as from `build_units`.
        by: Field ids. An empty list gives one group of every unit (none if there are no
            units).
        known: The field ids to accept, when ``units`` is a filtered subset and a field of
            the whole experiment should give a ``(none)`` group rather than an error (pass
            the ids of `list_fields` over all units). Defaults to the fields of ``units``.

    Returns:
        The leaf groups, sorted by their values field by field (`value_sort_key`), so that the
        groups of one outer value are adjacent. Each group's units keep their input order.

    Raises:
        ValueError: naming a field id that is not known: no unit has it (or it is not in
            ``known``), and it is not always valid (``time.*``, ``path.0``, ``tags``,
            ``status``, ``host``).
        TypeError: if ``by`` is a string rather than a sequence of strings.
    """
    if isinstance(by, str):
        raise TypeError("by must be a sequence of field ids, not a string")
    by = tuple(by)
    units = list(units)
    if known is not None:
        valid = _ALWAYS_KNOWN.union(known)
        for field_id in by:
            if field_id not in valid:
                raise _unknown_field_error(field_id, valid)
    else:
        for field_id in by:
            # Usually the first unit has the field: far cheaper than collecting every id.
            if field_id not in _ALWAYS_KNOWN and not any(field_id in u.fields for u in units):
                raise _unknown_field_error(field_id, _known_fields(units))

    # Column by column, so the per-unit work is list comprehensions and one dict lookup.
    value_columns = []
    key_columns = []
    for field_id in by:
        column = [unit.fields.get(field_id) for unit in units]
        types = set(map(type, column))
        # Only booleans next to numbers (True == 1) and NaN (nan != nan) need canonical keys.
        plain = types <= _PLAIN_KEY_TYPES or types <= {bool, type(None)}
        value_columns.append(column)
        key_columns.append(column if plain else list(map(_canon, column)))
    keys = list(zip(*key_columns, strict=True)) if by else [()] * len(units)
    values = list(zip(*value_columns, strict=True)) if by else keys

    members: dict[tuple[Any, ...], list[Unit]] = {}
    firsts: dict[tuple[Any, ...], tuple[Value | None, ...]] = {}
    for i, key in enumerate(keys):
        bucket = members.get(key)
        if bucket is None:
            members[key] = [units[i]]
            firsts[key] = values[i]
        else:
            bucket.append(units[i])

    keys = sorted(members, key=lambda k: tuple(value_sort_key(v) for v in firsts[k]))
    return [Group(by=by, values=firsts[k], units=tuple(members[k])) for k in keys]
