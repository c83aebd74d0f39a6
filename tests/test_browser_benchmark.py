"""The Across tasks view (frontend/views/benchmark.js) in real Chromium over a real `tensorboard`.

Stable-baselines3-style logs (`env=<name>/<ALGO>_<N>`, 3 envs x 3 algorithms x 5 seeds, runs
of unequal length) with a missing (method, task). The first test loads the shipped module alone
from the plugin's static route in a page of the same origin and feeds it the live `/benchmark`
answer: the table, the missing cell named, the profiles with their bands, the
critical-difference diagram, and the SVG, PNG and CSV exports. The second opens the real tab:
the view from the switcher and from a deep link, its task field chosen by default (`env`), the
missing cell named, the profiles and the diagram drawn from the route's answer.
"""

from __future__ import annotations

import pathlib
import urllib.parse

import pytest
from test_benchmark_route import ALGOS, BY, TAG, write_sb3_logdir

pytestmark = pytest.mark.slow

STATIC = "data/plugin/rungroups/static/"

MOUNT = """async ([query]) => {
  const { BenchmarkView } = await import("/data/plugin/rungroups/static/views/benchmark.js");
  const link = document.createElement("link");
  link.rel = "stylesheet";
  link.href = "/data/plugin/rungroups/static/style.css";
  document.head.appendChild(link);
  const response = await fetch("/data/plugin/rungroups/benchmark?" + query);
  const answer = await response.json();
  window.changes = [];
  const view = new BenchmarkView({ change: (patch) => window.changes.push(patch) });
  document.body.replaceChildren(view.element);
  view.update({ task: "env", normalize: "none", baseline_method: "PPO" }, answer);
  return response.status;
}"""


def wait_for_points(tb, n_runs: int) -> None:
    """Waits until the plugin lists every run with its metric: the Python loader lists runs
    before it has read their points (a run without points is no score of its task), and
    while the warming thread re-lists, answers may reflect a listing up to about two of its
    periods old (http_api.md, "Warming")."""

    def with_metric() -> int:
        tags = tb.get_json("data/plugin/rungroups/tags")["tags"]
        return sum(s["runs"] for t in tags if t["tag"] == TAG for s in t["splits"])

    tb.wait_for(lambda: with_metric() == n_runs)


def test_the_view_shows_table_profiles_diagram_and_missing_cell(
    tmp_path, tensorboard_process, page
):
    logdir = tmp_path / "logs"
    scores = write_sb3_logdir(logdir, skip=("A2C", "Hopper-v4"))
    tb = tensorboard_process(logdir, load_fast=False)
    wait_for_points(tb, len(scores))
    not_found = []
    page.on("response", lambda r: r.status >= 400 and not_found.append(r.url))
    page.goto(tb.url + STATIC + "style.css")
    query = f"task=env&by={BY}&metric={TAG}&baseline=PPO"
    assert page.evaluate(MOUNT, [query]) == 200
    rows = page.locator(".rg-benchmark-row")
    assert rows.count() == 3
    assert [rows.nth(i).locator(".rg-benchmark-method").inner_text() for i in range(3)] == list(
        ALGOS
    )
    assert rows.nth(0).locator(".rg-benchmark-tasks").inner_text() == "2/3"
    missing = page.locator(".rg-benchmark-missing")
    assert missing.is_visible()
    assert "A2C on Hopper-v4" in missing.inner_text()
    # Every aggregate has its interval bar; the best (SAC) is bold.
    assert page.locator(".rg-benchmark-bar").count() == 12
    assert rows.nth(2).locator(".rg-benchmark-best").count() == 5
    # The profiles: a line and a band per method, drawn with a size.
    profiles = page.locator(".rg-benchmark-profiles-svg")
    assert profiles.is_visible()
    assert profiles.locator("polyline.rg-benchmark-profile").count() == 3
    assert profiles.locator("polygon.rg-benchmark-band").count() == 3
    box = profiles.bounding_box()
    assert box["width"] > 400 and box["height"] > 200
    # The diagram: each method's label with its average rank, the CD bar.
    diagram = page.locator(".rg-benchmark-cd-svg")
    assert diagram.is_visible()
    labels = diagram.locator(".rg-cd-label").all_text_contents()
    assert labels == ["SAC (1.00)", "PPO (2.00)", "A2C (3.00)"]
    assert diagram.locator(".rg-cd-bar").count() == 1
    # Exports: SVG text and a PNG image.
    with page.expect_download() as got:
        page.locator(".rg-benchmark-profiles .rg-benchmark-svg").click()
    svg = pathlib.Path(got.value.path()).read_text(encoding="utf-8")
    assert svg.startswith("<svg") and svg.count("rg-benchmark-profile") == 3
    with page.expect_download() as got:
        page.locator(".rg-benchmark-cd .rg-benchmark-png").click()
    png = pathlib.Path(got.value.path()).read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 1000
    with page.expect_download() as got:
        page.locator(".rg-benchmark-csv").click()
    csv_text = pathlib.Path(got.value.path()).read_text(encoding="utf-8")
    assert csv_text.splitlines()[1].startswith("A2C,label.0=A2C,2,10,")
    # A control changes the state, nothing else.
    page.locator(".rg-benchmark-normalize").select_option("minmax")
    assert page.evaluate("window.changes") == [{"normalize": "minmax"}]
    # Every resource the page asked for loaded (Chromium's own favicon request for the bare
    # stylesheet page is no page response, and its 404 is the one console error allowed).
    assert not_found == []
    assert [e for e in page.console_errors if not e.startswith("Failed to load resource")] == []
    assert len(page.console_errors) <= 1


