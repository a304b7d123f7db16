"""The package's layers, enforced: every import (also inside functions) goes downwards, and no
module imports itself in a circle.

Layers, lowest first (``LAYERS``): basic helpers -> data (and the twin, which writes a data
folder) -> engine -> dataset -> metrics registry -> chapter kit -> analyses -> report, plots
and export -> app. A module may import modules of its own layer or of a lower one; inside a
layer, only the orders in ``WITHIN`` (e.g. the funnel uses the predictive models, the EDA the
fidelity measurement) and never in a circle.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "kuailive_analysis"

LAYERS: list[tuple[str, ...]] = [
    ("kuailive_analysis", "config", "core"),
    ("data", "twin"),
    ("engine",),
    ("dataset",),
    ("metrics",),
    ("chapter",),
    ("cleaning", "predict", "fidelity", "eda", "retention", "ltv", "funnel"),
    ("report", "plots", "export"),
    ("app",),
]
"""Top-level names of the package (a subpackage or a module) by layer, lowest first."""

WITHIN: dict[str, set[str]] = {
    "twin": {"data"},
    "funnel": {"predict"},
    "eda": {"fidelity"},
    "plots": {"report"},
    "export": {"report"},
    "core": {"kuailive_analysis", "config"},
}
"""Allowed imports between two top-level names of the same layer (importer -> imported)."""


def _modules() -> dict[str, Path]:
    mods = {}
    for path in ROOT.rglob("*.py"):
        parts = path.relative_to(ROOT.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        mods[name] = path
    return mods


MODULES = _modules()


def _target(module: str, node: ast.AST) -> list[str]:
    """The package modules an import statement names (``from x import y`` counts ``x.y`` when
    that is a module)."""
    if isinstance(node, ast.Import):
        names = [a.name for a in node.names]
    else:
        if node.level:
            base = module.split(".")
            if MODULES[module].name != "__init__.py":
                base = base[:-1]
            base = base[: len(base) - (node.level - 1)]
            target = ".".join(base + ([node.module] if node.module else []))
        else:
            target = node.module or ""
        names = [
            f"{target}.{a.name}" if f"{target}.{a.name}" in MODULES else target for a in node.names
        ]
    out = []
    for name in names:
        while name and name not in MODULES:
            name = name.rpartition(".")[0]
        if name.startswith("kuailive_analysis") and name != module:
            out.append(name)
    return out


def import_graph() -> dict[str, set[str]]:
    """Module -> the package modules it imports, anywhere in its body (functions included)."""
    graph: dict[str, set[str]] = defaultdict(set)
    for module, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                graph[module].update(_target(module, node))
    return graph


def top(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


LAYER_OF = {name: i for i, names in enumerate(LAYERS) for name in names}


def test_every_module_has_a_layer():
    missing = sorted({top(m) for m in MODULES} - set(LAYER_OF))
    assert not missing, f"top-level names without a layer in LAYERS: {missing}"


def test_imports_go_downwards_only():
    bad = []
    for module, targets in import_graph().items():
        a = top(module)
        for target in targets:
            b = top(target)
            if a == b:
                continue
            la, lb = LAYER_OF[a], LAYER_OF[b]
            if lb > la or (lb == la and b not in WITHIN.get(a, set())):
                bad.append(f"{module} -> {target}")
    assert not bad, "upward or sideways imports:\n" + "\n".join(sorted(bad))


def _cycles(graph: dict[str, set[str]], nodes=None) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(MODULES if nodes is None else nodes):
        if v not in index:
            visit(v)
    return out


def test_no_import_circles_counting_imports_inside_functions():
    cycles = _cycles(import_graph())
    assert not cycles, "import circles:\n" + "\n".join(", ".join(c) for c in cycles)


@pytest.mark.parametrize(
    ("graph", "n"),
    [
        ({"a": {"b"}, "b": {"a"}}, 1),
        ({"a": {"b"}, "b": {"c"}}, 0),
        ({"a": {"b"}, "b": {"c"}, "c": {"a"}}, 1),
    ],
)
def test_the_circle_finder_finds_circles(graph, n):
    assert len(_cycles(graph, nodes="abc")) == n


def test_the_import_reader_sees_imports_inside_functions(tmp_path):
    tree = ast.parse("def f():\n    from kuailive_analysis.app import book\n")
    node = next(n for n in ast.walk(tree) if isinstance(n, ast.ImportFrom))
    assert _target("kuailive_analysis.eda", node) == ["kuailive_analysis.app.book"]
