"""Exceptions raised by Plugboard. Every one derives from :class:`PlugboardError`."""

from __future__ import annotations

__all__ = [
    "PlugboardError",
    "PluginLoadError",
    "SettingsError",
    "PluginFailure",
    "UnsafeToStartError",
]


class PlugboardError(Exception):
    """Base class of every error Plugboard raises."""


class PluginLoadError(PlugboardError):
    """A plugin could not be found, imported or adopted."""


class SettingsError(PlugboardError):
    """A setting has a wrong type or value; the message names key, value and what is allowed."""


class UnsafeToStartError(SettingsError):
    """The app must not start at all, such as in production without a strong SECRET_KEY.

    The one failure the host never isolates: a plugin raising it stops start-up, even
    without ``PLUGBOARD_STRICT``, because the app would run unsafely without it.
    """


class PluginFailure(PlugboardError):
    """Raised under ``PLUGBOARD_STRICT`` when a plugin fails in any phase.

    ``plugin`` is the plugin's name and ``phase`` one of ``import``, ``validate``,
    ``requirements``, ``init``.
    """

    def __init__(self, plugin: str, phase: str, error: BaseException | str) -> None:
        self.plugin = plugin
        self.phase = phase
        self.error = error
        super().__init__(f"plugin {plugin!r} failed at {phase}: {error}")
