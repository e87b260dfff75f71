"""CSRF protection for forms: a synchronizer token kept in the Flask session.

Every browser session gets one random token (``secrets.token_urlsafe``); forms carry it in
a hidden ``csrf_token`` field (``{{ csrf_field() }}`` in a template), scripts in the
``X-CSRF-Token`` header. A state-changing request whose token is missing or differs
(compared in constant time) is refused with 400 before the view runs, so nothing is done.
The token changes at login and logout, so a form taken from another session never works.

Why not Flask-WTF: auth has a handful of small forms and no use for WTForms' field
classes; a dependency for one comparison is not worth it, and this keeps the token in the
same Flask session the login lives in, where rotating it at login is one line. Any plugin
can protect its forms with :func:`csrf_protect` or :func:`check_csrf`.
"""

from __future__ import annotations

import functools
import hmac
import secrets
from collections.abc import Callable
from typing import Any, TypeVar, cast

from flask import Flask, current_app, jsonify, make_response, render_template, request, session
from flask.typing import ResponseReturnValue
from jinja2 import TemplateNotFound
from markupsafe import Markup
from werkzeug.exceptions import BadRequest

from ._headers import page_headers

__all__ = [
    "CSRF_FIELD",
    "CSRF_HEADER",
    "CSRFError",
    "check_csrf",
    "csrf_field",
    "csrf_protect",
    "csrf_token",
    "install_csrf",
    "rotate_csrf_token",
]

F = TypeVar("F", bound=Callable[..., Any])

#: The form field that carries the token.
CSRF_FIELD = "csrf_token"
#: The header that carries the token for scripts (fetch, htmx...).
CSRF_HEADER = "X-CSRF-Token"
#: Where the token is kept in the Flask session.
SESSION_KEY = "_plugboard_csrf"

_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
_RELOAD = "reload the page and send the form again"


class CSRFError(BadRequest):
    """A state-changing request without this session's CSRF token: answered with 400."""


def csrf_token() -> str:
    """This session's CSRF token, created on first use (also a template global)."""
    token = session.get(SESSION_KEY)
    if not isinstance(token, str) or not token:
        token = rotate_csrf_token()
    return token


def rotate_csrf_token() -> str:
    """Give this session a new CSRF token (at login): forms shown before stop working."""
    token = secrets.token_urlsafe(32)
    session[SESSION_KEY] = token
    return token


def csrf_field() -> Markup:
    """A hidden ``<input>`` with this session's token, for forms (also a template global)."""
    # Markup.format escapes its arguments.
    return Markup('<input type="hidden" name="{}" value="{}">').format(CSRF_FIELD, csrf_token())


def check_csrf() -> None:
    """Raise :class:`CSRFError` (400) unless the request carries this session's token.

    The token is read from the form field ``csrf_token``, else the ``X-CSRF-Token`` header.
    """
    expected = session.get(SESSION_KEY)
    sent = request.form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER)
    if not isinstance(expected, str) or not expected:
        if not request.is_secure and current_app.config.get("SESSION_COOKIE_SECURE"):
            # Browsers keep a Secure cookie only for https: over http every form expires.
            raise CSRFError(
                "This site needs HTTPS: its session cookie is only sent over https "
                "(SESSION_COOKIE_SECURE), and this page came over plain http, so no form "
                "can be sent. Open it with https://. Behind a proxy that speaks HTTPS, "
                "the app must trust the proxy's X-Forwarded-Proto (PLUGBOARD_PROXIES)."
            )
        raise CSRFError(
            "This browser's session has no security token (cookies are off, or the "
            f"session ended): turn cookies on for this site, {_RELOAD}."
        )
    if not sent:
        raise CSRFError(
            f"The security token ({CSRF_FIELD} field or {CSRF_HEADER} header) is missing: "
            f"{_RELOAD}."
        )
    if not hmac.compare_digest(sent.encode("utf-8"), expected.encode("utf-8")):
        raise CSRFError(
            "The security token does not match this session (the form was shown before "
            f"you logged in or out, or came from another site): {_RELOAD}."
        )


def csrf_protect(view: F) -> F:
    """Check the CSRF token (:func:`check_csrf`) on every request but GET/HEAD/OPTIONS."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if request.method not in _SAFE_METHODS:
            check_csrf()
        return view(*args, **kwargs)

    return cast(F, wrapped)


def _wants_json() -> bool:
    if request.is_json:
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def _refused(error: CSRFError) -> ResponseReturnValue:
    message = error.description or "The security token is missing or wrong."
    if _wants_json():
        response = jsonify(error=message)
        response.status_code = 400
        return response
    try:
        page = render_template("auth/error.html", title="Form expired", message=message)
        return page_headers(make_response(page, 400))
    except TemplateNotFound:  # auth serves no pages here (AUTH_PAGES and AUTH_API off)
        return message, 400, {"Content-Type": "text/plain; charset=utf-8"}


def install_csrf(app: Flask) -> None:
    """Add the template globals ``csrf_token()`` and ``csrf_field()`` and the 400 page."""
    app.add_template_global(csrf_token, "csrf_token")
    app.add_template_global(csrf_field, "csrf_field")
    app.register_error_handler(CSRFError, _refused)
