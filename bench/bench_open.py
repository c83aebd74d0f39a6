"""What a user waits for: opening the Run Groups tab against opening TensorBoard's HParams tab.

For each size (runs), loader and repeat, starts a fresh ``tensorboard`` over the log directory
of `bench_backend.py` (N runs = N/2 trials × train/validation, 50 steps × 4 tags, our metadata
and HParams sessions on some runs) and opens each tab in a fresh headless Chromium page
(Debian's ``chromium`` under Playwright): cold the moment TensorBoard's ``/data/runs`` lists
every run (``--when listed``, the default: a user who starts TensorBoard and opens the tab;
its loader may still be reading points), Run Groups first, or once every run is loaded
(``--when loaded``, HParams first); then warm (each tab opened again in a new page).

Per open it prints, from the tab's first data request (requests under
``/data/plugin/<name>/``, static files excluded): for HParams, the time to its last data
answer; for Run Groups, the time to its first view drawn (``shown``: stale answers drawn
marked "Refreshing…", `tb_plugin/refresh.py`) and to its view drawn fresh (``fresh``), from
the tab's performance marks ``rg-view-stale`` / ``rg-view-fresh``; the ratios of both to
HParams'; Run Groups' slowest data request against HParams' ``session_groups`` requests on
the same server; and every route once afterwards. Memory (first repeat only, unless
``--no-memory``): TensorBoard's RSS (with its Rust data server) once loaded, alone — a second
tensorboard with ``--rungroups_warm_interval=0`` whose plugin is never asked, after the
HParams tab — against this one after both tabs and after every route.

Goal (issue: the first view fast every time): at 10,000 runs, Run Groups ≤ 0.25× the HParams
tab cold and ≤ 0.1× warm under both loaders, every time; each Run Groups request faster than
HParams' ``session_groups``; the plugin adding ≤ 10% to TensorBoard's memory.

Usage::

    python bench/bench_open.py --runs 1000 --runs 10000 [--runs 50000] [--loader rust|python]
        [--repeat 5] [--when listed|loaded] [--no-memory] [--warm-interval 0]
        [--no-tensorflow] [--only-rungroups] [--verbose]

The Python loader needs minutes and ~4 GB at 10,000 runs; `--loader rust` alone is quicker.
"""

from __future__ import annotations

import argparse
import math
import shutil
import sys
import time
import urllib.error
import urllib.parse
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout
sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_backend  # noqa: E402

from demo.browser_flags import CHROMIUM_ARGS  # noqa: E402
from tb_plugin import warm  # noqa: E402

PREFIX = "data/plugin/rungroups"
TABS = {"hparams": "hparams", "rungroups": "rungroups"}
QUIET = 2.0
"""Seconds without a new data request after which a tab's first view is complete."""


VERBOSE = False


FAILURES: list[str] = []
"""Data requests of the tabs that failed or answered an error, as `tab status path`."""


MARKS = """() => performance.getEntriesByType("mark")
    .filter((m) => m.name.startsWith("rg-view-"))
    .map((m) => [m.name, (performance.timeOrigin + m.startTime) / 1000])"""
"""The tab's marks of a drawn view (`rg-view-stale`, `rg-view-fresh`; frontend/app.js), as
(name, seconds since the epoch)."""


RESOURCES = """(marker) => performance.getEntriesByType("resource")
    .filter((e) => e.name.includes(marker) && !e.name.includes("/static/"))
    .map((e) => [e.name, (performance.timeOrigin + e.startTime) / 1000,
                 (performance.timeOrigin + e.responseEnd) / 1000])"""
"""A frame's finished requests whose URL holds `marker`, static files excluded, from the
browser's Resource Timing: (URL, seconds since the epoch it started, it ended). Timed by the
page's clock, as the view marks are: Playwright's request events reach this script when it
next waits, up to tens of milliseconds late and in bursts."""

RESOURCE_BUFFER = "performance.setResourceTimingBufferSize(100000)"
"""Run in every frame before its scripts: TensorBoard's page loads more than the default
250 resources."""


