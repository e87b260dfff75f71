"""The plugin host: ``Plugboard(app)`` discovers, checks, orders and initialises plugins."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable
from typing import Any, Literal

import pluggy
from flask import Flask, Response, current_app, request
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version

from . import hookspecs as host_hookspecs
from ._discovery import Candidate, discover
from ._isolation import HookHealth, guarded_proxy
from ._ordering import Node, Ordering, order_plugins
from ._redaction import SecretFilter
from ._settings import load_settings, secret_values, setting
from ._snapshot import Snapshot
from ._version import __version__
from .errors import PlugboardError, PluginFailure
from .markers import PROJECT
from .plugin import SETTINGS_KEY, Plugin

__all__ = ["Plugboard", "PlugboardState", "PluginRecord", "Failure", "get_state", "HostSettings"]

logger = logging.getLogger("flask_plugboard")

EXTENSION_KEY = "plugboard"

Phase = Literal["import", "validate", "requirements", "init"]


@dataclasses.dataclass(frozen=True)
class HostSettings:
    """Settings of the host itself (prefix ``PLUGBOARD_``)."""

    plugins: list[str] | str | None = setting(
        None,
        doc="The allow-list: plugin names or import paths to load, in order of preference "
        "(a list, or a comma-separated string). When set, only these load; when unset, "
        "every plugin installed under the 'plugboard' entry-point group loads.",
    )
    strict: bool | None = setting(
        None,
        doc="Fail start-up when any plugin fails instead of starting without it. "
        "Default: on when TESTING is on, off otherwise.",
    )
    quarantine_after: int = setting(
        5,
        min=0,
        doc="Consecutive hook failures after which a plugin is quarantined (its hooks no "
        "longer run). 0 never quarantines.",
    )
    admin: bool = setting(
        False,
        doc="Serve the admin pages (/admin/plugins). Until a plugin answers the "
        "plugboard_admin_access hook (the auth plugin does), they are open to anyone "
        "who can reach the app, so enable them only where that is safe.",
    )
    admin_url_prefix: str = setting("/admin", doc="URL prefix of the host's admin pages.")
    env_prefix: str = setting(
        "FLASK",
        doc="Prefix of environment variables that override settings, as "
        "Flask's from_prefixed_env reads them (FLASK_TIMER_SLOW_THRESHOLD=2.5). "
        "Set it in app.config; an empty string disables reading the environment.",
    )

    def plugin_list(self) -> list[str] | None:
        if self.plugins is None:
            return None
        if isinstance(self.plugins, str):
            return [p.strip() for p in self.plugins.split(",") if p.strip()]
        return list(self.plugins)


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
    hooks: list[str] = dataclasses.field(default_factory=list)
    health: HookHealth | None = None
    order_reason: str = ""
    position: int = 0

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

    def failed(self) -> list[PluginRecord]:
        return [r for r in self.records.values() if r.failure is not None]

    def plugin_settings(self, name: str, app: Flask) -> Any:
        return app.extensions.get(SETTINGS_KEY, {}).get(name)


def get_state(app: Flask | None = None) -> PlugboardState:
    """Return the host state of ``app`` (default: the current app)."""
    target = current_app if app is None else app
    try:
        state: PlugboardState = target.extensions[EXTENSION_KEY]
    except KeyError:
        raise PlugboardError(
            f"Plugboard is not initialised on app {target.name!r}: call Plugboard(app) "
            "or plugboard.init_app(app) in the app factory"
        ) from None
    return state


def _hook_names(proxy: object, pm: pluggy.PluginManager) -> list[str]:
    callers = pm.get_hookcallers(proxy) or []
    return sorted(c.name for c in callers)


class Plugboard:
    """The plugin host, a Flask extension.

    ``Plugboard(app, plugins=[...])`` or ``Plugboard(plugins=[...]).init_app(app)``.
    Plugins passed in code load in addition to ``PLUGBOARD_PLUGINS``.
    """

    def __init__(
        self, app: Flask | None = None, *, plugins: Iterable[Plugin | type[Plugin]] = ()
    ) -> None:
        self.plugins = list(plugins)
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        """Discover, check, order and initialise every plugin on ``app``."""
        if EXTENSION_KEY in app.extensions:
            raise PlugboardError(
                f"Plugboard is already initialised on app {app.name!r}: call init_app once"
            )
        env_prefix = app.config.get("PLUGBOARD_ENV_PREFIX", "FLASK") or None
        settings: HostSettings = load_settings(
            HostSettings, "PLUGBOARD", app.config, owner="the Plugboard host",
            env_prefix=env_prefix,
        )
        strict = settings.strict if settings.strict is not None else bool(app.testing)
        pm = pluggy.PluginManager(PROJECT)
        pm.add_hookspecs(host_hookspecs)
        records: dict[str, PluginRecord] = {}
        state = PlugboardState(
            settings=settings, pm=pm, records=records,
            ordering=Ordering([], {}, {}), strict=strict,
        )
        app.extensions[EXTENSION_KEY] = state
        redactor = SecretFilter()

        def fail(record: PluginRecord, phase: Phase, exc: BaseException | str) -> None:
            if isinstance(exc, str | PlugboardError):
                message = str(exc)
            else:
                message = f"{type(exc).__name__}: {exc}"
            record.failure = Failure(
                phase=phase, error=message, exception=exc if isinstance(exc, BaseException) else None
            )
            if strict:
                raise PluginFailure(record.name, phase, message) from (
                    exc if isinstance(exc, BaseException) else None
                )
            logger.error(
                "plugin %r failed at %s and is disabled: %s", record.name, phase, message,
                exc_info=exc if isinstance(exc, BaseException) and phase in ("import", "init") else None,
            )

        # 1. Discover.
        candidates: list[Candidate] = discover(settings.plugin_list(), self.plugins)
        for cand in candidates:
            record = PluginRecord(name=cand.name, source=cand.source, plugin=cand.plugin,
                                  position=cand.position)
            if cand.name in records:
                dup = PluginRecord(name=cand.name, source=cand.source, position=cand.position)
                fail(dup, "validate", f"plugin {cand.name!r} is listed twice: "
                     f"from {records[cand.name].source} and from {cand.source}; keep one")
                continue
            records[cand.name] = record
            if cand.error is not None:
                fail(record, "import", cand.error)

        # 2. Validate metadata and settings.
        host_version = Version(__version__)
        for record in records.values():
            if record.failure is not None or record.plugin is None:
                continue
            plugin = record.plugin
            try:
                if plugin.host_versions:
                    try:
                        spec = SpecifierSet(plugin.host_versions)
                    except InvalidSpecifier:
                        raise PlugboardError(
                            f"host_versions {plugin.host_versions!r} is not a version "
                            "specifier (write it like '>=0.1,<2')"
                        ) from None
                    if host_version not in spec:
                        raise PlugboardError(
                            f"supports Plugboard {spec}, but this is Plugboard {__version__}: "
                            "upgrade the plugin or install a host version it supports"
                        )
                plugin_settings = load_settings(
                    plugin.Settings, plugin.settings_prefix, dict(app.config),
                    owner=f"plugin {plugin.name!r}", env_prefix=env_prefix,
                )
                redactor.add(secret_values(plugin_settings))
            except PlugboardError as exc:
                fail(record, "validate", exc)

        # 3. Order.
        nodes = [
            Node(name=r.name, version=r.version, requires=tuple(r.plugin.requires),
                 optional=tuple(r.plugin.optional), position=r.position)
            for r in records.values() if r.failure is None and r.plugin is not None
        ]
        state.ordering = ordering = order_plugins(nodes)
        for name, reason in ordering.excluded.items():
            fail(records[name], "requirements", f"plugin {name!r} {reason}")
        for name, reason in ordering.reasons.items():
            records[name].order_reason = reason
        # Records in load order, failed ones after.
        state.records = records = {
            **{name: records[name] for name in ordering.order},
            **{n: r for n, r in records.items() if n not in ordering.order},
        }

        # 4. Plugins' own hook specifications, before any implementation is checked.
        for name in ordering.order:
            plugin = records[name].plugin
            if plugin is not None and plugin.hookspecs is not None:
                try:
                    pm.add_hookspecs(plugin.hookspecs)
                except Exception as exc:  # pluggy raises ValueError on a bad spec
                    fail(records[name], "validate", exc)

        # 5. Database, when a plugin declares models.
        if any(records[n].plugin is not None and records[n].plugin.metadata is not None
               for n in ordering.order if records[n].failure is None):
            from .db import ensure_database

            ensure_database(app)

        # 6. Initialise in order.
        for name in ordering.order:
            record = records[name]
            plugin = record.plugin
            if record.failure is not None or plugin is None:
                continue
            broken = next(
                (d for d in map(_req_name, plugin.requires) if records[d].failure is not None),
                None,
            )
            if broken is not None:
                fail(record, "requirements",
                     f"plugin {name!r} requires {broken!r}, which is not loaded: "
                     f"{records[broken].failure.error}")  # type: ignore[union-attr]
                continue
            snapshot = Snapshot.take(app)
            health = HookHealth(plugin=name, quarantine_after=settings.quarantine_after)
            try:
                plugin.init_app(app)
                proxy = guarded_proxy(plugin, health, pm)
                pm.register(proxy, name=name)
            except Exception as exc:
                snapshot.restore(app)
                app.extensions.get(SETTINGS_KEY, {}).pop(name, None)
                if pm.get_plugin(name) is not None:
                    pm.unregister(name=name)
                fail(record, "init", exc)
                continue
            health.on_quarantine = _quarantiner(pm, name)
            record.health = health
            record.routes = [
                f"{','.join(sorted((r.methods or set()) - {'HEAD', 'OPTIONS'}))} {r.rule}"
                for r in snapshot.new_rules(app)
            ]
            record.commands = snapshot.new_commands(app)
            record.hooks = _hook_names(proxy, pm)

        # 7. The host's own pieces: request hooks (only when implemented), web, CLI.
        _wire_request_hooks(app, pm)
        redactor.install(app)
        from ._web import install_web

        install_web(app, state)
        from ._cli import install_cli

        install_cli(app)
        pm.hook.plugboard_app_ready(app=app)


def _req_name(spec: str) -> str:
    from ._ordering import parse_requirement

    return parse_requirement(spec).name


def _quarantiner(pm: pluggy.PluginManager, name: str) -> Any:
    def quarantine(health: HookHealth) -> None:
        if pm.get_plugin(name) is not None:
            pm.unregister(name=name)

    return quarantine


def _wire_request_hooks(app: Flask, pm: pluggy.PluginManager) -> None:
    """Call the request hooks from Flask, only when some plugin implements them."""
    started = pm.hook.plugboard_request_started
    finished = pm.hook.plugboard_request_finished
    if started.get_hookimpls():

        def _plugboard_request_started() -> None:
            started(request=request)

        app.before_request(_plugboard_request_started)
    if finished.get_hookimpls():

        def _plugboard_request_finished(response: Response) -> Response:
            finished(request=request, response=response)
            return response

        app.after_request(_plugboard_request_finished)


