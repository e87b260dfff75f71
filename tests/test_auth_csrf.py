"""CSRF protection of forms: the token in the Flask session, checked before the view runs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask, jsonify
from flask.testing import FlaskClient

from auth_support import PASSWORD, auth_app, dispose, form_token, log_in, submit
from flask_plugboard.plugins.auth import find_user, register_user
from flask_plugboard.plugins.auth._csrf import csrf_protect


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    app = auth_app(tmp_path)
    notes: list[str] = []
    app.config["NOTES"] = notes

    @app.post("/notes")
    @csrf_protect
    def add_note() -> object:  # a form of another plugin, protected the same way
        notes.append("note")
        return jsonify(count=len(notes))

    with app.app_context():
        register_user("alice", PASSWORD, email="alice@example.org")
    yield app
    dispose(app)


def logged_in_as(app: Flask, client: FlaskClient) -> str:
    html = client.get("/auth/logout").get_data(as_text=True)
    return "alice" if "You are logged in as <strong>alice</strong>" in html else "nobody"


def test_forms_carry_a_hidden_token_field(app: Flask) -> None:
    client = app.test_client()
    html = client.get("/auth/login").get_data(as_text=True)

    token = form_token(client)
    assert f'<input type="hidden" name="csrf_token" value="{token}">' in html
    assert len(token) >= 40


@pytest.mark.parametrize(
    ("token", "message"),
    [
        (None, "security token (csrf_token field or X-CSRF-Token header) is missing"),
        ("", "is missing"),
        ("forged-token", "does not match this session"),
        ("é" * 43, "does not match this session"),
    ],
)
def test_logout_without_the_right_token_is_refused_and_nothing_happens(
    app: Flask, token: str | None, message: str
) -> None:
    client = app.test_client()
    log_in(client)
    form_token(client, "/auth/logout")
    data = {} if token is None else {"csrf_token": token}

    response = client.post("/auth/logout", data=data)

    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert response.mimetype == "text/html"
    assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert response.headers["Cache-Control"] == "no-store"
    assert logged_in_as(app, client) == "alice"


def test_a_token_from_another_session_is_refused(app: Flask) -> None:
    victim, attacker = app.test_client(), app.test_client()
    stolen = form_token(attacker, "/auth/register")

    victim.get("/auth/register")  # the victim's browser has a session of its own
    response = victim.post(
        "/auth/register",
        data={
            "csrf_token": stolen,
            "username": "mallory",
            "email": "mallory@example.org",
            "password": PASSWORD,
            "confirm": PASSWORD,
        },
    )

    assert response.status_code == 400
    assert "does not match this session" in response.get_data(as_text=True)
    with app.app_context():
        assert find_user("mallory") is None


def test_a_browser_without_a_session_is_told_to_turn_cookies_on(app: Flask) -> None:
    token = form_token(app.test_client())

    response = app.test_client().post(
        "/auth/login", data={"csrf_token": token, "username": "alice", "password": PASSWORD}
    )

    assert response.status_code == 400
    assert "cookies" in response.get_data(as_text=True)


def test_over_plain_http_with_a_secure_cookie_the_page_says_https_is_needed(
    tmp_path: Path,
) -> None:
    app = auth_app(tmp_path, {"SESSION_COOKIE_SECURE": True})
    data = {"username": "alice", "password": PASSWORD, "csrf_token": "from the form"}

    plain = app.test_client().post("/auth/login", data=data)
    secure = app.test_client().post("/auth/login", data=data, base_url="https://localhost")

    assert plain.status_code == 400
    assert "This site needs HTTPS" in plain.get_data(as_text=True)
    assert "Form expired" in plain.get_data(as_text=True)
    assert secure.status_code == 400
    assert "turn cookies on" in secure.get_data(as_text=True)
    assert "HTTPS" not in secure.get_data(as_text=True)
    dispose(app)


def test_the_token_changes_at_login_so_older_forms_stop_working(app: Flask) -> None:
    client = app.test_client()
    before = form_token(client, "/auth/logout")

    log_in(client)
    response = client.post("/auth/logout", data={"csrf_token": before})

    assert form_token(client, "/auth/logout") != before
    assert response.status_code == 400
    assert logged_in_as(app, client) == "alice"


def test_other_plugins_forms_accept_the_header_and_json_clients_get_json(app: Flask) -> None:
    client = app.test_client()
    token = form_token(client)

    refused = client.post("/notes", json={"text": "hi"})
    accepted = client.post("/notes", json={"text": "hi"}, headers={"X-CSRF-Token": token})

    assert refused.status_code == 400
    assert refused.is_json and "is missing" in refused.get_json()["error"]
    assert accepted.status_code == 200 and accepted.get_json() == {"count": 1}
    assert app.config["NOTES"] == ["note"]


def test_safe_methods_need_no_token(app: Flask) -> None:
    client = app.test_client()

    assert client.get("/auth/logout").status_code == 200
    assert client.head("/auth/login").status_code == 200


def test_submit_helper_sends_the_token(app: Flask) -> None:
    """The helper the other page tests use does what a browser does."""
    client = app.test_client()

    response = submit(client, "/auth/login", {"username": "alice", "password": PASSWORD})

    assert response.status_code == 303
