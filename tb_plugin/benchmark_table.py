"""Tables of a `/benchmark` answer: terminal text, CSV, Markdown and LaTeX (booktabs).

Pure, like `tb_plugin.export` (whose cell rounding, CSV and LaTeX escaping it reuses): a
`/benchmark` answer (`tb_plugin.answers.benchmark`) in, text out. ``tb-rungroups benchmark``
prints these; the tab's view exports its own CSV from the same answer.

Columns (`columns`, CSV): ``method``, ``label``, ``tasks``, ``runs``, then per aggregate
(``mean``, ``median``, ``iqm``, ``optimality_gap``) its value, ``ci_low`` and ``ci_high``,
``average_rank``, ``p_improvement`` with its interval, and ``missing_tasks`` (the tasks the
method has no runs on, ``; ``-separated). The paper table (`to_markdown`, `to_latex`, the
terminal table) has one row per method: each aggregate as ``value [low, high]`` rounded as
the interval allows, the average rank and P(improvement); the best method per column in
bold (highest mean, median and IQM, lowest optimality gap and average rank, when higher
scores are better; for a ``min`` metric without normalisation, lowest mean, median and IQM);
a caption names the metric, the tasks, the normalisation, the interval, the rank test and
every missing (method, task).
"""

from __future__ import annotations

import csv
import io
from typing import Any

from tb_plugin import export

FORMATS = ("table", "csv", "json", "markdown", "latex")
"""What ``tb-rungroups benchmark`` writes."""

AGGREGATE_NAMES = {
    "mean": "Mean",
    "median": "Median",
    "iqm": "IQM",
    "optimality_gap": "Optimality gap",
}


def columns(answer: dict[str, Any]) -> list[str]:
    """The CSV column names, in order (the interval named in the bound columns)."""
    interval = f"{answer['ci_level'] * 100:g}% CI"
    out = ["method", "label", "tasks", "runs"]
    for name in AGGREGATE_NAMES:
        out += [name, f"{name} ci_low ({interval})", f"{name} ci_high ({interval})"]
    out += ["average_rank", "p_improvement", "p_improvement ci_low", "p_improvement ci_high"]
    return [*out, "missing_tasks"]


def rows(answer: dict[str, Any]) -> list[list[Any]]:
    """One list of plain values per method, matching `columns`."""
    missing = _missing_by_method(answer)
    out = []
    for m in answer["methods"]:
        row: list[Any] = [m["method"], m.get("label"), m["tasks"], m["runs"]]
        for name in AGGREGATE_NAMES:
            row += [m[name]["value"], m[name]["ci_low"], m[name]["ci_high"]]
        ci = m.get("p_improvement_ci") or {}
        row += [m["average_rank"], m["p_improvement"], ci.get("ci_low"), ci.get("ci_high")]
        row.append("; ".join(missing.get(m["method"], [])))
        out.append(row)
    return out


