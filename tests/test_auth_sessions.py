"""Browser sessions on the server (SQLite and the real PostgreSQL): remember-me, logging
out for real, all devices, expiry, the cookie's flags, and no query without a login."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from email.utils import parsedate_to_datetime
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask, g
from flask.testing import FlaskClient

from auth_support import PASSWORD, MakeAuthApp, log_in, submit
from flask_plugboard.db import get_db, session
from flask_plugboard.plugins.auth import deactivate, delete_user, register_user
from flask_plugboard.plugins.auth._models import AuthSession, utcnow


def add_me(app: Flask) -> Flask:
    @app.get("/me")
    def me() -> str:
        return g.user.username if g.user is not None else "nobody"

    with app.app_context():
        register_user("alice", PASSWORD, email="alice@example.org")
        register_user("bob", PASSWORD, email="bob@example.org")
    return app


@pytest.fixture
def app(make_auth_app: MakeAuthApp) -> Iterator[Flask]:
    yield add_me(make_auth_app())


def browser(app: Flask, user_agent: str) -> FlaskClient:
    client = app.test_client()
    client.environ_base["HTTP_USER_AGENT"] = user_agent
    return client


def whoami(client: FlaskClient) -> str:
    return client.get("/me").get_data(as_text=True)


def copy_of(app: Flask, client: FlaskClient) -> FlaskClient:
    """Another browser holding a copy of ``client``'s session cookie."""
    cookie = client.get_cookie("session")
    assert cookie is not None
    thief = app.test_client()
    thief.set_cookie("session", cookie.value)
    return thief


def rows(app: Flask) -> list[AuthSession]:
    with app.app_context():
        return list(session().scalars(sa.select(AuthSession).order_by(AuthSession.id)))


def change_rows(app: Flask, **values: Any) -> None:
    with app.app_context():
        session().execute(sa.update(AuthSession).values(**values))
        session().commit()


def session_cookie(response: Any) -> str:
    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    assert len(cookies) == 1, cookies
    return str(cookies[0])


# -- logging in ---------------------------------------------------------------------------


def test_without_remember_me_the_cookie_ends_with_the_browser(app: Flask) -> None:
    client = app.test_client()

    cookie = session_cookie(log_in(client))

    assert "Expires=" not in cookie and "Max-Age" not in cookie
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert whoami(client) == "alice"
    [row] = rows(app)
    assert row.remember is False
    assert row.expires_at - row.created_at == dt.timedelta(hours=12)


def test_remember_me_sets_a_cookie_that_outlives_the_browser(app: Flask) -> None:
    client = app.test_client()

    cookie = session_cookie(log_in(client, remember=True))

    expires = parsedate_to_datetime(cookie.split("Expires=")[1].split(";")[0])
    assert expires > utcnow() + dt.timedelta(days=29)
    [row] = rows(app)
    assert row.remember is True
    assert row.expires_at - row.created_at == dt.timedelta(days=30)


def test_the_session_records_the_device_and_only_a_hash_of_the_key(app: Flask) -> None:
    client = browser(app, "Firefox/140 test")
    log_in(client)

    [row] = rows(app)
    cookie = client.get_cookie("session")
    assert cookie is not None
    with client.session_transaction() as data:
        key = data["_plugboard_auth"]
    assert row.user_agent == "Firefox/140 test" and row.address == "127.0.0.1"
    assert key not in row.key_hash and len(row.key_hash) == 64


def test_login_starts_a_fresh_session_and_replaces_this_browsers_old_one(app: Flask) -> None:
    client = app.test_client()
    with client.session_transaction() as data:
        data["planted"] = "by someone else"  # what a session fixation attack leaves
    log_in(client)
    first = rows(app)

    log_in(client, "bob")

    with client.session_transaction() as data:
        assert "planted" not in data
    assert whoami(client) == "bob"
    assert [r.user_id for r in rows(app)] != [r.user_id for r in first]
    assert len(rows(app)) == 1


