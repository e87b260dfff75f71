"""Exceptions raised by Plugboard. Every one derives from :class:`PlugboardError`."""

from __future__ import annotations

import click

__all__ = [
    "PlugboardError",
    "PluginLoadError",
    "SettingsError",
    "PluginFailure",
    "StartupError",
    "UnsafeToStartError",
]


class PlugboardError(Exception):
    """Base class of every error Plugboard raises."""


class PluginLoadError(PlugboardError):
    """A plugin could not be found, imported or adopted."""


class SettingsError(PlugboardError, click.ClickException, RuntimeError):
    """A setting has a wrong type or value; the message names key, value and what is allowed.

    Raised while the app is built, it stops ``flask`` commands and gunicorn with that
    message alone (``Error: ...``, exit status 1), no traceback: a
    :class:`click.ClickException` is what click prints so, and a :class:`RuntimeError`
    what gunicorn prints so when it loads the app before forking (``preload_app``).
    """


class UnsafeToStartError(SettingsError):
    """The app must not start at all, such as in production without a strong SECRET_KEY.

    The one failure the host never isolates: a plugin raising it stops start-up, even
    without ``PLUGBOARD_STRICT``, because the app would run unsafely without it.
    """


class PluginFailure(PlugboardError):
    """Raised under ``PLUGBOARD_STRICT`` when a plugin fails in any phase.

    ``plugin`` is the plugin's name and ``phase`` one of ``import``, ``validate``,
    ``requirements``, ``hooks``, ``init``.
    """

    def __init__(self, plugin: str, phase: str, error: BaseException | str) -> None:
        self.plugin = plugin
        self.phase = phase
        self.error = error
        super().__init__(f"plugin {plugin!r} failed at {phase}: {error}")


class StartupError(PluginFailure, click.ClickException, RuntimeError):
    """A plugin the app cannot run without (``PLUGBOARD_REQUIRED``, ``Plugin.essential``)
    failed: the app does not start.

    Its text is one line: the plugin, the phase, and the error, which names the setting
    as the operator set it (``FLASK_RATELIMIT_DEFAULT`` from the environment,
    ``RATELIMIT_DEFAULT`` from the config), the value found and what is allowed.
    Like :class:`SettingsError`, it is a :class:`click.ClickException` and a
    :class:`RuntimeError`, so every ``flask`` command and gunicorn (``preload_app``) print
    that line alone and exit with status 1.
    """

    def __init__(self, plugin: str, phase: str, error: BaseException | str) -> None:
        line = " ".join(str(error).split())
        self.plugin, self.phase, self.error = plugin, phase, line
        click.ClickException.__init__(
            self, f"plugin {plugin!r} failed at {phase}, and the app cannot run without it: {line}"
        )
