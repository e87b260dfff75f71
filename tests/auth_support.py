"""What the auth plugin's tests share: a password that passes the policy, fast argon2
parameters, and an app factory. The fixtures ``auth_database`` and ``make_auth_app``
(in conftest.py) build on it."""

from __future__ import annotations

import contextlib
import email
import email.policy
import re
import socket
import time
from collections.abc import Callable, Iterator, Sequence
from email.message import EmailMessage
from pathlib import Path
from typing import Any, cast

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

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
    instance.mkdir(parents=True, exist_ok=True)
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


# -- pages: forms with their CSRF token ---------------------------------------------------

_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def form_token(client: FlaskClient, path: str = "/auth/login") -> str:
    """The CSRF token of the form that ``path`` shows to this client."""
    html = client.get(path).get_data(as_text=True)
    match = _TOKEN.search(html)
    assert match is not None, f"{path} shows no form with a csrf_token"
    return match.group(1)


def submit(
    client: FlaskClient, path: str, data: dict[str, str], form_path: str | None = None
) -> TestResponse:
    """POST ``data`` to ``path`` as a browser would: with the token of ``form_path``'s form."""
    token = form_token(client, form_path or path.partition("?")[0])
    return client.post(path, data={**data, "csrf_token": token})


def log_in(
    client: FlaskClient, username: str = "alice", password: str = PASSWORD, remember: bool = False
) -> TestResponse:
    """Log ``client`` in through the login page."""
    data = {"username": username, "password": password}
    if remember:
        data["remember"] = "1"
    return submit(client, "/auth/login", data)


# -- a real SMTP server -------------------------------------------------------------------


class Inbox:
    """The messages a local SMTP server (aiosmtpd) received, and its AUTH_MAIL_URL."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.messages: list[EmailMessage] = []

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def wait(self, count: int = 1, timeout: float = 15.0) -> list[EmailMessage]:
        """The messages, once ``count`` have arrived (reset mail leaves from a queue, after
        the page answered) or ``timeout`` seconds have passed."""
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.messages

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append(cast(EmailMessage, message))
        return "250 Message accepted"


def free_port() -> int:
    """A TCP port nobody listens on now (aiosmtpd's Controller needs one up front)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def smtp_server(**smtp_options: Any) -> Iterator[Inbox]:
    """Run an SMTP server on 127.0.0.1 and a free port while the block runs."""
    from aiosmtpd.controller import Controller

    inbox = Inbox(free_port())
    controller = Controller(inbox, hostname="127.0.0.1", port=inbox.port, **smtp_options)
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()


def reset_link(message: EmailMessage) -> str:
    """The password-reset link in a reset e-mail."""
    body = message.get_body(("plain",))
    assert body is not None
    match = re.search(r"https?://\S+/auth/reset/\S+", body.get_content())
    assert match is not None, "no reset link in the e-mail"
    return match.group(0)
