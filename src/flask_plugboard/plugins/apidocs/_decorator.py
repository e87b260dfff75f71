"""``@api``: the schemas of a view, declared beside it; usable before any app exists.

The decorator checks what it is given where it is written (a bad status, a model pydantic
cannot use, an example that does not validate, a view without the ``body`` argument all
fail at import), records it on the view for the document (:class:`ApiSpec`), and wraps
the view to validate its requests (see :mod:`._request`) and write its answers through
the declared response types (see :mod:`._response`).
"""

from __future__ import annotations

import collections.abc
import dataclasses
import functools
import inspect
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from flask import request
from flask.typing import ResponseReturnValue
from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic.errors import PydanticUserError
from werkzeug.wrappers import Response as BaseResponse

from flask_plugboard.errors import PlugboardError

from ._request import BodyParser, FieldErrors, HeaderParser, QueryParser, invalid
from ._response import Answers, BodyWriter, type_name

__all__ = ["SPEC_ATTR", "ApiSpec", "api", "spec_of"]

#: Attribute of a view holding its :class:`ApiSpec` (copied by ``functools.wraps``, so
#: other decorators around ``@api`` keep it visible).
SPEC_ATTR = "_plugboard_apidocs"

#: The keyword arguments the view receives its validated parts as.
PARTS = ("headers", "query", "body")

_LISTS = (list, tuple, set, frozenset, collections.abc.Sequence, collections.abc.Set)

View = Callable[..., Any]


@dataclasses.dataclass(frozen=True)
class ApiSpec:
    """What ``@api`` declared on one view (checked, app-independent)."""

    body: TypeAdapter[Any] | None
    query: type[BaseModel] | None
    headers: type[BaseModel] | None
    #: (validation key, header name) of each field of ``headers``.
    header_names: tuple[tuple[str, str], ...]
    #: Status -> adapter of its JSON body, or None for a response without one.
    responses: Mapping[int, TypeAdapter[Any] | None]
    #: The status of a plain ``return value``.
    status: int
    tags: tuple[str, ...] | None
    summary: str | None
    description: str | None
    deprecated: bool
    examples: Mapping[str, Any]
    operation_id: str | None

    @property
    def validates(self) -> bool:
        """Whether requests are validated (so 400/422 can happen)."""
        return self.body is not None or self.query is not None or self.headers is not None


def spec_of(view: object) -> ApiSpec | None:
    """The :class:`ApiSpec` of a view function, or None when it has no ``@api``."""
    spec = getattr(view, SPEC_ATTR, None)
    return spec if isinstance(spec, ApiSpec) else None


def _adapter(tp: Any, where: str) -> TypeAdapter[Any]:
    try:
        return TypeAdapter(tp)
    except (PydanticUserError, TypeError) as exc:
        raise PlugboardError(
            f"{where} = {tp!r}: pydantic cannot validate or document this type ({exc}); "
            "give a pydantic model, or a type such as list[Item]"
        ) from None


def _model(tp: Any, where: str) -> type[BaseModel]:
    if not (isinstance(tp, type) and issubclass(tp, BaseModel)):
        raise PlugboardError(
            f"{where} = {tp!r} is not a pydantic model: give a BaseModel subclass, one "
            "field per parameter"
        )
    return tp


def _is_list(annotation: Any) -> bool:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _is_list(typing.get_args(annotation)[0])
    if origin is typing.Union or origin is types.UnionType:
        return any(_is_list(arg) for arg in typing.get_args(annotation))
    return origin in _LISTS or annotation in _LISTS


def _keys(model: type[BaseModel]) -> list[tuple[str, str, Any]]:
    """(validation key, field name, annotation) per field: the key pydantic reads."""
    out = []
    for name, info in model.model_fields.items():
        alias = info.validation_alias
        key = alias if isinstance(alias, str) else (info.alias or name)
        out.append((key, name, info.annotation))
    return out


def header_names(model: type[BaseModel]) -> tuple[tuple[str, str], ...]:
    """(validation key, header name) per field: an alias is the header name as written,
    else the field name with dashes (``api_key`` -> ``api-key``; headers ignore case)."""
    return tuple(
        (key, key if key != name else name.replace("_", "-")) for key, name, _ in _keys(model)
    )


def _status(code: object, where: str) -> int:
    if isinstance(code, bool) or not isinstance(code, int) or not 100 <= code <= 599:
        raise PlugboardError(f"{where}: {code!r} is not an HTTP status (100 to 599)")
    return int(code)


def _responses(
    response: Any, status: int | None, where: str
) -> tuple[dict[int, TypeAdapter[Any] | None], int, dict[int, BodyWriter]]:
    declared: dict[int, Any] = {}
    if isinstance(response, Mapping):
        for code, tp in response.items():
            declared[_status(code, f"{where} response")] = tp
    if status is None:
        ok = sorted(code for code in declared if 200 <= code < 300)
        status = ok[0] if ok else 200
    status = _status(status, f"{where} status")
    if not 200 <= status < 400:
        raise PlugboardError(
            f"{where} status={status}: the status of a plain return must be 2xx or 3xx; "
            "return (value, status) for others, and document them in response={...}"
        )
    if response is not None and not isinstance(response, Mapping):
        declared[status] = response
    declared.setdefault(status, None)
    adapters = {
        code: None if tp is None else _adapter(tp, f"{where} response[{code}]")
        for code, tp in sorted(declared.items())
    }
    writers = {
        code: BodyWriter(adapter, type_name(declared[code]))
        for code, adapter in adapters.items()
        if adapter is not None
    }
    return adapters, status, writers


