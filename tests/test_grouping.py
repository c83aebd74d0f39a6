"""Tests for tb_plugin.grouping: units, fields and groups.

Run names are built directly as `naming.RunName` values, so these tests do not depend on the
parser's details.
"""

from __future__ import annotations

import datetime
import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tb_plugin import aggregate, curves, grouping, naming

# ---------------------------------------------------------------------------------------------
# Helpers


def rn(run, *, trial=None, split=None, time=None, params=None, labels=()):
    """Builds a RunName; ``trial`` defaults to ``run`` without the split segment."""
    if trial is None and split is not None:
        trial = run.rsplit("/", 1)[0] if "/" in run else "."
    elif trial is None:
        trial = run
    return naming.RunName(
        run=run,
        trial=trial,
        split=split,
        time=time,
        params=dict(params or {}),
        labels=tuple(labels),
    )


def unit(trial, fields):
    """Builds a Unit with the given fields directly (no metadata)."""
    return grouping.Unit(trial=trial, runs={None: trial}, fields=dict(fields), metadata={})


def one_unit(params=None, metadata=None, *, time=None, labels=(), run="exp/t"):
    (u,) = grouping.build_units([(rn(run, params=params, time=time, labels=labels), metadata)])
    return u


def grid_units(lrs=(0.1, 0.01), bss=(32, 64), seeds=(0, 1, 2)):
    runs = []
    for lr in lrs:
        for bs in bss:
            for seed in seeds:
                trial = f"lr={lr},bs={bs}/seed={seed}"
                params = {"lr": lr, "bs": bs, "seed": seed}
                for split in ("train", "validation"):
                    runs.append((rn(f"{trial}/{split}", split=split, params=params), None))
    return grouping.build_units(runs)


# ---------------------------------------------------------------------------------------------
# Units


def test_build_units_merges_splits_into_one_trial():
    params = {"lr": 0.1}
    units = grouping.build_units(
        [
            (rn("a/validation", split="validation", params=params), {"status": "finished"}),
            (rn("a/train", split="train", params=params), None),
            (rn("a", params=params), {"status": "running", "notes": "trial level"}),
            (rn("b/train", split="train", params={"lr": 0.2}), None),
        ]
    )
    assert [u.trial for u in units] == ["a", "b"]
    a = units[0]
    assert list(a.runs.items()) == [
        (None, "a"),
        ("train", "a/train"),
        ("validation", "a/validation"),
    ]
    assert a.run_for("validation") == "a/validation"
    assert a.run_for("test") is None
    # The split run's metadata merges over the trial-level metadata.
    assert a.metadata == {"status": "finished", "notes": "trial level"}
    assert a.fields["status"] == "finished"
    assert a.fields["meta.notes"] == "trial level"
    assert units[1].metadata == {}


def test_build_units_is_independent_of_input_order_and_sorts_naturally():
    runs = [(rn(f"seed_{i}/train", split="train"), None) for i in (10, 2, 1)]
    forward = grouping.build_units(runs)
    backward = grouping.build_units(reversed(runs))
    assert [u.trial for u in forward] == ["seed_1", "seed_2", "seed_10"]
    assert forward == backward


def test_build_units_root_split_runs_form_the_dot_trial():
    units = grouping.build_units(
        [
            (rn("train", split="train", trial="."), None),
            (rn("validation", split="validation", trial="."), None),
            (rn(".", trial="."), {"host": "box"}),
        ]
    )
    (u,) = units
    assert u.trial == "."
    assert u.runs == {None: ".", "train": "train", "validation": "validation"}
    assert u.fields["path.0"] == "."
    assert u.fields["host"] == "box"


def test_build_units_merges_dict_metadata_one_level_deep():
    units = grouping.build_units(
        [
            (rn("t"), {"hparams": {"lr": 0.1, "bs": 32}, "git": {"commit": "abc"}}),
            (rn("t/train", split="train"), {"hparams": {"bs": 64}, "tags": ["x"]}),
        ]
    )
    (u,) = units
    assert u.metadata["hparams"] == {"lr": 0.1, "bs": 64}
    assert u.metadata["git"] == {"commit": "abc"}


def test_build_units_does_not_mutate_inputs():
    meta_trial = {"hparams": {"lr": 0.1}}
    meta_split = {"hparams": {"bs": 64}}
    grouping.build_units([(rn("t"), meta_trial), (rn("t/train", split="train"), meta_split)])
    assert meta_trial == {"hparams": {"lr": 0.1}}
    assert meta_split == {"hparams": {"bs": 64}}


