"""The Run Groups tab in headless Chromium on a real tensorboard process.

One module-scoped `tensorboard --load_fast=true` serves a 2 x 2 grid (lr x bs) over
3 seeds, written like Keras writes (`<trial>/train`, `<trial>/validation`, metadata
at the trial root); each test drives the real tab in it, as a person would.
`test_browser_states.py` covers both loaders, hostile names, reload and the empty
state. Helpers here are shared with it.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
import re
import time
import urllib.parse
from types import SimpleNamespace

import pytest
from conftest import (
    TensorBoardProcess,
    metadata_event,
    open_run_groups,
    scalar_event,
    write_events,
    write_scalars,
)

from tb_plugin import grouping

pytestmark = pytest.mark.slow

HOSTILE = "<img src=x onerror=alert(1)>"
HOSTILE_NOTES = "<script>alert(2)</script>"
JS_URL = "javascript:alert(3)"
UNICODE = "ünïcødé ✓ 日本"

LRS = (0.01, 0.1)
BATCHES = (32, 64)
SEEDS = (1, 2, 3)
STEPS = 10


def loss(lr: float, bs: int, seed: int, step: int, split: str) -> float:
    return (
        1.0 / (1 + step * lr * 10 * bs / 32) + seed * 0.01 + (0.1 if split == "validation" else 0)
    )


def trial_name(lr: float, bs: int, seed: int) -> str:
    return f"lr={lr},bs={bs}/seed_{seed}"


def write_trial(root, lr: float, bs: int, seed: int, wall: float, **metadata) -> list[str]:
    """Writes one Keras-like trial (metadata at its root, train and validation runs)."""
    trial = trial_name(lr, bs, seed)
    data = {
        "hparams": {"lr": lr, "bs": bs, "seed": seed},
        "status": "finished",
        "tags": ["grid"],
        "notes": f"note {trial}",
        "started_at": "2026-01-01T10:00:00",
        "ended_at": "2026-01-01T10:05:00",
        **metadata,
    }
    data = {k: v for k, v in data.items() if v is not None}  # None: leave the key out
    write_events(str(root / trial), [metadata_event(data, wall_time=wall)])
    runs = [trial]
    for split in ("train", "validation"):
        events = [
            scalar_event("epoch_loss", s, loss(lr, bs, seed, s, split), wall_time=wall + s)
            for s in range(STEPS)
        ]
        write_events(str(root / trial / split), events)
        runs.append(f"{trial}/{split}")
    return runs


def write_standard_logdir(root) -> dict[str, list[str]]:
    """A 2 x 2 grid over 3 seeds; one trial was left `running` two hours ago (stale).

    Returns the TensorBoard runs of each trial.
    """
    now = time.time()
    trials = {}
    for lr in LRS:
        for bs in BATCHES:
            for seed in SEEDS:
                stale = (lr, bs, seed) == (0.1, 64, 3)
                wall = now - 7200 if stale else now - 600
                # Left running: started at `wall`, never ended; its last epoch
                # was logged STEPS - 1 seconds later.
                started = datetime.datetime.fromtimestamp(wall, datetime.timezone.utc).isoformat()
                extra = (
                    {"status": "running", "started_at": started, "ended_at": None} if stale else {}
                )
                trials[trial_name(lr, bs, seed)] = write_trial(root, lr, bs, seed, wall, **extra)
    return trials


def start_tensorboard(logdir, load_fast: bool, n_runs: int) -> TensorBoardProcess:
    """Starts tensorboard and waits until our plugin lists `n_runs` runs."""
    tb = TensorBoardProcess(str(logdir), load_fast)
    try:
        tb.wait_for(lambda: len(tb.get_json("data/plugin/rungroups/runs")["runs"]) == n_runs)
    except BaseException:
        tb.close()
        raise
    return tb


def wait_counts(frame, text: str, timeout: float = 30_000) -> None:
    """Waits until the counts line reads exactly `text`."""
    frame.locator(".rg-counts").filter(has_text=re.compile(f"^{re.escape(text)}$")).wait_for(
        timeout=timeout
    )


def chips(frame) -> list[str]:
    return frame.locator(".rg-by-chip .rg-chip-text").all_inner_texts()


def column(frame, cls: str) -> list[str]:
    return [t.strip() for t in frame.locator(f".rg-group-row .{cls}").all_inner_texts()]


def group_values(frame) -> list[list[str]]:
    rows = frame.locator(".rg-group-row")
    return [rows.nth(i).locator(".rg-group-value").all_inner_texts() for i in range(rows.count())]


def group_row(frame, by: list[str], *values):
    """The table row of a group, found by the key the backend gives it (`grouping.group_key`)."""
    return frame.locator(f'.rg-group-row[data-key="{grouping.group_key(by, values)}"]')


DEFAULT_BY = ["param.lr", "param.bs"]


def painted_pixels(frame) -> int:
    """How many pixels of the chart's plot canvas are not blank."""
    return frame.locator(".rg-chart canvas").first.evaluate(
        """c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                 let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i]) n++; return n; }"""
    )


def assert_clean(page) -> None:
    assert page.dialogs == []
    assert page.console_errors == []


