"""Health endpoints for load balancers and orchestrators.

- ``GET /healthz``: 200 while the process answers requests (liveness); touches nothing.
- ``GET /readyz``: 200 when every configured plugin started, the database answers
  ``SELECT 1`` and, with PLUGBOARD_REDIS_URL set, Redis answers ``PING``; else 503
  naming what failed (readiness: take the worker out of rotation, do not restart it).
  A plugin that failed at start-up is named (``"plugins": "failed: stats"``), even one
  the app could run without (``PLUGBOARD_REQUIRED``): the service is not what was
  configured.

Neither is rate limited, and neither says more than "ok", "unavailable" or the failed
plugins' names about a component (no URL, no error text: those go to the log).
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from flask import Blueprint, Response, current_app, jsonify

from flask_plugboard import get_state
from flask_plugboard.connections import redis_client, redis_url
from flask_plugboard.db import session
from flask_plugboard.plugins.ratelimit import exempt

__all__ = ["add_health"]

logger = logging.getLogger("plugboard_surveys")

#: Seconds Redis has to answer the readiness PING.
_REDIS_TIMEOUT = 1.0


def healthz() -> Response:
    """The process is alive."""
    response = jsonify(status="ok")
    response.headers["Cache-Control"] = "no-store"
    return response


def readyz() -> Response:
    """Every plugin started, and the database and Redis answer."""
    checks: dict[str, str] = {}
    failed = [record.name for record in get_state(current_app).failed()]
    checks["plugins"] = f"failed: {', '.join(failed)}" if failed else "ok"
    try:
        session().execute(sa.text("SELECT 1"))
        checks["database"] = "ok"
    except Exception:  # noqa: BLE001 - any failure means not ready; logged with its cause
        logger.exception("readiness: the database does not answer")
        session().rollback()
        checks["database"] = "unavailable"
    url = redis_url(current_app)
    if url:
        try:
            redis_client(current_app, url, socket_timeout=_REDIS_TIMEOUT).ping()
            checks["redis"] = "ok"
        except Exception:  # noqa: BLE001 - as above
            logger.exception("readiness: Redis does not answer")
            checks["redis"] = "unavailable"
    ready = all(state == "ok" for state in checks.values())
    response = jsonify(status="ready" if ready else "unavailable", checks=checks)
    response.status_code = 200 if ready else 503
    response.headers["Cache-Control"] = "no-store"
    return response


def add_health(bp: Blueprint) -> None:
    bp.add_url_rule("/healthz", "healthz", exempt(healthz), methods=["GET"])
    bp.add_url_rule("/readyz", "readyz", exempt(readyz), methods=["GET"])