def test_build_units_keeps_runs_whose_split_collides():
    units = grouping.build_units(
        [
            (rn("a/Train", split="train", trial="a"), None),
            (rn("a/train", split="train", trial="a"), None),
        ]
    )
    assert sorted(r for u in units for r in u.runs.values()) == ["a/Train", "a/train"]


def test_build_units_from_parsed_keras_names():
    # Only what SPEC §4 fixes for Keras splits; the parser's other details are not assumed.
    names = ["exp/a/train", "exp/a/validation", "exp/b/train"]
    units = grouping.build_units((naming.parse_run_name(n), None) for n in names)
    assert [(u.trial, sorted(u.runs.values())) for u in units] == [
        ("exp/a", ["exp/a/train", "exp/a/validation"]),
        ("exp/b", ["exp/b/train"]),
    ]
    assert [u.fields["path.1"] for u in units] == ["a", "b"]


@pytest.mark.parametrize("metadata", [None, {}, "not a dict", 3, ["list"]])
def test_build_units_tolerates_missing_or_bad_metadata(metadata):
    u = one_unit({"lr": 0.1}, metadata)
    assert u.metadata == {}
    assert u.fields["param.lr"] == 0.1


# ---------------------------------------------------------------------------------------------
# Fields

T = datetime.datetime(2024, 12, 30, 15, 15, 22)  # ISO week 2025-W01


@pytest.mark.parametrize(
    ("params", "metadata", "kwargs", "expected"),
    [
        # Parsed params: param.* and name.*.
        ({"lr": 0.1, "seed": 3}, None, {}, {"param.lr": 0.1, "name.lr": 0.1, "param.seed": 3}),
        # Recorded hparams win in param.*, both stay visible.
        (
            {"lr": 0.1},
            {"hparams": {"lr": 0.2, "opt": "adam"}},
            {},
            {
                "param.lr": 0.2,
                "name.lr": 0.1,
                "hparams.lr": 0.2,
                "param.opt": "adam",
                "hparams.opt": "adam",
            },
        ),
        # Non-scalar hparams are JSON strings; null hparams are absent.
        (
            {},
            {"hparams": {"layers": [64, 32], "cfg": {"b": 1, "a": 2}, "none": None}},
            {},
            {
                "hparams.layers": "[64,32]",
                "param.layers": "[64,32]",
                "hparams.cfg": '{"a":2,"b":1}',
            },
        ),
        # Booleans stay booleans; NaN stays a float.
        ({"aug": True, "x": math.nan}, None, {}, {"param.aug": True}),
        # Time from the name.
        (
            {},
            None,
            {"time": T},
            {"time.day": "2024-12-30", "time.week": "2025-W01", "time.month": "2024-12"},
        ),
        # Time from started_at when the name has none ("Z" accepted, offset kept as wall clock).
        ({}, {"started_at": "2023-05-01T23:30:00Z"}, {}, {"time.day": "2023-05-01"}),
        ({}, {"started_at": "2023-05-01T23:30:00+05:00"}, {}, {"time.day": "2023-05-01"}),
        # The name's time wins over started_at.
        ({}, {"started_at": "2023-05-01T00:00:00"}, {"time": T}, {"time.day": "2024-12-30"}),
        # Labels and path.
        ({}, None, {"labels": ("run", "exp1")}, {"label.0": "run", "label.1": "exp1"}),
        ({}, None, {"run": "a/b/c"}, {"path.0": "a", "path.1": "b", "path.2": "c"}),
        # Tags sorted, de-duplicated, joined; status, host; other scalars as meta.*.
        (
            {},
            {"tags": ["b", "a", "b"], "status": "failed", "host": "gpu1", "user": "me", "n": 3},
            {},
            {"tags": "a, b", "status": "failed", "host": "gpu1", "meta.user": "me", "meta.n": 3},
        ),
        ({}, {"tags": "solo"}, {}, {"tags": "solo"}),
    ],
)
def test_unit_fields(params, metadata, kwargs, expected):
    u = one_unit(params, metadata, **kwargs)
    for field_id, value in expected.items():
        assert field_id in u.fields, field_id
        got = u.fields[field_id]
        assert got == value and type(got) is type(value), (field_id, got)