def to_csv(answer: dict[str, Any]) -> str:
    """The answer as CSV (RFC 4180, CRLF line ends; cells as `export.csv_cell` writes them)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([export.csv_cell(c) for c in columns(answer)])
    writer.writerows([[export.csv_cell(c) for c in row] for row in rows(answer)])
    return buffer.getvalue()


def _missing_by_method(answer: dict[str, Any]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for cell in answer.get("missing") or []:
        out.setdefault(cell["method"], []).append(cell["task"])
    return out


def _cell(estimate: dict[str, Any] | None) -> str:
    """``value [low, high]``, rounded as `export.paper_cell` rounds a bootstrap interval."""
    if not estimate:
        return "–"
    stats = {"count": 2, **estimate, "mean": estimate.get("value")}
    value, spread, _ = export.paper_cell(stats, "bootstrap")
    return f"{value} {spread}".strip()


def _best(answer: dict[str, Any]) -> dict[str, int | None]:
    """Per column, the index of the best method (None when no method has a value)."""
    higher = answer.get("higher_is_better", True)
    picks: dict[str, tuple[str, bool]] = {
        name: (name, higher) for name in ("mean", "median", "iqm")
    }
    if higher:
        picks["optimality_gap"] = ("optimality_gap", False)
    out: dict[str, int | None] = {}
    for column, (name, maximise) in picks.items():
        values = [export.number((m.get(name) or {}).get("value")) for m in answer["methods"]]
        out[column] = _pick(values, maximise)
    ranks = [export.number(m.get("average_rank")) for m in answer["methods"]]
    out["average_rank"] = _pick(ranks, False)
    return out


def _pick(values: list[float | None], maximise: bool) -> int | None:
    found = [(v if maximise else -v, i) for i, v in enumerate(values) if v is not None and v == v]
    return max(found)[1] if found else None


def _paper_rows(answer: dict[str, Any]) -> tuple[list[str], list[list[str]], list[list[bool]]]:
    head = ["Method", "Tasks", *AGGREGATE_NAMES.values(), "Avg. rank"]
    with_p = answer.get("baseline") is not None
    if with_p:
        head.append(f"P(> {answer['baseline']})")
    best = _best(answer)
    body, bold = [], []
    for i, m in enumerate(answer["methods"]):
        cells = [m["method"], f"{m['tasks']}/{len(answer['tasks'])}"]
        marks = [False, False]
        for name in AGGREGATE_NAMES:
            cells.append(_cell(m.get(name)))
            marks.append(best.get(name) == i)
        rank = m.get("average_rank")
        cells.append("–" if rank is None else f"{rank:.2f}")
        marks.append(best["average_rank"] == i)
        if with_p:
            p = m.get("p_improvement")
            ci = m.get("p_improvement_ci") or {}
            cells.append(
                "–"
                if p is None
                else _cell({"value": p, "ci_low": ci.get("ci_low"), "ci_high": ci.get("ci_high")})
            )
            marks.append(False)
        body.append(cells)
        bold.append(marks)
    return head, body, bold


_NORMALISATION_TEXT = {
    "none": "raw scores",
    "minmax": "scores min-max normalised per task over the methods' means",
    "baseline": "scores relative to the baseline's mean per task",
    "reference": "scores normalised per task by the reference scores [low, high]",
}


def caption(answer: dict[str, Any], *, bold: bool = True) -> str:
    """One line saying what the table shows, including every missing (method, task)."""
    task_field = export.short_field(answer["task"])
    normalisation = _NORMALISATION_TEXT.get(answer["normalize"], answer["normalize"])
    if answer["normalize"] == "baseline" and answer.get("baseline"):
        normalisation = f"scores relative to {answer['baseline']}'s mean per task"
    goal = "higher" if answer.get("higher_is_better", True) else "lower"
    parts = [
        f"{answer['metric']} ({answer.get('split') or 'no split'}, {answer['reduction']}) "
        f"over {len(answer['tasks'])} tasks ({task_field}); {normalisation}; {goal} is better",
        f"value [{answer['ci_level'] * 100:g}% percentile stratified bootstrap interval, "
        f"{answer['reps']} resamples]",
        f"IQM: interquartile mean over runs and tasks; optimality gap at "
        f"{answer.get('optimality_threshold', 1):g}",
    ]
    friedman = answer.get("friedman")
    rank_text = (
        f"average rank over the {len(answer.get('rank_tasks') or [])} tasks every method has"
    )
    if friedman is not None:
        rank_text += f" (Friedman chi2 = {friedman['statistic']:.3g}, p = {friedman['p_value']:.3g}"
        cd = answer.get("critical_difference")
        if cd is not None:
            rank_text += f"; Nemenyi CD = {cd:.3g} at alpha = {1 - answer['ci_level']:.3g}"
        rank_text += ")"
    parts.append(rank_text)
    missing = answer.get("missing") or []
    if missing:
        parts.append(
            "missing: " + ", ".join(f"{cell['method']} on {cell['task']}" for cell in missing)
        )
    text = "; ".join(parts)
    return text + ("; best in bold." if bold else ".")


def to_markdown(answer: dict[str, Any]) -> str:
    """The paper table as a GitHub-flavoured Markdown table with a caption line."""
    head, body, bold = _paper_rows(answer)
    return export.markdown_table(head, body, bold, 1, caption(answer))


def to_latex(answer: dict[str, Any]) -> str:
    """The paper table as a LaTeX ``table`` with a booktabs ``tabular`` and a caption."""
    head, body, bold = _paper_rows(answer)
    return export.latex_table(head, body, bold, 1, caption(answer))


def terminal_table(answer: dict[str, Any]) -> str:
    """The methods as aligned text, then the caption (with the missing cells) on its own line."""
    head, body, _ = _paper_rows(answer)
    return "\n".join([*export.aligned_lines(head, body), caption(answer, bold=False)]) + "\n"


def render(answer: dict[str, Any], fmt: str) -> str:
    """The answer in one of `FORMATS` (``json`` is the answer itself, as the route sends it)."""
    renderers = {"table": terminal_table, "csv": to_csv, "markdown": to_markdown, "latex": to_latex}
    return export.render_with(answer, fmt, renderers)
