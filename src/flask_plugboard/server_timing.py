"""Entries for the ``Server-Timing`` response header, from any plugin.

Any plugin can call :func:`add_server_timing` during a request; the timer plugin, when it
runs, sends the entries with its own ``total``. Without the timer the entries are dropped.
"""

from __future__ import annotations

import re

from flask import g

__all__ = ["add_server_timing", "server_timing_entries", "format_entry"]

_TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")


def add_server_timing(name: str, duration_ms: float | None = None, description: str = "") -> None:
    """Add one ``Server-Timing`` metric to the current response.

    ``name`` must be an HTTP token (letters, digits, ``-_.`` ...); ``duration_ms`` is in
    milliseconds, as the header wants.
    """
    if not _TOKEN.match(name):
        raise ValueError(
            f"Server-Timing name {name!r} is not an HTTP token: use letters, digits, -_."
        )
    entries: list[str] | None = g.get("_plugboard_server_timing")
    if entries is None:
        entries = g._plugboard_server_timing = []
    entries.append(format_entry(name, duration_ms, description))


def server_timing_entries() -> list[str]:
    """The entries added so far in this request."""
    entries: list[str] = g.get("_plugboard_server_timing") or []
    return entries


def format_entry(name: str, duration_ms: float | None, description: str = "") -> str:
    """Format one metric: ``name;dur=1.234;desc="..."``."""
    parts = [name]
    if duration_ms is not None:
        parts.append(f"dur={duration_ms:.3f}")
    if description:
        safe = description.replace("\\", "\\\\").replace('"', '\\"')
        parts.append(f'desc="{safe}"')
    return ";".join(parts)
