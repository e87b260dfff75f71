"""The host's web pieces: admin pages, template slots, plugin static files. (stub)"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Blueprint, Flask

if TYPE_CHECKING:
    from ._host import PlugboardState


def plugin_blueprint(plugin: Any, import_name: str) -> Blueprint:
    """Make a blueprint for ``plugin`` with its templates and static folder."""
    return Blueprint(plugin.name, import_name)


def install_web(app: Flask, state: PlugboardState) -> None:
    """Register the host's template globals and (when enabled) the admin pages."""
