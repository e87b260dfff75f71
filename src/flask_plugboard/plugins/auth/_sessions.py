"""Browser sessions kept on the server: logging out really ends them.

Logging in creates an :class:`~._models.AuthSession` row and puts a random key in the
Flask session cookie; only the key's SHA-256 is stored. Each request with such a cookie is
checked against the row, so deleting the row (log out, log out everywhere, a new password,
deactivation) makes every copy of the cookie worthless at once. A request whose cookie has
no key costs no query.

Expiry is decided on the server: a session without remember-me ends
AUTH_SESSION_LIFETIME seconds after login or AUTH_SESSION_IDLE_TIMEOUT seconds after its
last request, whichever comes first (and when the browser closes: its cookie has no
expiry); a remember-me session ends AUTH_REMEMBER_LIFETIME seconds after login.
``last_seen_at`` is written at most once a minute per session, in its own short
transaction, so it never commits (or waits on) the view's work.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
from collections.abc import Mapping
from typing import Any, cast

import sqlalchemy as sa
from flask import Flask, Request, current_app, request
from flask import session as flask_session
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from flask_plugboard.db import session as db_session
from flask_plugboard.errors import SettingsError

from ._csrf import rotate_csrf_token
from ._identity import add_identity_source, current_request, current_user, set_current_user
from ._mail import parse_mail_url
from ._models import AuthSession, User, utcnow
from ._secret_key import is_development
from ._service import log_out_everywhere
from ._settings import AuthSettings
from ._state import IdentitySource, get_auth_state

__all__ = [
    "SESSION_KEY",
    "current_key_hash",
    "has_browser_session",
    "install_sessions",
    "log_in",
    "log_out",
    "log_out_other_sessions",
    "user_sessions",
]

logger = logging.getLogger("flask_plugboard.plugins.auth")

#: Where the session key is kept in the Flask session.
SESSION_KEY = "_plugboard_auth"
#: ``last_seen_at`` is written when it is older than this: not on every request.
TOUCH_EVERY = dt.timedelta(seconds=60)

_MAX_USER_AGENT = 255
_MAX_ADDRESS = 45


def install_sessions(app: Flask, settings: AuthSettings) -> None:
    """Secure cookie defaults, and the browser session as a source of the current user."""
    _cookie_defaults(app, settings)
    if (
        settings.pages
        and parse_mail_url(settings.mail_url).scheme == "log"
        and not is_development(app, settings.environment)
    ):
        raise SettingsError(
            "AUTH_MAIL_URL sends mail to the log, which would hold every live "
            "password-reset link: not safe in production. Set it to your SMTP server "
            "(smtp://user:password@mail.example.org:587), or AUTH_ENVIRONMENT = "
            "'development' on a developer machine"
        )
    add_identity_source(app, _session_source(settings))


def _cookie_defaults(app: Flask, settings: AuthSettings) -> None:
    # Flask's config always holds these keys with Flask's defaults, so "setdefault" here
    # means: replace a value only while it still is Flask's default. (HttpOnly is on by
    # Flask's default already.)
    defaults = Flask.default_config
    config = app.config
    if config.get("SESSION_COOKIE_SAMESITE") == defaults["SESSION_COOKIE_SAMESITE"]:
        config["SESSION_COOKIE_SAMESITE"] = "Lax"
    if (
        not is_development(app, settings.environment)
        and config.get("SESSION_COOKIE_SECURE") == defaults["SESSION_COOKIE_SECURE"]
    ):
        config["SESSION_COOKIE_SECURE"] = True
    if config.get("PERMANENT_SESSION_LIFETIME") == defaults["PERMANENT_SESSION_LIFETIME"]:
        # A remember-me cookie lasts as long as the server keeps its session.
        config["PERMANENT_SESSION_LIFETIME"] = dt.timedelta(seconds=settings.remember_lifetime)


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def is_expired(row: AuthSession, settings: AuthSettings, now: dt.datetime) -> bool:
    """Whether the session ``row`` has ended at ``now`` (absolute or idle timeout)."""
    if now >= row.expires_at:
        return True
    idle = dt.timedelta(seconds=settings.session_idle_timeout)
    return not row.remember and now - row.last_seen_at > idle


def _cookie_data(req: Request) -> Mapping[str, Any]:
    if req is current_request():
        return flask_session
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    return app.session_interface.open_session(app, req) or {}


def _session_source(settings: AuthSettings) -> IdentitySource:
    """The identity source of browser sessions: the user whose live session a request has."""

    def source(req: Request) -> User | None:
        key = _cookie_data(req).get(SESSION_KEY)
        if not isinstance(key, str) or not key:
            return None
        now = utcnow()
        db = db_session()
        found = db.execute(
            sa.select(AuthSession, User)
            .join(User, User.id == AuthSession.user_id)
            .where(AuthSession.key_hash == _hash(key))
        ).one_or_none()
        if found is None:
            _forget(req)
            return None
        row, user = found
        # A session older than the password (a login racing a password change) is dead too.
        if is_expired(row, settings, now) or user.password_changed_at > row.created_at:
            _bookkeep(sa.delete(AuthSession).where(AuthSession.id == row.id))
            _forget(req)
            return None
        if now - row.last_seen_at >= TOUCH_EVERY:
            _bookkeep(
                sa.update(AuthSession)
                .where(AuthSession.id == row.id)
                .values(last_seen_at=now)
                .execution_options(synchronize_session=False)
            )
        return user

    return source


def _forget(req: Request) -> None:
    """Drop a dead key from the cookie, so later requests skip the query."""
    if req is current_request():
        flask_session.pop(SESSION_KEY, None)


def _bookkeep(statement: sa.Executable) -> None:
    """Run ``statement`` in its own transaction: it never commits the view's changes."""
    bind = db_session().get_bind(AuthSession)
    engine = bind if isinstance(bind, sa.Engine) else bind.engine
    try:
        with engine.begin() as conn:
            conn.execute(statement)
    except SQLAlchemyError as exc:  # best effort: the next request tries again
        logger.warning("could not update a browser session record: %s", exc)


