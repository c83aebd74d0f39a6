"""`GET /benchmark` and ``tb-rungroups benchmark`` over logs written as stable-baselines3 writes them.

stable-baselines3 logs each training to ``<tensorboard_log>/<ALGO>_<N>`` (its
``configure_logger``: the next free counter), so a benchmark script that gives each env its own
folder leaves ``env=<name>/PPO_1 … PPO_5``, ``A2C_…``, ``SAC_…``; runs stop at different steps
(``ep_rew_mean`` is logged per rollout, and rollouts differ by algorithm). The score of a run is
its last ``rollout/ep_rew_mean`` (the route's default reduction).

Until the layout core learns SPEC §4b rule 5 (tool counters: ``PPO_1``, ``PPO_2`` are repeats
of ``PPO``), the algorithm is only the name's free label ``label.0`` and not in the default
grouping, so these tests pass ``by=env,label.0``; `test_cli_task_env_alone_gives_three_methods`
asks without it and is expected to fail until rule 5 lands.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys

import numpy as np
import pytest
from backend_fixtures import serving
from conftest import scalar_event, write_events
from rliable import metrics

from tb_plugin import benchmark

ENVS = ("CartPole-v1", "HalfCheetah-v4", "Hopper-v4")
ALGOS = ("A2C", "PPO", "SAC")
SEEDS = 5
TAG = "rollout/ep_rew_mean"
BY = "env,label.0"


def _final_score(env: int, algo: int, seed: int) -> float:
    rng = np.random.default_rng(100 * env + 10 * algo + seed)
    return float(round((1 + env) * (0.5 + 0.4 * algo) + rng.normal(0, 0.3), 6))


def write_sb3_logdir(
    root, skip: tuple[str, str] | None = None
) -> dict[tuple[str, str, str], float]:
    """Writes the runs; returns (algo, env, run) -> the final score written (a float32)."""
    scores = {}
    for e, env in enumerate(ENVS):
        for a, algo in enumerate(ALGOS):
            if skip == (algo, env):
                continue
            for seed in range(1, SEEDS + 1):
                run = f"env={env}/{algo}_{seed}"
                n = 6 + 3 * a + seed  # runs of unequal length
                final = _final_score(e, a, seed)
                values = [final * (i + 1) / n for i in range(n)]
                events = [scalar_event(TAG, 2048 * (i + 1), v) for i, v in enumerate(values)]
                events += [
                    scalar_event("train/value_loss", 2048 * (i + 1), 1.0 / (i + 1))
                    for i in range(n)
                ]
                write_events(str(root / run), events)
                scores[(algo, env, run)] = float(np.float32(final))
    return scores


@pytest.fixture(scope="module")
def sb3(tmp_path_factory):
    root = tmp_path_factory.mktemp("sb3")
    scores = write_sb3_logdir(root)
    (root / "rungroups.json").write_text(
        json.dumps({"reference_scores": {env: [0.0, 10.0 * (e + 1)] for e, env in enumerate(ENVS)}})
    )
    return root, scores


@pytest.fixture(scope="module")
def sb3_missing(tmp_path_factory):
    root = tmp_path_factory.mktemp("sb3_missing")
    return root, write_sb3_logdir(root, skip=("A2C", "Hopper-v4"))


@pytest.fixture(scope="module", params=["python", "rust"])
def app(sb3, request):
    root, scores = sb3
    with serving(root, request.param, len(scores)) as served:
        yield served


def _matrix(scores, algo):
    """rliable's runs × tasks matrix of one algorithm (seeds in order)."""
    return np.array(
        [
            [scores[(algo, env, f"env={env}/{algo}_{s}")] for env in ENVS]
            for s in range(1, SEEDS + 1)
        ]
    )


