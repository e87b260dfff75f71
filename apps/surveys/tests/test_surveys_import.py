"""``flask surveys import-flaskforms``: the old backend's database (a SQLite copy, and
PostgreSQL) brought into the service, as its users and clients then see it."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jwt as pyjwt
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from flask.testing import FlaskClient

from flask_plugboard.db import get_db, session
from flask_plugboard.errors import PlugboardError
from flask_plugboard.plugins.auth import User, check_username, find_user, log_out_everywhere
from flask_plugboard.testing import postgres_schema, schema_url
from plugboard_surveys import Question, Submission, Survey
from plugboard_surveys._flaskforms import email_for, hash_usable, username_for
from plugboard_surveys._import import ImportFailed, ImportReport, import_flaskforms
from plugboard_surveys._models import Base, ImportedRow
from surveys_support import PASSWORD, bearer, legacy_register, message

OLD_PASSWORD = "the old one, from 2019"

DDL = [
    'CREATE TABLE users ("idUser" INTEGER PRIMARY KEY, login VARCHAR(80) UNIQUE, '
    "email VARCHAR(120) UNIQUE, paswd VARCHAR(120))",
    'CREATE TABLE surveys ("idSurvey" INTEGER PRIMARY KEY, name VARCHAR(80), '
    """"desc" TEXT DEFAULT 'Add description!', "idUser" INTEGER REFERENCES users("idUser"), """
    '"isActive" BOOLEAN, "subCount" INTEGER DEFAULT 0, "dueDate" TIMESTAMP)',
    'CREATE TABLE questions ("idQuestion" INTEGER PRIMARY KEY, content TEXT, '
    'type VARCHAR(50), "idSurvey" INTEGER REFERENCES surveys("idSurvey"), "replyContent" JSON)',
    'CREATE TABLE replies ("idReply" INTEGER PRIMARY KEY, '
    '"idQuestion" INTEGER REFERENCES questions("idQuestion"), reply JSON)',
    "CREATE TABLE revoked_tokens (id INTEGER PRIMARY KEY, jti VARCHAR(120))",
]

USERS = sa.table(
    "users", sa.column("idUser"), sa.column("login"), sa.column("email"), sa.column("paswd")
)
SURVEYS = sa.table(
    "surveys",
    sa.column("idSurvey"),
    sa.column("name"),
    sa.column("desc"),
    sa.column("idUser"),
    sa.column("isActive", sa.Boolean),
    sa.column("subCount"),
    sa.column("dueDate", sa.DateTime),
)
QUESTIONS = sa.table(
    "questions",
    sa.column("idQuestion"),
    sa.column("content"),
    sa.column("type"),
    sa.column("idSurvey"),
    sa.column("replyContent", sa.JSON),
)
REPLIES = sa.table(
    "replies", sa.column("idReply"), sa.column("idQuestion"), sa.column("reply", sa.JSON)
)
TOKENS = sa.table("revoked_tokens", sa.column("id"), sa.column("jti"))


def _ab64(data: bytes) -> str:
    return base64.b64encode(data).decode().replace("+", ".").rstrip("=")


def passlib_hash(password: str, salt: bytes = b"flaskForms salt!") -> str:
    """A hash as passlib's pbkdf2_sha256 made it for the old backend."""
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, 29000)
    return f"$pbkdf2-sha256$29000${_ab64(salt)}${_ab64(digest)}"


