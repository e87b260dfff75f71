"""What the auth plugin's tests share: a password that passes the policy, fast argon2
parameters, and an app factory. The fixtures ``auth_database`` and ``make_auth_app``
(in conftest.py) build on it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from flask import Flask

from flask_plugboard.db import get_db, upgrade_database
from flask_plugboard.plugins.auth import Auth
from flask_plugboard.testing import build_app

PASSWORD = "a quiet tram to Lisbon"

#: The ``make_auth_app`` fixture: ``make_auth_app(plugins=(Auth,), **config) -> Flask``.
MakeAuthApp = Callable[..., Flask]

#: Cheap argon2id parameters: tests check behaviour, not hashing cost.
FAST_ARGON2: dict[str, Any] = {
    "AUTH_ARGON2_TIME_COST": 1,
    "AUTH_ARGON2_MEMORY_COST": 64,
    "AUTH_ARGON2_PARALLELISM": 1,
}


def auth_app(
    instance: Path,
    config: dict[str, Any] | None = None,
    plugins: Sequence[Any] = (Auth,),
) -> Flask:
    """An app with ``plugins`` (default: auth alone), its tables created.

    ``config`` defaults to a SQLite file in ``instance``; fast argon2 always applies.
    """
    settings = {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'app.sqlite'}",
        **FAST_ARGON2,
        **(config or {}),
    }
    app = build_app(list(plugins), settings, instance_path=str(instance))
    upgrade_database(app)
    return app


def dispose(app: Flask) -> None:
    """Close the app's database connections (PostgreSQL schemas can then be dropped)."""
    with app.app_context():
        for engine in get_db(app).engines.values():
            engine.dispose()
