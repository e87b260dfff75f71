"""The auth plugin class: per-app state, the secret key check, hooks, routes and commands."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Flask, Request, current_app, url_for

from flask_plugboard import (
    Plugin,
    __version__,
    add_admin_access_check,
    hookimpl,
    plugin_blueprint,
)
from flask_plugboard.db import ensure_database

from . import _openapi as openapi
from ._api import add_api
from ._cli import auth_group
from ._csrf import install_csrf
from ._identity import load_user, user_of
from ._models import Base
from ._pages import add_pages
from ._secret_key import ensure_secret_key
from ._service import is_admin
from ._sessions import install_sessions
from ._settings import AuthSettings
from ._state import STATE_KEY, AuthState
from ._tokens import install_tokens

__all__ = ["Auth"]


def _admin_access(request: Request) -> bool:
    """Only users with the AUTH_ADMIN_ROLE role may see admin pages."""
    return is_admin(user_of(request))


class Auth(Plugin):
    """Users, browser sessions, JWT tokens and roles; a plain extension too: ``Auth(app)``."""

    name = "auth"
    version = __version__
    description = "Users and roles in the database: login pages, sessions, JWT, argon2id."
    Settings = AuthSettings
    metadata = Base.metadata
    url_prefix = "/auth"

    def setup(self, app: Flask, settings: AuthSettings) -> None:
        ensure_secret_key(app, settings.environment, settings.secret_key_file)
        ensure_database(app)  # the host did it already; alone, Auth(app) needs it too
        app.extensions[STATE_KEY] = AuthState.build(settings)
        # Identity sources, in the order they are asked: a token the client presents
        # explicitly wins over the browser's session cookie.
        install_tokens(app, settings)
        install_sessions(app, settings)
        install_csrf(app)
        if settings.load_user:
            app.before_request(load_user)
        # A check, not the plugboard_admin_access hook: it guards admin pages without
        # the host too (Auth(app) beside Stats(app)).
        add_admin_access_check(app, _admin_access)
        if "auth" not in app.cli.commands:
            app.cli.add_command(auth_group)

    def blueprint(self, app: Flask, settings: AuthSettings) -> Blueprint | None:
        if not (settings.pages or settings.api):
            return None
        bp = plugin_blueprint(self, __name__)
        if settings.pages:
            add_pages(bp, settings)
        if settings.api:
            add_api(bp, settings)
        return bp

    @hookimpl
    def plugboard_current_user(self, request: Request) -> str | None:
        """The username of the user making ``request``, when one is identified."""
        user = user_of(request)
        return None if user is None else user.username

    @hookimpl
    def plugboard_login_url(self, next_url: str) -> str | None:
        """auth's login page, coming back to ``next_url``, when auth serves its pages."""
        if "auth.login" not in current_app.view_functions:
            return None
        return url_for("auth.login", next=next_url)

    @hookimpl(optionalhook=True)  # apidocs may not be loaded
    def apidocs_components(self, app: Flask) -> dict[str, dict[str, Any]]:
        """For the apidocs plugin: auth's security schemes and error bodies."""
        return openapi.components(app)

    @hookimpl(optionalhook=True)  # apidocs may not be loaded
    def apidocs_operation(self, view: Callable[..., Any], operation: dict[str, Any]) -> None:
        """For the apidocs plugin: security and refusals of the views auth guards."""
        openapi.describe_operation(view, operation)
