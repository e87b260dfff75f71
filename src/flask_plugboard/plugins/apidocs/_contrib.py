"""What other plugins add to the document: their hook implementations, and rate limits.

With the host, hooks are the app's pluggy hooks (each implementation guarded by the host,
so one that raises is logged and counted, and the document is built without it). As a
plain extension there is no plugin manager: the hook implementations of the plugins
registered on the app as extensions (``RateLimit(app)``, ``Auth(app)``) are called
directly, each in a ``try`` of our own.

Rate limits come from the host hook ``plugboard_route_limits``, which the ratelimit plugin
answers with ``LimitInfo`` objects; apidocs reads their attributes and never imports
ratelimit.
"""

from __future__ import annotations

import dataclasses
import inspect
import logging
from collections.abc import Callable, Sequence
from typing import Any

from flask import Flask

from flask_plugboard import get_state
from flask_plugboard.markers import PROJECT
from flask_plugboard.plugin import Plugin

__all__ = ["Impl", "call_all", "implementations", "rate_limit_responses", "route_limits"]

logger = logging.getLogger("flask_plugboard.plugins.apidocs")


@dataclasses.dataclass(frozen=True)
class Impl:
    """One implementation of a hook: the plugin it belongs to and how to call it."""

    plugin: str
    function: Callable[..., Any]
    argnames: tuple[str, ...]
    guarded: bool

    def __call__(self, **kwargs: Any) -> Any:
        arguments = {name: kwargs[name] for name in self.argnames if name in kwargs}
        if self.guarded:
            return self.function(**arguments)
        try:
            return self.function(**arguments)
        except Exception:  # a plugin's bug must not cost the document
            logger.exception(
                "plugin %r: its %s hook raised; the document is built without it",
                self.plugin,
                getattr(self.function, "__name__", "?"),
            )
            return None


def _argnames(function: Callable[..., Any]) -> tuple[str, ...]:
    try:
        params = inspect.signature(function).parameters
    except (TypeError, ValueError):
        return ()
    return tuple(
        name
        for name, p in params.items()
        if p.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    )


def implementations(app: Flask, hook: str) -> list[Impl]:
    """Every implementation of ``hook`` on ``app``, in plugin load order."""
    state = get_state(app, default=None)
    if state is not None:
        caller = getattr(state.hook, hook, None)
        if caller is None:
            return []
        return [
            Impl(impl.plugin_name, impl.function, tuple(impl.argnames), guarded=True)
            for impl in caller.get_hookimpls()
        ]
    found, seen = [], set()
    for ext in app.extensions.values():
        if not isinstance(ext, Plugin) or id(ext) in seen:
            continue
        seen.add(id(ext))
        method = getattr(ext, hook, None)
        if callable(method) and getattr(method, f"{PROJECT}_impl", None) is not None:
            found.append(Impl(ext.name, method, _argnames(method), guarded=False))
    return found


def call_all(impls: Sequence[Impl], **kwargs: Any) -> list[tuple[str, Any]]:
    """(plugin, result) of every implementation, in order."""
    return [(impl.plugin, impl(**kwargs)) for impl in impls]


def route_limits(impls: Sequence[Impl], app: Flask, endpoint: str) -> list[Any]:
    """The rate limits of ``endpoint``: the first answer of ``plugboard_route_limits``."""
    for impl in impls:
        found = impl(app=app, endpoint=endpoint)
        if found is not None:
            return list(found)
    return []


_KEYS = {"remote_addr": "client address", "user": "user"}


def _per(key: str) -> str:
    if key.startswith("api_key:"):
        return f"value of the {key.partition(':')[2]} header"
    return _KEYS.get(key, key)


def _header(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "required": True, "schema": schema}


def rate_limit_responses(limits: Sequence[Any], refs: dict[str, Any]) -> dict[str, Any]:
    """The 429 (and, for limits that fail closed, 503) responses of a limited route.

    ``refs`` holds the schemas of the ``RateLimited`` and ``RateLimitUnavailable`` bodies.
    """
    if not limits:
        return {}
    described = "; ".join(
        f"{getattr(info, 'limit', '?')} per {_per(str(getattr(info, 'key', '?')))}"
        for info in limits
    )
    responses: dict[str, Any] = {
        "429": {
            "description": f"Too many requests ({described}).",
            "headers": {
                "Retry-After": _header(
                    "Seconds until a request may succeed again.",
                    {"type": "integer", "minimum": 1},
                ),
                "RateLimit": _header(
                    "What remains of each limit (r) and seconds until it resets (t): "
                    '"<policy>";r=0;t=37 (draft-ietf-httpapi-ratelimit-headers).',
                    {"type": "string"},
                ),
                "RateLimit-Policy": _header(
                    'Every limit of the route: "<policy>";q=<quota>;w=<window seconds>.',
                    {"type": "string"},
                ),
            },
            "content": {"application/json": {"schema": refs["RateLimited"]}},
        }
    }
    if any(getattr(info, "fail", None) == "closed" for info in limits):
        responses["503"] = {
            "description": "The rate limit's storage is unreachable, and the limit fails closed.",
            "headers": {
                "Retry-After": _header("Seconds to wait.", {"type": "integer", "minimum": 1})
            },
            "content": {"application/json": {"schema": refs["RateLimitUnavailable"]}},
        }
    return responses
