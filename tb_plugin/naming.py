"""Pure parsing of TensorBoard run names into structured fields.

People encode what a run *is* in its directory name. :func:`parse_run_name` reads the
common conventions with zero configuration and returns a :class:`RunName` with the
run's ``trial``, ``split``, ``time``, typed ``params`` and free-text ``labels``.
Everything here is standard library only, does no I/O and never raises on any string.

Built-in conventions (segments are separated by ``/``):

* key=value lists: ``lr=0.01,bs=32``, ``lr=1e-3_opt=adam_w``, ``gpu-node-7 lr=0.01``,
  ``exp1/lr=0.01/seed=3``. Keys are identifiers (a letter or ``_``, then letters,
  digits, ``_`` or ``.``). ``,`` ``;`` ``+`` and whitespace always separate pairs; a
  weak separator (``_`` or ``-``) separates a value from the next key where that makes
  the value a number or bool, else at the leftmost point (the longest key wins).
  A value that opens ``[``, ``(`` or ``{`` runs to its matching close
  (``model.layers=[64,128],seed=1``, Hydra's list overrides); an unbalanced one is
  plain text.
* run counters: ``_N`` or ``-N`` at the end of a segment, after a numeric value, is
  the repeat field ``run`` (stable-baselines3's ``lr=0.001_1``, ``lr=0.001_2``), and
  so is SB3's default ``PPO_1``, ``PPO_2`` (label ``PPO``; a closed list of algorithm
  names, see ``_COUNTED_LABELS``).
* index words from the closed vocabulary :data:`REPEAT_KEYS`: ``seed_3``,
  ``version_3``, ``trial_12``, ``fold-2``, ``rep3`` give ``seed=3`` and so on.
* timestamps, the first one found wins:
  ``run_2019_06_07-15_15_22`` (Géron's ``time.strftime("run_%Y_%m_%d-%H_%M_%S")``),
  ``20190606-121212`` (TensorFlow tutorials), ``2019-06-07T15:15:22`` and
  ``2019-06-07_15-15-22`` (ISO-like, Ray Tune), a bare ``2023-05-01`` (midnight),
  Hydra's ``multirun/2026-11-27/01-29-05/4`` (date and time segments combine, the
  job number becomes ``job=4``) and PyTorch/tensorboardX's ``SummaryWriter`` default
  ``runs/Nov27_01-29-05_<host><comment>`` (no year: the most recent year in which
  that moment is not in the future; the host is a label).
* Ray Tune trial directories
  ``<trainable>_<trial id>_<index>_<k=v,...>_<%Y-%m-%d_%H-%M-%S>``: params and time;
  trainable, trial id and index are labels. Ray cuts the name at 130 characters
  before the date; in a name that long the last, maybe cut, config item is dropped.
* CleanRL run names ``{env_id}__{exp_name}__{seed}__{int(time.time())}``: labels env and
  experiment, ``seed`` and the start time (a Unix time read as UTC).
* Short timestamps: Tianshou's ``%y%m%d-%H%M%S`` (``261120-101500``) and torchtitan's
  ``%Y%m%d-%H%M`` (``20261120-1000``) as whole segments.
* Keras splits: a last segment ``train``/``training``, ``validation``/``valid``/``val``,
  ``eval``/``evaluation`` or ``test``/``testing`` (any case) is the ``split``.

User patterns (:func:`compile_patterns`) are regular expressions searched in the run
name: named groups become params, a group named ``time`` becomes the time, groups named
``trial`` and ``split`` decide the run's trial and split (`tb_plugin.layout` then leaves
that run alone), and all of them
override what the built-in conventions found.

:func:`get_run_logdir` writes names that carry params and read back to exactly them.

Performance (the backend parses every run of an experiment; ``bench/bench_naming.py``
measures 100,000 names). The tricks, each explained where it lives:

* Batches: :func:`parse_run_names` parses in sorted order, so runs that share parent
  directories come together while their cached readings are hot, and pauses the
  cyclic garbage collector, which finds nothing among these small objects.
* Caches: ``_memo`` dicts that empty when full (cheaper than an LRU) for directory
  paths (``_directory``, each read from its parent's cached reading), segments
  (``_segment``), timestamp-free text (``_text``) and ``key=value`` chunks
  (``_chunk``). A run's own last segment is usually new and is read uncached.
* Fast paths: ``_parse`` reads the common name as its cached parent plus its last
  segment (``_parse_any`` the rest); ``_plain_segment`` reads whole-segment index
  words and timestamps without the general scan; a segment with no digit, ``=`` or
  separator is one label (``_INTERESTING_RE``); ``_maybe_ray`` tests three characters
  before any Ray regex; only segments holding ``=`` look for brackets (three ``in``
  tests) or, when they end in ``_`` or ``-`` and digits, a run counter;
  ``_split_text`` uses ``str.split(",")`` when ``,`` is the only strong separator;
  ``_TS_RE`` starts with a character class so that a search skips to candidates in C.
* Construction: ``_run_name`` fills a slotted twin of :class:`RunName` and swaps its
  class, skipping the frozen dataclass's per-field ``object.__setattr__``.
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
import gc
import math
import os
import re
import sys
import time as _time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

__all__ = [
    "REPEAT_KEYS",
    "RunName",
    "compile_patterns",
    "get_run_logdir",
    "parse_run_name",
    "parse_value",
    "SPLITS",
]

Value = int | float | bool | str

REPEAT_KEYS: frozenset[str] = frozenset(
    {"seed", "rep", "repeat", "trial", "version", "fold", "run"}
)
"""Index words: repeats of one configuration, removed by "group over repeats"."""


@dataclasses.dataclass(frozen=True, slots=True)
class RunName:
    """A run name taken apart.

    Attributes:
        run: The TensorBoard run name, as given (``/``-separated, ``.`` is the root).
        trial: The run without a trailing split segment: the unit one training job
            wrote. ``.`` when the run is only a split or is ``.``.
        split: ``train``, ``validation``, ``eval`` or ``test`` when the last segment
            is a known split name, else ``None``.
        time: A naive datetime from the first timestamp in the trial, else ``None``.
        params: Typed values parsed from the name, in the order found.
        labels: The remaining free-text parts, in order.
    """

    run: str
    trial: str
    split: str | None
    time: datetime.datetime | None
    # A dict is unhashable; leaving it out of the hash keeps RunName usable as a key
    # (equal RunNames still hash equally because every other field is equal).
    params: Mapping[str, Value] = dataclasses.field(hash=False)
    labels: tuple[str, ...]


class _NewRunName:
    """A mutable RunName under construction: same slots, so it can become one.

    The frozen dataclass's ``__init__`` sets each field through ``object.__setattr__``
    by name, which costs as much as the rest of parsing a name whose segments are
    cached. Plain slot stores, then a ``__class__`` change, do the same for a fraction.
    """

    __slots__ = RunName.__slots__


def _run_name(
    run: str,
    trial: str,
    split: str | None,
    time: datetime.datetime | None,
    params: dict[str, Value],
    labels: tuple[str, ...],
) -> RunName:
    """``RunName(run, trial, split, time, params, labels)``, faster."""
    result: Any = _NewRunName()
    result.run = run
    result.trial = trial
    result.split = split
    result.time = time
    result.params = params
    result.labels = labels
    result.__class__ = RunName
    return result


_SPLITS = {
    "train": "train",
    "training": "train",
    "validation": "validation",
    "valid": "validation",
    "val": "validation",
    "eval": "eval",
    "evaluation": "eval",
    "test": "test",
    "testing": "test",
}

SPLITS: Mapping[str, str] = _SPLITS
"""Split words (lower case) to their canonical split."""

# parse_value: ASCII digits only, because int()/float() would also accept "1_000",
# " 1", Arabic-Indic digits and "Infinity" spelled in ways no name means as numbers.
_NUMBER_RE = re.compile(
    r"(?P<int>[+-]?[0-9]+)"
    r"|[+-]?(?:[0-9]+\.[0-9]*|\.[0-9]+|[0-9]+)(?:[eE][+-]?[0-9]+)?"
    r"|[+-]?(?:nan|inf|infinity)",
    re.IGNORECASE,
)

# A segment without any of these is a single label: nothing else can match in it.
_INTERESTING_RE = re.compile(r"[0-9=,;+\s]")

# Strong separators. Text whose only ones are "," splits with str.split(",") (the
# common "lr=0.01,bs=32"). A "+" inside an exponent ("1.5e+00") is part of the number;
# the lookarounds that tell are slow, so they only run when such a "+" is there.
_STRONG_NOT_COMMA_RE = re.compile(r"[;+\s]")
_STRONG_RE = re.compile(r"[,;+\s]+")
_EXPONENT_PLUS_RE = re.compile(r"[0-9.][eE]\+[0-9]")
_STRONG_EXACT_RE = re.compile(r"[,;\s]+|(?<![0-9.][eE])\+|\+(?![0-9])")

# Key characters; used reversed to find the longest key that ends at an "=".
_KEYCHARS_RE = re.compile(r"[\w.]*")
_KEY_START_RE = re.compile(r"[^\W\d]")
_KEY_RE = re.compile(r"[^\W\d][\w.]*")
_WORDCHARS_RE = re.compile(r"[^\W_]*")

_INDEX_ALT = "seed|repeat|rep|trial|version|fold|run"
# Not glued to a letter or digit on either side, and not continued by "_<digit>",
# "-<digit>" or ".<digit>", so "run_2019_13_45", "seed_1.5" and "v2" stay text.
_INDEX_RE = re.compile(
    rf"(?<![^\W_])({_INDEX_ALT})[-_]?([0-9]+)(?![^\W_]|[-_.][0-9])", re.IGNORECASE
)
# An index word and its separator, in lowercase, to the word: "seed_" to "seed".
_INDEX_HEADS = {word + sep: word for word in REPEAT_KEYS for sep in ("", "_", "-")}
# An index word at the start of a key, as in "lr=0.1_seed_3_bs=32".
_INDEX_PREFIX_RE = re.compile(rf"({_INDEX_ALT})_?([0-9]+)_(?=[^\W\d])", re.IGNORECASE)

# A PyTorch month name (lowercase) to its ISO month and "-".
_PYTORCH_DATE = {
    m: f"{i:02d}-"
    for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}
# Python 3.11 and later read ISO 8601's basic format ("20190606T121212") too.
_BASIC_ISO = sys.version_info >= (3, 11)

# Every built-in timestamp, delimited from letters and digits on both sides (so
# "model_20190606" and "x2019-06-07" are not timestamps). The group name says which
# format matched (Match.lastgroup). Searching segments for timestamps is the parser's
# hottest loop, and a regex search tries a match at every position unless the
# pattern starts with a plain character class, which it then skips to in C. So every
# format is found by its first two digits: the others start there, after a character
# that is not a letter or digit; a PyTorch match starts three characters before them,
# at the English month name (see _find_time). Each branch starts with a plain
# character, where the engine rejects it cheaply; the character before the match is
# checked by lookbehinds after that.
_TS_RE = re.compile(
    r"[0-9][0-9](?:"
    r"[0-9](?<![^\W_]...)[0-9](?:"
    # Géron: time.strftime("run_%Y_%m_%d-%H_%M_%S")
    r"_(?P<G>[0-9]{2}_[0-9]{2}[-_][0-9]{2}_[0-9]{2}_[0-9]{2})"
    # TensorFlow tutorials: datetime.now().strftime("%Y%m%d-%H%M%S")
    r"|[0-9](?P<T>[0-9]{3}[-_T][0-9]{6})"
    # ISO 8601 with colons, optional fraction and zone (the zone is dropped: naive)
    r"|-(?P<I>[0-9]{2}-[0-9]{2}[T _][0-9]{2}:[0-9]{2}:[0-9]{2}"
    r"(?:[.,](?P<F>[0-9]+))?(?:Z|[+-][0-9]{2}(?::?[0-9]{2})?)?)"
    # "%Y-%m-%d_%H-%M-%S" (Ray Tune's date_str()) and friends, or a date alone
    r"|-(?P<J>[0-9]{2}-[0-9]{2}(?:[T_-][0-9]{2}-[0-9]{2}-[0-9]{2})?))"
    # PyTorch / tensorboardX SummaryWriter default: strftime("%b%d_%H-%M-%S")
    r"|_(?<=(?ai:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[0-9]{2}_)(?<![^\W_]......)"
    r"(?P<P>[0-9]{2}-[0-9]{2}-[0-9]{2}))"
    r"(?![^\W_])"
)

# Hydra's default layout: hydra.sweep.dir = multirun/${now:%Y-%m-%d}/${now:%H-%M-%S},
# hydra.sweep.subdir = ${hydra.job.num} (hydra/conf/hydra/output/default.yaml).
_DATE_SEG_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_CLOCK_SEG_RE = re.compile(r"[0-9]{2}-[0-9]{2}-[0-9]{2}")
_JOB_SEG_RE = re.compile(r"[0-9]{1,9}")

# The PyTorch host: socket.gethostname() right after the timestamp and "_".
_HOST_RE = re.compile(r"[^\s_,;+=]+")

# Ray Tune trial directories, Trial._generate_dirname() in ray/tune/experiment/trial.py:
#   f"{trainable_name}_{trial_id}_{experiment_tag}"[:TUNE_MAX_LEN_IDENTIFIER (130)]
#   + "_" + datetime.today().strftime("%Y-%m-%d_%H-%M-%S")
# with experiment_tag = f"{index}_{format_vars(config)}" ("k=v" joined by ",", floats
# as f"{v:.4f}") and trial_id = uuid1().hex[:5] + "_" + f"{count:05d}" from
# BasicVariantGenerator (other searchers: uuid4().hex[:8]).
_RAY_RE = re.compile(r"([^\s=,;+]+?)_([0-9a-fA-F]{5}_[0-9]{5}|[0-9a-fA-F]{8})_([0-9]+)(?:_|$)")
# Matched at len - 20 only, after _maybe_ray.
_RAY_END_RE = re.compile(r"_[0-9]{4}-[0-9]{2}-[0-9]{2}_[0-9]{2}-[0-9]{2}-[0-9]{2}$")
# The [:130] above cuts wherever it falls, so the text before the date of a name that
# reaches exactly this length may end in the middle of a key or value.
_RAY_CUT = 130

# Bracketed values: "=" then "[", "(" or "{" (Hydra list and dict overrides).
_CLOSERS = {"[": "]", "(": ")", "{": "}"}
_BRACKET_RE = re.compile(r"[\[\](){}]")
_VALUE_OPEN_RE = re.compile(r"=[\[({]")
# Each bracketed value stands in for the scan as one private-use character: not a
# word character (never part of a key), not a digit (never a number, timestamp or
# index word) and no separator, so the value reads as one plain string.
_HOLE = 0xE000
_HOLES = 0x1900
_HOLE_RE = re.compile("[\ue000-\uf8ff]")

# Run counters: stable-baselines3 logs repeated learn() calls into
# f"{tb_log_name}_{latest_run_id + 1}" (common/utils.py, configure_logger), where
# tb_log_name defaults to the algorithm's name: "PPO_1", "PPO_2". Lowercase, with
# its "_", to how the name is written (the label). A closed list, like the index
# words: "resnet_50", "vgg_16" or "exp_2" are labels, because a number after a
# word is as often part of a name as a counter; these names are only SB3's.
_COUNTED_LABELS = {
    f"{name.lower()}_": name
    for name in (
        *("A2C", "DDPG", "DQN", "PPO", "SAC", "TD3"),  # stable-baselines3
        *("ARS", "CrossQ", "MaskablePPO", "QRDQN", "RecurrentPPO", "TQC", "TRPO"),  # contrib
    )
}

# A whole segment that is a timestamp, maybe after words joined by "_" (the label):
# "run_2019_06_07-15_15_22", "train_fn_2019-06-07_15-15-22". The lookahead holds
# exactly what _TS_RE.match finds there (a lookahead does not backtrack), and no
# timestamp can start inside the words, so this is the first one.
_WORDS_TIME_RE = re.compile(
    rf"(?:(?P<words>[A-Za-z]+(?:_[A-Za-z]+)*)_)?(?=(?P<ts>{_TS_RE.pattern}))(?P=ts)"
)

# Stripped from free text where a timestamp or index word was cut out of it.
_EDGE = "._-"

_Params = list[tuple[str, Value]]
# A time, or a PyTorch time without its year: (its ISO text after the year,), such
# as ("-11-27_01:29:05",).
_Time = datetime.datetime | tuple[str] | None
_fromisoformat = datetime.datetime.fromisoformat


def _memo(maxsize: int):
    """Caches a one-argument function whose results are never None, like
    ``functools.lru_cache(maxsize)`` but cheaper: a dict that empties when full.

    The parse caches see mostly distinct keys (each run's own directory) among a few
    hot ones (shared parents, repeated ``key=value`` pairs). An LRU's bookkeeping on
    every call costs more than the occasional refill of a hot entry after a clear.
    Bounded in bytes too: it also empties once its keys hold ``256 × maxsize``
    characters (results grow with their key).
    """

    def decorate(fn):
        cache: dict = {}
        get = cache.get
        chars = [0]
        max_chars = 256 * maxsize

        @functools.wraps(fn)
        def cached(arg):
            result = get(arg)
            if result is None:
                if len(cache) >= maxsize or chars[0] > max_chars:
                    cache.clear()
                    chars[0] = 0
                chars[0] += len(arg)
                result = cache[arg] = fn(arg)
            return result

        def clear():
            cache.clear()
            chars[0] = 0

        cached.cache_clear = clear  # type: ignore[attr-defined]
        cached.cache_size = lambda: (len(cache), chars[0])  # type: ignore[attr-defined]
        return cached

    return decorate


def parse_value(text: str) -> Value:
    """Types one value the way a run name means it.

    Args:
        text: The value text, for example ``"32"``, ``"1e-3"`` or ``"adam"``.

    Returns:
        An ``int`` for integers (``32``, ``-1``, ``007``), a ``float`` for decimals,
        exponents, ``nan`` and ``inf``, a ``bool`` for ``true``/``false`` in any case,
        else the text itself.
    """
    m = _NUMBER_RE.fullmatch(text)
    if m is not None:
        if m.group("int") is not None:
            try:
                return int(text)
            except ValueError:  # more digits than int() will convert
                return text
        return float(text)
    if len(text) in (4, 5):
        low = text.lower()
        if low == "true":
            return True
        if low == "false":
            return False
    return text


def _is_closed(text: str) -> bool:
    # A typed value, so a weak separator after it ends it.
    return type(parse_value(text)) is not str


def _from_iso(text: str) -> datetime.datetime | None:
    """A datetime from ISO 8601 text; None for impossible dates and times."""
    try:
        return _fromisoformat(text)
    except ValueError:
        return None


def _find_time(seg: str, pos: int) -> tuple[re.Match[str] | None, int]:
    """The first ``_TS_RE`` match that starts at or after ``pos``, and its start.

    A PyTorch match starts three characters before ``Match.start()`` (its month).
    """
    m = _TS_RE.search(seg, pos)
    while m is not None:
        start = m.start()
        if m.lastgroup != "P":
            return m, start
        if start >= pos + 3:
            return m, start - 3
        # Its month is before pos. No other timestamp starts at this digit.
        m = _TS_RE.search(seg, start + 1)
    return None, -1


def _match_time(kind: str, t: str, m: re.Match[str]) -> _Time:
    """The time of timestamp text ``t`` in format ``kind`` (a ``_TS_RE`` group name), or
    None for an impossible one; ``m`` holds its fraction (group ``F``).

    A PyTorch time has no year: it comes as a 1-tuple of its ISO text after the year,
    checked as a moment in 2000 (a leap year, so only days no year has, such as Feb
    30, are impossible); :func:`_resolve_year` gives it its year.
    """
    # fromisoformat validates the calendar in C. It takes any character between the
    # date and the time, so str methods suffice to turn each format into its input.
    if kind == "G":  # 2019_06_07-15_15_22
        return _from_iso(t.replace("_", "-", 2).replace("_", ":"))
    if kind == "J":  # 2019-06-07_15-15-22 or 2019-06-07
        return _from_iso(":".join(t.rsplit("-", 2)) if len(t) > 10 else t)
    if kind == "T":  # 20190606-121212
        if _BASIC_ISO:
            return _from_iso(t)
        return _from_iso(f"{t[:4]}-{t[4:6]}-{t[6:8]}T{t[9:11]}:{t[11:13]}:{t[13:15]}")
    if kind == "P":  # Nov27_01-29-05
        text = f"-{_PYTORCH_DATE[t[:3].lower()]}{t[3:].replace('-', ':')}"
        return None if _from_iso(f"2000{text}") is None else (text,)
    # I: 2019-06-07T15:15:22.123+02:00 (the zone is dropped)
    dt = _from_iso(t[:19])
    fraction = m.group("F")
    if dt is not None and fraction:
        microsecond = int(fraction[:6].ljust(6, "0"))
        if microsecond:
            return dt.replace(microsecond=microsecond)
    return dt


def _resolve_year(text: str, now: datetime.datetime | None) -> datetime.datetime | None:
    """The time of a PyTorch name, whose ISO ``text`` lacks the year (see
    :func:`_match_time`): the most recent year in which that moment is not after
    ``now`` (default: the current local time; an aware ``now`` counts as its wall
    time). Feb 29 needs a leap year, at most 8 years back."""
    if now is None:
        now = datetime.datetime.now()
    elif now.tzinfo is not None:
        now = now.replace(tzinfo=None)
    for year in range(now.year, max(now.year - 9, 0), -1):
        dt = _from_iso(f"{year:04d}{text}")
        if dt is not None and dt <= now:
            return dt
    return None


def _free_text(text: str, params: _Params, labels: list[str]) -> None:
    """Index words and labels from text that holds no key=value pair."""
    if _INDEX_RE.search(text) is None:
        labels.append(text)
        return
    pos = 0
    for m in _INDEX_RE.finditer(text):
        try:
            value = int(m.group(2))
        except ValueError:  # too many digits to convert: leave it as text
            continue
        start, end = m.span()
        label = text[pos:start].rstrip(_EDGE)
        if pos:
            label = label.lstrip(_EDGE)
        if label:
            labels.append(label)
        params.append((m.group(1).lower(), value))
        pos = end
    tail = text[pos:].lstrip(_EDGE) if pos else text
    if tail:
        labels.append(tail)


def _positions(text: str, char: str, start: int, end: int) -> list[int]:
    """Indexes of ``char`` in ``text[start:end]`` (str.find runs in C)."""
    found = []
    i = text.find(char, start, end)
    while i >= 0:
        found.append(i)
        i = text.find(char, i + 1, end)
    return found


def _key_suffix_start(text: str) -> int:
    """Start of the longest run of key characters at the end of ``text``."""
    return len(text) - _KEYCHARS_RE.match(text[::-1]).end()  # type: ignore[union-attr]


def _last_word(text: str) -> str:
    """The last word of free text (words are split by ``_``, ``-`` and punctuation)."""
    return text[len(text) - _WORDCHARS_RE.match(text[::-1]).end() :]  # type: ignore[union-attr]


def _first_key_start(prefix: str) -> int:
    """Where the first key starts in ``prefix``, the text before a chunk's first ``=``.

    Returns -1 when no key fits. The text before the key is free text. A key starts
    at the chunk start, after a character that cannot be in a key, or after a
    ``_``. We take the leftmost start whose free text ends in a number, bool or index
    word (``seed_3_lr=0.1``, ``gpu-node-7_lr=0.1``, Ray's ``..._00003_3_bs=32``);
    else the leftmost start not right after a ``-``, because hyphens join free-text
    words (``bert-base-uncased_lr=2e-5``); else the leftmost one, the longest key
    (``batch_size=32``, ``resnet50_lr=0.1``, ``layer1_units=64``).
    """
    end = len(prefix)
    start = _key_suffix_start(prefix)
    candidates = [start] if start < end else []
    candidates += [j + 1 for j in _positions(prefix, "_", start, end - 1)]
    candidates = [p for p in candidates if _KEY_START_RE.match(prefix, p)]
    if not candidates:
        return -1
    for p in candidates:
        if p > 0:
            word = _last_word(prefix[: p - 1])
            if word and (_is_closed(word) or _INDEX_RE.fullmatch(word)):
                return p
    for p in candidates:
        if p == 0 or prefix[p - 1] != "-":
            return p
    return candidates[0]


def _value_key_split(region: str) -> int:
    """Index of the weak separator between a value and the next key, or -1.

    ``region`` is the text between one ``=`` and the next. The separator is the
    leftmost one that makes the value a number or bool, else the leftmost one that
    leaves a valid key (the longest key).
    """
    end = len(region)
    start = _key_suffix_start(region)
    candidates = []
    if start > 0 and region[start - 1] == "-":
        candidates.append(start - 1)
    candidates += _positions(region, "_", start, end - 1)
    candidates = [i for i in candidates if _KEY_START_RE.match(region, i + 1)]
    for i in candidates:
        if _is_closed(region[:i]):
            return i
    return candidates[0] if candidates else -1


def _kv_chunk(chunk: str, params: _Params, labels: list[str]) -> None:
    """Params (and leading free text) from a chunk that holds at least one ``=``."""
    eqs = _positions(chunk, "=", 0, len(chunk))
    # The first "=" with a key before it; an "=" before that is part of free text.
    first = next(
        (
            (n, eq, start)
            for n, eq in enumerate(eqs)
            if (start := _first_key_start(chunk[:eq])) >= 0
        ),
        None,
    )
    if first is None:
        _free_text(chunk, params, labels)
        return
    n, eq, key_start = first
    if key_start > 0:
        prefix = chunk[:key_start].rstrip("_-")
        if prefix:
            _free_text(prefix, params, labels)
    key = chunk[key_start:eq]
    value_start = eq + 1
    for eq in eqs[n + 1 :]:
        region = chunk[value_start:eq]
        sep = _value_key_split(region)
        if sep < 0:  # no key fits before this "=": it belongs to the value
            continue
        if sep:  # "lr=" carries nothing
            value = parse_value(region[:sep])
            params.append((key, value))
            key = region[sep + 1 :]
            if type(value) is not str:
                # "lr=0.1_seed_3_bs=32": an index word between a number and a key.
                while (m := _INDEX_PREFIX_RE.match(key)) is not None and len(m.group(2)) < 100:
                    params.append((m.group(1).lower(), int(m.group(2))))
                    key = key[m.end() :]
        else:
            key = region[1:]
        value_start = eq + 1
    text = chunk[value_start:]
    if not text:
        return
    value = parse_value(text)
    if type(value) is str:
        # "lr=0.1_seed_3": a weak separator ends a number when an index word follows.
        for m in _INDEX_RE.finditer(text):
            i = m.start() - 1
            if i > 0 and text[i] in "_-" and _is_closed(text[:i]):
                params.append((key, parse_value(text[:i])))
                _free_text(text[i + 1 :], params, labels)
                return
    params.append((key, value))


@_memo(16384)
def _chunk(chunk: str) -> tuple[tuple[tuple[str, Value], ...], tuple[str, ...]]:
    """Params and labels of one chunk (text between strong separators).

    Cached: a grid search writes the same ``key=value`` pairs into many run names.
    """
    params: _Params = []
    labels: list[str] = []
    if "=" in chunk:
        _kv_chunk(chunk, params, labels)
    else:
        _free_text(chunk, params, labels)
    return tuple(params), tuple(labels)


def _split_text(text: str) -> tuple[tuple[tuple[str, Value], ...], tuple[str, ...]]:
    """Params, index words and labels from text that holds no timestamp."""
    if _STRONG_NOT_COMMA_RE.search(text) is None:
        if "," not in text:
            return _chunk(text)
        chunks = text.split(",")  # empty chunks are skipped below
    elif "+" in text and _EXPONENT_PLUS_RE.search(text):
        chunks = _STRONG_EXACT_RE.split(text)
    else:
        chunks = _STRONG_RE.split(text)
    params: _Params = []
    labels: list[str] = []
    for chunk in chunks:
        if chunk:
            p, lab = _chunk(chunk)
            params += p
            labels += lab
    return tuple(params), tuple(labels)


# The text around timestamps: a PyTorch comment or Ray config ("bs=32,lr=0.0010").
_text = _memo(4096)(_split_text)


_Segment = tuple[tuple[tuple[str, Value], ...], tuple[str, ...], _Time]


def _maybe_ray(seg: str) -> bool:
    # Ray names end in "_%Y-%m-%d_%H-%M-%S" and are at least 32 characters long
    # (trainable, trial id, index and time: "t_0123abcd_0_" and 19): three tests
    # before any regex.
    return len(seg) >= 32 and seg[-9] == "_" and seg[-20] == "_"


def _plain_segment(seg: str) -> _Segment | None:
    """:func:`_read_segment` of a segment that is one index word or one timestamp after
    words ("version_12", "run_2019_06_07-15_15_22", "20190606-121212"), else None.

    Most distinct segments have one of these shapes; reading them takes a fraction of
    the general scan. Not for Ray Tune names (see :func:`_maybe_ray`).
    """
    head = seg.rstrip("0123456789")
    if len(head) <= 13 and 0 < len(seg) - len(head) <= 100:
        low = head.lower()
        key = _INDEX_HEADS.get(low)
        if key is not None:
            return ((key, int(seg[len(head) :])),), (), None
        # "PPO_1": an SB3 run counter (see _COUNTED_LABELS), written as str(n).
        if low in _COUNTED_LABELS and (seg[len(head)] != "0" or len(seg) == len(head) + 1):
            return (("run", int(seg[len(head) :])),), (head[:-1],), None
    m = _WORDS_TIME_RE.fullmatch(seg)
    if m is not None:
        t = m.group("ts")
        sep = t[4]  # tells the formats apart (a PyTorch time cannot follow "_")
        kind = "G" if sep == "_" else "T" if sep != "-" else "J" if t[13:14] != ":" else "I"
        when = _match_time(kind, t, m)
        if when is not None:
            words = m.group("words")
            return (), ((words,) if words else ()), when
    return None


# CleanRL: f"{args.env_id}__{args.exp_name}__{args.seed}__{int(time.time())}" (cleanrl/ppo.py and
# every single-file agent): four "__" fields, an integer seed and a 9-10 digit Unix time.
_CLEANRL_RE = re.compile(r"([^_].*?)__([^_].*?)__(-?[0-9]{1,18})__([0-9]{9,10})")
# The earliest Unix time read as a start time (2001-01-01), and slack after "now".
_UNIX_FROM = 978_307_200
_UNIX_SLACK = 86_400
# Whole-segment short timestamps: Tianshou's "%y%m%d-%H%M%S", torchtitan's "%Y%m%d-%H%M".
_SHORT_TS_RE = re.compile(r"([0-9]{2})([0-9]{2})([0-9]{2})-([0-9]{2})([0-9]{2})([0-9]{2})")
_MINUTE_TS_RE = re.compile(r"([0-9]{4})([0-9]{2})([0-9]{2})-([0-9]{2})([0-9]{2})")


def _cleanrl_segment(seg: str) -> _Segment | None:
    """:func:`_read_segment` of a CleanRL run name, else None."""
    m = _CLEANRL_RE.fullmatch(seg)
    if m is None:
        return None
    stamp = int(m.group(4))
    if not _UNIX_FROM <= stamp <= _time.time() + _UNIX_SLACK:
        return None
    when = datetime.datetime.fromtimestamp(stamp, datetime.timezone.utc).replace(tzinfo=None)
    return (("seed", int(m.group(3))),), (m.group(1), m.group(2)), when


def _short_time_segment(seg: str) -> _Segment | None:
    """:func:`_read_segment` of a whole-segment short timestamp, else None."""
    m = _SHORT_TS_RE.fullmatch(seg)
    if m is not None:
        y, mo, d, h, mi, s = m.groups()
        when = _from_iso(f"20{y}-{mo}-{d}T{h}:{mi}:{s}")
    else:
        m = _MINUTE_TS_RE.fullmatch(seg)
        if m is None:
            return None
        y, mo, d, h, mi = m.groups()
        when = _from_iso(f"{y}-{mo}-{d}T{h}:{mi}:00")
    return ((), (), when) if when is not None else None


def _read_segment(seg: str) -> _Segment:
    """Params, labels and first time of one ``/``-free segment, taken alone.

    The result is immutable and independent of ``now``: a PyTorch time keeps its year
    open (see :func:`_match_time`).
    """
    if len(seg) == 13 and seg[6:9].count("-") == 1:
        short = _short_time_segment(seg)
        if short is not None:
            return short
    if "__" in seg:
        cleanrl = _cleanrl_segment(seg)
        if cleanrl is not None:
            return cleanrl
    if _maybe_ray(seg) and _RAY_END_RE.match(seg, len(seg) - 20):
        ray = _RAY_RE.match(seg)
        if ray is not None:
            if len(seg) == _RAY_CUT + 20:
                seg = _ray_uncut(seg, ray.end())
            return _scan_segment(seg, ray)
    plain = _plain_segment(seg)
    if plain is not None:
        return plain
    if _INTERESTING_RE.search(seg) is None:
        return (), (seg,), None
    if "=" in seg:  # the only segments that may hold brackets or a counter
        if "=[" in seg or "=(" in seg or "={" in seg:
            return _bracketed_segment(seg)
        if seg.rstrip("0123456789").endswith(("_", "-")):
            return _counted_segment(seg)
    return _scan_segment(seg, None)


def _ray_uncut(seg: str, tag_start: int) -> str:
    """A Ray Tune name that reaches the cut length without its last config item.

    Ray joins the items with "," and cleans everything else out of keys and values
    (``_clean_value``), so the text after the last "," may be the start of a longer
    key or value: "weight_decay=0.00" from 0.0005, "weight_de", "opt=ada". It is
    dropped rather than read (never invent a value); a name whose items happen to
    end right at the cut loses its last one too, since nothing tells the two apart.
    Recorded hparams, when present, give the true values.
    """
    tag_end = len(seg) - 20
    if tag_start >= tag_end:  # no config items (the index took the date's "_")
        return seg
    comma = seg.rfind(",", tag_start, tag_end)
    return seg[: comma + 1 if comma >= 0 else tag_start] + seg[tag_end:]


def _counted_segment(seg: str) -> _Segment:
    """:func:`_scan_segment` of a segment holding "=", reading a run counter.

    A tool that appends ``_N`` or ``-N`` to a whole name after a numeric value
    (stable-baselines3's ``f"{tb_log_name}_{n}"`` with ``tb_log_name="lr=0.001"``)
    gives ``lr=0.001_1``: the value ``0.001`` and the repeat field ``run=1``. Only
    after a number (``opt=adam_1`` stays ``"adam_1"``), only at the end of the
    segment (``x=1_2_b=3`` keeps ``x="1_2"``), and only a counter as tools write
    it, ``str(n)`` with no leading zero (``x=2019-06`` stays text).
    """
    head = seg.rstrip("0123456789")
    count = len(seg) - len(head)
    if count and count <= 100 and head[-1:] in ("_", "-") and (count == 1 or seg[len(head)] != "0"):
        head = head[:-1]
        eq = head.rfind("=")
        if eq >= 0 and type(parse_value(head[eq + 1 :])) in (int, float):
            params, labels, when = _scan_segment(head, None)
            if params:
                key, value = params[-1]
                # The number is the last pair's value, not "=4" in "a=1,3=4" free text.
                if type(value) in (int, float) and head.endswith(key, 0, eq):
                    return (*params, ("run", int(seg[len(head) + 1 :]))), labels, when
    return _scan_segment(seg, None)


def _bracket_spans(seg: str) -> list[tuple[int, int]]:
    """Start and end of each balanced bracketed value (after an "=") in ``seg``.

    One pass over the brackets: a close that does not match the innermost open
    leaves every bracket still open unbalanced. An unbalanced value is plain text, so
    the usual separators end it: "x=[64,128" gives x="[64" and the label "128".
    """
    closes: dict[int, int] = {}
    stack: list[tuple[str, int]] = []
    for m in _BRACKET_RE.finditer(seg):
        c = m.group()
        i = m.start()
        closer = _CLOSERS.get(c)
        if closer is not None:
            stack.append((closer, i))
        elif stack and stack[-1][0] == c:
            closes[stack.pop()[1]] = i + 1
        else:
            stack.clear()
    spans: list[tuple[int, int]] = []
    end = 0
    for m in _VALUE_OPEN_RE.finditer(seg):
        start = m.start() + 1
        close = closes.get(start)
        if close is not None and start >= end and len(spans) < _HOLES:
            spans.append((start, close))
            end = close
    return spans


def _bracketed_segment(seg: str) -> _Segment:
    """:func:`_read_segment` of a segment holding a bracketed value.

    A value that opens "[", "(" or "{" runs to its matching close, whatever it holds
    (``model.layers=[64,128],seed=1``: Hydra writes list overrides so). Each such
    value stands in for the scan as one private-use character (see ``_HOLE``), which
    comes back as the value's text afterwards: the separators, timestamps and index
    words inside it are never read.
    """
    spans = _bracket_spans(seg)
    if not spans or _HOLE_RE.search(seg) is not None:
        return _counted_segment(seg)
    pieces: list[str] = []
    holes: dict[int, str] = {}
    pos = 0
    for n, (start, end) in enumerate(spans):
        pieces += seg[pos:start], chr(_HOLE + n)
        holes[_HOLE + n] = seg[start:end]
        pos = end
    pieces.append(seg[pos:])
    params, labels, when = _counted_segment("".join(pieces))
    params = tuple(
        (key, value.translate(holes) if type(value) is str else value) for key, value in params
    )
    return params, tuple(label.translate(holes) for label in labels), when


# Cached for directories: a log directory repeats them across runs (the root and
# experiment directories, Hydra dates).
_segment = _memo(16384)(_read_segment)


def _scan_segment(seg: str, ray: re.Match[str] | None) -> _Segment:
    """:func:`_read_segment` for any segment; ``ray`` is its Ray Tune prefix, if any."""
    params: _Params = []
    labels: list[str] = []
    first = None
    pos = 0
    if ray is not None:
        labels += ray.groups()
        pos = ray.end()
    m, start = _find_time(seg, pos)
    if m is None and not pos:
        return (*_split_text(seg), None)
    while m is not None:
        end = m.end()
        # "date=2019-06-07" is a value; an impossible date stays text.
        if (
            not (start and seg[start - 1] == "=")
            and (when := _match_time(m.lastgroup, seg[start:end], m)) is not None  # type: ignore[arg-type]
        ):
            piece = seg[pos:start].rstrip(_EDGE)
            if pos:
                piece = piece.lstrip(_EDGE)
            if piece:
                p, lab = _text(piece)
                params += p
                labels += lab
            if first is None:
                first = when
            pos = end
            if m.lastgroup == "P" and seg.startswith("_", end):
                host = _HOST_RE.match(seg, end + 1)
                if host is not None:
                    host_end = host.end()
                    if seg.startswith("=", host_end):
                        # The host ran into a comment key ("host-lr=0.1"): keys hold no "-".
                        host_end = seg.rfind("-", end + 1, host_end)
                    if host_end > end + 1:
                        labels.append(seg[end + 1 : host_end])
                        pos = host_end
        m, start = _find_time(seg, end)
    piece = seg[pos:].lstrip(_EDGE) if pos else seg
    if piece:
        p, lab = _text(piece)
        params += p
        labels += lab
    return tuple(params), tuple(labels), first


def _cache_clear() -> None:
    """Empties the parse caches (for benchmarks that must not time cache hits)."""
    _directory.cache_clear()
    _segment.cache_clear()
    _text.cache_clear()
    _chunk.cache_clear()


def _walk(segments: list[str]) -> tuple[dict[str, Value], list[str], _Time]:
    """Params, labels and first time of ``/``-free, non-empty segments, in order."""
    params: dict[str, Value] = {}
    labels: list[str] = []
    when = None
    i = 0
    count = len(segments)
    while i < count:
        seg = segments[i]
        i += 1
        date = _DATE_SEG_RE.fullmatch(seg) if len(seg) == 10 and i < count else None
        if date is not None and _CLOCK_SEG_RE.fullmatch(segments[i]):
            # Hydra: a date segment, then a time segment, then the job number.
            clock = segments[i]
            dt = _from_iso(f"{seg}T{clock[:2]}:{clock[3:5]}:{clock[6:]}")
            if dt is not None:
                i += 1
                if when is None:
                    when = dt
                if i < count and _JOB_SEG_RE.fullmatch(segments[i]):
                    params["job"] = int(segments[i])
                    i += 1
                continue
        seg_params, seg_labels, seg_time = _segment(seg)
        if seg_params:
            params.update(seg_params)
        if seg_labels:
            labels += seg_labels
        if when is None and seg_time is not None:
            when = seg_time
    return params, labels, when


def _separable(last: str) -> bool:
    """Whether a path reads as its parent directory's reading, then ``last``'s.

    Not when ``last`` is empty or "." (it is skipped), or when it may be a Hydra time
    or job number, which join the segments before it.
    """
    return bool(last) and last != "." and not (len(last) <= 9 and last[0] in "0123456789")


_NOTHING: _Segment = ((), (), None)


def _prefix(path: str) -> _Segment:
    """:func:`_read_segment` for a directory path, which may hold "/"."""
    if "/" in path:
        return _directory(path)
    return _segment(path) if path and path != "." else _NOTHING


@_memo(4096)
def _directory(path: str) -> _Segment:
    """:func:`_read_segment` for a directory path holding "/": params (a repeated key's
    last value wins), labels and first time of its segments.

    Cached: runs share parent directories, and a directory is read from its own
    parent's cached reading.
    """
    cut = path.rfind("/")
    last = path[cut + 1 :]
    if _separable(last):
        head = _prefix(path[:cut])
        tail = _segment(last)
        return head[0] + tail[0], head[1] + tail[1], tail[2] if head[2] is None else head[2]
    params, labels, when = _walk([s for s in path.split("/") if s and s != "."])
    return tuple(params.items()), tuple(labels), when


def _parse(name: str, now: datetime.datetime | None) -> RunName:
    # The common case: the last segment (before a split) after its parent directory,
    # both cached. _parse_any reads the others (see _separable).
    cut = name.rfind("/")
    last = name[cut + 1 :]
    # No string longer than "evaluation" lowers to a split name.
    split = _SPLITS.get(last.lower()) if len(last) <= 10 else None
    trial = name
    if split is not None:
        if cut <= 0:
            return _parse_any(name, now)
        trial = name[:cut]
        cut = trial.rfind("/")
        last = trial[cut + 1 :]
    if not _separable(last):
        return _parse_any(name, now)
    # A run's own directory is usually new: read it without the cache.
    params, labels, when = _read_segment(last)
    if cut >= 0:
        dir_params, dir_labels, dir_when = _prefix(trial[:cut])
        params = dir_params + params
        labels = dir_labels + labels
        if dir_when is not None:
            when = dir_when
    if type(when) is tuple:
        when = _resolve_year(when[0], now)
    return _run_name(name, trial, split, when, dict(params), labels)  # type: ignore[arg-type]


def _parse_any(name: str, now: datetime.datetime | None) -> RunName:
    """:func:`_parse` for any name."""
    segments = name.split("/")
    if "" in segments or "." in segments:
        segments = [s for s in segments if s and s != "."]
    split = None
    trial = name
    if segments:
        split = _SPLITS.get(segments[-1].lower())
        if split is not None:
            segments.pop()
            head = name.rstrip("/")
            cut = head.rfind("/")
            trial = (head[:cut].rstrip("/") if cut > 0 else "") or "."
    params, labels, when = _walk(segments)
    if type(when) is tuple:
        when = _resolve_year(when[0], now)
    return _run_name(name, trial, split, when, params, tuple(labels))  # type: ignore[arg-type]


def _parse_time(text: str, now: datetime.datetime | None) -> datetime.datetime | None:
    try:
        return datetime.datetime.fromisoformat(text).replace(tzinfo=None)
    except ValueError:
        return _parse(text, now).time


def parse_run_name(
    name: str,
    patterns: Sequence[re.Pattern[str]] = (),
    *,
    now: datetime.datetime | None = None,
) -> RunName:
    """Parses a TensorBoard run name into trial, split, time, params and labels.

    Total and pure: never raises on any string and does no I/O.

    Args:
        name: The run name, ``/``-separated; ``.`` is the log directory root.
        patterns: User patterns from :func:`compile_patterns`, searched in ``name``
            in order. Named groups become params (typed by :func:`parse_value`,
            empty matches ignored), a group named ``time`` becomes the time when it
            reads as ISO 8601 or any built-in timestamp, a group named ``trial`` the
            trial (the split is then the run's path below it), a group named ``split``
            the split (a known split word maps to its canonical name; a split that ends
            the name leaves the rest as the trial). Their results override the
            built-in conventions, and a later pattern overrides an earlier one.
        now: The reference moment for PyTorch names, which carry no year (default
            ``datetime.datetime.now()``). An aware ``now`` counts as its wall time.

    Returns:
        The parsed :class:`RunName`.
    """
    result = _parse(name, now)
    if not patterns:
        return result
    params = dict(result.params)
    when = result.time
    trial = result.trial
    split = result.split
    for pattern in patterns:
        m = pattern.search(name)
        if m is None:
            continue
        for key, text in m.groupdict().items():
            if not text:
                continue
            if key == "time":
                when = _parse_time(text, now) or when
            elif key == "trial":
                trial = text
                if "split" not in pattern.groupindex or not m.group("split"):
                    split = _split_below(name, text)
            elif key == "split":
                split = _SPLITS.get(text.lower(), text)
                if "trial" not in pattern.groupindex or not m.group("trial"):
                    trial = _trial_above(name, m.start("split"), m.end("split"), trial)
            else:
                params[key] = parse_value(text)
    return dataclasses.replace(result, trial=trial, split=split, time=when, params=params)


def _split_below(name: str, trial: str) -> str | None:
    """A pattern named the trial only: the split is the run's path below it, if any."""
    if name == trial or not name.startswith(trial + "/"):
        return None
    rest = name[len(trial) + 1 :]
    return _SPLITS.get(rest.lower(), rest)


def _trial_above(name: str, start: int, end: int, default: str) -> str:
    """A pattern named the split only: a split that ends the name leaves the rest as trial."""
    if end != len(name):
        return default
    return name[:start].rstrip("/_-. ") or "."


def compile_patterns(patterns: Iterable[str]) -> tuple[re.Pattern[str], ...]:
    """Compiles user run-name patterns, failing with one clear line.

    Args:
        patterns: Regular expressions, each with at least one named group
            (``(?P<name>...)``); a group named ``time`` captures a timestamp.

    Returns:
        The compiled patterns, in order.

    Raises:
        ValueError: ``invalid run-name pattern '<pattern>': <reason>`` for a pattern
            that is not a string, does not compile, or has no named group.
    """
    compiled = []
    for pattern in patterns:
        if not isinstance(pattern, str):
            raise ValueError(f"invalid run-name pattern {pattern!r}: not a string")
        try:
            regex = re.compile(pattern)
        except re.error as e:
            raise ValueError(f"invalid run-name pattern {pattern!r}: {e}") from None
        if not regex.groupindex:
            raise ValueError(
                f"invalid run-name pattern {pattern!r}: no named group, "
                "write (?P<key>...) for each field"
            )
        compiled.append(regex)
    return tuple(compiled)


_UNSAFE_STR_RE = re.compile(r"[\s/,;=+]")


def _render(key: str, value: object) -> tuple[str, Value]:
    """The text for one value, which :func:`parse_value` reads back exactly, and the
    plain value it reads back as (an ``IntEnum`` comes back as its ``int``)."""
    plain: Any
    if isinstance(value, bool):
        return ("true" if value else "false"), bool(value)
    if isinstance(value, int):
        plain = int(value)
        try:
            return int.__repr__(plain), plain
        except ValueError:  # beyond sys.get_int_max_str_digits()
            raise ValueError(f"get_run_logdir: parameter {key!r} has too many digits") from None
    if isinstance(value, float):
        plain = float(value)
        if not math.isfinite(plain):
            raise ValueError(f"get_run_logdir: parameter {key!r} is not finite: {value!r}")
        # repr() always shows "." or an exponent, so the float stays a float; "e+" loses
        # its "+" because "+" separates pairs in a name (and means space in URLs).
        return float.__repr__(plain).replace("e+", "e"), plain
    if isinstance(value, str):
        plain = str.__str__(value)
        if not plain:
            raise ValueError(f"get_run_logdir: parameter {key!r} is an empty string")
        if _UNSAFE_STR_RE.search(plain) or not plain.isprintable():
            raise ValueError(
                f"get_run_logdir: parameter {key!r}={value!r} holds '/', ',', ';', '=', "
                "'+', whitespace or a control character, which a run name cannot carry"
            )
        if type(parse_value(plain)) is not str:
            raise ValueError(
                f"get_run_logdir: parameter {key!r}={value!r} would read back as a number or bool"
            )
        return plain, plain
    raise ValueError(
        f"get_run_logdir: parameter {key!r} has type {type(value).__name__}; "
        "use int, float, bool or str"
    )


def _same(a: object, b: object) -> bool:
    return type(a) is type(b) and a == b


def parse_run_names(
    names: Iterable[str],
    patterns: Sequence[re.Pattern[str]] = (),
    *,
    now: datetime.datetime | None = None,
) -> list[RunName]:
    """Parses many run names at once: `parse_run_name` on each, in order.

    This is how the backend reads a whole experiment. Names are parsed in sorted
    order, so runs that share parent directories and conventions come one after
    another while their cached readings are hot (a third faster than a shuffled
    log directory's order). Parsing allocates many small objects that never form
    cycles, so the cyclic garbage collector is paused for the batch: its mid-batch
    passes cost about a tenth of the time and find nothing. PyTorch names, which
    carry no year, are all read against one ``now`` (default: the time of the call).
    """
    names = list(names)
    if now is None:  # one reference moment for the batch, read once
        now = datetime.datetime.now()
    results: list[RunName] = [None] * len(names)  # type: ignore[list-item]
    enabled = gc.isenabled()
    gc.disable()
    try:
        for i in sorted(range(len(names)), key=names.__getitem__):
            results[i] = parse_run_name(names[i], patterns, now=now)
    finally:
        if enabled:
            gc.enable()
    return results


def get_run_logdir(root_logdir: str = "my_logs", **params: Value) -> str:
    """Returns a new run directory name that carries ``params``.

    Without params: ``<root_logdir>/run_%Y_%m_%d-%H_%M_%S`` (the helper from
    *Hands-On Machine Learning*). With params:
    ``<root_logdir>/<k1=v1,k2=v2,...>/run_%Y_%m_%d-%H_%M_%S`` in the given order, and
    ``parse_run_name`` of it gives back exactly ``params`` (same values and types),
    as long as ``root_logdir`` itself holds nothing that parses as a param.

    Args:
        root_logdir: The TensorBoard log directory.
        **params: Values of type int, float, bool or str; keys are identifiers
            (a letter or ``_``, then letters, digits, ``_`` or ``.``).

    Returns:
        The path, joined with ``os.path.join``; nothing is created.

    Raises:
        ValueError: Naming the key, for a key that is not an identifier, a value of
            another type, a non-finite float, or a string that is empty, holds
            ``/ , ; = +`` or whitespace, would read back as a number or bool, or
            would otherwise not read back as itself.
    """
    stamp = _time.strftime("run_%Y_%m_%d-%H_%M_%S")
    if not params:
        return os.path.join(root_logdir, stamp)
    pairs = []
    expected: dict[str, Value] = {}
    for key, value in params.items():
        if not _KEY_RE.fullmatch(key):
            raise ValueError(
                f"get_run_logdir: key {key!r} is not an identifier (a letter or '_', "
                "then letters, digits, '_' or '.')"
            )
        text, plain = _render(key, value)
        pair = f"{key}={text}"
        # Reading each pair back catches what no rule above foresaw, such as a string
        # holding a timestamp ("a_2019-06-07") or "1_seed_3", or a key such as
        # "seed_3_lr" that reads as an index word and a shorter key.
        got = _parse(pair, None).params
        if len(got) != 1 or not _same(got.get(key), plain):
            raise ValueError(
                f"get_run_logdir: parameter {key!r}={value!r} would read back as {dict(got)!r}"
            )
        pairs.append(pair)
        expected[key] = plain
    segment = ",".join(pairs)
    got = _parse(segment, None).params
    for key, plain in expected.items():
        if not _same(got.get(key), plain):
            raise ValueError(f"get_run_logdir: parameter {key!r}={plain!r} would not read back")
    return os.path.join(root_logdir, segment, stamp)
