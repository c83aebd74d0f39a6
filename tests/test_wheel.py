"""The built wheel installs beside TensorBoard alone (no TensorFlow) and works."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile

import pytest
from conftest import REPO, TensorBoardProcess

FRONTEND = os.path.join(REPO, "frontend")


def frontend_files() -> list[str]:
    """Every module, stylesheet and vendored file the tab needs (its tests excluded)."""
    found = []
    for directory, subdirs, names in os.walk(FRONTEND):
        subdirs[:] = [d for d in subdirs if d not in ("tests", "__pycache__")]
        for name in names:
            if name.endswith((".js", ".css")) or "vendor" in directory:
                found.append(os.path.relpath(os.path.join(directory, name), FRONTEND))
    return sorted(found)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(out), REPO],
        check=True,
        capture_output=True,
    )
    (path,) = out.glob("tensorboard_plugin_rungroups-*.whl")
    return path


def test_wheel_contains_the_frontend_and_entry_point(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = frontend_files()
    assert {"index.js", "style.css", "vendor/uplot/uPlot.esm.js", "vendor/uplot/LICENSE"} <= set(
        expected
    )
    for name in expected:
        assert f"tb_plugin/static/{name}" in names
    assert not any(n.startswith("tb_plugin/static/tests/") for n in names)
    assert "tb_plugin/http_api.md" in names
    assert not any(n.startswith(("tests/", "frontend/", "demo/")) for n in names)
    (entry_points,) = [n for n in names if n.endswith("entry_points.txt")]
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "[tensorboard_plugins]" in text
    assert "rungroups = tb_plugin.plugin:RunGroupsLoader" in text


def test_fresh_venv_without_tensorflow(wheel, tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = str(venv / "bin" / "python")
    subprocess.run(
        [python, "-m", "pip", "install", "-q", str(wheel), "tensorboard"],
        check=True,
        capture_output=True,
    )
    # Only the wheel, TensorBoard and their dependencies: no TensorFlow.
    probe = subprocess.run(
        [python, "-c", "import importlib.util as u; print(u.find_spec('tensorflow') is None)"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert probe.stdout.strip() == "True"
    logdir = tmp_path / "logs"
    subprocess.run(
        [
            python,
            "-c",
            "import sys; from tb_plugin import writer; "
            # A run TensorBoard lists (annotations alone, in state files, make no run).
            "from tensorboard.compat.proto import event_pb2; "
            "from tensorboard.summary.writer.event_file_writer import EventFileWriter; "
            "w = EventFileWriter(sys.argv[1]); ev = event_pb2.Event(wall_time=1.7e9, step=0); "
            "ev.summary.value.add(tag='loss', simple_value=1.0); w.add_event(ev); w.close(); "
            "writer.write_run_metadata(sys.argv[1], {'notes': 'written without TensorFlow'}); "
            "assert 'tensorflow' not in sys.modules",
            str(logdir / "run_a"),
        ],
        check=True,
        cwd=str(tmp_path),  # not the repo: import the installed package
    )
    for load_fast in (False, True):
        tb = TensorBoardProcess(str(logdir), load_fast=load_fast, python=python)
        try:
            listing = tb.wait_for(lambda tb=tb: tb.get_json("data/plugins_listing"))
            assert listing["rungroups"]["tab_name"] == "Run Groups"
            module = listing["rungroups"]["loading_mechanism"]["module_path"]
            status, headers, body = tb.get(module)
            assert status == 200 and b"render" in body
            assert tb.wait_for(
                lambda tb=tb: tb.get_json("data/plugin/rungroups/runs")["runs"][0]["metadata"]
            ) == {"notes": "written without TensorFlow"}
            assert tb.wait_for(
                lambda tb=tb: tb.get_json("data/plugins_listing")["rungroups"]["enabled"]
            )
        finally:
            tb.close()
