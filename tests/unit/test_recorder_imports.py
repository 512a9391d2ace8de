"""The recorder's and the shared formats' imports, read from the source (function-local imports
included): ``formats`` imports nothing of ours, ``recorder`` only ``formats`` and the store's
client, and no two recorder modules import each other in a cycle."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OURS = ("formats", "recorder", "sip", "desktop", "store")


def imports_of(path: Path) -> set[str]:
    """Every module of ours that ``path`` imports, wherever the import statement is."""
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return {name for name in found if name.split(".")[0] in OURS}


def modules(package: str) -> dict[str, Path]:
    return {
        ".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__"): p
        for p in sorted((ROOT / package).rglob("*.py"))
    }


def test_formats_imports_nothing_of_ours_but_formats() -> None:
    for name, path in modules("formats").items():
        bad = {m for m in imports_of(path) if not m.startswith("formats")}
        assert not bad, f"{name} imports {sorted(bad)}"


def test_the_recorder_imports_only_formats_and_the_store_client() -> None:
    for name, path in modules("recorder").items():
        bad = {
            m
            for m in imports_of(path)
            if m.split(".")[0] not in ("recorder", "formats") and not m.startswith("store.client")
        }
        assert not bad, f"{name} imports {sorted(bad)}"


def test_no_import_cycle_inside_the_recorder() -> None:
    found = modules("recorder")
    graph = {
        name: {m for m in imports_of(path) if m in found and m != name}
        for name, path in found.items()
    }
    # A package's __init__ is imported with each of its modules: not an edge of a cycle.
    graph = {
        name: {m for m in deps if not name.startswith(f"{m}.")} for name, deps in graph.items()
    }
    state: dict[str, int] = {}

    def visit(name: str, trail: list[str]) -> None:
        state[name] = 1
        for dep in sorted(graph[name]):
            if state.get(dep) == 1:
                raise AssertionError(f"import cycle: {' -> '.join([*trail, name, dep])}")
            if dep not in state:
                visit(dep, [*trail, name])
        state[name] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [])
