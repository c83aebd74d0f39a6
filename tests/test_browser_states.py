"""The Run Groups tab under both loaders with hostile names, after a reload, and empty.

Each test starts its own real `tensorboard` (these log directories differ or change),
and drives the tab in headless Chromium.
"""

from __future__ import annotations

import json
import re
from urllib.parse import quote

import pytest
from conftest import metadata_event, open_run_groups, scalar_event, write_events
from test_browser_tab import (
    HOSTILE,
    HOSTILE_NOTES,
    JS_URL,
    UNICODE,
    assert_clean,
    group_row,
    start_tensorboard,
    trial_name,
    wait_counts,
    write_trial,
)

from tb_plugin import grouping

pytestmark = pytest.mark.slow

JS_RUN = "javascript:alert(4)"
BASELINE = "lr=0.1,bs=32/seed_1"


@pytest.fixture(scope="module")
def hostile_logdir(tmp_path_factory):
    root = tmp_path_factory.mktemp("rg-hostile")
    write_events(
        str(root / HOSTILE),
        [
            metadata_event(
                {
                    "notes": HOSTILE_NOTES,
                    "hparams": {"x": HOSTILE},
                    "link": JS_URL,
                    "tags": [UNICODE, "<b>bold</b>"],
                    "host": UNICODE,
                }
            ),
            scalar_event("epoch_loss", 0, 0.5),
        ],
    )
    write_events(str(root / JS_RUN), [metadata_event({"notes": JS_URL})])
    write_events(str(root / UNICODE / "seed_1"), [metadata_event({"notes": UNICODE})])
    write_events(
        str(root / BASELINE),
        [metadata_event({"notes": "baseline ✓", "status": "finished", "tags": ["keep"]})],
    )
    write_events(str(root / BASELINE / "train"), [scalar_event("epoch_loss", 0, 1.0)])
    return root


TRIALS = [HOSTILE, JS_RUN, f"{UNICODE}/seed_1", BASELINE]
NOTES = {HOSTILE: HOSTILE_NOTES, JS_RUN: JS_URL, f"{UNICODE}/seed_1": UNICODE}


@pytest.mark.parametrize("load_fast", [False, True], ids=["load_fast=false", "load_fast=true"])
def test_runs_and_hostile_metadata_render_as_text(page, hostile_logdir, load_fast):
    tb = start_tensorboard(hostile_logdir, load_fast, n_runs=5)
    try:
        # One group of everything, expanded (named by its backend key): every run is a row.
        expanded = quote(json.dumps([grouping.group_key([], [])]))
        page.goto(tb.url + f"#rungroups&p.rungroups.by=&p.rungroups.expanded={expanded}")
        frame = page.frame_locator("iframe")
        wait_counts(frame, "4 runs in 1 group", timeout=60_000)
        names = frame.locator(".rg-member-row .rg-run-name")
        names.first.wait_for()
        assert sorted(names.all_inner_texts()) == sorted(TRIALS)
        for trial, note in NOTES.items():
            row = frame.locator(
                ".rg-member-row", has=frame.locator(f'[title="Details of {trial}"]')
            )
            assert row.locator(".rg-notes").inner_text() == note
        baseline = frame.locator(".rg-member-row").filter(has_text=BASELINE)
        assert baseline.locator(".rg-notes").inner_text() == "baseline ✓"
        assert baseline.locator(".rg-status").inner_text() == "finished"

        frame.locator(".rg-member-row .rg-run-name", has_text=HOSTILE).click()
        panel = frame.locator(".rg-panel")
        panel.locator(".rg-metadata").wait_for()
        assert panel.locator(".rg-panel-title").inner_text() == HOSTILE
        text = panel.inner_text()
        for value in (HOSTILE_NOTES, HOSTILE, JS_URL, UNICODE, "<b>bold</b>"):
            assert value in text

        frame.locator(".rg-member-row .rg-run-name", has_text=BASELINE).click()
        frame.locator(".rg-panel-title", has_text=BASELINE).wait_for()
        panel.locator(".rg-trial-runs").wait_for()
        assert panel.locator(".rg-trial-runs li").all_inner_texts() == [
            BASELINE,
            f"{BASELINE}/train",
        ]

        # Nothing became markup or a script URL.
        assert frame.locator(".rg-root").locator("img, b, iframe, object, embed").count() == 0
        hrefs = frame.locator("a[href]").evaluate_all("as => as.map(a => a.getAttribute('href'))")
        assert hrefs and all(h.startswith("../../../?runFilter=") for h in hrefs)
        assert frame.locator(".rg-root script").count() == 0  # the page's own loader aside
        page.wait_for_timeout(500)  # give any injected handler time to fire
        assert_clean(page)
    finally:
        tb.close()


