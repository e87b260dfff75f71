"""Per-app host state: the host's settings and what it knows of each plugin."""

from __future__ import annotations

import dataclasses
import enum
from typing import Any, Literal, overload

import pluggy
from flask import Flask, current_app

from ._isolation import HookHealth
from ._ordering import Ordering
from ._settings import setting
from .errors import PlugboardError
from .plugin import SETTINGS_KEY, Plugin

__all__ = [
    "EXTENSION_KEY",
    "Failure",
    "HostSettings",
    "Phase",
    "PlugboardState",
    "PluginRecord",
    "get_state",
]

EXTENSION_KEY = "plugboard"

Phase = Literal["import", "validate", "requirements", "hooks", "init"]


@dataclasses.dataclass(frozen=True)
class HostSettings:
    """Settings of the host itself (prefix ``PLUGBOARD_``)."""

    plugins: list[str] | str | None = setting(
        None,
        doc="The allow-list: plugin names or import paths to load, in order of preference "
        "(a list, or a comma-separated string). When set, only these load; when unset, "
        "every plugin installed under the 'plugboard' entry-point group loads.",
    )
    required: list[str] | str | bool = setting(
        False,
        doc="The plugins the app cannot run without: names (a list, or a comma-separated "
        "string), or true for every plugin the app has. When one of them (or a plugin "
        "marked Plugin.essential) fails to import, validate its settings or initialise, "
        "start-up fails with one line naming the setting, the value found and what is "
        "allowed (StartupError), in every process and every flask command. Other plugins "
        "that fail are left out, as without it.",
    )
    strict: bool | None = setting(
        None,
        doc="Fail start-up when any plugin fails instead of starting without it. "
        "Default: on when TESTING is on, off otherwise.",
    )
    quarantine_after: int = setting(
        5,
        min=0,
        doc="Failures in a row of one hook implementation after which its plugin is "
        "quarantined (all its hooks stop running). 0 never quarantines.",
    )
    admin: bool = setting(
        False,
        doc="Serve the admin pages (/admin/plugins). A plugin decides who may see them "
        "(the auth plugin lets in its admin role); without one they are refused unless "
        "PLUGBOARD_ADMIN_ACCESS is 'open'.",
    )
    admin_url_prefix: str = setting("/admin", doc="URL prefix of the host's admin pages.")
    admin_access: Literal["closed", "open"] = setting(
        "closed",
        choices=("closed", "open"),
        doc="Who may see the admin pages when no plugin decides (no plugin answers "
        "plugboard_admin_access or calls add_admin_access_check): 'closed' refuses "
        "everyone (403), 'open' lets anyone who can reach the app in. A deciding plugin "
        "(such as auth) always decides.",
    )
    environment: Literal["development", "production"] | None = setting(
        None,
        choices=(None, "development", "production"),
        doc="Where the app runs. 'production' refuses to start with a secret setting "
        "shorter than 6 characters; 'development' warns. Unset: development when "
        "Flask's debug or TESTING is on, production otherwise.",
    )
    proxies: int = setting(
        0,
        min=0,
        doc="How many reverse proxies stand in front of the app. When above 0, the host "
        "wraps the app in werkzeug's ProxyFix trusting that many X-Forwarded-For, -Proto, "
        "-Host hops (and -Prefix with PLUGBOARD_PROXY_PREFIX), so request.remote_addr "
        "(used by request logs and rate limits) is the client's address. Never set it "
        "higher than the real count: clients could then forge their address.",
    )
    proxy_prefix: bool = setting(
        False,
        doc="Trust X-Forwarded-Prefix from the PLUGBOARD_PROXIES hops (the app is served "
        "under the path it names). Turn it on only when the proxy sets that header "
        "itself: most proxies pass on what the client sent, and the client would choose "
        "the app's URL prefix.",
    )
    redis_url: str | None = setting(
        None,
        secret=True,
        doc="The app-wide Redis URL (redis://host:6379/0), used by every plugin that "
        "stores in Redis unless the plugin has its own URL setting.",
    )
    env_prefix: str = setting(
        "FLASK",
        doc="Prefix of environment variables that override settings, as "
        "Flask's from_prefixed_env reads them (FLASK_TIMER_SLOW_THRESHOLD=2.5). "
        "Set it in app.config; an empty string disables reading the environment.",
    )

    def __post_init__(self) -> None:
        if not self.admin_url_prefix.startswith("/"):
            raise ValueError(
                f"PLUGBOARD_ADMIN_URL_PREFIX = {self.admin_url_prefix!r}: expected a path "
                "starting with '/' (like '/admin')"
            )

    def production(self, app: Flask) -> bool:
        """Whether ``app`` runs in production (:attr:`environment`, else debug/TESTING)."""
        if self.environment is not None:
            return self.environment == "production"
        return not (app.debug or app.testing)

    def required_list(self) -> list[str] | bool:
        """``True`` (every plugin) or the names listed in ``PLUGBOARD_REQUIRED``."""
        if isinstance(self.required, bool):
            return self.required
        return _names(self.required)

    def plugin_list(self) -> list[str] | None:
        if self.plugins is None:
            return None
        return _names(self.plugins)


