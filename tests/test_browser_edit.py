"""Issue 28: editing notes, tags and status from the tab, in headless Chromium.

A real `tensorboard --rungroups_allow_edit` over a Keras-like grid (lr x seed,
``<trial>/train`` and ``<trial>/validation``, most trials annotated at their
root as the Keras callback does, one not): a person tags every run of a group
from its row and appends a note to one run from the run panel, while a real
`tb-rungroups annotate` keeps writing to that same run. Both writes are in
`/metadata` and `/runs`, in `tb-rungroups ls`, and in the tab after a reload;
Undo reverses the tab's last change and nothing the CLI wrote. With the flag
off, the tab shows no edit control. (Cross-site POSTs from another origin in
real Chromium: `test_browser_edit_csrf.py`; without a browser: `test_edit_route.py`.)
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import urllib.parse

import pytest
from conftest import open_run_groups, write_scalars

from tb_plugin import writer

pytestmark = pytest.mark.slow

PREFIX = "data/plugin/rungroups"
HOSTILE = "<img src=x onerror=alert(1)>"
# lr=0.3/seed_3 is not annotated: its own directory is no run, so the tab writes its first run.
TRIALS = ("lr=0.1/seed_1", "lr=0.1/seed_2", "lr=0.3/seed_1", "lr=0.3/seed_2", "lr=0.3/seed_3")
PLAIN = "lr=0.3/seed_3"
NOTED = "lr=0.1/seed_1"


def _logdir(tmp_path) -> str:
    logs = tmp_path / "logs"
    for trial in TRIALS:
        lr = float(trial.split("=")[1].split("/")[0])
        for split in ("train", "validation"):
            write_scalars(str(logs / trial / split), "epoch_loss", [1.0, 1.0 - lr, 0.5 - lr])
        if trial != PLAIN:
            writer.annotate_run(logs / trial, tags=["grid"], status="running")
    return str(logs)


def _metadata(tb, run: str) -> dict:
    return tb.get_json(f"{PREFIX}/metadata?" + urllib.parse.urlencode({"run": run}))


def _trial_metadata(tb) -> dict[str, dict]:
    return {t["trial"]: t["metadata"] for t in tb.get_json(f"{PREFIX}/runs")["trials"]}


def _ls_tags(logdir: str) -> dict[str, list[str]]:
    """`tb-rungroups ls --by tags --format json`: each trial's tags, as the CLI groups them."""
    script = os.path.join(os.path.dirname(sys.executable), "tb-rungroups")
    done = subprocess.run(
        [script, "ls", logdir, "--by", "tags", "--metric", "epoch_loss", "--format", "json"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    out = {}
    for group in json.loads(done.stdout)["groups"]:
        tags = [t for t in str(group["values"][0]).split(", ") if t]
        for member in group["members"]:
            out[member["trial"]] = tags
    return out


class _Annotator(threading.Thread):
    """Runs the real `tb-rungroups annotate` on one run again and again until stopped."""

    def __init__(self, run_dir: str):
        super().__init__(daemon=True)
        self.run_dir = run_dir
        self.done = 0
        self.errors: list[str] = []
        self.stop = threading.Event()
        self.first = threading.Event()

    def run(self):
        script = os.path.join(os.path.dirname(sys.executable), "tb-rungroups")
        while not self.stop.is_set() and self.done < 40:
            i = self.done
            got = subprocess.run(
                [script, "annotate", self.run_dir, "--tag", f"cli{i}", "--note", f"cli note {i}"],
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
            if got.returncode:
                self.errors.append(got.stderr)
                return
            self.done += 1
            self.first.set()


def _group_row(frame, lr: str):
    value = frame.locator(".rg-group-value", has_text=re.compile(f"^{re.escape(lr)}$"))
    return frame.locator(".rg-group-row").filter(has=value)


def _said(frame, text: str):
    frame.locator(".rg-edit-bar .rg-edit-message", has_text=text).wait_for(timeout=60_000)


def _open_run(frame, lr: str, trial: str):
    row = _group_row(frame, lr)
    if row.get_attribute("class") and "rg-expanded" not in row.get_attribute("class"):
        row.locator(".rg-toggle").click()
    frame.locator(
        ".rg-member-row .rg-run-name", has_text=re.compile(f"^{re.escape(trial)}$")
    ).click()
    panel = frame.locator(".rg-panel")
    panel.locator(".rg-edit-run").wait_for(timeout=60_000)
    return panel


@pytest.mark.parametrize("load_fast", [False, True], ids=["python", "rust"])
def test_tag_a_group_and_note_a_run_from_the_tab_undo_and_a_concurrent_cli(
    tmp_path, tensorboard_process, page, load_fast
):
    logdir = _logdir(tmp_path)
    tb = tensorboard_process(logdir, load_fast, ["--rungroups_allow_edit"])
    tb.wait_for(lambda: len(tb.get_json(f"{PREFIX}/runs")["trials"]) == len(TRIALS))
    cli = _Annotator(os.path.join(logdir, NOTED))
    cli.start()
    try:
        assert cli.first.wait(120), cli.errors
        frame = open_run_groups(page, tb)
        # Every group row gets "tag all" / "note all" once /edit allowed them.
        _group_row(frame, "0.3").locator(".rg-edit-group-tag").wait_for(timeout=60_000)
        assert frame.locator(".rg-group-row .rg-edit-group").count() == 2

        # A note on one run, from its panel (hostile text stays text).
        panel = _open_run(frame, "0.1", NOTED)
        panel.locator(".rg-edit-note-input").fill(f"looked fine {HOSTILE}")
        panel.locator(".rg-edit-add-note").click()
        _said(frame, "Note added")
        # A tag on every run of the lr=0.3 group, from its row.
        _group_row(frame, "0.3").locator(".rg-edit-group-tag").click()
        dialog = frame.locator(".rg-edit-dialog")
        assert (
            dialog.locator(".rg-edit-dialog-title").inner_text() == "Tag all 3 runs of param.lr=0.3"
        )
        dialog.locator(".rg-edit-dialog-input").fill("sweep-a")
        dialog.locator(".rg-edit-dialog-ok").click()
        _said(frame, "Tag “sweep-a” added to 3 runs")

        for trial in ("lr=0.3/seed_1", "lr=0.3/seed_2"):
            assert _metadata(tb, trial)["tags"] == ["grid", "sweep-a"], trial
        assert _metadata(tb, f"{PLAIN}/train")["tags"] == ["sweep-a"]
        assert "sweep-a" not in _metadata(tb, NOTED)["tags"]
        assert f"looked fine {HOSTILE}" in _metadata(tb, NOTED)["notes"].split("\n")
        trials = _trial_metadata(tb)
        assert trials[PLAIN]["tags"] == ["sweep-a"]
        assert f"looked fine {HOSTILE}" in trials[NOTED]["notes"].split("\n")
        ls = _ls_tags(logdir)
        assert [t for t in TRIALS if "sweep-a" in ls[t]] == [
            "lr=0.3/seed_1",
            "lr=0.3/seed_2",
            PLAIN,
        ]

        # After a reload the tab shows both.
        page.reload()
        frame = open_run_groups(page, tb)
        panel = _open_run(frame, "0.1", NOTED)
        notes = panel.locator(
            ".rg-metadata tr", has=frame.locator("th", has_text=re.compile("^notes$"))
        )
        assert f"looked fine {HOSTILE}" in notes.locator("td").inner_text()
        assert panel.locator("img").count() == 0
        panel = _open_run(frame, "0.3", "lr=0.3/seed_2")
        chips = panel.locator(".rg-edit-tag-text").all_inner_texts()
        assert chips == ["grid", "sweep-a"]

        # Tag the lr=0.1 group (the CLI's run among them), then Undo: the tag goes, nothing else.
        _group_row(frame, "0.1").locator(".rg-edit-group-tag").click()
        frame.locator(".rg-edit-dialog-input").fill("sweep-b")
        frame.locator(".rg-edit-dialog-ok").click()
        _said(frame, "Tag “sweep-b” added to 2 runs")
        assert all(
            "sweep-b" in _metadata(tb, t)["tags"] for t in ("lr=0.1/seed_1", "lr=0.1/seed_2")
        )
        frame.locator(".rg-edit-bar .rg-edit-undo").click()
        _said(frame, "Undone")
        assert frame.locator(".rg-edit-bar .rg-edit-undo").count() == 0
    finally:
        cli.stop.set()
        cli.join(300)
    assert not cli.errors, cli.errors
    assert cli.done >= 2, cli.done
    for trial in ("lr=0.1/seed_1", "lr=0.1/seed_2"):
        assert "sweep-b" not in _metadata(tb, trial)["tags"], trial
    ls = _ls_tags(logdir)
    assert not any("sweep-b" in tags for tags in ls.values())
    # Nothing the CLI wrote meanwhile is lost, nor the tab's note.
    got = writer.read_run_metadata(os.path.join(logdir, NOTED))
    assert set(got["tags"]) == {"grid"} | {f"cli{i}" for i in range(cli.done)}
    notes = got["notes"].split("\n")
    assert set(notes) == {f"cli note {i}" for i in range(cli.done)} | {f"looked fine {HOSTILE}"}
    assert tb.wait_for(lambda: _metadata(tb, NOTED) == got)
    assert set(ls[NOTED]) == set(got["tags"])
    assert not page.dialogs and not page.console_errors, (page.dialogs, page.console_errors)


@pytest.mark.parametrize("load_fast", [False, True], ids=["python", "rust"])
def test_with_the_flag_off_the_tab_shows_no_edit_control(
    tmp_path, tensorboard_process, page, load_fast
):
    logdir = _logdir(tmp_path)
    tb = tensorboard_process(logdir, load_fast)
    tb.wait_for(lambda: len(tb.get_json(f"{PREFIX}/runs")["trials"]) == len(TRIALS))
    with page.expect_response(lambda r: r.url.endswith(f"{PREFIX}/edit"), timeout=60_000) as got:
        frame = open_run_groups(page, tb)
    assert got.value.json() == {"allowed": False, "token": None}
    _group_row(frame, "0.3").wait_for(timeout=60_000)
    row = _group_row(frame, "0.1")
    row.locator(".rg-toggle").click()
    frame.locator(
        ".rg-member-row .rg-run-name", has_text=re.compile(f"^{re.escape(NOTED)}$")
    ).click()
    frame.locator(".rg-panel .rg-panel-section").first.wait_for(timeout=60_000)
    for selector in (".rg-edit-group", ".rg-edit-run", ".rg-edit-input", ".rg-edit-status"):
        assert frame.locator(selector).count() == 0, selector
    assert frame.locator(".rg-edit-bar").is_hidden()
    assert frame.locator(".rg-edit-dialog").is_hidden()
