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
from flask_plugboard.errors import SettingsError, StartupError, UnsafeToStartError
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
            "PUBLIC_URL": "https://surveys.example.org",
        }
    )
    assert config["AUTH_PUBLIC_URL"] == "https://surveys.example.org"
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u:p@db:5432/surveys"
    assert config["PLUGBOARD_REDIS_URL"] == "redis://cache:6379/1"
    assert config["PLUGBOARD_PROXIES"] == 1
    assert config["CORS_ORIGINS"] == ["https://a.example", "https://b.example"]
    assert config["AUTH_ENVIRONMENT"] == config["PLUGBOARD_ENVIRONMENT"] == "production"
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


#: A bad setting of each kind, as an operator sets it: a plugin's own check in
#: __post_init__ (ratelimit), a range (auth), a limit of the surveys plugin.
BAD_SETTINGS = [
    ("FLASK_RATELIMIT_DEFAULT", "banana", "FLASK_RATELIMIT_DEFAULT = 'banana' is not a rate limit"),
    (
        "FLASK_AUTH_PASSWORD_MIN_LENGTH",
        "0",
        "FLASK_AUTH_PASSWORD_MIN_LENGTH (environment) = 0 is not valid for plugin 'auth': "
        "expected a number >= 1",
    ),
    (
        "FLASK_SURVEYS_SUBMIT_LIMIT",
        "banana",
        "FLASK_SURVEYS_SUBMIT_LIMIT = 'banana' is not a rate limit",
    ),
]


def _production(tmp_path: Path) -> dict[str, Any]:
    return {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 's.sqlite'}",
        "SECRET_KEY": os.urandom(32).hex(),
        "JWT_SECRET_KEY": os.urandom(32).hex(),
    }


@pytest.mark.parametrize("environment", ["production", "development"])
@pytest.mark.parametrize(("variable", "value", "named"), BAD_SETTINGS)
def test_a_bad_setting_stops_the_service_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    environment: str,
    variable: str,
    value: str,
    named: str,
) -> None:
    monkeypatch.setenv(variable, value)
    config = {**_production(tmp_path), "AUTH_ENVIRONMENT": environment}
    with pytest.raises(StartupError) as caught:
        create_app(config, instance_path=str(tmp_path))
    assert named in str(caught.value)
    assert "\n" not in str(caught.value)


def test_readyz_names_a_plugin_that_failed_even_when_not_required(tmp_path: Path) -> None:
    app = create_app(
        {
            **_production(tmp_path),
            "PLUGBOARD_REQUIRED": False,
            "TIMER_SLOW_THRESHOLD": "slow",
        },
        instance_path=str(tmp_path),
    )
    assert get_state(app).records["timer"].status == "failed (validate)"
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json() == {
        "status": "unavailable",
        "checks": {"plugins": "failed: timer", "database": "ok"},
    }
    assert "slow" not in response.get_data(as_text=True)  # no error text, only the name


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
        {"status": "ready", "checks": {"plugins": "ok", "database": "ok"}},
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
    assert response.get_json() == {
        "status": "unavailable",
        "checks": {"plugins": "ok", "database": "unavailable"},
    }
    assert app.test_client().get("/healthz").status_code == 200


def test_readyz_checks_redis_when_configured(tmp_path: Path, redis_url: str) -> None:
    ready = surveys_app(tmp_path / "a", {"PLUGBOARD_REDIS_URL": redis_url}).test_client()
    assert ready.get("/readyz").get_json()["checks"] == {
        "plugins": "ok",
        "database": "ok",
        "redis": "ok",
    }
    down = surveys_app(tmp_path / "b", {"PLUGBOARD_REDIS_URL": "redis://127.0.0.1:1/0"})
    response = down.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"] == {
        "plugins": "ok",
        "database": "ok",
        "redis": "unavailable",
    }
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


