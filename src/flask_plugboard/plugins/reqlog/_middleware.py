"""The request log's WSGI middleware: request id in and out, one line per request.

Everything the settings decide is worked out once, in :func:`logged`; per request: the
id (the incoming one when sane, else 16 random bytes in hex, from a per-process pool)
goes into the WSGI environ and the response headers; status, route and headers are picked up in
``start_response``, where Flask's request object is still in the environ (Flask drops it
before the middleware gets control back); the line is formatted and written once the app
has returned. Only a body of unknown length is wrapped, to count its bytes and log when
it is closed.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from time import perf_counter, time
from typing import TYPE_CHECKING, Any

from flask_plugboard.request_id import ENVIRON_KEY

from ._format import Outcome

if TYPE_CHECKING:
    from _typeshed import OptExcInfo
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

    from . import RequestLogSettings

__all__ = ["ERROR_KEY", "ROUTE_KEY", "SANE_ID", "SKIPPED_KEY", "USER_KEY", "Emit", "logged"]

logger = logging.getLogger("flask_plugboard")

#: Environ keys of what Flask's hooks tell the middleware.
ROUTE_KEY = "plugboard.reqlog.route"
ERROR_KEY = "plugboard.reqlog.error"
USER_KEY = "plugboard.reqlog.user"
#: Set on requests to a skipped path (not logged: nobody needs their user).
SKIPPED_KEY = "plugboard.reqlog.skipped"

#: A request id accepted from a client: short, and nothing that could forge a log line.
SANE_ID = re.compile(r"[A-Za-z0-9._:\-]{1,200}")

#: Formats and writes one line.
Emit = Callable[[Mapping[str, Any], Outcome], None]

#: New request ids, made 64 at a time: one ``os.urandom`` system call per id measured
#: 0.5 us, a ``list.pop`` 0.04 us. Atomic under the GIL, so threads never share an id;
#: emptied in a forked child (gunicorn workers), so processes never share one either.
_ids: list[str] = []


def _more_ids() -> str:
    """Refill :data:`_ids` with 64 ids of 16 random bytes (32 hex digits); return one."""
    hexed = os.urandom(16 * 64).hex()
    _ids.extend([hexed[i : i + 32] for i in range(32, len(hexed), 32)])
    return hexed[:32]


if hasattr(os, "register_at_fork"):  # not on Windows, which does not fork
    os.register_at_fork(after_in_child=_ids.clear)


def _environ_key(header: str) -> str:
    return "HTTP_" + header.upper().replace("-", "_")


def logged(
    wsgi_app: WSGIApplication, emit: Emit, settings: RequestLogSettings
) -> WSGIApplication:
    """Wrap the app's WSGI callable: request id in and out, then one line per request."""
    header = settings.request_id_header
    # "" is never an environ key: an untrusted header reads as absent, without a branch.
    incoming = _environ_key(header) if settings.trust_request_id else ""
    sane = SANE_ID.fullmatch
    skip_exact = frozenset(p for p in settings.skip_paths if not p.endswith("*"))
    skip_prefixes = tuple(p[:-1] for p in settings.skip_paths if p.endswith("*"))
    skipping = bool(skip_exact or skip_prefixes)
    next_id, more_ids = _ids.pop, _more_ids
    # tuple.__new__ makes the Outcome in C: Outcome(...) runs a Python __new__.
    new, outcome_type = tuple.__new__, Outcome

    def safe_emit(environ: Mapping[str, Any], outcome: Outcome) -> None:
        try:
            emit(environ, outcome)
        except Exception:  # a log line must never fail the request
            logger.exception("reqlog could not log a request")

    def plugboard_reqlog(
        environ: WSGIEnvironment, start_response: StartResponse
    ) -> Iterable[bytes]:
        start = perf_counter()
        started = time()
        rid = environ.get(incoming)
        if rid is None or sane(rid) is None:
            try:
                rid = next_id()
            except IndexError:
                rid = more_ids()
        environ[ENVIRON_KEY] = rid
        if skipping:
            path = environ.get("PATH_INFO", "")
            if path in skip_exact or (skip_prefixes and path.startswith(skip_prefixes)):
                environ[SKIPPED_KEY] = True
                return wsgi_app(environ, _echo(start_response, header, rid))
        status: str | None = None
        headers: list[tuple[str, str]] = []
        route: str | None = None

        def logged_start_response(
            status_line: str,
            response_headers: list[tuple[str, str]],
            exc_info: OptExcInfo | None = None,
        ) -> Callable[[bytes], object]:
            nonlocal status, headers, route
            response_headers.append((header, rid))
            status, headers = status_line, response_headers
            # Flask's request object, still here until the request context is popped.
            current = environ.get("werkzeug.request")
            if current is not None:
                rule = current.url_rule
                route = rule.rule if rule is not None else None
            return start_response(status_line, response_headers, exc_info)

        try:
            body = wsgi_app(environ, logged_start_response)
        except BaseException as exc:
            # Raised past Flask's error handling (PROPAGATE_EXCEPTIONS, on in debug and
            # testing), or by a teardown function: the server answers 500.
            safe_emit(
                environ,
                Outcome(
                    started,
                    500,
                    0,
                    perf_counter() - start,
                    route or environ.get(ROUTE_KEY),
                    type(exc).__name__,
                    rid,
                    environ.get(USER_KEY),
                ),
            )
            raise

        length = _content_length(headers)
        if length is None or status is None:

            def finish(sent: int, error: str | None) -> None:
                outcome = Outcome(
                    started,
                    int(status[:3]) if status else 500,
                    sent,
                    perf_counter() - start,
                    route,
                    error or environ.get(ERROR_KEY),
                    rid,
                    environ.get(USER_KEY),
                )
                safe_emit(environ, outcome)

            return _Counted(body, environ, finish)
        outcome: Outcome = new(
            outcome_type,
            (
                started,
                int(status[:3]),
                0 if environ.get("REQUEST_METHOD") == "HEAD" else length,
                perf_counter() - start,
                route,
                environ.get(ERROR_KEY),
                rid,
                environ.get(USER_KEY),
            ),
        )
        try:
            emit(environ, outcome)
        except Exception:  # a log line must never fail the request
            logger.exception("reqlog could not log a request")
        return body

    return plugboard_reqlog


