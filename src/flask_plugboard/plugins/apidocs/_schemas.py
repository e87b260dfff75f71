"""Every schema of the document, made in one pydantic call (so component names are unique
whatever the models' modules), the parameters made of query and header models, and the
pruning of schemas nothing refers to.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import TypeAdapter
from pydantic.errors import PydanticUserError

from flask_plugboard.errors import PlugboardError

from ._models import ApiError, InvalidRequest, RateLimited, RateLimitUnavailable
from ._routes import Route

__all__ = ["REF", "Schemas", "parameters", "prune"]

REF = "#/components/schemas/{model}"
_ERROR_MODELS = {
    "ApiError": ApiError,
    "InvalidRequest": InvalidRequest,
    "RateLimited": RateLimited,
    "RateLimitUnavailable": RateLimitUnavailable,
}


class Schemas:
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


def parameters(
    schemas: Schemas, key: Any, where: str, names: Mapping[str, str]
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


def prune(document: dict[str, Any], generated: set[str]) -> None:
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