# -- logging out --------------------------------------------------------------------------


def test_logging_out_ends_the_session_on_the_server_so_a_copied_cookie_is_dead(
    app: Flask,
) -> None:
    client = app.test_client()
    log_in(client)
    thief = copy_of(app, client)
    assert whoami(thief) == "alice"

    response = submit(client, "/auth/logout", {})

    assert response.status_code == 303
    assert whoami(client) == "nobody"
    assert whoami(thief) == "nobody"
    assert rows(app) == []


def test_logging_out_on_every_device_ends_them_all(app: Flask) -> None:
    laptop, phone, bobs = app.test_client(), app.test_client(), app.test_client()
    log_in(laptop)
    log_in(phone)
    log_in(bobs, "bob")

    submit(laptop, "/auth/logout", {"everywhere": "1"})

    assert (whoami(laptop), whoami(phone), whoami(bobs)) == ("nobody", "nobody", "bob")


@pytest.mark.parametrize("everywhere", [False, True])
def test_logging_out_ends_a_login_kept_in_token_cookies(
    make_auth_app: MakeAuthApp, everywhere: bool
) -> None:
    """With AUTH_TOKEN_LOCATION "cookies" a browser may log in with the JSON login: the
    logout page ends that login too, and a copy of the token cookie is dead."""
    app = add_me(make_auth_app(AUTH_TOKEN_LOCATION=["cookies"]))
    client, elsewhere = app.test_client(), app.test_client()
    for each in (client, elsewhere):
        login = each.post("/auth/api/login", json={"username": "alice", "password": PASSWORD})
        assert login.status_code == 200
    token = client.get_cookie("access_token_cookie")
    assert token is not None and whoami(client) == "alice"

    response = submit(client, "/auth/logout", {"everywhere": "1"} if everywhere else {})

    assert response.status_code == 303
    assert client.get_cookie("access_token_cookie") is None
    assert client.get_cookie("refresh_token_cookie", path="/auth/api/") is None
    thief = app.test_client()
    thief.set_cookie("access_token_cookie", token.value)
    assert whoami(thief) == "nobody"
    assert whoami(elsewhere) == ("nobody" if everywhere else "alice")


def test_the_sessions_page_lists_them_and_logs_out_the_other_devices(app: Flask) -> None:
    laptop, phone = browser(app, "Laptop browser"), browser(app, "Phone browser")
    log_in(laptop)
    log_in(phone, remember=True)

    page = laptop.get("/auth/sessions").get_data(as_text=True)
    response = submit(laptop, "/auth/sessions", {"action": "others"})

    assert "Laptop browser <strong>(this device)</strong>" in page
    assert "Phone browser" in page and "remembered" in page
    assert response.status_code == 303
    assert "Logged out 1 other session." in laptop.get("/auth/sessions").get_data(as_text=True)
    assert (whoami(laptop), whoami(phone)) == ("alice", "nobody")


def test_the_sessions_page_logs_out_every_device(app: Flask) -> None:
    laptop, phone = app.test_client(), app.test_client()
    log_in(laptop)
    log_in(phone)

    response = submit(laptop, "/auth/sessions", {"action": "all"})

    assert response.headers["Location"] == "/auth/login"
    assert (whoami(laptop), whoami(phone)) == ("nobody", "nobody")


def test_the_sessions_page_refuses_an_unknown_action(app: Flask) -> None:
    client = app.test_client()
    log_in(client)

    response = submit(client, "/auth/sessions", {"action": "explode"})

    assert response.status_code == 400
    assert "Unknown action &#39;explode&#39;" in response.get_data(as_text=True)
    assert whoami(client) == "alice"


# -- expiry -------------------------------------------------------------------------------


def test_a_session_ends_after_the_idle_timeout(app: Flask) -> None:
    client = app.test_client()
    log_in(client)
    change_rows(app, last_seen_at=utcnow() - dt.timedelta(hours=2, seconds=1))

    assert whoami(client) == "nobody"
    assert rows(app) == []


