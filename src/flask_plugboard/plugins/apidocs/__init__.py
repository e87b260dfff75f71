"""OpenAPI 3.1 documentation and request validation, on pydantic and apispec.

Works with the host (``PLUGBOARD_PLUGINS = ["apidocs"]``) or alone (``ApiDocs(app)``)::

    from pydantic import BaseModel
    from flask_plugboard.plugins.apidocs import api

    class ItemIn(BaseModel):
        name: str

    @app.post("/items")
    @api(body=ItemIn, response={201: Item})
    def create_item(body: ItemIn) -> Item:   # its docstring: summary, description
        ...

A view answers what its ``response`` declares: its value (a model, a dict, an ORM object,
a list of them) is read into that type and written by pydantic, so fields the type does
not declare never leave. ``GET /openapi.json`` serves the document, ``/docs`` Swagger UI,
``flask openapi write FILE`` writes it. See ``docs/batteries/apidocs.md`` for the
settings and hooks.
"""

from __future__ import annotations

from ._decorator import ApiSpec, api, spec_of
from ._models import ApiError, FieldError, InvalidRequest
from ._plugin import ApiDocs
from ._response import ResponseValidationError
from ._settings import ApiDocsSettings
from ._views import openapi_document

__all__ = [
    "ApiDocs",
    "ApiDocsSettings",
    "ApiError",
    "ApiSpec",
    "FieldError",
    "InvalidRequest",
    "ResponseValidationError",
    "api",
    "openapi_document",
    "spec_of",
]