def current_key_hash() -> str | None:
    """The stored hash of this browser's session key, or None when it has none."""
    key = flask_session.get(SESSION_KEY)
    return _hash(key) if isinstance(key, str) and key else None


def has_browser_session() -> bool:
    """True when the request carries a browser session of auth's (a login cookie).

    A view that also takes tokens checks CSRF when this is true and the request has no
    ``Authorization`` header: the cookie is sent by the browser on its own, so another
    page could make it send a change.
    """
    return bool(flask_session.get(SESSION_KEY))


def log_in(user: User, remember: bool = False) -> AuthSession:
    """Start a browser session for ``user`` in this response's cookie.

    Whatever the Flask session held is cleared first (no session fixation), and the CSRF
    token changes. With ``remember`` the cookie outlives the browser, for
    AUTH_REMEMBER_LIFETIME; without it, it is a session cookie. Commits.
    """
    settings = get_auth_state().settings
    now = utcnow()
    lifetime = settings.remember_lifetime if remember else settings.session_lifetime
    key = secrets.token_urlsafe(32)
    agent = request.user_agent.string or None
    row = AuthSession(
        key_hash=_hash(key),
        user_id=user.id,
        remember=remember,
        created_at=now,
        last_seen_at=now,
        expires_at=now + dt.timedelta(seconds=lifetime),
        user_agent=agent[:_MAX_USER_AGENT] if agent else None,
        address=(request.remote_addr or "")[:_MAX_ADDRESS] or None,
    )
    previous = current_key_hash()
    db = db_session()
    try:
        _prune(db, now, settings)
        if previous is not None:  # logging in again replaces this browser's session
            db.execute(
                sa.delete(AuthSession).where(AuthSession.key_hash == previous),
                execution_options={"synchronize_session": False},
            )
        db.add(row)
        db.commit()
    except BaseException:
        db.rollback()
        raise
    flask_session.clear()
    flask_session[SESSION_KEY] = key
    flask_session.permanent = remember
    rotate_csrf_token()
    set_current_user(user)
    return row


def _prune(db: Session, now: dt.datetime, settings: AuthSettings) -> None:
    """Delete every session that has ended (index on ``expires_at``): keeps the table small."""
    idle_start = now - dt.timedelta(seconds=settings.session_idle_timeout)
    db.execute(
        sa.delete(AuthSession).where(
            sa.or_(
                AuthSession.expires_at <= now,
                sa.and_(AuthSession.remember.is_(False), AuthSession.last_seen_at < idle_start),
            )
        ),
        execution_options={"synchronize_session": False},
    )


def log_out(everywhere: bool = False) -> None:
    """End this browser's session: its record is deleted, the cookie emptied.

    ``everywhere``: end every session and make every token of the user useless too
    (:func:`~._service.log_out_everywhere`).
    """
    user = current_user()
    key_hash = current_key_hash()
    if everywhere and user is not None:
        log_out_everywhere(user)
    elif key_hash is not None:
        db = db_session()
        db.execute(
            sa.delete(AuthSession).where(AuthSession.key_hash == key_hash),
            execution_options={"synchronize_session": False},
        )
        db.commit()
    flask_session.clear()
    set_current_user(None)


def log_out_other_sessions(user: User) -> int:
    """End every session of ``user`` but this browser's; returns how many ended."""
    query = sa.delete(AuthSession).where(AuthSession.user_id == user.id)
    key_hash = current_key_hash()
    if key_hash is not None:
        query = query.where(AuthSession.key_hash != key_hash)
    db = db_session()
    result = db.execute(query, execution_options={"synchronize_session": False})
    db.commit()
    return cast("sa.CursorResult[Any]", result).rowcount


def user_sessions(user: User) -> list[AuthSession]:
    """The live sessions of ``user``, the most recently used first."""
    settings = get_auth_state().settings
    now = utcnow()
    rows = db_session().scalars(
        sa.select(AuthSession)
        .where(AuthSession.user_id == user.id)
        .order_by(AuthSession.last_seen_at.desc(), AuthSession.id.desc())
    )
    return [row for row in rows if not is_expired(row, settings, now)]
