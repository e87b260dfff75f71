"""Shared test setup: the real PostgreSQL and Redis servers, when present."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask

pytest_plugins = ["pytester"]

POSTGRES_URL = os.environ.get(
    "PLUGBOARD_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("PLUGBOARD_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _reachable(url: str, default_port: int) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection(
            (parts.hostname or "127.0.0.1", parts.port or default_port), 1
        ):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """URL of the real PostgreSQL server; skips the test when none answers."""
    if not _reachable(POSTGRES_URL, 5432):
        pytest.skip(
            f"PostgreSQL is not reachable at {POSTGRES_URL} (set PLUGBOARD_TEST_POSTGRES_URL)"
        )
    return POSTGRES_URL


@pytest.fixture(scope="session")
def redis_url() -> str:
    """URL of the real Redis server; skips the test when none answers."""
    if not _reachable(REDIS_URL, 6379):
        pytest.skip(f"Redis is not reachable at {REDIS_URL} (set PLUGBOARD_TEST_REDIS_URL)")
    return REDIS_URL


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def auth_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, Any]]:
    """Config of a database the test owns: a SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'app.sqlite'}"}
        return
    url = request.getfixturevalue("postgres_url")
    schema = f"plugboard_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(url)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield {
            "SQLALCHEMY_DATABASE_URI": url,
            "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"options": f"-csearch_path={schema}"}},
        }
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def make_auth_app(auth_database: dict[str, Any], tmp_path: Path) -> Iterator[Callable[..., Flask]]:
    """``make_auth_app(plugins=(Auth,), **config)``: an auth app on ``auth_database``
    (SQLite and the real PostgreSQL), tables created; connections closed afterwards."""
    from auth_support import auth_app, dispose

    apps: list[Flask] = []

    def make(plugins: Any = None, **config: Any) -> Flask:
        extra = {} if plugins is None else {"plugins": plugins}
        app = auth_app(tmp_path / f"instance{len(apps)}", {**auth_database, **config}, **extra)
        apps.append(app)
        return app

    yield make
    for app in apps:
        dispose(app)
