"""Finding plugins: the ``plugboard`` entry-point group, names and import paths listed in
``PLUGBOARD_PLUGINS``, bundled plugins, and plugin objects passed in code.

Pure logic: nothing here touches an app. Each candidate comes back either loaded (a
:class:`Plugin`) or failed at the ``import`` phase with the reason.
"""

from __future__ import annotations

import dataclasses
import importlib
import importlib.metadata
from collections.abc import Iterable, Sequence
from typing import Any

from ._adopt import adopt
from .errors import PluginLoadError
from .plugin import Plugin

__all__ = ["Candidate", "ENTRY_POINT_GROUP", "BUNDLED", "discover", "import_object"]

ENTRY_POINT_GROUP = "plugboard"

#: First-party plugins, loaded only when named (they need configuring, unlike a
#: third-party package one installs on purpose).
BUNDLED: dict[str, str] = {
    "timer": "flask_plugboard.plugins.timer:Timer",
    "stats": "flask_plugboard.plugins.stats:Stats",
    "reqlog": "flask_plugboard.plugins.reqlog:RequestLog",
    "cors": "flask_plugboard.plugins.cors:Cors",
    "ratelimit": "flask_plugboard.plugins.ratelimit:RateLimit",
    "auth": "flask_plugboard.plugins.auth:Auth",
    "apidocs": "flask_plugboard.plugins.apidocs:ApiDocs",
}


@dataclasses.dataclass
class Candidate:
    """One plugin as found: where it came from, and the plugin or why it failed."""

    name: str
    source: str
    plugin: Plugin | None = None
    error: BaseException | None = None
    position: int = 0


def import_object(path: str) -> Any:
    """Import ``pkg.module:attr``, ``pkg.module.attr`` or ``pkg.module``."""
    if ":" in path:
        module_name, _, attr = path.partition(":")
        obj: Any = importlib.import_module(module_name)
        for part in attr.split("."):
            obj = getattr(obj, part)
        return obj
    try:
        return importlib.import_module(path)
    except ModuleNotFoundError as exc:
        module_name, _, attr = path.rpartition(".")
        if not module_name or exc.name != path:
            raise
        return getattr(importlib.import_module(module_name), attr)


def _is_path(entry: str) -> bool:
    return "." in entry or ":" in entry


def _entry_points() -> dict[str, importlib.metadata.EntryPoint]:
    found: dict[str, importlib.metadata.EntryPoint] = {}
    for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        found.setdefault(ep.name, ep)
    return found


def _named(obj: Any, fallback: str) -> str:
    name = getattr(obj, "name", None)
    return name if isinstance(name, str) and name.isidentifier() else fallback


def _load(name: str, source: str, loader: Any, path: str, position: int) -> Candidate:
    try:
        obj = loader()
        plugin = adopt(obj, name=_named(obj, name), path=path)
    except Exception as exc:  # any import-time failure is the plugin's
        return Candidate(name=name, source=source, error=exc, position=position)
    return Candidate(name=plugin.name, source=source, plugin=plugin, position=position)


def _from_path(entry: str, position: int) -> Candidate:
    explicit, sep, path = entry.partition("=")
    if not sep:
        explicit, path = "", entry
    path = path.strip()
    fallback = explicit.strip() or path.replace(":", ".").rsplit(".", 1)[-1].lower()
    cand = _load(fallback, f"import path {path}", lambda: import_object(path), path, position)
    if explicit.strip() and cand.plugin is not None and cand.plugin.name != explicit.strip():
        cand.error = PluginLoadError(
            f"{entry!r} names the plugin {explicit.strip()!r}, but {path} is the plugin "
            f"{cand.plugin.name!r}: use that name"
        )
        cand.plugin = None
    return cand


def discover(
    allow: Sequence[str] | None, in_code: Iterable[Plugin | type[Plugin]] = ()
) -> list[Candidate]:
    """Find every plugin to load, in a stable order of preference.

    ``allow`` is ``PLUGBOARD_PLUGINS``: when it is ``None``, every entry-point plugin
    loads; when it is a list, only what it names (plus the plugins passed in code).
    Unknown names fail with the list of what is installed.
    """
    eps = _entry_points()
    out: list[Candidate] = []
    position = 0

    def add(cand: Candidate) -> None:
        nonlocal position
        cand.position = position
        position += 1
        out.append(cand)

    if allow is None:
        for ep_name in sorted(eps):
            ep = eps[ep_name]
            dist = f" ({ep.dist.name} {ep.dist.version})" if ep.dist else ""
            add(_load(ep_name, f"entry point{dist}", ep.load, ep.value, 0))
    else:
        for entry in allow:
            if _is_path(entry):
                add(_from_path(entry, 0))
            elif entry in eps:
                ep = eps[entry]
                dist = f" ({ep.dist.name} {ep.dist.version})" if ep.dist else ""
                add(_load(entry, f"entry point{dist}", ep.load, ep.value, 0))
            elif entry in BUNDLED:
                path = BUNDLED[entry]
                add(_load(entry, "bundled", lambda p=path: import_object(p), path, 0))
            else:
                known = sorted(set(eps) | set(BUNDLED))
                add(
                    Candidate(
                        name=entry,
                        source="PLUGBOARD_PLUGINS",
                        error=PluginLoadError(
                            f"no plugin named {entry!r} is installed; installed: "
                            f"{', '.join(known) or '(none)'}. Install the package that "
                            "provides it, or give an import path (package.module:Class)"
                        ),
                    )
                )
    for obj in in_code:
        plugin = obj() if isinstance(obj, type) else obj
        add(Candidate(name=plugin.name, source="code", plugin=plugin))
    return out


def available() -> dict[str, str]:
    """Every plugin name that can be listed in PLUGBOARD_PLUGINS, with where it comes from."""
    names = {name: f"bundled ({path})" for name, path in BUNDLED.items()}
    for name, ep in _entry_points().items():
        names[name] = f"entry point {ep.value}"
    return dict(sorted(names.items()))
