"""The Plugboard demo: a small app built from the bundled plugins.

    python3 dev.py demo                      # or, with the virtualenv set up:
    .venv/bin/flask --app examples/demo.py run

Then open http://127.0.0.1:5000. Every response carries the timer's ``X-Request-Time``
and ``Server-Timing`` headers and reqlog's ``X-Request-ID`` (see the browser's developer
tools), and reqlog writes one JSON line per request to the terminal; ``/slow`` logs a
slow-request warning; ``/auth/register`` and ``/auth/login`` are auth's pages and
``/auth/api/login`` its JSON login; ``/admin/plugins`` lists the plugins and
``/admin/stats/dashboard`` charts the traffic, for administrators only; ``/api/status``
answers cross-origin calls from http://localhost:3000 and is limited to 60 requests a
minute per client; ``/api/me`` needs a login (a session or an access token);
``POST /api/greetings`` validates its JSON body (422 naming each bad field); ``/docs``
documents every route (Swagger UI, "Try it out") from ``/openapi.json``.

The demo keeps its SQLite database and its development SECRET_KEY in
``examples/instance/``. On the first start it creates the administrator ``admin`` with a
random password, printed once in the terminal; ``flask --app examples/demo.py auth
set-password admin`` sets another. Reset e-mails are written to the terminal
(``AUTH_MAIL_URL = "log://"``).
"""

# No "from __future__ import annotations": pydantic reads the models' annotations when
# the classes are made, which works however this file is loaded (tests load it by path,
# outside sys.modules, where string annotations could not be resolved).

import logging
import secrets
import time
from typing import Any

from flask import Flask, g, render_template_string, url_for
from pydantic import BaseModel, Field

from flask_plugboard import Plugboard, add_server_timing, get_state
from flask_plugboard.db import upgrade_database
from flask_plugboard.plugins.apidocs import api
from flask_plugboard.plugins.auth import find_user, login_required, register_user
from flask_plugboard.plugins.ratelimit import limit

#: The bundled plugins the demo loads: a new one only needs its name added here.
PLUGINS = ["timer", "reqlog", "stats", "cors", "ratelimit", "auth", "apidocs"]

#: The administrator the demo creates on its first start.
ADMIN = "admin"

logger = logging.getLogger("plugboard_demo")

#: How long ``/slow`` takes; the demo's TIMER_SLOW_THRESHOLD is below it.
SLOW_SECONDS = 0.3

