"""The checks of ``flask plugins doctor``: plugins, requirements, host versions, settings,
route clashes, unknown config keys and quarantine, as ``(ok, message)`` lines.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
from collections.abc import Sequence

from flask import Flask
from packaging.version import InvalidVersion, Version
from sqlalchemy.exc import SQLAlchemyError

from ._adopt import AdoptedExtension
from ._clashes import command_clashes, template_clashes
from ._host_version import check_host_version
from ._migrate import current as migration_status
from ._ordering import parse_requirement
from ._settings import describe_settings
from ._state import HostSettings, PlugboardState, get_state
from ._version import __version__
from .errors import PlugboardError

__all__ = ["Check", "Section", "doctor_checks", "plural"]

Check = tuple[bool, str]


def plural(count: int, noun: str) -> str:
    """``1 problem``, ``2 problems``."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


@dataclasses.dataclass(frozen=True)
class Section:
    """One group of doctor checks."""

    title: str
    checks: list[Check]


def doctor_checks(app: Flask) -> list[Section]:
    """Every check of ``flask plugins doctor`` on ``app``, as ``(ok, message)`` lines."""
    state = get_state(app)
    return [
        Section("plugins", _check_plugins(state)),
        Section("requirements", _check_requirements(state)),
        Section("host versions", _check_host_versions(state)),
        Section("settings", _check_settings(app, state)),
        Section("routes", _check_routes(app, state)),
        Section("commands", _fails(command_clashes(state), "no command clashes")),
        Section("templates", _fails(template_clashes(app, state), "no template clashes")),
        Section("config keys", _check_config_keys(app, state)),
        Section("quarantine", _check_quarantine(state)),
        Section("migrations", check_migrations(app)),
    ]


def _fails(problems: list[str], fine: str) -> list[Check]:
    return [(False, problem) for problem in problems] or [(True, fine)]


def _check_plugins(state: PlugboardState) -> list[Check]:
    checks: list[Check] = []
    for record in state.records.values():
        if record.failure is None:
            checks.append((True, f"{record.name} {record.version} loaded"))
        else:
            failure = record.failure
            checks.append((False, f"{record.name} failed at {failure.phase}: {failure.error}"))
    return checks or [(True, "no plugins on this app")]


def _check_requirements(state: PlugboardState) -> list[Check]:
    checks: list[Check] = []
    for record, plugin in state.imported():
        edges, own_problem = _requirement_checks(state, record.name, plugin.requires)
        failure = record.failure
        if failure is not None and failure.phase == "requirements" and not own_problem:
            # Left out for a requirement that is there but failed, or for a cycle: its
            # failure names the whole chain, where each edge alone would look fine.
            edges = [(False, f"{record.name} is not loaded: {failure.error}")]
        checks += edges
    return checks or [(True, "no plugin requires another")]


def _requirement_checks(
    state: PlugboardState, name: str, requires: Sequence[str]
) -> tuple[list[Check], bool]:
    """Each requirement of plugin ``name`` checked, and whether one is wrong in itself
    (missing, a bad range, an unfit version) rather than failed."""
    checks: list[Check] = []
    own_problem = False
    record = state.records[name]
    for spec in requires:
        try:
            req = parse_requirement(spec)
        except ValueError as exc:
            checks.append((False, f"{record.name}: {exc}"))
            own_problem = True
            continue
        target = state.records.get(req.name)
        if target is not None and target.failure is not None:
            checks.append(
                (
                    False,
                    f"{record.name} requires {spec}, and {req.name!r} failed at "
                    f"{target.failure.phase}: {target.failure.error}",
                )
            )
            continue
        if target is None or target.plugin is None:
            why = "not enabled" if target is None else "not importable"
            checks.append(
                (
                    False,
                    f"{record.name} requires {spec}, and {req.name!r} is {why}: add it "
                    "to PLUGBOARD_PLUGINS or install the package that provides it",
                )
            )
            own_problem = True
            continue
        try:
            fits = not req.specifier or Version(target.version) in req.specifier
        except InvalidVersion:
            fits = False
        if fits:
            checks.append((True, f"{record.name} requires {spec}: {req.name} {target.version}"))
        else:
            checks.append(
                (
                    False,
                    f"{record.name} requires {spec}, but {req.name} is version "
                    f"{target.version}: install a version matching {req.specifier}",
                )
            )
            own_problem = True
    return checks, own_problem


def _check_host_versions(state: PlugboardState) -> list[Check]:
    checks: list[Check] = []
    host = Version(__version__)
    for record, plugin in state.imported():
        if not plugin.host_versions:
            continue
        try:
            check_host_version(plugin, host)
        except PlugboardError as exc:
            checks.append((False, f"{record.name} {exc}"))
        else:
            supported = plugin.host_versions
            checks.append((True, f"{record.name} supports Plugboard {supported} (this is {host})"))
    return checks or [(True, f"no plugin limits the host version (this is {host})")]


def _check_settings(app: Flask, state: PlugboardState) -> list[Check]:
    checks: list[Check] = []
    env_prefix = state.settings.env_prefix or None
    for record, plugin in state.imported():
        specs = plugin.setting_specs()
        if not specs:
            continue
        missing = [
            spec
            for spec in specs
            if spec.required
            and spec.key not in app.config
            and not (env_prefix and f"{env_prefix}_{spec.key}" in os.environ)
        ]
        for spec in missing:
            where = f" or the environment variable {env_prefix}_{spec.key}" if env_prefix else ""
            checks.append(
                (
                    False,
                    f"{record.name}: {spec.key} is required and not set: set it in "
                    f"app.config{where} ({spec.doc})",
                )
            )
        if missing:
            continue
        # As the host parsed them at start-up: the doctor does not parse them again.
        if record.settings_error is not None:
            checks.append((False, f"{record.name}: {record.settings_error}"))
        elif record.settings is not None:
            checks.append((True, f"{record.name}: {plural(len(specs), 'setting')} valid"))
    return checks or [(True, "no plugin declares settings")]


