"""Client regexes: compiled with RE2, bounded in program size, memory and matching time.

RE2 (`google-re2`) matches in time linear in the text, but the constant is the compiled
program: ``(?:.?.?…){1,999}X`` (92 characters) compiles to ~360,000 instructions, and when
its DFA overflows RE2 simulates every instruction at every character (~30 ms per
60-character run name). So a client's pattern is

* compiled first with `PROBE_MAX_MEM` (a huge program fails fast instead of costing a
  third of a second to build) and refused when its program is over `MAX_PROGRAM_SIZE`
  instructions (``.{1,1000}`` is 9,003; a 1,000-character alternation of run names about
  1,100);
* compiled with ``never_capture`` (only whether it matches is used, so RE2 never runs its
  slower submatch engines) and `MAX_MEM` bytes (RE2's default, room for its DFA);
* kept compiled in one process-wide least-recently-used cache of at most `CACHE_BYTES`,
  each entry charged `MAX_MEM` (what RE2 may allocate for it) plus its text, instead of
  google-re2's own module cache (the last 128 patterns, each up to 8 MiB);
* matched under a budget: filtering one request's trials stops with a 400 once it has used
  `MATCH_CPU_SECONDS` of the thread's CPU time (`filter_units`).

`Pattern` holds only the text, so answers memoised on a query keep no compiled program.
"""

from __future__ import annotations

import collections
import dataclasses
import threading
import time
from collections.abc import Iterable
from typing import Any

from tensorboard import errors

MAX_PROGRAM_SIZE = 10_000
"""RE2 instructions a client's pattern may compile to (`re2` ``programsize``)."""

PROBE_MAX_MEM = 1 << 20
"""Bytes RE2 may use for the first compile, which only measures the program."""

MAX_MEM = 8 << 20
"""Bytes RE2 may use for a kept pattern: program, reverse program and DFA states."""

CACHE_BYTES = 32 << 20
"""Bytes the compiled-pattern cache may hold, each entry charged `MAX_MEM` + its text (4 patterns)."""

MATCH_CPU_SECONDS = 1.0
"""CPU seconds one request's filtering may spend before it is refused (`filter_units`)."""


class PatternError(ValueError):
    """A pattern RE2 refuses or that is over a bound; the message says which."""


def _options(max_mem: int) -> Any:
    import re2

    options = re2.Options()
    options.log_errors = False
    options.max_mem = max_mem
    options.never_capture = True
    return options


def _new(pattern: str, max_mem: int) -> Any:
    """A compiled RE2 pattern that google-re2's module cache does not keep."""
    import re2

    make = getattr(re2, "_Regexp", None)
    try:
        if make is not None:
            return make(pattern, _options(max_mem))
        compiled = re2.compile(pattern, _options(max_mem))  # pragma: no cover
        re2.purge()  # pragma: no cover
        return compiled  # pragma: no cover
    except (re2.error, ValueError, TypeError, OverflowError, RecursionError) as e:
        detail = e.args[0] if e.args else type(e).__name__
        if isinstance(detail, bytes):
            detail = detail.decode("utf-8", "replace")
        if "pattern too large" in str(detail):
            detail = (
                f"its RE2 program is larger than {MAX_PROGRAM_SIZE:,} instructions "
                "(a repetition of a repetition, or a long repetition of optional parts); "
                "write it without nested counts"
            )
        raise PatternError(str(detail)) from None


class _Cache:
    """Compiled patterns by text, least recently used first, bounded in bytes."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.bytes = 0
        self._items: collections.OrderedDict[str, Any] = collections.OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def cost(pattern: str) -> int:
        return MAX_MEM + 4 * len(pattern)

    def get(self, pattern: str) -> Any:
        with self._lock:
            found = self._items.get(pattern)
            if found is not None:
                self._items.move_to_end(pattern)
            return found

    def put(self, pattern: str, compiled: Any) -> None:
        with self._lock:
            if pattern in self._items:
                return
            self._items[pattern] = compiled
            self.bytes += self.cost(pattern)
            while self.bytes > self.max_bytes and len(self._items) > 1:
                old, _ = self._items.popitem(last=False)
                self.bytes -= self.cost(old)

    def __len__(self) -> int:
        return len(self._items)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.bytes = 0


_CACHE = _Cache(CACHE_BYTES)


def _compiled(pattern: str) -> Any:
    found = _CACHE.get(pattern)
    if found is not None:
        return found
    size = _new(pattern, PROBE_MAX_MEM).programsize
    if size > MAX_PROGRAM_SIZE:
        raise PatternError(
            f"its RE2 program has {size:,} instructions, more than {MAX_PROGRAM_SIZE:,} "
            "(a repetition of a repetition, or a long repetition of optional parts, "
            "which would take seconds per thousand runs); write it without nested counts"
        )
    compiled = _new(pattern, MAX_MEM)
    _CACHE.put(pattern, compiled)
    return compiled


@dataclasses.dataclass(frozen=True)
class Pattern:
    """A client's regex, searched with RE2 (`compile_pattern`); equal and hashed by its text.

    Attributes:
      pattern: The regex as the client sent it.
    """

    pattern: str

    def search(self, text: str) -> bool:
        """Tells whether the pattern occurs anywhere in `text` (unanchored)."""
        return _compiled(self.pattern).search(text) is not None

    @property
    def programsize(self) -> int:
        """RE2 instructions of the compiled pattern (at most `MAX_PROGRAM_SIZE`)."""
        return int(_compiled(self.pattern).programsize)


def compile_pattern(pattern: str) -> Pattern:
    """Compiles a client's regex with RE2, refusing one whose program is too large.

    Args:
      pattern: RE2 syntax (Python's `re` without back-references and look-around).

    Returns:
      A `Pattern` (the compiled program is kept in a cache of at most `CACHE_BYTES` and
      compiled again if evicted).

    Raises:
      PatternError: RE2 rejects the pattern, or its program is over `MAX_PROGRAM_SIZE`
        instructions.
    """
    _compiled(pattern)
    return Pattern(pattern)


def filter_units(where: Any, units: Iterable[Any], argument: str = "regex") -> list[Any]:
    """The units `where.matches`, refusing when matching costs over `MATCH_CPU_SECONDS`.

    Args:
      where: A `backend.Filter`.
      units: `grouping.Unit`s.
      argument: The query argument to name in the error.

    Returns:
      The units that pass, in order.

    Raises:
      errors.InvalidArgumentError: filtering used more than `MATCH_CPU_SECONDS` of this
        thread's CPU time (RE2 releases the GIL while matching, so other requests answer
        meanwhile; the thread's own CPU time does not count time spent waiting for a core).
    """
    if where.regex is None:
        return [u for u in units if where.matches(u)]
    units = list(units)
    started = time.thread_time()
    found = []
    for i, unit in enumerate(units):
        if where.matches(unit):
            found.append(unit)
        if i % 16 == 15 and time.thread_time() - started > MATCH_CPU_SECONDS:
            raise errors.InvalidArgumentError(
                f"argument {argument!r}: matching {where.regex.pattern[:100]!r} took more than "
                f"{MATCH_CPU_SECONDS:g} s of CPU after {i + 1:,} of {len(units):,} trials; "
                "simplify the pattern"
            )
    return found