def test_route_gives_three_methods_with_rliable_aggregates_and_intervals(app, sb3):
    _, scores = sb3
    response = app.get("/benchmark", task="env", by=BY, metric=TAG)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    answer = response.get_json()
    assert answer["task"] == "param.env" and answer["by"] == ["label.0"]
    assert answer["tasks"] == list(ENVS)
    assert [m["method"] for m in answer["methods"]] == list(ALGOS)
    assert answer["missing"] == []
    for m in answer["methods"]:
        a = _matrix(scores, m["method"])
        assert (m["tasks"], m["runs"], m["label"]) == (3, 15, f"label.0={m['method']}")
        assert m["iqm"]["value"] == pytest.approx(metrics.aggregate_iqm(a), abs=1e-12)
        assert m["mean"]["value"] == pytest.approx(metrics.aggregate_mean(a), abs=1e-12)
        assert m["median"]["value"] == pytest.approx(metrics.aggregate_median(a), abs=1e-12)
        assert m["optimality_gap"]["value"] == pytest.approx(
            metrics.aggregate_optimality_gap(a), abs=1e-12
        )
        assert m["iqm"]["ci_low"] < m["iqm"]["value"] < m["iqm"]["ci_high"]
    # The whole answer is the pure function's over the runs' last values.
    expected = benchmark.benchmark(
        {(algo, env, run): v for (algo, env, run), v in scores.items()},
        methods=list(ALGOS),
        tasks=list(ENVS),
    ).to_json()
    for got, want in zip(answer["methods"], expected["methods"], strict=True):
        assert {k: got[k] for k in want} == want
    assert answer["profiles"] == expected["profiles"]
    assert answer["friedman"] == expected["friedman"]
    assert answer["critical_difference"] == pytest.approx(
        2.343 * math.sqrt(3 * 4 / (6 * 3)), abs=2e-3
    )
    # SAC is best on every env: rank 1 everywhere.
    sac = answer["methods"][2]
    assert sac["average_rank"] == 1.0 and sac["ranks"] == dict.fromkeys(ENVS, 1.0)


def test_baseline_gives_probability_of_improvement_and_normalises(app, sb3):
    _, scores = sb3
    answer = app.json("/benchmark", task="env", by=BY, metric=TAG, baseline="PPO")
    by_name = {m["method"]: m for m in answer["methods"]}
    assert by_name["PPO"]["p_improvement"] is None
    expected = metrics.probability_of_improvement(_matrix(scores, "SAC"), _matrix(scores, "PPO"))
    assert by_name["SAC"]["p_improvement"] == pytest.approx(expected, abs=1e-12)
    # The baseline can be named as FIELD=VALUE over the method fields too.
    same = app.json("/benchmark", task="env", by=BY, metric=TAG, baseline="label.0=PPO")
    assert same["baseline"] == "PPO"
    relative = app.json(
        "/benchmark", task="env", by=BY, metric=TAG, baseline="PPO", normalize="baseline"
    )
    ppo = next(m for m in relative["methods"] if m["method"] == "PPO")
    assert ppo["mean"]["value"] == pytest.approx(1.0)


def test_reference_scores_come_from_rungroups_json(app, sb3):
    _, scores = sb3
    answer = app.json("/benchmark", task="env", by=BY, metric=TAG, normalize="reference")
    for m in answer["methods"]:
        a = _matrix(scores, m["method"]) / np.array([10.0, 20.0, 30.0])
        assert m["iqm"]["value"] == pytest.approx(metrics.aggregate_iqm(a), abs=1e-12)
    assert answer["normalize"] == "reference" and answer["higher_is_better"] is True


@pytest.mark.parametrize(
    ("query", "status", "message"),
    [
        ({}, 400, "missing required argument 'task'"),
        ({"task": "nope"}, 400, "argument 'task'"),
        ({"task": "env", "normalize": "zscore"}, 400, "argument 'normalize'"),
        ({"task": "env", "normalize": "baseline"}, 400, "needs a 'baseline'"),
        ({"task": "env", "reps": "0"}, 400, "argument 'reps'"),
        ({"task": "env", "reps": "1000000"}, 400, "argument 'reps'"),
        ({"task": "env", "metric": [TAG, "train/value_loss"]}, 400, "one metric"),
        ({"task": "env", "baseline": "DQN"}, 404, "DQN"),
        ({"task": "env", "metric": "no/such"}, 404, "no/such"),
    ],
)
def test_bad_arguments(app, query, status, message):
    query = {"by": BY, "metric": TAG, **query}
    response = app.get("/benchmark", **query)
    assert response.status_code == status, response.get_data(as_text=True)
    assert message in response.get_data(as_text=True)


