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

import copy
import dataclasses
import http
import inspect
import logging
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from apispec import APISpec
from apispec.exceptions import APISpecError
from flask import Flask
from pydantic import TypeAdapter
from pydantic.errors import PydanticUserError
from werkzeug.routing import Rule

from flask_plugboard._state import EXTENSION_KEY
from flask_plugboard.errors import PlugboardError
from flask_plugboard.plugin import Plugin

from ._contrib import call_all, implementations, rate_limit_responses, route_limits
from ._decorator import ApiSpec, spec_of
from ._models import ApiError, InvalidRequest, RateLimited, RateLimitUnavailable
from ._paths import openapi_path, path_parameters
from ._settings import ApiDocsSettings

__all__ = ["OPENAPI_VERSION", "Route", "build_document", "routes"]

logger = logging.getLogger("flask_plugboard.plugins.apidocs")

OPENAPI_VERSION = "3.1.0"
REF = "#/components/schemas/{model}"
#: Methods in the order OpenAPI lists them.
METHODS = ("get", "put", "post", "delete", "patch", "trace")
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
_ERROR_MODELS = {
    "ApiError": ApiError,
    "InvalidRequest": InvalidRequest,
    "RateLimited": RateLimited,
    "RateLimitUnavailable": RateLimitUnavailable,
}


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


def _plugin_routes(app: Flask) -> dict[str, str]:
    """Rule -> the plugin that registered it (from the host's records)."""
    state = app.extensions.get(EXTENSION_KEY)
    if state is None:
        return {}
    owners: dict[str, str] = {}
    for record in state.records.values():
        for route in record.routes:
            owners.setdefault(route.partition(" ")[2], record.name)
    return owners


def _tag(route: Route, owners: Mapping[str, str]) -> list[str]:
    if route.spec is not None and route.spec.tags is not None:
        return list(route.spec.tags)
    owner = owners.get(route.rule.rule)
    if owner is not None:
        return [owner]
    blueprints = _blueprints(route.endpoint)
    return [blueprints[0]] if blueprints else []


def _docstring(route: Route) -> tuple[str | None, str | None]:
    doc = inspect.getdoc(route.handler) or ""
    if not doc and route.handler is not route.view:
        doc = inspect.getdoc(getattr(route.view, "view_class", None)) or ""
    first, _, rest = doc.strip().partition("\n\n")
    summary = " ".join(first.split()) or None
    return summary, rest.strip() or None


def _phrase(code: int) -> str:
    try:
        return http.HTTPStatus(code).phrase
    except ValueError:
        return f"Status {code}"


class _Schemas:
    """Every schema of the document, made in one pydantic call."""

    def __init__(self, ops: list[Route]) -> None:
        inputs: list[tuple[Any, Any, TypeAdapter[Any]]] = [
            (("error", name), "serialization", TypeAdapter(model))
            for name, model in _ERROR_MODELS.items()
        ]
        for i, route in enumerate(ops):
            spec = route.spec
            if spec is None:
                continue
            if spec.body is not None:
                inputs.append(((i, "body"), "validation", spec.body))
            for part in ("query", "headers"):
                model = getattr(spec, part)
                if model is not None:
                    inputs.append(((i, part), "validation", TypeAdapter(model)))
            for code, adapter in spec.responses.items():
                if adapter is not None:
                    inputs.append(((i, code), "serialization", adapter))
        try:
            found, defs = TypeAdapter.json_schemas(inputs, ref_template=REF)
        except PydanticUserError:
            raise _culprit(inputs, ops) from None
        self.by_key = {key: schema for (key, _mode), schema in found.items()}
        self.defs: dict[str, Any] = dict(defs.get("$defs", {}))

    def get(self, key: Any) -> dict[str, Any]:
        schema: dict[str, Any] = self.by_key[key]
        return schema

    def error(self, name: str) -> dict[str, Any]:
        return self.get(("error", name))

    def resolve(self, schema: Mapping[str, Any]) -> Mapping[str, Any]:
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            found: Mapping[str, Any] = self.defs.get(ref.rsplit("/", 1)[1], schema)
            return found
        return schema


