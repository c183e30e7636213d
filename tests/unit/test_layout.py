"""The tree draws the architecture, and stays drawn: which package may import which, no import circles, small
modules and functions. Read from the source (ast), nothing imported."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("hooks", "workers")
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60


def modules() -> dict[str, Path]:
    """Every product module, by dotted name."""
    out = {}
    for top in PRODUCT:
        for path in (ROOT / top).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


def imports(path: Path, known: dict[str, Path]) -> Iterator[str]:
    """The product modules `path` imports (at any depth of the file, type-checking imports left out)."""
    tree = ast.parse(path.read_text())
    skip = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
            for n in ast.walk(node)}  # fmt: skip
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        else:
            continue
        yield from (n for n in names if n in known)


GRAPH = {name: sorted(set(imports(path, modules()))) for name, path in modules().items()}


@pytest.mark.parametrize(("package", "forbidden"), [("hooks", "workers")])
def test_a_package_never_imports_the_ones_built_on_it(package: str, forbidden: str) -> None:
    bad = [(m, i) for m, deps in GRAPH.items() if m.split(".")[0] == package for i in deps
           if i.split(".")[0] == forbidden]  # fmt: skip
    assert bad == []


def test_no_product_modules_import_each_other_in_a_circle() -> None:
    # a package's __init__ importing its own modules is not a circle of concerns: leave those edges out
    graph = {m: [d for d in deps if d != m and not d.startswith(m + ".")] for m, deps in GRAPH.items()}
    cycles = []
    state: dict[str, int] = {}

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for dep in graph.get(node, []):
            if state.get(dep) == 1:
                cycles.append(stack[stack.index(dep) :] + [dep])
            elif dep not in state:
                visit(dep, [*stack, dep])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert cycles == []


@pytest.mark.parametrize("name", sorted(modules()))
def test_modules_are_small(name: str) -> None:
    assert len(modules()[name].read_text().splitlines()) <= MAX_MODULE_LINES


@pytest.mark.parametrize("name", sorted(modules()))
def test_functions_are_short(name: str) -> None:
    tree = ast.parse(modules()[name].read_text())
    long = [f"{n.name} ({n.end_lineno - n.lineno + 1} lines)" for n in ast.walk(tree)
            if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and n.end_lineno
            and n.end_lineno - n.lineno + 1 > MAX_FUNCTION_LINES]  # fmt: skip
    assert long == []


def test_the_settings_stand_alone() -> None:
    # an app's process reads its settings before anything else: they need nothing of hooks but its error tree
    bad = [(m, i) for m, deps in GRAPH.items() if m.startswith("hooks.settings") for i in deps
           if not (i.startswith("hooks.settings") or i == "hooks.errors")]  # fmt: skip
    assert bad == []


def test_no_module_imports_another_modules_private_names() -> None:
    # a name with a leading underscore may change without notice: a module that needs it wants it made public
    bad = [f"{name} imports {node.module}.{alias.name}" for name, path in modules().items()
           for node in ast.walk(ast.parse(path.read_text()))
           if isinstance(node, ast.ImportFrom) and node.module and node.level == 0
           for alias in node.names if alias.name.startswith("_") and not alias.name.startswith("__")]  # fmt: skip
    assert bad == []
