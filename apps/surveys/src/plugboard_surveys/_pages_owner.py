"""The owners' pages: their surveys, creating one, managing it (details, open or
closed, its link, its questions) and deleting it. The questions' own pages are in
:mod:`._pages_questions`, the results in :mod:`._pages_results`.

Every page needs a logged-in user, and a survey's pages its owner or an administrator
(anyone else gets the 404 page). Every change is a POST with the session's CSRF token,
answered with a 303 to the page that shows it, with a message.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from flask import Blueprint, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from flask_plugboard.plugins.auth import csrf_protect, login_required

from . import _pages_questions, _pages_results
from ._api_support import login_user
from ._errors import InvalidInput
from ._owner_forms import KIND_LABELS, SURVEY_LABELS, survey_errors, survey_form, survey_typed
from ._owner_support import changed, owners_survey
from ._page_support import format_datetime, render_page
from ._question_form import question_typed
from ._service import (
    check_survey_input,
    create_survey,
    delete_survey,
    owner_surveys,
    set_active,
    update_survey,
)
from ._settings import SurveysSettings

__all__ = ["add_owner_pages"]

#: Surveys per page of the dashboard.
PER_PAGE = 50

View = Callable[..., BaseResponse]


def add_owner_pages(bp: Blueprint, settings: SurveysSettings) -> None:
    """Add the owners' pages to the surveys blueprint (``surveys.dashboard``...)."""
    one = "/surveys/<int:survey_id>"
    question = f"{one}/questions/<int:question_id>"
    pages: list[tuple[str, str, View, list[str]]] = [
        ("/surveys", "dashboard", dashboard, ["GET"]),
        ("/surveys/new", "new_survey", new_survey, ["GET", "POST"]),
        (one, "manage", manage, ["GET"]),
        (f"{one}/edit", "edit_survey", edit_survey, ["GET", "POST"]),
        (f"{one}/open", "set_open", set_open, ["POST"]),
        (f"{one}/delete", "delete_survey", delete_survey_page, ["GET", "POST"]),
        (f"{one}/results", "results", _pages_results.results, ["GET"]),
        (f"{one}/questions/new", "add_question", _pages_questions.add_question, ["GET", "POST"]),
        (f"{question}/edit", "edit_question", _pages_questions.edit_question, ["GET", "POST"]),
        (f"{question}/delete", "delete_question", _pages_questions.delete_question, ["POST"]),
        (f"{question}/move", "move_question", _pages_questions.move_question, ["POST"]),
    ]
    for rule, endpoint, view, methods in pages:
        # login_required first: a visitor is sent to log in before any token is checked.
        bp.add_url_rule(rule, endpoint, login_required(csrf_protect(view)), methods=methods)


def dashboard() -> BaseResponse:
    """The user's surveys, newest first, with their submissions."""
    page = request.args.get("page", "1")
    # Short ASCII digits only (isdigit alone takes "²"): a huge offset overflows the
    # database's integers. Anything else is the first page, as a missing one is.
    number = int(page) if page.isascii() and page.isdigit() and len(page) < 7 else 1
    number = max(number, 1)
    user = login_user()
    surveys, total = owner_surveys(user, offset=(number - 1) * PER_PAGE, limit=PER_PAGE)
    pages = max(1, -(-total // PER_PAGE))
    if number > pages:  # past the end (surveys were deleted meanwhile): the last page
        number = pages
        surveys, total = owner_surveys(user, offset=(number - 1) * PER_PAGE, limit=PER_PAGE)
    return render_page(
        "surveys/dashboard.html", surveys=surveys, total=total, page=number, pages=pages
    )


def _survey_page(
    template: str, status: int = 200, *, typed: dict[str, str], errors: dict[str, str], **extra: Any
) -> BaseResponse:
    return render_page(
        template,
        status,
        values=typed,
        errors=errors,
        labels=SURVEY_LABELS,
        first_error=next(iter(errors), None),
        now_utc=format_datetime(dt.datetime.now(dt.UTC)),
        **extra,
    )


def new_survey() -> BaseResponse:
    """Create a survey, closed: its owner adds the questions, then opens it."""
    if request.method != "POST":
        return _survey_page("surveys/survey_form.html", typed={}, errors={}, survey=None)
    form = survey_form(request.form)
    try:
        if form.errors:
            # Not saved; the service's errors (a blank name...) shown with the page's.
            raise InvalidInput(check_survey_input(**_texts(form.values)))
        survey = create_survey(login_user(), **form.values, is_active=False)
    except InvalidInput as exc:
        errors = {**survey_errors(exc.errors), **form.errors}
        return _survey_page(
            "surveys/survey_form.html", 400, typed=form.typed, errors=errors, survey=None
        )
    return changed(
        f"Survey “{survey.name}” created. Add its questions, then open it for answers.",
        "surveys.manage",
        survey_id=survey.id,
    )


def manage(survey_id: int) -> BaseResponse:
    """The survey: its details, status, public link and questions, and a form to add one."""
    survey = owners_survey(survey_id)
    return render_page(
        "surveys/manage.html",
        survey=survey,
        public_link=url_for("surveys.respond", survey_id=survey.id, _external=True),
        kind_labels=KIND_LABELS,
        values=question_typed(None),
        errors={},
        first_error=None,
    )


def edit_survey(survey_id: int) -> BaseResponse:
    """Change a survey's name, description, due date and one-per-respondent rule."""
    survey = owners_survey(survey_id, load_questions=False)
    if request.method != "POST":
        typed = survey_typed(survey)
        return _survey_page("surveys/survey_form.html", typed=typed, errors={}, survey=survey)
    form = survey_form(request.form)
    try:
        if form.errors:
            raise InvalidInput(check_survey_input(**_texts(form.values)))
        update_survey(survey, **form.values)
    except InvalidInput as exc:
        errors = {**survey_errors(exc.errors), **form.errors}
        return _survey_page(
            "surveys/survey_form.html", 400, typed=form.typed, errors=errors, survey=survey
        )
    return changed(f"Survey “{survey.name}” saved.", "surveys.manage", survey_id=survey.id)


def _texts(values: dict[str, Any]) -> dict[str, Any]:
    return {"name": values["name"], "description": values["description"]}


def set_open(survey_id: int) -> BaseResponse:
    """Open a survey for answers (``open=1``) or close it (``open=0``)."""
    survey = owners_survey(survey_id, load_questions=False)
    wanted = request.form.get("open", "")
    if wanted not in ("0", "1"):
        return changed(
            "Open or close the survey with its button.",
            "surveys.manage",
            "error",
            survey_id=survey.id,
        )
    set_active(survey, wanted == "1")
    if wanted == "1" and not survey.accepts_answers():
        text = (
            f"Survey “{survey.name}” is open, but its due date has passed: change it "
            "under Edit details to take answers."
        )
    elif wanted == "1":
        text = f"Survey “{survey.name}” is open: share its link."
    else:
        text = f"Survey “{survey.name}” is closed: it takes no more answers."
    return changed(text, "surveys.manage", survey_id=survey.id)


def delete_survey_page(survey_id: int) -> BaseResponse:
    """Ask, then delete a survey with its questions and answers."""
    survey = owners_survey(survey_id, load_questions=False)
    if request.method != "POST":
        return render_page("surveys/delete.html", survey=survey)
    name = survey.name
    delete_survey(survey)
    return changed(f"Survey “{name}” deleted, with its answers.", "surveys.dashboard")
