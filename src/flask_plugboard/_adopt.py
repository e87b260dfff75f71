"""Adopting an ordinary ``init_app``-style Flask extension as a plugin, with no wrapper code.

``PLUGBOARD_PLUGINS = ["flask_mail:Mail", "flaskr.db"]`` names a class (instantiated with
no arguments), an instance, or a module or object with an ``init_app(app)`` callable, as
the Flask tutorial's ``db.py`` has. Its metadata comes from what Python knows: the name
from the import path (or ``name=path``), the version from the installed distribution,
the description from the docstring.
"""

from __future__ import annotations

import importlib.metadata
import inspect
from typing import Any

from flask import Flask

from .plugin import Plugin

__all__ = ["AdoptedExtension", "adopt"]


def _distribution_version(module_name: str) -> str:
    top = module_name.split(".")[0]
    for dist in importlib.metadata.packages_distributions().get(top, []):
        try:
            return importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:  # pragma: no cover - racing uninstall
            continue
    return "0"


def _first_line(obj: object) -> str:
    doc = inspect.getdoc(obj) or ""
    return doc.strip().splitlines()[0] if doc.strip() else ""


class AdoptedExtension(Plugin):
    """A plain Flask extension running as a plugin: no settings schema, no hooks."""

    name = "adopted"

    def __init__(self, target: Any, *, name: str, path: str) -> None:
        # Instance attributes shadow the class metadata: each adopted extension has its own.
        self.name = name  # type: ignore[misc]
        self.path = path
        module_name = str(getattr(target, "__module__", None) or getattr(target, "__name__", ""))
        self.version = _distribution_version(module_name)  # type: ignore[misc]
        self.description = _first_line(target)  # type: ignore[misc]
        self._target = target
        super().__init__()

    def init_app(self, app: Flask) -> None:
        """Call the extension's own ``init_app``; it registers itself as it always has."""
        self._target.init_app(app)

    def __repr__(self) -> str:
        return f"<adopted extension {self.name!r} from {self.path}>"


def adopt(obj: Any, *, name: str, path: str) -> Plugin:
    """Return ``obj`` as a plugin: a Plugin subclass or instance as is, else adopted."""
    if isinstance(obj, type) and issubclass(obj, Plugin):
        return obj()
    if isinstance(obj, Plugin):
        return obj
    target = obj() if inspect.isclass(obj) else obj
    if not callable(getattr(target, "init_app", None)):
        raise TypeError(
            f"{path} is neither a Plugboard plugin nor a Flask extension: "
            f"{type(target).__name__} has no init_app(app) method"
        )
    return AdoptedExtension(target, name=name, path=path)
