"""How a run was read (SPEC §4b, "every run says how it was read").

For each run, `reading` says which rule or source set each of its trial's fields, why the
run belongs to its trial and which other runs were joined into it, and the one
``--rungroups_pattern`` line that would change the reading. `/runs` gives it per run as
``read``; ``tb-rungroups explain LOGDIR RUN`` prints it (`explain_text`).

The JSON shape (``read`` of a run in `/runs`)::

    {"fields": [{"field": "param.lr", "value": 0.01, "rule": "name: key=value"}, ...],
     "trial": {"trial": "<trial>", "rule": "<why the run is in it>" | null,
               "joined": ["<the trial's other runs>", ...]},
     "fix": "--rungroups_pattern '...'" | null}

Rules, as short texts: ``name: key=value``, ``name: index word``, ``name: run counter``,
``name: CleanRL``, ``name: Hydra job number``, ``name: timestamp``, ``name: free text``
(labels), ``layout: tool counter``, ``layout: seed folder``, ``layout: shorthand name``,
``layout: resume of <run>``, ``layout: linked copy of <run>`` (a run that is no trial:
its event files are another run's, through links), ``hparams`` (recorded, wins over the name), ``pattern N`` (the
N-th user pattern), ``metadata started_at``. A trial's rule is null for a run that is its
trial's own directory, read by its name alone.

Cost: the fields of one trial are read once and shared by its runs; nothing here reads
files. Pure: plain values in, plain values out.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping, Sequence
from typing import Any

from tb_plugin import grouping, naming

_CLEANRL_RE = re.compile(r"[^_/].*?__[^_/].*?__-?[0-9]{1,18}__[0-9]{9,10}")
_RUN_WORD_RE = re.compile(r"(?i)(?<![^\W_])run[-_]?[0-9]")
_GUESSES = (
    "layout: writer",
    "layout: rank",
    "layout: resume",
    "layout: resumed",
)


def _param_rule(
    key: str,
    unit: grouping.Unit,
    reads: Mapping[str, str],
    patterns: Sequence[re.Pattern[str]],
    run: str,
) -> str:
    field = "param." + key
    found = reads.get(field)
    if found is not None:
        return found
    fields = unit.fields
    if "hparams." + key in fields:
        named = fields.get("name." + key)
        if named is not None and named != fields["hparams." + key]:
            return f"hparams (the name says {grouping.format_value(named)})"
        return "hparams"
    for i in range(len(patterns), 0, -1):
        pattern = patterns[i - 1]
        if key in pattern.groupindex:
            m = pattern.search(run)
            if m is not None and m.group(key):
                return f"pattern {i}"
    trial = unit.trial
    if key + "=" in trial:
        return "name: key=value"
    if key == "seed" and "__" in trial and _CLEANRL_RE.search(trial):
        return "name: CleanRL"
    if key == "job":
        return "name: Hydra job number"
    if key == "run" and not _RUN_WORD_RE.search(trial):
        return "name: run counter"
    if key in naming.REPEAT_KEYS:
        return "name: index word"
    return "name"


def _fields(
    unit: grouping.Unit,
    rn: naming.RunName | None,
    reads: Mapping[str, str],
    patterns: Sequence[re.Pattern[str]],
    run: str,
) -> list[dict[str, Any]]:
    out = []
    for field, value in unit.fields.items():
        head = field[:6]
        if head == "param.":
            rule = _param_rule(field[6:], unit, reads, patterns, run)
        elif head == "label.":
            rule = reads.get(field, "name: free text")
        elif head == "time.d" and field == "time.day":
            if rn is not None and rn.time is not None:
                rule = "name: CleanRL" if _CLEANRL_RE.search(unit.trial) else "name: timestamp"
                if patterns and any("time" in p.groupindex and p.search(run) for p in patterns):
                    rule = "pattern"
            else:
                rule = "metadata started_at"
        else:
            continue
        out.append({"field": field, "value": value, "rule": rule})
    return out


def fix_line(run: str, trial: str | None, moved: bool, reread: bool) -> str | None:
    """The one ``--rungroups_pattern`` line that undoes what the layout did to ``run``: it
    keeps the run its own trial, read by its own name (a run a user pattern matches is
    never re-read by the sibling rules, SPEC §4b rules 5, 7, 12), or None when the layout
    did nothing to it."""
    if moved:
        target = run
    elif reread and trial is not None:
        target = trial
    else:
        return None
    return "--rungroups_pattern " + shlex.quote(f"^(?P<trial>{re.escape(target)})$")


def reading(
    run: str,
    unit: grouping.Unit | None,
    rn: naming.RunName | None,
    why: Mapping[str, str],
    reads: Mapping[str, Mapping[str, str]],
    patterns: Sequence[re.Pattern[str]] = (),
    shared: dict[str, list[dict[str, Any]]] | None = None,
) -> dict[str, Any]:
    """The ``read`` of one run (see the module docstring).

    Args:
        run: The run name.
        unit: Its trial unit, or None for a run that is no trial.
        rn: Its name as the layout read it (`layout.Layout.names`), or None.
        why: `layout.Layout.why`.
        reads: `layout.Layout.reads`.
        patterns: The user's compiled patterns.
        shared: A dict to keep each trial's field list in, so the runs of one trial share it.
    """
    if unit is None:
        return {
            "fields": [],
            "trial": {
                "trial": None,
                "rule": why.get(run)
                or "layout: no trial (it holds only an HParams experiment config)",
                "joined": [],
            },
            "fix": None,
        }
    trial_reads = reads.get(unit.trial, {})
    fields = shared.get(unit.trial) if shared is not None else None
    if fields is None:
        fields = _fields(unit, rn, trial_reads, patterns, run)
        if shared is not None:
            shared[unit.trial] = fields
    rule = why.get(run)
    # Splits and add_hparams/add_scalars children are the layouts' plain reading; the rules
    # that guess from folders (writers inside, below, ranks, hidden folders, resumes) get a fix.
    moved = rule is not None and rule.startswith(_GUESSES)
    return {
        "fields": fields,
        "trial": {
            "trial": unit.trial,
            "rule": rule,
            "joined": [other for other in unit.runs.values() if other != run],
        },
        "fix": fix_line(run, unit.trial, moved, bool(trial_reads)),
    }


def explain_text(read: Mapping[str, Any], run: str) -> str:
    """``read`` as ``tb-rungroups explain`` prints it: the trial, then one line per field
    with its value and rule, then the fix line."""
    trial = read["trial"]
    lines = [f"run      {run}"]
    if trial["trial"] is None:
        lines.append(f"trial    (none): {trial['rule']}")
    else:
        lines.append(f"trial    {trial['trial']}: {trial['rule'] or 'its own directory, by name'}")
        if trial["joined"]:
            lines.append("joined   " + ", ".join(trial["joined"]))
    width = max((len(f["field"]) for f in read["fields"]), default=0)
    for f in read["fields"]:
        value = grouping.format_value(f["value"])
        lines.append(f"  {f['field']:<{width}}  {value}  <- {f['rule']}")
    lines.append("fix      " + (read["fix"] or "(nothing to undo: the name alone read this run)"))
    return "\n".join(lines) + "\n"
