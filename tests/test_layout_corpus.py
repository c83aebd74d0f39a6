"""Real layouts, end to end: the log directories frameworks write, read by the real WSGI app.

Each layout is written the way its framework writes it: with the real library where it is a
test dependency (Keras' `TensorBoard` callback, tensorboardX's `add_hparams` and
`add_scalars`, a real Hydra multirun), and as a faithful reproduction of the framework's own
writer code for the others (torch's `SummaryWriter`, Hugging Face's `TensorBoardCallback`,
Lightning's `TensorBoardLogger`, stable-baselines3, fairseq, Ray Tune, Ultralytics, OpenMMLab,
TensorFlow's HParams tutorial). Each is checked through `/groups` and `/tags` of TensorBoard's
real app under both loaders, and through `tb-rungroups ls --format json`: the trials, the
splits of its metric, the default grouping, and one group's members and statistics against the
values read back from the event files independently.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from backend_fixtures import App
from conftest import write_events
from tensorboard.compat.proto import event_pb2, summary_pb2
from tensorboard.plugins.hparams import api as hp_api
from tensorboard.plugins.hparams import summary_v2 as hp
from tensorboard.util import tensor_util

from tb_plugin import cli

WALL = 1_790_000_000.0


@dataclasses.dataclass(frozen=True)
class Expect:
    """What a layout must give: trials, the metric's splits, default grouping, one group."""

    metric: str
    trials: int
    default_by: list[str]
    split: str | None  # the split chosen when the request names none
    splits: set[str | None]  # the metric's splits in /tags
    sizes: list[int]  # group sizes under the default grouping
    group: list  # one group's values
    members: list[tuple[str, str]]  # its (run directory, tag) pairs, read back for statistics


# --- writing helpers --------------------------------------------------------------------------


def scalar(tag: str, value: float) -> summary_pb2.Summary:
    return summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag=tag, simple_value=value)])


def events(run_dir, items) -> None:
    """Writes `(step, Summary)` items as events with TensorBoard's own EventFileWriter."""
    write_events(
        str(run_dir),
        [
            event_pb2.Event(wall_time=WALL + i, step=step, summary=s)
            for i, (step, s) in enumerate(items)
        ],
    )


def torch_hparams(hparams: dict, metrics: dict) -> list[summary_pb2.Summary]:
    """torch's `add_hparams` summaries (its `summary.hparams` is tensorboardX's, ported)."""
    from tensorboardX import summary as tbx_summary

    return [
        summary_pb2.Summary.FromString(s.SerializeToString())
        for s in tbx_summary.hparams(hparams, metrics)
    ]


def loss(lr: float, seed: int, step: int, offset: float = 0.0) -> float:
    return round(1.0 / (step + 1) + lr * 10 + 0.01 * seed + offset, 6)


# --- the layouts ------------------------------------------------------------------------------


def keras(root) -> Expect:
    """Keras' `TensorBoard` callback (real): `<run>/train`, `<run>/validation`, plus the
    Keras scalars tutorial's own `tf.summary` writer in `<run>/metrics`."""
    import keras as k
    import tensorflow as tf

    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 4)).astype("float32")
    y = (x @ np.array([1.0, -2.0, 0.5, 0.0], dtype="float32"))[:, None]
    for lr in (0.01, 0.05):
        for seed in (1, 2):
            run = root / f"lr={lr},seed={seed}"
            k.utils.set_random_seed(seed)
            model = k.Sequential([k.Input((4,)), k.layers.Dense(1)])
            model.compile(optimizer=k.optimizers.SGD(lr), loss="mse")
            model.fit(
                x, y, epochs=3, batch_size=16, validation_split=0.25, verbose=0,
                callbacks=[k.callbacks.TensorBoard(log_dir=str(run))],
            )  # fmt: skip
            with tf.summary.create_file_writer(str(run / "metrics")).as_default():
                for epoch in range(3):
                    tf.summary.scalar("learning_rate", lr, step=epoch)
    return Expect(
        metric="epoch_loss", trials=4, default_by=["param.lr"], split="validation",
        splits={"train", "validation"}, sizes=[2, 2], group=[0.05],
        members=[(f"lr=0.05,seed={s}/validation", "epoch_loss") for s in (1, 2)],
    )  # fmt: skip


def tensorboardx_add_hparams(root) -> Expect:
    """tensorboardX (real): `add_hparams` writes a `time.time()` child holding the hparams."""
    from tensorboardX import SummaryWriter

    for i, (lr, seed) in enumerate([(0.1, 1), (0.1, 2), (0.01, 1), (0.01, 2)]):
        run = root / "runs" / f"Nov20_1{i}-00-01_node"
        w = SummaryWriter(str(run))
        for step in range(5):
            w.add_scalar("training/loss", loss(lr, seed, step), step)
        w.add_hparams({"lr": lr, "seed": seed, "batch": 10}, {"hparam/distance": 0.5 + lr},
                      name=f"{1763600000 + i}.{123456 + i}")  # fmt: skip
        w.close()
    return Expect(
        metric="loss", trials=4, default_by=["param.lr"], split="train", splits={"train"},
        sizes=[2, 2], group=[0.1],
        members=[(f"runs/Nov20_1{i}-00-01_node", "training/loss") for i in (0, 1)],
    )  # fmt: skip


def tensorboardx_add_scalars(root) -> Expect:
    """tensorboardX (real): `add_scalars('Loss', {...})` writes `<run>/Loss/<key>` children,
    each holding the tag `Loss`."""
    from tensorboardX import SummaryWriter

    for lr in (0.1, 0.01):
        for seed in (1, 2):
            w = SummaryWriter(str(root / f"lr={lr},seed={seed}"))
            for step in range(4):
                w.add_scalar("lr_now", lr, step)
                w.add_scalars("Loss", {"train": loss(lr, seed, step),
                                       "val": loss(lr, seed, step, 1.0)}, step)  # fmt: skip
            w.close()
    return Expect(
        metric="Loss", trials=4, default_by=["param.lr"], split="validation",
        splits={"train", "validation"}, sizes=[2, 2], group=[0.01],
        members=[(f"lr=0.01,seed={s}/Loss/val", "Loss") for s in (1, 2)],
    )  # fmt: skip


