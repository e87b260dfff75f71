"""The web pages: the home page, each survey's public page (:mod:`._pages_respond`) and
the owners' pages (:mod:`._pages_owner`).

Server-rendered, no CDN: the templates live under ``templates/surveys/`` and the files
they link under ``static/``; an app overrides any template with a file of the same path
in its own templates folder. The service's app also lays auth's pages (log in,
register...) out like its own, by overriding ``auth/base.html``. Other plugins add links
to the navigation through the ``surveys_nav`` template slot.
"""

from __future__ import annotations

from flask import Blueprint
from werkzeug.wrappers import Response as BaseResponse

from ._page_support import format_datetime, nav_context, render_page
from ._pages_owner import add_owner_pages
from ._pages_respond import add_respond_pages
from ._service import active_surveys
from ._settings import SurveysSettings

__all__ = ["add_pages"]


def add_pages(bp: Blueprint, settings: SurveysSettings) -> None:
    """Add the pages to the surveys blueprint (endpoints ``surveys.home``...)."""
    bp.add_url_rule("/", "home", home)
    add_respond_pages(bp, settings)
    add_owner_pages(bp, settings)
    # Every template of the app, auth's pages included, shares the navigation.
    bp.app_context_processor(nav_context)
    bp.add_app_template_filter(format_datetime, "surveys_datetime")


def home() -> BaseResponse:
    """The front door: the surveys taking answers, and the way in for owners."""
    return render_page("surveys/home.html", surveys=active_surveys())
