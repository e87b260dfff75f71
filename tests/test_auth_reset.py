"""Forgotten passwords against a real SMTP server (aiosmtpd on 127.0.0.1), on SQLite and
the real PostgreSQL: the mail and its link, single use, expiry, the same answer for every
address, a mail server that is down, and AUTH_MAIL_URL checked at start-up."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from aiosmtpd.smtp import AuthResult, LoginPassword
from flask import Flask, g
from flask.testing import FlaskClient

from auth_support import (
    PASSWORD,
    Inbox,
    MakeAuthApp,
    auth_app,
    dispose,
    form_token,
    free_port,
    log_in,
    reset_link,
    smtp_server,
    submit,
)
from flask_plugboard.db import get_db, session
from flask_plugboard.errors import PluginFailure, SettingsError
from flask_plugboard.plugins.auth import deactivate, flush_mail, register_user, set_password
from flask_plugboard.plugins.auth._mail import MailURL, parse_mail_url, set_mail_sender
from flask_plugboard.plugins.auth._models import ResetToken, utcnow

NEW_PASSWORD = "seven green kites over Porto"
LOGGER = "flask_plugboard.plugins.auth"


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    with smtp_server() as box:
        yield box


def prepare(app: Flask, users: bool = True) -> Flask:
    @app.get("/me")
    def me() -> str:
        return g.user.username if g.user is not None else "nobody"

    if users:
        with app.app_context():
            register_user("alice", PASSWORD, email="alice@example.org")
    return app


@pytest.fixture
def app(make_auth_app: MakeAuthApp, inbox: Inbox) -> Flask:
    return prepare(make_auth_app(AUTH_MAIL_URL=inbox.url, AUTH_MAIL_SENDER="accounts@example.org"))


def whoami(client: FlaskClient) -> str:
    return client.get("/me").get_data(as_text=True)


def forgot(client: FlaskClient, address: str) -> Any:
    """Ask for a reset link; the answer once the mail thread is done with it."""
    response = submit(client, "/auth/forgot", {"email": address})
    assert flush_mail(client.application), "the mail queue did not empty"
    return response


def path_of(link: str) -> str:
    return urlsplit(link).path


def choose(client: FlaskClient, link: str, password: str, confirm: str | None = None) -> Any:
    data = {"password": password, "confirm": confirm if confirm is not None else password}
    # The form's token is the session's: take it from a page that shows a form even when
    # the link is dead.
    return submit(client, path_of(link), data, form_path="/auth/forgot")


def only_message(inbox: Inbox) -> EmailMessage:
    assert len(inbox.messages) == 1, [m["Subject"] for m in inbox.messages]
    return inbox.messages[0]


# -- the whole way ------------------------------------------------------------------------


def test_the_reset_mail_arrives_and_its_link_sets_a_new_password(app: Flask, inbox: Inbox) -> None:
    elsewhere = app.test_client()
    log_in(elsewhere)  # logged in on another device
    client = app.test_client()

    response = forgot(client, "ALICE@example.org")

    assert response.status_code == 200
    assert "If an account has the address" in response.get_data(as_text=True)
    message = only_message(inbox)
    assert message["Subject"] == "Reset your password"
    assert message["To"] == "alice@example.org"
    assert message["From"] == "accounts@example.org"
    body = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    link = reset_link(message)
    assert link.startswith("http://localhost/auth/reset/")
    assert "works once, and only for 1 hour" in body and "Hello alice" in body

    form = client.get(path_of(link))
    done = choose(client, link, NEW_PASSWORD)

    assert form.status_code == 200 and "Choose a new password" in form.get_data(as_text=True)
    assert done.status_code == 303 and done.headers["Location"] == "/auth/login"
    assert "Log in with the new password" in client.get("/auth/login").get_data(as_text=True)
    assert whoami(elsewhere) == "nobody"  # every session ended with the old password
    assert log_in(app.test_client(), "alice", PASSWORD).status_code == 400
    assert log_in(app.test_client(), "alice", NEW_PASSWORD).status_code == 303


def test_a_link_works_once(app: Flask, inbox: Inbox) -> None:
    client = app.test_client()
    forgot(client, "alice@example.org")
    link = reset_link(only_message(inbox))
    choose(client, link, NEW_PASSWORD)

    again = choose(client, link, "an attacker's new password")

    assert again.status_code == 400
    assert "This link does not work" in again.get_data(as_text=True)
    assert client.get(path_of(link)).status_code == 400
    assert log_in(app.test_client(), "alice", NEW_PASSWORD).status_code == 303


def test_an_expired_link_is_refused(app: Flask, inbox: Inbox) -> None:
    client = app.test_client()
    forgot(client, "alice@example.org")
    link = reset_link(only_message(inbox))
    with app.app_context():
        session().execute(
            sa.update(ResetToken).values(expires_at=utcnow() - dt.timedelta(seconds=1))
        )
        session().commit()

    assert client.get(path_of(link)).status_code == 400
    assert choose(client, link, NEW_PASSWORD).status_code == 400
    assert log_in(app.test_client(), "alice", PASSWORD).status_code == 303


def test_a_link_dies_when_the_password_changes_another_way(app: Flask, inbox: Inbox) -> None:
    client = app.test_client()
    forgot(client, "alice@example.org")
    link = reset_link(only_message(inbox))

    with app.app_context():
        set_password("alice", NEW_PASSWORD)

    assert choose(client, link, "an attacker's new password").status_code == 400
    assert log_in(app.test_client(), "alice", NEW_PASSWORD).status_code == 303


def test_the_max_age_is_a_setting(make_auth_app: MakeAuthApp, inbox: Inbox) -> None:
    app = prepare(make_auth_app(AUTH_MAIL_URL=inbox.url, AUTH_RESET_MAX_AGE=600))

    forgot(app.test_client(), "alice@example.org")

    body = only_message(inbox).get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "only for 10 minutes" in body
    with app.app_context():
        token = session().scalars(sa.select(ResetToken)).one()
    assert token.expires_at - token.created_at == dt.timedelta(minutes=10)
    assert len(token.token_hash) == 64 and token.token_hash not in reset_link(only_message(inbox))


# -- the same answer for everyone ---------------------------------------------------------


def test_unknown_and_deactivated_addresses_get_the_same_answer_and_no_mail(
    app: Flask, inbox: Inbox
) -> None:
    with app.app_context():
        register_user("carol", PASSWORD, email="carol@example.org")
        deactivate("carol")

    def answer(address: str) -> tuple[int, str]:
        response = forgot(app.test_client(), address)
        return response.status_code, response.get_data(as_text=True).replace(address, "ADDR")

    known = answer("alice@example.org")
    unknown = answer("nobody@example.org")
    deactivated = answer("carol@example.org")

    assert known == unknown == deactivated
    assert [m["To"] for m in inbox.messages] == ["alice@example.org"]


@pytest.mark.parametrize("address", ["", "alice", "   "])
def test_the_forgot_form_wants_an_address(app: Flask, inbox: Inbox, address: str) -> None:
    response = forgot(app.test_client(), address)

    assert response.status_code == 400
    assert "Enter the e-mail address of your account" in response.get_data(as_text=True)
    assert inbox.messages == []


@pytest.mark.parametrize(
    ("password", "confirm", "message"),
    [
        (NEW_PASSWORD, "something else entirely", "The two passwords differ"),
        ("short", "short", "The password is too short"),
        ("", "", "Choose a password."),
    ],
)
def test_a_refused_new_password_keeps_the_link_usable(
    app: Flask, inbox: Inbox, password: str, confirm: str, message: str
) -> None:
    client = app.test_client()
    forgot(client, "alice@example.org")
    link = reset_link(only_message(inbox))

    refused = choose(client, link, password, confirm)

    assert refused.status_code == 400
    assert message in refused.get_data(as_text=True)
    assert choose(client, link, NEW_PASSWORD).status_code == 303


@pytest.mark.parametrize("token", ["not-a-token", "x" * 500, "%00"])
def test_made_up_links_are_refused(app: Flask, token: str) -> None:
    response = app.test_client().get(f"/auth/reset/{token}")

    assert response.status_code == 400
    assert "This link does not work" in response.get_data(as_text=True)


# -- when mail cannot go ------------------------------------------------------------------


def test_a_mail_server_that_is_down_gives_the_same_page_and_a_logged_error(
    make_auth_app: MakeAuthApp, caplog: pytest.LogCaptureFixture
) -> None:
    app = prepare(make_auth_app(AUTH_MAIL_URL=f"smtp://127.0.0.1:{free_port()}"))
    caplog.set_level(logging.INFO, LOGGER)

    response = forgot(app.test_client(), "alice@example.org")

    assert response.status_code == 200
    assert "If an account has the address" in response.get_data(as_text=True)
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1
    assert "could not send the password-reset e-mail to user 'alice'" in errors[0]
    assert "ConnectionRefusedError" in errors[0]
    assert "/auth/reset/" not in caplog.text  # the link is never logged


def test_smtp_credentials_from_the_url_are_used_and_never_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    def authenticate(
        server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        ok = isinstance(data, LoginPassword) and data == (b"mailer", b"p@ss:word")
        return AuthResult(success=ok, handled=False, auth_data=data)

    with smtp_server(authenticator=authenticate, auth_require_tls=False) as box:
        good = prepare(
            auth_app(
                tmp_path / "good",
                {"AUTH_MAIL_URL": f"smtp://mailer:p%40ss%3Aword@127.0.0.1:{box.port}"},
            )
        )
        bad = prepare(
            auth_app(
                tmp_path / "bad",
                {"AUTH_MAIL_URL": f"smtp://mailer:wrong-secret@127.0.0.1:{box.port}"},
            )
        )
        forgot(good.test_client(), "alice@example.org")
        forgot(bad.test_client(), "alice@example.org")

    assert len(box.messages) == 1
    assert "SMTPAuthenticationError" in caplog.text
    assert "wrong-secret" not in caplog.text and "p@ss:word" not in caplog.text
    dispose(good)
    dispose(bad)


def test_starttls_require_refuses_a_server_without_tls(
    make_auth_app: MakeAuthApp, inbox: Inbox, caplog: pytest.LogCaptureFixture
) -> None:
    app = prepare(make_auth_app(AUTH_MAIL_URL=f"{inbox.url}?starttls=require"))

    response = forgot(app.test_client(), "alice@example.org")

    assert response.status_code == 200
    assert inbox.messages == []
    assert "does not offer STARTTLS" in caplog.text


def test_log_url_writes_the_message_to_the_log(
    make_auth_app: MakeAuthApp, caplog: pytest.LogCaptureFixture
) -> None:
    app = prepare(make_auth_app(AUTH_MAIL_URL="log://"))

    forgot(app.test_client(), "alice@example.org")

    [record] = [r for r in caplog.records if "e-mail not sent" in r.getMessage()]
    assert record.levelno == logging.WARNING
    assert "Subject: Reset your password" in record.getMessage()
    assert "http://localhost/auth/reset/" in record.getMessage()


class ListSender:
    """A mail sender of the app's own (a queue, an HTTP API...): keeps what it is given."""

    def __init__(self) -> None:
        self.sent: list[EmailMessage] = []

    def send(self, message: EmailMessage) -> None:
        self.sent.append(message)