def torch_summary_writer(root) -> Expect:
    """torch's `SummaryWriter` (reproduced from torch/utils/tensorboard/writer.py): default
    names `runs/<Mon DD_HH-MM-SS>_<host>`, `Loss/train`-style tags, `add_scalars` children
    `<run>/<main>_<key>` holding `<main>`, `add_hparams` into a `time.time()` child."""
    for i, (lr, seed) in enumerate([(0.1, 1), (0.1, 2), (0.01, 1), (0.01, 2)]):
        run = root / "runs" / f"Nov20_1{i}-00-01_node"
        events(run, [(s, scalar("Loss/train", loss(lr, seed, s))) for s in range(4)]
               + [(s, scalar("Loss/val", loss(lr, seed, s, 1.0))) for s in range(4)])  # fmt: skip
        for key, offset in (("train", 0.0), ("val", 2.0)):
            events(run / f"Acc_{key}", [(s, scalar("Acc", loss(lr, seed, s, offset)))
                                        for s in range(4)])  # fmt: skip
        child = run / f"{1763600000 + i}.{123456 + i}"
        hp_summaries = torch_hparams({"lr": lr, "seed": seed}, {"hparam/acc": 0.9 - lr})
        events(child, [(0, s) for s in hp_summaries] + [(0, scalar("hparam/acc", 0.9 - lr))])
    return Expect(
        metric="Loss", trials=4, default_by=["param.lr"], split="validation",
        splits={"train", "validation"}, sizes=[2, 2], group=[0.01],
        members=[(f"runs/Nov20_1{i}-00-01_node", "Loss/val") for i in (2, 3)],
    )  # fmt: skip


def hugging_face(root) -> Expect:
    """Hugging Face `TensorBoardCallback` (reproduced from transformers/integrations): logs
    `train/*` and `eval/*` tags into `<output_dir>/runs/<date>_<host>`, and `add_hparams` of
    the training arguments (paths and run names among them, no metrics) in a child."""
    for i, (lr, seed) in enumerate([(1e-4, 1), (1e-4, 2), (5e-5, 1), (5e-5, 2)]):
        out = f"out_{i}"
        run = root / out / "runs" / f"Nov20_1{i}-00-01_node"
        items = []
        for step in (10, 20, 30):
            items += [(step, scalar("train/loss", loss(lr * 1000, seed, step))),
                      (step, scalar("train/learning_rate", lr)),
                      (step, scalar("eval/loss", loss(lr * 1000, seed, step, 0.5))),
                      (step, scalar("eval/accuracy", 0.5 + lr * 1000))]  # fmt: skip
        events(run, items)
        args = {
            "output_dir": out, "logging_dir": f"{out}/runs/Nov20_1{i}-00-01_node",
            "run_name": out, "learning_rate": lr, "seed": seed, "num_train_epochs": 3,
            "per_device_train_batch_size": 8,
        }  # fmt: skip
        events(run / f"{1763600000 + i}.{123456 + i}", [(0, s) for s in torch_hparams(args, {})])
    return Expect(
        metric="loss", trials=4, default_by=["param.learning_rate"], split="eval",
        splits={"train", "eval"}, sizes=[2, 2], group=[1e-4],
        members=[(f"out_{i}/runs/Nov20_1{i}-00-01_node", "eval/loss") for i in (0, 1)],
    )  # fmt: skip


def lightning(root) -> Expect:
    """Lightning `TensorBoardLogger` (reproduced from lightning/pytorch/loggers/tensorboard.py):
    `lightning_logs/version_N`, its `log_hyperparams` summaries in the same run."""
    for v, (lr, seed) in enumerate([(0.1, 1), (0.1, 2), (0.02, 1), (0.02, 2)]):
        run = root / "lightning_logs" / f"version_{v}"
        items = [(0, s) for s in torch_hparams({"lr": lr, "seed": seed, "hidden": 32},
                                               {"hp_metric": -1})]  # fmt: skip
        for step in range(3):
            items += [(step, scalar("train_loss", loss(lr, seed, step))),
                      (step, scalar("val_loss", loss(lr, seed, step, 0.3))),
                      (step, scalar("epoch", step))]  # fmt: skip
        events(run, items)
    return Expect(
        metric="val_loss", trials=4, default_by=["param.lr"], split=None, splits={None},
        sizes=[2, 2], group=[0.02],
        members=[(f"lightning_logs/version_{v}", "val_loss") for v in (2, 3)],
    )  # fmt: skip


def stable_baselines3(root) -> Expect:
    """stable-baselines3 (reproduced from sb3 common/logger.py): `<tb_log_name>_<N>` per
    `learn()` call, `rollout/ep_rew_mean` at episode ends (steps differ between seeds)."""
    for lr in (0.001, 0.0003):
        for n in (1, 2):
            rng = np.random.default_rng(n)
            t, items = 0, []
            while t < 2000:
                t += int(rng.integers(50, 150))
                items.append((t, scalar("rollout/ep_rew_mean", round(t / 100 + n + lr * 1000, 4))))
            events(root / "CartPole-v1" / f"lr={lr}_{n}", items)
    return Expect(
        metric="rollout/ep_rew_mean", trials=4, default_by=["param.lr"], split=None,
        splits={None}, sizes=[2, 2], group=[0.001],
        members=[(f"CartPole-v1/lr=0.001_{n}", "rollout/ep_rew_mean") for n in (1, 2)],
    )  # fmt: skip


