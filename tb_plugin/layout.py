"""Pure layout step: which TensorBoard runs are the writers of one trial, and what is a split.

A run name alone cannot say what one training job wrote; the whole run list can (SPEC §4b).
`naming.parse_run_name` reads each name on its own; `arrange` then looks at all runs at once,
with a few facts per run from the listing (`RunFacts`: its scalar tags, whether it holds only
an HParams experiment config), and decides each run's trial and split. It is pure and I/O-free
like `naming` and `grouping`: plain values in, plain values out.

Rules, in order of precedence (first that applies decides a run):

0. A user pattern (``--rungroups_pattern``, ``rungroups.json``) with a ``(?P<trial>...)`` or
   ``(?P<split>...)`` group decides trial and split for the runs it matches.
1. A run that holds only experiment configuration (HParams ``hparams_config``: no scalars, no
   session) is no trial; its children stay trials of their own (the HParams tutorial's
   ``hparam_tuning`` root).
2. A run nested anywhere inside a run directory that holds scalars of its own is a writer of
   that (outermost) directory's trial: PyTorch/tensorboardX ``add_hparams`` children, nested
   helper writers. The log directory root ``.`` is no such directory (it holds trials).
3. Shapes that name their parent whatever it holds: an ``add_hparams`` child named by
   ``time.time()`` (``1763600000.123456``), and ``add_scalars`` children: a run
   ``<r>/<Main>_<key>`` (torch) or ``<r>/<Main>/<key>`` (tensorboardX) holding the scalar tag
   ``<Main>`` is a writer of ``<r>`` with metric ``<Main>`` and split ``<key>``.
4. A directory whose children include split directories is one trial, and every leaf run
   among its children is a writer of it; a child that is no split word is a split of its own
   name (fairseq's ``train_inner``, the Keras scalars tutorial's ``metrics``).
5. A last segment that is a split word is a split only where the layout backs it: beside a
   numbered sibling of the same word (Ultralytics' ``detect/train``, ``train2``, ``train3``)
   it is a run of its own, not a split. The same holds for a split word that is the whole name.

More layouts (SPEC §4b rules 5-12), each with near misses in the tests:

6. Writers below a trial: below a directory with split children (not the log directory root),
   every run, also through folders without events, is a writer of it (T5X's
   ``training_eval/<task>``), its relative path the split. A run below a hidden folder
   (``<experiment>/.summary/<policy>``, Sample Factory) is a writer of the folder's parent,
   the first by name its own writer. Children ``rank_<N>``, ``replica_<N>``, ``worker_<N>``,
   ``host_<N>`` are writers of their directory's trial, the lowest rank its own writer.
7. Resumes (``steps`` given): sibling trials with the same recorded hparams whose steps follow
   one another are one trial, named by the first; the latest run is its own writer and its
   series is read joined with the earlier ones by step (`backend.Backend.timed_series`).
8. Readings only siblings back (`_reread`; never for a run a user pattern matches): tool
   counters (``baseline``, ``baseline2``; ``exp_run``, ``exp_run_0``: label the stem, repeat
   field ``run``), shorthand names (``lr_0.01_bs_32``, Sample Factory's ``see_0``), seed
   folders (a bare integer recurring under each config folder, or above a timestamp).
   `Layout.why` and `Layout.reads` say which rule read what (`tb_plugin.provenance`).

Linked copies (SPEC §4b rule 9: W&B ``sync_tensorboard``'s ``wandb/run-*/files/…`` links to
event files, ``wandb/latest-run``) are not decided here: names cannot tell them. The backend
finds them in a local log directory (`tb_plugin.links`) and leaves them out of `arrange`'s
input; they are no trial, and ``why`` says ``layout: linked copy of <run>``.

Directories that merely hold trials change nothing (``exp1/lr=0.1/seed=1``: each leaf is a
trial). The *split* of a run in the result is its key inside its trial (`grouping.Unit.runs`):
a canonical split (``train``, ``validation``, ``eval``, ``test``), ``None`` for the trial's own
directory, ``hparams`` for an ``add_hparams`` child, or the writer's path below the trial.

Splits of a metric (`metric_of`): a run's split applies to all its tags; in a run without one,
a tag whose first or last ``/`` segment is a split word carries its split (``Loss/train``,
``Loss/val`` → metric ``Loss``; ``train/loss``, ``eval/loss`` → metric ``loss``); an
``add_scalars`` child's tag ``<Main>`` is metric ``<Main>`` with the child's key as split.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from tb_plugin import naming

HPARAMS_SPLIT = "hparams"
"""The split key of an ``add_hparams`` child (its ``hparam/*`` metrics are read from it)."""

ROOT = "."


@dataclasses.dataclass(frozen=True)
class RunFacts:
    """What the listing says about one run.

    Attributes:
        tags: The scalar tags the run holds.
        config_only: The run holds an HParams experiment config and nothing else that makes
            a trial (no scalars, no HParams session).
        hparams: The run's recorded hparams (metadata ``hparams``), or None: two runs with
            the same ones may be a training and its resume (rule 11).
    """

    tags: frozenset[str] = frozenset()
    config_only: bool = False
    hparams: Mapping[str, Any] | None = None


@dataclasses.dataclass(frozen=True)
class Layout:
    """The result of `arrange`.

    Attributes:
        names: Run name to its `naming.RunName` with the layout's ``trial`` and ``split``
            (and, for a writer below its trial, the trial's own params, time and labels).
            Runs that are no trial are not here.
        no_trial: Runs that are no trial (experiment configuration only).
        add_scalars: Run to ``(main tag, split)`` for ``add_scalars`` children.
        why: Run to why the layout put it in its trial (``"split word of r"``, ``"layout:
            rank writer"``, ``"layout: resume of version_1"``, ...); runs the name alone
            placed are not here.
        reads: Trial to ``{field id: rule}`` for the fields a layout rule read from the
            trial's name (``{"param.run": "layout: tool counter"}``); empty for most.
        resumed: The latest run of a resumed training (rule 11) to the runs it continues,
            oldest first: a series of it is read joined with theirs by step.
    """

    names: dict[str, naming.RunName]
    no_trial: frozenset[str]
    add_scalars: dict[str, tuple[str, str | None]]
    why: dict[str, str] = dataclasses.field(default_factory=dict)
    reads: dict[str, dict[str, str]] = dataclasses.field(default_factory=dict)
    resumed: dict[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)


_TIME_CHILD_RE = re.compile(r"[0-9]{9,11}\.[0-9]+")
_NUMBERED_RE = re.compile(r"([A-Za-z]+)[_-]?[0-9]+")
# Rule 10: per-process writer directories (torchtitan, Horovod/DeepSpeed-style launchers).
_RANK_RE = re.compile(r"(?:rank|replica|worker|host)_([0-9]{1,6})")
# Rule 5: a tool counter at the end of a whole name (YOLOv5 "baseline2", Ludwig "exp_run_0").
_COUNTER_RE = re.compile(r"(.*[^0-9_-])([_-]?)(0|[1-9][0-9]{0,5})")
# Rule 12: a shorthand key (Sample Factory's "see", "l.rat", or a plain "lr", "bs").
_SHORT_KEY_RE = re.compile(r"[A-Za-z][A-Za-z0-9.]*")

Steps = Callable[[str], Mapping[str, tuple[int, int, float, float]]]
"""Run to ``{tag: (first step, last step, first wall time, last wall time)}`` (rule 11)."""


def canonical_split(word: str) -> str | None:
    """The canonical split of a split word (any case), else ``None``."""
    return naming.SPLITS.get(word.lower()) if len(word) <= 10 else None


def _outermost_marked(marked: set[str]) -> Callable[[str], str | None]:
    """A function giving, for a directory, the outermost of `marked` at or above it (the
    log directory root never counts), or None; memoised, since runs share directories."""
    memo: dict[str, str | None] = {ROOT: None}

    def outermost(directory: str) -> str | None:
        found = memo.get(directory, "")
        if found != "":
            return found
        above = outermost(_parent(directory))
        found = above if above is not None else (directory if directory in marked else None)
        memo[directory] = found
        return found

    return outermost


def _parent(run: str) -> str:
    cut = run.rfind("/")
    return run[:cut] if cut > 0 else ROOT


def _last(run: str) -> str:
    return run[run.rfind("/") + 1 :]


def _is_under(run: str, directory: str) -> bool:
    return directory == ROOT or run.startswith(directory + "/")


def _relative(run: str, directory: str) -> str:
    return run if directory == ROOT else run[len(directory) + 1 :]


def _pattern_fixed(runs: Iterable[str], patterns: Sequence[re.Pattern[str]]) -> set[str]:
    """Runs that a user pattern with a ``trial`` or ``split`` group matches.

    `naming.parse_run_name` has already set their trial and split from the pattern.
    """
    layout_patterns = [p for p in patterns if "trial" in p.groupindex or "split" in p.groupindex]
    if not layout_patterns:
        return set()
    return {run for run in runs if any(p.search(run) for p in layout_patterns)}


def add_scalars_parent(run: str, tags: Iterable[str]) -> tuple[str, str, str] | None:
    """``(parent directory, main tag, key)`` when ``run`` looks like an ``add_scalars`` child.

    torch writes ``<r>/<main with / as _>_<key>``, tensorboardX ``<r>/<main>/<key>``, each
    holding the scalar tag ``<main>``.
    """
    last = _last(run)
    if "_" not in last:
        # Only the tensorboardX form is possible: a tag ending in the parent's name.
        parent_last = _last(_parent(run))
        if not any(t == parent_last or t.endswith("/" + parent_last) for t in tags):
            return None
    for tag in sorted(tags):
        if not tag:
            continue
        flat = tag.replace("/", "_") + "_"
        if last.startswith(flat) and len(last) > len(flat):
            return _parent(run), tag, last[len(flat) :]
        nested = tag + "/" + last
        if run == nested:
            return ROOT, tag, last
        if run.endswith("/" + nested):
            return run[: -len(nested) - 1], tag, last
    return None


def arrange(
    names: Sequence[naming.RunName],
    facts: Mapping[str, RunFacts],
    patterns: Sequence[re.Pattern[str]] = (),
    steps: Steps | None = None,
) -> Layout:
    """Decides every run's trial and split from the whole run list (see the module docstring).

    Args:
        names: Every run's `naming.parse_run_name` result.
        facts: Run name to its `RunFacts`; a run not in it holds no scalars.
        patterns: The user's compiled run-name patterns (those with a ``trial`` or
            ``split`` group decide trial and split; a run any pattern matches is read by
            its pattern, never re-read by rules 5, 7 and 12).
        steps: Reads a run's steps and wall times per tag (`Steps`); asked only for runs
            with the same recorded hparams as a sibling. Without it there are no resumes.

    Returns:
        The `Layout`. It depends only on the set of runs and their facts, not their order.
    """
    parsed = {rn.run: rn for rn in names}
    empty = RunFacts()
    fixed = _pattern_fixed(parsed, patterns)
    no_trial = frozenset(
        run for run in parsed if facts.get(run, empty).config_only and run not in fixed
    )
    runs = sorted(run for run in parsed if run not in no_trial)
    run_set = set(runs)

    # Directory -> its child runs (a directory need not be a run itself).
    children: dict[str, list[str]] = {}
    has_descendants: set[str] = set()
    for run in runs:
        if run == ROOT:
            continue
        children.setdefault(_parent(run), []).append(run)
        head = run
        while True:
            head = _parent(head)
            if head == ROOT or head in has_descendants:
                break
            has_descendants.add(head)

    # Rule 10: rank directories; the lowest rank of each directory is the trial's own writer.
    lowest_rank: dict[str, int] = {}
    for directory, kids in children.items():
        ranks = [
            int(m.group(1))
            for k in kids
            if k not in has_descendants and (m := _RANK_RE.fullmatch(_last(k))) is not None
        ]
        if ranks:
            lowest_rank[directory] = min(ranks)

    # Rule 5: a split word beside a numbered sibling of the same word is a run of its own.
    not_split: set[str] = set()
    for kids in children.values():
        numbered = {
            m.group(1).lower() for k in kids if (m := _NUMBERED_RE.fullmatch(_last(k))) is not None
        }
        if numbered:
            for k in kids:
                if _last(k).lower() in numbered:
                    not_split.add(k)

    def split_word(run: str) -> str | None:
        if run in not_split or run == ROOT:
            return None
        return canonical_split(_last(run))

    # Rule 2: the outermost run directory holding scalars owns everything below it.
    holders = sorted(
        (run for run in runs if run != ROOT and facts.get(run, empty).tags),
        key=lambda r: (r.count("/"), r),
    )
    owner: dict[str, str] = {}
    holder_set = set()
    for holder in holders:
        head = holder
        inside = False
        while head != ROOT:
            head = _parent(head)
            if head in holder_set:
                inside = True
                break
        if not inside:
            holder_set.add(holder)
    if holder_set:
        # The outermost holder above each directory, memoised: runs share directories.
        top_of = _outermost_marked(holder_set)
        for run in runs:
            if run != ROOT:
                top = top_of(_parent(run))
                if top is not None:
                    owner[run] = top

    # Rule 3: add_scalars children and add_hparams time children name their parent.
    add_scalars: dict[str, tuple[str, str | None]] = {}
    shaped: dict[str, str] = {}
    for run in runs:
        if run in fixed:
            continue
        found = add_scalars_parent(run, facts.get(run, empty).tags)
        if found is not None:
            parent, main, key = found
            add_scalars[run] = (main, canonical_split(key) or key)
            if run not in owner:
                shaped[run] = parent
        elif run not in owner and _TIME_CHILD_RE.fullmatch(_last(run)) and _parent(run) in run_set:
            shaped[run] = _parent(run)

    # Rule 4: a directory with split children is one trial of its leaf children.
    split_parents = {
        directory
        for directory, kids in children.items()
        if any(split_word(k) is not None for k in kids)
    }

    # Rule 8: below a directory with split children, every run is a writer of it (also
    # through folders without events). The log directory root is no such trial.
    deep_parents = split_parents - {ROOT}
    split_parent_above = _outermost_marked(deep_parents)

    out: dict[str, naming.RunName] = {}
    trial_names: dict[str, naming.RunName] = {}
    taken: dict[str, set[str | None]] = {}
    why: dict[str, str] = {}

    def trial_reading(trial: str) -> naming.RunName:
        found = parsed.get(trial)
        if found is None or found.trial != trial:
            found = trial_names.get(trial)
            if found is None:
                found = trial_names[trial] = naming.parse_run_name(trial, patterns)
        return found

    def place(run: str, trial: str, split: str | None, reason: str | None = None) -> None:
        if reason is not None:
            why[run] = reason
        rn = parsed[run]
        if trial == run:
            out[run] = (
                rn if rn.trial == trial and rn.split is None else _replace(rn, trial, None, None)
            )
            return
        keys = taken.setdefault(trial, set())
        if split in keys:
            split = _relative(run, trial)
        keys.add(split)
        if rn.trial == trial and rn.split == split:
            out[run] = rn
        else:
            out[run] = _replace(rn, trial, split, trial_reading(trial))

    deferred: list[tuple[str, str, str | None, str]] = []
    hidden_first: dict[str, str] = {}
    for run in runs:
        rn = parsed[run]
        if run in fixed:
            out[run] = rn
            if rn.trial != run:
                why[run] = "pattern " + _pattern_number(run, patterns)
            continue
        if run in owner:
            top = owner[run]
            rel = _relative(run, top)
            word = split_word(run) if "/" not in rel else None
            if word is not None:
                split = word
            elif _TIME_CHILD_RE.fullmatch(rel):
                split = HPARAMS_SPLIT
            else:
                split = rel
            deferred.append((run, top, split, "layout: writer inside a run with scalars"))
            continue
        if run in shaped:
            parent = shaped[run]
            trial = _trial_of(parent, owner, parsed)
            rel = _relative(run, trial)
            hp = _TIME_CHILD_RE.fullmatch(_last(run))
            split = HPARAMS_SPLIT if hp else rel
            kind = "add_hparams" if hp else "add_scalars"
            deferred.append((run, trial, split, f"layout: {kind} child"))
            continue
        parent = _parent(run)
        if parent in split_parents and (split_word(run) is not None or run not in has_descendants):
            word = split_word(run)
            reason = f"layout: split {word}" if word is not None else "layout: helper beside splits"
            deferred.append((run, parent, word if word is not None else _last(run), reason))
            continue
        dot = run.find("/.")
        if dot > 0 and run[dot + 2 : dot + 3] not in ("", "/"):
            # A tool's hidden writer folder (Sample Factory's <experiment>/.summary/<policy>):
            # its first writer (by name: policy 0) is the trial's own, the others splits.
            trial = _trial_of(run[:dot], owner, parsed)
            first = trial not in hidden_first
            hidden_first.setdefault(trial, run)
            deferred.append(
                (
                    run,
                    trial,
                    None if first else _relative(run, trial),
                    "layout: writer in a hidden folder"
                    + (" (the first: read by default)" if first else ""),
                )
            )
            continue
        if parent in lowest_rank and run not in has_descendants:
            m = _RANK_RE.fullmatch(_last(run))
            if m is not None:
                trial = _trial_of(parent, owner, parsed)
                lowest = int(m.group(1)) == lowest_rank[parent]
                deferred.append(
                    (
                        run,
                        trial,
                        None if lowest else _relative(run, trial),
                        "layout: rank writer"
                        + (" (lowest rank: read by default)" if lowest else ""),
                    )
                )
                continue
        if deep_parents and parent != ROOT:
            top_split = split_parent_above(parent)
            if top_split is not None:
                deferred.append(
                    (run, top_split, _relative(run, top_split), "layout: writer below a trial")
                )
                continue
        if rn.split is not None and split_word(run) is None and run != ROOT:
            # Parsed as a split, but the layout does not back it (rule 5).
            place(run, run, None)
            continue
        if rn.split is not None and run != ROOT:
            why[run] = f"name: split word {_last(run)}"
        place(run, rn.trial, rn.split)

    # Canonical splits first, so a helper named like a split never takes its key.
    deferred.sort(key=lambda item: (canonical_split(item[2] or "") is None, item[2] or "", item[0]))
    for run, trial, split_key, reason in deferred:
        place(run, trial, split_key, reason)

    reads: dict[str, dict[str, str]] = {}
    resumed: dict[str, tuple[str, ...]] = {}
    if steps is not None:
        _resumes(out, facts, steps, why, fixed, resumed)
    _reread(out, reads, fixed, patterns)
    return Layout(
        names=out,
        no_trial=no_trial,
        add_scalars=add_scalars,
        why=why,
        reads=reads,
        resumed=resumed,
    )


def _pattern_number(run: str, patterns: Sequence[re.Pattern[str]]) -> str:
    """The 1-based number of the last user pattern that matches ``run`` (it wins)."""
    found = [i for i, p in enumerate(patterns, 1) if p.search(run)]
    return str(found[-1]) if found else "?"


def _trial_of(
    directory: str, owner: Mapping[str, str], parsed: Mapping[str, naming.RunName]
) -> str:
    if directory in owner:
        return owner[directory]
    found = parsed.get(directory)
    if found is not None and found.split is None:
        return found.trial
    return directory


def _replace(
    rn: naming.RunName, trial: str, split: str | None, reading: naming.RunName | None
) -> naming.RunName:
    if reading is None:
        return dataclasses.replace(rn, trial=trial, split=split)
    return dataclasses.replace(
        rn,
        trial=trial,
        split=split,
        time=reading.time,
        params=reading.params,
        labels=reading.labels,
    )


def metric_of(
    tag: str, split: str | None, add_scalars: tuple[str, str | None] | None = None
) -> tuple[str, str | None]:
    """The metric and split one scalar tag of one run stands for.

    Args:
        tag: The scalar tag.
        split: The run's split in its trial (`Layout.names`).
        add_scalars: The run's ``(main tag, split)`` when it is an ``add_scalars`` child.

    Returns:
        ``(metric, split)``: a tag of a run without a split carries its own split in its
        first or last ``/`` segment (``Loss/val`` → ``("Loss", "validation")``,
        ``eval/loss`` → ``("loss", "eval")``); otherwise the tag with the run's split.
    """
    if add_scalars is not None and tag == add_scalars[0]:
        return tag, add_scalars[1]
    if split is None and "/" in tag:
        head, _, rest = tag.partition("/")
        word = canonical_split(head)
        if word is not None and rest:
            return rest, word
        front, _, tail = tag.rpartition("/")
        word = canonical_split(tail)
        if word is not None and front:
            return front, word
    return tag, split


# --- rule 11: resumes -------------------------------------------------------------------------


def _hparams_key(hparams: Mapping[str, Any]) -> tuple[tuple[str, str], ...] | None:
    try:
        return tuple(sorted((str(k), repr(v)) for k, v in hparams.items()))
    except Exception:  # an odd mapping: no resume is found for it
        return None


def _continues(
    before: Mapping[str, tuple[int, int, float, float]],
    after: Mapping[str, tuple[int, int, float, float]],
) -> bool:
    """Whether ``after`` continues ``before``: on every tag both hold (but tags ``before``
    logged at step 0 only, such as Lightning's ``hp_metric`` placeholder), its first step
    comes after ``before``'s last step, and it started writing after ``before`` stopped."""
    shared = [tag for tag, seen in before.items() if seen[1] > 0 and tag in after]
    if not shared:
        return False
    if any(after[tag][0] <= before[tag][1] for tag in shared):
        return False
    return min(after[tag][2] for tag in shared) >= max(before[tag][3] for tag in shared)


_MAX_RESUME_SET = 64
"""Runs of one directory with the same hparams beyond which no resume is looked for (each
candidate costs one read of its steps)."""


def _resumes(
    out: dict[str, naming.RunName],
    facts: Mapping[str, RunFacts],
    steps: Steps,
    why: dict[str, str],
    fixed: set[str],
    resumed: dict[str, tuple[str, ...]],
) -> None:
    """Rule 11: a run whose training continues a sibling's with the same recorded hparams
    is a resume: both join the first run's trial; the latest run is its own writer (split
    ``None``, its values win), the earlier ones splits of their own names."""
    writers: dict[str, int] = {}
    for rn in out.values():
        writers[rn.trial] = writers.get(rn.trial, 0) + 1
    groups: dict[tuple[Any, ...], list[str]] = {}
    for run, rn in out.items():
        if rn.trial != run or rn.split is not None or run == ROOT or run in fixed:
            continue
        fact = facts.get(run)
        if fact is None or not fact.hparams or writers.get(run) != 1:
            continue
        key = _hparams_key(fact.hparams)
        if key is not None:
            groups.setdefault((_parent(run), key), []).append(run)
    for members in groups.values():
        if not 2 <= len(members) <= _MAX_RESUME_SET:
            continue
        seen = {run: steps(run) for run in members}
        started = {
            run: min((v[2] for v in found.values()), default=float("inf"))
            for run, found in seen.items()
        }
        chains: list[list[str]] = []
        for run in sorted(members, key=lambda r: (started[r], r)):
            for chain in chains:
                if _continues(seen[chain[-1]], seen[run]):
                    chain.append(run)
                    break
            else:
                chains.append([run])
        for chain in chains:
            if len(chain) < 2:
                continue
            resumed[chain[-1]] = tuple(chain[:-1])
            first = out[chain[0]]
            for i, run in enumerate(chain):
                latest = i == len(chain) - 1
                out[run] = dataclasses.replace(
                    out[run],
                    trial=first.run,
                    split=None if latest else _last(run),
                    params=first.params,
                    labels=first.labels,
                    time=first.time,
                )
                why[run] = (
                    f"layout: resume of {chain[i - 1]}" if i else f"layout: resumed by {chain[1]}"
                ) + (" (the latest: its values win)" if latest else "")


# --- rules 5, 7, 12: what sibling names say together -----------------------------------------


def _segment_reading(seg: str) -> tuple[tuple[tuple[str, Any], ...], tuple[str, ...], Any]:
    return naming._segment(seg)  # the cached reading of one segment


def _repeat_key_of(word: str) -> str | None:
    """A word of at least three letters that begins a repeat key is that key (``see``)."""
    low = word.lower()
    if low in naming.REPEAT_KEYS:
        return low
    if len(low) < 3 or not low.isalpha():
        return None
    found = sorted(k for k in naming.REPEAT_KEYS if k.startswith(low))
    return found[0] if found else None


def _reread(
    out: dict[str, naming.RunName],
    reads: dict[str, dict[str, str]],
    fixed: set[str],
    patterns: Sequence[re.Pattern[str]],
) -> None:
    """Rules 5 (tool counters), 7 (seed folders) and 12 (shorthand names): readings of a
    trial's name that only its siblings back. Trials a user pattern matches are left alone."""
    readings: dict[str, naming.RunName] = {}
    exempt: set[str] = set()
    for run, rn in out.items():
        if run in fixed or (patterns and any(p.search(run) for p in patterns)):
            exempt.add(rn.trial)
        if rn.trial not in readings or run == rn.trial:
            readings[rn.trial] = rn
    by_parent: dict[str, list[str]] = {}
    for trial in readings:
        if trial != ROOT and trial not in exempt:
            by_parent.setdefault(_parent(trial), []).append(trial)
    new: dict[str, tuple[dict[str, Any], tuple[str, ...]]] = {}

    # Rule 5: tool counters, at any folder level (YOLOv5's runs/train/<name><N>, Ludwig's
    # results/<name>_run_<N>/model/logs/...): every trial below a counted folder.
    folders: dict[str, dict[str, list[str]]] = {}
    for trial in readings:
        if trial == ROOT or trial in exempt:
            continue
        path = trial
        while True:
            parent = _parent(path)
            folders.setdefault(parent, {}).setdefault(path, []).append(trial)
            if parent == ROOT:
                break
            path = parent
    for parent, folder_kids in folders.items():
        if len(folder_kids) >= 2:
            _counters(parent, folder_kids, readings, new, reads)

    # Rule 12: shorthand key/value names among siblings of one shape.
    for parent, kids in by_parent.items():
        if len(kids) < 2:
            continue
        shapes: dict[int, list[tuple[str, list[str]]]] = {}
        for trial in kids:
            if trial in new:
                continue
            last = _last(trial)
            if "_" not in last:
                continue
            params, _labels, when = _segment_reading(last)
            if params or when is not None:
                continue
            tokens = last.split("_")
            if "" in tokens:
                continue
            shapes.setdefault(len(tokens), []).append((trial, tokens))
        for shaped in shapes.values():
            if len(shaped) >= 2:
                _shorthand(shaped, parent, new, reads)

    # Rule 7: seed folders (a bare integer segment read as a label).
    configs: dict[tuple[str, int], dict[str, set[str]]] = {}
    spots: list[tuple[str, int, str, bool]] = []
    for trial, rn in readings.items():
        if trial == ROOT or trial in exempt or trial in new or "/" not in trial:
            continue
        segs = trial.split("/")
        for d in range(1, len(segs)):
            seg = segs[d]
            if not (seg.isdigit() and len(seg) <= 9) or seg not in rn.labels:
                continue
            stamped = d + 1 < len(segs) and _segment_reading(segs[d + 1])[2] is not None
            spots.append((trial, d, seg, stamped))
            key = ("/".join(segs[: d - 1]), d)
            configs.setdefault(key, {}).setdefault(segs[d - 1], set()).add(seg)
    for trial, d, seg, stamped in spots:
        segs = trial.split("/")
        by_config = configs[("/".join(segs[: d - 1]), d)]
        values = list(by_config.values())
        recurs = len(values) >= 2 and all(v == values[0] for v in values)
        if not (stamped or recurs) or trial in new:
            continue
        rn = readings[trial]
        labels = list(rn.labels)
        labels.remove(seg)
        seeded: dict[str, Any] = dict(rn.params)
        seeded.setdefault("seed", int(seg))
        new[trial] = (seeded, tuple(labels))
        reads[trial] = {"param.seed": "layout: seed folder"}

    if not new:
        return
    for run, rn in out.items():
        found = new.get(rn.trial)
        if found is not None:
            out[run] = dataclasses.replace(rn, params=found[0], labels=found[1])


def _counters(
    parent: str,
    kids: Mapping[str, list[str]],
    readings: Mapping[str, naming.RunName],
    new: dict[str, tuple[dict[str, Any], tuple[str, ...]]],
    reads: dict[str, dict[str, str]],
) -> None:
    """Rule 5 among the folders (or trials) ``kids`` of ``parent`` (folder to its trials)."""
    lasts = {_last(folder): folder for folder in kids}
    stems: dict[tuple[str, str], dict[int, str]] = {}
    for last, folder in lasts.items():
        m = _COUNTER_RE.fullmatch(last)
        if m is not None:
            stems.setdefault((m.group(1), m.group(2)), {})[int(m.group(3))] = folder
    if not stems:
        return
    head = (
        _NO_READING
        if parent == ROOT
        else _segment_reading(parent)
        if "/" not in parent
        else naming._directory(parent)
    )
    at = len(head[1])  # the counted segment's labels start here in its trials' labels
    for (stem, _sep), numbered in sorted(stems.items()):
        nums = sorted(numbered)
        lo = nums[0]
        if nums != list(range(lo, lo + len(nums))):
            continue  # sparse numbers are names (resnet18, resnet50)
        bare = lasts.get(stem)
        if not (lo in (0, 1, 2) if bare is not None else lo in (0, 1) and len(nums) >= 2):
            continue  # a lone number is a name (exp1)
        members = ([(bare, lo - 1)] if bare is not None else []) + [(numbered[n], n) for n in nums]
        if not all(_counter_reading_ok(folder, n, bare is not None) for folder, n in members):
            continue
        changes = {}
        for folder, n in members:
            seg_params, seg_labels, _ = _segment_reading(_last(folder))
            for trial in kids[folder]:
                rn = readings[trial]
                width = len(seg_labels)
                if rn.labels[at : at + width] != seg_labels:
                    if trial == folder and len(rn.labels) == at:
                        width = 0  # a split word read as a run of its own (detect/train)
                    else:
                        break
                if trial in new:
                    break
                params = {k: v for k, v in rn.params.items() if k not in dict(seg_params)}
                params["run"] = n
                labels = (*rn.labels[:at], stem, *rn.labels[at + width :])
                changes[trial] = (params, labels)
            else:
                continue
            break
        else:
            for trial, change in changes.items():
                new[trial] = change
                reads[trial] = {
                    "param.run": "layout: tool counter",
                    f"label.{at}": "layout: tool counter",
                }


_NO_READING: tuple[tuple[tuple[str, Any], ...], tuple[str, ...], Any] = ((), (), None)


def _counter_reading_ok(trial: str, n: int, has_bare: bool) -> bool:
    """A name may be a tool counter when its own segment reads as text only (or, beside its
    bare stem, as that counter read as one repeat key: Ludwig's ``exp_run_0``)."""
    params, _labels, when = _segment_reading(_last(trial))
    if when is not None:
        return False
    if not params:
        return True
    return (
        has_bare and len(params) == 1 and params[0][0] in naming.REPEAT_KEYS and params[0][1] == n
    )


def _shorthand(
    members: list[tuple[str, list[str]]],
    parent: str,
    new: dict[str, tuple[dict[str, Any], tuple[str, ...]]],
    reads: dict[str, dict[str, str]],
) -> None:
    """Rule 12 for sibling names of one shape: each varying token is the value of the
    constant word before it; a leading zero-padded index is the experiment number."""
    width = len(members[0][1])
    varying = [i for i in range(width) if len({tokens[i] for _, tokens in members}) > 1]
    if not varying:
        return
    index = (
        varying[0] == 0
        and all(t[0].isdigit() and len(t[0]) >= 2 for _, t in members)
        and len({len(t[0]) for _, t in members}) == 1
    )
    values = varying[1:] if index else varying
    if not values:
        return
    # Each value's key: the constant word right before the first value; after that, the first
    # constant word after the previous value (the words between belong to the value).
    plan: list[tuple[int, int, int]] = []  # (key position, value start, value end)
    previous = 0 if index else -1
    for n, i in enumerate(values):
        if i - 1 <= previous:
            return  # a value right after another value or the index: no key for it
        key_at = i - 1 if n == 0 else previous + 1
        plan.append((key_at, key_at + 1, i + 1))
        previous = i
    first = members[0][1]
    for key_at, _, _ in plan:
        if (
            not _SHORT_KEY_RE.fullmatch(first[key_at])
            or naming.parse_value(first[key_at]) != first[key_at]
        ):
            return
    for trial, _tokens in members:
        if trial in new:
            return
    head = _segment_reading(parent) if "/" not in parent else naming._directory(parent)
    base_params = dict(head[0]) if parent != ROOT else {}
    base_labels = tuple(head[1]) if parent != ROOT else ()
    for trial, tokens in members:
        params = dict(base_params)
        labels = list(base_labels)
        rules: dict[str, str] = {}
        if index:
            labels.append(tokens[0])
        start = 1 if index else 0
        if plan[0][0] > start:
            labels.append("_".join(tokens[start : plan[0][0]]))
        for key_at, lo, hi in plan:
            word = tokens[key_at]
            key = _repeat_key_of(word) or word
            params[key] = naming.parse_value("_".join(tokens[lo:hi]))
            rules[f"param.{key}"] = "layout: shorthand name" + (
                f" ({word} = {key})" if key != word else ""
            )
        if plan[-1][2] < width:
            labels.append("_".join(tokens[plan[-1][2] :]))
        for i in range(len(base_labels), len(labels)):
            rules[f"label.{i}"] = "layout: shorthand name"
        new[trial] = (params, tuple(labels))
        reads[trial] = rules
