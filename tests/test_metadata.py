"""The storage format: encoding, validation, versions and merging."""

from __future__ import annotations

import json
import math

import hypothesis
import pytest
from hypothesis import strategies as st
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
        (b'{"version": 2}', None),
        (b'{"version": 3}', metadata.UnsupportedVersionError),
        (b'{"version": "1"}', ValueError),
        (b"not json", ValueError),
        (b"", ValueError),
        (b"[1]", ValueError),
    ],
)
def test_plugin_content_versions(content, error):
    if error is None:
        assert metadata.parse_plugin_content(content) == json.loads(content)["version"]
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


# --- version 2: states that merge ----------------------------------------------------


def _state(sets=(), tags=(), removed=(), notes=()):
    state = metadata.new_state()
    for key, value, t in sets:
        metadata.set_key(state, key, value, t)
    for tag, t in tags:
        metadata.add_tag(state, tag, t)
    for tag in removed:
        metadata.remove_tag(state, tag)
    for note_id, text, t in notes:
        metadata.add_note(state, note_id, text, t)
    return state


def test_a_writer_that_never_saw_an_annotation_cannot_undo_it():
    trainer = _state(sets=[("status", "running", 1.0)], tags=[("v1", 1.0)])
    trainer_notes = [("keras", "baseline", 1.0)]
    trainer = metadata.join(trainer, _state(notes=trainer_notes))
    annotation = _state(tags=[("diverging", 5.0)], notes=[("a", "looked bad at epoch 1", 5.0)])
    # The trainer's final state restates everything it knows, and sets status.
    final = metadata.join(trainer, _state(sets=[("status", "finished", 9.0)]))
    got = metadata.view(metadata.join(annotation, final))
    assert got == {
        "status": "finished",
        "tags": ["v1", "diverging"],
        "notes": "baseline\nlooked bad at epoch 1",
    }


def test_a_removal_undoes_only_the_additions_it_saw():
    seen = _state(tags=[("x", 1.0)])
    metadata.remove_tag(seen, "x")
    unseen_later = _state(tags=[("x", 2.0)])
    assert metadata.view(metadata.join(seen, _state(tags=[("x", 1.0)])))["tags"] == []
    assert metadata.view(metadata.join(seen, unseen_later))["tags"] == ["x"]
    readded = metadata.join(seen, _state(tags=[("x", 3.0)]))
    assert metadata.view(readded)["tags"] == ["x"]


def test_a_removed_note_stays_removed_and_others_append_in_time_order():
    a = _state(notes=[("n1", "first", 1.0), ("n2", "second", 2.0)])
    metadata.remove_note(a, "n1")
    b = _state(notes=[("n1", "first", 1.0), ("n3", "third", 1.5)])
    assert metadata.view(metadata.join(a, b))["notes"] == "third\nsecond"
    assert metadata.view(metadata.join(b, a))["notes"] == "third\nsecond"


_states = st.builds(
    _state,
    sets=st.lists(st.tuples(st.sampled_from("abc"), st.integers(0, 3), st.integers(0, 5))),
    tags=st.lists(st.tuples(st.sampled_from("xyz"), st.integers(0, 5))),
    removed=st.lists(st.sampled_from("xyz")),
    notes=st.lists(
        st.tuples(st.sampled_from("pq"), st.sampled_from(["u", "v"]), st.integers(0, 5))
    ),
)


@hypothesis.given(_states, _states, _states)
def test_join_is_commutative_associative_and_idempotent(a, b, c):
    def same(x, y):
        return metadata.dumps(metadata.view(x)) == metadata.dumps(metadata.view(y))

    assert same(metadata.join(a, b), metadata.join(b, a))
    assert same(metadata.join(metadata.join(a, b), c), metadata.join(a, metadata.join(b, c)))
    assert same(metadata.join(a, a), a)
    assert same(metadata.join(a, b, a, b), metadata.join(a, b))


@hypothesis.given(st.lists(_states, min_size=1, max_size=8), st.data())
def test_any_sample_that_keeps_the_latest_cumulative_state_reads_the_same(states, data):
    # Each writer folds what it read into what it writes, as tb_plugin.writer
    # does under its lock: the loaders' sampling may keep any subset holding
    # the latest, and the answer is the same.
    cumulative = []
    for state in states:
        cumulative.append(metadata.join(*(cumulative[-1:] or []), state))
    kept = (
        data.draw(st.lists(st.sampled_from(cumulative[:-1]), max_size=5))
        if len(cumulative) > 1
        else []
    )
    assert metadata.view(metadata.join(*kept, cumulative[-1])) == metadata.view(cumulative[-1])


@pytest.mark.parametrize(
    ("value", "series_version", "expected"),
    [
        (b'{"a": 1}', 1, (1, {"a": 1})),
        (b'{"a": 1}', 2, (1, {"a": 1})),
        (b'[2, {"set": {"a": [1.0, 1]}, "tags": {}, "notes": {}}]', 1, None),
        (b'[3, {"anything": true}]', 1, metadata.UnsupportedVersionError),
        (b'[3, {"anything": true}]', 3, metadata.UnsupportedVersionError),
        (b'{"a": 1}', 3, metadata.UnsupportedVersionError),
        (b'[2, {"set": {}}]', 2, ValueError),
        (b'[2, {"set": {"a": 1}, "tags": {}, "notes": {}}]', 2, ValueError),
        (b"[true, {}]", 2, ValueError),
        (b'"text"', 1, ValueError),
    ],
)
def test_each_value_says_its_own_version(value, series_version, expected):
    if isinstance(expected, type):
        with pytest.raises(expected):
            metadata.decode_value(value, series_version)
    elif expected is None:
        version, state = metadata.decode_value(value, series_version)
        assert version == 2 and metadata.view(state) == {"a": 1}
    else:
        assert metadata.decode_value(value, series_version) == expected


def test_a_newer_version_warns_once(caplog):
    metadata._warned_versions.discard(7)
    for _ in range(3):
        with pytest.raises(metadata.UnsupportedVersionError):
            metadata.decode_value(b"[7, {}]")
    assert sum("payload version 7" in r.getMessage() for r in caplog.records) == 1


def test_version_1_runs_merge_exactly_as_before_and_mix_by_key_time():
    v1 = [(10.0, {"tags": ["a"], "notes": "n", "x": 1}), (20.0, {"tags": ["b"], "y": 2})]
    assert metadata.merge([(t, 1, d) for t, d in v1]) == metadata.merge_snapshots(v1)
    state = _state(sets=[("x", 5, 15.0)], tags=[("c", 25.0)], notes=[("m", "later", 30.0)])
    got = metadata.merge([*((t, 1, d) for t, d in v1), (30.0, 2, state)])
    assert got == {"x": 5, "y": 2, "tags": ["b", "c"], "notes": "n\nlater"}


def test_encode_state_validates_like_a_snapshot():
    with pytest.raises(TypeError, match="hparams"):
        metadata.encode_state(_state(sets=[("hparams", {"f": object()}, 1.0)]))
    with pytest.raises(ValueError, match="status"):
        metadata.encode_state(_state(sets=[("status", "bogus", 1.0)]))
    with pytest.raises(ValueError, match="tags"):
        metadata.set_key(metadata.new_state(), "tags", ["a"], 1.0)
    encoded = metadata.encode_state(_state(sets=[("nan", float("nan"), 1.0)]))
    assert encoded.startswith(b"[2,")
