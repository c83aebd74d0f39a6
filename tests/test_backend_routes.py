"""Every backend route on real event files, under both loaders, with the exact JSON."""

from __future__ import annotations

import json
import os
import time

import numpy as np
import pytest
import scipy.stats
from backend_fixtures import App
from conftest import metadata_event, scalar_event, write_events

from tb_plugin import aggregate, grouping

OLD = time.time() - 7200  # two hours ago: a `running` trial this old is stale by default

# trial -> split -> (epoch_loss values, epoch_accuracy values), steps from 0.
SERIES = {
    "lr=0.1,bs=32/seed_1": {
        "train": ([1.0, 0.75, 0.5, 0.5], [0.25, 0.5, 0.75, 0.75]),
        "validation": ([1.25, 1.0, 0.75, 0.875], [0.25, 0.375, 0.5, 0.5]),
    },
    "lr=0.1,bs=32/seed_2": {
        "train": ([1.5, 1.0, 0.625, 0.375], [0.125, 0.25, 0.5, 0.875]),
        "validation": ([1.5, 1.25, 1.0, 0.625, 0.5], [0.125, 0.25, 0.5, 0.625, 0.75]),
    },
    "lr=0.01,bs=32/seed_1": {
        "train": ([2.0, 1.75], [0.0, 0.125]),
        "validation": ([2.25, 2.0], [0.0, 0.0625]),
    },
}
RUNNING = "lr=0.01,bs=32/seed_1"


def _build(root) -> None:
    for trial, splits in SERIES.items():
        old = trial == RUNNING
        for split, (loss, acc) in splits.items():
            events = []
            for step, (lv, av) in enumerate(zip(loss, acc, strict=True)):
                wall = (OLD if old else time.time()) + step
                events.append(scalar_event("epoch_loss", step, lv, wall))
                events.append(scalar_event("epoch_accuracy", step, av, wall))
            write_events(str(root / trial / split), events)
    write_events(
        str(root / "lr=0.1,bs=32/seed_1"),
        [metadata_event({"hparams": {"lr": 0.1, "bs": 32}, "status": "finished", "tags": ["a"]})],
    )
    write_events(str(root / RUNNING), [metadata_event({"status": "running"}, wall_time=OLD)])
    write_events(str(root / "empty_run"), [])
    # A half-written event file: the last record is cut in the middle.
    write_events(str(root / "truncated"), [scalar_event("epoch_loss", s, 1.0) for s in range(3)])
    (path,) = (root / "truncated").iterdir()
    size = os.path.getsize(path)
    with open(path, "r+b") as f:
        f.truncate(size - 7)


@pytest.fixture(scope="module")
def logdir(tmp_path_factory):
    root = tmp_path_factory.mktemp("backend")
    _build(root)
    return root


RUNS = sorted(
    [f"{t}/{s}" for t, splits in SERIES.items() for s in splits]
    + ["lr=0.1,bs=32/seed_1", RUNNING, "empty_run", "truncated"]
)


@pytest.fixture(scope="module", params=["python", "rust"])
def app(request, logdir):
    a = App(str(logdir), request.param)
    a.wait_for(lambda: [r["run"] for r in a.json("/runs")["runs"]] == RUNS)
    a.wait_for(lambda: len(a.json("/tags")["tags"]) == 2)
    yield a
    a.close()


# --- expected values, computed independently with numpy --------------------------------------


def _reduce(values, reduction, lower_is_better):
    arr = np.asarray(values, dtype=np.float64)
    if reduction == "last":
        return float(arr[-1])
    if reduction == "best":
        reduction = "min" if lower_is_better else "max"
    return float(arr.min() if reduction == "min" else arr.max())


