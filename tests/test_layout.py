"""The layout step (SPEC §4b): which runs make one trial, what is a split; pure, no TensorBoard."""

from __future__ import annotations

import datetime
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


# --- SPEC §4b rules 5-12: each fires on the layout it comes from, and not on its near misses --


def reading(runs, facts=None, patterns=(), steps=None):
    """`{run: (trial, split, params, labels)}` and the `Layout` of `runs`."""
    facts = facts or dict.fromkeys(runs, S)
    compiled = naming.compile_patterns(patterns)
    names = [naming.parse_run_name(run, compiled) for run in runs]
    result = layout.arrange(names, facts, compiled, steps)
    return {
        run: (rn.trial, rn.split, dict(rn.params), rn.labels) for run, rn in result.names.items()
    }, result


@pytest.mark.parametrize(
    ("runs", "stem", "counts"),
    [
        # YOLOv5 increment_path: baseline, baseline2, baseline3 (the bare stem is the first).
        (["baseline", "baseline2", "baseline3"], "baseline", [1, 2, 3]),
        # Ludwig: exp_run, exp_run_0, exp_run_1.
        (["exp_run", "exp_run_0", "exp_run_1"], "exp_run", [-1, 0, 1]),
        # A tool counter with "-" and no bare stem, from 1.
        (["exp-1", "exp-2", "exp-3"], "exp", [1, 2, 3]),
        # Ultralytics detect/train, train2: the split word is the stem (rule 4 keeps it a run).
        (["detect/train", "detect/train2"], "train", [1, 2]),
    ],
)
def test_rule_5_tool_counters_are_repeats_of_their_stem(runs, stem, counts):
    read, result = reading(runs)
    assert [read[r][2].get("run") for r in runs] == counts
    assert {read[r][3][-1] for r in runs} == {stem}
    assert all(result.reads[read[r][0]]["param.run"] == "layout: tool counter" for r in runs)


@pytest.mark.parametrize(
    "runs",
    [
        ["resnet18", "resnet50"],  # sparse numbers are names
        ["exp1"],  # a lone number is a name
        ["exp1", "other"],
        ["resnet", "resnet18"],  # a bare stem and a number that is no counter
        ["seed_1", "seed_2"],  # index words stay what they are
        ["a/exp1", "b/exp2"],  # not siblings
    ],
)
def test_rule_5_does_not_fire_on_names_with_numbers(runs):
    read, result = reading(runs)
    assert not result.reads
    assert all(
        read[r][3][-1:] != (r.rstrip("0123456789"),) or "run" not in read[r][2] for r in runs
    )
    assert all("run" not in read[r][2] for r in runs)


def test_rule_6_cleanrl_names():
    rn = naming.parse_run_name("CartPole-v1__ppo__1__1790000000")
    assert dict(rn.params) == {"seed": 1} and rn.labels == ("CartPole-v1", "ppo")
    assert rn.time == datetime.datetime(2026, 9, 21, 14, 13, 20)
    # Near misses: a time before 2001, three fields, a non-integer seed.
    for name in ("a__b__1__123456789", "a__b__1790000000", "a__b__x__1790000000"):
        assert naming.parse_run_name(name).params == {}, name


def test_rule_7_seed_folders_under_configs_or_above_a_timestamp():
    runs = [
        f"Ant-v4/{algo}/{seed}/26112{seed}-101500" for algo in ("sac", "td3") for seed in (0, 1)
    ]
    read, result = reading(runs)
    assert [read[r][2]["seed"] for r in runs] == [0, 1, 0, 1]
    assert read[runs[0]][3] == ("Ant-v4", "sac")
    assert read[runs[0]][2] == {"seed": 0}
    assert result.reads[runs[0]] == {"param.seed": "layout: seed folder"}
    assert naming.parse_run_name("261120-101500").time == datetime.datetime(2026, 11, 20, 10, 15)
    # SpeechBrain results/<model>/<seed>: the seeds recur under each model.
    runs = [f"results/{m}/{s}" for m in ("crdnn", "transformer") for s in (1986, 1987)]
    read, _ = reading(runs)
    assert [read[r][2].get("seed") for r in runs] == [1986, 1987, 1986, 1987]


@pytest.mark.parametrize(
    "runs",
    [
        ["exp/1", "exp/2"],  # one config: numbered runs, not seeds
        ["a/1", "b/2"],  # the numbers do not recur
        ["multirun/2026-11-27/01-29-05/0", "multirun/2026-11-27/02-29-05/0"],  # Hydra's job
    ],
)
def test_rule_7_does_not_fire_on_numbered_folders(runs):
    read, _ = reading(runs)
    assert all("seed" not in read[r][2] for r in runs)


def test_rule_8_writers_below_a_trial_through_folders_without_events():
    runs = ["lr=0.1/train", "lr=0.1/training_eval/glue", "lr=0.1/inference_eval/glue"]
    read, result = reading(runs)
    assert {read[r][:2] for r in runs} == {
        ("lr=0.1", "train"),
        ("lr=0.1", "training_eval/glue"),
        ("lr=0.1", "inference_eval/glue"),
    }
    assert result.why["lr=0.1/training_eval/glue"] == "layout: writer below a trial"
    # Near miss: without a split child nothing is a trial, so each leaf stays one.
    read, _ = reading(["exp/lr=0.1/seed=1", "exp/lr=0.1/seed=2"])
    assert {t for t, *_ in read.values()} == {"exp/lr=0.1/seed=1", "exp/lr=0.1/seed=2"}
    # The log directory root with Keras splits does not swallow other trials.
    read, _ = reading(["train", "validation", "other/run/x"])
    assert read["other/run/x"][0] == "other/run/x"


