"""The Plugboard demo: a small app built from the bundled plugins.

    python3 dev.py run                       # or, with the virtualenv set up:
    .venv/bin/flask --app examples/demo.py run

Then open http://127.0.0.1:5000. Every response carries the timer's ``X-Request-Time``
and ``Server-Timing`` headers and reqlog's ``X-Request-ID`` (see the browser's developer
tools), and reqlog writes one JSON line per request to the terminal; ``/slow`` logs a
slow-request warning; ``/admin/plugins`` lists the plugins and ``/admin/stats/dashboard``
charts the traffic; ``/api/status`` answers cross-origin calls from
http://localhost:3000 and is limited to 60 requests a minute per client.

The admin pages are on and open to anyone who can reach the app, which is why the demo
only listens on 127.0.0.1 (Flask's default): do not run it with ``--host 0.0.0.0``.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

from flask import Flask, render_template_string, url_for

from flask_plugboard import Plugboard, add_server_timing, get_state
from flask_plugboard.plugins.ratelimit import limit

#: The bundled plugins the demo loads: a new one only needs its name added here.
PLUGINS = ["timer", "reqlog", "stats", "cors", "ratelimit"]

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


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the demo app; ``config`` overrides the demo's settings (tests use it)."""
    app = Flask(__name__)
    app.config.update(
        DEBUG=False,
        # A new key per start: nothing in the demo outlives the process.
        SECRET_KEY=secrets.token_hex(32),
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
        )

    @app.get("/api/status")
    @limit("60/minute")
    def status() -> dict[str, Any]:
        start = time.perf_counter()
        plugins = [
            {"name": r.name, "version": r.version, "status": r.status}
            for r in get_state().records.values()
        ]
        add_server_timing("listing", (time.perf_counter() - start) * 1000, "plugin listing")
        return {"app": app.name, "plugins": plugins}

    @app.get("/slow")
    def slow() -> dict[str, Any]:
        time.sleep(SLOW_SECONDS)
        return {"slept": SLOW_SECONDS}

    Plugboard(app)
    return app
