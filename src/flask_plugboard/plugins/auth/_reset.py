"""Forgotten passwords: a single-use, time-limited reset link sent by e-mail.

The link carries a random token; only its SHA-256 is stored (a copy of the table opens no
account). It works once, for AUTH_RESET_MAX_AGE seconds, and dies early when the password
changes by any means. Using it sets the new password, which ends every session and token
of the user (:func:`~._service.set_password`).

Whoever asks gets the same answer whether or not the address has an account, after the
same work: the request only queues a job (see _outbox); the mail thread finds the
account, issues the token and sends the mail. Only the log tells (a failed send is
logged as an error, with the reason).

The link is built from AUTH_PUBLIC_URL when set, else from SERVER_NAME, else from the
request's host, which the client chooses: outside development, auth refuses to send a
link unless AUTH_PUBLIC_URL, SERVER_NAME or TRUSTED_HOSTS pins the host (no link to
another site with a live token).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import logging
import secrets
from typing import Any, cast
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Flask, current_app, has_request_context, request, url_for

from flask_plugboard.db import session

from ._errors import AuthError
from ._mail import MailError, send_mail
from ._models import ResetToken, User, utcnow
from ._secret_key import is_development
from ._service import find_user, set_password
from ._settings import AuthSettings
from ._state import get_auth_state

__all__ = [
    "InvalidResetLinkError",
    "flush_mail",
    "issue_reset_token",
    "request_password_reset",
    "reset_password",
    "reset_token_user",
]

logger = logging.getLogger("flask_plugboard.plugins.auth")

SUBJECT = "Reset your password"


class InvalidResetLinkError(AuthError):
    """The reset link is unknown, used, expired, or older than the password."""


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclasses.dataclass(frozen=True)
class _Live:
    token: ResetToken
    user: User


def _live(token: str) -> _Live | None:
    if not isinstance(token, str) or not token or len(token) > 128:
        return None
    found = (
        session()
        .execute(
            sa.select(ResetToken, User)
            .join(User, User.id == ResetToken.user_id)
            .where(ResetToken.token_hash == _hash(token))
        )
        .one_or_none()
    )
    if found is None:
        return None
    row, user = found
    if (
        row.used_at is not None
        or row.expires_at <= utcnow()
        or not user.is_active
        or user.password_changed_at > row.created_at
    ):
        return None
    return _Live(row, user)


def issue_reset_token(user: User) -> str:
    """Store a new reset token for ``user`` and return it (to put in a link). Commits."""
    now = utcnow()
    max_age = get_auth_state().settings.reset_max_age
    token = secrets.token_urlsafe(32)
    db = session()
    try:
        db.execute(
            sa.delete(ResetToken).where(ResetToken.expires_at <= now),
            execution_options={"synchronize_session": False},
        )
        db.add(
            ResetToken(
                token_hash=_hash(token),
                user_id=user.id,
                created_at=now,
                expires_at=now + dt.timedelta(seconds=max_age),
            )
        )
        db.commit()
    except BaseException:
        db.rollback()
        raise
    return token


def reset_token_user(token: str) -> User | None:
    """The user a live reset token belongs to, or None (unknown, used, expired...)."""
    live = _live(token)
    return None if live is None else live.user


def reset_password(token: str, password: str) -> User:
    """Use the reset ``token`` to give its user ``password``; the token is then spent.

    Raises :class:`InvalidResetLinkError` for a dead token and
    :class:`~._errors.PasswordPolicyError` for a refused password (the token stays live).
    """
    live = _live(token)
    if live is None:
        raise InvalidResetLinkError(
            "this reset link is not valid: it was used already, has expired, or the "
            "password changed since; ask for a new one"
        )
    user = live.user
    get_auth_state().policy.check(password, username=user.username, email=user.email)
    db = session()
    # Spent first, atomically: of two requests racing with one link, one wins.
    result = db.execute(
        sa.update(ResetToken)
        .where(ResetToken.id == live.token.id, ResetToken.used_at.is_(None))
        .values(used_at=utcnow()),
        execution_options={"synchronize_session": False},
    )
    db.commit()
    if cast("sa.CursorResult[Any]", result).rowcount != 1:
        raise InvalidResetLinkError("this reset link was used a moment ago: ask for a new one")
    return set_password(user, password)


def _duration(seconds: int) -> str:
    if seconds % 3600 == 0:
        hours = seconds // 3600
        return f"{hours} hour{'s' if hours != 1 else ''}"
    minutes = max(1, seconds // 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def reset_mail_body(user: User, link: str, expires_at: dt.datetime, max_age: int) -> str:
    """The text of the reset e-mail."""
    return (
        f"Hello {user.username},\n\n"
        "Someone, hopefully you, asked for a new password for your account. Choose one "
        "here:\n\n"
        f"{link}\n\n"
        f"The link works once, and only for {_duration(max_age)} (until "
        f"{expires_at:%Y-%m-%d %H:%M} UTC).\n"
        "If you did not ask for this, ignore this e-mail: your password stays as it is.\n"
    )


def request_password_reset(address: str) -> None:
    """Queue a reset link for ``address``: the mail thread sends it when an active
    account has the address, else does nothing.

    The request does the same work either way (it queues one job) and never learns
    which; failures to send are logged, not raised. :func:`flush_mail` waits for the
    queue.
    """
    state = get_auth_state()
    base = _link_base(state.settings)
    job = functools.partial(_send_reset, address if isinstance(address, str) else "", base)
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if not state.outbox.put(app, job):
        logger.error(
            "a password-reset e-mail was dropped: the mail queue is full "
            "(AUTH_MAIL_QUEUE_SIZE = %d); is the mail server slow or down?",
            state.settings.mail_queue_size,
        )


def flush_mail(app: Flask | None = None, timeout: float = 10.0) -> bool:
    """Wait up to ``timeout`` seconds until the mail queued by ``app`` (default: the
    current app) in this process is sent or given up; True when the queue is empty.

    For tests and for scripts that queue mail and then exit.
    """
    return get_auth_state(app).outbox.flush(timeout)


def _link_base(settings: AuthSettings) -> str | None:
    """Where the link will point: AUTH_PUBLIC_URL; else "" for SERVER_NAME (the app
    builds it); else this request's root when its host is trusted; else None (no link).

    The request's root is read here, while there is a request: the mail thread has none.
    """
    if settings.public_url:
        return settings.public_url
    config = current_app.config
    if config.get("SERVER_NAME"):
        return ""
    trusted = bool(config.get("TRUSTED_HOSTS")) or is_development(
        current_app, settings.environment
    )
    if trusted and has_request_context():
        return request.url_root  # TRUSTED_HOSTS refuses (400) any other host
    return None


def _reset_link(token: str, base: str) -> str:
    if not base:
        return url_for("auth.reset", token=token, _external=True)
    parts = urlsplit(base)
    adapter = current_app.url_map.bind(
        parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme
    )
    return adapter.build("auth.reset", {"token": token}, force_external=True)


def _send_reset(address: str, base: str | None) -> None:
    """In the mail thread: issue a token and send the link, when the address has an
    active account."""
    settings = get_auth_state().settings
    user = find_user(address) if "@" in address else None
    if user is None or not user.is_active or not user.email:
        logger.info("password reset asked for an address without an active account")
        return
    if base is None:
        logger.error(
            "not sending a password-reset e-mail to user %r: the link would name the host "
            "the client sent (Host header); set AUTH_PUBLIC_URL to this site's address "
            "(PUBLIC_URL for the survey service), or SERVER_NAME, or TRUSTED_HOSTS",
            user.username,
        )
        return
    token = issue_reset_token(user)
    link = _reset_link(token, base)
    expires_at = utcnow() + dt.timedelta(seconds=settings.reset_max_age)
    body = reset_mail_body(user, link, expires_at, settings.reset_max_age)
    try:
        send_mail(user.email, SUBJECT, body)
    except MailError as exc:
        logger.error("could not send the password-reset e-mail to user %r: %s", user.username, exc)
        return
    # An app's own sender may fail in its own way: logged, and the page answers the same.
    except Exception:
        logger.exception(
            "could not send the password-reset e-mail to user %r: the mail sender failed",
            user.username,
        )
        return
    logger.info("sent a password-reset e-mail to user %r", user.username)
