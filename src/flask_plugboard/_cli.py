"""``flask plugins ...``: list, show, order, doctor and new (plus ``flask db``).

Each command reads the host state of the app the ``flask`` command loaded; the checks of
``doctor`` are functions returning ``(ok, message)`` lines, printed by the command.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from ._discovery import available
from ._doctor import doctor_checks, plural
from ._listing import known_secrets, plugins_listing, setting_values
from ._scaffold import check_name, create_plugin_package
from ._settings import (
    REDACTED,
    SettingSpec,
)
from ._state import PlugboardState, PluginRecord, get_state
from .errors import PlugboardError

__all__ = ["install_cli"]


def install_cli(app: Flask) -> None:
    """Add the ``plugins`` (and ``db``) command groups to ``app.cli``."""
    group = AppGroup("plugins", help="Inspect, check and create Plugboard plugins.")
    for command in (list_command, show_command, order_command, doctor_command, new_command):
        group.add_command(command)
    # Here, not at the top: Alembic and SQLAlchemy take a quarter of a second to import,
    # which ``import flask_plugboard`` need not pay before an app is set up.
    from ._migrate import db_group

    group.add_command(db_group, "db")
    # An app that already has a ``db`` command (Flask-Migrate's, its own) keeps it.
    if "db" not in app.cli.commands:
        app.cli.add_command(db_group, "db")
    app.cli.add_command(group)


# -- output helpers -------------------------------------------------------------------


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """Lines of a table with aligned columns: the header, then one line per row."""
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    return [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in [header, *rows]
    ]


def _indent(text: str, prefix: str) -> str:
    return "\n".join(prefix + line for line in text.splitlines() or [""])


def _echo(text: str = "") -> None:
    """Print ``text`` with every known secret value replaced by ``***``.

    Settings are redacted where they are shown; this also catches a secret that a plugin
    put in an exception message (``failed at init: cannot log in with <password>``).
    """
    for secret in known_secrets(current_app):
        text = text.replace(secret, REDACTED)
    click.echo(text)


def _echo_json(data: Any) -> None:
    _echo(json.dumps(data, indent=2, default=str))


def _state() -> PlugboardState:
    return get_state(current_app)


# -- list -----------------------------------------------------------------------------


@click.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.option(
    "--available",
    is_flag=True,
    help="List every plugin name that can go in PLUGBOARD_PLUGINS, enabled or not.",
)
@with_appcontext
def list_command(as_json: bool, available: bool) -> None:
    """List the app's plugins: version, status, source, hooks and routes."""
    state = _state()
    if available:
        _list_available(state, as_json)
        return
    records = list(state.records.values())
    if as_json:
        _echo_json(plugins_listing(current_app, state)["plugins"])
        return
    if not records:
        _echo("No plugins on this app. What can be enabled: flask plugins list --available")
        return
    rows = [
        [r.name, r.version, r.status, r.source, str(len(r.hooks)), str(len(r.routes))]
        for r in records
    ]
    header, *lines = _table(["NAME", "VERSION", "STATUS", "SOURCE", "HOOKS", "ROUTES"], rows)
    _echo(header)
    for record, line in zip(records, lines, strict=True):
        _echo(line)
        if record.failure is not None:
            _echo(_indent(record.failure.error, "    "))


def _list_available(state: PlugboardState, as_json: bool) -> None:
    names = available()
    status = {name: state.records[name].status for name in names if name in state.records}
    if as_json:
        _echo_json([{"name": n, "source": s, "status": status.get(n)} for n, s in names.items()])
        return
    if not names:
        _echo("No plugins installed. Create one: flask plugins new NAME")
        return
    rows = [[n, status.get(n, "not enabled"), s] for n, s in names.items()]
    for line in _table(["NAME", "STATUS", "SOURCE"], rows):
        _echo(line)


# -- show -----------------------------------------------------------------------------


@click.command("show")
@click.argument("name")
@with_appcontext
def show_command(name: str) -> None:
    """Show one plugin: metadata, settings (secrets hidden), hooks, routes, failures."""
    state = _state()
    record = state.records.get(name)
    if record is None:
        raise click.UsageError(_unknown_plugin(name, state))
    plugin = record.plugin
    _echo(f"{record.name} {record.version}: {record.status}")
    if record.description:
        _echo(f"  {record.description}")
    _echo("")
    fields: list[tuple[str, str]] = [("source", record.source)]
    if plugin is not None:
        fields += [
            ("requires", ", ".join(plugin.requires) or "-"),
            ("optional", ", ".join(plugin.optional) or "-"),
            ("host versions", plugin.host_versions or "any"),
        ]
    fields.append(("status", record.status))
    if record.failure is not None:
        fields.append(("error", f"at {record.failure.phase}: {record.failure.error}"))
    if record.health is not None and record.health.failures:
        health = record.health
        quarantined = ", quarantined (its hooks no longer run)" if health.quarantined else ""
        fields.append(("hook failures", f"{health.failures}{quarantined}"))
        fields.append(("last error", health.last_error or "-"))
    fields += [
        ("hooks", ", ".join(record.hooks) or "-"),
        ("commands", ", ".join(record.commands) or "-"),
    ]
    for line in _table(["", ""], fields)[1:]:
        _echo(line)
    _echo("\nsettings")
    specs = plugin.setting_specs() if plugin is not None else []
    if not specs:
        _echo("  (none declared)")
    values = _shown_settings(record, specs, state)
    for spec in specs:
        _echo(f"  {spec.key} = {values[spec.key]}")
        _echo(f"      {_describe(spec)}")
    _echo("\nroutes")
    _echo("\n".join(f"  {route}" for route in record.routes) or "  (none)")


