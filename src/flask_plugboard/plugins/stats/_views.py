"""The stats plugin's pages: ``/admin/stats`` (JSON), its dashboard, and ``/metrics``.

The admin pages exist only when ``PLUGBOARD_ADMIN`` is on (``admin_guard``), and follow
the host's access hook. ``/metrics`` answers a scraper that sends ``STATS_METRICS_TOKEN``
as a bearer token; without a token it is an admin page like the others.
"""

from __future__ import annotations

import hmac
import time
from typing import TYPE_CHECKING, Any

from flask import Blueprint, Response, current_app, jsonify, render_template, request, url_for
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from werkzeug.wrappers import Response as BaseResponse

from flask_plugboard import admin_guard, admin_page_headers, plugin_blueprint, plugin_static

from ._figures import Figures

if TYPE_CHECKING:
    from . import Stats, StatsState

__all__ = ["document", "metrics_view", "stats_blueprint"]


def _current() -> StatsState:
    from . import _state

    return _state(current_app)


def document(state: StatsState) -> dict[str, Any]:
    """The ``/admin/stats`` JSON document of an app's stats."""
    figures, store = state.store.read()
    settings = state.settings
    now = time.time()
    out = figures.as_json(
        interval=settings.interval,
        now=now,
        history=settings.history,
        collectors=state.collectors,
    )
    out["collector_failures"] = dict(sorted(state.failures.items()))
    out["store"] = store
    out["generated"] = now
    return out


def _no_store(response: Response) -> Response:
    # Every answer here is an admin page (or the metrics): one set of headers for all.
    return admin_page_headers(response)


def stats_json() -> Response:
    return _no_store(jsonify(document(_current())))


def dashboard() -> Response:
    state = _current()
    html = render_template(
        "stats/dashboard.html",
        page="stats",
        with_host="plugboard" in current_app.blueprints,
        data_url=url_for("stats.stats_json"),
        refresh=state.settings.dashboard_refresh,
        store_kind=state.store.kind,
        # Called here, not as the template global: that exists only with the host.
        css_url=plugin_static("stats", "dashboard.css"),
        js_url=plugin_static("stats", "dashboard.js"),
    )
    return _no_store(Response(html))


def stats_blueprint(plugin: Stats) -> Blueprint:
    """A new blueprint of the admin pages (one per app)."""
    bp = plugin_blueprint(plugin, __name__)
    bp.before_request(admin_guard)
    bp.add_url_rule("", "stats_json", stats_json)
    bp.add_url_rule("/dashboard", "dashboard", dashboard)
    return bp


def _read_figures(state: StatsState) -> Figures:
    return state.store.read()[0]


def metrics_view() -> BaseResponse:
    state = _current()
    token = state.settings.metrics_token
    if token:
        sent = request.headers.get("Authorization", "")
        if not hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
            response = jsonify(
                error="send the token of STATS_METRICS_TOKEN: Authorization: Bearer <token>",
                status=401,
            )
            response.status_code = 401
            response.headers["WWW-Authenticate"] = 'Bearer realm="metrics"'
            return _no_store(response)
    else:
        denied = admin_guard()
        if denied is not None:
            return denied
    if state.registry is None:
        from ._metrics import registry_for

        state.registry = registry_for(lambda: _read_figures(state))
    body = generate_latest(state.registry)
    return _no_store(Response(body, content_type=CONTENT_TYPE_LATEST))
