"""Werkzeug rules as OpenAPI paths: ``/items/<int:item_id>`` -> ``/items/{item_id}``, with
each path parameter typed from its converter. Pure logic: no app, no request.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from werkzeug.routing import BaseConverter, Rule
from werkzeug.routing.converters import (
    AnyConverter,
    FloatConverter,
    IntegerConverter,
    NumberConverter,
    PathConverter,
    UnicodeConverter,
    UUIDConverter,
)

__all__ = ["converter_schema", "openapi_path", "path_parameters"]

#: A variable of a rule, as werkzeug writes them: ``<name>``, ``<int:name>``,
#: ``<string(length=2):name>``.
_VARIABLE = re.compile(r"<(?:[a-zA-Z_][a-zA-Z0-9_]*(?:\(.*?\))?:)?([a-zA-Z_][a-zA-Z0-9_]*)>")


def openapi_path(rule: str) -> str:
    """The OpenAPI path template of a werkzeug rule string."""
    return _VARIABLE.sub(lambda m: "{" + m.group(1) + "}", rule)


def path_variables(rule: str) -> list[str]:
    """The variables of a rule string, in the order they appear."""
    return _VARIABLE.findall(rule)


def _number(conv: NumberConverter, schema: dict[str, Any]) -> dict[str, Any]:
    low = conv.min if conv.min is not None else (None if conv.signed else 0)
    if low is not None:
        schema["minimum"] = low
    if conv.max is not None:
        schema["maximum"] = conv.max
    return schema


def converter_schema(conv: BaseConverter | None) -> dict[str, Any]:
    """The JSON Schema of what a converter matches.

    A converter class of the app's own may say it with an ``openapi_schema`` mapping;
    otherwise an unknown converter is a string matching its regex.
    """
    custom = getattr(conv, "openapi_schema", None)
    if isinstance(custom, Mapping):
        return dict(custom)
    if conv is None:
        return {"type": "string"}
    if isinstance(conv, UUIDConverter):
        return {"type": "string", "format": "uuid"}
    if isinstance(conv, AnyConverter):
        return {"type": "string", "enum": sorted(conv.items)}
    if isinstance(conv, IntegerConverter):
        return _number(conv, {"type": "integer"})
    if isinstance(conv, FloatConverter):
        # Werkzeug matches only numbers written with a decimal point (1.0, not 1).
        return _number(conv, {"type": "number"})
    if isinstance(conv, PathConverter):
        return {"type": "string", "minLength": 1}
    if isinstance(conv, UnicodeConverter):
        # The regex is "[^/]{min,max}": a segment without slashes.
        return {"type": "string", "pattern": f"^{conv.regex}$"}
    return {"type": "string", "pattern": f"^(?:{conv.regex})$"}


def _description(conv: BaseConverter | None) -> str | None:
    if isinstance(conv, FloatConverter):
        return "Written with a decimal point (1.0, not 1)."
    if isinstance(conv, PathConverter):
        return "May contain slashes."
    if isinstance(conv, IntegerConverter) and conv.fixed_digits:
        return f"Written with {conv.fixed_digits} digits (zero-padded)."
    return None


def path_parameters(rule: Rule) -> list[dict[str, Any]]:
    """The OpenAPI path parameters of a bound rule, typed from its converters."""
    # Rule._converters: werkzeug's per-variable converter instances (stable since 0.x);
    # without them every variable is documented as a plain string.
    converters: Mapping[str, BaseConverter] = getattr(rule, "_converters", {})
    params = []
    for name in path_variables(rule.rule):
        conv = converters.get(name)
        param: dict[str, Any] = {
            "name": name,
            "in": "path",
            "required": True,
            "schema": converter_schema(conv),
        }
        described = _description(conv)
        if described:
            param["description"] = described
        params.append(param)
    return params
