"""``@limit``, ``@exempt`` and ``limit_blueprint``: usable before any app exists.

They only record what was asked on the view function or blueprint (checked at once, so a
bad limit string fails where it is written); each app compiles it when it first needs it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Blueprint, Request

from flask_plugboard.errors import SettingsError

from ._rules import (
    EXEMPT_ATTR,
    SPECS_ATTR,
    Fail,
    LimitSpec,
    Strategy,
    check_fail,
    check_key,
    check_strategy,
    parse_limits,
)

__all__ = ["exempt", "limit", "limit_blueprint"]

F = TypeVar("F", bound=Callable[..., Any])
KeyFunc = Callable[[Request], "str | None"]


def limit(
    value: str | None = None,
    *,
    key: str | KeyFunc | None = None,
    strategy: Strategy | None = None,
    fail: Fail | None = None,
    shared: str | None = None,
    login: bool = False,
) -> Callable[[F], F]:
    """Limit a view: ``@limit("10/minute")``; stack it or use ``;`` for several limits.

    ``shared="name"`` counts the limit across every route with the same name (without
    ``value``, the limit is ``RATELIMIT_SHARED[name]``). ``login=True`` (or a login-like
    endpoint name, see :func:`~._rules.is_login`) makes it fail closed by default.
    """
    where = f"@limit({value!r})"
    items = tuple(parse_limits(value, where)) if value is not None else ()
    if value is None and shared is None:
        raise SettingsError("@limit() needs a limit string ('10/minute') or shared=<name>")
    if key is not None:
        check_key(key, f"{where} key")
    spec = LimitSpec(
        items=items,
        key=key,
        strategy=check_strategy(strategy, f"{where} strategy") if strategy else None,
        fail=check_fail(fail, f"{where} fail"),
        shared=shared,
        login=login,
    )

    def decorate(view: F) -> F:
        specs: list[LimitSpec] = view.__dict__.setdefault(SPECS_ATTR, [])
        specs.append(spec)
        return view

    return decorate


def exempt(view: F) -> F:
    """Never limit this view (or every route of this blueprint)."""
    setattr(view, EXEMPT_ATTR, True)
    return view


def limit_blueprint(blueprint: Blueprint, value: str) -> Blueprint:
    """Limit a blueprint: ``value`` is counted across all its routes, on every app."""
    items = parse_limits(value, f"limit_blueprint({blueprint.name!r})")
    specs: list[LimitSpec] = blueprint.__dict__.setdefault(SPECS_ATTR, [])
    specs.append(LimitSpec(items=tuple(items)))
    return blueprint
