"""The request timer: ``X-Request-Time``, ``Server-Timing`` and slow-request warnings.

Works with the host (``PLUGBOARD_PLUGINS = ["timer"]``) or alone (``Timer(app)``).

It runs on every request, so it is WSGI middleware around the app's ``wsgi_app`` rather
than ``before_request``/``after_request`` functions: the clock starts before the request
context, routing and every ``before_request`` function, and stops when the response
starts, after every ``after_request`` function, so all their time and every
``Server-Timing`` entry they add count. The headers go straight into the WSGI header
list. Everything the settings decide is worked out once, in :meth:`Timer.setup`; per
request there are two clock readings, the headers and one logging level check.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterable
from time import perf_counter
from typing import TYPE_CHECKING

from flask import Flask
from werkzeug.wsgi import get_path_info

from flask_plugboard import Plugin, __version__, setting
from flask_plugboard.server_timing import ENVIRON_KEY

if TYPE_CHECKING:
    from _typeshed import OptExcInfo
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

__all__ = ["Timer", "TimerSettings"]


@dataclasses.dataclass(frozen=True)
class TimerSettings:
    """Settings of the timer plugin (prefix ``TIMER_``)."""

    x_request_time: bool = setting(
        True, doc="Send the X-Request-Time response header: the request's time in seconds."
    )
    server_timing: bool = setting(
        True,
        doc="Send the Server-Timing response header: 'total;dur=<ms>' after the entries "
        "that plugins added with flask_plugboard.add_server_timing(). Browsers show it in "
        "their developer tools. Both headers tell clients how long the server took; turn "
        "them off where that must stay private.",
    )
    slow_threshold: float = setting(
        1.0,
        min=0,
        doc="Seconds after which a request is logged as slow, at WARNING. 0 turns the warning off.",
    )
    logger: str = setting(
        "flask_plugboard.plugins.timer",
        doc="Name of the logger of the slow-request warnings and of the one line per "
        "request logged at DEBUG (only when that logger is enabled for DEBUG).",
    )
    precision: int = setting(
        6, min=0, max=9, doc="Decimal places of X-Request-Time (6: microseconds)."
    )


class Timer(Plugin):
    """Times every request of the app; a plain Flask extension too: ``Timer(app)``."""

    name = "timer"
    version = __version__
    description = "Times requests: X-Request-Time and Server-Timing headers, slow-request log."
    Settings = TimerSettings

    def setup(self, app: Flask, settings: TimerSettings) -> None:
        # Flask's documented way to add WSGI middleware, which mypy cannot tell from
        # assigning to a method.
        app.wsgi_app = _timed(app.wsgi_app, settings)  # type: ignore[method-assign,assignment]


@dataclasses.dataclass(frozen=True)
class _RequestLog:
    """The timer's log lines: a warning for slow requests, else a line at DEBUG."""

    logger: logging.Logger
    #: Seconds from which a request is slow (infinite when the warning is off).
    threshold: float
    setting: float

    @classmethod
    def of(cls, settings: TimerSettings) -> _RequestLog:
        threshold = settings.slow_threshold or float("inf")
        return cls(logging.getLogger(settings.logger), threshold, settings.slow_threshold)

    def __call__(self, environ: WSGIEnvironment, outcome: str, seconds: float) -> None:
        """Log one request (the hot path in :func:`_timed` makes these checks inline)."""
        if seconds >= self.threshold:
            self.slow(environ, outcome, seconds)
        elif self.logger.isEnabledFor(logging.DEBUG):
            self.line(environ, outcome, seconds)

    def slow(self, environ: WSGIEnvironment, outcome: str, seconds: float) -> None:
        self.logger.warning(
            "slow request: %s %s -> %s in %.3f s (TIMER_SLOW_THRESHOLD is %s s)",
            environ.get("REQUEST_METHOD"),
            get_path_info(environ),  # the path only: query strings can hold secrets
            outcome,
            seconds,
            self.setting,
        )

    def line(self, environ: WSGIEnvironment, outcome: str, seconds: float) -> None:
        self.logger.debug(
            "%s %s -> %s in %.3f ms",
            environ.get("REQUEST_METHOD"),
            get_path_info(environ),
            outcome,
            seconds * 1000,
        )


def _server_timing(seconds: float, entries: list[str]) -> str:
    """The Server-Timing value: the entries plugins added, then ``total``."""
    total = f"total;dur={seconds * 1000:.3f}"  # the format of server_timing.format_entry
    return ", ".join([*entries, total]) if entries else total


def _timed(wsgi_app: WSGIApplication, settings: TimerSettings) -> WSGIApplication:
    """Wrap the app's WSGI callable: time each request, add the headers, log."""
    x_request_time = settings.x_request_time
    server_timing = settings.server_timing
    x_spec = f".{settings.precision}f"
    log = _RequestLog.of(settings)
    slow, line, threshold = log.slow, log.line, log.threshold
    debug_enabled = log.logger.isEnabledFor
    debug = logging.DEBUG

    def plugboard_timer(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        start = perf_counter()
        logged = False
        entries: list[str] = []
        environ[ENVIRON_KEY] = entries

        def timed_start_response(
            status: str, headers: list[tuple[str, str]], exc_info: OptExcInfo | None = None
        ) -> Callable[[bytes], object]:
            nonlocal logged
            seconds = perf_counter() - start
            if x_request_time:
                headers.append(("X-Request-Time", format(seconds, x_spec)))
            if server_timing:
                headers.append(("Server-Timing", _server_timing(seconds, entries)))
            if not logged:
                logged = True
                # Inline, not log(...): this runs on every request.
                if seconds >= threshold:
                    slow(environ, status, seconds)
                elif debug_enabled(debug):
                    line(environ, status, seconds)
            return start_response(status, headers, exc_info)

        try:
            return wsgi_app(environ, timed_start_response)
        except BaseException as exc:
            # Raised past Flask's error handling (PROPAGATE_EXCEPTIONS, on in debug and
            # testing), or by a teardown function. Costs nothing when nothing raises.
            if not logged:
                log(environ, type(exc).__name__, perf_counter() - start)
            raise

    return plugboard_timer