def _resources(page, marker: str) -> list[tuple[str, float, float]]:
    """`RESOURCES` of every frame of `page` (a tab's requests are in its iframe)."""
    out: list[tuple[str, float, float]] = []
    for frame in page.frames:
        try:
            out += [tuple(r) for r in frame.evaluate(RESOURCES, marker)]
        except Exception:  # noqa: BLE001 - a frame gone or still loading
            continue
    return out


def _marks(page) -> list[tuple[str, float]]:
    frame = next((f for f in page.frames if "plugin_entry" in f.url and "rungroups" in f.url), None)
    if frame is None:
        return []
    try:
        return [tuple(m) for m in frame.evaluate(MARKS)]
    except Exception:  # noqa: BLE001 - the frame is still loading
        return []


def open_tab(browser, url: str, plugin: str, timeout: float = 600) -> dict[str, Any]:
    """Opens TensorBoard at a tab in a fresh page and times its first view.

    Returns:
      ``span``: seconds from the first data request to the last answer, once no request
      has been made for `QUIET` s (and, for Run Groups, its view is fresh); ``requests``:
      each data request as (path, seconds), all timed by the browser (`RESOURCES`); for
      Run Groups, ``shown``: seconds from the first data request to the first view drawn
      (stale or fresh), ``fresh``: to the first fresh one (NaN if none within `timeout`).
      A request that fails or answers an error status is added to `FAILURES`.
    """
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    marker = f"/data/plugin/{plugin}/"
    events: list[tuple[str, float]] = []
    pending: set[str] = set()
    timed: list[tuple[str, float, float]] = []

    def on_response(response):
        if wanted(response.request) and response.status >= 400:
            FAILURES.append(f"{plugin} {response.status} {response.url.split(marker, 1)[1][:90]}")

    def on_failed(request):
        if wanted(request):
            FAILURES.append(f"{plugin} failed {request.url.split(marker, 1)[1][:90]}")
        on_done(request)

    def wanted(request) -> bool:
        return marker in request.url and "/static/" not in request.url

    started: dict[int, float] = {}

    def on_request(request):
        if wanted(request):
            pending.add(request.url + str(id(request)))
            started[id(request)] = time.time()
            events.append(("request", time.time()))

    def on_done(request):
        if wanted(request):
            pending.discard(request.url + str(id(request)))
            now = time.time()
            events.append(("answer", now))
            path = request.url.split(marker, 1)[1]
            begin = started.get(id(request), events[0][1])
            timed.append((path, begin, now))

    page.add_init_script(RESOURCE_BUFFER)
    page.on("request", on_request)
    page.on("requestfinished", on_done)
    page.on("requestfailed", on_failed)
    page.on("response", on_response)
    page.goto(f"{url}#{plugin}", wait_until="domcontentloaded")
    deadline = time.time() + timeout
    marks: list[tuple[str, float]] = []
    while time.time() < deadline:
        page.wait_for_timeout(200)
        if not events or pending:
            continue
        if plugin == "rungroups":
            marks = _marks(page)
            if not any(name == "rg-view-fresh" for name, _ in marks):
                continue
        if time.time() - events[-1][1] >= QUIET:
            break
    if plugin == "rungroups":
        marks = _marks(page)
    browser_timed = [(u.split(marker, 1)[1], a, b) for u, a, b in _resources(page, marker)]
    page.close()
    if len(browser_timed) >= len(timed):  # the browser's clock, when it kept every request
        timed = browser_timed
    if not timed:
        raise RuntimeError(f"the {plugin} tab made no data request")
    timed.sort(key=lambda r: r[1])
    t0 = timed[0][1]
    if VERBOSE:
        for path, begin, end in timed:
            print(f"    {plugin} {begin - t0:6.2f} -> {end - t0:6.2f} s  {path[:90]}")
        print(f"    {plugin} times above from {t0:.3f} s since the epoch")
    out: dict[str, Any] = {
        "span": max(end for _, _, end in timed) - t0,
        "requests": [(path, end - begin) for path, begin, end in timed],
    }
    if plugin == "rungroups":
        shown = [t for _, t in marks]
        fresh = [t for name, t in marks if name == "rg-view-fresh"]
        out["shown"] = min(shown) - t0 if shown else math.nan
        out["fresh"] = min(fresh) - t0 if fresh else math.nan
        out["stale_views"] = sum(1 for name, _ in marks if name == "rg-view-stale")
    return out