def test_a_missing_method_task_is_named_in_the_answer(sb3_missing):
    root, scores = sb3_missing
    with serving(root, "python", len(scores)) as served:
        answer = served.json("/benchmark", task="env", by=BY, metric=TAG)
        reference = served.get("/benchmark", task="env", by=BY, metric=TAG, normalize="reference")
    assert answer["missing"] == [{"method": "A2C", "task": "Hopper-v4"}]
    a2c = answer["methods"][0]
    assert (a2c["method"], a2c["tasks"], a2c["runs"]) == ("A2C", 2, 10)
    assert answer["rank_tasks"] == ["CartPole-v1", "HalfCheetah-v4"]
    # Without rungroups.json there are no reference scores: one clear 400 naming the task.
    assert reference.status_code == 400
    assert "no reference scores for task 'CartPole-v1'" in reference.get_data(as_text=True)


# --- the command line ------------------------------------------------------------------------


def tb_rungroups(*args: str) -> subprocess.CompletedProcess[str]:
    script = os.path.join(os.path.dirname(sys.executable), "tb-rungroups")
    return subprocess.run([script, *args], capture_output=True, text=True, timeout=300)


def test_cli_json_equals_the_route(sb3):
    root, scores = sb3
    done = tb_rungroups(
        "benchmark", str(root), "--task", "env", "--by", BY, "--metric", TAG, "--format", "json"
    )
    assert done.returncode == 0, done.stderr
    with serving(root, "python", len(scores)) as served:
        assert json.loads(done.stdout) == served.json("/benchmark", task="env", by=BY, metric=TAG)
    assert [m["method"] for m in json.loads(done.stdout)["methods"]] == list(ALGOS)


def test_cli_table_names_the_missing_cell_and_latex_is_booktabs(sb3_missing):
    root, _ = sb3_missing
    done = tb_rungroups("benchmark", str(root), "--task", "env", "--by", BY, "--metric", TAG)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split()[:4] == ["Method", "Tasks", "Mean", "Median"]
    assert [line.split()[0] for line in lines[1:4]] == list(ALGOS)
    assert lines[1].split()[1] == "2/3"  # A2C's aggregates are over 2 of the 3 tasks
    assert "missing: A2C on Hopper-v4" in lines[-1]
    done = tb_rungroups(
        "benchmark", str(root), "--task", "env", "--by", BY, "--metric", TAG, "--format", "latex"
    )
    assert done.returncode == 0, done.stderr
    latex = done.stdout
    assert r"\toprule" in latex and r"\midrule" in latex and r"\bottomrule" in latex
    assert r"95\% percentile stratified bootstrap interval" in latex
    assert "raw scores" in latex and "missing: A2C on Hopper-v4" in latex
    sac_row = next(line for line in latex.splitlines() if line.strip().startswith("SAC"))
    assert sac_row.count(r"\textbf{") == 5  # best mean, median, IQM, gap and rank


def test_cli_bad_input_is_one_line(sb3):
    root, _ = sb3
    done = tb_rungroups("benchmark", str(root), "--task", "nope", "--metric", TAG)
    assert done.returncode != 0 and done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("tb-rungroups: error:") and "task" in lines[0]


def test_cli_task_env_alone_gives_three_methods(sb3):
    root, _ = sb3
    done = tb_rungroups(
        "benchmark", str(root), "--task", "env", "--metric", TAG, "--format", "json"
    )
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert [m["method"] for m in answer["methods"]] == list(ALGOS)
    assert all(m["iqm"]["ci_low"] < m["iqm"]["ci_high"] for m in answer["methods"])