PREFIX = "/data/plugin/rungroups/"


def test_the_tab_shows_across_tasks_from_the_switcher_and_a_deep_link(
    tmp_path, tensorboard_process, page
):
    logdir = tmp_path / "logs"
    scores = write_sb3_logdir(logdir, skip=("A2C", "Hopper-v4"))
    tb = tensorboard_process(logdir, load_fast=True)
    wait_for_points(tb, len(scores))
    seen: list[str] = []
    page.on(
        "request",
        lambda r: (
            PREFIX in r.url and "/static/" not in r.url and seen.append(r.url.split(PREFIX, 1)[1])
        ),
    )
    # The methods are the algorithms: the table grouped by env and the name's label (SB3's
    # `PPO_1` counters are not a grouping field until SPEC §4b rule 5 lands).
    by = urllib.parse.quote(BY, safe="")
    metric = urllib.parse.quote(TAG, safe="")
    page.goto(f"{tb.url}#rungroups&p.rungroups.by={by}&p.rungroups.metric={metric}")
    frame = page.frame_locator("iframe")
    frame.locator(".rg-main .rg-group-row").first.wait_for(timeout=60_000)
    frame.locator(".rg-view-benchmark").click()
    frame.locator(".rg-benchmark-cd-svg").wait_for(timeout=60_000)
    assert frame.locator(".rg-view-benchmark").get_attribute("aria-pressed") == "true"
    asked = [p for p in seen if p.startswith("benchmark?")]
    assert len(asked) == 1, seen
    args = urllib.parse.parse_qs(asked[0].split("?", 1)[1])
    # The task field by default: the varying field named env.
    assert args["task"] == ["param.env"] and args["by"] == [BY] and args["metric"] == [TAG]
    assert frame.locator(".rg-benchmark-task").input_value() == "param.env"
    answer = tb.get_json("data/plugin/rungroups/" + asked[0])
    check_tab(frame, answer)

    # A deep link restores the view with its task and normalisation.
    seen.clear()
    page.goto("about:blank")
    page.goto(
        f"{tb.url}#rungroups&p.rungroups.view=benchmark&p.rungroups.task=param.env"
        f"&p.rungroups.normalize=minmax&p.rungroups.by={by}&p.rungroups.metric={metric}"
    )
    frame = page.frame_locator("iframe")
    frame.locator(".rg-benchmark-cd-svg").wait_for(timeout=60_000)
    assert frame.locator(".rg-main").count() == 0
    assert frame.locator(".rg-benchmark-normalize").input_value() == "minmax"
    asked = [p for p in seen if p.startswith("benchmark?")]
    assert len(asked) == 1, seen
    assert urllib.parse.parse_qs(asked[0].split("?", 1)[1])["normalize"] == ["minmax"]
    answer = tb.get_json("data/plugin/rungroups/" + asked[0])
    assert answer["normalize"] == "minmax"
    check_tab(frame, answer)
    # A control refetches: the baseline method.
    seen.clear()
    frame.locator(".rg-benchmark-baseline").select_option("PPO")
    frame.locator(".rg-benchmark-p").first.wait_for(timeout=60_000)
    assert any("baseline=PPO" in p for p in seen if p.startswith("benchmark?")), seen
    assert page.dialogs == [] and page.console_errors == []


def check_tab(frame, answer: dict) -> None:
    """The tab shows the answer: three methods, the missing cell, the profiles, the diagram."""
    assert [m["method"] for m in answer["methods"]] == list(ALGOS)
    rows = frame.locator(".rg-benchmark-row")
    assert rows.count() == 3
    assert frame.locator(".rg-benchmark-row .rg-benchmark-method").all_inner_texts() == list(ALGOS)
    assert answer["missing"] == [{"method": "A2C", "task": "Hopper-v4"}]
    missing = frame.locator(".rg-benchmark-missing")
    assert missing.is_visible() and "A2C on Hopper-v4" in missing.inner_text()
    assert rows.nth(0).locator(".rg-benchmark-tasks").inner_text() == "2/3"
    profiles = frame.locator(".rg-benchmark-profiles-svg")
    assert profiles.is_visible()
    assert profiles.locator("polyline.rg-benchmark-profile").count() == 3
    assert profiles.locator("polygon.rg-benchmark-band").count() == 3
    diagram = frame.locator(".rg-benchmark-cd-svg")
    assert diagram.is_visible()
    ranked = sorted(answer["methods"], key=lambda m: m["average_rank"])
    want = [f"{m['method']} ({m['average_rank']:.2f})" for m in ranked]
    assert diagram.locator(".rg-cd-label").all_text_contents() == want
    assert diagram.locator(".rg-cd-bar").count() == 1
    assert frame.locator(".rg-benchmark-svg").count() == 2
    assert frame.locator(".rg-benchmark-png").count() == 2
    assert frame.locator(".rg-benchmark-csv").count() == 1
