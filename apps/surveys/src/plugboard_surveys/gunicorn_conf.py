"""Gunicorn's settings for the survey service in production, shipped in the package so
an installed wheel has them:

    gunicorn -c python:plugboard_surveys.gunicorn_conf 'plugboard_surveys:create_app()'

It listens on 0.0.0.0:8000, every interface, unless told otherwise. Environment (each
optional):

- ``WEB_CONCURRENCY``: worker processes; default 2 x the cores this process may use + 1.
- ``GUNICORN_THREADS``: threads per worker (gthread); default 2.
- ``PORT``: the port to listen on, on every interface; default 8000. ``GUNICORN_BIND``
  (``127.0.0.1:8000``, ``unix:/run/surveys.sock``) wins over it.

Options on the command line win over this file (``gunicorn -c ... -w 4 -b ...``).
"""

from __future__ import annotations

import os
import shlex
import sys
from typing import Any

#: The names gunicorn reads from this module (its settings and server hooks).
__all__ = [
    "accesslog",
    "bind",
    "errorlog",
    "graceful_timeout",
    "keepalive",
    "loglevel",
    "max_requests",
    "max_requests_jitter",
    "post_fork",
    "preload_app",
    "threads",
    "timeout",
    "worker_class",
    "workers",
]


def _cores() -> int:
    """The cores this process may run on (a container's CPU set, not the host's)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS has no sched_getaffinity
        return os.cpu_count() or 1


def _number(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise SystemExit(f"{name} = {raw!r}: expected a whole number of at least 1, such as 4")
    return int(raw)


def _workers_given() -> bool:
    """Whether -w/--workers is on gunicorn's command line (it wins over this file)."""
    args = [*sys.argv[1:], *shlex.split(os.environ.get("GUNICORN_CMD_ARGS", ""))]
    return any(a in ("-w", "--workers") or a.startswith(("-w", "--workers=")) for a in args)


# Every interface by default, as a container needs; on a host where only the local
# reverse proxy should reach it, GUNICORN_BIND=127.0.0.1:8000.
bind = [os.environ.get("GUNICORN_BIND") or f"0.0.0.0:{os.environ.get('PORT') or '8000'}"]

# The usual 2 x cores + 1: while one worker waits for PostgreSQL, another has the CPU.
# Each worker has its own database pool and uses one connection per busy thread (the
# pool keeps up to 5): keep workers x threads x hosts well under PostgreSQL's
# max_connections (100 by default).
workers = _number("WEB_CONCURRENCY", 2 * _cores() + 1)
if not _workers_given():
    # The app reads WEB_CONCURRENCY, else -w (the ratelimit plugin warns when each
    # worker counts its limits in memory, naming how many workers there are).
    os.environ.setdefault("WEB_CONCURRENCY", str(workers))

# gthread, measured against sync on this app with PostgreSQL on 2 cores
# (bench/bench_surveys_load.py --compare): no steady winner on its short requests (each
# came out ahead in some runs, within the noise of a shared machine), so the other
# reasons decide: gthread keeps connections alive (a proxy or client that reuses its
# connections pays no TCP handshake per request), and a slow client holds one thread,
# not a whole worker.
worker_class = "gthread"
# Two threads: a second request runs while the first waits for the database; 4 were no
# faster (the work is mostly Python, under one GIL per worker) and hold more of the
# database pool (5 connections per worker) at once.
threads = _number("GUNICORN_THREADS", 2)

# Build the app once in the master, then fork: a wrong setting fails start-up once, with
# its message, instead of in every worker over and over; workers start faster and
# share the loaded code's memory. The price: `kill -HUP` restarts the workers but does
# not load new code (deploy by restarting gunicorn, or `kill -USR2` for a new master).
preload_app = True


def post_fork(server: Any, worker: Any) -> None:
    """Forget, in the new worker, any database connection the master opened.

    Building the app opens none (Flask-SQLAlchemy makes its engines at start-up, but an
    engine connects at the first query), yet a plugin that queried while starting would
    leave a connection in the pool that every worker would then share: two processes
    talking over one PostgreSQL socket corrupt each other's results. ``dispose(close=
    False)`` drops the pool's connections in this worker without closing them, so the
    master's stay intact. Redis needs nothing: redis-py makes new connections after a
    fork, and Plugboard keeps one client per process.
    """
    app = getattr(server.app, "callable", None)  # None: the app is loaded after the fork
    extension = getattr(app, "extensions", {}).get("sqlalchemy")
    if app is None or extension is None:
        return
    with app.app_context():
        for engine in extension.engines.values():
            engine.dispose(close=False)


# A request that takes longer than this is stuck: the worker is killed and replaced.
timeout = 30
# On SIGTERM (a deploy, an orchestrator scaling down), requests under way get this long
# to finish; the orchestrator's own grace period (Kubernetes: 30 s) must be longer.
graceful_timeout = 20
# Seconds an idle client connection stays open. Behind a proxy that keeps its upstream
# connections open (nginx's `keepalive`, a cloud load balancer: often 60 s), make this
# longer than the proxy's idle timeout (GUNICORN_CMD_ARGS="--keep-alive 65"), so the
# proxy closes first and never sends a request on a connection gunicorn just closed.
keepalive = 5

# Replace each worker after about this many requests, so a slow leak (in any library)
# cannot grow for ever; the jitter keeps the workers from restarting all at once. Not
# fewer: a new worker opens new PostgreSQL connections, and at a thousand requests a
# second 5000 would replace a worker every few seconds.
max_requests = 20000
max_requests_jitter = 2000

# No access log: the reqlog plugin writes one line per request (JSON, with the request
# id, route and user) to stderr; gunicorn's own log would say it again, less well.
accesslog = None
errorlog = "-"
loglevel = "info"

# Behind a reverse proxy, let the app trust it: PROXIES=1 (ProxyFix, for
# X-Forwarded-For, -Proto, -Host, -Prefix), so client addresses (rate limits, the
# request log) and https URLs come out right. Gunicorn's own forwarded_allow_ips only
# decides wsgi.url_scheme from X-Forwarded-Proto; it stays at its default (127.0.0.1,
# ::1): setting it to '*' would let any client claim https.
