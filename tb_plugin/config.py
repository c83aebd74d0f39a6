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

from tb_plugin import naming

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

    Only local log directories are read; remote ones use flags instead.
    """
    if not logdir or "://" in logdir:
        return []
    path = os.path.join(os.path.expanduser(logdir), CONFIG_FILENAME)
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError) as e:
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