def test_an_app_can_bring_its_own_sender(make_auth_app: MakeAuthApp, inbox: Inbox) -> None:
    app = prepare(make_auth_app(AUTH_MAIL_URL=inbox.url))
    sender = ListSender()
    set_mail_sender(app, sender)

    forgot(app.test_client(), "alice@example.org")

    assert inbox.messages == []
    assert [m["Subject"] for m in sender.sent] == ["Reset your password"]


class BrokenSender:
    """A sender of the app's own whose backend is down."""

    def send(self, message: EmailMessage) -> None:
        raise RuntimeError("mail API answered 503")


def test_an_own_sender_that_fails_gives_the_same_page_and_a_logged_error(
    make_auth_app: MakeAuthApp, caplog: pytest.LogCaptureFixture
) -> None:
    app = prepare(make_auth_app())
    set_mail_sender(app, BrokenSender())

    response = forgot(app.test_client(), "alice@example.org")

    assert response.status_code == 200
    assert "If an account has the address" in response.get_data(as_text=True)
    [record] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert "the mail sender failed" in record.getMessage()
    assert "mail API answered 503" in caplog.text


def test_set_mail_sender_refuses_something_that_cannot_send(tmp_path: Path) -> None:
    app = auth_app(tmp_path)

    with pytest.raises(Exception, match="not a mail sender: give an object with a send"):
        set_mail_sender(app, "smtp://localhost")  # type: ignore[arg-type]
    dispose(app)