def _stats(named, lower_is_better):
    goal = "min" if lower_is_better else "max"
    if not named:
        nan = "NaN"
        return {
            "count": 0, "nan_count": 0, "mean": nan, "std": None, "sem": None,
            "ci_low": None, "ci_high": None, "ci_level": 0.95, "ci_method": "t", "min": nan,
            "median": nan, "iqm": nan, "max": nan, "best_run": None, "best_value": nan,
            "goal": goal,
        }  # fmt: skip
    arr = np.asarray(list(named.values()))
    n = len(arr)
    best = (min if lower_is_better else max)(named, key=named.get)
    std = sem = low = high = None
    if n > 1:
        std = float(np.std(arr, ddof=1))
        sem = float(scipy.stats.sem(arr))
        low, high = scipy.stats.t.interval(0.95, n - 1, loc=arr.mean(), scale=sem)
    return {
        "count": n, "nan_count": 0, "mean": float(np.mean(arr)), "std": std, "sem": sem,
        "ci_low": low, "ci_high": high, "ci_level": 0.95, "ci_method": "t",
        "min": float(arr.min()), "median": float(np.median(arr)),
        "iqm": float(scipy.stats.trim_mean(arr, 0.25)), "max": float(arr.max()),
        "best_run": best, "best_value": named[best], "goal": goal,
    }  # fmt: skip


def _status(trial):
    return {"lr=0.1,bs=32/seed_1": "finished", RUNNING: "stale"}.get(trial)


def _expected_groups(metric, split, reduction):
    lower = metric == "epoch_loss"
    index = 0 if metric == "epoch_loss" else 1
    groups = [
        (0.01, [RUNNING]),
        (0.1, ["lr=0.1,bs=32/seed_1", "lr=0.1,bs=32/seed_2"]),
        (None, ["empty_run", "truncated"]),
    ]
    out = []
    for rank, (value, trials) in enumerate(groups):
        named = {}
        members = []
        for trial in trials:
            series = SERIES.get(trial, {}).get(split)
            v = _reduce(series[index], reduction, lower) if series else None
            if v is not None:
                named[trial] = v
            run = f"{trial}/{split}" if trial in SERIES else None
            members.append(
                {
                    "trial": trial,
                    "run": run,
                    "value": v,
                    "values": [v],
                    "status": _status(trial),
                    "flags": [],  # SPEC §5c: no NaN, no short run, groups too small for outliers
                    "excluded": [],
                }
            )
        stats = _stats(named, lower)
        label = "param.lr=(none)" if value is None else f"param.lr={value!r}"
        out.append(
            {
                "key": grouping.group_key(["param.lr"], [value]),
                "values": [value],
                "ranks": [rank],
                "label": label,
                "size": len(trials),
                "stats": stats,
                "compare": None,
                "metrics": [{"stats": stats, "compare": None}],
                # The running trial is stale (not running): every group final.
                "finished": len(trials),
                "running": 0,
                "provisional": False,
                "excluded": 0,
                "members": members,
            }
        )
    return out


# --- the routes -------------------------------------------------------------------------------


def test_runs_route(app):
    response = app.get("/runs")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    body = response.get_json()
    assert body["stale_after"] == 3600.0
    runs = {r["run"]: r for r in body["runs"]}
    assert list(runs) == RUNS
    assert {r: runs[r]["status"] for r in RUNS} == {
        r: _status(r.rsplit("/", 1)[0] if r.endswith(("train", "validation")) else r) for r in RUNS
    }
    assert runs[f"{RUNNING}/train"]["trial"] == RUNNING
    assert runs["empty_run"]["metadata"] == {} and runs["truncated"]["error"] is None
    # A trial recorded as running reports its last event (its last scalar here,
    # a second after its snapshot) on each of its runs; the others report none.
    for run in (RUNNING, f"{RUNNING}/train", f"{RUNNING}/validation"):
        assert runs[run]["last_event_time"] == pytest.approx(OLD + 1)
    assert [r for r in RUNS if runs[r]["last_event_time"] is not None] == [
        r for r in RUNS if r.startswith(RUNNING)
    ]
    # The threshold can be overridden: two hours is not stale under a day.
    relaxed = {r["run"]: r for r in app.json("/runs", stale_after=86400)["runs"]}
    assert relaxed[RUNNING]["status"] == "running"
    assert relaxed[RUNNING]["last_event_time"] == pytest.approx(OLD + 1)


