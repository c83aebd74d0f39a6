"""Tables of an `/effects` answer: terminal text, CSV, Markdown and LaTeX (booktabs).

Used by ``tb-rungroups effects``; pure, like `tb_plugin.export`, whose escaping and number
helpers it reuses (CSV cells no spreadsheet runs as formulas, Markdown and LaTeX escaping,
rounding to the digits an interval supports).

The paper table (`to_markdown`, `to_latex`, `terminal_table`) has one row per field, ranked
by share, then ``seed noise`` and ``interactions``: the share of the total sum of squares in
percent with its bootstrap interval, the Holm-adjusted p-value of the field's F test (with
"below seed noise" when it is ≥ 0.05), and per value ``value: mean ± half-width (n=N)``
of the t interval (``mean (n=1)`` for one trial). A caption line says what was computed.

The CSV (`to_csv`) is long: one row per field (``kind`` ``field``), one per value of each
field (``value``), and one each for ``seed``, ``rest`` and ``main`` (the shares), with the
columns `CSV_COLUMNS`. Numbers are written in full precision; missing ones empty. The tab's
CSV (``frontend/views/effects.js``: ``effectsCsv``) has the same rows and cells (numbers in
JavaScript's shortest form: ``1`` where this writes ``1.0``).
"""

from __future__ import annotations

import csv
import io
from typing import Any

from tb_plugin import export

FORMATS = ("table", "csv", "json", "markdown", "latex")
"""What ``tb-rungroups effects`` writes."""

CSV_COLUMNS = (
    "kind",
    "field",
    "value",
    "share",
    "share_ci_low",
    "share_ci_high",
    "df",
    "f_value",
    "p_value",
    "p_holm",
    "below_noise",
    "mean",
    "std",
    "n",
    "ci_low",
    "ci_high",
)

_SHARE_ROWS = (("seed", "seed_share"), ("rest", "rest_share"), ("main", "main_share"))


def csv_rows(answer: dict[str, Any]) -> list[list[Any]]:
    """The CSV's rows (after the header `CSV_COLUMNS`) as plain values, None for missing."""
    rows: list[list[Any]] = []
    for field in answer.get("fields") or []:
        rows.append(
            [
                "field",
                field["field"],
                None,
                field["share"],
                field["ci_low"],
                field["ci_high"],
                field["df"],
                field["f_value"],
                field["p_value"],
                field["p_holm"],
                field["below_noise"],
                *[None] * 5,
            ]
        )
        for value in field["values"]:
            rows.append(
                [
                    "value",
                    field["field"],
                    export._value_text(value["value"]),
                    *[None] * 8,
                    value["mean"],
                    value["std"],
                    value["n"],
                    value["ci_low"],
                    value["ci_high"],
                ]
            )
    for kind, key in _SHARE_ROWS:
        share = answer.get(key) or {}
        rows.append(
            [kind, None, None, share.get("share"), share.get("ci_low"), share.get("ci_high")]
            + [None] * 10
        )
    return rows


