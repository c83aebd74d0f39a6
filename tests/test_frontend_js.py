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
