"""User configuration: run-name patterns from flags and `LOGDIR/rungroups.json`.

`rungroups.json` in the root of the log directory::

    {"patterns": ["exp-(?P<experiment>[a-z]+)-(?P<seed>\\\\d+)"]}

Patterns from `--rungroups_pattern` come first, then the file's.
"""

from __future__ import annotations

import json
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
    if not logdir:
        return []
    if not writer.is_remote(logdir):
        logdir = os.path.expanduser(logdir)
    path = writer.join(logdir, CONFIG_FILENAME)
    try:
        data = writer.read_file(path)
    except writer.UnsupportedPathError:
        return []
    except OSError as e:
        raise ValueError(str(e)) from None
    if data is None:
        return []
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
    patterns = parsed.get("patterns", [])
    if not isinstance(patterns, list) or not all(isinstance(p, str) for p in patterns):
        raise ValueError(f"{path}: 'patterns' must be a list of strings")
    return patterns