@pytest.mark.parametrize(
    ("params", "metadata", "kwargs", "absent"),
    [
        ({}, {"hparams": {"none": None}}, {}, ["hparams.none", "param.none"]),
        ({}, {"started_at": "not a time"}, {}, ["time.day", "time.week", "time.month"]),
        ({}, None, {}, ["time.day", "tags", "status", "host", "label.0"]),
        ({}, {"tags": []}, {}, ["tags"]),
        # Dicts and lists at the top level are not meta.* fields; reserved keys have their own.
        (
            {},
            {"git": {"commit": "abc"}, "versions": {}, "tags": ["a"], "status": "x", "host": "h"},
            {},
            ["meta.git", "meta.versions", "meta.tags", "meta.status", "meta.host", "meta.hparams"],
        ),
    ],
)
def test_unit_fields_absent(params, metadata, kwargs, absent):
    u = one_unit(params, metadata, **kwargs)
    for field_id in absent:
        assert field_id not in u.fields


def test_nan_param_is_kept():
    u = one_unit({"x": math.nan})
    assert math.isnan(u.fields["param.x"])


@pytest.mark.parametrize(
    ("field_id", "repeat"),
    [
        ("param.seed", True),
        ("name.fold", True),
        ("hparams.version", True),
        ("param.run", True),
        ("param.lr", False),
        ("param.seeds", False),
        ("param.job", False),
        ("label.0", False),
        ("meta.seed", False),
    ],
)
def test_is_repeat_field(field_id, repeat):
    assert grouping.is_repeat_field(field_id) is repeat


def test_list_fields_counts_values_missing_and_repeat():
    units = [
        unit(
            "a", {"param.lr": 0.1, "param.seed": 1, "path.0": "a", "label.1": "x", "label.0": "y"}
        ),
        unit("b", {"param.lr": 0.01, "param.seed": 2, "path.0": "b", "tags": "t"}),
        unit("c", {"param.lr": 0.1, "path.0": "c", "time.day": "2024-01-01"}),
    ]
    fields = {f.id: f for f in grouping.list_fields(units)}
    lr = fields["param.lr"]
    assert lr.values == ((0.01, 1), (0.1, 2))
    assert (lr.missing, lr.distinct, lr.repeat, lr.varies) == (0, 2, False, True)
    seed = fields["param.seed"]
    assert (seed.missing, seed.repeat) == (1, True)
    assert fields["tags"].missing == 2
    assert fields["tags"].varies  # "t" versus (none)
    ids = [f.id for f in grouping.list_fields(units)]
    assert ids == ["param.lr", "param.seed", "time.day", "label.0", "label.1", "path.0", "tags"]
    assert json.loads(json.dumps(fields["param.lr"].to_json())) == {
        "id": "param.lr",
        "values": [{"value": 0.01, "count": 1}, {"value": 0.1, "count": 2}],
        "missing": 0,
        "distinct": 2,
        "repeat": False,
        "varies": True,
    }


def test_list_fields_max_values_cuts_but_keeps_distinct():
    units = [unit(str(i), {"meta.started_at": f"2024-01-{i:02d}"}) for i in range(1, 21)]
    (info,) = grouping.list_fields(units, max_values=5)
    assert len(info.values) == 5
    assert info.distinct == 20
    assert info.values[0] == ("2024-01-01", 1)
    with pytest.raises(ValueError, match="max_values"):
        grouping.list_fields(units, max_values=-1)


def test_list_fields_empty():
    assert grouping.list_fields([]) == []


