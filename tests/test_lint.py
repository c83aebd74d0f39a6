"""Repository hygiene that users rely on indirectly: lint, format, safe DOM."""

from __future__ import annotations

import pathlib
import re
import subprocess
import sys

import pytest
from conftest import REPO

UNSAFE_DOM = re.compile(r"\b(innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval)\b")


def test_ruff_lint_and_format_are_clean():
    for args in (["check", "."], ["format", "--check", "."]):
        done = subprocess.run(
            [sys.executable, "-m", "ruff", *args], cwd=REPO, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stdout + done.stderr


def _our_js():
    root = pathlib.Path(REPO, "frontend")
    return [p for p in root.rglob("*.js") if "vendor" not in p.relative_to(root).parts]


def test_frontend_never_builds_markup_from_strings():
    files = _our_js()
    assert files, "no frontend modules found"
    offenders = [
        f"{p.relative_to(REPO)}:{n}: {line.strip()}"
        for p in files
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if UNSAFE_DOM.search(line)
    ]
    assert offenders == []


@pytest.mark.parametrize("snippet", ["el.innerHTML = x", "document.write(x)", "eval(s)"])
def test_the_unsafe_dom_check_catches(snippet):
    assert UNSAFE_DOM.search(snippet)


def test_mypy_is_clean_on_the_package():
    # Configured in pyproject.toml ([tool.mypy]: files = tb_plugin).
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-error-summary"],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
