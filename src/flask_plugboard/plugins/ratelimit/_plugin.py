"""The ratelimit plugin class: wires the per-app state and the request path into Flask.

The check is one ``before_request`` function (it needs the endpoint, which only routing
knows). Everything the settings and decorators decide is compiled once per endpoint (see
:mod:`._compile`); per request there is one dictionary lookup, one key function and one
storage call per limit.
"""

from __future__ import annotations

import logging
import os
import sys

from flask import Flask
from limits.storage import MemoryStorage

from flask_plugboard import Plugin, __version__, hookimpl

from ._compile import STATE_KEY, AppState, key_func, limits_for
from ._decorators import exempt, limit, limit_blueprint
from ._request import add_headers, check
from ._rules import LimitInfo, worker_count
from ._settings import RateLimitSettings

__all__ = ["RateLimit"]

logger = logging.getLogger("flask_plugboard.plugins.ratelimit")


class RateLimit(Plugin):
    """Rate limits on routes, blueprints and the app; a plain extension too: ``RateLimit(app)``."""

    name = "ratelimit"
    version = __version__
    description = "Rate limits per route, blueprint or app, on memory or Redis (limits)."
    Settings = RateLimitSettings

    limit = staticmethod(limit)
    exempt = staticmethod(exempt)
    limit_blueprint = staticmethod(limit_blueprint)

    def setup(self, app: Flask, settings: RateLimitSettings) -> None:
        if not settings.enabled:
            return
        state = AppState(app, settings)
        app.extensions[STATE_KEY] = state
        if isinstance(state.storage, MemoryStorage):
            workers = worker_count(sys.argv, os.environ)
            if workers > 1:
                logger.warning(
                    "rate limits use memory storage and the server runs %d worker "
                    "processes: each counts on its own, so a client gets up to %d times "
                    "each limit. Set RATELIMIT_STORAGE_URL (or PLUGBOARD_REDIS_URL) to a "
                    "Redis URL to count them together.",
                    workers,
                    workers,
                )
        # Fail at start-up, not at the first request, for the routes known now; the
        # cache itself fills later (the 'user' key depends on plugins loaded after us).
        for endpoint in list(app.view_functions):
            state.build(app, endpoint)
        key_func(app, settings.key, "RATELIMIT_KEY")
        state.keys.clear()
        app.before_request(check(state))
        if settings.headers == "always":
            app.after_request(add_headers(state))

    @hookimpl
    def plugboard_app_ready(self, app: Flask) -> None:
        state: AppState | None = app.extensions.get(STATE_KEY)
        if state is None:
            return
        for endpoint in list(app.view_functions):
            state.rules(app, endpoint)
        unknown = [e for e in state.settings.routes if e not in app.view_functions]
        unknown += [b for b in state.settings.blueprints if b not in app.blueprints]
        if unknown:
            logger.warning(
                "RATELIMIT_ROUTES / RATELIMIT_BLUEPRINTS name %s, which the app does not "
                "have (yet): check the endpoint and blueprint names",
                ", ".join(repr(u) for u in unknown),
            )

    @hookimpl
    def plugboard_route_limits(self, app: Flask, endpoint: str) -> list[LimitInfo]:
        """The limits that apply to ``endpoint`` (see :func:`limits_for`)."""
        return limits_for(endpoint, app)
