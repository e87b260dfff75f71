"""The request log: one line per request, with a request id other code can use.

Works with the host (``PLUGBOARD_PLUGINS = ["reqlog"]``) or alone (``RequestLog(app)``).

It runs on every request, so, like the timer, it is WSGI middleware around the app's
``wsgi_app`` and everything the settings decide is worked out once, in
:meth:`RequestLog.setup`. Per request: the request id (the incoming one when sane, else
16 random bytes in hex) goes into the WSGI environ and the response headers; status,
route and headers are picked up in ``start_response``, where Flask's request object is
still in the environ; the line is formatted once the app has returned (see
``_middleware``) and, for a file, appended to a buffer a flusher thread writes in batches
(see ``_output``). Unhandled exceptions are noticed through Flask's
``got_request_exception`` signal, which costs nothing until one happens; the user is
asked for in a ``teardown_request`` function only when some plugin can answer.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import re
from collections.abc import Callable, Mapping
from typing import Any

from flask import Flask, Request, got_request_exception, request

from flask_plugboard import Plugin, SettingsError, __version__, get_state, hookimpl, setting
from flask_plugboard.request_id import RequestIdFilter

from ._format import FORMATS, Outcome, check_template, make_fields, make_formatter
from ._middleware import ERROR_KEY, ROUTE_KEY, SKIPPED_KEY, USER_KEY, Emit, logged
from ._output import RotatingFile, file_path, write_stderr

__all__ = ["RequestLog", "RequestLogSettings"]

_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")

DEFAULT_REDACT_HEADERS = [
    "Authorization",
    "Proxy-Authorization",
    "Cookie",
    "Set-Cookie",
    "X-Api-Key",
    "X-Auth-Token",
    "X-CSRF-Token",
]
DEFAULT_REDACT_QUERY = [
    "token",
    "access_token",
    "refresh_token",
    "id_token",
    "password",
    "passwd",
    "secret",
    "client_secret",
    "api_key",
    "apikey",
    "key",
    "signature",
    "sig",
    "code",
]


@dataclasses.dataclass(frozen=True)
class RequestLogSettings:
    """Settings of the request log (prefix ``REQLOG_``)."""

    format: str = setting(
        "json",
        doc="'json' (one JSON object per line), 'combined' (Apache's combined format) or "
        "a template of {field} placeholders, like '{time} {method} {path} {status}' "
        "(see the field list in the docs).",
    )
    file: str | None = setting(
        None,
        doc="Write the lines to this file instead of stderr. '{pid}' in the path is "
        "replaced by the process id: one file per worker process.",
    )
    max_bytes: int = setting(
        10 * 1024 * 1024,
        min=0,
        doc="Rotate the file before it would grow past this many bytes (0: never).",
    )
    backup_count: int = setting(
        5,
        min=0,
        doc="Rotated files to keep (app.log.1 is the newest); 0 turns rotation off.",
    )
    flush_interval: float = setting(
        0.5,
        min=0,
        doc="Seconds the file's lines may wait in memory before they are written, in one "
        "write per batch (also when 64 KiB wait, at exit and on close). A killed worker "
        "loses at most that much. 0: write every line at once (slower).",
    )
    logger: str | None = setting(
        None,
        doc="Send the lines to this logger, at INFO, instead of stderr or a file (for apps "
        "that route all logs through their own logging setup; slower).",
    )
    utc: bool = setting(True, doc="Times in UTC; false: in the server's local time.")
    request_id_header: str = setting(
        "X-Request-ID",
        doc="Header carrying the request id, read from requests and sent in responses.",
    )
    trust_request_id: bool = setting(
        True,
        doc="Keep an incoming request id when it is 1 to 200 characters of letters, digits "
        "and ._:- (so a proxy's id follows the request); false: always make a new one.",
    )
    redact_headers: list[str] = setting(
        DEFAULT_REDACT_HEADERS,
        doc="Request headers whose values are logged as *** (case-insensitive).",
    )
    redact_query: list[str] = setting(
        DEFAULT_REDACT_QUERY,
        doc="Query parameters whose values are logged as ***, in the path and in the "
        "Referer (case-insensitive).",
    )
    headers: list[str] = setting(
        [],
        doc="Request headers to add to each line (JSON: a 'headers' object; templates: "
        "the {headers} field), those in REQLOG_REDACT_HEADERS as ***.",
    )
    skip_paths: list[str] = setting(
        [],
        doc="Paths not logged, like ['/healthz', '/static/*']: exact, or a prefix when "
        "ending in '*'. Their responses still carry the request id.",
    )

    def __post_init__(self) -> None:
        if self.format not in FORMATS:
            check_template(self.format)
        if not _TOKEN.fullmatch(self.request_id_header):
            raise ValueError(
                f"REQLOG_REQUEST_ID_HEADER = {self.request_id_header!r} is not a header name: "
                "use letters, digits and '-', like 'X-Request-ID'"
            )
        for name in [*self.headers, *self.redact_headers]:
            if not _TOKEN.fullmatch(name):
                raise ValueError(
                    f"header name {name!r} in REQLOG_HEADERS or REQLOG_REDACT_HEADERS is not "
                    "a header name: use letters, digits and '-', like 'Accept-Language'"
                )
        for path in self.skip_paths:
            if not path.startswith("/"):
                raise ValueError(
                    f"REQLOG_SKIP_PATHS entry {path!r} is not a path: start it with '/' "
                    "(and end it with '*' to skip everything under a prefix)"
                )
        if self.file is not None and self.logger is not None:
            raise ValueError(
                f"REQLOG_FILE = {self.file!r} and REQLOG_LOGGER = {self.logger!r} are both "
                "set: set one (a file, or a logger whose handlers write where you want)"
            )
        if self.file == "":
            raise ValueError("REQLOG_FILE is empty: set a path, or None for stderr")


class RequestLog(Plugin):
    """Logs one line per request; a plain Flask extension too: ``RequestLog(app)``."""

    name = "reqlog"
    version = __version__
    description = "Request log: one line per request (JSON, Apache or a template), request ids."
    Settings = RequestLogSettings

    def setup(self, app: Flask, settings: RequestLogSettings) -> None:
        emit = _emitter(app, settings)
        # Flask's documented way to add WSGI middleware, which mypy cannot tell from
        # assigning to a method.
        app.wsgi_app = logged(app.wsgi_app, emit, settings)  # type: ignore[method-assign,assignment]
        got_request_exception.connect(_note_exception, app, weak=False)
        if not any(isinstance(f, RequestIdFilter) for f in app.logger.filters):
            app.logger.addFilter(RequestIdFilter())

    @hookimpl
    def plugboard_app_ready(self, app: Flask) -> None:
        """Ask for the user only when some plugin can tell (checked once, at start-up)."""
        if "reqlog" not in app.extensions:
            return
        hook = get_state(app).hook.plugboard_current_user
        if hook.get_hookimpls():
            app.teardown_request(_user_teardown(hook))


# -- per-request pieces ---------------------------------------------------------------


def _note_exception(app: Flask, exception: BaseException, **extra: Any) -> None:
    """``got_request_exception``: keep the error's type and the route for the line."""
    environ = request.environ
    environ[ERROR_KEY] = type(exception).__name__
    rule = request.url_rule
    environ[ROUTE_KEY] = rule.rule if rule is not None else None