def test_fields_route(app):
    body = app.json("/fields", max_values=1)
    assert body["default_by"] == ["param.lr", "param.bs"]  # missing bs is a value too
    assert (body["trials"], body["runs"]) == (5, len(RUNS))
    fields = {f["id"]: f for f in body["fields"]}
    assert fields["param.lr"] == {
        "id": "param.lr",
        "values": [{"value": 0.01, "count": 1}],
        "missing": 2,
        "distinct": 2,
        "repeat": False,
        "varies": True,
    }
    assert fields["param.seed"]["repeat"] is True
    statuses = {v["value"] for v in app.json("/fields")["fields"][-1]["values"]} | {
        v["value"]
        for f in app.json("/fields")["fields"]
        if f["id"] == "status"
        for v in f["values"]
    }
    assert "stale" in statuses


def test_tags_route(app):
    assert app.json("/tags") == {
        "tags": [
            {
                "tag": "epoch_accuracy",
                "goal": "max",
                "splits": [{"split": "train", "runs": 3}, {"split": "validation", "runs": 3}],
            },
            {
                "tag": "epoch_loss",
                "goal": "min",
                "splits": [
                    {"split": None, "runs": 1},
                    {"split": "train", "runs": 3},
                    {"split": "validation", "runs": 3},
                ],
            },
        ],
        "splits": [
            {"split": None, "runs": 1},
            {"split": "train", "runs": 3},
            {"split": "validation", "runs": 3},
        ],
        "reductions": list(aggregate.REDUCTIONS),
        "default_metric": "epoch_loss",
    }


@pytest.mark.parametrize("reduction", ["last", "min", "max", "best"])
@pytest.mark.parametrize(
    ("metric", "split"),
    [("epoch_loss", "validation"), ("epoch_accuracy", "train")],
)
def test_groups_route_statistics(app, metric, split, reduction):
    body = app.json("/groups", by="lr", metric=metric, split=split, reduction=reduction)
    expected_groups = json.loads(json.dumps(_expected_groups(metric, split, reduction)))
    assert body == {
        "by": ["param.lr"],
        "metric": metric,
        "split": split,
        "reduction": reduction,
        "goal": "min" if metric == "epoch_loss" else "max",
        "metrics": [
            {
                "metric": metric,
                "split": split,
                "reduction": reduction,
                "k": None,
                "other_tag": None,
                "goal": "min" if metric == "epoch_loss" else "max",
            }
        ],
        "ci": {"method": "t", "level": 0.95},
        "baseline": None,
        "trials": 5,
        "matched": 5,
        "excluded": {"kinds": [], "count": 0, "by_kind": {}},
        "provisional": False,
        "paired": False,
        "plan": {"alpha": 0.05, "power": 0.8, "mde": None, "halfwidth": None},
        "groups": expected_groups,
    }


def test_groups_default_split_is_validation_and_metric_is_optional(app):
    assert app.json("/groups", metric="epoch_loss")["split"] == "validation"
    body = app.json("/groups", by="")
    assert body["by"] == [] and body["metric"] is None
    assert [(g["label"], g["size"], g["stats"]) for g in body["groups"]] == [("all", 5, None)]


@pytest.mark.parametrize(
    ("query", "trials"),
    [
        ({"filter": "SEED_2"}, ["lr=0.1,bs=32/seed_2"]),
        ({"regex": r"^lr=0\.1,"}, ["lr=0.1,bs=32/seed_1", "lr=0.1,bs=32/seed_2"]),
        ({"regex": "validation$"}, list(SERIES)),
        ({"where": "lr=0.01"}, [RUNNING]),
        ({"where": ["seed=2", "seed=1"], "filter": "lr=0.1"}, list(SERIES)[:2]),
        ({"where": "param.lr=(none)"}, ["empty_run", "truncated"]),
        ({"where": "status=stale"}, [RUNNING]),
        ({"where": ["lr=0.1", "status=finished"]}, ["lr=0.1,bs=32/seed_1"]),
    ],
)
def test_groups_filters(app, query, trials):
    body = app.json("/groups", by="", **query)
    found = [m["trial"] for g in body["groups"] for m in g["members"]]
    assert sorted(found) == sorted(trials)
    assert body["matched"] == len(trials)