@pytest.fixture(scope="module")
def grid(tmp_path_factory):
    root = tmp_path_factory.mktemp("rg-grid")
    trials = write_standard_logdir(root)
    tb = start_tensorboard(root, True, sum(len(r) for r in trials.values()))
    yield SimpleNamespace(tb=tb, trials=trials, root=root)
    tb.close()


# --- 1. grouping -----------------------------------------------------------------------


def test_default_groups_over_repeats_and_nesting_changes_counts(page, grid):
    frame = open_run_groups(page, grid.tb)
    wait_counts(frame, "12 runs in 4 groups")
    assert chips(frame) == ["param.lr", "param.bs"]
    assert group_values(frame) == [["0.01", "32"], ["0.01", "64"], ["0.1", "32"], ["0.1", "64"]]
    assert column(frame, "rg-size") == ["3", "3", "3", "3"]

    frame.locator('.rg-by-chip[data-field="param.bs"] .rg-by-remove').click()
    wait_counts(frame, "12 runs in 2 groups")
    assert column(frame, "rg-size") == ["6", "6"]

    frame.locator(".rg-by-add").select_option("param.seed")
    wait_counts(frame, "12 runs in 6 groups")
    assert chips(frame) == ["param.lr", "param.seed"]
    assert group_values(frame)[:2] == [["0.01", "1"], ["0.01", "2"]]
    headers = frame.locator(".rg-head-row .rg-th").all_inner_texts()
    assert "param.lr" in headers and "param.seed" in headers

    frame.locator('.rg-by-chip[data-field="param.seed"] .rg-by-left').click()
    group_row(frame, ["param.seed", "param.lr"], 1, 0.01).wait_for()
    assert chips(frame) == ["param.seed", "param.lr"]
    assert group_values(frame)[:2] == [["1", "0.01"], ["1", "0.1"]]

    frame.locator(".rg-by-default").click()
    wait_counts(frame, "12 runs in 4 groups")
    assert_clean(page)


# --- 2. sort, expand, run panel --------------------------------------------------------


def _numbers(texts: list[str]) -> list[float]:
    return [float(t.split("±")[0]) for t in texts]


def test_table_sorts_expands_and_shows_a_runs_metadata(page, grid):
    frame = open_run_groups(page, grid.tb)
    wait_counts(frame, "12 runs in 4 groups")
    means = _numbers(column(frame, "rg-mean"))
    expected = [
        sum(loss(lr, bs, s, STEPS - 1, "validation") for s in SEEDS) / len(SEEDS)
        for lr in LRS
        for bs in BATCHES
    ]
    assert means == pytest.approx(expected, abs=1e-3)

    frame.locator('.rg-th[data-sort="mean"]').click()  # numbers: best (lowest) first
    frame.locator('.rg-th[data-sort="mean"][aria-sort="descending"]').wait_for()
    assert _numbers(column(frame, "rg-mean")) == sorted(means, reverse=True)
    frame.locator('.rg-th[data-sort="mean"]').click()
    frame.locator('.rg-th[data-sort="mean"][aria-sort="ascending"]').wait_for()
    assert _numbers(column(frame, "rg-mean")) == sorted(means)
    for key, col in (("min", "rg-min"), ("max", "rg-max")):
        frame.locator(f'.rg-th[data-sort="{key}"]').click()
        frame.locator(f'.rg-th[data-sort="{key}"][aria-sort="descending"]').wait_for()
        values = [float(v) for v in column(frame, col)]
        assert values == sorted(values, reverse=True)
    frame.locator('.rg-th[data-sort="value.1"]').click()
    frame.locator('.rg-th[data-sort="value.1"][aria-sort="ascending"]').wait_for()
    assert [v[1] for v in group_values(frame)] == ["32", "32", "64", "64"]

    row = group_row(frame, DEFAULT_BY, 0.1, 64)
    row.locator(".rg-toggle").click()
    members = frame.locator(".rg-member-row:not(.rg-members-head)")
    members.first.wait_for()
    assert members.count() == 3
    assert members.locator(".rg-run-name").all_inner_texts() == [
        trial_name(0.1, 64, s) for s in SEEDS
    ]
    stale = members.filter(has_text=trial_name(0.1, 64, 3))
    assert stale.locator(".rg-status").inner_text() == "stale"
    assert "last event" in stale.locator(".rg-status").get_attribute("title")
    # Its duration runs to its last event (/runs' last_event_time), marked "so far".
    assert stale.locator(".rg-duration").inner_text() == f"{STEPS - 1}s"
    assert "so far" in stale.locator(".rg-duration").get_attribute("title")
    first = members.filter(has_text=trial_name(0.1, 64, 1))
    assert first.locator(".rg-status").inner_text() == "finished"
    assert first.locator(".rg-notes").inner_text() == f"note {trial_name(0.1, 64, 1)}"
    assert first.locator(".rg-tags").inner_text() == "grid"
    assert first.locator(".rg-duration").inner_text() == "5m 00s"
    assert "lr=0.1, bs=64, seed=1" in first.locator(".rg-parsed").inner_text()
    assert first.locator(".rg-started").inner_text().strip() != ""
    assert float(first.locator(".rg-value").inner_text()) == pytest.approx(
        loss(0.1, 64, 1, STEPS - 1, "validation"), abs=1e-3
    )

    first.locator(".rg-run-name").click()
    panel = frame.locator(".rg-panel")
    panel.locator(".rg-metadata").wait_for()
    trial = trial_name(0.1, 64, 1)
    assert panel.locator(".rg-panel-title").inner_text() == f"{trial}/validation"
    metadata = dict(
        zip(
            panel.locator(".rg-metadata .rg-kv-key").all_inner_texts(),
            panel.locator(".rg-metadata .rg-kv-value").all_inner_texts(),
            strict=True,
        )
    )
    # Each value once: hparams confirm the parsed params (shown once, marked as
    # both), so the metadata table does not repeat them.
    assert metadata == {
        "status": "finished",
        "tags": "grid",
        "notes": f"note {trial}",
        "started_at": "2026-01-01T10:00:00",
        "ended_at": "2026-01-01T10:05:00",
    }
    params = panel.locator(".rg-params tr")
    assert params.locator(".rg-kv-key").all_inner_texts() == ["lr", "bs", "seed"]
    assert [r.get_attribute("data-source") for r in params.all()] == ["both"] * 3
    assert params.first.locator(".rg-kv-value").inner_text().split()[0] == "0.1"
    assert "name + hparams" in params.first.inner_text()
    assert panel.locator(".rg-trial-runs li").all_inner_texts() == grid.trials[trial]
    # How the run was read: /run's `read` (the tab's /runs leaves it out).
    read = grid.tb.get_json(
        "data/plugin/rungroups/run?" + urllib.parse.urlencode({"run": f"{trial}/validation"})
    )["read"]
    assert read["trial"] == {
        "trial": trial,
        "rule": "layout: split validation",
        "joined": [r for r in grid.trials[trial] if r != f"{trial}/validation"],
    }
    assert (
        panel.locator(".rg-read-trial").inner_text() == f"trial {trial}: layout: split validation"
    )
    assert panel.locator(".rg-read-fields .rg-kv-key").all_inner_texts() == [
        f["field"] for f in read["fields"]
    ]
    panel.locator(".rg-copy-path").click()
    frame.locator(".rg-toast .rg-copied", has_text=f"{trial}/validation").wait_for()
    panel.locator(".rg-close").click()
    assert frame.locator(".rg-panel").count() == 0

    row.locator(".rg-toggle").click()
    frame.locator(".rg-member-row").first.wait_for(state="detached")
    assert_clean(page)