def to_csv(answer: dict[str, Any]) -> str:
    """The answer as CSV (RFC 4180, CRLF line ends): `CSV_COLUMNS`, then `csv_rows`."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerows([[export.csv_cell(c) for c in row] for row in csv_rows(answer)])
    return buffer.getvalue()


def _percent(share: float | None) -> str:
    return "–" if share is None else f"{100 * share:.1f}%"


def share_text(share: dict[str, Any] | None) -> str:
    """``62.1% [41.0%, 78.3%]``; ``62.1%`` without an interval; ``–`` without a share
    (a field the design cannot separate from others shows ``– (inseparable)``)."""
    if not share or share.get("share") is None:
        return "–"
    text = _percent(share["share"])
    if share.get("ci_low") is not None and share.get("ci_high") is not None:
        text += f" [{_percent(share['ci_low'])}, {_percent(share['ci_high'])}]"
    return text


def p_text(field: dict[str, Any]) -> str:
    """The Holm-adjusted p with "below seed noise" when it is ≥ 0.05; ``–`` without a test."""
    p = field.get("p_holm")
    if p is None:
        return "–"
    text = f"{p:.2g}"
    return text + " (below seed noise)" if field.get("below_noise") else text


def values_text(field: dict[str, Any]) -> str:
    """``0.001: 0.71 ± 0.02 (n=6); 0.01: …`` in value order."""
    parts = []
    for value in field["values"]:
        stats = {k: value[k] for k in ("mean", "ci_low", "ci_high")} | {"count": value["n"]}
        mean, spread, n = export.paper_cell(stats, "t")
        cell = " ".join(part for part in (mean, spread, f"({n})") if part)
        parts.append(f"{export._value_text(value['value'])}: {cell}")
    return "; ".join(parts)


def caption(answer: dict[str, Any]) -> str:
    """One line saying what the table shows."""
    level = f"{answer['ci_level'] * 100:g}%"
    reduction = answer["reduction"] + (f", k={answer['k']}" if answer.get("k") else "")
    text = (
        f"{answer['metric']} ({answer.get('split') or 'no split'}, {reduction}): each field's "
        f"share of the total sum of squares (type II, main effects), {level} basic bootstrap "
        f"interval ({answer['reps']} resamples of seeds within configurations, seed "
        f"{answer['seed']}); p: F test, Holm-adjusted; values: mean ± half-width of the "
        f"{level} t interval; {answer['trials']} trials in {answer['configurations']} "
        "configurations"
    )
    excluded = answer.get("excluded")
    if excluded:
        text += f"; {excluded} trial{'s' if excluded != 1 else ''} without a finite value left out"
    for names in answer.get("inseparable") or []:
        text += "; inseparable (always change together): " + ", ".join(
            export.short_field(f) for f in names
        )
    return text + "."


def paper_rows(answer: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    """The paper table's header and rows (texts)."""
    head = ["field", "share of variance", "p (Holm)", "values"]
    body = [
        [
            export.short_field(f["field"]),
            share_text(f) if f["df"] else "– (not separable)",
            p_text(f),
            values_text(f),
        ]
        for f in answer.get("fields") or []
    ]
    body.append(["seed noise", share_text(answer.get("seed_share")), "", ""])
    body.append(["interactions", share_text(answer.get("rest_share")), "", ""])
    return head, body


def to_markdown(answer: dict[str, Any]) -> str:
    """The paper table as a GitHub-flavoured Markdown table with a caption line."""
    head, body = paper_rows(answer)
    text = export._markdown_text
    lines = [
        "| " + " | ".join(text(h) for h in head) + " |",
        "| --- | ---: | ---: | --- |",
        *("| " + " | ".join(text(c) for c in row) + " |" for row in body),
    ]
    return "\n".join(lines) + f"\n\n{text(caption(answer))}\n"


def to_latex(answer: dict[str, Any]) -> str:
    """The paper table as a LaTeX ``table`` with a booktabs ``tabular`` and a caption."""
    head, body = paper_rows(answer)
    text = export.latex_text
    lines = [
        r"\begin{table}",
        r"  \centering",
        r"  \caption{" + text(caption(answer)) + "}",
        r"  \begin{tabular}{lrrl}",
        r"    \toprule",
        "    " + " & ".join(text(h) for h in head) + r" \\",
        r"    \midrule",
        *("    " + " & ".join(text(c) for c in row) + r" \\" for row in body),
        r"    \bottomrule",
        r"  \end{tabular}",
        r"\end{table}",
    ]
    return "\n".join(lines) + "\n"


def terminal_table(answer: dict[str, Any]) -> str:
    """The paper table as aligned text for a terminal."""
    head, body = paper_rows(answer)
    # Aligned by display width, control characters escaped (`export.aligned_lines`).
    return "\n".join([*export.aligned_lines(head, body), caption(answer)]) + "\n"


def render(answer: dict[str, Any], fmt: str) -> str:
    """The answer in one of `FORMATS` (``json`` as `answers.encode` writes it)."""
    writers = {"table": terminal_table, "csv": to_csv, "markdown": to_markdown, "latex": to_latex}
    return export.render_with(answer, fmt, writers)
