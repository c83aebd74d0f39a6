"""`bench/bench_fuzz.py`'s hostile requests through the real TensorBoard WSGI app: none is
answered 5xx or slowly (issue 29). The bench sends them to real tensorboard processes."""

from __future__ import annotations

import os
import random
import sys
import time
import urllib.parse

import pytest
from backend_fixtures import serving
from conftest import scalar_event, write_events

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(__file__)), "bench"))
import bench_fuzz  # noqa: E402


@pytest.fixture(scope="module", params=["python", "rust"])
def app(request, tmp_path_factory):
    root = tmp_path_factory.mktemp("fuzz")
    names = [
        f"lr={lr},bs=16,opt={opt}/seed_{s}"
        for lr in (0.1, 0.01)
        for opt in ("adam", "sgd")
        for s in (0, 1)
    ]
    for name in names + [n.replace("/", ",") for n in bench_fuzz.HOSTILE_NAMES]:
        for split in ("train", "validation"):
            write_events(
                str(root / name / split),
                [scalar_event("epoch_loss", s, 1.0 / (s + 1)) for s in range(3)],
            )
    with serving(
        str(root), request.param, 2 * (len(names) + len(bench_fuzz.HOSTILE_NAMES))
    ) as served:
        yield served


@pytest.mark.parametrize(
    "query",
    [
        "/groups?reduction=min&reduction=min",  # once answered 500 (zip of unequal lengths)
        "/export?format=csv&reduction=min&reduction=last",
        "/groups?auto_metric=true&reduction=min&reduction=max",
    ],
)
def test_found_by_the_fuzzer(app, query):
    route, _, qs = query.partition("?")
    response = app.client.get("/data/plugin/rungroups" + route, query_string=qs)
    assert response.status_code == 400, response.get_data(as_text=True)[:300]


def test_500_hostile_requests_answer_without_5xx_and_quickly(app):
    rng = random.Random(29)
    slow = []
    for _ in range(500):
        path = bench_fuzz.hostile_request(rng)
        if path.startswith("experiment/"):
            continue  # the WSGI test client serves the default experiment's routes only
        route, _, qs = path.partition("?")
        if len(qs) > 65_000:
            continue  # TensorBoard's HTTP server refuses these lines itself (414)
        started = time.perf_counter()
        response = app.client.get("/" + urllib.parse.unquote(route), query_string=qs)
        took = time.perf_counter() - started
        assert response.status_code < 500, (path[:300], response.get_data(as_text=True)[:300])
        if took > 2:
            slow.append((round(took, 2), path[:200]))
    assert not slow, slow
