"""`/effects` on real event files through TensorBoard's real WSGI app, under both loaders,
and ``tb-rungroups effects`` (SPEC §5b).

The design: lr ∈ {0.1, 0.01, 0.001} × opt ∈ {adam, sgd}, three seeds each, one run per
trial with `epoch_loss` (no split), plus a trial whose last loss is NaN. Every number is
checked against statsmodels' type-II ANOVA and scipy's t interval of the same values.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import shutil
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from backend_fixtures import App
from conftest import REPO, scalar_event, write_events
from scipy import stats as sps
from statsmodels.stats.anova import anova_lm

from tb_plugin import effects_export

LRS = (0.1, 0.01, 0.001)
OPTS = ("adam", "sgd")
SEEDS = (0, 1, 2)


def _last_loss(lr: float, opt: str, seed: int) -> float:
    noise = np.random.default_rng([int(-math.log10(lr)), OPTS.index(opt), seed]).normal()
    value = 1.0 - 0.5 * math.log10(lr) + (0.1 if opt == "sgd" else 0.0) + 0.05 * noise
    return float(np.float32(value))  # as the event file stores it


TRIALS = {
    f"lr={lr},opt={opt},seed={seed}": (lr, opt, seed, _last_loss(lr, opt, seed))
    for lr in LRS
    for opt in OPTS
    for seed in SEEDS
}
NAN_TRIAL = "lr=0.1,opt=adam,seed=9"


@pytest.fixture(scope="module")
def logdir(tmp_path_factory):
    root = tmp_path_factory.mktemp("effects")
    for name, (*_, last) in TRIALS.items():
        write_events(
            str(root / name),
            [scalar_event("epoch_loss", 0, 3.0), scalar_event("epoch_loss", 1, last)],
        )
    write_events(str(root / NAN_TRIAL), [scalar_event("epoch_loss", 0, math.nan)])
    return root


@pytest.fixture(scope="module", params=["python", "rust"])
def app(request, logdir):
    a = App(str(logdir), request.param)
    a.wait_for(lambda: len(a.json("/runs")["runs"]) == len(TRIALS) + 1)
    a.wait_for(lambda: a.json("/tags")["tags"])
    yield a
    a.close()


def frame() -> pd.DataFrame:
    return pd.DataFrame(
        [{"lr": lr, "opt": opt, "seed": seed, "y": y} for lr, opt, seed, y in TRIALS.values()]
    )


def test_effects_route_matches_statsmodels_and_scipy(app):
    answer = app.json("/effects", metric="epoch_loss")
    assert answer["metric"] == "epoch_loss" and answer["reduction"] == "last"
    assert answer["split"] is None and answer["goal"] == "min"
    assert answer["by"] == ["param.lr", "param.opt"] and answer["repeat_fields"] == []
    assert answer["matched"] == len(TRIALS) + 1 and answer["excluded"] == 1
    assert answer["trials"] == len(TRIALS) and answer["configurations"] == 6
    assert answer["reps"] == 1000 and answer["seed"] == 0 and answer["ci_level"] == 0.95
    df = frame()
    total = float(((df.y - df.y.mean()) ** 2).sum())
    table = anova_lm(smf.ols("y ~ C(lr) + C(opt)", df).fit(), typ=2)
    got = {f["field"]: f for f in answer["fields"]}
    assert [f["field"] for f in answer["fields"]] == ["param.lr", "param.opt"]
    for field, name in (("param.lr", "lr"), ("param.opt", "opt")):
        row = table.loc[f"C({name})"]
        assert got[field]["share"] == pytest.approx(row["sum_sq"] / total, rel=1e-9)
        assert got[field]["f_value"] == pytest.approx(row["F"], rel=1e-8)
        assert got[field]["p_value"] == pytest.approx(row["PR(>F)"], rel=1e-8)
        assert got[field]["ci_low"] <= got[field]["share"] <= got[field]["ci_high"]
        for entry in got[field]["values"]:
            sample = df.loc[df[name] == entry["value"], "y"]
            low, high = sps.t.interval(0.95, len(sample) - 1, sample.mean(), sps.sem(sample))
            assert entry["n"] == len(sample)
            assert entry["mean"] == pytest.approx(sample.mean(), rel=1e-12)
            assert (entry["ci_low"], entry["ci_high"]) == (
                pytest.approx(low, rel=1e-10),
                pytest.approx(high, rel=1e-10),
            )
    cells = smf.ols("y ~ C(lr):C(opt)", df).fit()
    assert answer["seed_share"]["share"] == pytest.approx(cells.ssr / total, rel=1e-9)
    assert got["param.lr"]["below_noise"] is False
    assert answer["inseparable"] == []


def test_by_limits_the_fields_and_repeat_keys_are_left_out(app):
    answer = app.json("/effects", metric="epoch_loss", by="opt,seed", reps="200", seed="7")
    assert answer["by"] == ["param.opt", "param.seed"]
    assert answer["repeat_fields"] == ["param.seed"]
    assert [f["field"] for f in answer["fields"]] == ["param.opt"]
    assert answer["configurations"] == 2 and answer["reps"] == 200 and answer["seed"] == 7
    # A filter that fixes opt: nothing varies but lr.
    answer = app.json("/effects", metric="epoch_loss", where="opt=adam")
    assert answer["constant"] == ["param.opt"]
    assert [f["field"] for f in answer["fields"]] == ["param.lr"]
    assert answer["trials"] == 9 and answer["excluded"] == 1
    # Without a metric: the tab's default metric.
    assert app.json("/effects")["metric"] == "epoch_loss"


def test_the_bootstrap_is_seeded(app):
    a = app.json("/effects", metric="epoch_loss", reps="300", seed="1")
    b = app.json("/effects", metric="epoch_loss", reps="300", seed="1")
    c = app.json("/effects", metric="epoch_loss", reps="300", seed="2")
    assert a == b
    assert a["fields"][0]["ci_low"] != c["fields"][0]["ci_low"]
    none = app.json("/effects", metric="epoch_loss", reps="0")
    assert none["fields"][0]["ci_low"] is None and none["fields"][0]["share"] is not None


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"metric": ["epoch_loss", "epoch_loss"]}, "metric"),
        ({"reps": "-1"}, "reps"),
        ({"reps": "many"}, "reps"),
        ({"reps": "100001"}, "reps"),
        ({"seed": "-1"}, "seed"),
        ({"seed": "1.5"}, "seed"),
        ({"ci_level": "2"}, "ci_level"),
        ({"by": "nosuchfield"}, "nosuchfield"),
        ({"where": "nosuchfield=1"}, "nosuchfield"),
        ({"split": "bogus"}, "split"),
        ({"reduction": "mean"}, "reduction"),
        ({"regex": "(unclosed"}, "regex"),
    ],
)
def test_bad_arguments_are_400(app, query, message):
    response = app.get("/effects", **query)
    text = response.get_data(as_text=True)
    assert response.status_code == 400, text
    assert message in text and "Traceback" not in text


def test_unknown_metric_is_404(app):
    response = app.get("/effects", metric="no_such_tag")
    assert response.status_code == 404
    assert "Traceback" not in response.get_data(as_text=True)


def test_both_loaders_give_the_same_json(logdir):
    got = []
    for loader in ("python", "rust"):
        a = App(str(logdir), loader)
        try:
            a.wait_for(lambda a=a: len(a.json("/runs")["runs"]) == len(TRIALS) + 1)
            a.wait_for(lambda a=a: a.json("/tags")["tags"])
            got.append(a.json("/effects", metric="epoch_loss", reps="200"))
        finally:
            a.close()
    assert got[0] == got[1]


# --- tb-rungroups effects ----------------------------------------------------------------------


def tb_rungroups(*args: str) -> subprocess.CompletedProcess[str]:
    script = os.path.join(os.path.dirname(sys.executable), "tb-rungroups")
    return subprocess.run([script, *args], capture_output=True, text=True, timeout=300)


def test_cli_json_is_the_route_json_and_the_tables_show_its_numbers(logdir):
    a = App(str(logdir), "python")
    try:
        route = a.json("/effects", metric="epoch_loss", by="lr,opt", reps="200")
    finally:
        a.close()
    args = ["effects", str(logdir), "--metric", "epoch_loss", "--by", "lr,opt", "--reps", "200"]
    done = tb_rungroups(*args, "--format", "json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == route
    rows = list(csv.reader(io.StringIO(tb_rungroups(*args, "--format", "csv").stdout)))
    assert tuple(rows[0]) == effects_export.CSV_COLUMNS
    lr = next(r for r in rows if r[0] == "field" and r[1] == "param.lr")
    assert float(lr[3]) == route["fields"][0]["share"]
    values = [r for r in rows if r[0] == "value" and r[1] == "param.lr"]
    assert [float(r[11]) for r in values] == [v["mean"] for v in route["fields"][0]["values"]]
    seed = next(r for r in rows if r[0] == "seed")
    assert float(seed[3]) == route["seed_share"]["share"]
    markdown = tb_rungroups(*args, "--format", "markdown").stdout
    share = route["fields"][0]["share"]
    # Brackets are escaped as Markdown would otherwise read them (`\\[` shows as `[`).
    assert markdown.splitlines()[2].startswith(f"| lr | {100 * share:.1f}% \\[")
    assert "seed noise" in markdown and "1 trial without a finite value" in markdown
    latex = tb_rungroups(*args, "--format", "latex").stdout
    assert r"\begin{tabular}{lrrl}" in latex and rf"{100 * share:.1f}\%" in latex
    table = tb_rungroups(*args).stdout
    assert table.splitlines()[1].split()[0] == "lr"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--metric", "no_such_tag"], "no_such_tag"),
        (["--reps", "-5"], "reps"),
        (["--by", "nosuchfield"], "nosuchfield"),
    ],
)
def test_cli_bad_input_gives_one_line(logdir, args, message):
    done = tb_rungroups("effects", str(logdir), *args)
    assert done.returncode != 0 and done.stdout == ""
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("tb-rungroups: error:") and message in line


def test_the_tabs_csv_has_the_clis_cells(logdir):
    """frontend/views/effects.js' `effectsCsv` of a real answer: the CLI's CSV cell for
    cell (numbers compared as numbers: JavaScript writes 1 where Python writes 1.0)."""
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not installed (node >= 20 runs the front end's modules)")
    a = App(str(logdir), "python")
    try:
        answer = a.json("/effects", metric="epoch_loss", reps="100")
    finally:
        a.close()
    script = (
        "import { effectsCsv } from './frontend/views/effects.js';"
        "process.stdout.write(effectsCsv(JSON.parse(process.argv[1])));"
    )
    done = subprocess.run(
        [node, "--input-type=module", "-e", script, json.dumps(answer)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    tab = list(csv.reader(io.StringIO(done.stdout)))
    cli = list(csv.reader(io.StringIO(effects_export.to_csv(answer))))
    assert len(tab) == len(cli) > 10

    def cell(text):
        try:
            return float(text)
        except ValueError:
            return text

    for tab_row, cli_row in zip(tab, cli, strict=True):
        assert [cell(c) for c in tab_row] == [cell(c) for c in cli_row]


# --- the Effects view in a real browser -------------------------------------------------------

FRONTEND = os.path.join(REPO, "frontend")
ORIGIN = "http://effects.test"
TYPES = {".js": "text/javascript", ".html": "text/html"}


def test_the_effects_view_draws_the_answer_and_clicking_a_field_groups_by_it(page, logdir):
    """frontend/views/effects.js in headless Chromium over a real /effects answer: the
    fields in rank order, each error bar the answer's interval, and a click (or Enter) on
    a field asks for the table grouped by it. (The tab's wiring is tested with the tab.)"""
    a = App(str(logdir), "python")
    try:
        answer = a.json("/effects", metric="epoch_loss")
    finally:
        a.close()

    def serve(route):
        path = route.request.url[len(ORIGIN) + 1 :]
        if path == "index.html":
            return route.fulfill(body="<!doctype html><body></body>", content_type="text/html")
        full = os.path.realpath(os.path.join(FRONTEND, path))
        assert full.startswith(FRONTEND + os.sep) and os.path.isfile(full), path
        with open(full, "rb") as f:
            route.fulfill(body=f.read(), content_type=TYPES[os.path.splitext(full)[1]])

    page.route(ORIGIN + "/**", serve)
    page.goto(ORIGIN + "/index.html")
    page.evaluate(
        """async (answer) => {
            const { EffectsView } = await import("./views/effects.js");
            window.changes = [];
            const view = new EffectsView({ change: (patch) => window.changes.push(patch) });
            document.body.append(view.element);
            view.update({ by: null }, null);
            window.loading = view.element.textContent;
            view.update({ by: null }, answer);
        }""",
        answer,
    )
    assert page.evaluate("window.loading") == "Loading effects…"
    labels = page.locator(".rg-effects-label").all_text_contents()
    assert labels == ["lr", "opt", "interactions"]
    bars = page.locator(".rg-effects-panel").first.locator(".rg-effects-errorbar[data-low]")
    drawn = [
        (
            json.loads(b.get_attribute("data-value")),
            float(b.get_attribute("data-low")),
            float(b.get_attribute("data-high")),
        )
        for b in bars.all()
    ]
    lr = answer["fields"][0]
    assert drawn == [(v["value"], v["ci_low"], v["ci_high"]) for v in lr["values"]]
    assert page.locator(".rg-effects-panel").first.get_attribute("data-axis") == "log"
    page.locator(".rg-effects-row[data-field='param.opt']").click()
    page.locator(".rg-effects-panel[data-field='param.lr']").focus()
    page.keyboard.press("Enter")
    # A field's panel groups the table by it, on the Groups view.
    assert page.evaluate("window.changes") == [
        {"view": "groups", "by": ["param.opt"]},
        {"view": "groups", "by": ["param.lr"]},
    ]
    assert page.console_errors == []
