"""The JSON endpoints for API clients: register, log in, refresh, log out, me.

All under the plugin's blueprint (``/auth`` by default), endpoints ``auth.api_<name>``:

- ``POST /api/register`` ``{"username", "password", "email"?}``: 201 ``{"user"}``; 400,
  403 (AUTH_REGISTRATION off), 409 (taken); 429 from AUTH_REGISTER_LIMIT (ratelimit).
- ``POST /api/login`` ``{"username" (or e-mail address), "password"}``: 200 with
  ``access_token``, ``refresh_token``, ``token_type``, ``expires_in``,
  ``refresh_expires_in`` and ``user``; 401; 429 from the login limits (ratelimit).
- ``POST /api/refresh`` with the refresh token: 200, a new pair (the old one is spent).
- ``POST /api/logout/access`` with the access token: that token is revoked.
- ``POST /api/logout/refresh`` with the refresh token: its whole login is revoked.
- ``POST /api/logout/all`` with the access token: every session and token of the user.
- ``GET /api/me`` with the access token: 200 ``{"user"}``.

Bodies are JSON objects or forms, of at most 64 KiB (413 past that, also for a body sent
without a Content-Length). With "cookies" in AUTH_TOKEN_LOCATION the login takes JSON
only (415 for a form), since any site can make a browser post a form. Bad input gets 400
``{"error": why, "field": name}`` (``field`` is null when the body as a whole is wrong)
and nothing is written. A wrong password, an unknown user, a deactivated or locked
account all get the same 401. Token errors are flask-jwt-extended's (``{"msg": ...}``).
Answers with tokens are never cached (``Cache-Control: no-store``). With "cookies" in
AUTH_TOKEN_LOCATION the login and refresh also set the HttpOnly token cookies (and the
CSRF cookies scripts echo in ``X-CSRF-TOKEN``); with cookies only, the tokens are left
out of the body, where a script could read them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar, cast

from flask import Blueprint, Response, current_app, jsonify, request
from flask_jwt_extended import (
    get_current_user,
    jwt_required,
    set_access_cookies,
    set_refresh_cookies,
    unset_access_cookies,
    unset_jwt_cookies,
)
from werkzeug.exceptions import RequestEntityTooLarge

from ._abuse import MAX_BODY, body_cut_short, cap_body, login_limits, register_limits
from ._errors import AuthError, DuplicateUserError, PasswordPolicyError
from ._identity import REQUIREMENT_ATTR, AuthRequirement
from ._models import User
from ._service import (
    check_credentials,
    check_email,
    check_username,
    find_user,
    log_out_everywhere,
    register_user,
)
from ._settings import AuthSettings
from ._tokens import issue_tokens, refresh_tokens, revoke_token

__all__ = ["add_api", "token_places", "user_json"]

#: Longest username or e-mail address a login may name (the longest an address can be).
_MAX_NAME = 254
F = TypeVar("F", bound=Callable[..., Any])

_WRONG = "the username or password is wrong (or the account is locked or deactivated)"


class _BadInput(Exception):
    """Refuse the request with ``status`` and ``{"error": message, "field": field}``."""

    def __init__(self, field: str | None, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        self.status = status


def _error(status: int, message: str, field: str | None = None) -> Response:
    response = jsonify(error=message, field=field)
    response.status_code = status
    return response


def user_json(user: User) -> dict[str, Any]:
    """What the API shows of a user (never the password hash)."""
    return {
        "id": user.id,
        "username": user.username,
        "email": user.email,
        "roles": sorted(user.role_names),
    }


def _body() -> Mapping[str, Any]:
    """The request's fields: a JSON object or a form, else :class:`_BadInput`.

    Bodies larger than MAX_BODY are refused before they are read, and one sent without
    a Content-Length (chunked) once MAX_BODY bytes were read.
    """
    too_large = _BadInput(None, f"the body is too large: send at most {MAX_BODY} bytes", 413)
    if request.content_length is not None and request.content_length > MAX_BODY:
        raise too_large
    cap_body(request)
    fields: Mapping[str, Any] | None = None
    try:
        if request.is_json:
            try:
                fields = request.get_json(silent=True)
            except RecursionError:  # nested deeper than the JSON parser goes
                fields = None
            if body_cut_short(request):
                raise too_large
            if not isinstance(fields, dict):
                raise _BadInput(
                    None,
                    "the body is not a JSON object: send one such as "
                    '{"username": "alice", "password": "..."}',
                )
            return fields
        if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            fields = request.form
            if body_cut_short(request):
                raise too_large
            return fields
    except RequestEntityTooLarge:
        raise too_large from None
    raise _BadInput(
        None,
        "send the fields as JSON (Content-Type: application/json) or as a form "
        f"(not {request.mimetype or 'an empty body'!r})",
    )


def _text(body: Mapping[str, Any], name: str, max_chars: int, required: bool = True) -> str:
    value = body.get(name)
    if value is None or value == "":
        if required:
            raise _BadInput(name, f"{name} is required")
        return ""
    if not isinstance(value, str):
        raise _BadInput(name, f"{name} must be a string, not {_json_type(value)}")
    if len(value) > max_chars:
        raise _BadInput(name, f"{name} is too long: at most {max_chars} characters")
    return value


def _json_type(value: object) -> str:
    names = {bool: "a boolean", int: "a number", float: "a number", list: "an array"}
    return names.get(type(value), "an object")


def _checked(field: str, check: Callable[[], object]) -> None:
    try:
        check()
    except AuthError as exc:
        raise _BadInput(field, str(exc)) from None


def token_places() -> set[str]:
    """Where this app reads tokens (JWT_TOKEN_LOCATION): "headers", "cookies"..."""
    locations = current_app.config["JWT_TOKEN_LOCATION"]
    return {locations} if isinstance(locations, str) else set(locations)


def _with_tokens(payload: dict[str, Any], tokens: dict[str, Any]) -> Response:
    """A JSON answer carrying ``tokens``: in the body, the cookies, or both; never cached."""
    places = token_places()
    if places - {"cookies"}:
        payload = {**tokens, **payload}
    else:
        payload = {**{k: v for k, v in tokens.items() if not k.endswith("_token")}, **payload}
    response = jsonify(payload)
    # Credentials: no cache (a proxy's, the browser's) may keep a copy (RFC 6749, 5.1).
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    if "cookies" in places:
        set_access_cookies(response, tokens["access_token"])
        set_refresh_cookies(response, tokens["refresh_token"])
    return response


def _token(refresh: bool = False) -> Callable[[F], F]:
    """``jwt_required``, typed (flask-jwt-extended's decorator is not), and marked as
    needing that kind of token (for the OpenAPI document)."""
    requirement = AuthRequirement(accepts="refresh" if refresh else "access")
    guard = cast("Callable[[F], F]", jwt_required(refresh=refresh))

    def decorate(view: F) -> F:
        guarded = guard(view)
        setattr(guarded, REQUIREMENT_ATTR, requirement)
        return guarded

    return decorate


def add_api(bp: Blueprint, settings: AuthSettings) -> None:
    """Add the JSON endpoints to the auth blueprint ``bp`` of one app."""
    # The views are made here, per app: the limits decorator records itself on the
    # function, which must not be shared by two apps.
    max_password = settings.password_max_bytes

    def register() -> Response:
        if not settings.registration:
            return _error(
                403, "registration is closed on this site: ask an administrator for an account"
            )
        try:
            body = _body()
            username = _text(body, "username", 150)
            password = _text(body, "password", max_password)
            email = _text(body, "email", 254, required=False) or None
            _checked("username", lambda: check_username(username))
            _checked("email", lambda: check_email(email))
            user = register_user(username, password, email=email)
        except _BadInput as bad:
            return _error(bad.status, bad.message, bad.field)
        except PasswordPolicyError as exc:
            return _error(400, str(exc), "password")
        except DuplicateUserError as exc:
            return _error(409, str(exc), "username" if find_user(username) else "email")
        except AuthError as exc:
            return _error(400, str(exc))
        response = jsonify(user=user_json(user))
        response.status_code = 201
        return response

    def login() -> Response:
        if "cookies" in token_places() and not request.is_json:
            # Any site can make a browser post a form here; setting token cookies for
            # that form would log the browser in as whoever the other site chooses.
            # JSON cannot be sent across sites without the CORS preflight.
            return _error(
                415,
                "with token cookies (AUTH_TOKEN_LOCATION) the login takes a JSON body "
                "only: send Content-Type: application/json",
            )
        try:
            body = _body()
            name = body.get("username") or body.get("email")
            if name is None or name == "":
                raise _BadInput("username", "username (or email) is required")
            field = "username" if body.get("username") else "email"
            name = _text({field: name}, field, _MAX_NAME)
            password = _text(body, "password", max_password)
            if len(password.encode("utf-8")) > max_password:
                raise _BadInput("password", f"password is too long: at most {max_password} bytes")
        except _BadInput as bad:
            return _error(bad.status, bad.message, bad.field)
        user = check_credentials(name, password)
        if user is None:
            return _error(401, _WRONG)
        return _with_tokens({"user": user_json(user)}, issue_tokens(user))

    @_token(refresh=True)
    def refresh() -> Response:
        return _with_tokens({}, refresh_tokens())

    @_token()
    def logout_access() -> Response:
        revoke_token()
        response = jsonify(msg="Access token revoked")
        unset_access_cookies(response)
        return response

    @_token(refresh=True)
    def logout_refresh() -> Response:
        revoke_token(family=True)
        response = jsonify(msg="Refresh token revoked, with the access tokens of its login")
        unset_jwt_cookies(response)
        return response

    @_token()
    def logout_all() -> Response:
        log_out_everywhere(get_current_user())
        response = jsonify(msg="Every session and token of this user revoked")
        unset_jwt_cookies(response)
        return response

    @_token()
    def me() -> Response:
        return jsonify(user=user_json(get_current_user()))

    limited = login_limits(settings.login_limit_address, settings.login_limit_account)
    registering = register_limits(settings.register_limit)
    bp.add_url_rule("/api/register", "api_register", registering(register), methods=["POST"])
    bp.add_url_rule("/api/login", "api_login", limited(login), methods=["POST"])
    bp.add_url_rule("/api/refresh", "api_refresh", refresh, methods=["POST"])
    bp.add_url_rule("/api/logout/access", "api_logout_access", logout_access, methods=["POST"])
    bp.add_url_rule("/api/logout/refresh", "api_logout_refresh", logout_refresh, methods=["POST"])
    bp.add_url_rule("/api/logout/all", "api_logout_all", logout_all, methods=["POST"])
    bp.add_url_rule("/api/me", "api_me", me, methods=["GET"])
