"""Tests for tb_plugin.naming: every convention, every ambiguity rule, totality, round trips.

Names come from the real libraries where that is cheap (tensorboardX's SummaryWriter,
Hydra's packaged output config and a real Hydra multirun); Ray Tune is too heavy to
install, so its naming is reproduced below from its source.
"""

from __future__ import annotations

import datetime
import math
import os
import re
import socket
import subprocess
import sys
import time

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from tb_plugin import naming

NOW = datetime.datetime(2026, 11, 27, 12, 0, 0)
DT = datetime.datetime


def parse(name, patterns=(), now=NOW):
    return naming.parse_run_name(name, patterns, now=now)


# Moments used to generate names in several formats.
MOMENTS = [
    DT(2019, 6, 7, 15, 15, 22),
    DT(2019, 6, 6, 12, 12, 12),
    DT(2020, 2, 29, 0, 0, 0),
    DT(2021, 1, 1, 0, 0, 1),
    DT(2021, 12, 31, 23, 59, 59),
    DT(2022, 7, 4, 9, 5, 3),
    DT(2023, 5, 1, 18, 30, 0),
    DT(2024, 2, 29, 23, 1, 2),
    DT(2025, 10, 10, 10, 10, 10),
    DT(2026, 11, 27, 1, 29, 5),
    DT(2000, 1, 31, 7, 45, 59),
]


# ---------------------------------------------------------------------------------------------
# The RunName value


def test_runname_fields_and_order():
    r = parse("exp1/lr=0.01,bs=32/seed_3/train")
    assert r == naming.RunName(
        run="exp1/lr=0.01,bs=32/seed_3/train",
        trial="exp1/lr=0.01,bs=32/seed_3",
        split="train",
        time=None,
        params={"lr": 0.01, "bs": 32, "seed": 3},
        labels=("exp1",),
    )
    assert list(r.params) == ["lr", "bs", "seed"]
    assert hash(r) == hash(parse("exp1/lr=0.01,bs=32/seed_3/train"))
    with pytest.raises(dataclasses_frozen_error()):
        r.run = "x"  # type: ignore[misc]


def dataclasses_frozen_error():
    import dataclasses

    return dataclasses.FrozenInstanceError


def test_repeat_keys():
    expected = frozenset({"seed", "rep", "repeat", "trial", "version", "fold", "run"})
    assert sorted(naming.REPEAT_KEYS) == sorted(expected)


# ---------------------------------------------------------------------------------------------
# parse_value


@pytest.mark.parametrize(
    "text, expected",
    [
        ("32", 32),
        ("-1", -1),
        ("007", 7),
        ("0", 0),
        ("0.01", 0.01),
        ("1e-3", 0.001),
        ("1.5e+00", 1.5),
        ("1E5", 100000.0),
        (".5", 0.5),
        ("2.", 2.0),
        ("-0.5", -0.5),
        ("true", True),
        ("False", False),
        ("TRUE", True),
        ("adam", "adam"),
        ("", ""),
        ("1_000", "1_000"),
        (" 1", " 1"),
        ("0x10", "0x10"),
        ("١٢", "١٢"),
        ("yes", "yes"),
        ("1e", "1e"),
        ("1.2.3", "1.2.3"),
    ],
)
def test_parse_value(text, expected):
    got = naming.parse_value(text)
    assert got == expected and type(got) is type(expected)


@pytest.mark.parametrize("text", ["nan", "NaN", "-nan", "inf", "-inf", "Inf", "infinity"])
def test_parse_value_non_finite(text):
    got = naming.parse_value(text)
    assert type(got) is float and not math.isfinite(got)


def test_parse_value_huge_int_stays_text():
    text = "9" * 5000  # more digits than int() converts by default
    limit = sys.get_int_max_str_digits()
    assert naming.parse_value(text) == (text if 0 < limit < 5000 else int(text))


# ---------------------------------------------------------------------------------------------
# key=value lists


@pytest.mark.parametrize(
    "name, params, labels",
    [
        ("lr=0.01,bs=32", {"lr": 0.01, "bs": 32}, ()),
        ("lr=1e-3_opt=adam_w", {"lr": 0.001, "opt": "adam_w"}, ()),
        ("lr=0.1_batch_size=32", {"lr": 0.1, "batch_size": 32}, ()),
        ("opt=adam_w_lr=0.1", {"opt": "adam", "w_lr": 0.1}, ()),
        ("opt=adamw_lr=0.1", {"opt": "adamw", "lr": 0.1}, ()),
        ("lr=0.1;bs=64;opt=sgd", {"lr": 0.1, "bs": 64, "opt": "sgd"}, ()),
        ("lr=0.1+bs=64", {"lr": 0.1, "bs": 64}, ()),
        ("lr=0.1 bs=64", {"lr": 0.1, "bs": 64}, ()),
        ("lr=0.1-bs=64", {"lr": 0.1, "bs": 64}, ()),
        ("lr=1.5e+00+bs=3", {"lr": 1.5, "bs": 3}, ()),
        ("exp1/lr=0.01/seed=3", {"lr": 0.01, "seed": 3}, ("exp1",)),
        ("opt.lr=0.1,model.depth=50", {"opt.lr": 0.1, "model.depth": 50}, ()),
        ("gpu-node-7 lr=0.01 bs=32", {"lr": 0.01, "bs": 32}, ("gpu-node-7",)),
        ("gpu-node-7_lr=0.01", {"lr": 0.01}, ("gpu-node-7",)),
        ("bert-base-uncased_lr=2e-5", {"lr": 2e-05}, ("bert-base-uncased",)),
        ("seed_3_lr=0.1", {"seed": 3, "lr": 0.1}, ()),
        ("run_3_lr=0.1", {"run": 3, "lr": 0.1}, ()),
        ("batch_size=32", {"batch_size": 32}, ()),
        ("layer1_units=64", {"layer1_units": 64}, ()),
        ("wd=-1_lr=0.1", {"wd": -1, "lr": 0.1}, ()),
        ("amp=True,ema=false", {"amp": True, "ema": False}, ()),
        ("lr=nan,clip=inf", {"lr": None, "clip": None}, ()),  # checked below: non-finite
        ("lr=0.1_seed_3", {"lr": 0.1, "seed": 3}, ()),
        ("lr=0.1_seed_3_bs=32", {"lr": 0.1, "seed": 3, "bs": 32}, ()),
        ("name=run_1", {"name": "run_1"}, ()),
        ("opt=adam_seed_3", {"opt": "adam_seed_3"}, ()),
        ("_private=1", {"_private": 1}, ()),
        ("学习率=0.1,批次=32", {"学习率": 0.1, "批次": 32}, ()),
    ],
)
def test_key_value(name, params, labels):
    r = parse(name)
    if None in params.values():
        assert list(r.params) == list(params)
        assert all(isinstance(v, float) and not math.isfinite(v) for v in r.params.values())
    else:
        assert r.params == params
        assert [type(v) for v in r.params.values()] == [type(v) for v in params.values()]
    assert r.labels == labels
    assert r.time is None


@pytest.mark.parametrize(
    "name, params",
    [
        ("lr=", {}),
        ("lr=,bs=3", {"bs": 3}),
        ("lr=0.1,lr=0.2", {"lr": 0.2}),
        ("lr=0.1/lr=0.2/lr=0.3", {"lr": 0.3}),
        ("seed=1/seed_2", {"seed": 2}),
        ("a=b=c", {"a": "b=c"}),
        ("x==1", {"x": "=1"}),
    ],
)
def test_empty_values_dropped_and_last_wins(name, params):
    assert parse(name).params == params


def test_repeated_key_keeps_deepest_value_typed():
    r = parse("bs=32/lr=0.1/bs=64")
    assert r.params == {"bs": 64, "lr": 0.1}