class OldDatabase:
    """The old backend's database, with the old schema, for a test to fill."""

    def __init__(self, url: str, engine: sa.Engine) -> None:
        self.url = url
        self.engine = engine
        with engine.begin() as conn:
            for statement in DDL:
                conn.execute(sa.text(statement))

    def add(self, table: sa.TableClause, *rows: dict[str, Any]) -> None:
        with self.engine.begin() as conn:
            conn.execute(sa.insert(table), list(rows))

    def run(self, statement: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(sa.text(statement))


def _sqlite_old(tmp_path: Path) -> Iterator[OldDatabase]:
    path = tmp_path / "flaskforms.sqlite"
    engine = sa.create_engine(f"sqlite:///{path}")
    yield OldDatabase(f"sqlite:///{path}", engine)
    engine.dispose()


def _postgres_old(postgres_url: str) -> Iterator[OldDatabase]:
    with postgres_schema(postgres_url, "flaskforms") as schema:
        # A password (trust authentication ignores it) that must never be shown or
        # stored; "postgresql://" names no driver: the import takes psycopg 3 for it.
        server = sa.make_url(postgres_url).set(password="hunter2-old").set(drivername="postgresql")
        url = schema_url(server.render_as_string(hide_password=False), schema)
        engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
        try:
            yield OldDatabase(url, engine)
        finally:
            engine.dispose()


@pytest.fixture
def old_sqlite(tmp_path: Path) -> Iterator[OldDatabase]:
    """The old database as a SQLite copy."""
    yield from _sqlite_old(tmp_path)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def old_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[OldDatabase]:
    """The old database: a SQLite copy, and a schema of the real PostgreSQL."""
    if request.param == "sqlite":
        yield from _sqlite_old(tmp_path)
    else:
        yield from _postgres_old(request.getfixturevalue("postgres_url"))


def fill(old: OldDatabase) -> None:
    """Users (one with a login auth refuses, clashes, a hash auth cannot verify),
    surveys, questions of several types, replies of several JSON types, tokens."""
    good = passlib_hash(OLD_PASSWORD)
    old.add(
        USERS,
        {"idUser": 1, "login": "alice", "email": "alice@example.org", "paswd": good},
        {"idUser": 2, "login": "bob smith", "email": "bob@example.org", "paswd": good},
        {"idUser": 3, "login": "carol@example.org", "email": "carol@example.org", "paswd": good},
        {"idUser": 4, "login": "ALICE", "email": "alice2@example.org", "paswd": good},
        {"idUser": 5, "login": "dave", "email": "dave@example.org", "paswd": "plain text"},
        {"idUser": 6, "login": "frank", "email": "Frank@Example.org", "paswd": good},
    )
    old.add(
        SURVEYS,
        {"idSurvey": 10, "name": "Lunch", "desc": "Where to eat", "idUser": 1,
         "isActive": True, "subCount": 0, "dueDate": dt.datetime(2099, 12, 31, 10, 11, 12)},
        {"idSurvey": 11, "name": "Old one", "desc": "Add description!", "idUser": 1,
         "isActive": False, "subCount": 0, "dueDate": dt.datetime(2020, 1, 1)},
        {"idSurvey": 12, "name": "Dave's", "desc": "", "idUser": 5,
         "isActive": True, "subCount": 0, "dueDate": None},
        {"idSurvey": 13, "name": "Bob's", "desc": "Rate it", "idUser": 2,
         "isActive": True, "subCount": 0, "dueDate": None},
    )  # fmt: skip
    old.add(
        QUESTIONS,
        {"idQuestion": 103, "content": "Anything else?", "type": "text", "idSurvey": 10,
         "replyContent": None},
        {"idQuestion": 100, "content": "Favourite colour?", "type": "radio", "idSurvey": 10,
         "replyContent": ["red", "green", "blue"]},
        {"idQuestion": 102, "content": "Your age", "type": "number", "idSurvey": 10,
         "replyContent": None},
        {"idQuestion": 101, "content": "Which pets?", "type": "checkbox", "idSurvey": 10,
         "replyContent": ["cat", "dog"]},
        {"idQuestion": 104, "content": "Dave asks", "type": "text", "idSurvey": 12,
         "replyContent": None},
        {"idQuestion": 99, "content": "How good?", "type": "stars", "idSurvey": 13,
         "replyContent": {"max": 5}},
    )  # fmt: skip
    old.add(
        REPLIES,
        {"idReply": 1000, "idQuestion": 100, "reply": "red"},
        {"idReply": 1001, "idQuestion": 100, "reply": "green"},
        {"idReply": 1002, "idQuestion": 101, "reply": ["cat", "dog"]},
        {"idReply": 1003, "idQuestion": 102, "reply": 42},
        {"idReply": 1004, "idQuestion": 102, "reply": "17"},
        {"idReply": 1005, "idQuestion": 103, "reply": "Nothing"},
        {"idReply": 1006, "idQuestion": 104, "reply": "x"},
        {"idReply": 1007, "idQuestion": 100, "reply": "purple"},
        {"idReply": 1008, "idQuestion": 99, "reply": 4},
    )
    old.add(TOKENS, {"id": 1, "jti": "0f1e2d"}, {"id": 2, "jti": "3c4b5a"})


def run_import(app: Flask, url: str, **options: Any) -> ImportReport:
    with app.app_context():
        return import_flaskforms(url, **options)


def counts(report: ImportReport) -> dict[str, tuple[int, int, int]]:
    """Per old table: (imported, already there, skipped)."""
    return {
        name: (table.imported, table.already, table.skipped_count)
        for name, table in report.tables.items()
    }


def stored(app: Flask) -> dict[str, int]:
    """How many users, surveys, submissions and import records the service holds."""
    with app.app_context():
        db = session()
        return {
            model.__name__: db.scalar(sa.select(sa.func.count()).select_from(model)) or 0
            for model in (User, Survey, Submission, ImportedRow)
        }


def login(client: FlaskClient, username: str, password: str = OLD_PASSWORD) -> str:
    response = client.post("/login", headers={"username": username, "password": password})
    assert "access_token" in response.get_json(), response.get_json()
    return str(response.get_json()["access_token"])


def surveys_of(client: FlaskClient, token: str) -> dict[str, dict[str, Any]]:
    body = client.get("/getsurveys", headers=bearer(token)).get_json()
    assert "surveys" in body, body
    return {survey["name"]: survey for survey in body["surveys"]}


def questions_of(client: FlaskClient, survey_id: int) -> list[dict[str, Any]]:
    body = client.get("/getsurveyquestions", headers={"idSurvey": str(survey_id)}).get_json()
    return list(body["questions"])


# -- the import --------------------------------------------------------------------------


def test_import_brings_users_surveys_questions_and_replies(
    make_surveys_app: Callable[..., Flask], old_db: OldDatabase
) -> None:
    fill(old_db)
    app = make_surveys_app()
    client = app.test_client()
    legacy_register(client, "Frank")  # registered in the new service already

    report = run_import(app, old_db.url)

    assert counts(report) == {
        "users": (5, 0, 1),
        "surveys": (3, 0, 1),
        "questions": (5, 0, 1),
        "replies": (8, 0, 1),
        "revoked_tokens": (2, 0, 0),
    }
    text = "\n".join(report.lines())
    assert "hunter2" not in text
    assert "user 2 'bob smith' is now 'bob_smith'" in text
    assert "user 3 'carol@example.org' is now 'carol_example.org'" in text
    assert "user 4 'ALICE' is now 'ALICE-2': 'ALICE' is another user's name" in text
    assert "user 6 'frank' is now 'frank-2'" in text
    assert "user 6 'frank' has no e-mail address" in text
    assert "skipped 1 (5 'dave'): auth cannot verify its password hash" in text
    assert "skipped 1 (12): its owner (old user 5) is skipped" in text
    assert "skipped 1 (104): its survey (old survey 12) is skipped" in text
    assert "skipped 1 (1006): its question (old question 104) is skipped" in text

    # The old password, through the legacy login; the hash then becomes argon2id.
    with app.app_context():
        alice = find_user("alice")
        assert alice is not None and alice.password_hash.startswith("$pbkdf2-sha256$")
    token = login(client, "alice")
    with app.app_context():
        alice = find_user("alice")
        assert alice is not None and alice.password_hash.startswith("$argon2id$")
    surveys = surveys_of(client, token)
    assert set(surveys) == {"Lunch", "Old one"}
    lunch = surveys["Lunch"]
    assert (lunch["desc"], lunch["isActive"], lunch["dueDate"]) == (
        "Where to eat",
        True,
        "2099-12-31 10:11:12",
    )
    assert lunch["subCount"] == 7  # the replies; the old subCount was never updated
    old_one = surveys["Old one"]
    assert (old_one["desc"], old_one["isActive"], old_one["dueDate"], old_one["subCount"]) == (
        "Add description!",
        False,
        "2020-01-01 00:00:00",
        0,
    )

    questions = questions_of(client, lunch["id"])
    assert [(q["content"], q["type"], q["replyContent"]) for q in questions] == [
        ("Favourite colour?", "radio", ["red", "green", "blue"]),
        ("Which pets?", "checkbox", ["cat", "dog"]),
        ("Your age", "number", None),
        ("Anything else?", "text", None),
    ]
    stats = client.get(
        "/getsurveystats", headers={"id": str(lunch["id"]), "Authorization": f"Bearer {token}"}
    ).get_json()
    assert [(s["content"], s["votes"], s["answers"]) for s in stats] == [
        ("Favourite colour?", 3, ["red", "green", "purple"]),
        ("Which pets?", 1, [["cat", "dog"]]),
        ("Your age", 2, [42, "17"]),
        ("Anything else?", 1, ["Nothing"]),
    ]

    # Renamed users log in under their new names (carol by address too), old passwords.
    bob = surveys_of(client, login(client, "bob_smith"))["Bob's"]
    assert bob["subCount"] == 1
    assert questions_of(client, bob["id"])[0]["type"] == "stars"
    assert message(client.get("/getsurveys", headers=bearer(login(client, "carol@example.org"))))
    login(client, "ALICE-2")
    login(client, "frank-2")
    login(client, "Frank", PASSWORD)  # the new service's own Frank is untouched
    with app.app_context():
        assert find_user("dave") is None
        frank2 = find_user("frank-2")
        assert frank2 is not None and frank2.email is None


def test_a_second_run_imports_nothing_twice_and_a_later_one_only_the_new_rows(
    make_surveys_app: Callable[..., Flask], old_db: OldDatabase
) -> None:
    fill(old_db)
    app = make_surveys_app()
    client = app.test_client()
    run_import(app, old_db.url)
    before = stored(app)

    again = run_import(app, old_db.url)
    assert counts(again) == {
        "users": (0, 5, 1),
        "surveys": (0, 3, 1),
        "questions": (0, 5, 1),
        "replies": (0, 8, 1),
        "revoked_tokens": (0, 2, 0),
    }
    assert stored(app) == before

    # The old backend took more rows; dave's hash was fixed there.
    old_db.run(f"UPDATE users SET paswd = '{passlib_hash(OLD_PASSWORD, b'other salt')}' "
               'WHERE "idUser" = 5')  # fmt: skip
    old_db.add(USERS, {"idUser": 7, "login": "gina", "email": None,
                       "paswd": passlib_hash(OLD_PASSWORD)})  # fmt: skip
    old_db.add(SURVEYS, {"idSurvey": 14, "name": "  ", "desc": "Add description!", "idUser": 7,
                         "isActive": True, "subCount": 0, "dueDate": None})  # fmt: skip
    old_db.add(
        QUESTIONS,
        {"idQuestion": 106, "content": "Dessert?", "type": "single",
         "idSurvey": 10, "replyContent": ["cake", "fruit"]},
        {"idQuestion": 107, "content": "Gina asks", "type": None,
         "idSurvey": 14, "replyContent": None},
    )  # fmt: skip
    old_db.add(
        REPLIES,
        {"idReply": 1009, "idQuestion": 106, "reply": "cake"},
        {"idReply": 1010, "idQuestion": 100, "reply": "blue"},
        {"idReply": 1011, "idQuestion": 107, "reply": "hello"},
    )

    later = run_import(app, old_db.url)
    assert counts(later) == {
        "users": (2, 5, 0),
        "surveys": (2, 3, 0),
        "questions": (3, 5, 0),
        "replies": (4, 8, 0),
        "revoked_tokens": (0, 2, 0),
    }
    assert "survey 14 had no name: it is now 'Survey 14'" in later.tables["surveys"].changes
    assert "question 107 had no type: it is a text question" in later.tables["questions"].changes
    lunch = surveys_of(client, login(client, "alice"))["Lunch"]
    assert lunch["subCount"] == 9
    assert [q["content"] for q in questions_of(client, lunch["id"])][-1] == "Dessert?"
    assert set(surveys_of(client, login(client, "dave"))) == {"Dave's"}
    assert surveys_of(client, login(client, "gina"))["Survey 14"]["subCount"] == 1
    assert stored(app)["Survey"] == before["Survey"] + 2


def test_the_command_prints_a_summary_per_table(
    make_surveys_app: Callable[..., Flask], old_db: OldDatabase
) -> None:
    fill(old_db)
    app = make_surveys_app()
    runner = app.test_cli_runner()

    result = runner.invoke(args=["surveys", "import-flaskforms", old_db.url])

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("Imported from ")
    for line in (
        "users: 5 imported, 0 already there, 1 skipped",
        "surveys: 3 imported, 0 already there, 1 skipped",
        "questions: 5 imported, 0 already there, 1 skipped",
        "replies: 8 imported, 0 already there, 1 skipped",
        "revoked_tokens: 2 imported, 0 already there, 0 skipped",
    ):
        assert line in lines
    assert "hunter2" not in result.output
    with app.app_context():
        sources = set(session().scalars(sa.select(ImportedRow.source)))
    assert len(sources) == 1 and "hunter2" not in sources.pop()

    again = runner.invoke(args=["surveys", "import-flaskforms", old_db.url])
    assert "users: 0 imported, 5 already there, 1 skipped" in again.output.splitlines()


def test_a_dry_run_reports_and_writes_nothing(
    make_surveys_app: Callable[..., Flask], old_sqlite: OldDatabase
) -> None:
    fill(old_sqlite)
    app = make_surveys_app()
    before = stored(app)

    result = app.test_cli_runner().invoke(
        args=["surveys", "import-flaskforms", "--dry-run", old_sqlite.url]
    )

    assert result.exit_code == 0, result.output
    assert result.output.startswith("Would import (dry run, nothing written) from ")
    assert "users: 5 imported, 0 already there, 1 skipped" in result.output
    assert stored(app) == before


# -- refusals ----------------------------------------------------------------------------


def test_a_row_pointing_nowhere_stops_the_import_and_rolls_everything_back(
    make_surveys_app: Callable[..., Flask], old_sqlite: OldDatabase
) -> None:
    fill(old_sqlite)
    # SQLite copies do not enforce foreign keys: a question of a survey that is not there.
    old_sqlite.add(QUESTIONS, {"idQuestion": 200, "content": "Lost", "type": "text",
                               "idSurvey": 999, "replyContent": None})  # fmt: skip
    app = make_surveys_app()
    before = stored(app)

    with pytest.raises(ImportFailed) as failed:
        run_import(app, old_sqlite.url)

    assert str(failed.value) == (
        "questions row 200 refers to survey 999, which the old database does not hold "
        "(no surveys row 999): fix or delete that row and run again; nothing was imported"
    )
    assert stored(app) == before  # not even the users and surveys read before it
    with app.app_context():
        assert find_user("alice") is None
    result = app.test_cli_runner().invoke(args=["surveys", "import-flaskforms", old_sqlite.url])
    assert result.exit_code == 1
    assert "Error: questions row 200 refers to survey 999" in result.output


def test_a_database_without_the_old_tables_is_refused_naming_the_table(
    make_surveys_app: Callable[..., Flask], tmp_path: Path
) -> None:
    app = make_surveys_app()
    before = stored(app)
    path = tmp_path / "other.sqlite"
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE notes (id INTEGER PRIMARY KEY)"))
    with pytest.raises(ImportFailed, match="it has no table 'users'"):
        run_import(app, f"sqlite:///{path}")
    with engine.begin() as conn:
        for statement in DDL[:3]:
            conn.execute(sa.text(statement))
    with pytest.raises(ImportFailed, match="it has no table 'replies'"):
        run_import(app, f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE replies (id INTEGER PRIMARY KEY, reply JSON)"))
    with pytest.raises(ImportFailed, match="its table 'replies' has no column 'idReply'"):
        run_import(app, f"sqlite:///{path}")
    engine.dispose()
    assert stored(app) == before


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("not a database", "the database URL given is not one SQLAlchemy reads"),
        ("sqlite:///{tmp}/missing.sqlite", "there is no SQLite database at "),
        ("sqlite://", "names an empty in-memory database"),
        ("nosuchdb://host/db", "cannot open nosuchdb://host/db"),
        ("postgresql://postgres:s3cret@127.0.0.1:1/old", "cannot connect to postgresql+psycopg://"),
    ],
)
def test_a_bad_url_fails_clearly_and_writes_nothing(
    make_surveys_app: Callable[..., Flask], tmp_path: Path, url: str, expected: str
) -> None:
    app = make_surveys_app()
    before = stored(app)
    result = app.test_cli_runner().invoke(
        args=["surveys", "import-flaskforms", url.format(tmp=tmp_path)]
    )
    assert result.exit_code == 1
    assert expected in result.output
    assert "s3cret" not in result.output
    assert not (tmp_path / "missing.sqlite").exists()
    assert stored(app) == before


