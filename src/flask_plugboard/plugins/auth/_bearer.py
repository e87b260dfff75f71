"""Whether a valid bearer token (not a cookie) says who makes the current request.

A view that takes both tokens and the browser's session cookie needs CSRF protection only
for the cookie: a browser adds it to any request on its own, while an ``Authorization:
Bearer`` header is written by a script that holds the token. So CSRF may be skipped when,
and only when, a valid bearer token identified the request; any other ``Authorization``
header (``Basic ...``, a bad token) proves nothing.
"""

from __future__ import annotations

from flask import current_app, has_request_context
from flask_jwt_extended import get_current_user, verify_jwt_in_request
from flask_jwt_extended.exceptions import JWTExtendedException
from jwt import PyJWTError

from ._errors import AuthError
from ._models import User

__all__ = ["authenticated_by_bearer_token"]


def authenticated_by_bearer_token() -> bool:
    """True when the current request carries a valid access token in its Authorization
    header (JWT_HEADER_NAME), naming an active user.

    The token is verified here (once per request: auth keeps the decoded token and its
    check for the request), so a forged, expired or revoked one answers False.
    """
    if not has_request_context():
        return False
    config = current_app.config
    places = config["JWT_TOKEN_LOCATION"]
    if "headers" not in ({places} if isinstance(places, str) else set(places)):
        return False
    try:
        found = verify_jwt_in_request(optional=True, locations=["headers"])
    except (JWTExtendedException, PyJWTError, AuthError):
        return False
    if found is None:
        return False
    user = get_current_user()
    return isinstance(user, User) and user.is_active