@pytest.mark.parametrize(
    "name, params, labels",
    [
        ("=", {}, ("=",)),
        ("==", {}, ("==",)),
        ("=1", {}, ("=1",)),
        ("3=4", {}, ("3=4",)),
        ("-=x", {}, ("-=x",)),
        ("1_=2", {}, ("1_=2",)),
        ("a_=2", {"a_": 2}, ()),
        ("x=1_2_b=3", {"x": "1_2", "b": 3}, ()),
        ("my-exp_batch_size=32", {"batch_size": 32}, ("my-exp",)),
        ("exp_lr=0.1", {"exp_lr": 0.1}, ()),
        ("true_x=1", {"x": 1}, ("true",)),
        ("lr=0.1_final", {"lr": "0.1_final"}, ()),
        ("lr=0.1,0.2", {"lr": 0.1}, ("0.2",)),
    ],
)
def test_key_boundaries(name, params, labels):
    r = parse(name)
    assert (r.params, r.labels) == (params, labels)


# ---------------------------------------------------------------------------------------------
# Bracketed values


@pytest.mark.parametrize(
    "name, params, labels",
    [
        ("model.layers=[64,128],seed=1", {"model.layers": "[64,128]", "seed": 1}, ()),
        ("model.layers=[64,256],seed=2", {"model.layers": "[64,256]", "seed": 2}, ()),
        ("x=(1,2)_lr=0.1", {"x": "(1,2)", "lr": 0.1}, ()),
        ("d={a:1,b:[2,3]},seed=2", {"d": "{a:1,b:[2,3]}", "seed": 2}, ()),
        ("x=[[1,2],[3]]", {"x": "[[1,2],[3]]"}, ()),
        ("x=[]", {"x": "[]"}, ()),
        ("a=[1],b=[2]", {"a": "[1]", "b": "[2]"}, ()),
        ("x=[a b;c+d]", {"x": "[a b;c+d]"}, ()),
        ("x=[1,2]_seed=1", {"x": "[1,2]", "seed": 1}, ()),
        ("x=[1,2]abc,seed=1", {"x": "[1,2]abc", "seed": 1}, ()),
        ("x=[1,2]],seed=1", {"x": "[1,2]]", "seed": 1}, ()),  # a stray close is text
        ("x=[1,2]_1", {"x": "[1,2]_1"}, ()),  # a string, so "_1" is no run counter
        # Timestamps and index words inside a value are part of it.
        ("x=[2019-06-07,seed_3]", {"x": "[2019-06-07,seed_3]"}, ()),
        ("exp1 x=[1,2] seed_3", {"x": "[1,2]", "seed": 3}, ("exp1",)),
    ],
)
def test_bracketed_values(name, params, labels):
    r = parse(name)
    assert (r.params, r.labels, r.time) == (params, labels, None)


def test_hydra_list_override_groups():
    # /work/shared/cases/layout13: Hydra's override_dirname keeps list values verbatim.
    names = [
        f"multirun/2026-11-20/10-00-00/model.layers={v},seed={s}"
        for v in ("[64,128]", "[64,256]")
        for s in (1, 2)
    ]
    got = [parse(n) for n in names]
    assert [r.params for r in got] == [
        {"model.layers": "[64,128]", "seed": 1},
        {"model.layers": "[64,128]", "seed": 2},
        {"model.layers": "[64,256]", "seed": 1},
        {"model.layers": "[64,256]", "seed": 2},
    ]
    assert all(r.time == DT(2026, 11, 20, 10) and r.labels == ("multirun",) for r in got)


@pytest.mark.parametrize(
    "name, params, labels",
    [
        # Unbalanced or mismatched: plain text, ended by the usual separators; what
        # follows is read as usual.
        ("x=[64,128,seed=1", {"x": "[64", "seed": 1}, ("128",)),
        ("x=(1,2", {"x": "(1"}, ("2",)),
        ("x=[1,2)", {"x": "[1"}, ("2)",)),
        ("x=64,128]", {"x": 64}, ("128]",)),
        ("x=[1,(2]),y=3", {"x": "[1", "y": 3}, ("(2])",)),
        # Only a value opens a bracket: in free text and keys they are plain characters.
        ("tag[1,2]", {}, ("tag[1", "2]")),
        ("a[1,2]=3", {}, ("a[1", "2]=3")),
        ("x=a[1,2]", {"x": "a[1"}, ("2]",)),
        # A private-use character in the name: brackets are read as plain text.
        ("x=[1,2]\ue000", {"x": "[1"}, ("2]\ue000",)),
    ],
)
def test_unbalanced_brackets_are_plain_text(name, params, labels):
    r = parse(name)
    assert (r.params, r.labels) == (params, labels)


# ---------------------------------------------------------------------------------------------
# Run counters


@pytest.mark.parametrize(
    "name, params, labels",
    [
        # stable-baselines3: f"{tb_log_name}_{n}" for repeated learn() calls.
        ("lr=0.001_1", {"lr": 0.001, "run": 1}, ()),
        ("lr=0.001_2", {"lr": 0.001, "run": 2}, ()),
        ("lr=0.001-3", {"lr": 0.001, "run": 3}, ()),
        ("lr=0.001_0", {"lr": 0.001, "run": 0}, ()),
        ("bs=32_1", {"bs": 32, "run": 1}, ()),
        ("bs=32_64", {"bs": 32, "run": 64}, ()),  # an int then "_N" is a counter too
        ("lr=1e-3_2", {"lr": 0.001, "run": 2}, ()),
        ("x=1-2", {"x": 1, "run": 2}, ()),
        ("wd=-1_4", {"wd": -1, "run": 4}, ()),
        ("lr=0.1,bs=32_3", {"lr": 0.1, "bs": 32, "run": 3}, ()),
        ("lr=0.1_batch_size=32_2", {"lr": 0.1, "batch_size": 32, "run": 2}, ()),
        ("x=1_2_b=3_4", {"x": "1_2", "b": 3, "run": 4}, ()),
        ("x=[1,2],lr=0.1_1", {"x": "[1,2]", "lr": 0.1, "run": 1}, ()),
        ("ppo/lr=0.001_1", {"lr": 0.001, "run": 1}, ("ppo",)),
        ("lr=0.001_1/seed_3", {"lr": 0.001, "run": 1, "seed": 3}, ()),
        ("Nov27_01-29-05_host lr=0.1_1", {"lr": 0.1, "run": 1}, ("host",)),
        # SB3's default tb_log_name is the algorithm's name: a closed list.
        ("PPO_1", {"run": 1}, ("PPO",)),
        ("PPO_2", {"run": 2}, ("PPO",)),
        ("A2C_10", {"run": 10}, ("A2C",)),
        ("TD3_1", {"run": 1}, ("TD3",)),
        ("RecurrentPPO_3", {"run": 3}, ("RecurrentPPO",)),
        ("sac_1", {"run": 1}, ("sac",)),
        ("logs/DQN_4", {"run": 4}, ("logs", "DQN")),
        ("run_1", {"run": 1}, ()),  # SB3's base-class default, an index word already
    ],
)
def test_run_counters(name, params, labels):
    r = parse(name)
    assert (r.params, r.labels) == (params, labels)
    assert [type(v) for v in r.params.values()] == [type(v) for v in params.values()]


