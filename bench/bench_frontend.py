"""Benchmark of the Run Groups tab in Chromium at 10,000 runs.

Reuses the log directory generator of ``bench/bench_backend.py`` (N TensorBoard runs:
N / 2 trials of ``<trial>/train`` and ``<trial>/validation``, 60 configurations over
seeds), starts a real ``tensorboard``, opens the tab in headless Chromium and prints:

* open → table painted: from navigating to ``#rungroups`` until the first group row
  is visible (Playwright's clock; includes TensorBoard's own page load and the
  backend's first, cold answers);
* data → painted: from the ``/groups`` answer's text arriving in the tab (before
  JSON.parse) until the table is painted (``performance.mark`` in the tab);
* regroup (client): data → painted again after changing the grouping, and regroup
  (total): from the change until painted, backend included;
* sort: re-sorting 5,000 groups by mean, median of 5;
* back to default grouping: its answer is cached, so all of it is the tab's work;
* expand / collapse a group of the default grouping, median of 6, and expanding the
  biggest group (in a one-group-of-everything view: every trial becomes a row,
  virtualised);
* scroll: moving that table by a screenful until the frame showing it is rendered,
  median and worst of 20;
* chart, with 10 groups charted (the default grouping's 60 groups of about 83 trials,
  ticked in the table): hover readout, from a mouse move over the plot until the
  frame showing every group's value is rendered, median and worst of 30 positions;
  a smoothing change, from the new ``/curves`` answer's text arriving in the tab to
  the chart painted (``rg-curves-data`` to ``rg-chart-painted``), median and worst
  of 5 weights, and in total from the slider's input (its 120 ms debounce and the
  backend included).

"Painted" is the "rg-table-painted" mark, which the tab sets in a task queued from
the animation frame after each table render: after that frame's style, layout and
paint.

Targets: under 1.5 s from data to first paint, under 100 ms per interaction (all rows
but the "total" ones, the worst scroll frame and the worst hover included). Before each action the tab
is left to settle (no request in flight, see SETTLE).

Usage: ``python bench/bench_frontend.py [--runs 10000] [--loader rust|python]``
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "demo"))

from bench_backend import PREFIX, Server, logdir_for  # noqa: E402
from browser_flags import CHROMIUM_ARGS  # noqa: E402

# Runs in the tab: waits for a new "rg-table-painted" mark after `action` and
# returns {total, client}: ms from the action to that mark, and from the last
# "rg-groups-data" mark (when the action fetched) to it.
MEASURE = """
async ([action, arg]) => {
  const before = performance.getEntriesByName("rg-table-painted").length;
  const t0 = performance.now();
  const root = document.querySelector(".rg-root");
  if (action === "select") {
    const [selector, value] = arg;
    const s = root.querySelector(selector);
    s.value = value;
    s.dispatchEvent(new Event("change"));
  } else if (action === "click") {
    root.querySelector(arg).click();
  }
  const deadline = t0 + 120000;
  while (performance.getEntriesByName("rg-table-painted").length === before) {
    if (performance.now() > deadline) throw new Error("no paint");
    await new Promise((r) => setTimeout(r, 2));
  }
  const painted = performance.getEntriesByName("rg-table-painted").at(-1).startTime;
  const data = performance.getEntriesByName("rg-groups-data").filter((m) => m.startTime >= t0);
  return { total: painted - t0, client: data.length ? painted - data.at(-1).startTime : null };
}
"""

# Waits until the tab has no request in flight (its root is aria-busy="false")
# and two more frames have run: the previous action's late answers (the chart's
# curves) must not land inside the next measurement.
SETTLE = """
async () => {
  const root = document.querySelector(".rg-root");
  const deadline = performance.now() + 120000;
  while (root.getAttribute("aria-busy") !== "false") {
    if (performance.now() > deadline) throw new Error("still busy");
    await new Promise((r) => setTimeout(r, 10));
  }
  await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
}
"""

SCROLL = """
async () => {
  const scroller = document.querySelector(".rg-table-scroll");
  const times = [];
  for (let i = 0; i < 20; i++) {
    const t0 = performance.now();
    scroller.scrollTop += scroller.clientHeight;
    scroller.dispatchEvent(new Event("scroll"));
    // Until the frame that shows the new rows has been rendered (a task queued
    // from its animation frame runs after its style, layout and paint).
    await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { median: times[10], max: times[19], rows: document.querySelectorAll(".rg-tbody .rg-row").length };
}
"""


# Hover readout: mouse moves across the plot; each until the next frame is rendered.
HOVER = """
async () => {
  const over = document.querySelector(".rg-chart .u-over");
  const head = document.querySelector(".rg-readout-head");
  const r = over.getBoundingClientRect();
  const times = [];
  const xs = new Set();
  for (let i = 0; i < 30; i++) {
    const clientX = r.left + r.width * (0.03 + (0.94 * i) / 29);
    const t0 = performance.now();
    over.dispatchEvent(new MouseEvent("mousemove", { clientX, clientY: r.top + r.height / 2, bubbles: true }));
    await new Promise((res) => requestAnimationFrame(() => setTimeout(res, 0)));
    times.push(performance.now() - t0);
    xs.add(head.dataset.x);
  }
  const filled = [...document.querySelectorAll(".rg-legend-item .rg-read-mean")].filter((c) => c.textContent).length;
  times.sort((a, b) => a - b);
  return { median: times[15], max: times[29], positions: xs.size, filled };
}
"""

# A smoothing change: slider input until the chart is painted with the new curves.
SMOOTH = """
async (w) => {
  const before = performance.getEntriesByName("rg-chart-painted").length;
  const slider = document.querySelector(".rg-smoothing");
  const t0 = performance.now();
  slider.value = String(w);
  slider.dispatchEvent(new Event("input"));
  const deadline = t0 + 120000;
  while (performance.getEntriesByName("rg-chart-painted").length === before) {
    if (performance.now() > deadline) throw new Error("no chart");
    await new Promise((r) => setTimeout(r, 2));
  }
  const painted = performance.getEntriesByName("rg-chart-painted").at(-1).startTime;
  const data = performance.getEntriesByName("rg-curves-data").filter((m) => m.startTime >= t0).at(-1);
  const chart = document.querySelector(".rg-chart");
  return { total: painted - t0, client: painted - data.startTime, smoothing: chart.dataset.smoothing };
}
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--loader", choices=("rust", "python"), default="rust")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    logdir = logdir_for(args.runs)
    server = Server(logdir, load_fast=args.loader == "rust")
    try:
        while True:
            try:
                runs = json.loads(server.get(f"{PREFIX}/runs"))["runs"]
                if len(runs) >= args.runs:
                    break
            except OSError:
                pass
            time.sleep(1)
        print(
            f"{args.runs} runs loaded by tensorboard ({args.loader}) in "
            f"{time.perf_counter() - server.started:.1f} s"
        )
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=shutil.which("chromium"), args=CHROMIUM_ARGS
            )
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            errors = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            start = time.perf_counter()
            page.goto(server.url + "#rungroups")
            frame_loc = page.frame_locator("iframe")
            frame_loc.locator(".rg-group-row").first.wait_for(timeout=300_000)
            open_ms = (time.perf_counter() - start) * 1000
            frame = next(f for f in page.frames if "plugin_entry" in f.url)
            frame.wait_for_function("performance.getEntriesByName('rg-table-painted').length > 0")
            first = frame.evaluate(
                """() => performance.getEntriesByName('rg-table-painted')[0].startTime -
                        performance.getEntriesByName('rg-groups-data')[0].startTime"""
            )
            counts = frame.locator(".rg-counts").inner_text()
            print(f"table: {counts}")
            rows = []
            rows.append(("open -> table painted (wall, cold backend)", open_ms))
            rows.append(("data -> first paint (in tab)", first))

            def measure(action, arg):
                frame.evaluate(SETTLE)
                return frame.evaluate(MEASURE, [action, arg])

            # The chart with 10 groups: the 5 charted by default and 5 more ticked.
            frame.evaluate(SETTLE)
            while frame.locator(".rg-legend-item").count() < 10:
                n = frame.locator(".rg-legend-item").count()
                # (Ticking redraws the rows: one click, not Playwright's check-until-checked.)
                frame.evaluate(
                    "document.querySelector('.rg-group-row .rg-select-group:not(:checked)').click()"
                )
                frame.wait_for_selector(f'.rg-chart[data-series="{n + 1}"]', timeout=120_000)
                frame.evaluate(SETTLE)
            runs_charted = sum(
                int(t.strip(" ()").split()[0])
                for t in frame.locator(".rg-legend-size").all_inner_texts()
            )
            hover = frame.evaluate(HOVER)
            rows.append(
                (
                    f"hover readout, 10 groups (median of 30, {hover['positions']} x)",
                    hover["median"],
                )
            )
            rows.append(("hover readout, worst of 30", hover["max"]))
            smooth = []
            for w in (0.9, 0.3, 0.75, 0.1, 0.45):  # each fetched fresh (not cached)
                frame.evaluate(SETTLE)
                smooth.append(frame.evaluate(SMOOTH, w))
            client = sorted(m["client"] for m in smooth)
            total = sorted(m["total"] for m in smooth)
            rows.append(("smoothing change, data -> painted (median of 5)", client[2]))
            rows.append(("smoothing change, data -> painted, worst of 5", client[-1]))
            rows.append(("smoothing change, total (median of 5)", total[2]))
            print(
                f"chart: 10 groups, {runs_charted} runs; readout filled for {hover['filled']} groups"
            )

            regroup = measure("select", [".rg-by-add", "param.seed"])
            regrouped = frame.locator(".rg-counts").inner_text()
            rows.append((f"regroup (+seed: {regrouped}), total", regroup["total"]))
            rows.append(("regroup, data -> painted", regroup["client"]))

            def median_of(n, action, arg):
                return statistics.median(measure(action, arg)["total"] for _ in range(n))

            # Each click flips the order (descending, ascending, ...): 5000 groups.
            rows.append(
                (
                    "sort 5000 groups by mean (median of 5)",
                    median_of(5, "click", '.rg-th[data-sort="mean"]'),
                )
            )
            one = measure("click", ".rg-by-default")
            rows.append(("back to default grouping (answer cached)", one["total"]))
            # Each click expands or collapses the first group.
            rows.append(
                (
                    "expand / collapse a group (median of 6)",
                    median_of(6, "click", ".rg-group-row .rg-toggle"),
                )
            )
            # Every trial in one group, expanded: the table has N / 2 + 2 rows.
            while frame.locator(".rg-by-remove").count():
                measure("click", ".rg-by-remove")
            big = measure("click", ".rg-group-row .rg-toggle")
            rows.append((f"expand one group of {args.runs // 2} runs", big["total"]))
            frame.evaluate(SETTLE)
            scroll = frame.evaluate(SCROLL)
            rows.append(("scroll a screenful (median of 20)", scroll["median"]))
            rows.append(("scroll, worst of 20", scroll["max"]))
            print(f"rows in the DOM while scrolling {args.runs // 2} rows: {scroll['rows']}")
            width = max(len(r[0]) for r in rows)
            for name, ms in rows:
                print(f"{name:<{width}}  {ms:8.1f} ms")
            if errors:
                print("page errors:", errors)
            client = [ms for name, ms in rows[2:] if "total" not in name]
            print(
                f"targets: data -> first paint < 1500 ms: {'ok' if first < 1500 else 'MISSED'}; "
                f"client-side interactions < 100 ms: {'ok' if max(client) < 100 else 'MISSED'} "
                f"(slowest {max(client):.0f} ms)"
            )
            browser.close()
    finally:
        server.close()


if __name__ == "__main__":
    main()
