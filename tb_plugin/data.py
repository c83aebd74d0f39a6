"""Reads runs and their recorded metadata through a TensorBoard DataProvider.

The plugin's routes and the command line both read through here, so both
loaders (`--load_fast=false|true`) and every storage TensorBoard reads give
the same answer. Nothing here touches the multiplexer (which is `None` under
the Rust data server) or the file system.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import Mapping
from typing import Any

from tensorboard.data import provider
from tensorboard.plugins.hparams import api_pb2 as hparams_api_pb2
from tensorboard.plugins.hparams import metadata as hparams_metadata

from tb_plugin import metadata

logger = logging.getLogger(__name__)

# read_tensors needs a sample count; this exceeds what either loader keeps by
# default (10 / 100), so every retained snapshot comes back.
_MAX_SNAPSHOTS = 10_000

_HPARAMS_STATUS = {
    hparams_api_pb2.STATUS_SUCCESS: "finished",
    hparams_api_pb2.STATUS_FAILURE: "failed",
    hparams_api_pb2.STATUS_RUNNING: "running",
}


@dataclasses.dataclass(frozen=True)
class RunRecord:
    """One TensorBoard run and what it recorded.

    Attributes:
      run: The run name.
      start_time: Wall time of the run's first event, or None.
      metadata: The merged recorded metadata (Run Groups snapshots, with
        TensorBoard HParams session hparams folded into `hparams`).
      error: Why some of the run's metadata could not be read, else None.
      last_metadata_time: Wall time of the newest snapshot read, or None.
    """

    run: str
    start_time: float | None
    metadata: dict[str, Any]
    error: str | None = None
    last_metadata_time: float | None = None


@dataclasses.dataclass(frozen=True)
class Listing:
    """What the cheap listing calls say about an experiment.

    Attributes:
      runs: The runs, as `list_runs` gives them.
      snapshots: Run to our metadata series (`TensorTimeSeries`).
      hparams: Run to its HParams session series (tag to `TensorTimeSeries`).
    """

    runs: list[provider.Run]
    snapshots: dict[str, Any]
    hparams: dict[str, dict[str, Any]]

    def fingerprint(self) -> tuple[Any, ...]:
        """A value that changes whenever the runs or their metadata may have changed.

        New runs, new snapshots (a series' `max_step` or `max_wall_time` moves)
        and new HParams sessions all change it; new scalars alone do not.
        """
        return (
            tuple((r.run_name, r.start_time) for r in self.runs),
            tuple(
                (run, s.max_step, s.max_wall_time, s.plugin_content)
                for run, s in sorted(self.snapshots.items())
            ),
            tuple(
                (run, tag, s.max_wall_time, s.plugin_content)
                for run, tags in sorted(self.hparams.items())
                for tag, s in sorted(tags.items())
            ),
        )


def list_experiment(data_provider: provider.DataProvider, ctx: Any, experiment_id: str) -> Listing:
    """Lists runs, our snapshot series and HParams sessions: three provider calls."""
    runs = data_provider.list_runs(ctx, experiment_id=experiment_id)
    listed = data_provider.list_tensors(
        ctx,
        experiment_id=experiment_id,
        plugin_name=metadata.PLUGIN_NAME,
        run_tag_filter=provider.RunTagFilter(tags=[metadata.TAG]),
    )
    snapshots = {run: tags[metadata.TAG] for run, tags in listed.items() if metadata.TAG in tags}
    hparams = data_provider.list_tensors(
        ctx,
        experiment_id=experiment_id,
        plugin_name=hparams_metadata.PLUGIN_NAME,
        run_tag_filter=provider.RunTagFilter(
            tags=[hparams_metadata.SESSION_START_INFO_TAG, hparams_metadata.SESSION_END_INFO_TAG]
        ),
    )
    return Listing(runs=list(runs), snapshots=snapshots, hparams=dict(hparams))


def read_runs(
    data_provider: provider.DataProvider,
    ctx: Any,
    experiment_id: str,
    listing: Listing | None = None,
    annotations: Mapping[str, Any] | None = None,
) -> list[RunRecord]:
    """Lists every run of an experiment with its merged metadata.

    Makes at most four provider calls, however many runs there are: list the
    runs, list and read our snapshot series, and list HParams session infos.

    Args:
      data_provider: The `DataProvider` from the plugin's `TBContext`.
      ctx: The request's `RequestContext`.
      experiment_id: The experiment id (empty for a plain `--logdir`).
      listing: The experiment's `list_experiment` result, if already made
        (then only `read_tensors` is called).
      annotations: Run to its state files' `tb_plugin.annotation_files.RunAnnotations`
        (read from the log directory by `tb_plugin.annotation_files.Scanner`), joined
        into the run's metadata; a run that holds no event files of its own but
        an ancestor of listed runs gets a record of its own.

    Returns:
      Run records sorted by run name. A run whose metadata cannot be read has
      `error` set and keeps whatever could be read; it never fails the rest.
      A run's annotations directory (`RUN/.rungroups`, as earlier releases
      wrote it, see `tb_plugin.metadata`) gets no record: its snapshots join
      `RUN`'s, and `RUN` gets a record even when it has no event files of its
      own. A snapshot over `metadata.MAX_SNAPSHOT_BYTES`, or a version-1 one
      stamped outside `metadata.MIN_TIME`..`MAX_TIME`, is skipped with the
      run's `error` set.
    """
    if listing is None:
        listing = list_experiment(data_provider, ctx, experiment_id)
    errors: dict[str, str] = {}
    series_version: dict[str, int] = {}
    for run, series in listing.snapshots.items():
        try:
            # A newer version here is only the series' first snapshot's: every
            # snapshot is read, and each says its own version.
            series_version[run] = metadata.parse_plugin_content(
                series.plugin_content, allow_newer=True
            )
        except ValueError as e:
            errors[owner_run(run)] = str(e)

    entries: dict[str, list[tuple[float, int, Any]]] = {}
    newest: dict[str, float] = {}
    if series_version:
        read = data_provider.read_tensors(
            ctx,
            experiment_id=experiment_id,
            plugin_name=metadata.PLUGIN_NAME,
            downsample=_MAX_SNAPSHOTS,
            run_tag_filter=provider.RunTagFilter(runs=list(series_version), tags=[metadata.TAG]),
        )
        for run, tags in read.items():
            owner = owner_run(run)
            found = entries.setdefault(owner, [])
            bad = 0
            for datum in tags.get(metadata.TAG, ()):
                try:
                    raw = _bytes(datum)
                    if len(raw) > metadata.MAX_SNAPSHOT_BYTES:
                        raise ValueError(
                            f"a snapshot of {len(raw)} bytes, over the limit of "
                            f"{metadata.MAX_SNAPSHOT_BYTES}"
                        )
                    version, payload = metadata.decode_value(raw, series_version.get(run, 1))
                    if version == 1 and not metadata.is_sane_time(datum.wall_time):
                        raise ValueError("a snapshot stamped at an impossible time")
                except ValueError as e:  # UnsupportedVersionError too: skipped
                    bad += 1
                    last_error = str(e)
                    continue
                found.append((datum.wall_time, version, payload))
                newest[owner] = max(newest.get(owner, datum.wall_time), datum.wall_time)
            if bad:
                newer = "newer Run Groups" in last_error
                errors[owner] = (
                    last_error if newer else f"{bad} unreadable metadata snapshot(s): {last_error}"
                )
    for run, annotated in (annotations or {}).items():
        entries.setdefault(run, []).extend((0.0, 2, state) for state in annotated.states)
        if annotated.newest is not None:
            newest[run] = max(newest.get(run, annotated.newest), annotated.newest)
        if annotated.error and run not in errors:
            errors[run] = annotated.error
    merged = {run: metadata.merge(found) for run, found in entries.items()}

    for run, recorded in _read_hparams(listing.hparams).items():
        target = merged.setdefault(run, {})
        hparams = target.get("hparams")
        # Our own snapshot is the more specific record: its keys win.
        target["hparams"] = {
            **recorded.get("hparams", {}),
            **(hparams if isinstance(hparams, dict) else {}),
        }
        if "status" in recorded and "status" not in target:
            target["status"] = recorded["status"]

    records = [
        RunRecord(
            run=r.run_name,
            start_time=_finite_or_none(r.start_time),
            metadata=merged.get(r.run_name, {}),
            error=errors.get(r.run_name),
            last_metadata_time=newest.get(r.run_name),
        )
        for r in listing.runs
        if not is_annotations_run(r.run_name)
    ]
    # A run annotated post hoc may hold no event files of its own: its
    # annotations directory stands for it.
    listed = {r.run_name for r in listing.runs}
    for r in listing.runs:
        owner = owner_run(r.run_name)
        if owner != r.run_name and owner not in listed:
            listed.add(owner)
            records.append(
                RunRecord(
                    run=owner,
                    start_time=_finite_or_none(r.start_time),
                    metadata=merged.get(owner, {}),
                    error=errors.get(owner),
                    last_metadata_time=newest.get(owner),
                )
            )
    # Ancestors annotated in state files (the demo's `lr=…/run_…`, whose
    # `train/` and `validation/` hold the events) stand as runs too.
    starts: dict[str, float | None] = {}
    for r in listing.runs:
        for ancestor in _ancestors(r.run_name):
            if ancestor in (annotations or {}) and ancestor not in listed:
                start = _finite_or_none(r.start_time)
                old = starts.get(ancestor)
                starts[ancestor] = start if old is None else min(old, start or old)
    for owner, start in starts.items():
        listed.add(owner)
        records.append(
            RunRecord(
                run=owner,
                start_time=start,
                metadata=merged.get(owner, {}),
                error=errors.get(owner),
                last_metadata_time=newest.get(owner),
            )
        )
    records.sort(key=lambda r: r.run)
    return records


def _ancestors(run: str) -> list[str]:
    if run == "." or is_annotations_run(run):
        return []
    parts = run.split("/")
    return ["/".join(parts[:i]) for i in range(len(parts) - 1, 0, -1)] + ["."]


def is_annotations_run(run: str) -> bool:
    """Whether `run` is a run's annotations directory (`RUN/.rungroups`), no run of its own."""
    return run == metadata.ANNOTATIONS_DIR or run.endswith("/" + metadata.ANNOTATIONS_DIR)


