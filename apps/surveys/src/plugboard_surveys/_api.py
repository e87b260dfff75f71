"""The Surveys API v1: surveys, their questions, submissions and results, as JSON.

Served under ``SURVEYS_API_PREFIX`` (``/api/v1``), endpoints ``surveys.api_<name>``:

- ``POST /surveys`` (logged in): create a survey, with its questions (all or nothing);
  201 with the survey and its ``Location``.
- ``GET /surveys`` (logged in): your surveys, newest first, a page at a time (``page``,
  ``per_page``); administrators add ``all=true`` for everyone's.
- ``GET /surveys/{id}``: a survey with its questions; anyone's while it is open (active),
  else only its owner's and administrators'.
- ``PATCH /surveys/{id}``, ``POST /surveys/{id}/open``, ``POST /surveys/{id}/close``,
  ``DELETE /surveys/{id}`` (its owner, administrators).
- Questions, submissions and results: see :mod:`._api_questions`.

Who may do what is the service's rule (:mod:`._service`): a survey nobody may see is
404, one the user may see but not change 403. Bad input gets 400 (not JSON) or 422
naming each bad field, and nothing is written; see :mod:`._api_support` for the bodies.
A browser logged in with its session cookie must send the session's CSRF token
(``X-CSRF-Token``) with every change; token clients need none.
"""

from __future__ import annotations

import math
from typing import Any

from flask import Blueprint, url_for

from flask_plugboard.plugins.apidocs import ApiError, api
from flask_plugboard.plugins.auth import current_user, is_admin, login_required
from flask_plugboard.plugins.ratelimit import limit

from . import _api_questions as questions
from . import _service as service
from ._api_support import Reply, login_user, refusals, session_csrf, surveys_settings
from ._errors import NotAllowed
from ._resources import SurveyDetail, SurveyPage, SurveySummary
from ._schemas import ListQuery, NewSurvey, SurveyChanges
from ._settings import SurveysSettings

__all__ = ["add_api"]

_TAGS = ["surveys"]
_EXAMPLES: dict[str, Any] = {
    "minimal": {"name": "Lunch"},
    "with questions": {
        "name": "Team lunch",
        "description": "Where shall we go on Friday?",
        "due_at": "2099-12-31T12:00:00Z",
        "is_active": True,
        "one_per_respondent": True,
        "questions": [
            {
                "kind": "single_choice",
                "content": "Which place?",
                "required": True,
                "options": ["Noodles", "Tacos", "Salads"],
            },
            {"kind": "rating", "content": "How hungry are you?", "settings": {"max": 10}},
            {"kind": "text", "content": "Anything else?", "settings": {"max_length": 500}},
        ],
    },
}


@login_required
@session_csrf
@api(
    body=NewSurvey,
    response={201: SurveyDetail},
    tags=_TAGS,
    examples=_EXAMPLES,
)
@refusals
def create_survey(body: NewSurvey) -> Reply:
    """Create a survey, with its questions.

    All or nothing: when one question is wrong, no survey is created and the 422 names
    each bad field (`questions.1.options`). The survey is closed unless `is_active` is
    true. The answer's `Location` is the survey's address.
    """
    survey = service.create_survey(
        login_user(),
        name=body.name,
        description=body.description,
        due_at=body.due_at,
        is_active=body.is_active,
        one_per_respondent=body.one_per_respondent,
        questions=[questions.draft(q) for q in body.questions],
    )
    location = url_for(".api_get_survey", survey_id=survey.id)
    return SurveyDetail.of(survey), 201, {"Location": location}


@login_required
@api(query=ListQuery, response={200: SurveyPage, 403: ApiError}, tags=_TAGS)
@refusals
def list_surveys(query: ListQuery) -> SurveyPage:
    """List your surveys, newest first, a page at a time.

    Administrators may ask for everyone's with `all=true` (403 for anyone else). A page
    past the last one is empty.
    """
    user = login_user()
    if query.all and not is_admin(user):
        raise NotAllowed(
            "only administrators may list everyone's surveys: leave out all=true to list yours"
        )
    per_page = query.per_page or surveys_settings().page_size
    found, total = service.owner_surveys(
        None if query.all else user, offset=(query.page - 1) * per_page, limit=per_page
    )
    return SurveyPage(
        items=[SurveySummary.of(s) for s in found],
        page=query.page,
        per_page=per_page,
        total=total,
        pages=math.ceil(total / per_page),
    )


