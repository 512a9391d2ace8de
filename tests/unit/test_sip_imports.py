"""The softphone core's import contract: it imports nothing of ours but ``formats``, its
modules form no cycle (type-only imports count too), no module of ours is imported inside a
function, and no module grows past ~400 lines."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SIP = Path(__file__).resolve().parents[2] / "sip"
OURS = ("sip", "formats", "desktop", "recorder", "store", "tests", "bench")
MAX_LINES = 400


def _modules() -> dict[str, ast.Module]:
    return {f"sip.{p.stem}": ast.parse(p.read_text()) for p in sorted(SIP.glob("*.py"))}


def _imported(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
        if node.module == "sip":  # from sip import events
            return [f"sip.{alias.name}" for alias in node.names]
        return [node.module]
    return []


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    graph: dict[str, set[str]] = {}
    for name, tree in modules.items():
        targets = {t for node in ast.walk(tree) for t in _imported(node)}
        graph[name] = {t for t in targets if t in modules and t != name}
    return graph


def test_sip_imports_nothing_of_ours_but_formats():
    wrong = [
        f"{name}: {target}"
        for name, tree in _modules().items()
        for node in ast.walk(tree)
        for target in _imported(node)
        if target.split(".")[0] in OURS and target.split(".")[0] not in ("sip", "formats")
    ]
    assert wrong == []


def test_sip_modules_form_no_import_cycle():
    graph = _graph()
    cycles: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        for nxt in sorted(graph[node]):
            if nxt in path:
                cycles.append([*path[path.index(nxt) :], nxt])
            elif len(path) < len(graph):
                visit(nxt, [*path, nxt])

    for start in sorted(graph):
        visit(start, [start])
    assert cycles == []


def test_no_module_of_ours_is_imported_inside_a_function():
    local = []
    for name, tree in _modules().items():
        for fn in ast.walk(tree):
            if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(fn):
                targets = [t for t in _imported(node) if t.split(".")[0] in OURS]
                local += [f"{name}:{node.lineno}: {t}" for t in targets]
    assert local == []


@pytest.mark.parametrize("path", sorted(SIP.glob("*.py")), ids=lambda p: p.name)
def test_every_module_stays_small(path: Path):
    assert len(path.read_text().splitlines()) <= MAX_LINES
