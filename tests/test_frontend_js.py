"""The front end's pure modules, tested with `node --test` (frontend/tests/*.test.js)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest
from conftest import REPO

TESTS = os.path.join(REPO, "frontend", "tests")


def test_node_unit_tests_pass():
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not installed (node >= 20 runs the front end's unit tests)")
    files = sorted(os.path.join(TESTS, f) for f in os.listdir(TESTS) if f.endswith(".test.js"))
    assert files, "no frontend/tests/*.test.js found"
    done = subprocess.run(
        [node, "--test", *files], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-5000:]
    passed = re.search(r"^# pass (\d+)$", output, re.M)
    failed = re.search(r"^# fail (\d+)$", output, re.M)
    assert passed and int(passed.group(1)) > 0, output[-2000:]
    assert failed and int(failed.group(1)) == 0, output[-2000:]


def test_the_backend_picks_the_chart_groups_the_tab_picks():
    """`answers.default_chart_keys` (the first view's chart) is group.js' `defaultChartKeys`
    over the table in the backend's order: else the tab asks for the curves again."""
    import json
    import random
    from types import SimpleNamespace

    from tb_plugin import answers

    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not installed (node >= 20 runs the front end's unit tests)")
    rng = random.Random(7)
    cases = []
    for _ in range(200):
        sizes = [rng.choice([1, 1, 2, 3, 3, 5, 8]) for _ in range(rng.randint(0, 12))]
        cases.append({"sizes": sizes, "n": rng.randint(0, 6)})
    script = (
        "import { defaultChartKeys } from './frontend/group.js';"
        "const cases = JSON.parse(process.argv[1]);"
        "console.log(JSON.stringify(cases.map(c => defaultChartKeys("
        "c.sizes.map((size, i) => ({ key: 'k' + i, size })), c.n))));"
    )
    done = subprocess.run(
        [node, "--input-type=module", "-e", script, json.dumps(cases)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    tab = json.loads(done.stdout)
    for case, picked in zip(cases, tab, strict=True):
        found = [
            SimpleNamespace(key=f"k{i}", units=[None] * size)
            for i, size in enumerate(case["sizes"])
        ]
        assert answers.default_chart_keys(found, case["n"]) == picked, case
