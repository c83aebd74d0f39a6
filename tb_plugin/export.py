"""Tables of a `/groups` answer: terminal text, CSV, Markdown and LaTeX (booktabs).

One definition of the exported columns and of the paper table, used by ``tb-rungroups ls``
and by the ``/export`` route that the tab's export and "Copy as Markdown/LaTeX" call, so the
tab's files and the CLI's have the same columns and values for the same view. Pure: a
`/groups` answer (as `tb_plugin.answers.groups` returns it) in, text out.

Columns (`columns`): the grouping fields (``param.`` dropped from the name), ``runs``,
then per metric block, prefixed ``<metric> [<split>, <reduction>]``: ``n``, ``mean``,
``ci_low``, ``ci_high``, ``std``, ``sem``, ``median``, ``iqm``, ``min``, ``max``,
``best_run``, ``best_value``, and with a baseline ``delta``, ``delta_ci_low``,
``delta_ci_high``, ``p_value``, ``p_holm``, ``prob_improvement``, ``warning``, and for a
`/groups` answer of SPEC §5c ``power``, ``seeds_needed``, ``power_note`` (with ``paired``
also ``n_pairs``, ``paired_delta``, ``paired_ci_low``, ``paired_ci_high``, ``paired_p``,
``wilcoxon_p``); such an answer ends each row with the group's ``finished``, ``running``,
``provisional`` and ``excluded``. The interval (method and level) is named in the
``ci_low``/``ci_high`` headers. Numbers are written in
full precision (`repr`), non-finite ones as ``nan``/``inf``/``-inf``, missing ones empty.

CSV cells that a spreadsheet would run as a formula are neutralised (`csv_cell`): every cell
that is not a number and starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
gets a leading ``'`` (OWASP's advice for CSV injection). The tab's own CSV writer
(``frontend/group.js``: ``toCsv``) follows the same rule.

The paper table (`to_markdown`, `to_latex`) has one row per group: its field values, and
per metric ``mean ± half-width (n=N)`` of the answer's interval (``mean [low, high]`` for a
percentile bootstrap, which need not be symmetric; ``mean (n=1)`` for one run), rounded to
the digits the interval supports: the half-width to two significant digits and the mean to
the same decimal place. The best group per metric (by its goal) is in bold. A caption line
names metric, split, reduction, interval and the number of runs per group, then how many
runs were excluded and why (when an exclusion was asked), that the numbers are provisional
while runs are still running, and that comparisons are paired by seed.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Callable, Mapping
from typing import Any

from tb_plugin import answers, queries

FORMATS = queries.EXPORT_FORMATS
"""What `/export` and ``tb-rungroups ls`` write besides the terminal table."""

CONTENT_TYPES = {
    "csv": "text/csv",
    "json": "application/json",
    "markdown": "text/markdown; charset=utf-8",
    "latex": "application/x-latex; charset=utf-8",
}
"""The `/export` route's content type per format (TensorBoard adds ``charset=utf-8`` to
the types it knows as text, CSV and JSON; Markdown and LaTeX say theirs here)."""

_STAT_COLUMNS = (
    ("n", "count"),
    ("mean", "mean"),
    ("ci_low", "ci_low"),
    ("ci_high", "ci_high"),
    ("std", "std"),
    ("sem", "sem"),
    ("median", "median"),
    ("iqm", "iqm"),
    ("min", "min"),
    ("max", "max"),
    ("best_run", "best_run"),
    ("best_value", "best_value"),
)
_COMPARE_COLUMNS = (
    "delta",
    "delta_ci_low",
    "delta_ci_high",
    "p_value",
    "p_holm",
    "prob_improvement",
    "warning",
)

# A whole cell that is a number (as JSON or Python would write one).
_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|[-+]?(?:inf|nan)", re.IGNORECASE)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def short_field(field: str) -> str:
    """A field id as a column name: ``param.lr`` is ``lr``; other families keep their prefix."""
    return field.split(".", 1)[1] if field.startswith("param.") else field


def number(value: Any) -> float | None:
    """The float of a JSON number or of TensorBoard's ``"NaN"``/``"Infinity"`` strings, else None."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    if value in ("NaN", "Infinity", "-Infinity"):
        return float(value.replace("Infinity", "inf"))
    return None


