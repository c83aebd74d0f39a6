"""The Across tasks view (frontend/views/benchmark.js) in real Chromium over a real `tensorboard`.

The view is not wired into the tab yet (the tab's controller is being restructured); this test
loads the shipped module from the plugin's static route in a page of the same origin, feeds it
the live `/benchmark` answer for stable-baselines3-style logs with a missing (method, task), and
checks what a person sees: the table, the missing cell named, the profiles with their bands,
the critical-difference diagram, and the SVG and PNG exports.
"""

from __future__ import annotations

import pathlib

import pytest
from test_benchmark_route import ALGOS, BY, TAG, write_sb3_logdir

pytestmark = pytest.mark.slow

STATIC = "data/plugin/rungroups/static/"

MOUNT = """async ([query]) => {
  const { BenchmarkView } = await import("/data/plugin/rungroups/static/views/benchmark.js");
  for (const sheet of ["style.css", "views/benchmark.css"]) {
    const link = document.createElement("link");
    link.rel = "stylesheet";
    link.href = "/data/plugin/rungroups/static/" + sheet;
    document.head.appendChild(link);
  }
  const response = await fetch("/data/plugin/rungroups/benchmark?" + query);
  const answer = await response.json();
  window.changes = [];
  const view = new BenchmarkView({ change: (patch) => window.changes.push(patch) });
  document.body.replaceChildren(view.element);
  view.update({ benchmark: { task: "env", normalize: "none", baseline: "PPO" } }, answer);
  return response.status;
}"""


def test_the_view_shows_table_profiles_diagram_and_missing_cell(
    tmp_path, tensorboard_process, page
):
    logdir = tmp_path / "logs"
    scores = write_sb3_logdir(logdir, skip=("A2C", "Hopper-v4"))
    tb = tensorboard_process(logdir, load_fast=False)
    tb.wait_for(lambda: len(tb.get_json("data/plugin/rungroups/runs")["runs"]) == len(scores))
    not_found = []
    page.on("response", lambda r: r.status >= 400 and not_found.append(r.url))
    page.goto(tb.url + STATIC + "views/benchmark.css")
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
    assert page.evaluate("window.changes") == [
        {"benchmark": {"task": "env", "normalize": "minmax", "baseline": "PPO"}}
    ]
    # Every resource the page asked for loaded (Chromium's own favicon request for the bare
    # stylesheet page is no page response, and its 404 is the one console error allowed).
    assert not_found == []
    assert [e for e in page.console_errors if not e.startswith("Failed to load resource")] == []
    assert len(page.console_errors) <= 1
