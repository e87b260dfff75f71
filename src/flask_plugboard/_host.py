"""The plugin host: ``Plugboard(app)`` discovers, checks, orders and initialises plugins."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence

import pluggy
from flask import Flask, Response, request
from packaging.version import Version
from werkzeug.middleware.proxy_fix import ProxyFix

from . import hookspecs as host_hookspecs
from ._admin import install_admin
from ._clashes import command_clashes, template_clashes
from ._cli import install_cli
from ._discovery import discover
from ._hookcheck import unknown_hooks
from ._host_version import check_host_version
from ._isolation import HookHealth, guarded_proxy
from ._ordering import Node, Ordering, order_plugins, parse_requirement
from ._redaction import SecretRedactor
from ._settings import env_keys_set, load_settings, name_as_set
from ._snapshot import Snapshot
from ._state import (
    EXTENSION_KEY,
    Failure,
    HostSettings,
    Phase,
    PlugboardState,
    PluginRecord,
    get_state,
)
from ._version import __version__
from ._web import install_web
from .errors import (
    PlugboardError,
    PluginFailure,
    SettingsError,
    StartupError,
    UnsafeToStartError,
)
from .markers import PROJECT
from .plugin import SETTINGS_KEY, Plugin

# get_state and the state types are re-exported for modules that import them from here.
__all__ = ["HostSettings", "Plugboard", "PlugboardState", "PluginRecord", "get_state"]

logger = logging.getLogger("flask_plugboard")


class Plugboard:
    """The plugin host, a Flask extension.

    ``Plugboard(app, plugins=[...])`` or ``Plugboard(plugins=[...]).init_app(app)``.
    Plugins passed in code load in addition to ``PLUGBOARD_PLUGINS``. The host keeps no
    app on ``self``: its per-app state is ``app.extensions["plugboard"]``
    (see :func:`flask_plugboard.get_state`).
    """

    def __init__(
        self, app: Flask | None = None, *, plugins: Iterable[Plugin | type[Plugin]] = ()
    ) -> None:
        self.plugins = list(plugins)
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        """Discover, check, order and initialise every plugin on ``app``.

        A plugin that fails in any phase is recorded and left out, with whatever requires
        it; under ``PLUGBOARD_STRICT`` (default under ``TESTING``) the first failure raises
        :class:`~flask_plugboard.PluginFailure` instead. A plugin the app cannot run
        without (``PLUGBOARD_REQUIRED``, ``Plugin.essential``) that fails raises
        :class:`~flask_plugboard.StartupError`, strict or not.
        """
        if EXTENSION_KEY in app.extensions:
            raise PlugboardError(
                f"Plugboard is already initialised on app {app.name!r}: call init_app once"
            )
        _Boot(app, self.plugins).run()


class _Boot:
    """One start-up of the host on one app, phase by phase."""

    def __init__(self, app: Flask, in_code: list[Plugin | type[Plugin]]) -> None:
        self.app = app
        self.in_code = in_code
        self.env_prefix: str | None = app.config.get("PLUGBOARD_ENV_PREFIX", "FLASK") or None
        settings: HostSettings = load_settings(
            HostSettings,
            "PLUGBOARD",
            app.config,
            owner="the Plugboard host",
            env_prefix=self.env_prefix,
        )
        strict = settings.strict if settings.strict is not None else bool(app.testing)
        required = settings.required_list()
        self.required_all = required is True
        self.required_names: Sequence[str] = required if isinstance(required, list) else ()
        pm = pluggy.PluginManager(PROJECT)
        pm.add_hookspecs(host_hookspecs)
        self.state = PlugboardState(
            settings=settings, pm=pm, records={}, ordering=Ordering([], {}, {}), strict=strict
        )
        self.redactor = SecretRedactor(app, production=settings.production(app))
        self.redactor.add(settings, "PLUGBOARD")

    def run(self) -> None:
        self.app.extensions[EXTENSION_KEY] = self.state
        self.discover()
        self.validate()
        self.order()
        self.add_plugin_hookspecs()
        self.check_hooks()
        self.initialise()
        self.finish()

    def fail(self, record: PluginRecord, phase: Phase, exc: BaseException | str) -> None:
        """Record that ``record`` failed in ``phase``; raise under strict mode."""
        if isinstance(exc, str | PlugboardError):
            message = str(exc)
        else:
            message = f"{type(exc).__name__}: {exc}"
        cause = exc if isinstance(exc, BaseException) else None
        # Redacted here, at the source: the message reaches listings, logs and, under
        # strict mode, an exception that an error page may show.
        redacted = self.redactor.redact(message)
        if redacted != message:
            # The original exception holds the secret in its text: keep it off the chain.
            cause, message = None, f"{redacted} (traceback hidden: it held a secret value)"
        if phase in ("validate", "init") and record.plugin is not None:
            message = name_as_set(
                message, env_keys_set(_setting_keys(record.plugin), self.env_prefix)
            )
        record.failure = Failure(phase=phase, error=message, exception=cause)
        if self.is_required(record):
            raise StartupError(record.name, phase, message) from cause
        if self.state.strict:
            raise PluginFailure(record.name, phase, message) from cause
        logger.error(
            "plugin %r failed at %s and is disabled: %s",
            record.name,
            phase,
            message,
            exc_info=cause if phase in ("import", "init") else None,
        )

    def is_required(self, record: PluginRecord) -> bool:
        """Whether the app cannot run without ``record``'s plugin."""
        if self.required_all or record.name in self.required_names:
            return True
        return record.plugin is not None and record.plugin.essential

    def live(self) -> list[tuple[PluginRecord, Plugin]]:
        """Records still in the running, in the current order, with their plugin."""
        return [
            (r, r.plugin)
            for r in self.state.records.values()
            if r.failure is None and r.plugin is not None
        ]

    def discover(self) -> None:
        records = self.state.records
        for cand in discover(self.state.settings.plugin_list(), self.in_code):
            record = PluginRecord(
                name=cand.name, source=cand.source, plugin=cand.plugin, position=cand.position
            )
            if cand.name in records:
                first = records[cand.name].source
                self.fail(
                    PluginRecord(name=cand.name, source=cand.source),
                    "validate",
                    f"plugin {cand.name!r} is listed twice: from {first} and from "
                    f"{cand.source}; keep one",
                )
                continue
            records[cand.name] = record
            if cand.error is not None:
                self.fail(record, "import", cand.error)
        for name in self.required_names:
            if name not in records:
                named = name_as_set(
                    "PLUGBOARD_REQUIRED", env_keys_set(["PLUGBOARD_REQUIRED"], self.env_prefix)
                )
                raise StartupError(
                    name,
                    "import",
                    f"{named} names {name!r}, which is not one of the app's plugins "
                    f"({', '.join(records) or 'none'}): add it to PLUGBOARD_PLUGINS, or "
                    f"take it out of {named}",
                )

    def validate(self) -> None:
        host_version = Version(__version__)
        for record, plugin in self.live():
            # Parsed here, once per app: init_app, the doctor and the listings use these.
            settings_error: SettingsError | None = None
            try:
                record.settings = load_settings(
                    plugin.Settings,
                    plugin.settings_prefix,
                    self.app.config,
                    owner=f"plugin {plugin.name!r}",
                    env_prefix=self.env_prefix,
                )
            except SettingsError as exc:
                settings_error = exc
                record.settings_error = self.redactor.redact(str(exc))
            try:
                check_host_version(plugin, host_version)
            except PlugboardError as exc:
                self.fail(record, "validate", exc)
                continue
            if settings_error is not None:
                self.fail(record, "validate", settings_error)
                continue
            self.redactor.add(record.settings, plugin.settings_prefix)

    def order(self) -> None:
        records = self.state.records
        nodes = [
            Node(
                name=record.name,
                version=plugin.version,
                requires=tuple(plugin.requires),
                optional=tuple(plugin.optional),
                position=record.position,
            )
            for record, plugin in self.live()
        ]
        failed = {
            name: f"at {r.failure.phase}: {r.failure.error}"
            for name, r in records.items()
            if r.failure is not None
        }
        self.state.ordering = ordering = order_plugins(nodes, failed)
        for name, reason in ordering.excluded.items():
            self.fail(records[name], "requirements", f"plugin {name!r} {reason}")
        for name, reason in ordering.reasons.items():
            records[name].order_reason = reason
        # Records in load order, the ones that failed after them.
        self.state.records = {
            **{name: records[name] for name in ordering.order},
            **{n: r for n, r in records.items() if n not in ordering.order},
        }

    def add_plugin_hookspecs(self) -> None:
        # All specs go in before any implementation, so every implementation is checked.
        for record, plugin in self.live():
            if plugin.hookspecs is not None:
                try:
                    self.state.pm.add_hookspecs(plugin.hookspecs)
                except ValueError as exc:  # pluggy's word for a malformed spec
                    self.fail(record, "validate", exc)

    def check_hooks(self) -> None:
        # After every spec is in, before any plugin runs: a misspelt hook never would.
        for record, plugin in self.live():
            problems = unknown_hooks(self.state.pm, plugin)
            if problems:
                self.fail(record, "hooks", "; ".join(problems))

    def initialise(self) -> None:
        live = self.live()
        if any(plugin.metadata is not None or plugin.migrations_dir() for _, plugin in live):
            from .db import ensure_database

            ensure_database(self.app)
        for record, plugin in live:
            if record.failure is None:
                self.initialise_one(record, plugin)

    def initialise_one(self, record: PluginRecord, plugin: Plugin) -> None:
        app, pm, records = self.app, self.state.pm, self.state.records
        for requirement in plugin.requires:
            dep = records[parse_requirement(requirement).name]
            if dep.failure is not None:
                self.fail(
                    record,
                    "requirements",
                    f"plugin {record.name!r} requires {dep.name!r}, which failed at "
                    f"{dep.failure.phase}: {dep.failure.error}",
                )
                return
        snapshot = Snapshot.take(app)
        # The settings validated above: init_app takes them as they are, unparsed.
        app.extensions.setdefault(SETTINGS_KEY, {})[record.name] = record.settings
        health = HookHealth(
            plugin=record.name, quarantine_after=self.state.settings.quarantine_after
        )
        try:
            plugin.init_app(app)
            proxy = guarded_proxy(plugin, health, pm)
            pm.register(proxy, name=record.name)
        except UnsafeToStartError:
            raise  # running without the plugin would be unsafe: no app at all
        except Exception as exc:  # whatever else a plugin raises, the app starts without it
            snapshot.restore(app)
            app.extensions.get(SETTINGS_KEY, {}).pop(record.name, None)
            if pm.get_plugin(record.name) is not None:
                pm.unregister(name=record.name)
            self.fail(record, "init", exc)
            return
        health.on_quarantine = lambda _health: _unregister(pm, record.name)
        record.health = health
        record.routes = [
            f"{','.join(sorted((r.methods or set()) - {'HEAD', 'OPTIONS'}))} {r.rule}"
            for r in snapshot.new_rules(app)
        ]
        record.commands = snapshot.new_commands(app)
        record.blueprints = snapshot.new_blueprints(app)
        record.hooks = sorted(c.name for c in pm.get_hookcallers(proxy) or [])

    def finish(self) -> None:
        _wire_request_hooks(self.app, self.state.pm)
        hops = self.state.settings.proxies
        if hops:
            prefix = hops if self.state.settings.proxy_prefix else 0
            self.app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
                self.app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_prefix=prefix
            )
        install_web(self.app)
        if self.state.settings.admin:
            install_admin(self.app, self.state)
        install_cli(self.app)
        for clash in command_clashes(self.state) + template_clashes(self.app, self.state):
            logger.warning("%s", clash)
        self.state.pm.hook.plugboard_app_ready(app=self.app)


def _setting_keys(plugin: Plugin) -> list[str]:
    try:
        return [spec.key for spec in plugin.setting_specs()]
    except Exception:  # noqa: BLE001 - settings that cannot even be described name no keys
        return []


def _unregister(pm: pluggy.PluginManager, name: str) -> None:
    if pm.get_plugin(name) is not None:
        pm.unregister(name=name)


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
