"""Alembic for one plugin: its revisions, its version table, one transaction per revision.

Plugins need no ``env.py`` or ``alembic.ini``: this module drives Alembic's runtime API
itself (``ScriptDirectory`` over the plugin's folder, ``EnvironmentContext``), and renders
new revision files from the host's template, ``_migrations/script.py.mako``. Across
plugins, :mod:`flask_plugboard._migrate` decides what runs.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from typing import Any, Literal

from alembic.autogenerate.api import RevisionContext
from alembic.config import Config
from alembic.operations.ops import MigrationScript
from alembic.runtime.environment import EnvironmentContext
from alembic.runtime.migration import MigrationContext, MigrationInfo, RevisionStep
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import Connection, DefaultClause, Engine, MetaData, event
from sqlalchemy.sql.elements import False_, True_

from .errors import PlugboardError

__all__ = [
    "VERSION_TABLE_PREFIX",
    "Plan",
    "Step",
    "autogenerate_revision",
    "current_heads",
    "revs",
    "run_revisions",
    "script_directory",
    "version_table",
]

#: Version tables are named this prefix plus the plugin's name.
VERSION_TABLE_PREFIX = "alembic_version_"

#: Folder of the template new revision files are rendered from.
_TEMPLATE_DIR = os.path.join(os.path.dirname(__file__), "_migrations")

#: Given the revisions a database is at, the revision steps to run. (Any: Alembic
#: passes a tuple of revision ids where its private helpers are typed to take a str.)
Plan = Callable[[Any], list[RevisionStep]]


def version_table(plugin: str) -> str:
    """Name of the table that records which revisions of ``plugin`` are applied."""
    return VERSION_TABLE_PREFIX + plugin


def revs(revisions: Sequence[str]) -> str:
    """Revision ids for people: comma-separated, or ``base`` for none."""
    return ", ".join(revisions) if revisions else "base"


@dataclasses.dataclass(frozen=True)
class Step:
    """One revision of one plugin, applied or undone."""

    plugin: str
    revision: str
    message: str
    upgrade: bool
    source: tuple[str, ...]
    destination: tuple[str, ...]

    def describe(self) -> str:
        verb = "upgraded" if self.upgrade else "downgraded"
        return (
            f"{self.plugin}: {verb} {revs(self.source)} -> {revs(self.destination)}, {self.message}"
        )


def script_directory(folder: str) -> ScriptDirectory:
    """The revisions in ``folder``, as one Alembic history."""
    return ScriptDirectory(
        _TEMPLATE_DIR, version_locations=[folder], messaging_opts={"quiet": True}
    )


def run_revisions(
    engine: Engine,
    plugin: str,
    metadata: MetaData | None,
    script: ScriptDirectory,
    plan: Plan,
    report: Callable[[str], None],
) -> list[Step]:
    """Run the steps ``plan`` returns for ``plugin``, each in its own transaction.

    ``report`` receives a line per step done. A step that fails raises
    :class:`~flask_plugboard.PlugboardError` naming the plugin and revision.
    """
    planned: list[RevisionStep] = []
    done: list[Step] = []

    def steps(heads: Any, context: MigrationContext) -> list[RevisionStep]:
        planned[:] = plan(heads)
        return planned

    def applied(
        ctx: MigrationContext,
        step: MigrationInfo,
        heads: Collection[Any],
        run_args: Mapping[str, Any],
    ) -> None:
        taken = planned[len(done)]
        record = Step(
            plugin=plugin,
            revision=taken.revision.revision,
            message=taken.doc or "",
            upgrade=taken.is_upgrade,
            source=tuple(taken.from_revisions_no_deps),
            destination=tuple(taken.to_revisions_no_deps),
        )
        done.append(record)
        report(record.describe())

    with _migration_connection(engine) as (conn, transactional_ddl):
        with EnvironmentContext(Config(), script, fn=steps) as env:
            env.configure(
                connection=conn,
                target_metadata=metadata,
                version_table=version_table(plugin),
                transaction_per_migration=True,
                transactional_ddl=transactional_ddl,
                on_version_apply=applied,
            )
            rolls_back = env.get_context().impl.transactional_ddl
            try:
                env.run_migrations()
            except CommandError as exc:  # Alembic's word for a revision it cannot resolve
                raise PlugboardError(
                    f"plugin {plugin!r}: {exc}; see flask db history {plugin}"
                ) from None
            except Exception as exc:  # whatever a revision raises, say which one it was
                failed = planned[len(done)] if len(done) < len(planned) else None
                raise _failure(plugin, failed, exc, rolls_back) from exc
        conn.commit()
    return done


def _failure(
    plugin: str, step: RevisionStep | None, exc: Exception, rolled_back: bool
) -> PlugboardError:
    error = f"{type(exc).__name__}: {exc}"
    if step is None:
        return PlugboardError(f"plugin {plugin!r}: migrating failed: {error}")
    verb = "upgrade" if step.is_upgrade else "downgrade"
    outcome = (
        "It was rolled back"
        if rolled_back
        else "This database cannot roll back schema changes, so part of it may remain"
    )
    return PlugboardError(
        f"plugin {plugin!r}: the {verb} of revision {step.revision.revision} "
        f"({step.doc}) failed: {error}\n{outcome}; {plugin} stays at "
        f"{revs(tuple(step.from_revisions_no_deps))}. Fix the revision file and run the "
        "command again."
    )


def autogenerate_revision(
    engine: Engine, plugin: str, metadata: MetaData, script: ScriptDirectory, message: str
) -> str | None:
    """Write the revision that brings ``plugin``'s tables to ``metadata``; return its path.

    Only the tables of ``metadata`` are compared, so other plugins' tables (and tables
    no longer in the models) are left out. The revision is rendered in batch mode, so it
    runs on SQLite as on PostgreSQL. Returns ``None``, writing nothing, when the tables
    already match.
    """
    config = Config()
    args = dict(
        message=message,
        autogenerate=True,
        sql=False,
        head="head",
        splice=False,
        branch_label=None,
        version_path=None,
        rev_id=None,
        depends_on=None,
    )
    context = RevisionContext(config, script, args, process_revision_directives=_skip_empty)

    def compare(heads: Any, migration_context: MigrationContext) -> list[Any]:
        try:
            context.run_autogenerate(heads, migration_context)
        except CommandError as exc:
            raise PlugboardError(
                f"plugin {plugin!r} has revisions its database lacks ({exc}): run "
                f"flask db upgrade {plugin} first, so its models are compared with an "
                "up-to-date schema"
            ) from None
        return []

    names = {(table.schema, table.name) for table in metadata.tables.values()}

    def include_name(name: str | None, type_: str, parents: Any) -> bool:
        return type_ != "table" or (parents.get("schema_name"), name) in names

    # No commit: comparing must leave the database as it was.
    with _migration_connection(engine) as (conn, transactional_ddl):
        with EnvironmentContext(
            config,
            script,
            fn=compare,
            as_sql=False,
            template_args=context.template_args,
            revision_context=context,
        ) as env:
            env.configure(
                connection=conn,
                target_metadata=metadata,
                version_table=version_table(plugin),
                include_name=include_name,
                render_as_batch=True,
                render_item=_render_item,
                compare_type=True,
                transactional_ddl=transactional_ddl,
                dont_mutate=True,
            )
            env.run_migrations()
    written = [s for s in context.generate_scripts() if s is not None]
    return str(written[0].path) if written else None


def _skip_empty(
    context: MigrationContext, revision: Any, directives: list[MigrationScript]
) -> None:
    """Write no revision when the models match the tables."""
    ops = directives[0].upgrade_ops if directives else None
    if ops is not None and ops.is_empty():
        directives.clear()


def _render_item(type_: str, obj: Any, autogen_context: Any) -> str | Literal[False]:
    """Render ``true()``/``false()`` server defaults as such, not compiled for one database.

    Compiled on SQLite they read ``0``, which PostgreSQL refuses for a boolean column.
    """
    if type_ == "server_default" and isinstance(obj, DefaultClause):
        if isinstance(obj.arg, True_):
            return "sa.true()"
        if isinstance(obj.arg, False_):
            return "sa.false()"
    return False


def current_heads(conn: Connection, plugin: str) -> tuple[str, ...]:
    """The revisions of ``plugin`` applied to the database; empty when none is."""
    context = MigrationContext.configure(conn, opts={"version_table": version_table(plugin)})
    return tuple(context.get_current_heads())


@contextlib.contextmanager
def _migration_connection(engine: Engine) -> Iterator[tuple[Connection, bool | None]]:
    """Connect for migrating; also yield Alembic's ``transactional_ddl`` override.

    Python's sqlite3 driver commits each DDL statement on its own. For this one
    connection, the driver leaves transactions alone and a BEGIN is emitted whenever
    SQLAlchemy begins one, so SQLite's own transactional DDL works.
    """
    with engine.connect() as conn:
        raw = conn.connection.driver_connection if conn.dialect.driver == "pysqlite" else None
        if raw is None:
            yield conn, None
            return
        saved = raw.isolation_level
        raw.isolation_level = None
        event.listen(conn, "begin", _emit_begin)
        try:
            yield conn, True
        finally:
            conn.rollback()
            event.remove(conn, "begin", _emit_begin)
            raw.isolation_level = saved


def _emit_begin(conn: Connection) -> None:
    conn.exec_driver_sql("BEGIN")