@pytest.mark.parametrize(
    "content",
    [
        {"reference_scores": [0, 1]},
        {"reference_scores": {"CartPole-v1": [0]}},
        {"reference_scores": {"CartPole-v1": ["0", 1]}},
        {"reference_scores": {"CartPole-v1": [0, True]}},
    ],
)
def test_malformed_reference_scores_are_one_clear_400(tmp_path, content):
    write_events(str(tmp_path / "env=CartPole-v1" / "PPO_1"), [scalar_event(TAG, 1, 1.0)])
    (tmp_path / "rungroups.json").write_text(json.dumps(content))
    with serving(tmp_path, "python", 1) as served:
        response = served.get("/benchmark", task="env", metric=TAG, normalize="reference")
    assert response.status_code == 400
    assert "rungroups.json: 'reference_scores'" in response.get_data(as_text=True)


def test_csv_and_markdown_of_the_answer_and_the_tabs_csv_columns(app, sb3, tmp_path):
    import csv
    import io
    import shutil

    from tb_plugin import benchmark_table

    answer = app.json("/benchmark", task="env", by=BY, metric=TAG, baseline="PPO")
    rows = list(csv.reader(io.StringIO(benchmark_table.to_csv(answer))))
    assert rows[0] == benchmark_table.columns(answer)
    sac = dict(zip(rows[0], rows[3], strict=True))
    assert float(sac["iqm"]) == answer["methods"][2]["iqm"]["value"]  # full precision
    assert float(sac["p_improvement"]) == answer["methods"][2]["p_improvement"]
    markdown = benchmark_table.to_markdown(answer).splitlines()
    assert markdown[0].startswith("| Method | Tasks | Mean | Median | IQM | Optimality gap |")
    assert markdown[4].count("**") == 10  # SAC: five cells in bold
    # The tab's CSV export has the same columns (frontend/views/benchmark.js).
    node = shutil.which("node")
    assert node, "node is not installed (node >= 20 runs the front end's modules)"
    (tmp_path / "answer.json").write_text(json.dumps(answer))
    script = (
        "import { readFileSync } from 'node:fs';"
        "import { benchmarkCsv } from './frontend/views/benchmark.js';"
        f"process.stdout.write(benchmarkCsv(JSON.parse(readFileSync({json.dumps(str(tmp_path / 'answer.json'))}))));"
    )
    done = subprocess.run(
        [node, "--input-type=module", "-e", script],
        cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    tab = list(csv.reader(io.StringIO(done.stdout)))
    assert tab[0] == rows[0]
    assert [r[0] for r in tab[1:]] == [r[0] for r in rows[1:]]
    assert [float(r[10]) for r in tab[1:]] == [float(r[10]) for r in rows[1:]]  # iqm


@pytest.mark.slow
def test_hostile_values_never_cost_a_5xx_or_a_slow_answer(sb3):
    import time
    import urllib.parse

    from test_hostile import HOSTILE

    root, scores = sb3
    base = {"task": "env", "by": BY, "metric": TAG, "reps": "50", "baseline": "PPO"}
    slowest = (0.0, None)
    with serving(root, "python", len(scores)) as served:
        for arg in (*base, "normalize", "seed", "ci_level", "where", "regex", "split"):
            for value in HOSTILE:
                pairs = [*((k, v) for k, v in base.items() if k != arg), (arg, value)]
                started = time.perf_counter()
                response = served.client.get(
                    "/data/plugin/rungroups/benchmark",
                    query_string=urllib.parse.urlencode(pairs, errors="surrogatepass"),
                )
                took = time.perf_counter() - started
                assert response.status_code in (200, 400, 404), (arg, value[:80], response)
                if response.status_code != 200:
                    text = response.get_data(as_text=True)
                    assert "Traceback" not in text and len(text) < 2000, (arg, text[:300])
                slowest = max(slowest, (took, (arg, value[:40])), key=lambda t: t[0])
    assert slowest[0] < 2.0, slowest