@pytest.mark.postgres
def test_a_postgresql_schema_without_the_old_tables_is_refused(
    make_surveys_app: Callable[..., Flask], postgres_url: str
) -> None:
    app = make_surveys_app()
    url = f"{postgres_url}?options=-csearch_path%3Dno_such_schema_{uuid.uuid4().hex[:8]}"
    with pytest.raises(ImportFailed, match="it has no table 'users'.*search_path"):
        run_import(app, url)


# -- old rows as the service takes them (no app) -------------------------------------------


@pytest.mark.parametrize(
    ("login", "taken", "expected"),
    [
        ("alice", set(), "alice"),
        ("bob smith", set(), "bob_smith"),
        ("\uff42\uff4f\uff42\uff20home", set(), "\uff42\uff4f\uff42_home"),  # fullwidth @
        ("tab\there", set(), "tab_here"),
        ("   ", set(), "user7"),
        (None, set(), "user7"),
        ("Alice", {"alice", "alice-2"}, "Alice-3"),
        ("x" * 200, {"x" * 150}, "x" * 148 + "-2"),
    ],
)
def test_old_logins_become_usernames_auth_takes(
    login: object, taken: set[str], expected: str
) -> None:
    name, reasons = username_for(login, 7, taken)
    assert name == expected
    assert bool(reasons) == (name != login)
    assert check_username(name) == name


