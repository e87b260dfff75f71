"""The apidocs plugin class: the per-app state, the docs' routes and the CLI group.

Nothing runs per request except in views decorated with ``@api`` (and their cost is the
validation itself, see :mod:`._request` and :mod:`._response`); the document is built
on demand.
"""

from __future__ import annotations

from types import ModuleType
from typing import ClassVar

from flask import Blueprint, Flask

from flask_plugboard import Plugin, __version__

from . import hookspecs as apidocs_hookspecs
from ._cli import openapi_group
from ._decorator import api
from ._settings import ApiDocsSettings
from ._views import STATE_KEY, DocsState, docs_blueprint

__all__ = ["ApiDocs"]


class ApiDocs(Plugin):
    """OpenAPI documentation and request validation; a plain extension too: ``ApiDocs(app)``."""

    name = "apidocs"
    version = __version__
    description = (
        "OpenAPI 3.1 document of every route, request validation with pydantic (@api), "
        "Swagger UI at /docs."
    )
    Settings = ApiDocsSettings
    hookspecs: ClassVar[ModuleType | type | None] = apidocs_hookspecs

    api = staticmethod(api)

    def setup(self, app: Flask, settings: ApiDocsSettings) -> None:
        app.extensions[STATE_KEY] = DocsState(settings, own=self.name)
        app.cli.add_command(openapi_group())

    def blueprint(self, app: Flask, settings: ApiDocsSettings) -> Blueprint | None:
        return docs_blueprint(self, settings)
