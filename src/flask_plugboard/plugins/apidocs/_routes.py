"""Which operations an app has: every rule of ``app.url_map`` and method, with what the
route itself tells (its handler, ``@api``, docstring, owner). No pydantic, no apispec.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from flask import Flask
from werkzeug.routing import Rule

from flask_plugboard import get_state

from ._decorator import ApiSpec, spec_of
from ._paths import openapi_path
from ._settings import ApiDocsSettings

__all__ = ["METHODS", "Route", "docstring", "plugin_routes", "routes", "tags_of"]

#: Methods in the order OpenAPI lists them (HEAD and OPTIONS are Flask's own).
METHODS = ("get", "put", "post", "delete", "patch", "trace")


@dataclasses.dataclass(frozen=True)
class Route:
    """One operation: a rule and one of its methods."""

    path: str
    method: str
    endpoint: str
    rule: Rule
    #: The function Flask calls for the endpoint.
    view: Callable[..., Any]
    #: The function that handles the method (a class-based view's method, else ``view``).
    handler: Callable[..., Any]
    spec: ApiSpec | None


def _blueprints(endpoint: str) -> list[str]:
    """``a.b.view`` -> ``["a.b", "a"]``."""
    parts = endpoint.split(".")[:-1]
    return [".".join(parts[:i]) for i in range(len(parts), 0, -1)]


def _handler(view: Callable[..., Any], method: str) -> Callable[..., Any]:
    view_class = getattr(view, "view_class", None)
    if view_class is None:
        return view
    found = getattr(view_class, method, None) or getattr(view_class, "dispatch_request", None)
    return found if callable(found) else view


def routes(app: Flask, settings: ApiDocsSettings, own: str) -> Iterator[Route]:
    """The operations to document, in the order of the app's URL map.

    ``own`` is the name of the docs' blueprint, left out with static files, redirects,
    build-only rules, ``APIDOCS_EXCLUDE`` and HEAD/OPTIONS.
    """
    excluded = set(settings.exclude)
    seen: set[tuple[str, str]] = set()
    for rule in app.url_map.iter_rules():
        endpoint = rule.endpoint
        if not isinstance(endpoint, str) or rule.build_only or rule.redirect_to is not None:
            continue
        blueprints = _blueprints(endpoint)
        if (
            endpoint == "static"
            or endpoint.endswith(".static")
            or endpoint in excluded
            or own in blueprints
            or excluded.intersection(blueprints)
        ):
            continue
        view = app.view_functions.get(endpoint)
        if view is None:
            continue
        path = openapi_path(rule.rule)
        methods = {m.lower() for m in rule.methods or ()}
        for method in METHODS:
            # The first rule for a path and method is the one werkzeug matches.
            if method not in methods or (path, method) in seen:
                continue
            seen.add((path, method))
            handler = _handler(view, method)
            spec = spec_of(handler) or spec_of(view)
            yield Route(path, method, endpoint, rule, view, handler, spec)


def plugin_routes(app: Flask) -> dict[str, str]:
    """Rule -> the plugin that registered it (from the host's records)."""
    state = get_state(app, default=None)
    if state is None:
        return {}
    owners: dict[str, str] = {}
    for record in state.records.values():
        for route in record.routes:
            owners.setdefault(route.partition(" ")[2], record.name)
    return owners


def tags_of(route: Route, owners: Mapping[str, str]) -> list[str]:
    if route.spec is not None and route.spec.tags is not None:
        return list(route.spec.tags)
    owner = owners.get(route.rule.rule)
    if owner is not None:
        return [owner]
    blueprints = _blueprints(route.endpoint)
    return [blueprints[0]] if blueprints else []


def docstring(route: Route) -> tuple[str | None, str | None]:
    doc = inspect.getdoc(route.handler) or ""
    if not doc and route.handler is not route.view:
        doc = inspect.getdoc(getattr(route.view, "view_class", None)) or ""
    first, _, rest = doc.strip().partition("\n\n")
    summary = " ".join(first.split()) or None
    return summary, rest.strip() or None