# --- 3. chart --------------------------------------------------------------------------


def test_chart_draws_selected_groups_with_bands_log_scale_and_legend(page, grid):
    frame = open_run_groups(page, grid.tb)
    wait_counts(frame, "12 runs in 4 groups")
    chart = frame.locator('.rg-chart[data-series="4"]')
    chart.wait_for()
    assert chart.get_attribute("data-bands") == "4"
    assert chart.get_attribute("data-scale") == "linear"
    assert chart.locator("canvas").count() >= 1
    # Each group row draws its mean curve small: a sparkline path in the
    # group's chart colour.
    spark = group_row(frame, DEFAULT_BY, 0.01, 32).locator("svg.rg-spark path")
    spark.wait_for()
    assert spark.get_attribute("d").startswith("M1.0 ")
    assert spark.get_attribute("d").count("L") >= 1
    swatch = group_row(frame, DEFAULT_BY, 0.01, 32).locator(".rg-swatch")
    assert swatch.evaluate("s => getComputedStyle(s).backgroundColor") == spark.evaluate(
        "p => getComputedStyle(p).stroke"
    )
    legend = frame.locator(".rg-legend-item")
    assert legend.locator(".rg-legend-label").all_inner_texts() == [
        f"param.lr={lr}, param.bs={bs}" for lr in LRS for bs in BATCHES
    ]
    assert "(3 runs)" in legend.first.inner_text()

    group_row(frame, DEFAULT_BY, 0.01, 32).locator(".rg-select-group").uncheck()
    frame.locator('.rg-chart[data-series="3"]').wait_for()
    assert legend.count() == 3

    frame.locator(".rg-log").check()
    frame.locator('.rg-chart[data-scale="log"]').wait_for()
    frame.locator(".rg-band").select_option("std")
    frame.locator('.rg-chart[data-scale="log"][data-bands="3"]').wait_for()
    frame.locator(".rg-band").select_option("none")
    frame.locator('.rg-chart[data-bands="0"]').wait_for()

    legend.first.locator(".rg-legend-label").click()
    assert "rg-legend-off" in legend.first.get_attribute("class")
    legend.first.locator(".rg-legend-label").click()
    assert "rg-legend-off" not in legend.first.get_attribute("class")
    # The chart paints pixels: some of the plot canvas is not blank.
    assert painted_pixels(frame) > 500
    # With only lr telling the charted groups apart, the legend names just lr;
    # the full label is on hover.
    group_row(frame, DEFAULT_BY, 0.1, 32).locator(".rg-select-group").uncheck()
    frame.locator('.rg-chart[data-series="2"]').wait_for()
    labels = legend.locator(".rg-legend-label")
    assert labels.all_inner_texts() == ["param.lr=0.01", "param.lr=0.1"]
    assert labels.first.get_attribute("title").startswith("param.lr=0.01, param.bs=64")
    assert_clean(page)


