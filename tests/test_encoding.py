"""The plugin's fast JSON encoding matches TensorBoard's Cleanse + json.dumps."""

from __future__ import annotations

import json

import pytest
from tensorboard.backend import json_util

from tb_plugin import answers

NAN, INF = float("nan"), float("inf")


@pytest.mark.parametrize(
    "body",
    [
        {"a": [NAN, INF, -INF, 1.5, -0.0, 2**70]},
        {"NaN": "NaN", "Infinity": "-Infinity", "s": 'x "NaN" \\ Infinity'},
        {"k": '\\"NaN', "n": NAN, "nested": {"x": [{"y": -INF}]}},
        {"unicode": "héllo 日本 🚀 NaN", "v": INF},
        {"tuple": (1, NAN), "none": None, "bools": [True, False]},
        [],
        {},
    ],
)
def test_encode_equals_cleanse(body):
    assert json.loads(answers.encode(body)) == json.loads(json.dumps(json_util.Cleanse(body)))
