"""The HTML pages: register, log in, log out, change password, forgotten password, sessions.

Every form is CSRF-protected (:mod:`._csrf`). A form with bad input comes back with 400,
an error beside each field and what was typed (never a password). After logging in or
out the browser goes to ``next`` when it is a path on this site (:func:`._next.safe_next`),
else to AUTH_HOME. Templates live under ``templates/auth/``; an app overrides any of them,
or the layout ``auth/base.html``, with a file of the same path in its own templates.
"""

from __future__ import annotations

import dataclasses
import re

from flask import (
    Blueprint,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask import session as flask_session
from flask_jwt_extended import decode_token, unset_jwt_cookies
from flask_jwt_extended.exceptions import JWTExtendedException
from jwt import PyJWTError
from werkzeug.routing import BuildError
from werkzeug.wrappers import Response as BaseResponse

from flask_plugboard.errors import SettingsError

from ._abuse import cap_body, login_limits, register_limits
from ._api import token_places
from ._csrf import csrf_protect
from ._errors import AuthError, PasswordPolicyError
from ._headers import page_headers
from ._identity import current_user, login_required, unauthorized
from ._models import User, utcnow
from ._next import is_safe_path, safe_next
from ._reset import (
    InvalidResetLinkError,
    request_password_reset,
    reset_password,
    reset_token_user,
)
from ._service import check_credentials, log_out_everywhere, register_user, set_password
from ._sessions import current_key_hash, log_in, log_out, log_out_other_sessions, user_sessions
from ._settings import AuthSettings
from ._state import get_auth_state
from ._token_check import is_revoked, lookup_user
from ._tokens import revoke_token

__all__ = ["add_pages"]

_ENDPOINT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")
_TRUE = frozenset({"1", "on", "yes", "true"})


def add_pages(bp: Blueprint, settings: AuthSettings) -> None:
    """Add the pages to auth's blueprint (endpoints ``auth.login``, ``auth.logout``...)."""
    _check_home(settings.home)
    limited = login_limits(settings.login_limit_address, settings.login_limit_account)
    methods = ["GET", "POST"]
    if settings.registration:
        registering = register_limits(settings.register_limit)
        bp.add_url_rule(
            "/register", "register", registering(csrf_protect(register)), methods=methods
        )
    bp.add_url_rule("/login", "login", limited(csrf_protect(login)), methods=methods)
    bp.add_url_rule("/logout", "logout", csrf_protect(logout), methods=methods)
    bp.add_url_rule(
        "/password", "password", login_required(csrf_protect(change_password)), methods=methods
    )
    # The forgotten-password form sends e-mail: it draws on the login attempts' budget.
    bp.add_url_rule("/forgot", "forgot", limited(csrf_protect(forgot)), methods=methods)
    bp.add_url_rule("/reset/<token>", "reset", csrf_protect(reset), methods=methods)
    bp.add_url_rule(
        "/sessions", "sessions", login_required(csrf_protect(sessions)), methods=methods
    )
    bp.context_processor(_context)
    bp.before_request(lambda: cap_body(request))  # every form of these pages is small


def _check_home(home: str) -> None:
    if home.startswith("/") and is_safe_path(home):
        return
    if not home.startswith("/") and _ENDPOINT.fullmatch(home):
        return
    raise SettingsError(
        f"AUTH_HOME = {home!r} is not valid for plugin 'auth': expected a path on this site "
        "('/', '/dashboard') or an endpoint name ('index', 'blog.index')"
    )


def _context() -> dict[str, object]:
    settings = get_auth_state().settings
    return {
        "auth_user": current_user(),
        "auth_home": _home(),
        "auth_registration": settings.registration,
        "auth_password_min_length": settings.password_min_length,
    }


# -- helpers -----------------------------------------------------------------------------


@dataclasses.dataclass
class Form:
    """What was typed into a form (never passwords) and the error of each field."""

    values: dict[str, str] = dataclasses.field(default_factory=dict)
    errors: dict[str, str] = dataclasses.field(default_factory=dict)

    def error(self, field: str, message: str) -> None:
        self.errors.setdefault(field, message)


def _user() -> User:
    """The logged-in user (the view is behind login_required)."""
    user = current_user()
    if user is None:
        raise unauthorized()
    return user


def _text(name: str) -> str:
    return request.form.get(name, "").strip()


def _home() -> str:
    home = get_auth_state().settings.home
    if home.startswith("/"):
        return home
    try:
        return url_for(home)
    except BuildError:
        raise AuthError(
            f"AUTH_HOME = {home!r} is not an endpoint of this app: set it to a path "
            "('/') or the name of a view that takes no arguments"
        ) from None


def _next() -> str:
    """The ``next`` this request asks for, when it is safe to follow (else "")."""
    target = request.form.get("next") or request.args.get("next")
    return target if is_safe_path(target) else ""


def _after(target: str) -> BaseResponse:
    return redirect(safe_next(target, _home()), code=303)


def _render(template: str, status: int = 200, **context: object) -> BaseResponse:
    return page_headers(make_response(render_template(template, **context), status))


def _sentence(exc: Exception) -> str:
    text = str(exc)
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def _refusal() -> str:
    """One message for a wrong password, an unknown name and a locked account."""
    settings = get_auth_state().settings
    text = "That username or e-mail address and password do not match an active account."
    if settings.lockout_attempts:
        minutes = max(1, settings.lockout_seconds // 60)
        text += f" After several failed attempts an account is locked for {minutes} minutes."
    return text


def _check_confirm(form: Form, password: str) -> None:
    if not password:
        form.error("password", "Choose a password.")
    elif request.form.get("confirm", "") != password:
        form.error("confirm", "The two passwords differ: type the same password twice.")


# -- pages -------------------------------------------------------------------------------


def login() -> BaseResponse:
    form = Form({"username": _text("username"), "remember": _text("remember")})
    if request.method != "POST":
        return _render("auth/login.html", form=form, next=_next())
    password = request.form.get("password", "")
    if not form.values["username"]:
        form.error("username", "Enter your username or e-mail address.")
    if not password:
        form.error("password", "Enter your password.")
    user = None if form.errors else check_credentials(form.values["username"], password)
    if user is None:
        if not form.errors:
            form.error("form", _refusal())
        return _render("auth/login.html", 400, form=form, next=_next())
    remember = form.values["remember"].lower() in _TRUE
    log_in(user, remember=remember)
    flash(f"You are logged in as {user.username}.", "success")
    return _after(_next())


def register() -> BaseResponse:
    form = Form({"username": _text("username"), "email": _text("email")})
    if request.method != "POST":
        return _render("auth/register.html", form=form, next=_next())
    password = request.form.get("password", "")
    if not form.values["username"]:
        form.error("username", "Choose a username.")
    if not form.values["email"]:
        form.error("email", "Enter your e-mail address: it lets you reset a forgotten password.")
    _check_confirm(form, password)
    user: User | None = None
    if not form.errors:
        try:
            user = register_user(form.values["username"], password, email=form.values["email"])
        except PasswordPolicyError as exc:
            form.error("password", _sentence(exc))
        except AuthError as exc:  # DuplicateUserError, or an unusable name or address
            # The service's messages start with what they are about.
            text = str(exc)
            field = "form"
            if text.startswith("the username"):
                field = "username"
            elif text.startswith("the e-mail address"):
                field = "email"
            form.error(field, _sentence(exc))
    if user is None:
        return _render("auth/register.html", 400, form=form, next=_next())
    log_in(user)
    flash(f"Welcome, {user.username}: your account is ready and you are logged in.", "success")
    return _after(_next())


def logout() -> BaseResponse:
    if request.method != "POST":
        return _render("auth/logout.html", next=_next())
    everywhere = _text("everywhere").lower() in _TRUE
    cookies = "cookies" in token_places()
    if cookies:
        _end_cookie_login(everywhere)
    log_out(everywhere=everywhere)
    flash("You are logged out" + (" on every device." if everywhere else "."), "success")
    response = make_response(_after(_next()))
    if cookies:
        unset_jwt_cookies(response)
    return response


def _end_cookie_login(everywhere: bool) -> None:
    """End the login of this browser's access-token cookie (from the JSON login, with
    "cookies" in AUTH_TOKEN_LOCATION): its family of tokens, or with ``everywhere`` every
    session and token of its user when the token is still live.

    The browser session's part (log_out) does not see that user: a form post carries no
    X-CSRF-TOKEN header, so the token counts as no identity; this form's own CSRF token
    was checked instead.
    """
    encoded = request.cookies.get(current_app.config["JWT_ACCESS_COOKIE_NAME"])
    if not encoded:
        return
    try:
        payload = decode_token(encoded, allow_expired=True)
    except (JWTExtendedException, PyJWTError):
        return  # not a token of this app: nothing to end, the cookie is dropped
    # A deleted or deactivated user's tokens are refused already.
    user = lookup_user({}, payload) if payload.get("type") == "access" else None
    if user is None:
        return
    live = payload.get("exp", 0) > utcnow().timestamp() and not is_revoked({}, payload)
    if everywhere and live:
        log_out_everywhere(user)
    else:
        revoke_token(payload, family=bool(payload.get("fam")))


def change_password() -> BaseResponse:
    user = _user()
    form = Form()
    if request.method != "POST":
        return _render("auth/password.html", form=form)
    current = request.form.get("current", "")
    password = request.form.get("password", "")
    if not current:
        form.error("current", "Enter your current password.")
    _check_confirm(form, password)
    if not form.errors and check_credentials(user.username, current) is None:
        form.error("current", "That is not your current password.")
    if not form.errors:
        try:
            set_password(user, password)
        except PasswordPolicyError as exc:
            form.error("password", _sentence(exc))
    if form.errors:
        return _render("auth/password.html", 400, form=form)
    # set_password ended every session, this one too: log this browser in again.
    log_in(user, remember=bool(flask_session.permanent))
    flash("Your password is changed. Every other device was logged out.", "success")
    return redirect(url_for("auth.password"), code=303)


def forgot() -> BaseResponse:
    form = Form({"email": _text("email")})
    if request.method != "POST":
        return _render("auth/forgot.html", form=form)
    address = form.values["email"]
    if "@" not in address:
        form.error("email", "Enter the e-mail address of your account, like name@example.org.")
        return _render("auth/forgot.html", 400, form=form)
    request_password_reset(address)
    max_age = get_auth_state().settings.reset_max_age
    return _render("auth/forgot_sent.html", address=address, minutes=max(1, max_age // 60))


def reset(token: str) -> BaseResponse:
    form = Form()
    if reset_token_user(token) is None:
        return _render("auth/reset_invalid.html", 400)
    if request.method != "POST":
        return _render("auth/reset.html", form=form, token=token)
    password = request.form.get("password", "")
    _check_confirm(form, password)
    if not form.errors:
        try:
            reset_password(token, password)
        except InvalidResetLinkError:
            return _render("auth/reset_invalid.html", 400)
        except PasswordPolicyError as exc:
            form.error("password", _sentence(exc))
    if form.errors:
        return _render("auth/reset.html", 400, form=form, token=token)
    log_out()  # whoever was logged in on this browser: that session ended with the password
    flash(
        "Your password is changed, and every device that was logged in is logged out. "
        "Log in with the new password.",
        "success",
    )
    return redirect(url_for("auth.login"), code=303)


def sessions() -> BaseResponse:
    user = _user()
    if request.method != "POST":
        return _render("auth/sessions.html", rows=user_sessions(user), current=current_key_hash())
    action = _text("action")
    if action == "others":
        count = log_out_other_sessions(user)
        flash(f"Logged out {count} other session{'s' if count != 1 else ''}.", "success")
        return redirect(url_for("auth.sessions"), code=303)
    if action == "all":
        log_out(everywhere=True)
        flash("You are logged out on every device.", "success")
        return redirect(url_for("auth.login"), code=303)
    return _render(
        "auth/error.html",
        400,
        title="Unknown action",
        message=f"Unknown action {action!r}: use the buttons on the sessions page.",
    )
