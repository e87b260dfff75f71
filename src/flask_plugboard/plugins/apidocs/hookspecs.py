"""The hooks the apidocs plugin publishes: other plugins add to the OpenAPI document.

Both are called each time the document is built (once, then again only when the app's
routes change), never on the request path.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask import Flask

from flask_plugboard.markers import hookspec

__all__ = ["apidocs_components", "apidocs_operation"]


@hookspec
def apidocs_components(app: Flask) -> Mapping[str, Mapping[str, Any]] | None:
    """Components to add to the document: ``{"securitySchemes": {"bearer": {...}}}``.

    Keys are the OpenAPI component kinds (``schemas``, ``responses``, ``parameters``,
    ``headers``, ``examples``, ``links``, ``securitySchemes``); a name another plugin or
    the app's models already use is left out, with a warning.
    """
    raise NotImplementedError


@hookspec
def apidocs_operation(
    app: Flask,
    endpoint: str,
    view: Callable[..., Any],
    method: str,
    path: str,
    operation: dict[str, Any],
) -> None:
    """Change one operation of the document in place: add ``security``, responses...

    ``view`` is the function that handles ``method`` (the view function, or the method of
    a class-based view), with the attributes of every decorator around it, as
    ``functools.wraps`` copies them; ``method`` is lower-case, ``path`` the OpenAPI path
    template.
    """
    raise NotImplementedError