INDEX = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Plugboard demo</title>
  <style>
    body { font: 16px/1.5 system-ui, sans-serif; max-width: 44rem; margin: 2rem auto;
           padding: 0 1rem; color: #1f2328; }
    code { background: #f3f4f6; padding: 0 .25em; border-radius: 4px; }
    li { margin: .3rem 0; }
    .muted { color: #59636e; }
  </style>
  {{ plugboard_slot("head", page="demo") }}
</head>
<body>
  <h1>Plugboard demo</h1>
  <p>A Flask app whose features come from plugins. Its plugins:</p>
  <ul>
    {%- for plugin in plugins %}
    <li><strong>{{ plugin.name }}</strong> {{ plugin.version }}
      <span class="muted">({{ plugin.status }})</span>: {{ plugin.description }}</li>
    {%- else %}
    <li class="muted">none</li>
    {%- endfor %}
  </ul>
  <p>{% if g.user %}Logged in as <strong>{{ g.user.username }}</strong>.
    <form method="post" action="{{ url_for('auth.logout') }}" class="inline">
      {{ csrf_field() }}<button type="submit">Log out</button></form>
    {% else %}<a href="{{ url_for('auth.login') }}">Log in</a> or
    <a href="{{ url_for('auth.register') }}">register</a>; the administrator
    <code>{{ admin }}</code> sees the admin pages (its password is printed in the
    terminal on the first start).{% endif %}</p>
  <h2>Try</h2>
  <ul>
    {%- if admin_url %}
    <li><a href="{{ admin_url }}">{{ admin_url }}</a>: the admin page listing every plugin,
      its settings, hooks and routes.</li>
    {%- endif %}
    <li><a href="{{ url_for('status') }}">{{ url_for('status') }}</a>: a JSON route; its
      <code>Server-Timing</code> header has a <code>listing</code> entry besides
      <code>total</code>.</li>
    {%- if stats_url %}
    <li><a href="{{ stats_url }}">{{ stats_url }}</a>: the live statistics of this app's
      requests, per route.</li>
    {%- endif %}
    <li><a href="{{ url_for('me') }}">{{ url_for('me') }}</a>: who you are; needs a login
      (this browser's session, or <code>Authorization: Bearer</code> with an access token
      from <code>POST {{ url_for('auth.api_login') }}</code>).</li>
    {%- if docs_url %}
    <li><a href="{{ docs_url }}">{{ docs_url }}</a>: the API documentation of every route,
      from <a href="{{ openapi_url }}">{{ openapi_url }}</a>; "Try it out" on
      <code>POST {{ url_for('greet') }}</code> and send it a bad body.</li>
    {%- endif %}
    <li><a href="{{ url_for('slow') }}">{{ url_for('slow') }}</a>: takes
      {{ slow_seconds }} s, over the slow threshold of {{ threshold }} s, so the timer
      logs a warning in the terminal.</li>
  </ul>
  <p class="muted">Each response's time is in its <code>X-Request-Time</code> and
    <code>Server-Timing</code> headers: open the developer tools, Network tab.</p>
  {{ plugboard_slot("demo_index", page="demo") }}
</body>
</html>
"""


class PluginInfo(BaseModel):
    """One plugin of the app."""

    name: str
    version: str
    status: str = Field(description="loaded, quarantined or failed (<phase>).")


class Status(BaseModel):
    """The app and its plugins."""

    app: str
    plugins: list[PluginInfo]


class Me(BaseModel):
    """The user making the request."""

    username: str
    roles: list[str]


class Slept(BaseModel):
    """How long the request slept."""

    slept: float = Field(description="Seconds.")


class GreetingRequest(BaseModel):
    """Whom to greet, and how often."""

    name: str = Field(min_length=1, max_length=40, examples=["Ada"])
    times: int = Field(1, ge=1, le=3, description="How many times to say hello.")


class Greeting(BaseModel):
    """A greeting."""

    message: str


def create_app(config: dict[str, Any] | None = None, instance_path: str | None = None) -> Flask:
    """Build the demo app; ``config`` overrides the demo's settings (tests use it)."""
    app = Flask(__name__, instance_path=instance_path)
    app.config.update(
        DEBUG=False,
        # No SECRET_KEY: auth generates one on the first start and keeps it in the
        # instance folder (development only; production refuses to start without one).
        AUTH_ENVIRONMENT="development",
        AUTH_MAIL_URL="log://",
        PLUGBOARD_PLUGINS=list(PLUGINS),
        PLUGBOARD_ADMIN=True,
        TIMER_SLOW_THRESHOLD=SLOW_SECONDS / 2,
        CORS_ORIGINS=["http://localhost:3000"],
        RATELIMIT_DEFAULT="600/minute",
    )
    app.config.update(config or {})

    @app.get("/")
    def index() -> str:
        return render_template_string(
            INDEX,
            plugins=get_state().records.values(),
            admin_url=url_for("plugboard.plugins") if "plugboard" in app.blueprints else None,
            stats_url=url_for("stats.dashboard")
            if "stats.dashboard" in app.view_functions
            else None,
            slow_seconds=SLOW_SECONDS,
            threshold=app.config["TIMER_SLOW_THRESHOLD"],
            admin=ADMIN,
            docs_url=url_for("apidocs.ui") if "apidocs.ui" in app.view_functions else None,
            openapi_url=url_for("apidocs.openapi_json")
            if "apidocs.openapi_json" in app.view_functions
            else None,
        )

    @app.get("/api/me")
    @login_required
    @api(response=Me, tags=["demo"])
    def me() -> Me:
        """Who you are.

        Needs a login: this browser's session, or `Authorization: Bearer <access token>`
        from `POST /auth/api/login`.
        """
        return Me(username=g.user.username, roles=sorted(g.user.role_names))

    @app.get("/api/status")
    @limit("60/minute")
    @api(response=Status, tags=["demo"])
    def status() -> Status:
        """The app's plugins and their status.

        Its `Server-Timing` header has a `listing` entry besides `total`.
        """
        start = time.perf_counter()
        plugins = [
            PluginInfo(name=r.name, version=r.version, status=r.status)
            for r in get_state().records.values()
        ]
        add_server_timing("listing", (time.perf_counter() - start) * 1000, "plugin listing")
        return Status(app=app.name, plugins=plugins)

    @app.post("/api/greetings")
    @api(
        body=GreetingRequest,
        response={201: Greeting},
        tags=["demo"],
        examples={"once": {"name": "Ada"}, "three times": {"name": "Grace", "times": 3}},
    )
    def greet(body: GreetingRequest) -> Greeting:
        """Greet someone.

        The body is validated: a bad one gets 422 naming each bad field, and one that is
        not JSON 400.
        """
        return Greeting(message=" ".join([f"Hello, {body.name}!"] * body.times))

    @app.get("/slow")
    @api(response=Slept, tags=["demo"])
    def slow() -> Slept:
        """Take longer than the timer's slow threshold: it logs a warning."""
        time.sleep(SLOW_SECONDS)
        return Slept(slept=SLOW_SECONDS)

    Plugboard(app)
    upgrade_database(app)
    with app.app_context():
        _ensure_admin()
    return app


def _ensure_admin() -> None:
    """Create the demo's administrator on the first start, with a random password."""
    if find_user(ADMIN) is not None:
        return
    password = secrets.token_urlsafe(12)
    register_user(ADMIN, password, roles=["admin"])
    logger.warning(
        "created the demo administrator %r with the password %s (shown once; "
        "flask --app examples/demo.py auth set-password %s sets another)",
        ADMIN,
        password,
        ADMIN,
    )
