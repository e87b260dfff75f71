"""Health endpoints for load balancers and orchestrators.

- ``GET /healthz``: 200 while the process answers requests (liveness); touches nothing.
- ``GET /readyz``: 200 when the database answers ``SELECT 1`` and, with
  PLUGBOARD_REDIS_URL set, Redis answers ``PING``; else 503 naming what failed
  (readiness: take the worker out of rotation, do not restart it).

Neither is rate limited, and neither says more than "ok" or "unavailable" about a
component (no URL, no error text: those go to the log).
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from flask import Blueprint, Response, current_app, jsonify

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
    """The database and Redis answer."""
    checks: dict[str, str] = {}
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
