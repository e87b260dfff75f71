"""Plugboard: the plugin platform for Flask.

>>> from flask import Flask
>>> from flask_plugboard import Plugboard
>>> app = Flask(__name__)
>>> app.config["PLUGBOARD_PLUGINS"] = ["timer"]
>>> Plugboard(app)  # doctest: +ELLIPSIS
<flask_plugboard._host.Plugboard object at ...>
"""

from __future__ import annotations

from ._admin import AdminAccessCheck, add_admin_access_check, admin_guard, admin_pages
from ._discovery import import_object
from ._host import Plugboard
from ._page_headers import ADMIN_CONTENT_SECURITY_POLICY, admin_page_headers
from ._settings import setting
from ._state import PlugboardState, PluginRecord, get_state
from ._version import __version__
from ._web import plugin_blueprint, plugin_static
from .errors import (
    PlugboardError,
    PluginFailure,
    PluginLoadError,
    SettingsError,
    StartupError,
    UnsafeToStartError,
)
from .markers import hookimpl, hookspec
from .plugin import Plugin
from .server_timing import add_server_timing

__all__ = [
    "ADMIN_CONTENT_SECURITY_POLICY",
    "AdminAccessCheck",
    "add_admin_access_check",
    "admin_guard",
    "admin_page_headers",
    "admin_pages",
    "Plugboard",
    "PlugboardError",
    "PlugboardState",
    "Plugin",
    "PluginFailure",
    "PluginLoadError",
    "PluginRecord",
    "SettingsError",
    "StartupError",
    "UnsafeToStartError",
    "__version__",
    "add_server_timing",
    "get_state",
    "hookimpl",
    "hookspec",
    "import_object",
    "plugin_blueprint",
    "plugin_static",
    "setting",
]
