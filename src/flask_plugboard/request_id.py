"""The current request's id, for any plugin and any log record, without knowing who set it.

The request logger (the bundled ``reqlog`` plugin) accepts a sane incoming
``X-Request-ID`` or makes one, and puts it in the request's WSGI environ under
:data:`ENVIRON_KEY` before anything else of the app runs. Other code reads it with
:func:`request_id`; log records get it as ``record.request_id`` through
:class:`RequestIdFilter`::

    handler = logging.StreamHandler()
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(logging.Formatter("%(asctime)s [%(request_id)s] %(message)s"))

Without reqlog (or outside a request) there is no id: :func:`request_id` returns ``None``
and the filter writes ``-``.
"""

from __future__ import annotations

import logging

from flask import has_request_context, request

__all__ = ["ENVIRON_KEY", "RequestIdFilter", "request_id"]

#: Key of the request id in the WSGI environ, set by the request logger.
ENVIRON_KEY = "plugboard.request_id"


def request_id() -> str | None:
    """Return the current request's id, or ``None`` outside a request or without reqlog."""
    if not has_request_context():
        return None
    value: str | None = request.environ.get(ENVIRON_KEY)
    return value


class RequestIdFilter(logging.Filter):
    """Adds ``record.request_id``: the current request's id, or ``-`` when there is none.

    Put it on a handler to cover every record the handler writes, or on a logger for
    the records logged to that logger (reqlog puts one on ``app.logger``). A record that
    already has a ``request_id`` keeps it.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id() or "-"
        return True