@pytest.mark.parametrize(
    ("stored", "usable"),
    [
        (passlib_hash(OLD_PASSWORD), True),
        ("$pbkdf2-sha256$29000$c2FsdA$", False),
        ("$pbkdf2-sha256$0$c2FsdA$aGFzaGhhc2g", False),
        ("$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA", True),
        ("plain text", False),
        ("", False),
        (None, False),
    ],
)
def test_only_hashes_auth_verifies_are_usable(stored: object, usable: bool) -> None:
    assert hash_usable(stored) is usable


def test_addresses_auth_refuses_or_another_user_has_are_left_out() -> None:
    assert email_for("Ann@Example.org", set()) == ("Ann@Example.org", "")
    assert email_for(None, set()) == (None, "")
    address, why = email_for("ann@example.org", {"ann@example.org"})
    assert address is None and "belongs to another user" in why
    address, why = email_for("not an address", set())
    assert address is None and "is not valid" in why


# -- ids ---------------------------------------------------------------------------------


def _is_postgres(app: Flask) -> bool:
    return str(app.config["SQLALCHEMY_DATABASE_URI"]).startswith("postgresql")


def test_old_ids_are_kept_in_an_empty_database_even_after_a_dry_run(
    make_surveys_app: Callable[..., Flask], old_db: OldDatabase
) -> None:
    fill(old_db)
    app = make_surveys_app()
    client = app.test_client()
    run_import(app, old_db.url, dry_run=True)

    run_import(app, old_db.url)

    # An old client's cached numbers still name the same rows.
    questions = questions_of(client, 10)
    assert [(q["id"], q["content"]) for q in questions] == [
        (100, "Favourite colour?"),
        (101, "Which pets?"),
        (102, "Your age"),
        (103, "Anything else?"),
    ]
    assert message(client.post("/addreply", headers={"idQuestion": "102"}, json={"reply": 7}))
    owner = login(client, "alice")  # the stats are the owner's
    stats = client.get(
        "/getsurveystats", headers={"id": "10", "Authorization": f"Bearer {owner}"}
    ).get_json()
    assert stats[2]["answers"] == [42, "17", 7]
    token = login(client, "alice")
    assert {s["name"]: s["id"] for s in surveys_of(client, token).values()} == {
        "Lunch": 10,
        "Old one": 11,
    }
    with app.app_context():
        assert {u.username: u.id for u in session().scalars(sa.select(User))} == {
            "alice": 1, "bob_smith": 2, "carol_example.org": 3, "ALICE-2": 4, "frank": 6
        }  # fmt: skip
    # The sequences are past the old ids: new rows get new ids, nothing clashes.
    legacy_register(client, "newcomer")
    with app.app_context():
        newcomer = find_user("newcomer")
        assert newcomer is not None and newcomer.id == 7
    response = client.post(
        "/addsurvey",
        headers=bearer(
            token, name="After the move", duedate="2099-01-01 00:00:00", isactive="True"
        ),
        json={"questions": [{"content": "New?", "type": "text"}]},
    )
    assert message(response) == "Survey After the move was created"
    after = surveys_of(client, token)["After the move"]
    assert after["id"] == 14
    assert questions_of(client, after["id"])[0]["id"] == 105


