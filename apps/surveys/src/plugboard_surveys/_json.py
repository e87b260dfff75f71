"""JSON the service reads from clients: at most :data:`MAX_DEPTH` levels deep, and only
JSON's own types.

Python's parser recurses once per level, so a body of 50,000 ``[`` raises
RecursionError, which ``request.get_json(silent=True)`` does not catch; and values the
old API's ``ast.literal_eval`` reads (sets, bytes, complex numbers, tuple keys) are no
JSON a column can store. :class:`JSONProvider` is the app's JSON provider (every
``get_json`` of every plugin goes through it); :func:`json_problem` checks a value
made some other way.
"""

from __future__ import annotations

import json
from typing import Any

from flask.json.provider import DefaultJSONProvider

__all__ = ["MAX_DEPTH", "JSONProvider", "TooDeep", "json_problem", "loads"]

#: Arrays and objects nested deeper than this are refused: no client of the service
#: needs more than a few levels.
MAX_DEPTH = 64

_KEY_TYPES = (str, int, float, bool, type(None))  # json.dumps writes them as text
_SCALARS = (str, int, float, bool, type(None))


class TooDeep(ValueError):
    """JSON nested deeper than :data:`MAX_DEPTH` levels."""

    def __init__(self) -> None:
        super().__init__(f"arrays and objects are nested deeper than {MAX_DEPTH} levels")


def _type_name(value: Any) -> str:
    return {set: "a set", frozenset: "a set", bytes: "bytes", complex: "a complex number"}.get(
        type(value), f"a {type(value).__name__}"
    )


def json_problem(value: Any) -> str | None:
    """What keeps ``value`` from being JSON (a value of another type, a key that is not
    text, nesting past :data:`MAX_DEPTH`); None when it is JSON. Tuples count as arrays.
    Iterative: a deep value cannot exhaust the stack."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, _SCALARS):
            continue
        if not isinstance(item, (list, tuple, dict)):
            return (
                f"{_type_name(item)} is not a JSON value: use text, numbers, true, false, "
                "null, arrays and objects"
            )
        if depth > MAX_DEPTH:
            return str(TooDeep())
        if isinstance(item, dict):
            for key in item:
                if not isinstance(key, _KEY_TYPES):
                    return f"an object's key is {_type_name(key)}: JSON keys are text"
            stack.extend((child, depth + 1) for child in item.values())
        else:
            stack.extend((child, depth + 1) for child in item)
    return None


def _openers(text: str | bytes | bytearray) -> int:
    if isinstance(text, str):
        return text.count("[") + text.count("{")
    return text.count(b"[") + text.count(b"{")


def loads(text: str | bytes | bytearray, **kwargs: Any) -> Any:
    """``json.loads``, raising :class:`TooDeep` (a ValueError, as a syntax error is) for
    nesting past :data:`MAX_DEPTH` instead of RecursionError."""
    try:
        value = json.loads(text, **kwargs)
    except RecursionError:
        raise TooDeep() from None
    # Counting brackets (in C) spares the walk for nearly every body.
    if _openers(text) > MAX_DEPTH and isinstance(value, (list, dict)):
        problem = json_problem(value)
        if problem is not None:
            raise TooDeep()
    return value


class JSONProvider(DefaultJSONProvider):
    """Flask's JSON provider, reading with :func:`loads`: a body nested too deeply is
    invalid JSON (``get_json`` gives 400, ``get_json(silent=True)`` None), not a 500."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return loads(s, **kwargs)
