"""The demo's output in the real tab: the README's first command, end to end.

Trains the full demo (18 grid runs: 3 learning rates x 2 batch sizes x 3
seeds, plus 4 runs of other naming conventions) once per session, serves it
with a real tensorboard and looks at it in headless Chromium.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import urllib.parse
from types import SimpleNamespace

import pytest
from conftest import TensorBoardProcess, open_run_groups, train_demo
from test_browser_tab import assert_clean, column, group_values, wait_counts

from tb_plugin import export

GRID = "^lr="  # the grid's runs; the other conventions live under other/


@pytest.fixture(scope="session")
def full_demo(tmp_path_factory):
    cwd = tmp_path_factory.mktemp("full-demo")
    start = time.monotonic()
    done = train_demo(str(cwd), "--logdir", "logs", timeout=900)
    seconds = time.monotonic() - start
    assert done.returncode == 0, done.stdout + done.stderr
    # Reported, not asserted (timing depends on the machine): see the README.
    print(f"\nfull demo trained in {seconds:.0f} s")
    return SimpleNamespace(logdir=str(cwd / "logs"), seconds=seconds, out=done.stdout)


@pytest.fixture
def served(full_demo, tmp_path):
    logdir = tmp_path / "logs"
    shutil.copytree(full_demo.logdir, logdir)  # tests may annotate runs
    tb = TensorBoardProcess(str(logdir), load_fast=True)
    tb.wait_for(lambda: len(tb.get_json("data/plugin/rungroups/runs")["runs"]) >= 18 * 3)
    yield SimpleNamespace(tb=tb, logdir=logdir)
    tb.close()


def _fmt(x: float) -> str:
    """The tab's number format (format.js formatNumber): 4 significant digits."""
    return str(float(f"{x:.4g}")) if x != 0 else "0"


def test_demo_shows_six_groups_of_three_with_validation_loss(page, served):
    tb = served.tb
    query = urllib.parse.urlencode({"metric": "epoch_loss", "split": "validation", "regex": GRID})
    expected = tb.get_json(f"data/plugin/rungroups/groups?{query}")
    frame = open_run_groups(page, tb)
    frame.locator(".rg-regex").fill(GRID)
    wait_counts(frame, "18 runs in 6 groups (of 22)", timeout=60_000)
    assert column(frame, "rg-size") == ["3"] * 6
    lrs_bss = [(v[0], v[1]) for v in group_values(frame)]
    assert lrs_bss == [
        ("0.0003", "32"),
        ("0.0003", "128"),
        ("0.003", "32"),
        ("0.003", "128"),
        ("0.03", "32"),
        ("0.03", "128"),
    ]
    assert frame.locator(".rg-metric").input_value() == "epoch_loss"
    # mean ± half-width of the 95% t interval with n, rounded as the paper table rounds.
    rows = frame.locator(".rg-group-row")
    for i, group in enumerate(expected["groups"]):
        cell = rows.nth(i).locator(".rg-mean")
        shown = tuple(
            cell.locator(f".rg-stat-{part}").inner_text().strip()
            for part in ("mean", "spread", "n")
        )
        assert shown == export.paper_cell(group["stats"], "t")
        assert group["stats"]["count"] == 3
    assert expected["split"] == "validation"
    assert_clean(page)


def test_an_annotation_shows_in_the_tab_after_reload(page, served):
    tb, logdir = served.tb, served.logdir
    frame = open_run_groups(page, tb)
    frame.locator(".rg-regex").fill(GRID)
    wait_counts(frame, "18 runs in 6 groups (of 22)", timeout=60_000)
    run_dir = sorted(p for p in logdir.glob("lr=0.03,bs=128,seed=*/run_*") if p.is_dir())[0]
    trial = os.path.relpath(run_dir, logdir)
    script = os.path.join(os.path.dirname(sys.executable), "tb-rungroups")
    done = subprocess.run(
        [script, "annotate", str(run_dir), "--note", "lr too high?", "--tag", "recheck"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    query = urllib.parse.urlencode({"run": trial})
    tb.wait_for(
        lambda: "recheck" in tb.get_json(f"data/plugin/rungroups/metadata?{query}").get("tags", [])
    )
    page.locator("button.reload-button").click()
    assert [v[:2] for v in group_values(frame)][5] == ["0.03", "128"]
    frame.locator(".rg-group-row").nth(5).locator(".rg-toggle").click()
    row = frame.locator(".rg-member-row", has=frame.locator(f'.rg-run-name:text-is("{trial}")'))
    row.locator(".rg-tags", has_text="recheck").wait_for(timeout=20_000)
    assert row.locator(".rg-notes").inner_text().endswith("lr too high?")
    assert_clean(page)


def test_best_run_cells_keep_each_runs_seed(page, served):
    tb = served.tb
    query = urllib.parse.urlencode({"metric": "epoch_loss", "regex": GRID})
    expected = tb.get_json(f"data/plugin/rungroups/groups?{query}")
    frame = open_run_groups(page, tb)
    frame.locator(".rg-regex").fill(GRID)
    wait_counts(frame, "18 runs in 6 groups (of 22)", timeout=60_000)
    cells = frame.locator(".rg-group-row .rg-best-run")
    assert cells.count() == 6
    for i, group in enumerate(expected["groups"]):
        best = group["stats"]["best_run"]
        seed = re.search(r"seed=\d+", best).group(0)
        text = cells.nth(i).inner_text()
        # Cut to what tells it from its group's other runs: the seed, not lr and bs.
        assert seed in text and "lr=" not in text, (text, best)
        assert cells.nth(i).get_attribute("title").startswith(best)
    assert_clean(page)
