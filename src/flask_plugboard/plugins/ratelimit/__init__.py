"""The bundled rate limiter, built on the ``limits`` library with a thin Flask layer.

Works with the host (``PLUGBOARD_PLUGINS = ["ratelimit"]``) or alone (``RateLimit(app)``)::

    from flask_plugboard.plugins.ratelimit import exempt, limit

    @app.post("/login")
    @limit("5/minute", shared="login")
    def login(): ...

See ``docs/batteries/ratelimit.md`` for the settings, keys, strategies and headers.
"""

from __future__ import annotations

from ._compile import limits_for
from ._decorators import exempt, limit, limit_blueprint
from ._plugin import RateLimit
from ._rules import LimitInfo, check_limits, worker_count
from ._settings import RateLimitSettings

__all__ = [
    "LimitInfo",
    "RateLimit",
    "RateLimitSettings",
    "check_limits",
    "exempt",
    "limit",
    "limit_blueprint",
    "limits_for",
    "worker_count",
]