def test_old_ids_taken_in_a_used_database_are_mapped_for_legacy_clients(
    make_surveys_app: Callable[..., Flask], old_db: OldDatabase
) -> None:
    fill(old_db)
    app = make_surveys_app()
    client = app.test_client()
    legacy_register(client, "zoe")
    with app.app_context():
        zoe = find_user("zoe")
        assert zoe is not None
        db = session()
        db.add(Survey(id=11, owner_id=zoe.id, name="Zoe's", description="", is_active=True,
                      one_per_respondent=False))  # fmt: skip
        db.flush()
        db.add(Question(id=200, survey_id=11, position=0, kind="text", content="Zoe asks",
                        required=False))  # fmt: skip
        db.commit()

    report = run_import(app, old_db.url)

    assert "2 surveys got new ids" in "\n".join(report.lines())
    # Old survey 10 and 11 were at or below the ids taken here: they are 14 and 15 now,
    # old 13 kept its id; legacy requests with the old ids reach them all the same.
    assert [q["content"] for q in questions_of(client, 10)][0] == "Favourite colour?"
    token = login(client, "alice")
    assert {s["name"]: s["id"] for s in surveys_of(client, token).values()} == {
        "Lunch": 14,
        "Old one": 15,
    }
    assert [q["content"] for q in questions_of(client, 14)][0] == "Favourite colour?"
    assert message(client.post("/addreply", headers={"idQuestion": "100"}, json={"reply": "blue"}))
    owner = login(client, "alice")  # the stats are the owner's
    stats = client.get(
        "/getsurveystats", headers={"id": "10", "Authorization": f"Bearer {owner}"}
    ).get_json()
    assert stats[0]["answers"] == ["red", "green", "purple", "blue"]
    assert questions_of(client, 13)[0]["content"] == "How good?"
    # The ids the service gave before the import are the new API's.
    with app.app_context():
        assert session().get(Survey, 11).name == "Zoe's"  # type: ignore[union-attr]
        assert session().get(Question, 200).content == "Zoe asks"  # type: ignore[union-attr]


