"""Forgotten passwords: a single-use, time-limited reset link sent by e-mail.

The link carries a random token; only its SHA-256 is stored (a copy of the table opens no
account). It works once, for AUTH_RESET_MAX_AGE seconds, and dies early when the password
changes by any means. Using it sets the new password, which ends every session and token
of the user (:func:`~._service.set_password`).

Whoever asks gets the same answer whether or not the address has an account; only the
log tells (a failed send is logged as an error, with the reason). The mail is sent
during the request, so an address with an account answers a little later: an app that
minds gives auth a queueing sender (:func:`~._mail.set_mail_sender`).

The link's host comes from SERVER_NAME when set, else from the request's Host header,
which the client chooses: outside development, auth refuses to send a link unless
SERVER_NAME or TRUSTED_HOSTS pins the host (no link to another site with a live token).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import logging
import secrets
from typing import Any, cast

import sqlalchemy as sa
from flask import current_app, url_for

from flask_plugboard.db import session

from ._errors import AuthError
from ._mail import MailError, send_mail
from ._models import ResetToken, User, utcnow
from ._secret_key import is_development
from ._service import find_user, set_password
from ._state import get_auth_state

__all__ = [
    "InvalidResetLinkError",
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


def _host_is_pinned() -> bool:
    config = current_app.config
    return bool(config.get("SERVER_NAME") or config.get("TRUSTED_HOSTS"))


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
    """Send a reset link to ``address`` when an active account has it; else do nothing.

    Never says which: a failure to send is logged, not raised.
    """
    settings = get_auth_state().settings
    user = find_user(address) if "@" in address else None
    if user is None or not user.is_active or not user.email:
        logger.info("password reset asked for an address without an active account")
        return
    if not (is_development(current_app, settings.environment) or _host_is_pinned()):
        logger.error(
            "not sending a password-reset e-mail to user %r: the link would name the host "
            "the client sent (Host header); set SERVER_NAME to this site's host name, or "
            "TRUSTED_HOSTS",
            user.username,
        )
        return
    token = issue_reset_token(user)
    link = url_for("auth.reset", token=token, _external=True)
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
