"""In-process caches bounded in bytes as well as in entries.

`functools.lru_cache(maxsize)` bounds how many results it keeps, not how large they are:
64 bootstrap weight matrices of 10,000-run groups are 5 GB, 4,096 tag names of a megabyte
each 4 GB. Every cache in the package is one of

* `lru_cache(max_entries, max_bytes, sizeof)`: least recently used first out, once either
  bound is passed (the newest result is always kept: it was computed anyway);
* `short_keys(max_chars)` over a `functools.lru_cache`: a text key (the last argument) longer than `max_chars`
  are computed without the cache, so the cache holds at most ``maxsize × max_chars``
  characters of keys (and results of that order);
* its own class with both bounds (`backend.Memo`, `regexes`' compiled patterns).
"""

from __future__ import annotations

import collections
import functools
import threading
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

MAX_KEY_CHARS = 1024
"""Longest text key the `short_keys` caches keep."""


class LRU:
    """A thread-safe least-recently-used mapping bounded in entries and in bytes.

    Args:
      max_entries: Most entries kept.
      max_bytes: Most bytes kept, as `sizeof` counts them.
      sizeof: Bytes one `(key, value)` holds (an estimate: what grows with the input).
    """

    def __init__(self, max_entries: int, max_bytes: int, sizeof: Callable[[Any, Any], int]) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.bytes = 0
        self._sizeof = sizeof
        self._items: collections.OrderedDict[Hashable, tuple[Any, int]] = collections.OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, default: Any = None) -> Any:
        with self._lock:
            found = self._items.get(key)
            if found is None:
                return default
            self._items.move_to_end(key)
            return found[0]

    def put(self, key: Hashable, value: Any) -> None:
        size = int(self._sizeof(key, value))
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self.bytes -= old[1]
            self._items[key] = (value, size)
            self.bytes += size
            while len(self._items) > 1 and (
                len(self._items) > self.max_entries or self.bytes > self.max_bytes
            ):
                _, (_, dropped) = self._items.popitem(last=False)
                self.bytes -= dropped

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.bytes = 0

    def __len__(self) -> int:
        return len(self._items)


_MISSING = object()


def lru_cache(max_entries: int, max_bytes: int, sizeof: Callable[[Any], int]) -> Callable[[F], F]:
    """`functools.lru_cache` for positional hashable arguments, bounded in bytes too.

    Args:
      max_entries: Most results kept.
      max_bytes: Most bytes of results kept, as `sizeof(result)` counts them.
      sizeof: Bytes of one result.

    Returns:
      A decorator; the decorated function has ``cache`` (its `LRU`) and ``cache_clear``.
    """

    def decorate(fn: F) -> F:
        cache = LRU(max_entries, max_bytes, lambda _key, value: sizeof(value))

        @functools.wraps(fn)
        def cached(*args: Any) -> Any:
            found = cache.get(args, _MISSING)
            if found is _MISSING:
                found = fn(*args)
                cache.put(args, found)
            return found

        cached.cache = cache  # type: ignore[attr-defined]
        cached.cache_clear = cache.clear  # type: ignore[attr-defined]
        return cached  # type: ignore[return-value]

    return decorate


def short_keys(max_chars: int = MAX_KEY_CHARS) -> Callable[[F], F]:
    """Routes calls whose last (text) argument is longer than `max_chars` around the cache.

    Put it above a ``functools.lru_cache``: the cache then holds at most ``maxsize`` keys
    of at most `max_chars` characters each.
    """

    def decorate(fn: F) -> F:
        uncached = fn.__wrapped__  # type: ignore[attr-defined]

        @functools.wraps(fn)
        def route(*args: Any) -> Any:
            if len(args[-1]) > max_chars:
                return uncached(*args)
            return fn(*args)

        route.cache_clear = fn.cache_clear  # type: ignore[attr-defined]
        route.cache_info = fn.cache_info  # type: ignore[attr-defined]
        return route  # type: ignore[return-value]

    return decorate