def test_nan_and_infinite_values_group_sort_and_chart_like_any_other(page, tmp_path):
    # lr=nan and lr=inf parse as floats the JSON of /groups can only name as
    # strings; the tab names groups by their backend key, so these chart too.
    lrs = ("nan", "inf", "0.1")
    for i, lr in enumerate(lrs):
        for seed in (1, 2):
            write_scalars(
                str(tmp_path / f"lr={lr}" / f"seed_{seed}"),
                "epoch_loss",
                [1.0 / (1 + step * (i + 1)) + seed * 0.01 for step in range(STEPS)],
            )
    tb = start_tensorboard(tmp_path, True, n_runs=6)
    curves = []
    page.on(
        "response",
        lambda r: "/data/plugin/rungroups/curves?" in r.url and curves.append((r.url, r.status)),
    )
    try:
        frame = open_run_groups(page, tb)
        wait_counts(frame, "6 runs in 3 groups")
        # The backend's value order: numbers, infinity among them, NaN after.
        assert group_values(frame) == [["0.1"], ["Infinity"], ["NaN"]]
        assert column(frame, "rg-size") == ["2", "2", "2"]
        by = ["param.lr"]
        nan_row = group_row(frame, by, float("nan"))
        inf_row = group_row(frame, by, float("inf"))
        assert nan_row.locator(".rg-group-value").inner_text() == "NaN"
        assert inf_row.locator(".rg-group-value").inner_text() == "Infinity"
        # Each has its mean curve, looked up by key.
        for row in (nan_row, inf_row):
            assert row.locator("svg.rg-spark path").get_attribute("d").count("L") >= 1
        # A column sorts by the backend's ranks, either way.
        frame.locator('.rg-th[data-sort="value.0"]').click()
        frame.locator('.rg-th[data-sort="value.0"][aria-sort="ascending"]').wait_for()
        assert group_values(frame) == [["0.1"], ["Infinity"], ["NaN"]]
        frame.locator('.rg-th[data-sort="value.0"]').click()
        frame.locator('.rg-th[data-sort="value.0"][aria-sort="descending"]').wait_for()
        assert group_values(frame) == [["NaN"], ["Infinity"], ["0.1"]]

        frame.locator(".rg-clear-selection").click()
        chart = frame.locator(".rg-chart")
        frame.locator('.rg-chart[data-series="0"]').wait_for()
        nan_row.locator(".rg-select-group").check()
        frame.locator('.rg-chart[data-series="1"]').wait_for()
        inf_row.locator(".rg-select-group").check()
        frame.locator('.rg-chart[data-series="2"]').wait_for()
        legend = frame.locator(".rg-legend-item")
        assert legend.locator(".rg-legend-label").all_inner_texts() == [
            "param.lr=NaN",
            "param.lr=Infinity",
        ]
        keys = [grouping.group_key(by, [v]) for v in (float("nan"), float("inf"))]
        assert [legend.nth(i).get_attribute("data-key") for i in range(2)] == keys
        assert "(2 runs)" in legend.first.inner_text()
        assert chart.get_attribute("data-bands") == "2"
        group_row(frame, by, 0.1).locator(".rg-select-group").check()
        frame.locator('.rg-chart[data-series="3"]').wait_for()
        # The chart asked for exactly those groups, by key, and got them.
        asked = [
            q.split("=", 1)[1]
            for url, _ in curves
            for q in url.split("?", 1)[1].split("&")
            if q.startswith("group=")
        ]
        assert set(keys) <= set(asked)
        assert curves and all(status == 200 for _, status in curves), curves
        assert painted_pixels(frame) > 500
        assert frame.locator(".rg-banner-error:not([hidden])").count() == 0
        assert_clean(page)
    finally:
        tb.close()


# --- 4. Open in Time Series ------------------------------------------------------------


def test_open_in_time_series_shows_exactly_the_groups_runs(page, grid):
    frame = open_run_groups(page, grid.tb)
    wait_counts(frame, "12 runs in 4 groups")
    row = group_row(frame, DEFAULT_BY, 0.1, 32)
    expected = sorted(r for s in SEEDS for r in grid.trials[trial_name(0.1, 32, s)])
    assert len(expected) == 9

    row.locator(".rg-copy-regex").click()
    regex = frame.locator(".rg-toast .rg-copied").inner_text()
    assert regex.startswith("^(?:") and regex.endswith(")$")
    all_runs = [r for runs in grid.trials.values() for r in runs]
    assert sorted(r for r in all_runs if re.search(regex, r, re.I)) == expected

    link = row.locator(".rg-ts-link")
    assert link.get_attribute("target") == "_top"
    assert link.get_attribute("href").startswith("../../../?runFilter=")
    link.click()
    page.wait_for_url(re.compile(r".*\?runFilter=.*#timeseries$"), timeout=30_000)
    cells = page.locator("runs-selector tb-data-table-content-cell.table-column-run")

    def listed():
        return sorted(t.strip() for t in cells.all_inner_texts())

    deadline = time.time() + 30
    while listed() != expected and time.time() < deadline:
        page.wait_for_timeout(250)
    assert listed() == expected
    assert page.locator("tb-filter-input.run-filter input").input_value() == regex
    assert_clean(page)


# --- 5. filters and export ---------------------------------------------------------------


