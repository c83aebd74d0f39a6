"""`tb-rungroups annotate`: `--untag` (issue 28), and what it refuses (issue 29)."""

from __future__ import annotations

import os

import pytest
from conftest import write_scalars

from tb_plugin import cli, metadata, writer


@pytest.fixture
def run(tmp_path):
    run = tmp_path / "logs" / "lr=0.1"
    write_scalars(str(run / "train"), "epoch_loss", [1.0])
    writer.annotate_run(run, tags=["a", "b", "c"])
    return run


def test_untag_removes_tags_and_keeps_the_rest(run, capsys):
    assert cli.main(["annotate", str(run), "--untag", "a", "--untag", "c", "--tag", "d"]) == 0
    assert capsys.readouterr().out.startswith(f"annotated {run} (.rungroups/state.")
    assert writer.read_run_metadata(run) == {"tags": ["b", "d"]}
    # Untagging what the run does not hold changes nothing and is no error.
    assert cli.main(["annotate", str(run), "--untag", "zzz"]) == 0
    assert writer.read_run_metadata(run) == {"tags": ["b", "d"]}


def test_a_tag_added_again_after_an_untag_is_present(run):
    assert cli.main(["annotate", str(run), "--untag", "b"]) == 0
    assert cli.main(["annotate", str(run), "--tag", "b"]) == 0
    assert writer.read_run_metadata(run)["tags"] == ["a", "c", "b"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--tag", ""], "a tag must be a non-empty string"),
        (["--tag", "   "], "a tag must be a non-empty string"),
        ([], "nothing to add or remove"),
    ],
)
def test_bad_annotations_are_one_line_and_write_nothing(run, capsys, args, message):
    before = sorted(os.listdir(run / metadata.ANNOTATIONS_DIR))
    assert cli.main(["annotate", str(run), *args]) != 0
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
    assert sorted(os.listdir(run / metadata.ANNOTATIONS_DIR)) == before


def test_annotating_a_runs_annotations_directory_is_refused(run, capsys):
    target = run / metadata.ANNOTATIONS_DIR
    before = sorted(os.listdir(target))
    assert cli.main(["annotate", str(target), "--tag", "x"]) != 0
    err = capsys.readouterr().err
    assert "annotations directory, not a run" in err and str(run) in err
    assert sorted(os.listdir(target)) == before
    assert not (target / metadata.ANNOTATIONS_DIR).exists()


def test_the_writers_refuse_empty_tags_too(run):
    for call in (
        lambda: writer.annotate_run(run, tags=[""]),
        lambda: writer.write_run_metadata(run, {"tags": ["ok", ""]}),
        lambda: writer.edit_run(run, add_tags=[" "]),
    ):
        with pytest.raises(ValueError, match="non-empty"):
            call()
    assert writer.read_run_metadata(run) == {"tags": ["a", "b", "c"]}
