"""The pluggy markers of the ``plugboard`` project.

Markers are stateless; every app gets its own :class:`pluggy.PluginManager`.
"""

from __future__ import annotations

import pluggy

__all__ = ["PROJECT", "hookimpl", "hookspec"]

PROJECT = "plugboard"

#: Marks a hook specification (in the host's or a plugin's ``hookspecs`` module).
hookspec = pluggy.HookspecMarker(PROJECT)
#: Marks a plugin method or function as a hook implementation.
hookimpl = pluggy.HookimplMarker(PROJECT)
