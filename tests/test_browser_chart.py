"""The chart read like TensorBoard's, in headless Chromium on a real tensorboard.

The 2 x 2 grid over 3 seeds of `test_browser_tab.py`: the hover readout against
`/curves`, the smoothing slider and its deep link, colours that stay when other
groups are unticked, the SVG and CSV exports, and the run panel beside the chart
(closed with Esc).
"""

from __future__ import annotations

import csv
import io
import math
import urllib.parse
from types import SimpleNamespace

import pytest
from conftest import open_run_groups
from test_browser_tab import (
    DEFAULT_BY,
    _download,
    assert_clean,
    copy_link,
    group_row,
    start_tensorboard,
    trial_name,
    wait_counts,
    write_standard_logdir,
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def grid(tmp_path_factory):
    root = tmp_path_factory.mktemp("rg-chart")
    trials = write_standard_logdir(root)
    tb = start_tensorboard(root, True, sum(len(r) for r in trials.values()))
    yield SimpleNamespace(tb=tb, trials=trials, root=root)
    tb.close()


def shown(x: float) -> float:
    """A number as the tab shows it (format.js formatNumber: 4 significant digits)."""
    return float(f"{x:.4g}")


def curves(tb, keys: list[str], **args) -> dict[str, dict]:
    """`/curves` for the charted groups, by key, as the chart asks for them."""
    query = [("metric", "epoch_loss"), ("max_points", "500")]
    query += [(k, str(v)) for k, v in args.items()]
    query += [("group", k) for k in keys]
    answer = tb.get_json(f"data/plugin/rungroups/curves?{urllib.parse.urlencode(query)}")
    return {c["key"]: c["curve"] for c in answer["curves"]}


def legend_keys(frame) -> list[str]:
    return [i.get_attribute("data-key") for i in frame.locator(".rg-legend-item").all()]


def hover(page, frame, fraction: float) -> None:
    """Moves the mouse over the plot, `fraction` of the way from its left edge."""
    box = frame.locator(".rg-chart .u-over").bounding_box()
    page.mouse.move(box["x"] + box["width"] * fraction, box["y"] + box["height"] / 2)
    frame.locator(".rg-readout-head[data-x]").wait_for()


def readout(frame) -> dict[str, tuple[float, str, str, str]]:
    """Each legend item's readout: (its x, mean text, band text, runs text) by key."""
    out = {}
    for item in frame.locator(".rg-legend-item").all():
        out[item.get_attribute("data-key")] = (
            float(item.get_attribute("data-x")),
            item.locator(".rg-read-mean").inner_text(),
            item.locator(".rg-read-band").inner_text(),
            item.locator(".rg-read-count").inner_text(),
        )
    return out


def assert_readout_is_curves(frame, expected: dict[str, dict], band=("min", "max")) -> None:
    values = readout(frame)
    assert set(values) == set(expected)
    for key, (x, mean, band_text, runs) in values.items():
        c = expected[key]
        j = c["x"].index(x)
        assert float(mean) == shown(c["mean"][j]), key
        lo, hi = (float(v) for v in band_text.strip("[]").split(","))
        assert (lo, hi) == (shown(c[band[0]][j]), shown(c[band[1]][j])), key
        assert runs == f"{c['count'][j]} runs"


def test_hovering_shows_each_groups_mean_band_and_runs_at_that_step(page, grid):
    frame = open_run_groups(page, grid.tb)
    wait_counts(frame, "12 runs in 4 groups")
    chart = frame.locator('.rg-chart[data-series="4"][data-smoothing="0.6"]')
    chart.wait_for()
    keys = legend_keys(frame)
    smoothed = curves(grid.tb, keys, smoothing=0.6)
    # TensorBoard's default smoothing, the raw curve drawn faint behind.
    assert chart.get_attribute("data-raw") == "4"
    for fraction in (0.05, 0.5, 0.93):
        hover(page, frame, fraction)
        x = float(frame.locator(".rg-readout-head").get_attribute("data-x"))
        assert frame.locator(".rg-readout-head").inner_text() == f"step {x:g}"
        assert all(v[0] == x for v in readout(frame).values())  # every group has each step
        assert_readout_is_curves(frame, smoothed)
    # The confidence interval band reads as /curves' ci_low and ci_high.
    frame.locator(".rg-band").select_option("ci")
    frame.locator('.rg-chart[data-bands="4"]').wait_for()
    hover(page, frame, 0.5)
    assert_readout_is_curves(frame, smoothed, band=("ci_low", "ci_high"))
    page.mouse.move(5, 5)  # off the chart: the readout empties
    frame.locator(".rg-readout-head:not([data-x])").wait_for()
    assert_clean(page)


def test_the_smoothing_slider_changes_the_curve_and_the_link_restores_it(page, grid):
    frame = open_run_groups(page, grid.tb)
    wait_counts(frame, "12 runs in 4 groups")
    frame.locator('.rg-chart[data-smoothing="0.6"]').wait_for()
    keys = legend_keys(frame)
    hover(page, frame, 0.95)
    before = readout(frame)
    frame.locator(".rg-smoothing").fill("0.9")
    frame.locator('.rg-chart[data-smoothing="0.9"]').wait_for()
    hover(page, frame, 0.95)
    after = readout(frame)
    assert after != before
    assert_readout_is_curves(frame, curves(grid.tb, keys, smoothing=0.9))
    # Smoothing 0: no raw curve behind (it is the curve).
    frame.locator(".rg-smoothing").fill("0")
    frame.locator('.rg-chart[data-smoothing="0"][data-raw="0"]').wait_for()
    hover(page, frame, 0.95)
    assert_readout_is_curves(frame, curves(grid.tb, keys))
    frame.locator(".rg-smoothing").fill("0.9")
    frame.locator('.rg-chart[data-smoothing="0.9"][data-raw="4"]').wait_for()

    link = copy_link(frame)
    assert "p.rungroups.smoothing=0.9" in link
    other = page.context.new_page()
    other.goto(link)
    again = other.frame_locator("iframe")
    wait_counts(again, "12 runs in 4 groups", timeout=60_000)
    again.locator('.rg-chart[data-smoothing="0.9"]').wait_for()
    assert again.locator(".rg-smoothing").input_value() == "0.9"
    hover(other, again, 0.95)
    assert readout(again) == after
    other.close()
    assert_clean(page)


def _colors(frame) -> dict[str, str]:
    """Each charted group's colour in the legend, checked against its table swatch."""
    out = {}
    for item in frame.locator(".rg-legend-item").all():
        key = item.get_attribute("data-key")
        color = item.locator(".rg-swatch").evaluate("s => getComputedStyle(s).backgroundColor")
        row = frame.locator(f'.rg-group-row[data-key="{key}"]')
        assert (
            row.locator(".rg-swatch").evaluate("s => getComputedStyle(s).backgroundColor") == color
        )
        spark = row.locator("svg.rg-spark path")
        assert spark.evaluate("p => getComputedStyle(p).stroke") == color
        out[key] = color
    return out


def test_unticking_a_group_keeps_every_other_groups_colour(page, grid):
    frame = open_run_groups(page, grid.tb)
    wait_counts(frame, "12 runs in 4 groups")
    frame.locator('.rg-chart[data-series="4"]').wait_for()
    frame.locator(".rg-group-row svg.rg-spark path").first.wait_for()
    colors = _colors(frame)
    assert len(set(colors.values())) == 4
    for n, (lr, bs) in ((3, (0.01, 32)), (2, (0.1, 32))):
        group_row(frame, DEFAULT_BY, lr, bs).locator(".rg-select-group").uncheck()
        frame.locator(f'.rg-chart[data-series="{n}"]').wait_for()
        now = _colors(frame)
        assert now == {k: v for k, v in colors.items() if k in now}
    group_row(frame, DEFAULT_BY, 0.01, 32).locator(".rg-select-group").check()
    frame.locator('.rg-chart[data-series="3"]').wait_for()
    assert _colors(frame) == {k: v for k, v in colors.items() if k in legend_keys(frame)}
    assert_clean(page)


def test_svg_export_has_one_path_per_group_and_csv_equals_curves(page, grid):
    frame = open_run_groups(page, grid.tb)
    wait_counts(frame, "12 runs in 4 groups")
    frame.locator('.rg-chart[data-series="4"]').wait_for()
    group_row(frame, DEFAULT_BY, 0.1, 64).locator(".rg-select-group").uncheck()
    frame.locator('.rg-chart[data-series="3"]').wait_for()
    keys = legend_keys(frame)
    labels = frame.locator(".rg-legend-label").evaluate_all(
        "bs => bs.map(b => b.title.split(':')[0])"
    )

    svg = _download(page, frame, ".rg-export-svg")
    parsed = frame.locator("body").evaluate(
        """(b, text) => {
             const doc = new DOMParser().parseFromString(text, "image/svg+xml");
             return {root: doc.documentElement.localName, ns: doc.documentElement.namespaceURI,
                     errors: doc.getElementsByTagName("parsererror").length,
                     paths: [...doc.querySelectorAll("path")].map(p => p.getAttribute("stroke")),
                     legend: [...doc.querySelectorAll(".rg-svg-legend text")].map(t => t.textContent)};
           }""",
        svg,
    )
    assert parsed["root"] == "svg" and parsed["ns"] == "http://www.w3.org/2000/svg"
    assert parsed["errors"] == 0
    assert len(parsed["paths"]) == 3
    assert parsed["legend"] == [f"{label} (3 runs)" for label in labels]

    records = list(csv.DictReader(io.StringIO(_download(page, frame, ".rg-export-curves"))))
    assert list(records[0]) == ["group", "step", "mean", "lower", "upper", "count"]
    expected = curves(grid.tb, keys, smoothing=0.6)
    rows = []
    for key, label in zip(keys, labels, strict=True):
        c = expected[key]
        rows += [
            (label, str(x), c["mean"][j], c["min"][j], c["max"][j], str(c["count"][j]))
            for j, x in enumerate(c["x"])
        ]
    assert len(records) == len(rows)
    for rec, (label, x, mean, lo, hi, count) in zip(records, rows, strict=True):
        assert (rec["group"], rec["step"], rec["count"]) == (label, x, count)
        # The very numbers of /curves (JSON's shortest round-trip text both sides).
        for got, want in ((rec["mean"], mean), (rec["lower"], lo), (rec["upper"], hi)):
            assert float(got) == want or (got == "" and math.isnan(float(want)))
    assert_clean(page)


def test_the_run_panel_sits_beside_the_legend_and_closes_with_escape(page, grid):
    frame = open_run_groups(page, grid.tb)
    wait_counts(frame, "12 runs in 4 groups")
    frame.locator('.rg-chart[data-series="4"]').wait_for()
    row = group_row(frame, DEFAULT_BY, 0.01, 64)
    row.locator(".rg-toggle").click()
    frame.locator(".rg-member-row .rg-run-name", has_text=trial_name(0.01, 64, 2)).click()
    panel = frame.locator(".rg-panel")
    panel.locator(".rg-params").wait_for()
    legend = frame.locator(".rg-legend")
    assert legend.is_visible()
    a = panel.bounding_box()
    b = legend.bounding_box()
    assert b["x"] + b["width"] <= a["x"], (a, b)  # beside, not over
    page.keyboard.press("Escape")
    frame.locator(".rg-panel").wait_for(state="detached")
    assert frame.locator(".rg-root.rg-has-panel").count() == 0
    assert_clean(page)
