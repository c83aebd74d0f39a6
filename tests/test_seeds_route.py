"""`/groups`' seeds planner, paired seeds, bad seeds and live groups (SPEC §5c) on
TensorBoard's real WSGI app and a real `tensorboard` process, checked against scipy."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest
from conftest import make_wsgi_app, scalar_event, write_events, write_scalars
from scipy import stats
from statsmodels.stats.power import TTestIndPower
from werkzeug import test as werkzeug_test

from tb_plugin import cli, seeds, writer

PREFIX = "/data/plugin/rungroups"
STEPS = 100

# Baseline method=a: seeds 1-3 fine, seed 4 NaN, seed 5 stopped at 20% of the steps,
# seed 6 an outlier. method=b: seeds 1-3 and seed 7 (which a lacks). method=c: seeds 10, 11.
A = {1: 0.80, 2: 0.82, 3: 0.79, 4: math.nan, 5: 0.81, 6: 0.20}
B = {1: 0.84, 2: 0.87, 3: 0.80, 7: 0.85}
C = {10: 0.70, 11: 0.74}


def _curve(final: float, steps: int = STEPS) -> list[float]:
    return [final * (i + 1) / steps for i in range(steps - 1)] + [final]


@pytest.fixture(scope="module")
def logdir(tmp_path_factory):
    root = tmp_path_factory.mktemp("seeds")
    for method, finals in (("a", A), ("b", B), ("c", C)):
        for seed, final in finals.items():
            steps = STEPS // 5 if (method, seed) == ("a", 5) else STEPS
            write_scalars(
                str(root / f"method={method}" / f"seed={seed}"), "accuracy", _curve(final, steps)
            )
    return root


@pytest.fixture(scope="module")
def client(logdir):
    return werkzeug_test.Client(make_wsgi_app(str(logdir)))


def _groups(client, status=200, **args):
    response = client.get(f"{PREFIX}/groups", query_string={"metric": "accuracy", **args})
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json() if status == 200 else response.get_data(as_text=True)


def _by_key(answer):
    return {g["values"][0]: g for g in answer["groups"]}


def _member(group, seed):
    return next(m for m in group["members"] if m["trial"].endswith(f"seed={seed}"))


def test_bad_seeds_flagged_with_reasons_and_included_by_default(client):
    answer = _groups(client)
    a = _by_key(answer)["a"]
    kinds = {m["trial"].rsplit("=", 1)[1]: [f["kind"] for f in m["flags"]] for m in a["members"]}
    assert kinds == {
        "1": [],
        "2": [],
        "3": [],
        "4": ["nonfinite"],
        "5": ["short"],
        "6": ["outlier"],
    }
    assert _member(a, 4)["flags"][0]["reason"] == "value is NaN"
    assert _member(a, 5)["flags"][0]["reason"] == (
        "last step 19 is under half the group's median last step 99"
    )
    assert _member(a, 6)["flags"][0]["reason"].startswith("modified z-score -")
    assert all(f["metric"] == "accuracy" for m in a["members"] for f in m["flags"])
    assert all(m["excluded"] == [] for m in a["members"])
    # Included: the outlier and the short run count (NaN never does: nan_count).
    finite = [A[s] for s in (1, 2, 3, 5, 6)]
    assert a["stats"]["count"] == 5 and a["stats"]["nan_count"] == 1
    assert a["stats"]["mean"] == pytest.approx(np.mean(finite))
    assert a["excluded"] == 0 and answer["excluded"] == {"kinds": [], "count": 0, "by_kind": {}}


def test_exclude_flagged_leaves_them_out_and_says_so(client, logdir):
    answer = _groups(client, exclude="flagged", baseline="method=b")
    a = _by_key(answer)["a"]
    assert a["stats"]["count"] == 3 and a["stats"]["nan_count"] == 0
    kept = [A[s] for s in (1, 2, 3)]
    assert a["stats"]["mean"] == pytest.approx(np.mean(kept))
    low, high = stats.t.interval(0.95, 2, loc=np.mean(kept), scale=stats.sem(kept))
    assert (a["stats"]["ci_low"], a["stats"]["ci_high"]) == pytest.approx((low, high))
    assert a["excluded"] == 3
    assert _member(a, 6)["excluded"] == ["outlier"] and _member(a, 6)["value"] == pytest.approx(
        0.20
    )
    assert answer["excluded"] == {
        "kinds": ["nonfinite", "short", "outlier"],
        "count": 3,
        "by_kind": {"nonfinite": 1, "short": 1, "outlier": 1},
    }
    welch = stats.ttest_ind(kept, list(B.values()), equal_var=False)
    assert a["compare"]["p_value"] == pytest.approx(welch.pvalue)
    # One kind only.
    only = _by_key(_groups(client, exclude="outlier"))["a"]
    assert only["excluded"] == 1 and only["stats"]["count"] == 4
    # The LaTeX and Markdown captions (the route and the CLI) count them and say why.
    words = (
        "3 runs excluded (1 nonfinite: NaN or infinite value; 1 short: stopped before half "
        "its group's median last step; 1 outlier: modified z-score over 3.5)"
    )
    latex = client.get(
        f"{PREFIX}/export",
        query_string={"metric": "accuracy", "exclude": "flagged", "format": "latex"},
    ).get_data(as_text=True)
    caption = next(line for line in latex.splitlines() if "caption" in line)
    assert "3 runs excluded (1 nonfinite: NaN or infinite value; 1 short" in caption
    assert "(n=3)" in latex
    markdown = cli.ls(str(logdir), metric="accuracy", exclude="flagged", fmt="markdown")
    assert words in markdown
    csv_text = cli.ls(str(logdir), metric="accuracy", exclude="flagged", fmt="csv")
    assert csv_text.splitlines()[0].endswith("finished,running,provisional,excluded")


def test_power_and_seeds_needed_per_comparison(client):
    answer = _groups(client, baseline="method=b")
    b = list(B.values())
    a_values = [A[s] for s in (1, 2, 3, 5, 6)]  # NaN left out, as the Welch test does
    compare = _by_key(answer)["a"]["compare"]
    sd, sd_b = np.std(a_values, ddof=1), np.std(b, ddof=1)
    delta = np.mean(a_values) - np.mean(b)
    assert compare["power"] == pytest.approx(float(seeds.welch_power(delta, sd, 5, sd_b, 4)))
    # With equal variances the planner is statsmodels' TTestIndPower; here the rms sd.
    d = abs(delta) / math.sqrt((sd**2 + sd_b**2) / 2)
    assert compare["effect_size"] == pytest.approx(d)
    n = compare["seeds_needed"]
    assert n == seeds.seeds_needed(delta, sd, sd_b)[0]
    assert n >= math.ceil(TTestIndPower().solve_power(d, power=0.8, alpha=0.05)) - 1
    assert compare["power_note"].endswith(
        f"about {n} seeds per group would detect a difference this size 80% of the time"
    )
    c = _by_key(answer)["c"]["compare"]
    assert c["power_note"].startswith("n=2 (baseline 4): fewer than 3 runs on a side")
    # alpha, power and mde are in the memo key: a new answer for each.
    other = _by_key(_groups(client, baseline="method=b", alpha="0.01", power="0.9", mde="0.05"))
    oc = other["a"]["compare"]
    assert oc["alpha"] == 0.01 and oc["target_power"] == 0.9 and oc["difference"] == 0.05
    assert oc["seeds_needed"] == seeds.seeds_needed(0.05, sd, sd_b, 0.01, 0.9)[0]
    assert oc["power"] == pytest.approx(float(seeds.welch_power(0.05, sd, 5, sd_b, 4, 0.01)))
    assert _by_key(_groups(client, baseline="method=b"))["a"]["compare"]["alpha"] == 0.05


def test_paired_by_seed_matches_scipy(client):
    answer = _groups(client, baseline="method=a", paired="true")
    assert answer["paired"] is True
    compare = _by_key(answer)["b"]["compare"]
    assert compare["n_pairs"] == 3
    assert [p["seed"] for p in compare["pairs"]] == [1, 2, 3]
    # The values as stored (float32 in the event file), for scipy.
    x = [p["value"] for p in compare["pairs"]]
    y = [p["baseline_value"] for p in compare["pairs"]]
    assert x == pytest.approx([B[s] for s in (1, 2, 3)]) and y == pytest.approx([A[1], A[2], A[3]])
    assert [p["difference"] for p in compare["pairs"]] == pytest.approx(np.subtract(x, y))
    ref = stats.ttest_rel(x, y)
    assert compare["paired_p"] == pytest.approx(ref.pvalue)
    ci = ref.confidence_interval(0.95)
    assert (compare["paired_ci_low"], compare["paired_ci_high"]) == pytest.approx((ci.low, ci.high))
    assert compare["wilcoxon_p"] == pytest.approx(stats.wilcoxon(x, y, method="exact").pvalue)
    unpaired = {(u["side"], u["seed"]): u for u in compare["unpaired_runs"]}
    assert sorted(unpaired) == [("baseline", 4), ("baseline", 5), ("baseline", 6), ("group", 7)]
    assert unpaired[("group", 7)]["run"] == "method=b/seed=7"
    assert unpaired[("group", 7)]["reason"] == "no run of the baseline has this seed"
    # The unpaired keys are still there.
    assert compare["p_value"] is not None and compare["power"] is not None


def test_paired_with_no_shared_seed_is_a_400(client):
    # c (seeds 10, 11) against a and b (seeds 1-7): no seed in common.
    text = _groups(client, 400, baseline="method=c", paired="true")
    assert "no run of any group shares a seed value" in text and "nothing to pair" in text
    assert "needs a baseline" in _groups(client, 400, paired="true")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"exclude": "weird"}, "unknown kind 'weird'"),
        ({"alpha": "0"}, "argument 'alpha' must be between"),
        ({"power": "1"}, "argument 'power' must be between"),
        ({"mde": "-1"}, "argument 'mde' must be a positive number, got"),
        ({"mde": "inf"}, "argument 'mde' must be a positive number, got"),
        ({"halfwidth": "x"}, "argument 'halfwidth' must be a positive number, got"),
        ({"paired": "maybe"}, "argument 'paired' must be true or false"),
    ],
)
def test_bad_seed_arguments_are_400(client, args, message):
    assert message in _groups(client, 400, **args)


def test_halfwidth_plan_per_group(client):
    answer = _groups(client, halfwidth="0.01")
    b = _by_key(answer)["b"]
    plan = b["metrics"][0]["halfwidth_plan"]
    sd = np.std(list(B.values()), ddof=1)
    n = plan["seeds_needed"]
    half = lambda m: stats.t.ppf(0.975, m - 1) * sd / math.sqrt(m)  # noqa: E731
    assert half(n) <= 0.01 < half(n - 1)
    assert plan["note"] == f"n=4: about {n} seeds would give a 95% interval of ± 0.01"


@pytest.mark.parametrize("load_fast", [False, True])
def test_live_group_provisional_then_final(tmp_path, tensorboard_process, load_fast):
    # A real tensorboard; a trial still writing with status running (the project's writer).
    for seed in (1, 2):
        write_scalars(str(tmp_path / "logs" / "method=x" / f"seed={seed}"), "accuracy", _curve(0.8))
        writer.write_run_metadata(
            str(tmp_path / "logs" / "method=x" / f"seed={seed}"), {"status": "finished"}
        )
    live = str(tmp_path / "logs" / "method=x" / "seed=3")
    write_events(live, [scalar_event("accuracy", i, 0.1 * i) for i in range(3)])
    writer.write_run_metadata(live, {"status": "running"})
    tb = tensorboard_process(tmp_path / "logs", load_fast=load_fast)
    path = "data/plugin/rungroups/groups?metric=accuracy&by=method&stale_after=3600"

    def group():
        answer = tb.get_json(path)
        return answer if answer["groups"] and answer["groups"][0]["size"] == 3 else None

    answer = tb.wait_for(group)
    g = answer["groups"][0]
    assert (g["finished"], g["running"], g["provisional"]) == (2, 1, True)
    assert answer["provisional"] is True
    # Steps appended while serving: the group's numbers move and stay provisional.
    write_events(live, [scalar_event("accuracy", i, 0.5) for i in range(3, 6)])

    def moved():
        answer = tb.get_json(path)
        return any(m["value"] == 0.5 for m in answer["groups"][0]["members"]) and answer

    answer = tb.wait_for(moved)
    assert answer["groups"][0]["provisional"] is True
    latex = tb.get(
        "data/plugin/rungroups/export?metric=accuracy&by=method&stale_after=3600&format=latex"
    )[2]
    assert b"provisional: 1 of 3 runs still running (2/3 finished in" in latex
    # The run ends: status finished, written by the project's writer.
    write_events(live, [scalar_event("accuracy", 6, 0.79, wall_time=time.time())])
    writer.write_run_metadata(live, {"status": "finished"})
    answer = tb.wait_for(lambda: (a := tb.get_json(path))["groups"][0]["running"] == 0 and a)
    g = answer["groups"][0]
    assert (g["finished"], g["running"], g["provisional"]) == (3, 0, False)
    assert answer["provisional"] is False
    assert g["stats"]["mean"] == pytest.approx(np.mean([0.8, 0.8, 0.79]))
    latex = tb.get(
        "data/plugin/rungroups/export?metric=accuracy&by=method&stale_after=3600&format=latex"
    )[2]
    assert b"provisional" not in latex


def test_the_memoised_first_view_answer_keys_on_the_new_arguments(client):
    # /groups with table curves is memoised per view (answers.groups_encoded): each of the
    # new arguments must make its own answer, never another's.
    base = {"baseline": "method=b", "chart_groups": "2", "sparklines": "3"}
    answers = {
        name: _groups(client, **base, **extra)
        for name, extra in {
            "plain": {},
            "alpha": {"alpha": "0.01"},
            "power": {"power": "0.95"},
            "mde": {"mde": "0.3"},
            "exclude": {"exclude": "flagged"},
            "paired": {"paired": "true"},
            "halfwidth": {"halfwidth": "0.5"},
        }.items()
    }
    compare = {name: _by_key(a)["a"]["compare"] for name, a in answers.items()}
    assert compare["alpha"]["alpha"] == 0.01 != compare["plain"]["alpha"]
    assert compare["power"]["target_power"] == 0.95 != compare["plain"]["target_power"]
    assert compare["mde"]["difference"] == 0.3
    assert compare["exclude"]["n"] == 3 != compare["plain"]["n"]
    assert "pairs" in compare["paired"] and "pairs" not in compare["plain"]
    assert "halfwidth_plan" in _by_key(answers["halfwidth"])["a"]["metrics"][0]
    assert "halfwidth_plan" not in _by_key(answers["plain"])["a"]["metrics"][0]
    assert _groups(client, **base) == answers["plain"]  # and the memo still answers the same


def test_cli_ls_power_paired_exclude(logdir, capsys):
    code = cli.main(
        [
            "ls",
            str(logdir),
            "--metric",
            "accuracy",
            "--baseline",
            "method=a",
            "--power",
            "--paired",
            "--exclude",
            "outlier",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    lines = out.splitlines()
    assert "1 run excluded (1 outlier: modified z-score over 3.5)" in out
    assert any(
        line.startswith("flagged method=a/seed=6 [excluded]: outlier: modified z-score")
        for line in lines
    )
    assert "flagged method=a/seed=4: nonfinite: value is NaN" in lines
    answer = cli._ask_groups(
        str(logdir),
        [
            ("metric", "accuracy"),
            ("baseline", "method=a"),
            ("paired", "true"),
            ("exclude", "outlier"),
        ],
        [],
    )
    b = _by_key(answer)["b"]["compare"]
    assert f"param.method=b vs param.method=a: {b['power_note']}" in lines
    assert any(
        line.startswith("param.method=b vs ") and ", paired by seed: 3 pairs" in line
        for line in lines
    )
    assert "  unpaired method=b/seed=7 (group): no run of the baseline has this seed" in lines
    # --mde/--alpha/--target-power reach the planner; JSON is the route's.
    text = cli.ls(
        str(logdir),
        metric="accuracy",
        baseline="method=a",
        mde=0.1,
        alpha=0.01,
        target_power=0.9,
        fmt="json",
    )
    assert '"target_power":0.9' in text and '"alpha":0.01' in text and '"difference":0.1' in text
    assert cli.main(["ls", str(logdir), "--metric", "accuracy", "--exclude", "nope"]) == 2
    assert "unknown kind 'nope'" in capsys.readouterr().err


def test_paired_with_seeds_on_several_runs_of_a_group_is_a_400_that_says_why(tmp_path):
    # Two optimisers inside each lr group: seed 1 names two runs of a group, no single partner.
    for lr in ("0.1", "0.01"):
        for opt in ("adam", "sgd"):
            for seed in (1, 2):
                write_scalars(
                    str(tmp_path / f"lr={lr},opt={opt}" / f"seed={seed}"), "accuracy", [0.5]
                )
    client = werkzeug_test.Client(make_wsgi_app(str(tmp_path)))
    text = _groups(client, 400, by="lr", baseline="lr=0.1", paired="true")
    assert "each is on several runs of a group" in text
    answer = _groups(client, by="lr,opt", baseline="lr=0.1,opt=adam", paired="true")
    assert {g["label"]: g["compare"] and g["compare"]["n_pairs"] for g in answer["groups"]} == {
        "param.lr=0.01, param.opt=adam": 2,
        "param.lr=0.01, param.opt=sgd": 2,
        "param.lr=0.1, param.opt=adam": None,
        "param.lr=0.1, param.opt=sgd": 2,
    }