def block_name(block: dict[str, Any]) -> str:
    """``epoch_loss [validation, last]``: a metric block's column prefix."""
    reduction = block["reduction"]
    if block.get("k") is not None:
        reduction = f"{reduction} k={block['k']}"
    return f"{block['metric']} [{block.get('split') or 'no split'}, {reduction}]"


def _interval_name(answer: dict[str, Any]) -> str:
    ci = answer.get("ci") or {"method": "t", "level": 0.95}
    method = "Student t" if ci["method"] == "t" else "percentile bootstrap"
    return f"{ci['level'] * 100:g}% CI, {method}"


def columns(answer: dict[str, Any]) -> list[str]:
    """The exported column names of an answer, in order."""
    out = [short_field(f) for f in answer.get("by") or []] or ["group"]
    out.append("runs")
    interval = _interval_name(answer)
    for block in answer.get("metrics") or []:
        prefix = block_name(block)
        for name, _ in _STAT_COLUMNS:
            suffix = f"{name} ({interval})" if name in ("ci_low", "ci_high") else name
            out.append(f"{prefix} {suffix}")
        if answer.get("baseline") is not None:
            out.extend(f"{prefix} {name}" for name in _COMPARE_COLUMNS)
            out.extend(f"{prefix} {name}" for name in _seeds_compare_columns(answer))
    out.extend(_seeds_group_columns(answer))
    return out


def rows(answer: dict[str, Any]) -> list[list[Any]]:
    """One list of plain values per group, matching `columns` (None for a missing value)."""
    out = []
    by = answer.get("by") or []
    with_baseline = answer.get("baseline") is not None
    for group in answer.get("groups") or []:
        row: list[Any] = list(group["values"]) if by else [group["label"]]
        row.append(group["size"])
        for entry in group.get("metrics") or []:
            stats = entry.get("stats") or {}
            row.extend(stats.get(key) for _, key in _STAT_COLUMNS)
            if with_baseline:
                compare = entry.get("compare") or {}
                row.extend(compare.get(key) for key in _COMPARE_COLUMNS)
                row.extend(compare.get(key) for key in _seeds_compare_columns(answer))
        row.extend(group.get(key) for key in _seeds_group_columns(answer))
        out.append(row)
    return out


def csv_cell(value: Any) -> str:
    """One value as CSV text: full-precision numbers, and text no spreadsheet runs as a formula."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    as_number = number(value)
    if as_number is not None:
        if isinstance(value, int):
            return str(value)
        return repr(as_number)
    text = str(value)
    if text.startswith(_FORMULA_START) and not _NUMBER.fullmatch(text):
        text = "'" + text
    return text


def to_csv(answer: dict[str, Any]) -> str:
    """The answer as CSV (RFC 4180, CRLF line ends): `columns`, then `rows`."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([csv_cell(c) for c in columns(answer)])
    writer.writerows([[csv_cell(c) for c in row] for row in rows(answer)])
    return buffer.getvalue()


# --- the paper table --------------------------------------------------------------------------


def _decimals(spread: float) -> int:
    """Decimal places that show two significant digits of ``spread``."""
    if not math.isfinite(spread) or spread <= 0:
        return 4
    return max(0, 1 - math.floor(math.log10(spread)))


def _fixed(value: float, decimals: int) -> str:
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return f"{value:.{decimals}f}"


def paper_cell(stats: dict[str, Any] | None, method: str) -> tuple[str, str, str]:
    """A group's `(mean, spread, n)` texts for the paper table, rounded as the interval allows.

    `spread` is ``± h`` for a symmetric interval, ``[low, high]`` for a bootstrap, or empty
    for one run (no interval).
    """
    if not stats or not stats.get("count"):
        return ("–", "", "n=0")
    n = int(stats["count"])
    mean = number(stats.get("mean"))
    low, high = number(stats.get("ci_low")), number(stats.get("ci_high"))
    if mean is None:
        return ("–", "", f"n={n}")
    if low is None or high is None:
        return (f"{mean:.4g}", "", f"n={n}")
    half = (high - low) / 2
    decimals = _decimals(half if method == "t" else min(mean - low, high - mean) or half)
    if method == "t":
        spread = f"± {_fixed(half, decimals)}"
    else:
        spread = f"[{_fixed(low, decimals)}, {_fixed(high, decimals)}]"
    return (_fixed(mean, decimals), spread, f"n={n}")


