"""A stale first view says so and is replaced by the fresh one (issue: the first view fast
every time), in Chromium against a real tensorboard under both loaders.

The tensorboard runs with ``--rungroups_stale_wait=0`` (the first view's routes never wait
for a fresh answer that is not ready at once: they answer with the last one, marked stale,
`tb_plugin/refresh.py`) and without warming (so the last answer is the one the tab showed).
Points are appended while the tab is open; after TensorBoard's reload the tab shows the
view it had, marked "Refreshing…", then the fresh one with the new points, unmarked.
"""

from __future__ import annotations

import time
from urllib.parse import quote

import pytest
from conftest import TensorBoardProcess, open_run_groups, scalar_event, write_events
from test_browser_tab import assert_clean, wait_counts

from tb_plugin import backend

pytestmark = pytest.mark.slow

LRS = ("0.1", "0.01")


def means(frame) -> list[str]:
    return frame.locator(".rg-group-row .rg-mean .rg-stat-mean").all_inner_texts()


@pytest.mark.parametrize("load_fast", [False, True], ids=["python", "rust"])
def test_a_refreshing_first_view_is_marked_and_replaced_by_the_fresh_one(page, tmp_path, load_fast):
    logdir = tmp_path / "logs"
    for lr in LRS:
        write_events(
            str(logdir / f"lr={lr}"),
            [scalar_event("epoch_loss", s, 1.0, wall_time=1_790_000_000.0 + s) for s in range(5)],
        )
    tb = TensorBoardProcess(
        str(logdir), load_fast, ["--rungroups_stale_wait=0", "--rungroups_warm_interval=0"]
    )
    try:
        tb.wait_for(lambda: len(tb.get_json("data/plugin/rungroups/runs")["runs"]) == 2)
        frame = open_run_groups(page, tb)
        wait_counts(frame, "2 runs in 2 groups")
        root = frame.locator(".rg-root")
        frame.locator('.rg-root[data-view="fresh"]').wait_for(timeout=30_000)
        marker = frame.locator(".rg-refreshing")
        assert marker.is_hidden()
        before = means(frame)
        assert before == ["1", "1"], before

        # New points, a new last value: TensorBoard reads them, then its reload button.
        for lr in LRS:
            write_events(
                str(logdir / f"lr={lr}"),
                [scalar_event("epoch_loss", 10, 7.0, wall_time=1_790_000_100.0)],
            )
        tb.wait_for(
            lambda: all(
                tb.get_json(f"data/plugin/scalars/scalars?run={quote(f'lr={lr}')}&tag=epoch_loss")[
                    -1
                ][1]
                == 10
                for lr in LRS
            )
        )
        # An answer may come from a listing up to `backend.LISTING_TTL` old (the tab's burst
        # of requests shares one): the first view's listing, made before TensorBoard read
        # the new points, must have expired, or the reload is rightly answered from it.
        time.sleep(backend.LISTING_TTL + 0.2)
        page.locator("button.reload-button").click()

        # The view it had, said to be refreshing: never shown as final.
        frame.locator('.rg-root[data-view="stale"]').wait_for(timeout=30_000)
        assert marker.is_visible()
        assert marker.inner_text().startswith("Refreshing…")
        assert means(frame) == before

        # Then the fresh one, with the new points, and the mark gone.
        frame.locator('.rg-root[data-view="fresh"]').wait_for(timeout=30_000)
        assert marker.is_hidden()
        assert means(frame) == ["7", "7"]
        assert root.get_attribute("aria-busy") in ("true", "false")
        assert_clean(page)
    finally:
        tb.close()