@pytest.mark.parametrize(("variable", "value", "named"), BAD_SETTINGS)
def test_flask_db_upgrade_refuses_a_bad_setting_in_one_line(
    tmp_path: Path, variable: str, value: str, named: str
) -> None:
    done = _flask(tmp_path, "db", "upgrade", **{variable: value})
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("Error: plugin ")
    assert named in lines[0]
    assert not (tmp_path / "instance" / "surveys.sqlite").exists()


def test_gunicorn_refuses_a_bad_setting_in_one_line(tmp_path: Path) -> None:
    gunicorn = Path(sys.executable).parent / "gunicorn"
    conf = Path(__file__).resolve().parents[1] / "gunicorn.conf.py"
    environ = {k: v for k, v in os.environ.items() if not k.startswith("FLASK_")}
    done = subprocess.run(
        [str(gunicorn), "-c", str(conf), "-b", "127.0.0.1:0", "plugboard_surveys:create_app()"],
        capture_output=True,
        text=True,
        env={
            **environ,
            **_production(tmp_path),
            "SURVEYS_ENVIRONMENT": "production",
            "DATABASE_URL": f"sqlite:///{tmp_path / 's.sqlite'}",
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "FLASK_RATELIMIT_DEFAULT": "banana",
        },
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "Error: plugin 'ratelimit' failed at validate, and the app cannot run without it: "
        "FLASK_RATELIMIT_DEFAULT = 'banana' is not a rate limit: write it like '100/minute', "
        "'5 per 10 seconds' or '10/second; 1000/hour' (units: second, minute, hour, day, "
        "month, year)"
    ]


@pytest.mark.parametrize(
    ("env", "line"),
    [
        (
            {"SURVEYS_ENVIRONMENT": "production", "SECRET_KEY": ""},
            "Error: SECRET_KEY is not set: the auth plugin refuses to start in production",
        ),
        ({"PROXIES": "two"}, "Error: PROXIES = 'two': expected how many reverse proxies"),
        (
            {"FLASK_PLUGBOARD_QUARANTINE_AFTER": "-1"},
            "Error: FLASK_PLUGBOARD_QUARANTINE_AFTER (environment) = -1 is not valid",
        ),
    ],
    ids=["no secret key in production", "bad PROXIES", "bad host setting"],
)
def test_an_unsafe_or_wrong_environment_is_refused_in_one_line(
    tmp_path: Path, env: dict[str, str], line: str
) -> None:
    done = _flask(tmp_path, "db", "upgrade", **env)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(line)


class _Outbox:
    """A mail sender that keeps what it is given."""

    def __init__(self) -> None:
        self.sent: list[Any] = []

    def send(self, message: Any) -> None:
        self.sent.append(message)


def test_password_reset_links_come_from_public_url(make_surveys_app: Any) -> None:
    from flask_plugboard.plugins.auth import flush_mail, register_user, set_mail_sender
    from pages_support import csrf

    environ = {"PUBLIC_URL": "https://surveys.example.org", "SURVEYS_ENVIRONMENT": "production"}
    sent: dict[str, list[Any]] = {}
    for name, config in (("public", config_from_env(environ)), ("unset", {})):
        app = make_surveys_app(**config)
        outbox = _Outbox()
        set_mail_sender(app, outbox)
        if name == "public":  # the second app shares the first one's database
            with app.app_context():
                register_user("alice", "a quiet tram to Lisbon", email="alice@example.org")
        client = app.test_client()
        client.environ_base["HTTP_HOST"] = "evil.io"
        token = csrf(client, "/auth/forgot")
        page = client.post(
            "/auth/forgot", data={"email": "alice@example.org", "csrf_token": token}
        )
        assert page.status_code == 200
        assert flush_mail(app)
        sent[name] = outbox.sent

    assert sent["unset"] == []  # no link to the host the client named
    [message] = sent["public"]
    assert "https://surveys.example.org/auth/reset/" in message.get_content()


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