def _download(page, frame, button: str) -> str:
    with page.expect_download() as info:
        frame.locator(button).click()
    with open(info.value.path(), encoding="utf-8", newline="") as f:  # CRLF kept
        return f.read()


def _table(frame) -> list[dict]:
    rows = []
    means = [
        " ".join(
            t.strip()
            for t in frame.locator(".rg-group-row .rg-mean")
            .nth(i)
            .locator(".rg-stat-mean, .rg-stat-spread")
            .all_inner_texts()
        )
        for i in range(frame.locator(".rg-group-row").count())
    ]
    for values, size, mean, lo, hi in zip(
        group_values(frame),
        column(frame, "rg-size"),
        means,
        column(frame, "rg-min"),
        column(frame, "rg-max"),
        strict=True,
    ):
        rows.append({"values": values, "runs": size, "mean": mean, "min": lo, "max": hi})
    return rows


def _shown(value: str) -> str:
    return f"{float(value):.4g}" if value not in ("", None) else ""


def test_filters_and_exports_equal_the_table(page, grid):
    frame = open_run_groups(page, grid.tb)
    wait_counts(frame, "12 runs in 4 groups")

    frame.locator(".rg-filter").fill("SEED_1")  # text filter ignores case
    wait_counts(frame, "4 runs in 4 groups (of 12)")
    frame.locator(".rg-filter").fill("")
    wait_counts(frame, "12 runs in 4 groups")

    frame.locator(".rg-regex").fill("seed_[12]$")
    wait_counts(frame, "8 runs in 4 groups (of 12)")
    frame.locator(".rg-regex").fill("(unclosed")  # marked, not sent: the table stays
    frame.locator(".rg-regex.rg-invalid").wait_for()
    page.wait_for_timeout(500)
    wait_counts(frame, "8 runs in 4 groups (of 12)")
    frame.locator(".rg-regex").fill("seed_[12]$")
    frame.locator(".rg-regex:not(.rg-invalid)").wait_for()

    frame.locator(".rg-where-field").select_option("param.bs")
    frame.locator(".rg-where-value").select_option("64")
    frame.locator(".rg-where-add").click()
    wait_counts(frame, "4 runs in 2 groups (of 12)")
    assert frame.locator(".rg-where-chip").inner_text().startswith("param.bs = 64")
    frame.locator('.rg-th[data-sort="mean"]').click()
    frame.locator('.rg-th[data-sort="mean"][aria-sort="descending"]').wait_for()
    shown = _table(frame)
    # bs is constant after the filter: hidden from the default grouping's columns.
    assert [r["values"] for r in shown] == [["0.01"], ["0.1"]]
    assert "param.bs: constant here" in frame.locator(".rg-constant-note").inner_text()

    # The exports are /export's for the view's arguments: what `tb-rungroups ls
    # --format csv|json` prints for the same view.
    csv_text = _download(page, frame, ".rg-export-csv")
    json_text = _download(page, frame, ".rg-export-json")
    view = {"regex": "seed_[12]$", "where": "param.bs=64", "metric": "epoch_loss"}
    view["reduction"] = "last"
    for fmt, text in (("csv", csv_text), ("json", json_text)):
        query = urllib.parse.urlencode({"format": fmt, **view})
        status, _, body = grid.tb.get(f"data/plugin/rungroups/export?{query}")
        assert status == 200 and body.decode() == text, fmt
    answer = json.loads(json_text)
    assert answer == grid.tb.get_json(
        "data/plugin/rungroups/groups?" + urllib.parse.urlencode(view)
    )
    records = list(csv.DictReader(io.StringIO(csv_text)))
    assert len(records) == len(answer["groups"]) == len(shown)
    prefix = "epoch_loss [validation, last]"
    by_lr = {rec["lr"]: rec for rec in records}
    for row in shown:
        rec = by_lr[row["values"][0]]
        assert rec["bs"] == "64"
        assert rec["runs"] == rec[f"{prefix} n"] == row["runs"] == "2"
        mean, half = (p.strip() for p in row["mean"].split("±"))
        low = float(rec[f"{prefix} ci_low (95% CI, Student t)"])
        high = float(rec[f"{prefix} ci_high (95% CI, Student t)"])
        assert (mean, half) == _half_text(float(rec[f"{prefix} mean"]), (high - low) / 2)
        assert _shown(rec[f"{prefix} min"]) == _shown(row["min"])
        assert _shown(rec[f"{prefix} max"]) == _shown(row["max"])
        assert rec[f"{prefix} best_run"].endswith("seed_1")

    frame.locator(".rg-where-remove").click()
    wait_counts(frame, "8 runs in 4 groups (of 12)")
    assert_clean(page)


# --- 6. deep links -----------------------------------------------------------------------