# -- the link's host ----------------------------------------------------------------------


def test_outside_development_links_need_a_pinned_host(
    make_auth_app: MakeAuthApp, inbox: Inbox, caplog: pytest.LogCaptureFixture
) -> None:
    loose = prepare(make_auth_app(AUTH_MAIL_URL=inbox.url, AUTH_ENVIRONMENT="production"))
    pinned = prepare(
        make_auth_app(
            AUTH_MAIL_URL=inbox.url,
            AUTH_ENVIRONMENT="production",
            SERVER_NAME="accounts.example.org",
        ),
        users=False,  # the same database as ``loose``
    )

    forged = loose.test_client().get("/auth/forgot", headers={"Host": "evil.io"})
    assert forged.status_code == 200
    loose_client = loose.test_client()
    loose_client.environ_base["HTTP_HOST"] = "evil.io"
    assert forgot(loose_client, "alice@example.org").status_code == 200
    forgot(pinned.test_client(), "alice@example.org")

    assert "set AUTH_PUBLIC_URL to this site's address" in caplog.text
    assert [urlsplit(reset_link(m)).netloc for m in inbox.messages] == ["accounts.example.org"]


# -- AUTH_MAIL_URL ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://mailer:hunter2-secret@mail.example.org", "has the scheme 'ftp'"),
        ("mail.example.org", "has the scheme '(none)'"),
        ("", "is empty"),
        ("smtp://", "names no host"),
        ("smtp://mailer:hunter2-secret@mail.example.org:99999", "port"),
        ("smtp://mail.example.org/inbox", "has a path"),
        ("smtp://mail.example.org?starttls=sometimes", "starttls='sometimes'"),
        ("smtps://mail.example.org?starttls=require", "starttls='require'"),
        ("smtp://mail.example.org?tls=1", "unknown option(s) tls"),
        ("log://somewhere", "has more than log://"),
    ],
)
def test_a_bad_mail_url_fails_at_start_up(tmp_path: Path, url: str, reason: str) -> None:
    with pytest.raises(PluginFailure) as info:
        auth_app(tmp_path, {"AUTH_MAIL_URL": url})

    message = str(info.value)
    assert "AUTH_MAIL_URL" in message and reason in message
    assert "expected smtp://[user:password@]host[:port]" in message and "log://" in message
    assert "hunter2-secret" not in message and "mailer" not in message
    assert isinstance(info.value.__cause__, SettingsError)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://localhost", MailURL("smtp", "localhost", 25)),
        (
            "smtp://me%40example.org:p%40ss@mail.example.org:587?starttls=require",
            MailURL("smtp", "mail.example.org", 587, "me@example.org", "p@ss", "require"),
        ),
        ("SMTP://relay.local?starttls=off", MailURL("smtp", "relay.local", 25, starttls="off")),
        ("smtps://mail.example.org", MailURL("smtps", "mail.example.org", 465)),
        ("log://", MailURL("log")),
    ],
)
def test_good_mail_urls_are_understood(url: str, expected: MailURL) -> None:
    parsed = parse_mail_url(url)

    assert parsed == expected
    assert "p@ss" not in repr(parsed) and "p@ss" not in str(parsed)