def _accepts(view: View, name: str) -> bool:
    try:
        params = inspect.signature(view).parameters
    except (TypeError, ValueError):  # a builtin or odd callable: trust the caller
        return True
    found = params.get(name)
    if found is not None:
        return found.kind is not inspect.Parameter.POSITIONAL_ONLY
    return any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())


def api(
    *,
    body: Any = None,
    query: type[BaseModel] | None = None,
    headers: type[BaseModel] | None = None,
    response: Any = None,
    status: int | None = None,
    tags: Sequence[str] | None = None,
    summary: str | None = None,
    description: str | None = None,
    deprecated: bool = False,
    examples: Mapping[str, Any] | None = None,
    operation_id: str | None = None,
) -> Callable[[View], Callable[..., ResponseReturnValue]]:
    """Declare a view's request and response schemas; requests are validated against them.

    ``body`` (a pydantic model or any type pydantic validates, read as JSON), ``query``
    and ``headers`` (pydantic models, one field per parameter) reach the view as the
    keyword arguments of the same names, validated. Bad input never reaches it: a body
    that is not JSON gets 400, invalid fields 422 naming each one. ``response`` is the
    type of the body of ``status`` (default 200, or the lowest 2xx listed), or a mapping
    ``{201: Item, 404: ApiError}``. The view may return a model (or a list of models),
    serialised by pydantic, or anything Flask accepts. ``tags``, ``summary``,
    ``description``, ``deprecated``, ``operation_id`` and ``examples`` (named request
    bodies, checked against ``body``) go to the document as given.
    """
    where = "@api"
    body_adapter = None if body is None else _adapter(body, f"{where}(body)")
    query_model = None if query is None else _model(query, f"{where}(query)")
    headers_model = None if headers is None else _model(headers, f"{where}(headers)")
    responses, plain_status, writers = _responses(response, status, where)
    checked_examples = dict(examples or {})
    if checked_examples:
        if body_adapter is None:
            raise PlugboardError(f"{where}(examples=...) are request bodies: give body= too")
        for name, example in checked_examples.items():
            try:
                body_adapter.validate_python(example)
            except ValidationError as exc:
                raise PlugboardError(
                    f"{where}(examples={{{name!r}: ...}}) is not a valid body: {exc}"
                ) from None
    if isinstance(tags, str):
        raise PlugboardError(f"{where}(tags={tags!r}): give a list of tags, tags=[{tags!r}]")
    spec = ApiSpec(
        body=body_adapter,
        query=query_model,
        headers=headers_model,
        header_names=header_names(headers_model) if headers_model is not None else (),
        responses=responses,
        status=plain_status,
        tags=tuple(tags) if tags is not None else None,
        summary=summary,
        description=description,
        deprecated=deprecated,
        examples=checked_examples,
        operation_id=operation_id,
    )

    def decorate(view: View) -> Callable[..., ResponseReturnValue]:
        if spec_of(view) is not None:
            raise PlugboardError(
                f"{view.__qualname__} has @api twice: declare everything in one @api(...)"
            )
        for part in PARTS:
            if getattr(spec, part) is not None and not _accepts(view, part):
                raise PlugboardError(
                    f"@api({part}=...) on {view.__qualname__}, which takes no {part!r} "
                    f"argument: add it to the view's parameters ({part}: YourModel), where "
                    "the validated value is passed"
                )
        wrapped = _wrap(view, spec, writers)
        setattr(wrapped, SPEC_ATTR, spec)
        return wrapped

    return decorate


def _parsers(spec: ApiSpec) -> tuple[tuple[str, BodyParser | QueryParser | HeaderParser], ...]:
    parsers: list[tuple[str, BodyParser | QueryParser | HeaderParser]] = []
    if spec.headers is not None:
        validate = TypeAdapter(spec.headers).validate_python
        parsers.append(("headers", HeaderParser(validate, spec.header_names)))
    if spec.query is not None:
        lists = frozenset(key for key, _, annotation in _keys(spec.query) if _is_list(annotation))
        parsers.append(("query", QueryParser(TypeAdapter(spec.query).validate_python, lists)))
    if spec.body is not None:
        parsers.append(("body", BodyParser(spec.body.validate_json)))
    return tuple(parsers)


def _clash(view: View, name: str) -> PlugboardError:
    return PlugboardError(
        f"the URL of {view.__qualname__} has a variable {name!r}, which is also the "
        f"argument @api passes the validated {name} as: rename the URL variable"
    )


def _wrap(view: View, spec: ApiSpec, writers: Mapping[int, BodyWriter]) -> Callable[..., Any]:
    parsers = _parsers(spec)
    finish = Answers(f"{view.__module__}.{view.__qualname__}", spec.status, writers).finish

    def validate(kwargs: dict[str, Any]) -> BaseResponse | None:
        req = request._get_current_object()  # type: ignore[attr-defined]
        errors: FieldErrors | None = None
        for name, parser in parsers:
            value, problem = parser.parse(req)
            if problem is None:
                if name in kwargs:
                    raise _clash(view, name)
                kwargs[name] = value
            elif isinstance(problem, BaseResponse):
                return problem
            else:
                errors = problem if errors is None else errors + problem
        return invalid(errors) if errors else None

    if inspect.iscoroutinefunction(view):

        @functools.wraps(view)
        async def validated_async(*args: Any, **kwargs: Any) -> Any:
            refused = validate(kwargs) if parsers else None
            if refused is not None:
                return refused
            return finish(await view(*args, **kwargs))

        return validated_async

    if not parsers:

        @functools.wraps(view)
        def documented(*args: Any, **kwargs: Any) -> Any:
            return finish(view(*args, **kwargs))

        return documented

    @functools.wraps(view)
    def validated(*args: Any, **kwargs: Any) -> Any:
        refused = validate(kwargs)
        if refused is not None:
            return refused
        return finish(view(*args, **kwargs))

    return validated