def _best_groups(answer: dict[str, Any]) -> list[int | None]:
    """Per metric block, the index of the group with the best mean (by its goal), or None."""
    out: list[int | None] = []
    for m, block in enumerate(answer.get("metrics") or []):
        best: tuple[float, int] | None = None
        for i, group in enumerate(answer.get("groups") or []):
            stats = group["metrics"][m]["stats"] or {}
            mean = number(stats.get("mean"))
            if mean is None or math.isnan(mean):
                continue
            key = mean if block["goal"] == "min" else -mean
            if best is None or key < best[0]:
                best = (key, i)
        out.append(best[1] if best else None)
    return out


def caption(answer: dict[str, Any], *, bold: bool = True) -> str:
    """One line saying what the paper table shows (`bold`: it marks the best groups in bold)."""
    ci = answer.get("ci") or {"method": "t", "level": 0.95}
    parts = []
    for block in answer.get("metrics") or []:
        best = "lower" if block["goal"] == "min" else "higher"
        parts.append(
            f"{block['metric']} ({block.get('split') or 'no split'}, {block['reduction']}"
            + (f", k={block['k']}" if block.get("k") is not None else "")
            + f"; {best} is better)"
        )
    sizes = sorted({g["size"] for g in answer.get("groups") or []})
    runs = (
        f"{sizes[0]} runs per group"
        if len(sizes) == 1
        else f"{sizes[0]}–{sizes[-1]} runs per group"
        if sizes
        else "no runs"
    )
    interval = (
        "mean ± half-width of the " if ci["method"] == "t" else "mean [interval] of the "
    ) + _interval_name(answer)
    text = f"{'; '.join(parts) or 'no metric'}: {interval}; n = runs with a value ({runs})"
    for words in _seeds_words(answer):
        text += f"; {words}"
    return text + ("; best group in bold." if bold else ".")


# --- SPEC §5c: live groups, excluded runs, the seeds planner and paired seeds -----------------

_SEEDS_GROUP_COLUMNS = ("finished", "running", "provisional", "excluded")
_PLAN_COLUMNS = ("power", "seeds_needed", "power_note")
_PAIRED_COLUMNS = (
    "n_pairs",
    "paired_delta",
    "paired_ci_low",
    "paired_ci_high",
    "paired_p",
    "wilcoxon_p",
)


def _seeds_group_columns(answer: dict[str, Any]) -> tuple[str, ...]:
    """A group's live and excluded counts: exported when the answer has them (`/groups` of
    SPEC §5c), so that older answers export as before."""
    return _SEEDS_GROUP_COLUMNS if "provisional" in answer else ()


def _seeds_compare_columns(answer: dict[str, Any]) -> tuple[str, ...]:
    """Per comparison the planner's columns and, for a paired answer, the paired test's."""
    if "plan" not in answer:
        return ()
    return _PLAN_COLUMNS + (_PAIRED_COLUMNS if answer.get("paired") else ())


def _seeds_words(answer: dict[str, Any]) -> list[str]:
    """What a caption says of SPEC §5c: the runs excluded and why (whenever an exclusion was
    asked, even of none), provisional groups, and a paired comparison's pairing."""
    from tb_plugin import seeds

    out = []
    excluded = seeds.excluded_words(answer.get("excluded"))
    if excluded:
        out.append(excluded)
    live = seeds.live_words(answer.get("groups") or [])
    if live:
        out.append(live)
    if answer.get("paired") and answer.get("baseline") is not None:
        out.append("comparisons paired by seed")
    return out