def _sequences(app: Flask) -> dict[str, int]:
    """The next id of each table the import fills, as the database would hand it out
    (PostgreSQL: consumes one nextval per table)."""
    with app.app_context():
        db = session()
        out = {}
        for table in ("auth_user", "surveys_survey", "surveys_question", "surveys_submission",
                      "surveys_answer"):  # fmt: skip
            out[table] = int(
                db.scalar(sa.text("SELECT nextval(pg_get_serial_sequence(:t, 'id'))"), {"t": table})
            )
        db.commit()
        return out


@pytest.mark.postgres
def test_a_dry_run_moves_no_postgresql_sequence(
    make_surveys_app: Callable[..., Flask], old_sqlite: OldDatabase
) -> None:
    fill(old_sqlite)
    app = make_surveys_app()
    if not _is_postgres(app):
        pytest.skip("the PostgreSQL case of a test about PostgreSQL sequences")
    before = _sequences(app)

    run_import(app, old_sqlite.url, dry_run=True)

    assert _sequences(app) == {table: value + 1 for table, value in before.items()}


# -- renamed users -------------------------------------------------------------------------


def test_users_renamed_for_a_case_clash_log_in_with_their_old_name(
    make_surveys_app: Callable[..., Flask], old_db: OldDatabase
) -> None:
    fill(old_db)
    app = make_surveys_app()
    client = app.test_client()
    legacy_register(client, "Frank")

    report = run_import(app, old_db.url)

    def logged_in_as(username: str, password: str = OLD_PASSWORD) -> str:
        response = client.post("/login", headers={"username": username, "password": password})
        return str(message(response))

    # The old logins, exactly as the old backend took them, and the old passwords.
    assert logged_in_as("ALICE") == "Logged in as ALICE-2"
    assert logged_in_as("alice") == "Logged in as alice"
    assert logged_in_as("Alice") == "Logged in as alice"
    assert logged_in_as("frank") == "Logged in as frank-2"
    assert logged_in_as("Frank", PASSWORD) == "Logged in as Frank"
    # A name auth refuses gets no alias: the new name (or the address) logs in.
    assert logged_in_as("bob_smith") == "Logged in as bob_smith"

    text = "\n".join(report.lines())
    assert "user 4 'ALICE' is now 'ALICE-2': 'ALICE' is another user's name (ignoring " \
        "case); logs in as 'ALICE' still (an alias)" in text  # fmt: skip
    assert "Tell the 4 renamed users (a text for each):" in text
    assert (
        "  to alice2@example.org (old login 'ALICE'): Your account 'ALICE' is now shown as "
        "'ALICE-2'" in text
    )
    assert "keep logging in as 'ALICE' with your password" in text
    assert (
        "  to bob@example.org (old login 'bob smith'): Your account 'bob smith' is now named "
        "'bob_smith'" in text
    )
    assert (
        "  no e-mail address: tell them another way (old login 'frank'): Your account "
        "'frank' is now shown as 'frank-2'" in text
    )


