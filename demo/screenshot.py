"""Takes the README's screenshot of the Run Groups tab on the demo runs.

    python demo/train.py --logdir demo_logs
    python demo/screenshot.py --logdir demo_logs --out docs/run-groups.png

Starts a real `tensorboard` on the log directory, opens the Run Groups tab in
headless Chromium (Debian's `chromium`, driven by Playwright), shows the demo
grid grouped over seeds with one group expanded and the mouse over the chart
(the readout of every charted group at that step), and saves a PNG. Run it again
whenever the tab changes.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

from browser_flags import CHROMIUM_ARGS  # demo/ is on sys.path when run as a script


def _start_tensorboard(logdir: str, log_path: str) -> tuple[subprocess.Popen, str]:
    script = os.path.join(os.path.dirname(sys.executable), "tensorboard")
    log = open(log_path, "wb")  # noqa: SIM115 - lives as long as the process
    proc = subprocess.Popen(
        [script, "--logdir", logdir, "--host", "127.0.0.1", "--port", "0"],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"),
    )
    deadline = time.time() + 120
    while time.time() < deadline:
        with open(log_path, "rb") as f:
            match = re.search(rb"http://127\.0\.0\.1:\d+/", f.read())
        if match:
            return proc, match.group(0).decode()
        if proc.poll() is not None:
            break
        time.sleep(0.3)
    proc.kill()
    raise SystemExit(f"tensorboard did not start; see {log_path}")


def _wait_for_runs(url: str, minimum: int) -> None:
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url + "data/plugin/rungroups/runs", timeout=30) as r:
                if r.read().count(b'"run":') >= minimum:
                    return
        except OSError:
            pass
        time.sleep(1)
    raise SystemExit("tensorboard never listed the demo runs")


def take(logdir: str, out: str, regex: str) -> None:
    """Serves `logdir`, opens the tab and writes a screenshot to `out`."""
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium")
    if not chromium:
        raise SystemExit("Debian's chromium is needed: apt-get install -y chromium")
    with tempfile.TemporaryDirectory() as tmp:
        proc, url = _start_tensorboard(logdir, os.path.join(tmp, "tensorboard.log"))
        try:
            _wait_for_runs(url, 18)
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                page.goto(url + "#rungroups&p.rungroups.regex=" + urllib.request.quote(regex))
                frame = page.frame_locator("iframe")
                frame.locator(".rg-group-row").first.wait_for(timeout=60_000)
                frame.locator(".rg-group-row").first.locator(".rg-toggle").click()
                frame.locator(".rg-member-row").first.wait_for()
                frame.locator(".rg-chart canvas").first.wait_for(timeout=30_000)
                time.sleep(1.5)  # let the chart settle
                box = frame.locator(".rg-chart .u-over").bounding_box()
                page.mouse.move(box["x"] + box["width"] * 0.62, box["y"] + box["height"] * 0.4)
                frame.locator(".rg-readout-head[data-x]").wait_for()
                time.sleep(0.3)
                os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
                page.screenshot(path=out)
                browser.close()
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    print(f"wrote {out}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--logdir", default="demo_logs")
    parser.add_argument("--out", default=os.path.join("docs", "run-groups.png"))
    parser.add_argument("--regex", default="^lr=", help="filter shown (default: the grid)")
    args = parser.parse_args()
    take(args.logdir, args.out, args.regex)


if __name__ == "__main__":
    main()
