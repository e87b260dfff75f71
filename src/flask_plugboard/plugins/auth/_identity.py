"""Who makes the current request: identity sources, ``current_user()``, ``g.user`` and the
``login_required`` / ``roles_required`` decorators.

The user comes from the app's identity sources, tried in the order they were added (the
token part of auth adds its source first, then the browser-session part); the first that
names a user wins. A deactivated user counts as nobody. The answer is resolved once per
request and kept on ``g.user``.

A source raises when the request presents bad credentials (an expired or revoked token,
say). On pages anyone may see, that request is simply made by nobody; where a user is
required, the error is raised again so its handler answers (flask-jwt-extended's, for
tokens: ``{"msg": "Token has expired"}`` and the like).

Refusals: a browser asking for a page is sent to the login page (when auth serves its
pages), with ``?next=`` back to where it was; any other client gets a JSON 401 with
``WWW-Authenticate: Bearer``, and 403 for a missing role.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
from collections.abc import Callable
from typing import Any, Literal, TypeVar, cast

from flask import (
    Flask,
    Request,
    current_app,
    g,
    has_request_context,
    jsonify,
    redirect,
    request,
    url_for,
)
from flask_jwt_extended.exceptions import JWTExtendedException
from jwt import PyJWTError
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response as BaseResponse

from ._errors import AuthError
from ._models import User
from ._state import IdentitySource, get_auth_state

__all__ = [
    "REQUIREMENT_ATTR",
    "AuthRequirement",
    "add_identity_source",
    "current_request",
    "current_user",
    "forbidden",
    "login_required",
    "roles_required",
    "set_current_user",
    "unauthorized",
    "user_for",
]

F = TypeVar("F", bound=Callable[..., Any])

#: Attribute the decorators set on the views they guard (an :class:`AuthRequirement`), so
#: other code (the OpenAPI document) can tell which views need a user, without a request.
REQUIREMENT_ATTR = "_plugboard_auth"


@dataclasses.dataclass(frozen=True)
class AuthRequirement:
    """What a guarded view needs: a user (by token or session), roles, a kind of token.

    ``accepts`` is ``"any"`` for :func:`login_required` (an access token or the browser's
    session), ``"access"`` or ``"refresh"`` for views that take only that kind of token.
    """

    roles: tuple[str, ...] = ()
    accepts: Literal["any", "access", "refresh"] = "any"


#: Set on ``g`` to the request whose answer ``g.user`` holds.
_RESOLVED = "_plugboard_auth_resolved"
#: Set on ``g`` to what an identity source raised for this request's credentials.
_ERROR = "_plugboard_auth_error"
#: What sources raise about the credentials themselves (expired, revoked, forged...).
_CREDENTIAL_ERRORS = (JWTExtendedException, PyJWTError, HTTPException)

logger = logging.getLogger("flask_plugboard.plugins.auth")


def add_identity_source(app: Flask, source: IdentitySource) -> None:
    """Let ``source(request) -> User | None`` say who makes requests to ``app``."""
    get_auth_state(app).sources.append(source)


def user_for(req: Request, app: Flask | None = None) -> User | None:
    """Ask the identity sources who makes ``req``; None when none knows (or inactive).

    A source that refuses the credentials it was shown (an expired token cookie) does
    not hide the next one (a valid session): its error is raised only when no source
    names a user.
    """
    refused: BaseException | None = None
    for source in get_auth_state(app).sources:
        try:
            user = source(req)
        except _CREDENTIAL_ERRORS as exc:
            refused = refused or exc
            continue
        if user is not None:
            return user if user.is_active else None
    if refused is not None:
        raise refused
    return None


def current_user() -> User | None:
    """The user making the current request, or None; also sets ``g.user``.

    Bad credentials (an expired token...) make the request anonymous here; the error is
    kept for :func:`login_required` and :func:`roles_required` to raise.
    """
    # The request object itself, not the proxy: sources compare it with the current
    # request to reuse what this request already opened. And g's object: this runs on
    # every request, each access through the proxy costs a lookup.
    req = request._get_current_object()  # type: ignore[attr-defined]
    ctx_g = g._get_current_object()
    # The answer is kept for this request object, not by a flag: g belongs to the app
    # context, which every request made inside an outer app.app_context() shares (tests,
    # shells), and one request's user must never answer for the next.
    if ctx_g.get(_RESOLVED) is not req:
        error = None
        try:
            user = user_for(req)
        # Any source's refusal: kept, and raised again where a user is required.
        except Exception as exc:
            user, error = None, exc
            if not isinstance(exc, _CREDENTIAL_ERRORS):
                # Not a verdict on the credentials (a bug, the database down...): say
                # so, or every user would silently be logged out.
                logger.warning(
                    "an identity source raised %s: the request counts as made by nobody",
                    type(exc).__name__,
                    exc_info=exc,
                )
        ctx_g.user = user
        setattr(ctx_g, _ERROR, error)
        setattr(ctx_g, _RESOLVED, req)
    return cast("User | None", ctx_g.user)


def set_current_user(user: User | None) -> None:
    """Make ``user`` the current request's user from now on (after logging in or out)."""
    g.user = user
    setattr(g, _RESOLVED, request._get_current_object())  # type: ignore[attr-defined]


