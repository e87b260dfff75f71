"""Per-plugin schema migrations with Alembic, and the ``flask db`` commands.

Each plugin keeps its own schema history: the Alembic revision files in its migrations
folder (:meth:`Plugin.migrations_dir <flask_plugboard.Plugin.migrations_dir>`) and its own
version table, ``alembic_version_<plugin name>``. Adding or removing a plugin never
touches another plugin's history, and a removed plugin's tables and version table stay as
they are. Plugins need no ``env.py`` or ``alembic.ini`` (see
:mod:`flask_plugboard._alembic`).

Plugins migrate in the host's load order, so a plugin's tables exist before those of the
plugins that require it. Every revision runs in its own transaction: PostgreSQL's DDL is
transactional, and SQLite's is made so here (its Python driver would otherwise commit each
DDL statement at once), so a revision that fails leaves nothing of itself behind.

The commands form the click group :data:`db_group`, named ``db``. Plugboard does not use
Flask-Migrate; when Flask-Migrate is installed, its own ``flask db`` group (registered
through the ``flask.commands`` entry point) takes precedence over this one on the command
line, while these functions keep working from Python.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence

import click
from alembic.script import Script, ScriptDirectory
from alembic.util.exc import CommandError
from alembic.util.langhelpers import rev_id
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import Engine, MetaData, inspect

from ._alembic import (
    VERSION_TABLE_PREFIX,
    Plan,
    Step,
    autogenerate_revision,
    current_heads,
    revs,
    run_revisions,
    script_directory,
    version_table,
)
from ._sqlalchemy import get_db
from ._state import get_state
from .errors import PlugboardError
from .plugin import Plugin

__all__ = [
    "Status",
    "Step",
    "current",
    "db_group",
    "downgrade",
    "history",
    "revision",
    "upgrade",
    "version_table",
]

logger = logging.getLogger("flask_plugboard.db")

Report = Callable[[str], None]


@dataclasses.dataclass(frozen=True)
class Status:
    """Where one plugin's schema is, compared with the head of its history."""

    plugin: str
    current: tuple[str, ...]
    heads: tuple[str, ...]
    #: False for a version table left by a plugin that is no longer loaded.
    loaded: bool = True
    #: The plugin has models but no migrations folder.
    unmigrated: bool = False

    @property
    def up_to_date(self) -> bool:
        return self.loaded and set(self.current) == set(self.heads)

    def describe(self) -> str:
        name = self.plugin
        if not self.loaded:
            return f"{name}: not loaded; its tables and history are kept, at {revs(self.current)}"
        if self.unmigrated:
            return f"{name}: has models but no migrations; {_first_revision_hint(name)}"
        if not self.heads:
            return f"{name}: no revisions yet; {_first_revision_hint(name)}"
        if self.up_to_date:
            return f"{name}: {revs(self.current)} (head)"
        where = "not migrated" if not self.current else f"at {revs(self.current)}"
        return f"{name}: {where}, head is {revs(self.heads)}; run: flask db upgrade {name}"


# -- across plugins ---------------------------------------------------------------------


def upgrade(
    app: Flask, plugins: Iterable[str] | None = None, report: Report | None = None
) -> list[Step]:
    """Apply every pending revision of ``plugins`` (default: all loaded), in load order.

    Running it again does nothing. ``report`` receives one line per revision applied and
    per plugin already up to date (default: the ``flask_plugboard.db`` logger). Stops at
    the first revision that fails, raising :class:`~flask_plugboard.PlugboardError`.
    Without ``plugins``, refuses (migrating nothing) while a plugin that has models or
    migrations, or that did not import, is failed on the app.
    """
    say = report or logger.info
    if plugins is None:
        _refuse_while_failed(app)
    selected = _select(app, plugins)
    steps: list[Step] = []
    for index, plugin in enumerate(selected):
        script = _scripts(plugin)
        if script is None and plugin.metadata is None:
            say(f"{plugin.name}: has no models or migrations; nothing to do")
            continue
        if script is None or not script.get_heads():
            say(Status(plugin.name, (), (), unmigrated=script is None).describe())
            continue
        try:
            done = _run(app, plugin, script, _to_heads(script), say)
        except PlugboardError as exc:
            rest = [p.name for p in selected[index + 1 :]]
            if rest:
                raise PlugboardError(f"{exc}\nnot migrated after it: {', '.join(rest)}") from exc
            raise
        if not done:
            say(f"{plugin.name}: up to date at {revs(tuple(script.get_heads()))}")
        steps += done
    return steps


def _refuse_while_failed(app: Flask) -> None:
    """Raise when a failed plugin may have migrations: "everything is up to date" would
    be false, and the plugin's tables would be missing once it is fixed."""
    state = get_state(app)
    blocking = [
        record
        for record in state.failed()
        if record.plugin is None
        or record.plugin.metadata is not None
        or record.plugin.migrations_dir() is not None
    ]
    if not blocking:
        return
    lines = []
    for record in blocking:
        unknown = (
            " (it did not import: its migrations are unknown)" if record.plugin is None else ""
        )
        failure = (
            f" failed at {record.failure.phase}: {record.failure.error}" if record.failure else ""
        )
        lines.append(f"plugin {record.name!r}{unknown}{failure}")
    others = [p.name for p in _select(app, None)]
    by_name = f" (flask db upgrade {' '.join(others)})" if others else ""
    raise PlugboardError(
        "\n".join(lines) + "\nnothing was migrated: a failed plugin's migrations cannot run. "
        f"Fix it and run flask db upgrade again, or upgrade the others by name{by_name}"
    )


