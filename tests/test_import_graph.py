"""No import circle among `tb_plugin`'s modules (issue 23: answers → queries → export → answers)."""

from __future__ import annotations

import ast
from pathlib import Path

from conftest import REPO

PACKAGE = Path(REPO) / "tb_plugin"


def _imports(path: Path) -> set[str]:
    """The `tb_plugin` modules a module imports when it is loaded (its top-level statements)."""
    found: set[str] = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.ImportFrom) and node.module == "tb_plugin":
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("tb_plugin."):
            found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            found.update(
                a.name.split(".")[1] for a in node.names if a.name.startswith("tb_plugin.")
            )
    return found


def _graph() -> dict[str, set[str]]:
    modules = {p.stem for p in PACKAGE.glob("*.py")}
    return {p.stem: _imports(p) & modules for p in PACKAGE.glob("*.py")}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A cycle as a list of modules (first = last), or None (depth-first search)."""
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(m: str) -> list[str] | None:
        state[m] = 1
        path.append(m)
        for n in sorted(graph.get(m, ())):
            if state.get(n) == 1:
                return [*path[path.index(n) :], n]
            if n not in state and (found := visit(n)):
                return found
        path.pop()
        state[m] = 2
        return None

    for m in sorted(graph):
        if m not in state and (found := visit(m)):
            return found
    return None


def test_the_search_finds_a_circle_when_there_is_one():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None


def test_no_tb_plugin_modules_import_each_other_in_a_circle():
    graph = _graph()
    assert "queries" in graph["answers"] and "answers" in graph["export"]
    assert _cycle(graph) is None, " -> ".join(_cycle(graph) or [])
