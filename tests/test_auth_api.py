"""The auth plugin's JSON endpoints (SQLite and the real PostgreSQL): register and log in,
garbage in every field, the same answer for every refused login, the login limits."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from auth_support import PASSWORD, MakeAuthApp, form_token
from flask_plugboard.db import session
from flask_plugboard.plugins.auth import Auth, User, deactivate, find_user, register_user
from flask_plugboard.plugins.auth._state import get_auth_state
from flask_plugboard.plugins.ratelimit import RateLimit


@pytest.fixture
def app(make_auth_app: MakeAuthApp) -> Flask:
    app = make_auth_app()
    with app.app_context():
        register_user("alice", PASSWORD, email="alice@example.org")
    return app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def users(app: Flask) -> list[str]:
    with app.app_context():
        return sorted(session().scalars(sa.select(User.username)))


def post(client: FlaskClient, path: str, **kwargs: Any) -> tuple[int, Any]:
    response = client.post(f"/auth/api/{path}", **kwargs)
    return response.status_code, response.json


# -- register ------------------------------------------------------------------------------


def test_register_creates_the_user_who_can_then_log_in(app: Flask, client: FlaskClient) -> None:
    status, body = post(
        client,
        "register",
        json={"username": "Bob", "password": PASSWORD, "email": "bob@example.org"},
    )

    assert status == 201
    assert body == {"user": {"id": 2, "username": "Bob", "email": "bob@example.org", "roles": []}}
    status, body = post(client, "login", json={"username": "bob", "password": PASSWORD})
    assert status == 200 and body["user"]["username"] == "Bob"
    me = client.get("/auth/api/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.json == {"user": body["user"]}


def test_register_and_login_accept_form_bodies(client: FlaskClient) -> None:
    assert post(client, "register", data={"username": "bob", "password": PASSWORD})[0] == 201
    status, body = post(client, "login", data={"username": "bob", "password": PASSWORD})
    assert status == 200 and "access_token" in body


def test_register_answers_403_when_registration_is_off(make_auth_app: MakeAuthApp) -> None:
    app = make_auth_app(AUTH_REGISTRATION=False)

    status, body = post(
        app.test_client(), "register", json={"username": "bob", "password": PASSWORD}
    )
    assert status == 403
    assert "registration is closed" in body["error"]
    assert users(app) == []


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"username": "ALICE"}, "username", "the username 'ALICE' is taken (ignoring case)"),
        (
            {"username": "bob", "email": "Alice@Example.org"},
            "email",
            "the e-mail address 'Alice@Example.org' belongs to another user",
        ),
    ],
)
def test_a_taken_name_or_address_answers_409(
    app: Flask, client: FlaskClient, fields: dict[str, str], field: str, message: str
) -> None:
    status, body = post(client, "register", json={"password": PASSWORD, **fields})

    assert status == 409
    assert body["field"] == field and body["error"].startswith(message)
    assert users(app) == ["alice"]


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        ({"data": "hello", "content_type": "text/plain"}, None, "send the fields as JSON"),
        ({}, None, "send the fields as JSON"),
        ({"data": "{nope", "content_type": "application/json"}, None, "not a JSON object"),
        ({"json": ["alice", PASSWORD]}, None, "not a JSON object"),
        ({"json": {"password": PASSWORD}}, "username", "username is required"),
        ({"json": {"username": "bob"}}, "password", "password is required"),
        ({"json": {"username": 5, "password": PASSWORD}}, "username", "must be a string, not a"),
        ({"json": {"username": "bob", "password": ["x"]}}, "password", "not an array"),
        ({"json": {"username": "bob", "password": PASSWORD, "email": {}}}, "email", "an object"),
        ({"json": {"username": "b" * 10_000, "password": PASSWORD}}, "username", "too long"),
        ({"json": {"username": "bob", "password": "p" * 10_000}}, "password", "too long"),
        ({"json": {"username": "b o b", "password": PASSWORD}}, "username", "may not contain"),
        ({"json": {"username": "bob", "password": PASSWORD, "email": "bob"}}, "email", "like"),
        ({"json": {"username": "bob", "password": "short"}}, "password", "too short"),
        ({"json": {"username": "bob", "password": "password1234"}}, "password", "too common"),
    ],
)
def test_bad_registrations_answer_400_naming_the_field_and_write_nothing(
    app: Flask, client: FlaskClient, kwargs: dict[str, Any], field: str | None, message: str
) -> None:
    status, body = post(client, "register", **kwargs)

    assert status == 400
    assert body["field"] == field
    assert message in body["error"]
    assert users(app) == ["alice"]


def test_a_huge_body_is_refused_before_it_is_read(app: Flask, client: FlaskClient) -> None:
    status, body = post(client, "register", json={"username": "bob", "password": "p" * 100_000})

    assert status == 413 and "too large" in body["error"]
    assert users(app) == ["alice"]


def chunked(client: FlaskClient, path: str, body: bytes, content_type: str) -> tuple[int, Any]:
    """POST ``body`` without a Content-Length, as a server that de-chunks it passes it on."""
    return post(
        client,
        path,
        input_stream=io.BytesIO(body),
        headers={"Content-Type": content_type, "Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b'{"username": "alice", "password": "' + b"p" * 10_000_000 + b'"}', "application/json"),
        (b"username=alice&password=" + b"p" * 10_000_000, "application/x-www-form-urlencoded"),
    ],
)
def test_a_huge_body_without_a_content_length_is_cut_and_refused(
    app: Flask, client: FlaskClient, body: bytes, content_type: str
) -> None:
    assert chunked(client, "register", body, content_type)[0] == 413
    status, answer = chunked(client, "login", body, content_type)

    assert status == 413 and "too large" in answer["error"]
    assert users(app) == ["alice"]
    small = chunked(
        client,
        "login",
        b'{"username": "alice", "password": "%s"}' % PASSWORD.encode(),
        "application/json",
    )
    assert small[0] == 200


@pytest.mark.parametrize("path", ["login", "register"])
def test_json_nested_too_deep_for_the_parser_answers_400(
    make_auth_app: MakeAuthApp, path: str
) -> None:
    plain = make_auth_app()
    # With ratelimit, the per-account limit reads the body before the view does.
    limited = make_auth_app(plugins=(RateLimit, Auth), RATELIMIT_STORAGE_URL="memory://")
    nested = "[" * 50_000  # within the size limit, far past the parser's depth
    for app in (plain, limited):
        status, body = post(app.test_client(), path, data=nested, content_type="application/json")
        assert status == 400 and "not a JSON object" in body["error"]


def test_token_answers_are_never_cached(client: FlaskClient) -> None:
    login = client.post("/auth/api/login", json={"username": "alice", "password": PASSWORD})
    assert login.json is not None
    refreshed = client.post(
        "/auth/api/refresh", headers={"Authorization": f"Bearer {login.json['refresh_token']}"}
    )

    for response in (login, refreshed):
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["Pragma"] == "no-cache"


# -- login -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        ({"data": "x", "content_type": "text/plain"}, None, "send the fields as JSON"),
        ({"data": "[", "content_type": "application/json"}, None, "not a JSON object"),
        ({"json": {"password": PASSWORD}}, "username", "username (or email) is required"),
        ({"json": {"username": "alice"}}, "password", "password is required"),
        ({"json": {"username": 1, "password": PASSWORD}}, "username", "must be a string"),
        ({"json": {"email": True, "password": PASSWORD}}, "email", "not a boolean"),
        ({"json": {"username": "alice", "password": 1.5}}, "password", "must be a string"),
        ({"json": {"username": "a" * 300, "password": PASSWORD}}, "username", "too long"),
        ({"json": {"username": "alice", "password": "é" * 1000}}, "password", "1024 bytes"),
    ],
)
def test_bad_logins_answer_400_naming_the_field(
    client: FlaskClient, kwargs: dict[str, Any], field: str | None, message: str
) -> None:
    status, body = post(client, "login", **kwargs)

    assert status == 400
    assert body["field"] == field
    assert message in body["error"]


def test_login_by_email_address(client: FlaskClient) -> None:
    status, body = post(client, "login", json={"email": "ALICE@example.org", "password": PASSWORD})
    assert status == 200 and body["user"]["username"] == "alice"


def spy_on_argon2(app: Flask) -> list[str]:
    """Record every argon2 verification of ``app`` (real ones and the dummy)."""
    passwords = get_auth_state(app).passwords
    calls: list[str] = []
    verify, dummy = passwords.verify, passwords.dummy_verify

    def counted_verify(stored: str, password: str) -> Any:
        calls.append("verify")
        return verify(stored, password)

    def counted_dummy(password: str) -> None:
        calls.append("dummy")
        dummy(password)

    passwords.verify = counted_verify  # type: ignore[method-assign]
    passwords.dummy_verify = counted_dummy  # type: ignore[method-assign]
    return calls


def test_unknown_user_and_wrong_password_get_the_same_answer_and_work(
    app: Flask, client: FlaskClient
) -> None:
    calls = spy_on_argon2(app)

    unknown = client.post("/auth/api/login", json={"username": "nobody", "password": PASSWORD})
    assert calls == ["dummy"]
    calls.clear()
    wrong = client.post("/auth/api/login", json={"username": "alice", "password": "x" * 20})
    assert calls == ["verify"]

    assert unknown.status_code == wrong.status_code == 401
    assert unknown.get_data() == wrong.get_data()
    assert unknown.headers.get("Content-Type") == wrong.headers.get("Content-Type")
    assert unknown.json is not None and "wrong" in unknown.json["error"]


def test_a_locked_account_costs_an_argon2_check_like_an_unknown_user(
    make_auth_app: MakeAuthApp,
) -> None:
    app = make_auth_app(AUTH_LOCKOUT_ATTEMPTS=2)
    with app.app_context():
        register_user("alice", PASSWORD)
    client = app.test_client()
    for _ in range(2):
        post(client, "login", json={"username": "alice", "password": "x" * 20})
    calls = spy_on_argon2(app)

    locked = post(client, "login", json={"username": "alice", "password": PASSWORD})
    # An answer without the argon2 check would come back faster and tell that the
    # account exists: unknown names are never locked.
    assert locked[0] == 401 and calls == ["dummy"]


def test_a_deactivated_user_gets_the_same_401(app: Flask, client: FlaskClient) -> None:
    wrong = client.post("/auth/api/login", json={"username": "alice", "password": "x" * 20})
    with app.app_context():
        deactivate("alice")

    refused = client.post("/auth/api/login", json={"username": "alice", "password": PASSWORD})
    assert (refused.status_code, refused.get_data()) == (401, wrong.get_data())


def test_the_lockout_works_without_the_ratelimit_plugin(make_auth_app: MakeAuthApp) -> None:
    app = make_auth_app(AUTH_LOCKOUT_ATTEMPTS=3)
    with app.app_context():
        register_user("alice", PASSWORD)
    client = app.test_client()
    for _ in range(3):
        assert post(client, "login", json={"username": "alice", "password": "x" * 20})[0] == 401

    assert post(client, "login", json={"username": "alice", "password": PASSWORD})[0] == 401


@pytest.fixture
def limited(make_auth_app: MakeAuthApp) -> Callable[[], FlaskClient]:
    app = make_auth_app(
        plugins=(RateLimit, Auth),
        RATELIMIT_STORAGE_URL="memory://",
        AUTH_LOGIN_LIMIT_ACCOUNT="3/minute",
        AUTH_LOGIN_LIMIT_ADDRESS="5/minute",
        AUTH_LOCKOUT_ATTEMPTS=0,
    )
    with app.app_context():
        register_user("alice", PASSWORD, email="alice@example.org")
        register_user("bob", PASSWORD)
    return app.test_client


def attempt(client: FlaskClient, username: str, address: str, password: str = "x" * 20) -> int:
    response = client.post(
        "/auth/api/login",
        json={"username": username, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )
    return response.status_code


def test_the_per_account_limit_holds_across_addresses(
    limited: Callable[[], FlaskClient],
) -> None:
    client = limited()
    assert [attempt(client, "alice", f"192.0.2.{n}") for n in range(1, 5)] == [401, 401, 401, 429]
    # The right password is refused too, from yet another address: the account is limited.
    assert attempt(client, "ALICE", "192.0.2.9", PASSWORD) == 429
    assert attempt(client, "bob", "192.0.2.9", PASSWORD) == 200


def test_the_username_and_the_e_mail_address_share_one_account_budget(
    limited: Callable[[], FlaskClient],
) -> None:
    client = limited()
    names = ["alice", "Alice@Example.org", "alice", "alice@example.org"]
    codes = [attempt(client, name, f"203.0.113.{n}") for n, name in enumerate(names, 1)]
    assert codes == [401, 401, 401, 429]
    # An address that belongs to nobody has a budget of its own.
    assert attempt(client, "nobody@example.org", "203.0.113.9") == 401


def test_the_per_address_limit_holds_across_accounts(limited: Callable[[], FlaskClient]) -> None:
    client = limited()
    names = ["alice", "bob", "carol", "dave", "erin", "frank"]

    assert [attempt(client, name, "198.51.100.7") for name in names] == [401] * 5 + [429]
    assert attempt(client, "bob", "198.51.100.8", PASSWORD) == 200


# -- token cookies ---------------------------------------------------------------------------


def test_with_token_cookies_the_login_takes_json_only(make_auth_app: MakeAuthApp) -> None:
    """A form another site posts must not log the browser in as the other site's user."""
    app = make_auth_app(AUTH_TOKEN_LOCATION=["headers", "cookies"])
    with app.app_context():
        register_user("mallory", PASSWORD)
    browser = app.test_client()

    status, body = post(browser, "login", data={"username": "mallory", "password": PASSWORD})

    assert status == 415 and "JSON body only" in body["error"]
    assert browser.get_cookie("access_token_cookie") is None
    status, body = post(browser, "login", json={"username": "mallory", "password": PASSWORD})
    assert status == 200 and browser.get_cookie("access_token_cookie") is not None


def test_registrations_are_limited_per_address_on_the_page_and_the_api(
    make_auth_app: MakeAuthApp,
) -> None:
    app = make_auth_app(
        plugins=(RateLimit, Auth), RATELIMIT_STORAGE_URL="memory://", AUTH_REGISTER_LIMIT="2/minute"
    )
    client = app.test_client()
    here = {"REMOTE_ADDR": "192.0.2.1"}

    def api(name: str, environ: dict[str, str]) -> int:
        body = {"username": name, "password": PASSWORD}
        return client.post("/auth/api/register", json=body, environ_base=environ).status_code

    page = client.post(
        "/auth/register",
        data={
            "username": "bob",
            "email": "bob@example.org",
            "password": PASSWORD,
            "confirm": PASSWORD,
            "csrf_token": form_token(client, "/auth/register"),
        },
        environ_base=here,
    )
    assert page.status_code == 303
    assert [api("carol", here), api("dave", here)] == [201, 429]
    assert api("erin", {"REMOTE_ADDR": "192.0.2.2"}) == 201  # another address
    with app.app_context():
        assert find_user("dave") is None