@api(response={200: SurveyDetail, 404: ApiError}, tags=_TAGS)
@refusals
def get_survey(survey_id: int) -> SurveyDetail:
    """Read a survey with its questions.

    Anyone may read an open (active) survey, logged in or not; a closed one only its owner
    and administrators (404 for anyone else). `accepting_answers` says whether it takes
    answers now: open, and not past `due_at`.
    """
    return SurveyDetail.of(service.get_survey(survey_id, current_user()))


@login_required
@session_csrf
@api(
    body=SurveyChanges,
    response={200: SurveyDetail, 403: ApiError, 404: ApiError},
    tags=_TAGS,
    examples={"rename": {"name": "Team lunch"}, "no end": {"due_at": None}},
)
@refusals
def update_survey(survey_id: int, body: SurveyChanges) -> SurveyDetail:
    """Change a survey's name, description, due date (null: none), one-per-respondent
    rule or whether it is open.

    Only the fields given change. Its owner and administrators only.
    """
    survey = service.owned_survey(survey_id, login_user())
    service.update_survey(survey, **{name: getattr(body, name) for name in body.model_fields_set})
    return SurveyDetail.of(survey)


def _set_active(survey_id: int, active: bool) -> SurveyDetail:
    survey = service.owned_survey(survey_id, login_user())
    return SurveyDetail.of(service.set_active(survey, active))


@login_required
@session_csrf
@api(response={200: SurveyDetail, 400: ApiError, 403: ApiError, 404: ApiError}, tags=_TAGS)
@refusals
def open_survey(survey_id: int) -> SurveyDetail:
    """Open a survey: it takes answers (until its due date), and anyone may read it.

    Its owner and administrators only.
    """
    return _set_active(survey_id, True)


@login_required
@session_csrf
@api(response={200: SurveyDetail, 400: ApiError, 403: ApiError, 404: ApiError}, tags=_TAGS)
@refusals
def close_survey(survey_id: int) -> SurveyDetail:
    """Close a survey: it takes no more answers, and only its owner and administrators
    may read it.
    """
    return _set_active(survey_id, False)


@login_required
@session_csrf
@api(response={204: None, 400: ApiError, 403: ApiError, 404: ApiError}, tags=_TAGS)
@refusals
def delete_survey(survey_id: int) -> None:
    """Delete a survey with its questions, submissions and answers.

    Its owner and administrators only. There is no undo.
    """
    service.delete_survey(service.owned_survey(survey_id, login_user(), load_questions=False))


def add_api(bp: Blueprint, settings: SurveysSettings) -> None:
    """Add the API v1's routes to ``bp``, under ``settings.api_prefix``."""
    base = f"{settings.api_prefix}/surveys"
    one = f"{base}/<int:survey_id>"
    question = f"{one}/questions/<int:question_id>"
    submit_view = questions.submit_view()
    if settings.submit_limit.strip():
        # The legacy /addreply draws on the same budget: one respondent, one limit.
        submit_view = limit(settings.submit_limit, shared="surveys_submit")(submit_view)
    rules: list[tuple[str, str, Any, str]] = [
        (base, "api_create_survey", create_survey, "POST"),
        (base, "api_list_surveys", list_surveys, "GET"),
        (one, "api_get_survey", get_survey, "GET"),
        (one, "api_update_survey", update_survey, "PATCH"),
        (one, "api_delete_survey", delete_survey, "DELETE"),
        (f"{one}/open", "api_open_survey", open_survey, "POST"),
        (f"{one}/close", "api_close_survey", close_survey, "POST"),
        (f"{one}/questions", "api_add_question", questions.add_question, "POST"),
        (question, "api_update_question", questions.update_question, "PATCH"),
        (question, "api_delete_question", questions.delete_question, "DELETE"),
        (f"{one}/questions/order", "api_reorder_questions", questions.reorder, "PUT"),
        (f"{one}/submissions", "api_submit", submit_view, "POST"),
        (f"{one}/results", "api_results", questions.results, "GET"),
        (f"{one}/results.csv", "api_results_csv", questions.results_csv, "GET"),
    ]
    for rule, endpoint, view, method in rules:
        bp.add_url_rule(rule, endpoint, view, methods=[method])