def test_a_session_ends_at_its_lifetime_even_when_in_use(app: Flask) -> None:
    client = app.test_client()
    log_in(client)
    change_rows(app, expires_at=utcnow() - dt.timedelta(seconds=1))

    assert whoami(client) == "nobody"
    assert rows(app) == []


def test_a_remembered_session_has_no_idle_timeout_but_ends_at_its_lifetime(app: Flask) -> None:
    client = app.test_client()
    log_in(client, remember=True)
    change_rows(app, last_seen_at=utcnow() - dt.timedelta(days=10))
    assert whoami(client) == "alice"

    change_rows(app, expires_at=utcnow() - dt.timedelta(seconds=1))
    assert whoami(client) == "nobody"


def test_the_timeouts_are_settings(make_auth_app: MakeAuthApp) -> None:
    app = add_me(
        make_auth_app(
            AUTH_SESSION_LIFETIME=600, AUTH_SESSION_IDLE_TIMEOUT=120, AUTH_REMEMBER_LIFETIME=3600
        )
    )
    short, long = app.test_client(), app.test_client()
    log_in(short)
    log_in(long, "bob", remember=True)

    lifetimes = {r.remember: r.expires_at - r.created_at for r in rows(app)}
    assert lifetimes == {False: dt.timedelta(minutes=10), True: dt.timedelta(hours=1)}
    change_rows(app, last_seen_at=utcnow() - dt.timedelta(seconds=121))
    assert (whoami(short), whoami(long)) == ("nobody", "bob")


def test_last_seen_is_written_at_most_once_a_minute(app: Flask) -> None:
    client = app.test_client()
    log_in(client)
    [row] = rows(app)

    whoami(client)
    assert rows(app)[0].last_seen_at == row.last_seen_at

    two_minutes_ago = utcnow() - dt.timedelta(minutes=2)
    change_rows(app, last_seen_at=two_minutes_ago)
    whoami(client)
    assert rows(app)[0].last_seen_at > two_minutes_ago + dt.timedelta(minutes=1)


# -- users that went away -----------------------------------------------------------------


@pytest.mark.parametrize("end", [deactivate, delete_user])
def test_a_session_of_a_deactivated_or_deleted_user_gives_nobody(app: Flask, end: Any) -> None:
    client = app.test_client()
    log_in(client)

    with app.app_context():
        end("alice")

    assert whoami(client) == "nobody"


def test_requests_without_a_login_cost_no_query(app: Flask) -> None:
    client = app.test_client()
    client.get("/auth/login")  # a session cookie, with a CSRF token but no login
    statements: list[str] = []
    with app.app_context():
        engine = get_db().engine

    def record(*args: Any) -> None:
        statements.append(str(args[2]))

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        assert whoami(client) == "nobody"
        assert whoami(app.test_client()) == "nobody"
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)

    assert statements == []


# -- cookie flags -------------------------------------------------------------------------


def test_production_cookies_are_secure(make_auth_app: MakeAuthApp) -> None:
    app = add_me(make_auth_app(AUTH_ENVIRONMENT="production"))

    response = log_in(app.test_client())

    cookie = session_cookie(response)
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_the_apps_own_cookie_settings_win(make_auth_app: MakeAuthApp) -> None:
    app = add_me(
        make_auth_app(
            AUTH_ENVIRONMENT="production",
            SESSION_COOKIE_SAMESITE="Strict",
            PERMANENT_SESSION_LIFETIME=dt.timedelta(days=3),
        )
    )

    cookie = session_cookie(log_in(app.test_client(), remember=True))

    assert "SameSite=Strict" in cookie
    expires = parsedate_to_datetime(cookie.split("Expires=")[1].split(";")[0])
    assert expires < utcnow() + dt.timedelta(days=4)