@dataclasses.dataclass(frozen=True)
class _Route:
    path: str
    methods: frozenset[str]
    endpoint: str
    plugin: str | None  # None: the app (or the host) registered it

    @property
    def owner(self) -> str:
        return f"plugin {self.plugin!r}" if self.plugin else "the app"


def _routes(app: Flask, state: PlugboardState) -> list[_Route]:
    """Every URL rule of ``app`` with the plugin that registered it."""
    claims: dict[str, list[str]] = {}
    for record in state.records.values():
        for route in record.routes:
            claims.setdefault(route, []).append(record.name)
    routes = []
    for rule in app.url_map.iter_rules():
        methods = frozenset((rule.methods or set()) - {"HEAD", "OPTIONS"})
        owners = claims.get(f"{','.join(sorted(methods))} {rule.rule}")
        routes.append(_Route(rule.rule, methods, rule.endpoint, owners.pop(0) if owners else None))
    return routes


def _check_routes(app: Flask, state: PlugboardState) -> list[Check]:
    routes = _routes(app, state)
    checks: list[Check] = []
    for i, first in enumerate(routes):
        for second in routes[i + 1 :]:
            common = first.methods & second.methods
            if first.path != second.path or not common or first.plugin == second.plugin:
                continue
            # The app is named first: of two identical rules, either may be "its" rule.
            a, b = (second, first) if second.plugin is None else (first, second)
            mover = b if b.plugin is not None else a
            if mover.plugin is not None and mover.endpoint.startswith(f"{mover.plugin}."):
                fix = f"move plugin {mover.plugin!r} with {mover.plugin.upper()}_URL_PREFIX"
            else:
                fix = "change one of the two rules"
            checks.append(
                (
                    False,
                    f"{','.join(sorted(common))} {first.path} is registered by {a.owner} "
                    f"and by {b.owner}; only one of them answers: {fix}",
                )
            )
    return checks or [(True, f"no route clashes ({plural(len(routes), 'route')})")]


def _check_config_keys(app: Flask, state: PlugboardState) -> list[Check]:
    """Keys with a plugin's (or the host's) prefix that are none of its settings."""
    owners: dict[str, tuple[str, set[str] | None]] = {
        "PLUGBOARD": (
            "the Plugboard host",
            {s.key for s in describe_settings(HostSettings, "PLUGBOARD")},
        )
    }
    for record in state.records.values():
        plugin = record.plugin
        if plugin is None or isinstance(plugin, AdoptedExtension):
            # An adopted extension reads its own keys; a plugin that did not import is
            # unknown: neither can be checked.
            owners[record.name.upper()] = (f"plugin {record.name!r}", None)
        else:
            prefix = plugin.settings_prefix
            settings = {s.key for s in plugin.setting_specs()} | {f"{prefix}_URL_PREFIX"}
            owners[prefix] = (f"plugin {record.name!r}", settings)
    known = set(app.default_config).union(*(keys or set() for _, keys in owners.values()))
    checks: list[Check] = []
    for key in sorted(app.config):
        prefixes = [p for p in owners if key.startswith(f"{p}_")]
        if key in known or not prefixes:
            continue
        prefix = max(prefixes, key=len)
        who, keys = owners[prefix]
        if keys is None:
            continue
        suffixes = {k[len(prefix) + 1 :]: k for k in keys}
        close = difflib.get_close_matches(key[len(prefix) + 1 :], suffixes, n=1, cutoff=0.7)
        hint = (
            f"did you mean {suffixes[close[0]]}?"
            if close
            else f"its settings are {', '.join(sorted(keys))}"
        )
        checks.append((False, f"{key} is set but is not a setting of {who}: {hint}"))
    return checks or [(True, "every key with a plugin's prefix is one of its settings")]


def _check_quarantine(state: PlugboardState) -> list[Check]:
    checks: list[Check] = []
    for record in state.records.values():
        health = record.health
        if health is not None and health.quarantined:
            failures = plural(health.failures, "hook failure")
            checks.append(
                (
                    False,
                    f"{record.name} is quarantined after {failures} (last: "
                    f"{health.last_error}): its hooks no longer run; fix it and restart the app",
                )
            )
    return checks or [(True, "no plugin is quarantined")]


def check_migrations(app: Flask) -> list[Check]:
    """Each plugin's schema against the head of its migrations: one not at its head (a
    database never migrated, or migrated before an upgrade of the plugin) is a problem
    that names ``flask db upgrade``."""
    if "sqlalchemy" not in app.extensions:
        return [(True, "no database on this app")]
    try:
        statuses = migration_status(app)
    except (PlugboardError, SQLAlchemyError) as exc:
        return [(False, f"cannot read the plugins' schema versions: {exc}")]
    checks: list[Check] = []
    for status in statuses:
        pending = status.loaded and bool(status.heads) and not status.up_to_date
        checks.append((not pending, status.describe()))
    return checks or [(True, "no plugin has models or migrations")]


# -- new ------------------------------------------------------------------------------