def fairseq(root) -> Expect:
    """fairseq (reproduced from fairseq/logging/progress_bar.py): one writer per progress
    tag, `<job>/train_inner`, `<job>/train`, `<job>/valid`."""
    for lr in ("5e-4", "1e-3"):
        for seed in (1, 2):
            job = root / f"lr={lr},seed={seed}"
            events(job / "train_inner", [(u, scalar("loss", 9 - u / 200 + seed)) for u in
                                         range(100, 1100, 100)])  # fmt: skip
            events(job / "train", [(500, scalar("loss", 4.5 + seed)),
                                   (1000, scalar("loss", 4.0 + seed))])  # fmt: skip
            events(job / "valid", [(500, scalar("loss", 5.0 + seed + float(lr))),
                                   (1000, scalar("loss", 4.5 + seed + float(lr)))])  # fmt: skip
    return Expect(
        metric="loss", trials=4, default_by=["param.lr"], split="validation",
        splits={"train_inner", "train", "validation"}, sizes=[2, 2], group=[0.0005],
        members=[(f"lr=5e-4,seed={s}/valid", "loss") for s in (1, 2)],
    )  # fmt: skip


HYDRA_APP = """
import os
import re
from dataclasses import dataclass, field

import hydra
from hydra.core.config_store import ConfigStore
from hydra.core.hydra_config import HydraConfig
from tensorboard.compat.proto import event_pb2, summary_pb2
from tensorboard.summary.writer.event_file_writer import EventFileWriter


@dataclass
class Model:
    layers: list = field(default_factory=lambda: [64, 128])


@dataclass
class Config:
    model: Model = field(default_factory=Model)
    seed: int = 1


ConfigStore.instance().store(name="config", node=Config)


@hydra.main(version_base=None, config_name="config")
def main(cfg):
    w = EventFileWriter(HydraConfig.get().runtime.output_dir)
    for step in range(3):
        value = 1.0 / (step + 1) + sum(cfg.model.layers) / 1000 + cfg.seed / 100
        s = summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag="val_loss",
                                                                 simple_value=value)])
        w.add_event(event_pb2.Event(wall_time=1790000000.0 + step, step=step, summary=s))
    w.close()


main()
"""


