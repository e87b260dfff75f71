"""The hook the stats plugin publishes: other plugins implement it to add collectors."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from flask import Request, Response

from flask_plugboard.markers import hookspec

__all__ = ["Collector", "stats_collectors"]

#: ``fn(request, response, elapsed_seconds)`` returning a number to add for the request's
#: endpoint, or ``None`` to add nothing.
Collector = Callable[[Request, Response, float], "float | int | None"]


@hookspec
def stats_collectors() -> Mapping[str, Collector]:
    """Collectors to add to the stats plugin: ``{name: fn(request, response, elapsed)}``."""
    raise NotImplementedError