def _to_heads(script: ScriptDirectory) -> Plan:
    return lambda heads: script._upgrade_revs("heads", heads)


def _run(
    app: Flask, plugin: Plugin, script: ScriptDirectory, plan: Plan, say: Report
) -> list[Step]:
    engine = _engine(app, plugin)
    return run_revisions(engine, plugin.name, plugin.metadata, script, plan, say)


def downgrade(app: Flask, plugin: str, target: str, report: Report | None = None) -> list[Step]:
    """Undo revisions of ``plugin`` down to ``target`` (a revision, ``-1`` or ``base``).

    Other plugins are not touched: downgrading a plugin that others build on is the
    caller's decision.
    """
    say = report or logger.info
    chosen = _select(app, [plugin])[0]
    script = _require_scripts(chosen)
    done = _run(app, chosen, script, lambda heads: script._downgrade_revs(target, heads), say)
    if not done:
        say(f"{chosen.name}: nothing to undo for {target!r}")
    return done


def current(app: Flask) -> list[Status]:
    """The status of every loaded plugin with models or migrations, in load order.

    Version tables of plugins that are no longer loaded are listed last, with
    ``loaded=False``.
    """
    statuses = []
    for plugin in _select(app, None):
        script = _scripts(plugin)
        if script is None:
            statuses.append(Status(plugin.name, (), (), unmigrated=True))
            continue
        with _engine(app, plugin).connect() as conn:
            heads = current_heads(conn, plugin.name)
        statuses.append(Status(plugin.name, heads, tuple(script.get_heads())))
    loaded = {record.name for record in get_state(app).loaded()}
    with _engine(app, None).connect() as conn:
        tables = inspect(conn).get_table_names()
        for table in sorted(tables):
            name = table.removeprefix(VERSION_TABLE_PREFIX)
            if table.startswith(VERSION_TABLE_PREFIX) and name not in loaded:
                statuses.append(Status(name, current_heads(conn, name), (), loaded=False))
    return statuses


def history(app: Flask, plugin: str) -> list[Script]:
    """The revisions of ``plugin``, newest first."""
    script = _require_scripts(_select(app, [plugin])[0])
    return list(script.walk_revisions())


def revision(app: Flask, plugin: str, message: str, autogenerate: bool = False) -> str | None:
    """Write a new revision file for ``plugin`` into its migrations folder; return its path.

    The folder is created when missing. With ``autogenerate`` the revision holds the
    difference between the plugin's models and its tables (other plugins' tables are
    never compared), rendered in batch mode so it runs on SQLite and PostgreSQL alike;
    when there is no difference nothing is written and ``None`` is returned. Removing a
    table from the models is not detected: write its ``op.drop_table`` by hand.
    """
    chosen = _select(app, [plugin])[0]
    metadata = chosen.metadata
    if autogenerate and metadata is None:
        raise PlugboardError(
            f"plugin {chosen.name!r} has no models (Plugin.metadata) to compare with the "
            "database: leave out --autogenerate to write an empty revision"
        )
    folder = chosen.migrations_dir() or _default_folder(chosen)
    os.makedirs(folder, exist_ok=True)
    script = script_directory(folder)
    try:
        if metadata is not None and autogenerate:
            engine = _engine(app, chosen)
            return autogenerate_revision(engine, chosen.name, metadata, script, message)
        written = script.generate_revision(rev_id(), message, head="head")
    except CommandError as exc:
        raise PlugboardError(f"plugin {chosen.name!r}: {exc}") from None
    return None if written is None else str(written.path)


# -- plugins, folders, engines ------------------------------------------------------------


def _select(app: Flask, names: Iterable[str] | None) -> list[Plugin]:
    """Loaded plugins in load order: all with models or migrations, or those named."""
    state = get_state(app)
    loaded: list[Plugin] = []
    for name in state.ordering.order:
        record = state.records.get(name)
        if record is not None and record.failure is None and record.plugin is not None:
            loaded.append(record.plugin)
    if names is None:
        return [p for p in loaded if p.metadata is not None or p.migrations_dir() is not None]
    wanted = list(names)
    known = {p.name for p in loaded}
    for name in wanted:
        failed = state.records.get(name)
        if failed is not None and failed.failure is not None:
            raise PlugboardError(
                f"plugin {name!r} failed at {failed.failure.phase}: {failed.failure.error}\n"
                "its migrations cannot run while it is failed: fix it first"
            )
        if name not in known:
            raise PlugboardError(
                f"no loaded plugin named {name!r} on app {app.name!r} (loaded: "
                f"{', '.join(p.name for p in loaded) or 'none'}): check the name, or add "
                "the plugin to PLUGBOARD_PLUGINS"
            )
    return [p for p in loaded if p.name in wanted]