def _paper_rows(answer: dict[str, Any]) -> tuple[list[str], list[list[str]], list[list[bool]]]:
    by = answer.get("by") or []
    head = [short_field(f) for f in by] or ["group"]
    head += [block["metric"] for block in answer.get("metrics") or []]
    method = (answer.get("ci") or {}).get("method", "t")
    best = _best_groups(answer)
    body, bold = [], []
    for i, group in enumerate(answer.get("groups") or []):
        cells = [_value_text(v) for v in group["values"]] if by else [group["label"]]
        marks = [False] * len(cells)
        for m, entry in enumerate(group.get("metrics") or []):
            mean, spread, n = paper_cell(entry.get("stats"), method)
            cells.append(" ".join(part for part in (mean, spread, f"({n})") if part))
            marks.append(best[m] == i)
        body.append(cells)
        bold.append(marks)
    return head, body, bold


def _value_text(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# Characters that start Markdown markup anywhere in a line: backslash-escaped (CommonMark
# and Python-Markdown both read ``\\`` + punctuation as the character itself).
_MARKDOWN_ESCAPED = re.compile(r"[\\`*|\[\]]|(?<=\])\(")
# ``_`` opens emphasis only beside a non-alphanumeric character (``epoch_loss`` stays).
_MARKDOWN_UNDERSCORE = re.compile(r"(?<!\w)_|_(?!\w)|(?<=_)_")
# As entities: ``<`` and ``>`` (Python-Markdown passes ``\\<tag>`` on as HTML), ``~`` (GFM
# strikethrough and fences; Python-Markdown shows ``\\~`` as is), and an ``&`` that would
# start an entity.
_MARKDOWN_HTML = {"<": "&lt;", ">": "&gt;", "~": "&#126;"}
_MARKDOWN_ENTITY = re.compile(r"&(?=#?\w+;)")
# What makes a line a heading, quote, list item or rule when it starts it (the caption line).
_MARKDOWN_LINE_START = re.compile(r"^(\s*|\s*\d+)((?<=\d)[.)](?=\s|$)|(?<!\d)[#>+-])")
_MARKDOWN_SPACES = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")


def markdown_text(text: str, *, line_start: bool = False) -> str:
    """Escapes text so Markdown shows it as the text it is, inside a table cell or a line.

    Escaped: backslash, backticks, ``*``, ``|``, brackets and a ``(`` right after ``]``
    (links, images, ``javascript:`` targets), ``_`` where it could open or close
    emphasis; ``<``, ``>`` and ``~`` as ``&lt;``, ``&gt;``, ``&#126;`` (no HTML tag, autolink
    or strikethrough), an ``&`` that would start an entity; with `line_start` a leading
    ``#``, ``>``, ``+``, ``-`` or ``1.`` (headings, quotes, lists, rules). Control characters and line
    breaks become spaces. Checked with CommonMark (markdown-it-py) and Python-Markdown.
    """
    text = _MARKDOWN_SPACES.sub(" ", text)
    text = _MARKDOWN_ENTITY.sub("&amp;", text)
    text = _MARKDOWN_ESCAPED.sub(lambda m: "\\" + m.group(0), text)
    text = _MARKDOWN_UNDERSCORE.sub(r"\\_", text)
    text = "".join(_MARKDOWN_HTML.get(c, c) for c in text)
    if line_start:
        text = _MARKDOWN_LINE_START.sub(lambda m: m.group(1) + "\\" + m.group(2), text, count=1)
    return text


_markdown_text = markdown_text


def to_markdown(answer: dict[str, Any]) -> str:
    """The paper table as a GitHub-flavoured Markdown table with a caption line."""
    head, body, bold = _paper_rows(answer)
    n_fields = len(head) - len(answer.get("metrics") or [])
    return markdown_table(head, body, bold, n_fields, caption(answer))


def markdown_table(
    head: list[str], body: list[list[str]], bold: list[list[bool]], n_left: int, caption_text: str
) -> str:
    """A Markdown table (the first `n_left` columns left-aligned, the rest right), marked
    cells in bold, then the caption line."""
    lines = [
        "| " + " | ".join(_markdown_text(h) for h in head) + " |",
        "| " + " | ".join(["---"] * n_left + ["---:"] * (len(head) - n_left)) + " |",
    ]
    for cells, marks in zip(body, bold, strict=True):
        shown = [
            f"**{_markdown_text(c)}**" if mark else _markdown_text(c)
            for c, mark in zip(cells, marks, strict=True)
        ]
        lines.append("| " + " | ".join(shown) + " |")
    return "\n".join(lines) + f"\n\n{markdown_text(caption_text, line_start=True)}\n"


_LATEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "\n": " ",
    "\r": " ",
}


