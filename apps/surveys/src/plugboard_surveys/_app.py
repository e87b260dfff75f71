"""The app factory: the survey service, configured from the environment.

    flask --app plugboard_surveys db upgrade         # prepare the database
    gunicorn 'plugboard_surveys:create_app()'        # serve it

Every feature but the surveys themselves comes from the bundled plugins, configured
here: auth (users, sessions, tokens), ratelimit, cors, stats, reqlog, timer, apidocs.

Environment (all optional for development; see the README for production):

- ``DATABASE_URL``: SQLAlchemy URL; ``postgres://`` and ``postgresql://`` mean psycopg 3.
  Default: ``surveys.sqlite`` in the instance folder.
- ``REDIS_URL``: Redis shared by every worker and host (rate limits, statistics).
  Default: each process keeps its own, in memory.
- ``SECRET_KEY``, ``JWT_SECRET_KEY``: required in production (auth refuses weak ones);
  in development auth keeps a generated SECRET_KEY in the instance folder.
- ``SURVEYS_ENVIRONMENT``: ``production`` (default) or ``development`` (sets
  ``AUTH_ENVIRONMENT`` and ``PLUGBOARD_ENVIRONMENT``).
- ``PROXIES``: how many reverse proxies stand in front (ProxyFix); default 0.
- ``PUBLIC_URL``: the site's address as users reach it (``https://surveys.example.org``),
  for the links of password-reset e-mails (``AUTH_PUBLIC_URL``).
- ``CORS_ORIGINS``: comma-separated origins of the web clients allowed to call the API.
- ``INSTANCE_PATH``: the instance folder.
- Any other setting as ``FLASK_<NAME>`` (``FLASK_RATELIMIT_DEFAULT=100/minute``).

The service needs every one of its plugins (``PLUGBOARD_REQUIRED``): a wrong setting
stops start-up with one line naming it (``StartupError``), never a service with its rate
limits, users or surveys quietly missing.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from flask import Flask, Response, current_app, jsonify, redirect, request, url_for
from werkzeug.exceptions import HTTPException

from flask_plugboard import Plugboard
from flask_plugboard.errors import SettingsError

from ._json import JSONProvider
from ._legacy import LEGACY_BLUEPRINT, legacy_body
from ._legacy import PATHS as LEGACY_PATHS

__all__ = ["PLUGINS", "create_app", "config_from_env"]

#: The plugins the service is made of, in the order they are listed.
PLUGINS = [
    "timer",
    "reqlog",
    "stats",
    "cors",
    "ratelimit",
    "auth",
    "apidocs",
    "plugboard_surveys:Surveys",
]

#: Largest request body taken (a survey with its questions fits many times over).
MAX_BODY = 1024 * 1024


#: Seconds a SQLite write waits for another worker's to end before it fails with
#: "database is locked". Python's default, 5 s, is reached with a few dozen gunicorn
#: threads writing at once; this stays well under gunicorn's 30 s worker timeout.
SQLITE_BUSY_TIMEOUT = 15.0


def _sqlite_waits(config: dict[str, Any]) -> None:
    """Give SQLite connections :data:`SQLITE_BUSY_TIMEOUT`, unless the config sets one."""
    if not str(config.get("SQLALCHEMY_DATABASE_URI", "")).startswith("sqlite"):
        return
    options = dict(config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    connect_args = dict(options.get("connect_args") or {})
    connect_args.setdefault("timeout", SQLITE_BUSY_TIMEOUT)
    config["SQLALCHEMY_ENGINE_OPTIONS"] = {**options, "connect_args": connect_args}


def _database_url(url: str) -> str:
    """psycopg 3 for PostgreSQL URLs that name no driver (Heroku-style ``postgres://``)."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def config_from_env(environ: Mapping[str, str]) -> dict[str, Any]:
    """The app's config from environment variables (see the module's docstring)."""
    config: dict[str, Any] = {}
    environment = environ.get("SURVEYS_ENVIRONMENT", "production").strip() or "production"
    if environment not in ("production", "development"):
        raise SettingsError(
            f"SURVEYS_ENVIRONMENT = {environment!r}: expected 'production' or 'development'"
        )
    config["AUTH_ENVIRONMENT"] = config["PLUGBOARD_ENVIRONMENT"] = environment
    if environ.get("DATABASE_URL"):
        config["SQLALCHEMY_DATABASE_URI"] = _database_url(environ["DATABASE_URL"])
    if environ.get("REDIS_URL"):
        config["PLUGBOARD_REDIS_URL"] = environ["REDIS_URL"]
    for name in ("SECRET_KEY", "JWT_SECRET_KEY"):
        if environ.get(name):
            config[name] = environ[name]
    proxies = environ.get("PROXIES", "").strip()
    if proxies:
        if not proxies.isdigit():
            raise SettingsError(
                f"PROXIES = {proxies!r}: expected how many reverse proxies stand in front "
                "of the app, a whole number such as 1"
            )
        config["PLUGBOARD_PROXIES"] = int(proxies)
    if environ.get("PUBLIC_URL", "").strip():
        # Password-reset links are built from it (auth refuses the client's Host header).
        config["AUTH_PUBLIC_URL"] = environ["PUBLIC_URL"].strip()
    origins = [o.strip() for o in environ.get("CORS_ORIGINS", "").split(",") if o.strip()]
    if origins:
        config["CORS_ORIGINS"] = origins
    if environment == "development":
        config["AUTH_MAIL_URL"] = environ.get("AUTH_MAIL_URL", "log://")
    return config


#: Paths whose unmatched URLs are answered in JSON whatever the client accepts: the
#: APIs' (``SURVEYS_API_PREFIX`` is added). Elsewhere a URL no route takes gets Flask's
#: HTML 404 page, as the old backend's clients always got.
_JSON_PREFIXES = ("/auth/api/",)


def _json_paths() -> tuple[str, ...]:
    surveys = current_app.extensions.get("surveys")
    settings = surveys.get_settings(current_app) if surveys is not None else None
    prefix = getattr(settings, "api_prefix", None)
    return (*_JSON_PREFIXES, f"{prefix}/") if prefix else _JSON_PREFIXES


def _legacy_path() -> bool:
    return request.path in LEGACY_PATHS and LEGACY_BLUEPRINT in current_app.blueprints


def _json_error(error: HTTPException) -> Response | HTTPException:
    """HTTP errors (404, 405, 413...) as JSON for API clients; pages for browsers; the
    old API's ``{"message": ...}`` on its paths (a 405 there is routing's, before any
    view of the legacy blueprint could shape it)."""
    if error.response is not None:  # its answer is made already (auth's JSON 401 and 403)
        return error
    if _legacy_path():
        response = jsonify(legacy_body(error.description or ""))
    elif (
        request.url_rule is None
        and error.code == 404
        and not request.path.startswith(_json_paths())
    ):
        return error
    elif request.accept_mimetypes.accept_html and not request.accept_mimetypes.accept_json:
        return error
    else:
        response = jsonify(error=error.description, status=error.code)
    response.status_code = error.code or 500
    for name, value in error.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def create_app(config: Mapping[str, Any] | None = None, instance_path: str | None = None) -> Flask:
    """Build the survey service; ``config`` and ``instance_path`` (tests) win over the
    environment."""
    environ = os.environ
    app = Flask(
        "plugboard_surveys", instance_path=instance_path or environ.get("INSTANCE_PATH") or None
    )
    app.config.update(
        PLUGBOARD_PLUGINS=list(PLUGINS),
        # A service without its rate limits, its users or its surveys must not serve: a
        # plugin that fails (a wrong FLASK_RATELIMIT_DEFAULT) stops start-up, in
        # development too, naming the setting.
        PLUGBOARD_REQUIRED=True,
        PLUGBOARD_ADMIN=True,
        MAX_CONTENT_LENGTH=MAX_BODY,
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{os.path.join(app.instance_path, 'surveys.sqlite')}",
        RATELIMIT_DEFAULT="",
        APIDOCS_TITLE="Surveys",
        APIDOCS_DESCRIPTION="Create surveys and questions, collect answers, see the results.",
        STATS_LOGGER="",
        # After logging in, an owner lands on the dashboard of their surveys.
        AUTH_HOME="/surveys",
    )
    # Every get_json of the app (its plugins' too) refuses JSON nested too deeply.
    app.json = JSONProvider(app)
    app.config.update(config_from_env(environ))
    app.config.update(config or {})
    _sqlite_waits(app.config)
    os.makedirs(app.instance_path, exist_ok=True)
    app.register_error_handler(HTTPException, _json_error)
    Plugboard(app)
    if "surveys.home" not in app.view_functions and "apidocs.ui" in app.view_functions:
        # Without the pages (SURVEYS_PAGES off), the front door is the API's documentation.
        app.add_url_rule("/", "index", lambda: redirect(url_for("apidocs.ui")))
    return app