# -- the request queues, the mail thread sends ---------------------------------------------


class GatedSender:
    """Sends only once ``gate`` is open: shows what the request waited for."""

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.sent: list[EmailMessage] = []

    def send(self, message: EmailMessage) -> None:
        assert self.gate.wait(10), "the test never opened the gate"
        self.sent.append(message)


def _request_work(app: Flask, call: Any) -> tuple[list[str], int]:
    """The SQL statements and commits the request thread makes during ``call()`` (the
    mail thread's are left out)."""
    me = threading.get_ident()
    statements: list[str] = []
    commits: list[object] = []

    def note(conn: object, cursor: object, statement: str, *args: object) -> None:
        if threading.get_ident() == me:
            statements.append(statement)

    def commit(conn: object) -> None:
        if threading.get_ident() == me:
            commits.append(conn)

    with app.app_context():
        engine = get_db(app).engine
    sa.event.listen(engine, "before_cursor_execute", note)
    sa.event.listen(engine, "commit", commit)
    try:
        call()
    finally:
        sa.event.remove(engine, "before_cursor_execute", note)
        sa.event.remove(engine, "commit", commit)
    return statements, len(commits)


def test_the_page_answers_before_the_mail_goes_and_does_the_same_work_for_any_address(
    make_auth_app: MakeAuthApp,
) -> None:
    app = prepare(make_auth_app())
    sender = GatedSender()
    set_mail_sender(app, sender)
    client = app.test_client()
    token = form_token(client, "/auth/forgot")

    def ask(address: str) -> Any:
        return lambda: client.post("/auth/forgot", data={"email": address, "csrf_token": token})

    known = _request_work(app, ask("alice@example.org"))
    unknown = _request_work(app, ask("nobody@example.org"))

    assert known == unknown
    assert sender.sent == []  # the page answered while the mail still waited
    sender.gate.set()
    assert flush_mail(app)
    assert [m["To"] for m in sender.sent] == ["alice@example.org"]


