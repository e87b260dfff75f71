"""What every web page of the service shares: rendering with the security headers, the
error page and the navigation's context.

The pages use no inline script or style (not even ``style=`` attributes: the charts are
SVG sized by attributes), so they are sent with a Content-Security-Policy that allows
nothing but this site's own files (SURVEYS_CONTENT_SECURITY_POLICY).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import current_app, make_response, render_template, request
from werkzeug.wrappers import Response as BaseResponse

from flask_plugboard import admin_pages
from flask_plugboard.plugins.auth import current_user

from ._api_support import surveys_settings

__all__ = ["format_datetime", "nav_context", "page_error", "render_page", "secure_page"]

#: Headers of every page, besides the Content-Security-Policy from the settings.
SECURITY_HEADERS = {
    # A page holds a CSRF token and what its user may see: never kept by a shared cache.
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",  # for browsers older than frame-ancestors
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
}
#: Strict-Transport-Security, sent over HTTPS only (a browser ignores it over HTTP).
HSTS = "max-age=31536000; includeSubDomains"


def secure_page(response: BaseResponse) -> BaseResponse:
    """Add the security headers of a page to ``response`` (headers it has already win)."""
    headers = response.headers
    policy = surveys_settings().content_security_policy
    if policy:
        headers.setdefault("Content-Security-Policy", policy)
    for name, value in SECURITY_HEADERS.items():
        headers.setdefault(name, value)
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", HSTS)
    return response


def render_page(template: str, status: int = 200, **context: Any) -> BaseResponse:
    """Render one of the service's pages with its security headers."""
    return secure_page(make_response(render_template(template, **context), status))


def page_error(status: int, title: str, message: str) -> BaseResponse:
    """An error page: what went wrong and what to do, with ``status``."""
    return render_page("surveys/error.html", status, title=title, message=message)


def nav_context() -> dict[str, Any]:
    """The navigation's context, for every template of the app (a context processor):
    who is logged in and the admin pages this request may see (the host decides)."""
    views = current_app.view_functions
    return {
        "nav_user": current_user(),
        "nav_admin_pages": admin_pages(),
        "nav_register": "auth.register" in views,
        "nav_docs": "apidocs.ui" in views,
    }


def format_datetime(value: dt.datetime | None) -> str:
    """A stored time as people read it, in UTC (the template filter ``surveys_datetime``):
    ``2099-12-31 10:11 UTC``."""
    if value is None:
        return ""
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC)
    return value.strftime("%Y-%m-%d %H:%M UTC")