def latex_text(text: str) -> str:
    """Escapes text for LaTeX (every special character; ``–`` and ``±`` made commands)."""
    out = "".join(_LATEX_SPECIAL.get(c, c) for c in text)
    return out.replace("±", r"$\pm$").replace("–", "--")


def to_latex(answer: dict[str, Any]) -> str:
    """The paper table as a LaTeX ``table`` with a booktabs ``tabular`` and a caption."""
    head, body, bold = _paper_rows(answer)
    n_fields = len(head) - len(answer.get("metrics") or [])
    return latex_table(head, body, bold, n_fields, caption(answer))


def latex_table(
    head: list[str], body: list[list[str]], bold: list[list[bool]], n_left: int, caption_text: str
) -> str:
    """A LaTeX ``table`` with a booktabs ``tabular`` (`n_left` columns ``l``, the rest
    ``r``), marked cells in ``\\textbf``, every text escaped (`latex_text`)."""
    lines = [
        r"\begin{table}",
        r"  \centering",
        r"  \caption{" + latex_text(caption_text) + "}",
        r"  \begin{tabular}{" + "l" * n_left + "r" * (len(head) - n_left) + "}",
        r"    \toprule",
        "    " + " & ".join(latex_text(h) for h in head) + r" \\",
        r"    \midrule",
    ]
    for cells, marks in zip(body, bold, strict=True):
        shown = [
            r"\textbf{" + latex_text(c) + "}" if mark else latex_text(c)
            for c, mark in zip(cells, marks, strict=True)
        ]
        lines.append("    " + " & ".join(shown) + r" \\")
    lines += [r"    \bottomrule", r"  \end{tabular}", r"\end{table}"]
    return "\n".join(lines) + "\n"


def render(answer: dict[str, Any], fmt: str) -> str:
    """The answer in one of `FORMATS` (``json`` is the answer itself, as `answers.encode` writes it)."""
    if fmt == "csv":
        return to_csv(answer)
    if fmt == "markdown":
        return to_markdown(answer)
    if fmt == "latex":
        return to_latex(answer)
    if fmt == "json":
        return answers.encode(answer) + "\n"
    raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")


def render_with(
    answer: dict[str, Any], fmt: str, writers: Mapping[str, Callable[[dict[str, Any]], str]]
) -> str:
    """`answer` in format `fmt`: ``json`` as the route sends it, else `writers[fmt]`'s text.

    Raises:
      ValueError: `fmt` is neither ``json`` nor one of `writers`.
    """
    if fmt == "json":
        return answers.encode(answer) + "\n"
    if fmt not in writers:
        known = ", ".join(["json", *writers])
        raise ValueError(f"unknown format {fmt!r}; expected one of {known}")
    return writers[fmt](answer)


def terminal_table(answer: dict[str, Any]) -> str:
    """The groups as aligned text for a terminal (``tb-rungroups ls``' default format).

    Control characters, line breaks and bidirectional overrides in names are shown escaped
    (`terminal.escape`), and columns are aligned by display width (`terminal.width`: ``大``
    takes two columns), not by code points.
    """
    from tb_plugin import terminal

    head, body, _ = _paper_rows(answer)
    n_metrics = len(answer.get("metrics") or [])
    n_fields = len(head) - n_metrics
    found = answer.get("groups") or []
    head = [*head[:n_fields], "runs", *head[n_fields:]]
    table = [
        [*cells[:n_fields], str(group["size"]), *cells[n_fields:]]
        for group, cells in zip(found, body, strict=True)
    ]
    if n_metrics:
        head.append("best run")
        for group, cells in zip(found, table, strict=True):
            cells.append(str((group.get("stats") or {}).get("best_run") or ""))
    lines = aligned_lines(head, table)
    trials = sum(g["size"] for g in found)
    summary = f"{trials} trial{'s' if trials != 1 else ''} in {len(found)} group"
    summary += "s" if len(found) != 1 else ""
    if n_metrics:
        summary += "; " + terminal.escape(caption(answer, bold=False))
    return "\n".join([*lines, summary]) + "\n"


