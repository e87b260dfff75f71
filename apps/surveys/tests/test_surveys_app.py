"""The app factory as operators use it: configured from the environment, migrated with
``flask db upgrade``, refusing to start when unsafe, with health endpoints."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.middleware.proxy_fix import ProxyFix

from flask_plugboard import get_state
from flask_plugboard.errors import SettingsError, UnsafeToStartError
from plugboard_surveys import PLUGINS, config_from_env, create_app
from surveys_support import surveys_app


def test_every_plugin_loads(app: Flask) -> None:
    records = get_state(app).records
    assert [r.status for r in records.values()] == ["loaded"] * len(PLUGINS)
    assert "surveys" in records


def test_config_from_the_environment() -> None:
    config = config_from_env(
        {
            "DATABASE_URL": "postgres://u:p@db:5432/surveys",
            "REDIS_URL": "redis://cache:6379/1",
            "SECRET_KEY": "k" * 64,
            "JWT_SECRET_KEY": "j" * 64,
            "PROXIES": "1",
            "CORS_ORIGINS": "https://a.example, https://b.example",
        }
    )
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u:p@db:5432/surveys"
    assert config["PLUGBOARD_REDIS_URL"] == "redis://cache:6379/1"
    assert config["PLUGBOARD_PROXIES"] == 1
    assert config["CORS_ORIGINS"] == ["https://a.example", "https://b.example"]
    assert config["AUTH_ENVIRONMENT"] == "production"
    assert config_from_env({"DATABASE_URL": "postgresql://x/y"})["SQLALCHEMY_DATABASE_URI"] == (
        "postgresql+psycopg://x/y"
    )
    assert config_from_env({"DATABASE_URL": "sqlite:///a.db"})["SQLALCHEMY_DATABASE_URI"] == (
        "sqlite:///a.db"
    )


@pytest.mark.parametrize(
    ("environ", "named"),
    [
        ({"PROXIES": "two"}, "PROXIES = 'two'"),
        ({"SURVEYS_ENVIRONMENT": "staging"}, "SURVEYS_ENVIRONMENT = 'staging'"),
    ],
)
def test_bad_environment_fails_naming_the_variable(environ: dict[str, str], named: str) -> None:
    with pytest.raises(SettingsError, match=named):
        config_from_env(environ)


def test_production_refuses_to_start_without_a_secret_key(tmp_path: Path) -> None:
    config = {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 's.sqlite'}"}
    with pytest.raises(UnsafeToStartError, match="SECRET_KEY"):
        create_app(config, instance_path=str(tmp_path))
    with pytest.raises(UnsafeToStartError, match="JWT_SECRET_KEY"):
        create_app(
            {**config, "SECRET_KEY": os.urandom(32).hex(), "JWT_SECRET_KEY": "secret"},
            instance_path=str(tmp_path),
        )


def test_development_keeps_a_generated_key_in_the_instance_folder(tmp_path: Path) -> None:
    config = {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 's.sqlite'}",
        "AUTH_ENVIRONMENT": "development",
    }
    first = create_app(config, instance_path=str(tmp_path))
    second = create_app(config, instance_path=str(tmp_path))
    assert first.secret_key == second.secret_key
    assert (tmp_path / "secret_key").exists()


def test_proxies_wrap_the_app_in_proxyfix(tmp_path: Path) -> None:
    app = surveys_app(tmp_path, {"PLUGBOARD_PROXIES": 1})
    assert isinstance(app.wsgi_app, ProxyFix)


def test_healthz_and_readyz(client: FlaskClient) -> None:
    alive = client.get("/healthz")
    assert (alive.status_code, alive.get_json()) == (200, {"status": "ok"})
    ready = client.get("/readyz")
    assert (ready.status_code, ready.get_json()) == (
        200,
        {"status": "ready", "checks": {"database": "ok"}},
    )
    assert ready.headers["Cache-Control"] == "no-store"


def test_readyz_is_503_when_the_database_is_gone(tmp_path: Path) -> None:
    app = surveys_app(tmp_path)
    app.config["SQLALCHEMY_DATABASE_URI"] = "unused"
    with app.app_context():
        from flask_plugboard.db import get_db

        engine = get_db(app).engine
        engine.dispose()
        (tmp_path / "surveys.sqlite").unlink()
        (tmp_path / "surveys.sqlite").mkdir()  # a folder where the file was: unusable
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable", "checks": {"database": "unavailable"}}
    assert app.test_client().get("/healthz").status_code == 200


def test_readyz_checks_redis_when_configured(tmp_path: Path, redis_url: str) -> None:
    ready = surveys_app(tmp_path / "a", {"PLUGBOARD_REDIS_URL": redis_url}).test_client()
    assert ready.get("/readyz").get_json()["checks"] == {"database": "ok", "redis": "ok"}
    down = surveys_app(tmp_path / "b", {"PLUGBOARD_REDIS_URL": "redis://127.0.0.1:1/0"})
    response = down.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"] == {"database": "ok", "redis": "unavailable"}
    assert "127.0.0.1" not in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/api/v1/no/such/page", 404),
        ("GET", "/auth/api/no/such/page", 404),
        ("PUT", "/api/v1/surveys", 405),
    ],
)
def test_http_errors_are_json_for_api_clients(
    client: FlaskClient, method: str, path: str, status: int
) -> None:
    response = client.open(path, method=method)
    assert response.status_code == status
    assert response.is_json
    assert response.get_json()["status"] == status


@pytest.mark.parametrize("accept", [None, "application/json", "application/json, */*"])
def test_a_url_no_route_takes_gets_the_html_404_page_as_from_the_old_backend(
    client: FlaskClient, accept: str | None
) -> None:
    response = client.get("/no/such/page", headers={"Accept": accept} if accept else {})
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "<title>404 Not Found</title>" in response.get_data(as_text=True)


def test_too_large_bodies_get_413(client: FlaskClient) -> None:
    response = client.post(
        "/addreply",
        headers={"idQuestion": "1"},
        data=b'{"reply": "' + b"x" * (2 * 1024 * 1024) + b'"}',
        content_type="application/json",
    )
    assert response.status_code == 413
    assert response.is_json
    assert set(response.get_json()) == {"message"}  # the old API's shape, on its path


def _flask(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    flask = Path(sys.executable).parent / "flask"
    environ = {
        **os.environ,
        "SURVEYS_ENVIRONMENT": "development",
        "INSTANCE_PATH": str(tmp_path / "instance"),
        **env,
    }
    return subprocess.run(
        [str(flask), "--app", "plugboard_surveys", *args],
        capture_output=True,
        text=True,
        env=environ,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )


def test_flask_db_upgrade_prepares_the_database(
    tmp_path: Path, plugboard_database: dict[str, Any]
) -> None:
    url = plugboard_database["SQLALCHEMY_DATABASE_URI"]  # on PostgreSQL, naming its schema
    done = _flask(tmp_path, "db", "upgrade", DATABASE_URL=url)
    assert done.returncode == 0, done.stderr
    assert "surveys: upgraded" in done.stdout + done.stderr
    engine = sa.create_engine(url)
    try:
        tables = set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert {"auth_user", "surveys_survey", "surveys_answer"} <= tables
    again = _flask(tmp_path, "db", "upgrade", DATABASE_URL=url)
    assert again.returncode == 0, again.stderr


def test_while_the_database_is_down_each_client_gets_a_503_in_its_shape(tmp_path: Path) -> None:
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "s" * 64,
            "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://postgres@127.0.0.1:1/x",
            "REQLOG_LOGGER": "",
        },
        instance_path=str(tmp_path),
    )
    client = app.test_client()
    legacy = client.get("/activesurveys")
    assert legacy.status_code == 503
    assert legacy.get_json() == {
        "message": "the database is unavailable: try again in a few seconds"
    }
    assert legacy.headers["Retry-After"] == "5"
    api = client.get("/api/v1/surveys?all=false", headers={"Accept": "application/json"})
    assert api.status_code in (401, 503)  # the login comes first where one is needed
    public = client.get("/api/v1/surveys/1")
    assert (public.status_code, public.get_json()["status"]) == (503, 503)
    assert public.headers["Retry-After"] == "5"
    page = client.get("/", headers={"Accept": "text/html"})
    assert page.status_code == 503
    assert client.get("/readyz").status_code == 503
