"""Routes while the log directory changes, and on a real tensorboard process."""

from __future__ import annotations

import shutil

import pytest
from backend_fixtures import App
from conftest import metadata_event, scalar_event, write_events

ROUTES = [
    ("/runs", {}),
    ("/fields", {}),
    ("/tags", {}),
    ("/groups", {"metric": "loss"}),
    ("/groups", {"metric": "loss", "reduction": "min"}),
    ("/curves", {"metric": "loss"}),
]


def _trial(root, name: str, values: list[float], start: int = 0) -> None:
    write_events(
        str(root / name / "train"),
        [scalar_event("loss", start + i, v) for i, v in enumerate(values)],
    )


@pytest.mark.parametrize("loader", ["python", "rust"])
def test_new_runs_and_data_appear_and_deleted_runs_break_nothing(tmp_path, loader):
    _trial(tmp_path, "lr=0.1/seed_1", [1.0, 0.5])
    app = App(str(tmp_path), loader)
    try:
        app.wait_for(lambda: len(app.json("/runs")["runs"]) == 1)
        app.wait_for(lambda: app.json("/tags")["tags"])
        assert (
            app.json("/groups", metric="loss", reduction="min")["groups"][0]["stats"]["min"] == 0.5
        )

        # A new run appears after a reload, with its data and metadata.
        _trial(tmp_path, "lr=0.2/seed_1", [2.0, 0.25])
        write_events(str(tmp_path / "lr=0.2/seed_1"), [metadata_event({"status": "finished"})])
        app.wait_for(lambda: len(app.json("/runs")["runs"]) == 3)
        body = app.wait_for(
            lambda: (
                (b := app.json("/groups", by="lr", metric="loss", reduction="min"))
                and len(b["groups"]) == 2
                and b["groups"][1]["stats"]["min"] == 0.25
                and b
            )
        )
        assert [g["values"] for g in body["groups"]] == [[0.1], [0.2]]
        assert body["groups"][1]["members"][0]["status"] == "finished"

        # New points in a cached series are read again (its listing moved).
        _trial(tmp_path, "lr=0.1/seed_1", [0.125], start=2)
        app.wait_for(
            lambda: (
                app.json("/groups", by="lr", metric="loss", reduction="min")["groups"][0]["stats"][
                    "min"
                ]
                == 0.125
            )
        )
        curve = app.json("/curves", by="lr", metric="loss")["curves"][0]["curve"]
        assert curve["steps"] == [0, 1, 2]

        # A run directory deleted while serving breaks no route.
        shutil.rmtree(tmp_path / "lr=0.2")
        app.reload()
        for route, query in ROUTES:
            assert app.get(route, **query).status_code == 200, route
    finally:
        app.close()


@pytest.mark.slow
def test_path_prefix_and_experiment_urls_on_real_tensorboard(tmp_path, tensorboard_process):
    _trial(tmp_path, "lr=0.1/seed_1", [1.0, 0.5])
    _trial(tmp_path, "lr=0.2/seed_1", [2.0, 0.25])
    tb = tensorboard_process(tmp_path, load_fast=True, extra_args=["--path_prefix=/tb"])
    base = "tb/data/plugin/rungroups"
    tb.wait_for(lambda: len(tb.get_json(f"{base}/runs")["runs"]) == 2)
    tb.wait_for(lambda: tb.get_json(f"{base}/tags")["tags"])
    for route in ("runs", "fields", "tags", "groups?metric=loss", "curves?metric=loss"):
        plain = tb.get_json(f"{base}/{route}")
        scoped = tb.get_json(f"tb/experiment/123/data/plugin/rungroups/{route}")
        assert plain == scoped, route
    assert tb.get("data/plugin/rungroups/runs")[0] == 404  # only under the prefix
    status, headers, _ = tb.get(f"{base}/groups?reduction=nope")
    assert status == 400
    assert headers["X-Content-Type-Options"] == "nosniff"