def aligned_lines(head: list[str], rows: list[list[str]]) -> list[str]:
    """The header and rows as lines of left-aligned columns two spaces apart, for a terminal.

    Control characters, line breaks and bidirectional overrides are shown escaped
    (`terminal.escape`), and columns are aligned by display width (`terminal.width`: ``大``
    takes two columns), not by code points.
    """
    from tb_plugin import terminal

    head = [terminal.escape(h) for h in head]
    rows = [[terminal.escape(c) for c in r] for r in rows]
    widths = [
        max([terminal.width(h), *(terminal.width(r[i]) for r in rows)]) for i, h in enumerate(head)
    ]
    lines = ["  ".join(terminal.ljust(h, w) for h, w in zip(head, widths, strict=True)).rstrip()]
    lines += [
        "  ".join(terminal.ljust(c, w) for c, w in zip(r, widths, strict=True)).rstrip()
        for r in rows
    ]
    return lines


def seeds_lines(answer: dict[str, Any], *, power: bool = False) -> str:
    """The terminal's SPEC §5c lines under the table: each flagged run with its reasons
    (and whether it was excluded); per comparison the seeds planner's words (every one with
    `power`, else those with fewer than 3 runs on a side or power under 50%), the paired
    test and the runs left without a partner; a single group's seeds for a half-width."""
    lines = []
    for group in answer.get("groups") or []:
        for member in group.get("members") or []:
            flags = member.get("flags") or []
            if flags:
                reasons = "; ".join(f"{f['kind']}: {f['reason']}" for f in flags)
                left = " [excluded]" if member.get("excluded") else ""
                lines.append(f"flagged {member.get('run') or member['trial']}{left}: {reasons}")
    baseline = next(
        (g["label"] for g in answer.get("groups") or [] if g["key"] == answer.get("baseline")),
        answer.get("baseline"),
    )
    for group in answer.get("groups") or []:
        compare = group.get("compare") or {}
        note = compare.get("power_note")
        weak = compare.get("power") is not None and compare["power"] < 0.5
        few = min(compare.get("n") or 0, compare.get("n_baseline") or 0) < 3
        if note and (power or weak or few):
            lines.append(f"{group['label']} vs {baseline}: {note}")
        if answer.get("paired") and "n_pairs" in compare:
            lines.append(
                f"{group['label']} vs {baseline}, paired by seed: {_paired_words(compare)}"
            )
            for run in compare.get("unpaired_runs") or []:
                lines.append(
                    f"  unpaired {run.get('run') or run['trial']} ({run['side']}): {run['reason']}"
                )
        for entry in (group.get("metrics") or [])[:1]:
            plan = entry.get("halfwidth_plan")
            if plan:
                lines.append(f"{group['label']}: {plan['note']}")
    return "".join(line + "\n" for line in lines)


def _paired_words(compare: dict[str, Any]) -> str:
    n = compare.get("n_pairs") or 0
    if not n:
        return "no pairs"
    text = f"{n} pair{'s' if n != 1 else ''}, mean difference {compare['paired_delta']:.4g}"
    if compare.get("paired_ci_low") is not None:
        text += f" [{compare['paired_ci_low']:.4g}, {compare['paired_ci_high']:.4g}]"
    p, w = compare.get("paired_p"), compare.get("wilcoxon_p")
    text += f", paired t p={p:.3g}" if p is not None else ", paired t p undefined"
    text += f", Wilcoxon p={w:.3g}" if w is not None else ", Wilcoxon p undefined"
    return text
