"""The OpenAPI 3.1 document of an app, from its real routes.

Every rule of ``app.url_map`` becomes an operation per method (HEAD and OPTIONS, static
files, redirects and the docs' own routes left out): its path parameters typed from the
converters, summary and description from the docstring, a tag per plugin or blueprint,
and what ``@api`` declared. Routes without ``@api`` appear with what is truly known:
their parameters, methods and a generic 200.

All the schemas come from one pydantic call, so the component names of the app's models
and of apidocs' error bodies are unique, whatever their modules. The document itself is
assembled with apispec: its component registry refuses a name defined twice (a plugin's
security scheme clashing with another's is caught there), and it normalises parameters
and status codes the way OpenAPI wants them.
"""

from __future__ import annotations

import collections
import copy
import http
import logging
from collections.abc import Mapping
from typing import Any

from apispec import APISpec
from apispec.exceptions import APISpecError
from flask import Flask

from flask_plugboard.plugin import Plugin

from ._contrib import call_all, implementations, rate_limit_responses, route_limits
from ._paths import path_parameters
from ._routes import Route, docstring, plugin_routes, routes, tags_of
from ._schemas import Schemas, parameters, prune
from ._settings import ApiDocsSettings

__all__ = ["OPENAPI_VERSION", "build_document"]

logger = logging.getLogger("flask_plugboard.plugins.apidocs")

OPENAPI_VERSION = "3.1.0"
#: The component kinds of the document, as the hook returns them, and apispec's names.
COMPONENT_KINDS = {
    "schemas": "schema",
    "responses": "response",
    "parameters": "parameter",
    "headers": "header",
    "examples": "example",
    "links": "link",
    "securitySchemes": "security_scheme",
}


def _phrase(code: int) -> str:
    try:
        return http.HTTPStatus(code).phrase
    except ValueError:
        return f"Status {code}"


def _operation(
    route: Route, index: int, schemas: Schemas, tags: list[str], operation_id: str
) -> dict[str, Any]:
    spec = route.spec
    summary, description = docstring(route)
    op: dict[str, Any] = {"operationId": operation_id}
    if tags:
        op["tags"] = tags
    if spec is not None and spec.summary is not None:
        summary = spec.summary
    if spec is not None and spec.description is not None:
        description = spec.description
    if summary:
        op["summary"] = summary
    if description:
        op["description"] = description
    params = path_parameters(route.rule)
    if spec is None:
        if params:
            op["parameters"] = params
        op["responses"] = {"200": {"description": "OK"}}
        return op
    if spec.deprecated:
        op["deprecated"] = True
    if spec.query is not None:
        params += parameters(schemas, (index, "query"), "query", {})
    if spec.headers is not None:
        params += parameters(schemas, (index, "headers"), "header", dict(spec.header_names))
    if params:
        op["parameters"] = params
    if spec.body is not None:
        media: dict[str, Any] = {"schema": schemas.get((index, "body"))}
        if spec.examples:
            media["examples"] = {name: {"value": value} for name, value in spec.examples.items()}
        op["requestBody"] = {"required": True, "content": {"application/json": media}}
    responses: dict[str, Any] = {}
    for code, adapter in spec.responses.items():
        response: dict[str, Any] = {"description": _phrase(code)}
        if adapter is not None:
            response["content"] = {"application/json": {"schema": schemas.get((index, code))}}
        responses[str(code)] = response
    if spec.body is not None:
        responses.setdefault(
            "400",
            {
                "description": "The body is not JSON: malformed, missing, or sent without "
                "Content-Type: application/json.",
                "content": {"application/json": {"schema": schemas.error("ApiError")}},
            },
        )
    if spec.validates:
        responses.setdefault(
            "422",
            {
                "description": "Invalid request: every bad field, where it is and why.",
                "content": {"application/json": {"schema": schemas.error("InvalidRequest")}},
            },
        )
    op["responses"] = responses
    return op


def _operation_ids(ops: list[Route]) -> list[str]:
    """The endpoint, with the method when the endpoint has several operations."""
    counts = collections.Counter(route.endpoint for route in ops)
    ids, taken = [], set()
    for route in ops:
        wanted = route.spec.operation_id if route.spec and route.spec.operation_id else None
        base = wanted or (
            route.endpoint if counts[route.endpoint] == 1 else f"{route.endpoint}_{route.method}"
        )
        candidate, n = base, 2
        while candidate in taken:
            candidate, n = f"{base}_{n}", n + 1
        taken.add(candidate)
        ids.append(candidate)
    return ids


