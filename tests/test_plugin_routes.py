"""The plugin's routes on TensorBoard's real WSGI app, under both loaders."""

from __future__ import annotations

import json
import time

import pytest
from conftest import make_wsgi_app, metadata_event, scalar_event, write_events
from tensorboard.compat.proto import event_pb2, summary_pb2
from tensorboard.plugins.hparams import summary_v2 as hp
from werkzeug import test as werkzeug_test

from tb_plugin import metadata

PREFIX = "/data/plugin/rungroups"


def _corrupt_event(content: bytes, value: bytes) -> event_pb2.Event:
    summ = summary_pb2.Summary()
    val = summ.value.add(tag=metadata.TAG)
    val.metadata.plugin_data.plugin_name = "rungroups"
    val.metadata.plugin_data.content = content
    val.metadata.data_class = summary_pb2.DATA_CLASS_TENSOR
    val.tensor.dtype = 7  # DT_STRING
    val.tensor.string_val.append(value)
    return event_pb2.Event(wall_time=time.time(), step=0, summary=summ)


@pytest.fixture(scope="module")
def logdir(tmp_path_factory):
    root = tmp_path_factory.mktemp("logs")
    write_events(str(root / "lr=0.1,bs=32/seed=1/train"), [scalar_event("epoch_loss", 0, 1.0)])
    write_events(
        str(root / "lr=0.1,bs=32/seed=1"),
        [metadata_event({"hparams": {"lr": 0.1}, "notes": "ünïcode ✓", "nan": float("nan")})],
    )
    write_events(str(root / "bad_json"), [_corrupt_event(b'{"version": 1}', b"{not json")])
    write_events(str(root / "newer"), [_corrupt_event(b'{"version": 99}', b'{"a": 1}')])
    write_events(
        str(root / "keras_hp"),
        [
            event_pb2.Event(
                wall_time=time.time(),
                summary=hp.hparams_pb({"units": 64, "opt": "adam", "dropout": 0.5}),
            )
        ],
    )
    write_events(str(root / "<img src=x onerror=alert(1)>"), [scalar_event("loss", 0, 2.0)])
    return root


@pytest.fixture(scope="module", params=["python", "rust"])
def client(request, logdir):
    app = make_wsgi_app(str(logdir), loader=request.param)
    c = werkzeug_test.Client(app)
    expected = 6  # runs listed above
    deadline = time.time() + 60
    while time.time() < deadline:  # the Rust server loads in the background
        runs = c.get(f"{PREFIX}/runs").get_json()["runs"]
        if len(runs) >= expected and any(r["metadata"] for r in runs if r["run"] == "keras_hp"):
            break
        time.sleep(0.5)
    return c


def _runs(client):
    response = client.get(f"{PREFIX}/runs")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    return {r["run"]: r for r in response.get_json()["runs"]}


def test_runs_lists_every_run_with_parsed_fields_and_metadata(client):
    runs = _runs(client)
    assert sorted(runs) == sorted(
        [
            "<img src=x onerror=alert(1)>",
            "bad_json",
            "keras_hp",
            "lr=0.1,bs=32/seed=1",
            "lr=0.1,bs=32/seed=1/train",
            "newer",
        ]
    )
    run = runs["lr=0.1,bs=32/seed=1"]
    assert run["metadata"] == {"hparams": {"lr": 0.1}, "notes": "ünïcode ✓", "nan": "NaN"}
    assert run["error"] is None
    assert run["params"] == {"lr": 0.1, "bs": 32, "seed": 1}
    train = runs["lr=0.1,bs=32/seed=1/train"]
    assert (train["trial"], train["split"]) == ("lr=0.1,bs=32/seed=1", "train")
    assert train["metadata"] == {}
    assert isinstance(train["start_time"], float)


def test_hparams_plugin_sessions_count_as_recorded_hparams(client):
    assert _runs(client)["keras_hp"]["metadata"] == {
        "hparams": {"units": 64, "opt": "adam", "dropout": 0.5}
    }


def test_corrupt_metadata_is_flagged_and_other_runs_still_served(client):
    runs = _runs(client)
    assert "not valid JSON" in runs["bad_json"]["error"]
    assert "newer Run Groups" in runs["newer"]["error"]
    assert runs["newer"]["metadata"] == {}
    assert runs["lr=0.1,bs=32/seed=1"]["error"] is None


def test_metadata_route_is_exact(client):
    response = client.get(f"{PREFIX}/metadata", query_string={"run": "lr=0.1,bs=32/seed=1"})
    assert response.status_code == 200
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    body = response.get_data(as_text=True)
    assert '"nan":NaN' in body  # the stored token, not the string "NaN"
    assert json.loads(body)["notes"] == "ünïcode ✓"


def test_metadata_route_errors(client):
    missing = client.get(f"{PREFIX}/metadata")
    assert missing.status_code == 400
    assert "run" in missing.get_data(as_text=True)
    unknown = client.get(f"{PREFIX}/metadata", query_string={"run": "../../etc/passwd"})
    assert unknown.status_code == 404
    assert "Traceback" not in unknown.get_data(as_text=True)


def test_static_module_is_served(client):
    response = client.get(f"{PREFIX}/static/index.js")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/javascript")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert b"export async function render" in response.get_data()


@pytest.mark.parametrize(
    "path",
    [
        "../plugin.py",
        "%2e%2e/plugin.py",
        "%2e%2e%2fplugin.py",
        "..%5cplugin.py",
        "views/../../plugin.py",
        "/etc/passwd",
        "%2fetc%2fpasswd",
        "__init__.py",
        "..\\plugin.py",
        "",
        "views",
        "index.js/",
        "INDEX.JS",
        "index.js%00.css",
    ],
)
def test_static_traversal_is_404(client, path):
    response = client.get(f"{PREFIX}/static/{path}")
    assert response.status_code == 404
    assert b"Traceback" not in response.get_data()