# -- the old backend's tokens ----------------------------------------------------------------

OLD_KEY = "the old backend's JWT_SECRET_KEY, long and random enough"


def old_token(
    login: str,
    kind: str = "access",
    *,
    key: str = OLD_KEY,
    age: int = 0,
    lifetime: int = 900,
    jti: str | None = None,
) -> str:
    """A token as the old backend's flask-jwt-extended 3 made it (no ``iss``)."""
    now = int(time.time()) - age
    claims = {"iat": now, "nbf": now, "jti": jti or str(uuid.uuid4()), "exp": now + lifetime,
              "identity": login, "fresh": False, "type": kind}  # fmt: skip
    return pyjwt.encode(claims, key, algorithm="HS256")


def test_old_tokens_are_refused_without_the_old_key(
    make_surveys_app: Callable[..., Flask], old_sqlite: OldDatabase
) -> None:
    fill(old_sqlite)
    app = make_surveys_app()
    run_import(app, old_sqlite.url)
    response = app.test_client().get("/getsurveys", headers=bearer(old_token("alice")))
    assert response.status_code == 422
    assert response.get_json()["msg"] == "Signature verification failed"


def test_old_tokens_are_taken_for_the_grace_period_with_the_old_key(
    make_surveys_app: Callable[..., Flask], old_db: OldDatabase
) -> None:
    fill(old_db)
    app = make_surveys_app(SURVEYS_LEGACY_JWT_SECRET_KEY=OLD_KEY)
    client = app.test_client()
    run_import(app, old_db.url)

    # An old access token: the user it names, by its old login (renamed or not).
    assert set(surveys_of(client, old_token("alice"))) == {"Lunch", "Old one"}
    assert message(client.get("/getsurveys", headers=bearer(old_token("ALICE")))) == (
        "User ALICE-2 has no surveys"
    )
    # An old 30-day refresh token, 29 days old: a new access token.
    refresh = old_token("alice", "refresh", age=29 * 24 * 3600, lifetime=30 * 24 * 3600)
    response = client.post("/token/refresh", headers=bearer(refresh))
    assert response.status_code == 200, response.get_json()
    assert set(surveys_of(client, response.get_json()["access_token"])) == {"Lunch", "Old one"}

    def refused(token: str, path: str = "/getsurveys") -> tuple[int, str]:
        answer = client.get(path, headers=bearer(token))
        return answer.status_code, answer.get_json()["msg"]

    # Revoked by the old backend (its revoked_tokens, imported).
    assert refused(old_token("alice", jti="0f1e2d")) == (401, "Token has been revoked")
    # Past its own expiry, or issued longer ago than the grace period (30 days).
    assert refused(old_token("alice", age=1000)) == (401, "Token has expired")
    assert refused(old_token("alice", age=31 * 24 * 3600, lifetime=40 * 24 * 3600)) == (
        401,
        "Token has expired",
    )
    # Not the old key; a login the import did not bring (dave's hash was unusable).
    assert refused(old_token("alice", key="x" * 40))[0] == 422
    assert refused(old_token("dave"))[0] == 401
    # A legacy logout with an old token revokes it, as it did.
    token = old_token("bob smith")
    assert message(client.post("/logout/access", headers=bearer(token))) == (
        "Access token has been revoked"
    )
    assert refused(token) == (401, "Token has been revoked")
    # Logging out everywhere (or a new password) ends the old tokens too.
    token = old_token("frank")
    assert message(client.get("/getsurveys", headers=bearer(token))) == "User frank has no surveys"
    with app.app_context():
        log_out_everywhere("frank")
    assert refused(token) == (401, "Token has been revoked")


def test_a_grace_period_of_zero_takes_no_old_token(
    make_surveys_app: Callable[..., Flask], old_sqlite: OldDatabase
) -> None:
    fill(old_sqlite)
    app = make_surveys_app(SURVEYS_LEGACY_JWT_SECRET_KEY=OLD_KEY, SURVEYS_LEGACY_TOKEN_GRACE=0)
    run_import(app, old_sqlite.url)
    assert (
        app.test_client().get("/getsurveys", headers=bearer(old_token("alice"))).status_code == 422
    )


def test_a_weak_old_key_stops_start_up(make_surveys_app: Callable[..., Flask]) -> None:
    with pytest.raises(PlugboardError, match="SURVEYS_LEGACY_JWT_SECRET_KEY is too short") as e:
        make_surveys_app(SURVEYS_LEGACY_JWT_SECRET_KEY="hunter2-secret")
    assert "hunter2" not in str(e.value)


def test_the_migrations_create_the_tables_the_models_describe(
    make_surveys_app: Callable[..., Flask],
) -> None:
    app = make_surveys_app()
    with app.app_context(), get_db().engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    # Only other plugins' tables (auth's, the version tables) are not in these models.
    ours = [d for d in diff if "surveys_" in str(d)]
    assert ours == []
