"""Writing a new plugin package (``flask plugins new NAME``) from the ``_scaffold`` templates.

Pure file generation: nothing here touches an app. The templates are plain files with
:class:`string.Template` placeholders (``$name``, ``$cls``, ...), shipped as package data.
"""

from __future__ import annotations

import re
import shutil
import string
from importlib import resources
from pathlib import Path

from packaging.version import Version

from ._version import __version__
from .errors import PlugboardError

__all__ = ["check_name", "create_plugin_package", "package_dir_name", "render_files"]

# A plugin name becomes a module name, a config prefix, a URL prefix and a blueprint
# name: lowercase ASCII keeps all four valid and conventional.
_NAME = re.compile(r"[a-z][a-z0-9_]*\Z")

#: Template file -> path in the new package (``{name}`` is the plugin name).
_FILES = {
    "pyproject.toml.tmpl": "pyproject.toml",
    "README.md.tmpl": "README.md",
    "gitignore.tmpl": ".gitignore",
    "plugin.py.tmpl": "src/plugboard_{name}/__init__.py",
    "migration.py.tmpl": "src/plugboard_{name}/migrations/0001_create_{name}_visit.py",
    "index.html.tmpl": "src/plugboard_{name}/templates/{name}/index.html",
    "style.css.tmpl": "src/plugboard_{name}/static/{name}.css",
    "test_plugin.py.tmpl": "tests/test_{name}.py",
}


def check_name(name: str) -> None:
    """Raise :class:`PlugboardError` unless ``name`` can name a new plugin."""
    if not _NAME.match(name):
        raise PlugboardError(
            f"{name!r} is not a valid plugin name: use lowercase letters, digits and "
            "underscores, starting with a letter (for example 'audit_log')"
        )


def package_dir_name(name: str) -> str:
    """Name of the folder (and distribution) of plugin ``name``: ``plugboard-NAME``."""
    return f"plugboard-{name}"


def _host_range() -> str:
    """The host versions a new plugin declares: from this release to the next major."""
    version = Version(__version__)
    return f">={version.major}.{version.minor},<{version.major + 1}"


def _values(name: str) -> dict[str, str]:
    title = "".join(part.capitalize() for part in name.split("_") if part)
    host_range = _host_range()
    return {
        "name": name,
        "title": title,
        "cls": f"{title}Plugin",
        "label": name.replace("_", " ").strip().capitalize(),
        "package": f"plugboard_{name}",
        "dist": package_dir_name(name),
        "prefix": name.upper(),
        "description": f"The {name} plugin for Plugboard.",
        "host_versions": host_range,
        "host_requirement": host_range,
    }


def render_files(name: str) -> dict[str, str]:
    """Return the new package's files, ``{relative path: text}``, without writing them."""
    check_name(name)
    values = _values(name)
    templates = resources.files("flask_plugboard").joinpath("_scaffold")
    return {
        target.format(name=name): string.Template(
            templates.joinpath(source).read_text(encoding="utf-8")
        ).substitute(values)
        for source, target in _FILES.items()
    }


def create_plugin_package(name: str, parent: Path) -> Path:
    """Write the package of plugin ``name`` in ``parent/plugboard-NAME`` and return it.

    Refuses an invalid name or an existing folder with a :class:`PlugboardError`; a
    failure half-way removes what was written, so nothing is left half-made.
    """
    files = render_files(name)
    root = parent / package_dir_name(name)
    if root.exists():
        raise PlugboardError(
            f"{root} already exists: choose another plugin name or another --path, "
            "or remove that folder first"
        )
    if not parent.is_dir():
        raise PlugboardError(f"{parent} is not a folder: give an existing folder as --path")
    root.mkdir()
    try:
        for relative, text in files.items():
            target = root / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
    except BaseException:
        # Only the folder made just above is removed: it held nothing before.
        shutil.rmtree(root, ignore_errors=True)
        raise
    return root
