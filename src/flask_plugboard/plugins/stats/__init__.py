"""Request statistics per endpoint: counts, errors, latency histograms and percentiles,
custom collectors; ``/admin/stats`` (JSON), a live dashboard and Prometheus ``/metrics``.

Works with the host (``PLUGBOARD_PLUGINS = ["stats"]``) or alone (``Stats(app)``).

Like the timer, it is WSGI middleware: per request it reads the clock twice and appends
one tuple to a deque; the sums are made in batches (see :mod:`._recorder`). Figures live
in the process, or in Redis when ``STATS_REDIS_URL`` (or ``PLUGBOARD_REDIS_URL``) is set,
where every worker and host adds into the same sums (see :mod:`._stores`).
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Callable, Iterable
from time import perf_counter
from types import ModuleType
from typing import TYPE_CHECKING, Any, ClassVar

from flask import Blueprint, Flask, Response, current_app, has_app_context, request

from flask_plugboard import Plugin, __version__, get_state, hookimpl, setting
from flask_plugboard.connections import redis_client, redis_url
from flask_plugboard.errors import PlugboardError

from . import hookspecs as stats_hookspecs
from ._figures import UNMATCHED
from ._recorder import DRAIN_AT, Recorder
from ._stores import MemoryStore, RedisStore, Store
from .hookspecs import Collector

if TYPE_CHECKING:
    from _typeshed import OptExcInfo
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

__all__ = ["Collector", "Stats", "StatsSettings", "UNMATCHED"]

#: ``app.extensions`` key of the per-app :class:`StatsState`.
STATE_KEY = "stats.state"
#: WSGI environ key of the request's start (``perf_counter()``), for collectors.
START_KEY = "plugboard.stats.start"

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}\Z")
_RESERVED = frozenset({"request_time", "request_count"})


@dataclasses.dataclass(frozen=True)
class StatsSettings:
    """Settings of the stats plugin (prefix ``STATS_``)."""

    redis_url: str = setting(
        "",
        secret=True,
        doc="Redis URL where every worker and host adds into the same figures. Empty: "
        "PLUGBOARD_REDIS_URL when set, else each process keeps its own figures in memory.",
    )
    redis_prefix: str = setting(
        "plugboard:stats:", doc="Prefix of the Redis keys (one per app sharing a Redis)."
    )
    flush_interval: float = setting(
        1.0,
        min=0.05,
        max=60,
        doc="Seconds between two sends of a process's figures to Redis (one round trip each).",
    )
    interval: int = setting(
        10, min=1, max=3600, doc="Seconds per point of the charts' time series."
    )
    history: int = setting(
        60, min=2, max=10_000, doc="Points of the time series kept (60 x 10 s: 10 minutes)."
    )
    slowest: int = setting(
        20, min=0, max=1000, doc="How many of the slowest recent requests are kept and shown."
    )
    metrics: bool = setting(
        False, doc="Serve the Prometheus text exposition at STATS_METRICS_PATH."
    )
    metrics_path: str = setting("/metrics", doc="Path of the Prometheus endpoint.")
    metrics_token: str = setting(
        "",
        secret=True,
        doc="Bearer token the Prometheus scraper sends (Authorization: Bearer <token>). "
        "Empty: /metrics is an admin page (PLUGBOARD_ADMIN and the admin access hook).",
    )
    dashboard_refresh: float = setting(
        5.0, min=0.5, max=3600, doc="Seconds between two refreshes of the dashboard."
    )
    logger: str = setting(
        "flask_plugboard.plugins.stats",
        doc="Logger of failing collectors and of Redis becoming unreachable or back.",
    )

    def __post_init__(self) -> None:
        from flask_plugboard.errors import SettingsError

        if not self.metrics_path.startswith("/"):
            raise SettingsError(
                f"STATS_METRICS_PATH = {self.metrics_path!r}: expected a path starting "
                "with '/', like '/metrics'"
            )


@dataclasses.dataclass
class StatsState:
    """Per-app state of the stats plugin (in ``app.extensions["stats.state"]``)."""

    settings: StatsSettings
    store: Store
    logger: logging.Logger
    #: Collector name -> function; replaced, never changed in place (requests iterate it).
    collectors: dict[str, Collector] = dataclasses.field(default_factory=dict)
    #: Collector name -> how many times it raised or returned something not a number.
    failures: dict[str, int] = dataclasses.field(default_factory=dict)
    collecting: bool = False
    registry: Any = None


class Stats(Plugin):
    """Per-endpoint request statistics; a plain Flask extension too: ``Stats(app)``."""

    name = "stats"
    version = __version__
    description = (
        "Per-endpoint request counts, errors, latency percentiles and custom collectors: "
        "/admin/stats, a live dashboard and Prometheus /metrics."
    )
    Settings = StatsSettings
    hookspecs: ClassVar[ModuleType | type | None] = stats_hookspecs
    url_prefix = "/admin/stats"

    def setup(self, app: Flask, settings: StatsSettings) -> None:
        logger = logging.getLogger(settings.logger)
        recorder = Recorder(settings.interval, settings.history, settings.slowest)
        url = redis_url(app, settings.redis_url)
        store: Store
        if url:
            redis_client(app, url, socket_timeout=1.0, socket_connect_timeout=1.0)
            store = RedisStore(
                recorder,
                lambda: redis_client(app, url),
                url,
                settings.redis_prefix,
                settings.flush_interval,
                logger,
            )
        else:
            store = MemoryStore(recorder)
        state = StatsState(settings, store, logger)
        app.extensions[STATE_KEY] = state
        app.wsgi_app = _recorded(app.wsgi_app, store)  # type: ignore[method-assign,assignment]
        if settings.metrics:
            from ._views import metrics_view

            app.add_url_rule(settings.metrics_path, "stats_metrics", metrics_view, methods=["GET"])

    def blueprint(self, app: Flask, settings: StatsSettings) -> Blueprint:
        from ._views import stats_blueprint

        return stats_blueprint(self)

    def register_collector(self, name: str, fn: Collector, app: Flask | None = None) -> None:
        """Add ``fn(request, response, elapsed)`` as collector ``name`` on ``app``.

        ``app`` defaults to the current app. ``fn`` returns a number, added to the sum of
        the request's endpoint (``None`` adds nothing). A collector that raises is logged
        with its name and skipped; the request is unharmed. Registering a name again
        replaces its function.
        """
        if app is None and not has_app_context():
            raise PlugboardError(
                f"register_collector({name!r}, ...) was called outside an app context: "
                "pass the app, register_collector(name, fn, app=app)"
            )
        target = current_app._get_current_object() if app is None else app  # type: ignore[attr-defined]
        state = _state(target)
        if not isinstance(name, str) or not _NAME.match(name) or name in _RESERVED:
            raise PlugboardError(
                f"stats collector name {name!r} is not valid: use letters, digits and "
                "underscores (at most 64, starting with a letter), and neither "
                "'request_time' nor 'request_count'"
            )
        if not callable(fn):
            raise PlugboardError(
                f"stats collector {name!r} is {fn!r}, not a function: pass "
                "fn(request, response, elapsed) returning a number"
            )
        state.collectors = {**state.collectors, name: fn}
        if not state.collecting:
            state.collecting = True
            # Straight into the list rather than app.after_request(): this may run after
            # the app's first request, and costs nothing until a collector exists.
            target.after_request_funcs.setdefault(None, []).append(_collector_runner(state))

    @hookimpl
    def plugboard_app_ready(self, app: Flask) -> None:
        """Register the collectors other plugins return from ``stats_collectors()``."""
        hook = get_state(app).hook.stats_collectors
        if not hook.get_hookimpls():
            return
        for result in reversed(hook()):
            for name, fn in (result or {}).items():
                try:
                    self.register_collector(name, fn, app=app)
                except PlugboardError as exc:  # one bad entry must not cost the others
                    _state(app).logger.warning(
                        "a collector returned by a stats_collectors() hook is left out: %s", exc
                    )

    @hookimpl
    def plugboard_admin_links(self) -> list[tuple[str, str]]:
        return [("Stats", "stats.dashboard")]


def _state(app: Flask) -> StatsState:
    try:
        state: StatsState = app.extensions[STATE_KEY]
    except KeyError:
        raise PlugboardError(
            f"plugin 'stats' is not initialised on app {app.name!r}: call Stats(app) or "
            "list 'stats' in PLUGBOARD_PLUGINS"
        ) from None
    return state


def _collector_runner(state: StatsState) -> Callable[[Response], Response]:
    def run_stats_collectors(response: Response) -> Response:
        collectors = state.collectors
        if not collectors:
            return response
        req = request._get_current_object()  # type: ignore[attr-defined]
        start = req.environ.get(START_KEY)
        elapsed = perf_counter() - start if start is not None else 0.0
        rule = req.url_rule
        endpoint = rule.rule if rule is not None else UNMATCHED
        add = state.store.recorder.values.append
        for name, fn in collectors.items():
            try:
                value = fn(req, response, elapsed)
                if value is None:
                    continue
                if isinstance(value, bool) or not isinstance(value, int | float):
                    raise TypeError(f"returned {value!r}, expected a number or None")
            except Exception:  # a collector's bug must not cost the request
                _collector_failed(state, name)
                continue
            add((name, endpoint, float(value)))
        return response

    return run_stats_collectors


def _collector_failed(state: StatsState, name: str) -> None:
    failures = state.failures.get(name, 0) + 1
    state.failures[name] = failures
    # The first failure with its traceback, then at 10, 100, 1000... failures: a broken
    # collector on a busy endpoint must not flood the log.
    if str(failures).rstrip("0") == "1":
        state.logger.warning(
            "stats collector %r failed (%d time%s so far) and was skipped; the request was "
            "served as usual: fix or unregister the collector",
            name,
            failures,
            "" if failures == 1 else "s",
            exc_info=failures == 1,
        )


def _recorded(wsgi_app: WSGIApplication, store: Store) -> WSGIApplication:
    """Wrap the app's WSGI callable: one tuple per request into the store's queue."""
    queue = store.recorder.queue
    append = queue.append
    drain = store.recorder.drain
    ensure_started = store.ensure_started

    def plugboard_stats(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        start = perf_counter()
        environ[START_KEY] = start
        status = "500 INTERNAL SERVER ERROR"
        rule = None

        def stats_start_response(
            status_line: str, headers: list[tuple[str, str]], exc_info: OptExcInfo | None = None
        ) -> Callable[[bytes], object]:
            nonlocal status, rule
            status = status_line
            # Here, not after the app returns: Flask drops the request from the environ
            # when it pops the request context.
            # (getattr: a middleware inside this one may answer with no Flask request.)
            rule = getattr(environ.get("werkzeug.request"), "url_rule", None)
            return start_response(status_line, headers, exc_info)

        try:
            return wsgi_app(environ, stats_start_response)
        finally:
            # Also when the app raised past Flask's error handling (PROPAGATE_EXCEPTIONS,
            # on in debug and testing): a 500, under <unmatched> as the rule is gone.
            append(
                (
                    rule,
                    status,
                    start,
                    perf_counter(),
                    environ.get("REQUEST_METHOD", ""),
                    environ.get("PATH_INFO", ""),
                )
            )
            if len(queue) > DRAIN_AT:
                drain()
            if not store.running:
                ensure_started()

    return plugboard_stats
