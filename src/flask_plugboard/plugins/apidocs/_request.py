"""The request path of ``@api``: read, validate, answer 400/422 (the answers: :mod:`._response`).

Everything a request needs is worked out once, when the view is decorated: the pydantic
validators, the query keys that take lists, the WSGI environ key of every header. Per
request, validation is one call into pydantic-core per part (JSON parsing included, for
the body), and nothing else looks at the models.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from flask import Request, Response
from pydantic import ValidationError

__all__ = [
    "BodyParser",
    "FieldErrors",
    "HeaderParser",
    "QueryParser",
    "bad_request",
    "invalid",
]

#: ``[{"in": ..., "field": ..., "message": ..., "type": ...}, ...]``
FieldErrors = list[dict[str, str]]

_JSON = "application/json"


def _dotted(loc: Sequence[int | str]) -> str:
    return ".".join(str(part) for part in loc)


def field_errors(
    exc: ValidationError, where: str, names: Mapping[str, str] | None = None
) -> FieldErrors:
    """pydantic's errors as the 422 body lists them; ``names`` maps keys to wire names."""
    out = []
    for error in exc.errors(include_url=False):
        loc = error["loc"]
        field = _dotted(loc)
        if names and loc and isinstance(loc[0], str) and loc[0] in names:
            field = _dotted((names[loc[0]], *loc[1:]))
        out.append({"in": where, "field": field, "message": error["msg"], "type": error["type"]})
    return out


def _json_response(body: Mapping[str, Any], status: int) -> Response:
    return Response(json.dumps(body), status, mimetype=_JSON)


def bad_request(message: str) -> Response:
    """400 with ``{"error": message}``: a body that is not JSON at all."""
    return _json_response({"error": message}, 400)


def invalid(errors: FieldErrors) -> Response:
    """422 naming every bad field."""
    return _json_response({"error": "invalid request", "errors": errors}, 422)


class BodyParser:
    """Reads and validates a JSON body: pydantic-core parses and validates in one pass."""

    __slots__ = ("validate",)

    def __init__(self, validate: Callable[[bytes], Any]) -> None:
        self.validate = validate

    def parse(self, req: Request) -> tuple[Any, FieldErrors | Response | None]:
        """(value, None), or (None, field errors), or (None, a 400 response)."""
        content_type = req.environ.get("CONTENT_TYPE", "")
        if content_type != _JSON and not req.is_json:  # also application/*+json
            got = f"Content-Type {content_type!r}" if content_type else "no Content-Type"
            return None, bad_request(
                f"the body must be JSON, sent with Content-Type: application/json ({got})"
            )
        data = req.get_data(cache=True)
        if not data:
            return None, bad_request("a JSON body is required")
        try:
            return self.validate(data), None
        except ValidationError as exc:
            first = exc.errors(include_url=False)[0]
            if first["type"] == "json_invalid":
                reason = (first.get("ctx") or {}).get("error") or first["msg"]
                return None, bad_request(f"the body is not valid JSON: {reason}")
            return None, field_errors(exc, "body")


class QueryParser:
    """Validates the query string: a key given twice is an error unless its field is a list."""

    __slots__ = ("validate", "lists")

    def __init__(self, validate: Callable[[Any], Any], lists: frozenset[str]) -> None:
        self.validate = validate
        self.lists = lists

    def parse(self, req: Request) -> tuple[Any, FieldErrors | None]:
        data: dict[str, Any] = {}
        errors: FieldErrors = []
        for key, values in req.args.lists():
            if key in self.lists:
                data[key] = values
            else:
                data[key] = values[0]
                if len(values) > 1:
                    errors.append(
                        {
                            "in": "query",
                            "field": key,
                            "message": f"given {len(values)} times: give it once",
                            "type": "repeated",
                        }
                    )
        try:
            value = self.validate(data)
        except ValidationError as exc:
            return None, errors + field_errors(exc, "query")
        return (None, errors) if errors else (value, None)


class HeaderParser:
    """Validates the declared headers, read straight from the WSGI environ."""

    __slots__ = ("validate", "fields", "names")

    def __init__(self, validate: Callable[[Any], Any], fields: Sequence[tuple[str, str]]) -> None:
        self.validate = validate
        #: (environ key, validation key) per declared header.
        self.fields = tuple((environ_key(wire), key) for key, wire in fields)
        #: validation key -> header name, for the errors.
        self.names = dict(fields)

    def parse(self, req: Request) -> tuple[Any, FieldErrors | None]:
        environ = req.environ
        data = {key: environ[name] for name, key in self.fields if name in environ}
        try:
            return self.validate(data), None
        except ValidationError as exc:
            return None, field_errors(exc, "header", self.names)


def environ_key(header: str) -> str:
    """The WSGI environ key of a request header: ``X-Api-Key`` -> ``HTTP_X_API_KEY``."""
    name = header.upper().replace("-", "_")
    return name if name in ("CONTENT_TYPE", "CONTENT_LENGTH") else f"HTTP_{name}"
