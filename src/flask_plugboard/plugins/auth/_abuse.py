"""Limits on login attempts, per client address and per account, and on registrations
per client address, through ratelimit.

When the ratelimit plugin runs on the app, the login page and the JSON login count every
attempt twice: once by the client's address and once by the account tried (whatever
address it comes from), each failing closed (a 503 while the limit's storage is down, so
an outage never opens the door to guessing). Without ratelimit the decorators record
limits nobody reads, and the account lockout (AUTH_LOCKOUT_*) still applies.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import IO, Any, TypeVar, cast

import sqlalchemy as sa
from flask import Request
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wsgi import get_input_stream

from flask_plugboard.db import session

from ..ratelimit import limit
from ._models import User, normalise

__all__ = [
    "MAX_BODY",
    "account_key",
    "address_key",
    "body_cut_short",
    "cap_body",
    "login_limits",
    "register_limits",
]

F = TypeVar("F", bound=Callable[..., Any])

#: Most bytes auth reads of a request body: its forms and JSON bodies are a few hundred
#: bytes (the password's own limit is AUTH_PASSWORD_MAX_BYTES).
MAX_BODY = 64 * 1024
_MAX_KEY = 254


def cap_body(req: Request) -> None:
    """Read at most MAX_BODY bytes of ``req``'s body, also of one sent without a
    Content-Length (chunked). Call it before the body is read.

    A longer body with a Content-Length raises 413 when read; one without is cut at
    MAX_BODY bytes (Werkzeug's way), which :func:`body_cut_short` tells afterwards.
    """
    if req.max_content_length is not None and req.max_content_length <= MAX_BODY:
        return
    try:
        req.max_content_length = MAX_BODY  # settable from Flask 3.1
    except AttributeError:
        # Flask 3.0 has no per-request limit: give the request the stream Werkzeug makes
        # for that limit, before anything reads the body (413 at once for a Content-Length
        # over it; a chunked body cut at MAX_BODY).
        if "stream" not in req.__dict__:
            stream: IO[bytes]
            try:
                stream = get_input_stream(req.environ, max_content_length=MAX_BODY)
            except RequestEntityTooLarge:
                stream = cast("IO[bytes]", _TooLarge())
            req.__dict__["stream"] = stream


class _TooLarge(io.RawIOBase):
    """A body over MAX_BODY (by its Content-Length): 413 when read, as in Flask 3.1."""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        raise RequestEntityTooLarge()


def body_cut_short(req: Request) -> bool:
    """Whether ``req``'s body, sent without a Content-Length, was cut at MAX_BODY bytes."""
    return req.content_length is None and bool(getattr(req.stream, "is_exhausted", False))


def address_key(req: Request) -> str | None:
    """The client address of a login attempt (a POST); showing the form is not counted."""
    if req.method != "POST":
        return None
    return req.remote_addr or "unknown"


def account_key(req: Request) -> str | None:
    """The account a login attempt (a POST) tries: its username or e-mail, normalised.

    Read from the form or the JSON body; None (not counted) when the request names none
    or its body cannot be read, since such a request is refused before any password is
    checked.
    """
    if req.method != "POST":
        return None
    name: Any = None
    cap_body(req)
    try:
        if req.is_json:
            body = req.get_json(silent=True)
            if isinstance(body, dict):
                name = body.get("username") or body.get("email")
        else:
            name = req.form.get("username") or req.form.get("email")
    # Too large, or nested too deep for the JSON parser: the view refuses the body too.
    except (RequestEntityTooLarge, RecursionError):
        return None
    if not isinstance(name, str) or not name.strip():
        return None
    key = normalise(name.strip())[:_MAX_KEY]
    if "@" in key:
        # An e-mail address counts against the budget of the account it belongs to, as
        # its username does: switching between the two buys no more guesses.
        key = _username_of(key) or key
    return "account:" + key


def _username_of(email_key: str) -> str | None:
    """The normalised username of the account with this e-mail address, if any."""
    db = session()
    try:
        found = db.scalar(sa.select(User.username_key).where(User.email_key == email_key))
    except SQLAlchemyError:
        db.rollback()  # counted by the address instead; the login itself will answer
        return None
    return found


def login_limits(per_address: str, per_account: str) -> Callable[[F], F]:
    """Decorate a login view with the AUTH_LOGIN_LIMIT_* limits (empty ones are skipped).

    Views decorated with the same values share their counts (``shared``), so the page
    and the JSON login draw on one budget per address and per account.
    """
    decorators: list[Callable[[F], F]] = []
    if per_address.strip():
        decorators.append(
            limit(per_address, key=address_key, shared="auth_login_address", login=True)
        )
    if per_account.strip():
        decorators.append(
            limit(per_account, key=account_key, shared="auth_login_account", login=True)
        )

    def decorate(view: F) -> F:
        for decorator in decorators:
            view = decorator(view)
        return view

    return decorate


#: The name the registration limit is counted under, by every registering view (auth's
#: page and JSON endpoint, and any app's own, such as a legacy API's): one budget.
REGISTER_SCOPE = "auth_register_address"


def register_limits(per_address: str) -> Callable[[F], F]:
    """Decorate a view that registers accounts with AUTH_REGISTER_LIMIT, per client
    address (POST requests only; an empty limit is skipped). Every view so decorated
    draws on one budget per address, and fails closed like the login limits."""
    if not per_address.strip():
        return lambda view: view
    return limit(per_address, key=address_key, shared=REGISTER_SCOPE, login=True)
