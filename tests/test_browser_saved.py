"""The Groups view drawn from saved answers, with no server, equals the live tab.

The report of SPEC §11 draws its tables and charts with the tab's own views from
answers saved as JSON (`views/groups.js` renderSaved). Here the 2 x 2 grid over 3
seeds of `test_browser_tab.py` is opened in the live tab, its `/fields`, `/tags`,
`/groups`, `/runs` and the charted groups' `/curves` answers are saved to a file,
and a page that only reads that file and the front end's modules (served by
Playwright from the working tree: no TensorBoard, no HTTP server) draws them in
headless Chromium: the same table text, the same number of chart series.
"""

from __future__ import annotations

import json
import mimetypes
import os
import urllib.parse
from types import SimpleNamespace

import pytest
from conftest import REPO, open_run_groups
from test_browser_tab import assert_clean, copy_link, start_tensorboard, write_standard_logdir

pytestmark = pytest.mark.slow

ORIGIN = "http://saved-report.invalid"

PAGE = """<!doctype html>
<html><head><meta charset="utf-8">
<link rel="stylesheet" href="./vendor/uplot/uPlot.min.css">
<link rel="stylesheet" href="./style.css"></head>
<body><main class="rg-root"><div class="rg-content" id="report"></div></main>
<script type="module">
import { renderSaved } from "./views/groups.js";
import { defaultState } from "./state.js";
const answers = await (await fetch("./answers.json")).json();
renderSaved(document.getElementById("report"), defaultState(), answers);
document.body.dataset.drawn = "true";
</script></body></html>
"""


@pytest.fixture(scope="module")
def grid(tmp_path_factory):
    root = tmp_path_factory.mktemp("rg-saved")
    trials = write_standard_logdir(root)
    tb = start_tensorboard(root, True, sum(len(r) for r in trials.values()))
    yield SimpleNamespace(tb=tb, root=root)
    tb.close()


def _group_rows(frame) -> list[str]:
    return [t.strip() for t in frame.locator(".rg-tbody .rg-group-row").all_inner_texts()]


def _saved_answers(tb, keys: list[str]) -> dict:
    """The answers the live tab drew, as the routes give them (the default view)."""
    api = "data/plugin/rungroups"
    tags = tb.get_json(f"{api}/tags")
    metric = tags["default_metric"]

    def curves(**args) -> dict:
        query = [("metric", metric), ("max_points", "500")]
        query += [(k, str(v)) for k, v in args.items()]
        query += [("group", k) for k in keys]
        return tb.get_json(f"{api}/curves?{urllib.parse.urlencode(query)}")

    return {
        "fields": tb.get_json(f"{api}/fields"),
        "tags": tags,
        "groups": tb.get_json(f"{api}/groups?metric={urllib.parse.quote(metric)}"),
        "runs": tb.get_json(f"{api}/runs"),
        "curves": curves(smoothing=0.6),
        "raw": curves(),
    }


def test_saved_answers_draw_the_same_table_and_chart_as_the_live_tab(grid, page, tmp_path):
    frame = open_run_groups(page, grid.tb)
    frame.locator(".rg-chart[data-series]:not([data-series='0'])").wait_for(timeout=60_000)
    frame.locator(".rg-root[aria-busy='false']").wait_for(timeout=60_000)
    live_rows = _group_rows(frame)
    live_series = frame.locator(".rg-chart").get_attribute("data-series")
    keys = [i.get_attribute("data-key") for i in frame.locator(".rg-legend-item").all()]
    assert len(live_rows) == 4 and int(live_series) == len(keys) >= 2
    assert_clean(page)

    saved = tmp_path / "answers.json"
    saved.write_text(json.dumps(_saved_answers(grid.tb, keys)))

    report = page.context.new_page()
    errors: list[str] = []
    report.on("pageerror", lambda e: errors.append(str(e)))
    asked: list[str] = []

    def serve(route):
        url = route.request.url
        asked.append(url)
        path = urllib.parse.urlparse(url).path.lstrip("/")
        if path in ("", "index.html"):
            return route.fulfill(body=PAGE, content_type="text/html")
        if path == "answers.json":
            return route.fulfill(body=saved.read_text(), content_type="application/json")
        file = os.path.join(REPO, "frontend", *path.split("/"))
        if ".." in path.split("/") or not os.path.isfile(file):
            return route.fulfill(status=404, body="not found")
        content_type = mimetypes.guess_type(file)[0] or "application/octet-stream"
        if file.endswith(".js"):
            content_type = "text/javascript"
        with open(file, "rb") as f:
            return route.fulfill(body=f.read(), content_type=content_type)

    report.route(f"{ORIGIN}/**", serve)
    report.route(lambda url: not url.startswith(ORIGIN), lambda route: route.abort())
    report.goto(f"{ORIGIN}/index.html")
    report.locator("body[data-drawn='true']").wait_for(timeout=30_000)
    report.locator(".rg-chart[data-series]:not([data-series='0'])").wait_for(timeout=30_000)

    assert _group_rows(report) == live_rows
    assert report.locator(".rg-chart").get_attribute("data-series") == live_series
    assert [i.get_attribute("data-key") for i in report.locator(".rg-legend-item").all()] == keys
    assert report.locator(".rg-counts").inner_text() == frame.locator(".rg-counts").inner_text()
    assert errors == []
    assert all(u.startswith(ORIGIN) for u in asked)
    assert not any("/data/plugin" in u for u in asked)


def _saved_links() -> list[str]:
    path = os.path.join(REPO, "frontend", "tests", "fixtures", "deep_links_v1.json")
    with open(path, encoding="utf-8") as f:
        return [entry["link"] for entry in json.load(f)]


# Links "Copy link" made in the tab before the views restructure (frontend/tests/fixtures),
# and what each one shows.
RESTORED = [
    (3, ".rg-split", "validation"),
    (7, ".rg-th[data-sort='mean'][aria-sort='descending']", None),
    (9, ".rg-chart[data-smoothing='0.9'][data-axis='relative'][data-scale='log']", None),
    (11, ".rg-panel-title", "lr=0.1,bs=32/seed_1/validation"),
]


@pytest.mark.parametrize(("index", "selector", "text"), RESTORED)
def test_links_of_the_previous_release_restore_the_same_view(grid, page, index, selector, text):
    link = _saved_links()[index]
    page.goto(grid.tb.url + "#" + link.split("#", 1)[1])
    page.wait_for_selector("iframe", timeout=60_000)
    frame = page.frame_locator("iframe")
    frame.locator(".rg-group-row").first.wait_for(timeout=60_000)
    frame.locator(".rg-root[aria-busy='false']").wait_for(timeout=60_000)
    shown = frame.locator(selector)
    shown.first.wait_for(timeout=30_000)
    if text is not None:
        value = shown.input_value() if selector == ".rg-split" else shown.inner_text()
        assert value == text
    copied = copy_link(frame)
    assert copied.split("#", 1)[1] == link.split("#", 1)[1]
