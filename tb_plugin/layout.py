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
from collections.abc import Iterable, Mapping, Sequence

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
    """

    tags: frozenset[str] = frozenset()
    config_only: bool = False


@dataclasses.dataclass(frozen=True)
class Layout:
    """The result of `arrange`.

    Attributes:
        names: Run name to its `naming.RunName` with the layout's ``trial`` and ``split``
            (and, for a writer below its trial, the trial's own params, time and labels).
            Runs that are no trial are not here.
        no_trial: Runs that are no trial (experiment configuration only).
        add_scalars: Run to ``(main tag, split)`` for ``add_scalars`` children.
    """

    names: dict[str, naming.RunName]
    no_trial: frozenset[str]
    add_scalars: dict[str, tuple[str, str | None]]


_TIME_CHILD_RE = re.compile(r"[0-9]{9,11}\.[0-9]+")
_NUMBERED_RE = re.compile(r"([A-Za-z]+)[_-]?[0-9]+")


def canonical_split(word: str) -> str | None:
    """The canonical split of a split word (any case), else ``None``."""
    return naming.SPLITS.get(word.lower()) if len(word) <= 10 else None


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
) -> Layout:
    """Decides every run's trial and split from the whole run list (see the module docstring).

    Args:
        names: Every run's `naming.parse_run_name` result.
        facts: Run name to its `RunFacts`; a run not in it holds no scalars.
        patterns: The user's compiled run-name patterns (only those with a ``trial`` or
            ``split`` group matter here).

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
        tops: dict[str, str | None] = {ROOT: None}

        def top_of(directory: str) -> str | None:
            found = tops.get(directory, "")
            if found != "":
                return found
            above = top_of(_parent(directory))
            found = above if above is not None else (directory if directory in holder_set else None)
            tops[directory] = found
            return found

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

    out: dict[str, naming.RunName] = {}
    trial_names: dict[str, naming.RunName] = {}
    taken: dict[str, set[str | None]] = {}

    def trial_reading(trial: str) -> naming.RunName:
        found = parsed.get(trial)
        if found is None or found.trial != trial:
            found = trial_names.get(trial)
            if found is None:
                found = trial_names[trial] = naming.parse_run_name(trial, patterns)
        return found

    def place(run: str, trial: str, split: str | None) -> None:
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

    deferred = []
    for run in runs:
        rn = parsed[run]
        if run in fixed:
            out[run] = rn
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
            deferred.append((run, top, split))
            continue
        if run in shaped:
            parent = shaped[run]
            trial = _trial_of(parent, owner, parsed)
            rel = _relative(run, trial)
            split = HPARAMS_SPLIT if _TIME_CHILD_RE.fullmatch(_last(run)) else rel
            deferred.append((run, trial, split))
            continue
        parent = _parent(run)
        if parent in split_parents and (split_word(run) is not None or run not in has_descendants):
            word = split_word(run)
            deferred.append((run, parent, word if word is not None else _last(run)))
            continue
        if rn.split is not None and split_word(run) is None and run != ROOT:
            # Parsed as a split, but the layout does not back it (rule 5).
            place(run, run, None)
            continue
        place(run, rn.trial, rn.split)

    # Canonical splits first, so a helper named like a split never takes its key.
    deferred.sort(key=lambda item: (canonical_split(item[2] or "") is None, item[2] or "", item[0]))
    for run, trial, split in deferred:
        place(run, trial, split)
    return Layout(names=out, no_trial=no_trial, add_scalars=add_scalars)


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
