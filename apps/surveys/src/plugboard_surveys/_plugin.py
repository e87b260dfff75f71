"""The surveys plugin: its models and migrations, the legacy endpoints, the API v1, the
web pages, the health endpoints and the ``flask surveys`` commands."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Flask

from flask_plugboard import Plugin, hookimpl, plugin_blueprint

from ._api import add_api
from ._api_questions import CSV_ATTR
from ._cli import surveys_group
from ._health import add_health
from ._legacy import add_legacy
from ._legacy_tokens import install_legacy_tokens
from ._models import Base
from ._pages import add_pages
from ._settings import SurveysSettings
from ._version import __version__

__all__ = ["Surveys"]


class Surveys(Plugin):
    """Surveys, questions and submissions; the old backend's endpoints, the API v1 and
    the web pages."""

    name = "surveys"
    version = __version__
    description = "Surveys: create surveys and questions, collect answers, see the results."
    requires = ("auth",)
    optional = ("apidocs", "ratelimit")
    Settings = SurveysSettings
    metadata = Base.metadata

    def setup(self, app: Flask, settings: SurveysSettings) -> None:
        if "surveys" not in app.cli.commands:
            app.cli.add_command(surveys_group)
        install_legacy_tokens(app, settings)

    def blueprint(self, app: Flask, settings: SurveysSettings) -> Blueprint | None:
        bp = plugin_blueprint(self, __name__)
        if settings.health:
            add_health(bp)
        if settings.legacy:
            add_legacy(bp, settings, app.extensions["auth"].get_settings(app))
        if settings.api:
            add_api(bp, settings)
        if settings.pages:
            add_pages(bp, settings)
        return bp

    @hookimpl(optionalhook=True)  # apidocs may not be loaded
    def apidocs_operation(self, view: Callable[..., Any], operation: dict[str, Any]) -> None:
        """For the apidocs plugin: the CSV export's body is text/csv, not JSON."""
        if getattr(view, CSV_ATTR, False):
            operation["responses"]["200"] = {
                "description": "One row per submission: its id, when, one column per question.",
                "content": {"text/csv": {"schema": {"type": "string"}}},
                "headers": {
                    "Content-Disposition": {
                        "schema": {"type": "string"},
                        "description": 'attachment; filename="survey-<id>.csv"',
                    }
                },
            }