def test_deep_link_restores_state_and_copy_link_reproduces_it(page, grid):
    hash_ = (
        "#rungroups&p.rungroups.by=param.bs&p.rungroups.sort=-mean"
        "&p.rungroups.filter=seed&p.rungroups.where="
        + "%5B%5B%22param.lr%22%2C%220.1%22%5D%5D"
        + "&p.rungroups.log=1&p.rungroups.band=std"
    )
    page.goto(grid.tb.url + hash_)
    frame = page.frame_locator("iframe")
    wait_counts(frame, "6 runs in 2 groups (of 12)", timeout=60_000)
    assert chips(frame) == ["param.bs"]
    assert frame.locator(".rg-where-chip .rg-chip-text").inner_text() == "param.lr = 0.1"
    assert frame.locator(".rg-filter").input_value() == "seed"
    assert frame.locator('.rg-th[data-sort="mean"]').get_attribute("aria-sort") == "descending"
    assert group_values(frame) == [["32"], ["64"]]
    frame.locator('.rg-chart[data-scale="log"]').wait_for()
    assert frame.locator(".rg-band").input_value() == "std"

    value = copy_link(frame)
    assert value.startswith(grid.tb.url + "#rungroups&")
    for part in (
        "p.rungroups.by=param.bs",
        "p.rungroups.sort=-mean",
        "p.rungroups.filter=seed",
        "p.rungroups.log=1",
        "p.rungroups.band=std",
    ):
        assert part in value

    other = page.context.new_page()
    other.goto(value)
    again = other.frame_locator("iframe")
    wait_counts(again, "6 runs in 2 groups (of 12)", timeout=60_000)
    assert chips(again) == ["param.bs"]
    other.close()
    assert_clean(page)


# --- 9. themes and the error state -------------------------------------------------------


def _bg(frame) -> str:
    return frame.locator("body").evaluate(
        "b => getComputedStyle(b).getPropertyValue('--rg-bg').trim()"
    )


def test_theme_follows_tensorboard_dark_mode_and_the_system(page, grid):
    frame = open_run_groups(page, grid.tb)
    wait_counts(frame, "12 runs in 4 groups")
    assert _bg(frame) == "#ffffff"
    page.evaluate("document.body.classList.add('dark-mode')")
    frame.locator("html[data-theme='dark']").wait_for()
    assert _bg(frame) == "#303030"
    assert frame.locator("body").evaluate("b => getComputedStyle(b).backgroundColor") == (
        "rgb(48, 48, 48)"
    )
    page.evaluate("document.body.classList.remove('dark-mode')")
    frame.locator("html[data-theme='light']").wait_for()
    assert _bg(frame) == "#ffffff"

    # TensorBoard's default theme follows the system: so does the tab.
    page.emulate_media(color_scheme="dark")
    page.reload()
    frame = page.frame_locator("iframe")
    wait_counts(frame, "12 runs in 4 groups", timeout=60_000)
    frame.locator("html[data-dark='true']").wait_for()
    assert _bg(frame) == "#303030"
    assert_clean(page)


def test_backend_failure_shows_the_error_state(page, grid):
    page.route(
        re.compile(r".*/data/plugin/rungroups/fields.*"),
        lambda route: route.fulfill(status=500, body="internal failure: disk on fire"),
    )
    page.goto(grid.tb.url + "#rungroups")
    frame = page.frame_locator("iframe")
    error = frame.locator(".rg-error-state")
    error.wait_for(timeout=60_000)
    assert "could not load" in error.locator("h2").inner_text()
    assert "disk on fire" in error.locator(".rg-error-message").inner_text()
    page.unroute(re.compile(r".*/data/plugin/rungroups/fields.*"))
    frame.locator(".rg-retry").click()
    wait_counts(frame, "12 runs in 4 groups")
    # The failed request is the only console error; nothing else went wrong.
    assert page.dialogs == []
    assert all("500" in e for e in page.console_errors), page.console_errors


# --- 7. statistics a paper can report: interval, baseline, more metrics, paper tables -----

# Final validation losses per seed: noisy enough for p-values between 0.001 and 1,
# a group of 2 runs (the comparison's warning) and one of a single run (n=1).
STATS_GROUPS = {
    "0.1": (0.50, 0.52, 0.55, 0.49),  # the baseline
    "0.2": (0.47, 0.51, 0.45),
    "0.3": (0.53, 0.48),
    "0.4": (0.40,),
}


def _paper(stats: dict, method: str) -> tuple[str, str, str]:
    """What a stat cell shows: tb_plugin.export.paper_cell's rounding, the rule of the paper table."""
    from tb_plugin import export

    mean, spread, n = export.paper_cell(stats, method)
    return mean, spread, n


def _half_text(x: float, half: float) -> tuple[str, str]:
    from tb_plugin import export

    d = export._decimals(half)
    return export._fixed(x, d), export._fixed(half, d)


def _stat_cell(row, block: int = 0) -> tuple[str, str, str]:
    cell = row.locator(f'.rg-stat[data-block="{block}"]')
    return tuple(
        cell.locator(f".rg-stat-{part}").inner_text().strip() for part in ("mean", "spread", "n")
    )


def _copy_stub(frame) -> None:
    """Replaces the tab's clipboard with a recorder (read back with _copied)."""
    frame.locator("body").evaluate(
        "b => { window.__copied = []; navigator.clipboard.writeText = async (t) => {"
        " window.__copied.push(t); }; }"
    )


def _copied(frame) -> list[str]:
    return frame.locator("body").evaluate("b => window.__copied")


@pytest.fixture(scope="module")
def stats_tb(tmp_path_factory):
    root = tmp_path_factory.mktemp("rg-stats")
    for lr, finals in STATS_GROUPS.items():
        for seed, final in enumerate(finals, 1):
            write_scalars(str(root / f"lr={lr}" / f"seed_{seed}"), "epoch_loss", [1.0, 0.8, final])
    tb = start_tensorboard(root, True, n_runs=sum(len(v) for v in STATS_GROUPS.values()))
    yield tb
    tb.close()


