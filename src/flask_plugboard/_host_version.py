"""Whether a plugin supports this host's version (``Plugin.host_versions``).

Start-up fails a plugin that does not; ``flask plugins doctor`` reports the same check.
"""

from __future__ import annotations

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version

from .errors import PlugboardError
from .plugin import Plugin

__all__ = ["check_host_version"]


def check_host_version(plugin: Plugin, host_version: Version) -> None:
    """Raise :class:`~flask_plugboard.PlugboardError` unless ``plugin.host_versions``
    (when set) admits ``host_version``; the message says what to upgrade."""
    if not plugin.host_versions:
        return
    try:
        spec = SpecifierSet(plugin.host_versions)
    except InvalidSpecifier:
        raise PlugboardError(
            f"host_versions {plugin.host_versions!r} is not a version specifier "
            "(write it like '>=0.1,<2')"
        ) from None
    if host_version not in spec:
        raise PlugboardError(
            f"supports Plugboard {spec}, but this is Plugboard {host_version}: "
            "upgrade the plugin or install a host version it supports"
        )
