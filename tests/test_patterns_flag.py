"""User run-name patterns through a real tensorboard process's start-up."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import TensorBoardProcess, scalar_event, write_events


def _start_tensorboard(logdir, *args):
    """Runs tensorboard until it either fails start-up or serves; returns the result."""
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "from tensorboard.main import run_main; run_main()",
            "--logdir",
            str(logdir),
            "--port",
            "0",
            "--host",
            "127.0.0.1",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=str(logdir),
    )


@pytest.mark.parametrize(
    ("args", "config", "named"),
    [
        (["--rungroups_pattern", "exp-(?P<experiment>[a-z]+"], None, "exp-(?P<experiment>[a-z]+"),
        (["--rungroups_pattern", "(?P<1bad>x)"], None, "(?P<1bad>x)"),
        ([], '{"patterns": ["(unclosed"]}', "(unclosed"),
        ([], "{not json", "rungroups.json"),
        ([], '{"patterns": "not-a-list"}', "rungroups.json"),
    ],
)
def test_a_bad_pattern_stops_start_up_with_one_clear_line(tmp_path, args, config, named):
    write_events(str(tmp_path / "run_a"), [scalar_event("loss", 0, 1.0)])
    if config is not None:
        (tmp_path / "rungroups.json").write_text(config)
    done = _start_tensorboard(tmp_path, *args)
    assert done.returncode != 0
    lines = [line for line in done.stderr.splitlines() if line.startswith("Error:")]
    assert len(lines) == 1, done.stderr
    assert named in lines[0]
    assert "Traceback" not in done.stderr


def test_good_patterns_add_params_and_times(tmp_path):
    write_events(str(tmp_path / "exp-alpha.s7.at20240102-030405"), [scalar_event("loss", 0, 1.0)])
    (tmp_path / "rungroups.json").write_text(
        json.dumps({"patterns": [r"at(?P<time>\d{8}-\d{6})"]}), encoding="utf-8"
    )
    tb = TensorBoardProcess(
        str(tmp_path),
        load_fast=True,
        extra_args=["--rungroups_pattern", r"exp-(?P<experiment>[a-z]+)\.s(?P<seed>\d+)"],
    )
    try:
        runs = tb.wait_for(lambda: tb.get_json("data/plugin/rungroups/runs")["runs"])
    finally:
        tb.close()
    (run,) = runs
    assert run["params"]["experiment"] == "alpha"
    assert run["params"]["seed"] == 7
    assert run["time"] == "2024-01-02T03:04:05"