# ---------------------------------------------------------------------------------------------
# Default grouping


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        # Varying params except repeat keys, in the order the keys appear in run names.
        (
            [
                {
                    "param.opt": "adam",
                    "param.lr": 0.1,
                    "param.seed": 0,
                    "param.bs": 32,
                    "name.opt": "adam",
                    "name.lr": 0.1,
                },
                {
                    "param.opt": "sgd",
                    "param.lr": 0.01,
                    "param.seed": 1,
                    "param.bs": 32,
                    "name.opt": "sgd",
                    "name.lr": 0.01,
                },
            ],
            ["param.opt", "param.lr"],
        ),
        # Keys no name carries (recorded hparams only) are sorted: never a dict's order.
        (
            [
                {"param.opt": "adam", "param.lr": 0.1, "param.seed": 0},
                {"param.opt": "sgd", "param.lr": 0.01, "param.seed": 1},
            ],
            ["param.lr", "param.opt"],
        ),
        # A param present in some units only varies (its "(none)" bucket is a group).
        (
            [{"param.lr": 0.1}, {"param.lr": 0.1, "param.wd": 0.5}],
            ["param.wd"],
        ),
        # Only repeat keys vary: never the day (two runs on one day are no repeats), never
        # the repeat key (SPEC §5, without exception): one group of the repeats.
        (
            [
                {"param.seed": 0, "param.fold": 1, "time.day": "2024-01-01", "path.0": "a"},
                {"param.seed": 1, "param.fold": 2, "time.day": "2024-01-02", "path.0": "b"},
            ],
            [],
        ),
        # Nothing varies but the path and a repeat key: still one group.
        (
            [
                {"param.seed": 0, "time.day": "2024-01-01", "path.0": "a"},
                {"param.seed": 1, "time.day": "2024-01-01", "path.0": "b"},
            ],
            [],
        ),
        # Near miss: no repeat key varies, so each trial is its own group.
        (
            [{"param.seed": 0, "path.0": "a"}, {"param.seed": 0, "path.0": "b"}],
            ["path.0"],
        ),
        # A seed folder (SPEC §4b rule 7) repeats across configs, but it spells the repeat
        # key: the config folder groups, never the seed's segment.
        (
            [
                {"param.seed": s, "path.0": algo, "path.1": str(s), "label.0": algo}
                for algo in ("sac", "td3")
                for s in (0, 1)
            ],
            ["path.0"],
        ),
        # A label that spells the repeat key (seed_1) is no grouping either.
        (
            [
                {"param.seed": s, "path.0": f"seed_{s}", "path.1": x, "label.0": x}
                for s in (1, 2)
                for x in ("x", "y")
            ],
            ["path.1"],
        ),
        # OpenMMLab: a config directory above timestamped repeats groups the repeats.
        (
            [
                {"path.0": "cfg_a", "path.1": "20241120_100001", "path.2": "vis_data"},
                {"path.0": "cfg_a", "path.1": "20241120_110001", "path.2": "vis_data"},
                {"path.0": "cfg_b", "path.1": "20241121_100001", "path.2": "vis_data"},
                {"path.0": "cfg_b", "path.1": "20241121_110001", "path.2": "vis_data"},
            ],
            ["path.0"],
        ),
        # Each trial its own group: the shallowest segment that tells them apart.
        (
            [
                {"path.0": "detect", "path.1": "train"},
                {"path.0": "detect", "path.1": "train2"},
                {"path.0": "detect", "path.1": "train3"},
            ],
            ["path.1"],
        ),
        # Per-run identifiers never enter the default: output dirs, timestamps, ids.
        (
            [
                {
                    "param.lr": 0.1,
                    "param.output_dir": "out/a",
                    "param.stamp": "2024-11-20T10:00:00",
                },
                {
                    "param.lr": 0.1,
                    "param.output_dir": "out/b",
                    "param.stamp": "2024-11-20T11:00:00",
                },
                {
                    "param.lr": 0.2,
                    "param.output_dir": "out/c",
                    "param.stamp": "2024-11-20T12:00:00",
                },
            ],
            ["param.lr"],
        ),
        (
            [
                {"param.lr": 0.1, "param.trial_id": "a1b2c_00000", "param.started": 1.7e9},
                {"param.lr": 0.1, "param.trial_id": "a1b2c_00001", "param.started": 1.8e9},
                {"param.lr": 0.2, "param.trial_id": "a1b2c_00002", "param.started": 1.9e9},
            ],
            ["param.lr", "param.started"],
        ),
        # ... but a setting that differs for every trial (two models) stays a setting.
        (
            [{"param.model": "bert", "param.lr": 0.1}, {"param.model": "gpt2", "param.lr": 0.1}],
            ["param.model"],
        ),
        # A single unit.
        ([{"param.lr": 0.1, "path.0": "a"}], ["path.0"]),
        # No units at all.
        ([], ["path.0"]),
        # 1 and 1.0 are the same value; True and 1 are not.
        ([{"param.a": 1, "param.b": True}, {"param.a": 1.0, "param.b": 1}], ["param.b"]),
    ],
)
def test_default_group_by(fields, expected):
    units = [unit(f"t{i}", f) for i, f in enumerate(fields)]
    assert grouping.default_group_by(units) == expected