def hydra_multirun(root) -> Expect:
    """Hydra (real): a multirun whose sweep subdir is `${hydra.job.override_dirname}`, list
    overrides kept verbatim (`model.layers=[64,128],seed=1`)."""
    app = root.parent / "hydra_app.py"
    app.write_text(textwrap.dedent(HYDRA_APP))
    sweep = root / "multirun" / "2026-11-20" / "10-00-00"
    done = subprocess.run(
        [sys.executable, str(app), "--multirun", "model.layers=[64,128],[64,256]", "seed=1,2",
         f"hydra.sweep.dir={sweep}", "hydra.sweep.subdir=${hydra.job.override_dirname}",
         "hydra/job_logging=disabled", "hydra/hydra_logging=disabled"],
        capture_output=True, text=True, timeout=120, cwd=str(root.parent),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    base = "multirun/2026-11-20/10-00-00"
    return Expect(
        metric="val_loss", trials=4, default_by=["param.model.layers"], split=None,
        splits={None}, sizes=[2, 2], group=["[64,256]"],
        members=[(f"{base}/model.layers=[64,256],seed={s}", "val_loss") for s in (1, 2)],
    )  # fmt: skip


def ray_tune(root) -> Expect:
    """Ray Tune (reproduced from ray/tune/experiment/trial.py and logger/tensorboardx.py):
    trial directories `<trainable>_<id>_<index>_<config>_<date>`, `ray/tune/*` tags and the
    hparams written into the trial's own writer."""
    from tensorboardX import SummaryWriter
    from tensorboardX import summary as tbx_summary

    configs = [(0.001, 1), (0.001, 2), (0.01, 1), (0.01, 2)]
    names = []
    for i, (lr, seed) in enumerate(configs):
        name = f"train_fn_a1b2c_{i:05d}_{i}_lr={lr:.4f},seed={seed}_2026-11-20_10-00-0{i}"
        names.append(name)
        w = SummaryWriter(str(root / "exp" / name), flush_secs=1)
        for step in range(1, 4):
            w.add_scalar("ray/tune/mean_loss", loss(lr * 10, seed, step), step)
        for s in tbx_summary.hparams({"lr": lr, "seed": seed}, {"ray/tune/mean_loss": 0.0}):
            w.file_writer.add_summary(s)
        w.close()
    return Expect(
        metric="ray/tune/mean_loss", trials=4, default_by=["param.lr"], split=None,
        splits={None}, sizes=[2, 2], group=[0.01],
        members=[(f"exp/{names[i]}", "ray/tune/mean_loss") for i in (2, 3)],
    )  # fmt: skip


def ultralytics(root) -> Expect:
    """Ultralytics (reproduced from ultralytics/utils/callbacks/tensorboard.py): repeated
    trainings `detect/train`, `train2`, `train3` (`increment_path`, rule 5: repeats of one
    experiment, one group); `train/*`, `val/*`, `metrics/*` tags."""
    for i, name in enumerate(["train", "train2", "train3"]):
        items = []
        for epoch in range(3):
            items += [(epoch, scalar("train/box_loss", 1.5 - 0.1 * epoch - 0.05 * i)),
                      (epoch, scalar("val/box_loss", 1.7 - 0.1 * epoch - 0.05 * i)),
                      (epoch, scalar("metrics/mAP50(B)", 0.3 + 0.1 * i + 0.02 * epoch))]  # fmt: skip
        events(root / "detect" / name, items)
    return Expect(
        metric="box_loss", trials=3, default_by=[], split="validation",
        splits={"train", "validation"}, sizes=[3], group=[],
        members=[(f"detect/{n}", "val/box_loss") for n in ("train", "train2", "train3")],
    )  # fmt: skip


def openmmlab(root) -> Expect:
    """OpenMMLab (reproduced from mmengine/visualization/vis_backend.py): `TensorboardVisBackend`
    writes `work_dirs/<config>/<timestamp>/vis_data`; the config repeats over timestamps."""
    for c, config in enumerate(["resnet18_8xb32_in1k", "resnet50_8xb32_in1k"]):
        for r, stamp in enumerate([f"2024112{c}_100001", f"2024112{c}_153000"]):
            items = []
            for it in (100, 200, 300):
                items += [(it, scalar("loss", 2.0 - it / 1000 - 0.3 * c + 0.01 * r)),
                          (it, scalar("accuracy/top1", 60 + 10 * c + r + it / 100))]  # fmt: skip
            events(root / "work_dirs" / config / stamp / "vis_data", items)
    return Expect(
        metric="accuracy/top1", trials=4, default_by=["path.1"], split=None, splits={None},
        sizes=[2, 2], group=["resnet50_8xb32_in1k"],
        members=[(f"work_dirs/resnet50_8xb32_in1k/{s}/vis_data", "accuracy/top1")
                 for s in ("20241121_100001", "20241121_153000")],
    )  # fmt: skip


def hparams_tutorial(root) -> Expect:
    """TensorFlow's HParams tutorial (`hparam_tuning` holds only `hparams_config`; each
    `run-N` holds `hp.hparams` and an accuracy), here with two repeats per configuration."""
    hps = [hp_api.HParam("num_units", hp_api.Discrete([16, 32])),
           hp_api.HParam("dropout", hp_api.Discrete([0.1, 0.2])),
           hp_api.HParam("optimizer", hp_api.Discrete(["adam"]))]  # fmt: skip
    config = hp.hparams_config_pb(hparams=hps, metrics=[hp_api.Metric("accuracy")])
    events(root / "hparam_tuning", [(0, config)])
    n = 0
    for units in (16, 32):
        for dropout in (0.1, 0.2):
            for rep in range(2):
                values = {"optimizer": "adam", "dropout": dropout, "num_units": units}
                acc = round(0.5 + units / 100 - dropout + rep / 100, 4)
                events(root / "hparam_tuning" / f"run-{n}",
                       [(0, hp.hparams_pb(values)), (1, scalar("accuracy", acc))])  # fmt: skip
                n += 1
    return Expect(
        metric="accuracy", trials=8, default_by=["param.num_units", "param.dropout"],
        split=None, splits={None}, sizes=[2, 2, 2, 2], group=[32, 0.1],
        members=[(f"hparam_tuning/run-{i}", "accuracy") for i in (4, 5)],
    )  # fmt: skip


# --- SPEC §4b rules 5-12: more frameworks, and near misses where a rule must not fire --------


def events_at(run_dir, items, wall0: float) -> None:
    """`events` with the wall clock starting at `wall0` (runs written one after another)."""
    write_events(
        str(run_dir),
        [
            event_pb2.Event(wall_time=wall0 + i, step=step, summary=s)
            for i, (step, s) in enumerate(items)
        ],
    )


def yolov5(root) -> Expect:
    """YOLOv5 (reproduced from utils/general.py `increment_path(path, sep="")` and
    utils/loggers/__init__.py): `--name baseline` three times gives baseline, baseline2,
    baseline3 under runs/train, the log directory. Rule 5: repeats of the stem."""
    for stem, base in (("baseline", 0.40), ("mixup", 0.46)):
        for n, name in enumerate((stem, f"{stem}2", f"{stem}3")):
            items = []
            for epoch in range(3):
                items += [(epoch, scalar("metrics/mAP_0.5", round(base * (epoch + 1) / 3 + 0.004 * n, 6))),
                          (epoch, scalar("train/box_loss", 0.1)), (epoch, scalar("val/box_loss", 0.12))]  # fmt: skip
            events(root / name, items)
    return Expect(
        metric="metrics/mAP_0.5", trials=6, default_by=["label.0"], split=None, splits={None},
        sizes=[3, 3], group=["mixup"],
        members=[(n, "metrics/mAP_0.5") for n in ("mixup", "mixup2", "mixup3")],
    )  # fmt: skip


def model_names_with_numbers(root) -> Expect:
    """Near miss of rule 5: timm-style model names and a lone `exp1` are names, not counters."""
    for i, name in enumerate(("resnet18", "resnet50", "exp1")):
        events(root / name, [(s, scalar("loss", loss(0.01, i, s))) for s in range(3)])
    return Expect(
        metric="loss", trials=3, default_by=["path.0"], split=None, splits={None},
        sizes=[1, 1, 1], group=["resnet50"], members=[("resnet50", "loss")],
    )  # fmt: skip


def ludwig(root) -> Expect:
    """Ludwig (reproduced from ludwig/utils/fs_utils.py `get_output_directory`/`find_non_existing_dir_by_adding_suffix`
    and ludwig/trainers/trainer.py): `results/<experiment>_<model>[_N]/model/logs/{training,validation}`.
    Rule 5 on a folder above the trial: exp_run, exp_run_0, exp_run_1 are repeats."""
    for e, exp in enumerate(
        ("experiment_run", "experiment_run_0", "experiment_run_1", "big_run", "big_run_0")
    ):
        for split in ("training", "validation"):
            off = 0.2 if split == "validation" else 0.0
            events(root / "results" / exp / "model" / "logs" / split,
                   [(s, scalar("combined/loss", loss(0.01 if "big" in exp else 0.1, e, s, off))) for s in range(3)])  # fmt: skip
    return Expect(
        metric="combined/loss", trials=5, default_by=["label.1"], split="validation",
        splits={"train", "validation"}, sizes=[2, 3], group=["experiment_run"],
        members=[(f"results/{e}/model/logs/validation", "combined/loss")
                 for e in ("experiment_run", "experiment_run_0", "experiment_run_1")],
    )  # fmt: skip


def cleanrl(root) -> Expect:
    """CleanRL (reproduced from cleanrl/ppo.py: `run_name = f"{env_id}__{exp_name}__{seed}__{int(time.time())}"`,
    `SummaryWriter(f"runs/{run_name}")`). Rule 6: labels env and algorithm, seed, time."""
    start = 1_790_000_000
    for exp, base in (("ppo", 300.0), ("dqn", 200.0)):
        for seed in (1, 2, 3):
            events(root / f"CartPole-v1__{exp}__{seed}__{start}",
                   [(i * 5000, scalar("charts/episodic_return", base * i / 4 + 5 * seed)) for i in range(1, 5)])  # fmt: skip
            start += 600
    return Expect(
        metric="charts/episodic_return", trials=6, default_by=["label.1"], split=None,
        splits={None}, sizes=[3, 3], group=["ppo"],
        members=[(f"CartPole-v1__ppo__{s}__{1_790_000_000 + 600 * (s - 1)}", "charts/episodic_return")
                 for s in (1, 2, 3)],
    )  # fmt: skip


def tianshou(root) -> Expect:
    """Tianshou (reproduced from examples/mujoco/mujoco_sac.py: `log_path = os.path.join(args.logdir,
    args.task, "sac", str(args.seed), now)`, `now = datetime.now().strftime("%y%m%d-%H%M%S")`).
    Rule 7: the bare integer is the seed, never a grouping; the algorithm groups."""
    for a, algo in enumerate(("sac", "td3")):
        for seed in (0, 1):
            stamp = f"26112{seed}-1{a}1500"
            items = []
            for step in (1000, 2000, 3000):
                items += [(step, scalar("train/reward", step / 10 + 100 * a + seed)),
                          (step, scalar("test/reward", step / 10 + 100 * a + seed + 5))]  # fmt: skip
            events(root / "Ant-v4" / algo / str(seed) / stamp, items)
    return Expect(
        metric="reward", trials=4, default_by=["path.1"], split="test", splits={"train", "test"},
        sizes=[2, 2], group=["td3"],
        members=[(f"Ant-v4/td3/{s}/26112{s}-111500", "test/reward") for s in (0, 1)],
    )  # fmt: skip


def numbered_folders(root) -> Expect:
    """Near miss of rule 7: numbered folders under one config are runs, not seeds."""
    for n in (1, 2):
        events(root / "exp" / str(n), [(s, scalar("loss", loss(0.1, n, s))) for s in range(3)])
    return Expect(
        metric="loss", trials=2, default_by=["path.1"], split=None, splits={None},
        sizes=[1, 1], group=["2"], members=[("exp/2", "loss")],
    )  # fmt: skip


def t5x(root) -> Expect:
    """T5X (reproduced from t5x/trainer.py `MetricsManager`, clu's `create_default_writer`):
    `<model_dir>/train`, `<model_dir>/training_eval/<task>`, `<model_dir>/inference_eval/<task>`.
    Rule 8: writers below a trial through folders without events."""
    task = "glue_cola_v002"
    for lr in (0.001, 0.0003):
        for seed in (1, 2):
            job = root / f"lr={lr},seed={seed}"
            off = lr * 50 + 0.01 * seed
            events(job / "train", [(s, scalar("loss", 2.0 - s / 2000 + off)) for s in (1000, 2000)])
            events(
                job / "training_eval" / task,
                [(s, scalar("loss", 2.2 - s / 2000 + off)) for s in (1000, 2000)],
            )
            events(
                job / "inference_eval" / task,
                [(s, scalar("eval/accuracy", 0.6 + off)) for s in (1000, 2000)],
            )
    return Expect(
        metric="loss", trials=4, default_by=["param.lr"], split="train",
        splits={"train", f"training_eval/{task}"}, sizes=[2, 2], group=[0.001],
        members=[(f"lr=0.001,seed={s}/train", "loss") for s in (1, 2)],
    )  # fmt: skip


def cleanrl_look_alikes(root) -> Expect:
    """Near miss of rule 6: four `__` fields whose third is no integer or whose fourth is no
    Unix time are names, not CleanRL's env, experiment, seed and time."""
    for i, name in enumerate(
        (
            "CartPole-v1__ppo__base__1790000000",
            "CartPole-v1__ppo__1__final",
            "CartPole-v1__dqn__2__v2",
        )
    ):
        events(root / name, [(s, scalar("loss", loss(0.01, i, s))) for s in range(3)])
    return Expect(
        metric="loss", trials=3, default_by=["path.0"], split=None, splits={None},
        sizes=[1, 1, 1], group=["CartPole-v1__ppo__1__final"],
        members=[("CartPole-v1__ppo__1__final", "loss")],
    )  # fmt: skip


def rank_look_alikes(root) -> Expect:
    """Near miss of rule 10: children named like ranks but without a number (`worker_a`) or
    with another word (`ranking_1`) are trials of their own, not writers of their parent."""
    for i, name in enumerate(("worker_a", "worker_b", "ranking_1")):
        events(root / "job" / name, [(s, scalar("loss", loss(0.01, i, s))) for s in range(3)])
    return Expect(
        metric="loss", trials=3, default_by=["path.1"], split=None, splits={None},
        sizes=[1, 1, 1], group=["worker_a"], members=[("job/worker_a", "loss")],
    )  # fmt: skip


def torchtitan(root) -> Expect:
    """torchtitan with `metrics.save_for_all_ranks` (reproduced from torchtitan/components/metrics.py):
    `<dump_folder>/tb/<%Y%m%d-%H%M>/rank_<N>`. Rule 10: ranks are writers of one trial, read from
    the lowest rank."""
    tag = "loss_metrics/global_avg_loss"
    for lr in (0.001, 0.0003):
        for seed in (1, 2):
            for rank in range(4):
                events(root / f"lr={lr},seed={seed}" / "tb" / f"2026112{seed}-1000" / f"rank_{rank}",
                       [(s, scalar(tag, loss(lr, seed, s))) for s in (10, 20, 30)])  # fmt: skip
    return Expect(
        metric=tag, trials=4, default_by=["param.lr"], split=None,
        splits={None, "rank_1", "rank_2", "rank_3"}, sizes=[2, 2], group=[0.001],
        members=[(f"lr=0.001,seed={s}/tb/2026112{s}-1000/rank_0", tag) for s in (1, 2)],
    )  # fmt: skip


def _lightning_version(root, n, hparams, epochs, wall0) -> None:
    items = [(0, s) for s in torch_hparams(hparams, {"hp_metric": -1})]
    items.append((0, scalar("hp_metric", -1.0)))
    for epoch in epochs:
        acc = round(0.8 + hparams["lr"] + 0.01 * epoch + 0.003 * hparams.get("seed", n), 6)
        items.append((100 * epoch + 99, scalar("val_acc", acc)))
    events_at(root / "lightning_logs" / f"version_{n}", items, wall0)


def lightning_resume(root) -> Expect:
    """Lightning resumed from a checkpoint (`trainer.fit(ckpt_path=...)` starts a new `version_N`,
    reproduced from lightning/pytorch/loggers/tensorboard.py). Rule 11: version_4 resumes version_1
    (same hparams, its steps after the other's last): one trial, the later values win."""
    plan = [((0.01, 1), range(6)), ((0.01, 2), range(3)), ((0.1, 1), range(6)), ((0.1, 2), range(6)),
            ((0.01, 2), range(3, 6))]  # fmt: skip
    for n, ((lr, seed), epochs) in enumerate(plan):
        _lightning_version(root, n, {"lr": lr, "seed": seed, "hidden": 32}, epochs, WALL + 1000 * n)
    return Expect(
        metric="val_acc", trials=4, default_by=["param.lr"], split=None,
        splits={None, "version_1"}, sizes=[2, 2], group=[0.01],
        members=[(f"lightning_logs/version_{v}", "val_acc") for v in (0, 4)],
    )  # fmt: skip


def lightning_repeats(root) -> Expect:
    """Near miss of rule 11: two runs with the same hparams (no seed recorded) whose steps
    overlap are repeats, not a resume, even run one after the other."""
    for n, lr in enumerate((0.01, 0.01, 0.1, 0.1)):
        _lightning_version(root, n, {"lr": lr, "hidden": 32}, range(3), WALL + 1000 * n)
    return Expect(
        metric="val_acc", trials=4, default_by=["param.lr"], split=None, splits={None},
        sizes=[2, 2], group=[0.01],
        members=[(f"lightning_logs/version_{v}", "val_acc") for v in (0, 1)],
    )  # fmt: skip


def sample_factory(root) -> Expect:
    """Sample Factory (reproduced from sample_factory/launcher/run_description.py and
    utils/utils.py `summaries_dir`): `<run>/<NN>_<base>_see_<seed>_env_<env>/.summary/<policy>`.
    Rule 12: shorthand names (`see` is the seed); the hidden `.summary` folder holds writers."""
    idx = 0
    for seed in (0, 1111, 2222):
        for env, base in (("mujoco_ant", 3000.0), ("mujoco_hopper", 2400.0)):
            exp = f"{idx:02d}_mujoco_all_envs_see_{seed}_env_{env}"
            idx += 1
            events(root / "mujoco_all_envs_" / exp / ".summary" / "0",
                   [(n * 50_000, scalar("reward/reward", base * n / 4 + seed / 100)) for n in range(1, 5)])  # fmt: skip
    return Expect(
        metric="reward/reward", trials=6, default_by=["param.env"], split=None, splits={None},
        sizes=[3, 3], group=["mujoco_ant"],
        members=[(f"mujoco_all_envs_/{i:02d}_mujoco_all_envs_see_{s}_env_mujoco_ant/.summary/0", "reward/reward")
                 for i, s in ((0, 0), (2, 1111), (4, 2222))],
    )  # fmt: skip


LAYOUTS = {
    f.__name__: f
    for f in (
        keras,
        tensorboardx_add_hparams,
        tensorboardx_add_scalars,
        torch_summary_writer,
        hugging_face,
        lightning,
        stable_baselines3,
        fairseq,
        hydra_multirun,
        ray_tune,
        ultralytics,
        openmmlab,
        hparams_tutorial,
        yolov5,
        model_names_with_numbers,
        ludwig,
        cleanrl,
        cleanrl_look_alikes,
        tianshou,
        numbered_folders,
        t5x,
        torchtitan,
        rank_look_alikes,
        lightning_resume,
        lightning_repeats,
        sample_factory,
    )
}


# --- reading back, independently --------------------------------------------------------------


def last_value(run_dir, tag: str) -> float:
    """The last value written for `tag` in a run directory's own event files."""
    from tensorboard.backend.event_processing import event_file_loader

    found = None
    for name in sorted(os.listdir(run_dir)):
        if "tfevents" not in name:
            continue
        for event in event_file_loader.LegacyEventFileLoader(os.path.join(run_dir, name)).Load():
            for value in event.summary.value:
                if value.tag != tag:
                    continue
                if value.HasField("tensor"):
                    found = float(tensor_util.make_ndarray(value.tensor).item())
                else:
                    found = float(value.simple_value)
    assert found is not None, (run_dir, tag)
    return found


def runs_in(root) -> int:
    return sum(any("tfevents" in f for f in files) for _, _, files in os.walk(root))


# --- fixtures ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    base = tmp_path_factory.mktemp("layouts")
    out = {}
    for name, build in LAYOUTS.items():
        root = base / name
        root.mkdir()
        out[name] = (root, build(root))
    return out


@pytest.fixture(scope="module", params=["python", "rust"])
def apps(request, corpus):
    opened = {}

    def get(name):
        if name not in opened:
            root, expect = corpus[name]
            a = App(str(root), request.param)
            n = runs_in(root)
            a.wait_for(lambda: len(a.json("/runs")["runs"]) >= n)
            a.wait_for(lambda: expect.metric in {t["tag"] for t in a.json("/tags")["tags"]})
            opened[name] = a
        return opened[name]

    get.loader = request.param
    yield get
    for a in opened.values():
        a.close()


# --- the checks -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(LAYOUTS))
def test_layout_groups_end_to_end(name, corpus, apps):
    root, expect = corpus[name]
    app = apps(name)
    body = app.json("/groups", metric=expect.metric)
    assert body["trials"] == expect.trials, [
        m["trial"] for g in body["groups"] for m in g["members"]
    ]
    assert body["by"] == expect.default_by
    assert body["split"] == expect.split
    assert [g["size"] for g in body["groups"]] == expect.sizes, [g["label"] for g in body["groups"]]

    tags = {t["tag"]: t for t in app.json("/tags")["tags"]}
    assert {s["split"] for s in tags[expect.metric]["splits"]} == expect.splits

    (group,) = [g for g in body["groups"] if g["values"] == expect.group]
    wanted = sorted(run for run, _ in expect.members)
    assert sorted(m["run"] for m in group["members"]) == wanted
    values = [last_value(root / run, tag) for run, tag in expect.members]
    stats = group["stats"]
    assert stats["count"] == len(values)
    assert stats["mean"] == pytest.approx(float(np.mean(values)), rel=1e-6)
    if len(values) > 1:
        assert stats["std"] == pytest.approx(float(np.std(values, ddof=1)), rel=1e-5, abs=1e-9)
    assert all(m["value"] is not None for g in body["groups"] for m in g["members"])

    # The command line prints the route's own answer.
    printed = json.loads(cli.ls(str(root), metric=expect.metric, fmt="json"))
    assert printed == json.loads(json.dumps(body))


def test_stable_baselines3_curve_averages_seeds_logged_at_different_steps(corpus, apps):
    app = apps("stable_baselines3")
    body = app.json("/curves", metric="rollout/ep_rew_mean", by="lr")
    curve = body["curves"][0]["curve"]
    counts = curve["count"]
    assert max(counts) == 2 and sum(c == 2 for c in counts) / len(counts) > 0.8


@pytest.mark.parametrize(
    ("name", "metric", "split", "runs"),
    [
        # A split from tag names: metric `Loss`, split `validation` reads `Loss/val`.
        ("torch_summary_writer", "Loss", "validation", "runs/Nov20_10-00-01_node"),
        # add_scalars children: metric `Acc`, split `train` reads `<run>/Acc_train`.
        ("torch_summary_writer", "Acc", "train", "runs/Nov20_10-00-01_node/Acc_train"),
        # A helper writer is a split of its own name.
        ("fairseq", "loss", "train_inner", "lr=1e-3,seed=1/train_inner"),
        # add_hparams' metric lives in its child, the split `hparams`.
        (
            "torch_summary_writer",
            "hparam/acc",
            "hparams",
            "runs/Nov20_10-00-01_node/1763600000.123456",
        ),
        # The exact tag names the metric too.
        ("torch_summary_writer", "Loss/train", None, "runs/Nov20_10-00-01_node"),
    ],
)
def test_a_request_names_a_metric_and_its_split(corpus, apps, name, metric, split, runs):
    app = apps(name)
    query = {"metric": metric, "by": ""}
    if split is not None:
        query["split"] = split
    body = app.json("/groups", **query)
    members = body["groups"][0]["members"]
    assert runs in {m["run"] for m in members}
    assert all(m["value"] is not None for m in members)


def test_an_unknown_split_is_a_400_that_lists_the_splits(apps):
    response = apps("fairseq").get("/groups", metric="loss", split="bogus")
    assert response.status_code == 400
    assert "train_inner" in response.get_data(as_text=True)


def test_the_hparams_config_run_is_no_trial(apps):
    app = apps("hparams_tutorial")
    runs = {r["run"]: r for r in app.json("/runs")["runs"]}
    assert runs["hparam_tuning"]["trial"] is None
    assert "hparam_tuning" not in {t["trial"] for t in app.json("/runs")["trials"]}
    assert app.json("/run", run="hparam_tuning")["trial_runs"] == []


@pytest.mark.parametrize("loader", ["python", "rust"])
def test_the_demo_groups_its_grid_by_seeds_through_the_layout_step(quick_demo, loader):
    """The demo's Keras grid (`<params>/run_<time>/{train,validation,.rungroups}`), its
    tutorial, Hydra and torch runs: each grid configuration is one group of its seeds."""
    a = App(quick_demo.logdir, loader)
    try:
        grid = {os.path.relpath(d, quick_demo.logdir) for d in quick_demo.grid}
        a.wait_for(lambda: {t["trial"] for t in a.json("/runs")["trials"]} >= grid)
        a.wait_for(lambda: "epoch_loss" in {t["tag"] for t in a.json("/tags")["tags"]})
        body = a.json("/groups", metric="epoch_loss")
        assert body["by"][:2] == ["param.lr", "param.bs"] and "param.seed" not in body["by"]
        for group in body["groups"]:
            trials = {m["trial"] for m in group["members"]}
            assert trials <= grid or not trials & grid
            if trials & grid:
                assert len(trials) == 2 and group["stats"]["count"] == 2
        assert sum(bool({m["trial"] for m in g["members"]} & grid) for g in body["groups"]) == 2
        # The torch run's `Loss/train` and `Loss/validation` tags are the metric `Loss`.
        loss = a.json("/groups", metric="Loss", by="")
        assert loss["split"] == "validation" and loss["groups"][0]["stats"]["count"] == 1
    finally:
        a.close()


# --- every run says how it was read (SPEC §4b) -----------------------------------------------


@pytest.mark.parametrize(
    ("name", "run", "field", "rule", "trial_rule"),
    [
        ("yolov5", "baseline2", "param.run", "layout: tool counter", None),
        ("ludwig", "results/experiment_run_0/model/logs/validation", "param.run",
         "layout: tool counter", "layout: split validation"),
        ("cleanrl", "CartPole-v1__dqn__2__1790002400", "param.seed", "name: CleanRL", None),
        ("tianshou", "Ant-v4/sac/1/261121-101500", "param.seed", "layout: seed folder", None),
        ("sample_factory", "mujoco_all_envs_/03_mujoco_all_envs_see_1111_env_mujoco_hopper/.summary/0",
         "param.env", "layout: shorthand name", "layout: writer in a hidden folder (the first: read by default)"),
        ("torchtitan", "lr=0.001,seed=1/tb/20261121-1000/rank_2", "param.lr", "name: key=value",
         "layout: rank writer"),
        ("t5x", "lr=0.001,seed=1/training_eval/glue_cola_v002", "param.lr", "name: key=value",
         "layout: writer below a trial"),
        ("lightning_resume", "lightning_logs/version_4", "param.lr", "hparams",
         "layout: resume of lightning_logs/version_1 (the latest: its values win)"),
    ],
)  # fmt: skip
def test_runs_say_how_they_were_read(apps, name, run, field, rule, trial_rule):
    app = apps(name)
    runs = {r["run"]: r for r in app.json("/runs")["runs"]}
    read = runs[run]["read"]
    assert set(read) == {"fields", "trial", "fix"}
    rules = {f["field"]: f["rule"] for f in read["fields"]}
    assert rules[field] == rule, read
    assert read["trial"]["trial"] == runs[run]["trial"]
    assert read["trial"]["rule"] == trial_rule
    trial = next(t for t in app.json("/runs")["trials"] if t["trial"] == runs[run]["trial"])
    assert sorted(read["trial"]["joined"]) == sorted(r for r in trial["runs"] if r != run)
    if rule.startswith("layout:") or (trial_rule or "").startswith(("layout: rank", "layout: res")):
        assert read["fix"].startswith("--rungroups_pattern '^(?P<trial>")
    # The run panel's `/run` says the same; the tab's `/runs?read=false` leaves it out.
    assert app.json("/run", run=run)["read"] == read
    unread = app.json("/runs", read="false")
    assert [r["run"] for r in unread["runs"]] == list(runs)
    assert all("read" not in r for r in unread["runs"])
    assert [{**r, "read": read} for r in unread["runs"] if r["run"] == run] == [runs[run]]


def test_the_fix_line_changes_the_reading(corpus):
    """`tb-rungroups explain` names the tool counter of YOLOv5's baseline2 and the one line that
    undoes it; with that line, baseline2 is a group of its own."""
    root, _ = corpus["yolov5"]
    text = cli.explain(str(root), "baseline2")
    assert "param.run  2  <- layout: tool counter" in text
    assert "label.0    baseline  <- layout: tool counter" in text
    fix = next(line for line in text.splitlines() if line.startswith("fix"))
    pattern = fix.split("--rungroups_pattern ", 1)[1].strip("'")
    assert pattern == "^(?P<trial>baseline2)$"
    read = json.loads(cli.explain(str(root), "baseline2", fmt="json"))
    assert read["trial"] == {"trial": "baseline2", "rule": None, "joined": []}
    fixed = json.loads(cli.ls(str(root), metric="metrics/mAP_0.5", fmt="json", patterns=[pattern]))
    # baseline2 is its own group; baseline and baseline3 no longer make an unbroken count.
    assert sorted(g["size"] for g in fixed["groups"]) == [1, 1, 1, 3]
    assert [m["trial"] for g in fixed["groups"] for m in g["members"] if g["size"] == 1] == [
        "baseline",
        "baseline2",
        "baseline3",
    ]
    with pytest.raises(cli.CliError, match="no run named"):
        cli.explain(str(root), "nope")


def test_explain_on_the_command_line(corpus, capsys, tmp_path):
    """`tb-rungroups explain` prints the reading, exits 1 for an unknown run and 2 for a bad
    directory or pattern, with one clear line."""
    root, _ = corpus["torchtitan"]
    run = "lr=0.001,seed=2/tb/20261122-1000/rank_3"
    assert cli.main(["explain", str(root), run]) == 0
    out = capsys.readouterr().out
    assert "trial    lr=0.001,seed=2/tb/20261122-1000: layout: rank writer" in out
    assert "param.lr    0.001  <- name: key=value" in out
    assert f"fix      --rungroups_pattern '^(?P<trial>{re.escape(run)})$'" in out
    assert cli.main(["explain", str(root), "no/such/run"]) == cli.EXIT_NO_RUNS
    assert "no run named" in capsys.readouterr().err
    assert cli.main(["explain", str(tmp_path / "missing"), "x"]) == cli.EXIT_USAGE
    assert "no such directory" in capsys.readouterr().err
    assert cli.main(["explain", str(root), run, "--pattern", "(?P<x"]) == cli.EXIT_USAGE


def test_a_resumed_training_reads_as_one_series(corpus, apps):
    """Rule 11: version_4 resumes version_1; the trial's series is version_1's points before
    version_4's first step, then version_4's: its min is version_1's first value, its last
    version_4's, and its curve spans both."""
    root, _ = corpus["lightning_resume"]
    app = apps("lightning_resume")
    before = _values(root / "lightning_logs" / "version_1", "val_acc")
    after = _values(root / "lightning_logs" / "version_4", "val_acc")
    joined = [v for s, v in before if s < after[0][0]] + [v for _, v in after]
    body = app.json("/groups", metric="val_acc", by="", reduction="min")
    (member,) = [
        m for m in body["groups"][0]["members"] if m["trial"] == "lightning_logs/version_1"
    ]
    assert member["run"] == "lightning_logs/version_4"
    assert member["value"] == pytest.approx(min(joined))
    last = app.json("/groups", metric="val_acc", by="", reduction="last")
    (member,) = [
        m for m in last["groups"][0]["members"] if m["trial"] == "lightning_logs/version_1"
    ]
    assert member["value"] == pytest.approx(joined[-1])


def _values(run_dir, tag: str) -> list[tuple[int, float]]:
    """`(step, value)` of `tag` in a run directory's own event files, read independently."""
    from tensorboard.backend.event_processing import event_file_loader

    found = []
    for name in sorted(os.listdir(run_dir)):
        if "tfevents" in name:
            for event in event_file_loader.LegacyEventFileLoader(str(run_dir / name)).Load():
                found += [
                    (event.step, float(v.simple_value)) for v in event.summary.value if v.tag == tag
                ]
    return sorted(found)
