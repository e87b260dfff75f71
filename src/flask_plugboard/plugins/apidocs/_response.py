"""The answer path of ``@api``: what a view returns goes out as its declared type says.

A body of a status declared with a type (``response=Item``, ``{201: Item}``,
``list[Item]``) is read into that type and written by pydantic: fields the type does not
declare are dropped (a dict's ``password_hash`` never leaves), objects such as SQLAlchemy
rows are read by attribute (``from_attributes``), and a body that does not fit raises
:class:`ResponseValidationError`, naming the view and each field, which Flask logs and
answers with a 500 (the server's bug, not the client's).

Each declared type's validator and serialiser are pydantic-core's own, taken once when the
view is decorated: per answer, one validation (an ``isinstance`` for a model of the
declared type) and one serialisation, straight to JSON bytes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from flask import Response
from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic_core import PydanticSerializationError, to_json
from werkzeug.wrappers import Response as BaseResponse

from flask_plugboard.errors import PlugboardError

__all__ = ["Answers", "BodyWriter", "ResponseValidationError", "type_name"]

_JSON = "application/json"
#: Bodies Flask gives a meaning of its own (a response, text, bytes, a stream): never
#: JSON here.
_FLASK_BODIES = (BaseResponse, str, bytes, bytearray, Iterator)
_STATUSES = (int, str)  # a tuple: no union built per call
_MODULES = re.compile(r"\b(?:[A-Za-z_][A-Za-z0-9_]*\.)+(?=[A-Za-z_])")


class ResponseValidationError(PlugboardError):
    """A view answered a body that does not fit the type its ``@api(response=...)`` declares.

    The server's bug, not the client's: Flask logs it (this message: the view, the status,
    the type and each bad field, never the values) and answers 500. ``view`` is the view's
    qualified name, ``status`` the answer's, ``errors`` a ``(field, message)`` list.
    """

    def __init__(
        self, view: str, status: int, declared: str, errors: list[tuple[str, str]]
    ) -> None:
        self.view = view
        self.status = status
        self.errors = errors
        fields = "; ".join(f"{field or 'the whole body'}: {message}" for field, message in errors)
        super().__init__(
            f"view {view!r} answered {status} with a body that is not a valid {declared} "
            f"({fields}): fix the view, or declare the body it really answers in "
            "@api(response=...); the client got a 500"
        )


def type_name(tp: Any) -> str:
    """``Item``, ``list[Item]``: a declared type as its view's author wrote it."""
    if isinstance(tp, type) and not getattr(tp, "__args__", None):
        return tp.__qualname__
    return _MODULES.sub("", repr(tp)).replace("typing.", "")


def _models(body: Any) -> bool:
    """Whether the body is a model, or a list of models (written with every field)."""
    if isinstance(body, BaseModel):
        return True
    return isinstance(body, list) and all(isinstance(item, BaseModel) for item in body)


class BodyWriter:
    """Writes one declared body type: validates a view's value into it, then to JSON."""

    __slots__ = ("declared", "dump", "validate")

    def __init__(self, adapter: TypeAdapter[Any], declared: str) -> None:
        # pydantic-core's own methods: TypeAdapter's wrappers cost as much again per call.
        self.validate: Callable[..., Any] = adapter.validator.validate_python
        self.dump: Callable[..., bytes] = adapter.serializer.to_json
        self.declared = declared

    def write(self, body: Any, view: str, status: int) -> Response:
        """``body`` as JSON of the declared type, or :class:`ResponseValidationError`.

        A model is written with all its declared fields; a dict or an object with the
        declared fields it has (a field it lacks stays out, as it would from the view's
        own JSON), validated, so a missing required field or a wrong type is an error.
        """
        try:
            value = self.validate(body, from_attributes=True)
            data = self.dump(value, by_alias=True, exclude_unset=not _models(body))
        except ValidationError as exc:
            errors = [
                (".".join(str(part) for part in error["loc"]), f"{error['msg']} ({error['type']})")
                for error in exc.errors(include_url=False, include_input=False)
            ]
            raise ResponseValidationError(view, status, self.declared, errors) from None
        except PydanticSerializationError as exc:
            raise ResponseValidationError(view, status, self.declared, [("", str(exc))]) from None
        return Response(data, mimetype=_JSON)


def _as_is(body: Any) -> Any:
    """A body of a status without a declared type: models as JSON, the rest to Flask."""
    if isinstance(body, BaseModel) or (
        isinstance(body, list) and any(isinstance(item, BaseModel) for item in body)
    ):
        return Response(to_json(body, by_alias=True), mimetype=_JSON)
    return body


def _status_of(value: int | str) -> int | None:
    if isinstance(value, int):
        return value
    code = value.split(None, 1)[0] if value else ""
    return int(code) if code.isdigit() else None


class Answers:
    """What a view returns, for Flask: through the writer of its status, if it has one.

    A response object (alone or in a tuple), a ``str``, ``bytes`` or a stream go to Flask
    as they are; ``None`` is an empty response when the plain status is not 200 (a 204
    route); a ``(body, status[, headers])`` or ``(body, headers)`` tuple keeps its parts,
    the body written for its status.
    """

    __slots__ = ("status", "view", "writers")

    def __init__(self, view: str, status: int, writers: Mapping[int, BodyWriter]) -> None:
        self.view = view
        self.status = status
        self.writers = dict(writers)

    def _body(self, body: Any, status: int | None) -> Any:
        if isinstance(body, _FLASK_BODIES):
            return body
        if status is None or (writer := self.writers.get(status)) is None:
            return _as_is(body)
        return writer.write(body, self.view, status)

    def finish(self, rv: Any) -> Any:
        """The view's result ``rv`` for Flask, with the plain status unless it gave one."""
        status = self.status
        if isinstance(rv, BaseResponse):  # made already: its status is its own
            return rv
        if isinstance(rv, tuple):
            if not rv or isinstance(rv[0], BaseResponse):
                return rv
            rest = rv[1:]
            if rest and isinstance(rest[0], _STATUSES):
                return (self._body(rv[0], _status_of(rest[0])), *rest)
            body = self._body(rv[0], status)
            return (body, status, *rest) if status != 200 else (body, *rest)
        if rv is None and status != 200:
            return Response(status=status)
        body = self._body(rv, status)
        return body if status == 200 else (body, status)
