"""SPEC §4b rule 9: linked copies of a run (W&B ``sync_tensorboard``) are one run.

Real event files, real symbolic links, the real TensorBoardWSGI app under both loaders
(both list a linked copy as a run of its own: they follow links to files and directories).
"""

from __future__ import annotations

import os
import shutil
import threading

import numpy as np
import pytest
from backend_fixtures import App
from test_layout_corpus import events, last_value, scalar

from tb_plugin import cli, links

REAL = "runs/lr=0.1,seed=1"
DIR_LINK = "wandb/run-2026_x/files/runs/lr=0.1,seed=1"
LATEST = "wandb/latest-run/files/runs/lr=0.1,seed=1"
FILE_LINKS = "wandb/run-2026_y/files/runs/lr=0.1,seed=1"
COPIES = {DIR_LINK: REAL, LATEST: REAL, FILE_LINKS: REAL}


def _write(root, run: str, lr: float, seed: int) -> None:
    rng = np.random.default_rng(seed)
    events(
        root / run,
        [(s, scalar("loss", lr * 10 / (s + 1) + float(rng.normal(0, 0.05)))) for s in range(5)],
    )


def wandb_logdir(root) -> None:
    """Two seeds of lr=0.1 and one of lr=0.2, plus W&B's linked copies of the first."""
    for run, lr, seed in [
        (REAL, 0.1, 1),
        ("runs/lr=0.1,seed=2", 0.1, 2),
        ("runs/lr=0.2,seed=1", 0.2, 1),
    ]:
        _write(root, run, lr, seed)
    # A linked directory (sync_tensorboard's files/ links), and latest-run -> run-2026_x.
    (root / DIR_LINK).parent.mkdir(parents=True)
    os.symlink(root / REAL, root / DIR_LINK)
    os.symlink(root / "wandb/run-2026_x", root / "wandb/latest-run")
    # A real directory whose event files are links (what wandb's tb_watcher writes).
    (root / FILE_LINKS).mkdir(parents=True)
    for name in os.listdir(root / REAL):
        os.symlink(root / REAL / name, root / FILE_LINKS / name)


@pytest.fixture(scope="module")
def logdir(tmp_path_factory):
    root = tmp_path_factory.mktemp("wandb_links")
    wandb_logdir(root)
    return root


@pytest.fixture(scope="module", params=["python", "rust"])
def app(request, logdir):
    a = App(str(logdir), request.param)
    try:
        a.wait_for(lambda: len(a.json("/runs")["runs"]) == 6)
        yield a
    finally:
        a.close()


def test_linked_copies_add_no_trial_under_both_loaders(logdir, app):
    listed = {r["run"] for r in app.json("/runs")["runs"]}
    assert set(COPIES) <= listed  # the loaders do list them
    body = app.json("/groups", metric="loss")
    assert body["trials"] == 3
    members = sorted(m["run"] for g in body["groups"] for m in g["members"])
    assert members == sorted([REAL, "runs/lr=0.1,seed=2", "runs/lr=0.2,seed=1"])
    (group,) = [g for g in body["groups"] if g["size"] == 2]
    values = [last_value(logdir / r, "loss") for r in (REAL, "runs/lr=0.1,seed=2")]
    assert group["stats"]["count"] == 2
    assert group["stats"]["mean"] == pytest.approx(float(np.mean(values)), rel=1e-6)
    assert group["stats"]["std"] == pytest.approx(float(np.std(values, ddof=1)), rel=1e-5)


def test_runs_say_which_run_a_linked_copy_copies(app):
    reads = {r["run"]: r["read"] for r in app.json("/runs")["runs"]}
    for copy, real in COPIES.items():
        assert reads[copy]["trial"]["trial"] is None
        assert reads[copy]["trial"]["rule"] == f"layout: linked copy of {real}"
    assert reads[REAL]["trial"]["trial"] == REAL
    assert reads[REAL]["trial"]["joined"] == []


def test_ls_and_explain_read_linked_copies_the_same(logdir):
    printed = cli.ls(str(logdir), metric="loss", fmt="json")
    assert "wandb/" not in printed
    text = cli.explain(str(logdir), LATEST, patterns=(), fmt="text")
    assert f"layout: linked copy of {REAL}" in text


def test_a_true_copy_is_a_run_of_its_own(tmp_path):
    """Near miss: copied files are not the same files (it is the user's to delete)."""
    _write(tmp_path, REAL, 0.1, 1)
    shutil.copytree(tmp_path / REAL, tmp_path / DIR_LINK)
    assert links.LinkScanner(str(tmp_path)).scan([REAL, DIR_LINK]) == {}
    a = App(str(tmp_path), "python")
    try:
        a.wait_for(lambda: len(a.json("/runs")["runs"]) == 2)
        assert a.json("/groups", metric="loss")["trials"] == 2
    finally:
        a.close()


