"""The report opened from a `file://` URL in headless Chromium, every request blocked and counted.

The report of a view (`tb-rungroups report`) against the live tab of a real `tensorboard`
for the same view: the same table text, one chart series per charted group, a readout on
hover that is the saved curve's mean. The hostile-names log directory's report: no script
runs, no element is injected, the Content-Security-Policy reports no violation, and a
request injected on purpose is blocked by it.
"""

from __future__ import annotations

import json
import math
import re
from types import SimpleNamespace

import pytest
from conftest import open_run_groups
from test_browser_states import hostile_logdir  # noqa: F401  (the XSS fixture)
from test_browser_tab import (
    HOSTILE,
    JS_URL,
    UNICODE,
    start_tensorboard,
    wait_counts,
    write_standard_logdir,
)

from tb_plugin import cli, report

pytestmark = pytest.mark.slow

# The cells of a group row a person reads (links and buttons aside).
CELLS = ("rg-group-value", "rg-size", "rg-stat", "rg-min", "rg-max", "rg-best")

WATCH = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) =>
  window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
"""


def open_report(page, path) -> list[str]:
    """Opens the report file with every other request aborted; returns the list they go to."""
    url = path.as_uri()
    requests: list[str] = []

    def handle(route):
        if route.request.url == url and route.request.is_navigation_request():
            return route.continue_()
        requests.append(route.request.url)
        return route.abort()

    page.route("**/*", handle)
    page.add_init_script(WATCH)
    page.goto(url)
    page.locator("html[data-rendered=true]").wait_for(timeout=30_000)
    return requests


def rows(frame) -> list[list[str]]:
    out = []
    found = frame.locator(".rg-group-row")
    for i in range(found.count()):
        row = found.nth(i)
        out.append([" ".join(row.locator(f".{c}").all_inner_texts()) for c in CELLS])
    return out


def write_report(logdir, out, *args: str) -> dict:
    assert cli.main(["report", str(logdir), "-o", str(out), *args]) == 0
    text = out.read_text(encoding="utf-8")
    found = re.search(r'<script type="application/json" id="rg-report-data">(.*?)</script>', text)
    return json.loads(found[1])


@pytest.fixture(scope="module")
def grid(tmp_path_factory):
    root = tmp_path_factory.mktemp("rg-report-grid")
    trials = write_standard_logdir(root)
    n_runs = sum(len(r) for r in trials.values())
    tb = start_tensorboard(root, True, n_runs)
    yield SimpleNamespace(tb=tb, root=root, n_runs=n_runs)
    tb.close()


def test_report_from_a_file_makes_no_request_and_shows_the_tabs_table(page, grid, tmp_path):
    saved = write_report(grid.root, tmp_path / "report.html")
    frame = open_run_groups(page, grid.tb)
    wait_counts(frame, "12 runs in 4 groups")
    frame.locator(".rg-group-row .rg-best-run").first.wait_for()  # /runs arrived
    tab = rows(frame)
    tab_head = frame.locator(".rg-head-row .rg-th").all_inner_texts()
    tab_series = frame.locator(".rg-chart").get_attribute("data-series")

    report_page = page.context.new_page()
    report_page.console_errors = []
    report_page.on(
        "console", lambda m: m.type == "error" and report_page.console_errors.append(m.text)
    )
    report_page.on("pageerror", lambda e: report_page.console_errors.append(str(e)))
    requests = open_report(report_page, tmp_path / "report.html")
    assert report_page.locator(".rg-counts").inner_text() == "12 runs in 4 groups"
    assert rows(report_page) == tab and len(tab) == 4
    assert report_page.locator(".rg-head-row .rg-th").all_inner_texts() == tab_head

    # The chart: one series per charted group, as the tab charts them.
    chart = report_page.locator(".rg-chart")
    keys = saved["answers"]["chart_keys"]
    assert chart.get_attribute("data-series") == str(len(keys)) == tab_series
    assert report_page.locator(".rg-legend-item").count() == len(keys)
    # Hovering reads each group's mean at the hovered x from the saved curves.
    box = report_page.locator(".u-over").bounding_box()
    report_page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5)
    head = report_page.locator(".rg-readout-head")
    head.filter(has_text=re.compile("step")).wait_for()
    x = float(head.get_attribute("data-x"))
    curves = {c["key"]: c["curve"] for c in saved["answers"]["curves"]["curves"]}
    for key in keys:
        item = report_page.locator(f'.rg-legend-item[data-key="{key}"]')
        shown = float(item.locator(".rg-read-mean").inner_text())
        curve = curves[key]
        mean = curve["mean"][curve["x"].index(x)]
        assert math.isclose(shown, mean, rel_tol=1e-3), (key, shown, mean)

    # The runs behind each group, with their names as text.
    report_page.locator(".rg-report-group summary").first.click()
    assert report_page.locator(".rg-report-group").count() == 4
    assert report_page.locator(".rg-report-group[open] .rg-report-run").count() == 3 * 3
    assert requests == []
    assert report_page.evaluate("window.__csp") == []
    assert report_page.console_errors == []


def test_hostile_names_report_runs_no_script_and_keeps_its_csp(page, hostile_logdir, tmp_path):  # noqa: F811
    saved = write_report(hostile_logdir, tmp_path / "hostile.html", "--seeds")
    assert saved["answers"]["groups"]["groups"]
    requests = open_report(page, tmp_path / "hostile.html")
    page.wait_for_timeout(500)  # any injected handler would have run by now
    # Shown as text: in the table, and in the runs behind each group.
    assert page.locator(".rg-group-row", has_text=HOSTILE).count() == 1
    for summary in page.locator(".rg-report-group summary").all():
        summary.click()
    runs_text = page.locator(".rg-report-runs").inner_text()
    assert HOSTILE in runs_text and UNICODE in runs_text
    # No element injected: two scripts (the module, the data), no images, no handlers.
    assert page.locator("script").count() == 2
    assert page.locator("img, iframe, object, embed, link, base, form").count() == 0
    assert (
        page.evaluate(
            "[...document.querySelectorAll('*')].filter(e => [...e.attributes]"
            ".some(a => /^on/i.test(a.name) || /^\\s*javascript:/i.test(a.value))).length"
        )
        == 0
    )
    assert page.dialogs == []
    assert page.console_errors == []
    assert page.evaluate("window.__csp") == []
    assert requests == []
    assert JS_URL not in [a.get_attribute("href") for a in page.locator("a").all()]

    # The policy holds: a request made on purpose is refused by it, before any network.
    page.evaluate(
        """() => { const i = new Image(); i.src = "https://example.com/x.png";
                   document.body.append(i); fetch("https://example.com/y").catch(() => {}); }"""
    )
    page.wait_for_function("window.__csp.length >= 2")
    violations = page.evaluate("window.__csp")
    assert any(v.startswith("img-src") for v in violations)
    assert any(v.startswith("connect-src") for v in violations)
    assert requests == []


def test_report_caps_groups_and_says_so(page, tmp_path):
    from conftest import scalar_event, write_events

    root = tmp_path / "many"
    for g in range(report.MAX_GROUPS + 3):
        write_events(str(root / f"g={g:03d}"), [scalar_event("loss", 0, g, wall_time=1.0)])
    write_report(root, tmp_path / "many.html", "--by", "g")
    requests = open_report(page, tmp_path / "many.html")
    note = page.locator(".rg-report-left-out").inner_text()
    assert (
        note
        == f"This report holds the first 100 of {report.MAX_GROUPS + 3} groups: 3 groups left out."
    )
    assert " in 100 groups" in page.locator(".rg-counts").inner_text()
    assert requests == [] and page.console_errors == []


def _cli_options(query: str) -> list[str]:
    """`tb-rungroups report` options for a `/report` query string (`x=wall` → `--x wall`;
    the flags `log`, `seeds` and `desc` → `--log` …)."""
    from urllib.parse import parse_qsl

    out: list[str] = []
    for name, value in parse_qsl(query, keep_blank_values=True):
        option = "--" + name.replace("_", "-")
        out += [option] if name in ("log", "seeds", "desc") else [option, value]
    return out


def test_report_button_downloads_the_clis_file_for_the_view_on_screen(page, grid, tmp_path):
    # The command line reads with TensorBoard's Python loader, whose runs' start times
    # are the first event's in file order (the Rust data server's, the earliest one's).
    tb = start_tensorboard(grid.root, False, grid.n_runs)
    try:
        _report_button(page, tb, grid.root, tmp_path)
    finally:
        tb.close()


def _report_button(page, tb, root, tmp_path):
    frame = open_run_groups(page, tb)
    wait_counts(frame, "12 runs in 4 groups")
    # A view that is not the default one: another spread, sorted by runs.
    frame.locator("select.rg-spread").select_option("std")
    frame.locator(".rg-head-row .rg-th", has_text="runs").first.click()
    with page.expect_download(timeout=60_000) as info:
        frame.locator("button.rg-report").click()
    download = info.value
    query = download.url.split("?", 1)[1]
    assert "spread=std" in query and "sort=" in query
    download.save_as(tmp_path / "tab.html")
    got = (tmp_path / "tab.html").read_text(encoding="utf-8")
    assert (
        cli.main(["report", str(root), "-o", str(tmp_path / "cli.html"), *_cli_options(query)]) == 0
    )
    want = (tmp_path / "cli.html").read_text(encoding="utf-8")
    made = re.compile(r'<p class="rg-report-made">Made [^<]*</p>')
    assert len(made.findall(got)) == 1 and len(made.findall(want)) == 1
    assert made.sub("", got) == made.sub("", want)