class _Refusal(HTTPException):
    """An HTTP error whose response is already made (JSON 401/403 or a redirect)."""

    def __init__(self, response: BaseResponse) -> None:
        super().__init__(response=response)
        self.code = response.status_code


def _wants_page(req: Request) -> bool:
    if "Authorization" in req.headers or req.is_json:
        return False
    best = req.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "text/html"


def unauthorized() -> _Refusal:
    """The refusal for a request made by nobody: re-raise a kept credentials error, send
    a browser to the login page, or answer JSON 401."""
    error = g.get(_ERROR)
    if isinstance(error, (*_CREDENTIAL_ERRORS, AuthError)):
        # Its own handler answers: flask-jwt-extended's {"msg": ...}, or the 503 of a
        # token store that could not be asked.
        raise error
    if error is not None:
        # Who makes the request could not be checked (the database is down...): the
        # client may try again; it is not told it is nobody.
        unavailable = jsonify(error="the login could not be checked right now: try again")
        unavailable.status_code = 503
        unavailable.headers["Retry-After"] = "1"
        return _Refusal(unavailable)
    if _wants_page(request) and "auth.login" in current_app.view_functions:
        target = request.full_path if request.query_string else request.path
        return _Refusal(redirect(url_for("auth.login", next=target)))
    response = jsonify(error="authentication required: log in, or send a valid access token")
    response.status_code = 401
    response.headers["WWW-Authenticate"] = "Bearer"
    return _Refusal(response)


def forbidden(roles: tuple[str, ...]) -> _Refusal:
    """The refusal for a user who lacks one of ``roles``."""
    response = jsonify(
        error=f"forbidden: this needs the role(s) {', '.join(roles)}", roles=list(roles)
    )
    response.status_code = 403
    return _Refusal(response)


def load_user() -> None:
    """``before_request``: put the current user on ``g.user`` (AUTH_LOAD_USER)."""
    current_user()


def current_request() -> Request | None:
    """The current request object itself (not the proxy), or None outside requests."""
    if not has_request_context():
        return None
    return cast(Request, request._get_current_object())  # type: ignore[attr-defined]


def user_of(req: Request) -> User | None:
    """The user making ``req``: cached on ``g`` when ``req`` is the current request."""
    if req is current_request():
        return current_user()
    return user_for(req)


def login_required(view: F) -> F:
    """Refuse requests made by nobody (no identity source names an active user)."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if current_user() is None:
            raise unauthorized()
        return view(*args, **kwargs)

    setattr(wrapped, REQUIREMENT_ATTR, AuthRequirement())
    return cast(F, wrapped)


def roles_required(*roles: str) -> Callable[[F], F]:
    """Refuse requests made by nobody, and with 403 users lacking any of ``roles``."""
    if not roles or not all(isinstance(r, str) and r.strip() for r in roles):
        raise AuthError(
            "roles_required needs one or more role names: write @roles_required('admin'), "
            "with the parentheses"
        )

    def decorator(view: F) -> F:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            user = current_user()
            if user is None:
                raise unauthorized()
            if not user.has_role(*roles):
                raise forbidden(roles)
            return view(*args, **kwargs)

        setattr(wrapped, REQUIREMENT_ATTR, AuthRequirement(roles=tuple(roles)))
        return cast(F, wrapped)

    return decorator