@pytest.mark.parametrize(
    "name, params, labels",
    [
        ("opt=adam_1", {"opt": "adam_1"}, ()),  # after a string: part of it
        ("amp=true_1", {"amp": "true_1"}, ()),  # a bool is not a number
        ("name=run_1", {"name": "run_1"}, ()),
        ("x=1_2_b=3", {"x": "1_2", "b": 3}, ()),  # not at the end of the segment
        ("lr=0.001_1,bs=32", {"lr": "0.001_1", "bs": 32}, ()),
        ("lr=0.1_01", {"lr": "0.1_01"}, ()),  # tools write counters as str(n)
        ("x=2019-06", {"x": "2019-06"}, ()),
        ("lr=0.1_1.5", {"lr": "0.1_1.5"}, ()),
        ("lr=0.1_-1", {"lr": "0.1_-1"}, ()),
        ("lr=0.1_1a", {"lr": "0.1_1a"}, ()),
        ("lr=_1", {"lr": "_1"}, ()),
        ("x=0x10_1", {"x": "0x10_1"}, ()),
        ("a=b=1_2", {"a": "b=1_2"}, ()),
        ("a=1,3=4_5", {"a": 1}, ("3=4_5",)),  # "4" is free text, not a's value
        ("lr=1e-3", {"lr": 0.001}, ()),  # an exponent is no counter
        ("lr=1.5e-05", {"lr": 1.5e-05}, ()),
        ("lr=0.1_seed_3", {"lr": 0.1, "seed": 3}, ()),  # an index word
        ("x=1_" + "9" * 101, {"x": "1_" + "9" * 101}, ()),
        # Numbers after other words are names, not counters.
        ("resnet_50", {}, ("resnet_50",)),
        ("vgg_16", {}, ("vgg_16",)),
        ("exp_2", {}, ("exp_2",)),
        ("seed_3_1", {}, ("seed_3_1",)),
        ("PPO-1", {}, ("PPO-1",)),
        ("PPO1", {}, ("PPO1",)),
        ("PPO_01", {}, ("PPO_01",)),
        ("MyPPO_1", {}, ("MyPPO_1",)),
        ("PPO_CartPole_1", {}, ("PPO_CartPole_1",)),
    ],
)
def test_run_counter_look_alikes(name, params, labels):
    r = parse(name)
    assert (r.params, r.labels) == (params, labels)


def test_run_counters_group_repeats():
    # The repeats of one configuration differ only in a repeat key.
    for names in (["PPO_1", "PPO_2", "PPO_3"], ["lr=0.001_1", "lr=0.001_2"]):
        got = [parse(f"tb/{n}") for n in names]
        assert len({(r.labels, frozenset(r.params.keys() - naming.REPEAT_KEYS)) for r in got}) == 1
        assert [r.params["run"] for r in got] == list(range(1, len(names) + 1))
        assert all(r.params.keys() - {"run"} <= {"lr"} for r in got)


def test_get_run_logdir_refuses_a_value_read_as_a_counter():
    with pytest.raises(ValueError, match="'x'"):
        naming.get_run_logdir("my_logs", x="0.1_1")


# ---------------------------------------------------------------------------------------------
# Index words


@pytest.mark.parametrize(
    "name, params, labels",
    [
        ("seed_3", {"seed": 3}, ()),
        ("version_3", {"version": 3}, ()),
        ("trial_12", {"trial": 12}, ()),
        ("fold-2", {"fold": 2}, ()),
        ("rep3", {"rep": 3}, ()),
        ("repeat_07", {"repeat": 7}, ()),
        ("run-1", {"run": 1}, ()),
        ("Seed_4", {"seed": 4}, ()),
        ("lightning_logs/version_3", {"version": 3}, ("lightning_logs",)),
        ("exp1_seed_3", {"seed": 3}, ("exp1",)),
        ("fold-6_rep4", {"fold": 6, "rep": 4}, ()),
        ("baseline_run2_final", {"run": 2}, ("baseline", "final")),
        ("cv/fold_0/seed_1", {"fold": 0, "seed": 1}, ("cv",)),
    ],
)
def test_index_words(name, params, labels):
    r = parse(name)
    assert r.params == params
    assert r.labels == labels


@pytest.mark.parametrize(
    "name",
    [
        "resnet50",
        "exp1",
        "sweep3",
        "v2",
        "b0",
        "yolov8n",
        "model-3d",
        "bert-base-uncased",
        "efficientnet-b0",
        "gpt2-medium",
        "myrun3",
        "seeds_3",
        "run3a",
        "seed_1.5",
        "run_1_2",
        "t5-small",
        "stage2",
        "vit_b16",
    ],
)
def test_look_alikes_stay_labels(name):
    r = parse(name)
    assert r.params == {}
    assert r.time is None
    assert r.labels == (name,)


# ---------------------------------------------------------------------------------------------
# Timestamps: Géron / Hands-On ML, TensorFlow tutorials, ISO-like


@pytest.mark.parametrize("when", MOMENTS)
def test_geron_helper_names(when):
    # The seed's helper: time.strftime("run_%Y_%m_%d-%H_%M_%S").
    name = "my_logs/" + time.strftime("run_%Y_%m_%d-%H_%M_%S", when.timetuple())
    r = parse(name)
    assert (r.time, r.params, r.labels) == (when, {}, ("my_logs", "run"))


@pytest.mark.parametrize("when", MOMENTS)
@pytest.mark.parametrize("split", ["train", "validation"])
def test_tensorflow_tutorial_names(when, split):
    # logs/fit/ + datetime.datetime.now().strftime("%Y%m%d-%H%M%S"), then Keras' splits.
    trial = "logs/fit/" + when.strftime("%Y%m%d-%H%M%S")
    r = parse(f"{trial}/{split}")
    assert (r.trial, r.split, r.time, r.params, r.labels) == (
        trial,
        split,
        when,
        {},
        ("logs", "fit"),
    )


@pytest.mark.parametrize("when", MOMENTS)
@pytest.mark.parametrize(
    "fmt",
    ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%d_%H-%M-%S", "%Y-%m-%d %H:%M:%S", "exp_%Y-%m-%dT%H-%M-%S"],
)
def test_iso_like_names(when, fmt):
    r = parse("runs/" + when.strftime(fmt))
    assert r.time == when
    assert r.params == {}


@pytest.mark.parametrize(
    "name, expected",
    [
        ("2019-06-07T15:15:22", DT(2019, 6, 7, 15, 15, 22)),
        ("2019-06-07T15:15:22.250", DT(2019, 6, 7, 15, 15, 22, 250000)),
        ("2019-06-07T15:15:22.123456789", DT(2019, 6, 7, 15, 15, 22, 123456)),
        ("2019-06-07T15:15:22Z", DT(2019, 6, 7, 15, 15, 22)),
        ("2019-06-07T15:15:22+02:00", DT(2019, 6, 7, 15, 15, 22)),
        ("2019-06-07_15-15-22", DT(2019, 6, 7, 15, 15, 22)),
        ("2023-05-01", DT(2023, 5, 1)),
        ("exp/2023-05-01", DT(2023, 5, 1)),
        ("run_2019_06_07-15_15_22", DT(2019, 6, 7, 15, 15, 22)),
        ("20190606-121212", DT(2019, 6, 6, 12, 12, 12)),
        ("fit_20190606-121212", DT(2019, 6, 6, 12, 12, 12)),
    ],
)
def test_timestamp_formats(name, expected):
    assert parse(name).time == expected


@pytest.mark.parametrize(
    "name, labels",
    [
        ("model_20190606", ("model_20190606",)),
        ("20190606", ("20190606",)),
        ("x2019-06-07", ("x2019-06-07",)),
        ("2019-06-07x", ("2019-06-07x",)),
        ("run_2019_13_45-15_15_22", ("run_2019_13_45-15_15_22",)),
        ("2019_13_45", ("2019_13_45",)),
        ("2019-02-30", ("2019-02-30",)),
        ("2019-06-07T25:00:00", ("2019-06-07T25:00:00",)),
        ("20191345-121212", ("20191345-121212",)),
        ("Feb30_01-29-05_host", ("Feb30_01-29-05_host",)),
    ],
)
def test_no_time(name, labels):
    r = parse(name)
    assert r.time is None
    assert r.params == {}
    assert r.labels == labels


def test_first_timestamp_wins():
    r = parse("2019-06-07_15-15-22/run_2020_01_01-00_00_00")
    assert r.time == DT(2019, 6, 7, 15, 15, 22)
    assert r.labels == ("run",)
    assert parse("a_20200101-000000_b_20210101-000000").time == DT(2020, 1, 1)


def test_timestamp_in_value_position_is_a_value():
    assert parse("date=2019-06-07").params == {"date": "2019-06-07"}
    assert parse("date=2019-06-07").time is None


