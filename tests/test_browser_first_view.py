"""The tab's first view in one round trip, in Chromium against a real tensorboard.

The tab asks `/fields`, `/tags`, `/runs` and `/groups` at once, and `/groups` answers with
the chart's curves and the visible rows' sparklines: no second round of `/curves`. In the
default state that request, and `/runs`', are the ones the backend keeps warm
(`warm.FIRST_VIEW_GROUPS`, `warm.FIRST_VIEW_RUNS`).
"""

from __future__ import annotations

import urllib.parse
from types import SimpleNamespace

import pytest
from conftest import open_run_groups
from test_browser_tab import start_tensorboard, wait_counts, write_standard_logdir

from tb_plugin import queries, warm

PREFIX = "/data/plugin/rungroups/"


@pytest.fixture(scope="module")
def tb(tmp_path_factory):
    root = tmp_path_factory.mktemp("rg-first-view")
    trials = write_standard_logdir(root)
    process = start_tensorboard(root, True, sum(len(r) for r in trials.values()))
    yield SimpleNamespace(tb=process)
    process.close()


def record_requests(page) -> list[str]:
    """The plugin's data requests the page makes, as `route?query` (static files left out)."""
    seen: list[str] = []

    def on_request(request):
        if PREFIX in request.url and "/static/" not in request.url:
            seen.append(request.url.split(PREFIX, 1)[1])

    page.on("request", on_request)
    return seen


def wait_drawn(frame, groups: int) -> None:
    frame.locator(f'.rg-chart[data-series="{groups}"]').wait_for(timeout=30_000)
    frame.locator("svg.rg-spark path").nth(groups - 1).wait_for(timeout=30_000)


def test_default_first_view_is_one_round_trip_of_the_warmed_query(page, tb):
    seen = record_requests(page)
    frame = open_run_groups(page, tb.tb)
    wait_counts(frame, "12 runs in 4 groups")
    wait_drawn(frame, 4)
    page.wait_for_timeout(500)  # anything asked after the first view would show by now
    routes = sorted(path.split("?", 1)[0] for path in seen)
    # `edit` (may the tab edit? issue 28) is asked in the same round, at start.
    assert routes == ["edit", "fields", "groups", "runs", "tags"], seen
    groups = next(path for path in seen if path.startswith("groups?"))
    args = queries.multidict(urllib.parse.parse_qsl(groups.split("?", 1)[1]))
    assert queries.GroupsQuery.from_args(args) == warm.first_view_query()
    runs = next(path for path in seen if path.startswith("runs?"))
    args = queries.multidict(urllib.parse.parse_qsl(runs.split("?", 1)[1]))
    assert queries.RunsQuery.from_args(args) == warm.first_view_runs_query()
    assert frame.locator(".rg-banner-error:not([hidden])").count() == 0
    assert page.console_errors == [] and page.dialogs == []


def test_a_deep_link_opens_in_one_round_trip_too(page, tb):
    seen = record_requests(page)
    page.goto(
        tb.tb.url + "#rungroups&p.rungroups.metric=epoch_loss&p.rungroups.reduction=min"
        "&p.rungroups.smoothing=0.3&p.rungroups.x=relative&p.rungroups.by=param.lr"
    )
    frame = page.frame_locator("iframe")
    wait_counts(frame, "12 runs in 2 groups", timeout=60_000)
    wait_drawn(frame, 2)
    page.wait_for_timeout(500)
    routes = sorted(path.split("?", 1)[0] for path in seen)
    assert routes == ["edit", "fields", "groups", "runs", "tags"], seen
    groups = next(path for path in seen if path.startswith("groups?"))
    query = queries.GroupsQuery.from_args(
        queries.multidict(urllib.parse.parse_qsl(groups.split("?", 1)[1]))
    )
    assert query.by == ("param.lr",) and query.metrics[0].reduction.text == "min"
    assert query.curves is not None
    assert (query.curves.smoothing, query.curves.x) == (0.3, "relative")
    # Changing the smoothing asks /curves as before (the first view only fills the cache).
    frame.locator(".rg-smoothing").fill("0.5")
    frame.locator('.rg-chart[data-smoothing="0.5"]').wait_for()
    assert any(path.startswith("curves?") and "smoothing=0.5" in path for path in seen), seen
    assert page.console_errors == [] and page.dialogs == []