def _unknown_plugin(name: str, state: PlugboardState) -> str:
    known = ", ".join(state.records) or "(none)"
    if name in available():
        return (
            f"plugin {name!r} is installed but not enabled on this app: add it to "
            f"PLUGBOARD_PLUGINS. Plugins on this app: {known}"
        )
    return f"no plugin named {name!r} on this app. Plugins on this app: {known}"


def _shown_settings(
    record: PluginRecord, specs: list[SettingSpec], state: PlugboardState
) -> dict[str, str]:
    """Each setting's value as shown to a user: ``repr``, secrets as ``***``."""
    instance = state.plugin_settings(record.name, current_app)
    if instance is not None and record.plugin is not None:
        values = setting_values(current_app, record.plugin, instance)
        return {s.key: _value(values[s.field]) for s in specs}
    # Not loaded (its settings may be why): show what the config holds.
    shown = {}
    for spec in specs:
        if spec.key not in current_app.config:
            shown[spec.key] = "(not set; required)" if spec.required else _value(spec.default)
        elif spec.secret and current_app.config[spec.key] not in (None, ""):
            shown[spec.key] = REDACTED
        else:
            shown[spec.key] = _value(current_app.config[spec.key])
    return shown


def _value(value: Any) -> str:
    return REDACTED if value == REDACTED else repr(value)


def _describe(spec: SettingSpec) -> str:
    if spec.required:
        default = "required"
    elif spec.secret and spec.default not in (None, ""):
        default = f"default {REDACTED}"
    else:
        default = f"default {spec.default!r}"
    secret = ", secret" if spec.secret else ""
    return f"{spec.type_name}{secret}, {default}. {spec.doc}".rstrip()


# -- order ----------------------------------------------------------------------------


@click.command("order")
@with_appcontext
def order_command() -> None:
    """Print the load order and why each plugin sits where it does; exit 1 when a
    plugin is left out or failed."""
    state = _state()
    order = state.ordering.order
    _echo("load order" if order else "load order: (no plugin loads)")
    for name in order:
        record = state.records[name]
        _echo(f"  {record.order_reason}")
        if record.failure is not None:
            _echo(f"      then failed at {record.failure.phase}: {record.failure.error}")
    # Whatever the host did not order failed before or while ordering.
    left_out = [(r, r.failure) for r in state.records.values() if r.name not in order]
    if left_out:
        _echo("\nleft out")
        for record, failure in left_out:
            phase, error = (failure.phase, failure.error) if failure else ("?", "not ordered")
            _echo(f"  {record.name}: failed at {phase}:")
            _echo(_indent(error, "      "))
    if any(record.failure is not None for record in state.records.values()):
        # A script (or CI) reading the order must notice that a plugin is not running.
        raise click.exceptions.Exit(1)


# -- doctor ---------------------------------------------------------------------------


@click.command("doctor")
@with_appcontext
def doctor_command() -> None:
    """Check plugins, requirements, settings, routes and config; exit 1 on a problem."""
    problems = 0
    for section in doctor_checks(current_app):
        _echo(section.title)
        for ok, message in section.checks:
            label = click.style("OK  ", fg="green") if ok else click.style("FAIL", fg="red")
            _echo(f"  {label} {_indent(message, '       ').lstrip()}")
            problems += not ok
    if problems:
        _echo(f"\n{plural(problems, 'problem')} found.")
        raise click.exceptions.Exit(1)
    _echo("\nNo problems found.")


@click.command("new")
@click.argument("name")
@click.option(
    "--path",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="Folder in which to create plugboard-NAME/.",
)
def new_command(name: str, path: Path) -> None:
    """Create a ready-to-publish plugin package plugboard-NAME/."""
    try:
        check_name(name)
    except PlugboardError as exc:
        raise click.BadParameter(str(exc), param_hint="NAME") from None
    try:
        root = create_plugin_package(name, path)
    except PlugboardError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Created {root}:")
    for line in _tree(root):
        click.echo(f"  {line}")
    clash = available().get(name)
    if clash is not None:
        click.echo(
            f"\nNote: a plugin named {name!r} is already installed ({clash}); two plugins "
            "with one name cannot load on one app: rename one of them."
        )
    click.echo(
        f"\nNext:\n  cd {root}\n"
        "  pip install /path/to/plugboard  # the host (on no index): its folder or wheel\n"
        f"  pip install -e '.[test]'\n  pytest\n"
        f'Then enable it on an app with PLUGBOARD_PLUGINS = ["{name}"].'
    )


def _tree(root: Path) -> Iterable[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())
