"""User configuration: run-name patterns from flags and `LOGDIR/rungroups.json`.

`rungroups.json` in the root of the log directory::

    {"patterns": ["exp-(?P<experiment>[a-z]+)-(?P<seed>\\\\d+)"],
     "reference_scores": {"CartPole-v1": [22.0, 500.0]}}

Patterns from `--rungroups_pattern` come first, then the file's.
"""

from __future__ import annotations

import json
import math
import os
import re
from typing import Any

from tb_plugin import naming, writer

CONFIG_FILENAME = "rungroups.json"


def patterns_from_flags(flags: Any) -> tuple[re.Pattern[str], ...]:
    """Compiles the user's run-name patterns from TensorBoard's flags.

    Args:
      flags: TensorBoard's parsed flags (`--rungroups_pattern` and `--logdir`
        are read if present).

    Returns:
      The compiled patterns, flag patterns first.

    Raises:
      ValueError: A pattern is invalid or `rungroups.json` is malformed; the
        message is one line naming the pattern or the file.
    """
    patterns = list(getattr(flags, "rungroups_pattern", None) or [])
    logdir = getattr(flags, "logdir", "") or ""
    patterns.extend(patterns_from_file(logdir))
    return naming.compile_patterns(patterns)


def patterns_from_file(logdir: str) -> list[str]:
    """Reads `patterns` from `logdir/rungroups.json`; [] if there is no such file.

    Read through TensorBoard's own gfile (`tb_plugin.writer.read_file`): a
    local path, ``s3://`` (boto3) or a scheme fsspec reaches; a scheme it
    lacks (``gs://`` without fsspec) is not read: patterns come from flags.
    """
    parsed = _config_object(logdir)
    if parsed is None:
        return []
    path = writer.join(logdir, CONFIG_FILENAME)
    patterns = parsed.get("patterns", [])
    if not isinstance(patterns, list) or not all(isinstance(p, str) for p in patterns):
        raise ValueError(f"{path}: 'patterns' must be a list of strings")
    return patterns


def reference_scores_from_file(logdir: str) -> dict[str, tuple[float, float]]:
    """Reads `reference_scores` from `logdir/rungroups.json`; {} if there are none.

    ``{"reference_scores": {"TASK": [low, high], ...}}`` gives each task's reference scores
    (e.g. a random and a human score) for `/benchmark`'s ``normalize=reference``: a score x
    becomes ``(x - low) / (high - low)``. TASK is the task field's value as `/groups` shows
    it (``CartPole-v1``, ``0.1``).

    Raises:
      ValueError: the file is unreadable or malformed, or `reference_scores` is not an object
        of pairs of finite numbers; the message is one line naming the file.
    """
    parsed = _config_object(logdir)
    if parsed is None:
        return {}
    path = writer.join(logdir, CONFIG_FILENAME)
    found = parsed.get("reference_scores", {})
    if not isinstance(found, dict):
        raise ValueError(f"{path}: 'reference_scores' must map each task to [low, high]")
    out = {}
    for task, pair in found.items():
        if not (
            isinstance(pair, list)
            and len(pair) == 2
            and all(isinstance(v, int | float) and not isinstance(v, bool) for v in pair)
            and all(math.isfinite(v) for v in pair)
        ):
            raise ValueError(
                f"{path}: 'reference_scores' of task {task!r} must be [low, high], two numbers"
            )
        out[task] = (float(pair[0]), float(pair[1]))
    return out


def _config_object(logdir: str) -> dict[str, Any] | None:
    """The JSON object of `logdir/rungroups.json`, or None without such a file.

    Read through TensorBoard's own gfile (`tb_plugin.writer.read_file`): a
    local path, ``s3://`` (boto3) or a scheme fsspec reaches; a scheme it
    lacks (``gs://`` without fsspec) is not read.
    """
    if not logdir:
        return None
    if not writer.is_remote(logdir):
        logdir = os.path.expanduser(logdir)
    path = writer.join(logdir, CONFIG_FILENAME)
    try:
        data = writer.read_file(path)
    except writer.UnsupportedPathError:
        return None
    except OSError as e:
        raise ValueError(str(e)) from None
    if data is None:
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ValueError(f"cannot read {path}: {e}") from None
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError as e:
        raise ValueError(f"{path} is not valid JSON: {e}") from None
    if not isinstance(parsed, dict):
        raise ValueError(f"{path} must hold a JSON object with a 'patterns' list")
    return parsed
