"""`tb-rungroups ls` in a terminal: hostile names escaped, columns aligned by display width,
and the default metric reduced as the tab does (issue 29, smaller items)."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
import unicodedata

import pytest
from backend_fixtures import serving
from conftest import scalar_event, write_events

from tb_plugin import terminal

HOSTILE = ["adam\x1b[2J\x1b[H", "sgd\rEVIL", "x\u202eevil", "tab\there", "bell\x07", "c1\x9b31m"]
WIDE = ["大", "小型号", "ｆｕｌｌ", "e\u0301", "plain"]


def _cli(*args: str, **kwargs) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    return subprocess.run(
        [sys.executable, "-m", "tb_plugin.cli", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        **kwargs,
    )


@pytest.fixture(scope="module")
def logdir(tmp_path_factory):
    root = tmp_path_factory.mktemp("terminal")
    for i, opt in enumerate(HOSTILE + WIDE):
        for seed in range(2):
            write_events(
                str(root / f"opt={opt},seed={seed}" / "validation"),
                [
                    scalar_event("epoch_loss", 0, 1.0 + i + seed),
                    scalar_event("epoch_accuracy", 0, 0.5),
                ],
            )
    return root


# --- escape and width ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, shown",
    [
        ("a\nb", "a\\nb"),
        ("\x1b[2J", "\\x1b[2J"),
        ("x\ry", "x\\ry"),
        ("\u202eabc", "\\u202eabc"),
        ("\u2066i\u2069", "\\u2066i\\u2069"),
        ("\x9b", "\\x9b"),
        ("\x7f", "\\x7f"),
        ("大 é 🙂 C:\\path", "大 é 🙂 C:\\path"),
    ],
)
def test_escape(text, shown):
    assert terminal.escape(text) == shown
    assert terminal.escape(text).isprintable() or "\t" not in shown


def test_escape_keeps_newlines_for_record_formats():
    assert terminal.escape("a,b\n\x1b,c\n", keep_newlines=True) == "a,b\n\\x1b,c\n"


@pytest.mark.parametrize(
    "text, columns",
    [("大", 2), ("小型号", 6), ("ｆｕｌｌ", 8), ("e\u0301", 1), ("abc", 3), ("", 0)],
)
def test_display_width(text, columns):
    assert terminal.width(text) == columns
    # The independent count: East_Asian_Width W/F are two columns, combining marks none.
    assert columns == sum(
        0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1
        for c in text
    )


# --- the command line ---------------------------------------------------------------------


def _columns(line: str) -> list[int]:
    """Display columns where each cell after the first starts (two spaces before a cell)."""
    starts, col, prev = [], 0, ""
    for i, char in enumerate(line):
        if prev == " " and char != " " and line[i - 2 : i] == "  ":
            starts.append(col)
        col += terminal.char_width(char)
        prev = char
    return starts


def test_ls_table_escapes_names_and_aligns_by_display_width(logdir):
    done = _cli("ls", str(logdir), "--by", "opt", "--metric", "epoch_loss")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert all(c.isprintable() for line in out.splitlines() for c in line), out
    for name in HOSTILE:
        assert terminal.escape(name) in out
    lines = out.splitlines()
    header, rows = lines[0], lines[1 : 1 + len(HOSTILE + WIDE)]
    want = _columns(header)[:2]  # runs and epoch_loss start where the header's do
    for row in rows:
        assert _columns(row)[:2] == want, (row, want)


def test_ls_without_metric_reduces_the_tabs_default_metric(logdir):
    with serving(str(logdir), "python", 2 * len(HOSTILE + WIDE)) as app:
        default = app.json("/tags")["default_metric"]
    assert default == "epoch_loss"  # loss-like first: what the tab opens with
    done = _cli("ls", str(logdir), "--by", "opt")
    assert done.returncode == 0, done.stderr
    header = done.stdout.splitlines()[0].split()
    assert header[:3] == ["opt", "runs", default] and "best run" in done.stdout.splitlines()[0]
    explicit = _cli("ls", str(logdir), "--by", "opt", "--metric", default)
    assert done.stdout == explicit.stdout


def test_ls_without_any_scalar_prints_counts(tmp_path):
    write_events(str(tmp_path / "opt=a,seed=0"), [])
    done = _cli("ls", str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0].split() == ["group", "runs"] or "runs" in done.stdout


def test_error_lines_are_escaped(logdir):
    done = _cli("ls", str(logdir), "--by", "no\x1b[2Jsuch\nfield")
    assert done.returncode == 2
    assert "\x1b" not in done.stderr and done.stderr.count("\n") == 1, done.stderr


def test_csv_to_a_terminal_is_escaped_and_to_a_pipe_is_kept(logdir):
    piped = _cli("ls", str(logdir), "--by", "opt", "--metric", "epoch_loss", "--format", "csv")
    assert "\x1b[2J" in piped.stdout  # a file or a pipe gets the names as they are
    leader, follower = pty.openpty()
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    with subprocess.Popen(
        [sys.executable, "-m", "tb_plugin.cli", "ls", str(logdir), "--by", "opt"]
        + ["--metric", "epoch_loss", "--format", "csv"],
        stdout=follower,
        stderr=subprocess.PIPE,
        env=env,
    ) as process:
        os.close(follower)
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
        os.close(leader)
        assert process.wait(300) == 0, process.stderr.read()
    shown = b"".join(chunks).decode()
    assert "\x1b" not in shown and "\\x1b[2J" in shown
