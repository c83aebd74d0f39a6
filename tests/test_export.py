"""Numbers for a paper: statistics and comparisons on real event files, and the exports.

The route's and the CLI's numbers are checked against scipy computed here, independently; the
Markdown and LaTeX tables against golden text; CSV against formula injection.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import os
import re
import shutil
import subprocess

import numpy as np
import pytest
import scipy.stats
from backend_fixtures import serving
from conftest import scalar_event, write_events

from tb_plugin import cli, export, grouping

# Last validation loss per (lr, seed): lr=0.1 is the baseline.
FINAL = {
    "0.1": [0.50, 0.56, 0.53],
    "0.01": [0.41, 0.45, 0.40],
    "0.001": [0.47, 0.52, 0.58],
}
ACCURACY = {"0.1": [0.8, 0.82, 0.79], "0.01": [0.85, 0.86, 0.88], "0.001": [0.81, 0.8, 0.83]}


@pytest.fixture(scope="module")
def logdir(tmp_path_factory):
    root = tmp_path_factory.mktemp("paper")
    for lr, seed in itertools.product(FINAL, range(3)):
        trial = root / f"lr={lr},bs=32" / f"seed={seed}"
        final = FINAL[lr][seed]
        write_events(
            str(trial / "validation"),
            [scalar_event("epoch_loss", s, final + 0.1 * (3 - s)) for s in range(4)]
            + [
                scalar_event("epoch_accuracy", s, ACCURACY[lr][seed] - 0.01 * (3 - s))
                for s in range(4)
            ],
        )
        write_events(str(trial / "train"), [scalar_event("epoch_loss", s, final) for s in range(4)])
    return root


@pytest.fixture(scope="module", params=["python", "rust"])
def app(request, logdir):
    with serving(logdir, request.param, 18) as a:
        yield a


def holm(p):
    """Holm (1979) from its definition: step-down, monotone, capped at 1."""
    order = np.argsort(p)
    m = len(p)
    adjusted = np.empty(m)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[i]))
        adjusted[i] = running
    return adjusted


def prob_improvement(x, y, lower_is_better):
    wins = sum((a < b if lower_is_better else a > b) + 0.5 * (a == b) for a in x for b in y)
    return wins / (len(x) * len(y))


def test_statistics_and_comparisons_equal_scipy(app):
    body = app.json("/groups", by="lr", metric="epoch_loss", split="validation", baseline="lr=0.1")
    groups = {g["values"][0]: g for g in body["groups"]}
    assert body["baseline"] == grouping.group_key(["param.lr"], [0.1])
    base = np.array(FINAL["0.1"])
    raw_p = {}
    for lr, values in FINAL.items():
        x = np.array(values)
        stats = groups[float(lr)]["stats"]
        low, high = scipy.stats.t.interval(0.95, 2, loc=x.mean(), scale=scipy.stats.sem(x))
        assert stats["mean"] == pytest.approx(x.mean())
        assert stats["std"] == pytest.approx(x.std(ddof=1))
        assert (stats["ci_low"], stats["ci_high"]) == (pytest.approx(low), pytest.approx(high))
        assert stats["iqm"] == pytest.approx(scipy.stats.trim_mean(x, 0.25))
        compare = groups[float(lr)]["compare"]
        if lr == "0.1":
            assert compare is None
            continue
        welch = scipy.stats.ttest_ind(x, base, equal_var=False)
        raw_p[lr] = welch.pvalue
        assert compare["delta"] == pytest.approx(x.mean() - base.mean())
        assert compare["p_value"] == pytest.approx(welch.pvalue)
        ci = welch.confidence_interval(0.95)
        assert (compare["delta_ci_low"], compare["delta_ci_high"]) == (
            pytest.approx(ci.low),
            pytest.approx(ci.high),
        )
        assert compare["prob_improvement"] == pytest.approx(prob_improvement(x, base, True))
        assert compare["warning"] is None
    adjusted = holm(np.array(list(raw_p.values())))
    for (lr, _), want in zip(raw_p.items(), adjusted, strict=True):
        assert groups[float(lr)]["compare"]["p_holm"] == pytest.approx(want)


def test_bootstrap_is_seeded_and_a_baseline_key_works(app):
    query = {"by": "lr", "metric": "epoch_loss", "ci": "bootstrap"}
    first, again = app.json("/groups", **query), app.json("/groups", **query)
    assert first == again
    stats = first["groups"][0]["stats"]
    assert (
        stats["ci_method"] == "bootstrap" and stats["ci_low"] <= stats["mean"] <= stats["ci_high"]
    )
    key = first["groups"][1]["key"]
    by_key = app.json("/groups", by="lr", metric="epoch_loss", baseline=key)
    assert by_key["baseline"] == key and by_key["groups"][1]["compare"] is None


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ({"baseline": "lr=0.5"}, 404),
        ({"baseline": "AAAAAAAAAAAAAAAA"}, 404),
        ({"baseline": "seed=1"}, 400),
        ({"ci": "normal"}, 400),
        ({"ci_level": "1.5"}, 400),
        ({"reduction": "mean_last_k", "k": "0"}, 400),
        ({"reduction": "at_best:"}, 400),
        ({"reduction": "at_best:nope"}, 404),
    ],
)
def test_bad_statistics_arguments(app, query, status):
    response = app.get("/groups", by="lr", metric="epoch_loss", **query)
    assert response.status_code == status, response.get_data(as_text=True)


def test_several_metrics_and_the_new_reductions(app):
    body = app.json(
        "/groups",
        by="lr",
        metric=["epoch_loss", "epoch_accuracy"],
        reduction=["mean_last_k", "at_best:epoch_loss"],
        k="2",
        split="validation",
    )
    assert [m["metric"] for m in body["metrics"]] == ["epoch_loss", "epoch_accuracy"]
    group = next(g for g in body["groups"] if g["values"] == [0.1])
    # mean of the last two validation losses: final + 0.1 and final.
    want = np.mean([f + 0.05 for f in FINAL["0.1"]])
    assert group["metrics"][0]["stats"]["mean"] == pytest.approx(want)
    # accuracy at the step of the best (lowest) loss: the last step.
    assert group["metrics"][1]["stats"]["mean"] == pytest.approx(np.mean(ACCURACY["0.1"]))


# --- exports ----------------------------------------------------------------------------------


def test_markdown_golden(app):
    text = app.get("/export", format="markdown", by="lr", metric="epoch_loss").get_data(
        as_text=True
    )
    assert text == (
        "| lr | epoch_loss |\n"
        "| --- | ---: |\n"
        "| 0.001 | 0.52 ± 0.14 (n=3) |\n"
        "| 0.01 | **0.420 ± 0.066 (n=3)** |\n"
        "| 0.1 | 0.530 ± 0.075 (n=3) |\n"
        "\n"
        "epoch_loss (validation, last; lower is better): mean ± half-width of the 95% CI, "
        "Student t; n = runs with a value (3 runs per group); best group in bold.\n"
    )


def test_latex_golden_and_well_formed(app):
    text = app.get("/export", format="latex", by="lr", metric="epoch_loss").get_data(as_text=True)
    assert text.splitlines()[5:9] == [
        r"    lr & epoch\_loss \\",
        r"    \midrule",
        r"    0.001 & 0.52 $\pm$ 0.14 (n=3) \\",
        r"    0.01 & \textbf{0.420 $\pm$ 0.066 (n=3)} \\",
    ]
    assert_tabular(text, columns=2)


def assert_tabular(text, columns):
    """A booktabs tabular: balanced braces, the declared columns in every row."""
    depth = 0
    for i, char in enumerate(text):
        if char in "{}" and text[i - 1] != "\\":
            depth += 1 if char == "{" else -1
            assert depth >= 0
    assert depth == 0
    spec = re.search(r"\\begin\{tabular\}\{([lcr]+)\}", text).group(1)
    assert len(spec) == columns
    body = text.split(r"\toprule")[1].split(r"\bottomrule")[0]
    rows = [r for r in body.split("\n") if r.strip().endswith(r"\\")]
    assert rows and all(len(re.split(r"(?<!\\)&", r)) == columns for r in rows)
    assert text.index(r"\toprule") < text.index(r"\midrule") < text.index(r"\bottomrule")


def test_latex_escapes_hostile_names():
    answer = {
        "by": ["param.opt"],
        "metrics": [
            {"metric": "a_b%", "split": None, "reduction": "last", "k": None, "goal": "min"}
        ],
        "ci": {"method": "t", "level": 0.95},
        "groups": [
            {
                "values": ["x&y}{\\#$~^"],
                "label": "",
                "size": 1,
                "metrics": [{"stats": {"count": 1, "mean": 1.0, "ci_low": None, "ci_high": None}}],
            }
        ],
    }
    assert_tabular(export.to_latex(answer), columns=2)
    assert "x\\&y\\}\\{\\textbackslash{}\\#\\$" in export.to_latex(answer)


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=HYPERLINK(1)", "'=HYPERLINK(1)"),
        ("@SUM(1+9)*cmd", "'@SUM(1+9)*cmd"),
        ("+cmd", "'+cmd"),
        ("-1+cmd|' /C calc'!A0", "'-1+cmd|' /C calc'!A0"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("-0.5", "-0.5"),
        ("-1e-3", "-1e-3"),
        ("-inf", "-inf"),
        (-0.5, "-0.5"),
        ("adam", "adam"),
        (None, ""),
        (True, "true"),
        ("NaN", "nan"),
    ],
)
def test_csv_cells_never_run_as_formulas(value, cell):
    assert export.csv_cell(value) == cell


def test_the_tab_and_the_cli_export_the_same_csv(app, logdir):
    route = app.get(
        "/export", format="csv", by="lr", metric="epoch_loss", baseline="lr=0.1"
    ).get_data(as_text=True)
    text = cli.ls(str(logdir), by="lr", metric="epoch_loss", baseline="lr=0.1", fmt="csv")
    assert text == route
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:3] == ["lr", "runs", "epoch_loss [validation, last] n"]
    assert "epoch_loss [validation, last] ci_low (95% CI, Student t)" in rows[0]
    assert "epoch_loss [validation, last] p_holm" in rows[0]
    assert len(rows) == 4 and all(len(r) == len(rows[0]) for r in rows)


def test_cli_json_equals_the_route_with_statistics(app, logdir):
    query = {"by": "lr", "metric": "epoch_loss", "baseline": "lr=0.1", "ci": "bootstrap"}
    route = app.json("/groups", **query)
    text = cli.ls(
        str(logdir), by="lr", metric="epoch_loss", baseline="lr=0.1", ci="bootstrap", fmt="json"
    )
    assert json.loads(text) == route


FORMULA = re.compile(r"^'?[=+\-@\t\r]")


def _formula_cells(text):
    cells = [c for row in csv.reader(io.StringIO(text)) for c in row]
    return [
        c
        for c in cells
        if c[:1] in ("=", "+", "-", "@", "\t", "\r") and not export._NUMBER.fullmatch(c)
    ]


def test_hostile_run_names_never_become_formulas_in_either_export(tmp_path):
    # ../shared/cases/rel11: run names that a spreadsheet would run as formulas.
    for name in ("opt=@SUM(1+9)*cmd", 'opt==HYPERLINK("http:__x";"y")', "opt=-1+cmd|' /C calc'!A0"):
        write_events(str(tmp_path / name / "validation"), [scalar_event("epoch_loss", 0, 1.0)])
    text = cli.ls(str(tmp_path), by="opt", metric="epoch_loss", fmt="csv")
    assert _formula_cells(text) == []
    assert "'@SUM(1," in text  # the value parsed from the name, neutralised
    node = shutil.which("node")
    assert node, "node is needed for the tab's exports (the JS tests use it too)"
    group_js = os.path.join(os.path.dirname(__file__), "..", "frontend", "group.js")
    script = (
        "import('file://' + process.argv[1]).then((m) => process.stdout.write(m.toCsv(["
        "{opt: \"-1+cmd|' /C calc'!A0\", best_run: '@SUM(1+9)*cmd', mean: -0.5, x: '-2e-3'}])));"
    )
    done = subprocess.run(
        [node, "-e", script, os.path.abspath(group_js)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert _formula_cells(done.stdout) == []
    assert "-0.5" in done.stdout and "-2e-3" in done.stdout