def owner_run(run: str) -> str:
    """The run whose metadata `run` holds: itself, or the run of an annotations directory."""
    if not is_annotations_run(run):
        return run
    return run[: -len(metadata.ANNOTATIONS_DIR) - 1] or "."


def _bytes(datum: provider.TensorDatum) -> bytes:
    value = datum.numpy
    try:
        value = value.item()
    except (AttributeError, ValueError) as e:
        raise ValueError(f"run metadata is not a scalar string tensor: {e}") from None
    if isinstance(value, str):
        return value.encode("utf-8")
    if not isinstance(value, bytes):
        raise ValueError(f"run metadata is a {type(value).__name__} tensor, not a string")
    return value


def _read_hparams(listed: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Reads TensorBoard HParams sessions (`hp.hparams`, `hp.KerasCallback`) from a listing."""
    out: dict[str, dict[str, Any]] = {}
    # One string object per distinct HParams name and string value: a grid's runs share them.
    shared: dict[str, str] = {}
    for run, tags in listed.items():
        record: dict[str, Any] = {}
        start = tags.get(hparams_metadata.SESSION_START_INFO_TAG)
        if start is not None:
            try:
                info = hparams_metadata.parse_session_start_info_plugin_data(start.plugin_content)
            except Exception as e:  # HParamsError or a protobuf DecodeError
                logger.warning("Unreadable HParams session in run %r: %s", run, e)
            else:
                record["hparams"] = {
                    shared.setdefault(k, k): _hparam_value(v, shared)
                    for k, v in info.hparams.items()
                }
        end = tags.get(hparams_metadata.SESSION_END_INFO_TAG)
        if end is not None:
            try:
                info = hparams_metadata.parse_session_end_info_plugin_data(end.plugin_content)
            except Exception:
                pass
            else:
                status = _HPARAMS_STATUS.get(info.status)
                if status:
                    record["status"] = status
        if record:
            out[run] = record
    return out


def _hparam_value(value: Any, shared: dict[str, str]) -> Any:
    kind = value.WhichOneof("kind")
    if kind == "number_value":
        number = value.number_value
        # HParams stores every number as a double; 32 was almost surely an int.
        if math.isfinite(number) and number.is_integer() and abs(number) < 2**53:
            return int(number)
        return number
    if kind == "string_value":
        text = value.string_value
        return shared.setdefault(text, text)
    if kind == "bool_value":
        return value.bool_value
    return None


def _finite_or_none(value: float | None) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return float(value)