def test_baseline_comparison_and_copy_as_latex_equal_the_backend(page, stats_tb):
    tb = stats_tb
    by = ["param.lr"]
    key = {lr: grouping.group_key(by, [float(lr)]) for lr in STATS_GROUPS}
    frame = open_run_groups(page, tb)
    wait_counts(frame, "10 runs in 4 groups")
    args = {"metric": "epoch_loss", "reduction": "last"}
    plain = tb.get_json("data/plugin/rungroups/groups?" + urllib.parse.urlencode(args))
    # mean ± half-width of the 95% t interval with n, rounded as the paper table rounds.
    for g in plain["groups"]:
        row = frame.locator(f'.rg-group-row[data-key="{g["key"]}"]')
        assert _stat_cell(row) == _paper(g["stats"], "t")
    one = frame.locator(f'.rg-group-row[data-key="{key["0.4"]}"]')
    assert _stat_cell(one) == ("0.4", "", "n=1")  # no "± 0"
    assert "±" not in one.locator(".rg-mean").inner_text()
    # Too few runs: marked, not hidden.
    assert frame.locator(".rg-group-row .rg-stat.rg-few .rg-few-mark").count() == 2
    assert "mean ± CI" in frame.locator('.rg-th[data-sort="mean"]').inner_text()

    # Pick the baseline on its row: Δ / p / Holm / P(better) equal /groups?baseline=.
    base_row = frame.locator(f'.rg-group-row[data-key="{key["0.1"]}"]')
    base_row.locator(".rg-set-baseline").click()
    frame.locator('.rg-set-baseline[aria-pressed="true"]').wait_for()
    frame.locator(".rg-group-row .rg-delta-value").first.wait_for()
    expected = tb.get_json(
        "data/plugin/rungroups/groups?" + urllib.parse.urlencode({**args, "baseline": key["0.1"]})
    )
    assert expected["baseline"] == key["0.1"]
    assert frame.locator(".rg-baseline-chip .rg-chip-text").inner_text() == "param.lr=0.1"
    assert base_row.locator(".rg-delta").inner_text().strip() == "baseline"
    p_values = []
    for g in expected["groups"]:
        c = g["compare"]
        if g["key"] == key["0.1"]:
            assert c is None
            continue
        row = frame.locator(f'.rg-group-row[data-key="{g["key"]}"]')
        delta = row.locator(".rg-delta-value").inner_text()
        p_text = row.locator(".rg-p-value").inner_text()
        holm = row.locator(".rg-p-holm").inner_text().strip(" /")
        prob = row.locator(".rg-prob").inner_text()
        if c["delta_ci_low"] is not None:
            d, h = _half_text(c["delta"], (c["delta_ci_high"] - c["delta_ci_low"]) / 2)
            assert delta == f"{'+' if c['delta'] > 0 else ''}{d} ± {h}"
        else:  # one run: no interval of the difference, no p
            assert delta == f"{c['delta']:+.4g}"
        for text, p in ((p_text, c["p_value"]), (holm, c["p_holm"])):
            if p is None:
                assert text == "–"
            elif p < 0.001:
                assert text == "<0.001"
            else:
                assert float(text) == pytest.approx(float(f"{p:.2g}")), (text, p)
                assert len(text.replace("0.", "").lstrip("0")) == 2  # two significant digits
                p_values.append(p)
        assert prob == f"{c['prob_improvement']:.2f}"
        # Fewer than 3 runs a side: the warning is marked and says why.
        warning = row.locator(".rg-delta .rg-warning")
        if c["warning"]:
            assert warning.get_attribute("title") == c["warning"]
        else:
            assert warning.count() == 0
    assert p_values, "the fixture gives real p-values"
    assert frame.locator(".rg-delta .rg-warning").count() == 2
    assert f"p.rungroups.baseline={key['0.1']}" in copy_link(frame)

    # Sort by Δ (a stat column like any other): the baseline itself goes last.
    frame.locator('.rg-th[data-sort="delta"]').click()
    frame.locator('.rg-th[data-sort="delta"][aria-sort="descending"]').wait_for()
    order = [r.get_attribute("data-key") for r in frame.locator(".rg-group-row").all()]
    deltas = {g["key"]: g["compare"]["delta"] for g in expected["groups"] if g["compare"]}
    assert order == [*sorted(deltas, key=deltas.get, reverse=True), key["0.1"]]

    # A bootstrap interval, shown as it is ([low, high]), then Copy as LaTeX / Markdown.
    frame.locator(".rg-ci").select_option("bootstrap")
    frame.locator(".rg-th", has_text="mean [CI]").wait_for()
    boot_args = {**args, "ci": "bootstrap", "baseline": key["0.1"]}
    boot = tb.get_json("data/plugin/rungroups/groups?" + urllib.parse.urlencode(boot_args))
    for g in boot["groups"]:
        row = frame.locator(f'.rg-group-row[data-key="{g["key"]}"]')
        assert _stat_cell(row)[:2] == _paper(g["stats"], "bootstrap")[:2]
    _copy_stub(frame)
    frame.locator(".rg-copy-latex").click()
    frame.locator('.rg-export-box[data-format="LaTeX"]').wait_for()
    status, headers, body = tb.get(
        "data/plugin/rungroups/export?" + urllib.parse.urlencode({"format": "latex", **boot_args})
    )
    assert status == 200 and headers["Content-Type"].startswith("application/x-latex")
    latex = body.decode()
    assert _copied(frame) == [latex]
    assert frame.locator(".rg-export-text").input_value() == latex
    assert "copied" in frame.locator(".rg-export-note").inner_text()
    assert r"\begin{tabular}" in latex and "percentile bootstrap" in latex
    frame.locator(".rg-copy-markdown").click()
    frame.locator('.rg-export-box[data-format="Markdown"]').wait_for()
    _, _, md = tb.get(
        "data/plugin/rungroups/export?"
        + urllib.parse.urlencode({"format": "markdown", **boot_args})
    )
    assert _copied(frame) == [latex, md.decode()]
    assert_clean(page)