def _content_length(headers: list[tuple[str, str]]) -> int | None:
    """The Content-Length header's value, or ``None`` when absent or not a number."""
    value = None
    for name, header_value in headers:
        if name == "Content-Length":  # as Werkzeug writes it
            value = header_value
            break
    else:
        for name, header_value in headers:  # other apps may write it otherwise
            if name.lower() == "content-length":
                value = header_value
                break
    return int(value) if value is not None and value.isdigit() else None


def _echo(start_response: StartResponse, header: str, rid: str) -> StartResponse:
    """``start_response`` adding the request id header (for skipped paths)."""

    def echo_start_response(
        status: str, headers: list[tuple[str, str]], exc_info: OptExcInfo | None = None
    ) -> Callable[[bytes], object]:
        headers.append((header, rid))
        return start_response(status, headers, exc_info)

    return echo_start_response


class _Counted:
    """A response body of unknown length: counts its bytes, logs when closed."""

    def __init__(
        self,
        body: Iterable[bytes],
        environ: Mapping[str, Any],
        finish: Callable[[int, str | None], None],
    ) -> None:
        self.body = body
        self.head = environ.get("REQUEST_METHOD") == "HEAD"
        self.finish: Callable[[int, str | None], None] | None = finish
        self.sent = 0
        self.error: str | None = None

    def __iter__(self) -> Iterator[bytes]:
        try:
            for chunk in self.body:
                self.sent += len(chunk)
                yield chunk
        except Exception as exc:  # logged at close, then raised on to the server
            self.error = type(exc).__name__
            raise

    def close(self) -> None:
        try:
            close = getattr(self.body, "close", None)
            if close is not None:
                close()
        finally:
            finish, self.finish = self.finish, None
            if finish is not None:
                finish(0 if self.head else self.sent, self.error)
