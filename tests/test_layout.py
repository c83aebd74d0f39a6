"""The layout step (SPEC §4b): which runs make one trial, what is a split; pure, no TensorBoard."""

from __future__ import annotations

import random

import pytest

from tb_plugin import layout, naming, summary, writer
from tb_plugin.layout import RunFacts

S = RunFacts(tags=frozenset({"loss"}))  # holds scalars
E = RunFacts()  # holds none
CONFIG = RunFacts(config_only=True)


def arrange(runs, patterns=()):
    """`{run: (trial, split)}` of a `{run: RunFacts}` (or a list of runs holding scalars)."""
    if not isinstance(runs, dict):
        runs = dict.fromkeys(runs, S)
    compiled = naming.compile_patterns(patterns)
    names = [naming.parse_run_name(run, compiled) for run in runs]
    result = layout.arrange(names, runs, compiled)
    return {
        run: (result.names[run].trial, result.names[run].split) if run in result.names else None
        for run in runs
    }


def tags(*names):
    return RunFacts(tags=frozenset(names))


@pytest.mark.parametrize(
    ("runs", "expected"),
    [
        # Keras splits.
        (["r/train", "r/validation"], {"r/train": ("r", "train"), "r/validation": ("r", "validation")}),
        # Rule 1: helper writers beside splits are writers of the trial, a split of their name.
        (
            ["r/train", "r/validation", "r/metrics"],
            {"r/train": ("r", "train"), "r/validation": ("r", "validation"), "r/metrics": ("r", "metrics")},
        ),
        (
            ["j/train_inner", "j/train", "j/valid"],
            {"j/train_inner": ("j", "train_inner"), "j/train": ("j", "train"), "j/valid": ("j", "validation")},
        ),
        # ... but a child that holds trials of its own stays apart.
        (
            ["s/train", "s/validation", "s/a/train", "s/a/validation"],
            {"s/train": ("s", "train"), "s/validation": ("s", "validation"),
             "s/a/train": ("s/a", "train"), "s/a/validation": ("s/a", "validation")},
        ),
        # Rule 5: numbered siblings of a split word are runs (Ultralytics).
        (
            ["detect/train", "detect/train2", "detect/train3"],
            {"detect/train": ("detect/train", None), "detect/train2": ("detect/train2", None),
             "detect/train3": ("detect/train3", None)},
        ),
        (["train", "train2"], {"train": ("train", None), "train2": ("train2", None)}),
        (["val", "val_2"], {"val": ("val", None), "val_2": ("val_2", None)}),
        # ... and does not fire on other numbered siblings or a lone split word.
        (["d/train", "d/exp2"], {"d/train": ("d", "train"), "d/exp2": ("d", "exp2")}),
        (["train", "validation"], {"train": (".", "train"), "validation": (".", "validation")}),
        # Directories that merely hold trials change nothing.
        (
            ["exp1/lr=0.1/seed=1", "exp1/lr=0.1/seed=2"],
            {"exp1/lr=0.1/seed=1": ("exp1/lr=0.1/seed=1", None),
             "exp1/lr=0.1/seed=2": ("exp1/lr=0.1/seed=2", None)},
        ),
    ],
)  # fmt: skip
def test_splits_and_helper_writers(runs, expected):
    assert arrange(runs) == expected


def test_add_hparams_child_is_a_writer_of_its_parent():
    got = arrange(
        {"runs/Nov20_10-00-01_node": S, "runs/Nov20_10-00-01_node/1763600000.123456": tags("hp/m")}
    )
    assert got["runs/Nov20_10-00-01_node/1763600000.123456"] == (
        "runs/Nov20_10-00-01_node",
        layout.HPARAMS_SPLIT,
    )
    # Also when the parent holds no scalars (Hugging Face with no metrics in add_hparams).
    got = arrange({"out/runs/x": E, "out/runs/x/1763600000.5": E})
    assert got["out/runs/x/1763600000.5"] == ("out/runs/x", "hparams")


def test_rule_2_runs_nested_in_a_run_with_scalars_are_its_writers():
    got = arrange({"r": S, "r/a": S, "r/a/b": S, "r/validation": S})
    assert got == {
        "r": ("r", None),
        "r/a": ("r", "a"),
        "r/a/b": ("r", "a/b"),
        "r/validation": ("r", "validation"),
    }


def test_rule_2_does_not_fire_for_a_run_without_scalars_or_for_the_root():
    # A directory with metadata only holds trials.
    assert arrange({"sweep": E, "sweep/a": S, "sweep/b": S}) == {
        "sweep": ("sweep", None),
        "sweep/a": ("sweep/a", None),
        "sweep/b": ("sweep/b", None),
    }
    # Scalars at the log directory root do not swallow every run.
    assert arrange({".": S, "a": S, "b": S}) == {
        ".": (".", None),
        "a": ("a", None),
        "b": ("b", None),
    }


@pytest.mark.parametrize(
    ("child", "split"),
    [("r/Loss_train", "train"), ("r/Loss_val", "validation"), ("r/Loss/train", "train")],
)
def test_add_scalars_children(child, split):
    facts = {child: tags("Loss"), "r": E}
    names = [naming.parse_run_name(run) for run in facts]
    result = layout.arrange(names, facts)
    assert result.names[child].trial == "r"
    assert result.add_scalars[child] == ("Loss", split)
    assert layout.metric_of("Loss", result.names[child].split, result.add_scalars[child]) == (
        "Loss",
        split,
    )


def test_add_scalars_needs_the_main_tag():
    # A child named like `<tag>_<key>` that does not hold `<tag>` is no add_scalars child.
    assert arrange({"r/Loss_train": tags("other"), "r/Loss_val": tags("other")}) == {
        "r/Loss_train": ("r/Loss_train", None),
        "r/Loss_val": ("r/Loss_val", None),
    }