def test_timestamp_ends_a_value():
    r = parse("name=foo_2019-06-07_15-15-22")
    assert r.params == {"name": "foo"}
    assert r.time == DT(2019, 6, 7, 15, 15, 22)


# ---------------------------------------------------------------------------------------------
# Hydra


HYDRA_JOBS = [(when, job) for job, when in enumerate(MOMENTS)]


def hydra_default_layout():
    """Hydra's packaged sweep layout: ("multirun/${now:...}/${now:...}", "${hydra.job.num}")."""
    import hydra  # the test extras install hydra-core: a missing one fails, never skips
    import omegaconf

    path = os.path.join(os.path.dirname(hydra.__file__), "conf", "hydra", "output", "default.yaml")
    conf = omegaconf.OmegaConf.to_container(omegaconf.OmegaConf.load(path), resolve=False)
    return conf["sweep"]["dir"], conf["sweep"]["subdir"]


def hydra_name(sweep_dir, subdir, when, job):
    text = f"{sweep_dir}/{subdir}"
    text = re.sub(r"\$\{now:([^}]*)\}", lambda m: when.strftime(m.group(1)), text)
    return text.replace("${hydra.job.num}", str(job))


@pytest.mark.parametrize("when, job", HYDRA_JOBS)
def test_hydra_layout_from_hydra_config(when, job):
    sweep_dir, subdir = hydra_default_layout()
    name = hydra_name(sweep_dir, subdir, when, job)
    assert name == f"multirun/{when:%Y-%m-%d}/{when:%H-%M-%S}/{job}"
    r = parse(name)
    assert (r.time, r.params, r.labels, r.split) == (when, {"job": job}, ("multirun",), None)


@pytest.mark.parametrize(
    "name, time_, params, labels",
    [
        ("multirun/2026-11-27/01-29-05/4", DT(2026, 11, 27, 1, 29, 5), {"job": 4}, ("multirun",)),
        (
            "multirun/2026-11-27/01-29-05/4/train",
            DT(2026, 11, 27, 1, 29, 5),
            {"job": 4},
            ("multirun",),
        ),
        ("outputs/2026-11-27/01-29-05", DT(2026, 11, 27, 1, 29, 5), {}, ("outputs",)),
        (
            "multirun/2026-11-27/01-29-05/lr=0.1,seed=3",
            DT(2026, 11, 27, 1, 29, 5),
            {"lr": 0.1, "seed": 3},
            ("multirun",),
        ),
        ("multirun/2026-11-27/exp", DT(2026, 11, 27), {}, ("multirun", "exp")),
        ("multirun/2026-11-27/25-00-00/1", DT(2026, 11, 27), {}, ("multirun", "25-00-00", "1")),
        ("x/01-29-05/4", None, {}, ("x", "01-29-05", "4")),
        (
            "run_2019_06_07-15_15_22/2026-11-27/01-29-05/2",
            DT(2019, 6, 7, 15, 15, 22),
            {"job": 2},
            ("run",),
        ),
    ],
)
def test_hydra_rules(name, time_, params, labels):
    r = parse(name)
    assert (r.time, r.params, r.labels) == (time_, params, labels)


def test_hydra_job_is_not_a_repeat_key():
    assert "job" not in naming.REPEAT_KEYS