FIRST_RUN = "lr=0.0001,bs=16,opt=adam/seed_0/train"
ROUTES = {
    "runs": {},
    "fields": {},
    "tags": {},
    "groups (first view)": dict(urllib.parse.parse_qsl(warm.FIRST_VIEW_GROUPS)),
    "groups per trial": {
        "by": "param.lr,param.bs,param.opt,param.seed",
        "metric": "epoch_loss",
        "reduction": "min",
        "ci": "bootstrap",
    },
    "curves (all groups)": {"metric": "epoch_loss", "max_points": "500"},
    "export csv": {"format": "csv", "metric": "epoch_loss"},
    "run": {"run": FIRST_RUN},
    "metadata": {"run": FIRST_RUN},
}
"""Every route once after the tab opened, with arguments the bench's log directory has."""


def route_times(server) -> dict[str, tuple[int, float]]:
    """Each of `ROUTES` asked once: route name to (HTTP status, seconds)."""
    out = {}
    for name, params in ROUTES.items():
        path = f"{PREFIX}/{name.split(' ')[0]}"
        started = time.perf_counter()
        try:
            server.get(path, params)
            status = 200
        except urllib.error.HTTPError as e:
            status = e.code
        out[name] = (status, time.perf_counter() - started)
    return out


def _loaded(server: bench_backend.Server, n_runs: int) -> int:
    """Waits until TensorBoard has loaded the runs it can list; returns how many it lists."""
    listed = bench_backend.wait_until_listed(server, n_runs)
    bench_backend.wait_until_loaded(server, listed)
    for _ in range(3):
        server.get("data/runs")
    return listed


def memory_alone(n_runs: int, load_fast: bool, browser, no_tf: bool = False) -> tuple[float, float]:
    """TensorBoard's RSS without the plugin's work: after loading, and after the HParams tab.

    A tensorboard with `--rungroups_warm_interval=0`, whose plugin does nothing until
    asked and is never asked: what a warming tensorboard is compared with.
    """
    server = bench_backend.Server(
        bench_backend.logdir_for(n_runs), load_fast, ("--rungroups_warm_interval=0",), no_tf
    )
    try:
        _loaded(server, n_runs)
        core = server.rss_mb()
        open_tab(browser, server.url, "hparams")
        return core, server.rss_mb()
    finally:
        server.close()


def bench(
    n_runs: int,
    load_fast: bool,
    browser,
    extra_args: tuple[str, ...] = (),
    no_tf: bool = False,
    tabs: tuple[str, ...] = ("hparams", "rungroups"),
    when: str = "listed",
    memory: bool = True,
) -> dict[str, Any]:
    """One fresh tensorboard: both tabs opened cold, then warm (each in a new page).

    `when` "listed": the cold opens start the moment TensorBoard's `/data/runs` lists every
    run (Run Groups first, then HParams), while the loader may still read their points;
    "loaded": once every run has its scalars and TensorBoard's memory is flat (HParams
    first). With `memory`, TensorBoard's RSS is compared, once it has loaded, with a
    second tensorboard whose plugin is never asked (`memory_alone`).
    """
    warming = "--rungroups_warm_interval=0" not in extra_args
    out: dict[str, Any] = dict.fromkeys(
        ("rss_alone_core", "rss_alone", "rss_core", "rss_tabs", "rss_routes"), math.nan
    )
    if memory and warming and "hparams" in tabs:
        out["rss_alone_core"], out["rss_alone"] = memory_alone(n_runs, load_fast, browser, no_tf)
    logdir = bench_backend.logdir_for(n_runs)
    server = bench_backend.Server(logdir, load_fast, extra_args, no_tf)
    try:
        if when == "listed":
            out["listed"] = bench_backend.wait_until_listed(server, n_runs)
            order = [t for t in ("rungroups", "hparams") if t in tabs]
        else:
            out["listed"] = _loaded(server, n_runs)
            out["rss_core"] = server.rss_mb()
            order = [t for t in ("hparams", "rungroups") if t in tabs]
        ready = time.time()
        out["when"] = when
        for phase in ("cold", "warm"):
            for tab in order:
                out[f"{tab}_{phase}_after"] = time.time() - ready
                out[f"{tab}_{phase}"] = open_tab(browser, server.url, tab)
        if memory:
            if when == "listed":  # memory is compared once TensorBoard has loaded
                _loaded(server, n_runs)
            out["rss_tabs"] = server.rss_mb()
            if not warming and "hparams" in tabs:  # the plugin did nothing before its tab
                out["rss_alone_core"], out["rss_alone"] = out["rss_core"], out["rss_tabs"]
        out["routes"] = route_times(server)
        out["rss_routes"] = server.rss_mb()
        return out
    finally:
        server.close()


