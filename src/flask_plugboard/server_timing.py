"""Entries for the ``Server-Timing`` response header, from any plugin.

Any plugin can call :func:`add_server_timing` during a request; the timer plugin, when it
runs, sends the entries followed by its own ``total``. Without the timer nobody collects
them and they are dropped, at no cost.

The collector (the timer) puts a list in the request's WSGI environ under
:data:`ENVIRON_KEY`; :func:`add_server_timing` appends to it when it is there. A dict entry
that the WSGI middleware already holds is the cheapest carrier on the hot path: measured,
a context variable's set and reset cost about 0.7 us a request, ``flask.g`` more.
"""

from __future__ import annotations

import re

from flask import request

__all__ = ["ENVIRON_KEY", "add_server_timing", "format_entry"]

#: Key of the request's entry list in the WSGI environ, set by the collector.
ENVIRON_KEY = "plugboard.server_timing"

_TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")


def add_server_timing(name: str, duration_ms: float | None = None, description: str = "") -> None:
    """Add one ``Server-Timing`` metric to the current response.

    ``name`` must be an HTTP token (letters, digits, ``-_.`` ...); ``duration_ms`` is in
    milliseconds, as the header wants; ``description`` is printable ASCII (a header
    cannot carry line breaks, and clients read only Latin-1). Raises ``ValueError``
    otherwise, naming what is wrong.
    """
    if not _TOKEN.match(name):
        raise ValueError(
            f"Server-Timing name {name!r} is not an HTTP token: use letters, digits, -_."
        )
    if description and not (description.isascii() and description.isprintable()):
        raise ValueError(
            f"Server-Timing description {description!r} must be printable ASCII: "
            "no line breaks, no other characters"
        )
    entries: list[str] | None = request.environ.get(ENVIRON_KEY)
    if entries is not None:
        entries.append(format_entry(name, duration_ms, description))


def format_entry(name: str, duration_ms: float | None, description: str = "") -> str:
    """Format one metric: ``name;dur=1.234;desc="..."``."""
    parts = [name]
    if duration_ms is not None:
        parts.append(f"dur={duration_ms:.3f}")
    if description:
        safe = description.replace("\\", "\\\\").replace('"', '\\"')
        parts.append(f'desc="{safe}"')
    return ";".join(parts)
