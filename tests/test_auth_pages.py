"""The HTML pages (SQLite and the real PostgreSQL where storage matters): register, log in,
log out, change password; bad input, same answers for every refusal, lockout, ?next=."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask, g
from flask.testing import FlaskClient

from auth_support import (
    FAST_ARGON2,
    PASSWORD,
    MakeAuthApp,
    auth_app,
    dispose,
    form_token,
    log_in,
    submit,
)
from flask_plugboard.db import get_db
from flask_plugboard.errors import PluginFailure
from flask_plugboard.plugins.auth import Auth, login_required, register_user
from flask_plugboard.plugins.auth._models import Base
from flask_plugboard.plugins.ratelimit import RateLimit

NEW_PASSWORD = "seven green kites over Porto"


def prepare(app: Flask) -> Flask:
    @app.get("/me")
    def me() -> str:
        return g.user.username if g.user is not None else "nobody"

    @app.get("/reports")
    @login_required
    def reports() -> str:
        return f"reports for {g.user.username}"

    @app.get("/dashboard")
    def dashboard() -> str:
        return "dashboard"

    with app.app_context():
        register_user("alice", PASSWORD, email="alice@example.org")
    return app


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    """SQLite only: for what the pages show, storage does not matter."""
    app = prepare(auth_app(tmp_path))
    yield app
    dispose(app)


@pytest.fixture
def stored_app(make_auth_app: MakeAuthApp) -> Flask:
    """On SQLite and PostgreSQL: for what is written."""
    return prepare(make_auth_app())


def whoami(client: FlaskClient) -> str:
    return client.get("/me").get_data(as_text=True)


def text(response: object) -> str:
    return response.get_data(as_text=True)  # type: ignore[attr-defined,no-any-return]


def error_of(html: str, field: str) -> str | None:
    """The error shown under ``field``, checking it is tied to the input for screen readers."""
    match = re.search(rf'<p class="auth-error" id="{field}-error">([^<]*)</p>', html)
    if match is None:
        return None
    tag = re.search(rf'<input[^>]* id="{field}"[^>]*>', html)
    assert tag is not None
    assert 'aria-invalid="true"' in tag.group(0)
    assert f"{field}-error" in re.search(r'aria-describedby="([^"]*)"', tag.group(0)).group(1)  # type: ignore[union-attr]
    return match.group(1)


def no_password_shown(html: str) -> bool:
    """No password input is filled in again, and the test passwords appear nowhere."""
    inputs = re.findall(r'<input[^>]* type="password"[^>]*>', html)
    return (
        bool(inputs)
        and not any("value=" in tag for tag in inputs)
        and not any(secret in html for secret in (PASSWORD, NEW_PASSWORD))
    )


REGISTER = {
    "username": "bob",
    "email": "bob@example.org",
    "password": PASSWORD,
    "confirm": PASSWORD,
}


# -- register -----------------------------------------------------------------------------


def test_registering_logs_the_new_user_in(stored_app: Flask) -> None:
    client = stored_app.test_client()

    response = submit(client, "/auth/register", REGISTER)

    assert response.status_code == 303 and response.headers["Location"] == "/"
    assert whoami(client) == "bob"
    assert "Welcome, bob" in text(client.get("/auth/logout"))


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"username": ""}, "username", "Choose a username."),
        ({"username": "ALICE"}, "username", "The username &#39;ALICE&#39; is taken"),
        ({"username": "bob smith"}, "username", "may not contain &#39;@&#39;, spaces"),
        ({"email": ""}, "email", "Enter your e-mail address"),
        ({"email": "bob-at-example"}, "email", "write it like name@example.org"),
        ({"email": "ALICE@example.org"}, "email", "belongs to another user"),
        ({"password": "", "confirm": ""}, "password", "Choose a password."),
        ({"password": "short", "confirm": "short"}, "password", "The password is too short"),
        ({"password": "password1234", "confirm": "password1234"}, "password", "too common"),
        ({"confirm": "another passphrase"}, "confirm", "The two passwords differ"),
    ],
)
def test_bad_registrations_come_back_with_the_error_at_the_field(
    stored_app: Flask, changes: dict[str, str], field: str, message: str
) -> None:
    client = stored_app.test_client()
    data = {**REGISTER, **changes}

    response = submit(client, "/auth/register", data)

    html = text(response)
    assert response.status_code == 400
    error = error_of(html, field)
    assert error is not None and message in error, html
    assert f'value="{data["username"]}"' in html or not data["username"]
    assert no_password_shown(html)
    assert whoami(client) == "nobody"


def test_registration_can_be_turned_off(make_auth_app: MakeAuthApp) -> None:
    app = prepare(make_auth_app(AUTH_REGISTRATION=False))
    client = app.test_client()

    assert client.get("/auth/register").status_code == 404
    assert "/auth/register" not in text(client.get("/auth/login"))


# -- log in -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["alice", "Alice", "alice@example.org", " ALICE@Example.org "])
def test_logging_in_with_the_username_or_the_email(stored_app: Flask, name: str) -> None:
    client = stored_app.test_client()

    response = log_in(client, name)

    assert response.status_code == 303
    assert whoami(client) == "alice"


def test_wrong_password_and_unknown_user_get_the_same_page(app: Flask) -> None:
    def attempt(username: str, password: str) -> tuple[int, str]:
        client = app.test_client()
        response = log_in(client, username, password)
        html = text(response).replace(form_token(client), "TOKEN")
        return response.status_code, html.replace(f'value="{username}"', 'value="NAME"')

    wrong_password = attempt("alice", "not the password at all")
    unknown_user = attempt("mallory", PASSWORD)

    assert wrong_password == unknown_user
    assert wrong_password[0] == 400
    assert "do not match an active account" in wrong_password[1]


def test_after_repeated_failures_the_account_is_locked_with_the_same_message(
    stored_app: Flask,
) -> None:
    client = stored_app.test_client()
    for _ in range(5):
        failed = log_in(client, "alice", "a wrong password, again")
        assert failed.status_code == 400

    locked = log_in(client, "alice", PASSWORD)

    assert locked.status_code == 400
    assert "do not match an active account" in text(locked)
    assert "locked for 15 minutes" in text(locked)
    assert whoami(client) == "nobody"


def test_login_with_empty_fields_says_what_is_missing(app: Flask) -> None:
    response = submit(app.test_client(), "/auth/login", {"username": " ", "password": ""})

    html = text(response)
    assert response.status_code == 400
    assert error_of(html, "username") == "Enter your username or e-mail address."
    assert error_of(html, "password") == "Enter your password."


def test_garbage_form_values_are_refused_cleanly(app: Flask) -> None:
    client = app.test_client()
    token = form_token(client)

    response = client.post(
        "/auth/login",
        data={"csrf_token": token, "username": "\x00" * 5000, "password": "p" * 50_000},
    )

    assert response.status_code == 400
    assert "do not match an active account" in text(response)


def test_a_form_larger_than_any_page_needs_is_refused_unread(app: Flask) -> None:
    client = app.test_client()
    data = {"csrf_token": form_token(client), "username": "alice", "password": "p" * 100_000}

    response = client.post("/auth/login", data=data)

    assert response.status_code == 413  # 64 KiB at most, also for bodies without a length
    assert whoami(client) == "nobody"


def test_login_attempts_are_rate_limited_per_account(tmp_path: Path) -> None:
    app = prepare(
        auth_app(
            tmp_path,
            {"AUTH_LOGIN_LIMIT_ACCOUNT": "3/minute", "AUTH_LOCKOUT_ATTEMPTS": 0},
            plugins=(Auth, RateLimit),
        )
    )
    responses = [log_in(app.test_client(), "alice", "wrong password here") for _ in range(4)]

    assert [r.status_code for r in responses] == [400, 400, 400, 429]
    assert "locked" not in text(responses[0])  # AUTH_LOCKOUT_ATTEMPTS = 0: never locked
    assert log_in(app.test_client(), "bob", "wrong password here").status_code == 400
    dispose(app)


# -- next ---------------------------------------------------------------------------------

OPEN_REDIRECTS = [
    "//evil.io",
    "https://evil.io",
    "/\\evil.io",
    "\\\\evil.io",
    "/\t/evil.io",
    "javascript:alert(1)",
    "http://localhost/dashboard",
    "%2F%2Fevil.io",
]


@pytest.mark.parametrize("target", OPEN_REDIRECTS)
def test_login_never_redirects_off_site(app: Flask, target: str) -> None:
    client = app.test_client()

    from_form = submit(
        client, "/auth/login", {"username": "alice", "password": PASSWORD, "next": target}
    )
    from_query = client.post(
        "/auth/login",
        query_string={"next": target},
        data={"username": "alice", "password": PASSWORD, "csrf_token": form_token(client)},
    )

    assert from_form.headers["Location"] == "/"
    assert from_query.headers["Location"] == "/"
    assert "evil" not in text(client.get("/auth/login", query_string={"next": target}))


@pytest.mark.parametrize("target", OPEN_REDIRECTS)
def test_logout_never_redirects_off_site(app: Flask, target: str) -> None:
    client = app.test_client()
    log_in(client)

    response = submit(client, f"/auth/logout?next={target}", {"next": target})

    assert response.status_code == 303
    assert response.headers["Location"] == "/"


def test_home_can_be_an_endpoint_and_a_safe_next_is_followed(make_auth_app: MakeAuthApp) -> None:
    app = prepare(make_auth_app(AUTH_HOME="dashboard"))
    client = app.test_client()

    assert log_in(client).headers["Location"] == "/dashboard"
    logout = submit(client, "/auth/logout", {"next": "/reports?year=2026"})
    assert logout.headers["Location"] == "/reports?year=2026"


@pytest.mark.parametrize("home", ["//evil.io", "https://evil.io", "not an endpoint!"])
def test_a_bad_home_fails_at_start_up(tmp_path: Path, home: str) -> None:
    with pytest.raises(PluginFailure, match="AUTH_HOME") as info:
        auth_app(tmp_path, {"AUTH_HOME": home})

    assert "a path on this site" in str(info.value)


def test_login_required_pages_send_browsers_to_login_and_back(stored_app: Flask) -> None:
    client = stored_app.test_client()

    refused = client.get("/reports?year=2026", headers={"Accept": "text/html"})
    login_page = client.get(refused.headers["Location"])
    back = submit(
        client,
        refused.headers["Location"],
        {"username": "alice", "password": PASSWORD, "next": "/reports?year=2026"},
    )

    assert refused.status_code == 302
    assert refused.headers["Location"] == "/auth/login?next=/reports?year%3D2026"
    assert 'name="next" value="/reports?year=2026"' in text(login_page)
    assert back.headers["Location"] == "/reports?year=2026"
    assert text(client.get("/reports?year=2026")) == "reports for alice"


def test_json_clients_get_401_instead_of_the_login_page(app: Flask) -> None:
    response = app.test_client().get("/reports", headers={"Accept": "application/json"})

    assert response.status_code == 401


# -- log out ------------------------------------------------------------------------------


def test_logout_page_asks_before_logging_out(app: Flask) -> None:
    client = app.test_client()
    log_in(client)

    page = client.get("/auth/logout")

    assert page.status_code == 200
    assert 'method="post" action="/auth/logout"' in text(page)
    assert whoami(client) == "alice"
    assert submit(client, "/auth/logout", {}).headers["Location"] == "/"
    assert "You are logged out." in text(client.get("/auth/login"))


# -- change password ----------------------------------------------------------------------


def test_changing_the_password_needs_a_login(app: Flask) -> None:
    response = app.test_client().get("/auth/password", headers={"Accept": "text/html"})

    assert response.headers["Location"] == "/auth/login?next=/auth/password"


def test_changing_the_password_ends_other_sessions_but_keeps_this_one(stored_app: Flask) -> None:
    laptop, phone = stored_app.test_client(), stored_app.test_client()
    log_in(laptop, remember=True)
    log_in(phone)

    response = submit(
        laptop,
        "/auth/password",
        {"current": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )

    assert response.status_code == 303
    assert (whoami(laptop), whoami(phone)) == ("alice", "nobody")
    assert "Every other device was logged out" in text(laptop.get("/auth/password"))
    with laptop.session_transaction() as data:
        assert data.permanent  # still remembered
    assert log_in(stored_app.test_client(), "alice", PASSWORD).status_code == 400
    assert log_in(stored_app.test_client(), "alice", NEW_PASSWORD).status_code == 303


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"current": "", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}, "current", "Enter"),
        (
            {"current": "not my password", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
            "current",
            "That is not your current password.",
        ),
        ({"current": PASSWORD, "password": NEW_PASSWORD, "confirm": "x"}, "confirm", "differ"),
        ({"current": PASSWORD, "password": "short", "confirm": "short"}, "password", "too short"),
    ],
)
def test_bad_password_changes_come_back_and_change_nothing(
    app: Flask, data: dict[str, str], field: str, message: str
) -> None:
    client = app.test_client()
    log_in(client)

    response = submit(client, "/auth/password", data)

    html = text(response)
    assert response.status_code == 400
    error = error_of(html, field)
    assert error is not None and message in error
    assert no_password_shown(html)
    assert whoami(client) == "alice"
    assert log_in(app.test_client(), "alice", PASSWORD).status_code == 303


# -- what every page does -----------------------------------------------------------------


@pytest.mark.parametrize("path", ["/auth/login", "/auth/register", "/auth/logout", "/auth/forgot"])
def test_pages_are_not_cached_framed_or_leaked_as_referer(app: Flask, path: str) -> None:
    response = app.test_client().get(path)

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    html = text(response)
    assert "<script" not in html and "style=" not in html and "<style" not in html
    assert "/auth/_static/auth/auth.css?v=" in html


def test_pages_work_without_the_host(tmp_path: Path) -> None:
    app = Flask("standalone", instance_path=str(tmp_path))
    app.config.update(
        TESTING=True,
        SECRET_KEY=secrets.token_hex(32),
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'app.sqlite'}",
        **FAST_ARGON2,
    )
    Auth(app)
    with app.app_context():
        Base.metadata.create_all(get_db().engine)
        register_user("alice", PASSWORD)
    client = app.test_client()

    page = text(client.get("/auth/login"))
    stylesheet = re.search(r'<link rel="stylesheet" href="([^"]+)">', page)

    assert stylesheet is not None
    with client.get(stylesheet.group(1)) as css:
        assert css.status_code == 200 and css.mimetype == "text/css"
    assert log_in(client).status_code == 303
    dispose(app)


def test_form_fields_tell_password_managers_what_they_are(app: Flask) -> None:
    client = app.test_client()
    log_in(client)

    login = text(app.test_client().get("/auth/login"))
    register = text(app.test_client().get("/auth/register"))
    password = text(client.get("/auth/password"))

    assert 'autocomplete="username"' in login and 'autocomplete="current-password"' in login
    assert 'autocomplete="email"' in register and 'autocomplete="new-password"' in register
    assert 'autocomplete="current-password"' in password
    assert 'autocomplete="new-password"' in password
    assert '<label class="auth-label" for="username">' in login
