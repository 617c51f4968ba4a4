"""Kindred's areas import one way: the module import graph of ``community/``
has no cycle (see docs/ARCHITECTURE.md).

The same graph folded onto areas (:func:`area_of`: the tables, each domain
area, the publisher, the pages and socket handlers) has no cycle either, so
there is one order of areas, low to high, that docs/architecture.py draws.

Every import counts, at module level or inside a function (a function-level
import is still a dependency, only a later one), except those under
``if TYPE_CHECKING:``, which never run. Edges into the root package
(``community``, the app factory that wires every area together) are left
out: the factory sits above everything, and the one module that reaches up
to it (``community.jobs``, building an app in a fresh RQ worker process) is
checked by name.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "community"


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _type_checking_only(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST):
    """Every import node of ``tree`` that runs (not those under TYPE_CHECKING)."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _type_checking_only(node):
            stack.extend(node.orelse)
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        stack.extend(ast.iter_child_nodes(node))


def import_graph(root: Path, package: str = PACKAGE) -> dict[str, set[str]]:
    """``{module: {modules of the package it imports}}`` for every module under
    ``root / package``. ``from a import b`` points at ``a.b`` when that is a
    module, else at ``a``."""
    files = {module_name(path, root): path for path in sorted((root / package).rglob("*.py"))}
    graph: dict[str, set[str]] = {name: set() for name in files}
    for name, path in files.items():
        is_package = path.name == "__init__.py"
        for node in _imports(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                base = node.module or ""
                if node.level:
                    here = name.split(".") if is_package else name.split(".")[:-1]
                    here = here[: len(here) - (node.level - 1)]
                    base = ".".join([*here, base] if base else here)
                targets = [
                    f"{base}.{alias.name}" if f"{base}.{alias.name}" in files else base
                    for alias in node.names
                ]
            for target in targets:
                while target and target not in files:
                    target = target.rpartition(".")[0]  # import a.b.c of module a.b
                if target and target != name:
                    graph[name].add(target)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` as a list of modules (first == last), or None."""
    done: set[str] = set()
    path: list[str] = []
    on_path: set[str] = set()

    def visit(node: str) -> list[str] | None:
        path.append(node)
        on_path.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt in on_path:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in done:
                found = visit(nxt)
                if found:
                    return found
        path.pop()
        on_path.discard(node)
        done.add(node)
        return None

    for start in sorted(graph):
        if start not in done:
            found = visit(start)
            if found:
                return found
    return None


# The layers of docs/ARCHITECTURE.md: what each module belongs to.
CORE = {"config", "db", "errors", "extensions", "jobs", "cron", "urls", "network_address", "words"}
EDGE = {"views", "forms", "realtime", "panel", "web"}  # pages, forms, socket handlers


def area_of(module: str) -> str:
    """The box of the architecture picture that ``module`` belongs to."""
    parts = module.split(".")[1:]
    if not parts:
        return "app"
    if parts[0] in CORE:
        return "core"
    if parts[0] in ("models", "blocks") or parts[-1] == "models":
        return "tables"
    if parts[:2] == ["chat", "push"]:
        return "push"
    if parts[0] == "site" or (len(parts) > 1 and parts[-1] in EDGE):
        return "pages"
    if parts[0] in ("cli", "demo"):
        return "commands"
    return parts[0]


def area_graph(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    """The module graph folded onto :func:`area_of` boxes."""
    folded: dict[str, set[str]] = {}
    for module, targets in graph.items():
        area = area_of(module)
        folded.setdefault(area, set()).update(
            area_of(target) for target in targets if area_of(target) != area
        )
    return folded


def _without_factory(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    return {module: targets - {PACKAGE} for module, targets in graph.items()}


def test_community_imports_have_no_cycle():
    cycle = find_cycle(_without_factory(import_graph(ROOT)))
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_areas_import_one_way():
    """Folded onto areas (tables, domain areas, the publisher, pages), the
    graph has no cycle either: there is one order, low to high."""
    cycle = find_cycle(area_graph(_without_factory(import_graph(ROOT))))
    assert cycle is None, "areas import each other: " + " -> ".join(cycle)


def test_only_the_job_runner_reaches_up_to_the_app_factory():
    graph = import_graph(ROOT)
    assert {module for module, targets in graph.items() if PACKAGE in targets} == {"community.jobs"}


def test_the_check_catches_a_cycle(tmp_path):
    package = tmp_path / "pkg"
    (package / "low").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "low" / "__init__.py").write_text("")
    (package / "low" / "a.py").write_text("from pkg.high import b\n")
    (package / "high.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from pkg import low\n"
        "def later():\n    from .low.a import x\n"
    )
    graph = import_graph(tmp_path, "pkg")
    assert graph["pkg.high"] == {"pkg.low.a"}
    assert find_cycle(graph) == ["pkg.high", "pkg.low.a", "pkg.high"]
    (package / "low" / "a.py").write_text("import pkg.low\n")
    assert find_cycle(import_graph(tmp_path, "pkg")) is None


@pytest.mark.parametrize(
    ("edges", "has_cycle"),
    [({"a": {"b"}, "b": {"c"}, "c": set()}, False), ({"a": {"b"}, "b": {"c"}, "c": {"a"}}, True)],
)
def test_find_cycle(edges, has_cycle):
    assert (find_cycle(edges) is not None) == has_cycle