def _scripts(plugin: Plugin) -> ScriptDirectory | None:
    folder = plugin.migrations_dir()
    return None if folder is None else script_directory(folder)


def _require_scripts(plugin: Plugin) -> ScriptDirectory:
    script = _scripts(plugin)
    if script is None:
        raise PlugboardError(
            f"plugin {plugin.name!r} has no migrations folder; {_first_revision_hint(plugin.name)}"
        )
    return script


def _default_folder(plugin: Plugin) -> str:
    """Where a plugin's first revision goes: ``migrations`` beside its module."""
    module_file = getattr(sys.modules.get(type(plugin).__module__), "__file__", None)
    if module_file is None:
        raise PlugboardError(
            f"plugin {plugin.name!r} has no module folder to hold its migrations: set "
            "Plugin.migrations to the folder its revision files go in"
        )
    return os.path.join(os.path.dirname(module_file), "migrations")


def _engine(app: Flask, plugin: Plugin | None) -> Engine:
    """The engine of the plugin's bind key (``None``: the default engine)."""
    metadata: MetaData | None = plugin.metadata if plugin is not None else None
    key = metadata.info.get("bind_key") if metadata is not None else None
    db = get_db(app)
    with app.app_context():
        engines = db.engines
    if key in engines:
        return engines[key]
    if key is None:
        raise PlugboardError(
            f"app {app.name!r} has no default database, where plugins keep their tables and "
            "version tables: set SQLALCHEMY_DATABASE_URI"
        )
    owner = f"plugin {plugin.name!r}" if plugin is not None else "Plugboard"
    raise PlugboardError(
        f"{owner} keeps its tables in the database of bind key {key!r}, which is not "
        f"configured on app {app.name!r}: add it to SQLALCHEMY_BINDS"
    )


def _first_revision_hint(plugin: str) -> str:
    return (
        f'write the first revision with: flask db revision {plugin} -m "create tables" '
        "--autogenerate"
    )


# -- the commands -----------------------------------------------------------------------

db_group = AppGroup(
    "db",
    help="Migrate the database of every plugin: each plugin keeps its own Alembic "
    "history and version table (alembic_version_<plugin>).",
)


@contextlib.contextmanager
def _as_click_errors() -> Iterator[None]:
    try:
        yield
    except PlugboardError as exc:
        raise click.ClickException(str(exc)) from exc


@db_group.command("upgrade")
@click.argument("plugins", nargs=-1)
def upgrade_command(plugins: tuple[str, ...]) -> None:
    """Apply pending migrations of PLUGINS, or of all.

    Without PLUGINS, every loaded plugin with models or migrations is upgraded, in the
    host's load order. Running it again does nothing.
    """
    with _as_click_errors():
        upgrade(current_app, plugins or None, report=click.echo)


@db_group.command("downgrade", context_settings={"ignore_unknown_options": True})
@click.argument("plugin")
@click.argument("revision")
def downgrade_command(plugin: str, revision: str) -> None:
    """Undo migrations of PLUGIN down to REVISION.

    REVISION is a revision id, -1 (one step back) or base (everything). Other plugins are
    left alone.
    """
    with _as_click_errors():
        downgrade(current_app, plugin, revision, report=click.echo)


@db_group.command("current")
def current_command() -> None:
    """Show each plugin's revision against its head.

    Version tables of plugins that are no longer loaded are listed too: their tables are
    kept.
    """
    with _as_click_errors():
        for status in current(current_app):
            click.echo(status.describe())


@db_group.command("history")
@click.argument("plugin")
def history_command(plugin: str) -> None:
    """List the revisions of PLUGIN, newest first."""
    with _as_click_errors():
        for script in history(current_app, plugin):
            head = " (head)" if script.is_head else ""
            down = revs(_as_tuple(script.down_revision))
            click.echo(f"{plugin}: {down} -> {script.revision}{head}, {script.doc}")


@db_group.command("revision")
@click.argument("plugin")
@click.option("-m", "--message", required=True, help="What the revision changes.")
@click.option(
    "--autogenerate",
    is_flag=True,
    help="Fill the revision with the difference between the plugin's models and its tables.",
)
def revision_command(plugin: str, message: str, autogenerate: bool) -> None:
    """Write a new revision file for PLUGIN.

    The file goes into the plugin's migrations folder (created when missing). With
    --autogenerate it holds the difference between the plugin's models and its tables;
    when there is none, no file is written.
    """
    with _as_click_errors():
        path = revision(current_app, plugin, message, autogenerate=autogenerate)
    if path is None:
        click.echo(f"{plugin}: its models match its tables; no revision written")
    else:
        click.echo(f"{plugin}: wrote {path}")


def _as_tuple(revisions: str | Sequence[str] | None) -> tuple[str, ...]:
    if revisions is None:
        return ()
    return (revisions,) if isinstance(revisions, str) else tuple(revisions)