def test_groups_nested_by(app):
    body = app.json("/groups", by="bs,seed", metric="epoch_loss", split="train")
    assert body["by"] == ["param.bs", "param.seed"]
    assert [g["values"] for g in body["groups"]] == [[32, 1], [32, 2], [None, None]]
    assert [g["size"] for g in body["groups"]] == [2, 1, 2]


def test_curves_route(app):
    body = app.json("/curves", by="lr", metric="epoch_loss", split="validation")
    assert (body["by"], body["metric"], body["split"], body["max_points"]) == (
        ["param.lr"],
        "epoch_loss",
        "validation",
        500,
    )
    assert [c["values"] for c in body["curves"]] == [[0.01], [0.1], [None]]
    a = np.array(SERIES["lr=0.1,bs=32/seed_1"]["validation"][0])
    b = np.array(SERIES["lr=0.1,bs=32/seed_2"]["validation"][0])
    both = np.stack([a, b[:4]])  # seed_1 logs steps 0-3, seed_2 steps 0-4: no extrapolation
    curve = body["curves"][1]["curve"]
    half = scipy.stats.t.ppf(0.975, 1) * both.std(axis=0, ddof=1) / np.sqrt(2)
    assert curve["x"] == curve["steps"] == [0, 1, 2, 3, 4]
    assert curve["count"] == [2, 2, 2, 2, 1] and curve["runs"] == 2
    np.testing.assert_allclose(curve["mean"], [*both.mean(axis=0), b[4]])
    np.testing.assert_allclose(curve["min"], [*both.min(axis=0), b[4]])
    np.testing.assert_allclose(curve["max"], [*both.max(axis=0), b[4]])
    np.testing.assert_allclose(curve["std"][:4], both.std(axis=0, ddof=1))
    np.testing.assert_allclose(curve["ci_low"][:4], both.mean(axis=0) - half)
    np.testing.assert_allclose(curve["ci_high"][:4], both.mean(axis=0) + half)
    assert curve["std"][4] == curve["ci_low"][4] == curve["ci_high"][4] == "NaN"  # one run
    assert body["curves"][2]["curve"]["runs"] == 0
    capped = app.json("/curves", by="lr", metric="epoch_loss", split="validation", max_points=2)
    assert capped["curves"][1]["curve"]["steps"] == [0, 4]
    assert capped["curves"][1]["curve"]["count"] == [2, 1]
    key = grouping.group_key(["param.lr"], [0.1])
    assert body["curves"][1]["key"] == key
    only = app.json("/curves", by="lr", metric="epoch_loss", group=key)
    assert [c["values"] for c in only["curves"]] == [[0.1]]


def test_run_route(app):
    body = app.json("/run", run="lr=0.1,bs=32/seed_1/validation")
    loss, acc = SERIES["lr=0.1,bs=32/seed_1"]["validation"]
    assert body["trial"] == "lr=0.1,bs=32/seed_1"
    assert body["status"] == "finished"
    assert body["trial_runs"] == [
        {"split": None, "run": "lr=0.1,bs=32/seed_1"},
        {"split": "train", "run": "lr=0.1,bs=32/seed_1/train"},
        {"split": "validation", "run": "lr=0.1,bs=32/seed_1/validation"},
    ]
    assert body["trial_metadata"]["tags"] == ["a"]
    assert body["fields"]["param.lr"] == 0.1
    assert [(s["tag"], s["step"], s["value"]) for s in body["scalars"]] == [
        ("epoch_accuracy", 3, acc[-1]),
        ("epoch_loss", 3, loss[-1]),
    ]
    assert body["last_event_time"] == max(s["wall_time"] for s in body["scalars"]) or (
        body["last_event_time"] > 0
    )
    stale = app.json("/run", run=f"{RUNNING}/train")
    assert stale["status"] == "stale" and stale["fields"]["status"] == "stale"
    assert stale["last_event_time"] < time.time() - 3600
    assert app.json("/run", run="empty_run")["scalars"] == []


