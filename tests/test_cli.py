"""`tb-rungroups`: the same groups as the backend route, and post-hoc annotation."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
import urllib.parse

import pytest
from conftest import TensorBoardProcess, scalar_event, write_events

from tb_plugin import export, writer

QUERY = {"metric": "epoch_loss", "by": "lr,bs", "regex": "^lr=", "reduction": "min"}
CLI_ARGS = ["--metric", "epoch_loss", "--by", "lr,bs", "--regex", "^lr=", "--reduction", "min"]


def tb_rungroups(*args: str) -> subprocess.CompletedProcess[str]:
    """Runs the installed console script, as a user would."""
    script = os.path.join(os.path.dirname(sys.executable), "tb-rungroups")
    return subprocess.run([script, *args], capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module", params=[False, True], ids=["python", "rust"])
def served_demo(quick_demo, request):
    """The demo served, and the route's answer once TensorBoard has read every event.

    TensorBoard lists a run before it has read all its events (the Python loader most of
    all), so an answer taken the moment the runs are listed can hold part of the points:
    the route is asked until it gives the CLI's answer (which reads every file), within
    `wait_for`'s timeout.
    """
    tb = TensorBoardProcess(quick_demo.logdir, load_fast=request.param)
    tb.wait_for(lambda: len(tb.get_json("data/plugin/rungroups/runs")["runs"]) >= 20)
    done = tb_rungroups("ls", quick_demo.logdir, *CLI_ARGS, "--format", "json")
    assert done.returncode == 0, done.stderr
    cli = json.loads(done.stdout)
    path = "data/plugin/rungroups/groups?" + urllib.parse.urlencode(QUERY)
    tb.wait_for(lambda: tb.get_json(path) == cli)
    yield quick_demo, tb.get_json(path)
    tb.close()


def test_ls_json_equals_the_backend_route(served_demo):
    demo, route = served_demo
    done = tb_rungroups("ls", demo.logdir, *CLI_ARGS, "--format", "json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == route
    # The quick demo: 2 learning rates x 1 batch size x 2 seeds.
    assert [g["size"] for g in route["groups"]] == [2, 2]
    assert all(g["stats"]["count"] == 2 for g in route["groups"])


def test_the_cli_calls_the_answer_functions_not_the_plugin():
    # One core: the CLI parses with tb_plugin.queries and answers with tb_plugin.answers,
    # never through the plugin's WSGI handlers or private names.
    import inspect

    from tb_plugin import cli

    source = inspect.getsource(cli)
    assert "answers.groups(" in source and "GroupsQuery.from_args(" in source
    assert "import plugin" not in source and "plugin._" not in source
    assert "werkzeug import test" not in source


def test_ls_table_and_csv_show_the_same_numbers(served_demo):
    demo, route = served_demo
    done = tb_rungroups("ls", demo.logdir, *CLI_ARGS, "--format", "csv")
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert len(rows) == len(route["groups"])
    block = "epoch_loss [validation, min]"
    for row, group in zip(rows, route["groups"], strict=True):
        assert [float(row["lr"]), int(row["bs"])] == group["values"]
        assert int(row["runs"]) == group["size"]
        for key in ("mean", "std", "min", "median", "max", "iqm", "sem"):
            assert float(row[f"{block} {key}"]) == pytest.approx(group["stats"][key], rel=1e-12)
        assert float(row[f"{block} ci_low (95% CI, Student t)"]) == pytest.approx(
            group["stats"]["ci_low"], rel=1e-12
        )
        assert row[f"{block} best_run"] == group["stats"]["best_run"]
    table = tb_rungroups("ls", demo.logdir, *CLI_ARGS)
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0].split()[:3] == ["lr", "bs", "runs"]
    for group in route["groups"]:
        stats = group["stats"]
        mean, spread, n = export.paper_cell(stats, "t")
        assert any(
            f"{mean} {spread} ({n})" in line and stats["best_run"] in line for line in lines
        ), (mean, spread, lines)
    assert lines[-1].startswith("4 trials in 2 groups; epoch_loss (validation, min;")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ls", "/no/such/dir"], "no such directory"),
        (["ls", "{empty}"], "no TensorBoard runs"),
        (["ls", "{logdir}", "--by", "nonexistent_field"], "nonexistent_field"),
        (["ls", "{logdir}", "--metric", "no_such_tag"], "no_such_tag"),
        (["ls", "{logdir}", "--reduction", "mean"], "reduction"),
        (["ls", "{logdir}", "--regex", "(unclosed"], "regex"),
        (["ls", "{logdir}", "--pattern", "(?P<x"], "pattern"),
        (["annotate", "/no/such/run", "--note", "x"], "no such run directory"),
        (["annotate", "{run}"], "nothing to add"),
        (["annotate", "{run}", "--status", "done"], "--status"),
    ],
)
def test_bad_input_gives_one_line_and_nonzero_exit(tmp_path, args, message):
    logdir = tmp_path / "logs"
    write_events(str(logdir / "lr=0.1" / "train"), [scalar_event("epoch_loss", 0, 1.0)])
    (tmp_path / "empty").mkdir()
    run = logdir / "lr=0.1"
    before = sorted(p.name for p in run.iterdir())
    args = [a.format(logdir=logdir, empty=tmp_path / "empty", run=run) for a in args]
    done = tb_rungroups(*args)
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("tb-rungroups: error:")
    assert message in lines[0]
    assert done.stdout == ""
    assert sorted(p.name for p in run.iterdir()) == before  # nothing written


def test_annotate_then_backend_shows_it_after_reload(quick_demo, tmp_path):
    logdir = tmp_path / "logs"
    shutil.copytree(quick_demo.logdir, logdir)
    run_dir = sorted(p for p in logdir.glob("*/run_*") if p.is_dir())[0]
    run = os.path.relpath(run_dir, logdir)
    before = writer.read_run_metadata(run_dir)
    assert before["status"] == "finished"
    tb = TensorBoardProcess(str(logdir), load_fast=True)
    try:
        tb.wait_for(lambda: tb.get_json("data/plugin/rungroups/runs")["runs"])
        done = tb_rungroups(
            "annotate",
            str(run_dir),
            *("--note", "looks overfit", "--tag", "check", "--tag", "paper"),
            *("--status", "failed"),
        )
        assert done.returncode == 0, done.stderr
        query = urllib.parse.urlencode({"run": run})

        def annotated():
            got = tb.get_json(f"data/plugin/rungroups/metadata?{query}")
            return got if got.get("status") == "failed" else None

        got = tb.wait_for(annotated)
    finally:
        tb.close()
    # The note is appended to the run's notes on a line of its own.
    assert got["notes"] == (before["notes"] + "\n" if before.get("notes") else "") + "looks overfit"
    assert got["tags"] == [*before.get("tags", []), "check", "paper"]
    assert got["hparams"] == before["hparams"]  # nothing the run held is lost
    assert got["metrics"] == before["metrics"]