def test_a_full_queue_drops_the_mail_and_says_so(
    make_auth_app: MakeAuthApp, caplog: pytest.LogCaptureFixture
) -> None:
    app = prepare(make_auth_app(AUTH_MAIL_QUEUE_SIZE=1))
    sender = GatedSender()
    set_mail_sender(app, sender)
    client = app.test_client()
    token = form_token(client, "/auth/forgot")
    for _ in range(4):  # one is sent (and waits), one is queued, the rest find it full
        page = client.post("/auth/forgot", data={"email": "alice@example.org", "csrf_token": token})
        assert page.status_code == 200

    assert "the mail queue is full (AUTH_MAIL_QUEUE_SIZE = 1)" in caplog.text
    sender.gate.set()
    assert flush_mail(app)
    assert 1 <= len(sender.sent) <= 2


# -- AUTH_PUBLIC_URL ---------------------------------------------------------------------


def test_links_are_built_from_the_public_url_whatever_the_client_sends(
    make_auth_app: MakeAuthApp, inbox: Inbox
) -> None:
    app = prepare(
        make_auth_app(
            AUTH_MAIL_URL=inbox.url,
            AUTH_ENVIRONMENT="production",
            AUTH_PUBLIC_URL="https://surveys.example.org/base/",
            PLUGBOARD_PROXIES=1,
        )
    )
    client = app.test_client()
    client.environ_base.update(
        HTTP_HOST="evil.io", HTTP_X_FORWARDED_HOST="evil.io", HTTP_X_FORWARDED_PREFIX="/evil"
    )

    forgot(client, "alice@example.org")

    link = reset_link(only_message(inbox))
    assert link.startswith("https://surveys.example.org/base/auth/reset/")


@pytest.mark.parametrize(
    "url", ["surveys.example.org", "ftp://surveys.example.org", "https://x@example.org", "https://"]
)
def test_a_bad_public_url_fails_at_start_up(tmp_path: Path, url: str) -> None:
    with pytest.raises(PluginFailure) as info:
        auth_app(tmp_path, {"AUTH_PUBLIC_URL": url})

    assert "AUTH_PUBLIC_URL" in str(info.value) and "http(s)://host" in str(info.value)
