"""Text for a terminal: hostile characters shown escaped, columns aligned by display width.

A run name is any text a file system or a framework allows: ``ESC [ 2 J`` clears the
screen, a carriage return overwrites the line, a right-to-left override reverses what
follows, a newline splits a table row. `escape` shows each such character as Python
writes it in a string literal (``\\x1b``, ``\\r``, ``\\u202e``); everything else passes
unchanged. `width` counts terminal columns as wcwidth does: East Asian wide and
fullwidth characters (Unicode's ``East_Asian_Width`` W and F: ``大``) take two columns,
combining marks and zero-width characters none.
"""

from __future__ import annotations

import re
import unicodedata

# C0 and C1 controls, DEL, line and paragraph separators, and the bidirectional
# embeddings, overrides, isolates and marks (Unicode TR #9) that reorder what follows.
_HOSTILE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]"
)
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
# Zero-width characters that draw nothing (besides combining marks): ZWSP, ZWNJ, ZWJ,
# word joiner, BOM, soft hyphen.
_ZERO_WIDTH = frozenset("\u200b\u200c\u200d\u2060\ufeff\u00ad")


def _escaped(match: re.Match[str]) -> str:
    char = match.group(0)
    named = _NAMED.get(char)
    if named is not None:
        return named
    code = ord(char)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def escape(text: str, *, keep_newlines: bool = False) -> str:
    """`text` with control, line-separator and bidirectional-override characters escaped.

    Args:
      text: Any text (a run name, a field value, a message).
      keep_newlines: Leave ``\\n`` as it is (for output whose lines are records, as CSV).

    Returns:
      The text with each such character as its escape (``\\n``, ``\\x1b``, ``\\u202e``).
    """
    if keep_newlines:
        return _HOSTILE.sub(lambda m: "\n" if m.group(0) == "\n" else _escaped(m), text)
    return _HOSTILE.sub(_escaped, text)


def char_width(char: str) -> int:
    """Terminal columns of one character: 0, 1 or 2 (see the module docstring)."""
    if char in _ZERO_WIDTH or unicodedata.combining(char):
        return 0
    category = unicodedata.category(char)
    if category in ("Mn", "Me"):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def width(text: str) -> int:
    """Terminal columns `text` takes (after `escape`; controls are not measured)."""
    if text.isascii():
        return len(text)
    return sum(char_width(c) for c in text)


def ljust(text: str, columns: int) -> str:
    """`text` padded with spaces to `columns` display columns (`str.ljust` counts code points)."""
    return text + " " * max(columns - width(text), 0)
