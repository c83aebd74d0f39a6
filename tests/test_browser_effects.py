"""The Effects view (SPEC §5b) in the real tab: real `tensorboard`, headless Chromium, the demo.

`demo/train.py --quick` (the session's `quick_demo`) trains learning rates 0.001 and 0.01 with
two seeds each, plus runs of other conventions; the learning rate is what moves the validation
loss. The view, opened from the view switcher or from a deep link (`p.rungroups.view=effects`),
ranks `lr` first, draws each value's t interval exactly as `/effects` gives it, exports the
figure (SVG, PNG) and the numbers (CSV), and a click on a field shows the table grouped by it.
"""

from __future__ import annotations

import csv
import io
import pathlib
import urllib.parse

import pytest
from conftest import open_run_groups

pytestmark = pytest.mark.slow

PREFIX = "/data/plugin/rungroups/"


@pytest.fixture
def demo_tb(quick_demo, tensorboard_process):
    tb = tensorboard_process(quick_demo.logdir, load_fast=True)
    tb.wait_for(lambda: len(tb.get_json("data/plugin/rungroups/runs")["runs"]) >= 4 * 3)
    return tb


def record_requests(page) -> list[str]:
    seen: list[str] = []
    page.on(
        "request",
        lambda r: (
            PREFIX in r.url and "/static/" not in r.url and seen.append(r.url.split(PREFIX, 1)[1])
        ),
    )
    return seen


def effects_answer(tb, seen: list[str]) -> dict:
    """The `/effects` answer the tab asked for (the same query, from the server)."""
    paths = [p for p in seen if p.startswith("effects?")]
    assert len(paths) == 1, seen
    return tb.get_json("data/plugin/rungroups/" + paths[0])


def check_figure(frame, answer: dict) -> None:
    """lr ranked first; its error bars are `/effects`' intervals of `lr`'s values."""
    first = answer["fields"][0]
    assert first["field"] == "param.lr"
    rows = frame.locator(".rg-effects-row[data-field]:not([data-field=''])")
    assert rows.first.get_attribute("data-field") == "param.lr"
    assert rows.first.locator(".rg-effects-label").text_content() == "lr"
    assert rows.count() == len(answer["fields"])
    panel = frame.locator('.rg-effects-panel[data-field="param.lr"]')
    assert panel.get_attribute("data-axis") == "linear"  # 0.001 and 0.01: one decade
    bars = panel.locator(".rg-effects-errorbar[data-low]")
    want = [
        (v["value"], v["ci_low"], v["ci_high"]) for v in first["values"] if v["ci_low"] is not None
    ]
    assert len(want) == 2
    got = [
        (
            float(bars.nth(i).get_attribute("data-value")),
            float(bars.nth(i).get_attribute("data-low")),
            float(bars.nth(i).get_attribute("data-high")),
        )
        for i in range(bars.count())
    ]
    assert got == want  # exactly the numbers /effects sent (JS prints floats round-trip)
    # The interval of lr's share is drawn too, and the seed-noise reference line.
    share = frame.locator('.rg-effects-row[data-field="param.lr"] .rg-effects-interval[data-low]')
    assert float(share.get_attribute("data-low")) == first["ci_low"]
    assert float(share.get_attribute("data-high")) == first["ci_high"]
    seed = frame.locator(".rg-effects-seed")
    assert float(seed.get_attribute("data-share")) == answer["seed_share"]["share"]


def test_effects_view_ranks_lr_first_with_the_routes_intervals(page, demo_tb):
    tb = demo_tb
    seen = record_requests(page)
    frame = open_run_groups(page, tb)
    frame.locator(".rg-group-row").first.wait_for(timeout=60_000)
    switcher = frame.locator(".rg-views")
    assert switcher.is_visible()
    assert [t.strip() for t in switcher.locator(".rg-view-tab").all_inner_texts()] == [
        "Groups",
        "Effects",
        "Across tasks",
    ]
    frame.locator(".rg-view-effects").click()
    frame.locator(".rg-effects-svg").wait_for(timeout=60_000)
    assert frame.locator(".rg-view-effects").get_attribute("aria-pressed") == "true"
    answer = effects_answer(tb, seen)
    check_figure(frame, answer)

    # Exports: the figure as SVG and PNG, the numbers as CSV (effects_export.to_csv's columns).
    with page.expect_download() as got:
        frame.locator(".rg-effects-svg-export").click()
    svg = pathlib.Path(got.value.path()).read_text(encoding="utf-8")
    assert svg.startswith("<?xml") and "<svg" in svg and svg.count("rg-effects-errorbar") >= 4
    with page.expect_download() as got:
        frame.locator(".rg-effects-png-export").click()
    png = pathlib.Path(got.value.path()).read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 2000
    with page.expect_download() as got:
        frame.locator(".rg-effects-csv-export").click()
    text = pathlib.Path(got.value.path()).read_text(encoding="utf-8")
    records = list(csv.DictReader(io.StringIO(text)))
    lr = next(r for r in records if r["kind"] == "field" and r["field"] == "param.lr")
    assert float(lr["share"]) == pytest.approx(answer["fields"][0]["share"], rel=1e-12)

    # Clicking a field shows the Groups view grouped by it.
    seen.clear()
    frame.locator('.rg-effects-panel[data-field="param.lr"]').click()
    frame.locator(".rg-main .rg-group-row").first.wait_for(timeout=60_000)
    assert frame.locator(".rg-view-groups").get_attribute("aria-pressed") == "true"
    assert frame.locator(".rg-effects").count() == 0
    groups = [p for p in seen if p.startswith("groups?")]
    assert groups, seen
    args = urllib.parse.parse_qs(groups[-1].split("?", 1)[1])
    assert args["by"] == ["param.lr"]
    chips = frame.locator(".rg-by-chip").all_inner_texts()
    assert len(chips) == 1 and "lr" in chips[0]
    assert page.dialogs == [] and page.console_errors == []


def test_a_deep_link_restores_the_effects_view(page, demo_tb):
    tb = demo_tb
    seen = record_requests(page)
    page.goto(tb.url + "#rungroups&p.rungroups.view=effects")
    frame = page.frame_locator("iframe")
    frame.locator(".rg-effects-svg").wait_for(timeout=60_000)
    assert frame.locator(".rg-view-effects").get_attribute("aria-pressed") == "true"
    assert frame.locator(".rg-main").count() == 0  # the Groups view is not shown
    check_figure(frame, effects_answer(tb, seen))
    # Back and forth through the switcher.
    frame.locator(".rg-view-groups").click()
    frame.locator(".rg-main .rg-group-row").first.wait_for(timeout=60_000)
    frame.locator(".rg-view-effects").click()
    frame.locator(".rg-effects-svg").wait_for(timeout=60_000)
    assert page.dialogs == [] and page.console_errors == []
