"""The host's web pieces: plugin blueprints, cache-busted static URLs and template slots
(the admin pages, built on them, are :mod:`flask_plugboard._admin`).

Nothing here runs on requests to other routes: the template globals are looked up only by
templates that call them, and the long-cache headers are set by the static view itself.
"""

from __future__ import annotations

import hashlib
import os
import sys
from types import ModuleType
from typing import Any, cast

from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    request,
    send_from_directory,
    url_for,
)
from flask.helpers import get_root_path
from markupsafe import Markup
from werkzeug.security import safe_join

from ._state import get_state
from .errors import PlugboardError
from .plugin import Plugin

__all__ = [
    "PluginBlueprint",
    "install_web",
    "plugboard_slot",
    "plugin_blueprint",
    "plugin_static",
    "static_version",
]


#: ``app.extensions`` key of the per-app cache ``{(blueprint, file): (mtime, size, hash)}``.
VERSIONS_KEY = "plugboard.static_versions"
#: Max-age of a static file requested with its current ``?v=`` hash.
ONE_YEAR = 365 * 24 * 60 * 60


# -- plugin blueprints and their static files --------------------------------------------


class PluginBlueprint(Blueprint):
    """A blueprint whose static files, requested with their current ``?v=`` hash, are
    cached by browsers for a year (``immutable``); without it they get Flask's default."""

    def send_static_file(self, filename: str) -> Response:
        version = request.args.get("v")
        if not version or request.blueprint is None:
            return super().send_static_file(filename)
        try:
            current = static_version(current_app, request.blueprint, filename)
        except PlugboardError:  # no such file: the default view answers 404
            return super().send_static_file(filename)
        if version != current:
            # A stale hash must not pin the new content for a year.
            return super().send_static_file(filename)
        response = send_from_directory(cast(str, self.static_folder), filename, max_age=ONE_YEAR)
        response.cache_control.immutable = True
        return response


def plugin_blueprint(plugin: Plugin, import_name: str, **kwargs: Any) -> Blueprint:
    """Make a new blueprint named after ``plugin``, with its templates and static files.

    The ``templates`` and ``static`` folders beside ``import_name``'s module are used when
    they exist. Keep templates under ``templates/<plugin name>/`` so an app can override
    one by putting a file at the same path in its own templates folder. Static files are
    served at ``<url prefix>/_static/<plugin name>/``; link them with
    ``plugin_static(name, file)`` for cache-busting URLs. ``kwargs`` go to
    :class:`flask.Blueprint` and win over these defaults.
    """
    module = sys.modules.get(import_name)
    if "root_path" not in kwargs and module is not None and _fileless(module):
        # Defined in ``python -c`` or a REPL: no folder of its own, so no templates or
        # static files (Flask would take the current directory for its folder).
        return PluginBlueprint(plugin.name, import_name, **kwargs)
    root = kwargs.get("root_path") or get_root_path(import_name)
    if os.path.isdir(os.path.join(root, "templates")):
        kwargs.setdefault("template_folder", "templates")
    if os.path.isdir(os.path.join(root, "static")):
        kwargs.setdefault("static_folder", "static")
        # Not "/static": that would shadow the app's own static files of the same path.
        kwargs.setdefault("static_url_path", f"/_static/{plugin.name}")
    return PluginBlueprint(plugin.name, import_name, **kwargs)


def _fileless(module: ModuleType) -> bool:
    """A module with no file and no package folder (``__main__`` of ``python -c``)."""
    return getattr(module, "__file__", None) is None and not hasattr(module, "__path__")


def _static_path(app: Flask, blueprint_name: str, filename: str) -> str:
    blueprint = app.blueprints.get(blueprint_name)
    if blueprint is None or blueprint.static_folder is None:
        raise PlugboardError(
            f"no static files for {blueprint_name!r} on app {app.name!r}: the plugin is not "
            "loaded, or its blueprint has no static folder (make it with plugin_blueprint() "
            "and put a 'static' folder beside the plugin's module)"
        )
    path = safe_join(blueprint.static_folder, filename)
    if path is None or not os.path.isfile(path):
        raise PlugboardError(
            f"plugin {blueprint_name!r} has no static file {filename!r} (looked in "
            f"{blueprint.static_folder}): fix the file name or add the file"
        )
    return path


def static_version(app: Flask, blueprint_name: str, filename: str) -> str:
    """The first 10 hex digits of the SHA-256 of a blueprint's static file.

    Computed once per file per app; in debug mode, again whenever the file changes.
    """
    cache: dict[tuple[str, str], tuple[int, int, str]] = app.extensions.setdefault(VERSIONS_KEY, {})
    key = (blueprint_name, filename)
    cached = cache.get(key)
    if cached is not None and not app.debug:
        return cached[2]
    path = _static_path(app, blueprint_name, filename)
    stat = os.stat(path)
    if cached is not None and cached[:2] == (stat.st_mtime_ns, stat.st_size):
        return cached[2]
    with open(path, "rb") as f:
        version = hashlib.file_digest(f, "sha256").hexdigest()[:10]
    cache[key] = (stat.st_mtime_ns, stat.st_size, version)
    return version


def plugin_static(plugin_name: str, filename: str) -> str:
    """URL of a plugin's static file with ``?v=<content hash>`` (also a template global).

    Browsers may keep the file for a year: the URL changes when its content does. Raises
    :class:`~flask_plugboard.PlugboardError` when the plugin or the file does not exist.
    """
    version = static_version(current_app, plugin_name, filename)
    return url_for(f"{plugin_name}.static", filename=filename, v=version)


# -- template slots ------------------------------------------------------------------------


def plugboard_slot(name: str, /, **context: Any) -> Markup:
    """Markup that plugins put in the slot ``name`` (also a template global).

    Calls the ``plugboard_template_slot`` hook; results are joined in plugin load order,
    plain strings escaped and :class:`~markupsafe.Markup` kept.
    """
    hook = get_state().hook.plugboard_template_slot
    if not hook.get_hookimpls():
        return Markup("")
    results: list[Any] = hook(slot=name, context=context)
    # pluggy calls the last registered implementation first.
    return Markup("").join(reversed(results))


def install_web(app: Flask) -> None:
    """Register the host's template globals (``plugin_static``, ``plugboard_slot``)."""
    app.extensions.setdefault(VERSIONS_KEY, {})
    app.add_template_global(plugin_static, "plugin_static")
    app.add_template_global(plugboard_slot, "plugboard_slot")