def test_default_group_by_prefers_the_hparams_config_order_then_names_then_sorted():
    fields = [
        {"param.z": 1, "param.b": 1, "param.a": 1, "param.m": 1, "name.m": 1},
        {"param.z": 2, "param.b": 2, "param.a": 2, "param.m": 2, "name.m": 2},
    ]
    units = [unit(f"t{i}", f) for i, f in enumerate(fields)]
    assert grouping.default_group_by(units, order=["z", "b"]) == [
        "param.z", "param.b", "param.m", "param.a",
    ]  # fmt: skip


def test_recorded_hparams_list_in_one_order_whatever_the_dict_order():
    a = naming.parse_run_name("run-0")
    one = grouping.build_units([(a, {"hparams": {"units": 16, "dropout": 0.1, "opt": "adam"}})])
    two = grouping.build_units([(a, {"hparams": {"opt": "adam", "units": 16, "dropout": 0.1}})])
    assert list(one[0].fields) == list(two[0].fields)


def test_default_group_by_on_a_grid_removes_seeds():
    units = grid_units()
    assert len(units) == 12
    by = grouping.default_group_by(units)
    assert by == ["param.lr", "param.bs"]
    groups = grouping.group_units(units, by)
    assert [g.values for g in groups] == [(0.01, 32), (0.01, 64), (0.1, 32), (0.1, 64)]
    assert all(len(g.units) == 3 for g in groups)


# ---------------------------------------------------------------------------------------------
# Grouping


def test_group_units_nested_order_and_none_last():
    units = [
        unit("a", {"param.opt": "sgd", "param.lr": 0.1}),
        unit("b", {"param.opt": "adam", "param.lr": 0.1}),
        unit("c", {"param.opt": "adam", "param.lr": 0.001}),
        unit("d", {"param.lr": 0.1}),
        unit("e", {"param.opt": "adam"}),
        unit("f", {"param.opt": "adam", "param.lr": 0.001}),
    ]
    groups = grouping.group_units(units, ["param.opt", "param.lr"])
    assert [(g.values, g.trials) for g in groups] == [
        (("adam", 0.001), ("c", "f")),
        (("adam", 0.1), ("b",)),
        (("adam", None), ("e",)),
        (("sgd", 0.1), ("a",)),
        ((None, 0.1), ("d",)),
    ]
    assert groups[2].label == "param.opt=adam, param.lr=(none)"
    assert groups[2].to_json() == {
        "by": ["param.opt", "param.lr"],
        "values": ["adam", None],
        "key": grouping.group_key(["param.opt", "param.lr"], ["adam", None]),
        "label": "param.opt=adam, param.lr=(none)",
        "size": 1,
        "trials": ["e"],
    }


def test_group_units_sorts_numbers_numerically_and_strings_naturally():
    units = [unit(str(i), {"param.x": v}) for i, v in enumerate([10, 9.5, 100, -1, 2])]
    assert [g.values[0] for g in grouping.group_units(units, ["param.x"])] == [-1, 2, 9.5, 10, 100]
    units = [unit(str(i), {"path.0": v}) for i, v in enumerate(["run_10", "Run_9", "run_1"])]
    assert [g.values[0] for g in grouping.group_units(units, ["path.0"])] == [
        "run_1",
        "Run_9",
        "run_10",
    ]


def test_natural_order_survives_huge_digit_runs():
    huge = "9" * 5000  # int() refuses this many digits
    units = [unit(str(i), {"path.0": v}) for i, v in enumerate([f"r{huge}", "r10", "r010", "r9"])]
    got = [g.values[0] for g in grouping.group_units(units, ["path.0"])]
    assert got == ["r9", "r010", "r10", f"r{huge}"]


