"""The Run Groups tab in headless Chromium on a real tensorboard process."""

from __future__ import annotations

import pytest
from conftest import metadata_event, open_run_groups, scalar_event, write_events

HOSTILE = "<img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def logdir(tmp_path_factory):
    root = tmp_path_factory.mktemp("browser")
    write_events(
        str(root / "lr=0.1,bs=32/seed=1"),
        [metadata_event({"notes": "baseline ✓", "status": "finished", "tags": ["keep"]})],
    )
    write_events(str(root / "lr=0.1,bs=32/seed=1/train"), [scalar_event("epoch_loss", 0, 1.0)])
    write_events(
        str(root / HOSTILE),
        [metadata_event({"notes": "<script>alert(2)</script>", "hparams": {"x": HOSTILE}})],
    )
    return root


@pytest.mark.parametrize("load_fast", [False, True], ids=["load_fast=false", "load_fast=true"])
def test_tab_shows_runs_and_metadata(page, tensorboard_process, logdir, load_fast):
    tb = tensorboard_process(logdir, load_fast=load_fast)
    tb.wait_for(lambda: len(tb.get_json("data/plugin/rungroups/runs")["runs"]) == 3)
    frame = open_run_groups(page, tb)
    rows = frame.locator("tr.rg-row")
    rows.first.wait_for()
    assert rows.count() == 3
    names = [t.strip() for t in frame.locator("tr.rg-row .rg-run-name").all_inner_texts()]
    assert names == [HOSTILE, "lr=0.1,bs=32/seed=1", "lr=0.1,bs=32/seed=1/train"]
    row = frame.locator("tr.rg-row", has_text="lr=0.1,bs=32/seed=1").first
    assert row.locator(".rg-notes").inner_text() == "baseline ✓"
    assert row.locator(".rg-status").inner_text() == "finished"
    hostile = frame.locator("tr.rg-row").first
    assert hostile.locator(".rg-notes").inner_text() == "<script>alert(2)</script>"
    assert frame.locator("img").count() == 0
    assert frame.locator(".rg-count").inner_text() == "3 runs"
    assert page.dialogs == []
    assert page.console_errors == []
