"""The host core's modules import in one direction: no cycle, not even through a lazy import.

The graph is read from the source with :mod:`ast`, so an import inside a function or under
``if TYPE_CHECKING:`` counts like one at the top: hiding an import does not break a cycle,
it only moves the moment it bites. So does ``importlib.import_module("flask_plugboard.x")``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

PACKAGE = "flask_plugboard"
CORE = Path(__file__).resolve().parents[1] / "src" / PACKAGE


def _core_modules(root: Path = CORE) -> dict[str, Path]:
    """The host core: the package's own ``.py`` files, not its sub-packages (plugins...)."""
    return {
        ("__init__" if path.stem == "__init__" else path.stem): path
        for path in sorted(root.glob("*.py"))
    }


def _imported(node: ast.Import | ast.ImportFrom, modules: set[str]) -> Iterator[str]:
    """The core modules one import statement names."""
    if isinstance(node, ast.Import):
        for alias in node.names:
            parts = alias.name.split(".")
            if parts[0] != PACKAGE:
                continue
            if len(parts) == 1:
                yield "__init__"
            elif parts[1] in modules:
                yield parts[1]
            # else: a sub-package such as flask_plugboard.plugins, outside the core
        return
    if node.level > 1:
        return  # from a sub-package up into the core: not a core module's import
    if node.level == 1:
        parts = node.module.split(".") if node.module else []
    elif node.module is not None and node.module.split(".")[0] == PACKAGE:
        parts = node.module.split(".")[1:]
    else:
        return
    if parts:
        if parts[0] in modules:
            yield parts[0]
        # else: a sub-package such as .plugins or .testing, outside the core
        return
    for alias in node.names:  # ``from . import hookspecs``: a module, or a name of __init__
        yield alias.name if alias.name in modules else "__init__"


def _imported_by_name(node: ast.AST) -> str | None:
    """The module of ``importlib.import_module("flask_plugboard.x")``: an import too."""
    if not (isinstance(node, ast.Call) and node.args):
        return None
    func, arg = node.func, node.args[0]
    named = isinstance(func, ast.Attribute) and func.attr == "import_module"
    named = named or isinstance(func, ast.Name) and func.id == "import_module"
    if named and isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        return arg.value
    return None


def import_graph(root: Path = CORE) -> dict[str, dict[str, int]]:
    """``{module: {imported module: line}}`` for the core modules under ``root``."""
    files = _core_modules(root)
    graph: dict[str, dict[str, int]] = {}
    for name, path in files.items():
        edges: dict[str, int] = {}
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import | ast.ImportFrom):
                targets = list(_imported(node, set(files)))
            elif (by_name := _imported_by_name(node)) is not None:
                targets = list(_imported(ast.Import([ast.alias(by_name)]), set(files)))
            else:
                continue
            for target in targets:
                if target != name:
                    edges.setdefault(target, node.lineno)
        graph[name] = edges
    return graph


def find_cycle(graph: dict[str, dict[str, int]]) -> list[str] | None:
    """One cycle of ``graph`` as ``[a, b, ..., a]``, or None."""
    done: set[str] = set()
    path: list[str] = []
    on_path: set[str] = set()

    def visit(node: str) -> list[str] | None:
        path.append(node)
        on_path.add(node)
        for target in sorted(graph.get(node, {})):
            if target in on_path:
                return path[path.index(target) :] + [target]
            if target not in done:
                found = visit(target)
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


def _describe(cycle: list[str], graph: dict[str, dict[str, int]]) -> str:
    steps = zip(cycle, cycle[1:], strict=False)
    return ", ".join(f"{PACKAGE}/{a}.py:{graph[a][b]} imports {b}" for a, b in steps)


def test_the_host_core_has_no_import_cycle() -> None:
    graph = import_graph()
    assert "_host" in graph["__init__"], "the graph misses the package's own imports"
    cycle = find_cycle(graph)
    assert cycle is None, (
        f"import cycle in the host core: {' -> '.join(cycle)} ({_describe(cycle, graph)}); "
        "move what both sides need into a small module that both import"
    )


def test_a_lazy_import_is_seen_as_an_edge(tmp_path: Path) -> None:
    (tmp_path / "__init__.py").write_text("from .a import x\n")
    (tmp_path / "a.py").write_text("from .b import y\nx = 1\n")
    (tmp_path / "b.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from . import c\n"
        "def y() -> None:\n    from flask_plugboard.a import x\n"
    )
    (tmp_path / "c.py").write_text(
        "import importlib\nimport flask_plugboard.plugins.timer\n"
        "importlib.import_module('flask_plugboard.d')\n"
    )
    (tmp_path / "d.py").write_text("")
    graph = import_graph(tmp_path)
    assert graph == {
        "__init__": {"a": 1},
        "a": {"b": 1},
        "b": {"c": 3, "a": 5},
        "c": {"d": 3},
        "d": {},
    }
    assert find_cycle(graph) == ["a", "b", "a"]
    assert _describe(["a", "b", "a"], graph) == (
        "flask_plugboard/a.py:1 imports b, flask_plugboard/b.py:5 imports a"
    )
