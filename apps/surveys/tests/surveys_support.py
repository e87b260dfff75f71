"""What the survey service's tests share: an app on a test database, users with tokens,
and the legacy API's header parameters."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from flask_plugboard.db import get_db, upgrade_database
from plugboard_surveys import create_app

PASSWORD = "a quiet tram to Lisbon"

#: Cheap argon2id parameters: tests check behaviour, not hashing cost.
FAST_ARGON2: dict[str, Any] = {
    "AUTH_ARGON2_TIME_COST": 1,
    "AUTH_ARGON2_MEMORY_COST": 64,
    "AUTH_ARGON2_PARALLELISM": 1,
}


def surveys_app(instance: Path, config: Mapping[str, Any] | None = None) -> Flask:
    """The survey service on ``config``'s database (default: SQLite in ``instance``),
    migrated, with fast argon2 and no rate limits unless ``config`` sets them."""
    instance.mkdir(parents=True, exist_ok=True)
    settings = {
        "TESTING": True,
        "SECRET_KEY": secrets.token_hex(32),
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'surveys.sqlite'}",
        "SURVEYS_SUBMIT_LIMIT": "",
        "AUTH_LOGIN_LIMIT_ADDRESS": "",
        "AUTH_LOGIN_LIMIT_ACCOUNT": "",
        "AUTH_REGISTER_LIMIT": "",
        **FAST_ARGON2,
        **(config or {}),
    }
    app = create_app(settings, instance_path=str(instance))
    upgrade_database(app)
    return app


def dispose(app: Flask) -> None:
    """Close the app's database connections (PostgreSQL schemas can then be dropped)."""
    with app.app_context():
        for engine in get_db(app).engines.values():
            engine.dispose()


def legacy_register(
    client: FlaskClient, username: str = "alice", password: str = PASSWORD
) -> dict[str, Any]:
    """Register through the legacy ``/register``; its JSON answer (with the tokens)."""
    response = client.post(
        "/register",
        headers={"username": username, "email": f"{username}@example.org", "password": password},
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    body: dict[str, Any] = response.get_json()
    assert "access_token" in body, body
    return body


def bearer(token: str, **headers: str) -> dict[str, str]:
    """Headers with ``Authorization: Bearer token`` and ``headers``."""
    return {"Authorization": f"Bearer {token}", **headers}


def api_token(client: FlaskClient, username: str = "alice", password: str = PASSWORD) -> str:
    """Register ``username`` through auth's JSON API and log in; its access token."""
    client.post(
        "/auth/api/register",
        json={"username": username, "password": password, "email": f"{username}@example.org"},
    )
    response = client.post("/auth/api/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.get_data(as_text=True)
    return str(response.get_json()["access_token"])


def message(response: TestResponse) -> Any:
    """The ``message`` of a legacy answer."""
    body = response.get_json()
    assert isinstance(body, dict), response.get_data(as_text=True)
    return body.get("message")
