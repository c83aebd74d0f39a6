"""The storage format: encoding, validation, versions and merging."""

from __future__ import annotations

import json
import math

import pytest
from tensorboard.compat.proto import summary_pb2, types_pb2

from tb_plugin import metadata, summary

ROUND_TRIP = [
    {"hparams": {"lr": 0.01, "bs": 32, "opt": "adam"}},
    {"nan": float("nan"), "inf": float("inf"), "ninf": float("-inf"), "negzero": -0.0},
    {"big": 2**70, "neg": -(2**63) - 1, "tiny": 5e-324, "max": 1.7976931348623157e308},
    {"unicode": "héllo wörld ✓ 日本語 🚀", "emoji_key_🚀": "x", "": "empty key"},
    {"nested": {"a": [1, [2, {"b": None}], {"c": [True, False]}], "d": {}}, "l": []},
    {"notes": "<img src=x onerror=alert(1)>", "tags": ["a", "b"], "status": "finished"},
    {"control": "\x00\x01\n\t\u2028", "quote": '"\\'},
    {},
]


def _same(a, b) -> bool:
    """Exact equality that also treats NaN as equal and tells -0.0 from 0.0."""
    if isinstance(a, float) and isinstance(b, float):
        if math.isnan(a) and math.isnan(b):
            return True
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


@pytest.mark.parametrize("data", ROUND_TRIP)
def test_snapshot_round_trips_exactly(data):
    assert _same(metadata.decode_snapshot(metadata.encode_snapshot(data)), data)


def test_tuples_are_stored_as_lists():
    assert metadata.decode_snapshot(metadata.encode_snapshot({"t": (1, 2)})) == {"t": [1, 2]}


def test_summary_pb_has_the_documented_shape():
    proto = summary.run_metadata_pb({"a": 1})
    assert isinstance(proto, summary_pb2.Summary)
    (value,) = proto.value
    assert value.tag == "_rungroups_/run_metadata"
    assert value.metadata.plugin_data.plugin_name == "rungroups"
    assert json.loads(value.metadata.plugin_data.content) == {"version": 1}
    assert value.metadata.data_class == summary_pb2.DATA_CLASS_TENSOR
    assert value.tensor.dtype == types_pb2.DT_STRING
    assert len(value.tensor.tensor_shape.dim) == 0
    assert json.loads(value.tensor.string_val[0]) == {"a": 1}


@pytest.mark.parametrize(
    ("data", "error", "names"),
    [
        ({"hparams": {"opt": object()}}, TypeError, "hparams.opt"),
        ({"x": {1: "a"}}, TypeError, "1"),
        ({3: "a"}, TypeError, "3"),
        ({"a": [1, {2, 3}]}, TypeError, "a[1]"),
        ({"a": b"bytes"}, TypeError, "'a'"),
        ({"status": "done"}, ValueError, "status"),
        ({"tags": "one-string"}, ValueError, "tags"),
        ({"tags": ["ok", 3]}, ValueError, "tags"),
        ({"notes": 3}, ValueError, "notes"),
        ({"hparams": [1]}, ValueError, "hparams"),
        ({"started_at": 12}, ValueError, "started_at"),
        ({"s": "\ud800"}, ValueError, "'s'"),
        ({"small": 1, "blob": "x" * (1 << 20)}, ValueError, "blob"),
    ],
)
def test_bad_input_raises_naming_the_key(data, error, names):
    with pytest.raises(error, match=None) as info:
        summary.run_metadata_pb(data)
    assert names in str(info.value)


def test_not_a_mapping():
    with pytest.raises(TypeError, match="mapping"):
        metadata.encode_snapshot([("a", 1)])


def test_size_limit_is_inclusive_of_one_mib():
    overhead = len(metadata.encode_snapshot({"a": ""}))
    at_limit = {"a": "x" * (metadata.MAX_SNAPSHOT_BYTES - overhead)}
    assert len(metadata.encode_snapshot(at_limit)) == metadata.MAX_SNAPSHOT_BYTES
    with pytest.raises(ValueError, match="'a'"):
        metadata.encode_snapshot({"a": at_limit["a"] + "x"})


@pytest.mark.parametrize(
    ("content", "error"),
    [
        (b'{"version": 1}', None),
        (b'{"version": 2}', metadata.UnsupportedVersionError),
        (b'{"version": "1"}', ValueError),
        (b"not json", ValueError),
        (b"", ValueError),
        (b"[1]", ValueError),
    ],
)
def test_plugin_content_versions(content, error):
    if error is None:
        assert metadata.parse_plugin_content(content) == 1
    else:
        with pytest.raises(error):
            metadata.parse_plugin_content(content)


@pytest.mark.parametrize("value", [b"{bad json", b"[1, 2]", b"\xff\xfe", b'"str"', b""])
def test_decode_rejects_corrupt_snapshots(value):
    with pytest.raises(ValueError):
        metadata.decode_snapshot(value)


def test_merge_is_in_wall_time_order_later_keys_winning():
    merged = metadata.merge_snapshots(
        [
            (30.0, {"status": "finished", "metrics": {"loss": 0.1}}),
            (10.0, {"status": "running", "notes": "first", "hparams": {"lr": 1}}),
            (20.0, {"notes": "second", "hparams": {"bs": 2}}),
        ]
    )
    assert merged == {
        "status": "finished",
        "notes": "second",
        "hparams": {"bs": 2},
        "metrics": {"loss": 0.1},
    }