def _culprit(inputs: list[tuple[Any, Any, TypeAdapter[Any]]], ops: list[Route]) -> PlugboardError:
    """The error naming the first view whose types pydantic cannot write a schema of."""
    for key, mode, adapter in inputs:
        try:
            adapter.json_schema(mode=mode, ref_template=REF)
        except PydanticUserError as exc:
            index, part = key
            label = f"response {part}" if isinstance(part, int) else part
            where = f"{label} of {ops[index].endpoint!r}" if isinstance(index, int) else label
            return PlugboardError(
                f"@api: pydantic cannot write the JSON Schema of the {where} ({exc}): give "
                "the field a JSON-friendly type, or a WithJsonSchema annotation"
            )
    return PlugboardError("pydantic cannot write the JSON Schemas of the app's @api views")


def _parameters(
    schemas: _Schemas, key: Any, where: str, names: Mapping[str, str]
) -> list[dict[str, Any]]:
    model = schemas.resolve(schemas.get(key))
    required = set(model.get("required", ()))
    params = []
    for name, prop in model.get("properties", {}).items():
        schema = {k: v for k, v in prop.items() if k not in ("title", "description")}
        param: dict[str, Any] = {
            "name": names.get(name, name),
            "in": where,
            "required": name in required,
            "schema": schema,
        }
        if "description" in prop:
            param["description"] = prop["description"]
        params.append(param)
    return params


def _operation(
    route: Route, index: int, schemas: _Schemas, tags: list[str], operation_id: str
) -> dict[str, Any]:
    spec = route.spec
    summary, description = _docstring(route)
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
        params += _parameters(schemas, (index, "query"), "query", {})
    if spec.headers is not None:
        params += _parameters(schemas, (index, "headers"), "header", dict(spec.header_names))
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
    counts: dict[str, int] = {}
    for route in ops:
        counts[route.endpoint] = counts.get(route.endpoint, 0) + 1
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
            for name, component in entries.items():
                register = getattr(spec.components, method)
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


def _refs(value: Any, found: set[str]) -> None:
    if isinstance(value, Mapping):
        ref = value.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            found.add(ref.rsplit("/", 1)[1])
        for item in value.values():
            _refs(item, found)
    elif isinstance(value, list):
        for item in value:
            _refs(item, found)


def _prune(document: dict[str, Any], generated: set[str]) -> None:
    """Drop the generated schemas nothing refers to (query and header models, whose
    fields became parameters; error bodies no route can answer)."""
    schemas: dict[str, Any] = document.get("components", {}).get("schemas", {})
    if not schemas:
        return
    outside = {k: v for k, v in document.items() if k != "components"}
    outside["components"] = {k: v for k, v in document["components"].items() if k != "schemas"}
    used: set[str] = set()
    _refs(outside, used)
    used |= set(schemas) - generated
    pending = list(used)
    while pending:
        name = pending.pop()
        inner: set[str] = set()
        _refs(schemas.get(name), inner)
        for child in inner - used:
            used.add(child)
            pending.append(child)
    for name in set(schemas) - used:
        del schemas[name]
    if not schemas:
        del document["components"]["schemas"]
        if not document["components"]:
            del document["components"]


def _tag_description(app: Flask, name: str) -> str | None:
    ext = app.extensions.get(name)
    return (ext.description or None) if isinstance(ext, Plugin) else None


def build_document(
    app: Flask, settings: ApiDocsSettings, own: str, script_root: str = ""
) -> dict[str, Any]:
    """The OpenAPI document of ``app``; ``script_root`` is the prefix the app is mounted
    under, the server URL when ``APIDOCS_SERVERS`` is empty."""
    ops = list(routes(app, settings, own))
    schemas = _Schemas(ops)
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
    owners = _plugin_routes(app)
    limits_hook = implementations(app, "plugboard_route_limits")
    operation_hook = implementations(app, "apidocs_operation")
    limited: dict[str, list[Any]] = {}
    refs = {name: schemas.error(name) for name in ("RateLimited", "RateLimitUnavailable")}
    tags: dict[str, None] = {}
    for index, (route, operation_id) in enumerate(zip(ops, _operation_ids(ops), strict=True)):
        route_tags = _tag(route, owners)
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
    _prune(built, set(schemas.defs))
    # The usual reading order (apispec puts paths first).
    order = ("openapi", "info", "servers", "tags", "paths", "components")
    return {
        **{key: built[key] for key in order if key in built},
        **{k: v for k, v in built.items() if k not in order},
    }