def _slowest(opened: dict[str, Any] | None) -> tuple[float, str]:
    """The slowest data request of a tab's open: (seconds, route)."""
    if not opened:
        return math.nan, "-"
    path, seconds = max(opened["requests"], key=lambda r: r[1])
    return seconds, path.split("?", 1)[0]


def _session_groups(opened: dict[str, Any] | None) -> list[float]:
    """Seconds of each `session_groups` request of an HParams tab's open."""
    if not opened:
        return []
    return [s for path, s in opened["requests"] if path.startswith("session_groups")]


def _cell(value: float, spec: str, unit: str = "") -> str:
    """`value` formatted by `spec` with `unit`, or "-" as wide when it was not measured (NaN)."""
    text = format(value, spec) + unit
    return "-".rjust(len(text)) if math.isnan(value) else text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, action="append")
    parser.add_argument("--loader", choices=("rust", "python"), action="append")
    parser.add_argument("--verbose", action="store_true", help="print every data request")
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="fresh tensorboards per size and loader (TensorBoard's memory is measured in "
        "the first only)",
    )
    parser.add_argument(
        "--when",
        choices=("listed", "loaded"),
        default="listed",
        help="open the tabs cold the moment TensorBoard lists every run (default; its "
        "loader may still be reading points), or once it has loaded them all",
    )
    parser.add_argument(
        "--no-memory",
        action="store_true",
        help="skip the memory figures (no second tensorboard, no wait for loading)",
    )
    parser.add_argument(
        "--warm-interval",
        type=float,
        help="pass --rungroups_warm_interval to tensorboard (0: no warming, every answer "
        "computed when the tab asks)",
    )
    parser.add_argument(
        "--no-tensorflow",
        action="store_true",
        help="run tensorboard as its no-TensorFlow build (PyTorch users' install): the "
        "Python loader then opens each event file only to read it, where TensorFlow's "
        "reader keeps one descriptor per run (50,000 runs pass `ulimit -n` here)",
    )
    parser.add_argument(
        "--only-rungroups",
        action="store_true",
        help="open only the Run Groups tab, with no second tensorboard for TensorBoard alone "
        "(at 50,000 runs under the Python loader those take most of an hour); the HParams "
        "times, ratios and TensorBoard alone print as -",
    )
    args = parser.parse_args()
    extra = bench_backend.warm_args(args.warm_interval)
    global VERBOSE
    VERBOSE = args.verbose
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium")
    if chromium is None:
        raise SystemExit("needs Debian's chromium (apt-get install -y chromium)")
    print(
        f"{'runs':>6} {'loader':<7} {'#':>2} {'HParams cold':>12} {'RG shown':>8} {'ratio':>6} "
        f"{'RG fresh':>8} {'ratio':>6} {'HParams warm':>12} {'RG shown':>8} {'ratio':>6} "
        f"{'RG fresh':>8} {'ratio':>6} {'TB alone':>9} {'with RG':>9} {'added':>6}"
    )
    print(
        f"(seconds from a tab's first data request: HParams, to its last answer; RG shown, "
        f"to its first view drawn, marked refreshing if it is stale; RG fresh, to its view "
        f"drawn fresh. Cold: opened {'the moment TensorBoard lists every run' if args.when == 'listed' else 'once TensorBoard has loaded every run'}"
        f", RG first; warm: opened again in a new page. RSS of TensorBoard with its data "
        f"server once it has loaded: TB alone, after the HParams tab with the plugin never "
        f"asked (a second tensorboard, `--rungroups_warm_interval=0`); with RG, after both "
        f"tabs; added, their difference over TB alone"
        + (
            "; HParams and TB alone not measured (--only-rungroups): -)"
            if args.only_rungroups
            else ")"
        )
    )
    tabs = ("rungroups",) if args.only_rungroups else ("hparams", "rungroups")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            for n_runs in args.runs or [1000, 10_000]:
                for loader in args.loader or ["rust", "python"]:
                    for i in range(args.repeat):
                        r = bench(
                            n_runs,
                            loader == "rust",
                            browser,
                            extra,
                            args.no_tensorflow,
                            tabs,
                            args.when,
                            memory=not args.no_memory and i == 0,
                        )
                        report(n_runs, loader, i + 1, r)
        finally:
            browser.close()