def test_group_units_mixed_types():
    values = ["b", 3, True, None, 1.5, False, "a", math.nan, 1, 1.0, math.inf, "10", math.nan]
    units = [unit(f"t{i}", {} if v is None else {"param.x": v}) for i, v in enumerate(values)]
    groups = grouping.group_units(units, ["param.x"])
    keys = [g.values[0] for g in groups]
    # Numbers (NaN last among them), then booleans, then strings, then (none).
    assert keys[:4] == [1, 1.5, 3, math.inf]
    assert math.isnan(keys[4])
    assert keys[5:] == [False, True, "10", "a", "b", None]
    by_key = {repr(g.values[0]): g.trials for g in groups}
    assert by_key["1"] == ("t8", "t9")  # 1 and 1.0 are one group
    assert by_key["True"] == ("t2",)  # True is not 1
    assert by_key["nan"] == ("t7", "t12")  # all NaNs are one group


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.none(),
            st.booleans(),
            st.integers(),
            st.floats(allow_nan=True),
            st.text(max_size=5),
        ),
        max_size=30,
    )
)
def test_group_units_never_crashes_and_partitions(values):
    units = [unit(f"t{i}", {} if v is None else {"param.x": v}) for i, v in enumerate(values)]
    groups = grouping.group_units(units, ["param.x"], known=["param.x"])
    assert sorted(t for g in groups for t in g.trials) == sorted(u.trial for u in units)
    keys = [grouping.value_sort_key(g.values[0]) for g in groups if g.values]
    assert keys == sorted(keys)
    assert len(set(keys)) == len(keys)


def test_group_units_no_fields_is_one_group():
    units = grid_units()
    (group,) = grouping.group_units(units, [])
    assert group.values == ()
    assert len(group.units) == len(units)
    assert group.label == "all"
    assert grouping.group_units([], []) == []


@pytest.mark.parametrize("field_id", ["param.nope", "lr", "time.year", "", "path.7"])
def test_group_units_unknown_field_raises_naming_it(field_id):
    with pytest.raises(ValueError, match="unknown field") as info:
        grouping.group_units(grid_units(), ["param.lr", field_id])
    assert repr(field_id) in str(info.value)


def test_unknown_field_error_suggests_close_ids():
    with pytest.raises(ValueError, match="did you mean 'param.lr'"):
        grouping.group_units(grid_units(), ["param.lrr"])


def test_group_units_known_accepts_fields_of_the_whole_experiment():
    units = grid_units()
    subset = [u for u in units if u.fields["param.lr"] == 0.1]
    known = [f.id for f in grouping.list_fields(units)] + ["param.extra"]
    (group,) = grouping.group_units(subset, ["param.extra"], known=known)
    assert group.values == (None,) and len(group.units) == len(subset)
    with pytest.raises(ValueError, match="'param.lr'"):
        grouping.group_units(subset, ["param.lr"], known=["param.bs"])


def test_group_units_rejects_a_bare_string():
    with pytest.raises(TypeError):
        grouping.group_units(grid_units(), "param.lr")


@pytest.mark.parametrize("field_id", ["time.day", "time.week", "time.month", "path.0", "tags"])
def test_always_known_fields_work_without_any_unit_having_them(field_id):
    units = [unit("a", {}), unit("b", {})]
    (group,) = grouping.group_units(units, [field_id])
    assert group.values == (None,)
    assert grouping.group_units([], [field_id]) == []


def test_resolve_fields():
    units = grid_units()
    assert grouping.resolve_fields(["lr", "param.bs", " seed ", "path.0"], units) == [
        "param.lr",
        "param.bs",
        "param.seed",
        "path.0",
    ]
    with pytest.raises(ValueError, match="'nope'"):
        grouping.resolve_fields(["lr", "nope"], units)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, "(none)"),
        (True, "true"),
        (False, "false"),
        (0.1, "0.1"),
        (3, "3"),
        (3.0, "3.0"),
        ("x", "x"),
    ],
)
def test_format_value(value, text):
    assert grouping.format_value(value) == text


# ---------------------------------------------------------------------------------------------
# JSON


def test_everything_is_json_ready():
    units = grouping.build_units(
        [
            (rn("a/train", split="train", params={"lr": 0.1}), None),
            (rn("a"), {"hparams": {"x": [1]}, "metrics": {"loss": math.nan}}),
        ]
    )
    payload = {
        "units": [u.to_json() for u in units],
        "fields": [f.to_json() for f in grouping.list_fields(units)],
        "groups": [g.to_json() for g in grouping.group_units(units, ["param.lr"])],
        "stats": aggregate.group_stats({"a": 1.0}, "loss", "best").to_json(),
        "curve": curves.group_curve({"a": ([0], [1.0])}).to_json(),
    }
    text = json.dumps(payload)  # NaN allowed: the HTTP layer cleanses it
    again = json.loads(text)
    assert again["units"][0]["runs"] == [
        {"split": None, "run": "a"},
        {"split": "train", "run": "a/train"},
    ]