def test_real_hydra_multirun(tmp_path):
    app = tmp_path / "app.py"
    app.write_text(
        "import hydra\n"
        "from hydra.core.hydra_config import HydraConfig\n"
        "@hydra.main(version_base=None, config_path=None)\n"
        "def main(cfg):\n"
        "    print('OUT', HydraConfig.get().runtime.output_dir)\n"
        "main()\n"
    )
    before = datetime.datetime.now().replace(microsecond=0)
    out = subprocess.run(
        [sys.executable, str(app), "-m", "+lr=0.1,0.01", "hydra/job_logging=none"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    after = datetime.datetime.now()
    dirs = [line.split(" ", 1)[1] for line in out.splitlines() if line.startswith("OUT ")]
    assert len(dirs) == 2
    for job, path in enumerate(dirs):
        name = os.path.relpath(path, tmp_path).replace(os.sep, "/")
        r = parse(name, now=after)
        assert r.params == {"job": job}
        assert r.labels == ("multirun",)
        assert before <= r.time <= after


# ---------------------------------------------------------------------------------------------
# PyTorch / tensorboardX SummaryWriter default


HOSTS = [
    "myhost",
    "gpu-node-7",
    "DESKTOP-4F2K9QX",
    "ip-10-0-3-17",
    "s-MacBook-Pro.local",
    "jupyter-alice",
    "node042.cluster.example.org",
    "a",
    "host-1",
    "WORKSTATION",
    "login01",
]


def torch_default_logdir(when, host, comment=""):
    # torch.utils.tensorboard and tensorboardX: os.path.join("runs", current_time + "_" +
    # socket.gethostname() + comment) with current_time = now.strftime("%b%d_%H-%M-%S").
    return "runs/" + when.strftime("%b%d_%H-%M-%S") + "_" + host + comment


@pytest.mark.parametrize(
    "comment, params",
    [
        ("", {}),
        (" lr=0.1", {"lr": 0.1}),
        (" lr=0.1 bs=32", {"lr": 0.1, "bs": 32}),
        ("_lr=0.1_bs=32", {"lr": 0.1, "bs": 32}),
        (",lr=0.1,opt=adam", {"lr": 0.1, "opt": "adam"}),
        ("-lr=0.001", {"lr": 0.001}),
        (" seed_3", {"seed": 3}),
    ],
)
@pytest.mark.parametrize("host", HOSTS)
def test_pytorch_names(host, comment, params):
    when = DT(2026, 11, 27, 1, 29, 5)
    r = parse(torch_default_logdir(when, host, comment))
    assert r.time == when
    assert r.params == params
    assert r.labels == ("runs", host)


def test_pytorch_comment_glued_to_host():
    # The PyTorch docs' own example, comment="LR_0.1_BATCH_16", has no separator.
    r = parse("runs/May04_22-14-54_s-MacBook-Pro.localLR_0.1_BATCH_16")
    assert r.time == DT(2026, 5, 4, 22, 14, 54)
    assert r.params == {}


@pytest.mark.parametrize(
    "name, now, expected",
    [
        ("Nov27_01-29-05_h", DT(2026, 11, 27, 12), DT(2026, 11, 27, 1, 29, 5)),
        ("Nov27_13-00-00_h", DT(2026, 11, 27, 12), DT(2025, 11, 27, 13, 0, 0)),
        ("Nov27_12-00-00_h", DT(2026, 11, 27, 12), DT(2026, 11, 27, 12, 0, 0)),
        ("Dec31_23-59-59_h", DT(2027, 1, 1, 0, 0, 1), DT(2026, 12, 31, 23, 59, 59)),
        ("Jan01_00-00-01_h", DT(2027, 1, 1, 0, 0, 0), DT(2026, 1, 1, 0, 0, 1)),
        ("Feb29_10-00-00_h", DT(2026, 11, 27), DT(2024, 2, 29, 10)),
        ("Feb29_10-00-00_h", DT(2024, 2, 29, 9), DT(2020, 2, 29, 10)),
        ("Feb29_10-00-00_h", DT(2104, 3, 1), DT(2104, 2, 29, 10)),
        ("Feb29_10-00-00_h", DT(2103, 3, 1), DT(2096, 2, 29, 10)),
        ("nov27_01-29-05_h", DT(2026, 11, 27, 12), DT(2026, 11, 27, 1, 29, 5)),
    ],
)
def test_pytorch_year_rule(name, now, expected):
    assert parse(name, now=now).time == expected


def test_pytorch_default_now_and_aware_now():
    now = datetime.datetime.now()
    r = naming.parse_run_name(now.strftime("runs/%b%d_%H-%M-%S_h"))
    assert r.time == now.replace(microsecond=0)
    aware = DT(2026, 11, 27, 12, tzinfo=datetime.timezone.utc)
    assert parse("Nov27_13-00-00_h", now=aware).time == DT(2025, 11, 27, 13)


@pytest.mark.parametrize(
    "host, comment, params",
    [
        ("myhost", "", {}),
        ("gpu-node-7", " lr=0.1", {"lr": 0.1}),
        ("DESKTOP-4F2K9QX", "_bs=32", {"bs": 32}),
        ("s-MacBook-Pro.local", " lr=0.01 opt=adam", {"lr": 0.01, "opt": "adam"}),
        ("ip-10-0-3-17", ",dropout=0.5", {"dropout": 0.5}),
    ],
)
def test_real_tensorboardx_default_logdir(tmp_path, monkeypatch, host, comment, params):
    import tensorboardX

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(socket, "gethostname", lambda: host)
    before = datetime.datetime.now().replace(microsecond=0)
    writer = tensorboardX.SummaryWriter(comment=comment)
    try:
        logdir = writer.logdir
    finally:
        writer.close()
    after = datetime.datetime.now()
    r = parse(logdir.replace(os.sep, "/"), now=after)
    assert before <= r.time <= after
    assert r.params == params
    assert r.labels == ("runs", host)


# ---------------------------------------------------------------------------------------------
# Ray Tune


def ray_clean_value(value):
    # ray/tune/search/variant_generator.py: _clean_value()
    if isinstance(value, float):
        return f"{value:.4f}"
    return re.sub(r"[^a-zA-Z0-9_-]+", "_", str(value)).strip("_")


def ray_trial_dirname(trainable, uid, count, index, config, when):
    """Ray Tune's default trial directory name, reproduced (Ray is too heavy to install).

    ray/tune/experiment/trial.py, Trial._generate_dirname():
        f"{str(self)}_{self.experiment_tag}"[:TUNE_MAX_LEN_IDENTIFIER (130)]
        + "_" + date_str()                       # "%Y-%m-%d_%H-%M-%S"
    str(trial) = f"{trainable_name}_{trial_id}", trial_id = uuid1().hex[:5] + "_%05d" % count
    (BasicVariantGenerator); experiment_tag = str(index), plus "_" + format_vars(config)
    when the config has resolved variables: sorted "key=value" joined by ",".
    """
    tag = str(index)
    if config:
        tag += "_" + ",".join(
            f"{ray_clean_value(k)}={ray_clean_value(v)}" for k, v in sorted(config.items())
        )
    name = f"{trainable}_{uid}_{count:05d}_{tag}"[:130] + "_" + when.strftime("%Y-%m-%d_%H-%M-%S")
    return re.sub("[/()]", "_", name)


RAY_TRIALS = [
    ("train_fn", "a1b2c", 3, {"bs": 32, "lr": 0.001}),
    ("train_fn", "a1b2c", 0, {}),
    ("train_mnist", "0f9e8", 12, {"lr": 0.1, "momentum": 0.9}),
    ("PPO_CartPole-v1", "5d3c2", 1, {"lr": 5e-05, "gamma": 0.99}),
    ("MyTrainable", "12345", 7, {"opt": "adam", "layers": 4}),
    ("train_fn", "deadb", 99, {"use_bn": True, "dropout": 0.25}),
    ("objective", "c0ffe", 4, {"x": -1, "y": 2.5}),
    ("train_cifar", "abcde", 31, {"l1": 64, "l2": 128, "lr": 0.00123, "batch_size": 8}),
    ("ImplicitFunc", "00aa1", 5, {"activation": "relu", "width": 10}),
    ("train_fn", "ffff0", 123, {"optimizer": "adam_w", "lr": 0.0003}),
    ("train_fn", "1a2b3", 2, {"model": "resnet/50", "seed": 7}),
]


@pytest.mark.parametrize("trainable, uid, index, config", RAY_TRIALS)
def test_ray_tune_trials(trainable, uid, index, config):
    when = DT(2026, 11, 27, 1, 29, 5)
    name = ray_trial_dirname(trainable, uid, index, index, config, when)
    r = parse(f"train_fn_2026-11-27_01-29-05/{name}")
    expected = {
        ray_clean_value(k): naming.parse_value(ray_clean_value(v))
        for k, v in sorted(config.items())
    }
    assert r.params == expected
    assert r.time == when
    assert r.labels == ("train_fn", trainable, f"{uid}_{index:05d}", str(index))


def test_ray_spec_example():
    r = parse("train_fn_a1b2c_00003_3_bs=32,lr=0.0010_2026-11-27_01-29-05")
    assert r.params == {"bs": 32, "lr": 0.001}
    assert r.time == DT(2026, 11, 27, 1, 29, 5)
    assert r.labels == ("train_fn", "a1b2c_00003", "3")


def test_ray_without_date_keeps_prefix_as_one_label():
    r = parse("train_fn_a1b2c_00003_3_bs=32,lr=0.001")
    assert r.params == {"bs": 32, "lr": 0.001}
    assert r.labels == ("train_fn_a1b2c_00003_3",)


def test_ray_truncated_tag():
    config = {f"param_{i}": i / 7 for i in range(20)}
    name = ray_trial_dirname("train_fn", "a1b2c", 3, 3, config, DT(2026, 1, 2, 3, 4, 5))
    r = parse(name)
    assert r.time == DT(2026, 1, 2, 3, 4, 5)
    assert r.params["param_0"] == 0.0
    assert r.labels[:3] == ("train_fn", "a1b2c_00003", "3")


# Ray cuts f"{trainable}_{trial_id}_{tag}" at 130 characters before "_<date>": the last
# config item of a long name may end anywhere in its key or value.
RAY_DATE = DT(2026, 11, 20, 10, 0, 1)
RAY_DATE_TEXT = "_2026-11-20_10-00-01"


def ray_params(items):
    return {k: naming.parse_value(v) for k, v in (item.split("=", 1) for item in items)}


@pytest.mark.parametrize("weight_decay", [0.0001, 0.0005])
def test_ray_cut_value_is_not_reported(weight_decay):
    # /work/shared/cases/layout06: both grid values end up as "weight_decay=0.00".
    config = {
        "batch_size": 32,
        "hidden_size": 256,
        "learning_rate": 0.0003,
        "num_layers": 4,
        "warmup_steps": 500,
        "weight_decay": weight_decay,
    }
    name = ray_trial_dirname("train_transformer", "a1b2c", 1, 1, config, RAY_DATE)
    assert name.endswith(",weight_decay=0.00" + RAY_DATE_TEXT)
    r = parse(name)
    assert r.params == {
        "batch_size": 32,
        "hidden_size": 256,
        "learning_rate": 0.0003,
        "num_layers": 4,
        "warmup_steps": 500,
    }
    assert r.labels == ("train_transformer", "a1b2c_00001", "1")
    assert r.time == RAY_DATE


def ray_cut_trainable(kept):
    """A trainable name that makes Ray's 130-character cut keep ``kept`` tag characters."""
    return "train_" + "x" * (130 - kept - len("train__a1b2c_00003_"))


@pytest.mark.parametrize(
    "config, kept, params",
    [
        # Cut inside a key: the fragment is neither a param nor a label.
        (
            {"batch_size": 32, "learning_rate": 0.0003, "weight_decay": 0.0005},
            "3_batch_size=32,learning_rate=0.0003,weight_de",
            {"batch_size": 32, "learning_rate": 0.0003},
        ),
        # Cut inside a string value.
        (
            {"batch_size": 32, "optimizer": "adamw_amsgrad"},
            "3_batch_size=32,optimizer=adamw_am",
            {"batch_size": 32},
        ),
        # Cut right after "=": nothing to drop but the key.
        (
            {"batch_size": 32, "lr": 0.0003, "optimizer": "adam"},
            "3_batch_size=32,lr=0.0003,optimizer=",
            {"batch_size": 32, "lr": 0.0003},
        ),
        # Cut right after a ",": every item before it is whole.
        (
            {"batch_size": 32, "lr": 0.0003, "optimizer": "adam"},
            "3_batch_size=32,lr=0.0003,",
            {"batch_size": 32, "lr": 0.0003},
        ),
        # Cut in the only item.
        ({"weight_decay": 0.0005}, "3_weight_decay=0.0", {}),
    ],
)
def test_ray_cut_names(config, kept, params):
    trainable = ray_cut_trainable(len(kept))
    name = ray_trial_dirname(trainable, "a1b2c", 3, 3, config, RAY_DATE)
    assert name == f"{trainable}_a1b2c_00003_{kept}{RAY_DATE_TEXT}"
    r = parse(name)
    assert r.params == params
    assert r.labels == (trainable, "a1b2c_00003", "3")
    assert r.time == RAY_DATE


RAY_WHOLE_TAG = "3_bs=32,weight_decay=0.0005"


@pytest.mark.parametrize(
    "extra, params",
    [
        (-50, {"bs": 32, "weight_decay": 0.0005}),  # short enough not to be cut
        (-1, {"bs": 32, "weight_decay": 0.0005}),  # one character short of the cut
        # Exactly the cut length: a whole last item cannot be told from a cut one.
        (0, {"bs": 32}),
        # Longer (a raised TUNE_MAX_LEN_IDENTIFIER): not cut at 130.
        (1, {"bs": 32, "weight_decay": 0.0005}),
    ],
)
def test_ray_cut_length_rule(extra, params):
    trainable = ray_cut_trainable(len(RAY_WHOLE_TAG) - extra)
    name = f"{trainable}_a1b2c_00003_{RAY_WHOLE_TAG}{RAY_DATE_TEXT}"
    assert len(name) == 150 + extra
    r = parse(name)
    assert r.params == params
    assert r.labels == (trainable, "a1b2c_00003", "3")
    assert r.time == RAY_DATE


def test_ray_cut_length_needs_ray_shape():
    # The cut length without a trial id is no Ray Tune name: nothing is dropped.
    head = "my exp "
    tail = "bs=32,weight_decay=0.0005" + RAY_DATE_TEXT
    name = head + "x" * (150 - len(head) - 1 - len(tail)) + " " + tail
    assert len(name) == 150
    assert parse(name).params == {"bs": 32, "weight_decay": 0.0005}


@pytest.mark.parametrize("kept", range(1, 72))
def test_ray_cut_anywhere_never_invents(kept):
    # Moves the cut over every position of the tag, from its very start to past its end.
    config = {"batch_size": 32, "lr": 0.0003, "optimizer": "adamw_amsgrad", "wd": 0.0005}
    tag = "3_batch_size=32,lr=0.0003,optimizer=adamw_amsgrad,wd=0.0005"
    trainable = ray_cut_trainable(kept)
    name = ray_trial_dirname(trainable, "a1b2c", 3, 3, config, RAY_DATE)
    r = parse(name)
    if kept < len(tag):  # cut: the items before the last "," that survived
        survived = tag[2 : max(tag.rfind(",", 0, kept) + 1, 2)]
        expected = ray_params(item for item in survived.split(",") if item)
    elif kept == len(tag):  # exactly the cut length: the last item is dropped
        expected = ray_params(tag[2:].split(",")[:-1])
    else:
        expected = ray_params(tag[2:].split(","))
    assert r.params == expected
    assert r.time == RAY_DATE
    assert r.labels[0] == trainable
    assert all(label in (trainable, "a1b2c_00003", "3") for label in r.labels)


# ---------------------------------------------------------------------------------------------
# Splits


@pytest.mark.parametrize(
    "last, split",
    [
        ("train", "train"),
        ("training", "train"),
        ("Train", "train"),
        ("validation", "validation"),
        ("valid", "validation"),
        ("val", "validation"),
        ("VAL", "validation"),
        ("eval", "eval"),
        ("evaluation", "eval"),
        ("test", "test"),
        ("testing", "test"),
        ("TEST", "test"),
    ],
)
def test_splits(last, split):
    r = parse(f"exp/lr=0.1/{last}")
    assert (r.trial, r.split, r.params, r.labels) == ("exp/lr=0.1", split, {"lr": 0.1}, ("exp",))


@pytest.mark.parametrize(
    "name, trial, split",
    [
        ("train", ".", "train"),
        ("validation", ".", "validation"),
        ("./train", ".", "train"),
        (".", ".", None),
        ("", "", None),
        ("exp", "exp", None),
        ("train/exp", "train/exp", None),
        ("exp/train/", "exp", "train"),
        ("exp/trains", "exp/trains", None),
        ("exp/train_1", "exp/train_1", None),
        ("train/validation", "train", "validation"),
    ],
)
def test_trial(name, trial, split):
    r = parse(name)
    assert (r.run, r.trial, r.split) == (name, trial, split)


def test_split_is_not_a_label():
    assert parse("exp/train").labels == ("exp",)
    assert parse("train/exp").labels == ("train", "exp")


def test_keras_callback_layout():
    # keras.callbacks.TensorBoard writes log_dir/train and log_dir/validation.
    run = naming.get_run_logdir("my_logs", lr=0.01, seed=3)
    for sub, split in (("train", "train"), ("validation", "validation")):
        r = parse(f"{run}/{sub}")
        assert (r.trial, r.split, r.params) == (run, split, {"lr": 0.01, "seed": 3})


# ---------------------------------------------------------------------------------------------
# Labels, unicode, hostile and long names


@pytest.mark.parametrize(
    "name, labels",
    [
        ("a/b/c", ("a", "b", "c")),
        ("my exp name", ("my", "exp", "name")),
        ("a//b", ("a", "b")),
        ("./a/./b", ("a", "b")),
        ("..", ("..",)),
        ("__", ("__",)),
        ("expé/日本語/🚀", ("expé", "日本語", "🚀")),
        ("<script>alert(1)</script>", ("<script>alert(1)<", "script>")),
        ("a\x00b\x01c", ("a\x00b\x01c",)),
    ],
)
def test_labels(name, labels):
    assert parse(name).labels == labels


@pytest.mark.parametrize(
    "name",
    [
        "a" * 1000,
        "lr=0.1_" * 150,
        "_" * 1000 + "=1",
        "=" * 1000,
        "a=" * 500,
        "1" * 1000,
        "seed_" + "9" * 5000,
        "x=" + "9" * 5000,
        "lr=0.1_seed_" + "9" * 5000 + "_bs=3",
        "2019-06-07" * 100,
        "Nov27_01-29-05_" * 70,
        "/".join(["2026-11-27", "01-29-05"] * 50),
        "a_" * 500 + "b=1",
        "a-" * 500 + "b=1",
        "x=1_" + "a_" * 500 + "b=1",
        "train_fn_" + "a1b2c_00003_3_" * 60 + "2026-11-27_01-29-05",
        "é" * 1000 + "=1",
        " " * 1000,
        "\u2028" * 1000,
        "+" * 1000 + "1e+5",
        "x=" + "[" * 5000,
        "=[" * 3000,
        "x=" + "[" * 3000 + "]" * 3000,
        "x=" + "[(" * 2000 + "])" * 2000,
        "x=[a]," * 7000,
        "x=[" + "=[" * 2000 + "]" * 2000,
        "lr=0.1_" * 150 + "1",
        "x=" + "9" * 5000 + "_1",
        "train_" + "x" * 95 + "_a1b2c_00003_3_" + "a" * 20 + "_2026-11-27_01-29-05",
    ],
)
def test_long_and_hostile_names(name):
    start = time.perf_counter()
    r = parse(name)
    # Guards against catastrophic backtracking only; speed is measured in bench/.
    assert time.perf_counter() - start < 1.0
    assert r.run == name


def test_long_name_still_parses():
    name = "exp/" + "x" * 990 + "_lr=0.1,seed=3/train"
    r = parse(name)
    assert r.params == {"x" * 990 + "_lr": 0.1, "seed": 3}
    assert r.split == "train"


def test_unicode_name():
    r = parse("実験/lr=0.1,opt=адам/seed_2")
    assert r.params == {"lr": 0.1, "opt": "адам", "seed": 2}
    assert r.labels == ("実験",)


# ---------------------------------------------------------------------------------------------
# User patterns


def test_user_pattern_params_and_override():
    patterns = naming.compile_patterns([r"(?P<arch>resnet\d+)", r"_lr(?P<lr>[0-9.e-]+)"])
    r = parse("resnet50_lr0.01/seed_1", patterns)
    assert r.params == {"seed": 1, "arch": "resnet50", "lr": 0.01}
    patterns = naming.compile_patterns([r"lr=(?P<lr>\w+)"])
    assert parse("lr=0.1", patterns).params == {"lr": 0}  # "0" matched: override wins


def test_user_pattern_overrides_builtin_and_later_pattern_wins():
    patterns = naming.compile_patterns([r"seed_(?P<seed>\d)", r"(?P<seed>\d+)$"])
    assert parse("seed_3", patterns).params == {"seed": 3}
    assert parse("seed_3_x_42", patterns).params == {"seed": 42}
    patterns = naming.compile_patterns([r"bs(?P<bs>\d+)"])
    assert parse("bs=1/bs64", patterns).params == {"bs": 64}


@pytest.mark.parametrize(
    "pattern, name, expected",
    [
        (r"@(?P<time>[^/]+)", "exp@2019-06-07T15:15:22", DT(2019, 6, 7, 15, 15, 22)),
        (r"@(?P<time>[^/]+)", "exp@20190606-121212", DT(2019, 6, 6, 12, 12, 12)),
        (r"@(?P<time>[^/]+)", "exp@Nov27_01-29-05", DT(2026, 11, 27, 1, 29, 5)),
        (r"t(?P<time>\d{8}_\d{6})", "t20190606_121212", DT(2019, 6, 6, 12, 12, 12)),
        (r"d(?P<time>[\d-]+)", "2020-01-01/d2023-05-01", DT(2023, 5, 1)),
        (
            r"(?P<time>\d{4}-\d\d-\d\d/\d\d-\d\d-\d\d)",
            "m/2026-11-27/01-29-05/4",
            DT(2026, 11, 27, 1, 29, 5),
        ),
        (r"@(?P<time>[^/]+)", "2020-01-01/exp@notatime", DT(2020, 1, 1)),
    ],
)
def test_user_pattern_time(pattern, name, expected):
    r = parse(name, naming.compile_patterns([pattern]))
    assert r.time == expected
    assert "time" not in r.params


def test_user_pattern_no_match_and_empty_group():
    patterns = naming.compile_patterns([r"(?P<x>zzz)", r"a(?P<y>\d*)b", r"(?P<opt>q)?w"])
    r = parse("lr=0.1,ab,w", patterns)
    assert r.params == {"lr": 0.1}
    assert r.labels == ("ab", "w")


@pytest.mark.parametrize(
    "pattern, reason",
    [
        ("(?P<x>", "missing ), unterminated subpattern"),
        ("[a-", "unterminated character set"),
        ("(?P<1x>a)", "bad character in group name"),
        ("abc", "no named group"),
        ("(a)(b)", "no named group"),
        ("*", "nothing to repeat"),
    ],
)
def test_compile_patterns_errors(pattern, reason):
    with pytest.raises(ValueError) as info:
        naming.compile_patterns(["(?P<ok>a)", pattern])
    message = str(info.value)
    assert message.startswith(f"invalid run-name pattern {pattern!r}: ")
    assert reason in message
    assert "\n" not in message


def test_compile_patterns_not_a_string_and_multiline():
    with pytest.raises(ValueError, match=r"^invalid run-name pattern 5: not a string$"):
        naming.compile_patterns([5])  # type: ignore[list-item]
    with pytest.raises(ValueError) as info:
        naming.compile_patterns(["a\n(b"])
    assert "\n" not in str(info.value)


def test_compile_patterns_ok():
    compiled = naming.compile_patterns(iter([r"(?P<a>x)", r"(?P<time>\d+)"]))
    assert isinstance(compiled, tuple) and len(compiled) == 2
    assert all(isinstance(p, re.Pattern) for p in compiled)
    assert naming.compile_patterns([]) == ()


# ---------------------------------------------------------------------------------------------
# get_run_logdir


STAMP = r"run_\d{4}_\d\d_\d\d-\d\d_\d\d_\d\d"


def test_get_run_logdir_without_params():
    path = naming.get_run_logdir()
    assert re.fullmatch(re.escape(os.path.join("my_logs", "")) + STAMP, path)
    r = parse(path.replace(os.sep, "/"), now=datetime.datetime.now())
    assert abs(r.time - datetime.datetime.now()) < datetime.timedelta(seconds=5)
    assert r.labels == ("my_logs", "run")
    assert r.params == {}


def test_get_run_logdir_with_params():
    path = naming.get_run_logdir(
        "logs", lr=0.001, wd=1e-05, big=1e22, bs=32, amp=True, opt="adam_w", one=1.0, neg=-2
    )
    head, stamp = os.path.split(path)
    assert re.fullmatch(STAMP, stamp)
    assert head == os.path.join(
        "logs", "lr=0.001,wd=1e-05,big=1e22,bs=32,amp=true,opt=adam_w,one=1.0,neg=-2"
    )
    r = parse(path.replace(os.sep, "/"))
    assert r.params == {
        "lr": 0.001,
        "wd": 1e-05,
        "big": 1e22,
        "bs": 32,
        "amp": True,
        "opt": "adam_w",
        "one": 1.0,
        "neg": -2,
    }
    assert type(r.params["one"]) is float and type(r.params["amp"]) is bool


@pytest.mark.parametrize(
    "params, key",
    [
        ({"opt": "a/b"}, "opt"),
        ({"opt": "a,b"}, "opt"),
        ({"opt": "a;b"}, "opt"),
        ({"opt": "a=b"}, "opt"),
        ({"opt": "a+b"}, "opt"),
        ({"opt": "a b"}, "opt"),
        ({"opt": "a\tb"}, "opt"),
        ({"opt": ""}, "opt"),
        ({"opt": "a\x00"}, "opt"),
        ({"lr": "0.1"}, "lr"),
        ({"n": "007"}, "n"),
        ({"flag": "True"}, "flag"),
        ({"x": "nan"}, "x"),
        ({"x": "-Inf"}, "x"),
        ({"lr": float("nan")}, "lr"),
        ({"lr": float("inf")}, "lr"),
        ({"lr": float("-inf")}, "lr"),
        ({"x": None}, "x"),
        ({"x": [1]}, "x"),
        ({"x": 1j}, "x"),
        ({"1x": 1}, "1x"),
        ({"a-b": 1}, "a-b"),
        ({"": 1}, ""),
        ({"a b": 1}, "a b"),
        ({".a": 1}, ".a"),
        ({"x": "1_seed_3"}, "x"),
        ({"x": "a_2019-06-07_15-15-22"}, "x"),
        ({"seed_3_lr": 1}, "seed_3_lr"),
    ],
)
def test_get_run_logdir_rejects(params, key):
    with pytest.raises(ValueError) as info:
        naming.get_run_logdir("my_logs", **params)
    assert repr(key) in str(info.value)


def test_get_run_logdir_accepts_subclasses():
    import enum

    class Size(enum.IntEnum):
        SMALL = 8

    class Name(str):
        pass

    path = naming.get_run_logdir("my_logs", size=Size.SMALL, name=Name("adam"))
    assert parse(path).params == {"size": 8, "name": "adam"}


KEYS = st.from_regex(r"[A-Za-z_][A-Za-z0-9_.]{0,11}", fullmatch=True)
SAFE_KEYS = st.from_regex(r"[a-z][a-z_]{0,11}", fullmatch=True).filter(
    lambda k: not {"true", "false", "nan", "inf", "infinity"} & set(k.split("_"))
)
SAFE_TEXT = st.from_regex(r"[A-Za-z][A-Za-z_]{0,15}", fullmatch=True).filter(
    lambda s: type(naming.parse_value(s)) is str
)
ANY_TEXT = st.from_regex(r"[A-Za-z0-9_.:\[\](){}-]{1,20}", fullmatch=True)
VALUES = st.one_of(
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    SAFE_TEXT,
)
ROOTS = st.sampled_from(["my_logs", "/tmp/pytest-of-root/logs", "logs/fit", "."])


def assert_same_params(got, params):
    assert got == params
    assert [type(v) for v in got.values()] == [type(v) for v in params.values()]


@settings(max_examples=300, deadline=None)
@given(root=ROOTS, params=st.dictionaries(SAFE_KEYS, VALUES, max_size=6))
@example(root="my_logs", params={"lr": 1.0, "x": -0.0, "big": 1.7976931348623157e308})
@example(root="my_logs", params={"tiny": 5e-324, "n": 10**40, "s": "e"})
def test_get_run_logdir_round_trip(root, params):
    path = naming.get_run_logdir(root, **params)
    assert_same_params(parse(path.replace(os.sep, "/")).params, params)


@settings(max_examples=300, deadline=None)
@given(params=st.dictionaries(KEYS, st.one_of(VALUES, ANY_TEXT), max_size=5))
def test_get_run_logdir_accepted_means_round_trip(params):
    try:
        path = naming.get_run_logdir("my_logs", **params)
    except ValueError:
        return
    assert_same_params(parse(path).params, params)


@settings(max_examples=300, deadline=None)
@given(
    key=SAFE_KEYS,
    items=st.lists(st.one_of(st.integers().map(str), SAFE_TEXT), max_size=5),
    opener=st.sampled_from("[({"),
    seed=st.integers(0, 99),
)
def test_bracketed_value_round_trip(key, items, opener, seed):
    assume(key != "seed")
    value = opener + ",".join(items) + {"[": "]", "(": ")", "{": "}"}[opener]
    r = parse(f"multirun/2026-11-20/10-00-00/{key}={value},seed={seed}")
    assert_same_params(r.params, {key: value, "seed": seed})


@settings(max_examples=300, deadline=None)
@given(
    key=SAFE_KEYS,
    value=st.one_of(st.integers(), st.floats(allow_nan=False, allow_infinity=False)),
    sep=st.sampled_from("_-"),
    count=st.integers(0, 10**6),
)
def test_run_counter_round_trip(key, value, sep, count):
    assume(key != "run")
    text = repr(value).replace("e+", "e")
    assert_same_params(parse(f"{key}={text}{sep}{count}").params, {key: value, "run": count})


# ---------------------------------------------------------------------------------------------
# Totality


def assert_well_formed(name, r):
    assert r.run == name
    assert r.split in (None, "train", "validation", "eval", "test")
    assert isinstance(r.trial, str)
    assert r.time is None or (isinstance(r.time, datetime.datetime) and r.time.tzinfo is None)
    assert all(type(k) is str and type(v) in (int, float, bool, str) for k, v in r.params.items())
    assert all(type(label) is str and label for label in r.labels)
    # The stand-ins for bracketed values never leak out (see naming._HOLE).
    holes = re.compile("[\ue000-\uf8ff]")
    if holes.search(name) is None:
        texts = [v for v in r.params.values() if type(v) is str] + list(r.labels)
        assert not any(holes.search(text) for text in texts)


@settings(max_examples=500, deadline=None)
@given(st.text())
def test_never_raises_on_any_text(name):
    assert_well_formed(name, parse(name))


NAME_ALPHABET = "=_-,;+ /.:T0123456789eElrsdNovFb@é\x00[](){}\ue000"


@settings(max_examples=1000, deadline=None)
@given(st.text(alphabet=NAME_ALPHABET, max_size=80))
def test_never_raises_on_name_like_text(name):
    assert_well_formed(name, parse(name))


PIECES = st.sampled_from(
    [
        "lr=",
        "bs=",
        "0.1",
        "1e-3",
        "1e+5",
        "32",
        "-1",
        "_",
        "-",
        ",",
        "+",
        " ",
        "/",
        "seed",
        "seed_3",
        "rep3",
        "run_",
        "2019",
        "2019-06-07",
        "_15-15-22",
        "T15:15:22",
        "20190606-121212",
        "Nov27_01-29-05_",
        "Feb29",
        "train",
        "a1b2c_00003_3_",
        "=",
        "adam_w",
        "true",
        "nan",
        "é",
        "=[",
        "=(",
        "={",
        "]",
        ")",
        "}",
        "PPO_",
        "_1",
        "\ue001",
    ]
)


@settings(max_examples=1000, deadline=None)
@given(st.lists(PIECES, max_size=20).map("".join), st.datetimes())
def test_never_raises_on_convention_fragments(name, now):
    assert_well_formed(name, parse(name, now=now))


@settings(max_examples=200, deadline=None)
@given(st.text(), st.lists(st.sampled_from([r"(?P<a>\d+)", r"(?P<time>\S+)", r"(?P<b>.)"])))
def test_never_raises_with_patterns(name, patterns):
    assume(len(name) < 200)
    assert_well_formed(name, parse(name, naming.compile_patterns(patterns)))


def test_parse_run_names_is_parse_run_name_on_each_and_restores_gc():
    import gc

    # Unsorted, with a repeat (the batch parses in sorted order, answers in this one).
    names = ["lr=0.1,bs=32/seed_1/train", "run_2019_06_07-15_15_22", "", ".", "exp/v2"]
    names += ["runs/Feb29_10-00-00_host", "a", "lr=0.1,bs=32/seed_1/train"]
    patterns = naming.compile_patterns([r"exp/(?P<variant>v\d)"])
    now = DT(2026, 11, 27)
    got = naming.parse_run_names(iter(names), patterns, now=now)
    assert got == [naming.parse_run_name(n, patterns, now=now) for n in names]
    assert [r.run for r in got] == names
    assert got[5].time == DT(2024, 2, 29, 10)
    assert gc.isenabled()
    gc.disable()
    try:
        naming.parse_run_names(names)
        assert not gc.isenabled()  # a caller's choice is kept
    finally:
        gc.enable()


# --- SPEC §4b rules 6 and 7: CleanRL names and short timestamps --------------------------------


@pytest.mark.parametrize(
    ("name", "params", "labels", "time"),
    [
        ("CartPole-v1__ppo__1__1790000000", {"seed": 1}, ("CartPole-v1", "ppo"),
         datetime.datetime(2026, 9, 21, 14, 13, 20)),
        ("runs/BreakoutNoFrameskip-v4__dqn_atari__7__1700000000", {"seed": 7},
         ("runs", "BreakoutNoFrameskip-v4", "dqn_atari"), datetime.datetime(2023, 11, 14, 22, 13, 20)),
        # Near misses: a number before 2001 is no Unix time; three fields; a word for a seed.
        ("a__b__1__123456789", {}, ("a__b__1__123456789",), None),
        ("a__b__1790000000", {}, ("a__b__1790000000",), None),
        ("a__b__x__1790000000", {}, ("a__b__x__1790000000",), None),
        # Tianshou's %y%m%d-%H%M%S and torchtitan's %Y%m%d-%H%M as whole segments.
        ("Ant-v4/sac/0/261120-101500", {}, ("Ant-v4", "sac", "0"), datetime.datetime(2026, 11, 20, 10, 15)),
        ("tb/20261120-1000", {}, ("tb",), datetime.datetime(2026, 11, 20, 10, 0)),
        # Impossible ones stay text.
        ("x/261399-101500", {}, ("x", "261399-101500"), None),
        ("x/20261120-2500", {}, ("x", "20261120-2500"), None),
    ],
)  # fmt: skip
def test_cleanrl_names_and_short_timestamps(name, params, labels, time):
    rn = naming.parse_run_name(name)
    assert (dict(rn.params), rn.labels, rn.time) == (params, labels, time)
