"""The host's hook specifications. Plugins implement them with ``@hookimpl``.

Hooks called on the request path (``plugboard_request_started``,
``plugboard_request_finished``) are wired only when some plugin implements them, so an
app pays nothing for hooks nobody uses. An implementation that raises during a request is
logged with its plugin's name and counted; the others still run.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask, Request, Response

from .markers import hookspec

__all__ = [
    "plugboard_app_ready",
    "plugboard_request_started",
    "plugboard_request_finished",
    "plugboard_template_slot",
    "plugboard_admin_access",
    "plugboard_admin_links",
    "plugboard_current_user",
    "plugboard_login_url",
    "plugboard_route_limits",
]


@hookspec
def plugboard_app_ready(app: Flask) -> None:
    """Called once after every plugin has been initialised on ``app``."""


@hookspec
def plugboard_request_started(request: Request) -> None:
    """Called at the start of every request, before the view."""


@hookspec
def plugboard_request_finished(request: Request, response: Response) -> None:
    """Called with every response before it is sent; may change its headers."""


@hookspec
def plugboard_template_slot(slot: str, context: Mapping[str, Any]) -> str | None:
    """Return markup (``str`` or :class:`markupsafe.Markup`) to insert in the named slot.

    Plain strings are escaped; return ``Markup`` for HTML. Templates render a slot with
    ``{{ plugboard_slot("name") }}``.
    """


@hookspec(firstresult=True)
def plugboard_admin_access(request: Request) -> bool | None:
    """Say whether this request may see admin pages: True, False, or None to abstain."""


@hookspec
def plugboard_admin_links() -> list[tuple[str, str]] | None:
    """Return ``(label, endpoint)`` pairs to show in the admin navigation."""


@hookspec(firstresult=True)
def plugboard_current_user(request: Request) -> str | None:
    """Return an identifier of the user making this request, or None when unknown.

    The auth plugin answers it; request logs and rate limits use it without knowing auth.
    """


@hookspec(firstresult=True)
def plugboard_login_url(next_url: str) -> str | None:
    """Return the URL of a login page that comes back to ``next_url``, or None.

    Admin pages send a browser that nobody is logged in on there, instead of a 403.
    """


@hookspec(firstresult=True)
def plugboard_route_limits(app: Flask, endpoint: str) -> list[Any] | None:
    """Return the rate limits that apply to requests to ``endpoint``, or None.

    The ratelimit plugin answers with ``LimitInfo`` objects (limit, amount, window, scope,
    key, strategy, fail, policy; ``as_dict()``); auth and apidocs read them without
    importing ratelimit.
    """