def _names(value: list[str] | str) -> list[str]:
    if isinstance(value, str):
        return [p.strip() for p in value.split(",") if p.strip()]
    return list(value)


@dataclasses.dataclass(frozen=True)
class Failure:
    """Why a plugin is not running: the phase it failed in and the error."""

    phase: Phase
    error: str
    exception: BaseException | None = dataclasses.field(default=None, compare=False, repr=False)


@dataclasses.dataclass
class PluginRecord:
    """Everything the host knows about one plugin on one app."""

    name: str
    source: str
    plugin: Plugin | None = None
    failure: Failure | None = None
    routes: list[str] = dataclasses.field(default_factory=list)
    commands: list[str] = dataclasses.field(default_factory=list)
    blueprints: list[str] = dataclasses.field(default_factory=list)
    hooks: list[str] = dataclasses.field(default_factory=list)
    health: HookHealth | None = None
    order_reason: str = ""
    position: int = 0
    #: The plugin's settings, parsed once at start-up (None when they are not valid).
    settings: Any = None
    #: Why the settings are not valid, or None.
    settings_error: str | None = None

    @property
    def version(self) -> str:
        return self.plugin.version if self.plugin is not None else "?"

    @property
    def description(self) -> str:
        return self.plugin.description if self.plugin is not None else ""

    @property
    def status(self) -> str:
        """``loaded``, ``quarantined``, or ``failed (<phase>)``."""
        if self.failure is not None:
            return f"failed ({self.failure.phase})"
        if self.health is not None and self.health.quarantined:
            return "quarantined"
        return "loaded"

    @property
    def active(self) -> bool:
        return self.failure is None and not (self.health is not None and self.health.quarantined)


@dataclasses.dataclass
class PlugboardState:
    """Per-app host state, kept in ``app.extensions["plugboard"]``."""

    settings: HostSettings
    pm: pluggy.PluginManager
    records: dict[str, PluginRecord]
    ordering: Ordering
    strict: bool

    @property
    def hook(self) -> Any:
        """The app's pluggy hook relay: ``state.hook.plugboard_admin_links()``."""
        return self.pm.hook

    def loaded(self) -> list[PluginRecord]:
        """Plugins running on the app, in load order."""
        return [r for r in self.records.values() if r.failure is None]

    def imported(self) -> list[tuple[PluginRecord, Plugin]]:
        """Records whose plugin was imported (running or not), with the plugin."""
        return [(r, r.plugin) for r in self.records.values() if r.plugin is not None]

    def failed(self) -> list[PluginRecord]:
        return [r for r in self.records.values() if r.failure is not None]

    def plugin_settings(self, name: str, app: Flask) -> Any:
        return app.extensions.get(SETTINGS_KEY, {}).get(name)


class _Missing(enum.Enum):
    MISSING = enum.auto()


@overload
def get_state(app: Flask | None = None) -> PlugboardState: ...


@overload
def get_state(app: Flask | None = None, *, default: None) -> PlugboardState | None: ...


def get_state(
    app: Flask | None = None, *, default: None | _Missing = _Missing.MISSING
) -> PlugboardState | None:
    """Return the host state of ``app`` (default: the current app).

    Raises :class:`~flask_plugboard.PlugboardError` when Plugboard is not initialised on
    the app; with ``default=None`` returns ``None`` instead, which is how a plugin that
    also works as a plain Flask extension asks whether the host is there.
    """
    target = current_app if app is None else app
    try:
        state: PlugboardState = target.extensions[EXTENSION_KEY]
    except KeyError:
        if default is None:
            return None
        raise PlugboardError(
            f"Plugboard is not initialised on app {target.name!r}: call Plugboard(app) "
            "or plugboard.init_app(app) in the app factory"
        ) from None
    return state