def test_rule_10_rank_writers():
    runs = [f"job/tb/20261120-1000/rank_{n}" for n in range(4)]
    read, result = reading(runs)
    assert {read[r][0] for r in runs} == {"job/tb/20261120-1000"}
    assert [read[r][1] for r in runs] == [None, "rank_1", "rank_2", "rank_3"]
    assert "lowest rank" in result.why[runs[0]]
    # Near miss: rank-like words that are no rank directories stay trials.
    read, _ = reading(["ranked_1", "ranked_2", "rank_1x"])
    assert all(read[r][0] == r for r in ("ranked_1", "rank_1x"))


def _steps(spans):
    """`layout.Steps` from `{run: (first step, last step, first wall, last wall)}`."""
    return lambda run: {"loss": spans[run], "hp_metric": (0, 0, spans[run][2], spans[run][2])}


def test_rule_11_a_resume_joins_the_run_it_continues():
    hp = {"lr": 0.01, "seed": 2}
    facts = {
        "lightning_logs/version_1": RunFacts(tags=frozenset({"loss"}), hparams=hp),
        "lightning_logs/version_4": RunFacts(tags=frozenset({"loss"}), hparams=dict(hp)),
        "lightning_logs/version_2": RunFacts(tags=frozenset({"loss"}), hparams={"lr": 0.1}),
    }
    spans = {
        "lightning_logs/version_1": (99, 599, 100.0, 200.0),
        "lightning_logs/version_4": (699, 999, 300.0, 400.0),
        "lightning_logs/version_2": (99, 999, 210.0, 290.0),
    }
    read, result = reading(list(facts), facts, steps=_steps(spans))
    assert read["lightning_logs/version_4"][:2] == ("lightning_logs/version_1", None)
    assert read["lightning_logs/version_1"][:2] == ("lightning_logs/version_1", "version_1")
    assert read["lightning_logs/version_2"][:2] == ("lightning_logs/version_2", None)
    assert result.why["lightning_logs/version_4"].startswith(
        "layout: resume of lightning_logs/version_1"
    )


@pytest.mark.parametrize(
    ("later", "hparams"),
    [
        ((0, 999, 300.0, 400.0), {"lr": 0.01}),  # two seeds, identical hparams, steps overlap
        ((500, 999, 150.0, 400.0), {"lr": 0.01}),  # started before the other stopped
        ((700, 999, 300.0, 400.0), {"lr": 0.1}),  # other hparams
    ],
)
def test_rule_11_does_not_fire_on_repeats(later, hparams):
    facts = {
        "a": RunFacts(tags=frozenset({"loss"}), hparams={"lr": 0.01}),
        "b": RunFacts(tags=frozenset({"loss"}), hparams=hparams),
    }
    spans = {"a": (0, 599, 100.0, 200.0), "b": later}
    read, _ = reading(["a", "b"], facts, steps=_steps(spans))
    assert read["a"][0] == "a" and read["b"][0] == "b"


def test_rule_12_shorthand_names():
    runs = [
        f"{i:02d}_mujoco_all_envs_see_{s}_env_{e}"
        for i, (s, e) in enumerate((s, e) for s in (0, 1111) for e in ("mujoco_ant", "mujoco_hop"))
    ]
    read, result = reading(runs)
    assert read[runs[1]][2] == {"seed": 0, "env": "mujoco_hop"}
    assert read[runs[1]][3] == ("01", "mujoco_all_envs")
    assert result.reads[runs[0]]["param.seed"] == "layout: shorthand name (see = seed)"
    read, _ = reading(["lr_0.01_bs_32", "lr_0.1_bs_64"])
    assert read["lr_0.1_bs_64"][2] == {"lr": 0.1, "bs": 64}


@pytest.mark.parametrize(
    "runs",
    [
        ["lr_0.01_bs_32", "lr_0.1"],  # different shapes
        ["adam_0.1", "sgd_0.2"],  # the word before a varying value varies too
        ["lr_0.01_bs_32"],  # no siblings
        ["lr=0.1_x", "lr=0.2_x"],  # the name already says its params
    ],
)
def test_rule_12_does_not_fire_without_its_backing(runs):
    read, result = reading(runs)
    assert not result.reads
    assert all(read[r][2] == dict(naming.parse_run_name(r).params) for r in runs)


def test_hidden_writer_folders_belong_to_the_experiment():
    read, _ = reading(["exp_a/.summary/0", "exp_a/.summary/1"])
    assert read["exp_a/.summary/0"][:2] == ("exp_a", None)
    assert read["exp_a/.summary/1"][:2] == ("exp_a", ".summary/1")


def test_a_user_pattern_keeps_a_name_from_the_sibling_rules():
    read, result = reading(["baseline", "baseline2"], patterns=[r"^(?P<trial>baseline2)$"])
    assert "run" not in read["baseline2"][2] and "baseline2" not in result.reads


def test_rule_5_counts_folders_above_the_trial():
    """Ludwig: results/<experiment>_run[_N]/model/logs/{training,validation}."""
    runs = [
        f"results/{e}/model/logs/{s}"
        for e in ("experiment_run", "experiment_run_0", "experiment_run_1", "big_run", "big_run_0")
        for s in ("training", "validation")
    ]
    read, result = reading(runs)
    trial, split, params, labels = read["results/experiment_run_1/model/logs/validation"]
    assert (trial, split, params) == (
        "results/experiment_run_1/model/logs",
        "validation",
        {"run": 1},
    )
    assert labels == ("results", "experiment_run", "model", "logs")
    assert read["results/big_run_0/model/logs/training"][3][1] == "big_run"
    assert result.reads[trial] == {
        "param.run": "layout: tool counter",
        "label.1": "layout: tool counter",
    }