def report(n_runs: int, loader: str, i: int, r: dict[str, Any]) -> None:
    """Prints one fresh tensorboard's figures (see main's header)."""
    nan = math.nan
    cells = []
    for phase in ("cold", "warm"):
        hp = r.get(f"hparams_{phase}") or {}
        rg = r[f"rungroups_{phase}"]
        h = hp.get("span", nan)
        cells.append(
            f"{_cell(h, '11.2f', 's')} {rg['shown']:>7.2f}s {_cell(rg['shown'] / h, '6.2f')} "
            f"{_cell(rg['fresh'], '7.2f', 's')} {_cell(rg['fresh'] / h, '6.2f')}"
        )
    alone, rss = r["rss_alone"], r["rss_tabs"]
    print(
        f"{n_runs:>6} {loader:<7} {i:>2} {cells[0]} {cells[1]} {_cell(alone, '7.0f', 'MB')} "
        f"{_cell(rss, '7.0f', 'MB')} {_cell((rss - alone) / alone, '6.1%')}",
        flush=True,
    )
    for phase in ("cold", "warm"):
        rg = r[f"rungroups_{phase}"]
        slow, route = _slowest(rg)
        sessions = _session_groups(r.get(f"hparams_{phase}"))
        versus = (
            f"HParams' session_groups {min(sessions):.2f}–{max(sessions):.2f} s "
            f"({'every RG request faster' if slow < min(sessions) else 'NOT all faster'})"
            if sessions
            else "HParams' session_groups -"
        )
        print(
            f"{'':>18}{phase}: RG opened {r['rungroups_' + phase + '_after']:.1f} s after "
            f"the runs were {r['when']}, "
            f"{len(rg['requests'])} data requests, {rg['stale_views']} stale view(s) before the "
            f"fresh one; slowest RG request {slow:.2f} s ({route}); {versus}; RG span "
            f"{rg['span']:.2f} s",
            flush=True,
        )
    if FAILURES:
        print(f"{'':>18}failed data requests: {'; '.join(FAILURES)}")
        FAILURES.clear()
    if r["listed"] < n_runs:
        print(f"{'':>18}(tensorboard listed {r['listed']} of them)")
    print(
        f"{'':>18}routes once after that (status, s): "
        + ", ".join(
            f"{name} {status} {seconds:.2f}" for name, (status, seconds) in r["routes"].items()
        )
        + f"; RSS after them {_cell(r['rss_routes'], '.0f', 'MB').strip()} "
        f"({_cell((r['rss_routes'] - alone) / alone, '+.1%').strip()} over TB alone; TB alone "
        f"right after loading {_cell(r['rss_alone_core'], '.0f', 'MB').strip()})",
        flush=True,
    )


if __name__ == "__main__":
    main()
