"""The plugin base class: a Flask extension plus metadata the host reads."""

from __future__ import annotations

import dataclasses
import os
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from flask import Blueprint, Flask, current_app

from ._redaction import MIN_SECRET_LENGTH, redact_in_logs
from ._settings import (
    SettingSpec,
    describe_settings,
    load_settings,
    load_url_prefix,
    secret_values,
    url_prefix_spec,
)
from .errors import PlugboardError

if TYPE_CHECKING:
    from sqlalchemy import MetaData

__all__ = ["Plugin", "SETTINGS_KEY"]

_T = TypeVar("_T")

#: Longest plugin name: its version table ``alembic_version_<name>`` must fit PostgreSQL's
#: 63-character identifiers.
MAX_NAME_LENGTH = 40

#: ``app.extensions`` key of the per-app dict ``{plugin name: settings instance}``.
SETTINGS_KEY = "plugboard.settings"


@dataclasses.dataclass(frozen=True)
class _NoSettings:
    """Settings of a plugin that declares none."""


class Plugin:
    """Base class of Plugboard plugins.

    A plugin is an ordinary Flask extension: ``Plugin(app)`` or ``plugin.init_app(app)``
    works without the host. Per-app state lives in ``app.extensions``, never on ``self``,
    so one instance can serve several apps. Subclasses set the metadata class attributes
    and override :meth:`setup` (called by ``init_app`` with the validated settings).
    Hook implementations are methods marked with :data:`flask_plugboard.hookimpl`.
    """

    #: Unique name; also the settings prefix (upper-cased) and the blueprint name.
    name: ClassVar[str]
    version: ClassVar[str] = "0"
    #: One line saying what the plugin does.
    description: ClassVar[str] = ""
    #: Plugins that must load first: names, optionally with a version range ("auth>=1.0").
    requires: ClassVar[Sequence[str]] = ()
    #: Plugins that load first when present.
    optional: ClassVar[Sequence[str]] = ()
    #: The app cannot run without this plugin: when it fails, start-up fails
    #: (:class:`~flask_plugboard.errors.StartupError`), as if listed in
    #: ``PLUGBOARD_REQUIRED``. For plugins whose absence would be unsafe or meaningless.
    essential: ClassVar[bool] = False
    #: Host versions supported, as a PEP 440 specifier ("" means any).
    host_versions: ClassVar[str] = ""
    #: Frozen dataclass of settings built with :func:`flask_plugboard.setting`.
    Settings: ClassVar[type[Any]] = _NoSettings
    #: A module or class of ``@hookspec`` functions this plugin publishes for others.
    hookspecs: ClassVar[ModuleType | type | None] = None
    #: SQLAlchemy metadata of the plugin's models (see :mod:`flask_plugboard.db`).
    metadata: ClassVar[MetaData | None] = None
    #: Folder of the plugin's Alembic revisions; default: ``migrations`` beside the module.
    migrations: ClassVar[str | None] = None
    #: Default URL prefix of the plugin's blueprint (setting ``<NAME>_URL_PREFIX``).
    url_prefix: ClassVar[str | None] = None

    def __init__(self, app: Flask | None = None) -> None:
        if app is not None:
            self.init_app(app)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "name" in cls.__dict__ and (
            not cls.name.isidentifier() or len(cls.name) > MAX_NAME_LENGTH
        ):
            raise PlugboardError(
                f"plugin name {cls.name!r} of {cls.__qualname__} is not valid: use at most "
                f"{MAX_NAME_LENGTH} letters, digits and underscores, starting with a letter"
            )

    # -- metadata -----------------------------------------------------------------

    @property
    def settings_prefix(self) -> str:
        """Prefix of this plugin's config keys: its name upper-cased."""
        return self.name.upper()

    def setting_specs(self) -> list[SettingSpec]:
        """Every setting of this plugin, with key, type, default and doc (with
        ``<NAME>_URL_PREFIX`` when the plugin has a blueprint)."""
        specs = describe_settings(self.Settings, self.settings_prefix)
        if self.has_blueprint():
            specs.append(url_prefix_spec(self.settings_prefix, self.url_prefix))
        return specs

    def has_blueprint(self) -> bool:
        """Whether the plugin serves a blueprint: it sets ``url_prefix`` or overrides
        :meth:`blueprint`."""
        return self.url_prefix is not None or type(self).blueprint is not Plugin.blueprint

    def migrations_dir(self) -> str | None:
        """Folder of this plugin's Alembic revisions, or ``None`` when it has none."""
        if self.migrations is not None:
            return self.migrations
        # A class defined in ``python -c`` or a REPL lives in a module without a file.
        module_file = getattr(sys.modules.get(type(self).__module__), "__file__", None)
        if module_file is None:
            return None
        candidate = os.path.join(os.path.dirname(module_file), "migrations")
        return candidate if os.path.isdir(candidate) else None

    def __repr__(self) -> str:
        return f"<{type(self).__name__} plugin {self.name!r} {self.version}>"

    # -- Flask extension protocol ---------------------------------------------------

    def init_app(self, app: Flask) -> None:
        """Register on ``app``: validate settings, then call :meth:`setup`.

        Raises :class:`~flask_plugboard.errors.PlugboardError` when the plugin is already
        registered on this app, and :class:`~flask_plugboard.errors.SettingsError` when a
        setting is wrong.
        """
        if self.name in app.extensions:
            raise PlugboardError(
                f"plugin {self.name!r} is already registered on app {app.name!r}: "
                "call init_app once per app (or list the plugin once in PLUGBOARD_PLUGINS)"
            )
        # Under the host, the settings it validated at start-up: parsed once per app.
        settings = app.extensions.get(SETTINGS_KEY, {}).get(self.name)
        if settings is None:
            settings = load_settings(
                self.Settings,
                self.settings_prefix,
                app.config,
                owner=f"plugin {self.name!r}",
                env_prefix=app.config.get("PLUGBOARD_ENV_PREFIX", "FLASK"),
            )
            app.extensions.setdefault(SETTINGS_KEY, {})[self.name] = settings
        url_prefix = self.url_prefix
        if self.has_blueprint():
            # Read before setup, which may use it (auth's cookie paths do).
            url_prefix = load_url_prefix(
                self.settings_prefix,
                self.url_prefix,
                app.config,
                owner=f"plugin {self.name!r}",
                env_prefix=app.config.get("PLUGBOARD_ENV_PREFIX", "FLASK"),
            )
        # Under the host this is done already (with the production check); alone too.
        redact_in_logs(app, [v for v in secret_values(settings) if len(v) >= MIN_SECRET_LENGTH])
        app.extensions[self.name] = self
        self.setup(app, settings)
        blueprint = self.blueprint(app, settings)
        if blueprint is not None:
            app.register_blueprint(blueprint, url_prefix=url_prefix)

    def setup(self, app: Flask, settings: Any) -> None:
        """Do the plugin's work on ``app``; ``settings`` are validated. Override this."""

    def blueprint(self, app: Flask, settings: Any) -> Blueprint | None:
        """Return a blueprint to register under the plugin's URL prefix, or ``None``.

        Make a new blueprint per call (see :func:`flask_plugboard.plugin_blueprint`):
        blueprints hold per-app registration state.
        """
        return None

    def get_settings(self, app: Flask | None = None) -> Any:
        """Return this plugin's validated settings on ``app`` (default: the current app)."""
        target = current_app if app is None else app
        try:
            return target.extensions[SETTINGS_KEY][self.name]
        except KeyError:
            raise PlugboardError(
                f"plugin {self.name!r} is not initialised on app {target.name!r}: "
                "call init_app(app) or list it in PLUGBOARD_PLUGINS"
            ) from None

    # -- per-app state ----------------------------------------------------------------

    @classmethod
    def state_key(cls) -> str:
        """The ``app.extensions`` key of this plugin's per-app state: ``"<name>.state"``."""
        return f"{cls.name}.state"

    @classmethod
    def set_state(cls, app: Flask, state: _T) -> _T:
        """Keep ``state`` as this plugin's per-app state on ``app`` and return it.

        Call it from :meth:`setup`; read it back with :meth:`state`. The state lives in
        ``app.extensions``, never on the plugin, so one plugin can serve several apps.
        """
        app.extensions[cls.state_key()] = state
        return state

    @classmethod
    def state(cls, app: Flask | None = None) -> Any:
        """Return this plugin's per-app state on ``app`` (default: the current app).

        Raises :class:`~flask_plugboard.errors.PlugboardError` naming the plugin and the
        app when :meth:`set_state` never ran there (the plugin is not initialised on it).
        """
        target = current_app if app is None else app
        try:
            return target.extensions[cls.state_key()]
        except KeyError:
            raise PlugboardError(
                f"plugin {cls.name!r} is not initialised on app {target.name!r}: "
                "call init_app(app) or list it in PLUGBOARD_PLUGINS"
            ) from None
