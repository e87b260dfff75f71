"""Plugin models and per-plugin migrations, on SQLite and on the real PostgreSQL server."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import Result
from flask import Flask
from flask_sqlalchemy import SQLAlchemy

from fixture_plugins.broken import Broken
from fixture_plugins.notes import Note, Notes
from fixture_plugins.tags import Tag, Tags
from flask_plugboard import Plugboard, PlugboardError, Plugin
from flask_plugboard._migrate import current, db_group, upgrade
from flask_plugboard.db import (
    NAMING_CONVENTION,
    UTCDateTime,
    ensure_database,
    get_db,
    plugin_metadata,
    session,
    upgrade_database,
    utcnow,
)
from flask_plugboard.testing import postgres_schema

TESTS = Path(__file__).resolve().parent
NOTES_MIGRATIONS = TESTS / "fixture_plugins" / "notes" / "migrations"
NOTES_HEAD, NOTES_FIRST = "7b2e4d6f8a02", "3a1f0c2b9d01"
TAGS_HEAD = "c4d5e6f7a803"
NOTES_TABLES = {"notes_note", "alembic_version_notes"}
TAGS_TABLES = {"tags_tag", "tags_note_tag", "alembic_version_tags"}


@dataclasses.dataclass
class Database:
    """A database the tests own: a SQLite file, or a fresh schema on PostgreSQL."""

    url: str
    engine_options: dict[str, Any]
    engine: sa.Engine

    def tables(self) -> set[str]:
        return set(sa.inspect(self.engine).get_table_names())

    def version(self, plugin: str) -> list[str]:
        with self.engine.connect() as conn:
            return list(conn.scalars(sa.text(f"SELECT version_num FROM alembic_version_{plugin}")))

    def columns(self, table: str) -> set[str]:
        return {c["name"] for c in sa.inspect(self.engine).get_columns(table)}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'app.sqlite'}"
        engine = sa.create_engine(url)
        yield Database(url, {}, engine)
        engine.dispose()
        return
    url = request.getfixturevalue("postgres_url")
    with postgres_schema(url) as schema:
        options = {"connect_args": {"options": f"-csearch_path={schema}"}}
        engine = sa.create_engine(url, **options)
        try:
            yield Database(url, options, engine)
        finally:
            engine.dispose()


MakeApp = Callable[..., Flask]


@pytest.fixture
def make_app(database: Database, tmp_path: Path) -> Iterator[MakeApp]:
    """Build a test app on ``database`` with the given plugins and no entry-point ones."""
    apps: list[Flask] = []

    def make(*plugins: Plugin | type[Plugin], **config: Any) -> Flask:
        app = Flask(__name__, instance_path=str(tmp_path / "instance"))
        app.config.update(
            TESTING=True,
            PLUGBOARD_PLUGINS=[],
            SQLALCHEMY_DATABASE_URI=database.url,
            SQLALCHEMY_ENGINE_OPTIONS=database.engine_options,
        )
        app.config.update(config)
        Plugboard(app, plugins=list(plugins))
        app.cli.add_command(db_group)  # the host adds it too; these tests need not rely on it
        apps.append(app)
        return app

    yield make
    for app in apps:
        if "sqlalchemy" in app.extensions:
            with app.app_context():
                for engine in get_db(app).engines.values():
                    engine.dispose()


def run(app: Flask, *args: str) -> Result:
    return app.test_cli_runner().invoke(args=["db", *args])


def lines(result: Result) -> list[str]:
    return result.output.splitlines()


def copy_notes_migrations(tmp_path: Path) -> Path:
    folder = tmp_path / "notes_migrations"
    shutil.copytree(NOTES_MIGRATIONS, folder, ignore=shutil.ignore_patterns("__pycache__"))
    return folder


def notes_with(folder: Path, *columns: sa.Column[Any]) -> type[Notes]:
    """The notes plugin with extra columns in its model and its revisions in ``folder``."""
    metadata = plugin_metadata()
    table = Note.__table__.to_metadata(metadata)
    for column in columns:
        table.append_column(column)
    return type("ChangedNotes", (Notes,), {"metadata": metadata, "migrations": str(folder)})


# -- upgrade ------------------------------------------------------------------------------


def test_upgrade_creates_each_plugins_tables_and_version_table(
    make_app: MakeApp, database: Database
) -> None:
    app = make_app(Tags, Notes)

    result = run(app, "upgrade")

    assert result.exit_code == 0, result.output
    # Load order: notes first, since tags requires it.
    assert lines(result) == [
        f"notes: upgraded base -> {NOTES_FIRST}, create notes",
        f"notes: upgraded {NOTES_FIRST} -> {NOTES_HEAD}, pin notes",
        f"tags: upgraded base -> {TAGS_HEAD}, create tags",
    ]
    assert database.tables() == NOTES_TABLES | TAGS_TABLES
    assert database.version("notes") == [NOTES_HEAD]
    assert database.version("tags") == [TAGS_HEAD]
    assert "alembic_version" not in database.tables()


def test_upgrade_twice_changes_nothing(make_app: MakeApp, database: Database) -> None:
    app = make_app(Notes, Tags)
    assert run(app, "upgrade").exit_code == 0

    result = run(app, "upgrade")

    assert result.exit_code == 0, result.output
    assert lines(result) == [
        f"notes: up to date at {NOTES_HEAD}",
        f"tags: up to date at {TAGS_HEAD}",
    ]
    assert database.version("notes") == [NOTES_HEAD]
    assert database.version("tags") == [TAGS_HEAD]


def test_upgrade_of_named_plugins_leaves_the_others(make_app: MakeApp, database: Database) -> None:
    app = make_app(Notes, Tags)

    result = run(app, "upgrade", "notes")

    assert result.exit_code == 0, result.output
    assert database.tables() == NOTES_TABLES
    assert [line.split(":")[0] for line in lines(run(app, "current"))] == ["notes", "tags"]
    assert lines(run(app, "current"))[1] == (
        f"tags: not migrated, head is {TAGS_HEAD}; run: flask db upgrade tags"
    )


def test_removing_a_plugin_keeps_its_tables_and_the_others_still_migrate(
    make_app: MakeApp, database: Database
) -> None:
    assert run(make_app(Notes, Tags), "upgrade").exit_code == 0
    app = make_app(Notes)

    result = run(app, "upgrade")

    assert result.exit_code == 0, result.output
    assert lines(result) == [f"notes: up to date at {NOTES_HEAD}"]
    assert database.tables() == NOTES_TABLES | TAGS_TABLES
    assert database.version("tags") == [TAGS_HEAD]
    assert lines(run(app, "current")) == [
        f"notes: {NOTES_HEAD} (head)",
        f"tags: not loaded; its tables and history are kept, at {TAGS_HEAD}",
    ]
    downgraded = run(app, "downgrade", "notes", "-1")
    assert downgraded.exit_code == 0, downgraded.output
    assert run(app, "upgrade").exit_code == 0
    assert database.version("notes") == [NOTES_HEAD]
    assert database.version("tags") == [TAGS_HEAD]


def test_adding_a_plugin_later_migrates_only_that_plugin(
    make_app: MakeApp, database: Database
) -> None:
    assert run(make_app(Notes), "upgrade").exit_code == 0
    app = make_app(Notes, Tags)

    result = run(app, "upgrade")

    assert result.exit_code == 0, result.output
    assert lines(result) == [
        f"notes: up to date at {NOTES_HEAD}",
        f"tags: upgraded base -> {TAGS_HEAD}, create tags",
    ]
    assert database.tables() == NOTES_TABLES | TAGS_TABLES


def test_a_failing_revision_leaves_nothing_of_itself(make_app: MakeApp, database: Database) -> None:
    app = make_app(Notes, Broken, Tags)

    result = run(app, "upgrade")

    assert result.exit_code == 1
    assert "broken: upgraded base -> b0000000001a, create kept" in result.output
    assert "plugin 'broken': the upgrade of revision b0000000002b (fail halfway) failed" in (
        result.output
    )
    assert "It was rolled back; broken stays at b0000000001a" in result.output
    assert "not migrated after it: tags" in result.output
    # The table the failing revision created before failing is gone with it.
    assert "broken_half" not in database.tables()
    assert "broken_kept" in database.tables()
    assert database.version("broken") == ["b0000000001a"]
    assert database.version("notes") == [NOTES_HEAD]
    assert "tags_tag" not in database.tables()


def test_upgrade_of_an_unknown_plugin_names_it(make_app: MakeApp) -> None:
    result = run(make_app(Notes), "upgrade", "nots")

    assert result.exit_code == 1
    assert "no loaded plugin named 'nots'" in result.output
    assert "(loaded: notes)" in result.output


def test_a_plugin_with_models_and_no_migrations_is_told_how_to_start(
    make_app: MakeApp, database: Database, tmp_path: Path
) -> None:
    NoRevisions = type("NoRevisions", (Notes,), {"migrations": str(tmp_path / "absent")})
    app = make_app(NoRevisions)

    result = run(app, "upgrade")

    assert result.exit_code == 0, result.output
    hint = 'write the first revision with: flask db revision notes -m "create tables"'
    assert hint in result.output
    assert database.tables() == set()


# -- downgrade, current, history --------------------------------------------------------


def test_downgrade_undoes_revisions_of_one_plugin(make_app: MakeApp, database: Database) -> None:
    app = make_app(Notes, Tags)
    assert run(app, "upgrade").exit_code == 0

    result = run(app, "downgrade", "notes", "-1")

    assert result.exit_code == 0, result.output
    assert lines(result) == [f"notes: downgraded {NOTES_HEAD} -> {NOTES_FIRST}, pin notes"]
    assert "pinned" not in database.columns("notes_note")
    assert database.version("notes") == [NOTES_FIRST]
    assert database.version("tags") == [TAGS_HEAD]
    assert lines(run(app, "current"))[0] == (
        f"notes: at {NOTES_FIRST}, head is {NOTES_HEAD}; run: flask db upgrade notes"
    )

    assert run(app, "downgrade", "tags", "base").exit_code == 0
    assert database.tables() == NOTES_TABLES | {"alembic_version_tags"}
    assert database.version("tags") == []
    assert run(app, "upgrade").exit_code == 0
    assert database.tables() == NOTES_TABLES | TAGS_TABLES
    assert "pinned" in database.columns("notes_note")


def test_downgrade_to_an_unknown_revision_says_where_to_look(make_app: MakeApp) -> None:
    app = make_app(Notes)
    assert run(app, "upgrade").exit_code == 0

    result = run(app, "downgrade", "notes", "ffff0000")

    assert result.exit_code == 1
    assert "plugin 'notes'" in result.output
    assert "ffff0000" in result.output
    assert "flask db history notes" in result.output


def test_history_lists_a_plugins_revisions_newest_first(make_app: MakeApp) -> None:
    result = run(make_app(Notes, Tags), "history", "notes")

    assert result.exit_code == 0, result.output
    assert lines(result) == [
        f"notes: {NOTES_FIRST} -> {NOTES_HEAD} (head), pin notes",
        f"notes: base -> {NOTES_FIRST}, create notes",
    ]


# -- revision ---------------------------------------------------------------------------


def test_autogenerate_writes_a_revision_for_a_model_change(
    make_app: MakeApp, database: Database, tmp_path: Path
) -> None:
    folder = copy_notes_migrations(tmp_path)
    ChangedNotes = notes_with(folder, sa.Column("color", sa.String(20), nullable=True))
    app = make_app(ChangedNotes, Tags)
    assert run(app, "upgrade").exit_code == 0

    result = run(app, "revision", "notes", "-m", "add color", "--autogenerate")

    assert result.exit_code == 0, result.output
    [written] = folder.glob("*_add_color.py")
    assert lines(result) == [f"notes: wrote {written}"]
    source = written.read_text()
    assert "add color" in source
    assert f"down_revision: str | Sequence[str] | None = '{NOTES_HEAD}'" in source
    assert "batch_op.add_column(sa.Column('color', sa.String(length=20)" in source
    assert "tags_" not in source  # only this plugin's models are compared
    new_revision = written.name.split("_")[0]

    assert run(app, "upgrade").exit_code == 0
    assert "color" in database.columns("notes_note")
    assert database.version("notes") == [new_revision]
    assert run(app, "downgrade", "notes", "-1").exit_code == 0
    assert "color" not in database.columns("notes_note")


def test_autogenerate_writes_nothing_when_the_models_match(
    make_app: MakeApp, database: Database, tmp_path: Path
) -> None:
    # The fixture revisions match the models on both databases: constraint names come
    # from the naming convention, not from the database.
    folder = copy_notes_migrations(tmp_path)
    app = make_app(notes_with(folder), Tags)
    assert run(app, "upgrade").exit_code == 0

    for plugin in ("notes", "tags"):
        result = run(app, "revision", plugin, "-m", "nothing", "--autogenerate")

        assert result.exit_code == 0, result.output
        assert lines(result) == [f"{plugin}: its models match its tables; no revision written"]
    assert sorted(p.name for p in folder.glob("*.py")) == sorted(
        p.name for p in NOTES_MIGRATIONS.glob("*.py")
    )


def test_autogenerate_asks_for_an_upgrade_first(make_app: MakeApp, tmp_path: Path) -> None:
    folder = copy_notes_migrations(tmp_path)
    app = make_app(notes_with(folder))

    result = run(app, "revision", "notes", "-m", "too early", "--autogenerate")

    assert result.exit_code == 1
    assert "run flask db upgrade notes first" in result.output
    assert sorted(p.name for p in folder.glob("*.py")) == sorted(
        p.name for p in NOTES_MIGRATIONS.glob("*.py")
    )


def test_the_first_revision_creates_the_migrations_folder(
    make_app: MakeApp, database: Database, tmp_path: Path
) -> None:
    folder = tmp_path / "new" / "migrations"
    Fresh = type("Fresh", (Notes,), {"migrations": str(folder)})
    app = make_app(Fresh)

    result = run(app, "revision", "notes", "-m", "create tables", "--autogenerate")

    assert result.exit_code == 0, result.output
    [written] = folder.glob("*_create_tables.py")
    source = written.read_text()
    assert "op.create_table('notes_note'" in source
    # Rendered the same whatever database it was generated on.
    assert "sa.Column('pinned', sa.Boolean(), server_default=sa.false()" in source
    assert "down_revision: str | Sequence[str] | None = None" in source
    assert run(app, "upgrade").exit_code == 0
    assert database.tables() == NOTES_TABLES
    assert database.columns("notes_note") == {"id", "title", "pinned"}


def test_a_plain_revision_is_an_empty_template(make_app: MakeApp, tmp_path: Path) -> None:
    folder = copy_notes_migrations(tmp_path)
    app = make_app(notes_with(folder))

    result = run(app, "revision", "notes", "-m", "move data")

    assert result.exit_code == 0, result.output
    [written] = folder.glob("*_move_data.py")
    source = written.read_text()
    assert f"down_revision: str | Sequence[str] | None = '{NOTES_HEAD}'" in source
    assert "def upgrade() -> None:\n    pass" in source
    # A new head: the database is now behind it.
    assert lines(run(app, "current"))[0].startswith("notes: not migrated, head is ")


# -- models through the app's session ---------------------------------------------------


def test_plugin_models_work_through_the_apps_session(make_app: MakeApp, database: Database) -> None:
    app = make_app(Notes, Tags)
    upgrade_database(app)

    with app.app_context():
        note = Note(title="buy milk")
        session().add(Tag(name="errand", notes=[note]))
        session().commit()
        assert session() is get_db().session()
        tag = session().scalars(sa.select(Tag)).one()
        assert [n.title for n in tag.notes] == ["buy milk"]
        assert tag.notes[0].pinned is False

    # The rows are in the app's database, written through its default engine.
    with database.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT title, pinned FROM notes_note")).all() == [
            ("buy milk", False)
        ]
        assert conn.execute(sa.text("SELECT count(*) FROM tags_note_tag")).scalar() == 1


def test_each_app_keeps_its_own_database(tmp_path: Path) -> None:
    apps = []
    for name in ("one", "two"):
        app = Flask(name, instance_path=str(tmp_path / name))
        app.config.update(TESTING=True, PLUGBOARD_PLUGINS=[])
        Plugboard(app, plugins=[Notes])
        upgrade_database(app)
        apps.append(app)

    with apps[0].app_context():
        session().add(Note(title="only in one"))
        session().commit()

    with apps[1].app_context():
        assert session().scalars(sa.select(Note)).all() == []
    with apps[0].app_context():
        assert [n.title for n in session().scalars(sa.select(Note))] == ["only in one"]
    for app in apps:
        with app.app_context():
            get_db().engine.dispose()


def archive_plugin(folder: Path) -> type[Plugin]:
    """A plugin whose models live in the database of bind key ``archive``."""
    metadata = plugin_metadata(bind_key="archive")
    sa.Table("archive_item", metadata, sa.Column("id", sa.Integer, primary_key=True))
    return type(
        "Archive", (Plugin,), {"name": "archive", "metadata": metadata, "migrations": str(folder)}
    )


def test_a_plugin_with_a_bind_key_migrates_that_database(tmp_path: Path) -> None:
    Archive = archive_plugin(tmp_path / "migrations")
    default, archive = tmp_path / "default.sqlite", tmp_path / "archive.sqlite"
    app = Flask(__name__, instance_path=str(tmp_path / "instance"))
    app.config.update(
        TESTING=True,
        PLUGBOARD_PLUGINS=[],
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{default}",
        SQLALCHEMY_BINDS={"archive": f"sqlite:///{archive}"},
    )
    Plugboard(app, plugins=[Archive])
    app.cli.add_command(db_group)

    assert run(app, "revision", "archive", "-m", "create", "--autogenerate").exit_code == 0
    assert run(app, "upgrade").exit_code == 0

    def tables(path: Path) -> set[str]:
        engine = sa.create_engine(f"sqlite:///{path}")
        try:
            return set(sa.inspect(engine).get_table_names())
        finally:
            engine.dispose()

    assert tables(archive) == {"archive_item", "alembic_version_archive"}
    assert "archive_item" not in tables(default)
    with app.app_context():
        for engine in get_db().engines.values():
            engine.dispose()


def test_a_bind_key_missing_from_the_config_is_named(make_app: MakeApp, tmp_path: Path) -> None:
    app = make_app(archive_plugin(tmp_path / "migrations"))

    result = run(app, "revision", "archive", "-m", "create", "--autogenerate")

    assert result.exit_code == 1
    assert "plugin 'archive' keeps its tables in the database of bind key 'archive'" in (
        result.output
    )
    assert "add it to SQLALCHEMY_BINDS" in result.output


# -- ensure_database, get_db, plugin_metadata -------------------------------------------


def test_without_a_database_url_the_app_gets_a_sqlite_file_in_its_instance_folder(
    tmp_path: Path,
) -> None:
    instance = tmp_path / "not-yet"
    app = Flask(__name__, instance_path=str(instance))
    app.config.update(TESTING=True, PLUGBOARD_PLUGINS=[])
    Plugboard(app, plugins=[Notes])

    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{instance / 'plugboard.sqlite'}"
    upgrade_database(app)
    assert (instance / "plugboard.sqlite").is_file()
    with app.app_context():
        get_db().engine.dispose()


def test_the_apps_own_flask_sqlalchemy_is_used(tmp_path: Path) -> None:
    app = Flask(__name__)
    app.config.update(
        TESTING=True,
        PLUGBOARD_PLUGINS=[],
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'own.sqlite'}",
    )
    db = SQLAlchemy(app)
    Plugboard(app, plugins=[Notes])

    assert get_db(app) is db
    assert ensure_database(app) is db
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'own.sqlite'}"
    with app.app_context():
        db.engine.dispose()


def test_an_app_without_flask_sqlalchemy_gets_a_clear_error() -> None:
    app = Flask(__name__)

    with pytest.raises(PlugboardError, match="has no Flask-SQLAlchemy extension") as caught:
        get_db(app)
    assert "ensure_database(app)" in str(caught.value)


def test_a_foreign_sqlalchemy_extension_is_refused() -> None:
    app = Flask(__name__)
    app.extensions["sqlalchemy"] = object()

    with pytest.raises(PlugboardError, match="not a flask_sqlalchemy.SQLAlchemy"):
        ensure_database(app)


def test_plugin_metadata_names_constraints_the_same_way_everywhere() -> None:
    first, second = plugin_metadata(), plugin_metadata(bind_key="archive")

    assert first is not second
    assert first.naming_convention == NAMING_CONVENTION
    assert "bind_key" not in first.info
    assert second.info["bind_key"] == "archive"
    table = sa.Table(
        "things_thing",
        first,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(10), unique=True),
    )
    names = {c.name for c in table.constraints}
    assert names == {"pk_things_thing", "uq_things_thing_code"}


# -- programmatic API and the real command line -----------------------------------------


def test_the_functions_report_what_they_did(make_app: MakeApp) -> None:
    app = make_app(Notes, Tags)
    said: list[str] = []

    steps = upgrade(app, ["tags", "notes"], report=said.append)

    assert [(s.plugin, s.revision) for s in steps] == [
        ("notes", NOTES_FIRST),
        ("notes", NOTES_HEAD),
        ("tags", TAGS_HEAD),
    ]
    assert said == [s.describe() for s in steps]
    assert all(status.up_to_date for status in current(app))


def test_flask_db_upgrade_on_the_command_line(tmp_path: Path) -> None:
    database = tmp_path / "cli.sqlite"
    env = {
        **os.environ,
        "FLASK_SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
        "PYTHONPATH": str(TESTS),
    }
    flask = Path(sys.executable).parent / "flask"

    done = subprocess.run(
        [str(flask), "--app", "fixture_plugins.app:create_app", "db", "upgrade"],
        cwd=TESTS,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        f"notes: upgraded base -> {NOTES_FIRST}, create notes",
        f"notes: upgraded {NOTES_FIRST} -> {NOTES_HEAD}, pin notes",
        f"tags: upgraded base -> {TAGS_HEAD}, create tags",
    ]
    engine = sa.create_engine(f"sqlite:///{database}")
    try:
        assert set(sa.inspect(engine).get_table_names()) == NOTES_TABLES | TAGS_TABLES
    finally:
        engine.dispose()


# -- when the database goes away ----------------------------------------------------------


def _count_notes() -> dict[str, int]:
    return {"notes": len(session().scalars(sa.select(Note)).all())}


def _notes_app(make_app: MakeApp, **config: Any) -> Flask:
    app = make_app(Notes, **config)
    app.add_url_rule("/notes", "notes", _count_notes)
    return app


def _terminate(database: Database, application_name: str) -> int:
    """Kill the server's connections of one app (a restart, for that app alone: other
    tests share the server)."""
    with database.engine.begin() as conn:
        killed = conn.scalars(
            sa.text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                "AND application_name = :name"
            ),
            {"name": application_name},
        ).all()
    return len(killed)


def _named(database: Database, name: str) -> dict[str, Any]:
    options = dict(database.engine_options)
    options["connect_args"] = {**options.get("connect_args", {}), "application_name": name}
    return options


@pytest.mark.postgres
@pytest.mark.parametrize("database", ["postgres"], indirect=True)
def test_after_a_database_restart_pooled_connections_are_replaced_not_used(
    make_app: MakeApp, database: Database
) -> None:
    name = f"plugboard-pre-ping-{os.getpid()}-{id(database)}"
    app = _notes_app(make_app, SQLALCHEMY_ENGINE_OPTIONS=_named(database, name))
    upgrade_database(app)
    client = app.test_client()
    assert client.get("/notes").status_code == 200  # the pool now holds a connection
    assert _terminate(database, name) >= 1
    answers = [client.get("/notes").status_code for _ in range(5)]
    assert answers == [200] * 5


@pytest.mark.postgres
@pytest.mark.parametrize("database", ["postgres"], indirect=True)
def test_without_pre_ping_a_dropped_connection_is_a_503_then_the_pool_recovers(
    make_app: MakeApp, database: Database
) -> None:
    name = f"plugboard-no-pre-ping-{os.getpid()}-{id(database)}"
    options = {**_named(database, name), "pool_pre_ping": False}  # the operator's choice
    app = _notes_app(make_app, SQLALCHEMY_ENGINE_OPTIONS=options)
    upgrade_database(app)
    client = app.test_client()
    assert client.get("/notes").status_code == 200
    assert _terminate(database, name) >= 1
    dropped = client.get("/notes")
    assert dropped.status_code == 503
    assert dropped.get_json() == {
        "error": "the database is unavailable: try again in a few seconds",
        "status": 503,
    }
    assert dropped.headers["Retry-After"] == "5"
    assert client.get("/notes").status_code == 200


CLOSED_PORT_URL = "postgresql+psycopg://postgres@127.0.0.1:1/test?connect_timeout=2"


def test_while_the_database_is_down_data_endpoints_answer_503(tmp_path: Path) -> None:
    app = Flask(__name__, instance_path=str(tmp_path / "instance"))
    app.config.update(TESTING=True, PLUGBOARD_PLUGINS=[], SQLALCHEMY_DATABASE_URI=CLOSED_PORT_URL)
    Plugboard(app, plugins=[Notes])
    app.add_url_rule("/notes", "notes", _count_notes)
    client = app.test_client()
    api = client.get("/notes", headers={"Accept": "application/json"})
    assert (api.status_code, api.get_json()["status"]) == (503, 503)
    assert "database is unavailable" in api.get_json()["error"]
    assert api.headers["Retry-After"] == "5"
    page = client.get("/notes", headers={"Accept": "text/html"})
    assert page.status_code == 503
    assert page.mimetype == "text/html"
    assert "database is unavailable" in page.get_data(as_text=True)
    assert "127.0.0.1" not in api.get_data(as_text=True) + page.get_data(as_text=True)


def test_a_bad_query_is_still_a_server_error_not_a_503(make_app: MakeApp) -> None:
    app = make_app(Notes)  # not migrated: no notes table...
    app.add_url_rule("/bad", "bad", lambda: {"n": session().execute(sa.text("SELEC 1")).all()})
    app.config["TESTING"] = False
    assert app.test_client().get("/bad").status_code == 500


def test_pre_ping_is_on_by_default_and_the_config_wins(make_app: MakeApp) -> None:
    default = make_app(Notes)
    chosen = make_app(Notes, SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": False})
    with default.app_context():
        assert get_db().engine.pool._pre_ping is True
    with chosen.app_context():
        assert get_db().engine.pool._pre_ping is False


def test_utc_datetime_stores_utc_and_reads_back_aware_on_sqlite() -> None:
    table = sa.Table("stamps", sa.MetaData(), sa.Column("at", UTCDateTime()))
    engine = sa.create_engine("sqlite://")
    table.metadata.create_all(engine)
    plus_two = dt.datetime(2026, 1, 2, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    with engine.begin() as conn:
        conn.execute(table.insert(), [{"at": plus_two}, {"at": utcnow()}])
        stored, now = conn.scalars(sa.select(table.c.at)).all()
    assert stored == plus_two and stored.tzinfo == dt.UTC and stored.hour == 10
    assert now.tzinfo == dt.UTC
    with pytest.raises(sa.exc.StatementError, match="naive datetime.*utcnow"):
        with engine.begin() as conn:
            conn.execute(table.insert(), {"at": dt.datetime(2026, 1, 2)})

# -- doctor --------------------------------------------------------------------------------


def test_doctor_reports_a_database_never_migrated(make_app: MakeApp) -> None:
    app = make_app(Notes, Tags)
    result = app.test_cli_runner().invoke(args=["plugins", "doctor"])
    assert result.exit_code == 1, result.output
    assert f"FAIL notes: not migrated, head is {NOTES_HEAD}; run: flask db upgrade notes" in (
        result.output
    )
    assert "FAIL tags: not migrated" in result.output
    assert "No problems found" not in result.output

    upgrade_database(app)
    result = app.test_cli_runner().invoke(args=["plugins", "doctor"])
    assert result.exit_code == 0, result.output
    assert f"OK   notes: {NOTES_HEAD} (head)" in result.output


def test_doctor_reports_a_schema_behind_the_plugins_migrations(make_app: MakeApp) -> None:
    app = make_app(Notes)
    assert run(app, "upgrade").exit_code == 0
    assert run(app, "downgrade", "notes", "-1").exit_code == 0  # as before a plugin upgrade
    result = app.test_cli_runner().invoke(args=["plugins", "doctor"])
    assert result.exit_code == 1, result.output
    assert (
        f"FAIL notes: at {NOTES_FIRST}, head is {NOTES_HEAD}; run: flask db upgrade notes"
    ) in result.output


def test_a_plugin_used_without_the_host_creates_its_tables_from_its_metadata(
    database: Database, tmp_path: Path
) -> None:
    # The path docs/database.md gives for a plugin with models on an app without Plugboard.
    app = Flask(__name__, instance_path=str(tmp_path / "instance"))
    app.config.update(
        SQLALCHEMY_DATABASE_URI=database.url, SQLALCHEMY_ENGINE_OPTIONS=database.engine_options
    )
    db = SQLAlchemy(app)
    Notes().init_app(app)
    with app.app_context():
        Notes.metadata.create_all(db.engine)
        session().add(Note(title="alone"))
        session().commit()
        assert [n.title for n in session().scalars(sa.select(Note))] == ["alone"]
    assert "notes_note" in database.tables()
    with app.app_context():
        db.engine.dispose()