def test_config_only_run_is_no_trial_and_its_children_stay_trials():
    got = arrange({"hparam_tuning": CONFIG, "hparam_tuning/run-0": S, "hparam_tuning/run-1": S})
    assert got == {
        "hparam_tuning": None,
        "hparam_tuning/run-0": ("hparam_tuning/run-0", None),
        "hparam_tuning/run-1": ("hparam_tuning/run-1", None),
    }


def test_writers_take_their_trials_params_not_their_own_name():
    facts = {"lr=0.1,seed=1/train_inner": S, "lr=0.1,seed=1/train": S}
    names = [naming.parse_run_name(run) for run in facts]
    result = layout.arrange(names, facts)
    inner = result.names["lr=0.1,seed=1/train_inner"]
    assert dict(inner.params) == {"lr": 0.1, "seed": 1}
    assert inner.labels == ()


@pytest.mark.parametrize(
    ("patterns", "run", "expected"),
    [
        ([r"^(?P<trial>[^/]+)/(?P<split>[^/]+)$"], "job7/Phase_A", ("job7", "Phase_A")),
        ([r"^(?P<trial>[^/]+)/(?P<split>[^/]+)$"], "job7/VAL", ("job7", "validation")),
        # The trial alone: the split is the rest of the path.
        ([r"^(?P<trial>exp_\d+)"], "exp_3/logs", ("exp_3", "logs")),
        # The split alone: the rest of the name is the trial.
        ([r"_(?P<split>train|dev)$"], "a/b_dev", ("a/b", "dev")),
        # A pattern names the run as a trial of its own: detect/train is no split.
        ([r"^(?P<trial>detect/[^/]+)$"], "detect/train", ("detect/train", None)),
    ],
)
def test_user_patterns_decide_trial_and_split(patterns, run, expected):
    assert arrange({run: S}, patterns)[run] == expected
    assert "trial" not in naming.parse_run_name(run, naming.compile_patterns(patterns)).params


@pytest.mark.parametrize(
    ("tag", "split", "expected"),
    [
        ("Loss/train", None, ("Loss", "train")),
        ("Loss/val", None, ("Loss", "validation")),
        ("train/loss", None, ("loss", "train")),
        ("eval/loss", None, ("loss", "eval")),
        ("eval/runtime/x", None, ("runtime/x", "eval")),
        # Not a split: no split word at either end, or the run carries its own split.
        ("metrics/mAP50(B)", None, ("metrics/mAP50(B)", None)),
        ("rollout/ep_rew_mean", None, ("rollout/ep_rew_mean", None)),
        ("Loss/val", "train", ("Loss/val", "train")),
        ("train", None, ("train", None)),
        ("epoch_loss", "validation", ("epoch_loss", "validation")),
    ],
)
def test_metric_of(tag, split, expected):
    assert layout.metric_of(tag, split) == expected


def test_arrange_does_not_depend_on_run_order():
    runs = {
        "r/train": S,
        "r/validation": S,
        "r/metrics": S,
        "t": S,
        "t/1763600000.1": S,
        "u/Loss_train": tags("Loss"),
        "u/Loss_val": tags("Loss"),
        "detect/train": S,
        "detect/train2": S,
        "cfg": CONFIG,
        "cfg/run-1": S,
    }
    expected = arrange(runs)
    keys = list(runs)
    for seed in range(5):
        random.Random(seed).shuffle(keys)
        assert arrange({k: runs[k] for k in keys}) == expected


# --- one call that writes run metadata through torch's or tensorboardX's writer ---------------


def test_add_run_metadata_with_the_real_tensorboardx(tmp_path):
    from tensorboardX import SummaryWriter

    w = SummaryWriter(str(tmp_path))
    summary.add_run_metadata(w, {"hparams": {"lr": 0.01}, "notes": "baseline"}, step=3)
    w.close()
    assert writer.read_run_metadata(str(tmp_path)) == {
        "hparams": {"lr": 0.01},
        "notes": "baseline",
    }


class _TorchLikeFileWriter:
    """torch.utils.tensorboard's FileWriter: TensorBoard's own protos, EventFileWriter."""

    def __init__(self, logdir):
        from tensorboard.summary.writer.event_file_writer import EventFileWriter

        self.event_writer = EventFileWriter(logdir)

    def add_summary(self, summary_pb, global_step=None, walltime=None):
        from tensorboard.compat.proto import event_pb2

        event = event_pb2.Event(summary=summary_pb)  # TypeError for a foreign proto class
        event.wall_time = walltime or 1_790_000_000.0
        if global_step is not None:
            event.step = int(global_step)
        self.event_writer.add_event(event)

    def flush(self):
        self.event_writer.flush()

    def close(self):
        self.event_writer.close()


class _TorchLikeWriter:
    def __init__(self, logdir):
        self.file_writer = _TorchLikeFileWriter(logdir)

    def _get_file_writer(self):
        return self.file_writer

    def flush(self):
        self.file_writer.flush()

    def close(self):
        self.file_writer.close()


def test_add_run_metadata_with_a_torch_style_writer(tmp_path):
    w = _TorchLikeWriter(str(tmp_path))
    summary.add_run_metadata(w, {"status": "finished"})
    w.close()
    assert writer.read_run_metadata(str(tmp_path)) == {"status": "finished"}


def test_add_run_metadata_refuses_bad_data_and_writes_nothing(tmp_path):
    from tensorboardX import SummaryWriter

    w = SummaryWriter(str(tmp_path))
    with pytest.raises(TypeError):
        summary.add_run_metadata(w, {"x": object()})
    w.close()
    assert writer.read_run_metadata(str(tmp_path)) in (None, {})