def test_spread_choice_and_a_second_metric_block_with_k(page, stats_tb):
    tb = stats_tb
    frame = open_run_groups(page, tb)
    wait_counts(frame, "10 runs in 4 groups")
    frame.locator(".rg-spread").select_option("std")
    frame.locator(".rg-th", has_text="mean ± std").wait_for()
    answer = tb.get_json("data/plugin/rungroups/groups?metric=epoch_loss&reduction=last")
    for g in answer["groups"]:
        row = frame.locator(f'.rg-group-row[data-key="{g["key"]}"]')
        s = g["stats"]
        if s["std"] is None:
            assert _stat_cell(row)[:2] == (f"{s['mean']:.4g}", "")
        else:
            assert _stat_cell(row)[:2] == tuple(
                t if i == 0 else f"± {t}" for i, t in enumerate(_half_text(s["mean"], s["std"]))
            )
    frame.locator(".rg-spread").select_option("sem")
    frame.locator(".rg-th", has_text="mean ± sem").wait_for()

    # A second block: the same metric as the mean of the last k=2 values.
    frame.locator(".rg-more-add").select_option("epoch_loss")
    frame.locator(".rg-more-chip").wait_for()
    frame.locator(".rg-more-reduction").select_option("mean_last_k")
    k = frame.locator(".rg-k")
    k.fill("2")
    frame.locator('.rg-th[data-sort="mean.1"]', has_text="mean_last_k k=2").wait_for()
    two = tb.get_json(
        "data/plugin/rungroups/groups?metric=epoch_loss&metric=epoch_loss"
        "&reduction=last&reduction=mean_last_k&k=2"
    )
    assert [m["reduction"] for m in two["metrics"]] == ["last", "mean_last_k"]
    for g in two["groups"]:
        row = frame.locator(f'.rg-group-row[data-key="{g["key"]}"]')
        for i, block in enumerate(g["metrics"]):
            s = block["stats"]
            want = (
                (f"{s['mean']:.4g}", "")
                if s["sem"] is None
                else tuple(
                    t if j == 0 else f"± {t}" for j, t in enumerate(_half_text(s["mean"], s["sem"]))
                )
            )
            assert _stat_cell(row, i)[:2] == want, (g["label"], i)
    link = copy_link(frame)
    for part in ("p.rungroups.spread=sem", "p.rungroups.k=2", "p.rungroups.more="):
        assert part in link
    # The link brings the same view back.
    other = page.context.new_page()
    other.goto(link)
    again = other.frame_locator("iframe")
    again.locator('.rg-th[data-sort="mean.1"]', has_text="mean_last_k k=2").wait_for(timeout=60_000)
    assert again.locator(".rg-k").input_value() == "2"
    assert again.locator(".rg-spread").input_value() == "sem"
    other.close()
    assert_clean(page)


def test_a_baseline_outside_the_view_is_dropped_with_a_note(page, stats_tb):
    tb = stats_tb
    gone = grouping.group_key(["param.lr"], [9.0])  # a well-formed key of no group here
    page.goto(tb.url + f"#rungroups&p.rungroups.baseline={gone}")
    frame = page.frame_locator("iframe")
    wait_counts(frame, "10 runs in 4 groups", timeout=60_000)
    frame.locator(".rg-banner", has_text="baseline group is not in this view").wait_for()
    assert frame.locator(".rg-th", has_text="P(better)").count() == 0
    assert frame.locator(".rg-set-baseline[aria-pressed='true']").count() == 0
    # The table works as without a baseline; the one request that 404'd is the only error.
    assert frame.locator(".rg-group-row").count() == 4
    assert page.dialogs == []
    assert all("404" in e for e in page.console_errors), page.console_errors


def copy_link(frame, timeout: float = 30) -> str:
    """Clicks "Copy link" and returns the link it shows, once the click has filled it in.

    The box is emptied first: the click fills it after an await on the clipboard, so reading it
    straight after the click can return nothing, or the link of an earlier click.
    """
    box = frame.locator(".rg-link")
    box.evaluate("e => { e.value = ''; }")
    frame.locator(".rg-copy-link").click()
    deadline = time.time() + timeout
    while True:
        value = box.input_value()
        if value or time.time() > deadline:
            return value
        time.sleep(0.05)
