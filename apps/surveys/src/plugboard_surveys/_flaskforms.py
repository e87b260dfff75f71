"""The old flaskForms backend's database, as the import reads it: opening it from a URL,
checking its schema, and how its rows become rows the service takes.

Its tables (Flask-SQLAlchemy, camelCase column names, quoted on PostgreSQL): ``users``
(``idUser``, ``login``, ``email``, ``paswd``: passlib pbkdf2_sha256), ``surveys``
(``idSurvey``, ``name``, ``desc``, ``idUser``, ``isActive``, ``subCount``, ``dueDate``
in UTC without a zone), ``questions`` (``idQuestion``, ``content``, ``type``,
``idSurvey``, ``replyContent`` JSON), ``replies`` (``idReply``, ``idQuestion``,
``reply`` JSON) and ``revoked_tokens`` (``id``, ``jti``).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, SQLAlchemyError

from flask_plugboard.plugins.auth import AuthError, check_email, normalise_name

from ._app import _database_url
from ._errors import SurveysError
from ._service import MAX_LEGACY_JSON

__all__ = [
    "QUESTIONS",
    "REPLIES",
    "SCHEMA",
    "SURVEYS",
    "TOKENS",
    "USERS",
    "ImportFailed",
    "check_schema",
    "cut",
    "email_for",
    "hash_usable",
    "old_connection",
    "source_of",
    "too_big",
    "username_for",
    "utc",
    "why",
]

#: The old tables, in the order they are imported, and the columns read from each.
SCHEMA: Final = {
    "users": ("idUser", "login", "email", "paswd"),
    "surveys": ("idSurvey", "name", "desc", "idUser", "isActive", "dueDate"),
    "questions": ("idQuestion", "content", "type", "idSurvey", "replyContent"),
    "replies": ("idReply", "idQuestion", "reply"),
    "revoked_tokens": ("id", "jti"),
}
#: A copy may leave it out: nothing is imported from it.
OPTIONAL: Final = frozenset({"revoked_tokens"})

USERS = sa.table(
    "users",
    sa.column("idUser", sa.Integer),
    sa.column("login", sa.String),
    sa.column("email", sa.String),
    sa.column("paswd", sa.String),
)
SURVEYS = sa.table(
    "surveys",
    sa.column("idSurvey", sa.Integer),
    sa.column("name", sa.String),
    sa.column("desc", sa.Text),
    sa.column("idUser", sa.Integer),
    sa.column("isActive", sa.Boolean),
    sa.column("dueDate", sa.DateTime),
)
QUESTIONS = sa.table(
    "questions",
    sa.column("idQuestion", sa.Integer),
    sa.column("content", sa.Text),
    sa.column("type", sa.String),
    sa.column("idSurvey", sa.Integer),
    sa.column("replyContent", sa.JSON),
)
REPLIES = sa.table(
    "replies",
    sa.column("idReply", sa.Integer),
    sa.column("idQuestion", sa.Integer),
    sa.column("reply", sa.JSON),
)
TOKENS = sa.table("revoked_tokens", sa.column("id", sa.Integer), sa.column("jti"))

_MAX_USERNAME: Final = 150  # auth's limit
_MAX_SOURCE: Final = 500  # ImportedRow.source
#: passlib's pbkdf2 hashes, as auth verifies them: $pbkdf2[-sha256|-sha512]$rounds$salt$hash.
_PASSLIB = re.compile(r"\$pbkdf2(-sha256|-sha512)?\$[1-9][0-9]*\$[./A-Za-z0-9]*\$[./A-Za-z0-9]{2,}")
_OTHER_HASHES: Final = ("$argon2", "scrypt:", "pbkdf2:")


class ImportFailed(SurveysError):
    """The import cannot run, or stopped; nothing was written. The message says why."""


# -- the database ----------------------------------------------------------------------------


def source_of(url: str) -> tuple[URL, str]:
    """The URL to connect to (psycopg 3 for ``postgres://`` and ``postgresql://``), and
    the name runs record its rows under: without the password (it may change between
    runs, and must not be stored), SQLite paths made absolute."""
    try:
        parsed = make_url(_database_url(url.strip()))
    except ArgumentError:
        # Not repeated: it may hold a password.
        raise ImportFailed(
            "the database URL given is not one SQLAlchemy reads: write it like "
            "postgresql://user:password@host/flaskforms or sqlite:////path/to/app.db"
        ) from None
    if parsed.get_backend_name() == "sqlite":
        path = parsed.database or ""
        if not path or path == ":memory:":
            raise ImportFailed(
                f"{parsed} names an empty in-memory database: give the path of a copy of the "
                "old database, sqlite:////path/to/app.db"
            )
        if not path.startswith("file:"):
            # Checked first: connecting would create an empty database there.
            if not os.path.isfile(path):
                raise ImportFailed(f"there is no SQLite database at {path}: check the path")
            parsed = parsed.set(database=os.path.abspath(path))
    source = URL.create(
        parsed.drivername,
        username=parsed.username,
        host=parsed.host,
        port=parsed.port,
        database=parsed.database,
        query=parsed.query,
    ).render_as_string(hide_password=False)
    if len(source) > _MAX_SOURCE:
        raise ImportFailed(f"the database URL has over {_MAX_SOURCE} characters: shorten it")
    return parsed, source


@contextmanager
def old_connection(engine: Engine, source: str) -> Iterator[Connection]:
    """A connection to the old database; on PostgreSQL read-only, on one snapshot."""
    try:
        conn = engine.connect()
    except SQLAlchemyError as exc:
        raise ImportFailed(f"cannot connect to {source}: {why(exc)}") from None
    try:
        if engine.dialect.name == "postgresql":
            # The old backend may still take writes: every table read as of one moment.
            conn = conn.execution_options(
                isolation_level="REPEATABLE READ", postgresql_readonly=True
            )
        yield conn
    finally:
        conn.close()


def check_schema(old: Connection, source: str) -> set[str]:
    """The old tables present; :class:`ImportFailed` naming the first table or column
    missing."""
    try:
        inspector = sa.inspect(old)
        present = set(inspector.get_table_names())
        for table, columns in SCHEMA.items():
            if table not in present:
                if table in OPTIONAL:
                    continue
                raise ImportFailed(
                    f"{source} is not a flaskForms database: it has no table {table!r} "
                    f"(expected {', '.join(SCHEMA)}); check the URL, and on PostgreSQL the "
                    "schema (?options=-csearch_path%3D<schema>)"
                )
            have = {column["name"] for column in inspector.get_columns(table)}
            missing = [column for column in columns if column not in have]
            if missing:
                raise ImportFailed(
                    f"{source} is not a flaskForms database: its table {table!r} has no "
                    f"column {missing[0]!r} (expected {', '.join(columns)})"
                )
    except SQLAlchemyError as exc:
        raise ImportFailed(f"cannot read {source}: {why(exc)}") from None
    return present


def why(exc: BaseException) -> str:
    """An error in one line, without the SQL and its parameters (password hashes...)."""
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        exc = exc.orig
    text = str(exc).split("\n", 1)[0].strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


# -- rows as the service takes them ----------------------------------------------------------


def hash_usable(stored: object) -> bool:
    """Whether auth can verify a password against this hash (else nobody can log in)."""
    return isinstance(stored, str) and (
        stored.startswith(_OTHER_HASHES) or _PASSLIB.fullmatch(stored) is not None
    )


def _bad_char(char: str) -> bool:
    # The compared (NFKC) form too: auth refuses a fullwidth "＠" as it refuses "@".
    return any(c == "@" or c.isspace() or not c.isprintable() for c in char + normalise_name(char))


def username_for(login: object, old_id: int, taken: set[str]) -> tuple[str, list[str]]:
    """A username auth takes for the old ``login``, not in ``taken`` (compared forms,
    :func:`normalise_name`), and why it differs from the login (nothing: the same)."""
    original = login.strip() if isinstance(login, str) else ""
    reasons: list[str] = []
    name = "".join("_" if _bad_char(c) else c for c in original)
    if name != original:
        reasons.append("a username may not contain '@', spaces or control characters")
    if not name:
        name = f"user{old_id}"
        reasons = ["the old login is blank"]
    if len(name) > _MAX_USERNAME:
        name = name[:_MAX_USERNAME]
        reasons.append(f"a username has at most {_MAX_USERNAME} characters")
    wanted, number = name, 2
    while normalise_name(name) in taken:
        suffix = f"-{number}"
        name = wanted[: _MAX_USERNAME - len(suffix)] + suffix
        number += 1
    if name != wanted:
        reasons.append(f"{wanted!r} is another user's name (ignoring case)")
    return name, reasons


def email_for(email: object, taken: set[str]) -> tuple[str | None, str]:
    """The address to import (None: none), and why the old one is left out."""
    if not isinstance(email, str) or not email.strip():
        return None, ""
    try:
        checked = check_email(email)
    except AuthError as exc:
        return None, str(exc)
    if checked is not None and normalise_name(checked) in taken:
        return None, f"the address {checked!r} belongs to another user (ignoring case)"
    return checked, ""


def utc(value: dt.datetime | None) -> dt.datetime | None:
    """An old date, in UTC: the old backend wrote UTC without a zone."""
    if value is None:
        return None
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def cut(text: object, limit: int) -> tuple[str, bool]:
    """Text stripped and cut to ``limit`` characters; and whether it was cut."""
    value = text.strip() if isinstance(text, str) else ""
    return value[:limit], len(value) > limit


def too_big(value: Any) -> bool:
    """Whether a JSON value is past what the legacy API takes."""
    return len(json.dumps(value, default=str)) > MAX_LEGACY_JSON