def _user_teardown(hook: Any) -> Callable[[BaseException | None], None]:
    def plugboard_reqlog_user(exc: BaseException | None) -> None:
        current: Request = request._get_current_object()  # type: ignore[attr-defined]
        environ = current.environ
        if SKIPPED_KEY not in environ:  # a logged request
            user = hook(request=current)
            environ[USER_KEY] = None if user is None else str(user)

    return plugboard_reqlog_user


def _emitter(app: Flask, settings: RequestLogSettings) -> Emit:
    """The function that formats and writes one line, for these settings."""
    options: dict[str, Any] = {
        "utc": settings.utc,
        "redact_query_names": settings.redact_query,
        "redact_header_names": settings.redact_headers,
        "log_headers": settings.headers,
    }
    fmt = make_formatter(settings.format, **options)
    if settings.logger is not None:
        log = logging.getLogger(settings.logger)
        fields = make_fields(**options)
        info = logging.INFO

        def to_logger(environ: Mapping[str, Any], o: Outcome) -> None:
            if log.isEnabledFor(info):
                extra = {"request_id": o.request_id, "reqlog": fields(environ, o)}
                log.info(fmt(environ, o), extra=extra)

        return to_logger
    if settings.file is not None:
        _check_directory(settings.file)
        output = RotatingFile(
            settings.file, settings.max_bytes, settings.backup_count, settings.flush_interval
        )
        app.extensions["plugboard.reqlog"] = output
        write = output.write

        def to_file(environ: Mapping[str, Any], o: Outcome) -> None:
            write(fmt(environ, o) + "\n")

        return to_file

    def to_stderr(environ: Mapping[str, Any], o: Outcome) -> None:
        write_stderr(fmt(environ, o) + "\n")

    return to_stderr


def _check_directory(template: str) -> None:
    path = os.path.abspath(file_path(template))
    if os.path.isdir(path):
        raise SettingsError(
            f"REQLOG_FILE = {template!r} is a directory: name a file in it, like "
            f"{os.path.join(template, 'requests.log')!r}"
        )
    directory = os.path.dirname(path)
    if not os.path.isdir(directory):
        raise SettingsError(
            f"REQLOG_FILE = {template!r}: the directory {directory} does not exist; create "
            "it, or leave REQLOG_FILE unset to log to stderr"
        )
    if not os.access(directory, os.W_OK):
        raise SettingsError(
            f"REQLOG_FILE = {template!r}: the directory {directory} is not writable by this "
            "process; fix its permissions or choose another path"
        )