def test_new_runs_appear_after_tensorboards_reload_button(page, tmp_path):
    write_trial(tmp_path, 0.1, 32, 1, wall=1_790_000_000.0)
    tb = start_tensorboard(tmp_path, True, n_runs=3)
    try:
        frame = open_run_groups(page, tb)
        wait_counts(frame, "1 run in 1 group")
        write_trial(tmp_path, 0.01, 32, 1, wall=1_790_000_100.0)
        write_trial(tmp_path, 0.01, 32, 2, wall=1_790_000_200.0)
        tb.wait_for(lambda: len(tb.get_json("data/plugin/rungroups/runs")["runs"]) == 9)
        page.locator("button.reload-button").click()
        wait_counts(frame, "3 runs in 2 groups", timeout=20_000)
        values = frame.locator(".rg-group-row .rg-group-value").all_inner_texts()
        assert values == ["0.01", "0.1"]
        group_row(frame, ["param.lr"], 0.01).locator(".rg-toggle").click()
        assert frame.locator(".rg-member-row .rg-run-name").all_inner_texts() == [
            trial_name(0.01, 32, 1),
            trial_name(0.01, 32, 2),
        ]
        assert_clean(page)
    finally:
        tb.close()


def test_empty_log_directory_explains_how_to_name_runs_and_record_metadata(
    page, tensorboard_process, tmp_path
):
    logdir = tmp_path / "empty"
    logdir.mkdir()
    tb = tensorboard_process(logdir, load_fast=True)
    tb.wait_for(
        lambda: (
            tb.get_json("data/plugin/rungroups/runs")
            == {"runs": [], "trials": [], "stale_after": 3600.0}
        )
    )
    frame = open_run_groups(page, tb)
    empty = frame.locator(".rg-empty")
    empty.wait_for(timeout=60_000)
    text = empty.inner_text()
    assert "No runs yet" in text
    assert "get_run_logdir" in text
    assert re.search(r"lr=0\.01,bs=32", text)
    assert "run_metadata" in text and "RunMetadataCallback" in text
    assert_clean(page)


# Rows of the virtualised table in DOM order: (aria-rowindex, first group value).
ROWS_IN_DOM = """() => [...document.querySelectorAll('.rg-tbody > .rg-row')].map((r) =>
    [Number(r.getAttribute('aria-rowindex')), r.querySelector('.rg-group-value').textContent])"""

SCROLL_TO = """async (top) => {
    const s = document.querySelector('.rg-table-scroll');
    s.scrollTop = top;
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    return [s.scrollTop, s.clientHeight];
}"""


def test_a_long_table_keeps_only_rows_in_view_in_order_while_scrolling(page, tmp_path):
    n = 400
    for i in range(n):
        write_events(str(tmp_path / f"lr=0.1,id={i}"), [scalar_event("epoch_loss", 0, float(i))])
    tb = start_tensorboard(tmp_path, True, n_runs=n)
    try:
        frame = open_run_groups(page, tb)
        wait_counts(frame, f"{n} runs in {n} groups")
        handle = next(f for f in page.frames if "plugin_entry" in f.url)

        def check(top: int, height: int, order: int = 1) -> list[int]:
            rows = handle.evaluate(ROWS_IN_DOM)
            indexes = [i for i, _ in rows]
            # Contiguous and in order (screen readers read the DOM), each row
            # showing its own group (by id: row index 2 is id 0, or n - 1 reversed).
            assert indexes == list(range(indexes[0], indexes[0] + len(indexes)))
            # (The group's value names the id: `id=7`, or `lr=0.1,id=7` grouped by path.)
            ids = [value.rsplit("=", 1)[-1] for _, value in rows]
            assert ids == [str(i - 2 if order > 0 else n + 1 - i) for i, _ in rows]
            # Every row in view is there, and not many more.
            first, last = top // 30 + 2, (top + height - 1) // 30 + 2
            assert indexes[0] <= first and indexes[-1] >= min(last, n + 1)
            assert len(rows) < height // 30 + 20
            return indexes

        top, height = handle.evaluate(SCROLL_TO, 0)
        check(top, height)
        # Small scrolls keep most rows (down and up); long ones replace them all.
        for target in (95, 400, 10_000, 6_000, 5_900, 5_850, 0, n * 30):
            top, height = handle.evaluate(SCROLL_TO, target)
            check(top, height)
        assert handle.evaluate(ROWS_IN_DOM)[-1][1].rsplit("=", 1)[-1] == str(n - 1)
        # Re-sorting redraws the rows in view: none of the old ones stay.
        header = frame.locator('.rg-th[data-sort="value.0"]')
        header.click()  # ascending, as shown
        frame.locator('.rg-th[data-sort="value.0"][aria-sort="ascending"]').wait_for()
        header.click()
        frame.locator('.rg-th[data-sort="value.0"][aria-sort="descending"]').wait_for()
        top, height = handle.evaluate(SCROLL_TO, 3_000)
        check(top, height, order=-1)
        assert_clean(page)
    finally:
        tb.close()
