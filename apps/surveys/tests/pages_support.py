"""What the web pages' tests share: users logged in through the login form, the CSRF
token of a page, and checks of what every page must (not) contain."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from flask_plugboard.plugins.auth import User, register_user
from surveys_support import PASSWORD

_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def make_user(app: Flask, username: str, roles: tuple[str, ...] = ()) -> int:
    """Register ``username`` (password :data:`PASSWORD`); its id."""
    with app.app_context():
        user: User = register_user(username, PASSWORD, email=f"{username}@example.org", roles=roles)
        return user.id


def csrf(client: FlaskClient, path: str) -> str:
    """The CSRF token in the form of the page at ``path`` (GET with this client's session)."""
    response = client.get(path)
    match = _TOKEN.search(response.get_data(as_text=True))
    assert match, f"no csrf_token field on {path} ({response.status_code})"
    return match.group(1)


def login(client: FlaskClient, username: str, password: str = PASSWORD) -> TestResponse:
    """Log ``client`` in through auth's login form; the 303 answer."""
    token = csrf(client, "/auth/login")
    response = client.post(
        "/auth/login",
        data={"username": username, "password": password, "csrf_token": token},
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    return response


def logged_in(app: Flask, username: str, roles: tuple[str, ...] = ()) -> FlaskClient:
    """A new client of ``app``, logged in as the new user ``username``."""
    make_user(app, username, roles)
    client = app.test_client()
    login(client, username)
    return client


def assert_no_inline_code(html: str) -> None:
    """The page has no inline script, no <style>, no style= and no on*= handler (the CSP
    would block them)."""
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline <script>"
    assert "<style" not in html, "<style> element"
    assert not re.search(r"\sstyle=", html), "style= attribute"
    assert not re.search(r"\son[a-z]+=", html), "on*= handler"
