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
  median and worst of 20.

"Painted" is the "rg-table-painted" mark, which the tab sets in a task queued from
the animation frame after each table render: after that frame's style, layout and
paint.

Targets: under 1.5 s from data to first paint, under 100 ms per interaction (all rows
but the "total" ones, the worst scroll frame included). Before each action the tab
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
            client = [ms for name, ms in rows[3:] if "total" not in name]
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