def _add_components(spec: APISpec, app: Flask) -> None:
    for plugin, result in call_all(implementations(app, "apidocs_components"), app=app):
        if not result:
            continue
        if not isinstance(result, Mapping):
            logger.warning(
                "plugin %r: apidocs_components returned %r, not a mapping of component "
                "kinds: left out",
                plugin,
                type(result).__name__,
            )
            continue
        for kind, entries in result.items():
            method = COMPONENT_KINDS.get(kind)
            if method is None or not isinstance(entries, Mapping):
                logger.warning(
                    "plugin %r: apidocs_components returned the kind %r: left out (the "
                    "kinds are %s)",
                    plugin,
                    kind,
                    ", ".join(COMPONENT_KINDS),
                )
                continue
            register = getattr(spec.components, method)
            for name, component in entries.items():
                try:
                    if method == "parameter":
                        register(name, component.get("in", "query"), dict(component))
                    else:
                        register(name, dict(component))
                except APISpecError as exc:
                    logger.warning(
                        "plugin %r: the %s component %r is left out of the document: %s",
                        plugin,
                        kind,
                        name,
                        exc,
                    )


def _tag_description(app: Flask, name: str) -> str | None:
    ext = app.extensions.get(name)
    return (ext.description or None) if isinstance(ext, Plugin) else None


def build_document(
    app: Flask, settings: ApiDocsSettings, own: str, script_root: str = ""
) -> dict[str, Any]:
    """The OpenAPI document of ``app``; ``script_root`` is the prefix the app is mounted
    under, the server URL when ``APIDOCS_SERVERS`` is empty."""
    ops = list(routes(app, settings, own))
    schemas = Schemas(ops)
    options: dict[str, Any] = {}
    if settings.description:
        options["info"] = {"description": settings.description}
    servers = settings.servers or ([script_root] if script_root else [])
    if servers:
        options["servers"] = [{"url": url} for url in servers]
    spec = APISpec(
        title=settings.title or app.name,
        version=settings.version,
        openapi_version=OPENAPI_VERSION,
        **options,
    )
    for name, schema in schemas.defs.items():
        spec.components.schema(name, schema)
    _add_components(spec, app)
    owners = plugin_routes(app)
    limits_hook = implementations(app, "plugboard_route_limits")
    operation_hook = implementations(app, "apidocs_operation")
    limited: dict[str, list[Any]] = {}
    refs = {name: schemas.error(name) for name in ("RateLimited", "RateLimitUnavailable")}
    tags: dict[str, None] = {}
    for index, (route, operation_id) in enumerate(zip(ops, _operation_ids(ops), strict=True)):
        route_tags = tags_of(route, owners)
        tags.update(dict.fromkeys(route_tags))
        op = _operation(route, index, schemas, route_tags, operation_id)
        if limits_hook:
            if route.endpoint not in limited:
                limited[route.endpoint] = route_limits(limits_hook, app, route.endpoint)
            for code, response in rate_limit_responses(limited[route.endpoint], refs).items():
                op["responses"].setdefault(code, response)
        before = copy.deepcopy(op) if operation_hook else op
        call_all(
            operation_hook,
            app=app,
            endpoint=route.endpoint,
            view=route.handler,
            method=route.method,
            path=route.path,
            operation=op,
        )
        try:
            spec.path(path=route.path, operations={route.method: op})
        except APISpecError as exc:
            # A hook broke the operation (a duplicate parameter, say): keep ours.
            logger.warning(
                "the apidocs_operation hooks made %s %s invalid (%s): documented without "
                "their changes",
                route.method.upper(),
                route.path,
                exc,
            )
            spec.path(path=route.path, operations={route.method: before})
    for name in tags:
        tag: dict[str, Any] = {"name": name}
        described = _tag_description(app, name)
        if described:
            tag["description"] = described
        spec.tag(tag)
    built = spec.to_dict()
    prune(built, set(schemas.defs))
    # The usual reading order (apispec puts paths first).
    order = ("openapi", "info", "servers", "tags", "paths", "components")
    return {
        **{key: built[key] for key in order if key in built},
        **{k: v for k, v in built.items() if k not in order},
    }