@pytest.mark.parametrize(
    ("route", "query", "message"),
    [
        ("/groups", {"reduction": "mean"}, "reduction"),
        ("/groups", {"by": "nosuchfield"}, "nosuchfield"),
        ("/groups", {"where": "nosuchfield=1"}, "nosuchfield"),
        ("/groups", {"where": "novalue"}, "where"),
        ("/groups", {"regex": "(unclosed"}, "regex"),
        ("/groups", {"split": "bogus"}, "split"),
        ("/groups", {"stale_after": "soon"}, "stale_after"),
        ("/groups", {"stale_after": "-1"}, "stale_after"),
        ("/runs", {"stale_after": "nan"}, "stale_after"),
        ("/fields", {"max_values": "many"}, "max_values"),
        ("/fields", {"max_values": "-1"}, "max_values"),
        ("/curves", {}, "metric"),
        ("/curves", {"metric": "epoch_loss", "max_points": "0"}, "max_points"),
        ("/curves", {"metric": "epoch_loss", "max_points": "x"}, "max_points"),
        ("/curves", {"metric": "epoch_loss", "group": "not json"}, "group"),
        ("/run", {}, "run"),
    ],
)
def test_bad_arguments_are_400(app, route, query, message):
    response = app.get(route, **query)
    assert response.status_code == 400, response.get_data(as_text=True)
    text = response.get_data(as_text=True)
    assert message in text
    assert "Traceback" not in text
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    ("route", "query"),
    [
        ("/run", {"run": "nope"}),
        ("/groups", {"metric": "no_such_tag"}),
        ("/groups", {"metric": "no_such_tag", "reduction": "min"}),
        ("/curves", {"metric": "no_such_tag"}),
        ("/metadata", {"run": "nope"}),
    ],
)
def test_unknown_run_or_tag_is_404(app, route, query):
    response = app.get(route, **query)
    assert response.status_code == 404
    assert "Traceback" not in response.get_data(as_text=True)


ROUTES = [
    ("/runs", {}),
    ("/fields", {}),
    ("/tags", {}),
    ("/groups", {"metric": "epoch_loss", "reduction": "best"}),
    ("/groups", {"metric": "epoch_accuracy", "reduction": "last", "split": "train"}),
    ("/curves", {"metric": "epoch_loss"}),
    ("/run", {"run": "lr=0.1,bs=32/seed_2/validation"}),
]


def _without_start_time(body):
    # `start_time` is the loader's own (`list_runs`): the Python loader takes the first
    # event's wall time in file order, the Rust server the earliest. Everything else matches.
    runs = body.get("runs")
    trials = body.get("trials")
    for run in [
        *(runs if isinstance(runs, list) else []),
        *(trials if isinstance(trials, list) else []),
        body,
    ]:
        run.pop("start_time", None)
    return body


def test_both_loaders_give_the_same_json(logdir):
    answers = []
    for loader in ("python", "rust"):
        a = App(str(logdir), loader)
        try:
            a.wait_for(lambda a=a: len(a.json("/tags")["tags"]) == 2)
            a.wait_for(lambda a=a: [r["run"] for r in a.json("/runs")["runs"]] == RUNS)
            answers.append([_without_start_time(a.json(route, **q)) for route, q in ROUTES])
        finally:
            a.close()
    for (route, _), python, rust in zip(ROUTES, *answers, strict=True):
        assert python == rust, route


def test_the_first_view_shortcuts_equal_the_full_answers(app):
    # The tab's first view asks /groups before it knows the tags, and sparklines only.
    assert app.json("/tags")["default_metric"] == "epoch_loss"
    assert app.json("/groups", by="lr", auto_metric="true") == app.json(
        "/groups", by="lr", metric="epoch_loss"
    )
    assert app.json("/groups", by="lr", auto_metric="true", metric="epoch_accuracy")["metric"] == (
        "epoch_accuracy"
    )
    full = app.json("/curves", by="lr", metric="epoch_loss", max_points=40)
    small = app.json("/curves", by="lr", metric="epoch_loss", max_points=40, sparkline="true")
    for a, b in zip(full["curves"], small["curves"], strict=True):
        assert set(b["curve"]) <= {"x", "steps", "mean", "count", "runs"}
        assert {k: a["curve"][k] for k in b["curve"]} == b["curve"]
