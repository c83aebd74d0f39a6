"""Public write API: record per-run metadata for Run Groups.

`run_metadata` is a TensorFlow 2 op, like `tensorboard.plugins.hparams.api.hparams`;
`run_metadata_pb` builds the same summary as a `Summary` proto with no
TensorFlow, for PyTorch / tensorboardX writers and for tests::

    # TensorFlow
    with tf.summary.create_file_writer(run_dir).as_default():
        tb_plugin.summary.run_metadata({"hparams": {"lr": 0.01}, "notes": "baseline"})

    # torch.utils.tensorboard or tensorboardX: one call for both writers
    tb_plugin.summary.add_run_metadata(writer, {"hparams": {"lr": 0.01}})

Each call writes one complete snapshot (see `tb_plugin.metadata`): pass
everything you know about the run each time, because TensorBoard keeps only a
sample of earlier snapshots. TensorFlow is imported only when `run_metadata`
is called.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tensorboard.compat.proto import summary_pb2, tensor_pb2, tensor_shape_pb2, types_pb2

from tb_plugin import metadata


def run_metadata(data: Mapping[str, Any], step: int | None = None) -> Any:
    """Writes a run-metadata snapshot to the default `tf.summary` writer.

    Args:
      data: The run's metadata: a mapping with string keys and
        JSON-serialisable values (see `tb_plugin.metadata` for reserved keys).
      step: Optional step for the summary; defaults to
        `tf.summary.experimental.get_step()`, or 0 when that is unset.

    Returns:
      True on success, False if no default summary writer was available
      (the same contract as `tf.summary.write`).

    Raises:
      TypeError: A key is not a string or a value is not JSON-serialisable.
      ValueError: A reserved key is malformed or the snapshot exceeds 1 MiB.
    """
    payload = metadata.encode_snapshot(data)  # validate before touching TensorFlow
    import tensorflow as tf  # lazy: nothing else in tb_plugin imports TensorFlow

    if step is None:
        step = tf.summary.experimental.get_step()
        if step is None:
            step = 0
    return tf.summary.write(
        tag=metadata.TAG,
        tensor=tf.constant(payload, dtype=tf.string),
        step=step,
        metadata=metadata.create_summary_metadata().SerializeToString(),
    )


def run_metadata_pb(data: Mapping[str, Any]) -> summary_pb2.Summary:
    """Builds a run-metadata snapshot as a `Summary` proto, without TensorFlow.

    Args:
      data: As for `run_metadata`.

    Returns:
      A `tensorboard.compat.proto.summary_pb2.Summary` with one value, ready
      for `SummaryWriter.file_writer.add_summary` or an `Event`'s `summary`.

    Raises:
      TypeError, ValueError: As for `run_metadata`; nothing is built.
    """
    payload = metadata.encode_snapshot(data)
    tensor = tensor_pb2.TensorProto(
        dtype=types_pb2.DT_STRING,
        tensor_shape=tensor_shape_pb2.TensorShapeProto(),
        string_val=[payload],
    )
    summary = summary_pb2.Summary()
    summary.value.add(tag=metadata.TAG, metadata=metadata.create_summary_metadata(), tensor=tensor)
    return summary


def add_run_metadata(writer: Any, data: Mapping[str, Any], step: int | None = None) -> None:
    """Writes a run-metadata snapshot through a PyTorch or tensorboardX `SummaryWriter`.

    `torch.utils.tensorboard` writes TensorBoard's own protos, tensorboardX its own copies
    of them (its `file_writer.add_summary` refuses TensorBoard's `Summary` with a
    `TypeError`); this builds the summary the writer's own classes expect and flushes it.

    Args:
      writer: A `torch.utils.tensorboard.SummaryWriter` or `tensorboardX.SummaryWriter`
        (anything with `file_writer.add_summary(summary, global_step)` or
        `_get_file_writer()`).
      data: As for `run_metadata`.
      step: Optional step of the event (default 0).

    Raises:
      TypeError, ValueError: As for `run_metadata`; nothing is written.
    """
    summary: Any = run_metadata_pb(data)
    get = getattr(writer, "_get_file_writer", None)
    file_writer = get() if callable(get) else writer.file_writer
    if type(writer).__module__.split(".", 1)[0] == "tensorboardX":
        from tensorboardX.proto import summary_pb2 as tbx_summary_pb2  # type: ignore[import-untyped]

        summary = tbx_summary_pb2.Summary.FromString(summary.SerializeToString())
    file_writer.add_summary(summary, step)
    flush = getattr(writer, "flush", None)
    if callable(flush):
        flush()
