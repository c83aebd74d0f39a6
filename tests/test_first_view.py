"""The first view in one round trip: `/groups` with the chart's curves and the first sparklines.

What the tab shows must not change: the first view's groups and statistics are `/groups`'
for the same query, its curves `/curves`' for the same groups and options, under both
loaders; the warmed default query is the one the tab sends (tests/test_browser_tab.py
checks the tab's side).
"""

from __future__ import annotations

import itertools
import time
import urllib.parse

import pytest
from backend_fixtures import serving
from conftest import scalar_event, write_events

from tb_plugin import queries, warm

LRS = ("0.1", "0.01", "0.001")


@pytest.fixture(scope="module")
def logdir(tmp_path_factory):
    root = tmp_path_factory.mktemp("first_view")
    for (i, lr), seed in itertools.product(enumerate(LRS), range(3)):
        # 3 seeds per lr, and a fourth for lr=0.1 below: groups of 4, 3 and 3 trials.
        for split, offset in (("train", 0.0), ("validation", 0.1)):
            write_events(
                str(root / f"lr={lr}" / f"seed={seed}" / split),
                [
                    scalar_event("epoch_loss", s, 1.0 / (s + 1 + i) + offset + 0.01 * seed)
                    for s in range(30)
                ],
            )
    for split in ("train", "validation"):
        write_events(
            str(root / "lr=0.1" / "seed=9" / split),
            [scalar_event("epoch_loss", s, 1.0 / (s + 1) + 0.2) for s in range(30)],
        )
    return root


@pytest.fixture(scope="module", params=["python", "rust"])
def app(request, logdir):
    with serving(logdir, request.param, 20) as a:
        yield a


def args(query: str) -> dict[str, list[str]]:
    return urllib.parse.parse_qs(query)


def curves_of(app, metric, keys, **options):
    return app.json("/curves", metric=metric, group=list(keys), **options)


def test_the_first_view_is_groups_and_curves_for_the_same_query(app):
    first = app.json("/groups", **args(warm.FIRST_VIEW_GROUPS))
    plain = app.json("/groups", metric="epoch_loss", reduction="last")
    # Groups, members and statistics: exactly /groups' for the same query.
    assert {k: v for k, v in first.items() if k not in ("chart", "sparklines")} == plain
    assert first["metric"] == "epoch_loss" and len(first["groups"]) == 3
    # The chart: the tab's default pick (the 5 largest groups of more than one trial).
    keys = first["chart"]["keys"]
    assert keys == [g["key"] for g in plain["groups"]]
    assert first["chart"]["curves"] == curves_of(
        app, "epoch_loss", keys, max_points=500, smoothing=0.6
    )
    assert first["chart"]["raw"] == curves_of(app, "epoch_loss", keys, max_points=500)
    # The first rows' sparklines.
    assert first["sparklines"] == curves_of(
        app, "epoch_loss", keys, max_points=40, sparkline="true"
    )


def test_named_chart_groups_options_and_a_chosen_metric(app):
    plain = app.json("/groups", metric="epoch_loss", reduction="min", by="lr", split="train")
    last = plain["groups"][-1]["key"]
    first = app.json(
        "/groups",
        metric="epoch_loss",
        reduction="min",
        by="lr",
        split="train",
        chart=[last, "AAAAAAAAAAAAAAAA"],  # a key this grouping lacks is left out
        smoothing="0",
        x="relative",
        sparklines="1",
    )
    assert {k: v for k, v in first.items() if k not in ("chart", "sparklines")} == plain
    assert first["chart"]["keys"] == [last]
    assert first["chart"]["raw"] is None  # unsmoothed: the curves are the raw ones
    assert first["chart"]["curves"] == curves_of(
        app, "epoch_loss", [last], by="lr", split="train", x="relative"
    )
    assert first["sparklines"] == curves_of(
        app,
        "epoch_loss",
        [plain["groups"][0]["key"]],
        by="lr",
        split="train",
        max_points=40,
        sparkline="true",
    )


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("chart_groups=-1", 400),
        ("chart_groups=101", 400),
        ("sparklines=1001", 400),
        ("chart=not-a-key", 400),
        ("chart_points=0", 400),
        ("smoothing=1", 400),
        ("x=sideways", 400),
        ("metric=nope&chart_groups=5", 404),
    ],
)
def test_bad_curve_arguments_are_one_clear_error(app, query, status):
    response = app.get("/groups", **args(query))
    assert response.status_code == status, response.get_data(as_text=True)


def test_without_a_metric_there_are_no_curves(tmp_path):
    write_events(str(tmp_path / "lr=0.1" / "seed=1"), [])
    with serving(tmp_path, "python", 1) as a:
        body = a.json("/groups", **args(warm.FIRST_VIEW_GROUPS))
    assert body["metric"] is None and body["chart"] is None and body["sparklines"] is None


def test_the_warmed_query_is_what_the_default_tab_parses_to():
    query = warm.first_view_query()
    assert query.auto_metric and query.metrics == ()
    assert query.curves == queries.TableCurves(
        chart_groups=5, chart_points=500, smoothing=0.6, sparklines=50, sparkline_points=40
    )


def test_allow_stale_answers_the_last_view_marked_while_the_fresh_one_is_computed(app):
    """With ``allow_stale=true`` the first view's routes answer within the wait: while the
    fresh answer cannot be computed (here: the experiment's listing is held, as a slow
    listing under TensorBoard's Python loader holds it), the last answer comes with
    `X-Rungroups-Stale`; the next request once it is computed gets it fresh."""
    from tb_plugin import refresh

    b = app.plugin._backend
    routes = {
        "/groups": args(warm.FIRST_VIEW_GROUPS),
        "/runs": {},
        "/fields": {},
        "/tags": {},
    }
    fresh = {}
    for route, query in routes.items():
        response = app.get(route, allow_stale="true", **query)
        assert response.status_code == 200 and refresh.STALE_HEADER not in response.headers
        fresh[route] = response.get_json()
    b.expire("")  # the next request lists again
    lock = b._listing_lock("")
    with lock:
        for route, query in routes.items():
            started = time.monotonic()
            response = app.get(route, allow_stale="true", **query)
            took = time.monotonic() - started
            assert response.status_code == 200
            assert float(response.headers[refresh.STALE_HEADER]) >= 0, route
            assert response.get_json() == fresh[route]
            assert took < refresh.STALE_WAIT + 1.0, (route, took)
    # Released: the background computations end; the next requests are fresh.
    for route, query in routes.items():
        for _ in range(100):
            response = app.get(route, allow_stale="true", **query)
            if refresh.STALE_HEADER not in response.headers:
                break
            time.sleep(0.05)
        assert refresh.STALE_HEADER not in response.headers, route
        assert response.get_json() == fresh[route]
    # Without allow_stale nothing is ever stale; a bad value is one clear 400.
    assert refresh.STALE_HEADER not in app.get("/tags").headers
    bad = app.get("/tags", allow_stale="maybe")
    assert bad.status_code == 400 and "allow_stale" in bad.get_data(as_text=True)