def test_the_shortest_path_that_is_not_a_link_is_kept(tmp_path):
    # The real run has the longer name; the link is shorter.
    long_real = "a/very/deep/folder/lr=0.1,seed=1"
    _write(tmp_path, long_real, 0.1, 1)
    os.symlink(tmp_path / long_real, tmp_path / "short")
    found = links.LinkScanner(str(tmp_path)).scan(["short", long_real])
    assert found == {"short": long_real}


def test_partly_linked_files_are_not_the_same_run(tmp_path):
    """Near miss: a directory with one linked event file and one of its own is another run."""
    _write(tmp_path, REAL, 0.1, 1)
    other = tmp_path / "mixed"
    other.mkdir()
    for name in os.listdir(tmp_path / REAL):
        os.symlink(tmp_path / REAL / name, other / name)
    events(other, [(9, scalar("loss", 1.0))])
    assert len([n for n in os.listdir(other) if "tfevents" in n]) == 2
    assert links.LinkScanner(str(tmp_path)).scan([REAL, "mixed"]) == {}


def test_a_link_loop_does_not_hang_the_resolution(tmp_path):
    """Loops (``a -> b -> a``, a dangling self link, a cycle through a directory) are
    skipped or resolved in bounded time; the real run stays the run.

    Run names the loaders would never list are given too, to test our resolution alone
    (the loaders end to end: `test_a_directory_cycle_is_one_trial_under_both_loaders`).
    """
    _write(tmp_path, REAL, 0.1, 1)
    os.symlink(tmp_path / "b", tmp_path / "a")
    os.symlink(tmp_path / "a", tmp_path / "b")
    os.symlink(tmp_path / "runs", tmp_path / "runs" / "back")  # a cycle through a directory
    os.symlink(tmp_path / REAL / "nope", tmp_path / REAL / "x.tfevents.loop")
    os.symlink(tmp_path / "self.tfevents", tmp_path / "self.tfevents")
    runs = [REAL, "a", "b", "runs/back/lr=0.1,seed=1", "runs/back/back/lr=0.1,seed=1", "."]
    out: list = []
    worker = threading.Thread(
        target=lambda: out.append(links.LinkScanner(str(tmp_path)).scan(runs))
    )
    worker.start()
    worker.join(timeout=20)
    assert not worker.is_alive()
    assert out[0] == {
        "runs/back/lr=0.1,seed=1": REAL,
        "runs/back/back/lr=0.1,seed=1": REAL,
    }


def test_a_remote_log_directory_reads_no_links():
    assert links.LinkScanner("s3://bucket/logs").scan(["a", "b"]) == {}


def test_a_new_link_is_seen_on_the_next_listing(tmp_path):
    _write(tmp_path, REAL, 0.1, 1)
    (tmp_path / "w").mkdir()
    scanner = links.LinkScanner(str(tmp_path))
    assert scanner.scan([REAL, "w"]) == {}
    for name in os.listdir(tmp_path / REAL):
        os.symlink(tmp_path / REAL / name, tmp_path / "w" / name)
    assert scanner.scan([REAL, "w"]) == {"w": REAL}


@pytest.mark.parametrize("loader", ["python", "rust"])
def test_a_directory_cycle_is_one_trial_under_both_loaders(tmp_path, loader):
    """``runs/back -> runs``: the Python loader lists ``runs/back/…/r`` down to the
    kernel's 40-link limit (41 runs; it does not hang), the Rust data server one run."""
    _write(tmp_path, "runs/r", 0.1, 1)
    os.symlink(tmp_path / "runs", tmp_path / "runs" / "back")
    a = App(str(tmp_path), loader)
    try:
        listed = a.wait_for(
            lambda: [r["run"] for r in a.json("/runs")["runs"] if r["run"].endswith("/r")]
        )
        if loader == "python":
            assert len(listed) > 1
        assert a.json("/groups", metric="loss")["trials"] == 1
        reads = {r["run"]: r["read"]["trial"] for r in a.json("/runs")["runs"]}
        assert reads["runs/r"]["trial"] == "runs/r"
        for run in listed:
            if run != "runs/r":
                assert reads[run] == {
                    "trial": None,
                    "rule": "layout: linked copy of runs/r",
                    "joined": [],
                }
    finally:
        a.close()
