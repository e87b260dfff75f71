"""One door: bundled plugins and the survey service import only public names.

A bundled plugin may use anything of its own package, the host's public modules and names
(no ``_`` at any level: ``flask_plugboard``, ``flask_plugboard.db``...) and other plugins'
public faces (``flask_plugboard.plugins.auth``, never ``flask_plugboard.plugins.auth._x``).
The survey service (and the example app) may use the public names of the host and of the
plugins. What a third-party author copies from a battery then works for them too.

Every import statement counts, also those inside functions, and so do
``importlib.import_module("...")`` / ``import_object("...")`` calls with a literal path.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HOST = "flask_plugboard"
PLUGINS = ROOT / "src" / HOST / "plugins"
_IMPORTING_CALLS = {"import_module", "import_object", "__import__"}


def _private(part: str) -> bool:
    return part.startswith("_") and not (part.startswith("__") and part.endswith("__"))


def _module_of(path: Path, src: Path) -> list[str]:
    parts = list(path.relative_to(src).with_suffix("").parts)
    return parts[:-1] if parts[-1] == "__init__" else parts


def _own_package(path: Path, src: Path) -> str:
    """The package a file may import freely: its plugin, or its app's top package."""
    parts = list(path.relative_to(src).with_suffix("").parts)
    if parts[:2] == [HOST, "plugins"] and len(parts) > 2:
        return ".".join(parts[:3])
    return parts[0]


def _imports(
    tree: ast.AST, module: list[str], is_package: bool
) -> Iterator[tuple[int, str, str, list[str]]]:
    """``(line, source text, absolute module, imported names)`` of every import in ``tree``."""
    package = module if is_package else module[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, f"import {alias.name}", alias.name, []
        elif isinstance(node, ast.ImportFrom):
            names = [alias.name for alias in node.names]
            dots = "." * node.level
            text = f"from {dots}{node.module or ''} import {', '.join(names)}"
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            yield node.lineno, text, target, names
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            first = node.args[0] if node.args else None
            if (
                name in _IMPORTING_CALLS
                and isinstance(first, ast.Constant)
                and isinstance(first.value, str)
            ):
                target = first.value.replace(":", ".")
                yield node.lineno, f"{name}({first.value!r})", target, []


def crossings(path: Path, src: Path, root: Path = ROOT) -> list[str]:
    """Each import in ``path`` that reaches a private host or plugin name, as
    ``file:line: import -- why``."""
    own = _own_package(path, src)
    module = _module_of(path, src)
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    imports = sorted(_imports(tree, module, path.name == "__init__.py"))
    for line, text, target, names in imports:
        if target != HOST and not target.startswith(HOST + "."):
            continue
        if target == own or target.startswith(own + "."):
            continue
        private = [p for p in target.split(".") if _private(p)]
        private += [n for n in names if _private(n)]
        if private:
            where = path.relative_to(root)
            found.append(
                f"{where}:{line}: {text} -- {', '.join(private)} is private to "
                f"{'the host' if not target.startswith(HOST + '.plugins.') else 'its plugin'}: "
                "import a public name instead (add one to the public surface if it is missing)"
            )
    return found


def _files(top: Path) -> list[Path]:
    return sorted(top.rglob("*.py"))


def test_bundled_plugins_import_only_public_names() -> None:
    files = _files(PLUGINS)
    assert len(files) > 20  # the batteries are there
    found = [c for f in files for c in crossings(f, ROOT / "src")]
    assert not found, "\n".join(found)


def test_the_survey_service_imports_only_public_names() -> None:
    sources = sorted(ROOT.glob("apps/*/src"))
    assert sources, "no app under apps/*/src"
    found = [c for src in sources for f in _files(src) for c in crossings(f, src)]
    assert not found, "\n".join(found)


def test_the_examples_import_only_public_names() -> None:
    examples = ROOT / "examples"
    found = [c for f in _files(examples) for c in crossings(f, examples)]
    assert not found, "\n".join(found)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A fake ``src`` with a bundled plugin ``demo`` and an app package ``shop``."""
    (tmp_path / HOST / "plugins" / "demo").mkdir(parents=True)
    (tmp_path / "shop").mkdir()
    return tmp_path


def _check(src: Path, relative: str, code: str) -> list[str]:
    path = src / relative
    path.write_text(code, encoding="utf-8")
    return crossings(path, src, root=src)


def test_the_check_names_file_line_and_import_of_each_crossing(tree: Path) -> None:
    code = (
        "from flask_plugboard._state import EXTENSION_KEY\n"
        "import flask_plugboard._web\n"
        "from flask_plugboard import _discovery, get_state\n"
        "from ..auth._models import utcnow\n"
        "from ... import _host\n"
        "def later():\n"
        "    from flask_plugboard.plugins.auth._service import check_email\n"
        "    importlib.import_module('flask_plugboard._admin')\n"
    )
    found = _check(tree, f"{HOST}/plugins/demo/_views.py", code)
    assert [f.split(" -- ")[0] for f in found] == [
        f"{HOST}/plugins/demo/_views.py:1: from flask_plugboard._state import EXTENSION_KEY",
        f"{HOST}/plugins/demo/_views.py:2: import flask_plugboard._web",
        f"{HOST}/plugins/demo/_views.py:3: from flask_plugboard import _discovery, get_state",
        f"{HOST}/plugins/demo/_views.py:4: from ..auth._models import utcnow",
        f"{HOST}/plugins/demo/_views.py:5: from ... import _host",
        f"{HOST}/plugins/demo/_views.py:7: "
        "from flask_plugboard.plugins.auth._service import check_email",
        f"{HOST}/plugins/demo/_views.py:8: import_module('flask_plugboard._admin')",
    ]
    assert "_state is private to the host" in found[0]
    assert "_models is private to its plugin" in found[3]


def test_the_check_lets_public_names_and_the_own_package_through(tree: Path) -> None:
    code = (
        "import os\n"
        "from flask import Flask\n"
        "from flask_plugboard import Plugin, __version__, get_state\n"
        "from flask_plugboard.db import utcnow\n"
        "from flask_plugboard.plugins.auth import current_user\n"
        "from ..ratelimit import limit\n"
        "from ._views import _helper\n"
        "from flask_plugboard.plugins.demo._models import Base\n"
        "from . import _settings\n"
    )
    assert _check(tree, f"{HOST}/plugins/demo/__init__.py", code) == []


def test_the_check_holds_an_app_to_the_public_names_of_plugins(tree: Path) -> None:
    code = (
        "from flask_plugboard.plugins.auth import User, normalise_name\n"
        "from ._service import _private_helper\n"
        "from shop._models import Order\n"
        "from flask_plugboard.plugins.auth._abuse import login_limits\n"
    )
    found = _check(tree, "shop/_legacy.py", code)
    assert [f.split(" -- ")[0] for f in found] == [
        "shop/_legacy.py:4: from flask_plugboard.plugins.auth._abuse import login_limits"
    ]
